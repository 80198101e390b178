//! `[pyrus]` for Pure Data: a thin translation between Pd's C API and the
//! host-agnostic `pyrus-engine`. Nothing here knows Python.
//!
//! # Thread contract
//!
//! | entry point | called by | on thread | concurrently |
//! |---|---|---|---|
//! | `pyrus_core_setup` | the loader's `pyrus_setup`, `setup_pyrus0x2eusb` or `pyrus_tilde_setup`, when Pd loads the library (once; later calls do nothing) | scheduler | no |
//! | `[pyrus.usb]`'s new, free, anything (`usb.rs`) | Pd | scheduler | no |
//! | `[pyrus~]`'s new, free, bang, symbol, list, anything, `dsp` (`signal.rs`) | Pd | scheduler | no |
//! | `[pyrus~]`'s perform routine (`signal.rs`: copies the inputs, calls the engine's lock-free `Perform::run`; never waits, allocates or touches Python) | Pd's DSP tick | scheduler (in callback mode, the audio callback, holding Pd's lock) | no |
//! | the object's new, free, bang, float, symbol, list, anything | Pd | scheduler | no, but re-entrant through outlets |
//! | the service clock (`service::tick`: the instance context's `Context::service`) | Pd's clock list | scheduler | no |
//! | the waker's poll function (`service::woken`) | Pd's `sys_pollgui` | scheduler | no |
//! | the array methods (`PdHost::array_open`/`array_redraw`/`array_resize`: `pd_findbyclass` of the name, `garray_getfloatwords`, `garray_redraw`, `garray_resize_long`; for `pyrus.array`) | the engine: a synchronous call's operation, or the service carrying out a detached call's request | scheduler | no |
//! | scripts' clocks (`clocks::PdClock`: the engine's tick for `pyrus.after/every`) and the receiver reaper (`clocks::reap`: unbinds and frees dropped receivers) | Pd's clock list | scheduler | no, but a tick runs a `detach 0` callback, re-entrant through outlets |
//! | scripts' receivers' anything (`clocks.rs`: `pyrus.receive`, bound with `pd_bind`) | Pd, for a `[send NAME]` or `; NAME ...` | scheduler | no, but re-entrant through outlets |
//! | the waker itself (`PdHost::wake`: writes one byte to a socket) | the engine | any (workers, script threads, device threads) | yes; never blocks |
//! | `[; pyrus workers N(`, `[; pyrus reload(` (`control.rs`) | Pd | scheduler | no |
//! | the `atexit` handler (`service::at_exit`: ends the engine, never waiting for the GIL, joining its threads for at most 0.5 s in all) | libc `exit()` (Windows: registered with msvcrt's `_onexit`) | the exiting (scheduler) thread | no |
//! | the stand-in classes' creator (`other_float.rs`, only in a Pd of the other float size, which refused ours) | Pd | scheduler | no |
//!
//! Every entry point goes through [`trampoline::guard`], so no panic unwinds
//! into Pd. Nothing here takes Pd's `sys_lock`.
//!
//! Creation flags (`-detach 1`, `-latest`, ...) are Pd's syntax, read here
//! (`options.rs`) into the engine's options; their names and what values
//! they take are the engine's, which checks them as it checks the runtime
//! messages of the same names.
//!
//! # Float size
//!
//! Pd is built with 32-bit floats or, as "Pd64", with 64-bit ones, and an
//! external serves one size only. The `pd64` feature builds this crate (and
//! `pyrus-pd-loader`) for Pd64 with pd-sys's double-precision bindings:
//! `pd::t_float` is then `f64`, and classes are made with Pd64's own
//! `class_new64` (`class_new` here names the one of this build's size). `atoms::PdFloat` converts either size to
//! the engine's `f64` and back, and `PdHost::numbers` tells the engine how
//! many bits Pd keeps (24 or 53). In a Pd of the other size, which refuses
//! our classes, `other_float.rs` registers stand-ins that say which package
//! to install.

mod atoms;
mod clocks;
mod console;
mod control;
mod host;
mod inlets;
mod options;
mod other_float;
mod service;
mod signal;
mod trampoline;
mod usb;

use host::{PdHost, PdOutlets};
use pd_sys as pd;
use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::runtime::{self, RuntimeConfig};
use pyrus_engine::{Context, Object, Options};
use std::borrow::Cow;
use std::ffi::{c_int, c_void, CStr};
use std::path::PathBuf;
use std::ptr::null_mut;
use std::rc::Rc;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, OnceLock};
use trampoline::guard;

