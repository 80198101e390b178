//! Which Python pyrus runs, in real Pd: the one the loader chose (the
//! console says which and why: the newest on the system, or the base Python
//! of the virtualenv the user chose, `PYRUS_VENV`, else `VIRTUAL_ENV`), the
//! installation of that libpython whatever `python3` comes first on `PATH`,
//! the venv's packages if it fits, and a clear refusal of a `PYRUS_LIBPYTHON`
//! that is missing, older than 3.10 or free-threaded (test doubles) or
//! without its standard library; and, where Pd can be run in a mount
//! namespace of its own, a machine with no Python at all.

mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::*;

/// The Python this build embeds (build/lib.sh pins it).
const PYTHON: &str = match option_env!("PYO3_PYTHON") {
    Some(p) => p,
    None => "/usr/bin/python3",
};

/// What `PYTHON` says for a Python expression.
fn ask(expr: &str) -> String {
    let out = Command::new(PYTHON).args(["-c", &format!("print({expr})")]).output().expect("the build's Python runs");
    assert!(out.status.success(), "{PYTHON} -c print({expr}): {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs a `[pyrus]` that prints, one line each, what `exprs` evaluate to
/// (each as `str()`), with `env` added to Pd's environment.
fn python_says(dir: &Path, exprs: &[&str], env: &[(&str, &str)]) -> Transcript {
    let mut p = Patch::new();
    p.pyrus("py", "");
    let mut sends = vec![("py", "import sys os importlib.util".to_owned())];
    sends.extend(exprs.iter().map(|e| ("py", format!("eval str({e})"))));
    let sends: Vec<(&str, &str)> = sends.iter().map(|(to, m)| (*to, m.as_str())).collect();
    p.script(&sends);
    let path = dir.join("python.pd");
    p.write(&path);
    let t = run_pd_env(&path, &[], env, Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "pd exited abnormally:\n{}", t.text());
    t
}

fn symbols(t: &Transcript) -> Vec<String> {
    t.printed("py").into_iter().map(|l| l.strip_prefix("symbol ").map(str::to_owned).unwrap_or(l)).collect()
}

fn path_with_first(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

#[test]
fn a_foreign_python3_first_on_path_changes_nothing() {
    let dir = test_dir("foreign-python");
    // A foreign installation, as pyenv's would be: bin/python3 and a
    // lib/pythonX.Y with the landmark CPython looks for (a link to the real
    // standard library, so that a Python taking this prefix still starts, but
    // without the base's packages).
    let foreign = dir.join("foreign");
    std::fs::create_dir_all(foreign.join("bin")).unwrap();
    std::fs::create_dir_all(foreign.join("lib")).unwrap();
    let shim = foreign.join("bin/python3");
    std::fs::write(&shim, "#!/bin/sh\necho 'not the Python pyrus embeds' >&2\nexit 1\n").unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&shim, executable).unwrap();
    let version = ask("'python%d.%d' % __import__('sys').version_info[:2]");
    let stdlib = PathBuf::from(ask("__import__('sysconfig').get_path('stdlib')"));
    std::os::unix::fs::symlink(&stdlib, foreign.join("lib").join(&version)).unwrap();
    let numpy = ask("__import__('importlib.util').util.find_spec('numpy') is not None") == "True";
    let want = [
        ask("__import__('sys').base_prefix"),
        std::fs::canonicalize(ask("__import__('sys').executable")).unwrap().display().to_string(),
        if numpy { "True" } else { "False" }.to_owned(),
    ];
    let path = path_with_first(&foreign.join("bin"));
    let t = python_says(
        &dir,
        &["sys.prefix", "os.path.realpath(sys.executable)", "importlib.util.find_spec('numpy') is not None"],
        &[("PATH", &path)],
    );
    assert_eq!(symbols(&t), want, "{}", t.text());
    if !numpy {
        println!("numpy is not installed for {PYTHON}: only the prefix and executable were compared");
    }
}

/// A virtualenv made by the build's Python, with a module of its own.
fn make_venv(at: &Path) {
    let out = Command::new(PYTHON).args(["-m", "venv", "--without-pip"]).arg(at).output().unwrap();
    assert!(out.status.success(), "{PYTHON} -m venv: {}", String::from_utf8_lossy(&out.stderr));
    let site = at.join("lib").join(ask("'python%d.%d' % __import__('sys').version_info[:2]")).join("site-packages");
    std::fs::write(site.join("venvmark.py"), "WHERE = 'in-the-venv'\n").unwrap();
}

#[test]
fn an_activated_venv_is_used_and_pyrus_venv_wins_over_it() {
    let dir = test_dir("venvs");
    let venv = dir.join("venv");
    make_venv(&venv);
    let venv_text = venv.display().to_string();
    let exprs = ["__import__('venvmark').WHERE", "sys.executable"];
    let want = ["in-the-venv".to_owned(), venv.join("bin/python").display().to_string()];

    let t = python_says(&dir, &exprs, &[("VIRTUAL_ENV", &venv_text)]);
    assert_eq!(symbols(&t), want, "{}", t.text());
    assert!(t.contains(&format!("packages from {venv_text}")), "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());

    // PYRUS_VENV wins over an activated venv (here one that would be refused).
    let t = python_says(&dir, &exprs, &[("PYRUS_VENV", &venv_text), ("VIRTUAL_ENV", "/")]);
    assert_eq!(symbols(&t), want, "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}

#[test]
fn a_venv_for_another_python_or_no_venv_at_all_is_one_warning_and_pyrus_carries_on() {
    let dir = test_dir("badvenvs");
    let other = dir.join("other");
    std::fs::create_dir_all(other.join("lib/python3.6/site-packages")).unwrap();
    std::fs::write(other.join("pyvenv.cfg"), "home = /opt/python3.6/bin\nversion = 3.6.15\n").unwrap();
    let plain = dir.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    // A "venv" whose pyvenv.cfg is a FIFO: reading it would block Pd.
    let fifo = dir.join("fifo");
    std::fs::create_dir_all(&fifo).unwrap();
    let c_path = std::ffi::CString::new(fifo.join("pyvenv.cfg").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let prefix = ask("__import__('sys').base_prefix");
    let cases = [
        ("PYRUS_VENV", &other, "it is a virtualenv for Python 3.6.15, and pyrus runs Python 3."),
        ("VIRTUAL_ENV", &plain, "it is not a virtualenv (no "),
        ("PYRUS_VENV", &fifo, "it is not a virtualenv (no "),
    ];
    for (var, venv, why) in cases {
        let text = venv.display().to_string();
        let t = python_says(&dir, &["6 * 7", "sys.prefix"], &[(var, &text)]);
        let warning = format!("pyrus: {var}={text} is not used: {why}");
        let warnings: Vec<String> = t.errors().into_iter().filter(|l| l.contains("is not used")).collect();
        assert_eq!(warnings.len(), 1, "{}", t.text());
        assert!(warnings[0].starts_with(&warning), "{}", t.text());
        assert!(
            warnings[0].ends_with(&format!(
                "scripts get the packages of Python {} ({prefix}) only",
                ask("__import__('sys').version.split()[0]")
            )),
            "{}",
            t.text()
        );
        // Every object is made and works, with the base Python.
        assert_eq!(symbols(&t), ["42".to_owned(), prefix.clone()], "{}", t.text());
    }
}

/// The core is built for Python's stable ABI and links no libpython: its
/// Python symbols come from whichever libpython the loader opened first.
/// A Windows package's core (`pyrus_pd.dll`) imports the stable ABI's
/// `python3.dll` only, never a `python3X.dll`.
#[test]
fn the_core_links_no_libpython_and_uses_the_stable_abi() {
    let elf = package_dir().join("libpyrus_pd.so");
    if !elf.exists() {
        let dll = package_dir().join("pyrus_pd.dll");
        let out =
            Command::new("x86_64-w64-mingw32-objdump").arg("-p").arg(&dll).output().expect("objdump runs (mingw-w64)");
        assert!(out.status.success(), "objdump -p {}: {}", dll.display(), String::from_utf8_lossy(&out.stderr));
        let headers = String::from_utf8_lossy(&out.stdout).to_lowercase();
        let pythons: Vec<&str> = headers.lines().filter(|l| l.contains("dll name: python")).map(str::trim).collect();
        assert_eq!(pythons, ["dll name: python3.dll"], "{}", dll.display());
        return;
    }
    let out = Command::new("readelf").arg("-dW").arg(&elf).output().expect("readelf runs (binutils)");
    assert!(out.status.success(), "readelf -d {}: {}", elf.display(), String::from_utf8_lossy(&out.stderr));
    let dynamic = String::from_utf8_lossy(&out.stdout);
    let needed: Vec<&str> = dynamic.lines().filter(|l| l.contains("(NEEDED)")).collect();
    assert!(!needed.is_empty() && !needed.iter().any(|l| l.contains("libpython")), "{dynamic}");
    let out = Command::new("readelf").arg("--dyn-syms").arg("-W").arg(&elf).output().unwrap();
    let symbols = String::from_utf8_lossy(&out.stdout);
    // Python's reference counting through the stable ABI's functions.
    assert!(symbols.lines().any(|l| l.contains(" UND ") && l.ends_with(" _Py_DecRef")), "{symbols}");
}

/// A test double of a libpython, `libpython<version>.so` in `dir`: a shared
/// object whose only function is `Py_GetVersion`, saying `version_text`
/// (all the loader asks of a library before it takes it).
fn libpython_double(dir: &Path, version: &str, version_text: &str) -> PathBuf {
    let source = dir.join("double.c");
    std::fs::write(&source, format!("const char *Py_GetVersion(void) {{ return \"{version_text}\"; }}\n")).unwrap();
    let lib = dir.join(format!("libpython{version}.so"));
    let out = Command::new("cc").args(["-shared", "-fPIC", "-o"]).arg(&lib).arg(&source).output().expect("cc runs");
    assert!(out.status.success(), "cc: {}", String::from_utf8_lossy(&out.stderr));
    lib
}

/// Runs `[pyrus]` with `eval 1` with `env`, where pyrus refuses to start:
/// the errors that start with `refusal` (once when Pd loads the library,
/// once for the object it can't create), and nothing else went wrong.
fn refused(dir: &Path, env: &[(&str, &str)], refusal: &str) {
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[("py", "eval 1")]);
    let path = dir.join("refused.pd");
    p.write(&path);
    let t = run_pd_env(&path, &[], env, Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "{}", t.text());
    assert_eq!(t.errors().iter().filter(|l| l.starts_with(refusal)).count(), 2, "{}", t.text());
    assert!(t.printed("py").is_empty(), "{}", t.text());
    assert!(!t.contains("maximum object loading depth"), "{}", t.text());
}

#[test]
fn pyrus_libpython_older_than_3_10_is_refused_clearly() {
    let dir = test_dir("old-libpython");
    let lib = libpython_double(&dir, "3.9", "3.9.18 (test double)");
    let lib_text = lib.display().to_string();
    let refusal = format!(
        "pyrus: PYRUS_LIBPYTHON={lib_text} is Python 3.9.18, and pyrus needs Python 3.10 or newer: \
         name a libpython of Python 3.10 or newer, or unset PYRUS_LIBPYTHON to let pyrus find one"
    );
    refused(&dir, &[("PYRUS_LIBPYTHON", &lib_text)], &refusal);
}

#[test]
fn a_free_threaded_pyrus_libpython_is_refused_clearly() {
    let dir = test_dir("free-threaded-libpython");
    let lib = libpython_double(&dir, "3.13t", "3.13.0 experimental free-threading build (test double)");
    let lib_text = lib.display().to_string();
    let refusal = format!(
        "pyrus: PYRUS_LIBPYTHON={lib_text} is Python 3.13.0 built free-threaded (without the GIL, which pyrus needs), "
    );
    refused(&dir, &[("PYRUS_LIBPYTHON", &lib_text)], &refusal);
}

/// Runs the refusal patch in Pd in a mount namespace of its own where each
/// of `hidden` (folders) is an empty tmpfs: as on a machine without them.
fn run_pd_hiding(dir: &Path, hidden: &[PathBuf]) -> Transcript {
    let mounts: String = hidden.iter().map(|h| format!("mount -t tmpfs none '{}' && ", h.display())).collect();
    let script = format!("{mounts}exec \"$0\" \"$@\"");
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[("py", "eval 1")]);
    let path = dir.join("hiding.pd");
    p.write(&path);
    let wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c", &script];
    run_pd_under(&wrapper, &path, &[], &[], Duration::from_secs(30))
}

/// With no Python to be found (each one the loader would take hidden in
/// turn: the standard library of the one it chose, until none is left),
/// one error says what was looked at and passed over, and what to install;
/// `[pyrus]` is not created and says so again; Pd carries on.
#[test]
#[ignore = "needs unshare -m (root or CAP_SYS_ADMIN) to hide the system's Pythons: build/test runs it where it works"]
fn no_python_at_all_is_one_clear_error_and_pd_carries_on() {
    let dir = test_dir("no-python");
    let mut hidden: Vec<PathBuf> = Vec::new();
    for _ in 0..10 {
        let t = run_pd_hiding(&dir, &hidden);
        assert_eq!(t.status, Some(0), "{}", t.text());
        let Some(line) = t.lines.iter().find(|l| l.starts_with("pyrus: Python ")) else {
            let refusal = "pyrus: no Python 3.10 or newer was found (PYRUS_LIBPYTHON, a venv's base Python, \
                           the linker's cache and /usr/local/lib, /usr/lib); ";
            let errors: Vec<String> = t.errors().into_iter().filter(|l| l.starts_with(refusal)).collect();
            assert_eq!(errors.len(), 2, "once at load, once for the object: {}", t.text());
            assert!(errors[0].contains("has no standard library beside it"), "{}", t.text());
            assert!(errors[0].ends_with("PYRUS_LIBPYTHON=/path/to/libpython3.X.so"), "{}", t.text());
            assert!(t.printed("py").is_empty(), "{}", t.text());
            return;
        };
        // Hide the chosen one's standard library (lib/python3.X in its prefix).
        let (release, library, _) = chosen(&t);
        let version = release.split('.').take(2).collect::<Vec<_>>().join(".");
        let landmark = Path::new("lib").join(format!("python{version}"));
        let stdlib = library.ancestors().map(|a| a.join(&landmark)).find(|d| d.join("os.py").is_file());
        hidden
            .push(stdlib.unwrap_or_else(|| panic!("no {} above {}: {}", landmark.display(), library.display(), line)));
    }
    panic!("still a Python after hiding {hidden:?}");
}

#[test]
fn pyrus_libpython_naming_a_missing_file_is_refused_clearly() {
    let dir = test_dir("missing-libpython");
    let lib = dir.join("no-such/libpython3.12.so.1.0").display().to_string();
    refused(&dir, &[("PYRUS_LIBPYTHON", &lib)], &format!("pyrus: PYRUS_LIBPYTHON={lib} can't be loaded ("));
}

#[test]
fn pyrus_libpython_without_its_standard_library_is_refused_clearly() {
    // Python 3.99 would do, but a libpython alone would end Pd at start.
    let dir = test_dir("lone-libpython");
    let lib = libpython_double(&dir, "3.99", "3.99.1 (test double)");
    let lib_text = lib.display().to_string();
    let refusal = format!(
        "pyrus: PYRUS_LIBPYTHON={lib_text} is Python 3.99.1, whose standard library is missing (lib/python3.99/os.py"
    );
    refused(&dir, &[("PYRUS_LIBPYTHON", &lib_text)], &refusal);
}

/// The console line of the loader: `pyrus: Python X.Y.Z from LIBRARY (WHY)`,
/// with the library's real path.
fn chosen(t: &Transcript) -> (String, PathBuf, String) {
    let lines: Vec<&String> = t.lines.iter().filter(|l| l.starts_with("pyrus: Python ")).collect();
    assert_eq!(lines.len(), 1, "one line says which Python: {}", t.text());
    let rest = lines[0].strip_prefix("pyrus: Python ").unwrap();
    let (release, rest) = rest.split_once(" from ").unwrap();
    let (library, why) = rest.split_once(" (").unwrap();
    let library = std::fs::canonicalize(library).unwrap_or_else(|e| panic!("{library}: {e}: {}", t.text()));
    (release.to_owned(), library, why.trim_end_matches(')').to_owned())
}

/// The real path of the libpython of the build's Python.
fn build_libpython() -> PathBuf {
    let soname = ask("__import__('sysconfig').get_config_var('INSTSONAME')");
    let dir = ask("__import__('sysconfig').get_config_var('LIBDIR')");
    let multiarch = ask("__import__('sysconfig').get_config_var('MULTIARCH') or ''");
    let candidates = [Path::new(&dir).join(&multiarch).join(&soname), Path::new(&dir).join(&soname)];
    let lib = candidates.iter().find(|p| p.is_file()).unwrap_or_else(|| panic!("no {soname} in {dir}"));
    std::fs::canonicalize(lib).unwrap()
}

#[test]
fn the_console_says_which_python_was_chosen_and_why() {
    let dir = test_dir("chosen");
    let t = python_says(&dir, &["6 * 7", "sys.version.split()[0]"], &[]);
    let (release, library, why) = chosen(&t);
    assert_eq!(why, "newest on the system", "{}", t.text());
    // The Python that runs is the one the line names.
    assert_eq!(symbols(&t), ["42".to_owned(), release.clone()], "{}", t.text());
    let minor = |r: &str| r.split('.').nth(1).and_then(|m| m.parse::<u32>().ok()).unwrap();
    let name = library.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("libpython3.{}.so", minor(&release))), "{}", t.text());
    // The build's Python, unless the system has a newer one.
    let build = ask("__import__('sys').version.split()[0]");
    assert!(minor(&release) >= minor(&build), "{}", t.text());
    if minor(&release) == minor(&build) {
        assert_eq!((release, library), (build, build_libpython()), "{}", t.text());
    }
}

#[test]
fn pyrus_libpython_naming_a_python_is_the_one_used() {
    let dir = test_dir("named-libpython");
    let lib = build_libpython().display().to_string();
    let t = python_says(&dir, &["sys.version.split()[0]"], &[("PYRUS_LIBPYTHON", &lib)]);
    let (release, library, why) = chosen(&t);
    assert_eq!((library, why.as_str()), (build_libpython(), "PYRUS_LIBPYTHON"), "{}", t.text());
    assert_eq!(symbols(&t), [release], "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}

#[test]
fn the_base_python_of_a_venv_is_chosen_and_its_own_packages_are_imported() {
    let dir = test_dir("venv-base");
    let venv = dir.join("venv");
    let out = Command::new(PYTHON)
        .args(["-m", "venv", "--without-pip", "--system-site-packages"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{PYTHON} -m venv: {}", String::from_utf8_lossy(&out.stderr));
    // A package only the venv has.
    let site = venv.join("lib").join(ask("'python%d.%d' % __import__('sys').version_info[:2]")).join("site-packages");
    std::fs::create_dir_all(site.join("onlyhere")).unwrap();
    std::fs::write(site.join("onlyhere/__init__.py"), "WHERE = 'only-in-the-venv'\n").unwrap();
    let venv_text = venv.display().to_string();
    let numpy = ask("__import__('importlib.util').util.find_spec('numpy') is not None");
    for var in ["PYRUS_VENV", "VIRTUAL_ENV"] {
        let exprs = ["__import__('onlyhere').WHERE", "importlib.util.find_spec('numpy') is not None"];
        let t = python_says(&dir, &exprs, &[(var, &venv_text)]);
        let (_, library, why) = chosen(&t);
        assert_eq!(why, format!("the base Python of the venv {var}={venv_text}"), "{}", t.text());
        assert_eq!(library, build_libpython(), "{}", t.text());
        // Its own package, and (--system-site-packages) the base's.
        assert_eq!(symbols(&t), ["only-in-the-venv".to_owned(), numpy.clone()], "{}", t.text());
        assert!(t.errors().is_empty(), "{}", t.text());
    }
}
