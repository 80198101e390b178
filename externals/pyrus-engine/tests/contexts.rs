//! Engine contexts and host threads: two contexts in one process, each
//! serviced by its own thread (libpd's multi-instance), and two host threads
//! of one context calling the same objects at once (Max's main and
//! scheduler threads). Real CPython and the real worker pool.

use pyrus_engine::atoms::Message;
use pyrus_engine::test_host::{self, outlet, words, Event, TestHost};
use pyrus_engine::{Context, Detach, Object, Options, Outlets};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

fn setup(name: &str, script: &str) -> PathBuf {
    test_host::script_dir(&format!("contexts-{name}"), &[(&format!("{name}.py"), script)])
}

/// An upper bound on hangs only: every test here ends in well under a second
/// of work; a lost delivery or a deadlock waits for ever.
const HANG: Duration = Duration::from_secs(60);

const TAG: &str = "def f(tag, x):\n    return '%s-%d' % (tag, x)\n";

/// One libpd-style instance: its context, made and serviced on its own
/// thread, with one object of each mode, each with outlets of its own.
/// Returns what each object's outlets recorded, and the calls any of the
/// instance's hosts got from another thread.
fn instance(name: &'static str, dir: &Path, n: usize) -> (Vec<(String, Vec<Event>)>, usize) {
    let (console, ctx) = test_host::context(TestHost::with_service());
    console.pin_to_this_thread();
    let objects: Vec<(String, Arc<TestHost>, Object)> = [Detach::Sync, Detach::Serial, Detach::Concurrent]
        .into_iter()
        .map(|detach| {
            let tag = format!("{name}-{}", detach as u8);
            let outlets = Arc::new(TestHost::new());
            outlets.pin_to_this_thread();
            let target = format!("tag.f {tag}");
            let options = Options { detach, queue: n, ..Options::default() };
            let o = Object::new(&ctx, outlets.clone(), &words(&target), options, Some(dir));
            (tag, outlets, o)
        })
        .collect();
    for i in 0..n {
        for (_, _, o) in &objects {
            o.message(0, &Message::Float(i as f64));
        }
    }
    let mut seen: Vec<(String, Vec<Event>)> = objects.iter().map(|(tag, _, _)| (tag.clone(), Vec::new())).collect();
    let start = Instant::now();
    loop {
        let more = ctx.service();
        for ((_, outlets, _), (_, events)) in objects.iter().zip(&mut seen) {
            events.extend(outlets.take());
        }
        let done = seen.iter().enumerate().all(|(mode, (_, events))| {
            outlet(events, 0).len() == n
                && (mode == 0 || outlet(events, 1).last().map(String::as_str) == Some("busy 0"))
        });
        if done {
            break;
        }
        assert!(start.elapsed() < HANG, "{name}: timed out; so far {seen:?}");
        // A tick, or sooner if the engine wakes this instance.
        if more {
            console.wait_for_wake(Duration::from_millis(1));
        } else {
            console.wait_for_wake(HANG);
        }
    }
    let foreign =
        console.foreign_calls() + objects.iter().map(|(_, outlets, _)| outlets.foreign_calls()).sum::<usize>();
    // Deleting a `detach 0` object is a call of its own: the service the
    // host then promised ends this thread's lease.
    drop(objects);
    ctx.service();
    (seen, foreign)
}

#[test]
fn two_contexts_each_serviced_by_its_own_thread_keep_their_own_objects() {
    let dir = setup("tag", TAG);
    let n = 2000;
    let threads: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let dir = dir.clone();
            (name, std::thread::spawn(move || instance(name, &dir, n)))
        })
        .collect();
    for (name, thread) in threads {
        let (seen, foreign) = thread.join().expect("the instance's thread ends");
        assert_eq!(foreign, 0, "{name}: host calls from another thread than the instance's");
        for (mode, (tag, events)) in seen.iter().enumerate() {
            let mut got = outlet(events, 0);
            let want: Vec<String> = (0..n).map(|i| format!("symbol {tag}-{i}")).collect();
            // Serial and synchronous calls keep their order; concurrent ones
            // come in completion order, each exactly once.
            if mode == 2 {
                got.sort();
                let mut want = want.clone();
                want.sort();
                assert_eq!(got, want, "{tag}");
            } else {
                assert_eq!(got, want, "{tag}");
            }
            let status = outlet(events, 1);
            let expected: &[&str] = if mode == 0 { &[] } else { &["busy 1", "busy 0"] };
            assert_eq!(status, expected, "{tag}: {events:?}");
            assert!(!events.iter().any(|e| matches!(e, Event::Error(_))), "{tag}: {events:?}");
        }
    }
}

