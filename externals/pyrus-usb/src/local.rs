//! Devices plugged into this machine, through libusb (`rusb`).
//!
//! Reading uses rusb's synchronous transfers on dedicated threads, one per IN
//! endpoint, each blocking at most [`READ_TIMEOUT`] so it notices `close`.
//! Why not asynchronous transfers: rusb 0.9 has no async API, and the raw
//! libusb one would need `unsafe` FFI this crate otherwise does without. The
//! cost is a wake-up every 50 ms per endpoint while idle, and a narrow window
//! in which a transfer completing exactly as it times out is reported by
//! rusb as a timeout and its bytes lost (libusb's synchronous API has the
//! same property).
//!
//! A separate event thread runs `handle_events` for hotplug (where libusb
//! supports it); `close` interrupts it with `interrupt_handle_events` and
//! joins it. Per libusb's multithreading notes, synchronous transfers on
//! other threads and one thread handling events coexist: libusb's events
//! lock hands completions to whichever thread waits for them.
#![forbid(unsafe_code)]

use crate::descriptors::{CLASS_AUDIO, CLASS_HID, SUBCLASS_MIDISTREAMING};
use crate::event::{Event, Midi};
use crate::hid::{HidDecoder, ReportDescriptor};
use crate::midi::{self, MidiDecoder};
use crate::queue::EventQueue;
use rusb::{Context, DeviceHandle, Direction, Hotplug, HotplugBuilder, TransferType, UsbContext};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long one blocking read may wait before checking for `close`.
pub const READ_TIMEOUT: Duration = Duration::from_millis(50);
const CONTROL_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Debug)]
#[non_exhaustive]
pub enum LocalError {
    Usb(rusb::Error),
    NotFound(String),
    BadSpec(String),
    NoMidiOrHid,
}

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalError::Usb(e) => write!(f, "usb: {e}"),
            LocalError::NotFound(s) => write!(f, "no USB device matches {s}"),
            LocalError::BadSpec(s) => write!(f, "bad device spec {s:?}: use VID:PID (hex), BUS-ADDR or a name"),
            LocalError::NoMidiOrHid => write!(f, "the device has no MIDI or HID interface"),
        }
    }
}

impl std::error::Error for LocalError {}

impl From<rusb::Error> for LocalError {
    fn from(e: rusb::Error) -> Self {
        LocalError::Usb(e)
    }
}

/// A device as `list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub bus: u8,
    pub address: u8,
    pub vendor_id: u16,
    pub product_id: u16,
    pub manufacturer: String,
    pub product: String,
    pub midi: bool,
    pub hid: bool,
}

impl DeviceInfo {
    pub fn name(&self) -> String {
        match (self.manufacturer.is_empty(), self.product.is_empty()) {
            (false, false) => format!("{} {}", self.manufacturer, self.product),
            (true, false) => self.product.clone(),
            (false, true) => self.manufacturer.clone(),
            (true, true) => format!("{:04x}:{:04x}", self.vendor_id, self.product_id),
        }
    }
}

/// `device BUS-ADDR VID:PID KINDS NAME...`, KINDS being `midi`, `hid`, `midi,hid` or `-`.
impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = match (self.midi, self.hid) {
            (true, true) => "midi,hid",
            (true, false) => "midi",
            (false, true) => "hid",
            (false, false) => "-",
        };
        write!(
            f,
            "device {}-{} {:04x}:{:04x} {kinds} {}",
            self.bus,
            self.address,
            self.vendor_id,
            self.product_id,
            self.name()
        )
    }
}

/// Which device to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenSpec {
    VidPid(u16, u16),
    BusAddr(u8, u8),
    /// Case-insensitive substring of "manufacturer product".
    Name(String),
}

