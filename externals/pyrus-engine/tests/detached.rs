//! Detached calls against the recording `TestHost`, real CPython and the real
//! worker pool. The tests share one mailbox and one scheduler-side registry
//! per thread, so they run one at a time.

use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::test_host::{self, msg, options, outlet, serve_until, start_python as start, words, Event, TestHost};
use pyrus_engine::{marshal, Object, Options};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn setup(name: &str, script: &str) -> PathBuf {
    test_host::script_dir(&format!("detached-{name}"), &[(&format!("{name}.py"), script)])
}

fn idle(events: &[Event]) -> bool {
    outlet(events, 1).last().map(String::as_str) == Some("busy 0")
}

#[test]
fn serial_mode_keeps_order_and_reports_busy() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("ident", "import time\ndef f(x):\n    time.sleep(0.0001 * (x % 3))\n    return x\n");
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &words("ident.f"), options(&[("detach", 1.0)]), Some(&dir));
    for i in 0..200 {
        o.message(0, &Message::Float(i as f64));
    }
    let events = serve_until(&ctx, &host, |e| idle(e) && outlet(e, 0).len() == 200);
    let expected: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    assert_eq!(outlet(&events, 0), expected);
    assert_eq!(outlet(&events, 1), ["busy 1", "busy 0"]);
}

/// Every job meets another at a barrier (which fails after 5 s alone), so
/// they can only all finish if two run at once.
#[test]
fn concurrent_mode_delivers_every_result() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir =
        setup("pairs", "import threading\nmeet = threading.Barrier(2)\ndef f(x):\n    meet.wait(5)\n    return x\n");
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &words("pairs.f"), options(&[("detach", 2.0)]), Some(&dir));
    for i in 0..16 {
        o.message(0, &Message::Float(i as f64));
    }
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).len() == 16 && idle(e));
    let mut got: Vec<i32> = outlet(&events, 0).iter().map(|s| s.parse().unwrap()).collect();
    got.sort();
    assert_eq!(got, (0..16).collect::<Vec<_>>(), "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::Error(_))), "no job waited alone: {events:?}");
}

#[test]
fn stop_interrupts_an_endless_loop_and_the_object_keeps_working() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    start();
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[], options(&[("detach", 1.0)]), None);
    let code = [Atom::Symbol(Cow::Borrowed("import pyrus\npyrus.out('looping')\nwhile True: pass"))];
    o.message(0, &Message::Anything(Cow::Borrowed("exec"), Cow::Borrowed(&code)));
    o.message(0, &msg("eval 'never'"));
    // Stopped once the loop is running, not before.
    let mut events = serve_until(&ctx, &host, |e| !outlet(e, 0).is_empty());
    assert_eq!(outlet(&events, 0), ["symbol looping"]);
    o.message(0, &Message::Anything(Cow::Borrowed("stop"), Cow::Borrowed(&[])));
    events.extend(serve_until(&ctx, &host, idle));
    assert_eq!(outlet(&events, 1)[..2], ["busy 1".to_string(), "stopped".to_string()]);
    assert_eq!(outlet(&events, 0), ["symbol looping"], "the pending eval was discarded: {events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::Error(_))), "stop is not an error: {events:?}");
    o.message(0, &msg("eval 6 * 7"));
    let events = serve_until(&ctx, &host, idle);
    assert_eq!(outlet(&events, 0), ["42"]);
}

#[test]
fn overflow_refuses_the_newest_jobs_and_counts_them() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("gate", "import threading\nopen_ = threading.Event()\ndef f(x):\n    open_.wait()\n    return x\n");
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &words("gate.f"), options(&[("detach", 1.0), ("queue", 10.0)]), Some(&dir));
    let _ = serve_until(&ctx, &host, |_| !ctx.has_work()); // creation's own deliveries (it resolves the target synchronously)
    for i in 0..110 {
        o.message(0, &Message::Float(i as f64));
    }
    let events = serve_until(&ctx, &host, |e| outlet(e, 1).iter().any(|s| s.starts_with("dropped")));
    assert_eq!(outlet(&events, 1), ["busy 1", "dropped 100"]);
    let opener = Object::new(&ctx, host.clone(), &[], Options::default(), Some(&dir));
    opener.message(0, &msg("exec import gate ; gate.open_.set()"));
    let events = serve_until(&ctx, &host, idle);
    let expected: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    assert_eq!(outlet(&events, 0), expected);
}

