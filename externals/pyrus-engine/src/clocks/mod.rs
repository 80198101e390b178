//! Clocks and receivers from scripts: `pyrus.after(ms, fn, *args)`,
//! `pyrus.every(ms, fn, *args)` and `pyrus.receive(NAME, fn)`.
//!
//! Each is a [`Hook`] of the object whose call made it: a host clock
//! ([`Host::clock`]) or a host binding ([`Host::bind`]) that, when it fires
//! on a host thread, hands a [`Fire`] to its owner
//! ([`crate::context::Recipient::run`]), which runs `fn` where its calls
//! run: now, as a call of the object, in `detach 0`; as a job on its queue
//! (in order with its other jobs) in `detach 1|2`; for a `[pyrus~]`
//! ([`crate::signal`]), as a job on its audio worker, between two blocks in
//! order with its messages. `fn`'s return value
//! (unless None) leaves outlet 0, as a method's; what it raises is reported
//! as a call's error (console with traceback, `error Type ...` on the status
//! outlet).
//!
//! - Logical time: a clock is armed for `ms` from the logical time at which
//!   the host arms it; `every` re-arms inside its tick for the previous
//!   *deadline* plus `ms`, so it never drifts, whenever its run happens.
//! - A detached (or `[pyrus~]`'s) timer whose previous run is still queued coalesces: the
//!   tick is skipped (the schedule keeps its deadlines), so at most one run
//!   of a timer is ever outstanding. A receiver's messages are calls: each
//!   one is a job, under the object's `-queue` limit.
//! - The host's clocks and bindings are touched on host threads only. A
//!   hook made (or cancelled) on a worker is armed (or freed) by the
//!   context's service ([`service`]), through the context's list of requests
//!   and a delivery in its mailbox (so before the job's later output is
//!   carried out); its cancel takes effect at once all the same (a flag
//!   checked where it would fire and where it would run).
//! - A hook ends when cancelled, when its owner is deleted ([`owner_gone`]),
//!   and when its owner's target is resolved again by a reload
//!   ([`stop_owner`]: the new code starts its own, `on_reload` may); an
//!   `after` also when it has fired.
//!
//! # Threading
//! `_after`, `_receive` and a handle's `cancel`: any thread running a call
//! of a pyrus object (attached to Python). [`service`], [`owner_gone`] and
//! the host's ticks and receives: a host thread of the context.
//! [`stop_owner`]: where the owner's calls run. Every lock here is held for
//! O(1) steps and never across a host call that may re-enter (a tick runs
//! `fn` with none held).

use crate::context::{Context, WeakContext};
use crate::detach::marshal::ObjectId;
use crate::host::{Binding, Clock};
use crate::out::Out;
use crate::python::{console, convert, report};
use crate::sync::lock;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyrus_atoms::{Message, Numbers, OwnedMessage};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// What a hook waits for.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    After(f64),
    Every(f64),
    Receive(String),
}

/// What the host holds for a hook, once armed on a host thread.
enum Armed {
    /// Not armed yet (made on a worker: the service arms it).
    Not,
    Clock {
        clock: Box<dyn Clock>,
        deadline: f64,
    },
    /// Held for its drop, which unbinds.
    Binding {
        _binding: Box<dyn Binding>,
    },
    /// Fired (an `after`) or cancelled: never armed again.
    Done,
}

/// A script's clock or receiver (see the module docs).
pub(crate) struct Hook {
    owner: ObjectId,
    /// When it was made, in the order of [`mark`].
    serial: u64,
    ctx: WeakContext,
    numbers: Numbers,
    kind: Kind,
    /// `fn` and the arguments it is called with (timers), taken when the
    /// hook is cancelled under the GIL.
    callback: Mutex<Option<(Py<PyAny>, Py<PyTuple>)>>,
    armed: Mutex<Armed>,
    cancelled: AtomicBool,
    /// A timer's run is handed to its owner and has not ended (coalescing).
    queued: AtomicBool,
    /// Ticks a detached timer skipped because its previous run was queued.
    skipped: AtomicU64,
}

/// A context's hooks (a part of the context, see [`Context::part`]): every
/// hook not yet ended, and those a worker made or cancelled, for the service.
#[derive(Default)]
struct Hooks {
    live: Mutex<Vec<Arc<Hook>>>,
    requests: crossbeam_queue::SegQueue<Arc<Hook>>,
}

