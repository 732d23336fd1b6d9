//! DynamoDB's expression language: condition/filter/key-condition
//! expressions, projection expressions and update expressions, with `#name`
//! and `:value` placeholders. Parsing is bounded (expression size and
//! nesting depth), so hostile input gets a ValidationException, never a
//! stack overflow.

use std::collections::{BTreeMap, BTreeSet};

use crate::number::Number;
use crate::value::{AttributeValue, Item};

/// DynamoDB caps each expression at 4 KB.
pub const MAX_EXPRESSION: usize = 4096;
/// Deepest nesting of parentheses, NOT and function calls we accept.
pub const MAX_NESTING: usize = 64;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Attr(String),
    Index(usize),
}

/// A document path (`a.b[2].c`), names already resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Path(pub Vec<Step>);

impl Path {
    /// The top-level attribute name.
    pub fn root(&self) -> &str {
        match &self.0[0] {
            Step::Attr(a) => a,
            Step::Index(_) => "",
        }
    }

    pub fn is_top(&self) -> bool {
        self.0.len() == 1
    }

    pub fn get<'a>(&self, item: &'a Item) -> Option<&'a AttributeValue> {
        let mut cur: Option<&AttributeValue> = None;
        for (i, step) in self.0.iter().enumerate() {
            cur = match (i, step, cur) {
                (0, Step::Attr(a), _) => item.get(a),
                (_, Step::Attr(a), Some(AttributeValue::M(m))) => m.get(a),
                (_, Step::Index(n), Some(AttributeValue::L(l))) => l.get(*n),
                _ => None,
            };
            cur?;
        }
        cur
    }

    fn display(&self) -> String {
        let mut s = String::new();
        for (i, st) in self.0.iter().enumerate() {
            match st {
                Step::Attr(a) if i == 0 => s.push_str(a),
                Step::Attr(a) => {
                    s.push_str(", ");
                    s.push_str(a)
                }
                Step::Index(n) => s.push_str(&format!(", [{n}]")),
            }
        }
        format!("[{s}]")
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value-producing operand of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(AttributeValue),
    Size(Path),
}

/// A condition (ConditionExpression, FilterExpression, KeyConditionExpression).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Cmp(Operand, Cmp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Exists(Path),
    NotExists(Path),
    Type(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

/// The right-hand side of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Path(Path),
    Value(AttributeValue),
    IfNotExists(Path, Box<SetValue>),
    ListAppend(Box<SetValue>, Box<SetValue>),
    Plus(Box<SetValue>, Box<SetValue>),
    Minus(Box<SetValue>, Box<SetValue>),
}

/// A parsed UpdateExpression.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    pub set: Vec<(Path, SetValue)>,
    pub remove: Vec<Path>,
    pub add: Vec<(Path, AttributeValue)>,
    pub delete: Vec<(Path, AttributeValue)>,
}

/// Placeholder maps of one request, tracking which ones the expressions use.
#[derive(Debug, Default)]
pub struct Placeholders {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttributeValue>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl Placeholders {
    pub fn new(
        names: BTreeMap<String, String>,
        values: BTreeMap<String, AttributeValue>,
    ) -> Placeholders {
        Placeholders {
            names,
            values,
            ..Default::default()
        }
    }

    /// DynamoDB's check after all expressions of a request are parsed.
    pub fn check_unused(&self) -> Result<(), String> {
        let unused: Vec<&String> = self
            .names
            .keys()
            .filter(|k| !self.used_names.contains(*k))
            .collect();
        if !unused.is_empty() {
            return Err(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                join(&unused)
            ));
        }
        let unused: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !self.used_values.contains(*k))
            .collect();
        if !unused.is_empty() {
            return Err(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                join(&unused)
            ));
        }
        Ok(())
    }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Name(String),
    Value(String),
    Int(usize),
    Dot,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Op(&'static str),
    Plus,
    Minus,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Name(s) | Tok::Value(s) => s.clone(),
            Tok::Int(n) => n.to_string(),
            Tok::Dot => ".".into(),
            Tok::LBracket => "[".into(),
            Tok::RBracket => "]".into(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Op(o) => (*o).into(),
            Tok::Plus => "+".into(),
            Tok::Minus => "-".into(),
        }
    }
}

/// DynamoDB's reserved words, one a line, sorted (the developer guide's
/// "Reserved words in DynamoDB"). An attribute name in an expression must
/// not be one of them, in any letter case; `#name` placeholders stand in.
const RESERVED_WORDS: &str = include_str!("reserved_words.txt");

