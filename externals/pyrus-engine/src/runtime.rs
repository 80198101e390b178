//! The one embedded interpreter of the process.
//!
//! CPython is initialised once, on first use, and never finalised: C extensions
//! such as numpy cannot survive a second initialisation, and a patch closed and
//! opened again must keep working. Signal handlers are left to the host
//! (`Py_InitializeEx(0)`), so Ctrl-C still reaches Pd.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The environment variable naming a virtualenv whose packages scripts may import.
pub const VENV_VAR: &str = "PYRUS_VENV";

/// Where the interpreter finds scripts, decided by the host at load time.
#[derive(Clone, Debug, Default)]
pub struct RuntimeConfig {
    /// The library's own `scripts/` folder (the script-side `pyrus` package).
    pub scripts_dir: Option<PathBuf>,
    /// A virtualenv to add before the system's site-packages; defaults to `$PYRUS_VENV`.
    pub venv: Option<PathBuf>,
}

impl RuntimeConfig {
    pub fn from_env(scripts_dir: Option<PathBuf>) -> Self {
        RuntimeConfig { scripts_dir, venv: std::env::var_os(VENV_VAR).filter(|v| !v.is_empty()).map(PathBuf::from) }
    }
}

static STARTED: OnceLock<Result<String, String>> = OnceLock::new();
static SCRIPTS_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// The library's `scripts/` folder, as the first [`start`] was told.
pub fn scripts_dir() -> Option<&'static Path> {
    SCRIPTS_DIR.get().and_then(|d| d.as_deref())
}

/// Starts the interpreter if it is not running yet and prepares `sys.path`.
/// Returns a one-line banner (Python version, executable prefix) or why the
/// interpreter could not be made usable. Later calls return the first result;
/// their config is ignored.
///
/// # Threading
/// Any thread, any number at once (the first call does the work, the others
/// wait for it). Attaches to Python.
pub fn start(config: &RuntimeConfig) -> Result<&'static str, &'static str> {
    STARTED
        .get_or_init(|| {
            let _ = SCRIPTS_DIR.set(config.scripts_dir.clone());
            Python::initialize();
            Python::attach(|py| bootstrap(py, config)).map_err(|e| e.to_string())
        })
        .as_deref()
        .map_err(|e| e.as_str())
}

/// Whether [`start`] has succeeded.
pub fn is_started() -> bool {
    matches!(STARTED.get(), Some(Ok(_)))
}

const BOOTSTRAP: &str = r#"
import sys, os, site
# The engine relies on the GIL to order its threads (see gil::GilCell).
if not getattr(sys, "_is_gil_enabled", lambda: True)():
    raise RuntimeError("pyrus needs a Python with the GIL, and %s is free-threaded" % sys.version.split()[0])
if not getattr(sys, "argv", None):
    sys.argv = ["pyrus"]
if scripts_dir and scripts_dir not in sys.path:
    sys.path.insert(0, scripts_dir)
if venv:
    lib = os.path.join(venv, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
    if not os.path.isdir(lib):
        raise RuntimeError("%s=%s has no %s: is it a virtualenv for Python %d.%d?"
                           % (venv_var, venv, lib, *sys.version_info[:2]))
    before = list(sys.path)
    site.addsitedir(lib)
    added = [p for p in sys.path if p not in before]
    rest = [p for p in before if p not in added]
    # The venv's packages win over the system's, the scripts folder over both.
    at = rest.index(scripts_dir) + 1 if scripts_dir in rest else 0
    sys.path[:] = rest[:at] + added + rest[at:]
banner = "Python %s (%s)" % (sys.version.split()[0], sys.prefix)

# A thread that a script starts inside a call from an object belongs to that
# object: its pyrus.out() and friends reach the object, marshalled to the
# scheduler thread, for as long as it runs.
import threading, _pyrus
_thread_start = threading.Thread.start
def _pyrus_thread_start(self):
    owner = _pyrus._owner()
    if owner is None:
        return _thread_start(self)
    run = self.run
    def run_for_owner():
        owner.adopt()
        try:
            run()
        finally:
            owner.end()
    self.run = run_for_owner
    _pyrus._thread_begin()
    try:
        return _thread_start(self)
    except BaseException:
        owner.end()
        raise
threading.Thread.start = _pyrus_thread_start
"#;

fn bootstrap(py: Python<'_>, config: &RuntimeConfig) -> PyResult<String> {
    crate::native::install(py)?;
    let env = PyDict::new(py);
    let as_str = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
    env.set_item("scripts_dir", as_str(&config.scripts_dir))?;
    env.set_item("venv", as_str(&config.venv))?;
    env.set_item("venv_var", VENV_VAR)?;
    py.run(&std::ffi::CString::new(BOOTSTRAP).expect("no NUL in bootstrap"), Some(&env), None)?;
    env.get_item("banner")?.map_or(Ok(String::new()), |b| b.extract())
}

/// Puts a patch's folder at the front of `sys.path` if it is not there yet, so
/// that the patch's own scripts win over everything else.
///
/// # Threading
/// Any thread, attached to Python.
pub fn add_patch_dir(py: Python<'_>, dir: &Path) -> PyResult<()> {
    let path = py.import("sys")?.getattr("path")?;
    let dir = dir.to_string_lossy();
    if !path.contains(&*dir)? {
        path.call_method1("insert", (0, &*dir))?;
    }
    Ok(())
}
