//! The Max C API that externals call, exported from the executable with the
//! SDK's names and prototypes (the variadic ones are in csrc/shim.c and call
//! the `fm_*` functions here). Each function checks what Max's rules say the
//! kernel can see: outlets, clocks and typedmess only from the main or the
//! scheduler thread; no use of a freed object, clock or qelem. Called from
//! any thread; the tables they touch are behind their own locks
//! (registry, queues, symbols), never held while external code runs.

use super::abi::*;
use super::dispatch;
use super::output::{self, line, role, violation, Role};
use super::queues::{self, main_queue, scheduler, Call, Clock, MainJob, Qelem};
use super::registry::{reg, token, AttrDef, ClassRec, FnAddr, InletKind, MethodDef, ObjRec, ProxyRec};
use super::symbols;
use super::sync::lock;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_long, c_short, c_void, CStr};

type Method = Option<unsafe extern "C" fn()>;
type FreeFn = unsafe extern "C" fn(*mut c_void);

extern "C" {
    fn sysmem_newptr(size: c_long) -> *mut c_void;
}

fn addr(m: Method) -> FnAddr {
    m.map_or(0, |f| f as usize)
}

/// A C string argument as text ("" for null).
fn text(s: *const c_char) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: the API takes NUL-terminated strings here.
    unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
}

/// `argc` atoms at `argv` (empty for null).
fn atoms<'a>(argc: c_long, argv: *const Atom) -> &'a [Atom] {
    if argv.is_null() || argc <= 0 {
        return &[];
    }
    // SAFETY: the caller passes `argc` atoms at `argv`, as the API says.
    unsafe { std::slice::from_raw_parts(argv, argc as usize) }
}

fn foreign_thread(what: &str, whom: &str) -> bool {
    if role() == Role::Other {
        violation(&format!("{what} from a thread that is neither main nor the scheduler ({whom})"));
        return true;
    }
    false
}

// ---- the Max window ----

/// Prints what post/error/object_post/object_error/object_warn formatted.
#[no_mangle]
pub unsafe extern "C" fn fm_print(kind: c_int, obj: *mut c_void, s: *const c_char) {
    let msg = text(s);
    let prefix = if obj.is_null() {
        String::new()
    } else {
        let (name, freed) = {
            let r = reg();
            (r.class_name_of(obj as usize), r.objects.get(&(obj as usize)).is_some_and(|o| o.freed))
        };
        if freed {
            violation(&format!("object_post/object_error on a freed object ({name})"));
        }
        format!("{name}: ")
    };
    match kind {
        1 => line("error", &format!("{prefix}{msg}")),
        2 => line("post", &format!("{prefix}warning: {msg}")),
        3 => eprintln!("cpost: {msg}"),
        _ => line("post", &format!("{prefix}{msg}")),
    }
}

// ---- classes ----

#[no_mangle]
pub unsafe extern "C" fn fm_class_new(
    name: *const c_char,
    mnew: Method,
    mfree: Method,
    size: c_long,
    types: *const c_int,
    ntypes: c_int,
) -> *mut c_void {
    // SAFETY: shim.c passes `ntypes` ints at `types`.
    let types = unsafe { std::slice::from_raw_parts(types, ntypes.max(0) as usize) };
    new_class(&text(name), addr(mnew), addr(mfree), size.max(0) as usize, types.to_vec()) as *mut c_void
}

pub fn new_class(name: &str, new: FnAddr, free: FnAddr, size: usize, new_types: Vec<i32>) -> usize {
    let t = token();
    let rec = ClassRec {
        name: name.to_owned(),
        new,
        free,
        size,
        new_types,
        methods: HashMap::new(),
        attrs: HashMap::new(),
        name_space: None,
    };
    reg().classes.insert(t, rec);
    t
}

#[no_mangle]
pub unsafe extern "C" fn fm_class_addmethod(
    c: *mut c_void,
    m: Method,
    name: *const c_char,
    types: *const c_int,
    ntypes: c_int,
) -> isize {
    // SAFETY: shim.c passes `ntypes` ints at `types`.
    let types = unsafe { std::slice::from_raw_parts(types, ntypes.max(0) as usize) }.to_vec();
    add_method(c as usize, &text(name), addr(m), types)
}

pub fn add_method(c: usize, name: &str, fun: FnAddr, types: Vec<i32>) -> isize {
    match reg().classes.get_mut(&c) {
        Some(cl) => {
            cl.methods.insert(name.to_owned(), MethodDef { fun, types });
            0
        }
        None => -2,
    }
}

#[no_mangle]
pub unsafe extern "C" fn class_register(name_space: *mut Symbol, c: *mut c_void) -> isize {
    let mut r = reg();
    let Some(cl) = r.classes.get_mut(&(c as usize)) else { return -2 };
    cl.name_space = Some(symbols::name(name_space));
    let name = cl.name.clone();
    r.class_names.insert(name, c as usize);
    0
}

#[no_mangle]
pub unsafe extern "C" fn class_alias(c: *mut c_void, alias: *mut Symbol) -> isize {
    let mut r = reg();
    if !r.classes.contains_key(&(c as usize)) {
        return -2;
    }
    r.class_names.insert(symbols::name(alias), c as usize);
    0
}

