//! The 18 intrinsic functions of JSONPath mode (`States.Format(...)` etc.).
//!
//! Parsing accepts any `Name.Name(...)` call so that a validator can report
//! an unknown function by name ([`Intrinsic::name`], [`Intrinsic::check`]);
//! evaluating an unknown function is an `States.IntrinsicFailure`.

use std::borrow::Cow;
use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::error::{EvalError, ParseError};
use crate::expr::{Entropy, Env, PathExpr};
use crate::json;

/// AWS: "You can nest up to 10 intrinsic functions within a field".
pub const MAX_NESTING: usize = 10;

/// Input size limit (characters) of Base64Encode/Base64Decode/Hash.
const MAX_STRING_INPUT: usize = 10_000;

/// Maximum number of elements States.ArrayRange may produce.
const MAX_RANGE: i64 = 1000;

/// The known functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `States.Format`
    Format,
    /// `States.StringToJson`
    StringToJson,
    /// `States.JsonToString`
    JsonToString,
    /// `States.Array`
    Array,
    /// `States.ArrayPartition`
    ArrayPartition,
    /// `States.ArrayContains`
    ArrayContains,
    /// `States.ArrayRange`
    ArrayRange,
    /// `States.ArrayGetItem`
    ArrayGetItem,
    /// `States.ArrayLength`
    ArrayLength,
    /// `States.ArrayUnique`
    ArrayUnique,
    /// `States.Base64Encode`
    Base64Encode,
    /// `States.Base64Decode`
    Base64Decode,
    /// `States.Hash`
    Hash,
    /// `States.JsonMerge`
    JsonMerge,
    /// `States.MathRandom`
    MathRandom,
    /// `States.MathAdd`
    MathAdd,
    /// `States.StringSplit`
    StringSplit,
    /// `States.UUID`
    Uuid,
}

impl Function {
    /// Looks up a function by its full name (`States.Format`).
    pub fn from_name(name: &str) -> Option<Function> {
        use Function::*;
        Some(match name {
            "States.Format" => Format,
            "States.StringToJson" => StringToJson,
            "States.JsonToString" => JsonToString,
            "States.Array" => Array,
            "States.ArrayPartition" => ArrayPartition,
            "States.ArrayContains" => ArrayContains,
            "States.ArrayRange" => ArrayRange,
            "States.ArrayGetItem" => ArrayGetItem,
            "States.ArrayLength" => ArrayLength,
            "States.ArrayUnique" => ArrayUnique,
            "States.Base64Encode" => Base64Encode,
            "States.Base64Decode" => Base64Decode,
            "States.Hash" => Hash,
            "States.JsonMerge" => JsonMerge,
            "States.MathRandom" => MathRandom,
            "States.MathAdd" => MathAdd,
            "States.StringSplit" => StringSplit,
            "States.UUID" => Uuid,
            _ => return None,
        })
    }

    /// Allowed argument counts (min, max; `None` = unbounded).
    pub fn arity(self) -> (usize, Option<usize>) {
        use Function::*;
        match self {
            Format => (1, None),
            Array => (0, None),
            Uuid => (0, Some(0)),
            StringToJson | JsonToString | ArrayLength | ArrayUnique | Base64Encode
            | Base64Decode => (1, Some(1)),
            ArrayPartition | ArrayContains | ArrayGetItem | Hash | MathAdd | StringSplit => {
                (2, Some(2))
            }
            ArrayRange | JsonMerge => (3, Some(3)),
            MathRandom => (2, Some(3)),
        }
    }
}

/// One argument of an intrinsic call.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `'text'`. `value` has the escapes resolved; `raw` keeps `\{` / `\}`
    /// so that `States.Format` can tell an escaped brace from a placeholder.
    Str {
        /// Unescaped text.
        value: String,
        /// Text between the quotes, as written.
        raw: String,
    },
    /// A number, `true`, `false` or `null` literal.
    Literal(Value),
    /// `$...`, `$$...` or `$var...`.
    Path(PathExpr),
    /// A nested call.
    Call(Intrinsic),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone)]
pub struct Intrinsic {
    name: String,
    function: Option<Function>,
    args: Vec<Arg>,
}

impl Intrinsic {
    /// Parses `States.Name(arg, ...)`. Unknown names parse (see
    /// [`check`](Self::check)); nesting deeper than [`MAX_NESTING`] does not.
    pub fn parse(text: &str) -> Result<Intrinsic, ParseError> {
        let mut p = ArgParser {
            src: text,
            chars: text.chars().collect(),
            pos: 0,
        };
        p.ws();
        let call = p.call(1)?;
        p.ws();
        if p.pos < p.chars.len() {
            return Err(p.err("Unexpected text after the intrinsic function call"));
        }
        Ok(call)
    }

