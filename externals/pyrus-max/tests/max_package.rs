//! The Max package that `package_max` (`build/lib.sh`) lays out at
//! `$PYRUS_MAX_PACKAGE`: every JSON and XML file in it parses;
//! `package-info.json` has the keys Max reads, and lists under `os` exactly
//! the platforms whose binaries are in `externals/`; each box of the help
//! patchers is one of our classes or a standard Max object (listed here),
//! wired within its inlets and outlets; every message the help sends to a
//! `[pyrus]` or `[pyrus.usb]` is one that object takes, checked against the
//! engine's own words and rules (`RESERVED`, `OWN`, `Options`/`UsbOptions`
//! names and values, `USB_COMMANDS`, `DeviceSpec`, `Midi::from_message`, and
//! for a class the `in_N_*` methods its script defines); the help shows every
//! attribute; the reference pages list the messages and attributes the help
//! shows; and every script the help opens is in the package's `scripts/`.
//!
//! Python is not started: scripts are read as text, which is all the help's
//! checks need (the classes' inlets, outlets and `in_N_*` methods).

use pyrus_engine::atoms::{Atom, Message};
use pyrus_engine::{DeviceSpec, OptionName, OptionSet, Options, UsbOptions, OWN, RESERVED, USB_COMMANDS};
use pyrus_usb::Midi;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Our classes, each with its help patcher and reference page.
const CLASSES: &[&str] = &["pyrus", "pyrus.usb"];

/// The box classes of the help patchers other than `newobj`.
const STANDARD_BOXES: &[&str] = &["comment", "message", "number", "flonum", "button", "toggle"];

/// The standard Max objects the help patchers make in `newobj` boxes (`p`:
/// a subpatcher, here one per tab; `buffer~`: the arrays tab's).
const STANDARD_OBJECTS: &[&str] = &["print", "route", "unpack", "receive", "r", "p", "buffer~"];

/// Python's own modules the help uses as targets; any other module must be a
/// script in the package.
const STDLIB: &[&str] = &["math", "operator", "os"];

fn package() -> PathBuf {
    let dir = std::env::var_os("PYRUS_MAX_PACKAGE").map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "PYRUS_MAX_PACKAGE is not set: run build/test, or lay the package out first \
             (`source build/lib.sh && package_max`) and export it"
        )
    });
    assert!(dir.join("package-info.json").is_file(), "{}: no Max package here (run package_max)", dir.display());
    dir
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[test]
fn every_json_and_xml_file_parses() {
    let mut all = Vec::new();
    files(&package(), &mut all);
    let mut parsed = 0;
    for path in &all {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if [".json", ".maxhelp", ".maxpat"].iter().any(|ext| name.ends_with(ext)) {
            json(path);
            parsed += 1;
        } else if name.ends_with(".xml") {
            let xml = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{}: not XML: {e}", path.display()));
            parsed += 1;
        }
    }
    // package-info.json, and a help patcher and a reference page per class.
    assert!(parsed > 2 * CLASSES.len(), "parsed only {parsed} files");
}

#[test]
fn the_layout_is_what_max_reads() {
    let dir = package();
    for class in CLASSES {
        for file in [format!("help/{class}.maxhelp"), format!("docs/refpages/pyrus/{class}.maxref.xml")] {
            assert!(dir.join(&file).is_file(), "no {file}");
        }
    }
    for file in
        ["externals/README.md", "support/README.md", "scripts/pyrus/__init__.py", "scripts/pyrus/usb.py", "README.md"]
    {
        assert!(dir.join(file).is_file(), "no {file}");
    }
    assert!(dir.join("license.txt").is_file() || dir.join("LICENSE").is_file(), "no license");
    let mut all = Vec::new();
    files(&dir, &mut all);
    let cache: Vec<_> = all.iter().filter(|p| p.components().any(|c| c.as_os_str() == "__pycache__")).collect();
    assert!(cache.is_empty(), "__pycache__ in the package: {cache:?}");
}

