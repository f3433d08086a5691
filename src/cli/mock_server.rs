//! `gauntlet mock-server`: flags for the built-in mock server.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::ValueEnum;

use crate::mock::{
    serve, LatencyModel, MockConfig, MockStats, MockTls, SpecDecodeConfig, SseMode, Validity,
};

/// Flags of `gauntlet mock-server`.
///
/// An OpenAI-compatible server that answers instantly (or with a configured timing model) in
/// vLLM's exact response shapes, for testing and benchmarking clients without a GPU.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Serves /v1/chat/completions and /v1/completions (streaming and not, in vLLM's JSON shapes), \
/v1/embeddings, /v1/models, /health and /metrics (vLLM metric names; --spec-k adds \
speculative-decoding metrics, --gpu-metrics DCGM-style GPU series). Every response has \
exactly max_tokens (or max_completion_tokens, or --default-output-tokens) tokens, one short \
word each. Prints 'mock server listening on http://HOST:PORT' once ready (with --tls, \
'CA certificate: PATH' and then 'mock server listening on https://HOST:PORT'); runs until \
Ctrl-C or SIGTERM.

Example: gauntlet mock-server --port 8000 --ttft-ms 40 --itl-ms 8 --itl-stddev-ms 2")]
pub struct MockServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0 picks a free one; the chosen port is printed).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,

    /// Model name listed by /v1/models; a comma list (or the flag repeated) lists several,
    /// in order (requests may name any model; it is echoed back).
    #[arg(
        long,
        visible_alias = "model-names",
        default_value = "mock-model",
        value_delimiter = ','
    )]
    pub model: Vec<String>,

    /// Answer HTTP 503 to inference requests, /v1/models and /health for this many seconds
    /// after start (a server still loading its model), to try --wait-for-model-timeout.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub ready_after: Option<f64>,

    /// How long a /v1/videos job (video_generation) takes from its submit to `completed`, in
    /// milliseconds; its status is `in_progress` until then.
    #[arg(long, default_value_t = 200.0, value_name = "MS", value_parser = parse_ms)]
    pub video_job_ms: f64,

    /// Mean time to first token, in milliseconds.
    #[arg(long, default_value_t = 0.0, value_name = "MS")]
    pub ttft_ms: f64,

    /// Standard deviation of the time to first token (0 = fixed), in milliseconds.
    #[arg(long, default_value_t = 0.0, value_name = "MS")]
    pub ttft_stddev_ms: f64,

    /// Mean wait between two SSE content events, in milliseconds.
    #[arg(long, default_value_t = 0.0, value_name = "MS")]
    pub itl_ms: f64,

    /// Standard deviation of the wait between content events (0 = fixed), in milliseconds.
    #[arg(long, default_value_t = 0.0, value_name = "MS")]
    pub itl_stddev_ms: f64,

    /// Tokens packed into one SSE content event.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub tokens_per_chunk: u32,

    /// How streams are written: one HTTP chunk per event with the waits in between
    /// (chunked, like real servers), or the whole SSE body in one write after the total wait
    /// (one-body, cheapest for the server).
    #[arg(long, value_enum, default_value_t = SseModeArg::Chunked)]
    pub sse_mode: SseModeArg,

    /// Output tokens when a request sets neither max_tokens nor max_completion_tokens.
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub default_output_tokens: u32,

    /// Tokio worker threads (1 = a single-threaded runtime, the most efficient per core).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub workers: u64,

    /// Answer every Nth inference request (chat, completions, embeddings) with HTTP 500.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub fail_every: Option<u64>,

    /// Cut every Nth streaming response after its first content event.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub drop_every: Option<u64>,

    /// Send an SSE error event after the first content event of every Nth streaming response.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub error_event_every: Option<u64>,

    /// Pretend speculative decoding with N draft tokens per step (1 to 16): /metrics gains
    /// vLLM's spec_decode counters and SGLang's spec_accept gauges. Each step accepts
    /// round(rate × N) draft tokens plus one bonus token.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::mock::MAX_DRAFT_TOKENS)))]
    pub spec_k: Option<u32>,

    /// Acceptance rate (0 to 1) of requests that match no --spec-acceptance-by keyword.
    #[arg(long, value_name = "RATE", default_value_t = 0.5, requires = "spec_k", value_parser = parse_rate)]
    pub spec_acceptance: f64,

    /// KEYWORD=RATE: requests whose body contains KEYWORD get that acceptance rate (the first
    /// matching keyword, in the order given, wins); repeatable or comma-separated.
    #[arg(long, value_name = "KEYWORD=RATE", value_delimiter = ',', requires = "spec_k", value_parser = parse_keyword_rate)]
    pub spec_acceptance_by: Vec<(String, f64)>,

    /// Add DCGM-exporter-style GPU series (DCGM_FI_DEV_*{gpu="0"}) to /metrics, derived from
    /// the mock's activity (1 J per generated token), for testing --gpu-telemetry URL.
    #[arg(long)]
    pub gpu_metrics: bool,

    /// Serve over TLS (https://) with a certificate made at start for localhost, 127.0.0.1,
    /// ::1 and --host, signed by a throw-away CA whose certificate is written to a file (its
    /// path is printed as 'CA certificate: PATH'; removed when the server stops): pass it to
    /// profile's --ca-cert.
    #[arg(long)]
    pub tls: bool,
}

