//! Host-neutral atoms and messages.
//!
//! Pd and Max both speak in messages made of a selector and a list of atoms, where
//! an atom is a number or a symbol. This crate is that common ground, with no
//! dependency on either host nor on Python: host crates translate their own atoms
//! into these, the engine crates only ever see these.
//!
//! Hosts differ in their numbers: Pd has floats only, Max has ints and floats as
//! separate types. [`Atom`] can carry both; a host says which it has with
//! [`Numbers`], and narrows an [`Atom::Int`] to its float if it has no ints.
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

/// One element of a message: an int, a float or a symbol.
///
/// Floats are `f64`, the widest float any host uses (Max and double-precision Pd);
/// a single-precision host widens on the way in and narrows on the way out. Ints
/// are `i64`, Max's `A_LONG`; a host without ints (Pd) never makes one, and sends
/// one it is given as its nearest float.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom<'a> {
    Int(i64),
    Float(f64),
    Symbol(Cow<'a, str>),
}

/// The numbers a host's atoms have: what conversion to and from Python, and
/// code text, must keep apart.
///
/// It lives here, beside [`Atom`], rather than with the engine's `Host`
/// trait: it describes the atoms a host speaks, needs neither the engine nor
/// Python, and is plain `Copy` data that any thread may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// One kind of number, a float with `mantissa_bits` bits of precision (Pd:
    /// 24, or 53 in a double-precision Pd). An integral one stands for an int
    /// too: nobody can tell `2` from `2.0`.
    Floats { mantissa_bits: u32 },
    /// Ints (`i64`) and floats (`f64`) as separate types (Max's `A_LONG` and
    /// `A_FLOAT`): `2` is an int, `2.` a float.
    IntsAndFloats,
}

impl Numbers {
    /// Whether ints are a type of their own.
    pub fn has_ints(self) -> bool {
        self == Numbers::IntsAndFloats
    }
}

/// An atom that owns its text, fit to cross threads.
pub type OwnedAtom = Atom<'static>;

impl<'a> Atom<'a> {
    pub fn symbol(s: impl Into<Cow<'a, str>>) -> Self {
        Atom::Symbol(s.into())
    }

    pub fn into_owned(self) -> OwnedAtom {
        match self {
            Atom::Int(i) => Atom::Int(i),
            Atom::Float(f) => Atom::Float(f),
            Atom::Symbol(s) => Atom::Symbol(Cow::Owned(s.into_owned())),
        }
    }

    /// Any number as an `f64` (an int beyond ±2^53 rounded), so that a
    /// numeric check holds for either kind.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Atom::Int(i) => Some(*i as f64),
            Atom::Float(f) => Some(*f),
            Atom::Symbol(_) => None,
        }
    }

    /// An int, or a float that is a whole number within `i64`; None for
    /// anything else.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Atom::Int(i) => Some(*i),
            // 2^63 is the first float outside i64; every integral float below it fits.
            Atom::Float(f) if f.fract() == 0.0 && *f >= -(2f64.powi(63)) && *f < 2f64.powi(63) => Some(*f as i64),
            _ => None,
        }
    }

    pub fn as_symbol(&self) -> Option<&str> {
        match self {
            Atom::Int(_) | Atom::Float(_) => None,
            Atom::Symbol(s) => Some(s),
        }
    }
}

