//! `[pyrus]` in real Pd: reserved messages, function mode and conversion.

mod support;
use support::*;

#[test]
fn import_eval_exec_call_load() {
    let dir = test_dir("reserved");
    std::fs::write(dir.join("helpers.py"), "def twice(x):\n    return 2 * x\nloaded = 'yes'\n").unwrap();
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[
        ("py", "import math"),
        ("py", "eval math.floor(2.7)"),
        ("py", "exec total = 40"),
        ("py", "eval total + 2"),
        ("py", "exec def f(a\\, b): return a * b"),
        ("py", "call f 6 7"),
        ("py", "call math.hypot 3 4"),
        ("py", "load helpers.py"),
        ("py", "call twice 21"),
        ("py", "eval loaded"),
        ("py", "eval [1\\, 'two'\\, 3.5]"),
    ]);
    let t = run(&dir, "reserved", &p);
    assert_eq!(t.printed("py"), ["2", "42", "42", "5", "42", "symbol yes", "1 two 3.5"], "{}", t.text());
    assert!(t.printed("py-status").is_empty(), "{}", t.text());
}

#[test]
fn function_mode_takes_every_message_type() {
    let dir = test_dir("function");
    std::fs::write(
        dir.join("probe.py"),
        "def show(*args):\n    return ' '.join(type(a).__name__ + ':' + repr(a) for a in args) or 'nothing'\n",
    )
    .unwrap();
    let mut p = Patch::new();
    p.pyrus("f", "probe.show");
    p.pyrus("g", "probe.show lead 2");
    p.script(&[
        ("f", "bang"),
        ("f", "3"),
        ("f", "2.5"),
        ("f", "symbol abc"),
        ("f", "list 1 b 0.25"),
        ("f", "foo 1 bar"),
        ("f", "list eval 1"),
        ("g", "9"),
    ]);
    let t = run(&dir, "function", &p);
    assert_eq!(
        t.printed("f"),
        [
            "symbol nothing",
            "symbol int:3",
            "symbol float:2.5",
            "symbol str:'abc'",
            "symbol int:1 str:'b' float:0.25",
            "symbol str:'foo' int:1 str:'bar'",
            "symbol str:'eval' int:1",
        ]
        .map(|s| s.replace(' ', "\\ ").replacen("symbol\\ ", "symbol ", 1)),
        "{}",
        t.text()
    );
    assert_eq!(t.printed("g"), ["symbol str:'lead'\\ int:2\\ int:9"], "{}", t.text());
}

#[test]
fn python_values_convert_to_pd_messages() {
    let dir = test_dir("convert");
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[
        ("py", "exec import pyrus"),
        ("py", "eval None"),
        ("py", "eval True"),
        ("py", "eval 7"),
        ("py", "eval -0.5"),
        ("py", "eval 'word'"),
        ("py", "eval (1\\, 2\\, 3)"),
        ("py", "eval ['a'\\, 1]"),
        ("py", "eval bytes([240\\, 127\\, 247])"),
        ("py", "eval pyrus.bang"),
        ("py", "eval pyrus.Message('set'\\, 1\\, 'x')"),
        ("py", "eval {'k': 1}"),
        ("py", "exec pyrus.out(1\\, 2) \\; pyrus.out()"),
    ]);
    let t = run(&dir, "convert", &p);
    assert_eq!(
        t.printed("py"),
        [
            "1",
            "7",
            "-0.5",
            "symbol word",
            "1 2 3",
            "list a 1",
            "240 127 247",
            "bang",
            "set 1 x",
            "symbol {'k':\\ 1}",
            "1 2",
            "bang"
        ],
        "{}",
        t.text()
    );
}

#[test]
fn numpy_values_convert() {
    let dir = test_dir("numpy");
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[
        ("py", "exec import importlib.util as u"),
        ("py", "eval u.find_spec('numpy') is not None"),
        ("py", "exec import numpy as np"),
        ("py", "eval np.float32(0.5)"),
        ("py", "eval np.arange(4)"),
        ("py", "eval np.zeros((2\\, 2))"),
    ]);
    let t = run(&dir, "numpy", &p);
    t.require_numpy();
    let out = t.printed("py");
    assert_eq!(out, ["1", "0.5", "0 1 2 3"], "{}", t.text());
    assert!(t.printed("py-status")[0].starts_with("error TypeError list element 0: a nested list"));
}

#[test]
fn host_values_convert_to_python() {
    let dir = test_dir("topython");
    let mut p = Patch::new();
    p.pyrus("py", "builtins.repr");
    p.script(&[("py", "4"), ("py", "0.1"), ("py", "-3"), ("py", "symbol héllo"), ("py", "1e+06")]);
    let t = run(&dir, "topython", &p);
    assert_eq!(t.printed("py"), ["symbol 4", "symbol 0.1", "symbol -3", "symbol 'héllo'", "symbol 1000000"]);
}

