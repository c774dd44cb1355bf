//! Number parsing for `as_number`, following .NET's `double.TryParse` with
//! `NumberStyles.Any` and the invariant culture (what edgeHub uses): surrounding white
//! space, a leading or trailing sign, parentheses for negative numbers, `,` group
//! separators in the integer part, a `.` decimal point, an exponent, the `¤` currency sign,
//! and the words Infinity / NaN.

/// Parses `s`; `None` if it is not a number. Overflow gives ±infinity, like .NET.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| matches!(c, ' ' | '\t'..='\r'));
    let (negative_parens, t) = match t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        Some(inner) => (true, inner),
        None => (false, t),
    };
    let t = t.trim_start_matches('¤').trim_end_matches('¤');
    let (sign, t) = split_sign(t)?;
    if negative_parens && sign.is_some() {
        return None;
    }
    let negative = negative_parens || sign == Some('-');
    let magnitude = special(t).or_else(|| plain_number(t))?;
    Some(if negative { -magnitude } else { magnitude })
}

/// A single leading or trailing `+`/`-`.
fn split_sign(t: &str) -> Option<(Option<char>, &str)> {
    let lead = t.chars().next().filter(|c| *c == '+' || *c == '-');
    let trail = t.chars().last().filter(|c| *c == '+' || *c == '-');
    match (lead, trail) {
        (Some(c), _) => {
            let rest = &t[1..];
            let again = rest.ends_with(['+', '-']);
            (!again).then_some((Some(c), rest))
        }
        (None, Some(c)) => Some((Some(c), &t[..t.len() - 1])),
        (None, None) => Some((None, t)),
    }
}

fn special(t: &str) -> Option<f64> {
    match t.to_ascii_lowercase().as_str() {
        "infinity" | "∞" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    }
}

/// `digits[,digits…][.digits][e[+-]digits]` with at least one digit in the mantissa.
fn plain_number(t: &str) -> Option<f64> {
    let mut clean = String::with_capacity(t.len());
    let mut chars = t.chars().peekable();
    let mut mantissa_digits = 0;
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            mantissa_digits += 1;
            clean.push(c);
        } else if c == ',' && mantissa_digits > 0 {
            // group separator: ignored
        } else {
            break;
        }
        chars.next();
    }
    if chars.peek() == Some(&'.') {
        chars.next();
        clean.push('.');
        while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit()) {
            mantissa_digits += 1;
            clean.push(c);
            chars.next();
        }
    }
    if mantissa_digits == 0 {
        return None;
    }
    if let Some(&e) = chars.peek().filter(|c| **c == 'e' || **c == 'E') {
        chars.next();
        clean.push(e);
        if let Some(&s) = chars.peek().filter(|c| **c == '+' || **c == '-') {
            clean.push(s);
            chars.next();
        }
        let mut exp_digits = 0;
        while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit()) {
            exp_digits += 1;
            clean.push(c);
            chars.next();
        }
        if exp_digits == 0 {
            return None;
        }
    }
    if chars.next().is_some() {
        return None;
    }
    if clean.starts_with('.') {
        clean.insert(0, '0');
    }
    if clean.ends_with('.') {
        clean.push('0');
    }
    clean.replace(".e", ".0e").replace(".E", ".0E").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn dotnet_number_styles() {
        assert_eq!(parse_number("3"), Some(3.0));
        assert_eq!(parse_number(" -2.5 "), Some(-2.5));
        assert_eq!(parse_number("1,000.5"), Some(1000.5));
        assert_eq!(parse_number("(4)"), Some(-4.0));
        assert_eq!(parse_number("5-"), Some(-5.0));
        assert_eq!(parse_number("10e1000"), Some(f64::INFINITY));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("5."), Some(5.0));
        assert_eq!(parse_number("Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_number("value1"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("-"), None);
        assert_eq!(parse_number("1e"), None);
        assert_eq!(parse_number("+-1"), None);
        assert_eq!(parse_number("0x10"), None);
    }
}
