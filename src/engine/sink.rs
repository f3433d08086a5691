//! Hand-off of finished records to the processor thread, and their recycling.
//!
//! Two bounded crossbeam channels: full records go to the processor, cleared ones come back.
//! A worker that finds the pool empty allocates a new record, so the number of records ever
//! allocated is bounded by what is in flight plus what the processor has queued.

use crossbeam::channel::{Receiver, Sender, TrySendError};

use crate::metrics::record::RequestRecord;

/// Typical response body and event counts, so records rarely grow after their first use.
const BODY_CAPACITY: usize = 4 * 1024;
const EVENT_CAPACITY: usize = 64;

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
    /// A cleared record, recycled when one is available.
    #[inline]
    pub fn take(&self) -> Box<RequestRecord> {
        self.pool.try_recv().unwrap_or_else(|_| {
            Box::new(RequestRecord::with_capacity(BODY_CAPACITY, EVENT_CAPACITY))
        })
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
    /// Returns a processed record for reuse.
    pub fn recycle(&self, mut record: Box<RequestRecord>) {
        record.reset();
        let _ = self.pool.try_send(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_are_reused() {
        let (sink, source) = channel(4);
        let mut record = sink.take();
        record.status = 200;
        record.body.extend_from_slice(b"abc");
        let ptr = record.body.as_ptr();
        sink.submit(record);
        let got = source.done.recv().unwrap();
        assert_eq!(got.status, 200);
        source.recycle(got);
        let again = sink.take();
        assert_eq!(again.status, 0);
        assert!(again.body.is_empty());
        assert_eq!(
            again.body.as_ptr(),
            ptr,
            "the buffer is reused, not reallocated"
        );
    }
}
