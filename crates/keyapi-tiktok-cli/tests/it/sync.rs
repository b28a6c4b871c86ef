//! `keyapi-tiktok sync` against the test kit's fake server: the dry run, a rerun that
//! spends nothing, the budget, one writer at a time, files that are not our store, invalid
//! plans, a run killed mid-flight and a disk that fills mid-run, whose reruns pay only for
//! what is missing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;
use keyapi_tiktok_testkit::{FakeKeyApi, Reply};

/// Two settled daily rankings of the fake's 25 videos: 3 pages each (10, 10, 5), 6 in all.
pub(crate) const PLAN: [&str; 10] = [
    "--date",
    "2026-01-05..2026-01-06",
    "--region",
    "US",
    "--by",
    "views",
    "--period",
    "daily",
    "--limit",
    "30",
];

/// A store's path in a fresh temporary directory, there while the guard lives.
pub(crate) fn new_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rankings.sqlite3");
    (dir, db)
}

/// `sync` into `db` from `base_url` with `args` (the plan included).
pub(crate) fn sync_command(db: &Path, base_url: &str, args: &[&str]) -> TestCommand {
    let db = db.to_str().expect("a UTF-8 temporary path");
    let mut all = vec!["sync", "--db", db, "--base-url", base_url];
    all.extend_from_slice(args);
    command(&all)
}

/// [`PLAN`] with `extra`, whose flags replace the plan's.
fn plan_with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = PLAN
        .chunks(2)
        .filter(|flag_value| !extra.contains(&flag_value[0]))
        .flatten()
        .copied()
        .collect();
    args.extend_from_slice(extra);
    args
}

/// `sync` of [`PLAN`] with `extra` into `db` from `fake`, run to the end.
pub(crate) async fn sync(db: &Path, fake: &FakeKeyApi, extra: &[&str]) -> Run {
    finish(sync_command(db, &fake.base_url(), &plan_with(extra))).await
}

/// The pages stored, by the `rankings` table of the store's documented schema.
fn pages_stored(db: &Path) -> u64 {
    let connection = rusqlite::Connection::open(db).expect("the store opens");
    connection
        .query_row("SELECT coalesce(sum(pages), 0) FROM rankings", [], |row| {
            row.get(0)
        })
        .expect("the rankings table")
}

/// Every entry stored, by the store's documented schema.
fn entries(db: &Path) -> u64 {
    let connection = rusqlite::Connection::open(db).expect("the store opens");
    connection
        .query_row("SELECT count(*) FROM entries", [], |row| row.get(0))
        .expect("the entries table")
}

#[tokio::test]
async fn a_dry_run_prints_the_plan_and_sends_nothing_without_a_key() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    let mut args = PLAN.to_vec();
    args[3] = "US,GB";
    args.push("--dry-run");
    let mut command = sync_command(&db, &fake.base_url(), &args);
    command.env_remove("KEYAPI_API_KEY");
    let run = finish(command).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("4 rankings to fetch"), "{}", run.stdout);
    assert!(run.stdout.contains("0 already complete"), "{}", run.stdout);
    assert!(run.stdout.contains("at most 12 credits"), "{}", run.stdout);
    for ranking in [
        "2026-01-05 daily US by views: new, up to 3 pages",
        "2026-01-06 daily GB by views: new, up to 3 pages",
    ] {
        assert!(run.stdout.contains(ranking), "{ranking}: {}", run.stdout);
    }
    assert!(fake.received().is_empty(), "a dry run sent a request");
    assert!(!db.exists(), "a dry run created the store");
}

