//! Scripts' USB devices (`pyrus.usb`) against the recording `TestHost`, real
//! CPython, the real worker pool and the built-in virtual device (the demo,
//! served over loopback usbredir). The tests share one mailbox and one
//! scheduler-side registry, so they run one at a time.

use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::test_host::{self, options, outlet, serve_until, words, Event, TestHost};
use pyrus_engine::{Object, Options, UsbObject, UsbOptions};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Opens the demo; the callback sends each event out and notes the thread
/// it ran on; `tid` says which thread is the scheduler's.
const SCRIPT: &str = r#"
import threading
import pyrus

dev = None
threads = set()

def on_event(m):
    threads.add(threading.get_native_id())
    if m.selector == "note" and m.args == (1, 60, 90):
        raise ValueError("a callback that fails")
    pyrus.out(m)

def start(how="demo"):
    global dev
    threads.clear()
    dev = pyrus.usb.demo(on_event) if how == "demo" else pyrus.usb.open(how, on_event)

def close():
    dev.close()

def tid():
    return threading.get_native_id()

def seen():
    return sorted(threads)
"#;

fn setup() -> PathBuf {
    test_host::script_dir("usbscripts", &[("usbs.py", SCRIPT)])
}

fn disconnected(events: &[Event]) -> bool {
    outlet(events, 0).iter().any(|e| e == "disconnected")
}

/// The scheduler thread's id as Python sees it, and the threads the
/// callback ran on.
fn threads(dir: &std::path::Path) -> (String, String) {
    let (host, ctx) = test_host::context(TestHost::new());
    Object::new(&ctx, host.clone(), &words("usbs.tid"), Options::default(), Some(dir)).message(0, &Message::Bang);
    Object::new(&ctx, host.clone(), &words("usbs.seen"), Options::default(), Some(dir)).message(0, &Message::Bang);
    let mut out = host.take_outlet(0);
    (out.remove(0), out.remove(0))
}

/// One test at a time; the scheduler thread's GIL lease ends with the test,
/// also when it fails (else the next test would wait for the GIL forever).
fn one_at_a_time() -> (EndLease, std::sync::MutexGuard<'static, ()>) {
    (EndLease, ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner()))
}

struct EndLease;

impl Drop for EndLease {
    fn drop(&mut self) {
        pyrus_engine::gil::end_lease();
    }
}

/// The demo's events reach the callback in order, with [pyrus.usb]'s fields,
/// on the thread where the object's calls run; a failing callback is
/// reported and the next event still comes. `-queue 1`: device jobs are
/// never refused (the device's own queue bounds them).
fn demo_in_mode(detach: &str) -> (Vec<String>, Vec<Event>, (String, String)) {
    let dir = setup();
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(
        &ctx,
        host.clone(),
        &words("usbs.start"),
        options(&[("detach", detach.parse().expect("a number")), ("queue", 1.0)]),
        Some(&dir),
    );
    o.message(0, &Message::Bang);
    let events = serve_until(&ctx, &host, disconnected);
    let seen = threads(&dir);
    (outlet(&events, 0), events, seen)
}

/// What the demo device plays, as `[pyrus.usb]` (the engine's object) sends
/// it out: the reference the scripts' events must match.
fn demo_reference() -> Vec<String> {
    let (host, ctx) = test_host::context(TestHost::with_service());
    let u = UsbObject::new(&ctx, host.clone(), UsbOptions::default());
    u.message(&Message::Anything(Cow::Borrowed("demo"), Cow::Borrowed(&[])));
    let events = serve_until(&ctx, &host, |e| outlet(e, 1).iter().any(|m| m == "disconnected"));
    outlet(&events, 0)
}

