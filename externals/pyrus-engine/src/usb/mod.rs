//! `[pyrus.usb]` as the engine sees it: a USB MIDI or HID device (local, or
//! redirected with usbredir, or the built-in virtual device) whose events
//! leave the object's outlets on a host thread, in order.
//!
//! Everything that can block happens on the object's device thread
//! (`device_thread`): the host thread only sends it commands. The device's
//! events wake the host for a service; [`crate::Context::service`] drains
//! them, at most a budget per pass.
//!
//! Messages: `devices`, `open VID:PID|NAME|BUS-ADDR` (or `open VID PID`),
//! `connect HOST PORT`, `listen [HOST] PORT` (loopback unless a host is
//! given: usbredir has no authentication), `demo`, `close`, `raw 0|1`,
//! `reconnect 0|1`; and any MIDI message in the event vocabulary (`note 1
//! 60 100`, `sysex 240 ... 247`, `clock`, `... cable N`), sent to the device.
//! The device messages become a [`DeviceSpec`] (numbers as the host had
//! them), whose numbers [`UsbObject::open`] checks: a host with its own
//! syntax for devices builds the spec itself.
//! Options ([`UsbOptions`], read by the host crate from its own syntax, e.g.
//! Pd's `-raw`, `-reconnect`): `raw`, `reconnect`, validated as their
//! messages are.
//!
//! # Threading
//! [`UsbObject`] is `Send + Sync`: a host may call it from any of its
//! threads, even two at once, since a message only reads and sets its
//! options (an O(1) mutex) and sends a command down the device thread's
//! channel (no call lock, no Python). Its events leave on the thread that
//! services its context. Its device thread ends when the object is dropped
//! and is joined at [`crate::shut_down`], which also ends the threads of
//! live objects. A drop never waits for it.

pub(crate) mod device_thread;
pub(crate) mod script;

use crate::context::Context;
use crate::context::{self as registry, Recipient};
use crate::detach::marshal::{Delivery, ObjectId};
use crate::host::{Outlets, Port};
use crate::object::options::join;
use crate::object::{OptionSet, UsbOptions};
use crate::usb::device_thread::DeviceHandle;
use pyrus_atoms::{Atom, Message};
use pyrus_usb::device::{self, Target};
use pyrus_usb::{Event, Midi};
use std::sync::{Arc, Mutex, Weak};

pub use crate::detach::marshal::BUDGET;
use crate::usb::device_thread::{DATA, STATUS};

/// The words `[pyrus.usb]` takes for itself, the ones its `message` and
/// [`DeviceSpec::from_message`] dispatch on (so a host's help and its checks
/// cannot drift from them); besides these it takes its options
/// ([`UsbOptions`]'s names) and MIDI messages for the device
/// ([`Midi::from_message`]).
pub const COMMANDS: &[&str] = &[DEVICES, OPEN, CONNECT, LISTEN, DEMO, CLOSE];
const DEVICES: &str = "devices";
const OPEN: &str = "open";
const CONNECT: &str = "connect";
const LISTEN: &str = "listen";
const DEMO: &str = "demo";
const CLOSE: &str = "close";

/// A `[pyrus.usb]` object.
pub struct UsbObject {
    inner: Arc<UsbInner>,
}

struct UsbInner {
    id: ObjectId,
    ctx: Context,
    outlets: Arc<dyn Outlets>,
    device: DeviceHandle,
    /// Held for O(1) steps (a message's change; the copy sent to the device).
    options: Mutex<UsbOptions>,
}

impl UsbObject {
    /// Makes the object of context `ctx` and its (idle) device thread; it
    /// speaks through `outlets`, with `options` the host read from its own
    /// syntax.
    pub fn new(ctx: &Context, outlets: Arc<dyn Outlets>, options: UsbOptions) -> UsbObject {
        let id = registry::next_id();
        let waker = ctx.clone();
        let device = DeviceHandle::spawn(ctx, Box::new(move || waker.wake()));
        let inner = Arc::new(UsbInner { id, ctx: ctx.clone(), outlets, device, options: Mutex::new(options) });
        inner.send_options();
        let weak: Weak<dyn Recipient> = Arc::downgrade(&inner) as Weak<dyn Recipient>;
        ctx.register(id, weak.clone());
        ctx.register_pollable(weak);
        UsbObject { inner }
    }

