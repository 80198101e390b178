//! One `[pyrus]` object as the host's scheduler thread sees it: the messages
//! it handles itself (`detach`, `latest`, `queue`, `stop`), and where the
//! others run: right here (`detach 0`) or on the worker pool (`detach 1|2`).
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
//! `[pyrus DOTTED.NAME ARGS...]` resolves `DOTTED.NAME` (see [`crate::resolve`]).
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
//! abandons it (see [`crate::jobs`]), so the next call starts at once even
//! while that one is still blocked in C code; whatever it still sends is
//! dropped.

use crate::core::{self as core_, join, Core};
use crate::gil;
use crate::host::Host;
use crate::jobs::{JobKind, JobQueue, Pushed};
use crate::marshal::{self, Delivery};
use crate::native::{self, Caller};
use crate::pool::{self, Task};
use crate::remote;
use crate::runtime;
use crate::service::{self, Recipient};
use crate::usb_script::{self, DeviceRun};
use crate::{convert, editor, watch};
use pyrus_atoms::{Atom, Message, Numbers};
use std::borrow::Cow;
use std::cell::Cell;
use std::path::Path;
use std::rc::{Rc, Weak};
use std::sync::atomic::Ordering;
use std::sync::Arc;

mod options;
pub use options::{OptionName, OptionSet, Options, UsbOptions};

/// The messages an object handles itself, at its left inlet, instead of
/// passing them to its target. A class that defines `in_0_WORD` for one of
/// them gets that word (its own command stays reachable as `pyrus WORD`);
/// to call a function with one of them first, send `list WORD ...`.
pub const RESERVED: &[&str] =
    &["import", "eval", "exec", "load", "call", "reload", "detach", "latest", "queue", "stop", "watch", "open"];

/// The selector that reaches the object's own command whatever its class
/// defines: `pyrus stop`, `pyrus eval 1 + 1`. No class can take it.
pub const OWN: &str = "pyrus";

/// Outstanding detached jobs an object accepts by default (the `queue` option).
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
    /// `watch` here follows the message; whether the object watches is
    /// `Core::watching`.
    options: Cell<Options>,
    /// Jobs submitted and not yet reported done.
    outstanding: Cell<usize>,
    /// Refused and replaced jobs not yet reported.
    dropped: Cell<u64>,
    replaced: Cell<u64>,
}

