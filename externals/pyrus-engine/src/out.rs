//! Where an object's output goes, as the engine code that emits it (`core`,
//! `report`, `native`, `console`, script devices) sees it: one small enum,
//! so that none of it needs to know which thread it runs on.
//!
//! - [`Out::Direct`]: a call running on a host thread: the object's
//!   [`Outlets`] and its context's [`Host`], now, depth first.
//! - [`Out::Creating`]: the object is being created on a host thread: as
//!   direct, but what leaves an outlet waits in the mailbox until the host
//!   has made the outlets (after creation).
//! - [`Out::Marshal`]: a worker or a script's thread: everything goes
//!   through the mailbox ([`Sink`]).
//! - [`Out::Console`]: no object (the global reload): the context's console,
//!   and no outlets at all.
//!
//! It also makes the one status message of a failure ([`error_message`]),
//! for every status outlet (`[pyrus]`'s reports, `[pyrus.usb]`).
//!
//! # Threading
//! The host-thread forms are used on a host thread of their context only;
//! `Marshal` on any thread attached to Python.

use crate::context::Context;
use crate::detach::marshal::{Delivery, ObjectId};
use crate::detach::sink::{self, Sink};
use crate::host::{Host, NoReceiver, Outlets};
use pyrus_atoms::Message;
use std::sync::Arc;

pub(crate) enum Out {
    Direct { ctx: Context, outlets: Arc<dyn Outlets> },
    Creating { ctx: Context, outlets: Arc<dyn Outlets>, id: ObjectId },
    Marshal(Sink),
    Console(Context),
}

impl Out {
    /// The context the output goes to.
    pub fn ctx(&self) -> &Context {
        match self {
            Out::Direct { ctx, .. } | Out::Creating { ctx, .. } | Out::Console(ctx) => ctx,
            Out::Marshal(sink) => &sink.ctx,
        }
    }

    /// The context whose host thread this runs on, if it does (every form
    /// but `Marshal`).
    pub fn host_thread(&self) -> Option<&Context> {
        match self {
            Out::Marshal(_) => None,
            other => Some(other.ctx()),
        }
    }

    fn host(&self) -> Option<&dyn Host> {
        self.host_thread().map(Context::host)
    }

    /// A line in the console.
    pub fn post(&self, text: &str) {
        match self {
            Out::Marshal(sink) => sink.deliver(Delivery::Post(text.to_owned())),
            other => other.ctx().host().post(text),
        }
    }

    /// An error line, attributed to the object where it has one.
    pub fn error(&self, text: &str) {
        match self {
            Out::Direct { outlets, .. } | Out::Creating { outlets, .. } => outlets.error(text),
            Out::Console(ctx) => ctx.host().error(text),
            Out::Marshal(sink) => sink.deliver(Delivery::Error(text.to_owned())),
        }
    }

    /// Sends out of outlet `index`; the console has none, so nothing goes.
    #[inline(always)] // the match settles at compile time where `Out` is known, and a result's output is on every call
    pub fn outlet(&self, index: usize, message: &Message<'_>) {
        match self {
            Out::Direct { outlets, .. } => outlets.outlet(index, message),
            Out::Creating { ctx, id, .. } => {
                sink::push(ctx, *id, Delivery::Outlet(index, message.clone().into_owned()));
                ctx.host().request_service();
            }
            Out::Marshal(sink) => sink.outlet(index, message),
            Out::Console(_) => {}
        }
    }

    /// Sends to a receiver. Whether it exists is only known on a host
    /// thread: marshalled, a missing one is reported there.
    pub fn send(&self, name: &str, message: &Message<'_>) -> Result<(), NoReceiver> {
        match self {
            Out::Marshal(sink) => {
                sink.deliver(Delivery::Send(name.to_owned(), message.clone().into_owned()));
                Ok(())
            }
            other => other.ctx().host().send(name, message),
        }
    }

    /// The host's logical time: now on a host thread, as last noted elsewhere.
    pub fn logical_time(&self) -> f64 {
        match self.host() {
            Some(host) => host.logical_time(),
            None => self.ctx().time(),
        }
    }

    /// Carries out a delivery that is output (an outlet, a post, an error,
    /// a send; a send to no receiver is an error, also on the status outlet
    /// `status`), on the host thread the service runs on; hands back any
    /// other for its object to carry out.
    pub fn carry(&self, status: usize, delivery: Delivery) -> Option<Delivery> {
        match delivery {
            Delivery::Outlet(i, m) => self.outlet(i, &m),
            Delivery::Post(text) => self.post(&text),
            Delivery::Error(text) => self.error(&text),
            Delivery::Send(name, m) => {
                if let Err(e) = self.send(&name, &m) {
                    self.error(&format!("pyrus.send: {e}"));
                    self.outlet(status, &error_message(Some("LookupError"), &e.to_string()));
                }
            }
            other => return Some(other),
        }
        None
    }

    /// Asks for a service (see [`Host::request_service`]); a worker needs none.
    pub fn request_service(&self) -> bool {
        self.host().is_some_and(Host::request_service)
    }
}

/// The one status message of a failure, `error <kind> <words of text...>`
/// (no kind: `error <words...>`, as `[pyrus.usb]` says its errors): every
/// status outlet's error is made here.
pub(crate) fn error_message<'a>(kind: Option<&'a str>, text: &'a str) -> Message<'a> {
    let words = kind.into_iter().chain(text.split_whitespace());
    let atoms = words.map(|w| pyrus_atoms::Atom::Symbol(std::borrow::Cow::Borrowed(w))).collect();
    Message::Anything(std::borrow::Cow::Borrowed("error"), std::borrow::Cow::Owned(atoms))
}
