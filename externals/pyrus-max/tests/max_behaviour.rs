//! What the user sees in the fake-max kernel when a script or a patcher
//! does something unusual: hooks run by every kind of reload, the global
//! receiver `pyrus`, a class without outlets, a str selector out of `out`,
//! reserved words a class defines, messages with bad arguments, what
//! `__init__` sends.

mod support;
use support::*;

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

/// The global reload (`[; pyrus reload(`: here a script sends it to the
/// receiver `pyrus`) and another object's reload of the same module run
/// each object's `on_reload` as a call of its own, in its own mode: on the
/// delivering thread for `detach 0`, on the worker (results from the
/// scheduler's clock) for `detach 1`.
#[test]
fn on_reload_runs_as_a_call_of_its_object_for_every_kind_of_reload() {
    let mut m = with_scripts("hooks", &[("hk.py", HOOK)]);
    m.new_object("a", "pyrus hk.Hook a");
    m.new_object("b", "pyrus hk.Hook b @detach 1");
    m.new_object("c", "pyrus hk.Hook c");
    m.new_object("g", "pyrus");
    m.send("g", 0, "exec import pyrus; pyrus.send('pyrus', pyrus.Message('reload'))");
    m.send("c", 0, "reload");
    let once = ["out a 1", "self a 1"];
    m.until("both hooks of every object", |m| ["a", "b", "c"].iter().all(|id| m.outlet(id, 0).len() >= 4));
    for tag in ["a", "b", "c"] {
        let once: Vec<String> = once.iter().map(|l| l.replace(" a ", &format!(" {tag} "))).collect();
        assert_eq!(m.outlet(tag, 0), [once.clone(), once].concat(), "{}", m.text());
        let posted = m.posts().iter().filter(|l| **l == format!("posted {tag} 1")).count();
        assert_eq!(posted, 2, "{}", m.text());
    }
    let thread = |id: &str| m.outs(id).iter().filter(|o| o.outlet == 0).map(|o| o.thread.clone()).collect::<Vec<_>>();
    assert_eq!(thread("a"), ["main"; 4], "{}", m.text());
    assert_eq!(thread("b"), ["sched"; 4], "{}", m.text());
    assert!(m.errors().is_empty(), "{}", m.text());
    m.quit();
}

/// A watch reload runs on the worker of a detached object; it reaches a
/// `detach 0` object that uses the same module, whose `on_reload` then runs
/// on a host thread as a call of its own (the request crosses the mailbox).
#[test]
fn a_watch_reload_on_a_worker_runs_the_other_objects_hooks_as_their_calls() {
    let mut m = with_scripts("watchhooks", &[("hkw.py", HOOK)]);
    m.new_object("w", "pyrus hkw.Hook w @detach 1 @watch 1");
    m.new_object("a", "pyrus hkw.Hook a");
    m.send("w", 0, "bang");
    assert_eq!(m.expect_out("w", 0).message, "symbol ready");
    m.write("hkw.py", &HOOK.replace("VERSION = 1", "VERSION = 2"));
    m.until("both hooks", |m| {
        m.outlet("a", 0).iter().any(|l| l == "self a 2") && m.outlet("w", 0).iter().any(|l| l == "self w 2")
    });
    assert_eq!(m.outlet("a", 0), ["out a 2", "self a 2"], "{}", m.text());
    assert!(m.posts().iter().any(|l| l == "posted a 2"), "{}", m.text());
    assert!(m.errors().is_empty(), "{}", m.text());
    m.quit();
}

