//! A strict reader of the Prometheus text exposition format (version 0.0.4): what
//! `edgemodule-hub stats` reads from `/metrics`, and what the tests check the hub's output
//! against. It refuses what Prometheus would refuse (malformed lines, bad escapes, a
//! family described twice, a sample of a family that was declared elsewhere).

use std::collections::HashMap;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Metric name as written (e.g. `edgehub_message_size_bytes_sum`).
    pub name: String,
    /// Labels in the order written.
    pub labels: Vec<(String, String)>,
    /// The value (`NaN`, `+Inf`, `-Inf` allowed).
    pub value: f64,
}

impl Sample {
    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when every `(name, value)` of `filter` is a label of this sample.
    pub fn has(&self, filter: &[(&str, &str)]) -> bool {
        filter.iter().all(|(k, v)| self.label(k) == Some(*v))
    }
}

/// One metric family: its `# HELP`, `# TYPE` and samples.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Family {
    /// Family name.
    pub name: String,
    /// `# HELP` text (unescaped), if given.
    pub help: Option<String>,
    /// `# TYPE`: counter, gauge, summary, histogram or untyped, if given.
    pub kind: Option<String>,
    /// The samples, in order.
    pub samples: Vec<Sample>,
}

/// A whole exposition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exposition {
    /// Families in the order they first appear.
    pub families: Vec<Family>,
}

/// Why a text is not a valid exposition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

impl Exposition {
    /// The family named `name`.
    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.name == name)
    }

    /// Every sample named exactly `name` (a family's own series, or `…_sum`/`…_count`).
    pub fn samples<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.families
            .iter()
            .flat_map(|f| f.samples.iter())
            .filter(move |s| s.name == name)
    }

    /// Sum of the samples named `name` whose labels include `filter`.
    pub fn sum(&self, name: &str, filter: &[(&str, &str)]) -> f64 {
        self.samples(name)
            .filter(|s| s.has(filter))
            .map(|s| s.value)
            .sum()
    }
}

/// Parses `text`.
pub fn parse(text: &str) -> Result<Exposition, ParseError> {
    let mut out = Exposition::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    // The family samples are being written for; a family's lines must be contiguous.
    let mut current: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let err = |message: String| ParseError {
            line: n + 1,
            message,
        };
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.trim_start().splitn(3, ' ');
            let keyword = parts.next().unwrap_or("");
            if keyword != "HELP" && keyword != "TYPE" {
                continue;
            }
            let name = parts.next().unwrap_or("");
            check_name(name).map_err(&err)?;
            let rest = parts.next().unwrap_or("");
            let i = family_index(&mut out, &mut index, name);
            if current.is_some_and(|c| c != i) && !out.families[i].samples.is_empty() {
                return Err(err(format!(
                    "{name}: described after other families' samples"
                )));
            }
            let family = &mut out.families[i];
            if keyword == "HELP" {
                if family.help.is_some() {
                    return Err(err(format!("{name}: second HELP")));
                }
                family.help = Some(unescape(rest, false).map_err(&err)?);
            } else {
                if family.kind.is_some() {
                    return Err(err(format!("{name}: second TYPE")));
                }
                if !family.samples.is_empty() {
                    return Err(err(format!("{name}: TYPE after its samples")));
                }
                let kind = rest.trim();
                if !matches!(
                    kind,
                    "counter" | "gauge" | "summary" | "histogram" | "untyped"
                ) {
                    return Err(err(format!("{name}: unknown type '{kind}'")));
                }
                family.kind = Some(kind.to_string());
            }
            current = Some(i);
            continue;
        }
        let sample = parse_sample(line).map_err(&err)?;
        let owner = owner_of(&out, &index, &sample.name);
        let i = match owner {
            Some(i) => i,
            None => family_index(&mut out, &mut index, &sample.name),
        };
        if current.is_some_and(|c| c != i) && !out.families[i].samples.is_empty() {
            return Err(err(format!(
                "{}: samples of one family must be contiguous",
                sample.name
            )));
        }
        current = Some(i);
        out.families[i].samples.push(sample);
    }
    Ok(out)
}

