//! MSP in the kernel: the signal side of Max that an external uses, with the
//! SDK's names, prototypes and layouts (`z_dsp.h`): `t_pxobject`,
//! `class_dspinit`, `z_dsp_setup` (the SDK's `dsp_setup` is a macro for
//! it), `z_dsp_free` (`dsp_free`), the `dsp64` method
//! `(x, dsp64, short *count, double samplerate, long maxvectorsize, long
//! flags)`, `dsp_add64` (also reached as `object_method(dsp64,
//! gensym("dsp_add64"), x, perform64, flags, userparam)`, as the SDK's
//! examples call it), the perform routine `(x, dsp64, double **ins, long
//! numins, double **outs, long numouts, long sampleframes, long flags, void
//! *userparam)`, `sys_getsr`, `sys_getblksize`, `sys_getmaxblksize`,
//! `sys_getdspstate`, `sys_getdspobjdspstate`. In Max these live in the
//! MaxAudio library, not in MaxAPI; on Linux the kernel's executable
//! exports them all, as it does MaxAPI's, since there an external resolves
//! every Max function from the process.
//!
//! There is no patcher, so no connections: a signal inlet is fed by a
//! generator the `signal` command sets, a signal outlet is read by the
//! `capture` command into a file (one sample a line), and `count[]` of
//! `dsp64` says which inlets and outlets have one. Commands (main thread):
//!
//! ```text
//! dsp on SR VS          compile (every DSP object's dsp64, creation order), then run in real time until dsp off
//! dsp run SR VS N       the same for N vectors, then stops by itself: prints `dsp done N`
//! dsp fast SR VS N      N vectors as fast as the thread goes (Max's non-real-time driver): `dsp done N`
//! dsp off               stops (joins the audio thread), writes the captures out: prints `dsp off VECTORS`
//! signal ID INLET impulse [AT] | ramp | const V | sine HZ [AMP] | off
//! capture ID OUTLET FILE
//! ```
//!
//! As MSP may, the kernel passes an object's first input vector as its
//! first output vector (in place) unless it set `Z_NO_INPLACE` in `z_misc`.
//!
//! Sample times count from the start of the run (`impulse 0` is the first
//! sample of the first vector; `ramp` is the sample's index). A capture
//! holds the samples of one run (from the start that compiled the chain).
//!
//! Threads: the commands, `dsp64` calls, `z_dsp_setup`/`z_dsp_free` run on
//! main; the perform routines on the kernel's audio thread (`dsp` in the
//! `dsp done` line, neither main nor the scheduler: an outlet, a clock or
//! typedmess from it is a violation, as in Max). The chain is behind its
//! own lock, which the audio thread holds for one vector at a time: a
//! `z_dsp_free` waits for the vector in flight, so no perform routine runs
//! on (or after) a freed object. Compiling takes the lock too, so a `dsp64`
//! never runs while the chain does (Max stops the chain to rebuild it). An
//! MSP object made or freed while DSP runs rebuilds the chain, as in Max.

use super::abi::{Object, A_CANT, A_GIMME};
use super::api;
use super::output::{self, line, role, violation, Role};
use super::registry::{reg, FnAddr};
use super::sync::lock;
use super::words::Word;
use std::collections::{HashMap, HashSet};
use std::ffi::{c_char, c_int, c_long, c_short, c_void};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// `t_pxobject`: the header of a non-UI MSP object (64-bit: default packing).
#[repr(C)]
pub struct PxObject {
    pub z_ob: Object,
    pub z_in: c_long,
    pub z_proxy: *mut c_void,
    pub z_disabled: c_long,
    pub z_count: c_short,
    pub z_misc: c_short,
}

// C `long` is 4 bytes on Win64 and 8 on LP64 platforms.
#[cfg(windows)]
const _: () = assert!(std::mem::size_of::<PxObject>() == 56);
#[cfg(not(windows))]
const _: () = assert!(std::mem::size_of::<PxObject>() == 64);
const _: () = assert!(std::mem::offset_of!(PxObject, z_in) == 32);

