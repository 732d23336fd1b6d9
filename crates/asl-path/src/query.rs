//! Jayway-compatible JSONPath queries (the "Path" of the ASL spec).
//!
//! AWS evaluates JSONPath-mode paths with Java's Jayway JsonPath (Jackson
//! node provider), so the grammar, the result shapes and the error texts here
//! follow Jayway rather than RFC 9535:
//!
//! * a *definite* path (names and single indexes only) yields the value
//!   itself and a miss is an error (`No results for path: $['a']`);
//! * any other path yields an array of all matches, possibly empty;
//! * a filter applied to an object tests the object itself;
//! * an out-of-range index at the end of a definite path yields `null`
//!   (Jackson's `ArrayNode.get` returns null instead of throwing).
//!
//! Parse once, evaluate many times: [`Query::eval`] borrows from the document
//! for definite paths, so `$` and `$.a.b` never allocate.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use regex::Regex;
use serde_json::{Map, Number, Value};

use crate::error::{EvalError, ParseError};
use crate::json;

/// Nesting limit for filters, parentheses and literals inside a path. Deep
/// enough for any real definition, shallow enough to keep the recursive
/// descent parser far from the stack limit.
const MAX_NESTING: usize = 32;

static NULL: Value = Value::Null;

/// A parsed JSONPath query rooted at `$`.
#[derive(Debug, Clone)]
pub struct Query {
    src: String,
    body: PathBody,
}

#[derive(Debug, Clone)]
pub(crate) struct PathBody {
    segments: Vec<Segment>,
    function: Option<PathFn>,
    definite: bool,
}

#[derive(Debug, Clone)]
enum Segment {
    Child(Selector),
    Deep(Selector),
}

#[derive(Debug, Clone)]
enum Selector {
    Name(String),
    Index(i64),
    Wildcard,
    Names(Vec<String>),
    Indexes(Vec<i64>),
    Slice(Option<i64>, Option<i64>),
    Filter(Box<Filter>),
}

/// Functions Jayway allows at the end of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathFn {
    Length,
    Size,
    Min,
    Max,
    Avg,
    Sum,
    Stddev,
    Keys,
    First,
    Last,
}

#[derive(Debug, Clone)]
enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Exists(Operand),
    Rel(Operand, RelOp, Operand),
}

#[derive(Debug, Clone)]
enum Operand {
    Current(PathBody),
    Root(PathBody),
    Literal(Value),
    Regex(Regex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RelOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    In,
    Nin,
    SubsetOf,
    AnyOf,
    NoneOf,
    Size,
    Empty,
    Contains,
}

impl Query {
    /// Parses a JSONPath query that starts with `$`.
    ///
    /// Leading/trailing whitespace is ignored (Jayway trims too).
    pub fn parse(text: &str) -> Result<Query, ParseError> {
        Self::parse_labeled(text, text)
    }

    /// Parses `text` (which must start with `$`) but reports errors against
    /// `label`; used for `$$.x` and `$var.x`, whose body is a query on the
    /// context object / variable value.
    pub(crate) fn parse_labeled(text: &str, label: &str) -> Result<Query, ParseError> {
        let trimmed = text.trim();
        let mut p = Parser::new(trimmed);
        if !p.eat('$') {
            return Err(p.err("A path must start with '$'"));
        }
        let body = p.body(false)?;
        if !p.at_end() {
            return Err(p.err("Unexpected character in path"));
        }
        Ok(Query {
            src: label.to_string(),
            body,
        })
    }

    /// The path exactly as written in the definition.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Whether the path is definite (names and single indexes only): a
    /// definite path evaluates to the value itself, an indefinite one to an
    /// array of matches.
    pub fn is_definite(&self) -> bool {
        self.body.definite
    }

    /// True for the bare root path `$`.
    pub fn is_root(&self) -> bool {
        self.body.segments.is_empty() && self.body.function.is_none()
    }

    /// Evaluates the query against `root`.
    ///
    /// Definite paths borrow from `root`; indefinite paths and functions
    /// build a new value.
    pub fn eval<'a>(&self, root: &'a Value) -> Result<Cow<'a, Value>, EvalError> {
        if self.body.definite {
            let v = self.definite(root)?;
            match self.body.function {
                None => Ok(Cow::Borrowed(v)),
                Some(f) => apply_fn(f, v)
                    .map(Cow::Owned)
                    .map_err(|detail| self.bad_type(detail)),
            }
        } else {
            let items = self.body.collect(root, root);
            let arr = Value::Array(items.into_iter().map(Cow::into_owned).collect());
            match self.body.function {
                None => Ok(Cow::Owned(arr)),
                Some(f) => apply_fn(f, &arr)
                    .map(Cow::Owned)
                    .map_err(|detail| self.bad_type(detail)),
            }
        }
    }

    fn bad_type(&self, detail: String) -> EvalError {
        EvalError::BadType {
            path: self.src.clone(),
            detail,
        }
    }

    fn not_found(&self, detail: String) -> EvalError {
        EvalError::PathNotFound {
            path: self.src.clone(),
            detail,
        }
    }

    /// Walks a definite path with Jayway's error reporting.
    fn definite<'a>(&self, root: &'a Value) -> Result<&'a Value, EvalError> {
        let segs = &self.body.segments;
        // `None` is a Java null (an out-of-range index), distinct from a JSON null.
        let mut cur: Option<&'a Value> = Some(root);
        for (i, seg) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            let Segment::Child(sel) = seg else {
                return Err(self.bad_type("internal error: deep scan in a definite path".into()));
            };
            match sel {
                Selector::Name(n) => match cur {
                    Some(Value::Object(m)) => match m.get(n) {
                        Some(v) => cur = Some(v),
                        None if last => {
                            return Err(self.not_found(format!(
                                "No results for path: {}",
                                display_segments(segs, None)
                            )));
                        }
                        None => {
                            return Err(self.not_found(format!(
                                "Missing property in path {}",
                                display_segments(&segs[..=i], None)
                            )));
                        }
                    },
                    other => {
                        return Err(self.not_found(format!(
                            "Expected to find an object with property ['{}'] in path {} but found '{}'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.",
                            n,
                            display_segments(&segs[..i], None),
                            java_class(other)
                        )));
                    }
                },
                Selector::Index(idx) => match cur {
                    Some(Value::Array(a)) => {
                        cur = effective_index(*idx, a.len()).and_then(|k| a.get(k));
                    }
                    None => {
                        return Err(self.not_found(format!(
                            "The path {} is null",
                            display_segments(&segs[..i], None)
                        )));
                    }
                    Some(other) => {
                        return Err(self.not_found(format!(
                            "Filter: [{}] can only be applied to arrays. Current context is: {}",
                            idx,
                            json::compact(other)
                        )));
                    }
                },
                _ => {
                    return Err(
                        self.bad_type("internal error: indefinite step in a definite path".into())
                    );
                }
            }
        }
        Ok(cur.unwrap_or(&NULL))
    }
}

