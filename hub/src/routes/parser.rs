//! Recursive-descent parser: `[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>`.
//!
//! Operator precedence follows edgeHub's grammar, highest first: prefix `-` and `NOT`;
//! `* / %`; `+ - ||`; `< <= > >=`; `= != <>`; `AND`; `OR`; `??`. All binary operators are
//! left-associative. Because prefix operators bind tightest, `NOT a = b` means
//! `(NOT a) = b`, exactly as in edgeHub; write `NOT (a = b)`.

use super::ast::{BinOp, Literal, Node, NodeKind};
use super::error::{describe, RouteError};
use super::lexer::{tokenize, Tok, Token};
use super::sink::{self, Sink};

/// Deepest allowed nesting of parentheses, prefix operators and call arguments (bounds the
/// parser's own recursion).
const MAX_NESTING: usize = 64;

/// Highest allowed condition tree (long `a OR b OR …` chains grow it by one per operator);
/// keeps the checker and evaluator far from the stack limit.
const MAX_DEPTH: usize = 512;

/// The pieces of a route as written.
#[derive(Debug)]
pub(crate) struct ParsedRoute {
    /// Source path with whitespace removed, e.g. `/messages/modules/m/*`.
    pub source: String,
    pub condition: Option<Node>,
    pub sink: Sink,
}

/// Binary operator levels, lowest precedence first.
const LEVELS: &[&[(Tok, BinOp)]] = &[
    &[(Tok::Coalesce, BinOp::Coalesce)],
    &[(Tok::Or, BinOp::Or)],
    &[(Tok::And, BinOp::And)],
    &[
        (Tok::Eq, BinOp::Eq),
        (Tok::Ne, BinOp::Ne),
        (Tok::NeAlt, BinOp::NeAlt),
    ],
    &[
        (Tok::Lt, BinOp::Lt),
        (Tok::Le, BinOp::Le),
        (Tok::Gt, BinOp::Gt),
        (Tok::Ge, BinOp::Ge),
    ],
    &[
        (Tok::Plus, BinOp::Add),
        (Tok::Minus, BinOp::Sub),
        (Tok::Concat, BinOp::Concat),
    ],
    &[
        (Tok::Star, BinOp::Mul),
        (Tok::Slash, BinOp::Div),
        (Tok::Percent, BinOp::Mod),
    ],
];

/// Parses a whole route.
pub(crate) fn parse_route_text(text: &str) -> Result<ParsedRoute, RouteError> {
    let mut p = Parser {
        tokens: tokenize(text),
        i: 0,
        nesting: 0,
    };
    p.route()
}

pub(crate) struct Parser {
    tokens: Vec<Token>,
    i: usize,
    /// Active `unary` frames: every parenthesis, prefix operator and call argument adds one.
    nesting: usize,
}

impl Parser {
    pub(crate) fn peek(&self) -> &Token {
        // tokenize() always ends with Eof, and `i` never moves past it.
        &self.tokens[self.i.min(self.tokens.len() - 1)]
    }

