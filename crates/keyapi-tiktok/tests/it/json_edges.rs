//! Bodies a standard JSON parser (Python's `json`) accepts that a strict one may not: each
//! value that cannot be held becomes an empty field with a `FieldIssue`, never a lost page;
//! numbers are kept exactly as received; an over-long page is not built.

use keyapi_tiktok::{ConformanceReport, Page, RankedVideo};

use crate::common::query;

/// A success body around `items` (raw JSON text, comma-separated).
fn body(items: &str) -> Vec<u8> {
    format!(r#"{{"code":0,"message":"success","data":[{items}],"requestId":"r"}}"#).into_bytes()
}

/// The only item of a body holding `fields` beside a video id.
fn only_item(fields: &str) -> RankedVideo {
    let bytes = body(&format!(r#"{{"video_id":"7",{fields}}}"#));
    let page = Page::from_body(&bytes, &query())
        .unwrap_or_else(|error| panic!("{error} for {}", String::from_utf8_lossy(&bytes)));
    assert_eq!(page.items.len(), 1);
    page.items.into_iter().next().expect("one item")
}

fn issue_on<'a>(video: &'a RankedVideo, field: &str) -> &'a keyapi_tiktok::FieldIssue {
    video
        .issues
        .iter()
        .find(|issue| issue.field == field)
        .unwrap_or_else(|| panic!("no issue on {field}: {:?}", video.issues))
}

/// The report for one body: each of these bodies is drift.
fn drift_of(bytes: &[u8]) -> Vec<String> {
    let mut report = ConformanceReport::default();
    report.add_body(bytes, &query()).expect("a page");
    report.drift().iter().map(ToString::to_string).collect()
}

#[test]
fn a_lone_surrogate_becomes_a_replacement_character_with_an_issue() {
    let video = only_item(r#""video_desc":"cut emoji \ud83d","nick_name":"\udc00x""#);
    assert_eq!(video.description.as_deref(), Some("cut emoji \u{fffd}"));
    assert_eq!(video.nick_name.as_deref(), Some("\u{fffd}x"));
    assert!(issue_on(&video, "video_desc").problem.contains("U+FFFD"));
    assert!(issue_on(&video, "nick_name").problem.contains("surrogate"));
    // A proper pair is still one emoji, without an issue.
    let paired = only_item(r#""video_desc":"\ud83d\ude00""#);
    assert_eq!(paired.description.as_deref(), Some("\u{1f600}"));
    assert!(paired.issues.is_empty(), "{:?}", paired.issues);
}

#[test]
fn a_count_too_large_for_any_number_type_is_an_empty_field_with_an_issue() {
    let digits = "9".repeat(400);
    for value in ["1e400", digits.as_str(), "-1e400"] {
        let video = only_item(&format!(r#""total_views_cnt":{value},"total_digg_cnt":5"#));
        assert_eq!(video.views, None, "{value}");
        assert_eq!(video.likes, Some(5));
        issue_on(&video, "total_views_cnt");
    }
}

#[test]
fn a_number_no_type_holds_in_an_unknown_field_keeps_its_digits_as_text_with_an_issue() {
    let digits = "9".repeat(400);
    for value in ["1e400", digits.as_str(), "123456789012345678901234567890"] {
        let video = only_item(&format!(r#""score":{value},"total_digg_cnt":5"#));
        assert_eq!(video.likes, Some(5));
        assert_eq!(video.extra["score"], serde_json::Value::from(value));
        issue_on(&video, "score");
    }
}

#[test]
fn numbers_in_extra_keep_every_digit_at_any_depth() {
    let video = only_item(
        r#""a":{"b":[18446744073709551616,1.00000000000000000001,-9223372036854775809,5,0.5]}"#,
    );
    let kept = serde_json::to_string(&video.extra["a"]).expect("serialises");
    for digits in [
        "18446744073709551616",
        "1.00000000000000000001",
        "-9223372036854775809",
    ] {
        assert!(kept.contains(digits), "{digits} lost: {kept}");
    }
    assert_eq!(video.extra["a"]["b"][3], 5);
    assert_eq!(video.extra["a"]["b"][4], 0.5);
    issue_on(&video, "a");
}

#[test]
fn an_unknown_field_nested_deeper_than_128_levels_is_an_issue_not_a_lost_page() {
    for depth in [129, 5_000, 100_000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let video = only_item(&format!(r#""deep":{deep},"total_digg_cnt":5"#));
        assert_eq!(video.likes, Some(5));
        assert!(!video.extra.contains_key("deep"));
        assert!(issue_on(&video, "deep").problem.contains("128"));
    }
    let shallow = format!("{}{}", "[".repeat(120), "]".repeat(120));
    let video = only_item(&format!(r#""ok":{shallow}"#));
    assert!(video.extra.contains_key("ok") && video.issues.is_empty());
}

#[test]
fn a_leading_byte_order_mark_is_skipped() {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(body(r#"{"video_id":"7"}"#));
    let page = Page::from_body(&bytes, &query()).expect("a page");
    assert_eq!(page.items[0].video_id, "7");
    assert!(
        drift_of(&bytes)
            .iter()
            .any(|d| d.contains("byte-order mark"))
    );
}

#[test]
fn an_envelope_code_numerically_zero_is_success() {
    for code in ["0.0", "-0", "0e5", "0.0e-3"] {
        let bytes = format!(
            r#"{{"code":{code},"message":"success","data":[{{"video_id":"7"}}],"requestId":"r"}}"#
        );
        let page = Page::from_body(bytes.as_bytes(), &query())
            .unwrap_or_else(|error| panic!("code {code}: {error}"));
        assert_eq!(page.items.len(), 1, "code {code}");
        assert!(!drift_of(bytes.as_bytes()).is_empty(), "code {code}");
    }
    let failure = br#"{"code":402.0,"message":"apiKey quota is not enough","data":null}"#;
    assert!(Page::from_body(failure, &query()).is_err());
}

#[test]
fn integers_are_exact_on_the_rescue_path_too() {
    // The second item's count sent as a string sends the page to the rescue.
    let bytes = body(
        r#"{"video_id":"1","total_views_cnt":9007199254740993},{"video_id":"2","total_views_cnt":"12"}"#,
    );
    let page = Page::from_body(&bytes, &query()).expect("a page");
    assert_eq!(page.items[0].views, Some(9_007_199_254_740_993));
    assert!(
        page.items[0].issues.is_empty(),
        "{:?}",
        page.items[0].issues
    );
    assert_eq!(page.items[1].views, Some(12));
}

#[test]
fn totals_beyond_u64_are_an_issue_not_a_saturation() {
    let video = only_item(
        r#""total_views_history_cnt":18446744073709551616,"total_digg_history_cnt":18446744073709551615,"total_shares_history_cnt":9007199254740993"#,
    );
    assert_eq!(video.history.views, None);
    issue_on(&video, "total_views_history_cnt");
    assert_eq!(video.history.likes, Some(u64::MAX));
    assert_eq!(video.history.shares, Some(9_007_199_254_740_993));
    let video = only_item(r#""total_views_history_cnt":1e400"#);
    assert_eq!(video.history.views, None);
    issue_on(&video, "total_views_history_cnt");
}

#[test]
fn each_such_body_is_drift() {
    for fields in [
        r#""video_desc":"cut \ud83d""#,
        r#""total_views_cnt":1e400"#,
        r#""score":1e400"#,
    ] {
        let bytes = body(&format!(r#"{{"video_id":"7",{fields}}}"#));
        assert!(!drift_of(&bytes).is_empty(), "{fields}");
    }
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let bytes = body(&format!(r#"{{"video_id":"7","deep":{deep}}}"#));
    assert!(drift_of(&bytes).iter().any(|d| d.contains("128")));
}

#[test]
fn unknown_fields_past_256_kib_an_item_are_dropped_with_an_issue() {
    let many: Vec<String> = (0..4_000).map(|i| format!(r#""k{i}":{i}"#)).collect();
    // Both paths: the rescue taken for the video id sent as a number.
    for id in [r#""7""#, "7"] {
        let bytes = body(&format!(
            r#"{{"video_id":{id},{},"total_digg_cnt":5}}"#,
            many.join(",")
        ));
        let page = Page::from_body(&bytes, &query()).expect("a page");
        let video = &page.items[0];
        assert_eq!((video.video_id.as_str(), video.likes), ("7", Some(5)));
        assert!(video.extra.contains_key("k0") && !video.extra.contains_key("k3999"));
        assert!(
            video
                .issues
                .iter()
                .any(|issue| issue.problem.contains("dropped"))
        );
    }
}
