//! Keeping the GIL across a burst of synchronous calls (the *lease*).
//!
//! Taking and dropping the GIL costs two mutex round trips, about a fifth of
//! a trivial synchronous call. So the host's scheduler thread keeps it for the
//! rest of the scheduler pass it is in: the first synchronous call takes it and
//! asks the host ([`Host::request_service`]) to call [`crate::service`], which
//! calls [`end_lease`], once the
//! messages it is processing now are done (Pd: a clock at the current logical
//! time, which fires at the end of this tick, or at the next one for a message
//! that came from the GUI or the network). Other Python threads wait at most
//! that long; a host that cannot defer gets the GIL released after every call.
//!
//! Rule for the scheduler thread: never block on another thread while holding
//! a lease (that thread may need the GIL); call [`end_lease`] first.
//!
//! # Threading
//! Everything here is per thread and meant for the host's scheduler thread;
//! on any other thread it behaves the same but no host defers for it.

use crate::host::Host;
use pyo3::ffi;
use pyo3::Python;
use std::cell::Cell;

struct Lease {
    /// What `PyGILState_Ensure` returned when the lease was taken.
    state: Cell<Option<ffi::PyGILState_STATE>>,
    /// Synchronous calls in progress on this thread (they nest through outlets).
    depth: Cell<u32>,
    /// Whether the host has been asked to call `end_lease`.
    release_pending: Cell<bool>,
}

thread_local! {
    static LEASE: Lease = const {
        Lease { state: Cell::new(None), depth: Cell::new(0), release_pending: Cell::new(false) }
    };
}

/// Runs `f` attached to Python, taking or reusing this thread's lease.
pub(crate) fn sync_call<R>(host: &dyn Host, f: impl FnOnce(Python<'_>) -> R) -> R {
    LEASE.with(|lease| {
        if lease.state.get().is_none() {
            // SAFETY: the interpreter is running (runtime::start ran before any
            // object exists), and PyGILState_Ensure may be called from any
            // thread; the state it returns is handed back exactly once, in
            // `release`.
            lease.state.set(Some(unsafe { ffi::PyGILState_Ensure() }));
        }
        lease.depth.set(lease.depth.get() + 1);
        let _done = CallDone { lease, host };
        // Nested inside the lease: pyo3's own attach is now only a counter.
        Python::attach(f)
    })
}

/// Ends a synchronous call, also when it unwinds: the outermost one asks the
/// host for a release, or releases now if the host can't defer.
struct CallDone<'a> {
    lease: &'a Lease,
    host: &'a dyn Host,
}

impl Drop for CallDone<'_> {
    fn drop(&mut self) {
        let lease = self.lease;
        lease.depth.set(lease.depth.get() - 1);
        if lease.depth.get() > 0 || lease.release_pending.get() {
            return;
        }
        if self.host.request_service() {
            lease.release_pending.set(true);
        } else {
            release(lease);
        }
    }
}

/// Releases this thread's lease, unless a synchronous call is running (then the
/// outermost call's end asks again). Called by [`crate::service`], and before
/// the scheduler thread blocks.
pub fn end_lease() {
    LEASE.with(|lease| {
        lease.release_pending.set(false);
        if lease.depth.get() == 0 {
            release(lease);
        }
    })
}

/// Whether this thread holds a lease now.
pub fn holds_lease() -> bool {
    LEASE.with(|lease| lease.state.get().is_some())
}

fn release(lease: &Lease) {
    if let Some(state) = lease.state.take() {
        // SAFETY: `state` came from the PyGILState_Ensure in `sync_call` on this
        // same thread, and no call made within the lease is still running
        // (depth is 0), so the Ensure/Release pairs stay nested.
        unsafe { ffi::PyGILState_Release(state) };
    }
}
