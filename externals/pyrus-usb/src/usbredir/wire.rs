//! The usbredir wire format: packet types, capabilities, and a bounded,
//! panic-free codec for one packet at a time.
//!
//! Facts from the usbredir protocol (version 0.7, `usbredirproto.h`): every
//! integer is little-endian and every struct packed. A packet is a header
//! (`type u32, length u32, id u32|u64`), a type-specific header whose size can
//! depend on negotiated capabilities, then for some types a data payload.
//! `length` counts the type header plus the data. The id is 64 bits wide only
//! once *both* hellos announced `cap_64bits_ids`; the hello itself always
//! travels with the short 12-byte header.
//!
//! Decoding never trusts a length it has not checked: [`Codec::decode`] looks
//! at the header, refuses lengths above [`MAX_PACKET_LEN`] before anything is
//! allocated, answers [`Decoded::Incomplete`] when the rest has not arrived
//! yet, and a typed [`WireError`] when the bytes cannot be a valid packet.
#![forbid(unsafe_code)]

use std::fmt;

/// The largest `length` (type header plus data) accepted from a peer.
///
/// A MIDI or HID device never moves more than a few KiB per transfer and a
/// control transfer carries at most 65535 bytes; 256 KiB leaves room for
/// buffered bulk transfers while bounding what one packet can make us buffer.
pub const MAX_PACKET_LEN: u32 = 256 * 1024;

/// The version string we announce in our hello.
pub const VERSION_STRING: &str = "pyrus-usb 0.1";

pub mod ty {
    //! Packet type numbers.
    pub const HELLO: u32 = 0;
    pub const DEVICE_CONNECT: u32 = 1;
    pub const DEVICE_DISCONNECT: u32 = 2;
    pub const RESET: u32 = 3;
    pub const INTERFACE_INFO: u32 = 4;
    pub const EP_INFO: u32 = 5;
    pub const SET_CONFIGURATION: u32 = 6;
    pub const GET_CONFIGURATION: u32 = 7;
    pub const CONFIGURATION_STATUS: u32 = 8;
    pub const SET_ALT_SETTING: u32 = 9;
    pub const GET_ALT_SETTING: u32 = 10;
    pub const ALT_SETTING_STATUS: u32 = 11;
    pub const START_ISO_STREAM: u32 = 12;
    pub const STOP_ISO_STREAM: u32 = 13;
    pub const ISO_STREAM_STATUS: u32 = 14;
    pub const START_INTERRUPT_RECEIVING: u32 = 15;
    pub const STOP_INTERRUPT_RECEIVING: u32 = 16;
    pub const INTERRUPT_RECEIVING_STATUS: u32 = 17;
    pub const ALLOC_BULK_STREAMS: u32 = 18;
    pub const FREE_BULK_STREAMS: u32 = 19;
    pub const BULK_STREAMS_STATUS: u32 = 20;
    pub const CANCEL_DATA_PACKET: u32 = 21;
    pub const FILTER_REJECT: u32 = 22;
    pub const FILTER_FILTER: u32 = 23;
    pub const DEVICE_DISCONNECT_ACK: u32 = 24;
    pub const START_BULK_RECEIVING: u32 = 25;
    pub const STOP_BULK_RECEIVING: u32 = 26;
    pub const BULK_RECEIVING_STATUS: u32 = 27;
    pub const CONTROL_PACKET: u32 = 100;
    pub const BULK_PACKET: u32 = 101;
    pub const ISO_PACKET: u32 = 102;
    pub const INTERRUPT_PACKET: u32 = 103;
    pub const BUFFERED_BULK_PACKET: u32 = 104;
}

pub mod cap {
    //! Capability bit numbers (bit `n` of the first capabilities word).
    pub const BULK_STREAMS: u32 = 0;
    pub const CONNECT_DEVICE_VERSION: u32 = 1;
    pub const FILTER: u32 = 2;
    pub const DEVICE_DISCONNECT_ACK: u32 = 3;
    pub const EP_INFO_MAX_PACKET_SIZE: u32 = 4;
    pub const IDS_64BIT: u32 = 5;
    pub const BULK_LENGTH_32BIT: u32 = 6;
    pub const BULK_RECEIVING: u32 = 7;
}

/// Transfer status codes.
pub mod status {
    pub const SUCCESS: u8 = 0;
    pub const CANCELLED: u8 = 1;
    pub const INVAL: u8 = 2;
    pub const IOERROR: u8 = 3;
    pub const STALL: u8 = 4;
    pub const TIMEOUT: u8 = 5;
    pub const BABBLE: u8 = 6;
}

/// Endpoint transfer types as in the USB spec (ep_info `type`).
pub mod xfer {
    pub const CONTROL: u8 = 0;
    pub const ISO: u8 = 1;
    pub const BULK: u8 = 2;
    pub const INTERRUPT: u8 = 3;
    pub const INVALID: u8 = 255;
}

/// A capability bit set (only the first 32-bit word exists in protocol 0.7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps(pub u32);

