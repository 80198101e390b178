//! The protocol's two streams: commands in, events out. On Linux they are
//! the process's standard input and output. On Windows the kernel takes the
//! process's standard handles for itself and leaves the process none, as
//! Max (a GUI program) has none: a C runtime loaded later (Python's) then
//! finds no standard streams, as in Max, instead of the kernel's (CPython
//! 3.13 under wine 8.0 cannot even start with a redirected standard handle:
//! "init_sys_streams: ... Invalid handle", as its fstat of a wine handle
//! made of a Unix file fails). The process's standard error is dropped
//! there too: the kernel reports through its output. Taken once, by
//! the main thread at start, before any external is loaded.

#[cfg(windows)]
use std::ffi::{c_int, c_void};
use std::io::{Read, Write};

pub type Input = Box<dyn Read + Send>;
pub type Output = Box<dyn Write + Send>;

#[cfg(not(windows))]
pub fn take() -> (Input, Output) {
    (Box::new(std::io::stdin()), Box::new(std::io::stdout()))
}

#[cfg(windows)]
#[link(name = "kernel32")]
extern "system" {
    fn GetStdHandle(which: u32) -> *mut c_void;
    fn SetStdHandle(which: u32, handle: *mut c_void) -> i32;
    fn GetCurrentProcess() -> *mut c_void;
    fn DuplicateHandle(
        from: *mut c_void,
        handle: *mut c_void,
        to: *mut c_void,
        copy: *mut *mut c_void,
        access: u32,
        inherit: i32,
        options: u32,
    ) -> i32;
    fn GetModuleHandleW(name: *const u16) -> *mut c_void;
    fn GetProcAddress(module: *mut c_void, name: *const std::ffi::c_char) -> *mut c_void;
}

#[cfg(windows)]
pub fn take() -> (Input, Output) {
    use std::fs::File;
    use std::os::windows::io::FromRawHandle;
    // STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE: (DWORD)-10, -11, -12.
    let [input, output, error] = [-10i32, -11, -12].map(|n| n as u32);
    const DUPLICATE_SAME_ACCESS: u32 = 2;
    // SAFETY: the standard handles are the process's, valid (or null) for
    // its life; the kernel keeps copies of its own, then clears the
    // process's entries before anything else can read them.
    let (i, o) = unsafe {
        let copy = |which| {
            let mut h = std::ptr::null_mut();
            let me = GetCurrentProcess();
            DuplicateHandle(me, GetStdHandle(which), me, &mut h, 0, 0, DUPLICATE_SAME_ACCESS);
            h
        };
        let (i, o) = (copy(input), copy(output));
        for which in [input, output, error] {
            SetStdHandle(which, std::ptr::null_mut());
        }
        (i, o)
    };
    // Wine loads the C runtime Python uses (ucrtbase) with the process, and
    // it has set up its descriptors 0 to 2 from the handles already: closed
    // here, as if they had never been (on Windows it is not loaded yet).
    let ucrt: Vec<u16> = "ucrtbase.dll".encode_utf16().chain([0]).collect();
    // SAFETY: a NUL-terminated name; `_close` is the C runtime's
    // `int _close(int fd)`, and nothing has used these descriptors.
    unsafe {
        let module = GetModuleHandleW(ucrt.as_ptr());
        let close = if module.is_null() { std::ptr::null_mut() } else { GetProcAddress(module, c"_close".as_ptr()) };
        if !close.is_null() {
            let close = std::mem::transmute::<*mut c_void, unsafe extern "C" fn(c_int) -> c_int>(close);
            for fd in 0..3 {
                close(fd);
            }
        }
    }
    // SAFETY: the copies are this kernel's own handles from now on.
    unsafe { (Box::new(File::from_raw_handle(i)), Box::new(File::from_raw_handle(o))) }
}
