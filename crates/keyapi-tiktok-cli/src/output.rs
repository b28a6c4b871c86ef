//! What the command prints: one [`Record`] per ranked video, written as a table, JSON,
//! NDJSON or CSV by a [`RecordWriter`].

use std::io::{self, Write};

use jiff::Timestamp;
use keyapi_tiktok::{ProductCategory, RankedVideo, SalesMethod};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::flags::Format;
use crate::{sanitize, table};

/// One ranked video as the command prints it. JSON and NDJSON serialise it as it is; CSV
/// writes the same columns in the same order, without `extra`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Record {
    pub(crate) rank: u64,
    pub(crate) video_id: String,
    pub(crate) video_url: String,
    pub(crate) user_id: Option<String>,
    pub(crate) unique_id: Option<String>,
    pub(crate) nick_name: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) category: Option<String>,
    /// RFC 3339, UTC (`2026-01-31T05:46:45Z`).
    pub(crate) created_at: Option<Timestamp>,
    pub(crate) duration_secs: Option<u64>,
    pub(crate) created_by_ai: Option<bool>,
    /// `none`, `video`, `live` or `unknown`.
    pub(crate) sales_method: Option<SalesMethod>,
    pub(crate) views: Option<u64>,
    pub(crate) likes: Option<u64>,
    pub(crate) comments: Option<u64>,
    pub(crate) shares: Option<u64>,
    pub(crate) favorites: Option<u64>,
    pub(crate) units_sold: Option<u64>,
    pub(crate) gmv: Option<f64>,
    pub(crate) product_ids: Vec<String>,
    pub(crate) product_categories: Vec<ProductCategory>,
    pub(crate) description: Option<String>,
    pub(crate) cover_url: Option<String>,
    pub(crate) avatar_url: Option<String>,
    pub(crate) history_views: Option<u64>,
    pub(crate) history_likes: Option<u64>,
    pub(crate) history_comments: Option<u64>,
    pub(crate) history_favorites: Option<u64>,
    pub(crate) history_shares: Option<u64>,
    pub(crate) history_units_sold: Option<u64>,
    pub(crate) history_gmv: Option<f64>,
    /// Fields upstream sent that the client does not know, as received.
    pub(crate) extra: Map<String, Value>,
}

/// The CSV header: every field of [`Record`] but `extra`, in declaration order.
pub(crate) const CSV_COLUMNS: [&str; 31] = [
    "rank",
    "video_id",
    "video_url",
    "user_id",
    "unique_id",
    "nick_name",
    "region",
    "category",
    "created_at",
    "duration_secs",
    "created_by_ai",
    "sales_method",
    "views",
    "likes",
    "comments",
    "shares",
    "favorites",
    "units_sold",
    "gmv",
    "product_ids",
    "product_categories",
    "description",
    "cover_url",
    "avatar_url",
    "history_views",
    "history_likes",
    "history_comments",
    "history_favorites",
    "history_shares",
    "history_units_sold",
    "history_gmv",
];

impl From<RankedVideo> for Record {
    fn from(video: RankedVideo) -> Record {
        Record {
            video_url: video.video_url(),
            rank: video.rank,
            video_id: video.video_id,
            user_id: video.user_id,
            unique_id: video.unique_id,
            nick_name: video.nick_name,
            region: video.region,
            category: video.category,
            created_at: video.created_at,
            duration_secs: video.duration_secs,
            created_by_ai: video.created_by_ai,
            sales_method: video.sales_method,
            views: video.views,
            likes: video.likes,
            comments: video.comments,
            shares: video.shares,
            favorites: video.favorites,
            units_sold: video.units_sold,
            gmv: video.gmv,
            product_ids: video
                .product_ids
                .iter()
                .map(|id| id.as_str().to_owned())
                .collect(),
            product_categories: video.product_categories,
            description: video.description,
            cover_url: video.cover_url.map(String::from),
            avatar_url: video.avatar_url.map(String::from),
            history_views: video.history.views,
            history_likes: video.history.likes,
            history_comments: video.history.comments,
            history_favorites: video.history.favorites,
            history_shares: video.history.shares,
            history_units_sold: video.history.units_sold,
            history_gmv: video.history.gmv,
            extra: video.extra,
        }
    }
}

