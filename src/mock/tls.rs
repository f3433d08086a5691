//! `mock-server --tls`: the mock's API over TLS, with a certificate made at start (rcgen) by a
//! throw-away CA whose certificate clients are given (`--ca-cert`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// What the mock presents over TLS: the server configuration (a certificate and its key) and
/// the PEM of the CA that signed it.
#[derive(Clone)]
pub struct MockTls {
    acceptor: TlsAcceptor,
    ca_pem: String,
}

impl std::fmt::Debug for MockTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockTls").finish_non_exhaustive()
    }
}

impl PartialEq for MockTls {
    fn eq(&self, other: &Self) -> bool {
        self.ca_pem == other.ca_pem
    }
}

/// How long a generated certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From 1975 to 4096: valid whenever the test runs.
    Current,
    /// The year 2020 only: expired.
    Expired,
}

impl MockTls {
    /// A fresh CA and a server certificate it signs for `localhost`, `127.0.0.1` and `::1`.
    pub fn self_signed() -> Result<Self, String> {
        Self::generate(&["localhost", "127.0.0.1", "::1"], Validity::Current)
    }

    /// A fresh CA and a server certificate it signs for `names` (DNS names or IP addresses),
    /// valid for `validity`: tests make wrong-name and expired certificates with it.
    pub fn generate(names: &[&str], validity: Validity) -> Result<Self, String> {
        let fail = |e: rcgen::Error| format!("making the mock's TLS certificate: {e}");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "gauntlet mock-server CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().map_err(fail)?;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(fail)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).map_err(fail)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "gauntlet mock-server");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        if validity == Validity::Expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2020, 12, 31);
        }
        let key = KeyPair::generate().map_err(fail)?;
        let cert = params.signed_by(&key, &issuer).map_err(fail)?;
        let key_der = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| format!("making the mock's TLS key: {e}"))?;
        Self::from_parts(
            vec![cert.der().clone(), ca_cert.der().clone()],
            key_der,
            ca_cert.pem(),
        )
    }

    /// A server certificate chain and key from PEM text (the chain's first certificate is the
    /// server's); `ca_pem` is what [`MockTls::ca_pem`] hands to clients.
    pub fn from_pem(chain_pem: &str, key_pem: &str, ca_pem: &str) -> Result<Self, String> {
        let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the certificate PEM: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| format!("the key PEM: {e}"))?;
        Self::from_parts(chain, key, ca_pem.to_owned())
    }

    fn from_parts(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        ca_pem: String,
    ) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
            .map_err(|e| format!("the mock's TLS configuration: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem,
        })
    }

    /// The PEM of the CA that signed the server certificate (give it to `--ca-cert`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Writes the CA's PEM to `gauntlet-mock-ca.pem` in a fresh folder under `dir` and
    /// returns the file's path.
    pub fn write_ca(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let folder = dir.join(format!("gauntlet-mock-tls-{}", std::process::id()));
        std::fs::create_dir_all(&folder)?;
        let path = folder.join("gauntlet-mock-ca.pem");
        std::fs::write(&path, &self.ca_pem)?;
        Ok(path)
    }

    pub(super) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}
