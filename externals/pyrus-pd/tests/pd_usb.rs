//! `[pyrus.usb]` in real Pd, against the built-in demo device and against a
//! virtual USB MIDI + HID device that the test serves over usbredir on
//! loopback (the test plays the device; Pd is the guest).

mod support;
use pyrus_usb::midi::MidiDecoder;
use pyrus_usb::virtual_device::VirtualDevice;
use pyrus_usb::{Event, Midi};
use std::net::TcpListener;
use std::ops::ControlFlow;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use support::*;

#[test]
fn the_demo_device_plays_every_kind_of_event() {
    let dir = test_dir("usbdemo");
    let mut p = Patch::new();
    let o = p.object_with_prints("u", "pyrus.usb", 2);
    p.quit_after(o, 1, "disconnected", 1);
    p.start(&[("u", "demo")]);
    let t = run_with(&dir, "usbdemo", &p, &["-realtime"]);
    let events = t.printed("u");
    for expected in [
        "start",
        "program 1 5",
        "cc 1 7 100",
        "note 1 60 90",
        "clock",
        "note 1 60 0",
        "bend 2 4096",
        "bend 2 0",
        "polytouch 1 60 30",
        "pressure 1 50",
        "hid 9 1 1",
        "hid 1 48 128",
        "sysex 240 126 127 6 1 247",
        "note 10 36 127 cable 1",
        "songpos 16",
        "stop",
    ] {
        assert!(events.iter().any(|e| e == expected), "{expected} missing: {}", t.text());
    }
    assert_eq!(t.printed("u-status"), ["connected 4617 28793 pyrus Virtual MIDI HID", "disconnected"], "{}", t.text());
}

#[test]
fn loading_pyrus_usb_alone_shares_one_runtime_with_pyrus() {
    let dir = test_dir("usbalone");
    let mut p = Patch::new();
    p.object_with_prints("u", "pyrus.usb", 2);
    p.pyrus("py", "");
    p.script(&[("u", "bleep 1"), ("py", "eval 1 + 1")]);
    let t = run(&dir, "usbalone", &p);
    assert_eq!(
        t.lines.iter().filter(|l| l.starts_with("pyrus 0.")).count(),
        1,
        "one library, one Python: {}",
        t.text()
    );
    assert!(t.printed("u-status")[0].starts_with("error 'bleep' is no MIDI message"), "{}", t.text());
    assert_eq!(t.printed("py"), ["2"]);
}

