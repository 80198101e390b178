//! The two lock-free rings between a host's audio thread and an object's
//! audio worker, made anew by every `dsp()`, and [`Perform::run`], the
//! audio thread's whole part.
//!
//! Each ring is a pair of `ringbuf` SPSC rings: one of samples (a host
//! block is `channels * block` samples, channel after channel) and one of
//! block headers, the block's sequence number (the host block it came in
//! at, from 0 at `dsp()`). A producer pushes a block's samples, then its
//! header; a consumer that sees a header finds its samples (the header
//! ring's release follows the samples ring's in program order).
//!
//! Latency: the output block for host block `n` is the one made from the
//! input of block `n - delay` ([`Layout::delay`]); the first `delay` blocks
//! are silence. `run` drops output blocks older than the one due (they came
//! too late) and counts an underrun when the one due is missing, so a late
//! block never delays those after it.
//!
//! Waking the worker: [`Perform::run`] makes no system call in the steady
//! state. The worker wakes on its own timer ([`Layout::nap`]: until half a
//! host block after the next chunk should be complete) and takes what has
//! come; `run` unparks it (a futex wake,
//! a few microseconds on the audio thread, so never per block) only when
//! it is behind: a complete chunk has waited a whole host block (its timer
//! fired late, or the host ran several blocks in a row), the input ring had
//! no room, or the worker sleeps without a timer ([`Link::asleep`]: no
//! block came for [`Layout::idle_after`], DSP was off). See the worker's
//! module docs for the reasoning and what the timer costs.
//!
//! # Threading
//! [`Perform`]: the host's audio thread (one at a time: `&mut self`).
//! [`WorkerRings`]: the object's audio worker. [`Link`]: both, atomics only.

use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::Sample;

/// The shape of one `dsp()`'s audio: fixed until the next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Layout {
    /// Samples per host block, per channel.
    pub block: usize,
    /// Host blocks per `process` call (`-block N` / block).
    pub chunk: usize,
    /// `-latency N`: host blocks of slack beyond gathering a chunk.
    pub latency: usize,
    pub ins: usize,
    pub outs: usize,
    pub rate: f64,
    pub hold: bool,
}

impl Layout {
    /// Host blocks between an input block and its output: the slack, plus
    /// the blocks a chunk waits for before it can be processed.
    pub fn delay(&self) -> u64 {
        (self.latency + self.chunk - 1) as u64
    }

    /// The latency in samples, as `latency` reports it.
    pub fn latency_samples(&self) -> u64 {
        self.delay() * self.block as u64
    }

    /// Samples of one process call, per channel.
    pub fn chunk_samples(&self) -> usize {
        self.block * self.chunk
    }

    /// Input blocks the ring holds: room for the worker to fall behind by
    /// several latencies before input is lost.
    fn input_blocks(&self) -> usize {
        (4 * (self.delay() as usize + self.chunk)).max(64)
    }

    /// Output blocks the ring holds: at most `delay` blocks ahead of the
    /// audio thread, plus a chunk being pushed.
    fn output_blocks(&self) -> usize {
        self.delay() as usize + 2 * self.chunk + 2
    }

    /// How long the worker sleeps when it finds nothing to do while blocks
    /// come, `now` host blocks run: until half a host block after the next
    /// chunk should be complete (the blocks it still needs, less one, plus
    /// a half), so a complete chunk waits at most about half a block for it
    /// (its first block is due `latency` blocks after it is complete, at
    /// least one); from 0.2 ms (a wake-up costs the worker a few
    /// microseconds) to 20 ms.
    pub fn nap(&self, now: u64) -> Duration {
        let chunk = self.chunk as u64;
        let blocks = (chunk - now % chunk) as f64 - 0.5;
        let secs = blocks * self.block as f64 / self.rate;
        Duration::from_secs_f64(if secs.is_finite() { secs.clamp(0.0002, 0.02) } else { 0.02 })
    }

    /// How long one host block lasts; zero for a rate that gives none (a
    /// host's 0 Hz: then no two looks are close enough to count a burst),
    /// as `nap` and `idle_after` guard theirs.
    pub fn period(&self) -> Duration {
        Duration::try_from_secs_f64(self.block as f64 / self.rate).unwrap_or(Duration::ZERO)
    }

