//! The Windows package in Pd for Windows under wine: finding a Python as a
//! Windows user provides one, and its deken package unpacked as a user gets
//! it (build/test's wine pass builds this file, with the `wine-tests`
//! feature, and runs it with `PYRUS_PD_UNDER_TEST=windows`; see
//! build/windows.sh). The rest of the suite runs there too.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::*;

fn wine() -> &'static Wine {
    match pd_under_test() {
        PdUnderTest::Windows(wine) => wine,
        PdUnderTest::Linux => {
            panic!("pd_windows runs in Pd for Windows: PYRUS_PD_UNDER_TEST=windows (test_pd_windows)")
        }
    }
}

/// A copy of the Windows package in `dir` (links to its files, which wine
/// follows), with the test Python's files linked into its `support/` folder
/// when `bundle` is set: python.org's embeddable package unzipped there.
fn package_copy(dir: &Path, bundle: bool) -> PathBuf {
    let link_all = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap().path();
            std::os::unix::fs::symlink(&entry, to.join(entry.file_name().unwrap())).unwrap();
        }
    };
    let package = dir.join("pyrus");
    link_all(&package_dir(), &package);
    if bundle {
        link_all(wine().python().parent().unwrap(), &package.join("support"));
    }
    package
}

/// `[pyrus]` asked `eval 6*7`, with `package` on Pd's path and no
/// PYRUS_LIBPYTHON (empty is unset), so the loader searches.
fn searched(dir: &Path, package: &Path) -> Transcript {
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[("py", "eval 6*7")]);
    let path = dir.join("searched.pd");
    p.write(&path);
    let t = run_pd_package_env(package, &path, &[], &[("PYRUS_LIBPYTHON", "")], Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "pd exited abnormally:\n{}", t.text());
    t
}

#[test]
fn a_python_in_the_package_support_folder_is_found_and_runs() {
    let dir = test_dir("win-support");
    let package = package_copy(&dir, true);
    let t = searched(&dir, &package);
    let dll = wine().python().file_name().unwrap().to_string_lossy();
    let from = format!("\\pyrus\\support\\{dll} (bundled in the package's support folder)");
    assert!(t.lines.iter().any(|l| l.starts_with("pyrus: Python 3.") && l.ends_with(&from)), "{}", t.text());
    assert_eq!(t.printed("py"), ["42"], "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}

#[test]
fn without_any_python_pd_says_what_to_install_and_carries_on() {
    let dir = test_dir("win-nopython");
    let package = package_copy(&dir, false);
    let t = searched(&dir, &package);
    let refusal = "pyrus: no Python 3.10 or newer was found (PYRUS_LIBPYTHON, a venv's base Python, \
                   the package's support folder and the registered installations)";
    // Once when Pd loads pyrus, once for the box that cannot be made.
    assert_eq!(t.errors().iter().filter(|l| l.starts_with(refusal)).count(), 2, "{}", t.text());
    assert!(t.printed("py").is_empty(), "{}", t.text());
    assert!(!t.contains("maximum object loading depth"), "{}", t.text());
}

/// `target/package/deken/pyrus[vX.Y.Z](Windows-amd64-32).dek`, beside the
/// Windows package (build/test's deken_packages writes it).
fn windows_dek() -> PathBuf {
    let name = format!("pyrus[v{}](Windows-amd64-32).dek", env!("CARGO_PKG_VERSION"));
    let dek = package_dir().join("../../deken").join(name);
    assert!(dek.exists(), "{} is missing: build/package (build/test does) writes it", dek.display());
    dek
}

#[test]
fn every_help_patch_of_the_windows_dek_opens_where_it_is_pd_s_only_externals_folder() {
    let ext = test_dir("win-dek").join("ext");
    let out = Command::new("unzip").arg("-q").arg(windows_dek()).arg("-d").arg(&ext).output().expect("unzip runs");
    assert!(out.status.success(), "unzip: {}", String::from_utf8_lossy(&out.stderr));
    let helps = help_patches(&ext.join("pyrus"));
    let path = ext.to_string_lossy().into_owned();
    for help in &helps {
        let name = help.file_name().unwrap().to_string_lossy().into_owned();
        // No search path but the folder that holds pyrus/, as a user's
        // externals folder is; Pd quits once the patch is loaded.
        let mut pd = wine().command();
        headless_bare(&mut pd, help.parent().unwrap());
        let t = run_command(pd, help, &["-nostdpath", "-path", &path, "-send", "pd quit"], Duration::from_secs(60));
        assert_eq!(t.status, Some(0), "{name}: {}", t.text());
        assert!(t.contains(&format!("pyrus {} for Pd", env!("CARGO_PKG_VERSION"))), "{name} loads pyrus: {}", t.text());
        assert!(!t.contains("couldn't create"), "{name}: {}", t.text());
        if name != "pyrus-demo.pd" {
            // The demo reports a deliberate error; the help patches none.
            assert!(t.errors().is_empty(), "{name} opens without errors:\n{}", t.text());
        }
    }
}
