//! The machine, its scopes (`StartAt` + `States`) and individual states.

use serde_json::{Map, Value};

use crate::choice;
use crate::context::{Ctx, MAX_DEPTH, Ql, StatesScope};
use crate::diagnostic::DiagnosticCode as C;
use crate::fields::{self, PathKind, exclusive, jsonata_string, required, unsupported, wrong_type};
use crate::map;
use crate::pointer::Ptr;
use crate::retry;
use crate::schema;
use crate::template;
use crate::transitions::{self, StateInfo};
use crate::values::is_timestamp;
use crate::variables::{self, Scope};

/// Longest state name AWS accepts.
const MAX_STATE_NAME: usize = 80;
/// Upper bound for task timeouts and heartbeats (AWS's default "no timeout" value).
const MAX_TASK_SECONDS: i64 = 99_999_999;

/// Validates the whole definition.
pub(crate) fn validate_machine(ctx: &mut Ctx, def: &Value) {
    let root = Ptr::root();
    let Value::Object(m) = def else {
        ctx.err_raw(
            C::InvalidJsonDescription,
            "The state machine definition must be a JSON object",
            "",
        );
        return;
    };
    if let Some(ql) = fields::one_of(ctx, m, "QueryLanguage", &["JSONPath", "JSONata"], &root)
        && ql == "JSONata"
    {
        ctx.top_ql = Ql::Jsonata;
    }
    unsupported(ctx, m, &root, |k| schema::TOP_LEVEL.contains(&k));
    fields::string(ctx, m, "Comment", &root);
    fields::one_of(ctx, m, "Version", &["1.0"], &root);
    fields::int_in_range(ctx, m, "TimeoutSeconds", Ql::JsonPath, 1, None, &root);
    scope(ctx, m, &Scope::new(), &root, 0);
}

/// Validates one `StartAt`/`States` block (the machine, a Parallel branch, a Map
/// processor). `outer` holds variables assigned by enclosing scopes.
pub(crate) fn scope(
    ctx: &mut Ctx,
    obj: &Map<String, Value>,
    outer: &Scope,
    at: &Ptr,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        ctx.err(C::TooDeeplyNested, "The states are too deeply nested", at);
        return;
    }
    required(ctx, obj, &["States", "StartAt"], at);
    let start = fields::string(ctx, obj, "StartAt", at);
    let Some(states) = fields::object(ctx, obj, "States", at) else {
        return;
    };
    let states_at = at.key("States");
    if states.is_empty() {
        ctx.err(
            C::SchemaValidationFailed,
            "The field 'States' should be non-empty",
            &states_at,
        );
        return;
    }

    // Every name this scope assigns is "outer" for the scopes nested inside it.
    let mut inner = outer.clone();
    for s in states.values() {
        if let Value::Object(o) = s {
            variables::assigned_names(o, &mut inner);
        }
    }

    let mut infos = Vec::with_capacity(states.len());
    for (name, s) in states {
        let here = states_at.key(name);
        register_name(ctx, name, &here);
        infos.push(state(ctx, name, s, outer, &inner, &here, depth));
    }
    transitions::check_scope(ctx, start, &infos, at);
}

/// State names are unique across the whole machine (including nested scopes), since
/// history events and the console address states by name alone.
fn register_name(ctx: &mut Ctx, name: &str, at: &Ptr) {
    if name.chars().count() > MAX_STATE_NAME {
        ctx.err(
            C::InvalidStateName,
            format!(
                "State name '{name}' exceeds the maximum length of {MAX_STATE_NAME} characters"
            ),
            at,
        );
    }
    if ctx.state_names.contains_key(name) {
        ctx.err(
            C::DuplicateStateName,
            format!("Duplicate State name: {name}"),
            at,
        );
    } else {
        ctx.state_names.insert(name.to_string(), at.clone());
    }
}

