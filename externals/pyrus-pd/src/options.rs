//! Pd's syntax for an object's options: `-NAME` anywhere in its creation
//! arguments, with the atom after it as its value when the option takes it
//! (`-detach 1`, `-queue 10`); a switch stands alone or takes 0 or 1
//! (`-latest`, `-latest 0`). Which names exist and what values they take is
//! the engine's ([`OptionSet`]); this only finds them in Pd's atoms.
//!
//! Every function here runs on Pd's scheduler thread, during an object's
//! creation.

use pyrus_engine::atoms::Atom;
use pyrus_engine::{Host, OptionName, OptionSet};
use std::slice;

/// Sets `options` from the flags in `args` and returns the other
/// arguments, in order. A value the option does not take is reported
/// through `host` (as `class: why; ignored`) and the atom after the flag
/// stays an argument, as Pd users' patches have always had it.
pub fn take_flags<'a, O: OptionSet>(args: &[Atom<'a>], options: &mut O, host: &dyn Host, class: &str) -> Vec<Atom<'a>> {
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i]
            .as_symbol()
            .and_then(|s| s.strip_prefix('-'))
            .filter(|name| O::NAMES.iter().any(|o| o.name == *name));
        let Some(name) = flag else {
            rest.push(args[i].clone());
            i += 1;
            continue;
        };
        // The atom after the flag is its value if the option takes it;
        // else a switch stands alone.
        match args.get(i + 1).map(|value| options.set(name, slice::from_ref(value))) {
            Some(Ok(())) => i += 1,
            with_value => {
                if let Err(alone) = options.set(name, &[]) {
                    let why = with_value.and_then(Result::err).unwrap_or(alone);
                    host.error(&format!("{class}: {why}; ignored"));
                }
            }
        }
        i += 1;
    }
    rest
}

/// The flags of `options`, as a Pd user types them: "-detach N, -latest, ...".
pub fn synopsis<O: OptionSet>() -> String {
    OptionName::synopsis(O::NAMES, "-")
}
