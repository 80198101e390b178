//! The library's global receiver (`[; pyrus workers 4(`, `[; pyrus
//! reload(`, `[; pyrus reload MODULE(`): what its messages mean and say,
//! for every host, which only binds a receiver to `pyrus` and forwards.
//!
//! # Threading
//! A host thread of the context, outside any call (as [`Context::reload`]).

use crate::context::Context;
use pyrus_atoms::Atom;

/// The most worker threads `workers N` sets.
const MOST_WORKERS: f64 = 256.0;

impl Context {
    /// Handles one message to the global receiver: `workers N` (1 to 256)
    /// and `reload [MODULE]`; anything else, or a wrong argument, is an
    /// error line in this context's console saying what it takes.
    pub fn control(&self, selector: &str, args: &[Atom<'_>]) {
        let host = self.host();
        match selector {
            "workers" => {
                let n = match args {
                    [n] => n.as_float().filter(|n| (1.0..=MOST_WORKERS).contains(n) && n.fract() == 0.0),
                    _ => None,
                };
                let Some(n) = n else {
                    let given = super::options::join(args);
                    return host.error(&format!("pyrus: workers takes a whole number from 1 to 256, not '{given}'"));
                };
                crate::pool::set_workers(n as usize);
                host.post(&format!("pyrus: {} worker threads", n as usize));
            }
            "reload" => match args {
                [] => self.reload(None),
                [module] => self.reload(Some(&module.to_string())),
                _ => host.error("pyrus: reload takes no module or one"),
            },
            _ => host
                .error(&format!("pyrus: the pyrus receiver takes 'workers N' and 'reload [MODULE]', not '{selector}'")),
        }
    }
}
