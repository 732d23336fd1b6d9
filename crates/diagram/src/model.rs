//! From definition JSON to a graph of scopes, states and transitions, in flow order.
//!
//! **Flow order** is the order of a depth-first walk from `StartAt` that follows, for each
//! state, `Next`, then the `Choices` rules in order, then `Default`, then the `Catch`ers in
//! order. States the walk never reaches come after, sorted by name. Everything downstream
//! (ranking, ordering, ids) starts from this order, so the drawing depends only on the graph,
//! never on how the `States` object's keys happen to be ordered.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::Error;
use crate::condition;

/// What a transition is, which decides its style and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// From the start marker to `StartAt`.
    Start,
    /// `Next`.
    Next,
    /// A Choice rule.
    Choice,
    /// A Choice state's `Default`.
    Default,
    /// A `Catch` fallback.
    Catch,
    /// From a terminal state to the end marker.
    End,
}

impl EdgeKind {
    /// The name used in CSS classes, DOT/Mermaid comments and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Start => "start",
            EdgeKind::Next => "next",
            EdgeKind::Choice => "choice",
            EdgeKind::Default => "default",
            EdgeKind::Catch => "catch",
            EdgeKind::End => "end",
        }
    }
}

/// One state of a scope.
#[derive(Debug, Clone)]
pub struct State {
    /// The state's name (its key in `States`).
    pub name: String,
    /// `Type` as written (`Task`, `Choice`, …).
    pub kind: String,
    /// A short form of the Task resource (`sns:publish`, `lambda:Fn`), if any.
    pub resource: Option<String>,
    /// The retriers, if any, for the badge.
    pub retry: Option<Retry>,
    /// `End: true`, or a Succeed/Fail state: the flow stops here.
    pub terminal: bool,
    /// Parallel branches or the Map iterator: each is laid out on its own.
    pub children: Vec<Scope>,
    /// JSON-Pointer location of the state in the definition.
    pub location: String,
    /// For a Map: how it runs (`Map · distributed · max 10 at once`).
    pub map: Option<String>,
}

/// What the Retry badge shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// Number of retriers.
    pub rules: usize,
    /// Most retries any one retrier allows (`MaxAttempts`, default 3).
    pub max_attempts: u64,
    /// A one-line summary for the tooltip.
    pub summary: String,
}

/// A transition between two states of the same scope, indices into `Scope::states`. All
/// transitions between the same pair of states are merged into one edge, so each pair is
/// drawn once with a combined label.
#[derive(Debug, Clone)]
pub struct Transition {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// Short label drawn on the edge (Choice condition, Catch error names, `Default`).
    pub label: Option<String>,
    /// The full text behind the label (tooltip).
    pub detail: Option<String>,
}

/// A state machine, a Parallel branch or a Map iterator.
#[derive(Debug, Clone)]
pub struct Scope {
    /// States in flow order; `states[0]` is `StartAt`.
    pub states: Vec<State>,
    /// Transitions in flow order of their source, then successor order.
    pub transitions: Vec<Transition>,
}

/// Reads the state machine (or branch) at `value`, located at `location`.
pub fn read_scope(value: &Value, location: &str) -> Result<Scope, Error> {
    let object = value.as_object().ok_or_else(|| Error::NotAnObject {
        location: or_root(location),
    })?;
    let start_at = object
        .get("StartAt")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Missing {
            location: or_root(location),
            field: "StartAt",
        })?;
    let states = object
        .get("States")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Missing {
            location: or_root(location),
            field: "States",
        })?;
    if !states.contains_key(start_at) {
        return Err(Error::UnknownState {
            location: format!("{location}/StartAt"),
            name: start_at.to_string(),
        });
    }
    let order = flow_order(start_at, states, location)?;
    let index: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();

    let mut scope = Scope {
        states: Vec::with_capacity(order.len()),
        transitions: Vec::new(),
    };
    for (i, name) in order.iter().enumerate() {
        let state_location = format!("{location}/States/{name}");
        let body = states[name.as_str()]
            .as_object()
            .ok_or_else(|| Error::NotAnObject {
                location: state_location.clone(),
            })?;
        scope.states.push(read_state(name, body, &state_location)?);
        let mut merged: Vec<Transition> = Vec::new();
        for successor in successors(body) {
            let to = index[successor.target];
            match merged.iter_mut().find(|t| t.to == to) {
                Some(existing) => existing.absorb(successor),
                None => merged.push(Transition {
                    from: i,
                    to,
                    kind: successor.kind,
                    label: successor.label,
                    detail: successor.detail,
                }),
            }
        }
        scope.transitions.extend(merged);
    }
    Ok(scope)
}

fn or_root(location: &str) -> String {
    if location.is_empty() {
        "/".into()
    } else {
        location.to_string()
    }
}

