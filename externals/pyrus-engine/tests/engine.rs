//! The engine against the recording `TestHost` and the real embedded CPython.

use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::test_host::{self, msg, outlet, start_python as start, Event, TestHost};
use pyrus_engine::{Detach, Object, OptionSet, Options};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn object(ctx: &pyrus_engine::Context, host: &Arc<TestHost>, args: &[Atom<'_>], dir: Option<&Path>) -> Object {
    start();
    Object::new(ctx, host.clone(), args, Options::default(), dir)
}

fn sym(s: &str) -> Atom<'_> {
    Atom::Symbol(Cow::Borrowed(s))
}

fn anything<'a>(sel: &'a str, args: Vec<Atom<'a>>) -> Message<'a> {
    Message::Anything(Cow::Borrowed(sel), Cow::Owned(args))
}

fn errors(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Error(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn eval_converts_every_python_type_to_host_messages() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[], None);
    for (expr, shown) in [
        ("1+2", "3"),
        ("2.5", "2.5"),
        ("True", "1"),
        ("'héllo'", "symbol héllo"),
        ("[1, 'a', 2.5]", "1 a 2.5"),
        ("('a', 1)", "list a 1"),
        ("b'\\x01\\x02'", "1 2"),
        ("__import__('pyrus').bang", "bang"),
        ("__import__('pyrus').Message('set', 1, 'x')", "set 1 x"),
        ("__import__('pyrus').Message('float', 4)", "4"),
        ("{1: 2}", "symbol {1: 2}"),
    ] {
        o.message(0, &msg(&format!("eval {expr}")));
        assert_eq!(host.take_outlet(0), vec![shown.to_string()], "eval {expr}");
    }
    o.message(0, &msg("eval None"));
    assert!(host.take().is_empty(), "None sends nothing");
}

#[test]
fn host_values_arrive_as_python_expects() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[sym("builtins.repr")], None);
    o.message(0, &Message::Float(3.0));
    o.message(0, &Message::Float(0.5));
    o.message(0, &Message::Symbol("ü".into()));
    assert_eq!(host.take_outlet(0), ["symbol 3", "symbol 0.5", "symbol 'ü'"]);
    // A bang calls with no arguments.
    let o = object(&ctx, &host, &[sym("builtins.tuple")], None);
    o.message(0, &Message::Bang);
    assert_eq!(host.take_outlet(0), ["list"]);
    // A list is positional arguments, a selector message a list starting with a str.
    let o = object(&ctx, &host, &[sym("builtins.max")], None);
    o.message(0, &Message::List(vec![Atom::Float(1.0), Atom::Float(7.0), Atom::Float(3.0)].into()));
    assert_eq!(host.take_outlet(0), ["7"]);
    let o = object(&ctx, &host, &[sym("builtins.str.upper")], None);
    o.message(0, &Message::Symbol("abc".into()));
    assert_eq!(host.take_outlet(0), ["symbol ABC"]);
}

/// The edges of the number conversions, both ways: an integral float is an
/// `int` up to 2^53 (beyond, a `float`); whatever `int` a call returns is a
/// host float, rounded to nearest, with -1 a value like any other; an int
/// beyond any float is an error.
#[test]
fn numbers_convert_exactly_at_their_edges() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[sym("builtins.repr")], None);
    let exact = 9_007_199_254_740_992.0; // 2^53
    for f in [3.0, -0.0, -7.0, exact, -exact, 2.0 * exact, -2.5, f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
        o.message(0, &Message::Float(f));
    }
    assert_eq!(
        host.take_outlet(0),
        [
            "symbol 3",
            "symbol 0",
            "symbol -7",
            "symbol 9007199254740992",
            "symbol -9007199254740992",
            "symbol 1.8014398509481984e+16",
            "symbol -2.5",
            "symbol inf",
            "symbol -inf",
            "symbol nan"
        ]
    );
    let o = object(&ctx, &host, &[], None);
    for expr in ["-1", "2**53 + 1", "-(2**63) - 1", "2**1023"] {
        o.message(0, &msg(&format!("eval {expr}")));
    }
    let big = [-(2f64.powi(63)), 2f64.powi(1023)].map(|f| Message::Float(f).to_string());
    assert_eq!(host.take_outlet(0), ["-1", "9007199254740992", &big[0], &big[1]], "2**53 + 1 rounds to even");
    // 2**1024 - 1 rounds up to 2**1024, beyond the largest float.
    for expr in ["2**1024", "2**1024 - 1"] {
        o.message(0, &msg(&format!("eval {expr}")));
        assert!(errors(&host.take()).iter().any(|e| e.contains("OverflowError")), "{expr}: an int beyond any float");
    }
}

