//! A context's host-thread side of marshalling: which objects exist, and
//! the periodic service that ends the GIL lease and carries out deliveries.
//!
//! # Threading
//! The registry is behind one mutex in the context, held for O(1) steps
//! and never across a delivery (which may re-enter). [`Context::service`]
//! runs on a host thread of the context; registering and rebinding from
//! any thread (off a host thread of the object's context, a rebind only
//! pushes a delivery).

use crate::console;
use crate::context::Context;
use crate::core::Core;
use crate::gil;
use crate::marshal::{self, Delivery, ObjectId};
use crate::sync::lock;
use crate::usb_script::{self, DeviceRun};
use std::collections::HashMap;
use std::sync::{Arc, Weak};

/// Deliveries carried out per [`Context::service`] call: a flood waits for
/// the next tick instead of stalling this one.
pub const BUDGET: usize = 4096;

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
    /// A device a script of this object opened has events for its callback.
    fn device_events(&self, device: DeviceRun) {
        let _ = device;
    }
}

/// A context's objects.
#[derive(Default)]
pub(crate) struct Registry {
    objects: HashMap<ObjectId, Weak<dyn Recipient>>,
    pollables: Vec<Weak<dyn Recipient>>,
    dirty: Vec<Weak<dyn Recipient>>,
    /// The cores of `[pyrus]` objects (from before the object is made), for
    /// reloads and for naming an object.
    cores: Vec<Weak<Core>>,
}

impl Context {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        lock(&self.shared().registry)
    }

    pub(crate) fn register(&self, id: ObjectId, object: Weak<dyn Recipient>) {
        self.registry().objects.insert(id, object);
    }

    /// Makes `core` reachable by reloads; called once, when it is made.
    pub(crate) fn register_core(&self, core: &Arc<Core>) {
        let mut registry = self.registry();
        registry.cores.retain(|c| c.strong_count() > 0);
        registry.cores.push(Arc::downgrade(core));
    }

    /// The live cores of this context.
    pub(crate) fn cores(&self) -> Vec<Arc<Core>> {
        self.registry().cores.iter().filter_map(Weak::upgrade).collect()
    }

    /// From now on deliveries for `id` are dropped: the object is gone.
    pub(crate) fn unregister(&self, id: ObjectId) {
        self.registry().objects.remove(&id);
    }

    /// Makes the service drain `object`'s own queue each pass ([`Recipient::poll`]).
    pub(crate) fn register_pollable(&self, object: Weak<dyn Recipient>) {
        self.registry().pollables.push(object);
    }

    /// Asks for `object.flush()` at the next service.
    pub(crate) fn mark_dirty(&self, object: Weak<dyn Recipient>) {
        self.registry().dirty.push(object);
    }

    /// The live object `id`, if any. The registry's lock ends here, before
    /// anything is delivered to it: a delivery may re-enter.
    fn recipient(&self, id: ObjectId) -> Option<Arc<dyn Recipient>> {
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

    /// Carries out a delivery for `id`: to the object if it still exists, to
    /// the console if it belongs to no object (console output only).
    fn deliver(&self, id: ObjectId, delivery: Delivery) {
        if let Some(object) = self.recipient(id) {
            return object.deliver(delivery);
        }
        if id != marshal::NO_OBJECT {
            return;
        }
        match delivery {
            Delivery::Post(text) => self.host().post(&text),
            Delivery::Error(text) => self.host().error(&text),
            _ => {}
        }
    }

    /// Ends this thread's GIL lease and carries out up to [`BUDGET`] of this
    /// context's deliveries, in order; then reports what piled up. Returns
    /// whether more may come (deliveries left, jobs, script threads or
    /// devices still running), in which case the host calls it again next
    /// tick.
    ///
    /// Never blocks on another thread's work. It attaches to Python only
    /// where a `detach 0` object's call is due: a script device's events
    /// for its callback, a rebind after another object's reload, a watched
    /// file's reload (each as a call of that object, waiting for the GIL).
    /// Re-entrant: a delivery sent out of an outlet may lead to more
    /// messages, even to this function again.
    ///
    /// # Threading
    /// A host thread of this context, one at a time (one thread drains, so
    /// that an object's deliveries keep their order).
    pub fn service(&self) -> bool {
        self.as_host_thread(|| self.serve())
    }

    fn serve(&self) -> bool {
        gil::end_lease();
        // What piled up (dropped, replaced) happened before anything now in the mailbox.
        let dirty = std::mem::take(&mut self.registry().dirty);
        for object in dirty.iter().filter_map(Weak::upgrade) {
            object.flush();
        }
        for (id, n) in self.mailbox().take_lost() {
            if let Some(object) = self.recipient(id) {
                let host = self.host().name();
                object.deliver(Delivery::Error(format!(
                    "pyrus: {n} outputs lost: {host} did not take any for {} s while they piled up \
                     (a detach 0 call waiting for a thread that sends?)",
                    marshal::PATIENCE.as_secs()
                )));
            }
        }
        self.mailbox().drain(BUDGET, |id, d| self.deliver(id, d));
        // Script output: partial lines of no object end with the pass; counts of
        // lines a flood left out, once their second is over.
        console::end_of_pass();
        let left_out = self.shared().windows.take_left_out(|id, d| self.deliver(id, d));
        // Scripts' devices with events: to their owners (no Python here).
        for device in usb_script::pending(self) {
            match self.recipient(device.owner()) {
                Some(owner) => owner.device_events(device),
                None => device.discard(),
            }
        }
        // Objects with queues of their own (USB devices). Dead ones drop out.
        let pollables: Vec<_> = {
            let mut registry = self.registry();
            registry.pollables.retain(|o| o.strong_count() > 0);
            registry.pollables.iter().filter_map(Weak::upgrade).collect()
        };
        let mut more = false;
        for object in pollables {
            more |= object.poll();
        }
        // An episode of slow GIL waits is reported at a later pass (see `gil`).
        more || left_out || self.has_work() || gil::episode_pending()
    }
}

/// A new object id, unique in the process (across contexts); ids are never
/// reused, so a late delivery can never reach a newer object.
pub(crate) fn next_id() -> ObjectId {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
