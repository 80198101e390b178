//! What scripts print reaches Pd's console, in real Pd: `print()`, stdout and
//! stderr writes, warnings, `__del__` and script-thread tracebacks, from Pd's
//! thread, a worker or a script's thread; a flood is rate-limited with a count
//! of what was left out; and nothing goes to the process's stdout, so a pipe
//! nobody reads never blocks Pd.

mod support;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
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
    # A thread no object started (not through threading.Thread.start).
    done = _thread.allocate_lock()
    done.acquire()
    def run():
        print("orphan says", tag)
        done.release()
    _thread.start_new_thread(run, ())
    done.acquire()
def orphan_error(tag):
    done = _thread.allocate_lock()
    done.acquire()
    def run():
        sys.stderr.write("orphan error %s\n" % tag)
        done.release()
    _thread.start_new_thread(run, ())
    done.acquire()
def flood(n):
    for i in range(n):
        print("line", i)
def big():
    for i in range(40):
        print("x" * 100000)
        sys.stderr.write("z" * 100000 + "\n")
    return "printed"
"#;

fn setup(name: &str) -> std::path::PathBuf {
    let dir = test_dir(name);
    std::fs::write(dir.join("noisy.py"), NOISY).unwrap();
    dir
}

#[test]
fn script_output_of_every_kind_and_thread_reaches_the_console() {
    let dir = setup("console-kinds");
    let mut p = Patch::new();
    p.pyrus("sync", "");
    let detached = p.pyrus("det", "-detach 1");
    p.quit_when_idle(detached);
    let calls = ["say", "thread", "thread_error", "delete", "warn", "orphan"];
    let mut sends = Vec::new();
    for (to, tag) in [("sync", "detach-0"), ("det", "detach-1")] {
        sends.push((to, "exec import noisy".to_owned()));
        sends.extend(calls.iter().map(|f| (to, format!("call noisy.{f} {tag}"))));
    }
    let sends: Vec<(&str, &str)> = sends.iter().map(|(to, m)| (*to, m.as_str())).collect();
    p.start(&sends);
    let t = run(&dir, "console-kinds", &p);
    let text = t.text();
    for tag in ["detach-0", "detach-1"] {
        for line in [
            format!("print from {tag}"),
            format!("no newline from {tag}"),
            format!("thread says {tag}"),
            format!("orphan says {tag}"),
            format!("error: stderr from {tag}"),
            format!("error: ValueError: thread of {tag}"),
            format!("error: RuntimeError: error in __del__ of {tag}"),
        ] {
            assert!(t.lines.contains(&line), "{line:?} is not a console line:\n{text}");
        }
        assert!(t.errors().iter().any(|l| l.ends_with(&format!("UserWarning: careful with {tag}"))), "{text}");
    }
    assert_eq!(t.errors().iter().filter(|l| l.starts_with("Exception in thread")).count(), 2, "{text}");
    assert_eq!(t.errors().iter().filter(|l| l.starts_with("Exception ignored in")).count(), 2, "{text}");
}

#[test]
fn stderr_lines_are_errors_of_their_object_and_orphans_of_none() {
    let dir = setup("console-attributed");
    // Pd's Find Last Error (`pd finderror`) says whether the last error
    // belongs to an object: "last trackable error:" and its text if it
    // does, "no findable error yet" if it belongs to none.
    let mut p = Patch::new();
    let det = p.pyrus("det", "-detach 1");
    let orphan = p.pyrus("orphan", "-detach 1");
    let (route, sel) = (p.obj("route busy"), p.obj("sel 0"));
    p.connect(det, 1, route, 0);
    p.connect(route, 0, sel, 0);
    let next = p.msg("; pd finderror; orphan call noisy.orphan_error detach-1");
    p.connect(sel, 0, next, 0);
    let (route, sel) = (p.obj("route busy"), p.obj("sel 0"));
    p.connect(orphan, 1, route, 0);
    p.connect(route, 0, sel, 0);
    let last = p.msg("; pd finderror; pd quit");
    p.connect(sel, 0, last, 0);
    p.start(&[("det", "call noisy.say detach-1")]);
    let t = run(&dir, "console-attributed", &p);
    let text = t.text();
    let at = t.lines.iter().position(|l| l == "last trackable error:").unwrap_or_else(|| panic!("{text}"));
    assert_eq!(t.lines[at + 1], "stderr from detach-1", "{text}");
    // The orphan's error is in the console, attributed to no object.
    assert!(t.lines[at..].contains(&"error: orphan error detach-1".to_owned()), "{text}");
    let last = t.lines.iter().rev().find(|l| !l.is_empty());
    assert_eq!(last.map(String::as_str), Some("no findable error yet"), "{text}");
}

/// Pd running `patch` in realtime, its stderr read line by line into a channel.
fn spawn_pd(patch: &Path, stdout: Stdio) -> (Child, mpsc::Receiver<String>) {
    let mut child = pd_command(patch.parent().unwrap())
        .arg("-open")
        .arg(patch)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("pd runs");
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    (child, received)
}

#[test]
fn a_flood_is_rate_limited_with_a_count_of_what_was_left_out() {
    let dir = setup("console-flood");
    let mut p = Patch::new();
    p.pyrus("py", "");
    let n = 50_000;
    let flood = format!("call noisy.flood {n}");
    p.start(&[("py", "exec import noisy"), ("py", &flood)]);
    let path = dir.join("flood.pd");
    p.write(&path);
    let (mut child, lines) = spawn_pd(&path, Stdio::null());
    // Pd keeps running; the count comes once the flood's second is over.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let count = loop {
        let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
            let _ = child.kill();
            panic!("no count of left out lines within 30 s:\n{}", seen.join("\n"));
        };
        if let Some(rest) = line.strip_prefix("pyrus: ... ") {
            break rest.split(' ').next().unwrap().parse::<usize>().unwrap();
        }
        seen.push(line);
    };
    let _ = child.kill();
    let _ = child.wait();
    let shown = seen.iter().filter(|l| l.starts_with("line ")).count();
    assert!(count > 0 && shown < n, "{shown} shown, {count} left out");
    // Within the first second, the first lines are shown, in order, and the
    // count is of every other line of it.
    let expected: Vec<String> = (0..shown).map(|i| format!("line {i}")).collect();
    assert_eq!(seen.iter().filter(|l| l.starts_with("line ")).cloned().collect::<Vec<_>>(), expected);
    assert!(shown <= pyrus_engine::LINES_PER_SECOND as usize, "{shown} lines shown in the first second");
}

#[test]
fn a_stdout_pipe_nobody_reads_never_blocks_pd() {
    let dir = setup("console-pipe");
    let mut p = Patch::new();
    p.pyrus("py", "noisy.big");
    p.script(&[("py", "bang")]);
    let path = dir.join("pipe.pd");
    p.write(&path);
    // 8 MB written by print() and to stderr; a pipe holds 64 KiB.
    let (mut child, lines) = spawn_pd(&path, Stdio::piped());
    let _unread = child.stdout.take();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pd blocked writing to a stdout pipe nobody reads");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    // Everything Pd wrote to stderr, up to its end.
    let text: Vec<String> = lines.iter().collect();
    assert!(text.contains(&"py: symbol printed".to_owned()), "{}", text.join("\n"));
    // Each long line is cut, with a count, not lost in silence.
    let cut = format!(" ... ({} more bytes of this line left out)", 100_000 - pyrus_engine::MAX_LINE_BYTES);
    assert_eq!(text.iter().filter(|l| l.ends_with(&cut)).count(), 80, "{}", text.join("\n"));
}
