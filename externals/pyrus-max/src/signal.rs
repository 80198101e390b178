//! `[pyrus~ MODULE.CLASS ARGS...]` for Max: a `pyrus.Signal` subclass on
//! MSP's signal chain, a thin translation to the engine's
//! [`SignalObject`] and [`Perform`]; nothing here knows Python.
//!
//! The object is an MSP object (`t_pxobject` header, `class_dspinit`,
//! `z_dsp_setup`): its signal inlets are the leftmost (the first is the
//! object's own inlet, which takes messages too), then the class's extra
//! control inlets (proxies); its signal outlets are the leftmost, then the
//! class's control outlets, then the status outlet at the right. `dsp64`
//! asks the engine for a [`Perform`] for the vector size and sample rate
//! and adds [`perform64`] to the chain, which only calls [`Perform::run`]:
//! no lock, no allocation, no Python, no Max call. Options are the engine's
//! (`-latency N`, `-block N`, `-hold`, `-watch`); `@latency 4` is read as
//! `-latency 4`, as Max users write options.
//!
//! # Threads
//! | entry point | thread | touches |
//! |---|---|---|
//! | new, free, assist, dsp64 | main (dsp64 while the chain is stopped for its rebuild, as Max compiles it) | the state; `free` first takes the object out of the chain (`z_dsp_free`, which waits for a vector in flight), then drops the [`Perform`] |
//! | bang, int, float, list, anything | main, or the scheduler with Overdrive | `SignalObject::message`, which queues for the audio worker (never Python here) |
//! | perform64 | Max's audio thread | only the [`Perform`] the last dsp64 made (its own, until the next dsp64 or free) |
//!
//! Underrun reports and process errors leave the status outlet from the
//! engine's service, on the scheduler (or main) thread, never from perform64.

