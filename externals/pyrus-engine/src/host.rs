//! What the engine needs from an audio host, split by role and thread.
//!
//! - [`Host`]: the host *instance* a [`crate::Context`] serves (one Pd
//!   instance; later one Max): its console, its receivers, its clock, and
//!   the two ways of getting [`crate::Context::service`] called.
//! - [`Outlets`]: one object's side of the host: its outlets and the errors
//!   attributed to it (Pd's `pd_error(x, ...)`, Find Last Error).
//!
//! Workers never see either: what they send is marshalled by the engine's
//! own sink (`detach::sink`) into the context's mailbox and carried out on a
//! host thread by the service. Host crates implement both traits by
//! translating to their own API; tests use `test_host::TestHost` (the
//! `test-host` feature).

use pyrus_atoms::{Message, Numbers};
use std::ffi::CString;
use std::fmt;

/// The host instance a [`crate::Context`] serves.
///
/// # Threading
/// `post`, `error` and `wake` may be called from any thread the host runs
/// engine code on (*host threads*: Pd's one, Max's main and scheduler
/// threads); `wake` also from any other thread (workers, device and script
/// threads). `send`, `logical_time` and `request_service` only on a host
/// thread, and they may re-enter the engine (a `send` reaches a receiver that
/// may lead straight back into an object), so the engine never holds a lock
/// or a borrow of its own state across them. No method may block.
pub trait Host: Send + Sync {
    /// The host's name as its users know it ("Pd", "Max"), for engine
    /// messages that speak of the host: "... blocking Pd".
    fn name(&self) -> &'static str {
        UNNAMED
    }

    /// Prints a line to the host console.
    fn post(&self, text: &str);

    /// Prints an error line to the host console, attributed to nothing.
    fn error(&self, text: &str);

    /// Sends a message to every receiver bound to `name` (Pd's `[receive]`,
    /// Max's `[receive]`/`[r]`).
    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver>;

    /// The host's logical time in milliseconds since it started.
    fn logical_time(&self) -> f64;

    /// The numbers the host's atoms have: floats only, with how many bits of
    /// precision (Pd: `Floats { mantissa_bits: 24 }`, how much of a number
    /// typed into a message survives), or ints and floats (Max). It decides
    /// how numbers convert to and from Python (see [`crate::python::convert`]). The
    /// engine asks the context's host when an object is made, once, and
    /// carries the answer to every thread the object's calls run on.
    fn numbers(&self) -> Numbers {
        Numbers::Floats { mantissa_bits: f64::MANTISSA_DIGITS }
    }

    /// Asks the host to call [`crate::Context::service`] on a host thread once
    /// the messages it is processing now are done, and then once per
    /// scheduler tick for as long as `service` returns `true`. Says whether it
    /// will: a host that returns `false` (the default) has the GIL released
    /// after every synchronous call, and gets detached results only through
    /// [`Host::wake`] (or its own arrangements). The answer may differ by
    /// thread: Max's host says yes on its scheduler thread (a clock at the
    /// end of the pass) and no on its main thread (see [`crate::gil`]).
    fn request_service(&self) -> bool {
        false
    }

    /// Whether this instance runs engine code on one thread only (Pd; each
    /// libpd instance). Its objects then skip their call lock (one
    /// compare-exchange in and one out per synchronous call): on one thread,
    /// calls are one at a time and depth-first by nature. A host with two
    /// threads (Max) keeps the default. Saying `true` and calling one object
    /// from two threads at once lets their calls interleave at Python's
    /// thread switches (no memory is at risk: an object's Python state is
    /// only touched under the GIL), so say it only when it holds.
    fn one_thread(&self) -> bool {
        false
    }

    /// Makes the host call [`crate::Context::service`] on a host thread soon:
    /// the first delivery after a service drained the mailbox, or events of
    /// a USB device, call it. Any thread; must not block (Pd: one byte into a socket that
    /// its poll loop watches).
    fn wake(&self) {}

    // --- Arrays (h-array): `pyrus.array(NAME)`, see `crate::arrays`. ---
    // All on a host thread, never re-entering the engine. A host without
    // arrays keeps the defaults: every array is missing.

    /// Finds array `name` and lends its samples for one operation, until
    /// [`Host::array_close`] (Pd: the garray's words; Max: the `buffer~`'s
    /// samples, locked). Err says why not, of the named array ("no such
    /// array").
    fn array_open(&self, name: &str) -> Result<crate::arrays::ArrayMemory, String> {
        let _ = name;
        Err(format!("{} has no arrays", self.name()))
    }

    /// Gives back what [`Host::array_open`] lent (Max: unlocks the samples).
    fn array_close(&self, name: &str, memory: &crate::arrays::ArrayMemory) {
        let _ = (name, memory);
    }

    /// Shows array `name`'s new contents (Pd: `garray_redraw`; Max:
    /// `buffer_setdirty`).
    fn array_redraw(&self, name: &str) -> Result<(), String> {
        self.array_open(name).map(|m| self.array_close(name, &m))
    }

    /// Resizes array `name` to `frames` frames (at least 1; the engine
    /// checks the bounds).
    fn array_resize(&self, name: &str, frames: usize) -> Result<(), String> {
        let _ = frames;
        self.array_open(name).map(|m| self.array_close(name, &m))?;
        Err(format!("{} can't resize arrays", self.name()))
    }

    // ---- Clocks and receivers (`pyrus.after`, `pyrus.every`, `pyrus.receive`;
    // see `crate::clocks`). Defaulted: a host without them refuses those
    // calls with a clear error.

    /// A new clock in the host's logical time (Pd: `clock_new`; Max:
    /// `clock_new`), unset: [`Clock::delay`] arms it, and when it is due the
    /// host calls `tick` on a host thread, with its logical time at the
    /// deadline where it can (Pd) or the first tick after it (Max). Dropping
    /// the clock unsets and frees it (`clock_free`, `object_free`), on a host
    /// thread, also from inside `tick` itself. `None`: the host has no clocks.
    fn clock(&self, tick: std::sync::Arc<dyn Fn() + Send + Sync>) -> Option<Box<dyn Clock>> {
        let _ = tick;
        None
    }

    /// Binds `receive` to `name` as the host's `[receive NAME]` is bound
    /// (Pd: `pd_bind` of a small receiver object; Max: the symbol's
    /// `s_thing`): every message sent to `name` (`[send NAME]`, `; NAME ...`)
    /// calls it on a host thread, beside every other receiver of the name.
    /// Dropping the binding unbinds it (on a host thread, also from inside
    /// `receive`: from then on it is never called). `None`: the host cannot
    /// bind names.
    fn bind(
        &self,
        name: &str,
        receive: std::sync::Arc<dyn Fn(&Message<'_>) + Send + Sync>,
    ) -> Option<Box<dyn Binding>> {
        let _ = (name, receive);
        None
    }
}

