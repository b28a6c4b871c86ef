//! What goes on the wire for a query, and how every stringly or drifted field of the
//! response comes back typed.

use std::collections::BTreeMap;

use crate::common::{
    API_KEY, ENDPOINT, builder, envelope, item, mount_any, mount_page, page, query, video_id,
};
use jiff::Timestamp;
use keyapi_tiktok::{
    FieldIssue, HistoryTotals, MediaUrl, Page, Period, RankField, RankedVideo, Region, SalesMethod,
    VideoRankingQuery,
};
use serde_json::{Map, Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Serves `body` once and returns the page the client makes of it.
async fn fetch(body: ResponseTemplate, query: &VideoRankingQuery) -> Page {
    let server = MockServer::start().await;
    mount_any(&server, body, 1).await;
    let client = builder(&server.uri()).build().expect("client");
    client
        .video_ranking_page(query)
        .await
        .expect("the page decodes")
}

/// Serves a success envelope around `items`, as JSON.
async fn fetch_items(items: Vec<Value>) -> Vec<RankedVideo> {
    let body = ResponseTemplate::new(200).set_body_json(envelope(Value::Array(items)));
    fetch(body, &query()).await.items
}

fn with(mut item: Value, changes: Value) -> Value {
    let (Value::Object(fields), Value::Object(changes)) = (&mut item, changes) else {
        unreachable!("items and changes are objects")
    };
    fields.extend(changes);
    item
}

fn ids(video: &RankedVideo) -> Vec<&str> {
    video.product_ids.iter().map(|id| id.as_str()).collect()
}

#[tokio::test]
async fn every_query_parameter_is_sent_as_the_api_documents_it_and_options_only_when_set() {
    let server = MockServer::start().await;
    let empty = ResponseTemplate::new(200).set_body_json(envelope(json!([])));
    mount_any(&server, empty, 3).await;
    let client = builder(&server.uri()).build().expect("client");
    let date = jiff::civil::date(2026, 3, 2);
    let region = |code| Region::new(code).expect("a region");
    let cases = [
        (
            VideoRankingQuery::new(date, region("gb"), RankField::Views, Period::Daily),
            vec![
                ("date", "2026-03-02"),
                ("region", "GB"),
                ("video_rank_field", "1"),
                ("rank_type", "1"),
                ("page_num", "1"),
                ("page_size", "10"),
            ],
        ),
        (
            VideoRankingQuery::new(date, region("us"), RankField::Sales, Period::Weekly)
                .category("601450")
                .created_by_ai(false)
                .page(7)
                .page_size(5),
            vec![
                ("date", "2026-03-02"),
                ("region", "US"),
                ("video_rank_field", "2"),
                ("rank_type", "2"),
                ("page_num", "7"),
                ("page_size", "5"),
                ("product_category_id", "601450"),
                ("created_by_ai", "false"),
            ],
        ),
        (
            VideoRankingQuery::new(date, region("De"), RankField::Sales, Period::Monthly)
                .created_by_ai(true)
                .page(100_000)
                .page_size(1),
            vec![
                ("date", "2026-03-02"),
                ("region", "DE"),
                ("video_rank_field", "2"),
                ("rank_type", "3"),
                ("page_num", "100000"),
                ("page_size", "1"),
                ("created_by_ai", "true"),
            ],
        ),
    ];
    for (query, _) in &cases {
        client.video_ranking_page(query).await.expect("empty page");
    }
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), cases.len());
    for (request, (query, expected)) in requests.iter().zip(&cases) {
        let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let sent: BTreeMap<String, String> = pairs.iter().cloned().collect();
        let expected: BTreeMap<String, String> = expected
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        assert_eq!(sent, expected, "{query:?}");
        assert_eq!(pairs.len(), expected.len(), "no parameter twice: {pairs:?}");
    }
}

#[tokio::test]
async fn the_key_is_sent_as_a_bearer_header_only_and_the_user_agent_names_the_crate() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ENDPOINT))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .and(header("accept", "application/json"))
        .respond_with(page(1, 1))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server.uri()).build().expect("client");
    client.video_ranking_page(&query()).await.expect("page");
    let requests = server.received_requests().await.expect("recorded");
    let user_agent = requests[0].headers.get("user-agent").expect("a user agent");
    assert_eq!(
        user_agent.to_str().expect("ASCII"),
        concat!("keyapi-tiktok/", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        !requests[0].url.as_str().contains("SECRET"),
        "{}",
        requests[0].url
    );
}