/// Validates one state and reports its transitions.
fn state(
    ctx: &mut Ctx,
    name: &str,
    v: &Value,
    outer: &Scope,
    inner: &Scope,
    at: &Ptr,
    depth: usize,
) -> StateInfo {
    let mut info = StateInfo {
        name: name.to_string(),
        at: at.clone(),
        targets: Vec::new(),
        terminal: false,
    };
    let Value::Object(s) = v else {
        wrong_type(ctx, name, "OBJECT", v, at);
        info.terminal = true;
        return info;
    };

    let mut ql = ctx.top_ql;
    if let Some(q) = fields::one_of(ctx, s, "QueryLanguage", &["JSONPath", "JSONata"], at) {
        if q == "JSONPath" && ctx.top_ql == Ql::Jsonata {
            ctx.err(
                C::InvalidQueryLanguage,
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                at,
            );
        }
        ql = if q == "JSONata" {
            Ql::Jsonata
        } else {
            Ql::JsonPath
        };
    }

    let ty = match s.get("Type") {
        None => {
            required(ctx, s, &["Type"], at);
            None
        }
        Some(Value::String(t)) if schema::STATE_TYPES.contains(&t.as_str()) => Some(t.as_str()),
        Some(_) => {
            ctx.err(
                C::InvalidStateType,
                format!(
                    "The field 'Type' should have one of these values: [{}]",
                    schema::STATE_TYPES.join(", ")
                ),
                &at.key("Type"),
            );
            None
        }
    };
    let Some(ty) = ty else {
        // Without a type we cannot know the field set; keep whatever transition is
        // there so the graph checks do not cascade.
        if let Some(Value::String(n)) = s.get("Next") {
            info.targets.push((n.clone(), at.key("Next")));
        }
        info.terminal = true;
        return info;
    };

    unsupported(ctx, s, at, |k| schema::state_accepts(ty, ql, k));
    fields::string(ctx, s, "Comment", at);
    common_data_flow(ctx, s, ql, outer, at);

    match ty {
        "Pass" | "Task" | "Wait" | "Parallel" | "Map" => next_or_end(ctx, s, &mut info, at),
        "Succeed" | "Fail" => info.terminal = true,
        _ => {}
    }
    if let Some(r) = s.get("Retry") {
        retry::retry(ctx, r, &at.key("Retry"));
    }
    if let Some(c) = s.get("Catch") {
        let targets = retry::catch(ctx, c, ql, outer, &at.key("Catch"));
        info.targets.extend(targets);
    }

    match ty {
        "Task" => task(ctx, s, ql, at),
        "Choice" => {
            required(ctx, s, &["Choices"], at);
            let t = choice::choice(ctx, s, ql, outer, at);
            info.targets.extend(t);
        }
        "Wait" => wait(ctx, s, ql, at),
        "Fail" => fail(ctx, s, ql, at),
        "Parallel" => parallel(ctx, s, inner, at, depth),
        "Map" => map::map(ctx, s, ql, inner, at, depth),
        _ => {}
    }
    info
}

/// Data-flow fields shared by several state types. The field tables have already
/// rejected the ones a given type/language does not accept, so each is checked
/// wherever it appears.
fn common_data_flow(ctx: &mut Ctx, s: &Map<String, Value>, ql: Ql, outer: &Scope, at: &Ptr) {
    fields::path_field(ctx, s, "InputPath", PathKind::Path, true, at);
    fields::path_field(ctx, s, "OutputPath", PathKind::Path, true, at);
    if s.contains_key("ResultPath") {
        fields::result_path(ctx, s, at);
    }
    if let Some(v) = s.get("ResultSelector") {
        match v {
            Value::Object(_) => template::walk_jsonpath(ctx, v, &at.key("ResultSelector"), 0),
            _ => wrong_type(
                ctx,
                "ResultSelector",
                "OBJECT",
                v,
                &at.key("ResultSelector"),
            ),
        }
    }
    // Map handles its own (deprecated) Parameters alongside ItemSelector.
    if s.get("Type").and_then(Value::as_str) != Some("Map")
        && let Some(v) = s.get("Parameters")
    {
        template::walk(ctx, "Parameters", v, ql, &at.key("Parameters"));
    }
    if let Some(v) = s.get("Arguments") {
        template::walk(ctx, "Arguments", v, Ql::Jsonata, &at.key("Arguments"));
    }
    // A Task, Parallel or Map state's Output and Assign also see its result.
    let has_result = matches!(
        s.get("Type").and_then(Value::as_str),
        Some("Task" | "Parallel" | "Map")
    );
    if has_result {
        ctx.states_scope = StatesScope::Result;
    }
    if let Some(v) = s.get("Output") {
        template::walk(ctx, "Output", v, Ql::Jsonata, &at.key("Output"));
    }
    if let Some(v) = s.get("Assign") {
        variables::assign(ctx, v, ql, outer, &at.key("Assign"));
    }
    ctx.states_scope = StatesScope::Plain;
}

