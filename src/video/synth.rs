//! CPU frame synthesis. Every pixel is a pure integer function of (seed, frame, x, y), so the
//! GPU kernel in `gpu.rs` reproduces it bit for bit and frames can be drawn in any order.
//!
//! Frames are YUV 4:2:0 (what every encoder takes): luma from each pixel's RGB, chroma from the
//! RGB of the top-left pixel of each 2×2 block (no averaging, so the kernel needs no neighbours).

use super::font::{digit_pixel, SIN_1024};
use crate::config::SynthType;

/// One planar YUV 4:2:0 frame: the Y plane (`width × height`), then U and V
/// (`width/2 × height/2` each), tightly packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YuvFrame {
    /// Width in pixels (even).
    pub width: u32,
    /// Height in pixels (even).
    pub height: u32,
    /// Y, U and V planes back to back.
    pub data: Vec<u8>,
}

impl YuvFrame {
    /// Bytes of a frame of this size.
    pub fn len_for(width: u32, height: u32) -> usize {
        let luma = width as usize * height as usize;
        luma + luma / 2
    }

    /// Plane `index` (0 = Y, 1 = U, 2 = V) and its row length.
    pub fn plane(&self, index: usize) -> (&[u8], usize) {
        let luma = self.width as usize * self.height as usize;
        let chroma = luma / 4;
        match index {
            0 => (&self.data[..luma], self.width as usize),
            1 => (&self.data[luma..luma + chroma], self.width as usize / 2),
            _ => (&self.data[luma + chroma..], self.width as usize / 2),
        }
    }
}

/// SplitMix64's finalizer: a fast counter-based hash a CUDA kernel computes identically.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of (seed, a, b, c); item order matters, so (x, y) and (y, x) differ.
pub(crate) fn hash4(seed: u64, a: u64, b: u64, c: u64) -> u64 {
    let mut h = mix64(seed ^ 0x9e37_79b9_7f4a_7c15);
    h = mix64(h.wrapping_add(a));
    h = mix64(h.wrapping_add(b));
    mix64(h.wrapping_add(c))
}

/// BT.601 limited-range RGB → YUV in integer arithmetic (arithmetic shifts, like CUDA's `>>`
/// on `int`).
fn rgb_to_yuv(rgb: [i32; 3]) -> [u8; 3] {
    let [r, g, b] = rgb;
    let y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
    let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
    let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    [y as u8, u as u8, v as u8]
}

/// Draws frame `frame` of a clip seeded with `seed`.
pub fn render_frame(kind: SynthType, seed: u64, frame: u32, width: u32, height: u32) -> YuvFrame {
    if kind == SynthType::MovingShapes {
        return render_shapes(seed, frame, width, height);
    }
    render_each_pixel(kind, seed, frame, width, height)
}

/// moving_shapes without visiting every pixel: the frame is filled with the background, then
/// only the shapes' bounding boxes are drawn pixel by pixel (a pixel outside every box is the
/// background). Byte-identical to [`render_each_pixel`], about twice as fast at 640×360.
fn render_shapes(seed: u64, frame: u32, width: u32, height: u32) -> YuvFrame {
    let (w, h) = (width as usize, height as usize);
    let (luma, chroma_w) = (w * h, w / 2);
    let shapes = Shapes::new(seed, frame, width as i64, height as i64);
    let [by, bu, bv] = rgb_to_yuv(shapes.background);
    let mut data = vec![by; YuvFrame::len_for(width, height)];
    let (y_plane, chroma) = data.split_at_mut(luma);
    let (u_plane, v_plane) = chroma.split_at_mut(luma / 4);
    u_plane.fill(bu);
    v_plane.fill(bv);
    for &(cx, cy, size, _, _) in &shapes.items {
        let (x0, x1) = ((cx - size).max(0), (cx + size).min(w as i64 - 1));
        let (y0, y1) = ((cy - size).max(0), (cy + size).min(h as i64 - 1));
        for y in y0..=y1 {
            for x in x0..=x1 {
                let [py, pu, pv] = rgb_to_yuv(shapes.pixel(x, y));
                let (x, y) = (x as usize, y as usize);
                y_plane[y * w + x] = py;
                if x % 2 == 0 && y % 2 == 0 {
                    let c = (y / 2) * chroma_w + x / 2;
                    u_plane[c] = pu;
                    v_plane[c] = pv;
                }
            }
        }
    }
    YuvFrame {
        width,
        height,
        data,
    }
}

/// Draws a frame by computing every pixel (the definition every type follows).
fn render_each_pixel(kind: SynthType, seed: u64, frame: u32, width: u32, height: u32) -> YuvFrame {
    let mut data = vec![0u8; YuvFrame::len_for(width, height)];
    let (w, h) = (width as usize, height as usize);
    let (luma, chroma_w) = (w * h, w / 2);
    let (y_plane, chroma) = data.split_at_mut(luma);
    let (u_plane, v_plane) = chroma.split_at_mut(luma / 4);
    let shapes = Shapes::new(seed, frame, width as i64, height as i64);
    for y in 0..h {
        for x in 0..w {
            let rgb = match kind {
                SynthType::MovingShapes => shapes.pixel(x as i64, y as i64),
                SynthType::GridClock => grid_clock(seed, frame, width, height, x as u32, y as u32),
                SynthType::Noise => noise(seed, frame, x as u32, y as u32),
            };
            let [py, pu, pv] = rgb_to_yuv(rgb);
            y_plane[y * w + x] = py;
            if x % 2 == 0 && y % 2 == 0 {
                let c = (y / 2) * chroma_w + x / 2;
                u_plane[c] = pu;
                v_plane[c] = pv;
            }
        }
    }
    YuvFrame {
        width,
        height,
        data,
    }
}

