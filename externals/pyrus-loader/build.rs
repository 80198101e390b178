//! Records which libpython the real externals link against, so the loaders
//! can check for it before the host tries to load them.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let query = "import sysconfig as s; print(s.get_config_var('INSTSONAME') or s.get_config_var('LDLIBRARY')); print(s.get_config_var('VERSION'))";
    let out = Command::new(&python).args(["-c", query]).output().expect("PYO3_PYTHON (or python3) runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8 from python");
    let mut lines = text.lines();
    let soname = lines.next().unwrap_or("").trim().to_owned();
    let version = lines.next().unwrap_or("").trim().to_owned();
    assert!(!soname.is_empty(), "{python} reports no shared libpython (was it built with --enable-shared?)");
    println!("cargo:rustc-env=PYRUS_LIBPYTHON={soname}");
    println!("cargo:rustc-env=PYRUS_PYTHON_VERSION={version}");
}