#[no_mangle]
pub unsafe extern "C" fn class_findbyname(_name_space: *mut Symbol, name: *mut Symbol) -> *mut c_void {
    reg().class_names.get(&symbols::name(name)).map_or(std::ptr::null_mut(), |&c| c as *mut c_void)
}

#[no_mangle]
pub unsafe extern "C" fn attr_offset_new(
    name: *const c_char,
    ty: *mut Symbol,
    flags: c_long,
    mget: Method,
    mset: Method,
    offset: c_long,
) -> *mut c_void {
    let t = token();
    // C `long` is 32-bit on Win64, where the conversion is not the identity.
    #[allow(clippy::useless_conversion)]
    let flags = i64::from(flags);
    let def = AttrDef {
        name: text(name),
        ty: symbols::name(ty),
        flags,
        get: addr(mget),
        set: addr(mset),
        offset: offset.max(0) as usize,
        meta: Vec::new(),
    };
    reg().attrs.insert(t, def);
    t as *mut c_void
}

#[no_mangle]
pub unsafe extern "C" fn class_addattr(c: *mut c_void, attr: *mut c_void) -> isize {
    let mut r = reg();
    let Some(name) = r.attrs.get(&(attr as usize)).map(|a| a.name.clone()) else { return -2 };
    let Some(cl) = r.classes.get_mut(&(c as usize)) else { return -2 };
    cl.attrs.insert(name, attr as usize);
    0
}

#[no_mangle]
pub unsafe extern "C" fn class_attr_get(c: *mut c_void, name: *mut Symbol) -> *mut c_void {
    let r = reg();
    let t = r.classes.get(&(c as usize)).and_then(|cl| cl.attrs.get(&symbols::name(name)).copied());
    t.map_or(std::ptr::null_mut(), |t| t as *mut c_void)
}

/// Style, label and other metadata: recorded, without effect.
#[no_mangle]
pub unsafe extern "C" fn class_attr_addattr_parse(
    c: *mut c_void,
    attrname: *const c_char,
    attrname2: *const c_char,
    _ty: *mut Symbol,
    _flags: c_long,
    parsestr: *const c_char,
) -> isize {
    let mut r = reg();
    let name = text(attrname);
    let Some(t) = r.classes.get(&(c as usize)).and_then(|cl| cl.attrs.get(&name).copied()) else { return -2 };
    let Some(a) = r.attrs.get_mut(&t) else { return -2 };
    a.meta.push((text(attrname2), text(parsestr)));
    0
}

// ---- objects ----

#[no_mangle]
pub unsafe extern "C" fn object_alloc(c: *mut c_void) -> *mut c_void {
    let Some(size) = reg().classes.get(&(c as usize)).map(|cl| cl.size.max(std::mem::size_of::<Object>())) else {
        return std::ptr::null_mut();
    };
    let layout = std::alloc::Layout::from_size_align(size, 16).expect("object size fits a layout");
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return std::ptr::null_mut();
    }
    let o = p.cast::<Object>();
    // SAFETY: `p` is a fresh zeroed allocation of at least 32 bytes, aligned.
    unsafe {
        (*o).o_messlist = c;
        (*o).o_magic = MAGIC;
    }
    let mut r = reg();
    let id = r.creating.take();
    let rec = ObjRec { class: c as usize, id, outlets: Vec::new(), inlets: Vec::new(), freed: false };
    r.objects.insert(p as usize, rec);
    p.cast()
}

#[no_mangle]
pub unsafe extern "C" fn newobject(c: *mut c_void) -> *mut c_void {
    // SAFETY: same contract.
    unsafe { object_alloc(c) }
}

#[no_mangle]
pub unsafe extern "C" fn object_free(x: *mut c_void) -> isize {
    if x.is_null() {
        return -2;
    }
    free_pointer(x as usize);
    0
}

#[no_mangle]
pub unsafe extern "C" fn freeobject(x: *mut c_void) {
    if !x.is_null() {
        free_pointer(x as usize);
    }
}

