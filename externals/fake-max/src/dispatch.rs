//! Message delivery as Max does it: typed methods and creators, A_GIMME,
//! deferred methods (A_DEFER, A_DEFER_LOW...),
//! the int/float fallback, attributes by name, `anything`, inlets (proxies
//! with the per-thread `proxy_getinlet`, `intin`/`floatin`), and attribute
//! get/set. Runs on whichever thread delivers (main or scheduler; typedmess
//! from elsewhere is refused by its caller); holds the registry lock only to
//! copy what it needs, never while external code runs.

use super::abi::*;
use super::queues::{self, Call, MainJob};
use super::registry::{reg, AttrDef, FnAddr, InletKind, MethodDef};
use super::symbols;
use std::cell::Cell;
use std::ffi::{c_int, c_long, c_short, c_void};

extern "C" {
    fn fm_call_typed(f: *const c_void, args: *const Arg, is_double: *const u8, n: c_int) -> *mut c_void;
    fn fm_call_ptrs(f: *const c_void, x: *mut c_void, args: *const *mut c_void) -> *mut c_void;
    fn sysmem_freeptr(p: *mut c_void);
}

type GimmeMethod = unsafe extern "C" fn(*mut c_void, *mut Symbol, c_long, *mut Atom) -> *mut c_void;
type GimmeCreator = unsafe extern "C" fn(*mut Symbol, c_long, *mut Atom) -> *mut c_void;
type Setter = unsafe extern "C" fn(*mut c_void, *mut c_void, c_long, *mut Atom) -> isize;
type Getter = unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_long, *mut *mut Atom) -> isize;

/// One argument of a typed call, as csrc/shim.c's `fm_arg`: a word or a
/// double, which one the parallel `is_double` list says.
#[repr(C)]
#[derive(Clone, Copy)]
union Arg {
    word: isize,
    double: f64,
}

thread_local! {
    /// The inlet of the message this thread is delivering (proxy_getinlet).
    static INLET: Cell<c_long> = const { Cell::new(0) };
}

pub fn current_inlet() -> c_long {
    INLET.with(|c| c.get())
}

/// Runs `f` as the delivery of a message at `inlet` on this thread.
fn at_inlet<R>(inlet: c_long, f: impl FnOnce() -> R) -> R {
    let old = INLET.with(|c| c.replace(inlet));
    let r = f();
    INLET.with(|c| c.set(old));
    r
}

/// Calls `fun` with what `types` asks for, taken from `args`: a method when
/// `x` is given, a creator otherwise. Err: why the arguments do not fit.
///
/// # Safety
/// `fun` must be a function of the external with the prototype `types`
/// describes (the class declared it so).
pub unsafe fn call_typed(
    fun: FnAddr,
    x: Option<*mut c_void>,
    types: &[i32],
    sel: *mut Symbol,
    args: &[Atom],
) -> Result<*mut c_void, String> {
    let bad = || format!("bad arguments for message \"{}\"", symbols::name(sel));
    if types.first() == Some(&A_GIMME) {
        let mut argv = args.to_vec();
        let argc = argv.len() as c_long;
        return Ok(match x {
            // SAFETY: the class declared `fun` as an A_GIMME method.
            Some(x) => unsafe { std::mem::transmute::<FnAddr, GimmeMethod>(fun)(x, sel, argc, argv.as_mut_ptr()) },
            // SAFETY: the class declared `fun` as an A_GIMME creator.
            None => unsafe { std::mem::transmute::<FnAddr, GimmeCreator>(fun)(sel, argc, argv.as_mut_ptr()) },
        });
    }
    // The arguments in the prototype's order (the object first for a method).
    let mut call: Vec<(Arg, bool)> = Vec::with_capacity(16);
    let word = |w: isize| (Arg { word: w }, false);
    let double = |d: f64| (Arg { double: d }, true);
    if let Some(x) = x {
        call.push(word(x as isize));
    }
    for (i, &t) in types.iter().enumerate() {
        let a = args.get(i);
        let number = a.filter(|a| matches!(a.kind(), A_LONG | A_FLOAT));
        match t {
            A_LONG | A_DEFLONG => match (a, number) {
                (_, Some(n)) => call.push(word(n.as_long())),
                (None, _) if t == A_DEFLONG => call.push(word(0)),
                _ => return Err(bad()),
            },
            A_FLOAT | A_DEFFLOAT => match (a, number) {
                (_, Some(n)) => call.push(double(n.as_float())),
                (None, _) if t == A_DEFFLOAT => call.push(double(0.0)),
                _ => return Err(bad()),
            },
            A_SYM | A_DEFSYM => match (a, a.and_then(Atom::as_sym)) {
                (_, Some(s)) => call.push(word(s as isize)),
                (None, _) if t == A_DEFSYM => call.push(word(symbols::sym("") as isize)),
                _ => return Err(bad()),
            },
            // SAFETY: an A_OBJ atom's value is its w_obj.
            A_OBJ => call.push(word(a.map_or(0, |a| unsafe { a.a_w.w_obj } as isize))),
            _ => return Err(format!("unsupported argument type {t} for message \"{}\"", symbols::name(sel))),
        }
    }
    let doubles = call.iter().filter(|c| c.1).count();
    if doubles > 8 || call.len() - doubles > 8 {
        return Err(format!("too many arguments for message \"{}\"", symbols::name(sel)));
    }
    let (values, kinds): (Vec<Arg>, Vec<u8>) = call.into_iter().map(|(v, d)| (v, u8::from(d))).unzip();
    // SAFETY: see fm_call_typed in shim.c: the words and doubles land where
    // a function of prototype `types` reads them, on each platform's ABI.
    Ok(unsafe { fm_call_typed(fun as *const c_void, values.as_ptr(), kinds.as_ptr(), values.len() as c_int) })
}

