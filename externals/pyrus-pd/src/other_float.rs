//! When Pd refuses this build's classes because its floats are of the other
//! size (this 32-bit build in a double-precision Pd, or the reverse): two
//! stand-in classes `[pyrus]` and `[pyrus.usb]`, registered as the other
//! size's (Pd accepts those), whose creator says which package to install
//! and makes nothing. Without a class of those names Pd would load the
//! library again for every box, a thousand times deep.
//!
//! # Threading
//! Pd's scheduler thread: `register` during setup, `refuse` as a creator.

use crate::atoms::gensym;
use crate::console;
use pd_sys as pd;
use std::ffi::{c_int, c_void, CStr};
use std::sync::OnceLock;

static WHY: OnceLock<String> = OnceLock::new();

/// `class_new` of the other float size: same signature as ours.
type ClassNew = unsafe extern "C" fn(
    *mut pd::t_symbol,
    pd::t_newmethod,
    pd::t_method,
    usize,
    c_int,
    pd::t_atomtype::Type,
    ...
) -> *mut pd::_class;
type New = unsafe extern "C" fn(*mut pd::t_symbol, c_int, *const pd::t_atom) -> *mut c_void;

/// Registers the stand-ins, which say `why`; does nothing in a Pd that has
/// no `class_new` of the other size.
pub fn register(why: String) {
    let _ = WHY.set(why);
    let other: &CStr = if std::mem::size_of::<pd::t_float>() == 4 { c"class_new64" } else { c"class_new" };
    let found = pd_function(other);
    if found.is_null() {
        return;
    }
    // SAFETY: Pd's `class_new`/`class_new64` have the signature `ClassNew`
    // (they differ only in which float size they accept). The stand-in is
    // never made (its creator returns null), so no method of ours ever sees
    // an atom of the other size; `refuse` has the A_GIMME creator signature.
    unsafe {
        let class_new = std::mem::transmute::<*mut c_void, ClassNew>(found);
        for name in ["pyrus", "pyrus.usb"] {
            class_new(
                gensym(name),
                Some(std::mem::transmute::<New, unsafe extern "C" fn() -> *mut c_void>(refuse)),
                None,
                std::mem::size_of::<pd::t_object>(),
                pd::CLASS_DEFAULT as c_int,
                pd::t_atomtype::A_GIMME,
                pd::t_atomtype::A_NULL,
            );
        }
    }
}

/// The address of Pd's function `name`, null if this Pd has none.
#[cfg(unix)]
fn pd_function(name: &CStr) -> *mut c_void {
    // SAFETY: a NUL-terminated name looked up in the process's global
    // scope (Pd's own symbols); nothing is called yet.
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }
}

/// The address of Pd's function `name`, null if this Pd has none: Pd for
/// Windows keeps its functions in `pd.dll` (which this library imports).
#[cfg(windows)]
fn pd_function(name: &CStr) -> *mut c_void {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    let pd_dll: Vec<u16> = "pd.dll".encode_utf16().chain([0]).collect();
    // SAFETY: a NUL-terminated UTF-16 module name (no reference is taken,
    // and pd.dll stays loaded as long as Pd runs) and a NUL-terminated
    // function name; nothing is called yet.
    unsafe {
        let module = GetModuleHandleW(pd_dll.as_ptr());
        if module.is_null() {
            return std::ptr::null_mut();
        }
        GetProcAddress(module, name.as_ptr().cast()).map_or(std::ptr::null_mut(), |f| f as *mut c_void)
    }
}

unsafe extern "C" fn refuse(_s: *mut pd::t_symbol, _argc: c_int, _argv: *const pd::t_atom) -> *mut c_void {
    crate::trampoline::guard("pyrus", std::ptr::null_mut(), || {
        if let Some(why) = WHY.get() {
            console::error(std::ptr::null(), why);
        }
        std::ptr::null_mut()
    })
}
