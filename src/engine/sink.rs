//! Hand-off of finished records to the processor thread, and their recycling.
//!
//! Two bounded crossbeam channels: full records go to the processor, cleared ones come back.
//! A worker that finds the pool empty allocates a new record, so the number of records ever
//! allocated is bounded by what is in flight plus what the processor has queued. When the
//! processor is [`BACKLOG_BEFORE_WAIT`] records behind, a worker waits for a recycled record
//! instead: the wait shows up as send lag, and memory stays flat.

use std::time::{Duration, Instant};

use crossbeam::channel::{Receiver, RecvTimeoutError, Sender, TryRecvError, TrySendError};

use super::record::RequestRecord;

/// Typical response body and event counts, so records rarely grow after their first use.
const BODY_CAPACITY: usize = 4 * 1024;
const EVENT_CAPACITY: usize = 64;

/// Finished records the processor may have queued before a worker waits rather than
/// allocating another (~5 KB each). On two shared cores the processor thread is sometimes
/// off-CPU for tens of ms; at 50,000 requests/s this bound kept 2,500 records (14 MB) from
/// piling up at concurrency 1,000.
pub const BACKLOG_BEFORE_WAIT: usize = 256;
const BACKLOG_WAIT: Duration = Duration::from_micros(250);

/// How long the processor sleeps once it has drained the queue, so that it wakes at most
/// ~1,000 times a second and takes what finished meanwhile as one batch. Waking for every
/// record cost ~10 ms of CPU per 1,000 requests at 10,000 requests/s in context switches, on
/// the cores the engine needs (docs/performance.md); at 50,000 requests/s a pause lets ~50
/// records queue, far below [`BACKLOG_BEFORE_WAIT`].
const DRAINED_PAUSE: Duration = Duration::from_millis(1);

/// The engine's end of the record hand-off.
#[derive(Clone)]
pub struct RecordSink {
    done: Sender<Box<RequestRecord>>,
    pool: Receiver<Box<RequestRecord>>,
}

/// The processor's end of the record hand-off.
pub struct RecordSource {
    /// Finished records, in completion order.
    pub done: Receiver<Box<RequestRecord>>,
    /// Where cleared records go back.
    pub pool: Sender<Box<RequestRecord>>,
}

/// Makes both ends, with room for `queue` records in each direction.
pub fn channel(queue: usize) -> (RecordSink, RecordSource) {
    let (done_tx, done_rx) = crossbeam::channel::bounded(queue);
    let (pool_tx, pool_rx) = crossbeam::channel::bounded(queue);
    (
        RecordSink {
            done: done_tx,
            pool: pool_rx,
        },
        RecordSource {
            done: done_rx,
            pool: pool_tx,
        },
    )
}

impl RecordSink {
    /// A cleared record: a recycled one when available, else a new one unless the processor
    /// is far behind, in which case this waits for it to recycle one.
    pub async fn take(&self) -> Box<RequestRecord> {
        loop {
            match self.pool.try_recv() {
                Ok(record) => return record,
                Err(TryRecvError::Empty) if self.done.len() >= BACKLOG_BEFORE_WAIT => {
                    tokio::time::sleep(BACKLOG_WAIT).await;
                }
                // Empty with a short backlog, or the processor is gone (tear-down).
                Err(_) => {
                    return Box::new(RequestRecord::with_capacity(BODY_CAPACITY, EVENT_CAPACITY))
                }
            }
        }
    }

    /// Hands a finished record to the processor. Blocks only if the processor has fallen a
    /// whole queue behind, which is back-pressure rather than data loss.
    #[inline]
    pub fn submit(&self, record: Box<RequestRecord>) {
        match self.done.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(record)) => {
                let _ = self.done.send(record);
            }
            // The processor is gone only when the run is being torn down.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

impl RecordSource {
    /// The next finished record, or `None` once every sink is gone and the queue is empty.
    /// Blocks, pausing [`DRAINED_PAUSE`] first whenever the queue has run dry.
    pub fn next(&self) -> Option<Box<RequestRecord>> {
        match self.done.try_recv() {
            Ok(record) => Some(record),
            Err(TryRecvError::Disconnected) => None,
            Err(TryRecvError::Empty) => {
                std::thread::sleep(DRAINED_PAUSE);
                self.done.recv().ok()
            }
        }
    }

    /// Like [`RecordSource::next`], but gives up at `deadline` (so the caller can do periodic
    /// work, such as flushing its output, while no record comes).
    pub fn next_until(&self, deadline: Instant) -> Result<Box<RequestRecord>, RecvTimeoutError> {
        match self.done.try_recv() {
            Ok(record) => Ok(record),
            Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => {
                std::thread::sleep(DRAINED_PAUSE);
                self.done.recv_deadline(deadline)
            }
        }
    }

    /// Returns a processed record for reuse.
    pub fn recycle(&self, mut record: Box<RequestRecord>) {
        record.reset();
        let _ = self.pool.try_send(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(sink: &RecordSink) -> Box<RequestRecord> {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(sink.take())
    }

    #[test]
    fn records_round_trip_and_are_reused() {
        let (sink, source) = channel(4);
        let mut record = take(&sink);
        record.status = 200;
        record.body.extend_from_slice(b"abc");
        let ptr = record.body.as_ptr();
        sink.submit(record);
        let got = source.next().unwrap();
        assert_eq!(got.status, 200);
        source.recycle(got);
        let again = take(&sink);
        assert_eq!(again.status, 0);
        assert!(again.body.is_empty());
        assert_eq!(
            again.body.as_ptr(),
            ptr,
            "the buffer is reused, not reallocated"
        );
    }

    #[test]
    fn next_returns_every_record_then_none_when_the_sinks_are_gone() {
        let (sink, source) = channel(8);
        let writer = std::thread::spawn(move || {
            for k in 0..5u16 {
                let mut record = take(&sink);
                record.status = k;
                sink.submit(record);
                std::thread::sleep(Duration::from_micros(300));
            }
        });
        let mut seen = Vec::new();
        while let Some(record) = source.next() {
            seen.push(record.status);
            source.recycle(record);
        }
        writer.join().unwrap();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_worker_waits_for_a_recycled_record_when_the_processor_is_behind() {
        let (sink, source) = channel(BACKLOG_BEFORE_WAIT + 1);
        for _ in 0..BACKLOG_BEFORE_WAIT {
            sink.submit(take(&sink));
        }
        let processor = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let first = source.done.recv().unwrap();
            let ptr = first.body.as_ptr() as usize;
            source.recycle(first);
            (ptr, source)
        });
        // The backlog is full, so this gets the record the processor recycles, not a new one.
        let record = take(&sink);
        let (ptr, _source) = processor.join().unwrap();
        assert_eq!(record.body.as_ptr() as usize, ptr);
    }
}
