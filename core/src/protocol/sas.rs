//! Shared access signature tokens (protocol.md §3.3): build, sign, parse, verify.

use base64::alphabet::STANDARD as STANDARD_ALPHABET;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use sha2::Sha256;

use crate::error::{Error, ErrorKind, Result};
use crate::protocol::property_bag::encode_component;

/// Default token lifetime, seconds.
pub const DEFAULT_TTL_SECS: u64 = 3600;
/// Clock skew edgeHub tolerates past `se`, seconds.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

const TOKEN_PREFIX: &str = "SharedAccessSignature";

/// Decodes keys like the other SDKs do: standard alphabet, padding required, but
/// non-zero trailing bits (`…cd==`) tolerated.
pub(crate) const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD_ALPHABET,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// `{hub}/devices/{d}[/modules/{m}]` (not encoded).
pub fn resource_uri(host_name: &str, device_id: &str, module_id: Option<&str>) -> String {
    match module_id {
        Some(m) => format!("{host_name}/devices/{device_id}/modules/{m}"),
        None => format!("{host_name}/devices/{device_id}"),
    }
}

/// `URLENC(resource_uri) + "\n" + expiry`: the bytes signed (locally or by the workload API).
pub fn string_to_sign(resource_uri: &str, expiry: u64) -> String {
    format!("{}\n{}", encode_component(resource_uri), expiry)
}

/// `base64(HMAC-SHA256(base64decode(key), data))`; a key that is not base64 → `CONFIG`.
pub fn sign(key_base64: &str, data: &[u8]) -> Result<String> {
    let mac = keyed_mac(key_base64)?;
    Ok(finish(mac, data))
}

fn keyed_mac(key_base64: &str) -> Result<Hmac<Sha256>> {
    let key = KEY_BASE64
        .decode(key_base64.trim())
        .map_err(|e| Error::config(format!("SharedAccessKey is not valid base64: {e}")))?;
    if key.is_empty() {
        return Err(Error::config("SharedAccessKey is empty"));
    }
    Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|e| Error::config(format!("SharedAccessKey cannot be used for HMAC: {e}")))
}

fn finish(mut mac: Hmac<Sha256>, data: &[u8]) -> String {
    mac.update(data);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `SharedAccessSignature sr={URLENC(uri)}&sig={URLENC(sig)}&se={expiry}`.
pub fn format_token(resource_uri: &str, signature_base64: &str, expiry: u64) -> String {
    format!(
        "{TOKEN_PREFIX} sr={}&sig={}&se={}",
        encode_component(resource_uri),
        encode_component(signature_base64),
        expiry
    )
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
///
/// Like edgeHub, `sig`, `se` and `skn` are form-decoded (a raw `+` becomes a space, so a
/// signature containing a raw `+` never verifies); `sr` is also kept raw for the HMAC.
/// `se` must be plain decimal digits without leading zeros, so that the HMAC recomputed
/// from [`SasToken::expiry`] covers exactly the transmitted text.
pub fn parse_token(token: &str) -> Result<SasToken> {
    let mut words = token.split_whitespace();
    if words.next() != Some(TOKEN_PREFIX) {
        return Err(unauthorized(
            "the token does not start with 'SharedAccessSignature '",
        ));
    }
    let fields = match (words.next(), words.next()) {
        (Some(fields), None) => fields,
        _ => {
            return Err(unauthorized(
                "the token must be 'SharedAccessSignature <fields>'",
            ))
        }
    };
    let (mut sr, mut sig, mut se, mut skn) = (None, None, None, None);
    for field in fields.split('&').filter(|f| !f.is_empty()) {
        let (name, value) = field
            .split_once('=')
            .ok_or_else(|| unauthorized(format!("token field {field:?} has no '='")))?;
        let slot = match name {
            "sr" => &mut sr,
            "sig" => &mut sig,
            "se" => &mut se,
            "skn" => &mut skn,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(unauthorized(format!("token field {name:?} appears twice")));
        }
    }
    let resource_raw = sr.ok_or_else(|| unauthorized("the token has no 'sr' field"))?;
    let signature = form_decode(sig.ok_or_else(|| unauthorized("the token has no 'sig' field"))?)?;
    let expiry_text = form_decode(se.ok_or_else(|| unauthorized("the token has no 'se' field"))?)?;
    Ok(SasToken {
        resource_raw: resource_raw.to_string(),
        resource: form_decode(resource_raw)?,
        signature,
        expiry: parse_expiry(&expiry_text)?,
        key_name: skn.map(form_decode).transpose()?,
    })
}

fn parse_expiry(text: &str) -> Result<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| unauthorized(format!("token expiry {text:?} is not Unix seconds")))
}

/// `WebUtility.UrlDecode` semantics: `+` → space, then percent-decoding.
fn form_decode(raw: &str) -> Result<String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| unauthorized(format!("token field {raw:?} is not valid UTF-8")))
}

fn unauthorized(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unauthorized, message)
}

