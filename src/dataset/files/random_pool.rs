//! AIPerf's `random_pool`: a file is one pool of texts, a folder is one pool per file. Each of
//! the `entries` requests draws one line from every pool (with replacement) and joins their
//! texts, pools in file-name order. Request `i` draws only from stream `("random-pool", i)`.

use std::path::{Path, PathBuf};

use rand::Rng;

use super::assemble::{Content, SessionSpec, TurnSpec};
use super::fields::{parse_object, Fields};
use super::media::MediaReader;
use super::single_turn::check_type;
use super::{numbered_lines, read_text, FilesError};
use crate::config::EndpointType;
use crate::media::MediaPart;
use crate::rng::RngRoot;

const EXAMPLE: &str = r#"{"text": "Who are you?"}"#;
const KEYS: [&str; 10] = [
    "text",
    "texts",
    "type",
    "image",
    "images",
    "image_uuids",
    "audio",
    "audios",
    "video",
    "videos",
];

/// One pool line: its text, its media and where it came from.
struct PoolLine {
    line: usize,
    text: String,
    media: Vec<MediaPart>,
}

/// Reads the pool(s) at `path` and draws `entries` requests for `endpoint`. A request
/// carries the media of every line it drew, pools in name order.
pub(crate) fn read(
    path: &Path,
    entries: u32,
    root: &RngRoot,
    endpoint: EndpointType,
) -> Result<Vec<SessionSpec>, FilesError> {
    let files = pool_files(path)?;
    let pools = files
        .iter()
        .map(|file| read_pool(file, endpoint))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((0..entries)
        .map(|i| {
            let mut rng = root.stream("random-pool", u64::from(i));
            let picks: Vec<&PoolLine> = pools
                .iter()
                .map(|pool| &pool[rng.random_range(0..pool.len())])
                .collect();
            let text = picks
                .iter()
                .map(|p| p.text.as_str())
                .filter(|t| !t.is_empty()) // a media-only line adds no text
                .collect::<Vec<_>>()
                .join("\n");
            SessionSpec::lone(TurnSpec {
                line: picks[0].line,
                content: Content::Text(text),
                max_tokens: None,
                timestamp_ms: None,
                delay_ms: 0,
                media: picks.iter().flat_map(|p| p.media.iter().cloned()).collect(),
            })
        })
        .collect())
}

/// The file itself, or the regular files of a folder sorted by name.
fn pool_files(path: &Path) -> Result<Vec<PathBuf>, FilesError> {
    let io = |source| FilesError::Io {
        path: path.to_path_buf(),
        source,
    };
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_type().map_err(io)?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "a folder of JSONL pool files",
        });
    }
    Ok(files)
}

fn read_pool(path: &Path, endpoint: EndpointType) -> Result<Vec<PoolLine>, FilesError> {
    let text = read_text(path)?;
    let mut media = MediaReader::new(path, endpoint);
    let mut pool = Vec::new();
    for (line, body) in numbered_lines(&text) {
        let object = parse_object(path, line, body, EXAMPLE)?;
        let fields = Fields::new(path, line, &object);
        fields.check_keys(&KEYS, "random_pool (no timing or sessions)")?;
        check_type(&fields, "random_pool")?;
        let text = fields.text()?;
        let media = media.read(&fields)?;
        let Some(text) = text.or_else(|| (!media.is_empty()).then(String::new)) else {
            return Err(fields.err(
                "text",
                "missing: give \"text\" or \"texts\" (or an image, audio or video)",
            ));
        };
        pool.push(PoolLine { line, text, media });
    }
    if pool.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "one JSON object per line, like {\"text\": \"Who are you?\"}",
        });
    }
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::files::test_support::file;

    const CHAT: EndpointType = EndpointType::Chat;

    fn texts(sessions: &[SessionSpec]) -> Vec<String> {
        sessions
            .iter()
            .map(|s| match &s.turns[0].content {
                Content::Text(t) => t.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn draws_entries_from_one_file_by_seed() {
        let f = file("{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"texts\": [\"c\"]}\n");
        let one = texts(&read(f.path(), 60, &RngRoot::new(1), CHAT).unwrap());
        assert_eq!(one.len(), 60);
        assert_eq!(
            one,
            texts(&read(f.path(), 60, &RngRoot::new(1), CHAT).unwrap())
        );
        assert_ne!(
            one,
            texts(&read(f.path(), 60, &RngRoot::new(2), CHAT).unwrap())
        );
        for t in ["a", "b", "c"] {
            assert!(one.iter().any(|x| x == t), "{t} never drawn in {one:?}");
        }
    }

    #[test]
    fn a_folder_is_one_pool_per_file_joined_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("b_passages.jsonl"),
            "{\"text\": \"P1\"}\n{\"text\": \"P2\"}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a_queries.jsonl"),
            "{\"texts\": [{\"name\": \"query\", \"contents\": [\"Q\"]}]}\n",
        )
        .unwrap();
        let drawn = texts(&read(dir.path(), 20, &RngRoot::new(0), CHAT).unwrap());
        assert!(
            drawn.iter().all(|t| t == "Q\nP1" || t == "Q\nP2"),
            "{drawn:?}"
        );
        assert!(drawn.iter().any(|t| t == "Q\nP1") && drawn.iter().any(|t| t == "Q\nP2"));
    }

    #[test]
    fn a_draw_carries_the_media_of_every_line_it_drew() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a_images.jsonl"),
            "{\"image\": \"https://x/1.png\"}\n{\"images\": [\"https://x/2.png\"]}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b_questions.jsonl"),
            "{\"text\": \"Q\", \"video\": \"https://x/v.mp4\"}\n",
        )
        .unwrap();
        let drawn = read(dir.path(), 12, &RngRoot::new(3), CHAT).unwrap();
        let urls: Vec<Vec<String>> = drawn
            .iter()
            .map(|s| {
                s.turns[0]
                    .media
                    .iter()
                    .map(|m| match m {
                        MediaPart::Image { url } | MediaPart::Video { url } => url.clone(),
                        other => panic!("{other:?}"),
                    })
                    .collect()
            })
            .collect();
        for u in &urls {
            assert!(
                u[0] == "https://x/1.png" || u[0] == "https://x/2.png",
                "{u:?}"
            );
            assert_eq!(u[1..], ["https://x/v.mp4".to_string()]);
        }
        assert!(urls.iter().any(|u| u[0] == "https://x/1.png"));
        assert!(urls.iter().any(|u| u[0] == "https://x/2.png"));
        // The image pool's lines have no text: the joined text is the question's alone.
        assert_eq!(texts(&drawn)[0], "Q");
    }

    #[test]
    fn timing_keys_and_empty_pools_are_errors() {
        let f = file("{\"text\": \"a\"}\n{\"text\": \"b\", \"delay\": 5}\n");
        let err = read(f.path(), 3, &RngRoot::new(0), CHAT)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("{}:2: delay: ", f.path().display())),
            "{err}"
        );
        let empty = tempfile::tempdir().unwrap();
        let err = read(empty.path(), 3, &RngRoot::new(0), CHAT)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no entries"), "{err}");
    }
}
