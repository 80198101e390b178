//! What the user sees when a script or a patch does something unusual: hooks
//! run by reloads, a class without outlets, a str selector out of `out`,
//! reserved words a class defines, and messages with bad arguments.

mod support;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::*;

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A class whose `on_reload` uses every way of saying something.
const HOOK: &str = r#"import pyrus

class Hook(pyrus.Object):
    def __init__(self, tag):
        self.tag = tag

    def in_0_bang(self):
        return "ready"

    def on_reload(self):
        pyrus.post("posted", self.tag, VERSION)
        pyrus.out("out", self.tag, VERSION)
        self.out(0, "self", self.tag, VERSION)

VERSION = 1
"#;

/// `on_reload` runs as a call of its own object, in its own mode, for the
/// global reload (from the scheduler thread) and for another object's
/// reload of the same module: `pyrus.post`, `pyrus.out` and `self.out`
/// work in `detach 0` and `detach 1` alike.
#[test]
fn on_reload_runs_as_a_call_of_its_object_for_every_kind_of_reload() {
    let dir = test_dir("hooks");
    write(&dir, "hk.py", HOOK);
    let mut p = Patch::new();
    p.pyrus("a", "hk.Hook a");
    let b = p.pyrus("b", "-detach 1 hk.Hook b");
    p.pyrus("c", "hk.Hook c");
    // The global reload, then c's own reload, which reaches a and b.
    p.start(&[("pyrus", "reload"), ("c", "reload")]);
    // b's two hooks are queued in the same pass: busy 0 comes after both.
    p.quit_when_idle(b);
    let t = run_within(&dir, "hooks", &p, &["-realtime"], Duration::from_secs(30));
    for tag in ["a", "b", "c"] {
        let once = [format!("out {tag} 1"), format!("self {tag} 1")];
        assert_eq!(t.printed(tag), [once.clone(), once].concat(), "{}", t.text());
        let posted = t.lines.iter().filter(|l| **l == format!("posted {tag} 1")).count();
        assert_eq!(posted, 2, "{}", t.text());
    }
    assert!(t.errors().is_empty(), "{}", t.text());
}

/// A watch reload runs on the worker of a detached object; it reaches a
/// `detach 0` object that uses the same module, whose `on_reload` then runs
/// on Pd's thread as a call of its own (the request crosses the mailbox).
#[test]
fn a_watch_reload_on_a_worker_runs_the_other_objects_hooks_as_their_calls() {
    let dir = test_dir("watchhooks");
    write(&dir, "hkw.py", HOOK);
    let mut p = Patch::new();
    let w = p.pyrus("w", "-detach 1 -watch hkw.Hook w");
    let a = p.pyrus("a", "hkw.Hook a");
    p.start(&[("w", "bang")]);
    p.quit_after(a, 0, "self", 1);
    let _ = w;
    let path = dir.join("watchhooks.pd");
    p.write(&path);
    let mut child = pd_command(&dir)
        .arg("-open")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Pd's stderr, line by line, on a thread: the test waits for events.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let mut saved = false;
    let ended = loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                // The watched object answered: the watch is set. Save v2.
                if !saved && line == "w: symbol ready" {
                    write(&dir, "hkw.py", &HOOK.replace("VERSION = 1", "VERSION = 2"));
                    saved = true;
                }
                seen.push(line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break true,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break false,
        }
    };
    if !ended {
        let _ = child.kill();
    }
    let _ = child.wait();
    let text = seen.join("\n");
    assert!(ended, "pd did not quit: the hook never ran:\n{text}");
    assert!(seen.iter().any(|l| l == "a: out a 2"), "{text}");
    assert!(seen.iter().any(|l| l == "a: self a 2"), "{text}");
    assert!(seen.iter().any(|l| l == "posted a 2"), "{text}");
    assert!(seen.iter().any(|l| l == "w: self w 2"), "{text}");
    assert!(!seen.iter().any(|l| l.starts_with("error")), "{text}");
}

