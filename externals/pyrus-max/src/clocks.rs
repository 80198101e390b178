//! Max's side of scripts' clocks (`pyrus.after`, `pyrus.every`; the
//! engine's `clocks`): [`MaxClock`], a Max clock (`clock_new`,
//! `clock_fdelay`, `object_free`) that calls the engine's tick. Scripts'
//! receivers (`pyrus.receive`) are not bound in Max yet: the engine refuses
//! them with an error saying so.
//!
//! # Threading
//! Made, set and freed on Max's main or scheduler thread (the engine's host
//! threads), as Max allows for clocks; the tick runs on the scheduler thread
//! (main without Overdrive).

use crate::trampoline::guard;
use pyrus_engine::Clock;
use pyrus_max_sys as max;
use std::ffi::c_void;
use std::sync::Arc;

type Tick = Arc<dyn Fn() + Send + Sync>;

/// A Max clock calling the engine's tick.
pub struct MaxClock {
    clock: *mut max::t_clock,
    /// The clock's owner argument: a box of the tick, freed with the clock.
    tick: *mut Tick,
}

// SAFETY: Max's clocks may be set and freed from the main and the scheduler
// thread; the engine keeps this behind a lock (one thread at a time) and
// touches it on those threads only.
unsafe impl Send for MaxClock {}

impl MaxClock {
    pub fn new(tick: Tick) -> MaxClock {
        let tick = Box::into_raw(Box::new(tick));
        type TickFn = unsafe extern "C" fn(*mut c_void);
        // SAFETY: clock_new on a host thread; `ticked` has the `(void *)`
        // signature clocks call with their owner, `tick`, which lives until
        // the clock is freed.
        let clock = unsafe { max::clock_new(tick.cast(), crate::method(ticked as TickFn)) };
        MaxClock { clock, tick }
    }
}

impl Clock for MaxClock {
    fn delay(&self, ms: f64) {
        // SAFETY: a live clock (freed only by drop), on a host thread.
        unsafe { max::clock_fdelay(self.clock, ms) };
    }
}

impl Drop for MaxClock {
    /// Also from inside the clock's own tick: `ticked` holds its own
    /// reference to the tick.
    fn drop(&mut self) {
        // SAFETY: the clock and the box were made in `new` and are freed
        // once, here, on a host thread.
        unsafe {
            max::object_free(self.clock.cast());
            drop(Box::from_raw(self.tick));
        }
    }
}

unsafe extern "C" fn ticked(tick: *mut c_void) {
    guard("clock", (), || {
        // SAFETY: the owner given to clock_new: a live box until the clock
        // is freed, which cannot happen before this clone.
        let tick = unsafe { (*tick.cast::<Tick>()).clone() };
        tick();
    })
}