/// Serves the virtual device to one connection: plays `phrase` once the
/// guest streams, collects the MIDI the guest sends until `expect_out`
/// messages arrived (or 10 s), then unplugs. Returns the MIDI received.
fn serve(listener: TcpListener, phrase: Vec<Midi>, expect_out: usize) -> JoinHandle<Vec<Midi>> {
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
        let (mut played, start) = (false, Instant::now());
        dev.serve(&mut s, |link| {
            let dev = &mut *link.device;
            if dev.streaming() && !played {
                for m in &phrase {
                    dev.play(0, m).unwrap();
                }
                dev.hid(0b0010, 7).unwrap();
                played = true;
            }
            if received(dev).len() >= expect_out || start.elapsed() > Duration::from_secs(10) {
                dev.disconnect().unwrap();
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(Duration::from_millis(5))
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        received(&dev)
    })
}

/// The MIDI messages the guest sent the device.
fn received(dev: &VirtualDevice) -> Vec<Midi> {
    let mut received = Vec::new();
    MidiDecoder::new(4096, false).decode(&dev.received_midi, &mut |e| {
        if let Event::Midi { msg, .. } = e {
            received.push(msg)
        }
    });
    received
}

#[test]
fn every_midi_message_in_and_out_over_usbredir() {
    let dir = test_dir("usbredir");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let phrase = Midi::examples();
    let server = serve(listener, phrase.clone(), phrase.len());
    let mut p = Patch::new();
    // Every event that comes in goes straight back out to the device.
    let o = p.object_with_prints("u", "pyrus.usb", 2);
    let route = p.obj("route hid");
    p.connect(o, 0, route, 0);
    p.connect(route, 1, o, 0);
    p.quit_after(o, 1, "disconnected", 1);
    let connect = format!("connect 127.0.0.1 {port}");
    p.start(&[("u", connect.as_str())]);
    let t = run_with(&dir, "usbredir", &p, &["-realtime"]);
    let got: Vec<String> = t.printed("u");
    let expected: Vec<String> = phrase
        .iter()
        .map(|m| Event::Midi { cable: 0, msg: m.clone() }.to_message().to_string())
        .chain(["hid 9 2 1".to_string(), "hid 1 48 7".to_string()])
        .collect();
    assert_eq!(got, expected, "{}", t.text());
    let received = server.join().unwrap();
    assert_eq!(received, phrase, "what the device received from Pd");
    assert_eq!(t.printed("u-status").first().map(String::as_str), Some("connected 4617 28793 pyrus Virtual MIDI HID"));
    assert_eq!(t.printed("u-status").last().map(String::as_str), Some("disconnected"));
}

#[test]
fn bad_input_is_reported_and_the_object_keeps_working() {
    let dir = test_dir("usbbad");
    let mut p = Patch::new();
    let o = p.object_with_prints("u", "pyrus.usb -bogus", 2);
    // The last of six errors comes back from the device thread: quit on it.
    p.quit_after(o, 1, "error", 6);
    p.start(&[
        ("u", "note 1 60"),
        ("u", "note 17 60 1"),
        ("u", "sysex 240 200 247"),
        ("u", "open"),
        ("u", "note 1 60 100"),
        ("u", "connect 127.0.0.1 1"),
    ]);
    let t = run_with(&dir, "usbbad", &p, &["-realtime"]);
    assert!(t.errors().iter().any(|l| l.contains("unknown argument -bogus")), "{}", t.text());
    let status = t.printed("u-status");
    assert!(status[0].contains("note takes 3 numbers"), "{status:?}");
    assert!(status[1].contains("channel must be a whole number from 1 to 16"), "{status:?}");
    assert!(status[2].contains("data bytes below 128"), "{status:?}");
    assert!(status[3].contains("open takes VID PID\\, VID:PID"), "{status:?}");
    // These two come back from the device thread, in order.
    assert!(status[4].contains("no device is open"), "{status:?}");
    assert!(status[5].contains("refused"), "{status:?}");
    assert!(t.errors().iter().all(|l| l.starts_with("pyrus.usb: ")), "{}", t.text());
}

#[test]
fn deleting_the_object_while_events_stream_and_quitting_while_connected() {
    let dir = test_dir("usbdelete");
    let mut p = Patch::new();
    let lb = p.obj("loadbang");
    let m = p.msg("; victim demo");
    p.connect(lb, 0, m, 0);
    // Once the victim's events stream (however slow the machine), clear its
    // subpatch, from a clock rather than within its own outlet; quit 200 ms
    // later, saying so first.
    let first = p.obj("r victim-out");
    let each = p.obj("t b");
    let d1 = p.obj("delay 0");
    p.connect(first, 0, each, 0);
    p.connect(each, 0, d1, 0);
    let clear = p.msg("; pd-sub clear; marker deleted");
    p.connect(d1, 0, clear, 0);
    let d2 = p.obj("delay 200");
    p.connect(d1, 0, d2, 0);
    let quit = p.msg("; still demo; quitting 1; pd quit");
    p.connect(d2, 0, quit, 0);
    let r = p.obj("r marker");
    let pr = p.obj("print marker");
    p.connect(r, 0, pr, 0);
    let r = p.obj("r quitting");
    let pr = p.obj("print quitting");
    p.connect(r, 0, pr, 0);
    // A second device stays connected (listening) when Pd quits.
    p.object_with_prints("still", "pyrus.usb", 2);
    let path = dir.join("usbdelete.pd");
    p.write(&path);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(
        "#N canvas 0 0 300 200 sub 0;\n#X obj 10 10 r victim;\n#X obj 10 40 pyrus.usb;\n#X obj 10 70 print victim;\n#X obj 10 100 s victim-out;\n#X connect 0 0 1 0;\n#X connect 1 0 2 0;\n#X connect 1 0 3 0;\n#X restore 300 10 pd sub;\n",
    );
    std::fs::write(&path, text).unwrap();
    let t = run_pd(&path, &["-realtime"], Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "{}", t.text());
    let at = t.lines.iter().position(|l| l == "marker: deleted").expect("deleted");
    assert!(t.lines[..at].iter().any(|l| l.starts_with("victim: ")), "events streamed first: {}", t.text());
    assert!(!t.lines[at..].iter().any(|l| l.starts_with("victim")), "nothing after deletion: {}", t.text());
    // Timed from the quit, not from Pd's start (seconds on a loaded
    // machine): the exit's deadline is 0.5 s; generous against the bug, an
    // exit that waits for a device thread for ever.
    let took = t.exit_after("quitting: 1");
    println!("quit with a device connected in {took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// Serves one phrase per connection, one connection after another: each
/// session plays its phrase once the guest streams, then unplugs and closes.
fn serve_sessions(listener: TcpListener, sessions: Vec<Vec<Midi>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for phrase in sessions {
            let (mut s, _) = listener.accept().unwrap();
            let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
            let start = Instant::now();
            let _ = dev.serve(&mut s, |link| {
                if !link.device.streaming() {
                    return match start.elapsed() > Duration::from_secs(10) {
                        true => ControlFlow::Break(()),
                        false => ControlFlow::Continue(Duration::from_millis(5)),
                    };
                }
                for (i, m) in phrase.iter().enumerate() {
                    link.device.play(0, m).unwrap();
                    if i % 256 == 255 {
                        let _ = link.flush();
                    }
                }
                link.device.disconnect().unwrap();
                ControlFlow::Break(())
            });
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

/// Events a `[pyrus.usb]` queues while the scheduler does not take them
/// (the engine's `usb_thread::QUEUE`).
const QUEUE: usize = 1 << 16;

/// A flood while Pd's scheduler is stalled on purpose: a `detach 0` call
/// connects to the test and waits for a byte, which the device sends only
/// once the guest has acknowledged the unplug that follows the flood, i.e.
/// once the guest has queued (or dropped) every event of it. So the queue
/// must overflow, whatever the machine's speed. Then every event either
/// comes out or is counted in a `dropped N`, and the backlog leaves over
/// several scheduler ticks (a budget per tick), not in one.
#[test]
fn a_flood_overflows_the_queue_reports_dropped_and_pd_keeps_ticking() {
    const FLOOD: usize = QUEUE + QUEUE / 2;
    let dir = test_dir("usbflood");
    std::fs::write(
        dir.join("stall.py"),
        "import socket\n\
         def wait(port):\n\
         \x20   with socket.create_connection(('127.0.0.1', int(port)), timeout=30) as s:\n\
         \x20       return len(s.recv(1))\n",
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stall = TcpListener::bind("127.0.0.1:0").unwrap();
    let stall_port = stall.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        // Pd's scheduler is in the stall from here on.
        let (mut stalled, _) = stall.accept().unwrap();
        let (mut s, _) = listener.accept().unwrap();
        let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
        let (mut played, start) = (false, Instant::now());
        dev.serve(&mut s, |link| {
            if link.device.streaming() && !played {
                for i in 0..FLOOD {
                    link.device.play(0, &Midi::Note { ch: 1, pitch: (i % 128) as u8, vel: 1 }).unwrap();
                    if i % 256 == 255 {
                        link.flush().unwrap();
                    }
                }
                link.device.disconnect().unwrap();
                played = true;
            }
            match link.device.disconnect_acked || start.elapsed() > Duration::from_secs(20) {
                true => ControlFlow::Break(()),
                false => ControlFlow::Continue(Duration::from_millis(5)),
            }
        })
        .unwrap();
        std::io::Write::write_all(&mut stalled, b"x").unwrap();
        dev.disconnect_acked
    });
    let mut p = Patch::new();
    let o = p.obj("pyrus.usb");
    let each = p.obj("t b");
    let count = p.counter();
    p.connect(o, 0, each, 0);
    p.connect(each, 0, count, 0);
    let status = p.obj("print u-status");
    p.connect(o, 1, status, 0);
    // The logical time from the stall's end to each event, the last kept.
    let r = p.obj("r stall");
    let stall_call = p.obj("pyrus stall.wait");
    p.connect(r, 0, stall_call, 0);
    let after = p.obj("t b b");
    p.connect(stall_call, 0, after, 0);
    let timer = p.obj("timer");
    let last = p.obj("f");
    p.connect(after, 1, timer, 0);
    p.connect(each, 0, timer, 1);
    p.connect(timer, 0, last, 1);
    // 200 ms (logical) after the stall: report and quit.
    let end = p.obj("delay 200");
    p.connect(after, 0, end, 0);
    let report = p.obj("t b b b");
    let (pe, pl) = (p.obj("print events"), p.obj("print span"));
    let quit = p.msg("; pd quit");
    p.connect(end, 0, report, 0);
    p.connect(report, 2, count, 0);
    p.connect(count, 0, pe, 0);
    p.connect(report, 1, last, 0);
    p.connect(last, 0, pl, 0);
    p.connect(report, 0, quit, 0);
    let ru = p.obj("r u");
    p.connect(ru, 0, o, 0);
    let connect = format!("connect 127.0.0.1 {port}");
    p.start(&[("u", connect.as_str()), ("stall", &stall_port.to_string())]);
    let t = run(&dir, "usbflood", &p);
    assert!(server.join().unwrap(), "the guest acknowledged the unplug: {}", t.text());
    let status = t.printed("u-status");
    let dropped: usize =
        status.iter().filter_map(|s| s.strip_prefix("dropped ")).map(|n| n.parse::<usize>().unwrap()).sum();
    // The counter says how many came before the bang that reads it.
    let events: usize = t.printed("events").last().unwrap().parse().unwrap();
    let span: f64 = t.printed("span").last().unwrap().parse().unwrap();
    println!("flood of {FLOOD}: {events} events out, {dropped} reported dropped, the last {span} ms after the stall");
    assert_eq!(status.first().map(String::as_str), Some("connected 4617 28793 pyrus Virtual MIDI HID"), "{status:?}");
    assert!(events < QUEUE && dropped > 0, "the queue overflowed and said so: {events} out, {status:?}");
    // Every note came out or was counted; so was `disconnected` if it did not come.
    let unplug_dropped = usize::from(!status.iter().any(|s| s == "disconnected"));
    assert_eq!(events + dropped, FLOOD + unplug_dropped, "{status:?}");
    // At most 4096 events per tick of 64 samples: the backlog left over 15
    // ticks after the first (Pd prints the span as a 32-bit float).
    let tick = 64.0 * 1000.0 / 44100.0;
    assert!(span > 14.5 * tick, "the backlog left over several ticks: {span} ms");
}

#[test]
fn with_reconnect_a_peer_absent_at_first_or_gone_is_connected_when_it_returns() {
    let dir = test_dir("usbreconnect");
    // Once the first connect was refused, the patch says so: the device
    // comes only then (it came after 1.2 s, which a slow start outlasts).
    std::fs::write(
        dir.join("tell.py"),
        "import socket\n\
         told = False\n\
         def tell(port):\n\
         \x20   global told\n\
         \x20   if not told:\n\
         \x20       told = True\n\
         \x20       socket.create_connection(('127.0.0.1', int(port)), timeout=30).close()\n",
    )
    .unwrap();
    let refused = TcpListener::bind("127.0.0.1:0").unwrap();
    let refused_port = refused.local_addr().unwrap().port();
    // A port nobody listens on yet: the first connect is refused.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let first = vec![Midi::Note { ch: 1, pitch: 60, vel: 100 }];
    let second = vec![Midi::Note { ch: 2, pitch: 62, vel: 101 }];
    let server = std::thread::spawn(move || {
        let _ = refused.accept().unwrap();
        serve_sessions(TcpListener::bind(("127.0.0.1", port)).unwrap(), vec![first, second]).join().unwrap()
    });
    let mut p = Patch::new();
    let o = p.object_with_prints("u", "pyrus.usb -reconnect", 2);
    p.quit_after(o, 1, "disconnected", 2);
    let route = p.obj("route error");
    let each = p.obj("t b");
    let number = p.msg(&refused_port.to_string());
    let tell = p.obj("pyrus tell.tell");
    p.connect(o, 1, route, 0);
    p.connect(route, 0, each, 0);
    p.connect(each, 0, number, 0);
    p.connect(number, 0, tell, 0);
    let connect = format!("connect 127.0.0.1 {port}");
    p.start(&[("u", connect.as_str())]);
    let t = run_with(&dir, "usbreconnect", &p, &["-realtime"]);
    server.join().unwrap();
    assert_eq!(t.printed("u"), ["note 1 60 100", "note 2 62 101"], "{}", t.text());
    let status = t.printed("u-status");
    assert!(
        status[0].starts_with(&format!("error connecting to 127.0.0.1:{port}: Connection refused"))
            && status[0].ends_with("(trying again every second)"),
        "{status:?}"
    );
    let connected = "connected 4617 28793 pyrus Virtual MIDI HID";
    assert_eq!(status[1..], [connected, "disconnected", connected, "disconnected"], "{}", t.text());
}

/// The same round trip from a script (`pyrus.usb`): a detached object
/// connects, its callback (on a worker) sends every event out of the object
/// and every MIDI message back to the device.
#[test]
fn a_script_gets_every_event_and_sends_midi_back_over_usbredir() {
    let dir = test_dir("usbscript");
    std::fs::write(
        dir.join("usbecho.py"),
        r#"
import pyrus

dev = None

def on_event(m):
    pyrus.out(m)
    if m.selector not in ("connected", "disconnected", "hid"):
        dev.send(m)

def start(port):
    global dev
    dev = pyrus.usb.connect("127.0.0.1", int(port), on_event)
"#,
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let phrase = Midi::examples();
    let server = serve(listener, phrase.clone(), phrase.len());
    let mut p = Patch::new();
    let o = p.pyrus("py", "usbecho.start -detach 1");
    p.quit_after(o, 0, "disconnected", 1);
    p.start(&[("py", &port.to_string())]);
    let t = run_with(&dir, "usbscript", &p, &["-realtime"]);
    let expected: Vec<String> = std::iter::once("connected 4617 28793 pyrus Virtual MIDI HID".to_string())
        .chain(phrase.iter().map(|m| Event::Midi { cable: 0, msg: m.clone() }.to_message().to_string()))
        .chain(["hid 9 2 1".to_string(), "hid 1 48 7".to_string(), "disconnected".to_string()])
        .collect();
    assert_eq!(t.printed("py"), expected, "{}", t.text());
    assert_eq!(server.join().unwrap(), phrase, "what the device received from the script");
    assert!(t.errors().is_empty(), "{}", t.text());
}

/// `devices` lists what libusb sees here (in CI: usually nothing), one
/// `device ...` message each, then `devices N` on the status outlet.
#[test]
fn devices_lists_one_message_per_device_then_the_count() {
    let dir = test_dir("usbdevices");
    let mut p = Patch::new();
    let o = p.object_with_prints("u", "pyrus.usb", 2);
    p.quit_after(o, 1, "devices", 1);
    p.quit_after(o, 1, "error", 1);
    p.start(&[("u", "devices")]);
    let t = run_with(&dir, "usbdevices", &p, &["-realtime"]);
    let status = t.printed("u-status");
    let listed = t.printed("u");
    println!("devices here: {listed:?} {status:?}");
    assert_eq!(status, [format!("devices {}", listed.len())], "{}", t.text());
    assert!(listed.iter().all(|d| d.starts_with("device ") && d.split(' ').count() >= 5), "{listed:?}");
}

/// `[pyrus.usb]`'s flags take 0 or 1 as `[pyrus]`'s switches do: `-raw 1`
/// adds whole HID `report`s (and raw MIDI bytes), `-raw -raw 0` ends with it
/// off; neither is an error.
#[test]
fn usb_flags_take_a_value() {
    let dir = test_dir("usbflags");
    let phrase = Midi::examples();
    let mut p = Patch::new();
    let mut connects = Vec::new();
    let mut servers = Vec::new();
    let mut objects = Vec::new();
    for (name, flags) in [("on", "-raw 1 -reconnect 0"), ("off", "-raw -raw 0")] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        connects.push(format!("connect 127.0.0.1 {}", listener.local_addr().unwrap().port()));
        servers.push(serve(listener, phrase.clone(), phrase.len()));
        // MIDI goes back to the device, which unplugs once it has it all.
        let o = p.object_with_prints(name, &format!("pyrus.usb {flags}"), 2);
        let route = p.obj("route hid raw report");
        p.connect(o, 0, route, 0);
        p.connect(route, 3, o, 0);
        objects.push(o);
    }
    // One device after the other, then quit.
    let (on, off) = (objects[0], objects[1]);
    let route = p.obj("route disconnected");
    let next = p.msg(&format!("; off {}", connects[1]));
    p.connect(on, 1, route, 0);
    p.connect(route, 0, next, 0);
    p.quit_after(off, 1, "disconnected", 1);
    p.start(&[("on", connects[0].as_str())]);
    let t = run_with(&dir, "usbflags", &p, &["-realtime"]);
    for server in servers {
        assert_eq!(server.join().unwrap(), phrase, "{}", t.text());
    }
    assert!(t.errors().is_empty(), "{}", t.text());
    assert!(t.printed("on").iter().any(|e| e == "report 1 2 7"), "the HID report, raw: {}", t.text());
    let raw = |e: &String| e.starts_with("raw ") || e.starts_with("report ");
    assert!(!t.printed("off").iter().any(raw), "{}", t.text());
    assert_eq!(t.printed("off").len(), phrase.len() + 2, "every event, no raw bytes: {}", t.text());
}
