//! Image and audio flags (AIPerf's names), resolved over the config file's `dataset.images`
//! and `dataset.audio` into the plan's [`MediaPlan`].

use clap::{Args, ValueEnum};

use super::flag_error::{flag_err, FlagError};
use crate::config::{
    AudioFormat, AudioPlan, EndpointType, FileSettings, ImageFormatChoice, ImagePlan, MediaPlan,
    AUDIO_DEPTHS, MP3_RATES_HZ,
};
use crate::dist::{DistSpec, Shape};

/// Flags of synthetic images and audio (docs/media.md). A flag given beats the config file.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Images and audio")]
pub struct MediaArgs {
    /// Mean image width in pixels; images are sent when both means are > 0 [default: 0].
    #[arg(long)]
    pub image_width_mean: Option<f64>,

    /// Standard deviation of the image width [default: 0].
    #[arg(long)]
    pub image_width_stddev: Option<f64>,

    /// Mean image height in pixels [default: 0].
    #[arg(long)]
    pub image_height_mean: Option<f64>,

    /// Standard deviation of the image height [default: 0].
    #[arg(long)]
    pub image_height_stddev: Option<f64>,

    /// Image encoding; random draws PNG or JPEG per image [default: random].
    #[arg(long, value_enum)]
    pub image_format: Option<ImageFormatArg>,

    /// Images per request [default: 1].
    #[arg(long, visible_alias = "batch-size-image")]
    pub image_batch_size: Option<u32>,

    /// Mean audio clip length in seconds; clips are sent when it is > 0 [default: 0].
    #[arg(long)]
    pub audio_length_mean: Option<f64>,

    /// Standard deviation of the clip length in seconds [default: 0].
    #[arg(long)]
    pub audio_length_stddev: Option<f64>,

    /// Audio container; mp3 needs FFmpeg with libmp3lame [default: wav].
    #[arg(long, value_enum)]
    pub audio_format: Option<AudioFormatArg>,

    /// Sample rates in kHz, one drawn per clip (e.g. 16,44.1) [default: 16].
    #[arg(long, value_delimiter = ',', num_args = 1)]
    pub audio_sample_rates: Vec<f64>,

    /// Bit depths, one drawn per clip: 8, 16, 24 or 32 [default: 16].
    #[arg(long, value_delimiter = ',', num_args = 1)]
    pub audio_depths: Vec<u16>,

    /// Channels: 1 (mono) or 2 (stereo) [default: 1].
    #[arg(long)]
    pub audio_num_channels: Option<u16>,

    /// Audio clips per request [default: 1].
    #[arg(long, visible_alias = "batch-size-audio")]
    pub audio_batch_size: Option<u32>,
}

/// `--image-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageFormatArg {
    /// Lossless PNG.
    Png,
    /// JPEG at quality 75.
    Jpeg,
    /// PNG or JPEG, drawn per image.
    Random,
}

/// `--audio-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AudioFormatArg {
    /// PCM WAV.
    Wav,
    /// MP3 (libmp3lame through FFmpeg).
    Mp3,
}

impl MediaArgs {
    /// The media plan from these flags over `file`'s `dataset.images`/`dataset.audio`.
    pub fn resolve(
        &self,
        file: &FileSettings,
        endpoint: EndpointType,
    ) -> Result<MediaPlan, FlagError> {
        let data = &file.dataset;
        let width = size(
            "--image-width-mean",
            self.image_width_mean,
            self.image_width_stddev,
            data.image_width.as_ref(),
        )?;
        let height = size(
            "--image-height-mean",
            self.image_height_mean,
            self.image_height_stddev,
            data.image_height.as_ref(),
        )?;
        let images = match (width, height) {
            (Some(width), Some(height)) => Some(ImagePlan {
                width,
                height,
                format: match self.image_format {
                    Some(ImageFormatArg::Png) => ImageFormatChoice::Png,
                    Some(ImageFormatArg::Jpeg) => ImageFormatChoice::Jpeg,
                    Some(ImageFormatArg::Random) | None => ImageFormatChoice::Random,
                },
                batch_size: batch("--image-batch-size", self.image_batch_size)?,
            }),
            _ => None,
        };
        let length = size(
            "--audio-length-mean",
            self.audio_length_mean,
            self.audio_length_stddev,
            data.audio_length.as_ref(),
        )?;
        let audio = length.map(|l| self.audio(l)).transpose()?;
        let plan = MediaPlan { images, audio };
        if plan.is_enabled() && endpoint != EndpointType::Chat {
            let flag = if plan.images.is_some() {
                "--image-width-mean"
            } else {
                "--audio-length-mean"
            };
            return Err(flag_err(
                flag,
                format!("media is sent as chat content parts; use --endpoint-type chat (got {endpoint:?})"),
            ));
        }
        Ok(plan)
    }

