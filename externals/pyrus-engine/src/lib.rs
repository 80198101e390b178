//! The host-agnostic pyrus engine: the embedded interpreter, conversion between
//! host atoms and Python values, the script-side `pyrus` module and the
//! `[pyrus]` object itself. It knows nothing of Pd or Max: a host crate makes
//! one [`Context`] per host instance around its [`Host`], gives each object
//! its [`Outlets`], and forwards its messages to [`Object`]. It reads its
//! own syntax for creation options (Pd `-detach 1`, Max `@detach 1`) into an
//! [`Options`] through [`OptionSet::set`], the validation the runtime messages
//! use too, and names itself for the engine's texts ([`Host::name`]).
//! A host's atoms have floats only (Pd) or ints and floats (Max), as it
//! declares ([`Host::numbers`], [`atoms::Numbers`]); conversion follows that.
//!
//! *Host threads* are the threads a host runs engine code on: Pd's one
//! thread (per instance), Max's main and scheduler threads.
//!
//! # Module map
//!
//! Low to high: each module uses only those above it in this list, but for
//! one circle left: `python::{core, gil, native, runtime}`, the `detach`
//! jobs and pool, and `usb::script` (the GIL lease names the pool's running
//! jobs and describes objects through `core`; the interpreter installs
//! `_pyrus`; `_pyrus` installs `pyrus.usb`).
//!
//! - `host`, `sync`, `call_lock`: the [`Host`] and [`Outlets`] traits a host
//!   crate implements; a poison-free lock, [`catch`], joining by a deadline;
//!   the per-object call lock (host threads).
//! - [`marshal`] (`detach/`): the bounded mailbox of deliveries from any
//!   thread to a host thread, and [`BUDGET`].
//! - `context`: one per host instance ([`Context`]): its registry of
//!   objects, mailbox, logical time, the parts upper modules keep per
//!   instance; starts every engine thread (any thread).
//! - `out`, `detach::sink`: where an object's output goes, straight to the
//!   host on a host thread or marshalled from a worker; the one status-error
//!   formatter.
//! - `object::options`: typed options, their one validation, the object's
//!   own words (a host thread).
//! - `python/`: the interpreter ([`runtime`]), the GIL lease ([`gil`]),
//!   values and [`convert`]ion, dotted names ([`resolve`]), reports, script
//!   output (`console`), the `_pyrus` module (`native`), what an object does
//!   in Python (`core`: calls, classes, reloads, `Context::reload`): any
//!   thread attached to Python. With the `abi3` feature (the cores turn it
//!   on: one build for every Python from 3.10 on) the engine uses the
//!   limited API only, and `optional` finds the few functions outside it in
//!   the running libpython (a fast path, the GIL check), read-only after
//!   their first use, from any thread.
//! - `detach/` jobs and [`pool`]: an object's job queue, the shared worker
//!   pool and the control thread (workers; host threads submit).
//! - `live/`: `watch 1` (the `pyrus-watch` thread) and `open` (the editor).
//! - [`usb`]: script devices, the device threads (`pyrus-usb-device`) and
//!   [`UsbObject`] (host threads).
//! - [`arrays`]: `pyrus.array(NAME)`: the host's arrays as numpy views for
//!   one operation of a call on a host thread; a detached call's requests,
//!   carried out by the service (any thread attached to Python; the
//!   service's step on a host thread).
//! - `clocks`: scripts' clocks and receivers (`pyrus.after/every/receive`):
//!   host clocks and bindings touched on host threads only, callbacks run
//!   where the object's calls run.
//! - `detach::service`: [`Context::service`], which carries out a context's
//!   deliveries (a host thread of the context).
//! - `object/`: [`Object`], the `[pyrus]` facade a host forwards messages to
//!   (host threads of its context).
//! - [`signal`]: [`SignalObject`], `[pyrus~]` (host threads), its audio
//!   worker (`pyrus-audio-N`) and [`Perform`], the half of its lock-free
//!   rings that the host's audio thread runs.
//!
//! # Thread contract
//!
//! | entry point | thread | concurrently | blocks on |
//! |---|---|---|---|
//! | [`runtime::start`] | any | yes (first call initialises, others wait) | Python initialisation, the GIL |
//! | [`Context::new`] | any | yes | the list of live contexts' lock (O(1)) |
//! | [`Object::new`], [`Object::message`], drop of [`Object`] | a host thread of the object's context | yes (`Object` is `Send + Sync`): synchronous calls one at a time per object, each depth-first on the thread that delivered it; re-entrant through outlets | `new`, and the others in `detach 0`: the GIL (a wait over 100 ms is posted, see [`gil`]), then the object's call lock (waited for with the GIL released; a wait cycle between two threads lends the object instead of deadlocking; not taken where [`Host::one_thread`] says the instance has one thread, as Pd's); in `detach 1\|2` only atomics and locks held for O(1) steps by any thread (the object's job queue, the pool's fifo), no call lock |
//! | [`SignalObject::new`], [`SignalObject::message`], [`SignalObject::dsp`], drop of [`SignalObject`] | a host thread of its context | yes (`Send + Sync`) | `new`: the GIL (it imports the class and makes the instance, as [`Object::new`] does), then starting its worker; `message`, `dsp`: O(1) locks (the worker's message queue, the next rings), never Python (messages run on the worker); drop: joining the worker for at most [`signal::DROP_DEADLINE`], the GIL released (a `process` in C code is left to end on its own) |
//! | [`Perform::run`] (and [`Perform::ready`]) | the host's audio thread, one call at a time | yes, with host threads and the worker | nothing: lock-free SPSC rings (`ringbuf`) and atomics, no allocation, no lock, no Python, no system call in the steady state (the worker wakes on its own timer); unparks the worker (a futex wake) only when it is behind or asleep without a timer (DSP was off) |
//! | `pyrus-audio-N` (one per `[pyrus~]`, normal priority: `SCHED_OTHER`, never the host's realtime one) | the object's messages, reloads, its script's clock and receiver callbacks (in order with the messages) and `process` calls, one at a time, messages first (between two blocks); with nothing to do, sleeps on a timer while blocks come (until half a host block after the next chunk should be complete, 0.2 to 20 ms), and parks without a timer before the first `dsp()` and once no block has come for 200 ms; notices underruns and asks the service to report them (`underrun N`, at most once a second, from a host thread); interrupted (`pyrus.Stopped`) by `pyrus-control` at drop and exit; catches a panic per call (reported, it carries on) | — | the GIL; a full mailbox (GIL released) |
//! | [`Object::describe`], [`UsbObject::describe`] (what a port is for: Max's `assist`) | any host thread of the object's context | yes | an O(1) lock (the texts are made where the target resolves) |
//! | [`Host`] methods (called by the engine) | `post`, `error`: a host thread; `send`, `logical_time`, `request_service`: a host thread, may re-enter; `clock`, `bind` and their handles' `delay` and drop: a host thread (also inside their own tick or receive); `wake`: any thread | yes | must not block |
//! | [`Outlets`] methods (called by the engine) | `create`: the creating host thread, once, at the end of [`Object::new`] or [`UsbObject::new`] (what the object said while being made waits for it, also from a service on another host thread); the others: a host thread, inside one of the object's calls (its call lock held) or a delivery the service carries out for it | re-entrant; a delivery on the servicing thread may meet a call on another host thread | must not block |
//! | `pyrus.array(NAME)`, a `pyrus.Array`'s operations (from scripts; see [`arrays`]) | the thread running the object's call (the proxy refuses any other, and any use after that call) | — | on a host thread: the host's array calls ([`Host::array_open`] ... [`Host::array_close`] around each operation: a lookup, Max's lock); elsewhere: a request queued for the context's service, its answer waited for with the GIL released for at most [`arrays::TIMEOUT`] (released at once by [`shut_down`]) |
//! | [`Host`] array methods (`array_open`, `array_close`, `array_redraw`, `array_resize`; called by the engine) | a host thread of the context: a synchronous call's operation, or the service's step carrying out a request | yes (Max: both threads) | must not block (Max's lock is a claim count) |
//! | `pyrus.out/post/error/send/time` (from scripts) | the thread running the object's call | — | the host call (on a host thread); a full mailbox, GIL released (elsewhere) |
//! | `print()`, `sys.stdout`/`sys.stderr` writes (from scripts; `console`) | any thread attached to Python | yes | nothing (the current caller's output; no caller: a host thread's context's console, else the first live context's, through its mailbox) |
//! | [`gil::end_lease`] | a host thread, outside any call | no | nothing |
//! | [`Context::service`] | any host thread of the context; one drains at a time (re-entrant on its thread): a call from a second host thread meanwhile ends that thread's own GIL lease, does nothing else and returns `true` | yes, with other contexts' | nothing but where a `detach 0` object's call is due (a script device's events, a rebind, a watched file's reload): the GIL and its call lock, as a call |
//! | [`Host::wake`] (the host's waker) | any thread (workers, script and device threads) | yes | must not block |
//! | [`pool::set_workers`] | any | yes | the pool's lock (starts or retires threads) |
//! | [`shut_down`] | the exiting thread, once | no | joining every engine thread, at most the deadline in all; never the GIL |
//! | worker threads (`pyrus-worker-N`): the base size, plus up to [`pool::GROWTH`] while no worker is free; extras leave after [`pool::KEEP_ALIVE`] idle; shared by every context | run jobs attached to Python, push deliveries into the job's context's mailbox; catch a job's panic (reported, the job counts as done) | — | the GIL; a full mailbox (GIL released) |
//! | `pyrus-control` | interrupts running jobs for `stop`, deletion and exit; its requests are coalesced (one pending per object, a doorbell of one), so asking never blocks | — | the GIL (nobody waits for it) |
//! | `pyrus-watch` | debounces file events for `watch 1` (a bounded channel of 1024 paths (`watch::EVENTS`) from the OS watcher, which never waits: full sets a rescan of every watched file), pushes `Reload` deliveries into each watcher's context | — | a full mailbox |
//! | [`Context::wants_service`] (whether to arrange a service: work, held deliveries, counts to report, slow-wait reports) | any host thread of the context | yes | O(1) locks |
//! | [`gil::released`] (runs a closure with the GIL released, however this thread holds it) | a host thread that must wait for another host thread (Max's free waiting for the scheduler thread's call) | yes | the closure, then taking the GIL back |
//! | [`Context::control`] (the global receiver's `workers N`, `reload [MODULE]`) | a host thread of the context, outside any call | no | `reload`: as [`Context::reload`]; `workers`: the pool's lock |
//! | [`Context::reload`] (`[; pyrus reload(`) | a host thread of the context, outside any call | no | the GIL; rebinds this context's `detach 0` objects here (their call locks), other contexts' through their mailboxes |
//! | [`UsbObject::new`], [`UsbObject::message`], [`UsbObject::open`], drop of [`UsbObject`] | a host thread of its context | yes (`Send + Sync`: atomics and a channel, no call lock) | nothing (commands go to the device thread through a bounded channel: a full one refuses them, `error ... device busy: N commands waiting` once) |
//! | `pyrus.usb.open/connect/listen/demo`, `Device.send/close` (from scripts) | the thread running the object's call | yes | nothing (commands go to the device thread, as above) |
//! | `pyrus.usb.devices()` (from scripts) | the thread running the object's call | yes | enumerating USB, with the GIL released |
//! | a class's `on_reload`, for another object's reload, the global one or a watch save | where its own object's calls run: a host thread of its context (`detach 0`) or a worker (`detach 1\|2`), as a call of that object | — | the GIL |
//! | a script device's callback | where its object's calls run: a host thread of its context (`detach 0`) or a worker (`detach 1\|2`), one run per device at a time, in order | — | the GIL |
//! | `pyrus.after/every/receive`, a hook's `cancel()` (from scripts; `clocks`) | the thread running the object's call | yes | an O(1) lock; on a host thread of the context, the host's clock or binding calls ([`Host::clock`], [`Host::bind`]); elsewhere nothing (the service arms or frees it, through the context's waker) |
//! | a host clock's tick, a bound name's message (`clocks`: the host calls them) | a host thread of the context | re-entrant (a `detach 0` callback runs inside, and may cancel its own hook) | what a call of the object waits for in `detach 0`; in `detach 1\|2` and for a `[pyrus~]`, O(1) locks (the job queue, the audio worker's message queue) |
//! | a script's clock or receiver callback | where its object's calls run: a host thread of its context (`detach 0`), a worker (`detach 1\|2`) or a `[pyrus~]`'s audio worker (between two blocks), as a call of that object; a detached or `[pyrus~]` timer has at most one run outstanding | — | the GIL |
//! | `pyrus-usb-device` (one per device) | opens, writes and closes its device; events to its queue; catches a panic per command (device closed, owner told); closes a device whose own threads ended, a panic among them included (`pyrus_usb::thread`) | — | USB, the network; a full usbredir writer (`pyrus_usb::net::FRAMES` buffers: it waits for room, until exit or the device's end) |
//!
//! The USB engine's own threads (readers, writers, acceptors, hotplug;
//! `pyrus-usb-*`) start through `pyrus_usb::thread::spawn`: a panic on one is
//! an error event of its device (console and status outlet) and ends the
//! device, which its device thread then closes.
//!
//! What is one per process: the interpreter, the worker pool, the control
//! and watch threads, and the list of live contexts (for reloads, exit, and
//! output that belongs to no object and no host thread, which goes to the
//! first live context's console). What is one per [`Context`]: its objects,
//! its mailbox and waker, its logical time, its script devices with events
//! pending. What is per thread, by nature: the GIL lease (the thread that
//! holds the GIL) and the caller stack (the call running on this thread).
//!
//! Every engine thread starts through one helper (`context::spawn`) with a
//! [`STACK`]-sized stack (8 MiB, a Python main thread's), so Python code
//! recurses as deep on any of them as on the main thread; the bootstrap
//! gives threads that scripts start the same (`threading.stack_size`).
//!
//! In synchronous mode (`detach 0`) a call runs on the host thread that
//! delivered it and holds the GIL while it runs, as every other Python
//! external does, and keeps it until the end of that thread's scheduler pass
//! (see [`gil`]). In detached mode a host thread only turns messages into
//! jobs of plain Rust data and carries out deliveries: it never attaches to
//! Python, never waits for the GIL and never blocks on another thread's
//! work: the only locks it takes are held by any thread for O(1) steps
//! ([`Object`], [`marshal`], [`pool`]).
#![deny(unsafe_code)]