#[tokio::test]
async fn the_spec_example_item_has_every_stringly_field_typed() {
    // The spec's 200 example, verbatim; served for page 3 so its rank is 21.
    let body = include_str!("../../src/spec_example_200.json");
    let body = ResponseTemplate::new(200).set_body_raw(body, "application/json");
    let mut page = fetch(body, &query().page(3)).await;
    assert_eq!(
        (page.page, page.page_size, page.request_id.as_deref()),
        (3, 10, Some("b9ff3078-0b12-45b5-8b00-b7017ed18713"))
    );
    assert_eq!(page.items.len(), 1);
    let video = page.items.remove(0);
    assert_eq!(ids(&video), ["1729436418527695003"]);
    assert_eq!(
        video.video_url(),
        "https://www.tiktok.com/@iamjuliocr/video/7601397977986501919"
    );
    let url = |s: &str| Some(MediaUrl::new(s).expect("a URL"));
    // Field by field: `RankedVideo` is `#[non_exhaustive]`, so no literal outside the crate.
    assert_eq!(video.rank, 21);
    assert_eq!(video.video_id, "7601397977986501919");
    assert_eq!(video.user_id, Some("6633792625097490438".into()));
    assert_eq!(video.unique_id, Some("iamjuliocr".into()));
    assert_eq!(video.nick_name, Some("ﾌひﾚﾉの".into()));
    assert_eq!(video.region, Some("US".into()));
    assert_eq!(video.category, Some("Other".into()));
    assert_eq!(
        video.description,
        Some("W huzz magnet 🧲 #fyp #ttshopfinds #seasaltspray #level3 #barbertok ".into())
    );
    assert_eq!(
        video.created_at,
        Some(Timestamp::from_second(1_769_838_405).expect("in range"))
    );
    assert_eq!(video.duration_secs, Some(15));
    assert_eq!(video.created_by_ai, Some(false));
    assert_eq!(video.sales_method, Some(SalesMethod::Video));
    assert_eq!(video.views, Some(0));
    assert_eq!(video.likes, Some(0));
    assert_eq!(video.comments, Some(0));
    assert_eq!(video.shares, Some(0));
    assert_eq!(video.favorites, Some(0));
    assert_eq!(video.units_sold, Some(5508));
    assert_eq!(video.gmv, Some(44613.0));
    assert_eq!(
        video
            .product_categories
            .iter()
            .map(|category| (category.id.as_str(), category.name.as_str()))
            .collect::<Vec<_>>(),
        [("601450", "Beauty & Personal Care")]
    );
    assert_eq!(
        video.cover_url,
        url(
            "https://echosell-images.tos-ap-southeast-1.volces.com/video-cover/422/7601397977986501919.jpg"
        )
    );
    assert_eq!(
        video.avatar_url,
        url(
            "https://echosell-images.tos-ap-southeast-1.volces.com/user-avatar/853/MS4wLjABAAAAJN3v63JkTkZW72ae9hb2Wlb70uzhU8H3AZEKxIVTg38lwBGTx0tSNH7IBcrocdKd.jpg"
        )
    );
    assert_eq!(video.history, HistoryTotals::default());
    assert_eq!(video.extra, Map::new());
    assert_eq!(video.issues, Vec::new());
}

#[tokio::test]
async fn ranks_are_derived_from_the_page_number_and_page_size() {
    let server = MockServer::start().await;
    mount_page(&server, 3, page(3, 10), 1).await;
    mount_page(&server, 4, page(1, 3), 1).await;
    let client = builder(&server.uri()).build().expect("client");

    let third = client
        .video_ranking_page(&query().page(3))
        .await
        .expect("page 3");
    let ranks: Vec<u64> = third.items.iter().map(|v| v.rank).collect();
    assert_eq!(ranks, (21..=30).collect::<Vec<_>>());
    let video_ids: Vec<&str> = third.items.iter().map(|v| v.video_id.as_str()).collect();
    assert_eq!(video_ids, (21..=30).map(video_id).collect::<Vec<_>>());

    let small = query().page(4).page_size(3);
    let fourth = client.video_ranking_page(&small).await.expect("page 4");
    let ranks: Vec<u64> = fourth.items.iter().map(|v| v.rank).collect();
    assert_eq!(ranks, [10, 11, 12]);
}