    fn audio(&self, length_s: DistSpec) -> Result<AudioPlan, FlagError> {
        let format = match self.audio_format {
            Some(AudioFormatArg::Mp3) => AudioFormat::Mp3,
            Some(AudioFormatArg::Wav) | None => AudioFormat::Wav,
        };
        let khz = if self.audio_sample_rates.is_empty() {
            vec![16.0]
        } else {
            self.audio_sample_rates.clone()
        };
        let mut sample_rates_hz = Vec::with_capacity(khz.len());
        for k in khz {
            if !(k.is_finite() && k > 0.0 && k <= 768.0) {
                return Err(flag_err(
                    "--audio-sample-rates",
                    format!("rates are kHz between 0 and 768, got {k}"),
                ));
            }
            let hz = (k * 1000.0).round() as u32;
            if format == AudioFormat::Mp3 && !MP3_RATES_HZ.contains(&hz) {
                return Err(flag_err(
                    "--audio-sample-rates",
                    format!("{k} kHz cannot be sent as MP3, which takes 8, 11.025, 12, 16, 22.05, 24, 32, 44.1 or 48 kHz; change the rates or use --audio-format wav"),
                ));
            }
            sample_rates_hz.push(hz);
        }
        let depths = if self.audio_depths.is_empty() {
            vec![16]
        } else {
            self.audio_depths.clone()
        };
        if let Some(d) = depths.iter().find(|d| !AUDIO_DEPTHS.contains(d)) {
            return Err(flag_err(
                "--audio-depths",
                format!("{d} is not a bit depth; use 8, 16, 24 or 32"),
            ));
        }
        let channels = self.audio_num_channels.unwrap_or(1);
        if !(1..=2).contains(&channels) {
            return Err(flag_err(
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
) -> Result<Option<DistSpec>, FlagError> {
    let spec = if mean.is_none() && stddev.is_none() {
        match file {
            Some(spec) => spec.clone(),
            None => return Ok(None),
        }
    } else {
        let mean = mean.or(file.and_then(mean_of)).unwrap_or(0.0);
        let stddev = stddev.unwrap_or(0.0);
        if !(mean.is_finite() && mean >= 0.0 && stddev.is_finite() && stddev >= 0.0) {
            return Err(flag_err(
                flag,
                format!("mean and stddev must be numbers >= 0, got {mean} and {stddev}"),
            ));
        }
        let shape = if stddev == 0.0 {
            Shape::Fixed { value: mean }
        } else {
            Shape::Normal { mean, stddev }
        };
        DistSpec::new(shape, None, None, flag).map_err(|e| flag_err(flag, e.to_string()))?
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

fn batch(flag: &'static str, value: Option<u32>) -> Result<u32, FlagError> {
    match value {
        Some(0) => Err(flag_err(flag, "must be at least 1")),
        Some(n) => Ok(n),
        None => Ok(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigFile;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: MediaArgs,
    }

    fn file(dataset: &str) -> FileSettings {
        let text = format!("schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  dataset:\n{dataset}");
        ConfigFile::parse(&text, "w.yaml")
            .unwrap()
            .resolve()
            .unwrap()
    }

    fn resolve(flags: &[&str], file: &FileSettings) -> Result<MediaPlan, FlagError> {
        let mut argv = vec!["x"];
        argv.extend_from_slice(flags);
        let args = Wrapper::try_parse_from(argv).unwrap().args;
        args.resolve(file, EndpointType::Chat)
    }

    #[test]
    fn images_need_both_means_above_zero() {
        let none = FileSettings::default();
        assert_eq!(resolve(&[], &none).unwrap(), MediaPlan::default());
        assert!(resolve(&["--image-width-mean", "64"], &none)
            .unwrap()
            .images
            .is_none());
        let plan = resolve(
            &[
                "--image-width-mean",
                "64",
                "--image-height-mean",
                "32",
                "--image-height-stddev",
                "4",
                "--image-format",
                "png",
                "--image-batch-size",
                "3",
            ],
            &none,
        )
        .unwrap();
        let images = plan.images.unwrap();
        assert_eq!(images.width.to_string(), "fixed(64)");
        assert_eq!(images.height.to_string(), "normal(mean=32, stddev=4)");
        assert_eq!(
            (images.format, images.batch_size),
            (ImageFormatChoice::Png, 3)
        );
        assert!(plan.audio.is_none());
    }

    #[test]
    fn the_file_sets_sizes_and_flags_override_them() {
        let f = file(
            "    images: {width: 100, height: {mean: 50, stddev: 5}}\n    audio: {length: 2}\n",
        );
        let plan = resolve(&[], &f).unwrap();
        assert_eq!(
            plan.images.as_ref().unwrap().width.to_string(),
            "fixed(100)"
        );
        assert_eq!(
            plan.audio.as_ref().unwrap().length_s.to_string(),
            "fixed(2)"
        );
        let plan = resolve(
            &["--image-width-stddev", "10", "--audio-length-mean", "0"],
            &f,
        )
        .unwrap();
        assert_eq!(
            plan.images.unwrap().width.to_string(),
            "normal(mean=100, stddev=10)"
        );
        assert!(plan.audio.is_none(), "a zero mean turns audio off");
    }

    #[test]
    fn audio_defaults_and_rates_in_khz() {
        let none = FileSettings::default();
        let a = resolve(&["--audio-length-mean", "1"], &none)
            .unwrap()
            .audio
            .unwrap();
        assert_eq!(
            (a.sample_rates_hz, a.depths, a.channels),
            (vec![16_000], vec![16], 1)
        );
        assert_eq!((a.format, a.batch_size), (AudioFormat::Wav, 1));
        let a = resolve(
            &[
                "--audio-length-mean",
                "1",
                "--audio-sample-rates",
                "44.1,22.05",
                "--audio-depths",
                "8,24",
                "--audio-num-channels",
                "2",
                "--audio-format",
                "mp3",
            ],
            &none,
        )
        .unwrap()
        .audio
        .unwrap();
        assert_eq!(a.sample_rates_hz, vec![44_100, 22_050]);
        assert_eq!(a.depths, vec![8, 24]);
    }

    #[test]
    fn bad_values_name_their_flag() {
        let none = FileSettings::default();
        let cases: &[(&[&str], &str)] = &[
            (
                &[
                    "--audio-length-mean",
                    "1",
                    "--audio-format",
                    "mp3",
                    "--audio-sample-rates",
                    "96",
                ],
                "--audio-sample-rates",
            ),
            (
                &["--audio-length-mean", "1", "--audio-depths", "12"],
                "--audio-depths",
            ),
            (
                &["--audio-length-mean", "1", "--audio-num-channels", "3"],
                "--audio-num-channels",
            ),
            (
                &["--audio-length-mean", "1", "--audio-batch-size", "0"],
                "--audio-batch-size",
            ),
            (&["--image-width-mean=-1"], "--image-width-mean"),
        ];
        for (flags, flag) in cases {
            let err = resolve(flags, &none).unwrap_err();
            assert_eq!(err.flag, *flag, "{flags:?}: {err}");
        }
        let err = resolve(
            &[
                "--audio-length-mean",
                "1",
                "--audio-format",
                "mp3",
                "--audio-sample-rates",
                "96",
            ],
            &none,
        )
        .unwrap_err();
        assert!(err.message.contains("44.1"), "{err}");
        let argv = ["x", "--image-width-mean", "8", "--image-height-mean", "8"];
        let args = Wrapper::try_parse_from(argv).unwrap().args;
        let err = args.resolve(&none, EndpointType::Completions).unwrap_err();
        assert!(err.message.contains("--endpoint-type chat"), "{err}");
    }
}
