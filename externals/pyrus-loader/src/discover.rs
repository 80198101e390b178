//! Which Python to load: the search order of issue 14, as a pure function
//! of what the system has ([`System`]: environment variables, files, the
//! linker's cache, the Windows registry), so that every platform's order is
//! unit-tested on any of them. Loading the candidates is the caller's
//! (`lib.rs`), and so is the version check of a library named only by
//! `PYRUS_LIBPYTHON`.
//!
//! The order: `PYRUS_LIBPYTHON` (then nothing else: the user named one);
//! the base interpreter of the chosen virtualenv (`PYRUS_VENV`, else an
//! activated `VIRTUAL_ENV`; its `pyvenv.cfg` gives the base's folder,
//! `home`, and `version`); the system's libpython3.X, newest first (Linux:
//! the linker's cache, then the usual lib folders; macOS: python.org's and
//! Homebrew's frameworks; Windows: a `python3X.dll` in the package's
//! `support/` folder, then the installations registered by PEP 514). A
//! library is a candidate only with its standard library beside it: a
//! Python that cannot find it would end the host process at start.
//!
//! # Threading
//! Called by `load_python`, on the host thread that loads the loader; pure.

use std::path::{Path, PathBuf};

/// A Python version, `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    /// The oldest Python pyrus runs with (its stable ABI's).
    pub const OLDEST: Version = Version { major: 3, minor: 10 };

    /// The version `Py_GetVersion` or `pyvenv.cfg` gives: `3.11` of
    /// `3.11.2 (main, ...)`, of `3.11.2`, of `3.11.2.final.0`.
    pub fn parse(text: &str) -> Option<Version> {
        let number = text.split_whitespace().next()?;
        let mut parts = number.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor: String = parts.next()?.chars().take_while(char::is_ascii_digit).collect();
        Some(Version { major, minor: minor.parse().ok()? })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The minor versions of 3 looked for, newest first (from a future one
/// down to the oldest that may be found and said to be too old).
const MINORS: std::ops::RangeInclusive<u32> = 0..=30;

/// The platform whose rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    /// The platform this loader is built for.
    pub const HOST: Os = if cfg!(windows) {
        Os::Windows
    } else if cfg!(target_os = "macos") {
        Os::MacOs
    } else {
        Os::Linux
    };
}

/// What the search asks of the system (`system::Real` asks the real one).
pub trait System {
    /// A non-empty environment variable.
    fn var(&self, name: &str) -> Option<String>;
    /// Whether `path` is a regular file (or a link to one).
    fn is_file(&self, path: &Path) -> bool;
    /// The text of a small regular file (never blocks on a FIFO).
    fn read(&self, path: &Path) -> Option<String>;
    /// `path` with its links resolved, or as given.
    fn canonical(&self, path: &Path) -> PathBuf;
    /// Linux: the libpython files the linker's cache lists for this
    /// architecture, in its order.
    fn linker_cache(&self) -> Vec<PathBuf>;
    /// Windows: the PEP 514 installations, `(tag, InstallPath)`, the
    /// user's (HKCU) before the machine's (HKLM).
    fn registry(&self) -> Vec<(String, PathBuf)>;
    /// The folder the loader was loaded from.
    fn own_folder(&self) -> Option<PathBuf>;
}

/// A libpython to try, and why it is the one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// A path, or (from `PYRUS_LIBPYTHON` only) a name the platform searches.
    pub library: PathBuf,
    /// Its version, where its name or its venv says it.
    pub version: Option<Version>,
    /// Why it is chosen, for the console: `newest on the system`.
    pub why: String,
}

/// What the search found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Search {
    /// In the order to try them; the first that loads is used.
    pub candidates: Vec<Candidate>,
    /// Whether the first candidate is the user's own choice
    /// (`PYRUS_LIBPYTHON`): then it is the only one, and its failure is an
    /// error, not a reason to try another.
    pub named: bool,
    /// What did not fit, one clause each, for the console: a venv whose
    /// base Python was not found, a library without its standard library,
    /// a Python older than 3.10.
    pub passed_over: Vec<String>,
}

