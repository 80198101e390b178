//! The Pd clock that ends the scheduler thread's GIL lease (see
//! `pyrus_engine::gil`): set for the current logical time, it fires once the
//! messages of this tick are done (or at the next tick, for a message that
//! came in from the GUI or the network).

use crate::trampoline::guard;
use pd_sys as pd;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};

static CLOCK: AtomicPtr<pd::_clock> = AtomicPtr::new(null_mut());

/// Makes the clock; called once from setup on Pd's thread. It is never freed:
/// it lives as long as the loaded library.
pub fn create() {
    // SAFETY: clock_new on Pd's thread; the callback ignores its owner argument.
    let clock = unsafe {
        pd::clock_new(
            null_mut(),
            Some(std::mem::transmute::<unsafe extern "C" fn(*mut c_void), unsafe extern "C" fn()>(tick)),
        )
    };
    CLOCK.store(clock, Ordering::Release);
}

/// Asks for `end_lease` at the end of this pass; false if there is no clock.
pub fn defer() -> bool {
    let clock = CLOCK.load(Ordering::Acquire);
    if clock.is_null() {
        return false;
    }
    // SAFETY: a live clock, set on Pd's thread (Host methods run only there).
    unsafe { pd::clock_delay(clock, 0.0) };
    true
}

unsafe extern "C" fn tick(_owner: *mut c_void) {
    guard("lease clock", (), pyrus_engine::gil::end_lease);
}
