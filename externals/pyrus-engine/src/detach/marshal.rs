//! Marshalling from any thread to a host thread.
//!
//! Everything a worker or a script's own thread wants the host to do (send
//! out of an outlet, print, send to a receiver, report status, say a job is
//! done) becomes a [`Delivery`]: plain owned data, no Python inside. It goes
//! into the *mailbox* of the object's [`crate::Context`] (one per host
//! instance), a bounded lock-free MPMC queue (crossbeam's `ArrayQueue`,
//! Vyukov's bounded queue), which [`crate::Context::service`] drains on a
//! host thread of that context.
//!
//! # Guarantees
//! - Capacity: [`CAPACITY`] deliveries. When full, `push` hands the
//!   delivery back; producers then wait for space (never the scheduler, which
//!   only pops). A producer attached to Python releases the GIL while it waits.
//! - Stalls: if the scheduler has not drained for [`PATIENCE`] while the
//!   mailbox is full, it is itself waiting, perhaps for the very producer that
//!   waits for it (a `detach 0` call joining a thread that sends): waiting
//!   producers then drop their deliveries instead of hanging the host, and
//!   the next drain reports how many each object lost. A job's `JobDone` is
//!   never dropped.
//! - Order: deliveries from one thread arrive in the order they were pushed,
//!   so one job's outputs keep their order, and a serial object's jobs (which
//!   run one after another) keep theirs.
//! - Waking: the first push after a drain calls the context's
//!   [`crate::Host::wake`] once; the drain re-arms it.
//! - Shutdown: after `Mailbox::shut_down`, pushes are dropped instead of
//!   waiting.
//!
//! # Threading
//! `push` and `wait_for_space`: any thread, concurrently; never block
//! except `wait_for_space`, which sleeps in short naps. `drain`: a host
//! thread of the context, one caller at a time (so that one object's
//! deliveries keep their order).

use crate::host::Host;
use crate::sync::lock;
use crossbeam_queue::ArrayQueue;
use pyrus_atoms::OwnedMessage;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Identifies an object across threads; ids are never reused.
pub type ObjectId = u64;

/// Deliveries (or a `[pyrus.usb]`'s, a script device's events) carried out
/// per service pass: a flood waits for the next tick instead of stalling
/// this one.
pub const BUDGET: usize = 4096;

/// The object id for output that belongs to no object.
pub(crate) const NO_OBJECT: ObjectId = 0;

/// How many deliveries the mailbox holds.
pub const CAPACITY: usize = 1 << 16;

/// How long the mailbox may stay full without a drain before waiting
/// producers give up (see the module docs).
pub const PATIENCE: Duration = Duration::from_secs(1);

/// Something for a host thread of its context to do on behalf of an object.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Outlet(usize, OwnedMessage),
    Post(String),
    Error(String),
    Send(String, OwnedMessage),
    /// A job of this object, from this run of its queue, ended (see
    /// `crate::detach::jobs`: `stop` abandons a run, and its jobs' ends are ignored).
    JobDone(u64),
    /// A file the object watches was saved: reload that module, then the
    /// object's own (see `crate::live::watch`).
    Reload(String),
    /// A module the object's target lives in was reloaded by another
    /// object's call: resolve the target again, as a call of its own
    /// (see `crate::Context::rebind`).
    Rebind,
    /// Scripts' clocks or receivers were made or cancelled on this thread:
    /// arm or free them now, before what this thread sent next (see
    /// `crate::clocks`). For no object.
    Hooks,
}

/// One context's mailbox (see the module docs).
pub(crate) struct Mailbox {
    queue: ArrayQueue<(ObjectId, Delivery)>,
    /// Set by the first push after a drain; the waker runs only then.
    wake_pending: AtomicBool,
    /// Jobs queued or running, script threads and open devices that may
    /// still push.
    producers: AtomicUsize,
    shut_down: AtomicBool,
    /// When the last drain began, in ms since `epoch`.
    drained_at: AtomicU64,
    epoch: Instant,
    /// Deliveries dropped in a stall, per object, not yet reported.
    lost: Mutex<HashMap<ObjectId, u64>>,
    any_lost: AtomicBool,
}

