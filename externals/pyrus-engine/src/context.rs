//! The engine context: one per host instance (one Pd instance; later one
//! Max), owning what the engine keeps for that instance.
//!
//! A [`Context`] owns the registry of its objects (with the dirty and
//! pollable lists the service walks), its mailbox ([`crate::marshal`]), its
//! logical time as last noted (for `pyrus.time()` off a host thread), the
//! script devices that have events pending, and the rate windows of its
//! console. Objects belong to one context, and every delivery for an object
//! goes into its own context's mailbox; [`Context::service`] drains only its
//! own. What stays one per process: the interpreter (CPython has one), the
//! worker pool (shared: a job carries its context through its object's
//! queue), the GIL lease and the native caller stack (per thread, see
//! [`crate::gil`]).
//!
//! A process-wide list of the live contexts (weak) serves only what must
//! reach all of them: a module reload rebinds the objects of every context
//! that use the module (each through its own context: directly when the
//! reload runs on a host thread of that context inside its call, else by its
//! mailbox), [`crate::shut_down`] ends every mailbox, and output that
//! belongs to no object and no host thread (a thread's panic, a line a
//! script thread of no object printed) goes to the first live context's
//! console.
//!
//! # Threading
//! `Context` is `Send + Sync` and cheap to clone (an `Arc`). `new`: any
//! thread. `service` and `reload`: a host thread of this context (see
//! there). The internal pushes: any thread.

use crate::console;
use crate::core;
use crate::gil;
use crate::host::Host;
use crate::marshal::{Delivery, Mailbox, ObjectId, NO_OBJECT};
use crate::out::Out;
use crate::service::Registry;
use crate::sync::lock;
use crate::usb_script::ScriptDevice;
use crossbeam_queue::SegQueue;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// The engine's state for one host instance (see the module docs).
#[derive(Clone)]
pub struct Context {
    inner: Arc<Shared>,
}

pub(crate) struct Shared {
    host: Arc<dyn Host>,
    mailbox: Mailbox,
    /// The host's logical time as last noted on a host thread (f64 bits).
    time: AtomicU64,
    pub registry: Mutex<Registry>,
    /// Scripts' devices with events waiting, for the next service.
    pub devices: SegQueue<Arc<ScriptDevice>>,
    /// Script output's lines per object and second (see `console`).
    pub windows: console::Windows,
}

/// A context that does not keep it alive: for what outlives objects or
/// would make a cycle (a device's wake, the watch table). The default is no
/// context at all (it never upgrades).
#[derive(Clone, Default)]
pub(crate) struct WeakContext(Weak<Shared>);

impl WeakContext {
    pub fn upgrade(&self) -> Option<Context> {
        self.0.upgrade().map(|inner| Context { inner })
    }
}

/// Every context made, for what must reach them all (see the module docs).
static CONTEXTS: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());

thread_local! {
    /// The contexts whose service or global reload runs on this thread
    /// (they nest): output of no object goes to the innermost's console
    /// directly, and a reload rebinds its objects directly.
    static HOST_THREAD: RefCell<Vec<Context>> = const { RefCell::new(Vec::new()) };
}

impl Context {
    /// A context serving `host`: its console, receivers, clock and waker.
    pub fn new(host: Arc<dyn Host>) -> Context {
        let inner = Arc::new(Shared {
            host,
            mailbox: Mailbox::new(),
            time: AtomicU64::new(0),
            registry: Mutex::new(Registry::default()),
            devices: SegQueue::new(),
            windows: console::Windows::default(),
        });
        let mut all = lock(&CONTEXTS);
        all.retain(|c| c.strong_count() > 0);
        all.push(Arc::downgrade(&inner));
        Context { inner }
    }

    /// The host instance this context serves.
    pub fn host(&self) -> &dyn Host {
        &*self.inner.host
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.inner
    }

    pub(crate) fn mailbox(&self) -> &Mailbox {
        &self.inner.mailbox
    }

    pub(crate) fn downgrade(&self) -> WeakContext {
        WeakContext(Arc::downgrade(&self.inner))
    }

    /// Whether `self` and `other` are the same context.
    pub fn same(&self, other: &Context) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Whether anything may still arrive for this context's objects:
    /// deliveries waiting, jobs outstanding, script threads or devices alive.
    pub fn has_work(&self) -> bool {
        self.inner.mailbox.has_work()
    }

