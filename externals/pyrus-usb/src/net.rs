//! The threads and sockets around the sans-IO usbredir guest.
//!
//! A [`RedirConnection`] owns one TCP stream and two named threads:
//!
//! - the **reader** (`pyrus-usb-redir-rx`) blocks in `read`, feeds the bytes
//!   to the [`Guest`] under its mutex, pushes the resulting events into the
//!   [`EventQueue`], and hands whatever the guest wants to send to the writer;
//! - the **writer** (`pyrus-usb-redir-tx`) blocks on a channel and writes each
//!   buffer in turn.
//!
//! The channel to the writer is bounded ([`FRAMES`] buffers, one per flush of
//! the guest). Full means the peer reads slower than we write, and nobody
//! waits for room: [`RedirConnection::send_midi`] refuses the message with
//! [`GuestError::Busy`] (the caller waits and tries again, as the engine's
//! device thread does, or reports it; nothing is encoded), and the
//! reader's replies stay in the guest's own transmit buffer, in order, until
//! the writer, having emptied the channel, takes them. Frames are never
//! dropped (a lost usbredir packet would desynchronise the protocol) and no
//! thread blocks on the channel, so [`RedirConnection::shutdown`] and the
//! owner's exit always get through. Every sender holds the guest's lock, so
//! a channel seen with room under it keeps that room until the send.
//!
//! Both threads start through [`crate::thread::spawn`]: a panic on either is
//! reported as an error event and ends the connection (`disconnected` if a
//! device was connected, [`RedirConnection::is_finished`] true), and both
//! threads are joined as usual.
//!
//! Writes from any thread (the reader's replies, [`RedirConnection::send_midi`]
//! from the host's thread) are serialized by taking the guest's mutex, which
//! both encodes the packet (ids and layout depend on negotiation) and enqueues
//! its bytes, so bytes reach the channel in the order the guest made them. The
//! socket itself is only ever written by the writer thread, so a slow peer
//! never blocks the reader or the host while they hold the lock.
//!
//! A peer that accepts (or connects) and then says no usbredir hello within
//! [`HELLO_TIMEOUT`] may not be a usbredir host at all, or may be one that
//! is slow to start (QEMU's port forwarding takes the connection long before
//! the guest's `usbredirect` speaks): the reader reports it once, as an
//! error event, and keeps waiting on the same connection; a hello that comes
//! later connects as usual.
//!
//! Shutdown ([`RedirConnection::shutdown`] or drop): `TcpStream::shutdown`
//! wakes the reader out of `read`; closing the channel wakes the writer; both
//! are joined. When the peer goes away first, the reader closes the channel
//! itself, so both threads end either way.
#![forbid(unsafe_code)]

use crate::event::{Event, Midi};
use crate::queue::EventQueue;
use crate::usbredir::guest::{Guest, GuestConfig, GuestError};
use crossbeam_channel::{bounded, Sender};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Buffers queued for the writer before `send_midi` is refused (see the module docs).
pub const FRAMES: usize = 1024;
/// Buffers the writer joins into one write at most, beside the first.
const BATCH: usize = 64;

/// Bytes read from the socket per `read` call.
const READ_CHUNK: usize = 64 * 1024;

/// How long the peer may take to send its hello before the reader says so
/// (usbredirect sends it at once); the connection is kept either way.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(2);

/// The words of the error event a peer silent for [`HELLO_TIMEOUT`] gets,
/// after `usbredir: ADDR` (for hosts and tests to recognise it).
pub const NO_HELLO: &str = "took the connection but has sent no usbredir hello for";

struct Shared {
    guest: Mutex<Guest>,
    /// `None` once the connection is closing: nothing more will be written.
    tx: Mutex<Option<Sender<Vec<u8>>>>,
    stream: TcpStream,
    stopping: AtomicBool,
    /// A device is connected (`connected` came, `disconnected` not yet).
    live: AtomicBool,
    finished: AtomicBool,
}

