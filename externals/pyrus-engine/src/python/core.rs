//! What an object does in Python, on whichever thread runs it: a host
//! thread in synchronous mode, a worker in detached mode. Everything it says
//! goes through the [`Out`] it is given: straight to the host on a host
//! thread, through the mailbox ([`crate::detach::sink::Sink`]) on a worker.
//!
//! # Threading
//! `Core` is `Send + Sync`. Every method needs the caller attached to Python
//! (but `instance_exists`, `files`, `shape`, `class_takes`...: plain data the
//! host thread reads in detached mode). The function and the
//! instance, read on every call, are in [`GilCell`]s: the GIL orders their
//! accesses, so a call takes no lock; the files' lock is held only for O(1)
//! work, never across a call into Python.

use crate::context::{self, Context};
use crate::detach::marshal::ObjectId;
use crate::object::options::{OWN, PYTHON_MESSAGES, RESERVED};
use crate::out::Out;
use crate::python::assist::Assist;
use crate::python::convert;
use crate::python::gil::GilCell;
use crate::python::native::Owner;
use crate::python::report;
use crate::python::resolve::resolve;
use crate::python::runtime;
use crate::sync::lock;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyModule, PyType};
use pyrus_atoms::{Atom, Message, Numbers, OwnedAtom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

/// The outlet results leave by; the status outlet follows the data outlets.
pub const RESULT: usize = 0;

pub(crate) struct Core {
    pub id: ObjectId,
    /// The host's number model, for conversion on whichever thread runs a call.
    pub numbers: Numbers,
    namespace: OnceLock<Py<PyDict>>,
    /// The dotted name from the creation arguments.
    path: Option<String>,
    /// Arguments bound in front of every call (class mode: the constructor's).
    leading: Vec<OwnedAtom>,
    /// Function mode: the resolved callable, if resolving worked and gave one.
    callable: GilCell,
    /// Class mode: the instance of a `pyrus.Object` subclass...
    instance: GilCell,
    /// ...which, once made, stays: known without attaching to Python.
    has_instance: AtomicBool,
    patch_dir: Option<PathBuf>,
    /// Inlets and data outlets, fixed by the first resolution of the target.
    shape: OnceLock<Shape>,
    /// The script files the target comes from, first its own module's, each
    /// with its module name: what `watch` follows and `open` opens.
    files: Mutex<Vec<(PathBuf, String)>>,
    /// Whether `watch 1` is on.
    pub watching: std::sync::atomic::AtomicBool,
    /// Class mode: bit `i` set when the class defines `in_0_<RESERVED[i]>`,
    /// cached when the class is bound, so that a host thread can
    /// dispatch without Python.
    takes: AtomicU32,
    /// What each port is for, in words (see [`Assist`]): set where the
    /// target resolves, read by host threads without Python.
    assist: Mutex<Assist>,
}

/// How many inlets and outlets (before the status outlet) an object has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub inlets: usize,
    pub outlets: usize,
}

/// The ports of an object that is not of a class: one inlet, one data outlet.
const DEFAULT_SHAPE: Shape = Shape { inlets: 1, outlets: 1 };

/// The largest number of inlets or outlets a class may ask for.
const MAX_PORTS: usize = 64;

/// How the user knows object `id` (of any context): `[pyrus NAME ARGS...]`,
/// as far as the engine knows its box (flags aside). Takes no GIL.
pub(crate) fn describe(id: ObjectId) -> String {
    let core = context::live().iter().find_map(|ctx| live_core(ctx, id));
    let Some(core) = core else { return "[pyrus] (deleted)".into() };
    let words: Vec<String> = core.path.iter().cloned().chain(core.leading.iter().map(ToString::to_string)).collect();
    match words.is_empty() {
        true => "[pyrus]".into(),
        false => format!("[pyrus {}]", words.join(" ")),
    }
}

/// The live core of object `id` of `ctx`, if any.
fn live_core(ctx: &Context, id: ObjectId) -> Option<std::sync::Arc<Core>> {
    cores(ctx).into_iter().find(|c| c.id == id)
}

/// The data outlets of object `id` once it has been created, or why there
/// are none: for threads started while its module was imported at creation
/// (see [`crate::python::console::Caller::data_outlets`]).
pub(crate) fn created_outlets(ctx: &Context, id: ObjectId) -> Result<usize, &'static str> {
    let core = live_core(ctx, id);
    let core = core.ok_or("the [pyrus] object this thread was started for is gone")?;
    core.shape.get().map(|s| s.outlets).ok_or(
        "this [pyrus] object is still being created, so it has no outlets yet: \
         send from a call, or from a thread once the object exists",
    )
}