impl Transition {
    /// Merges another transition to the same target into this edge.
    fn absorb(&mut self, other: Successor<'_>) {
        let joiner = if self.kind == EdgeKind::Catch && other.kind == EdgeKind::Catch {
            ", "
        } else {
            " | "
        };
        self.label = join_opt(self.label.take(), other.label, joiner);
        self.detail = join_opt(self.detail.take(), other.detail, "\n");
        if self.kind == EdgeKind::Next {
            // A Catch or Choice to where Next goes too: keep the stronger meaning visible.
            self.kind = other.kind;
        }
    }
}

fn join_opt(a: Option<String>, b: Option<String>, sep: &str) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}{sep}{b}")),
        (a, b) => a.or(b),
    }
}

/// One outgoing transition of a state, before merging.
struct Successor<'a> {
    target: &'a str,
    kind: EdgeKind,
    label: Option<String>,
    detail: Option<String>,
}

/// A state's transitions in successor order: Next, Choices, Default, Catch. Targets that are
/// not states of this scope are skipped here and reported by `flow_order`.
fn successors(body: &Map<String, Value>) -> Vec<Successor<'_>> {
    let mut out = Vec::new();
    if let Some(next) = body.get("Next").and_then(Value::as_str) {
        out.push(Successor {
            target: next,
            kind: EdgeKind::Next,
            label: None,
            detail: None,
        });
    }
    if let Some(Value::Array(rules)) = body.get("Choices") {
        for rule in rules {
            if let Some(next) = rule.get("Next").and_then(Value::as_str) {
                let full = condition::render(rule);
                out.push(Successor {
                    target: next,
                    kind: EdgeKind::Choice,
                    label: Some(condition::truncate(&full, condition::MAX_LABEL_CHARS)),
                    detail: Some(full),
                });
            }
        }
    }
    if let Some(default) = body.get("Default").and_then(Value::as_str) {
        out.push(Successor {
            target: default,
            kind: EdgeKind::Default,
            label: Some("Default".into()),
            detail: None,
        });
    }
    if let Some(Value::Array(catchers)) = body.get("Catch") {
        for catcher in catchers {
            if let Some(next) = catcher.get("Next").and_then(Value::as_str) {
                let errors: Vec<&str> = catcher
                    .get("ErrorEquals")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let full = errors.join(", ");
                out.push(Successor {
                    target: next,
                    kind: EdgeKind::Catch,
                    label: Some(condition::truncate(&full, condition::MAX_LABEL_CHARS)),
                    detail: Some(full),
                });
            }
        }
    }
    out
}

/// States in flow order (see the module docs). Fails on a transition to a missing state.
fn flow_order(
    start_at: &str,
    states: &Map<String, Value>,
    location: &str,
) -> Result<Vec<String>, Error> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut order: Vec<String> = Vec::with_capacity(states.len());
    // Explicit stack of (its successors, next successor to visit): no recursion limit on
    // long chains.
    let mut stack: Vec<(Vec<&str>, usize)> = Vec::new();
    let mut roots: Vec<&str> = vec![start_at];
    let mut rest: Vec<&str> = states.keys().map(String::as_str).collect();
    rest.sort_unstable();
    roots.extend(rest);
    for root in roots {
        if !seen.insert(root) {
            continue;
        }
        order.push(root.to_string());
        stack.push((targets_of(states, root, location)?, 0));
        while let Some((targets, next)) = stack.last_mut() {
            if *next >= targets.len() {
                stack.pop();
                continue;
            }
            let target = targets[*next];
            *next += 1;
            if seen.insert(target) {
                order.push(target.to_string());
                stack.push((targets_of(states, target, location)?, 0));
            }
        }
    }
    Ok(order)
}

/// The targets of `name`'s transitions, checked to exist.
fn targets_of<'a>(
    states: &'a Map<String, Value>,
    name: &str,
    location: &str,
) -> Result<Vec<&'a str>, Error> {
    let body = states[name].as_object().ok_or_else(|| Error::NotAnObject {
        location: format!("{location}/States/{name}"),
    })?;
    let targets: Vec<&'a str> = successors(body).into_iter().map(|s| s.target).collect();
    if let Some(missing) = targets.iter().find(|t| !states.contains_key(**t)) {
        return Err(Error::UnknownState {
            location: format!("{location}/States/{name}"),
            name: (*missing).to_string(),
        });
    }
    Ok(targets)
}

fn read_state(name: &str, body: &Map<String, Value>, location: &str) -> Result<State, Error> {
    let kind = body
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Missing {
            location: location.to_string(),
            field: "Type",
        })?
        .to_string();
    let terminal = body.get("End").and_then(Value::as_bool).unwrap_or(false)
        || kind == "Succeed"
        || kind == "Fail";
    let mut children = Vec::new();
    if kind == "Parallel" {
        if let Some(Value::Array(branches)) = body.get("Branches") {
            for (i, branch) in branches.iter().enumerate() {
                children.push(read_scope(branch, &format!("{location}/Branches/{i}"))?);
            }
        }
    } else if kind == "Map" {
        for field in ["ItemProcessor", "Iterator"] {
            if let Some(processor) = body.get(field) {
                children.push(read_scope(processor, &format!("{location}/{field}"))?);
                break;
            }
        }
    }
    let map = (kind == "Map").then(|| map_summary(body));
    Ok(State {
        map,
        name: name.to_string(),
        resource: body
            .get("Resource")
            .and_then(Value::as_str)
            .map(short_resource),
        retry: read_retry(body.get("Retry")),
        kind,
        terminal,
        children,
        location: location.to_string(),
    })
}

