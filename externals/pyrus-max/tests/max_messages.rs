//! `[pyrus]` in the fake-max kernel: the reserved messages, function mode,
//! and conversion both ways with Max's ints and floats kept apart.

mod support;
use support::*;

#[test]
fn import_eval_exec_call_load() {
    let mut m = with_scripts("reserved", &[("helpers.py", "def twice(x):\n    return 2 * x\nloaded = 'yes'\n")]);
    m.new_object("py", "pyrus");
    m.cmds(&[
        "send py 0 import math",
        "send py 0 eval math.floor(2.7)",
        "send py 0 exec total = 40",
        "send py 0 eval total + 2",
        "send py 0 exec def f(a, b): return a * b",
        "send py 0 call f 6 7",
        "send py 0 call math.hypot 3 4",
        "send py 0 load helpers.py",
        "send py 0 call twice 21",
        "send py 0 eval loaded",
        "send py 0 eval [1, 'two', 3.5]",
    ]);
    m.sync("py");
    assert_eq!(
        m.outlet("py", 0),
        ["int 2", "int 42", "int 42", "float 5.0", "int 42", "symbol yes", "list 1 two 3.5"],
        "{}",
        m.text()
    );
    assert!(m.outlet("py", 1).is_empty(), "{}", m.text());
    assert!(m.outs("py").iter().all(|o| o.thread == "main"), "{}", m.text());
    m.quit();
}

/// `eval 1 + 2` is an int, `eval 2.5 * 2` a float: Max keeps them apart,
/// both in the code text (`2.` stays a float literal) and in the result.
#[test]
fn ints_and_floats_stay_apart_both_ways() {
    let mut m = Max::start("numbers");
    m.new_object("py", "pyrus");
    m.new_object("add", "pyrus operator.add");
    m.send("py", 0, "eval 1 + 2");
    assert_eq!(m.expect_out("py", 0).message, "int 3");
    m.send("py", 0, "eval 2.5 * 2");
    assert_eq!(m.expect_out("py", 0).message, "float 5.0");
    m.send("py", 0, "eval 2. / 4");
    assert_eq!(m.expect_out("py", 0).message, "float 0.5");
    m.send("py", 0, "eval 7 // 2");
    assert_eq!(m.expect_out("py", 0).message, "int 3");
    m.send("add", 0, "list 2 3");
    assert_eq!(m.expect_out("add", 0).message, "int 5");
    m.send("add", 0, "list 2. 3");
    assert_eq!(m.expect_out("add", 0).message, "float 5.0");
    m.send("add", 0, "list -7 3");
    assert_eq!(m.expect_out("add", 0).message, "int -4");
    m.quit();
}

#[test]
fn ints_outside_64_bits_are_an_overflow_error_and_the_edges_arrive_exactly() {
    let mut m = Max::start("overflow");
    m.new_object("py", "pyrus");
    m.cmds(&[
        "send py 0 eval 2 ** 63 - 1",
        "send py 0 eval -2 ** 63",
        "send py 0 eval 2 ** 63",
        "send py 0 eval -2 ** 64",
        "send py 0 eval 'alive'",
    ]);
    m.until_outs("py", 5);
    assert_eq!(
        m.outlet("py", 0),
        ["int 9223372036854775807", "int -9223372036854775808", "symbol alive"],
        "{}",
        m.text()
    );
    let status = m.outlet("py", 1);
    assert_eq!(status.len(), 2, "{}", m.text());
    for (s, n) in status.iter().zip(["9223372036854775808", "-18446744073709551616"]) {
        assert!(s.starts_with(&format!("error OverflowError {n} is outside the host's int range")), "{status:?}");
    }
    assert!(m.errors().iter().any(|l| l.contains("OverflowError")), "the console says so too: {}", m.text());
    m.quit();
}

#[test]
fn function_mode_takes_every_message_type() {
    let mut m = with_scripts(
        "function",
        &[(
            "probe.py",
            "def show(*args):\n    return ' '.join(type(a).__name__ + ':' + repr(a) for a in args) or 'nothing'\n",
        )],
    );
    m.new_object("f", "pyrus probe.show");
    m.new_object("g", "pyrus probe.show lead 2 2.5");
    m.cmds(&[
        "send f 0 bang",
        "send f 0 int 3",
        "send f 0 float 2.5",
        "send f 0 float 2.",
        "send f 0 symbol abc",
        "send f 0 list 1 b 0.25",
        "send f 0 foo 1 bar",
        "send f 0 list eval 1",
        "send g 0 int 9",
    ]);
    m.sync("g");
    let quoted = |s: &str| if s.contains(' ') { format!("symbol \"{s}\"") } else { format!("symbol {s}") };
    let expected: Vec<String> = [
        "nothing",
        "int:3",
        "float:2.5",
        "float:2.0",
        "str:'abc'",
        "int:1 str:'b' float:0.25",
        "str:'foo' int:1 str:'bar'",
        "str:'eval' int:1",
    ]
    .map(quoted)
    .to_vec();
    assert_eq!(m.outlet("f", 0), expected, "{}", m.text());
    assert_eq!(m.outlet("g", 0), [quoted("str:'lead' int:2 float:2.5 int:9")], "{}", m.text());
    m.quit();
}

