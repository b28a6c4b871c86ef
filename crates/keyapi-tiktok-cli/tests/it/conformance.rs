//! `keyapi-tiktok conformance` run for real: against the fake KeyAPI serving the spec's
//! own example (exit 0) and drifted pages (exit 1, each kind named), from a saved file
//! without a key or network, and with the usual exit codes for failures.

use keyapi_tiktok_testkit::{FakeKeyApi, Reply, spec_example_item, video};
use serde_json::{Value, json};

use crate::common::{Run, command, finish};

/// `conformance` with `args` in a clean environment; `key` keeps `KEYAPI_API_KEY` set.
async fn conformance(args: &[&str], key: bool) -> Run {
    let mut command = command(&[&["conformance"][..], args].concat());
    if !key {
        command.env_remove("KEYAPI_API_KEY");
    }
    finish(command).await
}

/// The US daily views ranking of the Monday the fakes serve.
pub(crate) const QUERY: [&str; 8] = [
    "--date",
    "2026-11-23",
    "--region",
    "US",
    "--by",
    "views",
    "--period",
    "daily",
];

/// `conformance` for the [`QUERY`] ranking on `fake`, with `extra`.
async fn live(fake: &FakeKeyApi, extra: &[&str]) -> Run {
    let base_url = fake.base_url();
    let mut args = QUERY.to_vec();
    args.extend(["--base-url", &base_url]);
    args.extend_from_slice(extra);
    conformance(&args, true).await
}

/// Two items drifted in every way an item can drift, plus an envelope without `requestId`.
fn drifted_body() -> Value {
    let mut items = vec![video(1), video(2)];
    items[0]["total_views_history_cnt"] = json!(99);
    items[0]["sales_flag"] = json!(3);
    items[0]["total_digg_cnt"] = json!("12");
    items[1]["video_products"] = json!("[1729436418527695003, oops]");
    items[1]["create_time"] = json!("yesterday");
    if let Some(item) = items[1].as_object_mut() {
        item.remove("nick_name");
    }
    json!({ "code": 0, "message": "success", "data": items })
}

fn saved(body: &[u8]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), body).expect("the body is written");
    file
}

#[tokio::test]
async fn the_spec_example_conforms_for_one_credit() {
    let fake = FakeKeyApi::with_items(vec![spec_example_item()]).await;
    let run = live(&fake, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "conforms: 1 page, 1 item match the vendored spec\n"
    );
    assert_eq!(run.stderr, "");
    assert_eq!((fake.pages_requested(), fake.credits_spent()), (vec![1], 1));
}

