//! `load FILE` in real Pd: only regular files of a bounded size are read (a
//! device, a FIFO or a directory is a clear error and never blocks Pd), and a
//! file is decoded as Python decodes a source file.

mod support;
use std::time::Duration;
use support::*;

/// Runs `load` for each name in a fresh `[pyrus]`, then `eval 6 * 7` to show
/// the object still works. Returns the transcript.
fn load_each(dir: &std::path::Path, name: &str, loads: &[String]) -> Transcript {
    let mut p = Patch::new();
    p.pyrus("py", "");
    let mut sends: Vec<(&str, String)> = loads.iter().map(|f| ("py", format!("load {f}"))).collect();
    sends.push(("py", "eval 6 * 7".into()));
    let sends: Vec<(&str, &str)> = sends.iter().map(|(to, m)| (*to, m.as_str())).collect();
    p.script(&sends);
    // Pd must answer at once: a FIFO opened for reading, or /dev/zero read to
    // its end, never would.
    run_within(dir, name, &p, &[], Duration::from_secs(30))
}

#[test]
fn devices_fifos_directories_and_huge_files_are_refused_without_blocking() {
    let dir = test_dir("load-special");
    let fifo = dir.join("pipe.py");
    let c_fifo = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c_fifo.as_ptr(), 0o600) }, 0, "mkfifo");
    std::fs::create_dir(dir.join("folder.py")).unwrap();
    // One byte over the documented 4 MiB cap (a comment, so it would run).
    std::fs::write(dir.join("huge.py"), format!("#{}\n", " ".repeat((4 << 20) - 1))).unwrap();
    let loads = ["/dev/zero", "pipe.py", "folder.py", "huge.py"].map(String::from);
    let t = load_each(&dir, "load-special", &loads);
    let status = t.printed("py-status");
    let expected = [
        "error ValueError can't load /dev/zero: it is a character device: load reads regular files only".to_owned(),
        format!(
            "error ValueError can't load {}: it is a FIFO (named pipe): load reads regular files only",
            fifo.display()
        ),
        format!(
            "error ValueError can't load {}: it is a directory: load reads regular files only",
            dir.join("folder.py").display()
        ),
        format!(
            "error ValueError can't load {}: {} bytes is more than load reads (at most 4 MiB)",
            dir.join("huge.py").display(),
            (4 << 20) + 1
        ),
    ];
    assert_eq!(status, expected, "{}", t.text());
    // Each is in the console too, and the object goes on working.
    assert_eq!(t.errors().iter().filter(|l| l.contains("load reads")).count(), 4, "{}", t.text());
    assert_eq!(t.printed("py"), ["42"], "{}", t.text());
}

#[test]
fn load_decodes_as_python_does_bom_cookie_and_binary() {
    let dir = test_dir("load-encoding");
    std::fs::write(dir.join("bom.py"), b"\xef\xbb\xbfbom = 1\n").unwrap();
    std::fs::write(dir.join("latin.py"), b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n").unwrap();
    std::fs::write(dir.join("binary.py"), b"\x7fELF\x02\x01\x01\x00\x00\x00").unwrap();
    std::fs::write(dir.join("undecodable.py"), b"name = 'caf\xe9'\n").unwrap();
    std::fs::write(dir.join("unknown.py"), b"# coding: no-such-codec\nx = 1\n").unwrap();
    let mut p = Patch::new();
    p.pyrus("py", "");
    p.script(&[
        ("py", "load bom.py"),
        ("py", "eval bom"),
        ("py", "load latin.py"),
        ("py", "eval name"),
        ("py", "load binary.py"),
        ("py", "load undecodable.py"),
        ("py", "load unknown.py"),
        ("py", "eval 6 * 7"),
    ]);
    let t = run(&dir, "load-encoding", &p);
    assert_eq!(t.printed("py"), ["1", "symbol café", "42"].map(String::from).as_slice(), "{}", t.text());
    let status = t.printed("py-status");
    assert_eq!(status.len(), 3, "{}", t.text());
    let binary = format!(
        "error ValueError can't load {}: not a Python source file (a NUL byte at offset 7)",
        dir.join("binary.py").display()
    );
    assert_eq!(status[0], binary, "{}", t.text());
    let undecodable =
        format!("error ValueError can't load {}: not a Python source file", dir.join("undecodable.py").display());
    assert!(status[1].starts_with(&undecodable), "{}", t.text());
    let unknown = format!("error ValueError can't load {}: not a Python source file", dir.join("unknown.py").display());
    assert!(status[2].starts_with(&unknown) && status[2].contains("no-such-codec"), "{}", t.text());
}
