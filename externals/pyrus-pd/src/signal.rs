//! `[pyrus~]` for Pd: a thin translation to `pyrus_engine::SignalObject`,
//! which runs a `pyrus.Signal` class's `process` on the object's own audio
//! worker. Nothing here knows Python, and the perform routine never waits.
//!
//! # Ports
//! Inlets: the leftmost takes a signal (a float there sets its value, as
//! `[*~]`'s does) and the control messages of inlet 0; then the class's
//! other signal inlets; then its other control inlets (proxies, as
//! `[pyrus]`'s, see `inlets.rs`). Outlets: the class's signal outlets, then
//! its control outlets, then the status outlet (the rightmost, as on
//! `[pyrus]`). The engine asks for the control outlets while the object is
//! being made, before it says how many signal outlets there are, and nothing
//! can leave them before `new` returns (what the object says meanwhile
//! waits for the service): so [`SignalOutlets`] makes them only once the
//! signal outlets are made.
//!
//! # Thread contract
//! Every entry point runs where Pd runs its objects, one at a time: new,
//! free, the control methods and `dsp` as Pd's methods, and the perform
//! routine inside Pd's DSP tick (the scheduler thread; in callback mode the
//! audio callback, which holds Pd's lock as the scheduler does), never
//! beside a method. So `dsp` never meets a running perform routine: Pd frees the
//! old DSP chain before it calls the `dsp` methods of the new one, and
//! stops DSP before it frees an object that has a `dsp` method. The
//! engine's audio worker runs `process`; it never touches Pd.

use crate::atoms;
use crate::host::PdOutlets;
use crate::inlets;
use crate::trampoline::guard;
use pd_sys as pd;
use pyrus_engine::atoms::Message;
use pyrus_engine::{Outlets, Perform, SignalObject};
use std::borrow::Cow;
use std::ffi::{c_int, c_void};
use std::ptr::null_mut;
use std::rc::Rc;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

/// Pd's sample: `f32`, or `f64` in Pd64 (the `pd64` feature).
type S = pd::t_sample;

/// Pd's `t_int`, the type of a perform routine's arguments: as wide as a
/// pointer everywhere (m_pd.h's `PD_LONGINTTYPE`: `long`, but `long long`
/// on 64-bit Windows). pd-sys says `c_long`, 32 bits on Windows, where it
/// would cut the pointer to our state in half.
type PdInt = isize;

/// A perform routine, as Pd calls it.
type PerformFn = unsafe extern "C" fn(*mut PdInt) -> *mut PdInt;

/// Pd's `dsp_add`, with pointer-wide arguments (see [`PdInt`]).
type DspAddFn = unsafe extern "C" fn(PerformFn, c_int, ...);

/// The Pd object: Pd's header first, the main signal inlet's float (the
/// value it takes when no signal is connected), then our state.
#[repr(C)]
struct PdSignal {
    header: crate::Header,
    f: pd::t_float,
    state: *mut State,
}

struct State {
    outlets: Arc<SignalOutlets>,
    /// The control inlets after the leftmost.
    inlets: Vec<*mut inlets::Proxy>,
    /// Kept alive by a clone for the length of every message (the patch may
    /// free the object from inside one, through an outlet).
    engine: Rc<SignalObject<S>>,
    /// What the current DSP chain's perform routine runs; replaced by each
    /// `dsp` call (the chain that used the old one is gone by then).
    dsp: Option<Box<Dsp>>,
}

static CLASS: AtomicPtr<pd::_class> = AtomicPtr::new(null_mut());

type NewFn = unsafe extern "C" fn(*mut pd::t_symbol, c_int, *const pd::t_atom) -> *mut c_void;
type ObjFn = unsafe extern "C" fn(*mut PdSignal);
type SymFn = unsafe extern "C" fn(*mut PdSignal, *mut pd::t_symbol);
type GimmeFn = unsafe extern "C" fn(*mut PdSignal, *mut pd::t_symbol, c_int, *const pd::t_atom);
type DspFn = unsafe extern "C" fn(*mut PdSignal, *mut *mut pd::t_signal);