/// Zero or more seconds.
fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=1e9).contains(&s) => Ok(s),
        _ => Err(format!("expected zero or more seconds, got '{text}'")),
    }
}

fn parse_ms(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(ms) if ms.is_finite() && (0.0..=1e12).contains(&ms) => Ok(ms),
        _ => Err(format!("expected zero or more milliseconds, got '{text}'")),
    }
}

/// A rate between 0 and 1.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("expected a rate between 0 and 1, got '{text}'")),
    }
}

/// `KEYWORD=RATE`.
fn parse_keyword_rate(text: &str) -> Result<(String, f64), String> {
    let (keyword, rate) = text
        .rsplit_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEYWORD=RATE (e.g. coding=0.75), got '{text}'"))?;
    Ok((keyword.to_owned(), parse_rate(rate)?))
}

/// `--sse-mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SseModeArg {
    /// One HTTP chunk per SSE event, with the waits in between.
    Chunked,
    /// The whole SSE body in one write, after the total wait.
    OneBody,
}

impl MockServerArgs {
    /// The resolved server configuration.
    pub fn to_config(&self) -> MockConfig {
        MockConfig {
            model: self
                .model
                .first()
                .cloned()
                .unwrap_or_else(|| "mock-model".into()),
            more_models: self.model.iter().skip(1).cloned().collect(),
            ready_after: self.ready_after.map(std::time::Duration::from_secs_f64),
            video_job: std::time::Duration::from_secs_f64(self.video_job_ms / 1000.0),
            ttft: LatencyModel::from_ms(self.ttft_ms, self.ttft_stddev_ms),
            itl: LatencyModel::from_ms(self.itl_ms, self.itl_stddev_ms),
            tokens_per_chunk: self.tokens_per_chunk,
            sse_mode: match self.sse_mode {
                SseModeArg::Chunked => SseMode::Chunked,
                SseModeArg::OneBody => SseMode::OneBody,
            },
            default_output_tokens: self.default_output_tokens,
            fail_every: self.fail_every,
            drop_every: self.drop_every,
            error_event_every: self.error_event_every,
            capture_requests: false,
            spec_decode: self.spec_k.map(|k| SpecDecodeConfig {
                draft_tokens: k,
                default_acceptance: self.spec_acceptance,
                by_keyword: self.spec_acceptance_by.clone(),
            }),
            gpu_metrics: self.gpu_metrics,
            tls: None,
        }
    }

    /// `--tls`: a certificate for the local names and `--host`.
    fn tls(&self) -> anyhow::Result<Option<MockTls>> {
        if !self.tls {
            return Ok(None);
        }
        let mut names = vec!["localhost", "127.0.0.1", "::1"];
        let host = self.host.trim_matches(['[', ']']);
        if !names.contains(&host) && !matches!(host, "0.0.0.0" | "::") {
            names.push(host);
        }
        MockTls::generate(&names, Validity::Current)
            .map(Some)
            .map_err(anyhow::Error::msg)
    }
}

