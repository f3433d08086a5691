//! The routes of the non-generation endpoint types: embeddings (plain, NIM and chat-style),
//! the three rerank APIs and image generation. Each reads the body (kept when capturing),
//! honours `fail_every`, answers from [`super::embeddings`], [`super::rankings`] or
//! [`super::images`], and counts what it served.

use std::time::{SystemTime, UNIX_EPOCH};

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::body::MockBody;
use super::embeddings::embeddings_response;
use super::images::images_response;
use super::media_scan::scan_media;
use super::rankings::{rankings_response, RerankApi};
use super::reply::{bad_request, inference_seq, injected_500, read_body, respond, Served, JSON};

/// `/v1/embeddings`: `input` (OpenAI, NIM) or chat-style `messages` (vLLM), whose media
/// parts are checked and counted as chat's are.
pub(super) async fn embeddings(served: Served<'_>, req: Request<Incoming>) -> Response<MockBody> {
    let body = match captured_body(served, req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    let reply = embeddings_response(&body, served.model_json);
    if reply.is_ok() && memchr::memmem::find(&body, b"\"messages\"").is_some() {
        match scan_media(&body) {
            Ok(counts) => served.stats.record_media(counts),
            Err(err) => return bad_request(served.stats, &err.to_string()),
        }
    }
    answer(served, reply, |prompt_tokens| {
        served.stats.record_tokens(prompt_tokens, 0);
    })
}

/// `/v1/ranking`, `/v1/rerank` (`/v2/rerank`) or `/rerank`, as `api` says.
pub(super) async fn rerank(
    served: Served<'_>,
    req: Request<Incoming>,
    api: RerankApi,
) -> Response<MockBody> {
    let body = match captured_body(served, req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    answer(
        served,
        rankings_response(api, &body, served.model_json),
        |prompt_tokens| {
            served.stats.record_tokens(prompt_tokens, 0);
        },
    )
}

/// `/v1/images/generations`.
pub(super) async fn images(served: Served<'_>, req: Request<Incoming>) -> Response<MockBody> {
    let body = match captured_body(served, req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    answer(served, images_response(&body, created), |images| {
        served.stats.record_images(images);
    })
}

/// `POST /v1/videos`: a queued job whose id says when it was made (see `mock::videos`).
pub(super) async fn video_submit(
    served: Served<'_>,
    req: Request<Incoming>,
    started: std::time::Instant,
) -> Response<MockBody> {
    let body = match captured_body(served, req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    answer(
        served,
        super::videos::submit_response(&body, started.elapsed()),
        |()| {},
    )
}

/// `/v1/infer` (NIM image retrieval): its images count as image media parts.
pub(super) async fn infer(served: Served<'_>, req: Request<Incoming>) -> Response<MockBody> {
    let body = match captured_body(served, req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    answer(
        served,
        super::retrieval::retrieval_response(&body),
        |images| {
            served
                .stats
                .record_media(super::media_scan::MediaCounts([images, 0, 0]));
        },
    )
}

/// `/v1/images/edits`: a multipart form whose `image` part is counted as an image media part;
/// answered as `/v1/images/generations` is.
pub(super) async fn image_edits(served: Served<'_>, req: Request<Incoming>) -> Response<MockBody> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match captured_body(served, req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    answer(
        served,
        super::image_edit::edit_response(content_type.as_deref(), &body, created),
        |images| {
            served
                .stats
                .record_media(super::media_scan::MediaCounts([1, 0, 0]));
            served.stats.record_images(images);
        },
    )
}

/// The request body, kept when the mock captures requests; a body too large gets its 413.
async fn captured_body(
    served: Served<'_>,
    req: Request<Incoming>,
) -> Result<bytes::Bytes, Response<MockBody>> {
    let body = read_body(req).await?;
    if served.config.capture_requests {
        served.stats.capture(&body);
    }
    Ok(body)
}

/// A route's answer: 400 naming what is wrong with the request, the injected 500 when
/// `fail_every` says so, else the JSON after `count` has recorded what was served.
fn answer<T>(
    served: Served<'_>,
    reply: Result<(Vec<u8>, T), String>,
    count: impl FnOnce(T),
) -> Response<MockBody> {
    match reply {
        Err(msg) => bad_request(served.stats, &msg),
        Ok(_) if inference_seq(served.config, served.stats).is_none() => injected_500(),
        Ok((json, served_what)) => {
            count(served_what);
            respond(StatusCode::OK, JSON, MockBody::full(json, None))
        }
    }
}
