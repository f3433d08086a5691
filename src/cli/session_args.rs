//! Multi-turn flags (AIPerf's `--conversation-*`), resolved over the config file's
//! `turns`/`turn_delay`/`session_graph` into the plan's sessions.

use clap::Args;

use crate::config::settings::{flag, SessionSettings};

/// Flags of multi-turn sessions. Each one given beats the config file (see docs/sessions.md).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Multi-turn sessions")]
pub struct SessionArgs {
    /// Sessions to generate (with one turn per session, the same as --num-dataset-entries)
    /// [default: 100]. A comma list is a sweep.
    #[arg(
        long,
        visible_alias = "num-sessions",
        value_delimiter = ',',
        num_args = 1
    )]
    pub conversation_num: Vec<u32>,

    /// Mean turns per session; above 1, each turn resends the conversation so far
    /// [default: 1]. A comma list is a sweep.
    #[arg(
        long,
        visible_alias = "session-turns-mean",
        value_delimiter = ',',
        num_args = 1
    )]
    pub conversation_turn_mean: Vec<f64>,

    /// Standard deviation of the turns per session [default: 0].
    #[arg(long, visible_alias = "session-turns-stddev")]
    pub conversation_turn_stddev: Option<f64>,

    /// Mean think time in ms between a reply and the next turn [default: 0].
    #[arg(long, visible_alias = "session-turn-delay-mean")]
    pub conversation_turn_delay_mean: Option<f64>,

    /// Standard deviation of the think time in ms [default: 0].
    #[arg(long, visible_alias = "session-turn-delay-stddev")]
    pub conversation_turn_delay_stddev: Option<f64>,

    /// Multiplies every think time, including a session graph's waits (0 removes them)
    /// [default: 1].
    #[arg(long, visible_alias = "session-delay-ratio")]
    pub conversation_turn_delay_ratio: Option<f64>,
}

impl SessionArgs {
    /// The flags as settings; config resolves them over the file's.
    pub fn settings(&self) -> SessionSettings {
        SessionSettings {
            conversation_num: flag("--conversation-num", self.conversation_num.first().copied()),
            turn_mean: flag(
                "--conversation-turn-mean",
                self.conversation_turn_mean.first().copied(),
            ),
            turn_stddev: flag("--conversation-turn-stddev", self.conversation_turn_stddev),
            delay_mean: flag(
                "--conversation-turn-delay-mean",
                self.conversation_turn_delay_mean,
            ),
            delay_stddev: flag(
                "--conversation-turn-delay-stddev",
                self.conversation_turn_delay_stddev,
            ),
            delay_ratio: flag(
                "--conversation-turn-delay-ratio",
                self.conversation_turn_delay_ratio,
            ),
            ..SessionSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::flag_error::FlagError;
    use super::*;
    use crate::config::settings::Settings;
    use crate::config::{FileSettings, LengthPlan, SessionGraphSpec, SyntheticPlan};
    use crate::dist::DistSpec;

    const TURN_MEAN: &str = "--conversation-turn-mean";
    const DELAY_MEAN: &str = "--conversation-turn-delay-mean";
    use crate::config::ConfigFile;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SessionArgs,
    }

    fn lengths() -> LengthPlan {
        LengthPlan::Independent {
            isl: DistSpec::fixed(10.0, "x").unwrap(),
            osl: None,
        }
    }

    fn file(dataset: &str) -> FileSettings {
        let text = format!("schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  dataset:\n{dataset}");
        ConfigFile::parse(&text, "w.yaml")
            .unwrap()
            .resolve()
            .unwrap()
    }

    fn resolve(flags: &[&str], file: &FileSettings) -> Result<SyntheticPlan, FlagError> {
        let mut argv = vec!["x"];
        argv.extend_from_slice(flags);
        Wrapper::try_parse_from(argv)
            .unwrap()
            .args
            .settings()
            .over(Settings::from_file(file).sessions)
            .synthetic(lengths(), 7, Default::default())
    }

    fn turns(plan: &SyntheticPlan) -> String {
        match &plan.sessions.as_ref().unwrap().graph {
            SessionGraphSpec::Linear { turns, .. } => turns.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_turns_is_single_turn_and_conversation_num_sets_entries() {
        let none = FileSettings::default();
        let p = resolve(&[], &none).unwrap();
        assert_eq!((p.entries, p.sessions.is_none()), (7, true));
        let p = resolve(
            &["--conversation-num", "3", "--conversation-turn-mean", "1"],
            &none,
        );
        let p = p.unwrap();
        assert_eq!((p.entries, p.sessions.is_none()), (3, true));
        assert_eq!(
            resolve(&["--num-sessions", "0"], &none).unwrap_err().name(),
            "--conversation-num"
        );
    }

    #[test]
    fn aiperf_flags_make_a_chat_and_beat_the_file() {
        let none = FileSettings::default();
        let p = resolve(
            &[
                "--conversation-turn-mean",
                "4",
                "--conversation-turn-stddev",
                "1",
                "--conversation-turn-delay-mean",
                "500",
                "--conversation-turn-delay-ratio",
                "0.5",
            ],
            &none,
        )
        .unwrap();
        assert_eq!(turns(&p), "normal(mean=4, stddev=1)");
        let sessions = p.sessions.unwrap();
        assert_eq!(sessions.delay_ratio, 0.5);
        let f = file("    turns: {mean: 3, stddev: 2}\n    turn_delay: 100\n");
        assert_eq!(
            turns(&resolve(&[], &f).unwrap()),
            "normal(mean=3, stddev=2)"
        );
        // Only the stddev flag: the mean comes from the file.
        let p = resolve(&["--session-turns-stddev", "0.5"], &f).unwrap();
        assert_eq!(turns(&p), "normal(mean=3, stddev=0.5)");
        // Turn flags replace a file's session graph.
        let g = file("    session_graph: {type: branching}\n");
        assert!(matches!(
            resolve(&[], &g).unwrap().sessions.unwrap().graph,
            SessionGraphSpec::Branching { .. }
        ));
        let p = resolve(&["--conversation-turn-mean", "2"], &g).unwrap();
        assert_eq!(turns(&p), "fixed(2)");
    }

    #[test]
    fn bad_flags_name_themselves() {
        let none = FileSettings::default();
        let flag = |args: &[&str]| resolve(args, &none).unwrap_err().name().to_string();
        assert_eq!(flag(&["--conversation-turn-mean", "0"]), TURN_MEAN);
        assert_eq!(flag(&["--conversation-turn-mean=-2"]), TURN_MEAN);
        assert_eq!(flag(&["--conversation-turn-mean", "70000"]), TURN_MEAN);
        assert_eq!(
            flag(&["--conversation-turn-delay-ratio=-1"]),
            "--conversation-turn-delay-ratio"
        );
        assert_eq!(
            flag(&[
                "--conversation-turn-mean",
                "3",
                "--conversation-turn-delay-stddev=-1"
            ]),
            DELAY_MEAN
        );
    }
}