impl Core {
    /// A core that has not touched Python yet; [`Core::init`] resolves it.
    pub fn new(
        id: ObjectId,
        numbers: Numbers,
        path: Option<String>,
        leading: Vec<OwnedAtom>,
        patch_dir: Option<&Path>,
    ) -> Core {
        Core {
            id,
            numbers,
            namespace: OnceLock::new(),
            leading,
            callable: GilCell::new(),
            instance: GilCell::new(),
            has_instance: AtomicBool::new(false),
            patch_dir: patch_dir.map(Path::to_path_buf),
            shape: OnceLock::new(),
            files: Mutex::new(Vec::new()),
            watching: std::sync::atomic::AtomicBool::new(false),
            takes: AtomicU32::new(0),
            assist: Mutex::new(match &path {
                Some(path) => Assist::unresolved(path),
                None => Assist::interpreter(None),
            }),
            path,
        }
    }

    /// The script files behind the target (see the field).
    pub fn files(&self) -> Vec<(PathBuf, String)> {
        lock(&self.files).clone()
    }

    /// The target's own module, if it was imported.
    pub fn module_name(&self) -> Option<String> {
        self.files().first().map(|(_, m)| m.clone())
    }

    /// What inlet `n` is for, in words (None past the last inlet).
    pub fn inlet_assist(&self, n: usize) -> Option<String> {
        lock(&self.assist).inlet(n).map(str::to_owned)
    }

    /// What outlet `n` is for, in words; the status outlet says what it
    /// reports (None past the last outlet).
    pub fn outlet_assist(&self, n: usize) -> Option<String> {
        match n.cmp(&self.status()) {
            std::cmp::Ordering::Less => lock(&self.assist).outlet(n).map(str::to_owned),
            std::cmp::Ordering::Equal => Some(crate::python::assist::STATUS.to_owned()),
            std::cmp::Ordering::Greater => None,
        }
    }

    /// The object's inlets and data outlets (one each until a class says otherwise).
    pub fn shape(&self) -> Shape {
        self.shape.get().copied().unwrap_or(DEFAULT_SHAPE)
    }

    /// The object has been made with [`Core::shape`]'s ports: they stay
    /// (a class bound by a later reload must ask for the same).
    pub fn created(&self) {
        self.shape.get_or_init(|| DEFAULT_SHAPE);
    }

    /// The status outlet's index: after the data outlets.
    pub fn status(&self) -> usize {
        self.shape().outlets
    }

    /// Whether the class defines a method for the reserved word
    /// `RESERVED[word]` at the left inlet (it then gets that message).
    pub fn class_takes(&self, word: usize) -> bool {
        self.takes.load(Ordering::Acquire) & (1 << word) != 0
    }

    /// Whether this is a class-mode object with a live instance.
    pub fn instance_exists(&self) -> bool {
        self.has_instance.load(Ordering::Acquire)
    }

    /// The class-mode instance, if any.
    pub fn instance<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.instance.get(py)
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
    pub fn init(&self, py: Python<'_>, out: &Out) {
        if let Some(dir) = &self.patch_dir {
            check(py, out, self.status(), "adding the patch folder to sys.path", runtime::add_patch_dir(py, dir));
        }
        self.resolve_target(py, out);
    }

    /// Handles one message arriving at `inlet`: an own Python message
    /// (`pyrus eval ...`, `pyrus exec ...`, left inlet only: the form
    /// `Object` gives `eval ...` when the class does not take the word), a
    /// method of the class-mode instance, or a call of the target.
    pub fn handle(&self, py: Python<'_>, out: &Out, inlet: usize, message: &Message<'_>) {
        if let (0, Message::Anything(selector, args)) = (inlet, message) {
            if selector == OWN {
                if let Some((Atom::Symbol(word), rest)) = args.split_first() {
                    if PYTHON_MESSAGES.contains(&word.as_ref()) {
                        return self.python_message(py, out, word, rest);
                    }
                }
            }
        }
        match self.instance(py) {
            Some(instance) => self.dispatch(py, out, &instance, inlet, message),
            None => self.call_target(py, out, message),
        }
    }

