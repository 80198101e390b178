//! The shared worker pool that runs detached jobs.
//!
//! A fifo of tasks (a crossbeam channel: a lock-free queue whose waiting
//! receivers sleep on a condvar) feeds `N` named worker threads, started on
//! the first detached job; idle workers sleep in `recv` and never poll. A
//! task names a `JobQueue`: in serial mode the queue has at most one task
//! in the fifo or running at a time, so its jobs run in order; in concurrent
//! mode every job has its own task.
//!
//! Workers run at normal priority: Pd started with `-rt` (or as root) runs
//! its threads `SCHED_FIFO`, and a CPU-bound script at realtime priority
//! would take the scheduler's CPU. Each worker resets its own policy to
//! `SCHED_OTHER` first.
//!
//! `stop` and object deletion interrupt a running job by raising
//! `pyrus.Stopped` in the worker's Python thread
//! (`PyThreadState_SetAsyncExc`). That needs the GIL, which the scheduler
//! must never wait for, so a dedicated `pyrus-control` thread does it.
//!
//! # Threading
//! `submit`, `interrupt` and [`set_workers`]: any thread, never block
//! (they push onto unbounded channels). [`shut_down`]: once, at process
//! exit, from the thread that holds no GIL lease (it ends its own first).

use crate::jobs::{JobKind, JobQueue};
use crate::marshal::{self, Delivery, ObjectId};
use crate::native::{self, Caller};
use crate::remote::Remote;
use crate::sync::{self, lock};
use crossbeam_channel::{unbounded, Receiver, Sender};
use pyo3::prelude::*;
use pyo3::{ffi, PyTypeInfo};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(crate) enum Task {
    /// Run this queue's oldest job, then hand the queue back if it has more.
    Serial(Arc<JobQueue>),
    /// Run one of this queue's jobs, alongside any others.
    Concurrent(Arc<JobQueue>),
    /// A worker leaves (the pool shrinks, or shuts down).
    Exit,
}

struct Pool {
    tasks: (Sender<Task>, Receiver<Task>),
    /// `None` tells the control thread to leave.
    interrupts: (Sender<Option<ObjectId>>, Receiver<Option<ObjectId>>),
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Workers wanted; 0 until the first job starts them.
    size: AtomicUsize,
    /// Jobs running now: (Python thread id, object), for interrupts.
    running: Mutex<Vec<(std::ffi::c_ulong, ObjectId)>>,
    /// Set at shutdown: workers start no more jobs.
    closing: AtomicBool,
    /// Threads an interrupt was raised in, until they clear it, and how many.
    interrupted: Mutex<Vec<std::ffi::c_ulong>>,
    interrupts_sent: AtomicUsize,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool {
    tasks: unbounded(),
    interrupts: unbounded(),
    threads: Mutex::new(Vec::new()),
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

/// How many workers the pool has (0 before the first detached job).
pub fn workers() -> usize {
    POOL.size.load(Ordering::Acquire)
}

/// Sets the number of workers (at least 1); starts the pool if needed.
pub fn set_workers(n: usize) {
    let n = n.max(1);
    let mut threads = lock(&POOL.threads);
    let had = POOL.size.swap(n, Ordering::AcqRel);
    if had == 0 {
        spawn_control(&mut threads);
    }
    for i in had..n {
        let rx = POOL.tasks.1.clone();
        threads.push(spawn(format!("pyrus-worker-{i}"), move || worker(rx)));
    }
    for _ in n..had {
        let _ = POOL.tasks.0.send(Task::Exit);
    }
    threads.retain(|t| !t.is_finished());
}

fn spawn_control(threads: &mut Vec<JoinHandle<()>>) {
    let rx = POOL.interrupts.1.clone();
    threads.push(spawn("pyrus-control".into(), move || control(rx)));
}

fn spawn(name: String, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            normal_priority();
            f()
        })
        .expect("the OS can start a thread")
}

/// Queues a task for the pool, starting the pool first if needed.
pub(crate) fn submit(task: Task) {
    if workers() == 0 {
        set_workers(default_workers());
    }
    // The receiver lives in POOL for the whole process: send cannot fail.
    let _ = POOL.tasks.0.send(task);
}

/// Asks the control thread to stop every running job of `object`.
pub(crate) fn interrupt(object: ObjectId) {
    if workers() > 0 {
        let _ = POOL.interrupts.0.send(Some(object));
    }
}

/// The objects whose jobs are running now. Takes no GIL: the scheduler
/// thread reads it to say who held Python while it waited (see `gil`).
pub(crate) fn running_objects() -> Vec<ObjectId> {
    lock(&POOL.running).iter().map(|&(_, object)| object).collect()
}

/// A worker's life: blocked in `recv` while idle (detached from Python, but
/// keeping its Python thread state: attaching per job would make and free
/// one each time), and attached once per batch of tasks.
fn worker(tasks: Receiver<Task>) {
    Python::attach(|py| {
        py.detach(|| {
            while let Ok(task) = tasks.recv() {
                if !run_batch(&tasks, task) {
                    return;
                }
            }
        })
    })
}

/// Tasks run in one attachment, at most: the rest of a burst waits for the
/// next one, so other threads get the GIL in between.
const BATCH: usize = 64;
const SLICE: Duration = Duration::from_millis(2);

