//! The device thread behind every USB device the engine opens, for
//! `[pyrus.usb]` ([`crate::usb`]) and for scripts ([`crate::usb::script`]).
//!
//! Everything that can block (opening a device, a TCP connect, a USB write,
//! closing and joining a device's threads) happens on the device's own thread
//! (`pyrus-usb-device`), fed by a channel: its owner only sends commands,
//! which never blocks. The device's events travel the USB engine's bounded
//! lock-free [`EventQueue`] (full: counted, reported as `dropped N`), whose
//! wake-up the owner chooses.
//!
//! Commands travel a bounded channel ([`COMMANDS`]). The device thread may
//! wait (a USB write, a usbredir peer reading slower than we send: then it
//! waits for room in the writer's channel); a device thread that falls that
//! far behind refuses the next commands instead of queueing without end or
//! blocking the sender (a host thread): the owner hears
//! `device busy: N commands waiting` once (an `error` event: console and
//! status outlet) per spell, and the refused commands are dropped.
//!
//! # Threading
//! [`DeviceHandle`] is `Send + Sync`: commands from any thread, in order per
//! sender, never blocking. Dropping it ends the device thread (the device is closed there);
//! nothing waits for it. [`shut_down`] (process exit) ends every device
//! thread (the exit joins them by a deadline). A panic on a device thread is caught
//! there (see [`device_thread`]).

use crate::context::Context;
use crate::detach::marshal::{Delivery, ObjectId};
use crate::sync::{self, lock};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use pyrus_atoms::{Atom, Message};
use pyrus_usb::device::{Device, DeviceError, Options, Target};
use pyrus_usb::local;
use pyrus_usb::queue::Wake;
use pyrus_usb::usbredir::guest::GuestError;
use pyrus_usb::{Event, EventQueue, Midi};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Events a device may queue before new ones are dropped and counted.
pub const QUEUE: usize = 1 << 16;
/// Commands waiting for a device thread before new ones are refused: a
/// burst of this many MIDI messages in one scheduler pass still goes out.
pub const COMMANDS: usize = 1 << 14;
/// How often a device that is gone is tried again, with reconnect.
const RETRY: Duration = Duration::from_secs(1);
/// The outlets of `[pyrus.usb]`, and of `devices`' answers (one message
/// per device, then the count): data, then status.
pub(crate) const DATA: usize = 0;
pub(crate) const STATUS: usize = 1;

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
    /// Tests only: says it holds, then waits for `release`.
    #[cfg(test)]
    Hold(Sender<()>, Receiver<()>),
    /// Tests only: answers whether a device is open.
    #[cfg(test)]
    IsOpen(Sender<bool>),
}

/// Every device thread, joined at exit.
static FINISHING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
/// Set at exit: device threads close their devices and end.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// A device thread and its event queue.
pub(crate) struct DeviceHandle {
    pub queue: Arc<EventQueue>,
    commands: Sender<Command>,
    /// Said that the thread is busy, until a command gets in again.
    refusing: AtomicBool,
}

