//! Before the clock: which model a server serves (`--model` left out: its first `/v1/models`
//! entry), and the readiness wait (`--wait-for-model-*`): every server is asked until it serves
//! the model, with one progress line per attempt on stderr, or the run fails in one line naming
//! what was last seen.
//!
//! Both use the small blocking HTTP/1.1 client telemetry scrapes with (plain `http://` only);
//! none of this is on the request path.

use std::time::{Duration, Instant};

use crate::config::{EndpointType, Plan, ServerUrl, WaitForModel, WaitMode};
use crate::engine::tls::TlsClient;
use crate::media::MediaPart;
use crate::payload::{render_body_with_media, RenderOptions};
use crate::telemetry::http_get::{self, Reply, Request};

/// A 1×1 PNG: the image of an `image_retrieval` readiness probe, whose body has no text, and
/// the image an `image_edit` probe asks to edit.
const PROBE_PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/// Longest one discovery or readiness attempt may take.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(30);

/// Why the model could not be found or the servers were not ready.
#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    /// `--model` left out and the server's model list could not be used.
    #[error("--model not given and {url}/v1/models {cause}; pass --model NAME")]
    Discovery {
        /// The server (no credentials).
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// The wait ran out.
    #[error("--wait-for-model-timeout: {url} did not serve {model} within {secs} s ({mode} check, {attempts} attempts); last seen: {last}")]
    NotReady {
        /// The server (no credentials).
        url: String,
        /// The model waited for.
        model: String,
        /// The timeout.
        secs: f64,
        /// `models`, `inference` or `both`.
        mode: &'static str,
        /// Attempts made on this server.
        attempts: u32,
        /// The last answer or error.
        last: String,
    },
}

/// A server as shown in messages: scheme, host, port and base path, never credentials.
pub fn shown(url: &ServerUrl) -> String {
    let scheme = if url.tls { "https" } else { "http" };
    format!("{scheme}://{}:{}{}", url.host, url.port, url.base_path)
}

/// The headers every probe carries: auth (URL userinfo, `--api-key`) and the user's headers.
fn probe_headers(plan: &Plan, url: &ServerUrl, json: bool) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if json {
        let content_type = match plan.endpoint {
            EndpointType::ImageEdit => crate::payload::multipart::CONTENT_TYPE,
            _ => "application/json",
        };
        headers.push(("Content-Type".to_string(), content_type.to_string()));
    }
    if let Some(basic) = &url.basic_auth {
        headers.push(("Authorization".to_string(), basic.0.clone()));
    }
    if let Some(key) = &plan.api_key {
        headers.retain(|(n, _)| n != "Authorization");
        headers.push(("Authorization".to_string(), format!("Bearer {key}")));
    }
    for (name, value) in &plan.headers {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value.clone()));
    }
    headers
}

/// One request to `url` at `path` (under its base path, with its query).
fn exchange(
    plan: &Plan,
    url: &ServerUrl,
    method: &str,
    path: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<Reply, String> {
    let authority = format!("{}:{}", url.host, url.port);
    let full_path = format!("{}{}{}", url.base_path, path, url.query);
    let headers = probe_headers(plan, url, method == "POST");
    let tls = match url.tls {
        true => Some(TlsClient::new(&plan.tls).map_err(|e| e.to_string())?),
        false => None,
    };
    let request = Request {
        method,
        authority: &authority,
        path: &full_path,
        headers: &headers,
        body,
        tls: tls.as_ref().map(TlsClient::config),
    };
    http_get::send(&request, timeout)
}

/// The model ids of a `/v1/models` answer (OpenAI's `{"data":[{"id":…},…]}`), in order.
pub fn model_ids(body: &[u8]) -> Result<Vec<String>, String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("is not JSON ({e}); expected {{\"data\":[{{\"id\":…}}]}}"))?;
    let data = value
        .get("data")
        .and_then(|d| d.as_array())
        .ok_or("has no \"data\" list; expected {\"data\":[{\"id\":…}]}")?;
    Ok(data
        .iter()
        .filter_map(|m| m.get("id").and_then(|id| id.as_str()))
        .map(str::to_string)
        .collect())
}

/// The first model `GET /v1/models` lists on the plan's first server (the plan's own model
/// is a placeholder here). With `--wait-for-model-timeout`, a server that does not list one
/// yet is asked again every interval until the timeout, as the readiness wait does.
pub fn discover_model(plan: &Plan) -> Result<String, ReadyError> {
    let Some(url) = plan.urls.first() else {
        return Err(ReadyError::Discovery {
            url: "(no --url)".into(),
            cause: "cannot be asked".into(),
        });
    };
    let ask = |timeout: Duration| -> Result<String, String> {
        let reply = exchange(plan, url, "GET", "/v1/models", &[], timeout)
            .map_err(|e| format!("could not be read: {e}"))?;
        if reply.status != 200 {
            return Err(format!("answered HTTP {}", reply.status));
        }
        model_ids(&reply.body)?
            .into_iter()
            .next()
            .ok_or_else(|| "lists no models".to_string())
    };
    let limit = plan.request_timeout.min(ATTEMPT_LIMIT);
    let found = match &plan.wait_for_model {
        None => ask(limit),
        Some(wait) => poll(&shown(url), "a model", wait, Instant::now(), |left| {
            ask(left.min(limit))
        })
        .map(|(model, _)| model)
        .map_err(|(attempts, last)| {
            format!(
                "{last} (still, after {attempts} attempts in {} s)",
                wait.timeout.as_secs_f64()
            )
        }),
    };
    found.map_err(|cause| ReadyError::Discovery {
        url: shown(url),
        cause,
    })
}

