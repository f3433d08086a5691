//! Run-time NVENC detection. Data-centre GPUs such as the H100 and H200 have no NVENC engine
//! while L4, L40S, A10 and RTX cards do, so the encoder is opened on a tiny frame rather than
//! assumed from the GPU's presence.

use ff::format::Pixel;
use ff::Rational;
use ffmpeg_next as ff;

use super::VideoError;
use crate::config::VideoCodec;

/// NVENC's smallest accepted frame is larger than some CPU encoders'; this size opens on
/// every NVENC generation.
const PROBE_SIDE: u32 = 256;

/// Checks that `codec` can run here. CPU encoders only need to be in the FFmpeg build; NVENC
/// encoders must also open and accept a frame.
pub fn probe(codec: VideoCodec) -> Result<(), VideoError> {
    let name = codec.ffmpeg_name();
    let Some(encoder) = ff::encoder::find_by_name(name) else {
        if codec.is_nvenc() {
            return Err(unavailable(
                codec,
                "this FFmpeg build has no NVENC encoders (built without --enable-nvenc)".into(),
            ));
        }
        return Err(VideoError::EncoderMissing {
            codec: name,
            available: super::encode::available_list(),
        });
    };
    if !codec.is_nvenc() {
        return Ok(());
    }
    // SAFETY: only tries to dlopen libcuda by name.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(unavailable(
            codec,
            "no NVIDIA driver on this machine (libcuda.so not found)".into(),
        ));
    }
    open_and_send(encoder).map_err(|e| {
        unavailable(
            codec,
            format!(
                "the NVIDIA driver is here but the encoder would not open ({e}): this GPU has no NVENC engine (H100, H200 and A100 have none) or the driver is too old for this FFmpeg"
            ),
        )
    })
}

fn unavailable(codec: VideoCodec, missing: String) -> VideoError {
    VideoError::NvencUnavailable {
        codec: codec.ffmpeg_name(),
        missing,
        instead: codec.cpu_equivalent().ffmpeg_name(),
    }
}

/// Opens the encoder on a small frame and feeds it one, since some drivers fail only then.
fn open_and_send(codec: ff::Codec) -> Result<(), ff::Error> {
    let mut setup = ff::codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()?;
    setup.set_width(PROBE_SIDE);
    setup.set_height(PROBE_SIDE);
    setup.set_format(Pixel::YUV420P);
    setup.set_time_base(Rational::new(1, 30));
    let mut encoder = setup.open_as(codec)?;
    let mut frame = ff::frame::Video::new(Pixel::YUV420P, PROBE_SIDE, PROBE_SIDE);
    frame.set_pts(Some(0));
    encoder.send_frame(&frame)?;
    encoder.send_eof()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_codecs_in_this_build_pass_the_probe() {
        for (codec, present) in super::super::available_codecs() {
            if present && !codec.is_nvenc() {
                probe(codec).unwrap();
            }
        }
    }

    #[test]
    fn nvenc_is_usable_or_one_line_names_the_missing_piece_and_the_cpu_codec() {
        for (codec, instead) in [
            (VideoCodec::H264Nvenc, "libx264"),
            (VideoCodec::HevcNvenc, "libx265"),
        ] {
            match probe(codec) {
                Ok(()) => eprintln!(
                    "note: {} opened: this machine has NVENC",
                    codec.ffmpeg_name()
                ),
                Err(e) => {
                    let text = e.to_string();
                    eprintln!("{text}");
                    assert!(!text.contains('\n'), "{text}");
                    assert!(text.starts_with(&format!("--video-codec {}: ", codec.ffmpeg_name())));
                    assert!(text.ends_with(&format!(
                        "; use --video-codec {instead} (the CPU encoder for the same format) instead"
                    )));
                }
            }
        }
    }
}