/// Pd's object header as Pd lays it out, for the first field of our objects.
/// pd-sys's `t_object` has GCC's Linux layout (48 bytes); Pd for Windows is
/// built with the Microsoft bitfield layout (mingw's default), where
/// `te_type`, a bitfield after three shorts, starts an `unsigned int` of its
/// own: 56 bytes, and Pd would write it over a field of ours at 48.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) object: pd::t_object,
    #[cfg(windows)]
    _ms_bitfield_tail: [u8; 8],
}

/// The Pd object: Pd's header first, then our state.
#[repr(C)]
pub(crate) struct PdPyrus {
    header: Header,
    state: *mut State,
}

struct State {
    outlets: Arc<PdOutlets>,
    /// The inlets after the leftmost, each a small Pd object that knows its index.
    inlets: Vec<*mut inlets::Proxy>,
    /// Shared with running calls, so that freeing the object in the middle of
    /// one of its own calls (through the patch) leaves the call a live engine.
    engine: Rc<Object>,
}

/// Pd's `class_new` for this build's float size: m_pd.h of a
/// double-precision Pd names it `class_new64` (its `class_new` is the stub
/// that refuses 32-bit classes), and pd-sys binds both names as they are.
#[cfg(not(feature = "pd64"))]
pub(crate) use pd::class_new;
#[cfg(feature = "pd64")]
pub(crate) use pd::class_new64 as class_new;

static CLASS: AtomicPtr<pd::_class> = AtomicPtr::new(null_mut());

/// The engine context of this Pd instance, made at setup.
static CONTEXT: OnceLock<Context> = OnceLock::new();

/// The engine context of this Pd instance (None only before setup).
pub(crate) fn context() -> Option<&'static Context> {
    CONTEXT.get()
}

/// Called by the loader (`pyrus.pd_linux`, see `pyrus-pd-loader`) from Pd's
/// `pyrus_setup`, once it has found and loaded a libpython that fits.
///
/// # Safety
/// Called once, on Pd's scheduler thread, during the library's setup.
#[no_mangle]
pub unsafe extern "C" fn pyrus_core_setup() {
    // Both pyrus.pd_linux and pyrus.usb.pd_linux lead here, whichever Pd loads first.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(setup);
}

fn setup() {
    guard("setup", (), || {
        // SAFETY: Pd's class API on Pd's thread during setup; the method
        // pointers are cast to Pd's generic `t_method` and Pd calls each back
        // with the argument list its registration declares (A_GIMME for new,
        // `(x)` for bang and free, `(x, f)` for float, `(x, s)` for symbol,
        // `(x, s, argc, argv)` for list and anything).
        let class = unsafe {
            let class = class_new(
                atoms::gensym("pyrus"),
                Some(std::mem::transmute::<NewFn, unsafe extern "C" fn() -> *mut c_void>(new)),
                Some(std::mem::transmute::<ObjFn, unsafe extern "C" fn()>(free)),
                std::mem::size_of::<PdPyrus>(),
                pd::CLASS_DEFAULT as c_int,
                pd::t_atomtype::A_GIMME,
                pd::t_atomtype::A_NULL,
            );
            pd::class_addbang(class, Some(std::mem::transmute::<ObjFn, unsafe extern "C" fn()>(bang)));
            pd::class_doaddfloat(class, Some(std::mem::transmute::<FloatFn, unsafe extern "C" fn()>(float)));
            pd::class_addsymbol(class, Some(std::mem::transmute::<SymFn, unsafe extern "C" fn()>(symbol)));
            pd::class_addlist(class, Some(std::mem::transmute::<GimmeFn, unsafe extern "C" fn()>(list)));
            pd::class_addanything(class, Some(std::mem::transmute::<GimmeFn, unsafe extern "C" fn()>(anything)));
            pd::class_addmethod(
                class,
                Some(std::mem::transmute::<ClickFn, unsafe extern "C" fn()>(click)),
                atoms::gensym("click"),
                pd::t_atomtype::A_FLOAT,
                pd::t_atomtype::A_FLOAT,
                pd::t_atomtype::A_FLOAT,
                pd::t_atomtype::A_FLOAT,
                pd::t_atomtype::A_FLOAT,
                pd::t_atomtype::A_NULL,
            );
            class
        };
        if class.is_null() {
            // Pd refuses every class of an external built for the other
            // float size (a double-precision Pd and this 32-bit build, or
            // the reverse), and has said so: nothing else may be set up.
            let why = float_size_mismatch();
            console::error(std::ptr::null(), &why);
            return other_float::register(why);
        }
        inlets::setup();
        clocks::setup();
        CLASS.store(class, Ordering::Release);
        let waker = service::create();
        // The instance's context: its console takes script output that
        // belongs to no object, unattributed.
        let _ = CONTEXT.set(Context::new(Arc::new(PdHost::new(waker))));
        control::create();
        usb::setup();
        signal::setup();
        // SAFETY: class_gethelpdir returns the folder the class was loaded
        // from, a NUL-terminated string owned by Pd.
        let dir = unsafe { CStr::from_ptr(pd::class_gethelpdir(class)) };
        let scripts = PathBuf::from(dir.to_string_lossy().into_owned()).join("scripts");
        match runtime::start(&RuntimeConfig::from_env(Some(scripts))) {
            Ok(started) => {
                console::post(&format!("pyrus {} for Pd: {}", env!("CARGO_PKG_VERSION"), started.banner));
                for warning in &started.warnings {
                    console::error(std::ptr::null(), warning);
                }
            }
            Err(why) => console::error(
                std::ptr::null(),
                &format!("pyrus: Python could not start, so no [pyrus] can be created: {why}"),
            ),
        }
    })
}

