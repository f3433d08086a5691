//! Comma lists on the numeric load flags AIPerf sweeps (`--concurrency 8,16`, `--isl 128,512`,
//! `--request-count 100,500`, …): each list is a sweep dimension, combined by `--sweep-type`
//! (grid: every combination, the first flag slowest; zip: the i-th values together).

use super::flag_error::{flag_err, FlagError};
use super::profile::ProfileArgs;
use super::sweep_type::SweepTypeArg;

/// A flag that takes a comma list: its name, its label in variation names, and how to read
/// and narrow its values in the arguments.
struct ListFlag {
    flag: &'static str,
    label: &'static str,
    values: fn(&ProfileArgs) -> Vec<String>,
    keep: fn(&mut ProfileArgs, usize),
}

macro_rules! list_flag {
    ($flag:literal, $label:literal, $($field:ident).+) => {
        ListFlag {
            flag: $flag,
            label: $label,
            values: |a| a.$($field).+.iter().map(|v| v.to_string()).collect(),
            keep: |a, i| {
                let v = a.$($field).+[i];
                a.$($field).+ = vec![v];
            },
        }
    };
}

/// Every flag a comma list sweeps, in the order their lists combine.
const LIST_FLAGS: [ListFlag; 11] = [
    list_flag!("--concurrency", "concurrency", concurrency),
    list_flag!("--request-rate", "request_rate", request_rate),
    list_flag!("--num-users", "num_users", connections.num_users),
    list_flag!("--request-count", "request_count", request_count),
    list_flag!(
        "--benchmark-duration",
        "benchmark_duration",
        benchmark_duration
    ),
    list_flag!("--isl", "isl", synthetic_input_tokens_mean),
    list_flag!("--isl-stddev", "isl_stddev", synthetic_input_tokens_stddev),
    list_flag!("--osl", "osl", output_tokens_mean),
    list_flag!("--osl-stddev", "osl_stddev", output_tokens_stddev),
    list_flag!(
        "--conversation-num",
        "conversation_num",
        sessions.conversation_num
    ),
    list_flag!(
        "--conversation-turn-mean",
        "conversation_turn_mean",
        sessions.conversation_turn_mean
    ),
];

/// The first flag given a list of more than one value, if any.
pub fn first_list(args: &ProfileArgs) -> Option<&'static str> {
    LIST_FLAGS
        .iter()
        .find(|f| (f.values)(args).len() > 1)
        .map(|f| f.flag)
}

/// The arguments with every list cut to its first value (for asking the server its model
/// before the sweep is built).
pub fn first_of_each(args: &ProfileArgs) -> ProfileArgs {
    let mut one = args.clone();
    for f in &LIST_FLAGS {
        if !(f.values)(&one).is_empty() {
            (f.keep)(&mut one, 0);
        }
    }
    one
}

/// The variations of the comma lists given: `(label, arguments with one value per flag)`,
/// in run order. The label names only the flags that vary (`concurrency=8, isl=512`).
pub fn variations(args: &ProfileArgs) -> Result<Vec<(String, ProfileArgs)>, FlagError> {
    let lists: Vec<(&ListFlag, Vec<String>)> = LIST_FLAGS
        .iter()
        .map(|f| (f, (f.values)(args)))
        .filter(|(_, values)| values.len() > 1)
        .collect();
    if lists.is_empty() {
        return Ok(vec![(String::new(), args.clone())]);
    }
    let kind = args.sweep_type.unwrap_or_default();
    let combinations: Vec<Vec<usize>> = match kind {
        SweepTypeArg::Zip => {
            let n = lists[0].1.len();
            if let Some((f, values)) = lists.iter().find(|(_, v)| v.len() != n) {
                return Err(flag_err(
                    "--sweep-type",
                    format!(
                        "zip pairs the lists value by value, so they need the same length: {} has {n} values, {} has {}",
                        lists[0].0.flag,
                        f.flag,
                        values.len()
                    ),
                ));
            }
            (0..n).map(|i| vec![i; lists.len()]).collect()
        }
        SweepTypeArg::Grid => {
            let mut out: Vec<Vec<usize>> = vec![Vec::new()];
            for (_, values) in &lists {
                out = out
                    .into_iter()
                    .flat_map(|prefix| {
                        (0..values.len()).map(move |i| {
                            let mut next = prefix.clone();
                            next.push(i);
                            next
                        })
                    })
                    .collect();
            }
            out
        }
    };
    let too_many = crate::config::MAX_VARIATIONS;
    if combinations.len() > too_many {
        return Err(flag_err(
            lists[0].0.flag,
            format!(
                "the comma lists make {} variations, more than {too_many}",
                combinations.len()
            ),
        ));
    }
    Ok(combinations
        .into_iter()
        .map(|picks| {
            let mut one = args.clone();
            let mut label = Vec::new();
            for ((f, values), &i) in lists.iter().zip(&picks) {
                (f.keep)(&mut one, i);
                label.push(format!("{}={}", f.label, values[i]));
            }
            (label.join(", "), one)
        })
        .collect())
}
