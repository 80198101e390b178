//! A context's host-thread side of marshalling: the periodic service
//! ([`Context::service`]) that ends the GIL lease and carries out
//! deliveries to the objects of the context's registry (`context`).
//!
//! # Threading
//! The registry is behind one mutex in the context, held for O(1) steps
//! and never across a delivery (which may re-enter). [`Context::service`]
//! runs on a host thread of the context; registering and rebinding from
//! any thread (off a host thread of the object's context, a rebind only
//! pushes a delivery).

use crate::context::Context;
use crate::detach::marshal::{self, Delivery, ObjectId, BUDGET};
use crate::python::console;
use crate::python::gil;
use crate::usb::script as usb_script;
use std::sync::Weak;

impl Context {
    /// Carries out a delivery for `id`: to the object if it still exists, to
    /// the console if it belongs to no object (console output only).
    fn deliver(&self, id: ObjectId, delivery: Delivery) {
        // An object being made on another host thread gets it once made.
        let Some((object, delivery)) = self.route(id, delivery) else { return };
        if let Some(object) = object {
            return object.deliver(delivery);
        }
        if id != marshal::NO_OBJECT {
            return;
        }
        match delivery {
            Delivery::Post(text) => self.host().post(&text),
            Delivery::Error(text) => self.host().error(&text),
            Delivery::Hooks => crate::clocks::service(self),
            _ => {}
        }
    }

    /// Ends this thread's GIL lease and carries out up to [`BUDGET`] of this
    /// context's deliveries, in order; then reports what piled up. Returns
    /// whether more may come (deliveries left, jobs, script threads or
    /// devices still running), in which case the host calls it again next
    /// tick.
    ///
    /// Never blocks on another thread's work. It attaches to Python only
    /// where a `detach 0` object's call is due: a script device's events
    /// for its callback, a rebind after another object's reload, a watched
    /// file's reload (each as a call of that object, waiting for the GIL).
    /// Re-entrant: a delivery sent out of an outlet may lead to more
    /// messages, even to this function again.
    ///
    /// # Threading
    /// Any host thread of this context. One drains at a time, so that an
    /// object's deliveries keep their order: a call from a second host
    /// thread while another is in the service does nothing and returns
    /// `true` (come back next tick), having ended its own thread's GIL lease
    /// all the same (a lease is only ever released by the thread holding it,
    /// so the draining thread could not end it).
    pub fn service(&self) -> bool {
        let Some(_draining) = self.try_drain() else {
            gil::end_lease();
            return true;
        };
        self.as_host_thread(|| self.serve())
    }

    fn serve(&self) -> bool {
        gil::end_lease();
        // What piled up (dropped, replaced) happened before anything now in the mailbox.
        let dirty = self.take_dirty();
        for object in dirty.iter().filter_map(Weak::upgrade) {
            object.flush();
        }
        for (id, n) in self.mailbox().take_lost() {
            if let Some(object) = self.recipient(id) {
                let host = self.host().name();
                object.deliver(Delivery::Error(format!(
                    "pyrus: {n} outputs lost: {host} did not take any for {} s while they piled up \
                     (a detach 0 call waiting for a thread that sends?)",
                    marshal::PATIENCE.as_secs()
                )));
            }
        }
        // Scripts' clocks and receivers made or cancelled on workers, before
        // the output of the jobs that made them (which may lead straight to
        // a message for a receiver made there).
        crate::clocks::service(self);
        // Deliveries that waited for their objects to be made come first:
        // they are older than any of theirs still in the mailbox.
        for (id, d) in self.take_released() {
            self.deliver(id, d);
        }
        self.mailbox().drain(BUDGET, |id, d| self.deliver(id, d));
        // Detached calls' array requests (after the drain, which re-arms the waker).
        crate::arrays::serve(self);
        // Script output: partial lines of no object end with the pass; counts of
        // lines a flood left out, once their second is over.
        console::end_of_pass();
        console::windows(self).take_left_out(|id, d| self.deliver(id, d));
        // Scripts' devices with events: to their owners (no Python here).
        for device in usb_script::pending(self) {
            match self.recipient(device.owner()) {
                Some(owner) => owner.run(Box::new(device)),
                None => device.discard(),
            }
        }
        // Objects with queues of their own (USB devices). Dead ones drop out.
        let pollables = self.pollables();
        let mut more = false;
        for object in pollables {
            more |= object.poll();
        }
        // Whatever is still to come: work, held deliveries, counts (of lines
        // left out, of dropped calls), an episode of slow GIL waits (see `gil`).
        more || self.wants_service()
    }

    /// Whether a service has anything to do, now or later: deliveries
    /// waiting or still to come ([`Context::has_work`]), deliveries held for
    /// objects being made, counts to report (of outputs dropped or replaced,
    /// of console lines left out), or this thread's report of slow waits for
    /// the GIL. A host that cannot have a service come every tick asks
    /// this before arranging one.
    ///
    /// # Threading
    /// Any host thread of this context; O(1) locks.
    pub fn wants_service(&self) -> bool {
        self.has_work()
            || self.holds()
            || self.has_dirty()
            || console::windows(self).any_left_out()
            || gil::episode_pending()
            || crate::arrays::pending(self)
    }
}

#[cfg(all(test, feature = "test-host"))]
mod tests {
    use crate::gil;
    use crate::test_host::{self, TestHost};
    use crate::{Object, Options};
    use pyrus_atoms::Atom;
    use std::sync::mpsc;

    #[test]
    fn a_service_that_finds_another_thread_draining_still_ends_this_threads_lease() {
        test_host::start_python();
        let (host, ctx) = test_host::context(TestHost::with_service());
        let _o = Object::new(&ctx, host.clone(), &[Atom::symbol("builtins.abs")], Options::default(), None);
        assert!(gil::holds_lease(), "creating the object took a lease on this thread");
        let (held, is_held) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let drainer = std::thread::spawn({
            let ctx = ctx.clone();
            move || {
                let _draining = ctx.try_drain().expect("nobody else drains");
                held.send(()).unwrap();
                let _ = released.recv();
            }
        });
        is_held.recv().unwrap();
        let again = ctx.service();
        let leased = gil::holds_lease();
        release.send(()).unwrap();
        drainer.join().unwrap();
        gil::end_lease();
        assert!(again, "another thread drains: come back next tick");
        assert!(!leased, "this thread's lease ended all the same");
    }
}
