//! End to end against the real `usbredirect`: a QEMU guest (Debian's kernel,
//! busybox) creates a USB MIDI gadget with configfs on dummy_hcd, exports it
//! with `usbredirect --to`, and QEMU's user network forwards that connection
//! (guestfwd, `restrict=on`, so the guest reaches nothing else) to our
//! listener on 127.0.0.1. The guest plays note-ons; we answer with one note,
//! which the guest reads back from the gadget's rawmidi port and prints.
//!
//! Needs qemu-system-x86, linux-image-amd64, busybox-static, usbredirect,
//! kmod and cpio; without them it prints why and checks nothing. Runs under
//! TCG (about 30 s): nested KVM on some hosts hangs early in boot.

use pyrus_usb::net::RedirConnection;
use pyrus_usb::usbredir::guest::GuestConfig;
use pyrus_usb::{Event, EventQueue, Midi};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn on_path(cmd: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {cmd}")]).output().is_ok_and(|o| o.status.success())
}

/// A Debian kernel with the gadget modules, as (vmlinuz, version).
fn kernel() -> Option<(PathBuf, String)> {
    let mut found: Vec<_> = std::fs::read_dir("/boot")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let ver = name.strip_prefix("vmlinuz-")?.to_string();
            let dummy = format!("/lib/modules/{ver}/kernel/drivers/usb/gadget/udc/dummy_hcd.ko");
            Path::new(&dummy).exists().then(|| (e.path(), ver))
        })
        .collect();
    found.sort();
    found.pop()
}

fn prerequisites() -> Result<(PathBuf, String), String> {
    for cmd in ["qemu-system-x86_64", "busybox", "usbredirect", "modprobe", "cpio"] {
        if !on_path(cmd) {
            return Err(format!("{cmd} not found (apt-get install qemu-system-x86 busybox-static usbredirect kmod cpio)"));
        }
    }
    kernel().ok_or_else(|| "no /boot/vmlinuz-* with dummy_hcd.ko (apt-get install linux-image-amd64)".into())
}

#[test]
fn real_usbredirect_in_a_qemu_guest_with_a_midi_gadget() {
    let (vmlinuz, version) = match prerequisites() {
        Ok(k) => k,
        Err(why) => {
            println!("SKIPPED QEMU end-to-end test: {why}");
            return;
        }
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let initrd = tmp.join("pyrus-e2e.cpio.gz");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/qemu/build-initramfs.sh");
    let st = Command::new("sh").arg(&script).arg(&version).arg(&initrd).status().unwrap();
    assert!(st.success(), "building the initramfs failed");

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let console = tmp.join("pyrus-e2e-console.txt");
    let mut qemu = Command::new("timeout")
        .arg("180")
        .arg("qemu-system-x86_64")
        .args(["-accel", "tcg", "-m", "512", "-nographic", "-no-reboot"])
        .arg("-kernel")
        .arg(&vmlinuz)
        .arg("-initrd")
        .arg(&initrd)
        .args(["-append", "console=ttyS0 panic=-1 loglevel=4"])
        .arg("-netdev")
        .arg(format!("user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:9000-tcp:127.0.0.1:{port}"))
        .args(["-device", "virtio-net-pci,netdev=n0"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&console).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // QEMU opens the forwarding connection at start-up; the guest's usbredirect
    // speaks through it once booted.
    let stop = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            while !stop.load(Ordering::Acquire) && t.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(100));
            }
            stop.store(true, Ordering::Release);
        })
    };
    let q = Arc::new(EventQueue::new(1024, None));
    let conn = RedirConnection::accept(&listener, &stop, GuestConfig::default(), q.clone()).unwrap();
    stop.store(true, Ordering::Release);
    watchdog.join().unwrap();
    let mut conn = conn.expect("QEMU never connected to the listener");

    let mut events = Vec::new();
    let mut answered = false;
    let deadline = Instant::now() + Duration::from_secs(150);
    while !conn.is_finished() && Instant::now() < deadline {
        q.drain(|e| events.push(e));
        if !answered && events.iter().any(|e| matches!(e, Event::Midi { .. })) {
            conn.send_midi(0, &Midi::Note { ch: 1, pitch: 61, vel: 127 }).unwrap();
            answered = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    conn.shutdown();
    q.drain(|e| events.push(e));
    let _ = qemu.wait();
    let text = std::fs::read_to_string(&console).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("pyrus-e2e")).collect();
    println!("guest said:\n{}", lines.join("\n"));
    println!("events: {} (first {:?})", events.len(), events.first());

    assert_eq!(
        events.first(),
        Some(&Event::Connected { vid: 0x1d6b, pid: 0x0104, name: "pyrus QEMU MIDI Gadget".into() })
    );
    let notes = events
        .iter()
        .filter(|e| **e == Event::Midi { cable: 0, msg: Midi::Note { ch: 1, pitch: 60, vel: 100 } })
        .count();
    assert!(notes >= 1, "no note from the gadget: {events:?}");
    assert!(events.iter().all(|e| !matches!(e, Event::Error(_))), "{events:?}");
    assert_eq!(events.last(), Some(&Event::Disconnected));
    assert!(text.contains("pyrus-e2e: from host: 90 3d 7f"), "the gadget did not receive our note:\n{text}");
}
