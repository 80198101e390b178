//! The global receiver `pyrus`: messages for the whole library, sent as
//! `[; pyrus workers 4(`, `[; pyrus reload(` or `[; pyrus reload MODULE(`.

use crate::atoms::gensym;
use crate::console;
use crate::trampoline::guard;
use pd_sys as pd;
use std::ffi::c_int;

/// Binds a small Pd object to the name `pyrus`; called once from setup.
pub fn create() {
    // SAFETY: Pd's class API on its thread during setup. The class has no
    // new or free method; the one instance is made with pd_new, bound to
    // `pyrus` and never freed. Every method is registered as A_GIMME (or as
    // the class's anything method) and has that signature.
    unsafe {
        let class = pd::class_new(
            gensym("pyrus-control"),
            None,
            None,
            std::mem::size_of::<pd::t_pd>(),
            pd::CLASS_PD as c_int,
            pd::t_atomtype::A_NULL,
        );
        type Gimme = unsafe extern "C" fn(*mut pd::t_pd, *mut pd::t_symbol, c_int, *const pd::t_atom);
        pd::class_addmethod(
            class,
            Some(std::mem::transmute::<Gimme, unsafe extern "C" fn()>(workers)),
            gensym("workers"),
            pd::t_atomtype::A_GIMME,
            pd::t_atomtype::A_NULL,
        );
        pd::class_addmethod(
            class,
            Some(std::mem::transmute::<Gimme, unsafe extern "C" fn()>(reload)),
            gensym("reload"),
            pd::t_atomtype::A_GIMME,
            pd::t_atomtype::A_NULL,
        );
        pd::class_addanything(class, Some(std::mem::transmute::<Gimme, unsafe extern "C" fn()>(unknown)));
        let receiver = pd::pd_new(class);
        pd::pd_bind(receiver, gensym("pyrus"));
    }
}

unsafe extern "C" fn workers(_x: *mut pd::t_pd, _s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("workers", (), || {
        let mut ok = true;
        // SAFETY: Pd passes argc valid atoms.
        let args = unsafe { crate::atoms::from_pd(argc, argv, &mut ok) };
        let n = match args.as_slice() {
            [n] => n.as_float().filter(|n| (1.0..=256.0).contains(n) && n.fract() == 0.0),
            _ => None,
        };
        let Some(n) = n else {
            let given: Vec<String> = args.iter().map(ToString::to_string).collect();
            let why = format!("pyrus: workers takes a whole number from 1 to 256, not '{}'", given.join(" "));
            return console::error(std::ptr::null(), &why);
        };
        pyrus_engine::pool::set_workers(n as usize);
        console::post(&format!("pyrus: {} worker threads", n as usize));
    })
}

/// Anything else sent to `pyrus`: say what it takes.
unsafe extern "C" fn unknown(_x: *mut pd::t_pd, s: *mut pd::t_symbol, _argc: c_int, _argv: *const pd::t_atom) {
    guard("pyrus", (), || {
        // SAFETY: Pd passes a live selector.
        let selector = unsafe { crate::atoms::symbol_text(s).0 };
        console::error(
            std::ptr::null(),
            &format!("pyrus: the pyrus receiver takes 'workers N' and 'reload [MODULE]', not '{selector}'"),
        );
    })
}

unsafe extern "C" fn reload(_x: *mut pd::t_pd, _s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("reload", (), || {
        let mut ok = true;
        // SAFETY: Pd passes argc valid atoms.
        let args = unsafe { crate::atoms::from_pd(argc, argv, &mut ok) };
        let Some(ctx) = crate::context() else { return };
        match args.as_slice() {
            [] => ctx.reload(None),
            [module] => ctx.reload(Some(&module.to_string())),
            _ => console::error(std::ptr::null(), "pyrus: reload takes no module or one"),
        }
    })
}
