//! Synthetic images and audio: AIPerf's flags over the file's `dataset.images` and
//! `dataset.audio`, into the plan's [`MediaPlan`] (docs/media.md).

use super::{Opt, SettingError};
use crate::config::{
    AudioFormat, AudioPlan, EndpointType, ImageFormatChoice, ImagePlan, ImageSource, MediaPlan,
    SourceSampling, AUDIO_DEPTHS, DEFAULT_AUDIO_CHANNELS, DEFAULT_AUDIO_DEPTH, DEFAULT_AUDIO_KHZ,
    DEFAULT_MEDIA_BATCH, MP3_RATES_HZ,
};
use crate::dist::{DistSpec, Shape};

/// Image and audio settings; a flag given beats the file.
#[derive(Debug, Clone, Default)]
pub struct MediaSettings {
    /// `--image-width-mean`.
    pub image_width_mean: Option<f64>,
    /// `--image-width-stddev`.
    pub image_width_stddev: Option<f64>,
    /// `--image-height-mean`.
    pub image_height_mean: Option<f64>,
    /// `--image-height-stddev`.
    pub image_height_stddev: Option<f64>,
    /// `--image-format`.
    pub image_format: Option<ImageFormatChoice>,
    /// `--image-batch-size`.
    pub image_batch_size: Option<u32>,
    /// `--audio-length-mean`.
    pub audio_length_mean: Option<f64>,
    /// `--audio-length-stddev`.
    pub audio_length_stddev: Option<f64>,
    /// `--audio-format`.
    pub audio_format: Option<AudioFormat>,
    /// `--audio-sample-rates`, kHz.
    pub audio_sample_rates: Vec<f64>,
    /// `--audio-depths`.
    pub audio_depths: Vec<u16>,
    /// `--audio-num-channels`.
    pub audio_num_channels: Option<u16>,
    /// `--audio-batch-size`.
    pub audio_batch_size: Option<u32>,
    /// The file's `images.width`.
    pub image_width: Opt<DistSpec>,
    /// The file's `images.height`.
    pub image_height: Opt<DistSpec>,
    /// The file's `audio.length`.
    pub audio_length: Opt<DistSpec>,
    /// `--image-source`.
    pub image_source: Option<ImageSource>,
    /// `--image-source-sampling`.
    pub image_source_sampling: Option<SourceSampling>,
}

impl MediaSettings {
    /// These settings (the flags) over the file's sizes and lengths.
    pub fn over(self, file: MediaSettings) -> MediaSettings {
        MediaSettings {
            image_width: self.image_width.or(file.image_width),
            image_height: self.image_height.or(file.image_height),
            audio_length: self.audio_length.or(file.audio_length),
            ..self
        }
    }

    /// The media plan from these flags over `file`'s `dataset.images`/`dataset.audio`.
    pub fn resolve(&self, endpoint: EndpointType) -> Result<MediaPlan, SettingError> {
        let width = size(
            "--image-width-mean",
            self.image_width_mean,
            self.image_width_stddev,
            self.image_width.as_ref().map(|g| &g.value),
        )?;
        let height = size(
            "--image-height-mean",
            self.image_height_mean,
            self.image_height_stddev,
            self.image_height.as_ref().map(|g| &g.value),
        )?;
        let images = match (width, height) {
            (Some(width), Some(height)) => Some(ImagePlan {
                width,
                height,
                format: self.image_format.unwrap_or(ImageFormatChoice::Random),
                batch_size: batch("--image-batch-size", self.image_batch_size)?,
                source: self.image_source.unwrap_or_default(),
                sampling: self.sampling()?,
            }),
            _ => None,
        };
        let length = size(
            "--audio-length-mean",
            self.audio_length_mean,
            self.audio_length_stddev,
            self.audio_length.as_ref().map(|g| &g.value),
        )?;
        let audio = length.map(|l| self.audio(l)).transpose()?;
        let plan = MediaPlan { images, audio };
        if matches!(
            endpoint,
            EndpointType::ImageRetrieval | EndpointType::ImageEdit
        ) {
            return retrieval_media(endpoint.name(), plan);
        }
        if plan.is_enabled() && !endpoint.accepts_media() {
            let flag = if plan.images.is_some() {
                "--image-width-mean"
            } else {
                "--audio-length-mean"
            };
            return Err(SettingError::flag(
                flag,
                format!("media is sent as chat content parts or template variables; use --endpoint-type chat, chat_embeddings or template (got {})", endpoint.name()),
            ));
        }
        Ok(plan)
    }

    /// `--image-source-sampling`, which only a finite pool of photos can honour (AIPerf's rule).
    fn sampling(&self) -> Result<SourceSampling, SettingError> {
        let sampling = self.image_source_sampling.unwrap_or_default();
        if self.image_source == Some(ImageSource::Noise)
            && sampling != SourceSampling::RandomWithReplacement
        {
            return Err(SettingError::flag(
                "--image-source-sampling",
                "--image-source noise draws every image afresh; only random-with-replacement applies (or pick --image-source stamped or assets)",
            ));
        }
        Ok(sampling)
    }

