use std::path::PathBuf;

use super::load::{Export, MetricValues};
use super::*;

fn export(ttft: f64, rps: f64) -> Export {
    let mut e = Export::new();
    e.insert(
        "time_to_first_token".into(),
        MetricValues {
            unit: "ms".into(),
            per_request: true,
            stats: vec![("avg", ttft), ("p50", ttft), ("p90", ttft), ("p99", ttft)],
        },
    );
    e.insert(
        "request_throughput".into(),
        MetricValues {
            unit: "requests/sec".into(),
            per_request: false,
            stats: vec![("avg", rps)],
        },
    );
    e
}

fn run(dir: &str, repeats: &[(f64, f64)]) -> RunSet {
    RunSet {
        dir: PathBuf::from(dir),
        endpoint: Some("chat".into()),
        repeats: repeats.iter().map(|&(t, r)| export(t, r)).collect(),
        confidence: None,
    }
}

fn row<'a>(cmp: &'a Comparison, tag: &str, stat: &str) -> &'a Row {
    cmp.rows
        .iter()
        .find(|r| r.tag == tag && r.stat == stat)
        .unwrap()
}

#[test]
fn a_real_difference_is_better_or_worse_by_the_metrics_direction() {
    let a = run("/runs/a", &[(10.0, 100.0), (11.0, 101.0), (10.5, 99.0)]);
    let b = run("/runs/b", &[(20.0, 80.0), (21.0, 81.0), (20.5, 79.0)]);
    let cmp = compare(vec![a, b], 0.95).unwrap();
    assert_eq!(cmp.names, ["a", "b"]);
    let ttft = row(&cmp, "time_to_first_token", "avg");
    let change = ttft.cells[1].as_ref().unwrap().change.unwrap();
    assert_eq!(change.verdict, Verdict::Worse, "a longer TTFT is worse");
    assert!((change.percent.unwrap() - (20.5 - 10.5) / 10.5 * 100.0).abs() < 1e-9);
    let test = change.test.unwrap();
    assert!(test.p < 0.001, "{test:?}");
    assert_eq!(
        test,
        welch(&[10.0, 11.0, 10.5], &[20.0, 21.0, 20.5]).unwrap()
    );
    let rps = row(&cmp, "request_throughput", "value");
    let change = rps.cells[1].as_ref().unwrap().change.unwrap();
    assert_eq!(change.verdict, Verdict::Worse, "fewer requests/s is worse");
    assert!(cmp.tested());
    // The baseline has no change against itself.
    assert!(ttft.cells[0].as_ref().unwrap().change.is_none());
}

#[test]
fn a_difference_within_the_noise_is_called_noise() {
    let a = run("/runs/a", &[(10.0, 100.0), (14.0, 90.0), (12.0, 110.0)]);
    let b = run("/x/b", &[(12.5, 101.0), (11.0, 95.0), (13.0, 108.0)]);
    let cmp = compare(vec![a, b], 0.95).unwrap();
    let change = (row(&cmp, "time_to_first_token", "avg").cells[1].as_ref())
        .unwrap()
        .change
        .unwrap();
    assert_eq!(change.verdict, Verdict::Noise);
    assert!(change.test.unwrap().p > 0.05);
}

#[test]
fn identical_runs_are_the_same_and_single_runs_are_untested() {
    let cmp = compare(
        vec![run("/r/a", &[(10.0, 100.0)]), run("/r/b", &[(10.0, 90.0)])],
        0.95,
    )
    .unwrap();
    let same = row(&cmp, "time_to_first_token", "p99").cells[1]
        .as_ref()
        .unwrap()
        .change
        .unwrap();
    assert_eq!((same.verdict, same.test), (Verdict::Same, None));
    let rps = row(&cmp, "request_throughput", "value").cells[1]
        .as_ref()
        .unwrap()
        .change
        .unwrap();
    assert_eq!(rps.verdict, Verdict::Worse);
    assert!(!cmp.tested());
    let text = render_console(&cmp);
    assert!(text.contains("Not tested against noise"), "{text}");
    assert!(!text.contains(" p "), "{text}");
}

