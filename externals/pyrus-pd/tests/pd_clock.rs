//! `pyrus.after`, `pyrus.every` and `pyrus.receive` in real Pd, in `-batch`
//! mode: clocks run in Pd's logical time, which `[timer]` measures exactly,
//! whatever the machine's speed.

mod support;
use support::*;

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const TIMERS: &str = "\
import pyrus

def start():
    pyrus.after(110, lambda: pyrus.Message('after'))
    n = [0]
    def tick():
        n[0] += 1
        if n[0] == 4:
            h.cancel()
        return pyrus.Message('tick')
    h = pyrus.every(25, tick)
";

/// `[timer]`s started with the object's call measure when each callback's
/// result leaves it, in logical ms: every(25) four times (the fourth
/// cancels it from inside its own callback), after(110) once.
#[test]
fn after_and_every_run_in_logical_time_and_cancel_from_the_callback() {
    let dir = test_dir("clock-timing");
    write(&dir, "clk.py", TIMERS);
    let mut p = Patch::new();
    let go = p.obj("r go");
    let both = p.obj("t b b b");
    let o = p.obj("pyrus clk.start");
    let route = p.obj("route tick after");
    let (tick_timer, after_timer) = (p.obj("timer"), p.obj("timer"));
    let (tick_bang, after_bang) = (p.obj("t b"), p.obj("t b"));
    let (tick_print, after_print) = (p.obj("print tick"), p.obj("print after"));
    p.connect(go, 0, both, 0);
    p.connect(both, 2, tick_timer, 0);
    p.connect(both, 1, after_timer, 0);
    p.connect(both, 0, o, 0);
    p.connect(o, 0, route, 0);
    p.connect(route, 0, tick_bang, 0);
    p.connect(route, 1, after_bang, 0);
    p.connect(tick_bang, 0, tick_timer, 1);
    p.connect(after_bang, 0, after_timer, 1);
    p.connect(tick_timer, 0, tick_print, 0);
    p.connect(after_timer, 0, after_print, 0);
    let status = p.obj("print status");
    p.connect(o, 1, status, 0);
    // Long after: nothing more may come by then.
    let later = p.obj("delay 1000");
    let quit = p.msg("; pd quit");
    p.connect(both, 0, later, 0);
    p.connect(later, 0, quit, 0);
    p.start(&[("go", "bang")]);
    let t = run(&dir, "timing", &p);
    assert_eq!(t.printed("tick"), ["25", "50", "75", "100"], "{}", t.text());
    assert_eq!(t.printed("after"), ["110"], "{}", t.text());
    assert!(t.printed("status").is_empty(), "{}", t.text());
}

/// A patch whose `[pd sub]` holds `[pyrus ARGS]` fed by `[r NAME]`, its
/// outlet 0 sent to `results`; `; pd-sub clear` deletes it.
fn with_subpatch(p: &str, name: &str, args: &str) -> String {
    format!(
        "#N canvas 0 0 600 400 12;\n#N canvas 0 0 400 300 sub 0;\n#X obj 10 10 r {name};\n#X obj 10 40 pyrus {args};\n\
         #X obj 10 70 s results;\n#X obj 100 70 print {name}-status;\n#X connect 0 0 1 0;\n#X connect 1 0 2 0;\n\
         #X connect 1 1 3 0;\n#X restore 10 10 pd sub;\n{p}"
    )
}

