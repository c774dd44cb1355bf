//! Type checking: turns a parsed condition into an [`Expr`], rejecting what edgeHub rejects.
//!
//! edgeHub compiles conditions with static types. Application and system properties are
//! strings, so `temperature > 30` (string vs number) is a compile error there and the whole
//! deployment is refused; the working forms are `as_number(temperature) > 30` or, for a JSON
//! body, `$body.temperature > 30`. This checker applies the same rules so a route accepted
//! here is accepted by edgeHub:
//! - arithmetic needs numbers, `||` needs strings (a `$body` value fits either);
//! - comparisons and `??` need both sides of the same type, or one `$body` side and a
//!   string/number/bool/null other side;
//! - `AND`/`OR` take bool, null or undefined operands (or `$body` values);
//! - `NOT` takes a bool, null or `$body` operand; unary `-` a number;
//! - `%` and unary `-` cannot take `$body` values (edgeHub has no such operators for them).

use super::ast::{BinOp, Literal, Node, NodeKind};
use super::body::BodyPath;
use super::error::RouteError;
use super::eval::{ArithOp, Expr};
use super::functions::{self, Builtin, Resolution};
use super::value::{CmpOp, Ty, Value};

/// Paths twin_change_includes accepts.
const TWIN_PREFIXES: [&str; 3] = ["properties.reported.", "properties.desired.", "tags."];

/// Compiles a condition. `twin_source` tells whether the route reads twin change
/// notifications (the only source where `twin_change_includes` is meaningful).
pub(crate) fn compile(node: &Node, twin_source: bool) -> Result<Expr, RouteError> {
    Checker { twin_source }.check(node).map(|(e, _)| e)
}

struct Checker {
    twin_source: bool,
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// Same type, or a `$body` value against a scalar type.
fn comparable(l: Ty, r: Ty) -> bool {
    l == r || (l == Ty::Body && r.is_scalar()) || (r == Ty::Body && l.is_scalar())
}

fn operand_error(op: &str, pos: usize, have: &[Ty], expected: &[&str]) -> RouteError {
    let have: Vec<&str> = have.iter().map(|t| t.name()).collect();
    let arity = if have.len() == 1 { "unary" } else { "binary" };
    RouteError::at(
        pos,
        format!(
            "invalid operands to {arity} operator '{op}': have {}, expected {}",
            have.join(" and "),
            expected.join(" and ")
        ),
    )
}

impl Checker {
    fn check(&self, node: &Node) -> Result<(Expr, Ty), RouteError> {
        let pos = node.pos;
        match &node.kind {
            NodeKind::Lit(lit) => Ok(literal(lit)),
            NodeKind::Prop(name) => Ok((Expr::AppProp(name.clone()), Ty::Str)),
            NodeKind::SysProp(text) => dollar(text, pos, false),
            NodeKind::EscapedSysProp(text) => dollar(text, pos, true),
            NodeKind::Neg(x) => match self.check(x)? {
                (e, Ty::Num) => Ok((Expr::Neg(boxed(e)), Ty::Num)),
                (_, Ty::Body) => Err(RouteError::at(
                    pos,
                    "unary '-' cannot be applied to a $body value (write 0 - x instead)",
                )),
                (_, t) => Err(operand_error("-", pos, &[t], &["number"])),
            },
            NodeKind::Not(x) => match self.check(x)? {
                (_, Ty::Null) => Ok((Expr::Const(Value::Bool(true)), Ty::Bool)),
                (e, Ty::Bool | Ty::Body) => Ok((Expr::Not(boxed(e)), Ty::Bool)),
                (_, t) => Err(operand_error("NOT", pos, &[t], &["bool"])),
            },
            NodeKind::Binary(op, l, r) => {
                let left = self.check(l)?;
                let right = self.check(r)?;
                binary(*op, pos, left, right)
            }
            NodeKind::Call {
                name,
                args,
                raw_args,
            } => self.call(name, args, raw_args, pos),
        }
    }

