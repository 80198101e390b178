//! An object's options (`detach`, `queue`, `latest`, `watch`; `[pyrus.usb]`'s
//! `raw` and `reconnect`) as typed values, with the one validation that both
//! creation and the runtime messages go through.
//!
//! A host crate reads its own syntax (Pd: `-detach 1` anywhere in the
//! creation arguments; Max: `@detach 1`) into names and values and hands
//! each pair to [`OptionSet::set`]; the object's runtime message `detach 2`
//! goes through the same `set`, so a bad value gets the same words whichever
//! way it came. The names, and what each takes, are listed once
//! ([`OptionSet::NAMES`]) for hosts' parsers, their "unknown flag" errors,
//! and help.
//!
//! Why `set(name, atoms)` rather than a typed `Setting` enum the host
//! builds: a host only ever has a name and atoms, and what the atoms must be
//! is the engine's to say; a `Setting` would only move the same match into
//! a second function that each host calls first.
//!
//! It also holds the words an object takes for itself ([`RESERVED`],
//! [`OWN`]) and `join`, the atoms' text that errors quote: below Python and
//! the object, so that both use them.
//!
//! # Threading
//! Plain values; built and set on whichever thread creates or messages the
//! object (a host thread).

use pyrus_atoms::Atom;

/// The messages an object handles itself, at its left inlet, instead of
/// passing them to its target. A class that defines `in_0_WORD` for one of
/// them gets that word (its own command stays reachable as `pyrus WORD`);
/// to call a function with one of them first, send `list WORD ...`.
pub const RESERVED: &[&str] =
    &["import", "eval", "exec", "load", "call", "reload", "detach", "latest", "queue", "stop", "watch", "open"];

/// The own words that run Python code in the object's namespace (the first
/// of [`RESERVED`]).
pub const PYTHON_MESSAGES: &[&str] = &["import", "eval", "exec", "load", "call", "reload"];

/// The selector that reaches the object's own command whatever its class
/// defines: `pyrus stop`, `pyrus eval 1 + 1`. No class can take it.
pub const OWN: &str = "pyrus";

/// Outstanding detached jobs an object accepts by default (the `queue` option).
pub const DEFAULT_QUEUE: usize = 1024;

/// Where an object's calls run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detach {
    /// On the host thread that delivered the message, now.
    Sync = 0,
    /// On a worker, one at a time, in arrival order.
    Serial = 1,
    /// On the pool, as many at once as workers are free; results in
    /// completion order.
    Concurrent = 2,
}