#[test]
fn latest_replaces_the_call_not_yet_started() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup(
        "knob",
        "import threading\nstarted = threading.Event()\nopen_ = threading.Event()\ndef f(x):\n    started.set()\n    open_.wait()\n    return x\n",
    );
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &words("knob.f"), options(&[("detach", 1.0), ("latest", 1.0)]), Some(&dir));
    let probe = Object::new(&ctx, host.clone(), &[], Options::default(), Some(&dir));
    probe.message(0, &msg("exec import knob"));
    o.message(0, &Message::Float(0.0));
    // Waits (GIL released) until the first call runs, for at most 5 s.
    probe.message(0, &msg("eval knob.started.wait(5)"));
    assert_eq!(host.take_outlet(0), ["1"], "the first call started");
    for i in 1..=5 {
        o.message(0, &Message::Float(i as f64));
    }
    probe.message(0, &msg("exec knob.open_.set()"));
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).len() == 2 && idle(e));
    assert_eq!(outlet(&events, 0), ["0", "5"], "{events:?}");
    assert!(outlet(&events, 1).contains(&"replaced 4".to_string()), "{events:?}");
}

/// Deleting an object interrupts its running job and drops its pending ones
/// (without either the work never ends here). What the job sent meanwhile
/// is discarded: that last check holds by construction too (ids are never
/// reused, the registry holds objects weakly), whatever `unregister` does.
#[test]
fn deleting_an_object_with_work_in_flight_discards_it_safely() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("busy", "import pyrus\ndef f(x):\n    while True:\n        pyrus.out(x)\n");
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &words("busy.f"), options(&[("detach", 1.0)]), Some(&dir));
    for i in 0..1000 {
        o.message(0, &Message::Float(i as f64));
    }
    // Deleted while its first job is producing output.
    let _ = serve_until(&ctx, &host, |e| !outlet(e, 0).is_empty());
    drop(o);
    host.take();
    let start = Instant::now();
    while ctx.has_work() {
        ctx.service();
        assert!(start.elapsed() < Duration::from_secs(5), "the running job was not interrupted");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(host.take().is_empty(), "nothing reaches a deleted object");
}

#[test]
fn many_script_threads_flood_the_mailbox_and_lose_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    start();
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[], Options::default(), None);
    let threads = 8;
    let each = 10_000; // 80,000 in all: more than the mailbox holds
    assert!(threads * each > marshal::CAPACITY);
    o.message(0, &msg("exec import pyrus, threading"));
    o.message(0, &msg(&format!(
        "exec ts = [threading.Thread(target=lambda n=n: [pyrus.out(n, i) for i in range({each})]) for n in range({threads})]"
    )));
    o.message(0, &msg("exec [t.start() for t in ts]"));
    let setup_events = host.take();
    assert!(setup_events.is_empty(), "{setup_events:?}");
    let mut next = vec![0usize; threads];
    let start = Instant::now();
    while next.iter().sum::<usize>() < threads * each {
        ctx.service();
        for line in host.take_outlet(0) {
            let (n, i) = line.split_once(' ').unwrap();
            let (n, i): (usize, usize) = (n.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[n], "thread {n}'s outputs arrive in order");
            next[n] += 1;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "stalled at {next:?}");
    }
    o.message(0, &msg("exec [t.join() for t in ts]"));
}