/// Locks ignoring poison: a panic elsewhere must not turn into one here, and
/// the guest's state stays consistent between packets.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Moves the guest's pending bytes to the writer; call with the guest locked.
    /// Moves the guest's pending bytes to the writer, unless the writer has
    /// [`FRAMES`] buffers waiting already: then they stay in the guest, for
    /// the writer to take once it has caught up. Never waits.
    fn flush(&self, guest: &mut Guest) {
        if guest.has_transmit() {
            if let Some(tx) = lock(&self.tx).as_ref().filter(|tx| !tx.is_full()) {
                // Room stays: every sender holds the guest's lock.
                let _ = tx.try_send(guest.take_transmit());
            }
        }
    }

    /// The writer's channel is full (see the module docs).
    fn full(&self) -> bool {
        lock(&self.tx).as_ref().is_some_and(Sender::is_full)
    }

    fn close(&self) {
        lock(&self.tx).take();
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Queues `e`, keeping track of whether a device is connected.
    fn push(&self, queue: &EventQueue, e: Event) {
        match e {
            Event::Connected { .. } => self.live.store(true, Ordering::Release),
            Event::Disconnected => self.live.store(false, Ordering::Release),
            _ => {}
        }
        queue.push(e);
    }

    /// The reader's end, however it came: `disconnected` if a device was
    /// connected, the writer told to end, and the connection finished.
    fn end(&self, queue: &EventQueue) {
        if self.live.swap(false, Ordering::AcqRel) {
            queue.push(Event::Disconnected);
        }
        self.close();
        self.finished.store(true, Ordering::Release);
    }
}

/// One usbredir connection to a device exported by `usbredirect` (or any
/// usbredir host), with its reader and writer threads.
///
/// # Threading
/// `Send + Sync`. See the crate's thread contract: [`send_midi`](Self::send_midi)
/// from any thread, [`shutdown`](Self::shutdown) (or drop) from one.
pub struct RedirConnection {
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
}

impl RedirConnection {
    /// Connects to `usbredirect --as HOST:PORT`.
    pub fn connect(addr: impl ToSocketAddrs, config: GuestConfig, queue: Arc<EventQueue>) -> io::Result<Self> {
        Self::start(TcpStream::connect(addr)?, config, queue)
    }

