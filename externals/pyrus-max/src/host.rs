//! The engine's host roles, implemented with Max's API: [`MaxHost`] for the
//! Max instance (one engine context), [`MaxOutlets`] for one object.
//!
//! # Threading
//! Both are called on Max's main and scheduler threads, possibly at once
//! (`wake` from any thread). Nothing here holds a lock across a call into
//! Max: an outlet or a send may lead straight back into the engine.

use crate::atoms::{gensym, long_atom, to_atom, to_max};
use crate::console;
use crate::gate::Gate;
use pyrus_engine::atoms::{Message, Numbers};
use pyrus_engine::{ArrayMemory, Host, NoReceiver, Outlets, SampleType};
use pyrus_max_sys as max;
use std::ffi::{c_short, c_void};
use std::sync::OnceLock;

/// The Max instance as the engine's context sees it: the Max window,
/// receivers (`s_thing`), the scheduler's logical time, the service clock
/// and the waker (`service`).
pub struct MaxHost;

impl Host for MaxHost {
    fn name(&self) -> &'static str {
        "Max"
    }

    fn post(&self, text: &str) {
        console::post(text);
    }

    fn error(&self, text: &str) {
        console::error(std::ptr::null_mut(), text);
    }

    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver> {
        let symbol = gensym(name);
        // SAFETY: gensym returns a live symbol; s_thing is null or the object
        // bound to the name (a `[receive]`'s through object).
        let thing = unsafe { (*symbol).s_thing };
        if thing.is_null() {
            return Err(NoReceiver(name.to_owned()));
        }
        if let Some(why) = cut_error(message) {
            self.error(&why);
        }
        let (selector, mut atoms) = to_max(message);
        // SAFETY: thing is a live object bound to the name, on a host thread
        // (main or scheduler, where Max allows typedmess); the atoms outlive
        // the call.
        unsafe { max::typedmess(thing, selector, count(&atoms), atoms.as_mut_ptr()) };
        Ok(())
    }

    fn logical_time(&self) -> f64 {
        let mut time = 0.0;
        // SAFETY: writes the scheduler's current time into `time`.
        unsafe { max::clock_getftime(&mut time) };
        time
    }

    /// Max has ints and floats, kept apart both ways.
    fn numbers(&self) -> Numbers {
        Numbers::IntsAndFloats
    }

    /// Max calls an object from its main and its scheduler thread, even at
    /// once: the engine's call lock serialises synchronous calls.
    fn one_thread(&self) -> bool {
        false
    }

    fn request_service(&self) -> bool {
        crate::service::request()
    }

    fn wake(&self) {
        crate::service::wake();
    }

    // Clocks for scripts (`pyrus.after/every`): `clocks.rs`. No `bind` yet:
    // `pyrus.receive` is refused in Max with an error saying so.
    fn clock(&self, tick: std::sync::Arc<dyn Fn() + Send + Sync>) -> Option<Box<dyn pyrus_engine::Clock>> {
        Some(Box::new(crate::clocks::MaxClock::new(tick)))
    }

    // --- Arrays (h-array): `pyrus.array(NAME)` over `buffer~` (MaxAudio). ---

    /// The `buffer~`'s samples, frames x channels of float32 interleaved,
    /// claimed with `buffer_locksamples` for one operation of the script's
    /// `pyrus.Array` and released in `array_close` (the SDK: claim, use,
    /// release; so a lock is held for one numpy operation, never a whole call).
    fn array_open(&self, name: &str) -> Result<ArrayMemory, String> {
        let (reference, buffer) = find_buffer(name)?;
        // SAFETY: a live buffer~ on a host thread; the claim is released in
        // array_close (or here when it failed).
        let data = unsafe { max::buffer_locksamples(buffer) };
        if data.is_null() {
            // SAFETY: the ref find_buffer made, freed once.
            unsafe { max::object_free(reference.cast()) };
            return Err("its samples could not be locked".into());
        }
        // SAFETY: plain queries of the claimed buffer~.
        let (frames, channels) = unsafe { (max::buffer_getframecount(buffer), max::buffer_getchannelcount(buffer)) };
        let channels = channels.max(1) as usize;
        Ok(ArrayMemory {
            data: data.cast(),
            frames: frames.max(0) as usize,
            channels: Some(channels),
            sample: SampleType::F32,
            frame_stride: channels * std::mem::size_of::<f32>(),
            token: (reference as usize, buffer as usize),
        })
    }

    fn array_close(&self, _name: &str, memory: &ArrayMemory) {
        let (reference, buffer) = memory.token;
        // SAFETY: the claim and the ref array_open made, each given back once.
        unsafe {
            max::buffer_unlocksamples(buffer as *mut max::t_buffer_obj);
            max::object_free(reference as *mut c_void);
        }
    }

    /// `buffer_setdirty`: the buffer~'s views and users see the new samples.
    fn array_redraw(&self, name: &str) -> Result<(), String> {
        let (reference, buffer) = find_buffer(name)?;
        // SAFETY: a live buffer~ and the ref that found it, freed once.
        unsafe {
            max::buffer_setdirty(buffer);
            max::object_free(reference.cast());
        }
        Ok(())
    }

    /// The buffer~'s own `sizeinsamps` message (its channels stay).
    fn array_resize(&self, name: &str, frames: usize) -> Result<(), String> {
        let (reference, buffer) = find_buffer(name)?;
        let mut size = long_atom(frames as max::t_atom_long);
        // SAFETY: a live buffer~ on a host thread, where Max allows typedmess;
        // the atom outlives the call; the ref is freed once.
        unsafe {
            max::typedmess(buffer.cast(), gensym("sizeinsamps"), 1, &mut size);
            max::object_free(reference.cast());
        }
        Ok(())
    }
}

