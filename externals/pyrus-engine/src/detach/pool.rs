//! The shared worker pool that runs detached jobs.
//!
//! A fifo of tasks under one lock (held for O(1) steps only) and a condvar
//! feed the worker threads (`pyrus-worker-N`), started on the first detached
//! job; idle workers sleep on the condvar and never poll. A task names a
//! `JobQueue` and one of its runs (see `crate::detach::jobs`): in serial mode the
//! queue has at most one task in the fifo or running at a time, so its jobs
//! run in order; in concurrent mode every job has its own task.
//!
//! The pool grows while its workers are busy, as the blocking pools of tokio
//! and Go's runtime do: a task queued when no worker is free starts one more
//! thread, up to [`GROWTH`] beyond the base size (`[; pyrus workers N(`,
//! [`default_workers`] by default). So a job blocked in a wait (a sleep, a
//! socket, a device) never delays another object's job until that many are
//! blocked at once. A thread beyond the base size leaves once it has been idle
//! for [`KEEP_ALIVE`] (or at once after the base size shrinks).
//!
//! Workers run at normal priority: Pd started with `-rt` (or as root) runs
//! its threads `SCHED_FIFO`, and a CPU-bound script at realtime priority
//! would take the scheduler's CPU. Each worker (and the control thread)
//! resets its own policy to `SCHED_OTHER` first.
//!
//! A panic in a job (pyo3 resumes one when a script raises its
//! `PanicException`, for one) is caught on the worker: it is reported on the
//! console and the object's status outlet (`error PanicException ...`), the
//! job counts as done (`busy 0` still comes), and the worker carries on.
//!
//! `stop` and object deletion interrupt a running job by raising
//! `pyrus.Stopped` in the worker's Python thread
//! (`PyThreadState_SetAsyncExc`). That needs the GIL, which neither the
//! scheduler nor the exiting thread may wait for, so a dedicated
//! `pyrus-control` thread does it; a job blocked in C sees it only when it
//! returns to Python, which is why `stop` also abandons it (see
//! `crate::detach::jobs`). Requests to it are coalesced, not queued: one pending
//! entry per object (the latest cutoff covers the earlier ones), flags for
//! "all" and "leave", and a doorbell channel of one (a ring already pending
//! is enough), so a burst of `stop`s neither grows a queue nor blocks.
//!
//! # Threading
//! `submit`, `interrupt` and [`set_workers`]: any thread, never block but
//! for the fifo's lock (and starting a thread when the pool grows).
//! [`shut_down`]: once, at process exit; it never waits (for the GIL nor
//! the threads: the exit joins them by its deadline).

use crate::detach::jobs::{JobKind, JobQueue};
use crate::detach::marshal::{Delivery, ObjectId};
use crate::detach::sink::Sink;
use crate::out::Out;
use crate::python::console::{self, Caller};
use crate::python::report;
use crate::sync::{self, lock};
use crossbeam_channel::{bounded, Receiver, Sender};
use pyo3::prelude::*;
use pyo3::{ffi, PyTypeInfo};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(crate) enum Task {
    /// Run this queue's oldest job of this run, then hand the queue back if
    /// it has more.
    Serial(Arc<JobQueue>, u64),
    /// Run one of this queue's jobs of this run, alongside any others.
    Concurrent(Arc<JobQueue>, u64),
}

/// Threads the pool may start beyond its base size while its workers are
/// busy: that many jobs may block at once before another waits for a worker.
pub const GROWTH: usize = 64;

/// How long a thread beyond the base size stays idle before it leaves.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// The fifo and the workers' head count, under one lock.
struct Workers {
    tasks: VecDeque<Task>,
    /// The base size; 0 until the first job starts the pool.
    size: usize,
    /// Worker threads alive, and how many of them are running a task.
    threads: usize,
    busy: usize,
    /// Workers waiting on the condvar: only then is a wake-up worth its
    /// system call.
    idle: usize,
    /// Names the next worker.
    started: usize,
    /// Said that the pool is at its cap, until a task finds a worker again.
    capped: bool,
    /// Every thread of the pool (the control thread too), joined at exit.
    handles: Vec<JoinHandle<()>>,
}