#[test]
fn leading_arguments_bind_like_partial() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[sym("operator.sub"), Atom::Float(10.0)], None);
    o.message(0, &Message::Float(3.0));
    assert_eq!(host.take_outlet(0), ["7"]);
    let o = object(&ctx, &host, &[sym("os.path.join"), sym("a")], None);
    o.message(0, &msg("b c"));
    assert_eq!(host.take_outlet(0), ["symbol a/b/c"]);
}

#[test]
fn namespaces_are_separate_per_object() {
    let (host, ctx) = test_host::context(TestHost::new());
    let a = object(&ctx, &host, &[], None);
    let b = object(&ctx, &host, &[], None);
    a.message(0, &msg("exec x = 41"));
    a.message(0, &msg("eval x + 1"));
    assert_eq!(host.take_outlet(0), ["42"]);
    b.message(0, &msg("eval x"));
    let events = host.take();
    assert!(outlet(&events, 1)[0].starts_with("error NameError name 'x' is not defined"));
}

#[test]
fn exceptions_report_traceback_and_status_and_object_keeps_working() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[], None);
    o.message(0, &msg("exec def f(x): return 1 / x"));
    o.message(0, &msg("call f 0"));
    let events = host.take();
    let errs = errors(&events);
    assert!(errs.iter().any(|l| l.contains("Traceback")), "{errs:?}");
    assert!(errs.iter().any(|l| l.contains("line 1, in f")), "{errs:?}");
    assert_eq!(outlet(&events, 1), ["error ZeroDivisionError division by zero"]);
    o.message(0, &msg("exec def g(:"));
    let events = host.take();
    assert!(outlet(&events, 1)[0].starts_with("error SyntaxError"), "{events:?}");
    o.message(0, &msg("call f 4"));
    assert_eq!(host.take_outlet(0), ["0.25"]);
}

#[test]
fn nested_lists_and_nul_symbols_are_errors_not_garbage() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[], None);
    o.message(0, &msg("eval [[1, 2], 3]"));
    let events = host.take();
    assert!(outlet(&events, 0).is_empty());
    assert!(outlet(&events, 1)[0].starts_with("error TypeError list element 0: a nested list"));
    o.message(0, &msg("eval 'a\\0b'"));
    assert!(outlet(&host.take(), 1)[0].starts_with("error ValueError a symbol can't contain a NUL"));
}