/// The search order of the module doc, over `system` with `os`'s rules.
pub fn search(system: &dyn System, os: Os) -> Search {
    let mut found = Search::default();
    if let Some(named) = system.var("PYRUS_LIBPYTHON") {
        found.named = true;
        found.candidates.push(Candidate {
            library: PathBuf::from(named),
            version: None,
            why: "PYRUS_LIBPYTHON".into(),
        });
        return found;
    }
    if let Some(candidate) = venv_base(system, os, &mut found.passed_over) {
        found.candidates.push(candidate);
    }
    let mut seen: Vec<PathBuf> = found.candidates.iter().map(|c| system.canonical(&c.library)).collect();
    for (library, version, why) in system_libraries(system, os) {
        let real = system.canonical(&library);
        if seen.contains(&real) {
            continue;
        }
        seen.push(real);
        if version < Version::OLDEST {
            found.passed_over.push(format!(
                "Python {version} ({}) is older than {}",
                library.display(),
                Version::OLDEST
            ));
        } else if !has_standard_library(system, os, &library, version) {
            found.passed_over.push(format!("{} has no standard library beside it", library.display()));
        } else {
            found.candidates.push(Candidate { library, version: Some(version), why: why.into() });
        }
    }
    found
}

/// Whether the Python of `library` (of `version`) has its standard library
/// where it will look for it (see [`prefix`]).
pub fn has_standard_library(system: &dyn System, os: Os, library: &Path, version: Version) -> bool {
    prefix(system, os, library, version).is_some()
}

/// The installation folder of the Python of `library` (of `version`), by
/// its standard library: Linux and macOS, the nearest of the library's real
/// folder's ancestors with `lib/python3.X/os.py` (`/usr` for
/// `/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0`); Windows, the DLL's
/// folder if it has `Lib\os.py` or `python3X.zip`.
pub fn prefix(system: &dyn System, os: Os, library: &Path, version: Version) -> Option<PathBuf> {
    let library = system.canonical(library);
    match os {
        Os::Windows => library.parent().filter(|dir| {
            system.is_file(&dir.join("Lib").join("os.py"))
                || system.is_file(&dir.join(format!("python{}{}.zip", version.major, version.minor)))
        }),
        Os::Linux | Os::MacOs => {
            let landmark = Path::new("lib").join(format!("python{version}")).join("os.py");
            library.ancestors().skip(1).find(|dir| system.is_file(&dir.join(&landmark)))
        }
    }
    .map(Path::to_path_buf)
}

/// The executable of the Python installed at `prefix` (of `version`), as
/// CPython expects it when it computes its paths from it (it need not
/// exist): `bin/python3.X`, Windows `python.exe`.
pub fn executable(os: Os, prefix: &Path, version: Version) -> PathBuf {
    match os {
        Os::Windows => prefix.join("python.exe"),
        Os::Linux | Os::MacOs => prefix.join("bin").join(format!("python{version}")),
    }
}

/// The chosen virtualenv's base interpreter's libpython, or None with a
/// clause in `passed_over` saying why not (nothing when no venv is chosen).
fn venv_base(system: &dyn System, os: Os, passed_over: &mut Vec<String>) -> Option<Candidate> {
    let (var, venv) = ["PYRUS_VENV", "VIRTUAL_ENV"].into_iter().find_map(|v| Some((v, system.var(v)?)))?;
    let config = Path::new(&venv).join("pyvenv.cfg");
    let mut pass = |why: String| passed_over.push(format!("the venv {var}={venv} {why}"));
    let Some(text) = system.is_file(&config).then(|| system.read(&config)).flatten() else {
        pass(format!("has no readable {}", config.display()));
        return None;
    };
    let value = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        })
    };
    let (Some(home), Some(version)) =
        (value("home"), value("version").or_else(|| value("version_info")).as_deref().and_then(Version::parse))
    else {
        pass(format!("says no home or version in {}", config.display()));
        return None;
    };
    let home = PathBuf::from(home);
    let library = base_libraries(os, &home, version).into_iter().find(|l| system.is_file(l));
    match library {
        Some(library) if has_standard_library(system, os, &library, version) => Some(Candidate {
            library,
            version: Some(version),
            why: format!("the base Python of the venv {var}={venv}"),
        }),
        Some(library) => {
            pass(format!("has a base Python whose {} has no standard library beside it", library.display()));
            None
        }
        None => {
            pass(format!("has a base Python {version} in {} without a libpython", home.display()));
            None
        }
    }
}

