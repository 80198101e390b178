//! The pool against the recording `TestHost`: it grows while jobs block,
//! the threads beyond its base size leave once idle, and a job's panic
//! leaves the counts right. The tests share the pool and the mailbox, so
//! they run one at a time.

use pyrus_engine::pool;
use pyrus_engine::test_host::{self, msg, options, outlet, serve_until, start_python as start, words, TestHost};
use pyrus_engine::Object;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn the_pool_grows_while_jobs_block_and_shrinks_back_when_idle() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    start();
    let dir = pyrus_engine::test_host::own_dir("pyrus-pool");
    std::fs::write(
        dir.join("gate.py"),
        "import threading\ngate = threading.Event()\n\
         def wait():\n    return 'woke' if gate.wait(20) else 'timed out'\n\
         def open_gate():\n    gate.set()\n    return 'opened'\n",
    )
    .unwrap();
    pool::set_workers(1);
    let (host, ctx) = test_host::context(TestHost::new());
    let waiters = Object::new(&ctx, host.clone(), &words("gate"), options(&[("detach", 2.0)]), Some(&dir));
    let (opener_host, opener_ctx) = test_host::context(TestHost::new());
    let opener = Object::new(&opener_ctx, opener_host.clone(), &words("gate"), options(&[("detach", 1.0)]), Some(&dir));
    for _ in 0..3 {
        waiters.message(0, &msg("call gate.wait"));
    }
    // Three jobs block on one base worker: only threads the pool added can
    // run the opener (else the waiters time out after 20 s, past serve_until's 10).
    opener.message(0, &msg("call gate.open_gate"));
    let opened = serve_until(&opener_ctx, &opener_host, |e| !outlet(e, 0).is_empty());
    assert_eq!(outlet(&opened, 0), ["symbol opened"]);
    let woke = serve_until(&ctx, &host, |e| outlet(e, 0).len() == 3);
    assert_eq!(outlet(&woke, 0), ["symbol woke"; 3]);
    // Idle now: the added threads leave after KEEP_ALIVE (generous bound).
    let end = Instant::now() + pool::KEEP_ALIVE + Duration::from_secs(10);
    while pool::threads() > pool::workers() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!((pool::threads(), pool::workers()), (1, 1));
}

#[test]
fn a_panicking_job_is_reported_and_the_service_stops_asking_for_more() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    start();
    // pyo3 resumes a panic when it fetches its own PanicException from
    // Python: a real panic, unwinding through the engine's job.
    pyo3::Python::attach(|py| {
        use pyo3::types::PyAnyMethods;
        let builtins = py.import("builtins").unwrap();
        builtins.setattr("PanicException", py.get_type::<pyo3::panic::PanicException>()).unwrap();
    });
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[], options(&[("detach", 1.0)]), None);
    o.message(0, &msg("exec raise PanicException('boom')"));
    o.message(0, &msg("eval 6*7"));
    let events = serve_until(&ctx, &host, |e| outlet(e, 1).last().map(String::as_str) == Some("busy 0"));
    assert_eq!(outlet(&events, 1), ["busy 1", "error PanicException boom", "busy 0"]);
    assert_eq!(outlet(&events, 0), ["42"]);
    // Every job is counted done: nothing keeps the host's clock re-arming.
    // Soon rather than at once: the worker counts its job's end just after
    // pushing the `JobDone` this drain carried out (so that a host without a
    // waker is still asked to come back for it), and a slow wait for the GIL
    // on a loaded machine is reported a pass or so later.
    let start = std::time::Instant::now();
    while ctx.service() {
        assert!(start.elapsed() < std::time::Duration::from_secs(15), "the service still expects work");
        host.wait_for_wake(std::time::Duration::from_millis(1));
    }
}
