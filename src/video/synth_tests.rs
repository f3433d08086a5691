use super::*;

const KINDS: [SynthType; 3] = [
    SynthType::MovingShapes,
    SynthType::GridClock,
    SynthType::Noise,
];

fn luma(frame: &YuvFrame, x: u32, y: u32) -> u8 {
    frame.data[(y * frame.width + x) as usize]
}

#[test]
fn same_inputs_same_frame_and_seeds_and_frames_differ() {
    for kind in KINDS {
        let a = render_frame(kind, 7, 3, 64, 48);
        assert_eq!(a, render_frame(kind, 7, 3, 64, 48), "{kind:?}");
        assert_eq!(a.data.len(), 64 * 48 * 3 / 2);
        assert_ne!(
            a,
            render_frame(kind, 8, 3, 64, 48),
            "{kind:?}: seed ignored"
        );
        assert_ne!(
            a,
            render_frame(kind, 7, 4, 64, 48),
            "{kind:?}: frame ignored"
        );
    }
}

#[test]
fn clock_hand_turns_a_quarter_in_fifteen_frames() {
    // seed % 60 == 0: the hand starts at 12 o'clock.
    let (w, h) = (120, 120);
    let hand = rgb_to_yuv([255, 64, 32])[0];
    let (cx, cy, half) = (60, 60, 120 * 3 / 8 / 2);
    let at_0 = render_frame(SynthType::GridClock, 60, 0, w, h);
    let at_15 = render_frame(SynthType::GridClock, 60, 15, w, h);
    assert_eq!(luma(&at_0, cx, cy - half), hand, "12 o'clock at frame 0");
    assert_ne!(luma(&at_0, cx + half, cy), hand);
    assert_eq!(luma(&at_15, cx + half, cy), hand, "3 o'clock at frame 15");
    assert_ne!(luma(&at_15, cx, cy - half), hand);
}

#[test]
fn frame_counter_is_the_only_change_after_a_full_turn() {
    let (w, h) = (120, 120);
    let a = render_frame(SynthType::GridClock, 5, 1, w, h);
    let b = render_frame(SynthType::GridClock, 5, 61, w, h);
    assert_ne!(a, b, "the counter must change");
    // scale = 2: the counter box is x in 4..44, y in 4..14.
    for y in 0..h {
        for x in 0..w {
            if luma(&a, x, y) != luma(&b, x, y) {
                assert!(
                    (4..44).contains(&x) && (4..14).contains(&y),
                    "({x},{y}) changed"
                );
            }
        }
    }
    // Digit "1" in the last slot at frame 1: its middle column (x = 4 + 16*2 + 2 = 38) is lit.
    let white = rgb_to_yuv([255, 255, 255])[0];
    assert_eq!(luma(&a, 38, 6), white);
}

#[test]
fn shapes_move_and_stay_inside_the_frame() {
    for frame in 0..200 {
        let s = Shapes::new(9, frame, 64, 48);
        for &(cx, cy, ..) in &s.items {
            assert!((0..64).contains(&cx) && (0..48).contains(&cy));
        }
    }
    let a = Shapes::new(9, 0, 64, 48).items.map(|i| (i.0, i.1));
    let b = Shapes::new(9, 1, 64, 48).items.map(|i| (i.0, i.1));
    assert_ne!(a, b);
}

#[test]
fn noise_covers_the_byte_range() {
    let f = render_frame(SynthType::Noise, 1, 0, 64, 64);
    let (y, _) = f.plane(0);
    let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len() as f64;
    // Random RGB gives luma around 16 + 219/2.
    assert!((110.0..142.0).contains(&mean), "{mean}");
    assert!(y.iter().any(|&v| v < 40) && y.iter().any(|&v| v > 200));
}

#[test]
fn integer_yuv_matches_known_points() {
    assert_eq!(rgb_to_yuv([0, 0, 0]), [16, 128, 128]);
    assert_eq!(rgb_to_yuv([255, 255, 255]), [235, 128, 128]);
}

#[test]
fn a_thousand_videos_of_a_run_start_from_a_thousand_distinct_frames() {
    use rand::RngCore;
    // The seeds `parts` gives videos 0..1000: every clip's first frame differs, so no two
    // videos of a run are alike (a server caching videos by hash sees each as new).
    let root = crate::rng::RngRoot::new(5);
    let frames: std::collections::HashSet<Vec<u8>> = (0..1000)
        .map(|i| {
            let seed = root.stream("video", i).next_u64();
            render_frame(SynthType::MovingShapes, seed, 0, 64, 36).data
        })
        .collect();
    assert_eq!(frames.len(), 1000);
}

#[test]
fn shapes_drawn_in_their_boxes_are_the_frame_drawn_pixel_by_pixel() {
    for (w, h) in [(16, 16), (64, 36), (66, 40), (640, 360)] {
        for seed in 0..6u64 {
            for frame in [0, 1, 17, 149] {
                assert_eq!(
                    render_shapes(seed, frame, w, h),
                    render_each_pixel(SynthType::MovingShapes, seed, frame, w, h),
                    "{w}x{h} seed {seed} frame {frame}"
                );
            }
        }
    }
}