/// Calls `attempt` (with the time left) until it succeeds or `wait.timeout` after `start`
/// has passed, pausing `wait.interval` between attempts and printing one progress line per
/// failed attempt, at most one every 2 s. `Ok` holds the value and the attempts made, `Err`
/// the attempts made and the last failure.
fn poll<T>(
    server: &str,
    what: &str,
    wait: &WaitForModel,
    start: Instant,
    mut attempt: impl FnMut(Duration) -> Result<T, String>,
) -> Result<(T, u32), (u32, String)> {
    let deadline = start + wait.timeout;
    let mut attempts = 0u32;
    let mut last_line: Option<Instant> = None;
    let mut last = String::from("no attempt fitted in the time");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err((attempts, last));
        }
        attempts += 1;
        match attempt(left) {
            Ok(value) => return Ok((value, attempts)),
            Err(seen) => last = seen,
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if last_line.is_none_or(|t| t.elapsed() >= Duration::from_secs(2)) {
            eprintln!(
                "waiting for {what} on {server}: {last} (attempt {attempts}, {:.1} of {:.0} s)",
                start.elapsed().as_secs_f64(),
                wait.timeout.as_secs_f64()
            );
            last_line = Some(Instant::now());
        }
        std::thread::sleep(wait.interval.min(left));
    }
}

/// What one attempt on one server saw: `Ok` when it is ready.
fn attempt(plan: &Plan, url: &ServerUrl, mode: WaitMode, timeout: Duration) -> Result<(), String> {
    if matches!(mode, WaitMode::Models | WaitMode::Both) {
        let reply = exchange(plan, url, "GET", "/v1/models", &[], timeout)?;
        if reply.status != 200 {
            let hint = if reply.status == 404 {
                " (the server has no /v1/models: try --wait-for-model-mode inference)"
            } else {
                ""
            };
            return Err(format!("GET /v1/models: HTTP {}{hint}", reply.status));
        }
        let ids = model_ids(&reply.body).map_err(|e| format!("GET /v1/models {e}"))?;
        if let Some(missing) = plan.models.names.iter().find(|m| !ids.contains(m)) {
            return Err(format!(
                "GET /v1/models lists {} but not {missing}",
                if ids.is_empty() {
                    "no models".to_string()
                } else {
                    ids.join(", ")
                }
            ));
        }
    }
    if matches!(mode, WaitMode::Inference | WaitMode::Both) {
        let path = plan.request_path();
        for model in &plan.models.names {
            let opts = RenderOptions {
                model: model.clone(),
                endpoint: plan.endpoint,
                streaming: false,
                extra_inputs: plan.extra_inputs.clone(),
                output_length: plan.output_length.clone(),
            };
            let probe_image = [MediaPart::Image {
                url: PROBE_PNG.into(),
            }];
            let media: &[MediaPart] = match plan.endpoint {
                EndpointType::ImageRetrieval => &probe_image,
                _ => &[],
            };
            let body = if plan.endpoint == EndpointType::ImageEdit {
                crate::payload::multipart::render(&opts, "Hi", &probe_image)
                    .map_err(|e| e.to_string())?
            } else {
                render_body_with_media(&opts, "Hi", Some(1), media)
            };
            let reply = exchange(plan, url, "POST", path, &body, timeout)?;
            if !(200..300).contains(&reply.status) {
                return Err(format!("POST {path}: HTTP {}", reply.status));
            }
        }
    }
    Ok(())
}

/// Waits until every server of `plan` serves its model(s), or fails after `wait.timeout`
/// (one deadline for all servers). Prints one line per failed attempt (at most one every
/// 2 s) and one when each server is ready.
pub fn wait_for_model(plan: &Plan, wait: &WaitForModel) -> Result<(), ReadyError> {
    let start = Instant::now();
    let model = plan.models.names.join(", ");
    for url in &plan.urls {
        let limit = plan.request_timeout.min(ATTEMPT_LIMIT);
        let polled = poll(&shown(url), &model, wait, start, |left| {
            attempt(plan, url, wait.mode, left.min(limit))
        });
        match polled {
            Ok(((), attempts)) => eprintln!(
                "model {model} ready on {} after {:.1} s ({attempts} attempt{})",
                shown(url),
                start.elapsed().as_secs_f64(),
                if attempts == 1 { "" } else { "s" }
            ),
            Err((attempts, last)) => {
                return Err(ReadyError::NotReady {
                    url: shown(url),
                    model,
                    secs: wait.timeout.as_secs_f64(),
                    mode: wait.mode.name(),
                    attempts,
                    last,
                })
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_read_openai_lists_and_name_what_is_wrong() {
        let ids = model_ids(br#"{"object":"list","data":[{"id":"a"},{"id":"b"}]}"#).unwrap();
        assert_eq!(ids, ["a", "b"]);
        assert!(model_ids(br#"{"data":[]}"#).unwrap().is_empty());
        assert!(model_ids(b"<html>").unwrap_err().contains("not JSON"));
        assert!(model_ids(br#"{"models":[]}"#)
            .unwrap_err()
            .contains("\"data\""));
    }
}