/// Why no `[pyrus]` can be made in a Pd whose floats are not this build's.
fn float_size_mismatch() -> String {
    let (built, other) = match std::mem::size_of::<pd::t_float>() {
        4 => ("Pd with 32-bit floats", "a double-precision Pd (Pd64)"),
        _ => ("double-precision Pd (Pd64)", "a Pd with 32-bit floats"),
    };
    format!(
        "pyrus: this pyrus is built for {built}, and Pd refused it: install the pyrus package built for {other}, \
         as this Pd is; no [pyrus] or [pyrus.usb] can be made until then"
    )
}

type NewFn = unsafe extern "C" fn(*mut pd::t_symbol, c_int, *const pd::t_atom) -> *mut c_void;
type ObjFn = unsafe extern "C" fn(*mut PdPyrus);
type FloatFn = unsafe extern "C" fn(*mut PdPyrus, pd::t_float);
type SymFn = unsafe extern "C" fn(*mut PdPyrus, *mut pd::t_symbol);
type GimmeFn = unsafe extern "C" fn(*mut PdPyrus, *mut pd::t_symbol, c_int, *const pd::t_atom);
type ClickFn = unsafe extern "C" fn(*mut PdPyrus, pd::t_float, pd::t_float, pd::t_float, pd::t_float, pd::t_float);

/// A click on the object in run mode opens its script, as `open` does.
unsafe extern "C" fn click(
    x: *mut PdPyrus,
    _xpos: pd::t_float,
    _ypos: pd::t_float,
    _shift: pd::t_float,
    _ctrl: pd::t_float,
    _alt: pd::t_float,
) {
    // The object's own `open`, whatever its class defines for `open`.
    let open = [pyrus_engine::atoms::Atom::Symbol(Cow::Borrowed("open"))];
    guard("click", (), || dispatch(x, &Message::Anything(Cow::Borrowed(pyrus_engine::OWN), Cow::Borrowed(&open))))
}

unsafe extern "C" fn new(_s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) -> *mut c_void {
    guard("new", null_mut(), || {
        let Some(ctx) = context().filter(|_| runtime::is_started()) else {
            console::error(std::ptr::null(), "pyrus: Python is not running (see the error at load time)");
            return null_mut();
        };
        // SAFETY: our class was registered in setup with this struct's size;
        // pd_new returns a zeroed object of that size with its header set.
        let x = unsafe { pd::pd_new(CLASS.load(Ordering::Acquire)) }.cast::<PdPyrus>();
        // SAFETY: x is the live object just made.
        let outlets = Arc::new(PdOutlets::new(unsafe { &raw mut (*x).header.object }));
        let mut utf8 = true;
        // SAFETY: Pd passes argc valid atoms.
        let args = unsafe { atoms::from_pd(argc, argv, &mut utf8) };
        if !utf8 {
            warn_utf8(&outlets);
        }
        // SAFETY: during creation the current canvas is the one that holds the
        // new object; canvas_getdir returns its folder as a Pd symbol.
        let dir = unsafe { atoms::symbol_text(pd::canvas_getdir(pd::canvas_getcurrent())) }.0;
        let (target, options) = target_and_options(&outlets, &args);
        let engine = Object::new(ctx, outlets.clone(), &target, options, Some(PathBuf::from(&*dir).as_path()));
        // SAFETY: x is the live object being made, on Pd's thread.
        let extra = unsafe {
            inlets::create(
                x.cast(),
                |x, inlet, m| dispatch_at(x.cast(), inlet, m),
                &raw mut (*x).header.object,
                engine.inlet_count(),
            )
        };
        let state = Box::new(State { outlets, inlets: extra, engine: Rc::new(engine) });
        // SAFETY: x is live and ours; free() takes the box back.
        unsafe { (*x).state = Box::into_raw(state) };
        x.cast()
    })
}

