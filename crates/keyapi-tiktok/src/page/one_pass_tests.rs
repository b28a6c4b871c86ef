//! Differential tests of the one-pass decoder against its oracle, the generated types'
//! derived decoder followed by the normaliser or the field-by-field rescue: every fixture
//! and a generated corpus of drifted bodies must give equal pages, issues included, or the
//! same error; and the one-pass decoder accepts only bodies the generated types accept.

use keyapi_tiktok_openapi::types;
use proptest::prelude::*;

use serde_json::value::RawValue;

use super::normalise::HISTORY_FIELDS;
use super::{Page, RankedVideo, decode_drifted, decode_with_generated_types, lenient, one_pass};
use crate::VideoRankingQuery;

#[path = "../../benches/common/mod.rs"]
mod bench_pages;
#[path = "../../tests/it/common/mod.rs"]
mod test_items;

/// Both ways, with the result shown in full (errors have no `PartialEq`).
fn both_ways(body: &[u8], query: &VideoRankingQuery) -> (String, String) {
    let one_pass = format!("{:?}", Page::from_body(body, query));
    (one_pass, oracle(body, query))
}

/// The generated types' decode, where it holds every number of the body exactly (it reads
/// unknown fields through `f64`); else the rescue's, which does.
fn oracle(body: &[u8], query: &VideoRankingQuery) -> String {
    let exact = serde_json::from_slice::<&RawValue>(super::without_bom(body))
        .map_or(true, |raw| !lenient::value(raw).1.number_as_text);
    if exact {
        format!("{:?}", decode_with_generated_types(body, None, query))
    } else {
        format!(
            "{:?}",
            decode_drifted(super::without_bom(body), None, query)
        )
    }
}

/// Where the one-pass decoder accepts a body, the derived decoder accepts it too and the
/// oracle gives the same result: the one-pass decoder takes no body from the rescue.
fn agrees_with_derived_decoder(body: &[u8]) -> Result<(), String> {
    let query = bench_pages::query();
    let Some(one_pass) = one_pass::decode(body, None, &query) else {
        return Ok(());
    };
    let one_pass = format!("{one_pass:?}");
    let oracle = oracle(body, &query);
    // Items past the page size are skipped unread, whatever they hold.
    let longer_than_a_page = super::RawEnvelope::read(super::without_bom(body), 10)
        .is_ok_and(|envelope| envelope.received > 10);
    match serde_json::from_slice::<types::VideoRankingResponse>(body) {
        Ok(_) if one_pass == oracle => Ok(()),
        Err(_) if longer_than_a_page && one_pass == oracle => Ok(()),
        derived => Err(format!(
            "one pass: {one_pass}\noracle: {oracle}\nderived: {derived:?}\nbody: {}",
            String::from_utf8_lossy(body)
        )),
    }
}

fn fixtures() -> Vec<(String, Vec<u8>, VideoRankingQuery)> {
    let spec = include_bytes!("../spec_example_200.json").to_vec();
    let test_page = serde_json::to_vec(&test_items::envelope(serde_json::Value::Array(
        (1..=10).map(test_items::item).collect(),
    )))
    .unwrap();
    vec![
        ("spec example".into(), spec, bench_pages::query()),
        ("tests' items".into(), test_page, test_items::query()),
        (
            "bench spec page".into(),
            bench_pages::spec_example_page(),
            bench_pages::query(),
        ),
        (
            "bench realistic page".into(),
            bench_pages::realistic_page(),
            bench_pages::query(),
        ),
    ]
}

#[test]
fn every_fixture_takes_the_one_pass_path_and_decodes_as_the_oracle_does() {
    for (name, body, query) in fixtures() {
        assert!(
            one_pass::decode(&body, None, &query).is_some(),
            "{name}: one pass gave up"
        );
        agrees_with_derived_decoder(&body).unwrap();
        let (one_pass, oracle) = both_ways(&body, &query);
        assert_eq!(one_pass, oracle, "{name}");
        assert!(one_pass.starts_with("Ok("), "{name}: {one_pass}");
    }
}

#[test]
fn the_one_pass_decoder_reads_every_field_of_the_table() {
    let wire: Vec<&str> = RankedVideo::FIELDS.iter().map(|m| m.wire).collect();
    assert_eq!(one_pass::KEYS[..], wire[..]);
    let undocumented: Vec<&str> = RankedVideo::FIELDS
        .iter()
        .filter(|m| m.documented_type.is_none())
        .map(|m| m.wire)
        .collect();
    assert_eq!(HISTORY_FIELDS[..], undocumented);
}

