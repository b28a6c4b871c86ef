//! When upstream moves the wrapped operation to another path (and `cargo xtask update-spec`
//! follows it by its operationId), the drift tests fail naming the new path, not only the
//! old one.

use std::panic::{AssertUnwindSafe, catch_unwind};

use keyapi_tiktok_drift_tests::{OPERATION_PATH, operation, operation_json, spec_json};
use serde_json::Value;

const NEW_PATH: &str = "/v2/tiktok/video/ranking";

/// The vendored spec with the wrapped operation's path renamed to [`NEW_PATH`].
fn renamed() -> Value {
    let mut spec = spec_json();
    let paths = spec["paths"].as_object_mut().expect("the spec has paths");
    let item = paths.remove(OPERATION_PATH).expect("the spec has the path");
    paths.insert(NEW_PATH.to_owned(), item);
    spec
}

/// The message `find` panics with.
fn panic_message(find: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(find)).expect_err("the lookup fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_default()
}

#[test]
fn a_renamed_path_is_named_by_the_json_lookup() {
    let spec = renamed();
    let message = panic_message(|| {
        operation_json(&spec);
    });
    assert!(message.contains(OPERATION_PATH), "{message}");
    assert!(message.contains(&format!("GET {NEW_PATH}")), "{message}");
    assert!(
        message.contains("get_api_v3_echotik_video_ranklist"),
        "{message}"
    );
}

#[test]
fn a_renamed_path_is_named_by_the_typed_lookup() {
    let spec = keyapi_tiktok_spec::to_openapi(renamed()).expect("still an OpenAPI document");
    let message = panic_message(|| {
        operation(&spec);
    });
    assert!(message.contains(OPERATION_PATH), "{message}");
    assert!(message.contains(&format!("GET {NEW_PATH}")), "{message}");
}
