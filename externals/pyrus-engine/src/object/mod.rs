//! One `[pyrus]` object as its host threads see it: the messages it handles
//! itself (`detach`, `latest`, `queue`, `stop`), and where the others run:
//! right here, on the thread that delivered them (`detach 0`), or on the
//! worker pool (`detach 1|2`).
//!
//! Its own messages ([`RESERVED`], at the left inlet) are checked here,
//! without Python: a missing, extra or out-of-range argument is an error
//! saying what the message takes. A class that defines `in_0_WORD` for one of
//! them gets the word instead (known from names cached when the class was
//! bound); `pyrus WORD ...` ([`OWN`]) always reaches the object's own. The
//! own Python messages travel to [`Core::handle`] in that `pyrus WORD` form.
//!
//! Hooks run as calls of their own object, where its calls run: a rebind
//! requested by another object's reload (`Recipient::rebind`) runs here in
//! `detach 0`, as a job on the worker otherwise, with this object as the
//! caller of `pyrus.*`.
//!
//! Creation arguments: `[pyrus]` is an interpreter with an empty namespace;
//! `[pyrus DOTTED.NAME ARGS...]` resolves `DOTTED.NAME` (see [`crate::python::resolve`]).
//! A callable target is called by every message other than the reserved ones,
//! with `ARGS` bound in front of the message's own arguments (as
//! `functools.partial` would); a module is bound in the namespace under its
//! first name. A target that fails to resolve leaves a working object that
//! reports the error and tries again on `reload`. The host crate reads its
//! own syntax for options (Pd: `-detach N`, `-latest`, `-queue N`, `-watch`
//! anywhere in the arguments) into an [`Options`], which the runtime
//! messages `detach`, `latest`, `queue` and `watch` change through the same
//! validation ([`Options::set`]).
//!
//! Detached mode, as the status outlet reports it: `busy 1` when the object
//! goes from no outstanding job to some, `busy 0` when the last one is done;
//! `dropped N` for jobs refused because `N` were already outstanding (the
//! `queue` limit); `replaced N` for jobs that `latest` replaced before they
//! started; `stopped` after `stop`, then `busy 0` if jobs were outstanding:
//! `stop` drops the jobs not started, interrupts the running one and
//! abandons it (see [`crate::detach::jobs`]), so the next call starts at once even
//! while that one is still blocked in C code; whatever it still sends is
//! dropped.

use crate::call_lock::CallLock;
use crate::context::Context;
use crate::context::{self as registry, Recipient, Work};
use crate::detach::jobs::{JobKind, JobQueue, Pushed};
use crate::detach::marshal::Delivery;
use crate::detach::pool::{self, Task};
use crate::host::{Host, Outlets, Port};
use crate::live::{editor, watch};
use crate::out::Out;
use crate::python::console::{self, Caller};
use crate::python::convert;
use crate::python::core::Core;
use crate::python::gil;
use crate::python::runtime;
use crate::usb::script::{self as usb_script, DeviceRun};
use options::join;
use pyrus_atoms::{Atom, Message, Numbers};
use std::borrow::Cow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

mod control;
pub(crate) mod options;
pub use options::{Detach, OptionName, OptionSet, Options, UsbOptions, DEFAULT_QUEUE, OWN, RESERVED};

/// A `[pyrus]` object as the engine sees it.
///
/// # Threading
/// `Send + Sync`: a host may call it from any of its host threads (Max's
/// main and scheduler threads), even two at once, and drop it on any.
/// Synchronous calls (`detach 0`) run one at a time per object, each
/// depth-first on the thread that delivered it: the object's call lock
/// (`call_lock`) serialises them, taken after the GIL; a thread that finds
/// it held waits with the GIL released, so a lock holder waiting for the
/// GIL always gets it (no thread waits for a call lock holding the GIL),
/// and a wait cycle between two threads (X -> Y on one, Y -> X on the
/// other) lends the object instead of deadlocking. A host that runs engine
/// code on one thread only ([`Host::one_thread`], Pd) skips the lock, whose
/// work its one thread does by nature. Re-entrant on one
/// thread: a message sent out of an outlet may come straight back in
/// through the patch while a call is running. In `detach 1|2` a message
/// touches only atomics and O(1) mutexes (the job queue, the pool's fifo),
/// no call lock, no Python: it becomes a job of plain Rust data.
pub struct Object {
    inner: Arc<Inner>,
}