#[test]
fn script_module_reaches_the_host() {
    let (host, ctx) = test_host::context(TestHost::with_receivers(&["there"]));
    host.set_time(1234.5);
    let o = object(&ctx, &host, &[], None);
    o.message(0, &msg("exec import pyrus"));
    o.message(0, &msg("exec pyrus.out(1, 2) ; pyrus.out() ; pyrus.post('hi', 3)"));
    o.message(0, &msg("exec pyrus.send('there', 'x', 1) ; pyrus.error('bad')"));
    o.message(0, &msg("eval pyrus.time()"));
    let events = host.take();
    assert_eq!(
        events,
        vec![
            Event::Outlet(0, Message::List(vec![Atom::Float(1.0), Atom::Float(2.0)].into())),
            Event::Outlet(0, Message::Bang),
            Event::Post("hi 3".into()),
            // A str first is the selector, for send as for out.
            Event::Send("there".into(), Message::Anything("x".into(), vec![Atom::Float(1.0)].into())),
            Event::Error("bad".into()),
            Event::Outlet(0, Message::Float(1234.5)),
        ]
    );
    o.message(0, &msg("exec pyrus.send('nowhere', 1)"));
    assert!(outlet(&host.take(), 1)[0].starts_with("error LookupError no receiver named 'nowhere'"));
    o.message(0, &msg("exec pyrus.out(1, outlet=1)"));
    assert!(outlet(&host.take(), 1)[0].starts_with("error ValueError outlet 1 does not exist"));
}

#[test]
fn script_threads_reach_their_object_marshalled() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[], None);
    o.message(0, &msg("exec import pyrus, threading, _thread, time"));
    // A thread started inside a call belongs to this object.
    o.message(0, &msg("exec t = threading.Thread(target=lambda: pyrus.out('from', 'thread')) ; t.start() ; t.join()"));
    assert!(host.take().is_empty(), "nothing arrives before the scheduler services the mailbox");
    let mut got = Vec::new();
    for _ in 0..200 {
        ctx.service();
        got.extend(host.take_outlet(0));
        if !got.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(got, ["from thread"]);
    // A raw thread nobody started from a call has no object to talk to.
    o.message(0, &msg("exec e = [] ; done = threading.Event()"));
    o.message(
        0,
        &msg("exec def t():\n  try: pyrus.post('x')\n  except RuntimeError as ex: e.append(str(ex))\n  done.set()"),
    );
    o.message(0, &msg("exec _thread.start_new_thread(t, ()) ; done.wait(5)"));
    o.message(0, &msg("eval e[-1]"));
    let out = host.take_outlet(0);
    assert!(out[0].contains("outside a call from a pyrus object"), "{out:?}");
}

#[test]
fn missing_module_creates_object_then_reload_fixes_it() {
    let dir = tempdir("missing");
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[sym("pyrus_fixme.f")], Some(&dir));
    let events = host.take();
    assert!(errors(&events).iter().any(|l| l.contains("ModuleNotFoundError")), "{events:?}");
    o.message(0, &Message::Float(1.0));
    assert!(outlet(&host.take(), 1)[0].starts_with("error TypeError 'pyrus_fixme.f' did not resolve"));
    std::fs::write(dir.join("pyrus_fixme.py"), "def f(x):\n    return x * 10\n").unwrap();
    o.message(0, &msg("reload"));
    o.message(0, &Message::Float(2.0));
    assert_eq!(host.take_outlet(0), ["20"]);
    // An edit with a syntax error keeps the old function and reports file:line.
    std::fs::write(dir.join("pyrus_fixme.py"), "def f(x):\n    return x *\n").unwrap();
    o.message(0, &msg("reload"));
    let events = host.take();
    assert!(errors(&events).iter().any(|l| l.contains("pyrus_fixme.py\", line 2")), "{events:?}");
    o.message(0, &Message::Float(3.0));
    assert_eq!(host.take_outlet(0), ["30"]);
}

#[test]
fn error_inside_an_imported_module_is_not_hidden_as_missing() {
    let dir = tempdir("inner");
    std::fs::write(dir.join("pyrus_inner.py"), "import pyrus_no_such_dependency\ndef f(): pass\n").unwrap();
    let (host, ctx) = test_host::context(TestHost::new());
    let _o = object(&ctx, &host, &[sym("pyrus_inner.f")], Some(&dir));
    let errs = errors(&host.take());
    assert!(errs.iter().any(|l| l.contains("No module named 'pyrus_no_such_dependency'")), "{errs:?}");
}

