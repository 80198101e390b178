//! Running the Windows build of a test host (fake-max.exe with MaxAPI.dll)
//! under wine, for the tests that drive it (fake-max's own, and pyrus-max's,
//! which include this file by its path). The program's standard output and
//! error go to files, not pipes: wine's helper processes inherit the
//! program's handles and keep a pipe open after it exits, so a reader would
//! never see the end. A thread follows the output file instead, until the
//! driver says the process has exited and the file has nothing more.
//!
//! Threads: the tail thread per run; the driver's thread does the rest.
#![allow(dead_code)] // each includer uses its own part of this

use std::io::{BufRead, BufReader, ErrorKind};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The wine loader: `$PYRUS_WINE` (build/windows.sh sets it), else `wine64`.
pub fn wine() -> PathBuf {
    std::env::var_os("PYRUS_WINE").map_or_else(|| PathBuf::from("wine64"), PathBuf::from)
}

/// `path` as a Windows program under wine names it (`Z:` is `/`).
pub fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// A Windows program started under wine, its output going to files.
pub struct Run {
    pub child: Child,
    /// Set by the driver once the process has exited: the tail thread then
    /// reads what is left and ends.
    pub exited: Arc<AtomicBool>,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

/// Starts `exe` under wine in `dir` with `env`, its standard input piped,
/// its output in `dir/NAME.stdout` and `dir/NAME.stderr`.
pub fn start(exe: &Path, dir: &Path, name: &str, env: &[(&str, &str)]) -> Run {
    let stdout = dir.join(format!("{name}.stdout"));
    let stderr = dir.join(format!("{name}.stderr"));
    let file = |p: &Path| std::fs::File::create(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let child = Command::new(wine())
        .arg(exe)
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(file(&stdout))
        .stderr(file(&stderr))
        .spawn()
        .unwrap_or_else(|e| panic!("{} {} does not start: {e}", wine().display(), exe.display()));
    Run { child, exited: Arc::new(AtomicBool::new(false)), stdout, stderr }
}

/// Sends each line of the file `path` to `send` as the file grows, until
/// `exited` is set and the file has no more, or `send` returns false.
/// Polls (a wait of 2 ms when nothing is new): a growing file gives no event.
pub fn tail(path: PathBuf, exited: Arc<AtomicBool>, mut send: impl FnMut(String) -> bool) {
    let Ok(file) = std::fs::File::open(&path) else { return };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        // Read before looking at the flag: after `exited`, one more pass
        // reads everything the process wrote.
        let done = exited.load(Ordering::SeqCst);
        match reader.read_until(b'\n', &mut line) {
            Ok(_) if line.ends_with(b"\n") => {
                line.pop();
                if line.ends_with(b"\r") {
                    line.pop();
                }
                if !send(String::from_utf8_lossy(&line).into_owned()) {
                    return;
                }
                line.clear();
            }
            // A partial line (kept for the next pass) or nothing new.
            Ok(_) => {
                if done {
                    if !line.is_empty() {
                        send(String::from_utf8_lossy(&line).into_owned());
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// The text of a file (a run's stderr), empty if it cannot be read.
pub fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
