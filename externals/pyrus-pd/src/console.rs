//! Pd's console, with Rust strings.
//!
//! Pd cuts a console line at about 1000 bytes (`MAXPDSTRING`), so a longer
//! text goes out as several lines, none of it lost.
//!
//! # Threading
//! Pd's scheduler thread only (every caller is a Pd method, or the engine's
//! host calls made there).

use pd_sys as pd;
use std::ffi::c_void;

/// The most bytes of text in one console line, below Pd's limit.
const LINE_BYTES: usize = 900;

/// A line in the console.
pub fn post(text: &str) {
    for line in pyrus_engine::console_lines(text, LINE_BYTES) {
        // SAFETY: "%s" with one valid NUL-terminated string matches post's
        // format contract; we are on Pd's scheduler thread.
        unsafe { pd::post(c"%s".as_ptr(), line.as_ptr()) };
    }
}

/// An error line, attributed to `object` (may be null) so Find Last Error finds it.
pub fn error(object: *const c_void, text: &str) {
    for line in pyrus_engine::console_lines(text, LINE_BYTES) {
        // SAFETY: as in `post`; pd_error accepts a null object or a live t_pd.
        unsafe { pd::pd_error(object, c"%s".as_ptr(), line.as_ptr()) };
    }
}
