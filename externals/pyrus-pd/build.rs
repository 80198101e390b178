//! On Windows a Pd external resolves Pd's functions from `pd.dll` when it is
//! linked: this links the core against Pd's import library `pd.lib`, in the
//! folder `PYRUS_PD_WINDOWS_LIB` names (`build/windows.sh` builds Pd for
//! Windows and sets it). Elsewhere Pd's functions resolve at load time.

fn main() {
    println!("cargo:rerun-if-env-changed=PYRUS_PD_WINDOWS_LIB");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let Ok(dir) = std::env::var("PYRUS_PD_WINDOWS_LIB") else {
        panic!(
            "PYRUS_PD_WINDOWS_LIB names no folder with Pd's pd.lib: build/package builds Pd for Windows and sets it"
        );
    };
    println!("cargo:rustc-link-search=native={dir}");
    // `-lpd`: mingw's ld takes pd.lib (or pd.dll) for it.
    println!("cargo:rustc-link-lib=dylib=pd");
}
