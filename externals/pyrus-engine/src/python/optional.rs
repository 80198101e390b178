//! The libpython functions outside the limited API that the abi3 build (one
//! binary for every Python from 3.10 on, see [`crate::python::runtime`])
//! still uses, found at run time in the running libpython, by name (each has
//! had the same signature in every version that exports it):
//! `PyObject_Vectorcall` (exported from 3.11; in the limited API from 3.12),
//! a fast path of synchronous calls, `callable(arg)` without a tuple, taken
//! when the running Python has it; `PyGILState_Check` (every version), which
//! the limited API leaves out.
//!
//! # Threading
//! Any thread attached to Python, or (`gil_check`) any thread once Python is
//! initialised; the table is resolved once (a `OnceLock`) and read-only then.

use pyo3::ffi;
use std::ffi::{c_int, c_void, CStr};
use std::sync::OnceLock;

type Vectorcall = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    usize,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;
type GilCheck = unsafe extern "C" fn() -> c_int;

/// What the running libpython has of them.
struct Table {
    vectorcall: Option<Vectorcall>,
    gil_check: Option<GilCheck>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // In the library that holds the limited API's own functions: the
        // running libpython (or the executable that has Python linked in).
        let find = |name: &CStr| pyrus_loader::dynlib::symbol_beside(ffi::Py_GetVersion as *const c_void, name);
        // SAFETY: each name is CPython's function of exactly that signature
        // in every version that exports it.
        unsafe {
            Table {
                vectorcall: find(c"PyObject_Vectorcall").map(|f| std::mem::transmute::<*mut c_void, Vectorcall>(f)),
                gil_check: find(c"PyGILState_Check").map(|f| std::mem::transmute::<*mut c_void, GilCheck>(f)),
            }
        }
    })
}

/// `PyObject_Vectorcall`, if the running Python exports it (3.11 on).
pub(crate) fn vectorcall() -> Option<Vectorcall> {
    table().vectorcall
}

/// `PyGILState_Check()`: whether this thread holds the GIL; `None` if the
/// running Python had no such function (no CPython from 3.4 on lacks it).
///
/// # Safety
/// Python is initialised.
pub(crate) unsafe fn gil_check() -> Option<bool> {
    // SAFETY: the caller's: Python is initialised, and the function only
    // reads this thread's state.
    table().gil_check.map(|check| unsafe { check() } != 0)
}
