//! The MQTT topic property bag `key=value&key=value` (protocol.md §4.2).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

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
/// No `=` → `None`; `key=` → `Some("")`; a second `=` in a value or a `/` → `PROTOCOL`
/// error. An empty bag → no pairs.
///
/// Empty segments (`a=1&&b=2`, a trailing `&`) are skipped; an empty key before `=` is a
/// `PROTOCOL` error.
///
/// Escapes follow one rule, edgeHub's (`Uri.UnescapeDataString`, protocol.md §4.2): a `%XX`
/// escape is decoded when the bytes it forms are UTF-8 (so `%00` is U+0000); anything else —
/// `%ZZ`, a lone `%`, a truncated `%4`, or escapes of bytes that are not UTF-8 such as `%FF`
/// — is kept as written. No escape ever makes a bag an error.
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
        pairs.push((unescape(raw_key), raw_value.map(unescape)));
    }
    Ok(pairs)
}

/// Percent-decodes `raw` with the rule of [`decode`].
pub fn unescape(raw: &str) -> String {
    if !raw.contains('%') {
        return raw.to_string();
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        // Copy the text up to the next '%' as it is.
        let next = raw[i..].find('%').map_or(bytes.len(), |n| i + n);
        out.push_str(&raw[i..next]);
        i = next;
        if i >= bytes.len() {
            break;
        }
        // A run of well-formed escapes, decoded together (a character may span several).
        let start = i;
        let mut run = Vec::new();
        while let Some(byte) = escaped_byte(bytes, i) {
            run.push(byte);
            i += 3;
        }
        if run.is_empty() {
            out.push('%');
            i += 1;
            continue;
        }
        let mut at = 0;
        for chunk in run.utf8_chunks() {
            out.push_str(chunk.valid());
            at += chunk.valid().len();
            // Bytes that are not UTF-8 stay as the escapes they were written as.
            let bad = chunk.invalid().len();
            out.push_str(&raw[start + 3 * at..start + 3 * (at + bad)]);
            at += bad;
        }
    }
    out
}

/// The byte of a `%XX` escape at `i`, if there is one.
fn escaped_byte(bytes: &[u8], i: usize) -> Option<u8> {
    match bytes.get(i..i + 3)? {
        [b'%', hi, lo] => {
            let hex = |b: u8| (b as char).to_digit(16);
            Some((hex(*hi)? * 16 + hex(*lo)?) as u8)
        }
        _ => None,
    }
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
    fn one_rule_for_escapes() {
        assert_eq!(unescape("%ZZ"), "%ZZ");
        assert_eq!(unescape("%00"), "\u{0}");
        assert_eq!(unescape("%FF"), "%FF");
        assert_eq!(unescape("%ff%41"), "%ffA");
        assert_eq!(unescape("%C3"), "%C3");
        assert_eq!(unescape("%C3%A9%"), "é%");
        assert_eq!(unescape("x%E2%82"), "x%E2%82");
        assert_eq!(unescape("%E2%82%AC%E2"), "€%E2");
        assert_eq!(unescape("a%4"), "a%4");
        assert_eq!(unescape("é%20é"), "é é");
        assert_eq!(decode("%C3=1").unwrap(), vec![pair("%C3", Some("1"))]);
    }

    #[test]
    fn rejects_structural_errors() {
        for bad in ["a=b=c", "a/b=c", "=v"] {
            let err = decode(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{bad}");
        }
    }
}
