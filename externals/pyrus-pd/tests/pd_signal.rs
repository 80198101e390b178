//! `[pyrus~]` in real Pd with DSP on: realtime `pd -nosound`, which runs
//! DSP on the system clock (`; pd dsp 1`). What a `[pyrus~]` puts out is
//! recorded with `[tabwrite~]` beside what vanilla objects (`[*~]`, `[+~]`)
//! make of the same input, and dumped exactly by a `[pyrus]` into a file.
//!
//! The latency is exact by design, so every recorded block is compared
//! sample for sample with the reference delayed by it; the one allowance
//! for a loaded machine is a block of silence where the audio worker was
//! late (an underrun, counted by the object): a block that is neither
//! exact nor silent fails, and each test needs exact blocks to pass.
//! Every step waits in Pd's logical time or for a message, never for the
//! wall clock.

mod support;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::*;

/// Samples in a recording (Pd's default rate is 44100: about 0.19 s).
const RECORD: usize = 8192;

/// Pd's default block.
const BLOCK: usize = 64;

/// The shared scripts: `dump` writes an array's values, exactly, to a file
/// beside the patch; the Signal classes the tests run.
const SCRIPTS: &str = r#"
import numpy as np
import pyrus
import time

def dump(name, *values):
    with open(name + ".txt", "w") as f:
        f.write("\n".join(repr(float(v)) for v in values))

class Gain(pyrus.Signal):
    """outs[0] = ins[0] * gain; `gain G` sets it."""
    signal_inlets = 1
    signal_outlets = 1

    def __init__(self, gain=1.0):
        self.gain = gain

    def in_0_gain(self, gain):
        self.gain = gain

    def process(self, ins, outs):
        np.multiply(ins[0], self.gain, out=outs[0])

class Mix(pyrus.Signal):
    """Two signals in, three out; a control inlet sets the gain of the second."""
    signal_inlets = 2
    signal_outlets = 3
    inlets = 2
    outlets = 1

    def __init__(self):
        self.gain = 1.0

    def in_1_float(self, gain):
        self.gain = gain
        self.out(0, "gain", gain)

    def process(self, ins, outs):
        outs[0][:] = ins[1]
        np.multiply(ins[0], self.gain, out=outs[1])
        np.add(ins[0], ins[1], out=outs[2])

class Slow(pyrus.Signal):
    """Passes its input through, each block `seconds` late."""
    def __init__(self, seconds=0.05):
        self.seconds = seconds

    def process(self, ins, outs):
        time.sleep(self.seconds)
        outs[0][:] = ins[0]

class Fails(pyrus.Signal):
    """Gain 1 until `fail 1`, then raises in every block until `fail 0`."""
    outlets = 1

    def __init__(self):
        self.failing = 0

    def in_0_fail(self, on):
        self.failing = on
        self.out(0, "fail", on)

    def process(self, ins, outs):
        if self.failing:
            raise ZeroDivisionError("deliberate, in every block")
        outs[0][:] = ins[0]

class Flip(pyrus.Signal):
    """Gain 0.5, negated by every(20) three times (the third run cancels
    it); receive('flip-bus') sets it; each says so on its control outlet."""
    outlets = 1

    def __init__(self):
        self.gain, self.n = 0.5, 0
        self.clock = pyrus.every(20, self.flip)
        self.bus = pyrus.receive("flip-bus", self.heard)

    def flip(self):
        self.gain, self.n = -self.gain, self.n + 1
        if self.n == 3:
            self.clock.cancel()
        return pyrus.Message("flip", self.n, self.gain)

    def heard(self, gain):
        self.gain = gain
        return pyrus.Message("heard", gain)

    def process(self, ins, outs):
        np.multiply(ins[0], self.gain, out=outs[0])

class Ticker(pyrus.Signal):
    """Passes its input through; ticks every 10 ms on its control outlet,
    with an after(200) and a receive('ticker-bus') pending all along."""
    outlets = 1

    def __init__(self):
        self.n = 0
        pyrus.every(10, self.tick)
        pyrus.after(200, lambda: pyrus.Message("tick", "after"))
        pyrus.receive("ticker-bus", lambda *atoms: pyrus.Message("tick", "heard"))

    def tick(self):
        self.n += 1
        return pyrus.Message("tick", self.n)

    def process(self, ins, outs):
        outs[0][:] = ins[0]
"#;

/// A fresh test folder with the scripts as `sig.py`.
fn setup(name: &str) -> PathBuf {
    let dir = test_dir(name);
    std::fs::write(dir.join("sig.py"), SCRIPTS).unwrap();
    dir
}

