//! The one way into Rust from Pd: a panic must never unwind into C.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, turning a panic into a console error and `fallback`.
///
/// `AssertUnwindSafe` holds because after a panic the object only reports;
/// any state the panic interrupted is behind `RefCell`s that stay consistent
/// (a poisoned borrow panics again, which lands here again).
pub fn guard<R>(what: &str, fallback: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            crate::console::error(std::ptr::null(), &format!("pyrus: internal error in {what}: {why}"));
            fallback
        }
    }
}
