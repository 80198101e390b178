//! The scheduler thread's GIL lease: kept across a burst of synchronous calls,
//! released when the host says the pass is over, never starving Python threads.

use pyo3::types::PyAnyMethods;
use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::gil;
use pyrus_engine::runtime::{self, RuntimeConfig};
use pyrus_engine::test_host::{self, TestHost};
use pyrus_engine::{Object, Options};
use std::borrow::Cow;

/// Ends the lease when a test ends, also when it fails: a thread that dies
/// holding the GIL would hang every other test in this process.
struct EndLeaseOnDrop;

impl Drop for EndLeaseOnDrop {
    fn drop(&mut self) {
        gil::end_lease();
    }
}

fn exec(o: &Object, code: &str) {
    o.message(0, &Message::Anything(Cow::Borrowed("exec"), vec![Atom::symbol(code)].into()));
}

fn eval(o: &Object, host: &TestHost, code: &str) -> String {
    o.message(0, &Message::Anything(Cow::Borrowed("eval"), vec![Atom::symbol(code)].into()));
    host.take_outlet(0).pop().unwrap_or_default()
}

#[test]
fn lease_lasts_until_the_host_ends_the_pass() {
    let _end = EndLeaseOnDrop;
    runtime::start(&RuntimeConfig::default()).unwrap();
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &[Atom::symbol("builtins.abs")], Options::default(), None);
    assert!(gil::holds_lease(), "creating an object is a synchronous call too");
    gil::end_lease();
    assert!(!gil::holds_lease());
    for i in 0..100 {
        o.message(0, &Message::Float(-(i as f64)));
    }
    assert!(gil::holds_lease(), "kept between the calls of one pass");
    assert_eq!(host.service_requests(), 2, "one release asked for the whole burst (after the one for new)");
    assert_eq!(host.take_outlet(0).len(), 100);
    gil::end_lease();
    assert!(!gil::holds_lease());
    o.message(0, &Message::Float(-1.0));
    assert_eq!(host.service_requests(), 3, "a new pass asks again");
    gil::end_lease();
}

#[test]
fn without_a_deferring_host_the_gil_is_released_after_each_call() {
    let _end = EndLeaseOnDrop;
    runtime::start(&RuntimeConfig::default()).unwrap();
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[Atom::symbol("builtins.abs")], Options::default(), None);
    o.message(0, &Message::Float(-2.0));
    assert!(!gil::holds_lease());
    assert_eq!(host.take_outlet(0), ["2"]);
}

/// A Python thread, started in one pass, runs once the lease is released:
/// it connects to the test and sends a byte, which the test waits for (up
/// to 5 s) between passes. With the GIL kept, it could not.
#[test]
fn python_threads_run_between_passes() {
    let _end = EndLeaseOnDrop;
    runtime::start(&RuntimeConfig::default()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut byte = [0u8];
        let got = std::io::Read::read_exact(&mut s, &mut byte).map(|()| byte[0]);
        let _ = tx.send(got.ok());
        // Holds the connection until the thread is told to stop (EOF).
        let _ = std::io::Read::read(&mut s, &mut byte);
    });
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &[], Options::default(), None);
    exec(&o, "import socket, threading");
    exec(&o, "stop = threading.Event()");
    exec(
        &o,
        &format!("def say():\n s = socket.create_connection(('127.0.0.1', {port}))\n s.sendall(b'x')\n stop.wait(5)\n s.close()"),
    );
    exec(&o, "worker = threading.Thread(target=say); worker.start()");
    assert!(gil::holds_lease());
    gil::end_lease();
    let got = rx.recv_timeout(std::time::Duration::from_secs(5));
    exec(&o, "stop.set(); worker.join()");
    gil::end_lease();
    peer.join().unwrap();
    assert_eq!(got, Ok(Some(b'x')), "the thread ran while the lease was released");
}

/// Within a lease most calls skip pyo3's attach, which defers the drops of
/// what Rust holds (a call's exception) to pyo3's next attach: a long loop
/// of failing calls in one pass must not pile them up.
#[test]
fn a_loop_of_failing_calls_in_one_pass_frees_its_exceptions_as_it_goes() {
    let _end = EndLeaseOnDrop;
    runtime::start(&RuntimeConfig::default()).unwrap();
    let (host, ctx) = test_host::context(TestHost::with_service());
    let o = Object::new(&ctx, host.clone(), &[], Options::default(), None);
    exec(
        &o,
        "class Counted(Exception):\n    live = 0\n    def __init__(self):\n        Counted.live += 1\n    \
         def __del__(self):\n        Counted.live -= 1\ndef fail(x):\n    raise Counted()",
    );
    for _ in 0..2000 {
        exec(&o, "fail(0)");
    }
    assert!(gil::holds_lease(), "all in one pass");
    let live: u32 = eval(&o, &host, "Counted.live").parse().unwrap();
    assert!(live <= 64, "{live} exceptions still alive after 2000 failing calls");
    gil::end_lease();
}

/// `gil::released` lets another thread have Python while this one waits
/// for it, however this thread holds the GIL (here: attached, as inside a
/// call, where `end_lease` cannot end the lease): without it, the other
/// thread gets no answer out before the deadline.
#[test]
fn released_lets_another_thread_run_python_while_this_one_waits() {
    let _end = EndLeaseOnDrop;
    runtime::start(&RuntimeConfig::default()).unwrap();
    pyo3::Python::attach(|_py| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let two = pyo3::Python::attach(|py| py.eval(c"1 + 1", None, None).unwrap().extract::<i64>().unwrap());
            let _ = tx.send(two);
        });
        let got = gil::released(move || rx.recv_timeout(std::time::Duration::from_secs(10)));
        assert_eq!(got, Ok(2), "the other thread ran Python while this one waited");
    });
}