    /// The function name as written, e.g. `States.Format`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The function, if the name is one of the 18 known ones.
    pub fn function(&self) -> Option<Function> {
        self.function
    }

    /// The arguments.
    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// Definition-time check of this call and every nested call: known name
    /// and a valid number of arguments.
    pub fn check(&self) -> Result<(), String> {
        let Some(f) = self.function else {
            return Err(format!(
                "The intrinsic function '{}' is not supported",
                self.name
            ));
        };
        let (min, max) = f.arity();
        let n = self.args.len();
        if n < min || max.is_some_and(|m| n > m) {
            let expected = match max {
                Some(m) if m == min => format!("{min}"),
                Some(m) => format!("{min} to {m}"),
                None => format!("at least {min}"),
            };
            return Err(format!(
                "The intrinsic function '{}' expects {} argument(s) but {} were provided",
                self.name, expected, n
            ));
        }
        for a in &self.args {
            if let Arg::Call(c) = a {
                c.check()?;
            }
        }
        Ok(())
    }

    fn fail(&self, message: impl Into<String>) -> EvalError {
        EvalError::Intrinsic {
            function: self.name.clone(),
            message: message.into(),
        }
    }

    /// Evaluates the call.
    pub fn eval(&self, env: &Env<'_>, entropy: &mut dyn Entropy) -> Result<Value, EvalError> {
        let Some(f) = self.function else {
            return Err(self.fail(format!(
                "The intrinsic function '{}' is not supported",
                self.name
            )));
        };
        self.check().map_err(|m| self.fail(m))?;
        let mut vals: Vec<Cow<'_, Value>> = Vec::with_capacity(self.args.len());
        for a in &self.args {
            vals.push(match a {
                Arg::Str { value, .. } => Cow::Owned(Value::String(value.clone())),
                Arg::Literal(v) => Cow::Borrowed(v),
                Arg::Path(p) => p.eval(env, entropy)?,
                Arg::Call(c) => Cow::Owned(c.eval(env, entropy)?),
            });
        }
        let v: Vec<&Value> = vals.iter().map(|c| c.as_ref()).collect();
        use Function::*;
        match f {
            Format => self.format(&v),
            StringToJson => {
                let s = self.string_arg(v[0], "first")?;
                if s.trim().is_empty() {
                    return Ok(Value::Null);
                }
                serde_json::from_str(s).map(normalize_negative_zero).map_err(|e| {
                    self.fail(format!(
                        "The value of the argument to States.StringToJson is not a valid JSON string: {e}"
                    ))
                })
            }
            JsonToString => Ok(Value::String(json::compact(v[0]))),
            Array => Ok(Value::Array(v.iter().map(|x| (*x).clone()).collect())),
            ArrayPartition => {
                let a = self.array_arg(v[0], "first")?;
                let size = self.int_arg(v[1], "second")?;
                if size <= 0 {
                    return Err(self.fail(format!(
                        "The chunk size argument to States.ArrayPartition must be a positive integer, but was {size}"
                    )));
                }
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                Ok(Value::Array(
                    a.chunks(size).map(|c| Value::Array(c.to_vec())).collect(),
                ))
            }
            ArrayContains => {
                let a = self.array_arg(v[0], "first")?;
                Ok(Value::Bool(a.iter().any(|x| x == v[1])))
            }
            ArrayRange => {
                let first = self.int_arg(v[0], "first")?;
                let last = self.int_arg(v[1], "second")?;
                let step = self.int_arg(v[2], "third")?;
                if step == 0 {
                    return Err(
                        self.fail("The step argument to States.ArrayRange must not be zero")
                    );
                }
                // In i128: `last - first` and `k * step` overflow i64 for
                // arguments near its ends (e.g. first = -2^63, last = 2^63 - 1).
                let (first, last, step) = (i128::from(first), i128::from(last), i128::from(step));
                let count = if (step > 0 && first <= last) || (step < 0 && first >= last) {
                    (last - first) / step + 1
                } else {
                    0
                };
                if count > i128::from(MAX_RANGE) {
                    return Err(self.fail(format!(
                        "States.ArrayRange would produce {count} elements, more than the maximum of {MAX_RANGE}"
                    )));
                }
                // Every element lies between `first` and `last`, so fits in i64.
                Ok(Value::Array(
                    (0..count)
                        .map(|k| Value::from((first + k * step) as i64))
                        .collect(),
                ))
            }
            ArrayGetItem => {
                let a = self.array_arg(v[0], "first")?;
                let idx = self.int_arg(v[1], "second")?;
                usize::try_from(idx)
                    .ok()
                    .and_then(|i| a.get(i))
                    .cloned()
                    .ok_or_else(|| {
                        self.fail(format!(
                            "The index {idx} provided to States.ArrayGetItem is out of bounds for an array of length {}",
                            a.len()
                        ))
                    })
            }
            ArrayLength => Ok(Value::from(self.array_arg(v[0], "first")?.len())),
            ArrayUnique => {
                let a = self.array_arg(v[0], "first")?;
                let mut out: Vec<Value> = Vec::new();
                for x in a {
                    if !out.contains(x) {
                        out.push(x.clone());
                    }
                }
                Ok(Value::Array(out))
            }
            Base64Encode => {
                let s = self.string_arg(v[0], "first")?;
                self.limit(s)?;
                Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
                ))
            }
            Base64Decode => {
                let s = self.string_arg(v[0], "first")?;
                self.limit(s)?;
                let engine = base64::engine::GeneralPurpose::new(
                    &base64::alphabet::STANDARD,
                    base64::engine::GeneralPurposeConfig::new()
                        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
                );
                let bytes = engine.decode(s.trim()).map_err(|e| {
                    self.fail(format!(
                        "The value of the argument to States.Base64Decode is not valid Base64: {e}"
                    ))
                })?;
                Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            }
            Hash => {
                let data: Cow<'_, str> = match v[0] {
                    Value::String(s) => Cow::Borrowed(s),
                    Value::Null => {
                        return Err(self.fail("The data argument to States.Hash must not be null"));
                    }
                    other => Cow::Owned(json::compact(other)),
                };
                self.limit(&data)?;
                let alg = self.string_arg(v[1], "second")?;
                Ok(Value::String(hash_hex(alg, data.as_bytes()).ok_or_else(|| {
                    self.fail(format!(
                        "The algorithm '{alg}' provided to States.Hash is not supported. Supported algorithms: MD5, SHA-1, SHA-256, SHA-384, SHA-512"
                    ))
                })?))
            }
            JsonMerge => {
                let (Value::Object(a), Value::Object(b)) = (v[0], v[1]) else {
                    return Err(self.fail(
                        "The first and second arguments to States.JsonMerge must be JSON objects",
                    ));
                };
                match v[2] {
                    Value::Bool(false) => {}
                    Value::Bool(true) => {
                        return Err(self.fail(
                            "States.JsonMerge does not support deep merge; the third argument must be false",
                        ));
                    }
                    _ => {
                        return Err(
                            self.fail("The third argument to States.JsonMerge must be a boolean")
                        );
                    }
                }
                let mut m: Map<String, Value> = a.clone();
                for (k, x) in b {
                    m.insert(k.clone(), x.clone());
                }
                Ok(Value::Object(m))
            }
            MathRandom => {
                let start = self.int32_arg(v[0], "first")?;
                let end = self.int32_arg(v[1], "second")?;
                if end <= start {
                    return Err(self.fail(format!(
                        "The end argument ({end}) to States.MathRandom must be greater than the start argument ({start})"
                    )));
                }
                let span = end - start;
                let r = match v.get(2) {
                    Some(seed) => {
                        let seed = self.int_arg(seed, "third")?;
                        JavaRandom::new(seed).next_int_bounded(span)
                    }
                    None => {
                        // Multiply-shift maps 64 random bits onto [0, span).
                        ((u128::from(entropy.next_u64()) * span as u128) >> 64) as i64
                    }
                };
                Ok(Value::from(start + r))
            }
            MathAdd => {
                let a = self.int32_arg(v[0], "first")?;
                let b = self.int32_arg(v[1], "second")?;
                Ok(Value::from(a + b))
            }
            StringSplit => {
                let s = self.string_arg(v[0], "first")?;
                let d = self.string_arg(v[1], "second")?;
                Ok(Value::Array(
                    s.split(|c| d.contains(c))
                        .filter(|p| !p.is_empty())
                        .map(|p| Value::String(p.to_string()))
                        .collect(),
                ))
            }
            Uuid => Ok(Value::String(uuid_v4(entropy))),
        }
    }

    fn format(&self, v: &[&Value]) -> Result<Value, EvalError> {
        // A literal template keeps its escapes; a template read from a path is used verbatim.
        let raw: &str = match (&self.args[0], v[0]) {
            (Arg::Str { raw, .. }, _) => raw,
            (_, Value::String(s)) => s,
            _ => {
                return Err(self.fail("The first argument to States.Format must be a string"));
            }
        };
        let escapes = matches!(self.args[0], Arg::Str { .. });
        let args = &v[1..];
        let mut out = String::new();
        let mut used = 0usize;
        let mut it = raw.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '\\' if escapes => {
                    if let Some(n) = it.next() {
                        out.push(n);
                    }
                }
                '{' if it.peek() == Some(&'}') => {
                    it.next();
                    if let Some(a) = args.get(used) {
                        out.push_str(&json::java_to_string(a));
                    }
                    used += 1;
                }
                c => out.push(c),
            }
        }
        if used != args.len() {
            return Err(self.fail(format!(
                "The number of arguments to States.Format ({}) does not match the number of '{{}}' placeholders ({used})",
                args.len()
            )));
        }
        Ok(Value::String(out))
    }

    fn string_arg<'v>(&self, v: &'v Value, which: &str) -> Result<&'v str, EvalError> {
        v.as_str().ok_or_else(|| {
            self.fail(format!(
                "The {which} argument to {} must be a string, but was {}",
                self.name,
                json::compact(v)
            ))
        })
    }

    fn array_arg<'v>(&self, v: &'v Value, which: &str) -> Result<&'v Vec<Value>, EvalError> {
        v.as_array().ok_or_else(|| {
            self.fail(format!(
                "The {which} argument to {} must be a JSON array, but was {}",
                self.name,
                json::compact(v)
            ))
        })
    }

    /// A number argument rounded the way Java's `Math.round` does
    /// (half up: 2.5 -> 3, -2.5 -> -2), as the recorded MathAdd cases show.
    fn int_arg(&self, v: &Value, which: &str) -> Result<i64, EvalError> {
        let n = v.as_number().ok_or_else(|| {
            self.fail(format!(
                "The {which} argument to {} must be a number, but was {}",
                self.name,
                json::compact(v)
            ))
        })?;
        number_to_i64(n).ok_or_else(|| {
            self.fail(format!(
                "The {which} argument to {} is out of range: {}",
                self.name,
                json::java_number(n)
            ))
        })
    }

    fn int32_arg(&self, v: &Value, which: &str) -> Result<i64, EvalError> {
        let i = self.int_arg(v, which)?;
        if i32::try_from(i).is_err() {
            return Err(self.fail(format!(
                "The {which} argument to {} must be within the integer range [-2147483648, 2147483647], but was {i}",
                self.name
            )));
        }
        Ok(i)
    }

    fn limit(&self, s: &str) -> Result<(), EvalError> {
        let n = s.encode_utf16().count();
        if n > MAX_STRING_INPUT {
            return Err(self.fail(format!(
                "The input to {} is {n} characters long; the maximum is {MAX_STRING_INPUT}",
                self.name
            )));
        }
        Ok(())
    }
}

