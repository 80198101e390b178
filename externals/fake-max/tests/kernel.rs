//! The fake-max test kernel driven through its protocol, with small C
//! externals of our own (tests/externals/*.c, SDK style, compiled here
//! against include/). Each test writes a command, waits for the line it
//! causes (10 s at most: a hang, not a speed bound) and goes on; `wait` only
//! where real time must pass for a clock.

//!
//! With `$FAKE_MAX_WINDOWS` naming the folder of the Windows build
//! (`fake-max.exe`, `MaxAPI.dll`: build/max-windows.sh), the same tests run
//! that build under wine (`$PYRUS_WINE`), the externals cross-built with
//! mingw-w64 as `.mxe64` files linked to `MaxAPI.dll`.

#[path = "support/wine.rs"]
mod wine;

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(10);

/// The folder of the Windows build to run under wine, if the run asks for it.
fn windows() -> Option<PathBuf> {
    std::env::var_os("FAKE_MAX_WINDOWS").map(PathBuf::from)
}

/// A function Max lacks that tests/externals/missing.c calls: on Windows it
/// must be imported from MaxAPI.dll to link, so the externals link against
/// an import library that names it too (`lacks.def`).
const LACKED: &str = "max_function_fake_max_lacks";

/// Compiles tests/externals/NAME.c (or NAME.cpp, with g++) into `dir`/NAME.so
/// (or, for the Windows build, NAME.mxe64 with mingw-w64, linked to MaxAPI.dll).
fn external(dir: &Path, name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cpp = root.join("tests/externals").join(format!("{name}.cpp"));
    let (compiler, source) =
        if cpp.exists() { ("g++", cpp) } else { ("gcc", root.join("tests/externals").join(format!("{name}.c"))) };
    let (compiler, out, flags, libs): (String, PathBuf, Vec<OsString>, Vec<OsString>) = match windows() {
        Some(kernel) => {
            // MSP's functions are MaxAudio.dll's, as in Max: an import
            // library of the names MaxAudio.def forwards, linked first.
            let forwarded = include_str!("../MaxAudio.def").lines().filter_map(|l| l.split_once("=MaxAPI."));
            let audio: String = forwarded.map(|(name, _)| format!("{name}\n")).collect();
            for (lib, text) in [
                ("lacks", format!("LIBRARY MaxAPI.dll\nEXPORTS\n{LACKED}\n")),
                ("maxaudio", format!("LIBRARY MaxAudio.dll\nEXPORTS\n{audio}")),
            ] {
                std::fs::write(dir.join(format!("{lib}.def")), text).expect("a .def file");
                let made = Command::new("x86_64-w64-mingw32-dlltool")
                    .arg("-d")
                    .arg(dir.join(format!("{lib}.def")))
                    .arg("-l")
                    .arg(dir.join(format!("lib{lib}.a")))
                    .status()
                    .expect("dlltool runs");
                assert!(made.success(), "dlltool makes lib{lib}.a");
            }
            // The C++ runtime goes inside: only MaxAPI.dll is to be found.
            let flags = vec!["-static-libgcc".into(), "-static-libstdc++".into()];
            let libs = vec![
                "-L".into(),
                dir.into(),
                "-lmaxaudio".into(),
                "-L".into(),
                kernel.into_os_string(),
                "-l:MaxAPI.dll".into(),
                "-llacks".into(),
            ];
            (format!("x86_64-w64-mingw32-{compiler}"), dir.join(format!("{name}.mxe64")), flags, libs)
        }
        None => (compiler.to_owned(), dir.join(format!("{name}.so")), vec!["-fPIC".into()], vec![]),
    };
    let status = Command::new(compiler)
        .args(["-Wall", "-Wextra", "-Werror", "-Wno-cast-function-type", "-shared", "-I"])
        .arg(root.join("include"))
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&source)
        // After the source: GNU ld resolves in order.
        .args(libs)
        .status()
        .expect("the compiler runs");
    assert!(status.success(), "{} compiles against include/", source.display());
    out
}