impl Hook {
    fn what(&self) -> String {
        match &self.kind {
            Kind::After(ms) => format!("pyrus.after({ms})"),
            Kind::Every(ms) => format!("pyrus.every({ms})"),
            Kind::Receive(name) => format!("pyrus.receive('{name}')"),
        }
    }

    fn active(&self) -> bool {
        !self.cancelled.load(Ordering::Acquire) && !matches!(*lock(&self.armed), Armed::Done)
    }

    /// Arms the hook with the host (a host thread of its context), unless it
    /// was cancelled meanwhile or is armed already.
    fn arm(self: &Arc<Self>, ctx: &Context) {
        if self.cancelled.load(Ordering::Acquire) {
            return self.disarm(ctx);
        }
        let mut armed = lock(&self.armed);
        if !matches!(*armed, Armed::Not) {
            return;
        }
        let weak = Arc::downgrade(self);
        let host = ctx.host();
        let made = match &self.kind {
            Kind::After(ms) | Kind::Every(ms) => host.clock(Arc::new(move || tick(&weak))).map(|clock| {
                clock.delay(*ms);
                Armed::Clock { clock, deadline: host.logical_time() + ms }
            }),
            Kind::Receive(name) => host
                .bind(name, Arc::new(move |m: &Message<'_>| received(&weak, m)))
                .map(|b| Armed::Binding { _binding: b }),
        };
        match made {
            Some(made) => *armed = made,
            None => {
                *armed = Armed::Done;
                drop(armed);
                let kind = if matches!(self.kind, Kind::Receive(_)) { "receivers" } else { "clocks" };
                host.error(&format!("pyrus: {}: {} has no {kind} for scripts", self.what(), host.name()));
                self.forget(ctx);
            }
        }
    }

    /// Ends the hook with the host (a host thread of its context): the clock
    /// is freed, the name unbound.
    fn disarm(self: &Arc<Self>, ctx: &Context) {
        let was = std::mem::replace(&mut *lock(&self.armed), Armed::Done);
        // Freed outside the lock: a host may re-enter (Pd runs nothing, but
        // a binding's unbind is the host's business).
        drop(was);
        self.forget(ctx);
    }

    fn forget(self: &Arc<Self>, ctx: &Context) {
        lock(&ctx.part::<Hooks>().live).retain(|h| !Arc::ptr_eq(h, self));
    }

    /// Cancels the hook from wherever `out` runs: freed now on a host thread
    /// of its context, else by the next service.
    fn cancel(self: &Arc<Self>, out: Option<&Out>) {
        self.cancelled.store(true, Ordering::Release);
        let Some(ctx) = self.ctx.upgrade() else { return };
        match out.and_then(Out::host_thread) {
            Some(here) if here.same(&ctx) => self.disarm(&ctx),
            _ => request(&ctx, self.clone()),
        }
    }

    /// Hands a run to the owner (a host thread); a gone owner ends the hook.
    fn fire(self: &Arc<Self>, ctx: &Context, message: Option<OwnedMessage>) {
        let Some(owner) = ctx.recipient(self.owner) else {
            self.cancelled.store(true, Ordering::Release);
            return self.disarm(ctx);
        };
        if message.is_none() && self.queued.swap(true, Ordering::AcqRel) {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // `pyrus.time()` in a detached run: the time it fired.
        ctx.note_time();
        owner.run(Box::new(Fire { hook: self.clone(), message }));
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        // Only ever dropped disarmed: armed, a hook is in its context's live
        // list, which only a host thread leaves (`disarm`). Should a clock
        // still be here (its context gone with the host), it is leaked
        // rather than freed on a thread that is not the host's.
        let armed = std::mem::replace(self.armed.get_mut().unwrap_or_else(|e| e.into_inner()), Armed::Done);
        if !matches!(armed, Armed::Not | Armed::Done) {
            std::mem::forget(armed);
        }
    }
}

/// A host clock ticked (a host thread): `every` re-arms for its next
/// deadline, `after` ends; then the owner runs `fn`.
fn tick(hook: &Weak<Hook>) {
    let Some(hook) = hook.upgrade() else { return };
    let Some(ctx) = hook.ctx.upgrade() else { return };
    if hook.cancelled.load(Ordering::Acquire) {
        return hook.disarm(&ctx);
    }
    match hook.kind {
        Kind::Every(ms) => {
            if let Armed::Clock { clock, deadline } = &mut *lock(&hook.armed) {
                *deadline += ms;
                // Relative to now, which is the deadline itself in Pd; a host
                // that ticks late (Max) catches up without drifting.
                clock.delay((*deadline - ctx.host().logical_time()).max(0.0));
            }
        }
        _ => hook.disarm(&ctx),
    }
    hook.fire(&ctx, None);
}

/// A bound name got a message (a host thread).
fn received(hook: &Weak<Hook>, message: &Message<'_>) {
    let Some(hook) = hook.upgrade() else { return };
    let Some(ctx) = hook.ctx.upgrade() else { return };
    if !hook.cancelled.load(Ordering::Acquire) {
        hook.fire(&ctx, Some(message.clone().into_owned()));
    }
}

/// Has the service arm or free `hook` (off a host thread): a delivery in
/// the mailbox, so that it happens before anything this thread sends after
/// (a job's result that leads to a message for the receiver it made).
fn request(ctx: &Context, hook: Arc<Hook>) {
    ctx.part::<Hooks>().requests.push(hook);
    crate::detach::sink::push(ctx, crate::detach::marshal::NO_OBJECT, crate::detach::marshal::Delivery::Hooks);
}

/// One run of a hook's `fn`, handed to its owner: run where the owner's
/// calls run (see [`crate::context::Recipient::run`]).
///
/// # Threading
/// Made on a host thread; run (attached to Python) and dropped wherever the
/// owner's job goes; dropping it never touches Python.
pub(crate) struct Fire {
    hook: Arc<Hook>,
    message: Option<OwnedMessage>,
}

impl Fire {
    /// A receiver's message: a call of the object, under its `-queue` limit
    /// (a timer's run is never refused: it coalesces instead).
    pub fn is_message(&self) -> bool {
        self.message.is_some()
    }

    /// Calls `fn` (unless the hook was cancelled meanwhile): what it returns
    /// leaves outlet 0, what it raises goes to `out` and status outlet `status`.
    pub fn run(&self, py: Python<'_>, out: &Out, status: usize) {
        let hook = &self.hook;
        if hook.cancelled.load(Ordering::Acquire) {
            return;
        }
        let Some((callback, args)) = lock(&hook.callback).as_ref().map(|(f, a)| (f.clone_ref(py), a.clone_ref(py)))
        else {
            return;
        };
        let context = || match &self.message {
            Some(m) => format!("{} callback, {m}", hook.what()),
            None => format!("{} callback", hook.what()),
        };
        let args = match &self.message {
            None => Ok(args.into_bound(py)),
            Some(m) => convert::message_args(py, &[], m, hook.numbers),
        };
        match args.and_then(|args| callback.bind(py).call1(args)) {
            Ok(value) => crate::python::core::output(py, out, status, hook.numbers, context, &value),
            Err(e) => report::report(py, out, status, &context(), &e),
        }
    }
}

impl Drop for Fire {
    /// The run ended (or was dropped unrun): the timer may queue another.
    fn drop(&mut self) {
        if self.message.is_none() {
            self.hook.queued.store(false, Ordering::Release);
        }
    }
}

/// The service's step (a host thread of `ctx`): arms the hooks made on
/// workers and frees those cancelled there.
pub(crate) fn service(ctx: &Context) {
    let hooks = ctx.part::<Hooks>();
    while let Some(hook) = hooks.requests.pop() {
        hook.arm(ctx);
    }
}

/// Object `owner` is being deleted (a host thread of `ctx`): its clocks are
/// freed and its names unbound, now.
pub(crate) fn owner_gone(ctx: &Context, owner: ObjectId) {
    for hook in of_owner(ctx, owner) {
        hook.cancelled.store(true, Ordering::Release);
        hook.disarm(ctx);
    }
}

/// Made in the order of hooks: the hooks made before a mark are those
/// [`stop_owner`] ends.
static SERIAL: AtomicU64 = AtomicU64::new(0);

/// A point in the order hooks are made (before a reload runs new code).
pub(crate) fn mark() -> u64 {
    SERIAL.fetch_add(1, Ordering::AcqRel)
}

/// Object `owner` was reloaded: its hooks made before `mark` end, from where
/// its calls run (`out`); those the new code started stay.
pub(crate) fn stop_owner(out: &Out, owner: ObjectId, mark: u64) {
    for hook in of_owner(out.ctx(), owner).into_iter().filter(|h| h.serial < mark) {
        hook.cancel(Some(out));
    }
}

fn of_owner(ctx: &Context, owner: ObjectId) -> Vec<Arc<Hook>> {
    lock(&ctx.part::<Hooks>().live).iter().filter(|h| h.owner == owner).cloned().collect()
}

/// Makes a hook for the current caller and arms it, now on a host thread,
/// else through the service.
fn start(what: &str, kind: Kind, callback: Bound<'_, PyAny>, args: Bound<'_, PyTuple>) -> PyResult<Handle> {
    if !callback.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "pyrus.{what}: the callback must be callable, not {}",
            callback.repr()?
        )));
    }
    console::current(what, |caller| {
        let ctx = caller.out.ctx();
        let hook = Arc::new(Hook {
            owner: caller.id,
            serial: mark(),
            ctx: ctx.downgrade(),
            numbers: caller.numbers,
            kind: kind.clone(),
            callback: Mutex::new(Some((callback.clone().unbind(), args.clone().unbind()))),
            armed: Mutex::new(Armed::Not),
            cancelled: AtomicBool::new(false),
            queued: AtomicBool::new(false),
            skipped: AtomicU64::new(0),
        });
        lock(&ctx.part::<Hooks>().live).push(hook.clone());
        match caller.out.host_thread() {
            Some(here) => hook.arm(here),
            None => request(ctx, hook.clone()),
        }
        Ok(Handle { hook })
    })
}

