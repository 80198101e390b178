//! The help patches in the real Pd GUI (pd-gui, Tk) under Xvfb: each patch
//! and each of its subpatches is drawn, screenshotted into
//! `target/help-shots/` for a look, and checked on what Tk drew: a box that
//! did not create (Pd's "... couldn't create", and its dashed border), text
//! that overlaps another box, a cord drawn through a box, a help window
//! larger than one screen. The box extents are the Tk canvas's own bounding
//! boxes, with Pd's fonts at the patch's font size, read by a GUI plugin
//! (`tests/gui/pyrus_shot-plugin.tcl`).

mod support;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// One screen: the help window must fit a 1280x800 laptop display with room
/// for Pd's main window and menus.
const SCREEN: (f64, f64) = (1000.0, 760.0);

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/help-shots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names of every subpatch (`[pd NAME]`) in a patch file, nested ones too.
fn subpatches(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("#X restore "))
        .filter_map(|l| {
            let words: Vec<&str> = l.trim_end_matches(';').splitn(4, ' ').collect();
            (words.len() == 4 && words[2] == "pd").then(|| words[3].to_owned())
        })
        .collect()
}

/// A Tcl list as Tk's `puts` of a list writes it: words, `{...}` groups
/// (nested), backslash escapes.
fn tcl_list(s: &str) -> Vec<String> {
    let (mut out, mut chars) = (Vec::new(), s.chars().peekable());
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { return out };
        let mut word = String::new();
        if c == '{' {
            chars.next();
            let mut depth = 1;
            for c in chars.by_ref() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                word.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    match chars.next() {
                        Some('n') => word.push('\n'),
                        Some(c) => word.push(c),
                        None => {}
                    }
                } else {
                    word.push(c);
                }
            }
        }
        out.push(word);
    }
}

#[derive(Clone, Copy, Debug)]
struct Rect {
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
}

