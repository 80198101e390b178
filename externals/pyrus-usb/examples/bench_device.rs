//! The device side of the `[pyrus.usb]` benchmark (`build/bench usb`): the
//! virtual USB MIDI device, served over usbredir on loopback, playing a
//! paced pattern of notes to whoever connects (`[pyrus.usb]`'s `connect`).
//!
//! ```text
//! bench_device rate RATE SECONDS   # RATE notes/s for SECONDS, in 1 ms batches
//! bench_device latency COUNT RATE  # COUNT single notes, spaced 0.5..1.5 / RATE s at random
//! ```
//!
//! Prints `port N` (flushed) once listening on 127.0.0.1, serves one
//! connection, and when the pattern is done unplugs the device (the guest
//! sees `disconnected` after the last note) and prints:
//! - `rate`: `sent N seconds S`, S from the first write to the end of the
//!   last one (writes block while the guest does not read: backpressure
//!   shows as fewer events per second than asked);
//! - `latency`: `sent N`, then `write SEQ NS` per note: its sequence number
//!   (in the note: `seq = (ch - 1) * 128 * 127 + pitch * 127 + vel - 1`) and
//!   CLOCK_MONOTONIC in ns just before the socket write that carried it
//!   (the clock of Python's `time.perf_counter_ns` and `time.monotonic_ns` on
//!   Linux, so the Pd side can stamp arrivals with it).
//!
//! A peer that goes away early ends the pattern (the jitter run quits Pd
//! while notes still stream).
#![deny(unsafe_code)]

use pyrus_usb::virtual_device::{Link, VirtualDevice};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// One MIDI event per USB-MIDI packet: a note on with the sequence number
/// in its channel, pitch and velocity (velocity 1..127: never a note off).
fn note(seq: u64, out: &mut Vec<u8>) {
    let seq = seq % (16 * 128 * 127);
    let (ch, pitch, vel) = ((seq / (128 * 127)) as u8, (seq / 127 % 128) as u8, (seq % 127 + 1) as u8);
    out.extend_from_slice(&[0x09, 0x90 | ch, pitch, vel]);
}

/// CLOCK_MONOTONIC in nanoseconds.
#[allow(unsafe_code)]
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer to a
    // local; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// xorshift64*: spacing that lands at random phases of Pd's tick.
struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Plays notes at `rate` per second for `seconds`, at most one write per
/// millisecond (a full-speed device's frame); breaks when all are written
/// (or the peer is gone).
fn paced(link: &mut Link<'_>, state: &mut Paced) -> ControlFlow<(), Duration> {
    const PERIOD: Duration = Duration::from_millis(1);
    // Below the device's 64 KiB of pending MIDI, whatever the rate.
    const MAX_BATCH: u64 = 8192;
    if !link.device.streaming() {
        return ControlFlow::Continue(Duration::from_millis(5));
    }
    let start = *state.start.get_or_insert_with(Instant::now);
    let due = ((start.elapsed().as_secs_f64() * state.rate) as u64).min(state.total);
    let mut bytes = Vec::new();
    while state.sent < due {
        let n = (due - state.sent).min(MAX_BATCH);
        bytes.clear();
        for seq in state.sent..state.sent + n {
            note(seq, &mut bytes);
        }
        link.device.play_usb_midi(&bytes).expect("a valid packet");
        if link.flush().is_err() {
            return ControlFlow::Break(());
        }
        state.sent += n;
    }
    if state.sent == state.total {
        state.elapsed = start.elapsed();
        return ControlFlow::Break(());
    }
    // Wake at the next period boundary.
    let into = start.elapsed().as_nanos() % PERIOD.as_nanos();
    ControlFlow::Continue(PERIOD - Duration::from_nanos(into as u64))
}

struct Paced {
    rate: f64,
    total: u64,
    sent: u64,
    start: Option<Instant>,
    elapsed: Duration,
}

fn usage() -> ExitCode {
    eprintln!("usage: bench_device rate RATE SECONDS | latency COUNT RATE");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nums: Vec<f64> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (mode, a, b) = match (args.first().map(String::as_str), nums.as_slice()) {
        (Some(m @ ("rate" | "latency")), &[a, b]) if a > 0.0 && b > 0.0 => (m.to_owned(), a, b),
        _ => return usage(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    println!("port {}", listener.local_addr().expect("bound").port());
    std::io::stdout().flush().expect("stdout");
    let (mut s, _) = listener.accept().expect("accept");
    s.set_nodelay(true).expect("TCP_NODELAY");
    let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
    let mut report = String::new();
    if mode == "rate" {
        let mut st = Paced { rate: a, total: (a * b) as u64, sent: 0, start: None, elapsed: Duration::ZERO };
        dev.serve(&mut s, |link| paced(link, &mut st)).expect("serving");
        report += &format!("sent {} seconds {:.6}\n", st.sent, st.elapsed.as_secs_f64());
    } else {
        let (count, rate) = (a as u64, b);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut next: Option<Instant> = None;
        let mut writes: Vec<(u64, u64)> = Vec::with_capacity(count as usize);
        let mut bytes = Vec::new();
        dev.serve(&mut s, |link| {
            if !link.device.streaming() || writes.len() as u64 == count {
                return if writes.len() as u64 == count {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(Duration::from_millis(5))
                };
            }
            // Half a second to settle, then the notes.
            let at = *next.get_or_insert_with(|| Instant::now() + Duration::from_millis(500));
            let now = Instant::now();
            if now < at {
                return ControlFlow::Continue(at - now);
            }
            let seq = writes.len() as u64;
            bytes.clear();
            note(seq, &mut bytes);
            link.device.play_usb_midi(&bytes).expect("a valid packet");
            let t = monotonic_ns();
            if link.flush().is_err() {
                return ControlFlow::Break(());
            }
            writes.push((seq, t));
            next = Some(at + Duration::from_secs_f64((0.5 + rng.unit()) / rate));
            ControlFlow::Continue(next.unwrap().saturating_duration_since(Instant::now()))
        })
        .expect("serving");
        report += &format!("sent {}\n", writes.len());
        for (seq, t) in writes {
            report += &format!("write {seq} {t}\n");
        }
    }
    // Unplug: the guest reports `disconnected` after the last note.
    if dev.disconnect().is_ok() {
        let _ = s.write_all(&dev.take_transmit());
    }
    print!("{report}");
    let _ = std::io::stdout().flush();
    // Until the guest closes (Pd quits), at most 10 s.
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let mut sink = [0u8; 4096];
    while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    ExitCode::SUCCESS
}
