//! USB devices opened by scripts: `pyrus.usb.open(spec, callback)` and
//! friends (see `scripts/pyrus/usb.py`). The device is the same as
//! `[pyrus.usb]`'s, on its own device thread ([`crate::usb::device_thread`]); its
//! events reach the script's callback as `pyrus.Message`s with the fields of
//! the Pd messages (`note 1 60 100`, `connected ...`, `dropped N`).
//!
//! A device belongs to the object whose call opened it, and its callback runs
//! where that object's calls run: on a host thread in `detach 0`, as a
//! job on the object's queue in `detach 1|2` (so never beside another of the
//! object's jobs in serial mode, and in order in every mode: one job drains a
//! device at a time). The way there:
//!
//! 1. events arrive in the device's queue; its wake (on a device thread)
//!    puts the device on its owner's context's lock-free list of pending
//!    devices, once until it is drained, and wakes that context's host;
//! 2. the context's service hands each pending device to its owner
//!    ([`crate::context::Recipient::run`]), touching no Python;
//! 3. the owner runs [`DeviceRun::run`] now (`detach 0`) or as a job, which
//!    calls the callback for up to [`BUDGET`] events.
//!
//! The wake is re-armed when the [`DeviceRun`] goes, whether it ran or was
//! dropped unrun (`stop` clearing the object's queue, deletion, shutdown):
//! a device is never left marked as handed over with nobody to drain it.
//!
//! A callback's return value (unless None) leaves the object's outlet 0, as
//! a call's result does.
//!
//! The device closes when the script drops it (or calls `close()`), and when
//! its object is deleted. It lives as long as the Python object, so a module
//! that rebinds `dev = pyrus.usb.demo(...)` on reload closes the old one.
//!
//! # Threading
//! `pyrus.usb.*` and the device's methods: any thread running a call of a
//! pyrus object (attached to Python), never blocking on the device (commands
//! go to its thread) — but `devices()` enumerates USB, with the GIL released.
//! [`pending`]: a host thread of the context; [`owner_gone`]: any thread.

use crate::context::{Context, WeakContext};
use crate::detach::marshal::ObjectId;
use crate::detach::marshal::BUDGET;
use crate::out::Out;
use crate::python::convert;
use crate::python::report;
use crate::python::values::Stopped;
use crate::sync::lock;
use crate::usb::device_thread::{self as usb_thread, DeviceHandle};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyrus_atoms::{Atom, Message, Numbers};
use pyrus_usb::device::{Options, Target};
use pyrus_usb::{local, Event, Midi};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A script's device, shared by its Python object, its wake and the job or
/// service that runs its callback.
pub(crate) struct ScriptDevice {
    pub owner: ObjectId,
    /// The owner's context (weak: its pending list holds the device).
    ctx: WeakContext,
    /// The owner's host's number model, for events in and messages out.
    numbers: Numbers,
    device: DeviceHandle,
    /// Pending in its context or being drained: the wake does nothing more.
    notified: AtomicBool,
    closed: AtomicBool,
    /// Taken (under the GIL) when the Python object goes, so that dropping
    /// the last `Arc` elsewhere never touches Python.
    callback: Mutex<Option<Py<PyAny>>>,
}

/// A context's devices with events waiting, for its next service (a part
/// of the context, see [`Context::part`]).
type Pending = crossbeam_queue::SegQueue<Arc<ScriptDevice>>;

/// Every open device, so that deleting an object closes its devices.
static OPEN: Mutex<Vec<Weak<ScriptDevice>>> = Mutex::new(Vec::new());

impl ScriptDevice {
    /// The device's wake: runs on a device thread, never blocks.
    fn notify(device: &Weak<ScriptDevice>) {
        let Some(d) = device.upgrade() else { return };
        let Some(ctx) = d.ctx.upgrade() else { return };
        if !d.notified.swap(true, Ordering::AcqRel) {
            ctx.part::<Pending>().push(d);
            ctx.wake();
        }
    }

    /// Its object was deleted: closes the device and drops what it sent,
    /// without Python.
    fn discard(&self) {
        self.close();
        while self.device.queue.pop().is_some() {}
    }

