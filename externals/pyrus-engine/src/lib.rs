//! The host-agnostic pyrus engine: the embedded interpreter, conversion between
//! host atoms and Python values, the script-side `pyrus` module and the
//! `[pyrus]` object itself. It knows nothing of Pd or Max: a host crate
//! implements [`Host`] and forwards its messages to [`Object`].
//!
//! # Thread contract
//!
//! | entry point | thread | concurrently | blocks on |
//! |---|---|---|---|
//! | [`runtime::start`] | any | yes (first call initialises, others wait) | Python initialisation, the GIL |
//! | [`Object::new`], [`Object::message`], drop of [`Object`] | host scheduler thread | no (`Object` is `!Send`); re-entrant through outlets | the GIL |
//! | [`Host`] methods (called by the engine) | host scheduler thread | re-entrant | must not block |
//! | `pyrus.out/post/error/send/time` (from scripts) | the thread running the object's call | — | the host call |
//!
//! | [`gil::end_lease`] | host scheduler thread, outside any call | no | nothing |
//!
//! In synchronous mode a call runs on the scheduler thread and holds the GIL
//! while it runs, as every other Python external does, and keeps it until the
//! end of the scheduler pass (see [`gil`]).
#![deny(unsafe_code)]

pub mod convert;
#[allow(unsafe_code)] // the GIL lease calls CPython's PyGILState API directly
pub mod gil;
mod host;
mod native;
mod object;
mod report;
pub mod resolve;
pub mod runtime;
pub mod test_host;

pub use host::{Host, NoReceiver};
pub use object::{Object, RESERVED};
pub use pyrus_atoms as atoms;
