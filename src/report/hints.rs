//! One-line hints under the console's error summary, for failures whose fix is a flag.

use crate::config::EndpointType;
use crate::metrics::Summary;

/// Every endpoint type, in `--endpoint-type` order.
const ENDPOINT_TYPES: &[EndpointType] = &[
    EndpointType::Chat,
    EndpointType::Completions,
    EndpointType::Embeddings,
];

/// The `--endpoint-type` value of `endpoint`. The match has no wildcard, so a new type fails
/// to compile here until it is named (and added to [`ENDPOINT_TYPES`]).
fn flag_value(endpoint: EndpointType) -> &'static str {
    match endpoint {
        EndpointType::Chat => "chat",
        EndpointType::Completions => "completions",
        EndpointType::Embeddings => "embeddings",
    }
}

/// The hint lines for `summary`'s errors (each ends with a newline); empty when none apply.
pub(super) fn render(summary: &Summary) -> String {
    let not_found = summary.errors.iter().any(|e| e.error.code == Some(404));
    if !not_found {
        return String::new();
    }
    let types: Vec<&str> = ENDPOINT_TYPES.iter().map(|&e| flag_value(e)).collect();
    format!(
        "hint: HTTP 404 means the server has no such path: try another --endpoint-type ({}) or give the server's own path with --custom-endpoint PATH\n",
        types.join(", ")
    )
}
