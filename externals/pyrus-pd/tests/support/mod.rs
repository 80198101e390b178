//! Runs real Pd, headless, on patches the tests write, and reads what `[print]`
//! and the console wrote to stderr.
#![allow(dead_code)] // each test file uses its own part of this

use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Pd the suite runs in: `$PYRUS_PD`, else `pd` (Debian's, 32-bit
/// floats). `build/test` runs the suite a second time with Pd64 here and the
/// Pd64 package as `$PYRUS_PD_PACKAGE` (see build/pd64.sh).
pub fn pd_program() -> PathBuf {
    std::env::var_os("PYRUS_PD").map_or_else(|| PathBuf::from("pd"), PathBuf::from)
}

/// The packaged library (`build/package` makes it; the test command runs that first).
pub fn package_dir() -> PathBuf {
    if let PdUnderTest::Windows(wine) = pd_under_test() {
        return wine.package.clone();
    }
    let dir = std::env::var_os("PYRUS_PD_PACKAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/package/pd/pyrus"));
    // The loader as the platform the suite runs on names it (the macOS and
    // Windows CI workflows run the suite natively there).
    let loader = if cfg!(target_os = "macos") {
        "pyrus.pd_darwin"
    } else if cfg!(windows) {
        "pyrus.dll"
    } else {
        "pyrus.pd_linux"
    };
    assert!(dir.join(loader).exists(), "{} has no {loader}: run build/package (build/test does) first", dir.display());
    dir
}

/// A fresh folder for one test's patch and scripts.
pub fn test_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pyrus-pd-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A patch file built box by box.
#[derive(Default)]
pub struct Patch {
    boxes: Vec<String>,
    connects: Vec<String>,
}

impl Patch {
    pub fn new() -> Self {
        Self::default()
    }

    /// An object box; `text` as typed into the box. Returns its index.
    pub fn obj(&mut self, text: &str) -> usize {
        self.add("obj", text)
    }

    /// A message box; `text` as typed into the box (`\,` for a literal comma).
    pub fn msg(&mut self, text: &str) -> usize {
        self.add("msg", text)
    }

    fn add(&mut self, kind: &str, text: &str) -> usize {
        let y = 10 + 30 * self.boxes.len();
        self.boxes.push(format!("#X {kind} 10 {y} {};", to_file_syntax(text)));
        self.boxes.len() - 1
    }

    /// A subpatch `[pd NAME]` holding `inner`'s boxes and connections
    /// (`; pd-NAME ...` messages reach it). Returns its index.
    pub fn subpatch(&mut self, name: &str, inner: &Patch) -> usize {
        let mut text = format!("#N canvas 0 0 400 300 {name} 0;\n");
        for line in inner.boxes.iter().chain(&inner.connects) {
            text.push_str(line);
            text.push('\n');
        }
        let y = 10 + 30 * self.boxes.len();
        text.push_str(&format!("#X restore 10 {y} pd {name};"));
        self.boxes.push(text);
        self.boxes.len() - 1
    }

    pub fn connect(&mut self, from: usize, outlet: usize, to: usize, inlet: usize) {
        self.connects.push(format!("#X connect {from} {outlet} {to} {inlet};"));
    }

    /// `[r NAME]` -> `[pyrus ARGS]`, its outlet 0 to `[print NAME]` and its
    /// status outlet to `[print NAME-status]`. Returns the object's index.
    pub fn pyrus(&mut self, name: &str, args: &str) -> usize {
        self.object_with_prints(name, &format!("pyrus {args}"), 2)
    }

    /// `[r NAME]` -> `[TEXT]`, each of its `outlets` to `[print NAME]`,
    /// `[print NAME-1]`..., the last to `[print NAME-status]` if `outlets` > 1.
    pub fn object_with_prints(&mut self, name: &str, text: &str, outlets: usize) -> usize {
        let r = self.obj(&format!("r {name}"));
        let o = self.obj(text.trim());
        self.connect(r, 0, o, 0);
        for i in 0..outlets {
            let label = match i {
                0 => name.to_string(),
                i if i == outlets - 1 => format!("{name}-status"),
                i => format!("{name}-{i}"),
            };
            let p = self.obj(&format!("print {label}"));
            self.connect(o, i, p, 0);
        }
        o
    }

    /// On load, sends each `(receiver, message)` in order, and no more: the
    /// patch quits by itself (see [`Patch::quit_on`]).
    pub fn start(&mut self, sends: &[(&str, &str)]) {
        let text: Vec<String> = sends.iter().map(|(to, what)| format!("; {to} {what}")).collect();
        let lb = self.obj("loadbang");
        let m = self.msg(&text.join(" "));
        self.connect(lb, 0, m, 0);
    }

