//! The global receiver `pyrus`: messages for the whole library, sent as
//! `[; pyrus workers 4(`, `[; pyrus reload(` or `[; pyrus reload MODULE(`
//! (or `[s pyrus]`), forwarded to the engine (`Context::control`), which
//! says what they mean. Bound on `pyrus`'s `s_thing` if nothing holds it.
//!
//! # Threading
//! Made on main during the library's main; its methods on whichever thread
//! sends (main or scheduler).

use crate::atoms::{from_max, gensym, symbol_text};
use crate::console;
use crate::trampoline::guard;
use pyrus_max_sys as max;
use std::ffi::{c_int, c_long, c_void};

type Gimme = unsafe extern "C" fn(*mut max::t_object, *mut max::t_symbol, c_long, *mut max::t_atom);

/// Makes the one receiver object and binds it to `pyrus`, unless another
/// object is bound there already (said in the Max window).
pub fn create() {
    // SAFETY: Max's class API on the main thread during ext_main. The class
    // is never registered in a name space (it is not a box); its one
    // instance is made with object_alloc, bound and never freed. Its one
    // method is registered as anything, A_GIMME, and has that signature.
    unsafe {
        let class = max::class_new(
            c"pyrus-control".as_ptr(),
            None,
            None,
            std::mem::size_of::<max::t_object>() as c_long,
            None,
            0,
        );
        let forward = crate::method(forward as Gimme);
        max::class_addmethod(class, forward, c"anything".as_ptr(), max::vararg(max::A_GIMME), 0 as c_int);
        let receiver = max::object_alloc(class).cast::<max::t_object>();
        let name = gensym("pyrus");
        if receiver.is_null() {
            return;
        }
        if (*name).s_thing.is_null() {
            (*name).s_thing = receiver;
        } else {
            console::error(std::ptr::null_mut(), "pyrus: something else is bound to 'pyrus': no global receiver");
            let _ = max::object_free(receiver.cast::<c_void>());
        }
    }
}

/// Every message to `pyrus`: the engine says what it means.
unsafe extern "C" fn forward(_x: *mut max::t_object, s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("pyrus", (), || {
        let mut ok = true;
        // SAFETY: Max passes a live selector and argc valid atoms.
        let (selector, args) = unsafe { (symbol_text(s).0, from_max(argc, argv, &mut ok)) };
        if let Some(ctx) = crate::context() {
            ctx.control(&selector, &args);
        }
    })
}
