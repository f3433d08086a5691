//! `--ca-cert` / `--insecure` (YAML `endpoint.ca_cert` / `endpoint.insecure`) → [`TlsPlan`].

use super::{SettingError, Settings};
use crate::config::{read_ca_certs, TlsPlan};

impl Settings {
    /// The TLS plan: a CA file that holds certificates, or no verification; not both.
    pub(super) fn tls(&self) -> Result<TlsPlan, SettingError> {
        let insecure = self.insecure.as_ref().is_some_and(|g| g.value);
        if let (Some(ca), true) = (&self.ca_cert, insecure) {
            return Err(SettingError::new(
                &ca.from,
                "a CA file is pointless when --insecure (endpoint.insecure) skips verification; give one of them",
            ));
        }
        if let Some(ca) = &self.ca_cert {
            read_ca_certs(&ca.value).map_err(|e| SettingError::new(&ca.from, e))?;
        }
        Ok(TlsPlan {
            ca_cert: self.ca_cert.as_ref().map(|g| g.value.clone()),
            insecure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::flag;
    use super::*;

    #[test]
    fn the_ca_file_is_read_once_at_resolve_and_named_with_its_flag() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let settings = Settings {
            ca_cert: flag("--ca-cert", Some(empty)),
            ..Settings::default()
        };
        let err = settings.tls().unwrap_err().to_string();
        assert!(err.starts_with("--ca-cert"), "{err}");
        assert!(err.contains("empty.pem' holds no PEM certificate"), "{err}");
        let both = Settings {
            insecure: flag("--insecure", Some(true)),
            ..settings
        };
        let err = both.tls().unwrap_err().to_string();
        assert!(err.contains("give one of them"), "{err}");
        assert_eq!(Settings::default().tls().unwrap(), TlsPlan::default());
    }
}