impl Record {
    /// The CSV cells, in [`CSV_COLUMNS`] order, taken from the record's JSON form so CSV
    /// and JSON cannot disagree: null is empty, lists are joined by `;`, and a product
    /// category is `id:name`. Text cells are made spreadsheet-safe
    /// ([`sanitize::for_csv`]); numbers and booleans are written as they are.
    fn csv_row(&self) -> io::Result<Vec<String>> {
        csv_row(self, &CSV_COLUMNS)
    }
}

/// The CSV cells of `row`'s JSON object, in `columns` order (see [`Record::csv_row`]).
pub(crate) fn csv_row(row: &impl Serialize, columns: &[&str]) -> io::Result<Vec<String>> {
    let Value::Object(mut fields) = serde_json::to_value(row)? else {
        return Err(io::Error::other("a record is not a JSON object"));
    };
    Ok(columns
        .iter()
        .map(
            |column| match fields.remove(*column).unwrap_or(Value::Null) {
                text @ (Value::String(_) | Value::Array(_) | Value::Object(_)) => {
                    sanitize::for_csv(&csv_cell(text))
                }
                other => csv_cell(other),
            },
        )
        .collect())
}

fn csv_cell(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text,
        Value::Array(items) => items
            .into_iter()
            .map(csv_cell)
            .collect::<Vec<_>>()
            .join(";"),
        Value::Object(mut category) => {
            let mut part = |key| csv_cell(category.remove(key).unwrap_or(Value::Null));
            format!("{}:{}", part("id"), part("name"))
        }
        other => other.to_string(),
    }
}

/// Writes records in one format to `out`. Table, NDJSON and CSV rows are written and
/// flushed page by page, so a failure later keeps them; JSON is written by
/// [`finish`](RecordWriter::finish), once every page has arrived.
pub(crate) enum RecordWriter<W: Write> {
    /// Aligned columns.
    Table { out: W, header_written: bool },
    /// One array.
    Json { out: W, records: Vec<Record> },
    /// One object a line.
    Ndjson { out: W },
    /// Header and rows (boxed: the csv writer carries its own buffer).
    Csv {
        out: Box<csv::Writer<W>>,
        header_written: bool,
    },
}

impl<W: Write> RecordWriter<W> {
    /// A writer of `format` to `out`; nothing is written yet.
    pub(crate) fn new(format: Format, out: W) -> RecordWriter<W> {
        match format {
            Format::Table => RecordWriter::Table {
                out,
                header_written: false,
            },
            Format::Json => RecordWriter::Json {
                out,
                records: Vec::new(),
            },
            Format::Ndjson => RecordWriter::Ndjson { out },
            Format::Csv => RecordWriter::Csv {
                out: Box::new(csv::Writer::from_writer(out)),
                header_written: false,
            },
        }
    }

    /// Writes (or, for JSON, keeps) one page of records.
    pub(crate) fn write(&mut self, records: Vec<Record>) -> io::Result<()> {
        match self {
            RecordWriter::Table {
                out,
                header_written,
            } => {
                if !*header_written {
                    writeln!(out, "{}", table::header())?;
                    *header_written = true;
                }
                for record in &records {
                    writeln!(out, "{}", table::row(record))?;
                }
                out.flush()
            }
            RecordWriter::Json { records: kept, .. } => {
                kept.extend(records);
                Ok(())
            }
            RecordWriter::Ndjson { out } => {
                for record in &records {
                    serde_json::to_writer(&mut *out, record)?;
                    out.write_all(b"\n")?;
                }
                out.flush()
            }
            RecordWriter::Csv {
                out,
                header_written,
            } => {
                if !*header_written {
                    out.write_record(CSV_COLUMNS)?;
                    *header_written = true;
                }
                for record in &records {
                    out.write_record(record.csv_row()?)?;
                }
                out.flush()
            }
        }
    }