impl fmt::Display for Query {
    /// Jayway's normalized form, e.g. `$['a']['b'][0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display_segments(&self.body.segments, self.body.function))
    }
}

fn java_class(v: Option<&Value>) -> &'static str {
    match v {
        None => "null",
        Some(Value::Null) => "com.fasterxml.jackson.databind.node.NullNode",
        Some(Value::Bool(_)) => "com.fasterxml.jackson.databind.node.BooleanNode",
        Some(Value::String(_)) => "com.fasterxml.jackson.databind.node.TextNode",
        Some(Value::Array(_)) => "com.fasterxml.jackson.databind.node.ArrayNode",
        Some(Value::Object(_)) => "com.fasterxml.jackson.databind.node.ObjectNode",
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                if i32::try_from(i).is_ok() {
                    "com.fasterxml.jackson.databind.node.IntNode"
                } else {
                    "com.fasterxml.jackson.databind.node.LongNode"
                }
            } else if n.is_u64() {
                "com.fasterxml.jackson.databind.node.BigIntegerNode"
            } else {
                "com.fasterxml.jackson.databind.node.DoubleNode"
            }
        }
    }
}

fn effective_index(idx: i64, len: usize) -> Option<usize> {
    let len_i = i64::try_from(len).ok()?;
    let k = if idx < 0 {
        len_i.checked_add(idx)?
    } else {
        idx
    };
    if (0..len_i).contains(&k) {
        usize::try_from(k).ok()
    } else {
        None
    }
}

fn display_segments(segs: &[Segment], function: Option<PathFn>) -> String {
    let mut s = String::from("$");
    for seg in segs {
        let sel = match seg {
            Segment::Child(sel) => sel,
            Segment::Deep(sel) => {
                s.push_str("..");
                sel
            }
        };
        match sel {
            Selector::Name(n) => {
                let _ = write!(s, "['{n}']");
            }
            Selector::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
            Selector::Wildcard => s.push_str("[*]"),
            Selector::Names(ns) => {
                s.push('[');
                for (k, n) in ns.iter().enumerate() {
                    if k > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, "'{n}'");
                }
                s.push(']');
            }
            Selector::Indexes(is) => {
                s.push('[');
                for (k, i) in is.iter().enumerate() {
                    if k > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, "{i}");
                }
                s.push(']');
            }
            Selector::Slice(a, b) => {
                s.push('[');
                if let Some(a) = a {
                    let _ = write!(s, "{a}");
                }
                s.push(':');
                if let Some(b) = b {
                    let _ = write!(s, "{b}");
                }
                s.push(']');
            }
            Selector::Filter(_) => s.push_str("[?]"),
        }
    }
    if let Some(f) = function {
        let _ = write!(s, ".{}()", fn_name(f));
    }
    s
}

fn fn_name(f: PathFn) -> &'static str {
    match f {
        PathFn::Length => "length",
        PathFn::Size => "size",
        PathFn::Min => "min",
        PathFn::Max => "max",
        PathFn::Avg => "avg",
        PathFn::Sum => "sum",
        PathFn::Stddev => "stddev",
        PathFn::Keys => "keys",
        PathFn::First => "first",
        PathFn::Last => "last",
    }
}

// ---------------------------------------------------------------------------
// Evaluation of indefinite paths and filters
// ---------------------------------------------------------------------------

impl PathBody {
    /// All matches of the path starting at `start`; misses are silent.
    fn collect<'a>(&self, start: &'a Value, root: &'a Value) -> Vec<Cow<'a, Value>> {
        let n = self.segments.len();
        if n == 0 {
            return vec![Cow::Borrowed(start)];
        }
        let mut frontier: Vec<&'a Value> = vec![start];
        for seg in &self.segments[..n - 1] {
            let mut next = Vec::new();
            for node in frontier {
                apply_segment(seg, node, root, &mut next);
            }
            frontier = next;
        }
        let last = &self.segments[n - 1];
        if let Segment::Child(Selector::Names(names)) = last {
            // Jayway merges a multi-property leaf into one object per match.
            return frontier
                .into_iter()
                .filter_map(|node| match node {
                    Value::Object(m) => {
                        let mut merged = Map::new();
                        for k in names {
                            if let Some(v) = m.get(k) {
                                merged.insert(k.clone(), v.clone());
                            }
                        }
                        Some(Cow::Owned(Value::Object(merged)))
                    }
                    _ => None,
                })
                .collect();
        }
        let mut out = Vec::new();
        for node in frontier {
            apply_segment(last, node, root, &mut out);
        }
        out.into_iter().map(Cow::Borrowed).collect()
    }