    pub(crate) fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::Eof {
            self.i += 1;
        }
        token
    }

    pub(crate) fn eat(&mut self, tok: &Tok) -> bool {
        if &self.peek().tok == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, tok: &Tok, what: &str) -> Result<Token, RouteError> {
        if &self.peek().tok == tok {
            Ok(self.bump())
        } else {
            Err(RouteError::expected(what, self.peek()))
        }
    }

    fn route(&mut self) -> Result<ParsedRoute, RouteError> {
        if self.peek().tok == Tok::Eof {
            return Err(RouteError::at(0, "empty route: expected FROM"));
        }
        if self.eat(&Tok::Select) {
            self.expect(&Tok::Star, "'*' after SELECT")?;
        }
        self.expect(&Tok::From, "FROM")?;
        let source = self.source()?;
        let condition = if self.eat(&Tok::Where) {
            let condition = self.expr(0)?;
            self.after_condition()?;
            Some(condition)
        } else {
            None
        };
        let what = if condition.is_some() {
            "INTO"
        } else {
            "WHERE or INTO after the source"
        };
        self.expect(&Tok::Into, what)?;
        let sink = sink::parse_sink(self)?;
        let end = self.peek();
        if end.tok != Tok::Eof {
            return Err(RouteError::expected(
                "the end of the route after the sink",
                end,
            ));
        }
        Ok(ParsedRoute {
            source,
            condition,
            sink,
        })
    }

    /// `/item(/item)*`, item = `*` or an identifier.
    fn source(&mut self) -> Result<String, RouteError> {
        let mut source = String::new();
        loop {
            self.expect(&Tok::Slash, "'/' starting the source path")?;
            let item = self.peek().clone();
            match item.tok {
                Tok::Star | Tok::Ident => {
                    self.bump();
                    source.push('/');
                    source.push_str(&item.text);
                }
                _ => return Err(RouteError::expected("a source path segment or '*'", &item)),
            }
            if self.peek().tok != Tok::Slash {
                return Ok(source);
            }
        }
    }

    /// Explains what went wrong when a condition is followed by something other than INTO.
    fn after_condition(&self) -> Result<(), RouteError> {
        let next = self.peek();
        match next.tok {
            Tok::Into => Ok(()),
            Tok::Eof => Err(RouteError::expected("INTO", next)),
            Tok::RParen => Err(RouteError::at(next.pos, "unmatched closing ')'")),
            Tok::Unknown => Err(invalid_symbol(next)),
            _ => Err(RouteError::expected("an operator or INTO", next)),
        }
    }

    fn expr(&mut self, level: usize) -> Result<Node, RouteError> {
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.expr(level + 1)?;
        loop {
            let token = self.peek();
            let Some(op) = ops.iter().find(|(t, _)| *t == token.tok).map(|(_, op)| *op) else {
                return Ok(left);
            };
            let pos = token.pos;
            self.bump();
            let right = self.expr(level + 1)?;
            left = checked(Node::new(
                NodeKind::Binary(op, Box::new(left), Box::new(right)),
                pos,
            ))?;
        }
    }

    fn unary(&mut self) -> Result<Node, RouteError> {
        if self.nesting >= MAX_NESTING {
            return Err(RouteError::at(
                self.peek().pos,
                format!("condition is too deeply nested (more than {MAX_NESTING} levels)"),
            ));
        }
        self.nesting += 1;
        let result = self.unary_inner();
        self.nesting -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Node, RouteError> {
        let token = self.peek().clone();
        let wrap: fn(Box<Node>) -> NodeKind = match token.tok {
            Tok::Minus => NodeKind::Neg,
            Tok::Not => NodeKind::Not,
            _ => return self.primary(),
        };
        self.bump();
        let operand = self.unary()?;
        checked(Node::new(wrap(Box::new(operand)), token.pos))
    }

    fn primary(&mut self) -> Result<Node, RouteError> {
        let token = self.bump();
        let pos = token.pos;
        let kind = match token.tok {
            Tok::LParen => {
                let inner = self.expr(0)?;
                if !self.eat(&Tok::RParen) {
                    return Err(missing_paren(pos, self.peek()));
                }
                return Ok(inner);
            }
            Tok::Str(s) => NodeKind::Lit(Literal::Str(s)),
            Tok::Int | Tok::Real => NodeKind::Lit(Literal::Num(token.text.parse().ok())),
            Tok::Hex => NodeKind::Lit(Literal::Num(parse_hex(&token.text[2..]))),
            Tok::True => NodeKind::Lit(Literal::Bool(true)),
            Tok::False => NodeKind::Lit(Literal::Bool(false)),
            Tok::Null => NodeKind::Lit(Literal::Null),
            Tok::Undefined => NodeKind::Lit(Literal::Undefined),
            Tok::SysProp => NodeKind::SysProp(token.text),
            Tok::LBrace => {
                let prop = self.expect(&Tok::SysProp, "a $property inside '{ }'")?;
                self.expect(&Tok::RBrace, "'}' closing the escaped $property")?;
                NodeKind::EscapedSysProp(prop.text)
            }
            Tok::Ident if self.peek().tok == Tok::LParen => return self.call(token),
            Tok::Ident => NodeKind::Prop(token.text),
            Tok::Unterminated => return Err(RouteError::at(pos, "unterminated string")),
            Tok::Unknown => return Err(invalid_symbol(&token)),
            Tok::RParen => return Err(RouteError::at(pos, "unmatched closing ')'")),
            Tok::QueryPath => {
                return Err(RouteError::at(
                    pos,
                    format!(
                        "invalid property name '{}': '[' and ']' are only allowed in $body queries",
                        token.text
                    ),
                ))
            }
            _ => return Err(RouteError::expected("an expression", &token)),
        };
        Ok(Node::new(kind, pos))
    }

    /// `name(args)`; the opening parenthesis is the next token.
    fn call(&mut self, name: Token) -> Result<Node, RouteError> {
        let open = self.bump();
        let first_arg = self.i;
        let mut args = Vec::new();
        if self.peek().tok != Tok::RParen {
            loop {
                args.push(self.expr(0)?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let raw_args: String = self.tokens[first_arg..self.i]
            .iter()
            .map(|t| t.text.as_str())
            .collect();
        if !self.eat(&Tok::RParen) {
            return Err(missing_paren(open.pos, self.peek()));
        }
        checked(Node::new(
            NodeKind::Call {
                name: name.text,
                args,
                raw_args,
            },
            name.pos,
        ))
    }
}

fn checked(node: Node) -> Result<Node, RouteError> {
    if node.depth > MAX_DEPTH {
        Err(RouteError::at(
            node.pos,
            format!("condition is too long (expression tree deeper than {MAX_DEPTH})"),
        ))
    } else {
        Ok(node)
    }
}

fn missing_paren(open_pos: usize, found: &Token) -> RouteError {
    RouteError::at(
        found.pos,
        format!(
            "expected ')' closing the '(' at position {open_pos}, found {}",
            describe(found)
        ),
    )
}

fn invalid_symbol(token: &Token) -> RouteError {
    RouteError::at(token.pos, format!("invalid symbol '{}'", token.text))
}

/// A hex literal as edgeHub reads it: a 64-bit two's-complement integer; longer values are
/// unparseable (undefined).
fn parse_hex(digits: &str) -> Option<f64> {
    let significant = digits.trim_start_matches('0');
    if significant.len() > 16 {
        return None;
    }
    if significant.is_empty() {
        return Some(0.0);
    }
    u64::from_str_radix(significant, 16)
        .ok()
        .map(|v| v as i64 as f64)
}
