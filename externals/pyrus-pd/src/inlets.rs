//! Inlets after the leftmost. Pd tells a method which object got a message,
//! not which inlet: each extra inlet therefore feeds a small proxy object
//! that knows its owner, its index and where its owner's messages go (as
//! pdlua does), for `[pyrus]` and `[pyrus~]` alike.

use crate::atoms;
use crate::trampoline::guard;
use pd_sys as pd;
use pyrus_engine::atoms::Message;
use std::ffi::{c_int, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The proxy: Pd's header first.
#[repr(C)]
pub struct Proxy {
    pd: pd::t_pd,
    owner: *mut c_void,
    index: usize,
    deliver: Deliver,
}

/// Hands a message that arrived at inlet `index` to the owner's engine.
pub type Deliver = fn(owner: *mut c_void, index: usize, message: &Message<'_>);

static CLASS: AtomicPtr<pd::_class> = AtomicPtr::new(null_mut());

/// Registers the proxy class; called once from setup.
pub fn setup() {
    // SAFETY: Pd's class API on its thread during setup. The proxy has no new
    // or free method (made with pd_new, freed with pd_free below) and one
    // anything method with `(x, s, argc, argv)`, which also gets bang, float,
    // symbol and list (Pd's defaults forward those to it).
    unsafe {
        let class = crate::class_new(
            atoms::gensym("pyrus-inlet"),
            None,
            None,
            std::mem::size_of::<Proxy>(),
            (pd::CLASS_PD | pd::CLASS_NOINLET) as c_int,
            pd::t_atomtype::A_NULL,
        );
        type Anything = unsafe extern "C" fn(*mut Proxy, *mut pd::t_symbol, c_int, *const pd::t_atom);
        pd::class_addanything(class, Some(std::mem::transmute::<Anything, unsafe extern "C" fn()>(anything)));
        CLASS.store(class, Ordering::Release);
    }
}

/// Makes inlets 1..count for `owner`, returning their proxies.
///
/// # Safety
/// `owner` must be the live object being created and `object` its header, on
/// Pd's thread.
pub unsafe fn create(owner: *mut c_void, deliver: Deliver, object: *mut pd::t_object, count: usize) -> Vec<*mut Proxy> {
    (1..count)
        .map(|index| {
            // SAFETY: the class was registered in setup with Proxy's size;
            // pd_new returns a zeroed proxy with its header set. The inlet
            // belongs to `object` and sends to the proxy.
            unsafe {
                let proxy = pd::pd_new(CLASS.load(Ordering::Acquire)).cast::<Proxy>();
                (*proxy).owner = owner;
                (*proxy).index = index;
                (*proxy).deliver = deliver;
                pd::inlet_new(object, proxy.cast(), null_mut(), null_mut());
                proxy
            }
        })
        .collect()
}

/// Frees the proxies.
///
/// # Safety
/// Each proxy came from [`create`] and is freed once, from the owner's free
/// method (the inlets that point at them are freed with the owner right after).
pub unsafe fn free(proxies: &[*mut Proxy]) {
    for &proxy in proxies {
        // SAFETY: per the contract.
        unsafe { pd::pd_free(proxy.cast()) };
    }
}

unsafe extern "C" fn anything(x: *mut Proxy, s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("inlet", (), || {
        let mut ok = true;
        // SAFETY: Pd passes a live proxy, a live selector and argc atoms.
        let (owner, index, deliver, selector, args) = unsafe {
            let args = atoms::from_pd(argc, argv, &mut ok);
            ((*x).owner, (*x).index, (*x).deliver, atoms::symbol_text(s).0, args)
        };
        deliver(owner, index, &Message::from_selector(selector, args));
    })
}
