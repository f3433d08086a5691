//! `https://` targets before the clock starts: the run's one TLS configuration, the
//! `--insecure` notice, and one handshake per target, so that a certificate every request
//! would fail on ends the run at once, in one line, instead of as N grouped errors.

use std::sync::Once;
use std::time::Duration;

use super::RunError;
use crate::config::Plan;
use crate::engine::client::{connect_checked, ConnectError, Target};
use crate::engine::tls::TlsClient;

/// Gives every `https://` target the run's TLS configuration and checks that a handshake
/// with each succeeds. Plain `http://` runs pass through untouched.
pub(super) fn prepare(plan: &Plan, mut targets: Vec<Target>) -> Result<Vec<Target>, RunError> {
    if !targets.iter().any(|t| t.https) {
        return Ok(targets);
    }
    let client = TlsClient::new(&plan.tls)?;
    if plan.tls.insecure {
        static NOTICE: Once = Once::new();
        NOTICE.call_once(|| {
            eprintln!(
                "warning: --insecure: server certificates are not verified (the traffic is \
                 encrypted, but any server can answer for the host)"
            )
        });
    }
    for target in &mut targets {
        target.use_tls(&client);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    // A server that is down or slow is the run's business (its requests fail and are
    // counted); only a handshake that fails is certain to fail every request.
    let timeout = plan.request_timeout.min(Duration::from_secs(30));
    for target in targets.iter().filter(|t| t.https) {
        if let Err(ConnectError::Tls(message)) = runtime.block_on(connect_checked(target, timeout))
        {
            return Err(RunError::TlsHandshake(message));
        }
    }
    Ok(targets)
}
