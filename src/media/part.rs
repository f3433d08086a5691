//! One encoded media item as a request carries it; media and video make them, dataset keeps
//! them on the workload's entries and payload renders them.

/// One encoded media item, ready to be placed in a chat message's content parts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MediaPart {
    /// An OpenAI `image_url` part; the URL is a `data:image/...;base64,` URI.
    Image {
        /// The data URI.
        url: String,
    },
    /// An OpenAI `input_audio` part.
    Audio {
        /// Container format as OpenAI names it: `wav` or `mp3`.
        format: String,
        /// Base64 of the encoded clip.
        data: String,
    },
    /// A `video_url` part (vLLM's convention); the URL is a `data:video/...;base64,` URI.
    Video {
        /// The data URI.
        url: String,
    },
}

impl MediaPart {
    /// Bytes the part adds to a request body (its URI or base64 text).
    pub fn payload_bytes(&self) -> usize {
        match self {
            MediaPart::Image { url } | MediaPart::Video { url } => url.len(),
            MediaPart::Audio { format, data } => format.len() + data.len(),
        }
    }
}
