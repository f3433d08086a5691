//! Synthetic audio: Gaussian white noise, clipped to [-1, 1] and quantized to the drawn bit
//! depth, written as WAV with hound (MP3 goes through [`super::mp3`]).

use std::io::Cursor;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::MediaError;
use crate::config::AudioPlan;

/// Shortest clip made; shorter length draws are redrawn (AIPerf's rule).
pub const MIN_SECONDS: f64 = 0.01;

/// Length draws tried before giving up on a distribution that never reaches [`MIN_SECONDS`].
const MAX_REDRAWS: u32 = 1_000;

/// Longest clip made, so a mistyped mean cannot exhaust memory.
pub const MAX_SECONDS: f64 = 3_600.0;

/// Noise level before clipping: loud enough to carry energy, rarely clipped (|x| > 1 is
/// beyond 3.3 standard deviations).
const NOISE_STDDEV: f64 = 0.3;

/// One clip's drawn parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioDraw {
    /// Samples per second per channel.
    pub rate_hz: u32,
    /// Bits per sample.
    pub depth: u16,
    /// Channels.
    pub channels: u16,
    /// Length in seconds (≥ [`MIN_SECONDS`]).
    pub seconds: f64,
}

impl AudioDraw {
    /// Sample frames (one sample per channel each) in the clip, at least 1.
    pub fn frames(&self) -> usize {
        ((self.seconds * f64::from(self.rate_hz)).round() as usize).max(1)
    }

    /// The largest sample value at this depth.
    pub fn full_scale(&self) -> i32 {
        // depth is one of 8..=32, so the shift stays inside i64.
        ((1i64 << (self.depth - 1)) - 1) as i32
    }
}

/// A clip's samples, interleaved by channel, at [`AudioDraw::depth`]'s scale.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioClip {
    /// What was drawn.
    pub draw: AudioDraw,
    /// `frames * channels` samples in `[-full_scale, full_scale]`.
    pub samples: Vec<i32>,
}

/// Draws one clip's parameters: rate and depth from their lists, length with redraws below
/// [`MIN_SECONDS`].
pub fn draw<R: Rng + ?Sized>(
    plan: &AudioPlan,
    rng: &mut R,
    index: u64,
) -> Result<AudioDraw, MediaError> {
    let rate_hz = plan.sample_rates_hz[rng.random_range(0..plan.sample_rates_hz.len())];
    let depth = plan.depths[rng.random_range(0..plan.depths.len())];
    let mut seconds = None;
    for _ in 0..MAX_REDRAWS {
        let s = plan.length_s.sample(rng, index);
        if s >= MIN_SECONDS {
            seconds = Some(s);
            break;
        }
    }
    let seconds = seconds.ok_or(MediaError::AudioTooShort)?;
    if seconds > MAX_SECONDS {
        return Err(MediaError::AudioTooLong { seconds });
    }
    Ok(AudioDraw {
        rate_hz,
        depth,
        channels: plan.channels,
        seconds,
    })
}

/// Makes the clip's noise from `rng`.
pub fn synthesize<R: Rng + ?Sized>(draw: AudioDraw, rng: &mut R) -> AudioClip {
    let scale = f64::from(draw.full_scale());
    let count = draw.frames() * usize::from(draw.channels);
    let samples = (0..count)
        .map(|_| {
            let x: f64 = StandardNormal.sample(rng);
            ((x * NOISE_STDDEV).clamp(-1.0, 1.0) * scale).round() as i32
        })
        .collect();
    AudioClip { draw, samples }
}

