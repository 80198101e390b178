//! The usbredir *guest* side, sans-IO: bytes from the peer go in through
//! [`Guest::handle_input`], [`Event`]s come out through a callback and the
//! bytes to send accumulate in [`Guest::take_transmit`]. No sockets, threads
//! or clocks, so tests drive it against an in-memory host.
//!
//! On `device_connect` the guest enumerates over control packets (there is
//! no descriptor packet in usbredir): device descriptor, configuration
//! descriptor, language ids, product and manufacturer strings, then each HID
//! interface's report descriptor. It then reports `Connected` and starts
//! input: `start_interrupt_receiving` for HID, and for MIDI bulk IN either
//! `start_bulk_receiving` (when both sides have `cap_bulk_receiving`) or a
//! few `bulk_packet` requests kept outstanding.
#![forbid(unsafe_code)]

use super::wire::{
    cap, status, ty, Caps, Codec, ControlPacket, Decoded, DeviceConnect, Packet, WireError, MAX_PACKET_LEN,
};
use crate::descriptors::{self, Interface};
use crate::event::{Event, Midi};
use crate::hid::{HidDecoder, ReportDescriptor};
use crate::midi::{self, MidiDecoder};
use std::fmt;

/// Bulk IN requests kept in flight when bulk receiving is not negotiated.
pub const BULK_REQUESTS_OUTSTANDING: usize = 4;
/// Consecutive failed bulk IN transfers after which an endpoint is given up.
pub const MAX_BULK_FAILURES: u32 = 8;
/// Transfers usbredirhost keeps in flight for us with bulk receiving.
pub const BULK_RECEIVING_TRANSFERS: u8 = 4;

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuestError {
    Wire(WireError),
    /// A packet the host side never sends, or one sent at the wrong time.
    Unexpected {
        ty: u32,
        why: &'static str,
    },
    /// Enumeration failed in a way that leaves nothing to talk to.
    Enumeration(String),
    /// `send_midi` before the peer said usbredir's hello.
    NoHello,
    /// `send_midi` before the peer presented a device (or after it went).
    NoDevice,
    /// `send_midi` to a device with no MIDI OUT endpoint.
    NoMidiOut,
    /// `send_midi` over a connection whose writer has this many buffers
    /// waiting: the peer reads slower than we write (see [`crate::net`]).
    Busy(usize),
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuestError::Wire(e) => write!(f, "usbredir: {e}"),
            GuestError::Unexpected { ty, why } => write!(f, "usbredir: unexpected packet type {ty}: {why}"),
            GuestError::Enumeration(s) => write!(f, "usbredir: enumeration failed: {s}"),
            GuestError::NoHello => {
                write!(f, "no device yet: the peer has not said usbredir's hello (is it usbredirect?)")
            }
            GuestError::NoDevice => write!(f, "no device yet: the usbredir peer has not presented one"),
            GuestError::NoMidiOut => write!(f, "no MIDI OUT endpoint on the device"),
            GuestError::Busy(n) => {
                write!(f, "device busy: {n} buffers wait to be written (the peer reads slower than we send)")
            }
        }
    }
}

impl std::error::Error for GuestError {}

impl From<WireError> for GuestError {
    fn from(e: WireError) -> Self {
        GuestError::Wire(e)
    }
}

#[derive(Clone, Debug)]
pub struct GuestConfig {
    pub caps: Caps,
    pub max_sysex: usize,
    /// Emit `raw` MIDI and whole HID reports too.
    pub raw: bool,
    /// The first packet id after the hello. Tests start near 2^32 to prove
    /// that 64-bit ids survive the round trip (and 32-bit ones wrap).
    pub first_id: u64,
}

impl Default for GuestConfig {
    fn default() -> Self {
        GuestConfig { caps: default_caps(), max_sysex: midi::DEFAULT_MAX_SYSEX, raw: false, first_id: 1 }
    }
}

/// Everything this guest understands.
pub fn default_caps() -> Caps {
    Caps(0)
        .with(cap::CONNECT_DEVICE_VERSION)
        .with(cap::DEVICE_DISCONNECT_ACK)
        .with(cap::EP_INFO_MAX_PACKET_SIZE)
        .with(cap::IDS_64BIT)
        .with(cap::BULK_LENGTH_32BIT)
        .with(cap::BULK_RECEIVING)
}

