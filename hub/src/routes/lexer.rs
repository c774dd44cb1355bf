//! Tokenizer for the route language.
//!
//! It mirrors the token rules of edgeHub's route grammar: the longest possible token wins
//! and, on a tie, the rule listed first wins. This matters because identifiers may contain
//! characters such as `-`, `+`, `*`, `.`, `!`, `|` and `'`: `a-1` is one identifier, while
//! `a - 1` is a subtraction. Whitespace and `/* … */` comments separate tokens.

/// Kind of a token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LBrace,
    RBrace,
    Select,
    From,
    Where,
    Into,
    /// A complete quoted string; the payload is the unescaped value.
    Str(String),
    /// A string whose closing quote is missing.
    Unterminated,
    Int,
    Hex,
    Real,
    True,
    False,
    Null,
    Undefined,
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    And,
    Or,
    Not,
    Eq,
    Ne,
    NeAlt,
    Le,
    Ge,
    Gt,
    Lt,
    Concat,
    Coalesce,
    /// `$name`: system property, `$`-prefixed application property or `$body.…` query.
    SysProp,
    Ident,
    /// A run of path characters that is not an identifier (e.g. `a[0]`); never valid here.
    QueryPath,
    Unknown,
    Eof,
}

/// One token with its raw text and its position (character index) in the route text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub text: String,
    pub pos: usize,
}

/// Splits `input` into tokens; the last token is always [`Tok::Eof`]. Never fails: characters
/// that start no token become [`Tok::Unknown`] and are reported by the parser.
pub(crate) fn tokenize(input: &str) -> Vec<Token> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < chars.len() {
        let c = chars[pos];
        if is_ws(c) {
            pos += 1;
            continue;
        }
        if let Some(len) = comment_len(&chars, pos) {
            pos += len;
            continue;
        }
        let (tok, len) = longest_token(&chars, pos);
        let text: String = chars[pos..pos + len].iter().collect();
        let tok = match tok {
            Tok::Str(_) => Tok::Str(unescape(&chars[pos + 1..pos + len - 1])),
            other => other,
        };
        tokens.push(Token { tok, text, pos });
        pos += len;
    }
    tokens.push(Token {
        tok: Tok::Eof,
        text: String::new(),
        pos: chars.len(),
    });
    tokens
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Characters allowed in a path after `$` (identifier characters plus `[` and `]`).
fn is_query_path_char(c: char) -> bool {
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
            | '?'
            | '='
            | '{'
            | '}'
            | ' '
            | '\t'
            | '\n'
            | '\r'
    )
}

fn is_id_char(c: char) -> bool {
    is_query_path_char(c) && c != '[' && c != ']'
}

/// `/*` … `*/` (the shortest such span). Without a closing `*/` there is no comment.
fn comment_len(chars: &[char], pos: usize) -> Option<usize> {
    if chars.get(pos) != Some(&'/') || chars.get(pos + 1) != Some(&'*') {
        return None;
    }
    let mut i = pos + 2;
    while i + 1 < chars.len() {
        if chars[i] == '*' && chars[i + 1] == '/' {
            return Some(i + 2 - pos);
        }
        i += 1;
    }
    None
}

