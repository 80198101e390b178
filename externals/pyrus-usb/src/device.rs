//! One handle for every way of reaching a device, as a host object (the
//! coming `[pyrus.usb]`) or the command line names it: `open SPEC`,
//! `connect HOST:PORT`, `listen HOST:PORT`, `demo`.
//!
//! Nothing here blocks for long: `listen` binds at once and accepts on a
//! thread of its own, so a host can call [`Device::open`] on its scheduler
//! thread. (`connect` waits for TCP's connect; `open` for USB control
//! requests, bounded by their timeouts.)
#![forbid(unsafe_code)]

use crate::event::Midi;
use crate::local::{LocalDevice, LocalError, OpenSpec};
use crate::net::RedirConnection;
use crate::queue::EventQueue;
use crate::usbredir::guest::{GuestConfig, GuestError};
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Where the device is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Plugged in here: `open VID:PID|NAME|BUS-ADDR`.
    Local(OpenSpec),
    /// `connect HOST:PORT`, to `usbredirect --as HOST:PORT`.
    Connect(String),
    /// `listen HOST:PORT`, for `usbredirect --to HOST:PORT`.
    Listen(String),
    /// The built-in virtual device, over loopback TCP.
    Demo,
}

impl Target {
    /// Parses `open SPEC`, `connect ADDR`, `listen ADDR` or `demo`.
    pub fn parse(words: &[&str]) -> Result<Self, DeviceError> {
        match words {
            ["open", spec] => Ok(Target::Local(OpenSpec::parse(spec).map_err(DeviceError::Local)?)),
            ["connect", addr] => Ok(Target::Connect((*addr).to_owned())),
            ["listen", addr] => Ok(Target::Listen((*addr).to_owned())),
            ["demo"] => Ok(Target::Demo),
            _ => Err(DeviceError::BadTarget(words.join(" "))),
        }
    }
}

#[derive(Debug)]
#[non_exhaustive]
pub enum DeviceError {
    Local(LocalError),
    Io(io::Error),
    Guest(GuestError),
    /// `send_midi` before a peer connected to a listening device.
    NotConnected,
    BadTarget(String),
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::Local(e) => e.fmt(f),
            DeviceError::Io(e) => e.fmt(f),
            DeviceError::Guest(e) => e.fmt(f),
            DeviceError::NotConnected => f.write_str("no device connected yet"),
            DeviceError::BadTarget(s) => {
                write!(f, "bad target {s:?}: open VID:PID|NAME|BUS-ADDR, connect HOST:PORT, listen HOST:PORT or demo")
            }
        }
    }
}

impl std::error::Error for DeviceError {}

impl From<io::Error> for DeviceError {
    fn from(e: io::Error) -> Self {
        DeviceError::Io(e)
    }
}

/// How to open a device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Also emit `raw` MIDI bytes and whole HID `report`s.
    pub raw: bool,
    /// Local devices: re-open after a re-plug instead of finishing.
    pub reconnect: bool,
}

type Slot = Arc<Mutex<Option<RedirConnection>>>;

enum Inner {
    Local(LocalDevice),
    Redir(RedirConnection),
    /// The acceptor thread puts the connection in the slot when a peer comes.
    Listening {
        addr: SocketAddr,
        stop: Arc<AtomicBool>,
        acceptor: Option<JoinHandle<()>>,
        slot: Slot,
    },
    Demo {
        conn: RedirConnection,
        stop: Arc<AtomicBool>,
        peer: Option<JoinHandle<()>>,
    },
}

/// An open device of any kind, its events going to the queue given at open.
///
/// # Threading
/// `Send + Sync`. [`send_midi`](Self::send_midi) and
/// [`is_finished`](Self::is_finished) from any thread; [`close`](Self::close)
/// (or drop) from the owner: it stops and joins every thread of the device.
pub struct Device {
    inner: Inner,
}

