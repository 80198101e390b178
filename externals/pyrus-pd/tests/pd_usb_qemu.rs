//! `[pyrus.usb]` in real Pd against the real `usbredirect`: the QEMU guest
//! of pyrus-usb's end-to-end test (a configfs USB MIDI + HID gadget on
//! dummy_hcd, exported with `usbredirect`) plays its phrase and a HID report
//! into `[pyrus.usb]`, whose events Pd prints; on the HID report the patch
//! sends a note back, which the guest reads from the gadget's rawmidi port
//! and reports on its console. Both directions of the connection:
//! `usbredirect --to` reaching `listen` in Pd through QEMU's guestfwd, and
//! `connect` in Pd reaching `usbredirect --as` through QEMU's hostfwd.
//!
//! Needs what pyrus-usb's `qemu_e2e` needs (qemu-system-x86,
//! linux-image-amd64, busybox-static, usbredirect, kmod, cpio, udev);
//! the test command installs them; without them it fails, saying what is missing.

#[path = "../../pyrus-usb/tests/qemu/guest.rs"]
mod guest;
mod support;

use pyrus_usb::Event;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use support::*;

#[test]
fn real_usbredirect_to_pd_listening() {
    run("to");
}

#[test]
fn pd_connects_to_real_usbredirect_as() {
    run("as");
}

/// Whether something listens on `127.0.0.1:port`, from /proc/net/tcp: a
/// probe that neither takes the port (Pd is about to bind it) nor connects
/// (the first connection is the usbredir peer).
fn listening(port: u16) -> bool {
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let local = format!("0100007F:{port:04X}");
    // sl local_address rem_address st ...; st 0A is LISTEN.
    tcp.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(1) == Some(&local.as_str()) && f.get(3) == Some(&"0A")
    })
}

