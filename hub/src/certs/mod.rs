//! The hub's local PKI: a CA (the workload trust bundle), the TLS server certificate
//! chained to it, and module certificates for the workload API (protocol.md §2.3, §2.4,
//! §3.1, §11.2).
//!
//! Everything is persisted under `{state_dir}/certs/` and reused across restarts, so
//! modules that saved the trust bundle keep trusting the hub.

mod files;
mod issue;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};

pub use issue::IssuedCertificate;
use issue::{CaSigner, CA_COMMON_NAME};

/// Renew the server certificate when it has less than this left.
const SERVER_RENEW_BEFORE: Duration = Duration::days(30);
/// Replace the CA when it has less than this left.
const CA_RENEW_BEFORE: Duration = Duration::days(1);

/// The CA, the hub's server certificate, and a signer for module certificates.
#[derive(Clone)]
pub struct HubCertificates {
    /// The CA certificate (PEM): the trust bundle modules use as their only root.
    pub ca_pem: String,
    /// The server certificate followed by the CA certificate (PEM).
    pub server_chain_pem: String,
    /// The server private key (PKCS#8 PEM).
    pub server_key_pem: String,
    signer: Arc<CaSigner>,
    /// `notAfter` of the CA, Unix seconds: nothing it signs may outlive it.
    ca_not_after: i64,
}

impl std::fmt::Debug for HubCertificates {
    // Keys stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubCertificates")
            .field("ca", &CA_COMMON_NAME)
            .finish_non_exhaustive()
    }
}

impl HubCertificates {
    /// rcgen CA + server cert (SANs localhost, 127.0.0.1, gateway host) persisted in
    /// {state_dir}/certs/; regenerated if missing/expired/SANs changed. The CA is kept as
    /// long as its files exist and it is not about to expire.
    pub fn load_or_create(
        state_dir: &Path,
        gateway_host_name: &str,
    ) -> io::Result<HubCertificates> {
        let dir = files::dir(state_dir);
        std::fs::create_dir_all(&dir)?;
        let now = OffsetDateTime::now_utc();
        let meta = files::read_meta(&dir);
        let names = server_names(gateway_host_name);

        let ca_cert = files::read_optional(&dir.join(files::CA_CERT))?;
        let ca_key = files::read_optional(&dir.join(files::CA_KEY))?;
        // Without meta.json the CA's expiry is unknown; keep it (clients trust it) and
        // assume a full lifetime rather than break that trust.
        let ca_expiry_ok = meta
            .as_ref()
            .is_none_or(|m| m.ca_not_after > (now + CA_RENEW_BEFORE).unix_timestamp());
        let (ca_pem, ca_key_pem, ca_not_after, ca_is_new) = match (ca_cert, ca_key) {
            (Some(cert), Some(key)) if ca_expiry_ok => {
                let not_after = meta
                    .as_ref()
                    .map(|m| m.ca_not_after)
                    .unwrap_or_else(|| (now + issue::CA_VALIDITY).unix_timestamp());
                (cert, key, not_after, false)
            }
            _ => {
                let (cert, key, not_after) = issue::new_ca()?;
                files::write(&dir.join(files::CA_KEY), key.as_bytes(), true)?;
                files::write(&dir.join(files::CA_CERT), cert.as_bytes(), false)?;
                (cert, key, not_after.unix_timestamp(), true)
            }
        };
        let signer = Arc::new(CaSigner::new(&ca_pem, &ca_key_pem)?);

        let chain = files::read_optional(&dir.join(files::SERVER_CHAIN))?;
        let key = files::read_optional(&dir.join(files::SERVER_KEY))?;
        let server_ok = |chain: &str| {
            !ca_is_new
                && chain.ends_with(&ca_pem)
                && meta.as_ref().is_some_and(|m| {
                    m.server_names == names
                        && m.server_not_after > (now + SERVER_RENEW_BEFORE).unix_timestamp()
                })
        };
        let (server_chain_pem, server_key_pem, server_not_after) = match (chain, key) {
            (Some(chain), Some(key)) if server_ok(&chain) => {
                let not_after = meta.as_ref().map_or(0, |m| m.server_not_after);
                (chain, key, not_after)
            }
            _ => {
                let not_after = capped(now + issue::SERVER_VALIDITY, ca_not_after);
                let issued = signer.issue_server(gateway_host_name, &names, not_after)?;
                files::write(
                    &dir.join(files::SERVER_KEY),
                    issued.key_pem.as_bytes(),
                    true,
                )?;
                files::write(
                    &dir.join(files::SERVER_CHAIN),
                    issued.chain_pem.as_bytes(),
                    false,
                )?;
                (issued.chain_pem, issued.key_pem, not_after.unix_timestamp())
            }
        };

        let new_meta = files::CertMeta {
            ca_not_after,
            server_not_after,
            server_names: names,
        };
        if meta.as_ref() != Some(&new_meta) {
            let json = serde_json::to_vec_pretty(&new_meta).map_err(io::Error::other)?;
            files::write(&dir.join(files::META), &json, false)?;
        }
        Ok(HubCertificates {
            ca_pem,
            server_chain_pem,
            server_key_pem,
            signer,
            ca_not_after,
        })
    }

