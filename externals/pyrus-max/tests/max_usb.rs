//! `[pyrus.usb]` and `pyrus.usb` in the fake-max kernel, against the
//! built-in demo device and against a virtual USB MIDI + HID device that the
//! test serves over usbredir on loopback (the test plays the device; the
//! kernel is the guest).

mod support;
use pyrus_usb::midi::MidiDecoder;
use pyrus_usb::virtual_device::VirtualDevice;
use pyrus_usb::{Event, Midi};
use std::net::TcpListener;
use std::ops::ControlFlow;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use support::*;

const CONNECTED: &str = "connected 4617 28793 pyrus Virtual MIDI HID";

/// What the demo device plays (a sample of every kind of event).
const DEMO: [&str; 16] = [
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
];

/// A kernel with `pyrus.usb.so` loaded alone (it can be the first object).
fn usb_kernel(name: &str) -> Max {
    let mut m = Max::bare(name, &[]);
    m.load("pyrus.usb.so");
    m
}

#[test]
fn the_demo_device_plays_every_kind_of_event() {
    let mut m = usb_kernel("usbdemo");
    m.new_object("u", "pyrus.usb");
    m.send("u", 0, "demo");
    m.until("disconnected", |m| m.outlet("u", 1).iter().any(|s| s == "disconnected"));
    let events = m.outlet("u", 0);
    for expected in DEMO {
        assert!(events.iter().any(|e| e == expected), "{expected} missing: {}", m.text());
    }
    assert_eq!(m.outlet("u", 1), [CONNECTED, "disconnected"], "{}", m.text());
    assert!(m.outs("u").iter().all(|o| o.thread == "sched"), "events drain on the scheduler thread: {}", m.text());
    assert!(m.assist("u", "in", 0).starts_with("open VID PID"), "{}", m.text());
    assert!(m.assist("u", "out", 0).starts_with("the device's events"), "{}", m.text());
    assert!(m.assist("u", "out", 1).starts_with("status: connected VID PID"), "{}", m.text());
    m.quit();
}

/// `pyrus.usb.so` and `pyrus.so` in one kernel share one Python.
#[test]
fn both_externals_share_one_runtime() {
    let mut m = usb_kernel("usbboth");
    m.load("pyrus.so");
    m.new_object("u", "pyrus.usb");
    m.new_object("py", "pyrus");
    m.send("u", 0, "bleep 1");
    m.send("py", 0, "eval 1 + 1");
    m.until_outs("u", 1);
    m.until_outs("py", 1);
    assert!(m.outlet("u", 1)[0].starts_with("error 'bleep' is no MIDI message"), "{}", m.text());
    assert_eq!(m.outlet("py", 0), ["int 2"]);
    let banner = format!("pyrus {} for Max: Python 3.", env!("CARGO_PKG_VERSION"));
    let banners = m.posts().iter().filter(|l| l.starts_with(&banner)).count();
    assert_eq!(banners, 1, "one library, one Python: {}", m.text());
    m.quit();
}

#[test]
fn a_script_gets_the_demo_devices_events() {
    let script = "import pyrus\n\
dev = None\n\
def on_event(m):\n\
\x20   pyrus.out(m)\n\
def start():\n\
\x20   global dev\n\
\x20   dev = pyrus.usb.demo(on_event)\n";
    let mut m = with_scripts("usbscriptdemo", &[("usbdemo.py", script)]);
    m.new_object("py", "pyrus usbdemo.start");
    m.send("py", 0, "bang");
    m.until("disconnected", |m| m.outlet("py", 0).iter().any(|s| s == "disconnected"));
    let events = m.outlet("py", 0);
    assert_eq!(events.first().map(String::as_str), Some(CONNECTED), "{}", m.text());
    for expected in DEMO {
        assert!(events.iter().any(|e| e == expected), "{expected} missing: {}", m.text());
    }
    assert!(m.errors().is_empty(), "{}", m.text());
    m.quit();
}

#[test]
fn bad_input_is_reported_and_the_object_keeps_working() {
    let mut m = usb_kernel("usbbad");
    m.new_object("u", "pyrus.usb");
    m.cmds(&[
        "send u 0 note 1 60",
        "send u 0 note 17 60 1",
        "send u 0 sysex 240 200 247",
        "send u 0 open",
        "send u 0 note 1 60 100",
        "send u 0 connect 127.0.0.1 1",
    ]);
    m.until_outlet("u", 1, 6);
    let status = m.outlet("u", 1);
    assert!(status[0].contains("note takes 3 numbers"), "{status:?}");
    assert!(status[1].contains("channel must be a whole number from 1 to 16"), "{status:?}");
    assert!(status[2].contains("data bytes below 128"), "{status:?}");
    assert!(status[3].contains("open takes VID PID, VID:PID"), "{status:?}");
    // These two come back from the device thread, in order.
    assert!(status[4].contains("no device is open"), "{status:?}");
    assert!(status[5].contains("refused"), "{status:?}");
    assert_eq!(m.errors().len(), 6, "each in the Max window too: {}", m.text());
    m.quit();
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

/// Every event that comes in goes straight back out to the device: the
/// test plays the patch cord, sending each MIDI event it reads back into
/// the object (on the main thread, and every other one on the scheduler
/// thread), until the device, having got them all, unplugs.
#[test]
fn every_midi_message_in_and_out_over_usbredir() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let phrase = Midi::examples();
    let server = serve(listener, phrase.clone(), phrase.len());
    let mut m = usb_kernel("usbredir");
    m.new_object("u", "pyrus.usb");
    m.send("u", 0, &format!("connect 127.0.0.1 {port}"));
    let mut back = 0;
    loop {
        let out = Out::parse(&m.expect_prefix("out u ")).unwrap();
        if out.outlet == 1 && out.message == "disconnected" {
            break;
        }
        if out.outlet == 0 && !out.message.starts_with("hid ") {
            if back % 2 == 0 {
                m.send("u", 0, &out.message);
            } else {
                m.sched("u", 0, &out.message);
            }
            back += 1;
        }
    }
    let expected: Vec<String> = phrase
        .iter()
        .map(|m| Event::Midi { cable: 0, msg: m.clone() }.to_message().to_string())
        .chain(["hid 9 2 1".to_string(), "hid 1 48 7".to_string()])
        .collect();
    assert_eq!(m.outlet("u", 0), expected, "{}", m.text());
    // Each thread's messages reach the device in the order it sent them
    // (the two threads' messages interleave as they ran).
    let received = server.join().unwrap();
    assert_eq!(received.len(), phrase.len(), "what the device received from the kernel: {received:?}");
    for parity in [0, 1] {
        let sent: Vec<&Midi> = phrase.iter().skip(parity).step_by(2).collect();
        let got: Vec<&Midi> = received.iter().filter(|m| sent.contains(m)).collect();
        assert_eq!(got, sent, "from the {} thread", ["main", "scheduler"][parity]);
    }
    assert_eq!(m.outlet("u", 1), [CONNECTED, "disconnected"], "{}", m.text());
    m.quit();
}

