//! Hand-built traces whose every statistic is worked out here, by hand, from AIPerf's
//! definitions (docs/traces.md).

use super::*;

fn request(isl: u32, osl: u32, ids: &[u64]) -> TraceRequest {
    TraceRequest {
        timestamp_ms: None,
        input_length: isl,
        output_length: osl,
        hash_ids: ids.to_vec(),
        session_id: None,
    }
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() < 1e-12
}

/// `(mean, min, p25, median, p75, max)` of a stats object, for one-line comparisons.
fn shape(stats: Option<MetricStats>) -> (f64, f64, f64, f64, f64, f64) {
    let s = stats.expect("stats present");
    (s.mean, s.min, s.p25, s.median, s.p75, s.max)
}

#[test]
fn sharing_a_missed_first_block_repeated_first_blocks_and_no_blocks() {
    let stats = analyze(
        &[
            request(1000, 10, &[1, 2]),
            // Shares the prefix [1, 2], then a new block.
            request(1500, 20, &[1, 2, 3]),
            // Misses its first block; block 2 was seen, but under another prefix.
            request(600, 30, &[4, 2]),
            request(700, 40, &[]),
            // Repeats the first request's whole prefix.
            request(1024, 50, &[1, 2]),
        ],
        512,
    );
    assert_eq!(stats.total_requests, 5);
    // Prefixes (1) ×3, (1,2) ×3, (1,2,3) ×1, (4) ×1, (4,2) ×1.
    assert_eq!(stats.unique_prefixes, 5);
    // Of 9 prefix occurrences, the 6 of (1) and (1,2) recur.
    assert!(close(stats.prefix_reuse_ratio, 6.0 / 9.0));
    // First blocks: 1 three times, 4 once.
    assert_eq!(stats.num_prefix_groups, 1);

    // First unseen block / blocks: 0/2, 2/3, 0/2, (no blocks: skipped), 2/2.
    assert!(close(stats.cache_hit_rate, (2.0 / 3.0 + 1.0) / 4.0));
    let hit = stats.hit_rate_stats.unwrap();
    // Sorted 0, 0, 2/3, 1: ranks 0.75, 1.5, 2.25.
    assert_eq!(shape(Some(hit)).1, 0.0);
    assert_eq!(hit.p25, 0.0);
    assert!(close(hit.median, 1.0 / 3.0));
    assert!(close(hit.p75, 2.0 / 3.0 + (1.0 / 3.0) * 0.25));
    // Deviations from 5/12: -5, -5, 3, 7 twelfths; (25+25+9+49)/144/4 = 27/144.
    assert!(close(hit.std_dev, (27.0f64 / 144.0).sqrt()));

    // Pairs (0,1) ×3, (1,2) ×4 (request 3's block 2 sits at position 1 too), (2,3) ×1,
    // (0,4) ×1. Context: all pairs recur → 1000; 2 recur → 1024; 1 recurs → 512; no blocks
    // → 0; all recur → 1024.
    assert_eq!(
        shape(stats.context_length_stats),
        (3560.0 / 5.0, 0.0, 512.0, 1000.0, 1024.0, 1024.0)
    );
    // Unique: 0, 476, 88, 700, 0 → sorted 0, 0, 88, 476, 700.
    assert_eq!(
        shape(stats.unique_prompt_length_stats),
        (1264.0 / 5.0, 0.0, 0.0, 88.0, 476.0, 700.0)
    );

    assert_eq!((stats.min_isl, stats.max_isl), (600, 1500));
    assert!(close(stats.avg_isl, 4824.0 / 5.0));
    assert_eq!(
        shape(stats.isl_stats),
        (4824.0 / 5.0, 600.0, 700.0, 1000.0, 1024.0, 1500.0)
    );
    assert_eq!(
        (stats.min_osl, stats.max_osl, stats.avg_osl),
        (10, 50, 30.0)
    );
    let osl = stats.osl_stats.unwrap();
    assert_eq!((osl.p25, osl.median, osl.p75), (20.0, 30.0, 40.0));
    // (400 + 100 + 0 + 100 + 400) / 5 = 200.
    assert!(close(osl.std_dev, 200f64.sqrt()));

    // Extras: 9 blocks; seen before at any position: 2 (req 2) + 1 (req 3) + 2 (req 5).
    assert_eq!(
        (stats.block_size, stats.total_blocks, stats.hit_blocks),
        (512, 9, 5)
    );
    assert!(close(stats.block_weighted_hit_rate, 5.0 / 9.0));
}

