//! A recording stand-in for an audio host, for tests of the engine and of
//! anything built on it. It is not a host: it only writes down what the
//! engine asked of it. One [`TestHost`] plays both roles of the split: the
//! host instance of a [`Context`] ([`Host`]) and the outlets of any number
//! of objects ([`Outlets`]), all recorded in one list in call order. Built
//! with the `test-host` feature only (the engine's own tests turn it on), so
//! no host links it.

use crate::context::Context;
use crate::host::{Binding, Clock, Host, NoReceiver, Outlets};
use pyrus_atoms::{Message, Numbers, OwnedMessage};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::ThreadId;
use std::time::Duration;

/// One thing the engine asked the host to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Post(String),
    Error(String),
    Outlet(usize, OwnedMessage),
    Send(String, OwnedMessage),
}

/// Records every [`Host`] and [`Outlets`] call in order. Receivers named in
/// `receivers` exist; sending to any other name fails as a real host would.
#[derive(Default)]
pub struct TestHost {
    events: Mutex<Vec<Event>>,
    /// Each `Outlets::create`: how many events came before it, and the count.
    made: Mutex<Vec<(usize, usize)>>,
    receivers: BTreeSet<String>,
    /// Logical time (f64 bits), shared with its clocks.
    time: Arc<AtomicU64>,
    /// The clocks the engine made ([`Host::clock`]), for [`TestHost::advance`].
    clocks: Mutex<Vec<Weak<ClockSlot>>>,
    /// Clock settings so far: orders clocks set for the same time, as Pd does.
    settings: Arc<AtomicU64>,
    /// The names the engine bound ([`Host::bind`]).
    bindings: Mutex<Vec<(String, Weak<BindSlot>)>>,
    /// Whether `request_service` says yes, and how often it was asked.
    serves: AtomicBool,
    requests: AtomicUsize,
    /// `wake` calls not yet waited for, and the condvar they signal.
    wakes: Mutex<usize>,
    woken: Condvar,
    /// The thread that must make every recorded call, once pinned, and the
    /// calls from any other thread.
    pinned: Mutex<Option<ThreadId>>,
    foreign: AtomicUsize,
    /// The number model it declares; floats of `f64` precision (the
    /// trait's default) unless [`TestHost::with_numbers`] says otherwise.
    numbers: Option<Numbers>,
    /// Arrays (h-array): contiguous float64 samples by name, for `pyrus.array`.
    arrays: Mutex<std::collections::HashMap<String, Box<[f64]>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TestHost {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_receivers(names: &[&str]) -> Self {
        TestHost { receivers: names.iter().map(|s| s.to_string()).collect(), ..Self::default() }
    }

    /// Makes `request_service` promise a later `service()` (which the test
    /// then calls), as Pd's clock does.
    pub fn with_service() -> Self {
        TestHost { serves: AtomicBool::new(true), ..Self::default() }
    }

    /// A host whose atoms have `numbers` (as Pd's or Max's would).
    /// Arrays (h-array): makes (or replaces) array `name` with `values`.
    pub fn set_array(&self, name: &str, values: &[f64]) {
        lock(&self.arrays).insert(name.to_owned(), values.into());
    }

    /// Arrays (h-array): array `name`'s samples, if it exists.
    pub fn array(&self, name: &str) -> Option<Vec<f64>> {
        lock(&self.arrays).get(name).map(|a| a.to_vec())
    }

    pub fn with_numbers(numbers: Numbers) -> Self {
        TestHost { numbers: Some(numbers), ..Self::default() }
    }

    /// How often the engine asked for service.
    pub fn service_requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn set_time(&self, ms: f64) {
        self.time.store(ms.to_bits(), Ordering::Relaxed);
    }

    /// Advances logical time by `ms`, ticking every clock due meanwhile in
    /// the order of their deadlines (the same deadline: in the order they
    /// were set), with the time at each one's deadline during its tick, as
    /// Pd's scheduler does. A clock a tick sets within the span ticks too.
    /// Ticks run on this thread.
    pub fn advance(&self, ms: f64) {
        let end = self.logical_time() + ms;
        loop {
            let due = lock(&self.clocks)
                .iter()
                .filter_map(Weak::upgrade)
                .filter_map(|c| lock(&c.when).filter(|(t, _)| *t <= end).map(|when| (when, c.clone())))
                .min_by(|(a, _), (b, _)| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            let Some(((at, _), clock)) = due else { break };
            *lock(&clock.when) = None;
            self.set_time(at);
            let tick = clock.tick.clone();
            drop(clock);
            tick();
        }
        self.set_time(end);
    }

    /// How many clocks are set now (made, armed and not freed).
    pub fn clocks_set(&self) -> usize {
        lock(&self.clocks).iter().filter_map(Weak::upgrade).filter(|c| lock(&c.when).is_some()).count()
    }

    /// How many names are bound now.
    pub fn bound(&self, name: &str) -> usize {
        lock(&self.bindings).iter().filter(|(n, b)| n == name && b.strong_count() > 0).count()
    }

    /// Every `Outlets::create` so far: how many events had been recorded
    /// (since the last [`TestHost::take`]) before it, and the count.
    pub fn made(&self) -> Vec<(usize, usize)> {
        lock(&self.made).clone()
    }

    /// Takes the events recorded so far.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *lock(&self.events))
    }

    /// Takes the recorded events and renders the messages of one outlet as
    /// Pd's `[print]` would show them.
    pub fn take_outlet(&self, index: usize) -> Vec<String> {
        outlet(&self.take(), index)
    }

    /// From now on every recorded call must come from this thread: the
    /// others are counted ([`TestHost::foreign_calls`]).
    pub fn pin_to_this_thread(&self) {
        *lock(&self.pinned) = Some(std::thread::current().id());
    }

    /// Recorded calls made on another thread than the pinned one.
    pub fn foreign_calls(&self) -> usize {
        self.foreign.load(Ordering::Relaxed)
    }

    /// Waits until the engine calls [`Host::wake`] (at once if it did since
    /// the last wait), at most `timeout`; says whether it did.
    pub fn wait_for_wake(&self, timeout: Duration) -> bool {
        let wakes = lock(&self.wakes);
        let (mut wakes, _) =
            self.woken.wait_timeout_while(wakes, timeout, |n| *n == 0).unwrap_or_else(|e| e.into_inner());
        let woken = *wakes > 0;
        *wakes = 0;
        woken
    }

    fn record(&self, event: Event) {
        if lock(&self.pinned).is_some_and(|t| t != std::thread::current().id()) {
            self.foreign.fetch_add(1, Ordering::Relaxed);
        }
        lock(&self.events).push(event);
    }
}

impl Host for TestHost {
    fn post(&self, text: &str) {
        self.record(Event::Post(text.to_owned()));
    }

