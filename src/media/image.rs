//! Synthetic images: one of the shipped source photos, resized to a drawn size and encoded as
//! PNG or JPEG, the way AIPerf makes them.

use std::io::Cursor;
use std::sync::OnceLock;

use image::imageops::FilterType;
use image::DynamicImage;
use rand::Rng;

use super::MediaError;
use crate::config::{ImageFormatChoice, ImagePlan};

/// Largest width or height made; bigger draws are refused rather than exhausting memory.
pub const MAX_SIDE: u32 = 16_384;

/// The four source photos (AIPerf's assets, Apache-2.0; see assets/README.md). Embedded, since
/// together they are under 600 kB and the binary then needs no asset folder for images.
const SOURCES: [&[u8]; 4] = [
    include_bytes!("../../assets/source_images/0bfd8fdf-457f-43c8-9253-a2346d37d26a_1024.jpg"),
    include_bytes!("../../assets/source_images/119544eb-9bbf-47d1-8d93-a51de6370295_861.jpg"),
    include_bytes!("../../assets/source_images/1ba066e0-7291-4ef4-8a6e-e8724af7f046_865.jpg"),
    include_bytes!("../../assets/source_images/c946f826-4a9a-4ca2-b891-9f791d38092b_1024.jpg"),
];

/// An encoded image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Lossless, large.
    Png,
    /// Lossy, small.
    Jpeg,
}

impl ImageFormat {
    /// The MIME subtype used in the data URI.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
        }
    }
}

/// One image's drawn parameters, kept apart from encoding so tests can check the draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageDraw {
    /// Which source photo.
    pub source: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Encoding.
    pub format: ImageFormat,
}

/// Draws one image's parameters from `rng`; `index` is the entry's position (for sequences).
pub fn draw<R: Rng + ?Sized>(
    plan: &ImagePlan,
    rng: &mut R,
    index: u64,
) -> Result<ImageDraw, MediaError> {
    let source = rng.random_range(0..SOURCES.len());
    let width = plan.width.sample_u32(rng, index, 1);
    let height = plan.height.sample_u32(rng, index, 1);
    for (flag, side) in [
        ("--image-width-mean", width),
        ("--image-height-mean", height),
    ] {
        if side > MAX_SIDE {
            return Err(MediaError::TooLarge {
                flag,
                value: side,
                max: MAX_SIDE,
            });
        }
    }
    let format = match plan.format {
        ImageFormatChoice::Png => ImageFormat::Png,
        ImageFormatChoice::Jpeg => ImageFormat::Jpeg,
        ImageFormatChoice::Random if rng.random_bool(0.5) => ImageFormat::Png,
        ImageFormatChoice::Random => ImageFormat::Jpeg,
    };
    Ok(ImageDraw {
        source,
        width,
        height,
        format,
    })
}

/// The decoded source photos, decoded once per process (decoding is deterministic, so the
/// cache cannot change what is made).
fn sources() -> Result<&'static [DynamicImage], MediaError> {
    static DECODED: OnceLock<Result<Vec<DynamicImage>, String>> = OnceLock::new();
    let decoded = DECODED.get_or_init(|| {
        SOURCES
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
                    .map(|img| DynamicImage::ImageRgb8(img.to_rgb8()))
                    .map_err(|e| format!("source image {i}: {e}"))
            })
            .collect()
    });
    match decoded {
        Ok(images) => Ok(images),
        Err(message) => Err(MediaError::Image(message.clone())),
    }
}

/// Resizes and encodes one drawn image (JPEG at the `image` crate's quality 75).
///
/// `DynamicImage`'s methods are compiled inside the `image` crate, so they run optimised even
/// in a debug build of gauntlet; the generic `imageops` functions would not.
pub fn encode(draw: &ImageDraw) -> Result<Vec<u8>, MediaError> {
    let sources = sources()?;
    let source = &sources[draw.source % sources.len()];
    let resized = source.resize_exact(draw.width, draw.height, FilterType::Triangle);
    let format = match draw.format {
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
    };
    let mut out = Cursor::new(Vec::new());
    resized.write_to(&mut out, format).map_err(|e| {
        let (w, h) = (draw.width, draw.height);
        MediaError::Image(format!("encoding a {w}x{h} {:?}: {e}", draw.format))
    })?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::{DistSpec, Shape};
    use crate::rng::RngRoot;

    fn plan(format: ImageFormatChoice) -> ImagePlan {
        let normal =
            |mean, stddev| DistSpec::new(Shape::Normal { mean, stddev }, None, None, "t").unwrap();
        ImagePlan {
            width: normal(300.0, 40.0),
            height: normal(120.0, 0.0),
            format,
            batch_size: 1,
        }
    }

    #[test]
    fn drawn_sizes_follow_the_distributions() {
        let plan = plan(ImageFormatChoice::Random);
        let root = RngRoot::new(3);
        let draws: Vec<_> = (0..2000)
            .map(|i| draw(&plan, &mut root.stream("image", i), i).unwrap())
            .collect();
        let n = draws.len() as f64;
        let mean = draws.iter().map(|d| f64::from(d.width)).sum::<f64>() / n;
        let var = draws
            .iter()
            .map(|d| (f64::from(d.width) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!((mean - 300.0).abs() < 4.0, "mean {mean}");
        assert!((var.sqrt() - 40.0).abs() < 4.0, "stddev {}", var.sqrt());
        assert!(draws.iter().all(|d| d.height == 120));
        let png = draws
            .iter()
            .filter(|d| d.format == ImageFormat::Png)
            .count();
        assert!((800..1200).contains(&png), "{png} PNGs of 2000");
        let mut seen = [false; 4];
        draws.iter().for_each(|d| seen[d.source] = true);
        assert_eq!(seen, [true; 4]);
    }

    #[test]
    fn png_and_jpeg_decode_back_to_the_drawn_size() {
        for (format, expected) in [
            (ImageFormat::Png, image::ImageFormat::Png),
            (ImageFormat::Jpeg, image::ImageFormat::Jpeg),
        ] {
            let d = ImageDraw {
                source: 2,
                width: 37,
                height: 21,
                format,
            };
            let bytes = encode(&d).unwrap();
            assert_eq!(image::guess_format(&bytes).unwrap(), expected);
            let back = image::load_from_memory(&bytes).unwrap();
            assert_eq!((back.width(), back.height()), (37, 21));
        }
    }

    #[test]
    fn oversized_draws_name_the_flag() {
        let mut p = plan(ImageFormatChoice::Png);
        p.height = DistSpec::fixed(20_000.0, "t").unwrap();
        let err = draw(&p, &mut RngRoot::new(0).stream("image", 0), 0).unwrap_err();
        assert!(err.to_string().contains("--image-height-mean"), "{err}");
    }
}
