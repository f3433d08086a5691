//! The Kubernetes objects of one distributed run, built from k8s-openapi's typed structs (so
//! every field name and type is the API's): the plan's ConfigMap, the Indexed Job whose pods
//! run `gauntlet profile` in worker mode, and the short-lived pod `kube run` copies the
//! folders out through.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMap, ConfigMapVolumeSource, Container, EnvVar, EnvVarSource,
    PersistentVolumeClaimVolumeSource, Pod, PodAffinityTerm, PodAntiAffinity, PodSpec,
    PodTemplateSpec, ResourceRequirements, SecretKeySelector, Volume, VolumeMount,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::profile_flags::{CheckedProfile, CONFIG_KEY, PLAN_DIR};

/// Where the claim is mounted in every pod.
pub const ARTIFACTS_DIR: &str = "/artifacts";
/// The ConfigMap key holding the pods' full argument list (JSON), for the record.
pub const ARGS_KEY: &str = "profile-args.json";
/// The ConfigMap key holding the resolved plan (JSON), for the record.
pub const PLAN_KEY: &str = "plan.json";
/// The environment variable `gauntlet profile --api-key` reads.
const API_KEY_ENV: &str = "GAUNTLET_API_KEY";
/// What the API server takes in one ConfigMap.
const CONFIG_MAP_MAX_BYTES: usize = 1024 * 1024;

/// Everything the objects are made from, checked.
#[derive(Debug, Clone)]
pub struct JobShape {
    /// The Job's name (the ConfigMap is `<name>-plan`).
    pub name: String,
    /// Namespace, or the kubeconfig context's.
    pub namespace: Option<String>,
    /// Completions and parallelism.
    pub workers: u32,
    /// The pods' image.
    pub image: String,
    /// `--start-at` for every worker.
    pub start_at: Option<String>,
    /// `cpu` / `memory` requests.
    pub requests: BTreeMap<String, String>,
    /// `cpu` / `memory` limits.
    pub limits: BTreeMap<String, String>,
    /// The artifacts claim.
    pub pvc: String,
    /// The Secret name and key holding the API key.
    pub api_key_secret: Option<(String, String)>,
    /// The Job's activeDeadlineSeconds.
    pub deadline_secs: Option<u64>,
}

impl JobShape {
    /// The ConfigMap's name.
    pub fn config_map_name(&self) -> String {
        format!("{}-plan", self.name)
    }

    /// The collector pod's name.
    pub fn collector_name(&self) -> String {
        format!("{}-collect", self.name)
    }

    /// This run's folder on the claim; worker K writes `<it>/worker-K/`.
    pub fn run_dir(&self) -> String {
        format!("{ARTIFACTS_DIR}/{}", self.name)
    }

    /// The worker container's arguments after `gauntlet`.
    pub fn pod_args(&self, profile: &CheckedProfile) -> Vec<String> {
        let mut args = vec!["profile".to_string()];
        args.extend(profile.pod_args.iter().cloned());
        args.extend([
            "--worker-count".to_string(),
            self.workers.to_string(),
            "--output-artifact-dir".to_string(),
            self.run_dir(),
        ]);
        if let Some(at) = &self.start_at {
            args.extend(["--start-at".to_string(), at.clone()]);
        }
        args
    }

    fn metadata(&self, name: String) -> ObjectMeta {
        ObjectMeta {
            name: Some(name),
            namespace: self.namespace.clone(),
            labels: Some(self.labels()),
            ..ObjectMeta::default()
        }
    }

    fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), "gauntlet".to_string()),
            ("app.kubernetes.io/instance".to_string(), self.name.clone()),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "gauntlet".to_string(),
            ),
        ])
    }

    fn claim_volume(&self, read_only: bool) -> Volume {
        Volume {
            name: "artifacts".to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: self.pvc.clone(),
                read_only: read_only.then_some(true),
            }),
            ..Volume::default()
        }
    }
}

/// The ConfigMap and the Job, in the order they are applied.
#[derive(Debug, Clone)]
pub struct Objects {
    /// The plan: config file, argument list, resolved plan.
    pub config_map: ConfigMap,
    /// The Indexed Job.
    pub job: Job,
}

impl Objects {
    /// Both objects as JSON values (apiVersion and kind included).
    pub fn values(&self) -> Vec<serde_json::Value> {
        vec![
            serde_json::to_value(&self.config_map).expect("a ConfigMap serializes"),
            serde_json::to_value(&self.job).expect("a Job serializes"),
        ]
    }
}