#[test]
fn ids_at_other_positions_and_under_other_prefixes_count_apart() {
    let stats = analyze(
        &[
            request(1024, 1, &[7, 8]),
            request(1024, 1, &[8, 7]),
            request(512, 1, &[8]),
        ],
        512,
    );
    // Hit rates 0/2, 2/2, 1/1: ids count as seen wherever they were.
    assert!(close(stats.cache_hit_rate, 2.0 / 3.0));
    // Prefixes (7), (7,8), (8) ×2, (8,7): 2 of 5 occurrences recur.
    assert_eq!(stats.unique_prefixes, 4);
    assert!(close(stats.prefix_reuse_ratio, 0.4));
    assert_eq!(stats.num_prefix_groups, 1);
    // Pairs (0,7), (1,8), (1,7) once, (0,8) twice. Context 0, 512, 512 (= isl, all recur).
    assert_eq!(
        shape(stats.context_length_stats),
        (1024.0 / 3.0, 0.0, 256.0, 512.0, 512.0, 512.0)
    );
    assert_eq!(
        shape(stats.unique_prompt_length_stats),
        (1536.0 / 3.0, 0.0, 256.0, 512.0, 768.0, 1024.0)
    );
    assert_eq!((stats.total_blocks, stats.hit_blocks), (5, 3));
}

#[test]
fn a_trace_without_blocks_or_requests() {
    let stats = analyze(&[request(300, 5, &[]), request(100, 7, &[])], 512);
    assert_eq!((stats.unique_prefixes, stats.num_prefix_groups), (0, 0));
    assert_eq!((stats.cache_hit_rate, stats.prefix_reuse_ratio), (0.0, 0.0));
    assert_eq!(stats.hit_rate_stats, None);
    assert_eq!(shape(stats.context_length_stats).5, 0.0);
    assert_eq!(shape(stats.unique_prompt_length_stats).0, 200.0);

    let empty = analyze(&[], 512);
    assert_eq!(
        (empty.total_requests, empty.min_isl, empty.avg_osl),
        (0, 0, 0.0)
    );
    assert_eq!((empty.isl_stats, empty.hit_rate_stats), (None, None));
}

#[test]
fn json_keys_are_aiperfs_in_aiperfs_order_then_gauntlets_extras() {
    let stats = analyze(&[request(512, 1, &[1])], 512);
    // serde writes fields in declaration order; find each key's place in the text.
    let text = serde_json::to_string(&stats).unwrap();
    let at = |key: &str| text.find(&format!("\"{key}\":"));
    let order = [
        "total_requests",
        "unique_prefixes",
        "num_prefix_groups",
        "cache_hit_rate",
        "min_isl",
        "max_isl",
        "avg_isl",
        "min_osl",
        "max_osl",
        "avg_osl",
        "prefix_reuse_ratio",
        "isl_stats",
        "osl_stats",
        "context_length_stats",
        "unique_prompt_length_stats",
        "hit_rate_stats",
        "block_size",
        "total_blocks",
        "hit_blocks",
        "block_weighted_hit_rate",
    ];
    let places: Vec<Option<usize>> = order.iter().map(|key| at(key)).collect();
    assert!(places.iter().all(Option::is_some), "{text}");
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json.as_object().unwrap().len(), order.len(), "{text}");
    let stats_text = serde_json::to_string(&stats.isl_stats).unwrap();
    assert_eq!(
        stats_text,
        r#"{"mean":512.0,"std_dev":0.0,"min":512.0,"p25":512.0,"median":512.0,"p75":512.0,"max":512.0}"#
    );
}
