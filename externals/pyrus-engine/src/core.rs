//! What an object does in Python, on whichever thread runs it: the scheduler
//! thread in synchronous mode, a worker in detached mode. Everything it says
//! goes through the `&dyn Host` it is given, which is the real host on the
//! scheduler thread and a marshalling [`crate::remote::Remote`] on a worker.
//!
//! # Threading
//! `Core` is `Send + Sync`. Every method needs the caller attached to Python;
//! the target's lock is held only for O(1) work and never across a call into
//! Python, so no thread ever waits for it while another waits for the GIL.

use crate::convert;
use crate::host::Host;
use crate::marshal::ObjectId;
use crate::report;
use crate::resolve::resolve;
use crate::runtime;
use pyo3::exceptions::{PyFileNotFoundError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule};
use pyrus_atoms::{Atom, Message, OwnedAtom};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The messages that run Python code in the object's namespace.
pub const PYTHON_MESSAGES: &[&str] = &["import", "eval", "exec", "load", "call", "reload"];

/// Outlets of a function-mode object: results, then status.
pub const OUTLETS: usize = 2;
pub const RESULT: usize = 0;
pub const STATUS: usize = OUTLETS - 1;

pub(crate) struct Core {
    pub id: ObjectId,
    namespace: OnceLock<Py<PyDict>>,
    target: Mutex<Target>,
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

impl Core {
    /// A core that has not touched Python yet; [`Core::init`] resolves it.
    pub fn new(id: ObjectId, path: Option<String>, leading: Vec<OwnedAtom>, patch_dir: Option<&Path>) -> Core {
        Core {
            id,
            namespace: OnceLock::new(),
            target: Mutex::new(Target { path, leading, callable: None }),
            patch_dir: patch_dir.map(Path::to_path_buf),
        }
    }

    fn target(&self) -> std::sync::MutexGuard<'_, Target> {
        // A panic while holding this O(1) lock leaves no broken invariant.
        self.target.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn path(&self) -> Option<String> {
        self.target().path.clone()
    }

