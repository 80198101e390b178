//! One `[pyrus]` object as the host's scheduler thread sees it: the messages
//! it handles itself (`detach`, `latest`, `queue`, `stop`), and where the
//! others run: right here (`detach 0`) or on the worker pool (`detach 1|2`).
//!
//! Creation arguments: `[pyrus]` is an interpreter with an empty namespace;
//! `[pyrus DOTTED.NAME ARGS...]` resolves `DOTTED.NAME` (see [`crate::resolve`]).
//! A callable target is called by every message other than the reserved ones,
//! with `ARGS` bound in front of the message's own arguments (as
//! `functools.partial` would); a module is bound in the namespace under its
//! first name. A target that fails to resolve leaves a working object that
//! reports the error and tries again on `reload`. Flags anywhere in the
//! arguments: `-detach N`, `-latest`, `-queue N`, `-watch`.
//!
//! Detached mode, as the status outlet reports it: `busy 1` when the object
//! goes from no outstanding job to some, `busy 0` when the last one is done;
//! `dropped N` for jobs refused because `N` were already outstanding (the
//! `-queue` limit); `replaced N` for jobs that `latest` replaced before they
//! started; `stopped` after `stop`.

use crate::core::{self as core_, Core};
use crate::gil;
use crate::host::Host;
use crate::jobs::{JobKind, JobQueue, Pushed};
use crate::marshal::{self, Delivery};
use crate::native::{self, Caller};
use crate::pool::{self, Task};
use crate::remote;
use crate::runtime;
use crate::service::{self, Recipient};
use crate::usb_script::{self, ScriptDevice};
use crate::{editor, watch};
use pyrus_atoms::{Atom, Message};
use std::borrow::Cow;
use std::cell::Cell;
use std::path::Path;
use std::rc::{Rc, Weak};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The messages an object handles itself instead of passing to its target.
/// To call a target with one of these words first, send `list WORD ...`.
pub const RESERVED: &[&str] =
    &["import", "eval", "exec", "load", "call", "reload", "detach", "latest", "queue", "stop", "watch", "open"];

/// Outstanding detached jobs an object accepts by default (`-queue N`).
pub const DEFAULT_QUEUE: usize = 1024;

/// Where an object's calls run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detach {
    /// On the scheduler thread, now.
    Sync = 0,
    /// On a worker, one at a time, in arrival order.
    Serial = 1,
    /// On the pool, as many at once as workers are free; results in
    /// completion order.
    Concurrent = 2,
}

/// A `[pyrus]` object as the engine sees it.
///
/// # Threading
/// Created, called and dropped on the host's scheduler thread only (`!Send`),
/// and re-entrant: a message sent out of an outlet may come straight back in
/// through the patch while a call is running. In `detach 0` a call attaches
/// to Python (and waits for the GIL); in `detach 1|2` nothing here touches
/// Python, blocks or waits: a message becomes a job of plain Rust data.
pub struct Object {
    inner: Rc<Inner>,
}

struct Inner {
    core: Arc<Core>,
    caller: Rc<Caller>,
    queue: Arc<JobQueue>,
    weak: Weak<Inner>,
    detach: Cell<Detach>,
    latest: Cell<bool>,
    limit: Cell<usize>,
    /// Jobs submitted and not yet reported done.
    outstanding: Cell<usize>,
    /// Refused and replaced jobs not yet reported.
    dropped: Cell<u64>,
    replaced: Cell<u64>,
}

