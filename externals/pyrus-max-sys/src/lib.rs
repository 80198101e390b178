//! Bindings to the part of the Max C API that pyrus uses, and nothing more.
//!
//! Written from the API's facts as the Max SDK documents them (layouts,
//! constants, signatures of `ext_mess.h`, `ext_proto.h`, `ext_obex.h`,
//! `ext_obex_util.h`, `ext_systhread.h`, `ext_path.h`, `ext_sysmem.h`,
//! `ext_time.h`, MSP's `z_dsp.h`), for Max 7 and later on 64-bit platforms: `t_atom_long` is
//! `intptr_t`, `t_atom_float` a `double`. C `long` is [`c_long`] wherever
//! the API says `long` (32 bits on 64-bit Windows).
//!
//! Variadic functions (`class_new`, `class_addmethod`, `post`,
//! `object_error`, ...) take C's promoted types after the fixed arguments:
//! an atom type (a C `short`) is passed as a [`c_int`], a type list ends
//! with 0.
//!
//! # Linking
//! None on Linux: an external's undefined Max symbols are resolved from the
//! host process when it is loaded (Max itself, or `fake-max`, which exports
//! them). On Windows every function is imported from `MaxAPI.dll` (Max's,
//! or the fake-max kernel's) with `raw-dylib`, MSP's from `MaxAudio.dll`, so no import library
//! (`MaxAPI.lib` of the SDK) is needed to link. macOS resolves them at load
//! (`-undefined dynamic_lookup`, a link step of the macOS build).
//!
//! # Threading
//! These are declarations only. Which Max thread may call what is Max's
//! rule (main thread for UI and object creation and deletion, main or
//! scheduler for outlets and clocks, any thread for `qelem_set`): the
//! callers say so where they call.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_double, c_int, c_long, c_short, c_void};

/// An integer in an atom (`A_LONG`): `intptr_t`.
pub type t_atom_long = isize;
/// A float in an atom (`A_FLOAT`).
pub type t_atom_float = c_double;
/// An error code returned by the object API (`t_atom_long`).
pub type t_max_err = t_atom_long;
/// The generic method pointer Max stores and calls back with the
/// arguments the registration declared.
pub type method = Option<unsafe extern "C" fn()>;

/// No error.
pub const MAX_ERR_NONE: t_max_err = 0;
/// A generic error.
pub const MAX_ERR_GENERIC: t_max_err = -1;

/// The most bytes of a path (`MAX_PATH_CHARS`), the size of
/// `path_toabsolutesystempath`'s output buffer.
pub const MAX_PATH_CHARS: usize = 2048;
/// The size of the buffer `assist` writes its text into.
pub const ASSIST_BYTES: usize = 512;

/// `assist`'s `m`: the text is for an inlet...
pub const ASSIST_INLET: c_long = 1;
/// ...or for an outlet.
pub const ASSIST_OUTLET: c_long = 2;

/// Atom and argument types (`e_max_atomtypes`).
pub const A_NOTHING: c_short = 0;
pub const A_LONG: c_short = 1;
pub const A_FLOAT: c_short = 2;
pub const A_SYM: c_short = 3;
pub const A_OBJ: c_short = 4;
pub const A_DEFLONG: c_short = 5;
pub const A_DEFFLOAT: c_short = 6;
pub const A_DEFSYM: c_short = 7;
pub const A_GIMME: c_short = 8;
pub const A_CANT: c_short = 9;

/// `class_new`'s flags: a plain object class.
pub const CLASS_FLAG_DEFAULT: c_short = 0;

/// An interned symbol: Max never frees one.
#[repr(C)]
pub struct t_symbol {
    pub s_name: *mut c_char,
    /// The object bound to the name (`[receive]`'s "through" object), or null.
    pub s_thing: *mut t_object,
}

/// The header of every Max object.
#[repr(C)]
pub struct t_object {
    pub o_messlist: *mut c_void,
    pub o_magic: t_atom_long,
    pub o_inlet: *mut c_void,
    pub o_outlet: *mut c_void,
}

/// An atom's value; which member is live is the atom's `a_type`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union word {
    pub w_long: t_atom_long,
    pub w_float: t_atom_float,
    pub w_sym: *mut t_symbol,
    pub w_obj: *mut t_object,
}

/// A typed value in a message.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct t_atom {
    pub a_type: c_short,
    pub a_w: word,
}

/// Opaque Max types, only ever behind pointers.
#[repr(C)]
pub struct t_class {
    _private: [u8; 0],
}
#[repr(C)]
pub struct t_clock {
    _private: [u8; 0],
}
#[repr(C)]
pub struct t_qelem {
    _private: [u8; 0],
}
#[repr(C)]
pub struct t_outlet {
    _private: [u8; 0],
}