    /// How long with no new host block before the worker sleeps without a
    /// timer (DSP off, the host paused; the next `run` unparks it): 200 ms,
    /// or four host blocks if that is longer (a `[block~]` of thousands of
    /// samples is run that rarely).
    pub fn idle_after(&self) -> Duration {
        let blocks = 4.0 * self.block as f64 / self.rate;
        Duration::from_secs_f64(if blocks.is_finite() { blocks.clamp(0.2, 10.0) } else { 0.2 })
    }
}

/// What one `dsp()`'s audio thread and worker tell each other, besides
/// the rings.
#[derive(Default)]
pub(crate) struct Link {
    /// Host blocks run so far (the audio thread).
    pub now: AtomicU64,
    /// Input blocks the worker is done with: the sequence number after the
    /// last one it processed, or skipped as too late.
    pub done: AtomicU64,
    /// The worker is parked without a timer (no block came for
    /// [`Layout::idle_after`]): the next `run` clears this and unparks it.
    /// The worker sets it, then reads `now`; `run` stores `now`, then reads
    /// this (both `SeqCst`): one of the two sees the other.
    pub asleep: AtomicBool,
}

/// Counts of an object that outlive a `dsp()`.
#[derive(Default)]
pub(crate) struct Counters {
    /// Output blocks that were not there when due (never reset).
    pub underruns: AtomicU64,
    /// The most host blocks the worker saw the host run back to back
    /// ([`Bursts`]) since the last `dsp()`, which resets it.
    pub burst: AtomicU64,
    /// The console was told that the latency does not cover the host's
    /// bursts, since the last `dsp()`, which resets it.
    pub advised: AtomicBool,
}

/// The most host blocks the host runs back to back, as the worker sees it:
/// the blocks that came between two of its looks less than a block's period
/// apart. A host that computes DSP in bursts (Pd after each `-sleepgrain`
/// or when its audio device has room, an audio callback of several blocks)
/// runs them within microseconds, and the worker looks every half block
/// while blocks come, so nearly every burst falls between two close looks.
/// A worker that woke late sees many blocks too, but over a longer span:
/// those are not counted. Blocks of a burst beyond the latency are late
/// whatever the worker does: their input came in the same burst.
#[derive(Default)]
pub(crate) struct Bursts {
    /// The host's block count at the last look, and when.
    last: Option<(u64, Instant)>,
    most: u64,
}

impl Bursts {
    /// A look: `now` host blocks run at `at`; a block lasts `period`.
    /// Returns the most blocks seen back to back so far.
    pub fn look(&mut self, now: u64, at: Instant, period: Duration) -> u64 {
        if let Some((then, when)) = self.last.replace((now, at)) {
            if at.saturating_duration_since(when) < period {
                self.most = self.most.max(now.saturating_sub(then));
            }
        }
        self.most
    }
}

/// The half of the rings the host's audio thread owns (see the module docs).
///
/// # Threading
/// `Send`: made on a host thread by `dsp()`, then owned by the host's
/// perform routine; [`Perform::run`] on its audio thread.
pub struct Perform<S: Sample> {
    layout: Layout,
    /// Host blocks run so far.
    n: u64,
    in_samples: HeapProd<S>,
    in_heads: HeapProd<u64>,
    out_samples: HeapCons<S>,
    out_heads: HeapCons<u64>,
    /// `-hold`: the last good output block (`outs * block`), else empty.
    last: Box<[S]>,
    /// The latest run of input blocks the ring had no room for: their
    /// output never comes.
    lost: (u64, u64),
    link: Arc<Link>,
    counters: Arc<Counters>,
    worker: Thread,
    /// The worker's `done` when `run` last unparked it: no new unpark
    /// until it has made progress (it is awake, or busy in `process`).
    kicked: u64,
    /// Unparks made so far (for tests and benchmarks: none in the steady
    /// state).
    unparks: u64,
}

