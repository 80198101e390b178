//! The audio worker of one `[pyrus~]` (`pyrus-audio-N`): it runs the
//! object's messages, then its blocks, one after another, attached to
//! Python only while it does. With nothing to do it sleeps on a timer while
//! blocks come, and parks without one before the first `dsp()` and when no
//! block has come for a while (DSP off); a message, a `dsp()` and the drop
//! unpark it.
//!
//! # Why a timer, not a wake per block
//! Waking a parked thread is a system call (`FUTEX_WAKE`): measured here it
//! was 91-96% of the audio thread's time in `Perform::run`, about 3.5 us a
//! block on this VM against 0.3 us for the ring work, and it would be paid
//! for every object every block. So the worker wakes itself: when it finds
//! no complete chunk it sleeps [`Layout::nap`](super::rings::Layout::nap):
//! from the audio thread's block count, until half a host block after the
//! next chunk should be complete (0.2 to 20 ms), so a complete chunk waits
//! about half a block for it at most, well inside the latency (its first
//! block is due `-latency` blocks later, at least one). The cost moves to
//! the worker, which is what it is for: about two wake-ups per host block
//! without `-block` (2 * rate / block a second per object: 1500 at 48 kHz
//! with 64-sample blocks, a few microseconds each), about three per chunk
//! with `-block` (one long sleep, then half blocks: some 280 a second with
//! `-block 512`), none
//! of them on the audio thread. `Perform::run` unparks it only when it has
//! fallen behind: a complete chunk has waited a whole host block (its timer
//! fired late on a loaded machine, or the host ran blocks in a burst), the
//! input ring had no room, or it sleeps without a timer (DSP was off); and
//! once, until the worker has made progress. Bursts are the hosts' normal
//! way: `pd -nosound` wakes every `-sleepgrain` (default 5 ms) and runs the
//! ticks due, several in a row, and an audio device's callback (Pd's, Max's
//! audio thread with an I/O vector larger than the signal vector) runs
//! several blocks back to back: then the second block of a burst finds the
//! first one waiting and wakes the worker, one wake per burst rather than
//! one per block, and the worker, once awake, takes the rest of the burst
//! as it comes. In Pd with `-sleepgrain` below a block's period, or an
//! audio callback of one block, the timer alone keeps up.
//!
//! Its arrays are numpy's own (`np.zeros`), made once per `dsp()` and kept
//! for the worker's use: input blocks are copied into them and output
//! blocks out of them through their data pointers, attached (so no Python
//! code runs meanwhile), and a script that keeps a reference to one keeps
//! valid memory.
//!
//! # Threading
//! Its own thread; every Python call made attached, as a call of its object
//! (`pyrus.*` and `print` act for it, marshalled as a detached object's).

use super::rings::{Bursts, Counters, WorkerRings};
use super::{Job, Sample, Shared, MAX_CHANNELS};
use crate::detach::pool::Interruptible;
use crate::detach::sink::Sink;
use crate::out::Out;
use crate::python::console::{self, Caller};
use crate::python::core::Core;
use crate::python::report;
use crate::sync::lock;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// The signal inlets and outlets the instance's class declares, checked:
/// a `pyrus.Signal`, with numpy importable (its arrays are numpy's). The
/// error says why not, for the console.
pub(super) fn signal_ports(py: Python<'_>, core: &Core) -> Result<(usize, usize), String> {
    let Some(instance) = core.instance(py) else {
        return Err("its class did not load or did not make an instance (the error is above)".into());
    };
    let ports = (|| -> PyResult<(usize, usize)> {
        let signal = py.import("pyrus")?.getattr("Signal")?;
        if !instance.is_instance(&signal)? {
            let class = instance.get_type().name()?.to_string();
            return Err(PyTypeError::new_err(format!(
                "{class} is not a pyrus.Signal subclass: [pyrus~] takes classes with a process(self, ins, outs) \
                 method (class Gain(pyrus.Signal): ...); a pyrus.Object belongs in [pyrus]"
            )));
        }
        py.import("numpy").map_err(|e| {
            PyValueError::new_err(format!("pyrus~ needs numpy, which did not import ({e}): pip install numpy"))
        })?;
        let count = |name: &str, min: usize| -> PyResult<usize> {
            let n: usize = instance.getattr(name)?.extract()?;
            if !(min..=MAX_CHANNELS).contains(&n) {
                return Err(PyValueError::new_err(format!("{name} must be from {min} to {MAX_CHANNELS}, not {n}")));
            }
            Ok(n)
        };
        Ok((count("signal_inlets", 1)?, count("signal_outlets", 0)?))
    })();
    ports.map_err(|e| e.to_string())
}

