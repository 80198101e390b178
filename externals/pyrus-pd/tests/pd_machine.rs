//! The machine pyrus runs on in the Pd under test: `build/test`'s arm64 pass
//! (build/arm64.sh's `test_arm64`) runs this file in Debian's arm64 Pd under
//! qemu-aarch64 with the arm64 package and Debian's arm64 CPython, where
//! Python must say it runs on `aarch64`, synchronously and on a worker.

mod support;
use support::*;

/// What Python's `platform.machine()` must say in the Pd under test:
/// `$PYRUS_PD_MACHINE` (the arm64 pass sets `aarch64`), else the machine
/// these tests were built for (Linux's names: `x86_64`, `aarch64`).
fn expected_machine() -> String {
    std::env::var("PYRUS_PD_MACHINE").unwrap_or_else(|_| std::env::consts::ARCH.into())
}

#[test]
#[ignore = "build/test's arm64 pass (test_arm64) runs it in arm64 Pd under qemu-aarch64; the Pd64 pass runs it too"]
fn python_evaluates_and_a_detached_call_answers_on_the_machine_of_the_pd_under_test() {
    let dir = test_dir("machine");
    std::fs::write(dir.join("machine.py"), "import platform\ndef tagged(tag):\n    return [tag, platform.machine()]\n")
        .unwrap();
    let mut p = Patch::new();
    p.pyrus("py", "");
    let detached = p.pyrus("d", "-detach 1 machine.tagged");
    p.quit_when_idle(detached);
    p.start(&[("py", "eval 6 * 7"), ("py", "eval __import__('platform').machine()"), ("d", "7")]);
    let t = run(&dir, "machine", &p);
    let machine = expected_machine();
    assert_eq!(t.printed("py"), ["42".to_string(), format!("symbol {machine}")], "{}", t.text());
    assert_eq!(t.printed("d"), [format!("7 {machine}")], "{}", t.text());
    assert_eq!(t.printed("d-status"), ["busy 1", "busy 0"], "{}", t.text());
    assert!(t.printed("py-status").is_empty(), "{}", t.text());
}
