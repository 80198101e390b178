//! Keeping the GIL across a burst of synchronous calls (the *lease*).
//!
//! Taking and dropping the GIL costs two mutex round trips, about a fifth of
//! a trivial synchronous call. So a host thread keeps it for the
//! rest of the scheduler pass it is in: the first synchronous call takes it and
//! asks the host ([`crate::Host::request_service`]) to call
//! [`crate::Context::service`], which calls [`end_lease`], once the
//! messages it is processing now are done (Pd: a clock at the current logical
//! time, which fires at the end of this tick, or at the next one for a message
//! that came from the GUI or the network). Other Python threads wait at most
//! that long; a host that cannot defer gets the GIL released after every call.
//!
//! Rule for a host thread: never block on another thread while holding a
//! lease (that thread may need the GIL); call [`end_lease`] first, or wait
//! with the GIL released (`py.detach`), as a contended call lock does.
//!
//! Taking a fresh lease waits while another thread holds the GIL: a detached
//! job in C code that keeps it (a catastrophic regex) freezes the scheduler
//! that long. That is the GIL's nature, but the user is told: a wait of more
//! than [`SLOW_WAIT`] starts an *episode*, which lasts while the objects
//! whose detached jobs were running then still run one; its end posts one
//! line, as the waiting object's (into its context), naming it, the longest
//! wait, and the objects whose jobs held Python. Only fresh leases are timed (two clock
//! reads per scheduler pass), never the calls within a lease.
//!
//! # Threading
//! A lease is per thread, by nature: it is this thread's hold on the GIL,
//! which only the thread that took it may release. So two host
//! threads (two Pd instances' threads) each keep their own lease for their
//! own pass, and each one's service ends its own (a service that finds the
//! other draining still ends its own thread's); the GIL is then held by one
//! of them at a time, as between any two Python threads. A host thread whose
//! pass has no end soon enough says so by refusing the service request, and
//! keeps no lease: Max's main thread, whose queue comes round only after
//! the patcher's drawing, lest its scheduler thread wait for the GIL that
//! long. Meant for host threads; on any other thread it behaves the same
//! but no host defers for it. The episode of slow waits is one per process
//! (behind a lock held for O(1) steps): any host thread's wait counts in it,
//! and any host thread's service reports it.

use crate::context::Context;
use crate::detach::marshal::{Delivery, ObjectId};
use crate::python::console::Caller;
use crate::sync::lock;
use pyo3::ffi;
use pyo3::Python;
use std::cell::Cell;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A wait for the GIL longer than this is reported (see the module docs).
pub const SLOW_WAIT: Duration = Duration::from_millis(100);
/// An episode ends after this long without a slow wait...
const CALM: Duration = Duration::from_secs(1);
/// ...and after this long in any case (a new one may begin).
const LONGEST_EPISODE: Duration = Duration::from_secs(10);

struct Lease {
    /// What `PyGILState_Ensure` returned when the lease was taken.
    state: Cell<Option<ffi::PyGILState_STATE>>,
    /// Synchronous calls in progress on this thread (they nest through outlets).
    depth: Cell<u32>,
    /// Whether the host has been asked to call `end_lease`.
    release_pending: Cell<bool>,
    /// Calls since pyo3 last attached this thread itself (see `sync_call`).
    unattached: Cell<u32>,
    /// This thread's current object (see [`crate::python::console::call_as`]):
    /// here, so that a synchronous call looks up one thread-local, not two.
    current: Cell<*const Caller>,
    /// Arrays (h-array): how many `pyrus.Array` handles this thread's running
    /// calls made (see `crate::arrays::script`), here for the same reason.
    arrays: Cell<usize>,
}

/// Slow waits for the GIL while the same objects' detached jobs ran.
struct Episode {
    /// The object whose wait was the longest, its context, and that wait.
    waiter: ObjectId,
    ctx: Context,
    longest: Duration,
    /// The objects whose jobs were running after the first wait.
    holders: Vec<ObjectId>,
    began: Instant,
    /// When the last slow wait ended.
    last: Instant,
}

impl Episode {
    /// Whether it is over: its holders' jobs all ended, or things calmed
    /// down, or it has gone on long enough.
    fn over(&self) -> bool {
        let ended = || {
            let running = crate::detach::pool::running_objects();
            !self.holders.is_empty() && !self.holders.iter().any(|h| running.contains(h))
        };
        self.last.elapsed() > CALM || self.began.elapsed() > LONGEST_EPISODE || ended()
    }

    /// Whether a wait after which `holders`' jobs ran belongs to it: none
    /// running means the holder has just ended, most likely this episode's.
    fn same(&self, holders: &[ObjectId]) -> bool {
        holders.is_empty() || holders.iter().any(|h| self.holders.contains(h))
    }
}