/// `outlets = 0`: the status outlet is the only one. A value with nowhere
/// to go is an error there (and in the Max window), never a status message.
#[test]
fn a_class_without_outlets_reports_values_with_nowhere_to_go() {
    let noout = "import pyrus\nclass NoOut(pyrus.Object):\n    outlets = 0\n    def in_0_bang(self):\n        return 5\n    \
                 def in_0_int(self, x):\n        self.out(0, x)\n    def in_0_symbol(self, s):\n        pyrus.out(s)\n    \
                 def in_0_list(self, *a):\n        return None\n";
    let mut m = with_scripts("nooutlets", &[("noout.py", noout)]);
    m.new_object("z", "pyrus noout.NoOut");
    m.cmds(&[
        "send z 0 bang",
        "send z 0 int 7",
        "send z 0 symbol x",
        "send z 0 list 1 2",
        "send z 0 eval 3",
        "send z 0 eval None",
    ]);
    m.sync("z");
    let status = m.outlet("z", 0);
    assert_eq!(status.len(), 4, "four errors, None is silent: {}", m.text());
    assert!(status[0].starts_with("error ValueError inlet 0, bang: the result 5 has nowhere to go"), "{status:?}");
    assert!(status[1].starts_with("error ValueError this object has no data outlets"), "{status:?}");
    assert!(status[2].starts_with("error ValueError this object has no data outlets"), "{status:?}");
    assert!(status[3].starts_with("error ValueError eval 3: the result 3 has nowhere to go"), "{status:?}");
    assert!(m.errors().iter().any(|l| l.contains("outlets = 0")), "{}", m.text());
    assert!(m.assist("z", "out", 0).starts_with("status:"), "{}", m.text());
    m.quit();
}

/// Several values whose first is a str make a message with that selector;
/// one str is a symbol; a returned list is a list.
#[test]
fn a_str_first_among_several_values_is_the_selector() {
    let sel =
        "import pyrus\nclass Sel(pyrus.Object):\n    def in_0_bang(self):\n        pyrus.out('reset', 3)\n        \
               self.out(0, 'reset', 4)\n        pyrus.out('reset')\n        pyrus.out(1, 'reset')\n        \
               pyrus.out('list', 5, 6)\n        return ['reset', 7]\n";
    let mut m = with_scripts("selector", &[("sel.py", sel)]);
    m.new_object("s", "pyrus sel.Sel");
    m.send("s", 0, "bang");
    m.until_outs("s", 6);
    assert_eq!(
        m.outlet("s", 0),
        ["reset 3", "reset 4", "symbol reset", "list 1 reset", "list 5 6", "list reset 7"],
        "{}",
        m.text()
    );
    m.quit();
}

/// A class that defines a method for a reserved word gets the word; the
/// object's own command stays reachable as `pyrus WORD`, in every mode.
#[test]
fn a_class_method_for_a_reserved_word_wins_and_pyrus_word_reaches_the_object() {
    let res = "import pyrus\nclass Res(pyrus.Object):\n    def in_0_stop(self):\n        return 'class-stop'\n    \
               def in_0_open(self):\n        return 'class-open'\n    def in_0_load(self, *a):\n        \
               return ['class-load', *a]\n    def in_0_queue(self, n):\n        return ['class-queue', n]\n    \
               def in_0_eval(self, *a):\n        return ['class-eval', *a]\n    def in_0_pyrus(self, *a):\n        \
               return 'never'\n";
    let mut m = with_scripts("reserved", &[("res.py", res)]);
    m.new_object("a", "pyrus res.Res");
    m.new_object("b", "pyrus res.Res @detach 1");
    // (`queue 3`, an attribute's name in Max: the next test.)
    let sends = ["stop", "open", "load x.py", "eval 1", "pyrus eval 1 + 1", "pyrus queue 0", "pyrus foo"];
    for s in sends {
        m.send("a", 0, s);
    }
    m.send("a", 0, "pyrus stop");
    for s in sends {
        m.send("b", 0, s);
    }
    m.send("b", 0, "pyrus exec self.out(0, 'last', 1)");
    // What the class says at creation leaves each status outlet once the
    // object exists (through the service), in no set order with the rest.
    let unreachable = |m: &Max, id: &str| m.outlet(id, 1).iter().any(|s| s.contains("in_0_pyrus is never called"));
    m.until("b's last, and both objects' creation errors", |m| {
        m.outlet("b", 0).iter().any(|l| l == "last 1") && unreachable(m, "a") && unreachable(m, "b")
    });
    let unreachable = m.errors().iter().filter(|l| l.contains("in_0_pyrus is never called")).count();
    assert_eq!(unreachable, 2, "{}", m.text());
    let expected = ["symbol class-stop", "symbol class-open", "list class-load x.py", "list class-eval 1", "int 2"];
    assert_eq!(m.outlet("a", 0), expected, "{}", m.text());
    assert_eq!(m.outlet("b", 0), [&expected[..], &["last 1"]].concat(), "{}", m.text());
    for (id, last) in [("a", Some("stopped")), ("b", None)] {
        let (unreachable, status): (Vec<String>, Vec<String>) = m
            .outlet(id, 1)
            .into_iter()
            .filter(|s| !s.starts_with("busy"))
            .partition(|s| s.starts_with("error NameError in_0_pyrus is never called"));
        assert_eq!(unreachable.len(), 1, "{}", m.text());
        assert!(
            status[0].starts_with("error ValueError queue takes a whole number of jobs, 1 or more, not '0'"),
            "{status:?}"
        );
        assert!(
            status[1].starts_with("error ValueError 'pyrus foo' is not one of the object's own messages"),
            "{status:?}"
        );
        assert_eq!(status.get(2).map(String::as_str), last, "{status:?}");
        assert_eq!(status.len(), 2 + usize::from(last.is_some()), "{status:?}");
    }
    m.quit();
}

