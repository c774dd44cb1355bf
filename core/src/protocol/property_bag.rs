//! The MQTT topic property bag `key=value&key=value` (protocol.md §4.2).

use crate::error::Result;

/// Percent-encodes one key or value: RFC 3986 unreserved characters (`A-Za-z0-9-._~`) kept,
/// everything else `%XX` upper-case (space → `%20`, `$` → `%24`).
pub fn encode_component(s: &str) -> String {
    let _ = s;
    todo!()
}

/// Encodes pairs in the given order; a `None` value is emitted as a bare `key`.
pub fn encode<'a, I>(pairs: I) -> String
where
    I: IntoIterator<Item = (&'a str, Option<&'a str>)>,
{
    let _ = pairs.into_iter();
    todo!()
}

/// Decodes a bag: split on `&`, key up to the first `=`, percent-decode both (`+` stays `+`).
/// No `=` → `None`; `key=` → `Some("")`; a second `=` in a value, a `/`, or invalid UTF-8
/// after decoding → `PROTOCOL` error. An empty bag → no pairs.
pub fn decode(bag: &str) -> Result<Vec<(String, Option<String>)>> {
    let _ = bag;
    todo!()
}
