//! The engine's end with a detached array request in flight: the waiting
//! worker is let go at once (an error), so every thread joins by the
//! deadline. Its own test binary: `shut_down` ends the process's engine.

use pyrus_engine::atoms::Message;
use pyrus_engine::test_host::{self, options, words, TestHost};
use pyrus_engine::Object;
use std::time::Duration;

#[test]
fn shut_down_releases_a_worker_waiting_for_an_array_request() {
    let dir = test_host::script_dir(
        "arrays-exit",
        &[("arr.py", "import pyrus\ndef f(_):\n    return len(pyrus.array('t'))\n")],
    );
    let (host, ctx) = test_host::context(TestHost::new());
    host.set_array("t", &[0.0; 4]);
    let o = Object::new(&ctx, host.clone(), &words("arr.f"), options(&[("detach", 1.0)]), Some(&dir));
    o.message(0, &Message::Float(1.0));
    // The request's wake (nothing is ever serviced here).
    assert!(host.wait_for_wake(Duration::from_secs(20)), "the job never asked");
    // Released at once; unreleased, the worker would wait out the 5 s timeout.
    assert_eq!(pyrus_engine::shut_down(Duration::from_secs(4)), 0, "a thread was still running");
}