    /// Path of the CA certificate file under `state_dir` (for `EdgeModuleCACertificateFile`).
    pub fn ca_cert_path(state_dir: &Path) -> PathBuf {
        files::dir(state_dir).join(files::CA_CERT)
    }

    /// A rustls server configuration (ring provider, TLS 1.2 and 1.3, no client auth)
    /// presenting the server chain.
    pub fn server_tls_config(&self) -> io::Result<Arc<rustls::ServerConfig>> {
        let chain = CertificateDer::pem_slice_iter(self.server_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("server chain: {e}"))
            })?;
        let key = PrivateKeyDer::from_pem_slice(self.server_key_pem.as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("server key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(io::Error::other)?;
        Ok(Arc::new(config))
    }

    /// Module identity cert signed by the CA (workload API certificate/identity).
    /// Returns (certificate chain PEM, PKCS#8 key PEM); valid 90 days.
    pub fn issue_identity_certificate(
        &self,
        iothub_host_name: &str,
        device_id: &str,
        module_id: &str,
    ) -> io::Result<(String, String)> {
        let issued =
            self.issue_identity_certificate_until(iothub_host_name, device_id, module_id, None)?;
        Ok((issued.chain_pem, issued.key_pem))
    }

    /// Like [`issue_identity_certificate`](Self::issue_identity_certificate), with an
    /// optional requested expiry (capped at 90 days and at the CA's expiry).
    pub fn issue_identity_certificate_until(
        &self,
        iothub_host_name: &str,
        device_id: &str,
        module_id: &str,
        expiration: Option<OffsetDateTime>,
    ) -> io::Result<IssuedCertificate> {
        let not_after = self.module_not_after(expiration)?;
        self.signer
            .issue_identity(iothub_host_name, device_id, module_id, not_after)
    }

    /// A TLS server certificate for a module (workload API certificate/server): CN =
    /// `common_name`, SANs = `common_name` and the module id without a leading `$`.
    pub fn issue_server_certificate(
        &self,
        common_name: &str,
        module_id: &str,
        expiration: Option<OffsetDateTime>,
    ) -> io::Result<IssuedCertificate> {
        let not_after = self.module_not_after(expiration)?;
        let mut names = vec![common_name.to_string()];
        let module_name = module_id.trim_start_matches('$');
        if !module_name.is_empty() && !module_name.eq_ignore_ascii_case(common_name) {
            names.push(module_name.to_string());
        }
        self.signer.issue_server(common_name, &names, not_after)
    }

    fn module_not_after(&self, requested: Option<OffsetDateTime>) -> io::Result<OffsetDateTime> {
        let now = OffsetDateTime::now_utc();
        let default = now + issue::MODULE_CERT_VALIDITY;
        let not_after = match requested {
            Some(t) if t <= now => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "requested expiration is in the past",
                ))
            }
            Some(t) => t.min(default),
            None => default,
        };
        // X.509 times have whole seconds; report exactly what the certificate says.
        let not_after = capped(not_after, self.ca_not_after);
        Ok(not_after.replace_nanosecond(0).unwrap_or(not_after))
    }
}

/// `localhost`, `127.0.0.1` and the gateway host name, without duplicates.
fn server_names(gateway_host_name: &str) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    if !gateway_host_name.is_empty()
        && !names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(gateway_host_name))
    {
        names.push(gateway_host_name.to_string());
    }
    names
}

fn capped(t: OffsetDateTime, ca_not_after_unix: i64) -> OffsetDateTime {
    match OffsetDateTime::from_unix_timestamp(ca_not_after_unix) {
        Ok(ca) => t.min(ca),
        Err(_) => t,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn certificates_can_be_shared_across_tasks() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::HubCertificates>();
    }
}
