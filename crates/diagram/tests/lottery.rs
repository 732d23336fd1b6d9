//! The seed's Lottery machine: what a reader of the console must see.

mod common;

use diagram::{Diagram, EdgeKind};
use serde_json::Value;

fn lottery() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/lottery/lottery.asl.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn states_are_in_flow_order_top_to_bottom() {
    let d = Diagram::from_definition(&lottery()).unwrap();
    let g = d.geometry();
    let y = |name: &str| g.nodes.iter().find(|n| n.name == name).unwrap().y;
    let flow = [
        "__start__",
        "Input Lottery Winners",
        "Random Select Winners",
        "Validate Winners",
        "Is Winner In Past Draw",
        "Send SNS and Record In Dynamodb",
        "Failed",
        "__end__",
    ];
    for w in flow.windows(2) {
        assert!(y(w[0]) < y(w[1]), "{} should be above {}", w[0], w[1]);
    }
}

#[test]
fn the_choice_loop_is_a_back_edge_labelled_with_its_condition() {
    let d = Diagram::from_definition(&lottery()).unwrap();
    let e = d
        .geometry()
        .edges
        .iter()
        .find(|e| e.from == "Is Winner In Past Draw" && e.to == "Random Select Winners")
        .unwrap();
    assert!(e.back);
    assert_eq!(e.kind, EdgeKind::Choice);
    assert_eq!(e.label.as_deref(), Some("$.status == 1"));
    // Drawn upwards.
    assert!(e.points.first().unwrap().1 > e.points.last().unwrap().1);
    let svg = d.to_svg();
    assert!(svg.contains(r#"<g class="edge edge-choice" data-from="Is Winner In Past Draw" data-to="Random Select Winners" data-back="true">"#));
}

#[test]
fn the_parallel_is_a_container_holding_both_branches() {
    let d = Diagram::from_definition(&lottery()).unwrap();
    let svg = d.to_svg();
    let start = svg
        .find(r#"<g class="container" data-state="Send SNS and Record In Dynamodb" data-type="parallel">"#)
        .expect("container group");
    let inside = &svg[start..];
    assert!(inside.contains(r#"data-state="Notify Winners""#));
    assert!(inside.contains(r#"data-state="Record Winner Queue""#));
    let g = d.geometry();
    let container = &g.containers[0];
    assert_eq!(container.lanes.len(), 2);
    // Branches side by side.
    assert!(container.lanes[0].0 + container.lanes[0].2 <= container.lanes[1].0);
}

#[test]
fn catch_edges_are_labelled_with_error_names_and_retry_shows_as_a_badge() {
    let d = Diagram::from_definition(&lottery()).unwrap();
    let catch = d
        .geometry()
        .edges
        .iter()
        .find(|e| e.from == "Input Lottery Winners" && e.to == "Failed")
        .unwrap();
    assert_eq!(catch.kind, EdgeKind::Catch);
    assert_eq!(catch.label.as_deref(), Some("CustomError, States.ALL"));
    let svg = d.to_svg();
    assert_eq!(svg.matches(r#"<g class="badge badge-retry">"#).count(), 3);
}

#[test]
fn state_groups_follow_the_console_contract() {
    let svg = Diagram::from_definition(&lottery()).unwrap().to_svg();
    assert!(svg.contains(r#"<g class="state state-task" data-state="Input Lottery Winners" id="state-1" tabindex="0" role="button" aria-label="Input Lottery Winners, Task state">"#), "{svg}");
    assert!(svg.contains(r#"<g class="state state-fail" data-state="Failed""#));
    assert!(svg.contains(r#"<g class="state state-choice" data-state="Is Winner In Past Draw""#));
    assert!(svg.contains(r#"data-state="__start__""#));
    assert!(svg.contains(r#"data-state="__end__""#));
    assert!(svg.contains(
        r#"<g class="edge edge-start" data-from="__start__" data-to="Input Lottery Winners">"#
    ));
    assert!(svg.contains(r#"<g class="edge edge-end" data-from="Failed" data-to="__end__">"#));
    // ids are unique.
    let ids = common::attrs(&svg, "state ", "id");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len());
}

#[test]
fn no_colour_is_written_on_an_element() {
    let svg = Diagram::from_definition(&lottery()).unwrap().to_svg();
    let body = &svg[svg.find("</style>").unwrap()..];
    for attr in ["fill=", "stroke=", "style=", "color="] {
        assert!(!body.contains(attr), "{attr} found outside the stylesheet");
    }
    assert!(!body.contains("=\"#"), "hex colour outside the stylesheet");
}

#[test]
fn json_has_nodes_edges_and_containers_with_coordinates() {
    let json = Diagram::from_definition(&lottery()).unwrap().to_json();
    let nodes = json["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 10); // 8 states + 2 markers
    let parallel = nodes
        .iter()
        .find(|n| n["name"] == "Send SNS and Record In Dynamodb")
        .unwrap();
    assert_eq!(parallel["container"], true);
    assert!(parallel["width"].as_f64().unwrap() > 200.0);
    let notify = nodes
        .iter()
        .find(|n| n["name"] == "Notify Winners")
        .unwrap();
    assert_eq!(notify["parent"]["state"], "Send SNS and Record In Dynamodb");
    assert_eq!(notify["parent"]["branch"], 0);
    assert_eq!(
        json["containers"][0]["branches"].as_array().unwrap().len(),
        2
    );
    let edge = &json["edges"][0];
    assert_eq!(edge["kind"], "start");
    assert!(edge["points"].as_array().unwrap().len() >= 2);
    assert!(edge["path"].as_str().unwrap().starts_with('M'));
}

#[test]
fn a_structurally_unreadable_definition_is_a_located_error() {
    let err = Diagram::from_definition(
        &serde_json::json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/States/A: no state named 'B' in this scope"
    );
    let err = Diagram::from_definition(&serde_json::json!({"States": {}})).unwrap_err();
    assert_eq!(err.to_string(), "/: missing or invalid field 'StartAt'");
    let err = Diagram::from_definition(&serde_json::json!([])).unwrap_err();
    assert_eq!(err.to_string(), "/: expected a JSON object");
}
