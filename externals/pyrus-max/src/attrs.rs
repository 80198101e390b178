//! An object's options as Max attributes: `@detach 1 @latest` among the
//! creation arguments, `detach 2` as a message later, as Max users set
//! attributes. Each option of the engine's [`OptionSet::NAMES`] is an
//! attribute of type `long` with a getter and a setter of its own:
//!
//! - during creation (`attr_args_process`), the setter fills the options
//!   the object is being made with, through the engine's [`OptionSet::set`]
//!   (a bad value is `CLASS: WHY; ignored`, attributed, as in Pd);
//! - afterwards the setter forwards the value to the engine as the runtime
//!   message of that name (the same validation, the same status output; a
//!   class that defines `in_0_detach` gets it, as in Pd).
//!
//! The getter answers from the options the object was last set to through
//! its attributes (the engine keeps its own; a setter that the engine
//! refuses leaves both unchanged).
//!
//! # Threading
//! The setters and getters run where Max calls them: creation on main, a
//! message on main or scheduler. What they touch is a `Mutex` held for
//! O(1) steps and the object's methods' own path (the gate).

use crate::atoms::{from_max, gensym};
use crate::host::return_long;
use crate::trampoline::guard;
use pyrus_engine::atoms::Atom;
use pyrus_engine::{OptionSet, Options, UsbOptions};
use pyrus_max_sys as max;
use std::ffi::{c_long, c_void, CString};

/// An object type whose options are attributes.
pub trait Attributed {
    type Options: OptionSet + Copy;
    /// The class name, for errors.
    const CLASS: &'static str;
    /// The object's field that points to the options being filled during
    /// creation ([`from_args`] sets it; null once the object is made).
    ///
    /// # Safety
    /// `x` is a live object of this type, on the thread running its method.
    unsafe fn creating_field(x: *mut Self) -> *mut *mut Creating<Self::Options>;

    /// The options being filled during creation, if the object is being made.
    ///
    /// # Safety
    /// As [`Attributed::creating_field`].
    unsafe fn creating(x: *mut Self) -> Option<*mut Creating<Self::Options>> {
        // SAFETY: per the contract, the field of a live object.
        let creating = unsafe { *Self::creating_field(x) };
        (!creating.is_null()).then_some(creating)
    }
    /// Sets option `name` of a made object (through its gate).
    ///
    /// # Safety
    /// As [`Attributed::creating`].
    unsafe fn set_live(x: *mut Self, name: &'static str, value: Vec<Atom<'static>>);
    /// The options a made object was last set to.
    ///
    /// # Safety
    /// As [`Attributed::creating`].
    unsafe fn options(x: *mut Self) -> Option<Self::Options>;
}

/// What the setters fill while an object is being made.
pub struct Creating<O> {
    pub options: O,
    pub outlets: std::sync::Arc<crate::host::MaxOutlets>,
}

/// The options an object is made with: the defaults, and then its `@name
/// values...` creation arguments, each through its attribute's setter
/// (`attr_args_process` calls them; they fill the options through the
/// object's [`Attributed::creating_field`], which points to them only for
/// the length of this call). A bad value is reported through `outlets`.
///
/// # Safety
/// `x` is the object being made, on the main thread; Max passes `argc`
/// valid atoms at `argv`.
pub unsafe fn from_args<T: Attributed>(
    x: *mut T,
    outlets: &std::sync::Arc<crate::host::MaxOutlets>,
    argc: c_long,
    argv: *mut max::t_atom,
) -> T::Options
where
    T::Options: Default,
{
    let mut creating = Creating { options: T::Options::default(), outlets: outlets.clone() };
    // SAFETY: per the contract. `creating` outlives attr_args_process, which
    // calls our setters (they read it through the field) and nothing after;
    // the field is null again before it goes. Max's count is a short.
    unsafe {
        *T::creating_field(x) = &mut creating;
        max::attr_args_process(x.cast(), argc as std::ffi::c_short, argv);
        *T::creating_field(x) = std::ptr::null_mut();
    }
    creating.options
}

/// An option's value as the attribute's one `long`.
pub trait Values {
    fn value(&self, name: &str) -> i64;
}

impl Values for Options {
    fn value(&self, name: &str) -> i64 {
        match name {
            "detach" => self.detach as i64,
            "queue" => self.queue as i64,
            "latest" => i64::from(self.latest),
            "watch" => i64::from(self.watch),
            _ => 0,
        }
    }
}

