//! What the small loaders that Pd and Max load share (`pyrus.pd_linux`,
//! `pyrus.so`): they have no Python in them, so that a machine without the
//! right Python gets a clear message instead of "cannot open shared object".
//!
//! The real external (`libpyrus_pd.so`, `libpyrus_max.so`, beside the
//! loader) links against one libpython. [`load_python`] loads that libpython
//! first, with `RTLD_GLOBAL` (so that C extensions such as numpy find
//! Python's symbols too), and says plainly what is missing if it cannot;
//! `PYRUS_LIBPYTHON` names another libpython (a path or a soname) of the same
//! minor version; one of another version is refused, since the real external
//! is built for that version's ABI. Then [`load_core`] opens the real
//! external from the loader's own folder and finds its entry point.
//!
//! Where Python is found is decided here only (issue 14 replaces it with
//! discovery of a bundled or installed Python).
//!
//! # Threading
//! Called by a loader's entry point, once, on the host thread that loads it
//! (Pd's scheduler thread, Max's main thread). `dlopen` and `dlerror` are
//! thread-safe; nothing here keeps state.

use std::ffi::{c_void, CStr, CString};
use std::path::PathBuf;

/// The libpython the real external was built against (see `build.rs`).
pub const LIBPYTHON: &str = env!("PYRUS_LIBPYTHON");
/// Its minor version, `3.11`.
pub const PYTHON_VERSION: &str = env!("PYRUS_PYTHON_VERSION");

/// Loads the libpython the real external needs, `RTLD_GLOBAL`; the error
/// says what is missing and how to get it.
pub fn load_python() -> Result<(), String> {
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
    Ok(())
}

/// Opens `core` from the folder of the file this code was loaded from
/// (`loader`, its name for messages) and returns its function `entry`.
pub fn load_core(loader: &str, core: &str, entry: &CStr) -> Result<*mut c_void, String> {
    let core = own_folder().ok_or_else(|| format!("pyrus: can't find the folder {loader} was loaded from"))?.join(core);
    let handle = open(&core.to_string_lossy()).map_err(|e| format!("pyrus: can't load {}: {e}", core.display()))?;
    // SAFETY: handle is a live library handle; the name is NUL-terminated.
    let function = unsafe { libc::dlsym(handle, entry.as_ptr()) };
    if function.is_null() {
        return Err(format!("pyrus: {} has no {}: a mismatched build?", core.display(), entry.to_string_lossy()));
    }
    Ok(function)
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
    // SAFETY: a valid C string; dlopen and dlerror are thread-safe.
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

/// The folder of the shared object this function is linked into: the
/// loader's, or the real external's when it uses this crate too.
pub fn own_folder() -> Option<PathBuf> {
    // SAFETY: Dl_info is plain data that dladdr fills for an address inside
    // the shared object holding this function; dli_fname then points to a
    // NUL-terminated path owned by the dynamic loader.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        let here = own_folder as *const c_void;
        if libc::dladdr(here, &mut info) == 0 || info.dli_fname.is_null() {
            return None;
        }
        let file = PathBuf::from(CStr::from_ptr(info.dli_fname).to_string_lossy().into_owned());
        file.parent().map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::minor;

    #[test]
    fn minor_version_of_py_get_version() {
        assert_eq!(minor("3.11.2 (main, Mar 13 2023) [GCC 12.2.0]"), Some("3.11"));
        assert_eq!(minor("3.12"), Some("3.12"));
        assert_eq!(minor(""), None);
    }
}
