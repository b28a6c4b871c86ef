//! Spec coverage: reads the vendored spec with `openapiv3` and fails, naming the item, when
//! a query parameter, a response property, a value documented in a description or a
//! documented error status has no counterpart in the typed API of `keyapi-tiktok`, or when
//! the typed API maps something the spec no longer documents.
//!
//! The tables below are the explicit mapping; each is checked in both directions, so a
//! stale row fails as surely as a missing one.

mod documented_values;
mod error_statuses;
mod parameters;
mod properties;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use jiff::civil::date;
use keyapi_tiktok::{
    FieldMapping, MAX_PAGE_SIZE, Page, Period, RankField, RankedVideo, SalesMethod,
    VideoRankingQuery,
};
use keyapi_tiktok_drift_tests::{
    OPERATION_PATH, client, declared_statuses, envelope_schema, error_statuses, item_schema,
    object, operation, operation_json, request_sent, resolve, response_example, serve_example,
    spec_json, spec_openapi, type_name,
};
use keyapi_tiktok_spec::{VIDEO_RANKING, documented_values};
use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr};

/// Fails with every problem found, one a line.
#[track_caller]
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s) between spec/upstream.openapi.yaml and keyapi-tiktok:\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}