    /// Class mode: `in_<inlet>_<selector>`, else `in_<inlet>_anything`.
    fn dispatch(&self, py: Python<'_>, out: &Out, instance: &Bound<'_, PyAny>, inlet: usize, message: &Message<'_>) {
        let selector = message.selector();
        let context = || format!("inlet {inlet}, {selector}");
        let result = (|| -> PyResult<Option<Bound<'_, PyAny>>> {
            let specific = format!("in_{inlet}_{selector}");
            if let Some(method) = optional_attr(instance, &specific)? {
                let args = match message {
                    // `foo 1 2` calls in_N_foo(1, 2): the selector is the method's name.
                    Message::Anything(_, atoms) => {
                        convert::message_args(py, &[], &Message::List(atoms.clone()), self.numbers)?
                    }
                    _ => convert::message_args(py, &[], message, self.numbers)?,
                };
                return method.call1(args).map(Some);
            }
            if let Some(method) = optional_attr(instance, &format!("in_{inlet}_anything"))? {
                let mut args = vec![pyo3::types::PyString::new(py, selector).into_any()];
                args.extend(message.args().iter().map(|a| convert::atom_to_py(py, a, self.numbers)));
                return method.call1(pyo3::types::PyTuple::new(py, args)?).map(Some);
            }
            Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "no method for '{selector}' at inlet {inlet}: define in_{inlet}_{selector} or in_{inlet}_anything"
            )))
        })();
        match result {
            Ok(Some(value)) => output(py, out, self.status(), self.numbers, context, &value),
            Ok(None) => {}
            Err(e) => report::report(py, out, self.status(), &context(), &e),
        }
    }

    fn call_target(&self, py: Python<'_>, out: &Out, message: &Message<'_>) {
        let Some(callable) = self.callable.get(py) else {
            let why = match &self.path {
                Some(p) => format!("'{p}' did not resolve to a callable (fix it, then send reload)"),
                None => "this object has no function: create it as [pyrus module.function], \
                         or use eval, exec, call"
                    .to_owned(),
            };
            out.error(&format!("pyrus: no function for '{}': {why}", message.selector()));
            report::status_error(out, self.status(), "TypeError", &why);
            return;
        };
        let result = match (message, self.leading.is_empty()) {
            // The hot path, a number in: no argument vector to build.
            (Message::Float(f), true) => call_one(&callable, convert::float_to_py(py, *f, self.numbers)),
            (Message::Int(i), true) => call_one(&callable, convert::int_to_py(py, *i)),
            _ => convert::message_args(py, &self.leading, message, self.numbers).and_then(|args| callable.call1(args)),
        };
        let context = || format!("calling {}", self.path.as_deref().unwrap_or("?"));
        match result {
            Ok(value) => output(py, out, self.status(), self.numbers, context, &value),
            Err(e) => report::report(py, out, self.status(), &context(), &e),
        }
    }

    fn python_message(&self, py: Python<'_>, out: &Out, selector: &str, args: &[Atom<'_>]) {
        let code = convert::code_text(args, self.numbers);
        let namespace = self.namespace(py);
        match selector {
            "eval" => {
                let result = cstring(&code).and_then(|c| py.eval(&c, Some(&namespace), None));
                if let Some(value) = check(py, out, self.status(), &format!("eval {code}"), result) {
                    output(py, out, self.status(), self.numbers, || format!("eval {code}"), &value);
                }
            }
            "exec" => {
                let result = cstring(&code).and_then(|c| py.run(&c, Some(&namespace), None));
                check(py, out, self.status(), &format!("exec {code}"), result);
            }
            "import" => {
                for name in args {
                    let result = self.import(py, &name.to_string());
                    check(py, out, self.status(), &format!("import {name}"), result);
                }
            }
            "load" => {
                let result = self.load(py, &code);
                check(py, out, self.status(), &format!("load {code}"), result);
            }
            "call" => {
                let context = format!("call {code}");
                let result = self.call(py, args);
                if let Some(value) = check(py, out, self.status(), &context, result) {
                    output(py, out, self.status(), self.numbers, || context.clone(), &value);
                }
            }
            "reload" => {
                let result = self.reload(py, out, args);
                check(py, out, self.status(), "reload", result);
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
        let source = decode_source(py, &path, &read_script(&path)?)?;
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
        let args = convert::message_args(py, &[], &Message::List(rest.into()), self.numbers)?;
        callable.call1(args)
    }

    /// `reload`: re-imports the target's module and rebinds every object that
    /// uses it; `reload MODULE...` does so for those modules. A module whose
    /// new code fails keeps its old code (see [`reload_module`]).
    fn reload(&self, py: Python<'_>, out: &Out, args: &[Atom<'_>]) -> PyResult<()> {
        // The clocks and receivers started before the reload end with it,
        // once the new code works; those the new code (module code, its
        // `on_reload`) starts stay.
        let mark = crate::clocks::mark();
        let names: Vec<String> = if args.is_empty() {
            let Some(path) = self.path.clone() else {
                return Err(PyTypeError::new_err("this object has no target to reload: use reload MODULE"));
            };
            match loaded_module_of(py, &path)? {
                Some(module) => vec![module.getattr("__name__")?.extract()?],
                // Never imported (it failed at creation): just try again.
                None => {
                    self.resolve_target(py, out);
                    crate::clocks::stop_owner(out, self.id, mark);
                    return Ok(());
                }
            }
        } else {
            args.iter().map(ToString::to_string).collect()
        };
        for name in names {
            reload_module(py, &name)?;
            rebind_users(py, &name, Some(self.id), out);
        }
        crate::clocks::stop_owner(out, self.id, mark);
        Ok(())
    }

    /// Another object reloaded the module the target lives in: resolve it
    /// again (see [`rebind_users`]).
    pub fn rebind(&self, py: Python<'_>, out: &Out) {
        let mark = crate::clocks::mark();
        self.resolve_target(py, out);
        // The old code's clocks and receivers end; those `on_reload` started stay.
        crate::clocks::stop_owner(out, self.id, mark);
    }

    /// Resolves the target path, keeping the previous target when it fails.
    fn resolve_target(&self, py: Python<'_>, out: &Out) {
        let Some(path) = self.path.clone() else { return };
        let context = format!("resolving {path}");
        let Some(value) = check(py, out, self.status(), &context, resolve(py, &path)) else { return };
        if let Ok(files) = script_files(py, &path, self.patch_dir.as_deref()) {
            *lock(&self.files) = files.clone();
            if self.watching.load(std::sync::atomic::Ordering::Acquire) {
                if let Err(e) = crate::live::watch::watch(out.ctx(), self.id, files) {
                    out.error(&format!("pyrus: watch: {e}"));
                }
            }
        }
        if let Some(class) = check(py, out, self.status(), &context, pyrus_class(py, &value)).flatten() {
            self.bind_class(py, out, &class);
        } else if value.is_callable() {
            *lock(&self.assist) = Assist::of_function(&path, &value);
            self.callable.set(py, value.unbind());
        } else if value.is_instance_of::<PyModule>() {
            *lock(&self.assist) = Assist::interpreter(Some(&path));
            let first = path.split('.').next().unwrap_or(&path);
            let bound = if first == path { Ok(value) } else { py.import(first).map(Bound::into_any) };
            if let Some(module) = check(py, out, self.status(), "binding the module", bound) {
                check(py, out, self.status(), "binding the module", self.namespace(py).set_item(first, module));
            }
        } else {
            let err = PyTypeError::new_err(format!(
                "'{path}' is a {} value, not a function or module",
                value.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ));
            report::report(py, out, self.status(), &context, &err);
        }
    }

    /// Class mode: makes the instance the first time; after a reload, gives
    /// the live instance the new class (its attributes, its state, stay) and
    /// calls its `on_reload`.
    fn bind_class(&self, py: Python<'_>, out: &Out, class: &Bound<'_, PyAny>) {
        let context = "binding the class";
        let Some(shape) = check(py, out, self.status(), context, class_shape(class)) else { return };
        let fixed = *self.shape.get_or_init(|| shape);
        *lock(&self.assist) = Assist::of_class(class, fixed.inlets, fixed.outlets);
        if class.hasattr(format!("in_0_{}", OWN)).unwrap_or(false) {
            let why = format!(
                "in_0_{own} is never called: '{own} ...' at the left inlet is the object's own prefix \
                 ({own} stop, {own} eval ...); give the method another name",
                own = OWN
            );
            out.error(&format!("pyrus: {why}"));
            report::status_error(out, self.status(), "NameError", &why);
        }
        if fixed != shape {
            let why = format!(
                "the class now asks for {} inlets and {} outlets, but this object was made with {} and {}: \
                 recreate the object to change them (it keeps working with the old ones)",
                shape.inlets, shape.outlets, fixed.inlets, fixed.outlets
            );
            out.error(&format!("pyrus: {why}"));
            report::status_error(out, self.status(), "RuntimeError", &why);
        }
        match self.instance(py) {
            Some(instance) => {
                if check(py, out, self.status(), context, instance.setattr("__class__", class)).is_some() {
                    self.takes.store(reserved_methods(class), Ordering::Release);
                    if let Some(Some(hook)) =
                        check(py, out, self.status(), "on_reload", optional_attr(&instance, "on_reload"))
                    {
                        check(py, out, self.status(), "on_reload", hook.call0());
                    }
                }
            }
            None => {
                let made = (|| -> PyResult<Bound<'_, PyAny>> {
                    // The owner is set before __init__ runs, so __init__ may already use self.out().
                    let instance = class.call_method1("__new__", (class,))?;
                    instance
                        .setattr("_pyrus_owner", Owner::new(out.ctx().clone(), self.id, fixed.outlets, self.numbers))?;
                    let args = convert::message_args(py, &self.leading, &Message::Bang, self.numbers)?;
                    instance.call_method1("__init__", args)?;
                    Ok(instance)
                })();
                if let Some(instance) = check(py, out, self.status(), "creating the instance", made) {
                    check(py, out, self.status(), context, self.namespace(py).set_item("self", &instance));
                    self.instance.set(py, instance.unbind());
                    self.has_instance.store(true, Ordering::Release);
                    self.takes.store(reserved_methods(class), Ordering::Release);
                }
            }
        }
    }

    /// Class mode: the instance's `on_close`, when the object is deleted.
    pub fn close(&self, py: Python<'_>, out: &Out) {
        if let Some(instance) = self.instance(py) {
            if let Some(Some(hook)) = check(py, out, self.status(), "on_close", optional_attr(&instance, "on_close")) {
                check(py, out, self.status(), "on_close", hook.call0());
            }
        }
    }
}

