//! `[pyrus~]`: audio in Python without the host's audio thread ever
//! waiting for Python or touching it.
//!
//! A [`SignalObject`] is one `[pyrus~ MODULE.CLASS ARGS...]`: an instance of
//! a `pyrus.Signal` subclass, made on the creating host thread (its module
//! is imported there, as class mode does), and its own audio worker thread
//! (`pyrus-audio-N`, normal priority; see `worker`) that calls the instance's
//! `process(ins, outs)` on numpy arrays (one row per channel, `float32` for
//! `f32` samples, `float64` for `f64`) made once per `dsp()` and reused for
//! every block.
//!
//! Each `dsp()` (DSP on, or a new block size or sample rate) makes two
//! lock-free SPSC rings (`rings`) and hands the audio thread its half, a
//! [`Perform`]: [`Perform::run`] copies the input block into one ring and
//! takes the output block due now from the other, and nothing else: no
//! system call either while the worker keeps up, as the worker wakes on its
//! own timer and is unparked only when behind (`worker` says why). The
//! latency is fixed: `-latency N` host blocks (default
//! [`DEFAULT_LATENCY`]), plus, with `-block N` (samples, a multiple of the
//! host block: `process` sees `N`-sample chunks), the `N / block - 1` host
//! blocks a chunk needs to fill: `latency` answers `latency SAMPLES` =
//! `(latency + N / block - 1) * block`. An impulse in at sample `t` comes
//! out at `t + SAMPLES`, every time: a block the worker makes too late is
//! dropped, never delays the next.
//!
//! When the worker is late, the block is silence (or, with `-hold`, the
//! last good block) and counted by the audio thread (an atomic); the worker
//! notices the count when it next wakes (so a `process` blocked for good
//! delays the report until it returns) and asks the context's service,
//! which sends `underrun N` (the late blocks since the last report) out of
//! the status outlet on a host thread, at most once a second
//! ([`REPORT_EVERY`]). Blocks a host runs back to back beyond the latency
//! are late whatever the worker does (their input came in the same burst):
//! the worker measures the bursts (`rings::Bursts`), and the first report
//! after a `dsp()` whose bursts exceed the latency says so in the console,
//! with the `-latency` that covers them. After a slow block the worker catches up: a chunk
//! whose blocks are all past due is skipped without calling `process`. A
//! `process` that raises is reported once (traceback in the console,
//! `error <Type> ...` on the status outlet), its block is silence, and it
//! is reported again only after a block that worked.
//!
//! Messages never run Python on a host thread: the class's methods (class
//! mode's `in_N_SELECTOR` naming), `reload` and the object's Python words
//! (`eval`, `exec`, ...) run on the audio worker between two blocks, in the
//! order they came; what they send is marshalled as a detached object's is.
//! `latency` is answered at once, on the host thread. `-watch` (or `watch
//! 1`) reloads when the class's script, or a local module it uses, is saved,
//! as `[pyrus]`'s does; the reload runs on the worker like `reload`.
//! `[pyrus]`'s other own words (`detach`, `latest`, `queue`, `stop`,
//! `open`) are refused with why, unless the class takes them.
//!
//! The script's clocks and receivers (`pyrus.after/every/receive`, see
//! `crate::clocks`) belong to the object: a firing is handed to it as the
//! clocks module's `Fire` ([`Recipient::run`]) and becomes a job like a
//! message (`Job::Fire`; a receiver's message counts against
//! [`MOST_JOBS`], a timer's run coalesces instead), run on the worker as a
//! call of the object, its output marshalled. The drop frees them at once
//! (`clocks::owner_gone`); a reload, run on the worker, ends the old code's
//! through the service, as for a detached `[pyrus]`.
//!
//! # Threading
//! [`SignalObject`]: host threads of its context (`Send + Sync`).
//! [`Perform`]: the host's audio thread. The worker: its own thread,
//! attached to Python while it handles a message or a block. Joined when
//! the object is dropped and at [`crate::shut_down`], by a deadline.

mod rings;
mod worker;

pub use rings::Perform;

