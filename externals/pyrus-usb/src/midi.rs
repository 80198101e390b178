//! USB-MIDI 1.0 event packets: decoding into [`Midi`] messages with SysEx
//! reassembly, and the reverse encoding for sending MIDI to a device.
//!
//! A packet is 4 bytes: `cable << 4 | CIN`, then up to 3 MIDI bytes whose count
//! the Code Index Number fixes. SysEx spans packets (CIN 0x4 for start or
//! continue, 0x5/0x6/0x7 for an end with 1/2/3 bytes) and is reassembled per
//! cable into a buffer capped at [`MidiDecoder::max_sysex`]; a longer one is
//! reported as an error once and its remaining bytes are skipped up to its F7.
#![forbid(unsafe_code)]

use crate::event::{Event, Midi};

/// Default cap on one reassembled SysEx message.
pub const DEFAULT_MAX_SYSEX: usize = 8192;

/// MIDI bytes carried by a packet with this Code Index Number (0 for the
/// reserved CINs 0x0 and 0x1).
pub fn cin_len(cin: u8) -> usize {
    match cin & 0x0f {
        0x2 | 0x6 | 0xc | 0xd => 2,
        0x3 | 0x4 | 0x7 | 0x8..=0xb | 0xe => 3,
        0x5 | 0xf => 1,
        _ => 0,
    }
}

#[derive(Default)]
struct SysExState {
    buf: Vec<u8>,
    active: bool,
    overflowed: bool,
}

/// Turns USB-MIDI packets into events, keeping per-cable SysEx state.
pub struct MidiDecoder {
    sysex: [SysExState; 16],
    max_sysex: usize,
    raw: bool,
}

impl Default for MidiDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_SYSEX, false)
    }
}

impl MidiDecoder {
    /// `max_sysex` caps one SysEx message (F0..F7 inclusive); `raw` asks for
    /// `Raw` events carrying bytes that decode to nothing.
    pub fn new(max_sysex: usize, raw: bool) -> Self {
        MidiDecoder { sysex: Default::default(), max_sysex: max_sysex.max(2), raw }
    }

    pub fn max_sysex(&self) -> usize {
        self.max_sysex
    }

    /// Decodes a buffer of whole 4-byte packets (a bulk transfer); a trailing
    /// partial packet is reported as an error. All-zero packets are padding.
    pub fn decode(&mut self, data: &[u8], out: &mut impl FnMut(Event)) {
        let mut chunks = data.chunks_exact(4);
        for p in &mut chunks {
            self.packet([p[0], p[1], p[2], p[3]], out);
        }
        if !chunks.remainder().is_empty() {
            out(Event::Error(format!("USB-MIDI transfer of {} bytes is not whole packets", data.len())));
        }
    }

    /// Decodes one 4-byte USB-MIDI event packet.
    pub fn packet(&mut self, p: [u8; 4], out: &mut impl FnMut(Event)) {
        if p == [0; 4] {
            return;
        }
        let cable = p[0] >> 4;
        let cin = p[0] & 0x0f;
        let n = cin_len(cin);
        let bytes = &p[1..1 + n];
        match cin {
            0x4 => self.sysex_bytes(cable, bytes, false, out),
            0x5 if p[1] != 0xf7 && p[1] >= 0xf0 && !self.sysex[usize::from(cable)].active => {
                self.single(cable, p[1], out)
            }
            0x5..=0x7 => {
                if bytes.last() == Some(&0xf7) {
                    self.sysex_bytes(cable, bytes, true, out)
                } else if cin == 0x5 {
                    self.single(cable, p[1], out)
                } else {
                    self.undecoded(cable, bytes, out)
                }
            }
            0x2 | 0x3 => self.common(cable, bytes, out),
            0x8..=0xe => self.channel(cable, bytes, out),
            0xf => self.single(cable, p[1], out),
            _ => self.undecoded(cable, &p[1..], out),
        }
    }

    fn undecoded(&self, cable: u8, bytes: &[u8], out: &mut impl FnMut(Event)) {
        if self.raw {
            out(Event::Raw { cable, bytes: bytes.to_vec() });
        }
    }

    fn emit(cable: u8, msg: Midi, out: &mut impl FnMut(Event)) {
        out(Event::Midi { cable, msg });
    }

    fn single(&self, cable: u8, b: u8, out: &mut impl FnMut(Event)) {
        let m = match b {
            0xf6 => Midi::Tune,
            0xf8 => Midi::Clock,
            0xfa => Midi::Start,
            0xfb => Midi::Continue,
            0xfc => Midi::Stop,
            0xfe => Midi::Active,
            0xff => Midi::Reset,
            _ => return self.undecoded(cable, &[b], out),
        };
        Self::emit(cable, m, out)
    }