/// What the control thread is asked to do and has not done yet, coalesced:
/// at most one entry per object, however many requests came.
#[derive(Default)]
struct Interrupts {
    /// Interrupt the jobs of each object from runs before its cutoff.
    objects: Vec<(ObjectId, u64)>,
    /// Interrupt every running job (exit).
    all: bool,
    /// Then leave.
    leave: bool,
}

impl Interrupts {
    /// Asks for the jobs of `object` from runs before `below`: one entry per
    /// object, keeping the later cutoff (it covers the earlier one).
    fn object(&mut self, object: ObjectId, below: u64) {
        match self.objects.iter_mut().find(|(o, _)| *o == object) {
            Some((_, b)) => *b = (*b).max(below),
            None => self.objects.push((object, below)),
        }
    }

    fn hits(&self, r: &Running) -> bool {
        self.all || self.objects.iter().any(|&(o, below)| r.object == o && r.run < below)
    }
}

/// Adds a request to `pending` and rings `doorbell` (a channel of one: a
/// ring already pending will take this request too). Never blocks.
fn request(pending: &Mutex<Interrupts>, doorbell: &Sender<()>, add: impl FnOnce(&mut Interrupts)) {
    add(&mut lock(pending));
    let _ = doorbell.try_send(());
}

/// A job running now, for interrupts.
struct Running {
    thread: std::ffi::c_ulong,
    object: ObjectId,
    run: u64,
}

struct Pool {
    workers: Mutex<Workers>,
    /// Tasks waiting in the fifo, written under its lock, read without it
    /// as a hint (see `run_batch`).
    queued: AtomicUsize,
    /// Signalled when a task is queued (one worker) or the pool resizes or
    /// closes (all of them).
    wake: Condvar,
    /// Requests for the control thread, and its doorbell (see [`request`]).
    interrupts: Mutex<Interrupts>,
    doorbell: (Sender<()>, Receiver<()>),
    /// The base size, readable without the lock.
    size: AtomicUsize,
    running: Mutex<Vec<Running>>,
    /// Set at shutdown: workers start no more jobs.
    closing: AtomicBool,
    /// Threads an interrupt was raised in, until they clear it, and how many.
    interrupted: Mutex<Vec<std::ffi::c_ulong>>,
    interrupts_sent: AtomicUsize,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool {
    queued: AtomicUsize::new(0),
    workers: Mutex::new(Workers {
        tasks: VecDeque::new(),
        size: 0,
        threads: 0,
        busy: 0,
        idle: 0,
        started: 0,
        capped: false,
        handles: Vec::new(),
    }),
    wake: Condvar::new(),
    interrupts: Mutex::new(Interrupts { objects: Vec::new(), all: false, leave: false }),
    doorbell: bounded(1),
    size: AtomicUsize::new(0),
    running: Mutex::new(Vec::new()),
    closing: AtomicBool::new(false),
    interrupted: Mutex::new(Vec::new()),
    interrupts_sent: AtomicUsize::new(0),
});

/// Workers started by default: one per core, at least 2, at most 8.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8)
}

/// The pool's base size (0 before the first detached job).
pub fn workers() -> usize {
    POOL.size.load(Ordering::Acquire)
}

/// Worker threads alive now: the base size, plus those started while
/// workers were busy and not yet retired.
pub fn threads() -> usize {
    lock(&POOL.workers).threads
}

/// Sets the base number of workers (at least 1); starts the pool if needed.
/// Threads beyond it leave as soon as they are idle.
pub fn set_workers(n: usize) {
    let mut w = lock(&POOL.workers);
    resize(&mut w, n.max(1));
}

fn resize(w: &mut Workers, n: usize) {
    if w.size == 0 {
        let rx = POOL.doorbell.1.clone();
        match crate::context::spawn("pyrus-control".into(), move || control(rx)) {
            Ok(handle) => w.handles.push(handle),
            Err(e) => crate::context::console_error(format!(
                "pyrus: no control thread ({e}): stop cannot interrupt running jobs"
            )),
        }
    }
    w.size = n;
    POOL.size.store(n, Ordering::Release);
    while w.threads < n && start_worker(w) {}
    w.handles.retain(|t| !t.is_finished());
    POOL.wake.notify_all();
}

