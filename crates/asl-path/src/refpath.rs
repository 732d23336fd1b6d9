//! Reference Paths: the single-node subset of JSONPath that can also be
//! *written* to (ResultPath, ItemsPath, SecondsPath, ...).
//!
//! Only `.name`, `['name']` and `[index]` steps are allowed. In dot
//! notation a backslash escapes the next character, so the ASL spec's
//! `$.store\.book` addresses the key `store.book` and `$.foo\@bar` the key
//! `foo@bar`.

use std::fmt::{self, Write as _};

use serde_json::{Map, Value};

use crate::error::{EvalError, ParseError, SetError};
use crate::json;

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefStep {
    /// Object member.
    Key(String),
    /// Array element (non-negative).
    Index(usize),
}

/// What a prefixed reference path is rooted at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRoot {
    /// `$...`: the state input (or whatever document the field applies to).
    Input,
    /// `$$...`: the Context object.
    Context,
    /// `$name...`: a workflow variable.
    Variable(String),
}

/// A parsed reference path rooted at `$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencePath {
    src: String,
    steps: Vec<RefStep>,
}

impl ReferencePath {
    /// Parses a reference path that starts with `$` (not `$$`, not a
    /// variable). Use [`ReferencePath::parse_rooted`] for fields that may also
    /// address the context object or a variable.
    pub fn parse(text: &str) -> Result<ReferencePath, ParseError> {
        if text.starts_with("$$") {
            return Err(ParseError::new(
                text,
                0,
                "A reference path here must not address the context object ('$$')",
            ));
        }
        Self::parse_body(text, text, 1)
    }

    /// Parses `$...`, `$$...` or `$name...` and reports which root it uses.
    /// The returned path is relative to that root.
    pub fn parse_rooted(text: &str) -> Result<(PathRoot, ReferencePath), ParseError> {
        if let Some(rest) = text.strip_prefix("$$") {
            let p = Self::parse_body(text, rest, 0)?;
            return Ok((PathRoot::Context, p));
        }
        match crate::expr::variable_name(text) {
            Some(name) => {
                let start = 1 + name.len();
                let p = Self::parse_body(text, &text[start..], 0)?;
                Ok((PathRoot::Variable(name.to_string()), p))
            }
            None => Ok((PathRoot::Input, Self::parse(text)?)),
        }
    }

