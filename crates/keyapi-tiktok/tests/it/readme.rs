//! The README's field table (`upstream` → `RankedVideo` field) cannot drift from
//! `RankedVideo::FIELDS`; the command's tests hold `--help` and its CSV columns to the same.

use keyapi_tiktok::RankedVideo;

const README: &str = include_str!("../../README.md");

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