/// A worker's life: messages first, then blocks, until the object ends;
/// then the instance's `on_close`. Normal priority, never the host's
/// realtime one (which a thread started from Pd's `-rt` thread inherits).
pub(super) fn run<S: Sample>(shared: Arc<Shared<S>>) {
    crate::detach::pool::normal_priority();
    let core = &shared.core;
    let sink = Sink { ctx: shared.ctx.clone(), id: core.id, run: None };
    let caller = Caller {
        out: Out::Marshal(sink),
        data_outlets: Some(core.shape().outlets),
        id: core.id,
        numbers: core.numbers,
    };
    // Runs `f` attached, as a call of the object that `end` can interrupt;
    // not once the object is ending (`in_python` is set before `quit` is
    // read, and `end` sets `quit` before it reads `in_python`: one of the
    // two sees the other).
    let python = |f: &mut dyn FnMut(Python<'_>)| {
        shared.in_python.store(true, Ordering::SeqCst);
        if !shared.quit.load(Ordering::SeqCst) {
            Python::attach(|py| {
                let _stoppable = Interruptible::enter(py, core.id, 0);
                // A panic (a script raising pyo3's PanicException) ends this
                // call, not the worker.
                if let Err(why) = crate::sync::catch(|| console::call_as(&caller, || f(py))) {
                    caller.out.error(&format!("pyrus~: internal error on the audio worker, which carries on: {why}"));
                    report::status_error(&caller.out, core.status(), "PanicException", &why);
                }
            });
        }
        shared.in_python.store(false, Ordering::SeqCst);
    };
    Python::attach(|py| {
        py.detach(|| {
            let mut audio: Option<Audio<S>> = None;
            let mut noticed = 0;
            // The audio thread's block count last seen, and when it changed.
            let mut seen = (0, Instant::now());
            while !shared.quit.load(Ordering::Acquire) {
                let rings = lock(&shared.next).take();
                if let Some(rings) = rings {
                    // The old arrays go with the GIL held.
                    let mut rings = Some(rings);
                    python(&mut |py| {
                        drop(audio.take());
                        audio = rings.take().and_then(|rings| Audio::new(py, rings, &shared, &caller.out));
                    });
                }
                // Messages before blocks: a change reaches the next block.
                let job = lock(&shared.jobs).pop_front();
                if let Some(job) = job {
                    let mut job = Some(job);
                    python(&mut |py| {
                        if let Some(job) = job.take() {
                            shared.job(py, &caller.out, job);
                        }
                    });
                    continue;
                }
                let ran = match audio.as_mut() {
                    Some(audio) if audio.rings.has_input() => {
                        python(&mut |py| audio.step(py, &shared, &caller.out));
                        true
                    }
                    _ => false,
                };
                let underruns = shared.counters.underruns.load(Ordering::Relaxed);
                if underruns != noticed {
                    noticed = underruns;
                    shared.to_report();
                }
                if !ran {
                    match audio.as_mut() {
                        Some(audio) => audio.sleep(&mut seen, &shared.counters),
                        None => std::thread::park(),
                    }
                }
            }
            Python::attach(|py| {
                drop(audio.take());
                console::call_as(&caller, || core.close(py, &caller.out));
            });
        })
    });
}

