//! OpenAI's (and SGLang's) video jobs: `POST /v1/videos` answers a queued job, `GET
//! /v1/videos/{id}` its status, `in_progress` until `MockConfig::video_job` has passed since
//! the submit and `completed` after, and `GET /v1/videos/{id}/content` the video once done.
//!
//! Stateless: a job's id is the microsecond (since the server started) it was submitted, so
//! no table is kept and nothing locks. Off the hot path, so plain serde_json.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use super::body::MockBody;
use super::config::MockConfig;
use super::reply::{error_response, respond, JSON};

/// Bytes of the video the mock serves: an MP4 `ftyp` box and zeros.
pub(crate) const VIDEO_BYTES: usize = 32 * 1024;

/// The queued job for a submit `body`, made `since_start` after the server started. Errors
/// are 400 messages naming the field.
pub(crate) fn submit_response(body: &[u8], since_start: Duration) -> Result<(Vec<u8>, ()), String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    request
        .get("prompt")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or("`prompt` must be a non-empty string")?;
    let id = format!("video_{}", since_start.as_micros());
    let job = json!({
        "id": id,
        "object": "video",
        "model": request.get("model").cloned().unwrap_or(Value::Null),
        "status": "queued",
        "progress": 0,
        "created_at": unix_now(),
        "size": request.get("size").cloned().unwrap_or(json!("720x1280")),
        "seconds": request.get("seconds").cloned().unwrap_or(json!("4")),
    });
    Ok((serde_json::to_vec(&job).unwrap_or_default(), ()))
}

/// The answer to `GET /v1/videos/{job}` (or `…/content` when `content`).
pub(crate) fn job_answer(
    job: &str,
    content: bool,
    config: &MockConfig,
    started: std::time::Instant,
) -> Response<MockBody> {
    let Some(submitted) = job
        .strip_prefix("video_")
        .and_then(|us| us.parse::<u64>().ok())
        .map(Duration::from_micros)
    else {
        let message = format!("No video found with id '{job}'");
        return error_response(StatusCode::NOT_FOUND, &message, "invalid_request_error");
    };
    let age = started.elapsed().saturating_sub(submitted);
    let done = age >= config.video_job;
    if content {
        if !done {
            let message = format!("Video '{job}' is not completed yet");
            return error_response(StatusCode::NOT_FOUND, &message, "invalid_request_error");
        }
        let mut video = vec![0u8; VIDEO_BYTES];
        video[..12].copy_from_slice(b"\0\0\0\x0cftypisom");
        return respond(StatusCode::OK, "video/mp4", MockBody::full(video, None));
    }
    let progress = if done {
        100
    } else {
        (age.as_micros() * 100 / config.video_job.as_micros().max(1)) as u64
    };
    let mut answer = json!({
        "id": job,
        "object": "video",
        "model": config.model,
        "status": if done { "completed" } else { "in_progress" },
        "progress": progress,
    });
    if done {
        answer["completed_at"] = json!(unix_now());
    }
    let bytes = serde_json::to_vec(&answer).unwrap_or_default();
    respond(StatusCode::OK, JSON, MockBody::full(bytes, None))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_queued_then_in_progress_then_completed() {
        let (bytes, ()) = submit_response(
            br#"{"model":"v","prompt":"a cat"}"#,
            Duration::from_micros(1234),
        )
        .unwrap();
        let job: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(job["id"], "video_1234");
        assert_eq!(job["status"], "queued");
        assert!(submit_response(br#"{"model":"v"}"#, Duration::ZERO)
            .unwrap_err()
            .contains("prompt"));
    }
}