/// `z_misc`: the object wants its outputs apart from its inputs.
const Z_NO_INPLACE: c_short = 1;

/// `SYS_MAXBLKSIZE`: a vector size the kernel accepts at most.
const MAX_VECTOR: usize = 8192;

type Dsp64Fn = unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_short, f64, c_long, c_long);
type PerformFn = unsafe extern "C" fn(
    *mut c_void,
    *mut c_void,
    *mut *mut f64,
    c_long,
    *mut *mut f64,
    c_long,
    c_long,
    c_long,
    *mut c_void,
);

/// What feeds a signal inlet.
#[derive(Clone, Copy)]
enum Source {
    Impulse(u64),
    Ramp,
    Const(f64),
    Sine(f64, f64),
}

impl Source {
    fn sample(self, n: u64, sr: f64) -> f64 {
        match self {
            Source::Impulse(at) => f64::from(u8::from(n == at)),
            Source::Ramp => n as f64,
            Source::Const(v) => v,
            Source::Sine(hz, amp) => amp * (std::f64::consts::TAU * hz * n as f64 / sr).sin(),
        }
    }
}

/// An MSP object the kernel knows (z_dsp_setup'd, not z_dsp_free'd).
struct SignalObject {
    inlets: usize,
    proxies: Vec<usize>,
}

#[derive(Default)]
struct Dsp {
    classes: HashSet<usize>,
    /// Objects in the order they were set up (creation order).
    objects: Vec<(usize, SignalObject)>,
    /// Signal outlet tokens (outlet_new(x, "signal")).
    signal_outlets: HashSet<usize>,
    sources: HashMap<(usize, usize), Source>,
    /// (object, Max outlet index) -> file name.
    captures: HashMap<(usize, usize), String>,
    run: Option<Run>,
}

/// One item of the compiled chain: a perform routine and its buffers.
struct Item {
    x: usize,
    fun: FnAddr,
    flags: c_long,
    userparam: usize,
    /// No Z_NO_INPLACE: the first output is the first input's vector.
    inplace: bool,
    ins: Vec<Vec<f64>>,
    outs: Vec<Vec<f64>>,
    sources: Vec<Option<Source>>,
    /// (index into outs, the capture's samples).
    captures: Vec<(usize, usize)>,
}

#[derive(Default)]
struct Chain {
    items: Vec<Item>,
    /// Captured samples by capture number, and their files.
    captured: Vec<(String, Vec<f64>)>,
    sr: f64,
    vs: usize,
}

/// The object whose dsp64 runs now, and what its dsp_add64 calls add
/// (a lock of its own: the chain's is held while dsp64 methods run).
struct Compiling(Option<(usize, Vec<Item>)>);

// SAFETY: as for Chain; only main touches it, while compiling.
unsafe impl Send for Compiling {}

fn compiling() -> MutexGuard<'static, Compiling> {
    static COMPILING: Mutex<Compiling> = Mutex::new(Compiling(None));
    lock(&COMPILING)
}

// SAFETY: the addresses in items are the externals' objects, functions and
// parameters, used only on the audio thread inside a vector (under the chain
// lock) or on main while compiling (under it too), as Max uses them.
unsafe impl Send for Chain {}

struct Run {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

fn dsp() -> MutexGuard<'static, Dsp> {
    static DSP: OnceLock<Mutex<Dsp>> = OnceLock::new();
    lock(DSP.get_or_init(|| Mutex::new(Dsp::default())))
}

fn chain() -> &'static Mutex<Chain> {
    static CHAIN: OnceLock<Mutex<Chain>> = OnceLock::new();
    CHAIN.get_or_init(|| Mutex::new(Chain::default()))
}