impl DeviceHandle {
    /// Starts an idle device thread; `wake` runs (on a device thread) when
    /// events arrive in an empty queue, and must not block.
    pub fn spawn(ctx: &Context, wake: Wake) -> DeviceHandle {
        let queue = Arc::new(EventQueue::new(QUEUE, Some(wake)));
        let (commands, rx) = bounded(COMMANDS);
        let thread_queue = queue.clone();
        let ctx = ctx.clone();
        match crate::context::spawn("pyrus-usb-device".into(), move || device_thread(rx, thread_queue, ctx)) {
            Ok(thread) => lock(&FINISHING).push(thread),
            // Commands then go nowhere; the owner hears why.
            Err(e) => {
                queue.push(Event::Error(format!("could not start the device thread: {e}")));
            }
        }
        DeviceHandle { queue, commands, refusing: AtomicBool::new(false) }
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

    /// Never blocks: a full channel refuses `c` (said once per spell).
    fn command(&self, c: Command) {
        match self.commands.try_send(c) {
            Ok(()) => self.refusing.store(false, Ordering::Relaxed),
            Err(TrySendError::Full(_)) => {
                if !self.refusing.swap(true, Ordering::Relaxed) {
                    self.queue.push(Event::Error(format!(
                        "device busy: {COMMANDS} commands waiting; this one and those after it are dropped \
                         until it catches up"
                    )));
                }
            }
            // The device thread outlives every sender; a failed send means it
            // already ended (process exit), which is fine to ignore.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// A device thread: owns the device, does everything that blocks. A panic
/// while handling a command (or a device's state) is caught here: the device
/// is closed, its owner hears why (an `error` event: console and status
/// outlet), and the thread carries on with the next command.
fn device_thread(commands: Receiver<Command>, queue: Arc<EventQueue>, ctx: Context) {
    let mut state = DeviceState { ctx, device: None, options: Options::default(), target: None, retry_at: None };
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
    /// The owner's context: an open device counts as one of its producers.
    ctx: Context,
    device: Option<Device>,
    options: Options,
    target: Option<Target>,
    retry_at: Option<Instant>,
}

impl DeviceState {
    fn close(&mut self) {
        if let Some(mut d) = self.device.take() {
            d.close();
            self.ctx.producer_end();
        }
    }

    /// Carries out `command` (if any), then notices a device gone and retries.
    fn step(&mut self, command: Option<Command>, queue: &Arc<EventQueue>) {
        match command {
            Some(Command::Open(t)) => {
                self.close();
                self.device = match open(&self.ctx, &t, &self.options, queue) {
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
                    if let Err(e) = send_waiting(d, cable, &midi) {
                        queue.push(Event::Error(format!("sending MIDI: {e}")));
                    }
                }
                None => {
                    queue.push(Event::Error("no device is open: open, connect, listen or demo first".into()));
                }
            },
            Some(Command::List(id)) => list(&self.ctx, id),
            #[cfg(test)]
            Some(Command::Panic) => panic!("a bug on the device thread"),
            #[cfg(test)]
            Some(Command::Hold(holding, release)) => {
                let _ = holding.send(());
                let _ = release.recv();
            }
            #[cfg(test)]
            Some(Command::IsOpen(answer)) => {
                let _ = answer.send(self.device.is_some());
            }
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
                self.device = open(&self.ctx, t, &self.options, queue).ok();
                self.retry_at = self.device.is_none().then(|| Instant::now() + RETRY);
            }
        }
    }
}

/// Sends `midi`, waiting while the device's writer is full (a usbredir peer
/// that reads slower than we send): the back-pressure stays on this thread,
/// and the owner's commands queue meanwhile (up to [`COMMANDS`]). Gives up
/// at exit or when the device is gone.
fn send_waiting(d: &Device, cable: u8, midi: &Midi) -> Result<(), DeviceError> {
    loop {
        match d.send_midi(cable, midi) {
            Err(DeviceError::Guest(GuestError::Busy(_))) if !CLOSING.load(Ordering::Acquire) && !d.is_finished() => {
                #[cfg(test)]
                tests::WAITED.fetch_add(1, Ordering::Relaxed);
                // The writer has a socket's worth and more to write: a wait
                // of this order lets it catch up without spinning.
                std::thread::sleep(Duration::from_millis(1));
            }
            r => return r,
        }
    }
}

/// Opens `target`; the error says what was tried.
fn open(ctx: &Context, target: &Target, options: &Options, queue: &Arc<EventQueue>) -> Result<Device, String> {
    let d = Device::open_with(target, options, queue.clone()).map_err(|e| match target {
        Target::Connect(addr) => format!("connecting to {addr}: {e}"),
        Target::Listen(addr) => format!("listening on {addr}: {e}"),
        Target::Local(_) => format!("opening the device: {e}"),
        Target::Demo => format!("starting the demo device: {e}"),
    })?;
    // The service keeps polling each tick while a device is open.
    ctx.producer_begin();
    ctx.wake();
    Ok(d)
}

/// `devices`: one message per device on the left outlet, then `devices N` on
/// the status outlet.
fn list(ctx: &Context, id: ObjectId) {
    let push = |i, m| ctx.push_waiting(id, Delivery::Outlet(i, m), |wait| wait());
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
            push(STATUS, crate::out::error_message(None, &words).into_owned());
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
    use pyrus_usb::virtual_device::VirtualDevice;
    use std::net::TcpListener;
    use std::ops::ControlFlow;
    use std::sync::atomic::AtomicUsize;

    /// Waits of `send_waiting` for a busy writer.
    pub(super) static WAITED: AtomicUsize = AtomicUsize::new(0);

    fn next_event(queue: &EventQueue, woken: &Receiver<()>) -> Event {
        loop {
            if let Some(event) = queue.pop() {
                return event;
            }
            woken.recv_timeout(Duration::from_secs(10)).expect("the device thread answers");
        }
    }

    /// A host that does nothing, for a context of the device threads here.
    struct Quiet;

    impl crate::host::Host for Quiet {
        fn post(&self, _: &str) {}
        fn error(&self, _: &str) {}
        fn send(&self, name: &str, _: &Message<'_>) -> Result<(), crate::host::NoReceiver> {
            Err(crate::host::NoReceiver(name.to_owned()))
        }
        fn logical_time(&self) -> f64 {
            0.0
        }
    }

    fn context() -> Context {
        Context::new(Arc::new(Quiet))
    }

    /// A device thread whose wake-ups ring `woken` (a doorbell: one pending is enough).
    fn device() -> (DeviceHandle, Receiver<()>) {
        let (tx, woken) = bounded(1);
        (
            DeviceHandle::spawn(
                &context(),
                Box::new(move || {
                    let _ = tx.try_send(());
                }),
            ),
            woken,
        )
    }

    #[test]
    fn a_panic_on_the_device_thread_is_reported_and_the_thread_carries_on() {
        let (device, woken) = device();
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

    /// A device thread that has fallen [`COMMANDS`] behind refuses the next
    /// command at once (the sender never blocks), says so once, and carries
    /// on with the ones it took.
    #[test]
    fn a_full_command_channel_refuses_without_blocking_and_says_so_once() {
        let (device, woken) = device();
        let (holding_tx, holding) = bounded(1);
        let (release, release_rx) = bounded(1);
        device.command(Command::Hold(holding_tx, release_rx));
        holding.recv_timeout(Duration::from_secs(10)).expect("the device thread holds");
        let note = || Midi::Note { ch: 1, pitch: 60, vel: 100 };
        for _ in 0..COMMANDS {
            device.send(0, note());
        }
        assert_eq!(device.queue.pop(), None, "{COMMANDS} commands fit");
        device.send(0, note());
        device.send(0, note());
        match device.queue.pop() {
            Some(Event::Error(text)) => {
                assert!(text.starts_with(&format!("device busy: {COMMANDS} commands waiting")), "{text}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(device.queue.pop(), None, "said once");
        release.send(()).unwrap();
        // Every command it took is carried out.
        for _ in 0..COMMANDS {
            match next_event(&device.queue, &woken) {
                Event::Error(text) => assert!(text.starts_with("no device is open"), "{text}"),
                other => panic!("{other:?}"),
            }
        }
    }

    /// A panic on a thread of the USB engine (here raised by the wake-up the
    /// engine gave it, on the redir reader) reaches the owner as an error,
    /// the device ends (`disconnected`), and the device thread closes it,
    /// ending its producer count, as for a device gone.
    #[test]
    fn a_panic_on_a_usb_thread_is_reported_and_the_device_is_closed() {
        let panicked = Arc::new(AtomicBool::new(false));
        let (tx, woken) = bounded(1);
        let p = panicked.clone();
        let ctx = context();
        let device = DeviceHandle::spawn(
            &ctx,
            Box::new(move || {
                let _ = tx.try_send(());
                if std::thread::current().name() == Some("pyrus-usb-redir-rx") && !p.swap(true, Ordering::AcqRel) {
                    panic!("a bug in the wake-up");
                }
            }),
        );
        device.open(Target::Demo);
        assert!(matches!(next_event(&device.queue, &woken), Event::Connected { .. }));
        match next_event(&device.queue, &woken) {
            Event::Error(text) => {
                assert_eq!(text, "internal error: thread pyrus-usb-redir-rx ended: a bug in the wake-up")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(next_event(&device.queue, &woken), Event::Disconnected);
        // The device thread notices the device gone and closes it.
        let deadline = Instant::now() + Duration::from_secs(10);
        let is_open = || {
            let (answer, open) = bounded(1);
            device.command(Command::IsOpen(answer));
            open.recv_timeout(Duration::from_secs(10)).expect("the device thread answers")
        };
        while is_open() {
            assert!(Instant::now() < deadline, "the device stays open after its reader panicked");
        }
        assert!(!ctx.has_work(), "the closed device still counts as a producer");
    }

    /// A usbredir peer that stops reading fills the writer; the device
    /// thread then waits (its commands queue meanwhile) instead of dropping
    /// MIDI, and once the peer reads again every message arrives, in order.
    #[test]
    fn a_peer_that_stops_reading_holds_the_device_thread_back_and_nothing_is_lost() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (release, held) = crossbeam_channel::bounded::<usize>(1);
        let peer = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
            let start = Instant::now();
            let mut want = None;
            dev.serve(&mut s, |link| {
                if link.device.streaming() && want.is_none() {
                    // Reads nothing until the device thread has had to wait.
                    want = Some(held.recv().unwrap());
                }
                if want.is_some_and(|w| link.device.received_midi.len() >= w)
                    || start.elapsed() > Duration::from_secs(60)
                {
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(Duration::from_millis(5))
            })
            .unwrap();
            dev.received_midi
        });
        let (device, woken) = device();
        device.open(Target::Connect(addr.to_string()));
        assert!(matches!(next_event(&device.queue, &woken), Event::Connected { .. }));
        // 1000 data bytes each, about 1.4 kB on the wire. How many fill the
        // sockets, the peer's reads and the writer's channel depends on the
        // machine's socket buffers, so the test sends until the device thread
        // waits: in batches the command channel always has room for, each
        // followed by a question the device thread answers only once it has
        // handed the batch on. Unanswered while it waits: then it is held back.
        let sysex = |i: usize| Midi::SysEx([vec![0xf0], vec![(i % 128) as u8; 1000], vec![0xf7]].concat());
        const BATCH: usize = 1000;
        const MOST: usize = 200_000;
        let waited_before = WAITED.load(Ordering::Relaxed);
        let waited = || WAITED.load(Ordering::Relaxed) > waited_before;
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut sent, mut i) = (Vec::new(), 0);
        'sending: loop {
            assert!(i < MOST, "the device thread took {i} messages (about 280 MB) without waiting for the writer");
            for _ in 0..BATCH {
                device.send(0, sysex(i));
                let mut packets = Vec::new();
                pyrus_usb::midi::encode(0, &sysex(i), &mut packets);
                sent.extend(packets.concat());
                i += 1;
            }
            let (answer, answered) = bounded(1);
            device.command(Command::IsOpen(answer));
            loop {
                if let Some(e) = device.queue.pop() {
                    panic!("{e:?}");
                }
                match answered.recv_timeout(Duration::from_millis(10)) {
                    Ok(open) => {
                        assert!(open, "the device closed");
                        continue 'sending;
                    }
                    Err(RecvTimeoutError::Disconnected) => panic!("the device thread ended"),
                    Err(_) if waited() => break 'sending,
                    Err(_) => assert!(Instant::now() < deadline, "the device thread neither waited nor answered"),
                }
            }
        }
        release.send(sent.len()).unwrap();
        let received = peer.join().unwrap();
        assert!(received == sent, "{} bytes received of {} sent", received.len(), sent.len());
        let mut events = Vec::new();
        device.queue.drain(|e| events.push(e));
        assert!(!events.iter().any(|e| matches!(e, Event::Error(_))), "{events:?}");
    }
}
