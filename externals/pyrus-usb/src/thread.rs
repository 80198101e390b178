//! One way to start a thread in pyrus-usb, so that none dies silently.
//!
//! Every thread this crate starts (readers, writers, the acceptor, the
//! hotplug event thread, the virtual device's) starts through [`spawn`]: a
//! panic in its body (a bug, or one the host's wake callback raises on this
//! thread) is caught, and the thread's `on_panic` reports it through the
//! device's own error path (an [`Event::Error`](crate::Event::Error) in its
//! queue, which hosts show on the console and the status outlet) and ends
//! the device the way a failure of that thread would (its finished flag
//! set, `disconnected` if it was connected), so that the owner closes it and
//! joins the thread as usual. The crate cannot use the engine's helper: the
//! engine depends on it, not the other way round.
//!
//! # Threading
//! [`spawn`] from any thread; `on_panic` runs on the new thread, after the
//! body has unwound (so the locks it held are released), and must not panic.
#![forbid(unsafe_code)]

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread::JoinHandle;

/// Starts a thread named `name` running `body`. A panic in `body` becomes
/// `on_panic("internal error: thread NAME ended: WHY")`, whose value the
/// thread then returns as `body` would have.
pub fn spawn<T: Send + 'static>(
    name: &str,
    on_panic: impl FnOnce(String) -> T + Send + 'static,
    body: impl FnOnce() -> T + Send + 'static,
) -> io::Result<JoinHandle<T>> {
    let thread = name.to_owned();
    // AssertUnwindSafe: after a panic only `on_panic` runs, and each one only
    // reports and marks its device finished (atomics, poison-tolerant locks).
    std::thread::Builder::new().name(name.into()).spawn(move || match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(panic) => on_panic(format!("internal error: thread {thread} ended: {}", message(panic.as_ref()))),
    })
}

/// A panic's message, as `panic!` formats it.
fn message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_reported_with_the_threads_name_and_the_thread_joins() {
        let t = spawn("pyrus-usb-test", Err, || -> Result<(), String> { panic!("a bug: {}", 42) });
        let why = t.unwrap().join().expect("the panic was caught").unwrap_err();
        assert_eq!(why, "internal error: thread pyrus-usb-test ended: a bug: 42");
        let t = spawn("pyrus-usb-test", |_| 0, || 7).unwrap();
        assert_eq!(t.join().unwrap(), 7, "no panic, no report");
    }
}
