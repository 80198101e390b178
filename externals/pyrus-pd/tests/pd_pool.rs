//! The worker pool's reliability in real Pd: stacks deep enough for Python,
//! panics caught on the worker, a pool that grows while jobs block, `stop`
//! that abandons a job blocked in C, and an exit that never waits for the
//! GIL. Every ordering here is forced by events (a gate one object opens for
//! the others), never by timing; time limits only bound hangs.

mod support;
use std::time::{Duration, Instant};
use support::*;

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Quits Pd once `n` messages in all came out of `sources`: `(box, outlet,
/// selector)`, a selector of `None` counting every message.
fn quit_after_all(p: &mut Patch, sources: &[(usize, usize, Option<&str>)], n: usize) {
    let count = p.counter();
    for &(from, outlet, selector) in sources {
        let pass = p.obj(&match selector {
            Some(s) => format!("route {s}"),
            None => "t b".into(),
        });
        p.connect(from, outlet, pass, 0);
        let bang = p.obj("t b");
        p.connect(pass, 0, bang, 0);
        p.connect(bang, 0, count, 0);
    }
    let sel = p.obj(&format!("sel {}", n - 1));
    let quit = p.msg("; pd quit");
    p.connect(count, 0, sel, 0);
    p.connect(sel, 0, quit, 0);
}

/// Sends `text` (message box syntax, e.g. `; a stop; a call m.f`) each time
/// outlet `outlet` of `from` puts out the symbol `word`.
fn on(p: &mut Patch, from: usize, outlet: usize, word: &str, text: &str) {
    let route = p.obj("route symbol");
    let sel = p.obj(&format!("sel {word}"));
    let m = p.msg(text);
    p.connect(from, outlet, route, 0);
    p.connect(route, 0, sel, 0);
    p.connect(sel, 0, m, 0);
}

const DEEP: &str = r#"import sys
def viamap(n):
    # recursion through a C builtin, as json, pickle and repr also recurse
    return list(map(viamap, [n - 1]))[0] + 1 if n > 0 else 0
def run(limit, depth):
    sys.setrecursionlimit(int(limit))
    return viamap(int(depth))
def in_thread(limit, depth):
    import threading, pyrus
    sys.setrecursionlimit(int(limit))
    def body():
        try:
            pyrus.out(viamap(int(depth)))
        except RecursionError as e:
            pyrus.out(type(e).__name__)
    threading.Thread(target=body).start()
"#;

#[test]
fn deep_recursion_gives_the_result_or_recursion_error_in_every_detach_mode() {
    let dir = test_dir("deep");
    write(&dir, "deep.py", DEEP);
    let mut p = Patch::new();
    let objects: Vec<usize> =
        (0..3).map(|mode| p.pyrus(&format!("d{mode}"), &format!("-detach {mode} deep"))).collect();
    let mut sources = Vec::new();
    for &o in &objects {
        sources.push((o, 0, None));
        sources.push((o, 1, Some("error")));
    }
    quit_after_all(&mut p, &sources, 6);
    // 5950 frames through map() need more than a 2 MiB thread stack; 20000
    // pass the limit and must raise, not crash.
    let mut sends = Vec::new();
    for mode in 0..3 {
        sends.push((format!("d{mode}"), "call deep.run 6000 5950".to_string()));
        sends.push((format!("d{mode}"), "call deep.run 6000 20000".to_string()));
    }
    let sends: Vec<(&str, &str)> = sends.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    p.start(&sends);
    let t = run_within(&dir, "deep", &p, &["-realtime"], Duration::from_secs(60));
    for mode in 0..3 {
        assert_eq!(t.printed(&format!("d{mode}")), ["5950"], "detach {mode}:\n{}", t.text());
        let status = t.printed(&format!("d{mode}-status"));
        assert!(
            status.iter().any(|s| s.starts_with("error RecursionError maximum recursion depth exceeded")),
            "detach {mode}: {status:?}\n{}",
            t.text()
        );
    }
}

/// A thread a script starts gets the engine's stack too, whatever the
/// process's stack limit makes the default (1 MiB here, which 5950 frames
/// through `map()` overflow).
#[test]
fn script_threads_get_a_deep_stack_under_a_small_stack_limit() {
    let dir = test_dir("deep-thread");
    write(&dir, "deep.py", DEEP);
    let mut p = Patch::new();
    let o = p.pyrus("t", "deep");
    quit_after_all(&mut p, &[(o, 0, None)], 2);
    p.start(&[("t", "call deep.in_thread 6000 5950"), ("t", "call deep.in_thread 6000 20000")]);
    let path = dir.join("deep-thread.pd");
    p.write(&path);
    let t = run_pd_under(&["prlimit", "--stack=1048576"], &path, &[], &[], Duration::from_secs(60));
    assert_eq!(t.status, Some(0), "pd exited abnormally:\n{}", t.text());
    let mut printed = t.printed("t");
    printed.sort();
    assert_eq!(printed, ["5950", "symbol RecursionError"], "{}", t.text());
}

