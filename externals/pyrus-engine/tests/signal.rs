//! `[pyrus~]`'s engine side against the recording `TestHost` and real
//! CPython: the test thread plays the host's audio thread and calls
//! `Perform::run`, waiting for the worker between blocks through
//! `Perform::ready` (a bounded loop on a condition, never a sleep), so no
//! result depends on the machine's speed.

use pyrus_engine::test_host::{self, Event, TestHost};
use pyrus_engine::{Context, Host, Object, Options, Perform, SignalObject};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a wait for the worker may take before the test calls it hung.
const HUNG: Duration = Duration::from_secs(10);

fn setup(name: &str, script: &str) -> PathBuf {
    test_host::script_dir(&format!("signal-{name}"), &[(&format!("{name}.py"), script)])
}

/// A context that lives for the test process, as a host's does.
fn context() -> (Arc<TestHost>, &'static Context) {
    let (host, ctx) = test_host::context(TestHost::new());
    (host, Box::leak(Box::new(ctx)))
}

fn make(ctx: &'static Context, host: &Arc<TestHost>, dir: &std::path::Path, args: &str) -> SignalObject<f32> {
    let atoms = test_host::words(args);
    SignalObject::with_patch_dir(ctx, host.clone(), &atoms, Some(dir)).expect("the object is made")
}

/// Waits (bounded) until the worker has dealt with the block the next
/// run outputs.
fn wait_ready<S: pyrus_engine::Sample>(perform: &Perform<S>) {
    let start = Instant::now();
    while !perform.ready() {
        assert!(start.elapsed() < HUNG, "the worker did not make the block due");
        std::thread::yield_now();
    }
}

/// Runs one host block of `ins` (one slice per channel), waiting for the
/// worker first; returns the outputs.
fn block(perform: &mut Perform<f32>, ins: &[Vec<f32>], outs: usize) -> Vec<Vec<f32>> {
    wait_ready(perform);
    let n = ins.first().map_or(0, Vec::len);
    let mut out = vec![vec![f32::NAN; n]; outs];
    let ins: Vec<&[f32]> = ins.iter().map(Vec::as_slice).collect();
    let mut slices: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
    perform.run(&ins, &mut slices);
    out
}

const GAIN: &str = "import pyrus\n\nclass Gain(pyrus.Signal):\n    def __init__(self, g=1):\n        self.g = g\n    def in_0_float(self, g):\n        self.g = g\n    def process(self, ins, outs):\n        outs[:] = ins * self.g\n";

#[test]
fn a_gain_matches_sample_for_sample_after_the_latency() {
    let dir = setup("gain", GAIN);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "gain.Gain 0.5");
    assert_eq!((o.signal_inlets(), o.signal_outlets(), o.control_inlets()), (1, 1, 0));
    let mut p = o.dsp(64, 48000.0);
    let input: Vec<f32> = (0..64 * 40).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
    let mut output = Vec::new();
    for chunk in input.chunks(64) {
        output.extend(block(&mut p, &[chunk.to_vec()], 1).remove(0));
    }
    let latency = 2 * 64;
    assert!(output[..latency].iter().all(|&x| x == 0.0), "silence before the first block is due");
    for (i, (&y, &x)) in output[latency..].iter().zip(&input).enumerate() {
        assert_eq!(y, x * 0.5, "sample {i}");
    }
    assert!(host.take().iter().all(|e| !matches!(e, Event::Error(_))));
}

/// Waits (bounded) for `done` of `perform`.
fn wait_for<S: pyrus_engine::Sample>(perform: &Perform<S>, what: &str, done: impl Fn(&Perform<S>) -> bool) {
    let start = Instant::now();
    while !done(perform) {
        assert!(start.elapsed() < HUNG, "{what}");
        std::thread::yield_now();
    }
}

#[test]
fn the_worker_wakes_on_its_own_timer_so_run_makes_no_unpark_in_the_steady_state() {
    let dir = setup("timer", GAIN);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "timer.Gain 0.5");
    let mut p = o.dsp(64, 48000.0);
    let mut output = Vec::new();
    for b in 0..20 {
        // As a host whose blocks come no faster than the worker takes them.
        wait_for(&p, "the worker took the last block on its timer", Perform::caught_up);
        let input = vec![b as f32; 64];
        let mut out = vec![f32::NAN; 64];
        p.run(&[&input], &mut [&mut out]);
        output.push(out[0]);
    }
    assert_eq!(p.unparks(), 0, "run never woke the worker");
    let expected: Vec<f32> = (0..20).map(|b| if b < 2 { 0.0 } else { (b - 2) as f32 * 0.5 }).collect();
    assert_eq!(output, expected, "and every block came on time");
    // No block for a while (DSP off): the worker sleeps without a timer, and
    // the next block's run wakes it, once.
    wait_for(&p, "the worker went to sleep without a timer", Perform::worker_asleep);
    let mut out = vec![f32::NAN; 64];
    p.run(&[&[1.0; 64]], &mut [&mut out]);
    assert_eq!(p.unparks(), 1, "run woke the sleeping worker");
    wait_for(&p, "the woken worker took the block", Perform::caught_up);
    assert!(!p.worker_asleep());
}

/// Runs `blocks` host blocks of `block` samples through a 1-in 1-out
/// object, input from `input(sample)`, waiting for the worker before each;
/// returns the output.
fn stream(p: &mut Perform<f32>, from: usize, blocks: usize, block: usize, input: impl Fn(usize) -> f32) -> Vec<f32> {
    let mut output = Vec::new();
    for b in 0..blocks {
        let at = (from + b) * block;
        let ins: Vec<f32> = (at..at + block).map(&input).collect();
        output.extend(self::block(p, &[ins], 1).remove(0));
    }
    output
}

