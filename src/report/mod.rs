//! Console tables and AIPerf-compatible exports.
