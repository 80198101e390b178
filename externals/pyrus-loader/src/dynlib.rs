//! The platform's dynamic loading, behind one small interface: open a
//! library, find a symbol in it, close it, name the file an address is in
//! (this code's own, or libpython's), and find a symbol in the library
//! holding an address (a libpython function outside the limited API, when
//! the running Python has it). Linux and macOS: `dlopen` (`RTLD_NOW | RTLD_GLOBAL`, so that
//! what is loaded later, the core and Python's C extensions such as numpy,
//! finds libpython's symbols), `dlsym`, `dladdr`. Windows: `LoadLibraryExW`,
//! `GetProcAddress`, `GetModuleHandleExW` + `GetModuleFileNameW`; there a
//! DLL's imports name their DLL, and one already loaded under that name is
//! the one used, so loading Python first is what makes the core use it.
//!
//! # Threading
//! Called on the host thread that loads the loader (Pd's scheduler thread,
//! Max's main thread), during its setup; the platform functions are
//! thread-safe and nothing here keeps state.

use std::ffi::{c_void, CStr};
use std::path::{Path, PathBuf};

/// A loaded library: a live handle, kept loaded for the life of the host
/// process unless [`Library::close`]d.
pub struct Library(*mut c_void);

impl Library {
    /// The address of `name` in this library, if it has it.
    pub fn symbol(&self, name: &CStr) -> Option<*mut c_void> {
        let address = imp::symbol(self.0, name);
        (!address.is_null()).then_some(address)
    }

    /// Unloads the library: only for one refused before anything of it ran.
    pub fn close(self) {
        imp::close(self.0);
    }
}

/// Opens the library `name`, a path or a bare name the platform searches
/// for; the error is the platform's own text.
pub fn open(name: &Path) -> Result<Library, String> {
    imp::open(name).map(Library)
}

/// The file of the shared library this function is linked into: the
/// loader's, or the core's when it uses this crate too.
pub fn own_file() -> Option<PathBuf> {
    file_of(own_file as *const c_void)
}

/// The file of the loaded library (or executable) that holds `address`.
pub fn file_of(address: *const c_void) -> Option<PathBuf> {
    imp::file_of(address)
}

/// The symbol `name` of the loaded library that holds `address` (say,
/// `Py_GetVersion`'s: the running libpython), if it exports one.
pub fn symbol_beside(address: *const c_void, name: &CStr) -> Option<*mut c_void> {
    let symbol = imp::symbol_beside(address, name);
    (!symbol.is_null()).then_some(symbol)
}

#[cfg(unix)]
mod imp {
    use std::ffi::{c_void, CStr, CString};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};

    pub fn open(name: &Path) -> Result<*mut c_void, String> {
        let c_name = CString::new(name.as_os_str().as_bytes()).map_err(|_| "a NUL in the name".to_owned())?;
        // SAFETY: a valid C string; dlopen and dlerror are thread-safe, and
        // dlerror's text is read at once, before any other dl call here.
        unsafe {
            let handle = libc::dlopen(c_name.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL);
            if handle.is_null() {
                let err = libc::dlerror();
                return Err(if err.is_null() {
                    "unknown error".into()
                } else {
                    CStr::from_ptr(err).to_string_lossy().into_owned()
                });
            }
            Ok(handle)
        }
    }

    pub fn symbol(handle: *mut c_void, name: &CStr) -> *mut c_void {
        // SAFETY: a live handle from dlopen and a NUL-terminated name.
        unsafe { libc::dlsym(handle, name.as_ptr()) }
    }

    pub fn close(handle: *mut c_void) {
        // SAFETY: a live handle from dlopen, of which nothing is in use.
        unsafe { libc::dlclose(handle) };
    }

    pub fn file_of(address: *const c_void) -> Option<PathBuf> {
        // SAFETY: Dl_info is plain data that dladdr fills for an address
        // inside a loaded object; dli_fname then points to a NUL-terminated
        // path owned by the dynamic loader.
        unsafe {
            let mut info: libc::Dl_info = std::mem::zeroed();
            if libc::dladdr(address, &mut info) == 0 || info.dli_fname.is_null() {
                return None;
            }
            Some(PathBuf::from(std::ffi::OsStr::from_bytes(CStr::from_ptr(info.dli_fname).to_bytes())))
        }
    }

    pub fn symbol_beside(address: *const c_void, name: &CStr) -> *mut c_void {
        let Some(file) = file_of(address) else { return std::ptr::null_mut() };
        let Ok(file) = CString::new(file.as_os_str().as_bytes()) else { return std::ptr::null_mut() };
        // SAFETY: RTLD_NOLOAD only finds the library already loaded (it
        // holds `address`), taking one more reference, which dlclose gives
        // back; the library stays loaded by its first reference, so the
        // symbol's address stays valid.
        unsafe {
            let handle = libc::dlopen(file.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
            if handle.is_null() {
                return std::ptr::null_mut();
            }
            let symbol = libc::dlsym(handle, name.as_ptr());
            libc::dlclose(handle);
            symbol
        }
    }
}

