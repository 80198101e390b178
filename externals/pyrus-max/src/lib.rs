//! `[pyrus]`, `[pyrus.usb]` and `[pyrus~]` (`signal.rs`) for Max: a thin
//! translation between Max's C API (our own bindings, `pyrus-max-sys`) and
//! the host-agnostic `pyrus-engine`. Nothing here knows Python.
//!
//! Max loads `pyrus.so` or `pyrus.usb.so` (the loader, `pyrus-max-loader`),
//! which finds and loads a Python, then this library, and calls [`pyrus_max_main`]: it
//! registers its classes once, whichever file Max loaded first.
//!
//! Max's conventions: creation arguments before the first `@` are the
//! target (`[pyrus operator.add 1]`), options are attributes
//! (`@detach 1 @latest`, then `detach 2` as a message; `attrs.rs`), extra
//! inlets are proxies, the status outlet is the rightmost, `assist` texts
//! come from the engine (a class's docstrings), a double click opens the
//! script, errors go through `object_error` so the Max window points at the
//! object. Ints and floats stay apart both ways.
//!
//! # Thread contract
//!
//! | entry point | called by | on thread | concurrently with | blocks on |
//! |---|---|---|---|---|
//! | `pyrus_max_main` (classes, service clock and qelem, quit task, global receiver, Python) | the loader's `ext_main` (once; later calls do nothing) | main | nothing of ours | Python's start |
//! | new (both classes; `attr_args_process` calls the attribute setters inside it) | Max | main | scheduler-thread calls of other objects | the engine's `Object::new` (the GIL) |
//! | bang, int, float, list, anything, attribute setters and getters, both classes | Max | main, or scheduler with Overdrive: both at once, even for one object | each other, on the other thread | what the engine's `Object::message` blocks on (`detach 0`: the GIL, then the object's call lock); re-entrant through outlets |
//! | `open` / `pyrus open` arriving off the main thread | the object's method | scheduler | — | nothing: queued for main through the object's qelem |
//! | the object's open qelem (`run_on_main`: the queued `open`s) | Max's main queue | main | scheduler-thread calls | as a message |
//! | assist, dblclick (dblclick = `pyrus open`) | Max | main | scheduler-thread calls | as a message (dblclick); nothing (assist) |
//! | free | Max | main | a scheduler-thread call of the same object, in flight | the object's gate: waits, with the GIL released, for the other thread's passes (its method's first steps, its outlet calls), never for its own thread's (`gate.rs`); then what dropping the engine object blocks on |
//! | the service clock (`service::tick`: `Context::service`, again after 1 ms while it returns true) | Max's scheduler | scheduler (main without Overdrive) | main-thread calls | nothing (see `Context::service`) |
//! | the main qelem (`service::main_turn`: sets the service clock) | Max's main queue, set by `wake` | main | scheduler-thread calls and service | nothing |
//! | the array methods (`MaxHost::array_open`/`array_close`/`array_redraw`/`array_resize`: a `buffer_ref_new` per operation, `buffer_locksamples` until `array_close`'s `buffer_unlocksamples`, `buffer_setdirty`, the buffer~'s `sizeinsamps`; for `pyrus.array`) | the engine: a synchronous call's operation, or the service carrying out a detached call's request | main or scheduler | the other thread's (a buffer~ may be locked by both: a claim count) | nothing (a lock is a claim, not a wait) |
//! | scripts' clocks (`clocks::MaxClock`: the engine's tick for `pyrus.after/every`) | Max's scheduler | scheduler (main without Overdrive) | main-thread calls | what a `detach 0` call of the object blocks on |
//! | `MaxHost::wake` (`qelem_set` only) | the engine | any (workers, script and device threads) | anything | nothing |
//! | `MaxHost::request_service` | the engine, after a synchronous call and when a job is submitted | scheduler: sets the clock for now and keeps the GIL lease to the end of the pass; main: keeps no lease (says no: the engine gives the GIL back after each main-thread call, so the scheduler thread never waits for main's queue to come round) and sets the clock if the context wants a service (`Context::wants_service`) | the other thread | nothing |
//! | `[; pyrus workers N(`, `[; pyrus reload(` (`control.rs`: `Context::control`) | Max | main or scheduler | the other thread | the engine's (`reload`: the GIL) |
//! | `[pyrus~]` new, free (`z_dsp_free` first: no perform routine of it runs after), assist (`signal.rs`) | Max | main | scheduler-thread calls of other objects | the engine's `SignalObject::new` (the GIL); free: the object's gate, then joining its audio worker (bounded) |
//! | `[pyrus~]` dsp64 (`SignalObject::dsp`: a new `Perform`, the old one dropped) | MSP, compiling its chain (audio on, a new vector size or rate) | main, the chain stopped | scheduler-thread calls | nothing |
//! | `[pyrus~]` perform64 (`Perform::run` only) | MSP's audio thread | audio | anything | nothing: no lock, no allocation, no Python, no Max call |
//! | `[pyrus~]` bang, int, float, list, anything | Max | main, or scheduler with Overdrive | each other | nothing: queued for the object's audio worker (`latency` is answered at once) |
//! | the quit task (`service::at_quit`: ends the engine, never waiting for the GIL, joining its threads for at most 0.5 s in all) | Max, at quit, after freeing every object | main | nothing of ours | joining, bounded |
//!
//! Every entry point goes through [`trampoline::guard`], so no panic unwinds
//! into Max. Outlets are called only on main and the scheduler thread:
//! synchronous calls' outputs where the message arrived, detached results
//! and workers' output from the service clock.