impl OpenSpec {
    /// `1209:7079` (hex), `3-5` (decimal bus and address), anything else a name.
    pub fn parse(s: &str) -> Result<Self, LocalError> {
        if let Some((v, p)) = s.split_once(':') {
            let hex = |x: &str| u16::from_str_radix(x.trim_start_matches("0x"), 16).ok();
            return match (hex(v), hex(p)) {
                (Some(v), Some(p)) => Ok(OpenSpec::VidPid(v, p)),
                _ => Err(LocalError::BadSpec(s.into())),
            };
        }
        if let Some((b, a)) = s.split_once('-') {
            if let (Ok(b), Ok(a)) = (b.parse(), a.parse()) {
                return Ok(OpenSpec::BusAddr(b, a));
            }
        }
        if s.trim().is_empty() {
            return Err(LocalError::BadSpec(s.into()));
        }
        Ok(OpenSpec::Name(s.to_lowercase()))
    }

    pub fn matches(&self, d: &DeviceInfo) -> bool {
        match self {
            OpenSpec::VidPid(v, p) => d.vendor_id == *v && d.product_id == *p,
            OpenSpec::BusAddr(b, a) => d.bus == *b && d.address == *a,
            OpenSpec::Name(n) => d.name().to_lowercase().contains(n.as_str()),
        }
    }
}

/// A device as `list` shows it and, when its name strings could not be read
/// (device busy, a request timing out), why: a name then cannot match.
fn info<T: UsbContext>(dev: &rusb::Device<T>) -> Result<(DeviceInfo, Option<rusb::Error>), rusb::Error> {
    let desc = dev.device_descriptor()?;
    let (mut midi, mut hid) = (false, false);
    if let Ok(cfg) = dev.active_config_descriptor().or_else(|_| dev.config_descriptor(0)) {
        for itf in cfg.interfaces() {
            for alt in itf.descriptors() {
                midi |= alt.class_code() == CLASS_AUDIO && alt.sub_class_code() == SUBCLASS_MIDISTREAMING;
                hid |= alt.class_code() == CLASS_HID;
            }
        }
    }
    // Strings need the device opened, which may be refused (permissions): then they stay empty.
    let (mut manufacturer, mut product, mut unreadable) = (String::new(), String::new(), None);
    // InvalidParam: the device has no such string, which is no failure.
    let mut read = |r: Result<String, rusb::Error>| match r {
        Ok(s) => s,
        Err(rusb::Error::InvalidParam) => String::new(),
        Err(e) => {
            unreadable.get_or_insert(e);
            String::new()
        }
    };
    match dev.open() {
        Ok(h) => {
            manufacturer = read(h.read_manufacturer_string_ascii(&desc));
            product = read(h.read_product_string_ascii(&desc));
        }
        Err(e) => unreadable = Some(e),
    }
    let info = DeviceInfo {
        bus: dev.bus_number(),
        address: dev.address(),
        vendor_id: desc.vendor_id(),
        product_id: desc.product_id(),
        manufacturer: manufacturer.trim().to_owned(),
        product: product.trim().to_owned(),
        midi,
        hid,
    };
    Ok((info, unreadable))
}

/// No device matched `spec`; for a name, the devices whose names could not
/// be read are named with why, since one of them may be the one meant.
fn not_found(spec: &OpenSpec, unreadable: &[(DeviceInfo, rusb::Error)]) -> LocalError {
    let mut what = format!("{spec:?}");
    if matches!(spec, OpenSpec::Name(_)) {
        for (d, e) in unreadable {
            what.push_str(&format!(
                " (the name of {}-{} {:04x}:{:04x} is unreadable: {e})",
                d.bus, d.address, d.vendor_id, d.product_id
            ));
        }
    }
    LocalError::NotFound(what)
}

/// Every USB device libusb can see.
///
/// # Threading
/// Any thread; blocks on USB string requests (up to libusb's timeouts).
pub fn list() -> Result<Vec<DeviceInfo>, LocalError> {
    let ctx = Context::new()?;
    Ok(ctx.devices()?.iter().filter_map(|d| info(&d).ok().map(|(i, _)| i)).collect())
}

