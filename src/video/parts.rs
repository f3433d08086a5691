//! A run's videos, made in parallel before the clock starts for each root request (a
//! session's first turns, or every single-turn entry); the caller puts them on the workload.

use rand::RngCore;
use rayon::prelude::*;

use super::encode::encode_video;
use super::gpu::GpuSynth;
use super::synth::render_frame;
use super::{nvenc, VideoError};
use crate::config::VideoPlan;
use crate::media::MediaPart;
use crate::rng::RngRoot;

/// `plan.batch_size` videos, as `video_url` data URIs, for each of `roots` session roots (in
/// root order). Video `i` (counting across roots) depends only on (seed, i), so the result is
/// the same on any core count.
pub fn parts(
    plan: &VideoPlan,
    roots: usize,
    root: &RngRoot,
) -> Result<Vec<Vec<MediaPart>>, VideoError> {
    // FFmpeg's own log lines would interleave across threads; errors come back as values.
    ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Fatal);
    nvenc::probe(plan.codec)?;
    let gpu = if plan.gpu_synthesis {
        Some(GpuSynth::new()?)
    } else {
        None
    };
    let count = roots as u64 * u64::from(plan.batch_size);
    let urls = (0..count)
        .into_par_iter()
        .map(|index| {
            let seed = root.stream("video", index).next_u64();
            let bytes = encode_video(plan, index, |frame| match &gpu {
                Some(gpu) => gpu.render(plan.synth, seed, frame, plan.width, plan.height),
                None => Ok(render_frame(
                    plan.synth,
                    seed,
                    frame,
                    plan.width,
                    plan.height,
                )),
            })?;
            Ok(data_uri(plan.container.mime(), &bytes))
        })
        .collect::<Result<Vec<String>, VideoError>>()?;
    let mut urls = urls.into_iter();
    Ok((0..roots)
        .map(|_| {
            urls.by_ref()
                .take(plan.batch_size as usize)
                .map(|url| MediaPart::Video { url })
                .collect()
        })
        .collect())
}

/// The shared `data:<mime>;base64,` encoder of the media module.
pub(crate) use crate::media::data_uri;

#[cfg(test)]
#[path = "parts_tests.rs"]
mod tests;
