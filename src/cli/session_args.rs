//! Multi-turn flags (AIPerf's `--conversation-*`), resolved over the config file's
//! `turns`/`turn_delay`/`session_graph` into the plan's sessions.

use clap::Args;

use super::flag_error::{flag_err, FlagError};
use crate::config::{
    FileSettings, LengthPlan, PromptPlan, SessionGraphSpec, SessionPlan, SpecKeys, SyntheticPlan,
};
use crate::dist::{DistSpec, Shape};

const TURN_MEAN: &str = "--conversation-turn-mean";
const DELAY_MEAN: &str = "--conversation-turn-delay-mean";

/// Flags of multi-turn sessions. Each one given beats the config file (see docs/sessions.md).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Multi-turn sessions")]
pub struct SessionArgs {
    /// Sessions to generate (with one turn per session, the same as --num-dataset-entries)
    /// [default: 100].
    #[arg(long, visible_alias = "num-sessions")]
    pub conversation_num: Option<u32>,

    /// Mean turns per session; above 1, each turn resends the conversation so far
    /// [default: 1].
    #[arg(long, visible_alias = "session-turns-mean")]
    pub conversation_turn_mean: Option<f64>,

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
    /// The synthetic plan from the resolved `lengths` and `entries`, with sessions from these
    /// flags over the file's: turn flags replace the file's `turns` (a missing mean comes from
    /// the file, then 1) and its `session_graph`; delay flags replace its `turn_delay`.
    pub fn synthetic(
        &self,
        lengths: LengthPlan,
        entries: u32,
        file: &FileSettings,
        prompt: PromptPlan,
    ) -> Result<SyntheticPlan, FlagError> {
        let entries = match self.conversation_num {
            Some(0) => return Err(flag_err("--conversation-num", "must be at least 1")),
            Some(n) => n,
            None => entries,
        };
        let delay_ratio = match self.conversation_turn_delay_ratio {
            Some(r) if !(r.is_finite() && r >= 0.0) => {
                return Err(flag_err(
                    "--conversation-turn-delay-ratio",
                    format!("must be a number >= 0, got {r}"),
                ))
            }
            r => r.unwrap_or(1.0),
        };
        let data = &file.dataset;
        let turns = normal(
            TURN_MEAN,
            self.conversation_turn_mean,
            self.conversation_turn_stddev,
            data.turns.as_ref(),
            1.0,
        )?;
        let delay = normal(
            DELAY_MEAN,
            self.conversation_turn_delay_mean,
            self.conversation_turn_delay_stddev,
            data.turn_delay.as_ref(),
            0.0,
        )?;
        let graph = match (turns, delay) {
            (None, None) => match &data.turns {
                Some(t) => Some(SessionGraphSpec::chat(t.clone(), data.turn_delay.clone())),
                None => data.session_graph.clone(),
            },
            (turns, delay) => {
                let turns = turns.or(data.turns.clone());
                let turns = match turns {
                    Some(t) => t,
                    None => fixed(TURN_MEAN, 1.0)?,
                };
                let spec = SessionGraphSpec::chat(turns, delay.or(data.turn_delay.clone()));
                let keys = SpecKeys {
                    count: TURN_MEAN,
                    width: TURN_MEAN,
                    fan_in: TURN_MEAN,
                    wait: DELAY_MEAN,
                };
                spec.check(keys).map_err(|e| {
                    let flag = if e.key == DELAY_MEAN {
                        DELAY_MEAN
                    } else {
                        TURN_MEAN
                    };
                    flag_err(flag, e.message)
                })?;
                Some(spec)
            }
        };
        let sessions = graph
            .filter(|g| !g.is_single_turn())
            .map(|graph| SessionPlan { graph, delay_ratio });
        Ok(SyntheticPlan {
            lengths,
            entries,
            sessions,
            prompt,
        })
    }
}

/// A normal distribution from a mean/stddev flag pair, if either was given: a missing mean
/// comes from the file's fixed or normal `file` spec, then `default`.
fn normal(
    flag: &'static str,
    mean: Option<f64>,
    stddev: Option<f64>,
    file: Option<&DistSpec>,
    default: f64,
) -> Result<Option<DistSpec>, FlagError> {
    if mean.is_none() && stddev.is_none() {
        return Ok(None);
    }
    let file_mean = file.and_then(|d| match d.shape() {
        Shape::Fixed { value } => Some(*value),
        Shape::Normal { mean, .. } => Some(*mean),
        _ => None,
    });
    let mean = mean.or(file_mean).unwrap_or(default);
    let stddev = stddev.unwrap_or(0.0);
    if !(mean.is_finite() && mean >= 0.0 && stddev.is_finite() && stddev >= 0.0) {
        return Err(flag_err(
            flag,
            format!("mean and stddev must be numbers >= 0, got {mean} and {stddev}"),
        ));
    }
    if stddev == 0.0 {
        return fixed(flag, mean).map(Some);
    }
    DistSpec::new(Shape::Normal { mean, stddev }, None, None, flag)
        .map(Some)
        .map_err(|e| flag_err(flag, e.to_string()))
}

fn fixed(flag: &'static str, value: f64) -> Result<DistSpec, FlagError> {
    DistSpec::fixed(value, flag).map_err(|e| flag_err(flag, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        Wrapper::try_parse_from(argv).unwrap().args.synthetic(
            lengths(),
            7,
            file,
            Default::default(),
        )
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
            resolve(&["--num-sessions", "0"], &none).unwrap_err().flag,
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
        let flag = |args: &[&str]| resolve(args, &none).unwrap_err().flag;
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
