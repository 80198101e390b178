//! Class mode against the recording `TestHost` and real CPython: shape,
//! dispatch, reload keeping state, hooks.

use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::test_host::{self, outlet, Event, TestHost};
use pyrus_engine::{Object, Options};
use std::borrow::Cow;
use std::path::PathBuf;

fn setup(name: &str, script: &str) -> PathBuf {
    test_host::script_dir(&format!("classes-{name}"), &[(&format!("{name}.py"), script)])
}

fn anything<'a>(sel: &'a str, args: Vec<Atom<'a>>) -> Message<'a> {
    Message::Anything(Cow::Borrowed(sel), Cow::Owned(args))
}

const GAIN: &str = "import pyrus\n\nclass Gain(pyrus.Object):\n    inlets = 3\n    outlets = 2\n    def __init__(self, g=1):\n        self.g = g\n        self.out(1, 'made', g)\n    def in_0_float(self, x):\n        return x * self.g\n    def in_2_float(self, g):\n        self.g = g\n    def on_close(self):\n        pyrus.post('closed', self.g)\n";

#[test]
fn the_class_decides_the_shape_and_dispatch_follows_inlets() {
    let dir = setup("gain", GAIN);
    let (host, ctx) = test_host::context(TestHost::new());
    let o =
        Object::new(&ctx, host.clone(), &[Atom::symbol("gain.Gain"), Atom::Float(3.0)], Options::default(), Some(&dir));
    assert_eq!((o.inlet_count(), o.outlet_count()), (3, 3), "3 inlets; 2 outlets + status");
    // __init__ may already send: it leaves the outlet once the object is
    // made (the host makes the outlets after creation). A str first is the
    // selector.
    assert_eq!(outlet(&host.take(), 1), Vec::<String>::new(), "not before the outlets exist");
    ctx.service();
    assert_eq!(outlet(&host.take(), 1), ["made 3"]);
    o.message(0, &Message::Float(2.0));
    o.message(2, &Message::Float(10.0));
    o.message(0, &Message::Float(2.0));
    assert_eq!(host.take_outlet(0), ["6", "20"]);
    o.message(1, &Message::Bang);
    let status = outlet(&host.take(), 2);
    assert!(status[0].starts_with("error AttributeError no method for 'bang' at inlet 1"), "{status:?}");
    drop(o);
    assert!(host.take().contains(&Event::Post("closed 10".into())));
}

#[test]
fn reload_keeps_the_instance_and_its_state() {
    let dir = setup("acc", "import pyrus\n\nclass Acc(pyrus.Object):\n    def __init__(self):\n        self.total = 0\n    def in_0_float(self, x):\n        self.total += x\n        return self.total\n");
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[Atom::symbol("acc.Acc")], Options::default(), Some(&dir));
    o.message(0, &Message::Float(5.0));
    o.message(0, &anything("eval", vec![Atom::symbol("id(self)")]));
    let before = host.take_outlet(0);
    std::fs::write(dir.join("acc.py"), "import pyrus\n\nclass Acc(pyrus.Object):\n    def __init__(self):\n        self.total = 0\n    def in_0_float(self, x):\n        self.total += x\n        return -self.total\n").unwrap();
    o.message(0, &anything("reload", vec![]));
    o.message(0, &Message::Float(1.0));
    o.message(0, &anything("eval", vec![Atom::symbol("id(self)")]));
    let after = host.take_outlet(0);
    assert_eq!(before[0], "5");
    assert_eq!(after[0], "-6", "new code, old total");
    assert_eq!(before[1], after[1], "the same instance");
}

/// `watch` follows the target's module and the local modules it uses,
/// transitively, and not every script that happens to be loaded.
#[test]
fn the_watched_files_are_the_modules_the_target_uses() {
    let dir = setup("wa", "import wb\nfrom wc import g\n\ndef f(x):\n    return wb.h(x) + g(x)\n");
    for (name, text) in [
        ("wb", "import wd\nimport json\n\ndef h(x):\n    return x\n"),
        ("wc", "def g(x):\n    return x\n"),
        ("wd", "N = 1\n"),
        ("unrelated", "def u():\n    pass\n"),
    ] {
        std::fs::write(dir.join(format!("{name}.py")), text).unwrap();
    }
    let (host, ctx) = test_host::context(TestHost::new());
    let _loaded = Object::new(&ctx, host.clone(), &[Atom::symbol("unrelated.u")], Options::default(), Some(&dir));
    let o = Object::new(&ctx, host.clone(), &[Atom::symbol("wa.f")], Options::default(), Some(&dir));
    let names = |files: Vec<PathBuf>| -> Vec<String> {
        files.iter().map(|f| f.file_stem().unwrap().to_string_lossy().into_owned()).collect()
    };
    let mut files = names(o.script_files());
    assert_eq!(files.remove(0), "wa", "its own module first");
    files.sort();
    assert_eq!(files, ["wb", "wc", "wd"], "json is not local; unrelated is not used");
    assert_eq!(
        names(Object::new(&ctx, host, &[Atom::symbol("wd.N")], Options::default(), Some(&dir)).script_files()),
        ["wd"]
    );
}

