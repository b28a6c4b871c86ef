//! Every shell example in the repository's Markdown that needs no network, run: each
//! ```` ```sh ```` block's commands whose program is `keyapi-tiktok` (`completions`, `man`,
//! `cache stats`, `history`, `movers`, `report`, and `sync` as its `--dry-run`), `sqlite3`
//! or `mkdir`, in bash, with this build's command first on `PATH`, against a store that a `sync` from the test
//! kit filled (at `rankings.sqlite3` in the working directory and at the default
//! `~/.local/share/keyapi-tiktok/rankings.sqlite3` of a temporary `HOME`) and a cache it
//! made. New examples are picked up as they are written; one that fails names its file
//! and line. What needs the network or a paid key (`videos`, `cargo`, `duckdb`,
//! `datasette`) is left to the tests of those commands.

use std::path::{Path, PathBuf};
use std::process::Command;

use keyapi_tiktok_testkit::FakeKeyApi;

/// The programs an example may start here.
fn runnable(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    matches!(
        words.as_slice(),
        [
            "keyapi-tiktok",
            "completions" | "man" | "history" | "movers" | "report" | "sync",
            ..
        ] | ["keyapi-tiktok", "cache", "stats", ..]
            | ["sqlite3" | "mkdir", ..]
    )
}

/// The commands of a `sh` block: continuation lines joined, comments and blank lines
/// dropped, a quoted string spanning lines kept whole; each with its line number.
fn commands(code: &str, first_line: usize) -> Vec<(usize, String)> {
    let mut commands = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (index, line) in code.lines().enumerate() {
        if current.is_empty() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            start = first_line + 1 + index;
        }
        current.push_str(line);
        current.push('\n');
        let open_quotes = current.matches('"').count() % 2 == 1;
        if line.ends_with('\\') || open_quotes {
            continue;
        }
        commands.push((start, std::mem::take(&mut current)));
    }
    commands
}

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                markdown_files(&path, found);
            }
        } else if name.ends_with(".md") && name != "CHANGELOG.md" {
            found.push(path);
        }
    }
}

/// The `sh` blocks of `markdown`: (the line of the fence, the code).
fn sh_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        if line.starts_with("```") {
            match open.take() {
                Some(block) => blocks.push(block),
                None if line.trim() == "```sh" => open = Some((index + 1, String::new())),
                None => open = Some((usize::MAX, String::new())),
            }
        } else if let Some((_, code)) = &mut open {
            code.push_str(line);
            code.push('\n');
        }
    }
    blocks.retain(|(line, _)| *line != usize::MAX);
    blocks
}

#[tokio::test(flavor = "multi_thread")]
async fn every_shell_example_that_needs_no_network_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_keyapi-tiktok"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let bash = |script: &str| {
        Command::new("bash")
            .args(["--norc", "--noprofile", "-o", "pipefail", "-c", script])
            .current_dir(work.path())
            .env("HOME", home.path())
            .env("PATH", &path)
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("XDG_CACHE_HOME", home.path().join(".cache"))
            .env_remove("KEYAPI_DB")
            .env_remove("KEYAPI_CACHE_DIR")
            .env_remove("KEYAPI_API_KEY")
            .env_remove("KEYAPI_BASE_URL")
            .output()
            .unwrap()
    };

    // The store and cache the examples ask: a week of daily US rankings by views and by
    // sales from the test kit, into the default store, copied to ./rankings.sqlite3; a
    // videos run fills the default cache.
    let fake = FakeKeyApi::start().await;
    let base_url = fake.base_url();
    let fill = format!(
        "export KEYAPI_API_KEY=test-key KEYAPI_BASE_URL={base_url}
         keyapi-tiktok sync --quiet --date 2026-11-24..2026-11-30 --region US --by views,sales \
             --period daily --limit 30 &&
         cp ~/.local/share/keyapi-tiktok/rankings.sqlite3 rankings.sqlite3 &&
         keyapi-tiktok videos --quiet --date 2026-11-24 --region US --by views --period daily >/dev/null"
    );
    // The fake server answers on the runtime's other threads meanwhile.
    let filled = tokio::task::block_in_place(|| bash(&fill));
    assert!(filled.status.success(), "filling the store: {filled:?}");

    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    let have_sqlite3 = Command::new("sqlite3").arg("-version").output().is_ok();
    assert!(
        have_sqlite3 || std::env::var_os("CI").is_none(),
        "sqlite3 is missing: .ci/run installs it"
    );
    let mut ran = 0;
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (fence, code) in sh_blocks(&text) {
            for (line, command) in commands(&code, fence) {
                let skipped = !have_sqlite3 && command.starts_with("sqlite3");
                if !runnable(&command) || skipped {
                    continue;
                }
                // A sync that would spend credits is checked as its dry run: the same
                // arguments validated, the plan printed, nothing sent.
                let command = if command.starts_with("keyapi-tiktok sync ")
                    && !command.contains("--dry-run")
                {
                    command.replacen("keyapi-tiktok sync ", "keyapi-tiktok sync --dry-run ", 1)
                } else {
                    command
                };
                let output = bash(&command);
                ran += 1;
                if !output.status.success() {
                    failures.push(format!(
                        "{}:{line}: {command}{}",
                        file.strip_prefix(&root).unwrap_or(&file).display(),
                        String::from_utf8_lossy(&output.stderr)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "examples that failed:\n{}",
        failures.join("\n")
    );
    assert!(ran >= 10, "only {ran} examples ran");
}
