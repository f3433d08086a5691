//! Choosing the reader when `--custom-dataset-type` is not given, the way AIPerf guesses: a
//! folder is a random pool, `.csv` is a CSV trace (BurstGPT's when its header has BurstGPT's
//! columns), otherwise the first line's keys decide (`chat_id` + `parent_chat_id` or `turn`:
//! an Alibaba Bailian trace, whose `type` is the request kind, not the format).

use std::io::BufRead;
use std::path::Path;

use super::input_plan::InputFormat;

/// The format of `path`, or a sentence saying why it could not be told.
pub fn detect_format(path: &Path) -> Result<InputFormat, String> {
    if path.is_dir() {
        return Ok(InputFormat::RandomPool);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        // An unreadable file is reported by the caller's existence check, as before.
        let header = first_line(path).unwrap_or_default().to_lowercase();
        let columns: Vec<&str> = header.split(',').map(str::trim).collect();
        let burst = ["timestamp", "request tokens", "response tokens"]
            .iter()
            .all(|c| columns.contains(c));
        return Ok(if burst {
            InputFormat::BurstGptTrace
        } else {
            InputFormat::CsvTrace
        });
    }
    let first = first_line(path)?;
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(first.trim())
        .map_err(|e| {
            format!(
                "{}:1: not a JSON object ({e}); pass --custom-dataset-type",
                path.display()
            )
        })?;
    if object.contains_key("chat_id")
        && (object.contains_key("parent_chat_id") || object.contains_key("turn"))
    {
        return Ok(InputFormat::BailianTrace);
    }
    if let Some(kind) = object.get("type").and_then(|t| t.as_str()) {
        return match kind {
            "single_turn" => Ok(InputFormat::SingleTurn),
            "multi_turn" => Ok(InputFormat::MultiTurn),
            "random_pool" => Ok(InputFormat::RandomPool),
            "mooncake_trace" => Ok(InputFormat::MooncakeTrace),
            other => Err(format!("{}: unknown \"type\": {other:?}", path.display())),
        };
    }
    if object.contains_key("turns") {
        Ok(InputFormat::MultiTurn)
    } else if ["input_length", "hash_ids", "text_input"]
        .iter()
        .any(|k| object.contains_key(*k))
    {
        Ok(InputFormat::MooncakeTrace)
    } else if [
        "text", "texts", "image", "images", "audio", "audios", "video", "videos",
    ]
    .iter()
    .any(|k| object.contains_key(*k))
    {
        Ok(InputFormat::SingleTurn)
    } else {
        Err(format!(
            "{}: cannot tell the format from the first line; pass --custom-dataset-type",
            path.display()
        ))
    }
}

/// The file's first non-blank line (empty for an empty file).
fn first_line(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if !line.trim().is_empty() {
            return Ok(line.trim_start_matches('\u{feff}').to_string());
        }
    }
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::files::test_support::file;

    #[test]
    fn formats_are_told_apart() {
        let cases = [
            ("{\"text\": \"a\"}", Ok(InputFormat::SingleTurn)),
            ("\n{\"turns\": []}", Ok(InputFormat::MultiTurn)),
            (
                "{\"timestamp\": 0, \"input_length\": 3}",
                Ok(InputFormat::MooncakeTrace),
            ),
            (
                "{\"type\": \"random_pool\", \"text\": \"a\"}",
                Ok(InputFormat::RandomPool),
            ),
            ("{\"image\": \"cat.png\"}", Ok(InputFormat::SingleTurn)),
        ];
        for (text, want) in cases {
            assert_eq!(detect_format(file(text).path()), want, "{text}");
        }
        assert!(detect_format(file("{\"foo\": 1}").path()).is_err());
        assert!(detect_format(file("nope").path()).is_err());
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(detect_format(dir.path()), Ok(InputFormat::RandomPool));
        let csv = dir.path().join("t.CSV");
        std::fs::write(&csv, "input_length\n3\n").unwrap();
        assert_eq!(detect_format(&csv), Ok(InputFormat::CsvTrace));
    }

    #[test]
    fn public_traces_are_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("BurstGPT_1.csv");
        std::fs::write(
            &csv,
            "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,4,1,5,API log\n",
        )
        .unwrap();
        assert_eq!(detect_format(&csv), Ok(InputFormat::BurstGptTrace));
        let bailian = "{\"chat_id\": 159, \"parent_chat_id\": -1, \"timestamp\": 61.114, \"input_length\": 521, \"output_length\": 132, \"type\": \"text\", \"turn\": 1}";
        assert_eq!(
            detect_format(file(bailian).path()),
            Ok(InputFormat::BailianTrace)
        );
    }
}