/// Message atoms as the host prints them, separated by spaces: for what
/// errors quote of a message (code text is [`crate::python::convert::code_text`]).
pub(crate) fn join(args: &[Atom<'_>]) -> String {
    args.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

/// One option: its name and what it takes, as errors and help say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionName {
    pub name: &'static str,
    /// Its value in a synopsis (`N`), or empty for a switch: a switch takes
    /// 0 or 1, and nothing means 1.
    pub value: &'static str,
    /// What it takes: "`{name}` takes `{takes}`, not '...'".
    pub takes: &'static str,
}

impl OptionName {
    /// Whether it is a switch (its value may be left out).
    pub fn is_switch(&self) -> bool {
        self.value.is_empty()
    }

    /// `names` as a host's users write them: with `prefix` "-",
    /// "-detach N, -latest, -queue N and -watch".
    pub fn synopsis(names: &[OptionName], prefix: &str) -> String {
        let each: Vec<String> =
            names
                .iter()
                .map(|o| {
                    if o.is_switch() {
                        format!("{prefix}{}", o.name)
                    } else {
                        format!("{prefix}{} {}", o.name, o.value)
                    }
                })
                .collect();
        match each.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

/// A set of options: the names it knows, and the one validation of their
/// values. A host's parser needs nothing else: for each name and value in
/// its syntax, [`OptionSet::set`], and report the error it returns.
pub trait OptionSet {
    /// The options, in the order the docs list them.
    const NAMES: &'static [OptionName];

    /// Sets option `name` from `value`, as typed at creation or sent as a
    /// message; an unknown name or a value it does not take is an error
    /// saying what it takes, and changes nothing.
    fn set(&mut self, name: &str, value: &[Atom<'_>]) -> Result<(), String>;
}

/// The error for a value option `name` of `O` does not take: what it takes,
/// from the table.
fn refuse<O: OptionSet>(name: &str, value: &[Atom<'_>]) -> String {
    let takes = O::NAMES.iter().find(|o| o.name == name).map_or("", |o| o.takes);
    format!("{name} takes {takes}, not '{}'", join(value))
}

/// The error for a name `O` does not have.
fn unknown<O: OptionSet>(name: &str) -> String {
    format!("unknown option '{name}': the options are {}", OptionName::synopsis(O::NAMES, ""))
}

/// What a switch's value means: nothing or 1 is on, 0 is off.
const SWITCH: &str = "0 or 1 (nothing means 1)";

/// The options of a `[pyrus]` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Where its calls run.
    pub detach: Detach,
    /// Detached jobs it accepts outstanding; more are dropped (and counted).
    pub queue: usize,
    /// A new detached job replaces the one still waiting to start.
    pub latest: bool,
    /// The target is reloaded when its script files are saved.
    pub watch: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { detach: Detach::Sync, queue: DEFAULT_QUEUE, latest: false, watch: false }
    }
}

impl OptionSet for Options {
    const NAMES: &'static [OptionName] = &[
        OptionName { name: "detach", value: "N", takes: "0, 1 or 2" },
        OptionName { name: "latest", value: "", takes: SWITCH },
        OptionName { name: "queue", value: "N", takes: "a whole number of jobs, 1 or more" },
        OptionName { name: "watch", value: "", takes: SWITCH },
    ];

    fn set(&mut self, name: &str, value: &[Atom<'_>]) -> Result<(), String> {
        let refused = || refuse::<Self>(name, value);
        match name {
            "detach" => self.detach = only_number(value).and_then(detach_mode).ok_or_else(refused)?,
            "queue" => self.queue = only_number(value).and_then(job_limit).ok_or_else(refused)?,
            "latest" => self.latest = switch(value).ok_or_else(refused)?,
            "watch" => self.watch = switch(value).ok_or_else(refused)?,
            _ => return Err(unknown::<Self>(name)),
        }
        Ok(())
    }
}

/// The options of a `[pyrus.usb]` object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsbOptions {
    /// Also emit `raw` MIDI bytes and whole HID `report`s.
    pub raw: bool,
    /// Local devices: open the device again after a re-plug.
    pub reconnect: bool,
}

impl OptionSet for UsbOptions {
    const NAMES: &'static [OptionName] = &[
        OptionName { name: "raw", value: "", takes: SWITCH },
        OptionName { name: "reconnect", value: "", takes: SWITCH },
    ];

    fn set(&mut self, name: &str, value: &[Atom<'_>]) -> Result<(), String> {
        let option = match name {
            "raw" => &mut self.raw,
            "reconnect" => &mut self.reconnect,
            _ => return Err(unknown::<Self>(name)),
        };
        *option = switch(value).ok_or_else(|| refuse::<Self>(name, value))?;
        Ok(())
    }
}

fn detach_mode(n: f64) -> Option<Detach> {
    match n {
        0.0 => Some(Detach::Sync),
        1.0 => Some(Detach::Serial),
        2.0 => Some(Detach::Concurrent),
        _ => None,
    }
}

/// The one number `value` holds, if that is all it holds.
fn only_number(value: &[Atom<'_>]) -> Option<f64> {
    match value {
        [atom] => atom.as_float(),
        _ => None,
    }
}

/// A job limit: a whole number, 1 or more.
fn job_limit(n: f64) -> Option<usize> {
    (n >= 1.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX)).then_some(n as usize)
}

/// Nothing or 1 (on), or 0 (off).
fn switch(value: &[Atom<'_>]) -> Option<bool> {
    if value.is_empty() {
        return Some(true);
    }
    only_number(value).filter(|&n| n == 0.0 || n == 1.0).map(|n| n == 1.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_python_messages_are_the_first_own_words() {
        assert_eq!(&super::RESERVED[..super::PYTHON_MESSAGES.len()], super::PYTHON_MESSAGES);
    }

    use super::*;
    use std::borrow::Cow;

    fn atoms(text: &str) -> Vec<Atom<'_>> {
        text.split_whitespace()
            .map(|w| w.parse::<f64>().map(Atom::Float).unwrap_or(Atom::Symbol(Cow::Borrowed(w))))
            .collect()
    }

    fn set(name: &str, value: &str) -> Result<Options, String> {
        let mut options = Options::default();
        options.set(name, &atoms(value)).map(|()| options)
    }

    #[test]
    fn defaults() {
        let o = Options::default();
        assert_eq!((o.detach, o.queue, o.latest, o.watch), (Detach::Sync, DEFAULT_QUEUE, false, false));
        assert_eq!(UsbOptions::default(), UsbOptions { raw: false, reconnect: false });
    }

    #[test]
    fn every_name_takes_its_good_values() {
        let default = Options::default();
        for (value, mode) in [("0", Detach::Sync), ("1", Detach::Serial), ("2", Detach::Concurrent)] {
            assert_eq!(set("detach", value), Ok(Options { detach: mode, ..default }));
        }
        assert_eq!(set("queue", "1"), Ok(Options { queue: 1, ..default }));
        assert_eq!(set("queue", "4294967295"), Ok(Options { queue: 4_294_967_295, ..default }));
        for (value, on) in [("", true), ("1", true), ("0", false)] {
            assert_eq!(set("latest", value), Ok(Options { latest: on, ..default }), "latest {value}");
            assert_eq!(set("watch", value), Ok(Options { watch: on, ..default }), "watch {value}");
            for name in ["raw", "reconnect"] {
                let mut usb = UsbOptions { raw: !on, reconnect: !on };
                usb.set(name, &atoms(value)).unwrap();
                assert_eq!(if name == "raw" { usb.raw } else { usb.reconnect }, on, "{name} {value}");
                assert_eq!(if name == "raw" { usb.reconnect } else { usb.raw }, !on, "{name} {value}: only {name}");
            }
        }
        // A switch set off is set on again by its bare name.
        let mut o = Options { latest: false, ..default };
        o.set("latest", &[]).unwrap();
        assert!(o.latest);
    }

    #[test]
    fn bad_values_say_what_the_option_takes_and_change_nothing() {
        let cases = [
            ("detach", "3", "detach takes 0, 1 or 2, not '3'"),
            ("detach", "-1", "detach takes 0, 1 or 2, not '-1'"),
            ("detach", "1.5", "detach takes 0, 1 or 2, not '1.5'"),
            ("detach", "1 2", "detach takes 0, 1 or 2, not '1 2'"),
            ("detach", "", "detach takes 0, 1 or 2, not ''"),
            ("detach", "serial", "detach takes 0, 1 or 2, not 'serial'"),
            ("queue", "0", "queue takes a whole number of jobs, 1 or more, not '0'"),
            ("queue", "2.5", "queue takes a whole number of jobs, 1 or more, not '2.5'"),
            ("queue", "4294967296", "queue takes a whole number of jobs, 1 or more, not '4294967296'"),
            ("queue", "", "queue takes a whole number of jobs, 1 or more, not ''"),
            ("queue", "many", "queue takes a whole number of jobs, 1 or more, not 'many'"),
            ("latest", "2", "latest takes 0 or 1 (nothing means 1), not '2'"),
            ("latest", "foo", "latest takes 0 or 1 (nothing means 1), not 'foo'"),
            ("latest", "1 1", "latest takes 0 or 1 (nothing means 1), not '1 1'"),
            ("watch", "0.5", "watch takes 0 or 1 (nothing means 1), not '0.5'"),
            ("detch", "1", "unknown option 'detch': the options are detach N, latest, queue N and watch"),
        ];
        for (name, value, why) in cases {
            let mut o = Options { detach: Detach::Serial, queue: 7, latest: true, watch: true };
            let before = o;
            assert_eq!(o.set(name, &atoms(value)), Err(why.to_owned()), "{name} {value}");
            assert_eq!(o, before, "{name} {value} changed nothing");
        }
        for (name, value, why) in [
            ("raw", "2", "raw takes 0 or 1 (nothing means 1), not '2'"),
            ("reconnect", "on", "reconnect takes 0 or 1 (nothing means 1), not 'on'"),
            ("rw", "", "unknown option 'rw': the options are raw and reconnect"),
        ] {
            let mut o = UsbOptions { raw: true, reconnect: false };
            assert_eq!(o.set(name, &atoms(value)), Err(why.to_owned()), "{name} {value}");
            assert_eq!(o, UsbOptions { raw: true, reconnect: false });
        }
    }

    /// The table and `set` agree: every name listed is one `set` knows, and
    /// its refusal quotes the table's "takes".
    #[test]
    fn every_listed_name_is_set_and_refused_by_its_table_entry() {
        fn check<O: OptionSet + Default>() {
            for option in O::NAMES {
                let bad = [Atom::Float(7.5)];
                let why = O::default().set(option.name, &bad).expect_err("7.5 fits no option");
                assert_eq!(why, format!("{} takes {}, not '7.5'", option.name, option.takes));
                let good = if option.is_switch() { &[][..] } else { &[Atom::Float(1.0)][..] };
                assert_eq!(O::default().set(option.name, good), Ok(()), "{}", option.name);
            }
        }
        check::<Options>();
        check::<UsbOptions>();
    }

    #[test]
    fn synopsis_lists_the_names_in_a_hosts_spelling() {
        assert_eq!(OptionName::synopsis(Options::NAMES, "-"), "-detach N, -latest, -queue N and -watch");
        assert_eq!(OptionName::synopsis(Options::NAMES, "@"), "@detach N, @latest, @queue N and @watch");
        assert_eq!(OptionName::synopsis(UsbOptions::NAMES, "-"), "-raw and -reconnect");
        assert_eq!(OptionName::synopsis(&UsbOptions::NAMES[..1], "-"), "-raw");
        assert_eq!(OptionName::synopsis(&[], "-"), "");
    }
}
