//! Config-file errors: each names the file, the line and the key path, so a user can jump
//! straight to the problem. A file's errors are all collected, not just the first.

use std::fmt;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line, or 0 when the problem has no line (a missing key, a value set by a sweep).
    pub line: usize,
    /// Dotted key path, e.g. `benchmark.dataset.prompts.isl` (empty for syntax errors).
    pub path: String,
    /// The message after `file:line: `; it starts with the key path when there is one.
    pub text: String,
}

impl ConfigError {
    /// An error about the value at `path`.
    pub fn at(file: &str, line: usize, path: &str, message: impl fmt::Display) -> Self {
        let text = if path.is_empty() {
            message.to_string()
        } else {
            format!("{path}: {message}")
        };
        Self {
            file: file.to_string(),
            line,
            path: path.to_string(),
            text,
        }
    }

    fn render(&self) -> String {
        if self.line > 0 {
            format!("{}:{}: {}", self.file, self.line, self.text)
        } else {
            format!("{}: {}", self.file, self.text)
        }
    }
}

/// Every problem found in one config file, in line order.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// Sorts by line (keeping the order found within a line) so the output reads top-down.
    pub(crate) fn sorted(mut errors: Vec<ConfigError>) -> Self {
        errors.sort_by_key(|e| e.line);
        Self(errors)
    }
}

impl fmt::Display for ConfigErrors {
    /// One error per line; several are preceded by a count so a one-line view still says how
    /// many there are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            all => {
                let file = all.first().map_or("", |e| e.file.as_str());
                write!(f, "{} problems in {file}:", all.len())?;
                for e in all {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_render_file_line_and_path() {
        let e = ConfigError::at("w.yaml", 14, "benchmark.model", "expected a string");
        assert_eq!(
            e.to_string(),
            "w.yaml:14: benchmark.model: expected a string"
        );
        let e = ConfigError::at("w.yaml", 0, "", "empty file");
        assert_eq!(e.to_string(), "w.yaml: empty file");
        let all = ConfigErrors::sorted(vec![
            ConfigError::at("w.yaml", 9, "b", "x"),
            ConfigError::at("w.yaml", 2, "a", "y"),
        ]);
        assert_eq!(
            all.to_string(),
            "2 problems in w.yaml:\n  w.yaml:2: a: y\n  w.yaml:9: b: x"
        );
    }
}
