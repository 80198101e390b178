//! The host's number model, end to end: one table of conversions, run for a
//! host with floats only (as Pd, 24-bit) and one with ints and floats (as
//! Max), on the scheduler thread (`detach 0`) and on a worker (`detach 1`),
//! against the recording `TestHost` and real CPython (numpy included).
//! Each row gives what each model must do: a number model that does not
//! reach conversion somewhere (a worker, a script's thread, `self.out`)
//! fails the ints+floats column there.

use pyrus_engine::atoms::{Atom, Message, Numbers, OwnedAtom, OwnedMessage};
use pyrus_engine::test_host::{self, outlet, serve_until, Event, TestHost};
use pyrus_engine::{Detach, Object, Options};
use pyrus_usb::{Event as UsbEvent, Midi};
use std::borrow::Cow;

const PROBE: &str = r#"
import threading
import pyrus

def kinds(*args):
    return " ".join(f"{type(a).__name__}:{a!r}" for a in args)

def from_thread(*values):
    t = threading.Thread(target=pyrus.out, args=values)
    t.start()
    t.join()

class Sender(pyrus.Object):
    def in_0_bang(self):
        self.out(0, 2, 2.0, True)
"#;

/// The object a row's message goes to.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// `[pyrus]` with `pyrus`, `numpy` and `probe` imported.
    Namespace,
    /// `[pyrus probe.kinds]`: answers with the type and repr of each argument.
    Kinds,
    /// `[pyrus probe.Sender]`.
    Class,
}

/// What a row must make leave the object.
#[derive(Clone, Debug, PartialEq)]
enum Out {
    /// This message, exactly (its atoms' kinds included), out of outlet 0.
    Sent(OwnedMessage),
    /// The same, with a warning posted that numbers in the code lost digits.
    Warned(OwnedMessage),
    /// A status line starting with this, and nothing out of outlet 0.
    Error(String),
}

fn sym(s: &str) -> OwnedAtom {
    Atom::Symbol(Cow::Owned(s.to_owned()))
}

fn list(atoms: Vec<OwnedAtom>) -> OwnedMessage {
    Message::List(Cow::Owned(atoms))
}

fn anything(selector: &'static str, atoms: Vec<OwnedAtom>) -> OwnedMessage {
    Message::Anything(Cow::Borrowed(selector), Cow::Owned(atoms))
}

/// `eval` of these host atoms (the code text is theirs, joined).
fn eval(atoms: Vec<OwnedAtom>) -> OwnedMessage {
    anything("eval", atoms)
}

/// `eval CODE`, the code one symbol: no host number in it.
fn eval_py(code: &str) -> OwnedMessage {
    eval(vec![sym(code)])
}

/// What `probe.kinds` answers: the type and repr of each argument.
fn kinds(text: &str) -> Out {
    symbol(text)
}

fn err(status: &str) -> Out {
    Out::Error(status.to_owned())
}

fn sent(m: OwnedMessage) -> Out {
    Out::Sent(m)
}

fn float(f: f64) -> Out {
    Out::Sent(Message::Float(f))
}

fn int(i: i64) -> Out {
    Out::Sent(Message::Int(i))
}

fn symbol(s: &str) -> Out {
    Out::Sent(Message::Symbol(Cow::Owned(s.to_owned())))
}

fn list_of(atoms: Vec<OwnedAtom>) -> Out {
    Out::Sent(list(atoms))
}

