//! Synthetic images: one of the shipped source photos, resized to a drawn size, stamped with a
//! mark of its own (or left as it is, or replaced by noise: `--image-source`) and encoded as
//! PNG or JPEG, the way AIPerf makes them.

use std::sync::OnceLock;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{DynamicImage, Rgb, RgbImage};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// What an image's pixels are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pixels {
    /// Source photo `source`, resized; with `stamp`, marked with those 64 bits in its top-left
    /// corner (see [`stamp`]).
    Photo {
        /// Which source photo.
        source: usize,
        /// The mark that makes the image one of its own, if any.
        stamp: Option<u64>,
    },
    /// Uniform random pixels from a ChaCha stream seeded with `seed`.
    Noise {
        /// The stream's seed.
        seed: u64,
    },
}

/// One image's drawn parameters, kept apart from encoding so tests can check the draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageDraw {
    /// What the pixels are.
    pub pixels: Pixels,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Encoding.
    pub format: ImageFormat,
}

/// How many source photos are built in.
pub const SOURCE_COUNT: usize = SOURCES.len();

/// Draws one image's parameters from `rng`; `index` is the entry's position (for sequences).
/// The pixels are an unstamped, randomly drawn photo; [`super::image_pool`] then applies
/// `--image-source` and `--image-source-sampling`.
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
        pixels: Pixels::Photo {
            source,
            stamp: None,
        },
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

/// Source photo `source` resized to `width × height` (triangle filter).
///
/// `DynamicImage`'s methods are compiled inside the `image` crate, so they run optimised even
/// in a debug build of gauntlet; the generic `imageops` functions would not.
pub fn resized(source: usize, width: u32, height: u32) -> Result<DynamicImage, MediaError> {
    let sources = sources()?;
    let photo = &sources[source % sources.len()];
    Ok(photo.resize_exact(width, height, FilterType::Triangle))
}

/// Side of one stamp cell: the 8 × 8 cells span an eighth of the shorter side (at least 1 px,
/// so images of 8 × 8 px and up carry all 64 bits).
fn cell_side(width: u32, height: u32) -> u32 {
    (width.min(height) / 64).max(1)
}

/// Paints `bits` into the top-left corner of `image` as 8 × 8 black (0) and white (1) cells,
/// bit `b` in row `b / 8`, column `b % 8`; cells beyond the image are left out. Two images
/// with different stamps differ in their pixels, so a server hashing decoded images cannot
/// take one for the other; cells of 8 px and more survive JPEG.
pub fn stamp(image: &mut RgbImage, bits: u64) {
    let side = cell_side(image.width(), image.height());
    for bit in 0..64u32 {
        let value = if bits >> bit & 1 == 1 { 255 } else { 0 };
        let (x0, y0) = ((bit % 8) * side, (bit / 8) * side);
        for y in y0..(y0 + side).min(image.height()) {
            for x in x0..(x0 + side).min(image.width()) {
                image.put_pixel(x, y, Rgb([value; 3]));
            }
        }
    }
}

/// `width × height` uniform random RGB pixels from a ChaCha stream seeded with `seed`.
pub fn noise(seed: u64, width: u32, height: u32) -> Result<RgbImage, MediaError> {
    let mut bytes = vec![0u8; width as usize * height as usize * 3];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut bytes);
    RgbImage::from_raw(width, height, bytes)
        .ok_or_else(|| MediaError::Image(format!("a {width}x{height} noise image")))
}

/// The pixels `draw` names, resized (photos, stamped when asked) or drawn (noise).
pub fn pixels(draw: &ImageDraw) -> Result<DynamicImage, MediaError> {
    match draw.pixels {
        Pixels::Photo {
            source,
            stamp: bits,
        } => {
            let image = resized(source, draw.width, draw.height)?;
            Ok(match bits {
                Some(bits) => stamped(image, bits),
                None => image,
            })
        }
        Pixels::Noise { seed } => Ok(DynamicImage::ImageRgb8(noise(
            seed,
            draw.width,
            draw.height,
        )?)),
    }
}

