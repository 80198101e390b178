//! The one embedded interpreter of the process.
//!
//! CPython is initialised once, on first use, and never finalised: C extensions
//! such as numpy cannot survive a second initialisation, and a patch closed and
//! opened again must keep working. Signal handlers are left to the host
//! (`install_signal_handlers = 0`), so Ctrl-C still reaches Pd.
//!
//! Its home is the installation of the libpython this process loaded: an
//! embedded CPython would otherwise take the first `python3` on `PATH` for its
//! executable and that one's standard library and packages (a pyenv Python,
//! say, in place of Debian's). A virtualenv the user chose (`PYRUS_VENV`, else
//! an activated `VIRTUAL_ENV`) adds its packages in front of the base's, if it
//! is one for this Python version; otherwise a warning says why it is not used.
//!
//! # Threading
//! [`start`]: any thread, once for real (see there).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The environment variable naming a virtualenv whose packages scripts may import.
pub const VENV_VAR: &str = "PYRUS_VENV";

/// The variable an activated virtualenv sets; [`VENV_VAR`] wins over it.
pub const ACTIVE_VENV_VAR: &str = "VIRTUAL_ENV";

/// Where the interpreter finds scripts, decided by the host at load time.
#[derive(Clone, Debug, Default)]
pub struct RuntimeConfig {
    /// The library's own `scripts/` folder (the script-side `pyrus` package).
    pub scripts_dir: Option<PathBuf>,
    /// A virtualenv to add before the system's site-packages; defaults to
    /// `$PYRUS_VENV`, else `$VIRTUAL_ENV`.
    pub venv: Option<PathBuf>,
}

impl RuntimeConfig {
    pub fn from_env(scripts_dir: Option<PathBuf>) -> Self {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        RuntimeConfig { scripts_dir, venv: var(VENV_VAR).or_else(|| var(ACTIVE_VENV_VAR)) }
    }
}

/// What [`start`] made of the interpreter.
#[derive(Debug)]
pub struct Started {
    /// One line: the Python version and its prefix.
    pub banner: String,
    /// Things the user should know that did not stop Python (a virtualenv
    /// that was not used, and why), one line each.
    pub warnings: Vec<String>,
}

static STARTED: OnceLock<Result<Started, String>> = OnceLock::new();
static SCRIPTS_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// The library's `scripts/` folder, as the first [`start`] was told.
pub fn scripts_dir() -> Option<&'static Path> {
    SCRIPTS_DIR.get().and_then(|d| d.as_deref())
}

