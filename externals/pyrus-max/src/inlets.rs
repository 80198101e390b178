//! Inlets after the leftmost: Max proxies. A message to a proxy reaches the
//! object's own method; `proxy_getinlet` then says which inlet it came in
//! (Max keeps that per thread, for the message being delivered).
//!
//! # Threading
//! Made and freed on the main thread, during the object's creation and free.

use pyrus_max_sys as max;
use std::ffi::{c_long, c_void};

/// Makes inlets 1..count for `object`, right to left (Max adds each at the
/// left of the ones before), returning the proxies.
///
/// # Safety
/// `object` must be the live object being created, on the main thread;
/// `stuff` a place in it that lives as long as it does.
pub unsafe fn create(object: *mut max::t_object, stuff: *mut c_long, count: usize) -> Vec<*mut c_void> {
    (1..count)
        .rev()
        // SAFETY: per the contract; the id is the inlet's index.
        .map(|index| unsafe { max::proxy_new(object.cast::<c_void>(), index as c_long, stuff) })
        .collect()
}

/// The inlet the message being delivered now came in (0 for the leftmost).
///
/// # Safety
/// `object` is the live object whose method is running on this thread.
pub unsafe fn current(object: *mut max::t_object) -> usize {
    // SAFETY: per the contract.
    usize::try_from(unsafe { max::proxy_getinlet(object) }).unwrap_or(0)
}

/// Frees the proxies.
///
/// # Safety
/// Each came from [`create`] and is freed once, from the owner's free.
pub unsafe fn free(proxies: &[*mut c_void]) {
    for &proxy in proxies {
        if !proxy.is_null() {
            // SAFETY: per the contract.
            unsafe { max::object_free(proxy) };
        }
    }
}