#[tokio::test]
async fn product_ids_keep_all_nineteen_digits_in_a_string_or_a_drifted_json_list() {
    let expected = [
        "1729436418527695003",
        "9223372036854775807",
        "1729436418527695011",
    ];
    let items = fetch_items(vec![
        with(
            item(1),
            json!({ "video_products": "[1729436418527695003, 9223372036854775807,1729436418527695011]" }),
        ),
        with(
            item(2),
            json!({ "video_products": [1_729_436_418_527_695_003_u64, 9_223_372_036_854_775_807_u64, 1_729_436_418_527_695_011_u64] }),
        ),
    ])
    .await;
    for video in &items {
        assert_eq!(ids(video), expected);
        assert_eq!(video.issues, []);
    }
}

#[tokio::test]
async fn sales_flag_codes_map_to_sales_methods_and_unknown_codes_are_kept() {
    let items = fetch_items(
        [0, 1, 2, 7]
            .into_iter()
            .zip(1..)
            .map(|(flag, rank)| with(item(rank), json!({ "sales_flag": flag })))
            .collect(),
    )
    .await;
    let methods: Vec<Option<SalesMethod>> = items.iter().map(|v| v.sales_method).collect();
    assert_eq!(
        methods,
        [
            Some(SalesMethod::NoSales),
            Some(SalesMethod::Video),
            Some(SalesMethod::Live),
            Some(SalesMethod::Unknown(7)),
        ]
    );
}

#[tokio::test]
async fn numbers_sent_as_strings_strings_sent_as_numbers_and_a_decimal_gmv_are_read() {
    let items = fetch_items(vec![
        with(
            item(1),
            json!({
                "total_views_cnt": "1200",
                "duration": " 15 ",
                "sales_flag": "2",
                "create_time": 1_769_838_405,
                "video_id": 7_601_397_977_986_501_919_u64,
                "user_id": 6_633_792_625_097_490_438_u64,
                "created_by_ai": false,
                "total_video_sale_gmv_amt": 446.13,
            }),
        ),
        item(2),
    ])
    .await;
    let video = &items[0];
    assert_eq!(video.views, Some(1200));
    assert_eq!(video.duration_secs, Some(15));
    assert_eq!(video.sales_method, Some(SalesMethod::Live));
    assert_eq!(
        video.created_at,
        Some(Timestamp::from_second(1_769_838_405).expect("in range"))
    );
    assert_eq!(video.video_id, "7601397977986501919");
    assert_eq!(video.user_id.as_deref(), Some("6633792625097490438"));
    assert_eq!(video.created_by_ai, Some(false));
    assert_eq!(video.gmv, Some(446.13));
    assert_eq!(video.issues, []);
    assert_eq!(
        (items[1].rank, items[1].gmv, &items[1].issues),
        (2, Some(39_998.0), &vec![])
    );
}

#[tokio::test]
async fn empty_strings_nulls_and_empty_lists_leave_fields_empty_without_issues() {
    let items = fetch_items(vec![
        with(
            item(1),
            json!({
                "video_products": "",
                "product_category_list": "[]",
                "avatar": "",
                "created_by_ai": "",
                "create_time": "",
                "total_views_cnt": null,
                "reflow_cover": null,
            }),
        ),
        with(
            item(2),
            json!({ "video_products": "[]", "product_category_list": "", "total_views_cnt": "" }),
        ),
        with(
            item(3),
            json!({
                "video_products": [],
                "product_category_list": null,
                "created_by_ai": null,
                "total_views_cnt": null,
            }),
        ),
    ])
    .await;
    assert_eq!(items.len(), 3);
    for video in &items {
        assert!(video.product_ids.is_empty(), "{video:?}");
        assert!(video.product_categories.is_empty(), "{video:?}");
        assert_eq!(video.views, None, "{video:?}");
        assert_eq!(video.issues, [], "{video:?}");
    }
    let first = &items[0];
    assert_eq!(
        (
            first.avatar_url.as_ref(),
            first.cover_url.as_ref(),
            first.created_by_ai,
            first.created_at
        ),
        (None, None, None, None)
    );
    assert_eq!(items[2].created_by_ai, None);
}

