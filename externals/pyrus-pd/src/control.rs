//! The global receiver `pyrus`: messages for the whole library, sent as
//! `[; pyrus workers 4(`, `[; pyrus reload(` or `[; pyrus reload MODULE(`,
//! forwarded to the engine (`Context::control`), which says what they mean.

use crate::atoms::gensym;
use crate::trampoline::guard;
use pd_sys as pd;
use std::ffi::c_int;

/// Binds a small Pd object to the name `pyrus`; called once from setup.
pub fn create() {
    // SAFETY: Pd's class API on its thread during setup. The class has no
    // new or free method; the one instance is made with pd_new, bound to
    // `pyrus` and never freed. Its one method is the class's anything
    // method and has that signature.
    unsafe {
        let class = crate::class_new(
            gensym("pyrus-control"),
            None,
            None,
            std::mem::size_of::<pd::t_pd>(),
            pd::CLASS_PD as c_int,
            pd::t_atomtype::A_NULL,
        );
        type Gimme = unsafe extern "C" fn(*mut pd::t_pd, *mut pd::t_symbol, c_int, *const pd::t_atom);
        pd::class_addanything(class, Some(std::mem::transmute::<Gimme, unsafe extern "C" fn()>(forward)));
        let receiver = pd::pd_new(class);
        pd::pd_bind(receiver, gensym("pyrus"));
    }
}

/// Every message to `pyrus`: the engine says what it means.
unsafe extern "C" fn forward(_x: *mut pd::t_pd, s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("pyrus", (), || {
        let mut ok = true;
        // SAFETY: Pd passes a live selector and argc valid atoms.
        let (selector, args) = unsafe { (crate::atoms::symbol_text(s).0, crate::atoms::from_pd(argc, argv, &mut ok)) };
        if let Some(ctx) = crate::context() {
            ctx.control(&selector, &args);
        }
    })
}