mod atoms;
mod attrs;
mod clocks;
mod console;
mod control;
mod gate;
mod host;
mod inlets;
mod service;
mod signal;
mod trampoline;
mod usb;

use attrs::{Attributed, Creating};
use host::{MaxHost, MaxOutlets};
use pyrus_engine::atoms::{Atom, Message, OwnedMessage};
use pyrus_engine::runtime::{self, RuntimeConfig};
use pyrus_engine::{Context, Object, Options, Outlets, Port, OWN};
use pyrus_max_sys as max;
use std::borrow::Cow;
use std::ffi::{c_char, c_int, c_long, c_short, c_void, CStr};
use std::path::PathBuf;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use trampoline::guard;

/// The Max object: Max's header first, then our state.
#[repr(C)]
pub(crate) struct MaxPyrus {
    object: max::t_object,
    /// Where the proxies write their inlet number (`proxy_getinlet` is what
    /// is read).
    inlet: c_long,
    /// While `new` runs `attr_args_process`: the options being filled.
    creating: *mut Creating<Options>,
    state: *mut State,
}

struct State {
    outlets: Arc<MaxOutlets>,
    /// The inlets after the leftmost.
    proxies: Vec<*mut c_void>,
    /// Shared with running calls, so that freeing the object in the middle of
    /// one of its own calls (on either thread) leaves the call a live engine.
    engine: Arc<Object>,
    /// The options as last set through the attributes (for the getters).
    options: Mutex<Options>,
    /// `open`s that arrived off the main thread, for `opener` to run on main.
    to_main: Mutex<Vec<OwnedMessage>>,
    opener: *mut max::t_qelem,
}

static CLASS: AtomicPtr<max::t_class> = AtomicPtr::new(null_mut());

/// The engine context of this Max instance, made at load.
static CONTEXT: OnceLock<Context> = OnceLock::new();

/// The engine context of this Max instance (None only before load).
pub(crate) fn context() -> Option<&'static Context> {
    CONTEXT.get()
}

/// Called by the loader's `ext_main` once it has found and loaded a
/// libpython that fits.
///
/// # Safety
/// Called on Max's main thread, from `ext_main`.
#[no_mangle]
pub unsafe extern "C" fn pyrus_max_main() {
    // Both pyrus.so and pyrus.usb.so lead here, whichever Max loads first.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| guard("load", (), setup));
}

type NewFn = unsafe extern "C" fn(*mut max::t_symbol, c_long, *mut max::t_atom) -> *mut c_void;
type ObjFn = unsafe extern "C" fn(*mut MaxPyrus);
type IntFn = unsafe extern "C" fn(*mut MaxPyrus, max::t_atom_long);
type FloatFn = unsafe extern "C" fn(*mut MaxPyrus, f64);
type GimmeFn = unsafe extern "C" fn(*mut MaxPyrus, *mut max::t_symbol, c_long, *mut max::t_atom);
type AssistFn = unsafe extern "C" fn(*mut MaxPyrus, *mut c_void, c_long, c_long, *mut c_char);