#[test]
fn long_bursts_of_quick_jobs_all_complete() {
    // More jobs than one worker attachment runs (a batch), for both modes.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("quick", "def f(x):\n    return x\n");
    for mode in ["1", "2"] {
        let (host, ctx) = test_host::context(TestHost::new());
        let o = Object::new(
            &ctx,
            host.clone(),
            &words("quick.f"),
            options(&[("detach", mode.parse().expect("a number")), ("queue", 5000.0)]),
            Some(&dir),
        );
        for i in 0..5000 {
            o.message(0, &Message::Float(i as f64));
        }
        let events = serve_until(&ctx, &host, |e| idle(e) && outlet(e, 0).len() == 5000);
        if mode == "1" {
            let expected: Vec<String> = (0..5000).map(|i| i.to_string()).collect();
            assert_eq!(outlet(&events, 0), expected);
        }
    }
}

/// A `detach 0` call that joins a thread which sends more than the mailbox
/// holds would wait for the thread forever, the thread for the scheduler's
/// drain: after `PATIENCE` the thread's outputs are dropped instead, the call
/// returns, and the loss is reported.
#[test]
fn a_scheduler_call_joining_a_thread_that_floods_the_mailbox_does_not_hang() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    start();
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[], Options::default(), None);
    let n = marshal::CAPACITY + 5000;
    o.message(0, &msg("exec import pyrus, threading"));
    o.message(0, &msg(&format!("exec t = threading.Thread(target=lambda: [pyrus.out(i) for i in range({n})])")));
    // The stall counts from the mailbox's last drain (or its making, before
    // any): a drain after `begun` makes `begun` a lower bound of where it counts.
    let begun = Instant::now();
    ctx.service();
    o.message(0, &msg("exec t.start() ; t.join()"));
    let waited = begun.elapsed();
    println!("the call returned after {waited:?}");
    assert!(waited >= marshal::PATIENCE && waited < marshal::PATIENCE * 5, "{waited:?}");
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).len() == marshal::CAPACITY);
    let lost = events.iter().find_map(|e| match e {
        Event::Error(text) => text.strip_prefix("pyrus: ")?.split(' ').next()?.parse::<usize>().ok(),
        _ => None,
    });
    assert_eq!(lost, Some(n - marshal::CAPACITY), "{:?}", events.iter().find(|e| matches!(e, Event::Error(_))));
    let kept: Vec<String> = (0..marshal::CAPACITY).map(|i| i.to_string()).collect();
    assert_eq!(outlet(&events, 0), kept, "the first ones, in order");
}

/// Another object's reload queues a detached object's `on_reload` behind
/// its running call, as a job of its own: `stop` ends the call but keeps the
/// hook (the module already has its new code), and deleting the object
/// drops the hook without leaving the mailbox waiting for it.
#[test]
fn a_hook_queued_behind_a_running_call_survives_stop_and_goes_with_the_object() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup(
        "hookq",
        "import pyrus, threading\nrunning = globals().get('running') or threading.Event()\n\
         class H(pyrus.Object):\n    def in_0_spin(self):\n        running.set()\n        while True:\n            pass\n    \
         def on_reload(self):\n        self.out(0, 'reloaded')\n\
         def spinning():\n    ok = running.wait(10)\n    running.clear()\n    return ok\n",
    );
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &words("hookq.H"), options(&[("detach", 1.0)]), Some(&dir));
    let asker = Object::new(&ctx, host.clone(), &words("hookq.spinning"), Options::default(), Some(&dir));
    let spin_then_reload = || {
        o.message(0, &msg("spin"));
        asker.message(0, &Message::Bang); // waits until the call spins
        assert_eq!(host.take_outlet(0), ["1"], "the call runs");
        asker.message(0, &msg("reload hookq"));
    };
    spin_then_reload();
    o.message(0, &msg("stop"));
    let events = serve_until(&ctx, &host, |e| outlet(e, 0).iter().any(|m| m == "symbol reloaded"));
    assert!(outlet(&events, 1).contains(&"stopped".to_owned()), "{events:?}");
    spin_then_reload();
    drop(o);
    let start = Instant::now();
    while ctx.has_work() {
        ctx.service();
        assert!(start.elapsed() < Duration::from_secs(5), "a dropped hook still counts as work");
        std::thread::sleep(Duration::from_millis(1));
    }
}