    fn audio(&self, length_s: DistSpec) -> Result<AudioPlan, SettingError> {
        let format = self.audio_format.unwrap_or(AudioFormat::Wav);
        let khz = if self.audio_sample_rates.is_empty() {
            vec![DEFAULT_AUDIO_KHZ]
        } else {
            self.audio_sample_rates.clone()
        };
        let mut sample_rates_hz = Vec::with_capacity(khz.len());
        for k in khz {
            if !(k.is_finite() && k > 0.0 && k <= 768.0) {
                return Err(SettingError::flag(
                    "--audio-sample-rates",
                    format!("rates are kHz between 0 and 768, got {k}"),
                ));
            }
            let hz = (k * 1000.0).round() as u32;
            if format == AudioFormat::Mp3 && !MP3_RATES_HZ.contains(&hz) {
                return Err(SettingError::flag(
                    "--audio-sample-rates",
                    format!("{k} kHz cannot be sent as MP3, which takes 8, 11.025, 12, 16, 22.05, 24, 32, 44.1 or 48 kHz; change the rates or use --audio-format wav"),
                ));
            }
            sample_rates_hz.push(hz);
        }
        let depths = if self.audio_depths.is_empty() {
            vec![DEFAULT_AUDIO_DEPTH]
        } else {
            self.audio_depths.clone()
        };
        if let Some(d) = depths.iter().find(|d| !AUDIO_DEPTHS.contains(d)) {
            return Err(SettingError::flag(
                "--audio-depths",
                format!("{d} is not a bit depth; use 8, 16, 24 or 32"),
            ));
        }
        let channels = self.audio_num_channels.unwrap_or(DEFAULT_AUDIO_CHANNELS);
        if !(1..=2).contains(&channels) {
            return Err(SettingError::flag(
                "--audio-num-channels",
                format!("must be 1 or 2, got {channels}"),
            ));
        }
        Ok(AudioPlan {
            length_s,
            sample_rates_hz,
            depths,
            channels,
            format,
            batch_size: batch("--audio-batch-size", self.audio_batch_size)?,
        })
    }
}

/// A size or length distribution: from the flags when either is given (a missing mean comes
/// from the file), else the file's; `None` when its mean is not > 0 (the feature is off).
fn size(
    flag: &'static str,
    mean: Option<f64>,
    stddev: Option<f64>,
    file: Option<&DistSpec>,
) -> Result<Option<DistSpec>, SettingError> {
    let spec = if mean.is_none() && stddev.is_none() {
        match file {
            Some(spec) => spec.clone(),
            None => return Ok(None),
        }
    } else {
        let mean = mean.or(file.and_then(mean_of)).unwrap_or(0.0);
        let stddev = stddev.unwrap_or(0.0);
        if !(mean.is_finite() && mean >= 0.0 && stddev.is_finite() && stddev >= 0.0) {
            return Err(SettingError::flag(
                flag,
                format!("mean and stddev must be numbers >= 0, got {mean} and {stddev}"),
            ));
        }
        let shape = if stddev == 0.0 {
            Shape::Fixed { value: mean }
        } else {
            Shape::Normal { mean, stddev }
        };
        DistSpec::new(shape, None, None, flag)
            .map_err(|e| SettingError::flag(flag, e.to_string()))?
    };
    let off = matches!(mean_of(&spec), Some(m) if m <= 0.0);
    Ok((!off).then_some(spec))
}

/// The mean of the simple shapes flags make; `None` for others (taken as enabled).
fn mean_of(spec: &DistSpec) -> Option<f64> {
    match spec.shape() {
        Shape::Fixed { value } => Some(*value),
        Shape::Normal { mean, .. } => Some(*mean),
        _ => None,
    }
}

fn batch(flag: &'static str, value: Option<u32>) -> Result<u32, SettingError> {
    match value {
        Some(0) => Err(SettingError::flag(flag, "must be at least 1")),
        Some(n) => Ok(n),
        None => Ok(DEFAULT_MEDIA_BATCH),
    }
}

/// `image_retrieval` and `image_edit` send images and nothing else: the plan must draw
/// images and no audio.
fn retrieval_media(name: &str, plan: MediaPlan) -> Result<MediaPlan, SettingError> {
    if plan.audio.is_some() {
        return Err(SettingError::flag(
            "--audio-length-mean",
            format!("{name} sends images only; drop the --audio-* flags"),
        ));
    }
    if plan.images.is_none() {
        let more = if name == "image_edit" {
            "one per request, the image edited"
        } else {
            "and --image-batch-size for several per request"
        };
        return Err(SettingError::flag(
            "--image-width-mean",
            format!(
                "{name} sends images: give --image-width-mean and --image-height-mean ({more})"
            ),
        ));
    }
    if name == "image_edit" && plan.images.as_ref().is_some_and(|i| i.batch_size > 1) {
        return Err(SettingError::flag(
            "--image-batch-size",
            "image_edit uploads one image per request; drop --image-batch-size",
        ));
    }
    Ok(plan)
}