/// Starts one more worker; false if the OS would not.
fn start_worker(w: &mut Workers) -> bool {
    match crate::context::spawn(format!("pyrus-worker-{}", w.started), worker) {
        Ok(handle) => {
            w.started += 1;
            w.threads += 1;
            w.handles.push(handle);
            true
        }
        Err(e) => {
            crate::context::console_error(format!("pyrus: could not start a worker thread: {e}"));
            false
        }
    }
}

/// Queues a task for the pool, starting the pool first if needed, and one
/// more thread if no worker is free to take it (up to [`GROWTH`] beyond the
/// base size).
pub(crate) fn submit(task: Task) {
    let mut w = lock(&POOL.workers);
    if w.size == 0 {
        resize(&mut w, default_workers());
    }
    queue_task(&mut w, task);
}

/// Queues `task` behind the others and wakes a worker; starts another if
/// more tasks wait than workers are free to take them, so that a worker busy
/// (or blocked) with one object's job never holds up another's.
fn queue_task(w: &mut Workers, task: Task) {
    w.tasks.push_back(task);
    POOL.queued.store(w.tasks.len(), Ordering::Relaxed);
    let no_worker = w.tasks.len() > w.threads.saturating_sub(w.busy);
    if no_worker && w.threads < w.size + GROWTH {
        start_worker(w);
    } else if no_worker && !w.capped {
        w.capped = true;
        crate::context::console_error(format!(
            "pyrus: all {} worker threads are busy (the pool's most: workers {} + {GROWTH}): \
             detached calls wait for one to end",
            w.threads, w.size
        ));
    } else if !no_worker {
        w.capped = false;
    }
    if w.idle > 0 {
        POOL.wake.notify_one();
    }
}

/// Asks the control thread to stop the running jobs of `object` from runs
/// before `below` (`u64::MAX`: all of them).
pub(crate) fn interrupt(object: ObjectId, below: u64) {
    if workers() > 0 {
        request(&POOL.interrupts, &POOL.doorbell.0, |p| p.object(object, below));
    }
}

/// The objects whose jobs are running now. Takes no GIL: the scheduler
/// thread reads it to say who held Python while it waited (see `gil`).
pub(crate) fn running_objects() -> Vec<ObjectId> {
    lock(&POOL.running).iter().map(|r| r.object).collect()
}

/// A worker's life: waiting on the condvar while idle (detached from Python,
/// but keeping its Python thread state: attaching per job would make and free
/// one each time), and attached once per batch of tasks.
fn worker() {
    normal_priority();
    Python::attach(|py| {
        py.detach(|| {
            while let Some(task) = next_task() {
                Python::attach(|py| run_batch(py, task));
            }
        })
    })
}

/// Waits for a task (counting this worker busy once it has one); `None`
/// when this worker is to leave: at exit, or when it is beyond the base size
/// and finds nothing to do after a wait.
fn next_task() -> Option<Task> {
    let mut w = lock(&POOL.workers);
    loop {
        if POOL.closing.load(Ordering::Acquire) {
            w.threads -= 1;
            return None;
        }
        if let Some(task) = w.tasks.pop_front() {
            POOL.queued.store(w.tasks.len(), Ordering::Relaxed);
            w.busy += 1;
            return Some(task);
        }
        w.idle += 1;
        w = POOL.wake.wait_timeout(w, KEEP_ALIVE).unwrap_or_else(|e| e.into_inner()).0;
        w.idle -= 1;
        if w.tasks.is_empty() && w.threads > w.size {
            w.threads -= 1;
            return None;
        }
    }
}

/// Tasks run in one attachment, at most: the rest of a burst waits for the
/// next one, so other threads get the GIL in between.
const BATCH: usize = 64;
const SLICE: Duration = Duration::from_millis(2);

/// Runs `first`, then the tasks already waiting, attached to Python once.
fn run_batch(py: Python<'_>, first: Task) {
    let start = Instant::now();
    let mut task = first;
    for ran in 1.. {
        let back = run_task(py, task);
        let more = ran < BATCH && start.elapsed() <= SLICE;
        let back = match back {
            // A busy serial object, the common case: nothing else waits (the
            // hint, without the lock; a task queued meanwhile finds this
            // worker busy, as it is, and gets another), so go on with it here
            // without the fifo's lock.
            Some(back) if more && POOL.queued.load(Ordering::Relaxed) == 0 => {
                task = back;
                continue;
            }
            back => back,
        };
        let mut w = lock(&POOL.workers);
        // Free now: it counts as one that can take the task handed back.
        w.busy -= 1;
        match back {
            // Nothing else waits: go on with it here, without the fifo.
            Some(back) if more && w.tasks.is_empty() => {
                w.busy += 1;
                task = back;
                continue;
            }
            Some(back) => queue_task(&mut w, back),
            None => {}
        }
        // Take another task only if it will run in this attachment.
        if !more {
            return;
        }
        match w.tasks.pop_front() {
            Some(next) => {
                POOL.queued.store(w.tasks.len(), Ordering::Relaxed);
                w.busy += 1;
                task = next;
            }
            None => return,
        }
    }
}