/// A delay in ms from a script: a finite number, at least 0 (more than 0
/// for `every`, which would tick for ever at one instant).
fn delay(what: &str, ms: f64, repeat: bool) -> PyResult<f64> {
    if !ms.is_finite() || ms < 0.0 || (repeat && ms == 0.0) {
        let least = if repeat { "more than 0" } else { "0 or more" };
        return Err(PyValueError::new_err(format!(
            "pyrus.{what}: the delay must be a finite number of ms, {least}, not {ms}"
        )));
    }
    Ok(ms)
}

/// `pyrus.Timer` / `pyrus.Receiver`: the handle of a clock or receiver.
#[pyclass(frozen, module = "pyrus", name = "Hook")]
pub struct Handle {
    hook: Arc<Hook>,
}

#[pymethods]
impl Handle {
    /// Stops the clock or unbinds the name; a run already queued does not
    /// happen. Idempotent; from any thread the object's calls run on.
    fn cancel(&self) {
        // Dropped after the lock (under the GIL): its `__del__` may run Python.
        let callback = lock(&self.hook.callback).take();
        drop(callback);
        console::with_caller(|caller| self.hook.cancel(caller.map(|c| &c.out)));
    }

    /// Whether it may still fire: not cancelled, not ended by its object's
    /// deletion or reload, and (`after`) not fired yet.
    #[getter]
    fn active(&self) -> bool {
        self.hook.active()
    }

