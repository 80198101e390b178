//! `pyrus.so` and `pyrus.usb.so` (two copies of this library), the files
//! Max loads for `[pyrus]` and `[pyrus.usb]`: a small loader with no Python
//! in it, as the Pd one (`pyrus-pd-loader`). It finds and loads a Python
//! (saying which one and why in the Max window) and then the real external,
//! `libpyrus_max.so`, from its own folder (both steps are `pyrus-loader`'s),
//! and calls the real external's entry point, which
//! registers both classes (once, whichever file Max loads first).
//!
//! If either step fails, it registers stand-in classes `pyrus` and
//! `pyrus.usb` whose creators say why in the Max window and make no
//! object: the reason is printed at load and again at every box typed.
//!
//! # Thread contract
//! `ext_main` is called by Max, once per file, on the main thread; the
//! stand-ins' creators by Max on the main thread (object creation).

use pyrus_max_sys as max;
use std::ffi::{c_int, c_long, c_void, CStr, CString};
use std::sync::OnceLock;

/// The real external, in the same folder as this loader (`libpyrus_max.so`,
/// `pyrus_max.dll`, `libpyrus_max.dylib`: see `pyrus_loader::core_file`).
const CORE: &str = "pyrus_max";
const CORE_MAIN: &CStr = c"pyrus_max_main";

/// Called by Max when it loads `pyrus.so` or `pyrus.usb.so`.
///
/// # Safety
/// Called by Max, once, on its main thread.
#[no_mangle]
pub unsafe extern "C" fn ext_main(_r: *mut c_void) {
    // A panic must not unwind into Max; there is nothing to clean up.
    let _ = std::panic::catch_unwind(|| {
        if let Err(why) = load() {
            error(&why);
            stand_in(why);
        }
    });
}

fn load() -> Result<(), String> {
    let python = pyrus_loader::load_python()?;
    post(&python.line());
    let main = pyrus_loader::load_core(CORE, CORE_MAIN, &python)?;
    // SAFETY: pyrus_max_main is `unsafe extern "C" fn()` in the real
    // external, made to be called by ext_main on Max's main thread: now.
    unsafe {
        let main: unsafe extern "C" fn() = std::mem::transmute::<*mut c_void, unsafe extern "C" fn()>(main);
        main();
    }
    Ok(())
}

static WHY: OnceLock<String> = OnceLock::new();

/// Registers `pyrus` and `pyrus.usb` classes whose objects cannot be made
/// and say why: without them, Max would only say that there is no such
/// object.
fn stand_in(why: String) {
    let _ = WHY.set(why);
    type New = unsafe extern "C" fn(*mut max::t_symbol, c_long, *mut max::t_atom) -> *mut c_void;
    for name in [c"pyrus", c"pyrus.usb"] {
        // SAFETY: Max's class API on the main thread during ext_main;
        // `refuse` has the A_GIMME creator signature and never returns an
        // object, so the size is only the header's. The type list ends with 0.
        unsafe {
            let class = max::class_new(
                name.as_ptr(),
                Some(std::mem::transmute::<New, unsafe extern "C" fn()>(refuse)),
                None,
                std::mem::size_of::<max::t_object>() as c_long,
                None,
                max::A_GIMME,
                0 as c_int,
            );
            max::class_register(max::gensym(c"box".as_ptr()), class);
        }
    }
}

unsafe extern "C" fn refuse(_s: *mut max::t_symbol, _argc: c_long, _argv: *mut max::t_atom) -> *mut c_void {
    if let Some(why) = WHY.get() {
        error(why);
    }
    std::ptr::null_mut()
}

fn post(text: &str) {
    let text = CString::new(text.replace('\0', " ")).expect("NULs replaced");
    // SAFETY: "%s" with one valid C string; Max's main thread.
    unsafe { max::post(c"%s".as_ptr(), text.as_ptr()) };
}

fn error(text: &str) {
    let text = CString::new(text.replace('\0', " ")).expect("NULs replaced");
    // SAFETY: "%s" with one valid C string; Max's main thread.
    unsafe { max::error(c"%s".as_ptr(), text.as_ptr()) };
}