    /// A counter: `[f 0]` fed back through `[+ 1]`; a bang at its left inlet
    /// counts one and outputs the count so far. Returns the `[f]`.
    pub fn counter(&mut self) -> usize {
        let f = self.obj("f 0");
        let plus = self.obj("+ 1");
        self.connect(f, 0, plus, 0);
        self.connect(plus, 0, f, 1);
        f
    }

    /// Quits Pd when anything arrives at `[receive NAME]`.
    pub fn quit_on(&mut self, name: &str) {
        let r = self.obj(&format!("r {name}"));
        let m = self.msg("; pd quit");
        self.connect(r, 0, m, 0);
    }

    /// Quits Pd the `nth` time (from 1) a `SELECTOR ...` message leaves
    /// outlet `outlet` of box `from`: `[route SELECTOR]`, counted, `[; pd quit(`.
    pub fn quit_after(&mut self, from: usize, outlet: usize, selector: &str, nth: usize) {
        let route = self.obj(&format!("route {selector}"));
        self.connect(from, outlet, route, 0);
        let quit = self.msg("; pd quit");
        if nth == 1 {
            return self.connect(route, 0, quit, 0);
        }
        // The counter outputs 0, 1, ...: the nth message makes it say nth - 1.
        // A bang each: the message's arguments are no count.
        let each = self.obj("t b");
        let count = self.counter();
        let sel = self.obj(&format!("sel {}", nth - 1));
        self.connect(route, 0, each, 0);
        self.connect(each, 0, count, 0);
        self.connect(count, 0, sel, 0);
        self.connect(sel, 0, quit, 0);
    }

    /// Quits Pd when `[pyrus]` object `index` reports `busy 0` on its status outlet.
    pub fn quit_when_idle(&mut self, index: usize) {
        let route = self.obj("route busy");
        let sel = self.obj("sel 0");
        let m = self.msg("; pd quit");
        self.connect(index, 1, route, 0);
        self.connect(route, 0, sel, 0);
        self.connect(sel, 0, m, 0);
    }

    /// On load, sends each `(receiver, message)` in order, then quits Pd.
    pub fn script(&mut self, sends: &[(&str, &str)]) {
        let mut text = String::new();
        for (to, what) in sends {
            let _ = write!(text, "; {to} {what} ");
        }
        text.push_str("; pd quit");
        let lb = self.obj("loadbang");
        let m = self.msg(&text);
        self.connect(lb, 0, m, 0);
    }

    pub fn write(&self, path: &Path) {
        let mut text = String::from("#N canvas 0 0 600 400 12;\n");
        for line in self.boxes.iter().chain(&self.connects) {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(path, text).unwrap();
    }
}

/// Typed box text to .pd file syntax: a typed `\,` `\;` (a literal comma or
/// semicolon inside a symbol) is saved as `\\\,`; a bare `,` `;` (separators)
/// as `\,` `\;`; `$` as `\$`.
fn to_file_syntax(typed: &str) -> String {
    let mut out = String::new();
    let mut chars = typed.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some(',' | ';' | '$')) => {
                out.push_str("\\\\\\");
                out.push(chars.next().unwrap());
            }
            // Separators stand alone in the file, or Pd reads them as part of a symbol.
            ',' | ';' => {
                out.push_str(" \\");
                out.push(c);
                out.push(' ');
            }
            '$' => out.push_str("\\$"),
            _ => out.push(c),
        }
    }
    out
}

/// What Pd wrote while running a patch.
pub struct Transcript {
    pub lines: Vec<String>,
    pub status: Option<i32>,
    /// When each of `lines` arrived, and when Pd was seen gone.
    arrived: Vec<Instant>,
    exited: Instant,
}

/// What Pd's watchdog (a helper process of a Pd with realtime priority,
/// which a test may ask for) writes when the scheduler did not ping it in
/// time: a loaded machine, never pyrus's output, so transcripts leave it out.
const WATCHDOG: &str = "watchdog: signaling pd...";

impl Transcript {
    /// How long Pd took to exit after it wrote `line` (the first such line):
    /// a bound on this measures the exit alone, whatever Pd's start took.
    pub fn exit_after(&self, line: &str) -> Duration {
        let at = self.lines.iter().position(|l| l == line).unwrap_or_else(|| panic!("no {line:?}:\n{}", self.text()));
        self.exited.duration_since(self.arrived[at])
    }

