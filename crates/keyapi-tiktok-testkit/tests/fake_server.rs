//! The fake server, driven by the real client: each scripted reply is seen as the client
//! would see it from KeyAPI, pages are cut correctly, and credits are counted.

use std::time::Duration;

use futures::TryStreamExt;
use keyapi_tiktok::{Client, Error, Period, RankField, RetryPolicy, VideoRankingQuery};
use keyapi_tiktok_testkit::{FakeKeyApi, Received, Reply, video, videos};
use serde_json::json;

fn client(fake: &FakeKeyApi) -> Client {
    Client::builder()
        .api_key("test-key")
        .base_url(fake.base_url())
        .retry(RetryPolicy::never())
        .timeout(Duration::from_millis(500))
        .build()
        .expect("a client for a loopback server")
}

fn query() -> VideoRankingQuery {
    VideoRankingQuery::new(
        jiff::civil::date(2026, 11, 23),
        "US".parse().expect("a region"),
        RankField::Sales,
        Period::Daily,
    )
}

#[tokio::test]
async fn pages_are_cut_by_page_num_and_page_size() {
    let fake = FakeKeyApi::with_videos(23).await;
    let client = client(&fake);
    let ranked: Vec<_> = client
        .video_ranking(query().page_size(5))
        .limit(100)
        .items()
        .try_collect()
        .await
        .expect("the whole ranking");
    assert_eq!(ranked.len(), 23);
    assert!(
        ranked
            .iter()
            .all(|v| v.issues.is_empty() && v.extra.is_empty())
    );
    assert_eq!(ranked[22].video_id, video(23)["video_id"]);
    assert_eq!(fake.pages_requested(), [1, 2, 3, 4, 5]);
    assert_eq!(fake.credits_spent(), 5);
    let last = &fake.received()[4];
    assert_eq!(
        (last.page_size, last.query["region"].as_str()),
        (Some(5), "US")
    );
    assert_eq!(last.query["video_rank_field"], "2");
}

#[tokio::test]
async fn each_scripted_failure_reaches_the_client_as_upstream_would_send_it() {
    let fake = FakeKeyApi::start().await;
    fake.script([
        Reply::RateLimited {
            retry_after_secs: 7,
        },
        Reply::EnvelopeRateLimited,
        Reply::Unauthorized,
        Reply::CreditsExhausted,
        Reply::ServerError,
        Reply::HtmlBadGateway,
        Reply::CutConnection,
        Reply::Slow(Duration::from_secs(2)),
    ]);
    let client = client(&fake);
    let mut kinds = Vec::new();
    for _ in 0..8 {
        let error = client
            .video_ranking_page(&query())
            .await
            .expect_err("scripted to fail");
        if let Error::RateLimited(_) = &error {
            kinds.push(format!("{} {:?}", error.kind(), error.retry_after()));
        } else {
            kinds.push(format!("{} {:?}", error.kind(), error.status()));
        }
    }
    assert_eq!(
        kinds,
        [
            "rate_limited Some(7s)",
            "rate_limited None",
            "authentication Some(401)",
            "credits_exhausted Some(402)",
            "server Some(500)",
            "server Some(502)",
            "transport None",
            "timeout None",
        ]
    );
    assert_eq!(
        fake.credits_spent(),
        2,
        "the cut page and the slow page were answered with a 200 head and no failure code"
    );
    let page = client
        .video_ranking_page(&query())
        .await
        .expect("the script is used up");
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.request_id.as_deref(), Some("fake-00000009"));
}

#[tokio::test]
async fn a_page_answers_as_told_whenever_it_is_asked_for_before_the_script() {
    let fake = FakeKeyApi::with_videos(25).await;
    fake.script([Reply::RateLimited {
        retry_after_secs: 1,
    }]);
    fake.on_page(2, Reply::ServerError);
    let client = client(&fake);
    let error = client
        .video_ranking_page(&query().page(2))
        .await
        .expect_err("page 2 fails");
    assert_eq!(error.kind(), "server");
    let error = client
        .video_ranking_page(&query())
        .await
        .expect_err("the script still has its 429 for the next other page");
    assert_eq!(error.kind(), "rate_limited");
    let error = client
        .video_ranking_page(&query().page(2))
        .await
        .expect_err("page 2 fails every time");
    assert_eq!(error.kind(), "server");
    let page = client.video_ranking_page(&query()).await.expect("page 1");
    assert_eq!(page.items.len(), 10);
    assert_eq!(fake.pages_requested(), [2, 1, 2, 1]);
    assert_eq!(fake.credits_spent(), 1);
}

#[tokio::test]
async fn a_drifted_field_is_sent_in_every_item_of_that_page() {
    let fake = FakeKeyApi::with_items(videos(3)).await;
    fake.script([Reply::Drifted {
        field: "total_views_cnt".into(),
        value: json!("1200"),
    }]);
    let page = client(&fake)
        .video_ranking_page(&query())
        .await
        .expect("a page");
    assert!(page.items.iter().all(|video| video.views == Some(1200)));
}

#[tokio::test]
async fn requests_without_a_key_or_with_bad_parameters_are_refused_and_free() {
    let fake = FakeKeyApi::start().await;
    let url = format!("{}{}", fake.base_url(), keyapi_tiktok_testkit::ENDPOINT);
    let http = reqwest_like_get(&url, None).await;
    assert_eq!(http, 401);
    let http = reqwest_like_get(
        &format!(
            "{url}?date=2026-11-23&region=US&video_rank_field=1&rank_type=1&page_num=1&page_size=11"
        ),
        Some("k"),
    )
    .await;
    assert_eq!(http, 400);
    assert_eq!(fake.credits_spent(), 0);
    assert!(
        fake.received()
            .iter()
            .all(|Received { reply, .. }| reply.is_none())
    );
}

/// A bare request, so the refusals are seen without the client's own validation.
async fn reqwest_like_get(url: &str, key: Option<&str>) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http");
    let (host, target) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let auth = key
        .map(|k| format!("authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    let head = format!("GET {target} HTTP/1.1\r\nhost: {host}\r\n{auth}connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response[9..12].parse().expect("a status")
}
