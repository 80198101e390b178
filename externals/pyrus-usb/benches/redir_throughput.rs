//! Throughput and latency of the usbredir path: loopback TCP -> reader
//! thread -> guest decoding -> event queue.
//!
//! The peer is the virtual device, already past enumeration, writing
//! pre-encoded `buffered_bulk_packet`s of 16 USB-MIDI events each (64-byte
//! transfers, as a full-speed device delivers them).
//!
//! - throughput: events per second from the first byte written to the last
//!   event available in the queue, with a consumer thread draining it;
//! - latency: one note written at a time; the time from `write` returning
//!   on the peer to the event being poppable from the queue (a superset of
//!   socket-read -> queue: it adds the loopback hop and the reader's wake-up).
//!
//! Plain `harness = false` bench: `cargo bench -p pyrus-usb`.

use pyrus_usb::net::RedirConnection;
use pyrus_usb::usbredir::guest::GuestConfig;
use pyrus_usb::virtual_device::VirtualDevice;
use pyrus_usb::{Event, EventQueue};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Drives the virtual device until the guest streams; returns the device and socket.
fn enumerate(s: &mut TcpStream) -> VirtualDevice {
    s.set_read_timeout(Some(Duration::from_millis(2))).unwrap();
    let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !dev.streaming() {
        s.write_all(&dev.take_transmit()).unwrap();
        if let Ok(n) = s.read(&mut chunk) {
            buf.extend_from_slice(&chunk[..n]);
        }
        let used = dev.handle_input(&buf).unwrap();
        buf.drain(..used);
    }
    s.write_all(&dev.take_transmit()).unwrap();
    dev
}

fn setup(capacity: usize) -> (TcpStream, VirtualDevice, RedirConnection, Arc<EventQueue>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let q = Arc::new(EventQueue::new(capacity, None));
    let conn = RedirConnection::connect(addr, GuestConfig::default(), q.clone()).unwrap();
    let (mut s, _) = listener.accept().unwrap();
    s.set_nodelay(true).unwrap();
    let dev = enumerate(&mut s);
    // Swallow Connected.
    let t = Instant::now();
    while q.pop().is_none() && t.elapsed() < Duration::from_secs(2) {}
    (s, dev, conn, q)
}

fn throughput() {
    const EVENTS: u64 = 4_000_000;
    let (mut s, mut dev, mut conn, q) = setup(1 << 16);
    // Pre-encode: 16 note events per 64-byte transfer.
    let mut usb_midi = Vec::with_capacity(64);
    for i in 0..16u8 {
        usb_midi.extend_from_slice(&[0x09, 0x90, i, 100]);
    }
    dev.play_usb_midi(&usb_midi).unwrap();
    let one = dev.take_transmit();
    let per_packet = 16u64;
    let packets = EVENTS / per_packet;
    let mut wire = Vec::with_capacity(one.len() * 1024);
    for _ in 0..1024 {
        wire.extend_from_slice(&one);
    }

    let got = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let consumer = {
        let (q, got, done) = (q.clone(), got.clone(), done.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            let mut dropped = 0u64;
            while !done.load(Ordering::Acquire) {
                q.drain(|e| match e {
                    Event::Midi { .. } => n += 1,
                    Event::Dropped(d) => dropped += d,
                    _ => {}
                });
                got.store(n, Ordering::Release);
                std::hint::spin_loop();
            }
            (n, dropped)
        })
    };
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < packets {
        let batch = (packets - sent).min(1024);
        s.write_all(&wire[..one.len() * batch as usize]).unwrap();
        sent += batch;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.load(Ordering::Acquire) + q.dropped_total() < EVENTS && Instant::now() < deadline {
        std::thread::yield_now();
    }
    let elapsed = start.elapsed();
    done.store(true, Ordering::Release);
    let (n, _) = consumer.join().unwrap();
    let dropped = q.dropped_total();
    println!(
        "throughput: {} USB-MIDI events decoded into the queue in {:.3} s = {:.0} events/s ({} dropped as queue-full)",
        n + dropped,
        elapsed.as_secs_f64(),
        (n + dropped) as f64 / elapsed.as_secs_f64(),
        dropped
    );
    conn.shutdown();
}

fn latency() {
    const SAMPLES: usize = 20_000;
    let (mut s, mut dev, mut conn, q) = setup(1024);
    dev.play_usb_midi(&[0x09, 0x90, 60, 100]).unwrap();
    let one = dev.take_transmit();
    let mut lat = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + 100 {
        s.write_all(&one).unwrap();
        let t0 = Instant::now();
        loop {
            if let Some(Event::Midi { .. }) = q.pop() {
                break;
            }
            if t0.elapsed() > Duration::from_secs(1) {
                panic!("event lost");
            }
            std::hint::spin_loop();
        }
        if i >= 100 {
            // the first 100 warm up caches and the reader's buffer
            lat.push(t0.elapsed());
        }
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "latency (peer write returned -> event in queue), {SAMPLES} samples: median {:.1} us, p99 {:.1} us, max {:.1} us",
        pct(0.5).as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
        lat[lat.len() - 1].as_secs_f64() * 1e6
    );
    conn.shutdown();
}

fn decode_only() {
    // The guest alone, no socket: the decoding ceiling.
    use pyrus_usb::usbredir::guest::Guest;
    let mut usb_midi = Vec::new();
    for i in 0..16u8 {
        usb_midi.extend_from_slice(&[0x09, 0x90, i, 100]);
    }
    // Replay a whole session into a fresh guest: handshake, then data.
    let mut g = Guest::new(GuestConfig::default());
    let mut host = VirtualDevice::new(VirtualDevice::full_caps());
    let mut to_guest = Vec::new();
    for _ in 0..20 {
        let a = g.take_transmit();
        host.handle_input(&a).unwrap();
        let b = host.take_transmit();
        g.handle_input(&b, &mut |_| {}).unwrap();
        to_guest.extend_from_slice(&b);
    }
    host.play_usb_midi(&usb_midi).unwrap();
    let one = host.take_transmit();
    let mut wire = Vec::new();
    for _ in 0..4096 {
        wire.extend_from_slice(&one);
    }
    let q = EventQueue::new(1 << 17, None);
    let start = Instant::now();
    let mut n = 0u64;
    for _ in 0..16 {
        g.handle_input(&wire, &mut |e| {
            q.push(e);
        })
        .unwrap();
        q.drain(|_| n += 1);
    }
    let el = start.elapsed();
    println!("decode only (guest + queue, one thread, no socket): {:.0} events/s", n as f64 / el.as_secs_f64());
}

fn main() {
    // `cargo bench` passes --bench; any filter arguments are ignored.
    decode_only();
    throughput();
    latency();
}
