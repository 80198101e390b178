//! `_pyrus`, the native half of the script-side `pyrus` package
//! (`scripts/pyrus/__init__.py` re-exports it). It exists only inside a host,
//! so `import pyrus` outside Pd or Max fails with a clear `ImportError`.
//!
//! A script's `pyrus.out()` and friends act on the object whose call is running
//! on this thread: every call into Python from an object pushes that object on
//! a thread-local stack (the caller stack, kept by `console`, see
//! [`console::call_as`]) and pops it when the call returns, so nested calls
//! (an outlet that leads back into another `[pyrus]`) find the right one.

use crate::context::Context;
use crate::detach::marshal::{Delivery, ObjectId};
use crate::detach::sink::{self, Sink};
use crate::out::Out;
use crate::python::console::{self, current, with_caller, Caller};
use crate::python::convert;
use crate::python::values::{Bang, Message, Stopped};
use pyo3::exceptions::{PyLookupError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyrus_atoms::Numbers;

/// The data outlet `outlet` (a Python value; None for 0) names, checked
/// against the object's: an `int` from 0 to the last one.
fn data_outlet(
    ctx: &Context,
    id: ObjectId,
    data_outlets: Option<usize>,
    outlet: Option<&Bound<'_, PyAny>>,
) -> PyResult<usize> {
    let outlets = match data_outlets {
        None => crate::python::core::created_outlets(ctx, id).map_err(PyRuntimeError::new_err)?,
        Some(known) => known,
    };
    if outlets == 0 {
        return Err(PyValueError::new_err(
            "this object has no data outlets (its class says outlets = 0), so nothing can be sent: \
             give the class outlets = 1 or more",
        ));
    }
    let Some(outlet) = outlet else { return Ok(0) };
    let index = if outlet.is_instance_of::<pyo3::types::PyBool>() { None } else { outlet.extract::<i64>().ok() };
    let plural = if outlets == 1 { "" } else { "s" };
    match index {
        Some(i) if (0..outlets as i64).contains(&i) => Ok(i as usize),
        Some(i) => Err(PyValueError::new_err(format!(
            "outlet {i} does not exist: this object has {outlets} data outlet{plural}, numbered 0 to {}",
            outlets - 1
        ))),
        None => Err(PyTypeError::new_err(format!(
            "the outlet must be an int from 0 to {}, not {} (self.out takes it first: self.out(0, 'reset', 3))",
            outlets - 1,
            outlet.repr()?
        ))),
    }
}

/// The object a script thread belongs to: a thread started (with `threading`)
/// inside a call from an object sends its `pyrus.out()` and friends to that
/// object, marshalled to a host thread of its context.
#[pyclass(frozen, module = "pyrus")]
pub struct Owner {
    ctx: Context,
    id: ObjectId,
    data_outlets: Option<usize>,
    numbers: Numbers,
}

#[pymethods]
impl Owner {
    /// Makes this thread act for the owner until it ends.
    fn adopt(&self) {
        let sink = Sink { ctx: self.ctx.clone(), id: self.id, run: None };
        let (data_outlets, id, numbers) = (self.data_outlets, self.id, self.numbers);
        let caller = Box::new(Caller { out: Out::Marshal(sink), data_outlets, id, numbers });
        console::adopt(caller);
    }

    /// The thread has ended: what it printed without a final newline is a
    /// line now.
    fn end(&self) {
        with_caller(|caller| {
            if let Some(caller) = caller.filter(|c| c.id == self.id) {
                crate::python::console::end_of_call(caller);
            }
        });
        self.ctx.producer_end();
    }
}

/// `pyrus.Object.out(outlet, *values)`: sends out of the instance's own
/// object, directly when that object's call is running on this thread,
/// marshalled otherwise (any thread, any time).
#[pyfunction]
fn _out_for(instance: &Bound<'_, PyAny>, outlet: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<()> {
    let owner = instance
        .getattr("_pyrus_owner")
        .map_err(|_| PyRuntimeError::new_err("this pyrus.Object is not attached to a [pyrus] object"))?;
    let owner = owner.cast::<Owner>()?.get();
    let outlet = data_outlet(&owner.ctx, owner.id, owner.data_outlets, Some(outlet))?;
    let Some(message) = convert::values_to_message(values, owner.numbers)? else { return Ok(()) };
    with_caller(|caller| match caller.filter(|c| c.id == owner.id) {
        Some(caller) => caller.out.outlet(outlet, &message),
        None => sink::push(&owner.ctx, owner.id, Delivery::Outlet(outlet, message.into_owned())),
    });
    Ok(())
}

impl Owner {
    pub(crate) fn new(ctx: Context, id: ObjectId, data_outlets: usize, numbers: Numbers) -> Self {
        Owner { ctx, id, data_outlets: Some(data_outlets), numbers }
    }
}

/// The current caller as an `Owner`, or None outside any call.
#[pyfunction]
fn _owner() -> Option<Owner> {
    with_caller(|c| {
        c.map(|c| Owner { ctx: c.out.ctx().clone(), id: c.id, data_outlets: c.data_outlets, numbers: c.numbers })
    })
}

/// A thread is about to start for the current caller: count it as a
/// producer and make the host poll for what it sends.
#[pyfunction]
fn _thread_begin() -> PyResult<()> {
    current("_thread_begin", |caller| {
        caller.out.ctx().producer_begin();
        caller.out.request_service();
        Ok(())
    })
}

/// `sys.stdout.write(text)` (`error` false) and `sys.stderr.write(text)`:
/// to the host's console (see [`crate::python::console`]).
#[pyfunction]
fn _console(error: bool, text: &Bound<'_, PyString>) -> PyResult<()> {
    let stream = if error { crate::python::console::Stream::Err } else { crate::python::console::Stream::Out };
    match text.to_str() {
        Ok(text) => crate::python::console::write(stream, text),
        // Lone surrogates (an undecodable file name) are shown as `\udcff`,
        // as Python's own stderr shows them, rather than failing the write.
        Err(_) => {
            let bytes = text.call_method1("encode", ("utf-8", "backslashreplace"))?;
            crate::python::console::write(
                stream,
                &String::from_utf8_lossy(bytes.cast::<pyo3::types::PyBytes>()?.as_bytes()),
            );
        }
    }
    Ok(())
}

/// `pyrus.out(*values, outlet=0)`: sends out of one of the object's outlets,
/// now, depth first, as a host object would.
#[pyfunction]
#[pyo3(signature = (*values, outlet = None))]
fn out(values: &Bound<'_, PyTuple>, outlet: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    current("out", |caller| {
        let outlet = data_outlet(caller.out.ctx(), caller.id, caller.data_outlets, outlet)?;
        if let Some(message) = convert::values_to_message(values, caller.numbers)? {
            caller.out.outlet(outlet, &message);
        }
        Ok(())
    })
}

