//! Pd atoms to engine atoms and back.
//!
//! Pd's floats are `f32`; the engine's are `f64`. A float is widened to the
//! `f64` with the same shortest decimal form, so `0.1` typed in a patch is
//! `0.1` in Python, not `0.10000000149011612`. Pd has no ints: it makes
//! float atoms only, and an engine int goes to Pd as its nearest float.

use pd_sys as pd;
use pyrus_engine::atoms::Atom;
use std::borrow::Cow;
use std::ffi::CStr;

/// Widens a Pd float keeping its decimal form.
#[inline] // into every Pd entry point: the small-integer test is a few instructions, the call was as many again
pub fn widen(f: pd::t_float) -> f64 {
    // Most floats in a patch are small integers: one compare settles those.
    // `as` saturates: 2^31 becomes i32::MAX, which a 32-bit float rounds
    // back up to 2^31, so that one value must not take this path.
    let i = f as i32;
    if i as pd::t_float == f && i != i32::MAX {
        return f64::from(i);
    }
    widen_other(f)
}

/// [`widen`] of a float that is not a small integer: out of line, so that
/// the inlined test stays small.
#[inline(never)]
fn widen_other(f: pd::t_float) -> f64 {
    if f.fract() == 0.0 || !f.is_finite() {
        return f64::from(f);
    }
    f.to_string().parse().unwrap_or(f64::from(f))
}

/// The text of a Pd symbol. Pd symbols are bytes; text that is not UTF-8 is
/// decoded with replacement characters (and the caller is told, to report it).
///
/// # Safety
/// `s` must be a live Pd symbol; its text lives as long as Pd (symbols are never freed).
pub unsafe fn symbol_text(s: *const pd::t_symbol) -> (Cow<'static, str>, bool) {
    // SAFETY: per the contract, s is a valid t_symbol whose s_name is a
    // NUL-terminated string that Pd never frees.
    pyrus_engine::atoms::symbol_text(unsafe { CStr::from_ptr((*s).s_name) })
}

/// Converts a Pd atom vector. Pointers and other atom types become the symbol
/// `?` rather than a crash; `valid_utf8` turns false if a symbol needed repair.
///
/// # Safety
/// `argv` must point to `argc` valid atoms (or be null with `argc` 0).
pub unsafe fn from_pd(argc: i32, argv: *const pd::t_atom, valid_utf8: &mut bool) -> Vec<Atom<'static>> {
    if argv.is_null() || argc <= 0 {
        return Vec::new();
    }
    // SAFETY: the caller guarantees argc valid atoms at argv.
    let atoms = unsafe { std::slice::from_raw_parts(argv, argc as usize) };
    atoms
        .iter()
        .map(|a| match a.a_type {
            // SAFETY: the tag says which union member is live.
            pd::t_atomtype::A_FLOAT => Atom::Float(widen(unsafe { a.a_w.w_float })),
            pd::t_atomtype::A_SYMBOL => {
                // SAFETY: the tag says w_symbol is live, and Pd symbols live forever.
                let (text, ok) = unsafe { symbol_text(a.a_w.w_symbol) };
                *valid_utf8 &= ok;
                Atom::Symbol(text)
            }
            _ => Atom::Symbol(Cow::Borrowed("?")),
        })
        .collect()
}

/// Interns `text` as a Pd symbol. Text never holds a NUL (the engine refuses
/// those), but a stray one is cut rather than trusted.
pub fn gensym(text: &str) -> *mut pd::t_symbol {
    let mut buf = [0u8; 256];
    let text = text.split('\0').next().unwrap_or_default();
    if text.len() < buf.len() {
        buf[..text.len()].copy_from_slice(text.as_bytes());
        // SAFETY: buf holds text followed by at least one NUL; gensym copies it.
        unsafe { pd::gensym(buf.as_ptr().cast()) }
    } else {
        let owned = std::ffi::CString::new(text).expect("NULs were cut");
        // SAFETY: a valid NUL-terminated string; gensym copies it.
        unsafe { pd::gensym(owned.as_ptr()) }
    }
}

/// Engine atoms as a Pd atom vector.
pub fn to_pd(atoms: &[Atom<'_>]) -> Vec<pd::t_atom> {
    atoms
        .iter()
        .map(|a| match a {
            Atom::Int(i) => float_atom(*i as pd::t_float),
            Atom::Float(f) => float_atom(*f as pd::t_float),
            Atom::Symbol(s) => pd::t_atom { a_type: pd::t_atomtype::A_SYMBOL, a_w: pd::word { w_symbol: gensym(s) } },
        })
        .collect()
}

fn float_atom(f: pd::t_float) -> pd::t_atom {
    pd::t_atom { a_type: pd::t_atomtype::A_FLOAT, a_w: pd::word { w_float: f } }
}