/// Runs `task`; returns the serial queue's next task if it has more jobs.
fn run_task(py: Python<'_>, task: Task) -> Option<Task> {
    match task {
        Task::Concurrent(queue, run) => {
            run_one(py, &queue, run);
            None
        }
        Task::Serial(queue, run) => {
            run_one(py, &queue, run);
            queue.release_token(run);
            // A job pushed while we ran found the token out and sent no
            // task: hand the queue back (behind other objects' tasks).
            if !queue.has_pending() {
                return None;
            }
            queue.take_token().map(|run| Task::Serial(queue, run))
        }
    }
}

/// Runs one job of `queue`'s `run`, if it still has one, and reports it done.
fn run_one(py: Python<'_>, queue: &Arc<JobQueue>, run: u64) {
    if POOL.closing.load(Ordering::Acquire) {
        return;
    }
    let Some(job) = queue.pop(run) else { return };
    let id = queue.core.id;
    // `on_close` runs to its end: it is not listed for interrupts.
    let interruptible = (!matches!(job, JobKind::Close)).then(|| Interruptible::enter(py, id, run));
    // What the job sends goes through its context's mailbox until `stop`
    // abandons this run.
    let sink = Sink { ctx: queue.ctx.clone(), id, run: Some((queue.clone(), run)) };
    let data_outlets = Some(queue.core.shape().outlets);
    let caller = Caller { out: Out::Marshal(sink), data_outlets, id, numbers: queue.core.numbers };
    let out = &caller.out;
    let status = queue.core.status();
    let done = sync::catch(|| {
        console::call_as(&caller, || match &job {
            JobKind::Message(inlet, m) => queue.core.handle(py, out, *inlet, m),
            JobKind::Device(device) => device.run(py, out, status),
            JobKind::Fire(fire) => fire.run(py, out, status),
            JobKind::Close => queue.core.close(py, out),
            JobKind::Rebind => queue.core.rebind(py, out),
        })
    });
    if let Err(why) = done {
        out.error(&format!("pyrus: internal error in a detached job, which was abandoned: {why}"));
        report::status_error(out, status, "PanicException", &why);
    }
    drop(interruptible);
    queue.ctx.push_waiting(id, Delivery::JobDone(run), |wait| py.detach(wait));
    queue.ctx.producer_end();
}

/// Python work on this thread that [`interrupt`] can stop (raising
/// `pyrus.Stopped` in it), from [`Interruptible::enter`] until dropped: a
/// pool job, or what a `[pyrus~]`'s audio worker runs (run 0).
pub(crate) struct Interruptible<'py> {
    _py: Python<'py>,
    thread: std::ffi::c_ulong,
}

impl<'py> Interruptible<'py> {
    pub(crate) fn enter(py: Python<'py>, object: ObjectId, run: u64) -> Interruptible<'py> {
        // SAFETY: a plain query of this thread's id, attached to Python.
        let thread = unsafe { ffi::PyThread_get_thread_ident() };
        lock(&POOL.running).push(Running { thread, object, run });
        Interruptible { _py: py, thread }
    }
}

impl Drop for Interruptible<'_> {
    fn drop(&mut self) {
        let me = self.thread;
        lock(&POOL.running).retain(|r| r.thread != me);
        // An interrupt that arrived after the work's last bytecode must not
        // fire in this thread's next work. Interrupts are rare: look only if
        // one was sent.
        if POOL.interrupts_sent.load(Ordering::Acquire) > 0 {
            let mut sent = lock(&POOL.interrupted);
            if let Some(i) = sent.iter().position(|&t| t == me) {
                sent.swap_remove(i);
                POOL.interrupts_sent.fetch_sub(1, Ordering::AcqRel);
                // SAFETY: attached (the guard's `Python` token); a null
                // exception clears this thread's pending one.
                unsafe { ffi::PyThreadState_SetAsyncExc(me as _, std::ptr::null_mut()) };
            }
        }
    }
}

