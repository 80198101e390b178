//! Drives the `fake-max` test kernel (`externals/fake-max`) interactively, the
//! way its protocol is meant to be used: one command line to its standard
//! input, then read its standard output until the line the command causes
//! arrives, then the next command. Each test gets a fresh folder (the
//! patcher's folder: the kernel's current directory) for its scripts.
//!
//! Every run ends in [`Max::quit`], which asserts what every scenario must
//! hold: the kernel exited with status 0 and printed no `violation` line.
//!
//! With `$PYRUS_FAKE_MAX_WINDOWS` (the folder of the Windows kernel,
//! `fake-max.exe` and `MaxAPI.dll`) and `$PYRUS_MAX_WINDOWS` (the Windows
//! externals, `pyrus.mxe64`, with a Windows Python in `support/`), both set
//! by build/max-windows.sh, the same scenarios run the Windows builds under
//! wine: `load("pyrus.so")` loads `pyrus.mxe64`, and the kernel's output is
//! followed in a file (see fake-max's tests/support/wine.rs).
//!
//! Threads: a reader thread per stream (stdout lines into a channel, stderr
//! kept for failure messages; under wine one thread following the output
//! file); the test's thread does everything else.
#![allow(dead_code)] // each test file uses its own part of this

#[path = "../../../fake-max/tests/support/wine.rs"]
mod wine;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a test waits for a line before calling the kernel hung: a hang
/// guard only, far beyond what any scenario takes on a loaded machine.
pub const HANG: Duration = Duration::from_secs(20);

/// A path from an environment variable that `build/test` sets, checked.
fn from_env(var: &str, what: &str, inside: Option<&str>) -> PathBuf {
    let Some(path) = std::env::var_os(var).map(PathBuf::from) else {
        panic!(
            "${var} is not set: it names {what}. Run build/test, which builds it and sets ${var} \
             (or build it yourself: see build/lib.sh, and export {var})"
        );
    };
    let check = inside.map_or_else(|| path.clone(), |f| path.join(f));
    assert!(
        check.exists(),
        "${var} = {} but {} does not exist: run build/test (it builds {what})",
        path.display(),
        check.display()
    );
    path
}

/// True when the run is of the Windows builds under wine.
pub fn windows() -> bool {
    std::env::var_os("PYRUS_FAKE_MAX_WINDOWS").is_some()
}

/// The `fake-max` binary (`$PYRUS_FAKE_MAX`, or the Windows one).
pub fn fake_max() -> PathBuf {
    if windows() {
        from_env("PYRUS_FAKE_MAX_WINDOWS", "the Windows fake-max test kernel", Some("fake-max.exe"))
            .join("fake-max.exe")
    } else {
        from_env("PYRUS_FAKE_MAX", "the fake-max test kernel binary", None)
    }
}

/// The Linux test builds of the Max externals (`$PYRUS_MAX_LINUX`, holding
/// `pyrus.so`, `pyrus.usb.so`, `libpyrus_max.so` and `scripts/`), or the
/// Windows ones (`$PYRUS_MAX_WINDOWS`: `pyrus.mxe64`, `pyrus.usb.mxe64`,
/// `pyrus_max.dll`, `scripts/`, `support/`).
pub fn max_linux() -> PathBuf {
    if windows() {
        from_env("PYRUS_MAX_WINDOWS", "the Windows builds of the Max externals", Some("pyrus.mxe64"))
    } else {
        from_env("PYRUS_MAX_LINUX", "the Linux test builds of the Max externals", Some("pyrus.so"))
    }
}

/// A path as the kernel under test names it (a Windows one under wine).
pub fn kernel_path(path: &Path) -> String {
    if windows() {
        wine::windows_path(path)
    } else {
        path.display().to_string()
    }
}

/// A fresh folder for one test's scripts: the patcher's folder.
pub fn test_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pyrus-max-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One `out ID OUTLET THREAD SELECTOR ARGS...` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    pub id: String,
    pub outlet: usize,
    /// `main` or `sched`.
    pub thread: String,
    /// `SELECTOR ARGS...` as printed: `int 3`, `float 5.0`, `list 1 2`.
    pub message: String,
}

impl Out {
    pub fn parse(line: &str) -> Option<Out> {
        let mut words = line.strip_prefix("out ")?.splitn(4, ' ');
        let id = words.next()?.to_string();
        let outlet = words.next()?.parse().ok()?;
        let thread = words.next()?.to_string();
        let message = words.next().unwrap_or("").to_string();
        Some(Out { id, outlet, thread, message })
    }
}

