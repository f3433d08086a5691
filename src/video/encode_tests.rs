use std::io::Cursor;

use ffmpeg_next as ff;

use super::*;
use crate::config::{SynthType, VideoContainer};
use crate::video::render_frame;

fn plan(codec: VideoCodec, container: VideoContainer) -> VideoPlan {
    VideoPlan {
        width: 64,
        height: 64,
        fps: 10,
        duration_s: 0.5,
        synth: SynthType::MovingShapes,
        codec,
        container,
        batch_size: 1,
        gpu_synthesis: false,
    }
}

fn encode(plan: &VideoPlan, seed: u64) -> Vec<u8> {
    encode_video(plan, 0, |f| {
        Ok(render_frame(plan.synth, seed, f, plan.width, plan.height))
    })
    .unwrap()
}

/// What FFmpeg's own demuxer and decoder say about a clip.
struct Probe {
    codec: ff::codec::Id,
    width: u32,
    height: u32,
    rate: ff::Rational,
    frames: u32,
    duration_s: f64,
}

fn probe(bytes: Vec<u8>) -> Probe {
    let io = StreamIo::from_read_seek(Cursor::new(bytes)).unwrap();
    let mut input = ff::format::input_from_stream(io, None, None).unwrap();
    let stream = input.streams().best(ff::media::Type::Video).unwrap();
    let index = stream.index();
    let rate = stream.avg_frame_rate();
    let params = stream.parameters();
    let codec = params.id();
    let mut decoder = ff::codec::context::Context::from_parameters(params)
        .unwrap()
        .decoder()
        .video()
        .unwrap();
    let duration_s = input.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE);
    let mut frames = 0;
    let mut picture = ff::frame::Video::empty();
    let mut receive = |d: &mut ff::decoder::Video, frames: &mut u32| {
        while d.receive_frame(&mut picture).is_ok() {
            *frames += 1;
        }
    };
    for (s, packet) in input.packets() {
        if s.index() == index {
            decoder.send_packet(&packet).unwrap();
            receive(&mut decoder, &mut frames);
        }
    }
    decoder.send_eof().unwrap();
    receive(&mut decoder, &mut frames);
    Probe {
        codec,
        width: decoder.width(),
        height: decoder.height(),
        rate,
        frames,
        duration_s,
    }
}

fn cases() -> Vec<(VideoCodec, VideoContainer, ff::codec::Id)> {
    vec![
        (VideoCodec::Vp9, VideoContainer::Webm, ff::codec::Id::VP9),
        (VideoCodec::Vp9, VideoContainer::Mp4, ff::codec::Id::VP9),
        (VideoCodec::X264, VideoContainer::Mp4, ff::codec::Id::H264),
        (VideoCodec::X265, VideoContainer::Mp4, ff::codec::Id::HEVC),
    ]
}

fn present(codec: VideoCodec) -> bool {
    let here = ff::encoder::find_by_name(codec.ffmpeg_name()).is_some();
    if !here {
        eprintln!(
            "SKIPPED: this FFmpeg has no {} encoder",
            codec.ffmpeg_name()
        );
    }
    here
}

#[test]
fn every_cpu_codec_decodes_back_to_the_frames_it_was_given() {
    for (codec, container, id) in cases() {
        if !present(codec) {
            continue;
        }
        let p = plan(codec, container);
        let got = probe(encode(&p, 1));
        let what = format!("{} in {}", codec.ffmpeg_name(), container.muxer());
        assert_eq!(got.codec, id, "{what}");
        assert_eq!((got.width, got.height), (64, 64), "{what}");
        assert_eq!(got.rate, ff::Rational::new(10, 1), "{what}");
        assert_eq!(got.frames, p.frame_count(), "{what}");
        let want = f64::from(p.frame_count()) / 10.0;
        assert!(
            (got.duration_s - want).abs() <= 0.1 + 1e-9,
            "{what}: duration {} vs {want}",
            got.duration_s
        );
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for (codec, container, _) in cases() {
        if !present(codec) {
            continue;
        }
        let p = plan(codec, container);
        let a = encode(&p, 11);
        assert!(!a.is_empty());
        assert_eq!(
            a,
            encode(&p, 11),
            "{} not deterministic",
            codec.ffmpeg_name()
        );
        assert_ne!(
            a,
            encode(&p, 12),
            "{} ignored the seed",
            codec.ffmpeg_name()
        );
    }
}

#[test]
fn bitexact_muxing_leaves_no_version_or_time_stamp() {
    if !present(VideoCodec::Vp9) {
        return;
    }
    let bytes = encode(&plan(VideoCodec::Vp9, VideoContainer::Webm), 3);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("Lavf5") && !text.contains("Lavf6"),
        "muxer version written"
    );
    assert!(bytes.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]), "EBML magic");
}

#[test]
fn a_missing_encoder_is_named_with_what_is_available() {
    let e = VideoError::EncoderMissing {
        codec: "libx265",
        available: available_list(),
    };
    assert!(e
        .to_string()
        .starts_with("--video-codec libx265: this FFmpeg build has no such encoder (available: "));
}

#[test]
fn frame_source_errors_stop_the_encode() {
    if !present(VideoCodec::Vp9) {
        return;
    }
    let p = plan(VideoCodec::Vp9, VideoContainer::Webm);
    let err = encode_video(&p, 4, |_| {
        Err(VideoError::GpuUnavailable {
            missing: "x".into(),
        })
    })
    .unwrap_err();
    assert!(matches!(err, VideoError::GpuUnavailable { .. }));
}

/// Encoder throughput for docs/video.md:
/// `cargo test --release --lib video::encode::tests::measure -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, run by hand in a release build"]
fn measure_frames_per_second() {
    use std::time::Instant;
    let (w, h, fps) = (640, 360, 30);
    for kind in [
        SynthType::MovingShapes,
        SynthType::GridClock,
        SynthType::Noise,
    ] {
        let start = Instant::now();
        let frames: Vec<_> = (0..60).map(|f| render_frame(kind, 5, f, w, h)).collect();
        let rate = frames.len() as f64 / start.elapsed().as_secs_f64();
        eprintln!("synthesis {kind:?} {w}x{h}: {rate:.0} frames/s (one core)");
    }
    for kind in [SynthType::MovingShapes, SynthType::Noise] {
        let frames: Vec<_> = (0..60).map(|f| render_frame(kind, 5, f, w, h)).collect();
        for (codec, container) in [
            (VideoCodec::X264, VideoContainer::Mp4),
            (VideoCodec::Vp9, VideoContainer::Webm),
            (VideoCodec::X265, VideoContainer::Mp4),
        ] {
            if !present(codec) {
                continue;
            }
            let p = VideoPlan {
                width: w,
                height: h,
                fps,
                duration_s: 2.0,
                synth: kind,
                codec,
                container,
                batch_size: 1,
                gpu_synthesis: false,
            };
            let start = Instant::now();
            let bytes = encode_video(&p, 0, |f| Ok(frames[f as usize].clone())).unwrap();
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "encode {kind:?} {} {w}x{h}@{fps}: {:.0} frames/s (one thread), {} KiB",
                codec.ffmpeg_name(),
                f64::from(p.frame_count()) / secs,
                bytes.len() / 1024
            );
        }
    }
}
