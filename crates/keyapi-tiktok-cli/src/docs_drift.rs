//! Tests that the documentation of the record fields cannot drift from the code: the
//! field list in `videos --help`, the CSV columns and `RankedVideo::FIELDS` must agree
//! (the library's own tests hold its README's field table to `RankedVideo::FIELDS`); so
//! must the fields `history --help` and `movers --help` list, their CSV columns and this
//! crate's README.

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
