//! The routes of the non-generation endpoint types: the three rerank APIs and image
//! generation. Each reads the body, honours `fail_every`, answers from [`super::rankings`] or
//! [`super::images`], and counts what it served.

use std::time::{SystemTime, UNIX_EPOCH};

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::body::MockBody;
use super::handler::{
    bad_request, inference_seq_unless_failed, injected_500, read_body, respond, Shared, JSON,
};
use super::images::images_response;
use super::rankings::{rankings_response, RerankApi};

/// `/v1/ranking`, `/v1/rerank` (`/v2/rerank`) or `/rerank`, as `api` says.
pub(super) async fn rerank(
    shared: &Shared,
    req: Request<Incoming>,
    api: RerankApi,
) -> Response<MockBody> {
    let body = match read_body(req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    if shared.config.capture_requests {
        shared.stats.capture(&body);
    }
    match rankings_response(api, &body, shared.model_json()) {
        Err(msg) => bad_request(&shared.stats, &msg),
        Ok(_) if inference_seq_unless_failed(shared).is_none() => injected_500(),
        Ok((json, prompt_tokens)) => {
            shared.stats.record_tokens(prompt_tokens, 0);
            respond(StatusCode::OK, JSON, MockBody::full(json, None))
        }
    }
}

/// `/v1/images/generations`.
pub(super) async fn images(shared: &Shared, req: Request<Incoming>) -> Response<MockBody> {
    let body = match read_body(req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    if shared.config.capture_requests {
        shared.stats.capture(&body);
    }
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match images_response(&body, created) {
        Err(msg) => bad_request(&shared.stats, &msg),
        Ok(_) if inference_seq_unless_failed(shared).is_none() => injected_500(),
        Ok((json, images)) => {
            shared.stats.record_images(images);
            respond(StatusCode::OK, JSON, MockBody::full(json, None))
        }
    }
}
