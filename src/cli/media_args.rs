//! Image and audio flags (AIPerf's names), resolved over the config file's `dataset.images`
//! and `dataset.audio` into the plan's [`MediaPlan`].

use clap::{Args, ValueEnum};

use crate::config::settings::MediaSettings;
use crate::config::{AudioFormat, ImageFormatChoice, ImageSource, SourceSampling};

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

    /// What images are made from: stamped (the built-in photos, each image marked with its own
    /// number, so no two are alike and servers that cache images by hash cannot skip any),
    /// assets (the photos as they are: images repeat, as AIPerf's assets do) or noise (random
    /// pixels per image) [default: stamped].
    #[arg(long, value_enum)]
    pub image_source: Option<ImageSourceArg>,

    /// How photos are picked for stamped and assets images [default: random-with-replacement].
    #[arg(long, value_enum)]
    pub image_source_sampling: Option<SourceSamplingArg>,
}

/// `--image-source` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageSourceArg {
    /// The built-in photos, each image stamped with a mark of its own: every image distinct.
    Stamped,
    /// The built-in photos as they are (AIPerf's assets): images repeat.
    Assets,
    /// Random pixels drawn per image (AIPerf's noise).
    Noise,
}

/// `--image-source-sampling` values (AIPerf's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceSamplingArg {
    /// Each image draws its photo independently.
    RandomWithReplacement,
    /// Every photo once per shuffled cycle.
    ShuffleCycle,
    /// The photos in order, wrapping around.
    SequentialCycle,
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
    /// The flags as settings; config resolves them over the file's.
    pub fn settings(&self) -> MediaSettings {
        MediaSettings {
            image_width_mean: self.image_width_mean,
            image_width_stddev: self.image_width_stddev,
            image_height_mean: self.image_height_mean,
            image_height_stddev: self.image_height_stddev,
            image_format: self.image_format.map(|f| match f {
                ImageFormatArg::Png => ImageFormatChoice::Png,
                ImageFormatArg::Jpeg => ImageFormatChoice::Jpeg,
                ImageFormatArg::Random => ImageFormatChoice::Random,
            }),
            image_batch_size: self.image_batch_size,
            audio_length_mean: self.audio_length_mean,
            audio_length_stddev: self.audio_length_stddev,
            audio_format: self.audio_format.map(|f| match f {
                AudioFormatArg::Wav => AudioFormat::Wav,
                AudioFormatArg::Mp3 => AudioFormat::Mp3,
            }),
            audio_sample_rates: self.audio_sample_rates.clone(),
            audio_depths: self.audio_depths.clone(),
            audio_num_channels: self.audio_num_channels,
            audio_batch_size: self.audio_batch_size,
            image_source: self.image_source.map(|s| match s {
                ImageSourceArg::Stamped => ImageSource::Stamped,
                ImageSourceArg::Assets => ImageSource::Assets,
                ImageSourceArg::Noise => ImageSource::Noise,
            }),
            image_source_sampling: self.image_source_sampling.map(|s| match s {
                SourceSamplingArg::RandomWithReplacement => SourceSampling::RandomWithReplacement,
                SourceSamplingArg::ShuffleCycle => SourceSampling::ShuffleCycle,
                SourceSamplingArg::SequentialCycle => SourceSampling::SequentialCycle,
            }),
            ..MediaSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::flag_error::FlagError;
    use super::*;
    use crate::config::settings::Settings;
    use crate::config::ConfigFile;
    use crate::config::{EndpointType, FileSettings, MediaPlan};
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
        args.settings()
            .over(Settings::from_file(file).media)
            .resolve(EndpointType::Chat)
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
            assert_eq!(err.name(), *flag, "{flags:?}: {err}");
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
        let err = args
            .settings()
            .resolve(EndpointType::Completions)
            .unwrap_err();
        assert!(err.message.contains("--endpoint-type chat"), "{err}");
    }

    #[test]
    fn images_are_stamped_by_default_and_aiperf_sources_are_options() {
        let none = FileSettings::default();
        let sized = ["--image-width-mean", "8", "--image-height-mean", "8"];
        let images = |extra: &[&str]| {
            let flags: Vec<&str> = sized.iter().chain(extra).copied().collect();
            let images = resolve(&flags, &none).unwrap().images.unwrap();
            (images.source, images.sampling)
        };
        assert_eq!(
            images(&[]),
            (ImageSource::Stamped, SourceSampling::RandomWithReplacement)
        );
        assert_eq!(
            images(&[
                "--image-source",
                "assets",
                "--image-source-sampling",
                "shuffle-cycle"
            ]),
            (ImageSource::Assets, SourceSampling::ShuffleCycle)
        );
        assert_eq!(images(&["--image-source", "noise"]).0, ImageSource::Noise);
        let flags: Vec<&str> = sized
            .iter()
            .chain(&[
                "--image-source",
                "noise",
                "--image-source-sampling",
                "sequential-cycle",
            ])
            .copied()
            .collect();
        let err = resolve(&flags, &none).unwrap_err();
        assert_eq!(err.name(), "--image-source-sampling", "{err}");
    }
}