/// `Map · inline`, `Map · distributed · max 10 at once`.
fn map_summary(body: &Map<String, Value>) -> String {
    let mode = body
        .get("ItemProcessor")
        .and_then(|p| p.get("ProcessorConfig"))
        .and_then(|c| c.get("Mode"))
        .and_then(Value::as_str)
        .unwrap_or("INLINE")
        .to_lowercase();
    let mut out = format!("Map · {mode}");
    match body.get("MaxConcurrency").and_then(Value::as_u64) {
        Some(0) | None => {}
        Some(1) => out.push_str(" · one at a time"),
        Some(n) => out.push_str(&format!(" · max {n} at once")),
    }
    out
}

fn read_retry(retry: Option<&Value>) -> Option<Retry> {
    let rules = retry?.as_array()?;
    if rules.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    let mut max_attempts = 0;
    for rule in rules {
        let attempts = rule.get("MaxAttempts").and_then(Value::as_u64).unwrap_or(3);
        max_attempts = max_attempts.max(attempts);
        let errors: Vec<&str> = rule
            .get("ErrorEquals")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let interval = rule
            .get("IntervalSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        parts.push(format!(
            "{}: up to {attempts}× every {interval}s",
            errors.join(", ")
        ));
    }
    Some(Retry {
        rules: rules.len(),
        max_attempts,
        summary: format!("Retry {}", parts.join("; ")),
    })
}

/// `arn:aws:states:::sns:publish` → `sns:publish`;
/// `arn:aws:lambda:us-east-1:1:function:Fn` → `lambda:Fn`; activities → `activity:Name`.
pub fn short_resource(arn: &str) -> String {
    if let Some(rest) = arn.strip_prefix("arn:aws:states:::") {
        return rest.to_string();
    }
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() >= 7 && parts[2] == "lambda" {
        return format!("lambda:{}", parts[6]);
    }
    if parts.len() >= 7 && parts[2] == "states" && parts[5] == "activity" {
        return format!("activity:{}", parts[6]);
    }
    arn.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(scope: &Scope) -> Vec<&str> {
        scope.states.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn flow_order_follows_next_then_choices_then_default_then_catch() {
        let def = json!({"StartAt": "A", "States": {
            "Z": {"Type": "Fail"},
            "D": {"Type": "Succeed"},
            "C": {"Type": "Pass", "End": true},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "C"}], "Default": "D"},
            "A": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Next": "B",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]}
        }});
        let scope = read_scope(&def, "").unwrap();
        assert_eq!(names(&scope), ["A", "B", "C", "D", "Z"]);
    }

    #[test]
    fn unreachable_states_come_last_sorted_by_name() {
        let def = json!({"StartAt": "A", "States": {
            "y": {"Type": "Pass", "End": true},
            "x": {"Type": "Pass", "End": true},
            "A": {"Type": "Pass", "End": true}
        }});
        assert_eq!(names(&read_scope(&def, "").unwrap()), ["A", "x", "y"]);
    }

    #[test]
    fn catchers_to_one_target_merge_into_one_labelled_edge() {
        let def = json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:F", "End": true,
                  "Catch": [{"ErrorEquals": ["CustomError"], "Next": "F"},
                            {"ErrorEquals": ["States.ALL"], "Next": "F"}]},
            "F": {"Type": "Fail"}
        }});
        let scope = read_scope(&def, "").unwrap();
        assert_eq!(scope.transitions.len(), 1);
        let t = &scope.transitions[0];
        assert_eq!(t.kind, EdgeKind::Catch);
        assert_eq!(t.label.as_deref(), Some("CustomError, States.ALL"));
        assert_eq!(scope.states[0].resource.as_deref(), Some("lambda:F"));
    }

    #[test]
    fn unknown_target_is_a_located_error() {
        let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}});
        let err = read_scope(&def, "").unwrap_err();
        assert_eq!(
            err,
            Error::UnknownState {
                location: "/States/A".into(),
                name: "Nope".into()
            }
        );
    }

    #[test]
    fn parallel_branches_and_map_processors_become_child_scopes() {
        let def = json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Next": "M", "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
                {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": true}}}]},
            "M": {"Type": "Map", "End": true, "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                  "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}
        }});
        let scope = read_scope(&def, "").unwrap();
        assert_eq!(scope.states[0].children.len(), 2);
        assert_eq!(scope.states[1].children.len(), 1);
        assert_eq!(
            scope.states[1].children[0].states[0].location,
            "/States/M/ItemProcessor/States/I"
        );
        assert_eq!(scope.states[1].retry.as_ref().unwrap().max_attempts, 2);
        assert_eq!(scope.states[1].map.as_deref(), Some("Map · inline"));
    }
}
