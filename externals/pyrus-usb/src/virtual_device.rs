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
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

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

/// How [`VirtualDevice::serve`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// `play` returned [`ControlFlow::Break`].
    Stopped,
    /// The guest closed (or reset) the connection.
    PeerClosed,
}

/// What [`VirtualDevice::serve`]'s `play` closure gets: the device, and a
/// way to put what it transmits on the wire at a moment of its choosing.
pub struct Link<'a> {
    pub device: &'a mut VirtualDevice,
    stream: &'a mut TcpStream,
}

impl Link<'_> {
    /// Writes everything the device has to transmit, now (blocking while the
    /// socket's buffer is full). `serve` also does it after every `play`.
    pub fn flush(&mut self) -> io::Result<()> {
        let out = self.device.take_transmit();
        if out.is_empty() {
            return Ok(());
        }
        self.stream.write_all(&out)
    }
}

/// How often the reader of [`VirtualDevice::serve`] checks whether to end.
const SERVE_READ_TIMEOUT: Duration = Duration::from_millis(20);
/// Reads (up to 64 KiB each) the reader of [`VirtualDevice::serve`] queues
/// for the serving loop; when they are all waiting it stops reading, and TCP
/// holds the guest back, as a real device's host side would.
const READS: usize = 64;

impl VirtualDevice {
    /// Serves this device to the usbredir guest at the other end of
    /// `stream`, on the calling thread, until `play` says stop or the guest
    /// closes the connection: the loop every test and bench peer needs.
    ///
    /// Each pass writes what the device transmits, hands it what the guest
    /// sent (answering enumeration, starting the inputs, bulk requests,
    /// MIDI OUT into [`received_midi`](Self::received_midi)), then calls
    /// `play` with a [`Link`]. `play` plays what it wants
    /// ([`play`](Self::play), [`hid`](Self::hid), [`disconnect`](Self::disconnect)...;
    /// check [`streaming`](Self::streaming) first: MIDI played before that
    /// waits in the device, HID reports are dropped), may [`Link::flush`] to
    /// time its writes, and returns `Continue(wait)`: call me again after
    /// `wait`, or as soon as the guest sends something, whichever comes
    /// first; or `Break(())` to end. `play` runs once before the first input
    /// too, so it can keep its own deadline.
    ///
    /// The waits are precise (a channel's timed receive, not a socket
    /// timeout): a separate thread reads the socket (at most `READS` reads
    /// ahead of the loop; a panic there is an error of `serve`) and is joined before
    /// this returns, within 20 ms: the read timeout it leaves set on
    /// `stream`. What the device transmits in the last
    /// `play` is written before returning; the socket stays open (e.g. to
    /// [`disconnect`](Self::disconnect) and write that afterwards).
    ///
    /// # Errors
    /// Socket errors other than the peer going away, and guest bytes that
    /// are not usbredir (`InvalidData`).
    ///
    /// # Threading
    /// Blocks the calling thread; starts and joins one reader thread.
    pub fn serve(
        &mut self,
        stream: &mut TcpStream,
        mut play: impl FnMut(&mut Link<'_>) -> ControlFlow<(), Duration>,
    ) -> io::Result<Served> {
        stream.set_read_timeout(Some(SERVE_READ_TIMEOUT))?;
        let mut reader = stream.try_clone()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(READS);
        let reading = {
            let stop = stop.clone();
            let report = tx.clone();
            // A panic reading is an error of `serve`, as a socket error is.
            let on_panic = move |why: String| {
                let _ = report.send(Err(io::Error::other(why)));
            };
            crate::thread::spawn("pyrus-usb-vdev-rx", on_panic, move || {
                let mut chunk = vec![0u8; 64 * 1024];
                while !stop.load(Ordering::Acquire) {
                    let r = match reader.read(&mut chunk) {
                        Ok(n) => Ok(chunk[..n].to_vec()),
                        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => Err(e),
                    };
                    let end = !matches!(&r, Ok(b) if !b.is_empty());
                    if tx.send(r).is_err() || end {
                        break;
                    }
                }
            })?
        };
        let result = self.serve_loop(stream, &rx, &mut play);
        stop.store(true, Ordering::Release);
        drop(rx);
        let _ = reading.join();
        result
    }

    fn serve_loop(
        &mut self,
        stream: &mut TcpStream,
        rx: &mpsc::Receiver<io::Result<Vec<u8>>>,
        play: &mut impl FnMut(&mut Link<'_>) -> ControlFlow<(), Duration>,
    ) -> io::Result<Served> {
        let gone = |e: &io::Error| {
            matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
            )
        };
        let mut buf = Vec::new();
        let mut wait = Duration::ZERO;
        loop {
            // Input first (all of it that is there), then play.
            let mut next = match rx.recv_timeout(wait) {
                Ok(r) => Some(r),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(Served::PeerClosed),
            };
            while let Some(r) = next {
                match r {
                    Ok(bytes) if bytes.is_empty() => return Ok(Served::PeerClosed),
                    Ok(bytes) => buf.extend_from_slice(&bytes),
                    Err(e) if gone(&e) => return Ok(Served::PeerClosed),
                    Err(e) => return Err(e),
                }
                next = rx.try_recv().ok();
            }
            let used =
                self.handle_input(&buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            buf.drain(..used);
            let mut link = Link { device: self, stream };
            let step = link.flush().and_then(|()| {
                let step = play(&mut link);
                link.flush().map(|()| step)
            });
            match step {
                Ok(ControlFlow::Continue(w)) => wait = w,
                Ok(ControlFlow::Break(())) => return Ok(Served::Stopped),
                Err(e) if gone(&e) => return Ok(Served::PeerClosed),
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::RedirConnection;
    use crate::usbredir::guest::GuestConfig;
    use crate::{Event, EventQueue};
    use std::net::TcpListener;
    use std::time::Instant;

    #[test]
    fn serve_enumerates_plays_and_stops() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
            let (start, mut played) = (Instant::now(), 0u8);
            let served = dev.serve(&mut s, |link| {
                if start.elapsed() > Duration::from_secs(10) || played == 3 {
                    return ControlFlow::Break(());
                }
                if link.device.streaming() {
                    link.device.play(0, &Midi::Note { ch: 1, pitch: 60 + played, vel: 1 }).unwrap();
                    played += 1;
                }
                ControlFlow::Continue(Duration::from_millis(1))
            });
            dev.disconnect().unwrap();
            s.write_all(&dev.take_transmit()).unwrap();
            (served.unwrap(), played)
        });
        let q = Arc::new(EventQueue::new(64, None));
        let mut conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
        let (served, played) = peer.join().unwrap();
        assert_eq!((served, played), (Served::Stopped, 3));
        let (mut pitches, start) = (Vec::new(), Instant::now());
        while start.elapsed() < Duration::from_secs(5) {
            match q.pop() {
                Some(Event::Midi { msg: Midi::Note { pitch, .. }, .. }) => pitches.push(pitch),
                Some(Event::Disconnected) => break,
                _ => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        assert_eq!(pitches, [60, 61, 62]);
        conn.shutdown();
    }

    /// While the serving loop is busy (held here), its reader queues at most
    /// `READS` reads and then stops reading: TCP holds the guest back until
    /// its own writer is full and `send_midi` says busy. Released, the device
    /// gets every message the guest took, in order.
    #[test]
    fn a_busy_device_holds_the_guest_back_and_loses_nothing() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (release, held) = mpsc::channel::<usize>();
        let peer = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
            let start = Instant::now();
            let mut want = None;
            dev.serve(&mut s, |link| {
                if link.device.streaming() && want.is_none() {
                    // Busy until the guest has been refused: how many bytes it sent by then.
                    want = Some(held.recv().unwrap());
                }
                let got = link.device.received_midi.len();
                if want.is_some_and(|w| got >= w) || start.elapsed() > Duration::from_secs(60) {
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(Duration::from_millis(5))
            })
            .unwrap();
            dev.received_midi
        });
        let q = Arc::new(EventQueue::new(64, None));
        let mut conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
        let start = Instant::now();
        while !matches!(q.pop(), Some(Event::Connected { .. })) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        // 1000 data bytes each, about 1.4 kB on the wire. How many the
        // sockets hold depends on the machine's buffer limits: up to 500,000
        // (700 MB), beyond any socket's buffers, until refused a second long.
        let sysex = |i: usize| Midi::SysEx([vec![0xf0], vec![(i % 128) as u8; 1000], vec![0xf7]].concat());
        // As the engine's device thread does: on busy, wait a little and try
        // again. A device that reads on keeps taking messages; a held one
        // refuses them until it is released (a second of refusals here).
        let (mut sent, mut refusals, mut i) = (Vec::new(), 0, 0);
        while refusals < 1000 && i < 500_000 {
            match conn.send_midi(0, &sysex(i)) {
                Ok(()) => {
                    let mut packets = Vec::new();
                    midi::encode(0, &sysex(i), &mut packets);
                    sent.extend(packets.concat());
                    (refusals, i) = (0, i + 1);
                }
                Err(e) => {
                    assert_eq!(e, crate::usbredir::guest::GuestError::Busy(crate::net::FRAMES));
                    refusals += 1;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        assert_eq!(refusals, 1000, "a held device took 500,000 messages: its reader does not hold back");
        release.send(sent.len()).unwrap();
        let received = peer.join().unwrap();
        assert!(received == sent, "{} bytes received of {} sent", received.len(), sent.len());
        conn.shutdown();
    }
}
