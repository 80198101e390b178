//! `fake-max`: a Max TEST KERNEL, not Max (see `kernel.rs` and README.md).
//!
//! On Linux this executable is the kernel: it exports the Max API itself,
//! and the externals it loads resolve their Max functions against it. On
//! Windows the kernel is `MaxAPI.dll` (this package's library, beside the
//! executable), because a Windows external imports its Max functions from a
//! DLL of that name; the executable only runs it. Threads: see `kernel.rs`.

#[cfg(not(windows))]
#[path = "kernel.rs"]
mod kernel;

#[cfg(not(windows))]
fn main() {
    kernel::run()
}

#[cfg(windows)]
#[link(name = "MaxAPI", kind = "raw-dylib")]
extern "C" {
    /// The kernel's run in MaxAPI.dll: it never returns (it exits the process).
    fn fm_main() -> std::ffi::c_int;
}

#[cfg(windows)]
fn main() {
    // SAFETY: MaxAPI.dll's fm_main takes nothing and is called once, on the
    // process's first thread, which becomes Max's main thread.
    std::process::exit(unsafe { fm_main() });
}