/// The half of the rings the object's audio worker owns.
pub(crate) struct WorkerRings<S: Sample> {
    pub layout: Layout,
    in_samples: HeapCons<S>,
    in_heads: HeapCons<u64>,
    out_samples: HeapProd<S>,
    out_heads: HeapProd<u64>,
    pub link: Arc<Link>,
}

/// New rings for `layout`: the audio thread's half, which unparks
/// `worker` when it is behind, and the worker's.
pub(crate) fn make<S: Sample>(layout: Layout, counters: Arc<Counters>, worker: Thread) -> (Perform<S>, WorkerRings<S>) {
    let (in_samples, in_cons) = HeapRb::<S>::new((layout.input_blocks() * layout.ins * layout.block).max(1)).split();
    let (in_heads, in_heads_cons) = HeapRb::<u64>::new(layout.input_blocks()).split();
    let (out_prod, out_samples) =
        HeapRb::<S>::new((layout.output_blocks() * layout.outs * layout.block).max(1)).split();
    let (out_heads_prod, out_heads) = HeapRb::<u64>::new(layout.output_blocks()).split();
    let link = Arc::new(Link::default());
    let last = vec![S::default(); if layout.hold { layout.outs * layout.block } else { 0 }].into_boxed_slice();
    let perform = Perform {
        layout,
        n: 0,
        in_samples,
        in_heads,
        out_samples,
        out_heads,
        last,
        lost: (0, 0),
        link: link.clone(),
        counters,
        worker,
        kicked: u64::MAX,
        unparks: 0,
    };
    let rings = WorkerRings {
        layout,
        in_samples: in_cons,
        in_heads: in_heads_cons,
        out_samples: out_prod,
        out_heads: out_heads_prod,
        link,
    };
    (perform, rings)
}

impl<S: Sample> Perform<S> {
    /// The audio thread: copies `ins` into the input ring, takes the block
    /// due now from the output ring (silence, or the last block with
    /// `-hold`, when it is late: counted), writes `outs`. Lock-free, no
    /// allocation, no Python, and no system call in the steady state: the
    /// worker wakes on its own timer, and `run` unparks it only when it is
    /// behind (see the module docs).
    /// `ins.len()` is the object's signal inlets, `outs.len()` its signal
    /// outlets, and every slice has the block length given to `dsp()`.
    ///
    /// # Threading
    /// The host's audio thread, one call at a time.
    pub fn run(&mut self, ins: &[&[S]], outs: &mut [&mut [S]]) {
        let block = self.layout.block;
        let (ins_ok, outs_ok) = (ins.len() == self.layout.ins, outs.len() == self.layout.outs);
        if !ins_ok || !outs_ok || ins.iter().any(|i| i.len() < block) || outs.iter().any(|o| o.len() < block) {
            // The host's mistake: silence, never a panic on its audio thread.
            debug_assert!(false, "run takes the ports the class declared, each a block long");
            return outs.iter_mut().for_each(|o| o.fill(S::default()));
        }
        let n = self.n;
        // A chunk complete before this block that the worker has not taken.
        let behind = !self.caught_up();
        self.n += 1;
        self.link.now.store(self.n, Ordering::SeqCst);
        // In: the whole block or nothing (the worker then sees a gap).
        let room = self.in_samples.vacant_len() >= self.layout.ins * block && self.in_heads.vacant_len() >= 1;
        if room {
            for channel in ins {
                self.in_samples.push_slice(&channel[..block]);
            }
            let _ = self.in_heads.try_push(n);
        } else if self.lost.1 == n {
            self.lost.1 = n + 1;
        } else {
            self.lost = (n, n + 1);
        }
        // Waking a parked thread is a system call (a few microseconds, most
        // of this routine's cost if it were made every block): only when
        // the worker is behind, once until it makes progress, or asleep
        // without a timer.
        if self.link.asleep.load(Ordering::SeqCst) && self.link.asleep.swap(false, Ordering::SeqCst) {
            self.unpark();
        } else if behind || !room {
            let done = self.link.done.load(Ordering::Acquire);
            if done != self.kicked {
                self.kicked = done;
                self.unpark();
            }
        }
        // Out: the block due now, made from the input `delay` blocks ago.
        let Some(due) = n.checked_sub(self.layout.delay()) else {
            return outs.iter_mut().for_each(|o| o[..block].fill(S::default()));
        };
        let width = self.layout.outs * block;
        while let Some(&late) = self.out_heads.try_peek() {
            if late >= due {
                break;
            }
            self.out_heads.try_pop();
            self.out_samples.skip(width);
        }
        if self.out_heads.try_peek() == Some(&due) {
            self.out_heads.try_pop();
            for channel in outs.iter_mut() {
                self.out_samples.pop_slice(&mut channel[..block]);
            }
            if self.layout.hold {
                for (channel, last) in outs.iter().zip(self.last.chunks_exact_mut(block)) {
                    last.copy_from_slice(&channel[..block]);
                }
            }
            return;
        }
        self.counters.underruns.fetch_add(1, Ordering::Relaxed);
        if self.layout.hold {
            for (channel, last) in outs.iter_mut().zip(self.last.chunks_exact(block)) {
                channel[..block].copy_from_slice(last);
            }
        } else {
            outs.iter_mut().for_each(|o| o[..block].fill(S::default()));
        }
    }