/// Joins values as `print()` does.
fn text(values: &Bound<'_, PyTuple>) -> PyResult<String> {
    let parts: PyResult<Vec<String>> = values.iter().map(|v| v.str()?.extract()).collect();
    Ok(parts?.join(" "))
}

/// `pyrus.post(*values)`: a line in the host console.
#[pyfunction]
#[pyo3(signature = (*values))]
fn post(values: &Bound<'_, PyTuple>) -> PyResult<()> {
    current("post", |caller| {
        caller.out.post(&text(values)?);
        Ok(())
    })
}

/// `pyrus.error(*values)`: an error line in the host console, attributed to the object.
#[pyfunction]
#[pyo3(signature = (*values))]
fn error(values: &Bound<'_, PyTuple>) -> PyResult<()> {
    current("error", |caller| {
        caller.out.error(&text(values)?);
        Ok(())
    })
}

/// `pyrus.send(receiver, *values)`: to every `[receive receiver]`.
#[pyfunction]
#[pyo3(signature = (receiver, *values))]
fn send(receiver: &str, values: &Bound<'_, PyTuple>) -> PyResult<()> {
    current("send", |caller| {
        if let Some(message) = convert::values_to_message(values, caller.numbers)? {
            caller.out.send(receiver, &message).map_err(|e| PyLookupError::new_err(e.to_string()))?;
        }
        Ok(())
    })
}

/// `pyrus.time()`: the host's logical time in milliseconds.
#[pyfunction]
fn time() -> PyResult<f64> {
    current("time", |caller| Ok(caller.out.logical_time()))
}

/// Registers `_pyrus` in `sys.modules`. Done by hand rather than through the
/// init table so that it also works when another external started Python first.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let m = PyModule::new(py, "_pyrus")?;
    m.add_class::<Bang>()?;
    m.add_class::<Message>()?;
    m.add("bang", Bang)?;
    m.add_function(wrap_pyfunction!(out, &m)?)?;
    m.add_function(wrap_pyfunction!(post, &m)?)?;
    m.add_function(wrap_pyfunction!(error, &m)?)?;
    m.add_function(wrap_pyfunction!(send, &m)?)?;
    m.add_function(wrap_pyfunction!(time, &m)?)?;
    m.add_function(wrap_pyfunction!(_owner, &m)?)?;
    m.add_function(wrap_pyfunction!(_out_for, &m)?)?;
    m.add_function(wrap_pyfunction!(_thread_begin, &m)?)?;
    m.add_function(wrap_pyfunction!(_console, &m)?)?;
    m.add_class::<Owner>()?;
    m.add("Stopped", py.get_type::<Stopped>())?;
    crate::usb::script::install(&m)?;
    crate::arrays::script::install(&m)?;
    crate::clocks::install(&m)?; // pyrus.after, pyrus.every, pyrus.receive
    let modules = py.import("sys")?.getattr("modules")?;
    modules.cast::<PyDict>()?.set_item("_pyrus", m)?;
    Ok(())
}
