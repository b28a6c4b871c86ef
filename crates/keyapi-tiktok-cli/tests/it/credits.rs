//! The credits a run reports against those the server charged: the `-v` summary's "credits
//! spent" is never fewer than the server charged nor more than the requests sent, requests
//! in flight when the ranking stops included; and `--budget` stops a run like a 402.

use std::time::Duration;

use keyapi_tiktok_testkit::{FakeKeyApi, Reply};

use crate::common::{Run, finish, ndjson, videos_command};

/// Much slower than a page served at once.
const SLOW: Reply = Reply::Slow(Duration::from_millis(400));

/// `videos` on `fake` at `--concurrency 8` with `-v`, as NDJSON, with `extra`.
async fn run(fake: &FakeKeyApi, extra: &[&str]) -> Run {
    let base_url = fake.base_url();
    let mut args = vec![
        "--base-url",
        &base_url,
        "--concurrency",
        "8",
        "--limit",
        "1000",
        "--format",
        "ndjson",
        "-v",
    ];
    args.extend_from_slice(extra);
    finish(videos_command(&args)).await
}

/// The number before `what` in the closing summary (`1 pages, 2 credits spent, …`).
fn summary_figure(run: &Run, what: &str) -> u64 {
    let summary = run
        .stderr
        .lines()
        .find(|line| line.contains(" credits spent, "))
        .unwrap_or_default();
    summary
        .split(", ")
        .find_map(|part| {
            part.trim_start_matches(|c: char| !c.is_ascii_digit())
                .strip_suffix(what)
        })
        .and_then(|number| number.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {what:?} in the summary {summary:?}"))
}

/// Checks "credits spent" against what the server charged once it has received every
/// request the run sent.
async fn assert_credits_cover_the_charges(run: &Run, fake: &FakeKeyApi, case: &str) {
    // A request sent just before the process exited may still be on its way in.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let charged = fake.credits_spent();
    let (spent, sent) = (
        summary_figure(run, " credits spent"),
        summary_figure(run, " requests sent"),
    );
    assert!(
        (charged..=sent).contains(&spent),
        "{case}: {spent} credits spent, {sent} requests sent, the server charged {charged}\n{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_5_video_ranking_counts_the_page_still_in_flight() {
    let fake = FakeKeyApi::with_videos(5).await;
    fake.on_page(2, SLOW);
    let run = run(&fake, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ndjson(&run.stdout).len(), 5);
    assert_credits_cover_the_charges(&run, &fake, "5 videos").await;
}

#[tokio::test]
async fn a_13_video_ranking_with_slower_later_pages_counts_the_pages_in_flight() {
    let fake = FakeKeyApi::with_videos(13).await;
    fake.on_page(2, Reply::Slow(Duration::from_millis(50)));
    for page in 3..=8 {
        fake.on_page(page, SLOW);
    }
    let run = run(&fake, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ndjson(&run.stdout).len(), 13);
    assert_credits_cover_the_charges(&run, &fake, "13 videos").await;
}

#[tokio::test]
async fn a_ranking_failing_at_page_3_counts_the_slow_pages_after_it() {
    let fake = FakeKeyApi::with_videos(95).await;
    fake.on_page(3, Reply::ServerError);
    for page in 4..=6 {
        fake.on_page(page, SLOW);
    }
    let run = run(&fake, &["--max-retries", "0"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(ndjson(&run.stdout).len(), 20, "pages 1 and 2 are kept");
    assert_credits_cover_the_charges(&run, &fake, "95 videos, page 3 failing").await;
}

#[tokio::test]
async fn a_run_stopped_by_its_budget_keeps_what_it_printed_and_exits_4() {
    let fake = FakeKeyApi::with_videos(95).await;
    let run = run(&fake, &["--budget", "3"]).await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(
        ndjson(&run.stdout).len(),
        30,
        "the three pages the budget paid for"
    );
    assert!(
        run.stderr
            .contains("error: budget_exhausted: credit budget of 3 spent: request not sent"),
        "{}",
        run.stderr
    );
    assert_eq!(fake.credits_spent(), 3);
}

#[tokio::test]
async fn a_budget_holds_at_the_server_when_a_request_that_timed_out_is_retried() {
    // Page 2 never answers in time, but the server charged it: the retry needs a credit
    // the budget no longer has.
    let fake = FakeKeyApi::with_videos(25).await;
    fake.on_page(2, SLOW);
    let run = run(
        &fake,
        &["--budget", "2", "--timeout", "0.2", "--max-retries", "1"],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        fake.credits_spent() <= 2,
        "the server charged {}",
        fake.credits_spent()
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(ndjson(&run.stdout).len(), 10, "page 1 is kept");
}
