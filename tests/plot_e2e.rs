//! End-to-end: `gauntlet plot` and `--auto-plot` on real runs against the mock — every chart
//! kind drawn (valid PNG / well-formed SVG, series with the runs' points, axis labels in the
//! SVG text), charts skipped with a reason when their input is missing, and report.html opened
//! in headless Chromium (not blank, no console errors, nothing fetched).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn mock_with_gpu() -> MockServer {
    MockServer::start(MockConfig {
        ttft: LatencyModel::Fixed(Duration::from_millis(3)),
        itl: LatencyModel::Fixed(Duration::from_millis(1)),
        gpu_metrics: true,
        ..MockConfig::default()
    })
    .expect("mock server starts")
}

/// `wrote PATH (S series, P points)` lines of a plot's stdout, by file name.
fn written(stdout: &str) -> BTreeMap<String, (PathBuf, usize, usize)> {
    stdout
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("wrote ")?;
            let (path, counts) = rest.rsplit_once(" (")?;
            let mut nums = counts
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty());
            let series = nums.next()?.parse().ok()?;
            let points = nums.next()?.parse().ok()?;
            let path = PathBuf::from(path);
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            Some((stem, (path, series, points)))
        })
        .collect()
}

/// Whether every tag of `svg` is closed in order (a well-formedness check without a parser).
fn well_formed(svg: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').ok_or("unclosed <")? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name = tag
            .trim_start_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("");
        if tag.starts_with('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else {
            stack.push(name.to_owned());
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

fn run_dir(name: &str, server: &MockServer, extra: &[&str]) -> PathBuf {
    let dir = artifact_dir(name);
    let mut flags = vec![
        "--streaming",
        "--isl",
        "24",
        "--osl",
        "12",
        "--osl-stddev",
        "4",
    ];
    flags.extend_from_slice(extra);
    let out = profile(&server.url(), &dir, &flags);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    dir
}

fn plot(args: &[&str]) -> (String, std::process::Output) {
    let mut all = vec!["plot"];
    all.extend_from_slice(args);
    let out = gauntlet(&all);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (String::from_utf8_lossy(&out.stdout).into_owned(), out)
}

#[test]
fn every_chart_kind_is_drawn_from_real_runs() {
    let server = mock_with_gpu();
    let metrics = format!("{}/metrics", server.url());
    let single = run_dir(
        "plot-single",
        &server,
        &[
            "--request-count",
            "40",
            "--concurrency",
            "4",
            "--server-metrics",
            &metrics,
            "--server-metrics-interval",
            "0.05",
            "--no-gpu-telemetry",
            "--gpu-telemetry",
            &metrics,
            "--gpu-telemetry-interval",
            "0.05",
        ],
    );
    let n = jsonl(&single).len();
    assert_eq!(n, 40);
    let sessions = run_dir(
        "plot-sessions",
        &server,
        &[
            "--conversation-num",
            "4",
            "--conversation-turn-mean",
            "3",
            "--concurrency",
            "2",
        ],
    );
    let sweep = run_dir(
        "plot-sweep",
        &server,
        &["--request-count", "12", "--concurrency", "1,3"],
    );

    // One run as SVG: the per-request charts and telemetry, with exact point counts.
    let (stdout, _) = plot(&[single.to_str().unwrap(), "--format", "svg"]);
    let charts = written(&stdout);
    let points = |stem: &str| {
        charts
            .get(stem)
            .unwrap_or_else(|| panic!("{stem}: {stdout}"))
            .2
    };
    // 40 histogram bins + one CDF point per request.
    assert_eq!(points("ttft_distribution"), 40 + n, "{stdout}");
    assert_eq!(points("request_latency_distribution"), 40 + n, "{stdout}");
    assert_eq!(points("itl_distribution"), 40 + n, "{stdout}");
    assert_eq!(points("isl_osl_vs_latency"), 2 * n, "{stdout}");
    assert_eq!(points("send_lag_over_time"), n, "{stdout}");
    // Each request, plus p50/p90/p99 in each of the 20 windows that holds requests.
    let timeline = points("latency_over_time");
    assert!(
        timeline > n && timeline <= n + 3 * 20 && (timeline - n).is_multiple_of(3),
        "{stdout}"
    );
    assert!(points("throughput_over_time") > 0, "{stdout}");
    assert!(points("telemetry_over_time") > 0, "{stdout}");
    assert!(
        stdout.contains("skipped session_swimlanes: plot-single has no multi-turn"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped pareto: needs a sweep or two run directories"),
        "{stdout}"
    );
    let labels: &[(&str, &[&str])] = &[
        (
            "ttft_distribution",
            &[
                "Time to first token (ms)",
                "requests (%)",
                "requests at or below (%)",
            ],
        ),
        ("itl_distribution", &["Inter-token latency (ms)"]),
        (
            "latency_over_time",
            &[
                "time since first request (s)",
                "request latency (ms)",
                "p99",
            ],
        ),
        (
            "throughput_over_time",
            &["output tokens/s", "Requests in flight"],
        ),
        (
            "isl_osl_vs_latency",
            &[
                "input sequence length (tokens)",
                "output sequence length (tokens)",
            ],
        ),
        ("send_lag_over_time", &["send lag (ms)"]),
        (
            "telemetry_over_time",
            &[
                "vllm:num_requests_running",
                "Server: KV-cache usage",
                "vllm:kv_cache_usage_perc",
                "gpu0 gpu_power_usage",
                "GPU utilisation",
            ],
        ),
    ];
    for (stem, wanted) in labels {
        let svg = std::fs::read_to_string(&charts[*stem].0).unwrap();
        well_formed(&svg).unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
        for w in *wanted {
            assert!(svg.contains(w), "{stem}.svg lacks {w:?}");
        }
    }
    let lag = std::fs::read_to_string(&charts["send_lag_over_time"].0).unwrap();
    assert_eq!(lag.matches("<circle").count(), n, "one dot per request");

    // Sessions and the sweep together as PNG: swim lanes, Pareto, latency against concurrency.
    let out_dir = artifact_dir("plot-overlay");
    let (stdout, _) = plot(&[
        sessions.to_str().unwrap(),
        sweep.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
    ]);
    let charts = written(&stdout);
    let turns = jsonl(&sessions).len();
    assert_eq!(
        charts["session_swimlanes-plot-sessions"].2,
        2 * turns,
        "{stdout}"
    );
    // The sweep's two variations and the sessions run: one point each, and latency p50,
    // p99 and TTFT p50 at each.
    assert_eq!(charts["pareto"].2, 3, "{stdout}");
    assert_eq!(charts["latency_vs_concurrency"].2, 3 * 3, "{stdout}");
    let overlaid = jsonl(&sessions).len() + 2 * 12;
    assert_eq!(
        charts["ttft_distribution"].1,
        2 * 3,
        "three runs overlaid: {stdout}"
    );
    assert_eq!(charts["ttft_distribution"].2, 3 * 40 + overlaid, "{stdout}");
    for (stem, (path, series, points)) in &charts {
        assert!(*series > 0 && *points > 0, "{stem}");
        let png = std::fs::read(path).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}");
        let img = image::load_from_memory(&png).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert!(img.width() >= 800 && img.height() >= 300, "{stem}");
    }
    assert!(out_dir.join("report.html").is_file());
}

#[test]
fn missing_inputs_are_skipped_and_non_runs_refused() {
    let server = mock(1, 1);
    let dir = run_dir(
        "plot-partial",
        &server,
        &["--request-count", "10", "--no-server-metrics"],
    );
    // Without the aggregate JSON the per-request charts still come from the JSONL.
    std::fs::remove_file(dir.join("profile_export_aiperf.json")).unwrap();
    let (stdout, _) = plot(&[dir.to_str().unwrap()]);
    assert!(
        written(&stdout).contains_key("ttft_distribution"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "skipped telemetry_over_time: plot-partial has no server_metrics_export.jsonl"
        ),
        "{stdout}"
    );
    assert!(dir.join("plots").join("ttft_distribution.png").is_file());
    assert!(dir.join("report.html").is_file());

    let empty = artifact_dir("plot-not-a-run");
    std::fs::create_dir_all(&empty).unwrap();
    let out = gauntlet(&["plot", empty.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a gauntlet run directory"), "{stderr}");

    std::fs::write(dir.join("profile_export.jsonl"), "{\"metadata\":\n").unwrap();
    let out = gauntlet(&["plot", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr.contains("profile_export.jsonl:1:"), "{stderr}");
}

#[test]
fn auto_plot_writes_charts_and_the_report_after_the_run() {
    let server = mock(1, 1);
    let dir = artifact_dir("plot-auto");
    let out = profile(
        &server.url(),
        &dir,
        &["--streaming", "--request-count", "8", "--auto-plot"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Plots: 8 charts in"), "{stdout}");
    assert!(dir.join("plots").join("latency_over_time.png").is_file());
    assert!(dir.join("report.html").is_file());

    // A plots folder that cannot be made: the run's other artifacts stand, exit 3.
    std::fs::remove_dir_all(dir.join("plots")).unwrap();
    std::fs::write(dir.join("plots"), "in the way").unwrap();
    let out = profile(
        &server.url(),
        &dir,
        &["--streaming", "--request-count", "8", "--auto-plot"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: artifact not written: plots: writing"),
        "{stderr}"
    );
    assert!(dir.join("profile_export_aiperf.json").is_file());

    // A sweep: each variation's folder, then the sweep's own charts and report at its top.
    let sweep = artifact_dir("plot-auto-sweep");
    let out = profile(
        &server.url(),
        &sweep,
        &[
            "--streaming",
            "--request-count",
            "6",
            "--concurrency",
            "1,2",
            "--auto-plot",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for variation in ["concurrency_1", "concurrency_2"] {
        assert!(
            sweep.join(variation).join("report.html").is_file(),
            "{variation}"
        );
    }
    assert!(sweep.join("plots").join("pareto.png").is_file());
    let html = std::fs::read_to_string(sweep.join("report.html")).unwrap();
    assert!(html.contains("Runs side by side"), "the sweep's report");
}

/// Runs `program args` and returns (status ok, stderr), killed after `limit`.
fn run_limited(program: &str, args: &[String], limit: Duration) -> (bool, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} did not end within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.success(), reader.join().unwrap())
}

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn report_html_renders_in_headless_chromium() {
    let server = mock_with_gpu();
    let metrics = format!("{}/metrics", server.url());
    let dir = run_dir(
        "plot-browser",
        &server,
        &[
            "--request-count",
            "30",
            "--concurrency",
            "3",
            "--server-metrics",
            &metrics,
            "--goodput",
            "request_latency:60000",
        ],
    );
    plot(&[dir.to_str().unwrap(), "--format", "svg"]);
    let report = dir.join("report.html");
    let html = std::fs::read_to_string(&report).unwrap();
    // Self-contained: nothing the page could fetch, no script.
    for banned in [
        "<script",
        "src=",
        "href=",
        "url(",
        "@import",
        "<link",
        "@font-face",
    ] {
        assert!(!html.contains(banned), "report.html contains {banned:?}");
    }
    for wanted in [
        "<h2>Summary</h2>",
        "<h2>Accounting</h2>",
        "<h2>Harness</h2>",
        "<h2>Resolved config</h2>",
        "<svg",
        "<td>Good requests (met every --goodput SLO)</td><td>30 requests</td>",
    ] {
        assert!(html.contains(wanted), "report.html lacks {wanted:?}");
    }
    if !Path::new(CHROMIUM).exists() {
        if std::env::var("GAUNTLET_SKIP_BROWSER").as_deref() == Ok("1") {
            eprintln!("GAUNTLET_SKIP_BROWSER=1: report.html not opened in a browser");
            return;
        }
        panic!("{CHROMIUM} missing: run scripts/setup.sh, or set GAUNTLET_SKIP_BROWSER=1");
    }
    let profile_dir = artifact_dir("plot-browser-profile");
    let shot = artifact_dir("plot-browser-shot").with_extension("png");
    let url = format!(
        "file://{}",
        std::fs::canonicalize(&report).unwrap().display()
    );
    let args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,1600",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        format!("--user-data-dir={}", profile_dir.display()),
        format!("--screenshot={}", shot.display()),
        url,
    ])
    .collect();
    let _ = std::fs::remove_file(&shot);
    let (ok, stderr) = run_limited(CHROMIUM, &args, Duration::from_secs(120));
    assert!(ok, "chromium failed: {stderr}");
    // The page's own messages: console errors, failed loads, refused resources.
    let page_errors: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE") || l.contains("net::ERR_") || l.contains("Failed to load")
        })
        .collect();
    assert!(
        page_errors.is_empty(),
        "page logged errors: {page_errors:#?}"
    );
    let img = image::open(&shot).expect("a PNG screenshot").to_luma8();
    let pixels: Vec<f64> = img.pixels().map(|p| f64::from(p.0[0])).collect();
    let mean = pixels.iter().sum::<f64>() / pixels.len() as f64;
    let variance = pixels.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / pixels.len() as f64;
    let dark = pixels.iter().filter(|&&v| v < 128.0).count() as f64 / pixels.len() as f64;
    // A blank page has variance 0; text, tables and charts give thousands of dark pixels.
    assert!(
        variance > 100.0,
        "screenshot looks blank: variance {variance:.1}"
    );
    assert!(
        dark > 0.005,
        "too little drawn: {:.4} of the pixels dark",
        dark
    );
    let _ = std::fs::remove_dir_all(&profile_dir);
}