    /// Whether the worker has dealt with the block the next [`Perform::run`]
    /// outputs: it is in the ring, or it never comes (skipped as late, or
    /// its input was lost). For tests and benchmarks that drive `run`
    /// faster than real time and wait for the worker between blocks.
    pub fn ready(&self) -> bool {
        let Some(due) = self.n.checked_sub(self.layout.delay()) else { return true };
        self.link.done.load(Ordering::Acquire) > due || (self.lost.0..self.lost.1).contains(&due)
    }

    /// Whether the worker has taken every chunk complete so far (processed
    /// it, or skipped it as late): if not, the next [`Perform::run`]
    /// unparks it. For tests and benchmarks, as [`Perform::ready`].
    pub fn caught_up(&self) -> bool {
        let chunk = self.layout.chunk as u64;
        self.link.done.load(Ordering::Acquire) >= self.n / chunk * chunk
    }

    /// How many times [`Perform::run`] has unparked the worker (none while
    /// the worker keeps up: it wakes on its own timer). For tests and
    /// benchmarks.
    pub fn unparks(&self) -> u64 {
        self.unparks
    }

    /// Whether the worker sleeps without a timer (no block came for a
    /// while), until the next [`Perform::run`]. For tests.
    pub fn worker_asleep(&self) -> bool {
        self.link.asleep.load(Ordering::SeqCst)
    }

    fn unpark(&mut self) {
        self.unparks += 1;
        self.worker.unpark();
    }

    /// The latency in samples (see `latency`).
    pub fn latency(&self) -> u64 {
        self.layout.latency_samples()
    }
}

impl<S: Sample> WorkerRings<S> {
    /// The next input block, if one waits: its samples copied into
    /// `into`, channel `c` at `c * stride + at` (a block each); returns its
    /// sequence number.
    pub fn pop_input(&mut self, into: &mut [S], stride: usize, at: usize) -> Option<u64> {
        let seq = self.in_heads.try_pop()?;
        let block = self.layout.block;
        for channel in 0..self.layout.ins {
            let start = channel * stride + at;
            let popped = self.in_samples.pop_slice(&mut into[start..start + block]);
            debug_assert_eq!(popped, block, "a header follows its samples");
        }
        Some(seq)
    }

    /// Whether an input block waits.
    pub fn has_input(&self) -> bool {
        !self.in_heads.is_empty()
    }

    /// The sequence number of the next input block, if one waits.
    pub fn peek_seq(&self) -> Option<u64> {
        self.in_heads.try_peek().copied()
    }

    /// Whether the output ring has room for `blocks` more blocks.
    pub fn output_room(&self, blocks: usize) -> bool {
        self.out_heads.vacant_len() >= blocks
            && self.out_samples.vacant_len() >= blocks * self.layout.outs * self.layout.block
    }

