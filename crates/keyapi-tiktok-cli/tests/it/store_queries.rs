//! `keyapi-tiktok history` and `movers` on a store that `sync` filled: every format, no
//! key and no request, strangers' text cleaned as `videos` cleans it, and a missing
//! previous period answered with the `sync` command that fetches it.

use std::path::Path;

use crate::common::*;
use crate::sync::{PLAN, new_store, sync_command};
use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";

/// Five videos a day: on 2026-01-05 videos 1 to 5, on 2026-01-06 videos 2 to 6 (each of
/// 2 to 5 up one place, 1 gone, 6 new, with a hostile caption and nickname).
struct TwoDays;

impl Respond for TwoDays {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let first = match params(request)["date"].as_str() {
            "2026-01-06" => 2,
            _ => 1,
        };
        success((first..first + 5).map(video).collect())
    }
}

fn video(n: usize) -> Value {
    let mut item = item(n);
    if n == 6 {
        item["video_desc"] = json!(format!("{FORMULA}\u{1b}[2J\u{202e}"));
        item["nick_name"] = json!("@nick\u{7}");
    }
    item
}

fn video_id(n: usize) -> String {
    item(n)["video_id"].as_str().unwrap().to_owned()
}

/// A store holding the US daily views rankings of 2026-01-05 and 2026-01-06 ([`PLAN`]).
async fn two_days(db: &Path) -> MockServer {
    let server = MockServer::start().await;
    ranking_request().respond_with(TwoDays).mount(&server).await;
    let run = finish(sync_command(db, &server.uri(), &PLAN)).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    server
}

/// A query command on `db` without a key: reading the store needs none.
async fn query(db: &Path, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--db", db.to_str().unwrap()]);
    let mut command = command(&all);
    command.env_remove("KEYAPI_API_KEY");
    finish(command).await
}

fn movers_args(date: &'static str, format: &'static str) -> Vec<&'static str> {
    vec![
        "movers", "--date", date, "--region", "US", "--by", "views", "--period", "daily",
        "--format", format,
    ]
}

