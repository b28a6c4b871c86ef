//! A ranking's stored entries always come from one fetch of one version of it: what is
//! fetched before it settled is fetched again whole, a refresh leaves no older tail, a
//! resumed page repeating the stored one ends the ranking, and what is settled and
//! complete (empty included) is never paid for again.

use keyapi_tiktok::Error;
use keyapi_tiktok_store::{Action, RankingState, Store, SyncError, SyncPlan};
use keyapi_tiktok_testkit::{FakeKeyApi, Reply, video};

use crate::common::*;

/// A time at which [`RECENT`]'s ranking has settled.
fn later() -> jiff::Timestamp {
    "2026-12-10T00:00:00Z".parse().unwrap()
}

/// Upstream's ranking after it moved: other videos (ranks 101 to 100 + n of the kit).
async fn moved(n: u64) -> FakeKeyApi {
    FakeKeyApi::with_items((101..=100 + n).map(video).collect()).await
}

/// The video ids stored for `day`'s ranking, in rank order.
fn stored_ids(path: &std::path::Path) -> Vec<String> {
    let connection = sql(path);
    let mut statement = connection
        .prepare("SELECT video_id FROM entries ORDER BY ranking, rank")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn ids(ranks: impl IntoIterator<Item = u64>) -> Vec<String> {
    ranks
        .into_iter()
        .map(|rank| video(rank)["video_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Case 2 of issue 28: pages 1–2 stored the day after the ranking's date, the ranking
/// moved, then the next sync after it settled resumed at page 3 and stored a mix of two
/// versions as complete and settled.
#[tokio::test]
async fn a_partial_ranking_fetched_before_it_settled_is_fetched_again_from_page_1() {
    let (_dir, path) = db();
    let plan = plan("2026-11-30", 50);
    let before = FakeKeyApi::with_videos(50).await;
    let budgeted = builder(&before).credit_budget(2).build().unwrap();
    let mut store = Store::open(&path).unwrap();
    store.sync(&budgeted, &plan, options(1)).await.unwrap_err();
    let stored = store.stored(&key(RECENT)).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.pages, stored.settled),
        (RankingState::Partial, 2, false)
    );

    let after = moved(50).await;
    let status = store.plan_status(&plan, later()).unwrap();
    assert_eq!(first_action(&store, &plan, later()), Action::Refresh);
    assert_eq!(status.max_credits, 5);
    let report = store
        .sync(&client(&after), &plan, options(1).now(later()))
        .await
        .unwrap();
    assert_eq!(after.pages_requested(), [1, 2, 3, 4, 5]);
    assert_eq!(report.credits, 5);
    assert_eq!(stored_ids(&path), ids(101..=150));
    let stored = store.stored(&key(RECENT)).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.items, stored.settled),
        (RankingState::Complete, 50, true)
    );
}

/// Case 4 of issue 28: a refresh with a smaller limit kept the older fetch's ranks 11–50.
#[tokio::test]
async fn a_refresh_with_a_smaller_limit_keeps_no_rank_of_the_older_fetch() {
    let (_dir, path) = db();
    sync(
        &path,
        &FakeKeyApi::with_videos(50).await,
        &plan("2026-11-30", 50),
    )
    .await
    .unwrap();
    let after = moved(50).await;
    let report = sync(&path, &after, &plan("2026-11-30", 10)).await.unwrap();
    assert_eq!(report.credits, 1);
    assert_eq!(stored_ids(&path), ids(101..=110));
    assert_eq!(number(&path, "SELECT items FROM rankings"), 10);
}

/// A refresh cut short after its first page leaves that page alone, partial: never the
/// older fetch's later pages beside it.
#[tokio::test]
async fn a_refresh_cut_short_keeps_no_rank_of_the_older_fetch() {
    let (_dir, path) = db();
    let plan = plan("2026-11-30", 50);
    sync(&path, &FakeKeyApi::with_videos(50).await, &plan)
        .await
        .unwrap();
    let after = moved(50).await;
    after.on_page(2, Reply::Unauthorized);
    sync(&path, &after, &plan).await.unwrap_err();
    assert_eq!(stored_ids(&path), ids(101..=110));
    let store = Store::open_read_only(&path).unwrap();
    let stored = store.stored(&key(RECENT)).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.pages, stored.items),
        (RankingState::Partial, 1, 10)
    );
}

/// Upstream ignoring `page_num`: every page is page 1.
async fn ignoring_page_num() -> FakeKeyApi {
    FakeKeyApi::with_items(std::iter::repeat_n(ids_items(), 10).flatten().collect()).await
}

fn ids_items() -> Vec<serde_json::Value> {
    (1..=10).map(video).collect()
}

