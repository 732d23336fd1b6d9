//! `baton diagram`: formats, output file, and refusal of invalid definitions.

use std::path::PathBuf;
use std::process::Command;

fn baton() -> Command {
    Command::new(env!("CARGO_BIN_EXE_baton"))
}

fn lottery() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lottery/lottery.asl.json")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-diagram-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn writes_an_svg_file_with_every_state() {
    let out = scratch("lottery.svg");
    let status = baton()
        .arg("diagram")
        .arg(lottery())
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg "));
    for state in [
        "Input Lottery Winners",
        "Is Winner In Past Draw",
        "Record Winner Queue",
    ] {
        assert!(svg.contains(&format!("data-state=\"{state}\"")), "{state}");
    }
}

#[test]
fn prints_other_formats_on_stdout() {
    for (format, marker) in [
        ("dot", "digraph state_machine {"),
        ("mermaid", "flowchart TD"),
        ("json", "\"containers\""),
    ] {
        let out = baton()
            .args(["diagram", "--format", format])
            .arg(lottery())
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains(marker),
            "{format}"
        );
    }
}

#[test]
fn an_invalid_definition_gets_located_diagnostics_and_no_file() {
    let def = scratch("bad.asl.json");
    std::fs::write(
        &def,
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#,
    )
    .unwrap();
    let out_file = scratch("bad.svg");
    let out = baton()
        .arg("diagram")
        .arg(&def)
        .arg("-o")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("/States/A/Next"), "{stderr}");
    assert!(!out_file.exists());
}
