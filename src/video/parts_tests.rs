use super::*;
use crate::config::{SynthType, VideoCodec, VideoContainer};
use crate::dataset::{TurnLinks, Workload, WorkloadEntry};

fn plan(batch_size: u32) -> VideoPlan {
    VideoPlan {
        width: 32,
        height: 32,
        fps: 4,
        duration_s: 0.5,
        synth: SynthType::GridClock,
        codec: VideoCodec::Vp9,
        container: VideoContainer::Webm,
        batch_size,
        gpu_synthesis: false,
    }
}

/// Adds the plan's videos to the roots of `workload`, as a run does.
fn attach(plan: &VideoPlan, workload: &mut Workload, root: &RngRoot) -> Result<(), VideoError> {
    let roots = workload.session_roots();
    let media = parts(plan, roots.len(), root)?;
    workload.add_root_media(&roots, media);
    Ok(())
}

fn workload() -> Workload {
    let mut entries: Vec<_> = (0..3)
        .map(|i| WorkloadEntry::single(format!("s{i}"), "hi".into(), 1, None))
        .collect();
    entries[2].turn = TurnLinks {
        parents: vec![1],
        history: Some(1),
        delay_ms: 0,
    };
    Workload::single_turn(entries)
}

#[test]
fn roots_get_batch_size_distinct_videos_and_later_turns_none() {
    if ffmpeg_next::encoder::find_by_name("libvpx-vp9").is_none() {
        eprintln!("SKIPPED: this FFmpeg has no libvpx-vp9 encoder");
        return;
    }
    let mut w = workload();
    attach(&plan(2), &mut w, &RngRoot::new(1)).unwrap();
    let counts: Vec<_> = w.entries.iter().map(|e| e.media.len()).collect();
    assert_eq!(counts, [2, 2, 0]);
    let urls: Vec<_> = w.entries[..2]
        .iter()
        .flat_map(|e| &e.media)
        .map(|m| match m {
            MediaPart::Video { url } => url.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(urls
        .iter()
        .all(|u| u.starts_with("data:video/webm;base64,GkXfo")));
    let distinct: std::collections::HashSet<_> = urls.iter().collect();
    assert_eq!(distinct.len(), 4);
    let mut again = workload();
    attach(&plan(2), &mut again, &RngRoot::new(1)).unwrap();
    assert_eq!(w, again, "same seed, same videos");
}

#[test]
fn nvenc_without_hardware_fails_before_any_work() {
    let mut p = plan(1);
    p.codec = VideoCodec::H264Nvenc;
    p.container = VideoContainer::Mp4;
    let mut w = workload();
    match attach(&p, &mut w, &RngRoot::new(1)) {
        Ok(()) => eprintln!("note: NVENC present here; attached with h264_nvenc"),
        Err(e) => {
            assert!(matches!(e, VideoError::NvencUnavailable { .. }), "{e}");
            assert!(w.entries.iter().all(|e| e.media.is_empty()));
        }
    }
}

#[test]
fn base64_matches_the_rfc_vectors() {
    let cases = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];
    for (raw, want) in cases {
        assert_eq!(
            data_uri("x/y", raw.as_bytes()),
            format!("data:x/y;base64,{want}")
        );
    }
}
