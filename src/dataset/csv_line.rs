//! One CSV line's cells, for the trace readers that accept CSV (`files` and `flavors`).
//! Double quotes may wrap a cell (`""` is a quote inside one); cells spanning lines are not
//! supported.

/// The cells of `line`, or `None` when a quote is never closed.
pub(crate) fn split(line: &str) -> Option<Vec<String>> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    if quoted {
        return None;
    }
    cells.push(cell);
    Some(cells)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn quotes_commas_and_escaped_quotes() {
        assert_eq!(
            split("a, \"b,c\",\"say \"\"hi\"\"\",\r").unwrap(),
            vec!["a", "b,c", "say \"hi\"", ""]
        );
        assert_eq!(split("\"open"), None);
    }
}