    /// Pushes the output block of sequence number `seq`, channel `c` from
    /// `from` at `c * stride + at` (a block each); the caller checked the
    /// room ([`WorkerRings::output_room`]).
    pub fn push_output(&mut self, seq: u64, from: &[S], stride: usize, at: usize) {
        let block = self.layout.block;
        for channel in 0..self.layout.outs {
            let start = channel * stride + at;
            self.out_samples.push_slice(&from[start..start + block]);
        }
        let _ = self.out_heads.try_push(seq);
    }

    /// Input blocks up to `seq` are dealt with.
    pub fn done(&self, seq: u64) {
        self.link.done.store(seq + 1, Ordering::Release);
    }

    /// Host blocks the audio thread has run.
    pub fn now(&self) -> u64 {
        self.link.now.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_count_the_blocks_that_came_between_two_looks_within_a_block() {
        let period = Duration::from_micros(1333);
        let t0 = Instant::now();
        let at = |us: u64| t0 + Duration::from_micros(us);
        let mut b = Bursts::default();
        // A block a period, looked at twice a period: one at a time.
        for i in 0..10 {
            b.look(i / 2, at(i * 667), period);
        }
        assert_eq!(b.look(5, at(6670), period), 1);
        // Four in a row between two looks half a block apart: a burst.
        assert_eq!(b.look(9, at(7337), period), 4);
        // Ten blocks after a worker's 14 ms oversleep: not the host's doing.
        assert_eq!(b.look(19, at(21337), period), 4);
        // The first look after a pause compares with nothing older than a block.
        assert_eq!(b.look(30, at(50000), period), 4);
    }

    fn layout(hold: bool) -> Layout {
        Layout { block: 4, chunk: 1, latency: 2, ins: 1, outs: 1, rate: 48000.0, hold }
    }

    /// Plays the worker by hand: each `(seq, at)` pushes output block `seq`
    /// (its samples `seq + 1`) just before run `at`. Returns each run's
    /// first sample, and the underruns counted.
    fn play(hold: bool, pushes: &[(u64, u64)], runs: u64) -> (Vec<f32>, u64) {
        let counters = Arc::new(Counters::default());
        let (mut perform, mut worker) = make::<f32>(layout(hold), counters.clone(), std::thread::current());
        let mut firsts = Vec::new();
        for n in 0..runs {
            for &(seq, at) in pushes {
                if at == n {
                    let block = [(seq + 1) as f32; 4];
                    assert!(worker.output_room(1));
                    worker.push_output(seq, &block, 4, 0);
                }
            }
            let (ins, mut outs) = ([n as f32; 4], [f32::NAN; 4]);
            perform.run(&[&ins], &mut [&mut outs]);
            assert!(outs.iter().all(|&y| y == outs[0]), "whole blocks");
            firsts.push(outs[0]);
            let mut got = [0.0; 4];
            assert_eq!(worker.pop_input(&mut got, 4, 0), Some(n), "every input block, in order");
            assert_eq!(got, ins);
        }
        (firsts, counters.underruns.load(Ordering::Relaxed))
    }

    #[test]
    fn a_late_block_is_dropped_and_never_delays_the_next() {
        // Block 0 comes after its run (2), block 1 in time for run 3.
        let (firsts, underruns) = play(false, &[(0, 3), (1, 3), (2, 4), (3, 5)], 6);
        assert_eq!(firsts, [0.0, 0.0, 0.0, 2.0, 3.0, 4.0], "silence before the latency, then on time");
        assert_eq!(underruns, 1, "run 2 found no block 0");
    }

    #[test]
    fn hold_repeats_the_last_good_block() {
        let (firsts, underruns) = play(true, &[(0, 2), (2, 4), (3, 5)], 6);
        assert_eq!(firsts, [0.0, 0.0, 1.0, 1.0, 3.0, 4.0], "block 1 never came: block 0 again");
        assert_eq!(underruns, 1);
    }

    #[test]
    fn ready_says_when_the_block_due_is_dealt_with() {
        let counters = Arc::new(Counters::default());
        let (mut perform, worker) = make::<f32>(layout(false), counters, std::thread::current());
        let (ins, mut outs) = ([0.0f32; 4], [0.0f32; 4]);
        for _ in 0..2 {
            assert!(perform.ready(), "the first two blocks are silence: nothing to wait for");
            perform.run(&[&ins], &mut [&mut outs]);
        }
        assert!(!perform.ready(), "run 2 outputs block 0, not yet dealt with");
        worker.done(0);
        assert!(perform.ready());
    }

    /// Runs `runs` blocks of a 1-in 1-out `layout`; before run `n` the
    /// worker (played here) takes every input block if `takes(n)`. Returns
    /// the unparks counted after each run.
    fn kicks(layout: Layout, runs: u64, takes: impl Fn(u64) -> bool) -> Vec<u64> {
        let (mut perform, mut worker) = make::<f32>(layout, Arc::default(), std::thread::current());
        let (ins, mut outs, mut into) = ([0.0f32; 4], [0.0f32; 4], vec![0.0f32; 4 * layout.chunk]);
        let mut counts = Vec::new();
        for n in 0..runs {
            if takes(n) {
                while let Some(seq) = worker.peek_seq() {
                    worker.pop_input(&mut into, 4 * layout.chunk, (seq % layout.chunk as u64) as usize * 4);
                    if seq % layout.chunk as u64 == layout.chunk as u64 - 1 {
                        worker.done(seq);
                    }
                }
            }
            perform.run(&[&ins], &mut [&mut outs]);
            counts.push(perform.unparks());
        }
        counts
    }

    #[test]
    fn run_never_unparks_a_worker_that_keeps_up() {
        assert_eq!(kicks(layout(false), 50, |_| true), [0; 50]);
        let chunked = Layout { chunk: 4, ..layout(false) };
        assert_eq!(kicks(chunked, 50, |n| n % 4 == 0), [0; 50], "a chunk taken before the next is complete");
    }

    #[test]
    fn run_unparks_a_worker_behind_once_until_it_makes_progress() {
        // Blocks 0 and 1 wait, and the worker takes them all before run 4.
        let counts = kicks(layout(false), 7, |n| n == 4);
        assert_eq!(counts, [0, 1, 1, 1, 1, 2, 2], "run 1 finds block 0 waiting (once); run 5 finds block 4");
        // With 4-block chunks: the first chunk is complete at run 3, waiting at run 4.
        let chunked = Layout { chunk: 4, ..layout(false) };
        assert_eq!(kicks(chunked, 6, |_| false), [0, 0, 0, 0, 1, 1]);
    }

    #[test]
    fn run_unparks_a_worker_asleep_without_a_timer_once() {
        let (mut perform, _worker) = make::<f32>(layout(false), Arc::default(), std::thread::current());
        let (ins, mut outs) = ([0.0f32; 4], [0.0f32; 4]);
        perform.link.asleep.store(true, Ordering::SeqCst);
        assert!(perform.worker_asleep());
        perform.run(&[&ins], &mut [&mut outs]);
        assert_eq!(perform.unparks(), 1);
        assert!(!perform.worker_asleep(), "run clears it");
    }

    #[test]
    fn the_nap_ends_half_a_block_after_the_next_chunk_is_complete_within_its_bounds() {
        let at = |block, chunk, rate, now| Layout { block, chunk, rate, ..layout(false) }.nap(now);
        assert_eq!(at(64, 1, 32000.0, 7), Duration::from_millis(1), "half a block");
        assert_eq!(at(64, 8, 32000.0, 16), Duration::from_millis(15), "7.5 blocks: a chunk just taken");
        assert_eq!(at(64, 8, 32000.0, 22), Duration::from_millis(3), "1.5 blocks: two to come");
        assert_eq!(at(64, 8, 32000.0, 23), Duration::from_millis(1), "half a block: the last to come");
        assert_eq!(at(1, 1, 48000.0, 0), Duration::from_micros(200), "bounded below");
        assert_eq!(at(4096, 16, 48000.0, 0), Duration::from_millis(20), "bounded above");
        assert_eq!(at(64, 1, 0.0, 0), Duration::from_millis(20), "a host with no rate yet");
        let period = |rate| Layout { block: 64, rate, ..layout(false) }.period();
        assert_eq!(period(32000.0), Duration::from_millis(2));
        assert_eq!(period(0.0), Duration::ZERO, "a host with no rate yet: no bursts counted, no panic");
    }
}