/// Where the libpython of the Python installed in the folder `home` (of
/// its executable, `pyvenv.cfg`'s `home`) is, by platform.
fn base_libraries(os: Os, home: &Path, version: Version) -> Vec<PathBuf> {
    match os {
        Os::Windows => vec![home.join(windows_dll(version))],
        Os::Linux => {
            let prefix = home.parent().unwrap_or(home);
            let names = [format!("libpython{version}.so.1.0"), format!("libpython{version}.so")];
            let dirs = [prefix.join("lib"), prefix.join("lib64"), prefix.join("lib").join(MULTIARCH)];
            dirs.iter().flat_map(|d| names.iter().map(move |n| d.join(n))).collect()
        }
        Os::MacOs => {
            // python.org: home is .../Python.framework/Versions/3.X/bin;
            // Homebrew: .../opt/python@3.X/bin (or the framework's bin).
            let prefix = home.parent().unwrap_or(home);
            vec![
                prefix.join("Python"),
                prefix.join("lib").join(format!("libpython{version}.dylib")),
                homebrew_framework(prefix, version),
            ]
        }
    }
}

/// The system's libpythons, newest first, each with its version and why it
/// would be chosen: for every Python the platform's places, in its order.
fn system_libraries(system: &dyn System, os: Os) -> Vec<(PathBuf, Version, &'static str)> {
    let mut found = Vec::new();
    match os {
        Os::Linux => {
            let cache = system.linker_cache();
            for minor in MINORS.rev() {
                let version = Version { major: 3, minor };
                let named =
                    |p: &PathBuf| p.file_name().and_then(|n| n.to_str()).and_then(linux_version) == Some(version);
                found.extend(cache.iter().filter(|p| named(p)).map(|p| (p.clone(), version, "newest on the system")));
                for dir in LINUX_FOLDERS {
                    for name in [format!("libpython{version}.so.1.0"), format!("libpython{version}.so")] {
                        let path = Path::new(dir).join(name);
                        if system.is_file(&path) {
                            found.push((path, version, "newest on the system"));
                        }
                    }
                }
            }
        }
        Os::MacOs => {
            for minor in MINORS.rev() {
                let version = Version { major: 3, minor };
                let places = [
                    (
                        Path::new("/Library/Frameworks/Python.framework/Versions")
                            .join(version.to_string())
                            .join("Python"),
                        "newest on the system, python.org's",
                    ),
                    (
                        homebrew_framework(&Path::new("/opt/homebrew/opt").join(format!("python@{version}")), version),
                        "newest on the system, Homebrew's",
                    ),
                    (
                        homebrew_framework(&Path::new("/usr/local/opt").join(format!("python@{version}")), version),
                        "newest on the system, Homebrew's",
                    ),
                ];
                found.extend(places.into_iter().filter(|(p, _)| system.is_file(p)).map(|(p, why)| (p, version, why)));
            }
        }
        Os::Windows => {
            // The package's support folder: beside the loader in Pd's
            // (pyrus/pyrus.dll, pyrus/support), beside the loader's
            // externals folder in Max's (pyrus/externals/pyrus.mxe64,
            // pyrus/support).
            let own = system.own_folder();
            let support: Vec<PathBuf> = own
                .iter()
                .flat_map(|f| [Some(f.join("support")), f.parent().map(|p| p.join("support"))])
                .flatten()
                .collect();
            for minor in MINORS.rev() {
                let version = Version { major: 3, minor };
                for dll in support.iter().map(|s| s.join(windows_dll(version))).filter(|d| system.is_file(d)) {
                    found.push((dll, version, "bundled in the package's support folder"));
                }
            }
            let registry = system.registry();
            for minor in MINORS.rev() {
                let version = Version { major: 3, minor };
                // Only the plain tag: `3.X-32` is a 32-bit build, `3.13t` a
                // free-threaded one (no GIL: the engine needs it).
                for (_, install) in registry.iter().filter(|(tag, _)| *tag == version.to_string()) {
                    let dll = install.join(windows_dll(version));
                    if system.is_file(&dll) {
                        found.push((dll, version, "newest registered installation (PEP 514)"));
                    }
                }
            }
        }
    }
    found
}

/// Debian's multiarch folder name for this architecture.
#[cfg(target_arch = "x86_64")]
macro_rules! multiarch {
    () => {
        "x86_64-linux-gnu"
    };
}
#[cfg(target_arch = "aarch64")]
macro_rules! multiarch {
    () => {
        "aarch64-linux-gnu"
    };
}
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
macro_rules! multiarch {
    () => {
        "."
    };
}
const MULTIARCH: &str = multiarch!();

