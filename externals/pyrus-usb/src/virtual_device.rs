//! A virtual USB MIDI + HID device speaking the usbredir *host* side,
//! sans-IO. Tests drive the guest against it in memory or over loopback TCP,
//! and `pyrus-usb demo` plays it so that one can try the engine without
//! hardware.
//!
//! The device: vendor 0x1209 (pid.codes' test range) product 0x7079,
//! interface 1 MIDIStreaming with bulk IN 0x81 / OUT 0x01, interface 2 HID
//! with interrupt IN 0x82 sending report id 1: four buttons and an 8-bit axis.
#![forbid(unsafe_code)]

use crate::event::Midi;
use crate::midi;
use crate::usbredir::host::HostFraming;
use crate::usbredir::wire::{
    ep_index, status, xfer, Caps, ControlPacket, DeviceConnect, EpEntry, Frame, InterfaceEntry, Packet, WireError,
};
use std::collections::VecDeque;

pub const VID: u16 = 0x1209;
pub const PID: u16 = 0x7079;
pub const MIDI_IN: u8 = 0x81;
pub const MIDI_OUT: u8 = 0x01;
pub const HID_IN: u8 = 0x82;
const MIDI_MPS: u16 = 64;
/// MIDI bytes held while the guest has no bulk request outstanding.
const MAX_PENDING_MIDI: usize = 64 * 1024;
/// Bulk IN requests we hold for the guest at most.
const MAX_BULK_REQUESTS: usize = 64;

/// Report id 1: buttons 1-4 (page 9), 4 bits padding, X (page 1 usage 0x30) 0..255.
pub const HID_REPORT_DESCRIPTOR: &[u8] = &[
    0x05, 0x01, 0x09, 0x04, 0xa1, 0x01, 0x85, 0x01, 0x05, 0x09, 0x19, 0x01, 0x29, 0x04, 0x15, 0x00, 0x25, 0x01, 0x75,
    0x01, 0x95, 0x04, 0x81, 0x02, 0x75, 0x04, 0x95, 0x01, 0x81, 0x01, 0x05, 0x01, 0x09, 0x30, 0x15, 0x00, 0x26, 0xff,
    0x00, 0x75, 0x08, 0x95, 0x01, 0x81, 0x02, 0xc0,
];

pub fn device_descriptor() -> Vec<u8> {
    let [vl, vh] = VID.to_le_bytes();
    let [pl, ph] = PID.to_le_bytes();
    vec![18, 1, 0x00, 0x02, 0, 0, 0, 64, vl, vh, pl, ph, 0x00, 0x01, 1, 2, 0, 1]
}

pub fn config_descriptor() -> Vec<u8> {
    let hid_len = (HID_REPORT_DESCRIPTOR.len() as u16).to_le_bytes();
    let mut body: Vec<u8> = vec![
        // Interface 0: AudioControl, with its class-specific header naming interface 1.
        9, 4, 0, 0, 0, 1, 1, 0, 0, //
        9, 0x24, 1, 0x00, 0x01, 9, 0, 1, 1, //
        // Interface 1: MIDIStreaming, two bulk endpoints.
        9, 4, 1, 0, 2, 1, 3, 0, 0, //
        7, 0x24, 1, 0x00, 0x01, 7, 0, //
        9, 5, MIDI_OUT, 2, 64, 0, 0, 0, 0, //
        5, 0x25, 1, 1, 1, //
        9, 5, MIDI_IN, 2, 64, 0, 0, 0, 0, //
        5, 0x25, 1, 1, 3, //
        // Interface 2: HID with one interrupt IN endpoint.
        9, 4, 2, 0, 1, 3, 0, 0, 0, //
        9, 0x21, 0x11, 0x01, 0, 1, 0x22, hid_len[0], hid_len[1], //
        7, 5, HID_IN, 3, 8, 0, 10,
    ];
    let total = ((body.len() + 9) as u16).to_le_bytes();
    let mut d = vec![9, 2, total[0], total[1], 3, 1, 0, 0x80, 50];
    d.append(&mut body);
    d
}

fn string_descriptor(s: &str) -> Vec<u8> {
    let mut d = vec![0, 3];
    for u in s.encode_utf16().take(126) {
        d.extend_from_slice(&u.to_le_bytes());
    }
    d[0] = d.len() as u8;
    d
}

pub const MANUFACTURER: &str = "pyrus";
pub const PRODUCT: &str = "Virtual MIDI HID";

pub struct VirtualDevice {
    framing: HostFraming,
    announced: bool,
    attached: bool,
    interrupt_receiving: bool,
    bulk_receiving: bool,
    bulk_requests: VecDeque<(u64, u32)>,
    pending_midi: VecDeque<u8>,
    /// USB-MIDI bytes the guest sent to our OUT endpoint.
    pub received_midi: Vec<u8>,
    pub disconnect_acked: bool,
    /// Control requests we could not answer (for tests).
    pub stalled_requests: usize,
    /// Answer bulk IN requests with a stall (for tests).
    pub stall_bulk_in: bool,
    /// Bulk IN requests received (for tests).
    pub bulk_in_requests: usize,
    /// Send device_connect before interface and endpoint info, the reverse
    /// of usbredirhost's order (for tests: a guest must accept either).
    pub connect_first: bool,
}

