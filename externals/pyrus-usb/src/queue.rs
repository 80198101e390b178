//! The bounded event queue between the engine's threads and the host's
//! scheduler thread.
#![forbid(unsafe_code)]

use crate::event::Event;
use crossbeam_queue::ArrayQueue;
use pyrus_atoms::OwnedMessage;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The host's "please drain me" callback.
pub type Wake = Box<dyn Fn() + Send + Sync>;

/// A bounded multi-producer queue of [`Event`]s that never blocks a producer.
///
/// Built on crossbeam's [`ArrayQueue`] (a fixed ring of slots with per-slot
/// stamps after Dmitry Vyukov's bounded MPMC queue), so `push` and `pop` are
/// lock-free and allocate nothing.
///
/// - **Capacity** is fixed at construction (at least 1 slot).
/// - **When full**, [`push`](Self::push) does not wait and does not hand the
///   event back: it is dropped and counted. The count is reported in-band as
///   one [`Event::Dropped`] pushed ahead of the next event that is queued, or
///   taken by the consumer once it has emptied the queue (a flood that ends
///   while the queue is full is reported all the same), so the consumer sees
///   *where* the gap is; [`dropped_total`](Self::dropped_total) keeps the
///   running total.
/// - **Status events** have a few slots of their own (a sixteenth of the
///   capacity, at most 16) that data never takes: the `disconnected` after a
///   flood, and the `dropped N` before it, still get in.
/// - **After an overflow** events are refused until the consumer has made
///   room for a quarter of the capacity (at least two slots): a producer
///   that outruns its consumer makes a few long gaps, one report each,
///   rather than a report between every two events, which would flood the
///   consumer with reports just when it is behind.
/// - **Ordering**: events from one producer thread come out in the order that
///   thread pushed them (FIFO per producer); events of different producers
///   interleave in an unspecified but linearizable order. Status events
///   (`Connected`, `Disconnected`, `Error`) travel in the same queue and so
///   stay in order with the data around them.
/// - **Wake**: the optional callback runs on the producer's thread when an
///   event arrives and no drain has been requested since the consumer last
///   started one ([`pop`](Self::pop)/[`drain`](Self::drain) re-arm it). So a
///   host that schedules one drain per call never misses an event and is
///   not called once per event. The callback may run inside libusb's
///   hotplug callback, so it must not block nor do USB I/O: it should only
///   schedule a drain. No engine lock is held while it runs.
/// - **Drop**: dropping the queue drops the events still in it.
///
/// # Threading
/// `Send + Sync`. `push` from any number of threads; `pop`/`drain` from any
/// thread, meant for the host's one scheduler thread. Nothing here blocks.
pub struct EventQueue {
    q: ArrayQueue<Event>,
    dropped: AtomicU64,
    dropped_total: AtomicU64,
    /// Set by an overflow; cleared once the length is down to `resume_at`.
    overflowed: AtomicBool,
    resume_at: usize,
    /// Data is refused from this length on: the rest is for status events.
    data_room: usize,
    wake_requested: AtomicBool,
    wake: Option<Wake>,
}

impl EventQueue {
    pub fn new(capacity: usize, wake: Option<Wake>) -> Self {
        let capacity = capacity.max(1);
        EventQueue {
            q: ArrayQueue::new(capacity),
            dropped: AtomicU64::new(0),
            dropped_total: AtomicU64::new(0),
            overflowed: AtomicBool::new(false),
            resume_at: capacity.saturating_sub((capacity / 4).max(2)),
            data_room: capacity - (capacity / 16).min(16),
            wake_requested: AtomicBool::new(false),
            wake,
        }
    }

    pub fn capacity(&self) -> usize {
        self.q.capacity()
    }

    /// Queues `event`, or counts it as dropped when the queue is full.
    /// Returns whether the event was queued.
    pub fn push(&self, event: Event) -> bool {
        if !event.is_status() {
            if self.overflowed.load(Ordering::Acquire) {
                if self.q.len() > self.resume_at {
                    return self.drop_one(0);
                }
                self.overflowed.store(false, Ordering::Release);
            }
            if self.q.len() >= self.data_room {
                return self.drop_one(0);
            }
        }
        let pending = self.dropped.swap(0, Ordering::AcqRel);
        if pending > 0 && self.q.push(Event::Dropped(pending)).is_err() {
            // Still full: the report waits for the next push, and this event is lost too.
            return self.drop_one(pending);
        }
        let ok = self.q.push(event).is_ok();
        if !ok {
            self.drop_one(0);
        }
        if (ok || pending > 0) && !self.wake_requested.swap(true, Ordering::AcqRel) {
            if let Some(w) = &self.wake {
                w();
            }
        }
        ok
    }