static DSP_ON: AtomicBool = AtomicBool::new(false);
static SR_BITS: AtomicU64 = AtomicU64::new(0x40E5_8880_0000_0000); // 44100.0
static VS: AtomicU64 = AtomicU64::new(64);
/// Vectors run since the last start.
static VECTORS: AtomicU64 = AtomicU64::new(0);

/// The dsp64 object handed to dsp64 methods: a kernel object whose class
/// has the A_CANT method `dsp_add64`.
fn dsp64_object() -> usize {
    static OBJECT: OnceLock<usize> = OnceLock::new();
    *OBJECT.get_or_init(|| {
        let class = api::new_class("dspchain", 0, 0, std::mem::size_of::<Object>(), vec![A_GIMME]);
        api::add_method(class, "dsp_add64", chain_add64 as *const () as FnAddr, vec![A_CANT]);
        // SAFETY: a kernel class, just made.
        unsafe { api::object_alloc(class as *mut c_void) as usize }
    })
}

// ---- the MaxAudio API ----

/// Marks the class as an MSP class: its objects' dsp64 methods are called
/// when the chain is compiled.
#[no_mangle]
pub unsafe extern "C" fn class_dspinit(c: *mut c_void) {
    dsp().classes.insert(c as usize);
}

/// Sets up `x` (a `t_pxobject` at the head of the object) with `nsignals`
/// signal inlets: the leftmost is the object's own, the others proxies made
/// right to left (as any later inlet goes to their left) whose number a
/// message's `proxy_getinlet` gives.
#[no_mangle]
pub unsafe extern "C" fn z_dsp_setup(x: *mut PxObject, nsignals: c_long) {
    let owner = x as usize;
    let class = reg().objects.get(&owner).map(|o| o.class);
    if class.is_none_or(|c| !dsp().classes.contains(&c)) {
        violation(&format!(
            "z_dsp_setup on an object of {}, a class without class_dspinit",
            reg().class_name_of(owner)
        ));
    }
    let n = usize::try_from(nsignals).unwrap_or(0);
    // SAFETY: the caller passes its object, whose header is a t_pxobject.
    let stuff = unsafe { &raw mut (*x).z_in };
    // SAFETY: the object is live and being made; its z_in lives as long.
    let proxies = (1..n).rev().map(|i| unsafe { api::proxy_new(x.cast(), i as c_long, stuff) } as usize).collect();
    // SAFETY: as above.
    unsafe {
        (*x).z_count = n as c_short;
        (*x).z_disabled = 0;
        (*x).z_misc = 0;
    }
    dsp().objects.push((owner, SignalObject { inlets: n, proxies }));
}

/// Takes `x` out of the chain, waiting for the vector in flight: no perform
/// routine of it runs once this returns. Frees its proxies.
#[no_mangle]
pub unsafe extern "C" fn z_dsp_free(x: *mut PxObject) {
    if role() == Role::Other {
        violation(&format!("z_dsp_free from a thread other than main ({})", reg().class_name_of(x as usize)));
    }
    remove(x as usize);
}

/// Removes `x`'s chain items and its record; false if it had none.
fn remove(x: usize) -> bool {
    let record = {
        let mut d = dsp();
        let i = d.objects.iter().position(|o| o.0 == x);
        i.map(|i| d.objects.remove(i).1)
    };
    let Some(record) = record else { return false };
    lock(chain()).items.retain(|item| item.x != x);
    for p in record.proxies {
        api::free_pointer(p);
    }
    true
}

/// Called by the kernel after an object's free method: an MSP object freed
/// without z_dsp_free would still be in the chain, its perform routine
/// running on freed memory: a violation, and it is taken out.
pub fn freed(x: usize) {
    if dsp().objects.iter().any(|o| o.0 == x) {
        violation(&format!("{} was freed without z_dsp_free (it was in the DSP chain)", reg().class_name_of(x)));
        remove(x);
    }
}

