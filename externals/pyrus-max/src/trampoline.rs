//! The one way into Rust from Max: a panic must never unwind into C.
//!
//! # Threading
//! Any thread Max calls us on (main, scheduler).

/// Runs `f`, turning a panic into a Max window error and `fallback`.
///
/// Unwind safety (see [`pyrus_engine::catch`]) holds because after a panic
/// the object only reports; the state a panic could interrupt is the
/// engine's (consistent by its own design) or atomics.
#[inline]
pub fn guard<R>(what: &str, fallback: R, f: impl FnOnce() -> R) -> R {
    pyrus_engine::catch(f).unwrap_or_else(|why| {
        crate::console::error(std::ptr::null_mut(), &format!("pyrus: internal error in {what}: {why}"));
        fallback
    })
}