#[tokio::test]
async fn a_sync_stores_every_page_and_its_rerun_spends_nothing() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    let first = sync(&db, &fake, &["--concurrency", "4"]).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.stdout, "", "data goes to the store, not stdout");
    assert_eq!(fake.credits_spent(), 6);
    assert_eq!(entries(&db), 50);
    assert!(first.stderr.contains("2 rankings"), "{}", first.stderr);
    assert!(first.stderr.contains("6 credits"), "{}", first.stderr);

    let dry = sync(&db, &fake, &["--dry-run"]).await;
    assert!(dry.stdout.contains("0 rankings to fetch"), "{}", dry.stdout);
    assert!(dry.stdout.contains("2 already complete"), "{}", dry.stdout);

    let rerun = sync(&db, &fake, &[]).await;
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(fake.credits_spent(), 6, "the rerun spent credits");
    assert!(rerun.stderr.contains("0 credits"), "{}", rerun.stderr);
    assert_eq!(entries(&db), 50);
}

#[tokio::test]
async fn the_store_comes_from_keyapi_db() {
    let fake = FakeKeyApi::with_videos(25).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("from-env.sqlite3");
    let mut args = vec!["sync", "--base-url"];
    let base_url = fake.base_url();
    args.push(&base_url);
    args.extend_from_slice(&PLAN);
    let mut command = command(&args);
    command.env("KEYAPI_DB", &db);
    let run = finish(command).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(entries(&db), 50);
}

#[tokio::test]
async fn the_budget_stops_the_run_with_exit_4_and_the_rerun_pays_the_rest() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    let run = sync(&db, &fake, &["--budget", "4", "--concurrency", "2"]).await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("budget"), "{}", run.stderr);
    let spent = fake.credits_spent();
    assert!(spent <= 4, "spent {spent} credits on a budget of 4");

    let kept = pages_stored(&db);
    assert!(
        kept > 0 && kept <= spent,
        "{kept} pages kept of {spent} paid"
    );

    let rerun = sync(&db, &fake, &[]).await;
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(
        fake.credits_spent() - spent,
        6 - kept,
        "the rerun paid for more than the missing pages"
    );
    assert_eq!(entries(&db), 50);
}

