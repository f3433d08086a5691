//! What the run's synthetic media looks like, resolved from flags and the config file. It lives
//! in config (the Plan carries it); media reads it.

use crate::dist::DistSpec;

/// Images and audio clips attached to each request; both `None` sends text only.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MediaPlan {
    /// Synthetic images, when both size means are > 0.
    pub images: Option<ImagePlan>,
    /// Synthetic audio clips, when the length mean is > 0.
    pub audio: Option<AudioPlan>,
}

impl MediaPlan {
    /// Whether any request carries media (the text-only path skips all media work).
    pub fn is_enabled(&self) -> bool {
        self.images.is_some() || self.audio.is_some()
    }
}

/// How images are drawn and encoded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImagePlan {
    /// Width in pixels (AIPerf's `--image-width-mean/--image-width-stddev`); draws below 1
    /// become 1.
    pub width: DistSpec,
    /// Height in pixels.
    pub height: DistSpec,
    /// Encoding of each image.
    pub format: ImageFormatChoice,
    /// Images per request.
    pub batch_size: u32,
    /// Where each image's pixels come from (`--image-source`).
    pub source: ImageSource,
    /// How a finite pool of source images is walked (`--image-source-sampling`).
    pub sampling: SourceSampling,
}

/// `--image-source`: what each image is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageSource {
    /// The built-in photos, each image stamped with a mark of its own (a function of the seed
    /// and the image's number), so no two images of a run are alike: servers that cache
    /// multimodal inputs by hash see every image as new (gauntlet's default).
    #[default]
    Stamped,
    /// The built-in photos as they are (AIPerf's `assets`): images of one size and format
    /// repeat, as in AIPerf.
    Assets,
    /// Uniform random pixels, drawn per image (AIPerf's `noise`); nearly incompressible.
    Noise,
}

/// `--image-source-sampling`: how a source photo is picked for each image (AIPerf's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceSampling {
    /// Each image draws its photo independently; repeats may come at once.
    #[default]
    RandomWithReplacement,
    /// Every photo once per shuffled cycle, reshuffled after each cycle.
    ShuffleCycle,
    /// The photos in order, wrapping around.
    SequentialCycle,
}

/// `--image-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormatChoice {
    /// Every image is a PNG.
    Png,
    /// Every image is a JPEG.
    Jpeg,
    /// PNG or JPEG, drawn per image (AIPerf's default).
    Random,
}

/// How audio clips are drawn and encoded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AudioPlan {
    /// Clip length in seconds; draws below 0.01 s are redrawn.
    pub length_s: DistSpec,
    /// Sample rates in Hz, one drawn per clip.
    pub sample_rates_hz: Vec<u32>,
    /// Bits per sample (8, 16, 24 or 32), one drawn per clip.
    pub depths: Vec<u16>,
    /// 1 (mono) or 2 (stereo).
    pub channels: u16,
    /// Container of each clip.
    pub format: AudioFormat,
    /// Clips per request.
    pub batch_size: u32,
}

/// `--audio-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioFormat {
    /// PCM in a RIFF/WAVE file (hound).
    Wav,
    /// MPEG-1/2/2.5 Layer III through FFmpeg's libmp3lame.
    Mp3,
}

impl AudioFormat {
    /// The name OpenAI's `input_audio.format` uses.
    pub fn name(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Mp3 => "mp3",
        }
    }
}

/// Sample rates (Hz) an MP3 can carry: MPEG-1, MPEG-2 and MPEG-2.5 Layer III, which is what
/// libmp3lame accepts.
pub const MP3_RATES_HZ: &[u32] = &[8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/// Bit depths a WAV clip can be made with.
pub const AUDIO_DEPTHS: &[u16] = &[8, 16, 24, 32];
