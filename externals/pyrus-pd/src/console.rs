//! Pd's console, with Rust strings.
//!
//! Pd cuts a console line at about 1000 bytes (`MAXPDSTRING`), so a longer
//! text goes out as several lines, none of it lost.
//!
//! # Threading
//! Pd's scheduler thread only (every caller is a Pd method, or the engine's
//! host calls made there).

use pd_sys as pd;
use std::ffi::{c_void, CString};

/// The most bytes of text in one console line, below Pd's limit.
const LINE_BYTES: usize = 900;

/// `text` as C strings of at most [`LINE_BYTES`] bytes, cut at character
/// boundaries; a NUL inside console text would cut it, so it is shown instead.
fn c_lines(text: &str) -> Vec<CString> {
    let text = text.replace('\0', "\\0");
    let mut lines = Vec::new();
    let mut rest = text.as_str();
    loop {
        let mut end = rest.len().min(LINE_BYTES);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        lines.push(CString::new(&rest[..end]).expect("NULs were replaced"));
        rest = &rest[end..];
        if rest.is_empty() {
            return lines;
        }
    }
}

/// A line in the console.
pub fn post(text: &str) {
    for line in c_lines(text) {
        // SAFETY: "%s" with one valid NUL-terminated string matches post's
        // format contract; we are on Pd's scheduler thread.
        unsafe { pd::post(c"%s".as_ptr(), line.as_ptr()) };
    }
}

/// An error line, attributed to `object` (may be null) so Find Last Error finds it.
pub fn error(object: *const c_void, text: &str) {
    for line in c_lines(text) {
        // SAFETY: as in `post`; pd_error accepts a null object or a live t_pd.
        unsafe { pd::pd_error(object, c"%s".as_ptr(), line.as_ptr()) };
    }
}
