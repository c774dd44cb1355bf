//! `$body` queries: path syntax, body decoding and JSON lookup (protocol.md §8.3).

use serde_json::Value as Json;

use super::value::Value;
use super::RouteInput;

/// A validated body path such as `message.Weather.PrevTemperatures[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyPath {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    name: String,
    indices: Vec<u64>,
}

/// Characters not allowed in a path segment name.
fn is_name_char(c: char) -> bool {
    !matches!(
        c,
        '(' | ')'
            | '<'
            | '>'
            | '@'
            | ','
            | ';'
            | ':'
            | '\\'
            | '"'
            | '/'
            | '['
            | ']'
            | '?'
            | '='
            | '{'
            | '}'
            | '.'
            | ' '
            | '\t'
            | '\n'
            | '\r'
    )
}

impl BodyPath {
    /// Parses `name([digits])*(.name([digits])*)*`; the error names the problem.
    pub(crate) fn parse(path: &str) -> Result<BodyPath, String> {
        if path.is_empty() {
            return Err("$body query cannot be empty".into());
        }
        let mut segments = Vec::new();
        for part in path.split('.') {
            segments.push(
                parse_segment(part).map_err(|e| format!("invalid $body path '{path}': {e}"))?,
            );
        }
        Ok(BodyPath { segments })
    }

    /// Case-insensitive prefix check on the path text (twin_change_includes).
    pub(crate) fn starts_with_any(&self, prefixes: &[&str]) -> bool {
        let text = self.to_string().to_lowercase();
        prefixes.iter().any(|p| text.starts_with(p))
    }

    /// Looks the path up in a JSON document; `None` if any step is missing.
    pub(crate) fn lookup<'a>(&self, root: &'a Json) -> Option<&'a Json> {
        let mut current = root;
        for segment in &self.segments {
            current = current.as_object()?.get(&segment.name)?;
            for index in &segment.indices {
                let index = usize::try_from(*index).ok()?;
                current = current.as_array()?.get(index)?;
            }
        }
        Some(current)
    }
}

impl std::fmt::Display for BodyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(&s.name)?;
            for index in &s.indices {
                write!(f, "[{index}]")?;
            }
        }
        Ok(())
    }
}

fn parse_segment(part: &str) -> Result<Segment, String> {
    let name_len = part.chars().take_while(|c| is_name_char(*c)).count();
    let name: String = part.chars().take(name_len).collect();
    if name.is_empty() {
        return Err("empty property name".into());
    }
    let mut rest: &str = &part[name.len()..];
    let mut indices = Vec::new();
    while !rest.is_empty() {
        let inner = rest
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .filter(|(digits, _)| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()));
        let Some((digits, after)) = inner else {
            return Err(format!(
                "unexpected '{rest}' after '{name}' (expected [index] or '.')"
            ));
        };
        indices.push(digits.parse::<u64>().unwrap_or(u64::MAX));
        rest = after;
    }
    Ok(Segment { name, indices })
}

/// The message body as a JSON object, if `$body` queries are possible for it: content type
/// exactly `application/json` (any case, no parameters), content encoding utf-8, utf-16 or
/// utf-32 (any case), and a body that parses as a JSON object.
pub(crate) fn parse_body(msg: &dyn RouteInput) -> Option<Json> {
    let content_type = msg.system_property("contentType")?;
    if !content_type.eq_ignore_ascii_case("application/json") {
        return None;
    }
    let encoding = msg.system_property("contentEncoding")?.to_ascii_lowercase();
    let text = decode(msg.body(), &encoding)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match serde_json::from_str::<Json>(text) {
        Ok(json @ Json::Object(_)) => Some(json),
        _ => None,
    }
}

/// Decodes with .NET's meaning of the names: utf-16 and utf-32 are little-endian.
fn decode(bytes: &[u8], encoding: &str) -> Option<String> {
    match encoding {
        "utf-8" => Some(String::from_utf8_lossy(bytes).into_owned()),
        "utf-16" => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        "utf-32" => Some(
            bytes
                .chunks(4)
                .map(|c| {
                    let mut b = [0u8; 4];
                    b[..c.len()].copy_from_slice(c);
                    char::from_u32(u32::from_le_bytes(b)).unwrap_or('\u{fffd}')
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The value of a `$body` query. A missing path is `null` (so `$body.missing = null` is
/// true); objects and arrays are undefined; strings that edgeHub's JSON reader turns into
/// dates (ISO 8601 `yyyy-MM-ddTHH:mm:ss…`) are undefined too, as in edgeHub.
pub(crate) fn query_value(found: Option<&Json>) -> Value {
    match found {
        None | Some(Json::Null) => Value::Null,
        Some(Json::Bool(b)) => Value::Bool(*b),
        Some(Json::Number(n)) => n.as_f64().map_or(Value::Undefined, Value::num),
        Some(Json::String(s)) if looks_like_date(s) => Value::Undefined,
        Some(Json::String(s)) => Value::Str(s.clone()),
        Some(Json::Array(_)) | Some(Json::Object(_)) => Value::Undefined,
    }
}

/// ISO 8601 date-time as recognised by edgeHub's JSON reader (Newtonsoft's default date
/// handling): `yyyy-MM-ddTHH:mm:ss`, optional fraction (1-7 digits), optional `Z` or
/// `±HH:mm` / `±HHmm` / `±HH`; or the `/Date(ms)/` form.
fn looks_like_date(s: &str) -> bool {
    if let Some(inner) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        let inner = inner.strip_prefix('-').unwrap_or(inner);
        let digits = inner.chars().take_while(|c| c.is_ascii_digit()).count();
        let zone = &inner[digits..];
        return digits > 0
            && (zone.is_empty()
                || (zone.len() == 5
                    && (zone.starts_with('+') || zone.starts_with('-'))
                    && zone[1..].chars().all(|c| c.is_ascii_digit())));
    }
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        let part = s.get(from..to)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(0, 4),
        num(5, 7),
        num(8, 10),
        num(11, 13),
        num(14, 16),
        num(17, 19),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if year == 0 || day == 0 || day > days || hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 7 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2] => h1.is_ascii_digit() && h2.is_ascii_digit(),
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(BodyPath::parse("a.b[0].c").is_ok());
        assert!(BodyPath::parse("a[0][1]").is_ok());
        assert!(BodyPath::parse("").is_err());
        assert!(BodyPath::parse("a..b").is_err());
        assert!(BodyPath::parse("a[]").is_err());
        assert!(BodyPath::parse("a[1:2]").is_err());
        assert!(BodyPath::parse("a[0]b").is_err());
    }

    #[test]
    fn dates() {
        assert!(looks_like_date("2017-03-09T00:00:00.000Z"));
        assert!(looks_like_date("2017-03-09T00:00:00+01:00"));
        assert!(!looks_like_date("2017-02-30T00:00:00"));
        assert!(!looks_like_date("2017-03-09"));
        assert!(!looks_like_date("hello world, this is long"));
    }
}