    /// Counts one event dropped (plus `pending` earlier ones not yet
    /// reported) and refuses events until there is room again.
    fn drop_one(&self, pending: u64) -> bool {
        self.overflowed.store(true, Ordering::Release);
        self.dropped.fetch_add(pending + 1, Ordering::AcqRel);
        self.dropped_total.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// Takes the oldest event; from an empty queue, the report of what was
    /// dropped since the last one, if anything.
    pub fn pop(&self) -> Option<Event> {
        self.wake_requested.store(false, Ordering::Release);
        self.take()
    }

    fn take(&self) -> Option<Event> {
        self.q.pop().or_else(|| {
            // Nothing queued after the drops: no push will carry their report.
            let n = self.dropped.swap(0, Ordering::AcqRel);
            (n > 0).then_some(Event::Dropped(n))
        })
    }

    /// Hands every queued event to `f`, oldest first, until the queue is empty.
    pub fn drain(&self, mut f: impl FnMut(Event)) {
        // Re-arm before popping: an event pushed after our last pop wakes the host again.
        self.wake_requested.store(false, Ordering::Release);
        while let Some(e) = self.take() {
            f(e);
        }
    }

    /// [`drain`](Self::drain) as host messages (`note 1 60 100`, `dropped 3`, ...).
    pub fn drain_messages(&self, mut f: impl FnMut(OwnedMessage)) {
        self.drain(|e| f(e.to_message()));
    }

    pub fn len(&self) -> usize {
        self.q.len()
    }

    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Events dropped since the queue was made.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_total.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    fn ev(n: u8) -> Event {
        Event::Raw { cable: 0, bytes: vec![n] }
    }

    #[test]
    fn full_queue_drops_and_reports_in_place() {
        let q = EventQueue::new(2, None);
        assert!(q.push(ev(1)));
        assert!(q.push(ev(2)));
        assert!(!q.push(ev(3)));
        assert!(!q.push(ev(4)));
        assert_eq!(q.pop(), Some(ev(1)));
        // One slot free is not room enough after an overflow: refused too.
        assert!(!q.push(ev(5)));
        assert_eq!(q.pop(), Some(ev(2)));
        assert!(q.push(ev(6)));
        assert_eq!(q.pop(), Some(Event::Dropped(3)));
        assert_eq!(q.pop(), Some(ev(6)));
        assert_eq!(q.pop(), None);
        assert_eq!(q.dropped_total(), 3);
    }

    #[test]
    fn a_flood_that_ends_while_full_is_reported_and_status_still_gets_in() {
        let q = EventQueue::new(32, None);
        for i in 0..100 {
            q.push(ev(i));
        }
        assert!(q.push(Event::Disconnected), "status has slots of its own");
        let mut events = Vec::new();
        q.drain(|e| events.push(e));
        assert_eq!(events.len(), 30 + 2, "{events:?}");
        assert_eq!(events[30..], [Event::Dropped(70), Event::Disconnected]);
        // A flood that ends with no event after it: the consumer takes the report.
        for i in 0..100 {
            q.push(ev(i));
        }
        events.clear();
        q.drain(|e| events.push(e));
        assert_eq!(events.last(), Some(&Event::Dropped(70)), "{events:?}");
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn a_producer_that_outruns_its_consumer_makes_few_long_gaps() {
        let q = EventQueue::new(64, None);
        let (mut taken, mut dropped, mut reports) = (0u64, 0u64, 0u64);
        let mut take = |e| match e {
            Event::Dropped(n) => (dropped, reports) = (dropped + n, reports + 1),
            _ => taken += 1,
        };
        // Two events in for every one taken out.
        for i in 0..10_000u32 {
            q.push(ev(i as u8));
            if i % 2 == 1 {
                q.pop().map(&mut take);
            }
        }
        q.drain(&mut take);
        q.push(ev(0)); // carries the last report
        q.drain(&mut take);
        assert_eq!(taken + dropped, 10_001, "every event taken or reported");
        assert!(dropped > 4000, "{dropped}");
        assert!(reports * 8 <= dropped, "{reports} reports for {dropped} dropped");
    }

    #[test]
    fn wake_once_per_drain_cycle() {
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = n.clone();
        let q = EventQueue::new(
            8,
            Some(Box::new(move || {
                n2.fetch_add(1, Ordering::SeqCst);
            })),
        );
        q.push(ev(1));
        q.push(ev(2));
        assert_eq!(n.load(Ordering::SeqCst), 1);
        let mut got = Vec::new();
        q.drain(|e| got.push(e));
        assert_eq!(got, vec![ev(1), ev(2)]);
        q.push(ev(3));
        assert_eq!(n.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn concurrent_producers_keep_their_own_order_and_nothing_is_lost_silently() {
        let q = Arc::new(EventQueue::new(64, None));
        let threads: Vec<_> = (0..2u8)
            .map(|t| {
                let q = q.clone();
                std::thread::spawn(move || {
                    for i in 0..200u8 {
                        q.push(Event::Raw { cable: t, bytes: vec![i] });
                    }
                })
            })
            .collect();
        let mut seen = [0u64; 2];
        let mut last = [-1i32; 2];
        let mut dropped = 0;
        let mut done = false;
        while !done {
            done = threads.iter().all(|t| t.is_finished());
            q.drain(|e| match e {
                Event::Raw { cable, bytes } => {
                    let c = usize::from(cable);
                    assert!(i32::from(bytes[0]) > last[c]);
                    last[c] = i32::from(bytes[0]);
                    seen[c] += 1;
                }
                Event::Dropped(n) => dropped += n,
                other => panic!("{other:?}"),
            });
        }
        for t in threads {
            t.join().unwrap();
        }
        // A final drop count may still be pending inside the queue.
        assert_eq!(seen[0] + seen[1] + q.dropped_total(), 400);
        assert!(dropped <= q.dropped_total());
    }
}