use crate::context::{self as registry, Context, Recipient};
use crate::detach::marshal::Delivery;
use crate::host::Outlets;
use crate::object::options::{join, OWN, PYTHON_MESSAGES, RESERVED};
use crate::out::Out;
use crate::python::console::{self, Caller};
use crate::python::core::Core;
use crate::python::gil;
use crate::python::report;
use crate::sync::lock;
use pyrus_atoms::{Atom, Message, OwnedMessage};
use rings::{Counters, Layout};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

/// The host blocks of latency without `-latency`.
pub const DEFAULT_LATENCY: usize = 2;

/// The most `-latency` takes.
pub const MOST_LATENCY: usize = 64;

/// The most signal inlets or outlets a class may declare.
pub const MAX_CHANNELS: usize = 64;

/// The most messages waiting for the worker; more are dropped (counted).
pub const MOST_JOBS: usize = 4096;

/// How long a drop waits for the worker (a `process` stuck in C code keeps
/// it: it is then left to end on its own).
pub const DROP_DEADLINE: Duration = Duration::from_millis(500);

/// The shortest time between two `underrun N` reports of one object.
pub const REPORT_EVERY: Duration = Duration::from_secs(1);

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A host's sample: `f32` (Pd's 32-bit build), `f64` (Pd64, Max).
pub trait Sample: Copy + Default + Send + Sync + 'static + sealed::Sealed {
    /// numpy's name for it: the dtype of `process`'s arrays.
    const DTYPE: &'static str;
}

impl Sample for f32 {
    const DTYPE: &'static str = "float32";
}

impl Sample for f64 {
    const DTYPE: &'static str = "float64";
}

// What the hosts rely on: the object on any host thread, the perform half
// moved to the audio thread.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    const fn send<T: Send>() {}
    send_sync::<SignalObject<f32>>();
    send_sync::<SignalObject<f64>>();
    send::<Perform<f32>>();
    send::<Perform<f64>>();
};

/// The options of `[pyrus~]`, read from its creation arguments.
#[derive(Clone, Copy, Debug, PartialEq)]
struct SignalOptions {
    latency: usize,
    /// `-block N`: samples per `process` call; None: the host block.
    chunk: Option<usize>,
    hold: bool,
    /// `-watch`: reload when the class's script (or a local module it uses) is saved.
    watch: bool,
}

/// One `[pyrus~]` (see the module docs).
///
/// # Threading
/// `Send + Sync`: any host thread of its context, and dropped on one.
pub struct SignalObject<S: Sample> {
    shared: Arc<Shared<S>>,
}

/// What a message asks the worker to do, between two blocks.
enum Job {
    /// A message at an inlet, as `Core::handle` takes it (own Python words
    /// in their `pyrus WORD ...` form).
    Message(usize, OwnedMessage),
    /// Another object reloaded the module of the class: bind it again.
    Rebind,
    /// One of its scripts' clocks or receivers fired (`crate::clocks`).
    Fire(crate::clocks::Fire),
}

/// The object's state that host threads and the worker share.
struct Shared<S: Sample> {
    ctx: Context,
    core: Arc<Core>,
    outlets: Arc<dyn Outlets>,
    options: SignalOptions,
    signal_ins: usize,
    signal_outs: usize,
    weak: Weak<Shared<S>>,
    /// Messages for the worker, oldest first.
    jobs: Mutex<VecDeque<Job>>,
    /// The worker's half of the rings of the latest `dsp()`, until it takes it.
    next: Mutex<Option<rings::WorkerRings<S>>>,
    /// The layout of the latest `dsp()`, for `latency`.
    layout: Mutex<Option<Layout>>,
    counters: Arc<Counters>,
    /// Underruns reported so far, and when the last report was.
    reported: Mutex<(u64, Option<Instant>)>,
    /// Messages refused since the last report: the worker had [`MOST_JOBS`].
    dropped: AtomicU64,
    /// A report is asked for (the object is marked dirty) and not yet made.
    report_pending: AtomicBool,
    /// The object is gone (dropped, or the engine shut down): the worker
    /// ends, and nothing more reaches the host's outlets, which may be
    /// freed while a worker stuck in C code still holds this.
    quit: AtomicBool,
    /// The worker is attached to Python, running a message or a block.
    in_python: AtomicBool,
    /// The worker's handle, to unpark it, and its join handle (taken by
    /// the drop or by the engine's shut-down, whichever comes first).
    thread: Mutex<Option<Thread>>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

/// Every object's shared state, for [`shut_down`].
static LIVE: Mutex<Vec<Weak<dyn Worker>>> = Mutex::new(Vec::new());

/// What [`shut_down`] needs of an object, whatever its sample type.
trait Worker: Send + Sync {
    /// Tells the worker to end; hands back its thread, if not taken yet.
    fn end(&self) -> Option<JoinHandle<()>>;
}

impl<S: Sample> SignalObject<S> {
    /// Makes a `[pyrus~]` of `context`, which speaks through `outlets`.
    /// `args`: `MODULE.CLASS`, then its options (`-latency N`, `-block N`,
    /// `-hold`), then the class's own arguments. Loads the class (a
    /// `pyrus.Signal` subclass) and makes its instance here, starts its audio
    /// worker, and makes the control outlets (the class's, then the status
    /// outlet) through [`Outlets::create`], as [`crate::Object::new`] does.
    /// An error (no such class, not a `pyrus.Signal`, no numpy, a bad
    /// option) is in the console and the result: the host makes no object.
    pub fn new(context: &'static Context, outlets: Arc<dyn Outlets>, args: &[Atom<'_>]) -> Result<Self, String> {
        Self::with_patch_dir(context, outlets, args, None)
    }

