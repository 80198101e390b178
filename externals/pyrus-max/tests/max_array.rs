//! `pyrus.array(NAME)` over a `buffer~` in the fake-max kernel (which
//! provides `buffer~` and MaxAudio's buffer API): the view's shape (frames x
//! channels of float32), writes the buffer sees, `redraw` as
//! `buffer_setdirty`, locks held for one operation only, a missing buffer,
//! and detached read/write through the scheduler.

mod support;
use support::*;

const SCRIPT: &str = r#"
import numpy as np
import pyrus

def stereo(_):
    a = pyrus.array("snd")
    a[:, 1] *= 10
    return [a.shape[0], a.shape[1], str(a.dtype), float(a[1, 0]), float(np.sum(a[:, 0]))]

def dirty(_):
    pyrus.array("snd").redraw()
    return 1

def grow(_):
    a = pyrus.array("snd")
    a[0, 0] = 9                 # an operation on a view (locks, then unlocks)
    a.resize(6)                 # the kernel calls resizing a locked buffer~ a violation
    a[5] = [7, 8]
    return len(a)

def missing(_):
    pyrus.array("nope")

def detached(_):
    a = pyrus.array("snd")
    n = a.write(np.arange(8).reshape(4, 2) * 0.5)
    r = a.read()
    try:
        a.write([1, 2, 3])
        odd = "written"
    except pyrus.ArrayError as e:
        odd = "refused" if "not whole frames of 2 channels" in str(e) else str(e)
    return [n, r.shape[0], r.shape[1], float(r[3, 1]), odd]
"#;

fn kernel(name: &str) -> Max {
    let mut m = with_scripts(name, &[("arr.py", SCRIPT)]);
    m.new_object("b", "buffer~ snd 4 2");
    m
}

/// `print` of buffer~ `b`: `NAME FRAMES CHANNELS dirty D SAMPLES...`.
fn print(m: &mut Max) -> String {
    m.send("b", 0, "print");
    m.expect_prefix("buffer snd ").trim_start_matches("buffer ").to_owned()
}

#[test]
fn a_view_is_frames_by_channels_of_float32_and_writes_reach_the_buffer() {
    let mut m = kernel("stereo");
    m.send("b", 0, "set 0 1. 2. 3. 4. 5. 6. 7. 8.");
    m.new_object("p", "pyrus arr.stereo");
    m.send("p", 0, "int 1");
    let out = m.expect_out("p", 0);
    assert_eq!(out.message, "list 4 2 float32 3.0 16.0", "{}", m.text());
    assert_eq!(print(&mut m), "snd 4 2 dirty 0 1.0 20.0 3.0 40.0 5.0 60.0 7.0 80.0", "{}", m.text());
    // From the scheduler thread too: the second column again.
    m.sched("p", 0, "int 1");
    assert_eq!(m.expect_out("p", 0).thread, "sched", "{}", m.text());
    assert_eq!(print(&mut m), "snd 4 2 dirty 0 1.0 200.0 3.0 400.0 5.0 600.0 7.0 800.0", "{}", m.text());
    m.quit();
}

#[test]
fn redraw_marks_the_buffer_dirty() {
    let mut m = kernel("dirty");
    m.new_object("p", "pyrus arr.dirty");
    assert!(print(&mut m).starts_with("snd 4 2 dirty 0 "), "{}", m.text());
    m.send("p", 0, "int 1");
    m.expect_out("p", 0);
    assert!(print(&mut m).starts_with("snd 4 2 dirty 1 "), "{}", m.text());
    m.quit();
}

/// Each operation locks and unlocks: the resize in the same call finds the
/// buffer~ unlocked (else the kernel reports a violation, and `quit` fails).
#[test]
fn locks_last_one_operation_and_resize_keeps_the_channels() {
    let mut m = kernel("grow");
    m.new_object("p", "pyrus arr.grow");
    m.send("p", 0, "int 1");
    assert_eq!(m.expect_out("p", 0).message, "int 6", "{}", m.text());
    assert_eq!(print(&mut m), "snd 6 2 dirty 0 9.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 7.0 8.0", "{}", m.text());
    m.send("b", 0, "sizeinsamps 2");
    m.cmd("free b");
    m.quit();
}

#[test]
fn a_missing_buffer_is_an_array_error_naming_it() {
    let mut m = kernel("missing");
    m.new_object("p", "pyrus arr.missing");
    m.new_object("q", "pyrus arr.missing @detach 1");
    m.send("p", 0, "int 1");
    m.send("q", 0, "int 1");
    let error = "error ArrayError array 'nope': no such buffer~ in Max";
    for id in ["p", "q"] {
        m.until(&format!("{id}'s error"), |m| m.outlet(id, 1).iter().any(|s| s.starts_with(error)));
    }
    m.quit();
}

#[test]
fn a_detached_call_reads_and_writes_whole_frames_through_the_scheduler() {
    let mut m = kernel("detached");
    m.new_object("p", "pyrus arr.detached @detach 1");
    m.send("p", 0, "int 1");
    assert_eq!(m.expect_out("p", 0).message, "list 4 4 2 3.5 refused", "{}", m.text());
    assert_eq!(print(&mut m), "snd 4 2 dirty 0 0.0 0.5 1.0 1.5 2.0 2.5 3.0 3.5", "{}", m.text());
    m.quit();
}

/// The help's arrays tab: examples.draw fills every channel in place, and
/// examples.draw_far writes whole frames from a detached call.
#[test]
fn the_help_examples_draw_into_every_channel() {
    let mut m = kernel("helpdraw");
    m.new_object("d", "pyrus examples.draw snd");
    m.new_object("f", "pyrus examples.draw_far snd @detach 1");
    let near = |got: &str, want: &[f64]| {
        let got: Vec<f64> = got.split_whitespace().map(|w| w.parse().unwrap()).collect();
        got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6)
    };
    m.send("d", 0, "int 1");
    let peak = m.expect_out("d", 0).message;
    assert!(near(peak.trim_start_matches("float "), &[0.9]), "{}", m.text());
    // sin at frames 0..3 of 4, scaled to 0.9: 0, 0.9, 0, -0.9, in both channels.
    let shown = print(&mut m);
    let samples = shown.strip_prefix("snd 4 2 dirty 1 ").unwrap_or_else(|| panic!("{}", m.text()));
    assert!(near(samples, &[0.0, 0.0, 0.9, 0.9, 0.0, 0.0, -0.9, -0.9]), "{}", m.text());
    m.send("f", 0, "int 1");
    assert_eq!(m.expect_out("f", 0).message, "int 4", "{}", m.text());
    m.quit();
}