/// `image` (an RGB photo) with `bits` stamped in.
pub fn stamped(image: DynamicImage, bits: u64) -> DynamicImage {
    let mut rgb = image.into_rgb8();
    stamp(&mut rgb, bits);
    DynamicImage::ImageRgb8(rgb)
}

/// Makes and encodes one drawn image.
pub fn encode(draw: &ImageDraw) -> Result<Vec<u8>, MediaError> {
    encode_pixels(&pixels(draw)?, draw.format)
}

/// Encodes `image` fast: PNG with fdeflate's fast compression and the adaptive filter (what
/// keeps a photo small at that speed), JPEG at quality 75 (PIL's default, which AIPerf uses).
pub fn encode_pixels(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, MediaError> {
    let (width, height) = (image.width(), image.height());
    let mut out = Vec::with_capacity(width as usize * height as usize * 3 / 2 + 1024);
    let written = match format {
        ImageFormat::Png => image.write_with_encoder(PngEncoder::new_with_quality(
            &mut out,
            CompressionType::Fast,
            PngFilter::Adaptive,
        )),
        ImageFormat::Jpeg => {
            image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
    };
    written
        .map_err(|e| MediaError::Image(format!("encoding a {width}x{height} {format:?}: {e}")))?;
    Ok(out)
}

/// JPEG quality: PIL's default, which AIPerf's images are saved with.
pub const JPEG_QUALITY: u8 = 75;

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
            source: crate::config::ImageSource::Stamped,
            sampling: crate::config::SourceSampling::RandomWithReplacement,
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
        for d in &draws {
            match d.pixels {
                Pixels::Photo {
                    source,
                    stamp: None,
                } => seen[source] = true,
                other => panic!("draw makes plain photos, got {other:?}"),
            }
        }
        assert_eq!(seen, [true; 4]);
    }

    #[test]
    fn png_and_jpeg_decode_back_to_the_drawn_size() {
        for (format, expected) in [
            (ImageFormat::Png, image::ImageFormat::Png),
            (ImageFormat::Jpeg, image::ImageFormat::Jpeg),
        ] {
            let d = ImageDraw {
                pixels: Pixels::Photo {
                    source: 2,
                    stamp: Some(7),
                },
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
    fn the_stamp_reads_back_from_a_png_cell_by_cell() {
        let bits = 0xF0E1_D2C3_B4A5_9687u64;
        let d = ImageDraw {
            pixels: Pixels::Photo {
                source: 1,
                stamp: Some(bits),
            },
            width: 130,
            height: 128,
            format: ImageFormat::Png,
        };
        let back = image::load_from_memory(&encode(&d).unwrap())
            .unwrap()
            .to_rgb8();
        // 128 / 64 = 2 px cells; read each cell's bottom-right pixel.
        let read: u64 = (0..64u32)
            .map(|bit| {
                let (x, y) = ((bit % 8) * 2 + 1, (bit / 8) * 2 + 1);
                u64::from(back.get_pixel(x, y).0 == [255; 3]) << bit
            })
            .sum();
        assert_eq!(read, bits);
        let plain = ImageDraw {
            pixels: Pixels::Photo {
                source: 1,
                stamp: None,
            },
            ..d
        };
        let unstamped = image::load_from_memory(&encode(&plain).unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(
            back.get_pixel(40, 40),
            unstamped.get_pixel(40, 40),
            "outside the stamp the photo is untouched"
        );
    }

    #[test]
    fn oversized_draws_name_the_flag() {
        let mut p = plan(ImageFormatChoice::Png);
        p.height = DistSpec::fixed(20_000.0, "t").unwrap();
        let err = draw(&p, &mut RngRoot::new(0).stream("image", 0), 0).unwrap_err();
        assert!(err.to_string().contains("--image-height-mean"), "{err}");
    }
}
