//! HF `tokenizers` wrapper, corpus tokenization and exact-length prompts.
