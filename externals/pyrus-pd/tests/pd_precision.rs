//! Numbers keep the precision of the Pd they run in, end to end: in a
//! double-precision Pd (Pd64, the Pd64 package; `build/test` runs the suite
//! there too) every digit of a 64-bit float, whole numbers exact up to 2^53;
//! in Pd with 32-bit floats what a 32-bit float keeps (`123456789` typed is
//! `123456792`). Each patch first asks Pd itself what it keeps of a typed
//! `123456789` (`[makefilename %d]`), so a test knows which Pd it runs in and
//! checks, in 32-bit Pd, that the rounding it expects of Pd64's absence is real.

mod support;
use support::*;

const TYPED: &str = "123456789";

/// `[r probe]` -> `[makefilename %d]` -> `[print probe]`, sent `123456789`
/// on load: what this Pd keeps of a typed number.
fn probe(p: &mut Patch) -> (&'static str, &'static str) {
    let r = p.obj("r probe");
    let mk = p.obj("makefilename %d");
    let print = p.obj("print probe");
    p.connect(r, 0, mk, 0);
    p.connect(mk, 0, print, 0);
    ("probe", TYPED)
}

/// Whether the transcript's Pd is Pd64: it kept every digit of the probe;
/// else it must have rounded it as a 32-bit float does.
fn in_pd64(t: &Transcript) -> bool {
    let kept = t.printed("probe");
    if kept == [format!("symbol {TYPED}")] {
        return true;
    }
    assert_eq!(kept, ["symbol 123456792"], "Pd keeps a typed {TYPED} as a 32-bit or a 64-bit float:\n{}", t.text());
    false
}

#[test]
fn a_seed_set_by_exec_comes_back_with_every_digit_in_pd64() {
    let dir = test_dir("precision-seed");
    let mut p = Patch::new();
    let py = p.pyrus("py", "");
    let mk = p.obj("makefilename %d");
    let seed = p.obj("print seed");
    p.connect(py, 0, mk, 0);
    p.connect(mk, 0, seed, 0);
    let probe = probe(&mut p);
    p.script(&[probe, ("py", "exec seed = 123456789"), ("py", "eval seed")]);
    let t = run(&dir, "precision-seed", &p);
    let warned = t.lines.iter().any(|l| l.starts_with("pyrus: warning: exec seed = "));
    if in_pd64(&t) {
        assert_eq!(t.printed("seed"), ["symbol 123456789"], "{}", t.text());
        assert!(!warned, "nothing was rounded, so nothing is named: {}", t.text());
    } else {
        assert_eq!(t.printed("seed"), ["symbol 123456792"], "{}", t.text());
        assert!(warned, "the rounded number is named: {}", t.text());
    }
    assert!(t.printed("py-status").is_empty(), "{}", t.text());
}

#[test]
fn large_ints_and_floats_through_lists_both_ways() {
    let dir = test_dir("precision-lists");
    std::fs::write(dir.join("probe.py"), "def show(*a):\n    return '/'.join(repr(x) for x in a)\n").unwrap();
    let mut p = Patch::new();
    // Pd -> Python: numbers typed in a message box.
    p.pyrus("in", "probe.show");
    // Python -> Pd -> Python: a list from eval, through Pd's atoms into
    // another [pyrus], and into Pd's own [makefilename].
    let out = p.pyrus("out", "");
    let back = p.obj("pyrus probe.show");
    let print_back = p.obj("print back");
    let split = p.obj("list split 1");
    let mk = p.obj("makefilename %.17g");
    let first = p.obj("print first");
    p.connect(out, 0, back, 0);
    p.connect(back, 0, print_back, 0);
    p.connect(out, 0, split, 0);
    p.connect(split, 0, mk, 0);
    p.connect(mk, 0, first, 0);
    let probe = probe(&mut p);
    p.script(&[
        probe,
        ("in", "list 9007199254740991 -9007199254740992 0.1234567890123456 1e+300 123456789"),
        // Words of code are symbols (each ends in a comma): Pd never rounds them.
        ("out", "eval [9007199254740991\\, -2**53\\, 0.1234567890123456\\, 1e300\\, 123456789]"),
    ]);
    let t = run(&dir, "precision-lists", &p);
    let (all, first_value) = if in_pd64(&t) {
        ("9007199254740991/-9007199254740992/0.1234567890123456/1e+300/123456789", "9007199254740991")
    } else {
        // 2^53 - 1 and 123456789 round to the nearest f32, 1e300 is beyond its range.
        ("9007199254740992/-9007199254740992/0.12345679/inf/123456792", "9007199254740992")
    };
    assert_eq!(t.printed("in"), [format!("symbol {all}")], "{}", t.text());
    assert_eq!(t.printed("back"), [format!("symbol {all}")], "{}", t.text());
    assert_eq!(t.printed("first"), [format!("symbol {first_value}")], "{}", t.text());
    assert!(t.printed("in-status").is_empty() && t.printed("out-status").is_empty(), "{}", t.text());
}