    /// Outlets: events, then status.
    pub fn outlet_count(&self) -> usize {
        2
    }

    /// What port `index` is for, in a line of words (Max's `assist`);
    /// empty past the last port. Any host thread.
    pub fn describe(&self, port: Port, index: usize) -> String {
        let text = match (port, index) {
            (Port::Inlet, 0) => {
                "open VID PID (or VID:PID, NAME, BUS-ADDR), connect HOST PORT, listen [HOST] PORT, demo, close, \
                 devices, raw 0|1, reconnect 0|1; MIDI to send: note CH KEY VEL, cc CH N V, ..."
            }
            (Port::Outlet, DATA) => "the device's events: note CH KEY VEL, cc CH N V, ... (raw: its bytes)",
            (Port::Outlet, STATUS) => {
                "status: connected VID PID, disconnected, closed, devices N and its rows, dropped N, \
                 error TYPE MESSAGE..."
            }
            _ => "",
        };
        text.to_owned()
    }

    /// Handles one message at the (only) inlet.
    pub fn message(&self, message: &Message<'_>) {
        let inner = &self.inner;
        let args = message.args();
        let words: Vec<String> = args.iter().map(ToString::to_string).collect();
        if let Some(spec) = DeviceSpec::from_message(message) {
            return match spec {
                Ok(spec) => self.open(spec),
                Err(why) => inner.error(&why),
            };
        }
        match (message.selector(), words.as_slice()) {
            (CLOSE, []) => inner.device.close(),
            (DEVICES, []) => inner.device.list(inner.id),
            (word @ (CLOSE | DEVICES | DEMO), _) => {
                inner.error(&format!("{word} takes no arguments, not {}", words.join(" ")))
            }
            (word @ ("raw" | "reconnect"), _) => {
                let set = crate::sync::lock(&inner.options).set(word, &args);
                match set {
                    Ok(()) => inner.send_options(),
                    Err(e) => inner.error(&e),
                }
            }
            _ => match Midi::from_message(message) {
                Ok((cable, midi)) => inner.device.send(cable, midi),
                Err(e) => inner.error(&e),
            },
        }
    }
}

impl UsbObject {
    /// Opens the device `spec` names, closing the one open now (its
    /// numbers are checked here: a bad one is an error saying what is
    /// taken, and nothing changes). What `open`, `connect`, `listen` and
    /// `demo` do; a host with a syntax of its own for devices builds the
    /// spec and calls this.
    pub fn open(&self, spec: DeviceSpec) {
        match spec.target() {
            Ok(target) => self.inner.device.open(target),
            Err(why) => self.inner.error(&why),
        }
    }
}

impl Drop for UsbObject {
    /// The device thread closes the device and ends; nothing waits for it
    /// here, and nothing it still sends reaches the deleted object.
    fn drop(&mut self) {
        self.inner.ctx.unregister(self.inner.id);
        // Dropping the handle tells the device thread to finish.
    }
}

impl UsbInner {
    fn send_options(&self) {
        let UsbOptions { raw, reconnect } = *crate::sync::lock(&self.options);
        self.device.options(device::Options { raw, reconnect });
    }

    fn error(&self, text: &str) {
        self.outlets.error(&format!("pyrus.usb: {text}"));
        self.outlets.outlet(STATUS, &crate::out::error_message(None, text));
    }
}

impl Recipient for UsbInner {
    fn deliver(&self, delivery: Delivery) {
        if let Delivery::Outlet(i, m) = delivery {
            self.outlets.outlet(i, &m);
        }
    }

    fn flush(&self) {}

    fn poll(&self) -> bool {
        for _ in 0..BUDGET {
            let Some(event) = self.device.queue.pop() else { return false };
            if let Event::Error(text) = &event {
                self.outlets.error(&format!("pyrus.usb: {text}"));
            }
            let outlet = if event.is_status() { STATUS } else { DATA };
            self.outlets.outlet(outlet, &event.to_message());
        }
        !self.device.queue.is_empty()
    }
}