struct Inner {
    core: Arc<Core>,
    /// The caller of the object's synchronous calls: its outlets and its
    /// context's host, directly.
    caller: Caller,
    queue: Arc<JobQueue>,
    weak: Weak<Inner>,
    /// One synchronous call at a time (see [`Object`]); not taken when
    /// the host runs engine code on one thread only ([`Host::one_thread`]).
    lock: CallLock,
    serialise: bool,
    /// The options read on every message, each its own atomic (see
    /// [`Inner::options`]); whether the object watches is `Core::watching`.
    detach: AtomicU8,
    latest: AtomicBool,
    limit: AtomicUsize,
    /// Held while a runtime message changes an option, so that two host
    /// threads' changes of different options never undo each other.
    setting: Mutex<()>,
    /// Jobs submitted and not yet reported done.
    outstanding: AtomicUsize,
    /// Refused and replaced jobs not yet reported.
    dropped: AtomicU64,
    replaced: AtomicU64,
}

impl Object {
    /// Creates an object of context `ctx`, which speaks through `outlets`,
    /// for `target`: a dotted Python name and the arguments bound in front
    /// of every message's (empty: an interpreter with an empty namespace),
    /// with `options` the host read from its own syntax. Errors in the
    /// target are reported through `outlets` (console) and the status
    /// outlet; the object is created all the same.
    ///
    /// The interpreter must have been started with [`runtime::start`].
    pub fn new(
        ctx: &Context,
        outlets: Arc<dyn Outlets>,
        target: &[Atom<'_>],
        options: Options,
        patch_dir: Option<&Path>,
    ) -> Object {
        debug_assert!(runtime::is_started(), "runtime::start must run first");
        let (path, leading) = split_target(target, &*outlets);
        let id = registry::next_id();
        // Until it is registered, with its outlets made, what it says waits:
        // another host thread may service the context meanwhile (Max).
        let _creating = ctx.creating(id);
        let numbers = ctx.host().numbers();
        let core = Arc::new(Core::new(id, numbers, path, leading, patch_dir));
        crate::python::core::register_core(ctx, &core);
        // Resolving the target decides the object's inlets and outlets (a
        // class says how many), so it happens here, on the host thread,
        // in every mode: creating an object imports its module now.
        // The outlets are made only once the shape is known: what leaves
        // them meanwhile (`__init__`'s `self.out`, a status error) waits in
        // the mailbox (and, met by a service, in the context) until then.
        {
            let creating = Out::Creating { ctx: ctx.clone(), outlets: outlets.clone(), id };
            let early = Caller { out: creating, data_outlets: None, id, numbers };
            gil::sync_call(ctx, Some(id), |py| console::call_as(&early, || core.init(py, &early.out)));
        }
        core.created();
        let data_outlets = Some(core.shape().outlets);
        outlets.create(core.shape().outlets + 1);
        let inner = Arc::new_cyclic(|weak| Inner {
            caller: Caller { out: Out::Direct { ctx: ctx.clone(), outlets }, data_outlets, id, numbers },
            queue: Arc::new(JobQueue::new(core.clone(), ctx.clone())),
            core,
            weak: weak.clone(),
            lock: CallLock::new(),
            serialise: !ctx.host().one_thread(),
            detach: AtomicU8::new(options.detach as u8),
            latest: AtomicBool::new(options.latest),
            limit: AtomicUsize::new(options.queue),
            setting: Mutex::new(()),
            outstanding: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            replaced: AtomicU64::new(0),
        });
        let weak: Weak<dyn Recipient> = inner.weak.clone();
        ctx.register(id, weak);
        if options.watch {
            inner.set_watch(true);
        }
        Object { inner }
    }

    /// Number of inlets the host must create (the leftmost included).
    pub fn inlet_count(&self) -> usize {
        self.inner.core.shape().inlets
    }

    /// Number of outlets (made through [`Outlets::create`] at creation); the
    /// last one is the status outlet.
    pub fn outlet_count(&self) -> usize {
        self.inner.core.shape().outlets + 1
    }

    /// What port `index` (0 is the leftmost) is for, in a line of words: a
    /// class's `inlet_help`/`outlet_help`, or the first docstring lines of
    /// its `in_N_*` methods; a function's name and docstring; the messages
    /// of an interpreter; what the status outlet reports. Empty past the
    /// last port. Reads plain data (no Python): any host thread.
    pub fn describe(&self, port: Port, index: usize) -> String {
        let core = &self.inner.core;
        let text = match port {
            Port::Inlet => core.inlet_assist(index),
            Port::Outlet => core.outlet_assist(index),
        };
        text.unwrap_or_default()
    }

    /// The script files the target comes from, its own module's first, then
    /// those of the local modules it uses: what `watch` follows.
    pub fn script_files(&self) -> Vec<std::path::PathBuf> {
        self.inner.core.files().into_iter().map(|(file, _)| file).collect()
    }

    /// Where calls run now.
    pub fn detach(&self) -> Detach {
        self.inner.detach()
    }

    /// Handles one message arriving at an inlet (0 is the leftmost). The
    /// object's own messages ([`RESERVED`]) count at the left inlet only,
    /// unless its class defines a method for the word ([`OWN`] reaches them
    /// always). Deciding that reads plain data cached when the class was
    /// bound: no Python here in detached mode.
    ///
    /// # Threading
    /// Any host thread of the object's context (see [`Object`]).
    #[inline] // into the host's entry points: it only picks the path
    pub fn message(&self, inlet: usize, message: &Message<'_>) {
        let inner = &self.inner;
        if let (0, Message::Anything(selector, args)) = (inlet, message) {
            if selector == OWN {
                return inner.own(args);
            }
            if let Some(word) = RESERVED.iter().position(|w| w == selector) {
                if !inner.core.class_takes(word) {
                    return inner.command(RESERVED[word], args);
                }
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
        inner.ctx().unregister(inner.core.id);
        watch::unwatch(inner.core.id);
        usb_script::owner_gone(inner.core.id);
        crate::clocks::owner_gone(inner.ctx(), inner.core.id);
        for _ in 0..inner.queue.clear_all() {
            inner.ctx().producer_end();
        }
        pool::interrupt(inner.core.id, u64::MAX);
        match inner.detach() {
            Detach::Sync => inner.sync(|py, out| inner.core.close(py, out)),
            mode => {
                if inner.core.instance_exists() {
                    inner.ctx().producer_begin();
                    inner.queue.push(JobKind::Close, false);
                    inner.schedule(mode);
                }
            }
        }
        inner.queue.deleted.store(true, Ordering::Release);
    }
}

impl Inner {
    fn ctx(&self) -> &Context {
        &self.queue.ctx
    }

    fn host(&self) -> &dyn Host {
        self.queue.ctx.host()
    }

    fn out(&self) -> &Out {
        &self.caller.out
    }

    fn detach(&self) -> Detach {
        match self.detach.load(Ordering::Relaxed) {
            0 => Detach::Sync,
            1 => Detach::Serial,
            _ => Detach::Concurrent,
        }
    }

    /// Runs `f` here and now, attached to Python under this thread's lease,
    /// inside the object's call lock, with this object as the current
    /// caller of `pyrus.*`.
    fn sync(&self, f: impl FnOnce(pyo3::Python<'_>, &Out)) {
        gil::sync_call_as(self.ctx(), Some(self.core.id), &self.caller, |py| {
            // The GIL first, then the lock: a thread that must wait for the
            // lock waits with the GIL released (see `Object`).
            let _one = self.serialise.then(|| self.lock.enter(|block| py.detach(block)));
            debug_assert!(!self.serialise || self.lock.held_by_me(), "one call at a time: this thread runs the call");
            f(py, &self.caller.out)
        })
    }

    /// `pyrus WORD ARGS...`: the object's own command `WORD`.
    fn own(&self, args: &[Atom<'_>]) {
        match args.split_first() {
            Some((Atom::Symbol(word), rest)) if RESERVED.contains(&word.as_ref()) => self.command(word, rest),
            _ => self.bad_argument(&format!(
                "'{}' is not one of the object's own messages: {OWN} takes one of {} and its arguments",
                join(&[&[Atom::Symbol(Cow::Borrowed(OWN))], args].concat()),
                RESERVED.join(", ")
            )),
        }
    }

    /// The object's own command `word` (one of [`RESERVED`]), its arguments
    /// checked here (no Python needed to say they are wrong).
    fn command(&self, word: &str, args: &[Atom<'_>]) {
        let checked = match word {
            "detach" | "queue" | "latest" | "watch" => return self.set_option(word, args),
            "stop" | "open" if !args.is_empty() => Err(format!("{word} takes no arguments, not '{}'", join(args))),
            "stop" => return self.stop(),
            "open" => return self.open(),
            "import" if args.is_empty() => Err("import takes one or more module names: import MODULE...".to_owned()),
            "import" => match args.iter().find(|a| a.as_symbol().is_none()) {
                Some(number) => Err(format!("import takes module names, not the number {number}")),
                None => Ok(()),
            },
            "load" if args.is_empty() => Err("load takes a file: load FILE.py (relative to the patch)".to_owned()),
            "eval" if args.is_empty() => Err("eval takes an expression: eval EXPR...".to_owned()),
            "exec" if args.is_empty() => Err("exec takes code: exec STATEMENTS...".to_owned()),
            "eval" | "exec" => {
                self.warn_rounded(word, args);
                Ok(())
            }
            "call" if args.first().and_then(Atom::as_symbol).is_none() => {
                Err("call takes a function name, then its arguments: call NAME ARGS...".to_owned())
            }
            _ => Ok(()),
        };
        match checked {
            Ok(()) => {
                // The canonical form of an own Python message, which
                // `Core::handle` takes whatever the class defines.
                let mut atoms = vec![Atom::Symbol(Cow::Borrowed(word))];
                atoms.extend(args.iter().cloned());
                self.run(0, &Message::Anything(Cow::Borrowed(OWN), Cow::Owned(atoms)));
            }
            Err(why) => self.bad_argument(&why),
        }
    }

    /// Says which numbers in code text likely lost digits on their way here
    /// (the host's floats hold fewer than were typed); the code runs anyway.
    /// A host with ints keeps every int typed, and its floats are Python's.
    fn warn_rounded(&self, word: &str, args: &[Atom<'_>]) {
        let Numbers::Floats { mantissa_bits: bits } = self.core.numbers else { return };
        let rounded = convert::rounded_numbers(args, bits);
        if rounded.is_empty() {
            return;
        }
        self.host().post(&format!(
            "pyrus: warning: {word} {}: {} may not be what was typed: numbers in messages keep {bits} bits of \
             precision here (about {} significant digits, whole numbers exact up to {}); to keep every digit, \
             write the number as text in the code: int('123456789'), float('3.14159265358979')",
            join(args),
            rounded.join(", "),
            (f64::from(bits) * std::f64::consts::LOG10_2) as u32,
            2u64.pow(bits.min(63))
        ));
    }

    /// Handles a message where this object's calls run.
    #[inline]
    fn run(&self, inlet: usize, message: &Message<'_>) {
        match self.detach() {
            Detach::Sync => self.sync(|py, out| self.core.handle(py, out, inlet, message)),
            Detach::Serial | Detach::Concurrent => self.submit(JobKind::Message(inlet, message.clone().into_owned())),
        }
    }

    /// Makes sure a worker will take the queue's next job.
    fn schedule(&self, mode: Detach) {
        if mode == Detach::Concurrent {
            pool::submit(Task::Concurrent(self.queue.clone(), self.queue.run()));
        } else if let Some(run) = self.queue.take_token() {
            pool::submit(Task::Serial(self.queue.clone(), run));
        }
    }

    fn submit(&self, job: JobKind) {
        // A place among the outstanding jobs, taken before the job is
        // queued (two host threads may submit at once), given back if the
        // job replaced one.
        let limit = self.limit.load(Ordering::Relaxed);
        let before =
            self.outstanding.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1));
        let Ok(before) = before else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            self.mark_dirty();
            return;
        };
        self.ctx().note_time();
        match self.queue.push(job, self.latest.load(Ordering::Relaxed)) {
            Pushed::Replaced => {
                self.outstanding.fetch_sub(1, Ordering::AcqRel);
                self.replaced.fetch_add(1, Ordering::Relaxed);
                self.mark_dirty();
            }
            Pushed::Queued => self.counted(before),
        }
    }

    /// A job was queued outside the limit (a rebind, a device's events):
    /// count it, and make sure a worker will run it.
    fn queued(&self) {
        self.counted(self.outstanding.fetch_add(1, Ordering::AcqRel));
    }

    /// A job was queued and counted, `before` being outstanding before it.
    fn counted(&self, before: usize) {
        self.ctx().producer_begin();
        if before == 0 {
            self.status("busy", &[Atom::Int(1)]);
        }
        self.schedule(self.detach());
        // Poll for results each tick while jobs are out.
        self.host().request_service();
    }

    /// Drops the calls not started and abandons the running ones: every job
    /// outstanding now but a kept rebind is done as far as the object is
    /// concerned.
    fn stop(&self) {
        let (dropped, kept) = self.queue.abandon();
        for _ in 0..dropped {
            self.ctx().producer_end();
        }
        pool::interrupt(self.core.id, self.queue.run());
        self.status("stopped", &[]);
        self.job_done(self.outstanding.load(Ordering::Acquire).saturating_sub(kept));
        // The old run's tasks are void: the kept rebinds need the new run's.
        for _ in 0..kept {
            self.schedule(self.detach());
        }
    }

    /// `n` jobs ended (ran, or were dropped before starting).
    fn job_done(&self, n: usize) {
        if n == 0 {
            return;
        }
        let update = |left: usize| Some(left.saturating_sub(n));
        let before = self.outstanding.fetch_update(Ordering::AcqRel, Ordering::Acquire, update);
        if before.is_ok_and(|before| before <= n) {
            self.status("busy", &[Atom::Int(0)]);
        }
    }

    /// The options now (`watch` as the object watches).
    fn options(&self) -> Options {
        Options {
            detach: self.detach(),
            queue: self.limit.load(Ordering::Relaxed),
            latest: self.latest.load(Ordering::Relaxed),
            watch: self.core.watching.load(Ordering::Acquire),
        }
    }

    /// The runtime message for option `name`: validated as at creation.
    fn set_option(&self, name: &str, value: &[Atom<'_>]) {
        let changed = {
            let _setting = crate::sync::lock(&self.setting);
            let mut options = self.options();
            let changed = options.set(name, value).map(|()| options);
            if let Ok(options) = changed {
                self.detach.store(options.detach as u8, Ordering::Relaxed);
                self.limit.store(options.queue, Ordering::Relaxed);
                self.latest.store(options.latest, Ordering::Relaxed);
            }
            changed
        };
        match changed {
            Err(why) => self.bad_argument(&why),
            Ok(options) if name == "watch" => self.set_watch(options.watch),
            Ok(_) => {}
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
        if let Err(e) = watch::watch(self.ctx(), self.core.id, files) {
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
        self.out().error(&format!("pyrus: {why}"));
        crate::python::report::status_error(self.out(), self.core.status(), "ValueError", why);
    }

    fn status(&self, what: &str, args: &[Atom<'_>]) {
        let message = Message::Anything(Cow::Borrowed(what), Cow::Borrowed(args));
        self.out().outlet(self.core.status(), &message);
    }

    fn mark_dirty(&self) {
        let weak: Weak<dyn Recipient> = self.weak.clone();
        self.ctx().mark_dirty(weak);
        self.host().request_service();
    }
}

impl Recipient for Inner {
    fn deliver(&self, delivery: Delivery) {
        let Some(delivery) = self.out().carry(self.core.status(), delivery) else { return };
        match delivery {
            Delivery::Outlet(..) | Delivery::Post(_) | Delivery::Error(_) | Delivery::Send(..) => {} // carried
            // The end of a job that `stop` abandoned was counted then.
            Delivery::JobDone(run) => {
                if run == self.queue.run() {
                    self.job_done(1);
                }
            }
            Delivery::Rebind => self.rebind(),
            // For no object: the context carries it out (`crate::clocks`).
            Delivery::Hooks => {}
            Delivery::Reload(module) => {
                // A module it uses changed: reload that first, then its own
                // (the object's own reload, whatever its class defines).
                if self.core.module_name().as_deref() != Some(module.as_str()) {
                    self.command("reload", &[Atom::Symbol(Cow::Owned(module))]);
                }
                self.command("reload", &[]);
            }
        }
    }

    /// Resolves the target again where this object's calls run: here, with
    /// this object as the caller, or as a job on its worker. Like a device
    /// job, never refused nor replaced.
    fn rebind(&self) {
        match self.detach() {
            Detach::Sync => self.sync(|py, out| self.core.rebind(py, out)),
            Detach::Serial | Detach::Concurrent => {
                self.queue.push(JobKind::Rebind, false);
                self.queued();
            }
        }
    }

    /// Runs the device's callback where this object's calls run. A device
    /// job is never refused nor replaced: its events wait in the device's
    /// own bounded queue, which counts what it drops.
    fn run(&self, work: Work) {
        // The work an object is handed: its script devices' events, and its
        // scripts' clocks and receivers firing (a message is a call: under
        // the `-queue` limit; a timer coalesces instead).
        let work = match work.downcast::<crate::clocks::Fire>() {
            Ok(fire) => {
                return match self.detach() {
                    Detach::Sync => self.sync(|py, out| fire.run(py, out, self.core.status())),
                    _ if fire.is_message() => self.submit(JobKind::Fire(*fire)),
                    _ => {
                        self.queue.push(JobKind::Fire(*fire), false);
                        self.queued();
                    }
                };
            }
            Err(work) => work,
        };
        let Ok(device) = work.downcast::<DeviceRun>() else { return };
        let device = *device;
        match self.detach() {
            Detach::Sync => self.sync(|py, out| device.run(py, out, self.core.status())),
            Detach::Serial | Detach::Concurrent => {
                self.queue.push(JobKind::Device(device), false);
                self.queued();
            }
        }
    }

    fn flush(&self) {
        for (what, count) in [("dropped", &self.dropped), ("replaced", &self.replaced)] {
            let n = count.swap(0, Ordering::Relaxed);
            if n > 0 {
                self.status(what, &[Atom::Int(i64::try_from(n).unwrap_or(i64::MAX))]);
            }
        }
    }
}

/// The target's dotted name and its leading arguments; a number where the
/// name belongs is reported, and the object has no name then.
fn split_target(target: &[Atom<'_>], outlets: &dyn Outlets) -> (Option<String>, Vec<pyrus_atoms::OwnedAtom>) {
    let leading = |rest: &[Atom<'_>]| rest.iter().cloned().map(Atom::into_owned).collect();
    match target.split_first() {
        Some((Atom::Symbol(name), rest)) => (Some(name.to_string()), leading(rest)),
        Some((number, rest)) => {
            outlets
                .error(&format!("pyrus: the first argument must be a Python name, not the number {number}; ignored"));
            (None, leading(rest))
        }
        None => (None, Vec::new()),
    }
}