    fn close(&self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            self.device.close();
        }
    }
}

/// A device handed to its owner to run its callback: taken off the pending list,
/// it holds the device's wake until it goes (see the module docs).
///
/// # Threading
/// Made on a host thread; run (attached to Python) and dropped
/// wherever the owner's job goes; dropping it never touches Python.
pub(crate) struct DeviceRun(Arc<ScriptDevice>);

impl DeviceRun {
    /// The object that opened the device.
    pub fn owner(&self) -> ObjectId {
        self.0.owner
    }

    /// Calls the callback for up to [`BUDGET`] events (as `[pyrus.usb]` sends
    /// out per pass), in order, with the owner as the current object; what it
    /// returns leaves outlet 0; errors go to `out` (console and status
    /// outlet `status`).
    pub fn run(&self, py: Python<'_>, out: &Out, status: usize) {
        let device = &self.0;
        let callback = lock(&device.callback).as_ref().map(|c| c.clone_ref(py));
        for _ in 0..BUDGET {
            let Some(event) = device.device.queue.pop() else { break };
            console(out, &event);
            let Some(callback) = &callback else { continue };
            let message = event.to_message();
            let context = || format!("pyrus.usb callback, {message}");
            let result = crate::python::convert::message_to_py(py, &message, device.numbers)
                .and_then(|m| Bound::new(py, m))
                .and_then(|m| callback.bind(py).call1((m,)));
            match result {
                Ok(value) => crate::python::core::output(py, out, status, device.numbers, context, &value),
                Err(e) => {
                    report::report(py, out, status, &context(), &e);
                    if e.is_instance_of::<Stopped>(py) {
                        break; // `stop`: the rest waits for the next run
                    }
                }
            }
        }
    }

    /// Its object was deleted: see [`ScriptDevice::discard`].
    pub fn discard(&self) {
        self.0.discard();
    }
}

impl Drop for DeviceRun {
    /// Re-arms the wake, and hands the device over again if events wait (a
    /// budget's worth was not enough, or the run never happened).
    fn drop(&mut self) {
        self.0.notified.store(false, Ordering::Release);
        if !self.0.device.queue.is_empty() {
            ScriptDevice::notify(&Arc::downgrade(&self.0));
        }
    }
}

/// Errors and losses also reach the console: a callback may ignore them.
fn console(out: &Out, event: &Event) {
    match event {
        Event::Error(text) => out.error(&format!("pyrus.usb: {text}")),
        Event::Dropped(n) => out.error(&format!("pyrus.usb: {n} events dropped: the callback falls behind")),
        _ => {}
    }
}

/// The devices whose events wait for their owners, taken off the list: those
/// there now, not those a run puts back (a device with more than a budget
/// waiting), so one service pass runs each device once at most.
pub(crate) fn pending(ctx: &Context) -> impl Iterator<Item = DeviceRun> + '_ {
    let devices = ctx.part::<Pending>();
    (0..devices.len()).map_while(move |_| devices.pop()).map(DeviceRun)
}

/// Closes every device object `owner` opened (it is being deleted).
pub(crate) fn owner_gone(owner: ObjectId) {
    let mut open = lock(&OPEN);
    open.retain(|d| match d.upgrade() {
        Some(d) if d.owner == owner => {
            d.discard();
            false
        }
        Some(_) => true,
        None => false,
    });
}

/// `pyrus.usb.Device`: a USB MIDI or HID device opened by a script.
#[pyclass(frozen, module = "pyrus.usb", name = "Device")]
pub struct UsbDevice {
    device: Arc<ScriptDevice>,
    what: String,
}

