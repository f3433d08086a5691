use super::*;
use crate::config::{AudioPlan, ImageFormatChoice, ImagePlan};
use crate::dataset::{TurnLinks, Workload, WorkloadEntry};
use crate::dist::{DistSpec, Shape};

fn normal(mean: f64, stddev: f64) -> DistSpec {
    DistSpec::new(Shape::Normal { mean, stddev }, None, None, "t").unwrap()
}

fn plan() -> MediaPlan {
    MediaPlan {
        images: Some(ImagePlan {
            width: normal(48.0, 8.0),
            height: normal(32.0, 8.0),
            format: ImageFormatChoice::Random,
            batch_size: 2,
        }),
        audio: Some(AudioPlan {
            length_s: normal(0.05, 0.02),
            sample_rates_hz: vec![16_000, 24_000],
            depths: vec![16, 24],
            channels: 1,
            format: AudioFormat::Wav,
            batch_size: 1,
        }),
    }
}

/// Adds the plan's media to the roots of `workload`, as a run does.
fn attach(plan: &MediaPlan, workload: &mut Workload, root: &RngRoot) -> Result<(), MediaError> {
    let roots = workload.session_roots();
    let media = parts(plan, &roots, root, &mp3::Libmp3lame)?;
    workload.add_root_media(&roots, media);
    Ok(())
}

fn workload(n: usize) -> Workload {
    let entries = (0..n)
        .map(|i| {
            let mut e = WorkloadEntry::single(format!("s{i}"), "p".into(), 1, None);
            if i % 3 == 2 {
                e.turn = TurnLinks {
                    parents: vec![0],
                    history: Some(0),
                    delay_ms: 0,
                };
            }
            e
        })
        .collect();
    Workload::single_turn(entries)
}

fn attach_on(threads: usize, seed: u64) -> Workload {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut w = workload(12);
    pool.install(|| attach(&plan(), &mut w, &RngRoot::new(seed)))
        .unwrap();
    w
}

#[test]
fn media_is_byte_identical_on_one_and_two_threads() {
    let one = attach_on(1, 5);
    assert_eq!(one, attach_on(2, 5));
    assert_ne!(one, attach_on(2, 6), "the seed changes the media");
}

#[test]
fn roots_get_images_then_audio_and_later_turns_get_none() {
    let w = attach_on(2, 1);
    for (i, e) in w.entries.iter().enumerate() {
        if i % 3 == 2 {
            assert!(e.media.is_empty(), "entry {i} is a later turn");
            continue;
        }
        assert_eq!(e.media.len(), 3, "entry {i}");
        assert!(matches!(&e.media[0], MediaPart::Image { url } if url.starts_with("data:image/")));
        assert!(matches!(&e.media[1], MediaPart::Image { .. }));
        match &e.media[2] {
            MediaPart::Audio { format, data } => {
                assert_eq!(format, "wav");
                let bytes = BASE64.decode(data).unwrap();
                assert_eq!(&bytes[..4], b"RIFF");
            }
            other => panic!("expected audio, got {other:?}"),
        }
    }
}

#[test]
fn a_plan_without_media_leaves_the_workload_alone() {
    let mut w = workload(3);
    let before = w.clone();
    attach(&MediaPlan::default(), &mut w, &RngRoot::new(0)).unwrap();
    assert_eq!(w, before);
}

#[test]
fn data_uris_are_prefixed_base64() {
    assert_eq!(data_uri("image/png", b"hi!"), "data:image/png;base64,aGkh");
}