    fn error(&self, text: &str) {
        self.record(Event::Error(text.to_owned()));
    }

    /// To the names bound with [`Host::bind`], then recorded if `name` is
    /// one of the receivers the host was made with.
    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver> {
        let bound: Vec<Arc<BindSlot>> =
            lock(&self.bindings).iter().filter(|(n, _)| n == name).filter_map(|(_, b)| b.upgrade()).collect();
        for binding in &bound {
            let receive = binding.receive.clone();
            receive(message);
        }
        if !self.receivers.contains(name) {
            return if bound.is_empty() { Err(NoReceiver(name.to_owned())) } else { Ok(()) };
        }
        self.record(Event::Send(name.to_owned(), message.clone().into_owned()));
        Ok(())
    }

    fn clock(&self, tick: Arc<dyn Fn() + Send + Sync>) -> Option<Box<dyn Clock>> {
        let slot = Arc::new(ClockSlot { when: Mutex::new(None), tick });
        let mut clocks = lock(&self.clocks);
        clocks.retain(|c| c.strong_count() > 0);
        clocks.push(Arc::downgrade(&slot));
        Some(Box::new(TestClock { slot, time: self.time.clone(), settings: self.settings.clone() }))
    }

    fn bind(&self, name: &str, receive: Arc<dyn Fn(&Message<'_>) + Send + Sync>) -> Option<Box<dyn Binding>> {
        let slot = Arc::new(BindSlot { receive });
        let mut bindings = lock(&self.bindings);
        bindings.retain(|(_, b)| b.strong_count() > 0);
        bindings.push((name.to_owned(), Arc::downgrade(&slot)));
        Some(Box::new(TestBinding { _slot: slot }))
    }

    fn logical_time(&self) -> f64 {
        f64::from_bits(self.time.load(Ordering::Relaxed))
    }

    fn numbers(&self) -> Numbers {
        self.numbers.unwrap_or(Numbers::Floats { mantissa_bits: f64::MANTISSA_DIGITS })
    }

    fn request_service(&self) -> bool {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.serves.load(Ordering::Relaxed)
    }

    fn wake(&self) {
        *lock(&self.wakes) += 1;
        self.woken.notify_all();
    }

    // Arrays (h-array): contiguous float64, as in Pd64.
    fn array_open(&self, name: &str) -> Result<crate::arrays::ArrayMemory, String> {
        let mut arrays = lock(&self.arrays);
        let samples = arrays.get_mut(name).ok_or("no such array in the test host")?;
        Ok(crate::arrays::ArrayMemory {
            data: samples.as_mut_ptr().cast(),
            frames: samples.len(),
            channels: None,
            sample: crate::arrays::SampleType::F64,
            frame_stride: 8,
            token: (0, 0),
        })
    }

    fn array_resize(&self, name: &str, frames: usize) -> Result<(), String> {
        let mut arrays = lock(&self.arrays);
        let samples = arrays.get_mut(name).ok_or("no such array in the test host")?;
        let mut resized = vec![0.0; frames];
        let kept = frames.min(samples.len());
        resized[..kept].copy_from_slice(&samples[..kept]);
        *samples = resized.into_boxed_slice();
        Ok(())
    }
}

impl Outlets for TestHost {
    /// Noted, with how many events came before it (see [`TestHost::made`]).
    fn create(&self, count: usize) {
        let before = lock(&self.events).len();
        lock(&self.made).push((before, count));
    }