/// The words that are attributes in Max (`detach`, `latest`, `queue`,
/// `watch`) follow the same rule: a class that defines `in_0_queue` gets
/// `queue 3` (README: the class's method wins), and `pyrus queue 3` (or
/// the attribute at creation) reaches the object's own option.
#[test]
fn a_class_method_for_an_attribute_word_wins() {
    let res =
        "import pyrus\nclass Res(pyrus.Object):\n    def in_0_queue(self, n):\n        return ['class-queue', n]\n    \
               def in_0_latest(self, *a):\n        return ['class-latest', *a]\n";
    let mut m = with_scripts("attrword", &[("res.py", res)]);
    m.new_object("a", "pyrus res.Res");
    m.cmds(&["send a 0 queue 3", "send a 0 latest 1", "send a 0 pyrus queue 0"]);
    m.sync("a");
    assert_eq!(m.outlet("a", 0), ["list class-queue 3", "list class-latest 1"], "{}", m.text());
    let status = m.outlet("a", 1);
    assert_eq!(status.len(), 1, "{}", m.text());
    assert!(status[0].starts_with("error ValueError queue takes a whole number of jobs"), "{status:?}");
    m.quit();
}

/// The object's own messages refuse missing, extra or out-of-range
/// arguments with an error naming what they take, and keep working; so
/// does the global receiver.
#[test]
fn messages_with_bad_arguments_say_what_they_take() {
    let mut m = with_scripts("badargs", &[("early.py", "import pyrus\npyrus.out(1)\n")]);
    m.new_object("p", "pyrus @latest 1 @watch 0");
    m.new_object("r", "pyrus early");
    m.new_object("n", "pyrus no_such_module_pyrus.f");
    let cases: &[(&str, &str)] = &[
        ("import", "import takes one or more module names"),
        ("import 3", "import takes module names, not the number 3"),
        ("load", "load takes a file"),
        ("eval", "eval takes an expression"),
        ("exec", "exec takes code"),
        ("call", "call takes a function name"),
        ("latest foo", "latest takes 0 or 1 (nothing means 1), not 'foo'"),
        ("latest 2", "latest takes 0 or 1"),
        ("watch foo", "watch takes 0 or 1"),
        ("stop 1", "stop takes no arguments, not '1'"),
        ("open now", "open takes no arguments"),
        ("detach 3", "detach takes 0, 1 or 2, not '3'"),
        ("detach 1 2", "detach takes 0, 1 or 2, not '1 2'"),
        ("queue 2.5", "queue takes a whole number of jobs"),
        ("queue", "queue takes a whole number of jobs"),
        ("pyrus", "'pyrus' is not one of the object's own messages"),
        ("exec pyrus.out(1, outlet=-1)", "outlet -1 does not exist: this object has 1 data outlet, numbered 0 to 0"),
        ("exec pyrus.out(1, outlet=1.5)", "error TypeError the outlet must be an int from 0 to 0, not 1.5"),
        ("exec pyrus.Message('')", "a message's selector can't be empty"),
        ("exec pyrus.Message(3)", "pyrus.Message needs a str selector first"),
        ("exec pyrus.usb.listen(0, print)", "the port must be an int from 1 to 65535, not 0"),
        ("exec pyrus.usb.open((70000, 1), print)", "vid must be an int from 0 to 65535, not 70000"),
    ];
    m.send("p", 0, "exec import pyrus");
    for (message, _) in cases {
        m.send("p", 0, message);
    }
    m.send("p", 0, "eval 7");
    // The global receiver says what it takes, too.
    m.send("p", 0, "exec pyrus.send('pyrus', pyrus.Message('relaod'))");
    m.send("p", 0, "exec pyrus.send('pyrus', 'workers', 4, 5)");
    m.sync("p");
    let status = m.outlet("p", 1);
    assert_eq!(status.len(), cases.len(), "one error each:\n{}", m.text());
    for ((message, why), got) in cases.iter().zip(&status) {
        assert!(got.starts_with("error ") && got.contains(why), "{message}: {got}\n{}", m.text());
    }
    assert_eq!(m.outlet("p", 0), ["int 7"], "{}", m.text());
    assert!(m.errors().len() >= cases.len(), "each in the Max window too:\n{}", m.text());
    assert!(!m.contains("first argument must be"), "@latest 1 is an attribute and its value:\n{}", m.text());
    // A target that fails at creation says so on the status outlet too,
    // once the outlet exists (through the service: waited for).
    m.until("n's creation error on its status outlet", |m| {
        m.outlet("n", 1)
            .iter()
            .any(|s| s.starts_with("error ModuleNotFoundError no module named 'no_such_module_pyrus'"))
    });
    let early = "is still being created, so it has no outlets yet";
    assert!(m.errors().iter().any(|l| l.contains(early)), "{}", m.text());
    let global = "the pyrus receiver takes 'workers N' and 'reload [MODULE]', not 'relaod'";
    assert!(m.errors().iter().any(|l| l.contains(global)), "{}", m.text());
    assert!(
        m.errors().iter().any(|l| l.contains("workers takes a whole number from 1 to 256, not '4 5'")),
        "{}",
        m.text()
    );
    assert!(!m.contains("worker threads"), "a refused workers changes nothing:\n{}", m.text());
    m.quit();
}