    /// The values `[print NAME]` printed, in order.
    pub fn printed(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}: ");
        self.lines.iter().filter_map(|l| l.strip_prefix(&prefix).map(str::to_owned)).collect()
    }

    /// The console's error lines.
    pub fn errors(&self) -> Vec<String> {
        self.printed("error")
    }

    pub fn contains(&self, text: &str) -> bool {
        self.lines.iter().any(|l| l.contains(text))
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Fails the test, saying why, when Python could not import numpy: the
    /// test command installs it (build/lib.sh), so a missing numpy is a
    /// broken setup, never a reason to pass.
    pub fn require_numpy(&self) {
        assert!(
            !self.contains("No module named 'numpy'"),
            "numpy is not installed for Pd's Python: this test needs it (apt-get install python3-numpy; \
             build/test installs it):\n{}",
            self.text()
        );
    }
}

/// Runs `pd -nogui -nosound -batch` on `patch` in its folder, with the package on
/// the path, killing it after `limit`. The pseudo-flag `-realtime` in `extra`
/// runs Pd's realtime scheduler instead of `-batch`.
pub fn run_pd(patch: &Path, extra: &[&str], limit: Duration) -> Transcript {
    run_pd_env(patch, extra, &[], limit)
}

/// `pd`, headless, run in `dir` with the package on its path and without
/// realtime priority (`-nrt`; a test's own `-rt` after it wins): as root,
/// Pd takes SCHED_FIFO by default, and a `-batch` Pd, which never sleeps,
/// then starves every other thread on its core (other tests' Pd and
/// workers) for seconds, as if the machine were very slow.
pub fn pd_command(dir: &Path) -> Command {
    pd_command_under(&[], dir)
}

/// As [`pd_command`], started by `wrapper` (see [`run_pd_under`]).
fn pd_command_under(wrapper: &[&str], dir: &Path) -> Command {
    if let PdUnderTest::Windows(wine) = pd_under_test() {
        assert!(wrapper.is_empty(), "{wrapper:?} cannot start Pd for Windows under wine");
        let mut pd = wine.command();
        headless(&mut pd, dir, &package_dir());
        return pd;
    }
    let mut pd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args).arg(pd_program());
            command
        }
        None => Command::new(pd_program()),
    };
    headless(&mut pd, dir, &package_dir());
    pd
}

/// `pd`'s flags for a headless test run in `dir`, `package` on its path.
fn headless(pd: &mut Command, dir: &Path, package: &Path) {
    headless_bare(pd, dir);
    pd.arg("-path").arg(package);
}

/// `pd`'s flags for a headless test run in `dir` with no path of ours
/// (a test that sets up Pd's search path itself).
pub fn headless_bare(pd: &mut Command, dir: &Path) {
    pd.current_dir(dir).args(["-nogui", "-nosound", "-stderr", "-noprefs", "-nrt"]);
}

/// The Pd under test (Pd for Windows under wine too), headless in `dir`
/// with no path of ours, for a test that sets up Pd's search path itself.
pub fn pd_command_bare(dir: &Path) -> Command {
    let mut pd = match pd_under_test() {
        PdUnderTest::Windows(wine) => wine.command(),
        _ => Command::new(pd_program()),
    };
    headless_bare(&mut pd, dir);
    pd
}

/// As [`run_pd`], with more environment variables for Pd.
pub fn run_pd_env(patch: &Path, extra: &[&str], env: &[(&str, &str)], limit: Duration) -> Transcript {
    run_pd_under(&[], patch, extra, env, limit)
}

