//! Sync: idempotent, resumable, refreshing what may still change, under one budget and one
//! concurrency, one writer at a time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyapi_tiktok::Error;
use keyapi_tiktok_store::{
    Action, RankingState, Store, StoreError, SyncError, SyncEvent, SyncOutcome,
};
use keyapi_tiktok_testkit::{FakeKeyApi, Reply};

use crate::common::*;

#[tokio::test]
async fn a_second_sync_of_settled_rankings_spends_nothing() {
    let fake = FakeKeyApi::with_videos(30).await;
    let (_dir, path) = db();
    let plan = plan("2026-11-19..2026-11-20", 30);

    let first = sync(&path, &fake, &plan).await.unwrap();
    assert_eq!((first.rankings_done, first.pages, first.items), (2, 6, 60));
    assert_eq!((first.credits, fake.credits_spent()), (6, 6));
    assert_eq!(first.outcome, SyncOutcome::Complete);

    let second = sync(&path, &fake, &plan).await.unwrap();
    assert_eq!((second.rankings_skipped, second.rankings_done), (2, 0));
    assert_eq!((second.credits, second.requests), (0, 0));
    assert_eq!(fake.credits_spent(), 6);
    assert_eq!(number(&path, "SELECT count(*) FROM entries"), 60);
    assert_eq!(
        number(
            &path,
            "SELECT count(*) FROM rankings WHERE state = 'complete' AND settled AND pages = 3 AND items = 30 AND credits = 3"
        ),
        2
    );
    assert_intact(&path);
}

#[tokio::test]
async fn a_partial_ranking_resumes_at_its_first_missing_page() {
    let fake = FakeKeyApi::with_videos(50).await;
    let (_dir, path) = db();
    let plan = plan("2026-11-20", 50);
    // Pages 1 and 2 arrive, page 3 fails for good (three attempts).
    fake.script([
        Reply::Page,
        Reply::Page,
        Reply::ServerError,
        Reply::ServerError,
        Reply::ServerError,
    ]);
    let mut store = Store::open(&path).unwrap();
    let error = store
        .sync(&client(&fake), &plan, options(1))
        .await
        .unwrap_err();
    let SyncError::Fetch { error, report } = error else {
        panic!("a fetch error: {error:?}");
    };
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(
        (
            report.pages,
            report.rankings_partial,
            report.rankings_failed
        ),
        (2, 1, 1)
    );
    assert_eq!(report.outcome, SyncOutcome::Failed);
    let stored = store.stored(&key(SETTLED)).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.pages, stored.items),
        (RankingState::Partial, 2, 20)
    );
    let status = store.plan_status(&plan, now()).unwrap();
    assert_eq!(first_action(&store, &plan), Action::Resume { from_page: 3 });
    assert_eq!(status.max_credits, 3);

    let before = fake.pages_requested().len();
    let report = store.sync(&client(&fake), &plan, options(4)).await.unwrap();
    assert_eq!(fake.pages_requested()[before..], [3, 4, 5]);
    assert_eq!((report.credits, report.rankings_done), (3, 1));
    assert_eq!(number(&path, "SELECT count(*) FROM entries"), 50);
    assert_eq!(
        number(
            &path,
            "SELECT max(rank) FROM entries WHERE video_id = '7601397977900000050'"
        ),
        50
    );
}

#[tokio::test]
async fn a_longer_limit_fetches_only_the_pages_after_those_stored() {
    let fake = FakeKeyApi::with_videos(40).await;
    let (_dir, path) = db();
    sync(&path, &fake, &plan("2026-11-20", 15)).await.unwrap();
    assert_eq!(fake.pages_requested(), [1, 2]);
    sync(&path, &fake, &plan("2026-11-20", 40)).await.unwrap();
    assert_eq!(fake.pages_requested(), [1, 2, 3, 4]);
    let report = sync(&path, &fake, &plan("2026-11-20", 25)).await.unwrap();
    assert_eq!(report.credits, 0);
}

#[tokio::test]
async fn a_ranking_that_ends_short_is_complete_and_an_unsettled_empty_one_is_asked_again() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, path) = db();
    let report = sync(&path, &fake, &plan("2026-11-20", 100)).await.unwrap();
    assert_eq!(
        (report.pages, report.items, report.rankings_done),
        (3, 25, 1)
    );
    let store = Store::open_read_only(&path).unwrap();
    let stored = store.stored(&key(SETTLED)).unwrap().unwrap();
    assert_eq!((stored.state, stored.items), (RankingState::EndedShort, 25));
    assert_eq!(
        sync(&path, &fake, &plan("2026-11-20", 100))
            .await
            .unwrap()
            .credits,
        0
    );

    // Upstream has nothing for a date that has not settled (not published yet): asked
    // again until it settles (once settled, it is final: see `one_version`).
    let empty = FakeKeyApi::with_videos(0).await;
    let (_dir, path) = db();
    for _ in 0..2 {
        let charged_before = empty.credits_spent();
        let report = sync(&path, &empty, &plan("2026-11-30", 100)).await.unwrap();
        assert_eq!((report.pages, report.items), (1, 0));
        assert_counted(&report, empty.credits_spent() - charged_before);
    }
}