/// object_free of anything the kernel handed out. An object's memory is kept
/// (quarantined: never reused, its header poisoned) so that later use of it
/// through the API is reported rather than a crash.
pub fn free_pointer(p: usize) {
    enum What {
        Object(FnAddr),
        Freed(&'static str, String),
        Clock,
        Proxy,
        Qelem,
        Other,
        Unknown,
    }
    let what = {
        let r = reg();
        if let Some(o) = r.objects.get(&p) {
            let name = r.class_name_of(p);
            if o.freed {
                What::Freed("object", name)
            } else {
                What::Object(r.classes.get(&o.class).map_or(0, |c| c.free))
            }
        } else if let Some(px) = r.proxies.get(&p) {
            if px.freed {
                What::Freed("proxy", r.class_name_of(px.owner))
            } else {
                What::Proxy
            }
        } else if r.attrs.contains_key(&p) || r.classes.contains_key(&p) || r.outlets.contains_key(&p) {
            What::Other
        } else {
            What::Unknown
        }
    };
    // Not under the registry's lock: the scheduler takes its own lock, then
    // the registry's (never the other way round).
    let what = match what {
        What::Unknown if lock(&scheduler().state).clocks.contains_key(&p) => What::Clock,
        What::Unknown if lock(&main_queue().state).qelems.contains_key(&p) => What::Qelem,
        w => w,
    };
    match what {
        What::Object(free) => {
            if free != 0 {
                // SAFETY: the class gave `free` as its free method, called
                // with the object before the kernel retires it.
                unsafe { std::mem::transmute::<FnAddr, FreeFn>(free)(p as *mut c_void) };
            }
            super::msp::freed(p);
            if let Some(o) = reg().objects.get_mut(&p) {
                o.freed = true;
            }
            // SAFETY: `p` is an object the kernel allocated and never frees.
            unsafe { (*(p as *mut Object)).o_magic = FREED_MAGIC };
        }
        What::Freed(kind, name) => violation(&format!("object_free of a freed {kind} ({name})")),
        What::Clock => {
            let mut s = lock(&scheduler().state);
            let k = s.clocks.get_mut(&p).expect("clock listed");
            if k.freed {
                drop(s);
                violation("object_free of a freed clock");
            } else {
                k.freed = true;
                k.when = None;
            }
        }
        What::Proxy => {
            if let Some(px) = reg().proxies.get_mut(&p) {
                px.freed = true;
            }
        }
        // SAFETY: a qelem the kernel made.
        What::Qelem => unsafe { qelem_free(p as *mut c_void) },
        What::Other => {}
        What::Unknown => violation(&format!("object_free of {p:#x}, which fake-max did not make")),
    }
}

#[no_mangle]
pub unsafe extern "C" fn object_classname(x: *mut c_void) -> *mut Symbol {
    symbols::sym(&reg().class_name_of(x as usize))
}

/// object_method: an A_CANT (or any) method by name, with word arguments;
/// on an attribute, "setmethod" replaces its getter or setter.
#[no_mangle]
pub unsafe extern "C" fn fm_object_method(x: *mut c_void, s: *mut Symbol, args: *const *mut c_void) -> *mut c_void {
    if x.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: shim.c passes 8 words.
    let args: [*mut c_void; 8] = unsafe { *(args as *const [*mut c_void; 8]) };
    let name = symbols::name(s);
    let fun = {
        let mut r = reg();
        if let Some(a) = r.attrs.get_mut(&(x as usize)) {
            if name == "setmethod" {
                let which = symbols::name(args[0] as *mut Symbol);
                match which.as_str() {
                    "get" => a.get = args[1] as usize,
                    "set" => a.set = args[1] as usize,
                    _ => {}
                }
            }
            return std::ptr::null_mut();
        }
        match r.objects.get(&(x as usize)) {
            Some(o) if o.freed => {
                let n = r.class_name_of(x as usize);
                drop(r);
                violation(&format!("object_method \"{name}\" on a freed object ({n})"));
                return std::ptr::null_mut();
            }
            Some(_) => r.class_of(x as usize).and_then(|(c, _)| c.methods.get(&name).map(|m| m.fun)),
            None => None,
        }
    };
    match fun {
        // SAFETY: a method of the object's class, called as object_method
        // calls it: with the words the caller passed.
        Some(f) => unsafe { dispatch::call_ptrs(f, x, &args) },
        None => std::ptr::null_mut(),
    }
}

/// Checks a target of typedmess/outlets: Err is the violation's text.
fn live(x: usize, what: &str) -> Result<(), String> {
    let r = reg();
    match r.objects.get(&x) {
        Some(o) if o.freed => Err(format!("{what} to a freed object ({})", r.class_name_of(x))),
        Some(_) => Ok(()),
        None => Err(format!("{what} to {x:#x}, which is not an object")),
    }
}

#[no_mangle]
pub unsafe extern "C" fn typedmess(op: *mut c_void, msg: *mut Symbol, argc: c_short, argv: *mut Atom) -> *mut c_void {
    if foreign_thread("typedmess", &symbols::name(msg)) {
        return std::ptr::null_mut();
    }
    if let Err(e) = live(op as usize, "typedmess") {
        violation(&e);
        return std::ptr::null_mut();
    }
    if let Err(e) = dispatch::send(op as usize, msg, atoms(c_long::from(argc), argv)) {
        line("error", &e);
    }
    std::ptr::null_mut()
}

// ---- attributes ----

#[no_mangle]
pub unsafe extern "C" fn attr_args_offset(ac: c_short, av: *mut Atom) -> c_long {
    dispatch::attr_offset(atoms(c_long::from(ac), av)) as c_long
}

#[no_mangle]
pub unsafe extern "C" fn attr_args_process(x: *mut c_void, ac: c_short, av: *mut Atom) {
    dispatch::process_attr_args(x as usize, atoms(c_long::from(ac), av));
}

#[no_mangle]
pub unsafe extern "C" fn object_attr_setvalueof(
    x: *mut c_void,
    s: *mut Symbol,
    argc: c_long,
    argv: *mut Atom,
) -> isize {
    let Some((t, a)) = reg().attr_of(x as usize, &symbols::name(s)) else { return -1 };
    match dispatch::set_attr(x as usize, t, &a, atoms(argc, argv)) {
        Ok(()) => 0,
        Err(e) => {
            line("error", &format!("{}: {e}", reg().class_name_of(x as usize)));
            -1
        }
    }
}

/// Fills `*argc`/`*argv` (allocated with sysmem_newptr when `*argv` is null
/// or too small; the caller frees it).
#[no_mangle]
pub unsafe extern "C" fn object_attr_getvalueof(
    x: *mut c_void,
    s: *mut Symbol,
    argc: *mut c_long,
    argv: *mut *mut Atom,
) -> isize {
    let Some((t, a)) = reg().attr_of(x as usize, &symbols::name(s)) else { return -1 };
    let Ok(v) = dispatch::get_attr(x as usize, t, &a) else { return -1 };
    // SAFETY: the caller passes valid out-pointers, with `*argc` atoms at
    // `*argv` when `*argv` is set (Max's contract).
    unsafe {
        if (*argv).is_null() || (*argc as usize) < v.len() {
            *argv = sysmem_newptr((v.len().max(1) * std::mem::size_of::<Atom>()) as c_long).cast();
        }
        std::ptr::copy_nonoverlapping(v.as_ptr(), *argv, v.len());
        *argc = v.len() as c_long;
    }
    0
}

/// One atom for an attribute (the object_attr_set* conveniences).
fn set_one(x: *mut c_void, s: *mut Symbol, a: Atom) -> isize {
    let mut a = a;
    // SAFETY: one atom at `&mut a`.
    unsafe { object_attr_setvalueof(x, s, 1, &mut a) }
}

/// The first atom of an attribute's value (the object_attr_get* conveniences).
fn get_one(x: *mut c_void, s: *mut Symbol) -> Option<Atom> {
    let (t, a) = reg().attr_of(x as usize, &symbols::name(s))?;
    dispatch::get_attr(x as usize, t, &a).ok()?.first().copied()
}

#[no_mangle]
pub unsafe extern "C" fn object_attr_setlong(x: *mut c_void, s: *mut Symbol, c: AtomLong) -> isize {
    set_one(x, s, Atom::long(c))
}

#[no_mangle]
pub unsafe extern "C" fn object_attr_setfloat(x: *mut c_void, s: *mut Symbol, c: f64) -> isize {
    set_one(x, s, Atom::float(c))
}

#[no_mangle]
pub unsafe extern "C" fn object_attr_setsym(x: *mut c_void, s: *mut Symbol, c: *mut Symbol) -> isize {
    set_one(x, s, Atom::sym(c))
}

#[no_mangle]
pub unsafe extern "C" fn object_attr_getlong(x: *mut c_void, s: *mut Symbol) -> AtomLong {
    get_one(x, s).map_or(0, |a| a.as_long())
}

#[no_mangle]
pub unsafe extern "C" fn object_attr_getfloat(x: *mut c_void, s: *mut Symbol) -> f64 {
    get_one(x, s).map_or(0.0, |a| a.as_float())
}

#[no_mangle]
pub unsafe extern "C" fn object_attr_getsym(x: *mut c_void, s: *mut Symbol) -> *mut Symbol {
    get_one(x, s).and_then(|a| a.as_sym()).unwrap_or_else(|| symbols::sym(""))
}

/// A message by name with atoms, as typedmess delivers it (`rv` unused).
#[no_mangle]
pub unsafe extern "C" fn object_method_typed(
    x: *mut c_void,
    s: *mut Symbol,
    ac: c_long,
    av: *mut Atom,
    _rv: *mut Atom,
) -> isize {
    if foreign_thread("object_method_typed", &symbols::name(s)) {
        return -1;
    }
    if let Err(e) = live(x as usize, "object_method_typed") {
        violation(&e);
        return -1;
    }
    match dispatch::send(x as usize, s, atoms(ac, av)) {
        Ok(()) => 0,
        Err(e) => {
            line("error", &e);
            -1
        }
    }
}

// ---- inlets and outlets ----

fn add_inlet(x: *mut c_void, n: i64, kind: InletKind) {
    if let Some(o) = reg().objects.get_mut(&(x as usize)) {
        o.inlets.push((n, kind));
    }
}

#[no_mangle]
pub unsafe extern "C" fn intin(x: *mut c_void, n: c_short) -> *mut c_void {
    add_inlet(x, i64::from(n), InletKind::Int);
    token() as *mut c_void
}

#[no_mangle]
pub unsafe extern "C" fn floatin(x: *mut c_void, n: c_short) -> *mut c_void {
    add_inlet(x, i64::from(n), InletKind::Float);
    token() as *mut c_void
}

#[no_mangle]
pub unsafe extern "C" fn proxy_new(x: *mut c_void, id: c_long, stuffloc: *mut c_long) -> *mut c_void {
    let t = token();
    let rec = ProxyRec { owner: x as usize, stuffloc: stuffloc as usize, freed: false };
    reg().proxies.insert(t, rec);
    // C `long` is 32-bit on Win64, where the conversion is not the identity.
    #[allow(clippy::useless_conversion)]
    add_inlet(x, i64::from(id), InletKind::Proxy(t));
    t as *mut c_void
}

/// The inlet of the message this thread is delivering to an object (0 for
/// the left inlet), as Max keeps it per thread.
#[no_mangle]
pub unsafe extern "C" fn proxy_getinlet(_master: *mut c_void) -> c_long {
    dispatch::current_inlet()
}

#[no_mangle]
pub unsafe extern "C" fn outlet_new(x: *mut c_void, ty: *const c_char) -> *mut c_void {
    let mut r = reg();
    let Some(o) = r.objects.get_mut(&(x as usize)) else { return std::ptr::null_mut() };
    let t = token();
    o.outlets.push(t);
    r.outlets.insert(t, x as usize);
    drop(r);
    super::msp::outlet_made(t, ty);
    t as *mut c_void
}

#[no_mangle]
pub unsafe extern "C" fn bangout(x: *mut c_void) -> *mut c_void {
    // SAFETY: same contract.
    unsafe { outlet_new(x, c"bang".as_ptr()) }
}

#[no_mangle]
pub unsafe extern "C" fn intout(x: *mut c_void) -> *mut c_void {
    // SAFETY: same contract.
    unsafe { outlet_new(x, c"int".as_ptr()) }
}

#[no_mangle]
pub unsafe extern "C" fn floatout(x: *mut c_void) -> *mut c_void {
    // SAFETY: same contract.
    unsafe { outlet_new(x, c"float".as_ptr()) }
}

#[no_mangle]
pub unsafe extern "C" fn listout(x: *mut c_void) -> *mut c_void {
    // SAFETY: same contract.
    unsafe { outlet_new(x, c"list".as_ptr()) }
}

/// Prints an outlet's message: `out ID OUTLET THREAD SELECTOR ARGS...`.
fn emit(o: *mut c_void, what: &str, sel: &str, args: &[Atom]) -> *mut c_void {
    let found = {
        let r = reg();
        r.outlets.get(&(o as usize)).map(|&owner| {
            let rec = r.objects.get(&owner);
            let index = rec
                .and_then(|rec| rec.outlets.iter().position(|&t| t == o as usize).map(|p| rec.outlets.len() - 1 - p));
            (r.label(owner), index.unwrap_or(0), rec.is_some_and(|rec| rec.freed))
        })
    };
    let Some((label, index, freed)) = found else {
        violation(&format!("{what} on {:#x}, which is not an outlet (a freed object's memory?)", o as usize));
        return std::ptr::null_mut();
    };
    if foreign_thread(what, &label) {
        return std::ptr::null_mut();
    }
    if freed {
        violation(&format!("{what} on an outlet of a freed object ({label})"));
        return std::ptr::null_mut();
    }
    line("out", &format!("{label} {index} {} {}", output::thread_name(), output::message_text(sel, args)));
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn outlet_bang(o: *mut c_void) -> *mut c_void {
    emit(o, "outlet_bang", "bang", &[])
}

#[no_mangle]
pub unsafe extern "C" fn outlet_int(o: *mut c_void, n: AtomLong) -> *mut c_void {
    emit(o, "outlet_int", "int", &[Atom::long(n)])
}

#[no_mangle]
pub unsafe extern "C" fn outlet_float(o: *mut c_void, f: f64) -> *mut c_void {
    emit(o, "outlet_float", "float", &[Atom::float(f)])
}

#[no_mangle]
pub unsafe extern "C" fn outlet_list(o: *mut c_void, _s: *mut Symbol, ac: c_short, av: *mut Atom) -> *mut c_void {
    emit(o, "outlet_list", "list", atoms(c_long::from(ac), av))
}

#[no_mangle]
pub unsafe extern "C" fn outlet_anything(o: *mut c_void, s: *mut Symbol, ac: c_short, av: *mut Atom) -> *mut c_void {
    emit(o, "outlet_anything", &symbols::name(s), atoms(c_long::from(ac), av))
}

/// outlet_atoms: a message by its atoms, as a box would send its text:
/// nothing is `bang`, one number `int`/`float`, numbers first a `list`, a
/// symbol first its selector.
#[no_mangle]
pub unsafe extern "C" fn outlet_atoms(o: *mut c_void, argc: c_short, argv: *mut Atom) -> *mut c_void {
    let a = atoms(c_long::from(argc), argv);
    match a.first().map(|f| (f.kind(), f.as_sym())) {
        None => emit(o, "outlet_atoms", "bang", &[]),
        Some((A_LONG, _)) if a.len() == 1 => emit(o, "outlet_atoms", "int", a),
        Some((A_FLOAT, _)) if a.len() == 1 => emit(o, "outlet_atoms", "float", a),
        Some((_, Some(s))) => emit(o, "outlet_atoms", &symbols::name(s), &a[1..]),
        Some(_) => emit(o, "outlet_atoms", "list", a),
    }
}

#[no_mangle]
pub unsafe extern "C" fn stdinletinfo(_s: *mut c_void, _b: *mut c_void, a: c_long, t: *mut c_char) {
    if !t.is_null() {
        // SAFETY: the caller passes a char to write.
        unsafe { *t = c_char::from(a > 0) };
    }
}

// ---- symbols and atoms ----

#[no_mangle]
pub unsafe extern "C" fn gensym(s: *const c_char) -> *mut Symbol {
    if s.is_null() {
        return symbols::sym("");
    }
    // SAFETY: gensym takes a NUL-terminated string.
    symbols::intern(unsafe { CStr::from_ptr(s) }.to_bytes())
}

#[no_mangle]
pub unsafe extern "C" fn atom_setlong(a: *mut Atom, b: AtomLong) -> isize {
    // SAFETY: the caller passes an atom to write.
    unsafe { *a = Atom::long(b) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn atom_setfloat(a: *mut Atom, b: f64) -> isize {
    // SAFETY: the caller passes an atom to write.
    unsafe { *a = Atom::float(b) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn atom_setsym(a: *mut Atom, b: *mut Symbol) -> isize {
    // SAFETY: the caller passes an atom to write.
    unsafe { *a = Atom::sym(b) };
    0
}

#[no_mangle]
pub unsafe extern "C" fn atom_setobj(a: *mut Atom, b: *mut c_void) -> isize {
    // SAFETY: the caller passes an atom to write.
    unsafe { *a = Atom { a_type: A_OBJ as c_short, a_w: Word { w_obj: b } } };
    0
}

#[no_mangle]
pub unsafe extern "C" fn atom_getlong(a: *const Atom) -> AtomLong {
    // SAFETY: the caller passes an atom to read.
    unsafe { a.as_ref() }.map_or(0, Atom::as_long)
}

#[no_mangle]
pub unsafe extern "C" fn atom_getfloat(a: *const Atom) -> f64 {
    // SAFETY: the caller passes an atom to read.
    unsafe { a.as_ref() }.map_or(0.0, Atom::as_float)
}

#[no_mangle]
pub unsafe extern "C" fn atom_getsym(a: *const Atom) -> *mut Symbol {
    // SAFETY: the caller passes an atom to read.
    unsafe { a.as_ref() }.and_then(Atom::as_sym).unwrap_or_else(|| symbols::sym(""))
}

#[no_mangle]
pub unsafe extern "C" fn atom_getobj(a: *const Atom) -> *mut c_void {
    // SAFETY: the caller passes an atom to read.
    match unsafe { a.as_ref() } {
        // SAFETY: `a_type` says w_obj was written.
        Some(a) if a.kind() == A_OBJ => unsafe { a.a_w.w_obj },
        _ => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn atom_getcharfix(a: *const Atom) -> c_long {
    // SAFETY: the caller passes an atom to read.
    unsafe { a.as_ref() }.map_or(0, |a| a.as_long().clamp(0, 255) as c_long)
}

#[no_mangle]
pub unsafe extern "C" fn atom_gettype(a: *const Atom) -> c_long {
    // SAFETY: the caller passes an atom to read.
    unsafe { a.as_ref() }.map_or(0, |a| c_long::from(a.a_type))
}

fn arg(idx: c_long, ac: c_long, av: *const Atom) -> Option<Atom> {
    atoms(ac, av).get(usize::try_from(idx).ok()?).copied()
}

#[no_mangle]
pub unsafe extern "C" fn atom_arg_getlong(c: *mut AtomLong, idx: c_long, ac: c_long, av: *const Atom) -> isize {
    match arg(idx, ac, av) {
        // SAFETY: the caller passes a value to write.
        Some(a) => unsafe { *c = a.as_long() },
        None => return -1,
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn atom_arg_getdouble(c: *mut f64, idx: c_long, ac: c_long, av: *const Atom) -> isize {
    match arg(idx, ac, av) {
        // SAFETY: the caller passes a value to write.
        Some(a) => unsafe { *c = a.as_float() },
        None => return -1,
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn atom_arg_getsym(c: *mut *mut Symbol, idx: c_long, ac: c_long, av: *const Atom) -> isize {
    match arg(idx, ac, av).and_then(|a| a.as_sym()) {
        // SAFETY: the caller passes a value to write.
        Some(s) => unsafe { *c = s },
        None => return -1,
    }
    0
}

// ---- clocks and time ----

#[no_mangle]
pub unsafe extern "C" fn clock_new(obj: *mut c_void, fun: Method) -> *mut c_void {
    let t = token();
    let clock = Clock { owner: obj as usize, fun: addr(fun), when: None, seq: 0, set_at: 0.0, freed: false };
    lock(&scheduler().state).clocks.insert(t, clock);
    t as *mut c_void
}

/// Sets a clock for logical time `at(now)`, or unsets it (None).
fn set_clock(c: *mut c_void, what: &str, at: impl FnOnce(f64) -> Option<f64>) {
    let owner = lock(&scheduler().state).clocks.get(&(c as usize)).map(|k| (k.owner, k.freed));
    let Some((owner, freed)) = owner else {
        violation(&format!("{what} on {:#x}, which is not a clock", c as usize));
        return;
    };
    let name = reg().class_name_of(owner);
    if freed {
        violation(&format!("{what} on a freed clock ({name})"));
        return;
    }
    foreign_thread(what, &name);
    let mut s = lock(&scheduler().state);
    let now = s.now;
    s.seq += 1;
    let seq = s.seq;
    if let Some(k) = s.clocks.get_mut(&(c as usize)) {
        k.when = at(now);
        k.seq = seq;
        k.set_at = now;
    }
    drop(s);
    scheduler().wake.notify_all();
}

#[no_mangle]
pub unsafe extern "C" fn clock_delay(c: *mut c_void, n: c_long) {
    set_clock(c, "clock_delay", |now| Some(now + n.max(0) as f64));
}

#[no_mangle]
pub unsafe extern "C" fn clock_fdelay(c: *mut c_void, t: f64) {
    set_clock(c, "clock_fdelay", |now| Some(now + t.max(0.0)));
}

#[no_mangle]
pub unsafe extern "C" fn clock_set(c: *mut c_void, when: c_long) {
    set_clock(c, "clock_set", |_| Some(when as f64));
}

#[no_mangle]
pub unsafe extern "C" fn clock_fset(c: *mut c_void, when: f64) {
    set_clock(c, "clock_fset", |_| Some(when));
}

#[no_mangle]
pub unsafe extern "C" fn clock_unset(c: *mut c_void) {
    set_clock(c, "clock_unset", |_| None);
}

#[no_mangle]
pub unsafe extern "C" fn clock_free(c: *mut c_void) {
    free_pointer(c as usize);
}

/// The scheduler's logical time in ms.
#[no_mangle]
pub unsafe extern "C" fn clock_getftime(t: *mut f64) {
    let now = lock(&scheduler().state).now;
    // SAFETY: the caller passes a double to write.
    unsafe { *t = now };
}

#[no_mangle]
pub unsafe extern "C" fn gettime() -> c_long {
    lock(&scheduler().state).now as c_long
}

#[no_mangle]
pub unsafe extern "C" fn systimer_gettime() -> f64 {
    lock(&scheduler().state).real_ms()
}

// ---- qelems, defer, schedule, quit tasks ----

#[no_mangle]
pub unsafe extern "C" fn qelem_new(obj: *mut c_void, fun: Method) -> *mut c_void {
    let t = token();
    let q = Qelem { owner: obj as usize, fun: addr(fun), pending: false, freed: false };
    lock(&main_queue().state).qelems.insert(t, q);
    t as *mut c_void
}

fn qelem_op(q: *mut c_void, what: &str, op: impl FnOnce(&mut Qelem) -> Option<MainJob>, front: bool) {
    let mut s = lock(&main_queue().state);
    let Some(e) = s.qelems.get_mut(&(q as usize)) else {
        drop(s);
        violation(&format!("{what} on {:#x}, which is not a qelem", q as usize));
        return;
    };
    if e.freed {
        let owner = e.owner;
        drop(s);
        violation(&format!("{what} on a freed qelem ({})", reg().class_name_of(owner)));
        return;
    }
    if let Some(job) = op(e) {
        if front {
            s.jobs.push_front(job);
        } else {
            s.jobs.push_back(job);
        }
        main_queue().wake.notify_all();
    }
}

fn set_qelem(q: *mut c_void, what: &str, front: bool) {
    let t = q as usize;
    qelem_op(
        q,
        what,
        |e| {
            (!e.pending).then(|| {
                e.pending = true;
                MainJob::Qelem(t)
            })
        },
        front,
    );
}

#[no_mangle]
pub unsafe extern "C" fn qelem_set(q: *mut c_void) {
    set_qelem(q, "qelem_set", false);
}

#[no_mangle]
pub unsafe extern "C" fn qelem_front(q: *mut c_void) {
    set_qelem(q, "qelem_front", true);
}

#[no_mangle]
pub unsafe extern "C" fn qelem_unset(q: *mut c_void) {
    qelem_op(
        q,
        "qelem_unset",
        |e| {
            e.pending = false;
            None
        },
        false,
    );
}

#[no_mangle]
pub unsafe extern "C" fn qelem_free(q: *mut c_void) {
    qelem_op(
        q,
        "qelem_free",
        |e| {
            e.pending = false;
            e.freed = true;
            None
        },
        false,
    );
}

/// defer: at once on the main thread, else at the back of its queue.
#[no_mangle]
pub unsafe extern "C" fn defer(
    ob: *mut c_void,
    fun: Method,
    sym: *mut Symbol,
    argc: c_short,
    argv: *mut Atom,
) -> *mut c_void {
    let call = Call::new(ob, addr(fun), sym, argc, argv);
    if role() == Role::Main {
        call.run("defer");
    } else {
        queues::push_job(MainJob::Call(call, "defer"), false);
    }
    std::ptr::null_mut()
}

/// defer_low: always at the back of the main thread's queue.
#[no_mangle]
pub unsafe extern "C" fn defer_low(
    ob: *mut c_void,
    fun: Method,
    sym: *mut Symbol,
    argc: c_short,
    argv: *mut Atom,
) -> *mut c_void {
    queues::push_job(MainJob::Call(Call::new(ob, addr(fun), sym, argc, argv), "defer_low"), false);
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn defer_medium(
    ob: *mut c_void,
    fun: Method,
    sym: *mut Symbol,
    argc: c_short,
    argv: *mut Atom,
) -> *mut c_void {
    queues::push_job(MainJob::Call(Call::new(ob, addr(fun), sym, argc, argv), "defer_medium"), false);
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn defer_front(
    ob: *mut c_void,
    fun: Method,
    sym: *mut Symbol,
    argc: c_short,
    argv: *mut Atom,
) -> *mut c_void {
    queues::push_job(MainJob::Call(Call::new(ob, addr(fun), sym, argc, argv), "defer_front"), true);
    std::ptr::null_mut()
}

fn schedule_at(call: Call, at: impl FnOnce(f64) -> f64) {
    let mut s = lock(&scheduler().state);
    s.seq += 1;
    let (when, seq) = (at(s.now), s.seq);
    s.timed.push((when, seq, call));
    drop(s);
    scheduler().wake.notify_all();
}

/// schedule: `fun(ob, sym, argc, argv)` on the scheduler at logical time
/// `when` (any thread may call it).
#[no_mangle]
pub unsafe extern "C" fn schedule(
    ob: *mut c_void,
    fun: Method,
    when: c_long,
    sym: *mut Symbol,
    argc: c_short,
    argv: *mut Atom,
) {
    schedule_at(Call::new(ob, addr(fun), sym, argc, argv), |_| when as f64);
}

#[no_mangle]
pub unsafe extern "C" fn schedule_delay(
    ob: *mut c_void,
    fun: Method,
    delay: c_long,
    sym: *mut Symbol,
    argc: c_short,
    argv: *mut Atom,
) {
    schedule_at(Call::new(ob, addr(fun), sym, argc, argv), |now| now + delay.max(0) as f64);
}

#[no_mangle]
pub unsafe extern "C" fn quittask_install(m: Method, a: *mut c_void) -> c_short {
    lock(&main_queue().state).quit_tasks.push((addr(m), a as usize));
    0
}

#[no_mangle]
pub unsafe extern "C" fn quittask_remove(m: Method) {
    lock(&main_queue().state).quit_tasks.retain(|t| t.0 != addr(m));
}

// ---- threads ----

#[no_mangle]
pub unsafe extern "C" fn systhread_ismainthread() -> c_short {
    c_short::from(role() == Role::Main)
}

#[no_mangle]
pub unsafe extern "C" fn systhread_istimerthread() -> c_short {
    c_short::from(role() == Role::Sched)
}

// ---- paths: the default path (1) is the current directory ----

const DEFAULT_PATH: c_short = 1;

#[no_mangle]
pub unsafe extern "C" fn path_getdefault() -> c_short {
    DEFAULT_PATH
}

/// Writes the absolute path of `file` in folder `path` to `out` (2048
/// bytes); returns a `t_max_err`, as the SDK declares it.
#[no_mangle]
pub unsafe extern "C" fn path_toabsolutesystempath(path: c_short, file: *const c_char, out: *mut c_char) -> isize {
    if path != DEFAULT_PATH && path != 0 {
        return -1;
    }
    let Ok(cwd) = std::env::current_dir() else { return -1 };
    let name = text(file);
    let full = if name.is_empty() { cwd } else { cwd.join(name) };
    let text = full.to_string_lossy().into_owned();
    // Max writes paths with forward slashes on Windows too (`C:/...`).
    let text = if cfg!(windows) { text.replace('\\', "/") } else { text };
    let bytes = text.into_bytes();
    if bytes.len() >= 2048 {
        return -1;
    }
    // SAFETY: the caller passes 2048 bytes at `out` (MAX_PATH_CHARS).
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.cast::<u8>(), bytes.len());
        *out.add(bytes.len()) = 0;
    }
    0
}

/// Finds `name` in the search path (the current directory): 0 and its path.
#[no_mangle]
pub unsafe extern "C" fn locatefile_extended(
    name: *mut c_char,
    outvol: *mut c_short,
    outtype: *mut u32,
    _types: *const u32,
    _ntypes: c_short,
) -> c_short {
    if !std::path::Path::new(&text(name)).exists() {
        return 1;
    }
    // SAFETY: the caller passes values to write (null ones are skipped).
    unsafe {
        if !outvol.is_null() {
            *outvol = DEFAULT_PATH;
        }
        if !outtype.is_null() {
            *outtype = 0;
        }
    }
    0
}

/// The creation of an object as a box's text would make it (main thread).
pub fn create(class: &str, args: &[Atom]) -> Result<usize, String> {
    let (new, types) = {
        let r = reg();
        // Only classes registered in the `box` name space can be typed in a box.
        let found =
            r.class_names.get(class).map(|c| &r.classes[c]).filter(|cl| cl.name_space.as_deref() == Some("box"));
        let Some(cl) = found else { return Err(format!("{class}: No such object")) };
        (cl.new, cl.new_types.clone())
    };
    let sym = symbols::sym(class);
    let args = if types.first() == Some(&A_GIMME) { args } else { &args[..dispatch::attr_offset(args)] };
    // SAFETY: the class declared its creator with these types.
    let p = unsafe { dispatch::call_typed(new, None, &types, sym, args) }.map_err(|e| format!("{class}: {e}"))?;
    if p.is_null() {
        return Err(format!("{class}: could not create object"));
    }
    if !reg().objects.contains_key(&(p as usize)) {
        return Err(format!("{class}: the creator returned {:#x}, not an object made by object_alloc", p as usize));
    }
    Ok(p as usize)
}

#[cfg(test)]
mod tests {
    #[test]
    fn floats_keep_their_point() {
        assert_eq!(crate::kernel::output::float_text(3.0), "3.0");
        assert_eq!(crate::kernel::output::float_text(2.5), "2.5");
        assert_eq!(crate::kernel::output::float_text(-0.125), "-0.125");
        assert_eq!(crate::kernel::output::float_text(1e20), "100000000000000000000.0");
    }
}
