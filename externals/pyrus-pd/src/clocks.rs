//! Pd's side of scripts' clocks and receivers (`pyrus.after`, `pyrus.every`,
//! `pyrus.receive`; the engine's `clocks`): [`PdClock`], a Pd clock
//! (`clock_new`, `clock_delay`, `clock_free`) that calls the engine's tick,
//! and [`PdBinding`], a small receiver object of its own class
//! (`pyrus-receive`, an anything method) bound to a name with `pd_bind`.
//!
//! A binding is unbound by a *reaper* clock, at the next tick: Pd's bindlist
//! walks its elements while it sends, so unbinding one of them inside a
//! message to that name (a callback that cancels itself, or deletes another
//! receiver's object) would free the element the walk reads next. Until
//! then the receiver is bound but deaf (its callback is gone at once).
//!
//! # Threading
//! Everything here runs on Pd's thread: the engine makes, sets and drops
//! clocks and bindings on host threads only, and Pd has one.

use crate::atoms;
use crate::trampoline::guard;
use pd_sys as pd;
use pyrus_engine::atoms::Message;
use pyrus_engine::{Binding, Clock};
use std::ffi::{c_int, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

type Tick = Arc<dyn Fn() + Send + Sync>;
type Receive = Arc<dyn Fn(&Message<'_>) + Send + Sync>;

/// A Pd clock calling the engine's tick.
pub struct PdClock {
    clock: *mut pd::_clock,
    /// The clock's owner argument: a box of the tick, freed with the clock.
    tick: *mut Tick,
}

// SAFETY: made, set and dropped on Pd's thread only (see the module docs);
// the engine keeps it behind a lock, which needs `Send`.
unsafe impl Send for PdClock {}

impl PdClock {
    pub fn new(tick: Tick) -> PdClock {
        let tick = Box::into_raw(Box::new(tick));
        // SAFETY: clock_new on Pd's thread; `ticked` has the `(void *)`
        // signature clocks call with their owner, `tick`, which lives until
        // the clock is freed.
        let clock = unsafe {
            pd::clock_new(
                tick.cast(),
                Some(std::mem::transmute::<unsafe extern "C" fn(*mut c_void), unsafe extern "C" fn()>(ticked)),
            )
        };
        PdClock { clock, tick }
    }
}

impl Clock for PdClock {
    fn delay(&self, ms: f64) {
        // SAFETY: a live clock (freed only by drop), on Pd's thread.
        unsafe { pd::clock_delay(self.clock, ms) };
    }
}

impl Drop for PdClock {
    /// Also from inside the clock's own tick: Pd's scheduler reads nothing
    /// of a clock after calling it, and `ticked` holds its own reference.
    fn drop(&mut self) {
        // SAFETY: the clock and the box were made in `new` and are freed
        // once, here, on Pd's thread.
        unsafe {
            pd::clock_free(self.clock);
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

/// The receiver object: Pd's header first.
#[repr(C)]
struct Receiver {
    pd: pd::t_pd,
    /// A box of the engine's callback; null once the binding is dropped.
    receive: *mut Receive,
    name: *mut pd::t_symbol,
}

static CLASS: AtomicPtr<pd::_class> = AtomicPtr::new(null_mut());
static REAPER: AtomicPtr<pd::_clock> = AtomicPtr::new(null_mut());

/// Receivers dropped by the engine, to unbind and free at the reaper's tick.
struct Dropped(Vec<*mut Receiver>);
// SAFETY: only ever touched on Pd's thread (see the module docs).
unsafe impl Send for Dropped {}
static DROPPED: Mutex<Dropped> = Mutex::new(Dropped(Vec::new()));

fn dropped() -> std::sync::MutexGuard<'static, Dropped> {
    DROPPED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers the receiver class and makes the reaper clock; once, at setup.
pub fn setup() {
    // SAFETY: Pd's class and clock API on its thread during setup. The class
    // has no new or free method (pd_new, pd_free below) and one anything
    // method with `(x, s, argc, argv)`, which also gets bang, float, symbol
    // and list (Pd's defaults forward those to it). The reaper's function
    // has the `(void *)` signature and ignores it; it is never freed.
    unsafe {
        let class = crate::class_new(
            atoms::gensym("pyrus-receive"),
            None,
            None,
            std::mem::size_of::<Receiver>(),
            (pd::CLASS_PD | pd::CLASS_NOINLET) as c_int,
            pd::t_atomtype::A_NULL,
        );
        type Anything = unsafe extern "C" fn(*mut Receiver, *mut pd::t_symbol, c_int, *const pd::t_atom);
        pd::class_addanything(class, Some(std::mem::transmute::<Anything, unsafe extern "C" fn()>(anything)));
        CLASS.store(class, Ordering::Release);
        let reaper = pd::clock_new(
            null_mut(),
            Some(std::mem::transmute::<unsafe extern "C" fn(*mut c_void), unsafe extern "C" fn()>(reap)),
        );
        REAPER.store(reaper, Ordering::Release);
    }
}

/// A name bound to the engine's callback through a [`Receiver`].
pub struct PdBinding(*mut Receiver);

// SAFETY: made and dropped on Pd's thread only (see the module docs).
unsafe impl Send for PdBinding {}

impl PdBinding {
    /// None before setup.
    pub fn new(name: &str, receive: Receive) -> Option<PdBinding> {
        let class = CLASS.load(Ordering::Acquire);
        if class.is_null() {
            return None;
        }
        let name = atoms::gensym(name);
        // SAFETY: the class was registered with Receiver's size; pd_new
        // returns a zeroed object with its header set; bound on Pd's thread.
        unsafe {
            let receiver = pd::pd_new(class).cast::<Receiver>();
            (*receiver).receive = Box::into_raw(Box::new(receive));
            (*receiver).name = name;
            pd::pd_bind(receiver.cast(), name);
            Some(PdBinding(receiver))
        }
    }
}

impl Binding for PdBinding {}

impl Drop for PdBinding {
    /// Deaf now; unbound and freed at the reaper's tick (see the module docs).
    fn drop(&mut self) {
        let receiver = self.0;
        // SAFETY: a live receiver (freed only by the reaper, after this), on
        // Pd's thread; `anything` holds its own reference to the callback.
        unsafe {
            drop(Box::from_raw((*receiver).receive));
            (*receiver).receive = null_mut();
        }
        dropped().0.push(receiver);
        let reaper = REAPER.load(Ordering::Acquire);
        // SAFETY: the reaper clock lives for the whole process, on Pd's thread.
        unsafe { pd::clock_delay(reaper, 0.0) };
    }
}

unsafe extern "C" fn reap(_: *mut c_void) {
    guard("receiver reaper", (), || {
        let dropped = std::mem::take(&mut dropped().0);
        for receiver in dropped {
            // SAFETY: each was bound in `new` and is unbound and freed once,
            // here, outside any message (a clock's tick).
            unsafe {
                pd::pd_unbind(receiver.cast(), (*receiver).name);
                pd::pd_free(receiver.cast());
            }
        }
    })
}

unsafe extern "C" fn anything(x: *mut Receiver, s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("receive", (), || {
        // SAFETY: Pd passes a live receiver, a live selector and argc atoms;
        // the callback box is live while not null (dropped on this thread).
        let (receive, selector, args) = unsafe {
            let Some(receive) = (*x).receive.as_ref() else { return };
            let mut ok = true;
            (receive.clone(), atoms::symbol_text(s).0, atoms::from_pd(argc, argv, &mut ok))
        };
        receive(&Message::from_selector(selector, args));
    })
}