    /// [`SignalObject::new`], with the patch's folder put on `sys.path`
    /// first (as [`crate::Object::new`] does), for scripts beside the patch.
    pub fn with_patch_dir(
        context: &Context,
        outlets: Arc<dyn Outlets>,
        args: &[Atom<'_>],
        patch_dir: Option<&Path>,
    ) -> Result<Self, String> {
        fn fail<T>(outlets: &dyn Outlets, why: String) -> Result<T, String> {
            outlets.error(&format!("pyrus~: {why}"));
            Err(why)
        }
        let Some((Atom::Symbol(name), rest)) = args.split_first() else {
            return fail(&*outlets, "pyrus~ takes a class first: [pyrus~ MODULE.CLASS ARGS...]".into());
        };
        let (options, leading) = match parse_options(rest) {
            Ok(parsed) => parsed,
            Err(why) => return fail(&*outlets, why),
        };
        let ctx = context.clone();
        let id = registry::next_id();
        let _creating = ctx.creating(id);
        let numbers = ctx.host().numbers();
        let core = Arc::new(Core::new(id, numbers, Some(name.to_string()), leading, patch_dir));
        crate::python::core::register_core(&ctx, &core);
        let early = Caller {
            out: Out::Creating { ctx: ctx.clone(), outlets: outlets.clone(), id },
            data_outlets: None,
            id,
            numbers,
        };
        let ports = gil::sync_call(&ctx, Some(id), |py| {
            console::call_as(&early, || {
                core.init(py, &early.out);
                worker::signal_ports(py, &core)
            })
        });
        let (signal_ins, signal_outs) = match ports {
            Ok(ports) => ports,
            Err(why) => return fail(&*outlets, format!("{name}: {why}")),
        };
        core.created();
        outlets.create(core.shape().outlets + 1);
        let shared = Arc::new_cyclic(|weak| Shared {
            ctx: ctx.clone(),
            core,
            outlets,
            options,
            signal_ins,
            signal_outs,
            weak: weak.clone(),
            jobs: Mutex::new(VecDeque::new()),
            next: Mutex::new(None),
            layout: Mutex::new(None),
            counters: Arc::new(Counters::default()),
            reported: Mutex::new((0, None)),
            dropped: AtomicU64::new(0),
            report_pending: AtomicBool::new(false),
            quit: AtomicBool::new(false),
            in_python: AtomicBool::new(false),
            thread: Mutex::new(None),
            handle: Mutex::new(None),
        });
        let worker = shared.clone();
        let spawned = crate::context::spawn(format!("pyrus-audio-{id}"), move || worker::run(worker));
        let handle = match spawned {
            Ok(handle) => handle,
            Err(e) => return fail(&*shared.outlets, format!("no audio worker thread: {e}")),
        };
        *lock(&shared.thread) = Some(handle.thread().clone());
        *lock(&shared.handle) = Some(handle);
        let recipient: Weak<dyn Recipient> = shared.weak.clone();
        ctx.register(id, recipient);
        if options.watch {
            shared.set_watch(true);
        }
        let worker: Weak<dyn Worker> = shared.weak.clone();
        let mut live = lock(&LIVE);
        live.retain(|w| w.strong_count() > 0);
        live.push(worker);
        drop(live);
        Ok(SignalObject { shared })
    }

    /// Signal inlets, as the class declared (`signal_inlets`, at least 1:
    /// Pd's main signal inlet).
    pub fn signal_inlets(&self) -> usize {
        self.shared.signal_ins
    }

    /// Signal outlets, as the class declared (`signal_outlets`).
    pub fn signal_outlets(&self) -> usize {
        self.shared.signal_outs
    }

    /// Control inlets beyond the first (the class's `inlets` - 1).
    pub fn control_inlets(&self) -> usize {
        self.shared.core.shape().inlets - 1
    }

    /// Control outlets made through [`Outlets::create`]: the class's
    /// `outlets`, then the status outlet.
    pub fn control_outlets(&self) -> usize {
        self.shared.core.shape().outlets + 1
    }

    /// A control message at inlet `inlet`: the object's own words at the
    /// left inlet (`latency`, answered here; `reload` and the Python words,
    /// on the worker), else the class's methods, which the worker calls
    /// between two blocks, in order. No Python here.
    ///
    /// # Threading
    /// Any host thread of the object's context.
    pub fn message(&self, inlet: usize, message: &Message<'_>) {
        let shared = &self.shared;
        if let (0, Message::Anything(selector, args)) = (inlet, message) {
            let own = match selector.as_ref() {
                OWN => match args.split_first() {
                    Some((Atom::Symbol(word), rest)) => Some((word.as_ref(), rest)),
                    _ => {
                        return shared.bad_argument(&format!(
                            "{OWN} takes one of the object's own words: {}",
                            OWN_WORDS.join(", ")
                        ))
                    }
                },
                // [pyrus]'s words that pyrus~ does not take (detach, stop...)
                // are refused with why, unless the class takes them.
                word if (OWN_WORDS.contains(&word) || RESERVED.contains(&word)) && !shared.class_takes(word) => {
                    Some((word, &args[..]))
                }
                _ => None,
            };
            if let Some((word, rest)) = own {
                return shared.command(word, rest);
            }
        }
        shared.push(Job::Message(inlet, message.clone().into_owned()));
    }

    /// DSP starts or changes (Pd's `dsp` method, Max's `dsp64`): new rings
    /// and arrays for host blocks of `block` samples at `sample_rate`. The
    /// worker takes them between two blocks. The host drops the previous
    /// [`Perform`], if any, before or after, never while it runs.
    ///
    /// # Threading
    /// A host thread of the object's context, with that DSP off or being
    /// rebuilt.
    pub fn dsp(&self, block: usize, sample_rate: f64) -> Perform<S> {
        let shared = &self.shared;
        let block = block.max(1);
        let chunk = match shared.options.chunk {
            Some(samples) if samples % block == 0 && samples >= block => samples / block,
            Some(samples) => {
                shared.bad_argument(&format!(
                    "-block {samples} is not a multiple of the host's block of {block} samples: \
                     process gets {block}-sample blocks"
                ));
                1
            }
            None => 1,
        };
        let layout = Layout {
            block,
            chunk,
            latency: shared.options.latency,
            ins: shared.signal_ins,
            outs: shared.signal_outs,
            rate: sample_rate,
            hold: shared.options.hold,
        };
        let thread = lock(&shared.thread).clone().expect("the worker started with the object");
        // The host's bursts are measured anew: block size and scheduling change with DSP.
        shared.counters.burst.store(0, Ordering::Relaxed);
        shared.counters.advised.store(false, Ordering::Relaxed);
        let (perform, worker_half) = rings::make(layout, shared.counters.clone(), thread.clone());
        *lock(&shared.layout) = Some(layout);
        *lock(&shared.next) = Some(worker_half);
        thread.unpark();
        perform
    }

    /// The latency in samples, once `dsp()` has been called.
    pub fn latency(&self) -> Option<u64> {
        lock(&self.shared.layout).map(|l| l.latency_samples())
    }
}

/// The words `[pyrus~]` takes for itself at its left inlet.
pub const OWN_WORDS: &[&str] = &["latency", "watch", "import", "eval", "exec", "load", "call", "reload"];

impl<S: Sample> Shared<S> {
    /// Whether the class has a left-inlet method for one of the object's
    /// own words (it then gets that word; `pyrus WORD` reaches the own one).
    fn class_takes(&self, word: &str) -> bool {
        RESERVED.iter().position(|w| *w == word).is_some_and(|i| self.core.class_takes(i))
    }

