//! The `pyrus-usb` command as a user runs it.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pyrus-usb"))
}

#[test]
fn demo_prints_the_performance_and_ends_with_disconnected() {
    let out = bin().arg("demo").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"connected 4617 28793 pyrus Virtual MIDI HID"));
    assert_eq!(lines.last(), Some(&"disconnected"));
    for want in [
        "start",
        "program 1 5",
        "note 1 60 90",
        "note 1 60 0",
        "clock",
        "bend 2 4096",
        "polytouch 1 60 30",
        "pressure 1 50",
        "hid 9 1 1",
        "hid 1 48 128",
        "sysex 240 126 127 6 1 247",
        "note 10 36 127 cable 1",
        "songpos 16",
        "stop",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in:\n{text}");
    }
    // Order of the MIDI stream is kept.
    let pos = |s: &str| lines.iter().position(|l| *l == s).unwrap();
    assert!(pos("start") < pos("note 1 60 90") && pos("note 1 60 90") < pos("stop"));
}

#[test]
fn bad_usage_exits_2_and_unreachable_peer_fails() {
    let out = bin().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    let out = bin().args(["connect", "127.0.0.1:1"]).output().unwrap();
    assert!(!out.status.success());
    let out = bin().args(["open", "zz:zz"]).output().unwrap();
    assert!(!out.status.success());
}
