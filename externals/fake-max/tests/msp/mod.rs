//! The kernel's MSP (src/msp.rs) driven through its protocol with
//! tests/externals/gain.c, an MSP external in the SDK's style: the chain
//! compiled from dsp64 methods, perform routines on the audio thread with
//! the generators' samples in and the captures out, proxies of z_dsp_setup,
//! z_dsp_free against a vector in flight, and the rules the kernel reports.

use super::Kernel;
use std::time::{Duration, Instant};

/// The samples a capture wrote (one a line).
fn samples(k: &Kernel, file: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(k.dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines().map(|l| l.parse().unwrap_or_else(|_| panic!("{file}: {l:?} is not a number"))).collect()
}

#[test]
fn a_chain_runs_perform64_with_the_generators_in_and_the_captures_out() {
    let mut k = Kernel::start("msp-chain", &["gain"]);
    for cmd in
        ["new a gain~", "signal a 0 ramp", "signal a 1 const 0.5", "capture a 0 left.txt", "capture a 1 right.txt"]
    {
        k.call(cmd, &[]);
    }
    k.call("send a 0 2.5", &[]);
    // count[]: both inlets fed, both outlets captured.
    k.call("dsp fast 48000 64 10", &["post gain~: dsp64 48000 64 1 1 1 1", "dsp done 10"]);
    k.call("dsp off", &["dsp off 10"]);
    let left = samples(&k, "left.txt");
    let right = samples(&k, "right.txt");
    assert_eq!(left.len(), 640);
    for (n, (l, r)) in left.iter().zip(&right).enumerate() {
        assert_eq!((*l, *r), (n as f64 * 2.5, n as f64 + 0.5), "sample {n}");
    }
    // The control outlet (the rightmost) counts vectors; the state is off again.
    k.call("send a 0 bang", &["post gain~: state 48000 64 0 0", "out a 2 main int 10"]);
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0));
}

#[test]
fn an_impulse_and_unfed_inlets_and_dsp_add64_called_directly() {
    let mut k = Kernel::start("msp-impulse", &["gain"]);
    k.call("new a gain~ direct", &[]);
    k.call("signal a 0 impulse 70", &[]);
    k.call("capture a 1 right.txt", &[]);
    k.call("dsp fast 44100 32 4", &["post gain~: dsp64 44100 32 1 0 0 1", "dsp done 4"]);
    k.call("dsp off", &["dsp off 4"]);
    let right = samples(&k, "right.txt");
    let ones: Vec<usize> = right.iter().enumerate().filter(|(_, s)| **s != 0.0).map(|(i, _)| i).collect();
    assert_eq!((right.len(), ones), (128, vec![70]));
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0));
}

#[test]
fn dsp_again_with_another_vector_size_recompiles() {
    let mut k = Kernel::start("msp-again", &["gain"]);
    k.call("new a gain~", &[]);
    k.call("dsp fast 44100 64 2", &["post gain~: dsp64 44100 64 0 0 0 0", "dsp done 2"]);
    k.call("send a 0 bang", &["post gain~: state 44100 64 1 1", "out a 2 main int 2"]);
    k.call("dsp off", &["dsp off 2"]);
    k.call("dsp fast 96000 256 3", &["post gain~: dsp64 96000 256 0 0 0 0", "dsp done 3"]);
    k.call("dsp off", &["dsp off 3"]);
    k.call("send a 0 bang", &["post gain~: state 96000 256 0 0", "out a 2 main int 5"]);
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0));
}

#[test]
fn real_time_paces_the_vectors() {
    let mut k = Kernel::start("msp-realtime", &["gain"]);
    k.call("new a gain~", &[]);
    let start = Instant::now();
    // 100-sample vectors at 1 kHz: the 5th starts 0.4 s after the first.
    k.call("dsp run 1000 100 5", &["post gain~: dsp64 1000 100 0 0 0 0", "dsp done 5"]);
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(400), "5 vectors of 0.1 s in {took:?}");
    k.call("dsp off", &["dsp off 5"]);
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0));
}

#[test]
fn signal_inlets_after_the_first_are_proxies() {
    let mut k = Kernel::start("msp-proxies", &["gain"]);
    k.call("new a gain~", &[]);
    k.call("send a 1 3.5", &["post gain~: float 3.5 at inlet 1"]);
    k.call("send a 2 1.", &["error gain~: no inlet 2"]);
    k.call("signal a 2 ramp", &["error signal: a has 2 signal inlets"]);
    k.call("capture a 2 x.txt", &["error capture: outlet 2 of a is not a signal outlet"]);
    k.call("signal a 0 noise", &["error signal: \"noise\" is not impulse [AT], ramp, const V, sine HZ [AMP] or off"]);
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0));
}

