//! `[pyrus~]` in the fake-max kernel's MSP: the kernel's audio thread runs
//! the chain (real time, a vector every VS/SR s), generators feed the
//! signal inlets, captures write the signal outlets to files.
//!
//! The latency is exact by design, so every captured block is compared
//! sample for sample with what it is when the audio worker is on time
//! (silence for the latency, then the input's result delayed by it); the one
//! allowance for a loaded machine is a block of silence where the worker was
//! late (an underrun, which the engine's design allows and counts): a block
//! that is neither exact nor silent fails, and each test needs exact blocks
//! with sound in them to pass (see [`blocks`], as `pd_signal.rs` does in Pd).

mod support;
use std::time::{Duration, Instant};
use support::*;

const GAIN: &str = r#"import pyrus

class Gain(pyrus.Signal):
    def __init__(self, g=1):
        self.g = g

    def in_0_float(self, g):
        self.g = g

    def process(self, ins, outs):
        outs[:] = ins * self.g
"#;

const MIX: &str = r#"import pyrus

class Mix(pyrus.Signal):
    signal_inlets = 2
    signal_outlets = 3
    inlets = 2
    scale = 1.0

    def in_1_float(self, f):
        self.scale = f

    def process(self, ins, outs):
        outs[0] = ins[0]
        outs[1] = ins[1]
        outs[2] = (ins[0] + ins[1]) * self.scale
"#;

const SLOW: &str = r#"import pyrus, time

class Slow(pyrus.Signal):
    def process(self, ins, outs):
        time.sleep(0.05)
        outs[:] = ins
"#;

/// Its input times its version; on bang, the version and what `keep`
/// kept (the instance's state, which a reload keeps).
fn level(version: u32) -> String {
    format!(
        "import pyrus\n\nclass Level(pyrus.Signal):\n    outlets = 1\n    kept = 0\n\n    def in_0_keep(self, n):\n        self.kept = n\n\n    def in_0_bang(self):\n        return [{version}, self.kept]\n\n    def process(self, ins, outs):\n        outs[:] = ins * {version}\n"
    )
}

const INFO: &str = r#"import pyrus

class Info(pyrus.Signal):
    signal_outlets = 2

    def process(self, ins, outs):
        outs[0] = self.blocksize
        outs[1] = self.sample_rate
"#;

/// A kernel with the scripts in its folder and `pyrus~.so` loaded (Max
/// loads an external by the name typed in the box).
fn kernel(name: &str, files: &[(&str, &str)]) -> Max {
    let mut max = Max::bare(name, &[]);
    for (file, text) in files {
        max.write(file, text);
    }
    max.load("pyrus~.so");
    max
}

/// The samples a capture wrote, one a line.
fn samples(max: &Max, file: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(max.dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines().map(|l| l.parse().unwrap_or_else(|_| panic!("{file}: {l:?}"))).collect()
}

/// Runs `vectors` vectors in real time and writes the captures.
fn run(max: &mut Max, sr: u32, vs: usize, vectors: usize) {
    max.cmd(&format!("dsp run {sr} {vs} {vectors}"));
    max.expect(&format!("dsp done {vectors}"));
    max.cmd("dsp off");
    max.expect(&format!("dsp off {vectors}"));
}

/// What one block of a capture is (see [`blocks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Exact as `wants[K]` says, with sound in it.
    Sound(usize),
    /// All silence: where the output is silent anyway, or a block the audio
    /// worker made late (dropped by the engine and counted as an underrun).
    Silent,
}

/// Checks capture `out` block by block of `block` samples (a capture starts
/// on a vector): each block is all silence, or exactly what one of `wants`
/// says sample N is when the worker is on time; anything else fails, saying
/// where. A wrong latency, a block cut in two, a sample off: all fail.
fn blocks(out: &[f64], block: usize, what: &str, wants: &[&dyn Fn(usize) -> f64]) -> Vec<Block> {
    assert_eq!(out.len() % block, 0, "{what}: a capture of whole vectors");
    let mut found = Vec::new();
    for start in (0..out.len()).step_by(block) {
        let got = &out[start..start + block];
        if got.iter().all(|&s| s == 0.0) {
            found.push(Block::Silent);
            continue;
        }
        let exact = |want: &&dyn Fn(usize) -> f64| got.iter().enumerate().all(|(i, &s)| s == want(start + i));
        let Some(k) = wants.iter().position(exact) else {
            let wrong: Vec<String> = wants
                .iter()
                .map(|want| {
                    let i = (0..block).find(|&i| got[i] != want(start + i)).unwrap();
                    format!("sample {} is {} where {} is due", start + i, got[i], want(start + i))
                })
                .collect();
            panic!("{what}: a block neither exact nor silent: {} (blocks so far: {found:?})", wrong.join("; or "));
        };
        found.push(Block::Sound(k));
    }
    found
}