/// The patch every test starts from: the dumper first (a `[pyrus]`, which
/// also puts the patch's folder on Python's path for the classes).
fn patch() -> Patch {
    let mut p = Patch::new();
    let r = p.obj("r dump-array");
    let dump = p.obj("pyrus sig.dump");
    p.connect(r, 0, dump, 0);
    p
}

/// `[array define NAME]` of [`RECORD`] samples, written by a `[tabwrite~]`
/// fed by outlet `outlet` of box `from`: `[; rec bang(` starts every
/// recorder at once, `[; dump NAME(` writes NAME.txt.
fn recorder(p: &mut Patch, name: &str, from: usize, outlet: usize) {
    recorder_on(p, "rec", name, from, outlet)
}

/// As [`recorder`], started by `[; TRIGGER bang(`.
fn recorder_on(p: &mut Patch, trigger: &str, name: &str, from: usize, outlet: usize) {
    p.obj(&format!("array define {name} {RECORD}"));
    let write = p.obj(&format!("tabwrite~ {name}"));
    p.connect(from, outlet, write, 0);
    let rec = p.obj(&format!("r {trigger}"));
    p.connect(rec, 0, write, 0);
    let dump = p.obj("r dump");
    let get = p.obj(&format!("array get {name}"));
    let prepend = p.obj(&format!("list prepend {name}"));
    let send = p.obj("s dump-array");
    p.connect(dump, 0, get, 0);
    p.connect(get, 0, prepend, 0);
    p.connect(prepend, 0, send, 0);
}

/// Messages sent on load, each after a delay in Pd's logical time (ms)
/// from the one before; `; ...` messages to receivers.
fn timeline(p: &mut Patch, steps: &[(f64, &str)]) {
    let mut before = p.obj("loadbang");
    for (ms, text) in steps {
        let delay = p.obj(&format!("delay {ms}"));
        p.connect(before, 0, delay, 0);
        let m = p.msg(text);
        p.connect(delay, 0, m, 0);
        before = delay;
    }
}

/// Runs the patch in realtime Pd. `-sleepgrain 0.1`: Pd wakes every 0.1 ms
/// when idle and so computes its DSP ticks one at a time on time, as an
/// audio device would ask for them (its default, 5 ms, computes them in
/// bursts, all but the first before any audio worker could answer).
fn run_dsp(dir: &Path, name: &str, p: &Patch, flags: &[&str]) -> Transcript {
    let mut all = vec!["-realtime", "-sleepgrain", "0.1"];
    all.extend_from_slice(flags);
    let t = run_within(dir, name, p, &all, Duration::from_secs(60));
    t.require_numpy();
    assert!(!t.contains("couldn't create"), "{}", t.text());
    t
}

/// The values of array NAME, as the dumper wrote them.
fn read(dir: &Path, name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join(format!("{name}.txt")))
        .unwrap_or_else(|e| panic!("{name}.txt was not written: {e}"));
    text.lines().map(|l| l.parse().unwrap()).collect()
}

/// How [`compare`] found the blocks of a recording.
#[derive(Debug)]
struct Blocks {
    exact: usize,
    /// Exact and not silent.
    sounding: usize,
    silent: usize,
}

/// Compares `out` with `reference` delayed by `latency` samples, block by
/// block of `block` samples (recordings start on a block): each is exact or
/// (an underrun) silent, or the test fails, saying where.
fn compare(out: &[f64], reference: &[f64], latency: usize, block: usize, what: &str) -> Blocks {
    assert_eq!(out.len(), reference.len(), "{what}: recordings of one length");
    let mut blocks = Blocks { exact: 0, sounding: 0, silent: 0 };
    for start in (latency.next_multiple_of(block)..out.len()).step_by(block) {
        let got = &out[start..start + block];
        let want = &reference[start - latency..start - latency + block];
        if got == want {
            blocks.exact += 1;
            blocks.sounding += usize::from(want.iter().any(|&v| v != 0.0));
        } else if got.iter().all(|&v| v == 0.0) {
            blocks.silent += 1;
        } else {
            let at = (0..block).find(|&i| got[i] != want[i]).unwrap();
            panic!(
                "{what}: sample {} is {}, where the reference {latency} samples before is {} ({blocks:?} so far)",
                start + at,
                got[at],
                want[at]
            );
        }
    }
    blocks
}

