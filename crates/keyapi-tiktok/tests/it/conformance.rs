//! The conformance report: silent on the spec's own example, and naming each kind of
//! drift (undocumented and missing fields, wrong types, undocumented values, JSON strings
//! that do not parse, envelope deviations), whether the body came live or from a file.

use keyapi_tiktok::{
    Client, ConformanceReport, Drift, Error, Period, RankField, RetryPolicy, VideoRankingQuery,
};
use keyapi_tiktok_testkit::{FakeKeyApi, Reply, spec_example_item, video};
use serde_json::{Value, json};

fn query() -> VideoRankingQuery {
    VideoRankingQuery::new(
        jiff::civil::date(2026, 1, 31),
        "US".parse().expect("a region"),
        RankField::Sales,
        Period::Daily,
    )
}

fn client(fake: &FakeKeyApi) -> Client {
    Client::builder()
        .api_key("test-key")
        .base_url(fake.base_url())
        .retry(RetryPolicy::no_delay(3))
        .build()
        .expect("a client")
}

async fn live_report(fake: &FakeKeyApi) -> ConformanceReport {
    let mut report = ConformanceReport::default();
    client(fake)
        .conformance(&query(), &mut report)
        .await
        .expect("a report");
    report
}

fn file_report(body: &[u8]) -> Result<ConformanceReport, Error> {
    let mut report = ConformanceReport::default();
    report.add_body(body, &query())?;
    Ok(report)
}

/// Three items drifted in every way an item can drift.
fn drifted_items() -> Vec<Value> {
    let mut items = vec![video(1), video(2), video(3)];
    for item in &mut items {
        item["total_views_history_cnt"] = json!(123456);
        item["total_views_cnt"] = json!("1200");
    }
    items[0]["brand_new_field"] = json!({ "a": 1 });
    items[0]["sales_flag"] = json!(3);
    items[1]["duration"] = json!("fifteen");
    items[1]["total_video_sale_gmv_amt"] = json!(446.13);
    items[2]["product_category_list"] = json!("[{\"category_id\": 601450");
    items[2]["create_time"] = json!("soon");
    if let Some(item) = items[2].as_object_mut() {
        item.remove("region");
    }
    items
}

#[tokio::test]
async fn the_spec_example_conforms_live_and_from_a_file() {
    let fake = FakeKeyApi::with_items(vec![spec_example_item()]).await;
    let report = live_report(&fake).await;
    assert_eq!(report.drift(), []);
    assert!(report.conforms());
    assert_eq!((report.pages(), report.items()), (1, 1));
    assert_eq!(fake.credits_spent(), 1);

    let body = include_bytes!("../../src/spec_example_200.json");
    assert_eq!(file_report(body).expect("a report").drift(), []);
}

#[tokio::test]
async fn each_kind_of_item_drift_is_named_with_its_count() {
    let fake = FakeKeyApi::with_items(drifted_items()).await;
    let report = live_report(&fake).await;
    let drift = report.drift();
    let expected = [
        Drift::UndocumentedField {
            field: "brand_new_field".into(),
            json_type: "object",
            items: 1,
        },
        Drift::UndocumentedField {
            field: "total_views_history_cnt".into(),
            json_type: "integer",
            items: 3,
        },
        Drift::MissingField {
            field: "region",
            items: 1,
        },
        Drift::WrongType {
            field: "duration",
            documented: "integer",
            received: "string",
            items: 1,
            unusable: 1,
        },
        Drift::WrongType {
            field: "total_video_sale_gmv_amt",
            documented: "integer",
            received: "number",
            items: 1,
            unusable: 0,
        },
        Drift::WrongType {
            field: "total_views_cnt",
            documented: "integer",
            received: "string",
            items: 3,
            unusable: 0,
        },
        Drift::UndocumentedValue {
            field: "sales_flag",
            value: "3".into(),
            items: 1,
        },
    ];
    for kind in &expected {
        assert!(drift.contains(kind), "{kind:?} missing from {drift:#?}");
    }
    let unparsable = drift.iter().find_map(|d| match d {
        Drift::UnparsableJsonString {
            field,
            items,
            example,
        } => Some((field.as_str(), *items, example.as_str())),
        _ => None,
    });
    assert!(
        matches!(unparsable, Some(("product_category_list", 1, e)) if e.contains("601450")),
        "{drift:#?}"
    );
    let unreadable = drift.iter().find_map(|d| match d {
        Drift::UnreadableValue {
            field,
            items,
            example,
        } => Some((field.as_str(), *items, example.as_str())),
        _ => None,
    });
    assert_eq!(
        unreadable,
        Some(("create_time", 1, "expected unix seconds (got soon)"))
    );
    assert_eq!(drift.len(), expected.len() + 2, "nothing else: {drift:#?}");
    assert!(!report.conforms());
}

#[tokio::test]
async fn a_live_page_and_the_same_body_from_a_file_give_the_same_report() {
    let fake = FakeKeyApi::with_items(drifted_items()).await;
    let live = live_report(&fake).await;
    let body = json!({ "code": 0, "message": "success", "data": drifted_items(), "requestId": "fake-00000001" });
    let from_file = file_report(body.to_string().as_bytes()).expect("a report");
    assert_eq!(live.drift(), from_file.drift());
}