#[test]
fn ports_are_described_from_the_class_and_follow_a_reload() {
    use pyrus_engine::Port::{Inlet, Outlet};
    let script = "import pyrus\n\nclass Synth(pyrus.Object):\n    \"\"\"A synth.\"\"\"\n    inlets = 3\n    outlets = 2\n    outlet_help = ('frequency in Hz',)\n    def in_0_float(self, x):\n        \"\"\"\n        pitch as a MIDI note\n\n        More words.\n        \"\"\"\n    def in_0_bang(self):\n        pass\n    def in_1_float(self, x):\n        \"\"\"glide time in ms\"\"\"\n";
    let dir = setup("synth", script);
    let (host, ctx) = test_host::context(TestHost::new());
    let o = Object::new(&ctx, host.clone(), &[Atom::symbol("synth.Synth")], Options::default(), Some(&dir));
    assert_eq!(o.describe(Inlet, 0), "float: pitch as a MIDI note; bang");
    assert_eq!(o.describe(Inlet, 1), "float: glide time in ms");
    assert_eq!(o.describe(Inlet, 2), "inlet 2: no in_2_ method");
    assert_eq!(o.describe(Inlet, 3), "", "past the last inlet");
    assert_eq!(o.describe(Outlet, 0), "frequency in Hz");
    assert_eq!(o.describe(Outlet, 1), "outlet 1", "not in outlet_help");
    assert!(o.describe(Outlet, 2).starts_with("status: error TYPE MESSAGE..."), "{}", o.describe(Outlet, 2));
    assert_eq!(o.describe(Outlet, 3), "");
    // A class's inlet_help wins over docstrings, and a reload rebinds it.
    std::fs::write(
        dir.join("synth.py"),
        script.replace("outlet_help", "inlet_help = ('notes', None, 'a spare')\n    outlet_help"),
    )
    .unwrap();
    o.message(0, &anything("reload", vec![]));
    assert_eq!(o.describe(Inlet, 0), "notes");
    assert_eq!(o.describe(Inlet, 1), "float: glide time in ms", "None: the docstrings");
    assert_eq!(o.describe(Inlet, 2), "a spare");
    assert!(host.take().iter().all(|e| !matches!(e, Event::Error(_))));
}

#[test]
fn functions_interpreters_and_unresolved_targets_are_described() {
    use pyrus_engine::Port::{Inlet, Outlet};
    let dir = setup("described", "def f(x):\n    \"\"\"Doubles x.\"\"\"\n    return 2 * x\n");
    let (host, ctx) = test_host::context(TestHost::new());
    let make = |target: &str| {
        let target = if target.is_empty() { Vec::new() } else { test_host::words(target) };
        Object::new(&ctx, host.clone(), &target, Options::default(), Some(&dir))
    };
    let f = make("described.f");
    assert_eq!(f.describe(Inlet, 0), "each message calls described.f: Doubles x.");
    assert_eq!(f.describe(Outlet, 0), "what described.f returns");
    let interpreter = make("");
    assert!(
        interpreter.describe(Inlet, 0).starts_with("import, eval, exec, load, call, reload;"),
        "{}",
        interpreter.describe(Inlet, 0)
    );
    assert_eq!(interpreter.describe(Outlet, 0), "results of eval and call");
    let module = make("described");
    assert!(module.describe(Inlet, 0).contains("(with described imported)"), "{}", module.describe(Inlet, 0));
    let missing = make("nowhere.g");
    assert_eq!(
        missing.describe(Inlet, 0),
        "messages for nowhere.g, which did not load: see the status outlet, fix it, send reload"
    );
    host.take();
}