#[test]
fn load_runs_a_file_in_the_namespace() {
    let dir = tempdir("load");
    std::fs::write(dir.join("s.py"), "y = 5\ndef twice(v):\n    return 2 * v\n").unwrap();
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[], Some(&dir));
    o.message(0, &msg("load s.py"));
    o.message(0, &msg("call twice 21"));
    o.message(0, &msg("eval y"));
    assert_eq!(host.take_outlet(0), ["42", "5"]);
    o.message(0, &msg("import os.path"));
    o.message(0, &msg("eval os.path.basename('/a/b')"));
    assert_eq!(host.take_outlet(0), ["symbol b"]);
    o.message(0, &msg("load nothere.py"));
    assert!(outlet(&host.take(), 1)[0].starts_with("error FileNotFoundError"));
}

#[test]
fn large_lists_round_trip() {
    let (host, ctx) = test_host::context(TestHost::new());
    let big: Vec<Atom<'_>> = (0..10_000).map(|i| Atom::Float(i as f64)).collect();
    let o = object(&ctx, &host, &[], None);
    o.message(0, &msg("exec def rev(*a): return a[::-1]"));
    let mut args = vec![sym("rev")];
    args.extend(big.iter().cloned());
    o.message(0, &anything("call", args));
    let events = host.take();
    let Event::Outlet(0, Message::List(atoms)) = &events[0] else { panic!("{:?}", &events[..1]) };
    assert_eq!(atoms.len(), 10_000);
    assert_eq!(atoms[0], Atom::Float(9999.0));
    assert_eq!(atoms[9999], Atom::Float(0.0));
}

fn tempdir(name: &str) -> PathBuf {
    test_host::own_dir(&format!("pyrus-engine-test-{name}"))
}

#[test]
fn a_module_target_is_imported_into_the_namespace() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[sym("math")], None);
    o.message(0, &msg("eval math.floor(math.pi)"));
    assert_eq!(host.take_outlet(0), ["3"]);
    let o = object(&ctx, &host, &[sym("xml.dom")], None);
    o.message(0, &msg("eval xml.dom.__name__"));
    assert_eq!(host.take_outlet(0), ["symbol xml.dom"]);
}

/// An option's bad value gets the same words from `Options::set` (what a
/// host's creation flags go through) as from the object's own message, in
/// the console and on the status outlet; and the object keeps its value.
#[test]
fn an_options_bad_value_gets_the_same_words_at_creation_and_as_a_message() {
    for (name, value) in [("detach", "3"), ("detach", "1 2"), ("queue", "0"), ("latest", "2"), ("watch", "x")] {
        let text = format!("{name} {value}");
        let value = msg(&text).args().into_owned();
        let why = Options::default().set(name, &value).expect_err("a bad value");
        let (host, ctx) = test_host::context(TestHost::new());
        let o = object(&ctx, &host, &[], None);
        o.message(0, &anything(name, value.clone()));
        let events = host.take();
        assert_eq!(errors(&events), [format!("pyrus: {why}")], "{name}");
        assert_eq!(outlet(&events, 1), [format!("error ValueError {why}")], "{name}");
        assert_eq!(o.detach(), Detach::Sync, "{name}: unchanged");
    }
    // And a good one through the same path changes the object.
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[], None);
    o.message(0, &msg("detach 2"));
    assert_eq!((o.detach(), host.take()), (Detach::Concurrent, vec![]));
}

/// The target is a Python name and its leading arguments; a number where
/// the name belongs is reported, and the arguments still follow it.
#[test]
fn a_target_must_begin_with_a_name() {
    let (host, ctx) = test_host::context(TestHost::new());
    let o = object(&ctx, &host, &[Atom::Float(5.0), sym("x")], None);
    assert_eq!(errors(&host.take()), ["pyrus: the first argument must be a Python name, not the number 5; ignored"]);
    o.message(0, &msg("eval 1 + 1"));
    assert_eq!(host.take_outlet(0), ["2"]);
}