/// Recomputes the HMAC over `resource_raw + "\n" + expiry` and compares in constant time.
pub fn verify_signature(token: &SasToken, key_base64: &str) -> bool {
    let Ok(mac) = keyed_mac(key_base64) else {
        return false;
    };
    let data = format!("{}\n{}", token.resource_raw, token.expiry);
    let expected = finish(mac, data.as_bytes());
    constant_time_eq(expected.as_bytes(), token.signature.as_bytes())
}

/// Compares without an early exit, so timing does not reveal the matching prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// True when `now > expiry + skew_secs`.
pub fn is_expired(token: &SasToken, now_unix: u64, skew_secs: u64) -> bool {
    now_unix > token.expiry.saturating_add(skew_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const TOKEN: &str = "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fedge1%2Fmodules%2Ffilter&sig=Z9MVA5MQLovKhLgVFsqEK%2FW9dcjHkN%2BSRB85b1SL0yY%3D&se=1700000000";

    #[test]
    fn reproduces_the_worked_example() {
        let uri = resource_uri("myhub.azure-devices.net", "edge1", Some("filter"));
        let to_sign = string_to_sign(&uri, 1_700_000_000);
        assert_eq!(
            to_sign,
            "myhub.azure-devices.net%2Fdevices%2Fedge1%2Fmodules%2Ffilter\n1700000000"
        );
        let sig = sign(KEY, to_sign.as_bytes()).unwrap();
        assert_eq!(sig, "Z9MVA5MQLovKhLgVFsqEK/W9dcjHkN+SRB85b1SL0yY=");
        assert_eq!(format_token(&uri, &sig, 1_700_000_000), TOKEN);
    }

    #[test]
    fn parses_and_verifies_the_worked_example() {
        let token = parse_token(TOKEN).unwrap();
        assert_eq!(
            token.resource,
            "myhub.azure-devices.net/devices/edge1/modules/filter"
        );
        assert_eq!(token.expiry, 1_700_000_000);
        assert!(verify_signature(&token, KEY));
        assert!(!verify_signature(&token, "AAAA"));
        assert!(!verify_signature(&token, "not base64"));
    }

    #[test]
    fn expiry_honours_skew() {
        let token = parse_token(TOKEN).unwrap();
        assert!(!is_expired(&token, 1_700_000_000, 0));
        assert!(is_expired(&token, 1_700_000_001, 0));
        assert!(!is_expired(&token, 1_700_000_300, MAX_CLOCK_SKEW_SECS));
        assert!(is_expired(&token, 1_700_000_301, MAX_CLOCK_SKEW_SECS));
        let far = SasToken {
            expiry: u64::MAX,
            ..token
        };
        assert!(!is_expired(&far, u64::MAX, MAX_CLOCK_SKEW_SECS));
    }

    #[test]
    fn bad_key_is_config() {
        assert_eq!(sign("%%%", b"x").unwrap_err().kind(), ErrorKind::Config);
        assert_eq!(sign("", b"x").unwrap_err().kind(), ErrorKind::Config);
        assert_eq!(sign("AAAA=", b"x").unwrap_err().kind(), ErrorKind::Config);
        assert_eq!(sign("AA", b"x").unwrap_err().kind(), ErrorKind::Config);
        assert_eq!(sign("cd==", b"x").unwrap(), sign("cQ==", b"x").unwrap());
    }

    #[test]
    fn malformed_tokens_are_unauthorized() {
        for bad in [
            "",
            "sharedaccesssignature sr=a&sig=b&se=1",
            "SharedAccessSignature",
            "SharedAccessSignature sr=a&sig=b",
            "SharedAccessSignature sr=a&se=1",
            "SharedAccessSignature sig=b&se=1",
            "SharedAccessSignature sr=a&sig=b&se=x",
            "SharedAccessSignature sr=a&sig=b&se=01",
            "SharedAccessSignature sr=a&sig=b&se=-1",
            "SharedAccessSignature sr=a&sr=a&sig=b&se=1",
            "SharedAccessSignature sr=a&sig&se=1",
            "SharedAccessSignature sr=a&sig=b&se=1 extra",
        ] {
            assert_eq!(
                parse_token(bad).unwrap_err().kind(),
                ErrorKind::Unauthorized,
                "{bad}"
            );
        }
    }

    #[test]
    fn raw_plus_in_signature_becomes_space_and_fails() {
        let raw_plus = TOKEN.replace("%2B", "+");
        let token = parse_token(&raw_plus).unwrap();
        assert!(token.signature.contains(' '));
        assert!(!verify_signature(&token, KEY));
    }

    #[test]
    fn keeps_skn_and_ignores_unknown_fields() {
        let token = parse_token("SharedAccessSignature sr=h&sig=s&skn=policy&x=y&se=5").unwrap();
        assert_eq!(token.key_name.as_deref(), Some("policy"));
        assert_eq!(token.expiry, 5);
    }
}