/// What an outstanding control request was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Device,
    Config,
    LangIds,
    Product,
    Manufacturer,
    HidReport(usize),
}

struct Device {
    connect: DeviceConnect,
    product_index: u8,
    manufacturer_index: u8,
    langid: u16,
    product: String,
    manufacturer: String,
    interfaces: Vec<Interface>,
    /// (interrupt IN endpoint, decoder) per HID interface that enumerated.
    hid: Vec<(u8, HidDecoder)>,
    midi_in: Vec<(u8, u16)>,
    midi_out: Option<u8>,
    awaiting: Option<(u64, Step)>,
    running: bool,
    bulk_receiving: bool,
    /// Failed bulk IN replies in a row; past [`MAX_BULK_FAILURES`] we stop
    /// re-requesting rather than spin on a stalled endpoint.
    bulk_failures: u32,
}

pub struct Guest {
    codec: Codec,
    next_id: u64,
    tx: Vec<u8>,
    device: Option<Device>,
    midi: MidiDecoder,
    raw: bool,
    /// The connection is past a fatal error; nothing more is decoded.
    failed: bool,
}

impl Guest {
    /// A guest whose hello is already waiting in the transmit buffer (the
    /// hello is always the first packet either side sends).
    pub fn new(config: GuestConfig) -> Self {
        let mut g = Guest {
            codec: Codec::new(config.caps),
            next_id: config.first_id,
            tx: Vec::new(),
            device: None,
            midi: MidiDecoder::new(config.max_sysex, config.raw),
            raw: config.raw,
            failed: false,
        };
        let hello = Packet::Hello { version: super::wire::VERSION_STRING.into(), caps: config.caps };
        // Encoding a hello cannot fail: fixed size, well under the cap.
        let _ = g.codec.encode(0, &hello, &mut g.tx);
        g
    }

