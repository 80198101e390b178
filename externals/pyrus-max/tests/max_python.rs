//! Which Python the Max externals run, in the fake-max kernel: the loader
//! refuses a libpython older than 3.10 clearly, and a virtualenv
//! named by `PYRUS_VENV` (or an activated one) gives scripts its packages.

mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// What the Python the externals were built for says of `expr`.
fn ask(expr: &str) -> String {
    let out = Command::new("/usr/bin/python3").args(["-c", &format!("print({expr})")]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn pyrus_libpython_older_than_3_10_is_refused_clearly() {
    let dir = test_dir("old-libpython-lib");
    // A test double of a libpython3.9 (python39.dll for the Windows build):
    // all the loader asks of it is its version.
    let source = dir.join("double.c");
    let text = "const char *Py_GetVersion(void) { return \"3.9.18 (test double)\"; }\n";
    let (cc, lib, flags) = if windows() {
        let text = format!("__declspec(dllexport) {text}");
        std::fs::write(&source, text).unwrap();
        ("x86_64-w64-mingw32-gcc", dir.join("python39.dll"), ["-shared", "-O2"])
    } else {
        std::fs::write(&source, text).unwrap();
        ("cc", dir.join("libpython3.9.so.1.0"), ["-shared", "-fPIC"])
    };
    let out = Command::new(cc).args(flags).arg("-o").arg(&lib).arg(&source).output().expect("the compiler runs");
    assert!(out.status.success(), "{cc}: {}", String::from_utf8_lossy(&out.stderr));
    let lib_text = kernel_path(&lib);
    let mut m = Max::start_env("old-libpython", &[("PYRUS_LIBPYTHON", &lib_text)]);
    m.new_object("py", "pyrus");
    m.send("py", 0, "eval 1");
    let refusal = format!("PYRUS_LIBPYTHON={lib_text} is Python 3.9.18, and pyrus needs Python 3.10 or newer: ");
    m.expect_containing(&refusal);
    // No object is made (the stand-in class says why again), so the
    // kernel has none to send `eval 1` to; nothing crashed.
    m.expect_containing("no object \"py\"");
    let refusals = m.errors().iter().filter(|l| l.contains(&refusal)).count();
    assert_eq!(refusals, 2, "once at load, once for the object: {}", m.text());
    assert!(m.outs("py").is_empty(), "{}", m.text());
    m.quit();
}

#[test]
fn a_venv_named_by_pyrus_venv_gives_scripts_its_packages() {
    let dir = test_dir("venv-made");
    let venv = dir.join("venv");
    let (site, python) = if windows() { windows_venv(&venv) } else { linux_venv(&venv) };
    std::fs::write(site.join("venvmark.py"), "WHERE = 'in-the-venv'\n").unwrap();
    let venv_text = kernel_path(&venv);
    let mut m = Max::start_env("venv", &[("PYRUS_VENV", &venv_text), ("VIRTUAL_ENV", "/")]);
    m.new_object("py", "pyrus");
    m.send("py", 0, "eval __import__('venvmark').WHERE");
    m.send("py", 0, "eval __import__('sys').executable");
    m.until_outs("py", 2);
    assert_eq!(m.outlet("py", 0), ["symbol in-the-venv".to_owned(), format!("symbol {python}")], "{}", m.text());
    assert!(m.contains(&format!("packages from {venv_text}")), "{}", m.text());
    assert!(m.errors().is_empty(), "{}", m.text());
    m.quit();
}

/// A venv of the Python the Linux externals were built for: its
/// site-packages and its python.
fn linux_venv(venv: &Path) -> (PathBuf, String) {
    let out = Command::new("/usr/bin/python3").args(["-m", "venv", "--without-pip"]).arg(venv).output().unwrap();
    assert!(out.status.success(), "python3 -m venv: {}", String::from_utf8_lossy(&out.stderr));
    let site = venv.join("lib").join(ask("'python%d.%d' % __import__('sys').version_info[:2]")).join("site-packages");
    (site, venv.join("bin/python").display().to_string())
}

/// A venv of the Windows test Python (the externals' support/), laid out as
/// `python -m venv` makes one on Windows (the embeddable Python has no venv
/// module): pyvenv.cfg naming its home and version, Lib\site-packages,
/// Scripts\python.exe. Its site-packages and its python, as the kernel
/// names it.
fn windows_venv(venv: &Path) -> (PathBuf, String) {
    let support = max_linux().join("support");
    let dll = std::fs::read_dir(&support)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.starts_with("python3") && n.ends_with(".dll") && n != "python3.dll")
        .expect("a python3X.dll in support/");
    let minor = &dll["python3".len()..dll.len() - ".dll".len()];
    let (site, scripts) = (venv.join("Lib").join("site-packages"), venv.join("Scripts"));
    std::fs::create_dir_all(&site).unwrap();
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::copy(support.join("python.exe"), scripts.join("python.exe")).unwrap();
    let config =
        format!("home = {}\ninclude-system-site-packages = false\nversion = 3.{minor}.0\n", kernel_path(&support));
    std::fs::write(venv.join("pyvenv.cfg"), config).unwrap();
    (site, kernel_path(&scripts.join("python.exe")))
}