/// A host clock made by [`Host::clock`]; dropping it frees it.
///
/// # Threading
/// Made, set, unset and dropped on host threads only (the engine holds it
/// in a lock so that it can be `Send`); never blocks.
pub trait Clock: Send {
    /// Arms the clock to tick `ms` (>= 0) of logical time from now,
    /// replacing any earlier setting.
    fn delay(&self, ms: f64);
}

/// A name bound by [`Host::bind`]; dropping it unbinds it (a host thread).
pub trait Binding: Send {}

/// One object's side of the host.
///
/// # Threading
/// Called on host threads only: inside one of the object's calls (its call
/// lock held), or by the service carrying out a delivery for it. A host
/// that calls one object from two threads (Max) may see both at once on
/// its two threads (Max's outlets are thread-safe; Pd has one thread). May
/// re-enter the engine (an outlet can lead, through the patch, straight
/// back into the same object). Must not block.
pub trait Outlets: Send + Sync {
    /// Makes the object's `count` outlets (the status outlet last, the
    /// rightmost). The engine calls it once, at the end of the object's
    /// creation ([`crate::Object::new`], [`crate::UsbObject::new`]), on the
    /// creating host thread, before anything can be delivered to them: what
    /// the object said while being made waits until then, also when another
    /// host thread services the context meanwhile.
    fn create(&self, count: usize);

    /// Sends a message out of outlet `index` (0 is the leftmost).
    fn outlet(&self, index: usize, message: &Message<'_>);

    /// Prints an error line to the host console, attributed to this object.
    fn error(&self, text: &str);
}

/// Which side of an object a port is on, for [`crate::Object::describe`]
/// and [`crate::UsbObject::describe`] (Max's `assist`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    Inlet,
    Outlet,
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

/// `text` as C strings for a host console of at most `max_bytes` bytes a
/// line: a longer text goes out as several lines, cut at character
/// boundaries, none of it lost; a NUL, which would cut a C string, is shown
/// as `\\0` instead. For the host crates' console functions (Pd's and Max's
/// `post` cut long lines), so that both split the same way.
pub fn console_lines(text: &str, max_bytes: usize) -> Vec<CString> {
    let max_bytes = max_bytes.max(4); // room for any one character
    let text = text.replace('\0', "\\0");
    let mut lines = Vec::new();
    let mut rest = text.as_str();
    loop {
        let mut end = rest.len().min(max_bytes);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        lines.push(CString::new(&rest[..end]).expect("NULs were replaced"));
        rest = &rest[end..];
        if rest.is_empty() {
            return lines;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::console_lines;

    #[test]
    fn long_text_is_split_at_char_boundaries_without_loss() {
        let text = "é".repeat(1000) + "x";
        let lines = console_lines(&text, 901);
        assert!(lines.iter().all(|l| l.as_bytes().len() <= 901));
        let joined: String = lines.iter().map(|l| l.to_str().unwrap()).collect();
        assert_eq!(joined, text);
        assert_eq!(console_lines("a\0b", 900)[0].to_str().unwrap(), "a\\0b");
        assert_eq!(console_lines("", 900).len(), 1, "an empty text is one empty line");
    }
}