fn is_reserved(word: &str) -> bool {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let words = WORDS.get_or_init(|| RESERVED_WORDS.lines().collect());
    words
        .binary_search(&word.to_ascii_uppercase().as_str())
        .is_ok()
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '#' | ':' => {
                let start = i;
                i += 1;
                while i < chars.len() && word(chars[i]) {
                    i += 1;
                }
                let t: String = chars[start..i].iter().collect();
                if t.len() == 1 {
                    return Err(format!("Syntax error; token: \"{c}\", near: \"{t}\""));
                }
                out.push(if c == '#' {
                    Tok::Name(t)
                } else {
                    Tok::Value(t)
                });
                continue;
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let t: String = chars[start..i].iter().collect();
                if i < chars.len() && word(chars[i]) {
                    while i < chars.len() && word(chars[i]) {
                        i += 1;
                    }
                    out.push(Tok::Ident(chars[start..i].iter().collect()));
                } else {
                    out.push(Tok::Int(t.parse().map_err(|_| {
                        format!("Syntax error; token: \"{t}\", near: \"{t}\"")
                    })?));
                }
                continue;
            }
            c if word(c) => {
                let start = i;
                while i < chars.len() && word(chars[i]) {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
                continue;
            }
            '.' => out.push(Tok::Dot),
            '[' => out.push(Tok::LBracket),
            ']' => out.push(Tok::RBracket),
            '(' => out.push(Tok::LParen),
            ')' => out.push(Tok::RParen),
            ',' => out.push(Tok::Comma),
            '+' => out.push(Tok::Plus),
            '-' => out.push(Tok::Minus),
            '=' => out.push(Tok::Op("=")),
            '<' => {
                if chars.get(i + 1) == Some(&'=') {
                    out.push(Tok::Op("<="));
                    i += 1;
                } else if chars.get(i + 1) == Some(&'>') {
                    out.push(Tok::Op("<>"));
                    i += 1;
                } else {
                    out.push(Tok::Op("<"));
                }
            }
            '>' => {
                if chars.get(i + 1) == Some(&'=') {
                    out.push(Tok::Op(">="));
                    i += 1;
                } else {
                    out.push(Tok::Op(">"));
                }
            }
            _ => return Err(format!("Invalid character encountered; character: \"{c}\"")),
        }
        i += 1;
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
    ph: &'a mut Placeholders,
}