fn status(events: &[Event], index: usize) -> Vec<String> {
    test_host::outlet(events, index)
}

#[test]
fn an_impulse_comes_out_exactly_the_latency_later_every_time() {
    let dir = setup("impulse", GAIN);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "impulse.Gain -latency 3");
    let mut p = o.dsp(32, 44100.0);
    // An impulse every 7 blocks, each at another offset in its block.
    let at = |i: usize| i % (7 * 32) == (i / (7 * 32)) % 32;
    let output = stream(&mut p, 0, 7 * 40, 32, |i| if at(i) { 1.0 } else { 0.0 });
    let latency = 3 * 32;
    for (t, &y) in output.iter().enumerate() {
        let expected = if t >= latency && at(t - latency) { 1.0 } else { 0.0 };
        assert_eq!(y, expected, "sample {t}");
    }
    o.message(0, &test_host::msg("latency"));
    assert_eq!(status(&host.take(), 0), ["latency 96"]);
}

const MULTI: &str = "import pyrus\n\nclass Mix(pyrus.Signal):\n    signal_inlets = 2\n    signal_outlets = 3\n    inlets = 2\n    outlets = 1\n    def process(self, ins, outs):\n        assert ins.shape == (2, self.blocksize) and outs.shape == (3, self.blocksize), (ins.shape, outs.shape)\n        outs[0] = ins[0] + ins[1]\n        outs[1] = ins[0] - ins[1]\n        outs[2] = ins[0] * ins[1]\n    def in_1_float(self, k):\n        self.k = k\n";

#[test]
fn channels_are_rows_two_in_three_out() {
    let dir = setup("multi", MULTI);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "multi.Mix");
    assert_eq!((o.signal_inlets(), o.signal_outlets(), o.control_inlets(), o.control_outlets()), (2, 3, 1, 2));
    assert_eq!(host.made(), [(0, 2)], "one control outlet, then the status outlet");
    let mut p = o.dsp(16, 48000.0);
    let a = |i: usize| (i % 13) as f32;
    let b = |i: usize| (i % 5) as f32 - 2.0;
    let mut outs = vec![Vec::new(); 3];
    for k in 0..20 {
        let ins = [(k * 16..k * 16 + 16).map(a).collect(), (k * 16..k * 16 + 16).map(b).collect()];
        for (all, part) in outs.iter_mut().zip(block(&mut p, &ins, 3)) {
            all.extend(part);
        }
    }
    for (t, ((&sum, &difference), &product)) in outs[0].iter().zip(&outs[1]).zip(&outs[2]).enumerate().skip(32) {
        let (x, y) = (a(t - 32), b(t - 32));
        assert_eq!([sum, difference, product], [x + y, x - y, x * y], "sample {t}");
    }
    assert!(host.take().iter().all(|e| !matches!(e, Event::Error(_))));
    // The second control inlet reaches in_1_float, on the worker.
    o.message(1, &pyrus_engine::atoms::Message::Float(5.0));
    o.message(0, &test_host::msg("eval self.k"));
    let events = test_host::serve_until(ctx, &host, |e| !status(e, 0).is_empty());
    assert_eq!(status(&events, 0), ["5"]);
}

const CHUNKS: &str = "import pyrus\n\nclass Chunks(pyrus.Signal):\n    outlets = 1\n    def __init__(self):\n        self.sizes = set()\n    def process(self, ins, outs):\n        self.sizes.add((ins.shape, outs.shape, self.blocksize))\n        outs[:] = ins\n";

#[test]
fn block_256_on_a_host_block_of_64_processes_256_samples_at_a_time() {
    let dir = setup("chunks", CHUNKS);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "chunks.Chunks -block 256");
    let mut p = o.dsp(64, 48000.0);
    // (latency + 256 / 64 - 1) blocks of 64: an impulse comes out 320 samples later.
    assert_eq!(p.latency(), 320);
    let at = |i: usize| i % 300 == 17;
    let output = stream(&mut p, 0, 64, 64, |i| if at(i) { 1.0 } else { 0.0 });
    for (t, &y) in output.iter().enumerate() {
        assert_eq!(y, if t >= 320 && at(t - 320) { 1.0 } else { 0.0 }, "sample {t}");
    }
    o.message(0, &test_host::msg("eval repr(sorted(self.sizes))"));
    o.message(0, &test_host::msg("latency"));
    let events = test_host::serve_until(ctx, &host, |e| !status(e, 0).is_empty() && !status(e, 1).is_empty());
    assert_eq!(status(&events, 0), ["symbol [((1, 256), (1, 256), 256)]"]);
    assert_eq!(status(&events, 1), ["latency 320"]);
}

/// A class whose `process` blocks, once armed, until the test releases it:
/// module-level events, driven from the test thread through `[pyrus]`
/// objects calling `arm`, `wait_entered` and `release` (no sleeps).
const SLOW: &str = "import threading, pyrus\narmed = threading.Event()\nentered = threading.Event()\ngate = threading.Event()\n\ndef arm():\n    gate.clear()\n    entered.clear()\n    armed.set()\n\ndef wait_entered():\n    return entered.wait(10)\n\ndef release():\n    gate.set()\n\nclass Slow(pyrus.Signal):\n    def __init__(self, counting=0):\n        self.counting = counting\n        self.k = 0\n    def in_0_float(self, x):\n        self.x = x\n    def process(self, ins, outs):\n        if armed.is_set():\n            armed.clear()\n            entered.set()\n            gate.wait(10)\n        self.k += 1\n        outs[:] = self.k if self.counting else ins\n";

