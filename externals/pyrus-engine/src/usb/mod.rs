//! `[pyrus.usb]` as the engine sees it: a USB MIDI or HID device (local, or
//! redirected with usbredir, or the built-in virtual device) whose events
//! leave the object's outlets on the scheduler thread, in order.
//!
//! Everything that can block happens on the object's device thread
//! (`usb_thread`): the scheduler thread only sends it commands. The
//! device's events wake the host for a service; [`crate::service`] drains
//! them, at most a budget per pass.
//!
//! Messages: `devices`, `open VID:PID|NAME|BUS-ADDR` (or `open VID PID`),
//! `connect HOST PORT`, `listen [HOST] PORT` (loopback unless a host is
//! given: usbredir has no authentication), `demo`, `close`, `raw 0|1`,
//! `reconnect 0|1`; and any MIDI message in the event vocabulary (`note 1
//! 60 100`, `sysex 240 ... 247`, `clock`, `... cable N`), sent to the device.
//! Flags: `-raw`, `-reconnect`.
//!
//! # Threading
//! [`UsbObject`] lives on the scheduler thread (`!Send`); its device thread
//! ends when the object is dropped and is joined at [`crate::shut_down`],
//! which also ends the threads of live objects. A drop never waits for it.

pub(crate) mod device_thread;
pub(crate) mod script;

use crate::host::Host;
use crate::marshal::{self, Delivery, ObjectId};
use crate::service::{self, Recipient};
use crate::usb_thread::DeviceHandle;
use pyrus_atoms::{Atom, Message};
use pyrus_usb::device::{Options, Target};
use pyrus_usb::{Event, Midi};
use std::borrow::Cow;
use std::cell::Cell;
use std::rc::{Rc, Weak};

/// Events carried out per service: a flood waits for the next tick.
pub const BUDGET: usize = 4096;
const DATA: usize = 0;
const STATUS: usize = 1;

/// A `[pyrus.usb]` object.
pub struct UsbObject {
    inner: Rc<UsbInner>,
}

struct UsbInner {
    id: ObjectId,
    host: Rc<dyn Host>,
    device: DeviceHandle,
    raw: Cell<bool>,
    reconnect: Cell<bool>,
}