/// Starts the pool (its control thread, which carries out interrupts) if
/// no detached job has yet: for a `[pyrus~]` whose worker must be stopped.
pub(crate) fn ensure_started() {
    let mut w = lock(&POOL.workers);
    if w.size == 0 && !POOL.closing.load(Ordering::Acquire) {
        resize(&mut w, default_workers());
    }
}

fn control(doorbell: Receiver<()>) {
    normal_priority();
    while doorbell.recv().is_ok() {
        let request = std::mem::take(&mut *lock(&POOL.interrupts));
        if request.objects.is_empty() && !request.all {
            // A ring for requests an earlier pass already took, or `leave` alone.
            if request.leave {
                return;
            }
            continue;
        }
        let done = sync::catch(|| {
            Python::attach(|py| {
                let stopped = crate::python::values::Stopped::type_object(py);
                // Under the GIL no worker can start or end a job: the list is exact.
                for r in lock(&POOL.running).iter() {
                    if request.hits(r) {
                        lock(&POOL.interrupted).push(r.thread);
                        POOL.interrupts_sent.fetch_add(1, Ordering::AcqRel);
                        // SAFETY: attached; `r.thread` is a live Python thread
                        // running a job, and the exception type is a live class.
                        unsafe { ffi::PyThreadState_SetAsyncExc(r.thread as _, stopped.as_ptr()) };
                    }
                }
            })
        });
        if let Err(why) = done {
            crate::context::console_error(format!("pyrus: internal error while interrupting jobs: {why}"));
        }
        if request.leave {
            return;
        }
    }
}

/// Ends the pool at process exit: every running job is interrupted (by the
/// control thread: this thread never waits for the GIL, which a job in C
/// code may hold for ever) and every worker asked to leave. Returns the
/// pool's threads for the caller to join by its deadline; those busy in C
/// code, or abandoned by `stop` in a wait, end with the process.
pub fn shut_down() -> Vec<JoinHandle<()>> {
    let handles = {
        let mut w = lock(&POOL.workers);
        if w.size == 0 {
            return Vec::new();
        }
        w.size = 0;
        POOL.size.store(0, Ordering::Release);
        POOL.closing.store(true, Ordering::Release);
        std::mem::take(&mut w.handles)
    };
    crate::context::shut_down();
    POOL.wake.notify_all();
    request(&POOL.interrupts, &POOL.doorbell.0, |p| (p.all, p.leave) = (true, true));
    handles
}

/// Resets this thread to the normal time-sharing policy (the workers,
/// the control thread, `[pyrus~]`'s audio workers).
pub(crate) fn normal_priority() {
    #[cfg(unix)]
    {
        // SAFETY: sched_param is plain data (on macOS with private padding,
        // so no struct literal); all zeroes is priority 0.
        let param: libc::sched_param = unsafe { std::mem::zeroed() };
        // SAFETY: pthread_self is this live thread and param is a valid
        // sched_param; failure (e.g. not permitted) leaves the policy as is.
        unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_OTHER, &param) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of requests while the control thread is busy (nobody takes
    /// the doorbell here) is one ring and one entry per object, the latest
    /// cutoff each: nothing grows, nothing blocks, nothing is lost.
    #[test]
    fn requests_to_a_busy_control_thread_are_coalesced() {
        let pending = Mutex::new(Interrupts::default());
        let (doorbell, rings) = bounded(1);
        for run in 0..10_000 {
            for object in [7, 8, 9] {
                request(&pending, &doorbell, |p| p.object(object, run));
            }
        }
        request(&pending, &doorbell, |p| p.object(8, 3));
        assert_eq!(rings.len(), 1);
        let taken = std::mem::take(&mut *lock(&pending));
        assert_eq!(taken.objects, [(7, 9_999), (8, 9_999), (9, 9_999)]);
        let running = |object, run| Running { thread: 0, object, run };
        assert!(taken.hits(&running(8, 9_998)) && !taken.hits(&running(8, 9_999)) && !taken.hits(&running(1, 0)));
        assert!(lock(&pending).objects.is_empty(), "taken once");
    }
}
