//! MP3 clips through FFmpeg's libmp3lame encoder, in memory: the raw MPEG audio frames
//! concatenated are a playable `.mp3` stream, so no muxer is needed.

use std::sync::OnceLock;

use ffmpeg::format::{sample::Type as SampleLayout, Sample};
use ffmpeg::{ChannelLayout, Packet};
use ffmpeg_next as ffmpeg;

use super::audio::AudioClip;
use super::MediaError;
use crate::config::MP3_RATES_HZ;

const ENCODER: &str = "libmp3lame";

/// Initialises FFmpeg once per process and quiets its logging (errors come back as values).
fn init() -> Result<(), MediaError> {
    static INIT: OnceLock<Result<(), String>> = OnceLock::new();
    INIT.get_or_init(|| {
        ffmpeg::init().map_err(|e| e.to_string())?;
        ffmpeg::log::set_level(ffmpeg::log::Level::Error);
        Ok(())
    })
    .clone()
    .map_err(|e| MediaError::Audio(format!("FFmpeg did not initialise: {e}")))
}

/// Whether the local FFmpeg has the MP3 encoder; checked before any clip is made so a missing
/// codec is one line, not one error per request.
pub fn check_available() -> Result<(), MediaError> {
    init()?;
    match ffmpeg::encoder::find_by_name(ENCODER) {
        Some(_) => Ok(()),
        None => Err(MediaError::Mp3Missing),
    }
}

/// The MP3 encoder of this process's FFmpeg, for programs that link FFmpeg (the helper, tests,
/// benches).
#[derive(Debug, Clone, Copy, Default)]
pub struct Libmp3lame;

impl super::Mp3Encoder for Libmp3lame {
    fn check(&self) -> Result<(), MediaError> {
        check_available()
    }

    fn encode(&self, clip: &AudioClip) -> Result<Vec<u8>, MediaError> {
        encode(clip)
    }
}

/// A bit rate every MPEG version at `rate_hz` accepts (MPEG-2/2.5 top out at 160 kbps).
fn bit_rate(rate_hz: u32) -> usize {
    match rate_hz {
        32_000.. => 128_000,
        16_000.. => 64_000,
        _ => 32_000,
    }
}

/// Encodes `clip` (its samples scaled back to [-1, 1]) as MP3.
pub fn encode(clip: &AudioClip) -> Result<Vec<u8>, MediaError> {
    let d = clip.draw;
    if !MP3_RATES_HZ.contains(&d.rate_hz) {
        return Err(MediaError::Mp3Rate { rate_hz: d.rate_hz });
    }
    init()?;
    let codec = ffmpeg::encoder::find_by_name(ENCODER).ok_or(MediaError::Mp3Missing)?;
    let ff = |what: &'static str| {
        move |e: ffmpeg::Error| MediaError::Audio(format!("{ENCODER}: {what}: {e}"))
    };
    let format = Sample::F32(SampleLayout::Planar);
    let layout = if d.channels == 1 {
        ChannelLayout::MONO
    } else {
        ChannelLayout::STEREO
    };
    let mut setup = ffmpeg::codec::context::Context::new_with_codec(codec)
        .encoder()
        .audio()
        .map_err(ff("not an audio encoder"))?;
    setup.set_rate(d.rate_hz as i32);
    setup.set_format(format);
    setup.set_channel_layout(layout);
    setup.set_bit_rate(bit_rate(d.rate_hz));
    setup.set_time_base((1, d.rate_hz as i32));
    let mut encoder = setup
        .open_as(codec)
        .map_err(ff("cannot open the encoder"))?;
    let frame_size = match encoder.frame_size() as usize {
        0 => 1152,
        n => n,
    };
    let channels = usize::from(d.channels);
    let scale = 1.0 / d.full_scale() as f32;
    let frames = clip.samples.len() / channels;
    let mut out = Vec::with_capacity(frames / 4 + 1024);
    let mut packet = Packet::empty();
    let mut start = 0;
    while start < frames {
        let n = frame_size.min(frames - start);
        let mut frame = ffmpeg::frame::Audio::new(format, n, layout);
        frame.set_rate(d.rate_hz);
        frame.set_pts(Some(start as i64));
        for ch in 0..channels {
            let plane = frame.plane_mut::<f32>(ch);
            for (i, slot) in plane.iter_mut().take(n).enumerate() {
                *slot = clip.samples[(start + i) * channels + ch] as f32 * scale;
            }
        }
        encoder.send_frame(&frame).map_err(ff("encoding"))?;
        drain(&mut encoder, &mut packet, &mut out);
        start += n;
    }
    encoder.send_eof().map_err(ff("flushing"))?;
    drain(&mut encoder, &mut packet, &mut out);
    Ok(out)
}

fn drain(encoder: &mut ffmpeg::encoder::Audio, packet: &mut Packet, out: &mut Vec<u8>) {
    // receive_packet fails with EAGAIN (needs input) or EOF (done): both end the drain.
    while encoder.receive_packet(packet).is_ok() {
        if let Some(data) = packet.data() {
            out.extend_from_slice(data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::audio::{synthesize, AudioDraw};
    use super::*;
    use crate::rng::RngRoot;

    fn clip(rate_hz: u32, channels: u16) -> AudioClip {
        let d = AudioDraw {
            rate_hz,
            depth: 16,
            channels,
            seconds: 0.2,
        };
        synthesize(d, &mut RngRoot::new(4).stream("audio", 0))
    }

    /// The MPEG version bits of a Layer III frame header at `bytes[0..4]`.
    fn frame_header(bytes: &[u8]) -> Option<(u8, u32)> {
        if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] & 0xE0 != 0xE0 {
            return None;
        }
        let version = (bytes[1] >> 3) & 0b11; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
        let layer = (bytes[1] >> 1) & 0b11; // 1 = Layer III
        if layer != 1 {
            return None;
        }
        let rates: [[u32; 3]; 4] = [
            [11_025, 12_000, 8_000],
            [0, 0, 0],
            [22_050, 24_000, 16_000],
            [44_100, 48_000, 32_000],
        ];
        let index = usize::from((bytes[2] >> 2) & 0b11);
        Some((version, *rates[usize::from(version)].get(index)?))
    }

    #[test]
    fn mp3_frames_carry_the_drawn_rate() {
        if check_available().is_err() {
            eprintln!("libmp3lame is not in this FFmpeg; skipping");
            return;
        }
        for (rate, channels) in [(44_100, 2), (16_000, 1), (8_000, 1)] {
            let bytes = encode(&clip(rate, channels)).unwrap();
            assert!(bytes.len() > 100, "{rate} Hz: {} bytes", bytes.len());
            let (_, header_rate) = frame_header(&bytes).expect("an MPEG Layer III frame header");
            assert_eq!(header_rate, rate);
            // Same clip, same bytes: the encoder is deterministic.
            assert_eq!(bytes, encode(&clip(rate, channels)).unwrap());
        }
    }

    #[test]
    fn unsupported_rates_name_the_flag() {
        let err = encode(&clip(96_000, 1)).unwrap_err().to_string();
        assert!(
            err.contains("--audio-sample-rates") && err.contains("44.1"),
            "{err}"
        );
    }
}