/// As [`blocks`] with one want, needing a block with sound in it.
fn assert_exact(max: &Max, out: &[f64], block: usize, what: &str, want: impl Fn(usize) -> f64) {
    let found = blocks(out, block, what, &[&want]);
    assert!(found.contains(&Block::Sound(0)), "{what}: no block came out exact: {found:?}\n{}", max.text());
}

/// Silence for `latency` samples, then `f` of the input sample `latency` before.
fn delayed(latency: usize, f: impl Fn(usize) -> f64) -> impl Fn(usize) -> f64 {
    move |n| if n < latency { 0.0 } else { f(n - latency) }
}

#[test]
fn a_gain_is_its_input_times_the_gain_after_the_latency_sample_for_sample() {
    let mut max = kernel("signal-gain", &[("gain.py", GAIN)]);
    max.new_object("g", "pyrus~ gain.Gain -latency 32 0.5");
    max.cmds(&["signal g 0 ramp", "capture g 0 out.txt"]);
    run(&mut max, 44100, 128, 60);
    // A new gain reaches process between two blocks.
    max.send("g", 0, "0.25");
    max.cmd("capture g 0 again.txt");
    run(&mut max, 44100, 128, 60);
    let latency = 32 * 128;
    for (file, gain) in [("out.txt", 0.5), ("again.txt", 0.25)] {
        let out = samples(&max, file);
        assert_eq!(out.len(), 60 * 128, "{file}");
        assert_exact(&max, &out, 128, file, delayed(latency, |n| n as f64 * gain));
    }
    // The status outlet (right of the signal outlet) says the latency.
    max.send("g", 0, "latency");
    assert_eq!(max.expect_out("g", 1).message, format!("latency {latency}"));
    max.quit();
}

#[test]
fn an_impulse_comes_out_exactly_the_latency_later() {
    let mut max = kernel("signal-impulse", &[("gain.py", GAIN)]);
    // Max's way to write an option: @latency 4 is -latency 4.
    max.new_object("g", "pyrus~ gain.Gain @latency 4");
    max.cmds(&["signal g 0 impulse 3001", "capture g 0 out.txt"]);
    let at = 3001 + 4 * 1024;
    // Every block silent but the impulse's, where it is exact; a late
    // impulse block (silent) asks for another run, a few at most.
    for run_number in 1.. {
        run(&mut max, 44100, 1024, 10);
        let found = blocks(&samples(&max, "out.txt"), 1024, "impulses", &[&|n| f64::from(u8::from(n == at))]);
        if found[at / 1024] == Block::Sound(0) {
            break;
        }
        assert!(run_number < 20, "the impulse's block was late in {run_number} runs: {found:?}\n{}", max.text());
    }
    max.quit();
}

#[test]
fn several_signal_inlets_and_outlets() {
    let mut max = kernel("signal-mix", &[("mix.py", MIX)]);
    max.new_object("m", "pyrus~ mix.Mix -latency 8");
    max.cmds(&["signal m 0 ramp", "signal m 1 const 0.25"]);
    max.cmds(&["capture m 0 a.txt", "capture m 1 b.txt", "capture m 2 c.txt"]);
    // A message at the second signal inlet is refused, clearly.
    max.send("m", 1, "3");
    max.expect("error pyrus~: inlet 1 is a signal inlet: it takes no messages");
    assert_eq!(max.expect_out("m", 3).message, "error ValueError inlet 1 is a signal inlet: it takes no messages");
    // The control inlet is right of the two signal inlets.
    max.send("m", 2, "2.");
    run(&mut max, 44100, 512, 20);
    let latency = 8 * 512;
    assert_exact(&max, &samples(&max, "a.txt"), 512, "outlet 0: inlet 0", delayed(latency, |n| n as f64));
    assert_exact(&max, &samples(&max, "b.txt"), 512, "outlet 1: inlet 1", delayed(latency, |_| 0.25));
    let sum = delayed(latency, |n| (n as f64 + 0.25) * 2.0);
    assert_exact(&max, &samples(&max, "c.txt"), 512, "outlet 2: the sum times 2", sum);
    // Three signal outlets on the left, the status outlet right of them.
    assert_eq!(max.assist("m", "out", 2), "signal out 2");
    assert_eq!(max.assist("m", "in", 2), "messages (control inlet 1)");
    max.send("m", 0, "latency");
    assert_eq!(max.expect_out("m", 3).message, format!("latency {latency}"));
    max.quit();
}

