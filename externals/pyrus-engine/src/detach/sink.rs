//! The worker-side sink: what a job (or a script's own thread) sends
//! becomes a [`Delivery`] in its object's context's mailbox, carried out
//! later on a host thread by the service. Not a host: it only pushes.
//!
//! # Threading
//! The thread running the object's Python code: a worker, or a thread a
//! script started.

use crate::context::Context;
use crate::detach::marshal::{Delivery, ObjectId};
use pyo3::Python;
use pyrus_atoms::Message;
use std::sync::Arc;

/// Marshals one object's output.
///
/// # Threading
/// Used on the thread that runs the object's Python code, attached to
/// Python; a full mailbox makes it wait with the GIL released.
pub(crate) struct Sink {
    pub ctx: Context,
    pub id: ObjectId,
    /// A job's run of its queue: once `stop` abandons it, what the job
    /// still sends is dropped. None for a script's thread.
    pub run: Option<(Arc<dyn Runs>, u64)>,
}

/// What counts a job queue's runs (`crate::detach::jobs::JobQueue`): the sink
/// asks only for the current run, so it sits below the jobs.
pub(crate) trait Runs: Send + Sync {
    fn run(&self) -> u64;
}

impl Sink {
    /// Whether output still counts: not from a job that `stop` abandoned.
    fn live(&self) -> bool {
        self.run.as_ref().is_none_or(|(queue, run)| queue.run() == *run)
    }

    pub fn deliver(&self, delivery: Delivery) {
        if self.live() {
            push(&self.ctx, self.id, delivery);
        }
    }

    pub fn outlet(&self, index: usize, message: &Message<'_>) {
        self.deliver(Delivery::Outlet(index, message.clone().into_owned()));
    }
}

/// Pushes `delivery` for `id`, waiting for space with the GIL released
/// (the caller is attached to Python, or the attach is cheap).
pub(crate) fn push(ctx: &Context, id: ObjectId, delivery: Delivery) {
    ctx.push_waiting(id, delivery, |wait| Python::attach(|py| py.detach(wait)));
}