/// Re-imports a module. If the new code fails (a syntax error, an exception
/// while it runs), the module keeps its old contents, so running objects keep
/// the old code, and the error is returned.
pub(crate) fn reload_module(py: Python<'_>, name: &str) -> PyResult<()> {
    let module = py.import(name)?;
    // Python trusts a cached .pyc whose source has the same size and mtime
    // in whole seconds: an edit saved within the same second (2 -> 3) would
    // load the old code. Remove it so the source is compiled again.
    if let Ok(cached) = module.getattr("__cached__").and_then(|c| c.extract::<String>()) {
        let _ = std::fs::remove_file(cached);
    }
    let dict = module.dict();
    let before = dict.copy()?;
    if let Err(e) = py.import("importlib")?.call_method1("reload", (&module,)) {
        dict.clear();
        dict.update(before.as_mapping())?;
        return Err(e);
    }
    Ok(())
}

/// Resolves again the target of every object whose target lives in
/// `module`, in every context. The object that asked does it now, in the
/// call it is making (reporting through `out`); every other one as a call
/// of its own, in its own detach mode (see [`Context::rebind`]), so that its
/// `on_reload` can use `pyrus.post`, `pyrus.out` and `self.out` like any of
/// its calls: directly for the objects of the context whose host thread
/// this is, through their context's mailbox for the others.
pub(crate) fn rebind_users(py: Python<'_>, module: &str, asker: Option<ObjectId>, out: &Out) {
    let prefix = format!("{module}.");
    for ctx in context::live() {
        let here = out.host_thread().is_some_and(|h| h.same(&ctx));
        for core in cores(&ctx) {
            let Some(path) = core.path.clone() else { continue };
            if path != module && !path.starts_with(&prefix) {
                continue;
            }
            if Some(core.id) == asker {
                core.resolve_target(py, out);
            } else {
                ctx.rebind(core.id, here, |wait| py.detach(wait));
            }
        }
    }
}

