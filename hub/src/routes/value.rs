//! Static types and runtime values of route conditions.
//!
//! edgeHub compiles a condition into a statically typed expression: application and system
//! properties are strings, literals have their own types, and `$body` queries produce a
//! dynamically typed "query value". Operands of an operator must have the same static type
//! (or one of them is a `$body` value), otherwise the route is rejected. At run time every
//! type has an `undefined` state, which is why a single [`Value`] enum covers all of them.

use std::cmp::Ordering;

/// Static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Str,
    Num,
    Bool,
    Null,
    Undef,
    /// Result of a `$body` query: any JSON scalar, decided at run time.
    Body,
}

impl Ty {
    /// Name used in error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Num => "number",
            Ty::Bool => "bool",
            Ty::Null => "null",
            Ty::Undef => "undefined",
            Ty::Body => "$body value",
        }
    }

    /// Types a `$body` value can be compared with or converted from.
    pub(crate) fn is_scalar(self) -> bool {
        matches!(self, Ty::Str | Ty::Num | Ty::Bool | Ty::Null)
    }
}

/// A runtime value. `Num` never holds NaN (NaN is `Undefined`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

impl Value {
    /// A number, or `Undefined` for NaN (edgeHub's undefined number).
    pub(crate) fn num(x: f64) -> Value {
        if x.is_nan() {
            Value::Undefined
        } else {
            Value::Num(x)
        }
    }

    pub(crate) fn is_defined(&self) -> bool {
        !matches!(self, Value::Undefined)
    }

    /// Rank used when two defined values of different types are compared (edgeHub orders
    /// query values by type first: bool < number < string < null).
    fn type_rank(&self) -> u8 {
        match self {
            Value::Undefined => 0,
            Value::Bool(_) => 1,
            Value::Num(_) => 2,
            Value::Str(_) => 3,
            Value::Null => 4,
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Compares two values; `None` means the result is undefined (either side undefined).
///
/// Values of different types (possible only with `$body` values) are ordered by type, so
/// `$body.t = '50'` is false when `t` is the number 50 — there is no implicit conversion.
pub(crate) fn compare(op: CmpOp, left: &Value, right: &Value) -> Option<bool> {
    if !left.is_defined() || !right.is_defined() {
        return None;
    }
    let ordering = match (left, right) {
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::Num(a), Value::Num(b)) => a.partial_cmp(b)?,
        (Value::Str(a), Value::Str(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        (Value::Null, Value::Null) => Ordering::Equal,
        _ => left.type_rank().cmp(&right.type_rank()),
    };
    Some(match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    })
}

/// A three-valued boolean as a [`Value`].
pub(crate) fn tri(b: Option<bool>) -> Value {
    b.map_or(Value::Undefined, Value::Bool)
}
