//! Caps on the size of what one input may ask for, so an absurd value is refused in one line
//! when the workload is built instead of growing until the machine runs out of memory
//! (docs/reliability.md, "Absurd sizes").

/// The most tokens one prompt may have: 1,048,576 (2^20), the context of the longest-context
/// models served today. Such a prompt is about 4 MB of text and takes a few hundred MB to cut
/// and count once; `--isl 1e12` or a trace row's `input_length: 1e9` would not fit.
pub const MAX_PROMPT_TOKENS: u32 = 1 << 20;

/// The longest line a JSONL or CSV input file (dataset, trace) may have: 64 MiB. A real row
/// (a long document, a base64 image) is far shorter; a 200 MB line is a broken or hostile
/// file whose parse and tokenization would take gigabytes.
pub const MAX_LINE_BYTES: usize = 64 << 20;