#[tokio::test]
async fn an_unsettled_ranking_is_fetched_again_until_it_settles() {
    let (_dir, path) = db();
    let plan = plan("2026-11-30", 30);
    let long = FakeKeyApi::with_videos(30).await;
    let report = sync(&path, &long, &plan).await.unwrap();
    assert_eq!(report.credits, 3);
    let store = Store::open_read_only(&path).unwrap();
    assert!(!store.stored(&key(RECENT)).unwrap().unwrap().settled);
    assert_eq!(first_action(&store, &plan), Action::Refresh);

    // The refreshed ranking is shorter: the ranks it no longer has go.
    let short = FakeKeyApi::with_videos(15).await;
    let report = sync(&path, &short, &plan).await.unwrap();
    assert_eq!(report.pages, 2);
    assert_counted(&report, short.credits_spent());
    assert_eq!(number(&path, "SELECT count(*) FROM entries"), 15);
    let stored = store.stored(&key(RECENT)).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.items, stored.credits),
        (RankingState::EndedShort, 15, 3 + report.pages as i64)
    );

    // Once settled, one more fetch makes it final.
    let later = options(4).now("2026-12-10T00:00:00Z".parse().unwrap());
    let mut writer = Store::open(&path).unwrap();
    for pages in [2, 0] {
        let charged_before = short.credits_spent();
        let report = writer
            .sync(&client(&short), &plan, later.clone())
            .await
            .unwrap();
        assert_eq!(report.pages, pages);
        assert_counted(&report, short.credits_spent() - charged_before);
    }
}

#[tokio::test]
async fn one_budget_spans_every_ranking_and_a_rerun_spends_only_what_is_missing() {
    let fake = FakeKeyApi::with_videos(30).await;
    let (_dir, path) = db();
    let plan = plan("2026-11-18..2026-11-20", 30);
    let budgeted = builder(&fake).credit_budget(5).build().unwrap();
    let mut store = Store::open(&path).unwrap();
    let error = store.sync(&budgeted, &plan, options(3)).await.unwrap_err();
    let SyncError::Fetch { error, report } = error else {
        panic!("a fetch error: {error:?}");
    };
    assert!(
        matches!(error, Error::BudgetExhausted { budget: 5, .. }),
        "{error:?}"
    );
    assert_eq!(
        (report.credits, report.pages, fake.credits_spent()),
        (5, 5, 5)
    );
    assert_eq!(report.rankings_done + report.rankings_partial, 3);

    let report = store.sync(&client(&fake), &plan, options(3)).await.unwrap();
    assert_eq!((report.credits, fake.credits_spent()), (4, 9));
    assert_eq!(number(&path, "SELECT count(*) FROM entries"), 90);
    assert_eq!(number(&path, "SELECT sum(credits) FROM rankings"), 9);
    assert_eq!(
        number(
            &path,
            "SELECT count(*) FROM sync_runs WHERE outcome = 'failed' AND credits = 5 AND error LIKE '%budget%'"
        ),
        1
    );
}

#[tokio::test]
async fn short_rankings_fill_one_concurrency_window() {
    // Eight one-page rankings, each page taking 300 ms: one after the other 2.4 s, side by
    // side 0.3 s.
    let fake = FakeKeyApi::with_videos(10).await;
    fake.script(vec![Reply::Slow(Duration::from_millis(300)); 8]);
    let (_dir, path) = db();
    let plan = plan("2026-11-13..2026-11-20", 10);
    let client = builder(&fake).max_in_flight(8).build().unwrap();
    let mut store = Store::open(&path).unwrap();
    let started = Instant::now();
    let report = store.sync(&client, &plan, options(8)).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!((report.rankings_done, report.credits), (8, 8));
    assert!(elapsed < Duration::from_millis(1200), "{elapsed:?}");
}

