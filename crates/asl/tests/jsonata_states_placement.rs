//! `$states.result` and `$states.errorOutput` exist only in some fields
//! (reference §3.5: "`$states.result` (Task/Map/Parallel top-level `Output`
//! and `Assign` only), `$states.errorOutput` (Catcher `Output`/`Assign`
//! only). Wrong placement is a definition/validation error."). The checks
//! read the parsed expression, so a string that merely contains the text
//! is not flagged.

use serde_json::{Value, json};

fn problems(definition: Value) -> Vec<(String, String)> {
    asl::validate(&definition)
        .into_iter()
        .map(|d| (d.location.clone(), d.message.clone()))
        .collect()
}

fn machine(states: Value) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": states})
}

#[test]
fn result_and_error_output_are_accepted_where_they_exist() {
    let def = machine(json!({
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
              "Output": "{% $states.result.Payload %}",
              "Assign": {"last": "{% $states.result.Payload.id %}"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B",
                         "Output": "{% $states.errorOutput %}",
                         "Assign": {"why": "{% $states.errorOutput.Cause %}"}}],
              "Next": "B"},
        "B": {"Type": "Pass", "Output": {"note": "a string mentioning $states.result is just text"},
              "End": true}
    }));
    assert_eq!(problems(def), vec![]);
}

#[test]
fn result_outside_a_task_parallel_or_map_output_is_rejected_with_its_location() {
    let def = machine(json!({
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "f", "Payload": "{% $states.result %}"},
              "Next": "B"},
        "B": {"Type": "Pass", "Output": "{% $states.result %}", "End": true}
    }));
    let found = problems(def);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "/States/A/Arguments/Payload");
    assert!(found[0].1.contains("$states.result"), "{}", found[0].1);
    assert_eq!(found[1].0, "/States/B/Output");
}

#[test]
fn error_output_outside_a_catcher_is_rejected() {
    let def = machine(json!({
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "f"},
              "Output": "{% $states.errorOutput %}",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B",
                         "Output": "{% $states.result %}"}],
              "End": true},
        "B": {"Type": "Choice", "Default": "C",
              "Choices": [{"Condition": "{% $states.errorOutput.Error = 'x' %}", "Next": "C"}]},
        "C": {"Type": "Succeed"}
    }));
    let locations: Vec<String> = problems(def).into_iter().map(|(l, _)| l).collect();
    assert_eq!(
        locations,
        vec![
            "/States/A/Output".to_string(),
            "/States/A/Catch/0/Output".to_string(),
            "/States/B/Choices/0/Condition".to_string()
        ]
    );
}