    /// Ends the output after the last page: the JSON array, or the CSV header when there
    /// were no rows. A table with no rows prints nothing.
    pub(crate) fn finish(self) -> io::Result<()> {
        match self {
            RecordWriter::Table { mut out, .. } | RecordWriter::Ndjson { mut out } => out.flush(),
            RecordWriter::Json { mut out, records } => {
                serde_json::to_writer_pretty(&mut out, &records)?;
                out.write_all(b"\n")?;
                out.flush()
            }
            RecordWriter::Csv {
                mut out,
                header_written,
            } => {
                if !header_written {
                    out.write_record(CSV_COLUMNS)?;
                }
                out.flush()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's own example item, with a second category and an unknown field.
    const BODY: &str = r#"{"code":0,"message":"success","requestId":"r-1","data":[{
        "avatar":"https://example.com/avatar.jpg","category":"Other","create_time":"1769838405",
        "created_by_ai":"false","duration":15,"nick_name":"ﾌひﾚﾉの",
        "product_category_list":"[{\"category_name\":\"Beauty & Personal Care\",\"category_id\":\"601450\"},{\"category_name\":\"Home Supplies\",\"category_id\":\"600001\"}]",
        "reflow_cover":"https://example.com/cover.jpg","region":"US","sales_flag":1,
        "total_comments_cnt":0,"total_digg_cnt":0,"total_favorites_cnt":0,"total_shares_cnt":0,
        "total_video_sale_cnt":5508,"total_video_sale_gmv_amt":44613,"total_views_cnt":0,
        "unique_id":"iamjuliocr","user_id":"6633792625097490438",
        "video_desc":"W huzz magnet 🧲 #fyp #ttshopfinds","video_id":"7601397977986501919",
        "video_products":"[1729436418527695003]","brand_new":7}]}"#;

    fn record() -> Record {
        let query = keyapi_tiktok::VideoRankingQuery::new(
            jiff::civil::date(2026, 1, 31),
            "US".parse().unwrap(),
            keyapi_tiktok::RankField::Sales,
            keyapi_tiktok::Period::Daily,
        );
        let mut page = keyapi_tiktok::Page::from_body(BODY.as_bytes(), &query).unwrap();
        Record::from(page.items.remove(0))
    }