pub mod arrays;
mod call_lock;
mod clocks;
mod context;
mod detach;
mod host;
mod live;
mod object;
mod out;
mod python;
pub mod signal;
mod sync;
#[cfg(feature = "test-host")]
pub mod test_host;
pub mod usb;

// The public API, by deliberate path: the modules a host crate and the
// tests name, and the types at the crate root.
pub use detach::{marshal, pool};
pub use python::{convert, gil, resolve, runtime};

pub use arrays::{ArrayMemory, SampleType};
pub use context::Context;
pub use host::{console_lines, Binding, Clock, Host, NoReceiver, Outlets, Port};
pub use marshal::BUDGET;
pub use object::{Detach, Object, OptionName, OptionSet, Options, UsbOptions, DEFAULT_QUEUE, OWN, RESERVED};
pub use python::console::{LINES_PER_SECOND, MAX_LINE_BYTES};
pub use signal::{Perform, Sample, SignalObject};
pub use sync::{catch, STACK};
pub use usb::{DeviceSpec, UsbObject, COMMANDS as USB_COMMANDS};

/// Ends the engine at process exit: this thread's GIL lease is
/// released, running jobs are interrupted, every thread the engine started
/// is told to end, and then all of them are joined until `deadline` has
/// passed, together. Nothing here waits for the GIL (a job in C code may
/// hold it for ever). Returns how many threads were still running then
/// (they end with the process).
///
/// # Threading
/// A host thread (or the thread exiting the process), once, for every
/// context.
pub fn shut_down(deadline: std::time::Duration) -> usize {
    let end = std::time::Instant::now() + deadline;
    gil::end_lease();
    // Nothing waits for a mailbox that nobody drains any more.
    context::shut_down();
    // Workers waiting for an array request are let go.
    arrays::shut_down();
    // First: the pool's interrupts at exit reach what they run too.
    let mut threads = signal::shut_down();
    threads.extend(pool::shut_down());
    threads.extend(usb::device_thread::shut_down());
    threads.extend(live::watch::shut_down());
    sync::join_by(threads, end)
}
pub use pyrus_atoms as atoms;
