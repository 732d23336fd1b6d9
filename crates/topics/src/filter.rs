//! Subscription filter policies: parsed and checked when set
//! (`FilterPolicy`, with AWS's limits and "Invalid parameter: FilterPolicy: …"
//! messages), matched at publish time against the message attributes
//! (`FilterPolicyScope: MessageAttributes`, the default) or the JSON body
//! (`MessageBody`).
//!
//! Semantics: every key of a policy object must match (AND); the conditions
//! listed for a key are alternatives (OR); `"$or": [policy, …]` matches when
//! one of its policies does. When the value under a key is an array (a
//! `String.Array` attribute or a body array), one matching element suffices.

use serde_json::{Map, Value};

use crate::error::SnsError;

/// AWS's cap on the keys of a policy (attribute names or body paths).
const MAX_KEYS: usize = 5;
/// AWS's cap on the combinations of values a policy expands to.
const MAX_COMBINATIONS: usize = 150;

/// Where a policy looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

impl Scope {
    pub fn parse(s: &str) -> Result<Scope, SnsError> {
        match s {
            "MessageAttributes" => Ok(Scope::MessageAttributes),
            "MessageBody" => Ok(Scope::MessageBody),
            _ => Err(SnsError::invalid(
                "FilterPolicyScope: Invalid filter policy scope",
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Exact(Value),
    Prefix(String),
    Suffix(String),
    IgnoreCase(String),
    AnythingBut(Vec<Value>),
    AnythingButPrefix(String),
    AnythingButSuffix(String),
    Numeric(Vec<(Op, f64)>),
    Exists(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// Every entry must match; `$or` entries hold alternatives.
    Object(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Key(String, Leaf),
    Or(Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Leaf {
    Conds(Vec<Cond>),
    Nested(Node),
}

/// A parsed, valid filter policy.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPolicy {
    root: Node,
}

fn bad(detail: impl std::fmt::Display) -> SnsError {
    SnsError::invalid(format!("FilterPolicy: {detail}"))
}

impl FilterPolicy {
    /// Parses and checks `text` for `scope`.
    pub fn parse(text: &str, scope: Scope) -> Result<FilterPolicy, SnsError> {
        let value: Value = serde_json::from_str(text).map_err(|_| bad("failed to parse JSON."))?;
        let Value::Object(map) = value else {
            return Err(bad("Filter policy must be a JSON object"));
        };
        let mut keys = 0;
        let root = parse_node(&map, scope, 0, &mut keys)?;
        if keys > MAX_KEYS {
            return Err(bad(format!(
                "Filter policy can not have more than {MAX_KEYS} keys"
            )));
        }
        if combinations(&root) > MAX_COMBINATIONS {
            return Err(bad("Filter policy is too complex"));
        }
        Ok(FilterPolicy { root })
    }

    /// Matches against `document`: the attributes as a JSON object
    /// (see [`attributes_document`]) or the parsed message body.
    pub fn matches(&self, document: &Value) -> bool {
        node_matches(&self.root, Some(document))
    }
}

fn parse_node(
    map: &Map<String, Value>,
    scope: Scope,
    depth: usize,
    keys: &mut usize,
) -> Result<Node, SnsError> {
    if map.is_empty() && depth == 0 {
        return Ok(Node::Object(Vec::new()));
    }
    let mut entries = Vec::new();
    for (key, value) in map {
        if key == "$or" {
            let Value::Array(options) = value else {
                return Err(bad("$or must be an array of objects"));
            };
            if options.len() < 2 {
                return Err(bad("$or must have at least 2 elements"));
            }
            let mut nodes = Vec::new();
            for o in options {
                let Value::Object(m) = o else {
                    return Err(bad("$or must be an array of objects"));
                };
                nodes.push(parse_node(m, scope, depth, keys)?);
            }
            entries.push(Entry::Or(nodes));
            continue;
        }
        match value {
            Value::Array(list) => {
                *keys += 1;
                entries.push(Entry::Key(
                    key.clone(),
                    Leaf::Conds(parse_conds(key, list)?),
                ));
            }
            Value::Object(m) if scope == Scope::MessageBody => {
                entries.push(Entry::Key(
                    key.clone(),
                    Leaf::Nested(parse_node(m, scope, depth + 1, keys)?),
                ));
            }
            Value::Object(_) => {
                return Err(bad(format!("\"{key}\" must be an object or an array")));
            }
            _ => {
                return Err(bad(
                    "Match value must be String, number, true, false, or null",
                ));
            }
        }
    }
    Ok(Node::Object(entries))
}

fn parse_conds(key: &str, list: &[Value]) -> Result<Vec<Cond>, SnsError> {
    if list.is_empty() {
        return Err(bad(format!("Empty arrays are not allowed (key {key})")));
    }
    list.iter().map(parse_cond).collect()
}

fn parse_cond(v: &Value) -> Result<Cond, SnsError> {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => {
            Ok(Cond::Exact(v.clone()))
        }
        Value::Array(_) => Err(bad(
            "Match value must be String, number, true, false, or null",
        )),
        Value::Object(m) => {
            let (op, arg) = match m.iter().next() {
                Some(kv) if m.len() == 1 => kv,
                _ => {
                    return Err(bad(
                        "Match value must be String, number, true, false, or null",
                    ));
                }
            };
            let string = |what: &str| {
                arg.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad(format!("{what} match pattern must be a string")))
            };
            match op.as_str() {
                "prefix" => Ok(Cond::Prefix(string("prefix")?)),
                "suffix" => Ok(Cond::Suffix(string("suffix")?)),
                "equals-ignore-case" => Ok(Cond::IgnoreCase(string("equals-ignore-case")?)),
                "exists" => match arg {
                    Value::Bool(b) => Ok(Cond::Exists(*b)),
                    _ => Err(bad("exists match pattern must be either true or false.")),
                },
                "anything-but" => match arg {
                    Value::String(_) | Value::Number(_) => Ok(Cond::AnythingBut(vec![arg.clone()])),
                    Value::Array(items)
                        if !items.is_empty()
                            && items.iter().all(|i| i.is_string() || i.is_number()) =>
                    {
                        Ok(Cond::AnythingBut(items.clone()))
                    }
                    Value::Object(inner) if inner.len() == 1 => match inner.iter().next() {
                        Some((k, Value::String(s))) if k == "prefix" => {
                            Ok(Cond::AnythingButPrefix(s.clone()))
                        }
                        Some((k, Value::String(s))) if k == "suffix" => {
                            Ok(Cond::AnythingButSuffix(s.clone()))
                        }
                        _ => Err(bad("Unsupported anything-but pattern")),
                    },
                    _ => Err(bad(
                        "Value of anything-but must be an array or single string/number value.",
                    )),
                },
                "numeric" => parse_numeric(arg),
                other => Err(bad(format!("Unrecognized match type {other}"))),
            }
        }
    }
}

fn parse_numeric(arg: &Value) -> Result<Cond, SnsError> {
    let Value::Array(items) = arg else {
        return Err(bad("Value of numeric must be an array."));
    };
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        return Err(bad("Value of numeric must be an array."));
    }
    let mut out = Vec::new();
    for pair in items.chunks(2) {
        let op = match pair[0].as_str() {
            Some("<") => Op::Lt,
            Some("<=") => Op::Le,
            Some("=") => Op::Eq,
            Some(">=") => Op::Ge,
            Some(">") => Op::Gt,
            _ => return Err(bad("Unrecognized numeric range operator")),
        };
        let Some(n) = pair[1].as_f64() else {
            return Err(bad("Value of < must be numeric"));
        };
        out.push((op, n));
    }
    if out.len() == 2 {
        let lower = matches!(out[0].0, Op::Gt | Op::Ge);
        let upper = matches!(out[1].0, Op::Lt | Op::Le);
        if !lower || !upper || out[0].1 >= out[1].1 {
            return Err(bad("Bottom must be less than top"));
        }
    }
    Ok(Cond::Numeric(out))
}

fn combinations(node: &Node) -> usize {
    let Node::Object(entries) = node;
    entries.iter().fold(1usize, |acc, e| {
        let n = match e {
            Entry::Key(_, Leaf::Conds(c)) => c.len(),
            Entry::Key(_, Leaf::Nested(n)) => combinations(n),
            Entry::Or(nodes) => nodes.iter().map(combinations).sum(),
        };
        acc.saturating_mul(n.max(1))
    })
}

fn node_matches(node: &Node, doc: Option<&Value>) -> bool {
    let Node::Object(entries) = node;
    entries.iter().all(|e| match e {
        Entry::Or(nodes) => nodes.iter().any(|n| node_matches(n, doc)),
        Entry::Key(key, leaf) => {
            let child = doc.and_then(|d| d.get(key));
            match leaf {
                Leaf::Conds(conds) => conds.iter().any(|c| cond_matches(c, child)),
                Leaf::Nested(n) => match child {
                    Some(Value::Array(items)) => items.iter().any(|i| node_matches(n, Some(i))),
                    Some(v @ Value::Object(_)) => node_matches(n, Some(v)),
                    _ => node_matches(n, None),
                },
            }
        }
    })
}

fn cond_matches(cond: &Cond, value: Option<&Value>) -> bool {
    if let Cond::Exists(want) = cond {
        return value.is_some() == *want;
    }
    match value {
        None => false,
        Some(Value::Array(items)) => items.iter().any(|i| scalar_matches(cond, i)),
        Some(v) => scalar_matches(cond, v),
    }
}

fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn scalar_matches(cond: &Cond, v: &Value) -> bool {
    match cond {
        Cond::Exact(want) => match (want, v) {
            (Value::Number(_), Value::Number(_)) => numbers_equal(want, v),
            _ => want == v,
        },
        Cond::Prefix(p) => v.as_str().is_some_and(|s| s.starts_with(p.as_str())),
        Cond::Suffix(p) => v.as_str().is_some_and(|s| s.ends_with(p.as_str())),
        Cond::IgnoreCase(p) => v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(p)),
        Cond::AnythingBut(values) => !values.iter().any(|w| match (w, v) {
            (Value::Number(_), Value::Number(_)) => numbers_equal(w, v),
            _ => w == v,
        }),
        Cond::AnythingButPrefix(p) => v.as_str().is_some_and(|s| !s.starts_with(p.as_str())),
        Cond::AnythingButSuffix(p) => v.as_str().is_some_and(|s| !s.ends_with(p.as_str())),
        Cond::Numeric(ranges) => v.as_f64().is_some_and(|n| {
            ranges.iter().all(|(op, x)| match op {
                Op::Lt => n < *x,
                Op::Le => n <= *x,
                Op::Eq => n == *x,
                Op::Ge => n >= *x,
                Op::Gt => n > *x,
            })
        }),
        Cond::Exists(_) => true,
    }
}

/// The message attributes as a document for [`FilterPolicy::matches`]:
/// `String*` values as strings, `Number*` as numbers, `String.Array` as its
/// parsed array; binary attributes are not matchable and left out.
pub fn attributes_document<'a>(
    attributes: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> Value {
    let mut map = Map::new();
    for (name, data_type, string_value) in attributes {
        let Some(s) = string_value else { continue };
        let value = if data_type == "String.Array" {
            serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.to_string()))
        } else if data_type.starts_with("Number") {
            s.trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(s.to_string()))
        } else if data_type.starts_with("String") {
            Value::String(s.to_string())
        } else {
            continue;
        };
        map.insert(name.to_string(), value);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(list: &[(&str, &str, &str)]) -> Value {
        attributes_document(list.iter().map(|(n, t, v)| (*n, *t, Some(*v))))
    }

    fn policy(v: Value) -> FilterPolicy {
        FilterPolicy::parse(&v.to_string(), Scope::MessageAttributes).unwrap()
    }

    #[test]
    fn exact_strings_and_numbers() {
        let p = policy(json!({"store": ["example_corp"], "price": [{"numeric": [">=", 100]}]}));
        assert!(p.matches(&attrs(&[
            ("store", "String", "example_corp"),
            ("price", "Number", "150")
        ])));
        assert!(!p.matches(&attrs(&[
            ("store", "String", "example_corp"),
            ("price", "Number", "50")
        ])));
        assert!(!p.matches(&attrs(&[("store", "String", "example_corp")])));
        // A string condition never matches a Number attribute.
        let p = policy(json!({"n": ["5"]}));
        assert!(!p.matches(&attrs(&[("n", "Number", "5")])));
        let p = policy(json!({"n": [5]}));
        assert!(p.matches(&attrs(&[("n", "Number", "5.0")])));
    }

    #[test]
    fn operators() {
        let p = policy(json!({
            "a": [{"prefix": "win"}],
            "b": [{"anything-but": ["x", "y"]}],
            "c": [{"exists": false}],
            "d": [{"equals-ignore-case": "HeLLo"}],
        }));
        assert!(p.matches(&attrs(&[
            ("a", "String", "winner"),
            ("b", "String", "z"),
            ("d", "String", "hello")
        ])));
        assert!(!p.matches(&attrs(&[
            ("a", "String", "winner"),
            ("b", "String", "x"),
            ("d", "String", "hello")
        ])));
        assert!(!p.matches(&attrs(&[
            ("a", "String", "w"),
            ("b", "String", "z"),
            ("d", "String", "hello")
        ])));
        assert!(!p.matches(&attrs(&[
            ("a", "String", "winner"),
            ("b", "String", "z"),
            ("c", "String", "1"),
            ("d", "String", "hello")
        ])));
    }

    #[test]
    fn string_arrays_match_any_element() {
        let p = policy(json!({"sports": ["rugby"]}));
        assert!(p.matches(&attrs(&[(
            "sports",
            "String.Array",
            r#"["soccer","rugby"]"#
        )])));
        assert!(!p.matches(&attrs(&[("sports", "String.Array", r#"["soccer"]"#)])));
    }

    #[test]
    fn or_and_body_scope() {
        let p = FilterPolicy::parse(
            r#"{"order": {"total": [{"numeric": [">", 10, "<=", 20]}]}, "$or": [{"kind": ["a"]}, {"kind": ["b"]}]}"#,
            Scope::MessageBody,
        )
        .unwrap();
        assert!(p.matches(&json!({"order": {"total": 15}, "kind": "b"})));
        assert!(!p.matches(&json!({"order": {"total": 25}, "kind": "b"})));
        assert!(!p.matches(&json!({"order": {"total": 15}, "kind": "c"})));
    }

    #[test]
    fn invalid_policies_get_aws_messages() {
        let e = FilterPolicy::parse("{", Scope::MessageAttributes).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid parameter: FilterPolicy: failed to parse JSON."
        );
        let e =
            FilterPolicy::parse(r#"{"a": [{"foo": 1}]}"#, Scope::MessageAttributes).unwrap_err();
        assert!(
            e.message.contains("Unrecognized match type foo"),
            "{}",
            e.message
        );
        let e = FilterPolicy::parse(
            r#"{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}"#,
            Scope::MessageAttributes,
        )
        .unwrap_err();
        assert!(e.message.contains("more than 5 keys"));
        let e =
            FilterPolicy::parse(r#"{"a": {"b": ["1"]}}"#, Scope::MessageAttributes).unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        let e = FilterPolicy::parse(
            r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#,
            Scope::MessageAttributes,
        )
        .unwrap_err();
        assert!(e.message.contains("Bottom must be less than top"));
    }
}
