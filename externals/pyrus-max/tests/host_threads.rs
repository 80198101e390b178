//! The Max host's own thread rules, in the fake-max kernel: what
//! `pyrus-max` decides rather than the engine (see the crate's thread
//! contract): an `open` that arrives on the scheduler thread runs on main,
//! a main-thread synchronous call gives Python back as it ends (main keeps
//! no GIL lease: nothing would end it before main's queue comes round). (A free while a scheduler-thread call runs, the
//! object's gate, is `max_detached.rs`'s
//! `freeing_an_object_while_a_scheduler_thread_call_runs`.)

mod support;
use support::*;

/// `open` and `pyrus open` sent on the scheduler thread reach the editor on
/// the main thread (the object's qelem): the error of a missing editor
/// leaves from main. Without the qelem it would leave on `sched`.
#[test]
fn open_from_the_scheduler_thread_runs_on_main() {
    let mut m = Max::start_env("openmain", &[("VISUAL", "pyrus-no-such-editor"), ("EDITOR", "")]);
    m.write("tool.py", "def f(x):\n    return x\n");
    m.new_object("t", "pyrus tool.f");
    m.sched("t", 0, "open");
    let first = m.expect_out("t", 1);
    m.sched("t", 0, "pyrus open");
    let second = m.expect_out("t", 1);
    for out in [&first, &second] {
        assert!(out.message.contains("pyrus-no-such-editor"), "{}", m.text());
        assert_eq!(out.thread, "main", "{}", m.text());
    }
    // Other messages from the scheduler thread still run there.
    m.sched("t", 0, "int 3");
    assert_eq!(m.expect_out("t", 0).thread, "sched", "{}", m.text());
    m.quit();
}

/// A synchronous call on main gives the GIL back; were it kept, the
/// detached job that follows could never get Python and its result would
/// never come.
#[test]
fn the_main_threads_lease_ends_by_itself() {
    let mut m = Max::start("mainlease");
    m.write("ident.py", "def f(x):\n    return x\n");
    m.new_object("p", "pyrus");
    m.new_object("d", "pyrus ident.f @detach 1");
    m.send("p", 0, "eval 40 + 2");
    m.send("d", 0, "int 7");
    assert_eq!(m.expect_out("p", 0).message, "int 42");
    let d = m.expect_out("d", 0);
    assert_eq!((d.message.as_str(), d.thread.as_str()), ("int 7", "sched"), "{}", m.text());
    m.quit();
}

/// An external that keeps the main thread busy outside Python (as Max's
/// drawing and typing do): `waitfor FILE` makes the file `waiting`, then
/// waits up to 5 s for FILE to exist and says `ok` or `timeout`. Written against fake-max's header of facts.
const MAIN_BUSY: &str = r#"
#include "ext.h"
#include "ext_obex.h"
#include <stdio.h>
#include <unistd.h>
typedef struct { t_object ob; void *out; } t_busy;
static t_class *busy_class;
static void *busy_new(t_symbol *s, long argc, t_atom *argv) {
    t_busy *x = (t_busy *)object_alloc(busy_class);
    x->out = outlet_new(x, NULL);
    return x;
}
static void busy_waitfor(t_busy *x, t_symbol *file);
/* `reload_then_waitfor FILE`: `; pyrus reload` (Python on main, in this
   event), then the wait, in the same event. */
static void busy_reload_then_waitfor(t_busy *x, t_symbol *file) {
    t_symbol *pyrus = gensym("pyrus");
    if (pyrus->s_thing) typedmess(pyrus->s_thing, gensym("reload"), 0, NULL);
    busy_waitfor(x, file);
}
static void busy_waitfor(t_busy *x, t_symbol *file) {
    FILE *f = fopen("waiting", "w");
    if (f) fclose(f);
    for (int i = 0; i < 5000; i++) {
        if (access(file->s_name, F_OK) == 0) { outlet_anything(x->out, gensym("ok"), 0, NULL); return; }
        usleep(1000);
    }
    outlet_anything(x->out, gensym("timeout"), 0, NULL);
}
void ext_main(void *r) {
    busy_class = class_new("mainbusy", (method)busy_new, NULL, sizeof(t_busy), 0L, A_GIMME, 0);
    class_addmethod(busy_class, (method)busy_waitfor, "waitfor", A_SYM, 0);
    class_addmethod(busy_class, (method)busy_reload_then_waitfor, "reload_then_waitfor", A_SYM, 0);
    class_register(CLASS_BOX, busy_class);
}
"#;

/// Once Python's part of a main-thread event is over, Python is free while
/// main goes on with other work in the same event (a message box's
/// `; pyrus reload`, then the rest of the patch): a Python thread runs while
/// an external keeps main busy. With a lease kept until main's queue came
/// round, that thread (and every scheduler-thread call) would wait for the
/// whole of main's work: `timeout`.
#[test]
fn python_is_free_while_main_is_busy_after_a_call() {
    let mut m = Max::start("mainbusy");
    let source = m.dir().join("mainbusy.c");
    std::fs::write(&source, MAIN_BUSY).unwrap();
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/../fake-max/include");
    let built = std::process::Command::new("gcc")
        .args(["-shared", "-fPIC", "-O1", "-I", include, "-o"])
        .arg(m.dir().join("mainbusy.so"))
        .arg(&source)
        .status()
        .expect("gcc runs");
    assert!(built.success(), "the test external builds");
    m.cmd(&format!("load {}", m.dir().join("mainbusy.so").display()));
    // The thread needs Python while main waits: it polls for `waiting`.
    m.write("marker.py", "import os, pathlib, threading, time\n\ndef poll():\n    for _ in range(5000):\n        if os.path.exists('waiting'):\n            pathlib.Path('ran').write_text('1')\n            return\n        time.sleep(0.001)\n\ndef start():\n    threading.Thread(target=poll).start()\n");
    m.new_object("p", "pyrus marker.start");
    m.new_object("b", "mainbusy");
    m.send("p", 0, "bang");
    // Python on main, then main busy in the same event: the GIL must be
    // free as soon as the Python part is over.
    m.send("b", 0, "reload_then_waitfor ran");
    assert_eq!(m.expect_out("b", 0).message, "ok", "{}", m.text());
    m.quit();
}
