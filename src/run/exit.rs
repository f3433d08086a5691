//! The exit codes of `gauntlet profile`: one table, printed by `gauntlet profile --help` and
//! copied into docs/reliability.md and docs/profile.md (a test checks both copies).

/// Finished; the failed share of requests is at most `--tolerated-error-rate`.
pub const CLEAN: u8 = 0;
/// Finished; more requests failed than `--tolerated-error-rate` allows.
pub const ERRORS_ABOVE_TOLERANCE: u8 = 1;
/// Bad flags, config or set-up: nothing was run (the error is one line on stderr).
pub const BAD_INPUT: u8 = 2;
/// Finished and the results printed, but an artifact could not be written (each is named).
pub const ARTIFACTS_NOT_WRITTEN: u8 = 3;
/// Stopped by `--failed-request-threshold`: artifacts written, marked partial.
pub const FAILURE_THRESHOLD: u8 = 4;
/// Finished, but no request completed or failed: every request sent was still in flight when
/// the grace period ended and was cancelled, so nothing was measured.
pub const NOTHING_FINISHED: u8 = 5;

/// Every exit code with what it means, in order: the one source of the help text and the docs.
pub const EXIT_CODES: &[(&str, &str)] = &[
    (
        "0",
        "finished; the failed share is at most --tolerated-error-rate",
    ),
    ("1", "finished; more requests failed than tolerated"),
    ("2", "bad flags, config or set-up (nothing was run)"),
    (
        "3",
        "results printed, but an artifact could not be written (each named on stderr)",
    ),
    (
        "4",
        "stopped by --failed-request-threshold; artifacts written, marked partial",
    ),
    (
        "5",
        "no request finished: every request sent was cancelled when the grace period ended",
    ),
    (
        "129 / 130 / 143",
        "stopped by SIGHUP / SIGINT / SIGTERM; artifacts written, marked partial",
    ),
];

/// The exit codes as `gauntlet profile --help` prints them (after its examples).
pub fn help_text() -> String {
    let width = EXIT_CODES.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    let mut out = String::from("Exit codes:\n");
    for (code, meaning) in EXIT_CODES {
        out.push_str(&format!("  {code:<width$}  {meaning}\n"));
    }
    out
}

/// The exit codes as the Markdown table in docs/reliability.md.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | meaning |\n| --- | --- |\n");
    for (code, meaning) in EXIT_CODES {
        let meaning = meaning
            .replace("--tolerated-error-rate", "`--tolerated-error-rate`")
            .replace("--failed-request-threshold", "`--failed-request-threshold`");
        out.push_str(&format!("| {code} | {meaning} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_hold_the_same_table() {
        for (name, docs) in [
            ("reliability.md", include_str!("../../docs/reliability.md")),
            ("profile.md", include_str!("../../docs/profile.md")),
        ] {
            assert!(
                docs.contains(&markdown_table()),
                "docs/{name}'s exit-code table differs from run::exit::EXIT_CODES; paste:\n{}",
                markdown_table()
            );
        }
    }

    #[test]
    fn help_lists_every_code_once() {
        let help = help_text();
        for code in [
            CLEAN,
            ERRORS_ABOVE_TOLERANCE,
            BAD_INPUT,
            ARTIFACTS_NOT_WRITTEN,
            FAILURE_THRESHOLD,
            NOTHING_FINISHED,
        ] {
            assert!(help.contains(&format!("\n  {code} ")), "{help}");
        }
        assert!(help.contains("129 / 130 / 143"), "{help}");
    }
}
