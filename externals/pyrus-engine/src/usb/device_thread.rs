//! The device thread behind every USB device the engine opens, for
//! `[pyrus.usb]` ([`crate::usb`]) and for scripts ([`crate::usb_script`]).
//!
//! Everything that can block (opening a device, a TCP connect, a USB write,
//! closing and joining a device's threads) happens on the device's own thread
//! (`pyrus-usb-device`), fed by a channel: its owner only sends commands,
//! which never blocks. The device's events travel the USB engine's bounded
//! lock-free [`EventQueue`] (full: counted, reported as `dropped N`), whose
//! wake-up the owner chooses.
//!
//! # Threading
//! [`DeviceHandle`] is `Send + Sync`: commands from any thread, in order per
//! sender. Dropping it ends the device thread (the device is closed there);
//! nothing waits for it. [`shut_down`] (process exit) ends every device
//! thread (the exit joins them by a deadline). A panic on a device thread is caught
//! there (see [`device_thread`]).

use crate::marshal::{self, Delivery, ObjectId};
use crate::sync::{self, lock};
use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use pyrus_atoms::{Atom, Message};
use pyrus_usb::device::{Device, Options, Target};
use pyrus_usb::local;
use pyrus_usb::queue::Wake;
use pyrus_usb::{Event, EventQueue, Midi};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Events a device may queue before new ones are dropped and counted.
pub const QUEUE: usize = 1 << 16;
/// How often a device that is gone is tried again, with reconnect.
const RETRY: Duration = Duration::from_secs(1);
/// Outlets of `devices`' answers: one message per device, then the count.
const DATA: usize = 0;
const STATUS: usize = 1;

enum Command {
    Open(Target),
    Close,
    Send(u8, Midi),
    /// `devices`, answered as deliveries to this object.
    List(ObjectId),
    Options(Options),
    /// Tests only: a bug's panic on the device thread.
    #[cfg(test)]
    Panic,
}

/// Every device thread, joined at exit.
static FINISHING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
/// Set at exit: device threads close their devices and end.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// A device thread and its event queue.
pub(crate) struct DeviceHandle {
    pub queue: Arc<EventQueue>,
    commands: Sender<Command>,
}

impl DeviceHandle {
    /// Starts an idle device thread; `wake` runs (on a device thread) when
    /// events arrive in an empty queue, and must not block.
    pub fn spawn(wake: Wake) -> DeviceHandle {
        let queue = Arc::new(EventQueue::new(QUEUE, Some(wake)));
        let (commands, rx) = unbounded();
        let thread_queue = queue.clone();
        match sync::spawn("pyrus-usb-device".into(), move || device_thread(rx, thread_queue)) {
            Ok(thread) => lock(&FINISHING).push(thread),
            // Commands then go nowhere; the owner hears why.
            Err(e) => {
                queue.push(Event::Error(format!("could not start the device thread: {e}")));
            }
        }
        DeviceHandle { queue, commands }
    }

    /// Closes the device open now (if any) and opens `target`.
    pub fn open(&self, target: Target) {
        self.command(Command::Open(target));
    }

    /// Closes the device; `closed` follows if one was open.
    pub fn close(&self) {
        self.command(Command::Close);
    }

    pub fn send(&self, cable: u8, midi: Midi) {
        self.command(Command::Send(cable, midi));
    }

    /// Lists local devices as deliveries to `id` (see [`list`]).
    pub fn list(&self, id: ObjectId) {
        self.command(Command::List(id));
    }

    pub fn options(&self, options: Options) {
        self.command(Command::Options(options));
    }

    fn command(&self, c: Command) {
        // The device thread outlives every sender; a failed send means it
        // already ended (process exit), which is fine to ignore.
        let _ = self.commands.send(c);
    }
}

/// A device thread: owns the device, does everything that blocks. A panic
/// while handling a command (or a device's state) is caught here: the device
/// is closed, its owner hears why (an `error` event: console and status
/// outlet), and the thread carries on with the next command.
fn device_thread(commands: Receiver<Command>, queue: Arc<EventQueue>) {
    let mut state = DeviceState { device: None, options: Options::default(), target: None, retry_at: None };
    while !CLOSING.load(Ordering::Acquire) {
        let command = match commands.recv_timeout(Duration::from_millis(50)) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if let Err(why) = sync::catch(|| state.step(command, &queue)) {
            let _ = sync::catch(|| state.close());
            state.target = None;
            state.retry_at = None;
            queue.push(Event::Error(format!("internal error in the device thread, the device was closed: {why}")));
        }
    }
    state.close();
}

/// What a device thread keeps between commands.
struct DeviceState {
    device: Option<Device>,
    options: Options,
    target: Option<Target>,
    retry_at: Option<Instant>,
}

