//! Class mode, assist texts, live reload, watch and dblclick in the fake-max
//! kernel. The tests write the scripts, and rewrite them half way through a
//! run as a user saving in an editor would.

mod support;
use std::time::{Duration, Instant};
use support::*;

const PROBE: &str = r#"import pyrus

class Probe(pyrus.Object):
    inlets = 2
    outlets = 2

    def in_0_bang(self):
        return "bang0"

    def in_0_int(self, i):
        return ["int0", i]

    def in_0_float(self, f):
        return ["float0", f]

    def in_0_symbol(self, s):
        return ["symbol0", s]

    def in_0_list(self, *atoms):
        return ["list0", *atoms]

    def in_0_set(self, *atoms):
        self.out(1, "set0", *atoms)

    def in_0_both(self):
        self.out(1, "right")
        self.out(0, "left")
        return "last"

    def in_1_anything(self, selector, *atoms):
        return ["any1", selector, *atoms]
"#;

#[test]
fn a_class_with_two_inlets_and_two_outlets_dispatches_every_rule() {
    let mut m = with_scripts("probe", &[("probe.py", PROBE)]);
    m.new_object("a", "pyrus probe.Probe");
    m.cmds(&[
        "send a 0 bang",
        "send a 0 int 2",
        "send a 0 float 2.5",
        "send a 0 symbol x",
        "send a 0 list 1 b",
        "send a 0 set 5 6",
        "send a 1 int 7",
        "send a 1 float 0.5",
        "send a 1 foo bar 1",
        "send a 1 bang",
        "send a 0 nothing 1",
        "send a 0 eval self.__class__.__name__",
        "send a 0 both",
    ]);
    m.sync("a");
    assert_eq!(
        m.outlet("a", 0),
        [
            "symbol bang0",
            "list int0 2",
            "list float0 2.5",
            "list symbol0 x",
            "list list0 1 b",
            "list any1 int 7",
            "list any1 float 0.5",
            "list any1 foo bar 1",
            "list any1 bang",
            "symbol Probe",
            "symbol left",
            "symbol last",
        ],
        "{}",
        m.text()
    );
    assert_eq!(m.outlet("a", 1), ["set0 5 6", "symbol right"], "{}", m.text());
    // The status outlet is the rightmost: outlet 2 of three.
    let status = m.outlet("a", 2);
    assert_eq!(status.len(), 1, "{}", m.text());
    assert!(
        status[0].starts_with(
            "error AttributeError no method for 'nothing' at inlet 0: define in_0_nothing or in_0_anything"
        ),
        "{status:?}"
    );
    // Outlets leave in the order the method sent them.
    let both: Vec<String> =
        m.outs("a").iter().rev().take(3).rev().map(|o| format!("{} {}", o.outlet, o.message)).collect();
    assert_eq!(both, ["1 symbol right", "0 symbol left", "0 symbol last"], "{}", m.text());
    // The proxy inlet works from the scheduler thread too.
    m.sched("a", 1, "int 8");
    let out = m.expect_out("a", 0);
    assert_eq!((out.thread.as_str(), out.message.as_str()), ("sched", "list any1 int 8"));
    m.quit();
}

const SYNTH: &str = "import pyrus\n\nclass Synth(pyrus.Object):\n    inlets = 2\n    outlets = 2\n    outlet_help = ('frequency in Hz',)\n    def in_0_float(self, x):\n        \"\"\"pitch as a MIDI note\"\"\"\n    def in_0_bang(self):\n        pass\n    def in_1_float(self, x):\n        \"\"\"glide time in ms\"\"\"\n";

/// Every inlet and outlet has an assist text (the engine's `describe`): a
/// class's come from the class (`outlet_help`, its methods' docstrings), a
/// function's from its docstring, and the status outlet, always the
/// rightmost, says what it reports.
#[test]
fn assist_texts_come_from_the_target() {
    let mut m = with_scripts("assist", &[("synth.py", SYNTH)]);
    m.new_object("f", "pyrus operator.add");
    m.new_object("c", "pyrus synth.Synth");
    m.new_object("i", "pyrus");
    assert_eq!(m.assist("f", "in", 0), "each message calls operator.add: Same as a + b.");
    assert_eq!(m.assist("f", "out", 0), "what operator.add returns");
    assert!(m.assist("f", "out", 1).starts_with("status: error TYPE MESSAGE..."), "{}", m.text());
    assert_eq!(m.assist("c", "in", 0), "float: pitch as a MIDI note; bang");
    assert_eq!(m.assist("c", "in", 1), "float: glide time in ms");
    assert_eq!(m.assist("c", "out", 0), "frequency in Hz");
    assert_eq!(m.assist("c", "out", 1), "outlet 1");
    assert!(m.assist("c", "out", 2).starts_with("status: error TYPE MESSAGE..."), "{}", m.text());
    assert!(m.assist("i", "in", 0).starts_with("import, eval, exec, load, call, reload;"), "{}", m.text());
    assert_eq!(m.assist("i", "out", 0), "results of eval and call");
    m.quit();
}