/// Called by outlet_new: a `signal` outlet is one a perform routine writes.
pub fn outlet_made(outlet: usize, ty: *const c_char) {
    if ty.is_null() {
        return;
    }
    // SAFETY: outlet_new takes a NUL-terminated type name.
    let ty = unsafe { std::ffi::CStr::from_ptr(ty) };
    if ty.to_bytes() == b"signal" || ty.to_bytes() == b"multichannelsignal" {
        dsp().signal_outlets.insert(outlet);
    }
}

#[no_mangle]
pub unsafe extern "C" fn dsp_add64(
    chain: *mut c_void,
    x: *mut c_void,
    f: Option<unsafe extern "C" fn()>,
    flags: c_long,
    userparam: *mut c_void,
) {
    add64(chain as usize, x as usize, f.map_or(0, |f| f as usize), flags, userparam as usize);
}

/// `dsp_add64` as the dsp64 object's method (object_method's words).
unsafe extern "C" fn chain_add64(
    chain: *mut c_void,
    x: *mut c_void,
    f: *mut c_void,
    flags: isize,
    userparam: *mut c_void,
) {
    // object_method passes words: a `long` is the low half on Win64.
    add64(chain as usize, x as usize, f as usize, flags as c_long, userparam as usize);
}

fn add64(chain_object: usize, x: usize, fun: FnAddr, flags: c_long, userparam: usize) {
    if chain_object != dsp64_object() {
        return violation("dsp_add64 on something that is not the dsp64 object a dsp64 method got");
    }
    let mut c = compiling();
    match &mut c.0 {
        Some((owner, items)) if *owner == x && fun != 0 => {
            items.push(Item {
                x,
                fun,
                flags,
                userparam,
                inplace: false,
                ins: Vec::new(),
                outs: Vec::new(),
                sources: Vec::new(),
                captures: Vec::new(),
            });
        }
        Some(_) if fun == 0 => violation("dsp_add64 with a null perform routine"),
        Some(_) => violation("dsp_add64 for an object other than the one whose dsp64 is running"),
        None => violation("dsp_add64 outside a dsp64 method"),
    }
}

#[no_mangle]
pub unsafe extern "C" fn sys_getsr() -> f32 {
    f64::from_bits(SR_BITS.load(Ordering::Relaxed)) as f32
}

#[no_mangle]
pub unsafe extern "C" fn sys_getblksize() -> c_int {
    VS.load(Ordering::Relaxed) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn sys_getmaxblksize() -> c_int {
    MAX_VECTOR as c_int
}

#[no_mangle]
pub unsafe extern "C" fn sys_getdspstate() -> c_int {
    c_int::from(DSP_ON.load(Ordering::SeqCst))
}

#[no_mangle]
pub unsafe extern "C" fn sys_getdspobjdspstate(o: *mut Object) -> c_int {
    let listed = dsp().objects.iter().any(|x| x.0 == o as usize);
    c_int::from(listed && DSP_ON.load(Ordering::SeqCst))
}

// ---- commands ----

/// `dsp ...`, `signal ...`, `capture ...` (main thread).
pub fn command(cmd: &str, rest: &[Word], object: impl Fn(&str) -> Option<usize>) {
    let t = |i: usize| rest.get(i).map_or("", |w| w.text.as_str());
    let result = match (cmd, t(0)) {
        ("dsp", "off") if rest.len() == 1 => {
            stop();
            Ok(())
        }
        ("dsp", mode @ ("on" | "run" | "fast")) => start(mode, &rest[1..]),
        ("signal", _) if rest.len() >= 3 => match object(t(0)) {
            Some(x) => set_source(x, t(1), &rest[2..]),
            None => Ok(()),
        },
        ("capture", _) if rest.len() == 3 => match object(t(0)) {
            Some(x) => set_capture(x, t(1), t(2)),
            None => Ok(()),
        },
        _ => Err(format!("fake-max: bad command: {cmd} {}", words_text(rest))),
    };
    if let Err(e) = result {
        line("error", &e);
    }
}

fn words_text(ws: &[Word]) -> String {
    ws.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
}

fn number<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{what}: bad number \"{text}\""))
}

