//! Max's built-in `receive` (alias `r`): `[receive foo]` binds the symbol
//! `foo`'s `s_thing` to a "through" object shared by every receive of that
//! name, whose `anything` sends the message out of each receive's outlet.
//! So `typedmess(gensym("foo")->s_thing, ...)` (how an external sends to a
//! name, like Max's `;foo ...`) reaches every `[receive foo]`. Created and
//! freed on the main thread; the through object is called by whichever
//! thread sends (main or scheduler).

use super::abi::{Atom, Object, Symbol, A_GIMME};
use super::api;
use super::registry::FnAddr;
use super::symbols;
use super::sync::lock;
use std::collections::HashMap;
use std::ffi::{c_long, c_short, c_void};
use std::sync::{Mutex, OnceLock};

#[repr(C)]
struct Receive {
    ob: Object,
    name: *mut Symbol,
    outlet: *mut c_void,
}

struct Classes {
    receive: usize,
    through: usize,
}

static CLASSES: OnceLock<Classes> = OnceLock::new();

/// Through object -> (its symbol, the receives bound to it). A through
/// object is never freed: when its last receive goes, the symbol's `s_thing`
/// is cleared, and a send already in flight finds it alive and empty.
type Bindings = Mutex<HashMap<usize, (usize, Vec<usize>)>>;

fn bindings() -> &'static Bindings {
    static B: OnceLock<Bindings> = OnceLock::new();
    B.get_or_init(|| Mutex::new(HashMap::new()))
}

pub fn register() {
    let receive = api::new_class(
        "receive",
        receive_new as *const () as FnAddr,
        receive_free as *const () as FnAddr,
        std::mem::size_of::<Receive>(),
        vec![A_GIMME],
    );
    let through =
        api::new_class("through", through_new as *const () as FnAddr, 0, std::mem::size_of::<Object>(), vec![A_GIMME]);
    api::add_method(through, "anything", through_anything as *const () as FnAddr, vec![A_GIMME]);
    // SAFETY: kernel classes just made; the symbols are interned.
    unsafe {
        api::class_register(symbols::sym("box"), receive as *mut c_void);
        api::class_alias(receive as *mut c_void, symbols::sym("r"));
    }
    let _ = CLASSES.set(Classes { receive, through });
}

unsafe extern "C" fn through_new(_s: *mut Symbol, _argc: c_long, _argv: *mut Atom) -> *mut c_void {
    std::ptr::null_mut()
}

unsafe extern "C" fn receive_new(_s: *mut Symbol, argc: c_long, argv: *mut Atom) -> *mut c_void {
    let classes = CLASSES.get().expect("builtins registered");
    // SAFETY: a kernel class.
    let x = unsafe { api::object_alloc(classes.receive as *mut c_void) }.cast::<Receive>();
    // SAFETY: `x` is a fresh Receive; the creator got `argc` atoms.
    unsafe {
        (*x).outlet = api::outlet_new(x.cast(), std::ptr::null());
        let args = if argc > 0 { std::slice::from_raw_parts(argv, argc as usize) } else { &[] };
        if let Some(name) = args.first().and_then(Atom::as_sym) {
            (*x).name = name;
            bind(name, x as usize, classes.through);
        }
    }
    x.cast()
}

fn bind(name: *mut Symbol, r: usize, through_class: usize) {
    let mut b = lock(bindings());
    let t = match b.iter().find(|(_, e)| e.0 == name as usize).map(|(&t, _)| t) {
        Some(t) => t,
        None => {
            // SAFETY: a kernel class.
            let t = unsafe { api::object_alloc(through_class as *mut c_void) } as usize;
            b.insert(t, (name as usize, Vec::new()));
            t
        }
    };
    b.get_mut(&t).expect("just found or made").1.push(r);
    // SAFETY: interned symbols live forever; the kernel owns `s_thing` of
    // names bound by receive.
    unsafe { (*name).s_thing = t as *mut Object };
}

unsafe extern "C" fn receive_free(x: *mut c_void) {
    let x = x.cast::<Receive>();
    // SAFETY: the kernel calls this with a live Receive.
    let name = unsafe { (*x).name };
    let mut b = lock(bindings());
    for (sym, receivers) in b.values_mut() {
        receivers.retain(|&r| r != x as usize);
        if *sym == name as usize && receivers.is_empty() {
            // SAFETY: as in bind.
            unsafe { (*name).s_thing = std::ptr::null_mut() };
        }
    }
}

/// Sends the message out of every receive of the name, holding the table so
/// that a receive freed meanwhile (on main) waits until the sends are out.
unsafe extern "C" fn through_anything(x: *mut c_void, s: *mut Symbol, argc: c_long, argv: *mut Atom) {
    let b = lock(bindings());
    for &r in b.get(&(x as usize)).map_or(&[][..], |e| &e.1[..]) {
        // SAFETY: bound receives are alive (their free unbinds them under
        // this lock); their outlet is theirs.
        unsafe { api::outlet_anything((*(r as *mut Receive)).outlet, s, argc as c_short, argv) };
    }
}
