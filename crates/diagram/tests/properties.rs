//! Properties every drawing must have, on generated machines (loops, nested containers,
//! catches): every state and every transition drawn exactly once, the same drawing whatever
//! the key order, and no overlapping boxes.

mod common;

use diagram::Diagram;
use proptest::prelude::*;
use serde_json::Value;

fn draw(def: &Value) -> Diagram {
    Diagram::from_definition(def).expect("generated machines are drawable")
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn check_states_once(def: &Value, svg: &str) {
    let mut expected = Vec::new();
    common::state_names(def, &mut expected);
    let drawn = common::attrs(svg, "state ", "data-state");
    assert_eq!(sorted(drawn), sorted(expected));
    // Markers are there too, once each.
    let markers = common::attrs(svg, "marker ", "data-state");
    assert_eq!(markers.iter().filter(|m| *m == "__start__").count(), 1);
    assert!(markers.iter().filter(|m| *m == "__end__").count() <= 1);
}

fn check_transitions_once(def: &Value, svg: &str) {
    let mut expected = Vec::new();
    common::transitions(def, &mut expected);
    let classes = common::attrs(svg, "edge ", "class");
    let froms = common::attrs(svg, "edge ", "data-from");
    let tos = common::attrs(svg, "edge ", "data-to");
    assert_eq!(classes.len(), froms.len());
    assert_eq!(classes.len(), tos.len());
    let drawn: Vec<String> = classes
        .iter()
        .zip(froms.iter().zip(&tos))
        .filter(|(c, _)| !c.contains("edge-start") && !c.contains("edge-end"))
        .map(|(_, (f, t))| format!("{f} -> {t}"))
        .collect();
    let expected: Vec<String> = expected
        .into_iter()
        .map(|(f, t)| format!("{f} -> {t}"))
        .collect();
    assert_eq!(sorted(drawn), sorted(expected));
}

fn overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    const EPS: f64 = 0.5;
    a.0 + EPS < b.0 + b.2 && b.0 + EPS < a.0 + a.2 && a.1 + EPS < b.1 + b.3 && b.1 + EPS < a.1 + a.3
}

fn check_no_overlap(d: &Diagram) {
    let g = d.geometry();
    for (i, a) in g.nodes.iter().enumerate() {
        let ra = (a.x, a.y, a.width, a.height);
        for b in &g.nodes[i + 1..] {
            if a.parent == b.parent {
                assert!(
                    !overlap(ra, (b.x, b.y, b.width, b.height)),
                    "{} overlaps {}",
                    a.name,
                    b.name
                );
            }
        }
        // Inside its lane, and the lane inside its container.
        if let Some((c, lane)) = a.parent {
            let (lx, ly, lw, lh) = g.containers[c].lanes[lane];
            assert!(
                a.x >= lx - 0.5 && a.y >= ly - 0.5,
                "{} leaves its lane",
                a.name
            );
            assert!(
                a.x + a.width <= lx + lw + 0.5 && a.y + a.height <= ly + lh + 0.5,
                "{} leaves its lane",
                a.name
            );
            let owner = &g.nodes[g.containers[c].node];
            assert!(lx >= owner.x && lx + lw <= owner.x + owner.width + 0.5);
            assert!(ly >= owner.y && ly + lh <= owner.y + owner.height + 0.5);
        }
        assert!(a.x >= 0.0 && a.y >= 0.0 && a.x + a.width <= g.width && a.y + a.height <= g.height);
    }
    // Edge labels sit clear of the boxes of their scope.
    for e in &g.edges {
        if let (Some((x, y)), Some((w, h))) = (e.label_at, e.label_size) {
            let label = (x - w / 2.0, y - h / 2.0, w, h);
            for n in g.nodes.iter().filter(|n| n.parent == e.parent) {
                assert!(
                    !overlap(label, (n.x, n.y, n.width, n.height)),
                    "label {:?} of {} -> {} covers {}",
                    e.label,
                    e.from,
                    e.to,
                    n.name
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_state_and_transition_is_drawn_exactly_once(seed in any::<u64>(), size in 2usize..40) {
        let def = common::machine(seed, size);
        let svg = draw(&def).to_svg();
        check_states_once(&def, &svg);
        check_transitions_once(&def, &svg);
    }

    #[test]
    fn key_order_does_not_change_the_drawing(seed in any::<u64>(), size in 2usize..40, rotate in 0usize..5) {
        let def = common::machine(seed, size);
        let reordered = common::reorder(&def, rotate);
        let (a, b) = (draw(&def), draw(&reordered));
        prop_assert_eq!(a.to_svg(), b.to_svg());
        prop_assert_eq!(a.to_dot(), b.to_dot());
        prop_assert_eq!(a.to_mermaid(), b.to_mermaid());
        prop_assert_eq!(a.to_json(), b.to_json());
    }

    #[test]
    fn boxes_never_overlap(seed in any::<u64>(), size in 2usize..60) {
        check_no_overlap(&draw(&common::machine(seed, size)));
    }
}

#[test]
fn fixtures_have_every_state_and_transition_once_and_no_overlap() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![dir.join("../../examples/lottery/lottery.asl.json")];
    for entry in std::fs::read_dir(dir.join("tests/fixtures")).unwrap() {
        files.push(entry.unwrap().path());
    }
    files.sort();
    for file in files {
        let def: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let d = draw(&def);
        let svg = d.to_svg();
        check_states_once(&def, &svg);
        check_transitions_once(&def, &svg);
        check_no_overlap(&d);
        assert_eq!(
            svg,
            draw(&common::reorder(&def, 0)).to_svg(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn a_200_state_machine_is_drawable_and_clean() {
    let def = common::machine(200, 200);
    assert!(
        common::count_states(&def) >= 180,
        "{}",
        common::count_states(&def)
    );
    let d = draw(&def);
    let svg = d.to_svg();
    check_states_once(&def, &svg);
    check_transitions_once(&def, &svg);
    check_no_overlap(&d);
}

#[test]
fn the_generator_makes_machines_of_the_asked_size_with_every_feature() {
    let def = common::machine(200, 200);
    let n = common::count_states(&def);
    assert!((190..=210).contains(&n), "{n}");
    let text = def.to_string();
    for feature in [
        "\"Parallel\"",
        "\"Map\"",
        "\"Choice\"",
        "\"Catch\"",
        "\"Retry\"",
    ] {
        assert!(text.contains(feature), "{feature}");
    }
}
