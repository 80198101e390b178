//! A recording stand-in for an audio host, for tests of the engine and of
//! anything built on it. It is not a host: it only writes down what the
//! engine asked of it. One [`TestHost`] plays both roles of the split: the
//! host instance of a [`Context`] ([`Host`]) and the outlets of any number
//! of objects ([`Outlets`]), all recorded in one list in call order. Built
//! with the `test-host` feature only (the engine's own tests turn it on), so
//! no host links it.

use crate::context::Context;
use crate::host::{Host, NoReceiver, Outlets};
use pyrus_atoms::{Message, Numbers, OwnedMessage};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
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
    time: AtomicU64,
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

    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver> {
        if !self.receivers.contains(name) {
            return Err(NoReceiver(name.to_owned()));
        }
        self.record(Event::Send(name.to_owned(), message.clone().into_owned()));
        Ok(())
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
pub fn serve_until(ctx: &Context, host: &TestHost, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    let start = std::time::Instant::now();
    let mut events = Vec::new();
    while start.elapsed() < Duration::from_secs(10) {
        ctx.service();
        events.extend(host.take());
        if done(&events) {
            return events;
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

/// Starts Python ([`start_python`]) and writes `files` (name, text) into a
/// folder of this process's own, `pyrus-TAG-PID` in the temp dir: the patch
/// folder of the objects a test makes.
pub fn script_dir(tag: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    start_python();
    let dir = std::env::temp_dir().join(format!("pyrus-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
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
