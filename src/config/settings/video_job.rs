//! `--video-poll-interval` / `--download-video-content` (YAML `endpoint.video_poll_interval` /
//! `endpoint.download_video_content`) → [`VideoJobPlan`], for `video_generation` only.

use std::time::Duration;

use super::resolve::positive_secs;
use super::{SettingError, Settings};
use crate::config::defaults::DEFAULT_VIDEO_POLL_INTERVAL_SECS;
use crate::config::{EndpointType, VideoJobPlan};

impl Settings {
    /// The video job plan of a `video_generation` run; either setting with another type is
    /// refused, since nothing would read it.
    pub(super) fn video_job(
        &self,
        endpoint: EndpointType,
    ) -> Result<Option<VideoJobPlan>, SettingError> {
        if endpoint != EndpointType::VideoGeneration {
            let given = (self.video_poll_interval_s.as_ref().map(|g| &g.from))
                .or(self.download_video_content.as_ref().map(|g| &g.from));
            if let Some(from) = given {
                return Err(SettingError::new(
                    from,
                    format!(
                        "only video_generation follows a job; the endpoint type is {}",
                        endpoint.name()
                    ),
                ));
            }
            return Ok(None);
        }
        let poll_interval = match &self.video_poll_interval_s {
            Some(g) => positive_secs(&g.from, g.value)?,
            None => Duration::from_secs_f64(DEFAULT_VIDEO_POLL_INTERVAL_SECS),
        };
        Ok(Some(VideoJobPlan {
            poll_interval,
            download_content: self
                .download_video_content
                .as_ref()
                .is_some_and(|g| g.value),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::flag;
    use super::*;

    use super::super::tests::file_plan as file;

    #[test]
    fn yaml_keys_set_the_plan_and_name_their_line_when_misplaced() {
        let plan = file(
            "schemaVersion: \"2.0\"
benchmark:
  model: sora-2
  endpoint:
    url: http://127.0.0.1:9000
    type: video_generation
    video_poll_interval: 2
    download_video_content: true
",
        )
        .unwrap();
        assert_eq!(
            plan.video_job,
            Some(VideoJobPlan {
                poll_interval: Duration::from_secs(2),
                download_content: true
            })
        );
        let err = file(
            "schemaVersion: \"2.0\"
benchmark:
  model: m
  endpoint:
    download_video_content: true
",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bench.yaml:5: benchmark.endpoint.download_video_content: only video_generation follows a job; the endpoint type is chat"
        );
    }

    #[test]
    fn video_generation_gets_a_plan_and_other_types_refuse_its_flags() {
        let settings = Settings {
            video_poll_interval_s: flag("--video-poll-interval", Some(0.25)),
            ..Settings::default()
        };
        let plan = settings
            .video_job(EndpointType::VideoGeneration)
            .unwrap()
            .unwrap();
        assert_eq!(plan.poll_interval, Duration::from_millis(250));
        assert!(!plan.download_content);
        let err = settings.video_job(EndpointType::Chat).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--video-poll-interval: only video_generation follows a job; the endpoint type is chat"
        );
        let default = Settings::default()
            .video_job(EndpointType::VideoGeneration)
            .unwrap()
            .unwrap();
        assert_eq!(default.poll_interval, Duration::from_millis(100));
        let bad = Settings {
            video_poll_interval_s: flag("--video-poll-interval", Some(0.0)),
            ..Settings::default()
        };
        assert!(bad
            .video_job(EndpointType::VideoGeneration)
            .unwrap_err()
            .to_string()
            .contains("positive"));
    }
}