impl Object {
    /// Creates an object. Errors in the arguments or in the target are
    /// reported through `host`; the object is created all the same. With
    /// `-detach 1|2` even resolving the target happens on a worker.
    ///
    /// The interpreter must have been started with [`runtime::start`].
    pub fn new(host: Rc<dyn Host>, args: &[Atom<'_>], patch_dir: Option<&Path>) -> Object {
        debug_assert!(runtime::is_started(), "runtime::start must run first");
        let flags = Flags::parse(args, &*host);
        let id = service::next_id();
        let core = Arc::new(Core::new(id, flags.path, flags.leading, patch_dir));
        core_::register(&core);
        // Resolving the target decides the object's inlets and outlets (a
        // class says how many), so it happens here, on the scheduler thread,
        // in every mode: creating an object imports its module now.
        {
            let early = Rc::new(Caller { host: host.clone(), data_outlets: 0, id });
            remote::note_time(host.logical_time());
            gil::sync_call(&*host, Some(id), |py| {
                let _current = native::enter(&early);
                core.init(py, &*host);
            });
        }
        let data_outlets = core.shape().outlets;
        let inner = Rc::new_cyclic(|weak| Inner {
            caller: Rc::new(Caller { host, data_outlets, id }),
            queue: Arc::new(JobQueue::new(core.clone())),
            core,
            weak: weak.clone(),
            detach: Cell::new(flags.detach),
            latest: Cell::new(flags.latest),
            limit: Cell::new(flags.queue),
            outstanding: Cell::new(0),
            dropped: Cell::new(0),
            replaced: Cell::new(0),
        });
        let weak: Weak<dyn Recipient> = inner.weak.clone();
        service::register(id, weak);
        if flags.watch {
            inner.set_watch(true);
        }
        Object { inner }
    }

    /// Number of inlets the host must create (the leftmost included).
    pub fn inlet_count(&self) -> usize {
        self.inner.core.shape().inlets
    }

    /// Number of outlets the host must create; the last one is the status outlet.
    pub fn outlet_count(&self) -> usize {
        self.inner.core.shape().outlets + 1
    }

    /// The script files the target comes from, its own module's first, then
    /// those of the local modules it uses: what `watch` follows.
    pub fn script_files(&self) -> Vec<std::path::PathBuf> {
        self.inner.core.files().into_iter().map(|(file, _)| file).collect()
    }

    /// Where calls run now.
    pub fn detach(&self) -> Detach {
        self.inner.detach.get()
    }

    /// Handles one message arriving at an inlet (0 is the leftmost). The
    /// object's own messages (`detach`, `stop`...) count at the left inlet only.
    pub fn message(&self, inlet: usize, message: &Message<'_>) {
        let inner = &self.inner;
        if let (0, Message::Anything(selector, args)) = (inlet, message) {
            match selector.as_ref() {
                "detach" => return inner.set_detach(args),
                "latest" => return inner.latest.set(flag(args)),
                "queue" => return inner.set_limit(args),
                "stop" => return inner.stop(),
                "watch" => return inner.set_watch(flag(args)),
                "open" => return inner.open(),
                _ => {}
            }
        }
        inner.run(inlet, message);
    }
}

impl Drop for Object {
    /// Pending jobs are dropped and a running one is interrupted; whatever it
    /// still sends is discarded. Then the instance's `on_close` runs where its
    /// calls ran: here in `detach 0`, as the last job on a worker otherwise.
    /// Never waits for a job to end.
    fn drop(&mut self) {
        let inner = &self.inner;
        service::unregister(inner.core.id);
        watch::unwatch(inner.core.id);
        usb_script::owner_gone(inner.core.id);
        for _ in 0..inner.queue.clear() {
            marshal::producer_end();
        }
        pool::interrupt(inner.core.id);
        match inner.detach.get() {
            Detach::Sync => inner.sync(|py, host| inner.core.close(py, host)),
            mode => {
                if inner.core.instance_exists() {
                    marshal::producer_begin();
                    inner.queue.push(JobKind::Close, false);
                    inner.schedule(mode);
                }
            }
        }
        inner.queue.deleted.store(true, Ordering::Release);
    }
}

impl Inner {
    fn host(&self) -> &dyn Host {
        &*self.caller.host
    }

