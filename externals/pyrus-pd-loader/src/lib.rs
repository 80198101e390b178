//! `pyrus.pd_linux`, the file Pd loads: a small loader with no Python in it.
//!
//! The real external (`libpyrus_pd.so`, beside this file) needs a libpython
//! loaded before it. Were Pd to load it directly, Pd would only say that a
//! shared object cannot be opened. So this loader first finds a Python 3.10
//! or newer and loads its libpython, says in Pd's console which one and why
//! (or plainly why none fits), then loads the real external and runs its
//! setup: both steps are `pyrus-loader`'s, shared with the Max loader; what
//! is Pd's is here (the setup functions Pd calls, the stand-in class, Pd's
//! console). With the `pd64` feature it is the loader of the Pd64 build
//! (see pyrus-pd's), whose stand-in class must be of Pd64's float size.
//!
//! # Thread contract
//! `pyrus_setup` (or `setup_pyrus0x2eusb`, `pyrus_tilde_setup`) is called by
//! Pd, once, on its scheduler thread.

use pd_sys as pd;
use std::ffi::{c_void, CStr, CString};

/// The real external, in the same folder as this loader (`libpyrus_pd.so`,
/// `pyrus_pd.dll`, `libpyrus_pd.dylib`: see `pyrus_loader::core_file`).
const CORE: &str = "pyrus_pd";
const CORE_SETUP: &CStr = c"pyrus_core_setup";

/// Called by Pd when it loads `pyrus.pd_linux`.
///
/// # Safety
/// Called by Pd, once, on its scheduler thread.
#[no_mangle]
pub unsafe extern "C" fn pyrus_setup() {
    // A panic must not unwind into Pd; there is nothing to clean up.
    let _ = std::panic::catch_unwind(|| {
        if let Err(why) = load() {
            error(&why);
            stand_in(why);
        }
    });
}

/// Called by Pd when `[pyrus.usb]` is the first object it meets: Pd then
/// loads `pyrus.usb.pd_linux` (a copy of this loader) and calls this.
///
/// # Safety
/// As [`pyrus_setup`].
#[no_mangle]
pub unsafe extern "C" fn setup_pyrus0x2eusb() {
    // SAFETY: the same contract, the same work.
    unsafe { pyrus_setup() }
}

/// Called by Pd when `[pyrus~]` is the first object it meets: Pd then
/// loads `pyrus~.pd_linux` (a copy of this loader) and calls this (Pd names
/// a `NAME~`'s setup `NAME_tilde_setup`).
///
/// # Safety
/// As [`pyrus_setup`].
#[no_mangle]
pub unsafe extern "C" fn pyrus_tilde_setup() {
    // SAFETY: the same contract, the same work.
    unsafe { pyrus_setup() }
}

/// The four Pd functions the loader calls, as pd-sys declares them. On
/// Windows they are imported from `pd.dll` by name (raw-dylib: no import
/// library needed to link); elsewhere they resolve when Pd loads the loader.
/// `class_new` is Pd's for this build's float size (see pyrus-pd's
/// `class_new`): `class_new64` in the pd64 build.
mod pd_api {
    use pd_sys as pd;
    use std::ffi::{c_char, c_int, c_void};
    #[cfg_attr(windows, link(name = "pd", kind = "raw-dylib"))]
    extern "C" {
        #[cfg_attr(feature = "pd64", link_name = "class_new64")]
        pub fn class_new(
            name: *mut pd::t_symbol,
            newmethod: pd::t_newmethod,
            freemethod: pd::t_method,
            size: usize,
            flags: c_int,
            arg1: pd::t_atomtype::Type,
            ...
        ) -> *mut pd::_class;
        pub fn gensym(s: *const c_char) -> *mut pd::t_symbol;
        pub fn pd_error(object: *const c_void, fmt: *const c_char, ...);
        pub fn post(fmt: *const c_char, ...);
    }
}

static WHY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Registers a `[pyrus]` class whose objects cannot be made and say why: without
/// any class of that name, Pd would try loading the library again and again.
fn stand_in(why: String) {
    let _ = WHY.set(why);
    type New = unsafe extern "C" fn(*mut pd::t_symbol, i32, *const pd::t_atom) -> *mut c_void;
    // SAFETY: Pd's class API on its thread during setup; `refuse` has the
    // A_GIMME creator signature and never returns an object.
    unsafe {
        pd_api::class_new(
            pd_api::gensym(c"pyrus".as_ptr()),
            Some(std::mem::transmute::<New, unsafe extern "C" fn() -> *mut c_void>(refuse)),
            None,
            std::mem::size_of::<pd::t_object>(),
            pd::CLASS_DEFAULT as i32,
            pd::t_atomtype::A_GIMME,
            pd::t_atomtype::A_NULL,
        );
    }
}

unsafe extern "C" fn refuse(_s: *mut pd::t_symbol, _argc: i32, _argv: *const pd::t_atom) -> *mut c_void {
    if let Some(why) = WHY.get() {
        error(why);
    }
    std::ptr::null_mut()
}

fn load() -> Result<(), String> {
    let python = pyrus_loader::load_python()?;
    post(&python.line());
    let setup = pyrus_loader::load_core(CORE, CORE_SETUP, &python)?;
    // SAFETY: pyrus_core_setup is `unsafe extern "C" fn()` in the real
    // external, made to be called once by Pd's thread during setup: now.
    unsafe {
        let setup: unsafe extern "C" fn() = std::mem::transmute::<*mut c_void, unsafe extern "C" fn()>(setup);
        setup();
    }
    Ok(())
}

fn post(text: &str) {
    let text = CString::new(text.replace('\0', " ")).expect("NULs replaced");
    // SAFETY: "%s" with one valid C string; Pd's thread during setup.
    unsafe { pd_api::post(c"%s".as_ptr(), text.as_ptr()) };
}

fn error(text: &str) {
    let text = CString::new(text.replace('\0', " ")).expect("NULs replaced");
    // SAFETY: "%s" with one valid C string; Pd's thread during setup.
    unsafe { pd_api::pd_error(std::ptr::null(), c"%s".as_ptr(), text.as_ptr()) };
}