    fn common(&self, cable: u8, b: &[u8], out: &mut impl FnMut(Event)) {
        let m = match b {
            [0xf1, d] if *d < 0x80 => Midi::Mtc(*d),
            [0xf3, d] if *d < 0x80 => Midi::SongSel(*d),
            [0xf2, l, h] if *l < 0x80 && *h < 0x80 => Midi::SongPos(u16::from(*h) << 7 | u16::from(*l)),
            _ => return self.undecoded(cable, b, out),
        };
        Self::emit(cable, m, out)
    }

    fn channel(&self, cable: u8, b: &[u8], out: &mut impl FnMut(Event)) {
        let (&status, data) = match b.split_first() {
            Some(x) => x,
            None => return,
        };
        if !(0x80..0xf0).contains(&status) || data.iter().any(|&d| d >= 0x80) {
            return self.undecoded(cable, b, out);
        }
        let ch = (status & 0x0f) + 1;
        let d0 = data.first().copied().unwrap_or(0);
        let d1 = data.get(1).copied().unwrap_or(0);
        let m = match status & 0xf0 {
            0x80 => Midi::Note { ch, pitch: d0, vel: 0 },
            0x90 => Midi::Note { ch, pitch: d0, vel: d1 },
            0xa0 => Midi::PolyTouch { ch, pitch: d0, v: d1 },
            0xb0 => Midi::Cc { ch, num: d0, val: d1 },
            0xc0 => Midi::Program { ch, n: d0 },
            0xd0 => Midi::Pressure { ch, v: d0 },
            _ => Midi::Bend { ch, v: ((i16::from(d1) << 7) | i16::from(d0)) - 8192 },
        };
        Self::emit(cable, m, out)
    }

    fn sysex_bytes(&mut self, cable: u8, bytes: &[u8], end: bool, out: &mut impl FnMut(Event)) {
        let max = self.max_sysex;
        let s = &mut self.sysex[usize::from(cable & 0x0f)];
        if bytes.first() == Some(&0xf0) {
            if s.active && !s.overflowed {
                out(Event::Error(format!("sysex on cable {cable} cut short by a new F0")));
            }
            s.buf.clear();
            s.active = true;
            s.overflowed = false;
        } else if !s.active {
            // Continuation without a start (we joined mid-message): not ours to guess.
            if self.raw {
                out(Event::Raw { cable, bytes: bytes.to_vec() });
            }
            return;
        }
        if !s.overflowed {
            if s.buf.len() + bytes.len() > max {
                s.overflowed = true;
                s.buf = Vec::new();
                out(Event::Error(format!("sysex on cable {cable} longer than {max} bytes, dropped")));
            } else {
                s.buf.extend_from_slice(bytes);
            }
        }
        if end {
            s.active = false;
            if !s.overflowed {
                let msg = Midi::SysEx(std::mem::take(&mut s.buf));
                out(Event::Midi { cable, msg });
            }
            s.overflowed = false;
        }
    }
}

