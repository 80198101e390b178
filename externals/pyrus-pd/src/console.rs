//! Pd's console, with Rust strings.

use pd_sys as pd;
use std::ffi::{c_void, CString};

fn c_text(text: &str) -> CString {
    // A NUL inside console text would cut it; show it instead.
    CString::new(text.replace('\0', "\\0")).expect("NULs were replaced")
}

/// A line in the console.
pub fn post(text: &str) {
    let text = c_text(text);
    // SAFETY: "%s" with one valid NUL-terminated string matches post's format
    // contract; we are on Pd's scheduler thread (every caller is a Pd method).
    unsafe { pd::post(c"%s".as_ptr(), text.as_ptr()) };
}

/// An error line, attributed to `object` (may be null) so Find Last Error finds it.
pub fn error(object: *const c_void, text: &str) {
    let text = c_text(text);
    // SAFETY: as in `post`; pd_error accepts a null object or a live t_pd.
    unsafe { pd::pd_error(object, c"%s".as_ptr(), text.as_ptr()) };
}