/// Reports `Disconnected` once per session, whichever thread notices first.
#[derive(Clone)]
struct Gone {
    flag: Arc<AtomicBool>,
    /// Wakes readers waiting in [`Gone::wait`] when `flag` is set.
    departed: Arc<(Mutex<()>, Condvar)>,
    /// Set by a panic on one of the device's threads: the device is finished
    /// for good, `reconnect` or not.
    broken: Arc<AtomicBool>,
    queue: Arc<EventQueue>,
}

impl Gone {
    fn report(&self) {
        if !self.flag.swap(true, Ordering::AcqRel) {
            self.queue.push(Event::Disconnected);
        }
        // Taken after the flag is set: a reader between its check of the
        // flag and its wait holds the lock, so it cannot miss this.
        let _held = self.departed.0.lock().unwrap_or_else(PoisonError::into_inner);
        self.departed.1.notify_all();
    }

    /// Whether the device was reported gone within `timeout`.
    fn wait(&self, timeout: Duration) -> bool {
        let held = self.departed.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.flag.load(Ordering::Acquire) {
            let _ = self.departed.1.wait_timeout(held, timeout).unwrap_or_else(PoisonError::into_inner);
        }
        self.flag.load(Ordering::Acquire)
    }

    /// What a panic on a reader or the event thread does (see
    /// [`crate::thread`]): the error, `disconnected`, and the device finished.
    fn panicked(&self, why: String) {
        self.queue.push(Event::Error(why));
        self.broken.store(true, Ordering::Release);
        self.report();
    }
}

/// One opening of the device: its handle, claimed interfaces and readers.
struct Session {
    handle: Arc<DeviceHandle<Context>>,
    claimed: Vec<u8>,
    midi_out: Option<u8>,
    stop: Arc<AtomicBool>,
    readers: Vec<JoinHandle<()>>,
    info: DeviceInfo,
}