    /// Ticks a detached timer skipped because its previous run was still
    /// queued (see the module docs).
    #[getter]
    fn skipped(&self) -> u64 {
        self.hook.skipped.load(Ordering::Relaxed)
    }

    fn __repr__(&self) -> String {
        let state = if self.active() { "active" } else { "ended" };
        format!("<pyrus {} ({state})>", self.hook.what())
    }
}

/// `_pyrus._after(ms, fn, args, repeat)`: `pyrus.after` and `pyrus.every`.
#[pyfunction]
fn _after(ms: f64, callback: Bound<'_, PyAny>, args: Bound<'_, PyTuple>, repeat: bool) -> PyResult<Handle> {
    let what = if repeat { "every" } else { "after" };
    let ms = delay(what, ms, repeat)?;
    start(what, if repeat { Kind::Every(ms) } else { Kind::After(ms) }, callback, args)
}

/// `_pyrus._receive(name, fn)`: `pyrus.receive`.
#[pyfunction]
fn _receive(name: &str, callback: Bound<'_, PyAny>) -> PyResult<Handle> {
    if name.is_empty() {
        return Err(PyValueError::new_err("pyrus.receive: the name must not be empty"));
    }
    let args = PyTuple::empty(callback.py());
    start("receive", Kind::Receive(name.to_owned()), callback, args)
}

pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Handle>()?;
    m.add_function(wrap_pyfunction!(_after, m)?)?;
    m.add_function(wrap_pyfunction!(_receive, m)?)?;
    Ok(())
}