/// A method as Max stores it.
pub(crate) fn method<F: Copy>(f: F) -> max::method {
    assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<unsafe extern "C" fn()>());
    // SAFETY: F is one of this crate's `unsafe extern "C" fn` types (a
    // function pointer of the same size); Max calls it back with the
    // arguments its registration declares, which are F's.
    Some(unsafe { std::mem::transmute_copy::<F, unsafe extern "C" fn()>(&f) })
}

/// The methods both classes (`[pyrus]`, `[pyrus.usb]`, object type `T`)
/// register alike: free, bang, int (A_LONG), float (A_FLOAT, a double), list
/// and anything (A_GIMME), assist (A_CANT).
pub(crate) struct BoxMethods<T> {
    pub free: unsafe extern "C" fn(*mut T),
    pub bang: unsafe extern "C" fn(*mut T),
    pub int: unsafe extern "C" fn(*mut T, max::t_atom_long),
    pub float: unsafe extern "C" fn(*mut T, f64),
    pub list: unsafe extern "C" fn(*mut T, *mut max::t_symbol, c_long, *mut max::t_atom),
    pub anything: unsafe extern "C" fn(*mut T, *mut max::t_symbol, c_long, *mut max::t_atom),
    pub assist: unsafe extern "C" fn(*mut T, *mut c_void, c_long, c_long, *mut c_char),
}

/// Makes the box class `name` of objects `T` with an A_GIMME creator,
/// `methods` and `T`'s attributes; the caller adds its own and registers it.
///
/// # Safety
/// Max's class API on the main thread during ext_main.
pub(crate) unsafe fn box_class<T: attrs::Attributed>(
    name: &CStr,
    new: NewFn,
    methods: BoxMethods<T>,
) -> *mut max::t_class
where
    T::Options: attrs::Values,
{
    // SAFETY: per the contract. Each method is registered with the
    // argument types its Rust signature has; each type list ends with 0,
    // promoted to int.
    unsafe {
        let class = max::class_new(
            name.as_ptr(),
            method(new),
            method(methods.free),
            std::mem::size_of::<T>() as c_long,
            None,
            max::A_GIMME,
            0 as c_int,
        );
        let add = |f: max::method, selector: &CStr, types: &[c_int]| match types {
            [] => max::class_addmethod(class, f, selector.as_ptr(), 0 as c_int),
            [t] => max::class_addmethod(class, f, selector.as_ptr(), *t, 0 as c_int),
            _ => unreachable!("one argument type at most"),
        };
        add(method(methods.bang), c"bang", &[]);
        add(method(methods.int), c"int", &[max::vararg(max::A_LONG)]);
        add(method(methods.float), c"float", &[max::vararg(max::A_FLOAT)]);
        add(method(methods.list), c"list", &[max::vararg(max::A_GIMME)]);
        add(method(methods.anything), c"anything", &[max::vararg(max::A_GIMME)]);
        add(method(methods.assist), c"assist", &[max::vararg(max::A_CANT)]);
        attrs::add::<T>(class);
        class
    }
}

fn setup() {
    // SAFETY: Max's class API on the main thread during ext_main; dblclick
    // is `(x)`, registered A_CANT, its type list ended with 0 (an int).
    unsafe {
        let class = box_class(
            c"pyrus",
            new as NewFn,
            BoxMethods {
                free: free as ObjFn,
                bang: bang as ObjFn,
                int: int as IntFn,
                float: float as FloatFn,
                list: list as GimmeFn,
                anything: anything as GimmeFn,
                assist: assist as AssistFn,
            },
        );
        let dblclick = method(dblclick as ObjFn);
        max::class_addmethod(class, dblclick, c"dblclick".as_ptr(), max::vararg(max::A_CANT), 0 as c_int);
        max::class_register(max::gensym(c"box".as_ptr()), class);
        CLASS.store(class, Ordering::Release);
    }
    service::create();
    let _ = CONTEXT.set(Context::new(Arc::new(MaxHost)));
    control::create();
    usb::setup();
    signal::setup();
    match runtime::start(&RuntimeConfig::from_env(scripts_dir())) {
        Ok(started) => {
            console::post(&format!("pyrus {} for Max: {}", env!("CARGO_PKG_VERSION"), started.banner));
            for warning in &started.warnings {
                console::error(null_mut(), warning);
            }
        }
        Err(why) => {
            console::error(null_mut(), &format!("pyrus: Python could not start, so no [pyrus] can be created: {why}"))
        }
    }
}

