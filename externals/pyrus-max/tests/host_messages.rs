//! What the Max host itself decides about messages, in the fake-max
//! kernel: Max counts a message's atoms in a short, so a longer one is cut
//! to its first 32767 and the Max window says so.

mod support;
use support::*;

#[test]
fn a_message_longer_than_max_takes_is_cut_and_said() {
    let mut m = Max::start("longmessage");
    m.new_object("py", "pyrus");
    m.send("py", 0, "eval list(range(40000))");
    let out = m.expect_out("py", 0);
    let atoms: Vec<&str> = out.message.split(' ').collect();
    assert_eq!(atoms.len(), 1 + 32767, "list and the first 32767");
    assert_eq!((atoms[1], atoms[32767]), ("0", "32766"));
    assert!(
        m.errors().iter().any(|e| e.contains("a message of 40000 atoms is more than Max takes")),
        "{}",
        m.text().chars().take(2000).collect::<String>()
    );
    // Within the limit, nothing is said.
    m.send("py", 0, "eval list(range(32767))");
    assert_eq!(m.expect_out("py", 0).message.split(' ').count(), 1 + 32767);
    assert_eq!(m.errors().len(), 1);
    m.quit();
}