const BOOM: &str = r#"import os, threading
panicked_on = None
def panic_type():
    # pyo3 makes its PanicException type when it first fetches an error
    # (the eval 1/0 before), and resumes the panic when it fetches one.
    return next(c for c in BaseException.__subclasses__() if c.__name__ == 'PanicException')
def boom(x):
    global panicked_on
    panicked_on = threading.get_native_id()
    raise panic_type()('boom %d' % x)
def survived():
    # The thread that raised is still one of Pd's threads.
    return os.path.exists('/proc/self/task/%d' % panicked_on)
"#;

#[test]
fn a_panic_in_a_detached_job_is_reported_and_the_worker_carries_on() {
    let dir = test_dir("panic");
    write(&dir, "boom.py", BOOM);
    let mut p = Patch::new();
    let serial = p.pyrus("b1", "-detach 1 boom");
    let concurrent = p.pyrus("b2", "-detach 2 boom");
    // A serial object's jobs, one at a time: the thread that caught the
    // panic is still alive when the job after it runs (the pool may have
    // grown meanwhile, so that job may run elsewhere). Then a concurrent
    // object's job panics too.
    p.start(&[("b1", "eval 1/0"), ("b1", "call boom.boom 1"), ("b1", "call boom.survived")]);
    let route = p.obj("route busy");
    let sel = p.obj("sel 0");
    let next = p.msg("; b2 call boom.boom 2");
    p.connect(serial, 1, route, 0);
    p.connect(route, 0, sel, 0);
    p.connect(sel, 0, next, 0);
    p.quit_when_idle(concurrent);
    let t = run_within(&dir, "panic", &p, &["-realtime"], Duration::from_secs(60));
    assert_eq!(t.printed("b1"), ["1"], "the worker that caught the panic lives on: {}", t.text());
    assert_eq!(
        t.printed("b1-status"),
        ["busy 1", "error ZeroDivisionError division by zero", "error PanicException boom 1", "busy 0"],
        "{}",
        t.text()
    );
    assert_eq!(t.printed("b2-status"), ["busy 1", "error PanicException boom 2", "busy 0"], "{}", t.text());
    let internal: Vec<_> = t.errors().into_iter().filter(|e| e.contains("internal error in a detached job")).collect();
    assert_eq!(internal.len(), 2, "both panics in the console: {}", t.text());
}

const GATE: &str = r#"import threading, pyrus
gate = threading.Event()
def wait():
    # blocks in C with the GIL released, as a socket or a device read would
    return 'woke' if gate.wait(120) else 'timed out'
def open_gate():
    gate.set()
    return 'opened'
"#;

#[test]
fn jobs_blocked_in_a_wait_never_delay_another_objects_job() {
    let dir = test_dir("starve");
    write(&dir, "gate.py", GATE);
    let mut p = Patch::new();
    // One base worker; 63 jobs of a concurrent object and one of a serial
    // object block until the last object opens the gate: only a pool that
    // grows lets that object run at all (else every waiter times out), and
    // one that grows by its documented cap (64 blocked jobs) in time.
    let many = p.pyrus("many", "-detach 2 gate");
    let one = p.pyrus("one", "-detach 1 gate");
    let opener = p.pyrus("opener", "-detach 1 gate");
    quit_after_all(&mut p, &[(many, 0, None), (one, 0, None), (opener, 0, None)], 65);
    let mut sends = vec![("pyrus", "workers 1"), ("one", "call gate.wait")];
    sends.extend(std::iter::repeat_n(("many", "call gate.wait"), 63));
    sends.push(("opener", "call gate.open_gate"));
    p.start(&sends);
    let start = Instant::now();
    let t = run_within(&dir, "starve", &p, &["-realtime"], Duration::from_secs(60));
    assert_eq!(t.printed("opener"), ["symbol opened"], "{}", t.text());
    assert_eq!(t.printed("one"), ["symbol woke"], "{}", t.text());
    assert_eq!(t.printed("many"), vec!["symbol woke"; 63], "{}", t.text());
    // The opener's answer came before any waiter's.
    let first = t.lines.iter().position(|l| l.ends_with("symbol woke")).unwrap();
    let opened = t.lines.iter().position(|l| l == "opener: symbol opened").unwrap();
    assert!(opened < first, "{}", t.text());
    // Generous: the bug makes every waiter wait its 120 s (and Pd is
    // killed after 60 s).
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
}