use crate::host::MaxOutlets;
use crate::trampoline::guard;
use crate::{atoms, console, context, inlets, lock, method, patcher_dir, port, write_assist};
use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::runtime;
// The engine's most signal ports a class may declare: perform64's slices
// live on its stack.
use pyrus_engine::signal::MAX_CHANNELS;
use pyrus_engine::{Outlets, Perform, Port, SignalObject};
use pyrus_max_sys as max;
use std::borrow::Cow;
use std::ffi::{c_char, c_int, c_long, c_short, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

/// The Max object: MSP's header first, then our state.
#[repr(C)]
pub(crate) struct MaxSignal {
    ob: max::t_pxobject,
    state: *mut State,
}

struct State {
    outlets: Arc<MaxOutlets>,
    engine: Arc<SignalObject<f64>>,
    /// The control inlets' proxies (signal inlets' are MSP's).
    proxies: Vec<*mut c_void>,
    /// Max inlets before the first extra control inlet: the signal inlets,
    /// at least the object's own.
    first_control: usize,
    /// What the perform routine runs, made by the last dsp64 (null before).
    slot: Mutex<*mut Slot>,
}

/// The audio thread's half, with the vector size it was made for.
struct Slot {
    perform: Perform<f64>,
    block: usize,
    ins: usize,
    outs: usize,
}

static CLASS: AtomicPtr<max::t_class> = AtomicPtr::new(null_mut());

type NewFn = unsafe extern "C" fn(*mut max::t_symbol, c_long, *mut max::t_atom) -> *mut c_void;
type ObjFn = unsafe extern "C" fn(*mut MaxSignal);
type IntFn = unsafe extern "C" fn(*mut MaxSignal, max::t_atom_long);
type FloatFn = unsafe extern "C" fn(*mut MaxSignal, f64);
type GimmeFn = unsafe extern "C" fn(*mut MaxSignal, *mut max::t_symbol, c_long, *mut max::t_atom);
type AssistFn = unsafe extern "C" fn(*mut MaxSignal, *mut c_void, c_long, c_long, *mut c_char);
type Dsp64Fn = unsafe extern "C" fn(*mut MaxSignal, *mut max::t_object, *mut c_short, f64, c_long, c_long);

/// Registers `pyrus~` (main thread, during ext_main).
pub(crate) fn setup() {
    // SAFETY: Max's class API on the main thread during ext_main; each
    // method is registered with the argument types its signature has, each
    // type list ended with 0 (an int); class_dspinit before class_register.
    unsafe {
        let class = max::class_new(
            c"pyrus~".as_ptr(),
            method(new as NewFn),
            method(free as ObjFn),
            std::mem::size_of::<MaxSignal>() as c_long,
            None,
            max::A_GIMME,
            0 as c_int,
        );
        let add = |f: max::method, selector: &std::ffi::CStr, t: Option<c_short>| match t {
            None => max::class_addmethod(class, f, selector.as_ptr(), 0 as c_int),
            Some(t) => max::class_addmethod(class, f, selector.as_ptr(), max::vararg(t), 0 as c_int),
        };
        add(method(bang as ObjFn), c"bang", None);
        add(method(int as IntFn), c"int", Some(max::A_LONG));
        add(method(float as FloatFn), c"float", Some(max::A_FLOAT));
        add(method(list as GimmeFn), c"list", Some(max::A_GIMME));
        add(method(anything as GimmeFn), c"anything", Some(max::A_GIMME));
        add(method(assist as AssistFn), c"assist", Some(max::A_CANT));
        add(method(dsp64 as Dsp64Fn), c"dsp64", Some(max::A_CANT));
        max::class_dspinit(class);
        max::class_register(max::gensym(c"box".as_ptr()), class);
        CLASS.store(class, Ordering::Release);
    }
}

/// `@name` (Max's way to write an option) as the engine's `-name`.
fn option_words(args: Vec<Atom<'static>>) -> Vec<Atom<'static>> {
    args.into_iter()
        .map(|a| match a.as_symbol().and_then(|s| s.strip_prefix('@')) {
            Some(name) if !name.is_empty() => Atom::Symbol(Cow::Owned(format!("-{name}"))),
            _ => a,
        })
        .collect()
}

unsafe extern "C" fn new(_s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) -> *mut c_void {
    guard("new", null_mut(), || {
        let Some(ctx) = context().filter(|_| runtime::is_started()) else {
            console::error(null_mut(), "pyrus~: Python is not running (see the error at load time)");
            return null_mut();
        };
        let mut utf8 = true;
        // SAFETY: Max passes argc valid atoms.
        let args = option_words(unsafe { atoms::from_max(argc, argv, &mut utf8) });
        // SAFETY: our class was registered with this struct's size;
        // object_alloc returns it zeroed past the header, or null.
        let x = unsafe { max::object_alloc(CLASS.load(Ordering::Acquire)) }.cast::<MaxSignal>();
        if x.is_null() {
            return null_mut();
        }
        // SAFETY: x is the live object just made; main thread.
        let object = unsafe { &raw mut (*x).ob.z_ob };
        let outlets = Arc::new(MaxOutlets::new(object, "pyrus~"));
        if !utf8 {
            outlets.error("pyrus~: a symbol is not valid UTF-8; it was decoded with replacement characters (U+FFFD)");
        }
        let engine = match SignalObject::<f64>::with_patch_dir(ctx, outlets.clone(), &args, patcher_dir().as_deref()) {
            Ok(engine) => engine,
            // The engine said why, in the Max window.
            Err(_) => {
                // SAFETY: x is ours, with no state yet: free() does nothing
                // but the MSP part, which z_dsp_setup has not made.
                unsafe { max::object_free(x.cast()) };
                return null_mut();
            }
        };
        // At most MAX_CHANNELS each: the engine refuses a class with more.
        let (ins, outs) = (engine.signal_inlets(), engine.signal_outlets());
        let first_control = ins.max(1);
        // SAFETY: x is the live object being made, on the main thread. The
        // control inlets first, so that MSP's signal proxies (made next, each
        // to the left of those before) are left of them; the signal outlets
        // last, so that they are left of the engine's control outlets.
        let proxies = unsafe {
            let stuff = &raw mut (*x).ob.z_in;
            let proxies: Vec<*mut c_void> = (first_control..first_control + engine.control_inlets())
                .rev()
                .map(|index| max::proxy_new(x.cast(), index as c_long, stuff))
                .collect();
            max::z_dsp_setup(&raw mut (*x).ob, ins as c_long);
            // perform64 holds the inputs and outputs as slices at once, so
            // they must not share memory.
            (*x).ob.z_misc |= max::Z_NO_INPLACE;
            for _ in 0..outs {
                max::outlet_new(x.cast(), c"signal".as_ptr());
            }
            proxies
        };
        let state = State { outlets, engine: Arc::new(engine), proxies, first_control, slot: Mutex::new(null_mut()) };
        // SAFETY: x is live and ours; free() takes the box back.
        unsafe { (*x).state = Box::into_raw(Box::new(state)) };
        x.cast()
    })
}

unsafe extern "C" fn free(x: *mut MaxSignal) {
    guard("free", (), || {
        // SAFETY: Max frees only objects new() made; state was set there (or
        // is null if new failed) and is taken once.
        let state = unsafe { std::mem::replace(&mut (*x).state, null_mut()) };
        if state.is_null() {
            return;
        }
        // SAFETY: first of all, out of the chain: no perform64 of this object
        // runs once z_dsp_free returns (MSP's contract), so its Slot is ours.
        unsafe { max::z_dsp_free(&raw mut (*x).ob) };
        // SAFETY: made by Box::into_raw in new().
        let state = unsafe { Box::from_raw(state) };
        state.outlets.gate.close();
        // SAFETY: the proxies were made for this object and are freed once.
        unsafe { inlets::free(&state.proxies) };
        let slot = std::mem::replace(&mut *lock(&state.slot), null_mut());
        if !slot.is_null() {
            // SAFETY: made by Box::into_raw in dsp64; no perform runs it now.
            drop(unsafe { Box::from_raw(slot) });
        }
        drop(state);
    })
}

/// Runs `f` with the object's state, inside a pass of its gate.
fn with_state<R>(x: *mut MaxSignal, f: impl FnOnce(&State) -> R) -> Option<R> {
    // SAFETY: Max calls methods on live objects; state is null only before
    // new() finished or once free() took it, which waits for open passes.
    let state = unsafe { (*x).state.as_ref() }?;
    let _pass = state.outlets.gate.enter()?;
    Some(f(state))
}

/// MSP compiles the chain: a Perform for this vector size and rate, whose
/// perform64 goes into the chain. The chain is stopped meanwhile (Max
/// rebuilds it before running it again), so the old Perform is not running
/// and is dropped here.
unsafe extern "C" fn dsp64(
    x: *mut MaxSignal,
    chain: *mut max::t_object,
    _count: *mut c_short,
    samplerate: f64,
    maxvectorsize: c_long,
    _flags: c_long,
) {
    guard("dsp64", (), || {
        with_state(x, |state| {
            let block = usize::try_from(maxvectorsize).unwrap_or(0).max(1);
            let slot = Box::new(Slot {
                perform: state.engine.dsp(block, samplerate),
                block,
                ins: state.engine.signal_inlets(),
                outs: state.engine.signal_outlets(),
            });
            let slot = Box::into_raw(slot);
            let old = std::mem::replace(&mut *lock(&state.slot), slot);
            if !old.is_null() {
                // SAFETY: made by Box::into_raw in an earlier dsp64; the
                // chain that ran it is stopped for this rebuild.
                drop(unsafe { Box::from_raw(old) });
            }
            // SAFETY: the dsp64 object Max passed; perform64 has MSP's
            // prototype; the slot lives until the next dsp64 or free, which
            // calls z_dsp_free first.
            unsafe { max::dsp_add64(chain, x.cast(), Some(perform64), 0, slot.cast()) };
        });
    })
}

/// The audio thread: the vectors into the engine's input ring, the block
/// due now out of its output ring. Silence if MSP's vectors do not fit the
/// Perform (a vector size other than dsp64's).
unsafe extern "C" fn perform64(
    _x: *mut max::t_object,
    _dsp64: *mut max::t_object,
    ins: *mut *mut f64,
    numins: c_long,
    outs: *mut *mut f64,
    numouts: c_long,
    sampleframes: c_long,
    _flags: c_long,
    userparam: *mut c_void,
) {
    // No unwinding into MSP: a panic (a bug) is reported and the vector is
    // left as MSP gave it.
    guard("perform64", (), || {
        // SAFETY: perform64's own contract, passed on.
        unsafe { perform(ins, numins, outs, numouts, sampleframes, userparam) }
    })
}

/// perform64's work.
///
/// # Safety
/// perform64's arguments, as MSP passes them.
unsafe fn perform(
    ins: *mut *mut f64,
    numins: c_long,
    outs: *mut *mut f64,
    numouts: c_long,
    sampleframes: c_long,
    userparam: *mut c_void,
) {
    let n = usize::try_from(sampleframes).unwrap_or(0);
    let (numins, numouts) = (usize::try_from(numins).unwrap_or(0), usize::try_from(numouts).unwrap_or(0));
    // SAFETY: userparam is the Slot dsp64 made, owned by this chain (see
    // dsp64 and free); MSP passes numins and numouts vectors of n samples.
    let slot = unsafe { &mut *userparam.cast::<Slot>() };
    let outs = if outs.is_null() {
        &mut [][..]
    } else {
        // SAFETY: MSP passes numouts output vectors at outs.
        unsafe { std::slice::from_raw_parts_mut(outs, numouts) }
    };
    if n != slot.block || numins < slot.ins || numouts < slot.outs || ins.is_null() && slot.ins > 0 {
        for &out in outs.iter() {
            // SAFETY: each outlet's vector has n samples.
            unsafe { std::ptr::write_bytes(out, 0, n) };
        }
        return;
    }
    let mut inputs: [&[f64]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
    for (k, input) in inputs.iter_mut().enumerate().take(slot.ins) {
        // SAFETY: MSP's input vectors, n samples each, read only here.
        *input = unsafe { std::slice::from_raw_parts(*ins.add(k), n) };
    }
    let mut outputs: [&mut [f64]; MAX_CHANNELS] = std::array::from_fn(|_| &mut [][..]);
    for (k, output) in outputs.iter_mut().enumerate().take(slot.outs) {
        // SAFETY: MSP's output vectors, n samples each, ours to write, apart
        // from the inputs (Z_NO_INPLACE) and from each other.
        *output = unsafe { std::slice::from_raw_parts_mut(outs[k], n) };
    }
    slot.perform.run(&inputs[..slot.ins], &mut outputs[..slot.outs]);
}

/// The inlet a message came in, as the engine numbers control inlets: 0
/// for the object's own, 1.. for the extra control inlets; None for a
/// signal inlet after the first.
fn control_inlet(x: *mut MaxSignal, state: &State) -> Option<usize> {
    // SAFETY: x is live (we are in its method).
    let inlet = unsafe { inlets::current(&raw mut (*x).ob.z_ob) };
    match inlet {
        0 => Some(0),
        i if i >= state.first_control => Some(i - state.first_control + 1),
        _ => None,
    }
}

fn dispatch(x: *mut MaxSignal, message: &Message<'_>) {
    let engine = with_state(x, |state| match control_inlet(x, state) {
        Some(inlet) => Some((state.engine.clone(), inlet)),
        None => {
            // SAFETY: as in control_inlet.
            let inlet = unsafe { inlets::current(&raw mut (*x).ob.z_ob) };
            let why = format!("inlet {inlet} is a signal inlet: it takes no messages");
            state.outlets.error(&format!("pyrus~: {why}"));
            // As the engine reports bad input: `error ValueError WORDS...`.
            let words = ["ValueError"].into_iter().chain(why.split_whitespace());
            let words = words.map(|w| Atom::Symbol(Cow::Owned(w.to_owned()))).collect();
            let status = state.engine.control_outlets() - 1;
            state.outlets.outlet(status, &Message::Anything(Cow::Borrowed("error"), Cow::Owned(words)));
            None
        }
    });
    if let Some(Some((engine, inlet))) = engine {
        engine.message(inlet, message);
    }
}

unsafe extern "C" fn bang(x: *mut MaxSignal) {
    guard("bang", (), || dispatch(x, &Message::Bang))
}

unsafe extern "C" fn int(x: *mut MaxSignal, n: max::t_atom_long) {
    guard("int", (), || dispatch(x, &Message::Int(n as i64)))
}

unsafe extern "C" fn float(x: *mut MaxSignal, f: f64) {
    guard("float", (), || dispatch(x, &Message::Float(f)))
}

unsafe extern "C" fn list(x: *mut MaxSignal, _s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("list", (), || {
        let mut ok = true;
        // SAFETY: Max passes argc valid atoms.
        let args = unsafe { atoms::from_max(argc, argv, &mut ok) };
        dispatch(x, &Message::List(Cow::Owned(args)))
    })
}

unsafe extern "C" fn anything(x: *mut MaxSignal, s: *mut max::t_symbol, argc: c_long, argv: *mut max::t_atom) {
    guard("anything", (), || {
        let mut ok = true;
        // SAFETY: Max passes a live selector and argc valid atoms.
        let (selector, args) = unsafe { (atoms::symbol_text(s).0, atoms::from_max(argc, argv, &mut ok)) };
        dispatch(x, &Message::from_selector(selector, args))
    })
}

unsafe extern "C" fn assist(x: *mut MaxSignal, _b: *mut c_void, m: c_long, a: c_long, s: *mut c_char) {
    guard("assist", (), || {
        let index = usize::try_from(a).unwrap_or(0);
        let text = with_state(x, |state| {
            let (ins, outs) = (state.engine.signal_inlets(), state.engine.signal_outlets());
            match port(m) {
                Port::Inlet if index == 0 && ins > 0 => "signal in 0, and messages".to_owned(),
                Port::Inlet if index < ins => format!("signal in {index}"),
                Port::Inlet if index == 0 => "messages".to_owned(),
                Port::Inlet => format!("messages (control inlet {})", index + 1 - state.first_control),
                Port::Outlet if index < outs => format!("signal out {index}"),
                Port::Outlet => format!("messages (control outlet {}; the last is the status outlet)", index - outs),
            }
        })
        .unwrap_or_default();
        // SAFETY: Max passes its 512-byte assist buffer.
        unsafe { write_assist(s, &text) };
    })
}