/// The global reload: `module`, or every module an object's target lives
/// in (in any context), re-imported and rebound. Errors go to `out` (a
/// console: it has no status outlet).
pub(crate) fn reload_global(py: Python<'_>, out: &Out, module: Option<&str>) {
    let names = match module {
        Some(m) => vec![m.to_owned()],
        None => used_modules(py),
    };
    for name in names {
        match reload_module(py, &name) {
            Ok(()) => rebind_users(py, &name, None, out),
            Err(e) => {
                report::traceback(py, out, &format!("reload {name}"), &e);
            }
        }
    }
}

/// The module names that objects' targets live in, for a global reload.
fn used_modules(py: Python<'_>) -> Vec<String> {
    let mut names: Vec<String> = context::live()
        .iter()
        .flat_map(cores)
        .filter_map(|c| c.path.clone())
        .filter_map(|p| loaded_module_of(py, &p).ok().flatten())
        .filter_map(|m| m.getattr("__name__").ok()?.extract().ok())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The script files behind `path`: its own module's, then those of the
/// modules it uses, transitively (what its globals are, or come from:
/// `import helper`, `from helper import f`), that live in the patch's folder
/// or the scripts folder (the `pyrus` package aside). Each with its module
/// name.
fn script_files(py: Python<'_>, path: &str, patch_dir: Option<&Path>) -> PyResult<Vec<(PathBuf, String)>> {
    let file_of = |m: &Bound<'_, PyAny>| -> Option<(PathBuf, String)> {
        let file: String = m.getattr("__file__").ok()?.extract().ok()?;
        let name: String = m.getattr("__name__").ok()?.extract().ok()?;
        Some((PathBuf::from(file), name))
    };
    let folders: Vec<&Path> = patch_dir.into_iter().chain(runtime::scripts_dir()).collect();
    let local = |(file, name): &(PathBuf, String)| {
        folders.iter().any(|f| file.starts_with(f)) && name != "pyrus" && !name.starts_with("pyrus.")
    };
    let Some(own) = loaded_module_of(py, path)? else { return Ok(Vec::new()) };
    let modules = py.import("sys")?.getattr("modules")?;
    let mut files: Vec<(PathBuf, String)> = file_of(&own).into_iter().collect();
    let mut todo = vec![own];
    while let Some(module) = todo.pop() {
        let Ok(globals) = module.getattr("__dict__") else { continue };
        let Ok(globals) = globals.cast_into::<PyDict>() else { continue };
        for value in globals.values() {
            let used = if value.is_instance_of::<PyModule>() {
                value
            } else {
                let Ok(name) = value.getattr("__module__") else { continue };
                let Ok(used) = modules.get_item(name) else { continue };
                used
            };
            if let Some(file) = file_of(&used).filter(local) {
                if !files.iter().any(|(f, _)| *f == file.0) {
                    files.push(file);
                    todo.push(used);
                }
            }
        }
    }
    Ok(files)
}

