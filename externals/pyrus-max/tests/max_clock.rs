//! `pyrus.after` and `pyrus.every` in the fake-max kernel: Max clocks in
//! the scheduler's logical time (during a clock's call, the time it was set
//! for), so the measured times are exact whatever the machine's speed.
//! `pyrus.receive` is not bound in Max yet: refused with an error.

mod support;
use std::time::Duration;
use support::*;

const TIMERS: &str = "\
import pyrus

class T(pyrus.Object):
    def in_0_bang(self):
        t0 = pyrus.time()
        self.n = 0
        def tick():
            self.n += 1
            if self.n == 4:
                self.h.cancel()
            return pyrus.Message('tick', round(pyrus.time() - t0))
        self.h = pyrus.every(25, tick)
        pyrus.after(110, lambda: pyrus.Message('after', round(pyrus.time() - t0)))
        pyrus.after(300, lambda: pyrus.Message('end'))
    def in_0_arm(self):
        pyrus.every(10, lambda: pyrus.Message('fired'))
        pyrus.after(50, lambda: pyrus.Message('fired'))
    def in_0_receive(self):
        pyrus.receive('bus', print)
";

#[test]
fn after_and_every_run_in_logical_time_and_cancel_from_the_callback() {
    let mut m = with_scripts("clocktiming", &[("timers.py", TIMERS)]);
    m.new_object("t", "pyrus timers.T");
    // On the scheduler thread: its logical time stands still in the call.
    m.sched("t", 0, "bang");
    m.until("end", |m| m.outlet("t", 0).last().is_some_and(|s| s == "end"));
    assert_eq!(
        m.outlet("t", 0),
        ["tick 25", "tick 50", "tick 75", "tick 100", "after 110", "end"],
        "every(25) four times (the 4th cancels it), after(110) once: {}",
        m.text()
    );
    assert!(m.outlet("t", 1).is_empty(), "{}", m.text());
    m.quit_within(Duration::from_secs(10));
}

#[test]
fn a_scheduler_late_by_a_stall_runs_each_clock_at_its_own_time() {
    // build/max-windows.sh skips it, saying why: under wine the kernel runs
    // in wine's processes, which `stall` cannot stop.
    assert!(!windows(), "stopping the kernel's process is for Linux only");
    let mut m = with_scripts("clockstall", &[("timers.py", TIMERS)]);
    m.new_object("t", "pyrus timers.T");
    m.sched("t", 0, "bang");
    m.until("the first tick", |m| !m.outlet("t", 0).is_empty());
    // A stall of the whole kernel past the next three ticks and the after:
    // the pass after it runs them in logical time, each at its own.
    m.stall(Duration::from_millis(150));
    m.until("end", |m| m.outlet("t", 0).last().is_some_and(|s| s == "end"));
    assert_eq!(
        m.outlet("t", 0),
        ["tick 25", "tick 50", "tick 75", "tick 100", "after 110", "end"],
        "every(25) at 25, 50, 75, 100 and after(110) after them, however late the pass: {}",
        m.text()
    );
    m.quit_within(Duration::from_secs(10));
}

#[test]
fn freeing_an_object_with_clocks_pending_frees_them_and_nothing_fires() {
    let mut m = with_scripts("clockfree", &[("timers.py", TIMERS)]);
    m.new_object("victim", "pyrus timers.T");
    m.new_object("other", "pyrus timers.T");
    m.sched("victim", 0, "arm");
    // Once its every(10) has fired it is armed again, so a clock is pending
    // at the free however late the free comes (it may fire meanwhile).
    m.until("the victim's first tick", |m| !m.outlet("victim", 0).is_empty());
    m.cmd("free victim");
    // A barrier on main: from its line on, the free is done.
    m.sync("other");
    let freed = m.lines.iter().rposition(|l| l.starts_with("assist other in 0")).unwrap();
    // Long after the victim's clocks were due (logical time).
    m.sched("other", 0, "bang");
    m.until("end", |m| m.outlet("other", 0).last().is_some_and(|s| s == "end"));
    let after: Vec<&String> = m.lines[freed..].iter().filter(|l| l.starts_with("out victim ")).collect();
    assert!(after.is_empty(), "nothing fires after free: {after:?}\n{}", m.text());
    // quit_within checks there was no violation (a clock of a freed object firing).
    m.quit_within(Duration::from_secs(10));
}

#[test]
fn receive_is_refused_in_max_with_a_clear_error() {
    let mut m = with_scripts("clockreceive", &[("timers.py", TIMERS)]);
    m.new_object("r", "pyrus timers.T");
    m.send("r", 0, "receive");
    m.until("the error", |m| m.errors().iter().any(|e| e.contains("Max has no receivers for scripts")));
    m.quit_within(Duration::from_secs(10));
}
