//! Intrinsic function calls built from a small grammar (so most inputs get
//! past the function name), parsed and evaluated. Must never panic.
#![no_main]

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use asl_path::{Env, Intrinsic, PathExpr};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const NAMES: &[&str] = &[
    "States.Format",
    "States.StringToJson",
    "States.JsonToString",
    "States.Array",
    "States.ArrayPartition",
    "States.ArrayContains",
    "States.ArrayRange",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayUnique",
    "States.Base64Encode",
    "States.Base64Decode",
    "States.Hash",
    "States.JsonMerge",
    "States.MathRandom",
    "States.MathAdd",
    "States.StringSplit",
    "States.UUID",
    "States.Unknown",
];

const PATHS: &[&str] = &[
    "$", "$.a", "$.b", "$.c", "$.c[0]", "$.c[5].d", "$.o", "$.s", "$.json", "$.n",
    "$.neg", "$.big", "$.arr", "$$.Execution.Id", "$v", "$v.a", "$.missing", "$..k",
    "$.list[*].k", "$.b64", "$.f",
];

const STRINGS: &[&str] = &[
    "", "x", "{}", "a,b", "{\"a\":1}", "[1,2]", "SHA-256", "MD5", "SHA-1", "SHA-384",
    "SHA-512", "aGVsbG8=", "{} and {}", "\\{", "\\'", " ", "1e400", "null",
];

#[derive(Debug)]
enum Arg {
    Str(String),
    RawStr(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Path(&'static str),
    RawPath(String),
    Call(Box<Call>),
}

#[derive(Debug)]
struct Call {
    name: &'static str,
    args: Vec<Arg>,
}

fn arg(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Arg> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => Arg::Str((*u.choose(STRINGS)?).to_string()),
        1 => Arg::RawStr(String::arbitrary(u)?),
        2 => Arg::Int(*u.choose(&[0, 1, -1, 2, 3, 1000, 1001, i64::MAX, i64::MIN])?),
        3 => Arg::Int(i64::arbitrary(u)?),
        4 => Arg::Float(f64::arbitrary(u)?),
        5 => Arg::Bool(bool::arbitrary(u)?),
        6 => Arg::Null,
        7 => Arg::Path(u.choose(PATHS)?),
        8 => Arg::RawPath(String::arbitrary(u)?),
        _ if depth < 4 => Arg::Call(Box::new(call(u, depth + 1)?)),
        _ => Arg::Path(u.choose(PATHS)?),
    })
}

fn call(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Call> {
    let name = *u.choose(NAMES)?;
    let n = u.int_in_range(0..=4u8)?;
    let mut args = Vec::new();
    for _ in 0..n {
        args.push(arg(u, depth)?);
    }
    Ok(Call { name, args })
}

fn render(call: &Call, out: &mut String) {
    out.push_str(call.name);
    out.push('(');
    for (i, a) in call.args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match a {
            Arg::Str(s) => {
                out.push('\'');
                for c in s.chars() {
                    if matches!(c, '\'' | '{' | '}' | '\\') && !s.starts_with('\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('\'');
            }
            Arg::RawStr(s) => {
                out.push('\'');
                out.push_str(s);
                out.push('\'');
            }
            Arg::Int(n) => out.push_str(&n.to_string()),
            Arg::Float(f) => out.push_str(&f.to_string()),
            Arg::Bool(b) => out.push_str(&b.to_string()),
            Arg::Null => out.push_str("null"),
            Arg::Path(p) => out.push_str(p),
            Arg::RawPath(p) => {
                out.push('$');
                out.push_str(p);
            }
            Arg::Call(c) => render(c, out),
        }
    }
    out.push(')');
}

static DOC: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "a": 1, "b": "x", "c": [1, 2.5, "three", null, true, {"d": [1]}],
        "o": {"p": 1, "q": [1, 2]}, "s": "a,b,,c", "json": "{\"k\":[1,2]}",
        "n": 3.5, "neg": -7, "big": 1e300, "arr": [1, 1, 2, "2", {"x": 1}, {"x": 1}],
        "list": [{"k": 1}, {"k": 2}], "b64": "aGVsbG8gd29ybGQ=", "f": 1.0
    })
});

static CONTEXT: LazyLock<Value> =
    LazyLock::new(|| json!({"Execution": {"Id": "arn:aws:states:::execution:m:e"}}));

static VARS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let mut m = Map::new();
    m.insert("v".into(), json!({"a": [1, 2, 3]}));
    m
});

fn eval(text: &str) {
    let env = Env::new(&DOC, &CONTEXT).with_variables(&*VARS);
    let mut n = 0u64;
    let mut entropy = move || {
        n = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
        n
    };
    if let Ok(i) = Intrinsic::parse(text) {
        let _ = i.check();
        let _ = i.eval(&env, &mut entropy);
    }
    if let Ok(e) = PathExpr::parse(text) {
        let _ = e.eval(&env, &mut entropy);
    }
    let _ = asl_path::check_payload_value(text);
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the mode: a grammar-built call, or raw text after
    // a `States.` prefix.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let mut u = Unstructured::new(rest);
        if let Ok(c) = call(&mut u, 0) {
            let mut text = String::new();
            render(&c, &mut text);
            eval(&text);
        }
    } else if let Ok(s) = std::str::from_utf8(rest) {
        let name = NAMES[(mode as usize >> 1) % NAMES.len()];
        eval(&format!("{name}({s}"));
        eval(&format!("States.{s}"));
    }
});