/// The script package, found from this library's own file: `<dir>/scripts`
/// (a flat folder, as the Linux test build), else `<dir>/../scripts` (the
/// Max package: `pyrus/externals/` beside `pyrus/scripts/`).
fn scripts_dir() -> Option<PathBuf> {
    let dir = pyrus_loader::own_folder()?;
    let beside = dir.join("scripts");
    if beside.is_dir() {
        return Some(beside);
    }
    dir.parent().map(|up| up.join("scripts")).filter(|up| up.is_dir()).or(Some(beside))
}

/// The patcher's folder, where scripts are looked for first.
pub(crate) fn patcher_dir() -> Option<PathBuf> {
    let mut buf = [0 as c_char; max::MAX_PATH_CHARS];
    // SAFETY: the output buffer has the MAX_PATH_CHARS bytes the call
    // writes at most; main thread during creation.
    let err = unsafe { max::path_toabsolutesystempath(max::path_getdefault(), c"".as_ptr(), buf.as_mut_ptr()) };
    // SAFETY: the call NUL-terminates within the buffer; we made it zeroed.
    let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
    (err == max::MAX_ERR_NONE && !text.is_empty()).then(|| PathBuf::from(text))
}

/// The atoms of a creator as one vector, and where the first `@` is.
///
/// # Safety
/// Max passes `argc` valid atoms at `argv`.
unsafe fn creation_args(
    argc: c_long,
    argv: *mut max::t_atom,
    outlets: &MaxOutlets,
    class: &str,
) -> (Vec<Atom<'static>>, usize) {
    let mut utf8 = true;
    // SAFETY: per the contract.
    let args = unsafe { atoms::from_max(argc, argv, &mut utf8) };
    if !utf8 {
        warn_utf8(outlets, class);
    }
    // SAFETY: per the contract; Max's count is a short.
    let offset = unsafe { max::attr_args_offset(argc as c_short, argv) };
    let offset = usize::try_from(offset).unwrap_or(0).min(args.len());
    (args, offset)
}

fn warn_utf8(outlets: &MaxOutlets, class: &str) {
    outlets
        .error(&format!("{class}: a symbol is not valid UTF-8; it was decoded with replacement characters (U+FFFD)"));
}

unsafe extern "C" fn new(_s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) -> *mut c_void {
    guard("new", null_mut(), || {
        let Some(ctx) = context().filter(|_| runtime::is_started()) else {
            console::error(null_mut(), "pyrus: Python is not running (see the error at load time)");
            return null_mut();
        };
        // SAFETY: our class was registered with this struct's size;
        // object_alloc returns it zeroed past the header, or null.
        let x = unsafe { max::object_alloc(CLASS.load(Ordering::Acquire)) }.cast::<MaxPyrus>();
        if x.is_null() {
            return null_mut();
        }
        // SAFETY: x is the live object just made; main thread.
        let object = unsafe { &raw mut (*x).object };
        let outlets = Arc::new(MaxOutlets::new(object, "pyrus"));
        // SAFETY: Max passes argc valid atoms.
        let (args, offset) = unsafe { creation_args(argc, argv, &outlets, "pyrus") };
        // SAFETY: x is the object being made, on the main thread; Max passes argc atoms.
        let options = unsafe { attrs::from_args(x, &outlets, argc, argv) };
        let engine = Object::new(ctx, outlets.clone(), &args[..offset], options, patcher_dir().as_deref());
        // SAFETY: x is the live object being made, on the main thread; its
        // `inlet` field lives as long as it.
        let proxies = unsafe { inlets::create(object, &raw mut (*x).inlet, engine.inlet_count()) };
        type OpenFn = unsafe extern "C" fn(*mut MaxPyrus);
        // SAFETY: run_on_main has the qelem function signature `(void *)`,
        // here x; the qelem is freed in free(), before x is.
        let opener = unsafe { max::qelem_new(x.cast(), method(run_on_main as OpenFn)) };
        let state = State {
            outlets,
            proxies,
            engine: Arc::new(engine),
            options: Mutex::new(options),
            to_main: Mutex::new(Vec::new()),
            opener,
        };
        // SAFETY: x is live and ours; free() takes the box back.
        unsafe { (*x).state = Box::into_raw(Box::new(state)) };
        x.cast()
    })
}

