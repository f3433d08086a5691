//! Synthetic video made in-process: frames drawn from the seed (on the CPU, or on the GPU with
//! `--video-gpu-synthesis`), encoded in memory through the system FFmpeg (ffmpeg-next), and
//! returned as `video_url` data URIs for the workload's root entries before the clock starts.
//!
//! Everything here is deterministic: the same seed and plan give byte-identical videos on any
//! core count, because every video is encoded single-threaded with FFmpeg's bit-exact flags and
//! videos are spread across cores with rayon instead.

pub mod codecs;
pub mod encode;
pub mod font;
pub mod gpu;
pub mod kernel;
pub mod nvenc;
pub mod parts;
pub mod synth;

pub use encode::{available_codecs, encode_video};
pub use parts::parts;
pub use synth::{render_frame, YuvFrame};

/// Why videos could not be made. Each message is one line naming what was missing and what to
/// do instead.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// The local FFmpeg build has no such encoder.
    #[error("--video-codec {codec}: this FFmpeg build has no such encoder (available: {available}); install an FFmpeg with it or pick one of those")]
    EncoderMissing {
        /// The encoder asked for.
        codec: &'static str,
        /// Encoders from gauntlet's list that this FFmpeg has.
        available: String,
    },
    /// NVENC was asked for but cannot run here.
    #[error("--video-codec {codec}: {missing}; use --video-codec {instead} (the CPU encoder for the same format) instead")]
    NvencUnavailable {
        /// The NVENC encoder asked for.
        codec: &'static str,
        /// What was missing (driver, GPU, NVENC engine), with FFmpeg's own reason.
        missing: String,
        /// The CPU encoder to use instead.
        instead: &'static str,
    },
    /// `--video-gpu-synthesis` was asked for but CUDA cannot run here.
    #[error("GPU video synthesis needs {missing}; drop --video-gpu-synthesis")]
    GpuUnavailable {
        /// What was missing.
        missing: String,
    },
    /// The GPU was found but a CUDA call failed.
    #[error("GPU video synthesis: {step}: {message}")]
    Gpu {
        /// The step that failed (compiling the kernel, launching it, copying frames back).
        step: &'static str,
        /// CUDA's or NVRTC's reason.
        message: String,
    },
    /// An FFmpeg call failed while encoding.
    #[error("encoding video {index} with {codec} into {container}: {step}: {reason}")]
    Ffmpeg {
        /// Which video of the run.
        index: u64,
        /// The encoder.
        codec: &'static str,
        /// The container.
        container: &'static str,
        /// The FFmpeg step that failed.
        step: &'static str,
        /// FFmpeg's error, as text (the type would tie every binary that prints this
        /// error to FFmpeg's libraries).
        reason: String,
    },
    /// The `gauntlet-ffmpeg` helper failed or said why it could not make the videos; the
    /// message is its one line.
    #[error("{0}")]
    Helper(String),
}
