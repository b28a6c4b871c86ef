//! The reference `keyapi-tiktok conformance` holds a response to is the vendored spec:
//! its envelope properties and documented codes are checked here against the spec, as
//! `RankedVideo::FIELDS` (the item fields and their types) is in `spec_coverage.rs`.

use keyapi_tiktok::{DOCUMENTED_CODES, ENVELOPE_FIELDS};
use keyapi_tiktok_drift_tests::{
    envelope_schema, error_statuses, object, resolve, spec_json, spec_openapi, type_name,
};

#[test]
fn envelope_fields_are_the_spec_envelope_with_its_types() {
    let spec = spec_openapi();
    let envelope = object(envelope_schema(&spec), "the 200 envelope");
    let documented: Vec<(String, &str)> = envelope
        .properties
        .iter()
        .map(|(name, property)| (name.clone(), type_name(resolve(&spec, property))))
        .collect();
    let mut ours: Vec<(String, &str)> = ENVELOPE_FIELDS
        .iter()
        .map(|(name, json_type)| ((*name).to_owned(), *json_type))
        .collect();
    let mut documented_sorted = documented.clone();
    documented_sorted.sort();
    ours.sort();
    assert_eq!(
        ours, documented_sorted,
        "ENVELOPE_FIELDS (left) no longer matches the spec's 200 envelope (right)"
    );
}

#[test]
fn documented_codes_are_success_and_every_documented_error_status() {
    let mut documented: Vec<i64> = error_statuses(&spec_json())
        .into_iter()
        .map(i64::from)
        .collect();
    documented.insert(0, 0);
    assert_eq!(
        DOCUMENTED_CODES, documented,
        "DOCUMENTED_CODES (left) no longer matches 0 and the spec's error statuses (right)"
    );
}
