//! `video_generation` (OpenAI's and SGLang's `/v1/videos`, as AIPerf drives it): the submit
//! answers with a job, which the worker polls with `GET {path}/{id}` on its own connection
//! until the job's `status` is `completed` or `failed`; with `--download-video-content` it
//! then fetches the video. One request is the whole job: its latency runs from the submit to
//! the last byte of the last step, and the request's time limit covers all of it.
//!
//! Polls come seconds apart, so each renders its request per call; replies are read with the
//! allocation-free walker, never parsed.

use super::client::{connect, Connection, ReadError, Target};
use super::failure::{body_failed, count_received, transport, Failure};
use super::http1::ContentCoding;
use super::json_walk::top_level;
use super::record::{EventMark, Outcome, RequestRecord};
use crate::clock::now_ns;
use crate::config::VideoJobPlan;

/// The run's limits a job's steps obey, as the submit did.
pub(super) struct Limits {
    /// For connecting anew.
    pub(super) timeout: std::time::Duration,
    /// `--max-response-bytes`, over all of a job's replies together.
    pub(super) max_response_bytes: u64,
}

/// Follows the job whose submit reply is in `record.body`. On success the body holds the
/// completed job as the last poll returned it.
pub(super) async fn follow(
    limits: &Limits,
    target: &Target,
    slot: &mut Option<Connection>,
    record: &mut RequestRecord,
    plan: &VideoJobPlan,
) -> Result<(), Failure> {
    let id = job_id(&record.body)?;
    let (base, query) = split_query(&target.path);
    let job_path = format!("{}/{id}", base.trim_end_matches('/'));
    let poll = target.get_request(&format!("{job_path}{query}"));
    // As AIPerf: the first poll right after the submit, then one per interval. A server that
    // finishes at once may answer the submit with the completed job.
    let mut first = true;
    while !is_status(&record.body, "completed") {
        if is_status(&record.body, "failed") {
            return Err(job_failed(&record.body));
        }
        if !first {
            tokio::time::sleep(plan.poll_interval).await;
        }
        first = false;
        get(limits, target, slot, &poll, record, Keep::Reply).await?;
    }
    if plan.download_content {
        let path = download_path(&record.body, target, &job_path, query)?;
        let request = target.get_request(&path);
        get(limits, target, slot, &request, record, Keep::Count).await?;
    }
    Ok(())
}

/// What [`get`] does with the reply's body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Replace the record's body with it (a job status).
    Reply,
    /// Count its bytes only (the video).
    Count,
}

/// One `GET` on the worker's connection (a new one when there is none, or when the kept one
/// turns out closed before answering). A non-2xx answer fails the request.
async fn get(
    limits: &Limits,
    target: &Target,
    slot: &mut Option<Connection>,
    request: &[u8],
    record: &mut RequestRecord,
    keep: Keep,
) -> Result<(), Failure> {
    if slot.as_mut().is_some_and(Connection::peer_closed) {
        *slot = None;
    }
    let mut reused = slot.is_some();
    let reusable = loop {
        let conn = match slot {
            Some(conn) => conn,
            None => slot.insert(connect(target, limits.timeout).await.map_err(transport)?),
        };
        conn.uses += 1;
        let answer = match conn.send_rendered(request).await {
            Ok(()) => conn.read_head().await,
            Err(failed) => conn.read_head().await.map_err(|_| failed),
        };
        let (head, _) = match answer {
            Ok(answer) => answer,
            Err(ReadError::NothingReceived(_)) if reused => {
                // The kept-alive connection closed between two polls: once more, anew.
                *slot = None;
                reused = false;
                continue;
            }
            Err(e) => return Err(transport(e.to_string())),
        };
        record.status = head.status;
        let success = (200..300).contains(&head.status);
        if success && head.coding != ContentCoding::Identity {
            return Err(Failure {
                outcome: Outcome::EncodedResponse,
                message: format!(
                    "the video job reply came compressed (Content-Encoding: {})",
                    head.coding.name()
                ),
            });
        }
        if keep == Keep::Reply || !success {
            record.body.clear();
        }
        let mut framing = head.framing;
        let mut last_ts = now_ns();
        while let Some((piece, ts)) = conn
            .next_body(&mut framing)
            .await
            .map_err(|e| body_failed(record, e))?
        {
            last_ts = ts;
            let data = conn.bytes(piece);
            count_received(record, data.len(), limits.max_response_bytes)?;
            if keep == Keep::Reply || !success {
                record.body.extend_from_slice(data);
            }
        }
        record.done_ns = last_ts.max(now_ns());
        if !success {
            let text = String::from_utf8_lossy(&record.body[..record.body.len().min(300)]);
            let step = if keep == Keep::Reply {
                "polling the video job"
            } else {
                "downloading the video"
            };
            return Err(Failure {
                outcome: Outcome::HttpError,
                message: format!("HTTP {} {step}: {}", head.status, text.trim()),
            });
        }
        break conn.reusable_after(&head);
    };
    if keep == Keep::Reply {
        // The record keeps the last reply only, as one event.
        record.events.clear();
        record.events.push(EventMark {
            end: record.body.len() as u64,
            ts_ns: record.done_ns,
        });
    }
    if !reusable {
        *slot = None;
    }
    Ok(())
}

