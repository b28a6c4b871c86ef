//! Unit tests of decoding and normalisation, on single items and bodies.

use jiff::Timestamp;
use serde_json::json;

use super::normalise::parse_product_ids;
use super::*;

fn rescue(item: Value) -> RankedVideo {
    rescue_item(item, 1, Issues::default())
}

#[test]
fn escaping_control_characters_only_touches_strings() {
    let raw = b"{\"a\":\"x\ty\",\n\"b\":\"q\\\"\x01\"}";
    let value: Value = serde_json::from_slice(&escape_control_characters(raw)).unwrap();
    assert_eq!(value, json!({ "a": "x\ty", "b": "q\"\u{1}" }));
}

#[test]
fn product_ids_keep_every_digit_in_every_shape() {
    let mut issues = Issues::default();
    for (input, expected) in [
        ("[1729436418527695003]", vec!["1729436418527695003"]),
        (
            "[\"1729436418527695003\", 98765432109876543210]",
            vec!["1729436418527695003", "98765432109876543210"],
        ),
        ("[]", vec![]),
        ("", vec![]),
        ("null", vec![]),
    ] {
        let ids: Vec<String> = parse_product_ids(Some(input), &mut issues)
            .into_iter()
            .map(|id| id.0)
            .collect();
        assert_eq!(ids, expected, "{input}");
    }
    assert!(issues.0.is_empty());
    assert!(parse_product_ids(Some("[12, abc]"), &mut issues).len() == 1);
    assert_eq!(issues.0[0].field, "video_products");
}

#[test]
fn extreme_timestamps_are_recorded_not_panicked_on() {
    for extreme in [
        "-9223372036854775808",
        "9223372036854775807",
        "99999999999999999999",
    ] {
        let video = rescue(json!({ "video_id": "1", "create_time": extreme }));
        assert_eq!(video.created_at, None, "{extreme}");
        assert_eq!(video.issues.len(), 1, "{extreme}");
    }
}

#[test]
fn drifted_types_are_coerced_and_recorded_only_when_unusable() {
    let video = rescue(json!({
        "video_id": 7601397977986501919u64,
        "create_time": 1769838405,
        "created_by_ai": true,
        "total_views_cnt": "1200",
        "total_digg_cnt": 3.0,
        "total_video_sale_gmv_amt": 446.13,
        "video_products": [1729436418527695003u64],
        "duration": "fifteen",
    }));
    assert_eq!(video.video_id, "7601397977986501919");
    assert_eq!(
        video.created_at,
        Some(Timestamp::from_second(1769838405).unwrap())
    );
    assert_eq!(video.created_by_ai, Some(true));
    assert_eq!(
        (video.views, video.likes, video.gmv),
        (Some(1200), Some(3), Some(446.13))
    );
    assert_eq!(video.product_ids[0].as_str(), "1729436418527695003");
    assert_eq!(video.duration_secs, None);
    assert_eq!(video.issues.len(), 1);
    assert_eq!(
        (
            video.issues[0].field.as_str(),
            video.issues[0].value.as_str()
        ),
        ("duration", "\"fifteen\"")
    );
}

#[test]
fn media_urls_are_absolute_http_links() {
    for ok in [
        "https://a.example/x.jpg",
        "HTTP://a",
        " https://a.example/x ",
    ] {
        assert_eq!(
            MediaUrl::new(ok).map(String::from),
            Some(ok.trim().to_owned())
        );
    }
    for bad in [
        "https://",
        "http:///x",
        "ftp://a",
        "//a.example",
        "https://a b",
        "a.jpg",
    ] {
        assert!(MediaUrl::new(bad).is_none(), "{bad}");
    }
    let owned = MediaUrl::from_string(" https://a.example ".to_owned());
    assert_eq!(
        owned.as_ref().ok().map(MediaUrl::as_str),
        Some("https://a.example")
    );
}

#[test]
fn history_totals_are_typed_and_leave_extra() {
    let video = rescue(json!({
        "video_id": "1",
        "total_views_history_cnt": 10,
        "total_video_sale_gmv_history_amt": "12.5",
        "brand_new_field": [1, 2],
    }));
    assert_eq!(video.history.views, Some(10));
    assert_eq!(video.history.gmv, Some(12.5));
    assert_eq!(
        video.extra,
        json!({ "brand_new_field": [1, 2] })
            .as_object()
            .unwrap()
            .clone()
    );
}
