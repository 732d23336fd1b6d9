//! `Retry` and `Catch` arrays.

use serde_json::{Map, Value};

use crate::context::{Ctx, Ql, StatesScope};
use crate::diagnostic::DiagnosticCode as C;
use crate::fields::{self, required, unsupported, wrong_type};
use crate::pointer::Ptr;
use crate::schema;
use crate::template;
use crate::variables::{self, Scope};

/// Upper bound AWS documents for `IntervalSeconds` and `MaxAttempts`.
const MAX_RETRY_INT: i64 = 99_999_999;
/// `MaxDelaySeconds` upper bound (one year plus a day, in seconds).
const MAX_DELAY: i64 = 31_622_400;

/// Validates a `Retry` array.
pub(crate) fn retry(ctx: &mut Ctx, v: &Value, at: &Ptr) {
    let Value::Array(list) = v else {
        wrong_type(ctx, "Retry", "ARRAY", v, at);
        return;
    };
    for (i, item) in list.iter().enumerate() {
        let here = at.idx(i);
        let Value::Object(r) = item else {
            wrong_type(ctx, "Retry", "OBJECT", item, &here);
            continue;
        };
        unsupported(ctx, r, &here, |k| schema::RETRIER.contains(&k));
        required(ctx, r, &["ErrorEquals"], &here);
        error_equals(ctx, r, i + 1 == list.len(), "Retrier", &here);
        fields::int_in_range(
            ctx,
            r,
            "IntervalSeconds",
            Ql::JsonPath,
            1,
            Some(MAX_RETRY_INT),
            &here,
        );
        fields::int_in_range(
            ctx,
            r,
            "MaxAttempts",
            Ql::JsonPath,
            0,
            Some(MAX_RETRY_INT),
            &here,
        );
        fields::int_in_range(
            ctx,
            r,
            "MaxDelaySeconds",
            Ql::JsonPath,
            1,
            Some(MAX_DELAY),
            &here,
        );
        if let Some(b) = r.get("BackoffRate") {
            match b.as_f64() {
                Some(f) if f >= 1.0 => {}
                Some(_) => ctx.err(
                    C::SchemaValidationFailed,
                    "The value for the field 'BackoffRate' must be greater than or equal to 1.0",
                    &here.key("BackoffRate"),
                ),
                None => wrong_type(ctx, "BackoffRate", "NUMBER", b, &here.key("BackoffRate")),
            }
        }
        fields::one_of(ctx, r, "JitterStrategy", &["FULL", "NONE"], &here);
        fields::string(ctx, r, "Comment", &here);
    }
}

/// Validates a `Catch` array; returns the catchers' `Next` targets.
pub(crate) fn catch(
    ctx: &mut Ctx,
    v: &Value,
    ql: Ql,
    outer: &Scope,
    at: &Ptr,
) -> Vec<(String, Ptr)> {
    let mut targets = Vec::new();
    let Value::Array(list) = v else {
        wrong_type(ctx, "Catch", "ARRAY", v, at);
        return targets;
    };
    for (i, item) in list.iter().enumerate() {
        let here = at.idx(i);
        let Value::Object(c) = item else {
            wrong_type(ctx, "Catch", "OBJECT", item, &here);
            continue;
        };
        let allowed = schema::catcher(ql);
        unsupported(ctx, c, &here, |k| allowed.contains(&k));
        required(ctx, c, &["ErrorEquals", "Next"], &here);
        error_equals(ctx, c, i + 1 == list.len(), "Catcher", &here);
        if let Some(next) = fields::string(ctx, c, "Next", &here) {
            targets.push((next.to_string(), here.key("Next")));
        }
        if ql == Ql::JsonPath {
            fields::result_path(ctx, c, &here);
        }
        ctx.states_scope = StatesScope::ErrorOutput;
        if ql == Ql::Jsonata
            && let Some(o) = c.get("Output")
        {
            template::walk(ctx, "Output", o, ql, &here.key("Output"));
        }
        if let Some(a) = c.get("Assign") {
            variables::assign(ctx, a, ql, outer, &here.key("Assign"));
        }
        ctx.states_scope = StatesScope::Plain;
        fields::string(ctx, c, "Comment", &here);
    }
    targets
}

/// `ErrorEquals`: a non-empty array of strings; reserved `States.*` names must be
/// predefined; `States.ALL` must stand alone and only in the last retrier/catcher,
/// since anything after it could never match.
fn error_equals(ctx: &mut Ctx, obj: &Map<String, Value>, is_last: bool, what: &str, at: &Ptr) {
    let Some(v) = obj.get("ErrorEquals") else {
        return;
    };
    let here = at.key("ErrorEquals");
    let Value::Array(names) = v else {
        wrong_type(ctx, "ErrorEquals", "ARRAY", v, &here);
        return;
    };
    if names.is_empty() {
        ctx.err(
            C::SchemaValidationFailed,
            "The field 'ErrorEquals' should be non-empty",
            &here,
        );
        return;
    }
    let mut has_all = false;
    for (i, n) in names.iter().enumerate() {
        let Value::String(s) = n else {
            wrong_type(ctx, "ErrorEquals", "STRING", n, &here.idx(i));
            continue;
        };
        if s == "States.ALL" {
            has_all = true;
        } else if s.starts_with("States.")
            && !schema::PREDEFINED_ERRORS.contains(&s.as_str())
            && !s.starts_with("States.Http.StatusCode.")
        {
            ctx.err(
                C::InvalidErrorName,
                format!("The error name '{s}' is not a predefined error name (names starting with 'States.' are reserved)"),
                &here.idx(i),
            );
        }
    }
    if has_all && names.len() > 1 {
        ctx.err(
            C::InvalidErrorName,
            "'States.ALL' must appear alone in 'ErrorEquals'",
            &here,
        );
    }
    if has_all && !is_last {
        ctx.err(
            C::InvalidErrorName,
            format!("A {what} containing 'States.ALL' must be the last one in its list"),
            &here,
        );
    }
}