    /// Value of a relative/absolute path used as a filter operand; `None`
    /// when it selects nothing (Jayway's "undefined").
    fn operand_value<'a>(&self, start: &'a Value, root: &'a Value) -> Option<Cow<'a, Value>> {
        let base: Cow<'a, Value> = if self.definite {
            let mut cur = start;
            for seg in &self.segments {
                cur = match seg {
                    Segment::Child(Selector::Name(n)) => cur.as_object()?.get(n)?,
                    Segment::Child(Selector::Index(i)) => {
                        let a = cur.as_array()?;
                        a.get(effective_index(*i, a.len())?)?
                    }
                    _ => return None,
                };
            }
            Cow::Borrowed(cur)
        } else {
            Cow::Owned(Value::Array(
                self.collect(start, root)
                    .into_iter()
                    .map(Cow::into_owned)
                    .collect(),
            ))
        };
        match self.function {
            None => Some(base),
            Some(f) => apply_fn(f, &base).ok().map(Cow::Owned),
        }
    }
}

fn apply_segment<'a>(seg: &Segment, node: &'a Value, root: &'a Value, out: &mut Vec<&'a Value>) {
    match seg {
        Segment::Child(sel) => apply_selector(sel, node, root, out),
        Segment::Deep(sel) => {
            // Pre-order walk with an explicit stack: no recursion on data depth.
            let mut stack = vec![node];
            while let Some(n) = stack.pop() {
                match sel {
                    Selector::Filter(f) => {
                        if n.is_object() && f.test(n, root) {
                            out.push(n);
                        }
                    }
                    _ => apply_selector(sel, n, root, out),
                }
                match n {
                    Value::Array(a) => stack.extend(a.iter().rev()),
                    Value::Object(m) => stack.extend(m.values().rev()),
                    _ => {}
                }
            }
        }
    }
}

fn apply_selector<'a>(sel: &Selector, node: &'a Value, root: &'a Value, out: &mut Vec<&'a Value>) {
    match sel {
        Selector::Name(n) => {
            if let Some(v) = node.as_object().and_then(|m| m.get(n)) {
                out.push(v);
            }
        }
        Selector::Names(ns) => {
            if let Value::Object(m) = node {
                out.extend(ns.iter().filter_map(|n| m.get(n)));
            }
        }
        Selector::Index(i) => {
            if let Value::Array(a) = node
                && let Some(v) = effective_index(*i, a.len()).and_then(|k| a.get(k))
            {
                out.push(v);
            }
        }
        Selector::Indexes(is) => {
            if let Value::Array(a) = node {
                out.extend(
                    is.iter()
                        .filter_map(|i| effective_index(*i, a.len()).and_then(|k| a.get(k))),
                );
            }
        }
        Selector::Wildcard => match node {
            Value::Array(a) => out.extend(a.iter()),
            Value::Object(m) => out.extend(m.values()),
            _ => {}
        },
        Selector::Slice(from, to) => {
            if let Value::Array(a) = node {
                let len = i64::try_from(a.len()).unwrap_or(i64::MAX);
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let start = from.map(norm).unwrap_or(0);
                let end = to.map(norm).unwrap_or(len);
                let mut k = start;
                while k < end {
                    if let Some(v) = usize::try_from(k).ok().and_then(|k| a.get(k)) {
                        out.push(v);
                    }
                    k += 1;
                }
            }
        }
        Selector::Filter(f) => match node {
            Value::Array(a) => out.extend(a.iter().filter(|e| f.test(e, root))),
            Value::Object(_) if f.test(node, root) => out.push(node),
            _ => {}
        },
    }
}

impl Filter {
    fn test(&self, current: &Value, root: &Value) -> bool {
        match self {
            Filter::Or(a, b) => a.test(current, root) || b.test(current, root),
            Filter::And(a, b) => a.test(current, root) && b.test(current, root),
            Filter::Not(a) => !a.test(current, root),
            Filter::Exists(op) => match op {
                Operand::Current(p) | Operand::Root(p) => {
                    let start = if matches!(op, Operand::Current(_)) {
                        current
                    } else {
                        root
                    };
                    match p.operand_value(start, root) {
                        None => false,
                        // An indefinite path "exists" when it matched something.
                        Some(v) if !p.definite => v.as_array().is_some_and(|a| !a.is_empty()),
                        Some(_) => true,
                    }
                }
                Operand::Literal(v) => v.as_bool().unwrap_or(true),
                Operand::Regex(_) => false,
            },
            Filter::Rel(l, op, r) => {
                if let (RelOp::Match, Operand::Regex(re)) = (op, r) {
                    return match l.value(current, root).as_deref() {
                        Some(Value::String(s)) => re.is_match(s),
                        Some(v @ (Value::Number(_) | Value::Bool(_))) => {
                            re.is_match(&json::compact(v))
                        }
                        _ => false,
                    };
                }
                let lv = l.value(current, root);
                let rv = r.value(current, root);
                relate(lv.as_deref(), *op, rv.as_deref())
            }
        }
    }
}

impl Operand {
    fn value<'a>(&'a self, current: &'a Value, root: &'a Value) -> Option<Cow<'a, Value>> {
        match self {
            Operand::Current(p) => p.operand_value(current, root),
            Operand::Root(p) => p.operand_value(root, root),
            Operand::Literal(v) => Some(Cow::Borrowed(v)),
            Operand::Regex(_) => None,
        }
    }
}