    /// `body` is the text after the root marker; `skip` says how many chars
    /// of `body` are the `$` itself.
    fn parse_body(full: &str, body: &str, skip: usize) -> Result<ReferencePath, ParseError> {
        let chars: Vec<char> = body.chars().collect();
        let offset = full.chars().count() - chars.len();
        let err = |pos: usize, msg: &str| ParseError::new(full, pos + offset, msg);
        if skip == 1 && chars.first() != Some(&'$') {
            return Err(err(0, "A reference path must start with '$'"));
        }
        let mut i = skip;
        let mut steps = Vec::new();
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    i += 1;
                    if chars.get(i) == Some(&'[') {
                        continue;
                    }
                    let mut name = String::new();
                    while let Some(&c) = chars.get(i) {
                        match c {
                            '.' | '[' => break,
                            '\\' => {
                                let Some(&e) = chars.get(i + 1) else {
                                    return Err(err(i, "Reference path must not end with '\\'"));
                                };
                                name.push(e);
                                i += 2;
                            }
                            '@' | ',' | ':' | '?' | '*' | '(' | ')' | ']' | '\'' | '"' => {
                                return Err(err(
                                    i,
                                    &format!("Character '{c}' is not allowed in a reference path"),
                                ));
                            }
                            c if c.is_whitespace() => {
                                return Err(err(
                                    i,
                                    "Use bracket notation ['my prop'] for names with blanks",
                                ));
                            }
                            c => {
                                name.push(c);
                                i += 1;
                            }
                        }
                    }
                    if name.is_empty() {
                        return Err(err(i, "Empty property name in reference path"));
                    }
                    steps.push(RefStep::Key(name));
                }
                '[' => {
                    i += 1;
                    match chars.get(i) {
                        Some(&q @ ('\'' | '"')) => {
                            i += 1;
                            let mut name = String::new();
                            loop {
                                match chars.get(i) {
                                    None => return Err(err(i, "Unterminated quoted name")),
                                    Some('\\') => {
                                        let Some(&e) = chars.get(i + 1) else {
                                            return Err(err(i, "Unterminated quoted name"));
                                        };
                                        name.push(e);
                                        i += 2;
                                    }
                                    Some(&c) if c == q => {
                                        i += 1;
                                        break;
                                    }
                                    Some(&c) => {
                                        name.push(c);
                                        i += 1;
                                    }
                                }
                            }
                            steps.push(RefStep::Key(name));
                        }
                        Some(c) if c.is_ascii_digit() => {
                            let start = i;
                            while chars.get(i).is_some_and(char::is_ascii_digit) {
                                i += 1;
                            }
                            let text: String = chars[start..i].iter().collect();
                            let n = text
                                .parse::<usize>()
                                .map_err(|_| err(start, "Array index is too large"))?;
                            steps.push(RefStep::Index(n));
                        }
                        _ => {
                            return Err(err(
                                i,
                                "Only ['name'] and [index] are allowed in brackets of a reference path",
                            ));
                        }
                    }
                    if chars.get(i) != Some(&']') {
                        return Err(err(i, "Expected ']'"));
                    }
                    i += 1;
                }
                c => {
                    return Err(err(
                        i,
                        &format!("Unexpected character '{c}' in reference path"),
                    ));
                }
            }
        }
        Ok(ReferencePath {
            src: full.to_string(),
            steps,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// The steps after the root.
    pub fn steps(&self) -> &[RefStep] {
        &self.steps
    }

    /// True for `$` (ResultPath `$` replaces the whole document).
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    /// The node the path points at, if any. Never allocates.
    pub fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        let mut cur = root;
        for s in &self.steps {
            cur = match s {
                RefStep::Key(k) => cur.as_object()?.get(k)?,
                RefStep::Index(i) => cur.as_array()?.get(*i)?,
            };
        }
        Some(cur)
    }

    /// Like [`get`](Self::get) but with Jayway's error text for a miss
    /// (`No results for path: $['a']` / `Missing property in path $['a']`),
    /// for fields that AWS reports that way.
    pub fn eval<'a>(&self, root: &'a Value) -> Result<&'a Value, EvalError> {
        let mut cur = root;
        for (i, s) in self.steps.iter().enumerate() {
            let next = match s {
                RefStep::Key(k) => cur.as_object().and_then(|m| m.get(k)),
                RefStep::Index(n) => cur.as_array().and_then(|a| a.get(*n)),
            };
            cur = match next {
                Some(v) => v,
                None => {
                    let detail = if i + 1 == self.steps.len() || !cur.is_object() {
                        format!("No results for path: {self}")
                    } else {
                        format!("Missing property in path {}", normalized(&self.steps[..=i]))
                    };
                    return Err(EvalError::PathNotFound {
                        path: self.src.clone(),
                        detail,
                    });
                }
            };
        }
        Ok(cur)
    }

    /// Writes `value` at the path with ResultPath semantics and returns the
    /// new document: `$` replaces everything; missing object members are
    /// created (as objects for intermediate steps); an existing member is
    /// overwritten; stepping into a non-object (or a missing/out-of-range
    /// array element) fails.
    pub fn set(&self, mut root: Value, value: Value) -> Result<Value, SetError> {
        self.set_in_place(&mut root, value)?;
        Ok(root)
    }

    /// In-place form of [`set`](Self::set). On error `root` is unchanged.
    pub fn set_in_place(&self, root: &mut Value, value: Value) -> Result<(), SetError> {
        if self.steps.is_empty() {
            *root = value;
            return Ok(());
        }
        self.check_settable(root)?;
        let mut cur = root;
        let last = self.steps.len() - 1;
        for (i, s) in self.steps.iter().enumerate() {
            let slot: &mut Value = match (s, cur) {
                (RefStep::Key(k), Value::Object(m)) => {
                    if i == last {
                        m.insert(k.clone(), value);
                        return Ok(());
                    }
                    m.entry(k.clone())
                        .or_insert_with(|| Value::Object(Map::new()))
                }
                (RefStep::Index(n), Value::Array(a)) => match a.get_mut(*n) {
                    Some(slot) if i == last => {
                        *slot = value;
                        return Ok(());
                    }
                    Some(slot) => slot,
                    None => return Err(self.set_error_msg(i)),
                },
                _ => return Err(self.set_error_msg(i)),
            };
            cur = slot;
        }
        Ok(())
    }

    /// Dry run so that a failing `set` leaves the document untouched.
    fn check_settable(&self, root: &Value) -> Result<(), SetError> {
        let mut cur = Some(root);
        for (i, s) in self.steps.iter().enumerate() {
            cur = match (s, cur) {
                // A member that will be created: everything below is new objects.
                (RefStep::Key(k), Some(Value::Object(m))) => match m.get(k) {
                    Some(v) => Some(v),
                    None => None,
                },
                (RefStep::Key(_), None) => None,
                (RefStep::Index(n), Some(Value::Array(a))) if *n < a.len() => a.get(*n),
                (_, Some(_)) => return Err(self.set_error(i, root)),
                (RefStep::Index(_), None) => return Err(self.set_error(i, root)),
            };
        }
        Ok(())
    }

    fn set_error(&self, i: usize, at: &Value) -> SetError {
        SetError {
            path: self.src.clone(),
            input: json::compact(at),
            step: normalized(&self.steps[i..=i])
                .trim_start_matches('$')
                .to_string(),
        }
    }

    fn set_error_msg(&self, i: usize) -> SetError {
        SetError {
            path: self.src.clone(),
            input: String::new(),
            step: normalized(&self.steps[i..=i])
                .trim_start_matches('$')
                .to_string(),
        }
    }
}

