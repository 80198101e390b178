//! Locking that survives a panicking holder: the kernel reports a panic and
//! goes on rather than poisoning every later call. Any thread.

use std::sync::{Mutex, MutexGuard};

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