/// The clip as a WAV file (integer PCM at the drawn depth).
pub fn to_wav(clip: &AudioClip) -> Result<Vec<u8>, MediaError> {
    let d = clip.draw;
    let spec = hound::WavSpec {
        channels: d.channels,
        sample_rate: d.rate_hz,
        bits_per_sample: d.depth,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_err = |e: hound::Error| MediaError::Audio(format!("writing a WAV clip: {e}"));
    let mut out = Cursor::new(Vec::with_capacity(44 + clip.samples.len() * 4));
    let mut writer = hound::WavWriter::new(&mut out, spec).map_err(wav_err)?;
    // 16-bit clips (the default) go through hound's buffered i16 writer: same bytes, several
    // times faster than one checked write per sample.
    let count = u32::try_from(clip.samples.len()).ok();
    if let (16, Some(count)) = (d.depth, count) {
        let mut fast = writer.get_i16_writer(count);
        for &s in &clip.samples {
            fast.write_sample(s as i16);
        }
        fast.flush().map_err(wav_err)?;
        writer.finalize().map_err(wav_err)?;
        return Ok(out.into_inner());
    }
    for &s in &clip.samples {
        let written = match d.depth {
            8 => writer.write_sample(s as i8),
            16 => writer.write_sample(s as i16),
            _ => writer.write_sample(s),
        };
        written.map_err(wav_err)?;
    }
    writer.finalize().map_err(wav_err)?;
    Ok(out.into_inner())
}

/// Reads AIPerf's `<format>,<base64>` audio string (its dataset files' `audio` field) into
/// the format and the base64 payload sent in an `input_audio` part.
pub fn parse_aiperf_audio(text: &str) -> Result<(String, String), MediaError> {
    let bad = || MediaError::AudioString(text.chars().take(40).collect());
    let (format, data) = text.split_once(',').ok_or_else(bad)?;
    let format = format.trim().to_ascii_lowercase();
    if !matches!(format.as_str(), "wav" | "mp3") || data.is_empty() {
        return Err(bad());
    }
    Ok((format, data.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AudioFormat;
    use crate::dist::{DistSpec, Shape};
    use crate::rng::RngRoot;

    fn plan() -> AudioPlan {
        AudioPlan {
            length_s: DistSpec::new(
                Shape::Normal {
                    mean: 0.05,
                    stddev: 0.05,
                },
                None,
                None,
                "t",
            )
            .unwrap(),
            sample_rates_hz: vec![16_000, 44_100],
            depths: vec![8, 16, 24, 32],
            channels: 2,
            format: AudioFormat::Wav,
            batch_size: 1,
        }
    }

    #[test]
    fn wav_headers_carry_the_drawn_fields_and_samples_stay_in_range() {
        let root = RngRoot::new(9);
        let mut depths = std::collections::BTreeSet::new();
        for i in 0..40 {
            let mut rng = root.stream("audio", i);
            let d = draw(&plan(), &mut rng, i).unwrap();
            assert!(d.seconds >= MIN_SECONDS, "{d:?}");
            let clip = synthesize(d, &mut rng);
            let bytes = to_wav(&clip).unwrap();
            let mut reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
            let spec = reader.spec();
            assert_eq!(spec.sample_rate, d.rate_hz);
            assert_eq!(spec.bits_per_sample, d.depth);
            assert_eq!(spec.channels, 2);
            assert_eq!(reader.duration() as usize, d.frames());
            assert!(f64::from(reader.duration()) / f64::from(d.rate_hz) >= MIN_SECONDS - 1e-4);
            let full = i64::from(d.full_scale());
            let samples: Vec<i64> = reader
                .samples::<i32>()
                .map(|s| i64::from(s.unwrap()))
                .collect();
            assert_eq!(samples.len(), d.frames() * 2);
            assert!(samples.iter().all(|s| s.abs() <= full));
            depths.insert(d.depth);
        }
        assert_eq!(depths.len(), 4, "every depth drawn: {depths:?}");
    }

    #[test]
    fn sixteen_bit_clips_are_the_bytes_of_one_write_per_sample() {
        let d = AudioDraw {
            rate_hz: 16_000,
            depth: 16,
            channels: 2,
            seconds: 0.1,
        };
        let clip = synthesize(d, &mut RngRoot::new(4).stream("audio", 0));
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut slow = Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut slow, spec).unwrap();
        for &s in &clip.samples {
            writer.write_sample(s as i16).unwrap();
        }
        writer.finalize().unwrap();
        assert_eq!(to_wav(&clip).unwrap(), slow.into_inner());
    }

    #[test]
    fn noise_is_centred_and_clipped() {
        let d = AudioDraw {
            rate_hz: 48_000,
            depth: 16,
            channels: 1,
            seconds: 1.0,
        };
        let clip = synthesize(d, &mut RngRoot::new(1).stream("audio", 0));
        let n = clip.samples.len() as f64;
        let mean = clip.samples.iter().map(|&s| f64::from(s)).sum::<f64>() / n / 32767.0;
        let rms = (clip
            .samples
            .iter()
            .map(|&s| f64::from(s).powi(2))
            .sum::<f64>()
            / n)
            .sqrt()
            / 32767.0;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((rms - NOISE_STDDEV).abs() < 0.01, "rms {rms}");
        assert!(clip.samples.iter().all(|s| s.abs() <= 32767));
    }

    #[test]
    fn lengths_that_never_reach_the_minimum_are_an_error() {
        let mut p = plan();
        p.length_s = DistSpec::fixed(0.001, "t").unwrap();
        let err = draw(&p, &mut RngRoot::new(0).stream("audio", 0), 0).unwrap_err();
        assert!(err.to_string().contains("--audio-length-mean"), "{err}");
    }

    #[test]
    fn aiperf_audio_strings_split_at_the_first_comma() {
        assert_eq!(
            parse_aiperf_audio("wav,UklGRg==").unwrap(),
            ("wav".to_string(), "UklGRg==".to_string())
        );
        assert!(parse_aiperf_audio("UklGRg==").is_err());
        assert!(parse_aiperf_audio("ogg,AAAA").is_err());
    }
}