impl Caps {
    pub fn with(self, cap: u32) -> Caps {
        Caps(self.0 | (1u32 << (cap & 31)))
    }
    pub fn has(self, cap: u32) -> bool {
        cap < 32 && self.0 & (1u32 << cap) != 0
    }
}

/// Why a byte sequence is not a valid usbredir packet.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// `length` above [`MAX_PACKET_LEN`].
    TooLong { ty: u32, length: u32 },
    /// `length` smaller than, or (for types without data) unequal to, the type header.
    BadLength { ty: u32, length: u32, expected: usize },
    /// A packet type this protocol version does not define.
    UnknownType(u32),
    /// A data payload whose size disagrees with the length field inside it.
    DataLengthMismatch { ty: u32, field: u32, actual: usize },
    /// A packet before the peer's hello, or a second hello.
    OutOfOrder { ty: u32 },
    /// A field out of its range (counts above 32, and the like).
    BadField(&'static str),
    /// We were asked to encode something that does not fit the wire.
    Unencodable(&'static str),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TooLong { ty, length } => write!(f, "packet type {ty} too long ({length} bytes)"),
            WireError::BadLength { ty, length, expected } => {
                write!(f, "packet type {ty} has length {length}, expected {expected}")
            }
            WireError::UnknownType(t) => write!(f, "unknown packet type {t}"),
            WireError::DataLengthMismatch { ty, field, actual } => {
                write!(f, "packet type {ty} announces {field} data bytes but carries {actual}")
            }
            WireError::OutOfOrder { ty } => write!(f, "packet type {ty} out of order"),
            WireError::BadField(what) => write!(f, "bad field: {what}"),
            WireError::Unencodable(what) => write!(f, "cannot encode: {what}"),
        }
    }
}

impl std::error::Error for WireError {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceConnect {
    pub speed: u8,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
    pub vendor_id: u16,
    pub product_id: u16,
    /// Present only with `cap_connect_device_version` on both sides.
    pub device_version_bcd: u16,
}

/// One interface: number, class, subclass, protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct InterfaceEntry {
    pub number: u8,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
}

/// One endpoint's info, indexed on the wire by `((ep & 0x80) >> 3) | (ep & 0x0f)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpEntry {
    pub xfer_type: u8,
    pub interval: u8,
    pub interface: u8,
    pub max_packet_size: u16,
    pub max_streams: u32,
}

impl Default for EpEntry {
    fn default() -> Self {
        EpEntry { xfer_type: xfer::INVALID, interval: 0, interface: 0, max_packet_size: 0, max_streams: 0 }
    }
}

/// The wire index of an endpoint address in ep_info's arrays.
pub fn ep_index(ep: u8) -> usize {
    usize::from(((ep & 0x80) >> 3) | (ep & 0x0f))
}

/// The endpoint address of an ep_info array index.
pub fn ep_address(index: usize) -> u8 {
    let i = (index & 0x1f) as u8;
    ((i & 0x10) << 3) | (i & 0x0f)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlPacket {
    pub endpoint: u8,
    pub request: u8,
    pub requesttype: u8,
    pub status: u8,
    pub value: u16,
    pub index: u16,
    pub length: u16,
    pub data: Vec<u8>,
}

/// A usbredir packet, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Packet {
    Hello {
        version: String,
        caps: Caps,
    },
    DeviceConnect(DeviceConnect),
    DeviceDisconnect,
    Reset,
    InterfaceInfo(Vec<InterfaceEntry>),
    /// All 32 endpoint slots, by [`ep_index`].
    EpInfo(Box<[EpEntry; 32]>),
    SetConfiguration {
        configuration: u8,
    },
    GetConfiguration,
    ConfigurationStatus {
        status: u8,
        configuration: u8,
    },
    SetAltSetting {
        interface: u8,
        alt: u8,
    },
    GetAltSetting {
        interface: u8,
    },
    AltSettingStatus {
        status: u8,
        interface: u8,
        alt: u8,
    },
    StartInterruptReceiving {
        endpoint: u8,
    },
    StopInterruptReceiving {
        endpoint: u8,
    },
    InterruptReceivingStatus {
        status: u8,
        endpoint: u8,
    },
    CancelDataPacket,
    FilterReject,
    FilterFilter(Vec<u8>),
    DeviceDisconnectAck,
    StartBulkReceiving {
        stream_id: u32,
        bytes_per_transfer: u32,
        endpoint: u8,
        no_transfers: u8,
    },
    StopBulkReceiving {
        stream_id: u32,
        endpoint: u8,
    },
    BulkReceivingStatus {
        stream_id: u32,
        endpoint: u8,
        status: u8,
    },
    Control(ControlPacket),
    Bulk {
        endpoint: u8,
        status: u8,
        length: u32,
        stream_id: u32,
        data: Vec<u8>,
    },
    Interrupt {
        endpoint: u8,
        status: u8,
        length: u16,
        data: Vec<u8>,
    },
    BufferedBulk {
        stream_id: u32,
        length: u32,
        endpoint: u8,
        status: u8,
        data: Vec<u8>,
    },
    /// Valid packets of types this engine does not act on (iso, bulk streams):
    /// kept as raw type header and data so they can be logged or rejected.
    Other {
        ty: u32,
        header: Vec<u8>,
        data: Vec<u8>,
    },
}

