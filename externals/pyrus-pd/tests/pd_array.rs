//! `pyrus.array(NAME)` in real Pd: zero-copy views of garrays in `detach 0`
//! calls (what `[tabread]` and `[array size]` see), the proxy's lifetime,
//! and detached calls' read/write through the scheduler thread.

mod support;
use support::*;

/// The scripts every test here uses (one module, `arr`).
const SCRIPT: &str = r#"
import numpy as np
import pyrus

kept = []

def show(name, n):
    for i in range(n):
        pyrus.send("idx", i)

def fill(_):
    a = pyrus.array("t")
    a[:] = np.arange(8) * 1.5 + 1
    show("t", 8)  # [tabread t] sees the values now, inside the call
    return [str(a.dtype), a._do(lambda v: v.strides[0])]

def ops(_):
    a = pyrus.array("t")
    a[:] = 1
    a *= 3
    np.add(a, 1, out=a)
    b = a[0:2]
    b[:] = 99  # a copy: the array keeps its 4s
    c = np.asarray(a)
    c[:] = 50
    parts = np.split(a, 2)
    parts[0][:] = 77
    a[7] = np.mean(a) * 2
    show("t", 8)
    return float(np.mean(a))

def grow(_):
    a = pyrus.array("t")
    a.resize(16)
    a[15] = 3
    a.redraw()
    pyrus.send("size", pyrus.bang)
    pyrus.send("idx", 15)
    return [len(a), a.shape[0]]

def keep(_):
    kept.append(pyrus.array("t"))
    return 1

def late(which):
    a = kept[0]
    if which == 1:
        return float(a[0])
    if which == 2:
        return len(a)
    return float(a.read()[0])

def outer(_):
    a = pyrus.array("t")
    pyrus.send("inner", 1)  # another [pyrus]'s call begins and ends in this one
    a[0] = 5
    return float(a[0])

def inner(_):
    return float(pyrus.array("t")[0])

def missing(_):
    pyrus.array("nope")

def detached(_):
    a = pyrus.array("t")
    n = a.write(np.arange(8) * 2)
    r = a.read()
    try:
        a[0]
        view = "a view"
    except pyrus.ArrayError as e:
        view = "no-view" if "detached call" in str(e) else str(e)
    return [n, float(r.sum()), str(r.dtype), len(a), view]

def deleted(step):
    if step == 1:
        a = pyrus.array("gone")
        a[:] = 1
        return len(a)
    if step == 2:
        return len(pyrus.array("gone"))
    a = pyrus.array("gone")
    pyrus.send("pd-sub", pyrus.Message("clear"))  # deleted inside this call
    return float(a[0])

def clip(_):
    a = pyrus.array("t")
    whole = a.write(np.ones(1000))
    end = a.write([5, 6], start=7)
    try:
        a[:] = np.ones(1000)
        shape = "assigned"
    except ValueError:
        shape = "ValueError"
    show("t", 8)
    return [whole, end, shape]

def huge(_):
    pyrus.array("t").resize(10 ** 12)

def past(_):
    pyrus.array("t").write([1], start=9)
"#;

fn script_dir(name: &str) -> std::path::PathBuf {
    let dir = test_dir(name);
    std::fs::write(dir.join("arr.py"), SCRIPT).unwrap();
    dir
}

/// `[table t N]`, and `[r idx]` -> `[tabread t]` -> `[print tab]`.
fn table(p: &mut Patch, frames: usize) {
    p.obj(&format!("table t {frames}"));
    let idx = p.obj("r idx");
    let read = p.obj("tabread t");
    let print = p.obj("print tab");
    p.connect(idx, 0, read, 0);
    p.connect(read, 0, print, 0);
}

fn floats(t: &Transcript, name: &str) -> Vec<f64> {
    t.printed(name).iter().map(|s| s.parse().unwrap_or_else(|_| panic!("{s}:\n{}", t.text()))).collect()
}

