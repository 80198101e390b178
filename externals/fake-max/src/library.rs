//! Opening an external and finding its `ext_main`, as Max does on each
//! platform: `dlopen` with `RTLD_NOW` (an undefined function fails the
//! load, named by `dlerror`), or `LoadLibraryW` on Windows. There a
//! function the external imports from MaxAPI.dll that the kernel lacks
//! fails the load with only "the specified procedure could not be found",
//! and wine even loads it, with a stub that aborts the process when called:
//! so the kernel first reads the external's import table, and refuses it
//! naming every such function (and one it imports from MaxAPI.dll that is
//! MaxAudio.dll's in Max: MaxAudio.def). Main thread (`load`).

use std::ffi::c_void;

/// The external's `ext_main`, or why it cannot be had.
#[cfg(not(windows))]
pub fn open(path: &str) -> Result<*mut c_void, String> {
    use std::ffi::{CStr, CString};
    let c = CString::new(path).map_err(|_| "bad path".to_owned())?;
    // SAFETY: a NUL-terminated path; RTLD_NOW resolves everything now.
    let h = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if h.is_null() {
        // SAFETY: dlerror returns the last error's text (or null).
        let e = unsafe { libc::dlerror() };
        if e.is_null() {
            return Err("unknown error".to_owned());
        }
        // SAFETY: dlerror's text is NUL-terminated.
        return Err(unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned());
    }
    // SAFETY: `h` is an open handle; the name is NUL-terminated.
    let f = unsafe { libc::dlsym(h, c"ext_main".as_ptr()) };
    if f.is_null() {
        return Err("no ext_main".to_owned());
    }
    Ok(f)
}

#[cfg(windows)]
#[link(name = "kernel32")]
extern "system" {
    fn LoadLibraryW(name: *const u16) -> *mut c_void;
    fn GetModuleHandleW(name: *const u16) -> *mut c_void;
    fn GetProcAddress(module: *mut c_void, name: *const std::ffi::c_char) -> *mut c_void;
    fn GetModuleFileNameW(module: *mut c_void, name: *mut u16, size: u32) -> u32;
}