fn lock(slot: &Slot) -> std::sync::MutexGuard<'_, Option<RedirConnection>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Device {
    /// Opens `target`; `raw` adds `raw` MIDI bytes and whole HID `report`s.
    pub fn open(target: &Target, raw: bool, queue: Arc<EventQueue>) -> Result<Self, DeviceError> {
        Self::open_with(target, &Options { raw, reconnect: false }, queue)
    }

    /// Opens `target` with every option.
    pub fn open_with(target: &Target, options: &Options, queue: Arc<EventQueue>) -> Result<Self, DeviceError> {
        let raw = options.raw;
        let config = GuestConfig { raw, ..Default::default() };
        let inner = match target {
            Target::Local(spec) => {
                Inner::Local(LocalDevice::open_with(spec, raw, options.reconnect, queue).map_err(DeviceError::Local)?)
            }
            Target::Connect(addr) => Inner::Redir(RedirConnection::connect(addr.as_str(), config, queue)?),
            Target::Listen(addr) => {
                let listener = TcpListener::bind(addr.as_str())?;
                let addr = listener.local_addr()?;
                let stop = Arc::new(AtomicBool::new(false));
                let slot: Slot = Arc::new(Mutex::new(None));
                let (s, sl, q) = (stop.clone(), slot.clone(), queue.clone());
                let report = queue.clone();
                // A panic leaves the slot empty and the acceptor finished: the device is finished.
                let on_panic = move |why| {
                    report.push(crate::Event::Error(why));
                };
                let acceptor =
                    crate::thread::spawn("pyrus-usb-accept", on_panic, move || {
                        match RedirConnection::accept(&listener, &s, config, q.clone()) {
                            Ok(Some(c)) => *lock(&sl) = Some(c),
                            Ok(None) => {}
                            Err(e) => {
                                q.push(crate::Event::Error(format!("listen: {e}")));
                            }
                        }
                    })?;
                Inner::Listening { addr, stop, acceptor: Some(acceptor), slot }
            }
            Target::Demo => {
                // Loopback only: the virtual device is for this process alone.
                let listener = TcpListener::bind("127.0.0.1:0")?;
                let client = TcpStream::connect(listener.local_addr()?)?;
                let (server, _) = listener.accept()?;
                let stop = Arc::new(AtomicBool::new(false));
                let peer = crate::demo::spawn(server, stop.clone(), queue.clone())?;
                match RedirConnection::start(client, config, queue) {
                    Ok(conn) => Inner::Demo { conn, stop, peer: Some(peer) },
                    Err(e) => {
                        stop.store(true, Ordering::Release);
                        let _ = peer.join();
                        return Err(e.into());
                    }
                }
            }
        };
        Ok(Device { inner })
    }

    /// The bound address of a `listen` device (useful with port 0).
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        match &self.inner {
            Inner::Listening { addr, .. } => Some(*addr),
            _ => None,
        }
    }

    /// Sends one MIDI message to the device.
    ///
    /// # Threading
    /// Any thread, concurrently; see the crate's thread contract for what each kind blocks on.
    pub fn send_midi(&self, cable: u8, msg: &Midi) -> Result<(), DeviceError> {
        match &self.inner {
            Inner::Local(d) => d.send_midi(cable, msg).map_err(DeviceError::Local),
            Inner::Redir(c) | Inner::Demo { conn: c, .. } => c.send_midi(cable, msg).map_err(DeviceError::Guest),
            Inner::Listening { slot, .. } => match lock(slot).as_ref() {
                Some(c) => c.send_midi(cable, msg).map_err(DeviceError::Guest),
                None => Err(DeviceError::NotConnected),
            },
        }
    }

    /// Whether the device or its peer is gone (a listening device that has
    /// no peer yet is not finished).
    pub fn is_finished(&self) -> bool {
        match &self.inner {
            Inner::Local(d) => d.is_finished(),
            Inner::Redir(c) | Inner::Demo { conn: c, .. } => c.is_finished(),
            Inner::Listening { slot, acceptor, .. } => match lock(slot).as_ref() {
                Some(c) => c.is_finished(),
                // The acceptor gave up (an error, already queued).
                None => acceptor.as_ref().is_none_or(|a| a.is_finished()),
            },
        }
    }

    /// Stops and joins everything the device runs. Idempotent.
    pub fn close(&mut self) {
        match &mut self.inner {
            Inner::Local(d) => d.close(),
            Inner::Redir(c) => c.shutdown(),
            Inner::Listening { stop, acceptor, slot, .. } => {
                stop.store(true, Ordering::Release);
                if let Some(a) = acceptor.take() {
                    let _ = a.join();
                }
                if let Some(mut c) = lock(slot).take() {
                    c.shutdown();
                }
            }
            Inner::Demo { conn, stop, peer } => {
                stop.store(true, Ordering::Release);
                conn.shutdown();
                if let Some(p) = peer.take() {
                    let _ = p.join();
                }
            }
        }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;
    use std::time::{Duration, Instant};

    fn collect_until_finished(d: &Device, q: &EventQueue) -> Vec<Event> {
        let mut events = Vec::new();
        let t = Instant::now();
        while !d.is_finished() && t.elapsed() < Duration::from_secs(20) {
            q.drain(|e| events.push(e));
            std::thread::sleep(Duration::from_millis(5));
        }
        q.drain(|e| events.push(e));
        events
    }

    #[test]
    fn targets_parse() {
        assert_eq!(Target::parse(&["demo"]).unwrap(), Target::Demo);
        assert_eq!(Target::parse(&["connect", "h:1"]).unwrap(), Target::Connect("h:1".into()));
        assert_eq!(Target::parse(&["listen", "h:1"]).unwrap(), Target::Listen("h:1".into()));
        assert_eq!(Target::parse(&["open", "1:2"]).unwrap(), Target::Local(OpenSpec::VidPid(1, 2)));
        assert!(matches!(Target::parse(&["open"]), Err(DeviceError::BadTarget(_))));
        assert!(matches!(Target::parse(&["open", "zz:1"]), Err(DeviceError::Local(_))));
    }

    #[test]
    fn demo_device_plays_and_finishes() {
        let q = Arc::new(EventQueue::new(1024, None));
        let mut d = Device::open(&Target::Demo, false, q.clone()).unwrap();
        let events = collect_until_finished(&d, &q);
        assert!(matches!(events.first(), Some(Event::Connected { .. })));
        assert_eq!(events.last(), Some(&Event::Disconnected));
        assert!(events.len() > 20);
        d.close();
    }

    #[test]
    fn listen_does_not_block_and_takes_a_peer_later() {
        let q = Arc::new(EventQueue::new(1024, None));
        let t = Instant::now();
        let mut d = Device::open(&Target::Listen("127.0.0.1:0".into()), false, q.clone()).unwrap();
        assert!(t.elapsed() < Duration::from_millis(500));
        assert!(!d.is_finished());
        assert!(matches!(d.send_midi(0, &Midi::Clock), Err(DeviceError::NotConnected)));
        // The virtual device connects to us, as `usbredirect --to` would.
        let s = TcpStream::connect(d.listen_addr().unwrap()).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let peer = crate::demo::spawn(s, stop.clone(), q.clone()).unwrap();
        let events = collect_until_finished(&d, &q);
        assert!(matches!(events.first(), Some(Event::Connected { .. })));
        assert_eq!(events.last(), Some(&Event::Disconnected));
        d.close();
        stop.store(true, Ordering::Release);
        peer.join().unwrap();
        assert!(!events.iter().any(|e| matches!(e, Event::Error(_))), "{events:?}");
    }

    #[test]
    fn closing_a_listening_device_nobody_called_joins_quickly() {
        let q = Arc::new(EventQueue::new(4, None));
        let mut d = Device::open(&Target::Listen("127.0.0.1:0".into()), false, q).unwrap();
        let t = Instant::now();
        d.close();
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
