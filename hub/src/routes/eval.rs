//! Type-checked conditions and their evaluation against a message.
//!
//! Three-valued logic as in edgeHub: comparisons with an undefined side are undefined,
//! `NOT undefined` is undefined, `undefined AND false` is false, `undefined OR true` is
//! true, and a route matches only when its condition is exactly `true`.

use std::cell::OnceCell;

use serde_json::Value as Json;

use super::body::{self, BodyPath};
use super::functions::{self, Builtin};
use super::value::{compare, tri, CmpOp, Value};
use super::RouteInput;

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A type-checked condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Const(Value),
    /// Bare identifier: application property.
    AppProp(String),
    /// `$name`: application property `$name` if present, else system property `name`.
    DollarProp {
        app: String,
        system: String,
    },
    /// `{$name}`: system property `name`.
    SystemProp(String),
    /// `$body.path` (with `app` = the application property that overrides it, if any).
    Body {
        app: Option<String>,
        path: BodyPath,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// AND / OR. With a `$body` operand both sides must be booleans at run time, otherwise
    /// the result is undefined (edgeHub's query-value rule); else three-valued logic.
    Logic {
        and: bool,
        body_mode: bool,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `a ?? b`: `a` unless it is undefined.
    Coalesce(Box<Expr>, Box<Expr>),
    Call(Builtin, Vec<Expr>),
    /// `twin_change_includes(path)`: true if the path exists in the notification body.
    TwinIncludes(BodyPath),
}

/// Per-message evaluation state: the body is parsed at most once for all routes.
pub(crate) struct EvalContext<'a> {
    msg: &'a dyn RouteInput,
    body: OnceCell<Option<Json>>,
}

impl<'a> EvalContext<'a> {
    pub(crate) fn new(msg: &'a dyn RouteInput) -> Self {
        EvalContext {
            msg,
            body: OnceCell::new(),
        }
    }

    pub(crate) fn message(&self) -> &'a dyn RouteInput {
        self.msg
    }

    fn body(&self) -> Option<&Json> {
        self.body
            .get_or_init(|| body::parse_body(self.msg))
            .as_ref()
    }
}

/// True if the condition evaluates to exactly `true`.
pub(crate) fn is_true(e: &Expr, cx: &EvalContext<'_>) -> bool {
    eval(e, cx) == Value::Bool(true)
}

fn text(v: Option<&str>) -> Value {
    v.map_or(Value::Undefined, |s| Value::Str(s.to_string()))
}

fn eval(e: &Expr, cx: &EvalContext<'_>) -> Value {
    let msg = cx.msg;
    match e {
        Expr::Const(v) => v.clone(),
        Expr::AppProp(name) => text(msg.app_property(name)),
        Expr::DollarProp { app, system } => text(
            msg.app_property(app)
                .or_else(|| msg.system_property(system)),
        ),
        Expr::SystemProp(name) => text(msg.system_property(name)),
        Expr::Body { app, path } => {
            if let Some(v) = app.as_deref().and_then(|a| msg.app_property(a)) {
                return Value::Str(v.to_string());
            }
            cx.body().map_or(Value::Undefined, |json| {
                body::query_value(path.lookup(json))
            })
        }
        Expr::Neg(x) => match eval(x, cx) {
            Value::Num(n) => Value::Num(-n),
            _ => Value::Undefined,
        },
        Expr::Not(x) => match eval(x, cx) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Undefined,
        },
        Expr::Arith(op, l, r) => match (eval(l, cx), eval(r, cx)) {
            (Value::Num(a), Value::Num(b)) => Value::num(match op {
                ArithOp::Add => a + b,
                ArithOp::Sub => a - b,
                ArithOp::Mul => a * b,
                ArithOp::Div => a / b,
                ArithOp::Mod => a % b,
            }),
            _ => Value::Undefined,
        },
        Expr::Compare(op, l, r) => tri(compare(*op, &eval(l, cx), &eval(r, cx))),
        Expr::Logic {
            and,
            body_mode,
            left,
            right,
        } => logic(*and, *body_mode, eval(left, cx), eval(right, cx)),
        Expr::Coalesce(l, r) => match eval(l, cx) {
            Value::Undefined => eval(r, cx),
            v => v,
        },
        Expr::Call(b, args) => {
            let values: Vec<Value> = args.iter().map(|a| eval(a, cx)).collect();
            functions::call(*b, &values)
        }
        Expr::TwinIncludes(path) => cx.body().map_or(Value::Undefined, |json| {
            Value::Bool(path.lookup(json).is_some())
        }),
    }
}

fn logic(and: bool, body_mode: bool, l: Value, r: Value) -> Value {
    let as_bool = |v: &Value| match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    };
    let (a, b) = (as_bool(&l), as_bool(&r));
    if body_mode {
        return match (a, b) {
            (Some(a), Some(b)) => Value::Bool(if and { a && b } else { a || b }),
            _ => Value::Undefined,
        };
    }
    // Three-valued: the dominant value (false for AND, true for OR) wins over undefined.
    let dominant = !and;
    if a == Some(dominant) || b == Some(dominant) {
        Value::Bool(dominant)
    } else {
        tri(a.zip(b).map(|_| !dominant))
    }
}
