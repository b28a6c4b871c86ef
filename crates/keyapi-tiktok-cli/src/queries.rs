//! `keyapi-tiktok history` and `movers`: questions the store answers without a key, a
//! request or a credit.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use clap::Args;
use jiff::civil::Date;
use keyapi_tiktok::Region;
use keyapi_tiktok_store::{HistoryEntry, Mover, RankingKey, Store, StoreError};

use crate::failure::Failure;
use crate::flags::{By, Format, PeriodArg, parse_date, parse_region};
use crate::glyphs::Glyphs;
use crate::rows::{self, Row};
use crate::store::DbArg;
use crate::table::{aligned, compact, count};
use crate::{logging, sanitize};

pub(crate) const HISTORY_AFTER_HELP: &str = "\
Prints every entry of the video that sync stored: the ranking's date, period, field
(views or sales), region, category and AI filters, the video's rank and its views, likes,
units sold and GMV in that period. Nothing is sent: no key is needed and no credit spent.

Examples:
  keyapi-tiktok history 7601397977986501919
  keyapi-tiktok history 7601397977986501919 --format csv > history.csv

Fields (json, ndjson and the csv columns, in this order):
  date, period, field, region, category, ai, rank, views, likes, units_sold, gmv";

pub(crate) const MOVERS_AFTER_HELP: &str = "\
Compares a stored ranking with the same ranking one period earlier (the day, the week or
the month before): each video is new, up, down, same or left, with both ranks and the
places gained (positive) or lost. Only the ranks stored of both are compared. When the
earlier ranking is not stored, a warning gives the sync command that fetches it. Nothing
is sent: no key is needed and no credit spent.

Examples:
  keyapi-tiktok movers --date 2026-11-24 --region US --by views --period daily
  keyapi-tiktok movers --date 2026-11-23 --region GB --by sales --period weekly --format json

Fields (json, ndjson and the csv columns, in this order):
  video_id, status, rank, previous_rank, change, nick_name, unique_id, description";

/// `keyapi-tiktok history`.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The video's id (digits, as in its URL).
    #[arg(value_name = "VIDEO_ID")]
    video_id: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Where the store is.
    #[command(flatten)]
    db: DbArg,
}

/// The flags that name one stored ranking, as `movers` and `report` take them.
#[derive(Debug, Args)]
pub(crate) struct StoredRankingArgs {
    /// The ranking's date: YYYY-MM-DD, today, yesterday or today-N (UTC). For weekly and
    /// monthly rankings, the period holding it (dated on its Monday, or its 1st).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    date: Date,
    /// Region code: two letters, such as US or GB.
    #[arg(long, value_name = "CC", value_parser = parse_region)]
    region: Region,
    /// Ranked by views or by units sold.
    #[arg(long, value_enum)]
    by: By,
    /// The ranking period.
    #[arg(long, value_enum)]
    period: PeriodArg,
    /// The ranking's product category filter, as synced.
    #[arg(long, value_name = "ID")]
    category: Option<String>,
    /// The ranking's AI-generated filter, as synced.
    #[arg(long, value_name = "true|false")]
    ai: Option<bool>,
}

impl StoredRankingArgs {
    /// The ranking asked: a weekly ranking is dated on its Monday and a monthly one on its
    /// 1st, so the period holding --date. The filters are checked as `videos` checks
    /// them, before any is pasted in a suggested command.
    pub(crate) fn key(self) -> Result<RankingKey, Failure> {
        let period: keyapi_tiktok::Period = self.period.into();
        let key = RankingKey {
            category: self.category,
            ai: self.ai,
            ..RankingKey::new(
                period.start_of_period(self.date),
                self.region,
                self.by.into(),
                period,
            )
        };
        key.query()
            .validate()
            .map_err(|error| Failure::Usage(error.to_string()))?;
        Ok(key)
    }
}

/// The failure of a ranking that is not in the store at `db`: the `sync` command that
/// fetches it.
pub(crate) fn not_stored(key: &RankingKey, db: &Path) -> Failure {
    Failure::Usage(format!(
        "the ranking {key} is not stored: fetch it with `{}`",
        sync_command(key, db)
    ))
}

/// `keyapi-tiktok movers`.
#[derive(Debug, Args)]
pub(crate) struct MoversArgs {
    /// The ranking.
    #[command(flatten)]
    ranking: StoredRankingArgs,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Where the store is.
    #[command(flatten)]
    db: DbArg,
}

