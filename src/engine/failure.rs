//! How a request fails while it is read: the outcome and message a failure carries, and the
//! checks every reader shares (the response-size cap, a body cut short). Shared by the request
//! loop (`worker`) and the video job follower (`video_job`).

use super::client::ReadError;
use super::record::{Outcome, RequestRecord};
use crate::clock::now_ns;

/// How a request failed: its outcome and message.
pub(super) struct Failure {
    pub(super) outcome: Outcome,
    pub(super) message: String,
}

/// A connect, write or read failure.
pub(super) fn transport(message: String) -> Failure {
    Failure {
        outcome: Outcome::Transport,
        message,
    }
}

/// Counts one piece of body; fails the request, before the piece is kept, when the body
/// passes the cap. One comparison per read: no body is ever held beyond the cap, so an endless
/// or enormous reply costs at most `max_response_bytes` of memory.
#[inline]
pub(super) fn count_received(
    record: &mut RequestRecord,
    len: usize,
    max_bytes: u64,
) -> Result<(), Failure> {
    record.bytes_received += len as u64;
    record.chunks_received = record.chunks_received.saturating_add(1);
    if record.bytes_received <= max_bytes {
        return Ok(());
    }
    record.done_ns = now_ns();
    Err(Failure {
        outcome: Outcome::ResponseTooLarge,
        message: format!(
            "the response body passed --max-response-bytes ({max_bytes} bytes); the request \
             was stopped and its connection dropped"
        ),
    })
}

/// A body that could not be read to its end: the request ends now, as a transport error.
pub(super) fn body_failed(record: &mut RequestRecord, err: ReadError) -> Failure {
    record.done_ns = now_ns();
    transport(err.to_string())
}