    fn status_index(&self) -> usize {
        self.core.status()
    }

    /// A job for the worker, which runs it between two blocks; a message
    /// (a receiver's too) beyond [`MOST_JOBS`] waiting is dropped and
    /// counted (`dropped N`).
    fn push(&self, job: Job) {
        {
            let mut jobs = lock(&self.jobs);
            let message = match &job {
                Job::Message(..) => true,
                Job::Fire(fire) => fire.is_message(),
                Job::Rebind => false,
            };
            if jobs.len() >= MOST_JOBS && message {
                drop(jobs);
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return self.to_report();
            }
            jobs.push_back(job);
        }
        self.unpark();
    }

    fn unpark(&self) {
        if let Some(thread) = lock(&self.thread).as_ref() {
            thread.unpark();
        }
    }

    fn command(&self, word: &str, args: &[Atom<'_>]) {
        match word {
            "latency" if !args.is_empty() => {
                self.bad_argument(&format!("latency takes no arguments, not '{}'", join(args)))
            }
            "latency" => match *lock(&self.layout) {
                Some(layout) => self.status("latency", Atom::Int(layout.latency_samples() as i64)),
                None => self.bad_argument(&format!(
                    "latency: not known until DSP starts (then {} host blocks, more with -block)",
                    self.options.latency
                )),
            },
            "watch" => {
                // The one rule of [pyrus]'s `watch`: nothing, 0 or 1.
                let mut options = crate::Options::default();
                match crate::OptionSet::set(&mut options, "watch", args) {
                    Ok(()) => self.set_watch(options.watch),
                    Err(why) => self.bad_argument(&why),
                }
            }
            word if PYTHON_MESSAGES.contains(&word) => {
                let mut atoms = vec![Atom::Symbol(Cow::Borrowed(word))];
                atoms.extend(args.iter().cloned());
                let message = Message::Anything(Cow::Borrowed(OWN), Cow::Owned(atoms));
                self.push(Job::Message(0, message.into_owned()));
            }
            other => self.bad_argument(&format!(
                "'{other}' is not one of pyrus~'s own words ({}); detach, latest, queue, stop and open \
                 are [pyrus]'s: pyrus~ always runs on its audio worker",
                OWN_WORDS.join(", ")
            )),
        }
    }

    /// New underruns or dropped messages: asks the context's service for a
    /// report (any thread: the worker notices underruns, a host thread
    /// drops messages; never the audio thread).
    fn to_report(&self) {
        if !self.report_pending.swap(true, Ordering::AcqRel) {
            let weak: Weak<dyn Recipient> = self.weak.clone();
            self.ctx.mark_dirty(weak);
            self.ctx.wake();
        }
    }

    /// `watch 1`: a save of the class's script (or of a local module it
    /// uses) reloads it, on the worker between two blocks (the watcher's
    /// `Reload` delivery becomes the object's own `reload`).
    fn set_watch(&self, on: bool) {
        let id = self.core.id;
        self.core.watching.store(on, Ordering::Release);
        if !on {
            return crate::live::watch::unwatch(id);
        }
        let files = self.core.files();
        if files.is_empty() {
            return self.bad_argument("watch: this object's class comes from no script file");
        }
        if let Err(e) = crate::live::watch::watch(&self.ctx, id, files) {
            self.bad_argument(&format!("watch: {e}"));
        }
    }

    /// `WORD VALUE` on the status outlet (a host thread).
    fn status(&self, word: &str, value: Atom<'_>) {
        let out = Out::Direct { ctx: self.ctx.clone(), outlets: self.outlets.clone() };
        out.outlet(self.status_index(), &Message::Anything(Cow::Borrowed(word), Cow::Owned(vec![value])));
    }

    fn bad_argument(&self, why: &str) {
        let out = Out::Direct { ctx: self.ctx.clone(), outlets: self.outlets.clone() };
        out.error(&format!("pyrus~: {why}"));
        report::status_error(&out, self.status_index(), "ValueError", why);
    }

    /// Says once per `dsp()`, in the console (a post), when blocks are late because
    /// the host runs more blocks back to back than the latency covers: the
    /// worker cannot help those (their input came in the same burst), a
    /// larger `-latency` can.
    fn advise(&self, late: u64) {
        let burst = self.counters.burst.load(Ordering::Relaxed);
        let Some(layout) = *lock(&self.layout) else { return };
        if burst <= layout.latency as u64 || self.counters.advised.swap(true, Ordering::Relaxed) {
            return;
        }
        let host = self.ctx.host().name();
        // Pd -nosound computes the blocks due after each -sleepgrain (5 ms
        // by default); with an audio device, as many as it has room for.
        let hint = match host {
            "Pd" => format!(
                " (Pd computes blocks in bursts after each -sleepgrain, or as its audio buffer empties; \
                 without an audio device, -sleepgrain {:.1} or less computes them one at a time)",
                (layout.block as f64 * 500.0 / layout.rate).max(0.1)
            ),
            _ => String::new(),
        };
        // A post, not an error: nothing failed, and the count is on the
        // status outlet already; this says why and what to do.
        let out = Out::Direct { ctx: self.ctx.clone(), outlets: self.outlets.clone() };
        out.post(&format!(
            "pyrus~: {late} block{} late: {host} computes up to {burst} blocks at a time, more than -latency {} \
             covers: the last blocks of each burst are due before their input can be processed. -latency {} or \
             more covers them{hint}",
            if late == 1 { "" } else { "s" },
            layout.latency,
            burst + 1
        ));
    }
}

impl<S: Sample> Worker for Shared<S> {
    /// Sets `quit` and unparks the worker, and has a `process` or message
    /// running now interrupted (`pyrus.Stopped`, as `stop` does a job's).
    fn end(&self) -> Option<JoinHandle<()>> {
        self.quit.store(true, Ordering::SeqCst);
        self.unpark();
        if self.in_python.load(Ordering::SeqCst) {
            crate::detach::pool::interrupt(self.core.id, u64::MAX);
        }
        lock(&self.handle).take()
    }
}

impl<S: Sample> Drop for SignalObject<S> {
    /// Ends the worker (a running `process` is interrupted as `stop`
    /// interrupts a job) and joins it for at most [`DROP_DEADLINE`], with
    /// this thread's GIL released; a worker stuck in C code is left to end
    /// on its own (it owns what it uses).
    fn drop(&mut self) {
        let shared = &self.shared;
        // First: from now on nothing reaches the outlets (see `quit`).
        shared.quit.store(true, Ordering::SeqCst);
        shared.ctx.unregister(shared.core.id);
        crate::live::watch::unwatch(shared.core.id);
        // Its clocks freed and names unbound now: nothing fires after.
        crate::clocks::owner_gone(&shared.ctx, shared.core.id);
        if shared.in_python.load(Ordering::SeqCst) {
            // The interrupt is the pool's control thread's to raise.
            crate::detach::pool::ensure_started();
        }
        if let Some(handle) = shared.end() {
            let end = Instant::now() + DROP_DEADLINE;
            gil::released(move || crate::sync::join_by(vec![handle], end));
        }
    }
}

impl<S: Sample> Recipient for Shared<S> {
    fn deliver(&self, delivery: Delivery) {
        if self.quit.load(Ordering::SeqCst) {
            return;
        }
        let out = Out::Direct { ctx: self.ctx.clone(), outlets: self.outlets.clone() };
        let Some(delivery) = out.carry(self.status_index(), delivery) else { return };
        match delivery {
            Delivery::Outlet(..) | Delivery::Post(_) | Delivery::Error(_) | Delivery::Send(..) => {} // carried
            Delivery::JobDone(_) => {}
            // For no object: the context carries it out (`crate::clocks`).
            Delivery::Hooks => {}
            Delivery::Rebind => self.rebind(),
            Delivery::Reload(module) => {
                if self.core.module_name().as_deref() != Some(module.as_str()) {
                    self.command("reload", &[Atom::Symbol(Cow::Owned(module))]);
                }
                self.command("reload", &[]);
            }
        }
    }