/// The folders searched on Linux after the linker's cache.
const LINUX_FOLDERS: [&str; 6] = [
    "/usr/local/lib",
    "/usr/local/lib64",
    concat!("/usr/lib/", multiarch!()),
    "/usr/lib64",
    "/usr/lib",
    concat!("/lib/", multiarch!()),
];

/// `python3X.dll`.
fn windows_dll(version: Version) -> String {
    format!("python{}{}.dll", version.major, version.minor)
}

/// Homebrew's framework library under its `opt/python@3.X` folder.
fn homebrew_framework(opt: &Path, version: Version) -> PathBuf {
    opt.join("Frameworks/Python.framework/Versions").join(version.to_string()).join("Python")
}

/// The version of a Linux libpython's file name: `libpython3.11.so.1.0`
/// or `libpython3.11.so`, not a debug (`3.11d`) or free-threaded (`3.13t`)
/// build's.
pub fn linux_version(name: &str) -> Option<Version> {
    let rest = name.strip_prefix("libpython")?;
    let (number, tail) = rest.split_once(".so")?;
    if !(tail.is_empty() || tail.starts_with('.')) || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    Version::parse(number).filter(|v| number == v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A system made of a few variables and files (with their text), links
    /// (for `canonical`), a linker cache and a registry.
    #[derive(Default)]
    struct Fake {
        vars: HashMap<&'static str, String>,
        files: HashMap<PathBuf, String>,
        links: HashMap<PathBuf, PathBuf>,
        cache: Vec<PathBuf>,
        registry: Vec<(String, PathBuf)>,
        own: Option<PathBuf>,
    }

    impl Fake {
        fn var(mut self, name: &'static str, value: &str) -> Self {
            self.vars.insert(name, value.into());
            self
        }
        fn file(mut self, path: &str, text: &str) -> Self {
            self.files.insert(path.into(), text.into());
            self
        }
        /// A libpython and, in `prefix`, the standard library's landmark.
        fn unix_python(self, library: &str, prefix: &str, version: &str) -> Self {
            self.file(library, "").file(&format!("{prefix}/lib/python{version}/os.py"), "")
        }
    }

    impl System for Fake {
        fn var(&self, name: &str) -> Option<String> {
            self.vars.get(name).cloned()
        }
        fn is_file(&self, path: &Path) -> bool {
            self.files.contains_key(&self.canonical(path))
        }
        fn read(&self, path: &Path) -> Option<String> {
            self.files.get(&self.canonical(path)).cloned()
        }
        fn canonical(&self, path: &Path) -> PathBuf {
            self.links.get(path).cloned().unwrap_or_else(|| path.to_owned())
        }
        fn linker_cache(&self) -> Vec<PathBuf> {
            self.cache.clone()
        }
        fn registry(&self) -> Vec<(String, PathBuf)> {
            self.registry.clone()
        }
        fn own_folder(&self) -> Option<PathBuf> {
            self.own.clone()
        }
    }

    fn v(minor: u32) -> Option<Version> {
        Some(Version { major: 3, minor })
    }

    /// The candidates, their paths with `/` (Windows joins with `\`).
    fn found(search: &Search) -> Vec<(String, Option<Version>, &str)> {
        search.candidates.iter().map(|c| (slashes(c.library.display()), c.version, c.why.as_str())).collect()
    }

    /// What was passed over, its paths with `/`.
    fn passed(search: &Search) -> Vec<String> {
        search.passed_over.iter().map(slashes).collect()
    }

    fn slashes(text: impl std::fmt::Display) -> String {
        text.to_string().replace('\\', "/")
    }

    const LIB: &str = "/usr/lib/x86_64-linux-gnu";

    /// Debian's 3.11 and 3.12 in the linker's cache, a 3.9 in /usr/lib.
    fn debian() -> Fake {
        let mut system = Fake::default()
            .unix_python(&format!("{LIB}/libpython3.11.so.1.0"), "/usr", "3.11")
            .unix_python(&format!("{LIB}/libpython3.12.so.1.0"), "/usr", "3.12")
            .unix_python("/usr/lib/libpython3.9.so.1.0", "/usr", "3.9");
        system.cache = vec![format!("{LIB}/libpython3.11.so.1.0").into(), format!("{LIB}/libpython3.12.so.1.0").into()];
        system
    }

    #[test]
    fn pyrus_libpython_is_the_only_candidate_when_set() {
        let system = debian().var("PYRUS_LIBPYTHON", "libpython3.11.so.1.0").var("VIRTUAL_ENV", "/venv");
        let search = super::search(&system, Os::Linux);
        assert!(search.named);
        assert_eq!(found(&search), [("libpython3.11.so.1.0".into(), None, "PYRUS_LIBPYTHON")]);
    }

    #[test]
    fn linux_newest_first_without_duplicates_nor_pythons_too_old() {
        // /lib is /usr/lib (merged /usr): the folder search finds the
        // cache's 3.12 again, by another path.
        let mut system = debian();
        system.links.insert(
            PathBuf::from("/lib/x86_64-linux-gnu/libpython3.12.so.1.0"),
            format!("{LIB}/libpython3.12.so.1.0").into(),
        );
        let search = super::search(&system, Os::Linux);
        assert!(!search.named);
        assert_eq!(
            found(&search),
            [
                (format!("{LIB}/libpython3.12.so.1.0"), v(12), "newest on the system"),
                (format!("{LIB}/libpython3.11.so.1.0"), v(11), "newest on the system"),
            ]
        );
        assert_eq!(passed(&search), ["Python 3.9 (/usr/lib/libpython3.9.so.1.0) is older than 3.10"]);
    }

    #[test]
    fn a_library_without_its_standard_library_is_passed_over() {
        let system = debian().file("/usr/local/lib/libpython3.13.so", "");
        let search = super::search(&system, Os::Linux);
        assert_eq!(search.candidates[0].version, v(12), "{search:?}");
        assert_eq!(passed(&search)[0], "/usr/local/lib/libpython3.13.so has no standard library beside it");
    }

    #[test]
    fn the_venv_base_comes_before_the_system_and_pyrus_venv_before_virtual_env() {
        let system = debian()
            .unix_python("/opt/py/lib/libpython3.11.so.1.0", "/opt/py", "3.11")
            .file("/venv/pyvenv.cfg", "home = /opt/py/bin\ninclude-system-site-packages = true\nversion = 3.11.4\n")
            .file("/other/pyvenv.cfg", "home = /usr/bin\nversion_info = 3.12.1.final.0\n")
            .var("VIRTUAL_ENV", "/other");
        let search = super::search(&system, Os::Linux);
        assert_eq!(
            found(&search)[0],
            (format!("{LIB}/libpython3.12.so.1.0"), v(12), "the base Python of the venv VIRTUAL_ENV=/other")
        );
        assert_eq!(search.candidates.len(), 2, "the venv's base is not tried again as the system's: {search:?}");
        let system = system.var("PYRUS_VENV", "/venv");
        let search = super::search(&system, Os::Linux);
        assert_eq!(
            found(&search)[..2],
            [
                ("/opt/py/lib/libpython3.11.so.1.0".into(), v(11), "the base Python of the venv PYRUS_VENV=/venv"),
                (format!("{LIB}/libpython3.12.so.1.0"), v(12), "newest on the system"),
            ]
        );
    }

    #[test]
    fn a_venv_that_does_not_fit_is_passed_over_and_the_system_is_searched() {
        let cases = [
            ("/none", None, "the venv PYRUS_VENV=/none has no readable /none/pyvenv.cfg"),
            (
                "/bare",
                Some("include-system-site-packages = false\n"),
                "the venv PYRUS_VENV=/bare says no home or version in /bare/pyvenv.cfg",
            ),
            (
                "/gone",
                Some("home = /opt/gone/bin\nversion = 3.13.0\n"),
                "the venv PYRUS_VENV=/gone has a base Python 3.13 in /opt/gone/bin without a libpython",
            ),
        ];
        for (venv, config, why) in cases {
            let mut system = debian().var("PYRUS_VENV", venv);
            if let Some(config) = config {
                system = system.file(&format!("{venv}/pyvenv.cfg"), config);
            }
            let search = super::search(&system, Os::Linux);
            assert_eq!(passed(&search)[0], why);
            assert_eq!(search.candidates[0].why, "newest on the system");
        }
    }

    #[test]
    fn macos_frameworks_newest_first_and_a_venv_of_python_org() {
        let org = "/Library/Frameworks/Python.framework/Versions";
        let brew = "/opt/homebrew/opt/python@3.12/Frameworks/Python.framework/Versions/3.12";
        let system = Fake::default()
            .unix_python(&format!("{org}/3.13/Python"), &format!("{org}/3.13"), "3.13")
            .unix_python(&format!("{brew}/Python"), brew, "3.12")
            .unix_python(&format!("{org}/3.11/Python"), &format!("{org}/3.11"), "3.11");
        let search = super::search(&system, Os::MacOs);
        assert_eq!(
            found(&search),
            [
                (format!("{org}/3.13/Python"), v(13), "newest on the system, python.org's"),
                (format!("{brew}/Python"), v(12), "newest on the system, Homebrew's"),
                (format!("{org}/3.11/Python"), v(11), "newest on the system, python.org's"),
            ]
        );
        let system =
            system.file("/v/pyvenv.cfg", &format!("home = {org}/3.11/bin\nversion = 3.11.9\n")).var("PYRUS_VENV", "/v");
        assert_eq!(
            super::search(&system, Os::MacOs).candidates[0].library,
            PathBuf::from(format!("{org}/3.11/Python"))
        );
    }

    #[test]
    fn windows_support_folder_then_plain_registered_installations() {
        let mut system = Fake::default()
            .file("/pkg/pyrus/support/python312.dll", "")
            .file("/pkg/pyrus/support/python312.zip", "")
            .file("/py313/python313.dll", "")
            .file("/py313/Lib/os.py", "")
            .file("/py313-32/python313.dll", "")
            .file("/py313-32/Lib/os.py", "")
            .file("/py311/python311.dll", "");
        system.own = Some("/pkg/pyrus".into());
        system.registry = vec![
            ("3.13-32".into(), "/py313-32".into()),
            ("3.11".into(), "/py311".into()),
            ("3.13".into(), "/py313".into()),
        ];
        let search = super::search(&system, Os::Windows);
        assert_eq!(
            found(&search),
            [
                ("/pkg/pyrus/support/python312.dll".into(), v(12), "bundled in the package's support folder"),
                ("/py313/python313.dll".into(), v(13), "newest registered installation (PEP 514)"),
            ]
        );
        assert_eq!(passed(&search), ["/py311/python311.dll has no standard library beside it"]);
        // Max's package: the loader in externals/, the Python in support/.
        let mut system =
            Fake::default().file("/max/pyrus/support/python313.dll", "").file("/max/pyrus/support/python313.zip", "");
        system.own = Some("/max/pyrus/externals".into());
        assert_eq!(
            super::search(&system, Os::Windows).candidates[0].library,
            PathBuf::from("/max/pyrus/support/python313.dll")
        );
    }

    #[test]
    fn the_installation_of_a_library_by_its_standard_library() {
        let mut system = debian().file("/py313/python313.dll", "").file("/py313/python313.zip", "");
        system
            .links
            .insert("/lib/x86_64-linux-gnu/libpython3.11.so.1.0".into(), format!("{LIB}/libpython3.11.so.1.0").into());
        let prefix =
            super::prefix(&system, Os::Linux, Path::new("/lib/x86_64-linux-gnu/libpython3.11.so.1.0"), v(11).unwrap());
        assert_eq!(prefix, Some(PathBuf::from("/usr")));
        assert_eq!(executable(Os::Linux, Path::new("/usr"), v(11).unwrap()), PathBuf::from("/usr/bin/python3.11"));
        let prefix = super::prefix(&system, Os::Windows, Path::new("/py313/python313.dll"), v(13).unwrap());
        assert_eq!(prefix, Some(PathBuf::from("/py313")));
        assert_eq!(executable(Os::Windows, Path::new("/py313"), v(13).unwrap()), PathBuf::from("/py313/python.exe"));
        assert_eq!(super::prefix(&system, Os::Windows, Path::new("/py313/python313.dll"), v(12).unwrap()), None);
    }

    #[test]
    fn versions_of_names_and_version_texts() {
        assert_eq!(Version::parse("3.11.2 (main, Mar 13 2023) [GCC 12.2.0]"), v(11));
        assert_eq!(Version::parse("3.9.18 (test double)"), v(9));
        assert_eq!(Version::parse("3.12.1.final.0"), v(12));
        assert_eq!(Version::parse("3"), None);
        assert_eq!(linux_version("libpython3.11.so.1.0"), v(11));
        assert_eq!(linux_version("libpython3.13.so"), v(13));
        assert_eq!(linux_version("libpython3.13t.so.1.0"), None);
        assert_eq!(linux_version("libpython3.11d.so"), None);
        assert_eq!(linux_version("libpython3.so"), None);
    }
}
