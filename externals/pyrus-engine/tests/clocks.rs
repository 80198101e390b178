//! `pyrus.after`, `pyrus.every` and `pyrus.receive` against the recording
//! `TestHost` (a logical clock the test advances, names bound in it), real
//! CPython and the real worker pool. The tests share one interpreter and
//! pool, so they run one at a time.

use pyrus_engine::atoms::Message;
use pyrus_engine::test_host::{self, msg, options, outlet, serve_until, words, Event, TestHost};
use pyrus_engine::{Host, Object, Options};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// One test at a time; at its end (also a failed one's) this thread's GIL
/// lease ends, or the next test's thread would wait for it for ever.
struct One(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Drop for One {
    fn drop(&mut self) {
        pyrus_engine::gil::end_lease();
    }
}

fn one() -> One {
    One(ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner()))
}

fn setup(name: &str, script: &str) -> PathBuf {
    test_host::script_dir(&format!("clocks-{name}"), &[(&format!("{name}.py"), script)])
}

const TIMERS: &str = "\
import pyrus

class Timers(pyrus.Object):
    def in_0_after(self, ms):
        self.h = pyrus.after(ms, self.fired, 'after')
    def in_0_every(self, ms, stop_at=5):
        self.n, self.stop_at = 0, stop_at
        self.h = pyrus.every(ms, self.tick)
    def in_0_cancel(self):
        self.h.cancel()
        self.h.cancel()
    def fired(self, what):
        return pyrus.Message(what, pyrus.time())
    def tick(self):
        self.n += 1
        if self.n == self.stop_at:
            self.h.cancel()
        return pyrus.time()
";

#[test]
fn after_fires_once_at_its_logical_time_as_a_call_of_the_object() {
    let _one = one();
    let dir = setup("timers", TIMERS);
    let (host, ctx) = test_host::context(TestHost::new());
    host.set_time(3.0);
    let o = Object::new(&ctx, host.clone(), &words("timers.Timers"), Options::default(), Some(&dir));
    o.message(0, &msg("after 10"));
    host.advance(9.0);
    assert_eq!(host.take_outlet(0), Vec::<String>::new(), "not before its time");
    host.advance(1.0);
    assert_eq!(host.take_outlet(0), ["after 13"], "at 3 + 10, the logical time of its tick");
    host.advance(100.0);
    assert_eq!(host.take_outlet(0), Vec::<String>::new(), "once");
    assert_eq!(host.clocks_set(), 0);
    // Cancelled before its time: never.
    o.message(0, &msg("after 5"));
    o.message(0, &msg("cancel"));
    host.advance(100.0);
    assert_eq!(host.take(), Vec::<Event>::new());
}

#[test]
fn every_keeps_its_deadlines_and_a_cancel_from_its_own_callback_ends_it() {
    let _one = one();
    let dir = setup("timers", TIMERS);
    let (host, ctx) = test_host::context(TestHost::new());
    host.set_time(0.5);
    let o = Object::new(&ctx, host.clone(), &words("timers.Timers"), Options::default(), Some(&dir));
    o.message(0, &msg("every 2.5"));
    // In uneven steps: the ticks stay on 0.5 + 2.5 k.
    for step in [1.0, 7.0, 0.25, 3.0, 100.0] {
        host.advance(step);
    }
    assert_eq!(host.take_outlet(0), ["3", "5.5", "8", "10.5", "13"], "5 ticks, the 5th cancelled it");
    assert_eq!(host.clocks_set(), 0, "the clock was freed");
    drop(o);
}

#[test]
fn a_callback_error_is_reported_like_a_calls_and_every_keeps_going() {
    let _one = one();
    let dir = setup("oops", "import pyrus\ndef start(ms):\n    pyrus.every(ms, lambda: 1 / 0)\n");
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &words("oops.start"), Options::default(), Some(&dir));
    o.message(0, &Message::Float(10.0));
    host.advance(20.0);
    let events = host.take();
    let status = outlet(&events, 1);
    assert_eq!(status.len(), 2, "both ticks reported: {events:?}");
    assert!(status[0].starts_with("error ZeroDivisionError"), "{status:?}");
    assert!(
        events.iter().any(|e| matches!(e, Event::Error(t) if t.contains("pyrus.every(10) callback"))),
        "the console says what failed: {events:?}"
    );
    drop(o);
    assert_eq!(host.clocks_set(), 0, "deleting the object frees its clock");
}

#[test]
fn deleting_an_object_with_clocks_pending_frees_them_and_nothing_fires() {
    let _one = one();
    let dir = setup("timers", TIMERS);
    for detach in [0.0, 1.0] {
        let (host, ctx) = test_host::context(TestHost::with_service());
        let o = Object::new(&ctx, host.clone(), &words("timers.Timers"), options(&[("detach", detach)]), Some(&dir));
        o.message(0, &msg("after 10"));
        o.message(0, &msg("every 3 1000"));
        let armed = Instant::now();
        while host.clocks_set() < 2 {
            assert!(armed.elapsed() < Duration::from_secs(10), "both clocks are armed (detach {detach})");
            ctx.service();
            host.wait_for_wake(Duration::from_millis(1));
        }
        drop(o);
        assert_eq!(host.clocks_set(), 0, "detach {detach}");
        host.advance(100.0);
        let events = serve_until(&ctx, &host, |_| !ctx.has_work());
        assert_eq!(outlet(&events, 0), Vec::<String>::new(), "detach {detach}: {events:?}");
    }
}

