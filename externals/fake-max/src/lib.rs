//! `MaxAPI.dll`: the fake-max kernel on Windows (see `kernel.rs`), built as
//! the library a Windows external imports its Max functions from, as from
//! Max's own `MaxAPI.dll`; `fake-max.exe` calls [`fm_main`]. Empty on other
//! platforms, where the executable is the kernel. Threads: see `kernel.rs`.
// The file name Windows externals import from is MaxAPI.dll.
#![allow(non_snake_case)]
#![cfg(windows)]

#[path = "kernel.rs"]
mod kernel;

/// Runs the kernel on the calling thread (Max's main thread from now on)
/// until quit; exits the process with the run's status.
#[no_mangle]
pub extern "C" fn fm_main() -> std::ffi::c_int {
    kernel::run()
}
