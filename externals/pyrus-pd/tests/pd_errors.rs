//! Failures in real Pd: each is reported (console traceback with file:line,
//! `error <Type> ...` on the status outlet) and the object keeps working.

mod support;
use support::*;

#[test]
fn exception_reports_traceback_and_status_then_object_works() {
    let dir = test_dir("exception");
    std::fs::write(dir.join("risky.py"), "def inv(x):\n    y = 1\n    return y / x\n").unwrap();
    let mut p = Patch::new();
    p.pyrus("f", "risky.inv");
    p.script(&[("f", "4"), ("f", "0"), ("f", "2"), ("f", "symbol a"), ("f", "1 2")]);
    let t = run(&dir, "exception", &p);
    assert_eq!(t.printed("f"), ["0.25", "0.5"], "{}", t.text());
    let status = t.printed("f-status");
    assert_eq!(status.len(), 3, "{}", t.text());
    assert_eq!(status[0], "error ZeroDivisionError division by zero");
    assert!(status[1].starts_with("error TypeError unsupported operand"), "{status:?}");
    assert!(status[2].starts_with("error TypeError inv() takes 1 positional argument"), "{status:?}");
    let errors = t.errors();
    assert!(errors.iter().any(|l| l == "pyrus: calling risky.inv:"), "{errors:?}");
    assert!(errors.iter().any(|l| l.contains("Traceback (most recent call last):")));
    assert!(
        errors.iter().any(|l| l.contains("risky.py\", line 3, in inv")),
        "the traceback names file and line: {errors:?}"
    );
}

#[test]
fn syntax_errors_name_file_and_line_and_object_keeps_working() {
    let dir = test_dir("syntax");
    std::fs::write(dir.join("broken.py"), "x = 1\ndef f(:\n    pass\n").unwrap();
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[("py", "load broken.py"), ("py", "exec def g(:"), ("py", "eval 1 +"), ("py", "eval 6 * 7")]);
    let t = run(&dir, "syntax", &p);
    let status = t.printed("py-status");
    assert_eq!(status.len(), 3, "{}", t.text());
    assert!(status.iter().all(|s| s.starts_with("error SyntaxError")), "{status:?}");
    assert!(t.errors().iter().any(|l| l.contains("broken.py\", line 2")), "{}", t.text());
    assert_eq!(t.printed("py"), ["42"]);
}

#[test]
fn missing_module_at_creation_then_fixed_and_reloaded() {
    let dir = test_dir("missing");
    // A helper the patch calls to "fix the script" half way through the run.
    std::fs::write(
        dir.join("fixer.py"),
        "def fix():\n    with open('latecomer.py', 'w') as f:\n        f.write('def f(x):\\n    return x * 100\\n')\n    import importlib\n    importlib.invalidate_caches()\n",
    )
    .unwrap();
    let mut p = Patch::new();
    p.pyrus("late", "latecomer.f");
    p.pyrus("fix", "fixer.fix");
    p.script(&[("late", "1"), ("fix", "bang"), ("late", "reload"), ("late", "2")]);
    let t = run(&dir, "missing", &p);
    assert!(t.errors().iter().any(|l| l.contains("ModuleNotFoundError") && l.contains("latecomer")), "{}", t.text());
    let status = t.printed("late-status");
    assert_eq!(status.len(), 1, "{}", t.text());
    assert!(status[0].starts_with("error TypeError 'latecomer.f' did not resolve"), "{status:?}");
    assert_eq!(t.printed("late"), ["200"], "{}", t.text());
}

#[test]
fn bad_creation_arguments_and_non_callables_are_reported() {
    let dir = test_dir("badargs");
    let mut p = Patch::new();
    p.pyrus("num", "5");
    p.pyrus("pi", "math.pi");
    p.pyrus("dots", "os..path");
    p.script(&[("num", "eval 1 + 1"), ("pi", "3")]);
    let t = run(&dir, "badargs", &p);
    let text = t.text();
    assert!(text.contains("the first argument must be a Python name, not the number 5"), "{text}");
    assert!(text.contains("'math.pi' is a float value, not a function or module"), "{text}");
    assert!(text.contains("'os..path' is not a dotted Python name"), "{text}");
    assert_eq!(t.printed("num"), ["2"]);
    assert!(t.printed("pi-status")[0].starts_with("error TypeError 'math.pi' did not resolve"));
}