impl From<i64> for Atom<'_> {
    fn from(i: i64) -> Self {
        Atom::Int(i)
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

/// Formats as Pd prints it: ints and integral floats without a fraction,
/// other floats in their shortest form, symbols as they are. (Code text,
/// where `2.0` must stay a float, is the engine's business.)
impl fmt::Display for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Int(i) => write!(f, "{i}"),
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
/// The common shapes get their own variants so that hot paths (a number in,
/// a number out) neither allocate nor compare selector strings.
#[derive(Clone, Debug, PartialEq)]
pub enum Message<'a> {
    Bang,
    /// Max's `int` message; a host without ints sends it as a float.
    Int(i64),
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
    /// `bang`, `int I`, `float F`, `symbol S` and `list ...` become those
    /// variants, as Pd and Max do when they receive them. The selector says
    /// the kind: `float 2` is a float; `int 2.5` stays a message named `int`
    /// (nothing is truncated here).
    pub fn from_selector(selector: impl Into<Cow<'a, str>>, args: Vec<Atom<'a>>) -> Self {
        let selector = selector.into();
        match (&*selector, args.as_slice()) {
            ("bang", []) => Message::Bang,
            ("int", [Atom::Int(i)]) => Message::Int(*i),
            ("float", [Atom::Float(f)]) => Message::Float(*f),
            ("float", [Atom::Int(i)]) => Message::Float(*i as f64),
            ("symbol", [Atom::Symbol(s)]) => Message::Symbol(s.clone()),
            ("list", _) => Message::List(Cow::Owned(args)),
            _ => Message::Anything(selector, Cow::Owned(args)),
        }
    }

    /// The selector as the host names it.
    pub fn selector(&self) -> &str {
        match self {
            Message::Bang => "bang",
            Message::Int(_) => "int",
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
            Message::Int(i) => Cow::Owned(vec![Atom::Int(*i)]),
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
            Message::Int(i) => Message::Int(i),
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
            Message::Int(i) => write!(f, "{i}"),
            Message::Float(x) => write_number(f, *x),
            Message::Symbol(s) => write!(f, "symbol {s}"),
            Message::List(a) => {
                if !matches!(a.first(), Some(Atom::Int(_) | Atom::Float(_))) {
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

/// The text of a host's symbol (a C string the host never frees): as it is
/// when it is UTF-8, else decoded with replacement characters (U+FFFD), with
/// `false` so that the host can say a symbol was repaired.
pub fn symbol_text(bytes: &'static std::ffi::CStr) -> (Cow<'static, str>, bool) {
    match bytes.to_str() {
        Ok(text) => (Cow::Borrowed(text), true),
        Err(_) => (Cow::Owned(bytes.to_string_lossy().into_owned()), false),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn symbol_text_is_borrowed_when_utf8_and_repaired_otherwise() {
        assert_eq!(super::symbol_text(c"caf\xc3\xa9"), (std::borrow::Cow::Borrowed("caf\u{e9}"), true));
        assert_eq!(super::symbol_text(c"caf\xe9").0, "caf\u{fffd}");
        assert!(!super::symbol_text(c"caf\xe9").1);
    }

    use super::*;

    #[test]
    fn selectors_normalise_like_pd() {
        assert_eq!(Message::from_selector("bang", vec![]), Message::Bang);
        assert_eq!(Message::from_selector("float", vec![2.0.into()]), Message::Float(2.0));
        assert_eq!(Message::from_selector("symbol", vec!["a".into()]), Message::Symbol("a".into()));
        assert_eq!(Message::from_selector("list", vec![1.0.into()]), Message::List(vec![Atom::Float(1.0)].into()));
        assert_eq!(Message::from_selector("int", vec![Atom::Int(-3)]), Message::Int(-3));
        // The selector says the kind: `float 2` is a float; `int 2.5` is not truncated.
        assert_eq!(Message::from_selector("float", vec![Atom::Int(2)]), Message::Float(2.0));
        assert!(matches!(Message::from_selector("int", vec![2.5.into()]), Message::Anything(..)));
        assert_eq!(Message::Int(7).selector(), "int");
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
        // Ints print as integers, at any size (a float that large would not).
        assert_eq!(Message::Int(i64::MIN).to_string(), "-9223372036854775808");
        assert_eq!(Atom::Int(i64::MAX).to_string(), "9223372036854775807");
        let l = Message::List(vec![Atom::Int(2), Atom::Float(2.0), Atom::Float(2.5)].into());
        assert_eq!(l.to_string(), "2 2 2.5");
    }

    #[test]
    fn numbers_of_either_kind_answer_as_floats_and_whole_ones_as_ints() {
        assert_eq!(Atom::Int(3).as_float(), Some(3.0));
        assert_eq!(Atom::Float(2.5).as_float(), Some(2.5));
        assert_eq!(Atom::Int(-4).as_int(), Some(-4));
        assert_eq!(Atom::Float(-4.0).as_int(), Some(-4));
        assert_eq!(Atom::Float(2.5).as_int(), None);
        assert_eq!(Atom::Float(2f64.powi(63)).as_int(), None);
        assert_eq!(Atom::Float(-(2f64.powi(63))).as_int(), Some(i64::MIN));
        assert_eq!(Atom::Float(f64::NAN).as_int(), None);
        assert_eq!(Atom::symbol("a").as_int(), None);
        assert_eq!(Atom::Int(1).as_symbol(), None);
        assert!(Numbers::IntsAndFloats.has_ints());
        assert!(!Numbers::Floats { mantissa_bits: 24 }.has_ints());
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
        assert_eq!(Message::Int(1).args().as_ref(), &[Atom::Int(1)]);
        assert_eq!(Message::Int(1).into_owned(), Message::Int(1));
        assert_eq!(Atom::Int(5).into_owned(), Atom::Int(5));
        assert!(Message::Bang.args().is_empty());
    }
}