/// A new ref to the `buffer~` named `name` and the buffer it finds; the
/// caller frees the ref (`object_free`) when done.
fn find_buffer(name: &str) -> Result<(*mut max::t_buffer_ref, *mut max::t_buffer_obj), String> {
    // SAFETY: a ref owned by no object: it lives for one operation, so no
    // notification ever reaches an owner; freed here when nothing is found.
    unsafe {
        let reference = max::buffer_ref_new(std::ptr::null_mut(), gensym(name));
        let buffer = max::buffer_ref_getobject(reference);
        if buffer.is_null() {
            max::object_free(reference.cast());
            return Err("no such buffer~ in Max".into());
        }
        Ok((reference, buffer))
    }
}

/// The most atoms a Max message has: Max counts them in a short.
const MOST_ATOMS: usize = c_short::MAX as usize;

/// A message's atom count as Max takes it; a longer vector is cut (rather
/// than its count wrapped), which [`cut_error`] says.
fn count(atoms: &[max::t_atom]) -> c_short {
    atoms.len().min(MOST_ATOMS) as c_short
}

/// What to say when a message is longer than Max takes.
fn cut_error(message: &Message<'_>) -> Option<String> {
    let n = match message {
        Message::List(atoms) | Message::Anything(_, atoms) => atoms.len(),
        _ => return None,
    };
    (n > MOST_ATOMS)
        .then(|| format!("pyrus: a message of {n} atoms is more than Max takes: only its first {MOST_ATOMS} went out"))
}

/// One `[pyrus]` or `[pyrus.usb]` object's outlets and attributed errors.
///
/// It outlives the Max object when a call is still running as the object is
/// freed (the engine holds it in an `Arc`): its [`Gate`], closed by the
/// object's free, then drops every output instead of touching freed outlets.
/// The gate also guards the object's own methods (see `gate`).
pub struct MaxOutlets {
    object: *mut max::t_object,
    /// The class name, which the Max window shows beside an attributed
    /// error (the engine's texts begin with it, for Pd's console).
    class: &'static str,
    outlets: OnceLock<Vec<*mut max::t_outlet>>,
    pub gate: Gate,
}

// SAFETY: the pointers are Max's, used only inside a pass of the gate (so
// never after the object is freed) on Max's main or scheduler thread, where
// Max allows outlet calls and object_error from either thread at once. The
// rest is atomics and a OnceLock.
unsafe impl Send for MaxOutlets {}
// SAFETY: as for `Send`.
unsafe impl Sync for MaxOutlets {}

impl MaxOutlets {
    pub fn new(object: *mut max::t_object, class: &'static str) -> Self {
        MaxOutlets { object, class, outlets: OnceLock::new(), gate: Gate::new() }
    }
}

impl Outlets for MaxOutlets {
    /// Makes `count` outlets on the object, right to left (Max adds each
    /// new outlet at the left), so that the status outlet is the rightmost;
    /// the engine calls it once, while the object is being made.
    fn create(&self, count: usize) {
        let mut outlets: Vec<*mut max::t_outlet> = (0..count)
            // SAFETY: self.object is the live object being created, on the main thread.
            .map(|_| unsafe { max::outlet_new(self.object.cast::<c_void>(), std::ptr::null()) })
            .collect();
        outlets.reverse();
        let _ = self.outlets.set(outlets);
    }

    fn error(&self, text: &str) {
        match self.gate.enter() {
            Some(_pass) => {
                // "pyrus: pyrus: ..." would say the name twice.
                let own = text.strip_prefix(self.class).and_then(|t| t.strip_prefix(": "));
                console::error(self.object, own.unwrap_or(text))
            }
            None => console::error(std::ptr::null_mut(), text),
        }
    }

    fn outlet(&self, index: usize, message: &Message<'_>) {
        let Some(_pass) = self.gate.enter() else { return };
        let Some(&outlet) = self.outlets.get().and_then(|o| o.get(index)) else { return };
        if let Some(why) = cut_error(message) {
            console::error(self.object, &why);
        }
        // SAFETY: the outlet belongs to our object, live while the pass is
        // held (the free waits for it); a host thread; the atom vectors
        // outlive the calls.
        unsafe {
            match message {
                Message::Bang => max::outlet_bang(outlet),
                Message::Int(i) => max::outlet_int(outlet, *i as max::t_atom_long),
                Message::Float(f) => max::outlet_float(outlet, *f),
                Message::List(atoms) => {
                    let mut v: Vec<max::t_atom> = atoms.iter().map(to_atom).collect();
                    max::outlet_list(outlet, gensym("list"), count(&v), v.as_mut_ptr())
                }
                other => {
                    let (selector, mut v) = to_max(other);
                    max::outlet_anything(outlet, selector, count(&v), v.as_mut_ptr())
                }
            }
        };
    }
}

/// For the attribute getters: `value` as the one atom Max asked for.
///
/// # Safety
/// `argc` and `argv` are a getter's arguments: `*argv` is null or points to
/// `*argc` atoms the caller owns; a vector made here is Max's to free
/// (`sysmem_freeptr`).
pub unsafe fn return_long(argc: *mut std::ffi::c_long, argv: *mut *mut max::t_atom, value: i64) -> max::t_max_err {
    // SAFETY: per the contract.
    unsafe {
        if (*argv).is_null() || *argc < 1 {
            let atom = max::sysmem_newptr(std::mem::size_of::<max::t_atom>() as std::ffi::c_long).cast::<max::t_atom>();
            if atom.is_null() {
                return max::MAX_ERR_GENERIC;
            }
            *argv = atom;
        }
        **argv = long_atom(value as max::t_atom_long);
        *argc = 1;
    }
    max::MAX_ERR_NONE
}