    /// Bytes to write to the peer, in order; the buffer is handed over.
    pub fn take_transmit(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.tx)
    }

    pub fn has_transmit(&self) -> bool {
        !self.tx.is_empty()
    }

    pub fn peer_caps(&self) -> Option<Caps> {
        self.codec.peer_caps()
    }

    /// Whether a device is connected and enumerated.
    pub fn is_running(&self) -> bool {
        self.device.as_ref().is_some_and(|d| d.running)
    }

    /// Decodes every whole packet at the front of `input`, returning how many
    /// bytes were used; the caller keeps the rest for next time. An error is
    /// fatal for the connection: the guest refuses further input.
    pub fn handle_input(&mut self, input: &[u8], out: &mut impl FnMut(Event)) -> Result<usize, GuestError> {
        if self.failed {
            return Err(GuestError::Unexpected { ty: 0, why: "input after a fatal error" });
        }
        let mut used = 0;
        loop {
            let rest = input.get(used..).unwrap_or(&[]);
            match self.codec.decode(rest) {
                Ok(Decoded::Incomplete { .. }) => return Ok(used),
                Ok(Decoded::Frame(frame, n)) => {
                    used += n;
                    if let Err(e) = self.handle_packet(frame.id, frame.packet, out) {
                        self.failed = true;
                        return Err(e);
                    }
                }
                Err(e) => {
                    self.failed = true;
                    return Err(e.into());
                }
            }
        }
    }

    fn send(&mut self, p: Packet) -> u64 {
        if !self.codec.both(cap::IDS_64BIT) {
            self.next_id &= 0xffff_ffff;
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        // Everything the guest builds is small and well-formed; an encoding
        // failure would be our bug and is reported by the debug assertion.
        let r = self.codec.encode(id, &p, &mut self.tx);
        debug_assert!(r.is_ok(), "{r:?}");
        id
    }

    fn get_descriptor(&mut self, requesttype: u8, value: u16, index: u16, length: u16, step: Step) {
        let id = self.send(Packet::Control(ControlPacket {
            endpoint: 0x80,
            request: 6, // GET_DESCRIPTOR
            requesttype,
            status: 0,
            value,
            index,
            length,
            data: Vec::new(),
        }));
        if let Some(d) = self.device.as_mut() {
            d.awaiting = Some((id, step));
        }
    }

    fn handle_packet(&mut self, id: u64, p: Packet, out: &mut impl FnMut(Event)) -> Result<(), GuestError> {
        let t = p.ty();
        match p {
            Packet::Hello { caps, .. } => {
                self.codec.set_peer_caps(caps);
                Ok(())
            }
            Packet::InterfaceInfo(_) | Packet::EpInfo(_) => Ok(()), // the config descriptor is our source
            Packet::DeviceConnect(connect) => {
                if self.device.is_some() {
                    return Err(GuestError::Unexpected { ty: t, why: "device_connect while connected" });
                }
                self.device = Some(Device {
                    connect,
                    product_index: 0,
                    manufacturer_index: 0,
                    langid: 0,
                    product: String::new(),
                    manufacturer: String::new(),
                    interfaces: Vec::new(),
                    hid: Vec::new(),
                    midi_in: Vec::new(),
                    midi_out: None,
                    awaiting: None,
                    running: false,
                    bulk_receiving: false,
                    bulk_failures: 0,
                });
                self.get_descriptor(0x80, u16::from(descriptors::DT_DEVICE) << 8, 0, 18, Step::Device);
                Ok(())
            }
            Packet::DeviceDisconnect => {
                if self.device.take().is_none() {
                    return Err(GuestError::Unexpected { ty: t, why: "device_disconnect without a device" });
                }
                if self.codec.both(cap::DEVICE_DISCONNECT_ACK) {
                    self.send(Packet::DeviceDisconnectAck);
                }
                out(Event::Disconnected);
                Ok(())
            }
            Packet::Control(c) => self.control_reply(id, c, out),
            Packet::Interrupt { endpoint, status: st, data, .. } => {
                let d = self.running_device(t)?;
                if st != status::SUCCESS {
                    out(Event::Error(format!("interrupt endpoint {endpoint:#x} status {st}")));
                    return Ok(());
                }
                if let Some((_, dec)) = d.hid.iter_mut().find(|(ep, _)| *ep == endpoint) {
                    dec.report(&data, out);
                    Ok(())
                } else {
                    Err(GuestError::Unexpected { ty: t, why: "interrupt data on an endpoint we did not start" })
                }
            }
            Packet::BufferedBulk { endpoint, status: st, data, .. } => {
                let d = self.running_device(t)?;
                if !d.midi_in.iter().any(|(ep, _)| *ep == endpoint) {
                    return Err(GuestError::Unexpected { ty: t, why: "bulk data on an endpoint we did not start" });
                }
                if st != status::SUCCESS {
                    out(Event::Error(format!("bulk endpoint {endpoint:#x} status {st}")));
                }
                self.midi.decode(&data, out);
                Ok(())
            }
            Packet::Bulk { endpoint, status: st, data, .. } => {
                let d = self.running_device(t)?;
                if endpoint & 0x80 == 0 {
                    // Completion of a MIDI OUT transfer we sent.
                    if st != status::SUCCESS {
                        out(Event::Error(format!("MIDI send failed with status {st}")));
                    }
                    return Ok(());
                }
                let Some(&(_, len)) = d.midi_in.iter().find(|(ep, _)| *ep == endpoint) else {
                    return Err(GuestError::Unexpected { ty: t, why: "bulk data on an endpoint we did not request" });
                };
                let bulk_receiving = d.bulk_receiving;
                match st {
                    status::SUCCESS => {
                        d.bulk_failures = 0;
                        self.midi.decode(&data, out);
                    }
                    // Cancelled happens on shutdown or reset; stop re-requesting then.
                    status::CANCELLED => return Ok(()),
                    other => {
                        d.bulk_failures += 1;
                        if d.bulk_failures > MAX_BULK_FAILURES {
                            // Already reported; the other outstanding requests end here too.
                            return Ok(());
                        }
                        let giving_up = if d.bulk_failures == MAX_BULK_FAILURES { ", giving up" } else { "" };
                        out(Event::Error(format!("bulk endpoint {endpoint:#x} status {other}{giving_up}")));
                        if d.bulk_failures == MAX_BULK_FAILURES {
                            return Ok(());
                        }
                    }
                }
                if !bulk_receiving {
                    self.request_bulk(endpoint, len);
                }
                Ok(())
            }
            Packet::InterruptReceivingStatus { status: st, endpoint }
            | Packet::BulkReceivingStatus { status: st, endpoint, .. } => {
                if st != status::SUCCESS {
                    out(Event::Error(format!("could not start input on endpoint {endpoint:#x} (status {st})")));
                }
                Ok(())
            }
            Packet::ConfigurationStatus { .. } | Packet::AltSettingStatus { .. } => Ok(()),
            Packet::FilterReject => {
                out(Event::Error("usbredir host rejected the device by filter".into()));
                Ok(())
            }
            Packet::FilterFilter(_) => Ok(()),
            Packet::Other { ty: ty::ISO_STREAM_STATUS | ty::BULK_STREAMS_STATUS | ty::ISO_PACKET, .. } => Ok(()),
            _ => Err(GuestError::Unexpected { ty: t, why: "only a guest sends this" }),
        }
    }

    fn running_device(&mut self, t: u32) -> Result<&mut Device, GuestError> {
        match self.device.as_mut() {
            Some(d) if d.running => Ok(d),
            _ => Err(GuestError::Unexpected { ty: t, why: "data before the device was started" }),
        }
    }

    fn request_bulk(&mut self, endpoint: u8, len: u16) {
        self.send(Packet::Bulk { endpoint, status: 0, length: u32::from(len), stream_id: 0, data: Vec::new() });
    }

    fn control_reply(&mut self, id: u64, c: ControlPacket, out: &mut impl FnMut(Event)) -> Result<(), GuestError> {
        let t = ty::CONTROL_PACKET;
        let Some(d) = self.device.as_mut() else {
            return Err(GuestError::Unexpected { ty: t, why: "control reply without a device" });
        };
        let Some((want, step)) = d.awaiting else {
            return Err(GuestError::Unexpected { ty: t, why: "control reply nobody asked for" });
        };
        if want != id {
            return Err(GuestError::Unexpected { ty: t, why: "control reply with an unknown id" });
        }
        d.awaiting = None;
        let ok = c.status == status::SUCCESS;
        match step {
            Step::Device => {
                let dd = descriptors::DeviceDescriptor::parse(&c.data)
                    .map_err(|e| GuestError::Enumeration(e.to_string()))
                    .and_then(
                        |dd| {
                            if ok {
                                Ok(dd)
                            } else {
                                Err(GuestError::Enumeration(format!("status {}", c.status)))
                            }
                        },
                    )?;
                d.product_index = dd.product_index;
                d.manufacturer_index = dd.manufacturer_index;
                self.get_descriptor(0x80, u16::from(descriptors::DT_CONFIG) << 8, 0, 4096, Step::Config);
            }
            Step::Config => {
                if !ok {
                    return Err(GuestError::Enumeration(format!("configuration descriptor status {}", c.status)));
                }
                d.interfaces =
                    descriptors::parse_config(&c.data).map_err(|e| GuestError::Enumeration(e.to_string()))?;
                if d.product_index != 0 || d.manufacturer_index != 0 {
                    self.get_descriptor(0x80, u16::from(descriptors::DT_STRING) << 8, 0, 255, Step::LangIds);
                } else {
                    self.next_hid(0, out);
                }
            }
            Step::LangIds => {
                d.langid = if ok { descriptors::parse_langid(&c.data).unwrap_or(0x0409) } else { 0x0409 };
                self.next_string(Step::LangIds, out);
            }
            Step::Product | Step::Manufacturer => {
                let s = if ok { descriptors::parse_string(&c.data).unwrap_or_default() } else { String::new() };
                if step == Step::Product {
                    d.product = s;
                } else {
                    d.manufacturer = s;
                }
                self.next_string(step, out);
            }
            Step::HidReport(i) => {
                let itf = d.interfaces.get(i).cloned();
                if let Some(itf) = itf {
                    let ep = itf.endpoints.iter().find(|e| e.address & 0x80 != 0 && e.transfer_type == 3);
                    match (ok, ReportDescriptor::parse(&c.data), ep) {
                        (true, Ok(rd), Some(ep)) => d.hid.push((ep.address, HidDecoder::new(rd, self.raw))),
                        (false, _, _) => out(Event::Error(format!(
                            "HID interface {} report descriptor status {}",
                            itf.number, c.status
                        ))),
                        (_, Err(e), _) => out(Event::Error(format!("HID interface {}: {e}", itf.number))),
                        (_, _, None) => {
                            out(Event::Error(format!("HID interface {} has no input endpoint", itf.number)))
                        }
                    }
                }
                self.next_hid(i + 1, out);
            }
        }
        Ok(())
    }

    fn next_string(&mut self, after: Step, out: &mut impl FnMut(Event)) {
        let Some(d) = self.device.as_ref() else { return };
        let langid = d.langid;
        if after == Step::LangIds && d.product_index != 0 {
            let v = u16::from(descriptors::DT_STRING) << 8 | u16::from(d.product_index);
            return self.get_descriptor(0x80, v, langid, 255, Step::Product);
        }
        if after != Step::Manufacturer && d.manufacturer_index != 0 {
            let v = u16::from(descriptors::DT_STRING) << 8 | u16::from(d.manufacturer_index);
            return self.get_descriptor(0x80, v, langid, 255, Step::Manufacturer);
        }
        self.next_hid(0, out)
    }

    fn next_hid(&mut self, from: usize, out: &mut impl FnMut(Event)) {
        let Some(d) = self.device.as_ref() else { return };
        let next = d.interfaces.iter().enumerate().skip(from).find(|(_, i)| i.is_hid() && i.hid_report_len.is_some());
        if let Some((i, itf)) = next {
            let (len, number) = (itf.hid_report_len.unwrap_or(0), itf.number);
            let v = u16::from(descriptors::DT_HID_REPORT) << 8;
            return self.get_descriptor(0x81, v, u16::from(number), len, Step::HidReport(i));
        }
        self.start(out)
    }

    /// Enumeration done: announce the device and start its inputs.
    fn start(&mut self, out: &mut impl FnMut(Event)) {
        let bulk_receiving = self.codec.both(cap::BULK_RECEIVING);
        let Some(d) = self.device.as_mut() else { return };
        for itf in d.interfaces.iter().filter(|i| i.is_midi()) {
            for ep in itf.endpoints.iter().filter(|e| e.transfer_type == 2) {
                if ep.address & 0x80 != 0 {
                    d.midi_in.push((ep.address, ep.max_packet_size.max(4)));
                } else if d.midi_out.is_none() {
                    d.midi_out = Some(ep.address);
                }
            }
        }
        d.running = true;
        d.bulk_receiving = bulk_receiving;
        let name = match (d.manufacturer.is_empty(), d.product.is_empty()) {
            (_, false) if d.product.starts_with(&d.manufacturer) => d.product.clone(),
            (false, false) => format!("{} {}", d.manufacturer, d.product),
            (true, false) => d.product.clone(),
            (false, true) => d.manufacturer.clone(),
            (true, true) => format!("{:04x}:{:04x}", d.connect.vendor_id, d.connect.product_id),
        };
        out(Event::Connected { vid: d.connect.vendor_id, pid: d.connect.product_id, name });
        let hid_eps: Vec<u8> = d.hid.iter().map(|(ep, _)| *ep).collect();
        let midi_in = d.midi_in.clone();
        for endpoint in hid_eps {
            self.send(Packet::StartInterruptReceiving { endpoint });
        }
        for (endpoint, mps) in midi_in {
            if bulk_receiving {
                // usbredirhost wants a multiple of the max packet size per transfer.
                self.send(Packet::StartBulkReceiving {
                    stream_id: 0,
                    bytes_per_transfer: u32::from(mps),
                    endpoint,
                    no_transfers: BULK_RECEIVING_TRANSFERS,
                });
            } else {
                for _ in 0..BULK_REQUESTS_OUTSTANDING {
                    self.request_bulk(endpoint, mps);
                }
            }
        }
    }

    /// Queues a MIDI message for the device's first MIDI OUT endpoint.
    pub fn send_midi(&mut self, cable: u8, msg: &Midi) -> Result<(), GuestError> {
        if self.peer_caps().is_none() {
            return Err(GuestError::NoHello);
        }
        let device = self.device.as_ref().filter(|d| d.running).ok_or(GuestError::NoDevice)?;
        let ep = device.midi_out.ok_or(GuestError::NoMidiOut)?;
        let mut packets = Vec::new();
        midi::encode(cable, msg, &mut packets);
        let data: Vec<u8> = packets.concat();
        // Checked here so that `send` only ever sees encodable packets: the
        // bulk header's 16-bit length without 32-bit lengths, and our own cap.
        let limit = if self.codec.both(cap::BULK_LENGTH_32BIT) { MAX_PACKET_LEN as usize - 10 } else { 0xffff };
        if data.len() > limit {
            return Err(GuestError::Wire(WireError::Unencodable("MIDI message too long for one transfer")));
        }
        let length = data.len() as u32;
        self.send(Packet::Bulk { endpoint: ep, status: 0, length, stream_id: 0, data });
        Ok(())
    }
}
