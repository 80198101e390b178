//! Failures in the fake-max kernel: each is reported (a traceback with file
//! and line in the Max window through `object_error`, `error <Type> ...` on
//! the status outlet) and the object keeps working.

mod support;
use support::*;

#[test]
fn exception_reports_traceback_and_status_then_object_works() {
    let mut m = with_scripts("exception", &[("risky.py", "def inv(x):\n    y = 1\n    return y / x\n")]);
    m.new_object("f", "pyrus risky.inv");
    m.cmds(&["send f 0 int 4", "send f 0 int 0", "send f 0 int 2", "send f 0 symbol a", "send f 0 list 1 2"]);
    m.sync("f");
    assert_eq!(m.outlet("f", 0), ["float 0.25", "float 0.5"], "{}", m.text());
    let status = m.outlet("f", 1);
    assert_eq!(status.len(), 3, "{}", m.text());
    assert_eq!(status[0], "error ZeroDivisionError division by zero");
    assert!(status[1].starts_with("error TypeError unsupported operand"), "{status:?}");
    assert!(status[2].starts_with("error TypeError inv() takes 1 positional argument"), "{status:?}");
    let errors = m.errors();
    assert!(errors.iter().any(|l| l.contains("calling risky.inv")), "{errors:?}");
    assert!(errors.iter().any(|l| l.contains("Traceback (most recent call last):")), "{errors:?}");
    assert!(
        errors.iter().any(|l| l.contains("risky.py\", line 3, in inv")),
        "the traceback names file and line: {errors:?}"
    );
    // The same from the scheduler thread: reported there, and the object works.
    m.sched("f", 0, "int 0");
    let out = m.expect_out("f", 1);
    assert_eq!((out.thread.as_str(), out.message.as_str()), ("sched", "error ZeroDivisionError division by zero"));
    m.sched("f", 0, "int 8");
    assert_eq!(m.expect_out("f", 0).message, "float 0.125");
    m.quit();
}

#[test]
fn syntax_errors_name_file_and_line_and_object_keeps_working() {
    let mut m = with_scripts("syntax", &[("broken.py", "x = 1\ndef f(:\n    pass\n")]);
    m.new_object("py", "pyrus");
    m.cmds(&["send py 0 load broken.py", "send py 0 exec def g(:", "send py 0 eval 1 +", "send py 0 eval 6 * 7"]);
    m.sync("py");
    let status = m.outlet("py", 1);
    assert_eq!(status.len(), 3, "{}", m.text());
    assert!(status.iter().all(|s| s.starts_with("error SyntaxError")), "{status:?}");
    assert!(m.errors().iter().any(|l| l.contains("broken.py\", line 2")), "{}", m.text());
    assert_eq!(m.outlet("py", 0), ["int 42"], "{}", m.text());
    m.quit();
}

#[test]
fn missing_module_at_creation_then_written_and_reloaded() {
    let mut m = Max::start("missing");
    m.new_object("late", "pyrus latecomer.f");
    m.send("late", 0, "int 1");
    m.sync("late");
    assert!(m.errors().iter().any(|l| l.contains("ModuleNotFoundError") && l.contains("latecomer")), "{}", m.text());
    let status = m.outlet("late", 1);
    assert!(status.iter().any(|s| s.starts_with("error TypeError 'latecomer.f' did not resolve")), "{status:?}");
    m.write("latecomer.py", "def f(x):\n    return x * 100\n");
    m.send("late", 0, "reload");
    m.send("late", 0, "int 2");
    assert_eq!(m.expect_out("late", 0).message, "int 200", "{}", m.text());
    m.quit();
}

#[test]
fn bad_creation_arguments_and_non_callables_are_reported() {
    let mut m = Max::start("badargs");
    m.new_object("num", "pyrus 5");
    m.new_object("pi", "pyrus math.pi");
    m.new_object("dots", "pyrus os..path");
    m.send("num", 0, "eval 1 + 1");
    m.send("pi", 0, "int 3");
    m.sync("pi");
    let text = m.errors().join("\n");
    assert!(text.contains("the first argument must be a Python name, not the number 5"), "{}", m.text());
    assert!(text.contains("'math.pi' is a float value, not a function or module"), "{}", m.text());
    assert!(text.contains("'os..path' is not a dotted Python name"), "{}", m.text());
    assert_eq!(m.outlet("num", 0), ["int 2"], "{}", m.text());
    assert!(
        m.outlet("pi", 1).iter().any(|s| s.starts_with("error TypeError 'math.pi' did not resolve")),
        "{}",
        m.text()
    );
    m.quit();
}