#[test]
fn a_slow_process_is_counted_as_underruns_reported_from_the_scheduler() {
    let mut max = kernel("signal-slow", &[("slow.py", SLOW)]);
    max.new_object("s", "pyrus~ slow.Slow");
    max.cmd("signal s 0 ramp");
    let started = Instant::now();
    // 50 ms a block where the audio gives 1.5 ms: most blocks are late,
    // however fast the machine.
    max.cmd("dsp on 44100 64");
    max.until("two underrun reports", |m| m.outlet("s", 1).iter().filter(|o| o.starts_with("underrun ")).count() >= 2);
    max.cmd("dsp off");
    max.expect_prefix("dsp off ");
    let took = started.elapsed();
    let reports: Vec<Out> = max.outs("s").into_iter().filter(|o| o.message.starts_with("underrun ")).collect();
    for r in &reports {
        assert!(r.thread == "sched" || r.thread == "main", "a report from the {} thread: {r:?}", r.thread);
        let n: u64 = r.message["underrun ".len()..].parse().expect("underrun N");
        assert!(n > 0, "{r:?}");
    }
    // At most one a second.
    assert!(reports.len() as f64 <= took.as_secs_f64() + 1.0, "{} reports in {took:?}", reports.len());
    max.quit();
}

#[test]
fn reload_during_dsp_swaps_the_class_between_two_blocks() {
    let mut max = kernel("signal-reload", &[("level.py", &level(1))]);
    max.new_object("l", "pyrus~ level.Level -latency 8");
    max.cmds(&["signal l 0 ramp", "capture l 0 out.txt"]);
    max.cmd("dsp on 44100 256");
    max.send("l", 0, "keep 42");
    max.send("l", 0, "bang");
    assert_eq!(max.expect_out("l", 1).message, "list 1 42");
    max.write("level.py", &level(2));
    max.send("l", 0, "reload");
    // Messages run in order, between blocks: the bang after the reload is
    // the new class's, on the same instance.
    max.send("l", 0, "bang");
    assert_eq!(max.expect_out("l", 1).message, "list 2 42");
    max.cmd("wait 300");
    max.cmd("dsp off");
    max.expect_prefix("dsp off ");
    // Silence for the latency, then the old class's blocks, then the new
    // one's: each block wholly one class's (the switch on a block's edge).
    let (old, new) = (delayed(8 * 256, |n| n as f64), delayed(8 * 256, |n| n as f64 * 2.0));
    let found = blocks(&samples(&max, "out.txt"), 256, "the reload", &[&old, &new]);
    let classes: Vec<usize> =
        found.iter().filter_map(|b| if let Block::Sound(k) = b { Some(*k) } else { None }).collect();
    assert!(classes.is_sorted() && classes.contains(&1), "old blocks, then new: {found:?}\n{}", max.text());
    max.quit();
}

#[test]
fn deleting_during_dsp_and_quitting_while_process_is_slow_are_clean() {
    let mut max = kernel("signal-delete", &[("gain.py", GAIN), ("slow.py", SLOW)]);
    max.new_object("g", "pyrus~ gain.Gain -latency 16");
    max.new_object("s", "pyrus~ slow.Slow");
    max.new_object("t", "pyrus~ slow.Slow");
    max.cmds(&["signal g 0 ramp", "signal s 0 ramp", "signal t 0 ramp"]);
    max.cmd("dsp on 44100 64");
    max.until("s running late", |m| m.outlet("s", 1).iter().any(|o| o.starts_with("underrun ")));
    max.cmd("free g");
    max.cmd("free s");
    // The chain goes on without them; t is still there, still late.
    let before = max.outlet("t", 1).len();
    max.until("t's next report", |m| m.outlet("t", 1).len() > before);
    // Quit with DSP on and t's process asleep.
    let ended = max.quit_within(Duration::from_secs(10));
    assert!(ended.status.success());
}

#[test]
fn dsp_off_and_on_with_another_vector_size_and_rate() {
    let mut max = kernel("signal-again", &[("info.py", INFO), ("gain.py", GAIN)]);
    max.new_object("i", "pyrus~ info.Info -latency 4");
    max.new_object("g", "pyrus~ gain.Gain -latency 4 2");
    max.cmds(&["capture i 0 size.txt", "capture i 1 rate.txt", "signal g 0 ramp", "capture g 0 gain.txt"]);
    for (sr, vs) in [(44100, 256), (48000, 1024)] {
        run(&mut max, sr, vs, 16);
        let latency = 4 * vs;
        let size = samples(&max, "size.txt");
        assert_eq!(size.len(), 16 * vs);
        assert_exact(&max, &size, vs, &format!("{sr} Hz, {vs}: the block size"), delayed(latency, |_| vs as f64));
        let rate = delayed(latency, |_| f64::from(sr));
        assert_exact(&max, &samples(&max, "rate.txt"), vs, &format!("{sr} Hz, {vs}: the rate"), rate);
        let gain = delayed(latency, |n| n as f64 * 2.0);
        assert_exact(&max, &samples(&max, "gain.txt"), vs, &format!("{sr} Hz, {vs}: the gain"), gain);
    }
    max.quit();
}

