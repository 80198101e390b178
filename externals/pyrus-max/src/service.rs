//! How the engine context's [`pyrus_engine::Context::service`] gets called,
//! Max's way:
//!
//! - the *service clock*: its function runs the service and, while the
//!   engine says work is still out, sets itself again one scheduler
//!   interval ([`INTERVAL_MS`]) later. A clock fires on the scheduler
//!   thread (main with Overdrive off), so detached results leave from
//!   there, in order, within one interval;
//! - [`request`] (the first synchronous call of a pass asks for the end of
//!   its GIL lease; a job submitted asks for the results' polling): on the
//!   scheduler thread it sets the clock for now (the end of this scheduler
//!   pass, whose service ends that thread's lease); on the main thread it
//!   says no (the engine then gives the GIL back after every main-thread
//!   call) and sets the clock if the context has work. The main thread
//!   keeps no lease because nothing would end it soon: its queue comes round
//!   after the patcher's drawing and typing, and the scheduler thread, whose
//!   timing matters, would wait for the GIL that long;
//! - [`wake`] (a worker's first delivery, a device's events; any thread)
//!   only sets the main qelem, whose function sets the clock: qelems are
//!   Max's thread-safe way in, and only main and the scheduler may touch a
//!   clock.
//!
//! At quit a quit task ends the engine: running jobs are interrupted and
//! the engine's threads joined for at most [`EXIT_DEADLINE`] in all,
//! without waiting for the GIL.
//!
//! # Threading
//! The clock's function: scheduler (main without Overdrive). The qelem's
//! and the quit task: main. `request`: main or scheduler. `wake`: any.

use crate::trampoline::guard;
use pyrus_max_sys as max;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::time::Duration;

/// One scheduler interval, in ms: how soon the service comes again while
/// work is out.
const INTERVAL_MS: f64 = 1.0;
/// How long quitting may wait for the engine's threads, all together.
const EXIT_DEADLINE: Duration = Duration::from_millis(500);

static CLOCK: AtomicPtr<max::t_clock> = AtomicPtr::new(null_mut());
static MAIN: AtomicPtr<max::t_qelem> = AtomicPtr::new(null_mut());
type Tick = unsafe extern "C" fn(*mut c_void);

/// Makes the clock and the qelem and installs the quit task; called once
/// from the library's main. Neither is ever freed: a late worker may still
/// set the qelem while the process exits.
pub fn create() {
    // SAFETY: Max's API on the main thread during ext_main; both functions
    // have the `void (void *)` signature clocks and qelems call, and ignore
    // their argument.
    unsafe {
        CLOCK.store(max::clock_new(null_mut(), crate::method(tick as Tick)), Ordering::Release);
        MAIN.store(max::qelem_new(null_mut(), crate::method(main_turn as Tick)), Ordering::Release);
        max::quittask_install(crate::method(at_quit as Tick), null_mut());
    }
}

/// Asks for a service once the messages being processed now are done (see
/// the module docs).
pub fn request() -> bool {
    // SAFETY: a plain query of Max, on a host thread.
    if unsafe { max::systhread_istimerthread() } != 0 {
        return set_clock(0.0);
    }
    // Main (see the module docs): no lease; the clock only for work out.
    if crate::context().is_some_and(pyrus_engine::Context::has_work) {
        set_clock(0.0);
    }
    false
}

/// Has the main thread set the clock (any thread).
pub fn wake() {
    set_main();
}

/// Sets the main qelem (any thread).
fn set_main() {
    let qelem = MAIN.load(Ordering::Acquire);
    if !qelem.is_null() {
        // SAFETY: a live qelem (never freed); qelem_set is thread-safe.
        unsafe { max::qelem_set(qelem) };
    }
}

fn set_clock(ms: f64) -> bool {
    let clock = CLOCK.load(Ordering::Acquire);
    if clock.is_null() {
        return false;
    }
    // SAFETY: a live clock (never freed), set on main or the scheduler
    // thread (every caller runs on one of them).
    unsafe { max::clock_fdelay(clock, ms) };
    true
}

/// The service clock: serves, and comes again while work is out.
unsafe extern "C" fn tick(_owner: *mut c_void) {
    guard("service clock", (), || {
        if crate::context().is_some_and(pyrus_engine::Context::service) {
            set_clock(INTERVAL_MS);
        }
    })
}

/// The main qelem, set by [`wake`]: has the clock serve. (It also ends a
/// lease main would hold, though [`request`] never lets it keep one.)
unsafe extern "C" fn main_turn(_owner: *mut c_void) {
    guard("main qelem", (), || {
        pyrus_engine::gil::end_lease();
        set_clock(0.0);
    })
}

unsafe extern "C" fn at_quit(_arg: *mut c_void) {
    guard("quit", (), || {
        let left = pyrus_engine::shut_down(EXIT_DEADLINE);
        if left > 0 {
            crate::console::post(&format!(
                "pyrus: {left} thread(s) still busy (in C code or a wait) at quit; leaving them to the OS"
            ));
        }
    })
}
