//! The script-side value types of the `pyrus` module: `pyrus.bang`,
//! `pyrus.Message` and the `pyrus.Stopped` exception, with the rule for what
//! text may be a symbol or a selector. Below conversion ([`crate::python::convert`])
//! and reports, which know these types, and the `_pyrus` module, which
//! installs them.
//!
//! # Threading
//! Any thread attached to Python (the types are frozen: no state).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

pyo3::create_exception!(
    pyrus,
    Stopped,
    pyo3::exceptions::PyBaseException,
    "Raised inside a running detached call by the object's `stop` message (or its deletion). \
     A BaseException, so that `except Exception` does not swallow it."
);

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

#[pymethods]
impl Message {
    /// The selector must be a word: not empty, no NUL (a host could not
    /// send it, and `[route]` could never match it).
    #[new]
    #[pyo3(signature = (selector, *args))]
    fn new(selector: Bound<'_, PyAny>, args: Bound<'_, PyTuple>) -> PyResult<Self> {
        let Ok(text) = selector.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "pyrus.Message needs a str selector first, such as pyrus.Message('set', 1), not {}",
                selector.get_type().name()?
            )));
        };
        selector_text(&selector)?;
        Ok(Message { selector: text.clone().unbind(), args: args.unbind() })
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

/// A message's selector: a symbol, and not an empty one (no host can match it).
pub fn selector_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let text = symbol_text(value)?;
    if text.is_empty() {
        return Err(PyValueError::new_err(
            "a message's selector can't be empty: give a word such as 'set' (or send a list)",
        ));
    }
    Ok(text)
}

/// A symbol's text: a `str` without NUL (hosts keep symbols as C strings).
pub(crate) fn symbol_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let text = value.cast::<PyString>()?.to_str()?;
    if text.contains('\0') {
        return Err(PyValueError::new_err("a symbol can't contain a NUL character"));
    }
    Ok(text.to_owned())
}