/// As [`compare`], needing at least one exact block with sound in it.
fn assert_exact(out: &[f64], reference: &[f64], latency: usize, block: usize, what: &str, t: &Transcript) {
    let blocks = compare(out, reference, latency, block, what);
    assert!(blocks.sounding > 0, "{what}: no block came out exact: {blocks:?}\n{}", t.text());
}

#[test]
fn a_gain_class_matches_times_tilde_sample_for_sample_after_the_latency() {
    let dir = setup("gain");
    let mut p = patch();
    let noise = p.obj("noise~");
    let pyrus = p.obj("pyrus~ sig.Gain 0.3");
    let times = p.obj("*~ 0.3");
    p.connect(noise, 0, pyrus, 0);
    p.connect(noise, 0, times, 0);
    recorder(&mut p, "out", pyrus, 0);
    recorder(&mut p, "ref", times, 0);
    let status = p.obj("print status");
    p.connect(pyrus, 1, status, 0);
    let r = p.obj("r g");
    p.connect(r, 0, pyrus, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1; g latency"), (500.0, "; rec bang"), (300.0, "; dump bang; pd quit")]);
    let t = run_dsp(&dir, "gain", &p, &[]);
    assert!(t.printed("status").contains(&"latency 128".to_owned()), "{}", t.text());
    assert_exact(&read(&dir, "out"), &read(&dir, "ref"), 2 * BLOCK, BLOCK, "[pyrus~ sig.Gain 0.3]", &t);
    assert!(t.errors().is_empty(), "{}", t.text());
}

/// `[tabplay~]` of a one-sample impulse, restarted by `[metro 10]`, into
/// `[pyrus~ sig.Gain 1 FLAGS]`; returns the recorded output and input.
fn impulses(name: &str, flags: &str) -> (Vec<f64>, Vec<f64>, Transcript) {
    let dir = setup(name);
    let mut p = patch();
    p.obj("array define impulse 1");
    let set = p.msg("; impulse 0 1");
    let lb = p.obj("loadbang");
    p.connect(lb, 0, set, 0);
    let metro = p.obj("metro 10");
    let on = p.obj("r go");
    p.connect(on, 0, metro, 0);
    let play = p.obj("tabplay~ impulse");
    p.connect(metro, 0, play, 0);
    let pyrus = p.obj(&format!("pyrus~ sig.Gain 1 {flags}"));
    p.connect(play, 0, pyrus, 0);
    recorder(&mut p, "out", pyrus, 0);
    recorder(&mut p, "in", play, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1; go 1"), (500.0, "; rec bang"), (300.0, "; dump bang; pd quit")]);
    let t = run_dsp(&dir, name, &p, &[]);
    (read(&dir, "out"), read(&dir, "in"), t)
}

#[test]
fn an_impulse_comes_out_exactly_two_blocks_later() {
    let (out, input, t) = impulses("impulse", "");
    // Every block exact or silent: an impulse anywhere but 128 samples on fails.
    assert_exact(&out, &input, 2 * BLOCK, BLOCK, "impulses, default latency", &t);
}

#[test]
fn latency_4_delays_an_impulse_by_four_blocks() {
    let (out, input, t) = impulses("impulse4", "-latency 4");
    assert_exact(&out, &input, 4 * BLOCK, BLOCK, "impulses, -latency 4", &t);
}

#[test]
fn block_256_gives_process_four_blocks_for_three_more_of_latency() {
    // -block 256 on Pd's 64: process waits for 4 blocks, so 2 + 3 blocks.
    let (out, input, t) = impulses("block256", "-block 256");
    assert_exact(&out, &input, 5 * BLOCK, BLOCK, "impulses, -block 256", &t);
}

#[test]
fn several_signal_inlets_and_outlets_and_a_control_inlet() {
    let dir = setup("multi");
    let mut p = patch();
    let a = p.obj("noise~");
    let b = p.obj("noise~");
    let pyrus = p.obj("pyrus~ sig.Mix");
    // Inlets: the main signal inlet, the second signal inlet, control inlet 1.
    p.connect(a, 0, pyrus, 0);
    p.connect(b, 0, pyrus, 1);
    let gain = p.obj("r gain");
    p.connect(gain, 0, pyrus, 2);
    let times = p.obj("*~ 0.25");
    let plus = p.obj("+~");
    p.connect(a, 0, times, 0);
    p.connect(a, 0, plus, 0);
    p.connect(b, 0, plus, 1);
    // Outlets: three signals, the control outlet, the status outlet.
    for (i, name) in ["out0", "out1", "out2"].iter().enumerate() {
        recorder(&mut p, name, pyrus, i);
    }
    recorder(&mut p, "b", b, 0);
    recorder(&mut p, "times", times, 0);
    recorder(&mut p, "plus", plus, 0);
    let said = p.obj("print said");
    p.connect(pyrus, 3, said, 0);
    let status = p.obj("print status");
    p.connect(pyrus, 4, status, 0);
    // Record once the gain has reached the audio worker (it says so).
    let route = p.obj("route gain");
    p.connect(pyrus, 3, route, 0);
    let wait = p.obj("delay 100");
    p.connect(route, 0, wait, 0);
    let rec = p.msg("; rec bang");
    p.connect(wait, 0, rec, 0);
    let done = p.obj("delay 300");
    p.connect(wait, 0, done, 0);
    let quit = p.msg("; dump bang; pd quit");
    p.connect(done, 0, quit, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1"), (100.0, "; gain 0.25")]);
    let t = run_dsp(&dir, "multi", &p, &[]);
    assert_eq!(t.printed("said"), ["gain 0.25"], "{}", t.text());
    let l = 2 * BLOCK;
    assert_exact(&read(&dir, "out0"), &read(&dir, "b"), l, BLOCK, "outlet 0: inlet 1", &t);
    assert_exact(&read(&dir, "out1"), &read(&dir, "times"), l, BLOCK, "outlet 1: [*~ 0.25]", &t);
    assert_exact(&read(&dir, "out2"), &read(&dir, "plus"), l, BLOCK, "outlet 2: [+~]", &t);
}

#[test]
fn a_slow_process_is_counted_as_underruns_and_metro_keeps_time() {
    let dir = setup("underrun");
    let mut p = patch();
    let osc = p.obj("osc~ 440");
    let pyrus = p.obj("pyrus~ sig.Slow 0.05");
    p.connect(osc, 0, pyrus, 0);
    let status = p.obj("print status");
    p.connect(pyrus, 1, status, 0);
    // [metro 1] counts 2000 ticks of logical time, and [realtime] measures
    // the wall clock meanwhile: a perform routine that waited for the slow
    // process (50 ms a block) would take over a minute for those 2 s.
    let go = p.obj("r go");
    let metro = p.obj("metro 1");
    p.connect(go, 0, metro, 0);
    let count = p.counter();
    p.connect(metro, 0, count, 0);
    let sel = p.obj("sel 2000");
    p.connect(count, 0, sel, 0);
    let timer = p.obj("timer");
    let real = p.obj("realtime");
    let start = p.obj("t b b");
    p.connect(go, 0, start, 0);
    p.connect(start, 0, timer, 0);
    p.connect(start, 1, real, 0);
    let end = p.obj("t b b b");
    p.connect(sel, 0, end, 0);
    p.connect(end, 2, timer, 1);
    p.connect(end, 1, real, 1);
    let logical = p.obj("print logical");
    let wall = p.obj("print wall");
    p.connect(timer, 0, logical, 0);
    p.connect(real, 0, wall, 0);
    let quit = p.msg("; pd quit");
    p.connect(end, 0, quit, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1; go bang")]);
    let t = run_dsp(&dir, "underrun", &p, &[]);
    assert_eq!(t.printed("logical"), ["2000"], "{}", t.text());
    let wall: f64 = t.printed("wall")[0].parse().unwrap();
    assert!(wall < 20_000.0, "2 s of metro took {wall} ms of wall clock: DSP waited for Python\n{}", t.text());
    let underruns: Vec<u64> =
        t.printed("status").iter().filter_map(|l| l.strip_prefix("underrun ")).map(|n| n.parse().unwrap()).collect();
    assert!(!underruns.is_empty() && underruns.iter().all(|&n| n > 0), "underrun N reports: {}", t.text());
}

/// Pd's default scheduling without an audio device, `-sleepgrain 5`,
/// computes the DSP ticks due after each 5 ms sleep back to back: three or
/// four blocks at 44.1 kHz, of which those beyond `-latency 2` are due
/// before their input could be processed. The object says so once, with
/// the burst it measured and the latency that covers it.
#[test]
fn late_blocks_from_pd_computing_blocks_in_bursts_are_explained_with_the_latency_that_covers_them() {
    let dir = setup("bursts");
    let mut p = patch();
    let osc = p.obj("osc~ 440");
    let pyrus = p.obj("pyrus~ sig.Gain 0.5");
    p.connect(osc, 0, pyrus, 0);
    let status = p.obj("print status");
    p.connect(pyrus, 1, status, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1"), (2000.0, "; pd quit")]);
    let t = run_within(&dir, "bursts", &p, &["-realtime", "-sleepgrain", "5"], Duration::from_secs(60));
    t.require_numpy();
    let advice: Vec<&String> =
        t.lines.iter().filter(|l| l.starts_with("pyrus~: ") && l.contains("blocks at a time")).collect();
    assert!(!t.errors().iter().any(|e| e.contains("blocks at a time")), "a post, not an error:\n{}", t.text());
    assert_eq!(advice.len(), 1, "said once:\n{}", t.text());
    let burst: u64 = advice[0]
        .split("computes up to ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", advice[0]));
    assert!(burst >= 3, "5 ms of 1.45 ms blocks: {}", advice[0]);
    assert!(advice[0].contains("more than -latency 2 covers"), "{}", advice[0]);
    assert!(advice[0].contains(&format!("-latency {} or more covers them", burst + 1)), "{}", advice[0]);
    assert!(advice[0].contains("-sleepgrain 0.7 or less"), "half a block at 44.1 kHz: {}", advice[0]);
    assert!(t.printed("status").iter().any(|l| l.starts_with("underrun ")), "{}", t.text());
}

#[test]
fn reload_during_dsp_keeps_the_state() {
    let dir = setup("reload");
    // The new code: the same Gain, negated; the gain set before the reload stays.
    let v2 = SCRIPTS.replace(
        "np.multiply(ins[0], self.gain, out=outs[0])",
        "np.multiply(ins[0], -self.gain, out=outs[0])\n\n    def on_reload(self):\n        pyrus.send('reloaded', 1)",
    );
    std::fs::write(dir.join("sig_v2.py"), v2).unwrap();
    let mut p = patch();
    let copy = p.obj("pyrus shutil.copy sig_v2.py sig.py");
    let r = p.obj("r copy");
    p.connect(r, 0, copy, 0);
    let noise = p.obj("noise~");
    let pyrus = p.obj("pyrus~ sig.Gain 1");
    let times = p.obj("*~ -0.5");
    p.connect(noise, 0, pyrus, 0);
    p.connect(noise, 0, times, 0);
    let g = p.obj("r g");
    p.connect(g, 0, pyrus, 0);
    recorder(&mut p, "out", pyrus, 0);
    recorder(&mut p, "ref", times, 0);
    let status = p.obj("print status");
    p.connect(pyrus, 1, status, 0);
    let reloaded = p.obj("r reloaded");
    let said = p.obj("print reloaded");
    p.connect(reloaded, 0, said, 0);
    let wait = p.obj("delay 100");
    p.connect(reloaded, 0, wait, 0);
    let rec = p.msg("; rec bang");
    p.connect(wait, 0, rec, 0);
    let done = p.obj("delay 300");
    p.connect(wait, 0, done, 0);
    let quit = p.msg("; dump bang; pd quit");
    p.connect(done, 0, quit, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1; g gain 0.5"), (200.0, "; copy bang; g reload")]);
    let t = run_dsp(&dir, "reload", &p, &[]);
    assert_eq!(t.printed("reloaded"), ["1"], "{}", t.text());
    assert_exact(&read(&dir, "out"), &read(&dir, "ref"), 2 * BLOCK, BLOCK, "after the reload: -gain", &t);
}

#[test]
fn deleting_a_pyrus_tilde_while_dsp_runs_and_process_is_slow() {
    let dir = setup("delete");
    let mut p = patch();
    let mut inner = Patch::new();
    let osc = inner.obj("osc~ 440");
    let slow = inner.obj("pyrus~ sig.Slow 0.5");
    let dac = inner.obj("dac~");
    let status = inner.obj("s sub-status");
    inner.connect(osc, 0, slow, 0);
    inner.connect(slow, 0, dac, 0);
    inner.connect(slow, 1, status, 0);
    p.subpatch("sub", &inner);
    // At its first underrun report the subpatch is emptied (the [pyrus~] in
    // the middle of a half-second process); then [metro 10] counts 50 ticks
    // and Pd quits.
    let reported = p.obj("r sub-status");
    let route = p.obj("route underrun");
    p.connect(reported, 0, route, 0);
    // [delay 0]: not from inside the object's own outlet call (Pd itself
    // reads an outlet's connections after the call, which clear frees).
    let later = p.obj("delay 0");
    p.connect(route, 0, later, 0);
    let clear = p.msg("; pd-sub clear; go 1");
    p.connect(later, 0, clear, 0);
    let go = p.obj("r go");
    let metro = p.obj("metro 10");
    p.connect(go, 0, metro, 0);
    let count = p.counter();
    p.connect(metro, 0, count, 0);
    let sel = p.obj("sel 50");
    p.connect(count, 0, sel, 0);
    let alive = p.obj("print alive");
    p.connect(sel, 0, alive, 0);
    p.quit_on("alive");
    let alive_send = p.obj("s alive");
    p.connect(sel, 0, alive_send, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1")]);
    let t = run_dsp(&dir, "delete", &p, &[]);
    assert_eq!(t.printed("alive"), ["bang"], "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}

#[test]
fn dsp_off_and_on_and_a_block_size_change() {
    let dir = setup("block");
    let mut p = patch();
    // In a subpatch of 128-sample blocks, then 256 (`set` to its [block~]).
    let mut inner = Patch::new();
    let block = inner.obj("block~ 128");
    let set = inner.obj("r blocksize");
    inner.connect(set, 0, block, 0);
    let noise = inner.obj("noise~");
    let pyrus = inner.obj("pyrus~ sig.Gain 0.3");
    let times = inner.obj("*~ 0.3");
    inner.connect(noise, 0, pyrus, 0);
    inner.connect(noise, 0, times, 0);
    for round in ["a", "b", "c"] {
        let trigger = format!("rec-{round}");
        recorder_on(&mut inner, &trigger, &format!("out-{round}"), pyrus, 0);
        recorder_on(&mut inner, &trigger, &format!("ref-{round}"), times, 0);
    }
    p.subpatch("sub", &inner);
    timeline(
        &mut p,
        &[
            (0.0, "; pd dsp 1"),
            (500.0, "; rec-a bang"),
            (300.0, "; pd dsp 0"),
            (100.0, "; pd dsp 1"),
            (500.0, "; rec-b bang"),
            // A [block~]'s `set` takes effect when DSP starts again.
            (300.0, "; blocksize set 256; pd dsp 0; pd dsp 1"),
            (500.0, "; rec-c bang"),
            (300.0, "; dump bang; pd quit"),
        ],
    );
    let t = run_dsp(&dir, "block", &p, &[]);
    for (round, block, what) in [("a", 128, "block 128"), ("b", 128, "DSP off and on"), ("c", 256, "block 256")] {
        let out = read(&dir, &format!("out-{round}"));
        let reference = read(&dir, &format!("ref-{round}"));
        assert_exact(&out, &reference, 2 * block, block, what, &t);
    }
}

#[test]
fn a_raising_process_is_reported_once_and_the_object_keeps_running() {
    let dir = setup("raise");
    let mut p = patch();
    let noise = p.obj("noise~");
    let pyrus = p.obj("pyrus~ sig.Fails");
    p.connect(noise, 0, pyrus, 0);
    let r = p.obj("r f");
    p.connect(r, 0, pyrus, 0);
    recorder(&mut p, "out", pyrus, 0);
    recorder(&mut p, "in", noise, 0);
    let said = p.obj("print said");
    p.connect(pyrus, 1, said, 0);
    let status = p.obj("print status");
    p.connect(pyrus, 2, status, 0);
    // Fails for 300 ms (a hundred blocks and more), then records once it
    // works again (it says `fail 0` from the audio worker).
    let route = p.obj("route fail");
    p.connect(pyrus, 1, route, 0);
    let zero = p.obj("sel 0");
    p.connect(route, 0, zero, 0);
    let wait = p.obj("delay 100");
    p.connect(zero, 0, wait, 0);
    let rec = p.msg("; rec bang");
    p.connect(wait, 0, rec, 0);
    let done = p.obj("delay 300");
    p.connect(wait, 0, done, 0);
    let quit = p.msg("; dump bang; pd quit");
    p.connect(done, 0, quit, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1"), (200.0, "; f fail 1"), (300.0, "; f fail 0")]);
    let t = run_dsp(&dir, "raise", &p, &[]);
    assert_eq!(t.printed("said"), ["fail 1", "fail 0"], "{}", t.text());
    let reports: Vec<String> =
        t.printed("status").into_iter().filter(|l| l.starts_with("error ZeroDivisionError")).collect();
    assert_eq!(reports.len(), 1, "one report for a hundred raising blocks: {}", t.text());
    assert!(t.contains("Traceback") || t.contains("line "), "the traceback is in the console: {}", t.text());
    assert_exact(&read(&dir, "out"), &read(&dir, "in"), 2 * BLOCK, BLOCK, "after the errors", &t);
}

#[test]
fn quit_while_process_is_slow_ends_pd_at_once() {
    let dir = setup("quit");
    let mut p = patch();
    let osc = p.obj("osc~ 440");
    // Each block takes 30 s: an exit that waited for it would take that long.
    let pyrus = p.obj("pyrus~ sig.Slow 30");
    p.connect(osc, 0, pyrus, 0);
    let status = p.obj("print status");
    p.connect(pyrus, 1, status, 0);
    // Quit once the object reports its first underrun: process is running.
    let route = p.obj("route underrun");
    p.connect(pyrus, 1, route, 0);
    let quitting = p.obj("print quitting");
    p.connect(route, 0, quitting, 0);
    p.quit_on("quit-now");
    let send = p.obj("s quit-now");
    p.connect(route, 0, send, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1")]);
    let t = run_dsp(&dir, "quit", &p, &[]);
    let line = t.lines.iter().find(|l| l.starts_with("quitting: ")).cloned().unwrap_or_else(|| panic!("{}", t.text()));
    let exit = t.exit_after(&line);
    assert!(exit < Duration::from_secs(10), "Pd took {exit:?} to exit after quit\n{}", t.text());
}

/// A patch whose first object is `[pyrus~ tilde.Gain 0.5]` (the shipped
/// example), printing its status outlet's answer to `latency` once DSP is
/// on, then quitting.
fn first_object_patch(dir: &Path, declare: &str) -> PathBuf {
    let mut text = String::from("#N canvas 0 0 400 300 12;\n");
    if !declare.is_empty() {
        text.push_str(&format!("#X declare {declare};\n"));
    }
    // loadbang -> [t b b]: DSP on (the latency is known from then), then `latency`.
    text.push_str(
        "#X obj 10 10 pyrus~ tilde.Gain 0.5;\n#X obj 10 40 loadbang;\n#X msg 10 70 latency;\n\
         #X obj 10 100 print status;\n#X msg 10 130 \\; pd quit;\n#X obj 10 160 t b b;\n#X msg 10 190 \\; pd dsp 1;\n\
         #X connect 1 0 5 0;\n#X connect 5 1 6 0;\n#X connect 5 0 2 0;\n#X connect 2 0 0 0;\n\
         #X connect 0 1 3 0;\n#X connect 0 1 4 0;\n",
    );
    let path = dir.join("first.pd");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn pyrus_tilde_is_found_by_its_own_name_and_after_declare_lib() {
    let package = package_dir();
    let parent = package.parent().unwrap().to_string_lossy().into_owned();
    for (what, declare, path) in [
        ("the package folder on the path: pyrus~.pd_linux", "", package.to_string_lossy().into_owned()),
        ("[declare -lib pyrus], its parent on the path", "-lib pyrus", parent),
    ] {
        let dir = test_dir("first");
        let patch = first_object_patch(&dir, declare);
        let mut pd = pd_command_bare(&dir);
        pd.args(["-nostdpath", "-path", &path]);
        let t = run_command(pd, &patch, &[], Duration::from_secs(60));
        assert!(!t.contains("couldn't create"), "{what}: {}", t.text());
        assert_eq!(t.printed("status"), ["latency 128"], "{what}: {}", t.text());
    }
}

/// A `pyrus.Signal`'s `every` changes the gain `process` uses (and cancels
/// itself from its own run), then a `[; flip-bus 0.25(` reaches its
/// `receive`: each run is a job on its audio worker between two blocks,
/// its result on the control outlet. The output is recorded after each
/// change and compared sample for sample with a `[*~]` of the new gain.
#[test]
fn a_signal_classes_every_and_receive_change_its_gain_between_two_blocks() {
    let dir = setup("sig-clock");
    let mut p = patch();
    let noise = p.obj("noise~");
    let pyrus = p.obj("pyrus~ sig.Flip");
    let (flipped, heard) = (p.obj("*~ -0.5"), p.obj("*~ 0.25"));
    for to in [pyrus, flipped, heard] {
        p.connect(noise, 0, to, 0);
    }
    recorder_on(&mut p, "rec-a", "out_a", pyrus, 0);
    recorder_on(&mut p, "rec-a", "ref_a", flipped, 0);
    recorder_on(&mut p, "rec-b", "out_b", pyrus, 0);
    recorder_on(&mut p, "rec-b", "ref_b", heard, 0);
    let said = p.obj("print said");
    p.connect(pyrus, 1, said, 0);
    let status = p.obj("print status");
    p.connect(pyrus, 2, status, 0);
    // After `flip 3`: record, then send to its receiver; after `heard`:
    // record, dump, quit.
    let route = p.obj("route flip heard");
    p.connect(pyrus, 1, route, 0);
    let unpack = p.obj("unpack f f");
    let third = p.obj("sel 3");
    let heard_bang = p.obj("t b");
    p.connect(route, 0, unpack, 0);
    p.connect(unpack, 0, third, 0);
    p.connect(route, 1, heard_bang, 0);
    for (from, then) in [(third, "; flip-bus 0.25"), (heard_bang, "; dump bang; pd quit")] {
        let record = p.obj("delay 100");
        let rec = p.msg(if from == third { "; rec-a bang" } else { "; rec-b bang" });
        let after = p.obj("delay 300");
        let next = p.msg(then);
        p.connect(from, 0, record, 0);
        p.connect(record, 0, rec, 0);
        p.connect(from, 0, after, 0);
        p.connect(after, 0, next, 0);
    }
    // A hang's limit (the test takes about a second).
    timeline(&mut p, &[(0.0, "; pd dsp 1"), (10000.0, "; pd quit")]);
    let t = run_dsp(&dir, "sig-clock", &p, &[]);
    assert_eq!(t.printed("said"), ["flip 1 -0.5", "flip 2 0.5", "flip 3 -0.5", "heard 0.25"], "{}", t.text());
    let latency = 2 * BLOCK;
    assert_exact(&read(&dir, "out_a"), &read(&dir, "ref_a"), latency, BLOCK, "after every's third run", &t);
    assert_exact(&read(&dir, "out_b"), &read(&dir, "ref_b"), latency, BLOCK, "after receive", &t);
    // A loaded machine may make an underrun: counted, never an error.
    assert!(t.printed("status").iter().all(|s| s.starts_with("underrun")), "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}

/// A `[pyrus~]` whose script has an `every`, an `after` and a `receive`
/// pending is deleted (`[; pd-sub clear(`) after its second tick, during
/// DSP; its receiver's name gets a message at once and a mark follows:
/// nothing the object's hooks make comes after the mark.
#[test]
fn deleting_a_signal_object_with_clocks_and_a_receiver_pending_fires_nothing_after() {
    let dir = setup("sig-clock-delete");
    let mut p = patch();
    let mut inner = Patch::new();
    let osc = inner.obj("osc~ 440");
    let ticker = inner.obj("pyrus~ sig.Ticker");
    let dac = inner.obj("dac~");
    let results = inner.obj("s results");
    let status = inner.obj("s sub-status");
    inner.connect(osc, 0, ticker, 0);
    inner.connect(ticker, 0, dac, 0);
    inner.connect(ticker, 1, results, 0);
    inner.connect(ticker, 2, status, 0);
    p.subpatch("sub", &inner);
    let heard = p.obj("r results");
    let print = p.obj("print results");
    p.connect(heard, 0, print, 0);
    let status_print = p.obj("print status");
    let status_heard = p.obj("r sub-status");
    p.connect(status_heard, 0, status_print, 0);
    let route = p.obj("route tick");
    p.connect(heard, 0, route, 0);
    let second = p.obj("sel 2");
    p.connect(route, 0, second, 0);
    // [delay 0]: not from inside the object's own outlet call.
    let later = p.obj("delay 0");
    p.connect(second, 0, later, 0);
    let clear = p.msg("; pd-sub clear; ticker-bus 1; results cleared");
    p.connect(later, 0, clear, 0);
    // Past the after(200) and many every(10) ticks.
    let wait = p.obj("delay 400");
    p.connect(later, 0, wait, 0);
    let quit = p.msg("; pd quit");
    p.connect(wait, 0, quit, 0);
    timeline(&mut p, &[(0.0, "; pd dsp 1"), (10000.0, "; pd quit")]);
    let t = run_dsp(&dir, "sig-clock-delete", &p, &[]);
    let results = t.printed("results");
    assert_eq!(results.get(..2), Some(&["tick 1".to_owned(), "tick 2".to_owned()][..]), "{}", t.text());
    assert_eq!(results.last().map(String::as_str), Some("cleared"), "nothing fires after deletion:\n{}", t.text());
    assert!(!results.iter().any(|r| r == "tick after" || r == "tick heard"), "{}", t.text());
    assert!(t.printed("status").iter().all(|s| s.starts_with("underrun")), "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}