/// Builds the ConfigMap and the Job; `Err` names what makes the ConfigMap too large.
pub fn build(shape: &JobShape, profile: &CheckedProfile) -> Result<Objects, String> {
    let args = shape.pod_args(profile);
    let mut data = BTreeMap::from([
        (
            ARGS_KEY.to_string(),
            serde_json::to_string_pretty(&args).expect("strings serialize"),
        ),
        (PLAN_KEY.to_string(), profile.plan_json.clone()),
    ]);
    if let Some(text) = &profile.config_text {
        data.insert(CONFIG_KEY.to_string(), text.clone());
    }
    let bytes: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
    if bytes > CONFIG_MAP_MAX_BYTES {
        return Err(format!(
            "the plan is {bytes} bytes, more than a ConfigMap holds ({CONFIG_MAP_MAX_BYTES}); shorten the config file"
        ));
    }
    let config_map = ConfigMap {
        metadata: shape.metadata(shape.config_map_name()),
        data: Some(data),
        ..ConfigMap::default()
    };
    Ok(Objects {
        config_map,
        job: job(shape, args),
    })
}

fn job(shape: &JobShape, args: Vec<String>) -> Job {
    let workers = i32::try_from(shape.workers).expect("--workers is at most 100,000");
    let mut pod_labels = shape.labels();
    pod_labels.insert("app.kubernetes.io/component".into(), "worker".into());
    let env = shape.api_key_secret.as_ref().map(|(name, key)| {
        vec![EnvVar {
            name: API_KEY_ENV.to_string(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: name.clone(),
                    key: key.clone(),
                    optional: None,
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        }]
    });
    let container = Container {
        name: "gauntlet".to_string(),
        image: Some(shape.image.clone()),
        command: Some(vec!["gauntlet".to_string()]),
        args: Some(args),
        env,
        resources: resources(shape),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "plan".to_string(),
                mount_path: PLAN_DIR.to_string(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "artifacts".to_string(),
                mount_path: ARTIFACTS_DIR.to_string(),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    };
    let pod = PodSpec {
        restart_policy: Some("Never".to_string()),
        containers: vec![container],
        volumes: Some(vec![
            Volume {
                name: "plan".to_string(),
                config_map: Some(ConfigMapVolumeSource {
                    name: shape.config_map_name(),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            },
            shape.claim_volume(false),
        ]),
        affinity: Some(spread(shape)),
        ..PodSpec::default()
    };
    Job {
        metadata: shape.metadata(shape.name.clone()),
        spec: Some(JobSpec {
            completion_mode: Some("Indexed".to_string()),
            completions: Some(workers),
            parallelism: Some(workers),
            // A retried worker would start after the others and measure a different load:
            // no index is retried, and one failing does not stop the rest (a plain
            // backoffLimit of 0 would kill every running worker at the first failure).
            backoff_limit_per_index: Some(0),
            active_deadline_seconds: shape
                .deadline_secs
                .map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

fn resources(shape: &JobShape) -> Option<ResourceRequirements> {
    let quantities = |m: &BTreeMap<String, String>| {
        (!m.is_empty()).then(|| {
            m.iter()
                .map(|(k, v)| (k.clone(), Quantity(v.clone())))
                .collect()
        })
    };
    let requests = quantities(&shape.requests);
    let limits = quantities(&shape.limits);
    (requests.is_some() || limits.is_some()).then_some(ResourceRequirements {
        requests,
        limits,
        ..ResourceRequirements::default()
    })
}

/// Workers prefer distinct nodes: load from one node is what one host already gives.
fn spread(shape: &JobShape) -> Affinity {
    Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: PodAffinityTerm {
                        label_selector: Some(LabelSelector {
                            match_labels: Some(BTreeMap::from([(
                                "app.kubernetes.io/instance".to_string(),
                                shape.name.clone(),
                            )])),
                            ..LabelSelector::default()
                        }),
                        topology_key: "kubernetes.io/hostname".to_string(),
                        ..PodAffinityTerm::default()
                    },
                },
            ]),
            ..PodAntiAffinity::default()
        }),
        ..Affinity::default()
    }
}

/// The pod `kube run` copies the folders out through: the claim mounted read-only, a `sleep`
/// that ends by itself should `kube run` die before deleting it.
pub fn collector(shape: &JobShape, image: &str) -> Pod {
    let mut labels = shape.labels();
    labels.insert("app.kubernetes.io/component".into(), "collector".into());
    let mut metadata = shape.metadata(shape.collector_name());
    metadata.labels = Some(labels);
    Pod {
        metadata,
        spec: Some(PodSpec {
            restart_policy: Some("Never".to_string()),
            active_deadline_seconds: Some(3600),
            containers: vec![Container {
                name: "collect".to_string(),
                image: Some(image.to_string()),
                command: Some(vec!["sleep".to_string(), "3600".to_string()]),
                volume_mounts: Some(vec![VolumeMount {
                    name: "artifacts".to_string(),
                    mount_path: ARTIFACTS_DIR.to_string(),
                    read_only: Some(true),
                    ..VolumeMount::default()
                }]),
                ..Container::default()
            }],
            volumes: Some(vec![shape.claim_volume(true)]),
            ..PodSpec::default()
        }),
        ..Pod::default()
    }
}
