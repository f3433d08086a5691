//! `--endpoint-type template`: AIPerf's `payload_template` (a Jinja2 body template, inline, a
//! file or a named template) and `response_field` (a JMESPath query saying where the reply's
//! text is), both given as `--extra-inputs`. The template is compiled and rendered once with
//! sample values here, at load time, so an unknown placeholder or a body that is not JSON is
//! refused before anything is sent, naming the file and line.

use std::path::PathBuf;

use minijinja::{Environment, UndefinedBehavior, Value as JinjaValue};
use serde_json::Value;

/// The `--extra-inputs` key of the body template (AIPerf's).
pub const PAYLOAD_TEMPLATE_KEY: &str = "payload_template";
/// The `--extra-inputs` key of the reply's text query (AIPerf's).
pub const RESPONSE_FIELD_KEY: &str = "response_field";

/// AIPerf's named templates.
const NAMED_TEMPLATES: &[(&str, &str)] = &[("nv-embedqa", r#"{"text": {{ texts|tojson }}}"#)];

/// The name the template is registered under in its environment.
pub const TEMPLATE_NAME: &str = "payload_template";

/// A body template and where the reply's text is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TemplatePlan {
    /// The Jinja2 source.
    pub source: String,
    /// Where it came from, for errors: `payload_template (inline)`, the file's path, or
    /// `payload_template nv-embedqa`.
    pub origin: String,
    /// The file it was read from, if any.
    pub file: Option<PathBuf>,
    /// The JMESPath query of the reply's text; `None` auto-detects.
    pub response_field: Option<String>,
}

impl TemplatePlan {
    /// Where line `line` of the template is, for errors: `file:line` or `origin line N`.
    pub fn at_line(&self, line: Option<usize>) -> String {
        match (line, &self.file) {
            (Some(n), Some(file)) => format!("{}:{n}", file.display()),
            (Some(n), None) => format!("{} line {n}", self.origin),
            (None, _) => self.origin.clone(),
        }
    }
}

/// The template environment every rendering uses: strict undefined (an unknown placeholder
/// is an error), `tojson`, a `lower` that also takes booleans (`{{ stream|lower }}` is
/// AIPerf's example, where Python prints `True`), and Python's string, list and dict methods
/// (`.split()`, `.upper()`, `.items()`, …), which AIPerf's templates may call since Jinja2
/// runs them on Python objects.
pub fn environment(plan: &TemplatePlan) -> Result<Environment<'static>, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_filter("lower", |v: JinjaValue| -> String {
        match v.as_str() {
            Some(s) => s.to_lowercase(),
            None => v.to_string().to_lowercase(),
        }
    });
    env.add_template_owned(TEMPLATE_NAME, plan.source.clone())
        .map_err(|e| describe(plan, &e))?;
    Ok(env)
}

/// One line for a template error: where, then what.
pub fn describe(plan: &TemplatePlan, e: &minijinja::Error) -> String {
    let what = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    format!("{}: {what}", plan.at_line(e.line()))
}

/// Takes `payload_template` and `response_field` out of the extra inputs (the rest are
/// merged into every body) and loads the template; `None` for the other types, where both
/// keys are refused. Errors are one line without the flag name (the caller adds it).
pub fn take_template(
    is_template: bool,
    extra_inputs: &mut Vec<(String, Value)>,
) -> Result<Option<TemplatePlan>, String> {
    let mut take = |key: &str| {
        let i = extra_inputs.iter().position(|(k, _)| k == key)?;
        Some(extra_inputs.remove(i).1)
    };
    let template = take(PAYLOAD_TEMPLATE_KEY);
    let field = take(RESPONSE_FIELD_KEY);
    if !is_template {
        if template.is_some() || field.is_some() {
            return Err(format!(
                "'{PAYLOAD_TEMPLATE_KEY}' is read only with --endpoint-type template, '{RESPONSE_FIELD_KEY}' with template and raw"
            ));
        }
        return Ok(None);
    }
    let Some(template) = template else {
        return Err(format!(
            "--endpoint-type template needs the body template: --extra-inputs {PAYLOAD_TEMPLATE_KEY}:'{{\"text\": {{{{ text|tojson }}}}}}' (inline, a file path, or nv-embedqa)"
        ));
    };
    let Value::String(spec) = template else {
        return Err(format!("'{PAYLOAD_TEMPLATE_KEY}' must be a string (a template, a file path or a template name)"));
    };
    let response_field = field.map(checked_query).transpose()?;
    let plan = load(&spec, response_field)?;
    check(&plan)?;
    Ok(Some(plan))
}