/// The module's helpers as `[pyrus MODULE.FUNCTION]` objects (detach 0),
/// on outlets of their own.
struct Gate {
    arm: pyrus_engine::Object,
    wait_entered: pyrus_engine::Object,
    release: pyrus_engine::Object,
    out: Arc<TestHost>,
}

impl Gate {
    fn new(ctx: &Context, dir: &std::path::Path, module: &str) -> Gate {
        let out = Arc::new(TestHost::new());
        let make = |f: &str| {
            let name = format!("{module}.{f}");
            pyrus_engine::Object::new(
                ctx,
                out.clone(),
                &[pyrus_engine::atoms::Atom::symbol(&name)],
                pyrus_engine::Options::default(),
                Some(dir),
            )
        };
        Gate { arm: make("arm"), wait_entered: make("wait_entered"), release: make("release"), out }
    }

    fn bang(o: &pyrus_engine::Object) {
        o.message(0, &pyrus_engine::atoms::Message::Bang);
    }

    /// Arms the gate: the next `process` blocks in it.
    fn arm(&self) {
        Self::bang(&self.arm);
    }

    /// Waits (at most 10 s, in Python, GIL released) until `process` is in the gate.
    fn wait_entered(&self) {
        self.out.take();
        Self::bang(&self.wait_entered);
        assert_eq!(self.out.take_outlet(0), ["1"], "process entered the gate");
    }

    fn release(&self) {
        Self::bang(&self.release);
    }
}

/// The test thread runs `blocks` blocks without waiting for the worker,
/// which is blocked in the gate all along.
fn run_unwaited(
    p: &mut Perform<f32>,
    from: usize,
    blocks: usize,
    block: usize,
    input: impl Fn(usize) -> f32,
) -> Vec<f32> {
    let mut output = Vec::new();
    for b in 0..blocks {
        let at = (from + b) * block;
        let ins: Vec<f32> = (at..at + block).map(&input).collect();
        let mut out = vec![f32::NAN; block];
        p.run(&[&ins], &mut [&mut out]);
        output.extend(out);
    }
    output
}

fn underruns_reported(events: &[Event], index: usize) -> u64 {
    status(events, index).iter().filter_map(|s| s.strip_prefix("underrun ")).map(|n| n.parse::<u64>().unwrap()).sum()
}

#[test]
fn a_slow_process_gives_counted_underruns_and_the_latency_stays_exact() {
    let dir = setup("slow", SLOW);
    let (host, ctx) = context();
    let gate = Gate::new(ctx, &dir, "slow");
    let o = make(ctx, &host, &dir, "slow.Slow");
    let block = 64;
    let mut p = o.dsp(block, 48000.0);
    // A ramp that is never 0: an output sample is the input 128 samples
    // earlier, or 0 in a block that came too late.
    let ramp = |i: usize| (i + 1) as f32;
    let mut output = stream(&mut p, 0, 10, block, ramp);
    // Armed, the next process blocks (the worker may still have a block or
    // two to do): no waiting for the worker from here on.
    gate.arm();
    output.extend(run_unwaited(&mut p, 10, 1, block, ramp));
    gate.wait_entered();
    output.extend(run_unwaited(&mut p, 11, 20, block, ramp));
    gate.release();
    output.extend(stream(&mut p, 31, 30, block, ramp));
    let latency = 2 * block;
    let mut late = 0;
    for (b, samples) in output.chunks(block).enumerate().skip(2) {
        if samples.iter().all(|&y| y == 0.0) {
            late += 1;
            continue;
        }
        for (i, &y) in samples.iter().enumerate() {
            let t = b * block + i;
            assert_eq!(y, ramp(t - latency), "sample {t}: exactly the latency late");
        }
    }
    assert!(late >= 18, "the blocks due while process was blocked were late: {late}");
    assert!(output[output.len() - 20 * block..].iter().all(|&y| y != 0.0), "on time again after");
    let events = test_host::serve_until(ctx, &host, |e| underruns_reported(e, 0) >= late);
    assert_eq!(underruns_reported(&events, 0), late, "every late block counted, once: {:?}", status(&events, 0));
}

#[test]
fn hold_repeats_the_last_block_when_process_is_late() {
    let dir = setup("hold", SLOW);
    let (host, ctx) = context();
    let gate = Gate::new(ctx, &dir, "hold");
    let o = make(ctx, &host, &dir, "hold.Slow 1 -hold");
    let mut p = o.dsp(16, 48000.0);
    let mut output = stream(&mut p, 0, 6, 16, |_| 0.0);
    gate.arm();
    output.extend(run_unwaited(&mut p, 6, 1, 16, |_| 0.0));
    gate.wait_entered();
    output.extend(run_unwaited(&mut p, 7, 10, 16, |_| 0.0));
    gate.release();
    output.extend(stream(&mut p, 17, 10, 16, |_| 0.0));
    // Each block is the call's count: 1, 2, 3..., the last one held while late.
    let blocks: Vec<f32> = output.chunks(16).map(|b| b[0]).collect();
    assert!(output.chunks(16).all(|b| b.iter().all(|&y| y == b[0])), "whole blocks");
    assert_eq!(blocks[..2], [0.0, 0.0], "silence before the first block is due");
    assert!(blocks[2..].iter().all(|&y| y > 0.0), "no silence once a block came: {blocks:?}");
    assert!(blocks.windows(2).all(|w| w[1] >= w[0]), "held, never back: {blocks:?}");
    let held = blocks[2..].windows(2).filter(|w| w[0] == w[1]).count() as u64;
    assert!(held >= 8, "the late blocks repeat the last one: {blocks:?}");
    let events = test_host::serve_until(ctx, &host, |e| underruns_reported(e, 0) >= held);
    assert_eq!(underruns_reported(&events, 0), held);
}

