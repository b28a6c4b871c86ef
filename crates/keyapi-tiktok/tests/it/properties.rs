//! Property tests: decoding any bytes or any field value never panics and never loses the
//! other items. (`RetryPolicy::decide` has its own in `src/retry.rs`, where errors with any
//! `Retry-After` can be made.)

use crate::common::{envelope, item, query};
use keyapi_tiktok::{Page, RankedVideo};
use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("-9223372036854775808"),
            Just("9223372036854775807"),
            Just("-1"),
            Just("1e400"),
            Just("[18446744073709551616]"),
            Just("[{\"category_id\":1}]"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn from_body_never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Page::from_body(&bytes, &query());
    }

    #[test]
    fn any_value_in_any_field_degrades_that_item_alone(
        field in prop::sample::select(RankedVideo::FIELDS.iter().map(|m| m.wire).collect::<Vec<_>>()),
        value in json_value(),
    ) {
        let mut bad = item(2);
        bad[field] = value;
        let body = envelope(Value::Array(vec![item(1), bad, item(3)])).to_string();
        let page = Page::from_body(body.as_bytes(), &query()).expect("the page survives");
        prop_assert_eq!(page.items.len(), 3);
        prop_assert_eq!(page.items[0].rank, 1);
        prop_assert_eq!(&page.items[0].video_id, &crate::common::video_id(1));
        prop_assert_eq!(&page.items[2].video_id, &crate::common::video_id(3));
        prop_assert!(page.items[0].issues.is_empty());
        prop_assert!(page.items[2].issues.is_empty());
    }
}
