//! History of a video and movers of a ranking, from what syncs stored; the `videos` view.

use keyapi_tiktok::{Period, RankField};
use keyapi_tiktok_store::{MoverStatus, Store, StoreError};
use keyapi_tiktok_testkit::{FakeKeyApi, Reply, video};
use serde_json::json;

use crate::common::*;

/// The 19th stores ranks 1 to 12 of the test kit's videos; the 20th ranks them
/// 3, 1, 2, 4..=10, then a new video 99 (rank 11); 11 and 12 left.
async fn two_days() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, path) = db();
    let before = FakeKeyApi::with_items((1..=12).map(video).collect()).await;
    sync(&path, &before, &plan("2026-11-19", 20)).await.unwrap();
    let order = [3, 1, 2, 4, 5, 6, 7, 8, 9, 10, 99];
    let after = FakeKeyApi::with_items(order.into_iter().map(video).collect()).await;
    sync(&path, &after, &plan("2026-11-20", 20)).await.unwrap();
    (dir, path)
}

#[tokio::test]
async fn movers_compare_a_ranking_with_the_period_before() {
    let (_dir, path) = two_days().await;
    let store = Store::open_read_only(&path).unwrap();
    let movers = store.movers(&key(SETTLED)).unwrap();
    assert!(movers.previous_stored);
    assert_eq!(movers.previous, Some(key(jiff::civil::date(2026, 11, 19))));
    let rows: Vec<_> = movers
        .movers
        .iter()
        .map(|m| {
            (
                m.video_id[11..].trim_start_matches('0').to_owned(),
                m.status,
                m.rank,
                m.previous_rank,
                m.change,
            )
        })
        .collect();
    let row =
        |id: &str, status, rank, previous, change| (id.to_owned(), status, rank, previous, change);
    assert_eq!(
        rows[..4],
        [
            row("3", MoverStatus::Up, Some(1), Some(3), Some(2)),
            row("1", MoverStatus::Down, Some(2), Some(1), Some(-1)),
            row("2", MoverStatus::Down, Some(3), Some(2), Some(-1)),
            row("4", MoverStatus::Same, Some(4), Some(4), Some(0)),
        ]
    );
    assert_eq!(
        rows[10..],
        [
            row("99", MoverStatus::New, Some(11), None, None),
            row("11", MoverStatus::Left, None, Some(11), None),
            row("12", MoverStatus::Left, None, Some(12), None),
        ]
    );
    assert_eq!(movers.movers[0].nick_name.as_deref(), Some("Creator 3"));
}

