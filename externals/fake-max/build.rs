//! Builds the C half of the kernel (the variadic Max API functions, typed
//! calls, systhread and sysmem) and exports the whole API from the executable,
//! so externals that fake-max dlopens resolve their Max functions against it.

fn main() {
    println!("cargo:rerun-if-changed=csrc/shim.c");
    println!("cargo:rerun-if-changed=include");
    cc::Build::new()
        .file("csrc/shim.c")
        .include("include")
        .warnings(true)
        .extra_warnings(true)
        .flag("-pthread")
        .compile("fakemax_shim");
    // Externals resolve `post`, `class_new`, ... from the executable itself,
    // as a real external resolves them from Max.
    println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic");
    println!("cargo:rustc-link-arg-bins=-pthread");
}
