//! MSP's `buffer~` as the kernel provides it, and the buffer API of
//! `ext_buffer.h` that externals use to reach one by name. In Max these
//! functions live in MaxAudio, not MaxAPI: on Linux the executable exports
//! them with the rest; the Windows kernel's MaxAudio.dll forwards them.
//!
//! - `new ID buffer~ NAME FRAMES [CHANNELS]` makes a buffer of FRAMES frames
//!   of CHANNELS (default 1) float32 samples, interleaved as in Max, zeroed.
//!   Its messages: `print` (a line `buffer NAME FRAMES CHANNELS dirty 0|1
//!   SAMPLES...`, frame after frame), `set FRAME V...` (samples from frame
//!   FRAME on, channel after channel, clipped), `sizeinsamps N` (resizes,
//!   keeping channels and what fits), `clean` (clears the dirty flag).
//! - `buffer_ref_new(owner, name)` / `buffer_ref_set` / `buffer_ref_exists` /
//!   `buffer_ref_getobject` (the first live `buffer~` of the name, or NULL);
//!   a ref is freed with `object_free`.
//! - `buffer_locksamples` / `buffer_unlocksamples` (a claim count: the
//!   samples stay where they are while claimed), `buffer_getframecount`,
//!   `buffer_getchannelcount`, `buffer_setdirty`.
//!
//! Violations the kernel can see: resizing or freeing a `buffer~` whose
//! samples are locked, unlocking one that is not, and locking a pointer that
//! is no live `buffer~`.
//!
//! # Threading
//! Any thread (Max lets the audio thread lock samples); one mutex guards the
//! table of buffers and refs, never held while external code runs.

use super::abi::{Atom, Object, Symbol, A_GIMME};
use super::api;
use super::output::{float_text, line, violation};
use super::registry::FnAddr;
use super::symbols;
use super::sync::lock;
use std::collections::HashMap;
use std::ffi::{c_long, c_void};
use std::sync::{Mutex, OnceLock};

struct Buffer {
    name: usize,
    frames: usize,
    channels: usize,
    /// `frames * channels` samples, interleaved; moved only by a resize.
    samples: Box<[f32]>,
    locks: usize,
    dirty: bool,
}

#[derive(Default)]
struct Table {
    /// Live `buffer~` objects, in creation order.
    buffers: Vec<(usize, Buffer)>,
    /// Live refs and the name each refers to.
    refs: HashMap<usize, usize>,
}

fn table() -> std::sync::MutexGuard<'static, Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    lock(TABLE.get_or_init(|| Mutex::new(Table::default())))
}

impl Table {
    fn buffer(&mut self, x: usize) -> Option<&mut Buffer> {
        self.buffers.iter_mut().find(|(b, _)| *b == x).map(|(_, b)| b)
    }

    fn named(&self, name: usize) -> Option<usize> {
        self.buffers.iter().find(|(_, b)| b.name == name).map(|(x, _)| *x)
    }
}

struct Classes {
    buffer: usize,
    reference: usize,
}

static CLASSES: OnceLock<Classes> = OnceLock::new();

/// Registers `buffer~` (a box class) and the refs' class.
pub fn register() {
    let size = std::mem::size_of::<Object>();
    let buffer = api::new_class(
        "buffer~",
        buffer_new as *const () as FnAddr,
        buffer_free as *const () as FnAddr,
        size,
        vec![A_GIMME],
    );
    for (name, f) in [
        ("print", buffer_print as *const ()),
        ("set", buffer_set as *const ()),
        ("sizeinsamps", buffer_sizeinsamps as *const ()),
        ("clean", buffer_clean as *const ()),
    ] {
        api::add_method(buffer, name, f as FnAddr, vec![A_GIMME]);
    }
    let reference = api::new_class("buffer_ref", 0, ref_free as *const () as FnAddr, size, vec![]);
    // SAFETY: a kernel class just made; the symbol is interned.
    unsafe { api::class_register(symbols::sym("box"), buffer as *mut c_void) };
    let _ = CLASSES.set(Classes { buffer, reference });
}

fn args<'a>(argc: c_long, argv: *const Atom) -> &'a [Atom] {
    if argv.is_null() || argc <= 0 {
        return &[];
    }
    // SAFETY: the kernel passes `argc` atoms at `argv`.
    unsafe { std::slice::from_raw_parts(argv, argc as usize) }
}

/// A count argument: a non-negative number.
fn count(a: Option<&Atom>) -> Option<usize> {
    let v = a?.as_float();
    (v >= 0.0 && v.fract() == 0.0).then_some(v as usize)
}

unsafe extern "C" fn buffer_new(_s: *mut Symbol, argc: c_long, argv: *mut Atom) -> *mut c_void {
    let a = args(argc, argv);
    let (Some(name), Some(frames)) = (a.first().and_then(Atom::as_sym), count(a.get(1))) else {
        line("error", "buffer~: give NAME FRAMES [CHANNELS]");
        return std::ptr::null_mut();
    };
    let channels = if a.len() > 2 { count(a.get(2)).filter(|&c| c >= 1) } else { Some(1) };
    let Some(channels) = channels else {
        line("error", "buffer~: CHANNELS must be 1 or more");
        return std::ptr::null_mut();
    };
    let classes = CLASSES.get().expect("buffers registered");
    // SAFETY: a kernel class.
    let x = unsafe { api::object_alloc(classes.buffer as *mut c_void) } as usize;
    let samples = vec![0.0; frames * channels].into_boxed_slice();
    let buffer = Buffer { name: name as usize, frames, channels, samples, locks: 0, dirty: false };
    table().buffers.push((x, buffer));
    x as *mut c_void
}

