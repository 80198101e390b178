//! Detached mode (`detach 1|2`): an object's messages become jobs of plain
//! Rust data (`jobs`), run by a shared worker pool ([`pool`]); what they
//! send becomes deliveries in a bounded mailbox ([`marshal`]), written by a
//! worker-side sink (`remote`) and carried out by the service on the host's
//! thread (`service`).
//!
//! # Threading
//! Workers run jobs attached to Python; the host's thread submits jobs and
//! drains deliveries without Python, taking only locks that any thread
//! holds for O(1) steps.

pub(crate) mod jobs;
pub mod marshal;
#[allow(unsafe_code)] // interrupts and thread ids through CPython's C API, thread priority through libc
pub mod pool;
pub(crate) mod remote;
pub(crate) mod service;
