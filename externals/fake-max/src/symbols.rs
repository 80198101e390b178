//! The symbol table: `gensym` interns a name once and never frees it, so a
//! `t_symbol *` is valid for the life of the process and equal names give
//! equal pointers. Any thread (one mutex around the table).

use super::abi::Symbol;
use super::sync::lock;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::{Mutex, OnceLock};

/// Symbol addresses by name (addresses as `usize` so the table is `Send`).
fn table() -> &'static Mutex<HashMap<Vec<u8>, usize>> {
    static TABLE: OnceLock<Mutex<HashMap<Vec<u8>, usize>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The interned symbol of `name` (bytes without the terminating NUL).
pub fn intern(name: &[u8]) -> *mut Symbol {
    let mut t = lock(table());
    if let Some(&p) = t.get(name) {
        return p as *mut Symbol;
    }
    let owned = CString::new(name.to_vec()).unwrap_or_default();
    let sym = Box::new(Symbol { s_name: owned.into_raw(), s_thing: std::ptr::null_mut() });
    let p = Box::into_raw(sym);
    t.insert(name.to_vec(), p as usize);
    p
}

pub fn sym(name: &str) -> *mut Symbol {
    intern(name.as_bytes())
}

/// The name of an interned symbol (lossy UTF-8); "" for null.
pub fn name(s: *const Symbol) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: non-null symbols handed to the kernel come from `intern`,
    // whose names are NUL-terminated and never freed.
    unsafe { CStr::from_ptr((*s).s_name) }.to_string_lossy().into_owned()
}
