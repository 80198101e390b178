//! How failures reach the user: the full Python traceback in the console (file
//! and line included) and one `error <Type> <message...>` on the status outlet
//! (the message itself is made by [`crate::out::error_message`], the one
//! formatter of status errors).
//!
//! # Threading
//! The thread running the failed call, attached to Python: a host thread in
//! `detach 0`, a worker in `detach 1|2`.

use crate::out::Out;
use pyo3::prelude::*;
use pyo3::types::PyTraceback;

/// Reports `err`, raised while doing `context`, to the console and the status outlet.
///
/// A call interrupted by `stop` is not a failure: the object already said
/// `stopped`, so [`crate::python::values::Stopped`] is not reported again.
pub(crate) fn report(py: Python<'_>, out: &Out, status_outlet: usize, context: &str, err: &PyErr) {
    if traceback(py, out, context, err) {
        let kind = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
        let text = err.value(py).str().map(|s| s.to_string()).unwrap_or_default();
        status_error(out, status_outlet, &kind, &text);
    }
}

/// The console half of [`report`], for what has no status outlet (the
/// global reload); says whether it reported (not a `stop`).
pub(crate) fn traceback(py: Python<'_>, out: &Out, context: &str, err: &PyErr) -> bool {
    if err.is_instance_of::<crate::python::values::Stopped>(py) {
        return false;
    }
    out.error(&format!("pyrus: {context}:"));
    for line in traceback_lines(py, err) {
        out.error(&line);
    }
    true
}

/// `error <kind> <words of text...>` on the status outlet.
pub(crate) fn status_error(out: &Out, status_outlet: usize, kind: &str, text: &str) {
    out.outlet(status_outlet, &crate::out::error_message(Some(kind), text));
}

/// The traceback as `traceback.format_exception` lays it out, one console line each.
fn traceback_lines(py: Python<'_>, err: &PyErr) -> Vec<String> {
    let formatted = (|| -> PyResult<Vec<String>> {
        let tb = err.traceback(py);
        let lines = py.import("traceback")?.call_method1(
            "format_exception",
            (err.get_type(py), err.value(py), tb.as_ref().map(Bound::<PyTraceback>::as_any)),
        )?;
        let chunks: Vec<String> = lines.extract()?;
        Ok(chunks.concat().lines().map(str::to_owned).collect())
    })();
    formatted.unwrap_or_else(|_| vec![err.to_string()])
}