#[test]
fn a_view_writes_every_slot_of_the_array_at_once() {
    let dir = script_dir("view");
    let mut p = Patch::new();
    table(&mut p, 8);
    p.pyrus("f", "arr.fill");
    p.script(&[("f", "1")]);
    let t = run(&dir, "view", &p);
    t.require_numpy();
    // Pd's t_word is 8 bytes: float32 every 8 bytes, or contiguous float64 in Pd64.
    let kind = t.printed("f");
    assert!(kind == ["list float32 8"] || kind == ["list float64 8"], "{}", t.text());
    let expected: Vec<f64> = (0..8).map(|i| i as f64 * 1.5 + 1.0).collect();
    assert_eq!(floats(&t, "tab"), expected, "{}", t.text());
}

#[test]
fn numpy_operations_work_in_place_and_reads_are_copies() {
    let dir = script_dir("ops");
    let mut p = Patch::new();
    table(&mut p, 8);
    p.pyrus("f", "arr.ops");
    p.script(&[("f", "1")]);
    let t = run(&dir, "ops", &p);
    t.require_numpy();
    assert_eq!(floats(&t, "tab"), [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 8.0], "{}", t.text());
    assert_eq!(t.printed("f"), ["4.5"], "{}", t.text());
}

#[test]
fn resize_changes_the_array_and_the_next_view_follows() {
    let dir = script_dir("resize");
    let mut p = Patch::new();
    table(&mut p, 8);
    let size = p.obj("r size");
    let array = p.obj("array size t");
    let print = p.obj("print size");
    p.connect(size, 0, array, 0);
    p.connect(array, 0, print, 0);
    p.pyrus("f", "arr.grow");
    p.script(&[("f", "1")]);
    let t = run(&dir, "resize", &p);
    t.require_numpy();
    assert_eq!(t.printed("size"), ["16"], "{}", t.text());
    assert_eq!(t.printed("tab"), ["3"], "{}", t.text());
    assert_eq!(t.printed("f"), ["16 16"], "{}", t.text());
    assert!(t.errors().is_empty(), "redraw and resize are no errors: {}", t.text());
}

#[test]
fn a_proxy_used_after_its_call_raises_array_error_and_nested_calls_keep_theirs() {
    let dir = script_dir("late");
    let mut p = Patch::new();
    table(&mut p, 8);
    p.pyrus("k", "arr.keep");
    p.pyrus("l", "arr.late");
    p.pyrus("o", "arr.outer");
    p.pyrus("inner", "arr.inner");
    p.script(&[("k", "1"), ("l", "1"), ("l", "2"), ("l", "3"), ("o", "1")]);
    let t = run(&dir, "late", &p);
    t.require_numpy();
    let ended = "error ArrayError array 't': this pyrus.Array belonged to a call that has ended";
    let status = t.printed("l-status");
    assert_eq!(status.len(), 3, "{}", t.text());
    assert!(status.iter().all(|s| s.starts_with(ended)), "{}", t.text());
    assert!(t.contains("call pyrus.array('t') again in each call"), "{}", t.text());
    // The inner call's end clears only its own array.
    assert_eq!(t.printed("inner"), ["0"], "{}", t.text());
    assert_eq!(t.printed("o"), ["5"], "{}", t.text());
    assert!(t.printed("o-status").is_empty(), "{}", t.text());
}

#[test]
fn a_missing_array_is_an_array_error_naming_it_in_every_mode() {
    let dir = script_dir("missing");
    let mut p = Patch::new();
    p.pyrus("m0", "arr.missing");
    // One detached object after the other: m1's end starts m2, m2's quits.
    let m1 = p.pyrus("m1", "-detach 1 arr.missing");
    let route = p.obj("route busy");
    let idle = p.obj("sel 0");
    let next = p.msg("; m2 1");
    p.connect(m1, 1, route, 0);
    p.connect(route, 0, idle, 0);
    p.connect(idle, 0, next, 0);
    let m2 = p.pyrus("m2", "-detach 2 arr.missing");
    p.quit_when_idle(m2);
    p.start(&[("m0", "1"), ("m1", "1")]);
    let t = run(&dir, "missing", &p);
    t.require_numpy();
    let error = "error ArrayError array 'nope': no such array in Pd";
    for name in ["m0", "m1", "m2"] {
        let status = t.printed(&format!("{name}-status"));
        assert!(status.iter().any(|s| s.starts_with(error)), "{name}: {}", t.text());
    }
}