/// Calls an A_CANT method with pointer-sized arguments (object_method).
///
/// # Safety
/// `fun` must be a method of `x`'s class taking at most 8 word arguments.
pub unsafe fn call_ptrs(fun: FnAddr, x: *mut c_void, args: &[*mut c_void; 8]) -> *mut c_void {
    // SAFETY: as the caller promises; extra words are ignored by the callee.
    unsafe { fm_call_ptrs(fun as *const c_void, x, args.as_ptr()) }
}

/// What a selector finds in a class.
enum Found {
    Method(MethodDef),
    Attr(usize, AttrDef),
    Anything(MethodDef),
}

/// Delivers `sel args` to inlet 0 of the live object `x`, as typedmess does.
/// Err: the `error` line (doesn't understand, bad arguments).
pub fn send(x: usize, sel: *mut Symbol, args: &[Atom]) -> Result<(), String> {
    let name = symbols::name(sel);
    let (cname, found) = {
        let r = reg();
        let Some((c, _)) = r.class_of(x) else { return Err(format!("no object at {x:#x}")) };
        let method = |n: &str| c.methods.get(n).filter(|m| m.types.first() != Some(&A_CANT)).cloned();
        let found = if let Some(m) = method(&name) {
            Some(Found::Method(m))
        } else if let Some(m) = (name == "int").then(|| method("float")).flatten() {
            Some(Found::Method(m))
        } else if let Some(m) = (name == "float").then(|| method("int")).flatten() {
            Some(Found::Method(m))
        } else if let Some(a) = c.attrs.get(&name).and_then(|t| Some((*t, r.attrs.get(t)?.clone()))) {
            Some(Found::Attr(a.0, a.1))
        } else {
            method("anything").map(Found::Anything)
        };
        (c.name.clone(), found)
    };
    let res = match found {
        Some(Found::Method(m)) if matches!(m.types.first(), Some(&(A_DEFER | A_USURP | A_DEFER_LOW | A_USURP_LOW))) => {
            let call =
                Call::new(x as *mut c_void, m.fun, sel, args.len().min(i16::MAX as usize) as c_short, args.as_ptr());
            let low = matches!(m.types[0], A_DEFER_LOW | A_USURP_LOW);
            if !low && super::output::role() == super::output::Role::Main {
                call.run("a deferred method");
            } else {
                queues::push_job(MainJob::Call(call, "a deferred method"), false);
            }
            Ok(())
        }
        // SAFETY: the class declared the method with these types.
        Some(Found::Method(m)) => unsafe { call_typed(m.fun, Some(x as *mut c_void), &m.types, sel, args) }.map(drop),
        Some(Found::Attr(t, a)) => {
            if a.flags & (ATTR_SET_OPAQUE | ATTR_SET_OPAQUE_USER) != 0 {
                Err(format!("attribute \"{name}\" is read-only"))
            } else {
                set_attr(x, t, &a, args)
            }
        }
        Some(Found::Anything(m)) => {
            // `anything` is A_GIMME: it gets the selector and the arguments.
            let types = [A_GIMME];
            // SAFETY: the class declared `anything`; it takes what A_GIMME gives.
            unsafe {
                call_typed(m.fun, Some(x as *mut c_void), if m.types.is_empty() { &types } else { &m.types }, sel, args)
            }
            .map(drop)
        }
        None => Err(format!("doesn't understand \"{name}\"")),
    };
    res.map_err(|e| format!("{cname}: {e}"))
}