const FLAKY: &str = r#"import pyrus

class Flaky(pyrus.Signal):
    bad = 0
    level = 1

    def in_0_float(self, bad):
        self.bad = bad

    def in_0_level(self, level):
        self.level = level

    def process(self, ins, outs):
        if self.bad:
            raise ValueError("bad block")
        outs[:] = self.level
"#;

#[test]
fn bad_input_is_reported_and_the_object_keeps_working() {
    let mut max = kernel("signal-errors", &[("flaky.py", FLAKY)]);
    // No such class: an error in the Max window, and no object.
    max.new_object("n", "pyrus~ flaky.Nothing");
    max.expect_containing("Nothing");
    max.expect("error pyrus~: could not create object");
    max.new_object("f", "pyrus~ flaky.Flaky -latency 8");
    max.cmd("capture f 0 out.txt");
    max.cmd("dsp on 44100 256");
    // A raising process: reported once (the console and the status outlet),
    // silence meanwhile; good blocks again once it stops raising (2s now,
    // told from the 1s before: messages run between blocks, in order).
    max.send("f", 0, "1.");
    assert_eq!(max.expect_out("f", 1).message, "error ValueError bad block");
    max.send("f", 0, "level 2");
    max.send("f", 0, "0.");
    max.send("f", 0, "latency");
    assert_eq!(max.expect_out("f", 1).message, "latency 2048");
    max.cmd("wait 300");
    max.cmd("dsp off");
    max.expect_prefix("dsp off ");
    let (before, after) = (delayed(2048, |_| 1.0), delayed(2048, |_| 2.0));
    let found = blocks(&samples(&max, "out.txt"), 256, "a raising process", &[&before, &after]);
    let first_after = found.iter().position(|b| *b == Block::Sound(1)).unwrap_or_else(|| {
        panic!("no good block after the errors: {found:?}\n{}", max.text());
    });
    let last_before = found.iter().rposition(|b| *b == Block::Sound(0));
    assert!(last_before.is_none_or(|b| b < first_after), "the 1s before the 2s: {found:?}");
    // At least one block raised, between the two: a silent one.
    assert!(found[last_before.map_or(8, |b| b + 1)..first_after].contains(&Block::Silent), "{found:?}");
    assert_eq!(max.outlet("f", 1).iter().filter(|o| o.starts_with("error")).count(), 1, "reported once");
    assert!(max.errors().iter().any(|e| e.contains("ValueError: bad block")), "the traceback in the Max window");
    max.quit();
}

#[test]
fn a_chain_rebuilt_while_dsp_runs_gives_new_rings_and_the_same_latency() {
    let mut max = kernel("signal-rebuild", &[("gain.py", GAIN)]);
    max.new_object("g", "pyrus~ gain.Gain -latency 8 0.5");
    max.cmds(&["signal g 0 ramp", "capture g 0 out.txt"]);
    max.cmd("dsp on 44100 512");
    max.cmd("wait 300");
    // Max rebuilds the chain when an object is made while audio runs: g's
    // dsp64 again, its old Perform dropped with the chain stopped.
    max.new_object("h", "pyrus~ gain.Gain -latency 8");
    max.cmd("wait 300");
    max.cmd("dsp off");
    max.expect_prefix("dsp off ");
    // Every block the gain of the ramp the same latency before, or silent;
    // the new rings start empty: a latency (8 blocks) of silence from the
    // rebuild's vector on, with the gain before and after it. (Late blocks
    // are silent too, so such a run could also be a stall that long.)
    let found = blocks(&samples(&max, "out.txt"), 512, "the rebuild", &[&delayed(8 * 512, |n| n as f64 * 0.5)]);
    let sound: Vec<usize> = (0..found.len()).filter(|&b| found[b] == Block::Sound(0)).collect();
    let gap = sound.windows(2).find(|w| w[1] - w[0] > 8);
    assert!(gap.is_some(), "no latency of silence between blocks of sound: {found:?}\n{}", max.text());
    max.quit();
}