/// Exactly one of `Next` and `End: true`.
fn next_or_end(ctx: &mut Ctx, s: &Map<String, Value>, info: &mut StateInfo, at: &Ptr) {
    let next = fields::string(ctx, s, "Next", at);
    let end = match s.get("End") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            wrong_type(ctx, "End", "BOOLEAN", v, &at.key("End"));
            true
        }
    };
    if let Some(n) = next {
        info.targets.push((n.to_string(), at.key("Next")));
    }
    if end {
        info.terminal = true;
    }
    if s.contains_key("Next") && end {
        ctx.err(
            C::SchemaValidationFailed,
            "Fields 'Next' and 'End' are mutually exclusive",
            at,
        );
    } else if !s.contains_key("Next") && !end {
        ctx.err(
            C::MissingRequiredField,
            "Either 'Next' or 'End: true' must be specified",
            at,
        );
    }
}

fn task(ctx: &mut Ctx, s: &Map<String, Value>, ql: Ql, at: &Ptr) {
    required(ctx, s, &["Resource"], at);
    if let Some(r) = fields::string(ctx, s, "Resource", at)
        && !is_arn(r)
    {
        ctx.err(
            C::InvalidResource,
            format!(
                "The resource provided {r} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
            ),
            &at.key("Resource"),
        );
    }
    let timeout = fields::int_in_range(ctx, s, "TimeoutSeconds", ql, 1, Some(MAX_TASK_SECONDS), at);
    let heartbeat = fields::int_in_range(
        ctx,
        s,
        "HeartbeatSeconds",
        ql,
        1,
        Some(MAX_TASK_SECONDS),
        at,
    );
    exclusive(ctx, s, "TimeoutSeconds", "TimeoutSecondsPath", at);
    exclusive(ctx, s, "HeartbeatSeconds", "HeartbeatSecondsPath", at);
    fields::path_field(ctx, s, "TimeoutSecondsPath", PathKind::Reference, false, at);
    fields::path_field(
        ctx,
        s,
        "HeartbeatSecondsPath",
        PathKind::Reference,
        false,
        at,
    );
    if let (Some(t), Some(h)) = (timeout, heartbeat)
        && h >= t
    {
        ctx.err(
            C::SchemaValidationFailed,
            "The value for the field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'",
            &at.key("HeartbeatSeconds"),
        );
    }
    if let Some(c) = fields::object(ctx, s, "Credentials", at) {
        let here = at.key("Credentials");
        match ql {
            Ql::JsonPath => {
                unsupported(ctx, c, &here, |k| matches!(k, "RoleArn" | "RoleArn.$"));
                if !c.contains_key("RoleArn") && !c.contains_key("RoleArn.$") {
                    required(ctx, c, &["RoleArn"], &here);
                }
            }
            Ql::Jsonata => {
                unsupported(ctx, c, &here, |k| k == "RoleArn");
                required(ctx, c, &["RoleArn"], &here);
            }
        }
        template::walk(ctx, "Credentials", &Value::Object(c.clone()), ql, &here);
    }
}