/// Delivers `sel args` at inlet `inlet` (a position: 0 is the leftmost) of
/// the live object `x`: inlet 0 directly, others through the inlet the
/// object made there. Max adds each inlet at the left of those made before
/// (just right of inlet 0), so the last made is inlet 1: an external makes
/// them right to left, or its numbers and positions disagree, as in Max.
pub fn deliver(x: usize, inlet: i64, sel: *mut Symbol, args: &[Atom]) -> Result<(), String> {
    if inlet == 0 {
        return at_inlet(0, || send(x, sel, args));
    }
    let (cname, found) = {
        let r = reg();
        let made = r.objects.get(&x).map_or(&[][..], |o| &o.inlets[..]);
        let found = usize::try_from(inlet).ok().and_then(|p| made.len().checked_sub(p)).map(|i| made[i]);
        let found = found.map(|(n, k)| match k {
            InletKind::Proxy(p) => (n, k, r.proxies.get(&p).map_or(0, |p| p.stuffloc)),
            _ => (n, k, 0),
        });
        (r.class_name_of(x), found)
    };
    let name = symbols::name(sel);
    match found {
        None => Err(format!("{cname}: no inlet {inlet}")),
        Some((id, InletKind::Proxy(_), stuffloc)) => {
            if stuffloc != 0 {
                // SAFETY: the external gave this `long *` to proxy_new for the
                // kernel to write the proxy's id into, as Max's proxy does.
                unsafe { *(stuffloc as *mut c_long) = id as c_long };
            }
            at_inlet(id as c_long, || send(x, sel, args))
        }
        Some((n, k, _)) => {
            let number = match (name.as_str(), args.first()) {
                ("int" | "float" | "list", Some(a)) if matches!(a.kind(), A_LONG | A_FLOAT) => *a,
                _ => return Err(format!("{cname}: inlet {inlet}: doesn't understand \"{name}\"")),
            };
            let (msg, types) = match k {
                InletKind::Int => (format!("in{n}"), A_LONG),
                _ => (format!("ft{n}"), A_FLOAT),
            };
            let m = reg().class_of(x).and_then(|(c, _)| c.methods.get(&msg).cloned());
            let Some(m) = m else { return Err(format!("{cname}: no method for \"{msg}\"")) };
            let types = if m.types.is_empty() { vec![types] } else { m.types.clone() };
            // SAFETY: the class declared the `in<n>`/`ft<n>` method.
            unsafe { call_typed(m.fun, Some(x as *mut c_void), &types, symbols::sym(&msg), &[number]) }
                .map(drop)
                .map_err(|e| format!("{cname}: {e}"))
        }
    }
}

