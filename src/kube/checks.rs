//! The kube flags' values, checked as the API server would check them, so a bad name or
//! quantity is refused here, naming the flag, rather than by `kubectl apply`.

use super::error::KubeError;

/// Longest Job name: the pods' hostnames are NAME-INDEX and the collector pod NAME-collect,
/// both DNS labels (63).
const NAME_MAX: usize = 52;

/// A DNS-1123 label (names of Jobs, namespaces, claims): lower-case letters, digits and `-`,
/// starting and ending with a letter or digit, at most `max` characters.
pub fn label(flag: &'static str, value: &str, max: usize) -> Result<(), KubeError> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        return Ok(());
    }
    Err(KubeError::BadFlag {
        flag,
        value: value.to_string(),
        why: format!(
            "expected a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most {max} characters"
        ),
    })
}

/// `--name`.
pub fn job_name(value: &str) -> Result<(), KubeError> {
    label("--name", value, NAME_MAX)
}

/// A DNS-1123 subdomain (claim and Secret names): dot-separated labels, at most 253.
pub fn subdomain(flag: &'static str, value: &str) -> Result<(), KubeError> {
    let ok = value.len() <= 253 && value.split('.').all(|part| label(flag, part, 63).is_ok());
    if ok {
        return Ok(());
    }
    Err(KubeError::BadFlag {
        flag,
        value: value.to_string(),
        why: "expected a DNS subdomain: lower-case letters, digits, '-' and '.', at most 253 characters".into(),
    })
}

/// `--api-key-secret NAME/KEY` → (NAME, KEY).
pub fn secret_ref(value: &str) -> Result<(String, String), KubeError> {
    let bad = |why: &str| KubeError::BadFlag {
        flag: "--api-key-secret",
        value: value.to_string(),
        why: why.to_string(),
    };
    let (name, key) = value.split_once('/').ok_or_else(|| {
        bad("expected NAME/KEY: the Secret's name and the key holding the API key")
    })?;
    subdomain("--api-key-secret", name)?;
    let key_ok = !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !key_ok {
        return Err(bad("the KEY is letters, digits, '-', '_' and '.'"));
    }
    Ok((name.to_string(), key.to_string()))
}

/// A resource quantity (`2`, `500m`, `1.5`, `2Gi`, `1e3`): a non-negative decimal number and
/// an optional binary or decimal suffix or exponent, as Kubernetes' `Quantity` parses it.
pub fn quantity(flag: &'static str, value: &str) -> Result<(), KubeError> {
    let digits_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, suffix) = value.split_at(digits_end);
    let number = number.strip_prefix('+').unwrap_or(number);
    let number_ok = !number.is_empty()
        && number != "."
        && number.matches('.').count() <= 1
        && number.bytes().any(|b| b.is_ascii_digit());
    let suffix_ok = matches!(
        suffix,
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|exp| exp.strip_prefix(['+', '-']).unwrap_or(exp))
        .is_some_and(|exp| !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit()));
    if number_ok && suffix_ok {
        return Ok(());
    }
    Err(KubeError::BadFlag {
        flag,
        value: value.to_string(),
        why: "expected a Kubernetes quantity: a number with an optional suffix (500m, 2, 1.5, 512Mi, 2Gi)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_as_kubernetes_takes_them() {
        for ok in [
            "2", "500m", "1.5", "0.5", "512Mi", "2Gi", "1e3", "1E-2", "100k", "3T",
        ] {
            assert!(quantity("--cpu-request", ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "two", "2 Gi", "2gb", "-1", "1.2.3", ".", "Gi", "1e", "2GiB",
        ] {
            let err = quantity("--memory-limit", bad).unwrap_err().to_string();
            assert!(err.starts_with("--memory-limit"), "{err}");
        }
    }

    #[test]
    fn names_are_dns_labels() {
        assert!(job_name("bench-1").is_ok());
        for bad in ["Bench", "-a", "a-", "a_b", "", &"x".repeat(53)] {
            assert!(job_name(bad).is_err(), "{bad}");
        }
        assert!(subdomain("--pvc", "results.shared-1").is_ok());
        assert!(subdomain("--pvc", "Results").is_err());
    }

    #[test]
    fn secret_refs_are_name_slash_key() {
        assert_eq!(
            secret_ref("llm-keys/token").unwrap(),
            ("llm-keys".to_string(), "token".to_string())
        );
        for bad in ["llm-keys", "llm-keys/", "/token", "Keys/token", "k/a b"] {
            let err = secret_ref(bad).unwrap_err().to_string();
            assert!(err.starts_with("--api-key-secret"), "{err}");
        }
    }
}