/// Runs `first`, then the tasks already waiting, attached to Python once.
/// Returns false when the worker is to leave.
fn run_batch(tasks: &Receiver<Task>, first: Task) -> bool {
    Python::attach(|py| {
        let start = Instant::now();
        let mut task = first;
        let mut ran = 0;
        loop {
            match task {
                Task::Exit => return false,
                Task::Concurrent(queue) => run_one(py, &queue),
                Task::Serial(queue) => {
                    run_one(py, &queue);
                    queue.scheduled.store(false, Ordering::Release);
                    // A job pushed while we ran found `scheduled` set and sent
                    // no task: hand the queue back (behind other objects' tasks).
                    if queue.has_pending() && !queue.scheduled.swap(true, Ordering::AcqRel) {
                        let _ = POOL.tasks.0.send(Task::Serial(queue));
                    }
                }
            }
            ran += 1;
            // Take another task only if it will run in this attachment.
            if ran == BATCH || start.elapsed() > SLICE {
                return true;
            }
            match tasks.try_recv() {
                Ok(next) => task = next,
                Err(_) => return true,
            }
        }
    })
}

/// Runs one job of `queue`, if it still has one, and reports it done.
fn run_one(py: Python<'_>, queue: &Arc<JobQueue>) {
    if POOL.closing.load(Ordering::Acquire) {
        return;
    }
    let Some(job) = queue.pop() else { return };
    let id = queue.core.id;
    // SAFETY: a plain query of this thread's id, attached to Python.
    let me = unsafe { ffi::PyThread_get_thread_ident() };
    // `on_close` runs to its end: it is not listed for interrupts.
    let interruptible = !matches!(job, JobKind::Close);
    if interruptible {
        lock(&POOL.running).push((me, id));
    }
    let remote = Rc::new(Remote { id });
    let caller = Rc::new(Caller { host: remote.clone(), data_outlets: queue.core.shape().outlets, id });
    {
        let _current = native::enter(&caller);
        match &job {
            JobKind::Message(inlet, m) => queue.core.handle(py, &*remote, *inlet, m),
            JobKind::Device(device) => device.run(py, &*remote, queue.core.status()),
            JobKind::Close => queue.core.close(py, &*remote),
        }
    }
    lock(&POOL.running).retain(|&(t, _)| t != me);
    // An interrupt that arrived after the job's last bytecode must not fire
    // in this thread's next job. Interrupts are rare: look only if one was sent.
    if POOL.interrupts_sent.load(Ordering::Acquire) > 0 {
        let mut sent = lock(&POOL.interrupted);
        if let Some(i) = sent.iter().position(|&t| t == me) {
            sent.swap_remove(i);
            POOL.interrupts_sent.fetch_sub(1, Ordering::AcqRel);
            // SAFETY: attached; a null exception clears this thread's pending one.
            unsafe { ffi::PyThreadState_SetAsyncExc(me as _, std::ptr::null_mut()) };
        }
    }
    marshal::push_waiting(id, Delivery::JobDone, |wait| py.detach(wait));
    marshal::producer_end();
}

fn control(requests: Receiver<Option<ObjectId>>) {
    while let Ok(Some(object)) = requests.recv() {
        Python::attach(|py| {
            let stopped = native::Stopped::type_object(py);
            // Under the GIL no worker can start or end a job: the list is exact.
            for &(thread, _) in lock(&POOL.running).iter().filter(|(_, o)| *o == object) {
                lock(&POOL.interrupted).push(thread);
                POOL.interrupts_sent.fetch_add(1, Ordering::AcqRel);
                // SAFETY: attached; `thread` is a live Python thread running a
                // job of `object`, and the exception type is a live class.
                unsafe { ffi::PyThreadState_SetAsyncExc(thread as _, stopped.as_ptr()) };
            }
        });
    }
}

/// Ends the pool at process exit: every running job is interrupted, every
/// worker asked to leave, and each is joined until `deadline` has passed. A
/// worker stuck in C code past it is left to the process exit.
pub fn shut_down(deadline: Duration) -> usize {
    let n = POOL.size.swap(0, Ordering::AcqRel);
    if n == 0 {
        return 0;
    }
    marshal::shut_down();
    POOL.closing.store(true, Ordering::Release);
    Python::attach(|py| {
        let stopped = native::Stopped::type_object(py);
        for &(thread, _) in lock(&POOL.running).iter() {
            // SAFETY: as in `control`.
            unsafe { ffi::PyThreadState_SetAsyncExc(thread as _, stopped.as_ptr()) };
        }
    });
    for _ in 0..n {
        let _ = POOL.tasks.0.send(Task::Exit);
    }
    let _ = POOL.interrupts.0.send(None);
    // Not attached here: the workers can take the GIL to finish.
    let threads = std::mem::take(&mut *lock(&POOL.threads));
    sync::join_by(threads, Instant::now() + deadline)
}

/// Resets this thread to the normal time-sharing policy.
fn normal_priority() {
    #[cfg(unix)]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pthread_self is this live thread and param is a valid
        // sched_param; failure (e.g. not permitted) leaves the policy as is.
        unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_OTHER, &param) };
    }
}