impl Object {
    /// Creates an object for `target`: a dotted Python name and the
    /// arguments bound in front of every message's (empty: an interpreter
    /// with an empty namespace), with `options` the host read from its own
    /// syntax. Errors in the target are reported through `host`; the object
    /// is created all the same.
    ///
    /// The interpreter must have been started with [`runtime::start`].
    pub fn new(host: Rc<dyn Host>, target: &[Atom<'_>], options: Options, patch_dir: Option<&Path>) -> Object {
        debug_assert!(runtime::is_started(), "runtime::start must run first");
        let (path, leading) = split_target(target, &*host);
        let id = service::next_id();
        let numbers = host.numbers();
        let core = Arc::new(Core::new(id, numbers, path, leading, patch_dir));
        core_::register(&core);
        // Resolving the target decides the object's inlets and outlets (a
        // class says how many), so it happens here, on the scheduler thread,
        // in every mode: creating an object imports its module now.
        // The host makes the outlets only after this returns: what leaves
        // them meanwhile (`__init__`'s `self.out`, a status error) waits in
        // the mailbox until then.
        {
            let creating: Rc<dyn Host> = Rc::new(remote::Creating { host: host.clone(), id });
            let early = Rc::new(Caller { host: creating.clone(), data_outlets: native::CREATING, id, numbers });
            remote::note_time(host.logical_time());
            gil::sync_call(&*host, Some(id), |py| {
                let _current = native::enter(&early);
                core.init(py, &*creating);
            });
        }
        core.created();
        let data_outlets = core.shape().outlets;
        let inner = Rc::new_cyclic(|weak| Inner {
            caller: Rc::new(Caller { host, data_outlets, id, numbers }),
            queue: Arc::new(JobQueue::new(core.clone())),
            core,
            weak: weak.clone(),
            options: Cell::new(options),
            outstanding: Cell::new(0),
            dropped: Cell::new(0),
            replaced: Cell::new(0),
        });
        let weak: Weak<dyn Recipient> = inner.weak.clone();
        service::register(id, weak);
        if options.watch {
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
        self.inner.detach()
    }

    /// Handles one message arriving at an inlet (0 is the leftmost). The
    /// object's own messages ([`RESERVED`]) count at the left inlet only,
    /// unless its class defines a method for the word ([`OWN`] reaches them
    /// always). Deciding that reads plain data cached when the class was
    /// bound: no Python here in detached mode.
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
        service::unregister(inner.core.id);
        watch::unwatch(inner.core.id);
        usb_script::owner_gone(inner.core.id);
        for _ in 0..inner.queue.clear_all() {
            marshal::producer_end();
        }
        pool::interrupt(inner.core.id, u64::MAX);
        match inner.detach() {
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

    fn detach(&self) -> Detach {
        self.options.get().detach
    }

    /// Runs `f` here and now, attached to Python under the scheduler
    /// thread's lease, with this object as the current caller of `pyrus.*`.
    fn sync(&self, f: impl FnOnce(pyo3::Python<'_>, &dyn Host)) {
        gil::sync_call(self.host(), Some(self.core.id), |py| {
            let _current = native::enter(&self.caller);
            f(py, self.host())
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
    fn run(&self, inlet: usize, message: &Message<'_>) {
        match self.detach() {
            Detach::Sync => self.sync(|py, host| self.core.handle(py, host, inlet, message)),
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
        let options = self.options.get();
        if self.outstanding.get() >= options.queue {
            self.dropped.set(self.dropped.get() + 1);
            self.mark_dirty();
            return;
        }
        remote::note_time(self.host().logical_time());
        match self.queue.push(job, options.latest) {
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
            marshal::producer_end();
        }
        pool::interrupt(self.core.id, self.queue.run());
        self.status("stopped", &[]);
        self.job_done(self.outstanding.get().saturating_sub(kept));
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
        let left = self.outstanding.get().saturating_sub(n);
        self.outstanding.set(left);
        if left == 0 {
            self.status("busy", &[Atom::Int(0)]);
        }
    }

    /// The runtime message for option `name`: validated as at creation.
    fn set_option(&self, name: &str, value: &[Atom<'_>]) {
        let mut options = self.options.get();
        if let Err(why) = options.set(name, value) {
            return self.bad_argument(&why);
        }
        self.options.set(options);
        if name == "watch" {
            self.set_watch(options.watch);
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
            // The end of a job that `stop` abandoned was counted then.
            Delivery::JobDone(run) => {
                if run == self.queue.run() {
                    self.job_done(1);
                }
            }
            Delivery::Rebind => self.rebind(),
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
            Detach::Sync => self.sync(|py, host| self.core.rebind(py, host)),
            Detach::Serial | Detach::Concurrent => {
                self.queue.push(JobKind::Rebind, false);
                self.queued();
            }
        }
    }

    /// Runs the device's callback where this object's calls run. A device
    /// job is never refused nor replaced: its events wait in the device's
    /// own bounded queue, which counts what it drops.
    fn device_events(&self, device: DeviceRun) {
        match self.detach() {
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
                self.status(what, &[Atom::Int(i64::try_from(n).unwrap_or(i64::MAX))]);
            }
        }
    }
}

/// The target's dotted name and its leading arguments; a number where the
/// name belongs is reported, and the object has no name then.
fn split_target(target: &[Atom<'_>], host: &dyn Host) -> (Option<String>, Vec<pyrus_atoms::OwnedAtom>) {
    let leading = |rest: &[Atom<'_>]| rest.iter().cloned().map(Atom::into_owned).collect();
    match target.split_first() {
        Some((Atom::Symbol(name), rest)) => (Some(name.to_string()), leading(rest)),
        Some((number, rest)) => {
            host.error(&format!("pyrus: the first argument must be a Python name, not the number {number}; ignored"));
            (None, leading(rest))
        }
        None => (None, Vec::new()),
    }
}