/// The table: per row, the target, the message, and what leaves for a
/// floats-only host and for an ints+floats host.
fn table() -> Vec<(Target, OwnedMessage, [Out; 2])> {
    use Atom::{Float as F, Int as I};
    use Target::*;
    let note = UsbEvent::Midi { cable: 0, msg: Midi::Note { ch: 1, pitch: 60, vel: 100 } }.to_message();
    vec![
        // Host -> Python.
        (Kinds, Message::Float(2.0), [kinds("int:2"), kinds("float:2.0")]),
        (Kinds, Message::Float(2.5), [kinds("float:2.5"), kinds("float:2.5")]),
        (Kinds, Message::Int(2), [kinds("int:2"), kinds("int:2")]),
        // Beyond 2^53 an integral float is no longer taken for an int.
        (
            Kinds,
            Message::Float(2f64.powi(53) + 2.0),
            [kinds("float:9007199254740994.0"), kinds("float:9007199254740994.0")],
        ),
        (
            Kinds,
            list(vec![I(1), F(1.0), F(0.5), sym("a")]),
            [kinds("int:1 int:1 float:0.5 str:'a'"), kinds("int:1 float:1.0 float:0.5 str:'a'")],
        ),
        // A MIDI note event's fields are ints: ints in Python whatever the host.
        (Kinds, note, [kinds("str:'note' int:1 int:60 int:100"), kinds("str:'note' int:1 int:60 int:100")]),
        // Python -> host, a result.
        (Namespace, eval_py("2.0"), [float(2.0), float(2.0)]),
        (Namespace, eval_py("2"), [float(2.0), int(2)]),
        (Namespace, eval_py("True"), [float(1.0), int(1)]),
        (Namespace, eval_py("-2**63"), [float(-(2f64.powi(63))), int(i64::MIN)]),
        (
            Namespace,
            eval_py("2**63"),
            [
                float(2f64.powi(63)),
                err(&format!(
                    "error OverflowError {} is outside the host's int range, {} to {}",
                    1u64 << 63,
                    i64::MIN,
                    i64::MAX
                )),
            ],
        ),
        (
            Namespace,
            eval_py("10**400"),
            [
                err("error OverflowError int too large to convert to float"),
                err("error OverflowError an int of 1329 bits is outside the host's int range"),
            ],
        ),
        (
            Namespace,
            eval_py("[1, 2.0, True, 'a']"),
            [list_of(vec![F(1.0), F(2.0), F(1.0), sym("a")]), list_of(vec![I(1), F(2.0), I(1), sym("a")])],
        ),
        (
            Namespace,
            eval_py("[1, 2**63]"),
            [
                list_of(vec![F(1.0), F(2f64.powi(63))]),
                err("error TypeError list element 1: 9223372036854775808 is outside the host's int range"),
            ],
        ),
        (Namespace, eval_py("b'\\x01\\xff'"), [list_of(vec![F(1.0), F(255.0)]), list_of(vec![I(1), I(255)])]),
        (
            Namespace,
            eval_py("pyrus.Message('note', 1, 60, 100)"),
            [
                sent(anything("note", vec![F(1.0), F(60.0), F(100.0)])),
                sent(anything("note", vec![I(1), I(60), I(100)])),
            ],
        ),
        (Namespace, eval_py("pyrus.Message('int', 3)"), [sent(anything("int", vec![F(3.0)])), int(3)]),
        (Namespace, eval_py("pyrus.Message('float', 3)"), [float(3.0), float(3.0)]),
        // numpy, through tolist().
        (Namespace, eval_py("numpy.int64(7)"), [float(7.0), int(7)]),
        (Namespace, eval_py("numpy.float32(0.5)"), [float(0.5), float(0.5)]),
        (Namespace, eval_py("numpy.array([1, 2])"), [list_of(vec![F(1.0), F(2.0)]), list_of(vec![I(1), I(2)])]),
        (Namespace, eval_py("numpy.array([1.0, 2.5])"), [list_of(vec![F(1.0), F(2.5)]), list_of(vec![F(1.0), F(2.5)])]),
        (
            Namespace,
            eval_py("numpy.uint64(2**64 - 1)"),
            [float(2f64.powi(64)), err("error OverflowError 18446744073709551615 is outside")],
        ),
        // Python -> host, sent: pyrus.out in the call, from a thread of the
        // call (the owner's model travels with it), and a class's self.out.
        (
            Namespace,
            anything("exec", vec![sym("pyrus.out(2, 2.0)")]),
            [list_of(vec![F(2.0), F(2.0)]), list_of(vec![I(2), F(2.0)])],
        ),
        (Namespace, eval_py("probe.from_thread(2, 2.0)"), [list_of(vec![F(2.0), F(2.0)]), list_of(vec![I(2), F(2.0)])]),
        (Class, Message::Bang, [list_of(vec![F(2.0), F(2.0), F(1.0)]), list_of(vec![I(2), F(2.0), I(1)])]),
        // Code text: a float stays a float where the host has ints.
        (Namespace, eval(vec![sym("repr("), F(2.0), sym(")")]), [symbol("2"), symbol("2.0")]),
        (Namespace, eval(vec![sym("repr("), I(2), sym(")")]), [symbol("2"), symbol("2")]),
        (Namespace, eval(vec![F(2.0), sym("/"), I(4)]), [float(0.5), float(0.5)]),
        (Namespace, eval(vec![F(7.0), sym("//"), I(2)]), [float(3.0), float(3.0)]),
        (
            Namespace,
            eval(vec![sym("type("), F(7.0), sym("//"), I(2), sym(").__name__")]),
            [symbol("int"), symbol("float")],
        ),
        (Namespace, eval(vec![sym("repr("), F(1e16), sym(")")]), [symbol("10000000000000000"), symbol("1e+16")]),
        (
            Namespace,
            eval(vec![sym("repr("), F(f64::INFINITY), sym(")")]),
            [err("error NameError name 'inf' is not defined"), symbol("inf")],
        ),
        // Digits a 24-bit float can't hold are named; an ints+floats host's
        // floats are Python's own.
        (Namespace, eval(vec![F(1.23456789012)]), [Out::Warned(Message::Float(1.23456789012)), float(1.23456789012)]),
    ]
}

