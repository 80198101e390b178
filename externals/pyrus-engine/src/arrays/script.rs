//! The native half of `pyrus.Array` (the proxy itself, with numpy's
//! protocols, is `scripts/pyrus/_arrays.py`): `_pyrus._array(NAME)` makes an
//! [`ArrayHandle`] for the call running on this thread, and the end of that
//! call clears it ([`end_of_call`]): later use raises `pyrus.ArrayError` and
//! touches no memory.
//!
//! A handle made on a host thread lends numpy views ([`ArrayHandle::acquire`]
//! and [`ArrayHandle::release`] around each operation of the proxy, nesting);
//! one made elsewhere has only the requests (`read`, `write`, `len`,
//! `resize`, `redraw`, see [`super::ask`]).
//!
//! A handle made on a script's own thread (started with `threading` in a
//! call) lives as long as the proxy: nothing ends there but the thread, and
//! it only carries requests.
//!
//! # Threading
//! A handle is used on the thread that made it: a host thread's handle
//! refuses every other thread (its memory is the host thread's), a worker's
//! asks its context's host thread. The list of this thread's live handles is
//! per thread, like the call it belongs to.

use super::{ArrayMemory, Reply, Request};
use crate::context::Context;
use crate::out::Out;
use crate::python::console::current;
use crate::sync::lock;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread::ThreadId;

pyo3::create_exception!(
    pyrus,
    ArrayError,
    pyo3::exceptions::PyRuntimeError,
    "An array operation that can't be done: no such array, a proxy used after its call, \
     a view asked for in a detached call, a host that did not answer."
);

thread_local! {
    /// The handles this thread's running calls made, oldest first; their
    /// count is kept beside the GIL lease (`gil::call_cells`), which every
    /// call looks up anyway: a call that began when it was `mark` clears
    /// those past `mark` when it ends, and a call that made none only
    /// compares two numbers.
    static LIVE: RefCell<Vec<Py<ArrayHandle>>> = const { RefCell::new(Vec::new()) };
}

/// The call that began when this thread's count (`count`) was `mark` has
/// ended: the handles it made are cleared. The thread is attached to Python
/// (it ran the call).
pub(crate) fn end_of_call(count: &Cell<usize>, mark: usize) {
    let ended = LIVE.with(|live| live.borrow_mut().split_off(mark.min(count.get())));
    count.set(mark);
    for handle in ended {
        handle.get().valid.store(false, Ordering::Release);
    }
}

/// A host's memory lent for one operation, and its numpy view.
struct Held {
    memory: ArrayMemory,
    view: Py<PyAny>,
    /// Operations nested in this one (the same array twice in a ufunc).
    depth: usize,
}

// SAFETY: a `Held` is only made, read and dropped by the host thread that
// opened its memory: every method of the handle that holds one checks that
// it runs on that thread first (`ArrayHandle::on_host_thread`).
#[allow(unsafe_code)]
unsafe impl Send for Held {}

/// One `pyrus.array(NAME)` of one call (see the module docs).
#[pyclass(frozen, module = "pyrus", name = "_ArrayHandle")]
pub struct ArrayHandle {
    ctx: Context,
    name: String,
    /// The host thread that made it, for one that lends views.
    host_thread: Option<ThreadId>,
    valid: AtomicBool,
    held: Mutex<Option<Held>>,
}

impl ArrayHandle {
    fn error(&self, why: impl std::fmt::Display) -> PyErr {
        ArrayError::new_err(format!("array '{}': {why}", self.name))
    }

    /// Refuses a handle whose call has ended.
    fn check_valid(&self) -> PyResult<()> {
        if self.valid.load(Ordering::Acquire) {
            return Ok(());
        }
        Err(self.error(format!(
            "this pyrus.Array belonged to a call that has ended: call pyrus.array('{}') again in each call \
             ({} may resize or delete the array between calls)",
            self.name,
            self.ctx.host().name()
        )))
    }