/// `outlets = 0`: the status outlet is the only one. A value with nowhere
/// to go is an error there (and in the console), never a status message.
#[test]
fn a_class_without_outlets_reports_values_with_nowhere_to_go() {
    let dir = test_dir("nooutlets");
    write(
        &dir,
        "noout.py",
        "import pyrus\nclass NoOut(pyrus.Object):\n    outlets = 0\n    def in_0_bang(self):\n        return 5\n    \
         def in_0_float(self, x):\n        self.out(0, x)\n    def in_0_symbol(self, s):\n        pyrus.out(s)\n    \
         def in_0_list(self, *a):\n        return None\n",
    );
    let mut p = Patch::new();
    p.object_with_prints("z", "pyrus noout.NoOut", 1);
    p.script(&[("z", "bang"), ("z", "7"), ("z", "symbol x"), ("z", "list 1 2"), ("z", "eval 3"), ("z", "eval None")]);
    let t = run(&dir, "nooutlets", &p);
    let status = t.printed("z");
    assert_eq!(status.len(), 4, "four errors, None is silent: {}", t.text());
    assert!(status[0].starts_with("error ValueError inlet 0\\, bang: the result 5 has nowhere to go"), "{status:?}");
    assert!(status[1].starts_with("error ValueError this object has no data outlets"), "{status:?}");
    assert!(status[2].starts_with("error ValueError this object has no data outlets"), "{status:?}");
    assert!(status[3].starts_with("error ValueError eval 3: the result 3 has nowhere to go"), "{status:?}");
    assert!(t.errors().iter().any(|l| l.contains("outlets = 0")), "{}", t.text());
}

/// Several values whose first is a str make a message with that selector,
/// which `[route]` matches; one str is a symbol; a returned list is a list.
#[test]
fn a_str_first_among_several_values_is_the_selector() {
    let dir = test_dir("selector");
    write(
        &dir,
        "sel.py",
        "import pyrus\nclass Sel(pyrus.Object):\n    def in_0_bang(self):\n        pyrus.out('reset', 3)\n        \
         self.out(0, 'reset', 4)\n        pyrus.out('reset')\n        pyrus.out(1, 'reset')\n        \
         pyrus.out('list', 5, 6)\n        return ['reset', 7]\n",
    );
    let mut p = Patch::new();
    let o = p.pyrus("s", "sel.Sel");
    let route = p.obj("route reset");
    let matched = p.obj("print matched");
    p.connect(o, 0, route, 0);
    p.connect(route, 0, matched, 0);
    p.script(&[("s", "bang")]);
    let t = run(&dir, "selector", &p);
    assert_eq!(
        t.printed("s"),
        // ([print] shows a list that starts with a number without "list".)
        ["reset 3", "reset 4", "symbol reset", "1 reset", "5 6", "list reset 7"],
        "{}",
        t.text()
    );
    assert_eq!(t.printed("matched"), ["3", "4"], "{}", t.text());
}

/// A class that defines a method for a reserved word gets the word; the
/// object's own command stays reachable as `pyrus WORD`, in every mode.
#[test]
fn a_class_method_for_a_reserved_word_wins_and_pyrus_word_reaches_the_object() {
    let dir = test_dir("reserved");
    write(
        &dir,
        "res.py",
        "import pyrus\nclass Res(pyrus.Object):\n    def in_0_stop(self):\n        return 'class-stop'\n    \
         def in_0_open(self):\n        return 'class-open'\n    def in_0_load(self, *a):\n        \
         return ['class-load', *a]\n    def in_0_queue(self, n):\n        return ['class-queue', n]\n    \
         def in_0_eval(self, *a):\n        return ['class-eval', *a]\n    def in_0_pyrus(self, *a):\n        \
         return 'never'\n",
    );
    let mut p = Patch::new();
    let plain = p.pyrus("a", "res.Res");
    let detached = p.pyrus("b", "-detach 1 res.Res");
    let sends = ["stop", "open", "load x.py", "queue 3", "eval 1", "pyrus eval 1 + 1", "pyrus queue 0", "pyrus foo"];
    let mut all: Vec<(&str, &str)> = sends.iter().map(|s| ("a", *s)).collect();
    all.push(("a", "pyrus stop"));
    // (Not `pyrus stop` for b: it would drop b's calls still waiting.)
    all.extend(sends.iter().map(|s| ("b", *s)));
    all.push(("b", "pyrus exec self.out(0\\, 'last'\\, 1)"));
    p.start(&all);
    let _ = plain;
    p.quit_after(detached, 0, "last", 1);
    let t = run_within(&dir, "reserved", &p, &["-realtime"], Duration::from_secs(30));
    // A method for the prefix itself can't be reached: said at creation.
    let unreachable = t.errors().iter().filter(|l| l.contains("in_0_pyrus is never called")).count();
    assert_eq!(unreachable, 2, "{}", t.text());
    let expected = [
        "symbol class-stop",
        "symbol class-open",
        "list class-load x.py",
        "list class-queue 3",
        "list class-eval 1",
        "2",
    ];
    assert_eq!(t.printed("a"), expected, "{}", t.text());
    assert_eq!(t.printed("b"), [&expected[..], &["last 1"]].concat(), "{}", t.text());
    for (name, last) in [("a-status", Some("stopped")), ("b-status", None)] {
        // Said at creation, it leaves the status outlet once that exists.
        let (unreachable, status): (Vec<String>, Vec<String>) = t
            .printed(name)
            .into_iter()
            .filter(|s| !s.starts_with("busy"))
            .partition(|s| s.starts_with("error NameError in_0_pyrus is never called"));
        assert_eq!(unreachable.len(), 1, "{}", t.text());
        assert!(
            status[0].starts_with("error ValueError queue takes a whole number of jobs\\, 1 or more\\, not '0'"),
            "{status:?}"
        );
        assert!(
            status[1].starts_with("error ValueError 'pyrus foo' is not one of the object's own messages"),
            "{status:?}"
        );
        assert_eq!(status.get(2).map(String::as_str), last, "{status:?}");
        assert_eq!(status.len(), 2 + usize::from(last.is_some()), "{status:?}");
    }
}