/// Jackson reads `-0` as the integer 0 (recorded: `StringToJson("-0")` is
/// `0`); serde_json reads it as the double -0.0.
fn normalize_negative_zero(v: Value) -> Value {
    match v {
        Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() => {
            if n.as_f64().is_some_and(|f| f.is_sign_negative()) {
                Value::from(0)
            } else {
                Value::Number(n)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(normalize_negative_zero).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, normalize_negative_zero(v)))
                .collect(),
        ),
        other => other,
    }
}

fn number_to_i64(n: &Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    let fl = f.floor();
    let r = if f - fl >= 0.5 { fl + 1.0 } else { fl };
    if r.is_finite() && r >= i64::MIN as f64 && r < i64::MAX as f64 {
        Some(r as i64)
    } else {
        None
    }
}

fn hash_hex(alg: &str, data: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    let bytes: Vec<u8> = match alg {
        "MD5" => md5::Md5::digest(data).to_vec(),
        "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-256" => sha2::Sha256::digest(data).to_vec(),
        "SHA-384" => sha2::Sha384::digest(data).to_vec(),
        "SHA-512" => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    };
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    Some(s)
}

fn uuid_v4(entropy: &mut dyn Entropy) -> String {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&entropy.next_u64().to_be_bytes());
    b[8..].copy_from_slice(&entropy.next_u64().to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// `java.util.Random`, so a seeded `States.MathRandom` is deterministic
/// (and, if AWS uses `new Random(seed).nextInt(bound)`, identical to AWS).
struct JavaRandom(i64);

impl JavaRandom {
    const MULT: i64 = 0x5_DEEC_E66D;
    const MASK: i64 = (1 << 48) - 1;

    fn new(seed: i64) -> Self {
        JavaRandom((seed ^ Self::MULT) & Self::MASK)
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.0 = (self.0.wrapping_mul(Self::MULT).wrapping_add(0xB)) & Self::MASK;
        (self.0 >> (48 - bits)) as i32
    }

    /// `nextInt(bound)` for `bound > 0`.
    fn next_int_bounded(&mut self, bound: i64) -> i64 {
        let Ok(bound) = i32::try_from(bound) else {
            // Spans beyond i32 cannot come from two i32 arguments of the same sign;
            // fall back to a plain modulo for the mixed-sign case.
            let r = i64::from(self.next(31)) << 31 | i64::from(self.next(31));
            return r.rem_euclid(bound);
        };
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            return (i64::from(bound) * i64::from(r)) >> 31;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return i64::from(r);
            }
            u = self.next(31);
        }
    }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

