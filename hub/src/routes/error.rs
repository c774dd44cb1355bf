//! Route errors.

use super::lexer::{Tok, Token};

/// Why a route could not be parsed or type-checked.
///
/// `position` is a character index (0-based) into the route text; the message repeats it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError {
    /// Human-readable description naming what was expected and where.
    pub message: String,
    /// Character index of the offending token, when known.
    pub position: Option<usize>,
}

impl RouteError {
    /// An error at `pos`; the position is appended to the message.
    pub(crate) fn at(pos: usize, message: impl Into<String>) -> RouteError {
        RouteError {
            message: format!("{} (at position {pos})", message.into()),
            position: Some(pos),
        }
    }

    /// "expected X, found Y" at the token's position.
    pub(crate) fn expected(what: &str, found: &Token) -> RouteError {
        RouteError::at(
            found.pos,
            format!("expected {what}, found {}", describe(found)),
        )
    }
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RouteError {}

/// A token as shown in error messages.
pub(crate) fn describe(token: &Token) -> String {
    match token.tok {
        Tok::Eof => "the end of the route".to_string(),
        _ => format!("'{}'", token.text),
    }
}
