//! `benchmark.dataset` keys that stand for flag groups: a `type: file` dataset (AIPerf's
//! `path`, `format`, `block_size`, `synthesis`: `--input-file` and its companions),
//! `prefix_prompts` (`--prefix-prompt-*`) and `video` (`--video-*`). The walk checks types and
//! names only; values are checked where the flags' are (`settings`), so a bad value is refused
//! exactly like its flag, naming the file line.

use std::path::PathBuf;

use super::walk::{Section, Val, Walker};
use super::{SynthType, VideoCodec, VideoContainer};

/// `format` values of a file dataset, as AIPerf names them.
pub const FILE_FORMATS: &[&str] = &["single_turn", "multi_turn", "random_pool", "mooncake_trace"];
const SYNTHESIS_KEYS: &[&str] = &[
    "speedup_ratio",
    "prefix_len_multiplier",
    "prefix_root_multiplier",
    "prompt_len_multiplier",
    "max_isl",
    "output_len_multiplier",
    "max_osl",
];
const PREFIX_KEYS: &[&str] = &[
    "pool_size",
    "length",
    "shared_system_length",
    "user_context_length",
];
const VIDEO_KEYS: &[&str] = &[
    "batch_size",
    "duration",
    "fps",
    "width",
    "height",
    "format",
    "codec",
    "synth_type",
    "audio",
];

/// A `type: file` dataset's keys; `None` where the file is silent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileKeys {
    /// `path` (`--input-file`).
    pub path: Option<PathBuf>,
    /// `format` (`--custom-dataset-type`), one of [`FILE_FORMATS`].
    pub format: Option<String>,
    /// `block_size` (`--prompt-input-tokens-block-size`).
    pub block_size: Option<u32>,
    /// `synthesis.speedup_ratio`.
    pub speedup_ratio: Option<f64>,
    /// `synthesis.prefix_len_multiplier`.
    pub prefix_len_multiplier: Option<f64>,
    /// `synthesis.prefix_root_multiplier`.
    pub prefix_root_multiplier: Option<u32>,
    /// `synthesis.prompt_len_multiplier`.
    pub prompt_len_multiplier: Option<f64>,
    /// `synthesis.max_isl`.
    pub max_isl: Option<u32>,
}

/// `prefix_prompts`' pool; `None` where the file is silent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrefixKeys {
    /// `prefix_prompts.pool_size` (`--prefix-prompt-pool-size`).
    pub pool_size: Option<u32>,
    /// `prefix_prompts.length` (`--prefix-prompt-length`).
    pub length: Option<u32>,
}

/// `video`; `None` where the file is silent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoKeys {
    /// `video.width`.
    pub width: Option<u32>,
    /// `video.height`.
    pub height: Option<u32>,
    /// `video.fps`.
    pub fps: Option<u32>,
    /// `video.duration`, seconds.
    pub duration: Option<f64>,
    /// `video.synth_type`.
    pub synth_type: Option<SynthType>,
    /// `video.codec`.
    pub codec: Option<VideoCodec>,
    /// `video.format`.
    pub format: Option<VideoContainer>,
    /// `video.batch_size`.
    pub batch_size: Option<u32>,
}

/// A whole number that fits in u32 (range checks are the flag's, in `settings`).
fn whole_u32<'a>(w: &mut Walker<'a>, v: Val<'a>, path: &str) -> Option<u32> {
    let n = w.whole(v, path, 0)?;
    match u32::try_from(n) {
        Ok(n) => Some(n),
        Err(_) => {
            w.err(v.line, path, "too large; at most 4294967295");
            None
        }
    }
}