    /// Reports the underruns since the last report, unless one left less
    /// than [`REPORT_EVERY`] ago: then the next service comes back to it.
    fn flush(&self) {
        if self.quit.load(Ordering::SeqCst) {
            return;
        }
        self.report_pending.store(false, Ordering::Release);
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let n = Atom::Int(i64::try_from(dropped).unwrap_or(i64::MAX));
            self.status("dropped", n);
        }
        let total = self.counters.underruns.load(Ordering::Relaxed);
        let mut reported = lock(&self.reported);
        let (seen, last) = *reported;
        if total <= seen {
            return;
        }
        if last.is_some_and(|at| at.elapsed() < REPORT_EVERY) {
            // Too soon: the service comes back next tick (dirty objects keep
            // it coming), not at once (a wake would make it spin).
            drop(reported);
            self.report_pending.store(true, Ordering::Release);
            let weak: Weak<dyn Recipient> = self.weak.clone();
            self.ctx.mark_dirty(weak);
            self.ctx.host().request_service();
            return;
        }
        *reported = (total, Some(Instant::now()));
        drop(reported);
        self.status("underrun", Atom::Int(i64::try_from(total - seen).unwrap_or(i64::MAX)));
        self.advise(total - seen);
    }

    fn rebind(&self) {
        self.push(Job::Rebind);
    }

