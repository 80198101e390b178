//! The engine's host roles, implemented with Pd's API: [`PdHost`] for the
//! Pd instance (one engine context), [`PdOutlets`] for one object.

use crate::atoms::{from_int, gensym, narrow, to_pd};
use crate::console;
use crate::service::WakeStream;
use pd_sys as pd;
use pyrus_engine::atoms::{Message, Numbers};
use pyrus_engine::{ArrayMemory, Binding, Clock, Host, NoReceiver, Outlets, SampleType};
use std::cell::{Cell, OnceCell};
use std::ffi::c_void;
use std::io::Write;
use std::sync::Arc;

/// The Pd instance as the engine's context sees it: the console, receivers,
/// the logical clock, the service clock and the waker.
///
/// # Threading
/// Everything but `wake` is called on Pd's thread only (the engine calls
/// host methods on host threads, and Pd has one); `wake` from any thread
/// writes one byte to a non-blocking socket.
pub struct PdHost {
    /// The write end of the waker's socket pair (see `service`), if made.
    waker: Option<WakeStream>,
}

impl PdHost {
    pub fn new(waker: Option<WakeStream>) -> Self {
        PdHost { waker }
    }
}

impl Host for PdHost {
    fn name(&self) -> &'static str {
        "Pd"
    }

    fn post(&self, text: &str) {
        console::post(text);
    }

    fn error(&self, text: &str) {
        console::error(std::ptr::null(), text);
    }

    fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver> {
        let symbol = gensym(name);
        // SAFETY: gensym returns a live symbol; s_thing is null or a receiver.
        let thing = unsafe { (*symbol).s_thing };
        if thing.is_null() {
            return Err(NoReceiver(name.to_owned()));
        }
        // SAFETY: thing is a live t_pd (Pd's receiver or bindlist) on Pd's thread.
        unsafe {
            match message {
                Message::Bang => pd::pd_bang(thing),
                Message::Int(i) => pd::pd_float(thing, from_int(*i)),
                Message::Float(f) => pd::pd_float(thing, narrow(*f)),
                Message::Symbol(s) => pd::pd_symbol(thing, gensym(s)),
                Message::List(atoms) => {
                    let mut v = to_pd(atoms);
                    pd::pd_list(thing, &raw mut pd::s_list, v.len() as i32, v.as_mut_ptr())
                }
                Message::Anything(sel, atoms) => {
                    let mut v = to_pd(atoms);
                    pd::pd_typedmess(thing, gensym(sel), v.len() as i32, v.as_mut_ptr())
                }
            }
        }
        Ok(())
    }

    fn logical_time(&self) -> f64 {
        // SAFETY: a plain query of Pd's clock on Pd's thread.
        unsafe { pd::clock_gettimesince(0.0) }
    }

    /// Pd has floats only, `t_float`s (24 bits of mantissa, 53 in a
    /// double-precision Pd).
    fn numbers(&self) -> Numbers {
        Numbers::Floats { mantissa_bits: pd::t_float::MANTISSA_DIGITS }
    }

    /// Pd runs every method, clock and poll function on its one thread.
    fn one_thread(&self) -> bool {
        true
    }

    fn request_service(&self) -> bool {
        crate::service::request()
    }

    fn wake(&self) {
        if let Some(mut write) = self.waker.as_ref() {
            // Full means a wake-up is already pending: nothing to add.
            let _ = write.write(&[1]);
        }
    }

    // Clocks and receivers for scripts (`pyrus.after/every/receive`): `clocks.rs`.
    fn clock(&self, tick: Arc<dyn Fn() + Send + Sync>) -> Option<Box<dyn Clock>> {
        Some(Box::new(crate::clocks::PdClock::new(tick)))
    }

    fn bind(&self, name: &str, receive: Arc<dyn Fn(&Message<'_>) + Send + Sync>) -> Option<Box<dyn Binding>> {
        crate::clocks::PdBinding::new(name, receive).map(|b| Box::new(b) as Box<dyn Binding>)
    }

    // --- Arrays (h-array): `pyrus.array(NAME)` over Pd's garrays. ---

    /// The garray's words: one `t_float` at the start of each `t_word`
    /// (8 bytes on a 64-bit machine: a strided float32 view in Pd's 32-bit
    /// build, a contiguous float64 one in Pd64).
    fn array_open(&self, name: &str) -> Result<ArrayMemory, String> {
        let garray = find_array(name)?;
        let (mut size, mut words) = (0, std::ptr::null_mut());
        // SAFETY: a live garray on Pd's thread; Pd fills both or returns 0.
        if unsafe { pd::garray_getfloatwords(garray, &mut size, &mut words) } == 0 {
            return Err("it is not an array of floats".into());
        }
        let sample = match std::mem::size_of::<pd::t_float>() {
            4 => SampleType::F32,
            _ => SampleType::F64,
        };
        Ok(ArrayMemory {
            data: words.cast(),
            frames: size.max(0) as usize,
            channels: None,
            sample,
            frame_stride: std::mem::size_of::<pd::t_word>(),
            token: (0, 0),
        })
    }

    fn array_redraw(&self, name: &str) -> Result<(), String> {
        // SAFETY: a live garray on Pd's thread.
        unsafe { pd::garray_redraw(find_array(name)?) };
        Ok(())
    }

    fn array_resize(&self, name: &str, frames: usize) -> Result<(), String> {
        // SAFETY: a live garray on Pd's thread; the engine bounds `frames`.
        unsafe { pd::garray_resize_long(find_array(name)?, frames as std::ffi::c_long) };
        Ok(())
    }
}