thread_local! {
    static LEASE: Lease = const {
        Lease {
            state: Cell::new(None),
            depth: Cell::new(0),
            release_pending: Cell::new(false),
            unattached: Cell::new(0),
            current: Cell::new(std::ptr::null()),
            arrays: Cell::new(0),
        }
    };
}

/// The slow waits for the GIL not yet reported, of every host thread: any
/// host thread's service reports them (Max's main thread has none).
static EPISODE: Mutex<Option<Episode>> = Mutex::new(None);

/// Calls in a lease between two of pyo3's own attaches: bounds what waits
/// to be decref'd (a loop of failing calls keeps at most this many errors).
const REATTACH: u32 = 32;

/// Runs `f` attached to Python, taking or reusing this thread's lease; a
/// slow wait for a fresh lease counts against `waiter` (see the module docs).
/// A fresh lease also notes `ctx`'s logical time, for script threads'
/// `pyrus.time()`: once per lease, i.e. per scheduler pass, is as fresh as
/// a thread can use. The end of the outermost call asks `ctx`'s host for the
/// release.
pub(crate) fn sync_call<R>(ctx: &Context, waiter: Option<ObjectId>, f: impl FnOnce(Python<'_>) -> R) -> R {
    LEASE.with(|lease| sync_call_in(lease, ctx, waiter, f))
}

/// As [`sync_call`], with `caller` as this thread's current object for
/// the call ([`crate::python::console::call_as`]): one thread-local lookup for both.
pub(crate) fn sync_call_as<R>(
    ctx: &Context,
    waiter: Option<ObjectId>,
    caller: &Caller,
    f: impl FnOnce(Python<'_>) -> R,
) -> R {
    LEASE.with(|lease| {
        sync_call_in(lease, ctx, waiter, |py| {
            crate::python::console::call_as_in(&lease.current, &lease.arrays, caller, || f(py))
        })
    })
}

/// Runs `f` with this thread's current object cell (see `Lease::current`).
pub(crate) fn current_caller<R>(f: impl FnOnce(&Cell<*const Caller>) -> R) -> R {
    LEASE.with(|lease| f(&lease.current))
}

/// Runs `f` with this thread's current object cell and its count of array
/// handles (see `Lease::arrays`): what entering a call needs, in one lookup.
pub(crate) fn call_cells<R>(f: impl FnOnce(&Cell<*const Caller>, &Cell<usize>) -> R) -> R {
    LEASE.with(|lease| f(&lease.current, &lease.arrays))
}

fn sync_call_in<R>(lease: &Lease, ctx: &Context, waiter: Option<ObjectId>, f: impl FnOnce(Python<'_>) -> R) -> R {
    let fresh = lease.state.get().is_none();
    if fresh {
        ctx.note_time();
        let start = Instant::now();
        // SAFETY: the interpreter is running (runtime::start ran before any
        // object exists), and PyGILState_Ensure may be called from any
        // thread; the state it returns is handed back exactly once, in
        // `release`.
        lease.state.set(Some(unsafe { ffi::PyGILState_Ensure() }));
        let waited = start.elapsed();
        if let (Some(waiter), true) = (waiter, waited > SLOW_WAIT) {
            slow_wait(ctx, waiter, waited);
        }
    }
    lease.depth.set(lease.depth.get() + 1);
    let _done = CallDone { lease, ctx };
    let unattached = lease.unattached.get();
    if fresh || unattached >= REATTACH {
        // pyo3 attaches, which also applies the reference drops it
        // deferred (see below).
        lease.unattached.set(0);
        Python::attach(f)
    } else {
        // The calls after it skip pyo3's attach, a seventh of a trivial
        // call. pyo3 does not count this thread as attached then, so a
        // `Py` dropped outside a nested attach (a call's exception, say)
        // is decref'd at pyo3's next attach: within REATTACH calls.
        lease.unattached.set(unattached + 1);
        // SAFETY: this thread holds the GIL: the lease's PyGILState_Ensure.
        f(unsafe { Python::assume_attached() })
    }
}

/// Ends a synchronous call, also when it unwinds: the outermost one asks the
/// host for a release, or releases now if the host can't defer.
struct CallDone<'a> {
    lease: &'a Lease,
    ctx: &'a Context,
}

impl Drop for CallDone<'_> {
    fn drop(&mut self) {
        let lease = self.lease;
        lease.depth.set(lease.depth.get() - 1);
        if lease.depth.get() > 0 || lease.release_pending.get() {
            return;
        }
        if self.ctx.host().request_service() {
            lease.release_pending.set(true);
        } else {
            release(lease);
        }
    }
}

/// Releases this thread's lease, unless a synchronous call is running (then the
/// outermost call's end asks again). Called by [`crate::Context::service`],
/// and before a host thread blocks.
pub fn end_lease() {
    LEASE.with(|lease| {
        lease.release_pending.set(false);
        if lease.depth.get() == 0 {
            release(lease);
        }
    });
    let mut episode = lock(&EPISODE);
    if episode.as_ref().is_some_and(Episode::over) {
        report(&mut episode);
    }
}

/// Runs `f` with the GIL released, however this thread holds it (a lease,
/// or inside a synchronous call that led here): for a host thread that
/// must wait for another host thread, which may need Python (Max's free
/// waiting for the scheduler thread's call of the object). `f` must not
/// use Python; the GIL is this thread's again when it returns.
pub fn released<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    end_lease();
    // SAFETY: both only read the interpreter's and this thread's state;
    // PyGILState_Check is valid once Python is initialised, checked first.
    #[cfg(not(feature = "abi3"))]
    let holds = unsafe { ffi::Py_IsInitialized() != 0 && ffi::PyGILState_Check() != 0 };
    // The limited API has no PyGILState_Check: the running Python's own, by
    // name. A Python without it (none from 3.4 on) counts as holding it:
    // attaching a thread that does not hold the GIL takes it, and detaching
    // gives it back, which is slower but right.
    // SAFETY: as above.
    #[cfg(feature = "abi3")]
    let holds = unsafe { ffi::Py_IsInitialized() != 0 && crate::python::optional::gil_check().unwrap_or(true) };
    if !holds {
        return f();
    }
    // Attaching a thread that holds the GIL only counts it; detaching then
    // releases the GIL until `f` returns.
    Python::attach(|py| py.detach(f))
}