/// As [`run_pd_env`], with Pd started by a wrapper command (`wrapper` then
/// `pd ...`, e.g. `prlimit --stack=N`); an empty wrapper starts Pd itself.
pub fn run_pd_under(
    wrapper: &[&str],
    patch: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Transcript {
    let dir = patch.parent().unwrap();
    let mut pd = pd_command_under(wrapper, dir);
    pd.envs(env.iter().copied());
    run_command(pd, patch, extra, limit)
}

/// As [`run_pd`], in another Pd binary `pd` (Pd64, which `build/test`
/// builds from Debian's puredata source).
pub fn run_other_pd(pd: &Path, patch: &Path, extra: &[&str], limit: Duration) -> Transcript {
    run_other_pd_package(pd, &package_dir(), patch, extra, limit)
}

/// As [`run_other_pd`], with `package` (a pyrus package folder) on the path.
pub fn run_other_pd_package(pd: &Path, package: &Path, patch: &Path, extra: &[&str], limit: Duration) -> Transcript {
    let mut command = Command::new(pd);
    headless(&mut command, patch.parent().unwrap(), package);
    run_command(command, patch, extra, limit)
}

/// As [`run_pd_env`], with `package` on Pd's path instead of the package
/// under test.
pub fn run_pd_package_env(
    package: &Path,
    patch: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Transcript {
    let mut pd = match pd_under_test() {
        PdUnderTest::Windows(wine) => wine.command(),
        PdUnderTest::Linux => Command::new(pd_program()),
    };
    headless(&mut pd, patch.parent().unwrap(), package);
    pd.envs(env.iter().copied());
    run_command(pd, patch, extra, limit)
}

/// Runs a Pd command on `patch` (see [`run_pd`]), killed after `limit`.
pub fn run_command(mut pd: Command, patch: &Path, extra: &[&str], limit: Duration) -> Transcript {
    let mut child = pd
        .args(if extra.contains(&"-realtime") { &[][..] } else { &["-batch"][..] })
        .args(extra.iter().filter(|f| **f != "-realtime"))
        .arg("-open")
        .arg(patch)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pd runs (apt-get install puredata-core)");
    if let PdUnderTest::Windows(wine) = pd_under_test() {
        return wine.transcript(child, limit);
    }
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    // Each line with the time it arrived, to the end of the stream.
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in stderr.split(b'\n').map_while(Result::ok) {
            let line = String::from_utf8_lossy(&line).into_owned();
            if line != WATCHDOG {
                lines.push((line, Instant::now()));
            }
        }
        lines
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let text: Vec<String> = reader.join().unwrap().into_iter().map(|(l, _)| l).collect();
            panic!("pd did not quit within {limit:?}; it wrote:\n{}", text.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let exited = Instant::now();
    let (lines, arrived) = reader.join().unwrap().into_iter().unzip();
    Transcript { lines, status, arrived, exited }
}

/// Writes `patch` as `name.pd` in `dir`, runs it, and checks that Pd exited
/// normally without crashing.
pub fn run(dir: &Path, name: &str, patch: &Patch) -> Transcript {
    run_with(dir, name, patch, &[])
}

/// As [`run`], with more Pd flags.
pub fn run_with(dir: &Path, name: &str, patch: &Patch, flags: &[&str]) -> Transcript {
    run_within(dir, name, patch, flags, Duration::from_secs(60))
}

/// As [`run_with`], killing Pd after `limit` instead of 60 s.
pub fn run_within(dir: &Path, name: &str, patch: &Patch, flags: &[&str], limit: Duration) -> Transcript {
    let path = dir.join(format!("{name}.pd"));
    patch.write(&path);
    let t = run_pd(&path, flags, limit);
    assert_eq!(t.status, Some(0), "pd exited abnormally:\n{}", t.text());
    let banner = format!("pyrus {} for Pd: Python 3.", env!("CARGO_PKG_VERSION"));
    assert!(t.contains(&banner), "pyrus did not load:\n{}", t.text());
    t
}

/// Which Pd runs the patches: Linux's `pd` (the default), or Pd for Windows
/// under wine when `PYRUS_PD_UNDER_TEST=windows` (build/test's
/// `test_pd_windows` sets it, with the paths [`Wine`] reads).
pub enum PdUnderTest {
    Linux,
    Windows(Wine),
}

/// The Pd under test, read from the environment once.
pub fn pd_under_test() -> &'static PdUnderTest {
    static UNDER_TEST: std::sync::OnceLock<PdUnderTest> = std::sync::OnceLock::new();
    UNDER_TEST.get_or_init(|| match std::env::var("PYRUS_PD_UNDER_TEST").as_deref() {
        Ok("windows") => PdUnderTest::Windows(Wine::from_env()),
        Ok("linux") | Err(_) => PdUnderTest::Linux,
        Ok(other) => panic!("PYRUS_PD_UNDER_TEST={other}: linux or windows"),
    })
}

/// Pd for Windows under wine, as `build/windows.sh` builds it: `bin/pd.com`
/// in `$PYRUS_PD_WINDOWS`, with its wine prefix and embeddable CPythons
/// beside it, and the Windows package in `$PYRUS_PD_WINDOWS_PACKAGE`.
pub struct Wine {
    wine: PathBuf,
    home: PathBuf,
    package: PathBuf,
    /// The `python3X.dll` the loader is told to load (`PYRUS_LIBPYTHON`).
    python: PathBuf,
}

impl Wine {
    /// The `python3X.dll` of the embeddable CPython the tests run with, in
    /// its folder (with `python3.dll`, its standard library...).
    pub fn python(&self) -> &Path {
        &self.python
    }

    fn from_env() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("{name} is not set: build/test's test_pd_windows sets it"))
        };
        let (home, package) = (var("PYRUS_PD_WINDOWS"), var("PYRUS_PD_WINDOWS_PACKAGE"));
        let version = std::env::var("PYRUS_PD_WINDOWS_PYTHON").unwrap_or_else(|_| "3.13".into());
        let python = home.join(format!("python-{version}")).join(format!("python{}.dll", version.replace('.', "")));
        for file in [home.join("bin/pd.com"), package.join("pyrus.dll"), python.clone()] {
            assert!(file.exists(), "{} is missing: build/test's test_pd_windows builds it", file.display());
        }
        Wine { wine: var("PYRUS_WINE"), home, package, python }
    }

    /// `wine64 pd.com` in the test prefix, quiet, without audio drivers to
    /// probe, and told which Python to load (unless a test names its own).
    pub fn command(&self) -> Command {
        let mut pd = Command::new(&self.wine);
        pd.arg(self.home.join("bin/pd.com"))
            .env("WINEPREFIX", self.home.join("wineprefix"))
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "winealsa.drv,winepulse.drv,wineoss.drv=d");
        if std::env::var_os("PYRUS_LIBPYTHON").is_none() {
            // A full path (Z: is wine's drive for /): the DLLs it needs are
            // then looked for in its own folder first.
            pd.env("PYRUS_LIBPYTHON", format!("Z:{}", self.python.display()).replace('/', "\\"));
        }
        pd
    }

    /// What `child` (Pd under wine) writes to stderr until it exits, killed
    /// after a generous multiple of `limit` (wine starts slowly). The pipe
    /// is not read to its end: wine's helper processes inherit it and keep
    /// it open after Pd is gone. Everything Pd wrote before it exited is in
    /// the pipe by then, so it is read, without blocking, once more after
    /// the exit was seen. A regular file would not do: under wine 8.0,
    /// CPython cannot make `sys.stderr` on one ("Invalid handle") and stops
    /// Pd. Pd for Windows ends its lines with CRLF.
    fn transcript(&self, mut child: std::process::Child, limit: Duration) -> Transcript {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        let limit = limit * 3 + Duration::from_secs(30);
        let mut stderr = child.stderr.take().unwrap();
        // SAFETY: fcntl on the open pipe this process owns (stderr lives to the end).
        unsafe { libc::fcntl(stderr.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let (mut lines, mut arrived, mut pending) = (Vec::new(), Vec::new(), Vec::new());
        // A line arrives with its first byte: wine's msvcrt holds back the
        // newline that ends a [print] line (Pd's endpost does not flush)
        // until Pd writes again, at the latest at its exit.
        let mut begun = Instant::now();
        let mut drain = |lines: &mut Vec<String>, arrived: &mut Vec<Instant>| {
            let mut buf = [0u8; 65536];
            while let Ok(n @ 1..) = stderr.read(&mut buf) {
                if pending.is_empty() {
                    begun = Instant::now();
                }
                pending.extend_from_slice(&buf[..n]);
            }
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_owned();
                if line != WATCHDOG {
                    lines.push(line);
                    arrived.push(begun);
                }
                begun = Instant::now();
            }
        };
        let start = Instant::now();
        let status = loop {
            let status = child.try_wait().unwrap();
            drain(&mut lines, &mut arrived);
            if let Some(status) = status {
                break status.code();
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                drain(&mut lines, &mut arrived);
                panic!("pd under wine did not quit within {limit:?}; it wrote:\n{}", lines.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let exited = Instant::now();
        if !pending.is_empty() {
            lines.push(String::from_utf8_lossy(&pending).trim_end_matches('\r').to_owned());
            arrived.push(begun);
        }
        Transcript { lines, status, arrived, exited }
    }
}

/// The `.pd` files in `folder`, sorted by name.
fn pd_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pd"))
        .collect();
    files.sort();
    files
}

/// The patches a user opens in a package folder (installed, unpacked or
/// `package_dir()`): its help patches and the demo, not `pyrus-meta.pd`,
/// which they include, sorted. Asserts they are exactly the repository's
/// `help/*.pd`, so a patch added to help/ is one the package ships and the
/// tests open, and none is left out of either.
pub fn help_patches(folder: &Path) -> Vec<PathBuf> {
    let helps: Vec<PathBuf> = pd_files(folder).into_iter().filter(|p| !p.ends_with("pyrus-meta.pd")).collect();
    let names = |files: &[PathBuf]| -> Vec<String> {
        files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect()
    };
    let repo = pd_files(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../help"));
    assert!(!repo.is_empty(), "the repository's help/ has patches");
    assert_eq!(names(&helps), names(&repo), "{} holds the repository's help/*.pd", folder.display());
    helps
}
