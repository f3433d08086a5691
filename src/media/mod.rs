//! Synthetic media sent with prompts: images (crate `image`) and audio clips (hound for WAV,
//! FFmpeg's libmp3lame for MP3). Everything is made before the clock starts, in parallel, and
//! root `i`'s media depends only on the seed, `i` and its place among the roots, so any thread
//! count makes the same bytes. Every image, clip and video of a run is distinct by default.

pub mod audio;
pub mod image;
pub mod image_pool;
pub mod mp3;
pub mod part;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rayon::prelude::*;

use self::audio::AudioClip;
use crate::config::{AudioFormat, MediaPlan};
use crate::rng::RngRoot;

pub use part::MediaPart;

/// Why media could not be made. Each message names the flag to change.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// A drawn image side is beyond [`image::MAX_SIDE`].
    #[error("{flag}: drew an image side of {value} px, above the {max} px limit; lower the mean or stddev")]
    TooLarge {
        /// The flag whose distribution drew it.
        flag: &'static str,
        /// The side drawn.
        value: u32,
        /// The limit.
        max: u32,
    },
    /// Decoding a source image or encoding a synthetic one failed.
    #[error("image: {0}")]
    Image(String),
    /// The length distribution keeps drawing clips shorter than 0.01 s.
    #[error(
        "--audio-length-mean: no clip of at least 0.01 s in 1000 draws; raise the mean or stddev"
    )]
    AudioTooShort,
    /// A drawn clip is beyond [`audio::MAX_SECONDS`].
    #[error("--audio-length-mean: drew a {seconds:.1} s clip, above the 3600 s limit; lower the mean or stddev")]
    AudioTooLong {
        /// The length drawn.
        seconds: f64,
    },
    /// Writing or encoding a clip failed.
    #[error("audio: {0}")]
    Audio(String),
    /// MP3 cannot carry this sample rate.
    #[error("--audio-sample-rates: {} kHz cannot be sent as MP3, which takes 8, 11.025, 12, 16, 22.05, 24, 32, 44.1 or 48 kHz; change the rates or use --audio-format wav", f64::from(*rate_hz) / 1000.0)]
    Mp3Rate {
        /// The rate asked for.
        rate_hz: u32,
    },
    /// The local FFmpeg was built without libmp3lame.
    #[error("--audio-format mp3: this machine's FFmpeg has no libmp3lame encoder; install an FFmpeg built with libmp3lame or use --audio-format wav")]
    Mp3Missing,
    /// A `<format>,<base64>` audio string is malformed.
    #[error("audio string '{0}…': expected '<wav|mp3>,<base64>'")]
    AudioString(String),
}

/// MP3 encoding, which needs FFmpeg's libmp3lame. The caller hands one in, so media does not
/// decide where FFmpeg runs: [`mp3::Libmp3lame`] in programs that link FFmpeg; the `gauntlet`
/// binary sends MP3 work to its helper process instead (see `media_helper`).
pub trait Mp3Encoder: Sync {
    /// Whether MP3 can be encoded here; checked before any clip is made so a missing codec is
    /// one line, not one error per request.
    fn check(&self) -> Result<(), MediaError>;
    /// Encodes one clip as MP3.
    fn encode(&self, clip: &AudioClip) -> Result<Vec<u8>, MediaError>;
}

/// The plan's images and audio for each session root (entries with no parents; later turns
/// reply to what the root sent), in the order of `roots`, which holds the roots' entry
/// indices. Entry `i` draws from the streams `("image", i)` and `("audio", i)`; the `p`-th
/// root's images are the run's images number `p × batch ..`, which pick their photo and stamp
/// (see [`image_pool`]). Every root gets no parts when the plan asks for no media.
pub fn parts(
    plan: &MediaPlan,
    roots: &[usize],
    root: &RngRoot,
    mp3: &dyn Mp3Encoder,
) -> Result<Vec<Vec<MediaPart>>, MediaError> {
    if !plan.is_enabled() {
        return Ok(vec![Vec::new(); roots.len()]);
    }
    if plan
        .audio
        .as_ref()
        .is_some_and(|a| a.format == AudioFormat::Mp3)
    {
        mp3.check()?;
    }
    let images = plan
        .images
        .as_ref()
        .map(|images| image_pool::ImageMaker::new(images, root));
    roots
        .par_iter()
        .map(|&i| parts_of_one(plan, images.as_ref(), i as u64, root, mp3))
        .collect()
}

/// Makes one entry's media: its images, then its audio clips.
fn parts_of_one(
    plan: &MediaPlan,
    images: Option<&image_pool::ImageMaker<'_>>,
    index: u64,
    root: &RngRoot,
    mp3: &dyn Mp3Encoder,
) -> Result<Vec<MediaPart>, MediaError> {
    let mut media = Vec::new();
    if let Some(images) = images {
        for url in images.entry(index)? {
            media.push(MediaPart::Image { url });
        }
    }
    if let Some(clips) = &plan.audio {
        let mut rng = root.stream("audio", index);
        for _ in 0..clips.batch_size {
            let draw = audio::draw(clips, &mut rng, index)?;
            let clip = audio::synthesize(draw, &mut rng);
            let bytes = match clips.format {
                AudioFormat::Wav => audio::to_wav(&clip)?,
                AudioFormat::Mp3 => mp3.encode(&clip)?,
            };
            media.push(MediaPart::Audio {
                format: clips.format.name().to_string(),
                data: BASE64.encode(&bytes),
            });
        }
    }
    Ok(media)
}

/// `data:<mime>;base64,<payload>`, the form OpenAI-compatible servers take inline.
pub fn data_uri(mime: &str, bytes: &[u8]) -> String {
    let prefix = format!("data:{mime};base64,");
    let mut out = String::with_capacity(prefix.len() + bytes.len().div_ceil(3) * 4);
    out.push_str(&prefix);
    BASE64.encode_string(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests;
