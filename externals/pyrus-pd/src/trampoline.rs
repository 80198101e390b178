//! The one way into Rust from Pd: a panic must never unwind into C.

/// Runs `f`, turning a panic into a console error and `fallback`.
///
/// Unwind safety (see [`pyrus_engine::catch`]) holds because after a panic
/// the object only reports; any state the panic interrupted is behind
/// `RefCell`s that stay consistent (a poisoned borrow panics again, which
/// lands here again).
#[inline]
pub fn guard<R>(what: &str, fallback: R, f: impl FnOnce() -> R) -> R {
    pyrus_engine::catch(f).unwrap_or_else(|why| {
        crate::console::error(std::ptr::null(), &format!("pyrus: internal error in {what}: {why}"));
        fallback
    })
}