unsafe extern "C" fn free(x: *mut MaxPyrus) {
    guard("free", (), || {
        // SAFETY: Max frees only objects new() made; state was set there (or
        // is null if new failed half way) and is taken exactly once. Methods
        // that read the old pointer meanwhile hold a pass of its gate.
        let state = unsafe { std::mem::replace(&mut (*x).state, null_mut()) };
        if state.is_null() {
            return;
        }
        // SAFETY: made by Box::into_raw in new().
        let state = unsafe { Box::from_raw(state) };
        // From here no pass is granted; wait for the other thread's.
        state.outlets.gate.close();
        // SAFETY: the qelem and proxies were made for this object in new()
        // and are freed once, here, on the main thread; the qelem's function
        // can no longer run (it runs on main, which is here).
        unsafe {
            max::qelem_free(state.opener);
            inlets::free(&state.proxies);
        }
        drop(state);
    })
}

/// Runs `f` with the object's state, inside a pass of its gate; `None` when
/// the object is being freed or was never made.
fn with_state<R>(x: *mut MaxPyrus, f: impl FnOnce(&State) -> R) -> Option<R> {
    // SAFETY: Max calls methods on live objects; state is null only before
    // new() finished or once free() took it. A State taken by free() stays
    // allocated until its gate is closed, which waits for this pass.
    let state = unsafe { (*x).state.as_ref() }?;
    let _pass = state.outlets.gate.enter()?;
    Some(f(state))
}

fn on_main() -> bool {
    // SAFETY: a plain query of Max, on any thread.
    unsafe { max::systhread_ismainthread() != 0 }
}

/// Whether `message` at the left inlet is the object's `open` (the editor,
/// which belongs on the main thread). A class's own `in_0_open` goes there
/// too: it may open a window of its own.
fn is_open(message: &Message<'_>) -> bool {
    match message {
        Message::Anything(sel, args) => {
            sel == "open" || (sel == OWN && args.first().and_then(Atom::as_symbol) == Some("open"))
        }
        _ => false,
    }
}

/// Runs a message through the engine, at the inlet it came in.
fn dispatch(x: *mut MaxPyrus, message: &Message<'_>) {
    // SAFETY: x is live (we are in its method); Max says which inlet the
    // message this thread delivers came in.
    let inlet = unsafe { inlets::current(&raw mut (*x).object) };
    dispatch_at(x, inlet, message);
}

