//! What the small loaders that Pd and Max load share (`pyrus.pd_linux`,
//! `pyrus.dll`, `pyrus.pd_darwin`, `pyrus.so`...): they have no Python in
//! them, so that a machine without a fitting Python gets a clear message
//! instead of "cannot open shared object".
//!
//! The real external, the core (`libpyrus_pd.so`, `pyrus_pd.dll`,
//! `libpyrus_pd.dylib`, and `pyrus_max`'s, beside the loader), is built for
//! Python's stable ABI: one core for every Python from 3.10 on, which links
//! no libpython. [`load_python`] finds a Python ([`discover`]: the order of
//! issue 14, from `PYRUS_LIBPYTHON` to the system's newest), loads its
//! libpython with `RTLD_GLOBAL` (so that the core and C extensions such as
//! numpy take Python's symbols from it) and says which one and why, in one
//! console line; or why none fits. Then [`load_core`] opens the core from
//! the loader's own folder, checks that it fits that Python (a core built
//! for one minor version only, `--no-default-features`, fits that one only)
//! and finds its entry point. The platform's dynamic loading is [`dynlib`]'s.
//!
//! Where Python is found is decided here only; which virtualenv's packages
//! scripts get is the engine's (`runtime`), from the same variables.
//!
//! # Threading
//! Called by a loader's entry point, once, on the host thread that loads it
//! (Pd's scheduler thread, Max's main thread). The platform's loading
//! functions are thread-safe; nothing here keeps state.

pub mod discover;
pub mod dynlib;
mod system;

use discover::{Os, Version};
use std::ffi::{c_char, c_void, CStr};
use std::path::{Path, PathBuf};

/// The minor version of `PYO3_PYTHON`, `3.11` (see `build.rs`): what a
/// core built without the stable ABI is for.
pub const PYTHON_VERSION: &str = env!("PYRUS_PYTHON_VERSION");
/// The same, NUL-terminated, for the core's `pyrus_core_python`.
pub const PYTHON_VERSION_C: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("PYRUS_PYTHON_VERSION"), "\0").as_bytes()) {
        Ok(text) => text,
        Err(_) => panic!("a NUL in PYRUS_PYTHON_VERSION"),
    };

/// What a core says it is built for (its `pyrus_core_python`): this, for
/// every Python from 3.10 on, or one minor version (`3.11`).
pub const ABI3: &str = "abi3";

/// The Python [`load_python`] loaded.
#[derive(Debug)]
pub struct Python {
    /// `3.11.2`, the first word of `Py_GetVersion`.
    pub release: String,
    pub version: Version,
    /// The file loaded, or the name given to the platform to search.
    pub library: PathBuf,
    /// Why this one: `newest on the system`.
    pub why: String,
    /// What was passed over on the way, clauses for the console.
    pub passed_over: Vec<String>,
}

impl Python {
    /// The console line that says which Python was chosen and why:
    /// `pyrus: Python 3.11.2 from /usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0 (newest on the system)`.
    pub fn line(&self) -> String {
        let mut why = self.why.clone();
        for passed in &self.passed_over {
            why.push_str("; passed over: ");
            why.push_str(passed);
        }
        format!("pyrus: Python {} from {} ({why})", self.release, self.library.display())
    }
}

