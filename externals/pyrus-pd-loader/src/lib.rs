//! `pyrus.pd_linux`, the file Pd loads: a small loader with no Python in it.
//!
//! The real external (`libpyrus_pd.so`, beside this file) links against one
//! libpython. Were Pd to load it directly on a machine without that Python,
//! Pd would only say that a shared object cannot be opened. So this loader
//! first loads that libpython itself, with `RTLD_GLOBAL` (so that C
//! extensions such as numpy find Python's symbols too), and says plainly what
//! is missing if it cannot; then it loads the real external and runs its
//! setup. `PYRUS_LIBPYTHON` names another libpython (a path or a soname) of
//! the same minor version; one of another version is refused, since the real
//! external is built for that version's ABI.
//!
//! # Thread contract
//! `pyrus_setup` is called by Pd, once, on its scheduler thread.

use pd_sys as pd;
use std::ffi::{c_void, CStr, CString};
use std::path::PathBuf;

/// The libpython the real external was built against.
const LIBPYTHON: &str = env!("PYRUS_LIBPYTHON");
const PYTHON_VERSION: &str = env!("PYRUS_PYTHON_VERSION");
/// The real external, in the same folder as this loader.
const CORE: &str = "libpyrus_pd.so";
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

static WHY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Registers a `[pyrus]` class whose objects cannot be made and say why: without
/// any class of that name, Pd would try loading the library again and again.
fn stand_in(why: String) {
    let _ = WHY.set(why);
    type New = unsafe extern "C" fn(*mut pd::t_symbol, i32, *const pd::t_atom) -> *mut c_void;
    // SAFETY: Pd's class API on its thread during setup; `refuse` has the
    // A_GIMME creator signature and never returns an object.
    unsafe {
        pd::class_new(
            pd::gensym(c"pyrus".as_ptr()),
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
    let libpython = std::env::var("PYRUS_LIBPYTHON").unwrap_or_else(|_| LIBPYTHON.to_owned());
    let python = open(&libpython).map_err(|e| {
        format!(
            "pyrus: this build needs Python {PYTHON_VERSION} ({libpython}), which could not be loaded ({e}). \
             Install it (Debian: apt install libpython{PYTHON_VERSION}), or rebuild pyrus for your Python: \
             PYO3_PYTHON=/path/to/python3 build/package"
        )
    })?;
    // The real external is built for one minor version's ABI: another one
    // (PYRUS_LIBPYTHON naming libpython3.12 for a 3.11 build) would crash it.
    let version = python_version(python);
    if version.as_deref().and_then(minor) != Some(PYTHON_VERSION) {
        // SAFETY: the handle from dlopen above; nothing of it is in use.
        unsafe { libc::dlclose(python) };
        let found = match version.as_deref().and_then(|v| v.split_whitespace().next()) {
            Some(v) => format!("Python {v}"),
            None => "no libpython (it has no Py_GetVersion)".to_owned(),
        };
        return Err(format!(
            "pyrus: PYRUS_LIBPYTHON={libpython} is {found}, and this build of pyrus is for Python {PYTHON_VERSION}: \
             name a libpython{PYTHON_VERSION}, or rebuild pyrus for that Python: PYO3_PYTHON=/path/to/python3 build/package"
        ));
    }
    let core = own_folder().ok_or("pyrus: can't find the folder pyrus.pd_linux was loaded from")?.join(CORE);
    let handle = open(&core.to_string_lossy()).map_err(|e| format!("pyrus: can't load {}: {e}", core.display()))?;
    // SAFETY: handle is a live library handle; the name is NUL-terminated.
    let setup = unsafe { libc::dlsym(handle, CORE_SETUP.as_ptr()) };
    if setup.is_null() {
        return Err(format!("pyrus: {} has no pyrus_core_setup: a mismatched build?", core.display()));
    }
    // SAFETY: pyrus_core_setup is `unsafe extern "C" fn()` in the real
    // external, made to be called once by Pd's thread during setup: now.
    unsafe {
        let setup: unsafe extern "C" fn() = std::mem::transmute::<*mut c_void, unsafe extern "C" fn()>(setup);
        setup();
    }
    Ok(())
}

/// What `Py_GetVersion` of the loaded libpython says (`3.11.2 (main, ...)`),
/// which may be called before Python is initialised.
fn python_version(python: *mut c_void) -> Option<String> {
    // SAFETY: a live handle and a NUL-terminated name; the symbol, if there,
    // is CPython's `const char *Py_GetVersion(void)`, which returns a static string.
    unsafe {
        let symbol = libc::dlsym(python, c"Py_GetVersion".as_ptr());
        if symbol.is_null() {
            return None;
        }
        let get = std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> *const std::ffi::c_char>(symbol);
        let text = get();
        (!text.is_null()).then(|| CStr::from_ptr(text).to_string_lossy().into_owned())
    }
}

/// `3.11` of `3.11.2 (main, ...)`.
fn minor(version: &str) -> Option<&str> {
    let number = version.split_whitespace().next()?;
    let second_dot = number.match_indices('.').nth(1).map_or(number.len(), |(i, _)| i);
    Some(&number[..second_dot])
}

/// `dlopen(name, RTLD_NOW | RTLD_GLOBAL)`, or dlerror's text.
fn open(name: &str) -> Result<*mut c_void, String> {
    let c_name = CString::new(name).map_err(|_| "a NUL in the name".to_owned())?;
    // SAFETY: a valid C string; dlopen/dlerror are thread-safe and we are
    // on Pd's thread during setup anyway.
    unsafe {
        let handle = libc::dlopen(c_name.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL);
        if handle.is_null() {
            let err = libc::dlerror();
            let text =
                if err.is_null() { "unknown error".into() } else { CStr::from_ptr(err).to_string_lossy().into_owned() };
            return Err(text);
        }
        Ok(handle)
    }
}

/// The folder this loader was loaded from.
fn own_folder() -> Option<PathBuf> {
    // SAFETY: Dl_info is plain data that dladdr fills for an address inside
    // this library; dli_fname then points to a NUL-terminated path owned by
    // the dynamic loader.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        let here = pyrus_setup as *const c_void;
        if libc::dladdr(here, &mut info) == 0 || info.dli_fname.is_null() {
            return None;
        }
        let file = PathBuf::from(CStr::from_ptr(info.dli_fname).to_string_lossy().into_owned());
        file.parent().map(PathBuf::from)
    }
}

fn error(text: &str) {
    let text = CString::new(text.replace('\0', " ")).expect("NULs replaced");
    // SAFETY: "%s" with one valid C string; Pd's thread during setup.
    unsafe { pd::pd_error(std::ptr::null(), c"%s".as_ptr(), text.as_ptr()) };
}
