//! Route sinks: `$upstream` and `BrokeredEndpoint("/modules/{m}/inputs/{i}")`.

use super::error::RouteError;
use super::lexer::Tok;
use super::parser::Parser;

/// Where a route delivers messages.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sink {
    /// `$upstream`: IoT Hub (here: the hub's upstream queue).
    Upstream,
    /// `BrokeredEndpoint("/modules/{module_id}/inputs/{input}")`: a module input.
    Module {
        /// Target module id.
        module_id: String,
        /// Target input name.
        input: String,
    },
}

/// Parses the sink after `INTO`.
pub(crate) fn parse_sink(p: &mut Parser) -> Result<Sink, RouteError> {
    let token = p.bump();
    match token.tok {
        Tok::SysProp if token.text.eq_ignore_ascii_case("$upstream") => Ok(Sink::Upstream),
        Tok::SysProp => Err(RouteError::at(
            token.pos,
            format!(
                "unsupported system endpoint '{}': expected $upstream",
                token.text
            ),
        )),
        Tok::Ident => {
            if !token.text.eq_ignore_ascii_case("BrokeredEndpoint") {
                return Err(RouteError::at(
                    token.pos,
                    format!(
                        "unsupported endpoint function '{}': expected BrokeredEndpoint",
                        token.text
                    ),
                ));
            }
            p.expect(&Tok::LParen, "'(' after BrokeredEndpoint")?;
            let arg = p.bump();
            let Tok::Str(_) = arg.tok else {
                return Err(RouteError::expected(
                    "a quoted address like \"/modules/{module}/inputs/{input}\"",
                    &arg,
                ));
            };
            p.expect(&Tok::RParen, "')' closing BrokeredEndpoint")?;
            // edgeHub uses the text between the quotes as is (no unescaping).
            let chars: Vec<char> = arg.text.chars().collect();
            let address: String = chars[1..chars.len() - 1].iter().collect();
            module_address(&address).map_err(|m| RouteError::at(arg.pos, m))
        }
        _ => Err(RouteError::expected(
            "a sink ($upstream or BrokeredEndpoint(\"/modules/{module}/inputs/{input}\"))",
            &token,
        )),
    }
}

/// `/modules/{m}/inputs/{i}`: surrounding whitespace and one leading and one trailing `/`
/// are removed, then the address must have exactly four segments. Like edgeHub, only the
/// module (second) and input (fourth) segments are used; they must not be empty.
fn module_address(address: &str) -> Result<Sink, String> {
    let trimmed = address.trim();
    let trimmed = trimmed.strip_prefix('/').unwrap_or(trimmed);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let parts: Vec<&str> = trimmed.split('/').collect();
    match parts.as_slice() {
        [_, module, _, input] if !module.is_empty() && !input.is_empty() => Ok(Sink::Module {
            module_id: (*module).to_string(),
            input: (*input).to_string(),
        }),
        _ => Err(format!(
            "invalid BrokeredEndpoint address \"{address}\": expected \"/modules/{{module}}/inputs/{{input}}\""
        )),
    }
}
