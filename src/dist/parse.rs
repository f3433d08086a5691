//! `serde_json::Value` → [`DistSpec`]: choosing the shape from the keys written.
//!
//! The rule, also in `docs/distributions.md`: an explicit `type:` wins. Otherwise each shape
//! has keys only it uses (`value` → fixed, `stddev` → normal, `median` → lognormal, `peaks` →
//! multimodal, `points` → empirical, `values`/`repeat_each`/`wrap` → fixed_stair,
//! `alpha`/`theta`/`scramble` → zipf, `shape` → inverse_gaussian); `mean` alone means normal.
//! Keys of two shapes together are an error, never a guess. A mapping of only `min` and `max`
//! is uniform; beside any other shape's keys, `min`/`max` are inclusive clamps.

use serde_json::{Map, Value};

use super::error::{describe, join, show};
use super::kinds::{Kind, ALL_KEYS, TYPES};
use super::{validate, DistError, DistSpec, Peak, Point, Shape};

/// Parses and validates the distribution at `key_path`.
///
/// Accepts a bare number (fixed) or a mapping (see the module docs for how its keys choose a
/// shape). Every error names `key_path`, and for mappings the keys that were seen.
pub fn parse(value: &Value, key_path: &str) -> Result<DistSpec, DistError> {
    let spec = build(value, key_path)?;
    validate::check(&spec, key_path)?;
    Ok(spec)
}

/// Builds without the value checks, so nested peaks are checked once, from the top.
fn build(value: &Value, path: &str) -> Result<DistSpec, DistError> {
    match value {
        Value::Number(n) => Ok(DistSpec {
            shape: Shape::Fixed {
                value: n.as_f64().unwrap_or(f64::NAN),
            },
            min: None,
            max: None,
        }),
        Value::String(s) => Err(string_error(s, path, "a number or a mapping")),
        Value::Object(map) => build_map(map, path),
        other => Err(DistError::WrongType {
            path: path.to_string(),
            expected: "a number or a mapping such as {mean: 512, stddev: 50}",
            got: describe(other),
        }),
    }
}

fn build_map(map: &Map<String, Value>, path: &str) -> Result<DistSpec, DistError> {
    let cx = Cx { map, path };
    if let Some(key) = map
        .keys()
        .find(|k| *k != "type" && !ALL_KEYS.split(", ").any(|known| known == *k))
    {
        return Err(cx.unknown(key, "a distribution".to_string(), ALL_KEYS.to_string()));
    }
    let kind = cx.kind()?;
    if let Some(key) = map
        .keys()
        .find(|k| *k != "type" && !kind.keys().contains(&k.as_str()))
    {
        let allowed = format!("type, {}", kind.keys().join(", "));
        return Err(cx.unknown(key, format!("a {} distribution", kind.name()), allowed));
    }
    let bounded = matches!(kind, Kind::Uniform | Kind::Zipf);
    let (min, max) = if bounded {
        (None, None)
    } else {
        (cx.number("min")?, cx.number("max")?)
    };
    let shape = match kind {
        Kind::Fixed => Shape::Fixed {
            value: cx.need_number(kind, "value")?,
        },
        Kind::Normal => Shape::Normal {
            mean: cx.need_number(kind, "mean")?,
            stddev: cx.number("stddev")?.unwrap_or(0.0),
        },
        Kind::LogNormal => Shape::LogNormal {
            mean: cx.need_number(kind, "mean")?,
            median: cx.need_number(kind, "median")?,
        },
        Kind::Multimodal => Shape::Multimodal {
            peaks: cx.peaks(kind)?,
        },
        Kind::Empirical => Shape::Empirical {
            points: cx.points(kind)?,
        },
        Kind::Uniform => Shape::Uniform {
            min: cx.need_number(kind, "min")?,
            max: cx.need_number(kind, "max")?,
        },
        Kind::FixedStair => Shape::FixedStair {
            values: cx.stair_values(kind)?,
            repeat_each: cx.whole("repeat_each")?.unwrap_or(1),
            wrap: cx.boolean("wrap")?.unwrap_or(true),
        },
        Kind::Zipf => cx.zipf(kind)?,
        Kind::InverseGaussian => Shape::InverseGaussian {
            mean: cx.need_number(kind, "mean")?,
            shape: cx.need_number(kind, "shape")?,
        },
    };
    Ok(DistSpec { shape, min, max })
}

