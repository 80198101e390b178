//! Which Python pyrus runs, in real Pd: the installation of the libpython
//! it loaded whatever `python3` comes first on `PATH`, the virtualenv the
//! user chose (`PYRUS_VENV`, else `VIRTUAL_ENV`) if it fits, and a clear
//! refusal of a libpython of another minor version.

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

#[test]
fn pyrus_libpython_of_another_minor_version_is_refused_clearly() {
    let dir = test_dir("other-libpython");
    // A stand-in for a libpython3.99: all the loader asks of it is its version.
    let source = dir.join("fake.c");
    std::fs::write(&source, "const char *Py_GetVersion(void) { return \"3.99.1 (fake, for a test)\"; }\n").unwrap();
    let lib = dir.join("libpython3.99.so.1.0");
    let out = Command::new("cc").args(["-shared", "-fPIC", "-o"]).arg(&lib).arg(&source).output().expect("cc runs");
    assert!(out.status.success(), "cc: {}", String::from_utf8_lossy(&out.stderr));
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[("py", "eval 1")]);
    let path = dir.join("other.pd");
    p.write(&path);
    let lib_text = lib.display().to_string();
    let t = run_pd_env(&path, &[], &[("PYRUS_LIBPYTHON", &lib_text)], Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "{}", t.text());
    let version = ask("'%d.%d' % __import__('sys').version_info[:2]");
    let refusal = format!(
        "pyrus: PYRUS_LIBPYTHON={lib_text} is Python 3.99.1, and this build of pyrus is for Python {version}: "
    );
    // Once when Pd loads the library, then for the object it can't create.
    assert_eq!(t.errors().iter().filter(|l| l.starts_with(&refusal)).count(), 2, "{}", t.text());
    assert!(t.printed("py").is_empty(), "{}", t.text());
}
