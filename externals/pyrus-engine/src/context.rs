//! The engine context: one per host instance (one Pd instance; later one
//! Max), owning what the engine keeps for that instance.
//!
//! A [`Context`] owns the registry of its objects (each a [`Recipient`],
//! with the dirty and pollable lists the service walks), its mailbox
//! ([`crate::detach::marshal`]), its logical time as last noted (for `pyrus.time()`
//! off a host thread), and the parts upper modules keep per instance
//! ([`Context::part`]: the script devices that have events pending, the
//! rate windows of its console, the cores reloads reach). It also starts
//! the engine's threads ([`spawn`]: an escaped panic goes to a console).
//! It sits below everything but `host`, `sync` and `marshal`: the
//! operations of upper modules on a context (`service`, `reload`) are
//! inherent impls in those modules. Objects belong to one context, and every delivery for an object
//! goes into its own context's mailbox; [`Context::service`] drains only its
//! own. What stays one per process: the interpreter (CPython has one), the
//! worker pool (shared: a job carries its context through its object's
//! queue), the GIL lease and the native caller stack (per thread, see
//! [`crate::python::gil`]).
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

use crate::call_lock::{CallGuard, CallLock};
use crate::detach::marshal::{Delivery, Mailbox, ObjectId, NO_OBJECT};
use crate::host::Host;
use crate::sync::lock;
use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// The engine's state for one host instance (see the module docs).
#[derive(Clone)]
pub struct Context {
    inner: Arc<Shared>,
}

struct Shared {
    host: Arc<dyn Host>,
    mailbox: Mailbox,
    /// The host's logical time as last noted on a host thread (f64 bits).
    time: AtomicU64,
    registry: Mutex<Registry>,
    /// Held by the host thread running this context's service: one drains
    /// at a time, so that each object's deliveries keep their order.
    draining: CallLock,
    /// What upper modules keep per context (see [`Context::part`]).
    parts: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
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
            draining: CallLock::new(),
            parts: Mutex::new(Vec::new()),
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

    /// The value of type `T` this context keeps for an upper module, made
    /// on first use: the state a module above keeps per instance (the
    /// console's rate windows, the script devices with events, the cores
    /// reloads reach), so that this module names none of their types. A
    /// lock held for a scan of a handful of entries.
    pub(crate) fn part<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut parts = lock(&self.inner.parts);
        if let Some(part) = parts.iter().find(|p| (***p).is::<T>()) {
            return part.clone().downcast::<T>().unwrap_or_else(|_| unreachable!("checked by is::<T>()"));
        }
        let part = Arc::new(T::default());
        parts.push(part.clone());
        part
    }

    /// Enters this context's service on this thread, unless another host
    /// thread is in it (re-entrant on its own thread).
    pub(crate) fn try_drain(&self) -> Option<CallGuard<'_>> {
        self.inner.draining.try_enter()
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

/// An upper module's work for an object (see [`Recipient::run`]).
pub(crate) type Work = Box<dyn Any + Send>;

/// An object that deliveries can reach.
pub(crate) trait Recipient: Send + Sync {
    fn deliver(&self, delivery: Delivery);
    /// Reports what piled up since the last service (`dropped N` ...).
    fn flush(&self);
    /// Carries out a budget of the object's own queue (a USB device's
    /// events); says whether more are waiting.
    fn poll(&self) -> bool {
        false
    }
    /// A module its target lives in was reloaded by someone else: resolve
    /// the target again as a call of its own, where its calls run.
    fn rebind(&self) {}
    /// An upper module's work that this object runs as a call of its own,
    /// where its calls run (a script device's events for its callback);
    /// the context only carries it, and the object knows its type.
    fn run(&self, work: Work) {
        let _ = work;
    }
}

/// A context's objects.
#[derive(Default)]
pub(crate) struct Registry {
    objects: HashMap<ObjectId, Weak<dyn Recipient>>,
    pollables: Vec<Weak<dyn Recipient>>,
    dirty: Vec<Weak<dyn Recipient>>,
    /// Objects being made on a host thread: their deliveries wait in `held`
    /// (a host with two threads may service the context meanwhile).
    creating: HashSet<ObjectId>,
    /// Deliveries for objects being made, and those behind them (of the same
    /// objects, to keep their order), oldest first.
    held: Vec<(ObjectId, Delivery)>,
}

/// Marks an object as being made until dropped (see [`Context::creating`]).
pub(crate) struct Creating<'a> {
    ctx: &'a Context,
    id: ObjectId,
}