/// The mapping being parsed and where it sits, for error messages.
struct Cx<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl Cx<'_> {
    fn seen(&self) -> String {
        self.map.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    fn unknown(&self, key: &str, shape: String, allowed: String) -> DistError {
        DistError::UnknownKey {
            path: self.path.to_string(),
            key: key.to_string(),
            shape,
            seen: self.seen(),
            allowed,
        }
    }

    fn kind(&self) -> Result<Kind, DistError> {
        if let Some(ty) = self.map.get("type") {
            return ty
                .as_str()
                .and_then(Kind::from_type)
                .ok_or_else(|| DistError::UnknownType {
                    path: self.path.to_string(),
                    got: show(ty),
                    expected: TYPES,
                });
        }
        // Each implied shape with the keys that implied it, in key order.
        let mut implied: Vec<(Kind, Vec<&str>)> = Vec::new();
        for key in self.map.keys() {
            if let Some(kind) = Kind::owning(key) {
                match implied.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, keys)) => keys.push(key),
                    None => implied.push((kind, vec![key])),
                }
            }
        }
        let mean_shared = implied
            .iter()
            .any(|(k, _)| matches!(k, Kind::LogNormal | Kind::InverseGaussian));
        if self.map.contains_key("mean") && !mean_shared {
            match implied.iter_mut().find(|(k, _)| *k == Kind::Normal) {
                Some((_, keys)) => keys.insert(0, "mean"),
                None => implied.push((Kind::Normal, vec!["mean"])),
            }
        }
        match implied.as_slice() {
            [(kind, _)] => Ok(*kind),
            [(first, first_keys), (second, second_keys), ..] => Err(DistError::Ambiguous {
                path: self.path.to_string(),
                shown: show(&Value::Object(self.map.clone())),
                mix: format!(
                    "{} keys ({}) and {} keys ({})",
                    first.name(),
                    first_keys.join(", "),
                    second.name(),
                    second_keys.join(", ")
                ),
            }),
            [] if self.map.contains_key("min") && self.map.contains_key("max") => Ok(Kind::Uniform),
            [] => Err(DistError::NoShape {
                path: self.path.to_string(),
                shown: show(&Value::Object(self.map.clone())),
                seen: self.seen(),
            }),
        }
    }

    fn missing(&self, kind: Kind, key: &'static str) -> DistError {
        DistError::MissingKey {
            path: self.path.to_string(),
            shown: show(&Value::Object(self.map.clone())),
            missing: key,
            seen: self.seen(),
            needs: kind.needs(),
        }
    }

    fn number(&self, key: &str) -> Result<Option<f64>, DistError> {
        self.map
            .get(key)
            .map(|v| number(v, &join(self.path, key)))
            .transpose()
    }

    fn need_number(&self, kind: Kind, key: &'static str) -> Result<f64, DistError> {
        self.number(key)?.ok_or_else(|| self.missing(kind, key))
    }

    fn whole(&self, key: &str) -> Result<Option<u64>, DistError> {
        let Some(value) = self.map.get(key) else {
            return Ok(None);
        };
        let at = join(self.path, key);
        let n = number(value, &at)?;
        // 2^53: past it an f64 no longer holds every whole number.
        if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0 {
            Ok(Some(n as u64))
        } else {
            Err(DistError::Invalid {
                path: at,
                reason: format!("{n} is not a whole number >= 0"),
            })
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, DistError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(DistError::WrongType {
                path: join(self.path, key),
                expected: "true or false",
                got: describe(other),
            }),
        }
    }

    fn list(&self, kind: Kind, key: &'static str) -> Result<&Vec<Value>, DistError> {
        match self.map.get(key) {
            None => Err(self.missing(kind, key)),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(DistError::WrongType {
                path: join(self.path, key),
                expected: "a list",
                got: describe(other),
            }),
        }
    }

    fn peaks(&self, kind: Kind) -> Result<Vec<Peak>, DistError> {
        let items = self.list(kind, "peaks")?;
        let base = join(self.path, "peaks");
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let at = format!("{base}[{i}]");
                match item {
                    Value::Object(map) => {
                        let weight = match map.get("weight") {
                            Some(w) => number(w, &join(&at, "weight"))?,
                            None => 1.0,
                        };
                        let mut rest = map.clone();
                        rest.remove("weight");
                        let dist = build_map(&rest, &at)?;
                        Ok(Peak { dist, weight })
                    }
                    other => Ok(Peak {
                        dist: build(other, &at)?,
                        weight: 1.0,
                    }),
                }
            })
            .collect()
    }

    fn points(&self, kind: Kind) -> Result<Vec<Point>, DistError> {
        let items = self.list(kind, "points")?;
        let base = join(self.path, "points");
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let at = format!("{base}[{i}]");
                let Value::Object(map) = item else {
                    return Err(DistError::WrongType {
                        path: at,
                        expected: "a {value, weight} mapping",
                        got: describe(item),
                    });
                };
                let cx = Cx { map, path: &at };
                if let Some(key) = map.keys().find(|k| *k != "value" && *k != "weight") {
                    let allowed = "value, weight".to_string();
                    return Err(cx.unknown(key, "an empirical point".to_string(), allowed));
                }
                let value = cx.number("value")?.ok_or_else(|| DistError::MissingKey {
                    path: at.clone(),
                    shown: show(item),
                    missing: "value",
                    seen: cx.seen(),
                    needs: "an empirical point needs value (weight defaults to 1)",
                })?;
                let weight = cx.number("weight")?.unwrap_or(1.0);
                Ok(Point { value, weight })
            })
            .collect()
    }

    fn stair_values(&self, kind: Kind) -> Result<Vec<f64>, DistError> {
        let base = join(self.path, "values");
        self.list(kind, "values")?
            .iter()
            .enumerate()
            .map(|(i, v)| number(v, &format!("{base}[{i}]")))
            .collect()
    }

    fn zipf(&self, kind: Kind) -> Result<Shape, DistError> {
        let min = self
            .whole("min")?
            .ok_or_else(|| self.missing(kind, "min"))?;
        let max = self
            .whole("max")?
            .ok_or_else(|| self.missing(kind, "max"))?;
        let alpha = match (self.number("alpha")?, self.number("theta")?) {
            (Some(_), Some(_)) => {
                return Err(DistError::Invalid {
                    path: self.path.to_string(),
                    reason: format!(
                        "both alpha and theta given (keys seen: {}); they name the same \
                         exponent, write one",
                        self.seen()
                    ),
                })
            }
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return Err(self.missing(kind, "alpha")),
        };
        let scramble = self.boolean("scramble")?.unwrap_or(false);
        Ok(Shape::Zipf {
            min,
            max,
            alpha,
            scramble,
        })
    }
}

