//! `[pyrus.usb]` as the engine sees it: a USB MIDI or HID device (local, or
//! redirected with usbredir, or the built-in virtual device) whose events
//! leave the object's outlets on the scheduler thread, in order.
//!
//! Everything that can block (opening a device, a TCP connect, a USB write,
//! closing and joining a device's threads) happens on the object's own
//! device thread (`pyrus-usb-device`), fed by a channel: the scheduler thread
//! only sends it commands. The device's events travel the device engine's
//! bounded lock-free [`EventQueue`] (full: counted, reported as `dropped N`),
//! whose wake-up asks the host for a service; [`crate::service`] drains it,
//! at most a budget per pass.
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
//! ends when the object is dropped (its command channel closes) and is
//! joined at [`crate::shut_down`], which also ends the threads of live
//! objects. A drop never waits for it.

use crate::host::Host;
use crate::marshal::{self, Delivery, ObjectId};
use crate::service::{self, Recipient};
use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use pyrus_atoms::{Atom, Message};
use pyrus_usb::device::{Device, Options, Target};
use pyrus_usb::local;
use pyrus_usb::{Event, EventQueue, Midi};
use std::borrow::Cow;
use std::cell::Cell;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Events a device may queue before new ones are dropped and counted.
pub const QUEUE: usize = 1 << 16;
/// Events carried out per service: a flood waits for the next tick.
pub const BUDGET: usize = 4096;
/// How often a device that is gone is tried again, with reconnect.
const RETRY: Duration = Duration::from_secs(1);
const DATA: usize = 0;
const STATUS: usize = 1;

enum Command {
    Open(Target),
    Close,
    Send(u8, Midi),
    List,
    Options(Options),
}

/// A `[pyrus.usb]` object.
pub struct UsbObject {
    inner: Rc<UsbInner>,
}

struct UsbInner {
    id: ObjectId,
    host: Rc<dyn Host>,
    queue: Arc<EventQueue>,
    commands: Sender<Command>,
    raw: Cell<bool>,
    reconnect: Cell<bool>,
}