fn dispatch_at(x: *mut MaxPyrus, inlet: usize, message: &Message<'_>) {
    let engine = with_state(x, |state| {
        if inlet == 0 && is_open(message) && !on_main() {
            lock(&state.to_main).push(message.clone().into_owned());
            // SAFETY: the object's qelem, live while the pass is held.
            unsafe { max::qelem_set(state.opener) };
            return None;
        }
        Some(state.engine.clone())
    });
    if let Some(Some(engine)) = engine {
        engine.message(inlet, message);
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The object's qelem: the `open`s that came in off the main thread.
unsafe extern "C" fn run_on_main(x: *mut MaxPyrus) {
    guard("open", (), || {
        let queued = with_state(x, |state| std::mem::take(&mut *lock(&state.to_main))).unwrap_or_default();
        for message in queued {
            dispatch_at(x, 0, &message);
        }
    })
}

unsafe extern "C" fn bang(x: *mut MaxPyrus) {
    guard("bang", (), || dispatch(x, &Message::Bang))
}

unsafe extern "C" fn int(x: *mut MaxPyrus, n: max::t_atom_long) {
    guard("int", (), || dispatch(x, &Message::Int(n as i64)))
}

unsafe extern "C" fn float(x: *mut MaxPyrus, f: f64) {
    guard("float", (), || dispatch(x, &Message::Float(f)))
}

unsafe extern "C" fn list(x: *mut MaxPyrus, _s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("list", (), || {
        let mut ok = true;
        // SAFETY: Max passes argc valid atoms.
        let args = unsafe { atoms::from_max(argc, argv, &mut ok) };
        warn_if_repaired(x, ok);
        dispatch(x, &Message::List(Cow::Owned(args)))
    })
}

unsafe extern "C" fn anything(x: *mut MaxPyrus, s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("anything", (), || {
        // SAFETY: Max passes a live selector and argc valid atoms.
        let ((selector, sel_ok), args, ok) = unsafe {
            let mut ok = true;
            let args = atoms::from_max(argc, argv, &mut ok);
            (atoms::symbol_text(s), args, ok)
        };
        warn_if_repaired(x, ok && sel_ok);
        let message = Message::from_selector(selector, args);
        // `pyrus detach 2` sets what `detach 2` (the attribute) sets: the getter follows.
        if let Message::Anything(sel, args) = &message {
            if let (OWN, Some((Atom::Symbol(name), value))) = (&**sel, args.split_first()) {
                note_option(x, name, value);
            }
        }
        dispatch(x, &message)
    })
}

fn warn_if_repaired(x: *mut MaxPyrus, ok: bool) {
    if !ok {
        with_state(x, |state| warn_utf8(&state.outlets, "pyrus"));
    }
}

/// Keeps the getters' copy of the options (a refused value changes nothing,
/// as in the engine's own copy).
fn note_option(x: *mut MaxPyrus, name: &str, value: &[Atom<'_>]) {
    with_state(x, |state| {
        let _ = pyrus_engine::OptionSet::set(&mut *lock(&state.options), name, value);
    });
}

/// Writes `text` into Max's `assist` buffer, cut at a character boundary.
///
/// # Safety
/// `s` points to [`max::ASSIST_BYTES`] writable bytes.
pub(crate) unsafe fn write_assist(s: *mut c_char, text: &str) {
    if s.is_null() {
        return;
    }
    let text = text.replace('\0', " ");
    let mut end = text.len().min(max::ASSIST_BYTES - 1);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // SAFETY: end < ASSIST_BYTES bytes of text and a NUL fit the buffer.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), s.cast::<u8>(), end);
        *s.add(end) = 0;
    }
}

/// Max's `m` of `assist`.
pub(crate) fn port(m: c_long) -> Port {
    if m == max::ASSIST_INLET {
        Port::Inlet
    } else {
        Port::Outlet
    }
}

unsafe extern "C" fn assist(x: *mut MaxPyrus, _b: *mut c_void, m: c_long, a: c_long, s: *mut c_char) {
    guard("assist", (), || {
        let index = usize::try_from(a).unwrap_or(0);
        let text = with_state(x, |state| state.engine.describe(port(m), index)).unwrap_or_default();
        // SAFETY: Max passes its 512-byte assist buffer.
        unsafe { write_assist(s, &text) };
    })
}

/// A double click opens the script, as `pyrus open` does.
unsafe extern "C" fn dblclick(x: *mut MaxPyrus) {
    let open = [Atom::Symbol(Cow::Borrowed("open"))];
    guard("dblclick", (), || dispatch_at(x, 0, &Message::Anything(Cow::Borrowed(OWN), Cow::Borrowed(&open))))
}

impl Attributed for MaxPyrus {
    type Options = Options;
    const CLASS: &'static str = "pyrus";

    unsafe fn creating_field(x: *mut Self) -> *mut *mut Creating<Options> {
        // SAFETY: per the trait's contract, x is live.
        unsafe { &raw mut (*x).creating }
    }

    unsafe fn set_live(x: *mut Self, name: &'static str, value: Vec<Atom<'static>>) {
        note_option(x, name, &value);
        // The runtime message of that name, by the engine's rule: the
        // object's own, unless its class defines `in_0_NAME`.
        dispatch_at(x, 0, &Message::Anything(Cow::Borrowed(name), Cow::Owned(value)));
    }

    unsafe fn options(x: *mut Self) -> Option<Options> {
        with_state(x, |state| *lock(&state.options))
    }
}
