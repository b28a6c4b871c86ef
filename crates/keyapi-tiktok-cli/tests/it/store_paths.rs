//! The store's edges through the command: dates as every command takes them (no signed
//! years, relative dates in UTC), bounded plans, every spelling of a store's path, a
//! dangling `--db`, movers' suggestion, and `store backup`.

use std::path::Path;
use std::time::Duration;

use crate::common::*;
use crate::sync::{PLAN, new_store, sync, sync_command};
use keyapi_tiktok_testkit::{FakeKeyApi, Reply};

/// The plan's `--date` replaced (as `--date=VALUE`, so a leading `-` is a value).
fn plan_at(date: &str) -> Vec<String> {
    let mut args = vec![format!("--date={date}")];
    args.extend(PLAN[2..].iter().map(|arg| (*arg).to_owned()));
    args
}

/// `sync` into `db` from `base_url` with `args`.
fn sync_at(db: &Path, base_url: &str, args: &[String]) -> TestCommand {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sync_command(db, base_url, &args)
}

#[tokio::test]
async fn signed_years_and_other_shapes_exit_2_in_every_command_and_send_nothing() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    for date in [
        "-009999-01-01",
        "+002025-01-01",
        "2026-01-05..+002026-01-06",
        "2026-1-5",
        "tomorrow",
    ] {
        let run = finish(sync_at(&db, &fake.base_url(), &plan_at(date))).await;
        assert_eq!(run.code, 2, "{date}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("expected YYYY-MM-DD, today, yesterday or today-N"),
            "{date}: {}",
            run.stderr
        );
        let date = format!("--date={date}");
        let videos = finish(videos_command(&[&date, "--base-url", &fake.base_url()])).await;
        assert_eq!(videos.code, 2, "{date}: {}", videos.stderr);
    }
    assert!(fake.received().is_empty(), "a request was sent");
    assert!(!db.exists());
}

#[tokio::test]
async fn relative_dates_resolve_in_utc_in_sync_and_videos() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    let yesterday = || {
        let today = jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        today.yesterday().unwrap().to_string()
    };
    let before = yesterday();
    let mut args = plan_at("today-1");
    args.push("--dry-run".to_owned());
    let run = finish(sync_at(&db, &fake.base_url(), &args)).await;
    let after = yesterday();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!("{before} daily US"))
            || run.stdout.starts_with(&format!("{after} daily US")),
        "{}",
        run.stdout
    );
    let videos = finish(videos_command(&[
        "--date",
        "yesterday",
        "--base-url",
        &fake.base_url(),
    ]))
    .await;
    assert_eq!(videos.code, 0, "{}", videos.stderr);
    let asked = fake.received()[0].query.get("date").cloned();
    assert!(
        asked.as_deref() == Some(before.as_str()) || asked.as_deref() == Some(after.as_str()),
        "{asked:?}"
    );
}

#[tokio::test]
async fn a_plan_beyond_the_bound_exits_2_at_once_naming_it() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    for dry_run in [true, false] {
        let mut args = plan_at("0001-01-01..2026-01-01");
        if dry_run {
            args.push("--dry-run".to_owned());
        }
        let run = tokio::time::timeout(
            Duration::from_secs(20),
            finish(sync_at(&db, &fake.base_url(), &args)),
        )
        .await
        .expect("refused at once");
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr.contains("more than 100000 rankings")
                && run.stderr.contains("MAX_PLAN_RANKINGS"),
            "{}",
            run.stderr
        );
    }
    assert!(fake.received().is_empty());
}