    /// The object's own global namespace, made on first use.
    pub fn namespace<'py>(&self, py: Python<'py>) -> Bound<'py, PyDict> {
        self.namespace
            .get_or_init(|| {
                let namespace = PyDict::new(py);
                let builtins = py.import("builtins").expect("builtins is always importable");
                namespace.set_item("__builtins__", builtins).expect("a str key");
                namespace.set_item("__name__", "__main__").expect("a str key");
                namespace.unbind()
            })
            .bind(py)
            .clone()
    }

    /// Puts the patch's folder on `sys.path` and resolves the target.
    pub fn init(&self, py: Python<'_>, host: &dyn Host) {
        if let Some(dir) = &self.patch_dir {
            check(py, host, "adding the patch folder to sys.path", runtime::add_patch_dir(py, dir));
        }
        self.resolve_target(py, host);
    }

    /// Handles one message: a Python message (`eval`, `exec`...) or a call
    /// of the target.
    pub fn handle(&self, py: Python<'_>, host: &dyn Host, message: &Message<'_>) {
        if let Message::Anything(selector, args) = message {
            if PYTHON_MESSAGES.contains(&selector.as_ref()) {
                return self.python_message(py, host, selector, args);
            }
        }
        self.call_target(py, host, message);
    }

    fn call_target(&self, py: Python<'_>, host: &dyn Host, message: &Message<'_>) {
        let target = self.target();
        let Some(callable) = &target.callable else {
            let why = match &target.path {
                Some(p) => format!("'{p}' did not resolve to a callable (fix it, then send reload)"),
                None => "this object has no function: create it as [pyrus module.function], \
                         or use eval, exec, call"
                    .to_owned(),
            };
            drop(target);
            host.error(&format!("pyrus: no function for '{}': {why}", message.selector()));
            report::status_error(host, STATUS, "TypeError", &why);
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
                // No lock is held across the call: it may re-enter this object.
                args.and_then(|args| callable.call1(args))
            }
        };
        let context = || format!("calling {}", self.path().as_deref().unwrap_or("?"));
        match result {
            Ok(value) => output(py, host, context, &value),
            Err(e) => report::report(py, host, STATUS, &context(), &e),
        }
    }

    fn python_message(&self, py: Python<'_>, host: &dyn Host, selector: &str, args: &[Atom<'_>]) {
        let code = join(args);
        let namespace = self.namespace(py);
        match selector {
            "eval" => {
                let result = cstring(&code).and_then(|c| py.eval(&c, Some(&namespace), None));
                if let Some(value) = check(py, host, &format!("eval {code}"), result) {
                    output(py, host, || format!("eval {code}"), &value);
                }
            }
            "exec" => {
                let result = cstring(&code).and_then(|c| py.run(&c, Some(&namespace), None));
                check(py, host, &format!("exec {code}"), result);
            }
            "import" => {
                for name in args {
                    let result = self.import(py, &name.to_string());
                    check(py, host, &format!("import {name}"), result);
                }
            }
            "load" => {
                let result = self.load(py, &code);
                check(py, host, &format!("load {code}"), result);
            }
            "call" => {
                let context = format!("call {code}");
                let result = self.call(py, args);
                if let Some(value) = check(py, host, &context, result) {
                    output(py, host, || context.clone(), &value);
                }
            }
            "reload" => {
                let result = self.reload(py, host, args);
                check(py, host, "reload", result);
            }
            _ => unreachable!("PYTHON_MESSAGES lists every Python message"),
        }
    }

    /// `import a.b` binds `a` in the namespace, as the statement does.
    fn import(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let module = py.import(name)?;
        let first = name.split('.').next().unwrap_or(name);
        let bound = if first == name { module.into_any() } else { py.import(first)?.into_any() };
        self.namespace(py).set_item(first, bound)
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
        let namespace = self.namespace(py);
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
        let mut parts = name.split('.');
        let first = parts.next().unwrap_or_default();
        let callable = match self.namespace(py).get_item(first)? {
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
    fn reload(&self, py: Python<'_>, host: &dyn Host, args: &[Atom<'_>]) -> PyResult<()> {
        let importlib = py.import("importlib")?;
        if !args.is_empty() {
            for name in args {
                importlib.call_method1("reload", (py.import(name.to_string().as_str())?,))?;
            }
            return Ok(());
        }
        let Some(path) = self.path() else {
            return Err(PyTypeError::new_err(
                "this object has no target to reload: use reload MODULE",
            ));
        };
        if let Some(module) = loaded_module_of(py, &path)? {
            importlib.call_method1("reload", (module,))?;
        }
        self.resolve_target(py, host);
        Ok(())
    }

    /// Resolves the target path, keeping the previous callable when it fails.
    fn resolve_target(&self, py: Python<'_>, host: &dyn Host) {
        let Some(path) = self.path() else { return };
        let context = format!("resolving {path}");
        let Some(value) = check(py, host, &context, resolve(py, &path)) else { return };
        if value.is_callable() {
            self.target().callable = Some(value.unbind());
        } else if value.is_instance_of::<PyModule>() {
            let first = path.split('.').next().unwrap_or(&path);
            let bound = if first == path { Ok(value) } else { py.import(first).map(Bound::into_any) };
            if let Some(module) = check(py, host, "binding the module", bound) {
                check(py, host, "binding the module", self.namespace(py).set_item(first, module));
            }
        } else {
            let err = PyTypeError::new_err(format!(
                "'{path}' is a {} value, not a function or module",
                value.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ));
            report::report(py, host, STATUS, &context, &err);
        }
    }
}

/// Reports an error, if any, and turns the result into an option.
fn check<T>(py: Python<'_>, host: &dyn Host, context: &str, result: PyResult<T>) -> Option<T> {
    result.map_err(|e| report::report(py, host, STATUS, context, &e)).ok()
}

/// Sends a result out of the result outlet; `context` is only formatted if
/// the conversion fails.
fn output(py: Python<'_>, host: &dyn Host, context: impl FnOnce() -> String, value: &Bound<'_, PyAny>) {
    match convert::py_to_message(value) {
        Ok(Some(message)) => host.outlet(RESULT, &message),
        Ok(None) => {}
        Err(e) => report::report(py, host, STATUS, &context(), &e),
    }
}

/// The already imported module that `path` lives in (the longest prefix in
/// `sys.modules`), if any.
fn loaded_module_of<'py>(py: Python<'py>, path: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let modules = py.import("sys")?.getattr("modules")?;
    let parts: Vec<&str> = path.split('.').collect();
    for split in (1..=parts.len()).rev() {
        if let Ok(module) = modules.get_item(parts[..split].join(".")) {
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
    std::ffi::CString::new(code).map_err(|_| PyValueError::new_err("code can't contain a NUL character"))
}