    /// `[; pyrus reload(` and `[; pyrus reload MODULE(`: re-imports `module`,
    /// or every module that an object's target lives in (objects of every
    /// context), and rebinds every object that uses them (class instances
    /// keep their state). A module whose new code fails keeps its old code;
    /// the error goes to this context's console.
    ///
    /// # Threading
    /// A host thread of this context, outside any call; attaches to Python
    /// to re-import (a synchronous act, whatever the objects' `detach`).
    /// Each object then rebinds as a call of its own, in its own mode: here
    /// in `detach 0` for this context's objects (through their mailboxes for
    /// other contexts'), as a job on its worker in `detach 1|2` (so
    /// `on_reload` can use `pyrus.*`).
    pub fn reload(&self, module: Option<&str>) {
        self.as_host_thread(|| {
            gil::sync_call(self, None, |py| core::reload_global(py, &Out::Console(self.clone()), module));
        });
    }

    /// Runs `f` as this context's host thread (see `HOST_THREAD`).
    pub(crate) fn as_host_thread<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Pop;
        impl Drop for Pop {
            fn drop(&mut self) {
                HOST_THREAD.with(|h| h.borrow_mut().pop());
            }
        }
        HOST_THREAD.with(|h| h.borrow_mut().push(self.clone()));
        let _pop = Pop;
        f()
    }

    /// Notes the host's logical time, for `pyrus.time()` off a host thread
    /// (a host thread).
    pub(crate) fn note_time(&self) {
        self.inner.time.store(self.host().logical_time().to_bits(), Ordering::Relaxed);
    }

    /// The logical time as last noted.
    pub(crate) fn time(&self) -> f64 {
        f64::from_bits(self.inner.time.load(Ordering::Relaxed))
    }

    /// Pushes a delivery for object `id`, or hands it back if the mailbox
    /// is full (see [`Mailbox::push`]).
    pub(crate) fn push(&self, id: ObjectId, delivery: Delivery) -> Result<(), Delivery> {
        self.inner.mailbox.push(self.host(), id, delivery)
    }

    /// Pushes a delivery, waiting for space (see [`Mailbox::push_waiting`]).
    pub(crate) fn push_waiting(&self, id: ObjectId, delivery: Delivery, nap: impl FnMut(&(dyn Fn() + Sync))) {
        self.inner.mailbox.push_waiting(self.host(), id, delivery, nap);
    }

    /// Asks the host for a service soon (any thread; never blocks).
    pub(crate) fn wake(&self) {
        self.inner.mailbox.wake(self.host());
    }

    pub(crate) fn producer_begin(&self) {
        self.inner.mailbox.producer_begin();
    }

    pub(crate) fn producer_end(&self) {
        self.inner.mailbox.producer_end();
    }
}

/// Every live context, oldest first.
pub(crate) fn live() -> Vec<Context> {
    lock(&CONTEXTS).iter().filter_map(Weak::upgrade).map(|inner| Context { inner }).collect()
}

/// The first live context: where output of no object and no host thread
/// goes.
pub(crate) fn first() -> Option<Context> {
    lock(&CONTEXTS).iter().find_map(Weak::upgrade).map(|inner| Context { inner })
}

/// The context whose service or global reload runs on this thread, if any.
pub(crate) fn host_thread() -> Option<Context> {
    HOST_THREAD.try_with(|h| h.borrow().last().cloned()).ok().flatten()
}

/// Ends every context's mailbox (process exit): pushes are dropped from
/// now on, and nothing waits for space.
pub(crate) fn shut_down() {
    for ctx in live() {
        ctx.mailbox().shut_down();
    }
}

/// Starts an engine thread named `name` with a [`STACK`](crate::sync::STACK)-sized stack. Every
/// thread the engine starts is started here. A panic that still escapes `f`
/// (each thread catches its own per job or command, see [`crate::sync::catch`]) ends the
/// thread with an error in the host's console instead of silently.
pub(crate) fn spawn(name: String, f: impl FnOnce() + Send + 'static) -> std::io::Result<std::thread::JoinHandle<()>> {
    let thread = name.clone();
    std::thread::Builder::new().name(name).stack_size(crate::sync::STACK).spawn(move || {
        if let Err(why) = crate::sync::catch(f) {
            console_error(format!("pyrus: internal error: thread {thread} ended: {why}"));
        }
    })
}

/// An error in a host's console that belongs to no object, from any
/// thread: through the first live context's mailbox (see the module docs);
/// dropped if the mailbox is full or shut, or if there is no context.
pub(crate) fn console_error(text: String) {
    if let Some(ctx) = first() {
        let _ = ctx.push(NO_OBJECT, Delivery::Error(text));
    }
}
