//! `_pyrus`, the native half of the script-side `pyrus` package
//! (`scripts/pyrus/__init__.py` re-exports it). It exists only inside a host,
//! so `import pyrus` outside Pd or Max fails with a clear `ImportError`.
//!
//! A script's `pyrus.out()` and friends act on the object whose call is running
//! on this thread: every call into Python from an object pushes that object on
//! a thread-local stack ([`enter`]) and pops it when the call returns, so nested
//! calls (an outlet that leads back into another `[pyrus]`) find the right one.

use crate::convert;
use crate::host::Host;
use crate::marshal::{self, ObjectId};
use crate::remote::Remote;
use pyo3::exceptions::{PyLookupError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use std::cell::RefCell;
use std::rc::Rc;

/// The object a script's `pyrus.*` calls act on.
pub(crate) struct Caller {
    /// The real host on the scheduler thread, a marshalling one elsewhere.
    pub host: Rc<dyn Host>,
    /// Outlets a script may use; the status outlet after them is the engine's.
    pub data_outlets: usize,
    pub id: ObjectId,
}

thread_local! {
    static CALLERS: RefCell<Vec<Rc<Caller>>> = const { RefCell::new(Vec::new()) };
}

/// Makes `caller` the current object until the guard is dropped.
pub(crate) fn enter(caller: &Rc<Caller>) -> CallerGuard {
    CALLERS.with(|c| c.borrow_mut().push(caller.clone()));
    CallerGuard(())
}

/// Pops the current object when dropped (also when a call unwinds).
pub(crate) struct CallerGuard(());

impl Drop for CallerGuard {
    fn drop(&mut self) {
        let ended = CALLERS.with(|c| c.borrow_mut().pop());
        // What the call printed without a final newline is a line now.
        if let Some(caller) = ended {
            crate::console::end_of_call(&caller);
        }
    }
}

/// The object whose call runs on this thread, if any.
pub(crate) fn caller() -> Option<Rc<Caller>> {
    CALLERS.with(|c| c.borrow().last().cloned())
}

pub(crate) fn current(what: &str) -> PyResult<Rc<Caller>> {
    caller().ok_or_else(|| {
        PyRuntimeError::new_err(format!("pyrus.{what}() was called outside a call from a pyrus object on this thread"))
    })
}

pyo3::create_exception!(
    pyrus,
    Stopped,
    pyo3::exceptions::PyBaseException,
    "Raised inside a running detached call by the object's `stop` message (or its deletion). \
     A BaseException, so that `except Exception` does not swallow it."
);

/// The object a script thread belongs to: a thread started (with `threading`)
/// inside a call from an object sends its `pyrus.out()` and friends to that
/// object, marshalled to the scheduler thread.
#[pyclass(frozen, module = "pyrus")]
pub struct Owner {
    id: ObjectId,
    data_outlets: usize,
}

#[pymethods]
impl Owner {
    /// Makes this thread act for the owner until it ends.
    fn adopt(&self) {
        let caller =
            Rc::new(Caller { host: Rc::new(Remote { id: self.id }), data_outlets: self.data_outlets, id: self.id });
        // Never popped: the thread acts for its owner until it ends.
        std::mem::forget(enter(&caller));
    }

    /// The thread has ended: what it printed without a final newline is a
    /// line now.
    fn end(&self) {
        if let Some(caller) = caller().filter(|c| c.id == self.id) {
            crate::console::end_of_call(&caller);
        }
        marshal::producer_end();
    }
}

/// `pyrus.Object.out(outlet, *values)`: sends out of the instance's own
/// object, directly when that object's call is running on this thread,
/// marshalled otherwise (any thread, any time).
#[pyfunction]
fn _out_for(instance: &Bound<'_, PyAny>, outlet: usize, values: &Bound<'_, PyTuple>) -> PyResult<()> {
    let owner = instance
        .getattr("_pyrus_owner")
        .map_err(|_| PyRuntimeError::new_err("this pyrus.Object is not attached to a [pyrus] object"))?;
    let owner = owner.cast::<Owner>()?.get();
    if outlet >= owner.data_outlets {
        return Err(PyValueError::new_err(format!(
            "outlet {outlet} does not exist: this object has {}",
            owner.data_outlets
        )));
    }
    let Some(message) = convert::values_to_message(values)? else { return Ok(()) };
    let direct = CALLERS.with(|c| c.borrow().last().filter(|c| c.id == owner.id).cloned());
    match direct {
        Some(caller) => caller.host.outlet(outlet, &message),
        None => Remote { id: owner.id }.outlet(outlet, &message),
    }
    Ok(())
}

impl Owner {
    pub(crate) fn new(id: ObjectId, data_outlets: usize) -> Self {
        Owner { id, data_outlets }
    }
}

/// The current caller as an `Owner`, or None outside any call.
#[pyfunction]
fn _owner() -> Option<Owner> {
    CALLERS.with(|c| c.borrow().last().map(|c| Owner { id: c.id, data_outlets: c.data_outlets }))
}

/// A thread is about to start for the current caller: count it as a
/// producer and make the host poll for what it sends.
#[pyfunction]
fn _thread_begin() -> PyResult<()> {
    let caller = current("_thread_begin")?;
    marshal::producer_begin();
    caller.host.request_service();
    Ok(())
}

/// `sys.stdout.write(text)` (`error` false) and `sys.stderr.write(text)`:
/// to the host's console (see [`crate::console`]).
#[pyfunction]
fn _console(error: bool, text: &Bound<'_, PyString>) -> PyResult<()> {
    let stream = if error { crate::console::Stream::Err } else { crate::console::Stream::Out };
    match text.to_str() {
        Ok(text) => crate::console::write(stream, text),
        // Lone surrogates (an undecodable file name) are shown as `\udcff`,
        // as Python's own stderr shows them, rather than failing the write.
        Err(_) => {
            let bytes = text.call_method1("encode", ("utf-8", "backslashreplace"))?;
            crate::console::write(stream, &String::from_utf8_lossy(bytes.cast::<pyo3::types::PyBytes>()?.as_bytes()));
        }
    }
    Ok(())
}

/// A bang: return it, or `pyrus.out(pyrus.bang)`, to send a bang.
#[pyclass(frozen, module = "pyrus", name = "Bang")]
pub struct Bang;

#[pymethods]
impl Bang {
    fn __repr__(&self) -> &'static str {
        "pyrus.bang"
    }
}

