//! What the kernel knows about classes, objects, inlets, outlets, proxies and
//! attributes, in one table behind one mutex. Pointers handed to externals
//! are kernel allocations ("tokens") that the table knows by address; they
//! are never freed, so a stale pointer is recognised (and reported) rather
//! than dereferenced. Any thread: the main thread creates and frees, both
//! Max threads deliver, any thread may call an outlet (and be reported).
//! The lock is never held while external code runs.

use super::abi::{Object, MAGIC};
use super::sync::lock;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// A function address of the external (0: none).
pub type FnAddr = usize;

#[derive(Clone)]
pub struct MethodDef {
    pub fun: FnAddr,
    pub types: Vec<i32>,
}

#[derive(Clone)]
pub struct AttrDef {
    pub name: String,
    pub ty: String,
    pub flags: i64,
    pub get: FnAddr,
    pub set: FnAddr,
    pub offset: usize,
    pub meta: Vec<(String, String)>,
}

pub struct ClassRec {
    pub name: String,
    pub new: FnAddr,
    pub free: FnAddr,
    pub size: usize,
    pub new_types: Vec<i32>,
    pub methods: HashMap<String, MethodDef>,
    /// Attribute tokens by name.
    pub attrs: HashMap<String, usize>,
    /// The name space it was registered in (`box`: creatable by `new`).
    pub name_space: Option<String>,
}

#[derive(Clone, Copy)]
pub enum InletKind {
    /// `intin(x, n)`: sends `in<n>` with an int.
    Int,
    /// `floatin(x, n)`: sends `ft<n>` with a float.
    Float,
    /// `proxy_new(x, n, &stuff)`: the message itself, with proxy_getinlet n.
    Proxy(usize),
}

pub struct ObjRec {
    pub class: usize,
    pub id: Option<String>,
    /// Outlets in creation order (the first made is the rightmost).
    pub outlets: Vec<usize>,
    /// Inlets after the leftmost in creation order (number, kind): the
    /// last made is inlet 1.
    pub inlets: Vec<(i64, InletKind)>,
    pub freed: bool,
}

pub struct ProxyRec {
    pub owner: usize,
    pub stuffloc: usize,
    pub freed: bool,
}

#[derive(Default)]
pub struct Registry {
    pub classes: HashMap<usize, ClassRec>,
    pub class_names: HashMap<String, usize>,
    pub objects: HashMap<usize, ObjRec>,
    /// Outlet token -> owner object.
    pub outlets: HashMap<usize, usize>,
    pub proxies: HashMap<usize, ProxyRec>,
    pub attrs: HashMap<usize, AttrDef>,
    /// The ID of the object a `new` command is creating: the first
    /// object_alloc takes it, so that what the object sends while it is
    /// being made (from another thread too) is labelled with it.
    pub creating: Option<String>,
}

pub fn reg() -> MutexGuard<'static, Registry> {
    static REG: OnceLock<Mutex<Registry>> = OnceLock::new();
    lock(REG.get_or_init(|| Mutex::new(Registry::default())))
}

/// A fresh 32-byte object header the kernel hands out as an opaque pointer
/// (class, attribute, outlet, proxy, clock, qelem); never freed.
pub fn token() -> usize {
    Box::into_raw(Box::new(Object {
        o_messlist: std::ptr::null_mut(),
        o_magic: MAGIC,
        o_inlet: std::ptr::null_mut(),
        o_outlet: std::ptr::null_mut(),
    })) as usize
}

impl Registry {
    /// The class and its name of a live object.
    pub fn class_of(&self, x: usize) -> Option<(&ClassRec, &ObjRec)> {
        let o = self.objects.get(&x)?;
        Some((self.classes.get(&o.class)?, o))
    }

    pub fn class_name_of(&self, x: usize) -> String {
        self.class_of(x).map(|(c, _)| c.name.clone()).unwrap_or_else(|| "?".into())
    }

    /// How an object is named in `out` lines: its ID, else its class.
    pub fn label(&self, x: usize) -> String {
        match self.objects.get(&x) {
            Some(ObjRec { id: Some(id), .. }) => id.clone(),
            _ => self.class_name_of(x),
        }
    }

    pub fn attr_of(&self, x: usize, name: &str) -> Option<(usize, AttrDef)> {
        let (c, _) = self.class_of(x)?;
        let t = *c.attrs.get(name)?;
        Some((t, self.attrs.get(&t)?.clone()))
    }
}
