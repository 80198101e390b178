//! The host-agnostic pyrus engine: the embedded interpreter, conversion between
//! host atoms and Python values, the script-side `pyrus` module and the
//! `[pyrus]` object itself. It knows nothing of Pd or Max: a host crate
//! implements [`Host`] and forwards its messages to [`Object`]. It reads its
//! own syntax for creation options (Pd `-detach 1`, Max `@detach 1`) into an
//! [`Options`] through [`OptionSet::set`], the validation the runtime messages
//! use too, and names itself for the engine's texts ([`Host::name`]).
//! A host's atoms have floats only (Pd) or ints and floats (Max), as it
//! declares ([`Host::numbers`], [`atoms::Numbers`]); conversion follows that.
//!
//! # Thread contract
//!
//! | entry point | thread | concurrently | blocks on |
//! |---|---|---|---|
//! | [`runtime::start`] | any | yes (first call initialises, others wait) | Python initialisation, the GIL |
//! | [`Object::new`], [`Object::message`], drop of [`Object`] | host scheduler thread | no (`Object` is `!Send`); re-entrant through outlets | `new`, and the others in `detach 0`: the GIL (a wait over 100 ms is posted, see [`gil`]); in `detach 1\|2` only locks held for O(1) steps by any thread (the object's job queue, the pool's fifo) |
//! | [`Host`] methods (called by the engine) | host scheduler thread | re-entrant | must not block |
//! | `pyrus.out/post/error/send/time` (from scripts) | the thread running the object's call | — | the host call |
//! | `print()`, `sys.stdout`/`sys.stderr` writes (from scripts; `console`) | any thread attached to Python | yes | nothing (the current caller's host; a full mailbox as `Remote` does) |
//! | [`gil::end_lease`], [`service`] | host scheduler thread, outside any call (`service` is re-entrant) | no | nothing |
//! | [`set_console`] | host scheduler thread, before [`runtime::start`] | no | nothing |
//! | [`marshal::set_waker`] | any, once | yes | nothing |
//! | the waker the host installs | any thread (workers, script threads) | yes | must not block |
//! | [`pool::set_workers`] | any | yes | the pool's lock (starts or retires threads) |
//! | [`shut_down`] | the exiting thread, once | no | joining every engine thread, at most the deadline in all; never the GIL |
//! | worker threads (`pyrus-worker-N`): the base size, plus up to [`pool::GROWTH`] while no worker is free; extras leave after [`pool::KEEP_ALIVE`] idle | run jobs attached to Python, push deliveries; catch a job's panic (reported, the job counts as done) | — | the GIL; a full mailbox (GIL released) |
//! | `pyrus-control` | interrupts running jobs for `stop`, deletion and exit; its requests are coalesced (one pending per object, a doorbell of one), so asking never blocks | — | the GIL (nobody waits for it) |
//! | `pyrus-watch` | debounces file events for `watch 1` (a bounded channel of 1024 paths (`watch::EVENTS`) from the OS watcher, which never waits: full sets a rescan of every watched file), pushes `Reload` deliveries | — | a full mailbox |
//! | [`reload`] (`[; pyrus reload(`) | host scheduler thread | no | the GIL |
//! | [`UsbObject::new`], [`UsbObject::message`], [`UsbObject::open`], drop of [`UsbObject`] | host scheduler thread | no (`!Send`) | nothing (commands go to the device thread through a bounded channel: a full one refuses them, `error ... device busy: N commands waiting` once) |
//! | `pyrus.usb.open/connect/listen/demo`, `Device.send/close` (from scripts) | the thread running the object's call | yes | nothing (commands go to the device thread, as above) |
//! | `pyrus.usb.devices()` (from scripts) | the thread running the object's call | yes | enumerating USB, with the GIL released |
//! | a class's `on_reload`, for another object's reload, the global one or a watch save | where its own object's calls run: the scheduler thread (`detach 0`) or a worker (`detach 1\|2`), as a call of that object | — | the GIL |
//! | a script device's callback | where its object's calls run: the scheduler thread (`detach 0`) or a worker (`detach 1\|2`), one run per device at a time, in order | — | the GIL |
//! | `pyrus-usb-device` (one per device) | opens, writes and closes its device; events to its queue; catches a panic per command (device closed, owner told); closes a device whose own threads ended, a panic among them included (`pyrus_usb::thread`) | — | USB, the network; a full usbredir writer (`pyrus_usb::net::FRAMES` buffers: it waits for room, until exit or the device's end) |
//!
//! The USB engine's own threads (readers, writers, acceptors, hotplug;
//! `pyrus-usb-*`) start through `pyrus_usb::thread::spawn`: a panic on one is
//! an error event of its device (console and status outlet) and ends the
//! device, which its device thread then closes.
//!
//! Every engine thread starts through one helper (`sync::spawn`) with a
//! [`STACK`]-sized stack (8 MiB, a Python main thread's), so Python code
//! recurses as deep on any of them as on the main thread; the bootstrap
//! gives threads that scripts start the same (`threading.stack_size`).
//!
//! In synchronous mode (`detach 0`) a call runs on the scheduler thread and
//! holds the GIL while it runs, as every other Python external does, and keeps
//! it until the end of the scheduler pass (see [`gil`]). In detached mode the
//! scheduler thread only turns messages into jobs of plain Rust data and
//! carries out deliveries: it never attaches to Python, never waits for the
//! GIL and never blocks on another thread's work: the only locks it takes
//! are held by any thread for O(1) steps ([`Object`], [`marshal`], [`pool`]).
#![deny(unsafe_code)]