/// How the kernel names a file it is to load.
fn load_path(p: &Path) -> String {
    if windows().is_some() {
        wine::windows_path(p)
    } else {
        p.display().to_string()
    }
}

/// A fresh folder for one test (the kernel's current directory).
fn folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fake-max-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp folder");
    dir
}

struct Kernel {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
    /// Under wine: set once the process has exited (the output's end).
    exited: Arc<AtomicBool>,
    /// The kernel's current directory (the patcher's folder).
    dir: PathBuf,
}

impl Kernel {
    /// fake-max in `dir` with the externals `names` loaded.
    fn start(test: &str, names: &[&str]) -> Kernel {
        Kernel::start_env(test, names, &[])
    }

    fn start_env(test: &str, names: &[&str], env: &[(&str, &str)]) -> Kernel {
        let dir = folder(test);
        let paths: Vec<PathBuf> = names.iter().map(|n| external(&dir, n)).collect();
        let (tx, rx) = channel();
        let (mut child, exited) = match windows() {
            Some(kernel) => {
                let run = wine::start(&kernel.join("fake-max.exe"), &dir, "fake-max", env);
                let exited = run.exited.clone();
                let stdout = run.stdout.clone();
                std::thread::spawn(move || wine::tail(stdout, exited, |l| tx.send(l).is_ok()));
                (run.child, run.exited)
            }
            None => {
                let mut child = Command::new(env!("CARGO_BIN_EXE_fake-max"))
                    .current_dir(&dir)
                    .envs(env.iter().copied())
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("fake-max starts");
                let stdout = child.stdout.take().expect("stdout");
                std::thread::spawn(move || {
                    for line in BufReader::new(stdout).lines() {
                        let Ok(line) = line else { break };
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                });
                (child, Arc::new(AtomicBool::new(false)))
            }
        };
        let mut k = Kernel { stdin: child.stdin.take(), child, lines: rx, seen: Vec::new(), exited, dir: dir.clone() };
        for p in paths {
            k.send(&format!("load {}", load_path(&p)));
        }
        k
    }
    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("fake-max reads");
        stdin.flush().expect("flush");
    }

    /// The next line (waiting for it).
    fn next(&mut self) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(l) => {
                self.seen.push(l.clone());
                l
            }
            Err(e) => panic!("no line within {PATIENCE:?} ({e:?}); so far: {:#?}", self.seen),
        }
    }

    /// Sends `cmd`, then expects exactly `want` as the next lines.
    fn call(&mut self, cmd: &str, want: &[&str]) {
        self.send(cmd);
        for w in want {
            let got = self.next();
            assert_eq!(got, *w, "after `{cmd}`; so far: {:#?}", self.seen);
        }
    }

    /// Waits for a line equal to `want`, returning the lines before it.
    fn until(&mut self, want: &str) -> Vec<String> {
        let end = Instant::now() + PATIENCE;
        let mut before = Vec::new();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l == want => {
                    self.seen.push(l);
                    return before;
                }
                Ok(l) => {
                    self.seen.push(l.clone());
                    before.push(l);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("no `{want}` within {PATIENCE:?}; so far: {:#?}", self.seen)
                }
            }
        }
    }

    /// Closes stdin (EOF is quit): the remaining lines and the exit status.
    fn finish(mut self) -> (Vec<String>, i32) {
        drop(self.stdin.take());
        let end = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("fake-max's status") {
                break status;
            }
            assert!(Instant::now() < end, "fake-max did not exit within {PATIENCE:?} of EOF");
            // Polls the exit: what the test waits for is the process's end.
            std::thread::sleep(Duration::from_millis(5));
        };
        self.exited.store(true, Ordering::SeqCst);
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(end.saturating_duration_since(Instant::now())) {
                Ok(l) => rest.push(l),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("fake-max's output did not end within {PATIENCE:?}; {rest:#?}")
                }
            }
        }
        (rest, status.code().unwrap_or(-1))
    }
}