fn normalized(steps: &[RefStep]) -> String {
    let mut s = String::from("$");
    for st in steps {
        let _ = match st {
            RefStep::Key(k) => write!(s, "['{k}']"),
            RefStep::Index(i) => write!(s, "[{i}]"),
        };
    }
    s
}

impl fmt::Display for ReferencePath {
    /// Jayway's normalized form, e.g. `$['a'][0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&normalized(&self.steps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spec_examples_parse() {
        for ok in [
            "$",
            "$.store.book",
            "$.store\\.book",
            "$.\\stor\\e.boo\\k",
            "$.foo\\@bar.baz\\[\\[.\\?pretty",
            "$.&Ж中.\u{10346}",
            "$.ledgers.branch[0].pending.count",
            "$.ledgers[0][22][315].foo",
            "$['store']['book']",
            "$['store'][0]['book']",
            "$.abc.['def ghi']",
        ] {
            assert!(ReferencePath::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            ReferencePath::parse("$.foo\\@bar.baz\\[\\[.\\?pretty")
                .unwrap()
                .steps(),
            &[
                RefStep::Key("foo@bar".into()),
                RefStep::Key("baz[[".into()),
                RefStep::Key("?pretty".into())
            ]
        );
        assert_eq!(
            ReferencePath::parse("$.\\stor\\e.boo\\k").unwrap().steps(),
            &[RefStep::Key("store".into()), RefStep::Key("book".into())]
        );
    }