    fn written(format: Format, pages: Vec<Vec<Record>>) -> String {
        let mut out = Vec::new();
        let mut writer = RecordWriter::new(format, &mut out);
        for page in pages {
            writer.write(page).unwrap();
        }
        writer.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn records_carry_the_contract_fields() {
        let value = serde_json::to_value(record()).unwrap();
        assert_eq!(value["rank"], 1);
        assert_eq!(value["video_id"], "7601397977986501919");
        assert_eq!(
            value["video_url"],
            "https://www.tiktok.com/@iamjuliocr/video/7601397977986501919"
        );
        assert_eq!(value["created_at"], "2026-01-31T05:46:45Z");
        assert_eq!(value["created_by_ai"], false);
        assert_eq!(value["sales_method"], "video");
        assert_eq!(value["units_sold"], 5508);
        assert_eq!(value["gmv"], 44613.0);
        assert_eq!(value["product_ids"][0], "1729436418527695003");
        assert_eq!(
            value["product_categories"][0],
            serde_json::json!({ "id": "601450", "name": "Beauty & Personal Care" })
        );
        assert_eq!(value["history_views"], Value::Null);
        assert_eq!(value["extra"], serde_json::json!({ "brand_new": 7 }));
    }

    #[test]
    fn csv_columns_are_the_json_fields_in_order_without_extra() {
        let json = serde_json::to_string(&record()).unwrap();
        let positions: Vec<usize> = CSV_COLUMNS
            .iter()
            .chain(["extra"].iter())
            .map(|column| {
                json.find(&format!("\"{column}\":"))
                    .unwrap_or_else(|| panic!("{column} is not in {json}"))
            })
            .collect();
        assert!(positions.is_sorted(), "{json}");
        let Value::Object(fields) = serde_json::to_value(record()).unwrap() else {
            unreachable!()
        };
        assert_eq!(fields.len(), CSV_COLUMNS.len() + 1);
    }

    #[test]
    fn csv_joins_lists_and_leaves_nulls_empty() {
        let text = written(Format::Csv, vec![vec![record()]]);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, CSV_COLUMNS);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let cell = |name| &rows[0][CSV_COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert_eq!(
            cell("product_categories"),
            "601450:Beauty & Personal Care;600001:Home Supplies"
        );
        assert_eq!(cell("product_ids"), "1729436418527695003");
        assert_eq!(cell("created_by_ai"), "false");
        assert_eq!(cell("created_at"), "2026-01-31T05:46:45Z");
        assert_eq!(cell("history_views"), "");
        assert_eq!(cell("nick_name"), "ﾌひﾚﾉの");
    }

    #[test]
    fn csv_of_an_empty_ranking_is_the_header_alone() {
        assert_eq!(
            written(Format::Csv, vec![]),
            format!("{}\n", CSV_COLUMNS.join(","))
        );
    }

    #[test]
    fn json_is_one_array_and_ndjson_one_object_a_line() {
        let pages = || vec![vec![record(), record()], vec![record()]];
        let array: Vec<Value> = serde_json::from_str(&written(Format::Json, pages())).unwrap();
        assert_eq!(array.len(), 3);
        assert_eq!(written(Format::Json, vec![]).trim(), "[]");
        let ndjson = written(Format::Ndjson, pages());
        assert_eq!(ndjson.lines().count(), 3);
        for line in ndjson.lines() {
            let value: Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["video_id"], "7601397977986501919");
        }
        assert_eq!(written(Format::Ndjson, vec![]), "");
    }

    #[test]
    fn the_table_is_aligned_compact_and_fits_120_columns() {
        let mut long = record();
        long.rank = 10;
        long.views = Some(1_234_567);
        long.likes = Some(45_600);
        long.description = Some("été\nnouveau 🧲 ".repeat(20));
        let text = written(Format::Table, vec![vec![record(), long]]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("RANK    VIEWS    LIKES     SOLD      GMV  CREATOR"));
        assert!(lines[1].starts_with("   1        0        0     5.5K    44.6K  @iamjuliocr"));
        assert!(lines[2].starts_with("  10     1.2M    45.6K     5.5K    44.6K  @iamjuliocr"));
        assert!(lines[1].contains("2026-01-31  7601397977986501919  W huzz magnet"));
        assert!(lines[2].ends_with('…'));
        for line in &lines {
            assert!(line.chars().count() <= 120, "{line}");
        }
        assert_eq!(written(Format::Table, vec![]), "");
    }

    #[test]
    fn compact_numbers_round_into_the_next_unit() {
        let cases = [
            (0.0, "0"),
            (999.0, "999"),
            (1_000.0, "1.0K"),
            (45_649.0, "45.6K"),
            (999_949.0, "999.9K"),
            (999_950.0, "1.0M"),
            (1_250_000.0, "1.2M"),
            (3.0e9, "3.0B"),
            (446.13, "446"),
        ];
        for (n, expected) in cases {
            assert_eq!(table::compact(n), expected, "{n}");
        }
    }

    #[test]
    fn absurd_amounts_stay_short_past_the_trillions() {
        // Upstream's GMV is any JSON number and views reach i64::MAX: past 999.9T the
        // count is written with an exponent, never as hundreds of digits (the report's
        // cells do not wrap).
        let cases = [
            (999.9e12, "999.9T"),
            (999.95e12, "1.0e15"),
            (i64::MAX as f64, "9.2e18"),
            (1e308, "1.0e308"),
            (-1e308, "-1.0e308"),
            (f64::MAX, "1.8e308"),
        ];
        for (n, expected) in cases {
            assert_eq!(table::compact(n), expected, "{n}");
        }
    }
}