const COUNTER_V1: &str = "import pyrus\n\nclass Counter(pyrus.Object):\n    def __init__(self, step=1):\n        self.count = 0\n        self.step = step\n\n    def in_0_bang(self):\n        self.count += self.step\n        return self.count\n\n    def on_reload(self):\n        pyrus.post('reloaded at', self.count)\n\n    def on_close(self):\n        pyrus.post('closing at', self.count)\n";

fn counter_v2() -> String {
    COUNTER_V1.replace("return self.count", "return self.count * 100")
}

#[test]
fn reload_changes_behaviour_and_keeps_state_in_every_instance() {
    let mut m = with_scripts("reload", &[("ctr.py", COUNTER_V1)]);
    m.new_object("a", "pyrus ctr.Counter");
    m.new_object("b", "pyrus ctr.Counter 10");
    m.cmds(&["send a 0 bang", "send a 0 bang", "send b 0 bang"]);
    m.sync("b");
    m.write("ctr.py", &counter_v2());
    m.cmds(&["send a 0 reload", "send a 0 bang", "send b 0 bang"]);
    m.sync("b");
    assert_eq!(m.outlet("a", 0), ["int 1", "int 2", "int 300"], "{}", m.text());
    assert_eq!(m.outlet("b", 0), ["int 10", "int 2000"], "{}", m.text());
    assert!(m.posts().iter().any(|l| l == "reloaded at 2"), "{}", m.text());
    assert!(m.posts().iter().any(|l| l == "reloaded at 10"), "{}", m.text());
    m.quit();
}

#[test]
fn a_broken_edit_keeps_the_old_code_and_a_fixed_one_takes_over() {
    let mut m = with_scripts("broken", &[("bctr.py", COUNTER_V1)]);
    m.new_object("a", "pyrus bctr.Counter");
    m.send("a", 0, "bang");
    m.sync("a");
    m.write("bctr.py", &COUNTER_V1.replace("return self.count", "return self.count +"));
    m.cmds(&["send a 0 reload", "send a 0 bang"]);
    m.sync("a");
    m.write("bctr.py", &format!("{COUNTER_V1}\nraise RuntimeError('at import')\n"));
    m.cmds(&["send a 0 reload", "send a 0 bang"]);
    m.sync("a");
    m.write("bctr.py", &counter_v2());
    m.cmds(&["send a 0 reload", "send a 0 bang"]);
    m.sync("a");
    assert_eq!(m.outlet("a", 0), ["int 1", "int 2", "int 3", "int 400"], "{}", m.text());
    let status = m.outlet("a", 1);
    assert!(status[0].starts_with("error SyntaxError"), "{status:?}");
    assert!(status[1].starts_with("error RuntimeError at import"), "{status:?}");
    assert!(m.errors().iter().any(|l| l.contains("bctr.py\", line 10")), "file:line: {}", m.text());
    m.quit();
}

#[test]
fn changing_inlets_or_outlets_asks_to_recreate_and_keeps_working() {
    let mut m = with_scripts("shape", &[("sctr.py", COUNTER_V1)]);
    m.new_object("a", "pyrus sctr.Counter");
    m.sync("a");
    m.write(
        "sctr.py",
        &counter_v2().replace("class Counter(pyrus.Object):\n", "class Counter(pyrus.Object):\n    outlets = 3\n"),
    );
    m.cmds(&["send a 0 reload", "send a 0 bang"]);
    m.sync("a");
    assert!(m.contains("recreate the object to change them"), "{}", m.text());
    assert_eq!(m.outlet("a", 0), ["int 100"], "{}", m.text());
    m.quit();
}