/// A running `fake-max`, its folder, and everything it printed so far.
pub struct Max {
    child: Child,
    /// Under wine: set once the kernel has exited (its output's end).
    exited: Arc<AtomicBool>,
    /// Under wine: the file the kernel's stderr goes to.
    stderr_file: Option<PathBuf>,
    stdin: Option<ChildStdin>,
    rx: Receiver<(String, Instant)>,
    stderr: Arc<Mutex<Vec<String>>>,
    readers: Vec<JoinHandle<()>>,
    dir: PathBuf,
    /// Every stdout line so far, in order.
    pub lines: Vec<String>,
    /// When each of `lines` arrived.
    arrived: Vec<Instant>,
    /// Commands and lines interleaved, for failure messages.
    log: Vec<String>,
    /// Where [`Max::expect`] looks from.
    cursor: usize,
    eof: bool,
}

/// How a kernel run ended.
pub struct Ended {
    pub lines: Vec<String>,
    pub status: ExitStatus,
    /// From writing `quit` to the kernel's exit.
    pub took: Duration,
}

impl Max {
    /// Starts the kernel in a fresh folder named after the test, and loads
    /// `pyrus.so` from the test builds.
    pub fn start(name: &str) -> Max {
        Max::start_env(name, &[])
    }

    /// As [`Max::start`], with more environment variables for the kernel.
    pub fn start_env(name: &str, env: &[(&str, &str)]) -> Max {
        let mut max = Max::bare(name, env);
        max.load("pyrus.so");
        max
    }

