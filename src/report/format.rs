//! Number and label formatting shared by the CSV and console reports, and [`printable`], the
//! one way server text reaches the terminal (a leaf module, so telemetry's notes use it too).

pub use crate::printable::printable;

use crate::metrics::MetricSpec;

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