/// Sets an attribute: its setter, else the offset-based default.
pub fn set_attr(x: usize, token: usize, a: &AttrDef, args: &[Atom]) -> Result<(), String> {
    if a.set != 0 {
        let mut argv = args.to_vec();
        // SAFETY: the class gave this setter for the attribute, with Max's
        // setter prototype (x, attr, argc, argv).
        unsafe {
            std::mem::transmute::<FnAddr, Setter>(a.set)(
                x as *mut c_void,
                token as *mut c_void,
                argv.len() as c_long,
                argv.as_mut_ptr(),
            )
        };
        return Ok(());
    }
    let Some(v) = args.first() else { return Ok(()) };
    let p = x + a.offset;
    // SAFETY: the class declared a member of this type at this offset of its
    // instance struct (attr_offset_new), and `x` is a live instance.
    unsafe {
        match a.ty.as_str() {
            "long" => *(p as *mut c_long) = v.as_long() as c_long,
            "atom_long" => *(p as *mut isize) = v.as_long(),
            "char" => *(p as *mut u8) = v.as_long() as u8,
            "float32" => *(p as *mut f32) = v.as_float() as f32,
            "float64" => *(p as *mut f64) = v.as_float(),
            "symbol" => match v.as_sym() {
                Some(s) => *(p as *mut *mut Symbol) = s,
                None => return Err(format!("attribute \"{}\" wants a symbol", a.name)),
            },
            "atom" => *(p as *mut Atom) = *v,
            t => return Err(format!("attribute \"{}\" has type \"{t}\", which fake-max cannot set", a.name)),
        }
    }
    Ok(())
}

/// Gets an attribute's value: its getter (whose `*argv` the kernel frees
/// with sysmem_freeptr), else the offset-based default.
pub fn get_attr(x: usize, token: usize, a: &AttrDef) -> Result<Vec<Atom>, String> {
    if a.get != 0 {
        let mut argc: c_long = 0;
        let mut argv: *mut Atom = std::ptr::null_mut();
        // SAFETY: the class gave this getter, with Max's getter prototype.
        unsafe {
            std::mem::transmute::<FnAddr, Getter>(a.get)(x as *mut c_void, token as *mut c_void, &mut argc, &mut argv)
        };
        if argv.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: the getter allocated `argc` atoms at `argv`.
        let v = unsafe { std::slice::from_raw_parts(argv, argc.max(0) as usize) }.to_vec();
        // SAFETY: a getter allocates with sysmem_newptr; the caller frees.
        unsafe { sysmem_freeptr(argv.cast()) };
        return Ok(v);
    }
    let p = x + a.offset;
    // SAFETY: as in set_attr: a member of this type at this offset.
    let v = unsafe {
        match a.ty.as_str() {
            "long" => Atom::long(*(p as *const c_long) as isize),
            "atom_long" => Atom::long(*(p as *const isize)),
            "char" => Atom::long(isize::from(*(p as *const u8))),
            "float32" => Atom::float(f64::from(*(p as *const f32))),
            "float64" => Atom::float(*(p as *const f64)),
            "symbol" => Atom::sym(*(p as *const *mut Symbol)),
            "atom" => *(p as *const Atom),
            t => return Err(format!("attribute \"{}\" has type \"{t}\", which fake-max cannot get", a.name)),
        }
    };
    Ok(vec![v])
}

/// The first `@name` argument (attr_args_offset).
pub fn attr_offset(args: &[Atom]) -> usize {
    args.iter().position(|a| a.as_sym().is_some_and(|s| symbols::name(s).starts_with('@'))).unwrap_or(args.len())
}

/// Sets every `@name values...` of creation arguments (attr_args_process).
pub fn process_attr_args(x: usize, args: &[Atom]) {
    let mut i = attr_offset(args);
    while i < args.len() {
        let name = args[i].as_sym().map(|s| symbols::name(s)).unwrap_or_default();
        let end = args[i + 1..].iter().position(|a| a.as_sym().is_some_and(|s| symbols::name(s).starts_with('@')));
        let end = end.map_or(args.len(), |e| i + 1 + e);
        let attr = name.strip_prefix('@').unwrap_or(&name);
        let found = reg().attr_of(x, attr);
        let cname = reg().class_name_of(x);
        match found {
            Some((t, a)) => {
                if let Err(e) = set_attr(x, t, &a, &args[i + 1..end]) {
                    super::output::line("error", &format!("{cname}: {e}"));
                }
            }
            None => super::output::line("error", &format!("{cname}: doesn't understand \"{name}\"")),
        }
        i = end;
    }
}