impl Drop for Creating<'_> {
    /// Made (or failed): its held deliveries go at the next service (to
    /// nobody if it was never registered).
    fn drop(&mut self) {
        self.ctx.registry().creating.remove(&self.id);
    }
}

impl Context {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        lock(&self.inner.registry)
    }

    /// Object `id` is being made on this host thread until the guard is
    /// dropped: deliveries for it wait (see [`Context::route`]).
    pub(crate) fn creating(&self, id: ObjectId) -> Creating<'_> {
        self.registry().creating.insert(id);
        Creating { ctx: self, id }
    }

    /// Where a delivery for `id` goes now: `None` when it waits (its object
    /// is being made, or older deliveries of its are waiting); else the
    /// live object, if any, and the delivery. One lock for both questions.
    pub(crate) fn route(&self, id: ObjectId, delivery: Delivery) -> Option<(Option<Arc<dyn Recipient>>, Delivery)> {
        let mut registry = self.registry();
        let busy = !registry.creating.is_empty() || !registry.held.is_empty();
        if busy && (registry.creating.contains(&id) || registry.held.iter().any(|(held, _)| *held == id)) {
            registry.held.push((id, delivery));
            return None;
        }
        let object = registry.objects.get(&id).and_then(Weak::upgrade);
        Some((object, delivery))
    }

    /// The held deliveries of objects no longer being made, taken, in order.
    pub(crate) fn take_released(&self) -> Vec<(ObjectId, Delivery)> {
        let mut registry = self.registry();
        if registry.held.is_empty() {
            return Vec::new();
        }
        let Registry { creating, held, .. } = &mut *registry;
        let (waiting, released) = std::mem::take(held).into_iter().partition(|(id, _)| creating.contains(id));
        *held = waiting;
        released
    }

    /// Whether deliveries wait for objects being made.
    pub(crate) fn holds(&self) -> bool {
        !self.registry().held.is_empty()
    }

    /// Whether objects wait for [`Recipient::flush`].
    pub(crate) fn has_dirty(&self) -> bool {
        !self.registry().dirty.is_empty()
    }

    pub(crate) fn register(&self, id: ObjectId, object: Weak<dyn Recipient>) {
        self.registry().objects.insert(id, object);
    }

    /// From now on deliveries for `id` are dropped: the object is gone.
    pub(crate) fn unregister(&self, id: ObjectId) {
        self.registry().objects.remove(&id);
    }

    /// Makes the service drain `object`'s own queue each pass ([`Recipient::poll`]).
    pub(crate) fn register_pollable(&self, object: Weak<dyn Recipient>) {
        self.registry().pollables.push(object);
    }

    /// The objects marked dirty since the last service, taken.
    pub(crate) fn take_dirty(&self) -> Vec<Weak<dyn Recipient>> {
        std::mem::take(&mut self.registry().dirty)
    }

    /// The live objects with queues of their own; dead ones drop out.
    pub(crate) fn pollables(&self) -> Vec<Arc<dyn Recipient>> {
        let mut registry = self.registry();
        registry.pollables.retain(|o| o.strong_count() > 0);
        registry.pollables.iter().filter_map(Weak::upgrade).collect()
    }

    /// Asks for `object.flush()` at the next service.
    pub(crate) fn mark_dirty(&self, object: Weak<dyn Recipient>) {
        self.registry().dirty.push(object);
    }

    /// The live object `id`, if any. The registry's lock ends here, before
    /// anything is delivered to it: a delivery may re-enter.
    pub(crate) fn recipient(&self, id: ObjectId) -> Option<Arc<dyn Recipient>> {
        self.registry().objects.get(&id).and_then(Weak::upgrade)
    }

    /// Has object `id` of this context resolve its target again
    /// ([`Recipient::rebind`]): now when `here` says this runs on a host
    /// thread of this context (inside a call, or its global reload), else
    /// through the mailbox, waiting for space with `nap` (which releases
    /// the GIL). Never touches Python itself.
    pub(crate) fn rebind(&self, id: ObjectId, here: bool, nap: impl FnMut(&(dyn Fn() + Sync))) {
        if here {
            if let Some(object) = self.recipient(id) {
                object.rebind();
            }
        } else {
            self.push_waiting(id, Delivery::Rebind, nap);
        }
    }
}

/// A new object id, unique in the process (across contexts); ids are never
/// reused, so a late delivery can never reach a newer object.
pub(crate) fn next_id() -> ObjectId {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