/// Registers `[pyrus~]`; called once from the library's setup.
pub fn setup() {
    // SAFETY: Pd's class API on its thread during setup; each method is cast
    // to Pd's generic method type and called back with the signature its
    // registration declares (A_GIMME for new, `(x)` for free and bang,
    // `(x, s)` for symbol, `(x, s, argc, argv)` for list and anything,
    // `(x, sp)` for `dsp`, an A_CANT method Pd calls with the signals).
    // The main signal inlet's float lives at `f`, as CLASS_MAINSIGNALIN says.
    unsafe {
        let class = crate::class_new(
            atoms::gensym("pyrus~"),
            Some(std::mem::transmute::<NewFn, unsafe extern "C" fn() -> *mut c_void>(new)),
            Some(std::mem::transmute::<ObjFn, unsafe extern "C" fn()>(free)),
            std::mem::size_of::<PdSignal>(),
            pd::CLASS_DEFAULT as c_int,
            pd::t_atomtype::A_GIMME,
            pd::t_atomtype::A_NULL,
        );
        pd::class_domainsignalin(class, std::mem::offset_of!(PdSignal, f) as c_int);
        pd::class_addmethod(
            class,
            Some(std::mem::transmute::<DspFn, unsafe extern "C" fn()>(dsp)),
            atoms::gensym("dsp"),
            pd::t_atomtype::A_CANT,
            pd::t_atomtype::A_NULL,
        );
        pd::class_addbang(class, Some(std::mem::transmute::<ObjFn, unsafe extern "C" fn()>(bang)));
        pd::class_addsymbol(class, Some(std::mem::transmute::<SymFn, unsafe extern "C" fn()>(symbol)));
        pd::class_addlist(class, Some(std::mem::transmute::<GimmeFn, unsafe extern "C" fn()>(list)));
        pd::class_addanything(class, Some(std::mem::transmute::<GimmeFn, unsafe extern "C" fn()>(anything)));
        CLASS.store(class, Ordering::Release);
    }
}

/// The object's outlets: Pd's [`PdOutlets`] for its control outlets, made
/// after the signal outlets (see the module's doc).
struct SignalOutlets {
    pd: PdOutlets,
    /// How many control outlets (the status outlet included) the engine asked for.
    control: AtomicUsize,
}

impl Outlets for SignalOutlets {
    fn create(&self, count: usize) {
        self.control.store(count, Ordering::Relaxed);
    }

    fn outlet(&self, index: usize, message: &Message<'_>) {
        self.pd.outlet(index, message);
    }

    fn error(&self, text: &str) {
        self.pd.error(text);
    }
}

unsafe extern "C" fn new(_s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) -> *mut c_void {
    guard("pyrus~ new", null_mut(), || {
        let Some(ctx) = crate::context().filter(|_| pyrus_engine::runtime::is_started()) else {
            crate::console::error(std::ptr::null(), "pyrus~: Python is not running (see the error at load time)");
            return null_mut();
        };
        // SAFETY: our class was registered with PdSignal's size; pd_new
        // returns a zeroed object with its header set.
        let x = unsafe { pd::pd_new(CLASS.load(Ordering::Acquire)) }.cast::<PdSignal>();
        // SAFETY: x is the live object just made.
        let object = unsafe { &raw mut (*x).header.object };
        let outlets = Arc::new(SignalOutlets { pd: PdOutlets::new(object), control: AtomicUsize::new(0) });
        let mut utf8 = true;
        // SAFETY: Pd passes argc valid atoms.
        let args = unsafe { atoms::from_pd(argc, argv, &mut utf8) };
        if !utf8 {
            outlets.error(NOT_UTF8);
        }
        // SAFETY: during creation the current canvas is the one that holds the
        // new object; canvas_getdir returns its folder as a Pd symbol.
        let dir = unsafe { atoms::symbol_text(pd::canvas_getdir(pd::canvas_getcurrent())) }.0;
        let dir = std::path::PathBuf::from(&*dir);
        let engine = match SignalObject::with_patch_dir(ctx, outlets.clone(), &args, Some(&dir)) {
            Ok(engine) => engine,
            // The engine has said why, in the console.
            Err(_) => {
                // SAFETY: x is ours and not yet in any patch; its state is
                // null, so free() does nothing but Pd's own cleanup.
                unsafe { pd::pd_free(x.cast()) };
                return null_mut();
            }
        };
        // SAFETY: x is the live object being made, on Pd's thread: its
        // extra signal inlets (the leftmost is the class's main signal
        // inlet), its control inlets, its signal outlets, then the control
        // outlets the engine asked for.
        let inlets = unsafe {
            for _ in 1..engine.signal_inlets() {
                pd::inlet_new(object, &raw mut (*object).te_g.g_pd, &raw mut pd::s_signal, &raw mut pd::s_signal);
            }
            let proxies = inlets::create(x.cast(), deliver, object, engine.control_inlets() + 1);
            for _ in 0..engine.signal_outlets() {
                pd::outlet_new(object, &raw mut pd::s_signal);
            }
            proxies
        };
        outlets.pd.create(outlets.control.load(Ordering::Relaxed));
        let state = State { outlets, inlets, engine: Rc::new(engine), dsp: None };
        // SAFETY: x is live and ours; free() takes the box back.
        unsafe { (*x).state = Box::into_raw(Box::new(state)) };
        x.cast()
    })
}

