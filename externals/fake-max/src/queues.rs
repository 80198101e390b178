//! The two Max threads' work: the main thread's queue (commands from the
//! stdin reader, qelems, defer/defer_low calls, quit tasks) and the
//! scheduler's state (logical time, clocks, `schedule` calls, `sched`
//! commands). The stdin reader and any thread push; the main thread drains
//! its queue; the scheduler thread (the main thread with overdrive 0) drains
//! the scheduler's. Locks are never held while external code runs; the only
//! nesting is the scheduler's lock, then the registry's.

use super::abi::{Atom, Atoms, Symbol};
use super::output::{self, Role};
use super::registry::{reg, FnAddr};
use super::sync::lock;
use std::collections::{HashMap, VecDeque};
use std::ffi::{c_short, c_void};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

type DeferFn = unsafe extern "C" fn(*mut c_void, *mut Symbol, c_short, *mut Atom);
type ClockFn = unsafe extern "C" fn(*mut c_void);

/// A call `fun(ob, sym, argc, argv)` (defer, defer_low, schedule).
pub struct Call {
    pub ob: usize,
    pub fun: FnAddr,
    pub sym: usize,
    pub args: Atoms,
}

impl Call {
    pub fn new(ob: *mut c_void, fun: FnAddr, sym: *mut Symbol, argc: c_short, argv: *const Atom) -> Call {
        let args = if argv.is_null() || argc <= 0 {
            Vec::new()
        } else {
            // SAFETY: the caller passes `argc` atoms at `argv` (Max's
            // contract for defer and schedule, which copy them).
            unsafe { std::slice::from_raw_parts(argv, argc as usize) }.to_vec()
        };
        Call { ob: ob as usize, fun, sym: sym as usize, args: Atoms(args) }
    }

    pub fn run(self, what: &str) {
        if freed_object(self.ob) {
            output::violation(&format!("{what} call for a freed object ({})", reg().class_name_of(self.ob)));
            return;
        }
        self.run_unchecked();
    }

    /// The call, its object's liveness checked by the caller.
    pub fn run_unchecked(mut self) {
        let argc = self.args.0.len() as c_short;
        // SAFETY: `fun` was given to defer/schedule with Max's prototype of a
        // deferred function (ob, sym, short argc, argv).
        unsafe {
            std::mem::transmute::<FnAddr, DeferFn>(self.fun)(
                self.ob as *mut c_void,
                self.sym as *mut Symbol,
                argc,
                self.args.0.as_mut_ptr(),
            )
        }
    }
}

/// True if `x` is an object the kernel made and has freed.
pub fn freed_object(x: usize) -> bool {
    reg().objects.get(&x).is_some_and(|o| o.freed)
}

// ---- main thread ----

pub enum MainJob {
    Qelem(usize),
    Call(Call, &'static str),
}

pub struct Qelem {
    pub owner: usize,
    pub fun: FnAddr,
    pub pending: bool,
    pub freed: bool,
}

#[derive(Default)]
pub struct MainState {
    pub commands: VecDeque<String>,
    pub jobs: VecDeque<MainJob>,
    pub qelems: HashMap<usize, Qelem>,
    pub quit_tasks: Vec<(FnAddr, usize)>,
}

pub struct MainQueue {
    pub state: Mutex<MainState>,
    pub wake: Condvar,
}

pub fn main_queue() -> &'static MainQueue {
    static Q: OnceLock<MainQueue> = OnceLock::new();
    Q.get_or_init(|| MainQueue { state: Mutex::new(MainState::default()), wake: Condvar::new() })
}

pub fn push_job(job: MainJob, front: bool) {
    let q = main_queue();
    let mut s = lock(&q.state);
    if front {
        s.jobs.push_front(job);
    } else {
        s.jobs.push_back(job);
    }
    q.wake.notify_all();
}

/// Runs the jobs queued now (not those they queue: those wait for the next
/// turn, so a qelem that sets itself cannot starve the commands).
pub fn run_main_jobs() {
    let n = lock(&main_queue().state).jobs.len();
    for _ in 0..n {
        let Some(job) = lock(&main_queue().state).jobs.pop_front() else { break };
        match job {
            MainJob::Call(c, what) => c.run(what),
            MainJob::Qelem(q) => {
                let fire = {
                    let mut s = lock(&main_queue().state);
                    match s.qelems.get_mut(&q) {
                        Some(e) if e.pending && !e.freed => {
                            e.pending = false;
                            Some((e.owner, e.fun))
                        }
                        _ => None,
                    }
                };
                if let Some((owner, fun)) = fire {
                    if freed_object(owner) {
                        output::violation(&format!("qelem of a freed object ({}) fired", reg().class_name_of(owner)));
                        continue;
                    }
                    // SAFETY: `fun` was given to qelem_new as the qelem's
                    // function, called with its object (Max's contract).
                    unsafe { std::mem::transmute::<FnAddr, ClockFn>(fun)(owner as *mut c_void) };
                }
            }
        }
    }
}

// ---- scheduler ----

pub struct Clock {
    pub owner: usize,
    pub fun: FnAddr,
    pub when: Option<f64>,
    pub seq: u64,
    /// The logical time it was set at.
    pub set_at: f64,
    pub freed: bool,
}

