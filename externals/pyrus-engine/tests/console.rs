//! Script output (`sys.stdout`, `sys.stderr`, warnings, `__del__` and thread
//! tracebacks) reaches the host console of the object it belongs to, from
//! any thread, in whole lines, rate-limited with a count of what was left out.
//! One test at a time: they share the scheduler-side registry of this thread
//! and the rate windows.

use pyrus_engine::atoms::Message;
use pyrus_engine::test_host::{self, options, serve_until, words, Event, TestHost};
use pyrus_engine::{Object, Options, LINES_PER_SECOND};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const NOISY: &str = r#"
import sys, threading, warnings, _thread
class D:
    def __del__(self):
        raise RuntimeError("error in __del__")
def say(tag):
    print("print", "from", tag, "\udcff")  # a lone surrogate, as in an undecodable file name
    sys.stdout.write("no newline from " + str(tag))
    sys.stderr.write("stderr from %s\n" % tag)
def thread(tag):
    t = threading.Thread(target=lambda: print("thread says", tag))
    t.start()
    t.join()
def thread_error(tag):
    t = threading.Thread(target=lambda: 1 / 0)
    t.start()
    t.join()
def delete(tag):
    D()
def warn(tag):
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # each test's warning, not once per process
        warnings.warn("careful with %s" % tag)
def orphan(tag):
    # A thread no object started (not through threading.Thread.start).
    done = _thread.allocate_lock()
    done.acquire()
    def run():
        print("orphan says", tag)
        done.release()
    _thread.start_new_thread(run, ())
    done.acquire()
def flood(n):
    for i in range(n):
        print("line", i)
"#;

fn setup() -> PathBuf {
    test_host::script_dir("console", &[("noisy.py", NOISY)])
}

fn call(o: &Object, function: &str, tag: &str) {
    o.message(0, &Message::Anything(Cow::Borrowed("call"), Cow::Owned(words(&format!("noisy.{function} {tag}")))));
}

fn posts(events: &[Event]) -> Vec<String> {
    events.iter().filter_map(|e| if let Event::Post(t) = e { Some(t.clone()) } else { None }).collect()
}

fn errors(events: &[Event]) -> Vec<String> {
    events.iter().filter_map(|e| if let Event::Error(t) = e { Some(t.clone()) } else { None }).collect()
}

/// Runs every kind of output in an object in `mode` and checks that each
/// reaches that object's host (a script thread's through the mailbox, in
/// either mode).
fn every_output_reaches_its_object(mode: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup();
    // Made first: the first live context's console takes what belongs to no object.
    let (console, console_ctx) = test_host::context(TestHost::new());
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[], options(&[("detach", mode.parse().expect("a number"))]), Some(&dir));
    for function in ["say", "thread", "thread_error", "delete", "warn", "orphan"] {
        call(&o, function, mode);
    }
    let warning = format!("UserWarning: careful with {mode}");
    let events = serve_until(&ctx, &host, |e| {
        posts(e).len() == 3
            && errors(e).iter().any(|l| l.contains(&warning))
            && errors(e).iter().any(|l| l.contains("ZeroDivisionError"))
    });
    let (posts, errors) = (posts(&events), errors(&events));
    assert_eq!(
        posts,
        [format!("print from {mode} \\udcff"), format!("no newline from {mode}"), format!("thread says {mode}")],
        "{events:?}"
    );
    assert_eq!(errors[0], format!("stderr from {mode}"), "{events:?}");
    for expected in [
        "Exception in thread",
        "ZeroDivisionError: division by zero",
        "Exception ignored in: <function D.__del__",
        "RuntimeError: error in __del__",
    ] {
        assert!(errors.iter().any(|l| l.contains(expected)), "{expected}: {events:?}");
    }
    // The bootstrap's own wrapper of a script thread is not in its traceback.
    assert!(!errors.iter().any(|l| l.contains("run_for_owner")), "{events:?}");
    // Output of a thread that belongs to no object: the console, unattributed.
    let console_events = serve_until(&console_ctx, &console, |e| !e.is_empty());
    assert_eq!(console_events, [Event::Post(format!("orphan says {mode}"))]);
}

#[test]
fn every_output_reaches_a_synchronous_object() {
    every_output_reaches_its_object("0");
}

#[test]
fn every_output_reaches_a_detached_object() {
    every_output_reaches_its_object("1");
}

#[test]
fn a_flood_is_rate_limited_and_counts_what_it_left_out() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup();
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[], Options::default(), Some(&dir));
    let n = 20_000;
    call(&o, "flood", &n.to_string());
    // Wait for the count, which comes once the flood's second is over.
    let events = serve_until(&ctx, &host, |e| posts(e).iter().any(|l| l.contains("left out")));
    let posts = posts(&events);
    let shown = posts.iter().filter(|l| l.starts_with("line ")).count();
    let left_out: usize = posts
        .iter()
        .filter_map(|l| l.strip_prefix("pyrus: ... "))
        .map(|l| l.split(' ').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert!(shown <= n / 2, "at most {LINES_PER_SECOND} lines a second: {shown} of {n} shown");
    assert_eq!(shown + left_out, n, "every line is shown or counted: {shown} + {left_out}");
    // The first second's lines are shown, in order.
    let first: Vec<String> =
        posts.iter().filter(|l| l.starts_with("line ")).take(LINES_PER_SECOND as usize).cloned().collect();
    let expected: Vec<String> = (0..first.len()).map(|i| format!("line {i}")).collect();
    assert_eq!(first, expected);
}