impl DeviceState {
    fn close(&mut self) {
        if let Some(mut d) = self.device.take() {
            d.close();
            marshal::producer_end();
        }
    }

    /// Carries out `command` (if any), then notices a device gone and retries.
    fn step(&mut self, command: Option<Command>, queue: &Arc<EventQueue>) {
        match command {
            Some(Command::Open(t)) => {
                self.close();
                self.device = match open(&t, &self.options, queue) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        let again = if self.options.reconnect { " (trying again every second)" } else { "" };
                        queue.push(Event::Error(format!("{e}{again}")));
                        None
                    }
                };
                self.retry_at = (self.device.is_none() && self.options.reconnect).then(|| Instant::now() + RETRY);
                self.target = Some(t);
            }
            Some(Command::Close) => {
                let was_open = self.device.is_some();
                self.close();
                self.target = None;
                self.retry_at = None;
                if was_open {
                    queue.push(Event::Closed);
                }
            }
            Some(Command::Send(cable, midi)) => match &self.device {
                Some(d) => {
                    if let Err(e) = d.send_midi(cable, &midi) {
                        queue.push(Event::Error(format!("sending MIDI: {e}")));
                    }
                }
                None => {
                    queue.push(Event::Error("no device is open: open, connect, listen or demo first".into()));
                }
            },
            Some(Command::List(id)) => list(id),
            #[cfg(test)]
            Some(Command::Panic) => panic!("a bug on the device thread"),
            Some(Command::Options(o)) => {
                self.options = o;
                if !self.options.reconnect {
                    self.retry_at = None;
                }
            }
            None => {}
        }
        // A peer or device gone: with reconnect, try again every second,
        // quietly (the first failure was reported). A local device re-opens
        // by itself once open: its own reconnect option.
        if self.device.as_ref().is_some_and(Device::is_finished) {
            self.close();
            if self.options.reconnect && !matches!(self.target, Some(Target::Local(_)) | None) {
                self.retry_at = Some(Instant::now() + RETRY);
            }
        }
        if let (Some(at), Some(t)) = (self.retry_at, &self.target) {
            if Instant::now() >= at {
                self.device = open(t, &self.options, queue).ok();
                self.retry_at = self.device.is_none().then(|| Instant::now() + RETRY);
            }
        }
    }
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
            push(STATUS, Message::Anything(Cow::Borrowed("devices"), Cow::Owned(vec![Atom::Int(n as i64)])));
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
    let kinds = kinds(d);
    let mut atoms = vec![
        Atom::Int(d.vendor_id.into()),
        Atom::Int(d.product_id.into()),
        Atom::Symbol(Cow::Borrowed(kinds)),
        Atom::Symbol(Cow::Owned(format!("{}-{}", d.bus, d.address))),
    ];
    atoms.extend(d.name().split_whitespace().map(|w| Atom::Symbol(Cow::Owned(w.to_owned()))));
    Message::Anything(Cow::Borrowed("device"), Cow::Owned(atoms))
}

/// What a device speaks: `midi`, `hid`, `midi,hid` or `-`.
pub(crate) fn kinds(d: &local::DeviceInfo) -> &'static str {
    match (d.midi, d.hid) {
        (true, true) => "midi,hid",
        (true, false) => "midi",
        (false, true) => "hid",
        (false, false) => "-",
    }
}

/// Tells every device thread to close its device and end (process exit);
/// returns them for the caller to join by its deadline.
pub(crate) fn shut_down() -> Vec<JoinHandle<()>> {
    CLOSING.store(true, Ordering::Release);
    std::mem::take(&mut *lock(&FINISHING))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next_event(queue: &EventQueue, woken: &Receiver<()>) -> Event {
        loop {
            if let Some(event) = queue.pop() {
                return event;
            }
            woken.recv_timeout(Duration::from_secs(10)).expect("the device thread answers");
        }
    }

    #[test]
    fn a_panic_on_the_device_thread_is_reported_and_the_thread_carries_on() {
        let (tx, woken) = crossbeam_channel::unbounded();
        let device = DeviceHandle::spawn(Box::new(move || {
            let _ = tx.send(());
        }));
        device.command(Command::Panic);
        match next_event(&device.queue, &woken) {
            Event::Error(text) => assert!(text.contains("internal error in the device thread"), "{text}"),
            other => panic!("{other:?}"),
        }
        // Still there: it answers the next command.
        device.send(0, Midi::Note { ch: 0, pitch: 60, vel: 100 });
        match next_event(&device.queue, &woken) {
            Event::Error(text) => assert!(text.starts_with("no device is open"), "{text}"),
            other => panic!("{other:?}"),
        }
    }
}