#[tokio::test]
async fn movers_say_when_the_previous_period_is_not_stored() {
    let (_dir, path) = two_days().await;
    let store = Store::open_read_only(&path).unwrap();
    let first = store.movers(&key(jiff::civil::date(2026, 11, 19))).unwrap();
    assert!(!first.previous_stored && first.movers.is_empty());
    assert_eq!(first.previous, Some(key(jiff::civil::date(2026, 11, 18))));

    let weekly = keyapi_tiktok_store::RankingKey::new(
        jiff::civil::date(2026, 11, 16),
        "US".parse().unwrap(),
        RankField::Views,
        Period::Weekly,
    );
    let error = store.movers(&weekly).unwrap_err();
    assert!(matches!(error, StoreError::NotStored { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the ranking 2026-11-16 weekly US by views is not stored"
    );
}

#[tokio::test]
async fn history_lists_every_stored_entry_of_a_video_in_date_order() {
    let (_dir, path) = two_days().await;
    let store = Store::open_read_only(&path).unwrap();
    let history = store.history("7601397977900000003").unwrap();
    let rows: Vec<_> = history
        .iter()
        .map(|e| (e.date.to_string(), e.rank, e.views))
        .collect();
    assert_eq!(
        rows,
        [
            ("2026-11-19".to_owned(), 3, Some(9_997_000)),
            ("2026-11-20".to_owned(), 1, Some(9_997_000)),
        ]
    );
    assert_eq!(
        (
            history[0].period,
            history[0].field,
            history[0].region.as_str()
        ),
        (Period::Daily, RankField::Views, "US")
    );
    assert!(store.history("no such video").unwrap().is_empty());
}

#[tokio::test]
async fn history_and_movers_use_indexes() {
    let (_dir, path) = two_days().await;
    let connection = sql(&path);
    let plan = |query: &str| -> String {
        let mut statement = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {query}"))
            .unwrap();
        let rows = statement
            .query_map([], |row| row.get::<_, String>(3))
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    };
    let history =
        plan("SELECT * FROM entries e JOIN rankings r ON r.id = e.ranking WHERE e.video_id = '1'");
    assert!(history.contains("USING INDEX entries_video"), "{history}");
    let movers = plan("SELECT rank, video_id FROM entries WHERE ranking = 1 ORDER BY rank");
    assert!(
        movers.contains("USING INDEX sqlite_autoindex_entries_1"),
        "{movers}"
    );
    assert!(!movers.contains("TEMP B-TREE"), "{movers}");
    let video = plan("SELECT * FROM videos WHERE video_id = '1'");
    assert!(video.contains("USING INDEX entries_video"), "{video}");
    let query = |name: &str| {
        let (_, sql) = keyapi_tiktok_store::__QUERIES
            .into_iter()
            .find(|(query, _)| *query == name)
            .unwrap();
        sql.replace("?1", "1").replace("?2", "10")
    };
    let top = plan(&query("report top"));
    assert!(
        top.contains("USING PRIMARY KEY") || top.contains("USING INDEX sqlite_autoindex_entries_1"),
        "{top}"
    );
    assert!(!top.contains("TEMP B-TREE"), "{top}");
    let ranks = plan(&query("report ranks"));
    assert!(
        ranks.contains("USING INDEX sqlite_autoindex_entries_1"),
        "{ranks}"
    );
}

#[tokio::test]
async fn a_report_reads_the_top_with_each_video_s_ranks_over_the_span() {
    let (_dir, path) = two_days().await;
    let store = Store::open_read_only(&path).unwrap();
    let report = store.report(&key(SETTLED), 4, 3).unwrap();
    let dates: Vec<_> = report
        .periods
        .iter()
        .map(|period| (period.key.date.to_string(), period.stored.is_some()))
        .collect();
    assert_eq!(
        dates,
        [
            ("2026-11-18".to_owned(), false),
            ("2026-11-19".to_owned(), true),
            ("2026-11-20".to_owned(), true),
        ]
    );
    assert_eq!(
        report.missing().map(|key| key.date).collect::<Vec<_>>(),
        [jiff::civil::date(2026, 11, 18)]
    );
    let top: Vec<_> = report
        .top
        .iter()
        .map(|video| {
            (
                video.video_id[11..].trim_start_matches('0').to_owned(),
                video.rank,
                video.status,
                video.previous_rank,
                video.ranks.clone(),
            )
        })
        .collect();
    assert_eq!(
        top,
        [
            (
                "3".to_owned(),
                1,
                Some(MoverStatus::Up),
                Some(3),
                vec![None, Some(3), Some(1)]
            ),
            (
                "1".to_owned(),
                2,
                Some(MoverStatus::Down),
                Some(1),
                vec![None, Some(1), Some(2)]
            ),
            (
                "2".to_owned(),
                3,
                Some(MoverStatus::Down),
                Some(2),
                vec![None, Some(2), Some(3)]
            ),
            (
                "4".to_owned(),
                4,
                Some(MoverStatus::Same),
                Some(4),
                vec![None, Some(4), Some(4)]
            ),
        ]
    );
    assert!(
        report.top[0]
            .cover_url
            .as_deref()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(report.movers.movers.len(), 13);

    // The first day: nothing before it is stored, so no move is known.
    let first = store
        .report(&key(jiff::civil::date(2026, 11, 19)), 2, 1)
        .unwrap();
    assert_eq!(first.periods.len(), 1);
    assert_eq!(first.top[0].status, None);
    assert_eq!(first.top[0].ranks, [Some(1)]);
    let error = store
        .report(&key(jiff::civil::date(2026, 11, 21)), 2, 1)
        .unwrap_err();
    assert!(matches!(error, StoreError::NotStored { .. }), "{error:?}");
}

#[tokio::test]
async fn videos_lists_each_video_once_with_the_dates_it_was_ranked() {
    let (_dir, path) = two_days().await;
    assert_eq!(number(&path, "SELECT count(*) FROM videos"), 13);
    assert_eq!(
        number(
            &path,
            "SELECT count(*) FROM videos WHERE first_seen = '2026-11-19' AND last_seen = '2026-11-20'"
        ),
        10
    );
    let found: Vec<String> = sql(&path)
        .prepare("SELECT video_id FROM videos WHERE description LIKE '%video #99 %'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(found, ["7601397977900000099"]);
}

/// The `nick_name` of video 1 in `videos`, and the videos listed there.
fn latest_of_video_1(path: &std::path::Path) -> (String, i64) {
    let nick_name = sql(path)
        .query_row(
            "SELECT nick_name FROM videos WHERE video_id = '7601397977900000001'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    (nick_name, number(path, "SELECT count(*) FROM videos"))
}

fn named(name: &str) -> Reply {
    Reply::Drifted {
        field: "nick_name".to_owned(),
        value: json!(name),
    }
}

#[tokio::test]
async fn videos_show_the_metadata_of_the_latest_ranking_date_whatever_order_it_was_stored_in() {
    let (_dir, path) = db();
    let newer = FakeKeyApi::with_items(vec![video(1)]).await;
    newer.script([named("Newer")]);
    sync(&path, &newer, &plan("2026-11-20", 10)).await.unwrap();
    let older = FakeKeyApi::with_items(vec![video(1)]).await;
    older.script([named("Older")]);
    sync(&path, &older, &plan("2026-11-19", 10)).await.unwrap();

    assert_eq!(latest_of_video_1(&path), ("Newer".to_owned(), 1));
    assert_eq!(
        number(
            &path,
            "SELECT count(*) FROM videos WHERE first_seen = '2026-11-19' AND last_seen = '2026-11-20'"
        ),
        1
    );

    // Two dates in one sync, whichever is stored first: the later date's name shows.
    let (_dir, path) = db();
    let both = FakeKeyApi::with_items(vec![video(1)]).await;
    both.script([named("First asked"), named("Second asked")]);
    sync(&path, &both, &plan("2026-11-19..2026-11-20", 10))
        .await
        .unwrap();
    let latest_entry: String = sql(&path)
        .query_row(
            "SELECT e.nick_name FROM entries e JOIN rankings r ON r.id = e.ranking WHERE r.date = '2026-11-20'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(latest_of_video_1(&path), (latest_entry, 1));
}

#[tokio::test]
async fn a_refetched_page_replaces_what_videos_shows_of_its_videos() {
    let (_dir, path) = db();
    // 2026-11-30 is not settled yet: each sync fetches it again.
    let plan = plan("2026-11-30", 10);
    let first = FakeKeyApi::with_items(vec![video(1), video(2)]).await;
    first.script([named("Before")]);
    sync(&path, &first, &plan).await.unwrap();
    assert_eq!(latest_of_video_1(&path), ("Before".to_owned(), 2));

    // Video 2 left the ranking, and no other stored ranking has it.
    let second = FakeKeyApi::with_items(vec![video(1)]).await;
    second.script([named("After")]);
    sync(&path, &second, &plan).await.unwrap();
    assert_eq!(latest_of_video_1(&path), ("After".to_owned(), 1));
    assert_intact(&path);
}
