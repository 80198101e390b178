//! One `[pyrus]` object: its own global namespace, an optional target callable
//! (function mode) and the reserved messages.
//!
//! Creation arguments: `[pyrus]` is an interpreter with an empty namespace;
//! `[pyrus DOTTED.NAME ARGS...]` resolves `DOTTED.NAME` (see [`crate::resolve`]).
//! A callable target is called by every non-reserved message, with `ARGS` bound
//! in front of the message's own arguments (as `functools.partial` would); a
//! module is bound in the namespace under its first name. A target that fails
//! to resolve leaves a working object that reports the error and tries again
//! on `reload`.

use crate::convert;
use crate::gil;
use crate::host::Host;
use crate::native::{self, Caller};
use crate::report;
use crate::resolve::resolve;
use crate::runtime;
use pyo3::exceptions::{PyFileNotFoundError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule};
use pyrus_atoms::{Atom, Message, OwnedAtom};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The messages an object handles itself instead of passing to its target.
/// To call a target with one of these words first, send `list WORD ...`.
pub const RESERVED: &[&str] = &["import", "eval", "exec", "load", "call", "reload"];

/// A `[pyrus]` object as the engine sees it.
///
/// # Threading
/// Created, called and dropped on the host's scheduler thread only (`!Send`),
/// and re-entrant: a message sent out of an outlet may come straight back in
/// through the patch while a call is running. Every method attaches to
/// Python for the duration of the call (synchronous mode).
pub struct Object {
    caller: Rc<Caller>,
    namespace: Py<PyDict>,
    target: RefCell<Target>,
    patch_dir: Option<PathBuf>,
}

#[derive(Default)]
struct Target {
    /// The dotted name from the creation arguments.
    path: Option<String>,
    /// Arguments bound in front of every call.
    leading: Vec<OwnedAtom>,
    /// The resolved callable, if resolving worked and gave one.
    callable: Option<Py<PyAny>>,
}

/// Outlets of a function-mode object: results, then status.
const OUTLETS: usize = 2;
const RESULT: usize = 0;
const STATUS: usize = OUTLETS - 1;

