//! A deliberately simple `ExprSyntax` for tests; the real checker lives in the path
//! crate and is wired in by the engine.

#![allow(dead_code)]

use asl_validate::ExprSyntax;

pub struct TestSyntax;

fn path_like(s: &str) -> Result<(), String> {
    if !s.starts_with('$') {
        return Err(format!("'{s}' does not start with '$'"));
    }
    if s.contains(' ') && !s.contains('[') {
        return Err("unexpected space".into());
    }
    Ok(())
}

impl ExprSyntax for TestSyntax {
    fn check_path(&self, s: &str) -> Result<(), String> {
        path_like(s)
    }
    fn check_reference_path(&self, s: &str) -> Result<(), String> {
        path_like(s)?;
        if s.contains("[?") || s.contains("..") || s.contains('*') {
            return Err("not a reference path".into());
        }
        Ok(())
    }
    fn check_payload_value(&self, s: &str) -> Result<(), String> {
        if s.starts_with("States.") && s.ends_with(')') && s.contains('(') {
            return Ok(());
        }
        path_like(s)
    }
    fn check_jsonata(&self, s: &str) -> Result<(), String> {
        let mut depth = 0i32;
        for c in s.chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return Err("unbalanced".into());
            }
        }
        if depth != 0 || s.trim().is_empty() {
            return Err("unbalanced or empty".into());
        }
        Ok(())
    }
}