const FLAKY: &str = "import pyrus\n\nclass Flaky(pyrus.Signal):\n    def __init__(self):\n        self.bad = 0\n    def in_0_float(self, bad):\n        self.bad = bad\n    def process(self, ins, outs):\n        if self.bad:\n            raise ValueError('bad block')\n        outs[:] = ins\n";

#[test]
fn a_raising_process_is_reported_once_until_a_block_works() {
    let dir = setup("flaky", FLAKY);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "flaky.Flaky");
    let mut p = o.dsp(8, 48000.0);
    let one = |_| 1.0;
    let mut output = stream(&mut p, 0, 4, 8, one);
    for (from, bad) in [(4, 1.0), (14, 0.0), (20, 1.0), (30, 0.0)] {
        o.message(0, &pyrus_engine::atoms::Message::Float(bad));
        output.extend(stream(&mut p, from, if bad == 1.0 { 10 } else { 6 }, 8, one));
    }
    let blocks: Vec<f32> = output.chunks(8).map(|b| b[0]).collect();
    // Made from the input after each message (2 blocks of latency).
    assert_eq!(blocks[6..14], [0.0; 8], "silence while process raises: {blocks:?}");
    assert_eq!(blocks[16..20], [1.0; 4], "still running, and good again: {blocks:?}");
    assert_eq!(blocks[22..30], [0.0; 8], "{blocks:?}");
    assert_eq!(blocks[32..], [1.0; 4], "{blocks:?}");
    let events = test_host::serve_until(ctx, &host, |e| status(e, 0).len() >= 2);
    let events: Vec<Event> = events.into_iter().chain(host.take()).collect();
    assert_eq!(status(&events, 0), ["error ValueError bad block"; 2], "once per run of bad blocks");
    let console: Vec<&String> =
        events.iter().filter_map(|e| if let Event::Error(t) = e { Some(t) } else { None }).collect();
    assert!(console.iter().any(|l| l.contains("in process")), "the traceback names process: {console:?}");
    assert_eq!(console.iter().filter(|l| l.starts_with("ValueError: bad block")).count(), 2, "{console:?}");
}

#[test]
fn messages_reach_the_next_process_in_order() {
    let dir = setup("order", GAIN);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "order.Gain 1");
    let mut p = o.dsp(8, 48000.0);
    let one = |_| 1.0;
    let mut output = stream(&mut p, 0, 5, 8, one);
    // Gains set before the input of block 5, 10, 15 (two in a row: 7 then 4).
    let changes = [(5, &[2.0][..]), (10, &[3.0]), (15, &[7.0, 4.0])];
    for (from, gains) in changes {
        for &g in gains {
            o.message(0, &pyrus_engine::atoms::Message::Float(g));
        }
        output.extend(stream(&mut p, from, 5, 8, one));
    }
    output.extend(stream(&mut p, 20, 2, 8, one));
    let blocks: Vec<f32> = output.chunks(8).map(|b| b[0]).collect();
    assert!(output.chunks(8).all(|b| b.iter().all(|&y| y == b[0])), "a change lands between two blocks");
    // The output of input block i is at block i + 2.
    for (i, &y) in blocks[2..].iter().enumerate() {
        let at_least = match i {
            0..5 => 1.0,
            5..10 => 2.0,
            10..15 => 3.0,
            _ => 4.0,
        };
        assert!(y >= at_least || (i >= 15 && y == 4.0), "block {i}: {y} after the gain was {at_least}: {blocks:?}");
    }
    assert!(blocks[2..].windows(2).all(|w| w[1] >= w[0] || w[1] == 4.0), "in order: {blocks:?}");
    assert_eq!(blocks[17..], [4.0; 5], "7 then 4: the last one stays: {blocks:?}");
    assert!(blocks.contains(&2.0) && blocks.contains(&3.0), "each change seen: {blocks:?}");
    assert!(host.take().iter().all(|e| !matches!(e, Event::Error(_))));
}

const SIGNED: &str = "import pyrus\n\nclass Signed(pyrus.Signal):\n    def __init__(self):\n        self.g = 1\n    def in_0_float(self, g):\n        self.g = g\n    def process(self, ins, outs):\n        outs[:] = ins * self.g\n";

