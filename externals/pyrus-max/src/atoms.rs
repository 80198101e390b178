//! Max atoms to engine atoms and back. Max has ints (`A_LONG`, an
//! `intptr_t`) and floats (`A_FLOAT`, a double): they stay apart both ways,
//! so `eval 1 + 2` gives `int 3` and `eval 2.5 * 2` gives `float 5.0`.
//!
//! # Threading
//! Plain conversions; `gensym` is Max's and thread-safe. Main or scheduler.

use pyrus_engine::atoms::{Atom, Message};
use pyrus_max_sys as max;
use std::borrow::Cow;
use std::ffi::{c_long, CStr};

/// The text of a Max symbol. Max symbols are UTF-8; other bytes are decoded
/// with replacement characters (and the caller is told, to report it).
///
/// # Safety
/// `s` must be a live Max symbol (symbols are never freed).
pub unsafe fn symbol_text(s: *const max::t_symbol) -> (Cow<'static, str>, bool) {
    // SAFETY: per the contract, a non-null s is a live symbol.
    if s.is_null() || unsafe { (*s).s_name.is_null() } {
        return (Cow::Borrowed(""), true);
    }
    // SAFETY: per the contract, s_name is a NUL-terminated string that Max never frees.
    pyrus_engine::atoms::symbol_text(unsafe { CStr::from_ptr((*s).s_name) })
}

/// Converts a Max atom vector. Objects and other atom types become the
/// symbol `?` rather than a crash; `valid_utf8` turns false if a symbol
/// needed repair.
///
/// # Safety
/// `argv` must point to `argc` valid atoms (or be null with `argc` 0).
pub unsafe fn from_max(argc: c_long, argv: *const max::t_atom, valid_utf8: &mut bool) -> Vec<Atom<'static>> {
    if argv.is_null() || argc <= 0 {
        return Vec::new();
    }
    // SAFETY: the caller guarantees argc valid atoms at argv.
    let atoms = unsafe { std::slice::from_raw_parts(argv, argc as usize) };
    atoms
        .iter()
        .map(|a| match a.a_type {
            // SAFETY: the tag says w_long is live.
            max::A_LONG => Atom::Int(unsafe { a.a_w.w_long } as i64),
            // SAFETY: the tag says w_float is live.
            max::A_FLOAT => Atom::Float(unsafe { a.a_w.w_float }),
            max::A_SYM => {
                // SAFETY: the tag says w_sym is live; Max symbols live forever.
                let (text, ok) = unsafe { symbol_text(a.a_w.w_sym) };
                *valid_utf8 &= ok;
                Atom::Symbol(text)
            }
            _ => Atom::Symbol(Cow::Borrowed("?")),
        })
        .collect()
}

/// Interns `text` as a Max symbol. Text never holds a NUL (the engine
/// refuses those), but a stray one is cut rather than trusted.
pub fn gensym(text: &str) -> *mut max::t_symbol {
    let mut buf = [0u8; 256];
    let text = text.split('\0').next().unwrap_or_default();
    if text.len() < buf.len() {
        buf[..text.len()].copy_from_slice(text.as_bytes());
        // SAFETY: buf holds text followed by at least one NUL; gensym copies it.
        unsafe { max::gensym(buf.as_ptr().cast()) }
    } else {
        let owned = std::ffi::CString::new(text).expect("NULs were cut");
        // SAFETY: a valid NUL-terminated string; gensym copies it.
        unsafe { max::gensym(owned.as_ptr()) }
    }
}

/// One engine atom as a Max atom.
pub fn to_atom(atom: &Atom<'_>) -> max::t_atom {
    match atom {
        Atom::Int(i) => long_atom(*i as max::t_atom_long),
        Atom::Float(f) => max::t_atom { a_type: max::A_FLOAT, a_w: max::word { w_float: *f } },
        Atom::Symbol(s) => max::t_atom { a_type: max::A_SYM, a_w: max::word { w_sym: gensym(s) } },
    }
}

/// An `A_LONG` atom.
pub fn long_atom(n: max::t_atom_long) -> max::t_atom {
    max::t_atom { a_type: max::A_LONG, a_w: max::word { w_long: n } }
}

/// A message as Max has it: a selector and its atoms (`symbol foo`, as
/// `[tosymbol]` sends it; a list is a `list` whatever its first atom).
pub fn to_max(message: &Message<'_>) -> (*mut max::t_symbol, Vec<max::t_atom>) {
    let atoms = message.args();
    (gensym(message.selector()), atoms.iter().map(to_atom).collect())
}
