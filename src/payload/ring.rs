//! Bodies rendered a bounded window ahead of the schedule: one rendering thread puts body
//! `seq` (the run-wide request index) into slot `seq % capacity`; the worker holding ticket
//! `seq` takes it out. No lock: each slot is a small state machine on one atomic, and every
//! `seq` has exactly one producer and one consumer.
//!
//! A slot's `ready` is 0 while it is free (only the producer touches the body cell) and
//! `seq + 1` once body `seq` is in it (only the worker with ticket `seq` touches the cell,
//! then frees the slot). The producer waits for a free slot, so it never runs more than
//! `capacity` requests ahead of the oldest request not yet sent.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

/// How long the rendering thread sleeps between looks at a slot it waits for.
const PRODUCER_PAUSE: Duration = Duration::from_micros(200);

struct Slot {
    ready: AtomicU64,
    body: UnsafeCell<Option<Bytes>>,
}

/// What a worker finds in its slot.
#[derive(Debug)]
pub enum Take {
    /// Its body.
    Ready(Bytes),
    /// Not rendered yet.
    Pending,
    /// The rendering stopped (an error, or the run is over): no body will come.
    Closed,
}

/// The window of rendered bodies between the rendering thread and the workers.
pub struct BodyRing {
    slots: Box<[Slot]>,
    mask: u64,
    closed: AtomicBool,
    /// Bodies put so far (the rendering frontier), for the progress of the prefill.
    put: AtomicU64,
}

// SAFETY: a slot's body cell is only touched by the one thread the slot's `ready` state
// grants it to (see the module docs); the Release store after each access and the Acquire
// load before the next hand the cell over with its contents visible.
unsafe impl Sync for BodyRing {}

impl std::fmt::Debug for BodyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyRing")
            .field("capacity", &self.slots.len())
            .field("put", &self.put.load(Ordering::Relaxed))
            .finish()
    }
}

impl BodyRing {
    /// A ring of at least `capacity` slots (rounded up to a power of two, at least 2).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2).next_power_of_two();
        Self {
            slots: (0..capacity)
                .map(|_| Slot {
                    ready: AtomicU64::new(0),
                    body: UnsafeCell::new(None),
                })
                .collect(),
            mask: capacity as u64 - 1,
            closed: AtomicBool::new(false),
            put: AtomicU64::new(0),
        }
    }

    /// Slots in the ring: how far ahead of the oldest unsent request rendering may run.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Puts body `seq`, waiting while its slot still holds an unsent body. Called by one
    /// thread only, with `seq` increasing. False when the ring was closed meanwhile.
    pub fn put(&self, seq: u64, body: Bytes) -> bool {
        let slot = &self.slots[(seq & self.mask) as usize];
        while slot.ready.load(Ordering::Acquire) != 0 {
            if self.is_closed() {
                return false;
            }
            std::thread::sleep(PRODUCER_PAUSE);
        }
        // SAFETY: `ready == 0`: the slot is the producer's (module docs).
        unsafe { *slot.body.get() = Some(body) };
        slot.ready.store(seq + 1, Ordering::Release);
        self.put.store(seq + 1, Ordering::Relaxed);
        true
    }

    /// Takes body `seq` if it is there. Called once per `seq`, by the worker holding it.
    #[inline]
    pub fn try_take(&self, seq: u64) -> Take {
        let slot = &self.slots[(seq & self.mask) as usize];
        if slot.ready.load(Ordering::Acquire) == seq + 1 {
            // SAFETY: `ready == seq + 1`: the slot is this worker's (module docs).
            let body = unsafe { (*slot.body.get()).take() };
            slot.ready.store(0, Ordering::Release);
            return match body {
                Some(body) => Take::Ready(body),
                None => Take::Closed,
            };
        }
        if self.is_closed() {
            Take::Closed
        } else {
            Take::Pending
        }
    }

    /// Bodies put so far.
    pub fn rendered(&self) -> u64 {
        self.put.load(Ordering::Relaxed)
    }

    /// Ends the hand-over: the producer stops waiting, workers stop expecting bodies not yet
    /// put. Bodies already in the ring can still be taken.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn bodies_come_out_by_sequence_and_the_producer_stays_a_window_ahead() {
        let ring = Arc::new(BodyRing::new(4));
        assert_eq!(ring.capacity(), 4);
        for seq in 0..4 {
            assert!(ring.put(seq, Bytes::from(format!("b{seq}"))));
        }
        // Slot 0 still holds body 0: body 4 must wait until it is taken.
        assert!(matches!(ring.try_take(4), Take::Pending));
        let producer = {
            let ring = ring.clone();
            std::thread::spawn(move || ring.put(4, Bytes::from_static(b"b4")))
        };
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            ring.rendered(),
            4,
            "body 4 went in before its slot was free"
        );
        match ring.try_take(0) {
            Take::Ready(b) => assert_eq!(&b[..], b"b0"),
            other => panic!("{other:?}"),
        }
        assert!(producer.join().unwrap());
        match ring.try_take(4) {
            Take::Ready(b) => assert_eq!(&b[..], b"b4"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn many_workers_taking_out_of_order_each_get_their_own_body() {
        let ring = Arc::new(BodyRing::new(8));
        let total = 5_000u64;
        let producer = {
            let ring = ring.clone();
            std::thread::spawn(move || {
                for seq in 0..total {
                    assert!(ring.put(seq, Bytes::from(seq.to_le_bytes().to_vec())));
                }
            })
        };
        let next = Arc::new(AtomicU64::new(0));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (ring, next) = (ring.clone(), next.clone());
                std::thread::spawn(move || loop {
                    let seq = next.fetch_add(1, Ordering::Relaxed);
                    if seq >= total {
                        return;
                    }
                    loop {
                        match ring.try_take(seq) {
                            Take::Ready(b) => {
                                assert_eq!(b[..], seq.to_le_bytes());
                                break;
                            }
                            Take::Pending => std::thread::yield_now(),
                            Take::Closed => panic!("closed"),
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        producer.join().unwrap();
        assert_eq!(ring.rendered(), total);
    }

    #[test]
    fn closing_frees_a_waiting_producer_and_tells_waiting_workers() {
        let ring = Arc::new(BodyRing::new(2));
        assert!(ring.put(0, Bytes::new()));
        assert!(ring.put(1, Bytes::new()));
        let producer = {
            let ring = ring.clone();
            std::thread::spawn(move || ring.put(2, Bytes::new()))
        };
        assert!(matches!(ring.try_take(3), Take::Pending));
        ring.close();
        assert!(!producer.join().unwrap());
        assert!(matches!(ring.try_take(3), Take::Closed));
        // What was already rendered is still handed out.
        assert!(matches!(ring.try_take(1), Take::Ready(_)));
    }
}