/// `value` as a subclass of `pyrus.Object`, if it is one.
fn pyrus_class<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Ok(class) = value.cast::<PyType>() else { return Ok(None) };
    let Ok(pyrus) = py.import("pyrus") else { return Ok(None) };
    let base = pyrus.getattr("Object")?;
    Ok(class.is_subclass(&base)?.then(|| value.clone()))
}

/// Which reserved words the class has a left-inlet method for, as bits
/// over [`RESERVED`].
fn reserved_methods(class: &Bound<'_, PyAny>) -> u32 {
    const _: () = assert!(RESERVED.len() <= 32, "one bit per word");
    let words = RESERVED.iter().enumerate();
    words.filter(|(_, w)| class.hasattr(format!("in_0_{w}")).unwrap_or(false)).fold(0, |bits, (i, _)| bits | 1 << i)
}

/// The inlets and outlets a class declares (class attributes, default 1 each).
fn class_shape(class: &Bound<'_, PyAny>) -> PyResult<Shape> {
    let count = |name: &str, min: usize| -> PyResult<usize> {
        let n: usize = match optional_attr(class, name)? {
            Some(v) => v.extract()?,
            None => 1,
        };
        if !(min..=MAX_PORTS).contains(&n) {
            return Err(PyValueError::new_err(format!("{name} must be from {min} to {MAX_PORTS}, not {n}")));
        }
        Ok(n)
    };
    Ok(Shape { inlets: count("inlets", 1)?, outlets: count("outlets", 0)? })
}

/// Reports an error, if any, and turns the result into an option.
fn check<T>(py: Python<'_>, out: &Out, status: usize, context: &str, result: PyResult<T>) -> Option<T> {
    result.map_err(|e| report::report(py, out, status, context, &e)).ok()
}