#[tokio::test]
async fn history_lists_every_stored_entry_of_a_video_in_every_format() {
    let (_dir, db) = new_store();
    let server = two_days(&db).await;
    let sent = requests(&server).await.len();
    let id = video_id(3);

    let json = query(&db, &["history", &id, "--format", "json"]).await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let entries: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let seen: Vec<(&str, u64)> = entries
        .iter()
        .map(|e| (e["date"].as_str().unwrap(), e["rank"].as_u64().unwrap()))
        .collect();
    assert_eq!(seen, [("2026-01-05", 3), ("2026-01-06", 2)]);
    for entry in &entries {
        assert_eq!(entry["region"], "US");
        assert_eq!(entry["period"], "daily");
        assert_eq!(entry["field"], "views");
        assert_eq!(entry["views"], 2_000_000 - 3 * 1000);
    }

    let ndjson_run = query(&db, &["history", &id, "--format", "ndjson"]).await;
    assert_eq!(ndjson(&ndjson_run.stdout), entries);

    let csv_run = query(&db, &["history", &id, "--format", "csv"]).await;
    let mut reader = csv::Reader::from_reader(csv_run.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert!(header.iter().any(|c| c == "rank"), "{header:?}");
    assert_eq!(reader.records().count(), 2);

    let table = query(&db, &["history", &id]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", table.stdout);
    assert!(lines[1].contains("2026-01-05") && lines[2].contains("2026-01-06"));
    // Then the rank over the dates: 3, then 2 (no locale here, so ASCII).
    assert_eq!(lines[3], "");
    assert_eq!(
        lines[4],
        "US daily by views: _^ #3 -> #2, best #2 (2 dates)"
    );

    let unknown = query(&db, &["history", "123", "--format", "json"]).await;
    assert_eq!(unknown.code, 0, "{}", unknown.stderr);
    assert_eq!(unknown.stdout.trim(), "[]");
    assert!(unknown.stderr.contains("123"), "{}", unknown.stderr);
    assert_eq!(
        requests(&server).await.len(),
        sent,
        "a query sent a request"
    );
}

#[tokio::test]
async fn movers_ranks_each_video_against_the_previous_period_in_every_format() {
    let (_dir, db) = new_store();
    let server = two_days(&db).await;
    let sent = requests(&server).await.len();

    let json = query(&db, &movers_args("2026-01-06", "json")).await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let movers: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let status = |n: usize| {
        movers
            .iter()
            .find(|m| m["video_id"] == video_id(n))
            .unwrap_or_else(|| panic!("video {n} in {movers:?}"))
    };
    assert_eq!(status(3)["status"], "up");
    assert_eq!(
        (
            status(3)["rank"].as_u64(),
            status(3)["previous_rank"].as_u64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(status(3)["change"], 1);
    assert_eq!(status(6)["status"], "new");
    assert_eq!(status(6)["previous_rank"], Value::Null);
    assert_eq!(status(1)["status"], "left");
    assert_eq!(status(1)["rank"], Value::Null);
    // JSON carries strangers' text exactly.
    assert_eq!(
        status(6)["description"],
        format!("{FORMULA}\u{1b}[2J\u{202e}")
    );

    let ndjson_run = query(&db, &movers_args("2026-01-06", "ndjson")).await;
    assert_eq!(ndjson(&ndjson_run.stdout), movers);

    let csv_run = query(&db, &movers_args("2026-01-06", "csv")).await;
    assert_eq!(csv_run.code, 0, "{}", csv_run.stderr);
    assert!(!csv_run.stdout.contains('\u{1b}') && !csv_run.stdout.contains('\u{7}'));
    let mut reader = csv::Reader::from_reader(csv_run.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    let new = rows
        .iter()
        .find(|row| row[column("video_id")] == video_id(6))
        .unwrap();
    assert_eq!(&new[column("status")], "new");
    assert_eq!(
        &new[column("description")],
        format!("'{FORMULA}[2J\u{202e}")
    );

    let table = query(&db, &movers_args("2026-01-06", "table")).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(!table.stdout.contains('\u{1b}') && !table.stdout.contains('\u{202e}'));
    assert!(!table.stdout.contains('\u{7}'));
    assert_eq!(table.stdout.lines().count(), 7, "{}", table.stdout);
    assert!(table.stdout.contains("new") && table.stdout.contains("left"));
    assert_eq!(
        requests(&server).await.len(),
        sent,
        "a query sent a request"
    );
}

#[tokio::test]
async fn movers_without_the_previous_period_prints_the_sync_command_that_fetches_it() {
    let (_dir, db) = new_store();
    two_days(&db).await;
    let run = query(&db, &movers_args("2026-01-05", "json")).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "keyapi-tiktok sync --date 2026-01-04 --region US --by views --period daily --db {}",
            db.display()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("not stored"), "{}", run.stderr);
}

/// The arguments `suggestion` (a command `movers` printed) stands for, as bash reads it.
async fn words_of(suggestion: &str, dir: &Path) -> Vec<String> {
    let script = format!("printf '%s\\0' {suggestion}");
    let output = tokio::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{script}");
    let words = String::from_utf8(output.stdout).unwrap();
    words.split_terminator('\0').map(str::to_owned).collect()
}

#[tokio::test]
async fn movers_suggestion_pasted_into_a_shell_syncs_the_same_store() {
    // Names a terminal would show changed (runs of spaces, a tab, a newline, invisible
    // characters) and one a parser would take for a flag.
    for name in [
        "-x.sqlite3",
        "two  spaces.sqlite3",
        "tab\there.sqlite3",
        "new\nline.sqlite3",
        " lead.sqlite3",
        "zero\u{200b}width.sqlite3",
    ] {
        let dir = tempfile::tempdir().unwrap();
        two_days(&dir.path().join(name)).await;
        let mut movers = command(&movers_args("2026-01-05", "json"));
        movers.arg(format!("--db={name}")).current_dir(dir.path());
        movers.env_remove("KEYAPI_API_KEY");
        let run = finish(movers).await;
        assert_eq!(run.code, 0, "{name:?}: {}", run.stderr);
        let suggestion = run
            .stderr
            .split_once("fetch it with `")
            .and_then(|(_, rest)| rest.trim_end().strip_suffix('`'))
            .unwrap_or_else(|| panic!("{name:?}: no command in {}", run.stderr));
        let words = words_of(suggestion, dir.path()).await;
        let db = words.iter().position(|word| word == "--db");
        let db = db.map(|at| words[at + 1].as_str());
        let db = db.or_else(|| words.iter().find_map(|word| word.strip_prefix("--db=")));
        assert_eq!(db, Some(name), "{suggestion}");
        let pasted: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let mut pasted = command(&pasted);
        pasted.arg("--dry-run").current_dir(dir.path());
        let run = finish(pasted).await;
        assert_eq!(run.code, 0, "{suggestion}: {}", run.stderr);
        assert!(run.stdout.contains("1 rankings to fetch"), "{}", run.stdout);
    }
}

#[tokio::test]
async fn queries_on_a_store_that_does_not_exist_exit_2_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.sqlite3");
    for args in [vec!["history", "123"], movers_args("2026-01-06", "json")] {
        let run = query(&db, &args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("sync"), "{}", run.stderr);
    }
    assert!(!db.exists());
}

/// `args` on `db` with `LANG` set to `lang` (none when `None`).
async fn query_in_locale(db: &Path, args: &[&str], lang: Option<&str>) -> Run {
    let mut all = args.to_vec();
    all.extend(["--db", db.to_str().unwrap()]);
    let mut command = command(&all);
    command.env_remove("KEYAPI_API_KEY");
    if let Some(lang) = lang {
        command.env("LANG", lang);
    }
    finish(command).await
}

#[tokio::test]
async fn tables_draw_sparklines_and_arrows_in_utf_8_and_ascii_elsewhere_and_data_formats_never() {
    let (_dir, db) = new_store();
    two_days(&db).await;
    let id = video_id(3);

    let utf8 = query_in_locale(&db, &["history", &id], Some("en_US.UTF-8")).await;
    assert!(
        utf8.stdout
            .ends_with("US daily by views: ▁█ #3 -> #2, best #2 (2 dates)\n"),
        "{}",
        utf8.stdout
    );
    let c = query_in_locale(&db, &["history", &id], Some("C")).await;
    assert!(
        c.stdout
            .ends_with("US daily by views: _^ #3 -> #2, best #2 (2 dates)\n")
    );
    assert!(c.stdout.is_ascii(), "{}", c.stdout);

    let utf8 = query_in_locale(&db, &movers_args("2026-01-06", "table"), Some("C.UTF-8")).await;
    assert!(
        utf8.stdout.contains("      ▲ 1  @creator3"),
        "{}",
        utf8.stdout
    );
    let c = query_in_locale(&db, &movers_args("2026-01-06", "table"), Some("POSIX")).await;
    assert!(c.stdout.contains("       +1  @creator3"), "{}", c.stdout);

    // JSON, NDJSON and CSV are the same bytes in every locale, with no glyph.
    for format in ["json", "ndjson", "csv"] {
        let history = ["history", id.as_str(), "--format", format];
        let movers = movers_args("2026-01-06", format);
        for args in [&history[..], &movers[..]] {
            let plain = query_in_locale(&db, args, None).await;
            let utf8 = query_in_locale(&db, args, Some("en_US.UTF-8")).await;
            assert_eq!(plain.code, 0, "{}", plain.stderr);
            assert_eq!(plain.stdout, utf8.stdout, "{args:?}");
            assert!(!plain.stdout.contains(['▲', '▼', '▁', '█']), "{args:?}");
        }
    }
}
