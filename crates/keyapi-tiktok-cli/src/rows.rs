//! Writes the answers of `history` and `movers`, read whole from the store, as a table,
//! JSON, NDJSON or CSV, with the cleaning `videos` gives its records.

use std::io::{self, Write};

use serde::Serialize;

use crate::flags::Format;
use crate::output;

/// A row the store answers with, printable in every format.
pub(crate) trait Row: Serialize {
    /// The CSV columns: the row's JSON fields, in order.
    const COLUMNS: &'static [&'static str];

    /// The table's header line.
    fn table_header() -> String;

    /// The row's table line (cleaned for a terminal, by [`crate::table::aligned`]).
    fn table_line(&self) -> String;
}

/// Writes `rows` to `out` in `format`: JSON and NDJSON carry the text exactly, CSV cells
/// are made spreadsheet-safe, the table is cleaned for a terminal. An empty answer is `[]`
/// in JSON, the header alone in CSV and nothing in a table or NDJSON.
pub(crate) fn write<T: Row>(format: Format, rows: &[T], mut out: impl Write) -> io::Result<()> {
    match format {
        Format::Table if rows.is_empty() => {}
        Format::Table => {
            writeln!(out, "{}", T::table_header())?;
            for row in rows {
                writeln!(out, "{}", row.table_line())?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            out.write_all(b"\n")?;
        }
        Format::Ndjson => {
            for row in rows {
                serde_json::to_writer(&mut out, row)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(&mut out);
            csv.write_record(T::COLUMNS)?;
            for row in rows {
                csv.write_record(output::csv_row(row, T::COLUMNS)?)?;
            }
            csv.flush()?;
        }
    }
    out.flush()
}

/// The JSON fields of `row`, in order: what [`Row::COLUMNS`] must be.
#[cfg(test)]
pub(crate) fn json_fields(row: &impl Serialize) -> Vec<String> {
    let json = serde_json::to_string(row).unwrap();
    let serde_json::Value::Object(fields) = serde_json::from_str(&json).unwrap() else {
        panic!("a row is a JSON object: {json}");
    };
    // serde_json's map keeps keys sorted unless `preserve_order` is on: order by position.
    let mut names: Vec<String> = fields.keys().cloned().collect();
    names.sort_by_key(|name| json.find(&format!("\"{name}\":")));
    names
}
