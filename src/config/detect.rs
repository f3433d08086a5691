//! Choosing the reader when `--custom-dataset-type` is not given, the way AIPerf guesses: a
//! folder is a random pool, `.csv` is a CSV trace, otherwise the first line's keys decide.

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
        return Ok(InputFormat::CsvTrace);
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut first = String::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if !line.trim().is_empty() {
            first = line;
            break;
        }
    }
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(first.trim())
        .map_err(|e| {
            format!(
                "{}:1: not a JSON object ({e}); pass --custom-dataset-type",
                path.display()
            )
        })?;
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
    } else if object.contains_key("text") || object.contains_key("texts") {
        Ok(InputFormat::SingleTurn)
    } else {
        Err(format!(
            "{}: cannot tell the format from the first line; pass --custom-dataset-type",
            path.display()
        ))
    }
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
}