// The layouts the SDK fixes, checked at compile time (64-bit targets).
#[cfg(target_pointer_width = "64")]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<t_object>() == 32);
    assert!(offset_of!(t_object, o_messlist) == 0);
    assert!(offset_of!(t_object, o_magic) == 8);
    assert!(offset_of!(t_object, o_inlet) == 16);
    assert!(offset_of!(t_object, o_outlet) == 24);
    assert!(size_of::<t_atom>() == 16);
    assert!(offset_of!(t_atom, a_type) == 0);
    assert!(offset_of!(t_atom, a_w) == 8);
    assert!(size_of::<word>() == 8);
    assert!(size_of::<t_symbol>() == 16);
    assert!(offset_of!(t_symbol, s_name) == 0);
    assert!(offset_of!(t_symbol, s_thing) == 8);
};

#[cfg_attr(windows, link(name = "MaxAPI", kind = "raw-dylib"))]
extern "C" {
    // Classes and objects (ext_obex.h).
    pub fn class_new(
        name: *const c_char,
        mnew: method,
        mfree: method,
        size: c_long,
        mmenu: method,
        type_: c_short,
        ...
    ) -> *mut t_class;
    pub fn class_addmethod(c: *mut t_class, m: method, name: *const c_char, ...) -> t_max_err;
    pub fn class_register(name_space: *mut t_symbol, c: *mut t_class) -> t_max_err;
    pub fn class_addattr(c: *mut t_class, attr: *mut t_object) -> t_max_err;
    pub fn class_attr_addattr_parse(
        c: *mut t_class,
        attrname: *const c_char,
        attrname2: *const c_char,
        type_: *mut t_symbol,
        flags: c_long,
        parsestr: *const c_char,
    ) -> t_max_err;
    pub fn attr_offset_new(
        name: *const c_char,
        type_: *const t_symbol,
        flags: c_long,
        mget: method,
        mset: method,
        offset: c_long,
    ) -> *mut t_object;
    pub fn attr_args_offset(ac: c_short, av: *mut t_atom) -> c_long;
    pub fn attr_args_process(x: *mut c_void, ac: c_short, av: *mut t_atom);
    pub fn object_alloc(c: *mut t_class) -> *mut c_void;
    pub fn object_free(x: *mut c_void) -> t_max_err;

    // Inlets and outlets (ext_proto.h).
    pub fn proxy_new(x: *mut c_void, id: c_long, stuffloc: *mut c_long) -> *mut c_void;
    pub fn proxy_getinlet(master: *mut t_object) -> c_long;
    pub fn outlet_new(x: *mut c_void, type_: *const c_char) -> *mut t_outlet;
    pub fn outlet_bang(o: *mut t_outlet) -> *mut c_void;
    pub fn outlet_int(o: *mut t_outlet, n: t_atom_long) -> *mut c_void;
    pub fn outlet_float(o: *mut t_outlet, f: c_double) -> *mut c_void;
    pub fn outlet_list(o: *mut t_outlet, s: *mut t_symbol, ac: c_short, av: *mut t_atom) -> *mut c_void;
    pub fn outlet_anything(o: *mut t_outlet, s: *mut t_symbol, ac: c_short, av: *mut t_atom) -> *mut c_void;

    // Messages and symbols.
    pub fn gensym(s: *const c_char) -> *mut t_symbol;
    pub fn typedmess(op: *mut t_object, msg: *mut t_symbol, argc: c_short, argp: *mut t_atom) -> *mut c_void;

    // The console (ext_proto.h, ext_obex.h).
    pub fn post(fmt: *const c_char, ...);
    pub fn error(fmt: *const c_char, ...);
    pub fn object_post(x: *mut t_object, fmt: *const c_char, ...);
    pub fn object_error(x: *mut t_object, fmt: *const c_char, ...);

    // Clocks, qelems, quit tasks (ext_proto.h, ext_time.h).
    pub fn clock_new(obj: *mut c_void, fn_: method) -> *mut t_clock;
    pub fn clock_fdelay(c: *mut t_clock, time: c_double);
    pub fn clock_unset(c: *mut t_clock);
    pub fn clock_getftime(time: *mut c_double);
    pub fn qelem_new(obj: *mut c_void, fn_: method) -> *mut t_qelem;
    pub fn qelem_set(q: *mut t_qelem);
    pub fn qelem_unset(q: *mut t_qelem);
    pub fn qelem_free(q: *mut t_qelem);
    pub fn quittask_install(m: method, a: *mut c_void) -> c_short;

    // Threads (ext_systhread.h).
    pub fn systhread_ismainthread() -> c_short;
    pub fn systhread_istimerthread() -> c_short;

    // Paths (ext_path.h): `out` holds MAX_PATH_CHARS bytes.
    pub fn path_getdefault() -> c_short;
    pub fn path_toabsolutesystempath(
        in_path: c_short,
        in_filename: *const c_char,
        out_filename: *mut c_char,
    ) -> t_max_err;

    // Memory (ext_sysmem.h).
    pub fn sysmem_newptr(size: c_long) -> *mut c_void;
    pub fn sysmem_freeptr(ptr: *mut c_void);
}