/// The object's own messages refuse missing, extra or out-of-range
/// arguments with an error naming what they take, and keep working.
#[test]
fn messages_with_bad_arguments_say_what_they_take() {
    let dir = test_dir("badargs");
    write(
        &dir,
        "bad.py",
        "import pyrus, threading\ngo = threading.Event()\ndef later():\n    go.wait()\n    pyrus.out('from', 'import')\n\
         threading.Thread(target=later, daemon=True).start()\n",
    );
    let mut p = Patch::new();
    // A switch flag may say 0 or 1; an unknown flag is named.
    let o = p.pyrus("p", "-latest 1 -watch 0 bad");
    p.pyrus("q", "-detch 1");
    // Sending while the module is imported at creation: no outlets yet.
    write(&dir, "early.py", "import pyrus\npyrus.out(1)\n");
    p.pyrus("r", "early");
    // A target that fails at creation says so on the status outlet too,
    // once the outlet exists.
    p.pyrus("m", "no_such_module_pyrus.f");
    let cases: &[(&str, &str)] = &[
        ("import", "import takes one or more module names"),
        ("import 3", "import takes module names\\, not the number 3"),
        ("load", "load takes a file"),
        ("eval", "eval takes an expression"),
        ("exec", "exec takes code"),
        ("call", "call takes a function name"),
        ("latest foo", "latest takes 0 or 1 (nothing means 1)\\, not 'foo'"),
        ("latest 2", "latest takes 0 or 1"),
        ("watch foo", "watch takes 0 or 1"),
        ("stop 1", "stop takes no arguments\\, not '1'"),
        ("open now", "open takes no arguments"),
        ("detach 3", "detach takes 0\\, 1 or 2\\, not '3'"),
        ("detach 1 2", "detach takes 0\\, 1 or 2\\, not '1 2'"),
        ("queue 2.5", "queue takes a whole number of jobs"),
        ("queue", "queue takes a whole number of jobs"),
        ("pyrus", "'pyrus' is not one of the object's own messages"),
        (
            "exec pyrus.out(1\\, outlet=-1)",
            "outlet -1 does not exist: this object has 1 data outlet\\, numbered 0 to 0",
        ),
        ("exec pyrus.out(1\\, outlet=1.5)", "error TypeError the outlet must be an int from 0 to 0\\, not 1.5"),
        ("exec pyrus.Message('')", "a message's selector can't be empty"),
        ("exec pyrus.Message(3)", "pyrus.Message needs a str selector first"),
        ("exec pyrus.out(''\\, 1)", "a message's selector can't be empty"),
        ("exec pyrus.usb.listen(0\\, print)", "the port must be an int from 1 to 65535\\, not 0"),
        ("exec pyrus.usb.connect('localhost'\\, 70000\\, print)", "not 70000"),
        ("exec pyrus.usb.open((70000\\, 1)\\, print)", "vid must be an int from 0 to 65535\\, not 70000"),
    ];
    let mut sends = vec![("p", "exec import pyrus")];
    sends.extend(cases.iter().map(|(m, _)| ("p", *m)));
    // Still working; and the thread the module started at import sends.
    sends.push(("p", "eval 7"));
    sends.push(("p", "exec bad.go.set()"));
    // The global receiver says what it takes, too.
    sends.push(("pyrus", "relaod"));
    sends.push(("pyrus", "workers 4 5"));
    sends.push(("pyrus", "workers"));
    p.start(&sends);
    p.quit_after(o, 0, "from", 1);
    let t = run(&dir, "badargs", &p);
    let status = t.printed("p-status");
    assert_eq!(status.len(), cases.len(), "one error each:\n{}", t.text());
    for ((message, why), got) in cases.iter().zip(&status) {
        assert!(got.starts_with("error ") && got.contains(why), "{message}: {got}\n{}", t.text());
    }
    assert_eq!(t.printed("p"), ["7", "from import"], "{}", t.text());
    assert!(t.errors().len() >= cases.len(), "each in the console too:\n{}", t.text());
    assert!(!t.contains("first argument must be"), "-latest 1 is a flag and its value:\n{}", t.text());
    let flag = "unknown flag -detch: the flags are -detach N, -latest, -queue N and -watch";
    assert!(t.errors().iter().any(|l| l.contains(flag)), "{}", t.text());
    let missing = t.printed("m-status");
    assert!(
        missing.len() == 1
            && missing[0].starts_with("error ModuleNotFoundError no module named 'no_such_module_pyrus'"),
        "{}",
        t.text()
    );
    let early = "this [pyrus] object is still being created, so it has no outlets yet";
    assert!(t.errors().iter().any(|l| l.contains(early)), "{}", t.text());
    let global = "the pyrus receiver takes 'workers N' and 'reload [MODULE]', not 'relaod'";
    assert!(t.errors().iter().any(|l| l.contains(global)), "{}", t.text());
    for given in ["'4 5'", "''"] {
        let workers = format!("workers takes a whole number from 1 to 256, not {given}");
        assert!(t.errors().iter().any(|l| l.contains(&workers)), "{}", t.text());
    }
    assert!(!t.contains("worker threads"), "a refused workers changes nothing:\n{}", t.text());
}

