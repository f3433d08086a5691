//! The shape flags over a config file's phases: ramps go to the measured phases that have the
//! value ramped, the `--warmup-*` flags reshape the file's warmup or make their own, and a
//! warmup count of 0 still removes the file's warmups.

use std::time::Duration;

use super::tests::file;
use super::*;
use crate::config::{PhaseKind, StopRule};

const TWO_PHASES: &str = "schemaVersion: \"2.0\"
benchmark:
  model: m
  endpoint:
    streaming: true
  phases:
    - {name: warmup, type: concurrency, concurrency: 2, requests: 5, exclude_from_results: true}
    - {name: profiling, type: poisson, rate: 50, concurrency: 8, requests: 40, concurrency_ramp: 3}
";

fn phases(flags: Settings) -> Result<Vec<crate::config::Phase>, SettingError> {
    let flags = Settings {
        model: flag("--model", Some(vec!["m".to_string()])),
        ..flags
    };
    flags
        .over(file(TWO_PHASES))
        .resolve(String::new())
        .map(|r| r.plan.phases)
}

#[test]
fn ramp_flags_reach_the_measured_phases_and_keep_the_files_others() {
    let got = phases(Settings {
        shape: ShapeSettings {
            rate_ramp: flag("--request-rate-ramp-duration", Some(2.0)),
            prefill_concurrency: flag("--prefill-concurrency", Some(4)),
            ..ShapeSettings::default()
        },
        ..Settings::default()
    })
    .unwrap();
    let (warmup, measured) = (&got[0], &got[1]);
    assert_eq!(measured.shape.rate_ramp, Some(Duration::from_secs(2)));
    assert_eq!(
        measured.shape.concurrency_ramp,
        Some(Duration::from_secs(3))
    );
    assert_eq!(measured.shape.prefill_concurrency, Some(4));
    assert_eq!(warmup.shape, crate::config::LoadShape::default());
}

#[test]
fn warmup_flags_reshape_the_files_warmup_or_replace_it() {
    let reshaped = phases(Settings {
        shape: ShapeSettings {
            warmup: WarmupSettings {
                concurrency: flag("--warmup-concurrency", Some(3)),
                ..WarmupSettings::default()
            },
            ..ShapeSettings::default()
        },
        ..Settings::default()
    })
    .unwrap();
    assert_eq!(reshaped[0].arrival.concurrency, Some(3));
    assert_eq!(reshaped[0].stop, StopRule::Count { requests: 5 });

    let timed = phases(Settings {
        shape: ShapeSettings {
            warmup: WarmupSettings {
                duration: flag("--warmup-duration", Some(1.5)),
                grace_period: flag("--warmup-grace-period", Some(0.0)),
                ..WarmupSettings::default()
            },
            ..ShapeSettings::default()
        },
        ..Settings::default()
    })
    .unwrap();
    assert_eq!(timed.len(), 2);
    assert_eq!(
        timed[0].stop,
        StopRule::Duration {
            duration: Duration::from_millis(1500),
            grace: Duration::ZERO
        }
    );
    // The warmup made from the flags takes the measured phase's arrival and ramp.
    assert_eq!(timed[0].arrival.request_rate, Some(50.0));
    assert_eq!(
        timed[0].shape.concurrency_ramp,
        Some(Duration::from_secs(3))
    );

    let none = phases(Settings {
        warmup_request_count: flag("--warmup-request-count", Some(0)),
        ..Settings::default()
    })
    .unwrap();
    assert!(none.iter().all(|p| p.kind == PhaseKind::Profiling));
}