    fn call(
        &self,
        name: &str,
        args: &[Node],
        raw_args: &str,
        pos: usize,
    ) -> Result<(Expr, Ty), RouteError> {
        let Some(builtin) = Builtin::lookup(name) else {
            return Err(RouteError::at(
                pos,
                format!("unknown built-in function '{name}'"),
            ));
        };
        if builtin == Builtin::TwinChangeIncludes {
            return self.twin_change_includes(raw_args, pos);
        }
        let mut exprs = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for a in args {
            let (e, t) = self.check(a)?;
            exprs.push(e);
            types.push(t);
        }
        let Some((resolution, ty)) = functions::resolve(builtin, &types) else {
            let given: Vec<&str> = types.iter().map(|t| t.name()).collect();
            return Err(RouteError::at(
                pos,
                format!(
                    "invalid arguments to built-in function '{name}': {name}({}), expected {}",
                    given.join(", "),
                    builtin.signature()
                ),
            ));
        };
        let expr = match resolution {
            Resolution::Runtime => Expr::Call(builtin, exprs),
            Resolution::Const(v) => Expr::Const(v),
            Resolution::Identity => exprs.pop().unwrap_or(Expr::Const(Value::Undefined)),
        };
        Ok((expr, ty))
    }

    fn twin_change_includes(&self, raw: &str, pos: usize) -> Result<(Expr, Ty), RouteError> {
        if !self.twin_source {
            return Err(RouteError::at(
                pos,
                "twin_change_includes is only valid in routes FROM /twinChangeNotifications",
            ));
        }
        let path = BodyPath::parse(raw).map_err(|e| RouteError::at(pos, e))?;
        if !path.starts_with_any(&TWIN_PREFIXES) {
            return Err(RouteError::at(
                pos,
                format!(
                    "twin_change_includes path '{raw}' is not supported: it must start with 'properties.reported.', 'properties.desired.' or 'tags.'"
                ),
            ));
        }
        Ok((Expr::TwinIncludes(path), Ty::Bool))
    }
}

fn literal(lit: &Literal) -> (Expr, Ty) {
    match lit {
        Literal::Str(s) => (Expr::Const(Value::Str(s.clone())), Ty::Str),
        Literal::Num(Some(x)) => (Expr::Const(Value::num(*x)), Ty::Num),
        // edgeHub turns an unparseable number (e.g. the identifier-looking `e5`) into undefined.
        Literal::Num(None) | Literal::Undefined => (Expr::Const(Value::Undefined), Ty::Undef),
        Literal::Bool(b) => (Expr::Const(Value::Bool(*b)), Ty::Bool),
        Literal::Null => (Expr::Const(Value::Null), Ty::Null),
    }
}

/// `$name` / `{$name}`: a `$body.` prefix (any case) makes a body query; otherwise a
/// system property (for `$name`, an application property literally named `$name` wins).
/// Names with `[`/`]` that are not body queries are undefined, as in edgeHub.
fn dollar(text: &str, pos: usize, escaped: bool) -> Result<(Expr, Ty), RouteError> {
    let bracketed = text.contains('[') || text.contains(']');
    let is_body = text
        .get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("$body."));
    if is_body {
        let path = BodyPath::parse(&text[6..]).map_err(|e| RouteError::at(pos, e))?;
        let app = (!escaped && !bracketed).then(|| text.to_string());
        return Ok((Expr::Body { app, path }, Ty::Body));
    }
    if bracketed {
        return Ok((Expr::Const(Value::Undefined), Ty::Undef));
    }
    let system = text[1..].to_string();
    let expr = if escaped {
        Expr::SystemProp(system)
    } else {
        Expr::DollarProp {
            app: text.to_string(),
            system,
        }
    };
    Ok((expr, Ty::Str))
}