impl VirtualDevice {
    pub fn new(caps: Caps) -> Self {
        VirtualDevice {
            framing: HostFraming::new(caps),
            announced: false,
            attached: true,
            interrupt_receiving: false,
            bulk_receiving: false,
            bulk_requests: VecDeque::new(),
            pending_midi: VecDeque::new(),
            received_midi: Vec::new(),
            disconnect_acked: false,
            stalled_requests: 0,
            stall_bulk_in: false,
            bulk_in_requests: 0,
            connect_first: false,
        }
    }

    /// Everything usbredirhost itself announces.
    pub fn full_caps() -> Caps {
        crate::usbredir::guest::default_caps()
    }

    pub fn take_transmit(&mut self) -> Vec<u8> {
        self.framing.take_transmit()
    }

    /// Whether the guest has started both inputs (so data will flow).
    pub fn streaming(&self) -> bool {
        self.interrupt_receiving && (self.bulk_receiving || !self.bulk_requests.is_empty())
    }

    pub fn handle_input(&mut self, input: &[u8]) -> Result<usize, WireError> {
        let mut frames = Vec::new();
        let used = self.framing.decode(input, &mut frames)?;
        for f in frames {
            self.handle(f)?;
        }
        Ok(used)
    }

    fn handle(&mut self, Frame { id, packet }: Frame) -> Result<(), WireError> {
        match packet {
            Packet::Hello { .. }
                // As usbredirhost does: interface and endpoint info first, then connect.
                if self.attached && !self.announced => {
                    self.announce()?;
                }
            Packet::Control(c) => {
                let data = self.descriptor(&c);
                let reply = match data {
                    Some(mut d) => {
                        d.truncate(usize::from(c.length));
                        ControlPacket { status: status::SUCCESS, length: d.len() as u16, data: d, ..c }
                    }
                    None => {
                        self.stalled_requests += 1;
                        ControlPacket { status: status::STALL, length: 0, data: Vec::new(), ..c }
                    }
                };
                self.framing.reply(id, &Packet::Control(reply))?;
            }
            Packet::StartInterruptReceiving { endpoint } => {
                let ok = endpoint == HID_IN;
                self.interrupt_receiving |= ok;
                let st = if ok { status::SUCCESS } else { status::INVAL };
                self.framing.reply(id, &Packet::InterruptReceivingStatus { status: st, endpoint })?;
            }
            Packet::StopInterruptReceiving { endpoint } => {
                self.interrupt_receiving = false;
                self.framing.reply(id, &Packet::InterruptReceivingStatus { status: status::SUCCESS, endpoint })?;
            }
            Packet::StartBulkReceiving { stream_id, endpoint, .. } => {
                let ok = endpoint == MIDI_IN;
                self.bulk_receiving |= ok;
                let st = if ok { status::SUCCESS } else { status::INVAL };
                self.framing.reply(id, &Packet::BulkReceivingStatus { stream_id, endpoint, status: st })?;
                self.flush_midi()?;
            }
            Packet::Bulk { endpoint: MIDI_IN, length, .. } => {
                self.bulk_in_requests += 1;
                if self.stall_bulk_in {
                    let p = Packet::Bulk { endpoint: MIDI_IN, status: status::STALL, length: 0, stream_id: 0, data: vec![] };
                    self.framing.reply(id, &p)?;
                } else if self.bulk_requests.len() >= MAX_BULK_REQUESTS {
                    let p = Packet::Bulk { endpoint: MIDI_IN, status: status::INVAL, length: 0, stream_id: 0, data: vec![] };
                    self.framing.reply(id, &p)?;
                } else {
                    self.bulk_requests.push_back((id, length));
                    self.flush_midi()?;
                }
            }
            Packet::Bulk { endpoint: MIDI_OUT, length, data, .. } => {
                self.received_midi.extend_from_slice(&data);
                let p = Packet::Bulk { endpoint: MIDI_OUT, status: status::SUCCESS, length, stream_id: 0, data: vec![] };
                self.framing.reply(id, &p)?;
            }
            Packet::DeviceDisconnectAck => self.disconnect_acked = true,
            _ => {}
        }
        Ok(())
    }

