//! Golden DOT and Mermaid output for the Lottery machine and a few conformance definitions
//! (Parallel, Map, Choice loops). Run with `UPDATE_SNAPSHOTS=1` to accept changes, then
//! review the diff.

use std::path::{Path, PathBuf};

use diagram::Diagram;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(name: &str, actual: &str) {
    check_path(&root().join("tests/snapshots").join(name), actual);
}

fn check_path(path: &Path, actual: &str) {
    let name = path.display();
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    match std::fs::read_to_string(path) {
        Ok(expected) if !update => {
            if expected != actual {
                panic!(
                    "{name} differs from its snapshot; rerun with UPDATE_SNAPSHOTS=1 and review the diff.\n--- expected\n{expected}\n--- actual\n{actual}"
                );
            }
        }
        Ok(_) | Err(_) => {
            std::fs::write(path, actual).unwrap();
            assert!(update, "{name}: new snapshot written; review and commit it");
        }
    }
}

fn snapshot(stem: &str, file: &Path) {
    let def = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let d = Diagram::from_definition(&def).unwrap();
    check(&format!("{stem}.dot"), &d.to_dot());
    check(&format!("{stem}.mmd"), &d.to_mermaid());
}

#[test]
fn lottery() {
    snapshot(
        "lottery",
        &root().join("../../examples/lottery/lottery.asl.json"),
    );
}

/// The README's picture is what the code draws today.
#[test]
fn lottery_svg_in_docs_is_current() {
    let file = root().join("../../examples/lottery/lottery.asl.json");
    let def = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let svg = Diagram::from_definition(&def).unwrap().to_svg();
    check_path(&root().join("../../docs/diagram-lottery.svg"), &svg);
}

#[test]
fn parallel() {
    snapshot("parallel", &root().join("tests/fixtures/parallel.asl.json"));
}

#[test]
fn map_with_a_choice_loop() {
    snapshot(
        "map-reentrant-loop",
        &root().join("tests/fixtures/map-reentrant-loop.asl.json"),
    );
}

#[test]
fn map_with_catch() {
    snapshot(
        "map-catch",
        &root().join("tests/fixtures/map-catch.asl.json"),
    );
}

#[test]
fn choice_loop_with_catch_and_retry() {
    snapshot(
        "choice-loop-comments",
        &root().join("tests/fixtures/choice-loop-comments.asl.json"),
    );
}

#[test]
fn nested_parallel_map_loop() {
    snapshot("nested", &root().join("tests/fixtures/nested.asl.json"));
}
