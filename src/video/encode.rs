//! In-memory encoding through the system FFmpeg: frames → encoder → muxer → a `Vec<u8>`, with
//! FFmpeg's custom IO writing into a shared buffer, so no temporary file exists at all.
//!
//! Determinism: one encoder thread, the codec's bit-exact flag, and the muxer's `+bitexact`
//! (no version strings, no creation time, no random Matroska UIDs). Parallelism comes from
//! encoding several videos at once, never from threads inside one encoder.

use std::io::{self, Cursor, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use ff::codec::threading;
use ff::format::context::StreamIo;
use ff::format::Pixel;
use ff::{Dictionary, Packet, Rational};
use ffmpeg_next as ff;

use super::synth::YuvFrame;
use super::VideoError;
use crate::config::{VideoCodec, VideoPlan};

/// A growable buffer shared by FFmpeg's custom IO and the caller, who takes the bytes once the
/// muxer is dropped. The mutex is uncontended: one video's muxer runs on one thread.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Cursor<Vec<u8>>>>);

impl SharedBuffer {
    fn with<T>(&self, f: impl FnOnce(&mut Cursor<Vec<u8>>) -> io::Result<T>) -> io::Result<T> {
        let mut guard = self
            .0
            .lock()
            .map_err(|_| io::Error::other("video buffer lock poisoned"))?;
        f(&mut guard)
    }

    fn take(&self) -> Vec<u8> {
        self.with(|c| Ok(std::mem::take(c.get_mut())))
            .unwrap_or_default()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.with(|c| c.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for SharedBuffer {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.with(|c| c.seek(pos))
    }
}

/// Whether this FFmpeg build has each of gauntlet's encoders (for `gauntlet media codecs` and
/// for error messages that list what is available).
pub fn available_codecs() -> Vec<(VideoCodec, bool)> {
    VideoCodec::ALL
        .into_iter()
        .map(|c| (c, ff::encoder::find_by_name(c.ffmpeg_name()).is_some()))
        .collect()
}

/// The encoders from gauntlet's list that this FFmpeg has, comma-separated.
pub(crate) fn available_list() -> String {
    let names: Vec<_> = available_codecs()
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(c, _)| c.ffmpeg_name())
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Options that make each encoder single-threaded, deterministic and fast enough to make a
/// run's videos in seconds (the server decodes them; their visual quality is not measured).
fn codec_options(codec: VideoCodec) -> Dictionary<'static> {
    let mut d = Dictionary::new();
    match codec {
        VideoCodec::Vp9 => {
            d.set("deadline", "realtime");
            d.set("cpu-used", "8");
            d.set("row-mt", "0");
        }
        VideoCodec::X264 => {
            d.set("preset", "veryfast");
            d.set(
                "x264-params",
                "threads=1:sliced-threads=0:lookahead-threads=1",
            );
        }
        VideoCodec::X265 => {
            d.set("preset", "ultrafast");
            d.set("x265-params", "pools=none:frame-threads=1:log-level=error");
        }
        VideoCodec::H264Nvenc | VideoCodec::HevcNvenc => {
            d.set("preset", "p1");
        }
    }
    d
}

/// Encodes `frame_count` frames drawn by `next_frame` into one video of `plan`'s codec and
/// container. `index` names the video in errors.
pub fn encode_video(
    plan: &VideoPlan,
    index: u64,
    mut next_frame: impl FnMut(u32) -> Result<YuvFrame, VideoError>,
) -> Result<Vec<u8>, VideoError> {
    let name = plan.codec.ffmpeg_name();
    let fail = |step: &'static str| {
        move |error: ff::Error| VideoError::Ffmpeg {
            index,
            codec: name,
            container: plan.container.muxer(),
            step,
            reason: error.to_string(),
        }
    };
    let codec = ff::encoder::find_by_name(name).ok_or_else(|| VideoError::EncoderMissing {
        codec: name,
        available: available_list(),
    })?;
    let buffer = SharedBuffer::default();
    let io = StreamIo::from_write_seek(buffer.clone()).map_err(fail("custom IO"))?;
    let mut muxer = ff::format::output_to_stream(io, None, Some(plan.container.muxer()))
        .map_err(fail("opening the muxer"))?;
    let global_header = muxer
        .format()
        .flags()
        .contains(ff::format::Flags::GLOBAL_HEADER);

    let fps = plan.fps as i32;
    let time_base = Rational::new(1, fps);
    let mut setup = ff::codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()
        .map_err(fail("making the encoder context"))?;
    setup.set_width(plan.width);
    setup.set_height(plan.height);
    setup.set_format(Pixel::YUV420P);
    setup.set_time_base(time_base);
    setup.set_frame_rate(Some(Rational::new(fps, 1)));
    setup.set_gop(plan.fps.max(1) * 2);
    setup.set_max_b_frames(0);
    let mut flags = ff::codec::Flags::BITEXACT;
    if global_header {
        flags |= ff::codec::Flags::GLOBAL_HEADER;
    }
    setup.set_flags(flags);
    setup.set_threading(threading::Config {
        kind: threading::Type::None,
        count: 1,
        ..Default::default()
    });
    let mut encoder = setup
        .open_as_with(codec, codec_options(plan.codec))
        .map_err(fail("opening the encoder"))?;

    let stream_index = {
        let mut stream = muxer.add_stream(codec).map_err(fail("adding the stream"))?;
        stream.set_parameters(&encoder);
        stream.set_time_base(time_base);
        stream.set_avg_frame_rate(Rational::new(fps, 1));
        stream.index()
    };
    let mut header = Dictionary::new();
    header.set("fflags", "+bitexact");
    muxer
        .write_header_with(header)
        .map_err(fail("writing the header"))?;
    let stream_tb = muxer
        .stream(stream_index)
        .map(|s| s.time_base())
        .unwrap_or(time_base);

    let drain = |encoder: &mut ff::encoder::Video,
                 muxer: &mut ff::format::context::Output|
     -> Result<(), VideoError> {
        let mut packet = Packet::empty();
        while encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(stream_index);
            // Duration first, in the encoder's time base: rescaling a zero duration leaves
            // the last frame with no length and the clip one frame short.
            if packet.duration() == 0 {
                packet.set_duration(1);
            }
            packet.rescale_ts(time_base, stream_tb);
            packet
                .write_interleaved(muxer)
                .map_err(fail("writing a packet"))?;
        }
        Ok(())
    };

    let mut picture = ff::frame::Video::new(Pixel::YUV420P, plan.width, plan.height);
    for n in 0..plan.frame_count() {
        let frame = next_frame(n)?;
        copy_planes(&frame, &mut picture);
        picture.set_pts(Some(i64::from(n)));
        encoder
            .send_frame(&picture)
            .map_err(fail("sending a frame"))?;
        drain(&mut encoder, &mut muxer)?;
    }
    encoder.send_eof().map_err(fail("flushing the encoder"))?;
    drain(&mut encoder, &mut muxer)?;
    muxer.write_trailer().map_err(fail("writing the trailer"))?;
    drop(muxer);
    Ok(buffer.take())
}

/// Copies a packed frame into FFmpeg's frame, whose rows may be padded for alignment.
fn copy_planes(frame: &YuvFrame, picture: &mut ff::frame::Video) {
    for plane in 0..3 {
        let (src, row) = frame.plane(plane);
        let stride = picture.stride(plane);
        let dst = picture.data_mut(plane);
        for (r, line) in src.chunks_exact(row).enumerate() {
            dst[r * stride..r * stride + row].copy_from_slice(line);
        }
    }
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