const OVERLAP: &str = "\
import time
inside = {}
def guard(name, n):
    inside[name] = inside.get(name, 0) + 1
    try:
        if inside[name] != 1:
            raise RuntimeError('%d calls of %s at once' % (inside[name], name))
        time.sleep(0)  # releases the GIL: the other host thread may run now
        return n
    finally:
        inside[name] -= 1
def ident(n):
    return n
def hop(name, n):
    guard(name, n)
    return n - 1 if n > 0 else None
";

/// Outlets that pass outlet 0 on to another object (a patch cord), and
/// record what else arrives, with the thread it arrived on.
#[derive(Default)]
struct Cord {
    to: OnceLock<Weak<Object>>,
    /// Outlet 0's messages when nothing is connected, per thread, in order.
    received: Mutex<HashMap<ThreadId, Vec<String>>>,
    /// Everything else: status messages and console errors.
    other: Mutex<Vec<String>>,
}

impl Cord {
    fn last_on_this_thread(&self) -> Option<String> {
        let received = self.received.lock().unwrap();
        received.get(&std::thread::current().id()).and_then(|r| r.last().cloned())
    }
}

impl Outlets for Cord {
    fn create(&self, _count: usize) {}

    fn outlet(&self, index: usize, message: &Message<'_>) {
        match (index, self.to.get().and_then(Weak::upgrade)) {
            (0, Some(to)) => to.message(0, message),
            (0, None) => {
                let mut received = self.received.lock().unwrap();
                received.entry(std::thread::current().id()).or_default().push(message.to_string());
            }
            _ => self.other.lock().unwrap().push(format!("outlet {index}: {message}")),
        }
    }

    fn error(&self, text: &str) {
        self.other.lock().unwrap().push(text.to_owned());
    }
}

/// Says that a host thread is done (or failed), when it goes.
struct Done(std::sync::mpsc::Sender<()>);