#[test]
fn a_detached_every_runs_as_jobs_armed_through_the_service_and_coalesces() {
    let _one = one();
    let dir = setup(
        "slow",
        "import pyrus, threading\ngo = threading.Event()\nclass Slow(pyrus.Object):\n    def in_0_start(self):\n        self.h = pyrus.every(10, self.tick)\n    def tick(self):\n        go.wait(5)\n        return 'tick'\ndef release():\n    go.set()\n",
    );
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &words("slow.Slow"), options(&[("detach", 1.0)]), Some(&dir));
    o.message(0, &msg("start"));
    // Made on a worker: armed by the service, on this (the host's) thread.
    let armed = Instant::now();
    while host.clocks_set() == 0 {
        assert!(armed.elapsed() < Duration::from_secs(10), "the clock is armed");
        ctx.service();
        host.wait_for_wake(Duration::from_millis(1));
    }
    // The first run waits for `go`: three more ticks meanwhile are skipped,
    // not queued.
    for _ in 0..4 {
        host.advance(10.0);
    }
    // `go` from another object, synchronous (the run waits on the worker).
    let release = Object::new(&ctx, host.clone(), &words("slow.release"), Options::default(), Some(&dir));
    release.message(0, &Message::Bang);
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).len() == 1);
    assert_eq!(outlet(&events, 0), ["symbol tick"], "one run");
    o.message(0, &msg("eval self.h.skipped"));
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).len() == 1);
    assert_eq!(outlet(&events, 0), ["3"], "three ticks coalesced");
    host.advance(10.0);
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).len() == 1);
    assert_eq!(outlet(&events, 0), ["symbol tick"], "it ticks again");
}

const RECEIVER: &str = "\
import pyrus

class R(pyrus.Object):
    def __init__(self, name, tag):
        self.tag = tag
        self.h = pyrus.receive(name, self.got)
    def got(self, *args):
        pyrus.out(self.tag, *args)
    def in_0_cancel(self):
        self.h.cancel()
";

#[test]
fn receive_gets_each_message_like_a_method_in_every_detach_mode() {
    let _one = one();
    let dir = setup("recv", RECEIVER);
    for detach in [0.0, 1.0, 2.0] {
        let (host, ctx) = test_host::context(TestHost::with_service());
        let name = format!("bus{detach}");
        let a = Object::new(
            &ctx,
            host.clone(),
            &words(&format!("recv.R {name} a")),
            options(&[("detach", detach)]),
            Some(&dir),
        );
        let b = Object::new(
            &ctx,
            host.clone(),
            &words(&format!("recv.R {name} b")),
            options(&[("detach", detach)]),
            Some(&dir),
        );
        let bound = Instant::now();
        while host.bound(&name) < 2 {
            assert!(bound.elapsed() < Duration::from_secs(10), "both bound (detach {detach})");
            ctx.service();
            host.wait_for_wake(Duration::from_millis(1));
        }
        for m in [Message::Float(3.0), Message::Bang, msg("set 1 x")] {
            host.send(&name, &m).expect("bound");
        }
        let mut events = serve_until(&ctx, &host, |e| outlet(e, 0).len() == 6);
        let mut got = outlet(&events, 0);
        if detach == 2.0 {
            got.sort();
        }
        let expected = if detach == 2.0 {
            vec!["a 3", "a set 1 x", "b 3", "b set 1 x", "symbol a", "symbol b"]
        } else {
            vec!["a 3", "b 3", "symbol a", "symbol b", "a set 1 x", "b set 1 x"]
        };
        let mut expected: Vec<String> = expected.into_iter().map(String::from).collect();
        if detach == 1.0 {
            // Each object's messages in order; the two objects interleave as they run.
            let tag = |s: &String| s.strip_prefix("symbol ").unwrap_or(s).split(' ').next().map(str::to_owned);
            let of =
                |t: &str, v: &[String]| v.iter().filter(|s| tag(s).as_deref() == Some(t)).cloned().collect::<Vec<_>>();
            assert_eq!(of("a", &got), of("a", &expected), "{events:?}");
            assert_eq!(of("b", &got), of("b", &expected), "{events:?}");
            got.sort();
            expected.sort();
        }
        assert_eq!(got, expected, "detach {detach}");
        // A cancelled receiver, and a deleted object's, hear nothing more.
        a.message(0, &msg("cancel"));
        drop(b);
        let unbound = Instant::now();
        while host.bound(&name) > 0 {
            assert!(unbound.elapsed() < Duration::from_secs(10), "both unbound (detach {detach})");
            ctx.service();
            host.wait_for_wake(Duration::from_millis(1));
        }
        assert!(host.send(&name, &Message::Float(1.0)).is_err(), "nothing is bound to {name}");
        events = serve_until(&ctx, &host, |_| !ctx.has_work());
        assert_eq!(outlet(&events, 0), Vec::<String>::new());
    }
}

#[test]
fn a_reload_stops_the_old_codes_clocks_and_receivers() {
    let _one = one();
    let old = "import pyrus\nclass C(pyrus.Object):\n    def __init__(self):\n        self.h = pyrus.every(10, lambda: 'old')\n        self.r = pyrus.receive('reloaded', lambda *a: pyrus.out('old heard'))\n";
    let dir = setup("reloading", old);
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &words("reloading.C"), Options::default(), Some(&dir));
    host.advance(10.0);
    assert_eq!(host.take_outlet(0), ["symbol old"]);
    let new = "import pyrus\nclass C(pyrus.Object):\n    def on_reload(self):\n        self.h = pyrus.every(10, lambda: 'new')\n";
    std::fs::write(dir.join("reloading.py"), new).unwrap();
    o.message(0, &msg("reload"));
    assert_eq!(host.take_outlet(1), Vec::<String>::new(), "the reload worked");
    host.advance(10.0);
    assert_eq!(host.take_outlet(0), ["symbol new"], "only the new code's clock");
    assert!(host.send("reloaded", &Message::Bang).is_err(), "the old receiver is unbound");
    assert_eq!(host.clocks_set(), 1);
}