    /// One of its scripts' clocks or receivers fired (a host thread): a job
    /// for the worker, in order with its messages. A timer's run is never
    /// refused (the clocks module coalesces it while one is waiting), a
    /// receiver's message is a message.
    fn run(&self, work: crate::context::Work) {
        if let Ok(fire) = work.downcast::<crate::clocks::Fire>() {
            self.push(Job::Fire(*fire));
        }
    }
}

/// Reads `-latency N`, `-block N` and `-hold` anywhere in `args`; the rest
/// are the class's arguments.
fn parse_options(args: &[Atom<'_>]) -> Result<(SignalOptions, Vec<pyrus_atoms::OwnedAtom>), String> {
    let mut options = SignalOptions { latency: DEFAULT_LATENCY, chunk: None, hold: false, watch: false };
    let mut leading = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let whole = |what: &str, min: usize, max: usize| -> Result<usize, String> {
            let value = args.get(i + 1).and_then(Atom::as_float);
            match value {
                Some(v) if v.fract() == 0.0 && v >= min as f64 && v <= max as f64 => Ok(v as usize),
                _ => Err(format!(
                    "-{what} takes a whole number from {min} to {max}, not '{}'",
                    args.get(i + 1).map(ToString::to_string).unwrap_or_default()
                )),
            }
        };
        match args[i].as_symbol() {
            Some("-latency") => {
                options.latency = whole("latency", 1, MOST_LATENCY)?;
                i += 2;
            }
            Some("-block") => {
                options.chunk = Some(whole("block", 1, 1 << 16)?);
                i += 2;
            }
            Some("-hold") => {
                options.hold = true;
                i += 1;
            }
            // `-watch`, `-watch 1`, `-watch 0`, as [pyrus] reads it.
            Some("-watch") => {
                let value = args.get(i + 1).and_then(Atom::as_float).filter(|v| *v == 0.0 || *v == 1.0);
                options.watch = value != Some(0.0);
                i += 1 + usize::from(value.is_some());
            }
            _ => {
                leading.push(args[i].clone().into_owned());
                i += 1;
            }
        }
    }
    Ok((options, leading))
}

/// Ends every `[pyrus~]`'s worker at process exit; returns their threads for
/// [`crate::shut_down`] to join by its deadline.
pub(crate) fn shut_down() -> Vec<JoinHandle<()>> {
    let live: Vec<_> = lock(&LIVE).drain(..).filter_map(|w| w.upgrade()).collect();
    live.iter().filter_map(|w| w.end()).collect()
}
