//! `[pyrus~]` in the fake-max kernel's MSP: the kernel's audio thread runs
//! the chain (real time, a vector every VS/SR s), generators feed the
//! signal inlets, captures write the signal outlets to files. The latencies
//! here leave the audio worker 90 ms or more for each block, so that a loaded
//! machine does not make a block late; a late block would show as
//! `underrun N` on the status outlet, which every test checks for.

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

/// Constant output (its version); on bang, the version and what `keep`
/// kept (the instance's state, which a reload keeps).
fn level(version: u32) -> String {
    format!(
        "import pyrus\n\nclass Level(pyrus.Signal):\n    outlets = 1\n    kept = 0\n\n    def in_0_keep(self, n):\n        self.kept = n\n\n    def in_0_bang(self):\n        return [{version}, self.kept]\n\n    def process(self, ins, outs):\n        outs[:] = {version}\n"
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

/// No block was late (the test's margins are meant to make that so).
fn no_underrun(max: &Max) {
    let late: Vec<&String> = max.lines.iter().filter(|l| l.contains(" underrun ")).collect();
    assert!(late.is_empty(), "blocks were late: {late:?}\n{}", max.text());
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
        for (n, s) in out.iter().enumerate() {
            let want = if n < latency { 0.0 } else { (n - latency) as f64 * gain };
            assert_eq!(*s, want, "{file}: sample {n}");
        }
    }
    // The status outlet (right of the signal outlet) says the latency.
    max.send("g", 0, "latency");
    assert_eq!(max.expect_out("g", 1).message, format!("latency {latency}"));
    no_underrun(&max);
    max.quit();
}

#[test]
fn an_impulse_comes_out_exactly_the_latency_later() {
    let mut max = kernel("signal-impulse", &[("gain.py", GAIN)]);
    // Max's way to write an option: @latency 4 is -latency 4.
    max.new_object("g", "pyrus~ gain.Gain @latency 4");
    max.cmds(&["signal g 0 impulse 3001", "capture g 0 out.txt"]);
    // 4 blocks of 1024 at 44.1 kHz: 93 ms for the worker.
    run(&mut max, 44100, 1024, 10);
    let out = samples(&max, "out.txt");
    let ones: Vec<usize> = out.iter().enumerate().filter(|(_, s)| **s != 0.0).map(|(n, _)| n).collect();
    assert_eq!(ones, vec![3001 + 4 * 1024]);
    assert_eq!(out[3001 + 4 * 1024], 1.0);
    no_underrun(&max);
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
    let (a, b, c) = (samples(&max, "a.txt"), samples(&max, "b.txt"), samples(&max, "c.txt"));
    for n in 0..20 * 512 {
        let (ramp, level) = if n < latency { (0.0, 0.0) } else { ((n - latency) as f64, 0.25) };
        assert_eq!((a[n], b[n], c[n]), (ramp, level, (ramp + level) * 2.0), "sample {n}");
    }
    // Three signal outlets on the left, the status outlet right of them.
    assert_eq!(max.assist("m", "out", 2), "signal out 2");
    assert_eq!(max.assist("m", "in", 2), "messages (control inlet 1)");
    max.send("m", 0, "latency");
    assert_eq!(max.expect_out("m", 3).message, format!("latency {latency}"));
    no_underrun(&max);
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
    max.cmd("capture l 0 out.txt");
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
    let out = samples(&max, "out.txt");
    // Silence for the latency, then 1s, then 2s, the switch on a block's edge.
    let first = out.iter().position(|s| *s != 0.0).expect("some output");
    let switch = out.iter().position(|s| *s == 2.0).expect("the new class's output");
    assert_eq!(first, 8 * 256);
    assert_eq!(switch % 256, 0, "the class changed inside a block");
    assert!(out[first..switch].iter().all(|s| *s == 1.0) && out[switch..].iter().all(|s| *s == 2.0));
    no_underrun(&max);
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
        run(&mut max, sr, vs, 12);
        let (size, rate, gain) = (samples(&max, "size.txt"), samples(&max, "rate.txt"), samples(&max, "gain.txt"));
        let latency = 4 * vs;
        assert_eq!(size.len(), 12 * vs);
        for n in 0..12 * vs {
            let want =
                if n < latency { (0.0, 0.0, 0.0) } else { (vs as f64, f64::from(sr), (n - latency) as f64 * 2.0) };
            assert_eq!((size[n], rate[n], gain[n]), want, "{sr} Hz, {vs}: sample {n}");
        }
    }
    no_underrun(&max);
    max.quit();
}

const FLAKY: &str = r#"import pyrus

class Flaky(pyrus.Signal):
    bad = 0

    def in_0_float(self, bad):
        self.bad = bad

    def process(self, ins, outs):
        if self.bad:
            raise ValueError("bad block")
        outs[:] = 1
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
    // silence meanwhile; good blocks again once it stops raising.
    max.send("f", 0, "1.");
    assert_eq!(max.expect_out("f", 1).message, "error ValueError bad block");
    max.send("f", 0, "0.");
    max.send("f", 0, "latency");
    assert_eq!(max.expect_out("f", 1).message, "latency 2048");
    max.cmd("wait 300");
    max.cmd("dsp off");
    max.expect_prefix("dsp off ");
    let out = samples(&max, "out.txt");
    let silent = out.iter().skip(8 * 256).position(|s| *s == 0.0).expect("silence while process raised");
    assert!(out[8 * 256..8 * 256 + silent].iter().all(|s| *s == 1.0), "good blocks before");
    assert_eq!(out.last(), Some(&1.0), "good blocks after");
    assert_eq!(max.outlet("f", 1).iter().filter(|o| o.starts_with("error")).count(), 1, "reported once");
    assert!(max.errors().iter().any(|e| e.contains("ValueError: bad block")), "the traceback in the Max window");
    no_underrun(&max);
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
    let out = samples(&max, "out.txt");
    let latency = 8 * 512;
    // The new rings start empty: a latency of silence from the rebuild's
    // vector on, then the gain again, sample for sample.
    // (The ramp is 0 at the latency itself.)
    let gap = (latency + 1..out.len()).find(|&n| out[n] == 0.0).expect("the rebuild's silence");
    assert_eq!(gap % 512, 0, "the rebuild at a vector's edge");
    for (n, s) in out.iter().enumerate() {
        let want = if n < latency || (gap..gap + latency).contains(&n) { 0.0 } else { (n - latency) as f64 * 0.5 };
        assert_eq!(*s, want, "sample {n} (the rebuild at {gap})");
    }
    assert!(out.len() > gap + latency, "the gain again after the rebuild");
    no_underrun(&max);
    max.quit();
}