fn set_source(x: usize, inlet: &str, spec: &[Word]) -> Result<(), String> {
    let inlet: usize = number("signal", inlet)?;
    let t = |i: usize| spec.get(i).map_or("", |w| w.text.as_str());
    let source = match (t(0), spec.len()) {
        ("impulse", 1) => Some(Source::Impulse(0)),
        ("impulse", 2) => Some(Source::Impulse(number("signal", t(1))?)),
        ("ramp", 1) => Some(Source::Ramp),
        ("const", 2) => Some(Source::Const(number("signal", t(1))?)),
        ("sine", 2) => Some(Source::Sine(number("signal", t(1))?, 1.0)),
        ("sine", 3) => Some(Source::Sine(number("signal", t(1))?, number("signal", t(2))?)),
        ("off", 1) => None,
        _ => {
            return Err(format!(
                "signal: \"{}\" is not impulse [AT], ramp, const V, sine HZ [AMP] or off",
                words_text(spec)
            ))
        }
    };
    let mut d = dsp();
    let Some(o) = d.objects.iter().find(|o| o.0 == x) else {
        return Err(format!("signal: {} is not an MSP object", reg().label(x)));
    };
    if inlet >= o.1.inlets {
        return Err(format!("signal: {} has {} signal inlets", reg().label(x), o.1.inlets));
    }
    match source {
        Some(s) => d.sources.insert((x, inlet), s),
        None => d.sources.remove(&(x, inlet)),
    };
    Ok(())
}

/// The object's signal outlets, left to right (outs[0] is the leftmost).
fn signal_outlets(x: usize, d: &Dsp) -> Vec<usize> {
    let made = reg().objects.get(&x).map(|o| o.outlets.clone()).unwrap_or_default();
    // Max puts each new outlet to the left of those before.
    made.into_iter().rev().filter(|t| d.signal_outlets.contains(t)).collect()
}

/// The Max index (0 leftmost) of each of the object's signal outlets.
fn signal_outlet_indices(x: usize, d: &Dsp) -> Vec<usize> {
    let made = reg().objects.get(&x).map(|o| o.outlets.clone()).unwrap_or_default();
    made.iter().rev().enumerate().filter(|(_, t)| d.signal_outlets.contains(t)).map(|(i, _)| i).collect()
}

fn set_capture(x: usize, outlet: &str, file: &str) -> Result<(), String> {
    let outlet: usize = number("capture", outlet)?;
    let mut d = dsp();
    if !signal_outlet_indices(x, &d).contains(&outlet) {
        return Err(format!("capture: outlet {outlet} of {} is not a signal outlet", reg().label(x)));
    }
    d.captures.insert((x, outlet), file.to_owned());
    Ok(())
}

/// Compiles the chain and starts the audio thread.
fn start(mode: &str, args: &[Word]) -> Result<(), String> {
    let t = |i: usize| args.get(i).map_or("", |w| w.text.as_str());
    let (sr, vs, vectors): (f64, usize, Option<u64>) = match (mode, args.len()) {
        ("on", 2) => (number("dsp", t(0))?, number("dsp", t(1))?, None),
        ("run" | "fast", 3) => (number("dsp", t(0))?, number("dsp", t(1))?, Some(number("dsp", t(2))?)),
        _ => return Err(format!("dsp {mode}: takes SR VS{}", if mode == "on" { "" } else { " N" })),
    };
    if !(sr > 0.0 && sr.is_finite()) || vs == 0 || vs > MAX_VECTOR {
        return Err(format!("dsp {mode}: bad sample rate or vector size ({sr}, {vs}: 1 to {MAX_VECTOR})"));
    }
    stop_thread();
    SR_BITS.store(sr.to_bits(), Ordering::Relaxed);
    VS.store(vs as u64, Ordering::Relaxed);
    compile(sr, vs, false);
    DSP_ON.store(true, Ordering::SeqCst);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // A vector every VS/SR seconds, or no pacing.
    let period = (mode != "fast").then(|| Duration::from_secs_f64(vs as f64 / sr));
    VECTORS.store(0, Ordering::SeqCst);
    let thread = std::thread::Builder::new()
        .name("audio".into())
        .spawn(move || output::guarded("the audio thread", || audio_thread(&flag, period, vectors)))
        .map_err(|e| format!("dsp: the audio thread does not start: {e}"))?;
    dsp().run = Some(Run { stop, thread });
    Ok(())
}

