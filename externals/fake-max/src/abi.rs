//! The Max ABI as fake-max states it, independently of pyrus-max-sys (so a
//! layout bug in one shows against the other): layouts of `t_object`,
//! `t_atom`, `t_symbol`, the atom type constants, the object magic, and the
//! `Send` wrapper for atoms that cross threads. Plain data; any thread.

use std::ffi::{c_short, c_void};

/// `t_atom_long`: `intptr_t` in Max 7+.
pub type AtomLong = isize;

/// `t_symbol { char *s_name; t_object *s_thing; }`.
#[repr(C)]
pub struct Symbol {
    pub s_name: *const std::ffi::c_char,
    pub s_thing: *mut Object,
}

/// `t_object`: 32 bytes on 64-bit platforms.
#[repr(C)]
pub struct Object {
    pub o_messlist: *mut c_void,
    pub o_magic: isize,
    pub o_inlet: *mut c_void,
    pub o_outlet: *mut c_void,
}

/// `union word` of `t_atom`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union Word {
    pub w_long: AtomLong,
    pub w_float: f64,
    pub w_sym: *mut Symbol,
    pub w_obj: *mut c_void,
}

/// `t_atom { short a_type; union word a_w; }`: 16 bytes, the value at 8.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Atom {
    pub a_type: c_short,
    pub a_w: Word,
}

const _: () = assert!(std::mem::size_of::<Object>() == 32);
const _: () = assert!(std::mem::size_of::<Atom>() == 16);
const _: () = assert!(std::mem::offset_of!(Atom, a_w) == 8);
const _: () = assert!(std::mem::size_of::<Symbol>() == 16);

pub const A_LONG: i32 = 1;
pub const A_FLOAT: i32 = 2;
pub const A_SYM: i32 = 3;
pub const A_OBJ: i32 = 4;
pub const A_DEFLONG: i32 = 5;
pub const A_DEFFLOAT: i32 = 6;
pub const A_DEFSYM: i32 = 7;
pub const A_GIMME: i32 = 8;
pub const A_CANT: i32 = 9;
/// Like A_GIMME, deferred (A_DEFER, A_USURP: as `defer`; the _LOW ones as
/// `defer_low`; the usurping ones are not filtered down to one call).
pub const A_DEFER: i32 = 0x41;
pub const A_USURP: i32 = 0x42;
pub const A_DEFER_LOW: i32 = 0x43;
pub const A_USURP_LOW: i32 = 0x44;

/// `o_magic` of a live object (Max's MAGIC).
pub const MAGIC: isize = 1758379419;
/// `o_magic` the kernel writes into a freed object's header.
pub const FREED_MAGIC: isize = 0x0DEA_DBEE;

pub const ASSIST_INLET: i64 = 1;
pub const ASSIST_OUTLET: i64 = 2;

pub const ATTR_SET_OPAQUE: i64 = 0x2;
pub const ATTR_SET_OPAQUE_USER: i64 = 0x200;

impl Atom {
    pub fn long(v: AtomLong) -> Atom {
        Atom { a_type: A_LONG as c_short, a_w: Word { w_long: v } }
    }
    pub fn float(v: f64) -> Atom {
        Atom { a_type: A_FLOAT as c_short, a_w: Word { w_float: v } }
    }
    pub fn sym(s: *mut Symbol) -> Atom {
        Atom { a_type: A_SYM as c_short, a_w: Word { w_sym: s } }
    }
    pub fn kind(&self) -> i32 {
        i32::from(self.a_type)
    }
    /// The value as an integer, as `atom_getlong` gives it.
    pub fn as_long(&self) -> AtomLong {
        // SAFETY: the union field read is the one `a_type` says was written.
        unsafe {
            match self.kind() {
                A_LONG => self.a_w.w_long,
                A_FLOAT => self.a_w.w_float as AtomLong,
                _ => 0,
            }
        }
    }
    /// The value as a double, as `atom_getfloat` gives it.
    pub fn as_float(&self) -> f64 {
        // SAFETY: the union field read is the one `a_type` says was written.
        unsafe {
            match self.kind() {
                A_LONG => self.a_w.w_long as f64,
                A_FLOAT => self.a_w.w_float,
                _ => 0.0,
            }
        }
    }
    /// The symbol, if this atom is one.
    pub fn as_sym(&self) -> Option<*mut Symbol> {
        if self.kind() == A_SYM {
            // SAFETY: `a_type` says w_sym was written.
            Some(unsafe { self.a_w.w_sym })
        } else {
            None
        }
    }
}

/// Atoms that cross threads (a `sched` command, a deferred call's copy).
pub struct Atoms(pub Vec<Atom>);
// SAFETY: the atoms hold numbers and interned symbols, which live for the
// whole process and are never freed; object pointers in A_OBJ atoms are the
// external's to keep valid, as in Max, where defer copies atoms the same way.
unsafe impl Send for Atoms {}