#[test]
fn package_info_has_the_keys_max_reads() {
    let dir = package();
    let info = json(&dir.join("package-info.json"));
    assert_eq!(info["name"], "pyrus");
    for key in ["displayname", "author", "description"] {
        assert!(!text(&info[key]).is_empty(), "package-info.json: {key} is missing or empty");
    }
    assert!(info["website"].is_string(), "package-info.json: no website");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"), "the workspace's version");
    assert_eq!(info["max_version_min"], "8.2.0");
    let tags = info["tags"].as_array().expect("tags: a list");
    assert!(!tags.is_empty() && tags.iter().all(Value::is_string), "tags: {tags:?}");
    // `os` lists exactly the platforms whose binaries are present.
    let os = info["os"].as_object().expect("os: an object");
    let present: BTreeSet<&str> = [("macintosh", "pyrus.mxo"), ("windows", "pyrus.mxe64")]
        .into_iter()
        .filter(|(_, file)| dir.join("externals").join(file).exists())
        .map(|(platform, _)| platform)
        .collect();
    assert_eq!(os.keys().map(String::as_str).collect::<BTreeSet<_>>(), present, "os against externals/");
    for (platform, entry) in os {
        let archs = entry["platform"].as_array().expect("platform: a list");
        assert!(!archs.is_empty(), "{platform}: no architecture");
        assert!(archs.iter().all(|a| a == "x64" || a == "arm64"), "{platform}: {archs:?}");
    }
}

/// A box of a help patcher.
struct HelpBox {
    id: String,
    class: String,
    text: String,
    inlets: usize,
    outlets: usize,
}

/// One patcher (the help's root, or a tab): its boxes and lines.
struct Patcher {
    boxes: BTreeMap<String, HelpBox>,
    lines: Vec<(String, usize, String, usize)>,
}

/// The help patcher of `class` and every patcher inside it.
fn patchers(class: &str) -> Vec<Patcher> {
    fn walk(p: &Value, out: &mut Vec<Patcher>) {
        let mut boxes = BTreeMap::new();
        for b in p["boxes"].as_array().expect("boxes: a list") {
            let b = &b["box"];
            let count = |key: &str| b[key].as_u64().unwrap_or_else(|| panic!("{b}: no {key}")) as usize;
            let id = text(&b["id"]).to_owned();
            let outlets = count("numoutlets");
            let types = b["outlettype"].as_array().map_or(0, Vec::len);
            assert_eq!(types, outlets, "{id}: an outlet type per outlet");
            if b["patcher"].is_object() {
                assert_eq!(b["patcher"]["showontab"], 1, "{id}: a subpatcher here is a tab");
                walk(&b["patcher"], out);
            }
            let class = text(&b["maxclass"]).to_owned();
            boxes.insert(
                id.clone(),
                HelpBox { id, class, text: text(&b["text"]).to_owned(), inlets: count("numinlets"), outlets },
            );
        }
        let mut lines = Vec::new();
        for l in p["lines"].as_array().expect("lines: a list") {
            let end = |key: &str| {
                let e = &l["patchline"][key];
                (text(&e[0]).to_owned(), e[1].as_u64().unwrap_or_else(|| panic!("{l}: {key}")) as usize)
            };
            let ((from, outlet), (to, inlet)) = (end("source"), end("destination"));
            let source = boxes.get(&from).unwrap_or_else(|| panic!("a line from {from}, which is not here"));
            let dest = boxes.get(&to).unwrap_or_else(|| panic!("a line to {to}, which is not here"));
            assert!(outlet < source.outlets, "{from} ({}) has no outlet {outlet}", source.text);
            assert!(inlet < dest.inlets, "{to} ({}) has no inlet {inlet}", dest.text);
            lines.push((from, outlet, to, inlet));
        }
        out.push(Patcher { boxes, lines });
    }
    let help = json(&package().join(format!("help/{class}.maxhelp")));
    let mut out = Vec::new();
    walk(&help["patcher"], &mut out);
    out
}

fn first_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or("")
}

#[test]
fn help_boxes_are_our_classes_or_standard_max_objects() {
    for class in CLASSES {
        let mut ours = 0;
        for p in patchers(class) {
            for b in p.boxes.values() {
                if b.class == "newobj" {
                    let name = first_word(&b.text);
                    assert!(
                        CLASSES.contains(&name) || STANDARD_OBJECTS.contains(&name),
                        "{class} help, {}: [{}] is neither our class nor a standard object we list",
                        b.id,
                        b.text
                    );
                    if CLASSES.contains(&name) {
                        ours += 1;
                        for outlet in 0..b.outlets {
                            assert!(
                                p.lines.iter().any(|l| l.0 == b.id && l.1 == outlet),
                                "{class} help: outlet {outlet} of [{}] leads nowhere (a [print] shows it)",
                                b.text
                            );
                        }
                    }
                } else {
                    assert!(
                        STANDARD_BOXES.contains(&b.class.as_str()),
                        "{class} help, {}: box class {}",
                        b.id,
                        b.class
                    );
                }
            }
        }
        assert!(ours > 0, "{class} help: no [{class}]");
    }
}