/// The device a `[pyrus.usb]` opens, its numbers as the host had them
/// (the engine checks them: [`UsbObject::open`]).
#[derive(Clone, Debug, PartialEq)]
pub enum DeviceSpec {
    /// A local device by vendor and product id (`open 4617 28793`).
    Ids { vid: f64, pid: f64 },
    /// A local device by `VID:PID` in hex, a name, or `BUS-ADDR`, as text
    /// (`open 120d:7079`, `open pyrus Virtual`, `open 1-4`).
    Local(String),
    /// A usbredir peer to connect to (`usbredirect --as HOST:PORT`).
    Connect { host: String, port: f64 },
    /// A port where a usbredir peer connects (`usbredirect --to`);
    /// loopback unless `host` is given (usbredir has no authentication).
    Listen { host: Option<String>, port: f64 },
    /// The built-in virtual device.
    Demo,
}

impl DeviceSpec {
    /// The spec in a message's atoms, if it is `open`, `connect`, `listen`
    /// or `demo`: `open VID PID` (decimal), `open VID:PID|NAME|BUS-ADDR`,
    /// `connect HOST PORT`, `listen [HOST] PORT`, `demo`; else `None`. Atoms
    /// of the wrong kind are an error saying what the message takes.
    pub fn from_message(message: &Message<'_>) -> Option<Result<DeviceSpec, String>> {
        let args = message.args();
        let word = message.selector();
        let port = |atom: &Atom<'_>| atom.as_float().ok_or_else(|| port_error(word, &atom.to_string()));
        Some(match (word, args.as_ref()) {
            (OPEN, [vid, pid]) if vid.as_float().is_some() && pid.as_float().is_some() => {
                Ok(DeviceSpec::Ids { vid: vid.as_float()?, pid: pid.as_float()? })
            }
            (OPEN, [_, ..]) => Ok(DeviceSpec::Local(join(&args))),
            (CONNECT, [Atom::Symbol(host), p]) => {
                port(p).map(|port| DeviceSpec::Connect { host: host.to_string(), port })
            }
            (LISTEN, [p]) => port(p).map(|port| DeviceSpec::Listen { host: None, port }),
            (LISTEN, [Atom::Symbol(host), p]) => {
                port(p).map(|port| DeviceSpec::Listen { host: Some(host.to_string()), port })
            }
            (DEMO, []) => Ok(DeviceSpec::Demo),
            (OPEN | CONNECT | LISTEN, _) => Err(format!(
                "{word} takes {}",
                match word {
                    OPEN => "VID PID, VID:PID, a name, or BUS-ADDR",
                    CONNECT => "HOST PORT (of usbredirect --as)",
                    _ => "[HOST] PORT (for usbredirect --to; loopback unless HOST is given)",
                }
            )),
            _ => return None,
        })
    }

    /// The device thread's target, or an error saying what is taken.
    fn target(&self) -> Result<Target, String> {
        let port =
            |word, port: f64| whole(port, 1, 65535).ok_or_else(|| port_error(word, &Atom::Float(port).to_string()));
        let parsed = match self {
            DeviceSpec::Ids { vid, pid } => match (whole(*vid, 0, 0xffff), whole(*pid, 0, 0xffff)) {
                (Some(vid), Some(pid)) => Target::parse(&["open", &format!("{vid:04x}:{pid:04x}")]),
                _ => {
                    return Err(format!(
                        "open VID PID takes two whole numbers from 0 to 65535 (decimal; or VID:PID in hex), not {}",
                        join(&[Atom::Float(*vid), Atom::Float(*pid)])
                    ))
                }
            },
            DeviceSpec::Local(text) => Target::parse(&["open", text]),
            DeviceSpec::Connect { host, port: p } => Ok(Target::Connect(format!("{host}:{}", port("connect", *p)?))),
            DeviceSpec::Listen { host, port: p } => {
                Ok(Target::Listen(format!("{}:{}", host.as_deref().unwrap_or("127.0.0.1"), port("listen", *p)?)))
            }
            DeviceSpec::Demo => Ok(Target::Demo),
        };
        parsed.map_err(|e| e.to_string())
    }
}

fn port_error(word: &str, given: &str) -> String {
    format!("{word}: the port must be a whole number from 1 to 65535, not {given}")
}