    #[test]
    fn rejects_non_reference_syntax() {
        for bad in [
            "",
            "a",
            "$$.x",
            "$..a",
            "$.a[*]",
            "$.a[?(@.x)]",
            "$.a.length()",
            "$.a[0,1]",
            "$.a[1:2]",
            "$.a@b",
            "$.a,b",
            "$.a:b",
            "$.a?b",
            "$.*",
            "$.a[-1]",
            "$.",
            "$.a\\",
            "$[a]",
            "$.a b",
        ] {
            assert!(
                ReferencePath::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn rooted_forms() {
        let (root, p) = ReferencePath::parse_rooted("$$.Execution.Input").unwrap();
        assert_eq!(root, PathRoot::Context);
        assert_eq!(
            p.steps(),
            &[
                RefStep::Key("Execution".into()),
                RefStep::Key("Input".into())
            ]
        );
        let (root, p) = ReferencePath::parse_rooted("$myVar.items[0]").unwrap();
        assert_eq!(root, PathRoot::Variable("myVar".into()));
        assert_eq!(
            p.steps(),
            &[RefStep::Key("items".into()), RefStep::Index(0)]
        );
        let (root, p) = ReferencePath::parse_rooted("$.x").unwrap();
        assert_eq!(root, PathRoot::Input);
        assert_eq!(p.as_str(), "$.x");
    }

    #[test]
    fn get_and_eval() {
        let d = json!({"a": {"b": [10, {"c": true}]}});
        let p = ReferencePath::parse("$.a.b[1].c").unwrap();
        assert_eq!(p.get(&d), Some(&json!(true)));
        assert_eq!(ReferencePath::parse("$.a.x").unwrap().get(&d), None);
        assert_eq!(
            ReferencePath::parse("$.no.such")
                .unwrap()
                .eval(&d)
                .unwrap_err()
                .to_string(),
            "Invalid path '$.no.such' : Missing property in path $['no']"
        );
        assert_eq!(
            ReferencePath::parse("$.a.x")
                .unwrap()
                .eval(&d)
                .unwrap_err()
                .to_string(),
            "Invalid path '$.a.x' : No results for path: $['a']['x']"
        );
        assert_eq!(p.to_string(), "$['a']['b'][1]['c']");
    }

    #[test]
    fn set_semantics() {
        let set = |p: &str, root: Value, v: Value| ReferencePath::parse(p).unwrap().set(root, v);
        assert_eq!(set("$", json!({"a": 1}), json!(5)).unwrap(), json!(5));
        assert_eq!(
            set("$.r", json!({"a": 1}), json!(5)).unwrap(),
            json!({"a": 1, "r": 5})
        );
        assert_eq!(
            set("$.a", json!({"a": 1, "b": 2}), json!(5)).unwrap(),
            json!({"a": 5, "b": 2})
        );
        assert_eq!(
            set("$.x.y.z", json!({"a": 1}), json!(5)).unwrap(),
            json!({"a": 1, "x": {"y": {"z": 5}}})
        );
        assert_eq!(
            set("$.a[1]", json!({"a": [1, 2]}), json!(5)).unwrap(),
            json!({"a": [1, 5]})
        );
        assert_eq!(
            set("$.a[0].b", json!({"a": [{"c": 1}]}), json!(5)).unwrap(),
            json!({"a": [{"c": 1, "b": 5}]})
        );
        let e = set("$.x", json!("hello"), json!(5)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Unable to apply ReferencePath $.x to input \"hello\""
        );
        assert!(set("$.a.b", json!({"a": 3}), json!(5)).is_err());
        assert!(set("$.a[5]", json!({"a": [1]}), json!(5)).is_err());
        assert!(set("$.m[0]", json!({}), json!(5)).is_err());
        assert!(set("$[0]", json!({}), json!(5)).is_err());
        // A failed in-place set leaves the document untouched.
        let mut doc = json!({"a": {"b": 1}});
        let p = ReferencePath::parse("$.a.b.c").unwrap();
        assert!(p.set_in_place(&mut doc, json!(1)).is_err());
        assert_eq!(doc, json!({"a": {"b": 1}}));
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        fn key() -> impl Strategy<Value = String> {
            "[a-zA-Z_][a-zA-Z0-9_]{0,6}"
        }

        proptest! {
            #[test]
            fn set_then_get_round_trips(keys in proptest::collection::vec(key(), 0..5), v in any::<i64>()) {
                let path = keys.iter().fold(String::from("$"), |mut s, k| { s.push('.'); s.push_str(k); s });
                let p = ReferencePath::parse(&path).unwrap();
                let doc = p.set(json!({"other": 1}), json!(v)).unwrap();
                prop_assert_eq!(p.get(&doc), Some(&json!(v)));
            }

            #[test]
            fn bracket_keys_round_trip(k in "\\PC{1,10}", v in any::<bool>()) {
                let escaped = k.replace('\\', "\\\\").replace('\'', "\\'");
                let p = ReferencePath::parse(&format!("$['{escaped}']")).unwrap();
                let doc = p.set(json!({}), json!(v)).unwrap();
                prop_assert_eq!(p.get(&doc), Some(&json!(v)));
                prop_assert_eq!(doc.get(&k), Some(&json!(v)));
            }

            #[test]
            fn parsers_never_panic(s in "\\PC{0,40}") {
                let _ = ReferencePath::parse(&s);
                let _ = ReferencePath::parse_rooted(&s);
                let _ = crate::PathExpr::parse(&s);
                let _ = crate::check_payload_value(&s);
            }

            #[test]
            fn path_like_strings_never_panic(s in "[$@.\\[\\]'\"?()*:,0-9a-c<>=!&|~/ -]{0,40}") {
                let doc = json!({"a": [1, {"b": "c"}], "b": {"c": [true, null]}});
                if let Ok(q) = crate::Query::parse(&s) {
                    let _ = q.eval(&doc);
                }
                let _ = crate::Intrinsic::parse(&s);
            }
        }
    }
}
