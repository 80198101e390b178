//! Records which libpython the real externals link against, so the loaders
//! can check for it before the host tries to load them: the target's file
//! name for the minor version of `PYO3_PYTHON` (or of
//! `PYO3_CROSS_PYTHON_VERSION`, for a cross build).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-env-changed=PYO3_CROSS_PYTHON_VERSION");
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let query = "import sysconfig as s; print(s.get_config_var('INSTSONAME') or s.get_config_var('LDLIBRARY')); print(s.get_config_var('VERSION'))";
    let out = Command::new(&python).args(["-c", query]).output().expect("PYO3_PYTHON (or python3) runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8 from python");
    let mut lines = text.lines();
    let host_soname = lines.next().unwrap_or("").trim().to_owned();
    let host_version = lines.next().unwrap_or("").trim().to_owned();
    let cross = std::env::var("PYO3_CROSS_PYTHON_VERSION").ok().filter(|v| !v.is_empty());
    let version = cross.clone().unwrap_or(host_version);
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let host_os = std::env::consts::OS;
    let soname = match target_os.as_str() {
        "windows" => format!("python{}.dll", version.replace('.', "")),
        "macos" => format!("libpython{version}.dylib"),
        _ if cross.is_none() && target_os == host_os => host_soname,
        _ => format!("libpython{version}.so.1.0"),
    };
    assert!(!soname.is_empty(), "{python} reports no shared libpython (was it built with --enable-shared?)");
    println!("cargo:rustc-env=PYRUS_LIBPYTHON={soname}");
    println!("cargo:rustc-env=PYRUS_PYTHON_VERSION={version}");
}
