//! Dotted paths, resolved as Python users expect: `os.path.join`,
//! `builtins.str.upper` and `mypkg.sub.func` name the longest importable module
//! prefix, then attributes of it; a bare name that is no module is a builtin.
//!
//! # Threading
//! Any thread attached to Python; no state of its own.

use pyo3::exceptions::{PyModuleNotFoundError, PyValueError};
use pyo3::prelude::*;

/// Imports and looks up `path`.
///
/// A module that exists but fails to import (a syntax error, an exception at
/// import time) is reported as that error, never hidden behind "not found".
pub fn resolve<'py>(py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyAny>> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(PyValueError::new_err(format!("'{path}' is not a dotted Python name")));
    }
    for split in (1..=parts.len()).rev() {
        let module_name = parts[..split].join(".");
        match py.import(module_name.as_str()) {
            Ok(module) => return attributes(module.into_any(), &parts[split..]),
            Err(e) if is_missing(py, &e, &module_name) => continue,
            Err(e) => return Err(e),
        }
    }
    let builtins = py.import("builtins")?;
    if builtins.hasattr(parts[0])? {
        return attributes(builtins.into_any(), &parts);
    }
    Err(PyModuleNotFoundError::new_err(format!(
        "no module named '{}' on sys.path, and no builtin of that name",
        parts[0]
    )))
}

fn attributes<'py>(mut value: Bound<'py, PyAny>, names: &[&str]) -> PyResult<Bound<'py, PyAny>> {
    for name in names {
        value = value.getattr(*name)?;
    }
    Ok(value)
}

/// Whether `err` says that `module_name` itself (or a parent of it) is missing,
/// as opposed to something the module imports.
fn is_missing(py: Python<'_>, err: &PyErr, module_name: &str) -> bool {
    if !err.is_instance_of::<PyModuleNotFoundError>(py) {
        return false;
    }
    let missing: Option<String> = err.value(py).getattr("name").ok().and_then(|n| n.extract().ok());
    match missing {
        Some(m) => module_name == m || module_name.starts_with(&format!("{m}.")),
        None => false,
    }
}
