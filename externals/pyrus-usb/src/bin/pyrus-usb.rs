//! `pyrus-usb`: the engine from a terminal, one event per line.
//!
//! ```text
//! pyrus-usb list
//! pyrus-usb open VID:PID|NAME|BUS-ADDR [--raw] [--reconnect]
//! pyrus-usb connect HOST:PORT [--raw]    # to `usbredirect --as HOST:PORT`
//! pyrus-usb listen HOST:PORT [--raw]     # for `usbredirect --to HOST:PORT`
//! pyrus-usb demo [--raw]                 # the built-in virtual device
//! ```
#![forbid(unsafe_code)]

use pyrus_usb::device::{Device, Options, Target};
use pyrus_usb::{local, EventQueue};
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str =
    "usage: pyrus-usb list | open VID:PID|NAME|BUS-ADDR [--reconnect] | connect HOST:PORT | listen HOST:PORT | demo  [--raw]";
const QUEUE_CAPACITY: usize = 4096;

/// Prints every queued event; false when stdout is gone (e.g. a closed pipe).
fn print_all(q: &EventQueue) -> bool {
    let mut out = std::io::stdout().lock();
    let mut ok = true;
    q.drain_messages(|m| {
        // Flushed per line so that a pipe reader sees each event as it happens.
        ok = ok && writeln!(out, "{m}").and_then(|_| out.flush()).is_ok();
    });
    ok
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("pyrus-usb: {msg}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let options = Options { raw: all.iter().any(|a| a == "--raw"), reconnect: all.iter().any(|a| a == "--reconnect") };
    let args: Vec<&str> = all.iter().map(String::as_str).filter(|a| !matches!(*a, "--raw" | "--reconnect")).collect();

    if args == ["list"] {
        return match local::list() {
            Ok(devs) => {
                for d in devs {
                    println!("{d}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let target = match Target::parse(&args) {
        Ok(t) => t,
        Err(pyrus_usb::device::DeviceError::BadTarget(_)) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        Err(e) => return fail(e),
    };

    let stop = Arc::new(AtomicBool::new(false));
    let main_thread = std::thread::current();
    {
        let stop = stop.clone();
        let t = main_thread.clone();
        if let Err(e) = ctrlc::set_handler(move || {
            stop.store(true, Ordering::Release);
            t.unpark();
        }) {
            return fail(format!("cannot handle Ctrl-C: {e}"));
        }
    }
    // The queue wakes this thread when events arrive: no polling.
    let queue = Arc::new(EventQueue::new(QUEUE_CAPACITY, Some(Box::new(move || main_thread.unpark()))));
    let mut device = match Device::open_with(&target, &options, queue.clone()) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    loop {
        if !print_all(&queue) || stop.load(Ordering::Acquire) || device.is_finished() {
            break;
        }
        // Woken by the queue or by Ctrl-C; the timeout only notices an end
        // that queued nothing.
        std::thread::park_timeout(Duration::from_millis(200));
    }
    device.close();
    print_all(&queue);
    ExitCode::SUCCESS
}
