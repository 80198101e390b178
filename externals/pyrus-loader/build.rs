//! Records the minor version of `PYO3_PYTHON` (or of
//! `PYO3_CROSS_PYTHON_VERSION`, for a cross build): what a core built
//! without the stable ABI is for.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-env-changed=PYO3_CROSS_PYTHON_VERSION");
    let version = match std::env::var("PYO3_CROSS_PYTHON_VERSION").ok().filter(|v| !v.is_empty()) {
        Some(version) => version,
        None => {
            let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
            let query = "import sysconfig; print(sysconfig.get_config_var('VERSION'))";
            let out = Command::new(&python).args(["-c", query]).output().expect("PYO3_PYTHON (or python3) runs");
            String::from_utf8(out.stdout).expect("UTF-8 from python").trim().to_owned()
        }
    };
    assert!(!version.is_empty(), "no Python version: set PYO3_PYTHON or PYO3_CROSS_PYTHON_VERSION");
    println!("cargo:rustc-env=PYRUS_PYTHON_VERSION={version}");
}