#[test]
fn folders_with_one_name_are_shown_by_path() {
    let cmp = compare(
        vec![run("/x/run", &[(1.0, 1.0)]), run("/y/run", &[(1.0, 1.0)])],
        0.95,
    )
    .unwrap();
    assert_eq!(cmp.names, ["/x/run", "/y/run"]);
}

#[test]
fn runs_that_measure_different_things_are_refused() {
    let mut b = run("/r/emb", &[(1.0, 1.0)]);
    b.endpoint = Some("embeddings".into());
    let err = compare(vec![run("/r/chat", &[(1.0, 1.0)]), b], 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot compare /r/chat (chat) with /r/emb (embeddings): one endpoint type produces \
         tokens and the other does not, so their metrics differ"
    );
    let mut c = run("/r/comp", &[(1.0, 1.0)]);
    c.endpoint = Some("completions".into());
    assert!(compare(vec![run("/r/chat", &[(1.0, 1.0)]), c], 0.95).is_ok());
    assert!(compare(vec![run("/r/a", &[(1.0, 1.0)])], 1.5).is_err());
}

#[test]
fn tables_show_values_changes_p_values_and_verdicts() {
    let a = run("/runs/base", &[(10.0, 100.0), (11.0, 101.0), (10.5, 99.0)]);
    let b = run("/runs/new", &[(12.0, 80.0), (13.0, 81.0), (12.5, 79.0)]);
    let cmp = compare(vec![a, b], 0.95).unwrap();
    let p = welch(&[10.0, 11.0, 10.5], &[12.0, 13.0, 12.5]).unwrap().p;
    assert!(p > 1e-4 && p < 0.05, "{p}");
    let console = render_console(&cmp);
    assert!(
        console.contains("gauntlet compare | baseline: base"),
        "{console}"
    );
    let ttft = console
        .lines()
        .find(|l| l.contains("Time to First Token (ms)") && l.contains("avg"))
        .unwrap();
    for want in ["10.50", "12.50", "+19.05", &format!("{p:.4}"), "worse"] {
        assert!(ttft.contains(want), "{want} in {ttft}");
    }
    assert!(console.contains("Welch's t-test"), "{console}");
    assert!(
        console.contains("base: /runs/base (baseline, 3 repeats)"),
        "{console}"
    );
    let md = render_markdown(&cmp);
    assert!(
        md.contains("| Metric | stat | base | new | Δ % | p | verdict |"),
        "{md}"
    );
    assert!(
        md.contains("| Request Throughput (requests/sec) | value | 100.00 | 80.00 | -20.00 |"),
        "{md}"
    );
    let csv = render_csv(&cmp);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Metric,Stat,base,new,new change %,new p-value,new verdict"
    );
    let p90 = format!("Time to First Token (ms),p90,10.5000,12.5000,19.0476,{p:.6},worse");
    assert!(lines.contains(&p90.as_str()), "{p90} in {csv}");
}

#[test]
fn more_goodput_is_better_although_aiperf_gives_it_no_direction() {
    let with_goodput = |goodput: f64| {
        let mut e = export(10.0, 100.0);
        e.insert(
            "goodput".into(),
            MetricValues {
                unit: "requests/sec".into(),
                per_request: false,
                stats: vec![("avg", goodput)],
            },
        );
        e
    };
    let set = |dir: &str, values: &[f64]| RunSet {
        dir: PathBuf::from(dir),
        endpoint: Some("chat".into()),
        repeats: values.iter().map(|&g| with_goodput(g)).collect(),
        confidence: None,
    };
    let cmp = compare(
        vec![
            set("/runs/a", &[50.0, 51.0, 49.0]),
            set("/runs/b", &[80.0, 81.0, 79.0]),
        ],
        0.95,
    )
    .unwrap();
    let change = row(&cmp, "goodput", "value").cells[1]
        .as_ref()
        .unwrap()
        .change
        .unwrap();
    assert_eq!(change.verdict, Verdict::Better);
}