/// Prints the video's stored entries.
pub(crate) fn history(args: HistoryArgs) -> Result<(), Failure> {
    let store = Store::open_read_only(&args.db.path()?)?;
    let entries = store.history(&args.video_id)?;
    if entries.is_empty() {
        logging::warn(
            false,
            &format!("video {} is in no stored ranking", args.video_id),
        );
    }
    print(args.format, &entries)?;
    if args.format == Format::Table && !entries.is_empty() {
        let trends = history_trends(&entries, Glyphs::from_env());
        let mut out = io::stdout().lock();
        let written = writeln!(out)
            .and_then(|()| trends.iter().try_for_each(|trend| writeln!(out, "{trend}")));
        match written {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {}
            other => other.map_err(Failure::Output)?,
        }
    }
    Ok(())
}

/// The most recent ranks a history sparkline shows.
const TREND_DATES: usize = 60;

/// One line per ranking the video was in (its region, period, field and filters): its
/// rank over the dates stored as a sparkline, rank 1 the tallest, the last
/// [`TREND_DATES`] at most.
fn history_trends(entries: &[HistoryEntry], glyphs: Glyphs) -> Vec<String> {
    let mut series: Vec<(String, Vec<u64>)> = Vec::new();
    for entry in entries {
        let mut name = format!("{} {} by {}", entry.region, entry.period, entry.field);
        if let Some(category) = &entry.category {
            name.push_str(&format!(" category {category}"));
        }
        if let Some(ai) = entry.ai {
            name.push_str(&format!(" ai {ai}"));
        }
        match series.iter_mut().find(|(known, _)| *known == name) {
            Some((_, ranks)) => ranks.push(entry.rank),
            None => series.push((name, vec![entry.rank])),
        }
    }
    series
        .into_iter()
        .map(|(name, ranks)| {
            let shown = &ranks[ranks.len().saturating_sub(TREND_DATES)..];
            let (first, last) = (shown.first().copied(), shown.last().copied());
            let rank = |rank: Option<u64>| rank.map_or_else(String::new, |r| format!("#{r}"));
            let dates = if shown.len() < ranks.len() {
                format!("last {} of {} dates", shown.len(), ranks.len())
            } else {
                format!(
                    "{} date{}",
                    ranks.len(),
                    if ranks.len() == 1 { "" } else { "s" }
                )
            };
            sanitize::for_terminal(&format!(
                "{name}: {} {} -> {}, best #{} ({dates})",
                glyphs.sparkline(shown),
                rank(first),
                rank(last),
                shown.iter().min().copied().unwrap_or(0),
            ))
        })
        .collect()
}

/// Prints each video's move since the previous period.
pub(crate) fn movers(args: MoversArgs) -> Result<(), Failure> {
    let path = args.db.path()?;
    let store = Store::open_read_only(&path)?;
    let key = args.ranking.key()?;
    let movers = match store.movers(&key) {
        Err(StoreError::NotStored { .. }) => return Err(not_stored(&key, &path)),
        other => other?,
    };
    if let (false, Some(previous)) = (movers.previous_stored, &movers.previous) {
        logging::warn(
            false,
            &format!(
                "the previous ranking ({previous}) is not stored, so there is nothing to \
                 compare with: fetch it with `{}`",
                sync_command(previous, &path)
            ),
        );
    }
    print(args.format, &movers.movers)
}

/// The `keyapi-tiktok sync` command that fetches `key` into the store at `db`, every value
/// quoted for a POSIX shell.
pub(crate) fn sync_command(key: &RankingKey, db: &Path) -> String {
    let mut flags = vec![
        ("--date", key.date.to_string()),
        ("--region", key.region.to_string()),
        ("--by", key.field.to_string()),
        ("--period", key.period.to_string()),
    ];
    if let Some(category) = &key.category {
        flags.push(("--category", category.clone()));
    }
    if let Some(ai) = key.ai {
        flags.push(("--ai", ai.to_string()));
    }
    flags.push(("--db", db.to_string_lossy().into_owned()));
    let mut command = "keyapi-tiktok sync".to_owned();
    for (flag, value) in flags {
        // A value starting with `-` (a relative `--db`) would be read as a flag.
        let joint = if value.starts_with('-') { "=" } else { " " };
        command.push_str(&format!(" {flag}{joint}{}", shell_word(&value)));
    }
    command
}