#[test]
fn reload_swaps_the_class_between_two_blocks_keeping_the_state() {
    let dir = setup("signed", SIGNED);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "signed.Signed");
    let mut p = o.dsp(8, 48000.0);
    let one = |_| 1.0;
    o.message(0, &pyrus_engine::atoms::Message::Float(3.0));
    let mut output = stream(&mut p, 0, 6, 8, one);
    std::fs::write(dir.join("signed.py"), SIGNED.replace("ins * self.g", "-ins * self.g")).unwrap();
    o.message(0, &test_host::msg("reload"));
    output.extend(stream(&mut p, 6, 6, 8, one));
    // The global reload (`[; pyrus reload(`) rebinds it on its worker too.
    std::fs::write(dir.join("signed.py"), SIGNED.replace("ins * self.g", "ins * self.g * 10")).unwrap();
    ctx.reload(Some("signed"));
    output.extend(stream(&mut p, 12, 6, 8, one));
    let blocks: Vec<f32> = output.chunks(8).map(|b| b[0]).collect();
    assert!(output.chunks(8).all(|b| b.iter().all(|&y| y == b[0])), "a reload lands between two blocks");
    // Block i is made from input i - 2. Input the worker had not yet done
    // when the reload came (at most the 2 blocks of latency) may get the new
    // code; input that came after it always does.
    assert_eq!(blocks[2..6], [3.0; 4], "{blocks:?}");
    assert!(blocks[6..8].iter().all(|&y| y == 3.0 || y == -3.0), "{blocks:?}");
    assert_eq!(blocks[8..12], [-3.0; 4], "the new code, the old gain: {blocks:?}");
    assert!(blocks[12..14].iter().all(|&y| y == -3.0 || y == 30.0), "{blocks:?}");
    assert_eq!(blocks[14..], [30.0; 4], "{blocks:?}");
    let version = |y: &f32| [3.0, -3.0, 30.0].iter().position(|v| v == y);
    let versions: Vec<_> = blocks[2..].iter().map(version).collect();
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "never back to older code: {blocks:?}");
    let events = host.take();
    assert!(events.iter().all(|e| !matches!(e, Event::Error(_))), "{events:?}");
}

#[test]
fn dropping_it_while_process_is_blocked_returns_within_a_bound() {
    // Its on_close waits too, so that the worker outlives the object for a while.
    let stuck = SLOW.to_owned()
        + "\nclosed = threading.Event()\nclosing = threading.Event()\n\ndef wait_closed():\n    return closed.wait(10)\n\n\
           def let_close():\n    closing.set()\n\nclass Stuck(Slow):\n    def on_close(self):\n        closed.set()\n        closing.wait(10)\n";
    let dir = setup("stuck", &stuck);
    let (host, ctx) = context();
    let gate = Gate::new(ctx, &dir, "stuck");
    let o = make(ctx, &host, &dir, "stuck.Stuck");
    let mut p = o.dsp(64, 48000.0);
    stream(&mut p, 0, 4, 64, |_| 1.0);
    gate.arm();
    run_unwaited(&mut p, 4, 1, 64, |_| 1.0);
    gate.wait_entered();
    let start = Instant::now();
    drop(o);
    let took = start.elapsed();
    // The audio thread may still run its half meanwhile: it waits for nobody.
    run_unwaited(&mut p, 5, 4, 64, |_| 1.0);
    drop(p);
    host.take();
    gate.release();
    assert!(took < Duration::from_secs(3), "the drop waited {took:?} (its deadline is 500 ms; the gate 10 s)");
    // Released, the worker notices the late blocks and asks for a report,
    // then waits in on_close: its state is alive, the object is not.
    let out = Arc::new(TestHost::new());
    let call = |f: &str| {
        let o = Object::new(ctx, out.clone(), &test_host::words(f), Options::default(), Some(&dir));
        o.message(0, &pyrus_engine::atoms::Message::Bang);
        out.take_outlet(0)
    };
    assert_eq!(call("stuck.wait_closed"), ["1"], "the worker is in on_close");
    ctx.service();
    let after = host.take();
    call("stuck.let_close");
    assert!(after.is_empty(), "nothing reaches a deleted object's outlets: {after:?}");
}

#[test]
fn dsp_again_remakes_the_rings_and_arrays_for_the_new_block() {
    let dir = setup("again", CHUNKS);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "again.Chunks");
    let mut p = o.dsp(64, 48000.0);
    let ramp = |i: usize| (i + 1) as f32;
    let first = stream(&mut p, 0, 10, 64, ramp);
    assert_eq!(first[128..], (0..8 * 64).map(ramp).collect::<Vec<_>>()[..]);
    // DSP off and on again with another block size and rate: the old half is dropped first.
    drop(p);
    let mut p = o.dsp(128, 96000.0);
    assert_eq!(p.latency(), 256);
    let second = stream(&mut p, 0, 10, 128, ramp);
    assert!(second[..256].iter().all(|&y| y == 0.0), "the new rings start silent");
    assert_eq!(second[256..], (0..8 * 128).map(ramp).collect::<Vec<_>>()[..]);
    // And once more, the previous half kept until after (as a host may).
    let mut q = o.dsp(32, 48000.0);
    drop(p);
    let third = stream(&mut q, 0, 10, 32, ramp);
    assert_eq!(third[64..], (0..8 * 32).map(ramp).collect::<Vec<_>>()[..]);
    o.message(0, &test_host::msg("eval repr(sorted(self.sizes))"));
    o.message(0, &test_host::msg("eval self.sample_rate"));
    let events = test_host::serve_until(ctx, &host, |e| status(e, 0).len() >= 2);
    assert_eq!(
        status(&events, 0),
        ["symbol [((1, 32), (1, 32), 32), ((1, 64), (1, 64), 64), ((1, 128), (1, 128), 128)]", "48000"]
    );
}