#[test]
fn past_the_cap_a_call_waits_for_a_worker_and_the_console_says_so() {
    let dir = test_dir("cap");
    // The waiters give up after 3 s: only then is a worker free.
    write(&dir, "gate.py", &GATE.replace("gate.wait(120)", "gate.wait(3)"));
    let mut p = Patch::new();
    // One base worker + 64: 65 blocked jobs fill the pool; the 66th waits.
    let many = p.pyrus("many", "-detach 2 gate");
    let opener = p.pyrus("opener", "-detach 1 gate");
    quit_after_all(&mut p, &[(many, 0, None), (opener, 0, None)], 66);
    let mut sends = vec![("pyrus", "workers 1")];
    sends.extend(std::iter::repeat_n(("many", "call gate.wait"), 65));
    sends.push(("opener", "call gate.open_gate"));
    p.start(&sends);
    let t = run_within(&dir, "cap", &p, &["-realtime"], Duration::from_secs(60));
    assert!(
        t.errors().iter().any(|e| e.starts_with("pyrus: all 65 worker threads are busy")),
        "the console says why the call waits: {}",
        t.text()
    );
    let first = t.lines.iter().position(|l| l.starts_with("many: ")).unwrap();
    let opened = t.lines.iter().position(|l| l == "opener: symbol opened").expect("the opener ran");
    assert_eq!(t.lines[first], "many: symbol timed\\ out", "{}", t.text());
    assert!(first < opened, "the opener waited for a worker: {}", t.text());
}

const BLOCK: &str = r#"import threading, pyrus
gate = threading.Event()
done = threading.Event()
def block():
    try:
        pyrus.out('started')
        gate.wait(120)
    finally:
        # runs even though stop's pyrus.Stopped fires once the wait returns
        pyrus.out('late')
        done.set()
def release():
    gate.set()
    return 'released'
def finished():
    return 'finished' if done.wait(120) else 'timed out'
def again():
    return 'again'
"#;

#[test]
fn stop_abandons_a_job_blocked_in_c_and_the_next_call_answers_at_once() {
    let dir = test_dir("stopwait");
    write(&dir, "blk.py", BLOCK);
    for mode in [1, 2] {
        let mut p = Patch::new();
        let a = p.pyrus("a", &format!("-detach {mode} blk"));
        let watcher = p.pyrus("w", "-detach 1 blk");
        // Once the job is blocked: stop, then a call that only a free worker
        // can run, which opens the gate. Once the abandoned job has sent its
        // last output (`done`), one more call to the object, then quit on
        // its answer.
        on(&mut p, a, 0, "started", "; a stop; a call blk.release; w call blk.finished");
        on(&mut p, watcher, 0, "finished", "; a call blk.again");
        on(&mut p, a, 0, "again", "; pd quit");
        p.start(&[("pyrus", "workers 1"), ("a", "call blk.block")]);
        let start = Instant::now();
        let t = run_within(&dir, &format!("stopwait{mode}"), &p, &["-realtime"], Duration::from_secs(60));
        let ctx = format!("detach {mode}:\n{}", t.text());
        assert_eq!(t.printed("a"), ["symbol started", "symbol released", "symbol again"], "{ctx}");
        assert_eq!(t.printed("w"), ["symbol finished"], "{ctx}");
        // The abandoned job's end is not the new jobs' end: one busy 0 each.
        assert_eq!(t.printed("a-status"), ["busy 1", "stopped", "busy 0", "busy 1", "busy 0", "busy 1"], "{ctx}");
        // Generous: with the bug the next call waits for the abandoned
        // job's 120 s (Pd is killed after 60 s).
        assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
    }
}

#[test]
fn quit_while_a_job_holds_the_gil_in_c_exits_at_once() {
    let dir = test_dir("quitgil");
    write(
        &dir,
        "hold.py",
        r#"import pyrus, re
def hold():
    pyrus.send('holding', 1)
    # catastrophic backtracking: minutes in C, never releasing the GIL
    return bool(re.match(r'(a+)+$', 'a' * 40 + 'b'))
"#,
    );
    for mode in [1, 2] {
        let mut p = Patch::new();
        p.pyrus("h", &format!("-detach {mode} hold"));
        // A script device thread and the watch thread exist too.
        p.pyrus("u", "-detach 1 -watch hold");
        p.quit_on("holding");
        let r = p.obj("r holding");
        let said = p.obj("print holding");
        p.connect(r, 0, said, 0);
        p.start(&[("u", "exec import pyrus.usb \\; d = pyrus.usb.demo(lambda m: None)"), ("h", "call hold.hold")]);
        let path = dir.join(format!("quitgil{mode}.pd"));
        p.write(&path);
        let t = run_pd(&path, &["-realtime"], Duration::from_secs(30));
        assert_eq!(t.status, Some(0), "{}", t.text());
        assert!(t.contains("still busy"), "the regex was running at exit: {}", t.text());
        // Timed from the quit (issue 11: gone within 2 s; the exit's
        // deadline is 0.5 s), not from Pd's start, which takes seconds on a
        // loaded machine. Generous: the bug never returns.
        let took = t.exit_after("holding: 1");
        println!("detach {mode}: quit in {took:?} while a job held the GIL");
        assert!(took < Duration::from_secs(10), "detach {mode}: quit took {took:?}: {}", t.text());
    }
}
