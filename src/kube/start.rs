//! The one wall-clock instant every worker starts at: `--start-at` as given (checked), or
//! now plus `--start-delay`, written as RFC 3339 (worker mode reads both forms).

use super::error::KubeError;

/// The `--start-at` value the pods get; `None` when neither flag was given.
pub fn start_at(at: Option<&str>, delay: Option<f64>) -> Result<Option<String>, KubeError> {
    if let Some(at) = at {
        check(at)?;
        return Ok(Some(at.to_string()));
    }
    let Some(delay) = delay else {
        return Ok(None);
    };
    let bad = |why: &str| KubeError::BadFlag {
        flag: "--start-delay",
        value: delay.to_string(),
        why: why.to_string(),
    };
    if !delay.is_finite() || !(0.0..=86_400.0 * 7.0).contains(&delay) {
        return Err(bad("expected seconds from 0 to 604800 (a week)"));
    }
    let span = jiff::SignedDuration::from_secs_f64(delay);
    let instant = jiff::Timestamp::now()
        .checked_add(span)
        .map_err(|e| bad(&e.to_string()))?
        .round(jiff::Unit::Millisecond)
        .map_err(|e| bad(&e.to_string()))?;
    Ok(Some(instant.to_string()))
}

/// Checks `--start-at`: unix seconds (fractional allowed) or RFC 3339 with an offset.
fn check(at: &str) -> Result<(), KubeError> {
    let unix = at
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 253_402_300_800.0);
    if unix.is_some() || at.parse::<jiff::Timestamp>().is_ok() {
        return Ok(());
    }
    Err(KubeError::BadFlag {
        flag: "--start-at",
        value: at.to_string(),
        why: "expected unix seconds (1767225600.5) or RFC 3339 (2026-01-01T00:00:00Z)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_at_is_passed_as_given_when_valid() {
        for ok in [
            "1767225600",
            "1767225600.25",
            "2026-01-01T00:00:00Z",
            "2026-01-01T01:00:00.5+01:00",
        ] {
            assert_eq!(start_at(Some(ok), None).unwrap().as_deref(), Some(ok));
        }
        for bad in ["tomorrow", "-5", "2026-01-01", "NaN", ""] {
            let err = start_at(Some(bad), None).unwrap_err().to_string();
            assert!(err.starts_with("--start-at"), "{err}");
        }
        assert_eq!(start_at(None, None).unwrap(), None);
    }

    #[test]
    fn a_delay_is_now_plus_the_delay_in_rfc_3339() {
        let before = jiff::Timestamp::now();
        let at = start_at(None, Some(30.0)).unwrap().unwrap();
        let at: jiff::Timestamp = at.parse().unwrap();
        let ahead = at.duration_since(before).as_secs_f64();
        assert!((29.9..31.0).contains(&ahead), "{ahead}");
        assert!(start_at(None, Some(-1.0)).is_err());
        assert!(start_at(None, Some(f64::NAN)).is_err());
    }
}