#[cfg(unix)]
#[tokio::test]
async fn a_second_sync_through_a_symlink_or_a_linked_directory_exits_2_and_sends_nothing() {
    let slow = FakeKeyApi::with_videos(25).await;
    slow.script(vec![Reply::Slow(Duration::from_secs(30)); 20]);
    let (dir, db) = new_store();
    let mut first = sync_command(&db, &slow.base_url(), &PLAN)
        .spawn()
        .expect("the binary runs");
    while slow.received().is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    std::os::unix::fs::symlink(&db, dir.path().join("alias.sqlite3")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("linked")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let other = FakeKeyApi::with_videos(25).await;
    for spelling in [
        "alias.sqlite3",
        "linked/rankings.sqlite3",
        "sub/../rankings.sqlite3",
    ] {
        let second = sync(&dir.path().join(spelling), &other, &[]).await;
        assert_eq!(second.code, 2, "{spelling}: {}", second.stderr);
        assert!(second.stderr.contains("another sync"), "{}", second.stderr);
    }
    assert!(
        other.received().is_empty(),
        "the second sync sent a request"
    );
    first.start_kill().unwrap();
    first.wait().await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_hard_linked_store_and_a_dangling_db_exit_2_and_send_nothing() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (dir, db) = new_store();
    assert_eq!(sync(&db, &fake, &[]).await.code, 0);
    let sent = fake.received().len();
    let hard = dir.path().join("hard.sqlite3");
    std::fs::hard_link(&db, &hard).unwrap();
    let run = sync(&hard, &fake, &["--date", "2026-01-07"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("2 hard links"), "{}", run.stderr);
    assert_eq!(fake.received().len(), sent);

    let dangling = dir.path().join("dangling.sqlite3");
    let target = dir.path().join("gone/target.sqlite3");
    std::os::unix::fs::symlink(&target, &dangling).unwrap();
    let run = sync(&dangling, &fake, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(!target.exists() && !dir.path().join("gone").exists());
    assert_eq!(fake.received().len(), sent);
}

/// `store backup` copies a store into a new private file and refuses an existing one.
#[cfg(unix)]
#[tokio::test]
async fn store_backup_makes_a_private_copy_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeKeyApi::with_videos(25).await;
    let (dir, db) = new_store();
    assert_eq!(sync(&db, &fake, &[]).await.code, 0);
    let copy = dir.path().join("copy.sqlite3");
    let backup = |destination: &Path| {
        let mut command = command(&[
            "store",
            "backup",
            destination.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ]);
        command.env_remove("KEYAPI_API_KEY");
        finish(command)
    };
    let run = backup(&copy).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let connection = rusqlite::Connection::open(&copy).unwrap();
    let rankings: i64 = connection
        .query_row("SELECT count(*) FROM rankings", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rankings, 2);

    let existing = dir.path().join("notes.txt");
    std::fs::write(&existing, "mine").unwrap();
    let run = backup(&existing).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("exists already"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "mine");
}

/// A relative `DEST` that SQLite would read as a URI (`file:…`) is still the file written.
#[tokio::test]
async fn store_backup_writes_the_file_named_even_when_it_reads_as_a_uri() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (dir, db) = new_store();
    assert_eq!(sync(&db, &fake, &[]).await.code, 0);
    let mut command = command(&[
        "store",
        "backup",
        "file:copy.sqlite3",
        "--db",
        db.to_str().unwrap(),
    ]);
    command.env_remove("KEYAPI_API_KEY").current_dir(dir.path());
    let run = finish(command).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let connection = rusqlite::Connection::open(dir.path().join("file:copy.sqlite3")).unwrap();
    let rankings: i64 = connection
        .query_row("SELECT count(*) FROM rankings", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rankings, 2);
    assert!(!dir.path().join("copy.sqlite3.partial").exists());
}

#[tokio::test]
async fn movers_refuses_a_category_videos_refuses_and_sends_nothing() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    assert_eq!(sync(&db, &fake, &[]).await.code, 0);
    for category in ["601450; touch /tmp/x", "beauty"] {
        let mut command = command(&[
            "movers",
            "--date",
            "2026-01-06",
            "--region",
            "US",
            "--by",
            "views",
            "--period",
            "daily",
            "--category",
            category,
            "--db",
            db.to_str().unwrap(),
        ]);
        command.env_remove("KEYAPI_API_KEY");
        let run = finish(command).await;
        assert_eq!(run.code, 2, "{category}: {}", run.stderr);
        assert!(!run.stderr.contains("keyapi-tiktok sync"), "{}", run.stderr);
        let videos = finish(videos_command(&[
            "--category",
            category,
            "--base-url",
            &fake.base_url(),
        ]))
        .await;
        assert_eq!(videos.code, 2, "{category}: {}", videos.stderr);
        // Both name the same rule.
        let rule = |stderr: &str| stderr.lines().last().unwrap_or_default().to_owned();
        assert!(
            rule(&run.stderr).contains("product_category_id"),
            "{}",
            run.stderr
        );
        assert!(
            rule(&videos.stderr).contains("product_category_id"),
            "{}",
            videos.stderr
        );
    }
}

/// The suggestion for a weekly date that is not a Monday holds the week's Monday, quoted:
/// run as it is printed (through `sh`), with `--dry-run`, its plan holds that ranking.
#[cfg(unix)]
#[tokio::test]
async fn movers_suggests_a_sync_whose_plan_holds_the_period_and_is_quoted() {
    let fake = FakeKeyApi::with_videos(25).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("it's here.sqlite3");
    assert_eq!(sync(&db, &fake, &[]).await.code, 0);
    let mut movers = command(&[
        "movers",
        "--date",
        "2026-01-07",
        "--region",
        "US",
        "--by",
        "views",
        "--period",
        "weekly",
        "--category",
        "601450",
        "--db",
        db.to_str().unwrap(),
    ]);
    movers.env_remove("KEYAPI_API_KEY");
    let run = finish(movers).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let suggestion = run
        .stderr
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(suggestion.contains("--date 2026-01-05"), "{suggestion}");
    let bin = Path::new(env!("CARGO_BIN_EXE_keyapi-tiktok"))
        .parent()
        .unwrap();
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{suggestion} --dry-run"))
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("2026-01-05 weekly US by views category 601450: new"),
        "{stdout}"
    );
}

/// A sync folds the WAL back when it ends; with a reader in a read transaction it cannot,
/// and `-v` says so.
#[tokio::test]
async fn a_sync_says_at_v_whether_it_folded_the_wal_back() {
    let fake = FakeKeyApi::with_videos(25).await;
    let (_dir, db) = new_store();
    let run = sync(&db, &fake, &["-v"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("-wal back into the database"),
        "{}",
        run.stderr
    );

    let reader = rusqlite::Connection::open(&db).unwrap();
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM rankings;")
        .unwrap();
    let run = sync(&db, &fake, &["-v", "--date", "2026-01-07"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("a reader holds"), "{}", run.stderr);
    reader.execute_batch("COMMIT").unwrap();
}
