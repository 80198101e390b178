//! The Max window, with Rust strings: `post`, `error` and `object_error`
//! (attributed: the Max window's entry points at the object).
//!
//! A long text (a traceback) goes out as several lines of at most
//! [`LINE_BYTES`], none of it lost (the engine's `console_lines`, as Pd's).
//!
//! # Threading
//! Main or scheduler thread (Max's console functions are thread-safe; the
//! engine calls these on host threads only).

use pyrus_max_sys as max;

/// The most bytes of text in one line of the Max window.
const LINE_BYTES: usize = 900;

/// A line in the Max window.
pub fn post(text: &str) {
    for line in pyrus_engine::console_lines(text, LINE_BYTES) {
        // SAFETY: "%s" with one valid NUL-terminated string matches post's
        // format contract.
        unsafe { max::post(c"%s".as_ptr(), line.as_ptr()) };
    }
}

/// An error line, attributed to `object` when it is not null.
pub fn error(object: *mut max::t_object, text: &str) {
    for line in pyrus_engine::console_lines(text, LINE_BYTES) {
        // SAFETY: as in `post`; object_error takes a live object (the
        // caller's guarantee when it passes one).
        unsafe {
            if object.is_null() {
                max::error(c"%s".as_ptr(), line.as_ptr());
            } else {
                max::object_error(object, c"%s".as_ptr(), line.as_ptr());
            }
        }
    }
}
