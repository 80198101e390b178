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

pub mod dynlib;

use std::ffi::{c_void, CStr};
use std::path::{Path, PathBuf};

/// The libpython the real external was built against (see `build.rs`).
pub const LIBPYTHON: &str = env!("PYRUS_LIBPYTHON");
/// Its minor version, `3.11`.
pub const PYTHON_VERSION: &str = env!("PYRUS_PYTHON_VERSION");
/// The same, NUL-terminated, for the core's `pyrus_core_python`.
pub const PYTHON_VERSION_C: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("PYRUS_PYTHON_VERSION"), "\0").as_bytes()) {
        Ok(text) => text,
        Err(_) => panic!("a NUL in PYRUS_PYTHON_VERSION"),
    };

/// Loads the libpython the real external needs, `RTLD_GLOBAL`; the error
/// says what is missing and how to get it.
pub fn load_python() -> Result<(), String> {
    let libpython =
        std::env::var("PYRUS_LIBPYTHON").unwrap_or_else(|_| bundled().unwrap_or_else(|| LIBPYTHON.to_owned()));
    let python = dynlib::open(Path::new(&libpython)).map_err(|e| {
        format!(
            "pyrus: this build needs Python {PYTHON_VERSION} ({libpython}), which could not be loaded ({e}). \
             Install it (Debian: apt install libpython{PYTHON_VERSION}), or rebuild pyrus for your Python: \
             PYO3_PYTHON=/path/to/python3 build/package"
        )
    })?;
    // The real external is built for one minor version's ABI: another one
    // (PYRUS_LIBPYTHON naming libpython3.12 for a 3.11 build) would crash it.
    let version = python_version(&python);
    if version.as_deref().and_then(minor) != Some(PYTHON_VERSION) {
        python.close();
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

/// Windows: the `python3X.dll` in the package's `support/` folder (beside
/// the loader), if there is one.
fn bundled() -> Option<String> {
    let dll = own_folder()?.join("support").join(LIBPYTHON);
    (cfg!(windows) && dll.is_file()).then(|| dll.to_string_lossy().into_owned())
}

/// The file name cargo gives the cdylib `stem` on this platform:
/// `libpyrus_pd.so` (Linux), `libpyrus_pd.dylib` (macOS), `pyrus_pd.dll`
/// (Windows).
pub fn core_file(stem: &str) -> String {
    format!("{}{stem}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// Opens the core `stem` (its file named by [`core_file`]) from the folder
/// of the file this code was loaded from and returns its function `entry`.
pub fn load_core(stem: &str, entry: &CStr) -> Result<*mut c_void, String> {
    let own = dynlib::own_file().ok_or("pyrus: can't find the file the pyrus loader was loaded from")?;
    let folder = own.parent().ok_or_else(|| format!("pyrus: {} has no folder", own.display()))?;
    let core = folder.join(core_file(stem));
    let library = dynlib::open(&core).map_err(|e| format!("pyrus: can't load {}: {e}", core.display()))?;
    library
        .symbol(entry)
        .ok_or_else(|| format!("pyrus: {} has no {}: a mismatched build?", core.display(), entry.to_string_lossy()))
}

/// What `Py_GetVersion` of the loaded libpython says (`3.11.2 (main, ...)`),
/// which may be called before Python is initialised.
fn python_version(python: &dynlib::Library) -> Option<String> {
    let symbol = python.symbol(c"Py_GetVersion")?;
    // SAFETY: the symbol is CPython's `const char *Py_GetVersion(void)`,
    // which returns a static string.
    unsafe {
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

/// The folder of the shared object this function is linked into: the
/// loader's, or the real external's when it uses this crate too.
pub fn own_folder() -> Option<PathBuf> {
    dynlib::own_file()?.parent().map(PathBuf::from)
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