/// The token starting at `pos`: every rule's match length is computed in rule order and
/// the first longest one wins.
fn longest_token(chars: &[char], pos: usize) -> (Tok, usize) {
    let (string_len, unterminated_len) = string_lens(chars, pos);
    let fixed = |text: &str, ci: bool| fixed_len(chars, pos, text, ci);
    let run = |f: fn(char) -> bool| chars[pos..].iter().take_while(|c| f(**c)).count();
    let sys_prop_len = if chars[pos] == '$' {
        let rest = chars[pos + 1..]
            .iter()
            .take_while(|c| is_query_path_char(**c))
            .count();
        if rest > 0 {
            rest + 1
        } else {
            0
        }
    } else {
        0
    };
    let candidates: [(Tok, usize); 40] = [
        (Tok::LBrace, fixed("{", false)),
        (Tok::RBrace, fixed("}", false)),
        (Tok::Select, fixed("select", true)),
        (Tok::From, fixed("from", true)),
        (Tok::Where, fixed("where", true)),
        (Tok::Into, fixed("into", true)),
        (Tok::Str(String::new()), string_len),
        (Tok::Unterminated, unterminated_len),
        (Tok::Int, int_len(chars, pos)),
        (Tok::Hex, hex_len(chars, pos)),
        (Tok::Real, real_len(chars, pos)),
        (Tok::True, fixed("true", false)),
        (Tok::False, fixed("false", false)),
        (Tok::Null, fixed("null", false)),
        (Tok::Undefined, fixed("undefined", false)),
        (Tok::LParen, fixed("(", false)),
        (Tok::RParen, fixed(")", false)),
        (Tok::Comma, fixed(",", false)),
        (Tok::Plus, fixed("+", false)),
        (Tok::Minus, fixed("-", false)),
        (Tok::Star, fixed("*", false)),
        (Tok::Slash, fixed("/", false)),
        (Tok::Percent, fixed("%", false)),
        (Tok::And, fixed("and", true)),
        (Tok::Or, fixed("or", true)),
        (Tok::Not, fixed("not", true)),
        (Tok::Eq, fixed("=", false)),
        (Tok::Ne, fixed("!=", false)),
        (Tok::NeAlt, fixed("<>", false)),
        (Tok::Le, fixed("<=", false)),
        (Tok::Ge, fixed(">=", false)),
        (Tok::Gt, fixed(">", false)),
        (Tok::Lt, fixed("<", false)),
        (Tok::Concat, fixed("||", false)),
        (Tok::Coalesce, fixed("??", false)),
        (Tok::SysProp, sys_prop_len),
        (Tok::Ident, run(is_id_char)),
        (Tok::QueryPath, run(is_query_path_char)),
        (Tok::Unknown, 1),
        (Tok::Eof, 0),
    ];
    // Strictly longer replaces, so on a tie the earlier rule stays.
    let mut best = (Tok::Unknown, 0);
    for (tok, len) in candidates {
        if len > best.1 {
            best = (tok, len);
        }
    }
    best
}

fn fixed_len(chars: &[char], pos: usize, text: &str, case_insensitive: bool) -> usize {
    let mut i = pos;
    for expected in text.chars() {
        match chars.get(i) {
            Some(c) if *c == expected => {}
            Some(c) if case_insensitive && c.to_ascii_lowercase() == expected => {}
            _ => return 0,
        }
        i += 1;
    }
    i - pos
}

/// Lengths of a complete string and of an unterminated string starting at `pos` (0 = none).
fn string_lens(chars: &[char], pos: usize) -> (usize, usize) {
    let quote = chars[pos];
    if quote != '"' && quote != '\'' {
        return (0, 0);
    }
    let mut i = pos + 1;
    loop {
        match chars.get(i) {
            None => return (0, i - pos),
            Some(c) if *c == quote => return (i + 1 - pos, i - pos),
            Some('\\') => match escape_len(chars, i) {
                Some(len) => i += len,
                None => return (0, i - pos),
            },
            Some(_) => i += 1,
        }
    }
}

/// A valid escape: `\"`, `\'`, `\\` or `\uXXXX`.
fn escape_len(chars: &[char], i: usize) -> Option<usize> {
    match chars.get(i + 1) {
        Some('"') | Some('\'') | Some('\\') => Some(2),
        Some('u') => {
            let hex = chars
                .get(i + 2..i + 6)?
                .iter()
                .all(|c| c.is_ascii_hexdigit());
            hex.then_some(6)
        }
        _ => None,
    }
}