#[cfg(windows)]
mod imp {
    use std::ffi::{c_void, CStr, OsString};
    use std::os::windows::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};
    use windows_sys::Win32::Foundation::{FreeLibrary, GetLastError, HMODULE};
    use windows_sys::Win32::System::Diagnostics::Debug::{
        FormatMessageW, FORMAT_MESSAGE_FROM_SYSTEM, FORMAT_MESSAGE_IGNORE_INSERTS,
    };
    use windows_sys::Win32::System::LibraryLoader::{
        GetModuleFileNameW, GetModuleHandleExW, GetProcAddress, LoadLibraryExW, GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
        GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, LOAD_WITH_ALTERED_SEARCH_PATH,
    };

    pub fn open(name: &Path) -> Result<*mut c_void, String> {
        let wide: Vec<u16> = name.as_os_str().encode_wide().chain([0]).collect();
        if wide[..wide.len() - 1].contains(&0) {
            return Err("a NUL in the name".into());
        }
        // A full path: the DLLs it imports (python3X.dll's vcruntime140.dll)
        // are looked for in its own folder first.
        let flags = if name.is_absolute() { LOAD_WITH_ALTERED_SEARCH_PATH } else { 0 };
        // SAFETY: a NUL-terminated UTF-16 name; no file handle (reserved).
        let handle = unsafe { LoadLibraryExW(wide.as_ptr(), std::ptr::null_mut(), flags) };
        if handle.is_null() {
            return Err(last_error());
        }
        Ok(handle)
    }

    pub fn symbol(handle: *mut c_void, name: &CStr) -> *mut c_void {
        // SAFETY: a live module handle and a NUL-terminated name.
        let function = unsafe { GetProcAddress(handle as HMODULE, name.as_ptr().cast()) };
        function.map_or(std::ptr::null_mut(), |f| f as *mut c_void)
    }

    pub fn close(handle: *mut c_void) {
        // SAFETY: a live module handle, of which nothing is in use.
        unsafe { FreeLibrary(handle as HMODULE) };
    }

    /// The module holding `address`, without a reference to give back.
    fn module_of(address: *const c_void) -> Option<HMODULE> {
        let mut module: HMODULE = std::ptr::null_mut();
        let flags = GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
        // SAFETY: with FROM_ADDRESS the "name" is an address inside a loaded
        // module; UNCHANGED_REFCOUNT leaves nothing to release.
        let found = unsafe { GetModuleHandleExW(flags, address.cast(), &mut module) } != 0;
        found.then_some(module)
    }

    pub fn file_of(address: *const c_void) -> Option<PathBuf> {
        let module = module_of(address)?;
        let mut path = vec![0u16; 32768];
        // SAFETY: a loaded module's handle and the buffer with its length.
        let len = unsafe { GetModuleFileNameW(module, path.as_mut_ptr(), path.len() as u32) } as usize;
        (len > 0 && len < path.len()).then(|| PathBuf::from(OsString::from_wide(&path[..len])))
    }

    pub fn symbol_beside(address: *const c_void, name: &CStr) -> *mut c_void {
        module_of(address).map_or(std::ptr::null_mut(), |module| symbol(module, name))
    }

    /// The text of the calling thread's last Windows error.
    fn last_error() -> String {
        // SAFETY: GetLastError reads this thread's error code; FormatMessageW
        // writes at most the buffer's length, with no inserts to read.
        unsafe {
            let code = GetLastError();
            let mut text = [0u16; 512];
            let len = FormatMessageW(
                FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                std::ptr::null(),
                code,
                0,
                text.as_mut_ptr(),
                text.len() as u32,
                std::ptr::null(),
            ) as usize;
            let text = String::from_utf16_lossy(&text[..len.min(text.len())]);
            format!("{} (Windows error {code})", text.trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_its_symbols_and_the_file_an_address_is_in() {
        #[cfg(target_os = "linux")]
        let (name, first, second) = ("libc.so.6", c"malloc", c"free");
        #[cfg(target_os = "macos")]
        let (name, first, second) = ("libSystem.B.dylib", c"malloc", c"free");
        #[cfg(windows)]
        let (name, first, second) = ("kernel32.dll", c"GetProcAddress", c"FreeLibrary");
        let library = open(Path::new(name)).unwrap();
        let address = library.symbol(first).unwrap();
        let file = file_of(address).unwrap();
        let file_name = file.file_name().unwrap().to_string_lossy().to_lowercase();
        assert_eq!(file_name, name.to_lowercase(), "{}", file.display());
        assert_eq!(symbol_beside(address, second), library.symbol(second));
        assert_eq!(library.symbol(c"no_such_symbol_anywhere"), None);
        assert!(!open(Path::new("/no/such/library.so")).err().unwrap().is_empty());
        // Linked into this test program: its own file.
        let own = std::fs::canonicalize(own_file().unwrap()).unwrap();
        assert_eq!(own, std::fs::canonicalize(std::env::current_exe().unwrap()).unwrap());
    }
}