impl Session {
    /// Opens the first device matching `spec`, claims its MIDI and HID
    /// interfaces (detaching kernel drivers where libusb can; it reattaches
    /// them on release), pushes `Connected`, and starts one reader per IN
    /// endpoint.
    fn open(ctx: &Context, spec: &OpenSpec, raw: bool, gone: &Gone) -> Result<Self, LocalError> {
        let queue = &gone.queue;
        let mut unreadable = Vec::new();
        let found = ctx.devices()?.iter().find_map(|d| match info(&d) {
            Ok((i, _)) if spec.matches(&i) => Some((d, i)),
            Ok((i, Some(e))) => {
                unreadable.push((i, e));
                None
            }
            _ => None,
        });
        let (dev, inf) = found.ok_or_else(|| not_found(spec, &unreadable))?;
        let handle = dev.open()?;
        if rusb::supports_detach_kernel_driver() {
            // libusb reattaches the kernel driver itself when we release.
            let _ = handle.set_auto_detach_kernel_driver(true);
        }
        let cfg = dev.active_config_descriptor()?;
        let mut claimed = Vec::new();
        let mut midi_in = Vec::new();
        let mut midi_out = None;
        let mut hid_in: Vec<(u8, u16, HidDecoder)> = Vec::new();
        let mut errors = Vec::new();
        for itf in cfg.interfaces() {
            let Some(alt) = itf.descriptors().find(|a| a.setting_number() == 0) else {
                continue;
            };
            let is_midi = alt.class_code() == CLASS_AUDIO && alt.sub_class_code() == SUBCLASS_MIDISTREAMING;
            let is_hid = alt.class_code() == CLASS_HID;
            if !(is_midi || is_hid) {
                continue;
            }
            let n = alt.interface_number();
            if let Err(e) = handle.claim_interface(n) {
                errors.push(format!("cannot claim interface {n}: {e}"));
                continue;
            }
            claimed.push(n);
            for ep in alt.endpoint_descriptors() {
                let (addr, mps) = (ep.address(), ep.max_packet_size());
                match (is_midi, ep.transfer_type(), ep.direction()) {
                    (true, TransferType::Bulk, Direction::In) => midi_in.push((addr, mps)),
                    (true, TransferType::Bulk, Direction::Out) if midi_out.is_none() => midi_out = Some(addr),
                    (false, TransferType::Interrupt, Direction::In) => {
                        let mut buf = vec![0u8; 4096];
                        let got = handle.read_control(0x81, 6, 0x2200, u16::from(n), &mut buf, CONTROL_TIMEOUT);
                        match got.map_err(|e| e.to_string()).and_then(|len| {
                            ReportDescriptor::parse(buf.get(..len).unwrap_or(&[])).map_err(|e| e.to_string())
                        }) {
                            Ok(rd) => hid_in.push((addr, mps, HidDecoder::new(rd, raw))),
                            Err(e) => errors.push(format!("HID interface {n}: {e}")),
                        }
                    }
                    _ => {}
                }
            }
        }
        if midi_in.is_empty() && hid_in.is_empty() && midi_out.is_none() {
            for n in &claimed {
                let _ = handle.release_interface(*n);
            }
            return Err(LocalError::NoMidiOrHid);
        }
        gone.flag.store(false, Ordering::Release);
        queue.push(Event::Connected { vid: inf.vendor_id, pid: inf.product_id, name: inf.name() });
        for e in errors {
            queue.push(Event::Error(e));
        }

        let mut session = Session {
            handle: Arc::new(handle),
            claimed,
            midi_out,
            stop: Arc::new(AtomicBool::new(false)),
            readers: Vec::new(),
            info: inf,
        };
        for (ep, mps) in midi_in {
            let mut dec = MidiDecoder::new(midi::DEFAULT_MAX_SYSEX, raw);
            session.spawn_reader("pyrus-usb-midi-in", ep, usize::from(mps).max(64), true, gone, move |d, q| {
                dec.decode(d, &mut |e| {
                    q.push(e);
                })
            });
        }
        for (ep, mps, mut dec) in hid_in {
            session.spawn_reader("pyrus-usb-hid-in", ep, usize::from(mps).max(8), false, gone, move |d, q| {
                dec.report(d, &mut |e| {
                    q.push(e);
                })
            });
        }
        Ok(session)
    }

    fn spawn_reader(
        &mut self,
        name: &str,
        ep: u8,
        len: usize,
        bulk: bool,
        gone: &Gone,
        decode: impl FnMut(&[u8], &EventQueue) + Send + 'static,
    ) {
        let (h, s, g) = (self.handle.clone(), self.stop.clone(), gone.clone());
        let on_panic = {
            let g = gone.clone();
            move |why| g.panicked(why)
        };
        let spawned =
            crate::thread::spawn(name, on_panic, move || read_loop(&h, &s, &g, &g.queue, ep, len, bulk, decode));
        match spawned {
            Ok(t) => self.readers.push(t),
            Err(e) => {
                gone.queue.push(Event::Error(format!("cannot start a reader for endpoint {ep:#x}: {e}")));
            }
        }
    }

    fn close(mut self) {
        self.stop.store(true, Ordering::Release);
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        for n in self.claimed.drain(..) {
            let _ = self.handle.release_interface(n);
        }
    }
}

type SessionSlot = Arc<Mutex<Option<Session>>>;

fn lock_session(s: &SessionSlot) -> MutexGuard<'_, Option<Session>> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Hotplug events for our vendor/product id: departures of the open device
/// end its session; arrivals are noted for the event thread to re-open.
struct Watcher {
    /// `bus << 8 | address` of the open device.
    current: Arc<AtomicU16>,
    arrived: Arc<AtomicBool>,
    gone: Gone,
}