impl Packet {
    pub fn ty(&self) -> u32 {
        match self {
            Packet::Hello { .. } => ty::HELLO,
            Packet::DeviceConnect(_) => ty::DEVICE_CONNECT,
            Packet::DeviceDisconnect => ty::DEVICE_DISCONNECT,
            Packet::Reset => ty::RESET,
            Packet::InterfaceInfo(_) => ty::INTERFACE_INFO,
            Packet::EpInfo(_) => ty::EP_INFO,
            Packet::SetConfiguration { .. } => ty::SET_CONFIGURATION,
            Packet::GetConfiguration => ty::GET_CONFIGURATION,
            Packet::ConfigurationStatus { .. } => ty::CONFIGURATION_STATUS,
            Packet::SetAltSetting { .. } => ty::SET_ALT_SETTING,
            Packet::GetAltSetting { .. } => ty::GET_ALT_SETTING,
            Packet::AltSettingStatus { .. } => ty::ALT_SETTING_STATUS,
            Packet::StartInterruptReceiving { .. } => ty::START_INTERRUPT_RECEIVING,
            Packet::StopInterruptReceiving { .. } => ty::STOP_INTERRUPT_RECEIVING,
            Packet::InterruptReceivingStatus { .. } => ty::INTERRUPT_RECEIVING_STATUS,
            Packet::CancelDataPacket => ty::CANCEL_DATA_PACKET,
            Packet::FilterReject => ty::FILTER_REJECT,
            Packet::FilterFilter(_) => ty::FILTER_FILTER,
            Packet::DeviceDisconnectAck => ty::DEVICE_DISCONNECT_ACK,
            Packet::StartBulkReceiving { .. } => ty::START_BULK_RECEIVING,
            Packet::StopBulkReceiving { .. } => ty::STOP_BULK_RECEIVING,
            Packet::BulkReceivingStatus { .. } => ty::BULK_RECEIVING_STATUS,
            Packet::Control(_) => ty::CONTROL_PACKET,
            Packet::Bulk { .. } => ty::BULK_PACKET,
            Packet::Interrupt { .. } => ty::INTERRUPT_PACKET,
            Packet::BufferedBulk { .. } => ty::BUFFERED_BULK_PACKET,
            Packet::Other { ty, .. } => *ty,
        }
    }
}

/// A packet with the id from its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub id: u64,
    pub packet: Packet,
}

/// The result of one decode attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Not a whole packet yet; at least this many bytes in total are needed.
    Incomplete { needed: usize },
    /// A packet, and how many input bytes it took.
    Frame(Frame, usize),
}

/// Negotiation state shared by both directions of one connection: which caps we
/// announced, which the peer did (once its hello is in), hence header sizes.
#[derive(Clone, Debug)]
pub struct Codec {
    ours: Caps,
    peer: Option<Caps>,
}

/// A bounds-checked little-endian reader: every read checks what is left.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.buf.split_first()?;
        self.buf = rest;
        Some(b)
    }
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Some(a)
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.bytes(2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }
}

/// Lengths are checked against the type header size before a [`Reader`] is made,
/// so a short read here means our own table is wrong: still an error, not a panic.
const SHORT: WireError = WireError::BadField("type header shorter than its fields");

impl Codec {
    pub fn new(ours: Caps) -> Self {
        Codec { ours, peer: None }
    }

    pub fn our_caps(&self) -> Caps {
        self.ours
    }

    pub fn peer_caps(&self) -> Option<Caps> {
        self.peer
    }

    /// Whether both sides announced `cap` (false before the peer's hello).
    pub fn both(&self, cap: u32) -> bool {
        self.ours.has(cap) && self.peer.is_some_and(|p| p.has(cap))
    }

    /// Records the peer's hello; later packets use the negotiated layout.
    pub fn set_peer_caps(&mut self, caps: Caps) {
        self.peer = Some(caps);
    }

    fn header_len(&self, ty: u32) -> usize {
        if ty != ty::HELLO && self.both(cap::IDS_64BIT) {
            16
        } else {
            12
        }
    }