fn digits(chars: &[char], from: usize) -> usize {
    chars[from.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

fn sign_len(chars: &[char], pos: usize) -> usize {
    usize::from(chars.get(pos) == Some(&'-'))
}

fn int_len(chars: &[char], pos: usize) -> usize {
    let sign = sign_len(chars, pos);
    let n = digits(chars, pos + sign);
    if n == 0 {
        0
    } else {
        sign + n
    }
}

fn hex_len(chars: &[char], pos: usize) -> usize {
    if chars.get(pos) != Some(&'0') || !matches!(chars.get(pos + 1), Some('x') | Some('X')) {
        return 0;
    }
    let n = chars[(pos + 2).min(chars.len())..]
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    if n == 0 {
        0
    } else {
        n + 2
    }
}

/// `-? [0-9]* '.' [0-9]+ EXP?` or `-? [0-9]* EXP`, with `EXP = [Ee] [+-]? [0-9]+`.
fn real_len(chars: &[char], pos: usize) -> usize {
    let mut i = pos + sign_len(chars, pos);
    i += digits(chars, i);
    let mut best = 0;
    if chars.get(i) == Some(&'.') {
        let frac = digits(chars, i + 1);
        if frac > 0 {
            let end = i + 1 + frac;
            best = end + exponent_len(chars, end) - pos;
        }
    }
    let exp = exponent_len(chars, i);
    if exp > 0 {
        best = best.max(i + exp - pos);
    }
    best
}

fn exponent_len(chars: &[char], pos: usize) -> usize {
    if !matches!(chars.get(pos), Some('e') | Some('E')) {
        return 0;
    }
    let sign = usize::from(matches!(chars.get(pos + 1), Some('+') | Some('-')));
    let n = digits(chars, pos + 1 + sign);
    if n == 0 {
        0
    } else {
        1 + sign + n
    }
}

/// Unescapes a string body the way edgeHub does: first `\uXXXX`, then `\"`, `\'`, `\\`.
fn unescape(body: &[char]) -> String {
    let mut units: Vec<u16> = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let hex: Option<String> = body.get(i + 2..i + 6).map(|h| h.iter().collect());
        let unicode = body[i] == '\\'
            && matches!(body.get(i + 1), Some('u') | Some('U'))
            && hex
                .as_deref()
                .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
        if let (true, Some(Ok(unit))) = (unicode, hex.map(|h| u16::from_str_radix(&h, 16))) {
            units.push(unit);
            i += 6;
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(body[i].encode_utf16(&mut buf));
            i += 1;
        }
    }
    let backslash = u16::from(b'\\');
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    let mut j = 0;
    while j < units.len() {
        let next = units.get(j + 1).copied();
        let escapable =
            next.is_some_and(|n| n == u16::from(b'"') || n == u16::from(b'\'') || n == backslash);
        if units[j] == backslash && escapable {
            out.push(next.unwrap_or(backslash));
            j += 2;
        } else {
            out.push(units[j]);
            j += 1;
        }
    }
    String::from_utf16_lossy(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokenize(s).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn identifiers_swallow_operator_characters_without_spaces() {
        assert_eq!(kinds("a-1"), vec![Tok::Ident, Tok::Eof]);
        assert_eq!(
            kinds("a - 1"),
            vec![Tok::Ident, Tok::Minus, Tok::Int, Tok::Eof]
        );
        assert_eq!(kinds("t>30"), vec![Tok::Ident, Tok::Gt, Tok::Int, Tok::Eof]);
    }

    #[test]
    fn ties_go_to_the_earlier_rule() {
        assert_eq!(
            kinds("and AND andy"),
            vec![Tok::And, Tok::And, Tok::Ident, Tok::Eof]
        );
        assert_eq!(kinds("true True"), vec![Tok::True, Tok::Ident, Tok::Eof]);
        assert_eq!(kinds("* *a"), vec![Tok::Star, Tok::Ident, Tok::Eof]);
        assert_eq!(kinds("$a a$"), vec![Tok::SysProp, Tok::Ident, Tok::Eof]);
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("-5 0x1F 1.5e3 .5 e5"),
            vec![
                Tok::Int,
                Tok::Hex,
                Tok::Real,
                Tok::Real,
                Tok::Real,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn strings_and_escapes() {
        let t = tokenize(r#"'it\'s' "a\u0041\\""#);
        assert_eq!(t[0].tok, Tok::Str("it's".into()));
        assert_eq!(t[1].tok, Tok::Str("aA\\".into()));
        assert_eq!(kinds("'open"), vec![Tok::Unterminated, Tok::Eof]);
    }

    #[test]
    fn comments_are_skipped_only_when_closed() {
        assert_eq!(kinds("a /* x */ b"), vec![Tok::Ident, Tok::Ident, Tok::Eof]);
        assert_eq!(kinds("/*"), vec![Tok::Slash, Tok::Star, Tok::Eof]);
    }
}