#[pymethods]
impl UsbDevice {
    /// `send("note", 1, 60, 100)` or `send(pyrus.Message("cc", 1, 7, 90))`:
    /// one MIDI message in the event vocabulary, written to the device by its
    /// thread (never blocks).
    #[pyo3(signature = (*values))]
    fn send(&self, values: &Bound<'_, PyTuple>) -> PyResult<()> {
        let message = match values.get_item(0) {
            Ok(m) if values.len() == 1 && m.is_instance_of::<crate::python::values::Message>() => {
                convert::py_to_message(&m, self.device.numbers)?
            }
            _ => {
                let mut atoms = convert::atoms(values.as_any(), self.device.numbers)?.into_iter();
                match atoms.next() {
                    Some(Atom::Symbol(selector)) => Some(Message::Anything(selector, Cow::Owned(atoms.collect()))),
                    _ => None,
                }
            }
        };
        let Some(message) = message else {
            return Err(PyValueError::new_err(
                "send takes a MIDI message: send('note', 1, 60, 100) or send(pyrus.Message('clock'))",
            ));
        };
        let (cable, midi): (u8, Midi) = Midi::from_message(&message).map_err(PyValueError::new_err)?;
        if self.device.closed.load(Ordering::Acquire) {
            return Err(PyRuntimeError::new_err(format!("{} is closed", self.what)));
        }
        self.device.device.send(cable, midi);
        Ok(())
    }

    /// Closes the device; the callback gets `closed` if it was open.
    fn close(&self) {
        self.device.close();
    }

    #[getter]
    fn closed(&self) -> bool {
        self.device.closed.load(Ordering::Acquire)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(&self, _kind: Py<PyAny>, _value: Py<PyAny>, _traceback: Py<PyAny>) {
        self.close();
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("<pyrus.usb.Device {} ({state})>", self.what)
    }
}

impl Drop for UsbDevice {
    /// Runs under the GIL (the Python object's deallocation): the callback
    /// goes now; the device closes when the last reference to it goes.
    fn drop(&mut self) {
        let callback = lock(&self.device.callback).take();
        // Dropped after the lock: its `__del__` may run Python code, during
        // which another thread may take the GIL and then this lock.
        drop(callback);
        self.device.close();
    }
}

/// `_pyrus._usb_open(words, callback, raw, reconnect)`: opens a device for
/// the current object. `words` as `[pyrus.usb]` takes them: `["open",
/// "1209:7079"]`, `["connect", "HOST:PORT"]`, `["listen", "HOST:PORT"]`,
/// `["demo"]`.
#[pyfunction]
fn _usb_open(words: Vec<String>, callback: Bound<'_, PyAny>, raw: bool, reconnect: bool) -> PyResult<UsbDevice> {
    let (owner, ctx, numbers) = crate::python::console::current("usb.open", |caller| {
        Ok((caller.id, caller.out.ctx().clone(), caller.numbers))
    })?;
    if !callback.is_callable() {
        return Err(PyTypeError::new_err("the callback must be callable: it is called with each event"));
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let target = Target::parse(&words).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let callback = callback.unbind();
    let device = Arc::new_cyclic(|weak: &Weak<ScriptDevice>| {
        let weak = weak.clone();
        ScriptDevice {
            owner,
            ctx: ctx.downgrade(),
            numbers,
            device: DeviceHandle::spawn(&ctx, Box::new(move || ScriptDevice::notify(&weak))),
            notified: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            callback: Mutex::new(Some(callback)),
        }
    });
    device.device.options(Options { raw, reconnect });
    device.device.open(target);
    let mut open = lock(&OPEN);
    open.retain(|d| d.strong_count() > 0);
    open.push(Arc::downgrade(&device));
    Ok(UsbDevice { device, what: words.join(" ") })
}

/// A local device as scripts see it: `(vid, pid, kinds, "bus-address", name)`.
type DeviceRow = (u16, u16, &'static str, String, String);

/// `_pyrus._usb_devices()`: every local USB device.
#[pyfunction]
fn _usb_devices(py: Python<'_>) -> PyResult<Vec<DeviceRow>> {
    let devices = py.detach(local::list).map_err(|e| PyRuntimeError::new_err(format!("listing devices: {e}")))?;
    Ok(devices
        .iter()
        .map(|d| (d.vendor_id, d.product_id, usb_thread::kinds(d), format!("{}-{}", d.bus, d.address), d.name()))
        .collect())
}

pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<UsbDevice>()?;
    m.add_function(wrap_pyfunction!(_usb_open, m)?)?;
    m.add_function(wrap_pyfunction!(_usb_devices, m)?)?;
    Ok(())
}
