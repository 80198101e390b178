//! Pd atoms to engine atoms and back.
//!
//! Pd's floats are `f32`, or `f64` in a double-precision Pd (Pd64, the
//! `pd64` feature); the engine's are `f64`. [`PdFloat`] says how each size
//! converts, and `pd::t_float` picks this build's. An `f32` is widened to
//! the `f64` with the same shortest decimal form, so `0.1` typed in a patch
//! is `0.1` in Python, not `0.10000000149011612`; an `f64` is the engine's
//! number as it is, so Pd64 keeps every digit (whole numbers exact up to
//! 2^53). Pd has no ints: it makes float atoms only, and an engine int goes
//! to Pd as its nearest float.
//!
//! # Threading
//! Pd's scheduler thread only (Pd's atoms and symbols are Pd's).

use pd_sys as pd;
use pyrus_engine::atoms::Atom;
use std::borrow::Cow;
use std::ffi::CStr;

/// A Pd float of either size, as the engine's numbers. Both sizes implement
/// it, so both conversions are compiled (and linted) in either build.
pub trait PdFloat: Copy {
    /// The engine's `f64` for this Pd float.
    fn widen(self) -> f64;
    /// The Pd float nearest to an engine float.
    fn narrow(f: f64) -> Self;
    /// The Pd float nearest to an engine int (rounded once, from the int).
    fn from_int(i: i64) -> Self;
}

impl PdFloat for f32 {
    /// The `f64` with this float's shortest decimal form.
    #[inline] // into every Pd entry point: the small-integer test is a few instructions, the call was as many again
    fn widen(self) -> f64 {
        // Most floats in a patch are small integers: one compare settles those.
        // `as` saturates: 2^31 becomes i32::MAX, which a 32-bit float rounds
        // back up to 2^31, so that one value must not take this path.
        let i = self as i32;
        if i as f32 == self && i != i32::MAX {
            return f64::from(i);
        }
        widen_other(self)
    }

    fn narrow(f: f64) -> Self {
        f as f32
    }

    fn from_int(i: i64) -> Self {
        i as f32
    }
}

/// [`PdFloat::widen`] of an `f32` that is not a small integer: out of line,
/// so that the inlined test stays small.
#[inline(never)]
fn widen_other(f: f32) -> f64 {
    if f.fract() == 0.0 || !f.is_finite() {
        return f64::from(f);
    }
    f.to_string().parse().unwrap_or(f64::from(f))
}

impl PdFloat for f64 {
    /// The engine's numbers are Pd64's: nothing to convert.
    #[inline]
    fn widen(self) -> f64 {
        self
    }

    fn narrow(f: f64) -> Self {
        f
    }

    fn from_int(i: i64) -> Self {
        i as f64
    }
}

/// A Pd float of this build's size as the engine's number.
#[inline]
pub fn widen(f: pd::t_float) -> f64 {
    f.widen()
}

/// An engine float as this build's Pd float.
#[inline]
pub fn narrow(f: f64) -> pd::t_float {
    pd::t_float::narrow(f)
}

/// An engine int as this build's Pd float.
#[inline]
pub fn from_int(i: i64) -> pd::t_float {
    pd::t_float::from_int(i)
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
            Atom::Int(i) => float_atom(from_int(*i)),
            Atom::Float(f) => float_atom(narrow(*f)),
            Atom::Symbol(s) => pd::t_atom { a_type: pd::t_atomtype::A_SYMBOL, a_w: pd::word { w_symbol: gensym(s) } },
        })
        .collect()
}

fn float_atom(f: pd::t_float) -> pd::t_atom {
    pd::t_atom { a_type: pd::t_atomtype::A_FLOAT, a_w: pd::word { w_float: f } }
}