#[tokio::test]
async fn drifted_pages_name_each_kind_of_drift_and_exit_1() {
    let fake = FakeKeyApi::with_items(vec![video(1), video(2), video(3)]).await;
    fake.script([Reply::Drifted {
        field: "sales_flag".into(),
        value: json!(7),
    }]);
    let run = live(&fake, &["--format", "json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "drift: 1 departure from the vendored spec\n");
    let report: Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    assert_eq!(
        report,
        json!({ "pages": 1, "items": 3, "conforms": false, "drift": [
            { "kind": "undocumented_value", "field": "sales_flag", "value": "7", "items": 3 }
        ]})
    );

    let file = saved(drifted_body().to_string().as_bytes());
    let path = file.path().to_str().expect("a UTF-8 path");
    let run = conformance(&["--from-file", path], false).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected = [
        "drift: 7 departures from the vendored spec in 1 page, 2 items",
        "  envelope: no `requestId` in 1 page",
        "  undocumented field `total_views_history_cnt` (integer) in 1 item",
        "  documented field `nick_name` missing in 1 item",
        "  `total_digg_cnt` documented as an integer, received a string in 1 item (0 unusable)",
        "  `sales_flag` has the undocumented value 3 in 1 item",
        "  `video_products` holds JSON that does not parse in 1 item: `oops` is not a product id (got [1729436418527695003, oops])",
        "  `create_time` could not be read in 1 item: expected unix seconds (got yesterday)",
    ];
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn a_saved_body_needs_no_key_and_no_network() {
    let body = include_bytes!("../../../keyapi-tiktok/src/spec_example_200.json");
    let file = saved(body);
    let path = file.path().to_str().expect("a UTF-8 path");
    // An unroutable base URL: any request would fail, so none is made.
    let run = conformance(
        &[
            "--from-file",
            path,
            "--base-url",
            "http://192.0.2.1:9",
            "--format",
            "json",
        ],
        false,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    assert_eq!(
        report,
        json!({ "pages": 1, "items": 1, "conforms": true, "drift": [] })
    );
}

#[tokio::test]
async fn upstream_text_is_cleaned_for_the_terminal() {
    let name = format!("evil\u{1b}]0;owned\u{7}\u{202e}{}", "x".repeat(500));
    let body = json!({ "code": 0, "message": "success", "requestId": "r", "data": [{ "video_id": "1", name: 1 }] });
    let file = saved(body.to_string().as_bytes());
    let run = conformance(
        &["--from-file", file.path().to_str().expect("a UTF-8 path")],
        false,
    )
    .await;
    assert_eq!(run.code, 1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("evil"))
        .expect("the field is named");
    assert!(
        !line.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{line:?}"
    );
    assert!(line.chars().count() < 260, "{line:?}");
}

#[tokio::test]
async fn failures_exit_as_for_videos() {
    for (reply, expected) in [
        (Reply::Unauthorized, 3),
        (Reply::CreditsExhausted, 4),
        (
            Reply::RateLimited {
                retry_after_secs: 0,
            },
            5,
        ),
        (Reply::HtmlBadGateway, 1),
    ] {
        let fake = FakeKeyApi::start().await;
        fake.script([reply.clone()]);
        let run = live(&fake, &["--max-retries", "0"]).await;
        assert_eq!(run.code, expected, "{reply:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert_eq!(fake.credits_spent(), 0);
    }
    let undocumented = br#"{"code":10001,"message":"new","data":null,"requestId":"r"}"#;
    let file = saved(undocumented);
    let run = conformance(
        &["--from-file", file.path().to_str().expect("a UTF-8 path")],
        false,
    )
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("envelope: `code` 10001 is not documented in 1 page"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn invalid_input_exits_2_without_a_request() {
    let fake = FakeKeyApi::start().await;
    let base_url = fake.base_url();
    let missing = tempfile::tempdir().expect("a directory");
    let nowhere = missing.path().join("absent.json");
    for args in [
        vec![],
        vec!["--from-file", nowhere.to_str().expect("a UTF-8 path")],
        [&["--from-file", "x.json"][..], &QUERY].concat(),
        [&QUERY[..], &["--page-size", "11"]].concat(),
        [&QUERY[..], &["--format", "csv"]].concat(),
        [&["--date", "2099-01-01"][..], &QUERY[2..]].concat(),
    ] {
        let mut args = args;
        args.extend(["--base-url", &base_url]);
        let result = conformance(&args, true).await;
        assert_eq!(result.code, 2, "{args:?}: {}", result.stderr);
    }
    let run = conformance(&[&QUERY[..], &["--base-url", &base_url]].concat(), false).await;
    assert_eq!(run.code, 2, "no key: {}", run.stderr);
    assert!(fake.received().is_empty());
}

#[tokio::test]
async fn a_limit_checks_that_many_pages_and_stops_after_a_short_one() {
    let fake = FakeKeyApi::with_videos(25).await;
    let run = live(&fake, &["--limit", "100"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "conforms: 3 pages, 25 items match the vendored spec\n"
    );
    assert_eq!(
        (fake.pages_requested(), fake.credits_spent()),
        (vec![1, 2, 3], 3)
    );
}

/// A server that ignores `page_num`: every page is the first ten videos.
async fn ignoring_page_num() -> wiremock::MockServer {
    let items: Vec<Value> = (1..=10).map(video).collect();
    let body = json!({ "code": 0, "message": "success", "data": items, "requestId": "r" });
    crate::common::serve(wiremock::ResponseTemplate::new(200).set_body_json(body)).await
}

#[tokio::test]
async fn upstream_ignoring_page_num_stops_after_two_requests_and_is_reported() {
    let server = ignoring_page_num().await;
    let base_url = server.uri();
    let args = [&QUERY[..], &["--base-url", &base_url, "--limit", "300"]].concat();
    let run = conformance(&args, true).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "drift: 1 departure from the vendored spec in 1 page, 10 items",
            "  paging: page 2 repeats the videos of page 1: upstream ignored `page_num` in 1 page",
        ]
    );
    assert_eq!(crate::common::requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_budget_stops_conformance_with_exit_4_after_printing_what_it_checked() {
    let fake = FakeKeyApi::with_videos(100).await;
    let run = live(&fake, &["--limit", "100", "--budget", "2"]).await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "conforms: 2 pages, 20 items match the vendored spec\n"
    );
    assert!(
        run.stderr.starts_with("error: budget_exhausted"),
        "{}",
        run.stderr
    );
    assert_eq!(
        (fake.pages_requested(), fake.credits_spent()),
        (vec![1, 2], 2)
    );
}

#[tokio::test]
async fn every_item_of_an_over_long_body_is_checked_and_the_page_named() {
    let mut items: Vec<Value> = (1..=11).map(video).collect();
    items[10]["total_digg_cnt"] = json!("12");
    items[10]["bad\u{1}key"] = json!(1);
    let body = json!({ "code": 0, "message": "success", "data": items, "requestId": "r" });
    let file = saved(body.to_string().as_bytes());
    let path = file.path().to_str().expect("a UTF-8 path");
    let run = conformance(&["--from-file", path], false).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "drift: 3 departures from the vendored spec in 1 page, 11 items",
            "  paging: `data` holds 11 items, more than the page size of 10 in 1 page",
            "  undocumented field `badkey` (integer) in 1 item",
            "  `total_digg_cnt` documented as an integer, received a string in 1 item (0 unusable)",
        ]
    );
}