/// Takes `response_field` out of the extra inputs of a `raw` run (AIPerf reads it there too:
/// where a raw reply's text is); `None` when not given.
pub fn take_raw_response_field(
    extra_inputs: &mut Vec<(String, Value)>,
) -> Result<Option<String>, String> {
    let Some(i) = extra_inputs
        .iter()
        .position(|(k, _)| k == RESPONSE_FIELD_KEY)
    else {
        return Ok(None);
    };
    checked_query(extra_inputs.remove(i).1).map(Some)
}

/// A `response_field` value that compiles as a JMESPath query.
fn checked_query(field: Value) -> Result<String, String> {
    match field {
        Value::String(q) => {
            jmespath::compile(&q).map_err(|e| {
                let msg = e.to_string().replace('\n', " ");
                format!("'{RESPONSE_FIELD_KEY}' '{q}' is not a JMESPath query: {msg}")
            })?;
            Ok(q)
        }
        _ => Err(format!(
            "'{RESPONSE_FIELD_KEY}' must be a JMESPath query string"
        )),
    }
}

/// A named template, a file, or the text itself, in that order (AIPerf's).
fn load(spec: &str, response_field: Option<String>) -> Result<TemplatePlan, String> {
    if let Some((name, source)) = NAMED_TEMPLATES.iter().find(|(n, _)| *n == spec.trim()) {
        return Ok(TemplatePlan {
            source: (*source).to_string(),
            origin: format!("{PAYLOAD_TEMPLATE_KEY} {name}"),
            file: None,
            response_field,
        });
    }
    let looks_like_path = !spec.contains('{') && !spec.contains('\n');
    if looks_like_path {
        let path = PathBuf::from(spec.trim());
        let source = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "'{PAYLOAD_TEMPLATE_KEY}' {}: cannot read the template file ({e}); give a file, nv-embedqa, or the template itself",
                path.display()
            )
        })?;
        return Ok(TemplatePlan {
            source,
            origin: path.display().to_string(),
            file: Some(path),
            response_field,
        });
    }
    Ok(TemplatePlan {
        source: spec.to_string(),
        origin: format!("{PAYLOAD_TEMPLATE_KEY} (inline)"),
        file: None,
        response_field,
    })
}

pub use super::template_vars::{sample_context, VARIABLES};

/// The first line (1-based) where `name` appears as a whole word inside `{{ }}` or `{% %}`.
fn line_of(source: &str, name: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut in_tag = false;
    for (n, line) in source.lines().enumerate() {
        let mut rest = line;
        while !rest.is_empty() {
            if !in_tag {
                match rest.find("{{").into_iter().chain(rest.find("{%")).min() {
                    Some(i) => {
                        in_tag = true;
                        rest = &rest[i + 2..];
                    }
                    None => break,
                }
            } else {
                let end = rest.find("}}").into_iter().chain(rest.find("%}")).min();
                let inside = &rest[..end.unwrap_or(rest.len())];
                let found = inside.match_indices(name).any(|(i, _)| {
                    !inside[..i].ends_with(is_word)
                        && !inside[i + name.len()..].starts_with(is_word)
                });
                if found {
                    return Some(n + 1);
                }
                match end {
                    Some(e) => {
                        in_tag = false;
                        rest = &rest[e + 2..];
                    }
                    None => break,
                }
            }
        }
    }
    None
}

