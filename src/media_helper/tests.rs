use super::*;
use crate::config::{ImageFormatChoice, ImagePlan};
use crate::dist::{DistSpec, Shape};

fn images_only() -> MediaPlan {
    let side = DistSpec::new(
        Shape::Normal {
            mean: 16.0,
            stddev: 0.0,
        },
        None,
        None,
        "t",
    )
    .unwrap();
    MediaPlan {
        images: Some(ImagePlan {
            width: side.clone(),
            height: side,
            format: ImageFormatChoice::Png,
            batch_size: 1,
            source: crate::config::ImageSource::Stamped,
            sampling: crate::config::SourceSampling::RandomWithReplacement,
        }),
        audio: None,
    }
}

#[test]
fn media_without_ffmpeg_is_made_here_exactly_as_in_process() {
    let (plan, root) = (images_only(), RngRoot::new(3));
    assert!(!needs_ffmpeg(&plan, None));
    let roots = [0, 2, 5];
    let here = HelperProcess
        .media_parts(&plan, None, &roots, &root)
        .unwrap();
    let linked = InProcess.media_parts(&plan, None, &roots, &root).unwrap();
    assert_eq!(here, linked);
    assert_eq!(here.len(), 3);
    assert_ne!(here[0], here[1], "entry indices pick the streams");
}

#[test]
fn a_root_beyond_the_entries_is_one_line() {
    let job = Job::Attach {
        media: images_only(),
        video: None,
        seed: 1,
        entries: 2,
        roots: vec![0, 2],
    };
    let input = serde_json::to_vec(&job).unwrap();
    let mut out = Vec::new();
    serve(&mut input.as_slice(), &mut out).unwrap();
    let reply: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(reply["Error"], "root entry 2 is beyond the job's 2 entries");
}