#[test]
fn z_dsp_free_waits_for_the_vector_in_flight() {
    let mut k = Kernel::start("msp-free", &["gain"]);
    k.call("new a gain~ slow", &[]);
    k.call("new b gain~", &[]);
    k.send("dsp on 44100 64");
    k.until("post gain~: dsp64 44100 64 0 0 0 0");
    k.until("post gain~: dsp64 44100 64 0 0 0 0");
    // a's vectors take 20 ms each: the free meets one in flight. Its perform
    // routine says so if it ever runs on the freed object.
    k.call("wait 100", &[]);
    // The chain is rebuilt without a: b's dsp64 again.
    k.call("free a", &["post gain~: dsp64 44100 64 0 0 0 0"]);
    k.call("wait 100", &[]);
    k.call("send b 0 bang", &["post gain~: state 44100 64 1 1"]);
    let vectors = k.next();
    k.call("dsp off", &[]);
    k.next();
    let (rest, status) = k.finish();
    assert!(vectors.starts_with("out b 2 main int "), "{vectors}");
    assert_eq!((rest, status), (vec![], 0), "no perform routine ran on the freed object");
}

#[test]
fn freed_without_z_dsp_free_is_a_violation() {
    let mut k = Kernel::start("msp-leak", &["gain"]);
    k.call("new a gain~ leak", &[]);
    k.call("free a", &["violation gain~ was freed without z_dsp_free (it was in the DSP chain)"]);
    let (_, status) = k.finish();
    assert_eq!(status, 1);
}

#[test]
fn an_outlet_from_the_audio_thread_is_a_violation() {
    let mut k = Kernel::start("msp-outlet", &["gain"]);
    k.call("new a gain~", &[]);
    k.call("send a 0 misbehave", &[]);
    k.call(
        "dsp fast 44100 64 1",
        &[
            "post gain~: dsp64 44100 64 0 0 0 0",
            "violation outlet_int from a thread that is neither main nor the scheduler (a)",
            "dsp done 1",
        ],
    );
    k.call("dsp off", &["dsp off 1"]);
    let (_, status) = k.finish();
    assert_eq!(status, 1);
}

#[test]
fn the_first_output_is_the_first_input_unless_z_no_inplace() {
    let mut k = Kernel::start("msp-inplace", &["gain"]);
    k.call("new a gain~", &[]);
    k.call("new b gain~ apart", &[]);
    k.call("signal a 0 ramp", &[]);
    k.call("capture a 0 left.txt", &[]);
    k.send("dsp fast 44100 64 2");
    k.until("dsp done 2");
    k.call("dsp off", &["dsp off 2"]);
    k.call("send a 0 inplace", &["post gain~: inplace 1"]);
    k.call("send b 0 inplace", &["post gain~: inplace 0"]);
    // In place, the capture still reads the outlet's samples.
    let left = samples(&k, "left.txt");
    assert!(left.iter().enumerate().all(|(n, s)| *s == n as f64), "{left:?}");
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0));
}

#[test]
fn an_object_made_while_dsp_runs_rebuilds_the_chain() {
    let mut k = Kernel::start("msp-rebuild", &["gain"]);
    k.call("new a gain~", &[]);
    k.call("signal a 0 ramp", &[]);
    k.call("capture a 0 left.txt", &[]);
    k.call("dsp on 44100 64", &["post gain~: dsp64 44100 64 1 0 1 0"]);
    k.call("wait 50", &[]);
    // Every dsp64 again, in creation order; b runs at once.
    k.call("new b gain~", &["post gain~: dsp64 44100 64 1 0 1 0", "post gain~: dsp64 44100 64 0 0 0 0"]);
    k.call("wait 50", &[]);
    k.call("dsp off", &[]);
    let off = k.next();
    let vectors: usize = off.strip_prefix("dsp off ").and_then(|n| n.parse().ok()).expect("dsp off N");
    k.call("send b 0 bang", &["post gain~: state 44100 64 0 0"]);
    let b = k.next();
    assert!(b.starts_with("out b 2 main int ") && b != "out b 2 main int 0", "{b}");
    // The capture goes on across the rebuild: the whole run, sample for sample.
    let left = samples(&k, "left.txt");
    assert_eq!(left.len(), vectors * 64);
    assert!(left.iter().enumerate().all(|(n, s)| *s == n as f64));
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0));
}