/// Compiles the template and renders it once with sample values: an unknown placeholder or
/// a body that is not one JSON value is refused now.
fn check(plan: &TemplatePlan) -> Result<(), String> {
    let env = environment(plan)?;
    let template = env
        .get_template(TEMPLATE_NAME)
        .map_err(|e| describe(plan, &e))?;
    // Strict undefined refuses printing an unknown name, but a filter (`|tojson`) may still
    // take it: every name the template reads must be a known variable.
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !VARIABLES.contains(&name.as_str()))
        .collect();
    unknown.sort();
    if let Some(name) = unknown.first() {
        return Err(format!(
            "{}: unknown placeholder '{name}' (the variables are {})",
            plan.at_line(line_of(&plan.source, name)),
            VARIABLES.join(", ")
        ));
    }
    let text = template
        .render(sample_context())
        .map_err(|e| describe(plan, &e))?;
    serde_json::from_str::<Value>(&text).map_err(|e| {
        format!(
            "{}: the rendered body is not one JSON value ({e} of the rendered text); use |tojson for strings",
            plan.origin
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(raw: &[(&str, Value)]) -> Result<Option<TemplatePlan>, String> {
        let mut extra: Vec<(String, Value)> = raw
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        take_template(true, &mut extra)
    }

    #[test]
    fn inline_named_and_file_templates_load() {
        let plan = take(&[(
            PAYLOAD_TEMPLATE_KEY,
            Value::from(r#"{"text": {{ text|tojson }}}"#),
        )])
        .unwrap()
        .unwrap();
        assert_eq!(plan.origin, "payload_template (inline)");
        let plan = take(&[(PAYLOAD_TEMPLATE_KEY, Value::from("nv-embedqa"))])
            .unwrap()
            .unwrap();
        assert!(plan.source.contains("texts|tojson"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.json");
        std::fs::write(
            &file,
            "{\n  \"prompt\": {{ text|tojson }},\n  \"stream\": {{ stream|lower }}\n}\n",
        )
        .unwrap();
        let plan = take(&[
            (PAYLOAD_TEMPLATE_KEY, Value::from(file.to_str().unwrap())),
            (RESPONSE_FIELD_KEY, Value::from("choices[0].text")),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(plan.file.as_deref(), Some(file.as_path()));
        assert_eq!(plan.response_field.as_deref(), Some("choices[0].text"));
    }

    #[test]
    fn unknown_placeholder_is_refused_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.json");
        std::fs::write(
            &file,
            "{\n  \"prompt\": {{ text|tojson }},\n  \"x\": {{ nope|tojson }}\n}\n",
        )
        .unwrap();
        let e = take(&[(PAYLOAD_TEMPLATE_KEY, Value::from(file.to_str().unwrap()))]).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "{}:3: unknown placeholder 'nope' (the variables are text, texts",
                file.display()
            )),
            "{e}"
        );
        let e = take(&[(
            PAYLOAD_TEMPLATE_KEY,
            Value::from("{\"a\": 1,\n \"b\": {{ text_x }}}"),
        )])
        .unwrap_err();
        assert!(
            e.starts_with("payload_template (inline) line 2: unknown placeholder 'text_x'"),
            "{e}"
        );
        // Printing a missing attribute is refused at render (strict undefined), with its line.
        let e = take(&[(
            PAYLOAD_TEMPLATE_KEY,
            Value::from("{\"a\":\n \"{{ text.nope }}\"}"),
        )])
        .unwrap_err();
        assert!(e.starts_with("payload_template (inline) line 2: "), "{e}");
    }

    #[test]
    fn bodies_that_are_not_json_and_bad_queries_are_refused() {
        let e = take(&[(PAYLOAD_TEMPLATE_KEY, Value::from("{\"a\": {{ text }}}"))]).unwrap_err();
        assert!(e.contains("the rendered body is not one JSON value"), "{e}");
        let e = take(&[(PAYLOAD_TEMPLATE_KEY, Value::from("/no/such/template.json"))]).unwrap_err();
        assert!(e.contains("cannot read the template file"), "{e}");
        let e = take(&[
            (PAYLOAD_TEMPLATE_KEY, Value::from("nv-embedqa")),
            (RESPONSE_FIELD_KEY, Value::from("choices[")),
        ])
        .unwrap_err();
        assert!(e.contains("is not a JMESPath query"), "{e}");
        assert!(take(&[]).unwrap_err().contains("needs the body template"));
        let mut extra = vec![(PAYLOAD_TEMPLATE_KEY.to_string(), Value::from("x"))];
        assert!(take_template(false, &mut extra).is_err());
        let mut extra = vec![("temperature".to_string(), Value::from(0.5))];
        assert_eq!(take_template(false, &mut extra), Ok(None));
        assert_eq!(extra.len(), 1);
    }
}