/// Sends a result out of the result outlet; `context` is only formatted if
/// it fails. With no data outlets (`outlets = 0`: the status outlet is
/// outlet 0) a result that sends something is an error, never status.
pub(crate) fn output(
    py: Python<'_>,
    out: &Out,
    status: usize,
    numbers: Numbers,
    context: impl FnOnce() -> String,
    value: &Bound<'_, PyAny>,
) {
    let converted = match convert::exact_number(value, numbers) {
        // The hot path, a number out: no message moved and dropped (a number
        // owns nothing, and its drop would decode the variant).
        Some(Ok(number)) if status != RESULT => {
            return out.outlet(RESULT, &std::mem::ManuallyDrop::new(number));
        }
        Some(number) => number.map(Some),
        None => convert::py_to_message(value, numbers),
    };
    match converted {
        Ok(Some(_)) if status == RESULT => {
            let mut shown = value.repr().map(|r| r.to_string()).unwrap_or_else(|_| "?".into());
            if shown.chars().count() > 60 {
                shown = shown.chars().take(57).chain("...".chars()).collect();
            }
            let why = format!(
                "{}: the result {shown} has nowhere to go: this object has no data outlets \
                 (its class says outlets = 0); return None, or give the class outlets = 1 or more",
                context()
            );
            out.error(&format!("pyrus: {why}"));
            report::status_error(out, status, "ValueError", &why);
        }
        Ok(Some(message)) => out.outlet(RESULT, &message),
        Ok(None) => {}
        Err(e) => report::report(py, out, status, &context(), &e),
    }
}

/// `callable(arg)` through `PyObject_Vectorcall`, which libpython exports
/// from 3.11 (pyo3-ffi inlines its equivalent before): pyo3's `call1` of a
/// 1-tuple inlines `PyObject_CallOneArg`, two more calls into libpython (the
/// thread state, the vectorcall slot) on every synchronous call, for the
/// same semantics (CPython's own result check included). The abi3 build
/// finds it in the running Python (see `optional`), and on 3.10, which does
/// not export it, calls with a 1-tuple.
#[allow(unsafe_code)] // the call through libpython's exported vectorcall entry
fn call_one<'py>(callable: &Bound<'py, PyAny>, arg: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    #[cfg(not(feature = "abi3"))]
    let vectorcall = pyo3::ffi::PyObject_Vectorcall;
    #[cfg(feature = "abi3")]
    let Some(vectorcall) = crate::python::optional::vectorcall() else {
        return callable.call1((arg,));
    };
    // Lets the callee borrow the slot before the first argument (CPython's
    // PY_VECTORCALL_ARGUMENTS_OFFSET, the top bit of size_t).
    const ARGUMENTS_OFFSET: usize = 1 << (usize::BITS - 1);
    // A free slot before the argument, for ARGUMENTS_OFFSET (a bound method
    // puts `self` there).
    let mut args = [std::ptr::null_mut(), arg.as_ptr()];
    // SAFETY: attached (the tokens of `callable` and `arg`); `args` is one
    // writable slot then one live argument, borrowed by the call, which
    // returns a new reference or null with an exception set.
    unsafe {
        let result =
            vectorcall(callable.as_ptr(), args.as_mut_ptr().add(1), 1 | ARGUMENTS_OFFSET, std::ptr::null_mut());
        Bound::from_owned_ptr_or_err(callable.py(), result)
    }
}

/// `obj.name`, or None when it has no such attribute.
fn optional_attr<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    match obj.getattr(name) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyAttributeError>(obj.py()) => Ok(None),
        Err(e) => Err(e),
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

/// The largest file `load` reads: a script, not a data set.
pub const MAX_SCRIPT_BYTES: u64 = 4 << 20;

