//! `[pyrus~]`'s engine side against the recording `TestHost` and real
//! CPython: the test thread plays the host's audio thread and calls
//! `Perform::run`, waiting for the worker between blocks through
//! `Perform::ready` (a bounded loop on a condition, never a sleep), so no
//! result depends on the machine's speed.

use pyrus_engine::test_host::{self, Event, TestHost};
use pyrus_engine::{Context, Perform, SignalObject};
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