extern "C" {
    // From Pd's g_canvas.h (exported by the pd binary, not in m_pd.h).
    static garray_class: *mut pd::_class;
}

/// The garray bound to `name` (Pd's thread).
fn find_array(name: &str) -> Result<*mut pd::_garray, String> {
    // SAFETY: reading Pd's class pointer, set at Pd's start, and looking up
    // a symbol's binding on Pd's thread.
    let garray = unsafe { pd::pd_findbyclass(gensym(name), garray_class) };
    match garray.is_null() {
        true => Err("no such array in Pd (is its patch open? names are case-sensitive)".into()),
        false => Ok(garray.cast()),
    }
}

/// One `[pyrus]` or `[pyrus.usb]` object's outlets and console errors.
///
/// It outlives the Pd object when a call is still running as the object is
/// freed (the engine holds it in an `Arc`); `alive` then turns false and every
/// output is dropped instead of touching freed outlets.
pub struct PdOutlets {
    object: *mut pd::t_object,
    outlets: OnceCell<Vec<*mut pd::_outlet>>,
    alive: Cell<bool>,
}

// SAFETY: the engine calls `Outlets` on host threads only, and Pd has one:
// every access to the pointers and cells happens on Pd's thread (its
// methods, its clock, its poll loop), never from two threads. The engine's
// workers never see it (their output is marshalled to Pd's thread).
unsafe impl Send for PdOutlets {}
// SAFETY: as for `Send`: shared, but only ever used on Pd's thread.
unsafe impl Sync for PdOutlets {}

impl PdOutlets {
    pub fn new(object: *mut pd::t_object) -> Self {
        PdOutlets { object, outlets: OnceCell::new(), alive: Cell::new(true) }
    }

    /// Called from the object's free method: from now on, outputs go nowhere.
    pub fn detach(&self) {
        self.alive.set(false);
    }

    fn outlet_ptr(&self, index: usize) -> Option<*mut pd::_outlet> {
        if !self.alive.get() {
            return None;
        }
        self.outlets.get()?.get(index).copied()
    }
}

impl Outlets for PdOutlets {
    /// Makes `count` outlets on the object (the engine calls it once, while
    /// the object is being made).
    fn create(&self, count: usize) {
        let outlets = (0..count)
            // SAFETY: self.object is the live object being created, on Pd's thread.
            .map(|_| unsafe { pd::outlet_new(self.object, &raw mut pd::s_anything) })
            .collect();
        let _ = self.outlets.set(outlets);
    }

    fn error(&self, text: &str) {
        let object = if self.alive.get() { self.object as *const c_void } else { std::ptr::null() };
        console::error(object, text);
    }

    fn outlet(&self, index: usize, message: &Message<'_>) {
        let Some(outlet) = self.outlet_ptr(index) else { return };
        // SAFETY: the outlet belongs to our live object (checked through
        // `alive`), we are on Pd's thread, and atom vectors outlive the calls.
        unsafe {
            match message {
                Message::Bang => pd::outlet_bang(outlet),
                // Pd has no ints: an int leaves as the nearest float.
                Message::Int(i) => pd::outlet_float(outlet, from_int(*i)),
                Message::Float(f) => pd::outlet_float(outlet, narrow(*f)),
                Message::Symbol(s) => pd::outlet_symbol(outlet, gensym(s)),
                Message::List(atoms) => {
                    let mut v = to_pd(atoms);
                    pd::outlet_list(outlet, &raw mut pd::s_list, v.len() as i32, v.as_mut_ptr())
                }
                Message::Anything(sel, atoms) => {
                    let mut v = to_pd(atoms);
                    pd::outlet_anything(outlet, gensym(sel), v.len() as i32, v.as_mut_ptr())
                }
            }
        }
    }
}
