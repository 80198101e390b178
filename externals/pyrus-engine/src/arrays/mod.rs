//! `pyrus.array(NAME)`: a host's arrays (Pd's garrays, Max's `buffer~`) as
//! scripts see them, and the request/reply that carries a detached call's
//! array operations to a host thread.
//!
//! - On a host thread (a `detach 0` call), every operation of the script's
//!   `pyrus.Array` opens the array through [`Host::array_open`] (Pd: find
//!   the garray, take its words; Max: `buffer_locksamples`), works on a
//!   numpy view of that memory, and closes it ([`Host::array_close`]: Max
//!   unlocks) before it returns: one lookup per operation, so an array
//!   deleted or resized between two operations is found again or missing,
//!   never a stale pointer. The proxy itself ([`script`]) is valid for the
//!   call that made it: the end of the call clears it.
//! - On any other thread (a worker, a script's thread), the proxy has only
//!   `read`, `write`, `len`, `resize` and `redraw`, each a [`Request`] queued
//!   in the context's part [`Requests`] and carried out by the context's
//!   service on a host thread within one pass ([`serve`]), answered through a
//!   one-shot channel the worker waits on, with the GIL released, for at most
//!   [`TIMEOUT`]. No view ever crosses threads.
//!
//! # Threading
//! [`ArrayMemory`] is only made and read on the host thread that opened it,
//! within one operation. [`Requests`]: pushed by any thread, served by a host
//! thread of the context (its lock held for O(1) steps, never across a host
//! call); [`shut_down`] closes every context's queue and drops what waits,
//! which releases the waiting workers at once.

pub(crate) mod script;

use crate::context::{self, Context};
use crate::host::Host;
use crate::sync::lock;
use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Mutex;
use std::time::Duration;

/// How long a detached call waits for the host to carry out an array
/// request: a host that never answers (quitting, stuck) is an error, not a hang.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The most frames `resize` asks for (8 bytes a frame in Pd: 1 GiB).
pub const MAX_FRAMES: usize = 1 << 27;

/// The type of one sample in the host's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleType {
    F32,
    F64,
}

impl SampleType {
    fn size(self) -> usize {
        match self {
            SampleType::F32 => 4,
            SampleType::F64 => 8,
        }
    }

    /// numpy's name of the type.
    pub(crate) fn dtype(self) -> &'static str {
        match self {
            SampleType::F32 => "float32",
            SampleType::F64 => "float64",
        }
    }
}

/// An array's samples as the host lent them for one operation: `frames`
/// frames `frame_stride` bytes apart, each of `channels` samples side by side
/// (None: one sample a frame, shown as a 1-D array, as Pd's).
///
/// # Threading
/// Made by [`Host::array_open`] on a host thread and used only there, until
/// the matching [`Host::array_close`].
#[derive(Debug)]
pub struct ArrayMemory {
    pub data: *mut u8,
    pub frames: usize,
    pub channels: Option<usize>,
    pub sample: SampleType,
    pub frame_stride: usize,
    /// The host's own handles on what it opened (Max: the ref to free and the
    /// `buffer~` to unlock), given back to [`Host::array_close`].
    pub token: (usize, usize),
}

impl ArrayMemory {
    /// Samples per frame.
    pub fn width(&self) -> usize {
        self.channels.unwrap_or(1)
    }

    /// The bytes from the first sample to the end of the last one.
    pub(crate) fn span(&self) -> usize {
        match self.frames {
            0 => 0,
            n => (n - 1) * self.frame_stride + self.width() * self.sample.size(),
        }
    }

    fn at(&self, frame: usize, channel: usize) -> *mut u8 {
        self.data.wrapping_add(frame * self.frame_stride + channel * self.sample.size())
    }

    /// Every sample, frame after frame, as f64.
    #[allow(unsafe_code)]
    pub(crate) fn read(&self) -> Vec<f64> {
        let mut values = Vec::with_capacity(self.frames * self.width());
        for frame in 0..self.frames {
            for channel in 0..self.width() {
                let p = self.at(frame, channel);
                // SAFETY: the host lent `frames` frames of `width` samples of
                // `sample` at `data`, `frame_stride` apart, for this operation
                // (see `Host::array_open`); `p` is one of them. Unaligned reads:
                // nothing promises more than the host's own alignment.
                values.push(unsafe {
                    match self.sample {
                        SampleType::F32 => f64::from(p.cast::<f32>().read_unaligned()),
                        SampleType::F64 => p.cast::<f64>().read_unaligned(),
                    }
                });
            }
        }
        values
    }

    /// Writes `values` (frame after frame) from frame `start` on, clipped at
    /// the end; returns how many frames it wrote.
    #[allow(unsafe_code)]
    pub(crate) fn write(&self, start: usize, values: &[f64]) -> Result<usize, String> {
        let width = self.width();
        if values.len() % width != 0 {
            return Err(format!(
                "{} values are not whole frames of {width} channels (give a multiple of {width})",
                values.len()
            ));
        }
        if start > self.frames {
            return Err(format!("start {start} is past the end (the array has {} frames)", self.frames));
        }
        let frames = (values.len() / width).min(self.frames - start);
        for (i, value) in values[..frames * width].iter().enumerate() {
            let p = self.at(start + i / width, i % width);
            // SAFETY: as in `read`: `start + i / width` < `frames`, within the lent memory.
            unsafe {
                match self.sample {
                    SampleType::F32 => p.cast::<f32>().write_unaligned(*value as f32),
                    SampleType::F64 => p.cast::<f64>().write_unaligned(*value),
                }
            }
        }
        Ok(frames)
    }
}