impl Hotplug<Context> for Watcher {
    fn device_arrived(&mut self, _device: rusb::Device<Context>) {
        // No I/O here: libusb forbids synchronous transfers in this callback.
        self.arrived.store(true, Ordering::Release);
    }
    fn device_left(&mut self, device: rusb::Device<Context>) {
        let id = u16::from(device.bus_number()) << 8 | u16::from(device.address());
        if id == self.current.load(Ordering::Acquire) {
            self.gone.report();
        }
    }
}

/// An open local device with its reader threads.
///
/// With `reconnect`, a device unplugged and plugged in again (same vendor
/// and product id) is re-opened by the event thread: `disconnected`, then
/// `connected` again, and [`is_finished`](Self::is_finished) stays false.
/// This needs libusb hotplug (Linux, macOS); elsewhere `reconnect` does
/// nothing.
///
/// # Threading
/// `Send + Sync`: [`send_midi`](Self::send_midi) from any thread;
/// [`close`](Self::close) (or drop) from one; it joins every thread.
pub struct LocalDevice {
    ctx: Context,
    session: SessionSlot,
    stop: Arc<AtomicBool>,
    gone: Gone,
    reconnect: bool,
    events: Option<JoinHandle<()>>,
    _hotplug: Option<rusb::Registration<Context>>,
}

impl LocalDevice {
    /// Opens the first device matching `spec`, claims its MIDI and HID
    /// interfaces (detaching kernel drivers where libusb can; it reattaches
    /// them on release), pushes `Connected`, and starts one reader per IN
    /// endpoint. Equivalent to `open_with(spec, raw, false, queue)`.
    pub fn open(spec: &OpenSpec, raw: bool, queue: Arc<EventQueue>) -> Result<Self, LocalError> {
        Self::open_with(spec, raw, false, queue)
    }

    /// Opens the first device matching `spec`, re-opening it after a
    /// re-plug when `reconnect` is set.
    pub fn open_with(spec: &OpenSpec, raw: bool, reconnect: bool, queue: Arc<EventQueue>) -> Result<Self, LocalError> {
        let ctx = Context::new()?;
        let gone = Gone { flag: Arc::default(), departed: Arc::default(), broken: Arc::default(), queue };
        let session = Session::open(&ctx, spec, raw, &gone)?;
        let inf = session.info.clone();
        let current = Arc::new(AtomicU16::new(u16::from(inf.bus) << 8 | u16::from(inf.address)));
        let session: SessionSlot = Arc::new(Mutex::new(Some(session)));
        let stop = Arc::new(AtomicBool::new(false));
        let arrived = Arc::new(AtomicBool::new(false));

        let mut hotplug = None;
        let mut events = None;
        if rusb::has_hotplug() {
            let watcher = Watcher { current: current.clone(), arrived: arrived.clone(), gone: gone.clone() };
            let reg = HotplugBuilder::new()
                .vendor_id(inf.vendor_id)
                .product_id(inf.product_id)
                .register(&ctx, Box::new(watcher));
            if let Ok(reg) = reg {
                hotplug = Some(reg);
                // After a re-plug the bus address differs: re-open by ids.
                let respec = OpenSpec::VidPid(inf.vendor_id, inf.product_id);
                let (c, s, sl, g) = (ctx.clone(), stop.clone(), session.clone(), gone.clone());
                let on_panic = {
                    let g = gone.clone();
                    move |why| g.panicked(why)
                };
                events = crate::thread::spawn("pyrus-usb-events", on_panic, move || {
                    let q = &g.queue;
                    while !s.load(Ordering::Acquire) {
                        // Interrupted by close(); the timeout is only a safety net.
                        if c.handle_events(Some(Duration::from_millis(500))).is_err() {
                            thread::sleep(Duration::from_millis(10));
                        }
                        if reconnect && g.flag.load(Ordering::Acquire) && arrived.swap(false, Ordering::AcqRel) {
                            // Outside the hotplug callback, so synchronous I/O is allowed.
                            let mut slot = lock_session(&sl);
                            if let Some(old) = slot.take() {
                                old.close();
                            }
                            match Session::open(&c, &respec, raw, &g) {
                                Ok(new) => {
                                    current.store(
                                        u16::from(new.info.bus) << 8 | u16::from(new.info.address),
                                        Ordering::Release,
                                    );
                                    *slot = Some(new);
                                }
                                Err(e) => {
                                    q.push(Event::Error(format!("re-opening after re-plug: {e}")));
                                }
                            }
                        }
                    }
                })
                .ok();
            }
        }
        Ok(LocalDevice { ctx, session, stop, gone, reconnect, events, _hotplug: hotplug })
    }

