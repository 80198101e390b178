//! The two things every thread-owning module of the engine needs: a lock
//! that shrugs off poison, and joining threads by a deadline at exit.

use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Locks `m`, ignoring poison: every lock in the engine guards O(1) updates
/// that a panic elsewhere cannot leave half done.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