impl<'a> Parser<'a> {
    fn new(text: &str, ph: &'a mut Placeholders) -> Result<Parser<'a>, String> {
        if text.len() > MAX_EXPRESSION {
            return Err("Expression size has exceeded the maximum allowed size".into());
        }
        if text.trim().is_empty() {
            return Err("The expression can not be empty;".into());
        }
        Ok(Parser {
            toks: lex(text)?,
            pos: 0,
            depth: 0,
            ph,
        })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn syntax(&self) -> String {
        let tok = self
            .toks
            .get(self.pos)
            .map(Tok::text)
            .unwrap_or_else(|| "<EOF>".into());
        let end = (self.pos + 1).min(self.toks.len());
        let start = self.pos.saturating_sub(1).min(end);
        let near: Vec<String> = self.toks[start..end].iter().map(Tok::text).collect();
        format!(
            "Syntax error; token: \"{tok}\", near: \"{}\"",
            near.join(" ")
        )
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn expect(&mut self, t: Tok) -> Result<(), String> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err("The expression has exceeded the maximum nesting depth".into());
        }
        Ok(())
    }

    fn end(&self) -> Result<(), String> {
        if self.pos < self.toks.len() {
            Err(self.syntax())
        } else {
            Ok(())
        }
    }

    fn name(&mut self, tok: &Tok) -> Result<String, String> {
        match tok {
            Tok::Ident(s) if is_reserved(s) => Err(format!(
                "Attribute name is a reserved keyword; reserved keyword: {s}"
            )),
            Tok::Ident(s) => Ok(s.clone()),
            Tok::Name(n) => match self.ph.names.get(n) {
                Some(v) => {
                    self.ph.used_names.insert(n.clone());
                    Ok(v.clone())
                }
                None => Err(format!(
                    "An expression attribute name used in the document path is not defined; attribute name: {n}"
                )),
            },
            _ => Err(self.syntax()),
        }
    }

    fn value(&mut self, v: &str) -> Result<AttributeValue, String> {
        match self.ph.values.get(v) {
            Some(x) => {
                self.ph.used_values.insert(v.to_string());
                Ok(x.clone())
            }
            None => Err(format!(
                "An expression attribute value used in expression is not defined; attribute value: {v}"
            )),
        }
    }

    /// A document path starting at the current token.
    fn path(&mut self) -> Result<Path, String> {
        let first = self.next().ok_or_else(|| self.syntax())?;
        if !matches!(first, Tok::Ident(_) | Tok::Name(_)) {
            self.pos -= 1;
            return Err(self.syntax());
        }
        let mut steps = vec![Step::Attr(self.name(&first)?)];
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    let t = self.next().ok_or_else(|| self.syntax())?;
                    if !matches!(t, Tok::Ident(_) | Tok::Name(_)) {
                        self.pos -= 1;
                        return Err(self.syntax());
                    }
                    steps.push(Step::Attr(self.name(&t)?));
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    match self.next() {
                        Some(Tok::Int(n)) => steps.push(Step::Index(n)),
                        _ => {
                            self.pos -= 1;
                            return Err(self.syntax());
                        }
                    }
                    self.expect(Tok::RBracket)?;
                }
                _ => break,
            }
            if steps.len() > MAX_NESTING {
                return Err("The document path has too many nesting levels".into());
            }
        }
        Ok(Path(steps))
    }

    fn is_function(&self, name: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == name)
            && self.toks.get(self.pos + 1) == Some(&Tok::LParen)
    }

    // ---- conditions ----

    fn or(&mut self) -> Result<Cond, String> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            self.pos += 1;
            let right = self.and()?;
            left = Cond::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut left = self.not()?;
        while self.keyword("AND") {
            self.pos += 1;
            let right = self.not()?;
            left = Cond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.keyword("NOT") {
            self.pos += 1;
            self.enter()?;
            let c = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(c)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, String> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            self.enter()?;
            let c = self.or()?;
            self.depth -= 1;
            self.expect(Tok::RParen)?;
            return Ok(c);
        }
        for f in [
            "attribute_exists",
            "attribute_not_exists",
            "attribute_type",
            "begins_with",
            "contains",
        ] {
            if self.is_function(f) {
                self.pos += 2;
                let c = match f {
                    "attribute_exists" => Cond::Exists(self.path()?),
                    "attribute_not_exists" => Cond::NotExists(self.path()?),
                    "attribute_type" => {
                        let p = self.path()?;
                        self.expect(Tok::Comma)?;
                        let t = self.operand()?;
                        Cond::Type(p, t)
                    }
                    _ => {
                        let a = self.operand()?;
                        self.expect(Tok::Comma)?;
                        let b = self.operand()?;
                        if f == "begins_with" {
                            Cond::BeginsWith(a, b)
                        } else {
                            Cond::Contains(a, b)
                        }
                    }
                };
                self.expect(Tok::RParen)?;
                return Ok(c);
            }
        }
        if let Some(Tok::Ident(s)) = self.peek()
            && self.toks.get(self.pos + 1) == Some(&Tok::LParen)
            && s != "size"
        {
            return Err(format!("Invalid function name; function: {s}"));
        }
        let left = self.operand()?;
        if self.keyword("BETWEEN") {
            self.pos += 1;
            let lo = self.operand()?;
            if !self.keyword("AND") {
                return Err(self.syntax());
            }
            self.pos += 1;
            let hi = self.operand()?;
            return Ok(Cond::Between(left, lo, hi));
        }
        if self.keyword("IN") {
            self.pos += 1;
            self.expect(Tok::LParen)?;
            let mut list = vec![self.operand()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                list.push(self.operand()?);
                if list.len() > 100 {
                    return Err("The IN operator is provided with too many operands; number of operands: 101".into());
                }
            }
            self.expect(Tok::RParen)?;
            return Ok(Cond::In(left, list));
        }
        let op = match self.next() {
            Some(Tok::Op(o)) => match o {
                "=" => Cmp::Eq,
                "<>" => Cmp::Ne,
                "<" => Cmp::Lt,
                "<=" => Cmp::Le,
                ">" => Cmp::Gt,
                _ => Cmp::Ge,
            },
            _ => {
                self.pos -= 1;
                return Err(self.syntax());
            }
        };
        let right = self.operand()?;
        Ok(Cond::Cmp(left, op, right))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        match self.peek() {
            Some(Tok::Value(v)) => {
                let v = v.clone();
                self.pos += 1;
                Ok(Operand::Value(self.value(&v)?))
            }
            Some(Tok::Ident(s))
                if s == "size" && self.toks.get(self.pos + 1) == Some(&Tok::LParen) =>
            {
                self.pos += 2;
                let p = self.path()?;
                self.expect(Tok::RParen)?;
                Ok(Operand::Size(p))
            }
            Some(Tok::Ident(s)) if self.toks.get(self.pos + 1) == Some(&Tok::LParen) => {
                Err(format!("Invalid function name; function: {s}"))
            }
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    // ---- updates ----

    fn update(&mut self) -> Result<Update, String> {
        let mut u = Update::default();
        let mut seen = BTreeSet::new();
        while self.pos < self.toks.len() {
            let clause = match self.next() {
                Some(Tok::Ident(s)) => s.to_ascii_uppercase(),
                _ => {
                    self.pos -= 1;
                    return Err(self.syntax());
                }
            };
            if !matches!(clause.as_str(), "SET" | "REMOVE" | "ADD" | "DELETE") {
                self.pos -= 1;
                return Err(self.syntax());
            }
            if !seen.insert(clause.clone()) {
                return Err(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                ));
            }
            loop {
                let path = self.path()?;
                match clause.as_str() {
                    "SET" => {
                        self.expect(Tok::Op("="))?;
                        let v = self.set_value()?;
                        u.set.push((path, v));
                    }
                    "REMOVE" => u.remove.push(path),
                    _ => {
                        let v = match self.next() {
                            Some(Tok::Value(v)) => self.value(&v)?,
                            _ => {
                                self.pos -= 1;
                                return Err(self.syntax());
                            }
                        };
                        if clause == "ADD" {
                            u.add.push((path, v));
                        } else {
                            u.delete.push((path, v));
                        }
                    }
                }
                if self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        if seen.is_empty() {
            return Err(self.syntax());
        }
        Ok(u)
    }

    fn set_value(&mut self) -> Result<SetValue, String> {
        let left = self.set_operand()?;
        match self.peek() {
            Some(Tok::Plus) => {
                self.pos += 1;
                let right = self.set_operand()?;
                Ok(SetValue::Plus(Box::new(left), Box::new(right)))
            }
            Some(Tok::Minus) => {
                self.pos += 1;
                let right = self.set_operand()?;
                Ok(SetValue::Minus(Box::new(left), Box::new(right)))
            }
            _ => Ok(left),
        }
    }

    fn set_operand(&mut self) -> Result<SetValue, String> {
        if self.is_function("if_not_exists") {
            self.pos += 2;
            self.enter()?;
            let p = self.path()?;
            self.expect(Tok::Comma)?;
            let v = self.set_operand()?;
            self.expect(Tok::RParen)?;
            self.depth -= 1;
            return Ok(SetValue::IfNotExists(p, Box::new(v)));
        }
        if self.is_function("list_append") {
            self.pos += 2;
            self.enter()?;
            let a = self.set_operand()?;
            self.expect(Tok::Comma)?;
            let b = self.set_operand()?;
            self.expect(Tok::RParen)?;
            self.depth -= 1;
            return Ok(SetValue::ListAppend(Box::new(a), Box::new(b)));
        }
        match self.peek() {
            Some(Tok::Value(v)) => {
                let v = v.clone();
                self.pos += 1;
                Ok(SetValue::Value(self.value(&v)?))
            }
            Some(Tok::Ident(s)) if self.toks.get(self.pos + 1) == Some(&Tok::LParen) => {
                Err(format!("Invalid function name; function: {s}"))
            }
            _ => Ok(SetValue::Path(self.path()?)),
        }
    }
}

/// Parses a ConditionExpression, FilterExpression or KeyConditionExpression.
pub fn parse_condition(text: &str, ph: &mut Placeholders) -> Result<Cond, String> {
    let mut p = Parser::new(text, ph)?;
    let c = p.or()?;
    p.end()?;
    Ok(c)
}

/// Parses a ProjectionExpression.
pub fn parse_projection(text: &str, ph: &mut Placeholders) -> Result<Vec<Path>, String> {
    let mut p = Parser::new(text, ph)?;
    let mut out = vec![p.path()?];
    while p.peek() == Some(&Tok::Comma) {
        p.pos += 1;
        out.push(p.path()?);
    }
    p.end()?;
    check_overlap(&out)?;
    Ok(out)
}

/// Parses an UpdateExpression.
pub fn parse_update(text: &str, ph: &mut Placeholders) -> Result<Update, String> {
    let mut p = Parser::new(text, ph)?;
    let u = p.update()?;
    p.end()?;
    let mut paths: Vec<Path> = u.set.iter().map(|(p, _)| p.clone()).collect();
    paths.extend(u.remove.iter().cloned());
    paths.extend(u.add.iter().map(|(p, _)| p.clone()));
    paths.extend(u.delete.iter().map(|(p, _)| p.clone()));
    check_overlap(&paths)?;
    Ok(u)
}

fn check_overlap(paths: &[Path]) -> Result<(), String> {
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            let n = a.0.len().min(b.0.len());
            if a.0[..n] == b.0[..n] {
                return Err(format!(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                    a.display(),
                    b.display()
                ));
            }
        }
    }
    Ok(())
}

