//! The shipped patches: the help patch opens cleanly, the demo computes.

mod support;
use std::time::Duration;
use support::*;

#[test]
fn help_patches_open_and_every_object_creates() {
    // Every patch the package ships but the demo, which reports a
    // deliberate error (the demo test below runs it).
    for path in help_patches(&package_dir()).iter().filter(|p| !p.ends_with("pyrus-demo.pd")) {
        let help = path.file_name().unwrap().to_str().unwrap();
        let dir = test_dir(help);
        let mut p = Patch::new();
        let pkg = package_dir().to_string_lossy().into_owned();
        let open = format!("open {help} {pkg}");
        p.script(&[("pd", open.as_str())]);
        let t = run(&dir, "help", &p);
        assert!(!t.contains("couldn't create"), "{help}: {}", t.text());
        assert!(t.errors().is_empty(), "{help} opens without errors:\n{}", t.text());
    }
}

/// The lines of a patch's top-level boxes, in the order Pd numbers them for
/// `#X connect`: a subpatch (`#N canvas` .. `#X restore`) is one box, its
/// `#X restore` line; `#X connect`, `#X coords` and `#X declare` are no boxes.
fn top_level_boxes(text: &str) -> Vec<&str> {
    let mut depth = 0;
    let mut boxes = Vec::new();
    for line in text.lines().skip(1) {
        if line.starts_with("#N canvas") {
            depth += 1;
        } else if line.starts_with("#X restore") {
            depth -= 1;
            if depth == 0 {
                boxes.push(line);
            }
        } else if depth == 0
            && line.starts_with("#X ")
            && !["#X connect", "#X coords", "#X declare"].iter().any(|p| line.starts_with(p))
        {
            boxes.push(line);
        }
    }
    boxes
}