/// Encodes a MIDI message for `cable` into USB-MIDI packets.
pub fn encode(cable: u8, msg: &Midi, out: &mut Vec<[u8; 4]>) {
    let c = (cable & 0x0f) << 4;
    let ch = |ch: u8| ch.clamp(1, 16) - 1;
    let d = |x: u8| x & 0x7f;
    let p = |cin: u8, b: [u8; 3]| [c | cin, b[0], b[1], b[2]];
    let pkt = match *msg {
        Midi::Note { ch: k, pitch, vel } => {
            // Velocity 0 is sent as a note-off: our own convention, and the
            // clearer one for devices that treat 0x9n vel 0 oddly.
            if vel == 0 {
                p(0x8, [0x80 | ch(k), d(pitch), 0])
            } else {
                p(0x9, [0x90 | ch(k), d(pitch), d(vel)])
            }
        }
        Midi::PolyTouch { ch: k, pitch, v } => p(0xa, [0xa0 | ch(k), d(pitch), d(v)]),
        Midi::Cc { ch: k, num, val } => p(0xb, [0xb0 | ch(k), d(num), d(val)]),
        Midi::Program { ch: k, n } => p(0xc, [0xc0 | ch(k), d(n), 0]),
        Midi::Pressure { ch: k, v } => p(0xd, [0xd0 | ch(k), d(v), 0]),
        Midi::Bend { ch: k, v } => {
            let u = (i32::from(v).clamp(-8192, 8191) + 8192) as u16;
            p(0xe, [0xe0 | ch(k), (u & 0x7f) as u8, (u >> 7) as u8])
        }
        Midi::SongPos(n) => p(0x3, [0xf2, (n & 0x7f) as u8, ((n >> 7) & 0x7f) as u8]),
        Midi::SongSel(n) => p(0x2, [0xf3, d(n), 0]),
        Midi::Mtc(b) => p(0x2, [0xf1, d(b), 0]),
        Midi::Tune => p(0x5, [0xf6, 0, 0]),
        Midi::Clock => p(0xf, [0xf8, 0, 0]),
        Midi::Start => p(0xf, [0xfa, 0, 0]),
        Midi::Continue => p(0xf, [0xfb, 0, 0]),
        Midi::Stop => p(0xf, [0xfc, 0, 0]),
        Midi::Active => p(0xf, [0xfe, 0, 0]),
        Midi::Reset => p(0xf, [0xff, 0, 0]),
        Midi::SysEx(ref bytes) => {
            let mut chunks = bytes.chunks(3).peekable();
            while let Some(chunk) = chunks.next() {
                let last = chunks.peek().is_none();
                let mut b = [0u8; 3];
                b[..chunk.len()].copy_from_slice(chunk);
                let cin = if !last { 0x4 } else { [0x5, 0x6, 0x7][chunk.len() - 1] };
                out.push(p(cin, b));
            }
            return;
        }
    };
    out.push(pkt);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(dec: &mut MidiDecoder, packets: &[[u8; 4]]) -> Vec<Event> {
        let mut v = Vec::new();
        for p in packets {
            dec.packet(*p, &mut |e| v.push(e));
        }
        v
    }

    fn m(cable: u8, msg: Midi) -> Event {
        Event::Midi { cable, msg }
    }

    #[test]
    fn cin_lengths_match_the_spec() {
        let want = [0, 0, 2, 3, 3, 1, 2, 3, 3, 3, 3, 3, 2, 2, 3, 1];
        for (cin, n) in want.iter().enumerate() {
            assert_eq!(cin_len(cin as u8), *n, "CIN {cin:#x}");
        }
    }

    #[test]
    fn every_channel_cin_decodes() {
        let mut d = MidiDecoder::default();
        let got = decode_all(
            &mut d,
            &[
                [0x08, 0x80, 60, 64],
                [0x09, 0x91, 60, 100],
                [0x0a, 0xa2, 61, 5],
                [0x0b, 0xb3, 7, 127],
                [0x0c, 0xc4, 9, 0],
                [0x0d, 0xd5, 77, 0],
                [0x0e, 0xef, 0x00, 0x40],
                [0x0e, 0xe0, 0x00, 0x00],
                [0x0e, 0xe0, 0x7f, 0x7f],
            ],
        );
        assert_eq!(
            got,
            vec![
                m(0, Midi::Note { ch: 1, pitch: 60, vel: 0 }),
                m(0, Midi::Note { ch: 2, pitch: 60, vel: 100 }),
                m(0, Midi::PolyTouch { ch: 3, pitch: 61, v: 5 }),
                m(0, Midi::Cc { ch: 4, num: 7, val: 127 }),
                m(0, Midi::Program { ch: 5, n: 9 }),
                m(0, Midi::Pressure { ch: 6, v: 77 }),
                m(0, Midi::Bend { ch: 16, v: 0 }),
                m(0, Midi::Bend { ch: 1, v: -8192 }),
                m(0, Midi::Bend { ch: 1, v: 8191 }),
            ]
        );
    }

    #[test]
    fn system_cins_decode() {
        let mut d = MidiDecoder::default();
        let got = decode_all(
            &mut d,
            &[
                [0x02, 0xf1, 0x23, 0],
                [0x02, 0xf3, 5, 0],
                [0x03, 0xf2, 0x01, 0x02],
                [0x05, 0xf6, 0, 0],
                [0x0f, 0xf8, 0, 0],
                [0x1f, 0xfa, 0, 0],
                [0x0f, 0xfb, 0, 0],
                [0x0f, 0xfc, 0, 0],
                [0x0f, 0xfe, 0, 0],
                [0x0f, 0xff, 0, 0],
            ],
        );
        assert_eq!(
            got,
            vec![
                m(0, Midi::Mtc(0x23)),
                m(0, Midi::SongSel(5)),
                m(0, Midi::SongPos(0x101)),
                m(0, Midi::Tune),
                m(0, Midi::Clock),
                m(1, Midi::Start),
                m(0, Midi::Continue),
                m(0, Midi::Stop),
                m(0, Midi::Active),
                m(0, Midi::Reset),
            ]
        );
    }

    #[test]
    fn sysex_reassembles_across_packets_with_every_ending() {
        let mut d = MidiDecoder::default();
        // Ends with 1, 2 and 3 bytes (CIN 5, 6, 7).
        let got = decode_all(
            &mut d,
            &[
                [0x04, 0xf0, 1, 2],
                [0x05, 0xf7, 0, 0],
                [0x04, 0xf0, 1, 2],
                [0x06, 3, 0xf7, 0],
                [0x04, 0xf0, 1, 2],
                [0x04, 3, 4, 5],
                [0x07, 6, 7, 0xf7],
                [0x06, 0xf0, 0xf7, 0],
                [0x07, 0xf0, 9, 0xf7],
            ],
        );
        assert_eq!(
            got,
            vec![
                m(0, Midi::SysEx(vec![0xf0, 1, 2, 0xf7])),
                m(0, Midi::SysEx(vec![0xf0, 1, 2, 3, 0xf7])),
                m(0, Midi::SysEx(vec![0xf0, 1, 2, 3, 4, 5, 6, 7, 0xf7])),
                m(0, Midi::SysEx(vec![0xf0, 0xf7])),
                m(0, Midi::SysEx(vec![0xf0, 9, 0xf7])),
            ]
        );
    }

    #[test]
    fn sysex_interleaved_on_two_cables_stays_apart() {
        let mut d = MidiDecoder::default();
        let got = decode_all(
            &mut d,
            &[
                [0x04, 0xf0, 1, 2],
                [0x34, 0xf0, 9, 9],
                [0x09, 0x90, 60, 1], // channel messages may interleave
                [0x05, 0xf7, 0, 0],
                [0x36, 8, 0xf7, 0],
            ],
        );
        assert_eq!(
            got,
            vec![
                m(0, Midi::Note { ch: 1, pitch: 60, vel: 1 }),
                m(0, Midi::SysEx(vec![0xf0, 1, 2, 0xf7])),
                m(3, Midi::SysEx(vec![0xf0, 9, 9, 8, 0xf7])),
            ]
        );
    }

    #[test]
    fn overlong_sysex_is_reported_once_and_not_buffered() {
        let mut d = MidiDecoder::new(8, false);
        let mut packets = vec![[0x04, 0xf0, 1, 2]];
        packets.extend(std::iter::repeat_n([0x04, 3, 3, 3], 1000));
        packets.push([0x05, 0xf7, 0, 0]);
        packets.push([0x07, 0xf0, 5, 0xf7]);
        let got = decode_all(&mut d, &packets);
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[0], Event::Error(t) if t.contains("longer than 8")));
        assert_eq!(got[1], m(0, Midi::SysEx(vec![0xf0, 5, 0xf7])));
        assert!(d.sysex[0].buf.capacity() <= 8);
    }

    #[test]
    fn sysex_cut_by_new_start_is_reported() {
        let mut d = MidiDecoder::default();
        let got = decode_all(&mut d, &[[0x04, 0xf0, 1, 2], [0x04, 0xf0, 3, 4], [0x05, 0xf7, 0, 0]]);
        assert!(matches!(&got[0], Event::Error(_)));
        assert_eq!(got[1], m(0, Midi::SysEx(vec![0xf0, 3, 4, 0xf7])));
    }

    #[test]
    fn undecodable_bytes_are_raw_only_when_asked() {
        let bad = [[0x01, 1, 2, 3], [0x09, 0x10, 1, 2], [0x0f, 0xf9, 0, 0], [0x04, 1, 2, 3], [0x02, 0xf1, 0x80, 0]];
        assert!(decode_all(&mut MidiDecoder::default(), &bad).is_empty());
        let got = decode_all(&mut MidiDecoder::new(64, true), &bad);
        assert_eq!(
            got,
            vec![
                Event::Raw { cable: 0, bytes: vec![1, 2, 3] },
                Event::Raw { cable: 0, bytes: vec![0x10, 1, 2] },
                Event::Raw { cable: 0, bytes: vec![0xf9] },
                Event::Raw { cable: 0, bytes: vec![1, 2, 3] },
                Event::Raw { cable: 0, bytes: vec![0xf1, 0x80] },
            ]
        );
    }

    #[test]
    fn partial_transfer_and_padding() {
        let mut d = MidiDecoder::default();
        let mut v = Vec::new();
        d.decode(&[0x09, 0x90, 1, 2, 0, 0, 0, 0, 0x0f], &mut |e| v.push(e));
        assert_eq!(v[0], m(0, Midi::Note { ch: 1, pitch: 1, vel: 2 }));
        assert!(matches!(&v[1], Event::Error(_)));
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let msgs = Midi::examples();
        let mut sysexes: Vec<Midi> = (2..12)
            .map(|n| {
                let mut b = vec![0xf0];
                b.extend((0..n - 2).map(|i| i as u8));
                b.push(0xf7);
                Midi::SysEx(b)
            })
            .collect();
        let mut all = msgs;
        all.append(&mut sysexes);
        for cable in [0u8, 5, 15] {
            let mut d = MidiDecoder::default();
            for msg in &all {
                let mut pk = Vec::new();
                encode(cable, msg, &mut pk);
                let got = decode_all(&mut d, &pk);
                assert_eq!(got, vec![m(cable, msg.clone())], "{msg:?}");
            }
        }
    }
}