unsafe extern "C" fn free(x: *mut PdSignal) {
    guard("pyrus~ free", (), || {
        // SAFETY: Pd frees only objects new() made; state is null (new
        // failed) or taken exactly once, here.
        let state = unsafe { std::mem::replace(&mut (*x).state, null_mut()) };
        if state.is_null() {
            return;
        }
        // SAFETY: made by Box::into_raw in new().
        let state = unsafe { Box::from_raw(state) };
        state.outlets.pd.detach();
        // SAFETY: the proxies were made by inlets::create for this object
        // and are freed once, here; their inlets go with the object.
        unsafe { inlets::free(&state.inlets) };
        // Pd stopped DSP before freeing an object with a dsp method: no
        // perform routine runs the Dsp dropped here.
        drop(state);
    })
}

/// Pd's `dsp` method: `sp` holds the signal inlets' vectors, then the
/// outlets'. Gets the engine's audio half for this block size and rate and
/// adds the perform routine to the chain.
unsafe extern "C" fn dsp(x: *mut PdSignal, sp: *mut *mut pd::t_signal) {
    guard("pyrus~ dsp", (), || {
        // SAFETY: Pd calls dsp on live objects made by new(); state is null
        // only if new() failed half way.
        let Some(state) = (unsafe { (*x).state.as_mut() }) else { return };
        let (ins, outs) = (state.engine.signal_inlets(), state.engine.signal_outlets());
        // The main inlet is a signal inlet even for a class without one.
        let pd_ins = ins.max(1);
        // SAFETY: Pd passes one signal per signal inlet, then one per signal outlet.
        let signals = unsafe { std::slice::from_raw_parts(sp, pd_ins + outs) };
        // SAFETY: live signals of the chain being built.
        let (n, rate) = unsafe { ((*signals[0]).s_n as usize, atoms::widen((*signals[0]).s_sr)) };
        // The chain that ran the old one is gone (Pd frees it first).
        state.dsp = None;
        let audio = state.engine.dsp(n, rate);
        // SAFETY: as above; each vector holds n samples while the chain lives.
        let vector = |signal: &*mut pd::t_signal| unsafe { (**signal).s_vec };
        let block = Box::new(Dsp {
            perform: audio,
            n,
            from: signals[..ins].iter().map(|s| vector(s).cast_const()).collect(),
            to: signals[pd_ins..].iter().map(vector).collect(),
            copies: vec![0.0; ins * n],
            ins: Vec::with_capacity(ins),
            outs: Vec::with_capacity(outs),
        });
        let dsp = state.dsp.insert(block);
        let arg: *mut Dsp = &mut **dsp;
        // SAFETY: dsp_add with one argument, the Dsp, which lives in the
        // object's state until the next dsp call or the object's free, each
        // after Pd freed this chain. Pd's dsp_add is `void dsp_add(t_perfroutine,
        // int, ...)` taking t_int arguments, which DspAddFn declares as
        // they are (pointer-wide); pd-sys's declaration differs only there.
        unsafe {
            let dsp_add =
                std::mem::transmute::<unsafe extern "C" fn(pd::t_perfroutine, c_int, ...), DspAddFn>(pd::dsp_add);
            dsp_add(perform_routine, 1, arg as PdInt);
        }
    })
}

/// What one DSP chain's perform routine works with.
struct Dsp {
    perform: Perform<S>,
    n: usize,
    /// Pd's vectors of the signal inlets and outlets, valid while the chain runs.
    from: Vec<*const S>,
    to: Vec<*mut S>,
    /// The inputs copied, one channel after the other: Pd may give an
    /// outlet the memory of an inlet, which `run`'s `&` and `&mut` must not share.
    copies: Vec<S>,
    /// Empty between blocks: their allocations, reused for the slices each
    /// block hands to `run` (no allocation on Pd's DSP thread).
    ins: Vec<&'static [S]>,
    outs: Vec<&'static mut [S]>,
}

/// The perform routine: `w[1]` is the object's [`Dsp`].
unsafe extern "C" fn perform_routine(w: *mut PdInt) -> *mut PdInt {
    // SAFETY: w is the argument list dsp_add made: w[1] the Dsp, alive while
    // the chain runs (see `dsp`), used by this routine only.
    let dsp = unsafe { &mut *(*w.add(1) as *mut Dsp) };
    guard("pyrus~ perform", (), || dsp.run());
    // SAFETY: past our one argument, the next routine's entry.
    unsafe { w.add(2) }
}