// ---- evaluation ----

fn resolve(op: &Operand, item: &Item) -> Option<AttributeValue> {
    match op {
        Operand::Value(v) => Some(v.clone()),
        Operand::Path(p) => p.get(item).cloned(),
        Operand::Size(p) => {
            let n = match p.get(item)? {
                AttributeValue::S(s) => s.chars().count(),
                AttributeValue::B(b) => b.len(),
                AttributeValue::Ss(s) => s.len(),
                AttributeValue::Ns(s) => s.len(),
                AttributeValue::Bs(s) => s.len(),
                AttributeValue::L(l) => l.len(),
                AttributeValue::M(m) => m.len(),
                _ => return None,
            };
            Some(AttributeValue::N(
                Number::parse(&n.to_string()).unwrap_or_else(|_| Number::zero()),
            ))
        }
    }
}

/// Evaluates a condition against an item (an absent item is an empty one).
pub fn eval(c: &Cond, item: &Item) -> bool {
    match c {
        Cond::And(a, b) => eval(a, item) && eval(b, item),
        Cond::Or(a, b) => eval(a, item) || eval(b, item),
        Cond::Not(a) => !eval(a, item),
        Cond::Exists(p) => p.get(item).is_some(),
        Cond::NotExists(p) => p.get(item).is_none(),
        Cond::Type(p, t) => match (p.get(item), resolve(t, item)) {
            (Some(v), Some(AttributeValue::S(t))) => v.type_name() == t,
            _ => false,
        },
        Cond::BeginsWith(a, b) => match (resolve(a, item), resolve(b, item)) {
            (Some(AttributeValue::S(a)), Some(AttributeValue::S(b))) => a.starts_with(&b),
            (Some(AttributeValue::B(a)), Some(AttributeValue::B(b))) => a.starts_with(&b),
            _ => false,
        },
        Cond::Contains(a, b) => match (resolve(a, item), resolve(b, item)) {
            (Some(AttributeValue::S(a)), Some(AttributeValue::S(b))) => a.contains(&b),
            (Some(AttributeValue::B(a)), Some(AttributeValue::B(b))) => {
                b.is_empty() || a.windows(b.len()).any(|w| w == b.as_slice())
            }
            (Some(AttributeValue::Ss(a)), Some(AttributeValue::S(b))) => a.contains(&b),
            (Some(AttributeValue::Ns(a)), Some(AttributeValue::N(b))) => a.contains(&b),
            (Some(AttributeValue::Bs(a)), Some(AttributeValue::B(b))) => a.contains(&b),
            (Some(AttributeValue::L(a)), Some(b)) => a.iter().any(|x| x.same(&b)),
            _ => false,
        },
        Cond::In(a, list) => match resolve(a, item) {
            Some(a) => list
                .iter()
                .any(|o| resolve(o, item).is_some_and(|v| v.same(&a))),
            None => false,
        },
        Cond::Between(a, lo, hi) => {
            match (resolve(a, item), resolve(lo, item), resolve(hi, item)) {
                (Some(a), Some(lo), Some(hi)) => {
                    matches!(a.compare(&lo), Some(o) if o.is_ge())
                        && matches!(a.compare(&hi), Some(o) if o.is_le())
                }
                _ => false,
            }
        }
        Cond::Cmp(a, op, b) => {
            let (a, b) = (resolve(a, item), resolve(b, item));
            match op {
                Cmp::Eq => matches!((&a, &b), (Some(a), Some(b)) if a.same(b)),
                Cmp::Ne => match (&a, &b) {
                    (Some(a), Some(b)) => !a.same(b),
                    _ => true,
                },
                _ => match (a, b) {
                    (Some(a), Some(b)) => match a.compare(&b) {
                        Some(o) => match op {
                            Cmp::Lt => o.is_lt(),
                            Cmp::Le => o.is_le(),
                            Cmp::Gt => o.is_gt(),
                            _ => o.is_ge(),
                        },
                        None => false,
                    },
                    _ => false,
                },
            }
        }
    }
}