#[test]
fn underruns_are_reported_at_most_once_a_second_and_a_flood_of_messages_is_counted() {
    let dir = setup("episodes", SLOW);
    let (host, ctx) = context();
    let gate = Gate::new(ctx, &dir, "episodes");
    let o = make(ctx, &host, &dir, "episodes.Slow");
    let mut p = o.dsp(16, 48000.0);
    let mut reports = Vec::new();
    for (episode, from) in [0, 20].into_iter().enumerate() {
        stream(&mut p, from, 5, 16, |_| 1.0);
        gate.arm();
        run_unwaited(&mut p, from + 5, 5, 16, |_| 1.0);
        gate.wait_entered();
        if episode == 1 {
            // Blocked: messages wait, the most the worker takes and no more.
            for _ in 0..pyrus_engine::signal::MOST_JOBS + 3 {
                o.message(0, &pyrus_engine::atoms::Message::Float(1.0));
            }
        }
        run_unwaited(&mut p, from + 10, 5, 16, |_| 1.0);
        gate.release();
        stream(&mut p, from + 15, 5, 16, |_| 1.0);
        let (made, events) =
            test_host::serve_until_timed(ctx, &host, |e| status(e, 0).iter().any(|s| s.starts_with("underrun")));
        reports.push((made, status(&events, 0)));
    }
    // The engine stamps a report in the service call that sends it: the
    // first was made after its call began, the second before its call ended.
    let apart = reports[1].0.end - reports[0].0.start;
    assert!(apart >= pyrus_engine::signal::REPORT_EVERY, "two reports {apart:?} apart: {reports:?}");
    assert!(reports[1].1.contains(&"dropped 3".to_owned()), "{reports:?}");
    assert!(reports.iter().all(|(_, r)| !r.iter().any(|s| s.starts_with("error"))), "{reports:?}");
}

const WHERE: &str = "import threading, pyrus\n\nclass Where(pyrus.Signal):\n    outlets = 1\n    def __init__(self):\n        self.seen = []\n    def in_0_bang(self):\n        self.seen.append(threading.get_ident())\n    def process(self, ins, outs):\n        self.worker = threading.get_ident()\n        outs[:] = ins\n\nclass NotSignal(pyrus.Object):\n    pass\n";

#[test]
fn methods_run_on_the_audio_worker_and_bad_input_is_reported() {
    let dir = setup("where", WHERE);
    let (host, ctx) = context();
    let words = |text| test_host::words(text);
    for (args, why) in [
        ("where.NotSignal", "is not a pyrus.Signal subclass"),
        ("where.Missing", "did not load"),
        ("where.Where -latency 0", "-latency takes a whole number from 1 to 64, not '0'"),
    ] {
        let made = SignalObject::<f32>::with_patch_dir(ctx, host.clone(), &words(args), Some(&dir));
        let Err(error) = made else { panic!("{args}: made") };
        assert!(error.contains(why), "{args}: {error}");
        let console = host.take();
        assert!(console.iter().any(|e| matches!(e, Event::Error(t) if t.contains(why))), "{args}: {console:?}");
    }
    let o = make(ctx, &host, &dir, "where.Where -block 100");
    let mut p = o.dsp(64, 48000.0);
    let errors = status(&host.take(), 1);
    assert!(errors[0].starts_with("error ValueError -block 100 is not a multiple"), "{errors:?}");
    assert_eq!(p.latency(), 128, "process gets the host's blocks then");
    o.message(0, &test_host::msg("detach 1"));
    o.message(0, &test_host::msg("latency 2"));
    let errors = status(&host.take(), 1);
    assert!(errors[0].starts_with("error ValueError 'detach' is not one of pyrus~'s own words"), "{errors:?}");
    assert!(errors[1].starts_with("error ValueError latency takes no arguments"), "{errors:?}");
    o.message(0, &pyrus_engine::atoms::Message::Bang);
    let ramp = |i: usize| (i + 1) as f32;
    let output = stream(&mut p, 0, 6, 64, ramp);
    assert_eq!(output[128..], (0..4 * 64).map(ramp).collect::<Vec<_>>()[..], "it keeps working");
    o.message(0, &test_host::msg("eval self.seen == [self.worker]"));
    let events = test_host::serve_until(ctx, &host, |e| !status(e, 0).is_empty());
    assert_eq!(status(&events, 0), ["1"], "the method ran on the thread that runs process");
    let here = Arc::new(TestHost::new());
    let probe = Object::new(ctx, here.clone(), &words("threading.get_ident"), Options::default(), None);
    probe.message(0, &pyrus_engine::atoms::Message::Bang);
    o.message(0, &test_host::msg(&format!("eval self.worker != {}", here.take_outlet(0)[0])));
    let events = test_host::serve_until(ctx, &host, |e| !status(e, 0).is_empty());
    assert_eq!(status(&events, 0), ["1"], "and that is not this (the host's) thread");
    #[cfg(target_os = "linux")]
    {
        // Normal priority: the plain time-sharing policy.
        o.message(0, &test_host::msg("eval __import__('os').sched_getscheduler(0) == __import__('os').SCHED_OTHER"));
        let events = test_host::serve_until(ctx, &host, |e| !status(e, 0).is_empty());
        assert_eq!(status(&events, 0), ["1"], "the worker runs SCHED_OTHER");
    }
}

const SPIN: &str = "import threading, pyrus\nentered = threading.Event()\nclosed = threading.Event()\n\ndef wait_entered():\n    return entered.wait(10)\n\ndef wait_closed():\n    return closed.wait(10)\n\nclass Spin(pyrus.Signal):\n    def process(self, ins, outs):\n        entered.set()\n        while True:\n            pass\n    def on_close(self):\n        closed.set()\n";

