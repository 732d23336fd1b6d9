//! Static analysis of a parsed expression: which `$names` it mentions (so
//! only those workflow variables are converted and bound), whether it needs
//! time or randomness from the host, and the Step Functions restrictions.
//!
//! The walk is iterative (an explicit work list) so that a deeply nested
//! expression cannot overflow the native stack here.

use std::collections::BTreeSet;

use jsonata_core::ast::{AstNode, BinaryOp, PathStep, Stage};

/// Facts about an expression gathered once at parse time.
#[derive(Debug, Default, Clone)]
pub(crate) struct Analysis {
    /// Every `$name` used as a variable or called as `$name(...)`.
    pub names: BTreeSet<String>,
    /// The first Step Functions restriction violated, if any.
    pub violation: Option<String>,
    /// Members of `$states` read as `$states.<member>` (`input`, `result`,
    /// …): where `result` and `errorOutput` may appear is a definition rule.
    pub states_members: BTreeSet<String>,
}

impl Analysis {
    /// True when the expression mentions one of `fns` as a variable or call.
    pub fn mentions_any(&self, fns: &[&str]) -> bool {
        fns.iter().any(|f| self.names.contains(*f))
    }
}

/// Names whose results depend on the current time.
pub(crate) const TIME_FUNCTIONS: &[&str] = &["now", "millis", "eval"];
/// Names whose results depend on randomness.
pub(crate) const RANDOM_FUNCTIONS: &[&str] = &["random", "uuid", "shuffle", "eval"];

pub(crate) fn analyse(ast: &AstNode) -> Analysis {
    let mut out = Analysis::default();
    // (node, at_root): `at_root` is true where the node would be evaluated
    // against the implicit input document, which Step Functions does not
    // provide (`$`, bare field names and `$$` are forbidden there).
    let mut work: Vec<(&AstNode, bool)> = vec![(ast, true)];
    let mut violate = |out: &mut Analysis, msg: String| {
        if out.violation.is_none() {
            out.violation = Some(msg);
        }
    };
    while let Some((node, root)) = work.pop() {
        match node {
            AstNode::String(_)
            | AstNode::Number(_)
            | AstNode::Boolean(_)
            | AstNode::Null
            | AstNode::Undefined
            | AstNode::Placeholder
            | AstNode::Regex { .. } => {}
            AstNode::Name(name) => {
                if root {
                    violate(
                        &mut out,
                        format!(
                            "field reference '{name}' at the top level of the expression: \
                             there is no implicit input document; use $states.input.{name}"
                        ),
                    );
                }
            }
            AstNode::Wildcard | AstNode::Descendant | AstNode::Parent(_) => {
                if root {
                    violate(
                        &mut out,
                        "wildcard or parent operator at the top level of the expression: \
                         there is no implicit input document"
                            .to_string(),
                    );
                }
            }
            AstNode::Variable(name) => {
                if name.is_empty() {
                    if root {
                        violate(
                            &mut out,
                            "'$' at the top level of the expression: there is no implicit \
                             input document; use $states.input"
                                .to_string(),
                        );
                    }
                } else {
                    note_name(&mut out, name, &mut violate);
                }
            }
            AstNode::ParentVariable(_) => violate(
                &mut out,
                "'$$' is not supported in Step Functions JSONata expressions".to_string(),
            ),
            AstNode::Path { steps } => {
                if let [first, second, ..] = steps.as_slice()
                    && matches!(&first.node, AstNode::Variable(v) if v == "states")
                    && let AstNode::Name(member) = &second.node
                {
                    out.states_members.insert(member.clone());
                }
                for (i, step) in steps.iter().enumerate() {
                    push_step(&mut work, step, root && i == 0);
                }
            }
            AstNode::Binary { op, lhs, rhs } => {
                if matches!(op, BinaryOp::Coalesce | BinaryOp::Default) {
                    violate(
                        &mut out,
                        "the '??' and '?:' operators (JSONata 2.1) are not supported: \
                         Step Functions implements JSONata 2.0.6"
                            .to_string(),
                    );
                }
                work.push((lhs, root));
                work.push((rhs, root));
            }
            AstNode::Unary { operand, .. } => work.push((operand, root)),
            AstNode::Function { name, args, .. } => {
                note_name(&mut out, name, &mut violate);
                work.extend(args.iter().map(|a| (a, root)));
            }
            AstNode::Call { procedure, args } => {
                work.push((procedure, root));
                work.extend(args.iter().map(|a| (a, root)));
            }
            // A function body runs against whatever its caller passes; it is
            // not the top level, so only `$$`/`$eval` are checked inside.
            AstNode::Lambda { body, .. } => work.push((body, false)),
            AstNode::Array(items) | AstNode::Block(items) => {
                work.extend(items.iter().map(|a| (a, root)))
            }
            AstNode::ArrayGroup(items) => work.extend(items.iter().map(|a| (a, root))),
            AstNode::Object(pairs) => {
                for (k, v) in pairs {
                    work.push((k, root));
                    work.push((v, root));
                }
            }
            AstNode::ObjectTransform { input, pattern } => {
                work.push((input, root));
                for (k, v) in pattern {
                    work.push((k, false));
                    work.push((v, false));
                }
            }
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => {
                work.push((condition, root));
                work.push((then_branch, root));
                if let Some(e) = else_branch {
                    work.push((e, root));
                }
            }
            AstNode::FunctionApplication(body) => work.push((body, root)),
            AstNode::Sort { input, terms } => {
                work.push((input, root));
                work.extend(terms.iter().map(|(t, _)| (t, false)));
            }
            AstNode::Transform {
                location,
                update,
                delete,
            } => {
                work.push((location, false));
                work.push((update, false));
                if let Some(d) = delete {
                    work.push((d, false));
                }
            }
        }
    }
    out
}

fn note_name(out: &mut Analysis, name: &str, violate: &mut impl FnMut(&mut Analysis, String)) {
    if name == "eval" {
        violate(
            out,
            "$eval is not available in Step Functions; use $parse to read JSON text".to_string(),
        );
    }
    if !out.names.contains(name) {
        out.names.insert(name.to_string());
    }
}

fn push_step<'a>(work: &mut Vec<(&'a AstNode, bool)>, step: &'a PathStep, root: bool) {
    work.push((&step.node, root));
    for stage in &step.stages {
        match stage {
            // A predicate runs against each item of the step, never the input.
            Stage::Filter(pred) => work.push((pred, false)),
            Stage::KeepArray | Stage::Index(_) => {}
        }
    }
}