/// The job's id from the submit reply: a JSON string that can go in a URL path as it is.
fn job_id(body: &[u8]) -> Result<String, Failure> {
    let unsafe_id = |shown: &[u8]| Failure {
        outcome: Outcome::JobFailed,
        message: format!(
            "the video job id {} cannot go in a URL path",
            String::from_utf8_lossy(&shown[..shown.len().min(80)])
        ),
    };
    let Some(raw) = top_level(body, "id") else {
        return Err(Failure {
            outcome: Outcome::JobFailed,
            message: "the video job reply has no \"id\" to poll".into(),
        });
    };
    let inner = raw
        .strip_prefix(b"\"")
        .and_then(|r| r.strip_suffix(b"\""))
        .ok_or_else(|| unsafe_id(raw))?;
    let unreserved = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if inner.is_empty() || !inner.iter().all(unreserved) {
        return Err(unsafe_id(raw));
    }
    Ok(String::from_utf8_lossy(inner).into_owned())
}

/// Whether the job's top-level `status` is `want` (`""`: whether it has no status at all).
fn is_status(body: &[u8], want: &str) -> bool {
    match top_level(body, "status") {
        Some(raw) => {
            raw.len() == want.len() + 2
                && raw.starts_with(b"\"")
                && &raw[1..=want.len()] == want.as_bytes()
        }
        None => want.is_empty(),
    }
}

/// The failure of a job the server reported `failed`, with its `error.message` (or `error`).
fn job_failed(body: &[u8]) -> Failure {
    let error = top_level(body, "error");
    let message = error
        .and_then(|e| top_level(e, "message"))
        .or(error)
        .map(|m| {
            m.strip_prefix(b"\"")
                .and_then(|m| m.strip_suffix(b"\""))
                .unwrap_or(m)
        })
        .filter(|m| !m.is_empty() && *m != b"null")
        .unwrap_or(b"no error message");
    Failure {
        outcome: Outcome::JobFailed,
        message: format!(
            "video generation failed: {}",
            String::from_utf8_lossy(&message[..message.len().min(300)])
        ),
    }
}

/// `path` split into the path and its `?query` (empty when none).
fn split_query(path: &str) -> (&str, &str) {
    match path.find('?') {
        Some(at) => path.split_at(at),
        None => (path, ""),
    }
}