#[tokio::test]
async fn a_second_sync_on_the_same_store_exits_2_at_once_and_sends_nothing_while_readers_read() {
    let slow = FakeKeyApi::with_videos(25).await;
    slow.script(vec![Reply::Slow(Duration::from_secs(30)); 20]);
    let (_dir, db) = new_store();
    let mut args = PLAN.to_vec();
    args.extend(["--concurrency", "2"]);
    let mut first = sync_command(&db, &slow.base_url(), &args)
        .spawn()
        .expect("the binary runs");
    wait_for(|| !slow.received().is_empty()).await;

    let other = FakeKeyApi::with_videos(25).await;
    let second = tokio::time::timeout(Duration::from_secs(10), sync(&db, &other, &[]))
        .await
        .expect("the second sync exits at once");
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(second.stderr.contains("another sync"), "{}", second.stderr);
    assert!(
        other.received().is_empty(),
        "the second sync sent a request"
    );

    // Readers read meanwhile.
    let dry = sync(&db, &other, &["--dry-run"]).await;
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("2 rankings to fetch"), "{}", dry.stdout);
    let history = finish(command(&[
        "history",
        "7601397977900000001",
        "--db",
        db.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(history.code, 0, "{}", history.stderr);

    first.start_kill().unwrap();
    first.wait().await.unwrap();
}

#[tokio::test]
async fn files_that_are_not_our_store_exit_2_and_stay_as_they_were() {
    let fake = FakeKeyApi::with_videos(25).await;
    let dir = tempfile::tempdir().unwrap();

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database\n".repeat(100)).unwrap();

    let foreign = dir.path().join("foreign.sqlite3");
    {
        let connection = rusqlite::Connection::open(&foreign).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE photos (id INTEGER PRIMARY KEY); INSERT INTO photos VALUES (1);",
            )
            .unwrap();
    }

    let newer = dir.path().join("newer.sqlite3");
    assert_eq!(sync(&newer, &fake, &[]).await.code, 0);
    {
        let connection = rusqlite::Connection::open(&newer).unwrap();
        connection
            .pragma_update(None, "user_version", 9999)
            .unwrap();
    }
    let spent = fake.credits_spent();

    for (path, reason) in [
        (dir.path().to_owned(), "is a directory"),
        (text, "is not an SQLite database"),
        (foreign, "another application's"),
        (newer, "newer"),
    ] {
        let before = bytes(&path);
        let runs = [
            sync(&path, &fake, &[]).await,
            sync(&path, &fake, &["--dry-run"]).await,
            finish(command(&[
                "history",
                "7601397977900000001",
                "--db",
                path.to_str().unwrap(),
            ]))
            .await,
            finish(command(&[
                "movers",
                "--date",
                "2026-01-06",
                "--region",
                "US",
                "--by",
                "views",
                "--period",
                "daily",
                "--db",
                path.to_str().unwrap(),
            ]))
            .await,
        ];
        for run in runs {
            assert_eq!(run.code, 2, "{}: {}", path.display(), run.stderr);
            assert!(
                run.stderr.starts_with("error: ") && run.stderr.contains(reason),
                "{}: {}",
                path.display(),
                run.stderr
            );
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        }
        assert_eq!(bytes(&path), before, "{} was changed", path.display());
    }
    assert_eq!(fake.credits_spent(), spent, "a bad store cost credits");
}

/// A file's bytes, or for a directory its listing.
fn bytes(path: &Path) -> Vec<u8> {
    if path.is_dir() {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        return names.join("\n").into_bytes();
    }
    std::fs::read(path).unwrap()
}

#[tokio::test]
async fn invalid_plans_exit_2_and_send_nothing() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    let cases: &[(&[&str], &str)] = &[
        (&["--date", "2026-01-06..2026-01-05"], "2026-01-05"),
        (&["--date", "2099-01-01"], "future"),
        (&["--date", "2026-01-01..2099-01-01"], "future"),
        // No Monday between a Tuesday and a Wednesday: nothing to fetch.
        (
            &["--date", "2026-01-06..2026-01-07", "--period", "weekly"],
            "holds no date",
        ),
        (&["--date", "2026-01-01.."], "--date"),
        (&["--region", "US,USA"], "USA"),
        (&["--by", "views,likes"], "likes"),
        (&["--period", "daily,yearly"], "yearly"),
        (&["--limit", "0"], "--limit"),
        (&["--budget", "0"], "--budget"),
        (&["--category", "beauty"], "beauty"),
    ];
    for (extra, named) in cases {
        let run = sync(&db, &fake, extra).await;
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{extra:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(named), "{extra:?}: {}", run.stderr);
    }
    assert!(fake.received().is_empty(), "an invalid plan sent a request");
}

#[tokio::test]
async fn a_sync_killed_mid_run_leaves_a_sound_store_and_the_rerun_pays_only_what_is_missing() {
    // Four rankings of 3 pages: 12 credits in all. The first five pages come at once,
    // then every page takes 30 s, so the kill lands with pages in flight.
    let slow = FakeKeyApi::with_videos(25).await;
    slow.script(
        std::iter::repeat_n(Reply::Page, 5).chain(std::iter::repeat_n(
            Reply::Slow(Duration::from_secs(30)),
            20,
        )),
    );
    let (_dir, db) = new_store();
    let plan = plan_with(&["--date", "2026-01-05..2026-01-08", "--concurrency", "3"]);
    let mut child = sync_command(&db, &slow.base_url(), &plan)
        .spawn()
        .expect("the binary runs");
    wait_for(|| slow.received().len() >= 7).await;
    // The answered pages have had time to commit; the slow ones are in flight.
    tokio::time::sleep(Duration::from_millis(500)).await;
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();

    let connection = rusqlite::Connection::open(&db).unwrap();
    let integrity: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(connection);
    let kept = pages_stored(&db);
    assert!(kept > 0, "no page was kept");

    let fresh = FakeKeyApi::with_videos(25).await;
    let dry_args = [&plan[..], &["--dry-run"]].concat();
    let dry = finish(sync_command(&db, &fresh.base_url(), &dry_args)).await;
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout
            .contains(&format!("at most {} credits", 12 - kept)),
        "{kept} pages kept: {}",
        dry.stdout
    );
    let rerun = finish(sync_command(&db, &fresh.base_url(), &plan)).await;
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(fresh.credits_spent(), 12 - kept, "{kept} pages were kept");
    assert_eq!(entries(&db), 100);
}

