//! One object's queue of detached jobs.
//!
//! Jobs wait here until a pool worker takes them: in serial mode (`detach 1`)
//! one at a time, in arrival order; in concurrent mode (`detach 2`) as many at
//! once as there are free workers. The lock is held only for O(1) queue
//! operations by any thread, never across Python or I/O.

use crate::core::Core;
use crate::sync::lock;
use pyrus_atoms::OwnedMessage;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a job does.
pub(crate) enum JobKind {
    /// A message that arrived at an inlet, to handle as `Core::handle` does.
    Message(usize, OwnedMessage),
    /// A device a script opened has events: run its callback on them.
    Device(crate::usb_script::DeviceRun),
    /// The object was deleted: its instance's `on_close`, the last job.
    Close,
    /// Another object reloaded the module the target lives in: resolve it
    /// again (the new class, `on_reload`). Not a call of the user's: `stop`
    /// keeps it.
    Rebind,
}

pub(crate) struct JobQueue {
    pub core: Arc<Core>,
    pending: Mutex<VecDeque<JobKind>>,
    /// Serial mode: a token for this queue is in the pool or being run.
    pub scheduled: AtomicBool,
    /// Set when the object is deleted: nothing more is started.
    pub deleted: AtomicBool,
}

/// What [`JobQueue::push`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    /// `latest`: the job took the place of one that had not started.
    Replaced,
}

impl JobQueue {
    pub fn new(core: Arc<Core>) -> Self {
        JobQueue {
            core,
            pending: Mutex::new(VecDeque::new()),
            scheduled: AtomicBool::new(false),
            deleted: AtomicBool::new(false),
        }
    }

    fn pending(&self) -> MutexGuard<'_, VecDeque<JobKind>> {
        lock(&self.pending)
    }

    /// Appends a job; with `latest`, replaces the newest job not yet started.
    pub fn push(&self, job: JobKind, latest: bool) -> Pushed {
        let mut pending = self.pending();
        if latest && matches!(pending.back(), Some(JobKind::Message(..))) {
            *pending.back_mut().expect("checked") = job;
            return Pushed::Replaced;
        }
        pending.push_back(job);
        Pushed::Queued
    }

    /// Takes the oldest job; once the object is gone, only its `Close`.
    pub fn pop(&self) -> Option<JobKind> {
        let mut pending = self.pending();
        if self.deleted.load(Ordering::Acquire) {
            let close = pending.iter().position(|j| matches!(j, JobKind::Close))?;
            return pending.remove(close);
        }
        pending.pop_front()
    }

    pub fn has_pending(&self) -> bool {
        !self.pending().is_empty()
    }

    /// Drops every call not yet started (a pending rebind stays: `stop`
    /// ends calls, not the object's new code) and says how many there were.
    pub fn clear(&self) -> usize {
        let mut pending = self.pending();
        let n = pending.len();
        pending.retain(|j| matches!(j, JobKind::Rebind));
        n - pending.len()
    }

    /// Drops every job not yet started (the object is gone) and says how
    /// many there were.
    pub fn clear_all(&self) -> usize {
        let mut pending = self.pending();
        let n = pending.len();
        pending.clear();
        n
    }
}
