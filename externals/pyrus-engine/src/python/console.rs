//! What scripts write to `sys.stdout` and `sys.stderr` (`print()`, warnings,
//! tracebacks of `__del__` and of script threads), in the host's console.
//!
//! The bootstrap replaces both streams (see `runtime`) with writers that call
//! [`write`]: nothing a script prints goes to the process's own stdout or
//! stderr, which a Pd started from a desktop menu does not show and which,
//! as a pipe nobody reads, would block the thread that writes.
//!
//! - Lines: text is kept per thread, stream and object until a newline, so
//!   `print("a", "b")` (four writes) is one line; what is left at the end of
//!   a call, of a script thread, or of a scheduler pass is a line of its own.
//!   A line longer than [`MAX_LINE_BYTES`] is cut, saying how much was left out.
//! - Where: stdout lines are posts, stderr lines errors, of the object whose
//!   call runs on this thread (its output: straight to the host on a host
//!   thread, through the mailbox elsewhere, so no other thread calls the
//!   host). Without one they go to a console unattributed: on a host thread
//!   in its context's service or global reload (code a global reload runs),
//!   directly to that context's; elsewhere (a thread no object started)
//!   through the first live context's mailbox, as object 0.
//! - Floods: at most [`LINES_PER_SECOND`] lines per object and stream each
//!   second; the rest are counted, and `... N lines left out` follows once
//!   that second is over ([`Windows::take_left_out`], from the service). Each
//!   context keeps its own objects' windows.
//!
//! It also keeps the caller stack: which object's call runs on this thread
//! ([`call_as`], [`with_caller`]), where output and `pyrus.*` go.
//!
//! # Threading
//! The caller stack is per thread by nature. [`write`] and [`end_of_call`]: any thread attached to Python; they never
//! block but as the mailbox does (see [`crate::detach::sink::Sink`]).
//! [`Windows::take_left_out`] and [`end_of_pass`]: a host thread, from
//! [`crate::Context::service`]. Each context's rate windows are behind one
//! mutex held for O(1) work, never across a call to a host.

use crate::context;
use crate::detach::marshal::{Delivery, ObjectId};
use crate::out::Out;
use crate::python::gil;
use crate::sync::lock;
use pyo3::exceptions::PyRuntimeError;
use pyo3::PyResult;
use pyrus_atoms::Numbers;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lines shown per object and stream each second; the rest are counted.
pub const LINES_PER_SECOND: u32 = 1000;

/// The longest line shown whole; the rest of it is counted.
pub const MAX_LINE_BYTES: usize = 8192;

pub(crate) use crate::detach::marshal::NO_OBJECT;

/// The object a script's `pyrus.*` calls act on.
pub(crate) struct Caller {
    /// Where its output goes: straight to the host on a host thread,
    /// through the mailbox elsewhere.
    pub out: Out,
    /// Outlets a script may use; the status outlet after them is the
    /// engine's. None while the object is being created: the class being
    /// imported decides its outlets, and the host has not made them yet. A
    /// thread started then (at import) learns them from the object once it
    /// is made ([`crate::python::core::created_outlets`]); what is sent meanwhile
    /// waits in the mailbox for the outlets (see [`Out::Creating`]).
    pub data_outlets: Option<usize>,
    pub id: ObjectId,
    /// The host's number model, for converting what the script sends.
    pub numbers: Numbers,
}