#[allow(dead_code)] // until the object facade enters it (issue 12, h-context)
mod call_lock;
mod detach;
mod host;
mod live;
mod object;
mod python;
mod sync;
#[cfg(feature = "test-host")]
pub mod test_host;
pub mod usb;

// Modules by their old flat names, while the engine moves into its folders.
pub(crate) use detach::{jobs, remote, service};
pub use detach::{marshal, pool};
pub(crate) use live::{editor, watch};
pub(crate) use python::{console, core, native, report};
pub use python::{convert, gil, resolve, runtime};
pub(crate) use usb::{device_thread as usb_thread, script as usb_script};

pub use console::{LINES_PER_SECOND, MAX_LINE_BYTES};
pub use host::{Host, NoReceiver};
pub use object::{Detach, Object, OptionName, OptionSet, Options, UsbOptions, DEFAULT_QUEUE, OWN, RESERVED};
pub use service::{service, set_console};
pub use sync::{catch, STACK};
pub use usb::{DeviceSpec, UsbObject};

/// `[; pyrus reload(` and `[; pyrus reload MODULE(`: re-imports `module`, or
/// every module that an object's target lives in, and rebinds every object
/// that uses them (class instances keep their state). A module whose new code
/// fails keeps its old code; the error goes to `console`, which needs no
/// outlets.
///
/// # Threading
/// The host's scheduler thread; attaches to Python to re-import (a
/// synchronous act, whatever the objects' `detach`). Each object then
/// rebinds as a call of its own, in its own mode: here in `detach 0`, as a
/// job on its worker in `detach 1|2` (so `on_reload` can use `pyrus.*`).
pub fn reload(console: &dyn Host, module: Option<&str>) {
    gil::sync_call(console, None, |py| core::reload_global(py, console, module));
}

/// Ends the engine at process exit: the scheduler thread's GIL lease is
/// released, running jobs are interrupted, every thread the engine started
/// is told to end, and then all of them are joined until `deadline` has
/// passed, together. Nothing here waits for the GIL (a job in C code may
/// hold it for ever). Returns how many threads were still running then
/// (they end with the process).
///
/// # Threading
/// The host's scheduler thread (or the thread exiting the process), once.
pub fn shut_down(deadline: std::time::Duration) -> usize {
    let end = std::time::Instant::now() + deadline;
    gil::end_lease();
    // Nothing waits for a mailbox that nobody drains any more.
    marshal::shut_down();
    let mut threads = pool::shut_down();
    threads.extend(usb_thread::shut_down());
    threads.extend(watch::shut_down());
    sync::join_by(threads, end)
}
pub use pyrus_atoms as atoms;