impl Rect {
    fn of(words: &[f64]) -> Option<Rect> {
        (words.len() == 4).then(|| Rect { x1: words[0], y1: words[1], x2: words[2], y2: words[3] })
    }
    fn union(self, o: Rect) -> Rect {
        Rect { x1: self.x1.min(o.x1), y1: self.y1.min(o.y1), x2: self.x2.max(o.x2), y2: self.y2.max(o.y2) }
    }
    /// Shrunk by `d` on every side (Tk's bounding boxes include a pixel or
    /// two of slack; boxes that merely touch do not overlap).
    fn inset(self, d: f64) -> Rect {
        Rect { x1: self.x1 + d, y1: self.y1 + d, x2: self.x2 - d, y2: self.y2 - d }
    }
    fn overlaps(self, o: Rect) -> bool {
        self.x1 < o.x2 && o.x1 < self.x2 && self.y1 < o.y2 && o.y1 < self.y2
    }
    /// Whether the segment (a, b) passes through the inside (Liang-Barsky).
    fn crossed_by(self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [(-dx, a.0 - self.x1), (dx, self.x2 - a.0), (-dy, a.1 - self.y1), (dy, self.y2 - a.1)] {
            if p == 0.0 {
                if q <= 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        t0 < t1
    }
}

/// A box as Tk drew it: its kind (obj, msg, text, atom), text, extent, and
/// whether its border is dashed (an object that did not create).
#[derive(Debug)]
struct Drawn {
    kind: String,
    text: String,
    rect: Rect,
    dashed: bool,
}

struct Canvas {
    size: (f64, f64),
    boxes: Vec<Drawn>,
    cords: Vec<((f64, f64), (f64, f64))>,
}

fn numbers(s: &str) -> Vec<f64> {
    s.split_whitespace().filter_map(|w| w.parse().ok()).collect()
}

fn read_items(path: &Path) -> Canvas {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut size = (0.0, 0.0);
    let mut boxes: BTreeMap<String, Drawn> = BTreeMap::new();
    let mut cords = Vec::new();
    for line in text.lines() {
        let w = tcl_list(line);
        if w[0] == "window" {
            size = (w[1].parse().unwrap(), w[2].parse().unwrap());
            continue;
        }
        let (kind, tags, coords, bbox, dash, text) =
            (&w[2], tcl_list(&w[3]), numbers(&w[4]), numbers(&w[5]), &w[6], &w[7]);
        let Some(bbox) = Rect::of(&bbox) else { continue };
        if tags.iter().any(|t| t == "cord") {
            cords.push(((coords[0], coords[1]), (coords[2], coords[3])));
        } else if kind == "rectangle" && tags.len() == 2 && tags[1].ends_with("RECT") {
            // {IDOBJ IDRECT}: a [cnv]'s visible area (the rules of a help patch).
            boxes.insert(tags[1].clone(), Drawn { kind: "cnv".into(), text: "cnv".into(), rect: bbox, dashed: false });
        } else if kind == "text" && tags.iter().any(|t| t == "label") {
            // {IDOBJ IDLABEL label text}: a GUI object's label (a [cnv]'s title).
            let label = tags.iter().find(|t| t.ends_with("LABEL")).cloned().unwrap_or_default();
            if text.is_empty() {
                continue; // an unlabelled toggle's empty label
            }
            boxes.insert(label, Drawn { kind: "label".into(), text: text.clone(), rect: bbox, dashed: false });
        } else if kind == "text" && tags.len() == 3 && tags[2] == "text" {
            // {TAG KIND text}: the box's text.
            let b = boxes.entry(tags[0].clone()).or_insert(Drawn {
                kind: String::new(),
                text: String::new(),
                rect: bbox,
                dashed: false,
            });
            b.kind = tags[1].clone();
            b.text = text.clone();
            b.rect = b.rect.union(bbox);
        } else if kind == "line" && tags.len() == 2 && tags[0].ends_with('R') {
            // {TAGR obj|msg|atom}: the box's border.
            let tag = tags[0].trim_end_matches('R').to_owned();
            let b = boxes.entry(tag).or_insert(Drawn {
                kind: tags[1].clone(),
                text: String::new(),
                rect: bbox,
                dashed: false,
            });
            b.rect = b.rect.union(bbox);
            b.dashed |= !dash.is_empty();
        }
    }
    Canvas { size, boxes: boxes.into_values().collect(), cords }
}

/// What is wrong with a drawn canvas, one line each.
fn defects(label: &str, c: &Canvas, main: bool) -> Vec<String> {
    let mut out = Vec::new();
    for b in &c.boxes {
        if b.dashed {
            out.push(format!("{label}: [{}] did not create (dashed border)", b.text));
        }
        if b.text.contains("{C}") || b.text.contains('\u{fffd}') {
            out.push(format!("{label}: the text of [{}] is garbled", b.text));
        }
    }
    for (i, a) in c.boxes.iter().enumerate() {
        for b in &c.boxes[i + 1..] {
            if a.rect.inset(1.0).overlaps(b.rect.inset(1.0)) {
                out.push(format!("{label}: [{}] ({}) overlaps [{}] ({})", a.text, a.kind, b.text, b.kind));
            }
        }
    }
    for &(from, to) in &c.cords {
        for b in &c.boxes {
            if b.rect.inset(2.0).crossed_by(from, to) {
                out.push(format!("{label}: a cord from {from:?} to {to:?} runs through [{}]", b.text));
            }
        }
    }
    if main && (c.size.0 > SCREEN.0 || c.size.1 > SCREEN.1) {
        out.push(format!("{label}: the window ({:?}) is larger than one screen ({SCREEN:?})", c.size));
    }
    // Every window shows all of its patch: nothing hides past a scroll bar.
    let extent = c.boxes.iter().map(|b| b.rect).reduce(Rect::union).unwrap();
    if extent.x2 > c.size.0 || extent.y2 > c.size.1 {
        out.push(format!("{label}: the patch ({extent:?}) does not fit its window ({:?})", c.size));
    }
    out
}

fn require(program: &str, package: &str) {
    let found = Command::new("sh").arg("-c").arg(format!("command -v {program}")).output().unwrap().status.success();
    assert!(found, "{program} is missing: this test needs it (apt-get install {package}; build/test installs it)");
}

/// An X server of its own (Xvfb), on a display number the server picks
/// itself (`-displayfd`: xvfb-run's `-a` picks one by looking for lock files,
/// which two runs at once can both find free), killed when dropped.
struct Display {
    server: std::process::Child,
    name: String,
}

impl Display {
    fn start() -> Display {
        let mut server = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1600x1200x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs");
        // Xvfb writes the display's number once it accepts clients.
        let mut number = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().unwrap()), &mut number).unwrap();
        assert!(!number.trim().is_empty(), "Xvfb did not start");
        Display { server, name: format!(":{}", number.trim()) }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Runs the real Pd GUI on `help` (a file of the package) in a display of
/// its own; the plugin writes `LABEL.items` and `LABEL.png` for the patch
/// and each subpatch into `out`. Returns Pd's stderr, and on a hang what the
/// plugin had written by then.
fn shoot(help: &Path, subs: &[String], out: &Path) -> String {
    let plugin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gui");
    let display = Display::start();
    let mut pd = Command::new(pd_program());
    pd.args(["-noprefs", "-nrt", "-nosound", "-stderr", "-path"])
        .arg(package_dir())
        .arg("-path")
        .arg(&plugin)
        .arg("-open")
        .arg(help)
        .env("DISPLAY", &display.name)
        .env("PYRUS_SHOT_OUT", out)
        .env("PYRUS_SHOT_PATCH", help.file_name().unwrap())
        .env("PYRUS_SHOT_SUBPATCHES", subs.join("\n"))
        .current_dir(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // Its own process group: the GUI is killed with it on a hang.
    std::os::unix::process::CommandExt::process_group(&mut pd, 0);
    let mut child = pd.spawn().expect("pd runs");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    // A generous bound on a hang (a run takes a few seconds).
    let start = Instant::now();
    let mut hung = false;
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            hung = true;
            break;
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
    let _ = child.wait();
    let mut text = reader.join().unwrap();
    if hung {
        let mut written: Vec<String> =
            std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        written.sort();
        text.push_str(&format!("(killed after 120 s; the plugin had written {written:?})\n"));
    }
    text
}

#[test]
fn every_help_patch_and_subpatch_draws_cleanly_in_the_real_pd_gui() {
    require("Xvfb", "xvfb");
    require("import", "imagemagick");
    require("pd-gui", "puredata-gui");
    let shots = shots_dir();
    let helps = help_patches(&package_dir());
    let mut problems = Vec::new();
    for help in &helps {
        let name = help.file_name().unwrap().to_string_lossy().into_owned();
        let stem = name.trim_end_matches(".pd").to_owned();
        let subs = subpatches(&std::fs::read_to_string(help).unwrap());
        let out = shots.join(&stem);
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let stderr = shoot(help, &subs, &out);
        assert!(out.join("done").exists(), "{name}: the GUI did not draw every window:\n{stderr}");
        for line in stderr.lines().filter(|l| l.contains("couldn't create")) {
            problems.push(format!("{name}: {line}"));
        }
        let labels =
            std::iter::once(stem.clone()).chain(subs.iter().map(|s| format!("{stem}-{}", s.replace(' ', "_"))));
        for (i, label) in labels.enumerate() {
            let canvas = read_items(&out.join(format!("{label}.items")));
            assert!(!canvas.boxes.is_empty(), "{label}: the GUI drew no box");
            assert!(out.join(format!("{label}.png")).exists(), "{label}: no screenshot");
            problems.extend(defects(&label, &canvas, i == 0));
        }
    }
    assert!(
        problems.is_empty(),
        "{} defects (screenshots in {}):\n{}",
        problems.len(),
        shots.display(),
        problems.join("\n")
    );
}