#[tokio::test]
async fn a_second_sync_on_the_same_database_fails_at_once_while_readers_read() {
    let fake = FakeKeyApi::with_videos(10).await;
    let (_dir, path) = db();
    sync(&path, &fake, &plan("2026-11-19", 10)).await.unwrap();
    fake.script([Reply::Slow(Duration::from_millis(500))]);
    let mut first = Store::open(&path).unwrap();
    let mut second = Store::open(&path).unwrap();
    let client = client(&fake);
    let today = plan("2026-11-20", 10);
    let running = first.sync(&client, &today, options(1));
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let refused = second
            .sync(&client, &plan("2026-11-18", 10), options(1))
            .await;
        assert!(started.elapsed() < Duration::from_millis(200));
        let reader = Store::open_read_only(&path).unwrap();
        let history = reader.history("7601397977900000001").unwrap();
        (refused, history.len())
    };
    let (first, (refused, history)) = tokio::join!(running, meanwhile);
    assert_eq!(first.unwrap().pages, 1);
    let Err(SyncError::Store(error @ StoreError::Locked { .. })) = refused else {
        panic!("locked: {refused:?}");
    };
    assert!(error.is_refusal());
    assert!(
        error.to_string().starts_with("another sync is writing "),
        "{error}"
    );
    assert_eq!(history, 1);
    // The refused sync sent nothing: two requests, the first sync's and the slow one.
    assert_eq!(fake.pages_requested(), [1, 1]);
}

#[tokio::test]
async fn an_invalid_plan_sends_nothing() {
    let fake = FakeKeyApi::with_videos(10).await;
    let (_dir, path) = db();
    for plan in [
        plan("2026-12-05", 10),
        plan("2026-11-20", 0),
        plan("2026-11-20", 10).regions([]),
    ] {
        let error = sync(&path, &fake, &plan).await.unwrap_err();
        assert!(
            matches!(&error, SyncError::Store(e) if e.is_refusal()),
            "{error:?}"
        );
        assert!(error.to_string().starts_with("invalid plan: "), "{error}");
    }
    assert!(fake.received().is_empty());
    assert_eq!(number(&path, "SELECT count(*) FROM sync_runs"), 0);
}

#[tokio::test]
async fn a_store_that_cannot_be_written_fails_before_a_credit_is_spent() {
    let fake = FakeKeyApi::with_videos(10).await;
    let (_dir, path) = db();
    sync(&path, &fake, &plan("2026-11-19", 10)).await.unwrap();
    let mut reader = Store::open_read_only(&path).unwrap();
    let error = reader
        .sync(&client(&fake), &plan("2026-11-20", 10), options(1))
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Store(_)), "{error:?}");
    assert_eq!(fake.pages_requested(), [1]);
}

#[tokio::test]
async fn progress_reports_each_page_and_each_ranking_stored() {
    let fake = FakeKeyApi::with_videos(15).await;
    let (_dir, path) = db();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let options = options(2).progress(Arc::new(move |event| {
        seen.lock().unwrap().push(event.clone())
    }));
    let mut store = Store::open(&path).unwrap();
    store
        .sync(&client(&fake), &plan("2026-11-20", 30), options)
        .await
        .unwrap();
    let events = events.lock().unwrap();
    let pages: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            SyncEvent::PageStored { page, items, .. } => Some((*page, *items)),
            _ => None,
        })
        .collect();
    assert_eq!(pages, [(1, 10), (2, 5)]);
    assert!(matches!(
        events.last(),
        Some(SyncEvent::RankingStored {
            state: RankingState::EndedShort,
            ..
        })
    ));
}

