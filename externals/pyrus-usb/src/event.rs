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
    /// The host object closed the device (after its last event).
    Closed,
    Error(String),
    /// This many events were lost because the queue was full.
    Dropped(u64),
}

/// Every field of an event is a whole number: an int atom (a host without
/// ints sends it as its float).
fn f<T: Into<i64>>(x: T) -> Atom<'static> {
    Atom::Int(x.into())
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
    /// Whether this is a status event (for a host's status outlet) rather
    /// than data from the device.
    pub fn is_status(&self) -> bool {
        matches!(
            self,
            Event::Connected { .. } | Event::Disconnected | Event::Closed | Event::Error(_) | Event::Dropped(_)
        )
    }

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
            Event::Closed => msg("closed", vec![]),
            Event::Error(t) => {
                msg("error", t.split_whitespace().map(|w| Atom::Symbol(Cow::Owned(w.to_owned()))).collect())
            }
            Event::Dropped(n) => msg("dropped", vec![f(i64::try_from(*n).unwrap_or(i64::MAX))]),
        }
    }
}

impl Midi {
    /// One message of every kind, with the edge values of each field (channel
    /// 16, bend -8192 and 8191, song position 16383, velocity 0...): test
    /// data for every layer, from the codec to the patch.
    pub fn examples() -> Vec<Midi> {
        vec![
            Midi::Note { ch: 1, pitch: 60, vel: 100 },
            Midi::Note { ch: 1, pitch: 60, vel: 0 },
            Midi::Cc { ch: 16, num: 7, val: 127 },
            Midi::Program { ch: 3, n: 127 },
            Midi::Pressure { ch: 4, v: 50 },
            Midi::PolyTouch { ch: 5, pitch: 61, v: 40 },
            Midi::Bend { ch: 16, v: -8192 },
            Midi::Bend { ch: 16, v: 8191 },
            Midi::SysEx(vec![0xF0, 0x7D, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xF7]),
            Midi::SongPos(16383),
            Midi::SongSel(4),
            Midi::Mtc(0x35),
            Midi::Tune,
            Midi::Clock,
            Midi::Start,
            Midi::Continue,
            Midi::Stop,
            Midi::Active,
            Midi::Reset,
        ]
    }

    /// Parses a message in the event vocabulary (`note 1 60 100`, `sysex 240
    /// 126 ... 247`, `clock`, with an optional trailing `cable N`) into the
    /// cable and the MIDI message, for sending to a device. Every number is
    /// checked against its range; anything else is an error saying what was
    /// expected.
    ///
    /// # Threading
    /// Any thread; pure.
    pub fn from_message(message: &pyrus_atoms::Message<'_>) -> Result<(u8, Midi), String> {
        let selector = message.selector();
        let mut args: Vec<Atom<'_>> = message.args().into_owned();
        let mut cable = 0u8;
        if args.len() >= 2 && args[args.len() - 2].as_symbol() == Some("cable") {
            cable = int(&args[args.len() - 1], "cable", 0, 15)? as u8;
            args.truncate(args.len() - 2);
        }
        let want = |n: usize| -> Result<(), String> {
            if args.len() == n {
                Ok(())
            } else {
                Err(format!("{selector} takes {n} numbers, not {}", args.len()))
            }
        };
        let ch = |a: &Atom<'_>| int(a, "channel", 1, 16).map(|v| v as u8);
        let b7 = |a: &Atom<'_>, what: &str| int(a, what, 0, 127).map(|v| v as u8);
        let midi = match selector {
            "note" => { want(3)?; Midi::Note { ch: ch(&args[0])?, pitch: b7(&args[1], "pitch")?, vel: b7(&args[2], "velocity")? } }
            "cc" => { want(3)?; Midi::Cc { ch: ch(&args[0])?, num: b7(&args[1], "controller")?, val: b7(&args[2], "value")? } }
            "program" => { want(2)?; Midi::Program { ch: ch(&args[0])?, n: b7(&args[1], "program")? } }
            "pressure" => { want(2)?; Midi::Pressure { ch: ch(&args[0])?, v: b7(&args[1], "pressure")? } }
            "polytouch" => { want(3)?; Midi::PolyTouch { ch: ch(&args[0])?, pitch: b7(&args[1], "pitch")?, v: b7(&args[2], "pressure")? } }
            "bend" => { want(2)?; Midi::Bend { ch: ch(&args[0])?, v: int(&args[1], "bend", -8192, 8191)? as i16 } }
            "sysex" => {
                let bytes = args.iter().map(|a| int(a, "byte", 0, 255).map(|v| v as u8)).collect::<Result<Vec<u8>, _>>()?;
                let body_ok = bytes.len() >= 2 && bytes.first() == Some(&0xF0) && bytes.last() == Some(&0xF7)
                    && bytes[1..bytes.len() - 1].iter().all(|&b| b < 0x80);
                if !body_ok {
                    return Err("sysex takes bytes from 240 (F0) to 247 (F7), with data bytes below 128 between".into());
                }
                Midi::SysEx(bytes)
            }
            "songpos" => { want(1)?; Midi::SongPos(int(&args[0], "song position", 0, 16383)? as u16) }
            "songsel" => { want(1)?; Midi::SongSel(b7(&args[0], "song")?) }
            "mtc" => { want(1)?; Midi::Mtc(b7(&args[0], "time code")?) }
            "tune" => { want(0)?; Midi::Tune }
            "clock" => { want(0)?; Midi::Clock }
            "start" => { want(0)?; Midi::Start }
            "continue" => { want(0)?; Midi::Continue }
            "stop" => { want(0)?; Midi::Stop }
            "active" => { want(0)?; Midi::Active }
            "reset" => { want(0)?; Midi::Reset }
            other => return Err(format!("'{other}' is no MIDI message (note, cc, program, pressure, polytouch, bend, sysex, songpos, songsel, mtc, tune, clock, start, continue, stop, active, reset)")),
        };
        Ok((cable, midi))
    }
}

