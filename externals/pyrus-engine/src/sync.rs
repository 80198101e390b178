//! What every thread-owning module of the engine needs, and nothing that
//! reaches a host: a lock that shrugs off poison, the stack size of every
//! engine thread, catching a panic where it happens, and joining threads by
//! a deadline at exit. (Starting a thread, which reports an escaped panic to
//! a console, is [`crate::context::spawn`].)
//!
//! # Threading
//! Any thread; nothing here keeps state.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The stack of every thread the engine starts, as large as a Python main
/// thread's on Linux: Python 3.11 does not check the C stack, so a raised
/// recursion limit (through C builtins such as `map` or `json`) that works on
/// the main thread must work on a worker too. Only what a thread touches is
/// ever backed by memory.
pub const STACK: usize = 8 << 20;

/// Locks `m`, ignoring poison: every lock in the engine guards O(1) updates
/// that a panic elsewhere cannot leave half done.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f`, turning a panic into its message.
///
/// `AssertUnwindSafe`: every caller only reports after a panic and then
/// carries on with state guarded by poison-tolerant locks and atomics, each
/// updated in O(1) steps that a panic cannot leave half done.
#[inline]
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

/// Joins each of `threads` that ends before `end`, napping while it runs;
/// returns how many were still running then (left to the process exit).
/// The caller must hold no lock or GIL those threads need to finish.
pub(crate) fn join_by(threads: Vec<JoinHandle<()>>, end: Instant) -> usize {
    let mut left = 0;
    for t in threads {
        while !t.is_finished() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(2));
        }
        if t.is_finished() {
            let _ = t.join();
        } else {
            left += 1;
        }
    }
    left
}
