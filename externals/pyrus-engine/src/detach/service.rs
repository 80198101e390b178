//! The scheduler thread's side of marshalling: which objects exist, and the
//! periodic service that ends the GIL lease and carries out deliveries.
//!
//! # Threading
//! Everything here runs on the host's scheduler thread only; the registry and
//! the console are thread-local to it. The exception is [`rebind`], callable
//! from any thread attached to Python: off the scheduler thread it only
//! pushes a delivery.

use crate::console;
use crate::gil;
use crate::host::Host;
use crate::marshal::{self, Delivery, ObjectId};
use crate::usb_script::{self, DeviceRun};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

/// Deliveries carried out per [`service`] call: a flood waits for the next
/// tick instead of stalling this one.
pub const BUDGET: usize = 4096;

/// An object that deliveries can reach.
pub(crate) trait Recipient {
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

thread_local! {
    /// Set on the thread that registers objects: the scheduler thread.
    static SCHEDULER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static POLLABLES: RefCell<Vec<Weak<dyn Recipient>>> = const { RefCell::new(Vec::new()) };
    static OBJECTS: RefCell<HashMap<ObjectId, Weak<dyn Recipient>>> = RefCell::new(HashMap::new());
    static DIRTY: RefCell<Vec<Weak<dyn Recipient>>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// The host's console, for output that belongs to no object.
    static CONSOLE: RefCell<Option<Rc<dyn Host>>> = const { RefCell::new(None) };
}

/// Gives the engine the host's console: where script output that belongs to
/// no object goes (see `console`), attributed to nothing. Call it on the
/// scheduler thread, before [`crate::runtime::start`].
pub fn set_console(console: Rc<dyn Host>) {
    CONSOLE.with(|c| *c.borrow_mut() = Some(console));
}

/// The console, on the scheduler thread (None elsewhere, or before
/// [`set_console`]).
pub(crate) fn console() -> Option<Rc<dyn Host>> {
    CONSOLE.with(|c| c.borrow().clone())
}

/// Carries out a delivery for `id`: to the object if it still exists, to
/// the console if it belongs to no object (console output only).
fn deliver(id: ObjectId, delivery: Delivery) {
    if let Some(object) = recipient(id) {
        return object.deliver(delivery);
    }
    let Some(console) = console().filter(|_| id == console::NO_OBJECT) else { return };
    match delivery {
        Delivery::Post(text) => console.post(&text),
        Delivery::Error(text) => console.error(&text),
        _ => {}
    }
}

pub(crate) fn register(id: ObjectId, object: Weak<dyn Recipient>) {
    SCHEDULER.with(|s| s.set(true));
    OBJECTS.with(|o| o.borrow_mut().insert(id, object));
}

/// Has object `id` resolve its target again ([`Recipient::rebind`]): now,
/// on the scheduler thread, where the objects live; from any other thread
/// (a detached object's reload) through the mailbox, waiting for space with
/// `nap` (which releases the GIL). Never touches Python itself.
pub(crate) fn rebind(id: ObjectId, mut nap: impl FnMut()) {
    if SCHEDULER.with(std::cell::Cell::get) {
        if let Some(object) = recipient(id) {
            object.rebind();
        }
    } else {
        marshal::push_waiting(id, Delivery::Rebind, |_| nap());
    }
}

/// From now on deliveries for `id` are dropped: the object is gone.
pub(crate) fn unregister(id: ObjectId) {
    OBJECTS.with(|o| o.borrow_mut().remove(&id));
}

/// Makes the service drain `object`'s own queue each pass ([`Recipient::poll`]).
pub(crate) fn register_pollable(object: Weak<dyn Recipient>) {
    POLLABLES.with(|p| p.borrow_mut().push(object));
}

/// Asks for `object.flush()` at the next service.
pub(crate) fn mark_dirty(object: Weak<dyn Recipient>) {
    DIRTY.with(|d| d.borrow_mut().push(object));
}

/// The live object `id`, if any. The registry's borrow ends here, before
/// anything is delivered to it: a delivery may re-enter.
fn recipient(id: ObjectId) -> Option<Rc<dyn Recipient>> {
    OBJECTS.with(|o| o.borrow().get(&id).and_then(Weak::upgrade))
}

/// Ends the scheduler thread's GIL lease and carries out up to `BUDGET`
/// deliveries, in order; then reports what piled up. Returns whether more may
/// come (deliveries left, jobs or script threads still running), in which case
/// the host calls it again next tick.
///
/// Never attaches to Python and never blocks. Re-entrant: a delivery sent out
/// of an outlet may lead to more messages, even to this function again.
pub fn service() -> bool {
    gil::end_lease();
    // What piled up (dropped, replaced) happened before anything now in the mailbox.
    let dirty: Vec<_> = DIRTY.with(|d| std::mem::take(&mut *d.borrow_mut()));
    for object in dirty.iter().filter_map(Weak::upgrade) {
        object.flush();
    }
    for (id, n) in marshal::take_lost() {
        if let Some(object) = recipient(id) {
            let host = console().map_or(crate::host::UNNAMED, |c| c.name());
            object.deliver(Delivery::Error(format!(
                "pyrus: {n} outputs lost: {host} did not take any for {} s while they piled up \
                 (a detach 0 call waiting for a thread that sends?)",
                marshal::PATIENCE.as_secs()
            )));
        }
    }
    marshal::drain(BUDGET, deliver);
    // Script output: partial lines of no object end with the pass; counts of
    // lines a flood left out, once their second is over.
    console::end_of_pass();
    let left_out = console::take_left_out(deliver);
    // Scripts' devices with events: to their owners (no Python here).
    for device in usb_script::pending() {
        match recipient(device.owner()) {
            Some(owner) => owner.device_events(device),
            None => device.discard(),
        }
    }
    // Objects with queues of their own (USB devices). Dead ones drop out.
    let pollables: Vec<_> = POLLABLES.with(|p| {
        let mut p = p.borrow_mut();
        p.retain(|o| o.strong_count() > 0);
        p.iter().filter_map(Weak::upgrade).collect()
    });
    let mut more = false;
    for object in pollables {
        more |= object.poll();
    }
    // An episode of slow GIL waits is reported at a later pass (see `gil`).
    more || left_out || marshal::has_work() || gil::episode_pending()
}

/// A new object id; ids are never reused, so a late delivery can never reach
/// a newer object.
pub(crate) fn next_id() -> ObjectId {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
