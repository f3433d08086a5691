//! Integer tables shared by the CPU generators and the GPU kernel (which gets them pasted into
//! its source), so both draw the same pixels without floating point.

/// Directions of the clock hand: round(1024 × sin(2πk/60)); cos(k) is `SIN_1024[(k + 15) % 60]`.
/// One revolution takes 60 frames, like a second hand.
pub const SIN_1024: [i32; 60] = [
    0, 107, 213, 316, 416, 512, 602, 685, 761, 828, 887, 935, 974, 1002, 1018, 1024, 1018, 1002,
    974, 935, 887, 828, 761, 685, 602, 512, 416, 316, 213, 107, 0, -107, -213, -316, -416, -512,
    -602, -685, -761, -828, -887, -935, -974, -1002, -1018, -1024, -1018, -1002, -974, -935, -887,
    -828, -761, -685, -602, -512, -416, -316, -213, -107,
];

/// 3×5 pixel digits 0–9; bit 14 is the top-left pixel, reading rows left to right.
pub const DIGITS_3X5: [u32; 10] = [
    0x7b6f, 0x2c97, 0x73e7, 0x73cf, 0x5bc9, 0x79cf, 0x79ef, 0x7292, 0x7bef, 0x7bcf,
];

/// Whether pixel (`col`, `row`) of digit `digit`'s 3×5 glyph is lit.
pub fn digit_pixel(digit: u32, col: u32, row: u32) -> bool {
    let mask = DIGITS_3X5[(digit % 10) as usize];
    (mask >> (14 - (row * 3 + col))) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_table_is_a_full_turn() {
        assert_eq!(SIN_1024[0], 0);
        assert_eq!(SIN_1024[15], 1024);
        assert_eq!(SIN_1024[45], -1024);
    }

    #[test]
    fn one_is_a_vertical_bar() {
        // Middle column lit on every row; left column only on the second row (the flag).
        assert!((0..5).all(|r| digit_pixel(1, 1, r)));
        assert!(digit_pixel(1, 0, 1) && !digit_pixel(1, 0, 0));
        assert!(!digit_pixel(8, 1, 1) && digit_pixel(8, 1, 2));
    }
}
