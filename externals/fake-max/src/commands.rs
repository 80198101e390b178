//! The protocol's commands, executed on the main thread in the order they
//! were read (`sched` forwards its message to the scheduler's queue).
//! Owns the table of IDs (main thread only).

use super::abi::{Atom, Atoms, Symbol, ASSIST_INLET, ASSIST_OUTLET, A_FLOAT, A_LONG};
use super::output::{failure, line};
use super::queues::{self, scheduler, SchedJob};
use super::registry::{reg, FnAddr};
use super::sync::lock;
use super::words::{self, Word};
use super::{api, dispatch, library, symbols};
use std::collections::HashMap;
use std::ffi::{c_char, c_long, c_void, CStr};
use std::time::{Duration, Instant};

type AssistFn = unsafe extern "C" fn(*mut c_void, *mut c_void, c_long, c_long, *mut c_char);
type ObjFn = unsafe extern "C" fn(*mut c_void);
type ExtMain = unsafe extern "C" fn(*mut c_void);

#[derive(Default)]
pub struct Kernel {
    ids: HashMap<String, usize>,
    order: Vec<String>,
    pub wait_until: Option<Instant>,
    pub quit: bool,
}

/// The message `SELECTOR ARGS` as Max sees a box's text: a number first
/// is `int`/`float` alone, `list` with more.
fn message(words: &[Word]) -> Option<(*mut Symbol, Vec<Atom>)> {
    let atoms: Vec<Atom> = words.iter().map(words::atom).collect();
    let first = atoms.first()?;
    Some(match (first.kind(), atoms.len()) {
        (A_LONG, 1) => (symbols::sym("int"), atoms),
        (A_FLOAT, 1) => (symbols::sym("float"), atoms),
        (A_LONG | A_FLOAT, _) => (symbols::sym("list"), atoms),
        _ => (first.as_sym().expect("a symbol"), atoms[1..].to_vec()),
    })
}

/// Delivers unless the object was freed meanwhile (a `sched` queued before
/// a `free`): then an error line.
pub fn deliver_checked(x: usize, id: &str, inlet: i64, sel: *mut Symbol, args: &[Atom]) {
    if queues::freed_object(x) {
        line("error", &format!("{id}: the object was freed before its message ran"));
        return;
    }
    if let Err(e) = dispatch::deliver(x, inlet, sel, args) {
        line("error", &e);
    }
}

impl Kernel {
    fn object(&self, id: &str) -> Option<usize> {
        let x = self.ids.get(id).copied();
        if x.is_none() {
            line("error", &format!("no object \"{id}\""));
        }
        x
    }

    pub fn execute(&mut self, text: &str) {
        let ws = match words::split(text) {
            Ok(ws) => ws,
            Err(e) => return line("error", &format!("fake-max: {e}")),
        };
        let Some(cmd) = ws.first() else { return };
        let rest = &ws[1..];
        let t = |i: usize| rest.get(i).map_or("", |w| w.text.as_str());
        match (cmd.text.as_str(), rest.len()) {
            (c, _) if c.starts_with('#') => {}
            ("load", 1) => load(t(0)),
            ("new", n) if n >= 2 => self.new_object(t(0), t(1), &rest[2..]),
            ("send" | "sched", n) if n >= 3 => {
                let Some(x) = self.object(t(0)) else { return };
                let Ok(inlet) = t(1).parse::<i64>() else {
                    return line("error", &format!("{}: bad inlet \"{}\"", cmd.text, t(1)));
                };
                let Some((sel, args)) = message(&rest[2..]) else { return };
                if cmd.text == "send" {
                    deliver_checked(x, t(0), inlet, sel, &args);
                } else {
                    queues::push_sched(SchedJob::Deliver {
                        x,
                        id: t(0).to_owned(),
                        inlet,
                        sel: sel as usize,
                        args: Atoms(args),
                    });
                }
            }
            ("overdrive", 1) => {
                lock(&scheduler().state).overdrive = t(0) != "0";
                scheduler().wake.notify_all();
            }
            ("wait", 1) => match t(0).parse::<f64>() {
                Ok(ms) if ms >= 0.0 => self.wait_until = Some(Instant::now() + Duration::from_secs_f64(ms / 1000.0)),
                _ => line("error", &format!("wait: bad time \"{}\"", t(0))),
            },
            ("assist", 3) => self.assist(t(0), t(1), t(2)),
            ("dblclick", 1) => {
                let Some(x) = self.object(t(0)) else { return };
                if let Some(f) = method(x, "dblclick") {
                    // SAFETY: a dblclick method takes the object (A_CANT).
                    unsafe { std::mem::transmute::<FnAddr, ObjFn>(f)(x as *mut c_void) };
                }
            }
            ("free", 1) => {
                let Some(x) = self.object(t(0)) else { return };
                self.ids.remove(t(0));
                self.order.retain(|i| i != t(0));
                api::free_pointer(x);
                super::msp::rebuild();
            }
            ("quit", 0) => self.quit = true,
            ("dsp" | "signal" | "capture", _) => super::msp::command(&cmd.text, rest, |id| self.object(id)),
            _ => line("error", &format!("fake-max: bad command: {text}")),
        }
    }