/// Starts the interpreter if it is not running yet and prepares `sys.path`.
/// Returns the banner and warnings, or why the interpreter could not be made
/// usable. Later calls return the first result; their config is ignored.
///
/// # Threading
/// Any thread, any number at once (the first call does the work, the others
/// wait for it). Attaches to Python.
pub fn start(config: &RuntimeConfig) -> Result<&'static Started, &'static str> {
    STARTED
        .get_or_init(|| {
            let _ = SCRIPTS_DIR.set(config.scripts_dir.clone());
            initialize()?;
            Python::attach(|py| bootstrap(py, config)).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| e.as_str())
}

/// Initialises CPython (unless something else in the process did) with its
/// executable, and so its prefix and standard library, in the installation
/// the loaded libpython belongs to; then releases the GIL, as
/// `Python::initialize` would.
fn initialize() -> Result<(), String> {
    use pyo3::ffi;
    // SAFETY: Py_IsInitialized may be called at any time.
    if unsafe { ffi::Py_IsInitialized() } != 0 {
        return Ok(());
    }
    let Some(executable) = installation_executable() else {
        // A Python linked into the host itself: its own defaults are right.
        Python::initialize();
        return Ok(());
    };
    let executable = std::ffi::CString::new(executable.as_os_str().as_encoded_bytes())
        .map_err(|_| "the Python executable's path has a NUL in it".to_owned())?;
    initialize_with_program(&executable)?;
    // SAFETY: initialised just now by this thread, which holds the GIL.
    unsafe { ffi::PyEval_SaveThread() };
    Ok(())
}

/// Initialises CPython with `program` for its executable (PEP 587's
/// configuration, whose layout is the build's Python version's), as
/// `Py_InitializeEx(0)` would otherwise (its "compat" configuration): the
/// host's locale, C stdio, argv and signal handlers are left alone.
#[cfg(not(feature = "abi3"))]
fn initialize_with_program(program: &std::ffi::CStr) -> Result<(), String> {
    use pyo3::ffi;
    let failed = |status: ffi::PyStatus| -> Option<String> {
        // SAFETY: a status the C API just returned; err_msg is null or a
        // static C string.
        unsafe {
            if ffi::PyStatus_Exception(status) == 0 {
                None
            } else if status.err_msg.is_null() {
                Some("Python could not be initialised".to_owned())
            } else {
                Some(std::ffi::CStr::from_ptr(status.err_msg).to_string_lossy().into_owned())
            }
        }
    };
    // SAFETY: the documented sequence (PEP 587): a pre-config and a config
    // initialised by their Init functions, the pre-config used once by
    // Py_PreInitialize, the config's string set through the API, the config
    // used once by Py_InitializeFromConfig and cleared; both outlive their
    // use. Only this thread initialises (STARTED's get_or_init).
    unsafe {
        // As Py_InitializeEx would have it (its "compat" configuration): the
        // host's locale, C stdio and argv are left alone.
        let mut pre = std::mem::MaybeUninit::<ffi::PyPreConfig>::uninit();
        ffi::PyPreConfig_InitPythonConfig(pre.as_mut_ptr());
        let mut pre = pre.assume_init();
        (pre.utf8_mode, pre.coerce_c_locale, pre.coerce_c_locale_warn, pre.parse_argv) = (0, 0, 0, 0);
        if let Some(why) = failed(ffi::Py_PreInitialize(&pre)) {
            return Err(why);
        }
        let mut config = std::mem::MaybeUninit::<ffi::PyConfig>::uninit();
        ffi::PyConfig_InitPythonConfig(config.as_mut_ptr());
        let mut config = config.assume_init();
        (config.install_signal_handlers, config.configure_c_stdio, config.parse_argv) = (0, 0, 0);
        let name = &raw mut config.program_name;
        let why = failed(ffi::PyConfig_SetBytesString(&mut config, name, program.as_ptr()))
            .or_else(|| failed(ffi::Py_InitializeFromConfig(&config)));
        ffi::PyConfig_Clear(&mut config);
        why.map_or(Ok(()), Err)
    }
}

/// The same through the limited API, for the abi3 build (PyConfig's layout
/// differs between versions): `Py_SetProgramName` (in the stable ABI of
/// every version; deprecated from 3.11 for PyConfig) and `Py_InitializeEx(0)`,
/// whose "compat" configuration is what the PEP 587 one above sets up
/// (`PyConfig_InitPythonConfig` is the compat configuration plus the parsing
/// of argv and the C stdio set-up that it turns off again). It cannot
/// return an error: a Python whose standard library is missing ends the
/// process, which is why the loader takes only a libpython with its
/// standard library beside it (`pyrus_loader::discover`).
#[cfg(feature = "abi3")]
fn initialize_with_program(program: &std::ffi::CStr) -> Result<(), String> {
    use pyo3::ffi;
    // SAFETY: Py_DecodeLocale and Py_SetProgramName may be called before
    // initialisation; the program name must stay valid for the life of the
    // process, so the decoded string is never freed. Only this thread
    // initialises (STARTED's get_or_init).
    unsafe {
        let name = ffi::Py_DecodeLocale(program.as_ptr(), std::ptr::null_mut());
        if name.is_null() {
            return Err("the Python executable's path can't be decoded".to_owned());
        }
        ffi::Py_SetProgramName(name);
        ffi::Py_InitializeEx(0);
    }
    Ok(())
}

/// The executable of the installation the loaded libpython belongs to, by
/// its standard library (the loader's rule, which took the library for
/// it: `pyrus_loader::discover::prefix`): `/usr/bin/python3.11` for
/// `/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0` (the real path: `/lib`
/// on a merged-/usr system is `/usr/lib`), `python.exe` beside a Windows
/// `python3X.dll`. The executable need not exist: CPython finds the prefix
/// from its folder. None when Python is not a shared library or its files
/// are not found.
fn installation_executable() -> Option<PathBuf> {
    // SAFETY: Py_GetVersion returns a static string and may be called before
    // initialisation.
    let version = unsafe { std::ffi::CStr::from_ptr(pyo3::ffi::Py_GetVersion()) }.to_string_lossy().into_owned();
    let version = pyrus_loader::discover::Version::parse(&version)?;
    let library = pyrus_loader::dynlib::file_of(pyo3::ffi::Py_GetVersion as *const std::ffi::c_void)?;
    pyrus_loader::installation_executable(&library, version)
}

/// What this build is for, asked by the loader before it runs anything of
/// the core (`pyrus_loader::load_core`): `abi3` (the stable ABI: every
/// Python from 3.10 on) or the one minor version it was built for (`3.11`).
/// Exported by the cores (a `#[no_mangle]` item of a dependency is).
///
/// # Threading
/// Any thread; touches nothing.
#[no_mangle]
pub extern "C" fn pyrus_core_python() -> *const std::ffi::c_char {
    if cfg!(feature = "abi3") {
        c"abi3".as_ptr()
    } else {
        pyrus_loader::PYTHON_VERSION_C.as_ptr()
    }
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
warnings = []
want = "%d.%d" % sys.version_info[:2]
def venv_problem(venv, lib):
    """Why the virtualenv can't be used, or None."""
    config = os.path.join(venv, "pyvenv.cfg")
    # A regular file only: opening a FIFO would block the host.
    if not os.path.isfile(config):
        return "it is not a virtualenv (no %s)" % config
    try:
        with open(config, encoding="utf-8") as f:
            lines = f.read(1 << 16).splitlines()
    except (OSError, ValueError) as e:
        return "its %s can't be read (%s)" % (config, e)
    keys = {k.strip(): v.strip() for k, _, v in (l.partition("=") for l in lines)}
    version = keys.get("version") or keys.get("version_info") or ""
    if version and version.split(".")[:2] != want.split("."):
        return "it is a virtualenv for Python %s, and pyrus runs Python %s" % (version, sys.version.split()[0])
    if not os.path.isdir(lib):
        return "it has no %s" % lib
    return None
def venv_packages(venv):
    """The virtualenv's site-packages, or None after a warning saying why not."""
    # Where a venv keeps its packages: Lib/site-packages on Windows.
    if os.name == "nt":
        lib = os.path.join(venv, "Lib", "site-packages")
    else:
        lib = os.path.join(venv, "lib", "python" + want, "site-packages")
    why = venv_problem(venv, lib)
    if why is None:
        return lib
    source = venv_var if os.environ.get(venv_var) else "VIRTUAL_ENV"
    warnings.append("pyrus: %s=%s is not used: %s; scripts get the packages of Python %s (%s) only"
                    % (source, venv, why, sys.version.split()[0], sys.base_prefix))
    return None
lib = venv_packages(venv) if venv else None
if lib:
    before = list(sys.path)
    site.addsitedir(lib)
    added = [p for p in sys.path if p not in before]
    rest = [p for p in before if p not in added]
    # The venv's packages win over the system's, the scripts folder over both.
    at = rest.index(scripts_dir) + 1 if scripts_dir in rest else 0
    sys.path[:] = rest[:at] + added + rest[at:]
    python = os.path.join(venv, "Scripts", "python.exe") if os.name == "nt" else os.path.join(venv, "bin", "python")
    if os.path.exists(python):
        sys.executable = python
banner = "Python %s (%s)" % (sys.version.split()[0], sys.prefix)
if lib:
    banner += ", packages from %s" % venv

# sys.stdout and sys.stderr write to the host's console (see console.rs):
# print(), warnings, tracebacks from __del__ (sys.unraisablehook) and from
# threads (threading.excepthook) all use them. Reading stdin would block the
# host: it is empty.
import io
class Console(io.TextIOBase):
    """A pyrus console stream: lines go to the host's console, stderr's as errors."""
    __module__ = "pyrus"
    encoding = "utf-8"
    errors = "strict"
    def __init__(self, name, error):
        self.name, self._error = name, error
    def writable(self):
        return True
    def isatty(self):
        return False
    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        _console(self._error, text)
        return len(text)
import _pyrus
_console = _pyrus._console
sys.stdout, sys.stderr = Console("<stdout>", False), Console("<stderr>", True)
sys.stdin = open(os.devnull)
del Console

# A thread that a script starts inside a call from an object belongs to that
# object: its pyrus.out() and friends reach the object, marshalled to the
# host thread of its context, for as long as it runs.
import threading, _pyrus
# Script threads get the stack the engine's own threads have (sync::STACK),
# whatever the process's stack limit makes the default: a recursion limit
# that works in a call works in a thread the call starts.
threading.stack_size(thread_stack)
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
        except BaseException as e:
            # Reported while the thread still counts for its owner, so the
            # traceback reaches the owner's console for sure; without this frame.
            e = e.with_traceback(e.__traceback__.tb_next)
            threading.excepthook(threading.ExceptHookArgs((type(e), e, e.__traceback__, self)))
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

fn bootstrap(py: Python<'_>, config: &RuntimeConfig) -> PyResult<Started> {
    crate::python::native::install(py)?;
    let env = PyDict::new(py);
    let as_str = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
    env.set_item("scripts_dir", as_str(&config.scripts_dir))?;
    env.set_item("venv", as_str(&config.venv))?;
    env.set_item("venv_var", VENV_VAR)?;
    env.set_item("thread_stack", crate::sync::STACK)?;
    py.run(&std::ffi::CString::new(BOOTSTRAP).expect("no NUL in bootstrap"), Some(&env), None)?;
    let get = |name: &str| env.get_item(name).ok().flatten();
    Ok(Started {
        banner: get("banner").and_then(|b| b.extract().ok()).unwrap_or_default(),
        warnings: get("warnings").and_then(|w| w.extract().ok()).unwrap_or_default(),
    })
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