thread_local! {
    /// The owner a script thread acts for, kept for the thread's life.
    #[allow(clippy::vec_box)] // each box keeps its caller where the current object points while the list grows
    static ADOPTED: RefCell<Vec<Box<Caller>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `caller` as this thread's current object; it is popped
/// when `f` returns or unwinds.
///
/// The stack is per thread by nature: it says which call runs on *this*
/// thread, so two host threads each calling objects (Max's main and
/// scheduler threads) each see their own caller.
///
/// This thread's current object lives in a `Cell` beside its GIL lease
/// ([`gil::current_caller`]): the caller of the innermost `call_as` frame
/// running on this thread (each frame keeps the one it covers and puts it
/// back), else this thread's adopted owner (see `ADOPTED`), else null. A
/// plain pointer, so that entering a call costs no reference count, no
/// borrow and no push; a synchronous call sets it under the same lookup of
/// the thread-local as its lease ([`gil::sync_call_as`]).
pub(crate) fn call_as<R>(caller: &Caller, f: impl FnOnce() -> R) -> R {
    gil::call_cells(|current, arrays| call_as_in(current, arrays, caller, f))
}

/// [`call_as`] with this thread's current object cell in hand.
/// `arrays` is this thread's count of `pyrus.Array` handles: those the call
/// makes are cleared when it ends (see `crate::arrays::script`).
pub(crate) fn call_as_in<R>(
    current: &Cell<*const Caller>,
    arrays: &Cell<usize>,
    caller: &Caller,
    f: impl FnOnce() -> R,
) -> R {
    let _restore = Restore { caller, current, covered: current.replace(caller), arrays, mark: arrays.get() };
    f()
}

/// Puts back the object a call covered when dropped (also when it unwinds).
struct Restore<'a> {
    caller: &'a Caller,
    current: &'a Cell<*const Caller>,
    covered: *const Caller,
    /// The thread's count of array handles, and what it was when the call began.
    arrays: &'a Cell<usize>,
    mark: usize,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        self.current.set(self.covered);
        if self.arrays.get() > self.mark {
            crate::arrays::script::end_of_call(self.arrays, self.mark);
        }
        // What the call printed without a final newline is a line now.
        end_of_call(self.caller);
    }
}

/// Runs `f` with the object whose call runs on this thread, if any.
pub(crate) fn with_caller<R>(f: impl FnOnce(Option<&Caller>) -> R) -> R {
    let top = gil::current_caller(|current| current.get());
    // SAFETY: a non-null current object is the caller borrowed by a
    // `call_as` frame still running on this thread (`Restore` puts back the
    // one it covered before that borrow ends, also when unwinding), or one
    // that `ADOPTED` owns for the rest of the thread's life (never removed).
    // `f` runs below that frame, on this thread, so the caller outlives it.
    f(unsafe { top.as_ref() })
}

/// As [`with_caller`], for `pyrus.WHAT()`: an error outside any call.
pub(crate) fn current<R>(what: &str, f: impl FnOnce(&Caller) -> PyResult<R>) -> PyResult<R> {
    with_caller(|caller| match caller {
        Some(caller) => f(caller),
        None => Err(PyRuntimeError::new_err(format!(
            "pyrus.{what}() was called outside a call from a pyrus object on this thread"
        ))),
    })
}

/// Makes this thread act for `caller` until it ends (a script thread's
/// owner): never popped. The box does not move when the list grows.
pub(crate) fn adopt(caller: Box<Caller>) {
    gil::current_caller(|current| current.set(&*caller));
    ADOPTED.with(|a| a.borrow_mut().push(caller));
}

const WINDOW: Duration = Duration::from_secs(1);

/// One of the two streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Stream {
    Out,
    Err,
}

/// A line begun and not yet ended.
struct Partial {
    id: ObjectId,
    stream: Stream,
    text: String,
    /// Bytes beyond [`MAX_LINE_BYTES`], not kept.
    cut: usize,
}

/// This thread's partial lines; what a thread leaves when it ends goes out
/// unattributed, without Python (its thread state is gone by then).
struct Partials(Vec<Partial>);

impl Drop for Partials {
    fn drop(&mut self) {
        BEGUN.fetch_sub(self.0.len(), Ordering::Relaxed);
        for partial in self.0.drain(..) {
            if let (Some(line), Some(ctx)) = (finish(partial.text, partial.cut), context::first()) {
                let _ = ctx.push(NO_OBJECT, delivery(partial.stream, line));
            }
        }
    }
}

thread_local! {
    static PARTIALS: RefCell<Partials> = const { RefCell::new(Partials(Vec::new())) };
}