/// An atom as Max reads a word of a box: an integer literal is an int, a
/// number with a point or an exponent a float, anything else a symbol (`\,`
/// is the symbol `,`).
fn atom(word: &str) -> Atom<'_> {
    if let Ok(i) = word.parse::<i64>() {
        return Atom::Int(i);
    }
    let numeric =
        word.chars().any(|c| c.is_ascii_digit()) && word.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
    match word.parse::<f64>() {
        Ok(f) if numeric => Atom::Float(f),
        _ => Atom::Symbol(Cow::Borrowed(word.strip_prefix('\\').unwrap_or(word))),
    }
}

/// A message from atoms as Max sends it: a number first is an int, a float
/// or a list; a symbol first is the selector.
fn message<'a>(atoms: &[Atom<'a>]) -> Message<'a> {
    match atoms {
        [] => Message::Bang,
        [Atom::Symbol(s), rest @ ..] => Message::from_selector(s.clone(), rest.to_vec()),
        [Atom::Int(i)] => Message::Int(*i),
        [Atom::Float(f)] => Message::Float(*f),
        _ => Message::List(atoms.to_vec().into()),
    }
}

/// The messages a message box sends: its words split at unescaped commas.
/// A semicolon (messages to receivers) is refused: they do not reach the
/// object the box is connected to.
fn box_messages(text: &str) -> Vec<Vec<Atom<'_>>> {
    let mut out = vec![Vec::new()];
    for word in text.split_whitespace() {
        assert!(word.starts_with('\\') || !word.contains([';', '$']), "[{text}]: ; and $ are not for our objects");
        let (body, comma) = match word.strip_suffix(',') {
            Some(body) if !word.ends_with("\\,") => (body, true),
            _ => (word, false),
        };
        if !body.is_empty() {
            out.last_mut().expect("a message").push(atom(body));
        }
        if comma {
            out.push(Vec::new());
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// What a class-mode script's class declares.
#[derive(Default)]
struct Class {
    inlets: usize,
    outlets: usize,
    /// `(inlet, selector)` of its `in_N_SELECTOR` methods.
    methods: BTreeSet<(usize, String)>,
}

impl Class {
    fn takes(&self, inlet: usize, selector: &str) -> bool {
        self.methods.contains(&(inlet, selector.to_owned())) || self.methods.contains(&(inlet, "anything".to_owned()))
    }
}

/// What a `[pyrus ...]` box's target makes of it.
enum Mode {
    /// No target, or a module: only the object's own words.
    Namespace,
    /// Every other message calls the function.
    Function,
    Class(Class),
}

fn script(module: &str) -> PathBuf {
    package().join("scripts").join(format!("{module}.py"))
}

/// The class `name` in `source`, read as text: its `inlets = N`,
/// `outlets = N` (default 1, as `pyrus.Object` says) and `in_N_*` methods
/// (defined, or assigned from another).
fn class_in(source: &str, name: &str) -> Option<Class> {
    let mut lines = source.lines().skip_while(|l| !l.starts_with(&format!("class {name}(")));
    lines.next()?;
    let mut class = Class { inlets: 1, outlets: 1, ..Class::default() };
    for line in lines.take_while(|l| l.is_empty() || l.starts_with(' ')) {
        let line = line.trim();
        for (key, count) in [("inlets = ", &mut class.inlets), ("outlets = ", &mut class.outlets)] {
            if let Some(n) = line.strip_prefix(key) {
                *count = n.trim().parse().unwrap_or_else(|_| panic!("{name}: {line}"));
            }
        }
        let name = line.strip_prefix("def ").unwrap_or(line);
        if let Some(rest) = name.strip_prefix("in_") {
            let (inlet, rest) = rest.split_once('_').unwrap_or(("", ""));
            let selector: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if let (Ok(inlet), false) = (inlet.parse(), selector.is_empty()) {
                class.methods.insert((inlet, selector));
            }
        }
    }
    Some(class)
}

/// The mode of `[pyrus TARGET ...]`; a target's module must be one of
/// Python's we list or a script in the package, and a script's name one it
/// defines.
fn mode(target: Option<&str>) -> Mode {
    let Some(target) = target else { return Mode::Namespace };
    let (module, name) = match target.split_once('.') {
        Some((module, name)) => (module, Some(name)),
        None => (target, None),
    };
    if STDLIB.contains(&module) {
        return if name.is_some() { Mode::Function } else { Mode::Namespace };
    }
    let path = script(module);
    let source = fs::read_to_string(&path).unwrap_or_else(|e| panic!("[pyrus {target}]: {}: {e}", path.display()));
    let Some(name) = name else { return Mode::Namespace };
    if let Some(class) = class_in(&source, name) {
        return Mode::Class(class);
    }
    assert!(source.contains(&format!("\ndef {name}(")), "[pyrus {target}]: {} defines no {name}", path.display());
    Mode::Function
}

/// Whether a module the help names (`import`, `reload`) is one there is.
fn module_exists(module: &str) -> bool {
    STDLIB.contains(&module) || script(module).is_file()
}

/// What the help shows of a class: its messages (as the reference page
/// names them: `int`, `list`, `anything`...) and its attributes.
#[derive(Default)]
struct Shown {
    methods: BTreeSet<String>,
    attributes: BTreeSet<String>,
}

/// Checks option `name` with `value` as the engine would set it, and
/// records it as shown.
fn option<O: OptionSet + Default>(name: &str, value: &[Atom<'_>], shown: &mut Shown) -> Result<(), String> {
    O::default().set(name, value)?;
    shown.attributes.insert(name.to_owned());
    Ok(())
}

fn option_names(names: &[OptionName]) -> BTreeSet<String> {
    names.iter().map(|o| o.name.to_owned()).collect()
}

/// Checks that `[pyrus]` in `mode` takes `m` at `inlet`, and records what it
/// showed.
fn pyrus_takes(mode: &Mode, inlet: usize, m: &Message<'_>, shown: &mut Shown) -> Result<(), String> {
    let selector = m.selector();
    let args = m.args();
    let class_takes = |sel: &str| matches!(mode, Mode::Class(c) if c.takes(inlet, sel));
    if inlet == 0 && !class_takes(selector) {
        if option_names(Options::NAMES).contains(selector) {
            return option::<Options>(selector, &args, shown);
        }
        if RESERVED.contains(&selector) {
            shown.methods.insert(selector.to_owned());
            return Ok(());
        }
        if selector == OWN {
            return match args.first() {
                Some(Atom::Symbol(word)) if RESERVED.contains(&word.as_ref()) => {
                    shown.methods.insert(OWN.to_owned());
                    Ok(())
                }
                _ => Err(format!("{OWN} takes one of its reserved words ({})", RESERVED.join(", "))),
            };
        }
    }
    let standard = ["bang", "int", "float", "list"].contains(&selector);
    let method = if standard { selector } else { "anything" };
    // A function takes any selector as its first argument, so a misspelt
    // own word would pass unseen: refuse one a letter or two from one.
    let own = RESERVED.iter().chain([&OWN]).chain(Options::NAMES.iter().map(|o| &o.name));
    if let (false, Some(word)) = (standard, own.into_iter().find(|w| distance(w, selector) <= 2)) {
        if !class_takes(selector) {
            return Err(format!("'{selector}' looks like a misspelt '{word}'"));
        }
    }
    match mode {
        Mode::Class(c) if inlet >= c.inlets => Err(format!("the class has {} inlets", c.inlets)),
        Mode::Class(c) if !c.takes(inlet, selector) => Err(format!("the class defines no in_{inlet}_{selector}")),
        Mode::Namespace => Err("without a function or class target the object takes only its own words".into()),
        Mode::Function if inlet > 0 => Err("a function-mode object has one inlet".into()),
        _ => {
            shown.methods.insert(method.to_owned());
            Ok(())
        }
    }
}

/// The edit distance of `a` and `b` (insertions, deletions, substitutions).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Checks that `[pyrus.usb]` takes `m`, as its engine object would, and
/// records what it showed.
fn usb_takes(m: &Message<'_>, shown: &mut Shown) -> Result<(), String> {
    let selector = m.selector();
    let args = m.args();
    if option_names(UsbOptions::NAMES).contains(selector) {
        return option::<UsbOptions>(selector, &args, shown);
    }
    if USB_COMMANDS.contains(&selector) {
        match DeviceSpec::from_message(m) {
            Some(spec) => drop(spec?),
            None if args.is_empty() => {}
            None => return Err(format!("{selector} takes no arguments")),
        }
    } else {
        Midi::from_message(m)?;
    }
    shown.methods.insert(selector.to_owned());
    Ok(())
}

/// What a `newobj` box of ours says: its target (the first word after the
/// class that is no attribute) and its `@name values...` attributes.
fn creation(text: &str) -> (Option<&str>, Vec<(&str, Vec<Atom<'_>>)>) {
    let words: Vec<&str> = text.split_whitespace().skip(1).collect();
    let first_attr = words.iter().position(|w| w.starts_with('@')).unwrap_or(words.len());
    let target = words[..first_attr].first().copied().filter(|w| matches!(atom(w), Atom::Symbol(_)));
    let mut attrs: Vec<(&str, Vec<Atom<'_>>)> = Vec::new();
    for w in &words[first_attr..] {
        match w.strip_prefix('@') {
            Some(name) => attrs.push((name, Vec::new())),
            None => attrs.last_mut().expect("after an @name").1.push(atom(w)),
        }
    }
    (target, attrs)
}

/// Every message and attribute the help of `class` shows, each checked
/// against what the object takes; panics naming the box that does not fit.
fn shown(class: &str) -> Shown {
    let mut shown = Shown::default();
    for p in patchers(class) {
        for b in p.boxes.values().filter(|b| b.class == "newobj" && first_word(&b.text) == class) {
            let (target, attrs) = creation(&b.text);
            let mode = if class == "pyrus" { mode(target) } else { Mode::Namespace };
            if let Mode::Class(c) = &mode {
                assert_eq!(
                    (b.inlets, b.outlets),
                    (c.inlets, c.outlets + 1),
                    "[{}]: the class's inlets and outlets",
                    b.text
                );
            } else {
                assert_eq!((b.inlets, b.outlets), (1, 2), "[{}]: an inlet, a data and a status outlet", b.text);
            }
            for (name, value) in &attrs {
                let ok = match class {
                    "pyrus" => option::<Options>(name, value, &mut shown),
                    _ => option::<UsbOptions>(name, value, &mut shown),
                };
                ok.unwrap_or_else(|e| panic!("[{}]: @{name}: {e}", b.text));
            }
            for (from, _, _, inlet) in p.lines.iter().filter(|l| l.2 == b.id) {
                let source = &p.boxes[from];
                let messages: Vec<Vec<Atom<'_>>> = match source.class.as_str() {
                    "message" => box_messages(&source.text),
                    "number" | "toggle" => vec![vec![Atom::Int(0)]],
                    "flonum" => vec![vec![Atom::Float(0.5)]],
                    "button" => vec![vec![Atom::Symbol("bang".into())]],
                    other => panic!("[{}] gets messages from a {other}: not a box the help clicks", b.text),
                };
                for atoms in messages {
                    let m = message(&atoms);
                    let ok = match class {
                        "pyrus" => pyrus_takes(&mode, *inlet, &m, &mut shown),
                        _ => usb_takes(&m, &mut shown),
                    };
                    ok.unwrap_or_else(|e| panic!("[{}] does not take '{}' at inlet {inlet}: {e}", b.text, source.text));
                }
            }
        }
    }
    shown
}

#[test]
fn every_message_the_help_shows_is_one_the_object_takes() {
    let pyrus = shown("pyrus");
    // Every word of its own that is a message (the options are attributes).
    for word in RESERVED.iter().chain([&OWN]) {
        let attribute = option_names(Options::NAMES).contains(*word);
        assert!(attribute || pyrus.methods.contains(*word), "the pyrus help shows no '{word}'");
    }
    for method in ["bang", "int", "float", "list", "anything"] {
        assert!(pyrus.methods.contains(method), "the pyrus help shows no {method}");
    }
    assert_eq!(pyrus.attributes, option_names(Options::NAMES), "the pyrus help shows every attribute");
    let usb = shown("pyrus.usb");
    for word in USB_COMMANDS {
        assert!(usb.methods.contains(*word), "the pyrus.usb help shows no '{word}'");
    }
    assert_eq!(usb.attributes, option_names(UsbOptions::NAMES), "the pyrus.usb help shows every attribute");
}

#[test]
fn the_reference_pages_list_what_the_help_shows() {
    for class in CLASSES {
        let path = package().join(format!("docs/refpages/pyrus/{class}.maxref.xml"));
        let xml = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let root = doc.root_element();
        assert_eq!((root.tag_name().name(), root.attribute("name")), ("c74object", Some(*class)));
        let named = |list: &str, item: &str| -> BTreeSet<String> {
            root.children()
                .filter(|n| n.has_tag_name(list))
                .flat_map(|l| l.children().filter(|n| n.has_tag_name(item)))
                .map(|n| n.attribute("name").unwrap_or_else(|| panic!("{class}: a {item} without a name")).to_owned())
                .collect()
        };
        for list in ["digest", "description", "inletlist", "outletlist"] {
            assert!(root.children().any(|n| n.has_tag_name(list)), "{class} refpage: no {list}");
        }
        let shown = shown(class);
        // `(mouse)` and the like: what a user does, not a message.
        let methods: BTreeSet<String> =
            named("methodlist", "method").into_iter().filter(|m| !m.starts_with('(')).collect();
        assert_eq!(methods, shown.methods, "{class}: the refpage's messages against the help's");
        assert_eq!(named("attributelist", "attribute"), shown.attributes, "{class}: the refpage's attributes");
    }
}

#[test]
fn every_script_the_help_opens_is_in_the_package() {
    let help = package().join("help");
    let mut opened = 0;
    for class in CLASSES {
        for p in patchers(class) {
            for b in p.boxes.values().filter(|b| b.class == "newobj" && first_word(&b.text) == "pyrus") {
                if let (Some(target), _) = creation(&b.text) {
                    mode(Some(target)); // panics unless the module and its name are there
                    opened += 1;
                }
            }
            for b in p.boxes.values().filter(|b| b.class == "message") {
                for m in box_messages(&b.text) {
                    let words: Vec<String> = m.iter().map(ToString::to_string).collect();
                    match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                        ["load", file] => {
                            let path = help.join(file);
                            let scripts = package().join("scripts").canonicalize().expect("scripts/");
                            let found =
                                path.canonicalize().unwrap_or_else(|e| panic!("[{}]: {}: {e}", b.text, path.display()));
                            assert!(
                                found.starts_with(&scripts),
                                "[{}]: {} is not in scripts/",
                                b.text,
                                found.display()
                            );
                            opened += 1;
                        }
                        ["import" | "reload", modules @ ..] => {
                            for module in modules {
                                assert!(
                                    module_exists(module),
                                    "[{}]: no module {module} (scripts/{module}.py)",
                                    b.text
                                );
                            }
                            opened += modules.len();
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(opened > 0, "the help opens no script");
}

#[test]
fn the_zip_holds_the_package_folder_and_the_user_guide() {
    // target/package/max/pyrus-max-X.Y.Z.zip (build/deken.sh): the folder
    // pyrus/ as it is laid out, file for file.
    let dir = package();
    let zip = dir.parent().unwrap().join(format!("pyrus-max-{}.zip", env!("CARGO_PKG_VERSION")));
    assert!(zip.is_file(), "{}: no Max zip (run deken_packages, as build/package does)", zip.display());
    let out =
        std::process::Command::new("unzip").arg("-Z1").arg(&zip).output().expect("unzip runs (apt-get install unzip)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let zipped: BTreeSet<String> =
        String::from_utf8(out.stdout).unwrap().lines().filter(|e| !e.ends_with('/')).map(str::to_owned).collect();
    let mut all = Vec::new();
    files(&dir, &mut all);
    let laid_out: BTreeSet<String> =
        all.iter().map(|p| format!("pyrus/{}", p.strip_prefix(&dir).unwrap().to_string_lossy())).collect();
    assert_eq!(zipped, laid_out, "the zip is the package folder");
    let readme = fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(
        readme.contains("\n# User guide\n") && !readme.contains("# Developer guide"),
        "README.md is the user guide"
    );
    assert!(zipped.iter().all(|e| !e.contains("bench")), "nothing of the build: {zipped:?}");
}
