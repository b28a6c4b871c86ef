//! Tests that the documentation of the record fields cannot drift from the code: the
//! field list in `videos --help`, the CSV columns and `RankedVideo::FIELDS` must agree
//! (the library's own tests hold its README's field table to `RankedVideo::FIELDS`); so
//! must the fields `history --help` and `movers --help` list, their CSV columns and this
//! crate's README; and the daily sync that `contrib/systemd/` ships and the root README's
//! cron line must be command lines the parser accepts.

use keyapi_tiktok::RankedVideo;

use crate::output::CSV_COLUMNS;
use crate::videos::VIDEOS_AFTER_HELP;

const CLI_README: &str = include_str!("../README.md");

/// The record field a `FIELDS` entry ends up in: `history.views` → `history_views`.
fn record_field(field: &str) -> String {
    field.replace('.', "_")
}

/// The fields `videos --help` lists, in order: the comma-separated words between
/// "Records carry" and the full stop that ends the list.
fn fields_in_help() -> Vec<String> {
    let start = VIDEOS_AFTER_HELP
        .find("Records carry")
        .expect("--help lists the record fields");
    let list = &VIDEOS_AFTER_HELP[start..];
    let list = &list[list.find(":\n").expect("a list after a colon") + 2..];
    let list = &list[..list.find(".\n").expect("a full stop ends the list")];
    list.split(',')
        .map(|field| field.trim().to_owned())
        .collect()
}

#[test]
fn help_lists_exactly_the_csv_columns_then_extra() {
    let mut expected: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
    expected.push("extra".to_owned());
    assert_eq!(fields_in_help(), expected);
}

#[test]
fn every_mapped_upstream_field_has_a_csv_column() {
    for mapping in RankedVideo::FIELDS {
        let column = record_field(mapping.field);
        assert!(
            CSV_COLUMNS.contains(&column.as_str()),
            "`{}` maps to `{}`, which has no CSV column `{column}`",
            mapping.wire,
            mapping.field
        );
    }
}

/// The comma-separated fields after "Fields" in a `--help` text.
fn fields_listed(help: &str) -> Vec<String> {
    let start = help.find("Fields (").expect("--help lists the fields");
    let list = &help[start..];
    let list = &list[list.find(":\n").expect("a list after a colon") + 2..];
    list.split(',')
        .map(|field| field.trim().to_owned())
        .collect()
}

#[test]
fn history_and_movers_help_list_exactly_their_columns() {
    use crate::queries::{HISTORY_AFTER_HELP, MOVERS_AFTER_HELP};
    use crate::rows::Row;
    use keyapi_tiktok_store::{HistoryEntry, Mover};

    assert_eq!(fields_listed(HISTORY_AFTER_HELP), HistoryEntry::COLUMNS);
    assert_eq!(fields_listed(MOVERS_AFTER_HELP), Mover::COLUMNS);
    // The README's lines wrap inside the list.
    let readme = CLI_README.split_whitespace().collect::<Vec<_>>().join(" ");
    for columns in [HistoryEntry::COLUMNS, Mover::COLUMNS] {
        let listed = format!("`{}`", columns.join(", "));
        assert!(readme.contains(&listed), "the CLI README lists {listed}");
    }
}

/// A file of the repository, read at test time (the package ships neither file).
fn repository_file(path: &str) -> String {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{full}: {error}"))
}

/// `words` after the program, parsed as the command line they are.
fn assert_parses(program: &str, words: &[&str], source: &str) {
    assert!(
        program.ends_with("keyapi-tiktok"),
        "{source} runs {program}, not keyapi-tiktok"
    );
    let mut line = vec!["keyapi-tiktok"];
    line.extend(words);
    let parsed = <crate::cli::Cli as clap::Parser>::try_parse_from(&line);
    match parsed {
        Ok(cli) => assert!(
            matches!(cli.command, crate::cli::Command::Sync(_)),
            "{source} runs {words:?}, not sync"
        ),
        Err(error) => panic!("{source}: {words:?} does not parse:\n{error}"),
    }
}

#[test]
fn the_shipped_systemd_unit_and_the_readme_cron_line_run_a_valid_sync() {
    let unit = repository_file("contrib/systemd/keyapi-tiktok-sync.service");
    let exec = unit
        .lines()
        .find_map(|line| line.strip_prefix("ExecStart="))
        .expect("the service has an ExecStart line");
    // No quotes, escapes or specifiers in the arguments: split as systemd splits words.
    assert!(!exec.contains(['"', '\'', '\\', '$']), "{exec}");
    let words: Vec<&str> = exec.split_whitespace().collect();
    assert!(!words[1..].iter().any(|word| word.contains('%')), "{exec}");
    assert_parses(words[0], &words[1..], "the systemd unit");
    assert!(words.contains(&"today-7..yesterday") && words.contains(&"--quiet"));

    let timer = repository_file("contrib/systemd/keyapi-tiktok-sync.timer");
    assert!(timer.contains("OnCalendar=") && timer.contains("Persistent=true"));

    // The root README's cron line: five time fields, then the command.
    let readme = repository_file("README.md");
    let cron = readme
        .lines()
        .find(|line| line.starts_with("30 2 * * *"))
        .expect("the README has a cron line");
    let command = &cron[cron
        .find("\"$HOME/.cargo/bin/keyapi-tiktok\"")
        .expect("the program")..];
    let command = command.split(" >>").next().unwrap_or(command);
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_parses(
        words[0].trim_matches('"'),
        &words[1..],
        "the README's cron line",
    );
    assert_eq!(
        &exec[exec.find(" sync ").unwrap()..],
        &command[command.find(" sync ").unwrap()..],
        "the cron line and the systemd unit run the same sync"
    );
}

#[test]
fn the_readme_report_example_parses_as_a_report() {
    let readme = repository_file("README.md");
    let line = readme
        .lines()
        .find(|line| line.starts_with("keyapi-tiktok report "))
        .expect("the README shows a report command");
    let words: Vec<&str> = line.split_whitespace().collect();
    match <crate::cli::Cli as clap::Parser>::try_parse_from(&words) {
        Ok(cli) => assert!(matches!(cli.command, crate::cli::Command::Report(_))),
        Err(error) => panic!("{line} does not parse:\n{error}"),
    }
}

/// The cron line as cron runs it: `sh -c` in a home holding only the key file and the
/// program (a stub that notes its arguments), with cron's bare environment.
#[cfg(unix)]
#[test]
fn the_readme_cron_line_runs_the_sync_in_a_fresh_home() {
    use std::os::unix::fs::PermissionsExt;

    let readme = repository_file("README.md");
    let cron = readme
        .lines()
        .find(|line| line.starts_with("30 2 * * *"))
        .expect("the README has a cron line");
    let command = cron.splitn(6, ' ').nth(5).expect("five time fields");
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".config/keyapi-tiktok");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("env"), "KEYAPI_API_KEY=test-key\n").unwrap();
    let bin = home.path().join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let program = bin.join("keyapi-tiktok");
    std::fs::write(
        &program,
        "#!/bin/sh\necho \"$KEYAPI_API_KEY $*\" > \"$HOME/ran\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();

    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(output.status.success(), "the cron line failed: {output:?}");
    let ran = std::fs::read_to_string(home.path().join("ran")).expect("the sync did not run");
    assert!(
        ran.starts_with("test-key sync --date today-7..yesterday "),
        "{ran}"
    );
}