#[test]
fn script_errors_from_the_pyrus_module_are_exceptions() {
    let mut m = Max::start("scripterr");
    m.new_object("py", "pyrus");
    m.cmds(&[
        "send py 0 exec import pyrus",
        "send py 0 exec pyrus.out(1, outlet=3)",
        "send py 0 exec pyrus.error('custom', 'problem')",
        "send py 0 eval 'still' + 'alive'",
    ]);
    m.sync("py");
    let status = m.outlet("py", 1);
    assert!(status[0].starts_with("error ValueError outlet 3 does not exist"), "{status:?}");
    assert!(m.errors().iter().any(|l| l.ends_with("custom problem")), "{}", m.text());
    assert_eq!(m.outlet("py", 0), ["symbol stillalive"], "{}", m.text());
    m.quit();
}

/// A bad attribute value at creation gets the engine's words (with
/// "ignored": the default stays); the same value as the attribute's
/// message gets the same words, in the console and on the status outlet;
/// the object works after both.
#[test]
fn bad_attribute_values_get_the_engines_words() {
    let mut m = Max::start("attrwords");
    let cases = [
        ("@detach 3", "detach 3", "detach takes 0, 1 or 2, not '3'"),
        ("@detach foo", "detach foo", "detach takes 0, 1 or 2, not 'foo'"),
        ("@queue 0", "queue 0", "queue takes a whole number of jobs, 1 or more, not '0'"),
        ("@queue 2.5", "queue 2.5", "queue takes a whole number of jobs, 1 or more, not '2.5'"),
    ];
    for (i, (attr, message, _)) in cases.iter().enumerate() {
        let id = format!("o{i}");
        m.new_object(&id, &format!("pyrus {attr}"));
        m.send(&id, 0, message);
        m.send(&id, 0, "eval 6 * 7");
    }
    m.sync("o3");
    let errors = m.errors();
    for (i, (attr, message, why)) in cases.iter().enumerate() {
        let id = format!("o{i}");
        let at_creation = errors.iter().filter(|l| l.contains(why) && l.contains("ignored")).count();
        assert!(at_creation >= 1, "{attr}: {why}; ignored\n{}", m.text());
        let sent = errors.iter().filter(|l| l.contains(why) && !l.contains("ignored")).count();
        assert_eq!(sent, 1, "{message}: {why}\n{}", m.text());
        assert_eq!(m.outlet(&id, 1), [format!("error ValueError {why}")], "{message}\n{}", m.text());
        assert_eq!(m.outlet(&id, 0), ["int 42"], "{attr}: still working\n{}", m.text());
    }
    m.quit();
}

/// The loader names a missing libpython instead of failing to load.
#[test]
fn a_missing_python_is_a_clear_message_not_a_crash() {
    let mut m = Max::bare("nopython", &[("PYRUS_LIBPYTHON", "libpython3.99.so.1.0")]);
    m.load("pyrus.so");
    m.new_object("py", "pyrus");
    m.expect_containing("libpython3.99.so.1.0");
    let refusal = "pyrus: PYRUS_LIBPYTHON=libpython3.99.so.1.0 can't be loaded (";
    assert!(m.errors().iter().any(|l| l.starts_with(refusal)), "{}", m.text());
    m.quit();
}

/// What an object says at creation (here its target's import error) leaves
/// its status outlet once the object exists, also when main-thread calls
/// of it follow at once (as a patcher's loadbang sends them).
#[test]
fn creation_errors_leave_the_status_outlet_when_calls_follow_at_once() {
    let mut m = Max::start("creationstatus");
    let n = 20;
    for i in 0..n {
        m.new_object(&format!("x{i}"), "pyrus no_such_module_pyrus.f");
        m.send(&format!("x{i}"), 0, "eval 1");
    }
    let said = |m: &Max, i: usize| {
        m.outlet(&format!("x{i}"), 1).iter().any(|s| s.starts_with("error ModuleNotFoundError no module named"))
    };
    let answered = |m: &Max, i: usize| !m.outlet(&format!("x{i}"), 0).is_empty();
    m.until("every object's creation error on its status outlet, and its answer", |m| {
        (0..n).all(|i| said(m, i) && answered(m, i))
    });
    for i in 0..n {
        assert_eq!(m.outlet(&format!("x{i}"), 0), ["int 1"], "{}", m.text());
    }
    m.quit();
}
