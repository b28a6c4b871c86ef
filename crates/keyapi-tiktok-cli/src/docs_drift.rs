//! Tests that the documentation of the record fields cannot drift from the code: the
//! field list in `videos --help`, the CSV columns, `RankedVideo::FIELDS` and the field
//! table in the library's README (`crates/keyapi-tiktok/README.md`) must agree; so must
//! the fields `history --help` and `movers --help` list, their CSV columns and this
//! crate's README.

use keyapi_tiktok::RankedVideo;

use crate::args::VIDEOS_AFTER_HELP;
use crate::output::CSV_COLUMNS;

const README: &str = include_str!("../../keyapi-tiktok/README.md");
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

/// The README's field table: (upstream name, `RankedVideo` field) for each row.
fn readme_table() -> Vec<(String, String)> {
    let start = README
        .find("| upstream | `RankedVideo` | type |")
        .expect("the README has the field table");
    README[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            // The first `code` span of a cell, else its text ("anything else").
            let first_code = |cell: &str| Some(cell.split('`').nth(1).unwrap_or(cell).to_owned());
            Some((first_code(cells.get(1)?)?, first_code(cells.get(2)?)?))
        })
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

#[test]
fn the_readme_field_table_is_fields_row_for_row() {
    let mut expected: Vec<(String, String)> = RankedVideo::FIELDS
        .iter()
        .map(|m| (m.wire.to_owned(), m.field.to_owned()))
        .collect();
    let mut table = readme_table();
    // The last row is the catch-all: `extra`, for anything else.
    assert_eq!(
        table.pop().map(|(_, field)| field).as_deref(),
        Some("extra")
    );
    table.sort();
    expected.sort();
    assert_eq!(
        table, expected,
        "README.md's field table vs RankedVideo::FIELDS"
    );
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
