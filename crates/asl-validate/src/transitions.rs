//! Scope-level graph checks: transition targets exist in the same `States` block,
//! every state is reachable from `StartAt`, and some state terminates the scope.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::context::Ctx;
use crate::diagnostic::DiagnosticCode as C;
use crate::pointer::Ptr;

/// What validating one state told us about its place in the graph.
pub(crate) struct StateInfo {
    /// Name of the state.
    pub(crate) name: String,
    /// Location of the state object.
    pub(crate) at: Ptr,
    /// Every outgoing transition (`Next`, Choice `Default`/rule `Next`, catcher `Next`).
    pub(crate) targets: Vec<(String, Ptr)>,
    /// Whether the state can end the scope (`End: true`, Succeed, Fail). States whose
    /// type is unknown count as terminal so one error does not cascade into more.
    pub(crate) terminal: bool,
}

/// Runs the graph checks for one scope. `start` is `StartAt` if it was a string.
pub(crate) fn check_scope(ctx: &mut Ctx, start: Option<&str>, infos: &[StateInfo], scope_at: &Ptr) {
    if infos.is_empty() {
        return;
    }
    let index: HashMap<&str, usize> = infos
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();

    let start_idx = start.and_then(|s| {
        let found = index.get(s).copied();
        if found.is_none() {
            ctx.err(
                C::MissingTransitionTarget,
                format!("Missing 'Next' target: {s}"),
                &scope_at.key("StartAt"),
            );
        }
        found
    });

    for info in infos {
        for (target, at) in &info.targets {
            if !index.contains_key(target.as_str()) {
                ctx.err(
                    C::MissingTransitionTarget,
                    format!("Missing 'Next' target: {target}"),
                    at,
                );
            }
        }
    }

    // Reachability is only meaningful from a valid entry point.
    if let Some(start_idx) = start_idx {
        let mut seen = HashSet::from([start_idx]);
        let mut queue = VecDeque::from([start_idx]);
        while let Some(i) = queue.pop_front() {
            for (t, _) in &infos[i].targets {
                if let Some(&j) = index.get(t.as_str())
                    && seen.insert(j)
                {
                    queue.push_back(j);
                }
            }
        }
        for (i, info) in infos.iter().enumerate() {
            if !seen.contains(&i) {
                ctx.err(
                    C::UnreachableState,
                    format!("State \"{}\" is not reachable.", info.name),
                    &info.at,
                );
            }
        }
    }

    if !infos.iter().any(|s| s.terminal) {
        // AWS prints no location for the machine's own scope (`at null`).
        let loc = if scope_at == &Ptr::root() {
            String::new()
        } else {
            scope_at.render()
        };
        ctx.err_raw(C::MissingEndState, "Workflow has no terminal state", &loc);
    }
}