/// While DSP runs, an MSP object made or freed (the `new` and `free`
/// commands) rebuilds the chain as Max does: every dsp64 again, the audio
/// thread waiting meanwhile, the run's time and captures going on.
pub fn rebuild() {
    if dsp().run.is_some() {
        let (sr, vs) = {
            let c = lock(chain());
            (c.sr, c.vs)
        };
        compile(sr, vs, true);
    }
}

/// Calls each MSP object's dsp64 (creation order) with the chain held, so
/// that no vector runs meanwhile; the old chain's items are dropped, and
/// the captures' samples unless `keep` (a rebuild during a run).
fn compile(sr: f64, vs: usize, keep: bool) {
    let objects: Vec<(usize, usize)> = dsp().objects.iter().map(|(x, o)| (*x, o.inlets)).collect();
    let chain_object = dsp64_object();
    let mut c = lock(chain());
    c.items.clear();
    if !keep {
        c.captured.clear();
    }
    c.sr = sr;
    c.vs = vs;
    for (x, inlets) in objects {
        let Some(fun) = reg().class_of(x).and_then(|(cl, _)| cl.methods.get("dsp64").map(|m| m.fun)) else {
            continue;
        };
        let (outlets, sources, captures) = {
            let d = dsp();
            let outlets = signal_outlet_indices(x, &d);
            let sources: Vec<Option<Source>> = (0..inlets).map(|i| d.sources.get(&(x, i)).copied()).collect();
            let captures: Vec<(usize, String)> = outlets
                .iter()
                .enumerate()
                .filter_map(|(k, o)| d.captures.get(&(x, *o)).map(|f| (k, f.clone())))
                .collect();
            (signal_outlets(x, &d).len(), sources, captures)
        };
        let mut count: Vec<c_short> = sources.iter().map(|s| c_short::from(s.is_some())).collect();
        count.extend((0..outlets).map(|k| c_short::from(captures.iter().any(|c| c.0 == k))));
        count.push(0);
        compiling().0 = Some((x, Vec::new()));
        // SAFETY: the class registered `dsp64` (A_CANT) with MSP's prototype;
        // count has an entry per signal inlet and outlet.
        unsafe {
            std::mem::transmute::<FnAddr, Dsp64Fn>(fun)(
                x as *mut c_void,
                chain_object as *mut c_void,
                count.as_mut_ptr(),
                sr,
                vs as c_long,
                0,
            )
        };
        let (_, added) = compiling().0.take().unwrap_or((x, Vec::new()));
        // SAFETY: x is a live MSP object (z_dsp_setup'd), a t_pxobject first.
        let misc = unsafe { (*(x as *const PxObject)).z_misc };
        for mut item in added {
            item.inplace = misc & Z_NO_INPLACE == 0 && inlets > 0 && outlets > 0;
            item.ins = vec![vec![0.0; vs]; inlets];
            item.outs = vec![vec![0.0; vs]; outlets];
            item.sources.clone_from(&sources);
            for (k, file) in &captures {
                let n = match c.captured.iter().position(|(f, _)| f == file) {
                    Some(n) => n,
                    None => {
                        c.captured.push((file.clone(), Vec::new()));
                        c.captured.len() - 1
                    }
                };
                item.captures.push((*k, n));
            }
            c.items.push(item);
        }
    }
}