#[test]
fn whole_floats_beyond_i32_arrive_exactly() {
    // 2^31 once came out of the float widening as 2^31 - 1 (a saturating cast).
    let dir = test_dir("wide");
    let mut p = Patch::new();
    p.pyrus("py", "builtins.repr");
    p.script(&[("py", "2147483648"), ("py", "-2147483648"), ("py", "4294967296"), ("py", "2147483520")]);
    let t = run(&dir, "wide", &p);
    assert_eq!(
        t.printed("py"),
        ["symbol 2147483648", "symbol -2147483648", "symbol 4294967296", "symbol 2147483520"],
        "{}",
        t.text()
    );
}

#[test]
fn non_ascii_symbols_round_trip() {
    let dir = test_dir("unicode");
    let mut p = Patch::new();
    p.pyrus("up", "builtins.str.upper");
    p.pyrus("len", "builtins.len");
    p.script(&[("up", "symbol ärger-ñ-日本"), ("len", "symbol 日本語")]);
    let t = run(&dir, "unicode", &p);
    assert_eq!(t.printed("up"), ["symbol ÄRGER-Ñ-日本"]);
    assert_eq!(t.printed("len"), ["3"]);
}

#[test]
fn ten_thousand_element_lists_both_ways() {
    let dir = test_dir("biglist");
    std::fs::write(dir.join("big.py"), "def total(*a):\n    return sum(a)\ndef rev(*a):\n    return a[::-1]\n")
        .unwrap();
    let mut p = Patch::new();
    let make = p.pyrus("make", "");
    let fan = p.obj("t a a a");
    p.connect(make, 0, fan, 0);
    let chain = |p: &mut Patch, from: usize, outlet: usize, text: &str, label: &str| {
        let o = p.obj(text);
        let print = p.obj(&format!("print {label}"));
        p.connect(from, outlet, o, 0);
        p.connect(o, 0, print, 0);
        o
    };
    chain(&mut p, fan, 2, "list length", "length");
    chain(&mut p, fan, 1, "pyrus big.total", "total");
    let rev = chain(&mut p, fan, 0, "pyrus big.rev", "ignored");
    let split = p.obj("list split 1");
    let first = p.obj("print first");
    let len = chain(&mut p, rev, 0, "list length", "rev-length");
    let _ = len;
    p.connect(rev, 0, split, 0);
    p.connect(split, 0, first, 0);
    p.script(&[("make", "eval list(range(10000))")]);
    let t = run(&dir, "biglist", &p);
    assert_eq!(t.printed("length"), ["10000"], "{}", t.text());
    assert_eq!(t.printed("total"), ["4.9995e+07"], "{}", t.text());
    assert_eq!(t.printed("rev-length"), ["10000"], "{}", t.text());
    assert_eq!(t.printed("first"), ["9999"], "{}", t.text());
}

#[test]
fn objects_have_separate_namespaces() {
    let dir = test_dir("namespaces");
    let mut p = Patch::new();
    for i in 0..20 {
        p.pyrus(&format!("p{i}"), "");
    }
    let mut sends = Vec::new();
    let execs: Vec<String> = (0..20).map(|i| format!("exec x = {i}")).collect();
    for (i, e) in execs.iter().enumerate() {
        sends.push((format!("p{i}"), e.as_str()));
    }
    for i in 0..20 {
        sends.push((format!("p{i}"), "eval x * 10"));
    }
    let sends: Vec<(&str, &str)> = sends.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    p.script(&sends);
    let t = run(&dir, "namespaces", &p);
    for i in 0..20 {
        assert_eq!(t.printed(&format!("p{i}")), [format!("{}", i * 10)], "{}", t.text());
    }
}

/// Pd keeps a number typed into a message box as a 32-bit float: code text
/// gets what is left of it, and the console says which numbers likely lost
/// digits. The code runs all the same; exact numbers say nothing.
#[test]
fn numbers_in_code_that_pd_rounded_are_named() {
    let dir = test_dir("rounded");
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[
        ("py", "exec seed = 123456789"),
        ("py", "eval repr(seed)"),
        ("py", "eval 3.14159265358979 > 3"),
        ("py", "eval repr(0.1 + 16777216 + 100000000 + 2.5)"),
    ]);
    let t = run(&dir, "rounded", &p);
    assert_eq!(t.printed("py"), ["symbol 123456792", "1", "symbol 116777218.6"], "{}", t.text());
    let warnings: Vec<&String> = t.lines.iter().filter(|l| l.starts_with("pyrus: warning:")).collect();
    assert_eq!(warnings.len(), 2, "{}", t.text());
    assert!(warnings[0].starts_with("pyrus: warning: exec seed = 123456792: 123456792 may not be what was typed"));
    assert!(warnings[1].starts_with("pyrus: warning: eval 3.1415927 > 3: 3.1415927 may not be what was typed"));
    assert!(warnings[1].contains("24 bits of precision"), "{}", warnings[1]);
    assert!(t.printed("py-status").is_empty(), "{}", t.text());
}