/// A Task resource must look like an ARN: `arn:<partition>:<service>:<region>:<account>:<rest>`.
fn is_arn(r: &str) -> bool {
    let parts: Vec<&str> = r.split(':').collect();
    parts.len() >= 6 && parts[0] == "arn" && !parts[1].is_empty() && !parts[2].is_empty()
}

/// Wait: exactly one of `Seconds`, `Timestamp`, `SecondsPath`, `TimestampPath`.
fn wait(ctx: &mut Ctx, s: &Map<String, Value>, ql: Ql, at: &Ptr) {
    let present: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
        .into_iter()
        .filter(|k| s.contains_key(*k))
        .collect();
    if present.is_empty() {
        ctx.err(
            C::MissingRequiredField,
            match ql {
                Ql::JsonPath => "Exactly one of the fields [Seconds, Timestamp, SecondsPath, TimestampPath] is required",
                Ql::Jsonata => "Exactly one of the fields [Seconds, Timestamp] is required",
            },
            at,
        );
    } else if present.len() > 1 {
        ctx.err(
            C::SchemaValidationFailed,
            format!("Fields [{}] are mutually exclusive", present.join(", ")),
            at,
        );
    }
    fields::int_in_range(ctx, s, "Seconds", ql, 0, Some(MAX_TASK_SECONDS), at);
    if let Some(v) = s.get("Timestamp") {
        let here = at.key("Timestamp");
        match v {
            Value::String(t) if ql == Ql::Jsonata && jsonata_string(ctx, "Timestamp", t, &here) => {
            }
            Value::String(t) if is_timestamp(t) => {}
            Value::String(_) => ctx.err(
                C::SchemaValidationFailed,
                "The value for the field 'Timestamp' must be a valid ISO-8601 timestamp",
                &here,
            ),
            _ => wrong_type(ctx, "Timestamp", "STRING", v, &here),
        }
    }
    fields::path_field(ctx, s, "SecondsPath", PathKind::Reference, false, at);
    fields::path_field(ctx, s, "TimestampPath", PathKind::Reference, false, at);
}

/// Fail: `Error` xor `ErrorPath`, `Cause` xor `CausePath`.
fn fail(ctx: &mut Ctx, s: &Map<String, Value>, ql: Ql, at: &Ptr) {
    exclusive(ctx, s, "Error", "ErrorPath", at);
    exclusive(ctx, s, "Cause", "CausePath", at);
    for f in ["Error", "Cause"] {
        if let Some(v) = fields::string(ctx, s, f, at)
            && ql == Ql::Jsonata
        {
            jsonata_string(ctx, f, v, &at.key(f));
        }
    }
    fields::path_field(ctx, s, "ErrorPath", PathKind::Payload, false, at);
    fields::path_field(ctx, s, "CausePath", PathKind::Payload, false, at);
}

/// Parallel: a non-empty `Branches` array, each its own scope.
fn parallel(ctx: &mut Ctx, s: &Map<String, Value>, inner: &Scope, at: &Ptr, depth: usize) {
    required(ctx, s, &["Branches"], at);
    let Some(v) = s.get("Branches") else { return };
    let here = at.key("Branches");
    let Value::Array(branches) = v else {
        wrong_type(ctx, "Branches", "ARRAY", v, &here);
        return;
    };
    if branches.is_empty() {
        ctx.err(
            C::SchemaValidationFailed,
            "The field 'Branches' should be non-empty",
            &here,
        );
    }
    for (i, b) in branches.iter().enumerate() {
        let bat = here.idx(i);
        let Value::Object(b) = b else {
            wrong_type(ctx, "Branches", "OBJECT", b, &bat);
            continue;
        };
        unsupported(ctx, b, &bat, |k| schema::BRANCH.contains(&k));
        scope(ctx, b, inner, &bat, depth + 1);
    }
}