#[test]
fn the_usb_help_patch_demo_buttons_play() {
    // Open the help patch, then press its buttons: `demo` into the
    // [pyrus.usb], `bang` and a note into the Python example, the way the
    // boxes would, through receivers added beside them in a copy of the patch.
    let dir = test_dir("usbhelpdemo");
    let text = std::fs::read_to_string(package_dir().join("pyrus.usb-help.pd")).unwrap();
    let boxes = top_level_boxes(&text);
    let find = |text: &str| {
        // The last such box: the header's [pyrus.usb], which has no cords, comes first.
        boxes.iter().rposition(|l| l.starts_with("#X obj") && l.contains(text)).expect("the help patch has the box")
    };
    let (usb, py, n) = (find(" pyrus.usb;"), find(" pyrus examples.UsbNotes"), boxes.len());
    let mut copy = text.clone();
    copy.push_str(&format!(
        "#X obj 600 10 r press-usb;\n#X obj 600 40 r press-py;\n#X obj 600 70 loadbang;\n\
         #X msg 600 100 \\; press-usb demo \\; press-py bang;\n#X obj 600 130 delay 1000;\n\
         #X msg 600 160 \\; press-py note 1 72 100;\n#X obj 600 190 delay 2500;\n#X msg 600 220 \\; pd quit;\n\
         #X connect {n} 0 {usb} 0;\n#X connect {} 0 {py} 0;\n#X connect {} 0 {} 0;\n#X connect {} 0 {} 0;\n\
         #X connect {} 0 {} 0;\n#X connect {} 0 {} 0;\n#X connect {} 0 {} 0;\n",
        n + 1,
        n + 2,
        n + 3,
        n + 2,
        n + 4,
        n + 4,
        n + 5,
        n + 2,
        n + 6,
        n + 6,
        n + 7
    ));
    let path = dir.join("help-copy.pd");
    std::fs::write(&path, copy).unwrap();
    let t = run_pd(&path, &["-realtime"], Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "{}", t.text());
    assert!(t.printed("usb").iter().any(|e| e == "note 1 60 90"), "{}", t.text());
    let connected = "connected 4617 28793 pyrus Virtual MIDI HID";
    assert_eq!(t.printed("usb-status").first().map(String::as_str), Some(connected));
    // The Python example: notes as PITCH VELOCITY, the rest as they come.
    assert_eq!(t.printed("usb-py-notes")[..2], ["60 90", "60 0"], "{}", t.text());
    let events = t.printed("usb-py-events");
    assert_eq!(events.first().map(String::as_str), Some(connected), "{}", t.text());
    assert_eq!(events.last().map(String::as_str), Some("disconnected"), "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}

#[test]
fn demo_patch_computes_and_reports_its_deliberate_error() {
    let t = run_pd(&package_dir().join("pyrus-demo.pd"), &["-send", "pd quit"], Duration::from_secs(60));
    assert_eq!(t.status, Some(0), "{}", t.text());
    assert!(t.printed("demo")[0].starts_with("symbol hello\\ from\\ Python\\ 3."), "{}", t.text());
    assert_eq!(t.printed("demo-spread"), ["0 1 2 3 4"]);
    assert_eq!(t.printed("demo-mean"), ["2.5"]);
    assert_eq!(t.printed("demo-chord"), ["60", "64", "67", "set 60 64 67"]);
    assert_eq!(t.printed("demo-chord-send"), ["done 60"], "a str first is the selector");
    t.require_numpy();
    assert_eq!(t.printed("demo-numpy"), ["0 0.25 0.5 0.75 1"], "{}", t.text());
    assert_eq!(t.printed("demo-fail-status"), ["error ZeroDivisionError division by zero"]);
    assert!(t.errors().iter().any(|l| l.contains("examples.py\", line")), "{}", t.text());
}

/// The boxes of the subpatch `[pd NAME]` of a patch, in their own numbering.
fn subpatch_boxes<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let start = text.lines().position(|l| l.starts_with("#N canvas") && l.ends_with(&format!(" {name} 0;"))).unwrap();
    let inner: Vec<&str> = text.lines().skip(start).collect();
    let mut depth = 0;
    let mut boxes = Vec::new();
    for line in &inner[1..] {
        if line.starts_with("#N canvas") {
            depth += 1;
        } else if line.starts_with("#X restore") {
            if depth == 0 {
                break;
            }
            depth -= 1;
            if depth == 0 {
                boxes.push(*line);
            }
        } else if depth == 0 && line.starts_with("#X ") && !line.starts_with("#X connect") {
            boxes.push(*line);
        }
    }
    boxes
}

#[test]
fn the_help_patch_s_endless_call_runs_until_stop() {
    // The detached-calls subpatch's [call ...forever( and the object it is
    // connected to, as the help patch has them: the call must run (it says
    // running) until stop (stopped), not fail to find the function.
    let text = std::fs::read_to_string(package_dir().join("pyrus-help.pd")).unwrap();
    let boxes = subpatch_boxes(&text, "detached-calls");
    let call = boxes.iter().position(|l| l.starts_with("#X msg") && l.contains("forever")).expect("a call of forever");
    let start = text.lines().position(|l| l.ends_with(" detached-calls 0;")).unwrap();
    let connect = text
        .lines()
        .skip(start)
        .find_map(|l| l.strip_prefix(&format!("#X connect {call} 0 ")))
        .expect("the call's message box is connected");
    let target: usize = connect.split(' ').next().unwrap().parse().unwrap();
    let words = |line: &str| line.trim_end_matches(';').splitn(5, ' ').nth(4).unwrap().to_owned();
    let (message, object) = (words(boxes[call]), words(boxes[target]));
    assert!(object.starts_with("pyrus -detach"), "a detached object: {object}");
    let dir = test_dir("forever");
    let mut p = Patch::new();
    let o = p.pyrus("forever", &object["pyrus ".len()..]);
    // Stop once it says it runs; quit at stopped, or at an error.
    let running = p.obj("route symbol");
    let stop = p.msg("stop");
    p.connect(o, 0, running, 0);
    p.connect(running, 0, stop, 0);
    p.connect(stop, 0, o, 0);
    p.quit_after(o, 1, "stopped", 1);
    p.quit_after(o, 1, "error", 1);
    p.start(&[("forever", &message)]);
    let t = run(&dir, "forever", &p);
    assert_eq!(t.printed("forever"), ["symbol running"], "{}", t.text());
    assert!(t.printed("forever-status").iter().any(|s| s == "stopped"), "{}", t.text());
    assert!(t.errors().is_empty(), "{message} on [{object}]: {}", t.text());
}

/// A copy of help patch `help` with `extra` boxes (numbered from its last
/// box on) and connections appended, in `dir`; returns its path.
fn help_copy(dir: &std::path::Path, help: &str, extra: impl FnOnce(usize) -> String) -> std::path::PathBuf {
    let text = std::fs::read_to_string(package_dir().join(help)).unwrap();
    let n = top_level_boxes(&text).len();
    let path = dir.join(help);
    std::fs::write(&path, text + &extra(n)).unwrap();
    path
}

#[test]
fn the_arrays_patch_draws_its_curve_in_both_modes() {
    let dir = test_dir("arrayhelp");
    let text = std::fs::read_to_string(package_dir().join("pyrus-arrays.pd")).unwrap();
    let boxes = top_level_boxes(&text);
    let find = |end: &str| boxes.iter().position(|l| l.starts_with("#X obj") && l.ends_with(end)).expect("the box");
    let (draw, far) = (find(" examples.draw pyrus-arrays;"), find(" examples.draw_far pyrus-arrays;"));
    // Press `1` into each (one harmonic; one cycle), then read slot 64 of 256.
    let path = help_copy(&dir, "pyrus-arrays.pd", |n| {
        format!(
            "#X obj 600 10 r press-draw;\n#X obj 600 40 r press-far;\n#X obj 600 70 loadbang;\n\
             #X msg 600 100 \\; press-draw 1 \\; probe 64 \\; press-far 1;\n#X obj 600 130 r probe;\n\
             #X obj 600 160 tabread pyrus-arrays;\n#X obj 600 190 print probe;\n#X obj 600 220 t b;\n\
             #X msg 600 250 \\; probe 64 \\; pd quit;\n\
             #X connect {n} 0 {draw} 0;\n#X connect {} 0 {far} 0;\n#X connect {} 0 {} 0;\n#X connect {} 0 {} 0;\n\
             #X connect {} 0 {} 0;\n#X connect {far} 0 {} 0;\n#X connect {} 0 {} 0;\n",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 5,
            n + 6,
            n + 7,
            n + 7,
            n + 8
        )
    });
    let t = run_pd(&path, &[], Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "{}", t.text());
    t.require_numpy();
    let probes: Vec<f64> = t.printed("probe").iter().map(|s| s.parse().unwrap()).collect();
    // sin(pi/2), scaled to 0.9; then a Hann-windowed cycle.
    let hann = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * 64.0 / 255.0).cos();
    assert_eq!(probes.len(), 2, "{}", t.text());
    assert!((probes[0] - 0.9).abs() < 1e-4, "{}", t.text());
    assert!((probes[1] - 0.9 * hann).abs() < 1e-4, "{}", t.text());
    assert!(t.errors().is_empty(), "{}", t.text());
}

