//! `keyapi-tiktok report` on rankings the store's own sync stored from the test kit: the
//! page as a snapshot (a month of climbers, new entries, a video that leaves and returns,
//! a day missing), hostile upstream text inert in it, its size for the top 100 over 30
//! periods, and the page opened by a real browser with the network off.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use keyapi_tiktok::{Client, RetryPolicy};
use keyapi_tiktok_store::{Store, SyncOptions, SyncPlan};
use keyapi_tiktok_testkit::{FakeKeyApi, video};
use serde_json::{Value, json};

use crate::common::*;

/// The clock of every sync here: all of October 2026 has settled.
const NOW: &str = "2026-11-15T12:00:00Z";
/// What `rankings.fetched_at` is set to, so the page does not depend on the run's time.
const FETCHED_AT: &str = "2026-11-01T06:00:00Z";
/// The day of October not stored.
const MISSING_DAY: u64 = 15;

/// October's US daily views ranking of `day`, as video numbers in rank order: videos 1 to
/// 12 in their order but each day's jolts (a video climbs or falls a few places), video 99
/// on three days in six (it leaves and returns), and a video seen that day only (a new
/// entry) at rank 5.
fn october(day: u64) -> Vec<u64> {
    let mut order: Vec<u64> = (1..=12).collect();
    order.sort_by_key(|&video| video * 4 + (day * video * 7) % 13);
    if day % 6 < 3 {
        order.insert(2, 99);
    }
    order.insert(4, 50 + day);
    order
}

/// Stores `items_of(day)` as the US daily views ranking of each `days` of October 2026,
/// one sync a day through the store's own sync against a test kit server, then fixes
/// `fetched_at`. The store is `dir/rankings.sqlite3`.
async fn store_days(
    dir: &Path,
    days: impl IntoIterator<Item = u64>,
    limit: u64,
    items_of: impl Fn(u64) -> Vec<Value>,
) -> PathBuf {
    let path = dir.join("rankings.sqlite3");
    for day in days {
        let fake = FakeKeyApi::with_items(items_of(day)).await;
        let client = Client::builder()
            .api_key("test-key")
            .base_url(fake.base_url())
            .retry(RetryPolicy::no_delay(1))
            .build()
            .unwrap();
        let plan = SyncPlan::new(format!("2026-10-{day:02}").parse().unwrap())
            .regions(["US".parse().unwrap()])
            .limit(limit);
        let options = SyncOptions::new().now(NOW.parse().unwrap());
        let mut store = Store::open(&path).unwrap();
        store.sync(&client, &plan, options).await.unwrap();
    }
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute("UPDATE rankings SET fetched_at = ?1", [FETCHED_AT])
        .unwrap();
    path
}

/// October 1 to 30 but the 15th, as [`october`] ranks them.
async fn october_store(dir: &Path) -> PathBuf {
    let days = (1..=30).filter(|&day| day != MISSING_DAY);
    store_days(dir, days, 20, |day| {
        october(day).into_iter().map(video).collect()
    })
    .await
}

/// `report` of the US daily views ranking of `date` on `dir/rankings.sqlite3`, run in
/// `dir` so the sync commands it prints name the store by a relative path.
async fn report(dir: &Path, date: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "report",
        "--date",
        date,
        "--region",
        "US",
        "--by",
        "views",
        "--period",
        "daily",
        "--db",
        "rankings.sqlite3",
    ];
    args.extend(extra);
    let mut command = command(&args);
    command.env_remove("KEYAPI_API_KEY").current_dir(dir);
    finish(command).await
}

