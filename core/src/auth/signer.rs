//! SAS tokens for the module identity: signed locally with the module key, by the workload
//! API, or a fixed token from the connection string.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::auth::WorkloadClient;
use crate::error::{Error, Result};
use crate::protocol::sas;

/// Who signs.
#[derive(Debug, Clone)]
pub(crate) enum Signer {
    /// HMAC-SHA256 with this base64 key (`SharedAccessKey`).
    Key(String),
    /// The workload API `sign` endpoint.
    Workload(WorkloadClient),
    /// A ready-made token (`SharedAccessSignature`); it cannot be renewed.
    Fixed(String),
}

/// A token and when it expires (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credential {
    pub token: String,
    pub expiry: u64,
    /// False for a fixed token: renewing would not help.
    pub renewable: bool,
}

/// Builds fresh tokens for `resource_uri` (`{hub}/devices/{d}/modules/{m}`).
#[derive(Debug, Clone)]
pub(crate) struct TokenSource {
    resource_uri: String,
    signer: Signer,
    ttl: Duration,
}

impl TokenSource {
    pub(crate) fn new(resource_uri: String, signer: Signer, ttl: Duration) -> Self {
        TokenSource {
            resource_uri,
            signer,
            ttl: ttl.max(Duration::from_secs(1)),
        }
    }

    /// A token valid for the configured TTL from now.
    pub(crate) async fn credential(&self) -> Result<Credential> {
        let expiry = unix_now() + self.ttl.as_secs();
        let to_sign = sas::string_to_sign(&self.resource_uri, expiry);
        let signature = match &self.signer {
            Signer::Key(key) => sas::sign(key, to_sign.as_bytes())?,
            Signer::Workload(workload) => workload.sign(to_sign.as_bytes()).await?,
            Signer::Fixed(token) => {
                let parsed = sas::parse_token(token).map_err(|e| {
                    Error::config(format!("SharedAccessSignature: {}", e.message()))
                })?;
                return Ok(Credential {
                    token: token.clone(),
                    expiry: parsed.expiry,
                    renewable: false,
                });
            }
        };
        Ok(Credential {
            token: sas::format_token(&self.resource_uri, &signature, expiry),
            expiry,
            renewable: true,
        })
    }
}

/// Seconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_key_tokens_verify_and_expire_after_ttl() {
        let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
        let uri = sas::resource_uri("hub.example", "edge1", Some("filter"));
        let source = TokenSource::new(uri, Signer::Key(key.to_string()), Duration::from_secs(120));
        let cred = source.credential().await.unwrap();
        assert!(cred.renewable);
        let parsed = sas::parse_token(&cred.token).unwrap();
        assert!(sas::verify_signature(&parsed, key));
        assert_eq!(parsed.resource, "hub.example/devices/edge1/modules/filter");
        let now = unix_now();
        assert!(parsed.expiry >= now + 119 && parsed.expiry <= now + 121);
    }

    #[tokio::test]
    async fn fixed_tokens_are_passed_through() {
        let token = sas::format_token("h/devices/d/modules/m", "c2ln", 1_700_000_000);
        let source = TokenSource::new(
            "h/devices/d/modules/m".into(),
            Signer::Fixed(token.clone()),
            Duration::from_secs(60),
        );
        let cred = source.credential().await.unwrap();
        assert_eq!(cred.token, token);
        assert_eq!(cred.expiry, 1_700_000_000);
        assert!(!cred.renewable);
    }
}
