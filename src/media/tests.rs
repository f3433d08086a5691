use super::*;
use crate::config::{AudioPlan, ImageFormatChoice, ImagePlan, ImageSource, SourceSampling};
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
            source: ImageSource::Stamped,
            sampling: SourceSampling::RandomWithReplacement,
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

/// The image URIs of `n` single-turn entries (one image each, `side` px square) with the
/// given source, sampling and format, made on a pool of `threads` threads.
fn image_uris(
    source: ImageSource,
    sampling: SourceSampling,
    format: ImageFormatChoice,
    side: f64,
    n: usize,
    threads: usize,
) -> Vec<String> {
    let plan = MediaPlan {
        images: Some(ImagePlan {
            width: DistSpec::fixed(side, "t").unwrap(),
            height: DistSpec::fixed(side, "t").unwrap(),
            format,
            batch_size: 1,
            source,
            sampling,
        }),
        audio: None,
    };
    let roots: Vec<usize> = (0..n).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let parts = pool
        .install(|| parts(&plan, &roots, &RngRoot::new(11), &mp3::Libmp3lame))
        .unwrap();
    parts
        .into_iter()
        .map(|mut p| match p.pop() {
            Some(MediaPart::Image { url }) => url,
            other => panic!("expected one image, got {other:?}"),
        })
        .collect()
}

fn distinct(uris: &[String]) -> usize {
    uris.iter().collect::<std::collections::HashSet<_>>().len()
}

#[test]
fn a_thousand_stamped_images_are_a_thousand_distinct_images_on_any_pool() {
    use ImageSource::Stamped;
    use SourceSampling::RandomWithReplacement as Random;
    for format in [ImageFormatChoice::Png, ImageFormatChoice::Jpeg] {
        let one = image_uris(Stamped, Random, format, 24.0, 1000, 1);
        assert_eq!(distinct(&one), 1000, "{format:?}");
        assert_eq!(one, image_uris(Stamped, Random, format, 24.0, 1000, 4));
    }
    // The stamp is in the pixels, not only in the bytes: decoded images differ too.
    let two = image_uris(Stamped, Random, ImageFormatChoice::Png, 64.0, 2, 1);
    let decode = |uri: &str| {
        let payload = uri.split_once(',').unwrap().1;
        ::image::load_from_memory(&BASE64.decode(payload).unwrap())
            .unwrap()
            .to_rgb8()
    };
    assert_ne!(decode(&two[0]).into_raw(), decode(&two[1]).into_raw());
}

#[test]
fn aiperf_assets_repeat_the_four_photos_and_noise_never_repeats() {
    use ImageFormatChoice::Png;
    let assets = |sampling| image_uris(ImageSource::Assets, sampling, Png, 24.0, 1000, 4);
    let random = assets(SourceSampling::RandomWithReplacement);
    assert_eq!(distinct(&random), 4, "one image per photo at one size");
    assert!(
        random.windows(2).any(|w| w[0] == w[1]),
        "repeats come at once"
    );
    let sequential = assets(SourceSampling::SequentialCycle);
    assert!(
        (0..996).all(|i| sequential[i] == sequential[i + 4] && sequential[i] != sequential[i + 1])
    );
    let shuffled = assets(SourceSampling::ShuffleCycle);
    for cycle in shuffled.chunks(4) {
        assert_eq!(distinct(cycle), 4, "every photo once per cycle");
    }
    assert_ne!(shuffled[..8], sequential[..8], "cycles are shuffled");
    let noise = image_uris(
        ImageSource::Noise,
        SourceSampling::RandomWithReplacement,
        Png,
        16.0,
        1000,
        4,
    );
    assert_eq!(distinct(&noise), 1000);
}

#[test]
fn audio_clips_differ_per_entry() {
    let plan = MediaPlan {
        images: None,
        audio: Some(AudioPlan {
            length_s: DistSpec::fixed(0.01, "t").unwrap(),
            sample_rates_hz: vec![16_000],
            depths: vec![16],
            channels: 1,
            format: AudioFormat::Wav,
            batch_size: 1,
        }),
    };
    let roots: Vec<usize> = (0..1000).collect();
    let clips: Vec<String> = parts(&plan, &roots, &RngRoot::new(2), &mp3::Libmp3lame)
        .unwrap()
        .into_iter()
        .flatten()
        .map(|part| match part {
            MediaPart::Audio { data, .. } => data,
            other => panic!("expected audio, got {other:?}"),
        })
        .collect();
    let set: std::collections::HashSet<_> = clips.iter().collect();
    assert_eq!(set.len(), 1000);
}