#[test]
fn python_values_convert_to_max_messages() {
    let mut m = Max::start("convert");
    m.new_object("py", "pyrus");
    m.cmds(&[
        "send py 0 exec import pyrus",
        "send py 0 eval None",
        "send py 0 eval True",
        "send py 0 eval False",
        "send py 0 eval 7",
        "send py 0 eval -0.5",
        "send py 0 eval 'word'",
        "send py 0 eval 'two words'",
        "send py 0 eval (1, 2, 3)",
        "send py 0 eval [1.5, 2]",
        "send py 0 eval ['a', 1]",
        "send py 0 eval bytes([240, 127, 247])",
        "send py 0 eval pyrus.bang",
        "send py 0 eval pyrus.Message('set', 1, 'x')",
        "send py 0 eval pyrus.Message('int', 3)",
        "send py 0 eval {'k': 1}",
        "send py 0 exec pyrus.out(1, 2); pyrus.out(); pyrus.out('level', 0.5)",
    ]);
    m.sync("py");
    assert_eq!(
        m.outlet("py", 0),
        [
            "int 1",
            "int 0",
            "int 7",
            "float -0.5",
            "symbol word",
            "symbol \"two words\"",
            "list 1 2 3",
            "list 1.5 2",
            "list a 1",
            "list 240 127 247",
            "bang",
            "set 1 x",
            "int 3",
            "symbol \"{'k': 1}\"",
            "list 1 2",
            "bang",
            "level 0.5",
        ],
        "{}",
        m.text()
    );
    assert!(m.outlet("py", 1).is_empty(), "{}", m.text());
    m.quit();
}

#[test]
fn numpy_values_convert_with_ints_kept() {
    let mut m = Max::start("numpy");
    m.new_object("py", "pyrus");
    m.send("py", 0, "exec import numpy as np");
    m.send("py", 0, "eval np.arange(4)");
    m.send("py", 0, "eval np.float32(0.5)");
    m.send("py", 0, "eval np.array([1.5, 2.0])");
    m.sync("py");
    assert!(!m.contains("No module named 'numpy'"), "numpy is not installed (build/test installs it): {}", m.text());
    assert_eq!(m.outlet("py", 0), ["list 0 1 2 3", "float 0.5", "list 1.5 2.0"], "{}", m.text());
    m.quit();
}

#[test]
fn non_ascii_symbols_round_trip() {
    let mut m = Max::start("unicode");
    m.new_object("up", "pyrus builtins.str.upper");
    m.new_object("len", "pyrus builtins.len");
    m.send("up", 0, "symbol ärger-ñ-日本");
    m.send("len", 0, "symbol 日本語");
    m.sync("len");
    assert_eq!(m.outlet("up", 0), ["symbol ÄRGER-Ñ-日本"], "{}", m.text());
    assert_eq!(m.outlet("len", 0), ["int 3"], "{}", m.text());
    m.quit();
}

#[test]
fn ten_thousand_element_lists_both_ways() {
    let mut m =
        with_scripts("biglist", &[("big.py", "def total(*a):\n    return sum(a)\ndef rev(*a):\n    return a[::-1]\n")]);
    m.new_object("make", "pyrus");
    m.new_object("total", "pyrus big.total");
    m.new_object("rev", "pyrus big.rev");
    m.send("make", 0, "eval list(range(10000))");
    let made = m.expect_out("make", 0).message;
    let numbers: Vec<&str> = made.strip_prefix("list ").unwrap().split(' ').collect();
    assert_eq!(numbers.len(), 10000);
    assert_eq!((numbers[0], numbers[9999]), ("0", "9999"));
    m.send("total", 0, &made);
    assert_eq!(m.expect_out("total", 0).message, "int 49995000");
    m.send("rev", 0, &made);
    let rev = m.expect_out("rev", 0).message;
    let back: Vec<&str> = rev.strip_prefix("list ").unwrap().split(' ').collect();
    assert_eq!((back.len(), back[0], back[9999]), (10000, "9999", "0"));
    m.quit();
}

