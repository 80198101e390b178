//! `[pyrus.usb]` for Max: a thin translation to `pyrus_engine::UsbObject`.
//! One inlet, two outlets (events, status); `@raw` and `@reconnect` are
//! attributes (`attrs.rs`), and `raw 1` / `reconnect 1` messages go to the
//! engine through their setters.
//!
//! # Threading
//! As `[pyrus]`: new, free, assist on main; the messages on main or the
//! scheduler thread, both at once; the engine's `UsbObject` is `Send +
//! Sync` and blocks on nothing. Free passes the same gate (`gate.rs`).

use crate::atoms;
use crate::attrs::{Attributed, Creating};
use crate::host::MaxOutlets;
use crate::trampoline::guard;
use crate::{context, lock, port, write_assist};
use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::{UsbObject, UsbOptions};
use pyrus_max_sys as max;
use std::borrow::Cow;
use std::ffi::{c_char, c_long, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

#[repr(C)]
pub(crate) struct MaxUsb {
    object: max::t_object,
    creating: *mut Creating<UsbOptions>,
    state: *mut State,
}

struct State {
    outlets: Arc<MaxOutlets>,
    engine: Arc<UsbObject>,
    options: Mutex<UsbOptions>,
}

static CLASS: AtomicPtr<max::t_class> = AtomicPtr::new(null_mut());

type NewFn = unsafe extern "C" fn(*mut max::t_symbol, c_long, *mut max::t_atom) -> *mut c_void;
type ObjFn = unsafe extern "C" fn(*mut MaxUsb);
type IntFn = unsafe extern "C" fn(*mut MaxUsb, max::t_atom_long);
type FloatFn = unsafe extern "C" fn(*mut MaxUsb, f64);
type GimmeFn = unsafe extern "C" fn(*mut MaxUsb, *mut max::t_symbol, c_long, *mut max::t_atom);
type AssistFn = unsafe extern "C" fn(*mut MaxUsb, *mut c_void, c_long, c_long, *mut c_char);

/// Registers `[pyrus.usb]`; called once from the library's main.
pub fn setup() {
    // SAFETY: as for `[pyrus]` (lib.rs): Max's class API on the main thread
    // during ext_main, each method registered with its signature's types.
    unsafe {
        let class = crate::box_class(
            c"pyrus.usb",
            new as NewFn,
            crate::BoxMethods {
                free: free as ObjFn,
                bang: bang as ObjFn,
                int: int as IntFn,
                float: float as FloatFn,
                list: list as GimmeFn,
                anything: anything as GimmeFn,
                assist: assist as AssistFn,
            },
        );
        max::class_register(max::gensym(c"box".as_ptr()), class);
        CLASS.store(class, Ordering::Release);
    }
}

unsafe extern "C" fn new(_s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) -> *mut c_void {
    guard("pyrus.usb new", null_mut(), || {
        let Some(ctx) = context() else { return null_mut() };
        // SAFETY: our class was registered with MaxUsb's size.
        let x = unsafe { max::object_alloc(CLASS.load(Ordering::Acquire)) }.cast::<MaxUsb>();
        if x.is_null() {
            return null_mut();
        }
        // SAFETY: x is the live object just made.
        let outlets = Arc::new(MaxOutlets::new(unsafe { &raw mut (*x).object }, "pyrus.usb"));
        // SAFETY: Max passes argc valid atoms.
        let (args, offset) = unsafe { crate::creation_args(argc, argv, &outlets, "pyrus.usb") };
        if let Some(other) = args.get(..offset).and_then(<[_]>::first) {
            use pyrus_engine::Outlets;
            let options = pyrus_engine::OptionName::synopsis(<UsbOptions as pyrus_engine::OptionSet>::NAMES, "@");
            outlets.error(&format!("pyrus.usb: unknown argument {other}: [pyrus.usb] takes {options}"));
        }
        // SAFETY: x is the object being made, on the main thread; Max passes argc atoms.
        let options = unsafe { crate::attrs::from_args(x, &outlets, argc, argv) };
        let engine = UsbObject::new(ctx, outlets.clone(), options);
        let state = State { outlets, engine: Arc::new(engine), options: Mutex::new(options) };
        // SAFETY: x is live and ours; free() takes the box back.
        unsafe { (*x).state = Box::into_raw(Box::new(state)) };
        x.cast()
    })
}

unsafe extern "C" fn free(x: *mut MaxUsb) {
    guard("pyrus.usb free", (), || {
        // SAFETY: Max frees only objects new() made; state is taken once.
        let state = unsafe { std::mem::replace(&mut (*x).state, null_mut()) };
        if state.is_null() {
            return;
        }
        // SAFETY: made by Box::into_raw in new().
        let state = unsafe { Box::from_raw(state) };
        state.outlets.gate.close();
        drop(state);
    })
}

/// As `[pyrus]`'s `with_state`.
fn with_state<R>(x: *mut MaxUsb, f: impl FnOnce(&State) -> R) -> Option<R> {
    // SAFETY: as in lib.rs: a live object; a State taken by free() stays
    // allocated until its gate is closed, which waits for this pass.
    let state = unsafe { (*x).state.as_ref() }?;
    let _pass = state.outlets.gate.enter()?;
    Some(f(state))
}

fn dispatch(x: *mut MaxUsb, message: &Message<'_>) {
    if let Some(engine) = with_state(x, |state| state.engine.clone()) {
        engine.message(message);
    }
}

unsafe extern "C" fn bang(x: *mut MaxUsb) {
    guard("pyrus.usb", (), || dispatch(x, &Message::Bang))
}

unsafe extern "C" fn int(x: *mut MaxUsb, n: max::t_atom_long) {
    guard("pyrus.usb", (), || dispatch(x, &Message::Int(n as i64)))
}

unsafe extern "C" fn float(x: *mut MaxUsb, f: f64) {
    guard("pyrus.usb", (), || dispatch(x, &Message::Float(f)))
}

unsafe extern "C" fn list(x: *mut MaxUsb, _s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("pyrus.usb", (), || {
        let mut ok = true;
        // SAFETY: Max passes argc valid atoms.
        let args = unsafe { atoms::from_max(argc, argv, &mut ok) };
        dispatch(x, &Message::List(Cow::Owned(args)))
    })
}

unsafe extern "C" fn anything(x: *mut MaxUsb, s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("pyrus.usb", (), || {
        let mut ok = true;
        // SAFETY: Max passes a live selector and argc valid atoms.
        let (selector, args) = unsafe { (atoms::symbol_text(s).0, atoms::from_max(argc, argv, &mut ok)) };
        dispatch(x, &Message::from_selector(selector, args))
    })
}

unsafe extern "C" fn assist(x: *mut MaxUsb, _b: *mut c_void, m: c_long, a: c_long, s: *mut c_char) {
    guard("pyrus.usb assist", (), || {
        let index = usize::try_from(a).unwrap_or(0);
        let text = with_state(x, |state| state.engine.describe(port(m), index)).unwrap_or_default();
        // SAFETY: Max passes its 512-byte assist buffer.
        unsafe { write_assist(s, &text) };
    })
}

impl Attributed for MaxUsb {
    type Options = UsbOptions;
    const CLASS: &'static str = "pyrus.usb";

    unsafe fn creating_field(x: *mut Self) -> *mut *mut Creating<UsbOptions> {
        // SAFETY: per the trait's contract, x is live.
        unsafe { &raw mut (*x).creating }
    }

    unsafe fn set_live(x: *mut Self, name: &'static str, value: Vec<Atom<'static>>) {
        with_state(x, |state| {
            let _ = pyrus_engine::OptionSet::set(&mut *lock(&state.options), name, &value);
        });
        dispatch(x, &Message::Anything(Cow::Borrowed(name), Cow::Owned(value)));
    }

    unsafe fn options(x: *mut Self) -> Option<UsbOptions> {
        with_state(x, |state| *lock(&state.options))
    }
}
