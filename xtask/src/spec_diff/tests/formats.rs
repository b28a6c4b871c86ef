//! spec-diff on the checked-in fixture pairs: each output format, `--fail-on`, exit
//! statuses and unusable files.

use serde_json::Value;

use super::{fixture, options};
use crate::spec_diff::options::{FailOn, Format};
use crate::spec_diff::output::{NewVersion, render, render_as};
use crate::spec_diff::rules::diff;
use crate::spec_diff::{exit_status, load, parse, run};
use keyapi_tiktok_spec::VIDEO_RANKING;

#[test]
fn checked_in_pairs_give_the_expected_reports() {
    for (new, expected) in [
        ("breaking.json", "breaking.expected.txt"),
        ("additive.yaml", "additive.expected.txt"),
    ] {
        let changes = diff(
            &load(&fixture("base.yaml")).unwrap(),
            &load(&fixture(new)).unwrap(),
        );
        let expected = std::fs::read_to_string(fixture(expected)).unwrap();
        assert_eq!(render(&changes), expected, "base.yaml → {new}");
    }
}

#[test]
fn exit_status_is_0_compatible_1_breaking_2_unusable() {
    let base = fixture("base.yaml");
    assert_eq!(exit_status(&options(&base, &fixture("base.json"))), 0);
    assert_eq!(exit_status(&options(&base, &fixture("additive.yaml"))), 0);
    assert_eq!(exit_status(&options(&base, &fixture("breaking.json"))), 1);
    assert_eq!(exit_status(&options(&base, &fixture("missing.json"))), 2);
    assert_eq!(
        exit_status(&options(&fixture("not-openapi.json"), &base)),
        2
    );
}

#[test]
fn unusable_files_are_named_with_the_reason() {
    let missing = fixture("missing.json");
    let message = format!("{:#}", run(&options(&missing, &missing)).unwrap_err());
    assert!(
        message.starts_with(&format!("{}: ", missing.display())),
        "{message}"
    );
    let not_openapi = fixture("not-openapi.json");
    let message = format!("{:#}", load(&not_openapi).unwrap_err());
    assert!(
        message.starts_with(&format!(
            "{}: not an OpenAPI 3.0 document: ",
            not_openapi.display()
        )),
        "{message}"
    );
    let message = format!("{:#}", parse("openapi: [unclosed").unwrap_err());
    assert!(message.starts_with("not YAML or JSON: "), "{message}");
}

#[test]
fn every_format_gives_the_checked_in_report_for_each_pair() {
    for new in ["breaking.json", "additive.yaml"] {
        let changes = diff(
            &load(&fixture("base.yaml")).unwrap(),
            &load(&fixture(new)).unwrap(),
        );
        let stem = new.split('.').next().unwrap();
        let name = format!("xtask/tests/fixtures/spec-diff/{new}");
        let text = std::fs::read_to_string(fixture(new)).unwrap();
        let version = NewVersion {
            name: &name,
            text: &text,
        };
        for (format, extension) in [
            (Format::Text, "txt"),
            (Format::Json, "json"),
            (Format::Markdown, "md"),
            (Format::Github, "github.txt"),
        ] {
            let expected = format!("{stem}.expected.{extension}");
            let expected_text = std::fs::read_to_string(fixture(&expected)).unwrap();
            assert_eq!(
                render_as(format, &changes, &version),
                expected_text,
                "base.yaml → {new} as {format:?}"
            );
        }
    }
}

#[test]
fn the_json_report_has_the_documented_shape() {
    let changes = diff(
        &load(&fixture("base.yaml")).unwrap(),
        &load(&fixture("breaking.json")).unwrap(),
    );
    let text = std::fs::read_to_string(fixture("breaking.json")).unwrap();
    let version = NewVersion {
        name: "new.json",
        text: &text,
    };
    let report: Value = serde_json::from_str(&render_as(Format::Json, &changes, &version)).unwrap();
    assert_eq!(report["breaking"], 7);
    assert_eq!(report["additive"], 3);
    let first = &report["changes"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["file", "line", "message", "operation", "rule", "severity"]
    );
    assert_eq!(first["rule"], "parameter-removed");
    assert_eq!(first["severity"], "breaking");
    assert_eq!(first["operation"], VIDEO_RANKING.subject());
    assert_eq!(first["file"], "new.json");
    // The line of the parameters list, where page_size used to be.
    assert_eq!(first["line"], 11);
}

#[test]
fn fail_on_chooses_which_changes_fail() {
    let base = fixture("base.yaml");
    for (fail_on, additive, breaking) in [
        (FailOn::Breaking, 0, 1),
        (FailOn::Additive, 1, 1),
        (FailOn::Never, 0, 0),
    ] {
        let mut options = options(&base, &fixture("additive.yaml"));
        options.fail_on = fail_on;
        assert_eq!(exit_status(&options), additive, "{fail_on:?} additive");
        options.new = fixture("breaking.json");
        assert_eq!(exit_status(&options), breaking, "{fail_on:?} breaking");
        options.new = fixture("base.json");
        assert_eq!(exit_status(&options), 0, "{fail_on:?} identical");
        options.new = fixture("missing.json");
        assert_eq!(exit_status(&options), 2, "{fail_on:?} unusable");
    }
}
