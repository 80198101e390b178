//! The kernel's output (the protocol's events: see `stdio.rs`), the thread
//! roles and the violation count. Every line goes out whole under one lock
//! and is flushed, so lines of the main thread, the scheduler and external
//! threads never interleave. Any thread.

use super::abi::{Atom, A_FLOAT, A_LONG, A_OBJ, A_SYM};
use super::symbols;
use std::cell::Cell;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

static OUT: OnceLock<Mutex<super::stdio::Output>> = OnceLock::new();

/// Where the events go (once, at start; standard output until then).
pub fn set_stream(out: super::stdio::Output) {
    let _ = OUT.set(Mutex::new(out));
}
static VIOLATIONS: AtomicUsize = AtomicUsize::new(0);
static FAILURES: AtomicUsize = AtomicUsize::new(0);

/// What a thread is to Max.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Main,
    Sched,
    Other,
}

thread_local! {
    static ROLE: Cell<Role> = const { Cell::new(Role::Other) };
}

pub fn set_role(r: Role) {
    ROLE.with(|c| c.set(r));
}

pub fn role() -> Role {
    ROLE.with(|c| c.get())
}

/// `main` or `sched` as `out` lines name the thread.
pub fn thread_name() -> &'static str {
    match role() {
        Role::Main => "main",
        Role::Sched => "sched",
        Role::Other => "other",
    }
}

/// Prints one line (embedded newlines become separate lines of the same kind).
pub fn line(kind: &str, text: &str) {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut all = String::with_capacity(text.len() + kind.len() + 2);
    for part in text.split('\n') {
        all.push_str(kind);
        if !part.is_empty() {
            all.push(' ');
            all.push_str(part);
        }
        all.push('\n');
    }
    let mut out = super::sync::lock(OUT.get_or_init(|| Mutex::new(Box::new(std::io::stdout()))));
    let _ = out.write_all(all.as_bytes());
    let _ = out.flush();
}

/// A rule of Max broken where the kernel can see it: a `violation` line, and
/// the exit status will be non-zero.
pub fn violation(text: &str) {
    VIOLATIONS.fetch_add(1, Ordering::SeqCst);
    line("violation", text);
}

/// A failure of the kernel's own work (a load error): an `error` line and a
/// non-zero exit status.
pub fn failure(text: &str) {
    FAILURES.fetch_add(1, Ordering::SeqCst);
    line("error", text);
}

/// Runs `f`, reporting a panic of the kernel as a failure (an `error` line
/// and a non-zero exit status) rather than letting a thread die silently.
pub fn guarded(what: &str, f: impl FnOnce()) {
    if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()));
        failure(&format!("fake-max: internal error in {what}: {}", msg.unwrap_or_default()));
    }
}

pub fn exit_status() -> i32 {
    i32::from(VIOLATIONS.load(Ordering::SeqCst) + FAILURES.load(Ordering::SeqCst) > 0)
}

/// A float always with a point: `2.5`, `3.0`.
pub fn float_text(f: f64) -> String {
    let s = format!("{f}");
    if f.is_finite() && !s.contains(['.', 'e', 'E']) {
        format!("{s}.0")
    } else {
        s
    }
}

/// A symbol as the protocol writes it: in double quotes if it is empty or
/// has a space (a quote or a backslash escaped with a backslash, a line
/// break written `\n`, so one event stays one line).
pub fn sym_text(s: &str) -> String {
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '"') {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
    } else {
        s.to_owned()
    }
}

pub fn atom_text(a: &Atom) -> String {
    match a.kind() {
        A_LONG => a.as_long().to_string(),
        A_FLOAT => float_text(a.as_float()),
        A_SYM => sym_text(&symbols::name(a.as_sym().unwrap_or(std::ptr::null_mut()))),
        A_OBJ => "<obj>".to_owned(),
        k => format!("<type {k}>"),
    }
}

/// `SELECTOR ARGS...` as one string.
pub fn message_text(sel: &str, args: &[Atom]) -> String {
    let mut s = sym_text(sel);
    for a in args {
        s.push(' ');
        s.push_str(&atom_text(a));
    }
    s
}