#[tokio::test]
async fn a_wrongly_typed_field_degrades_only_that_field_and_the_other_nine_items_survive() {
    let mut data: Vec<Value> = (1..=10).map(item).collect();
    data[3] = with(item(4), json!({ "total_views_cnt": { "oops": true } }));
    data[6] = with(item(7), json!({ "avatar": "not a url" }));
    let items = fetch_items(data).await;

    assert_eq!(items.len(), 10);
    assert_eq!(
        items.iter().map(|v| v.rank).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    let broken = &items[3];
    assert_eq!(
        broken.issues,
        [FieldIssue {
            field: "total_views_cnt".into(),
            value: r#"{"oops":true}"#.into(),
            problem: "expected an integer".into(),
        }]
    );
    assert_eq!(broken.views, None);
    assert_eq!(
        (
            broken.video_id.as_str(),
            broken.likes,
            broken.units_sold,
            broken.created_by_ai
        ),
        (video_id(4).as_str(), Some(40), Some(4_996), Some(true))
    );
    let bad_url = &items[6];
    assert_eq!(bad_url.avatar_url, None);
    assert_eq!(bad_url.issues.len(), 1);
    assert_eq!(
        (
            bad_url.issues[0].field.as_str(),
            bad_url.issues[0].value.as_str()
        ),
        ("avatar", "not a url")
    );
    assert!(
        bad_url.issues[0].problem.starts_with("not a URL"),
        "{:?}",
        bad_url.issues
    );
    assert!(bad_url.cover_url.is_some());
    for (rank, video) in (1..).zip(&items) {
        if rank != 4 && rank != 7 {
            assert_eq!(video.issues, [], "rank {rank}");
            assert_eq!(video.views, Some(1_000_000 - rank));
            assert_eq!(video.product_ids.len(), 1);
        }
    }
}

#[tokio::test]
async fn raw_control_characters_inside_strings_are_kept() {
    let data = json!([
        with(
            item(1),
            json!({ "video_desc": "tab\there\u{1}end", "nick_name": "two\nlines" })
        ),
        item(2),
    ]);
    let body = serde_json::to_string(&envelope(data))
        .expect("JSON")
        .replace("\\t", "\t")
        .replace("\\n", "\n")
        .replace("\\u0001", "\u{1}");
    assert!(
        body.contains('\u{1}') && body.contains('\n'),
        "the body carries raw controls"
    );
    let body = ResponseTemplate::new(200).set_body_raw(body, "application/json");
    let page = fetch(body, &query()).await;
    assert_eq!(page.items.len(), 2);
    assert_eq!(
        page.items[0].description.as_deref(),
        Some("tab\there\u{1}end")
    );
    assert_eq!(page.items[0].nick_name.as_deref(), Some("two\nlines"));
    assert_eq!(page.items[0].issues, []);
    assert_eq!(page.items[1].video_id, video_id(2));
}

#[tokio::test]
async fn unknown_fields_stay_in_extra_and_history_totals_are_typed_on_both_decode_paths() {
    let additions = json!({
        "brand_new_field": { "nested": [1, "two"] },
        "live_room_id": "7601397977986501919",
        "total_views_history_cnt": 123_456_789,
        "total_digg_history_cnt": 2_000,
        "total_comments_history_cnt": 30,
        "total_favorites_history_cnt": 40,
        "total_shares_history_cnt": 50,
        "total_video_sale_history_cnt": 6_000,
        "total_video_sale_gmv_history_amt": 99_999.5,
    });
    let spec_exact = with(item(1), additions.clone());
    // A string count sends the page down the field-by-field path.
    let drifted = with(spec_exact.clone(), json!({ "total_views_cnt": "999999" }));
    for data in [spec_exact, drifted] {
        let video = &fetch_items(vec![data]).await[0];
        let history = &video.history;
        assert_eq!(
            (
                history.views,
                history.likes,
                history.comments,
                history.favorites,
                history.shares,
                history.units_sold,
                history.gmv,
            ),
            (
                Some(123_456_789),
                Some(2_000),
                Some(30),
                Some(40),
                Some(50),
                Some(6_000),
                Some(99_999.5),
            )
        );
        let expected = json!({
            "brand_new_field": { "nested": [1, "two"] },
            "live_room_id": "7601397977986501919",
        });
        assert_eq!(Value::Object(video.extra.clone()), expected);
        assert_eq!((video.views, &video.issues), (Some(999_999), &vec![]));
    }
}