/// Boxes after the subpatch (index 0), as `Patch` would write them.
fn boxes(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn deleting_an_object_with_clocks_and_a_receiver_pending_fires_nothing_after() {
    for detach in ["0", "1"] {
        let dir = test_dir(&format!("clock-delete-{detach}"));
        write(
            &dir,
            "pending.py",
            "import pyrus\n\ndef arm():\n    pyrus.after(50, lambda: pyrus.Message('fired', 'after'))\n    \
             pyrus.every(10, lambda: pyrus.Message('fired', 'every'))\n    \
             pyrus.receive('bus', lambda *a: pyrus.Message('fired', 'receive'))\n    return pyrus.Message('armed')\n",
        );
        // Armed (its result came back, and with it the clocks), then 1 ms
        // later (outside the object's call) the subpatch is cleared, `bus`
        // gets a message and `results` a mark; 200 ms later, quit.
        let rest = boxes(&[
            "#X obj 10 100 r results;",
            "#X obj 10 130 print results;",
            "#X obj 10 160 route armed;",
            "#X msg 10 190 \\; pd-sub clear \\; bus 1 \\; results cleared;",
            "#X obj 10 220 delay 200;",
            "#X msg 10 250 \\; pd quit;",
            "#X obj 200 100 loadbang;",
            "#X msg 200 130 \\; arm bang;",
            "#X obj 200 160 delay 1;",
            "#X connect 1 0 2 0;",
            "#X connect 1 0 3 0;",
            "#X connect 3 0 9 0;",
            "#X connect 9 0 4 0;",
            "#X connect 3 0 5 0;",
            "#X connect 5 0 6 0;",
            "#X connect 7 0 8 0;",
        ]);
        let path = dir.join("delete.pd");
        std::fs::write(&path, with_subpatch(&rest, "arm", &format!("-detach {detach} pending.arm"))).unwrap();
        let t = run_pd(&path, &[], std::time::Duration::from_secs(60));
        assert_eq!(t.status, Some(0), "no crash (detach {detach}):\n{}", t.text());
        // In -batch, logical time may run on while the worker's `armed`
        // is on its way: ticks before the deletion are fine, none after.
        let results = t.printed("results");
        assert_eq!(results.first().map(String::as_str), Some("armed"), "detach {detach}:\n{}", t.text());
        assert_eq!(
            results.last().map(String::as_str),
            Some("cleared"),
            "nothing fires after deletion (detach {detach}):\n{}",
            t.text()
        );
        assert!(t.errors().is_empty(), "detach {detach}:\n{}", t.text());
    }
}

#[test]
fn a_reload_stops_the_old_codes_clocks_and_the_new_code_starts_its_own() {
    let dir = test_dir("clock-reload");
    write(&dir, "mode.txt", "old");
    write(
        &dir,
        "reloading.py",
        "import pyrus, os\nMODE = open(os.path.join(os.path.dirname(__file__), 'mode.txt')).read()\n\n\
         class C(pyrus.Object):\n    def __init__(self):\n        self.h = pyrus.every(10, self.tick)\n    \
         def tick(self):\n        return pyrus.Message(MODE)\n    def on_reload(self):\n        \
         self.h = pyrus.every(10, self.tick)\n    def in_0_switch(self):\n        \
         open(os.path.join(os.path.dirname(__file__), 'mode.txt'), 'w').write('new')\n",
    );
    let mut p = Patch::new();
    let o = p.pyrus("clk", "reloading.C");
    let _ = o;
    // At 35 ms: the new mode, reloaded; at 100 ms, quit.
    let lb = p.obj("loadbang");
    let at35 = p.obj("delay 35");
    let reload = p.msg("; clk switch; clk reload");
    let at100 = p.obj("delay 100");
    let quit = p.msg("; pd quit");
    p.connect(lb, 0, at35, 0);
    p.connect(at35, 0, reload, 0);
    p.connect(lb, 0, at100, 0);
    p.connect(at100, 0, quit, 0);
    let t = run(&dir, "reload", &p);
    // Old at 10, 20, 30; the new clock from 35: 45 ... 95.
    let expected: Vec<&str> = ["old"; 3].into_iter().chain(["new"; 6]).collect();
    assert_eq!(t.printed("clk"), expected, "{}", t.text());
    assert!(t.printed("clk-status").is_empty(), "{}", t.text());
}

const RECEIVER: &str = "\
import pyrus

def start(tag):
    pyrus.receive('bus', lambda *atoms: pyrus.Message('got', tag, *atoms))
    return pyrus.Message('bound', tag)
";

#[test]
fn receive_gets_send_messages_in_every_detach_mode_beside_other_receivers() {
    let dir = test_dir("clock-receive");
    write(&dir, "recv.py", RECEIVER);
    let mut p = Patch::new();
    let results = p.obj("r results");
    let print = p.obj("print results");
    p.connect(results, 0, print, 0);
    for detach in 0..3 {
        let o = p.obj(&format!("pyrus -detach {detach} recv.start d{detach}"));
        let r = p.obj(&format!("r start{detach}"));
        let s = p.obj("s results");
        p.connect(r, 0, o, 0);
        p.connect(o, 0, s, 0);
    }
    // A vanilla [receive bus] beside them.
    let vanilla = p.obj("r bus");
    let vprint = p.obj("print vanilla");
    p.connect(vanilla, 0, vprint, 0);
    // Once all three are bound: a list, a bang through [s bus], `foo 7`.
    let route = p.obj("route bound got");
    p.connect(results, 0, route, 0);
    let count = p.counter();
    let each = p.obj("t b");
    let sel = p.obj("sel 2");
    let order = p.obj("t b b");
    let sends = p.msg("; bus 1 2 3; bus foo 7");
    let s_bus = p.obj("s bus");
    p.connect(route, 0, each, 0);
    p.connect(each, 0, count, 0);
    p.connect(count, 0, sel, 0);
    p.connect(sel, 0, order, 0);
    p.connect(order, 1, sends, 0);
    p.connect(order, 0, s_bus, 0);
    // 3 objects x 3 messages.
    let got_count = p.counter();
    let got_each = p.obj("t b");
    let nine = p.obj("sel 8");
    let quit = p.msg("; pd quit");
    p.connect(route, 1, got_each, 0);
    p.connect(got_each, 0, got_count, 0);
    p.connect(got_count, 0, nine, 0);
    p.connect(nine, 0, quit, 0);
    p.start(&[("start0", "bang"), ("start1", "bang"), ("start2", "bang")]);
    let t = run(&dir, "receive", &p);
    let mut got: Vec<String> = t.printed("results").into_iter().filter(|l| l.starts_with("got")).collect();
    got.sort();
    let mut expected = Vec::new();
    for tag in ["d0", "d1", "d2"] {
        expected.extend([format!("got {tag}"), format!("got {tag} 1 2 3"), format!("got {tag} foo 7")]);
    }
    expected.sort();
    assert_eq!(got, expected, "{}", t.text());
    // In each object, the messages in the order they were sent.
    for tag in ["d0", "d1", "d2"] {
        let mine: Vec<String> =
            t.printed("results").into_iter().filter(|l| l.starts_with(&format!("got {tag}"))).collect();
        assert_eq!(
            mine,
            [format!("got {tag} 1 2 3"), format!("got {tag} foo 7"), format!("got {tag}")],
            "{}",
            t.text()
        );
    }
    assert_eq!(t.printed("vanilla"), ["1 2 3", "foo 7", "bang"], "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}

/// A receiver that cancels itself inside its own first message, beside
/// another one and a vanilla `[r]` on the same name (Pd's bindlist walks
/// them while it sends): it hears one message, the others both.
#[test]
fn a_receiver_cancelled_inside_its_own_message_hears_no_more_and_the_others_do() {
    let dir = test_dir("clock-receive-cancel");
    write(
        &dir,
        "once.py",
        "import pyrus\n\ndef start(tag, once):\n    def got(*atoms):\n        if once:\n            h.cancel()\n            h.cancel()\n        \
         return pyrus.Message('got', tag, *atoms)\n    h = pyrus.receive('bus', got)\n",
    );
    let mut p = Patch::new();
    for (tag, once) in [("a", 1), ("b", 0)] {
        let o = p.obj(&format!("pyrus once.start {tag} {once}"));
        let r = p.obj(&format!("r start-{tag}"));
        let print = p.obj("print results");
        p.connect(r, 0, o, 0);
        p.connect(o, 0, print, 0);
    }
    let vanilla = p.obj("r bus");
    let vprint = p.obj("print vanilla");
    p.connect(vanilla, 0, vprint, 0);
    p.script(&[("start-a", "bang"), ("start-b", "bang"), ("bus", "1"), ("bus", "2")]);
    let t = run(&dir, "receive-cancel", &p);
    let mut got = t.printed("results");
    got.sort();
    assert_eq!(got, ["got a 1", "got b 1", "got b 2"], "{}", t.text());
    assert_eq!(t.printed("vanilla"), ["1", "2"], "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}
