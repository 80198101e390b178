//! End to end against the real `usbredirect`: a QEMU guest (Debian's kernel,
//! busybox) creates a USB MIDI + HID gadget with configfs on dummy_hcd and
//! exports it with `usbredirect`, in both directions: `--to` (QEMU's
//! guestfwd forwards the guest's connection to our listener on 127.0.0.1)
//! and `--as` (QEMU's hostfwd exposes the guest's listener on 127.0.0.1 for
//! us to connect to). The user network has `restrict=on`: the guest reaches
//! nothing else. The guest plays note-ons and a HID report; we answer with
//! one note, which the guest reads back from the gadget's rawmidi port.
//!
//! The same guest also runs `pyrus-usb open` itself against the gadget
//! (libusb on dummy_hcd): local devices with kernel drivers to detach and
//! reattach, Ctrl-C, and hot-unplug.
//!
//! Needs qemu-system-x86, linux-image-amd64, busybox-static, usbredirect,
//! kmod, cpio and udev (libusb's hotplug arrivals come through udevd), which
//! the test command installs; without them it fails, saying what is missing. Runs under TCG (10-30 s
//! each): nested KVM on some hosts hangs early in boot.

#[path = "qemu/guest.rs"]
mod guest;

use guest::free_port;
use pyrus_usb::net::RedirConnection;
use pyrus_usb::usbredir::guest::GuestConfig;
use pyrus_usb::{Event, EventQueue, Midi};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn real_usbredirect_to_our_listener() {
    run("to");
}

#[test]
fn real_usbredirect_as_server_we_connect_to() {
    run("as");
}