/// `[pyrus.usb]` refuses bad numbers and words with what it accepts.
#[test]
fn usb_messages_with_bad_arguments_say_what_they_take() {
    let mut m = Max::bare("usbbadargs", &[]);
    m.load("pyrus.usb.so");
    m.new_object("u", "pyrus.usb");
    let cases: &[(&str, &str)] = &[
        ("open -1 -1", "open VID PID takes two whole numbers from 0 to 65535"),
        ("open 70000 70000", "not 70000 70000"),
        ("open 1.5 2", "not 1.5 2"),
        ("listen 0", "listen: the port must be a whole number from 1 to 65535, not 0"),
        ("listen localhost 70000", "not 70000"),
        ("connect localhost 0", "connect: the port must be"),
        ("connect localhost http", "not http"),
        ("raw foo", "raw takes 0 or 1"),
        ("reconnect 2", "reconnect takes 0 or 1"),
        ("close now", "close takes no arguments"),
        ("demo 1", "demo takes no arguments"),
    ];
    for (message, _) in cases {
        m.send("u", 0, message);
    }
    m.sync("u");
    let status = m.outlet("u", 1);
    assert_eq!(status.len(), cases.len(), "one error each:\n{}", m.text());
    for ((message, why), got) in cases.iter().zip(&status) {
        assert!(got.starts_with("error ") && got.contains(why), "{message}: {got}\n{}", m.text());
    }
    m.quit();
}

/// What `__init__` sends (self.out or pyrus.out) leaves the outlets once
/// the object has made them, instead of vanishing at creation.
#[test]
fn what_init_sends_leaves_the_outlets_once_they_exist() {
    let init = "import pyrus\nclass C(pyrus.Object):\n    outlets = 2\n    def __init__(self):\n        \
                pyrus.out('made', 2)\n        self.out(1, 'made', 1)\n";
    let mut m = with_scripts("initout", &[("initout.py", init)]);
    m.new_object("c", "pyrus initout.C");
    m.until_outs("c", 2);
    assert_eq!(m.outlet("c", 0), ["made 2"], "{}", m.text());
    assert_eq!(m.outlet("c", 1), ["made 1"], "{}", m.text());
    m.quit();
}