#[tokio::test]
async fn entries_keep_every_typed_field_and_the_raw_extras() {
    let mut item = keyapi_tiktok_testkit::video(1);
    item["brand_new_field"] = serde_json::json!({"x": 1});
    item["duration"] = serde_json::json!("not a number");
    let fake = FakeKeyApi::with_items(vec![item]).await;
    let (_dir, path) = db();
    sync(&path, &fake, &plan("2026-11-20", 10)).await.unwrap();
    let row: (String, i64, String, String, String, Option<i64>, String) = sql(&path)
        .query_row(
            "SELECT video_id, views, product_ids, extra, issues, duration_secs, created_at FROM entries",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?)),
        )
        .unwrap();
    assert_eq!(row.0, "7601397977900000001");
    assert_eq!(row.1, 9_999_000);
    assert_eq!(row.2, r#"["1729436418500000001"]"#);
    assert_eq!(row.3, r#"{"brand_new_field":{"x":1}}"#);
    assert!(row.4.contains(r#""field":"duration""#), "{}", row.4);
    assert_eq!((row.5, row.6.as_str()), (None, "2026-01-31T05:46:44Z"));
}

#[tokio::test]
async fn a_sync_cut_short_keeps_every_page_committed_and_a_rerun_fetches_only_the_rest() {
    let fake = FakeKeyApi::with_videos(100).await;
    fake.script(vec![Reply::Slow(Duration::from_millis(60)); 10]);
    let (_dir, path) = db();
    let plan = plan("2026-11-20", 100);
    let mut store = Store::open(&path).unwrap();
    let cut = tokio::time::timeout(
        Duration::from_millis(250),
        store.sync(&client(&fake), &plan, options(1)),
    )
    .await;
    assert!(cut.is_err(), "the sync was still running");
    // The writer commits what it was handed, then lets go of the lock.
    let report = loop {
        match store.sync(&client(&fake), &plan, options(1)).await {
            Err(SyncError::Store(StoreError::Locked { .. })) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            other => break other.unwrap(),
        }
    };
    assert_intact(&path);
    let before = fake.credits_spent() - report.credits;
    let stored_before = 10 - report.pages;
    // Only pages in flight when the sync was cut are paid twice.
    assert!(
        before - stored_before <= 1,
        "{before} credits for {stored_before} pages"
    );
    assert!((1..10).contains(&stored_before), "{stored_before}");
    assert_eq!(number(&path, "SELECT count(*) FROM entries"), 100);
    assert_eq!(
        number(
            &path,
            "SELECT count(*) FROM sync_runs WHERE outcome = 'running' AND finished_at IS NULL"
        ),
        1
    );
}

/// A write that fails in the middle of a run, as on a disk that fills up: the run stops
/// with `SyncError::Write`, every page that could be written is kept (those that shared a
/// transaction with the failing page included), the ledger says why, and once there is room
/// again a rerun fetches only the rest.
#[tokio::test]
async fn a_write_failing_mid_run_stops_it_keeping_every_page_that_could_be_written() {
    let fake = FakeKeyApi::with_videos(100).await;
    let (_dir, path) = db();
    drop(Store::open(&path).unwrap());
    // The disk is slow, so pages wait and share transactions, and it "fills" after 30
    // entries: page 4's first row fails, whatever it is batched with.
    sql(&path)
        .execute_batch(
            "CREATE TRIGGER slow_disk BEFORE INSERT ON entries BEGIN
                 SELECT count(*) FROM (WITH RECURSIVE n(i) AS
                     (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n);
             END;
             CREATE TRIGGER disk_full BEFORE INSERT ON entries
             WHEN (SELECT count(*) FROM entries) >= 30
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
        )
        .unwrap();
    let plan = plan("2026-11-20", 100);
    let mut store = Store::open(&path).unwrap();
    let error = store
        .sync(&client(&fake), &plan, options(8))
        .await
        .unwrap_err();
    let SyncError::Write { error, report } = &error else {
        panic!("{error:?}");
    };
    assert!(error.to_string().contains("disk is full"), "{error}");
    assert_eq!(
        (report.outcome, report.pages, report.items),
        (SyncOutcome::WriteFailed, 3, 30)
    );
    assert_counted(report, fake.credits_spent());
    assert_eq!(number(&path, "SELECT count(*) FROM entries"), 30);
    assert_eq!(number(&path, "SELECT pages FROM rankings"), 3);
    assert_eq!(
        number(
            &path,
            "SELECT count(*) FROM sync_runs WHERE outcome = 'write_failed' AND error LIKE '%disk is full%'"
        ),
        1
    );
    assert_intact(&path);

    sql(&path)
        .execute_batch("DROP TRIGGER disk_full; DROP TRIGGER slow_disk")
        .unwrap();
    let asked_before = fake.pages_requested().len();
    let report = store.sync(&client(&fake), &plan, options(8)).await.unwrap();
    assert_eq!(report.pages, 7);
    let rerun = fake.pages_requested().split_off(asked_before);
    assert!(rerun.iter().all(|&page| page >= 4), "{rerun:?}");
    assert_eq!(number(&path, "SELECT count(*) FROM entries"), 100);
}

/// A run's credits are never fewer than the server charged, nor more than it sent: a page
/// still in flight when a ranking ended counts (it may have been charged).
fn assert_counted(report: &keyapi_tiktok_store::SyncReport, charged: u64) {
    assert!(
        charged <= report.credits && report.credits <= report.requests,
        "charged {charged}, counted {}, sent {}",
        report.credits,
        report.requests
    );
}

/// What a sync of `plan` does with its first ranking.
fn first_action(store: &Store, plan: &keyapi_tiktok_store::SyncPlan) -> Action {
    let mut rankings = store.plan_rankings(plan, now()).unwrap();
    rankings.next().unwrap().unwrap().action
}

/// The plan is read one ranking at a time through a connection the sync owns, so its
/// future can still be spawned on a multi-threaded runtime.
#[tokio::test]
async fn a_sync_can_be_spawned() {
    let fake = FakeKeyApi::with_videos(10).await;
    let (_dir, path) = db();
    let client = client(&fake);
    let report = tokio::spawn(async move {
        let mut store = Store::open(&path).unwrap();
        store
            .sync(&client, &plan("2026-11-19", 10), options(1))
            .await
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(report.rankings_done, 1);
}