#[test]
fn reload_while_a_detached_job_runs_lets_it_finish_on_the_old_code() {
    let v1 = "import time, pyrus\n\nclass Slow(pyrus.Object):\n    def in_0_int(self, x):\n        time.sleep(0.2)\n        return ['old', x]\n";
    let mut m = with_scripts("detachedreload", &[("slow.py", v1)]);
    m.new_object("s", "pyrus slow.Slow @detach 1");
    m.send("s", 0, "int 1");
    // The kernel has made the object (imported v1) and queued job 1 once
    // this is back: only then is the file saved.
    m.sync("s");
    m.write("slow.py", &v1.replace("'old'", "'newer'"));
    m.cmds(&["send s 0 reload", "send s 0 int 2"]);
    m.until_outlet("s", 0, 2);
    assert_eq!(m.outlet("s", 0), ["list old 1", "list newer 2"], "{}", m.text());
    m.quit();
}

#[test]
fn on_close_runs_when_the_object_is_freed() {
    let mut m = with_scripts("onclose", &[("cctr.py", COUNTER_V1)]);
    m.new_object("victim", "pyrus cctr.Counter");
    m.new_object("other", "pyrus");
    m.cmds(&["send victim 0 bang", "send victim 0 bang", "free victim"]);
    m.expect("post closing at 2");
    m.send("other", 0, "eval 'alive'");
    assert_eq!(m.expect_out("other", 0).message, "symbol alive");
    m.quit();
}

#[test]
fn watch_reloads_on_a_save() {
    let mut m = with_scripts("watch", &[("wctr.py", COUNTER_V1)]);
    m.new_object("w", "pyrus wctr.Counter @watch 1");
    m.send("w", 0, "bang");
    assert_eq!(m.expect_out("w", 0).message, "int 1");
    let saved = Instant::now();
    m.write("wctr.py", &counter_v2());
    m.expect("post reloaded at 1");
    let took = saved.elapsed();
    println!("reloaded {took:?} after the save");
    m.send("w", 0, "bang");
    assert_eq!(m.expect_out("w", 0).message, "int 200", "{}", m.text());
    // `watch 0` as a message: a save no longer reloads (the next bang, sent
    // after the watcher's debounce would have passed, runs the old code).
    m.send("w", 0, "watch 0");
    m.sync("w");
    m.write("wctr.py", COUNTER_V1);
    m.cmd("wait 600");
    m.send("w", 0, "bang");
    assert_eq!(m.expect_out("w", 0).message, "int 300", "{}", m.text());
    assert_eq!(m.posts().iter().filter(|l| l.starts_with("reloaded at")).count(), 1, "{}", m.text());
    m.quit();
}

#[test]
fn dblclick_and_open_start_the_editor_on_the_script() {
    let dir = test_dir("open-editor");
    let marker = dir.join("opened.txt");
    // An editor that writes down the file it is given: a shell script, or a
    // batch file for the Windows build (cmd /C start runs it).
    let fake = if windows() {
        let fake = dir.join("fake-editor.cmd");
        std::fs::write(&fake, format!("@echo %~1>>\"{}\"\r\n", kernel_path(&marker))).unwrap();
        fake
    } else {
        let fake = dir.join("fake-editor.sh");
        std::fs::write(&fake, format!("#!/bin/sh\necho \"$1\" >> {}\n", marker.display())).unwrap();
        std::process::Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
        fake
    };
    let mut m = Max::start_env("open", &[("VISUAL", &kernel_path(&fake))]);
    m.write("octr.py", COUNTER_V1);
    m.new_object("o", "pyrus octr.Counter");
    m.new_object("none", "pyrus");
    // The editor runs on its own: wait for what it writes (a hang guard),
    // one editor at a time (two appending at once may lose a line on
    // Windows, where an append is a seek, then a write).
    let written = |n: usize| {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&marker).unwrap_or_default();
            if text.lines().count() >= n || start.elapsed() > HANG {
                break text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    m.cmd("dblclick o");
    written(1);
    m.cmds(&["send o 0 open", "send none 0 open"]);
    m.until_outlet("none", 1, 1);
    assert!(m.outlet("none", 1)[0].contains("comes from no script file"), "{}", m.text());
    let opened = written(2);
    // Windows takes either separator: compared as the kernel names the file.
    let script = kernel_path(&m.dir().join("octr.py"));
    let opened: Vec<String> =
        opened.lines().map(|l| if windows() { l.replace('/', "\\") } else { l.to_owned() }).collect();
    assert_eq!(opened, [script.as_str(), script.as_str()], "{}", m.text());
    m.quit();
}
