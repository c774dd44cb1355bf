//! rustls client configuration trusting exactly the given PEM bundle (ring provider).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use crate::error::{Error, Result};

/// A TLS client configuration whose only trust roots are the certificates in `pem`.
/// No certificate, or one rustls cannot use → `CONFIG` (`what` names the source).
pub(crate) fn client_config(pem: &str, what: &str) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    let mut count = 0usize;
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert =
            cert.map_err(|e| Error::config(format!("{what}: unreadable PEM certificate: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| Error::config(format!("{what}: unusable certificate: {e}")))?;
        count += 1;
    }
    if count == 0 {
        return Err(Error::config(format!(
            "{what}: no PEM certificate found in the trust bundle"
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn empty_or_garbage_bundles_are_config_errors() {
        let e = client_config("", "trust bundle").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("trust bundle"));
        let e = client_config(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "ca.pem",
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("ca.pem"), "{e}");
    }
}