/// `[pyrus.usb]` refuses bad numbers and words with what it accepts.
#[test]
fn usb_messages_with_bad_arguments_say_what_they_take() {
    let dir = test_dir("usbbadargs");
    let mut p = Patch::new();
    p.object_with_prints("u", "pyrus.usb", 2);
    let cases: &[(&str, &str)] = &[
        ("open -1 -1", "open VID PID takes two whole numbers from 0 to 65535"),
        ("open 70000 70000", "not 70000 70000"),
        ("open 1.5 2", "not 1.5 2"),
        ("listen 0", "listen: the port must be a whole number from 1 to 65535\\, not 0"),
        ("listen localhost 70000", "not 70000"),
        ("connect localhost 0", "connect: the port must be"),
        ("connect localhost http", "not http"),
        ("raw foo", "raw takes 0 or 1"),
        ("reconnect 2", "reconnect takes 0 or 1"),
        ("close now", "close takes no arguments"),
        ("demo 1", "demo takes no arguments"),
    ];
    p.script(&cases.iter().map(|(m, _)| ("u", *m)).collect::<Vec<_>>());
    let t = run(&dir, "usbbadargs", &p);
    let status = t.printed("u-status");
    assert_eq!(status.len(), cases.len(), "one error each:\n{}", t.text());
    for ((message, why), got) in cases.iter().zip(&status) {
        assert!(got.starts_with("error ") && got.contains(why), "{message}: {got}\n{}", t.text());
    }
}