impl Drop for Kernel {
    /// A test that failed half way leaves no kernel running.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn typed_creator_and_typed_methods() {
    let mut k = Kernel::start("typed", &["typed"]);
    k.call("new t typed 3 2.5 foo", &["post typed new 3 2.50 foo 0"]);
    // The outlets were made bang, float, int: the last made is the leftmost.
    k.call("send t 0 5", &["out t 0 main int 10"]);
    k.call("send t 0 2.5", &["out t 1 main float 1.25"]);
    k.call("send t 0 bang", &["out t 2 main bang"]);
    k.call("send t 0 1 2 3", &["out t 1 main list 1 2 3"]);
    k.call("send t 0 set 1 2 three", &["post typed: set 1 2.000 three 0"]);
    k.call("send t 0 set 1.9 2 three 4", &["post typed: set 1 2.000 three 4"]);
    k.call("send t 0 mix 1.5 2 3.5 four 5.5 6", &["post typed: mix 1.5 2 3.5 four 5.5 6"]);
    k.call(r#"send t 0 gimme a 1 2.5 "b c" 3."#, &[r#"out t 0 main gimme a 1 2.5 "b c" 3.0"#]);
    k.call("send t 0 set x", &[r#"error typed: bad arguments for message "set""#]);
    k.call("send t 0 atoms", &["out t 0 main bang", "post tru 123"]);
    k.call("send t 0 atoms 4", &["out t 0 main int 4", "post tru 123"]);
    k.call("send t 0 atoms 4.5", &["out t 0 main float 4.5", "post tru 123"]);
    k.call("send t 0 atoms 4 x", &["out t 0 main list 4 x", "post tru 123"]);
    k.call("send t 0 atoms x 4", &["out t 0 main x 4", "post tru 123"]);
    k.call("send t 0 nope 1", &[r#"error typed: doesn't understand "nope""#]);
    k.call("new t2 typed 1", &[r#"error typed: bad arguments for message "typed""#]);
    k.call("new t3 typed 1 2 bar 9", &["post typed new 1 2.00 bar 9"]);
    // An int to an object with only `float` is a float, and vice versa.
    k.call("new f onlyfloat", &[]);
    k.call("send f 0 3", &["out f 0 main float 3.0"]);
    k.call("new i onlyint", &[]);
    k.call("send i 0 3.7", &["out i 0 main int 3"]);
    k.call("new n nosuchclass", &["error nosuchclass: No such object"]);
    k.call("new h hidden", &["error hidden: No such object"]);
    k.call("send zz 0 bang", &[r#"error no object "zz""#]);
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0), "a clean run ends with status 0");
}

#[test]
fn intin_floatin_and_proxies() {
    let mut k = Kernel::start("inlets", &["typed", "kitchen"]);
    k.call("new t typed 0 0 x", &["post typed new 0 0.00 x 0"]);
    k.call("send t 1 0.25", &[]);
    k.call("send t 2 7", &[]);
    k.call("send t 0 4", &["out t 0 main int 15"]);
    k.call("send t 0 3.", &["out t 1 main float 1.75"]);
    k.call("send t 3 1", &["error typed: no inlet 3"]);
    k.call("send t 1 foo", &[r#"error typed: inlet 1: doesn't understand "foo""#]);
    // Inlets made left to right: inlet 1 is the one made last (as in Max).
    k.call("new w wrong", &[]);
    k.call("send w 1 5", &["out w 0 main in2"]);
    k.call("send w 2 5", &["out w 0 main in1"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("send k 0 hello 1 2", &["out k 0 main got 0 hello 1 2"]);
    k.call("send k 1 hello 3", &["out k 0 main got 1 hello 3"]);
    k.call("send k 2 7", &["out k 0 main int 2 7"]);
    k.call("send k 0 5", &["out k 0 main int 0 5"]);
    k.call("sched k 2 there", &["out k 0 sched got 2 there"]);
    let (rest, status) = k.finish();
    assert_eq!(status, 0, "{rest:?}");
}

#[test]
fn attributes_from_args_and_messages() {
    let mut k = Kernel::start("attrs", &["kitchen"]);
    k.call(
        r#"new k kitchen 1 2 @size 4 @gain 0.75 @label "hi there" @mode 3"#,
        &["post kitchen: new kitchen with 10 args, 2 before the attributes", "post kitchen: mode setter 30"],
    );
    k.call("send k 0 attrs", &[r#"out k 1 main attrs 4 0.75 "hi there" 3"#]);
    k.call("send k 0 size 9", &[]);
    k.call("send k 0 mode 2", &["post kitchen: mode setter 20"]);
    k.call("send k 0 label x", &[]);
    k.call("send k 0 attrs", &["out k 1 main attrs 9 0.75 x 2"]);
    k.call(
        "new k2 kitchen @nope 1",
        &[
            "post kitchen: new kitchen with 2 args, 0 before the attributes",
            r#"error kitchen: doesn't understand "@nope""#,
        ],
    );
    let (rest, status) = k.finish();
    assert_eq!(status, 0, "{rest:?}");
}

#[test]
fn assist_dblclick_and_the_max_window() {
    let mut k = Kernel::start("assist", &["kitchen", "typed"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("assist k in 1", &["assist k in 1 inlet 1 of kitchen"]);
    k.call("assist k out 0", &["assist k out 0 outlet 0 of kitchen"]);
    k.call("new t typed 0 0 x", &["post typed new 0 0.00 x 0"]);
    k.call("assist t in 0", &["assist t in 0"]);
    k.call("dblclick k", &["post kitchen: double-clicked"]);
    k.call(
        "send k 0 say 3 2.5 sym",
        &[
            "post plain post 3 2.50 sym",
            "error plain error 1",
            "error kitchen: object error here",
            "post kitchen: warning: careful",
        ],
    );
    let (rest, status) = k.finish();
    assert_eq!(status, 0, "{rest:?}");
}

#[test]
fn clocks_fire_on_the_scheduler_and_on_main_without_overdrive() {
    let mut k = Kernel::start("clocks", &["kitchen"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    // tick ISTIMERTHREAD ISMAINTHREAD
    k.call("send k 0 bang", &["out k 0 sched tick 1 0"]);
    k.call("overdrive 0", &[]);
    k.call("send k 0 bang", &["out k 0 main tick 0 1"]);
    k.call("overdrive 1", &[]);
    // Logical time: a clock re-armed from its own call sees its own times.
    k.call("sched k 0 chain", &["out k 0 sched chain 30.0"]);
    // An unset clock does not fire: 700 ms pass (it was due in 300), then a probe.
    k.send("send k 0 bangin 300");
    k.send("send k 0 stop");
    k.send("wait 700");
    k.call("send k 0 hi", &["out k 0 main got 0 hi"]);
    let (rest, status) = k.finish();
    assert_eq!(status, 0, "{rest:?}");
}

#[test]
fn qelems_and_defer_from_a_systhread_run_on_main() {
    let mut k = Kernel::start("qelem", &["kitchen"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    // The thread sets the qelem and is joined; the qelem runs on main after.
    k.call("send k 0 spawn qelem", &["post kitchen: joined qelem", "out k 0 main qelem 1"]);
    k.call("send k 0 spawn defer", &["post kitchen: joined defer", "out k 0 main deferred later 42"]);
    // On main, defer runs at once and defer_low after the message.
    k.call(
        "send k 0 defers",
        &["out k 0 main deferred now -1", "post kitchen: after defer", "out k 0 main deferred low -1"],
    );
    // A qelem unset before main came to it does not run (it would run
    // before the next command).
    k.call("send k 0 qunset", &["post kitchen: unset"]);
    k.call("send k 0 hi", &["out k 0 main got 0 hi"]);
    // An A_DEFER_LOW method sent on the scheduler runs on main.
    k.call("sched k 0 lowly 5 x", &["out k 0 main lowly 1 5 x"]);
    let (rest, status) = k.finish();
    assert_eq!(status, 0, "{rest:?}");
}

#[test]
fn receive_gets_what_is_sent_to_its_name() {
    let mut k = Kernel::start("receive", &["kitchen"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("send k 0 sendto foo 1", &["error kitchen: nothing bound to foo"]);
    k.call("new r1 receive foo", &[]);
    k.call("new r2 r foo", &[]);
    k.call("send k 0 sendto foo 12", &["out r1 0 main int 12", "out r2 0 main int 12"]);
    k.call("free r1", &[]);
    k.call("sched k 0 sendto foo 13", &["out r2 0 sched int 13"]);
    k.call("free r2", &[]);
    k.call("send k 0 sendto foo 14", &["error kitchen: nothing bound to foo"]);
    let (rest, status) = k.finish();
    assert_eq!(status, 0, "{rest:?}");
}

#[test]
fn quit_frees_every_object_then_runs_the_quit_tasks() {
    let mut k = Kernel::start("quit", &["kitchen"]);
    k.call("new a kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("new b kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("free a", &["post kitchen: freed"]);
    k.call("send a 0 bang", &[r#"error no object "a""#]);
    let (rest, status) = k.finish();
    assert_eq!(rest, ["post kitchen: freed", "post quit task ran"]);
    assert_eq!(status, 0);
}

#[test]
fn an_outlet_from_a_systhread_is_a_violation() {
    let mut k = Kernel::start("violate", &["kitchen"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call(
        "send k 0 spawn violate",
        &[
            "violation outlet_int from a thread that is neither main nor the scheduler (k)",
            "post kitchen: joined violate",
        ],
    );
    let (_, status) = k.finish();
    assert_ne!(status, 0, "a violation makes the exit status non-zero");
}

#[test]
fn a_missing_function_is_a_load_error_naming_it() {
    let mut k = Kernel::start("missing", &[]);
    let dir = folder("missing-so");
    let so = external(&dir, "missing");
    k.send(&format!("load {}", load_path(&so)));
    let l = k.next();
    assert!(l.starts_with("error load ") && l.contains(&format!("undefined symbol: {LACKED}")), "{l}");
    let (_, status) = k.finish();
    assert_ne!(status, 0);
}

#[test]
fn use_after_free_is_detected_not_a_crash() {
    let mut k = Kernel::start("freed", &["kitchen"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("new k2 kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("free k2", &["post kitchen: freed"]);
    k.call("send k 0 poke", &["violation outlet_int on an outlet of a freed object (k2)"]);
    k.call("send k 0 qafterfree", &["violation qelem_set on a freed qelem (kitchen)"]);
    // A clock its object forgot to free fires after the object is gone.
    k.call("send k 0 leak", &[]);
    k.call("send k 0 bangin 300", &[]);
    k.call("free k", &["post kitchen: freed", "violation clock of a freed object (kitchen) fired"]);
    let (rest, status) = k.finish();
    assert_eq!(rest, ["post quit task ran"]);
    assert_ne!(status, 0);
}

#[test]
fn wait_holds_commands_while_clocks_run() {
    let mut k = Kernel::start("wait", &["kitchen"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    // The clock (5 ms) fires during the wait, before the next command runs.
    k.send("send k 0 bang");
    k.send("wait 1000");
    k.send("send k 0 after");
    let before = k.until("out k 0 main got 0 after");
    assert_eq!(before, ["out k 0 sched tick 1 0"]);
    let (rest, status) = k.finish();
    assert_eq!(status, 0, "{rest:?}");
}

#[test]
fn clocks_and_typedmess_from_a_systhread_are_violations() {
    let mut k = Kernel::start("violate2", &["kitchen"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call(
        "send k 0 spawn clock",
        &[
            "violation clock_fdelay from a thread that is neither main nor the scheduler (kitchen)",
            "post kitchen: joined clock",
        ],
    );
    k.call(
        "send k 0 spawn typedmess",
        &[
            "violation typedmess from a thread that is neither main nor the scheduler (hello)",
            "post kitchen: joined typedmess",
        ],
    );
    let (_, status) = k.finish();
    assert_ne!(status, 0);
}

#[test]
fn schedule_systhreads_mutexes_memory_and_paths() {
    let mut k = Kernel::start("misc", &["kitchen"]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("send k 0 later 9", &["out k 0 sched scheduled delayed 9"]);
    k.call("send k 0 spawn exit", &["post kitchen: joined exit 7"]);
    k.call("send k 0 checks", &["post kitchen: checks 1 1 10 100 1 /script.py absolute"]);
    k.call(
        "new k2 kitchen @mode 4",
        &["post kitchen: new kitchen with 2 args, 0 before the attributes", "post kitchen: mode setter 40"],
    );
    k.call("free k2", &["post kitchen: freed"]);
    // NOGOOD sees the freed object's poisoned header (its memory is kept).
    k.call("send k 0 checks2", &["post kitchen: checks2 0 11 0.125 set 0 0 1", "out k 0 main got 0 hello 5"]);
    // `quit` (not only EOF) ends the run.
    k.send("quit");
    let (rest, status) = k.finish();
    assert_eq!(
        (rest.as_slice(), status),
        (["post kitchen: freed", "post quit task ran"].map(String::from).as_slice(), 0)
    );
}

#[test]
fn a_cpp_external_compiles_against_the_header_and_runs() {
    let mut k = Kernel::start("cpp", &["cpp"]);
    k.call("new c cpp @v 12", &[]);
    k.call("send c 0 bang", &["out c 0 main int 12"]);
    k.call("send c 0 v 3", &[]);
    k.call("send c 0 bang", &["out c 0 main int 3"]);
    let (rest, status) = k.finish();
    assert_eq!((rest, status), (vec![], 0));
}

#[test]
fn a_quit_that_hangs_ends_the_run_as_a_failure() {
    let mut k = Kernel::start_env("hang", &["kitchen"], &[("FAKE_MAX_QUIT_MS", "300")]);
    k.call("new k kitchen", &["post kitchen: new kitchen with 0 args, 0 before the attributes"]);
    k.call("send k 0 hangquit", &[]);
    let (rest, status) = k.finish();
    assert_eq!(rest[..3], ["post kitchen: freed", "post quit task ran", "post hanging"]);
    assert!(rest[3].starts_with("error fake-max: quit did not finish within 300ms"), "{rest:?}");
    assert_ne!(status, 0);
}

#[test]
fn buffer_api_reaches_a_kernel_buffer_and_locked_resizes_are_violations() {
    let mut k = Kernel::start("buffers", &["bufuser"]);
    k.call("new b buffer~ snd 3 2", &[]);
    k.call("send b 0 set 0 1.5 2. 3. 4. 5. 6. 7.", &[]);
    k.call("send b 0 print", &["buffer snd 3 2 dirty 0 1.5 2.0 3.0 4.0 5.0 6.0"]);
    k.call("new u bufuser snd", &[]);
    k.call("send u 0 lock", &["post bufuser: 3 frames 2 channels first 1.5"]);
    k.call("send b 0 sizeinsamps 4", &["violation buffer~ snd resized while its samples are locked (1 locks)"]);
    k.call("send u 0 unlock", &[]);
    k.call("send b 0 print", &["buffer snd 3 2 dirty 1 3.0 2.0 3.0 4.0 5.0 6.0"]);
    k.call("send b 0 sizeinsamps 2", &[]);
    k.call("send b 0 clean", &[]);
    k.call("send b 0 print", &["buffer snd 2 2 dirty 0 3.0 2.0 3.0 4.0"]);
    k.call("send u 0 set nope", &[]);
    k.call("send u 0 lock", &["post bufuser: no buffer (exists 0)"]);
    k.call("send u 0 set snd", &[]);
    k.call("send u 0 lock", &["post bufuser: 2 frames 2 channels first 3.0"]);
    k.call("free b", &["violation buffer~ snd freed while its samples are locked (1 locks)"]);
    let (rest, status) = k.finish();
    assert_eq!(rest, Vec::<String>::new());
    assert_ne!(status, 0, "the violations fail the run");
}

/// MSP: the chain, perform routines on the audio thread (tests/msp/mod.rs).
mod msp;