impl UsbObject {
    /// Makes the object and its (idle) device thread. Flags: `-raw`, `-reconnect`.
    pub fn new(host: Rc<dyn Host>, args: &[Atom<'_>]) -> UsbObject {
        let id = service::next_id();
        let device = DeviceHandle::spawn(Box::new(marshal::wake));
        let inner = Rc::new(UsbInner { id, host, device, raw: Cell::new(false), reconnect: Cell::new(false) });
        for a in args {
            match a.as_symbol() {
                Some("-raw") => inner.raw.set(true),
                Some("-reconnect") => inner.reconnect.set(true),
                _ => inner.error(&format!("unknown argument {a}: [pyrus.usb] takes -raw and -reconnect")),
            }
        }
        inner.send_options();
        let weak: Weak<dyn Recipient> = Rc::downgrade(&inner) as Weak<dyn Recipient>;
        service::register(id, weak.clone());
        service::register_pollable(weak);
        UsbObject { inner }
    }

    /// Outlets: events, then status.
    pub fn outlet_count(&self) -> usize {
        2
    }

    /// Handles one message at the (only) inlet.
    pub fn message(&self, message: &Message<'_>) {
        let inner = &self.inner;
        let args = message.args();
        let words: Vec<String> = args.iter().map(ToString::to_string).collect();
        let target = match (message.selector(), args.as_ref()) {
            ("open", [vid, pid]) if args.iter().all(|a| a.as_float().is_some()) => {
                // `open 4617 28793`: decimal ids, as Pd users type them.
                match (number(vid, 0, 0xffff), number(pid, 0, 0xffff)) {
                    (Some(vid), Some(pid)) => Some(Target::parse(&["open", &format!("{vid:04x}:{pid:04x}")])),
                    _ => {
                        return inner.error(&format!(
                            "open VID PID takes two whole numbers from 0 to 65535 (decimal; or VID:PID in hex), \
                             not {}",
                            words.join(" ")
                        ))
                    }
                }
            }
            ("open", [_]) => Some(Target::parse(&["open", &words[0]])),
            ("open", [_, ..]) => Some(Target::parse(&["open", &words.join(" ")])),
            ("connect", [host, port]) if host.as_symbol().is_some() => {
                let Some(port) = inner.port("connect", port) else { return };
                Some(Ok(Target::Connect(format!("{host}:{port}"))))
            }
            ("listen", [port]) => {
                let Some(port) = inner.port("listen", port) else { return };
                Some(Ok(Target::Listen(format!("127.0.0.1:{port}"))))
            }
            ("listen", [host, port]) if host.as_symbol().is_some() => {
                let Some(port) = inner.port("listen", port) else { return };
                Some(Ok(Target::Listen(format!("{host}:{port}"))))
            }
            ("demo", []) => Some(Ok(Target::Demo)),
            ("open" | "connect" | "listen", _) => {
                return inner.error(&format!(
                    "{} takes {}",
                    message.selector(),
                    match message.selector() {
                        "open" => "VID PID, VID:PID, a name, or BUS-ADDR",
                        "connect" => "HOST PORT (of usbredirect --as)",
                        _ => "[HOST] PORT (for usbredirect --to; loopback unless HOST is given)",
                    }
                ))
            }
            _ => None,
        };
        if let Some(target) = target {
            return match target {
                Ok(t) => inner.device.open(t),
                Err(e) => inner.error(&e.to_string()),
            };
        }
        match (message.selector(), words.as_slice()) {
            ("close", []) => inner.device.close(),
            ("devices", []) => inner.device.list(inner.id),
            (word @ ("close" | "devices" | "demo"), _) => {
                inner.error(&format!("{word} takes no arguments, not {}", words.join(" ")))
            }
            (word @ ("raw" | "reconnect"), _) => match crate::object::switch(word, &args) {
                Ok(on) => {
                    let option = if word == "raw" { &inner.raw } else { &inner.reconnect };
                    option.set(on);
                    inner.send_options();
                }
                Err(e) => inner.error(&e),
            },
            _ => match Midi::from_message(message) {
                Ok((cable, midi)) => inner.device.send(cable, midi),
                Err(e) => inner.error(&e),
            },
        }
    }
}

impl Drop for UsbObject {
    /// The device thread closes the device and ends; nothing waits for it
    /// here, and nothing it still sends reaches the deleted object.
    fn drop(&mut self) {
        service::unregister(self.inner.id);
        // Dropping the handle tells the device thread to finish.
    }
}

impl UsbInner {
    fn send_options(&self) {
        self.device.options(Options { raw: self.raw.get(), reconnect: self.reconnect.get() });
    }

    fn error(&self, text: &str) {
        self.host.error(&format!("pyrus.usb: {text}"));
        let mut atoms = vec![];
        atoms.extend(text.split_whitespace().map(|w| Atom::Symbol(Cow::Owned(w.to_owned()))));
        self.host.outlet(STATUS, &Message::Anything(Cow::Borrowed("error"), Cow::Owned(atoms)));
    }
}

impl Recipient for UsbInner {
    fn deliver(&self, delivery: Delivery) {
        if let Delivery::Outlet(i, m) = delivery {
            self.host.outlet(i, &m);
        }
    }

    fn flush(&self) {}

    fn poll(&self) -> bool {
        for _ in 0..BUDGET {
            let Some(event) = self.device.queue.pop() else { return false };
            if let Event::Error(text) = &event {
                self.host.error(&format!("pyrus.usb: {text}"));
            }
            let outlet = if event.is_status() { STATUS } else { DATA };
            self.host.outlet(outlet, &event.to_message());
        }
        !self.device.queue.is_empty()
    }
}

impl UsbInner {
    /// A TCP port from the message, or an error saying what is accepted.
    fn port(&self, word: &str, atom: &Atom<'_>) -> Option<u32> {
        let port = number(atom, 1, 65535);
        if port.is_none() {
            self.error(&format!("{word}: the port must be a whole number from 1 to 65535, not {atom}"));
        }
        port
    }
}

/// `atom` as a whole number from `min` to `max`.
fn number(atom: &Atom<'_>, min: u32, max: u32) -> Option<u32> {
    let f = atom.as_float()?;
    (f.fract() == 0.0 && f >= f64::from(min) && f <= f64::from(max)).then_some(f as u32)
}
