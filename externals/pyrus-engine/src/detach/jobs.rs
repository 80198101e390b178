//! One object's queue of detached jobs.
//!
//! Jobs wait here until a pool worker takes them: in serial mode (`detach 1`)
//! one at a time, in arrival order; in concurrent mode (`detach 2`) as many at
//! once as there are free workers. The lock is held only for O(1) queue
//! operations by any thread, never across Python or I/O.
//!
//! `stop` starts a new *run* of the queue ([`JobQueue::abandon`]): jobs and
//! pool tasks of an older run are never started, a job of an older run that
//! is still running (blocked in C, say) is abandoned: what it sends and its
//! `JobDone` are dropped, and in serial mode it no longer holds the queue's
//! token, so the object's next job starts at once on another worker.

use crate::context::Context;
use crate::python::core::Core;
use crate::sync::lock;
use pyrus_atoms::OwnedMessage;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a job does.
pub(crate) enum JobKind {
    /// A message that arrived at an inlet, to handle as `Core::handle` does.
    Message(usize, OwnedMessage),
    /// A device a script opened has events: run its callback on them.
    Device(crate::usb::script::DeviceRun),
    /// A script's clock or receiver fired: run its callback (`crate::clocks`).
    Fire(crate::clocks::Fire),
    /// The object was deleted: its instance's `on_close`, the last job.
    Close,
    /// Another object reloaded the module the target lives in: resolve it
    /// again (the new class, `on_reload`). Not a call of the user's: `stop`
    /// keeps it.
    Rebind,
}

pub(crate) struct JobQueue {
    pub core: Arc<Core>,
    /// The object's context: where its jobs' output goes.
    pub ctx: Context,
    pending: Mutex<VecDeque<JobKind>>,
    /// The current run (from 1); changed under the `pending` lock, by a
    /// host thread (`stop`).
    run: AtomicU64,
    /// Serial mode: the run whose token for this queue is in the pool or
    /// being run (0: none). A token of an older run counts as none.
    token: AtomicU64,
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

impl crate::detach::sink::Runs for JobQueue {
    fn run(&self) -> u64 {
        JobQueue::run(self)
    }
}

impl JobQueue {
    pub fn new(core: Arc<Core>, ctx: Context) -> Self {
        JobQueue {
            core,
            ctx,
            pending: Mutex::new(VecDeque::new()),
            run: AtomicU64::new(1),
            token: AtomicU64::new(0),
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

    /// The current run: what a job started now belongs to.
    pub fn run(&self) -> u64 {
        self.run.load(Ordering::Acquire)
    }

    /// Takes the oldest job for a task of `run`, none if that run was
    /// abandoned; once the object is gone, only its `Close`.
    pub fn pop(&self, run: u64) -> Option<JobKind> {
        let mut pending = self.pending();
        if run != self.run() {
            return None;
        }
        if self.deleted.load(Ordering::Acquire) {
            let close = pending.iter().position(|j| matches!(j, JobKind::Close))?;
            return pending.remove(close);
        }
        pending.pop_front()
    }

    pub fn has_pending(&self) -> bool {
        !self.pending().is_empty()
    }

    /// Drops every job not yet started (the object is gone) and says how
    /// many there were.
    pub fn clear_all(&self) -> usize {
        let mut pending = self.pending();
        let n = pending.len();
        pending.clear();
        n
    }

    /// `stop`: drops every call not yet started and starts a new run,
    /// abandoning the jobs running now (see the module docs). A pending
    /// rebind stays (`stop` ends calls, not the object's new code), in the
    /// new run: its task is the caller's to send. Says how many were dropped
    /// and how many kept.
    pub fn abandon(&self) -> (usize, usize) {
        let mut pending = self.pending();
        self.run.fetch_add(1, Ordering::AcqRel);
        let n = pending.len();
        pending.retain(|j| matches!(j, JobKind::Rebind));
        (n - pending.len(), pending.len())
    }

    /// Serial mode: takes the queue's token for the current run, unless it
    /// is out already; the taker then sends a task of that run to the pool.
    pub fn take_token(&self) -> Option<u64> {
        let run = self.run();
        let held = self.token.load(Ordering::Acquire);
        (held != run && self.token.compare_exchange(held, run, Ordering::AcqRel, Ordering::Acquire).is_ok())
            .then_some(run)
    }

    /// Serial mode: hands back the token of `run` after one of its jobs,
    /// unless `stop` took it away (a new run's token replaced it).
    pub fn release_token(&self, run: u64) {
        let _ = self.token.compare_exchange(run, 0, Ordering::AcqRel, Ordering::Acquire);
    }
}
