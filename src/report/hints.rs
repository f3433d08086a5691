//! One-line hints under the console's error summary, for failures whose fix is a flag.

use crate::config::ENDPOINT_TYPE_NAMES;
use crate::metrics::Summary;

/// The hint lines for `summary`'s errors (each ends with a newline); empty when none apply.
pub(super) fn render(summary: &Summary) -> String {
    let not_found = summary.errors.iter().any(|e| e.error.code == Some(404));
    if !not_found {
        return String::new();
    }
    format!(
        "hint: HTTP 404 means the server has no such path: try another --endpoint-type ({}) or give the server's own path with --custom-endpoint PATH\n",
        ENDPOINT_TYPE_NAMES.join(", ")
    )
}
