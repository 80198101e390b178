//! A pyrus built for one float size, loaded into a Pd of the other: Pd
//! refuses its classes, and pyrus says which package to install instead of
//! crashing Pd (it went on with the class Pd had refused), at load and at
//! each box, which Pd then leaves uncreated (without the stand-in classes Pd
//! would load the library again for each box, a thousand deep). Runs in a
//! double-precision Pd ("Pd64") that `build/test` builds from Debian's own
//! puredata source (`build_pd64` in build/lib.sh), at `$PYRUS_PD64`.

mod support;
use std::path::PathBuf;
use std::time::Duration;
use support::*;

fn pd64() -> PathBuf {
    let pd = std::env::var_os("PYRUS_PD64").map(PathBuf::from);
    match pd {
        Some(pd) if pd.is_file() => pd,
        other => panic!(
            "PYRUS_PD64 ({other:?}) names no Pd64 binary: build/test builds it from Debian's puredata \
             source (build_pd64 in build/lib.sh) and sets it"
        ),
    }
}

#[test]
fn a_32_bit_build_in_pd64_is_refused_with_what_to_install_and_pd_goes_on() {
    let dir = test_dir("pd64");
    let mut p = Patch::new();
    p.obj("pyrus");
    p.obj("pyrus.usb");
    p.script(&[("alive", "bang")]);
    let r = p.obj("r alive");
    let said = p.obj("print alive");
    p.connect(r, 0, said, 0);
    let path = dir.join("pd64.pd");
    p.write(&path);
    let t = run_other_pd(&pd64(), &path, &[], Duration::from_secs(60));
    assert_eq!(t.status, Some(0), "Pd64 must not crash: {}", t.text());
    assert!(t.contains("alive: bang"), "the rest of the patch runs: {}", t.text());
    let why = "pyrus: this pyrus is built for Pd with 32-bit floats, and Pd refused it: install the pyrus package \
               built for a double-precision Pd (Pd64)";
    // At load, then at each box (the stand-in classes' creator).
    assert_eq!(t.lines.iter().filter(|l| l.contains(why)).count(), 3, "{}", t.text());
    assert_eq!(t.lines.iter().filter(|l| l.contains("couldn't create")).count(), 2, "{}", t.text());
    assert!(!t.contains("maximum object loading depth"), "the library is loaded once: {}", t.text());
}
