//! Shared access signature tokens (protocol.md §3.3): build, sign, parse, verify.

use crate::error::Result;

/// Default token lifetime, seconds.
pub const DEFAULT_TTL_SECS: u64 = 3600;
/// Clock skew edgeHub tolerates past `se`, seconds.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// `{hub}/devices/{d}[/modules/{m}]` (not encoded).
pub fn resource_uri(host_name: &str, device_id: &str, module_id: Option<&str>) -> String {
    let _ = (host_name, device_id, module_id);
    todo!()
}

/// `URLENC(resource_uri) + "\n" + expiry`: the bytes signed (locally or by the workload API).
pub fn string_to_sign(resource_uri: &str, expiry: u64) -> String {
    let _ = (resource_uri, expiry);
    todo!()
}

/// `base64(HMAC-SHA256(base64decode(key), data))`; a key that is not base64 → `CONFIG`.
pub fn sign(key_base64: &str, data: &[u8]) -> Result<String> {
    let _ = (key_base64, data);
    todo!()
}

/// `SharedAccessSignature sr={URLENC(uri)}&sig={URLENC(sig)}&se={expiry}`.
pub fn format_token(resource_uri: &str, signature_base64: &str, expiry: u64) -> String {
    let _ = (resource_uri, signature_base64, expiry);
    todo!()
}

/// A parsed token as the server sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SasToken {
    /// `sr` exactly as transmitted (the HMAC is computed over this raw text).
    pub resource_raw: String,
    /// `sr` percent-decoded, e.g. `myhub/devices/edge1/modules/filter`.
    pub resource: String,
    /// `sig`, percent-decoded base64.
    pub signature: String,
    /// `se`, Unix seconds.
    pub expiry: u64,
    /// `skn`, when present (policy tokens).
    pub key_name: Option<String>,
}

/// Parses a token (first word exactly `SharedAccessSignature`; fields `sr`, `sig`, `se`
/// required) → `UNAUTHORIZED` error when malformed.
pub fn parse_token(token: &str) -> Result<SasToken> {
    let _ = token;
    todo!()
}

/// Recomputes the HMAC over `resource_raw + "\n" + expiry` and compares in constant time.
pub fn verify_signature(token: &SasToken, key_base64: &str) -> bool {
    let _ = (token, key_base64);
    todo!()
}

/// True when `now > expiry + skew_secs`.
pub fn is_expired(token: &SasToken, now_unix: u64, skew_secs: u64) -> bool {
    now_unix > token.expiry.saturating_add(skew_secs)
}
