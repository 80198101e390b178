//! The kernel of `fake-max`, a Max TEST KERNEL, not Max. It runs Max
//! externals built for Linux (Max itself does not run there), or for Windows
//! under wine, with Max's ABI and Max's threading rules, so that pyrus's Max
//! host and C externals written against the SDK's API can be tested here. It
//! exports the Max C API: on Linux from its executable
//! (`-Wl,--export-dynamic`), on Windows from `MaxAPI.dll`, the library
//! externals import Max's functions from (`fake-max.exe` only calls its
//! `fm_main`). It loads an external (`dlopen` with `RTLD_NOW`, or
//! `LoadLibraryW`) and calls its `ext_main(NULL)`, and is driven one command
//! per line on stdin, one event per line on stdout (the protocol of issue 13):
//!
//! ```text
//! load PATH                     new ID CLASS ARGS...
//! send ID INLET SELECTOR ARGS   sched ID INLET SELECTOR ARGS
//! overdrive 0|1                 wait MS
//! assist ID in|out N            dblclick ID
//! free ID                       quit        (EOF is quit)
//! dsp on SR VS | run SR VS N | fast SR VS N | off
//! signal ID INLET KIND ARGS     capture ID OUTLET FILE
//! ```
//! prints `out ID OUTLET THREAD SELECTOR ARGS...`, `post TEXT`, `error TEXT`,
//! `assist ID in|out N TEXT`, `violation TEXT`. Words: `"a b"` is one
//! symbol; `5` an int, `2.5`/`3.`/`1e3` a float, anything else a symbol. The
//! exit status is non-zero after any violation, load failure or internal
//! error. A warning (`object_warn`) prints as `post CLASS: warning: TEXT`.
//! See README.md for the whole protocol.
//!
//! Threads:
//!
//! | thread | runs | may |
//! |---|---|---|
//! | main (the process's first) | commands in order; `send`, `new`, `free`, `assist`, `dblclick`, `load`; qelems, `defer` (at once when called on main), `defer_low`, A_DEFER methods; quit tasks; with `overdrive 0` also the scheduler's work | outlets, clocks, typedmess |
//! | scheduler (`sched` in `out` lines) | clocks by logical time (1 ms passes), `schedule` calls, `sched` commands (overdrive 1, the default) | outlets, clocks, typedmess |
//! | audio (`dsp on/run/fast` to `dsp off`, see `msp.rs`) | the MSP chain's perform routines, a vector at a time under the chain's lock | nothing but the perform routines' own work; outlets/clocks/typedmess are violations |
//! | stdin reader | reads lines into the main queue; EOF queues `quit` | nothing of Max |
//! | quit watchdog (from quit on) | ends the run as a failure if quit takes over 30 s (`FAKE_MAX_QUIT_MS`) | nothing of Max |
//! | an external's systhreads | the external's code | qelem_set, defer, defer_low, schedule, post; outlets/clocks/typedmess are violations |
//!
//! `free` and `quit` run on main while the scheduler thread keeps running,
//! as in Max. At quit the scheduler's pending `sched` commands and
//! `schedule` calls are dropped, every object is freed on main (creation
//! order), the
//! quit tasks run on main, the scheduler thread is joined (5 s deadline),
//! and the process exits; the stdin reader (blocked in `read`) and any
//! thread an external left running end with the process.
//!
//! Typed methods and creators are called through function pointers cast to
//! a prototype that puts each argument where the platform's convention puts
//! it for the prototype the type list describes (see `fm_call_typed` in
//! csrc/shim.c: by kind on x86-64 SysV and aarch64, by position on Win64).

mod abi;
mod api;
mod buffers;
mod builtins;
mod commands;
mod dispatch;
mod library;
mod msp;
mod output;
mod queues;
mod registry;
mod stdio;
mod symbols;
mod sync;
mod words;

use output::{guarded, Role};
use queues::{main_queue, scheduler};
use std::io::BufRead;
use std::time::{Duration, Instant};
use sync::lock;

/// How long quit (every free, every quit task, the scheduler's end) may
/// take: 30 s, or `FAKE_MAX_QUIT_MS` ms.
fn quit_deadline() -> Duration {
    let ms = std::env::var("FAKE_MAX_QUIT_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(30_000);
    Duration::from_millis(ms)
}

/// Runs the kernel until quit, then exits the process with its status.
pub fn run() -> ! {
    output::set_role(Role::Main);
    let (input, events) = stdio::take();
    output::set_stream(events);
    builtins::register();
    buffers::register();
    #[cfg(windows)]
    if let Err(e) = library::load_max_audio() {
        output::failure(&format!("fake-max: {e}"));
    }
    std::thread::Builder::new().name("stdin".into()).spawn(|| read_commands(input)).expect("start the stdin reader");
    let sched = std::thread::Builder::new()
        .name("scheduler".into())
        // Room for deep calls (Python) on the scheduler thread, as on main.
        .stack_size(8 << 20)
        .spawn(queues::scheduler_thread)
        .expect("start the scheduler thread");
    let mut kernel = commands::Kernel::default();
    main_loop(&mut kernel);
    // A free method or quit task that never returns must not hang the
    // driver: the run fails, saying so.
    let limit = quit_deadline();
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        output::failure(&format!(
            "fake-max: quit did not finish within {limit:?} (a free method or a quit task hangs)"
        ));
        std::process::exit(output::exit_status());
    });
    guarded("quit", || kernel.quit());
    lock(&scheduler().state).stop = true;
    scheduler().wake.notify_all();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !sched.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    if sched.is_finished() {
        let _ = sched.join();
    } else {
        output::failure("fake-max: the scheduler thread did not stop within 5 s of quit");
    }
    std::process::exit(output::exit_status());
}

fn read_commands(input: stdio::Input) {
    let mut reader = std::io::BufReader::new(input);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let done = !matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0);
        let text = if done {
            "quit".to_owned()
        } else {
            String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_owned()
        };
        let q = main_queue();
        lock(&q.state).commands.push_back(text);
        q.wake.notify_all();
        if done {
            return;
        }
    }
}

/// The main thread: its queue's jobs, the scheduler's work with overdrive
/// off, and one command at a time unless a `wait` is running.
fn main_loop(kernel: &mut commands::Kernel) {
    loop {
        guarded("a queued call", queues::run_main_jobs);
        let overdrive = lock(&scheduler().state).overdrive;
        if !overdrive {
            guarded("the scheduler", queues::run_scheduler_pass);
        }
        if kernel.quit {
            return;
        }
        let q = main_queue();
        let mut s = lock(&q.state);
        let now = Instant::now();
        let waiting = kernel.wait_until.filter(|&t| now < t);
        if waiting.is_none() {
            kernel.wait_until = None;
            if let Some(cmd) = s.commands.pop_front() {
                drop(s);
                guarded(&cmd.clone(), || kernel.execute(&cmd));
                continue;
            }
        }
        if !s.jobs.is_empty() {
            continue;
        }
        let mut timeout = Duration::from_millis(if overdrive { 100 } else { 1 });
        if let Some(t) = waiting {
            timeout = timeout.min(t - now);
        }
        let _unused = q.wake.wait_timeout(s, timeout);
    }
}