#[tokio::test]
async fn a_month_of_rankings_makes_one_page_of_moves_sparklines_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    october_store(dir.path()).await;

    let run = report(
        dir.path(),
        "2026-10-30",
        &["--top", "10", "--periods", "30"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = scraper::Html::parse_document(&run.stdout);
    assert_eq!(count(&page, "tbody tr"), 10);
    assert_eq!(count(&page, "svg.spark"), 10);
    assert_eq!(count(&page, "svg.chart g.series"), 10);
    // The 15th is missing and named with the command that fetches it.
    assert!(run.stdout.contains(
        "keyapi-tiktok sync --date 2026-10-15 --region US --by views --period daily --db rankings.sqlite3"
    ));
    insta::assert_snapshot!("report_october_30", one_tag_a_line(&run.stdout));

    // The 16th: the day before is missing, so no move is known and the page says so.
    let run = report(dir.path(), "2026-10-16", &["--top", "5", "--periods", "3"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("The previous period is not stored"));
    insta::assert_snapshot!(
        "report_october_16_after_a_missing_day",
        one_tag_a_line(&run.stdout)
    );
}

#[tokio::test]
async fn a_ranking_not_stored_is_refused_with_the_sync_command_and_o_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    october_store(dir.path()).await;
    let run = report(dir.path(), "2026-10-15", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("the ranking 2026-10-15 daily US by views is not stored: fetch it with `keyapi-tiktok sync --date 2026-10-15"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());

    // A category that is not an id is refused before any command is suggested.
    let run = report(dir.path(), "2026-10-30", &["--category", "x; rm -rf ~"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("keyapi-tiktok sync"), "{}", run.stderr);

    // A weekly ranking is asked by any day of its week: its Monday is named.
    let mut weekly = command(&[
        "report",
        "--date",
        "2026-10-29",
        "--region",
        "US",
        "--by",
        "views",
        "--period",
        "weekly",
        "--db",
        "rankings.sqlite3",
    ]);
    weekly.env_remove("KEYAPI_API_KEY").current_dir(dir.path());
    let run = finish(weekly).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the ranking 2026-10-26 weekly US by views is not stored"),
        "{}",
        run.stderr
    );

    // Relative dates go through the one parser: `yesterday` is a day the store lacks.
    let run = report(dir.path(), "yesterday", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("daily US by views is not stored"),
        "{}",
        run.stderr
    );

    let run = report(dir.path(), "2026-10-30", &["-o", "page.html"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let written = std::fs::read_to_string(dir.path().join("page.html")).unwrap();
    assert!(written.starts_with("<!DOCTYPE html>"));
    // A file that cannot be written (its directory does not exist): status 1, nothing
    // left behind.
    let run = report(dir.path(), "2026-10-30", &["-o", "no/such/dir/page.html"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: output: cannot write no/such/dir/page.html"),
        "{}",
        run.stderr
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The page with a line break between tags, so a snapshot's diff shows what changed.
fn one_tag_a_line(page: &str) -> String {
    page.replace("><", ">\n<")
}

fn count(page: &scraper::Html, selector: &str) -> usize {
    page.select(&scraper::Selector::parse(selector).unwrap())
        .count()
}

/// Upstream text meant to run, hide or mislead.
const SCRIPT: &str = "<script>alert(1)</script>";
const BREAKOUT: &str = "\"><img src=x onerror=alert(1)>";

#[tokio::test]
async fn hostile_upstream_text_and_links_are_inert_in_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = |day: u64| {
        (1..=6u64)
            .map(|n| {
                let mut item = video(n + day);
                let long = "ﾌ".repeat(20_000);
                let fields = json!({
                    "video_desc": format!("{SCRIPT}{BREAKOUT} \u{202e}evil\u{200b}zero {long}"),
                    "nick_name": format!("{BREAKOUT}\u{2066}nick"),
                    "unique_id": format!("javascript:alert(1)/{BREAKOUT}"),
                    "reflow_cover": match n {
                        1 => "javascript:alert(1)".to_owned(),
                        2 => "data:image/svg+xml,<svg onload=alert(1)>".to_owned(),
                        3 => "http://example.com/cover.jpg".to_owned(),
                        4 => "https://example.com/a.jpg?\"><img/src=x/onerror=alert(1)>".to_owned(),
                        _ => "https://example.com/b.jpg".to_owned(),
                    },
                });
                if let (Value::Object(item), Value::Object(fields)) = (&mut item, fields) {
                    item.extend(fields);
                }
                item
            })
            .collect()
    };
    let path = store_days(dir.path(), [1, 2], 10, hostile).await;
    // A store may hold what an older version let through: links the decoder now refuses.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE entries SET cover_url = 'javascript:alert(1)' WHERE rank = 6",
            [],
        )
        .unwrap();

    let run = report(dir.path(), "2026-10-02", &["--periods", "2"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = scraper::Html::parse_document(&run.stdout);
    assert_eq!(count(&page, "tbody tr"), 6);
    assert_eq!(count(&page, "script"), 0);
    let mut links = 0;
    for element in page
        .tree
        .nodes()
        .filter_map(|node| node.value().as_element())
    {
        for (name, value) in element.attrs() {
            assert!(
                !name.to_ascii_lowercase().starts_with("on"),
                "event handler {name}={value:?} on <{}>",
                element.name()
            );
            if matches!(name, "href" | "src" | "xlink:href" | "action" | "srcset") {
                assert!(value.starts_with("https://"), "{name}={value:?}");
                links += 1;
            }
        }
    }
    // The covers that were https (videos 4 and 5; 1 to 3 were javascript:, data: and
    // http:, 6 was made javascript: in the file), escaped; and each video's link.
    assert_eq!(count(&page, "img"), 2);
    assert_eq!(count(&page, "tbody a[href^='https://www.tiktok.com/@']"), 6);
    assert!(links >= 8, "{links}");
    let text: String = page.root_element().text().collect();
    for hidden in ['\u{202e}', '\u{200b}', '\u{2066}'] {
        assert!(!text.contains(hidden), "{hidden:?} reached the page");
    }
    assert!(text.contains(SCRIPT), "the caption is shown as text");
    assert!(
        run.stdout.len() < 200_000,
        "strangers' long strings are bounded: {} bytes",
        run.stdout.len()
    );
}

#[tokio::test]
async fn the_top_100_over_30_periods_stays_under_a_mebibyte() {
    let dir = tempfile::tempdir().unwrap();
    let long_caption = "a long caption with many words ".repeat(100);
    store_days(dir.path(), 1..=30, 100, |day| {
        let mut order: Vec<u64> = (1..=130).collect();
        order.sort_by_key(|&video| (video * 37 + day * video * 11) % 1009);
        order
            .into_iter()
            .take(100)
            .map(|n| {
                let mut item = video(n);
                item["video_desc"] = json!(long_caption);
                item
            })
            .collect()
    })
    .await;
    let run = report(
        dir.path(),
        "2026-10-30",
        &["--top", "100", "--periods", "30"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = scraper::Html::parse_document(&run.stdout);
    assert_eq!(count(&page, "tbody tr"), 100);
    println!(
        "report of the top 100 over 30 periods: {} bytes",
        run.stdout.len()
    );
    assert!(run.stdout.len() < 1024 * 1024, "{} bytes", run.stdout.len());
}

/// The browser: Debian's `chromium` on the PATH, else another build of it (`chromium-browser`,
/// Google Chrome, which GitHub's runners carry).
fn chromium() -> Option<&'static str> {
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .into_iter()
    .find(|name| {
        std::process::Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// Runs headless Chromium on `page` with the network off (every host unresolvable, a
/// proxy that refuses), console messages logged to stderr; `(stdout, stderr)`.
fn open_in_chromium(browser: &str, page: &Path, extra: &[String]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{browser} failed: {output:?}");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The console messages Chromium logged (`INFO:CONSOLE…] "message", source: …`), but
/// for covers that could not load, which the page expects offline.
fn console_messages(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .filter(|line| !line.contains("Failed to load resource"))
        .collect()
}

#[tokio::test]
async fn a_real_browser_renders_the_page_offline_without_a_csp_violation_or_console_error() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no chromium on the PATH: .ci/run installs it (apt-get install chromium)"
        );
        eprintln!("skipped: no chromium on the PATH (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    october_store(dir.path()).await;
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&out).unwrap();
    let file = out.join("report.html");
    let _ = std::fs::remove_file(&file);
    let file_arg = file.to_str().unwrap();
    let run = report(dir.path(), "2026-10-30", &["--top", "20", "-o", file_arg]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The method sees a violation: the same policy over an inline script is reported.
    let html = std::fs::read_to_string(&file).unwrap();
    let policy_start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let policy_end = policy_start + html[policy_start..].find('>').unwrap() + 1;
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        format!(
            "<!DOCTYPE html><html><head>{}</head><body><script>console.error('ran')</script></body></html>",
            &html[policy_start..policy_end]
        ),
    )
    .unwrap();
    let (_, stderr) = open_in_chromium(browser, &control, &["--dump-dom".to_owned()]);
    let messages = console_messages(&stderr);
    assert!(
        messages
            .iter()
            .any(|line| line.contains("Content Security Policy")),
        "the control page's script was not reported: {stderr}"
    );

    let (dom, stderr) = open_in_chromium(browser, &file, &["--dump-dom".to_owned()]);
    let page = scraper::Html::parse_document(&dom);
    // Every video stored that day (14), each in its row.
    assert_eq!(count(&page, "tbody tr"), october(30).len(), "{dom}");
    assert_eq!(count(&page, "svg.chart g.series"), 10, "{dom}");
    assert!(count(&page, "svg.spark polyline") >= 20, "{dom}");
    assert_eq!(count(&page, "script"), 0);
    assert_eq!(
        console_messages(&stderr),
        Vec::<&str>::new(),
        "the page raised console messages"
    );

    let screenshot = out.join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    open_in_chromium(
        browser,
        &file,
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1200,1900".to_owned(),
        ],
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "no screenshot");
    println!("screenshot: {}", screenshot.display());
}

/// `-o` makes a private file (0600) and keeps an existing file's mode private: replacing
/// a file the user had made private does not open it to everyone.
#[cfg(unix)]
#[tokio::test]
async fn o_writes_a_private_file_even_over_a_private_one() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    store_days(dir.path(), [1, 2], 10, |day| {
        (1..=5).map(|n| video(n + day)).collect()
    })
    .await;
    let mode = |name: &str| {
        std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };

    let run = report(dir.path(), "2026-10-02", &["-o", "new.html"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mode("new.html"), 0o600);

    let kept = dir.path().join("kept.html");
    std::fs::write(&kept, "mine").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = report(dir.path(), "2026-10-02", &["-o", "kept.html"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mode("kept.html"), 0o600);
    assert!(
        std::fs::read_to_string(&kept)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
}

/// `-o` onto what is not a regular file: a FIFO (or `/dev/stdout`, a terminal) is written
/// into, not replaced by a file; a symbolic link to a file is replaced, never followed over
/// the file it names (which may not be the user's to overwrite).
#[cfg(unix)]
#[tokio::test]
async fn o_writes_into_a_fifo_and_replaces_a_symbolic_link() {
    use std::os::unix::fs::FileTypeExt;

    let dir = tempfile::tempdir().unwrap();
    store_days(dir.path(), [1, 2], 10, |day| {
        (1..=5).map(|n| video(n + day)).collect()
    })
    .await;

    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let run = report(dir.path(), "2026-10-02", &["-o", "pipe"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
    assert!(reader.join().unwrap().starts_with("<!DOCTYPE html>"));

    let target = dir.path().join("target.html");
    std::fs::write(&target, "old").unwrap();
    std::os::unix::fs::symlink("target.html", dir.path().join("link.html")).unwrap();
    let run = report(dir.path(), "2026-10-02", &["-o", "link.html"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(dir.path().join("link.html"))
            .unwrap()
            .file_type()
            .is_file(),
        "the link was followed"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
}

/// A ranking stored empty (not yet published when fetched, not settled): the page says
/// so and gives the command that fetches it again, and does not call every video of the
/// day before one that left.
#[tokio::test]
async fn an_empty_ranking_says_it_is_empty_and_how_to_fetch_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_days(dir.path(), [1, 2], 10, |day| {
        if day == 1 {
            (1..=5).map(video).collect()
        } else {
            Vec::new()
        }
    })
    .await;
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE rankings SET settled = 0 WHERE date = '2026-10-02'",
            [],
        )
        .unwrap();
    let run = report(dir.path(), "2026-10-02", &["--periods", "2"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = scraper::Html::parse_document(&run.stdout);
    let text: String = page.root_element().text().collect();
    assert!(
        text.contains("No video is stored in this ranking"),
        "{text}"
    );
    assert!(
        text.contains(
            "keyapi-tiktok sync --date 2026-10-02 --region US --by views --period daily --db rankings.sqlite3"
        ),
        "{text}"
    );
    assert!(!text.contains("Left the ranking (5)"), "{text}");
}
