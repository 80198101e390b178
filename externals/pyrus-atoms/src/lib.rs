//! Host-neutral atoms and messages.
//!
//! Pd and Max both speak in messages made of a selector and a list of atoms, where
//! an atom is a number or a symbol. This crate is that common ground, with no
//! dependency on either host nor on Python: host crates translate their own atoms
//! into these, the engine crates only ever see these.
//!
//! Messages borrow where they can (`Cow`), so the synchronous path from a host's
//! inlet to Python copies nothing, and are made `'static` with
//! [`Message::into_owned`] when they must cross a thread.
//!
//! # Threading
//! Plain data: `Send + Sync`, usable on any thread.
#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::fmt;

/// One element of a message: a number or a symbol.
///
/// Numbers are `f64`, the widest float any host uses (Max and double-precision Pd);
/// a single-precision host widens on the way in and narrows on the way out.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom<'a> {
    Float(f64),
    Symbol(Cow<'a, str>),
}

/// An atom that owns its text, fit to cross threads.
pub type OwnedAtom = Atom<'static>;

impl<'a> Atom<'a> {
    pub fn symbol(s: impl Into<Cow<'a, str>>) -> Self {
        Atom::Symbol(s.into())
    }

    pub fn into_owned(self) -> OwnedAtom {
        match self {
            Atom::Float(f) => Atom::Float(f),
            Atom::Symbol(s) => Atom::Symbol(Cow::Owned(s.into_owned())),
        }
    }

    pub fn as_float(&self) -> Option<f64> {
        match self {
            Atom::Float(f) => Some(*f),
            Atom::Symbol(_) => None,
        }
    }

    pub fn as_symbol(&self) -> Option<&str> {
        match self {
            Atom::Float(_) => None,
            Atom::Symbol(s) => Some(s),
        }
    }
}

impl From<f64> for Atom<'_> {
    fn from(f: f64) -> Self {
        Atom::Float(f)
    }
}

impl<'a> From<&'a str> for Atom<'a> {
    fn from(s: &'a str) -> Self {
        Atom::Symbol(Cow::Borrowed(s))
    }
}

impl From<String> for Atom<'_> {
    fn from(s: String) -> Self {
        Atom::Symbol(Cow::Owned(s))
    }
}

/// Formats as a host would print it: integral numbers without a fraction,
/// others in their shortest form, symbols as they are.
impl fmt::Display for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Float(x) => write_number(f, *x),
            Atom::Symbol(s) => f.write_str(s),
        }
    }
}

fn write_number(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        write!(f, "{}", x as i64)
    } else {
        write!(f, "{x}")
    }
}

/// A message as Pd and Max both know it.
///
/// The four common shapes get their own variants so that hot paths (a float in,
/// a float out) neither allocate nor compare selector strings.
#[derive(Clone, Debug, PartialEq)]
pub enum Message<'a> {
    Bang,
    Float(f64),
    Symbol(Cow<'a, str>),
    /// A list of any length; hosts send a one-float list as a float.
    List(Cow<'a, [Atom<'a>]>),
    /// Any other selector with its arguments.
    Anything(Cow<'a, str>, Cow<'a, [Atom<'a>]>),
}

/// A message that owns everything in it, fit to cross threads.
pub type OwnedMessage = Message<'static>;

impl<'a> Message<'a> {
    /// A message with an arbitrary selector, normalised to the host's own shapes:
    /// `bang`, `float F`, `symbol S` and `list ...` become those variants, as Pd
    /// does when it receives them.
    pub fn from_selector(selector: impl Into<Cow<'a, str>>, args: Vec<Atom<'a>>) -> Self {
        let selector = selector.into();
        match (&*selector, args.as_slice()) {
            ("bang", []) => Message::Bang,
            ("float", [Atom::Float(f)]) => Message::Float(*f),
            ("symbol", [Atom::Symbol(s)]) => Message::Symbol(s.clone()),
            ("list", _) => Message::List(Cow::Owned(args)),
            _ => Message::Anything(selector, Cow::Owned(args)),
        }
    }

    /// The selector as the host names it.
    pub fn selector(&self) -> &str {
        match self {
            Message::Bang => "bang",
            Message::Float(_) => "float",
            Message::Symbol(_) => "symbol",
            Message::List(_) => "list",
            Message::Anything(s, _) => s,
        }
    }

    /// The arguments after the selector, as atoms.
    pub fn args(&self) -> Cow<'_, [Atom<'a>]> {
        match self {
            Message::Bang => Cow::Borrowed(&[]),
            Message::Float(f) => Cow::Owned(vec![Atom::Float(*f)]),
            Message::Symbol(s) => Cow::Owned(vec![Atom::Symbol(s.clone())]),
            Message::List(a) | Message::Anything(_, a) => Cow::Borrowed(a),
        }
    }

    pub fn into_owned(self) -> OwnedMessage {
        fn owned_atoms(a: Cow<'_, [Atom<'_>]>) -> Cow<'static, [OwnedAtom]> {
            Cow::Owned(a.into_owned().into_iter().map(Atom::into_owned).collect())
        }
        match self {
            Message::Bang => Message::Bang,
            Message::Float(f) => Message::Float(f),
            Message::Symbol(s) => Message::Symbol(Cow::Owned(s.into_owned())),
            Message::List(a) => Message::List(owned_atoms(a)),
            Message::Anything(s, a) => Message::Anything(Cow::Owned(s.into_owned()), owned_atoms(a)),
        }
    }
}

