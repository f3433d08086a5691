//! Number and label formatting shared by the CSV and console reports, and [`printable`], the
//! one way server text reaches the terminal.

use std::borrow::Cow;
use std::fmt::Write;

use crate::metrics::MetricSpec;

/// `text` from a server made safe to print on one terminal line: every control character (C0
/// such as ESC, CR, LF and TAB; DEL; C1) and every bidirectional-override mark is written as
/// an escape (`\x1b`, `\n`, `\r`, `\t`, `\u{202e}`), so a reply cannot recolour, move the
/// cursor, rewrite earlier lines or spread over several. Borrowed when nothing needs escaping.
/// The JSONL keeps the raw (redacted) text; this is only for what is printed.
pub fn printable(text: &str) -> Cow<'_, str> {
    let needs_escape = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    };
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `1234567.891` → `"1,234,567.89"`: two decimals with thousands separators, as the console
/// table shows numbers.
pub fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return "N/A".to_owned();
    }
    let fixed = format!("{:.2}", value.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let mut out = String::with_capacity(fixed.len() + int.len() / 3 + 1);
    // "-0.00" would read as a negative zero; only show the sign when a digit survives rounding.
    if value < 0.0 && fixed.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push('.');
    out.push_str(frac);
    out
}

/// The CSV label: AIPerf leaves the unit out for plain counts ("count", "requests").
pub fn csv_label(spec: &MetricSpec) -> String {
    match spec.unit {
        "count" | "requests" => spec.header.to_owned(),
        _ => spec.label(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_control_characters_on_one_line() {
        assert!(matches!(printable("plain ünï text"), Cow::Borrowed(_)));
        assert_eq!(
            printable("\x1b[31mred\x1b[0m\r\n<html>\n\tx\u{7f}\u{9b}\u{202e}y"),
            "\\x1b[31mred\\x1b[0m\\r\\n<html>\\n\\tx\\x7f\\x9b\\u{202e}y"
        );
        let shown = printable("a\x00b\x07c\u{2028}d");
        assert_eq!(shown, "a\\x00b\\x07c\\u{2028}d");
        assert!(!shown.chars().any(char::is_control));
    }

    #[test]
    fn separates_thousands_and_rounds() {
        assert_eq!(thousands(0.0), "0.00");
        assert_eq!(thousands(999.999), "1,000.00");
        assert_eq!(thousands(17000.548), "17,000.55");
        assert_eq!(thousands(1234567.0), "1,234,567.00");
        assert_eq!(thousands(-1234.5), "-1,234.50");
        assert_eq!(thousands(-0.001), "0.00");
        assert_eq!(thousands(f64::NAN), "N/A");
    }
}