fn check_demo(got: &[String], events: &[Event]) {
    assert_eq!(got.first().map(String::as_str), Some("connected 4617 28793 pyrus Virtual MIDI HID"), "{events:?}");
    assert_eq!(got.last().map(String::as_str), Some("disconnected"));
    let mut reference = demo_reference();
    assert!(reference.len() > 20, "{reference:?}");
    let failed = reference.iter().position(|m| m == "note 1 60 90").expect("the demo plays note 1 60 90");
    reference.remove(failed);
    assert_eq!(got[1..got.len() - 1], reference, "every event, in order, but the one whose callback failed");
    let errors: Vec<&Event> = events.iter().filter(|e| matches!(e, Event::Error(_))).collect();
    assert!(
        errors.iter().any(|e| matches!(e, Event::Error(t) if t.contains("pyrus.usb callback, note 1 60 90"))),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| matches!(e, Event::Error(t) if t.contains("ValueError: a callback that fails"))));
}

#[test]
fn detach_0_runs_the_callback_on_the_scheduler_thread() {
    let _one = one_at_a_time();
    let (got, events, (scheduler, seen)) = demo_in_mode("0");
    check_demo(&got, &events);
    assert_eq!(seen, scheduler, "one thread, the scheduler's");
}

#[test]
fn detach_1_runs_the_callback_on_a_worker_in_order() {
    let _one = one_at_a_time();
    let (got, events, (scheduler, seen)) = demo_in_mode("1");
    check_demo(&got, &events);
    assert!(!seen.is_empty() && !seen.split(' ').any(|t| t == scheduler), "{seen} vs {scheduler}");
}

#[test]
fn detach_2_keeps_a_devices_events_in_order() {
    let _one = one_at_a_time();
    let (got, events, _) = demo_in_mode("2");
    check_demo(&got, &events);
}

/// A `detach 0` object whose script opened the demo, once it is connected.
fn demo_connected() -> (Arc<TestHost>, pyrus_engine::Context, Object) {
    let dir = setup();
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &words("usbs.start"), Options::default(), Some(&dir));
    o.message(0, &Message::Bang);
    serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m.starts_with("connected")));
    (host, ctx, o)
}

/// The script keeps its device in a global, but deleting the object closes
/// it: the device (a virtual one on loopback, playing a note every 5 ms
/// until the guest hangs up) sees the connection close.
#[test]
fn deleting_the_object_closes_its_device_and_nothing_more_arrives() {
    use pyrus_usb::virtual_device::{Served, VirtualDevice};
    use pyrus_usb::Midi;
    use std::ops::ControlFlow;
    let _one = one_at_a_time();
    let dir = setup();
    std::fs::write(
        dir.join("usbkeep.py"),
        "import pyrus\ndev = None\ndef start(port):\n    global dev\n    \
         dev = pyrus.usb.connect('127.0.0.1', int(port), pyrus.out)\n",
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let device = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
        let start = Instant::now();
        let served = dev.serve(&mut s, |link| {
            if link.device.streaming() {
                link.device.play(0, &Midi::Note { ch: 1, pitch: 60, vel: 1 }).unwrap();
            }
            match start.elapsed() > Duration::from_secs(10) {
                true => ControlFlow::Break(()),
                false => ControlFlow::Continue(Duration::from_millis(5)),
            }
        });
        served.unwrap()
    });
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &words("usbkeep.start"), Options::default(), Some(&dir));
    o.message(0, &Message::Float(port.into()));
    serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m == "note 1 60 1"));
    drop(o);
    assert_eq!(device.join().unwrap(), Served::PeerClosed, "the device was closed (within 10 s)");
    // What the device sent before it closed, and anything still in flight, is discarded.
    let start = Instant::now();
    while ctx.has_work() && start.elapsed() < Duration::from_secs(5) {
        ctx.service();
        std::thread::yield_now();
    }
    ctx.service();
    assert_eq!(host.take(), [], "nothing after deletion");
}