impl<S: Sample> Shared<S> {
    /// Runs a message (or a rebind) as a call of the object; after a
    /// reload, says so if the new class asks for other signal ports (the
    /// object keeps its own until it is made again).
    fn job(&self, py: Python<'_>, out: &Out, job: Job) {
        let reloads = match &job {
            Job::Rebind => true,
            Job::Fire(_) => false,
            Job::Message(_, m) => {
                m.selector() == crate::object::options::OWN
                    && m.args().first().and_then(pyrus_atoms::Atom::as_symbol) == Some("reload")
            }
        };
        match job {
            Job::Message(inlet, message) => self.core.handle(py, out, inlet, &message),
            Job::Rebind => self.core.rebind(py, out),
            Job::Fire(fire) => fire.run(py, out, self.core.status()),
        }
        if !reloads {
            return;
        }
        match signal_ports(py, &self.core) {
            Ok(ports) if ports == (self.signal_ins, self.signal_outs) => {}
            Ok((ins, outs)) => {
                let why = format!(
                    "the class now asks for {ins} signal inlets and {outs} signal outlets, but this object was \
                     made with {} and {}: recreate the object to change them (it keeps working with the old ones)",
                    self.signal_ins, self.signal_outs
                );
                out.error(&format!("pyrus~: {why}"));
                report::status_error(out, self.core.status(), "RuntimeError", &why);
            }
            Err(why) => {
                out.error(&format!("pyrus~: {why}"));
                report::status_error(out, self.core.status(), "TypeError", &why);
            }
        }
    }
}

/// One `dsp()`'s audio on the worker: its half of the rings, and the
/// arrays `process` gets.
struct Audio<S: Sample> {
    rings: WorkerRings<S>,
    ins: Py<PyAny>,
    outs: Py<PyAny>,
    /// The arrays' data: `channels * chunk` samples each, C order.
    in_data: *mut S,
    out_data: *mut S,
    /// Samples per channel per process call.
    chunk: usize,
    /// The last `process` raised: reported once, until a block works.
    failing: bool,
    /// The host's bursts, seen at each look before a sleep.
    bursts: Bursts,
}

impl<S: Sample> Audio<S> {
    /// The arrays for `rings`' layout; the instance learns the rate and
    /// the chunk (`sample_rate`, `blocksize`). None, reported, if numpy
    /// fails.
    fn new(py: Python<'_>, rings: WorkerRings<S>, shared: &Shared<S>, out: &Out) -> Option<Audio<S>> {
        let layout = rings.layout;
        let chunk = layout.chunk_samples();
        let made = (|| -> PyResult<_> {
            let numpy = py.import("numpy")?;
            let array = |channels: usize| -> PyResult<(Py<PyAny>, *mut S)> {
                let array = numpy.call_method1("zeros", ((channels, chunk), S::DTYPE))?;
                let data: usize = array.getattr("__array_interface__")?.get_item("data")?.get_item(0)?.extract()?;
                Ok((array.unbind(), data as *mut S))
            };
            let (ins, in_data) = array(layout.ins)?;
            let (outs, out_data) = array(layout.outs)?;
            if let Some(instance) = shared.core.instance(py) {
                instance.setattr("sample_rate", layout.rate)?;
                instance.setattr("blocksize", chunk)?;
            }
            Ok(Audio { rings, ins, outs, in_data, out_data, chunk, failing: false, bursts: Bursts::default() })
        })();
        made.map_err(|e| report::report(py, out, shared.core.status(), "making the audio arrays", &e)).ok()
    }

