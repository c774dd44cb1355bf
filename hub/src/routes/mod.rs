//! edgeHub's route language (protocol.md §8):
//! `[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>`.
//!
//! [`parse_route`] parses and type-checks a route the way edgeHub compiles it (a route
//! edgeHub would refuse is refused here, with a message and a position); [`Route::matches`]
//! and [`evaluate`] decide where a message goes.
//!
//! Known, deliberate differences from edgeHub:
//! - text after the sink is an error (edgeHub ignores it);
//! - `is_null($body.x)` is true only for a JSON `null` or a missing path (edgeHub's version
//!   compares object references and answers true for any present value);
//! - `twin_change_includes` is accepted in routes `FROM /twinChangeNotifications` (edgeHub
//!   rejects it in every deployment route);
//! - `BrokeredEndpoint` addresses with an empty module or input are refused.

mod ast;
mod body;
mod check;
mod error;
mod eval;
mod functions;
mod lexer;
mod number;
mod parser;
mod sink;
mod source;
mod value;

pub use error::RouteError;
pub use sink::Sink;

use eval::{EvalContext, Expr};
use source::RouteSource;

/// Priority of a route without one: the lowest (edgeHub's 2,000,000,000; 0 is highest).
pub const DEFAULT_PRIORITY: u32 = 2_000_000_000;

/// What routing needs to know about a message.
pub trait RouteInput {
    /// Route source path, e.g. `/messages/modules/{m}/outputs/{o}`.
    fn source(&self) -> &str;
    /// Application property, case-insensitive lookup.
    fn app_property(&self, name: &str) -> Option<&str>;
    /// System property by edgeHub internal name, case-insensitive lookup.
    fn system_property(&self, name: &str) -> Option<&str>;
    /// Message body bytes.
    fn body(&self) -> &[u8];
}

/// A parsed, type-checked route.
#[derive(Debug, Clone)]
pub struct Route {
    /// Route name (the key in the deployment's `routes`).
    pub name: String,
    /// The route text as given.
    pub text: String,
    /// Where matching messages go.
    pub sink: Sink,
    /// 0 (highest) … [`DEFAULT_PRIORITY`] (lowest).
    pub priority: u32,
    /// Time to live in seconds; 0 means "use the store's global TTL".
    pub ttl_secs: u32,
    source: RouteSource,
    condition: Option<Expr>,
}

/// Parses and type-checks `text`. Errors name what was expected and the position.
pub fn parse_route(
    name: &str,
    text: &str,
    priority: u32,
    ttl_secs: u32,
) -> Result<Route, RouteError> {
    let parsed = parser::parse_route_text(text)?;
    let source = RouteSource::new(&parsed.source);
    let condition = parsed
        .condition
        .as_ref()
        .map(|c| check::compile(c, source.is_twin_change()))
        .transpose()?;
    Ok(Route {
        name: name.to_string(),
        text: text.to_string(),
        sink: parsed.sink,
        priority,
        ttl_secs,
        source,
        condition,
    })
}

impl Route {
    /// True if the message comes from this route's source and the condition (if any) is
    /// exactly `true`.
    pub fn matches(&self, msg: &dyn RouteInput) -> bool {
        self.matches_in(&EvalContext::new(msg))
    }

    fn matches_in(&self, cx: &EvalContext<'_>) -> bool {
        self.source.matches(cx.message().source())
            && self.condition.as_ref().is_none_or(|c| eval::is_true(c, cx))
    }
}

/// Every (sink, priority, ttl_secs) the message goes to, deduplicated per sink keeping the
/// highest-priority (lowest number) matching route's priority and TTL (the first such route
/// on a tie). Sinks appear in the order their first matching route appears in `routes`.
pub fn evaluate(routes: &[Route], msg: &dyn RouteInput) -> Vec<(Sink, u32, u32)> {
    let cx = EvalContext::new(msg);
    let mut out: Vec<(Sink, u32, u32)> = Vec::new();
    for route in routes.iter().filter(|r| r.matches_in(&cx)) {
        match out.iter_mut().find(|(sink, _, _)| *sink == route.sink) {
            Some(entry) if route.priority < entry.1 => {
                *entry = (route.sink.clone(), route.priority, route.ttl_secs);
            }
            Some(_) => {}
            None => out.push((route.sink.clone(), route.priority, route.ttl_secs)),
        }
    }
    out
}