fn outcome(events: &[Event]) -> Option<Out> {
    let data: Vec<&OwnedMessage> = events
        .iter()
        .filter_map(|e| match e {
            Event::Outlet(0, m) => Some(m),
            _ => None,
        })
        .collect();
    let errors: Vec<String> = outlet(events, 1).into_iter().filter(|s| s.starts_with("error")).collect();
    let warned = events.iter().any(|e| matches!(e, Event::Post(t) if t.contains("may not be what was typed")));
    match (data.as_slice(), errors.as_slice()) {
        ([m], []) if warned => Some(Out::Warned((*m).clone())),
        ([m], []) => Some(Out::Sent((*m).clone())),
        ([], [e]) => Some(Out::Error(e.clone())),
        ([], []) => None,
        _ => panic!("more than one result: {events:?}"),
    }
}

fn matches(got: &Out, want: &Out) -> bool {
    match (got, want) {
        (Out::Error(got), Out::Error(want)) => got.starts_with(want),
        _ => got == want,
    }
}

#[test]
fn numbers_convert_as_the_hosts_model_says_both_ways_on_every_thread() {
    let dir = test_host::script_dir("numbers", &[("probe.py", PROBE)]);
    let models = [Numbers::Floats { mantissa_bits: f32::MANTISSA_DIGITS }, Numbers::IntsAndFloats];
    let mut failures = Vec::new();
    let mut checked = 0;
    for (column, numbers) in models.into_iter().enumerate() {
        for detached in [false, true] {
            let (host, ctx) = test_host::context(TestHost::with_numbers(numbers));
            let idle = |e: &[Event]| !detached || outlet(e, 1).last().map(String::as_str) == Some("busy 0");
            let options =
                Options { detach: if detached { Detach::Serial } else { Detach::Sync }, ..Options::default() };
            let make = |target: &str| {
                let target: Vec<OwnedAtom> = if target.is_empty() { vec![] } else { vec![sym(target)] };
                Object::new(&ctx, host.clone(), &target, options, Some(&dir))
            };
            let objects = [make(""), make("probe.kinds"), make("probe.Sender")];
            objects[0].message(0, &anything("import", vec![sym("pyrus"), sym("numpy"), sym("probe")]));
            let setup = serve_until(&ctx, &host, |e| idle(e));
            assert!(outlet(&setup, 1).iter().all(|s| !s.starts_with("error")), "setup: {setup:?}");
            for (target, message, expected) in table() {
                let object = &objects[target as usize];
                object.message(0, &message);
                let events = serve_until(&ctx, &host, |e| idle(e) && outcome(e).is_some());
                let got = outcome(&events).expect("an outcome");
                checked += 1;
                if !matches(&got, &expected[column]) {
                    failures.push(format!(
                        "{numbers:?}, detached {detached}, {target:?} <- {message:?}: got {got:?}, want {:?}",
                        expected[column]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} cases wrong:\n{}", failures.len(), failures.join("\n"));
}
