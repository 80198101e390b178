//! What scripts print reaches the Max window in the fake-max kernel:
//! `print()`, stdout and stderr writes, warnings, `__del__` and
//! script-thread tracebacks, from either host thread, a worker or a
//! script's thread; a flood is rate-limited with a count of what was left
//! out; long lines are cut; and nothing goes to the process's standard
//! output (here the kernel's protocol, which a stray line would corrupt).

mod support;
use support::*;

const NOISY: &str = r#"
import sys, threading, warnings, _thread
class D:
    def __del__(self):
        raise RuntimeError("error in __del__ of " + self.tag)
def say(tag):
    print("print", "from", tag)
    sys.stdout.write("no newline from %s" % tag)
    sys.stderr.write("stderr from %s\n" % tag)
def thread(tag):
    t = threading.Thread(target=lambda: print("thread says", tag))
    t.start()
    t.join()
def thread_error(tag):
    def fail():
        raise ValueError("thread of " + tag)
    t = threading.Thread(target=fail)
    t.start()
    t.join()
def delete(tag):
    d = D()
    d.tag = tag
def warn(tag):
    warnings.warn("careful with " + tag)
def orphan(tag):
    done = _thread.allocate_lock()
    done.acquire()
    def run():
        print("orphan says", tag)
        done.release()
    _thread.start_new_thread(run, ())
    done.acquire()
def flood(n):
    for i in range(n):
        print("line", i)
def big():
    for i in range(4):
        print("x" * 100000)
        sys.stderr.write("z" * 100000 + "\n")
    return "printed"
"#;

/// Every line the kernel writes is one of its protocol's.
fn assert_protocol_only(m: &Max) {
    let kinds = ["out ", "post", "error", "assist ", "violation"];
    let stray: Vec<&String> = m.lines.iter().filter(|l| !kinds.iter().any(|k| l.starts_with(k))).collect();
    assert!(stray.is_empty(), "lines outside the protocol (a script wrote to the process's stdout): {stray:?}");
}

#[test]
fn script_output_of_every_kind_and_thread_reaches_the_max_window() {
    let mut m = with_scripts("console-kinds", &[("noisy.py", NOISY)]);
    m.new_object("main", "pyrus");
    m.new_object("sched", "pyrus");
    m.new_object("det", "pyrus @detach 1");
    let calls = ["say", "thread", "thread_error", "delete", "warn", "orphan"];
    for (id, tag) in [("main", "main"), ("sched", "sched"), ("det", "detach-1")] {
        let deliver = if id == "sched" { "sched" } else { "send" };
        m.cmd(&format!("{deliver} {id} 0 exec import noisy"));
        for f in calls {
            m.cmd(&format!("{deliver} {id} 0 call noisy.{f} {tag}"));
        }
    }
    let expected = |tag: &str| {
        [
            format!("post print from {tag}"),
            format!("post no newline from {tag}"),
            format!("post thread says {tag}"),
            format!("post orphan says {tag}"),
        ]
    };
    m.until("every post of every call", |m| {
        ["main", "sched", "detach-1"].iter().all(|tag| expected(tag).iter().all(|l| m.lines.contains(l)))
            && m.outlet("det", 1).last().is_some_and(|s| s == "busy 0")
    });
    m.sync("main");
    for tag in ["main", "sched", "detach-1"] {
        let errors = m.errors();
        for line in [
            format!("stderr from {tag}"),
            format!("ValueError: thread of {tag}"),
            format!("RuntimeError: error in __del__ of {tag}"),
            format!("UserWarning: careful with {tag}"),
        ] {
            assert!(errors.iter().any(|l| l.ends_with(&line)), "{line:?} is not an error line:\n{}", m.text());
        }
    }
    assert_eq!(m.errors().iter().filter(|l| l.contains("Exception in thread")).count(), 3, "{}", m.text());
    assert_eq!(m.errors().iter().filter(|l| l.contains("Exception ignored in")).count(), 3, "{}", m.text());
    assert_protocol_only(&m);
    m.quit();
}

#[test]
fn a_flood_is_rate_limited_with_a_count_of_what_was_left_out() {
    let mut m = with_scripts("console-flood", &[("noisy.py", NOISY)]);
    m.new_object("py", "pyrus");
    let n = 50_000;
    m.send("py", 0, "exec import noisy");
    m.send("py", 0, &format!("call noisy.flood {n}"));
    // The count comes once the flood's second is over.
    let line = m.expect_containing("pyrus: ... ");
    let count: usize = line.split("pyrus: ... ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let shown: Vec<String> = m.posts().into_iter().filter(|l| l.starts_with("line ")).collect();
    assert!(count > 0 && shown.len() < n, "{} shown, {count} left out", shown.len());
    let expected: Vec<String> = (0..shown.len()).map(|i| format!("line {i}")).collect();
    assert_eq!(shown, expected, "the first lines, in order");
    assert!(shown.len() <= pyrus_engine::LINES_PER_SECOND as usize, "{} lines shown in the first second", shown.len());
    m.quit();
}

#[test]
fn long_lines_are_cut_with_a_count_and_nothing_reaches_the_process_stdout() {
    let mut m = with_scripts("console-big", &[("noisy.py", NOISY)]);
    m.new_object("py", "pyrus noisy.big");
    m.send("py", 0, "bang");
    assert_eq!(m.expect_out("py", 0).message, "symbol printed");
    m.sync("py");
    let cut = format!(" ... ({} more bytes of this line left out)", 100_000 - pyrus_engine::MAX_LINE_BYTES);
    assert_eq!(m.lines.iter().filter(|l| l.ends_with(&cut)).count(), 8, "{}", m.text());
    assert_protocol_only(&m);
    m.quit();
}
