//! The request loop: queues, HTTP client, SSE parsing, timestamps.