const SHAPES: usize = 4;

/// The shapes of one frame, placed once per frame rather than once per pixel.
struct Shapes {
    background: [i32; 3],
    /// (centre x, centre y, size, is circle, colour)
    items: [(i64, i64, i64, bool, [i32; 3]); SHAPES],
}

impl Shapes {
    fn new(seed: u64, frame: u32, w: i64, h: i64) -> Self {
        let b = hash4(seed, 0xB6, 0, 0);
        let background = [
            16 + (b & 63) as i32,
            16 + ((b >> 8) & 63) as i32,
            16 + ((b >> 16) & 63) as i32,
        ];
        let base = w.min(h) / 8;
        let mut items = [(0, 0, 0, false, [0; 3]); SHAPES];
        for (k, item) in items.iter_mut().enumerate() {
            let s = hash4(seed, 0x5A, k as u64, 0);
            let size = base + (s % (base as u64 + 1)) as i64;
            let vx = 1 + ((s >> 40) % (w as u64 / 32 + 3)) as i64;
            let vy = 1 + ((s >> 44) % (h as u64 / 32 + 3)) as i64;
            let mut cx = bounce(((s >> 8) % w as u64) as i64 + vx * i64::from(frame), w);
            let mut cy = bounce(((s >> 24) % h as u64) as i64 + vy * i64::from(frame), h);
            if (s >> 62) & 1 == 1 {
                cx = w - 1 - cx;
            }
            if (s >> 63) & 1 == 1 {
                cy = h - 1 - cy;
            }
            let colour = [
                128 + ((s >> 48) & 127) as i32,
                128 + ((s >> 52) & 127) as i32,
                128 + ((s >> 56) & 127) as i32,
            ];
            *item = (cx, cy, size, k % 2 == 0, colour);
        }
        Self { background, items }
    }

    /// Later shapes paint over earlier ones.
    fn pixel(&self, x: i64, y: i64) -> [i32; 3] {
        let mut rgb = self.background;
        for &(cx, cy, size, circle, colour) in &self.items {
            let (dx, dy) = (x - cx, y - cy);
            let hit = if circle {
                dx * dx + dy * dy <= size * size
            } else {
                dx.abs() <= size && dy.abs() * 3 <= size * 2
            };
            if hit {
                rgb = colour;
            }
        }
        rgb
    }
}

/// A position moving forward forever, folded back and forth inside `0..range`.
fn bounce(p: i64, range: i64) -> i64 {
    let q = p.rem_euclid(2 * range);
    if q >= range {
        2 * range - 1 - q
    } else {
        q
    }
}

/// The clock hand's direction index (0 = 12 o'clock) in frame `frame`: one turn per 60 frames.
pub(crate) fn hand_step(seed: u64, frame: u32) -> usize {
    ((u64::from(frame) + seed % 60) % 60) as usize
}

fn grid_clock(seed: u64, frame: u32, w: u32, h: u32, x: u32, y: u32) -> [i32; 3] {
    let side = w.min(h) as i64;
    let scale = (h / 60).max(1);
    // Frame counter (5 digits) at the top left, drawn over everything else.
    let (ox, oy) = (2 * scale, 2 * scale);
    if x >= ox && y >= oy && x < ox + 20 * scale && y < oy + 5 * scale {
        let (lx, ly) = (x - ox, y - oy);
        let slot = lx / (4 * scale);
        let col = (lx % (4 * scale)) / scale;
        let place = [10_000, 1_000, 100, 10, 1][slot as usize];
        if col < 3 && digit_pixel((frame / place) % 10, col, ly / scale) {
            return [255, 255, 255];
        }
    }
    let (px, py) = (
        i64::from(x) - i64::from(w / 2),
        i64::from(y) - i64::from(h / 2),
    );
    let radius = side * 3 / 8;
    let k = hand_step(seed, frame);
    let (dx, dy) = (i64::from(SIN_1024[k]), -i64::from(SIN_1024[(k + 15) % 60]));
    let along = px * dx + py * dy;
    let across = px * dy - py * dx;
    let thick = (side / 90).max(1);
    if along >= 0 && along <= radius * 1024 && across.abs() <= thick * 1024 {
        return [255, 64, 32];
    }
    let d2 = px * px + py * py;
    if (d2 - radius * radius).abs() <= 2 * radius {
        return [200, 200, 200];
    }
    let cell = (side / 8).max(8) as u32;
    if x.is_multiple_of(cell) || y.is_multiple_of(cell) {
        return [80, 80, 96];
    }
    let t = hash4(seed, 0xC1, 0, 0);
    [
        16 + (t & 31) as i32,
        16 + ((t >> 8) & 31) as i32,
        32 + ((t >> 16) & 31) as i32,
    ]
}

fn noise(seed: u64, frame: u32, x: u32, y: u32) -> [i32; 3] {
    let n = hash4(seed, u64::from(frame), u64::from(x), u64::from(y));
    [
        (n & 255) as i32,
        ((n >> 8) & 255) as i32,
        ((n >> 16) & 255) as i32,
    ]
}

#[cfg(test)]
#[path = "synth_tests.rs"]
mod tests;
