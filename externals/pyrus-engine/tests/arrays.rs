//! `pyrus.array` against the recording `TestHost` (contiguous float64
//! arrays): views in a synchronous call, and a detached call's requests,
//! carried out by the service, or timing out when no service ever comes.

use pyrus_engine::atoms::Message;
use pyrus_engine::test_host::{self, options, outlet, serve_until, words, TestHost};
use pyrus_engine::Object;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const SCRIPT: &str = r#"
import numpy as np
import pyrus

def view(_):
    a = pyrus.array("t")
    a[:] = np.arange(4)
    a += 1
    return [float(np.sum(a)), str(a.dtype)]

def detached(_):
    a = pyrus.array("t")
    a.write([5, 6, 7, 8, 9])
    return [len(a), float(a.read().sum())]

def threaded(_):
    import threading
    def run():
        a = pyrus.array("t")  # a thread of the script's own: requests, no view
        pyrus.out(float(a.read().sum()), a._h.lends_views)
    threading.Thread(target=run).start()

def unserved(path):
    try:
        pyrus.array("t")
        text = "answered"
    except pyrus.ArrayError as e:
        text = str(e)
    with open(path + ".part", "w") as f:
        f.write(text)
    import os
    os.replace(path + ".part", path)
"#;

fn setup(tag: &str) -> PathBuf {
    test_host::script_dir(&format!("arrays-{tag}"), &[("arr.py", SCRIPT)])
}

#[test]
fn a_synchronous_call_works_on_a_view_of_the_hosts_memory() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("view");
    let (host, ctx) = test_host::context(TestHost::new());
    host.set_array("t", &[0.0; 4]);
    let o = Object::new(&ctx, host.clone(), &words("arr.view"), options(&[]), Some(&dir));
    o.message(0, &Message::Float(1.0));
    assert_eq!(outlet(&host.take(), 0), ["10 float64"]);
    assert_eq!(host.array("t").unwrap(), [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn a_detached_call_asks_the_service_which_carries_out_its_requests() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("detached");
    let (host, ctx) = test_host::context(TestHost::new());
    host.set_array("t", &[0.0; 4]);
    let o = Object::new(&ctx, host.clone(), &words("arr.detached"), options(&[("detach", 1.0)]), Some(&dir));
    o.message(0, &Message::Float(1.0));
    let events = serve_until(&ctx, &host, |e| !outlet(e, 0).is_empty());
    // Clipped at the end: four of the five values.
    assert_eq!(outlet(&events, 0), ["4 26"]);
    assert_eq!(host.array("t").unwrap(), [5.0, 6.0, 7.0, 8.0]);
}

#[test]
fn a_scripts_own_thread_asks_as_a_detached_call_does() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("threaded");
    let (host, ctx) = test_host::context(TestHost::new());
    host.set_array("t", &[1.0, 2.0, 3.0]);
    let o = Object::new(&ctx, host.clone(), &words("arr.threaded"), options(&[]), Some(&dir));
    o.message(0, &Message::Float(1.0));
    let events = serve_until(&ctx, &host, |e| !outlet(e, 0).is_empty());
    assert_eq!(outlet(&events, 0), ["6 0"]);
}

/// With no service (a host that never answers, e.g. at quit), the worker's
/// wait ends in an error after the timeout rather than hanging.
#[test]
fn a_request_no_service_carries_out_is_an_error_after_the_timeout() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("unserved");
    let (host, ctx) = test_host::context(TestHost::new());
    host.set_array("t", &[0.0; 4]);
    let o = Object::new(&ctx, host.clone(), &words("arr.unserved"), options(&[("detach", 1.0)]), Some(&dir));
    let result = dir.join("result");
    o.message(0, &Message::Symbol(result.to_string_lossy().into_owned().into()));
    // The job writes its outcome to a file (nothing is serviced meanwhile).
    let limit = Instant::now() + Duration::from_secs(30);
    while !result.exists() {
        assert!(Instant::now() < limit, "the worker is still waiting after 30 s");
        host.wait_for_wake(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&result).unwrap();
    assert_eq!(text, "array 't': the host did not carry out the request within 5 s");
}
