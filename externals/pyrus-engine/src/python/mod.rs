//! Everything that touches Python: the embedded interpreter ([`runtime`]),
//! a host thread's GIL lease ([`gil`]), conversion between atoms and
//! Python values ([`convert`]), dotted names ([`resolve`]), the script-side
//! `_pyrus` module (`native`; its value types, `values`), script output
//! (`console`), what an object
//! does in Python (`core`: calls, classes, reloads), what its ports are for
//! (`assist`) and how failures are reported (`report`); with `abi3`, the
//! libpython functions outside the limited API found at run time
//! (`optional`).
//!
//! # Threading
//! Every function here that takes a `Python` token runs on a thread attached
//! to Python: a host thread in `detach 0`, a worker in `detach 1|2`, or a
//! thread a script started. The plain-data parts (an object's shape, its
//! files, the reserved words its class takes) are read without Python.

pub(crate) mod assist;
#[allow(unsafe_code)] // the caller stack holds plain pointers to callers of frames still running
pub(crate) mod console;
pub mod convert;
pub(crate) mod core;
#[allow(unsafe_code)] // the GIL lease calls CPython's PyGILState API directly
pub mod gil;
pub(crate) mod native;
#[cfg(feature = "abi3")]
#[allow(unsafe_code)] // calls libpython functions found at run time by name
pub(crate) mod optional;
pub(crate) mod report;
pub mod resolve;
#[allow(unsafe_code)] // initialises CPython (a PyConfig, or the limited API)
pub mod runtime;
pub(crate) mod values;