#[test]
fn dropping_it_interrupts_a_process_busy_in_python_and_the_worker_ends() {
    let dir = setup("spin", SPIN);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "spin.Spin");
    let mut p = o.dsp(64, 48000.0);
    run_unwaited(&mut p, 0, 1, 64, |_| 0.0);
    let out = Arc::new(TestHost::new());
    let call = |f: &str| {
        let probe = Object::new(ctx, out.clone(), &test_host::words(f), Options::default(), Some(&dir));
        probe.message(0, &pyrus_engine::atoms::Message::Bang);
        out.take_outlet(0)
    };
    assert_eq!(call("spin.wait_entered"), ["1"], "process is spinning");
    let start = Instant::now();
    drop(o);
    assert!(start.elapsed() < Duration::from_secs(3), "the drop returned by its deadline");
    assert_eq!(call("spin.wait_closed"), ["1"], "interrupted (pyrus.Stopped), the worker ran on_close and ended");
    assert!(host.take().iter().all(|e| !matches!(e, Event::Error(_))), "an interrupt is not an error");
}

#[test]
fn double_precision_samples_are_float64_arrays() {
    let dir = setup("double", "import numpy, pyrus\n\nclass Twice(pyrus.Signal):\n    def process(self, ins, outs):\n        assert ins.dtype == numpy.float64 and outs.dtype == numpy.float64\n        outs[:] = ins * 2\n");
    let (host, ctx) = context();
    let o = SignalObject::<f64>::with_patch_dir(ctx, host.clone(), &test_host::words("double.Twice"), Some(&dir));
    let o = o.expect("made");
    let mut p = o.dsp(8, 96000.0);
    let x = |i: usize| (i as f64 + 1.0) / 3.0;
    let mut output = Vec::new();
    for k in 0..6 {
        wait_ready(&p);
        let ins: Vec<f64> = (k * 8..k * 8 + 8).map(x).collect();
        let mut out = vec![f64::NAN; 8];
        p.run(&[&ins], &mut [&mut out]);
        output.extend(out);
    }
    for (t, &y) in output.iter().enumerate().skip(16) {
        assert_eq!(y, x(t - 16) * 2.0, "sample {t}: every bit of a double");
    }
    assert!(host.take().iter().all(|e| !matches!(e, Event::Error(_))));
}

#[test]
fn watch_reloads_on_a_save_between_two_blocks() {
    let dir = setup("watched", SIGNED);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "watched.Signed -watch");
    let mut p = o.dsp(8, 48000.0);
    let mut output = stream(&mut p, 0, 4, 8, |_| 1.0);
    std::fs::write(dir.join("watched.py"), SIGNED.replace("ins * self.g", "-ins * self.g")).unwrap();
    // The file event, debounced, becomes a delivery the service carries out.
    let start = Instant::now();
    while output.last() != Some(&-1.0) {
        assert!(start.elapsed() < HUNG, "no reload after the save: {output:?}");
        ctx.service();
        output.extend(stream(&mut p, output.len() / 8, 1, 8, |_| 1.0));
    }
    assert!(output.chunks(8).all(|b| b.iter().all(|&y| y == b[0])), "between two blocks");
    o.message(0, &test_host::msg("watch 2"));
    let errors = status(&host.take(), 0);
    assert!(errors.last().is_some_and(|e| e.starts_with("error ValueError watch takes")), "{errors:?}");
}

// Clocks and receivers from a `pyrus.Signal` script: each firing is a job
// on the object's audio worker, between two blocks, in order with its
// messages; what the callback returns leaves outlet 0, marshalled.

const STEPPER: &str = "import threading, pyrus\nentered = threading.Event()\ngate = threading.Event()\n\n\
def arm():\n    gate.clear()\n    entered.clear()\n\ndef wait_entered():\n    return entered.wait(10)\n\n\
def release():\n    gate.set()\n\nclass Stepper(pyrus.Signal):\n    outlets = 1\n    def __init__(self, bus):\n        \
self.g = 1\n        self.in_0_listen(bus)\n    def in_0_listen(self, bus):\n        \
self.bus = pyrus.receive(bus, self.gain)\n    def in_0_start(self, ms):\n        \
self.clock = pyrus.every(ms, self.step)\n    def in_0_after(self, ms):\n        \
pyrus.after(ms, self.gain, -1)\n    def in_0_hold(self):\n        entered.set()\n        gate.wait(10)\n    \
def step(self):\n        self.g += 1\n        return pyrus.Message('step', self.g, pyrus.time())\n    \
def gain(self, g):\n        self.g = g\n        self.out(0, 'gain', g)\n    def process(self, ins, outs):\n        \
outs[:] = ins * self.g\n";

/// Services `ctx` (as the host's clock would) until `done`, at most [`HUNG`].
fn serve_while(ctx: &Context, host: &TestHost, what: &str, mut busy: impl FnMut() -> bool) {
    let start = Instant::now();
    while busy() {
        assert!(start.elapsed() < HUNG, "{what}; recorded: {:?}", host.take());
        ctx.service();
        host.wait_for_wake(Duration::from_millis(1));
    }
}

/// Each host block's first sample, after checking the block is one value.
fn levels(output: &[f32], block: usize) -> Vec<f32> {
    assert!(output.chunks(block).all(|b| b.iter().all(|&y| y == b[0])), "a change lands between two blocks");
    output.chunks(block).map(|b| b[0]).collect()
}