/// Formats as Pd's `[print]` shows a message: `bang`, `1.5`, `symbol foo`,
/// `list 1 2` (a list that starts with a number prints without `list`), `foo 1 2`.
impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Bang => f.write_str("bang"),
            Message::Float(x) => write_number(f, *x),
            Message::Symbol(s) => write!(f, "symbol {s}"),
            Message::List(a) => {
                if !matches!(a.first(), Some(Atom::Float(_))) {
                    f.write_str("list")?;
                    if !a.is_empty() {
                        f.write_str(" ")?;
                    }
                }
                write_atoms(f, a)
            }
            Message::Anything(s, a) => {
                f.write_str(s)?;
                if !a.is_empty() {
                    f.write_str(" ")?;
                }
                write_atoms(f, a)
            }
        }
    }
}

fn write_atoms(f: &mut fmt::Formatter<'_>, atoms: &[Atom<'_>]) -> fmt::Result {
    for (i, a) in atoms.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_normalise_like_pd() {
        assert_eq!(Message::from_selector("bang", vec![]), Message::Bang);
        assert_eq!(Message::from_selector("float", vec![2.0.into()]), Message::Float(2.0));
        assert_eq!(Message::from_selector("symbol", vec!["a".into()]), Message::Symbol("a".into()));
        assert_eq!(Message::from_selector("list", vec![1.0.into()]), Message::List(vec![Atom::Float(1.0)].into()));
        // `float` with a symbol argument is not a float message.
        assert_eq!(Message::from_selector("float", vec!["x".into()]).selector(), "float");
        assert!(matches!(Message::from_selector("float", vec!["x".into()]), Message::Anything(..)));
    }

    #[test]
    fn display_matches_pd_print() {
        assert_eq!(Message::Float(3.0).to_string(), "3");
        assert_eq!(Message::Float(-0.25).to_string(), "-0.25");
        assert_eq!(Message::Symbol("hé".into()).to_string(), "symbol hé");
        let l = Message::List(vec![Atom::Float(1.0), "a".into()].into());
        assert_eq!(l.to_string(), "1 a");
        let l = Message::List(vec!["a".into(), Atom::Float(1.0)].into());
        assert_eq!(l.to_string(), "list a 1");
        let m = Message::Anything("note".into(), vec![Atom::Float(1.0), Atom::Float(60.0)].into());
        assert_eq!(m.to_string(), "note 1 60");
        assert_eq!(Message::Anything("clock".into(), Vec::new().into()).to_string(), "clock");
    }

    #[test]
    fn args_and_owned_round_trip() {
        let text = String::from("sym");
        let m = Message::Anything(Cow::Borrowed("cc"), vec![Atom::symbol(text.as_str())].into());
        let owned: OwnedMessage = m.clone().into_owned();
        drop(text);
        assert_eq!(owned.selector(), "cc");
        assert_eq!(owned.args().as_ref(), &[Atom::Symbol("sym".into())]);
        assert_eq!(Message::Float(1.0).args().as_ref(), &[Atom::Float(1.0)]);
        assert!(Message::Bang.args().is_empty());
    }
}
