//! What the run's synthetic videos look like, resolved from `--video-*` flags. It lives in
//! config (the Plan carries it); video reads it.

/// How frames are drawn (AIPerf's `--video-synth-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SynthType {
    /// Coloured circles and rectangles bouncing around the frame.
    MovingShapes,
    /// A grid with a clock hand that turns and a frame counter in pixel digits.
    GridClock,
    /// Random pixels, the worst case for an encoder.
    Noise,
}

impl SynthType {
    /// The name used on the command line and in the GPU kernel's switch.
    pub fn name(self) -> &'static str {
        match self {
            SynthType::MovingShapes => "moving_shapes",
            SynthType::GridClock => "grid_clock",
            SynthType::Noise => "noise",
        }
    }

    /// The kernel's numeric id, shared by the CPU and GPU paths.
    pub(crate) fn id(self) -> u32 {
        match self {
            SynthType::MovingShapes => 0,
            SynthType::GridClock => 1,
            SynthType::Noise => 2,
        }
    }
}

/// Video encoders gauntlet knows how to configure deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VideoCodec {
    /// libvpx VP9 (CPU); the default, as in AIPerf.
    #[serde(rename = "libvpx-vp9")]
    Vp9,
    /// x264 H.264 (CPU).
    #[serde(rename = "libx264")]
    X264,
    /// x265 HEVC (CPU).
    #[serde(rename = "libx265")]
    X265,
    /// NVIDIA NVENC H.264 (needs a GPU with NVENC hardware).
    #[serde(rename = "h264_nvenc")]
    H264Nvenc,
    /// NVIDIA NVENC HEVC (needs a GPU with NVENC hardware).
    #[serde(rename = "hevc_nvenc")]
    HevcNvenc,
}

impl VideoCodec {
    /// Every codec, in the order `--help` and `gauntlet media codecs` list them.
    pub const ALL: [VideoCodec; 5] = [
        VideoCodec::Vp9,
        VideoCodec::X264,
        VideoCodec::X265,
        VideoCodec::H264Nvenc,
        VideoCodec::HevcNvenc,
    ];

    /// FFmpeg's encoder name.
    pub fn ffmpeg_name(self) -> &'static str {
        match self {
            VideoCodec::Vp9 => "libvpx-vp9",
            VideoCodec::X264 => "libx264",
            VideoCodec::X265 => "libx265",
            VideoCodec::H264Nvenc => "h264_nvenc",
            VideoCodec::HevcNvenc => "hevc_nvenc",
        }
    }

    /// The encoder for a name as typed, if gauntlet supports it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.ffmpeg_name() == name)
    }

    /// Whether this encoder runs on NVIDIA hardware and must be probed before use.
    pub fn is_nvenc(self) -> bool {
        matches!(self, VideoCodec::H264Nvenc | VideoCodec::HevcNvenc)
    }

    /// The CPU encoder that produces the same bitstream format, offered when NVENC is missing.
    pub fn cpu_equivalent(self) -> VideoCodec {
        match self {
            VideoCodec::H264Nvenc => VideoCodec::X264,
            VideoCodec::HevcNvenc => VideoCodec::X265,
            other => other,
        }
    }

    /// Whether the WebM container may hold this codec's bitstream (VP8/VP9/AV1 only).
    pub fn fits_webm(self) -> bool {
        matches!(self, VideoCodec::Vp9)
    }
}

/// The container the encoded stream is muxed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoContainer {
    /// WebM (Matroska subset); the default.
    Webm,
    /// MP4 (ISO BMFF).
    Mp4,
}

impl VideoContainer {
    /// FFmpeg's muxer name.
    pub fn muxer(self) -> &'static str {
        match self {
            VideoContainer::Webm => "webm",
            VideoContainer::Mp4 => "mp4",
        }
    }

    /// The MIME type of the data URI.
    pub fn mime(self) -> &'static str {
        match self {
            VideoContainer::Webm => "video/webm",
            VideoContainer::Mp4 => "video/mp4",
        }
    }
}

/// Everything needed to make a run's videos; resolved from `--video-*` flags.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VideoPlan {
    /// Frame width in pixels (even).
    pub width: u32,
    /// Frame height in pixels (even).
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// Clip length in seconds; the frame count is round(duration × fps), at least 1.
    pub duration_s: f64,
    /// How frames are drawn.
    pub synth: SynthType,
    /// The encoder.
    pub codec: VideoCodec,
    /// The container.
    pub container: VideoContainer,
    /// Videos attached to each root request.
    pub batch_size: u32,
    /// Draw frames on the GPU (cudarc + NVRTC) instead of the CPU.
    pub gpu_synthesis: bool,
}

impl VideoPlan {
    /// Frames in each clip.
    pub fn frame_count(&self) -> u32 {
        ((self.duration_s * f64::from(self.fps)).round() as u32).max(1)
    }
}
