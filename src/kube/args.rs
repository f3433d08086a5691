//! `gauntlet kube render|run`'s flags. The profile flags come last and pass to the pods as
//! typed, after `gauntlet profile`'s own checks (`super::profile_flags`).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// `gauntlet kube`: one benchmark from many pods.
#[derive(Debug, Args)]
#[command(after_help = KUBE_AFTER_HELP)]
pub struct KubeArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: KubeCommand,
}

/// The `kube` subcommands.
#[derive(Debug, Subcommand)]
pub enum KubeCommand {
    /// Print the ConfigMap and the Indexed Job that run the benchmark from --workers pods.
    #[command(after_help = KUBE_AFTER_HELP)]
    Render(RenderArgs),
    /// Apply them with kubectl, wait for the Job, collect every worker's folder and merge them.
    #[command(after_help = KUBE_AFTER_HELP)]
    Run(RunArgs),
}

const KUBE_AFTER_HELP: &str = "\
The kube flags come first; every flag after them is `gauntlet profile`'s (or --config FILE),
checked here exactly as `gauntlet profile` would check it and passed to the pods as typed.

Examples:
  gauntlet kube render --workers 4 --image registry.example/gauntlet:0.1 --pvc bench-results \\
      -m my-model -u http://vllm.serving:8000 --streaming --request-rate 400 \\
      --benchmark-duration 300 --isl 1000 --osl 200

  gauntlet kube run --workers 4 --image registry.example/gauntlet:0.1 --pvc bench-results \\
      --api-key-secret llm-keys/token --output results/run1 --config workload.yaml

See docs/scale-out.md.";

/// The Job's shape: flags `render` and `run` share.
#[derive(Debug, Clone, Args)]
pub struct JobArgs {
    /// Pods, each running one share of the workload (the Job's completions and parallelism).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub workers: u32,

    /// Container image with `gauntlet` on its PATH (and the tokenizer and any input files the
    /// profile flags name, at the same paths).
    #[arg(long, value_name = "IMAGE")]
    pub image: String,

    /// Namespace of the objects [default: the kubeconfig context's].
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Name of the Job (the ConfigMap is NAME-plan) [default: render: gauntlet; run:
    /// gauntlet-<unix seconds>].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// The wall-clock instant every worker starts sending: unix seconds or RFC 3339. Left out
    /// (and no --start-delay), each worker starts when it is ready; `kube run` defaults to
    /// --start-delay 60.
    #[arg(long, value_name = "T", conflicts_with = "start_delay")]
    pub start_at: Option<String>,

    /// Start every worker this many seconds after now (render time, or apply time for `run`).
    #[arg(long, value_name = "SECS")]
    pub start_delay: Option<f64>,

    /// CPU each worker pod requests (a Kubernetes quantity: 2, 500m).
    #[arg(long, value_name = "QUANTITY")]
    pub cpu_request: Option<String>,

    /// CPU limit of each worker pod (equal to the request gives the Guaranteed QoS class).
    #[arg(long, value_name = "QUANTITY")]
    pub cpu_limit: Option<String>,

    /// Memory each worker pod requests (a Kubernetes quantity: 2Gi, 512Mi).
    #[arg(long, value_name = "QUANTITY")]
    pub memory_request: Option<String>,

    /// Memory limit of each worker pod.
    #[arg(long, value_name = "QUANTITY")]
    pub memory_limit: Option<String>,

    /// PersistentVolumeClaim the workers write their folders to (required; ReadWriteMany when
    /// pods land on several nodes); each run writes under /artifacts/<NAME>/.
    #[arg(long, value_name = "CLAIM")]
    pub pvc: Option<String>,

    /// Object-store URL for the artifacts instead of a claim: not supported yet (refused; use
    /// --pvc).
    #[arg(long, value_name = "URL")]
    pub artifacts_url: Option<String>,

    /// Secret holding the API key, as NAME/KEY: the pods read it into GAUNTLET_API_KEY, so the
    /// key itself is never in the manifests (--api-key among the profile flags is refused).
    #[arg(long, value_name = "NAME/KEY")]
    pub api_key_secret: Option<String>,

    /// `gauntlet profile`'s flags (or --config FILE), after the kube flags.
    #[arg(
        value_name = "PROFILE FLAGS",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..
    )]
    pub profile: Vec<String>,
}

/// `gauntlet kube render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// How the objects are printed: YAML documents, or one JSON `List`.
    #[arg(long, value_enum, default_value = "yaml")]
    pub output_format: OutputFormat,

    /// The Job's shape.
    #[command(flatten)]
    pub job: JobArgs,
}

/// `gauntlet kube run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Folder for the merged run; the workers' folders are collected into DIR/workers/.
    #[arg(long, value_name = "DIR")]
    pub output: PathBuf,

    /// kubeconfig file for every kubectl call [default: kubectl's: $KUBECONFIG or
    /// ~/.kube/config].
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// Longest the Job may run, in seconds (also its activeDeadlineSeconds).
    #[arg(long, value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// Image of the short-lived pod that mounts the claim to copy the folders out (needs `tar`
    /// and `sleep`) [default: --image].
    #[arg(long, value_name = "IMAGE")]
    pub collect_image: Option<String>,

    /// The Job's shape.
    #[command(flatten)]
    pub job: JobArgs,
}

/// `--output-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// YAML documents separated by `---`.
    Yaml,
    /// One JSON object of kind `List`.
    Json,
}