/// Finds a Python 3.10 or newer and loads its libpython, `RTLD_GLOBAL`; the
/// error says what was found, why it does not fit and what to do.
pub fn load_python() -> Result<Python, String> {
    let search = discover::search(&system::Real, Os::HOST);
    let mut passed_over = search.passed_over;
    for candidate in search.candidates {
        let named = search.named;
        let shown = candidate.library.display().to_string();
        let library = match dynlib::open(&candidate.library) {
            Ok(library) => library,
            Err(e) if named => {
                return Err(format!(
                    "pyrus: PYRUS_LIBPYTHON={shown} can't be loaded ({e}): name a libpython of Python {} or newer, \
                     or unset PYRUS_LIBPYTHON to let pyrus find one",
                    Version::OLDEST
                ))
            }
            Err(e) => {
                passed_over.push(format!("{shown} can't be loaded ({e})"));
                continue;
            }
        };
        let (version, release) = match fits(python_version(&library).as_deref(), candidate.version) {
            Ok(fits) => fits,
            Err(problem) => {
                library.close();
                if named {
                    return Err(format!(
                        "pyrus: PYRUS_LIBPYTHON={shown} is {problem}, and pyrus needs Python {} or newer: \
                         name a libpython of Python {} or newer, or unset PYRUS_LIBPYTHON to let pyrus find one",
                        Version::OLDEST,
                        Version::OLDEST
                    ));
                }
                passed_over.push(format!("{shown} is {problem}"));
                continue;
            }
        };
        // A name the platform searched: where it found it, for its
        // standard library's check and for the console.
        let file = library.symbol(c"Py_GetVersion").and_then(|f| dynlib::file_of(f)).unwrap_or(candidate.library);
        if named && !discover::has_standard_library(&system::Real, Os::HOST, &file, version) {
            library.close();
            let found = if file == Path::new(&shown) { String::new() } else { format!(" ({})", file.display()) };
            let landmark = match Os::HOST {
                Os::Windows => format!("Lib\\os.py or python{}{}.zip beside it", version.major, version.minor),
                Os::Linux | Os::MacOs => format!("lib/python{version}/os.py in a folder above it"),
            };
            return Err(format!(
                "pyrus: PYRUS_LIBPYTHON={shown}{found} is Python {release}, whose standard library is missing \
                 ({landmark}): name the libpython of a whole installation"
            ));
        }
        windows_stable_abi(&file);
        return Ok(Python { release, version, library: file, why: candidate.why, passed_over });
    }
    Err(none_found(Os::HOST, &passed_over))
}

/// The error when no Python fits: what was looked at, what was found and
/// passed over, and what to install on `os`.
fn none_found(os: Os, passed_over: &[String]) -> String {
    let looked = match os {
        Os::Linux => "the linker's cache and /usr/local/lib, /usr/lib",
        Os::MacOs => "python.org's and Homebrew's frameworks",
        Os::Windows => "the package's support folder and the registered installations",
    };
    let mut why = format!(
        "pyrus: no Python {} or newer was found (PYRUS_LIBPYTHON, a venv's base Python, {looked})",
        Version::OLDEST
    );
    for passed in passed_over {
        why.push_str("; ");
        why.push_str(passed);
    }
    why.push_str(match os {
        Os::Linux => {
            ". Install Python 3.10 or newer (Debian: apt install libpython3.11), or name its libpython with \
                      PYRUS_LIBPYTHON=/path/to/libpython3.X.so"
        }
        Os::MacOs => {
            ". Install Python 3.10 or newer from python.org or Homebrew, or name its library with \
                      PYRUS_LIBPYTHON=/path/to/Python.framework/Versions/3.X/Python"
        }
        Os::Windows => {
            ". Install Python 3.10 or newer from python.org, or put its python3X.dll and python3.dll (the \
                        embeddable package) in the package's support folder"
        }
    });
    why
}

/// Whether a libpython whose `Py_GetVersion` says `text` fits (its version
/// and release, `3.11.2`), or what it is instead: no libpython, a Python
/// older than 3.10, a free-threaded one (the core is built for the GIL's
/// object layout, and the engine needs the GIL), or not the version its
/// name or venv said (`expected`).
fn fits(text: Option<&str>, expected: Option<Version>) -> Result<(Version, String), String> {
    let Some((text, version)) = text.and_then(|t| Some((t, Version::parse(t)?))) else {
        return Err("no libpython (it has no Py_GetVersion)".to_owned());
    };
    let release = text.split_whitespace().next().unwrap_or_default().to_owned();
    if version < Version::OLDEST {
        Err(format!("Python {release}"))
    } else if text.contains("free-threading") {
        Err(format!("Python {release} built free-threaded (without the GIL, which pyrus needs)"))
    } else if expected.is_some_and(|e| e != version) {
        Err(format!("Python {release}, not {}", expected.expect("checked")))
    } else {
        Ok((version, release))
    }
}