#[tokio::test]
async fn a_drifted_field_scripted_on_the_fake_is_reported() {
    let fake = FakeKeyApi::start().await;
    fake.script([Reply::Drifted {
        field: "total_digg_cnt".into(),
        value: json!(1.5),
    }]);
    let drift = live_report(&fake).await.drift();
    assert_eq!(
        drift,
        [Drift::WrongType {
            field: "total_digg_cnt",
            documented: "integer",
            received: "number",
            items: 10,
            unusable: 10
        }]
    );
}

#[test]
fn envelope_deviations_are_named() {
    let body = br#"{"code":0,"message":"success","data":[],"extraInfo":{"cost":1}}"#;
    let drift = file_report(body).expect("a report").drift();
    assert_eq!(
        drift,
        [
            Drift::Envelope {
                problem: "no `requestId`".into(),
                pages: 1
            },
            Drift::Envelope {
                problem: "undocumented property `extraInfo` (object)".into(),
                pages: 1
            },
        ]
    );

    let body = br#"{"code":10001,"message":"something new","data":null,"requestId":"r"}"#;
    let report = file_report(body).expect("an undocumented code is drift, not an error");
    assert_eq!(
        report.drift(),
        [Drift::Envelope {
            problem: "`code` 10001 is not documented".into(),
            pages: 1
        }]
    );

    let body = b"{\"code\":0,\"message\":\"success\",\"requestId\":7,\"data\":[{\"video_id\":\"1\",\"video_desc\":\"a\tb\"}]}";
    let problems: Vec<String> = file_report(body)
        .expect("a report")
        .drift()
        .into_iter()
        .filter_map(|d| match d {
            Drift::Envelope { problem, .. } => Some(problem),
            _ => None,
        })
        .collect();
    assert_eq!(
        problems,
        [
            "`requestId` is an integer, documented as a string",
            "the body is not strict JSON: raw control characters inside strings",
        ]
    );
}

#[test]
fn documented_failures_stay_errors() {
    let body = br#"{"code":401,"message":"apiKey is invalid","data":null,"requestId":"r"}"#;
    assert!(matches!(file_report(body), Err(Error::Authentication(_))));
    assert!(matches!(
        file_report(b"<html>502</html>"),
        Err(Error::Decode { .. })
    ));
}

#[tokio::test]
async fn rate_limits_are_retried_and_cost_nothing() {
    let fake = FakeKeyApi::with_items(vec![spec_example_item()]).await;
    fake.script([
        Reply::RateLimited {
            retry_after_secs: 1,
        },
        Reply::EnvelopeRateLimited,
    ]);
    let report = live_report(&fake).await;
    assert!(report.conforms());
    assert_eq!(fake.pages_requested(), [1, 1, 1]);
    assert_eq!(fake.credits_spent(), 1);
}

#[test]
fn long_undocumented_names_are_bounded() {
    let name = "x".repeat(10_000);
    let body = json!({ "code": 0, "message": "success", "requestId": "r", "data": [{ "video_id": "1", name: 1 }] });
    let drift = file_report(body.to_string().as_bytes())
        .expect("a report")
        .drift();
    let field = drift.iter().find_map(|d| match d {
        Drift::UndocumentedField { field, .. } => Some(field.clone()),
        _ => None,
    });
    assert!(field.is_some_and(|f| f.len() < 100), "{drift:?}");
}

#[test]
fn every_item_of_an_over_long_body_is_checked_and_the_page_reported() {
    let mut items: Vec<Value> = (1..=11).map(video).collect();
    items[10]["sales_flag"] = json!(9);
    let body = json!({ "code": 0, "message": "success", "data": items, "requestId": "r" });
    let report = file_report(body.to_string().as_bytes()).expect("a report");
    assert_eq!((report.pages(), report.items()), (1, 11));
    assert_eq!(
        report.drift(),
        [
            Drift::Paging {
                problem: "`data` holds 11 items, more than the page size of 10".into(),
                pages: 1,
            },
            Drift::UndocumentedValue {
                field: "sales_flag",
                value: "9".into(),
                items: 1,
            },
        ]
    );
}

#[tokio::test]
async fn a_ranking_report_stops_at_a_repeated_page_and_at_the_budget() {
    let server = wiremock::MockServer::start().await;
    let items: Vec<Value> = (1..=10).map(video).collect();
    let body = json!({ "code": 0, "message": "success", "data": items, "requestId": "r" });
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let builder = Client::builder()
        .api_key("test-key")
        .base_url(server.uri())
        .retry(RetryPolicy::no_delay(1));
    let client = builder.clone().build().expect("a client");
    let mut report = ConformanceReport::default();
    let ranking = client.video_ranking(query()).limit(300);
    ranking.conformance(&mut report).await.expect("a report");
    assert_eq!((report.pages(), report.items()), (1, 10));
    assert_eq!(
        report.drift(),
        [Drift::Paging {
            problem: "page 2 repeats the videos of page 1: upstream ignored `page_num`".into(),
            pages: 1,
        }]
    );
    assert_eq!(client.usage().requests_sent, 2);

    let budgeted = builder.credit_budget(1).build().expect("a client");
    let mut report = ConformanceReport::default();
    let ranking = budgeted.video_ranking(query()).limit(300);
    let error = ranking
        .conformance(&mut report)
        .await
        .expect_err("the budget");
    assert!(
        matches!(error, Error::BudgetExhausted { budget: 1, .. }),
        "{error:?}"
    );
    assert_eq!((report.pages(), budgeted.usage().requests_sent), (1, 1));
}