#[test]
fn close_says_closed_and_bad_calls_raise_clear_errors() {
    let _one = one_at_a_time();
    let (host, ctx, o) = demo_connected();
    let eval = |code: &str| {
        let args = [Atom::Symbol(Cow::Owned(code.to_owned()))];
        o.message(0, &Message::Anything(Cow::Borrowed("exec"), Cow::Borrowed(&args)));
    };
    eval("import usbs, pyrus");
    eval("usbs.dev.send('note', 1, 60)");
    eval("usbs.dev.send(pyrus.Message('clock'))");
    eval("usbs.dev.send(7)");
    eval("pyrus.usb.demo(42)");
    eval("pyrus.usb.open('nonsense:words:here', print)");
    eval("usbs.dev.close()");
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m == "closed"));
    let status = outlet(&events, 1);
    assert!(status[0].starts_with("error ValueError note takes 3 numbers, not 2"), "{status:?}");
    assert!(status[1].starts_with("error ValueError send takes a MIDI message"), "{status:?}");
    assert!(status[2].starts_with("error TypeError the callback must be callable"), "{status:?}");
    assert!(status[3].starts_with("error ValueError"), "{status:?}");
    assert_eq!(status.len(), 4, "the clock went out without complaint: {status:?}");
    eval("usbs.dev.send('clock')");
    let status = host.take_outlet(1);
    assert!(status[0].starts_with("error RuntimeError demo is closed"), "{status:?}");
    let args = [Atom::Symbol(Cow::Borrowed("repr(usbs.dev)"))];
    o.message(0, &Message::Anything(Cow::Borrowed("eval"), Cow::Borrowed(&args)));
    assert_eq!(host.take_outlet(0), ["symbol <pyrus.usb.Device demo (closed)>"]);
}

#[test]
fn the_callback_of_a_class_instance_can_use_its_outlets() {
    let _one = one_at_a_time();
    let dir = setup();
    std::fs::write(
        dir.join("usbclass.py"),
        "import pyrus\nclass Dev(pyrus.Object):\n    outlets = 2\n    def in_0_bang(self):\n        \
         self.dev = pyrus.usb.demo(self.event)\n    def event(self, m):\n        \
         self.out(1 if m.selector in ('connected', 'disconnected') else 0, m)\n",
    )
    .unwrap();
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &words("usbclass.Dev"), options(&[("detach", 1.0)]), Some(&dir));
    o.message(0, &Message::Bang);
    let events = serve_until(&ctx, &host, |e| outlet(e, 1).iter().any(|m| m == "disconnected"));
    assert_eq!(outlet(&events, 1), ["connected 4617 28793 pyrus Virtual MIDI HID", "disconnected"]);
    assert_eq!(outlet(&events, 0), demo_reference());
}

#[test]
fn devices_lists_local_devices_or_says_why_not() {
    let _one = one_at_a_time();
    let dir = setup();
    std::fs::write(
        dir.join("usblist.py"),
        "import pyrus\ndef rows():\n    try:\n        found = pyrus.usb.devices()\n    except RuntimeError as e:\n        \
         return str(e)\n    assert all(len(r) == 5 and r[2] in ('midi', 'hid', 'midi,hid', '-') for r in found), found\n    \
         return pyrus.Message('found', len(found))\n",
    )
    .unwrap();
    let (host, ctx) = test_host::context(TestHost::new());
    Object::new(&ctx, host.clone(), &words("usblist.rows"), Options::default(), Some(&dir)).message(0, &Message::Bang);
    let events = host.take();
    let out = outlet(&events, 0);
    println!("pyrus.usb.devices() here: {out:?}");
    // What libusb itself says here decides which answer is right.
    match pyrus_usb::local::list() {
        Ok(found) => assert_eq!(out, [format!("found {}", found.len())], "{events:?}"),
        Err(e) => {
            assert_eq!(out.len(), 1, "{events:?}");
            assert!(out[0].starts_with("symbol listing\\ devices:"), "libusb says {e}: {events:?}");
        }
    }
}

