//! The QEMU guest of the end-to-end tests (built by `build-initramfs.sh`
//! next to this file): its prerequisites, its initramfs, the QEMU command
//! line, what the guest plays and what it says. Shared by pyrus-usb's
//! `tests/qemu_e2e.rs` and pyrus-pd's `tests/pd_usb_qemu.rs`, which include
//! it with `#[path]`.
//!
//! Runs under TCG: nested KVM on some hosts hangs early in boot.
#![allow(dead_code)] // each test file uses its own part of this

use pyrus_usb::{Event, Midi};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A Debian kernel with the gadget modules.
pub struct Kernel {
    pub vmlinuz: PathBuf,
    pub version: String,
}

fn on_path(cmd: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {cmd}")]).output().is_ok_and(|o| o.status.success())
}

fn kernel() -> Option<Kernel> {
    let mut found: Vec<_> = std::fs::read_dir("/boot")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let ver = name.strip_prefix("vmlinuz-")?.to_string();
            let dummy = format!("/lib/modules/{ver}/kernel/drivers/usb/gadget/udc/dummy_hcd.ko");
            Path::new(&dummy).exists().then(|| (e.path(), ver))
        })
        .collect();
    found.sort();
    found.pop().map(|(vmlinuz, version)| Kernel { vmlinuz, version })
}

/// The kernel to boot; fails the test, saying what is missing, without
/// one: the test command installs every prerequisite (`setup test` in
/// build/lib.sh), so a missing one is a broken setup, never a pass.
pub fn require() -> Kernel {
    prerequisites().unwrap_or_else(|why| panic!("the QEMU end-to-end test cannot run: {why}; build/test installs it"))
}

/// The kernel to boot, or why the test cannot run here.
pub fn prerequisites() -> Result<Kernel, String> {
    for cmd in ["qemu-system-x86_64", "busybox", "usbredirect", "modprobe", "cpio", "udevadm"] {
        if !on_path(cmd) {
            return Err(format!(
                "{cmd} not found (apt-get install qemu-system-x86 busybox-static usbredirect kmod cpio udev)"
            ));
        }
    }
    kernel().ok_or_else(|| "no /boot/vmlinuz-* with dummy_hcd.ko (apt-get install linux-image-amd64)".into())
}

/// Builds the guest's initramfs at `out`; `pyrus_bin` (the `pyrus-usb`
/// command) is copied in for local mode.
pub fn initramfs(kernel: &Kernel, out: &Path, pyrus_bin: Option<&str>) {
    // Both crates live in externals/: this path holds from either.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../pyrus-usb/tests/qemu/build-initramfs.sh");
    let st = Command::new("sh").arg(script).arg(&kernel.version).arg(out).args(pyrus_bin).status().unwrap();
    assert!(st.success(), "building the initramfs failed");
}

/// QEMU booting the guest in `mode` (`to`, `as` or `local`), killed after
/// 180 s. `port` is on the host's loopback: for `to` the listener the
/// guest's `usbredirect --to` reaches (guestfwd; QEMU connects to it at
/// start-up, so it must listen first), for `as` where QEMU exposes the
/// guest's `usbredirect --as` (hostfwd). The user network has `restrict=on`:
/// the guest reaches nothing else. The console is on stdout.
pub fn qemu(kernel: &Kernel, initrd: &Path, mode: &str, port: Option<u16>) -> Command {
    let netdev = match (mode, port) {
        ("to", Some(port)) => {
            format!("user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:9000-tcp:127.0.0.1:{port}")
        }
        ("as", Some(port)) => format!("user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:4000"),
        ("local", None) => "user,id=n0,restrict=on".into(),
        _ => panic!("mode {mode} with port {port:?}"),
    };
    let mut c = Command::new("timeout");
    c.arg("180")
        .arg("qemu-system-x86_64")
        .args(["-accel", "tcg", "-m", "512", "-nographic", "-no-reboot"])
        .arg("-kernel")
        .arg(&kernel.vmlinuz)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        .arg(format!("console=ttyS0 panic=-1 loglevel=4 pyrus_mode={mode}"))
        .arg("-netdev")
        .arg(netdev)
        .args(["-device", "virtio-net-pci,netdev=n0"])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// What the guest said on its console: its `pyrus-e2e: ` lines, without that.
pub fn said(console: &str) -> Vec<&str> {
    console.lines().filter_map(|l| l.find("pyrus-e2e: ").map(|i| &l[i + "pyrus-e2e: ".len()..])).collect()
}

/// A loopback port nobody listens on (at the time of asking).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The gadget as the usbredir guest reports it.
pub fn connected() -> Event {
    Event::Connected { vid: 0x1d6b, pid: 0x0104, name: "pyrus QEMU MIDI Gadget".into() }
}

/// Whether an error's text is the one report a slow guest may cause before
/// `connected`: QEMU's forwarding takes the connection at start-up, long
/// before the guest's usbredirect (booting under TCG) says its hello, and
/// the guest says after [`pyrus_usb::net::HELLO_TIMEOUT`] that it has not
/// yet, still waiting.
pub fn is_no_hello_yet(error: &str) -> bool {
    error.starts_with("usbredir: 127.0.0.1:")
        && error.contains(pyrus_usb::net::NO_HELLO)
        && error.contains("(still waiting)")
}

/// The phrase the guest plays into the gadget's MIDI port, again and again
/// until it has heard from the host: note on, controller, a SysEx (identity
/// request), note off.
pub fn phrase() -> Vec<Midi> {
    vec![
        Midi::Note { ch: 1, pitch: 60, vel: 100 },
        Midi::Cc { ch: 1, num: 7, val: 80 },
        Midi::SysEx(vec![0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7]),
        Midi::Note { ch: 1, pitch: 60, vel: 0 },
    ]
}

/// The guest's HID report (buttons 1 and 3, X 200), as events; the same
/// report again changes nothing, so these come once.
pub fn hid_events() -> Vec<Event> {
    vec![
        Event::Hid { page: 9, usage: 1, value: 1 },
        Event::Hid { page: 9, usage: 3, value: 1 },
        Event::Hid { page: 1, usage: 0x30, value: 200 },
    ]
}