#[test]
fn unusual_bodies_fall_back_and_still_match() {
    for body in [
        // Repeated keys: the derived decoder keeps the last one in an item (`flatten`
        // buffers the item) and rejects one in the envelope; the one-pass decoder gives up.
        &br#"{"code":0,"message":"","data":[{"video_id":"1","video_id":"2"}],"requestId":"r"}"#[..],
        br#"{"code":0,"code":0,"message":"","data":[],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"a":1,"a":2}],"requestId":"r"}"#,
        // Missing envelope fields, wrong types, trailing bytes, a raw control character.
        br#"{"code":0,"message":"","requestId":"r"}"#,
        br#"{"code":0,"message":"","data":{},"requestId":"r"}"#,
        br#"{"code":"0","message":"","data":[],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[],"requestId":"r"} x"#,
        b"{\"code\":0,\"message\":\"\",\"data\":[{\"video_desc\":\"a\x01b\"}],\"requestId\":\"r\"}",
        br#"{"code":0,"message":"","data":[{"total_views_cnt":1.5}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[7],"requestId":"r"}"#,
        br#"{"code":402,"message":"apiKey quota is not enough","data":null,"requestId":"r"}"#,
        // Values the normaliser records an issue for, all-time totals of every kind.
        br#"{"code":0,"message":"","data":[{"create_time":"soon"}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","avatar":"x"}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","duration":-1}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","total_views_history_cnt":"5"}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","total_digg_history_cnt":-5}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","total_shares_history_cnt":null,"total_video_sale_gmv_history_amt":1e3}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","total_views_history_cnt":1,"total_views_history_cnt":2}],"requestId":"r"}"#,
    ] {
        agrees_with_derived_decoder(body).unwrap();
        let (one_pass, oracle) = both_ways(body, &bench_pages::query());
        assert_eq!(one_pass, oracle, "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn bodies_any_standard_json_parser_accepts_are_pages_both_ways() {
    for body in [
        // A lone surrogate, numbers no type holds, a numerically zero `code`, a
        // byte-order mark; a failure's `code` that no type holds.
        &br#"{"code":0,"message":"\ud83d","data":[{"video_id":"1","video_desc":"cut \ud83d"}],"requestId":"\udc00"}"#[..],
        br#"{"code":0,"message":"","data":[{"video_id":"1","k\ud83d":1}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","total_views_cnt":1e400,"score":1e400}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","total_views_history_cnt":18446744073709551616}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","total_video_sale_gmv_history_amt":1e400}],"requestId":"r"}"#,
        br#"{"code":0,"message":"","data":[{"video_id":"1","n":[123456789012345678901234567890]}],"requestId":"r"}"#,
        br#"{"code":0.0,"message":"","data":[{"video_id":"1"}],"requestId":"r"}"#,
        br#"{"code":-0,"message":"","data":[{"video_id":"1"}],"requestId":"r"}"#,
        br#"{"code":1e400,"message":"x","data":[],"requestId":"r"}"#,
        br#"{"code":402.0,"message":"x","data":[],"requestId":"r"}"#,
        b"\xef\xbb\xbf{\"code\":0,\"message\":\"\",\"data\":[{\"video_id\":\"1\"}],\"requestId\":\"r\"}",
    ] {
        agrees_with_derived_decoder(body).unwrap();
        let (one_pass, oracle) = both_ways(body, &bench_pages::query());
        assert_eq!(one_pass, oracle, "{}", String::from_utf8_lossy(body));
        let failure = body.starts_with(br#"{"code":1e400"#) || body.starts_with(br#"{"code":402"#);
        assert!(one_pass.starts_with("Ok(") != failure, "{one_pass}");
    }
}

#[test]
fn deep_nesting_and_long_pages_decode_the_same_both_ways() {
    let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let item = |i: usize| format!(r#"{{"video_id":"{i}","deep":{}}}"#, deep(100 + i * 10));
    let items: Vec<String> = (0..15).map(item).collect();
    let body = format!(
        r#"{{"code":0,"message":"","data":[{}],"requestId":"r"}}"#,
        items.join(",")
    );
    let (one_pass, oracle) = both_ways(body.as_bytes(), &bench_pages::query());
    assert_eq!(one_pass, oracle);
    let page = Page::from_body(body.as_bytes(), &bench_pages::query()).unwrap();
    assert_eq!(page.items.len(), 10);
    let deep_ones = page.items.iter().filter(|video| !video.issues.is_empty());
    assert_eq!(deep_ones.count(), 7, "{page:?}");
}

#[test]
fn every_value_of_every_field_decodes_the_same_both_ways() {
    let values = [STRINGS, INTEGERS, OTHER_JSON, HARD_NUMBERS, INVALID].concat();
    for mapping in RankedVideo::FIELDS {
        for value in &values {
            let item = match mapping.wire {
                "video_id" => format!(r#"{{"video_id":{value}}}"#),
                field => format!(r#"{{"video_id":"1","{field}":{value}}}"#),
            };
            let body = format!(r#"{{"code":0,"message":"","data":[{item}],"requestId":"r"}}"#);
            agrees_with_derived_decoder(body.as_bytes()).unwrap();
            let (one_pass, oracle) = both_ways(body.as_bytes(), &bench_pages::query());
            assert_eq!(one_pass, oracle, "{body}");
        }
    }
}

/// JSON values as text, grouped by what the derived decoder accepts for them.
const STRINGS: &[&str] = &[
    r#""7601397977986501919""#,
    r#""1769838405""#,
    r#""1769838405123""#,
    r#""99999999999999999999999""#,
    r#""-5""#,
    r#""12.5""#,
    r#""""#,
    r#""  ""#,
    r#""true""#,
    r#""FALSE""#,
    r#""1""#,
    r#""maybe""#,
    r#""https://example.com/a.jpg""#,
    r#"" https://example.com/a.jpg ""#,
    r#""http://""#,
    r#""ftp://example.com/a""#,
    r#""https://example.com/a b""#,
    r#""[1729436418527695003, 98765432109876543210]""#,
    r#""[\"1729436418527695003\"]""#,
    r#""[12, abc]""#,
    r#""[{\"category_name\":\"Beauty\",\"category_id\":\"601450\"}]""#,
    r#""[{\"category_id\":601450}]""#,
    r#""[{\"category_name\":\"x\"}]""#,
    r#""[{\"category_id\":null}]""#,
    r#""{bad""#,
    r#""null""#,
    r#""a\"b\\c\u00e9\ud83d\ude00 \u0007 \n""#,
    "null",
];
const INTEGERS: &[&str] = &[
    "0",
    "42",
    "-7",
    "1769838405",
    "9223372036854775807",
    "-9223372036854775808",
    "null",
];
/// Valid JSON no documented field accepts.
const OTHER_JSON: &[&str] = &[
    "-0",
    "12.5",
    "1e3",
    "9223372036854775808",
    "612947.35",
    "true",
    "false",
    "[]",
    r#"[1,"a",null]"#,
    r#"{"a":1,"b":[2]}"#,
    "{}",
];
/// Numbers no `i64`, `u64` or `f64` holds exactly, which a standard JSON parser accepts.
const HARD_NUMBERS: &[&str] = &[
    "18446744073709551616",
    "1e400",
    "-1e400",
    "1e-400",
    "123456789012345678901234567890",
    "1.00000000000000000001",
];
/// Not strict JSON: a raw control character, a lone surrogate.
const INVALID: &[&str] = &["\"raw\x01control\"", "\"tab\there\"", r#""\ud800""#];

/// The values of each field no rule of the normaliser records an issue for.
fn clean_values(field: &str) -> Vec<&'static str> {
    const BLANK: &[&str] = &[r#""""#, r#""  ""#, "null"];
    let (values, blank_too): (&[&str], bool) = match field {
        // STRINGS without its last value, null: an item without a video id is an issue.
        "video_id" => (&STRINGS[..STRINGS.len() - 1], false),
        "avatar" | "reflow_cover" => (
            &[
                r#""https://example.com/a.jpg""#,
                r#"" https://example.com/a.jpg ""#,
            ],
            true,
        ),
        "create_time" => (&[r#""1769838405""#, r#""1769838405123""#, r#""-5""#], true),
        "created_by_ai" => (&[r#""true""#, r#""FALSE""#, r#""1""#], true),
        "video_products" => (
            &[
                r#""[1729436418527695003, 98765432109876543210]""#,
                r#""[\"1729436418527695003\"]""#,
                r#""null""#,
            ],
            true,
        ),
        "product_category_list" => (
            &[
                r#""[{\"category_name\":\"Beauty\",\"category_id\":\"601450\"}]""#,
                r#""[{\"category_id\":601450}]""#,
                r#""[{\"category_id\":null}]""#,
                r#""null""#,
            ],
            true,
        ),
        "sales_flag" | "total_video_sale_gmv_amt" => (INTEGERS, false),
        total if HISTORY_FIELDS.contains(&total) => (
            &[
                "0",
                "42",
                "12.5",
                "612947.35",
                "1e3",
                "-0",
                "9223372036854775808",
                "18446744073709551615",
                "null",
            ],
            false,
        ),
        count if count == "duration" || count.starts_with("total_") => {
            (&["0", "42", "9223372036854775807", "null"], false)
        }
        "unknown" => (OTHER_JSON, false),
        _ => (STRINGS, false),
    };
    [values, if blank_too { BLANK } else { &[] }].concat()
}

/// What a generated body may hold.
#[derive(Clone, Copy, Debug)]
enum Corpus {
    /// Only values the one-pass decoder must accept: it may not give up on any of them.
    Clean,
    /// Each documented field of its documented type, whatever the value.
    Typed,
    /// Clean but for about one value a body, of any kind: where a single value decides
    /// whether the one-pass decoder gives up.
    NearlyClean,
    /// Anything, including other types, repeated keys, invalid JSON.
    Drifted,
}

/// A value for `field`, as the corpus allows.
fn value_text(field: &'static str, corpus: Corpus) -> BoxedStrategy<String> {
    let documented = RankedVideo::FIELDS
        .iter()
        .find(|m| m.wire == field)
        .and_then(|m| m.documented_type);
    let any = [STRINGS, INTEGERS, OTHER_JSON, HARD_NUMBERS, INVALID].concat();
    let typed: Vec<&str> = match (corpus, documented) {
        (Corpus::NearlyClean, _) => {
            return prop_oneof![
                99 => prop::sample::select(clean_values(field)),
                1 => prop::sample::select(any),
            ]
            .prop_map(str::to_owned)
            .boxed();
        }
        (Corpus::Clean, _) => clean_values(field),
        (_, Some("integer")) => INTEGERS.to_vec(),
        (_, Some(_)) => STRINGS.to_vec(),
        (_, None) => [STRINGS, INTEGERS, OTHER_JSON, HARD_NUMBERS].concat(),
    };
    let Corpus::Drifted = corpus else {
        return prop::sample::select(typed).prop_map(str::to_owned).boxed();
    };
    prop_oneof![
        9 => prop::sample::select(typed),
        1 => prop::sample::select(any),
    ]
    .prop_map(str::to_owned)
    .boxed()
}

/// An item as text: a subset of the known keys and some unknown ones, each with a value;
/// drifted, values of any type, repeated keys, or not an object at all; clean, always
/// with a `video_id`.
fn item_text(corpus: Corpus) -> BoxedStrategy<String> {
    let mut names: Vec<&'static str> = RankedVideo::FIELDS.iter().map(|m| m.wire).collect();
    names.extend(["unknown", "extra", "video\\u005fnote"]);
    let distinct = prop::sample::subsequence(names.clone(), 0..=names.len()).prop_shuffle();
    let fields: BoxedStrategy<Vec<&'static str>> = match corpus {
        Corpus::Drifted => prop_oneof![
            3 => distinct,
            1 => prop::collection::vec(prop::sample::select(names), 0..30),
        ]
        .boxed(),
        Corpus::Typed => distinct.boxed(),
        Corpus::Clean | Corpus::NearlyClean => distinct
            .prop_map(|mut names| {
                if !names.contains(&"video_id") {
                    names.push("video_id");
                }
                names
            })
            .boxed(),
    };
    let object = fields
        .prop_flat_map(move |names| {
            names
                .into_iter()
                .map(|name| value_text(name, corpus).prop_map(move |v| format!("\"{name}\":{v}")))
                .collect::<Vec<_>>()
        })
        .prop_map(|fields| format!("{{{}}}", fields.join(",")));
    match corpus {
        Corpus::Drifted => prop_oneof![
            19 => object,
            1 => prop::sample::select(OTHER_JSON).prop_map(str::to_owned),
        ]
        .boxed(),
        _ => object.boxed(),
    }
}

/// A body: the envelope's fields around a list of items; drifted, fields missing,
/// repeated or of another type, something else in `data`, or bytes after the end.
fn body_text(corpus: Corpus) -> impl Strategy<Value = String> {
    let select = |choices: &'static [&'static str]| prop::sample::select(choices);
    let drift = matches!(corpus, Corpus::Drifted);
    let (code, message, request_id, tail) = if drift {
        (
            select(&[
                "0", "0", "0", "0", "402", "\"0\"", "null", "1.0", "-1", "0.0", "-0", "0e5",
            ]),
            select(&["\"success\"", "\"success\"", "\"success\"", "5", "null"]),
            select(&["\"req\"", "\"req\"", "\"req\"", "7", "null"]),
            select(&["", "", "", " ", " x", "\n"]),
        )
    } else {
        (
            select(&["0", "0", "0", "402"]),
            select(&["\"success\"", "\"\""]),
            select(&["\"req\""]),
            select(&["", " \n"]),
        )
    };
    // Drifted items among clean ones, so that one drift at a time is tried too.
    let item = match corpus {
        Corpus::Clean | Corpus::NearlyClean => item_text(corpus),
        _ => prop_oneof![3 => item_text(Corpus::Typed), 1 => item_text(corpus)].boxed(),
    };
    let items =
        prop::collection::vec(item, 0..12).prop_map(|items| format!("[{}]", items.join(",")));
    let data = if drift {
        prop_oneof![8 => items, 1 => select(&["null", "{}", "\"x\""]).prop_map(str::to_owned)]
            .boxed()
    } else {
        prop_oneof![9 => items, 1 => Just("null".to_owned())].boxed()
    };
    let shuffled = Just((0..5).collect::<Vec<_>>()).prop_shuffle();
    let order = if drift {
        prop_oneof![2 => shuffled, 1 => prop::collection::vec(0usize..5, 0..7)].boxed()
    } else {
        shuffled.boxed()
    };
    (code, message, request_id, data, order, tail).prop_map(
        |(code, message, request_id, data, order, tail)| {
            let fields = [
                format!("\"code\":{code}"),
                format!("\"message\":{message}"),
                format!("\"requestId\":{request_id}"),
                format!("\"data\":{data}"),
                "\"more\":[1,{}]".to_owned(),
            ];
            let fields: Vec<&str> = order.iter().map(|&i| fields[i].as_str()).collect();
            format!("{{{}}}{tail}", fields.join(","))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn every_body_decodes_the_same_both_ways(
        body in prop_oneof![
            body_text(Corpus::Clean),
            body_text(Corpus::NearlyClean),
            body_text(Corpus::Typed),
            body_text(Corpus::Drifted),
        ]
    ) {
        let query = bench_pages::query();
        agrees_with_derived_decoder(body.as_bytes()).map_err(TestCaseError::fail)?;
        let (one_pass, oracle) = both_ways(body.as_bytes(), &query);
        prop_assert_eq!(one_pass, oracle, "{}", body);
    }

    /// The clean corpus is the one-pass decoder's to decode: a quarter of the comparisons
    /// above are of its own results, not of a fallback's (and some of the nearly clean).
    #[test]
    fn the_one_pass_decoder_takes_every_clean_body(body in body_text(Corpus::Clean)) {
        prop_assert!(
            one_pass::decode(body.as_bytes(), None, &bench_pages::query()).is_some(),
            "gave up on {}",
            body
        );
    }
}

/// Items past the page size are skipped as they are read, never built: whatever they
/// hold (a value the one-pass decoder would give up on, a malformed item) costs nothing.
#[test]
fn items_past_the_page_size_are_skipped_unbuilt() {
    let query = bench_pages::query();
    let mut items: Vec<String> = (1..=10)
        .map(|i| format!(r#"{{"video_id":"{i}"}}"#))
        .collect();
    items.extend([
        r#"{"video_id":"11","duration":-1}"#.to_owned(),
        "7".to_owned(),
    ]);
    let body = format!(
        r#"{{"code":0,"message":"","data":[{}],"requestId":"r"}}"#,
        items.join(",")
    );
    let page = one_pass::decode(body.as_bytes(), None, &query)
        .expect("the one-pass decoder does not look past the page")
        .unwrap();
    assert_eq!(page.items.len(), 10);
    let envelope = super::RawEnvelope::read(body.as_bytes(), 10).unwrap();
    assert_eq!(
        (envelope.items.map(|items| items.len()), envelope.received),
        (Some(10), 12)
    );
}