    fn outlet(&self, index: usize, message: &Message<'_>) {
        self.record(Event::Outlet(index, message.clone().into_owned()));
    }

    fn error(&self, text: &str) {
        self.record(Event::Error(text.to_owned()));
    }
}

/// A clock of the [`TestHost`]: its deadline (and the setting's order) and
/// what it calls.
struct ClockSlot {
    when: Mutex<Option<(f64, u64)>>,
    tick: Arc<dyn Fn() + Send + Sync>,
}

/// The engine's handle of a [`ClockSlot`]; dropping it frees the clock.
struct TestClock {
    slot: Arc<ClockSlot>,
    time: Arc<AtomicU64>,
    settings: Arc<AtomicU64>,
}

impl Clock for TestClock {
    fn delay(&self, ms: f64) {
        let now = f64::from_bits(self.time.load(Ordering::Relaxed));
        *lock(&self.slot.when) = Some((now + ms, self.settings.fetch_add(1, Ordering::Relaxed)));
    }
}

/// A name bound on the [`TestHost`].
struct BindSlot {
    receive: Arc<dyn Fn(&Message<'_>) + Send + Sync>,
}

/// The engine's handle of a [`BindSlot`]; dropping it unbinds the name.
struct TestBinding {
    _slot: Arc<BindSlot>,
}

impl Binding for TestBinding {}

/// A context whose host is `host`, with `host` to hand as outlets too.
pub fn context(host: TestHost) -> (Arc<TestHost>, Context) {
    let host = Arc::new(host);
    let ctx = Context::new(host.clone());
    (host, ctx)
}

/// The messages of one outlet among `events`, as Pd's `[print]` shows them.
pub fn outlet(events: &[Event], index: usize) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Outlet(i, m) if *i == index => Some(m.to_string()),
            _ => None,
        })
        .collect()
}