impl Object {
    /// Creates an object. Errors in the arguments or in the target are
    /// reported through `host`; the object is created all the same.
    ///
    /// The interpreter must have been started with [`runtime::start`].
    pub fn new(host: Rc<dyn Host>, args: &[Atom<'_>], patch_dir: Option<&Path>) -> Object {
        debug_assert!(runtime::is_started(), "runtime::start must run first");
        let caller = Rc::new(Caller { host, data_outlets: OUTLETS - 1 });
        let mut target = Target::default();
        let mut rest = args.iter();
        if let Some(first) = rest.next() {
            match first {
                Atom::Symbol(s) => target.path = Some(s.to_string()),
                Atom::Float(_) => caller.host.error(&format!(
                    "pyrus: the first argument must be a Python name, not the number {first}; ignored"
                )),
            }
        }
        target.leading = rest.map(|a| a.clone().into_owned()).collect();
        let object = Python::attach(|py| {
            let namespace = PyDict::new(py);
            namespace
                .set_item("__builtins__", py.import("builtins").expect("builtins"))
                .expect("set __builtins__");
            namespace.set_item("__name__", "__main__").expect("set __name__");
            Object {
                caller,
                namespace: namespace.unbind(),
                target: RefCell::new(target),
                patch_dir: patch_dir.map(Path::to_path_buf),
            }
        });
        object.attached(|py| {
            if let Some(dir) = &object.patch_dir {
                object.check(py, "adding the patch folder to sys.path", runtime::add_patch_dir(py, dir));
            }
            object.resolve_target(py);
        });
        object
    }

    /// Number of outlets the host must create; the last one is the status outlet.
    pub fn outlet_count(&self) -> usize {
        OUTLETS
    }

    /// Handles one message arriving at an inlet.
    pub fn message(&self, _inlet: usize, message: &Message<'_>) {
        self.attached(|py| {
            if let Message::Anything(selector, args) = message {
                if RESERVED.contains(&selector.as_ref()) {
                    return self.reserved(py, selector, args);
                }
            }
            self.call_target(py, message);
        })
    }

    /// Runs `f` attached to Python (under the scheduler thread's lease, see
    /// [`crate::gil`]) with this object as the current caller of `pyrus.*`.
    fn attached<R>(&self, f: impl FnOnce(Python<'_>) -> R) -> R {
        gil::sync_call(self.host(), |py| {
            let _current = native::enter(&self.caller);
            f(py)
        })
    }

    fn host(&self) -> &dyn Host {
        &*self.caller.host
    }

    /// Reports an error, if any, and turns the result into an option.
    fn check<T>(&self, py: Python<'_>, context: &str, result: PyResult<T>) -> Option<T> {
        result.map_err(|e| report::report(py, self.host(), STATUS, context, &e)).ok()
    }

    /// Sends a result out of the result outlet; `context` is only formatted
    /// if the conversion fails.
    fn output(&self, py: Python<'_>, context: impl FnOnce() -> String, value: &Bound<'_, PyAny>) {
        match convert::py_to_message(value) {
            Ok(Some(message)) => self.host().outlet(RESULT, &message),
            Ok(None) => {}
            Err(e) => report::report(py, self.host(), STATUS, &context(), &e),
        }
    }

    fn call_target(&self, py: Python<'_>, message: &Message<'_>) {
        let target = self.target.borrow();
        let Some(callable) = &target.callable else {
            let why = match &target.path {
                Some(p) => format!("'{p}' did not resolve to a callable (fix it, then send reload)"),
                None => "this object has no function: create it as [pyrus module.function], \
                         or use eval, exec, call"
                    .to_owned(),
            };
            drop(target);
            self.host().error(&format!("pyrus: no function for '{}': {why}", message.selector()));
            report::status_error(self.host(), STATUS, "TypeError", &why);
            return;
        };
        let callable = callable.clone_ref(py).into_bound(py);
        let result = match (message, target.leading.is_empty()) {
            // The hot path, a float in: no argument vector to build.
            (Message::Float(f), true) => {
                drop(target);
                callable.call1((convert::float_to_py(py, *f),))
            }
            _ => {
                let args = convert::message_args(py, &target.leading, message);
                drop(target);
                // No borrow of our state is held across the call: it may re-enter this object.
                args.and_then(|args| callable.call1(args))
            }
        };
        let context = || format!("calling {}", self.target.borrow().path.as_deref().unwrap_or("?"));
        match result {
            Ok(value) => self.output(py, context, &value),
            Err(e) => report::report(py, self.host(), STATUS, &context(), &e),
        }
    }

    fn reserved(&self, py: Python<'_>, selector: &str, args: &[Atom<'_>]) {
        let code = join(args);
        match selector {
            "eval" => {
                let result = cstring(&code).and_then(|c| py.eval(&c, Some(self.namespace.bind(py)), None));
                if let Some(value) = self.check(py, &format!("eval {code}"), result) {
                    self.output(py, || format!("eval {code}"), &value);
                }
            }
            "exec" => {
                let result = cstring(&code).and_then(|c| py.run(&c, Some(self.namespace.bind(py)), None));
                self.check(py, &format!("exec {code}"), result);
            }
            "import" => {
                for name in args {
                    let result = self.import(py, &name.to_string());
                    self.check(py, &format!("import {name}"), result);
                }
            }
            "load" => {
                let result = self.load(py, &code);
                self.check(py, &format!("load {code}"), result);
            }
            "call" => {
                let context = format!("call {code}");
                let result = self.call(py, args);
                if let Some(value) = self.check(py, &context, result) {
                    self.output(py, || context.clone(), &value);
                }
            }
            "reload" => {
                let result = self.reload(py, args);
                self.check(py, "reload", result);
            }
            _ => unreachable!("RESERVED lists every reserved selector"),
        }
    }

    /// `import a.b` binds `a` in the namespace, as the statement does.
    fn import(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let module = resolve_module(py, name)?;
        let first = name.split('.').next().unwrap_or(name);
        let bound = if first == name { module.into_any() } else { py.import(first)?.into_any() };
        self.namespace.bind(py).set_item(first, bound)
    }

    /// Runs a file in the namespace; a relative path is relative to the patch.
    fn load(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        let path = match &self.patch_dir {
            Some(dir) if Path::new(path).is_relative() => dir.join(path),
            _ => PathBuf::from(path),
        };
        let source = std::fs::read_to_string(&path).map_err(|e| {
            PyFileNotFoundError::new_err(format!("can't read {}: {e}", path.display()))
        })?;
        let builtins = py.import("builtins")?;
        let file = path.to_string_lossy();
        let code = builtins.call_method1("compile", (source, &*file, "exec"))?;
        let namespace = self.namespace.bind(py);
        namespace.set_item("__file__", &*file)?;
        builtins.call_method1("exec", (code, namespace))?;
        Ok(())
    }

    /// `call NAME ARGS...`: NAME is looked up in the namespace first, then as a
    /// dotted path.
    fn call<'py>(&self, py: Python<'py>, args: &[Atom<'_>]) -> PyResult<Bound<'py, PyAny>> {
        let Some((Atom::Symbol(name), rest)) = args.split_first() else {
            return Err(PyTypeError::new_err("call needs a function name: call NAME ARGS..."));
        };
        let namespace = self.namespace.bind(py);
        let mut parts = name.split('.');
        let first = parts.next().unwrap_or_default();
        let callable = match namespace.get_item(first)? {
            Some(mut value) => {
                for attr in parts {
                    value = value.getattr(attr)?;
                }
                value
            }
            None => resolve(py, name)?,
        };
        let args = convert::message_args(py, &[], &Message::List(rest.into()))?;
        callable.call1(args)
    }

    /// `reload`: re-imports the target's module and resolves the target again;
    /// `reload MODULE...` re-imports those modules.
    fn reload(&self, py: Python<'_>, args: &[Atom<'_>]) -> PyResult<()> {
        let importlib = py.import("importlib")?;
        if !args.is_empty() {
            for name in args {
                importlib.call_method1("reload", (resolve_module(py, &name.to_string())?,))?;
            }
            return Ok(());
        }
        let Some(path) = self.target.borrow().path.clone() else {
            return Err(PyTypeError::new_err(
                "this object has no target to reload: use reload MODULE",
            ));
        };
        if let Some(module) = loaded_module_of(py, &path)? {
            importlib.call_method1("reload", (module,))?;
        }
        self.resolve_target(py);
        Ok(())
    }

    /// Resolves the target path, keeping the previous callable when it fails.
    fn resolve_target(&self, py: Python<'_>) {
        let Some(path) = self.target.borrow().path.clone() else { return };
        let Some(value) = self.check(py, &format!("resolving {path}"), resolve(py, &path)) else {
            return;
        };
        if value.is_callable() {
            self.target.borrow_mut().callable = Some(value.unbind());
        } else if value.is_instance_of::<PyModule>() {
            let first = path.split('.').next().unwrap_or(&path);
            let bound = if first == path { Ok(value) } else { py.import(first).map(Bound::into_any) };
            if let Some(module) = self.check(py, "binding the module", bound) {
                self.check(py, "binding the module", self.namespace.bind(py).set_item(first, module));
            }
        } else {
            let err = PyTypeError::new_err(format!(
                "'{path}' is a {} value, not a function or module",
                value.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ));
            report::report(py, self.host(), STATUS, &format!("resolving {path}"), &err);
        }
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        // Release our Python references now rather than at some later attach.
        Python::attach(|_| {
            self.target.borrow_mut().callable = None;
        });
    }
}

fn resolve_module<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyModule>> {
    py.import(name)
}

/// The already imported module that `path` lives in (the longest prefix in
/// `sys.modules`), if any.
fn loaded_module_of<'py>(py: Python<'py>, path: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let modules = py.import("sys")?.getattr("modules")?;
    let parts: Vec<&str> = path.split('.').collect();
    for split in (1..=parts.len()).rev() {
        if let Some(module) = modules.get_item(parts[..split].join(".")).ok() {
            if module.is_instance_of::<PyModule>() {
                return Ok(Some(module));
            }
        }
    }
    Ok(None)
}

/// Message atoms back to source text, separated by spaces.
fn join(args: &[Atom<'_>]) -> String {
    args.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

fn cstring(code: &str) -> PyResult<std::ffi::CString> {
    std::ffi::CString::new(code)
        .map_err(|_| pyo3::exceptions::PyValueError::new_err("code can't contain a NUL character"))
}