/// The same round trip from a script (`pyrus.usb`): a detached object
/// connects, its callback (on a worker) sends every event out of the object
/// and every MIDI message back to the device.
#[test]
fn a_script_gets_every_event_and_sends_midi_back_over_usbredir() {
    let script = r#"
import pyrus

dev = None

def on_event(m):
    pyrus.out(m)
    if m.selector not in ("connected", "disconnected", "hid"):
        dev.send(m)

def start(port):
    global dev
    dev = pyrus.usb.connect("127.0.0.1", int(port), on_event)
"#;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let phrase = Midi::examples();
    let server = serve(listener, phrase.clone(), phrase.len());
    let mut m = with_scripts("usbscript", &[("usbecho.py", script)]);
    m.new_object("py", "pyrus usbecho.start @detach 1");
    m.send("py", 0, &format!("int {port}"));
    m.until("disconnected", |m| m.outlet("py", 0).iter().any(|s| s == "disconnected"));
    let expected: Vec<String> = std::iter::once(CONNECTED.to_string())
        .chain(phrase.iter().map(|m| Event::Midi { cable: 0, msg: m.clone() }.to_message().to_string()))
        .chain(["hid 9 2 1".to_string(), "hid 1 48 7".to_string(), "disconnected".to_string()])
        .collect();
    assert_eq!(m.outlet("py", 0), expected, "{}", m.text());
    assert_eq!(server.join().unwrap(), phrase, "what the device received from the script");
    assert!(m.errors().is_empty(), "{}", m.text());
    m.quit();
}

/// Freeing `[pyrus.usb]` while the demo streams, then quitting while
/// another one is connected (listening).
#[test]
fn freeing_while_events_stream_and_quitting_while_connected() {
    let mut m = usb_kernel("usbfree");
    m.load("pyrus.so");
    m.new_object("victim", "pyrus.usb");
    m.new_object("still", "pyrus.usb");
    m.new_object("other", "pyrus");
    let free = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    m.send("still", 0, &format!("listen {free}"));
    m.send("victim", 0, "demo");
    m.expect_out("victim", 0);
    m.cmd("free victim");
    m.sync("other");
    let freed = m.lines.len();
    m.cmd("wait 200");
    m.sync("other");
    assert!(!m.lines[freed..].iter().any(|l| l.starts_with("out victim ")), "nothing after free: {}", m.text());
    let ended = m.quit_within(Duration::from_secs(10));
    println!("quit with a device listening in {:?}", ended.took);
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
                for m in &phrase {
                    link.device.play(0, m).unwrap();
                }
                link.device.disconnect().unwrap();
                ControlFlow::Break(())
            });
        }
    })
}

/// `@reconnect 1`: a peer absent at first, or gone, is connected when it
/// comes back (tried every second). The device comes only once the first
/// try was refused, as the status outlet says.
#[test]
fn with_reconnect_a_peer_absent_at_first_or_gone_is_connected_when_it_returns() {
    // A port nobody listens on yet: the first connect is refused.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut m = usb_kernel("usbreconnect");
    m.new_object("u", "pyrus.usb @reconnect 1");
    m.send("u", 0, &format!("connect 127.0.0.1 {port}"));
    let refused = m.expect_out("u", 1).message;
    assert!(
        refused.starts_with(&format!("error connecting to 127.0.0.1:{port}: Connection refused"))
            && refused.ends_with("(trying again every second)"),
        "{refused}"
    );
    let first = vec![Midi::Note { ch: 1, pitch: 60, vel: 100 }];
    let second = vec![Midi::Note { ch: 2, pitch: 62, vel: 101 }];
    let server = serve_sessions(TcpListener::bind(("127.0.0.1", port)).unwrap(), vec![first, second]);
    m.until("two sessions", |m| m.outlet("u", 1).iter().filter(|s| *s == "disconnected").count() >= 2);
    server.join().unwrap();
    assert_eq!(m.outlet("u", 0), ["note 1 60 100", "note 2 62 101"], "{}", m.text());
    let status = m.outlet("u", 1);
    assert_eq!(status[1..], [CONNECTED, "disconnected", CONNECTED, "disconnected"], "{}", m.text());
    m.quit();
}
