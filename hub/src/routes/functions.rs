//! Built-in functions: signatures (checked when a route is parsed) and run-time behaviour.
//!
//! Signatures follow edgeHub: most functions accept their declared type or a `$body` value;
//! `is_bool`, `is_null`, `is_number` and `is_string` accept anything (other static types
//! simply give `false`); `as_number` also takes a number; `concat` takes two or more strings.

use super::number::parse_number;
use super::value::{Ty, Value};

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Abs,
    Exp,
    Power,
    Square,
    Ceiling,
    Floor,
    Sign,
    Sqrt,
    AsNumber,
    IsBool,
    IsDefined,
    IsNull,
    IsNumber,
    IsString,
    Concat,
    Length,
    Lower,
    Upper,
    Substring,
    IndexOf,
    StartsWith,
    EndsWith,
    Contains,
    TwinChangeIncludes,
}

const ALL: [(&str, Builtin, &str); 24] = [
    ("abs", Builtin::Abs, "abs(number)"),
    ("exp", Builtin::Exp, "exp(number)"),
    ("power", Builtin::Power, "power(number, number)"),
    ("square", Builtin::Square, "square(number)"),
    ("ceiling", Builtin::Ceiling, "ceiling(number)"),
    ("floor", Builtin::Floor, "floor(number)"),
    ("sign", Builtin::Sign, "sign(number)"),
    ("sqrt", Builtin::Sqrt, "sqrt(number)"),
    (
        "as_number",
        Builtin::AsNumber,
        "as_number(string or number)",
    ),
    ("is_bool", Builtin::IsBool, "is_bool(any)"),
    ("is_defined", Builtin::IsDefined, "is_defined(any)"),
    ("is_null", Builtin::IsNull, "is_null(any)"),
    ("is_number", Builtin::IsNumber, "is_number(any)"),
    ("is_string", Builtin::IsString, "is_string(any)"),
    ("concat", Builtin::Concat, "concat(string, string, ...)"),
    ("length", Builtin::Length, "length(string)"),
    ("lower", Builtin::Lower, "lower(string)"),
    ("upper", Builtin::Upper, "upper(string)"),
    (
        "substring",
        Builtin::Substring,
        "substring(string, number[, number])",
    ),
    ("index_of", Builtin::IndexOf, "index_of(string, string)"),
    (
        "starts_with",
        Builtin::StartsWith,
        "starts_with(string, string)",
    ),
    ("ends_with", Builtin::EndsWith, "ends_with(string, string)"),
    ("contains", Builtin::Contains, "contains(string, string)"),
    (
        "twin_change_includes",
        Builtin::TwinChangeIncludes,
        "twin_change_includes(path)",
    ),
];

impl Builtin {
    /// Case-insensitive lookup.
    pub(crate) fn lookup(name: &str) -> Option<Builtin> {
        ALL.iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, b, _)| *b)
    }

    /// The accepted signature, for error messages.
    pub(crate) fn signature(self) -> &'static str {
        ALL.iter()
            .find(|(_, b, _)| *b == self)
            .map_or("", |(_, _, s)| *s)
    }
}

/// How a call with given argument types is compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolution {
    /// Evaluate with [`call`] at run time.
    Runtime,
    /// The result is known from the static types alone.
    Const(Value),
    /// The call returns its only argument (`as_number` of a number).
    Identity,
}

/// Whether an argument of static type `given` fits a parameter of type `param`;
/// `body_ok` lets `$body` values stand in for scalar parameters.
fn fits(param: Ty, given: Ty, body_ok: bool) -> bool {
    given == param || (body_ok && given == Ty::Body && param.is_scalar())
}

fn fits_all(params: &[Ty], given: &[Ty]) -> bool {
    params.len() == given.len() && params.iter().zip(given).all(|(p, g)| fits(*p, *g, true))
}

/// Resolves a call (except twin_change_includes); `None` if the argument types don't fit.
pub(crate) fn resolve(b: Builtin, args: &[Ty]) -> Option<(Resolution, Ty)> {
    use Builtin::*;
    use Ty::{Body, Bool, Null, Num, Str, Undef};
    let runtime =
        |params: &[Ty], result: Ty| fits_all(params, args).then_some((Resolution::Runtime, result));
    let always_false =
        || (args.len() == 1).then_some((Resolution::Const(Value::Bool(false)), Bool));
    match b {
        Abs | Exp | Square | Ceiling | Floor | Sign | Sqrt => runtime(&[Num], Num),
        Power => runtime(&[Num, Num], Num),
        AsNumber => {
            runtime(&[Str], Num).or_else(|| (args == [Num]).then_some((Resolution::Identity, Num)))
        }
        IsBool => runtime(&[Bool], Bool).or_else(always_false),
        IsNumber => runtime(&[Num], Bool).or_else(always_false),
        IsString => runtime(&[Str], Bool).or_else(always_false),
        IsDefined => match args {
            [Str | Num | Bool | Body] => Some((Resolution::Runtime, Bool)),
            [Undef] => Some((Resolution::Const(Value::Bool(false)), Bool)),
            [Null] => Some((Resolution::Const(Value::Bool(true)), Bool)),
            _ => None,
        },
        IsNull => match args {
            [Body] => Some((Resolution::Runtime, Bool)),
            [Null] => Some((Resolution::Const(Value::Bool(true)), Bool)),
            _ => always_false(),
        },
        Concat => (args.len() >= 2 && args.iter().all(|a| fits(Str, *a, true)))
            .then_some((Resolution::Runtime, Str)),
        Length => runtime(&[Str], Num),
        Lower | Upper => runtime(&[Str], Str),
        Substring => runtime(&[Str, Num], Str).or_else(|| runtime(&[Str, Num, Num], Str)),
        IndexOf => runtime(&[Str, Str], Num),
        StartsWith | EndsWith | Contains => runtime(&[Str, Str], Bool),
        TwinChangeIncludes => None,
    }
}