/// A flood into a `detach 0` callback: every note arrives, in order, and no
/// service pass runs more than a budget of them (the patch keeps its ticks).
#[test]
fn a_flood_into_a_scheduler_callback_is_carried_a_budget_per_pass() {
    use pyrus_usb::virtual_device::VirtualDevice;
    use pyrus_usb::Midi;
    use std::ops::ControlFlow;
    const NOTES: u32 = 20_000;
    let _one = one_at_a_time();
    let dir = setup();
    std::fs::write(
        dir.join("usbflood.py"),
        "import pyrus\ndev = None\nnotes = []\ndef on_event(m):\n    if m.selector == 'note':\n        \
         notes.append(m.args[1] * 128 + m.args[2])\n    pyrus.out(m.selector)\ndef start(port):\n    global dev\n    \
         dev = pyrus.usb.connect('127.0.0.1', port, on_event)\ndef in_order():\n    \
         return len(notes) if notes == [n % 16384 for n in range(len(notes))] else -1\n",
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let device = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
        dev.serve(&mut s, |link| {
            if !link.device.streaming() {
                return ControlFlow::Continue(Duration::from_millis(5));
            }
            for n in 0..NOTES {
                let (pitch, vel) = (((n / 128) % 128) as u8, (n % 128) as u8);
                link.device.play(0, &Midi::Note { ch: 1, pitch, vel }).unwrap();
            }
            link.device.disconnect().unwrap();
            ControlFlow::Break(())
        })
        .unwrap();
    });
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &words("usbflood.start"), Options::default(), Some(&dir));
    o.message(0, &Message::Float(port.into()));
    let (mut most, mut events) = (0, Vec::new());
    let start = Instant::now();
    while !outlet(&events, 0).iter().any(|m| m == "symbol disconnected") && start.elapsed() < Duration::from_secs(20) {
        ctx.service();
        let pass = host.take();
        most = most.max(pass.len());
        events.extend(pass);
        std::thread::sleep(Duration::from_millis(1));
    }
    device.join().unwrap();
    let notes = outlet(&events, 0).iter().filter(|m| *m == "symbol note").count();
    assert_eq!(notes, NOTES as usize, "every note (the queue holds 65,536): {:?}", &events[..5]);
    println!("{NOTES} notes, at most {most} in one service pass");
    assert!(most <= pyrus_engine::usb::BUDGET, "a pass carried {most} events");
    let check = Object::new(&ctx, host.clone(), &words("usbflood.in_order"), Options::default(), Some(&dir));
    check.message(0, &Message::Bang);
    assert_eq!(host.take_outlet(0), [NOTES.to_string()], "in order");
}

/// Live coding: a module that opens its device at import opens a new one on
/// reload, and the old one (dropped with the rebinding) is heard no more.
#[test]
fn reload_replaces_a_device_the_module_opened_at_import() {
    let _one = one_at_a_time();
    let dir = setup();
    std::fs::write(
        dir.join("usbreload.py"),
        "import pyrus\ngeneration = globals().get('generation', 0) + 1\n\ndef make(g):\n    \
         return lambda m: pyrus.out(pyrus.Message(m.selector, g))\n\n\
         dev = pyrus.usb.demo(make(generation))\n\ndef f():\n    pass\n",
    )
    .unwrap();
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &words("usbreload.f"), Options::default(), Some(&dir));
    serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m == "note 1"));
    o.message(0, &Message::Anything(Cow::Borrowed("reload"), Cow::Borrowed(&[])));
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m == "disconnected 2"));
    let after: Vec<String> = outlet(&events, 0).into_iter().skip_while(|m| !m.ends_with(" 2")).collect();
    assert_eq!(after.first().map(String::as_str), Some("connected 2"), "{events:?}");
    assert!(after.iter().all(|m| m.ends_with(" 2")), "the first device fell silent: {after:?}");
}

