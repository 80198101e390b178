//! The Max host's own thread rules, in the fake-max kernel: what
//! `pyrus-max` decides rather than the engine (see the crate's thread
//! contract): an `open` that arrives on the scheduler thread runs on main,
//! a main-thread synchronous call gives Python back by itself (the main
//! qelem ends its lease). (A free while a scheduler-thread call runs, the
//! object's gate, is `max_detached.rs`'s
//! `freeing_an_object_while_a_scheduler_thread_call_runs`.)

mod support;
use support::*;

/// `open` and `pyrus open` sent on the scheduler thread reach the editor on
/// the main thread (the object's qelem): the error of a missing editor
/// leaves from main. Without the qelem it would leave on `sched`.
#[test]
fn open_from_the_scheduler_thread_runs_on_main() {
    let mut m = Max::start_env("openmain", &[("VISUAL", "pyrus-no-such-editor"), ("EDITOR", "")]);
    m.write("tool.py", "def f(x):\n    return x\n");
    m.new_object("t", "pyrus tool.f");
    m.sched("t", 0, "open");
    let first = m.expect_out("t", 1);
    m.sched("t", 0, "pyrus open");
    let second = m.expect_out("t", 1);
    for out in [&first, &second] {
        assert!(out.message.contains("pyrus-no-such-editor"), "{}", m.text());
        assert_eq!(out.thread, "main", "{}", m.text());
    }
    // Other messages from the scheduler thread still run there.
    m.sched("t", 0, "int 3");
    assert_eq!(m.expect_out("t", 0).thread, "sched", "{}", m.text());
    m.quit();
}

/// A synchronous call on main keeps the GIL for the rest of main's turn
/// (the lease); nothing else happening on main, the main qelem must end
/// it, or the detached job that follows could never get Python and its
/// result would never come.
#[test]
fn the_main_threads_lease_ends_by_itself() {
    let mut m = Max::start("mainlease");
    m.write("ident.py", "def f(x):\n    return x\n");
    m.new_object("p", "pyrus");
    m.new_object("d", "pyrus ident.f @detach 1");
    m.send("p", 0, "eval 40 + 2");
    m.send("d", 0, "int 7");
    assert_eq!(m.expect_out("p", 0).message, "int 42");
    let d = m.expect_out("d", 0);
    assert_eq!((d.message.as_str(), d.thread.as_str()), ("int 7", "sched"), "{}", m.text());
    m.quit();
}