    /// Whether this runs on the host thread that made a lending handle
    /// (refusing any other thread); false for a handle of requests.
    fn on_host_thread(&self) -> PyResult<bool> {
        self.check_valid()?;
        match self.host_thread {
            None => Ok(false),
            Some(thread) if thread == std::thread::current().id() => Ok(true),
            Some(_) => Err(self.error(format!(
                "this pyrus.Array was made on {}'s thread and can't be used from another thread: \
                 call pyrus.array() on the thread that uses it",
                self.ctx.host().name()
            ))),
        }
    }

    /// Carries out `request`: here on the host thread, else by asking it and
    /// waiting with the GIL released.
    fn request(&self, py: Python<'_>, request: Request) -> PyResult<Reply> {
        let result = if self.on_host_thread()? {
            if lock(&self.held).is_some() && matches!(request, Request::Resize(_)) {
                return Err(self.error("can't resize it inside one of its own operations"));
            }
            super::carry_out(self.ctx.host(), &self.name, request)
        } else {
            let answer = super::ask(&self.ctx, &self.name, request).map_err(|e| self.error(e))?;
            let ctx = &self.ctx;
            py.detach(move || super::wait(ctx, answer))
        };
        result.map_err(|e| self.error(e))
    }

    /// A numpy view of `memory` (the thread attached, on the host thread).
    #[allow(unsafe_code)]
    fn view(py: Python<'_>, memory: &ArrayMemory) -> PyResult<Py<PyAny>> {
        let numpy = py.import("numpy")?;
        let dtype = memory.sample.dtype();
        let (shape, strides) = match memory.channels {
            None => (PyTuple::new(py, [memory.frames])?, PyTuple::new(py, [memory.frame_stride])?),
            Some(c) => {
                (PyTuple::new(py, [memory.frames, c])?, PyTuple::new(py, [memory.frame_stride, memory.sample.size()])?)
            }
        };
        if memory.frames == 0 {
            return Ok(numpy.getattr("zeros")?.call1((shape, dtype))?.unbind());
        }
        /// CPython's PyBUF_WRITE (not exposed by pyo3's limited API).
        const PYBUF_WRITE: std::ffi::c_int = 0x200;
        // SAFETY: attached; the host lent `span` bytes at `data` for this
        // operation (see `Host::array_open`), and the memoryview (held only
        // by the view) is dropped in `release`, before the memory is given back.
        let buffer = unsafe {
            let mv = pyo3::ffi::PyMemoryView_FromMemory(
                memory.data.cast(),
                memory.span() as pyo3::ffi::Py_ssize_t,
                PYBUF_WRITE,
            );
            Bound::from_owned_ptr_or_err(py, mv)?
        };
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("buffer", buffer)?;
        kwargs.set_item("strides", strides)?;
        Ok(numpy.getattr("ndarray")?.call((shape, dtype), Some(&kwargs))?.unbind())
    }
}

#[pymethods]
impl ArrayHandle {
    /// The array's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Whether it lends views (made on a host thread), rather than only
    /// carrying requests.
    #[getter]
    fn lends_views(&self) -> bool {
        self.host_thread.is_some()
    }

    /// A numpy view of the array's memory for one operation, which must end
    /// with [`ArrayHandle::release`]; nested calls share one view.
    fn acquire(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if !self.on_host_thread()? {
            return Err(self.error(
                "in a detached call (detach 1|2, or a script's thread) an array has only read(), write(), \
                 len(), resize() and redraw(): a view of the host's memory can't cross threads",
            ));
        }
        if let Some(held) = lock(&self.held).as_mut() {
            held.depth += 1;
            return Ok(held.view.clone_ref(py));
        }
        let host = self.ctx.host();
        let memory = host.array_open(&self.name).map_err(|e| self.error(e))?;
        let view = match Self::view(py, &memory) {
            Ok(view) => view,
            Err(e) => {
                host.array_close(&self.name, &memory);
                return Err(e);
            }
        };
        *lock(&self.held) = Some(Held { memory, view: view.clone_ref(py), depth: 1 });
        Ok(view)
    }