impl Drop for Done {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// An object of `ctx` speaking through a new `Cord`.
fn corded(ctx: &Context, dir: &Path, args: &str) -> (Arc<Object>, Arc<Cord>) {
    let cord = Arc::new(Cord::default());
    (Arc::new(Object::new(ctx, cord.clone(), &words(args), Options::default(), Some(dir))), cord)
}

#[test]
fn two_host_threads_share_objects_one_call_at_a_time_depth_first_without_deadlock() {
    let dir = setup("overlap", OVERLAP);
    // The GIL released after every call: the host threads interleave as
    // much as they can.
    let (host, ctx) = test_host::context(TestHost::new());
    // A chain X -> Y; a cycle P -> Q -> P; a serial object (one call at a
    // time) and a concurrent one (as many as workers are free, by design).
    let (x, x_cord) = corded(&ctx, &dir, "overlap.guard X");
    let (y, y_cord) = corded(&ctx, &dir, "overlap.guard Y");
    let _ = x_cord.to.set(Arc::downgrade(&y));
    let (p, p_cord) = corded(&ctx, &dir, "overlap.hop P");
    let (q, q_cord) = corded(&ctx, &dir, "overlap.hop Q");
    let _ = p_cord.to.set(Arc::downgrade(&q));
    let _ = q_cord.to.set(Arc::downgrade(&p));
    let n = 300;
    let detached = |detach, target: &str| {
        let options = Options { detach, queue: 4 * n, ..Options::default() };
        Arc::new(Object::new(&ctx, host.clone(), &words(target), options, Some(&dir)))
    };
    let serial = detached(Detach::Serial, "overlap.guard S");
    let concurrent = detached(Detach::Concurrent, "overlap.ident");
    let (done_tx, done) = std::sync::mpsc::channel();
    let hammer = |base: usize, cycle_start: Arc<Object>| {
        let (x, x_cord, y_cord, serial, concurrent) =
            (x.clone(), x_cord.clone(), y_cord.clone(), serial.clone(), concurrent.clone());
        let done = Done(done_tx.clone());
        std::thread::spawn(move || {
            let _done = done;
            for i in 0..n {
                let v = (base + i) as f64;
                // Depth first, here: Y's output of this very message has
                // come out on this thread by the time the call returns.
                x.message(0, &Message::Float(v));
                let said = x_cord.other.lock().unwrap().clone();
                assert_eq!(
                    y_cord.last_on_this_thread(),
                    Some(v.to_string()),
                    "depth first on this thread; X: {said:?}"
                );
                // Into the cycle from this thread's end: P -> Q -> P on one
                // thread while Q -> P -> Q runs on the other.
                cycle_start.message(0, &Message::Float(2.0));
                serial.message(0, &Message::Float(v));
                concurrent.message(0, &Message::Float(v));
            }
        })
    };
    let threads = [hammer(10_000, p.clone()), hammer(20_000, q.clone())];
    for _ in &threads {
        done.recv_timeout(HANG).expect("both host threads finish their calls (a deadlock never does)");
    }
    for t in threads {
        t.join().expect("a host thread's checks held");
    }
    // Every call accounted for: Y got each of the chain's messages on the
    // thread that sent it, in order; the cycle and the detached objects
    // raised no overlap.
    let received = y_cord.received.lock().unwrap().clone();
    let mut per_thread: Vec<Vec<String>> = received.into_values().collect();
    per_thread.sort();
    let expected: Vec<Vec<String>> =
        [10_000, 20_000].iter().map(|base| (0..n).map(|i| (base + i).to_string()).collect()).collect();
    assert_eq!(per_thread, expected);
    for (name, cord) in [("X", &x_cord), ("Y", &y_cord), ("P", &p_cord), ("Q", &q_cord)] {
        assert_eq!(*cord.other.lock().unwrap(), Vec::<String>::new(), "{name}");
    }
    let events = test_host::serve_until(&ctx, &host, |e| {
        outlet(e, 0).len() == 4 * n && outlet(e, 1).iter().filter(|s| *s == "busy 0").count() == 2
    });
    // The pool may say it is at its cap (its workers wait for the GIL the
    // host threads pass around): a console notice of no object, not a failure.
    let failed = |e: &Event| matches!(e, Event::Error(t) if !t.starts_with("pyrus: all "));
    assert!(!events.iter().any(failed), "{events:?}");
    assert!(!outlet(&events, 1).iter().any(|s| s.starts_with("error")), "{events:?}");
    let mut results: Vec<f64> = outlet(&events, 0).iter().map(|s| s.parse().unwrap()).collect();
    results.sort_by(f64::total_cmp);
    let mut want: Vec<f64> = [10_000, 20_000].iter().flat_map(|b| (0..n).map(move |i| (b + i) as f64)).collect();
    want.extend(want.clone());
    want.sort_by(f64::total_cmp);
    assert_eq!(results, want, "each thread's detached calls, once each");
}

/// Max makes objects on its main thread while its scheduler thread services
/// the context. What an object says while being made (`__init__`'s
/// `self.out`) must wait for it, outlets made, however many services come
/// meanwhile: dropped, it never reaches the patch; delivered early, it
/// meets outlets that do not exist yet.
#[test]
fn what_an_object_says_while_made_on_one_thread_waits_for_it_when_another_services() {
    // Signals through files in the script's folder (its __file__'s).
    let dir = setup(
        "held",
        "import os, time\nimport pyrus\n\nHERE = os.path.dirname(__file__)\n\nclass Made(pyrus.Object):\n    outlets = 2\n    def __init__(self):\n        self.out(1, 'made')\n        open(os.path.join(HERE, 'entered'), 'w').close()\n        for _ in range(20000):\n            if os.path.exists(os.path.join(HERE, 'go')):\n                return\n            time.sleep(0.001)\n",
    );
    let (host, ctx) = test_host::context(TestHost::new());
    let main = std::thread::spawn({
        let (host, ctx, dir) = (host.clone(), ctx.clone(), dir.clone());
        move || Object::new(&ctx, host, &words("held.Made"), Options::default(), Some(&dir))
    });
    // The scheduler's services while __init__ runs (it waits for `go`).
    let start = Instant::now();
    while !dir.join("entered").exists() {
        assert!(start.elapsed() < HANG, "__init__ never ran");
        ctx.service();
        std::thread::yield_now();
    }
    for _ in 0..100 {
        ctx.service();
    }
    let early = host.take();
    std::fs::write(dir.join("go"), "").unwrap();
    let o = main.join().expect("made");
    let events = test_host::serve_until(&ctx, &host, |events| !outlet(events, 1).is_empty());
    assert!(outlet(&early, 1).is_empty(), "nothing left before the object was made: {early:?}");
    assert_eq!(outlet(&events, 1), ["symbol made"], "{events:?}");
    assert_eq!(host.made(), [(0, 3)], "the outlets were made before anything left them");
    drop(o);
}
