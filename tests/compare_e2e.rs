//! End-to-end: `gauntlet compare` on runs made by the real binary against the mock — a known
//! difference (the mock's TTFT 5 ms against 40 ms, three repeats each), identical results, runs
//! without repeats, and the one-line refusals.

mod common;

use std::path::Path;

use common::*;

/// Three repeats of a small streaming run against `server` into `dir`.
fn repeated_run(server: &MockServer, dir: &Path) {
    profile_ok(
        server,
        dir,
        &[
            "--streaming",
            "--isl",
            "16",
            "--osl",
            "4",
            "--request-count",
            "8",
            "--concurrency",
            "2",
            "--num-profile-runs",
            "3",
        ],
    );
}

/// TTFT avg of each repeat, from the repeats' own exports.
fn ttft_per_repeat(dir: &Path) -> Vec<f64> {
    (1..=3)
        .map(|i| {
            let run = dir.join("profile_runs").join(format!("run_{i:04}"));
            stat(
                &json(&run, "profile_export_aiperf.json"),
                "time_to_first_token",
                "avg",
            )
        })
        .collect()
}

/// The CSV line of (label, stat), split into fields.
fn csv_row(csv: &str, label: &str, stat: &str) -> Vec<String> {
    let prefix = format!("{label},{stat},");
    let line = csv
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {csv}"));
    line.split(',').map(str::to_owned).collect()
}

#[test]
fn a_slower_server_is_worse_beyond_the_noise_and_identical_results_are_the_same() {
    let root = artifact_dir("compare-known");
    let (fast, slow) = (root.join("fast"), root.join("slow"));
    repeated_run(&mock(5, 1), &fast);
    repeated_run(&mock(40, 1), &slow);
    let out_dir = root.join("report");
    let out = gauntlet(&[
        "compare",
        fast.to_str().unwrap(),
        slow.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
        "--plot",
        "svg",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(
        console.contains("gauntlet compare | baseline: fast"),
        "{console}"
    );
    // --plot: the runs' distributions overlaid (each drawn from its first repeat), named
    // after the run folders, with a side-by-side report.
    let svg = std::fs::read_to_string(out_dir.join("plots/ttft_distribution.svg")).unwrap();
    assert!(
        svg.contains(">\nfast\n<") && svg.contains(">\nslow\n<"),
        "{svg:.400}"
    );
    assert!(out_dir.join("plots/report.html").is_file());
    let ttft_line = console
        .lines()
        .find(|l| l.contains("Time to First Token (ms)") && l.contains(" avg "))
        .unwrap_or_else(|| panic!("{console}"));
    assert!(ttft_line.contains("worse"), "{ttft_line}");
    assert!(console.contains("Welch's t-test"), "{console}");

    let csv = std::fs::read_to_string(out_dir.join("compare.csv")).unwrap();
    let row = csv_row(&csv, "Time to First Token (ms)", "avg");
    let (fast_ttft, slow_ttft) = (ttft_per_repeat(&fast), ttft_per_repeat(&slow));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let base: f64 = row[2].parse().unwrap();
    let other: f64 = row[3].parse().unwrap();
    assert!(
        (base - mean(&fast_ttft)).abs() < 1e-3,
        "{row:?} vs {fast_ttft:?}"
    );
    assert!(
        (other - mean(&slow_ttft)).abs() < 1e-3,
        "{row:?} vs {slow_ttft:?}"
    );
    let change: f64 = row[4].parse().unwrap();
    let expected = (mean(&slow_ttft) - mean(&fast_ttft)) / mean(&fast_ttft) * 100.0;
    assert!((change - expected).abs() < 1e-2, "{change} vs {expected}");
    let p: f64 = row[5].parse().unwrap();
    assert!(
        p < 0.05,
        "p = {p}: 5 ms against 40 ms TTFT must be beyond the noise"
    );
    assert_eq!(row[6], "worse");
    let md = std::fs::read_to_string(out_dir.join("compare.md")).unwrap();
    assert!(
        md.contains("| Metric | stat | fast | slow | Δ % | p | verdict |"),
        "{md}"
    );

    // The same results twice: every difference is zero, every verdict "same", p = 1.
    let copy = root.join("fast-again");
    copy_dir(&fast, &copy);
    let out = gauntlet(&[
        "compare",
        fast.to_str().unwrap(),
        copy.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let csv = std::fs::read_to_string(out_dir.join("compare.csv")).unwrap();
    for line in csv.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[fields.len() - 1], "same", "{line}");
        let p = fields[fields.len() - 2];
        assert!(p.is_empty() || p == "1.000000", "{line}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn single_runs_compare_untested_and_bad_folders_are_named() {
    let root = artifact_dir("compare-single");
    let (a, b) = (root.join("a"), root.join("b"));
    let server = mock(2, 0);
    for dir in [&a, &b] {
        profile_ok(
            &server,
            dir,
            &["--isl", "8", "--osl", "2", "--request-count", "4"],
        );
    }
    let out = gauntlet(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(console.contains("Not tested against noise"), "{console}");
    assert!(
        console.contains("Request Throughput (requests/sec)"),
        "{console}"
    );

    let missing = root.join("nope");
    let out = gauntlet(&["compare", a.to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        format!("error: {}: no such directory", missing.display())
    );

    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = gauntlet(&["compare", empty.to_str().unwrap(), a.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not a run directory"), "{err}");

    let out = gauntlet(&["compare", a.to_str().unwrap()]);
    assert!(!out.status.success(), "one folder is not a comparison");
}