/// `[pyrus NAME ARGS...]`'s target and its flags, which may stand anywhere
/// (`-detach 1`, `-latest`, `-queue N`, `-watch`). A word like a flag where
/// the name belongs is an unknown flag: reported, and the object has no target.
fn target_and_options<'a>(outlets: &PdOutlets, args: &[Atom<'a>]) -> (Vec<Atom<'a>>, Options) {
    use pyrus_engine::Outlets;
    let mut options = Options::default();
    let target = options::take_flags(args, &mut options, outlets, "pyrus");
    if let Some(flag) = target.first().and_then(Atom::as_symbol).filter(|s| s.starts_with('-')) {
        outlets
            .error(&format!("pyrus: unknown flag {flag}: the flags are {}; ignored", options::synopsis::<Options>()));
        return (Vec::new(), options);
    }
    (target, options)
}

fn warn_utf8(outlets: &PdOutlets) {
    use pyrus_engine::Outlets;
    outlets.error("pyrus: a symbol is not valid UTF-8; it was decoded with replacement characters (U+FFFD)");
}

unsafe extern "C" fn free(x: *mut PdPyrus) {
    guard("free", (), || {
        // SAFETY: Pd frees only objects our new() made; state was set there
        // (or is null if new panicked half way) and is taken exactly once.
        let state = unsafe { std::mem::replace(&mut (*x).state, null_mut()) };
        if state.is_null() {
            return;
        }
        // SAFETY: made by Box::into_raw in new().
        let state = unsafe { Box::from_raw(state) };
        state.outlets.detach();
        // SAFETY: the proxies were made by inlets::create for this object and
        // are freed once, here; their inlets go with the object right after.
        unsafe { inlets::free(&state.inlets) };
        drop(state);
    })
}

/// Runs a message through the engine; the engine is kept alive by a clone of
/// its `Rc` for the whole call, whatever the patch does meanwhile.
fn dispatch(x: *mut PdPyrus, message: &Message<'_>) {
    dispatch_at(x, 0, message)
}

/// As [`dispatch`], for a message that arrived at inlet `inlet`.
#[inline(always)] // a frame less between Pd and the engine on every message
pub(crate) fn dispatch_at(x: *mut PdPyrus, inlet: usize, message: &Message<'_>) {
    // SAFETY: Pd calls methods only on live objects made by new(); state is
    // null only if new() failed half way.
    let Some(state) = (unsafe { (*x).state.as_ref() }) else { return };
    let engine = state.engine.clone();
    engine.message(inlet, message);
}

unsafe extern "C" fn bang(x: *mut PdPyrus) {
    guard("bang", (), || dispatch(x, &Message::Bang))
}

unsafe extern "C" fn float(x: *mut PdPyrus, f: pd::t_float) {
    // The hot path: a float owns nothing, and its drop would decode the variant.
    guard("float", (), || dispatch(x, &std::mem::ManuallyDrop::new(Message::Float(atoms::widen(f)))))
}

unsafe extern "C" fn symbol(x: *mut PdPyrus, s: *mut pd::t_symbol) {
    guard("symbol", (), || {
        // SAFETY: Pd passes a live symbol.
        let (text, ok) = unsafe { atoms::symbol_text(s) };
        warn_if_repaired(x, ok);
        dispatch(x, &Message::Symbol(text))
    })
}

unsafe extern "C" fn list(x: *mut PdPyrus, _s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("list", (), || {
        let mut ok = true;
        // SAFETY: Pd passes argc valid atoms.
        let args = unsafe { atoms::from_pd(argc, argv, &mut ok) };
        warn_if_repaired(x, ok);
        dispatch(x, &Message::List(Cow::Owned(args)))
    })
}

unsafe extern "C" fn anything(x: *mut PdPyrus, s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("anything", (), || {
        // SAFETY: Pd passes a live selector symbol and argc valid atoms.
        let ((selector, sel_ok), args, mut ok) = unsafe {
            let mut ok = true;
            let args = atoms::from_pd(argc, argv, &mut ok);
            (atoms::symbol_text(s), args, ok)
        };
        ok &= sel_ok;
        warn_if_repaired(x, ok);
        dispatch(x, &Message::Anything(selector, Cow::Owned(args)))
    })
}

fn warn_if_repaired(x: *mut PdPyrus, ok: bool) {
    if !ok {
        // SAFETY: x is a live object (we are inside one of its methods).
        if let Some(state) = unsafe { (*x).state.as_ref() } {
            warn_utf8(&state.outlets);
        }
    }
}