/// Case 3 of issue 28: a resume stored the repeated page as new ranks, and paid for it on
/// every rerun (one video at ranks 1, 11, 21, 31).
#[tokio::test]
async fn a_resumed_page_repeating_the_stored_one_ends_the_ranking_for_good() {
    let (_dir, path) = db();
    let plan = plan("2026-11-20", 50);
    let fake = ignoring_page_num().await;
    let budgeted = builder(&fake).credit_budget(1).build().unwrap();
    let mut store = Store::open(&path).unwrap();
    store.sync(&budgeted, &plan, options(1)).await.unwrap_err();
    assert_eq!(
        first_action(&store, &plan, now()),
        Action::Resume { from_page: 2 }
    );

    // The resume finds page 2 repeating the stored page 1: as in a fresh run.
    let error = store
        .sync(&client(&fake), &plan, options(1))
        .await
        .unwrap_err();
    let SyncError::Fetch { error, report } = error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(error, Error::RepeatedPage { page: 2, .. }),
        "{error:?}"
    );
    assert_eq!((report.credits, report.rankings_failed), (1, 1));
    assert_eq!(stored_ids(&path), ids(1..=10));
    let stored = store.stored(&key(SETTLED)).unwrap().unwrap();
    assert_eq!((stored.state, stored.items), (RankingState::EndedShort, 10));

    // Recorded: a rerun pays nothing more.
    for _ in 0..2 {
        let report = store.sync(&client(&fake), &plan, options(1)).await.unwrap();
        assert_eq!((report.credits, report.rankings_skipped), (0, 1));
    }
    assert_eq!(fake.pages_requested(), [1, 2]);
    assert_eq!(stored_ids(&path), ids(1..=10));
}

/// The same in one fresh run: it stops at the repeated page, and a rerun pays nothing.
#[tokio::test]
async fn a_repeated_page_in_a_fresh_run_is_recorded_so_a_rerun_pays_nothing() {
    let (_dir, path) = db();
    let plan = plan("2026-11-20", 50);
    let fake = ignoring_page_num().await;
    let mut store = Store::open(&path).unwrap();
    let error = store
        .sync(&client(&fake), &plan, options(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::Fetch {
                error: Error::RepeatedPage { page: 2, .. },
                ..
            }
        ),
        "{error:?}"
    );
    let report = store.sync(&client(&fake), &plan, options(1)).await.unwrap();
    assert_eq!(report.credits, 0);
    assert_eq!(fake.pages_requested(), [1, 2]);
    assert_eq!(stored_ids(&path), ids(1..=10));
}

/// Case 5 of issue 28: `--limit 60` cut short at 5 pages, then `--limit 30` asked page 6.
#[tokio::test]
async fn a_ranking_holding_every_page_a_plan_needs_is_complete_for_it() {
    let (_dir, path) = db();
    let fake = FakeKeyApi::with_videos(100).await;
    let budgeted = builder(&fake).credit_budget(5).build().unwrap();
    let mut store = Store::open(&path).unwrap();
    store
        .sync(&budgeted, &plan("2026-11-20", 60), options(1))
        .await
        .unwrap_err();
    assert_eq!(store.stored(&key(SETTLED)).unwrap().unwrap().pages, 5);

    let plan = plan("2026-11-20", 30);
    let status = store.plan_status(&plan, now()).unwrap();
    assert_eq!(
        (first_action(&store, &plan, now()), status.max_credits),
        (Action::Skip, 0)
    );
    let report = store.sync(&client(&fake), &plan, options(1)).await.unwrap();
    assert_eq!((report.credits, report.rankings_skipped), (0, 1));
    assert_eq!(fake.pages_requested(), [1, 2, 3, 4, 5]);
}

/// Case 10 of issue 28: settled empty rankings were paid for on every sync.
#[tokio::test]
async fn an_empty_ranking_fetched_after_it_settled_is_final() {
    let (_dir, path) = db();
    let empty = FakeKeyApi::with_videos(0).await;
    let plan = plan("2026-11-19..2026-11-20", 30);
    let mut store = Store::open(&path).unwrap();
    let first = store
        .sync(&client(&empty), &plan, options(1))
        .await
        .unwrap();
    assert_eq!((first.pages, first.items, first.credits), (2, 0, 2));
    let stored = store.stored(&key(SETTLED)).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.items, stored.settled),
        (RankingState::EndedShort, 0, true)
    );
    assert_eq!(store.plan_status(&plan, now()).unwrap().max_credits, 0);
    for _ in 0..2 {
        let report = store
            .sync(&client(&empty), &plan, options(4))
            .await
            .unwrap();
        assert_eq!((report.credits, report.rankings_skipped), (0, 2));
    }
    assert_eq!(empty.credits_spent(), 2);
}

/// What a sync of `plan` would do with its first ranking.
fn first_action(store: &Store, plan: &SyncPlan, now: jiff::Timestamp) -> Action {
    let mut rankings = store.plan_rankings(plan, now).unwrap();
    rankings.next().unwrap().unwrap().action
}