impl Mailbox {
    pub fn new() -> Mailbox {
        Mailbox {
            queue: ArrayQueue::new(CAPACITY),
            wake_pending: AtomicBool::new(false),
            producers: AtomicUsize::new(0),
            shut_down: AtomicBool::new(false),
            drained_at: AtomicU64::new(0),
            epoch: Instant::now(),
            lost: Mutex::new(HashMap::new()),
            any_lost: AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Full, and no drain for longer than [`PATIENCE`].
    fn stalled(&self) -> bool {
        let since = self.now_ms().saturating_sub(self.drained_at.load(Ordering::Acquire));
        since > PATIENCE.as_millis() as u64 && self.queue.is_full()
    }

    fn lose(&self, id: ObjectId) {
        *lock(&self.lost).entry(id).or_default() += 1;
        self.any_lost.store(true, Ordering::Release);
    }

    /// Asks `host` for a service soon, once until the next drain: for the
    /// mailbox, and for other queues the service drains (a USB device's
    /// events). Any thread; never blocks.
    pub fn wake(&self, host: &dyn Host) {
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            host.wake();
        }
    }

    /// Pushes a delivery, or hands it back if the mailbox is full.
    pub fn push(&self, host: &dyn Host, id: ObjectId, delivery: Delivery) -> Result<(), Delivery> {
        if self.shut_down.load(Ordering::Acquire) {
            return Ok(()); // nobody will drain it any more
        }
        self.queue.push((id, delivery)).map_err(|(_, d)| d)?;
        self.wake(host);
        Ok(())
    }

    /// Pushes a delivery, waiting for space if needed (`nap` runs each short
    /// wait, so a caller attached to Python can release the GIL around it);
    /// in a stall (see the module docs) drops it instead, to be reported.
    pub fn push_waiting(
        &self,
        host: &dyn Host,
        id: ObjectId,
        mut delivery: Delivery,
        mut nap: impl FnMut(&(dyn Fn() + Sync)),
    ) {
        loop {
            match self.push(host, id, delivery) {
                Ok(()) => return,
                Err(back) => delivery = back,
            }
            if !matches!(delivery, Delivery::JobDone(_)) && self.stalled() {
                return self.lose(id);
            }
            nap(&|| self.wait_for_space(host));
        }
    }

    /// Takes the counts of deliveries dropped in a stall, per object.
    pub fn take_lost(&self) -> Vec<(ObjectId, u64)> {
        if !self.any_lost.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        lock(&self.lost).drain().collect()
    }

    /// Sleeps a moment while the mailbox is full (the host frees space at
    /// its next drain); returns at once after shutdown.
    pub fn wait_for_space(&self, host: &dyn Host) {
        host.wake();
        if !self.shut_down.load(Ordering::Acquire) && self.queue.is_full() {
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Pops up to `budget` deliveries in order and hands each to `deliver`.
    /// Returns how many it handled.
    pub fn drain(&self, budget: usize, mut deliver: impl FnMut(ObjectId, Delivery)) -> usize {
        self.wake_pending.store(false, Ordering::Release);
        self.drained_at.store(self.now_ms(), Ordering::Release);
        let mut n = 0;
        while n < budget {
            let Some((id, d)) = self.queue.pop() else { break };
            deliver(id, d);
            n += 1;
        }
        n
    }

    /// Whether anything may still arrive: deliveries waiting, jobs
    /// outstanding, script threads alive that were started from a pyrus
    /// call, devices open.
    pub fn has_work(&self) -> bool {
        !self.queue.is_empty() || self.producers.load(Ordering::Acquire) > 0
    }

    /// Counts one more producer (a job submitted, a script thread started,
    /// a device opened).
    pub fn producer_begin(&self) {
        self.producers.fetch_add(1, Ordering::AcqRel);
    }

    /// Counts one producer less.
    pub fn producer_end(&self) {
        self.producers.fetch_sub(1, Ordering::AcqRel);
    }

    /// From now on pushes are dropped and waits return at once (process exit).
    pub fn shut_down(&self) {
        self.shut_down.store(true, Ordering::Release);
    }
}
