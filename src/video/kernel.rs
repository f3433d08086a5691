//! The CUDA C source of the frame kernel: a line-for-line port of `synth.rs`, with the integer
//! tables pasted in from `font.rs` so the two paths cannot drift apart.

use super::font::{DIGITS_3X5, SIN_1024};

/// The kernel's entry point.
pub const ENTRY: &str = "synth_frame";

/// The NVRTC source; compiled only when a CUDA device exists.
pub fn source() -> String {
    let join = |v: Vec<String>| v.join(", ");
    let sin = join(SIN_1024.iter().map(|v| v.to_string()).collect());
    let digits = join(DIGITS_3X5.iter().map(|v| format!("{v}u")).collect());
    format!(
        r#"
typedef unsigned long long u64;
typedef long long i64;
__constant__ int SIN_1024[60] = {{ {sin} }};
__constant__ unsigned int DIGITS[10] = {{ {digits} }};

__device__ u64 mix64(u64 z) {{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}}
__device__ u64 hash4(u64 seed, u64 a, u64 b, u64 c) {{
    u64 h = mix64(seed ^ 0x9e3779b97f4a7c15ULL);
    h = mix64(h + a);
    h = mix64(h + b);
    return mix64(h + c);
}}
__device__ i64 bounce(i64 p, i64 range) {{
    i64 q = p % (2 * range);
    if (q < 0) q += 2 * range;
    return q >= range ? 2 * range - 1 - q : q;
}}
__device__ void shapes(u64 seed, unsigned int frame, i64 w, i64 h, i64 x, i64 y, int* rgb) {{
    u64 b = hash4(seed, 0xB6, 0, 0);
    rgb[0] = 16 + (int)(b & 63); rgb[1] = 16 + (int)((b >> 8) & 63); rgb[2] = 16 + (int)((b >> 16) & 63);
    i64 base = (w < h ? w : h) / 8;
    for (int k = 0; k < 4; k++) {{
        u64 s = hash4(seed, 0x5A, (u64)k, 0);
        i64 size = base + (i64)(s % (u64)(base + 1));
        i64 vx = 1 + (i64)((s >> 40) % ((u64)w / 32 + 3));
        i64 vy = 1 + (i64)((s >> 44) % ((u64)h / 32 + 3));
        i64 cx = bounce((i64)((s >> 8) % (u64)w) + vx * (i64)frame, w);
        i64 cy = bounce((i64)((s >> 24) % (u64)h) + vy * (i64)frame, h);
        if ((s >> 62) & 1) cx = w - 1 - cx;
        if ((s >> 63) & 1) cy = h - 1 - cy;
        i64 dx = x - cx, dy = y - cy;
        bool hit = (k % 2 == 0) ? (dx * dx + dy * dy <= size * size)
                                : (llabs(dx) <= size && llabs(dy) * 3 <= size * 2);
        if (hit) {{
            rgb[0] = 128 + (int)((s >> 48) & 127);
            rgb[1] = 128 + (int)((s >> 52) & 127);
            rgb[2] = 128 + (int)((s >> 56) & 127);
        }}
    }}
}}
__device__ void grid_clock(u64 seed, unsigned int frame, unsigned int w, unsigned int h,
                           unsigned int x, unsigned int y, int* rgb) {{
    i64 side = (i64)(w < h ? w : h);
    unsigned int scale = h / 60 > 1 ? h / 60 : 1;
    unsigned int ox = 2 * scale, oy = 2 * scale;
    if (x >= ox && y >= oy && x < ox + 20 * scale && y < oy + 5 * scale) {{
        unsigned int lx = x - ox, ly = y - oy;
        unsigned int slot = lx / (4 * scale);
        unsigned int col = (lx % (4 * scale)) / scale;
        const unsigned int places[5] = {{10000u, 1000u, 100u, 10u, 1u}};
        unsigned int digit = (frame / places[slot]) % 10;
        unsigned int row = ly / scale;
        if (col < 3 && ((DIGITS[digit] >> (14 - (row * 3 + col))) & 1)) {{
            rgb[0] = 255; rgb[1] = 255; rgb[2] = 255; return;
        }}
    }}
    i64 px = (i64)x - (i64)(w / 2), py = (i64)y - (i64)(h / 2);
    i64 radius = side * 3 / 8;
    unsigned int k = (unsigned int)(((u64)frame + seed % 60) % 60);
    i64 dx = SIN_1024[k], dy = -(i64)SIN_1024[(k + 15) % 60];
    i64 along = px * dx + py * dy;
    i64 across = px * dy - py * dx;
    i64 thick = side / 90 > 1 ? side / 90 : 1;
    if (along >= 0 && along <= radius * 1024 && llabs(across) <= thick * 1024) {{
        rgb[0] = 255; rgb[1] = 64; rgb[2] = 32; return;
    }}
    i64 d2 = px * px + py * py;
    if (llabs(d2 - radius * radius) <= 2 * radius) {{
        rgb[0] = 200; rgb[1] = 200; rgb[2] = 200; return;
    }}
    unsigned int cell = (unsigned int)(side / 8 > 8 ? side / 8 : 8);
    if (x % cell == 0 || y % cell == 0) {{
        rgb[0] = 80; rgb[1] = 80; rgb[2] = 96; return;
    }}
    u64 t = hash4(seed, 0xC1, 0, 0);
    rgb[0] = 16 + (int)(t & 31); rgb[1] = 16 + (int)((t >> 8) & 31); rgb[2] = 32 + (int)((t >> 16) & 31);
}}
extern "C" __global__ void {entry}(unsigned char* out, unsigned int kind, u64 seed,
                                 unsigned int frame, unsigned int w, unsigned int h) {{
    unsigned int x = blockIdx.x * blockDim.x + threadIdx.x;
    unsigned int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= w || y >= h) return;
    int rgb[3];
    if (kind == 0) {{
        shapes(seed, frame, (i64)w, (i64)h, (i64)x, (i64)y, rgb);
    }} else if (kind == 1) {{
        grid_clock(seed, frame, w, h, x, y, rgb);
    }} else {{
        u64 n = hash4(seed, (u64)frame, (u64)x, (u64)y);
        rgb[0] = (int)(n & 255); rgb[1] = (int)((n >> 8) & 255); rgb[2] = (int)((n >> 16) & 255);
    }}
    int r = rgb[0], g = rgb[1], b = rgb[2];
    size_t luma = (size_t)w * h;
    out[(size_t)y * w + x] = (unsigned char)(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
    if ((x & 1) == 0 && (y & 1) == 0) {{
        size_t c = (size_t)(y / 2) * (w / 2) + x / 2;
        out[luma + c] = (unsigned char)(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
        out[luma + luma / 4 + c] = (unsigned char)(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
    }}
}}
"#,
        entry = ENTRY
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_pasted_from_the_cpu_path() {
        let src = source();
        assert!(src.contains("__constant__ int SIN_1024[60] = { 0, 107,"));
        assert!(src.contains(&format!("{}u", DIGITS_3X5[8])));
        assert!(src.contains("extern \"C\" __global__ void synth_frame("));
        // Every brace the format string escaped came out balanced.
        assert_eq!(src.matches('{').count(), src.matches('}').count());
    }
}
