//! Patches opened and closed, many objects, outputs that loop back.

mod support;
use support::*;

#[test]
fn closing_and_reopening_a_patch_that_imported_numpy() {
    let dir = test_dir("reopen");
    let mut inner = Patch::new();
    let o = inner.obj("pyrus");
    let pr = inner.obj("print inner");
    let st = inner.obj("print inner-status");
    inner.connect(o, 0, pr, 0);
    inner.connect(o, 1, st, 0);
    let lb = inner.obj("loadbang");
    let m = inner.msg("exec import numpy as np, eval int(np.arange(5).sum())");
    inner.connect(lb, 0, m, 0);
    inner.connect(m, 0, o, 0);
    inner.write(&dir.join("inner.pd"));

    let mut p = Patch::new();
    let d = dir.to_string_lossy().into_owned();
    let open = format!("open inner.pd {d}");
    let mut sends = Vec::new();
    for _ in 0..3 {
        sends.push(("pd", open.as_str()));
        sends.push(("pd-inner.pd", "menuclose 1"));
    }
    p.script(&sends);
    let t = run(&dir, "reopen", &p);
    t.require_numpy();
    assert_eq!(t.printed("inner"), ["10", "10", "10"], "{}", t.text());
    assert!(t.printed("inner-status").is_empty(), "{}", t.text());
}

#[test]
fn output_that_loops_back_into_the_same_object_does_not_deadlock() {
    let dir = test_dir("feedback");
    std::fs::write(
        dir.join("loop.py"),
        "import pyrus\ndef step(n):\n    if n > 0:\n        pyrus.out(n - 1)\n    return pyrus.Message('done', n)\n",
    )
    .unwrap();
    let mut p = Patch::new();
    let o = p.pyrus("loop", "loop.step");
    let route = p.obj("route done");
    let fl = p.obj("t f");
    p.connect(o, 0, route, 0);
    p.connect(route, 1, fl, 0);
    p.connect(fl, 0, o, 0);
    p.script(&[("loop", "5")]);
    let t = run(&dir, "feedback", &p);
    // Depth first, as Pd does: 5 calls 4 ... calls 0; the inner calls finish first.
    assert_eq!(
        t.printed("loop"),
        ["4", "3", "2", "1", "0", "done 0", "done 1", "done 2", "done 3", "done 4", "done 5"],
        "{}",
        t.text()
    );
}

#[test]
fn scripts_send_to_receivers_and_post() {
    let dir = test_dir("send");
    let mut p = Patch::new();
    p.pyrus("py", "");
    let r = p.obj("r elsewhere");
    let pr = p.obj("print elsewhere");
    p.connect(r, 0, pr, 0);
    p.script(&[
        ("py", "exec import pyrus"),
        ("py", "exec pyrus.send('elsewhere'\\, 'hello'\\, 1)"),
        ("py", "exec pyrus.send('elsewhere'\\, 3)"),
        ("py", "exec pyrus.send('elsewhere'\\, pyrus.Message('set'\\, 2))"),
        ("py", "exec pyrus.post('posted'\\, 42)"),
        ("py", "eval pyrus.time() >= 0"),
    ]);
    let t = run(&dir, "send", &p);
    assert_eq!(t.printed("elsewhere"), ["hello 1", "3", "set 2"], "{}", t.text());
    assert!(t.lines.iter().any(|l| l == "posted 42"), "{}", t.text());
    assert_eq!(t.printed("py"), ["1"]);
}

#[test]
fn a_send_whose_chain_calls_another_pyrus_does_not_deadlock() {
    let dir = test_dir("sendchain");
    let mut p = Patch::new();
    p.pyrus("a", "");
    // a's script sends to [r chain], whose chain calls [pyrus operator.neg]
    // and sends the result back into a, all inside a's call.
    let r = p.obj("r chain");
    let b = p.obj("pyrus operator.neg");
    let pr = p.obj("print chain");
    p.connect(r, 0, b, 0);
    p.connect(b, 0, pr, 0);
    let s = p.obj("s a");
    p.connect(b, 0, s, 0);
    p.script(&[
        ("a", "exec import pyrus"),
        ("a", "exec pyrus.send('chain'\\, 5)"),
        ("a", "exec pyrus.send('chain'\\, 6)"),
    ]);
    let t = run(&dir, "sendchain", &p);
    assert_eq!(t.printed("chain"), ["-5", "-6"], "{}", t.text());
    // -5 and -6 came back into [pyrus] a (function-less): reported, not hung.
    assert_eq!(t.printed("a-status").len(), 2, "{}", t.text());
}