    /// Runs `f` here and now, attached to Python under the scheduler
    /// thread's lease, with this object as the current caller of `pyrus.*`.
    fn sync(&self, f: impl FnOnce(pyo3::Python<'_>, &dyn Host)) {
        // For script threads' `pyrus.time()`: once per lease, i.e. per
        // scheduler pass, is as fresh as a thread can use.
        if !gil::holds_lease() {
            remote::note_time(self.host().logical_time());
        }
        gil::sync_call(self.host(), Some(self.core.id), |py| {
            let _current = native::enter(&self.caller);
            f(py, self.host())
        })
    }

    /// Handles a message where this object's calls run.
    fn run(&self, inlet: usize, message: &Message<'_>) {
        match self.detach.get() {
            Detach::Sync => self.sync(|py, host| self.core.handle(py, host, inlet, message)),
            Detach::Serial | Detach::Concurrent => self.submit(JobKind::Message(inlet, message.clone().into_owned())),
        }
    }

    /// Makes sure a worker will take the queue's next job.
    fn schedule(&self, mode: Detach) {
        if mode == Detach::Concurrent {
            pool::submit(Task::Concurrent(self.queue.clone()));
        } else if !self.queue.scheduled.swap(true, Ordering::AcqRel) {
            pool::submit(Task::Serial(self.queue.clone()));
        }
    }

    fn submit(&self, job: JobKind) {
        if self.outstanding.get() >= self.limit.get() {
            self.dropped.set(self.dropped.get() + 1);
            self.mark_dirty();
            return;
        }
        remote::note_time(self.host().logical_time());
        match self.queue.push(job, self.latest.get()) {
            Pushed::Replaced => {
                self.replaced.set(self.replaced.get() + 1);
                self.mark_dirty();
            }
            Pushed::Queued => self.queued(),
        }
    }

    /// A job was queued: count it, and make sure a worker will run it.
    fn queued(&self) {
        marshal::producer_begin();
        self.outstanding.set(self.outstanding.get() + 1);
        if self.outstanding.get() == 1 {
            self.status("busy", &[Atom::Float(1.0)]);
        }
        self.schedule(self.detach.get());
        // Poll for results each tick while jobs are out.
        self.host().request_service();
    }

    fn stop(&self) {
        let dropped = self.queue.clear();
        for _ in 0..dropped {
            marshal::producer_end();
        }
        pool::interrupt(self.core.id);
        self.status("stopped", &[]);
        self.job_done(dropped);
    }

    /// `n` jobs ended (ran, or were dropped before starting).
    fn job_done(&self, n: usize) {
        if n == 0 {
            return;
        }
        let left = self.outstanding.get().saturating_sub(n);
        self.outstanding.set(left);
        if left == 0 {
            self.status("busy", &[Atom::Float(0.0)]);
        }
    }

    fn set_detach(&self, args: &[Atom<'_>]) {
        match args.first().and_then(Atom::as_float).and_then(detach_mode) {
            Some(mode) => self.detach.set(mode),
            None => self.bad_argument("detach takes 0, 1 or 2"),
        }
    }

    fn set_limit(&self, args: &[Atom<'_>]) {
        match args.first().and_then(Atom::as_float) {
            Some(n) if n >= 1.0 => self.limit.set(n as usize),
            _ => self.bad_argument("queue takes a number of jobs, 1 or more"),
        }
    }

    fn set_watch(&self, on: bool) {
        self.core.watching.store(on, Ordering::Release);
        if !on {
            return watch::unwatch(self.core.id);
        }
        let files = self.core.files();
        if files.is_empty() {
            return self.bad_argument("watch: this object's target comes from no script file");
        }
        if let Err(e) = watch::watch(self.core.id, files) {
            self.bad_argument(&format!("watch: {e}"));
        }
    }

    /// Opens the target's script in the user's editor: `$VISUAL`, else
    /// `$EDITOR`, else the desktop's default application.
    fn open(&self) {
        let Some((file, _)) = self.core.files().into_iter().next() else {
            return self.bad_argument("open: this object's target comes from no script file");
        };
        if let Err(e) = editor::open(&file) {
            self.bad_argument(&format!("open {}: {e}", file.display()));
        }
    }

    fn bad_argument(&self, why: &str) {
        self.host().error(&format!("pyrus: {why}"));
        crate::report::status_error(self.host(), self.core.status(), "ValueError", why);
    }

    fn status(&self, what: &str, args: &[Atom<'_>]) {
        let message = Message::Anything(Cow::Borrowed(what), Cow::Borrowed(args));
        self.host().outlet(self.core.status(), &message);
    }

    fn mark_dirty(&self) {
        let weak: Weak<dyn Recipient> = self.weak.clone();
        service::mark_dirty(weak);
        self.host().request_service();
    }
}

impl Recipient for Inner {
    fn deliver(&self, delivery: Delivery) {
        let host = self.host();
        match delivery {
            Delivery::Outlet(i, m) => host.outlet(i, &m),
            Delivery::Post(text) => host.post(&text),
            Delivery::Error(text) => host.error(&text),
            Delivery::Send(name, m) => {
                if let Err(e) = host.send(&name, &m) {
                    host.error(&format!("pyrus.send: {e}"));
                    crate::report::status_error(host, self.core.status(), "LookupError", &e.to_string());
                }
            }
            Delivery::JobDone => self.job_done(1),
            Delivery::Reload(module) => {
                // A module it uses changed: reload that first, then its own.
                if self.core.module_name().as_deref() != Some(module.as_str()) {
                    let args = [Atom::Symbol(Cow::Owned(module))];
                    self.run(0, &Message::Anything(Cow::Borrowed("reload"), Cow::Borrowed(&args)));
                }
                self.run(0, &Message::Anything(Cow::Borrowed("reload"), Cow::Borrowed(&[])));
            }
        }
    }

    /// Runs the device's callback where this object's calls run. A device
    /// job is never refused nor replaced: its events wait in the device's
    /// own bounded queue, which counts what it drops.
    fn device_events(&self, device: Arc<ScriptDevice>) {
        match self.detach.get() {
            Detach::Sync => self.sync(|py, host| device.run(py, host, self.core.status())),
            Detach::Serial | Detach::Concurrent => {
                self.queue.push(JobKind::Device(device), false);
                self.queued();
            }
        }
    }

    fn flush(&self) {
        for (what, count) in [("dropped", &self.dropped), ("replaced", &self.replaced)] {
            let n = count.replace(0);
            if n > 0 {
                self.status(what, &[Atom::Float(n as f64)]);
            }
        }
    }
}

/// Creation arguments with the flags taken out.
struct Flags {
    path: Option<String>,
    leading: Vec<pyrus_atoms::OwnedAtom>,
    detach: Detach,
    latest: bool,
    queue: usize,
    watch: bool,
}

impl Flags {
    fn parse(args: &[Atom<'_>], host: &dyn Host) -> Flags {
        let mut flags = Flags {
            path: None,
            leading: Vec::new(),
            detach: Detach::Sync,
            latest: false,
            queue: DEFAULT_QUEUE,
            watch: false,
        };
        let mut rest = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let number = args.get(i + 1).and_then(Atom::as_float);
            match args[i].as_symbol() {
                Some("-detach") => match number.and_then(detach_mode) {
                    Some(mode) => (flags.detach, i) = (mode, i + 1),
                    None => host.error("pyrus: -detach takes 0, 1 or 2; ignored"),
                },
                Some("-queue") => match number {
                    Some(n) if n >= 1.0 => (flags.queue, i) = (n as usize, i + 1),
                    _ => host.error("pyrus: -queue takes a number of jobs, 1 or more; ignored"),
                },
                Some("-latest") => flags.latest = true,
                Some("-watch") => flags.watch = true,
                _ => rest.push(args[i].clone().into_owned()),
            }
            i += 1;
        }
        let mut rest = rest.into_iter();
        match rest.next() {
            Some(Atom::Symbol(s)) => flags.path = Some(s.into_owned()),
            Some(number) => host
                .error(&format!("pyrus: the first argument must be a Python name, not the number {number}; ignored")),
            None => {}
        }
        flags.leading = rest.collect();
        flags
    }
}

fn detach_mode(n: f64) -> Option<Detach> {
    match n {
        0.0 => Some(Detach::Sync),
        1.0 => Some(Detach::Serial),
        2.0 => Some(Detach::Concurrent),
        _ => None,
    }
}

fn flag(args: &[Atom<'_>]) -> bool {
    args.first().and_then(Atom::as_float).is_none_or(|f| f != 0.0)
}