#[test]
fn objects_have_separate_namespaces() {
    let mut m = Max::start("namespaces");
    for i in 0..10 {
        m.new_object(&format!("p{i}"), "pyrus");
        m.send(&format!("p{i}"), 0, &format!("exec x = {i}"));
    }
    for i in 0..10 {
        m.send(&format!("p{i}"), 0, "eval x * 10");
    }
    m.sync("p9");
    for i in 0..10 {
        assert_eq!(m.outlet(&format!("p{i}"), 0), [format!("int {}", i * 10)], "{}", m.text());
    }
    m.quit();
}

/// `pyrus.send` reaches the kernel's `[receive]` (through the symbol's
/// `s_thing`, as Max's does), `pyrus.post` its console.
#[test]
fn scripts_send_to_receivers_and_post() {
    let mut m = Max::start("send");
    m.new_object("py", "pyrus");
    m.new_object("r1", "receive elsewhere");
    m.new_object("r2", "r elsewhere");
    m.cmds(&[
        "send py 0 exec import pyrus",
        "send py 0 exec pyrus.send('elsewhere', 'hello', 1)",
        "send py 0 exec pyrus.send('elsewhere', 3)",
        "send py 0 exec pyrus.send('elsewhere', 2.5)",
        "send py 0 exec pyrus.send('elsewhere', pyrus.Message('set', 2))",
        "send py 0 exec pyrus.send('no-such-receiver', 1)",
        "send py 0 exec pyrus.post('posted', 42)",
        "send py 0 eval pyrus.time() >= 0",
    ]);
    m.sync("py");
    for r in ["r1", "r2"] {
        assert_eq!(m.outlet(r, 0), ["hello 1", "int 3", "float 2.5", "set 2"], "{}", m.text());
        assert!(m.outs(r).iter().all(|o| o.thread == "main"), "{}", m.text());
    }
    assert!(m.posts().iter().any(|l| l == "posted 42"), "{}", m.text());
    assert_eq!(m.outlet("py", 0), ["int 1"], "{}", m.text());
    let status = m.outlet("py", 1);
    assert!(status[0].starts_with("error LookupError no receiver named 'no-such-receiver'"), "{status:?}");
    // From the scheduler thread, the receiver's output is on it too.
    m.sched("py", 0, "exec pyrus.send('elsewhere', 'late')");
    let out = m.expect_out("r1", 0);
    assert_eq!((out.thread.as_str(), out.message.as_str()), ("sched", "symbol late"), "{}", m.text());
    m.quit();
}

/// A synchronous call runs on the thread that delivered it: results from
/// `send` leave on the main thread, from `sched` on the scheduler thread.
#[test]
fn synchronous_results_leave_on_the_thread_that_delivered() {
    let mut m = Max::start("syncthreads");
    m.new_object("py", "pyrus");
    m.send("py", 0, "exec import threading");
    m.send("py", 0, "eval 1");
    let main = m.expect_out("py", 0);
    m.sched("py", 0, "eval 2");
    let sched = m.expect_out("py", 0);
    assert_eq!((main.thread.as_str(), main.message.as_str()), ("main", "int 1"));
    assert_eq!((sched.thread.as_str(), sched.message.as_str()), ("sched", "int 2"));
    // The scheduler thread is another OS thread than the main one.
    m.send("py", 0, "eval threading.get_ident()");
    let on_main = m.expect_out("py", 0).message;
    m.sched("py", 0, "eval threading.get_ident()");
    let on_sched = m.expect_out("py", 0).message;
    assert_ne!(on_main, on_sched, "{}", m.text());
    m.quit();
}

/// Max's atoms keep 64-bit ints and doubles: numbers typed into code reach
/// Python exactly (Pd rounds them to 32-bit floats and warns), and nothing
/// warns that they may not be what was typed.
#[test]
fn numbers_in_code_arrive_exactly() {
    let mut m = Max::start("exactcode");
    m.new_object("py", "pyrus");
    m.cmds(&[
        "send py 0 exec seed = 123456789012",
        "send py 0 eval repr(seed)",
        "send py 0 eval repr(3.14159265358979)",
        "send py 0 eval repr(0.1 + 16777216 + 100000000 + 2.5)",
    ]);
    m.sync("py");
    assert_eq!(
        m.outlet("py", 0),
        ["symbol 123456789012", "symbol 3.14159265358979", "symbol 116777218.6"],
        "{}",
        m.text()
    );
    assert!(!m.contains("may not be what was typed"), "{}", m.text());
    assert!(m.outlet("py", 1).is_empty(), "{}", m.text());
    m.quit();
}