fn relate(l: Option<&Value>, op: RelOp, r: Option<&Value>) -> bool {
    match op {
        RelOp::Eq => match (l, r) {
            (None, None) => true,
            (Some(a), Some(b)) => loose_eq(a, b),
            _ => false,
        },
        RelOp::Ne => !relate(l, RelOp::Eq, r),
        RelOp::Lt | RelOp::Le | RelOp::Gt | RelOp::Ge => {
            let ord = match (l, r) {
                (Some(Value::Number(a)), Some(Value::Number(b))) => num_cmp(a, b),
                (Some(Value::String(a)), Some(Value::String(b))) => Some(a.cmp(b)),
                _ => None,
            };
            let Some(ord) = ord else { return false };
            match op {
                RelOp::Lt => ord.is_lt(),
                RelOp::Le => ord.is_le(),
                RelOp::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            }
        }
        RelOp::Match => false,
        RelOp::In => match (l, r) {
            (Some(a), Some(Value::Array(b))) => b.iter().any(|x| loose_eq(a, x)),
            _ => false,
        },
        RelOp::Nin => !relate(l, RelOp::In, r),
        RelOp::Contains => match (l, r) {
            (Some(Value::String(a)), Some(Value::String(b))) => a.contains(b.as_str()),
            (Some(Value::Array(a)), Some(b)) => a.iter().any(|x| loose_eq(x, b)),
            _ => false,
        },
        RelOp::SubsetOf => match (l, r) {
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                a.iter().all(|x| b.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        RelOp::AnyOf => match (l, r) {
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                a.iter().any(|x| b.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        RelOp::NoneOf => match (l, r) {
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                !a.iter().any(|x| b.iter().any(|y| loose_eq(x, y)))
            }
            _ => false,
        },
        RelOp::Size => {
            let Some(n) = r.and_then(Value::as_u64) else {
                return false;
            };
            match l {
                Some(Value::String(s)) => s.encode_utf16().count() as u64 == n,
                Some(Value::Array(a)) => a.len() as u64 == n,
                _ => false,
            }
        }
        RelOp::Empty => {
            let Some(want) = r.and_then(Value::as_bool) else {
                return false;
            };
            match l {
                Some(Value::String(s)) => s.is_empty() == want,
                Some(Value::Array(a)) => a.is_empty() == want,
                _ => false,
            }
        }
    }
}

fn num_cmp(a: &Number, b: &Number) -> Option<std::cmp::Ordering> {
    match (as_i128(a), as_i128(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Jayway's ValueNode equality: numbers compare by value (and a numeric
/// string equals the number), containers compare structurally.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y).is_some_and(|o| o.is_eq()),
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            match (s.trim().parse::<f64>(), x.as_f64()) {
                (Ok(p), Some(q)) => p == q,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| loose_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| loose_eq(v, w)))
        }
        _ => a == b,
    }
}

fn numbers(v: &Value) -> Result<Vec<f64>, String> {
    let nums: Vec<f64> = match v {
        Value::Array(a) => a.iter().filter_map(Value::as_f64).collect(),
        Value::Number(n) => n.as_f64().into_iter().collect(),
        _ => Vec::new(),
    };
    if nums.is_empty() {
        Err("Aggregation function attempted to calculate value using empty array".to_string())
    } else {
        Ok(nums)
    }
}

fn f64_value(x: f64) -> Result<Value, String> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| "Aggregation function produced a non-finite number".to_string())
}