/// Connects to the hostfwd port until the guest's usbredirect answers; the
/// connection, its queue and what was said so far. QEMU accepts at once and
/// holds the connection while the guest boots, then either hands it over or
/// closes it (guest port not yet listening), so an attempt is only abandoned
/// when it has ended: usbredirect --as serves one client and would exit if we
/// hung up on it. Each attempt has a queue of its own. The attempt held
/// through the boot may have been reported once as silent (no hello yet);
/// later ones are answered at once, so that one report is all that any
/// attempt before the answer may say.
fn connect_until_connected(port: u16) -> (RedirConnection, Arc<EventQueue>, Vec<Event>) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let no_hello_yet = |e: &Event| matches!(e, Event::Error(t) if guest::is_no_hello_yet(t));
    let mut said = Vec::new();
    while Instant::now() < deadline {
        let q = Arc::new(EventQueue::new(1024, None));
        if let Ok(c) = RedirConnection::connect(("127.0.0.1", port), GuestConfig::default(), q.clone()) {
            while Instant::now() < deadline {
                // Finished first, then drained: the reader queues before it finishes.
                let finished = c.is_finished();
                q.drain(|e| said.push(e));
                if !said.iter().all(no_hello_yet) {
                    return (c, q, said);
                }
                if finished {
                    assert!(said.len() <= 1, "attempts before the answer said {said:?}");
                    println!("attempt ended by QEMU (guest refused), so far: {said:?}");
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("the guest's usbredirect --as never answered");
}

fn run(mode: &str) {
    let kernel = guest::require();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let initrd = tmp.join(format!("pyrus-e2e-{mode}.cpio.gz"));
    guest::initramfs(&kernel, &initrd, None);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = if mode == "to" { listener.local_addr().unwrap().port() } else { free_port() };
    let console = tmp.join(format!("pyrus-e2e-{mode}-console.txt"));
    let mut qemu = guest::qemu(&kernel, &initrd, mode, Some(port))
        .stdout(std::fs::File::create(&console).unwrap())
        .spawn()
        .unwrap();

    let (mut conn, q, mut events) = if mode == "to" {
        let q = Arc::new(EventQueue::new(1024, None));
        // QEMU opens the forwarding connection at start-up; the guest's
        // usbredirect speaks through it once booted.
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
        let conn = RedirConnection::accept(&listener, &stop, GuestConfig::default(), q.clone()).unwrap();
        stop.store(true, Ordering::Release);
        watchdog.join().unwrap();
        (conn.expect("QEMU never connected to the listener"), q, Vec::new())
    } else {
        connect_until_connected(port)
    };

    let mut answered = false;
    let deadline = Instant::now() + Duration::from_secs(150);
    while !conn.is_finished() && Instant::now() < deadline {
        q.drain(|e| events.push(e));
        let hid_seen = events.iter().any(|e| matches!(e, Event::Hid { .. }));
        if !answered && hid_seen && events.iter().any(|e| matches!(e, Event::Midi { .. })) {
            conn.send_midi(0, &Midi::Note { ch: 1, pitch: 61, vel: 127 }).unwrap();
            answered = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    conn.shutdown();
    q.drain(|e| events.push(e));
    let _ = qemu.wait();
    let text = std::fs::read_to_string(&console).unwrap_or_default();
    let lines = guest::said(&text);
    println!("guest said:\n{}", lines.join("\n"));
    println!("events: {} (first {:?})", events.len(), events.first());

    // The guest boots under TCG: QEMU's forwarding may hold the connection
    // long enough for one report that the guest has not said hello yet,
    // before `connected`. That one, and nothing else.
    if matches!(events.first(), Some(Event::Error(t)) if guest::is_no_hello_yet(t)) {
        println!("before connected: {:?}", events.remove(0));
    }
    assert_eq!(events.first(), Some(&guest::connected()));
    // Every MIDI event is part of the phrase the guest plays (note on, cc,
    // SysEx, note off), decoded exactly and in order, at least once in full.
    let phrase = guest::phrase();
    let midi: Vec<&Midi> = events
        .iter()
        .filter_map(|e| match e {
            Event::Midi { cable: 0, msg } => Some(msg),
            _ => None,
        })
        .collect();
    assert!(midi.len() >= phrase.len(), "no phrase from the gadget: {events:?}");
    for (i, m) in midi.iter().enumerate() {
        assert_eq!(*m, &phrase[i % phrase.len()], "MIDI event {i} of {midi:?}");
    }
    let hid: Vec<Event> = events.iter().filter(|e| matches!(e, Event::Hid { .. })).cloned().collect();
    assert_eq!(hid, guest::hid_events());
    assert!(events.iter().all(|e| !matches!(e, Event::Error(_))), "{events:?}");
    assert_eq!(events.last(), Some(&Event::Disconnected));
    assert!(lines.contains(&"from host: 90 3d 7f"), "the gadget did not receive our note:\n{text}");
}

#[test]
fn local_device_through_libusb_in_a_qemu_guest() {
    let kernel = guest::require();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let initrd = tmp.join("pyrus-e2e-local.cpio.gz");
    guest::initramfs(&kernel, &initrd, Some(env!("CARGO_BIN_EXE_pyrus-usb")));
    let out = guest::qemu(&kernel, &initrd, "local", None).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines = guest::said(&text);
    println!("guest said:\n{}", lines.join("\n"));
    let has = |s: &str| lines.iter().any(|l| l.starts_with(s));
    assert!(has("halt"), "the guest did not finish");
    assert!(!has("insmod"), "a module failed to load");
    // usbhid holds the HID interface and snd-usb-audio two (control + MIDI) before we open.
    assert!(has("bound before: 1 2"));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("list: device ") && l.ends_with("1d6b:0104 midi,hid pyrus QEMU MIDI Gadget")));
    // While open, both class drivers are detached from what we claimed.
    assert!(has("bound during: 0 1"));
    assert!(has("ctrl-c exit 0"));
    // usbhid is back after close. (snd-usb-audio only binds the MIDI interface
    // from the control interface's probe, so releasing it does not rebind it.)
    assert!(has("bound after: 1 "));
    let ev = |tag: &str| -> Vec<&str> { lines.iter().filter_map(|l| l.strip_prefix(tag)).collect() };
    let ev1 = ev("ev1: ");
    assert_eq!(ev1.first(), Some(&"connected 7531 260 pyrus QEMU MIDI Gadget"));
    for want in ["note 1 60 100", "hid 9 1 1", "hid 9 3 1", "hid 1 48 200"] {
        assert!(ev1.contains(&want), "missing {want}: {ev1:?}");
    }
    assert!(ev1.iter().all(|l| !l.starts_with("error")), "{ev1:?}");
    // Hot-unplug: reported, and the command exits by itself, cleanly.
    assert_eq!(ev("ev2: "), ["connected 7531 260 pyrus QEMU MIDI Gadget", "disconnected"]);
    assert!(has("unplug exit 0"));
    // With --reconnect a re-plug opens the device again and data flows.
    let ev3 = ev("ev3: ");
    let connected = "connected 7531 260 pyrus QEMU MIDI Gadget";
    assert_eq!(ev3.get(..3), Some(&[connected, "disconnected", connected][..]), "{ev3:?}");
    assert!(ev3.contains(&"note 1 62 100"), "{ev3:?}");
    assert!(ev3.iter().all(|l| !l.starts_with("error")), "{ev3:?}");
    assert!(has("reconnect exit 0"));
}