    fn announce(&mut self) -> Result<(), WireError> {
        let connect = Packet::DeviceConnect(DeviceConnect {
            speed: 1,
            class: 0,
            subclass: 0,
            protocol: 0,
            vendor_id: VID,
            product_id: PID,
            device_version_bcd: 0x0100,
        });
        if self.connect_first {
            self.framing.send(&connect)?;
        }
        let itf = |number, class, subclass| InterfaceEntry { number, class, subclass, protocol: 0 };
        self.framing.send(&Packet::InterfaceInfo(vec![itf(0, 1, 1), itf(1, 1, 3), itf(2, 3, 0)]))?;
        let mut eps = Box::new([EpEntry::default(); 32]);
        let ep = |t, interval, interface, mps| EpEntry {
            xfer_type: t,
            interval,
            interface,
            max_packet_size: mps,
            max_streams: 0,
        };
        eps[ep_index(0x00)] = ep(xfer::CONTROL, 0, 0, 64);
        eps[ep_index(0x80)] = ep(xfer::CONTROL, 0, 0, 64);
        eps[ep_index(MIDI_IN)] = ep(xfer::BULK, 0, 1, MIDI_MPS);
        eps[ep_index(MIDI_OUT)] = ep(xfer::BULK, 0, 1, MIDI_MPS);
        eps[ep_index(HID_IN)] = ep(xfer::INTERRUPT, 10, 2, 8);
        self.framing.send(&Packet::EpInfo(eps))?;
        if !self.connect_first {
            self.framing.send(&connect)?;
        }
        self.announced = true;
        Ok(())
    }

    fn descriptor(&self, c: &ControlPacket) -> Option<Vec<u8>> {
        if c.request != 6 || c.endpoint != 0x80 {
            return None;
        }
        let (dtype, index) = ((c.value >> 8) as u8, c.value as u8);
        match (c.requesttype, dtype, index) {
            (0x80, 1, 0) => Some(device_descriptor()),
            (0x80, 2, 0) => Some(config_descriptor()),
            (0x80, 3, 0) => Some(vec![4, 3, 0x09, 0x04]),
            (0x80, 3, 1) => Some(string_descriptor(MANUFACTURER)),
            (0x80, 3, 2) => Some(string_descriptor(PRODUCT)),
            (0x81, 0x22, 0) if c.index == 2 => Some(HID_REPORT_DESCRIPTOR.to_vec()),
            _ => None,
        }
    }

    /// Sends a MIDI message from the device on `cable`.
    pub fn play(&mut self, cable: u8, msg: &Midi) -> Result<(), WireError> {
        let mut packets = Vec::new();
        midi::encode(cable, msg, &mut packets);
        self.play_usb_midi(&packets.concat())
    }

    /// Sends raw USB-MIDI event packets from the device's bulk IN endpoint.
    pub fn play_usb_midi(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let room = MAX_PENDING_MIDI.saturating_sub(self.pending_midi.len());
        self.pending_midi.extend(bytes.iter().take(room));
        self.flush_midi()
    }

    fn flush_midi(&mut self) -> Result<(), WireError> {
        while !self.pending_midi.is_empty() {
            if self.bulk_receiving {
                // One buffered packet per max-packet-size chunk, as a device would deliver.
                let n = self.pending_midi.len().min(usize::from(MIDI_MPS));
                let data: Vec<u8> = self.pending_midi.drain(..n).collect();
                let p = Packet::BufferedBulk { stream_id: 0, length: n as u32, endpoint: MIDI_IN, status: 0, data };
                self.framing.send(&p)?;
            } else if let Some((id, len)) = self.bulk_requests.pop_front() {
                let n = self.pending_midi.len().min(len as usize) & !3;
                let n = if n == 0 { self.pending_midi.len().min(len as usize) } else { n };
                let data: Vec<u8> = self.pending_midi.drain(..n).collect();
                let p = Packet::Bulk { endpoint: MIDI_IN, status: 0, length: n as u32, stream_id: 0, data };
                self.framing.reply(id, &p)?;
            } else {
                break;
            }
        }
        Ok(())
    }

    /// Sends a HID input report: buttons 1-4 as bits, and the X axis.
    pub fn hid(&mut self, buttons: u8, x: u8) -> Result<(), WireError> {
        self.hid_report(&[1, buttons & 0x0f, x])
    }

    /// Sends an arbitrary interrupt IN report (for malformed-report tests).
    pub fn hid_report(&mut self, data: &[u8]) -> Result<(), WireError> {
        if !self.interrupt_receiving {
            return Ok(());
        }
        let p = Packet::Interrupt { endpoint: HID_IN, status: 0, length: data.len() as u16, data: data.to_vec() };
        self.framing.send(&p)
    }

    /// Plugs the device back in after [`disconnect`](Self::disconnect), as
    /// usbredirhost does when the device returns: infos, then connect.
    pub fn reconnect(&mut self) -> Result<(), WireError> {
        self.attached = true;
        self.disconnect_acked = false;
        self.announce()
    }

    /// Unplugs the device (the connection stays up).
    pub fn disconnect(&mut self) -> Result<(), WireError> {
        self.attached = false;
        self.interrupt_receiving = false;
        self.bulk_receiving = false;
        self.bulk_requests.clear();
        self.framing.send(&Packet::DeviceDisconnect)
    }
}