/// `stop` drops a detached object's pending jobs, a device's job among them:
/// the device must be handed over again, so its callback still runs (it
/// used to stay marked as handed over, and its callback never ran again).
/// The test's own virtual device plays one note, then another on request.
#[test]
fn stop_dropping_a_pending_device_job_leaves_the_callback_working() {
    use pyrus_usb::virtual_device::VirtualDevice;
    use pyrus_usb::Midi;
    use std::ops::ControlFlow;
    let _one = one_at_a_time();
    let dir = setup();
    std::fs::write(
        dir.join("usbstop.py"),
        "import pyrus\ndev = None\ndef on_event(m):\n    pyrus.out(m.selector)\ndef start(port):\n    global dev\n    \
         dev = pyrus.usb.connect('127.0.0.1', port, on_event)\ndef spin():\n    while True:\n        pass\n",
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (play, next) = std::sync::mpsc::channel::<()>();
    let device = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
        let mut played = false;
        let _ = dev.serve(&mut s, |link| {
            if !link.device.streaming() {
                return ControlFlow::Continue(Duration::from_millis(2));
            }
            let note = |pitch| Midi::Note { ch: 1, pitch, vel: 100 };
            if !played {
                played = true;
                link.device.play(0, &note(60)).unwrap();
            }
            match next.try_recv() {
                Ok(()) => link.device.play(0, &note(61)).unwrap(),
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return ControlFlow::Break(()),
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
            }
            ControlFlow::Continue(Duration::from_millis(2))
        });
    });
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &words("usbstop"), options(&[("detach", 1.0)]), Some(&dir));
    let call = |text: &str| o.message(0, &Message::Anything(Cow::Borrowed("call"), Cow::Owned(words(text))));
    call(&format!("usbstop.start {port}"));
    serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m == "symbol note"));
    // A call that runs until stopped: the device's next job waits behind it.
    call("usbstop.spin");
    let asked = host.service_requests();
    play.send(()).unwrap();
    // Each job queued asks for service: the device's job is queued now.
    let start = Instant::now();
    while host.service_requests() == asked {
        assert!(start.elapsed() < Duration::from_secs(10), "the device's second note never came");
        ctx.service();
        std::thread::sleep(Duration::from_millis(1));
    }
    o.message(0, &Message::Anything(Cow::Borrowed("stop"), Cow::Borrowed(&[])));
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m == "symbol note"));
    assert!(outlet(&events, 1).contains(&"stopped".to_owned()), "{events:?}");
    drop(play);
    drop(o);
    device.join().unwrap();
}

/// A callback's return value leaves outlet 0, as a call's result does; with
/// no data outlet (`outlets = 0`) it is an error, never status.
#[test]
fn a_callbacks_return_value_leaves_outlet_0_or_is_an_error_without_outlets() {
    let _one = one_at_a_time();
    let dir = setup();
    std::fs::write(
        dir.join("usbret.py"),
        "import pyrus\ndev = None\ndef start():\n    global dev\n    dev = pyrus.usb.demo(lambda m: m.selector)\n\
         class Mute(pyrus.Object):\n    outlets = 0\n    def in_0_bang(self):\n        \
         self.dev = pyrus.usb.demo(lambda m: m.selector)\n",
    )
    .unwrap();
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &words("usbret.start"), Options::default(), Some(&dir));
    o.message(0, &Message::Bang);
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m == "symbol disconnected"));
    assert_eq!(outlet(&events, 0).first().map(String::as_str), Some("symbol connected"), "{events:?}");
    let (mute_host, mute_ctx) = test_host::context(TestHost::with_service());
    let mute = Object::new(&mute_ctx, mute_host.clone(), &words("usbret.Mute"), Options::default(), Some(&dir));
    assert_eq!(mute.outlet_count(), 1, "only the status outlet");
    mute.message(0, &Message::Bang);
    let events = serve_until(&mute_ctx, &mute_host, |e| {
        outlet(e, 0).iter().any(|m| m.contains("the result 'disconnected' has nowhere to go"))
    });
    let status = outlet(&events, 0);
    assert!(status.iter().all(|m| m.starts_with("error ValueError pyrus.usb callback, ")), "{status:?}");
}
