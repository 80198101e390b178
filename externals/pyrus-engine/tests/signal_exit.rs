//! Quitting with a `[pyrus~]` whose `process` is blocked: the engine's
//! shut-down returns within its deadline (a test binary of its own:
//! shutting the engine down ends it for the whole process).

use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::test_host::{self, TestHost};
use pyrus_engine::{Object, Options, SignalObject};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SLOW: &str = "import threading, pyrus\nentered = threading.Event()\ngate = threading.Event()\n\ndef wait_entered():\n    return entered.wait(10)\n\nclass Fast(pyrus.Signal):\n    pass\n\nclass Slow(pyrus.Signal):\n    def process(self, ins, outs):\n        entered.set()\n        gate.wait(30)\n";

#[test]
fn quit_with_a_blocked_process_returns_within_the_deadline() {
    let dir = test_host::script_dir("signal-exit", &[("exitslow.py", SLOW)]);
    let (host, ctx) = test_host::context(TestHost::new());
    let ctx: &'static _ = Box::leak(Box::new(ctx));
    let atoms = test_host::words("exitslow.Slow");
    let o = SignalObject::<f64>::with_patch_dir(ctx, host.clone(), &atoms, Some(&dir)).expect("made");
    let fast = SignalObject::<f64>::with_patch_dir(ctx, host.clone(), &test_host::words("exitslow.Fast"), Some(&dir));
    let fast = fast.expect("made");
    let _running = fast.dsp(64, 48000.0);
    let mut p = o.dsp(64, 48000.0);
    let (ins, mut outs) = (vec![0.0; 64], vec![0.0; 64]);
    p.run(&[&ins], &mut [&mut outs]);
    let out = Arc::new(TestHost::new());
    let waiter =
        Object::new(ctx, out.clone(), &[Atom::symbol("exitslow.wait_entered")], Options::default(), Some(&dir));
    waiter.message(0, &Message::Bang);
    assert_eq!(out.take_outlet(0), ["1"], "process is in its 30 s wait");
    let start = Instant::now();
    let left = pyrus_engine::shut_down(Duration::from_millis(500));
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "shut_down took {took:?}; its deadline is 500 ms, the wait 30 s");
    assert_eq!(left, 1, "the idle worker joined; the blocked one, in C, left to the process exit");
    // The audio thread's half still runs, waiting for nobody.
    p.run(&[&ins], &mut [&mut outs]);
    let start = Instant::now();
    drop((o, fast));
    assert!(start.elapsed() < Duration::from_secs(3), "nothing left to join at a drop after the shut-down");
}
