//! The table format: fixed columns that fit 120 terminal columns, measured by display
//! width so wide characters (CJK, emoji) keep every column aligned.

use crate::output::Record;
use crate::sanitize;

/// `(title, width, right-aligned)`; the description takes what is left of 120.
const COLUMNS: [(&str, usize, bool); 8] = [
    ("RANK", 4, true),
    ("VIEWS", 7, true),
    ("LIKES", 7, true),
    ("SOLD", 7, true),
    ("GMV", 7, true),
    ("CREATOR", 18, false),
    ("POSTED", 10, false),
    ("VIDEO ID", 19, false),
];
const DESCRIPTION_WIDTH: usize = 25;

/// The header line.
pub(crate) fn header() -> String {
    line(COLUMNS.map(|(title, _, _)| title.to_owned()), "DESCRIPTION")
}

/// One record's line.
pub(crate) fn row(record: &Record) -> String {
    let creator = match (&record.unique_id, &record.nick_name) {
        (Some(handle), _) => format!("@{handle}"),
        (None, Some(name)) => name.clone(),
        (None, None) => "-".to_owned(),
    };
    let cells = [
        record.rank.to_string(),
        count(record.views),
        count(record.likes),
        count(record.units_sold),
        record.gmv.map_or_else(|| "-".to_owned(), compact),
        creator,
        record
            .created_at
            .map_or_else(|| "-".to_owned(), |t| t.strftime("%Y-%m-%d").to_string()),
        record.video_id.clone(),
    ];
    let description = record.description.as_deref().unwrap_or("");
    line(cells, description)
}

/// Cells cleaned for a terminal, cut and padded to their column's display width.
fn line(cells: [String; 8], description: &str) -> String {
    let columns = cells
        .iter()
        .zip(COLUMNS)
        .map(|(cell, (_, width, right))| (cell.as_str(), width, right));
    aligned(columns, description, DESCRIPTION_WIDTH)
}

/// One line of `(cell, width, right-aligned)` columns, two spaces apart, then `last` cut
/// to `last_width`: every cell cleaned for a terminal and measured by display width.
pub(crate) fn aligned<'a>(
    cells: impl IntoIterator<Item = (&'a str, usize, bool)>,
    last: &str,
    last_width: usize,
) -> String {
    let mut line = String::new();
    for (cell, width, right) in cells {
        let cell = sanitize::fit(&sanitize::for_terminal(cell), width);
        let pad = " ".repeat(width.saturating_sub(sanitize::width(&cell)));
        if right {
            line.push_str(&pad);
            line.push_str(&cell);
        } else {
            line.push_str(&cell);
            line.push_str(&pad);
        }
        line.push_str("  ");
    }
    line.push_str(&sanitize::fit(&sanitize::for_terminal(last), last_width));
    line.trim_end().to_owned()
}

/// A count shortened as [`compact`] does, `-` when unknown.
pub(crate) fn count(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_owned(), |n| compact(n as f64))
}

/// `999`, `45.6K`, `1.2M`, `3.0B`: one decimal from a thousand up; `9.2e18` past 999.9T.
pub(crate) fn compact(n: f64) -> String {
    const UNITS: [&str; 5] = ["", "K", "M", "B", "T"];
    let mut scaled = n;
    let mut unit = 0;
    // 999.95 and above would print as 1000.0 in the smaller unit.
    while scaled.abs() >= 999.95 && unit < UNITS.len() - 1 {
        scaled /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n:.0}")
    } else if scaled.abs() >= 999.95 {
        // Past the trillions (i64::MAX views, an absurd GMV): an exponent, not hundreds
        // of digits.
        format!("{n:.1e}")
    } else {
        format!("{scaled:.1}{}", UNITS[unit])
    }
}