/// Runs a built-in on evaluated arguments. Wrong run-time types give `undefined`.
pub(crate) fn call(b: Builtin, args: &[Value]) -> Value {
    use Builtin::*;
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Undefined);
    match b {
        Abs => math(arg(0), f64::abs),
        Exp => math(arg(0), f64::exp),
        Square => math(arg(0), |x| x * x),
        Ceiling => math(arg(0), f64::ceil),
        Floor => math(arg(0), f64::floor),
        Sqrt => math(arg(0), f64::sqrt),
        Sign => math(arg(0), |x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }),
        Power => match (arg(0), arg(1)) {
            (Value::Num(x), Value::Num(y)) => Value::num(x.powf(*y)),
            _ => Value::Undefined,
        },
        AsNumber => match arg(0) {
            Value::Str(s) => parse_number(s).map_or(Value::Undefined, Value::num),
            Value::Num(x) => Value::Num(*x),
            _ => Value::Undefined,
        },
        IsBool => match arg(0) {
            Value::Undefined => Value::Undefined,
            v => Value::Bool(matches!(v, Value::Bool(_))),
        },
        IsDefined => Value::Bool(arg(0).is_defined()),
        IsNull => match arg(0) {
            Value::Undefined => Value::Undefined,
            v => Value::Bool(*v == Value::Null),
        },
        IsNumber => Value::Bool(matches!(arg(0), Value::Num(x) if x.is_finite())),
        IsString => Value::Bool(matches!(arg(0), Value::Str(_))),
        Concat => concat(args),
        Length => text(arg(0), |s| Value::Num(s.encode_utf16().count() as f64)),
        Lower => text(arg(0), |s| Value::Str(map_chars(s, char::to_lowercase))),
        Upper => text(arg(0), |s| Value::Str(map_chars(s, char::to_uppercase))),
        Substring => substring(arg(0), arg(1), args.get(2)),
        IndexOf => texts(arg(0), arg(1), |s, f| Value::Num(index_of(s, f))),
        StartsWith => texts(arg(0), arg(1), |s, f| Value::Bool(s.starts_with(f))),
        EndsWith => texts(arg(0), arg(1), |s, f| Value::Bool(s.ends_with(f))),
        Contains => texts(arg(0), arg(1), |s, f| Value::Bool(s.contains(f))),
        TwinChangeIncludes => Value::Undefined,
    }
}

fn math(v: &Value, f: impl Fn(f64) -> f64) -> Value {
    match v {
        Value::Num(x) => Value::num(f(*x)),
        _ => Value::Undefined,
    }
}

fn text(v: &Value, f: impl Fn(&str) -> Value) -> Value {
    match v {
        Value::Str(s) => f(s),
        _ => Value::Undefined,
    }
}

fn texts(a: &Value, b: &Value, f: impl Fn(&str, &str) -> Value) -> Value {
    match (a, b) {
        (Value::Str(s), Value::Str(t)) => f(s, t),
        _ => Value::Undefined,
    }
}

pub(crate) fn concat(args: &[Value]) -> Value {
    let mut out = String::new();
    for a in args {
        match a {
            Value::Str(s) => out.push_str(s),
            _ => return Value::Undefined,
        }
    }
    Value::Str(out)
}

/// Simple (one-to-one) case mapping, like .NET's invariant ToLower/ToUpper.
fn map_chars<I: Iterator<Item = char>>(s: &str, f: impl Fn(char) -> I) -> String {
    s.chars()
        .map(|c| {
            let mut mapped = f(c);
            match (mapped.next(), mapped.next()) {
                (Some(m), None) => m,
                _ => c,
            }
        })
        .collect()
}

/// Position of `fragment` in `s` in UTF-16 code units (like .NET), or -1.
fn index_of(s: &str, fragment: &str) -> f64 {
    let hay: Vec<u16> = s.encode_utf16().collect();
    let needle: Vec<u16> = fragment.encode_utf16().collect();
    if needle.is_empty() {
        return 0.0;
    }
    hay.windows(needle.len())
        .position(|w| w == needle.as_slice())
        .map_or(-1.0, |i| i as f64)
}

/// `substring(s, start)` needs `0 <= start <= len`; `substring(s, start, n)` needs
/// `0 <= start < len` and `0 <= n <= len - start` (UTF-16 units, fractions truncated).
fn substring(s: &Value, start: &Value, length: Option<&Value>) -> Value {
    let (Value::Str(s), Value::Num(start)) = (s, start) else {
        return Value::Undefined;
    };
    let units: Vec<u16> = s.encode_utf16().collect();
    let len = units.len() as f64;
    let (from, to) = match length {
        None if *start >= 0.0 && *start <= len => (start.trunc() as usize, units.len()),
        Some(Value::Num(n)) if *start >= 0.0 && *start < len && *n >= 0.0 && *n <= len - start => {
            let from = start.trunc() as usize;
            (from, from + n.trunc() as usize)
        }
        _ => return Value::Undefined,
    };
    match units.get(from..to) {
        Some(slice) => Value::Str(String::from_utf16_lossy(slice)),
        None => Value::Undefined,
    }
}