/// The bytes of a script for `load`: a regular file of at most
/// [`MAX_SCRIPT_BYTES`]. The type is checked before opening (opening a FIFO
/// for reading waits for a writer; opening a device may do something), and
/// again on the opened file, which is opened non-blocking (Unix) in case it was
/// swapped in between.
fn read_script(path: &Path) -> PyResult<Vec<u8>> {
    use std::io::Read;
    let os_error = |e: std::io::Error| {
        let text = format!("can't read {}: {e}", path.display());
        match e.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(text),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(text),
            _ => PyOSError::new_err(text),
        }
    };
    let too_large = |len: u64| {
        PyValueError::new_err(format!(
            "can't load {}: {len} bytes is more than load reads (at most {} MiB)",
            path.display(),
            MAX_SCRIPT_BYTES >> 20
        ))
    };
    let check = |meta: std::fs::Metadata| -> PyResult<u64> {
        let kind = meta.file_type();
        if kind.is_file() {
            return if meta.len() > MAX_SCRIPT_BYTES { Err(too_large(meta.len())) } else { Ok(meta.len()) };
        }
        let what = if kind.is_dir() { "a directory" } else { special_file(kind) };
        Err(PyValueError::new_err(format!(
            "can't load {}: it is {what}: load reads regular files only",
            path.display()
        )))
    };
    check(std::fs::metadata(path).map_err(os_error)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(os_error)?;
    let size = check(file.metadata().map_err(os_error)?)?;
    let mut bytes = Vec::with_capacity(size as usize);
    // The cap holds even for a file that grows while it is read.
    file.take(MAX_SCRIPT_BYTES + 1).read_to_end(&mut bytes).map_err(os_error)?;
    if bytes.len() as u64 > MAX_SCRIPT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// What a file that is neither regular nor a directory is, for `load`'s error.
#[cfg(unix)]
fn special_file(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// What a file that is neither regular nor a directory is, for `load`'s
/// error (Windows tells devices and pipes apart from files only by name).
#[cfg(not(unix))]
fn special_file(_kind: std::fs::FileType) -> &'static str {
    "not a regular file"
}

/// A script's bytes as text, decoded as Python decodes a source file: a
/// UTF-8 BOM or a coding cookie (`# -*- coding: latin-1 -*-`) says how,
/// UTF-8 otherwise. A NUL byte, bytes the encoding can't decode, or a
/// cookie naming no encoding, mean it is not a Python source file.
fn decode_source<'py>(py: Python<'py>, path: &Path, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let not_source =
        |why: String| PyValueError::new_err(format!("can't load {}: not a Python source file ({why})", path.display()));
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(not_source(format!("a NUL byte at offset {at}")));
    }
    let decoded = py.import("importlib.util")?.call_method1("decode_source", (PyBytes::new(py, bytes),));
    // A SyntaxError from the decoding: undecodable first lines, a cookie
    // naming no encoding.
    decoded.map_err(|e| {
        if e.is_instance_of::<pyo3::exceptions::PyUnicodeDecodeError>(py)
            || e.is_instance_of::<pyo3::exceptions::PySyntaxError>(py)
        {
            not_source(e.value(py).to_string())
        } else {
            e
        }
    })
}

fn cstring(code: &str) -> PyResult<std::ffi::CString> {
    std::ffi::CString::new(code).map_err(|_| PyValueError::new_err("code can't contain a NUL character"))
}

// Reloading is this module's act; it is a method of the context it serves
// (an inherent impl may live in any module of the crate), so that
// `context` stays below Python.
impl Context {
    /// `[; pyrus reload(` and `[; pyrus reload MODULE(`: re-imports `module`,
    /// or every module that an object's target lives in (objects of every
    /// context), and rebinds every object that uses them (class instances
    /// keep their state). A module whose new code fails keeps its old code;
    /// the error goes to this context's console.
    ///
    /// # Threading
    /// A host thread of this context, outside any call; attaches to Python
    /// to re-import (a synchronous act, whatever the objects' `detach`).
    /// Each object then rebinds as a call of its own, in its own mode: here
    /// in `detach 0` for this context's objects (through their mailboxes for
    /// other contexts'), as a job on its worker in `detach 1|2` (so
    /// `on_reload` can use `pyrus.*`).
    pub fn reload(&self, module: Option<&str>) {
        self.as_host_thread(|| {
            crate::python::gil::sync_call(self, None, |py| reload_global(py, &Out::Console(self.clone()), module));
        });
    }
}

/// A context's cores of `[pyrus]` objects (from before the object is made),
/// for reloads and for naming an object: a part of the context (see
/// [`Context::part`]).
#[derive(Default)]
struct Cores(Mutex<Vec<std::sync::Weak<Core>>>);

/// Makes `core` reachable by reloads; called once, when it is made.
pub(crate) fn register_core(ctx: &Context, core: &std::sync::Arc<Core>) {
    let cores = ctx.part::<Cores>();
    let mut cores = lock(&cores.0);
    cores.retain(|c| c.strong_count() > 0);
    cores.push(std::sync::Arc::downgrade(core));
}

/// The live cores of `ctx`.
fn cores(ctx: &Context) -> Vec<std::sync::Arc<Core>> {
    lock(&ctx.part::<Cores>().0).iter().filter_map(std::sync::Weak::upgrade).collect()
}