/// A detached object that writes and reads `t`; once it is idle the patch
/// prints the array through `[tabread]` and quits.
fn detached(detach: u8) {
    let name = format!("detached{detach}");
    let dir = script_dir(&name);
    let mut p = Patch::new();
    table(&mut p, 8);
    let o = p.pyrus("d", &format!("-detach {detach} arr.detached"));
    let route = p.obj("route busy");
    let idle = p.obj("sel 0");
    let show: Vec<String> = (0..8).map(|i| format!("; idx {i}")).collect();
    let then = p.msg(&format!("{} ; pd quit", show.join(" ")));
    p.connect(o, 1, route, 0);
    p.connect(route, 0, idle, 0);
    p.connect(idle, 0, then, 0);
    p.start(&[("d", "1")]);
    let t = run(&dir, &name, &p);
    t.require_numpy();
    let [result] = &t.printed("d")[..] else { panic!("{}", t.text()) };
    let dtype = if result.contains("float64") { "float64" } else { "float32" };
    assert_eq!(*result, format!("8 56 {dtype} 8 no-view"), "{}", t.text());
    assert_eq!(floats(&t, "tab"), (0..8).map(|i| i as f64 * 2.0).collect::<Vec<_>>(), "{}", t.text());
}

#[test]
fn detach_1_reads_and_writes_through_the_scheduler() {
    detached(1);
}

#[test]
fn detach_2_reads_and_writes_through_the_scheduler() {
    detached(2);
}

#[test]
fn an_array_deleted_between_or_within_calls_is_missing_not_stale() {
    let dir = script_dir("deleted");
    let mut p = Patch::new();
    p.pyrus("f", "arr.deleted");
    p.script(&[
        ("pd-deleted.pd", "obj 300 10 pd sub"),
        ("pd-sub", "obj 10 10 table gone 8"),
        ("f", "1"),
        ("pd-sub", "clear"),
        ("f", "2"),
        ("pd-sub", "obj 10 10 table gone 8"),
        ("f", "3"),
    ]);
    let t = run(&dir, "deleted", &p);
    t.require_numpy();
    assert_eq!(t.printed("f"), ["8"], "{}", t.text());
    let status = t.printed("f-status");
    let missing = "error ArrayError array 'gone': no such array in Pd";
    assert_eq!(status.len(), 2, "{}", t.text());
    assert!(status.iter().all(|s| s.starts_with(missing)), "{}", t.text());
}

#[test]
fn a_write_past_the_end_is_clipped_and_bad_sizes_are_clear_errors() {
    let dir = script_dir("clip");
    let mut p = Patch::new();
    table(&mut p, 8);
    p.pyrus("c", "arr.clip");
    p.pyrus("h", "arr.huge");
    p.pyrus("s", "arr.past");
    p.script(&[("c", "1"), ("h", "1"), ("s", "1")]);
    let t = run(&dir, "clip", &p);
    t.require_numpy();
    assert_eq!(t.printed("c"), ["8 1 ValueError"], "{}", t.text());
    assert_eq!(floats(&t, "tab"), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0], "{}", t.text());
    let huge = t.printed("h-status");
    assert!(
        huge.len() == 1 && huge[0].starts_with("error ArrayError array 't': can't resize 't' to 1000000000000 frames"),
        "{}",
        t.text()
    );
    let past = t.printed("s-status");
    assert!(
        past.len() == 1 && past[0].starts_with("error ArrayError array 't': start 9 is past the end"),
        "{}",
        t.text()
    );
}
