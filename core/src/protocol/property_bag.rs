//! The MQTT topic property bag `key=value&key=value` (protocol.md §4.2).

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Error, Result};

/// Everything except the RFC 3986 unreserved characters `A-Za-z0-9-._~` is encoded.
/// The same set serves SAS tokens and username query values (full percent-encoding).
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one key or value: RFC 3986 unreserved characters (`A-Za-z0-9-._~`) kept,
/// everything else `%XX` upper-case (space → `%20`, `$` → `%24`).
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Encodes pairs in the given order; a `None` value is emitted as a bare `key`.
pub fn encode<'a, I>(pairs: I) -> String
where
    I: IntoIterator<Item = (&'a str, Option<&'a str>)>,
{
    let mut out = String::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_component(key));
        if let Some(value) = value {
            out.push('=');
            out.push_str(&encode_component(value));
        }
    }
    out
}

/// Decodes a bag: split on `&`, key up to the first `=`, percent-decode both (`+` stays `+`).
/// No `=` → `None`; `key=` → `Some("")`; a second `=` in a value, a `/`, or invalid UTF-8
/// after decoding → `PROTOCOL` error. An empty bag → no pairs.
///
/// Empty segments (`a=1&&b=2`, a trailing `&`) are skipped; an empty key before `=` is a
/// `PROTOCOL` error. Malformed `%` escapes are kept literally, as edgeHub does.
pub fn decode(bag: &str) -> Result<Vec<(String, Option<String>)>> {
    if bag.contains('/') {
        return Err(Error::protocol(format!(
            "property bag {bag:?} contains a '/'; encode it as %2F"
        )));
    }
    let mut pairs = Vec::new();
    for segment in bag.split('&').filter(|s| !s.is_empty()) {
        let (raw_key, raw_value) = match segment.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (segment, None),
        };
        if raw_key.is_empty() {
            return Err(Error::protocol(format!(
                "property bag {bag:?} has a value without a key"
            )));
        }
        if raw_value.is_some_and(|v| v.contains('=')) {
            return Err(Error::protocol(format!(
                "property bag {bag:?}: value of {raw_key:?} contains an unencoded '='"
            )));
        }
        let key = decode_utf8(raw_key, bag)?;
        let value = raw_value.map(|v| decode_utf8(v, bag)).transpose()?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

fn decode_utf8(raw: &str, bag: &str) -> Result<String> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            Error::protocol(format!(
                "property bag {bag:?}: {raw:?} is not valid UTF-8 after percent-decoding"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn pair(k: &str, v: Option<&str>) -> (String, Option<String>) {
        (k.to_string(), v.map(str::to_string))
    }

    #[test]
    fn encodes_reserved_and_keeps_unreserved() {
        assert_eq!(encode_component("aZ09-._~"), "aZ09-._~");
        assert_eq!(encode_component("$.mid"), "%24.mid");
        assert_eq!(encode_component("a b+c/d=e&f%"), "a%20b%2Bc%2Fd%3De%26f%25");
        assert_eq!(encode_component("é"), "%C3%A9");
        assert_eq!(encode_component(""), "");
    }

    #[test]
    fn encodes_none_as_bare_key_and_empty_as_key_equals() {
        let bag = encode([("a", None), ("b", Some("")), ("c", Some("1"))]);
        assert_eq!(bag, "a&b=&c=1");
        assert_eq!(encode(std::iter::empty()), "");
    }

    #[test]
    fn decodes_bare_key_empty_value_and_plus() {
        assert_eq!(
            decode("a&b=&c=x+y").unwrap(),
            vec![pair("a", None), pair("b", Some("")), pair("c", Some("x+y"))]
        );
        assert_eq!(decode("").unwrap(), vec![]);
        assert_eq!(decode("&a=1&&").unwrap(), vec![pair("a", Some("1"))]);
    }

    #[test]
    fn decodes_raw_and_encoded_dollar_keys_alike() {
        assert_eq!(decode("$.mid=1").unwrap(), decode("%24.mid=1").unwrap());
    }

    #[test]
    fn keeps_malformed_escapes_literally() {
        assert_eq!(decode("a=%zz%").unwrap(), vec![pair("a", Some("%zz%"))]);
    }

    #[test]
    fn rejects_structural_errors() {
        for bad in ["a=b=c", "a/b=c", "=v", "a=%FF", "%C3=1"] {
            let err = decode(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{bad}");
        }
    }
}
