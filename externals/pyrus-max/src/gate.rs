//! What lets Max delete an object on the main thread while the scheduler
//! thread is inside one of its calls (Max promises no idle scheduler).
//!
//! Every way into an object (its methods, its attribute setters, the
//! engine's outlet calls) passes the object's [`Gate`]: it counts the
//! passes in progress per kind of thread (the main thread, any other), and
//! the free method [`Gate::close`]s it: from then on no pass is granted
//! (outputs are dropped, messages ignored), and `close` waits until no
//! *other* thread is inside. It never waits for its own thread's passes:
//! those are the calls the free is nested in (an outlet that led, through
//! the patch, to the object's deletion), which end after it and find the
//! gate closed.
//!
//! Why this holds: `enter` counts itself in, then reads `alive`; `close`
//! clears `alive`, then reads the counts (all sequentially consistent), so
//! either the entering thread sees the gate closed, or `close` sees it
//! inside and waits. What a pass protects is held only while it lasts: the
//! methods take their clones of the engine object inside a pass and call
//! it after; an outlet call holds its pass while Max runs the outlet (what
//! the outlet's memory needs).
//!
//! What `close` waits for is bounded by the other thread's pass: an outlet
//! call of this object and what the patch does with it, depth first. The
//! waiting thread waits with the GIL released (`gil::released`), even when
//! the free happens inside one of its own synchronous calls (a script
//! deleting objects through `[thispatcher]`), so that a downstream
//! `[pyrus]` on the other thread gets Python and the pass ends. One cycle
//! stays a deadlock: the free inside a synchronous call of an object B on
//! main while the other thread's outlet call of the freed object leads into
//! B too (B's call lock, held by main, which waits here; the engine lends
//! an object only in a cycle of call locks).
//!
//! # Threading
//! Any thread; `close` on the thread freeing the object (Max: main).

use pyrus_max_sys as max;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// The passes of one object (see the module docs).
pub struct Gate {
    open: AtomicBool,
    /// Passes in progress: on the main thread, on any other.
    inside: [AtomicUsize; 2],
}

/// One pass through a [`Gate`]; counted out when dropped.
pub struct Pass<'a> {
    gate: &'a Gate,
    slot: usize,
}

/// Which count this thread's passes go to.
fn slot() -> usize {
    // SAFETY: a plain query of Max, callable on any thread.
    usize::from(unsafe { max::systhread_ismainthread() } == 0)
}

impl Gate {
    pub fn new() -> Self {
        Gate { open: AtomicBool::new(true), inside: [AtomicUsize::new(0), AtomicUsize::new(0)] }
    }

    /// A pass, unless the gate is closed.
    #[inline]
    pub fn enter(&self) -> Option<Pass<'_>> {
        let slot = slot();
        self.inside[slot].fetch_add(1, SeqCst);
        let pass = Pass { gate: self, slot };
        self.open.load(SeqCst).then_some(pass)
    }

    /// Closes the gate and waits until no other thread holds a pass.
    pub fn close(&self) {
        self.open.store(false, SeqCst);
        let other = &self.inside[1 - slot()];
        if other.load(SeqCst) == 0 {
            return;
        }
        // Never wait holding Python (see the module docs).
        pyrus_engine::gil::released(|| {
            while other.load(SeqCst) > 0 {
                std::thread::sleep(Duration::from_micros(50));
            }
        });
    }
}

impl Drop for Pass<'_> {
    #[inline]
    fn drop(&mut self) {
        self.gate.inside[self.slot].fetch_sub(1, SeqCst);
    }
}