    /// Nothing to do now: sleeps [`Layout::nap`](super::rings::Layout::nap)
    /// (until about half a block after the next chunk is complete) while
    /// blocks come; once none has come for
    /// [`Layout::idle_after`](super::rings::Layout::idle_after), parks until
    /// the next block's `run` (or a message, `dsp()`, the drop) unparks it.
    /// `seen`: the audio thread's block count last seen, and when. Each
    /// look measures the host's bursts into `counters` (see [`Bursts`]).
    fn sleep(&mut self, seen: &mut (u64, Instant), counters: &Counters) {
        let layout = self.rings.layout;
        let now = self.rings.now();
        let at = Instant::now();
        counters.burst.fetch_max(self.bursts.look(now, at, layout.period()), Ordering::Relaxed);
        if now != seen.0 {
            *seen = (now, at);
        }
        if at.duration_since(seen.1) < layout.idle_after() {
            return std::thread::park_timeout(layout.nap(now));
        }
        // Set, then look again: a `run` since either sees it or was seen.
        let link = &self.rings.link;
        link.asleep.store(true, Ordering::SeqCst);
        if link.now.load(Ordering::SeqCst) == now && !self.rings.has_input() {
            std::thread::park();
        }
        link.asleep.store(false, Ordering::SeqCst);
    }

    /// Takes input blocks until a chunk is complete (then processes it and
    /// pushes its output) or the ring is empty.
    fn step(&mut self, py: Python<'_>, shared: &Shared<S>, out: &Out) {
        let layout = self.rings.layout;
        let (block, chunk, delay) = (layout.block, self.chunk, layout.delay());
        let blocks = layout.chunk as u64;
        let channels = (layout.ins * chunk, layout.outs * chunk);
        loop {
            let Some(seq) = self.rings.peek_seq() else { return };
            let at = (seq % blocks) as usize * block;
            // SAFETY: the array `self.ins` (alive: this holds it) is
            // C-contiguous, `ins * chunk` samples of S from `in_data`;
            // attached, so no Python code touches it meanwhile, and nothing
            // else in Rust does.
            #[allow(unsafe_code)]
            let ins = unsafe { std::slice::from_raw_parts_mut(self.in_data, channels.0) };
            self.rings.pop_input(ins, chunk, at);
            if seq % blocks != blocks - 1 {
                continue;
            }
            let first = seq + 1 - blocks;
            // Unless the audio thread has passed every block of it already
            // (a backlog after a slow block: catch up without calling process).
            if seq + delay >= self.rings.now() {
                self.process(py, shared, out);
                #[allow(unsafe_code)]
                let outs: &[S] = if channels.1 == 0 {
                    &[] // numpy's pointer for an empty array is not read
                } else {
                    // SAFETY: as above, for `self.outs` and `out_data`.
                    unsafe { std::slice::from_raw_parts(self.out_data, channels.1) }
                };
                for b in 0..blocks {
                    let due = first + b;
                    if due + delay >= self.rings.now() && self.rings.output_room(1) {
                        self.rings.push_output(due, outs, chunk, b as usize * block);
                    }
                }
            }
            self.rings.done(seq);
            return;
        }
    }

    /// Calls `process(ins, outs)`; on an error, reported the first time,
    /// the output is silence.
    fn process(&mut self, py: Python<'_>, shared: &Shared<S>, out: &Out) {
        let Some(instance) = shared.core.instance(py) else { return };
        let result = instance.call_method1(intern!(py, "process"), (self.ins.bind(py), self.outs.bind(py)));
        match result {
            Ok(_) => self.failing = false,
            Err(e) => {
                if !self.failing {
                    report::report(py, out, shared.core.status(), "process", &e);
                }
                self.failing = true;
                let samples = self.rings.layout.outs * self.chunk;
                if samples > 0 {
                    // SAFETY: as in `step`, for all of `self.outs`.
                    #[allow(unsafe_code)]
                    unsafe {
                        std::slice::from_raw_parts_mut(self.out_data, samples).fill(S::default());
                    }
                }
            }
        }
    }
}