#[test]
fn every_and_receive_from_a_signal_script_change_what_process_does_between_two_blocks() {
    let dir = setup("stepper", STEPPER);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "stepper.Stepper stepper-bus");
    // Made in __init__, on this (the creating host) thread: bound at once.
    assert_eq!(host.bound("stepper-bus"), 1);
    o.message(0, &test_host::msg("start 100"));
    // Made on the audio worker: armed by the service.
    serve_while(ctx, &host, "the clock is armed", || host.clocks_set() == 0);
    let mut p = o.dsp(8, 48000.0);
    let one = |_| 1.0;
    let mut output = stream(&mut p, 0, 4, 8, one);
    host.advance(100.0);
    output.extend(stream(&mut p, 4, 4, 8, one));
    let events = test_host::serve_until(ctx, &host, |e| !status(e, 0).is_empty());
    assert_eq!(status(&events, 0), ["step 2 100"], "its result, at the clock's logical time");
    // Each run done before the next tick (else it would coalesce: below).
    for (at, result) in [(200, "step 3 200"), (300, "step 4 300")] {
        host.advance(100.0);
        let events = test_host::serve_until(ctx, &host, |e| !status(e, 0).is_empty());
        assert_eq!(status(&events, 0), [result], "at {at}");
    }
    output.extend(stream(&mut p, 8, 4, 8, one));
    host.send("stepper-bus", &pyrus_engine::atoms::Message::Float(10.0)).expect("bound");
    output.extend(stream(&mut p, 12, 4, 8, one));
    let events = test_host::serve_until(ctx, &host, |e| !status(e, 0).is_empty());
    assert_eq!(status(&events, 0), ["gain 10"], "called like a method");
    // Block i is made from input i - 2: each change reaches the blocks of
    // the input after it (those already done may have it or not).
    let blocks = levels(&output, 8);
    let within = |at: usize, low: f32, high: f32| blocks[at..at + 2].iter().all(|&y| (low..=high).contains(&y));
    assert_eq!(blocks[..4], [0.0, 0.0, 1.0, 1.0], "{blocks:?}");
    assert!(within(4, 1.0, 2.0), "{blocks:?}");
    assert_eq!(blocks[6..8], [2.0; 2], "one tick at 100: {blocks:?}");
    assert!(within(8, 2.0, 4.0), "{blocks:?}");
    assert_eq!(blocks[10..12], [4.0; 2], "two more at 200 and 300: {blocks:?}");
    assert!(within(12, 4.0, 10.0), "{blocks:?}");
    assert_eq!(blocks[14..], [10.0; 2], "the message to its receiver: {blocks:?}");
    assert!(blocks.windows(2).all(|w| w[1] >= w[0]), "in order: {blocks:?}");
    assert!(host.take().iter().all(|e| !matches!(e, Event::Error(_))));
}

#[test]
fn a_signal_scripts_every_coalesces_while_its_worker_is_busy() {
    let dir = setup("coalesce", STEPPER);
    let (host, ctx) = context();
    let gate = Gate::new(ctx, &dir, "coalesce");
    let o = make(ctx, &host, &dir, "coalesce.Stepper coalesce-bus");
    o.message(0, &test_host::msg("start 10"));
    serve_while(ctx, &host, "the clock is armed", || host.clocks_set() == 0);
    gate.arm();
    o.message(0, &test_host::msg("hold"));
    gate.wait_entered();
    // The worker is held: the first tick's run waits, the next three are skipped.
    for _ in 0..4 {
        host.advance(10.0);
    }
    gate.release();
    o.message(0, &test_host::msg("eval self.clock.skipped"));
    let events = test_host::serve_until(ctx, &host, |e| status(e, 0).len() == 2);
    assert_eq!(status(&events, 0), ["step 2 40", "3"], "one run, three ticks coalesced");
    host.advance(10.0);
    let events = test_host::serve_until(ctx, &host, |e| status(e, 0).len() == 1);
    assert_eq!(status(&events, 0), ["step 3 50"], "it ticks again");
}

#[test]
fn deleting_or_reloading_a_signal_object_ends_its_clocks_and_receivers() {
    let dir = setup("ending", STEPPER);
    let (host, ctx) = context();
    let o = make(ctx, &host, &dir, "ending.Stepper ending-bus");
    o.message(0, &test_host::msg("start 10"));
    o.message(0, &test_host::msg("after 1000"));
    serve_while(ctx, &host, "both clocks are armed", || host.clocks_set() < 2);
    let mut p = o.dsp(8, 48000.0);
    stream(&mut p, 0, 4, 8, |_| 1.0);
    // A reload ends the old code's hooks (this code starts none on reload).
    o.message(0, &test_host::msg("reload"));
    o.message(0, &test_host::msg("eval 'reloaded'"));
    let events = test_host::serve_until(ctx, &host, |e| status(e, 0).contains(&"symbol reloaded".to_owned()));
    assert_eq!(status(&events, 1), Vec::<String>::new(), "the reload worked");
    assert_eq!((host.clocks_set(), host.bound("ending-bus")), (0, 0), "ended by the reload");
    // The new code's own: then deleted with them pending.
    o.message(0, &test_host::msg("start 10"));
    o.message(0, &test_host::msg("listen ending-bus"));
    serve_while(ctx, &host, "armed again", || host.clocks_set() == 0 || host.bound("ending-bus") == 0);
    host.take();
    drop(o);
    drop(p);
    assert_eq!((host.clocks_set(), host.bound("ending-bus")), (0, 0), "freed and unbound with the object");
    host.advance(1000.0);
    assert!(host.send("ending-bus", &pyrus_engine::atoms::Message::Bang).is_err());
    ctx.service();
    assert_eq!(host.take(), Vec::<Event>::new(), "nothing fires after");
}