    /// Size of a type's own header, and whether a data payload may follow it.
    pub fn type_header_len(&self, t: u32) -> Result<(usize, bool), WireError> {
        Ok(match t {
            ty::HELLO => (64, true),
            ty::DEVICE_CONNECT => (if self.both(cap::CONNECT_DEVICE_VERSION) { 10 } else { 8 }, false),
            ty::DEVICE_DISCONNECT | ty::RESET | ty::GET_CONFIGURATION => (0, false),
            ty::INTERFACE_INFO => (4 + 4 * 32, false),
            ty::EP_INFO => {
                let n = if self.both(cap::BULK_STREAMS) {
                    32 * (1 + 1 + 1 + 2 + 4)
                } else if self.both(cap::EP_INFO_MAX_PACKET_SIZE) {
                    32 * (1 + 1 + 1 + 2)
                } else {
                    32 * 3
                };
                (n, false)
            }
            ty::SET_CONFIGURATION => (1, false),
            ty::CONFIGURATION_STATUS => (2, false),
            ty::SET_ALT_SETTING => (2, false),
            ty::GET_ALT_SETTING => (1, false),
            ty::ALT_SETTING_STATUS => (3, false),
            ty::START_ISO_STREAM => (3, false),
            ty::STOP_ISO_STREAM => (1, false),
            ty::ISO_STREAM_STATUS => (2, false),
            ty::START_INTERRUPT_RECEIVING | ty::STOP_INTERRUPT_RECEIVING => (1, false),
            ty::INTERRUPT_RECEIVING_STATUS => (2, false),
            ty::ALLOC_BULK_STREAMS => (8, false),
            ty::FREE_BULK_STREAMS => (4, false),
            ty::BULK_STREAMS_STATUS => (9, false),
            ty::CANCEL_DATA_PACKET | ty::FILTER_REJECT | ty::DEVICE_DISCONNECT_ACK => (0, false),
            ty::FILTER_FILTER => (0, true),
            ty::START_BULK_RECEIVING => (10, false),
            ty::STOP_BULK_RECEIVING => (5, false),
            ty::BULK_RECEIVING_STATUS => (6, false),
            ty::CONTROL_PACKET => (10, true),
            ty::BULK_PACKET => (if self.both(cap::BULK_LENGTH_32BIT) { 10 } else { 8 }, true),
            ty::ISO_PACKET | ty::INTERRUPT_PACKET => (4, true),
            ty::BUFFERED_BULK_PACKET => (10, true),
            other => return Err(WireError::UnknownType(other)),
        })
    }

    /// Decodes one packet from the front of `input`.
    ///
    /// Does not update negotiation: the caller must hand a decoded hello to
    /// [`Codec::set_peer_caps`] before decoding what follows it, which is why
    /// this yields one packet at a time. Enforces ordering: the first packet
    /// must be a hello and no second hello may follow.
    pub fn decode(&self, input: &[u8]) -> Result<Decoded, WireError> {
        // The type is needed to know the header size (hello is always short).
        let Some(tb) = input.get(0..4) else {
            return Ok(Decoded::Incomplete { needed: 12 });
        };
        let t = u32::from_le_bytes([tb[0], tb[1], tb[2], tb[3]]);
        let hlen = self.header_len(t);
        let Some(hdr) = input.get(..hlen) else {
            return Ok(Decoded::Incomplete { needed: hlen });
        };
        let mut r = Reader { buf: hdr.get(4..).unwrap_or(&[]) };
        let length = r.u32().ok_or(SHORT)?;
        let id = if hlen == 16 { r.u64().ok_or(SHORT)? } else { u64::from(r.u32().ok_or(SHORT)?) };
        if self.peer.is_none() && t != ty::HELLO {
            return Err(WireError::OutOfOrder { ty: t });
        }
        if self.peer.is_some() && t == ty::HELLO {
            return Err(WireError::OutOfOrder { ty: t });
        }
        let (thl, has_data) = self.type_header_len(t)?;
        if length > MAX_PACKET_LEN {
            return Err(WireError::TooLong { ty: t, length });
        }
        let len = length as usize; // <= MAX_PACKET_LEN, fits any usize we build for
        if len < thl || (!has_data && len != thl) {
            return Err(WireError::BadLength { ty: t, length, expected: thl });
        }
        let total = hlen + len;
        let Some(body) = input.get(hlen..total) else {
            return Ok(Decoded::Incomplete { needed: total });
        };
        let (th, data) = body.split_at(thl);
        let packet = self.decode_body(t, th, data)?;
        Ok(Decoded::Frame(Frame { id, packet }, total))
    }