/// Keeps only the projected paths of an item.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for p in paths {
        if let Some(v) = p.get(item) {
            let mut v = v.clone();
            // Rebuild the containers along the path (lists compacted).
            for i in (1..p.0.len()).rev() {
                v = match &p.0[i] {
                    Step::Attr(a) => {
                        let mut m = Item::new();
                        m.insert(a.clone(), v);
                        AttributeValue::M(m)
                    }
                    Step::Index(_) => AttributeValue::L(vec![v]),
                };
            }
            merge(&mut out, p.root().to_string(), v);
        }
    }
    out
}

fn merge(into: &mut Item, key: String, v: AttributeValue) {
    match (into.get_mut(&key), v) {
        (Some(AttributeValue::M(a)), AttributeValue::M(b)) => {
            for (k, x) in b {
                merge(a, k, x);
            }
        }
        (Some(AttributeValue::L(a)), AttributeValue::L(b)) => a.extend(b),
        (_, v) => {
            into.insert(key, v);
        }
    }
}

fn eval_set(v: &SetValue, item: &Item) -> Result<AttributeValue, String> {
    let missing = || {
        "The provided expression refers to an attribute that does not exist in the item".to_string()
    };
    match v {
        SetValue::Value(v) => Ok(v.clone()),
        SetValue::Path(p) => p.get(item).cloned().ok_or_else(missing),
        SetValue::IfNotExists(p, d) => match p.get(item) {
            Some(v) => Ok(v.clone()),
            None => eval_set(d, item),
        },
        SetValue::ListAppend(a, b) => match (eval_set(a, item)?, eval_set(b, item)?) {
            (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                a.extend(b);
                Ok(AttributeValue::L(a))
            }
            (a, b) => Err(format!(
                "Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                if matches!(a, AttributeValue::L(_)) {
                    b.type_name()
                } else {
                    a.type_name()
                }
            )),
        },
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
            let sym = if matches!(v, SetValue::Plus(..)) {
                "+"
            } else {
                "-"
            };
            match (eval_set(a, item)?, eval_set(b, item)?) {
                (AttributeValue::N(a), AttributeValue::N(b)) => {
                    let r = if sym == "+" { a.add(&b) } else { a.sub(&b) };
                    r.map(AttributeValue::N).map_err(|e| e.to_string())
                }
                (a, b) => Err(format!(
                    "Incorrect operand type for operator or function; operator or function: {sym}, operand type: {}",
                    if matches!(a, AttributeValue::N(_)) {
                        b.type_name()
                    } else {
                        a.type_name()
                    }
                )),
            }
        }
    }
}

fn invalid_path() -> String {
    "The document path provided in the update expression is invalid for update".into()
}

