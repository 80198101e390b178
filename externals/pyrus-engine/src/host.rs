//! What the engine needs from an audio host.
//!
//! One [`Host`] value serves one object: it knows that object's outlets and
//! where its console errors point (Pd's Find Last Error). Host crates implement
//! it by translating to their own API; tests use `test_host::TestHost`
//! (the `test-host` feature).

use pyrus_atoms::{Message, Numbers};
use std::fmt;

/// The services of an audio host for one object.
///
/// # Threading
/// Every method is called on the host's scheduler thread only (Pd's main
/// thread, Max's main or scheduler thread), never from a worker, and may
/// re-enter the engine: an outlet can lead, through the patch, straight back
/// into the same object. The engine therefore never holds a borrow of its own
/// state across a call to these methods. Implementations must not block.
pub trait Host {
    /// The host's name as its users know it ("Pd", "Max"), for engine
    /// messages that speak of the host: "... blocking Pd".
    fn name(&self) -> &'static str {
        UNNAMED
    }

    /// Prints a line to the host console.
    fn post(&self, text: &str);

    /// Prints an error line to the host console, attributed to this object.
    fn error(&self, text: &str);

    /// Sends a message out of outlet `index` (0 is the leftmost).
    fn outlet(&self, index: usize, message: &Message<'_>);

    /// Sends a message to every receiver bound to `name` (Pd's `[receive]`,
    /// Max's `[receive]`/`[r]`).
    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver>;

    /// The host's logical time in milliseconds since it started.
    fn logical_time(&self) -> f64;

    /// The numbers the host's atoms have: floats only, with how many bits of
    /// precision (Pd: `Floats { mantissa_bits: 24 }`, how much of a number
    /// typed into a message survives), or ints and floats (Max). It decides
    /// how numbers convert to and from Python (see [`crate::convert`]). The
    /// engine asks the host given to [`crate::Object::new`], once, and
    /// carries the answer to every thread the object's calls run on.
    fn numbers(&self) -> Numbers {
        Numbers::Floats { mantissa_bits: f64::MANTISSA_DIGITS }
    }

    /// Asks the host to call [`crate::service`] on the scheduler thread once
    /// the messages it is processing now are done, and then once per
    /// scheduler tick for as long as `service` returns `true`. Says whether it
    /// will: a host that returns `false` (the default) has the GIL released
    /// after every synchronous call, and gets detached results only through
    /// the waker (see [`crate::marshal::set_waker`]).
    fn request_service(&self) -> bool {
        false
    }
}

/// What [`Host::name`] says for a host that does not name itself.
pub const UNNAMED: &str = "the host";

/// Returned by [`Host::send`] when nothing listens on the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoReceiver(pub String);

impl fmt::Display for NoReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no receiver named '{}'", self.0)
    }
}

impl std::error::Error for NoReceiver {}