fn family_index(out: &mut Exposition, index: &mut HashMap<String, usize>, name: &str) -> usize {
    if let Some(&i) = index.get(name) {
        return i;
    }
    out.families.push(Family {
        name: name.to_string(),
        ..Family::default()
    });
    index.insert(name.to_string(), out.families.len() - 1);
    out.families.len() - 1
}

/// The family a sample belongs to: its own name, or a summary/histogram it is part of.
fn owner_of(out: &Exposition, index: &HashMap<String, usize>, name: &str) -> Option<usize> {
    if let Some(&i) = index.get(name) {
        return Some(i);
    }
    for suffix in ["_sum", "_count", "_bucket"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if let Some(&i) = index.get(base) {
                let kind = out.families[i].kind.as_deref();
                let fits = match suffix {
                    "_bucket" => kind == Some("histogram"),
                    _ => matches!(kind, Some("summary" | "histogram")),
                };
                if fits {
                    return Some(i);
                }
            }
        }
    }
    None
}

fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        Ok(())
    } else {
        Err(format!("'{name}' is not a metric name"))
    }
}

fn check_label_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!("'{name}' is not a label name"))
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(['{', ' '])
        .ok_or_else(|| format!("'{line}' has no value"))?;
    let name = &line[..name_end];
    check_name(name)?;
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        let (parsed, tail) = parse_labels(after)?;
        labels = parsed;
        rest = tail;
    }
    let mut fields = rest.split_whitespace();
    let value = fields.next().ok_or_else(|| format!("{name}: no value"))?;
    let value = parse_value(value).ok_or_else(|| format!("{name}: '{value}' is not a number"))?;
    if let Some(ts) = fields.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("{name}: '{ts}' is not a timestamp"))?;
    }
    if fields.next().is_some() {
        return Err(format!("{name}: text after the value"));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, _) in &labels {
        if !seen.insert(k.as_str()) {
            return Err(format!("{name}: label {k} twice"));
        }
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

type Labels = Vec<(String, String)>;

/// Parses `k="v",…}`; returns the labels and what follows the `}`.
fn parse_labels(mut s: &str) -> Result<(Labels, &str), String> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start();
        if let Some(tail) = s.strip_prefix('}') {
            return Ok((labels, tail));
        }
        let eq = s.find('=').ok_or("label without '='")?;
        let key = s[..eq].trim();
        check_label_name(key)?;
        s = s[eq + 1..].trim_start();
        let body = s
            .strip_prefix('"')
            .ok_or(format!("label {key}: value not quoted"))?;
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or(format!("label {key}: unterminated value"))?;
        labels.push((key.to_string(), unescape(&body[..end], true)?));
        s = body[end + 1..].trim_start();
        if let Some(tail) = s.strip_prefix(',') {
            s = tail;
        } else if !s.starts_with('}') {
            return Err(format!("label {key}: expected ',' or '}}'"));
        }
    }
}

fn unescape(s: &str, label: bool) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if label => out.push('"'),
            other => {
                return Err(format!(
                    "bad escape '\\{}'",
                    other.map(String::from).unwrap_or_default()
                ))
            }
        }
    }
    Ok(out)
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse::<f64>().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_families_and_summary_parts() {
        let text = "# HELP a_total Things.\n# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"\\\\\\n\"} 3\n\n\
                    # HELP s Sizes\n# TYPE s summary\ns{quantile=\"0.5\"} 2\ns_sum 10\ns_count 4\n";
        let e = parse(text).unwrap();
        assert_eq!(e.families.len(), 2);
        let a = e.family("a_total").unwrap();
        assert_eq!(a.kind.as_deref(), Some("counter"));
        assert_eq!(a.samples[0].label("y"), Some("q\"\\\n"));
        assert_eq!(e.family("s").unwrap().samples.len(), 3);
        assert_eq!(e.sum("s_count", &[]), 4.0);
        assert_eq!(e.sum("a_total", &[("x", "1")]), 3.0);
    }

    #[test]
    fn refuses_malformed_text() {
        for bad in [
            "a{x=\"1\" 3\n",
            "a{x=1} 3\n",
            "a 3 4 5\n",
            "a x\n",
            "# TYPE a counter\n# TYPE a gauge\n",
            "# TYPE a wrong\n",
            "a{x=\"\\q\"} 1\n",
            "a{x=\"1\",x=\"2\"} 1\n",
            "a 1\nb 2\na 3\n",
            "1a 3\n",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