    /// Accepts one `usbredirect --to HOST:PORT`, polling `stop` every 50 ms
    /// (std's `accept` cannot be interrupted otherwise). `Ok(None)` when stopped.
    pub fn accept(
        listener: &TcpListener,
        stop: &AtomicBool,
        config: GuestConfig,
        queue: Arc<EventQueue>,
    ) -> io::Result<Option<Self>> {
        listener.set_nonblocking(true)?;
        loop {
            if stop.load(Ordering::Acquire) {
                return Ok(None);
            }
            match listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false)?;
                    return Self::start(s, config, queue).map(Some);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs the guest over an already connected stream.
    pub fn start(stream: TcpStream, config: GuestConfig, queue: Arc<EventQueue>) -> io::Result<Self> {
        // MIDI is tiny and latency-bound: do not let Nagle hold it back.
        stream.set_nodelay(true)?;
        let (tx, rx) = bounded::<Vec<u8>>(FRAMES);
        let shared = Arc::new(Shared {
            guest: Mutex::new(Guest::new(config)),
            tx: Mutex::new(Some(tx)),
            stream: stream.try_clone()?,
            stopping: AtomicBool::new(false),
            live: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        });
        // The hello goes out first.
        shared.flush(&mut lock(&shared.guest));

        let mut wstream = stream.try_clone()?;
        let (wshared, wqueue) = (shared.clone(), queue.clone());
        let on_panic = move |why| {
            wqueue.push(Event::Error(why));
            // The reader sees the shutdown and reports the end.
            wshared.close();
        };
        let wshared = shared.clone();
        let writer = crate::thread::spawn("pyrus-usb-redir-tx", on_panic, move || {
            while let Ok(mut bytes) = rx.recv() {
                // What else waits goes out in the same write: one system call
                // for a burst, so the channel fills only when the peer lags.
                for more in rx.try_iter().take(BATCH) {
                    bytes.extend_from_slice(&more);
                }
                if wstream.write_all(&bytes).is_err() {
                    // The reader sees the shutdown and reports the end.
                    wshared.close();
                    break;
                }
                if rx.is_empty() {
                    // What the guest kept while the channel was full.
                    wshared.flush(&mut lock(&wshared.guest));
                }
            }
        })?;

        let (rshared, rqueue) = (shared.clone(), queue.clone());
        let on_panic = move |why| {
            rqueue.push(Event::Error(why));
            rshared.end(&rqueue);
        };
        let rshared = shared.clone();
        let reader = crate::thread::spawn("pyrus-usb-redir-rx", on_panic, move || read_loop(stream, &rshared, &queue));
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                shared.close();
                let _ = writer.join();
                return Err(e);
            }
        };
        Ok(RedirConnection { shared, reader: Some(reader), writer: Some(writer) })
    }

    /// Sends a MIDI message to the device (queued to the writer thread);
    /// [`GuestError::Busy`] if the writer has [`FRAMES`] buffers waiting.
    ///
    /// # Threading
    /// Any thread, concurrently; blocks only on the guest mutex (held by the
    /// reader while it decodes one read's worth of packets).
    pub fn send_midi(&self, cable: u8, msg: &Midi) -> Result<(), GuestError> {
        let mut g = lock(&self.shared.guest);
        if self.shared.full() {
            return Err(GuestError::Busy(FRAMES));
        }
        g.send_midi(cable, msg)?;
        self.shared.flush(&mut g);
        Ok(())
    }

    /// Whether the reader has ended (peer gone, error, or shutdown).
    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::Acquire)
    }

    /// Closes the socket and joins both threads. Idempotent.
    pub fn shutdown(&mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        self.shared.close();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Drop for RedirConnection {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn read_loop(mut stream: TcpStream, shared: &Shared, queue: &EventQueue) {
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut pending: Vec<Event> = Vec::new();
    // Until the peer's hello, or the report that it has not come: reads
    // time out. Cleared by either, so the report is given once at most.
    let mut waiting = stream.set_read_timeout(Some(HELLO_TIMEOUT)).is_ok();
    let push = |e: Event| shared.push(queue, e);
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A peer that closes with our last bytes unread resets the
            // connection: that is the peer going away, like EOF, not an error.
            Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted) => break,
            // A slow peer is not a dead one: say so once, and keep waiting.
            Err(e) if waiting && matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                waiting = false;
                let _ = stream.set_read_timeout(None);
                let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "the peer".into());
                push(Event::Error(format!(
                    "usbredir: {peer} {NO_HELLO} {} s (still waiting): \
                         is it usbredirect (--as HOST:PORT for connect, --to HOST:PORT for listen)?",
                    HELLO_TIMEOUT.as_secs()
                )));
                continue;
            }
            Err(e) => {
                if !shared.stopping.load(Ordering::Acquire) {
                    push(Event::Error(format!("usbredir connection: {e}")));
                }
                break;
            }
        };
        // The codec refuses lengths above MAX_PACKET_LEN from the header, so
        // `buf` holds at most one packet's worth plus one read.
        buf.extend_from_slice(&chunk[..n]);
        // Events are queued after the guest's lock is released, so that the
        // host's wake callback never runs under it (a wake that sends MIDI
        // would otherwise deadlock). One read yields at most a few thousand.
        let mut g = lock(&shared.guest);
        let r = g.handle_input(&buf, &mut |e| pending.push(e));
        if waiting && g.peer_caps().is_some() {
            waiting = false;
            let _ = stream.set_read_timeout(None);
        }
        shared.flush(&mut g);
        drop(g);
        for e in pending.drain(..) {
            push(e);
        }
        match r {
            Ok(used) => {
                buf.drain(..used);
            }
            Err(e) => {
                push(Event::Error(e.to_string()));
                break;
            }
        }
    }
    shared.end(queue);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtual_device::VirtualDevice;

    /// The virtual device served on loopback in a thread, for tests.
    fn serve_once(listener: TcpListener, notes: u8) -> JoinHandle<Vec<u8>> {
        thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
            let mut played = false;
            let start = std::time::Instant::now();
            dev.serve(&mut s, |link| {
                let dev = &mut *link.device;
                if dev.streaming() && !played {
                    for i in 0..notes {
                        dev.play(0, &Midi::Note { ch: 1, pitch: i, vel: 1 }).unwrap();
                    }
                    played = true;
                }
                if played && !dev.received_midi.is_empty() || start.elapsed() > Duration::from_secs(10) {
                    dev.disconnect().unwrap();
                    return std::ops::ControlFlow::Break(());
                }
                std::ops::ControlFlow::Continue(Duration::from_millis(5))
            })
            .unwrap();
            dev.received_midi
        })
    }

    #[test]
    fn loopback_session_ends_with_disconnected_and_joins() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = serve_once(listener, 50);
        let q = Arc::new(EventQueue::new(1024, None));
        let mut conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
        let mut events = Vec::new();
        for _ in 0..2000 {
            q.drain(|e| events.push(e));
            if events.iter().filter(|e| matches!(e, Event::Midi { .. })).count() == 50 {
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
        conn.send_midi(0, &Midi::Start).unwrap();
        for _ in 0..2000 {
            if conn.is_finished() {
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
        assert!(conn.is_finished());
        q.drain(|e| events.push(e));
        assert!(matches!(events.first(), Some(Event::Connected { .. })));
        assert_eq!(events.last(), Some(&Event::Disconnected));
        assert_eq!(server.join().unwrap(), vec![0x0f, 0xfa, 0, 0]);
        conn.shutdown();
    }

    /// `usbredirect --to` direction: the peer connects to us.
    #[test]
    fn accept_takes_a_connecting_peer_and_stops_on_request() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
            let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            for _ in 0..2000 {
                s.write_all(&dev.take_transmit()).unwrap();
                if let Ok(n) = s.read(&mut chunk) {
                    buf.extend_from_slice(&chunk[..n]);
                }
                let used = dev.handle_input(&buf).unwrap();
                buf.drain(..used);
                if dev.streaming() {
                    break;
                }
            }
            dev.streaming()
        });
        let q = Arc::new(EventQueue::new(16, None));
        let stop = AtomicBool::new(false);
        let conn = RedirConnection::accept(&listener, &stop, GuestConfig::default(), q.clone()).unwrap().unwrap();
        assert!(peer.join().unwrap());
        assert!(matches!(q.pop(), Some(Event::Connected { .. })));
        drop(conn);
        // Stopping an accept that nobody answers.
        let stop = AtomicBool::new(true);
        assert!(RedirConnection::accept(&listener, &stop, GuestConfig::default(), q).unwrap().is_none());
    }

    /// A host whose wake callback sends MIDI at once must not deadlock
    /// the reader (the callback runs on the reader's thread).
    #[test]
    fn wake_callback_may_send_midi() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = serve_once(listener, 5);
        let slot: Arc<Mutex<Option<Arc<RedirConnection>>>> = Arc::new(Mutex::new(None));
        let s2 = slot.clone();
        let q = Arc::new(EventQueue::new(
            1024,
            Some(Box::new(move || {
                if let Some(c) = lock(&s2).as_ref() {
                    let _ = c.send_midi(0, &Midi::Start);
                }
            })),
        ));
        let conn = Arc::new(RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap());
        *lock(&slot) = Some(conn.clone());
        let t = std::time::Instant::now();
        while !conn.is_finished() && t.elapsed() < Duration::from_secs(5) {
            q.drain(|_| {});
            thread::sleep(Duration::from_millis(1));
        }
        assert!(conn.is_finished(), "reader stuck");
        assert_eq!(&server.join().unwrap()[..4], &[0x0f, 0xfa, 0, 0]);
        lock(&slot).take();
    }

    #[test]
    fn shutdown_wakes_a_reader_blocked_on_a_silent_peer() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let q = Arc::new(EventQueue::new(16, None));
        let mut conn = RedirConnection::connect(addr, GuestConfig::default(), q).unwrap();
        let (_peer, _) = listener.accept().unwrap();
        thread::sleep(Duration::from_millis(20));
        assert!(!conn.is_finished());
        let t = std::time::Instant::now();
        conn.shutdown();
        assert!(conn.is_finished());
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    /// The next event, waiting at most `within` (a bound on a hang).
    fn next_event(q: &EventQueue, within: Duration) -> Option<Event> {
        let t = std::time::Instant::now();
        loop {
            if let Some(e) = q.pop() {
                return Some(e);
            }
            if t.elapsed() > within {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    fn is_no_hello(e: &Option<Event>) -> bool {
        matches!(e, Some(Event::Error(t))
            if t.starts_with("usbredir: 127.0.0.1:") && t.contains(NO_HELLO) && t.contains("still waiting"))
    }

    #[test]
    fn a_silent_peer_is_reported_once_and_the_connection_kept() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let q = Arc::new(EventQueue::new(16, None));
        let mut conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
        let (_peer, _) = listener.accept().unwrap();
        let report = next_event(&q, HELLO_TIMEOUT * 4);
        assert!(is_no_hello(&report), "{report:?}");
        // Once: a report per timeout would give another within this.
        assert_eq!(next_event(&q, HELLO_TIMEOUT * 2 + Duration::from_secs(1)), None);
        assert!(!conn.is_finished(), "a silent peer must not end the connection");
        conn.shutdown();
        assert_eq!(q.pop(), None);
    }

    /// A slow peer (QEMU's forwarding before the guest's usbredirect is up)
    /// says hello after the report: it connects on the same connection.
    #[test]
    fn a_hello_after_the_report_connects() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (reported, heard) = std::sync::mpsc::channel::<()>();
        let peer = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            // Silent until the guest has reported the missing hello.
            heard.recv().unwrap();
            let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
            let start = std::time::Instant::now();
            dev.serve(&mut s, |link| match link.device.streaming() || start.elapsed() > Duration::from_secs(10) {
                true => std::ops::ControlFlow::Break(()),
                false => std::ops::ControlFlow::Continue(Duration::from_millis(5)),
            })
            .unwrap();
            dev.streaming()
        });
        let q = Arc::new(EventQueue::new(16, None));
        let mut conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
        let report = next_event(&q, HELLO_TIMEOUT * 4);
        assert!(is_no_hello(&report), "{report:?}");
        reported.send(()).unwrap();
        let connected = next_event(&q, Duration::from_secs(10));
        assert!(matches!(connected, Some(Event::Connected { .. })), "{connected:?}");
        // The peer hangs up once the guest streams.
        assert!(peer.join().unwrap(), "the guest never streamed");
        assert_eq!(next_event(&q, Duration::from_secs(10)), Some(Event::Disconnected));
        conn.shutdown();
        assert_eq!(q.pop(), None);
    }

    /// A panic on the reader (here raised by the host's wake callback, which
    /// runs there) is an error event, ends the connection with
    /// `disconnected`, and leaves both threads joinable.
    #[test]
    fn a_panic_on_the_reader_is_reported_and_ends_the_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = serve_once(listener, 5);
        let panicked = Arc::new(AtomicBool::new(false));
        let p = panicked.clone();
        let q = Arc::new(EventQueue::new(
            1024,
            Some(Box::new(move || {
                if thread::current().name() == Some("pyrus-usb-redir-rx") && !p.swap(true, Ordering::AcqRel) {
                    panic!("a bug in the wake callback");
                }
            })),
        ));
        let mut conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
        let t = std::time::Instant::now();
        while !conn.is_finished() && t.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(1));
        }
        assert!(conn.is_finished(), "the connection still looks open after its reader panicked");
        let mut events = Vec::new();
        q.drain(|e| events.push(e));
        assert!(matches!(events.first(), Some(Event::Connected { .. })), "{events:?}");
        assert!(
            events.iter().any(|e| matches!(e, Event::Error(t)
                if t == "internal error: thread pyrus-usb-redir-rx ended: a bug in the wake callback")),
            "{events:?}"
        );
        assert_eq!(events.last(), Some(&Event::Disconnected));
        conn.shutdown();
        drop(server.join());
    }

    /// The writer's channel is bounded: to a peer that stops reading,
    /// `send_midi` says busy once [`FRAMES`] buffers wait (after the
    /// sockets' own buffers are full) instead of queueing without end or
    /// blocking, and shutdown still ends everything at once.
    #[test]
    fn a_peer_that_stops_reading_makes_send_midi_busy_and_shutdown_still_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (done_tx, done) = std::sync::mpsc::channel::<()>();
        let peer = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
            let start = std::time::Instant::now();
            dev.serve(&mut s, |link| match link.device.streaming() || start.elapsed() > Duration::from_secs(10) {
                true => std::ops::ControlFlow::Break(()),
                false => std::ops::ControlFlow::Continue(Duration::from_millis(5)),
            })
            .unwrap();
            // Reads nothing more, keeping the connection open.
            let _ = done.recv();
            dev.streaming()
        });
        let q = Arc::new(EventQueue::new(1 << 16, None));
        let mut conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
        let t = std::time::Instant::now();
        while !matches!(q.pop(), Some(Event::Connected { .. })) && t.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(1));
        }
        // About 1.4 kB on the wire each. How many the sockets hold depends on
        // the machine's buffer limits (tcp_rmem, tcp_wmem): the test sends
        // until refused, up to 700 MB, beyond any socket's buffers.
        const SENDS: usize = 500_000;
        let sysex = Midi::SysEx([vec![0xf0], vec![1; 1000], vec![0xf7]].concat());
        let refused = (0..SENDS).find_map(|_| conn.send_midi(0, &sysex).err());
        assert_eq!(refused, Some(GuestError::Busy(FRAMES)), "a peer that reads nothing took {SENDS} messages");
        assert!(!conn.is_finished(), "busy is not the end of the connection");
        let t = std::time::Instant::now();
        conn.shutdown();
        assert!(t.elapsed() < Duration::from_secs(5), "shutdown hung behind the full writer");
        done_tx.send(()).unwrap();
        assert!(peer.join().unwrap());
    }

    #[test]
    fn garbage_from_the_peer_is_an_error_event() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let q = Arc::new(EventQueue::new(16, None));
        let conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        // A 4 GiB "hello": refused from the header, nothing allocated.
        peer.write_all(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).unwrap();
        for _ in 0..2000 {
            if conn.is_finished() {
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
        assert!(conn.is_finished());
        assert!(matches!(q.pop(), Some(Event::Error(t)) if t.contains("too long")));
    }
}