/// A whole number in `lo..=hi` (an int, or a float such as Pd's), or an
/// error naming `what`.
fn int(a: &Atom<'_>, what: &str, lo: i64, hi: i64) -> Result<i64, String> {
    match a.as_int() {
        Some(x) if (lo..=hi).contains(&x) => Ok(x),
        _ => Err(format!("{what} must be a whole number from {lo} to {hi}, not {a}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_parses_back_from_its_own_text() {
        let all = Midi::examples();
        for (cable, m) in all.into_iter().enumerate() {
            let cable = (cable % 3) as u8;
            let message = Event::Midi { cable, msg: m.clone() }.to_message();
            assert_eq!(Midi::from_message(&message), Ok((cable, m.clone())), "{message}");
            // As a floats-only host (Pd) sends it back: the same numbers as floats.
            let floats: Vec<Atom<'static>> = message
                .args()
                .iter()
                .map(|a| a.as_int().map_or_else(|| a.clone(), |i| Atom::Float(i as f64)))
                .collect();
            let as_pd = pyrus_atoms::Message::Anything(Cow::Borrowed(message.selector()), Cow::Owned(floats));
            assert_eq!(Midi::from_message(&as_pd), Ok((cable, m)), "{as_pd}");
        }
    }

    #[test]
    fn event_fields_are_ints() {
        let e = Event::Midi { cable: 2, msg: Midi::Note { ch: 1, pitch: 60, vel: 100 } };
        let ints = [Atom::Int(1), Atom::Int(60), Atom::Int(100), Atom::symbol("cable"), Atom::Int(2)];
        assert_eq!(e.to_message().args().as_ref(), ints);
        let e = Event::Hid { page: 1, usage: 0x30, value: -5 };
        assert_eq!(e.to_message().args().as_ref(), [Atom::Int(1), Atom::Int(0x30), Atom::Int(-5)]);
        assert_eq!(Event::Dropped(u64::MAX).to_message().args().as_ref(), [Atom::Int(i64::MAX)]);
        // A fraction is no MIDI number, whichever kind it comes as.
        let bad = pyrus_atoms::Message::Anything(Cow::Borrowed("program"), Cow::Owned(vec![f(1u8), Atom::Float(2.5)]));
        assert!(Midi::from_message(&bad)
            .unwrap_err()
            .contains("program must be a whole number from 0 to 127, not 2.5"));
    }

    #[test]
    fn bad_midi_messages_say_what_is_wrong() {
        let parse = |sel: &str, args: Vec<Atom<'static>>| {
            Midi::from_message(&pyrus_atoms::Message::Anything(Cow::Owned(sel.into()), Cow::Owned(args)))
        };
        assert!(parse("note", vec![f(0u8), f(60u8), f(1u8)])
            .unwrap_err()
            .contains("channel must be a whole number from 1 to 16"));
        assert!(parse("note", vec![f(1u8), f(60u8)]).unwrap_err().contains("note takes 3 numbers, not 2"));
        assert!(parse("cc", vec![f(1u8), f(200u8), f(1u8)]).unwrap_err().contains("controller"));
        assert!(parse("sysex", vec![f(0xF0u8), f(0x80u8), f(0xF7u8)]).unwrap_err().contains("data bytes below 128"));
        assert!(parse("bleep", vec![]).unwrap_err().contains("'bleep' is no MIDI message"));
        assert!(parse("note", vec![Atom::symbol("x"), f(1u8), f(1u8)]).unwrap_err().contains("not x"));
    }

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