fn apply_fn(f: PathFn, v: &Value) -> Result<Value, String> {
    match f {
        PathFn::Length | PathFn::Size => match v {
            Value::Array(a) => Ok(Value::from(a.len())),
            Value::Object(m) => Ok(Value::from(m.len())),
            Value::String(s) => Ok(Value::from(s.encode_utf16().count())),
            _ => Err(format!(
                "Invalid function call: {}() can only be applied to arrays, objects and strings",
                fn_name(f)
            )),
        },
        PathFn::Sum => f64_value(numbers(v)?.iter().sum()),
        PathFn::Avg => {
            let n = numbers(v)?;
            f64_value(n.iter().sum::<f64>() / n.len() as f64)
        }
        PathFn::Min => f64_value(numbers(v)?.into_iter().fold(f64::INFINITY, f64::min)),
        PathFn::Max => f64_value(numbers(v)?.into_iter().fold(f64::NEG_INFINITY, f64::max)),
        PathFn::Stddev => {
            let n = numbers(v)?;
            let len = n.len() as f64;
            let mean = n.iter().sum::<f64>() / len;
            let var = n.iter().map(|x| x * x).sum::<f64>() / len - mean * mean;
            f64_value(var.max(0.0).sqrt())
        }
        PathFn::Keys => match v {
            Value::Object(m) => Ok(Value::Array(
                m.keys().map(|k| Value::String(k.clone())).collect(),
            )),
            _ => Err("Invalid function call: keys() can only be applied to objects".to_string()),
        },
        PathFn::First | PathFn::Last => match v {
            Value::Array(a) => {
                let e = if f == PathFn::First {
                    a.first()
                } else {
                    a.last()
                };
                e.cloned().ok_or_else(|| {
                    format!("Invalid function call: {}() on empty array", fn_name(f))
                })
            }
            _ => Err(format!(
                "Invalid function call: {}() can only be applied to arrays",
                fn_name(f)
            )),
        },
    }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

pub(crate) struct Parser<'s> {
    src: &'s str,
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

fn is_filter_terminator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ')' | '=' | '!' | '<' | '>' | '&' | '|' | ',' | ']' | '~')
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Parser {
            src,
            chars: src.chars().collect(),
            pos: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        if self.chars.len() >= self.pos + n
            && s.chars().zip(&self.chars[self.pos..]).all(|(a, b)| a == *b)
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.src, self.pos, msg)
    }

    fn expect(&mut self, c: char) -> Result<(), ParseError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(format!("Expected '{c}'")))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            Err(self.err("Path is nested too deeply"))
        } else {
            Ok(())
        }
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Parses the segments after `$` / `@`.
    fn body(&mut self, in_filter: bool) -> Result<PathBody, ParseError> {
        let mut segments = Vec::new();
        let mut function = None;
        while let Some(c) = self.peek() {
            if in_filter && is_filter_terminator(c) {
                break;
            }
            match c {
                '.' if self.peek_at(1) == Some('.') => {
                    self.pos += 2;
                    let sel = match self.peek() {
                        Some('[') => self.bracket()?,
                        Some('*') => {
                            self.pos += 1;
                            Selector::Wildcard
                        }
                        Some('.') | None => return Err(self.err("Path must not end with '..'")),
                        _ => {
                            let name = self.dot_name(in_filter)?;
                            if self.peek() == Some('(') {
                                return Err(self.err("Functions cannot follow a deep scan"));
                            }
                            Selector::Name(name)
                        }
                    };
                    segments.push(Segment::Deep(sel));
                }
                '.' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('[') => continue,
                        Some('*') => {
                            self.pos += 1;
                            segments.push(Segment::Child(Selector::Wildcard));
                        }
                        None => return Err(self.err("Path must not end with a '.'")),
                        _ => {
                            let name = self.dot_name(in_filter)?;
                            if self.eat('(') {
                                self.ws();
                                self.expect(')')?;
                                function = Some(match name.as_str() {
                                    "length" => PathFn::Length,
                                    "size" => PathFn::Size,
                                    "min" => PathFn::Min,
                                    "max" => PathFn::Max,
                                    "avg" => PathFn::Avg,
                                    "sum" => PathFn::Sum,
                                    "stddev" => PathFn::Stddev,
                                    "keys" => PathFn::Keys,
                                    "first" => PathFn::First,
                                    "last" => PathFn::Last,
                                    _ => {
                                        return Err(self.err(format!(
                                            "Function with name: {name} does not exist."
                                        )));
                                    }
                                });
                                let done = match self.peek() {
                                    None => true,
                                    Some(c) => in_filter && is_filter_terminator(c),
                                };
                                if !done {
                                    return Err(
                                        self.err("A function must be the last element of a path")
                                    );
                                }
                                break;
                            }
                            segments.push(Segment::Child(Selector::Name(name)));
                        }
                    }
                }
                '[' => {
                    let sel = self.bracket()?;
                    segments.push(Segment::Child(sel));
                }
                _ if in_filter => break,
                _ => return Err(self.err(format!("Unexpected character '{c}' in path"))),
            }
        }
        let definite = segments.iter().all(|s| {
            matches!(
                s,
                Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_))
            )
        });
        Ok(PathBody {
            segments,
            function,
            definite,
        })
    }

    /// A dot-notation property name; `\` escapes the next character (ASL
    /// spec reference-path escapes such as `$.store\.book`).
    fn dot_name(&mut self, in_filter: bool) -> Result<String, ParseError> {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c == '.' || c == '[' || c == '(' || (in_filter && is_filter_terminator(c)) {
                break;
            }
            if c.is_whitespace() {
                return Err(self.err(
                    "Use bracket notion ['my prop'] if your property contains blank characters",
                ));
            }
            self.pos += 1;
            if c == '\\' {
                match self.peek() {
                    Some(e) => {
                        self.pos += 1;
                        name.push(e);
                    }
                    None => return Err(self.err("Path must not end with an escape character")),
                }
            } else {
                name.push(c);
            }
        }
        if name.is_empty() {
            return Err(self.err("Empty property name"));
        }
        Ok(name)
    }

    fn bracket(&mut self) -> Result<Selector, ParseError> {
        self.expect('[')?;
        self.ws();
        let sel = match self.peek() {
            Some('?') => {
                self.pos += 1;
                self.ws();
                self.expect('(')?;
                self.enter()?;
                let f = self.filter_or()?;
                self.leave();
                self.ws();
                self.expect(')')?;
                Selector::Filter(Box::new(f))
            }
            Some('*') => {
                self.pos += 1;
                Selector::Wildcard
            }
            Some('\'' | '"') => {
                let mut names = Vec::new();
                loop {
                    self.ws();
                    let Some(q @ ('\'' | '"')) = self.peek() else {
                        return Err(self.err("Expected a quoted property name"));
                    };
                    self.pos += 1;
                    names.push(self.quoted(q)?);
                    self.ws();
                    if !self.eat(',') {
                        break;
                    }
                }
                if names.len() == 1 {
                    Selector::Name(names.swap_remove(0))
                } else {
                    Selector::Names(names)
                }
            }
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => {
                let first = self.opt_int()?;
                self.ws();
                if self.eat(':') {
                    self.ws();
                    let second = self.opt_int()?;
                    self.ws();
                    if self.peek() == Some(':') {
                        return Err(self.err("Slice steps ('[::n]') are not supported"));
                    }
                    Selector::Slice(first, second)
                } else {
                    let Some(first) = first else {
                        return Err(self.err("Expected an array index"));
                    };
                    let mut idx = vec![first];
                    while self.eat(',') {
                        self.ws();
                        match self.opt_int()? {
                            Some(i) => idx.push(i),
                            None => return Err(self.err("Expected an array index")),
                        }
                        self.ws();
                    }
                    if idx.len() == 1 {
                        Selector::Index(first)
                    } else {
                        Selector::Indexes(idx)
                    }
                }
            }
            _ => return Err(self.err("Could not parse token starting with '['")),
        };
        self.ws();
        self.expect(']')?;
        Ok(sel)
    }

    fn opt_int(&mut self) -> Result<Option<i64>, ParseError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            return Ok(None);
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse::<i64>()
            .map(Some)
            .map_err(|_| self.err(format!("Invalid array index '{text}'")))
    }

    /// Body of a quoted string after the opening quote `q`.
    ///
    /// Jayway only treats `\` before the quote character as an escape; any
    /// other backslash is part of the name (recorded AWS case
    /// `ESCAPE_SEQUENCES_JSONPATH`: `$['Test\""Name"']` selects the key
    /// `Test\""Name"`).
    fn quoted(&mut self, q: char) -> Result<String, ParseError> {
        let mut s = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("Unterminated string"));
            };
            self.pos += 1;
            if c == q {
                return Ok(s);
            }
            if c == '\\' && self.peek() == Some(q) {
                self.pos += 1;
                s.push(q);
                continue;
            }
            s.push(c);
        }
    }

    fn filter_or(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.filter_and()?;
        loop {
            self.ws();
            if !self.eat_str("||") {
                return Ok(left);
            }
            let right = self.filter_and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
    }

    fn filter_and(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.filter_unary()?;
        loop {
            self.ws();
            if !self.eat_str("&&") {
                return Ok(left);
            }
            let right = self.filter_unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
    }

    fn filter_unary(&mut self) -> Result<Filter, ParseError> {
        self.ws();
        self.enter()?;
        let r = if self.peek() == Some('!') && self.peek_at(1) != Some('=') {
            self.pos += 1;
            self.filter_unary().map(|f| Filter::Not(Box::new(f)))
        } else if self.eat('(') {
            let f = self.filter_or();
            self.ws();
            f.and_then(|f| self.expect(')').map(|_| f))
        } else {
            self.relation()
        };
        self.leave();
        r
    }

    fn relation(&mut self) -> Result<Filter, ParseError> {
        let left = self.operand()?;
        self.ws();
        let Some(op) = self.rel_op() else {
            return match left {
                Operand::Current(_) | Operand::Root(_) => Ok(Filter::Exists(left)),
                Operand::Literal(Value::Bool(_)) => Ok(Filter::Exists(left)),
                _ => Err(self.err("Expected a comparison operator")),
            };
        };
        self.ws();
        let right = if op == RelOp::Match {
            if self.peek() != Some('/') {
                return Err(self.err("The right side of '=~' must be a /regex/"));
            }
            self.operand()?
        } else {
            self.operand()?
        };
        if matches!(right, Operand::Regex(_)) != (op == RelOp::Match) {
            return Err(self.err("A /regex/ can only be used with '=~'"));
        }
        Ok(Filter::Rel(left, op, right))
    }

    fn rel_op(&mut self) -> Option<RelOp> {
        for (t, op) in [
            ("==", RelOp::Eq),
            ("!=", RelOp::Ne),
            ("<=", RelOp::Le),
            (">=", RelOp::Ge),
            ("=~", RelOp::Match),
            ("<", RelOp::Lt),
            (">", RelOp::Gt),
        ] {
            if self.eat_str(t) {
                return Some(op);
            }
        }
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        let op = match word.as_str() {
            "in" => RelOp::In,
            "nin" => RelOp::Nin,
            "subsetof" => RelOp::SubsetOf,
            "anyof" => RelOp::AnyOf,
            "noneof" => RelOp::NoneOf,
            "size" => RelOp::Size,
            "empty" => RelOp::Empty,
            "contains" => RelOp::Contains,
            _ => {
                self.pos = start;
                return None;
            }
        };
        Some(op)
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        self.ws();
        match self.peek() {
            Some('@') => {
                self.pos += 1;
                self.enter()?;
                let b = self.body(true);
                self.leave();
                Ok(Operand::Current(b?))
            }
            Some('$') => {
                self.pos += 1;
                self.enter()?;
                let b = self.body(true);
                self.leave();
                Ok(Operand::Root(b?))
            }
            Some('/') => {
                self.pos += 1;
                let mut pat = String::new();
                loop {
                    match self.peek() {
                        None => return Err(self.err("Unterminated regex")),
                        Some('/') => {
                            self.pos += 1;
                            break;
                        }
                        Some('\\') if self.peek_at(1) == Some('/') => {
                            self.pos += 2;
                            pat.push('/');
                        }
                        Some(c) => {
                            self.pos += 1;
                            pat.push(c);
                        }
                    }
                }
                let mut flags = String::new();
                while let Some(c) = self.peek().filter(char::is_ascii_alphabetic) {
                    self.pos += 1;
                    if matches!(c, 'i' | 'm' | 's' | 'x') && !flags.contains(c) {
                        flags.push(c);
                    }
                }
                // Java's Matcher.matches(): the whole input must match.
                let full = if flags.is_empty() {
                    format!("^(?:{pat})$")
                } else {
                    format!("(?{flags})^(?:{pat})$")
                };
                regex::RegexBuilder::new(&full)
                    .size_limit(1 << 20)
                    .nest_limit(64)
                    .build()
                    .map(Operand::Regex)
                    .map_err(|e| self.err(format!("Invalid regex: {e}")))
            }
            Some(_) => self.literal().map(Operand::Literal),
            None => Err(self.err("Expected an operand")),
        }
    }

    /// A JSON-ish literal: numbers, 'single' or "double" quoted strings,
    /// true/false/null, arrays and objects.
    fn literal(&mut self) -> Result<Value, ParseError> {
        self.ws();
        match self.peek() {
            Some(q @ ('\'' | '"')) => {
                self.pos += 1;
                self.quoted(q).map(Value::String)
            }
            Some('[') => {
                self.pos += 1;
                self.enter()?;
                let mut items = Vec::new();
                self.ws();
                if !self.eat(']') {
                    loop {
                        items.push(self.literal()?);
                        self.ws();
                        if self.eat(']') {
                            break;
                        }
                        self.expect(',')?;
                    }
                }
                self.leave();
                Ok(Value::Array(items))
            }
            Some('{') => {
                self.pos += 1;
                self.enter()?;
                let mut m = Map::new();
                self.ws();
                if !self.eat('}') {
                    loop {
                        self.ws();
                        let Some(q @ ('\'' | '"')) = self.peek() else {
                            return Err(self.err("Expected a quoted key"));
                        };
                        self.pos += 1;
                        let k = self.quoted(q)?;
                        self.ws();
                        self.expect(':')?;
                        let v = self.literal()?;
                        m.insert(k, v);
                        self.ws();
                        if self.eat('}') {
                            break;
                        }
                        self.expect(',')?;
                    }
                }
                self.leave();
                Ok(Value::Object(m))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                serde_json::from_str::<Number>(&text)
                    .map(Value::Number)
                    .map_err(|_| self.err(format!("Invalid number '{text}'")))
            }
            _ => {
                for (w, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.eat_str(w) {
                        return Ok(v);
                    }
                }
                Err(self.err("Expected a literal value"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> Value {
        json!({
            "store": {
                "book": [
                    {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
                    {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
                    {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
                    {"category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99}
                ],
                "bicycle": {"color": "red", "price": 19.95}
            },
            "expensive": 10
        })
    }

    fn q(path: &str, doc: &Value) -> Value {
        Query::parse(path).unwrap().eval(doc).unwrap().into_owned()
    }

    #[test]
    fn definite_paths_return_values_and_borrow() {
        let d = store();
        let query = Query::parse("$.store.bicycle.color").unwrap();
        assert!(query.is_definite());
        assert!(matches!(query.eval(&d).unwrap(), Cow::Borrowed(_)));
        assert_eq!(q("$.store.bicycle.color", &d), json!("red"));
        assert_eq!(q("$['store']['book'][0].author", &d), json!("Nigel Rees"));
        assert_eq!(q("$[\"expensive\"]", &d), json!(10));
        assert_eq!(q("$.store.book[-1].title", &d), json!("LOTR"));
        assert_eq!(q("$", &d), d);
        assert_eq!(q("$.store.['bicycle'].color", &d), json!("red"));
    }

    #[test]
    fn indefinite_paths_return_arrays() {
        let d = store();
        assert_eq!(q("$.store.book[*].author", &d).as_array().unwrap().len(), 4);
        assert_eq!(q("$..author", &d).as_array().unwrap().len(), 4);
        assert_eq!(
            q("$.store.*", &d).as_array().unwrap().len(),
            2,
            "wildcard on an object iterates its values"
        );
        assert_eq!(q("$.store.book[0,1].price", &d), json!([8.95, 12.99]));
        assert_eq!(q("$.store.book[1:3].price", &d), json!([12.99, 8.99]));
        assert_eq!(q("$.store.book[:2].price", &d), json!([8.95, 12.99]));
        assert_eq!(q("$.store.book[-2:].price", &d), json!([8.99, 22.99]));
        assert_eq!(q("$.store.book[2:].price", &d), json!([8.99, 22.99]));
        assert_eq!(q("$.nothing[*]", &d), json!([]));
        assert_eq!(q("$..price", &d).as_array().unwrap().len(), 5);
        assert_eq!(
            q("$.store.bicycle['color','price']", &d),
            json!([{"color": "red", "price": 19.95}])
        );
        assert!(q("$..*", &d).as_array().unwrap().len() > 20);
        assert_eq!(q("$..book[2].title", &d), json!(["Moby Dick"]));
    }

    #[test]
    fn filters() {
        let d = store();
        let titles = |p: &str| q(p, &d);
        assert_eq!(
            titles("$.store.book[?(@.price < 10)].title"),
            json!(["Sayings", "Moby Dick"])
        );
        assert_eq!(
            titles("$.store.book[?(@.price <= 8.95)].title"),
            json!(["Sayings"])
        );
        assert_eq!(
            titles("$.store.book[?(@.price > 20)].title"),
            json!(["LOTR"])
        );
        assert_eq!(
            titles("$.store.book[?(@.price >= 22.99)].title"),
            json!(["LOTR"])
        );
        assert_eq!(
            titles("$.store.book[?(@.category == 'reference')].title"),
            json!(["Sayings"])
        );
        assert_eq!(
            titles("$.store.book[?(@.category != \"fiction\")].title"),
            json!(["Sayings"])
        );
        assert_eq!(
            titles("$.store.book[?(@.isbn)].title"),
            json!(["Moby Dick", "LOTR"])
        );
        assert_eq!(
            titles("$.store.book[?(!@.isbn)].title"),
            json!(["Sayings", "Sword"])
        );
        assert_eq!(
            titles("$.store.book[?(@.author =~ /.*REES/i)].title"),
            json!(["Sayings"])
        );
        assert_eq!(
            titles("$.store.book[?(@.author =~ /Rees/)].title"),
            json!([])
        );
        assert_eq!(
            titles("$.store.book[?(@.price < $.expensive)].title"),
            json!(["Sayings", "Moby Dick"])
        );
        assert_eq!(
            titles("$.store.book[?(@.category == 'fiction' && @.price < 10)].title"),
            json!(["Moby Dick"])
        );
        assert_eq!(
            titles("$.store.book[?(@.price > 20 || @.price < 9)].title"),
            json!(["Sayings", "Moby Dick", "LOTR"])
        );
        assert_eq!(
            titles("$.store.book[?((@.price > 20 || @.price < 9) && !(@.isbn))].title"),
            json!(["Sayings"])
        );
        assert_eq!(
            titles("$.store.book[?(@.category in ['reference'])].title"),
            json!(["Sayings"])
        );
        assert_eq!(
            titles("$.store.book[?(@.category nin ['fiction'])].title"),
            json!(["Sayings"])
        );
        assert_eq!(
            titles("$.store.book[?(@.title size 4)].title"),
            json!(["LOTR"])
        );
        assert_eq!(
            titles("$.store.book[?(@.author contains 'Tolkien')].title"),
            json!(["LOTR"])
        );
        assert_eq!(
            titles("$..book[?(@.price == 8.99)].title"),
            json!(["Moby Dick"])
        );
        // A filter applied to an object tests the object itself.
        assert_eq!(
            q("$.store.bicycle[?(@.color)]", &d),
            json!([{"color": "red", "price": 19.95}])
        );
        assert_eq!(q("$.store.bicycle[?(@.wheels)]", &d), json!([]));
    }

    #[test]
    fn set_operators_and_empty() {
        let d = json!({"items": [
            {"id": 1, "tags": ["a", "b"], "s": ""},
            {"id": 2, "tags": ["c"], "s": "x"}
        ]});
        assert_eq!(
            q("$.items[?(@.tags subsetof ['a','b','z'])].id", &d),
            json!([1])
        );
        assert_eq!(q("$.items[?(@.tags anyof ['c','q'])].id", &d), json!([2]));
        assert_eq!(q("$.items[?(@.tags noneof ['c'])].id", &d), json!([1]));
        assert_eq!(q("$.items[?(@.s empty true)].id", &d), json!([1]));
        assert_eq!(q("$.items[?(@.s empty false)].id", &d), json!([2]));
        assert_eq!(q("$.items[?(@.tags size 2)].id", &d), json!([1]));
        assert_eq!(
            q("$.items[?(@.id == '2')].id", &d),
            json!([2]),
            "Jayway: numeric string equals number"
        );
        assert_eq!(q("$.items[?(@.missing != 1)].id", &d), json!([1, 2]));
        assert_eq!(q("$.items[?(@.id == 1.0)].id", &d), json!([1]));
        assert_eq!(q("$.items[?(@.tags == ['c'])].id", &d), json!([2]));
        assert_eq!(
            q(
                "$.items[?(@.t == true)].id",
                &json!({"items": [{"id": 1, "t": true}]})
            ),
            json!([1])
        );
        assert_eq!(
            q(
                "$.items[?(@.t == null)].id",
                &json!({"items": [{"id": 1, "t": null}]})
            ),
            json!([1])
        );
    }

    #[test]
    fn functions() {
        let d = json!({"a": [1, 2, 3, 4], "o": {"x": 1, "y": 2}, "s": "hé", "e": []});
        assert_eq!(q("$.a.length()", &d), json!(4));
        assert_eq!(q("$.o.length()", &d), json!(2));
        assert_eq!(q("$.s.length()", &d), json!(2));
        assert_eq!(q("$.a.size()", &d), json!(4));
        assert_eq!(q("$.a.sum()", &d), json!(10.0));
        assert_eq!(q("$.a.min()", &d), json!(1.0));
        assert_eq!(q("$.a.max()", &d), json!(4.0));
        assert_eq!(q("$.a.avg()", &d), json!(2.5));
        assert_eq!(q("$.a.stddev()", &d), json!(1.118033988749895));
        assert_eq!(q("$.o.keys()", &d), json!(["x", "y"]));
        assert_eq!(q("$.a.first()", &d), json!(1));
        assert_eq!(q("$.a.last()", &d), json!(4));
        assert_eq!(q("$.a[*].length()", &d), json!(4));
        let err = Query::parse("$.e.sum()").unwrap().eval(&d).unwrap_err();
        assert!(matches!(err, EvalError::BadType { .. }));
        assert!(err.to_string().contains("empty array"));
        assert_eq!(q("$.a[?(@ > 2)]", &d), json!([3, 4]));
        assert_eq!(
            q(
                "$.x[?(@.a.length() > 1)].id",
                &json!({"x": [{"id": 1, "a": [1, 2]}, {"id": 2, "a": [1]}]})
            ),
            json!([1])
        );
    }

    #[test]
    fn aws_error_messages() {
        let d = json!({"a": {"b": 1}, "arr": [1, 2], "s": "str"});
        let e = Query::parse("$.NoSuchInputPath")
            .unwrap()
            .eval(&d)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
        );
        assert!(e.is_not_found());
        let e = Query::parse("$.no.such.result.path")
            .unwrap()
            .eval(&d)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid path '$.no.such.result.path' : Missing property in path $['no']"
        );
        let e = Query::parse("$.a.c").unwrap().eval(&d).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid path '$.a.c' : No results for path: $['a']['c']"
        );
        let e = Query::parse("$.s.x").unwrap().eval(&d).unwrap_err();
        assert!(
            e.to_string()
                .contains("Expected to find an object with property ['x'] in path $['s']")
        );
        let e = Query::parse("$.a[0]").unwrap().eval(&d).unwrap_err();
        assert!(e.to_string().contains("can only be applied to arrays"));
        // Jackson returns null for an out-of-range index at the end of a definite path.
        assert_eq!(q("$.arr[5]", &d), Value::Null);
        let e = Query::parse("$.arr[5].x").unwrap().eval(&d).unwrap_err();
        assert!(e.to_string().contains("but found 'null'"), "{e}");
    }

    #[test]
    fn normalized_display() {
        let s = |p: &str| Query::parse(p).unwrap().to_string();
        assert_eq!(s("$.a.b[0]"), "$['a']['b'][0]");
        assert_eq!(s("$..a[*]"), "$..['a'][*]");
        assert_eq!(s("$['a','b'][1:2][?(@.x)]"), "$['a','b'][1:2][?]");
        assert_eq!(s("$.a.length()"), "$['a'].length()");
        assert_eq!(s("$"), "$");
    }

    #[test]
    fn escapes_in_dot_names() {
        let d = json!({"store.book": 1, "a b": 2, "it's": 3, "&Ж中": {"𐍆": 4}});
        assert_eq!(q("$.store\\.book", &d), json!(1));
        assert_eq!(q("$['a b']", &d), json!(2));
        assert_eq!(q("$['it\\'s']", &d), json!(3));
        assert_eq!(q("$.&Ж中.\u{10346}", &d), json!(4));
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "",
            "a",
            "$.",
            "$..",
            "$.a b",
            "$[",
            "$[0",
            "$['a'",
            "$[::2]",
            "$[1:2:3]",
            "$[?(@.a ==)]",
            "$[?(@.a",
            "$.a.nosuchfn()",
            "$.a.length().b",
            "$[?(@.a =~ 'x')]",
            "$[?(@.a =~ /[/)]",
            "$[abc]",
            "$.a[?(1)]",
        ] {
            assert!(Query::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowing() {
        let deep = format!("$[?({}@.a{})]", "(".repeat(5000), ")".repeat(5000));
        assert!(Query::parse(&deep).is_err());
        let brackets = format!("${}", "[".repeat(100_000));
        assert!(Query::parse(&brackets).is_err());
        let lit = format!("$[?(@.a in {})]", "[".repeat(10_000));
        assert!(Query::parse(&lit).is_err());
        let nested = format!("$.{}", "a[?(@.".repeat(1000));
        assert!(Query::parse(&nested).is_err());
    }
}