fn slot<'a>(item: &'a mut Item, path: &Path) -> Result<Parent<'a>, String> {
    let (last, init) = path.0.split_last().ok_or_else(invalid_path)?;
    if init.is_empty() {
        return match last {
            Step::Attr(a) => Ok(Parent::Map(item, a.clone())),
            Step::Index(_) => Err(invalid_path()),
        };
    }
    let mut cur: &mut AttributeValue = match &init[0] {
        Step::Attr(a) => item.get_mut(a).ok_or_else(invalid_path)?,
        Step::Index(_) => return Err(invalid_path()),
    };
    for step in &init[1..] {
        cur = match (step, cur) {
            (Step::Attr(a), AttributeValue::M(m)) => m.get_mut(a).ok_or_else(invalid_path)?,
            (Step::Index(n), AttributeValue::L(l)) => l.get_mut(*n).ok_or_else(invalid_path)?,
            _ => return Err(invalid_path()),
        };
    }
    match (last, cur) {
        (Step::Attr(a), AttributeValue::M(m)) => Ok(Parent::Map(m, a.clone())),
        (Step::Index(n), AttributeValue::L(l)) => Ok(Parent::List(l, *n)),
        _ => Err(invalid_path()),
    }
}

enum Parent<'a> {
    Map(&'a mut Item, String),
    List(&'a mut Vec<AttributeValue>, usize),
}

impl Parent<'_> {
    fn get(&self) -> Option<&AttributeValue> {
        match self {
            Parent::Map(m, k) => m.get(k),
            Parent::List(l, n) => l.get(*n),
        }
    }
    fn set(self, v: AttributeValue) {
        match self {
            Parent::Map(m, k) => {
                m.insert(k, v);
            }
            Parent::List(l, n) => {
                if n < l.len() {
                    l[n] = v;
                } else {
                    l.push(v);
                }
            }
        }
    }
    fn remove(self) {
        match self {
            Parent::Map(m, k) => {
                m.remove(&k);
            }
            Parent::List(l, n) => {
                if n < l.len() {
                    l.remove(n);
                }
            }
        }
    }
}

/// Applies an update to `item` (the old item, or the key alone for a new
/// one). Every right-hand side is read from the item as it was before.
pub fn apply_update(u: &Update, item: &mut Item) -> Result<(), String> {
    let before = item.clone();
    let mut sets = Vec::new();
    for (p, v) in &u.set {
        sets.push((p, eval_set(v, &before)?));
    }
    for (p, v) in sets {
        slot(item, p)?.set(v);
    }
    // Remove list elements from the highest index down so indexes stay valid.
    let mut removes: Vec<&Path> = u.remove.iter().collect();
    removes.sort_by(|a, b| b.cmp(a));
    for p in removes {
        if let Ok(s) = slot(item, p) {
            s.remove();
        }
    }
    for (p, v) in &u.add {
        let s = slot(item, p)?;
        let new = match (s.get(), v) {
            (
                None,
                v @ (AttributeValue::N(_)
                | AttributeValue::Ss(_)
                | AttributeValue::Ns(_)
                | AttributeValue::Bs(_)),
            ) => v.clone(),
            (Some(AttributeValue::N(a)), AttributeValue::N(b)) => {
                AttributeValue::N(a.add(b).map_err(|e| e.to_string())?)
            }
            (Some(AttributeValue::Ss(a)), AttributeValue::Ss(b)) => AttributeValue::Ss(union(a, b)),
            (Some(AttributeValue::Ns(a)), AttributeValue::Ns(b)) => AttributeValue::Ns(union(a, b)),
            (Some(AttributeValue::Bs(a)), AttributeValue::Bs(b)) => AttributeValue::Bs(union(a, b)),
            (old, v) => {
                let t = match old {
                    Some(o)
                        if matches!(
                            v,
                            AttributeValue::N(_)
                                | AttributeValue::Ss(_)
                                | AttributeValue::Ns(_)
                                | AttributeValue::Bs(_)
                        ) =>
                    {
                        o.type_name()
                    }
                    _ => v.type_name(),
                };
                return Err(format!(
                    "Incorrect operand type for operator or function; operator: ADD, operand type: {}",
                    long_type(t)
                ));
            }
        };
        s.set(new);
    }
    for (p, v) in &u.delete {
        let s = slot(item, p)?;
        let new = match (s.get(), v) {
            (None, AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)) => {
                continue;
            }
            (Some(AttributeValue::Ss(a)), AttributeValue::Ss(b)) => {
                minus(a, b).map(AttributeValue::Ss)
            }
            (Some(AttributeValue::Ns(a)), AttributeValue::Ns(b)) => {
                minus(a, b).map(AttributeValue::Ns)
            }
            (Some(AttributeValue::Bs(a)), AttributeValue::Bs(b)) => {
                minus(a, b).map(AttributeValue::Bs)
            }
            (old, v) => {
                let t = match old {
                    Some(o)
                        if matches!(
                            v,
                            AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
                        ) =>
                    {
                        o.type_name()
                    }
                    _ => v.type_name(),
                };
                return Err(format!(
                    "Incorrect operand type for operator or function; operator: DELETE, operand type: {}",
                    long_type(t)
                ));
            }
        };
        match new {
            Some(v) => s.set(v),
            None => s.remove(),
        }
    }
    Ok(())
}