/// Loads MaxAudio.dll from this library's folder, as Max has it loaded
/// from the start: an external (or a library it loads with an altered
/// search path, which leaves out the program's folder) that imports from
/// MaxAudio.dll then finds it loaded. Main thread, at start.
#[cfg(windows)]
pub fn load_max_audio() -> Result<(), String> {
    let mut path = vec![0u16; 32768];
    // SAFETY: a NUL-terminated UTF-16 name.
    let kernel = unsafe { GetModuleHandleW(wide("MaxAPI.dll").as_ptr()) };
    // SAFETY: `kernel` is this library; the call writes at most `path.len()` units.
    let n = unsafe { GetModuleFileNameW(kernel, path.as_mut_ptr(), path.len() as u32) } as usize;
    let own = std::path::PathBuf::from(String::from_utf16_lossy(&path[..n]));
    let audio = own.with_file_name("MaxAudio.dll");
    // SAFETY: a NUL-terminated UTF-16 path.
    let h = unsafe { LoadLibraryW(wide(&audio.to_string_lossy()).as_ptr()) };
    if h.is_null() {
        return Err(format!(
            "{} does not load ({}): build/max-windows.sh makes it beside MaxAPI.dll",
            audio.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// A NUL-terminated UTF-16 string.
#[cfg(windows)]
fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain([0]).collect()
}

/// The external's `ext_main`, or why it cannot be had.
#[cfg(windows)]
pub fn open(path: &str) -> Result<*mut c_void, String> {
    if let Some((missing, audio)) = missing_imports(path) {
        if !missing.is_empty() {
            return Err(format!("undefined symbol: {} (imported from MaxAPI.dll, which lacks it)", missing.join(", ")));
        }
        if !audio.is_empty() {
            return Err(format!(
                "{} imported from MaxAPI.dll: in Max it is MaxAudio.dll's (link MaxAudio.dll for it)",
                audio.join(", ")
            ));
        }
    }
    // SAFETY: a NUL-terminated UTF-16 path.
    let h = unsafe { LoadLibraryW(wide(path).as_ptr()) };
    if h.is_null() {
        return Err(format!("LoadLibrary: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: `h` is a loaded module; the name is NUL-terminated.
    let f = unsafe { GetProcAddress(h, c"ext_main".as_ptr()) };
    if f.is_null() {
        return Err("no ext_main (is it exported?)".to_owned());
    }
    Ok(f)
}

/// The names MaxAudio.dll forwards to this library (MaxAudio.def): Max's
/// MaxAudio functions, which the kernel implements in MaxAPI.dll.
#[cfg(windows)]
fn max_audio_names() -> impl Iterator<Item = &'static str> {
    include_str!("../MaxAudio.def").lines().filter_map(|l| l.split_once("=MaxAPI.").map(|(name, _)| name.trim()))
}

/// The functions the PE file at `path` imports by name from MaxAPI.dll or
/// MaxAudio.dll that this MaxAPI.dll does not export, and those it imports
/// from MaxAPI.dll that Max has in MaxAudio.dll; None if the file cannot be
/// read as one.
#[cfg(windows)]
fn missing_imports(path: &str) -> Option<(Vec<String>, Vec<String>)> {
    let pe = std::fs::read(path).ok()?;
    let u16_at = |o: usize| Some(u16::from_le_bytes(pe.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(pe.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(pe.get(o..o + 8)?.try_into().ok()?));
    let cstr_at = |o: usize| {
        let tail = pe.get(o..)?;
        Some(String::from_utf8_lossy(&tail[..tail.iter().position(|&b| b == 0)?]).into_owned())
    };
    // The PE header, its optional header (PE32+ only) and section table.
    let head = u32_at(0x3c)? as usize;
    (pe.get(head..head + 4)? == b"PE\0\0").then_some(())?;
    let sections = u16_at(head + 6)? as usize;
    let optional = head + 24;
    (u16_at(optional)? == 0x20b).then_some(())?;
    let table = optional + u16_at(head + 20)? as usize;
    // The file offset of a relative virtual address.
    let offset = |rva: u32| {
        (0..sections).find_map(|i| {
            let s = table + 40 * i;
            let (size, start, raw) = (u32_at(s + 8)?.max(u32_at(s + 16)?), u32_at(s + 12)?, u32_at(s + 20)?);
            (rva >= start && rva < start + size).then(|| (rva - start + raw) as usize)
        })
    };
    // The import directory (data directory 1) and its MaxAPI.dll entry.
    let mut descriptor = offset(u32_at(optional + 112 + 8)?)?;
    // SAFETY: a NUL-terminated UTF-16 name; the module is this library.
    let kernel = unsafe { GetModuleHandleW(wide("MaxAPI.dll").as_ptr()) };
    let (mut missing, mut audio) = (Vec::new(), Vec::new());
    while u32_at(descriptor + 12)? != 0 {
        let dll = cstr_at(offset(u32_at(descriptor + 12)?)?)?;
        let api = dll.eq_ignore_ascii_case("MaxAPI.dll");
        if api || dll.eq_ignore_ascii_case("MaxAudio.dll") {
            let names = match u32_at(descriptor)? {
                0 => u32_at(descriptor + 16)?,
                lookup => lookup,
            };
            let mut thunk = offset(names)?;
            while let Some(entry) = u64_at(thunk).filter(|&e| e != 0) {
                // Not an import by ordinal: the RVA of a hint and a name.
                if entry >> 63 == 0 {
                    let name = cstr_at(offset(entry as u32)? + 2)?;
                    let c = std::ffi::CString::new(name.clone()).ok()?;
                    // SAFETY: `kernel` is this loaded module (or null, which
                    // GetProcAddress refuses); the name is NUL-terminated.
                    if unsafe { GetProcAddress(kernel, c.as_ptr()) }.is_null() {
                        missing.push(name);
                    } else if api && max_audio_names().any(|n| n == name) {
                        audio.push(name);
                    }
                }
                thunk += 8;
            }
        }
        descriptor += 20;
    }
    Some((missing, audio))
}