    /// Sends one MIDI message to the device's MIDI OUT endpoint.
    ///
    /// # Threading
    /// Any thread, concurrently; blocks up to 100 ms in the USB write (and
    /// behind a re-open in progress).
    pub fn send_midi(&self, cable: u8, msg: &Midi) -> Result<(), LocalError> {
        let slot = lock_session(&self.session);
        let s = slot.as_ref().ok_or(LocalError::NoMidiOrHid)?;
        let ep = s.midi_out.ok_or(LocalError::NoMidiOrHid)?;
        let mut packets = Vec::new();
        midi::encode(cable, msg, &mut packets);
        s.handle.write_bulk(ep, &packets.concat(), Duration::from_millis(100))?;
        Ok(())
    }

    /// Whether the device went away (unplugged or failing) for good: never
    /// while `reconnect` waits for it to come back.
    pub fn is_finished(&self) -> bool {
        self.gone.broken.load(Ordering::Acquire) || !self.reconnect && self.gone.flag.load(Ordering::Acquire)
    }

    /// Stops and joins every thread, releases the interfaces (libusb
    /// reattaches kernel drivers it detached). Idempotent.
    pub fn close(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.ctx.interrupt_handle_events();
        if let Some(e) = self.events.take() {
            let _ = e.join();
        }
        if let Some(s) = lock_session(&self.session).take() {
            s.close();
        }
    }
}

impl Drop for LocalDevice {
    fn drop(&mut self) {
        self.close();
    }
}

#[allow(clippy::too_many_arguments)]
fn read_loop(
    h: &DeviceHandle<Context>,
    stop: &AtomicBool,
    gone: &Gone,
    q: &EventQueue,
    ep: u8,
    len: usize,
    bulk: bool,
    mut decode: impl FnMut(&[u8], &EventQueue),
) {
    let mut buf = vec![0u8; len];
    let mut failures = 0u32;
    while !stop.load(Ordering::Acquire) {
        let r =
            if bulk { h.read_bulk(ep, &mut buf, READ_TIMEOUT) } else { h.read_interrupt(ep, &mut buf, READ_TIMEOUT) };
        match r {
            Ok(n) => {
                failures = 0;
                decode(buf.get(..n).unwrap_or(&[]), q);
            }
            Err(rusb::Error::Timeout) | Err(rusb::Error::Interrupted) => {}
            Err(rusb::Error::NoDevice) => {
                gone.report();
                return;
            }
            Err(e) => match presence(h, stop, gone) {
                Presence::Here => {
                    q.push(Event::Error(format!("endpoint {ep:#x}: {e}")));
                    failures += 1;
                    if failures >= 10 {
                        gone.report();
                        return;
                    }
                }
                Presence::Gone => {
                    gone.report();
                    return;
                }
                Presence::Leaving => return,
            },
        }
    }
}

/// What a failed read says about the device: still here (the error is its
/// endpoint's), gone (usbfs says so), or leaving (hotplug or `close` said so
/// first).
enum Presence {
    Here,
    Gone,
    Leaving,
}

