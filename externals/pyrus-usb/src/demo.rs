//! The virtual device served over a TCP stream, playing a short scripted
//! performance: what `pyrus-usb demo` connects the engine to.
#![forbid(unsafe_code)]

use crate::event::{Event, Midi};
use crate::queue::EventQueue;
use crate::virtual_device::VirtualDevice;
use std::io;
use std::net::TcpStream;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One step of the script: wait, then do.
enum Step {
    Midi(u8, Midi),
    Hid(u8, u8),
    Unplug,
}

fn script() -> Vec<(u64, Step)> {
    use Midi::*;
    let mut s = vec![
        (0, Step::Midi(0, Start)),
        (0, Step::Midi(0, Program { ch: 1, n: 5 })),
        (0, Step::Midi(0, Cc { ch: 1, num: 7, val: 100 })),
    ];
    for (i, pitch) in [60u8, 64, 67, 72].into_iter().enumerate() {
        s.push((120, Step::Midi(0, Note { ch: 1, pitch, vel: 90 + i as u8 * 10 })));
        s.push((0, Step::Midi(0, Clock)));
        s.push((100, Step::Midi(0, Note { ch: 1, pitch, vel: 0 })));
    }
    s.extend([
        (80, Step::Midi(0, Bend { ch: 2, v: 4096 })),
        (40, Step::Midi(0, Bend { ch: 2, v: 0 })),
        (40, Step::Midi(0, PolyTouch { ch: 1, pitch: 60, v: 30 })),
        (0, Step::Midi(0, Pressure { ch: 1, v: 50 })),
        (80, Step::Hid(0b0001, 128)),
        (80, Step::Hid(0b0000, 200)),
        (40, Step::Midi(0, SysEx(vec![0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7]))),
        (40, Step::Midi(1, Note { ch: 10, pitch: 36, vel: 127 })),
        (40, Step::Midi(1, Note { ch: 10, pitch: 36, vel: 0 })),
        (40, Step::Midi(0, SongPos(16))),
        (0, Step::Midi(0, Stop)),
        (200, Step::Unplug),
    ]);
    s
}

/// Serves the virtual device on `stream` and plays the script once the
/// guest has started its inputs; ends when the script is done (after the
/// unplug is acknowledged or 1 s), the peer closes, or `stop` is set. A
/// failure of the device (a socket error, bytes that are not usbredir, a
/// panic) is an error event in `queue`, the guest's, beside the
/// `disconnected` the dropped connection gives.
///
/// # Threading
/// Spawns one thread named `pyrus-usb-demo`; join the handle.
pub fn spawn(stream: TcpStream, stop: Arc<AtomicBool>, queue: Arc<EventQueue>) -> io::Result<JoinHandle<()>> {
    let report = queue.clone();
    let on_panic = move |why| {
        report.push(Event::Error(format!("demo device: {why}")));
    };
    crate::thread::spawn("pyrus-usb-demo", on_panic, move || {
        if let Err(e) = serve(stream, &stop) {
            queue.push(Event::Error(format!("demo device: {e}")));
        }
    })
}

fn serve(mut s: TcpStream, stop: &AtomicBool) -> io::Result<()> {
    s.set_nodelay(true)?;
    // How often `stop` is looked at while nothing is due.
    const POLL: Duration = Duration::from_millis(2);
    let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
    let mut steps = script().into_iter().peekable();
    let mut next_at: Option<Instant> = None;
    let mut unplugged: Option<Instant> = None;
    let mut failed = None;
    dev.serve(&mut s, |link| {
        let dev = &mut *link.device;
        if stop.load(Ordering::Acquire) {
            return ControlFlow::Break(());
        }
        if let Some(t) = unplugged {
            let done = dev.disconnect_acked || t.elapsed() > Duration::from_secs(1);
            return if done { ControlFlow::Break(()) } else { ControlFlow::Continue(POLL) };
        }
        let now = Instant::now();
        let Some((delay, _)) = steps.peek().filter(|_| dev.streaming()) else { return ControlFlow::Continue(POLL) };
        let due = *next_at.get_or_insert(now + Duration::from_millis(*delay));
        if now < due {
            return ControlFlow::Continue((due - now).min(POLL));
        }
        next_at = None;
        let Some((_, step)) = steps.next() else { return ControlFlow::Continue(POLL) };
        let r = match step {
            Step::Midi(cable, m) => dev.play(cable, &m),
            Step::Hid(b, x) => dev.hid(b, x),
            Step::Unplug => {
                unplugged = Some(now);
                dev.disconnect()
            }
        };
        match r {
            Ok(()) => ControlFlow::Continue(Duration::ZERO),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    failed.map_or(Ok(()), |e| Err(io::Error::new(io::ErrorKind::InvalidData, e)))
}
