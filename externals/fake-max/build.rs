//! Builds the C half of the kernel (the variadic Max API functions, typed
//! calls, systhread and sysmem). On Linux the executable exports the whole
//! API, so externals that fake-max dlopens resolve their Max functions
//! against it; on Windows the kernel is the library MaxAPI.dll, whose C
//! functions export themselves (FM_EXPORT in csrc/shim.c).

fn main() {
    println!("cargo:rerun-if-changed=csrc/shim.c");
    println!("cargo:rerun-if-changed=include");
    let windows = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows");
    let mut shim = cc::Build::new();
    shim.file("csrc/shim.c").include("include").warnings(true).extra_warnings(true).cargo_metadata(false);
    if !windows {
        shim.flag("-pthread");
    }
    shim.compile("fakemax_shim");
    // The kernel is the executable on Linux and the library on Windows: the
    // shim goes into that one only, whole (nothing of the kernel's own code
    // calls most of what it exports).
    let archive = format!("{}/libfakemax_shim.a", std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let into = if windows { "cargo:rustc-cdylib-link-arg" } else { "cargo:rustc-link-arg-bins" };
    for arg in ["-Wl,--whole-archive", &archive, "-Wl,--no-whole-archive"] {
        println!("{into}={arg}");
    }
    if windows {
        // GNU ld resolves in order: the C runtime again after the shim,
        // which comes after the libraries rustc names.
        for lib in ["-lmingwex", "-lmsvcrt", "-lkernel32"] {
            println!("{into}={lib}");
        }
    }
    if !windows {
        // Externals resolve `post`, `class_new`, ... from the executable
        // itself, as a real external resolves them from Max.
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic");
        println!("cargo:rustc-link-arg-bins=-pthread");
    }
}