impl Values for UsbOptions {
    fn value(&self, name: &str) -> i64 {
        match name {
            "raw" => i64::from(self.raw),
            "reconnect" => i64::from(self.reconnect),
            _ => 0,
        }
    }
}

type Setter<T> = unsafe extern "C" fn(*mut T, *mut c_void, c_long, *mut max::t_atom) -> max::t_max_err;
type Getter<T> = unsafe extern "C" fn(*mut T, *mut c_void, *mut c_long, *mut *mut max::t_atom) -> max::t_max_err;

/// The accessors of options 0..4 (no option set has more).
fn accessors<T: Attributed>() -> [(Getter<T>, Setter<T>); 4]
where
    T::Options: Values,
{
    [(get::<T, 0>, set::<T, 0>), (get::<T, 1>, set::<T, 1>), (get::<T, 2>, set::<T, 2>), (get::<T, 3>, set::<T, 3>)]
}

/// Adds an attribute for each of `T`'s options to `class`.
///
/// # Safety
/// `class` is `T`'s class being made, on the main thread during ext_main.
pub unsafe fn add<T: Attributed>(class: *mut max::t_class)
where
    T::Options: Values,
{
    let names = <T::Options as OptionSet>::NAMES;
    assert!(names.len() <= 4, "accessors cover four options");
    for (option, (getter, setter)) in names.iter().zip(accessors::<T>()) {
        let name = CString::new(option.name).expect("option names have no NUL");
        // SAFETY: per the contract. The accessors have Max's attribute getter
        // and setter signatures; the offset is unused (both are custom).
        unsafe {
            let attr = max::attr_offset_new(
                name.as_ptr(),
                gensym("long"),
                0,
                Some(std::mem::transmute::<Getter<T>, unsafe extern "C" fn()>(getter)),
                Some(std::mem::transmute::<Setter<T>, unsafe extern "C" fn()>(setter)),
                0,
            );
            max::class_addattr(class, attr);
            let label = CString::new(format!("{} ({})", option.name, option.takes)).expect("no NUL");
            max::class_attr_addattr_parse(class, name.as_ptr(), c"label".as_ptr(), gensym("symbol"), 0, label.as_ptr());
            if option.is_switch() {
                max::class_attr_addattr_parse(
                    class,
                    name.as_ptr(),
                    c"style".as_ptr(),
                    gensym("symbol"),
                    0,
                    c"onoff".as_ptr(),
                );
            }
        }
    }
}

unsafe extern "C" fn set<T: Attributed, const N: usize>(
    x: *mut T,
    _attr: *mut c_void,
    argc: c_long,
    argv: *mut max::t_atom,
) -> max::t_max_err
where
    T::Options: Values,
{
    guard("attribute", max::MAX_ERR_GENERIC, || {
        let name = <T::Options as OptionSet>::NAMES[N].name;
        let mut ok = true;
        // SAFETY: Max passes argc valid atoms.
        let value = unsafe { from_max(argc, argv, &mut ok) };
        // SAFETY: Max calls the setter of a live object of our class.
        match unsafe { T::creating(x) } {
            Some(creating) => {
                // SAFETY: the creator's local, live while attr_args_process runs.
                let creating = unsafe { &mut *creating };
                if let Err(why) = creating.options.set(name, &value) {
                    use pyrus_engine::Outlets;
                    creating.outlets.error(&format!("{}: {why}; ignored", T::CLASS));
                }
            }
            // SAFETY: as above.
            None => unsafe { T::set_live(x, name, value) },
        }
        max::MAX_ERR_NONE
    })
}

unsafe extern "C" fn get<T: Attributed, const N: usize>(
    x: *mut T,
    _attr: *mut c_void,
    argc: *mut c_long,
    argv: *mut *mut max::t_atom,
) -> max::t_max_err
where
    T::Options: Values,
{
    guard("attribute", max::MAX_ERR_GENERIC, || {
        let name = <T::Options as OptionSet>::NAMES[N].name;
        // SAFETY: Max calls the getter of a live object of our class.
        let options = unsafe { T::creating(x).map(|c| (*c).options).or_else(|| T::options(x)) };
        let Some(options) = options else { return max::MAX_ERR_GENERIC };
        // SAFETY: Max passes a getter's argc and argv.
        unsafe { return_long(argc, argv, options.value(name)) }
    })
}
