//! The host as a worker (or a script's own thread) sees it: every call
//! becomes a [`Delivery`] in the mailbox, carried out later on the
//! scheduler thread.

use crate::host::{Host, NoReceiver};
use crate::marshal::{self, Delivery, ObjectId};
use pyo3::Python;
use pyrus_atoms::Message;
use std::sync::atomic::{AtomicU64, Ordering};

/// The scheduler's logical time as last seen, for `pyrus.time()` off the
/// scheduler thread (f64 bits).
static LAST_TIME: AtomicU64 = AtomicU64::new(0);

/// Records the scheduler's logical time (scheduler thread).
pub(crate) fn note_time(ms: f64) {
    LAST_TIME.store(ms.to_bits(), Ordering::Relaxed);
}

/// The host of an object being created: as the real one, but what it sends
/// out of an outlet goes through the mailbox, to leave once the host has made
/// the outlets (after creation).
///
/// # Threading
/// The scheduler thread, during `Object::new`.
pub(crate) struct Creating {
    pub host: std::rc::Rc<dyn Host>,
    pub id: ObjectId,
}

impl Host for Creating {
    fn name(&self) -> &'static str {
        self.host.name()
    }

    fn post(&self, text: &str) {
        self.host.post(text);
    }

    fn error(&self, text: &str) {
        self.host.error(text);
    }

    fn outlet(&self, index: usize, message: &Message<'_>) {
        Remote { id: self.id }.outlet(index, message);
        self.host.request_service();
    }

    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver> {
        self.host.send(name, message)
    }

    fn logical_time(&self) -> f64 {
        self.host.logical_time()
    }

    fn request_service(&self) -> bool {
        self.host.request_service()
    }
}

/// Marshals one object's host calls.
///
/// # Threading
/// Used on the thread that runs the object's Python code, attached to
/// Python; a full mailbox makes it wait with the GIL released.
pub(crate) struct Remote {
    pub id: ObjectId,
}

impl Remote {
    fn deliver(&self, delivery: Delivery) {
        marshal::push_waiting(self.id, delivery, |wait| Python::attach(|py| py.detach(wait)));
    }
}

impl Host for Remote {
    fn post(&self, text: &str) {
        self.deliver(Delivery::Post(text.to_owned()));
    }

    fn error(&self, text: &str) {
        self.deliver(Delivery::Error(text.to_owned()));
    }

    fn outlet(&self, index: usize, message: &Message<'_>) {
        self.deliver(Delivery::Outlet(index, message.clone().into_owned()));
    }

    /// Whether the receiver exists is only known on the scheduler thread: a
    /// missing one is reported there, in the console.
    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver> {
        self.deliver(Delivery::Send(name.to_owned(), message.clone().into_owned()));
        Ok(())
    }

    /// The logical time the scheduler last reported.
    fn logical_time(&self) -> f64 {
        f64::from_bits(LAST_TIME.load(Ordering::Relaxed))
    }
}