/// Windows: a core built for the stable ABI imports `python3.dll`, which
/// forwards to `python3X.dll`; the one beside the chosen DLL is loaded first,
/// so that the core's import finds it (an already loaded DLL of that name is
/// the one used), not another Python's.
fn windows_stable_abi(dll: &Path) {
    if cfg!(windows) {
        if let Some(python3) = dll.parent().map(|d| d.join("python3.dll")).filter(|p| p.is_file()) {
            // Kept loaded for the life of the process, as libpython; if it
            // fails, loading the core says what is missing.
            let _ = dynlib::open(&python3);
        }
    }
}

/// The file name cargo gives the cdylib `stem` on this platform:
/// `libpyrus_pd.so` (Linux), `libpyrus_pd.dylib` (macOS), `pyrus_pd.dll`
/// (Windows).
pub fn core_file(stem: &str) -> String {
    format!("{}{stem}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// Opens the core `stem` (its file named by [`core_file`]) from the folder
/// of the file this code was loaded from, checks that it is built for
/// `python` and returns its function `entry`.
pub fn load_core(stem: &str, entry: &CStr, python: &Python) -> Result<*mut c_void, String> {
    let own = dynlib::own_file().ok_or("pyrus: can't find the file the pyrus loader was loaded from")?;
    let folder = own.parent().ok_or_else(|| format!("pyrus: {} has no folder", own.display()))?;
    let core = folder.join(core_file(stem));
    let library = dynlib::open(&core).map_err(|e| format!("pyrus: can't load {}: {e}", core.display()))?;
    if let Some(built) = core_python(&library) {
        if built != ABI3 && built != python.version.to_string() {
            library.close();
            return Err(format!(
                "pyrus: {} is built for Python {built} only, and the Python found is {} ({}): use a build \
                 for every Python 3.10 or newer (build/package), or name a libpython{built} with PYRUS_LIBPYTHON",
                core.display(),
                python.release,
                python.library.display()
            ));
        }
    }
    library
        .symbol(entry)
        .ok_or_else(|| format!("pyrus: {} has no {}: a mismatched build?", core.display(), entry.to_string_lossy()))
}

/// What the core says it is built for (`pyrus_core_python`): [`ABI3`] or a
/// minor version; None for a core that does not say.
fn core_python(core: &dynlib::Library) -> Option<String> {
    // SAFETY: the engine's `extern "C" fn pyrus_core_python() -> *const
    // c_char`, which returns a static string and touches nothing else (no
    // Python).
    unsafe { static_text(core, c"pyrus_core_python") }
}

/// What `Py_GetVersion` of the loaded libpython says (`3.11.2 (main, ...)`),
/// which may be called before Python is initialised.
fn python_version(python: &dynlib::Library) -> Option<String> {
    // SAFETY: CPython's `const char *Py_GetVersion(void)`, which returns a
    // static string.
    unsafe { static_text(python, c"Py_GetVersion") }
}

/// The text that the function `name` of `library` returns; None where the
/// library has no such function or it returns null.
///
/// # Safety
/// `name`, where the library has it, is a `const char *f(void)` that returns
/// null or a NUL-terminated string that outlives the call, and may be
/// called on this thread now.
unsafe fn static_text(library: &dynlib::Library, name: &CStr) -> Option<String> {
    let symbol = library.symbol(name)?;
    // SAFETY: the caller's contract: the symbol is such a function, and the
    // string it returns outlives this read.
    unsafe {
        let get = std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> *const c_char>(symbol);
        let text = get();
        (!text.is_null()).then(|| CStr::from_ptr(text).to_string_lossy().into_owned())
    }
}

/// The executable of the installation of the loaded libpython `library`
/// of `version` (see [`discover::prefix`]), on this system: what the
/// engine gives CPython, so that its home is that installation, whatever
/// `python3` comes first on `PATH`.
pub fn installation_executable(library: &Path, version: Version) -> Option<PathBuf> {
    let prefix = discover::prefix(&system::Real, Os::HOST, library, version)?;
    Some(discover::executable(Os::HOST, &prefix, version))
}

/// The folder of the shared object this function is linked into: the
/// loader's, or the real external's when it uses this crate too.
pub fn own_folder() -> Option<PathBuf> {
    dynlib::own_file()?.parent().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::Python;
    use crate::discover::Version;

    #[test]
    fn the_console_line_says_which_python_and_why() {
        let mut python = Python {
            release: "3.11.2".into(),
            version: Version { major: 3, minor: 11 },
            library: "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0".into(),
            why: "newest on the system".into(),
            passed_over: vec![],
        };
        assert_eq!(
            python.line(),
            "pyrus: Python 3.11.2 from /usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0 (newest on the system)"
        );
        python.passed_over.push("Python 3.9 (/usr/lib/libpython3.9.so) is older than 3.10".into());
        assert!(python.line().ends_with(
            "(newest on the system; passed over: Python 3.9 (/usr/lib/libpython3.9.so) is older than 3.10)"
        ));
    }

    #[test]
    fn a_libpython_fits_by_what_py_get_version_says() {
        let v = |minor| Version { major: 3, minor };
        assert_eq!(super::fits(Some("3.11.2 (main, Mar 13 2023) [GCC 12.2.0]"), None), Ok((v(11), "3.11.2".into())));
        assert_eq!(super::fits(Some("3.12.1 (main)"), Some(v(12))), Ok((v(12), "3.12.1".into())));
        assert_eq!(super::fits(Some("3.9.18 (test double)"), None), Err("Python 3.9.18".into()));
        assert_eq!(
            super::fits(Some("3.13.0 experimental free-threading build (main, Oct 7 2024)"), None),
            Err("Python 3.13.0 built free-threaded (without the GIL, which pyrus needs)".into())
        );
        assert_eq!(super::fits(Some("3.12.1 (main)"), Some(v(13))), Err("Python 3.12.1, not 3.13".into()));
        assert_eq!(super::fits(None, None), Err("no libpython (it has no Py_GetVersion)".into()));
    }

    #[test]
    fn no_python_found_says_what_was_looked_at_found_and_what_to_install() {
        let passed = ["Python 3.9 (/usr/lib/libpython3.9.so.1.0) is older than 3.10".to_owned()];
        assert_eq!(
            super::none_found(crate::discover::Os::Linux, &passed),
            "pyrus: no Python 3.10 or newer was found (PYRUS_LIBPYTHON, a venv's base Python, the linker's cache \
             and /usr/local/lib, /usr/lib); Python 3.9 (/usr/lib/libpython3.9.so.1.0) is older than 3.10. Install \
             Python 3.10 or newer (Debian: apt install libpython3.11), or name its libpython with \
             PYRUS_LIBPYTHON=/path/to/libpython3.X.so"
        );
        let windows = super::none_found(crate::discover::Os::Windows, &[]);
        assert!(windows.ends_with(
            "or put its python3X.dll and python3.dll (the embeddable package) in the package's support folder"
        ));
    }

    #[test]
    fn ldconfig_listing_of_this_architecture() {
        let listing = "1234 libs found in cache `/etc/ld.so.cache'\n\
            \tlibpython3.11.so.1.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpython3.11.so.1.0\n\
            \tlibpython3.11.so.1.0 (libc6) => /lib/i386-linux-gnu/libpython3.11.so.1.0\n\
            \tlibpthread.so.0 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libpthread.so.0\n";
        assert_eq!(
            crate::system::linker_cache_libraries(listing, Some("x86-64")),
            [std::path::PathBuf::from("/lib/x86_64-linux-gnu/libpython3.11.so.1.0")]
        );
        assert_eq!(crate::system::linker_cache_libraries(listing, None).len(), 2);
    }
}