struct ArgParser<'s> {
    src: &'s str,
    chars: Vec<char>,
    pos: usize,
}

impl ArgParser<'_> {
    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.src, self.pos, msg)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn call(&mut self, depth: usize) -> Result<Intrinsic, ParseError> {
        if depth > MAX_NESTING {
            return Err(self.err(format!(
                "Intrinsic functions can be nested at most {MAX_NESTING} levels deep"
            )));
        }
        let name = self.ident();
        if name.is_empty() || !name.contains('.') || name.starts_with('.') || name.ends_with('.') {
            return Err(self.err("Expected an intrinsic function call such as States.Format(...)"));
        }
        self.ws();
        if self.peek() != Some('(') {
            return Err(self.err(format!("Expected '(' after '{name}'")));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                args.push(self.arg(depth)?);
                self.ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err("Expected ',' or ')' after an argument")),
                }
            }
        }
        Ok(Intrinsic {
            function: Function::from_name(&name),
            name,
            args,
        })
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, ParseError> {
        match self.peek() {
            Some('\'') => {
                self.pos += 1;
                let mut value = String::new();
                let mut raw = String::new();
                loop {
                    let Some(c) = self.peek() else {
                        return Err(self.err("Unterminated string literal"));
                    };
                    self.pos += 1;
                    match c {
                        '\'' => break,
                        '\\' => {
                            let Some(e) = self.peek() else {
                                return Err(self.err("Unterminated escape sequence"));
                            };
                            self.pos += 1;
                            raw.push('\\');
                            raw.push(e);
                            if !matches!(e, '\'' | '{' | '}' | '\\') {
                                value.push('\\');
                            }
                            value.push(e);
                        }
                        c => {
                            raw.push(c);
                            value.push(c);
                        }
                    }
                }
                Ok(Arg::Str { value, raw })
            }
            Some('$') => {
                let start = self.pos;
                let mut depth_b = 0i32;
                let mut quote: Option<char> = None;
                while let Some(c) = self.peek() {
                    if let Some(q) = quote {
                        if c == '\\' {
                            self.pos += 1;
                        } else if c == q {
                            quote = None;
                        }
                    } else {
                        match c {
                            '\'' | '"' => quote = Some(c),
                            '[' | '(' => depth_b += 1,
                            ']' | ')' if depth_b > 0 => depth_b -= 1,
                            ',' | ')' if depth_b == 0 => break,
                            _ => {}
                        }
                    }
                    self.pos += 1;
                }
                let end = self.pos.min(self.chars.len());
                let text: String = self.chars[start..end].iter().collect();
                PathExpr::parse_path(text.trim())
                    .map(Arg::Path)
                    .map_err(|e| ParseError::new(self.src, start + e.position, e.message))
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
                    .map(|n| Arg::Literal(Value::Number(n)))
                    .map_err(|_| self.err(format!("Invalid number '{text}'")))
            }
            Some(c) if c.is_alphabetic() => {
                let save = self.pos;
                let word = self.ident();
                let lit = match word.as_str() {
                    "null" => Some(Value::Null),
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    _ => None,
                };
                if let Some(v) = lit {
                    return Ok(Arg::Literal(v));
                }
                self.pos = save;
                self.call(depth + 1).map(Arg::Call)
            }
            _ => {
                Err(self
                    .err("Expected an argument: a 'string', a number, a path or a function call"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Counter(u64);
    impl Entropy for Counter {
        fn next_u64(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0
        }
    }

    fn run_with(expr: &str, input: Value, ctx: Value) -> Result<Value, EvalError> {
        let e = PathExpr::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let env = Env::new(&input, &ctx);
        e.eval(&env, &mut Counter(7)).map(Cow::into_owned)
    }

    fn run(expr: &str, input: Value) -> Value {
        run_with(expr, input, json!({})).unwrap()
    }

    fn fail(expr: &str, input: Value) -> String {
        let e = run_with(expr, input, json!({})).unwrap_err();
        assert_eq!(e.error_name(), "States.IntrinsicFailure", "{e}");
        e.to_string()
    }

    // Cases below are recorded AWS executions (conformance corpus, intrinsic_functions.*).

    #[test]
    fn format_recorded() {
        let f = "States.Format('Formatting argument {}.', $.x)";
        assert_eq!(run(f, json!({"x": ""})), json!("Formatting argument ."));
        assert_eq!(
            run(f, json!({"x": null})),
            json!("Formatting argument null.")
        );
        assert_eq!(run(f, json!({"x": 1})), json!("Formatting argument 1."));
        assert_eq!(run(f, json!({"x": 1.1})), json!("Formatting argument 1.1."));
        assert_eq!(
            run(f, json!({"x": {"Arg1": 1, "Arg2": []}})),
            json!("Formatting argument {Arg1=1, Arg2=[]}.")
        );
        assert_eq!(
            run(f, json!({"x": "{\"Arg1\": 1, \"Arg2\": []}"})),
            json!("Formatting argument {\"Arg1\": 1, \"Arg2\": []}.")
        );
        assert_eq!(
            run_with(
                "States.Format('fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)",
                json!(null),
                json!({"Execution": {"Name": "e"}, "StateMachine": {"Id": "arn:x", "Name": "sm"}})
            )
            .unwrap(),
            json!("fst=e and snd={Id=arn:x, Name=sm}.")
        );
        assert_eq!(
            run("States.Format('Format:{}', 101)", json!({})),
            json!("Format:101")
        );
    }

    #[test]
    fn format_escapes_and_errors() {
        assert_eq!(
            run(r"States.Format('a \{\} {} \'q\' \\ ', 'x')", json!({})),
            json!(r"a {} x 'q' \ ")
        );
        assert_eq!(
            run("States.Format($.t, 'x')", json!({"t": "<{}>"})),
            json!("<x>")
        );
        assert!(fail("States.Format('{} {}', 'x')", json!({})).contains("does not match"));
        assert!(fail("States.Format('{}', 'x', 'y')", json!({})).contains("does not match"));
        assert!(fail("States.Format($.t)", json!({"t": 1})).contains("must be a string"));
    }

    #[test]
    fn json_string_conversions() {
        let s = "States.StringToJson($.x)";
        assert_eq!(run(s, json!({"x": ""})), Value::Null);
        assert_eq!(run(s, json!({"x": " "})), Value::Null);
        assert_eq!(run(s, json!({"x": "null"})), Value::Null);
        assert_eq!(run(s, json!({"x": "-0"})), json!(0));
        assert_eq!(run(s, json!({"x": "1.1"})), json!(1.1));
        assert_eq!(run(s, json!({"x": "\"HelloWorld\""})), json!("HelloWorld"));
        assert_eq!(
            run(s, json!({"x": "{\"Arg1\": 1, \"Arg2\": []}"})),
            json!({"Arg1": 1, "Arg2": []})
        );
        assert!(fail(s, json!({"x": "{"})).contains("not a valid JSON"));
        assert!(fail(s, json!({"x": 1})).contains("must be a string"));
        let j = "States.JsonToString($.x)";
        assert_eq!(run(j, json!({"x": null})), json!("null"));
        assert_eq!(run(j, json!({"x": 1.1})), json!("1.1"));
        assert_eq!(run(j, json!({"x": "HelloWorld"})), json!("\"HelloWorld\""));
        assert_eq!(
            run(j, json!({"x": [1, 2, "HelloWorld"]})),
            json!("[1,2,\"HelloWorld\"]")
        );
        assert_eq!(
            run(j, json!({"x": {"Arg1": 1, "Arg2": []}})),
            json!("{\"Arg1\":1,\"Arg2\":[]}")
        );
        assert_eq!(
            run(
                r#"States.JsonMerge(States.StringToJson('{"constant_in_literal": "false"}'), $.f, false)"#,
                json!({"f": {"constant_input_field": "constant_value"}})
            ),
            json!({"constant_in_literal": "false", "constant_input_field": "constant_value"})
        );
    }

    #[test]
    fn arrays() {
        assert_eq!(run("States.Array()", json!({})), json!([]));
        assert_eq!(
            run(
                "States.Array($.a, 'x', 1, null, true)",
                json!({"a": {"k": []}})
            ),
            json!([{"k": []}, "x", 1, null, true])
        );
        let p = "States.ArrayPartition($.a, $.n)";
        assert_eq!(run(p, json!({"a": [], "n": 1})), json!([]));
        assert_eq!(
            run(p, json!({"a": [0, 1, 2, 3], "n": 3})),
            json!([[0, 1, 2], [3]])
        );
        assert_eq!(run(p, json!({"a": [0, 1], "n": 5})), json!([[0, 1]]));
        assert!(fail(p, json!({"a": [0], "n": 0})).contains("positive"));
        let c = "States.ArrayContains($.a, $.v)";
        assert_eq!(run(c, json!({"a": [], "v": null})), json!(false));
        assert_eq!(
            run(c, json!({"a": [[1, 2, 3], 2], "v": [1, 2, 3]})),
            json!(true)
        );
        assert_eq!(
            run(c, json!({"a": [{"1": 2, "2": []}], "v": {"1": 2, "2": []}})),
            json!(true)
        );
        assert_eq!(run(c, json!({"a": [true, false], "v": false})), json!(true));
        let r = "States.ArrayRange($.a, $.b, $.c)";
        assert_eq!(run(r, json!({"a": 0, "b": 9, "c": 3})), json!([0, 3, 6, 9]));
        assert_eq!(
            run(r, json!({"a": 0, "b": 10, "c": 3})),
            json!([0, 3, 6, 9])
        );
        assert_eq!(run(r, json!({"a": 1, "b": 9, "c": 9})), json!([1]));
        assert_eq!(run(r, json!({"a": 5, "b": 1, "c": -2})), json!([5, 3, 1]));
        assert_eq!(run(r, json!({"a": 5, "b": 1, "c": 2})), json!([]));
        assert_eq!(
            run("States.ArrayRange(0, 3, 1)", json!({})),
            json!([0, 1, 2, 3])
        );
        assert_eq!(
            run("States.ArrayRange(1, 1000, 1)", json!({}))
                .as_array()
                .unwrap()
                .len(),
            1000
        );
        assert!(fail("States.ArrayRange(0, 1000, 1)", json!({})).contains("maximum of 1000"));
        assert!(fail("States.ArrayRange(0, 10, 0)", json!({})).contains("zero"));
        // Found by fuzzing (fuzz/fuzz_targets/intrinsics.rs): `last - first`
        // overflowed i64 and panicked in debug builds.
        let ends = json!({"a": i64::MIN, "b": i64::MAX, "c": 1, "d": i64::MAX});
        assert!(fail(r, ends.clone()).contains("more than the maximum of 1000"));
        assert!(fail("States.ArrayRange($.b, $.a, -1)", ends.clone()).contains("maximum"));
        assert_eq!(
            run("States.ArrayRange($.a, $.b, $.d)", ends),
            json!([i64::MIN, -1, i64::MAX - 1])
        );
        assert_eq!(
            run(
                "States.ArrayGetItem($.a, 5)",
                json!({"a": [1, 2, 3, 4, 5, 6, 7]})
            ),
            json!(6)
        );
        assert!(fail("States.ArrayGetItem($.a, 3)", json!({"a": [1]})).contains("out of bounds"));
        assert_eq!(
            run("States.ArrayLength($.a)", json!({"a": [1, 2, 3]})),
            json!(3)
        );
        assert!(
            fail("States.ArrayLength($.a)", json!({"a": "x"})).contains("must be a JSON array")
        );
        assert_eq!(
            run(
                "States.ArrayUnique($.a)",
                json!({"a": [1, 2, 2, null, null, {"a": 1}, {"a": 1}, [1], [1]]})
            ),
            json!([1, 2, null, {"a": 1}, [1]])
        );
    }

    #[test]
    fn math() {
        let add = |a: Value, b: Value| run("States.MathAdd($.a, $.b)", json!({"a": a, "b": b}));
        // Recorded: each operand is rounded half-up (Java Math.round) before adding.
        assert_eq!(add(json!(-9), json!(3)), json!(-6));
        assert_eq!(add(json!(1.49), json!(1.5)), json!(3));
        assert_eq!(add(json!(1.5), json!(1.51)), json!(4));
        assert_eq!(add(json!(-1.49), json!(-1.5)), json!(-2));
        assert_eq!(add(json!(-1.5), json!(-1.51)), json!(-3));
        assert_eq!(add(json!(-0.5), json!(0.5)), json!(1));
        assert_eq!(add(json!(-2.5), json!(0)), json!(-2));
        assert_eq!(add(json!(2.5), json!(0)), json!(3));
        assert_eq!(add(json!(-1.51), json!(0)), json!(-2));
        assert_eq!(run("States.MathAdd($.i, -1)", json!({"i": 1})), json!(0));
        assert!(fail("States.MathAdd(2147483648, 1)", json!({})).contains("integer range"));
        assert!(fail("States.MathAdd('1', 1)", json!({})).contains("must be a number"));

        for _ in 0..3 {
            let v = run("States.MathRandom(12.5, 44.51)", json!({}))
                .as_i64()
                .unwrap();
            assert!((13..45).contains(&v));
        }
        let neg = run("States.MathRandom(-99999, -9999)", json!({}))
            .as_i64()
            .unwrap();
        assert!((-99999..-9999).contains(&neg));
        let a = run("States.MathRandom(0, 999, 3)", json!({}));
        let b = run_with("States.MathRandom(0, 999, 3)", json!({}), json!({})).unwrap();
        assert_eq!(a, b, "seeded MathRandom is deterministic");
        // new java.util.Random(0).nextInt() == -1155484576 (well-known Java value).
        assert_eq!(JavaRandom::new(0).next(32), -1155484576);
        let r = JavaRandom::new(3).next_int_bounded(999);
        assert!((0..999).contains(&r));
        assert!(fail("States.MathRandom(5, 5)", json!({})).contains("greater than"));
    }

    #[test]
    fn strings_encoding_hash_uuid() {
        assert_eq!(
            run("States.StringSplit('Hello\nWorld', '\n')", json!({})),
            json!(["Hello", "World"])
        );
        assert_eq!(
            run("States.StringSplit($.s, ',')", json!({"s": "1,2,3,4,5"})),
            json!(["1", "2", "3", "4", "5"])
        );
        assert_eq!(
            run(
                "States.StringSplit('This.is+a,test=string', '.+,=')",
                json!({})
            ),
            json!(["This", "is", "a", "test", "string"])
        );
        assert_eq!(
            run("States.StringSplit(',a,,b,', ',')", json!({})),
            json!(["a", "b"])
        );
        assert_eq!(
            run("States.Base64Encode('Data to encode')", json!({})),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
        assert_eq!(
            run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!({})),
            json!("Data to encode")
        );
        assert_eq!(
            run("States.Base64Decode('RGF0YSB0byBlbmNvZGU')", json!({})),
            json!("Data to encode")
        );
        assert!(fail("States.Base64Decode('***')", json!({})).contains("not valid Base64"));
        let long = "x".repeat(10_001);
        assert!(fail("States.Base64Encode($.s)", json!({"s": long})).contains("maximum is 10000"));
        let h = |alg: &str| run(&format!("States.Hash('input data', '{alg}')"), json!({}));
        assert_eq!(h("MD5"), json!("812f45842bc6d66ee14572ce20db8e86"));
        assert_eq!(
            h("SHA-1"),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert_eq!(
            h("SHA-256"),
            json!("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")
        );
        assert_eq!(h("SHA-384").as_str().unwrap().len(), 96);
        assert_eq!(h("SHA-512").as_str().unwrap().len(), 128);
        assert!(fail("States.Hash('x', 'SHA-999')", json!({})).contains("not supported"));
        let u = run("States.UUID()", json!({}));
        let u = u.as_str().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn json_merge_recorded_and_errors() {
        assert_eq!(
            run(
                "States.JsonMerge($.a, $.b, false)",
                json!({"a": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "b": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}})
            ),
            json!({"a": {"a3": 1, "a4": 2}, "b": 2, "d": 4, "c": 3})
        );
        assert!(fail("States.JsonMerge($.a, $.a, true)", json!({"a": {}})).contains("deep merge"));
        assert!(fail("States.JsonMerge($.a, 1, false)", json!({"a": {}})).contains("JSON objects"));
    }

    #[test]
    fn nesting_and_paths() {
        let ctx = json!({"StateMachine": {"Name": "abc-def-ghi"}});
        assert_eq!(
            run_with(
                "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)",
                json!({}),
                ctx.clone()
            )
            .unwrap(),
            json!("abc")
        );
        assert_eq!(
            run_with(
                "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))",
                json!({}),
                ctx
            )
            .unwrap(),
            json!("ghi")
        );
        // Nine nested calls (AWS docs example depth) parse; eleven do not.
        let mut e = String::from("'x'");
        for _ in 0..10 {
            e = format!("States.Array({e})");
        }
        assert!(Intrinsic::parse(&e).is_ok());
        assert!(Intrinsic::parse(&format!("States.Array({e})")).is_err());
        // Path arguments with commas and parentheses inside.
        assert_eq!(
            run(
                "States.Array($['a','b'], $.c[?(@ > 1)])",
                json!({"a": 1, "b": 2, "c": [1, 2]})
            ),
            json!([[{"a": 1, "b": 2}], [2]])
        );
        // A missing path argument is a path error, not an intrinsic failure.
        let err = run_with("States.Format('{}', $.nope)", json!({}), json!({})).unwrap_err();
        assert!(err.is_not_found());
        // Variables.
        let vars: Map<String, Value> = [("v".to_string(), json!({"n": 3}))].into_iter().collect();
        let input = json!({});
        let ctx = json!({});
        let env = Env::new(&input, &ctx).with_variables(&vars);
        let e = PathExpr::parse("States.MathAdd($v.n, 1)").unwrap();
        assert_eq!(
            e.eval(&env, &mut Counter(1)).unwrap().into_owned(),
            json!(4)
        );
    }

    #[test]
    fn parse_errors_and_check() {
        for bad in [
            "States.Format(",
            "States.Format('x'",
            "States.Format('x)",
            "States.Format('x' 'y')",
            "States.Format('\\",
            "Format('x')",
            "States.Array(,)",
            "States.Array($.a b)",
            "States.Array(@)",
            "States.Array() x",
        ] {
            assert!(Intrinsic::parse(bad).is_err(), "{bad:?}");
        }
        let i = Intrinsic::parse("States.Foo(1)").unwrap();
        assert_eq!(i.name(), "States.Foo");
        assert!(i.function().is_none());
        assert!(i.check().unwrap_err().contains("not supported"));
        assert!(Intrinsic::parse("States.UUID(1)").unwrap().check().is_err());
        assert!(
            Intrinsic::parse("States.MathRandom(1, 2, 3)")
                .unwrap()
                .check()
                .is_ok()
        );
        assert!(
            Intrinsic::parse("States.Array(States.Nope())")
                .unwrap()
                .check()
                .is_err()
        );
        assert!(fail("States.Foo(1)", json!({})).contains("not supported"));
    }
}
