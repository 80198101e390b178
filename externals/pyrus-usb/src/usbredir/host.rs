//! The framing half of a usbredir *host* (the side that owns the device),
//! sans-IO: hello exchange and packet (de)coding, with no device behind it.
//! [`crate::virtual_device`] puts a virtual MIDI + HID device behind it.
#![forbid(unsafe_code)]

use super::wire::{Caps, Codec, Decoded, Frame, Packet, WireError, VERSION_STRING};

pub struct HostFraming {
    codec: Codec,
    tx: Vec<u8>,
    next_id: u64,
}

impl HostFraming {
    /// Queues our hello, which always goes first.
    pub fn new(caps: Caps) -> Self {
        let mut h = HostFraming { codec: Codec::new(caps), tx: Vec::new(), next_id: 0 };
        let _ = h.codec.encode(0, &Packet::Hello { version: VERSION_STRING.into(), caps }, &mut h.tx);
        h
    }

    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// Decodes whole packets from the front of `input` into `frames`; returns
    /// the bytes used. The peer's hello is consumed here (it sets the layout).
    pub fn decode(&mut self, input: &[u8], frames: &mut Vec<Frame>) -> Result<usize, WireError> {
        let mut used = 0;
        loop {
            match self.codec.decode(input.get(used..).unwrap_or(&[]))? {
                Decoded::Incomplete { .. } => return Ok(used),
                Decoded::Frame(f, n) => {
                    used += n;
                    if let Packet::Hello { caps, .. } = f.packet {
                        self.codec.set_peer_caps(caps);
                    }
                    frames.push(f);
                }
            }
        }
    }

    /// Queues a packet with a fresh id (for unsolicited packets).
    pub fn send(&mut self, p: &Packet) -> Result<(), WireError> {
        let id = self.next_id;
        self.next_id += 1;
        self.reply(id, p)
    }

    /// Queues a packet with the id of the request it answers.
    pub fn reply(&mut self, id: u64, p: &Packet) -> Result<(), WireError> {
        self.codec.encode(id, p, &mut self.tx)
    }

    pub fn take_transmit(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.tx)
    }
}