#[test]
fn non_utf8_symbols_are_reported_and_decoded() {
    let dir = test_dir("latin1");
    let mut p = Patch::new();
    p.pyrus("len", "builtins.len");
    p.script(&[("len", "symbol caf\u{1}")]);
    let path = dir.join("latin1.pd");
    p.write(&path);
    // Make the symbol Latin-1 ("café" with a lone 0xE9 byte), as an old patch may hold.
    let bytes = std::fs::read(&path).unwrap();
    let bytes: Vec<u8> = bytes.into_iter().map(|b| if b == 1 { 0xE9 } else { b }).collect();
    std::fs::write(&path, bytes).unwrap();
    let t = run_pd(&path, &[], std::time::Duration::from_secs(60));
    assert_eq!(t.status, Some(0), "{}", t.text());
    assert!(t.text().contains("not valid UTF-8"), "{}", t.text());
    assert_eq!(t.printed("len"), ["4"], "café with U+FFFD for é: {}", t.text());
}

#[test]
fn script_errors_from_the_pyrus_module_are_exceptions() {
    let dir = test_dir("scripterr");
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[
        ("py", "exec import pyrus"),
        ("py", "exec pyrus.send('no-such-receiver'\\, 1)"),
        ("py", "exec pyrus.out(1\\, outlet=3)"),
        ("py", "exec pyrus.error('custom' \\, 'problem')"),
        ("py", "eval 'still' + 'alive'"),
    ]);
    let t = run(&dir, "scripterr", &p);
    let status = t.printed("py-status");
    assert!(status[0].starts_with("error LookupError no receiver named 'no-such-receiver'"), "{status:?}");
    assert!(status[1].starts_with("error ValueError outlet 3 does not exist"), "{status:?}");
    assert!(t.errors().iter().any(|l| l == "custom problem"), "{}", t.text());
    assert_eq!(t.printed("py"), ["symbol stillalive"]);
}

#[test]
fn a_missing_python_is_a_clear_message_not_a_crash() {
    let dir = test_dir("nopython");
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.pyrus("py2", "math.floor");
    p.script(&[("py", "eval 1")]);
    let path = dir.join("nopython.pd");
    p.write(&path);
    // As if the Python the user named were not installed.
    let env = [("PYRUS_LIBPYTHON", "libpython3.99.so.1.0")];
    let t = run_pd_env(&path, &[], &env, std::time::Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "{}", t.text());
    let errors = t.errors();
    // Once when Pd loads the library, then again for each object it can't create.
    let refusal = "pyrus: PYRUS_LIBPYTHON=libpython3.99.so.1.0 can't be loaded (";
    assert_eq!(errors.iter().filter(|l| l.starts_with(refusal)).count(), 3, "{}", t.text());
    assert!(errors[0].contains("unset PYRUS_LIBPYTHON to let pyrus find one"), "{}", t.text());
    assert!(!t.contains("maximum object loading depth"), "{}", t.text());
}

/// A flag's bad value at creation gets the same words as the same value sent
/// as the object's message (one validation, in the engine), with "ignored":
/// the object keeps the default and works.
#[test]
fn a_bad_flag_value_at_creation_gets_the_words_of_its_message() {
    let dir = test_dir("flagwords");
    let mut p = Patch::new();
    let cases = [
        ("-detach 3", "detach 3", "detach takes 0, 1 or 2, not '3'"),
        ("-detach", "detach", "detach takes 0, 1 or 2, not ''"),
        ("-queue 0", "queue 0", "queue takes a whole number of jobs, 1 or more, not '0'"),
        ("-queue 2.5", "queue 2.5", "queue takes a whole number of jobs, 1 or more, not '2.5'"),
    ];
    let mut sends = Vec::new();
    let names: Vec<String> = (0..cases.len()).map(|i| format!("o{i}")).collect();
    for ((flag, message, _), name) in cases.iter().zip(&names) {
        p.pyrus(name, flag);
        sends.push((name.as_str(), *message));
        sends.push((name.as_str(), "eval 6 * 7"));
    }
    p.script(&sends);
    let t = run(&dir, "flagwords", &p);
    let errors = t.errors();
    for ((flag, message, why), name) in cases.iter().zip(&names) {
        let created = format!("pyrus: {why}; ignored");
        assert_eq!(errors.iter().filter(|l| **l == created).count(), 1, "{flag}: {created}\n{}", t.text());
        let sent = format!("pyrus: {why}");
        assert!(errors.contains(&sent), "{message}: {sent}\n{}", t.text());
        let status = t.printed(&format!("{name}-status"));
        assert_eq!(status, [format!("error ValueError {}", why.replace(',', "\\,"))], "{message}\n{}", t.text());
        assert_eq!(t.printed(name), ["42"], "{flag}: still working\n{}", t.text());
    }
}
