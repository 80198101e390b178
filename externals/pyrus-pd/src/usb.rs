//! `[pyrus.usb]` for Pd: a thin translation to `pyrus_engine::UsbObject`.
//! Same thread contract as `[pyrus]`: every method on Pd's scheduler thread.

use crate::atoms;
use crate::host::PdOutlets;
use crate::options;
use crate::trampoline::guard;
use pd_sys as pd;
use pyrus_engine::atoms::Message;
use pyrus_engine::{Outlets, UsbObject, UsbOptions};
use std::ffi::{c_int, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

#[repr(C)]
struct PdUsb {
    header: crate::Header,
    state: *mut State,
}

struct State {
    outlets: Arc<PdOutlets>,
    engine: UsbObject,
}

static CLASS: AtomicPtr<pd::_class> = AtomicPtr::new(null_mut());

type NewFn = unsafe extern "C" fn(*mut pd::t_symbol, c_int, *const pd::t_atom) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut PdUsb);
type GimmeFn = unsafe extern "C" fn(*mut PdUsb, *mut pd::t_symbol, c_int, *const pd::t_atom);

/// Registers `[pyrus.usb]`; called once from the library's setup.
pub fn setup() {
    // SAFETY: Pd's class API on its thread during setup; each method is cast
    // to Pd's generic method type and called back with the signature its
    // registration declares (A_GIMME for new, `(x)` for free, `(x, s, argc,
    // argv)` for anything, which also receives bang, float, symbol and list).
    unsafe {
        let class = crate::class_new(
            atoms::gensym("pyrus.usb"),
            Some(std::mem::transmute::<NewFn, unsafe extern "C" fn() -> *mut c_void>(new)),
            Some(std::mem::transmute::<FreeFn, unsafe extern "C" fn()>(free)),
            std::mem::size_of::<PdUsb>(),
            pd::CLASS_DEFAULT as c_int,
            pd::t_atomtype::A_GIMME,
            pd::t_atomtype::A_NULL,
        );
        pd::class_addanything(class, Some(std::mem::transmute::<GimmeFn, unsafe extern "C" fn()>(anything)));
        CLASS.store(class, Ordering::Release);
    }
}

unsafe extern "C" fn new(_s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) -> *mut c_void {
    guard("pyrus.usb new", null_mut(), || {
        // Made at setup, before the class exists.
        let Some(ctx) = crate::context() else { return null_mut() };
        // SAFETY: our class was registered with PdUsb's size; pd_new returns
        // a zeroed object with its header set.
        let x = unsafe { pd::pd_new(CLASS.load(Ordering::Acquire)) }.cast::<PdUsb>();
        // SAFETY: x is the live object just made.
        let outlets = Arc::new(PdOutlets::new(unsafe { &raw mut (*x).header.object }));
        let mut ok = true;
        // SAFETY: Pd passes argc valid atoms.
        let args = unsafe { atoms::from_pd(argc, argv, &mut ok) };
        let mut options = UsbOptions::default();
        // Flags only: `-raw`, `-reconnect` (each may say 0 or 1).
        for other in options::take_flags(&args, &mut options, &*outlets, "pyrus.usb") {
            outlets.error(&format!(
                "pyrus.usb: unknown argument {other}: [pyrus.usb] takes {}",
                options::synopsis::<UsbOptions>()
            ));
        }
        let engine = UsbObject::new(ctx, outlets.clone(), options);
        // SAFETY: x is live and ours; free() takes the box back.
        unsafe { (*x).state = Box::into_raw(Box::new(State { outlets, engine })) };
        x.cast()
    })
}

unsafe extern "C" fn free(x: *mut PdUsb) {
    guard("pyrus.usb free", (), || {
        // SAFETY: Pd frees only objects new() made; state is taken once.
        let state = unsafe { std::mem::replace(&mut (*x).state, null_mut()) };
        if state.is_null() {
            return;
        }
        // SAFETY: made by Box::into_raw in new().
        let state = unsafe { Box::from_raw(state) };
        state.outlets.detach();
    })
}

unsafe extern "C" fn anything(x: *mut PdUsb, s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("pyrus.usb", (), || {
        let mut ok = true;
        // SAFETY: Pd passes a live object, a live selector and argc atoms.
        let (state, selector, args) = unsafe {
            let args = atoms::from_pd(argc, argv, &mut ok);
            ((*x).state.as_ref(), atoms::symbol_text(s).0, args)
        };
        if let Some(state) = state {
            state.engine.message(&Message::from_selector(selector, args));
        }
    })
}
