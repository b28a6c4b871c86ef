//! Property tests: decoding any bytes or any field value, and deciding any retry, never
//! panics, never loses the other items and never waits longer than the policy allows.

mod common;

use std::time::Duration;

use common::{envelope, item, query};
use keyapi_tiktok::{ApiFailure, Error, Page, RankedVideo, RetryDecision, RetryPolicy};
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

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        any::<u64>().prop_map(Duration::from_nanos),
        any::<u64>().prop_map(Duration::from_secs),
    ]
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
        prop_assert_eq!(&page.items[0].video_id, &common::video_id(1));
        prop_assert_eq!(&page.items[2].video_id, &common::video_id(3));
        prop_assert!(page.items[0].issues.is_empty());
        prop_assert!(page.items[2].issues.is_empty());
    }

    #[test]
    fn decide_never_panics_and_never_waits_longer_than_its_maximum(
        max_attempts in any::<u32>(),
        base_delay in duration(),
        max_delay in duration(),
        max_retry_after in duration(),
        max_elapsed in duration(),
        attempt in any::<u32>(),
        elapsed in duration(),
        jitter in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), any::<f64>(), 0.0..1.0f64],
        retry_after in prop::option::of(duration()),
    ) {
        let policy = RetryPolicy { max_attempts, base_delay, max_delay, max_retry_after, max_elapsed };
        let error = Error::RateLimited(ApiFailure {
            status: Some(429),
            code: Some(429),
            message: "slow down".to_owned(),
            request_id: None,
            retry_after,
        });
        let longest = policy.max_delay.max(policy.max_retry_after);
        if let RetryDecision::Retry(wait) = policy.decide(attempt, &error, elapsed, jitter) {
            prop_assert!(wait <= longest, "{:?} > {:?}", wait, longest);
        }
    }
}
