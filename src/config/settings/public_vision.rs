//! `--public-dataset mmstar|mmvu|vision_arena|llava_onevision`: the vision sets, resolved
//! beside SPEED-Bench's variants into `Plan::vision_dataset` (docs/datasets.md).

use super::{PublicSettings, SettingError};
use crate::config::{EndpointType, VisionDataset, VisionDatasetPlan, DEFAULT_MAX_TOKENS};

impl PublicSettings {
    /// The vision plan, `None` unless `--public-dataset` names a vision set. The endpoint must
    /// have a place for images and video (chat content parts or template variables).
    pub fn resolve_vision(
        &self,
        endpoint: EndpointType,
    ) -> Result<Option<VisionDatasetPlan>, SettingError> {
        let Some(dataset) = self
            .public_dataset
            .as_deref()
            .and_then(VisionDataset::parse)
        else {
            return Ok(None);
        };
        let name = dataset.name();
        if !endpoint.accepts_media() {
            return Err(SettingError::flag(
                "--public-dataset",
                format!(
                    "{name} sends each question with its {}; use --endpoint-type chat, \
                     chat_embeddings or template (got {})",
                    if dataset == VisionDataset::Mmvu {
                        "video"
                    } else {
                        "image"
                    },
                    endpoint.name()
                ),
            ));
        }
        if self.public_dataset_multi_turn {
            return Err(SettingError::flag(
                "--public-dataset-multi-turn",
                format!(
                    "applies to SPEED-Bench's multi-turn rows; {name} sends one question per row"
                ),
            ));
        }
        let max_tokens = match self.public_dataset_max_tokens {
            Some(0) => None,
            Some(n) => Some(n),
            None => Some(DEFAULT_MAX_TOKENS),
        };
        Ok(Some(VisionDatasetPlan {
            dataset,
            dataset_path: self.dataset_path.clone(),
            max_tokens,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(name: &str) -> PublicSettings {
        PublicSettings {
            public_dataset: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn vision_sets_resolve_and_others_are_left_to_speed_bench() {
        let plan = settings("mmstar")
            .resolve_vision(EndpointType::Chat)
            .unwrap()
            .unwrap();
        assert_eq!(plan.dataset, VisionDataset::Mmstar);
        assert_eq!(plan.max_tokens, Some(DEFAULT_MAX_TOKENS));
        assert_eq!(settings("mmstar").resolve().unwrap(), None);
        assert_eq!(
            settings("speed_bench_coding")
                .resolve_vision(EndpointType::Chat)
                .unwrap(),
            None
        );
    }

    #[test]
    fn an_endpoint_without_images_is_refused_in_one_line() {
        let err = settings("vision_arena")
            .resolve_vision(EndpointType::Completions)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--public-dataset"), "{err}");
        assert!(
            err.contains("vision_arena sends each question with its image"),
            "{err}"
        );
        assert!(err.contains("got completions"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