/// Runs `f` on array `name` opened on this host thread, closing it after.
pub(crate) fn with_open<R>(host: &dyn Host, name: &str, f: impl FnOnce(&ArrayMemory) -> R) -> Result<R, String> {
    let memory = host.array_open(name)?;
    let result = f(&memory);
    host.array_close(name, &memory);
    Ok(result)
}

/// What a detached call asks of a host thread.
#[derive(Debug)]
pub(crate) enum Request {
    /// Every sample, as f64, with the shape and type they had.
    Read,
    /// Samples from frame `start` on (clipped at the end).
    Write {
        start: usize,
        values: Vec<f64>,
    },
    Len,
    Resize(usize),
    Redraw,
}

/// What a host thread answers.
#[derive(Debug)]
pub(crate) enum Reply {
    Samples { values: Vec<f64>, frames: usize, channels: Option<usize>, sample: SampleType },
    Frames(usize),
    Done,
}

/// Carries out `request` on array `name`, on a host thread.
pub(crate) fn carry_out(host: &dyn Host, name: &str, request: Request) -> Result<Reply, String> {
    match request {
        Request::Read => with_open(host, name, |m| Reply::Samples {
            values: m.read(),
            frames: m.frames,
            channels: m.channels,
            sample: m.sample,
        }),
        Request::Write { start, values } => with_open(host, name, |m| m.write(start, &values))?.map(Reply::Frames),
        Request::Len => with_open(host, name, |m| Reply::Frames(m.frames)),
        Request::Resize(frames) => resize(host, name, frames).map(|()| Reply::Done),
        Request::Redraw => host.array_redraw(name).map(|()| Reply::Done),
    }
}

/// Resizes array `name` to `frames` (from 1 to [`MAX_FRAMES`]), on a host thread.
pub(crate) fn resize(host: &dyn Host, name: &str, frames: usize) -> Result<(), String> {
    if !(1..=MAX_FRAMES).contains(&frames) {
        return Err(format!("can't resize '{name}' to {frames} frames: give 1 to {MAX_FRAMES}"));
    }
    host.array_resize(name, frames)
}

/// One request waiting for a host thread, and where its answer goes.
struct Pending {
    name: String,
    request: Request,
    reply: SyncSender<Result<Reply, String>>,
}

/// A context's array requests from other threads (a part of the context).
#[derive(Default)]
pub(crate) struct Requests(Mutex<Queue>);

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Pending>,
    /// Set at exit: nothing is queued any more.
    closed: bool,
}

/// Queues `request` for a host thread of `ctx` and returns where the answer
/// will come; Err when the queue is closed (exit).
pub(crate) fn ask(ctx: &Context, name: &str, request: Request) -> Result<Receiver<Result<Reply, String>>, String> {
    let (reply, answer) = mpsc::sync_channel(1);
    {
        let requests = ctx.part::<Requests>();
        let mut queue = lock(&requests.0);
        if queue.closed {
            return Err(format!("{} is quitting", ctx.host().name()));
        }
        queue.waiting.push_back(Pending { name: name.to_owned(), request, reply });
    }
    ctx.wake();
    Ok(answer)
}

/// Waits for an answer from [`ask`] for at most [`TIMEOUT`].
pub(crate) fn wait(ctx: &Context, answer: Receiver<Result<Reply, String>>) -> Result<Reply, String> {
    let host = ctx.host().name();
    match answer.recv_timeout(TIMEOUT) {
        Ok(reply) => reply,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("{host} did not carry out the request within {} s", TIMEOUT.as_secs()))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(format!("{host} dropped the request (quitting?)")),
    }
}

/// The service's step: carries out the requests waiting now, at most
/// [`crate::BUDGET`] (a host thread of `ctx`; the queue's lock is not held
/// while a request runs).
pub(crate) fn serve(ctx: &Context) {
    let requests = ctx.part::<Requests>();
    for _ in 0..crate::BUDGET {
        let Some(pending) = lock(&requests.0).waiting.pop_front() else { return };
        let result = carry_out(ctx.host(), &pending.name, pending.request);
        // A worker that gave up waiting no longer listens: nothing to tell.
        let _ = pending.reply.try_send(result);
    }
}

/// Whether requests wait for a service (any host thread of `ctx`).
pub(crate) fn pending(ctx: &Context) -> bool {
    !lock(&ctx.part::<Requests>().0).waiting.is_empty()
}

/// Closes every context's queue and drops its requests, which releases the
/// workers that wait for them with an error (process exit).
pub(crate) fn shut_down() {
    for ctx in context::live() {
        let requests = ctx.part::<Requests>();
        let mut queue = lock(&requests.0);
        queue.closed = true;
        queue.waiting.clear();
    }
}
