//! How `https://` URLs are trusted: the system store, plus a CA file, or no check at all.

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// TLS settings for every `https://` URL of a run (`--ca-cert`, `--insecure`; YAML
/// `endpoint.ca_cert`, `endpoint.insecure`). Plain `http://` URLs ignore them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TlsPlan {
    /// A PEM file of CA certificates trusted besides the system store.
    pub ca_cert: Option<PathBuf>,
    /// Skip certificate verification (vLLM's `--insecure`).
    pub insecure: bool,
}

/// The certificates of a PEM file, in file order. The error says what is wrong with the file;
/// the caller names the flag or key.
pub fn read_ca_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let text = std::fs::read(path).map_err(|e| format!("'{}': {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("'{}': not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "'{}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = read_ca_certs(&path).unwrap_err();
        assert!(err.contains("ca.pem' holds no PEM certificate"), "{err}");
        let missing = read_ca_certs(&dir.path().join("nope.pem")).unwrap_err();
        assert!(missing.contains("nope.pem"), "{missing}");
    }
}
