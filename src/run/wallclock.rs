//! Wall-clock labels for artifacts (measurements use the monotonic clock).

/// Wall-clock time now as ISO-8601 UTC (labels only; measurements use the monotonic clock).
pub(super) fn local_iso_time() -> String {
    crate::clock::iso_utc(crate::clock::WallAnchor::now().epoch_ns)
}