/// How long a device whose read failed may take to be reported gone before
/// the error counts as its endpoint's: far beyond an unplug's (milliseconds).
const DEPARTURE: Duration = Duration::from_secs(2);

/// Asks the device itself, after a read failed. An unplug shows up as I/O
/// errors a moment before the kernel (usbfs: `NoDevice`) or hotplug reports
/// the departure, and while a gadget is being taken apart its control
/// endpoint may still answer: so the reader waits for the departure (woken
/// at once by hotplug's report, asking usbfs again every [`READ_TIMEOUT`])
/// and counts the error as the endpoint's only when, after [`DEPARTURE`],
/// the device is still there.
fn presence(h: &DeviceHandle<Context>, stop: &AtomicBool, gone: &Gone) -> Presence {
    // GET_STATUS of the device (USB 2.0, 9.4.5): IN, standard, to the device.
    const GET_STATUS: u8 = 0;
    let deadline = std::time::Instant::now() + DEPARTURE;
    loop {
        if gone.flag.load(Ordering::Acquire) || stop.load(Ordering::Acquire) {
            return Presence::Leaving;
        }
        let mut status = [0u8; 2];
        if let Err(rusb::Error::NoDevice) = h.read_control(0x80, GET_STATUS, 0, 0, &mut status, READ_TIMEOUT) {
            return Presence::Gone;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Presence::Here;
        }
        if gone.wait(left.min(READ_TIMEOUT)) {
            return Presence::Leaving;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_specs_parse() {
        assert_eq!(OpenSpec::parse("1209:7079").unwrap(), OpenSpec::VidPid(0x1209, 0x7079));
        assert_eq!(OpenSpec::parse("0x1209:0x7079").unwrap(), OpenSpec::VidPid(0x1209, 0x7079));
        assert_eq!(OpenSpec::parse("3-12").unwrap(), OpenSpec::BusAddr(3, 12));
        assert_eq!(OpenSpec::parse("Launch-Key").unwrap(), OpenSpec::Name("launch-key".into()));
        assert!(OpenSpec::parse("zz:1").is_err());
        assert!(OpenSpec::parse(" ").is_err());
        let d = DeviceInfo {
            bus: 3,
            address: 12,
            vendor_id: 0x1209,
            product_id: 0x7079,
            manufacturer: "pyrus".into(),
            product: "Virtual MIDI".into(),
            midi: true,
            hid: false,
        };
        assert!(OpenSpec::parse("virtual").unwrap().matches(&d));
        assert!(OpenSpec::parse("3-12").unwrap().matches(&d));
        assert!(!OpenSpec::parse("3-13").unwrap().matches(&d));
        assert_eq!(d.to_string(), "device 3-12 1209:7079 midi pyrus Virtual MIDI");
        // A name that may be on a device whose strings could not be read says so.
        let nameless = DeviceInfo { manufacturer: String::new(), product: String::new(), ..d };
        let unreadable = [(nameless, rusb::Error::Timeout)];
        assert_eq!(
            not_found(&OpenSpec::parse("QEMU MIDI").unwrap(), &unreadable).to_string(),
            "no USB device matches Name(\"qemu midi\") (the name of 3-12 1209:7079 is unreadable: Operation timed out)"
        );
        let by_ids = OpenSpec::VidPid(0x1209, 0x7078);
        assert_eq!(not_found(&by_ids, &unreadable).to_string(), "no USB device matches VidPid(4617, 28792)");
    }

    #[test]
    fn listing_without_devices_or_permissions_does_not_panic() {
        // In a container libusb may find no bus at all: an error, not a panic.
        match list() {
            Ok(devs) => devs.iter().for_each(|d| assert!(!d.to_string().is_empty())),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        let q = Arc::new(EventQueue::new(4, None));
        let r = LocalDevice::open(&OpenSpec::VidPid(0xffff, 0xfffe), false, q.clone());
        assert!(r.is_err());
        assert!(q.is_empty());
    }
}
