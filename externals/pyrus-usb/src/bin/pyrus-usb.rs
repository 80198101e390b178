//! `pyrus-usb`: the engine from a terminal, one event per line.
//!
//! ```text
//! pyrus-usb list
//! pyrus-usb open VID:PID|NAME|BUS-ADDR [--raw]
//! pyrus-usb connect HOST:PORT [--raw]    # to `usbredirect --as HOST:PORT`
//! pyrus-usb listen HOST:PORT [--raw]     # for `usbredirect --to HOST:PORT`
//! pyrus-usb demo [--raw]                 # the built-in virtual device
//! ```
#![forbid(unsafe_code)]

use pyrus_usb::local::{self, LocalDevice, OpenSpec};
use pyrus_usb::net::RedirConnection;
use pyrus_usb::usbredir::guest::GuestConfig;
use pyrus_usb::{demo, EventQueue};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "usage: pyrus-usb list | open VID:PID|NAME|BUS-ADDR | connect HOST:PORT | listen HOST:PORT | demo  [--raw]";
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

/// Prints events until `stop` is set or `finished()` holds, then once more.
fn pump(q: &EventQueue, stop: &AtomicBool, finished: impl Fn() -> bool) {
    loop {
        if !print_all(q) || stop.load(Ordering::Acquire) || finished() {
            break;
        }
        // Woken by the queue's wake callback or Ctrl-C; the timeout is a safety net.
        std::thread::park_timeout(Duration::from_millis(200));
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("pyrus-usb: {msg}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let raw = all.iter().any(|a| a == "--raw");
    let args: Vec<&str> = all.iter().map(String::as_str).filter(|a| *a != "--raw").collect();

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
    let wake_thread = main_thread.clone();
    let queue = Arc::new(EventQueue::new(QUEUE_CAPACITY, Some(Box::new(move || wake_thread.unpark()))));
    let config = GuestConfig { raw, ..Default::default() };

    match args.as_slice() {
        ["list"] => match local::list() {
            Ok(devs) => {
                for d in devs {
                    println!("{d}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        ["open", spec] => {
            let spec = match OpenSpec::parse(spec) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            let mut dev = match LocalDevice::open(&spec, raw, queue.clone()) {
                Ok(d) => d,
                Err(e) => return fail(e),
            };
            pump(&queue, &stop, || dev.is_finished());
            dev.close();
            print_all(&queue);
            ExitCode::SUCCESS
        }
        ["connect", addr] => match RedirConnection::connect(*addr, config, queue.clone()) {
            Ok(mut c) => {
                pump(&queue, &stop, || c.is_finished());
                c.shutdown();
                print_all(&queue);
                ExitCode::SUCCESS
            }
            Err(e) => fail(format!("connect {addr}: {e}")),
        },
        ["listen", addr] => {
            let listener = match TcpListener::bind(*addr) {
                Ok(l) => l,
                Err(e) => return fail(format!("listen {addr}: {e}")),
            };
            match RedirConnection::accept(&listener, &stop, config, queue.clone()) {
                Ok(Some(mut c)) => {
                    pump(&queue, &stop, || c.is_finished());
                    c.shutdown();
                    print_all(&queue);
                    ExitCode::SUCCESS
                }
                Ok(None) => ExitCode::SUCCESS,
                Err(e) => fail(format!("listen {addr}: {e}")),
            }
        }
        ["demo"] => run_demo(config, queue, &stop),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The virtual device on a loopback-only listener, the engine connected to it.
fn run_demo(config: GuestConfig, queue: Arc<EventQueue>, stop: &Arc<AtomicBool>) -> ExitCode {
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => return fail(format!("demo: {e}")),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => return fail(format!("demo: {e}")),
    };
    let client = match TcpStream::connect(addr) {
        Ok(c) => c,
        Err(e) => return fail(format!("demo: {e}")),
    };
    let server = match listener.accept() {
        Ok((s, _)) => s,
        Err(e) => return fail(format!("demo: {e}")),
    };
    let peer = match demo::spawn(server, stop.clone()) {
        Ok(p) => p,
        Err(e) => return fail(format!("demo: {e}")),
    };
    let mut conn = match RedirConnection::start(client, config, queue.clone()) {
        Ok(c) => c,
        Err(e) => {
            stop.store(true, Ordering::Release);
            let _ = peer.join();
            return fail(format!("demo: {e}"));
        }
    };
    pump(&queue, stop, || conn.is_finished());
    stop.store(true, Ordering::Release);
    conn.shutdown();
    let _ = peer.join();
    print_all(&queue);
    ExitCode::SUCCESS
}