/// An editor that is not there is an error naming it; a double click is
/// the object's own `open`, even for a class with `in_0_open`.
#[test]
fn open_with_a_missing_editor_says_so() {
    let ed = "import pyrus\ndef f(*a):\n    return 1\nclass Ed(pyrus.Object):\n    def in_0_open(self):\n        return 'class-open'\n";
    let mut m = Max::start_env("noeditor", &[("VISUAL", "no-such-editor-pyrus --wait")]);
    m.write("ed.py", ed);
    m.new_object("e", "pyrus ed.f");
    m.new_object("c", "pyrus ed.Ed");
    m.cmds(&["send e 0 open", "send c 0 open", "dblclick c"]);
    m.until("the errors", |m| !m.outlet("e", 1).is_empty() && !m.outlet("c", 1).is_empty());
    let missing = "the editor 'no-such-editor-pyrus' ($VISUAL) was not found on PATH";
    assert!(m.outlet("e", 1)[0].contains(missing), "{}", m.text());
    assert_eq!(m.outlet("c", 0), ["symbol class-open"], "{}", m.text());
    assert!(m.outlet("c", 1)[0].contains("the editor 'no-such-editor-pyrus'"), "the double click: {}", m.text());
    m.quit();
}

/// `workers N` to the global receiver starts or retires worker threads:
/// counted by their names (in /proc; on Windows their descriptions),
/// waiting (up to 20 s, a hang guard) for the count asked for, as threads
/// start and leave on their own time.
#[test]
fn the_workers_message_resizes_the_pool() {
    let threads = "import os, time\n\
def names():\n\
\x20   if os.name == 'nt':  # this process's threads' descriptions (Rust's names)\n\
\x20       import ctypes\n\
\x20       from ctypes import wintypes as w\n\
\x20       class Entry(ctypes.Structure):\n\
\x20           _fields_ = [(f, w.DWORD) for f in ('size', 'usage', 'thread', 'process')] + [('base', w.LONG), ('delta', w.LONG), ('flags', w.DWORD)]\n\
\x20       k = ctypes.windll.kernel32\n\
\x20       k.CreateToolhelp32Snapshot.restype = k.OpenThread.restype = ctypes.c_void_p\n\
\x20       snap, e, found = ctypes.c_void_p(k.CreateToolhelp32Snapshot(4, 0)), Entry(), []\n\
\x20       e.size = ctypes.sizeof(Entry)\n\
\x20       more = k.Thread32First(snap, ctypes.byref(e))\n\
\x20       while more:\n\
\x20           if e.process == os.getpid():\n\
\x20               h, text = k.OpenThread(0x0800, False, e.thread), ctypes.c_wchar_p()\n\
\x20               if h and k.GetThreadDescription(ctypes.c_void_p(h), ctypes.byref(text)) >= 0:\n\
\x20                   found.append(text.value or '')\n\
\x20               k.CloseHandle(ctypes.c_void_p(h))\n\
\x20           more = k.Thread32Next(snap, ctypes.byref(e))\n\
\x20       k.CloseHandle(snap)\n\
\x20       return found\n\
\x20   found = []\n\
\x20   for t in os.listdir('/proc/self/task'):\n\
\x20       try:\n\
\x20           found.append(open(f'/proc/self/task/{t}/comm').read())\n\
\x20       except OSError:\n\
\x20           pass  # a thread that just left\n\
\x20   return found\n\
def count():\n\
\x20   return sum(n.startswith('pyrus-worker') for n in names())\n\
def workers(n):\n\
\x20   deadline = time.monotonic() + 20\n\
\x20   while count() != n and time.monotonic() < deadline:\n\
\x20       time.sleep(0.005)\n\
\x20   return count()\n";
    let mut m = with_scripts("workers", &[("threads.py", threads)]);
    m.new_object("n", "pyrus threads.workers");
    m.new_object("g", "pyrus");
    m.send("g", 0, "exec import pyrus; pyrus.send('pyrus', 'workers', 9)");
    m.send("n", 0, "int 9");
    m.send("g", 0, "exec pyrus.send('pyrus', 'workers', 1)");
    m.send("n", 0, "int 1");
    m.until_outs("n", 2);
    assert!(m.posts().iter().any(|l| l.contains("pyrus: 9 worker threads")), "{}", m.text());
    assert_eq!(m.outlet("n", 0), ["int 9", "int 1"], "{}", m.text());
    m.quit();
}