/// A number; non-finite values reach us as strings (JSON has no NaN), and are named as such.
fn number(value: &Value, path: &str) -> Result<f64, DistError> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| DistError::Invalid {
            path: path.to_string(),
            reason: format!("{n} is not representable as a number"),
        }),
        Value::String(s) => Err(string_error(s, path, "a number")),
        other => Err(DistError::WrongType {
            path: path.to_string(),
            expected: "a number",
            got: describe(other),
        }),
    }
}

fn string_error(s: &str, path: &str, expected: &'static str) -> DistError {
    let path = path.to_string();
    let lower = s.trim().to_ascii_lowercase();
    let non_finite = [
        "nan",
        ".nan",
        "inf",
        ".inf",
        "+inf",
        "-inf",
        "-.inf",
        "+.inf",
        "infinity",
        "-infinity",
    ];
    if non_finite.contains(&lower.as_str()) {
        DistError::Invalid {
            path,
            reason: format!("{s:?} is not a finite number"),
        }
    } else if s.contains(':') {
        DistError::LegacyString {
            path,
            got: s.to_string(),
        }
    } else if s.trim().parse::<f64>().is_ok() {
        DistError::WrongType {
            path,
            expected: "a number, not a quoted string (drop the quotes)",
            got: describe(&Value::String(s.to_string())),
        }
    } else {
        DistError::WrongType {
            path,
            expected,
            got: describe(&Value::String(s.to_string())),
        }
    }
}