#[test]
fn pyrus_help_opens_the_arrays_patch_from_its_own_folder() {
    let dir = test_dir("arrayhelpopen");
    std::fs::copy(package_dir().join("pyrus-arrays.pd"), dir.join("pyrus-arrays.pd")).unwrap();
    let text = std::fs::read_to_string(package_dir().join("pyrus-help.pd")).unwrap();
    let boxes = top_level_boxes(&text);
    let open =
        boxes.iter().position(|l| l.starts_with("#X msg") && l.ends_with(" open pyrus-arrays.pd;")).expect("the box");
    // Press it, then read the array the opened patch has.
    let path = help_copy(&dir, "pyrus-help.pd", |n| {
        format!(
            "#X obj 600 10 r press-open;\n#X obj 600 40 loadbang;\n\
             #X msg 600 70 \\; press-open bang \\; probe 3 \\; pd quit;\n#X obj 600 100 r probe;\n\
             #X obj 600 130 tabread pyrus-arrays;\n#X obj 600 160 print probe;\n\
             #X connect {n} 0 {open} 0;\n#X connect {} 0 {} 0;\n#X connect {} 0 {} 0;\n#X connect {} 0 {} 0;\n",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 4,
            n + 5
        )
    });
    let t = run_pd(&path, &[], Duration::from_secs(30));
    assert_eq!(t.status, Some(0), "{}", t.text());
    assert_eq!(t.printed("probe"), ["0"], "{}", t.text());
    assert!(!t.contains("no such array"), "{}", t.text());
}