fn binary(
    op: BinOp,
    pos: usize,
    left: (Expr, Ty),
    right: (Expr, Ty),
) -> Result<(Expr, Ty), RouteError> {
    let ((le, lt), (re, rt)) = (left, right);
    let sym = op.symbol();
    let cmp = |c: CmpOp| -> Result<(Expr, Ty), RouteError> {
        if comparable(lt, rt) {
            Ok((
                Expr::Compare(c, boxed(le.clone()), boxed(re.clone())),
                Ty::Bool,
            ))
        } else {
            Err(operand_error(sym, pos, &[lt, rt], &[lt.name(), lt.name()]))
        }
    };
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            let numeric = |t: Ty| t == Ty::Num || t == Ty::Body;
            if !numeric(lt) || !numeric(rt) {
                return Err(operand_error(sym, pos, &[lt, rt], &["number", "number"]));
            }
            if op == BinOp::Mod && (lt == Ty::Body || rt == Ty::Body) {
                return Err(RouteError::at(
                    pos,
                    "operator '%' cannot be applied to $body values",
                ));
            }
            let arith = match op {
                BinOp::Add => ArithOp::Add,
                BinOp::Sub => ArithOp::Sub,
                BinOp::Mul => ArithOp::Mul,
                BinOp::Div => ArithOp::Div,
                _ => ArithOp::Mod,
            };
            let ty = if lt == Ty::Num && rt == Ty::Num {
                Ty::Num
            } else {
                Ty::Body
            };
            Ok((Expr::Arith(arith, boxed(le), boxed(re)), ty))
        }
        BinOp::Concat => {
            let textual = |t: Ty| t == Ty::Str || t == Ty::Body;
            if !textual(lt) || !textual(rt) {
                return Err(operand_error(sym, pos, &[lt, rt], &["string", "string"]));
            }
            Ok((Expr::Call(Builtin::Concat, vec![le, re]), Ty::Str))
        }
        BinOp::Lt => cmp(CmpOp::Lt),
        BinOp::Le => cmp(CmpOp::Le),
        BinOp::Gt => cmp(CmpOp::Gt),
        BinOp::Ge => cmp(CmpOp::Ge),
        BinOp::Eq => cmp(CmpOp::Eq),
        BinOp::Ne | BinOp::NeAlt => cmp(CmpOp::Ne),
        BinOp::And | BinOp::Or => logic(op == BinOp::And, sym, pos, (le, lt), (re, rt)),
        BinOp::Coalesce => {
            if !comparable(lt, rt) {
                return Err(operand_error(sym, pos, &[lt, rt], &[lt.name(), lt.name()]));
            }
            let ty = if lt == Ty::Body || rt == Ty::Body {
                Ty::Body
            } else {
                lt
            };
            Ok((Expr::Coalesce(boxed(le), boxed(re)), ty))
        }
    }
}

/// AND/OR typing. Null operands follow edgeHub: `null AND x` is null, `null OR x` is `x`,
/// and a null result never matches.
fn logic(
    and: bool,
    sym: &str,
    pos: usize,
    left: (Expr, Ty),
    right: (Expr, Ty),
) -> Result<(Expr, Ty), RouteError> {
    let ((le, lt), (re, rt)) = (left, right);
    let boolish = |t: Ty| matches!(t, Ty::Null | Ty::Bool | Ty::Undef | Ty::Body);
    // edgeHub only checks the right operand when the left one is not a $body value.
    let valid = boolish(lt) && (boolish(rt) || lt == Ty::Body);
    let null_with_undefined = matches!((lt, rt), (Ty::Null, Ty::Undef) | (Ty::Undef, Ty::Null));
    let body_mode = lt == Ty::Body || rt == Ty::Body;
    let body_and_null = body_mode && and && (lt == Ty::Null || rt == Ty::Null);
    if !valid || null_with_undefined || body_and_null {
        return Err(operand_error(sym, pos, &[lt, rt], &["bool", "bool"]));
    }
    if !body_mode {
        match (and, lt, rt) {
            (true, Ty::Null, _) | (true, _, Ty::Null) | (false, Ty::Null, Ty::Null) => {
                return Ok((Expr::Const(Value::Null), Ty::Null))
            }
            (false, Ty::Null, _) => return Ok((re, Ty::Bool)),
            (false, _, Ty::Null) => return Ok((le, Ty::Bool)),
            _ => {}
        }
    }
    Ok((
        Expr::Logic {
            and,
            body_mode,
            left: boxed(le),
            right: boxed(re),
        },
        Ty::Bool,
    ))
}