/// `word` as one shell word that survives the terminal's cleaning: as it is when it is plainly
/// safe, else single-quoted, or escaped in `$'…'` when cleaning would change it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@%=".contains(c));
    let quoted = format!("'{}'", word.replace('\'', r"'\''"));
    if plain {
        word.to_owned()
    } else if sanitize::for_terminal(&quoted) == quoted {
        quoted
    } else {
        // The message is cleaned for the terminal (runs of whitespace folded, control and
        // invisible characters dropped), which would name another file: such a word is
        // written with escapes, `$'…'` (bash, zsh, ksh), so it survives the cleaning.
        let mut escaped = "$'".to_owned();
        for c in word.chars() {
            match c {
                '\'' | '\\' => escaped.extend(['\\', c]),
                c if c.is_alphanumeric() || c.is_ascii_punctuation() => escaped.push(c),
                c if c.is_ascii() => escaped.push_str(&format!("\\x{:02X}", u32::from(c))),
                c => escaped.push_str(&format!("\\U{:08X}", u32::from(c))),
            }
        }
        escaped.push('\'');
        escaped
    }
}

fn print<T: Row>(format: Format, rows: &[T]) -> Result<(), Failure> {
    match rows::write(format, rows, BufWriter::new(io::stdout())) {
        // The reader went away (`| head`): nothing more to say.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Failure::Output),
    }
}

impl Row for HistoryEntry {
    const COLUMNS: &'static [&'static str] = &[
        "date",
        "period",
        "field",
        "region",
        "category",
        "ai",
        "rank",
        "views",
        "likes",
        "units_sold",
        "gmv",
    ];

    fn table_header() -> String {
        history_line(
            [
                "DATE", "PERIOD", "BY", "REGION", "RANK", "VIEWS", "LIKES", "SOLD", "GMV",
            ],
            "FILTERS",
        )
    }

    fn table_line(&self) -> String {
        let filters = [
            self.category.as_ref().map(|id| format!("category {id}")),
            self.ai.map(|ai| format!("ai {ai}")),
        ];
        let filters: Vec<String> = filters.into_iter().flatten().collect();
        history_line(
            [
                &self.date.to_string(),
                self.period.as_str(),
                self.field.as_str(),
                &self.region,
                &self.rank.to_string(),
                &count(self.views),
                &count(self.likes),
                &count(self.units_sold),
                &self.gmv.map_or_else(|| "-".to_owned(), compact),
            ],
            &filters.join(", "),
        )
    }
}

/// `(width, right-aligned)` of the history table's columns; the filters take the rest.
const HISTORY_COLUMNS: [(usize, bool); 9] = [
    (10, false),
    (7, false),
    (5, false),
    (6, false),
    (7, true),
    (7, true),
    (7, true),
    (7, true),
    (7, true),
];

fn history_line(cells: [&str; 9], filters: &str) -> String {
    let columns = cells
        .into_iter()
        .zip(HISTORY_COLUMNS)
        .map(|(cell, (width, right))| (cell, width, right));
    aligned(columns, filters, 40)
}

impl Row for Mover {
    const COLUMNS: &'static [&'static str] = &[
        "video_id",
        "status",
        "rank",
        "previous_rank",
        "change",
        "nick_name",
        "unique_id",
        "description",
    ];

    fn table_header() -> String {
        mover_line(
            ["STATUS", "RANK", "WAS", "CHANGE", "CREATOR", "VIDEO ID"],
            "DESCRIPTION",
        )
    }

    fn table_line(&self) -> String {
        mover_table_line(self, Glyphs::from_env())
    }
}

/// A mover's table line, its change as `glyphs` writes it.
fn mover_table_line(mover: &Mover, glyphs: Glyphs) -> String {
    let rank = |rank: Option<u64>| rank.map_or_else(|| "-".to_owned(), |r| r.to_string());
    let creator = match (&mover.unique_id, &mover.nick_name) {
        (Some(handle), _) => format!("@{handle}"),
        (None, Some(name)) => name.clone(),
        (None, None) => "-".to_owned(),
    };
    let status = serde_json::to_value(mover.status)
        .ok()
        .and_then(|status| status.as_str().map(str::to_owned))
        .unwrap_or_default();
    mover_line(
        [
            &status,
            &rank(mover.rank),
            &rank(mover.previous_rank),
            &mover
                .change
                .map_or_else(|| "-".to_owned(), |c| glyphs.change(c)),
            &creator,
            &mover.video_id,
        ],
        mover.description.as_deref().unwrap_or(""),
    )
}

/// `(width, right-aligned)` of the movers table's columns; the description takes the rest
/// of 120.
const MOVER_COLUMNS: [(usize, bool); 6] = [
    (6, false),
    (7, true),
    (7, true),
    (7, true),
    (18, false),
    (19, false),
];