    fn decode_body(&self, t: u32, th: &[u8], data: &[u8]) -> Result<Packet, WireError> {
        let mut r = Reader { buf: th };
        let mismatch = |field: u32| WireError::DataLengthMismatch { ty: t, field, actual: data.len() };
        Ok(match t {
            ty::HELLO => {
                let v = r.bytes(64).ok_or(SHORT)?;
                // At most 63 bytes (the C parser keeps a NUL in the 64th), and
                // ASCII only, one char per byte, so that the string re-encodes to
                // the same bytes (the fuzzer found lossy UTF-8 did not).
                let end = v.iter().take(63).position(|&b| b == 0).unwrap_or(63);
                let version: String = v[..end]
                    .iter()
                    .map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '?' })
                    .collect();
                if data.len() % 4 != 0 {
                    return Err(WireError::BadField("hello capabilities not whole 32-bit words"));
                }
                // Only the first word is defined; later words are ignored, as the C parser does.
                let caps = data.get(0..4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                Packet::Hello { version, caps: Caps(caps) }
            }
            ty::DEVICE_CONNECT => Packet::DeviceConnect(DeviceConnect {
                speed: r.u8().ok_or(SHORT)?,
                class: r.u8().ok_or(SHORT)?,
                subclass: r.u8().ok_or(SHORT)?,
                protocol: r.u8().ok_or(SHORT)?,
                vendor_id: r.u16().ok_or(SHORT)?,
                product_id: r.u16().ok_or(SHORT)?,
                device_version_bcd: r.u16().unwrap_or(0),
            }),
            ty::DEVICE_DISCONNECT => Packet::DeviceDisconnect,
            ty::RESET => Packet::Reset,
            ty::INTERFACE_INFO => {
                let count = r.u32().ok_or(SHORT)?;
                if count > 32 {
                    return Err(WireError::BadField("interface_count above 32"));
                }
                let n = count as usize;
                let num = r.bytes(32).ok_or(SHORT)?;
                let cls = r.bytes(32).ok_or(SHORT)?;
                let sub = r.bytes(32).ok_or(SHORT)?;
                let pro = r.bytes(32).ok_or(SHORT)?;
                let v = (0..n)
                    .map(|i| InterfaceEntry { number: num[i], class: cls[i], subclass: sub[i], protocol: pro[i] })
                    .collect();
                Packet::InterfaceInfo(v)
            }
            ty::EP_INFO => {
                let mut eps = Box::new([EpEntry::default(); 32]);
                let types = r.bytes(32).ok_or(SHORT)?;
                let ints = r.bytes(32).ok_or(SHORT)?;
                let ifs = r.bytes(32).ok_or(SHORT)?;
                for (i, e) in eps.iter_mut().enumerate() {
                    e.xfer_type = types[i];
                    e.interval = ints[i];
                    e.interface = ifs[i];
                }
                if th.len() >= 160 {
                    for e in eps.iter_mut() {
                        e.max_packet_size = r.u16().ok_or(SHORT)?;
                    }
                }
                if th.len() >= 288 {
                    for e in eps.iter_mut() {
                        e.max_streams = r.u32().ok_or(SHORT)?;
                    }
                }
                Packet::EpInfo(eps)
            }
            ty::SET_CONFIGURATION => Packet::SetConfiguration { configuration: r.u8().ok_or(SHORT)? },
            ty::GET_CONFIGURATION => Packet::GetConfiguration,
            ty::CONFIGURATION_STATUS => {
                Packet::ConfigurationStatus { status: r.u8().ok_or(SHORT)?, configuration: r.u8().ok_or(SHORT)? }
            }
            ty::SET_ALT_SETTING => Packet::SetAltSetting { interface: r.u8().ok_or(SHORT)?, alt: r.u8().ok_or(SHORT)? },
            ty::GET_ALT_SETTING => Packet::GetAltSetting { interface: r.u8().ok_or(SHORT)? },
            ty::ALT_SETTING_STATUS => Packet::AltSettingStatus {
                status: r.u8().ok_or(SHORT)?,
                interface: r.u8().ok_or(SHORT)?,
                alt: r.u8().ok_or(SHORT)?,
            },
            ty::START_INTERRUPT_RECEIVING => Packet::StartInterruptReceiving { endpoint: r.u8().ok_or(SHORT)? },
            ty::STOP_INTERRUPT_RECEIVING => Packet::StopInterruptReceiving { endpoint: r.u8().ok_or(SHORT)? },
            ty::INTERRUPT_RECEIVING_STATUS => {
                Packet::InterruptReceivingStatus { status: r.u8().ok_or(SHORT)?, endpoint: r.u8().ok_or(SHORT)? }
            }
            ty::CANCEL_DATA_PACKET => Packet::CancelDataPacket,
            ty::FILTER_REJECT => Packet::FilterReject,
            ty::FILTER_FILTER => Packet::FilterFilter(data.to_vec()),
            ty::DEVICE_DISCONNECT_ACK => Packet::DeviceDisconnectAck,
            ty::START_BULK_RECEIVING => Packet::StartBulkReceiving {
                stream_id: r.u32().ok_or(SHORT)?,
                bytes_per_transfer: r.u32().ok_or(SHORT)?,
                endpoint: r.u8().ok_or(SHORT)?,
                no_transfers: r.u8().ok_or(SHORT)?,
            },
            ty::STOP_BULK_RECEIVING => {
                Packet::StopBulkReceiving { stream_id: r.u32().ok_or(SHORT)?, endpoint: r.u8().ok_or(SHORT)? }
            }
            ty::BULK_RECEIVING_STATUS => Packet::BulkReceivingStatus {
                stream_id: r.u32().ok_or(SHORT)?,
                endpoint: r.u8().ok_or(SHORT)?,
                status: r.u8().ok_or(SHORT)?,
            },
            ty::CONTROL_PACKET => {
                let c = ControlPacket {
                    endpoint: r.u8().ok_or(SHORT)?,
                    request: r.u8().ok_or(SHORT)?,
                    requesttype: r.u8().ok_or(SHORT)?,
                    status: r.u8().ok_or(SHORT)?,
                    value: r.u16().ok_or(SHORT)?,
                    index: r.u16().ok_or(SHORT)?,
                    length: r.u16().ok_or(SHORT)?,
                    data: Vec::new(),
                };
                // A request carries no data (IN) or exactly `length` bytes; a reply
                // to an IN request carries the `length` bytes actually read.
                if !data.is_empty() && data.len() != usize::from(c.length) {
                    return Err(mismatch(u32::from(c.length)));
                }
                Packet::Control(ControlPacket { data: data.to_vec(), ..c })
            }
            ty::BULK_PACKET => {
                let endpoint = r.u8().ok_or(SHORT)?;
                let status = r.u8().ok_or(SHORT)?;
                let lo = r.u16().ok_or(SHORT)?;
                let stream_id = r.u32().ok_or(SHORT)?;
                let hi = if th.len() >= 10 { r.u16().ok_or(SHORT)? } else { 0 };
                let length = (u32::from(hi) << 16) | u32::from(lo);
                if !data.is_empty() && data.len() != length as usize {
                    return Err(mismatch(length));
                }
                Packet::Bulk { endpoint, status, length, stream_id, data: data.to_vec() }
            }
            ty::INTERRUPT_PACKET => {
                let endpoint = r.u8().ok_or(SHORT)?;
                let status = r.u8().ok_or(SHORT)?;
                let length = r.u16().ok_or(SHORT)?;
                if !data.is_empty() && data.len() != usize::from(length) {
                    return Err(mismatch(u32::from(length)));
                }
                Packet::Interrupt { endpoint, status, length, data: data.to_vec() }
            }
            ty::BUFFERED_BULK_PACKET => {
                let stream_id = r.u32().ok_or(SHORT)?;
                let length = r.u32().ok_or(SHORT)?;
                let endpoint = r.u8().ok_or(SHORT)?;
                let status = r.u8().ok_or(SHORT)?;
                if data.len() != length as usize {
                    return Err(mismatch(length));
                }
                Packet::BufferedBulk { stream_id, length, endpoint, status, data: data.to_vec() }
            }
            other => Packet::Other { ty: other, header: th.to_vec(), data: data.to_vec() },
        })
    }

    /// Appends the encoding of `packet` with `id` to `out`.
    ///
    /// Uses the negotiated layout, so a hello must be encoded before the peer's
    /// hello is known and everything else after (the guest and host enforce it).
    pub fn encode(&self, id: u64, packet: &Packet, out: &mut Vec<u8>) -> Result<(), WireError> {
        let t = packet.ty();
        let (thl, _) = self.type_header_len(t)?;
        let mut body = Vec::with_capacity(thl + 16);
        match packet {
            Packet::Hello { version, caps } => {
                let mut v = [0u8; 64];
                let n = version.len().min(63);
                v[..n].copy_from_slice(&version.as_bytes()[..n]);
                body.extend_from_slice(&v);
                body.extend_from_slice(&caps.0.to_le_bytes());
            }
            Packet::DeviceConnect(d) => {
                body.extend_from_slice(&[d.speed, d.class, d.subclass, d.protocol]);
                body.extend_from_slice(&d.vendor_id.to_le_bytes());
                body.extend_from_slice(&d.product_id.to_le_bytes());
                if thl == 10 {
                    body.extend_from_slice(&d.device_version_bcd.to_le_bytes());
                }
            }
            Packet::DeviceDisconnect
            | Packet::Reset
            | Packet::GetConfiguration
            | Packet::CancelDataPacket
            | Packet::FilterReject
            | Packet::DeviceDisconnectAck => {}
            Packet::InterfaceInfo(v) => {
                if v.len() > 32 {
                    return Err(WireError::Unencodable("more than 32 interfaces"));
                }
                body.extend_from_slice(&(v.len() as u32).to_le_bytes());
                let mut arrays = [[0u8; 32]; 4];
                for (i, e) in v.iter().enumerate() {
                    arrays[0][i] = e.number;
                    arrays[1][i] = e.class;
                    arrays[2][i] = e.subclass;
                    arrays[3][i] = e.protocol;
                }
                for a in &arrays {
                    body.extend_from_slice(a);
                }
            }
            Packet::EpInfo(eps) => {
                body.extend(eps.iter().map(|e| e.xfer_type));
                body.extend(eps.iter().map(|e| e.interval));
                body.extend(eps.iter().map(|e| e.interface));
                if thl >= 160 {
                    for e in eps.iter() {
                        body.extend_from_slice(&e.max_packet_size.to_le_bytes());
                    }
                }
                if thl >= 288 {
                    for e in eps.iter() {
                        body.extend_from_slice(&e.max_streams.to_le_bytes());
                    }
                }
            }
            Packet::SetConfiguration { configuration } => body.push(*configuration),
            Packet::ConfigurationStatus { status, configuration } => body.extend_from_slice(&[*status, *configuration]),
            Packet::SetAltSetting { interface, alt } => body.extend_from_slice(&[*interface, *alt]),
            Packet::GetAltSetting { interface } => body.push(*interface),
            Packet::AltSettingStatus { status, interface, alt } => body.extend_from_slice(&[*status, *interface, *alt]),
            Packet::StartInterruptReceiving { endpoint } | Packet::StopInterruptReceiving { endpoint } => {
                body.push(*endpoint)
            }
            Packet::InterruptReceivingStatus { status, endpoint } => body.extend_from_slice(&[*status, *endpoint]),
            Packet::FilterFilter(d) => body.extend_from_slice(d),
            Packet::StartBulkReceiving { stream_id, bytes_per_transfer, endpoint, no_transfers } => {
                body.extend_from_slice(&stream_id.to_le_bytes());
                body.extend_from_slice(&bytes_per_transfer.to_le_bytes());
                body.extend_from_slice(&[*endpoint, *no_transfers]);
            }
            Packet::StopBulkReceiving { stream_id, endpoint } => {
                body.extend_from_slice(&stream_id.to_le_bytes());
                body.push(*endpoint);
            }
            Packet::BulkReceivingStatus { stream_id, endpoint, status } => {
                body.extend_from_slice(&stream_id.to_le_bytes());
                body.extend_from_slice(&[*endpoint, *status]);
            }
            Packet::Control(c) => {
                body.extend_from_slice(&[c.endpoint, c.request, c.requesttype, c.status]);
                body.extend_from_slice(&c.value.to_le_bytes());
                body.extend_from_slice(&c.index.to_le_bytes());
                body.extend_from_slice(&c.length.to_le_bytes());
                body.extend_from_slice(&c.data);
            }
            Packet::Bulk { endpoint, status, length, stream_id, data } => {
                if thl < 10 && *length > 0xffff {
                    return Err(WireError::Unencodable("bulk length above 65535 without 32-bit lengths"));
                }
                body.extend_from_slice(&[*endpoint, *status]);
                body.extend_from_slice(&(*length as u16).to_le_bytes());
                body.extend_from_slice(&stream_id.to_le_bytes());
                if thl >= 10 {
                    body.extend_from_slice(&((*length >> 16) as u16).to_le_bytes());
                }
                body.extend_from_slice(data);
            }
            Packet::Interrupt { endpoint, status, length, data } => {
                body.extend_from_slice(&[*endpoint, *status]);
                body.extend_from_slice(&length.to_le_bytes());
                body.extend_from_slice(data);
            }
            Packet::BufferedBulk { stream_id, length, endpoint, status, data } => {
                body.extend_from_slice(&stream_id.to_le_bytes());
                body.extend_from_slice(&length.to_le_bytes());
                body.extend_from_slice(&[*endpoint, *status]);
                body.extend_from_slice(data);
            }
            Packet::Other { header, data, .. } => {
                body.extend_from_slice(header);
                body.extend_from_slice(data);
            }
        }
        if body.len() > MAX_PACKET_LEN as usize {
            return Err(WireError::Unencodable("packet above MAX_PACKET_LEN"));
        }
        let hlen = self.header_len(t);
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        if hlen == 16 {
            out.extend_from_slice(&id.to_le_bytes());
        } else {
            out.extend_from_slice(&(id as u32).to_le_bytes());
        }
        out.extend_from_slice(&body);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_caps() -> Caps {
        (0..8).fold(Caps(0), |c, b| c.with(b)).with(cap::IDS_64BIT)
    }

    fn negotiated(ours: Caps, peer: Caps) -> Codec {
        let mut c = Codec::new(ours);
        c.set_peer_caps(peer);
        c
    }

    #[test]
    fn hello_uses_short_header_and_round_trips() {
        let c = Codec::new(all_caps());
        let mut out = Vec::new();
        let hello = Packet::Hello { version: "x".into(), caps: all_caps() };
        c.encode(7, &hello, &mut out).unwrap();
        assert_eq!(out.len(), 12 + 64 + 4);
        assert_eq!(&out[4..8], &68u32.to_le_bytes());
        match c.decode(&out).unwrap() {
            Decoded::Frame(f, n) => {
                assert_eq!(n, out.len());
                assert_eq!(f, Frame { id: 7, packet: hello });
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hello_version_is_ascii_and_bounded() {
        let c = Codec::new(Caps(0));
        let mut body = vec![0xffu8; 64];
        body[0] = b'v';
        let bytes = raw(ty::HELLO, 64, 0, &body);
        let Decoded::Frame(f, _) = c.decode(&bytes).unwrap() else { panic!() };
        let Packet::Hello { version, .. } = &f.packet else { panic!() };
        assert_eq!(version.len(), 63);
        assert!(version.starts_with("v??"));
        let mut again = Vec::new();
        c.encode(0, &f.packet, &mut again).unwrap();
        assert_eq!(c.decode(&again).unwrap(), Decoded::Frame(f, again.len()));
    }

    #[test]
    fn ids_are_64_bit_only_when_both_sides_agree() {
        let with = negotiated(all_caps(), all_caps());
        let without = negotiated(all_caps(), Caps(0));
        let p = Packet::DeviceDisconnect;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        with.encode(1 << 40, &p, &mut a).unwrap();
        without.encode(5, &p, &mut b).unwrap();
        assert_eq!(a.len(), 16);
        assert_eq!(b.len(), 12);
        assert_eq!(with.decode(&a).unwrap(), Decoded::Frame(Frame { id: 1 << 40, packet: p.clone() }, 16));
    }

    #[test]
    fn every_prefix_is_incomplete_never_an_error() {
        let c = negotiated(all_caps(), all_caps());
        let p = Packet::Control(ControlPacket {
            endpoint: 0x80,
            request: 6,
            requesttype: 0x80,
            status: 0,
            value: 0x100,
            index: 0,
            length: 3,
            data: vec![1, 2, 3],
        });
        let mut out = Vec::new();
        c.encode(9, &p, &mut out).unwrap();
        for n in 0..out.len() {
            assert!(matches!(c.decode(&out[..n]).unwrap(), Decoded::Incomplete { needed } if needed > n));
        }
        assert!(matches!(c.decode(&out).unwrap(), Decoded::Frame(f, _) if f.packet == p));
    }

    #[test]
    fn capability_dependent_layouts() {
        let full = negotiated(all_caps(), all_caps());
        let bare = negotiated(all_caps(), Caps(0));
        assert_eq!(full.type_header_len(ty::DEVICE_CONNECT).unwrap().0, 10);
        assert_eq!(bare.type_header_len(ty::DEVICE_CONNECT).unwrap().0, 8);
        assert_eq!(full.type_header_len(ty::EP_INFO).unwrap().0, 288);
        let mps = Caps(0).with(cap::EP_INFO_MAX_PACKET_SIZE);
        assert_eq!(negotiated(mps, mps).type_header_len(ty::EP_INFO).unwrap().0, 160);
        assert_eq!(bare.type_header_len(ty::EP_INFO).unwrap().0, 96);
        assert_eq!(bare.type_header_len(ty::BULK_PACKET).unwrap().0, 8);
        let mut eps = Box::new([EpEntry::default(); 32]);
        eps[ep_index(0x81)] =
            EpEntry { xfer_type: xfer::INTERRUPT, interval: 4, interface: 1, max_packet_size: 64, max_streams: 0 };
        for c in [&full, &bare] {
            let mut out = Vec::new();
            c.encode(0, &Packet::EpInfo(eps.clone()), &mut out).unwrap();
            let Decoded::Frame(f, _) = c.decode(&out).unwrap() else { panic!() };
            let Packet::EpInfo(got) = f.packet else { panic!() };
            assert_eq!(got[ep_index(0x81)].xfer_type, xfer::INTERRUPT);
            let want_mps = if std::ptr::eq(c, &full) { 64 } else { 0 };
            assert_eq!(got[ep_index(0x81)].max_packet_size, want_mps);
        }
        assert_eq!(ep_address(ep_index(0x83)), 0x83);
        assert_eq!(ep_address(ep_index(0x02)), 0x02);
    }

    fn raw(t: u32, len: u32, id: u32, body: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&t.to_le_bytes());
        v.extend_from_slice(&len.to_le_bytes());
        v.extend_from_slice(&id.to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn malformed_inputs_are_typed_errors() {
        let fresh = Codec::new(all_caps());
        // Anything but a hello first.
        assert_eq!(fresh.decode(&raw(ty::RESET, 0, 0, &[])), Err(WireError::OutOfOrder { ty: ty::RESET }));
        // Oversized length is refused from the header alone, before the body arrives.
        assert!(matches!(fresh.decode(&raw(ty::HELLO, u32::MAX, 0, &[])), Err(WireError::TooLong { .. })));
        // Hello shorter than its version field.
        assert!(matches!(fresh.decode(&raw(ty::HELLO, 10, 0, &[0; 10])), Err(WireError::BadLength { .. })));
        // Caps not a whole word.
        assert!(matches!(fresh.decode(&raw(ty::HELLO, 66, 0, &[0; 66])), Err(WireError::BadField(_))));
        let c = negotiated(Caps(0), Caps(0));
        // Second hello.
        assert!(matches!(c.decode(&raw(ty::HELLO, 64, 0, &[0; 64])), Err(WireError::OutOfOrder { .. })));
        assert_eq!(c.decode(&raw(55, 0, 0, &[])), Err(WireError::UnknownType(55)));
        // Fixed-size packet with extra bytes.
        assert!(matches!(c.decode(&raw(ty::RESET, 1, 0, &[0])), Err(WireError::BadLength { .. })));
        // Interface count above 32.
        let mut ii = vec![0u8; 132];
        ii[0] = 33;
        assert!(matches!(c.decode(&raw(ty::INTERFACE_INFO, 132, 0, &ii)), Err(WireError::BadField(_))));
        // Interrupt packet whose data disagrees with its length field.
        let body = [0x81, 0, 5, 0, 1, 2];
        assert!(matches!(c.decode(&raw(ty::INTERRUPT_PACKET, 6, 0, &body)), Err(WireError::DataLengthMismatch { .. })));
        let body = [0x80, 6, 0x80, 0, 0, 1, 0, 0, 4, 0, 1];
        assert!(matches!(c.decode(&raw(ty::CONTROL_PACKET, 11, 0, &body)), Err(WireError::DataLengthMismatch { .. })));
        let mut bb = vec![0u8; 10];
        bb[4] = 3;
        assert!(matches!(
            c.decode(&raw(ty::BUFFERED_BULK_PACKET, 10, 0, &bb)),
            Err(WireError::DataLengthMismatch { .. })
        ));
    }
}
