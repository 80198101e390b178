//! PLACEHOLDER until helper h-lock's `call_lock` lands (its API, a simple
//! body): a per-object call lock, re-entrant on the thread that holds it.
//! It does not detect wait cycles between threads; the real one lends the
//! object to the blocked thread instead.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A per-object call lock.
pub(crate) struct CallLock {
    /// 0 when free, else the holder's thread tag.
    word: AtomicUsize,
}

/// Inside a [`CallLock`]; dropping it leaves.
#[must_use = "the call lock is left when the guard drops"]
pub(crate) struct CallGuard<'a> {
    lock: &'a CallLock,
    outermost: bool,
    _not_send: PhantomData<*const ()>,
}

fn tag() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    thread_local! {
        static TAG: Cell<usize> = const { Cell::new(0) };
    }
    TAG.with(|t| {
        if t.get() == 0 {
            t.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        t.get()
    })
}

impl CallLock {
    pub const fn new() -> Self {
        CallLock { word: AtomicUsize::new(0) }
    }

    /// Enters the lock for this thread; a contended wait runs in `wait`.
    #[inline]
    pub fn enter(&self, wait: impl FnOnce(&(dyn Fn() + Sync))) -> CallGuard<'_> {
        let me = tag();
        let word = self.word.load(Ordering::Relaxed);
        if word == me {
            return CallGuard { lock: self, outermost: false, _not_send: PhantomData };
        }
        let take = || self.word.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed).is_ok();
        if !take() {
            let block = || {
                while !take() {
                    std::thread::yield_now();
                }
            };
            wait(&block);
            if self.word.load(Ordering::Relaxed) != me {
                block();
            }
        }
        CallGuard { lock: self, outermost: true, _not_send: PhantomData }
    }
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        if self.outermost {
            self.lock.word.store(0, Ordering::Release);
        }
    }
}