unsafe extern "C" fn buffer_free(x: *mut c_void) {
    let mut t = table();
    let Some(at) = t.buffers.iter().position(|(b, _)| *b == x as usize) else { return };
    let (_, b) = t.buffers.remove(at);
    drop(t);
    if b.locks > 0 {
        let name = symbols::name(b.name as *const Symbol);
        violation(&format!("buffer~ {name} freed while its samples are locked ({} locks)", b.locks));
        // Whoever holds the lock may still write: the samples stay.
        std::mem::forget(b.samples);
    }
}

unsafe extern "C" fn buffer_print(x: *mut c_void, _s: *mut Symbol, _argc: c_long, _argv: *mut Atom) {
    let mut t = table();
    let Some(b) = t.buffer(x as usize) else { return };
    let samples: Vec<String> = b.samples.iter().map(|&v| float_text(f64::from(v))).collect();
    let name = symbols::name(b.name as *const Symbol);
    let text = format!("{name} {} {} dirty {} {}", b.frames, b.channels, u8::from(b.dirty), samples.join(" "));
    drop(t);
    line("buffer", text.trim_end());
}

unsafe extern "C" fn buffer_set(x: *mut c_void, _s: *mut Symbol, argc: c_long, argv: *mut Atom) {
    let a = args(argc, argv);
    let mut t = table();
    let Some(b) = t.buffer(x as usize) else { return };
    let Some(start) = count(a.first()) else {
        drop(t);
        return line("error", "buffer~: set FRAME VALUES...");
    };
    let from = start.saturating_mul(b.channels).min(b.samples.len());
    for (slot, v) in b.samples[from..].iter_mut().zip(&a[1..]) {
        *slot = v.as_float() as f32;
    }
}

unsafe extern "C" fn buffer_sizeinsamps(x: *mut c_void, _s: *mut Symbol, argc: c_long, argv: *mut Atom) {
    let Some(frames) = count(args(argc, argv).first()) else {
        return line("error", "buffer~: sizeinsamps FRAMES");
    };
    let mut t = table();
    let Some(b) = t.buffer(x as usize) else { return };
    if b.locks > 0 {
        let (name, locks) = (symbols::name(b.name as *const Symbol), b.locks);
        drop(t);
        return violation(&format!("buffer~ {name} resized while its samples are locked ({locks} locks)"));
    }
    let mut samples = vec![0.0; frames * b.channels].into_boxed_slice();
    let kept = samples.len().min(b.samples.len());
    samples[..kept].copy_from_slice(&b.samples[..kept]);
    b.samples = samples;
    b.frames = frames;
}

unsafe extern "C" fn buffer_clean(x: *mut c_void, _s: *mut Symbol, _argc: c_long, _argv: *mut Atom) {
    if let Some(b) = table().buffer(x as usize) {
        b.dirty = false;
    }
}

unsafe extern "C" fn ref_free(x: *mut c_void) {
    table().refs.remove(&(x as usize));
}

#[no_mangle]
pub unsafe extern "C" fn buffer_ref_new(_owner: *mut Object, name: *mut Symbol) -> *mut c_void {
    let classes = CLASSES.get().expect("buffers registered");
    // SAFETY: a kernel class.
    let r = unsafe { api::object_alloc(classes.reference as *mut c_void) };
    table().refs.insert(r as usize, name as usize);
    r
}

#[no_mangle]
pub unsafe extern "C" fn buffer_ref_set(r: *mut c_void, name: *mut Symbol) {
    if let Some(n) = table().refs.get_mut(&(r as usize)) {
        *n = name as usize;
    }
}

#[no_mangle]
pub unsafe extern "C" fn buffer_ref_getobject(r: *mut c_void) -> *mut c_void {
    let t = table();
    let found = t.refs.get(&(r as usize)).and_then(|&name| t.named(name));
    found.map_or(std::ptr::null_mut(), |x| x as *mut c_void)
}

#[no_mangle]
pub unsafe extern "C" fn buffer_ref_exists(r: *mut c_void) -> isize {
    // SAFETY: same contract.
    isize::from(!unsafe { buffer_ref_getobject(r) }.is_null())
}

#[no_mangle]
pub unsafe extern "C" fn buffer_locksamples(x: *mut c_void) -> *mut f32 {
    let mut t = table();
    let Some(b) = t.buffer(x as usize) else {
        drop(t);
        violation(&format!("buffer_locksamples of {:#x}, which is no live buffer~", x as usize));
        return std::ptr::null_mut();
    };
    b.locks += 1;
    b.samples.as_mut_ptr()
}

#[no_mangle]
pub unsafe extern "C" fn buffer_unlocksamples(x: *mut c_void) {
    let mut t = table();
    match t.buffer(x as usize) {
        Some(b) if b.locks > 0 => b.locks -= 1,
        _ => {
            drop(t);
            violation(&format!("buffer_unlocksamples of {:#x}, which is not locked", x as usize));
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn buffer_getframecount(x: *mut c_void) -> isize {
    table().buffer(x as usize).map_or(0, |b| b.frames as isize)
}

#[no_mangle]
pub unsafe extern "C" fn buffer_getchannelcount(x: *mut c_void) -> isize {
    table().buffer(x as usize).map_or(0, |b| b.channels as isize)
}

#[no_mangle]
pub unsafe extern "C" fn buffer_setdirty(x: *mut c_void) -> isize {
    match table().buffer(x as usize) {
        Some(b) => {
            b.dirty = true;
            0
        }
        None => -1,
    }
}