/// Reads `path`, `format`, `block_size` and `synthesis` of `benchmark.dataset`. `is_file` says
/// whether the dataset's `type` is `file`; these keys belong to that type only.
pub fn read_file_keys<'a>(w: &mut Walker<'a>, sec: &Section<'a>, is_file: bool) -> FileKeys {
    let mut out = FileKeys::default();
    for key in ["path", "format", "block_size", "synthesis"] {
        if let (Some(v), false) = (sec.get(key), is_file) {
            w.err(
                v.line,
                &sec.path_of(key),
                "belongs to a file dataset: write type: file (or leave the key out)",
            );
            return out;
        }
    }
    if !is_file {
        return out;
    }
    match sec.get("path") {
        Some(v) => out.path = w.string(v, &sec.path_of("path")).map(PathBuf::from),
        None => w.err(
            sec.line,
            &sec.path_of("path"),
            "missing; a file dataset needs path: (the file or folder, as --input-file)",
        ),
    }
    if let Some(v) = sec.get("format") {
        let p = sec.path_of("format");
        if let Some(format) = w.string(v, &p) {
            if FILE_FORMATS.contains(&format.as_str()) {
                out.format = Some(format);
            } else {
                w.err(
                    v.line,
                    &p,
                    format!(
                        "unknown format '{format}'; expected one of: {}",
                        FILE_FORMATS.join(", ")
                    ),
                );
            }
        }
    }
    if let Some(v) = sec.get("block_size") {
        out.block_size = whole_u32(w, v, &sec.path_of("block_size"));
    }
    let Some(v) = sec.get("synthesis") else {
        return out;
    };
    let Some(syn) = w.section(v, &sec.path_of("synthesis"), SYNTHESIS_KEYS) else {
        return out;
    };
    for key in ["output_len_multiplier", "max_osl"] {
        if let Some(v) = syn.get(key) {
            w.unsupported(
                v.line,
                &syn.path_of(key),
                "output-length synthesis is not supported yet; remove the key",
            );
        }
    }
    let number =
        |w: &mut Walker<'a>, key: &str| syn.get(key).and_then(|v| w.number(v, &syn.path_of(key)));
    out.speedup_ratio = number(w, "speedup_ratio");
    out.prefix_len_multiplier = number(w, "prefix_len_multiplier");
    out.prompt_len_multiplier = number(w, "prompt_len_multiplier");
    if let Some(v) = syn.get("prefix_root_multiplier") {
        out.prefix_root_multiplier = whole_u32(w, v, &syn.path_of("prefix_root_multiplier"));
    }
    if let Some(v) = syn.get("max_isl") {
        out.max_isl = whole_u32(w, v, &syn.path_of("max_isl"));
    }
    out
}

/// Reads `prefix_prompts: {pool_size, length}`; AIPerf's two-part prefix
/// (`shared_system_length`, `user_context_length`) is not built yet.
pub fn read_prefix<'a>(w: &mut Walker<'a>, sec: &Section<'a>) -> PrefixKeys {
    let mut out = PrefixKeys::default();
    let Some(v) = sec.get("prefix_prompts") else {
        return out;
    };
    let Some(p) = w.section(v, &sec.path_of("prefix_prompts"), PREFIX_KEYS) else {
        return out;
    };
    for key in ["shared_system_length", "user_context_length"] {
        if let Some(v) = p.get(key) {
            w.unsupported(
                v.line,
                &p.path_of(key),
                "the shared system prompt and per-session user context are not supported yet; \
                 use pool_size and length",
            );
        }
    }
    if let Some(v) = p.get("pool_size") {
        out.pool_size = whole_u32(w, v, &p.path_of("pool_size"));
    }
    if let Some(v) = p.get("length") {
        out.length = whole_u32(w, v, &p.path_of("length"));
    }
    out
}

/// Reads `video: {width, height, fps, duration, synth_type, codec, format, batch_size}`.
pub fn read_video<'a>(w: &mut Walker<'a>, sec: &Section<'a>) -> VideoKeys {
    let mut out = VideoKeys::default();
    let Some(v) = sec.get("video") else {
        return out;
    };
    let Some(s) = w.section(v, &sec.path_of("video"), VIDEO_KEYS) else {
        return out;
    };
    if let Some(v) = s.get("audio") {
        w.unsupported(
            v.line,
            &s.path_of("audio"),
            "an audio track inside the videos is not supported yet; remove the key",
        );
    }
    let whole =
        |w: &mut Walker<'a>, key: &str| s.get(key).and_then(|v| whole_u32(w, v, &s.path_of(key)));
    out.width = whole(w, "width");
    out.height = whole(w, "height");
    out.fps = whole(w, "fps");
    out.batch_size = whole(w, "batch_size");
    if let Some(v) = s.get("duration") {
        out.duration = w.number(v, &s.path_of("duration"));
    }
    let named = |w: &mut Walker<'a>, key: &str, names: &[&str]| -> Option<String> {
        let v = s.get(key)?;
        let p = s.path_of(key);
        let name = w.string(v, &p)?;
        if names.contains(&name.as_str()) {
            Some(name)
        } else {
            w.err(
                v.line,
                &p,
                format!(
                    "unknown value '{name}'; expected one of: {}",
                    names.join(", ")
                ),
            );
            None
        }
    };
    let synths = ["moving_shapes", "grid_clock", "noise"];
    out.synth_type = named(w, "synth_type", &synths).map(|n| match n.as_str() {
        "grid_clock" => SynthType::GridClock,
        "noise" => SynthType::Noise,
        _ => SynthType::MovingShapes,
    });
    let codecs: Vec<&str> = VideoCodec::ALL.iter().map(|c| c.ffmpeg_name()).collect();
    out.codec = named(w, "codec", &codecs).and_then(|n| VideoCodec::from_name(&n));
    out.format = named(w, "format", &["webm", "mp4"]).map(|n| match n.as_str() {
        "mp4" => VideoContainer::Mp4,
        _ => VideoContainer::Webm,
    });
    out
}
