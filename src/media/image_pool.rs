//! A run's images: `--image-source` and `--image-source-sampling` applied to each drawn image,
//! with the work that repeats across images (resizing a photo to a size, and for `assets` the
//! whole encoded image) done once per run and shared by every thread.
//!
//! Image `n` of the run (the `n`-th image of the session roots in order, counting each root's
//! batch) is a function of the seed and `n` alone; the caches only save work, they never change
//! a byte, so any thread count makes the same images.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use image::DynamicImage;
use rand::seq::SliceRandom;
use rand::RngCore;

use super::image::{self as img, ImageDraw, ImageFormat, Pixels, SOURCE_COUNT};
use super::{data_uri, MediaError};
use crate::config::{ImagePlan, ImageSource, SourceSampling};
use crate::rng::RngRoot;

/// Bytes each cache may hold (resized photos; encoded `assets` images): enough for every
/// size of a fixed-size run, bounded when sizes are drawn from a wide distribution.
const CACHE_BYTES: usize = 64 << 20;

/// Makes the images of one run.
pub struct ImageMaker<'a> {
    plan: &'a ImagePlan,
    root: &'a RngRoot,
    /// XORed into each image's number to make its stamp: distinct numbers give distinct
    /// stamps, and another seed gives other stamps, so two runs do not share images either.
    stamp_mask: u64,
    resized: Memo<(usize, u32, u32), Result<DynamicImage, String>>,
    encoded: Memo<(usize, u32, u32, ImageFormat), Result<String, String>>,
}

impl<'a> ImageMaker<'a> {
    /// A maker for `plan`'s images drawn from `root`.
    pub fn new(plan: &'a ImagePlan, root: &'a RngRoot) -> Self {
        Self {
            plan,
            root,
            stamp_mask: root.stream("image-stamp", 0).next_u64(),
            resized: Memo::new(CACHE_BYTES),
            encoded: Memo::new(CACHE_BYTES),
        }
    }

    /// The images (data URIs) of entry `index`: draws come from the stream `("image", index)`,
    /// the image numbers are `index * batch + k`, so any subset of the entries gets the same
    /// images (a streamed run makes them a chunk at a time).
    pub fn entry(&self, index: u64) -> Result<Vec<String>, MediaError> {
        let batch = u64::from(self.plan.batch_size);
        let mut rng = self.root.stream("image", index);
        let mut urls = Vec::with_capacity(self.plan.batch_size as usize);
        for k in 0..batch {
            let mut draw = img::draw(self.plan, &mut rng, index)?;
            draw.pixels = self.pixels(draw.pixels, index * batch + k, &mut rng);
            urls.push(self.data_uri(&draw)?);
        }
        Ok(urls)
    }

    /// What image number `n` is made of, given the photo `draw` picked at random.
    fn pixels(&self, drawn: Pixels, n: u64, rng: &mut dyn RngCore) -> Pixels {
        let random_source = match drawn {
            Pixels::Photo { source, .. } => source,
            Pixels::Noise { .. } => 0,
        };
        let count = SOURCE_COUNT as u64;
        let source = match self.plan.sampling {
            SourceSampling::RandomWithReplacement => random_source,
            SourceSampling::SequentialCycle => (n % count) as usize,
            SourceSampling::ShuffleCycle => {
                let mut order: Vec<usize> = (0..SOURCE_COUNT).collect();
                order.shuffle(&mut self.root.stream("image-cycle", n / count));
                order[(n % count) as usize]
            }
        };
        match self.plan.source {
            ImageSource::Stamped => Pixels::Photo {
                source,
                stamp: Some(n ^ self.stamp_mask),
            },
            ImageSource::Assets => Pixels::Photo {
                source,
                stamp: None,
            },
            ImageSource::Noise => Pixels::Noise {
                seed: rng.next_u64(),
            },
        }
    }

    /// The drawn image as a `data:` URI, made with what the caches hold.
    fn data_uri(&self, draw: &ImageDraw) -> Result<String, MediaError> {
        let (w, h, format) = (draw.width, draw.height, draw.format);
        let pixel_bytes = w as usize * h as usize * 3;
        match draw.pixels {
            Pixels::Photo {
                source,
                stamp: None,
            } => {
                // Same photo, size and format: the same bytes, encoded once.
                let make = || {
                    let image = img::resized(source, w, h).map_err(message)?;
                    let bytes = img::encode_pixels(&image, format).map_err(message)?;
                    Ok(data_uri(format.mime(), &bytes))
                };
                let uri = match self.encoded.slot((source, w, h, format), pixel_bytes) {
                    Some(slot) => slot.get_or_init(make).clone(),
                    None => make(),
                };
                uri.map_err(MediaError::Image)
            }
            Pixels::Photo {
                source,
                stamp: Some(bits),
            } => {
                let make = || img::resized(source, w, h).map_err(message);
                let image = match self.resized.slot((source, w, h), pixel_bytes) {
                    Some(slot) => slot.get_or_init(make).clone(),
                    None => make(),
                }
                .map_err(MediaError::Image)?;
                let bytes = img::encode_pixels(&img::stamped(image, bits), format)?;
                Ok(data_uri(format.mime(), &bytes))
            }
            Pixels::Noise { .. } => {
                let bytes = img::encode_pixels(&img::pixels(draw)?, format)?;
                Ok(data_uri(format.mime(), &bytes))
            }
        }
    }
}

/// The text of an image error, to keep in a cache and wrap again when taken out.
fn message(error: MediaError) -> String {
    match error {
        MediaError::Image(text) => text,
        other => other.to_string(),
    }
}

/// A cache of values shared by threads: the first thread to ask for a key makes the value,
/// the others wait for it. Keys are admitted until their declared cost reaches the budget;
/// after that a missing key is not cached (the caller makes the value itself).
struct Memo<K, V> {
    state: Mutex<MemoState<K, V>>,
    budget: usize,
}

/// The slots by key, and the cost admitted so far.
type MemoState<K, V> = (HashMap<K, Arc<OnceLock<V>>>, usize);

impl<K: Hash + Eq, V> Memo<K, V> {
    fn new(budget: usize) -> Self {
        Self {
            state: Mutex::new((HashMap::new(), 0)),
            budget,
        }
    }

    /// The slot for `key`, or `None` when the budget is spent (or the lock poisoned).
    fn slot(&self, key: K, cost: usize) -> Option<Arc<OnceLock<V>>> {
        let mut guard = self.state.lock().ok()?;
        let (map, used) = &mut *guard;
        if let Some(slot) = map.get(&key) {
            return Some(Arc::clone(slot));
        }
        if *used + cost > self.budget {
            return None;
        }
        *used += cost;
        let slot = Arc::new(OnceLock::new());
        map.insert(key, Arc::clone(&slot));
        Some(slot)
    }
}