    /// Ends the operation [`ArrayHandle::acquire`] began; the outermost gives
    /// the memory back to the host.
    fn release(&self) {
        // Only the host thread ever holds (see `acquire`).
        if self.host_thread != Some(std::thread::current().id()) {
            return;
        }
        let held = {
            let mut slot = lock(&self.held);
            match slot.as_mut() {
                Some(held) if held.depth > 1 => {
                    held.depth -= 1;
                    None
                }
                _ => slot.take(),
            }
        };
        if let Some(Held { memory, view, .. }) = held {
            drop(view);
            self.ctx.host().array_close(&self.name, &memory);
        }
    }

    /// Frames in the array.
    fn len(&self, py: Python<'_>) -> PyResult<usize> {
        match self.request(py, Request::Len)? {
            Reply::Frames(n) => Ok(n),
            other => unreachable!("Len answers Frames, not {other:?}"),
        }
    }

    /// A copy of the samples: (bytes of float64, frames, channels or None,
    /// the host's dtype name).
    fn read<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyBytes>, usize, Option<usize>, &'static str)> {
        match self.request(py, Request::Read)? {
            Reply::Samples { values, frames, channels, sample } => {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
                Ok((PyBytes::new(py, &bytes), frames, channels, sample.dtype()))
            }
            other => unreachable!("Read answers Samples, not {other:?}"),
        }
    }

    /// Writes `values` (bytes of float64, frame after frame) from frame
    /// `start` on, clipped at the end; returns the frames written.
    fn write(&self, py: Python<'_>, values: &Bound<'_, PyBytes>, start: usize) -> PyResult<usize> {
        let values = values.as_bytes().chunks_exact(8).map(|b| f64::from_ne_bytes(b.try_into().expect("8 bytes")));
        match self.request(py, Request::Write { start, values: values.collect() })? {
            Reply::Frames(n) => Ok(n),
            other => unreachable!("Write answers Frames, not {other:?}"),
        }
    }

    /// Resizes the array to `frames` frames.
    fn resize(&self, py: Python<'_>, frames: usize) -> PyResult<()> {
        self.request(py, Request::Resize(frames)).map(drop)
    }

    /// Shows the array's new contents (Pd: redraws it; Max: `buffer_setdirty`).
    fn redraw(&self, py: Python<'_>) -> PyResult<()> {
        self.request(py, Request::Redraw).map(drop)
    }
}

/// `_pyrus._array(name)`: a handle on array `name` for the call running on
/// this thread; a missing array is an `ArrayError` now.
#[pyfunction]
fn _array(py: Python<'_>, name: &str) -> PyResult<Py<ArrayHandle>> {
    let (handle, thread_of_its_own) = current("array", |caller| {
        let host_thread = caller.out.host_thread().map(|_| std::thread::current().id());
        let ctx = caller.out.ctx().clone();
        // A script's own thread acts for its object for its whole life (no
        // call ends there): its handles, which only carry requests, are
        // valid as long as they live, rather than piling up in `LIVE`.
        let own = matches!(&caller.out, Out::Marshal(sink) if sink.run.is_none());
        let valid = AtomicBool::new(true);
        Ok((ArrayHandle { ctx, name: name.to_owned(), host_thread, valid, held: Mutex::new(None) }, own))
    })?;
    handle.request(py, Request::Len)?;
    let handle = Py::new(py, handle)?;
    if !thread_of_its_own {
        LIVE.with(|live| live.borrow_mut().push(handle.clone_ref(py)));
        crate::python::gil::call_cells(|_, count| count.set(count.get() + 1));
    }
    Ok(handle)
}

/// Adds the array functions to `_pyrus`.
pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ArrayHandle>()?;
    m.add("ArrayError", m.py().get_type::<ArrayError>())?;
    m.add_function(wrap_pyfunction!(_array, m)?)?;
    Ok(())
}