impl Dsp {
    fn run(&mut self) {
        let n = self.n;
        for (copy, &from) in self.copies.chunks_exact_mut(n).zip(&self.from) {
            // SAFETY: Pd's inlet vector holds n samples during the chain's run.
            copy.copy_from_slice(unsafe { std::slice::from_raw_parts(from, n) });
        }
        // SAFETY: both vectors are empty (emptied after every block).
        let (mut ins, mut outs) = unsafe { (relend(&mut self.ins), relend(&mut self.outs)) };
        ins.extend(self.copies.chunks_exact(n));
        // SAFETY: each outlet vector holds n samples and is Pd's memory for
        // this outlet alone (distinct from every other outlet's and from the
        // copies), written by this routine only during the chain's run.
        outs.extend(self.to.iter().map(|&to| unsafe { std::slice::from_raw_parts_mut(to, n) }));
        self.perform.run(&ins, &mut outs);
        ins.clear();
        outs.clear();
        // SAFETY: both are empty again.
        unsafe { (self.ins, self.outs) = (relend(&mut ins), relend(&mut outs)) };
    }
}

/// `store`'s allocation as an empty vector of another lifetime's references.
///
/// # Safety
/// `store` must be empty, and `A` and `B` the same type but for the
/// lifetimes of the references in it (so the same layout): an empty vector
/// holds no reference of either lifetime, only an allocation.
unsafe fn relend<A, B>(store: &mut Vec<A>) -> Vec<B> {
    debug_assert!(store.is_empty());
    let mut old = std::mem::ManuallyDrop::new(std::mem::take(store));
    // SAFETY: per the contract: the same layout, length 0, the capacity
    // and pointer of a vector allocated for that layout.
    unsafe { Vec::from_raw_parts(old.as_mut_ptr().cast::<B>(), 0, old.capacity()) }
}

/// Delivers a message that arrived at control inlet `inlet` (0 is the
/// leftmost) to `x`'s engine, kept alive by a clone of its `Rc` for the call.
fn deliver(x: *mut c_void, inlet: usize, message: &Message<'_>) {
    // SAFETY: Pd calls methods (and our proxies) only on live objects made
    // by new(); state is null only if new() failed half way.
    let Some(state) = (unsafe { (*x.cast::<PdSignal>()).state.as_ref() }) else { return };
    let engine = state.engine.clone();
    engine.message(inlet, message);
}

unsafe extern "C" fn bang(x: *mut PdSignal) {
    guard("pyrus~ bang", (), || deliver(x.cast(), 0, &Message::Bang))
}

unsafe extern "C" fn symbol(x: *mut PdSignal, s: *mut pd::t_symbol) {
    guard("pyrus~ symbol", (), || {
        // SAFETY: Pd passes a live symbol.
        let (text, ok) = unsafe { atoms::symbol_text(s) };
        warn_if_repaired(x, ok);
        deliver(x.cast(), 0, &Message::Symbol(text))
    })
}

unsafe extern "C" fn list(x: *mut PdSignal, _s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("pyrus~ list", (), || {
        let mut ok = true;
        // SAFETY: Pd passes argc valid atoms.
        let args = unsafe { atoms::from_pd(argc, argv, &mut ok) };
        warn_if_repaired(x, ok);
        deliver(x.cast(), 0, &Message::List(Cow::Owned(args)))
    })
}

unsafe extern "C" fn anything(x: *mut PdSignal, s: *mut pd::t_symbol, argc: c_int, argv: *const pd::t_atom) {
    guard("pyrus~ anything", (), || {
        let mut ok = true;
        // SAFETY: Pd passes a live selector and argc valid atoms.
        let ((selector, sel_ok), args) = unsafe { (atoms::symbol_text(s), atoms::from_pd(argc, argv, &mut ok)) };
        warn_if_repaired(x, ok && sel_ok);
        deliver(x.cast(), 0, &Message::Anything(selector, Cow::Owned(args)))
    })
}

const NOT_UTF8: &str = "pyrus~: a symbol is not valid UTF-8; it was decoded with replacement characters (U+FFFD)";

fn warn_if_repaired(x: *mut PdSignal, ok: bool) {
    // SAFETY: x is a live object (we are inside one of its methods).
    if let Some(state) = unsafe { (*x).state.as_ref() }.filter(|_| !ok) {
        state.outlets.error(NOT_UTF8);
    }
}