fn wait_listening(port: u16, what: &str) {
    let start = Instant::now();
    while !listening(port) {
        assert!(start.elapsed() < Duration::from_secs(60), "{what} never listened on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// QEMU, stopped (SIGTERM to its `timeout`, which passes it on) if the test
/// fails before the guest ends by itself.
struct Qemu(Child);

impl Drop for Qemu {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            // The shell's kill: no procps needed.
            let _ = Command::new("sh").args(["-c", &format!("kill {}", self.0.id())]).status();
            let _ = self.0.wait();
        }
    }
}

fn run(mode: &str) {
    let kernel = guest::require();
    let began = Instant::now();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let initrd = tmp.join(format!("pyrus-pd-e2e-{mode}.cpio.gz"));
    guest::initramfs(&kernel, &initrd, None);
    let console = tmp.join(format!("pyrus-pd-e2e-{mode}-console.txt"));
    let port = guest::free_port();

    let mut p = Patch::new();
    let u = p.object_with_prints("u", "pyrus.usb", 2);
    // Answer the HID report's last event (X 200, once: the guest sends the
    // same report again and again) with a note to the device.
    let hid = p.obj("route hid");
    let page = p.obj("route 1");
    let usage = p.obj("route 48");
    let value = p.obj("sel 200");
    let note = p.msg("note 1 64 100");
    p.connect(u, 0, hid, 0);
    p.connect(hid, 0, page, 0);
    p.connect(page, 0, usage, 0);
    p.connect(usage, 0, value, 0);
    p.connect(value, 0, note, 0);
    p.connect(note, 0, u, 0);
    // The guest's usbredirect ends after it heard the note: Pd quits.
    p.quit_after(u, 1, "disconnected", 1);
    let listen = format!("listen 127.0.0.1 {port}");
    let connect = format!("connect 127.0.0.1 {port}");
    if mode == "to" {
        p.start(&[("u", listen.as_str())]);
    } else {
        // QEMU's hostfwd accepts at once and holds the connection while the
        // guest boots (the object waits on it, saying once that no hello has
        // come yet), but hangs up if the guest refuses it (usbredirect not
        // listening yet): with `reconnect 1` the object then tries again
        // every second.
        p.start(&[("u", "reconnect 1"), ("u", connect.as_str())]);
    }
    let dir = test_dir(&format!("usbqemu-{mode}"));
    let run_pd = move || run_within(&dir, "usbqemu", &p, &["-realtime"], Duration::from_secs(150));

    let spawn_qemu = || {
        Qemu(
            guest::qemu(&kernel, &initrd, mode, Some(port))
                .stdout(std::fs::File::create(&console).unwrap())
                .spawn()
                .unwrap(),
        )
    };
    let (pd, mut qemu) = if mode == "to" {
        // QEMU connects its guestfwd to Pd at start-up: Pd listens first.
        let pd = std::thread::spawn(run_pd);
        wait_listening(port, "Pd");
        (pd, spawn_qemu())
    } else {
        let qemu = spawn_qemu();
        wait_listening(port, "QEMU's hostfwd");
        (std::thread::spawn(run_pd), qemu)
    };
    let t = pd.join();
    let _ = qemu.0.wait();
    let text = std::fs::read_to_string(&console).unwrap_or_default();
    let said = guest::said(&text);
    println!("guest said:\n{}", said.join("\n"));
    let t = t.unwrap_or_else(|e| std::panic::resume_unwind(e));
    println!("pd printed:\n{}\n{:.1} s in all", t.text(), began.elapsed().as_secs_f32());

    // The guest boots under TCG: QEMU's forwarding may hold the connection
    // long enough for one report that the guest has not said hello yet,
    // before `connected`, on the status outlet and the console. That one,
    // and nothing else.
    let mut status = t.printed("u-status");
    let mut errors = t.errors();
    let slow = status.first().and_then(|s| s.strip_prefix("error ")).is_some_and(guest::is_no_hello_yet);
    if slow {
        println!("before connected: {}", status.remove(0));
        let console = errors.first().and_then(|e| e.strip_prefix("pyrus.usb: "));
        assert!(console.is_some_and(guest::is_no_hello_yet), "{}", t.text());
        errors.remove(0);
    }
    assert_eq!(status, [guest::connected().to_message().to_string(), "disconnected".to_string()], "{}", t.text());
    assert!(errors.is_empty(), "{}", t.text());
    // Every event the guest played, in order: its phrase, whole, as many
    // times as it played it before it heard from Pd (at least once; it
    // starts once the host streams, so nothing is lost before), and its HID
    // report's events together, once, somewhere in between.
    assert!(said.contains(&"host streaming: yes"), "{text}");
    let printed = t.printed("u");
    let hid: Vec<String> = guest::hid_events().iter().map(|e| e.to_message().to_string()).collect();
    let phrase: Vec<String> =
        guest::phrase().into_iter().map(|msg| Event::Midi { cable: 0, msg }.to_message().to_string()).collect();
    let at = printed.iter().position(|l| *l == hid[0]).unwrap_or_else(|| panic!("no HID report:\n{}", t.text()));
    assert_eq!(printed.get(at..at + hid.len()), Some(&hid[..]), "{}", t.text());
    let midi: Vec<&String> = printed[..at].iter().chain(&printed[at + hid.len()..]).collect();
    let played = said.iter().find_map(|l| l.strip_prefix("played ")).and_then(|n| n.parse::<usize>().ok());
    let played = played.unwrap_or_else(|| panic!("the guest did not say how often it played:\n{text}"));
    assert!(played >= 1);
    let expected: Vec<&String> = phrase.iter().cycle().take(played * phrase.len()).collect();
    assert_eq!(midi, expected, "{}", t.text());
    // Pd's note reached the gadget, and the guest finished.
    assert!(said.contains(&"from host: 90 40 64"), "the gadget did not receive Pd's note:\n{text}");
    assert!(said.contains(&"halt"), "the guest did not finish:\n{text}");
}