/// `n` as a whole number from `min` to `max`.
fn whole(n: f64, min: u32, max: u32) -> Option<u32> {
    (n.fract() == 0.0 && n >= f64::from(min) && n <= f64::from(max)).then_some(n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Message<'_> {
        let mut words = text.split(' ');
        let selector = words.next().unwrap_or_default();
        let args = words
            .map(|w| w.parse::<f64>().map(Atom::Float).unwrap_or(Atom::Symbol(std::borrow::Cow::Borrowed(w))))
            .collect();
        Message::from_selector(selector, args)
    }

    fn spec(text: &str) -> Option<Result<DeviceSpec, String>> {
        DeviceSpec::from_message(&message(text))
    }

    #[test]
    fn a_message_names_a_device_spec() {
        let ok = |s: DeviceSpec| Some(Ok(s));
        assert_eq!(spec("open 4617 28793"), ok(DeviceSpec::Ids { vid: 4617.0, pid: 28793.0 }));
        assert_eq!(spec("open 120d:7079"), ok(DeviceSpec::Local("120d:7079".into())));
        assert_eq!(spec("open pyrus Virtual"), ok(DeviceSpec::Local("pyrus Virtual".into())));
        assert_eq!(spec("connect localhost 4000"), ok(DeviceSpec::Connect { host: "localhost".into(), port: 4000.0 }));
        assert_eq!(spec("listen 4000"), ok(DeviceSpec::Listen { host: None, port: 4000.0 }));
        assert_eq!(spec("listen 0.0.0.0 4000"), ok(DeviceSpec::Listen { host: Some("0.0.0.0".into()), port: 4000.0 }));
        assert_eq!(spec("demo"), ok(DeviceSpec::Demo));
        for other in ["demo 1", "close", "note 1 60 100", "raw 1"] {
            assert_eq!(spec(other), None, "{other}: not a device spec");
        }
        let err = |s: &str| Some(Err(s.to_owned()));
        assert_eq!(spec("open"), err("open takes VID PID, VID:PID, a name, or BUS-ADDR"));
        assert_eq!(spec("connect 4000"), err("connect takes HOST PORT (of usbredirect --as)"));
        assert_eq!(
            spec("connect localhost http"),
            err("connect: the port must be a whole number from 1 to 65535, not http")
        );
        assert_eq!(
            spec("listen 1 2 3"),
            err("listen takes [HOST] PORT (for usbredirect --to; loopback unless HOST is given)")
        );
    }

    /// A command word that were also a MIDI message would make that message
    /// unsendable: the command takes it first.
    #[test]
    fn no_command_is_a_midi_message() {
        for word in COMMANDS {
            let midi = Midi::from_message(&message(word)).expect_err(word);
            assert!(midi.contains("is no MIDI message"), "{word}: {midi}");
        }
    }

    #[test]
    fn the_engine_checks_a_specs_numbers() {
        let target = |s: DeviceSpec| s.target().map(|t| format!("{t:?}"));
        let ids = "open VID PID takes two whole numbers from 0 to 65535 (decimal; or VID:PID in hex), not";
        for (vid, pid) in [(-1.0, 1.0), (70000.0, 1.0), (1.5, 2.0), (1.0, 65536.0)] {
            let got = target(DeviceSpec::Ids { vid, pid }).expect_err("out of range");
            assert!(got.starts_with(ids), "{vid} {pid}: {got}");
        }
        assert!(target(DeviceSpec::Ids { vid: 0.0, pid: 65535.0 }).is_ok());
        let port = |word: &str, n: &str| format!("{word}: the port must be a whole number from 1 to 65535, not {n}");
        for p in [0.0, 65536.0, 2.5] {
            let shown = Atom::Float(p).to_string();
            assert_eq!(target(DeviceSpec::Connect { host: "h".into(), port: p }), Err(port("connect", &shown)));
            assert_eq!(target(DeviceSpec::Listen { host: None, port: p }), Err(port("listen", &shown)));
        }
        assert_eq!(
            target(DeviceSpec::Listen { host: None, port: 4000.0 }),
            Ok(format!("{:?}", Target::Listen("127.0.0.1:4000".into())))
        );
        assert_eq!(
            target(DeviceSpec::Connect { host: "h".into(), port: 1.0 }),
            Ok(format!("{:?}", Target::Connect("h:1".into())))
        );
    }
}