/// A usbredir peer that takes the connection and says nothing: an error
/// saying so, once, within a few seconds, instead of silence; and the
/// object keeps waiting on that connection, so a peer that is only slow (as
/// QEMU's forwarding is, before the guest's usbredirect is up) connects
/// when its hello comes: here once the patch has seen the report.
#[test]
fn a_silent_usbredir_peer_is_reported_and_a_late_hello_connects() {
    use pyrus_usb::virtual_device::{Served, VirtualDevice};
    let dir = test_dir("silentpeer");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let signal = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let signal_port = signal.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        // Silent until the patch, on the report, connects its [netsend] here
        // (or Pd is gone: the test has failed by then).
        let told = signal.accept();
        let mut dev = VirtualDevice::new(VirtualDevice::full_caps());
        let start = Instant::now();
        // Until Pd, quitting on `connected`, hangs up.
        let served = dev.serve(&mut s, |_| match start.elapsed() > Duration::from_secs(30) {
            true => std::ops::ControlFlow::Break(()),
            false => std::ops::ControlFlow::Continue(Duration::from_millis(50)),
        });
        (told.is_ok(), served.ok())
    });
    let mut p = Patch::new();
    let u = p.object_with_prints("u", "pyrus.usb", 2);
    let connect = format!("connect 127.0.0.1 {port}");
    p.start(&[("u", &connect), ("u", "note 1 60 100")]);
    // On the hello report (`error usbredir: ...`), not the note's: tell the peer.
    let errors = p.obj("route error");
    let hello = p.obj("route usbredir:");
    let tell = p.msg(&format!("connect 127.0.0.1 {signal_port}"));
    let netsend = p.obj("netsend");
    p.connect(u, 1, errors, 0);
    p.connect(errors, 0, hello, 0);
    p.connect(hello, 0, tell, 0);
    p.connect(tell, 0, netsend, 0);
    p.quit_after(u, 1, "connected", 1);
    let t = run_within(&dir, "silentpeer", &p, &["-realtime"], Duration::from_secs(30));
    let status = t.printed("u-status");
    assert_eq!(status.len(), 3, "{}", t.text());
    assert!(status[0].contains("no device yet: the peer has not said usbredir's hello"), "{}", t.text());
    let report = format!("error usbredir: 127.0.0.1:{port} {} 2 s (still waiting)", pyrus_usb::net::NO_HELLO);
    assert!(status[1].starts_with(&report), "{}", t.text());
    assert!(status[2].starts_with("connected "), "{}", t.text());
    // The console has both errors too.
    let errors = t.errors();
    assert_eq!(errors.len(), 2, "{}", t.text());
    assert!(errors[1].contains(pyrus_usb::net::NO_HELLO) && errors[1].contains("is it usbredirect"), "{}", t.text());
    assert_eq!(peer.join().unwrap(), (true, Some(Served::PeerClosed)));
}

/// An editor that is not there is an error naming it, not silence. A click
/// on the box is the object's own `open`, even for a class with `in_0_open`.
#[test]
fn open_with_a_missing_editor_says_so() {
    let dir = test_dir("noeditor");
    write(
        &dir,
        "ed.py",
        "import pyrus\ndef f(*a):\n    return 1\nclass Ed(pyrus.Object):\n    def in_0_open(self):\n        return 'class-open'\n",
    );
    let mut p = Patch::new();
    p.pyrus("e", "ed.f");
    p.pyrus("c", "ed.Ed");
    p.script(&[("e", "open"), ("c", "open"), ("c", "click 0 0 0 0 0")]);
    let path = dir.join("noeditor.pd");
    p.write(&path);
    let t = run_pd_env(&path, &[], &[("VISUAL", "no-such-editor-pyrus --wait")], Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "{}", t.text());
    let status = t.printed("e-status");
    assert!(status[0].contains("the editor 'no-such-editor-pyrus' ($VISUAL) was not found on PATH"), "{}", t.text());
    assert_eq!(t.printed("c"), ["symbol class-open"], "{}", t.text());
    assert!(t.printed("c-status")[0].contains("the editor 'no-such-editor-pyrus'"), "the click: {}", t.text());
}

/// What `__init__` sends (self.out or pyrus.out) leaves the outlets once Pd
/// has made them, instead of vanishing at creation.
#[test]
fn what_init_sends_leaves_the_outlets_once_they_exist() {
    let dir = test_dir("initout");
    write(
        &dir,
        "initout.py",
        "import pyrus\nclass C(pyrus.Object):\n    outlets = 2\n    def __init__(self):\n        \
         pyrus.out('made', 2)\n        self.out(1, 'made', 1)\n",
    );
    let mut p = Patch::new();
    let o = p.object_with_prints("c", "pyrus initout.C", 3);
    // The last of the two.
    p.quit_after(o, 1, "made", 1);
    let t = run_within(&dir, "initout", &p, &["-realtime"], Duration::from_secs(20));
    assert_eq!(t.printed("c"), ["made 2"], "{}", t.text());
    assert_eq!(t.printed("c-1"), ["made 1"], "{}", t.text());
}