/// Every device thread, joined at exit.
static FINISHING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
/// Set at exit: device threads close their devices and end.
static CLOSING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl UsbObject {
    /// Makes the object and its (idle) device thread. Flags: `-raw`, `-reconnect`.
    pub fn new(host: Rc<dyn Host>, args: &[Atom<'_>]) -> UsbObject {
        let id = service::next_id();
        let queue = Arc::new(EventQueue::new(QUEUE, Some(Box::new(marshal::wake))));
        let (commands, rx) = unbounded();
        let thread_queue = queue.clone();
        let thread = std::thread::Builder::new()
            .name("pyrus-usb-device".into())
            .spawn(move || device_thread(id, rx, thread_queue))
            .expect("the OS can start a thread");
        lock(&FINISHING).push(thread);
        let inner = Rc::new(UsbInner { id, host, queue, commands, raw: Cell::new(false), reconnect: Cell::new(false) });
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
        let target = match (message.selector(), words.as_slice()) {
            ("open", [vid, pid]) if args.iter().all(|a| a.as_float().is_some()) => {
                // `open 4617 28793`: decimal ids, as Pd users type them.
                Some(Target::parse(&["open", &format!("{:04x}:{:04x}", num(vid), num(pid))]))
            }
            ("open", [spec]) => Some(Target::parse(&["open", spec])),
            ("open", words) if !words.is_empty() => Some(Target::parse(&["open", &words.join(" ")])),
            ("connect", [host, port]) => Some(Ok(Target::Connect(format!("{host}:{port}")))),
            ("listen", [port]) => Some(Ok(Target::Listen(format!("127.0.0.1:{port}")))),
            ("listen", [host, port]) => Some(Ok(Target::Listen(format!("{host}:{port}")))),
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
                Ok(t) => inner.command(Command::Open(t)),
                Err(e) => inner.error(&e.to_string()),
            };
        }
        match (message.selector(), words.as_slice()) {
            ("close", []) => inner.command(Command::Close),
            ("devices", []) => inner.command(Command::List),
            ("raw", _) => {
                inner.raw.set(flag(&args));
                inner.send_options();
            }
            ("reconnect", _) => {
                inner.reconnect.set(flag(&args));
                inner.send_options();
            }
            _ => match Midi::from_message(message) {
                Ok((cable, midi)) => inner.command(Command::Send(cable, midi)),
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
        // Closing the channel tells the device thread to finish.
    }
}

impl UsbInner {
    fn command(&self, c: Command) {
        // The device thread outlives every sender; a failed send means it
        // already ended (process exit), which is fine to ignore.
        let _ = self.commands.send(c);
    }

    fn send_options(&self) {
        self.command(Command::Options(Options { raw: self.raw.get(), reconnect: self.reconnect.get() }));
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
            let Some(event) = self.queue.pop() else { return false };
            if let Event::Error(text) = &event {
                self.host.error(&format!("pyrus.usb: {text}"));
            }
            let outlet = if event.is_status() { STATUS } else { DATA };
            self.host.outlet(outlet, &event.to_message());
        }
        !self.queue.is_empty()
    }
}

/// The object's device thread: owns the device, does everything that blocks.
fn device_thread(id: ObjectId, commands: Receiver<Command>, queue: Arc<EventQueue>) {
    let mut device: Option<Device> = None;
    let mut options = Options::default();
    let mut target: Option<Target> = None;
    let mut retry_at: Option<Instant> = None;
    let close = |device: &mut Option<Device>| {
        if let Some(mut d) = device.take() {
            d.close();
            marshal::producer_end();
        }
    };
    while !CLOSING.load(std::sync::atomic::Ordering::Acquire) {
        let command = match commands.recv_timeout(Duration::from_millis(50)) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match command {
            Some(Command::Open(t)) => {
                close(&mut device);
                retry_at = None;
                device = match open(&t, &options, &queue) {
                    Ok(d) => Some(d),
                    Err(e) if options.reconnect => {
                        queue.push(Event::Error(format!("{e} (trying again every second)")));
                        retry_at = Some(Instant::now() + RETRY);
                        None
                    }
                    Err(e) => {
                        queue.push(Event::Error(e));
                        None
                    }
                };
                target = Some(t);
            }
            Some(Command::Close) => {
                let was_open = device.is_some();
                close(&mut device);
                target = None;
                retry_at = None;
                if was_open {
                    queue.push(Event::Closed);
                }
            }
            Some(Command::Send(cable, midi)) => match &device {
                Some(d) => {
                    if let Err(e) = d.send_midi(cable, &midi) {
                        queue.push(Event::Error(format!("sending MIDI: {e}")));
                    }
                }
                None => {
                    queue.push(Event::Error("no device is open: open, connect, listen or demo first".into()));
                }
            },
            Some(Command::List) => list(id),
            Some(Command::Options(o)) => {
                options = o;
                if !options.reconnect {
                    retry_at = None;
                }
            }
            None => {}
        }
        // A peer or device gone: with reconnect, try again every second,
        // quietly (the first failure was reported). A local device re-opens
        // by itself once open: its own reconnect option.
        if device.as_ref().is_some_and(Device::is_finished) {
            close(&mut device);
            if options.reconnect && !matches!(target, Some(Target::Local(_)) | None) {
                retry_at = Some(Instant::now() + RETRY);
            }
        }
        if let (Some(at), Some(t)) = (retry_at, &target) {
            if Instant::now() >= at {
                device = open(t, &options, &queue).ok();
                retry_at = device.is_none().then(|| Instant::now() + RETRY);
            }
        }
    }
    close(&mut device);
}

/// Opens `target`; the error says what was tried.
fn open(target: &Target, options: &Options, queue: &Arc<EventQueue>) -> Result<Device, String> {
    let d = Device::open_with(target, options, queue.clone()).map_err(|e| match target {
        Target::Connect(addr) => format!("connecting to {addr}: {e}"),
        Target::Listen(addr) => format!("listening on {addr}: {e}"),
        Target::Local(_) => format!("opening the device: {e}"),
        Target::Demo => format!("starting the demo device: {e}"),
    })?;
    // The service keeps polling each tick while a device is open.
    marshal::producer_begin();
    marshal::wake();
    Ok(d)
}

/// `devices`: one message per device on the left outlet, then `devices N` on
/// the status outlet.
fn list(id: ObjectId) {
    let push = |i, m| marshal::push_waiting(id, Delivery::Outlet(i, m), |wait| wait());
    match local::list() {
        Ok(devices) => {
            let n = devices.len();
            for d in devices {
                push(DATA, device_message(&d));
            }
            push(STATUS, Message::Anything(Cow::Borrowed("devices"), Cow::Owned(vec![Atom::Float(n as f64)])));
        }
        Err(e) => {
            let words = format!("listing devices: {e}");
            let atoms = words.split_whitespace().map(|w| Atom::Symbol(Cow::Owned(w.to_owned()))).collect();
            push(STATUS, Message::Anything(Cow::Borrowed("error"), Cow::Owned(atoms)));
        }
    }
}

/// `device VID PID KINDS BUS-ADDR NAME...`, KINDS being `midi`, `hid`,
/// `midi,hid` or `-`.
fn device_message(d: &local::DeviceInfo) -> pyrus_atoms::OwnedMessage {
    let kinds = match (d.midi, d.hid) {
        (true, true) => "midi,hid",
        (true, false) => "midi",
        (false, true) => "hid",
        (false, false) => "-",
    };
    let mut atoms = vec![
        Atom::Float(d.vendor_id.into()),
        Atom::Float(d.product_id.into()),
        Atom::Symbol(Cow::Borrowed(kinds)),
        Atom::Symbol(Cow::Owned(format!("{}-{}", d.bus, d.address))),
    ];
    atoms.extend(d.name().split_whitespace().map(|w| Atom::Symbol(Cow::Owned(w.to_owned()))));
    Message::Anything(Cow::Borrowed("device"), Cow::Owned(atoms))
}

/// Tells every device thread to close its device and end, and joins them
/// (process exit), for at most `deadline`.
pub(crate) fn shut_down(deadline: Duration) {
    CLOSING.store(true, std::sync::atomic::Ordering::Release);
    let threads = std::mem::take(&mut *lock(&FINISHING));
    let end = Instant::now() + deadline;
    for t in threads {
        while !t.is_finished() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(2));
        }
        if t.is_finished() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn num(word: &str) -> u32 {
    word.parse::<f64>().map(|f| f as u32).unwrap_or(0)
}

fn flag(args: &[Atom<'_>]) -> bool {
    args.first().and_then(Atom::as_float).is_none_or(|f| f != 0.0)
}