/// The kernel's audio thread: one vector of every chain item at a time, in
/// real time (a vector each VS/SR s) or as fast as it goes.
fn audio_thread(stop: &AtomicBool, period: Option<Duration>, vectors: Option<u64>) {
    let started = Instant::now();
    let mut done: u64 = 0;
    while !stop.load(Ordering::SeqCst) && vectors.is_none_or(|n| done < n) {
        if let Some(period) = period {
            // The kernel's audio clock (not a synchronisation): short naps,
            // so that a stop is seen at once.
            let due = started + period * u32::try_from(done).unwrap_or(u32::MAX);
            let now = Instant::now();
            if due > now {
                std::thread::sleep((due - now).min(Duration::from_millis(5)));
                continue;
            }
        }
        run_vector(&mut lock(chain()), done);
        done += 1;
        VECTORS.store(done, Ordering::SeqCst);
    }
    if let Some(n) = vectors.filter(|&n| done == n) {
        line("dsp", &format!("done {n}"));
    }
}

fn run_vector(c: &mut Chain, index: u64) {
    let (vs, sr) = (c.vs, c.sr);
    let first = index * vs as u64;
    let Chain { items, captured, .. } = c;
    let chain_object = dsp64_object();
    for item in items.iter_mut() {
        for (buf, source) in item.ins.iter_mut().zip(&item.sources) {
            for (k, s) in buf.iter_mut().enumerate() {
                *s = source.map_or(0.0, |src| src.sample(first + k as u64, sr));
            }
        }
        for out in &mut item.outs {
            out.fill(0.0);
        }
        let mut ins: Vec<*mut f64> = item.ins.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let mut outs: Vec<*mut f64> = item.outs.iter_mut().map(|b| b.as_mut_ptr()).collect();
        // As MSP may: one vector for the first inlet and the first outlet.
        if item.inplace {
            outs[0] = ins[0];
        }
        // SAFETY: dsp_add64 got the routine with MSP's perform64 prototype;
        // each buffer has vs samples; the object is in the chain, so alive
        // (z_dsp_free takes it out under this lock).
        unsafe {
            std::mem::transmute::<FnAddr, PerformFn>(item.fun)(
                item.x as *mut c_void,
                chain_object as *mut c_void,
                ins.as_mut_ptr(),
                ins.len() as c_long,
                outs.as_mut_ptr(),
                outs.len() as c_long,
                vs as c_long,
                item.flags,
                item.userparam as *mut c_void,
            )
        };
        for &(k, n) in &item.captures {
            let out = if item.inplace && k == 0 { &item.ins[0] } else { &item.outs[k] };
            captured[n].1.extend_from_slice(out);
        }
    }
}

/// Stops the audio thread (if running) and waits for it.
fn stop_thread() -> bool {
    let run = dsp().run.take();
    let Some(run) = run else { return false };
    run.stop.store(true, Ordering::SeqCst);
    if run.thread.join().is_err() {
        output::failure("fake-max: the audio thread panicked");
    }
    DSP_ON.store(false, Ordering::SeqCst);
    true
}

/// `dsp off`: stops, writes the captures, says how many vectors ran.
fn stop() {
    stop_thread();
    DSP_ON.store(false, Ordering::SeqCst);
    let c = lock(chain());
    for (file, samples) in &c.captured {
        let text: String = samples.iter().map(|s| format!("{s}\n")).collect();
        if let Err(e) = std::fs::File::create(file).and_then(|mut f| f.write_all(text.as_bytes())) {
            line("error", &format!("capture: {file}: {e}"));
        }
    }
    drop(c);
    line("dsp", &format!("off {}", VECTORS.load(Ordering::SeqCst)));
}

/// At quit: the chain stops before any object is freed, as Max stops audio.
pub fn quit() {
    stop_thread();
}
