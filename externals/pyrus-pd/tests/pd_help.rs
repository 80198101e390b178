//! The shipped patches: the help patch opens cleanly, the demo computes.

mod support;
use std::time::Duration;
use support::*;

#[test]
fn help_patch_opens_and_every_object_creates() {
    let dir = test_dir("help");
    let mut p = Patch::new();
    let pkg = package_dir().to_string_lossy().into_owned();
    let open = format!("open pyrus-help.pd {pkg}");
    p.script(&[("pd", open.as_str())]);
    let t = run(&dir, "help", &p);
    assert!(!t.contains("couldn't create"), "{}", t.text());
    assert!(t.errors().is_empty(), "the help patch opens without errors:\n{}", t.text());
}

#[test]
fn demo_patch_computes_and_reports_its_deliberate_error() {
    let t = run_pd(&package_dir().join("pyrus-demo.pd"), &["-send", "pd quit"], Duration::from_secs(60));
    assert_eq!(t.status, Some(0), "{}", t.text());
    assert!(t.printed("demo")[0].starts_with("symbol hello\\ from\\ Python\\ 3."), "{}", t.text());
    assert_eq!(t.printed("demo-spread"), ["0 1 2 3 4"]);
    assert_eq!(t.printed("demo-mean"), ["2.5"]);
    assert_eq!(t.printed("demo-chord"), ["60", "64", "67", "set 60 64 67"]);
    assert_eq!(t.printed("demo-chord-send"), ["list done 60"]);
    let numpy = t.printed("demo-numpy");
    if numpy.is_empty() {
        println!("skipped the numpy line: numpy is not installed (apt-get install python3-numpy)");
    } else {
        assert_eq!(numpy, ["0 0.25 0.5 0.75 1"]);
    }
    assert_eq!(t.printed("demo-fail-status"), ["error ZeroDivisionError division by zero"]);
    assert!(t.errors().iter().any(|l| l.contains("examples.py\", line")), "{}", t.text());
}