/// Where the finished video is: the job's `url` when it names this server (a path, or an
/// absolute URL of the same scheme and host), else `{job}/content` as OpenAI serves it. A
/// `url` on another host is refused: the benchmark measures the server, and the request's
/// credentials must not travel to a host the server chose.
fn download_path(
    body: &[u8],
    target: &Target,
    job_path: &str,
    query: &str,
) -> Result<String, Failure> {
    let url = top_level(body, "url")
        .and_then(|u| u.strip_prefix(b"\"").and_then(|u| u.strip_suffix(b"\"")))
        .filter(|u| !u.is_empty());
    let Some(url) = url else {
        return Ok(format!("{job_path}/content{query}"));
    };
    let url = String::from_utf8_lossy(url).replace("\\/", "/");
    if url.starts_with('/') && !url.starts_with("//") {
        return Ok(url);
    }
    let scheme = if target.https { "https://" } else { "http://" };
    let host = target
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or(&target.host);
    if let Some(rest) = url.strip_prefix(scheme) {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.eq_ignore_ascii_case(host) {
            return Ok(if path.is_empty() {
                "/".into()
            } else {
                path.into()
            });
        }
    }
    let shown = url.split(['?', '#']).next().unwrap_or_default();
    let shown: String = shown.chars().take(120).collect();
    Err(Failure {
        outcome: Outcome::JobFailed,
        message: format!(
            "the video is at {shown}, not on the benchmarked server; --download-video-content \
             fetches from the server's own origin only"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_must_fit_a_url_path() {
        assert_eq!(
            job_id(br#"{"id":"video_12-a.b~c","status":"queued"}"#).ok(),
            Some("video_12-a.b~c".into())
        );
        for bad in [
            &br#"{"status":"queued"}"#[..],
            br#"{"id":"../admin"}"#,
            br#"{"id":"a b"}"#,
            br#"{"id":""}"#,
            br#"{"id":7}"#,
        ] {
            let failure = job_id(bad).unwrap_err();
            assert_eq!(failure.outcome, Outcome::JobFailed, "{}", failure.message);
        }
        // A nested id is not the job's.
        assert!(job_id(br#"{"data":{"id":"x"}}"#).is_err());
    }

    #[test]
    fn status_is_read_at_the_top_level_only() {
        let body = br#"{"id":"v","status":"in_progress","error":{"status":"completed"}}"#;
        assert!(is_status(body, "in_progress"));
        assert!(!is_status(body, "completed"));
        assert!(!is_status(body, ""));
        assert!(is_status(br#"{"id":"v"}"#, ""));
        assert!(!is_status(
            br#"{"id":"v","status":"completedX"}"#,
            "completed"
        ));
    }

    #[test]
    fn a_failed_job_says_the_servers_message() {
        let f = job_failed(
            br#"{"id":"v","status":"failed","error":{"code":"x","message":"out of memory"}}"#,
        );
        assert_eq!(f.message, "video generation failed: out of memory");
        let f = job_failed(br#"{"id":"v","status":"failed","error":"bad prompt"}"#);
        assert_eq!(f.message, "video generation failed: bad prompt");
        let f = job_failed(br#"{"id":"v","status":"failed","error":null}"#);
        assert_eq!(f.message, "video generation failed: no error message");
    }

    fn target(url: &str) -> Target {
        let url = crate::config::ServerUrl::parse(url).unwrap();
        Target::new(
            &url,
            crate::config::EndpointType::VideoGeneration,
            "/v1/videos",
            false,
            None,
            &[],
        )
        .unwrap()
    }

    #[test]
    fn downloads_stay_on_the_servers_origin() {
        let t = target("http://127.0.0.1:8123");
        let job = "/v1/videos/v1";
        let path = |body: &[u8]| download_path(body, &t, job, "");
        assert_eq!(
            path(br#"{"id":"v1"}"#).ok(),
            Some("/v1/videos/v1/content".into())
        );
        assert_eq!(
            path(br#"{"url":null}"#).ok(),
            Some("/v1/videos/v1/content".into())
        );
        assert_eq!(
            path(br#"{"url":"/files/v1.mp4"}"#).ok(),
            Some("/files/v1.mp4".into())
        );
        assert_eq!(
            path(br#"{"url":"http:\/\/127.0.0.1:8123\/files\/v1.mp4?sig=1"}"#).ok(),
            Some("/files/v1.mp4?sig=1".into())
        );
        let foreign =
            path(br#"{"url":"https://bucket.example/v1.mp4?X-Signature=secret"}"#).unwrap_err();
        assert_eq!(foreign.outcome, Outcome::JobFailed);
        assert!(
            foreign.message.contains("https://bucket.example/v1.mp4"),
            "{}",
            foreign.message
        );
        assert!(!foreign.message.contains("secret"), "{}", foreign.message);
        assert!(path(br#"{"url":"//evil.example/x"}"#).is_err());
        assert!(
            path(br#"{"url":"https://127.0.0.1:8123/x"}"#).is_err(),
            "another scheme is another origin"
        );
    }

    #[test]
    fn get_requests_carry_the_targets_headers_but_no_content_type() {
        let t = target("http://127.0.0.1:8123");
        let request = String::from_utf8(t.get_request("/v1/videos/v1")).unwrap();
        assert!(
            request.starts_with("GET /v1/videos/v1 HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(request.contains("host: 127.0.0.1:8123\r\n"), "{request}");
        assert!(
            !request.to_ascii_lowercase().contains("content-type"),
            "{request}"
        );
        assert!(request.ends_with("\r\n\r\n"));
    }
}