/// Work for the scheduler thread: a `sched` command.
pub enum SchedJob {
    Deliver { x: usize, id: String, inlet: i64, sel: usize, args: Atoms },
}

pub struct SchedState {
    pub start: Instant,
    /// Logical time (ms): during a clock's call, the time it was set for.
    pub now: f64,
    pub clocks: HashMap<usize, Clock>,
    pub seq: u64,
    pub jobs: VecDeque<SchedJob>,
    pub timed: Vec<(f64, u64, Call)>,
    pub overdrive: bool,
    pub stop: bool,
}

pub struct Scheduler {
    pub state: Mutex<SchedState>,
    pub wake: Condvar,
}

pub fn scheduler() -> &'static Scheduler {
    static S: OnceLock<Scheduler> = OnceLock::new();
    S.get_or_init(|| Scheduler {
        state: Mutex::new(SchedState {
            start: Instant::now(),
            now: 0.0,
            clocks: HashMap::new(),
            seq: 0,
            jobs: VecDeque::new(),
            timed: Vec::new(),
            overdrive: true,
            stop: false,
        }),
        wake: Condvar::new(),
    })
}

pub fn push_sched(job: SchedJob) {
    let s = scheduler();
    lock(&s.state).jobs.push_back(job);
    s.wake.notify_all();
}

impl SchedState {
    pub fn real_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }
}

/// One pass of the scheduler on this thread: every clock and `schedule`
/// call due by now in time order, then the queued `sched` commands. A clock
/// set during the pass for a later logical time than it was set at fires in
/// it too, when due (so a pass late by a stall runs `every`'s re-armed
/// clocks at their own times, in order with the others, as Max's scheduler
/// does); one set for no later (a zero delay) waits for the next 1 ms tick,
/// as `schedule` calls set during the pass do.
pub fn run_scheduler_pass() {
    let (horizon, first_new) = {
        let s = lock(&scheduler().state);
        (s.real_ms(), s.seq)
    };
    loop {
        enum Due {
            Clock(usize, FnAddr, bool),
            Timed(Call, bool),
        }
        let due = {
            let mut s = lock(&scheduler().state);
            let clock = s
                .clocks
                .iter()
                .filter_map(|(&c, k)| {
                    k.when
                        .filter(|&w| w <= horizon && (k.seq <= first_new || w > k.set_at) && !k.freed)
                        .map(|w| (w, k.seq, c))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let timed = s
                .timed
                .iter()
                .enumerate()
                .filter(|(_, t)| t.0 <= horizon && t.1 <= first_new)
                .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.1 .1.cmp(&b.1 .1)))
                .map(|(i, t)| (i, t.0, t.1));
            // Whether the object is alive is decided here, under the
            // scheduler's lock, where the object's free method (which frees
            // its clock) cannot be half done: a free after this point meets
            // a call in flight, as in Max.
            match (clock, timed) {
                (Some((w, q, c)), t) if t.is_none_or(|t| (w, q) <= (t.1, t.2)) => {
                    s.now = s.now.max(w);
                    let k = s.clocks.get_mut(&c).expect("clock listed");
                    k.when = None;
                    Some(Due::Clock(k.owner, k.fun, freed_object(k.owner)))
                }
                (_, Some((i, w, _))) => {
                    s.now = s.now.max(w);
                    let call = s.timed.remove(i).2;
                    let freed = freed_object(call.ob);
                    Some(Due::Timed(call, freed))
                }
                _ => None,
            }
        };
        match due {
            Some(Due::Clock(owner, fun, freed)) => {
                if freed {
                    output::violation(&format!("clock of a freed object ({}) fired", reg().class_name_of(owner)));
                    continue;
                }
                // SAFETY: `fun` was given to clock_new as the clock's
                // function, called with its object (Max's contract).
                unsafe { std::mem::transmute::<FnAddr, ClockFn>(fun)(owner as *mut c_void) };
            }
            Some(Due::Timed(c, freed)) => {
                if freed {
                    output::violation(&format!("schedule call for a freed object ({})", reg().class_name_of(c.ob)));
                    continue;
                }
                c.run_unchecked();
            }
            None => break,
        }
    }
    loop {
        let job = {
            let mut s = lock(&scheduler().state);
            s.now = s.now.max(horizon);
            s.jobs.pop_front()
        };
        match job {
            Some(SchedJob::Deliver { x, id, inlet, sel, args }) => {
                super::commands::deliver_checked(x, &id, inlet, sel as *mut Symbol, &args.0)
            }
            None => break,
        }
    }
}

/// The scheduler thread: a pass every 1 ms (or when work arrives) while
/// overdrive is on; idle while the main thread runs the scheduler.
pub fn scheduler_thread() {
    output::set_role(Role::Sched);
    loop {
        {
            let s = lock(&scheduler().state);
            if s.stop {
                return;
            }
            let run = s.overdrive;
            drop(s);
            if run {
                output::guarded("the scheduler", run_scheduler_pass);
            }
        }
        let s = lock(&scheduler().state);
        if s.stop {
            return;
        }
        let _unused = scheduler().wake.wait_timeout(s, Duration::from_millis(1));
    }
}