/// The header of a non-UI MSP object (`z_dsp.h`), first in its struct.
#[repr(C)]
pub struct t_pxobject {
    pub z_ob: t_object,
    pub z_in: c_long,
    pub z_proxy: *mut c_void,
    /// Non-zero while the object is muted (`pcontrol`, `mute~`).
    pub z_disabled: c_long,
    /// The number of signal inlets.
    pub z_count: c_short,
    pub z_misc: c_short,
}

/// `z_misc`: the object wants its output vectors apart from its inputs'
/// (MSP may otherwise pass one buffer as both).
pub const Z_NO_INPLACE: c_short = 1;

// 64-bit, default packing: C `long` is 4 bytes on Win64, 8 elsewhere.
#[cfg(all(target_pointer_width = "64", windows))]
const _: () = assert!(std::mem::size_of::<t_pxobject>() == 56);
#[cfg(all(target_pointer_width = "64", not(windows)))]
const _: () = assert!(std::mem::size_of::<t_pxobject>() == 64);

/// A perform routine (`t_perfroutine64`): the audio thread calls it once a
/// vector with the object, the dsp64 object, the signal inlets' and
/// outlets' vectors, the vector's length, the flags and the user parameter
/// given to `dsp_add64`.
pub type t_perfroutine64 = Option<
    unsafe extern "C" fn(
        x: *mut t_object,
        dsp64: *mut t_object,
        ins: *mut *mut c_double,
        numins: c_long,
        outs: *mut *mut c_double,
        numouts: c_long,
        sampleframes: c_long,
        flags: c_long,
        userparam: *mut c_void,
    ),
>;

// MSP (`z_dsp.h`): in Max's MaxAudio library, not MaxAPI.
#[cfg_attr(windows, link(name = "MaxAudio", kind = "raw-dylib"))]
extern "C" {
    /// Before class_register: the class's objects take part in the DSP chain.
    pub fn class_dspinit(c: *mut t_class);
    /// In new: `nsignals` signal inlets (the others proxies).
    pub fn z_dsp_setup(x: *mut t_pxobject, nsignals: c_long);
    /// In free, first: takes the object out of the chain (no perform
    /// routine of it runs once it returns).
    pub fn z_dsp_free(x: *mut t_pxobject);
    /// In dsp64: adds the object's perform routine to the chain.
    pub fn dsp_add64(chain: *mut t_object, x: *mut t_object, f: t_perfroutine64, flags: c_long, userparam: *mut c_void);
    pub fn sys_getsr() -> f32;
    pub fn sys_getblksize() -> c_int;
}

/// An atom type as a variadic argument (C promotes a `short` to an `int`).
pub const fn vararg(t: c_short) -> c_int {
    t as c_int
}

// --- buffer~ (h-array), ext_buffer.h: MaxAudio's, not MaxAPI's. ---

/// A reference to a `buffer~` by name (`buffer_ref_new`; freed with `object_free`).
#[repr(C)]
pub struct t_buffer_ref {
    _opaque: [u8; 0],
}

/// A `buffer~` object (`buffer_ref_getobject`).
#[repr(C)]
pub struct t_buffer_obj {
    _opaque: [u8; 0],
}

#[cfg_attr(windows, link(name = "MaxAudio", kind = "raw-dylib"))]
extern "C" {
    pub fn buffer_ref_new(owner: *mut t_object, name: *mut t_symbol) -> *mut t_buffer_ref;
    pub fn buffer_ref_getobject(r: *mut t_buffer_ref) -> *mut t_buffer_obj;
    /// The first sample (frames x channels float32, interleaved), claimed
    /// until `buffer_unlocksamples`; NULL if that fails.
    pub fn buffer_locksamples(b: *mut t_buffer_obj) -> *mut f32;
    pub fn buffer_unlocksamples(b: *mut t_buffer_obj);
    pub fn buffer_getframecount(b: *mut t_buffer_obj) -> t_atom_long;
    pub fn buffer_getchannelcount(b: *mut t_buffer_obj) -> t_atom_long;
    pub fn buffer_setdirty(b: *mut t_buffer_obj) -> t_max_err;
}