/// A message with any selector: `pyrus.Message("set", 1, 2)` sends `set 1 2`.
#[pyclass(frozen, module = "pyrus", name = "Message")]
pub struct Message {
    #[pyo3(get)]
    pub selector: Py<PyString>,
    #[pyo3(get)]
    pub args: Py<PyTuple>,
}

impl Message {
    /// The Python side of a host message: `note 1 60 100` becomes
    /// `Message("note", 1, 60, 100)`, a float `Message("float", f)`.
    pub(crate) fn from_message(py: Python<'_>, message: &pyrus_atoms::Message<'_>) -> PyResult<Message> {
        let atoms = message.args();
        let args = atoms.iter().map(|a| convert::atom_to_py(py, a));
        Ok(Message { selector: PyString::new(py, message.selector()).unbind(), args: PyTuple::new(py, args)?.unbind() })
    }
}

#[pymethods]
impl Message {
    #[new]
    #[pyo3(signature = (selector, *args))]
    fn new(selector: Bound<'_, PyString>, args: Bound<'_, PyTuple>) -> Self {
        Message { selector: selector.unbind(), args: args.unbind() }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut text = format!("pyrus.Message({}", self.selector.bind(py).repr()?);
        for a in self.args.bind(py).iter() {
            text.push_str(", ");
            text.push_str(&a.repr()?.to_cow()?);
        }
        text.push(')');
        Ok(text)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = other.py();
        let Ok(other) = other.cast::<Message>() else { return Ok(false) };
        let other = other.get();
        Ok(self.selector.bind(py).as_any().eq(other.selector.bind(py))?
            && self.args.bind(py).as_any().eq(other.args.bind(py))?)
    }
}

/// `pyrus.out(*values, outlet=0)`: sends out of one of the object's outlets,
/// now, depth first, as a host object would.
#[pyfunction]
#[pyo3(signature = (*values, outlet = 0))]
fn out(values: &Bound<'_, PyTuple>, outlet: usize) -> PyResult<()> {
    let caller = current("out")?;
    if outlet >= caller.data_outlets {
        return Err(PyValueError::new_err(format!(
            "outlet {outlet} does not exist: this object has {} (0 to {})",
            caller.data_outlets,
            caller.data_outlets.saturating_sub(1)
        )));
    }
    if let Some(message) = convert::values_to_message(values)? {
        caller.host.outlet(outlet, &message);
    }
    Ok(())
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
    let caller = current("post")?;
    caller.host.post(&text(values)?);
    Ok(())
}

/// `pyrus.error(*values)`: an error line in the host console, attributed to the object.
#[pyfunction]
#[pyo3(signature = (*values))]
fn error(values: &Bound<'_, PyTuple>) -> PyResult<()> {
    let caller = current("error")?;
    caller.host.error(&text(values)?);
    Ok(())
}

/// `pyrus.send(receiver, *values)`: to every `[receive receiver]`.
#[pyfunction]
#[pyo3(signature = (receiver, *values))]
fn send(receiver: &str, values: &Bound<'_, PyTuple>) -> PyResult<()> {
    let caller = current("send")?;
    if let Some(message) = convert::values_to_message(values)? {
        caller.host.send(receiver, &message).map_err(|e| PyLookupError::new_err(e.to_string()))?;
    }
    Ok(())
}

/// `pyrus.time()`: the host's logical time in milliseconds.
#[pyfunction]
fn time() -> PyResult<f64> {
    Ok(current("time")?.host.logical_time())
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
    crate::usb_script::install(&m)?;
    let modules = py.import("sys")?.getattr("modules")?;
    modules.cast::<PyDict>()?.set_item("_pyrus", m)?;
    Ok(())
}