fn long_type(t: &str) -> &'static str {
    match t {
        "S" => "STRING",
        "N" => "NUMBER",
        "B" => "BINARY",
        "BOOL" => "BOOLEAN",
        "NULL" => "NULL",
        "SS" => "STRING_SET",
        "NS" => "NUMBER_SET",
        "BS" => "BINARY_SET",
        "L" => "LIST",
        _ => "MAP",
    }
}

fn union<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = a.to_vec();
    for x in b {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

fn minus<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Option<Vec<T>> {
    let out: Vec<T> = a.iter().filter(|x| !b.contains(x)).cloned().collect();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }
    fn s(x: &str) -> AttributeValue {
        AttributeValue::S(x.into())
    }

    fn ph(names: &[(&str, &str)], values: &[(&str, AttributeValue)]) -> Placeholders {
        Placeholders::new(
            names
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            values
                .iter()
                .map(|(a, b)| (a.to_string(), b.clone()))
                .collect(),
        )
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn parses_and_evaluates_conditions() {
        let it = item(&[
            ("a", n("5")),
            ("s", s("hello")),
            (
                "m",
                AttributeValue::M(item(&[("l", AttributeValue::L(vec![n("1"), n("2")]))])),
            ),
        ]);
        let cases = [
            ("a = :five", true),
            ("a <> :five", false),
            ("a BETWEEN :one AND :five", true),
            ("a > :five OR begins_with(s, :he)", true),
            ("NOT (a < :five) AND attribute_exists(m.l[1])", true),
            ("attribute_not_exists(m.l[2])", true),
            ("a IN (:one, :five)", true),
            ("size(s) = :five", true),
            ("contains(s, :he) and attribute_type(a, :N)", true),
            ("#st = :five", false),
            ("absent <> :five", true),
            ("absent < :five", false),
        ];
        for (text, want) in cases {
            let mut p = ph(
                &[("#st", "s")],
                &[
                    (":five", n("5")),
                    (":one", n("1")),
                    (":he", s("he")),
                    (":N", s("N")),
                ],
            );
            let c = parse_condition(text, &mut p).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(eval(&c, &it), want, "{text}");
        }
    }

    #[test]
    fn reports_placeholder_problems() {
        let mut p = ph(&[("#x", "x")], &[(":v", n("1"))]);
        let e = parse_condition("a = :w", &mut p).unwrap_err();
        assert_eq!(
            e,
            "An expression attribute value used in expression is not defined; attribute value: :w"
        );
        let e = parse_condition("#y = :v", &mut p).unwrap_err();
        assert!(e.contains("attribute name: #y"), "{e}");
        let mut p = ph(&[("#x", "x")], &[(":v", n("1"))]);
        parse_condition("a = :v", &mut p).unwrap();
        assert_eq!(
            p.check_unused().unwrap_err(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"
        );
    }

    #[test]
    fn reserved_words_need_placeholders() {
        assert!(is_reserved("status") && is_reserved("Name") && is_reserved("ZONE"));
        assert!(is_reserved("ABORT") && !is_reserved("employee_id") && !is_reserved("#status"));
        let mut p = ph(&[("#s", "status")], &[(":v", s("x"))]);
        assert_eq!(
            parse_condition("Status = :v", &mut p).unwrap_err(),
            "Attribute name is a reserved keyword; reserved keyword: Status"
        );
        assert_eq!(
            parse_update("SET a.#s = :v, b.size = :v", &mut p).unwrap_err(),
            "Attribute name is a reserved keyword; reserved keyword: size"
        );
        assert!(parse_condition("#s = :v AND size(a) > :v", &mut p).is_ok());
        assert!(parse_update("SET #s = :v REMOVE extra", &mut p).is_ok());
        assert_eq!(
            parse_projection("id, comment", &mut p).unwrap_err(),
            "Attribute name is a reserved keyword; reserved keyword: comment"
        );
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "",
            "a =",
            "= a",
            "a = = b",
            "(a = b",
            "a = b)",
            "a BETWEEN b",
            "foo(a)",
            "a IN ()",
            "a.",
            "a[x]",
            "a[1",
            "a ! b",
            "AND",
            "attribute_exists(:v)",
            "a = :",
            "a = #",
        ] {
            let mut p = ph(&[], &[(":v", n("1"))]);
            assert!(parse_condition(bad, &mut p).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}a = b{}", "(".repeat(3000), ")".repeat(3000));
        let mut p = ph(&[], &[]);
        assert!(
            parse_condition(&deep, &mut p)
                .unwrap_err()
                .contains("Expression size")
        );
        let deep = format!("{}a = b{}", "(".repeat(100), ")".repeat(100));
        assert!(
            parse_condition(&deep, &mut p)
                .unwrap_err()
                .contains("nesting")
        );
        let deep = format!("{}a = b", "NOT ".repeat(500));
        assert!(parse_condition(&deep, &mut p).is_err());
        let mut p = ph(&[], &[(":v", n("1"))]);
        let deep = format!(
            "SET a = {}:v{}",
            "if_not_exists(b, ".repeat(100),
            ")".repeat(100)
        );
        assert!(parse_update(&deep, &mut p).is_err());
    }

    /// Random sequences of expression fragments: every one parses or gets
    /// an error; none panics, and whatever parses also evaluates.
    #[test]
    fn random_input_never_panics() {
        const PIECES: &[&str] = &[
            "a",
            "#n",
            ":v",
            ":w",
            "#missing",
            ":missing",
            ".",
            "[",
            "]",
            "[0]",
            "(",
            ")",
            ",",
            "=",
            "<>",
            "<",
            "<=",
            ">",
            ">=",
            "+",
            "-",
            "AND",
            "OR",
            "NOT",
            "BETWEEN",
            "IN",
            "SET",
            "REMOVE",
            "ADD",
            "DELETE",
            "size(",
            "attribute_exists(",
            "begins_with(",
            "contains(",
            "attribute_type(",
            "if_not_exists(",
            "list_append(",
            "x1",
            "99999999999999999999",
            "é",
            "!",
            " ",
            "\u{0}",
        ];
        let mut state: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let it = item(&[("a", n("1")), ("x1", AttributeValue::L(vec![n("2")]))]);
        for _ in 0..20_000 {
            let len = (next() % 12) as usize;
            let text: Vec<&str> = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let text = text.join(" ");
            let mut p = ph(&[("#n", "a")], &[(":v", n("1")), (":w", s("x"))]);
            if let Ok(c) = parse_condition(&text, &mut p) {
                eval(&c, &it);
            }
            let _ = parse_projection(&text, &mut p);
            if let Ok(u) = parse_update(&text, &mut p) {
                let _ = apply_update(&u, &mut it.clone());
            }
        }
    }

    #[test]
    fn update_semantics() {
        let mut it = item(&[
            ("k", s("key")),
            ("cnt", n("1")),
            ("tags", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ("lst", AttributeValue::L(vec![n("1"), n("2"), n("3")])),
            ("gone", s("x")),
        ]);
        let mut p = ph(
            &[("#c", "cnt")],
            &[
                (":one", n("1")),
                (":t", AttributeValue::Ss(vec!["c".into()])),
                (":del", AttributeValue::Ss(vec!["a".into()])),
                (":l", AttributeValue::L(vec![n("4")])),
                (":z", n("0")),
            ],
        );
        let u = parse_update(
            "SET #c = #c + :one, lst = list_append(lst, :l), fresh = if_not_exists(fresh, :z) \
             REMOVE gone ADD tags :t, tally :one DELETE tags2 :del",
            &mut p,
        );
        // tags appears once in ADD; DELETE on another attribute.
        let u = u.unwrap();
        apply_update(&u, &mut it).unwrap();
        assert_eq!(it["cnt"], n("2"));
        assert_eq!(
            it["lst"],
            AttributeValue::L(vec![n("1"), n("2"), n("3"), n("4")])
        );
        assert_eq!(it["fresh"], n("0"));
        assert!(!it.contains_key("gone"));
        assert!(it["tags"].same(&AttributeValue::Ss(vec![
            "a".into(),
            "b".into(),
            "c".into()
        ])));
        assert_eq!(it["tally"], n("1"));
        assert!(p.check_unused().is_ok());

        let mut p = ph(
            &[],
            &[(
                ":del",
                AttributeValue::Ss(vec!["a".into(), "b".into(), "c".into()]),
            )],
        );
        let u = parse_update("DELETE tags :del", &mut p).unwrap();
        apply_update(&u, &mut it).unwrap();
        assert!(!it.contains_key("tags"), "an emptied set is removed");

        let mut p = ph(&[], &[(":s", s("x"))]);
        let u = parse_update("SET cnt = cnt + :s", &mut p).unwrap();
        assert!(
            apply_update(&u, &mut it)
                .unwrap_err()
                .contains("operand type: S")
        );
        let u = parse_update("SET a.b = :s", &mut ph(&[], &[(":s", s("x"))])).unwrap();
        assert!(
            apply_update(&u, &mut it)
                .unwrap_err()
                .contains("document path")
        );
        let e = parse_update("SET a = :s, a = :s", &mut ph(&[], &[(":s", s("x"))])).unwrap_err();
        assert!(e.contains("overlap"), "{e}");
        let e = parse_update("SET a = :s SET b = :s", &mut ph(&[], &[(":s", s("x"))])).unwrap_err();
        assert!(e.contains("only be used once"), "{e}");
    }

    #[test]
    fn projection_keeps_paths() {
        let it = item(&[
            ("a", n("1")),
            ("b", s("x")),
            (
                "m",
                AttributeValue::M(item(&[("x", n("1")), ("y", n("2"))])),
            ),
        ]);
        let paths = parse_projection("a, m.y", &mut ph(&[], &[])).unwrap();
        let out = project(&it, &paths);
        assert_eq!(out.len(), 2);
        assert_eq!(out["m"], AttributeValue::M(item(&[("y", n("2"))])));
    }
}
