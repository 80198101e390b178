//! Wire compatibility with the reference C implementation: a small host
//! built on Debian's libusbredirparser (tests/c/usbredir_host_harness.c)
//! talks to our guest over loopback TCP through `RedirConnection`.
//!
//! Needs `libusbredirparser-dev`, `pkg-config` and a C compiler; without
//! them each test prints why and passes without checking anything.

use pyrus_usb::net::RedirConnection;
use pyrus_usb::usbredir::guest::{default_caps, GuestConfig};
use pyrus_usb::usbredir::wire::Caps;
use pyrus_usb::virtual_device::{config_descriptor, device_descriptor, HID_REPORT_DESCRIPTOR};
use pyrus_usb::{Event, EventQueue, Midi};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Builds the harness once; `Err` explains why it cannot be built here.
fn harness() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let flags = Command::new("pkg-config")
                .args(["--cflags", "--libs", "libusbredirparser-0.5"])
                .output()
                .map_err(|e| format!("pkg-config not runnable ({e}); install pkg-config"))?;
            if !flags.status.success() {
                return Err("libusbredirparser-0.5 not found by pkg-config; install libusbredirparser-dev".into());
            }
            let flags = String::from_utf8_lossy(&flags.stdout).to_string();
            let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/c/usbredir_host_harness.c");
            let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("usbredir_host_harness");
            let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
            let st = Command::new(&cc)
                .arg("-std=c99")
                .arg("-D_DEFAULT_SOURCE")
                .arg("-Wall")
                .arg(&src)
                .arg("-o")
                .arg(&out)
                .args(flags.split_whitespace())
                .status()
                .map_err(|e| format!("C compiler {cc} not runnable ({e})"))?;
            if !st.success() {
                return Err(format!("compiling {} failed", src.display()));
            }
            Ok(out)
        })
        .clone()
}

/// MIDI the harness sends: a note, a SysEx over several packets, a cable-2 clock.
fn midi_bytes() -> Vec<u8> {
    let mut p = Vec::new();
    pyrus_usb::midi::encode(0, &Midi::Note { ch: 3, pitch: 61, vel: 99 }, &mut p);
    pyrus_usb::midi::encode(0, &Midi::SysEx(vec![0xf0, 1, 2, 3, 4, 0xf7]), &mut p);
    pyrus_usb::midi::encode(2, &Midi::Clock, &mut p);
    p.concat()
}

fn run(guest_caps: Caps, host_mode: &str) {
    // The test command installs the parser (build/lib.sh): missing is a failure.
    let bin = harness().unwrap_or_else(|why| panic!("the C interop test cannot run: {why}; build/test installs it"));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let child = Command::new(bin)
        .arg(port.to_string())
        .arg(host_mode)
        .arg(hex(&device_descriptor()))
        .arg(hex(&config_descriptor()))
        .arg(hex(HID_REPORT_DESCRIPTOR))
        .arg(hex(&midi_bytes()))
        .arg(hex(&[1, 0b0010, 77]))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (stream, _) = listener.accept().unwrap();
    let q = Arc::new(EventQueue::new(256, None));
    // Start ids just below 2^32: 64-bit ids must survive, 32-bit ones wrap.
    let config = GuestConfig { caps: guest_caps, first_id: 0xffff_fffe, ..Default::default() };
    let mut conn = RedirConnection::start(stream, config, q.clone()).unwrap();

    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sent = false;
    while !conn.is_finished() && Instant::now() < deadline {
        q.drain(|e| events.push(e));
        let midi = events.iter().filter(|e| matches!(e, Event::Midi { .. })).count();
        let hid = events.iter().filter(|e| matches!(e, Event::Hid { .. })).count();
        if !sent && midi == 3 && hid == 2 {
            conn.send_midi(1, &Midi::Cc { ch: 1, num: 2, val: 3 }).unwrap();
            sent = true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // The session must end by itself (the harness closing), not by our deadline.
    assert!(conn.is_finished(), "session did not end within 10 s");
    conn.shutdown();
    q.drain(|e| events.push(e));
    let out = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    println!("harness said:\n{report}");
    assert!(out.status.success(), "harness failed: {report}");
    assert!(!report.contains("parser_error"), "{report}");

    let both64 = guest_caps.has(5) && host_mode == "full";
    assert!(report.contains(&format!("ids64 {}", u8::from(both64))), "{report}");
    let ids: Vec<u64> =
        report.lines().filter_map(|l| l.strip_prefix("control_id ")).map(|x| x.parse().unwrap()).collect();
    assert!(ids.len() >= 5, "{report}");
    if both64 {
        assert!(ids.iter().any(|&i| i > u64::from(u32::MAX)), "{ids:?}");
    } else {
        assert!(ids.iter().all(|&i| i <= u64::from(u32::MAX)), "{ids:?}");
    }
    let bulk_receiving = guest_caps.has(7) && host_mode == "full";
    assert_eq!(report.contains("bulk_receiving_started 0x81"), bulk_receiving, "{report}");
    assert_eq!(report.contains("bulk_request_answered 0x81"), !bulk_receiving, "{report}");
    assert!(report.contains("interrupt_started 0x82"), "{report}");
    assert!(report.contains("out 1b b0 02 03"), "{report}");
    let acked = guest_caps.has(3) && host_mode == "full";
    assert_eq!(report.contains("ack"), acked, "{report}");

    let (midi, other): (Vec<Event>, Vec<Event>) = events.into_iter().partition(|e| matches!(e, Event::Midi { .. }));
    assert_eq!(
        midi,
        vec![
            Event::Midi { cable: 0, msg: Midi::Note { ch: 3, pitch: 61, vel: 99 } },
            Event::Midi { cable: 0, msg: Midi::SysEx(vec![0xf0, 1, 2, 3, 4, 0xf7]) },
            Event::Midi { cable: 2, msg: Midi::Clock },
        ]
    );
    assert_eq!(
        other,
        vec![
            Event::Connected { vid: 0x1209, pid: 0x7079, name: "pyrus C Harness".into() },
            Event::Hid { page: 9, usage: 2, value: 1 },
            Event::Hid { page: 1, usage: 0x30, value: 77 },
            Event::Disconnected,
        ]
    );
}

#[test]
fn c_host_full_caps_64bit_ids_bulk_receiving() {
    run(default_caps(), "full");
}

#[test]
fn c_host_without_caps_32bit_ids_bulk_requests() {
    run(default_caps(), "bare");
}

#[test]
fn guest_without_caps_against_full_c_host() {
    run(Caps(0), "full");
}