fn mover_line(cells: [&str; 6], description: &str) -> String {
    let columns = cells
        .into_iter()
        .zip(MOVER_COLUMNS)
        .map(|(cell, (width, right))| (cell, width, right));
    aligned(columns, description, 40)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::json_fields;

    fn entry() -> HistoryEntry {
        HistoryEntry {
            date: jiff::civil::date(2026, 11, 24),
            period: keyapi_tiktok::Period::Daily,
            field: keyapi_tiktok::RankField::Views,
            region: "US".to_owned(),
            category: Some("601450".to_owned()),
            ai: Some(false),
            rank: 3,
            views: Some(1_234_567),
            likes: None,
            units_sold: Some(12),
            gmv: Some(446.13),
        }
    }

    fn mover() -> Mover {
        Mover {
            video_id: "7601397977986501919".to_owned(),
            status: keyapi_tiktok_store::MoverStatus::Up,
            rank: Some(2),
            previous_rank: Some(5),
            change: Some(3),
            nick_name: Some("ﾌひﾚﾉの".to_owned()),
            unique_id: Some("iamjuliocr".to_owned()),
            description: Some("W huzz magnet 🧲\u{1b}[2J".to_owned()),
        }
    }

    #[test]
    fn csv_columns_are_the_json_fields_in_order() {
        assert_eq!(json_fields(&entry()), HistoryEntry::COLUMNS);
        assert_eq!(json_fields(&mover()), Mover::COLUMNS);
    }

    #[test]
    fn tables_fit_120_columns_and_say_what_moved() {
        let line = mover_table_line(&mover(), Glyphs::Ascii);
        assert!(
            line.starts_with("up            2        5       +3  @iamjuliocr"),
            "{line}"
        );
        let line = mover_table_line(&mover(), Glyphs::Unicode);
        assert!(
            line.starts_with("up            2        5      ▲ 3  @iamjuliocr"),
            "{line}"
        );
        assert!(!line.contains('\u{1b}'));
        let line = entry().table_line();
        assert!(line.starts_with("2026-11-24  daily    views  US            3     1.2M        -       12      446  category 601450, ai false"), "{line}");
        for line in [
            Mover::table_header(),
            HistoryEntry::table_header(),
            mover_table_line(&mover(), Glyphs::Unicode),
            entry().table_line(),
        ] {
            assert!(sanitize_width(&line) <= 120, "{line}");
        }
    }

    #[test]
    fn history_trends_give_each_ranking_a_sparkline_of_its_ranks() {
        let mut entries = Vec::new();
        for (day, rank) in [(1, 8), (2, 1), (3, 4)] {
            entries.push(HistoryEntry {
                date: jiff::civil::date(2026, 11, day),
                rank,
                ..entry()
            });
        }
        entries.push(HistoryEntry {
            region: "GB".to_owned(),
            category: None,
            ai: None,
            rank: 2,
            ..entry()
        });
        assert_eq!(
            history_trends(&entries, Glyphs::Unicode),
            [
                "US daily by views category 601450 ai false: ▁█▅ #8 -> #4, best #1 (3 dates)",
                "GB daily by views: ▄ #2 -> #2, best #2 (1 date)",
            ]
        );
        assert_eq!(
            history_trends(&entries[..3], Glyphs::Ascii),
            ["US daily by views category 601450 ai false: _^- #8 -> #4, best #1 (3 dates)"]
        );
        let long: Vec<_> = (1..=70)
            .map(|rank| HistoryEntry { rank, ..entry() })
            .collect();
        let trend = &history_trends(&long, Glyphs::Ascii)[0];
        assert!(trend.contains("(last 60 of 70 dates)"), "{trend}");
        assert!(trend.contains("#11 -> #70"), "{trend}");
    }

    fn sanitize_width(line: &str) -> usize {
        crate::sanitize::width(line)
    }

    #[test]
    fn the_sync_command_names_the_ranking_and_the_store_as_shell_words() {
        let key = RankingKey {
            category: Some("601450".to_owned()),
            ai: Some(true),
            ..RankingKey::new(
                jiff::civil::date(2026, 11, 23),
                "GB".parse().unwrap(),
                keyapi_tiktok::RankField::Sales,
                keyapi_tiktok::Period::Weekly,
            )
        };
        assert_eq!(
            sync_command(&key, Path::new("/data/it's here.sqlite3")),
            "keyapi-tiktok sync --date 2026-11-23 --region GB --by sales --period weekly \
             --category 601450 --ai true --db '/data/it'\\''s here.sqlite3'"
        );
    }
}
