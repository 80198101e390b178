//! The engine's events and their translation into host messages.
//!
//! The vocabulary is shared with the `[pyrus.usb]` Pd object: one event per
//! message, channels 1-16, `cable N` appended for cables other than 0.
#![forbid(unsafe_code)]

use pyrus_atoms::{Atom, Message, OwnedMessage};
use std::borrow::Cow;

/// A decoded MIDI message. Channels are 1-16, data bytes 0-127.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Midi {
    /// Note-off arrives as velocity 0.
    Note {
        ch: u8,
        pitch: u8,
        vel: u8,
    },
    Cc {
        ch: u8,
        num: u8,
        val: u8,
    },
    Program {
        ch: u8,
        n: u8,
    },
    Pressure {
        ch: u8,
        v: u8,
    },
    PolyTouch {
        ch: u8,
        pitch: u8,
        v: u8,
    },
    /// -8192..=8191, 0 is centre.
    Bend {
        ch: u8,
        v: i16,
    },
    /// The whole message, F0 and F7 included.
    SysEx(Vec<u8>),
    SongPos(u16),
    SongSel(u8),
    Mtc(u8),
    Tune,
    Clock,
    Start,
    Continue,
    Stop,
    Active,
    Reset,
}

/// Everything the engine reports, data and status alike, in one ordered stream.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Midi {
        cable: u8,
        msg: Midi,
    },
    /// Bytes the MIDI decoder could not interpret (only when raw output is on).
    Raw {
        cable: u8,
        bytes: Vec<u8>,
    },
    /// One changed HID control.
    Hid {
        page: u16,
        usage: u16,
        value: i32,
    },
    /// A whole HID input report, report id first when the device uses ids
    /// (only when raw output is on).
    HidReport(Vec<u8>),
    Connected {
        vid: u16,
        pid: u16,
        name: String,
    },
    Disconnected,
    Error(String),
    /// This many events were lost because the queue was full.
    Dropped(u64),
}

fn f<T: Into<f64>>(x: T) -> Atom<'static> {
    Atom::Float(x.into())
}

fn msg(sel: &'static str, args: Vec<Atom<'static>>) -> OwnedMessage {
    Message::Anything(Cow::Borrowed(sel), Cow::Owned(args))
}

fn with_cable(mut args: Vec<Atom<'static>>, cable: u8) -> Vec<Atom<'static>> {
    if cable != 0 {
        args.push(Atom::Symbol(Cow::Borrowed("cable")));
        args.push(f(cable));
    }
    args
}

impl Event {
    /// The event as a host message, e.g. `note 1 60 100` or `dropped 3`.
    ///
    /// # Threading
    /// Any thread; allocates the argument list.
    pub fn to_message(&self) -> OwnedMessage {
        match self {
            Event::Midi { cable, msg: m } => {
                let (sel, args): (&'static str, Vec<Atom<'static>>) = match m {
                    Midi::Note { ch, pitch, vel } => ("note", vec![f(*ch), f(*pitch), f(*vel)]),
                    Midi::Cc { ch, num, val } => ("cc", vec![f(*ch), f(*num), f(*val)]),
                    Midi::Program { ch, n } => ("program", vec![f(*ch), f(*n)]),
                    Midi::Pressure { ch, v } => ("pressure", vec![f(*ch), f(*v)]),
                    Midi::PolyTouch { ch, pitch, v } => ("polytouch", vec![f(*ch), f(*pitch), f(*v)]),
                    Midi::Bend { ch, v } => ("bend", vec![f(*ch), f(*v)]),
                    Midi::SysEx(b) => ("sysex", b.iter().map(|&x| f(x)).collect()),
                    Midi::SongPos(n) => ("songpos", vec![f(*n)]),
                    Midi::SongSel(n) => ("songsel", vec![f(*n)]),
                    Midi::Mtc(b) => ("mtc", vec![f(*b)]),
                    Midi::Tune => ("tune", vec![]),
                    Midi::Clock => ("clock", vec![]),
                    Midi::Start => ("start", vec![]),
                    Midi::Continue => ("continue", vec![]),
                    Midi::Stop => ("stop", vec![]),
                    Midi::Active => ("active", vec![]),
                    Midi::Reset => ("reset", vec![]),
                };
                msg(sel, with_cable(args, *cable))
            }
            Event::Raw { cable, bytes } => msg("raw", with_cable(bytes.iter().map(|&x| f(x)).collect(), *cable)),
            Event::Hid { page, usage, value } => msg("hid", vec![f(*page), f(*usage), f(*value)]),
            Event::HidReport(b) => msg("report", b.iter().map(|&x| f(x)).collect()),
            Event::Connected { vid, pid, name } => {
                let mut a = vec![f(*vid), f(*pid)];
                a.extend(name.split_whitespace().map(|w| Atom::Symbol(Cow::Owned(w.to_owned()))));
                msg("connected", a)
            }
            Event::Disconnected => msg("disconnected", vec![]),
            Event::Error(t) => {
                msg("error", t.split_whitespace().map(|w| Atom::Symbol(Cow::Owned(w.to_owned()))).collect())
            }
            // f64 holds every count we can reach exactly.
            Event::Dropped(n) => msg("dropped", vec![Atom::Float(*n as f64)]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_the_vocabulary() {
        let e = Event::Midi { cable: 0, msg: Midi::Note { ch: 1, pitch: 60, vel: 100 } };
        assert_eq!(e.to_message().to_string(), "note 1 60 100");
        let e = Event::Midi { cable: 2, msg: Midi::Bend { ch: 16, v: -8192 } };
        assert_eq!(e.to_message().to_string(), "bend 16 -8192 cable 2");
        let e = Event::Midi { cable: 0, msg: Midi::SysEx(vec![0xf0, 0x7e, 0xf7]) };
        assert_eq!(e.to_message().to_string(), "sysex 240 126 247");
        assert_eq!(Event::Midi { cable: 0, msg: Midi::Clock }.to_message().to_string(), "clock");
        let e = Event::Connected { vid: 0x1234, pid: 1, name: "Pyrus  Virtual Synth".into() };
        assert_eq!(e.to_message().to_string(), "connected 4660 1 Pyrus Virtual Synth");
        assert_eq!(Event::Hid { page: 1, usage: 0x30, value: -5 }.to_message().to_string(), "hid 1 48 -5");
        assert_eq!(Event::Dropped(3).to_message().to_string(), "dropped 3");
        assert_eq!(Event::Error("bad thing".into()).to_message().to_string(), "error bad thing");
        assert_eq!(Event::Raw { cable: 1, bytes: vec![0xf9] }.to_message().to_string(), "raw 249 cable 1");
    }
}
