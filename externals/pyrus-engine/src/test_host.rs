//! A recording stand-in for an audio host, for tests of the engine and of
//! anything built on it. It is not a host: it only writes down what the
//! engine asked of it. Built with the `test-host` feature only (the engine's
//! own tests turn it on), so no host links it.

use crate::host::{Host, NoReceiver};
use pyrus_atoms::{Message, Numbers, OwnedMessage};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// One thing the engine asked the host to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Post(String),
    Error(String),
    Outlet(usize, OwnedMessage),
    Send(String, OwnedMessage),
}

/// Records every [`Host`] call in order. Receivers named in `receivers` exist;
/// sending to any other name fails as a real host would.
#[derive(Default)]
pub struct TestHost {
    events: RefCell<Vec<Event>>,
    receivers: BTreeSet<String>,
    time: std::cell::Cell<f64>,
    /// Whether `request_service` says yes, and how often it was asked.
    serves: std::cell::Cell<bool>,
    requests: std::cell::Cell<usize>,
    /// The number model it declares; floats of `f64` precision (the
    /// trait's default) unless [`TestHost::with_numbers`] says otherwise.
    numbers: Option<Numbers>,
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
        TestHost { serves: std::cell::Cell::new(true), ..Self::default() }
    }

    /// A host whose atoms have `numbers` (as Pd's or Max's would).
    pub fn with_numbers(numbers: Numbers) -> Self {
        TestHost { numbers: Some(numbers), ..Self::default() }
    }

    /// How often the engine asked for service.
    pub fn service_requests(&self) -> usize {
        self.requests.get()
    }

    pub fn set_time(&self, ms: f64) {
        self.time.set(ms);
    }

    /// Takes the events recorded so far.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut self.events.borrow_mut())
    }

    /// Takes the recorded events and renders the messages of one outlet as
    /// Pd's `[print]` would show them.
    pub fn take_outlet(&self, index: usize) -> Vec<String> {
        outlet(&self.take(), index)
    }

    fn record(&self, event: Event) {
        self.events.borrow_mut().push(event);
    }
}

impl Host for TestHost {
    fn post(&self, text: &str) {
        self.record(Event::Post(text.to_owned()));
    }

    fn error(&self, text: &str) {
        self.record(Event::Error(text.to_owned()));
    }

    fn outlet(&self, index: usize, message: &Message<'_>) {
        self.record(Event::Outlet(index, message.clone().into_owned()));
    }

    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver> {
        if !self.receivers.contains(name) {
            return Err(NoReceiver(name.to_owned()));
        }
        self.record(Event::Send(name.to_owned(), message.clone().into_owned()));
        Ok(())
    }

    fn logical_time(&self) -> f64 {
        self.time.get()
    }

    fn numbers(&self) -> Numbers {
        self.numbers.unwrap_or(Numbers::Floats { mantissa_bits: f64::MANTISSA_DIGITS })
    }

    fn request_service(&self) -> bool {
        self.requests.set(self.requests.get() + 1);
        self.serves.get()
    }
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

/// Calls [`crate::service`] as the host's clock would, every millisecond,
/// until `done` says so of everything `host` recorded meanwhile, which it
/// returns; panics after ten seconds.
pub fn serve_until(host: &TestHost, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    let start = std::time::Instant::now();
    let mut events = Vec::new();
    while start.elapsed() < std::time::Duration::from_secs(10) {
        crate::service();
        events.extend(host.take());
        if done(&events) {
            return events;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("timed out; recorded so far: {events:?}");
}