/// Polls `done` every 20 ms for up to 20 s.
async fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting");
}

#[tokio::test]
async fn failures_exit_as_videos_does_with_the_summary_of_what_was_kept() {
    let cases = [
        (Reply::Unauthorized, 3, "authentication"),
        (Reply::CreditsExhausted, 4, "credits_exhausted"),
        (
            Reply::RateLimited {
                retry_after_secs: 0,
            },
            5,
            "rate_limited",
        ),
        (Reply::ServerError, 1, "server"),
    ];
    for (reply, code, kind) in cases {
        let fake = FakeKeyApi::with_videos(25).await;
        // The first ranking's first page is stored; the second page fails.
        fake.script([Reply::Page, reply.clone()]);
        let (_dir, db) = new_store();
        let run = sync(&db, &fake, &["--max-retries", "0"]).await;
        assert_eq!(run.code, code, "{reply:?}: {}", run.stderr);
        let last = run.stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(&format!("error: {kind}")),
            "{reply:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(
                "stored 0 of 2 rankings (0 already complete, 2 partial, 1 failed): 1 pages"
            ),
            "{reply:?}: {}",
            run.stderr
        );
        assert_eq!(pages_stored(&db), 1, "{reply:?}");

        // With --quiet, the error line alone: no warning, no summary.
        fake.script([reply.clone()]);
        let quiet = sync(&db, &fake, &["--max-retries", "0", "--quiet"]).await;
        assert_eq!(quiet.code, code, "{reply:?}: {}", quiet.stderr);
        assert_eq!(
            quiet.stderr.lines().count(),
            1,
            "{reply:?}: {}",
            quiet.stderr
        );

        let rerun = sync(&db, &fake, &[]).await;
        assert_eq!(rerun.code, 0, "{reply:?}: {}", rerun.stderr);
        assert_eq!(entries(&db), 50);
    }
}

#[tokio::test]
async fn a_disk_that_fills_mid_run_exits_1_with_every_written_page_kept() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    // A first run makes the store; a trigger then stands in for a disk that fills after 20
    // more entries (the first ranking's first two pages).
    let first = sync(&db, &fake, &["--date", "2026-01-04"]).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    let connection = rusqlite::Connection::open(&db).expect("the store opens");
    connection
        .execute_batch(
            "CREATE TRIGGER disk_full BEFORE INSERT ON entries
             WHEN (SELECT count(*) FROM entries) >= 45
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
        )
        .expect("the trigger");

    let run = sync(&db, &fake, &["--concurrency", "1"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: store: cannot write to ")
            && last.ends_with("database or disk is full"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("stored 0 of 2 rankings (0 already complete, 2 partial, 0 failed): 2 pages"),
        "{}",
        run.stderr
    );
    assert_eq!(entries(&db), 45);

    connection
        .execute_batch("DROP TRIGGER disk_full")
        .expect("room again");
    let charged = fake.credits_spent();
    let rerun = sync(&db, &fake, &[]).await;
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(entries(&db), 75);
    // Pages 3 of the first ranking and 1 to 3 of the second.
    assert_eq!(fake.credits_spent() - charged, 4);
}

#[tokio::test]
async fn a_store_that_cannot_be_made_fails_before_a_request() {
    let fake = FakeKeyApi::with_videos(25).await;
    let dir = tempfile::tempdir().unwrap();
    // Its directory would be inside a regular file: no one can write there, root included.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"kept").unwrap();
    let db = file.join("rankings.sqlite3");
    let run = sync(&db, &fake, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: store: cannot ") && run.stderr.contains("a-file"),
        "{}",
        run.stderr
    );
    assert!(fake.received().is_empty(), "a request was sent");
    assert_eq!(std::fs::read(&file).unwrap(), b"kept");
}
