//! Syntax tree of a route condition, as written (before type checking).

/// A node with the position (character index) of its main token, used in error messages,
/// and the height of its subtree (bounded by the parser so later passes can recurse safely).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub pos: usize,
    pub depth: usize,
}

impl Node {
    /// A node whose depth is one more than its deepest child.
    pub(crate) fn new(kind: NodeKind, pos: usize) -> Node {
        let depth = 1 + match &kind {
            NodeKind::Call { args, .. } => args.iter().map(|a| a.depth).max().unwrap_or(0),
            NodeKind::Neg(n) | NodeKind::Not(n) => n.depth,
            NodeKind::Binary(_, l, r) => l.depth.max(r.depth),
            _ => 0,
        };
        Node { kind, pos, depth }
    }
}

/// Binary operators, in edgeHub's precedence groups (see the parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Concat,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    NeAlt,
    And,
    Or,
    Coalesce,
}

impl BinOp {
    /// The operator as written.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Concat => "||",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::NeAlt => "<>",
            BinOp::And => "AND",
            BinOp::Or => "OR",
            BinOp::Coalesce => "??",
        }
    }
}

/// Literal values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    /// A number literal; `None` when edgeHub could not parse it (it becomes `undefined`).
    Num(Option<f64>),
    Bool(bool),
    Null,
    Undefined,
}

/// Node kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Lit(Literal),
    /// Bare identifier: application property.
    Prop(String),
    /// `$name` as written (including `$`).
    SysProp(String),
    /// `{$name}` (the text inside the braces, including `$`).
    EscapedSysProp(String),
    Call {
        name: String,
        args: Vec<Node>,
        /// The argument tokens' text concatenated without whitespace (twin_change_includes).
        raw_args: String,
    },
    Neg(Box<Node>),
    Not(Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
}
