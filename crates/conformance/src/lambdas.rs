//! The Lambda functions of the corpus's `lambda_simple` cases.
//!
//! Each case lists its functions in `resources` (`${LAMBDA_n_ARN}` /
//! `${LAMBDA_n_NAME}` placeholders in the template and input, the handler
//! file, the name the snapshot shows for the function). The handlers are the
//! Python fixtures in `conformance/functions/`, compiled into the runner and
//! deployed as `handler.py` (handler `handler.handler`), as AWS ran them:
//! their stack traces in the recorded causes name `/var/task/handler.py`.
//!
//! A function is named after its snapshot placeholder with the angle
//! brackets removed (`<lambda_function_name>` → `lambda_function_name`), so
//! where AWS's recording kept the replaced name as a literal the output
//! matches as it stands.

use std::io::Write;

use anyhow::{Result, anyhow, bail};
use serde_json::Value;

/// A handler file of `conformance/functions/`.
pub struct Fixture {
    /// The file name the corpus gives (`id_function.py`).
    pub file: &'static str,
    pub source: &'static str,
    /// Lambda's configured timeout, seconds.
    pub timeout: u64,
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        file: "id_function.py",
        source: include_str!("../../../conformance/functions/id_function.py"),
        timeout: 3,
    },
    Fixture {
        file: "echo_function.py",
        source: include_str!("../../../conformance/functions/echo_function.py"),
        timeout: 3,
    },
    Fixture {
        file: "raise_exception.py",
        source: include_str!("../../../conformance/functions/raise_exception.py"),
        timeout: 3,
    },
    Fixture {
        file: "raise_custom_exception.py",
        source: include_str!("../../../conformance/functions/raise_custom_exception.py"),
        timeout: 3,
    },
    Fixture {
        file: "return_decorated_input.py",
        source: include_str!("../../../conformance/functions/return_decorated_input.py"),
        timeout: 3,
    },
    Fixture {
        // Outlives the 60 s sleep, so only the state's TimeoutSeconds ends it.
        file: "wait_60_seconds.py",
        source: include_str!("../../../conformance/functions/wait_60_seconds.py"),
        timeout: 90,
    },
];

/// The runtime AWS recorded the cases with.
pub const RUNTIME: &str = "python3.12";
/// The handler of every fixture (the file is deployed as `handler.py`).
pub const HANDLER: &str = "handler.handler";
pub const ROLE: &str = "arn:aws:iam::111111111111:role/baton-conformance-lambda";

/// One function a case needs.
pub struct Function {
    /// `n` of `${LAMBDA_n_…}`.
    pub index: String,
    pub name: String,
    pub fixture: &'static Fixture,
}

/// The functions a case uses, in the order of its `resources`.
pub fn functions_of(case: &Value) -> Result<Vec<Function>> {
    let resources = match &case["resources"] {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .get("lambdas")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let index_of = regex::Regex::new(r"^\$\{LAMBDA_(\d+)_ARN\}$").expect("static regex");
    let mut out = Vec::new();
    for r in resources.iter().filter(|r| r["type"] == "lambda") {
        let arn_var = r["arn_var"].as_str().unwrap_or_default();
        let index = index_of
            .captures(arn_var)
            .map(|c| c[1].to_string())
            .ok_or_else(|| anyhow!("resource without a ${{LAMBDA_n_ARN}} placeholder: {r}"))?;
        let handler = r["handler"].as_str().unwrap_or_default();
        let fixture = FIXTURES
            .iter()
            .find(|f| f.file == handler)
            .ok_or_else(|| anyhow!("no fixture in conformance/functions for {handler}"))?;
        let placeholder = r["snapshot_name_placeholder"].as_str().unwrap_or_default();
        let name: String = placeholder
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        let name = if !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            name
        } else {
            format!("lambda_function_{index}")
        };
        out.push(Function {
            index,
            name,
            fixture,
        });
    }
    if out.is_empty() {
        bail!("a lambda_simple case without lambda resources");
    }
    Ok(out)
}

/// `text` with the case's Lambda placeholders replaced; `arn` gives a
/// function's ARN by name.
pub fn fill(text: &str, functions: &[Function], arn: &dyn Fn(&str) -> String) -> String {
    let mut out = text.to_string();
    for f in functions {
        out = out
            .replace(&format!("${{LAMBDA_{}_ARN}}", f.index), &arn(&f.name))
            .replace(&format!("${{LAMBDA_{}_NAME}}", f.index), &f.name);
    }
    out
}

/// The case's template and input string with the functions filled in.
pub fn filled_case(case: &Value, functions: &[Function], arn: &dyn Fn(&str) -> String) -> Value {
    let mut case = case.clone();
    let template = fill(&case["template"].to_string(), functions, arn);
    if let Ok(t) = serde_json::from_str::<Value>(&template) {
        case["template"] = t;
    }
    if let Some(input) = case["input_string"].as_str() {
        case["input_string"] = Value::String(fill(input, functions, arn));
    }
    case
}

/// The deployment package of a fixture: one file, `handler.py`.
pub fn zip_of(fixture: &Fixture) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file("handler.py", zip::write::SimpleFileOptions::default())
            .expect("writing to memory");
        w.write_all(fixture.source.as_bytes())
            .expect("writing to memory");
        w.finish().expect("writing to memory");
    }
    buf.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_come_from_the_snapshot_placeholders() {
        let case = json!({"resources": [
            {"type": "lambda", "arn_var": "${LAMBDA_1_ARN}", "name_var": "${LAMBDA_1_NAME}",
             "handler": "id_function.py", "snapshot_name_placeholder": "<lambda_function_1_name>"},
            {"type": "lambda", "arn_var": "${LAMBDA_2_ARN}", "name_var": "${LAMBDA_2_NAME}",
             "handler": "echo_function.py", "snapshot_name_placeholder": "function_name_branch2"},
        ]});
        let fs = functions_of(&case).unwrap();
        assert_eq!(fs[0].name, "lambda_function_1_name");
        assert_eq!(fs[1].name, "function_name_branch2");
        assert_eq!(fs[1].fixture.file, "echo_function.py");
        let filled = fill(
            r#"{"R": "${LAMBDA_2_ARN}", "N": "no_such_${LAMBDA_1_NAME}"}"#,
            &fs,
            &|n| format!("arn:aws:lambda:us-east-1:111111111111:function:{n}"),
        );
        assert_eq!(
            filled,
            r#"{"R": "arn:aws:lambda:us-east-1:111111111111:function:function_name_branch2", "N": "no_such_lambda_function_1_name"}"#
        );
    }

    #[test]
    fn an_unknown_handler_is_an_error() {
        let case = json!({"resources": [{"type": "lambda", "arn_var": "${LAMBDA_1_ARN}",
            "handler": "nope.py", "snapshot_name_placeholder": "x"}]});
        assert!(functions_of(&case).is_err());
    }

    #[test]
    fn raise_exception_raises_on_line_2() {
        // AWS's recorded stack trace: `File "/var/task/handler.py", line 2`.
        let f = FIXTURES
            .iter()
            .find(|f| f.file == "raise_exception.py")
            .unwrap();
        assert!(f.source.lines().nth(1).unwrap().trim().starts_with("raise"));
    }
}
