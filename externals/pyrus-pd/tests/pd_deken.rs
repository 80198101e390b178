//! The Linux deken package as a user gets it (`build/package` writes it to
//! `target/package/deken/`): its digest and objects list, what it holds, and
//! the package unpacked into a clean folder that is Pd's only externals
//! folder, where every help patch opens and both objects are found whichever
//! comes first, with or without `[declare]`.

mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `target/package/deken/NAME` (beside `target/package/pd/pyrus`).
fn deken_file(name: &str) -> PathBuf {
    let dir = package_dir().join("../../deken");
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing: run build/package (build/test does) first", path.display());
    path
}

/// The .dek of the package under test: `target/package/<build>/pyrus`'s
/// build named as deken does (`pd`: 32-bit floats, `pd64`: Pd64), so the
/// Pd64 pass of the suite tests the Pd64 package in Pd64.
fn linux_dek() -> PathBuf {
    let package = package_dir().canonicalize().unwrap();
    let build = package.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    let size = if build == "pd64" { 64 } else { 32 };
    deken_file(&format!("pyrus[v{VERSION}](Linux-amd64-{size}).dek"))
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?} runs (apt-get install zip unzip coreutils): {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The names of a zip's entries.
fn entries(zip: &Path) -> Vec<String> {
    output(Command::new("unzip").arg("-Z1").arg(zip)).lines().map(str::to_owned).collect()
}

/// The package unpacked into a fresh folder `name`/`ext` as a user would:
/// the folder that holds `pyrus/`.
fn unpack(name: &str) -> PathBuf {
    let ext = test_dir(name).join("ext");
    output(Command::new("unzip").arg("-q").arg(linux_dek()).arg("-d").arg(&ext));
    ext
}

/// Pd with no search path but the `-path`s in `flags` (`-nostdpath`: not
/// even the standard folders, so nothing installed on this machine helps)
/// and with `env`, on `patch`, quitting once it is loaded.
fn open(patch: &Path, flags: &[&str], env: &[(&str, &Path)]) -> Transcript {
    let mut pd = Command::new(pd_program());
    headless_bare(&mut pd, patch.parent().unwrap());
    pd.envs(env.iter().map(|(k, v)| (k, v.as_os_str())));
    let flags = [flags, &["-send", "pd quit"]].concat();
    run_command(pd, patch, &flags, Duration::from_secs(60))
}

#[test]
fn the_digest_and_the_objects_list_are_deken_s() {
    for dek in [linux_dek(), deken_file(&format!("pyrus[v{VERSION}](Sources).dek"))] {
        let digest = output(Command::new("sha256sum").arg(&dek));
        let digest = digest.split_whitespace().next().unwrap();
        let file = std::fs::read_to_string(format!("{}.sha256", dek.display())).unwrap();
        assert_eq!(file.trim(), digest, "{}.sha256", dek.display());
        let objects = std::fs::read_to_string(format!("{}.txt", dek.display())).unwrap();
        let rows: Vec<Vec<&str>> = objects.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(rows.iter().map(|r| r[0]).collect::<Vec<_>>(), ["pyrus", "pyrus.usb", "pyrus~"], "{objects}");
        for row in &rows {
            assert!(row.len() == 2 && row[1].len() > 20, "name<TAB>description: {row:?}");
        }
        assert!(entries(&dek).iter().all(|e| e.starts_with("pyrus/")), "one top folder pyrus/");
    }
    let sources = entries(&deken_file(&format!("pyrus[v{VERSION}](Sources).dek")));
    for file in ["pyrus/Cargo.toml", "pyrus/build/deken.sh", "pyrus/externals/pyrus-pd/src/lib.rs"] {
        assert!(sources.iter().any(|e| e == file), "the Sources package has {file}");
    }
}

#[test]
fn the_package_holds_what_a_user_needs_and_nothing_of_the_build() {
    let names = entries(&linux_dek());
    for file in [
        "pyrus/pyrus.pd_linux",
        "pyrus/pyrus.usb.pd_linux",
        "pyrus/pyrus-help.pd",
        "pyrus/pyrus.usb-help.pd",
        "pyrus/pyrus~.pd_linux",
        "pyrus/pyrus~-help.pd",
        "pyrus/scripts/tilde.py",
        "pyrus/pyrus-demo.pd",
        "pyrus/pyrus-meta.pd",
        "pyrus/scripts/pyrus/__init__.py",
        "pyrus/scripts/pyrus/usb.py",
        "pyrus/scripts/examples.py",
        "pyrus/README.md",
        "pyrus/LICENSE",
        "pyrus/CHANGELOG.md",
    ] {
        assert!(names.iter().any(|e| e == file), "{file} is in the package: {names:?}");
    }
    // The real external (or the loader's choice of cores) beside the loader.
    assert!(names.iter().any(|e| e.starts_with("pyrus/libpyrus_pd") && e.ends_with(".so")), "a core: {names:?}");
    for e in &names {
        let build = e.contains("bench") || e.contains("__pycache__") || e.ends_with(".rs") || e.contains("Cargo");
        assert!(!build, "{e} is part of the build, not of the package");
    }
    let ext = unpack("contents");
    let readme = std::fs::read_to_string(ext.join("pyrus/README.md")).unwrap();
    assert!(readme.contains("\n# User guide\n"), "README.md is the user guide");
    assert!(!readme.contains("# Developer guide"), "and nothing but the user guide");
    let meta = std::fs::read_to_string(ext.join("pyrus/pyrus-meta.pd")).unwrap();
    assert!(meta.contains(&format!("VERSION {VERSION}")), "{meta}");
}

#[test]
fn every_help_patch_opens_in_a_pd_whose_only_externals_folder_holds_the_package() {
    let ext = unpack("help");
    let path = ext.to_string_lossy().into_owned();
    let helps = help_patches(&ext.join("pyrus"));
    for help in &helps {
        let name = help.file_name().unwrap().to_string_lossy().into_owned();
        // Each help patch meets its own object first: opening it is the
        // first time Pd looks for that name.
        if let Some(object) = name.strip_suffix("-help.pd") {
            let text = std::fs::read_to_string(help).unwrap();
            let first = text.lines().find(|l| l.starts_with("#X obj ")).unwrap();
            let words: Vec<&str> = first.trim_end_matches(';').split(' ').collect();
            assert_eq!(words.get(4), Some(&object), "{name}'s first object: {first}");
        }
        let t = open(help, &["-nostdpath", "-path", &path], &[]);
        assert_eq!(t.status, Some(0), "{name}: {}", t.text());
        assert!(t.contains(&format!("pyrus {VERSION} for Pd")), "{name} loads pyrus: {}", t.text());
        assert!(!t.contains("couldn't create"), "{name}: {}", t.text());
        if name != "pyrus-demo.pd" {
            // The demo reports a deliberate error; the help patches none.
            assert!(t.errors().is_empty(), "{name} opens without errors:\n{}", t.text());
        }
    }
}

/// A patch (outside the package) whose first object is `first` and whose
/// second is `second`, with the `#X declare` line `declare` (Pd acts on
/// that line, not on the box), where the `[pyrus]` of the two evaluates
/// `1 + 1` into `[print sum]` on load.
fn first_object_patch(dir: &Path, declare: &str, first: &str, second: &str) -> PathBuf {
    let pyrus = if first == "pyrus" { 0 } else { 1 };
    let mut text = String::from("#N canvas 0 0 400 300 12;\n");
    if !declare.is_empty() {
        text.push_str(&format!("#X declare {declare};\n"));
    }
    text.push_str(&format!(
        "#X obj 10 10 {first};\n#X obj 10 40 {second};\n#X obj 10 70 loadbang;\n#X msg 10 100 eval 1 + 1;\n\
         #X obj 10 130 print sum;\n#X connect 2 0 3 0;\n#X connect 3 0 {pyrus} 0;\n#X connect {pyrus} 0 4 0;\n"
    ));
    if !declare.is_empty() {
        // The box the user sees, after the others so the indices stay.
        text.push_str(&format!("#X obj 200 10 declare {declare};\n"));
    }
    let path = dir.join("patch.pd");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn pyrus_and_pyrus_usb_are_found_whichever_comes_first() {
    let home = test_dir("first-home");
    // Pd's standard folder for a user's externals on Linux, as deken fills it.
    let standard = home.join(".local/lib/pd/extra");
    std::fs::create_dir_all(&standard).unwrap();
    let ext = unpack("first");
    output(Command::new("cp").arg("-r").arg(ext.join("pyrus")).arg(&standard));
    let (parent, folder) = (ext.to_string_lossy().into_owned(), ext.join("pyrus").to_string_lossy().into_owned());
    let only = |path: &str| vec!["-nostdpath".to_owned(), "-path".to_owned(), path.to_owned()];
    let cases: [(&str, &str, &str, Vec<String>, bool); 7] = [
        // The folder that holds pyrus/ on the path: [pyrus] is pyrus/pyrus.pd_linux.
        ("[pyrus] first", "", "pyrus", only(&parent), false),
        // The pyrus folder itself on the path (deken's "add to search
        // path"): [pyrus.usb] is pyrus.usb.pd_linux there.
        ("[pyrus.usb] first, pyrus/ on the path", "", "pyrus.usb", only(&folder), false),
        ("[pyrus.usb] first, [declare -lib pyrus]", "-lib pyrus", "pyrus.usb", only(&parent), false),
        ("[pyrus/pyrus.usb] first", "", "pyrus/pyrus.usb", only(&parent), false),
        // The standard folder: Pd's own search path, no -path at all.
        ("[pyrus.usb] first, [declare -path pyrus], standard path", "-path pyrus", "pyrus.usb", vec![], true),
        ("[pyrus.usb] first, [declare -lib pyrus], standard path", "-lib pyrus", "pyrus.usb", vec![], true),
        ("[pyrus] first, standard path", "", "pyrus", vec![], true),
    ];
    for (what, declare, first, flags, in_home) in cases {
        let dir = test_dir("first-patch");
        let second = if first == "pyrus" { "pyrus.usb" } else { "pyrus" };
        let patch = first_object_patch(&dir, declare, first, second);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let env: &[(&str, &Path)] = if in_home { &[("HOME", &home)] } else { &[] };
        let t = open(&patch, &flags, env);
        assert!(!t.contains("couldn't create"), "{what}: {}", t.text());
        assert_eq!(t.printed("sum"), ["2"], "{what}: {}", t.text());
        assert!(t.errors().is_empty(), "{what}: {}", t.text());
    }
}
