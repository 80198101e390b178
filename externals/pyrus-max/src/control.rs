//! The global receiver `pyrus`: messages for the whole library, sent as
//! `[; pyrus workers 4(`, `[; pyrus reload(` or `[; pyrus reload MODULE(`
//! (or `[s pyrus]`). Bound on `pyrus`'s `s_thing` if nothing holds it.
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
    // instance is made with object_alloc, bound and never freed. Each method
    // is registered A_GIMME and has that signature.
    unsafe {
        let class = max::class_new(
            c"pyrus-control".as_ptr(),
            None,
            None,
            std::mem::size_of::<max::t_object>() as c_long,
            None,
            0,
        );
        for (f, name) in [(workers as Gimme, c"workers"), (reload, c"reload"), (unknown, c"anything")] {
            max::class_addmethod(
                class,
                Some(std::mem::transmute::<Gimme, unsafe extern "C" fn()>(f)),
                name.as_ptr(),
                max::vararg(max::A_GIMME),
                0 as c_int,
            );
        }
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

unsafe extern "C" fn workers(_x: *mut max::t_object, _s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("workers", (), || {
        let mut ok = true;
        // SAFETY: Max passes argc valid atoms.
        let args = unsafe { from_max(argc, argv, &mut ok) };
        let n = match args.as_slice() {
            [n] => n.as_float().filter(|n| (1.0..=256.0).contains(n) && n.fract() == 0.0),
            _ => None,
        };
        let Some(n) = n else {
            let given: Vec<String> = args.iter().map(ToString::to_string).collect();
            let why = format!("pyrus: workers takes a whole number from 1 to 256, not '{}'", given.join(" "));
            return console::error(std::ptr::null_mut(), &why);
        };
        pyrus_engine::pool::set_workers(n as usize);
        console::post(&format!("pyrus: {} worker threads", n as usize));
    })
}

unsafe extern "C" fn reload(_x: *mut max::t_object, _s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("reload", (), || {
        let mut ok = true;
        // SAFETY: Max passes argc valid atoms.
        let args = unsafe { from_max(argc, argv, &mut ok) };
        let Some(ctx) = crate::context() else { return };
        match args.as_slice() {
            [] => ctx.reload(None),
            [module] => ctx.reload(Some(&module.to_string())),
            _ => console::error(std::ptr::null_mut(), "pyrus: reload takes no module or one"),
        }
    })
}

/// Anything else sent to `pyrus`: say what it takes.
unsafe extern "C" fn unknown(_x: *mut max::t_object, s: *mut max::t_symbol, _argc: c_long, _argv: *mut max::t_atom) {
    guard("pyrus", (), || {
        // SAFETY: Max passes a live selector.
        let selector = unsafe { symbol_text(s).0 };
        console::error(
            std::ptr::null_mut(),
            &format!("pyrus: the pyrus receiver takes 'workers N' and 'reload [MODULE]', not '{selector}'"),
        );
    })
}
