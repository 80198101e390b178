//! pyrus-usb: the host-agnostic USB MIDI / HID engine of pyrus.
//!
//! A device is either plugged into this machine ([`local`], through libusb)
//! or plugged into another one and redirected over TCP with the SPICE
//! usbredir protocol ([`net`] around the sans-IO [`usbredir`] guest), as
//! exported by `usbredirect`. Either way its input becomes [`Event`]s in one
//! bounded [`EventQueue`], which the host drains on its scheduler thread as
//! [`pyrus_atoms::Message`]s ([`EventQueue::drain_messages`]), e.g.
//! `note 1 60 100`, `hid 1 48 200`, `connected 4617 28793 pyrus Virtual MIDI HID`.
//! No Python and no Pd or Max here: host crates only forward.
//!
//! # Modules
//! - [`device`]: one [`device::Device`] for every way of reaching a device
//!   (`open`, `connect`, `listen`, `demo`): what a host object holds.
//! - [`usbredir::wire`]: packet codec; [`usbredir::guest`]: the side that uses
//!   a device; [`usbredir::host`]: framing of the side that owns one. Sans-IO.
//! - [`midi`]: USB-MIDI 1.0 packets <-> [`Midi`], SysEx reassembly (bounded).
//! - [`hid`]: report descriptor parser, input reports -> (page, usage, value).
//! - [`descriptors`]: standard USB descriptors fetched over control transfers.
//! - [`queue`]: the event queue; [`event`]: the vocabulary.
//! - [`thread`]: how every thread of the crate starts (a panic is reported, never silent).
//! - [`net`]: reader and writer threads around a guest on a TCP stream; a
//!   peer that sends no hello within [`net::HELLO_TIMEOUT`] is reported once
//!   (an error event) and waited for on the same connection.
//! - [`local`]: rusb devices: list, open, claim, read threads, hotplug.
//! - [`virtual_device`], [`demo`]: a virtual MIDI + HID usbredir host for
//!   tests and `pyrus-usb demo`.
//!
//! # Thread contract
//!
//! Threads the engine starts: per listening [`device::Device`] one acceptor
//! (`pyrus-usb-accept`) until a peer comes; per `demo` one virtual device
//! (`pyrus-usb-demo`); per [`net::RedirConnection`] one reader
//! (`pyrus-usb-redir-rx`) and one writer (`pyrus-usb-redir-tx`); per
//! [`local::LocalDevice`] one reader per IN endpoint (`pyrus-usb-midi-in`,
//! `pyrus-usb-hid-in`) and, where libusb has hotplug, one event thread
//! (`pyrus-usb-events`, which also re-opens a re-plugged device when asked
//! to). Every one is joined by `shutdown`/`close`/drop. Every one starts
//! through [`thread::spawn`]: a panic on it is caught and reported as an
//! error event in the device's queue, and ends the device as that thread's
//! failure would (finished, `disconnected` if it was connected), so that no
//! thread dies silently and leaves a device that looks open.
//!
//! | Entry point | Which thread | Concurrent callers | Blocks on |
//! |---|---|---|---|
//! | [`EventQueue::push`] | engine threads (any) | yes | nothing (lock-free; full = dropped and counted) |
//! | [`EventQueue::pop`], [`drain`](EventQueue::drain), [`drain_messages`](EventQueue::drain_messages) | host scheduler (any) | yes, but meant for one | nothing |
//! | wake callback (host-supplied) | called on an engine thread, possibly inside libusb's hotplug callback | yes | must not block nor do USB I/O; should only schedule a drain (never called under an engine lock) |
//! | [`device::Device::open`] | any (host scheduler is fine) | yes | `connect`: TCP connect; `open`: USB control requests; `listen` and `demo`: nothing long (accepting runs on `pyrus-usb-accept`) |
//! | [`device::Device::send_midi`], [`is_finished`](device::Device::is_finished) | any | yes | as the kind's own `send_midi` below |
//! | [`device::Device::close`] / drop | one (owner) | no (`&mut self`) | joining the kind's threads (below), the acceptor (polls every 50 ms) or the demo peer |
//! | [`net::RedirConnection::connect`] / [`start`](net::RedirConnection::start) | any | yes | TCP connect |
//! | [`net::RedirConnection::accept`] | any | yes | accept, polled every 50 ms against `stop` |
//! | [`net::RedirConnection::send_midi`] | any | yes | the guest mutex (held by the reader while it decodes one read); never the writer: with [`net::FRAMES`] buffers waiting it returns `Busy` |
//! | [`net::RedirConnection::is_finished`] | any | yes | nothing |
//! | [`net::RedirConnection::shutdown`] / drop | one (owner) | no (`&mut self`) | joining the reader and writer (socket shutdown wakes both at once) |
//! | [`local::list`] | any | yes | USB string requests |
//! | [`local::LocalDevice::open`] | any | yes | USB control requests (up to 500 ms each) |
//! | [`local::LocalDevice::send_midi`] | any | yes | the USB write, up to 100 ms |
//! | [`local::LocalDevice::close`] / drop | one (owner) | no (`&mut self`) | joining readers (up to 50 ms, their read timeout) and the event thread (interrupted) |
//! | [`usbredir::guest::Guest`], [`usbredir::wire::Codec`], [`midi::MidiDecoder`], [`hid::HidDecoder`] | any | no: `&mut self`, one caller at a time | nothing (pure computation) |
//!
//! Writes to a usbredir socket are serialized the way usbredir's own
//! multithreading notes ask of `usbredirparser_send_*`: any thread may send,
//! the encoding happens under one lock (the guest's), and one writer thread
//! owns the socket's write side.
#![forbid(unsafe_code)]

pub mod demo;
pub mod descriptors;
pub mod device;
pub mod event;
pub mod hid;
pub mod local;
pub mod midi;
pub mod net;
pub mod queue;
pub mod thread;
pub mod usbredir;
pub mod virtual_device;

pub use event::{Event, Midi};
pub use queue::EventQueue;
