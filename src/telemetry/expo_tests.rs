use super::*;

/// An excerpt in the shape vLLM 0.x serves (names, label sets and bucket bounds as vLLM
/// writes them), with an SGLang gauge and a Go-client summary.
const VLLM: &str = r#"# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-0.6B"} 3.0
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 12345.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_sum{engine="0",model_name="Qwen/Qwen3-0.6B"} 1.5
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="Qwen/Qwen3-0.6B"} 0.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.02",model_name="Qwen/Qwen3-0.6B"} 4.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="Qwen/Qwen3-0.6B"} 10.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="Qwen/Qwen3-0.6B"} 10.0
# HELP sglang:token_usage The token usage
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="m",tp_rank="0"} NaN
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.7e9 1395066363000
"#;

fn value(expo: &Exposition, name: &str, label: (&str, &str)) -> f64 {
    expo.samples
        .iter()
        .find(|s| s.name == name && s.labels.iter().any(|(k, v)| k == label.0 && v == label.1))
        .unwrap_or_else(|| panic!("{name} {label:?} missing"))
        .value
}

#[test]
fn reads_vllm_families_types_and_labels() {
    let expo = parse(VLLM).unwrap();
    assert_eq!(
        expo.families["vllm:num_requests_running"].kind,
        MetricKind::Gauge
    );
    assert_eq!(
        expo.families["vllm:prompt_tokens_total"].help,
        "Number of prefill tokens processed."
    );
    assert_eq!(
        expo.families["vllm:time_to_first_token_seconds"].kind,
        MetricKind::Histogram
    );
    assert_eq!(
        value(&expo, "vllm:prompt_tokens_total", ("engine", "0")),
        12345.0
    );
    let run = &expo.samples[0];
    assert_eq!(run.family, "vllm:num_requests_running");
    assert_eq!(
        run.labels,
        vec![
            ("engine".to_owned(), "0".to_owned()),
            ("model_name".to_owned(), "Qwen/Qwen3-0.6B".to_owned())
        ]
    );
}

#[test]
fn histogram_and_summary_parts_map_to_their_family() {
    let expo = parse(VLLM).unwrap();
    let ttft: Vec<_> = expo
        .samples
        .iter()
        .filter(|s| s.family == "vllm:time_to_first_token_seconds")
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(ttft.len(), 5);
    assert!(ttft.contains(&"vllm:time_to_first_token_seconds_count"));
    assert_eq!(
        value(
            &expo,
            "vllm:time_to_first_token_seconds_bucket",
            ("le", "+Inf")
        ),
        10.0
    );
    let rpc = expo
        .samples
        .iter()
        .filter(|s| s.family == "rpc_duration_seconds")
        .count();
    assert_eq!(rpc, 4);
    assert_eq!(
        expo.families["rpc_duration_seconds"].kind,
        MetricKind::Summary
    );
}

#[test]
fn special_values_and_timestamps() {
    let expo = parse(VLLM).unwrap();
    assert!(value(&expo, "sglang:token_usage", ("tp_rank", "0")).is_nan());
    let start = expo
        .samples
        .iter()
        .find(|s| s.name == "process_start_time_seconds")
        .unwrap();
    assert_eq!(start.value, 1.7e9);
    assert_eq!(parse_value("-Inf"), Some(f64::NEG_INFINITY));
    assert_eq!(parse_value("1e-3"), Some(0.001));
}

#[test]
fn escaped_label_values_keep_braces_quotes_and_newlines() {
    let text = "# HELP x A help with \\\\ and \\n.\n# TYPE x counter\n\
                x{path=\"/a}b\",msg=\"say \\\"hi\\\"\\n\",utf=\"héllo\"} 7\n";
    let expo = parse(text).unwrap();
    assert_eq!(expo.families["x"].help, "A help with \\ and \n.");
    let s = &expo.samples[0];
    assert_eq!(s.labels[0], ("path".into(), "/a}b".into()));
    assert_eq!(s.labels[1], ("msg".into(), "say \"hi\"\n".into()));
    assert_eq!(s.labels[2], ("utf".into(), "héllo".into()));
    assert_eq!(s.value, 7.0);
}

#[test]
fn openmetrics_counter_total_maps_to_its_typed_family() {
    let text = "# TYPE requests counter\nrequests_total{a=\"1\"} 5\nrequests_created 1.7e9\n";
    let expo = parse(text).unwrap();
    assert!(expo.samples.iter().all(|s| s.family == "requests"));
}

#[test]
fn non_prometheus_bodies_are_errors_that_name_the_line() {
    let err = parse("# ok\n{\"iteration\": 1}\n").unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(parse("x{a=unquoted} 1").is_err());
    assert!(parse("x{a=\"1\" 1").is_err());
    assert!(parse("x abc").is_err());
    assert!(parse("x").is_err());
}

#[test]
fn empty_text_is_an_empty_scrape() {
    assert_eq!(parse("\n\n").unwrap(), Exposition::default());
}

proptest::proptest! {
    #[test]
    fn any_label_value_round_trips_through_escaping(value in "\\PC{0,20}") {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        let text = format!("m{{k=\"{escaped}\"}} 1\n");
        let expo = parse(&text).unwrap();
        proptest::prop_assert_eq!(&expo.samples[0].labels[0].1, &value);
    }
}