/// Partial lines on all threads: every call's end looks here first, one
/// atomic load, instead of in its thread's `PARTIALS` (a dynamic TLS lookup
/// and a borrow, most of what the end of a trivial call costs here).
static BEGUN: AtomicUsize = AtomicUsize::new(0);

/// Writes `text` to `stream` for the current caller of this thread.
pub(crate) fn write(stream: Stream, text: &str) {
    with_caller(|caller| write_for(caller, stream, text));
}

fn write_for(caller: Option<&Caller>, stream: Stream, text: &str) {
    let id = caller.map_or(NO_OBJECT, |c| c.id);
    // The lines ended by this write; the borrow ends before they go out.
    let mut lines = Vec::new();
    PARTIALS.with(|p| {
        let partials = &mut p.borrow_mut().0;
        let at = match partials.iter().position(|p| p.id == id && p.stream == stream) {
            Some(at) => at,
            None => {
                partials.push(Partial { id, stream, text: String::new(), cut: 0 });
                BEGUN.fetch_add(1, Ordering::Relaxed);
                partials.len() - 1
            }
        };
        let partial = &mut partials[at];
        let mut rest = text;
        while let Some(end) = rest.find('\n') {
            append(partial, &rest[..end]);
            lines.extend(finish(std::mem::take(&mut partial.text), std::mem::take(&mut partial.cut)));
            rest = &rest[end + 1..];
        }
        append(partial, rest);
        if partial.text.is_empty() && partial.cut == 0 {
            partials.swap_remove(at);
            BEGUN.fetch_sub(1, Ordering::Relaxed);
        }
    });
    for line in lines {
        emit(caller, id, stream, line);
    }
}

/// The call of `caller` on this thread ended: its partial lines are lines.
/// Inlined into every call's way out, where the common case is one load.
#[inline]
pub(crate) fn end_of_call(caller: &Caller) {
    if begun() {
        flush(|p| p.id == caller.id, |id, stream, line| emit(Some(caller), id, stream, line));
    }
}

/// The end of a scheduler pass: partial lines that belong to no object
/// (a global reload's `print(..., end="")`) are lines.
pub(crate) fn end_of_pass() {
    if begun() {
        flush(|p| p.id == NO_OBJECT, |id, stream, line| emit(None, id, stream, line));
    }
}

/// Whether a line has begun anywhere and not ended. A line this thread began
/// is counted already (same thread, program order).
fn begun() -> bool {
    BEGUN.load(Ordering::Relaxed) != 0
}

/// Makes lines of the partial ones `which` picks, each handed to `out`.
/// Out of line: rare, and kept out of the calls' way out.
#[cold]
fn flush(which: impl Fn(&Partial) -> bool, mut out: impl FnMut(ObjectId, Stream, String)) {
    let taken: Vec<Partial> = PARTIALS.with(|p| {
        let partials = &mut p.borrow_mut().0;
        if partials.is_empty() {
            return Vec::new();
        }
        let (taken, kept): (Vec<Partial>, Vec<Partial>) = std::mem::take(partials).into_iter().partition(|p| which(p));
        *partials = kept;
        BEGUN.fetch_sub(taken.len(), Ordering::Relaxed);
        taken
    });
    for p in taken {
        if let Some(line) = finish(p.text, p.cut) {
            out(p.id, p.stream, line);
        }
    }
}

fn append(partial: &mut Partial, text: &str) {
    let room = MAX_LINE_BYTES.saturating_sub(partial.text.len());
    if text.len() <= room {
        return partial.text.push_str(text);
    }
    let mut keep = room;
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    partial.text.push_str(&text[..keep]);
    partial.cut += text.len() - keep;
}

/// The finished line, if there is anything to show.
fn finish(text: String, cut: usize) -> Option<String> {
    match cut {
        0 if text.is_empty() => None,
        0 => Some(text),
        n => Some(format!("{text} ... ({n} more bytes of this line left out)")),
    }
}

fn delivery(stream: Stream, line: String) -> Delivery {
    match stream {
        Stream::Out => Delivery::Post(line),
        Stream::Err => Delivery::Error(line),
    }
}

