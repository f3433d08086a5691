//! Server text made safe for the terminal: the one escape every printed server string goes
//! through (report's console lines, telemetry's stderr notes).

use std::borrow::Cow;
use std::fmt::Write;

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
}
