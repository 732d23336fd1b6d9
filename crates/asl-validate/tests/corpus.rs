//! Every definition in the AWS-recorded conformance corpus was accepted by AWS, so
//! it must validate without errors.

mod common;

use std::path::Path;

use asl_validate::{Severity, validate};
use common::TestSyntax;

const CORPUS: &str = "/work/shared/conformance/sfn/cases";

/// Fills the corpus's Lambda placeholders with plausible values.
fn substitute(text: &str) -> String {
    let mut out = text.to_string();
    for n in 1..=9 {
        out = out.replace(
            &format!("${{LAMBDA_{n}_ARN}}"),
            &format!("arn:aws:lambda:us-east-1:111111111111:function:f{n}"),
        );
        out = out.replace(&format!("${{LAMBDA_{n}_NAME}}"), &format!("f{n}"));
    }
    out
}

#[test]
fn corpus_definitions_validate_clean() {
    let dir = Path::new(CORPUS);
    if !dir.is_dir() {
        eprintln!("note: {CORPUS} not present; corpus test skipped");
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut warnings = 0;
    for f in &files {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let template = serde_json::to_string(&case["template"]).unwrap();
        let def: serde_json::Value = serde_json::from_str(&substitute(&template)).unwrap();
        let diags = validate(&def, &TestSyntax);
        warnings += diags
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        if !errors.is_empty() {
            failures.push(format!(
                "{}: {:?}",
                f.file_name().unwrap().to_string_lossy(),
                errors.iter().map(|d| d.to_string()).collect::<Vec<_>>()
            ));
        }
    }
    eprintln!(
        "corpus: {} definitions, {} clean, {} with errors, {} warnings",
        files.len(),
        files.len() - failures.len(),
        failures.len(),
        warnings
    );
    assert!(
        failures.is_empty(),
        "{} corpus definitions rejected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