/// Calls `ctx`'s service as the host's clock would, every millisecond (or
/// at once when the engine wakes the host), until `done` says so of
/// everything `host` recorded meanwhile, which it returns; panics after ten
/// seconds.
pub fn serve_until(ctx: &Context, host: &TestHost, done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    serve_until_timed(ctx, host, done).1
}

/// [`serve_until`], also giving the instants just before and just after the
/// service call that made `done` true: whatever the engine did in that call
/// (say, stamp a report) happened between the two, which is what a test of
/// the engine's own timing can compare, where the instant it looks is later
/// by however long the test thread took to get there.
pub fn serve_until_timed(
    ctx: &Context,
    host: &TestHost,
    mut done: impl FnMut(&[Event]) -> bool,
) -> (std::ops::Range<std::time::Instant>, Vec<Event>) {
    let start = std::time::Instant::now();
    let mut events = Vec::new();
    while start.elapsed() < Duration::from_secs(10) {
        let before = std::time::Instant::now();
        ctx.service();
        let after = std::time::Instant::now();
        events.extend(host.take());
        if done(&events) {
            return (before..after, events);
        }
        host.wait_for_wake(Duration::from_millis(1));
    }
    panic!("timed out; recorded so far: {events:?}");
}

/// Starts the interpreter with the project's script-side `pyrus` package
/// (`scripts/`), as a host does at load time; later calls do nothing.
pub fn start_python() {
    let scripts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts");
    let config = crate::python::runtime::RuntimeConfig { scripts_dir: Some(scripts), venv: None };
    crate::python::runtime::start(&config).expect("python starts");
}

/// A folder of this process's own, `NAME-PID` in the temp dir. One left by an
/// earlier process with the same id (ids are reused, and test folders are
/// kept for a look after a failure) is removed the first time this process
/// asks for it, so no test sees another run's files; later asks, by tests
/// that share the folder, keep it.
pub fn own_dir(name: &str) -> std::path::PathBuf {
    static MADE: Mutex<Vec<std::path::PathBuf>> = Mutex::new(Vec::new());
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if !made.contains(&dir) {
        let _ = std::fs::remove_dir_all(&dir);
        made.push(dir.clone());
    }
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// Starts Python ([`start_python`]) and writes `files` (name, text) into
/// [`own_dir`] `pyrus-TAG`: the patch folder of the objects a test makes.
pub fn script_dir(tag: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    start_python();
    let dir = own_dir(&format!("pyrus-{tag}"));
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("a script file");
    }
    dir
}

/// Options from `name value` pairs, set as a host sets them.
pub fn options(pairs: &[(&str, f64)]) -> crate::object::options::Options {
    use crate::object::options::OptionSet;
    let mut options = crate::object::options::Options::default();
    for (name, value) in pairs {
        options.set(name, &[pyrus_atoms::Atom::Float(*value)]).expect("a value the option takes");
    }
    options
}

/// Words as a host's atoms: those that parse as numbers become floats (as
/// Pd has them), the others symbols.
pub fn words(text: &str) -> Vec<pyrus_atoms::Atom<'_>> {
    text.split(' ')
        .map(|w| w.parse::<f64>().map(pyrus_atoms::Atom::Float).unwrap_or_else(|_| pyrus_atoms::Atom::symbol(w)))
        .collect()
}

/// `selector word word...` as a message, its words as [`words`] makes them.
pub fn msg(text: &str) -> Message<'_> {
    let (selector, rest) = text.split_once(' ').unwrap_or((text, ""));
    let args = if rest.is_empty() { Vec::new() } else { words(rest) };
    Message::Anything(std::borrow::Cow::Borrowed(selector), std::borrow::Cow::Owned(args))
}