/// Whether an episode of slow waits is still to be reported (the host's
/// service must come again).
pub(crate) fn episode_pending() -> bool {
    lock(&EPISODE).is_some()
}

/// Counts a slow wait into the episode, or begins one: a wait while other
/// objects' jobs run ends the last episode.
fn slow_wait(ctx: &Context, waiter: ObjectId, waited: Duration) {
    let mut holders = crate::detach::pool::running_objects();
    holders.sort_unstable();
    holders.dedup();
    let now = Instant::now();
    let mut episode = lock(&EPISODE);
    if !episode.as_ref().is_some_and(|e| e.same(&holders)) {
        report(&mut episode);
        let ctx = ctx.clone();
        *episode = Some(Episode { waiter, ctx, longest: waited, holders, began: now, last: now });
    } else if let Some(e) = episode.as_mut() {
        e.last = now;
        if waited > e.longest {
            e.waiter = waiter;
            e.ctx = ctx.clone();
            e.longest = waited;
        }
    }
}

/// Posts the episode's line as its waiter's, through the mailbox: nothing
/// here may call the host, and the waiter may be gone by now.
fn report(episode: &mut Option<Episode>) {
    let Some(e) = episode.take() else { return };
    let why = match e.holders.as_slice() {
        [] => "a job that had ended by then, or a thread a script started, held Python".to_string(),
        holders => {
            let names: Vec<String> = holders.iter().map(|&h| crate::python::core::describe(h)).collect();
            format!("a detached job of {} held Python", names.join(" or "))
        }
    };
    let text = format!(
        "pyrus: {} waited {} ms for Python, blocking {}: {why} (in C code, which keeps the GIL)",
        crate::python::core::describe(e.waiter),
        e.longest.as_millis(),
        e.ctx.host().name()
    );
    // A full mailbox drops the line rather than block the host thread.
    let _ = e.ctx.push(e.waiter, Delivery::Post(text));
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

/// A Python object that only threads attached to Python read or replace,
/// read on every call (an object's function or instance) without a lock:
/// the GIL already orders every access.
///
/// The value goes in and out by clone (an incref), never by reference, so no
/// borrow of the cell outlives the access, and whatever Python code runs
/// next (a `__del__` of the old value included) may use the cell again.
pub(crate) struct GilCell(std::cell::UnsafeCell<Option<pyo3::Py<pyo3::PyAny>>>);

// SAFETY: every access takes a `Python` token, so the accessing thread is
// attached, and with the GIL (runtime::start refuses a free-threaded Python)
// attached threads run one at a time; no access runs Python code while it
// touches the cell (see `set`), so accesses never overlap.
unsafe impl Sync for GilCell {}

impl GilCell {
    pub const fn new() -> Self {
        GilCell(std::cell::UnsafeCell::new(None))
    }

    pub fn get<'py>(&self, py: Python<'py>) -> Option<pyo3::Bound<'py, pyo3::PyAny>> {
        // SAFETY: attached (`py`), so no other thread is in the cell (see
        // `Sync`); the clone is an incref, which runs no Python code.
        unsafe { (*self.0.get()).as_ref().map(|v| v.bind(py).clone()) }
    }

    pub fn set(&self, _py: Python<'_>, value: pyo3::Py<pyo3::PyAny>) {
        // SAFETY: as in `get`; the swap runs no Python code, and the old
        // value is dropped (which may run Python code) after it.
        let old = unsafe { (*self.0.get()).replace(value) };
        drop(old);
    }
}
