//! A built-in OpenAI-compatible server with a timing model.
