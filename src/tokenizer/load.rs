//! Parsing `tokenizer.json` for BPE models without `tokenizers`' slowest step.
//!
//! `tokenizers::Tokenizer::from_bytes` reads the `model` object through an untagged enum and a
//! flattened `serde_json::Value`, so Qwen2.5's 150k-entry vocabulary and 150k merges are
//! buffered as JSON values twice before the model is built from them: ~200 ms, most of a cold
//! start. The BPE model's own deserializer reads the JSON directly. [`parse`] does what
//! `tokenizers`' own visitor does, field by field (the same builder, the same component types,
//! the added tokens added the same way), but hands the `model` text straight to that
//! deserializer. Anything it does not take (another model type, an error of any kind) goes
//! through `from_bytes`, which also words the error.

use serde::Deserialize;
use serde_json::value::RawValue;
use tokenizers::models::bpe::BPE;
use tokenizers::{
    AddedToken, DecoderWrapper, ModelWrapper, NormalizerWrapper, PostProcessorWrapper,
    PreTokenizerWrapper, TokenizerBuilder,
};

/// The top level of `tokenizer.json`, each part kept as its JSON text.
#[derive(Deserialize)]
struct Parts<'a> {
    version: Option<String>,
    #[serde(borrow)]
    model: &'a RawValue,
    #[serde(borrow, default)]
    truncation: Option<&'a RawValue>,
    #[serde(borrow, default)]
    padding: Option<&'a RawValue>,
    #[serde(borrow, default)]
    added_tokens: Option<&'a RawValue>,
    #[serde(borrow, default)]
    normalizer: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pre_tokenizer: Option<&'a RawValue>,
    #[serde(borrow, default)]
    post_processor: Option<&'a RawValue>,
    #[serde(borrow, default)]
    decoder: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct AddedTokenWithId {
    #[allow(dead_code)]
    id: u32,
    #[serde(flatten)]
    token: AddedToken,
}

/// The tokenizer in `bytes`, exactly as `tokenizers::Tokenizer::from_bytes` builds it.
pub(super) fn parse(bytes: &[u8]) -> tokenizers::Result<tokenizers::Tokenizer> {
    match parse_bpe(bytes) {
        Some(tokenizer) => Ok(tokenizer),
        None => tokenizers::Tokenizer::from_bytes(bytes),
    }
}

/// `None` unless the model is BPE and every part parses.
fn parse_bpe(bytes: &[u8]) -> Option<tokenizers::Tokenizer> {
    let parts: Parts = serde_json::from_slice(bytes).ok()?;
    if parts.version.as_deref().is_some_and(|v| v != "1.0") {
        return None;
    }
    let model: BPE = serde_json::from_str(parts.model.get()).ok()?;
    let builder = TokenizerBuilder::<
        ModelWrapper,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    >::new()
    .with_model(model.into())
    .with_normalizer(part(parts.normalizer)?)
    .with_pre_tokenizer(part(parts.pre_tokenizer)?)
    .with_post_processor(part(parts.post_processor)?)
    .with_decoder(part(parts.decoder)?)
    .with_truncation(part(parts.truncation)?)
    .with_padding(part(parts.padding)?);
    let mut tokenizer: tokenizers::Tokenizer = builder.build().ok()?.into();
    let added: Vec<AddedTokenWithId> = part(parts.added_tokens)?.unwrap_or_default();
    let added: Vec<AddedToken> = added.into_iter().map(|t| t.token).collect();
    tokenizer.add_tokens(&added);
    Some(tokenizer)
}

/// A part that may be absent or `null`; `None` when it does not parse.
fn part<T: for<'de> Deserialize<'de>>(raw: Option<&RawValue>) -> Option<Option<T>> {
    match raw {
        None => Some(None),
        Some(raw) => serde_json::from_str(raw.get()).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::{asset_path, BUILTIN_TOKENIZER};

    #[test]
    fn the_builtin_tokenizer_parses_to_what_tokenizers_builds() {
        let bytes = std::fs::read(asset_path(BUILTIN_TOKENIZER).unwrap()).unwrap();
        let fast = parse_bpe(&bytes).expect("the BPE path takes Qwen2.5");
        let reference = tokenizers::Tokenizer::from_bytes(&bytes).unwrap();
        // Serialized, they agree on every vocabulary entry, merge, added token and component.
        assert_eq!(
            serde_json::to_string(&fast).unwrap(),
            serde_json::to_string(&reference).unwrap()
        );
        let text = "Shall I compare thee <|im_start|> to a summer's day? 1234 東京";
        assert_eq!(
            fast.encode(text, false).unwrap().get_ids(),
            reference.encode(text, false).unwrap().get_ids()
        );
    }

    #[test]
    fn other_models_and_bad_files_take_the_tokenizers_path() {
        let word_level = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
            "normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,
            "decoder":null,"model":{"type":"WordLevel","vocab":{"[UNK]":0,"a":1},
            "unk_token":"[UNK]"}}"#;
        assert!(parse_bpe(word_level.as_bytes()).is_none());
        assert!(parse(word_level.as_bytes()).is_ok());
        assert!(parse_bpe(b"{not json").is_none());
        assert!(parse(b"{not json").is_err());
        let future = word_level.replace("\"1.0\"", "\"9.9\"");
        assert!(parse(future.as_bytes()).is_err());
    }
}