    fn new_object(&mut self, id: &str, class: &str, args: &[Word]) {
        if self.ids.contains_key(id) {
            return line("error", &format!("new: ID \"{id}\" is taken"));
        }
        let atoms: Vec<Atom> = args.iter().map(words::atom).collect();
        reg().creating = Some(id.to_owned());
        let made = api::create(class, &atoms);
        reg().creating = None;
        match made {
            Ok(x) => {
                if let Some(o) = reg().objects.get_mut(&x) {
                    o.id = Some(id.to_owned());
                }
                self.ids.insert(id.to_owned(), x);
                self.order.push(id.to_owned());
                super::msp::rebuild();
            }
            Err(e) => line("error", &e),
        }
    }

    fn assist(&self, id: &str, dir: &str, n: &str) {
        let Some(x) = self.object(id) else { return };
        let m = match dir {
            "in" => ASSIST_INLET,
            "out" => ASSIST_OUTLET,
            _ => return line("error", &format!("assist: \"{dir}\" is neither in nor out")),
        };
        let Ok(a) = n.parse::<c_long>() else { return line("error", &format!("assist: bad number \"{n}\"")) };
        let mut buf = [0 as c_char; 512];
        if let Some(f) = method(x, "assist") {
            // SAFETY: an assist method (A_CANT) has Max's assist prototype;
            // it writes at most 512 bytes.
            unsafe {
                std::mem::transmute::<FnAddr, AssistFn>(f)(
                    x as *mut c_void,
                    std::ptr::null_mut(),
                    m as c_long,
                    a,
                    buf.as_mut_ptr(),
                )
            };
        }
        buf[511] = 0;
        // SAFETY: NUL-terminated above.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
        let head = format!("{id} {dir} {a}");
        line("assist", &if s.is_empty() { head } else { format!("{head} {s}") });
    }

    /// Drops the scheduler's pending `sched` commands and `schedule` calls
    /// (Max drops pending events at quit), frees every object (in creation
    /// order), then runs the quit tasks.
    pub fn quit(&mut self) {
        super::msp::quit();
        {
            let mut s = lock(&scheduler().state);
            s.jobs.clear();
            s.timed.clear();
        }
        for id in std::mem::take(&mut self.order) {
            if let Some(x) = self.ids.remove(&id) {
                api::free_pointer(x);
            }
        }
        let tasks = std::mem::take(&mut lock(&queues::main_queue().state).quit_tasks);
        for (f, a) in tasks {
            // SAFETY: quittask_install got a function taking its argument.
            unsafe { std::mem::transmute::<FnAddr, ObjFn>(f)(a as *mut c_void) };
        }
    }
}

fn method(x: usize, name: &str) -> Option<FnAddr> {
    reg().class_of(x).and_then(|(c, _)| c.methods.get(name).map(|m| m.fun))
}

/// Opens the external (see [`library::open`]), then calls its
/// `ext_main(NULL)` on the main thread; a failure is a load error.
fn load(path: &str) {
    match library::open(path) {
        // SAFETY: an external's ext_main takes one pointer (NULL from fake-max).
        Ok(f) => unsafe { std::mem::transmute::<*mut c_void, ExtMain>(f)(std::ptr::null_mut()) },
        Err(e) => failure(&format!("load {path}: {e}")),
    }
}
