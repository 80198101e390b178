//! How the engine context's [`pyrus_engine::Context::service`] gets called
//! on Pd's scheduler thread:
//!
//! - a clock, set for "now" when an object asks (the end of the current
//!   pass), then once per DSP tick while the engine says work is still out.
//!   This ends the GIL lease and, in `-batch` mode (where Pd polls no file
//!   descriptors), is what brings detached results in;
//! - a socket pair registered with `sys_addpollfn`: a worker's first delivery
//!   after a drain writes a byte (the context's `Host::wake`, see
//!   `PdHost`), which wakes Pd out of its idle sleep
//!   at once (realtime mode), so results arrive well within a tick, the way
//!   `[netreceive]` input does. A Unix socket pair; on Windows, where Pd's
//!   `select` polls Winsock sockets only, a connected loopback TCP pair
//!   ([`WakeStream`]).
//!
//! At process exit (Pd's `exit()`) an `atexit` handler shuts the engine
//! down: running jobs are interrupted and the engine's threads joined for at most
//! [`EXIT_DEADLINE`] in all, without waiting for the GIL (a job in C code
//! may hold it for ever), so Pd never hangs on quit.

use crate::trampoline::guard;
use pd_sys as pd;
use std::ffi::{c_int, c_void};
use std::io::Read;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// One end of the waker's socket pair; `&WakeStream` reads and writes.
#[cfg(unix)]
pub type WakeStream = std::os::unix::net::UnixStream;
/// One end of the waker's socket pair; `&WakeStream` reads and writes.
#[cfg(windows)]
pub type WakeStream = std::net::TcpStream;

static CLOCK: AtomicPtr<pd::_clock> = AtomicPtr::new(null_mut());
/// The read end, polled by Pd (scheduler thread only).
static WAKE_READ: OnceLock<WakeStream> = OnceLock::new();

extern "C" {
    // From Pd's s_stuff.h (exported by the pd binary, not in m_pd.h).
    fn sys_addpollfn(fd: c_int, f: Option<unsafe extern "C" fn(*mut c_void, c_int)>, ptr: *mut c_void);
}

/// How long Pd may wait at exit for the engine's threads (workers busy in C
/// code, jobs that `stop` abandoned in a wait), all together.
const EXIT_DEADLINE: Duration = Duration::from_millis(500);

/// Sets up the clock, the waker and the exit handler; called once from
/// setup. Returns the waker's write end, for the context's `Host::wake`.
pub fn create() -> Option<WakeStream> {
    // SAFETY: clock_new and clock_setunit on Pd's thread during setup; the
    // callback ignores its owner argument. The clock lives as long as the
    // library (it is never freed).
    let clock = unsafe {
        let clock = pd::clock_new(
            null_mut(),
            Some(std::mem::transmute::<unsafe extern "C" fn(*mut c_void), unsafe extern "C" fn()>(tick)),
        );
        pd::clock_setunit(clock, 1.0, 1); // delays in samples
        clock
    };
    CLOCK.store(clock, Ordering::Release);
    on_exit();
    match wake_pair().and_then(|(r, w)| {
        r.set_nonblocking(true)?;
        w.set_nonblocking(true)?;
        Ok((r, w))
    }) {
        Ok((read, write)) => {
            let fd = poll_fd(&read);
            let _ = WAKE_READ.set(read);
            // SAFETY: a valid open descriptor that stays open for the whole
            // process (WAKE_READ is never dropped); Pd calls `woken` on its thread.
            unsafe { sys_addpollfn(fd, Some(woken), null_mut()) };
            Some(write)
        }
        Err(e) => {
            crate::console::error(
                std::ptr::null(),
                &format!("pyrus: no waker ({e}); detached results arrive once per tick"),
            );
            None
        }
    }
}

/// The waker's (read, write) ends.
#[cfg(unix)]
fn wake_pair() -> std::io::Result<(WakeStream, WakeStream)> {
    WakeStream::pair()
}

/// The waker's (read, write) ends: Windows has no socket pair, so a
/// listener on a loopback port takes one connection from us and closes. If
/// anyone else connected first, that is an error (no waker), never their
/// socket used.
#[cfg(windows)]
fn wake_pair() -> std::io::Result<(WakeStream, WakeStream)> {
    use std::net::{Ipv4Addr, TcpListener};
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let write = WakeStream::connect(listener.local_addr()?)?;
    let (read, peer) = listener.accept()?;
    if peer != write.local_addr()? {
        return Err(std::io::Error::other(format!("a stranger ({peer}) connected to the waker's port")));
    }
    // One byte at a time, each at once: no waiting to coalesce them.
    write.set_nodelay(true)?;
    Ok((read, write))
}