/// Runs the mock server until Ctrl-C or SIGTERM.
pub fn run(args: MockServerArgs) -> anyhow::Result<ExitCode> {
    let mut config = args.to_config();
    config.tls = args.tls()?;
    let ca_path = match &config.tls {
        Some(tls) => Some(
            tls.write_ca(&std::env::temp_dir())
                .context("writing the mock's CA certificate")?,
        ),
        None => None,
    };
    let scheme = if ca_path.is_some() { "https" } else { "http" };
    let config = Arc::new(config);
    let workers = usize::try_from(args.workers).unwrap_or(1);
    let runtime = crate::mock::build_runtime(workers).context("starting the tokio runtime")?;
    let served = runtime.block_on(async {
        let bind_error = || format!("binding --host {} --port {}", args.host, args.port);
        let addr = tokio::net::lookup_host((args.host.as_str(), args.port))
            .await
            .with_context(bind_error)?
            .next()
            .with_context(|| format!("--host {}: no address found", args.host))?;
        let listener = crate::mock::listen(addr).with_context(bind_error)?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let mut stdout = std::io::stdout().lock();
        if let Some(path) = &ca_path {
            let _ = writeln!(stdout, "CA certificate: {}", path.display());
        }
        // Scripts and tests wait for this exact line, so it must not sit in a buffer.
        let _ = writeln!(stdout, "mock server listening on {scheme}://{addr}");
        let _ = stdout.flush();
        drop(stdout);
        serve(listener, config, Arc::new(MockStats::new()), stop_signal())
            .await
            .context("serving")
    });
    // The CA file served its clients; a stopped server leaves no file behind.
    if let Some(folder) = ca_path.as_deref().and_then(std::path::Path::parent) {
        let _ = std::fs::remove_dir_all(folder);
    }
    served?;
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: MockServerArgs,
    }

    #[test]
    fn flags_map_to_config() {
        let w = Wrapper::parse_from([
            "x",
            "--ttft-ms",
            "50",
            "--itl-ms",
            "5",
            "--itl-stddev-ms",
            "1",
            "--tokens-per-chunk",
            "4",
            "--sse-mode",
            "one-body",
            "--fail-every",
            "3",
        ]);
        let c = w.args.to_config();
        assert_eq!(c.ttft, LatencyModel::Fixed(Duration::from_millis(50)));
        assert_eq!(
            c.itl,
            LatencyModel::Normal {
                mean: Duration::from_millis(5),
                stddev: Duration::from_millis(1)
            }
        );
        assert_eq!(c.tokens_per_chunk, 4);
        assert_eq!(c.sse_mode, SseMode::OneBody);
        assert_eq!(c.fail_every, Some(3));
        assert_eq!(c.drop_every, None);
        assert_eq!(c.model, "mock-model");
        assert_eq!(c.spec_decode, None);
        assert!(!c.gpu_metrics);
    }

    #[test]
    fn spec_flags_map_to_the_acceptance_rule() {
        let w = Wrapper::parse_from([
            "x",
            "--spec-k",
            "4",
            "--spec-acceptance-by",
            "coding=0.75,math=0.25",
            "--spec-acceptance-by",
            "a=b=1",
            "--gpu-metrics",
        ]);
        let c = w.args.to_config();
        let spec = c.spec_decode.expect("spec decode on");
        assert_eq!(spec.draft_tokens, 4);
        assert_eq!(spec.default_acceptance, 0.5);
        assert_eq!(
            spec.by_keyword,
            [
                ("coding".to_owned(), 0.75),
                ("math".to_owned(), 0.25),
                ("a=b".to_owned(), 1.0)
            ]
        );
        assert!(c.gpu_metrics);
        assert!(Wrapper::try_parse_from(["x", "--spec-acceptance", "0.4"]).is_err());
        assert!(
            Wrapper::try_parse_from(["x", "--spec-k", "4", "--spec-acceptance", "1.5"]).is_err()
        );
        assert!(
            Wrapper::try_parse_from(["x", "--spec-k", "4", "--spec-acceptance-by", "=0.5"])
                .is_err()
        );
        assert!(Wrapper::try_parse_from(["x", "--spec-k", "17"]).is_err());
    }

    #[test]
    fn zero_counts_are_rejected() {
        assert!(Wrapper::try_parse_from(["x", "--tokens-per-chunk", "0"]).is_err());
        assert!(Wrapper::try_parse_from(["x", "--fail-every", "0"]).is_err());
        assert!(Wrapper::try_parse_from(["x", "--workers", "0"]).is_err());
    }
}