/// Sends one line where it belongs, if the rate allows.
fn emit(caller: Option<&Caller>, id: ObjectId, stream: Stream, line: String) {
    // No object: the console of the context whose host thread this is,
    // else the first context's, through its mailbox.
    let (ctx, direct) = match caller {
        Some(caller) => (caller.out.ctx().clone(), true),
        None => match context::host_thread() {
            Some(ctx) => (ctx, true),
            None => match context::first() {
                Some(ctx) => (ctx, false),
                None => return,
            },
        },
    };
    let (left_out, show) = windows(&ctx).admit(id, stream);
    for text in left_out.map(left_out_line).into_iter().chain(show.then_some(line)) {
        match (caller, direct) {
            (Some(caller), _) => match stream {
                Stream::Out => caller.out.post(&text),
                Stream::Err => caller.out.error(&text),
            },
            (None, true) => match stream {
                Stream::Out => ctx.host().post(&text),
                Stream::Err => ctx.host().error(&text),
            },
            (None, false) => {
                let _ = ctx.push(NO_OBJECT, delivery(stream, text));
            }
        }
    }
}

fn left_out_line(n: u64) -> String {
    let lines = if n == 1 { "line" } else { "lines" };
    format!("pyrus: ... {n} {lines} left out (at most {LINES_PER_SECOND} a second are shown)")
}

/// One object's and stream's rate in the current second.
struct Window {
    start: Instant,
    shown: u32,
    left_out: u64,
}

/// One context's rate windows, per object and stream.
pub(crate) fn windows(ctx: &crate::context::Context) -> std::sync::Arc<Windows> {
    ctx.part::<Windows>()
}

/// One context's rate windows, per object and stream (a part of the
/// context, see `Context::part`).
#[derive(Default)]
pub(crate) struct Windows {
    windows: Mutex<HashMap<(ObjectId, Stream), Window>>,
    /// Whether any window has lines left out that are not reported yet.
    any_left_out: AtomicBool,
}

impl Windows {
    /// Whether a line may be shown now, and the count of lines left out in the
    /// second that just ended, to be reported first.
    fn admit(&self, id: ObjectId, stream: Stream) -> (Option<u64>, bool) {
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        // Objects come and go: forget the seconds that are over, now and then.
        if windows.len() > 1024 {
            windows.retain(|_, w| w.left_out > 0 || now.duration_since(w.start) < WINDOW);
        }
        let window = windows.entry((id, stream)).or_insert(Window { start: now, shown: 0, left_out: 0 });
        let mut report = None;
        if now.duration_since(window.start) >= WINDOW {
            report = Some(std::mem::take(&mut window.left_out)).filter(|&n| n > 0);
            *window = Window { start: now, shown: 0, left_out: 0 };
        }
        if window.shown < LINES_PER_SECOND {
            window.shown += 1;
            return (report, true);
        }
        window.left_out += 1;
        self.any_left_out.store(true, Ordering::Release);
        (report, false)
    }

    /// Whether lines left out wait to be counted in the console.
    pub(crate) fn any_left_out(&self) -> bool {
        self.any_left_out.load(Ordering::Acquire)
    }

    /// Reports, as one line each, the lines left out in seconds that are over
    /// (through `deliver`, with the object and the delivery); forgets windows
    /// that are over. Counts still to come leave [`Windows::any_left_out`] set.
    pub(crate) fn take_left_out(&self, mut deliver: impl FnMut(ObjectId, Delivery)) {
        if !self.any_left_out.load(Ordering::Acquire) {
            return;
        }
        let now = Instant::now();
        let mut reports = Vec::new();
        {
            let mut windows = lock(&self.windows);
            windows.retain(|&(id, stream), w| {
                if now.duration_since(w.start) < WINDOW {
                    return true;
                }
                if w.left_out > 0 {
                    reports.push((id, delivery(stream, left_out_line(w.left_out))));
                }
                false
            });
            let pending = windows.values().any(|w| w.left_out > 0);
            self.any_left_out.store(pending, Ordering::Release);
        }
        for (id, d) in reports {
            deliver(id, d);
        }
    }
}
