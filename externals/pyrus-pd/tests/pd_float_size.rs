//! A pyrus built for one float size, loaded into a Pd of the other: Pd
//! refuses its classes, and pyrus says which package to install instead of
//! crashing Pd (it went on with the class Pd had refused), at load and at
//! each box, which Pd then leaves uncreated (without the stand-in classes Pd
//! would load the library again for each box, a thousand deep). Both ways:
//! the 32-bit package in a double-precision Pd ("Pd64") that `build/test`
//! builds from Debian's own puredata source (`build_pd64` in build/pd64.sh,
//! at `$PYRUS_PD64`), and the Pd64 package (`package_pd64`, at
//! `$PYRUS_PD64_PACKAGE`) in Debian's 32-bit `pd`.

mod support;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::*;

/// The file named by the environment variable `var`, which build/test sets.
fn built(var: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from);
    match path {
        Some(path) if path.exists() => path,
        other => panic!("{var} ({other:?}) names no {what}: build/test builds it (build/pd64.sh) and sets it"),
    }
}

/// Runs `package` in the Pd `pd` of the other float size and checks that it
/// is refused with `why`, once at load and once per box, and that Pd goes on.
fn refused_with(pd: &Path, package: &Path, why: &str) {
    let dir = test_dir(&format!("float-size-{}", package.parent().unwrap().file_name().unwrap().to_string_lossy()));
    let mut p = Patch::new();
    p.obj("pyrus");
    p.obj("pyrus.usb");
    p.script(&[("alive", "bang")]);
    let r = p.obj("r alive");
    let said = p.obj("print alive");
    p.connect(r, 0, said, 0);
    let path = dir.join("float-size.pd");
    p.write(&path);
    let t = run_other_pd_package(pd, package, &path, &[], Duration::from_secs(60));
    assert_eq!(t.status, Some(0), "Pd must not crash: {}", t.text());
    assert!(t.contains("alive: bang"), "the rest of the patch runs: {}", t.text());
    // At load, then at each box (the stand-in classes' creator).
    assert_eq!(t.lines.iter().filter(|l| l.contains(why)).count(), 3, "{}", t.text());
    assert_eq!(t.lines.iter().filter(|l| l.contains("couldn't create")).count(), 2, "{}", t.text());
    assert!(!t.contains("maximum object loading depth"), "the library is loaded once: {}", t.text());
}

#[test]
fn a_32_bit_build_in_pd64_is_refused_with_what_to_install_and_pd_goes_on() {
    refused_with(
        &built("PYRUS_PD64", "Pd64 binary"),
        &package_dir(),
        "pyrus: this pyrus is built for Pd with 32-bit floats, and Pd refused it: install the pyrus package \
         built for a double-precision Pd (Pd64)",
    );
}

#[test]
fn a_pd64_build_in_32_bit_pd_is_refused_with_what_to_install_and_pd_goes_on() {
    refused_with(
        Path::new("pd"),
        &built("PYRUS_PD64_PACKAGE", "Pd64 package"),
        "pyrus: this pyrus is built for double-precision Pd (Pd64), and Pd refused it: install the pyrus \
         package built for a Pd with 32-bit floats",
    );
}