/// The descriptor Pd's `sys_addpollfn` polls.
#[cfg(unix)]
fn poll_fd(read: &WakeStream) -> c_int {
    std::os::fd::AsRawFd::as_raw_fd(read)
}

/// The descriptor Pd's `sys_addpollfn` polls: on Windows a Winsock SOCKET,
/// which Pd keeps in an int as well (socket handles fit in 32 bits).
#[cfg(windows)]
fn poll_fd(read: &WakeStream) -> c_int {
    std::os::windows::io::AsRawSocket::as_raw_socket(read) as c_int
}

/// Asks for a service at the end of the current pass.
pub fn request() -> bool {
    set_clock(0.0)
}

fn set_clock(samples: f64) -> bool {
    let clock = CLOCK.load(Ordering::Acquire);
    if clock.is_null() {
        return false;
    }
    // SAFETY: a live clock, set on Pd's thread (every caller runs there).
    unsafe { pd::clock_delay(clock, samples) };
    true
}

/// Runs the engine's service; while work is out, again after one DSP tick.
fn serve() {
    if crate::context().is_some_and(pyrus_engine::Context::service) {
        // SAFETY: a plain query of Pd's block size on its thread.
        let block = unsafe { pd::sys_getblksize() };
        set_clock(f64::from(block.max(1)));
    }
}

unsafe extern "C" fn tick(_owner: *mut c_void) {
    guard("service clock", (), serve);
}

unsafe extern "C" fn woken(_ptr: *mut c_void, _fd: c_int) {
    guard("waker", (), || {
        if let Some(mut read) = WAKE_READ.get() {
            let mut buf = [0u8; 256];
            while matches!(read.read(&mut buf), Ok(n) if n > 0) {}
        }
        serve();
    })
}

/// Has [`at_exit`] run when Pd calls `exit()`.
#[cfg(unix)]
fn on_exit() {
    // SAFETY: registers a plain extern "C" function with no arguments.
    unsafe { libc::atexit(at_exit) };
}

/// Has [`at_exit`] run when Pd calls `exit()`. Not through `atexit`: in a
/// DLL, mingw's `atexit` runs at the DLL's unloading, after `ExitProcess`
/// has ended every other thread and this one's thread-locals (the engine's
/// channels then panic). msvcrt's own `_onexit`, which Pd's `exit()` (Pd
/// for Windows is built against msvcrt) runs first, comes before all that.
/// A Pd without msvcrt gets no handler: `ExitProcess` then ends the threads.
#[cfg(windows)]
fn on_exit() {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    type OnExit = unsafe extern "C" fn(unsafe extern "C" fn() -> c_int) -> *mut c_void;
    unsafe extern "C" fn at_onexit() -> c_int {
        at_exit();
        0
    }
    let msvcrt: Vec<u16> = "msvcrt.dll".encode_utf16().chain([0]).collect();
    // SAFETY: a NUL-terminated module name (msvcrt.dll, loaded by Pd, stays
    // loaded) and function name; `_onexit` has the signature `OnExit` and
    // registers a function of no arguments returning int.
    unsafe {
        let module = GetModuleHandleW(msvcrt.as_ptr());
        if let Some(onexit) = (!module.is_null()).then(|| GetProcAddress(module, c"_onexit".as_ptr().cast())).flatten()
        {
            std::mem::transmute::<unsafe extern "system" fn() -> isize, OnExit>(onexit)(at_onexit);
        }
    }
}

extern "C" fn at_exit() {
    guard("exit", (), || {
        let left = pyrus_engine::shut_down(EXIT_DEADLINE);
        if left > 0 {
            // After what Pd wrote: Pd ends a [print] line with a "\n" it does
            // not flush (endpost), which a buffered stderr (wine's msvcrt)
            // holds until exit() flushes it, after this handler.
            // SAFETY: fflush(NULL) flushes every C stream; Pd's thread, at exit.
            unsafe { libc::fflush(null_mut()) };
            eprintln!("pyrus: {left} thread(s) still busy (in C code or a wait) at exit; leaving them to the OS");
        }
    })
}