    /// The kernel in a fresh folder with nothing loaded.
    pub fn bare(name: &str, env: &[(&str, &str)]) -> Max {
        let dir = test_dir(name);
        let kernel = fake_max();
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if windows() {
            let mut run = wine::start(&kernel, &dir, "fake-max", env);
            let (exited, stdout) = (run.exited.clone(), run.stdout.clone());
            let out = std::thread::spawn(move || {
                wine::tail(stdout, exited, |line| tx.send((line, Instant::now())).is_ok());
            });
            return Max {
                stdin: run.child.stdin.take(),
                child: run.child,
                exited: run.exited,
                stderr_file: Some(run.stderr),
                rx,
                stderr,
                readers: vec![out],
                dir,
                lines: Vec::new(),
                arrived: Vec::new(),
                log: Vec::new(),
                cursor: 0,
                eof: false,
            };
        }
        let mut child = Command::new(&kernel)
            .current_dir(&dir)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", kernel.display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let out = std::thread::spawn(move || {
            for line in stdout.split(b'\n').map_while(Result::ok) {
                if tx.send((String::from_utf8_lossy(&line).into_owned(), Instant::now())).is_err() {
                    break;
                }
            }
        });
        let err = {
            let stderr = stderr.clone();
            let stream = BufReader::new(child.stderr.take().unwrap());
            std::thread::spawn(move || {
                for line in stream.split(b'\n').map_while(Result::ok) {
                    stderr.lock().unwrap().push(String::from_utf8_lossy(&line).into_owned());
                }
            })
        };
        Max {
            child,
            exited: Arc::new(AtomicBool::new(false)),
            stderr_file: None,
            stdin,
            rx,
            stderr,
            readers: vec![out, err],
            dir,
            lines: Vec::new(),
            arrived: Vec::new(),
            log: Vec::new(),
            cursor: 0,
            eof: false,
        }
    }

    /// The patcher's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a file (a script) into the patcher's folder.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    /// `load` of one of the test builds (`pyrus.so`, `pyrus.usb.so`: under
    /// wine `pyrus.mxe64`, `pyrus.usb.mxe64`).
    pub fn load(&mut self, file: &str) {
        let file = match file.strip_suffix(".so") {
            Some(class) if windows() => format!("{class}.mxe64"),
            _ => file.to_owned(),
        };
        let path = max_linux().join(file);
        self.cmd(&format!("load {}", kernel_path(&path)));
    }

    /// Writes one command line.
    pub fn cmd(&mut self, line: &str) {
        self.log.push(format!("> {line}"));
        let stdin = self.stdin.as_mut().expect("the kernel's stdin is open");
        if let Err(e) = writeln!(stdin, "{line}").and_then(|()| stdin.flush()) {
            panic!("writing {line:?} to the kernel failed ({e}); it said:\n{}", self.text());
        }
    }

    /// Writes several command lines.
    pub fn cmds(&mut self, lines: &[&str]) {
        for line in lines {
            self.cmd(line);
        }
    }

    /// `new ID CLASS ARGS...`
    pub fn new_object(&mut self, id: &str, text: &str) {
        self.cmd(&format!("new {id} {text}"));
    }

    /// `send ID INLET MESSAGE` (on the main thread).
    pub fn send(&mut self, id: &str, inlet: usize, message: &str) {
        self.cmd(&format!("send {id} {inlet} {message}"));
    }

    /// `sched ID INLET MESSAGE` (on the scheduler thread).
    pub fn sched(&mut self, id: &str, inlet: usize, message: &str) {
        self.cmd(&format!("sched {id} {inlet} {message}"));
    }

    /// Takes one more line, waiting until `deadline`; false at the deadline
    /// or once the kernel's output has ended.
    fn pump(&mut self, deadline: Instant) -> bool {
        if self.eof {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok((line, at)) => {
                self.log.push(line.clone());
                self.lines.push(line);
                self.arrived.push(at);
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => {
                self.eof = true;
                false
            }
        }
    }

    /// Reads lines until `done` holds of what the kernel printed so far;
    /// fails, naming `what`, if it does not within [`HANG`].
    pub fn until(&mut self, what: &str, done: impl Fn(&Max) -> bool) {
        let deadline = Instant::now() + HANG;
        while !done(self) {
            self.next_or_fail(what, deadline);
        }
    }

    /// Waits for the first line at or after the cursor that `matches`
    /// accepts, moves the cursor past it and returns it.
    pub fn expect_by(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + HANG;
        loop {
            if let Some(i) = (self.cursor..self.lines.len()).find(|&i| matches(&self.lines[i])) {
                self.cursor = i + 1;
                return self.lines[i].clone();
            }
            self.next_or_fail(what, deadline);
        }
    }

    /// Takes one more line, failing once `deadline` has passed (however
    /// many other lines keep coming) or the output has ended.
    fn next_or_fail(&mut self, what: &str, deadline: Instant) {
        if Instant::now() > deadline || !self.pump(deadline) {
            let why = if self.eof { "the kernel's output ended" } else { "timed out" };
            // The last lines only: a flood that hid the line may be endless.
            let text = self.text();
            let tail: Vec<&str> = text.lines().rev().take(200).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!("waiting for {what}: {why}; the kernel said (the last 200 lines):\n{}", tail.join("\n"));
        }
    }

    /// Waits for exactly `line` (after the cursor; see [`Max::expect_by`]).
    pub fn expect(&mut self, line: &str) -> String {
        self.expect_by(&format!("{line:?}"), |l| l == line)
    }

    /// Waits for a line that starts with `prefix` (after the cursor).
    pub fn expect_prefix(&mut self, prefix: &str) -> String {
        self.expect_by(&format!("a line starting {prefix:?}"), |l| l.starts_with(prefix))
    }

    /// Waits for a line that contains `text` (after the cursor).
    pub fn expect_containing(&mut self, text: &str) -> String {
        self.expect_by(&format!("a line containing {text:?}"), |l| l.contains(text))
    }

    /// Waits for `out ID OUTLET ...` (after the cursor) and returns it.
    pub fn expect_out(&mut self, id: &str, outlet: usize) -> Out {
        let prefix = format!("out {id} {outlet} ");
        Out::parse(&self.expect_prefix(&prefix)).unwrap()
    }

    /// Waits until `id` has sent `n` messages in all (any outlet).
    pub fn until_outs(&mut self, id: &str, n: usize) {
        self.until(&format!("{n} messages out of {id}"), |m| m.outs(id).len() >= n);
    }

    /// Waits until outlet `outlet` of `id` has sent `n` messages.
    pub fn until_outlet(&mut self, id: &str, outlet: usize, n: usize) {
        self.until(&format!("{n} messages out of outlet {outlet} of {id}"), |m| m.outlet(id, outlet).len() >= n);
    }

    /// A barrier on the main thread: `assist ID in 0` runs after every
    /// command before it, so once its line is back, so is everything that
    /// those commands printed on the main thread. Returns the assist text.
    pub fn sync(&mut self, id: &str) -> String {
        self.assist(id, "in", 0)
    }

    /// `assist ID in|out N`: the text the object gives.
    pub fn assist(&mut self, id: &str, side: &str, n: usize) -> String {
        self.cmd(&format!("assist {id} {side} {n}"));
        let prefix = format!("assist {id} {side} {n}");
        let line = self.expect_by(&format!("the {side} {n} assist of {id}"), |l| {
            l.strip_prefix(&prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        });
        line[prefix.len()..].trim_start().to_string()
    }

    /// Everything `id` sent, in order.
    pub fn outs(&self, id: &str) -> Vec<Out> {
        self.lines.iter().filter_map(|l| Out::parse(l)).filter(|o| o.id == id).collect()
    }

    /// The messages that left outlet `outlet` of `id`, in order.
    pub fn outlet(&self, id: &str, outlet: usize) -> Vec<String> {
        self.outs(id).into_iter().filter(|o| o.outlet == outlet).map(|o| o.message).collect()
    }

    /// The `error` lines' texts.
    pub fn errors(&self) -> Vec<String> {
        self.lines.iter().filter_map(|l| l.strip_prefix("error ")).map(str::to_owned).collect()
    }

    /// The `post` lines' texts.
    pub fn posts(&self) -> Vec<String> {
        self.lines.iter().filter_map(|l| l.strip_prefix("post ")).map(str::to_owned).collect()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.lines.iter().any(|l| l.contains(text))
    }

    /// How long after `from` (a line's index) the line `to` (an index) arrived.
    pub fn between(&self, from: usize, to: usize) -> Duration {
        self.arrived[to].duration_since(self.arrived[from])
    }

    /// The index of the first line equal to `line`.
    pub fn index_of(&self, line: &str) -> usize {
        self.lines.iter().position(|l| l == line).unwrap_or_else(|| panic!("no {line:?}:\n{}", self.text()))
    }

    /// Commands (`> ...`) and lines as they came, and the kernel's stderr.
    pub fn text(&self) -> String {
        let stderr = match &self.stderr_file {
            Some(file) => wine::text(file),
            None => self.stderr.lock().unwrap().join("\n"),
        };
        format!("{}\n--- stderr:\n{stderr}", self.log.join("\n"))
    }

    /// Stops the kernel's process (every thread) for `pause`, as a loaded
    /// machine may: the pause itself, not a wait for anything. Linux only
    /// (under wine the kernel runs in wine's own processes).
    pub fn stall(&self, pause: Duration) {
        let pid = self.child.id().to_string();
        let kill = |signal: &str| {
            let status = Command::new("kill").args([signal, &pid]).status().expect("kill runs");
            assert!(status.success(), "kill {signal} {pid}: {status}");
        };
        kill("-STOP");
        std::thread::sleep(pause);
        kill("-CONT");
    }

    /// `quit`, then waits for the exit (at most [`HANG`]) and the rest of
    /// the output, and asserts exit status 0 and no `violation` line.
    pub fn quit(mut self) -> Ended {
        self.quit_within(HANG)
    }

    /// As [`Max::quit`], failing if the kernel takes longer than `limit`
    /// to exit after `quit`.
    pub fn quit_within(&mut self, limit: Duration) -> Ended {
        self.cmd("quit");
        let asked = Instant::now();
        drop(self.stdin.take());
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if asked.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.exited.store(true, Ordering::SeqCst);
                while self.pump(Instant::now() + Duration::from_secs(1)) {}
                panic!("the kernel did not exit within {limit:?} of quit; it said:\n{}", self.text());
            }
            // Polls the exit; what the test waits for is the process's end.
            std::thread::sleep(Duration::from_millis(5));
        };
        let took = asked.elapsed();
        self.exited.store(true, Ordering::SeqCst);
        // The rest of its output (the reader ends at the stream's end).
        while self.pump(Instant::now() + HANG) {}
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let violations: Vec<&String> = self.lines.iter().filter(|l| l.starts_with("violation")).collect();
        assert!(violations.is_empty(), "the kernel saw violations: {violations:?}\n{}", self.text());
        assert!(status.success(), "the kernel exited with {status}:\n{}", self.text());
        Ended { lines: self.lines.clone(), status, took }
    }
}

impl Drop for Max {
    /// A test that failed half way leaves no kernel running.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.exited.store(true, Ordering::SeqCst);
    }
}

/// A kernel with `pyrus.so` loaded and the scripts `files` (name, text) in
/// its folder.
pub fn with_scripts(name: &str, files: &[(&str, &str)]) -> Max {
    let max = Max::start(name);
    for (file, text) in files {
        max.write(file, text);
    }
    max
}
