//! Criterion benches for each synthetic media generator: what preparing a multimodal run costs.
//!
//! Throughput is in elements: images for images, seconds of audio for audio clips, frames for
//! videos, so criterion's "elem/s" reads as images/s, audio seconds/s and frames/s.
//! Encoders missing from the local FFmpeg are skipped with a printed note.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use gauntlet::config::{SynthType, VideoCodec, VideoContainer, VideoPlan};
use gauntlet::media::audio::{self, AudioDraw};
use gauntlet::media::image::{self, ImageDraw, ImageFormat, Pixels};
use gauntlet::media::mp3;
use gauntlet::rng::RngRoot;
use gauntlet::video::{encode_video, render_frame};

fn images(c: &mut Criterion) {
    let mut group = c.benchmark_group("image");
    group.throughput(Throughput::Elements(1));
    for (name, format) in [
        ("png_512x512", ImageFormat::Png),
        ("jpeg_512x512", ImageFormat::Jpeg),
    ] {
        let draw = ImageDraw {
            pixels: Pixels::Photo {
                source: 0,
                stamp: Some(1),
            },
            width: 512,
            height: 512,
            format,
        };
        group.bench_function(name, |b| {
            b.iter(|| black_box(image::encode(black_box(&draw)).expect("image encodes")))
        });
    }
    group.finish();
}

fn clip(rate_hz: u32, seconds: f64) -> AudioDraw {
    AudioDraw {
        rate_hz,
        depth: 16,
        channels: 1,
        seconds,
    }
}

fn audio_clips(c: &mut Criterion) {
    let root = RngRoot::new(1);
    let mut group = c.benchmark_group("audio");
    group.throughput(Throughput::Elements(5));
    group.bench_function("wav_5s_16khz_16bit", |b| {
        let mut rng = root.stream("audio", 0);
        b.iter(|| {
            let clip = audio::synthesize(clip(16_000, 5.0), &mut rng);
            black_box(audio::to_wav(&clip).expect("WAV encodes"))
        })
    });
    if mp3::check_available().is_ok() {
        group.bench_function("mp3_5s_44khz", |b| {
            let mut rng = root.stream("audio", 1);
            b.iter(|| {
                let clip = audio::synthesize(clip(44_100, 5.0), &mut rng);
                black_box(mp3::encode(&clip).expect("MP3 encodes"))
            })
        });
    } else {
        eprintln!("note: skipping audio/mp3_5s_44khz: this FFmpeg has no libmp3lame");
    }
    group.finish();
}

fn videos(c: &mut Criterion) {
    ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Fatal);
    let available = gauntlet::video::available_codecs();
    let mut group = c.benchmark_group("video");
    for (codec, container) in [
        (VideoCodec::Vp9, VideoContainer::Webm),
        (VideoCodec::X264, VideoContainer::Mp4),
    ] {
        let name = format!("{}_64x64_10fps_1s", codec.ffmpeg_name());
        if !available.contains(&(codec, true)) {
            eprintln!(
                "note: skipping video/{name}: this FFmpeg has no {}",
                codec.ffmpeg_name()
            );
            continue;
        }
        let plan = VideoPlan {
            width: 64,
            height: 64,
            fps: 10,
            duration_s: 1.0,
            synth: SynthType::MovingShapes,
            codec,
            container,
            batch_size: 1,
            gpu_synthesis: false,
        };
        group.throughput(Throughput::Elements(u64::from(plan.frame_count())));
        group.bench_function(name, |b| {
            b.iter(|| {
                let bytes = encode_video(&plan, 0, |frame| {
                    Ok(render_frame(plan.synth, 7, frame, plan.width, plan.height))
                })
                .expect("video encodes");
                black_box(bytes)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, images, audio_clips, videos);
criterion_main!(benches);
