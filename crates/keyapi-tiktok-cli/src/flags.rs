//! The flags several subcommands share (the ranking, the output, the connection, the
//! cache), their parsers, and the library values they make.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use jiff::civil::Date;
use keyapi_tiktok::{Period, RankField, Region, VideoRankingQuery};
use keyapi_tiktok_store::StoreError;

use crate::failure::Failure;

/// Where the cache lives.
#[derive(Debug, Args)]
pub(crate) struct CacheDir {
    /// The cache directory [default: $KEYAPI_CACHE_DIR, else the user's cache directory
    /// (e.g. ~/.cache/keyapi-tiktok)]
    #[arg(
        long,
        value_name = "DIR",
        env = "KEYAPI_CACHE_DIR",
        hide_env = true,
        global = true
    )]
    pub(crate) cache_dir: Option<PathBuf>,
}

impl CacheDir {
    /// `--cache-dir`, else `KEYAPI_CACHE_DIR` (both through clap), else the user's cache
    /// directory.
    pub(crate) fn path(self) -> Result<PathBuf, Failure> {
        self.cache_dir
            .or_else(|| dirs::cache_dir().map(|dir| dir.join("keyapi-tiktok")))
            .ok_or_else(|| {
                Failure::Usage(
                    "no cache directory is known: give --cache-dir or KEYAPI_CACHE_DIR".to_owned(),
                )
            })
    }
}

/// The response cache, on by default.
#[derive(Debug, Args)]
#[command(next_help_heading = "Cache")]
pub(crate) struct CacheOptions {
    /// Neither read nor write the response cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// Where the cache lives.
    #[command(flatten)]
    pub(crate) dir: CacheDir,
}

/// The ranking asked for.
#[derive(Debug, Args)]
#[command(next_help_heading = "Ranking")]
pub(crate) struct QueryArgs {
    /// The ranking date; rankings are published the next day, weekly ones are reported to
    /// be dated on Mondays and monthly ones on the 1st. A date after today in UTC+14 (the
    /// earliest calendar on Earth) is refused (exit 2): no ranking is dated later. Today's
    /// is accepted but usually not yet published: an empty page, which costs a credit.
    /// YYYY-MM-DD, or today, yesterday or today-N (N days before today in UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) date: Date,
    /// Region code: two letters, such as US, GB, DE, ID.
    #[arg(long, value_name = "CC", value_parser = parse_region)]
    pub(crate) region: Region,
    /// Rank by views or by units sold.
    #[arg(long, value_enum)]
    pub(crate) by: By,
    /// The ranking period.
    #[arg(long, value_enum)]
    pub(crate) period: PeriodArg,
    /// Only videos selling products of this top-level product category (digits, such as 601450).
    #[arg(long, value_name = "ID")]
    pub(crate) category: Option<String>,
    /// Only AI-generated videos (true) or only the others (false).
    #[arg(long, value_name = "true|false")]
    pub(crate) ai: Option<bool>,
    /// How many videos to fetch; costs ceil(limit / page-size) credits.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = parse_limit, allow_negative_numbers = true)]
    pub(crate) limit: u64,
    /// Videos per request (1 to 10).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub(crate) page_size: u8,
}

/// How the records are printed.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct OutputArgs {
    /// The output format (see Formats below).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// No progress bar, warnings or log; errors are still reported.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Log retries (status, wait), rate-limit waits and cache hits, misses and write
    /// failures to stderr, then a summary of pages, credits, requests and cache hits;
    /// -vv adds debug detail. RUST_LOG, when set, chooses the filter instead.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// Where the API is and how hard to try.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub(crate) struct ConnectionArgs {
    /// The API's base URL [default: $KEYAPI_BASE_URL, else https://api.keyapi.ai]
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Retries after a failed first attempt (rate limits, server errors, network failures).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) max_retries: u32,
    /// Seconds allowed for each request (decimals allowed).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    pub(crate) timeout: Duration,
    /// Pages requested at once, at most. Above 1 it ramps up
    /// (2 pages, then 1 more per full page), so a ranking that ends early costs at most
    /// twice the pages it returned, and at most N - 1 extra credits.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: u16,
    /// At most this many requests a second (decimals allowed).
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub(crate) qps: Option<f64>,
}

/// `--by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum By {
    /// Views in the period.
    Views,
    /// Units sold in the period.
    Sales,
}

impl From<By> for RankField {
    fn from(by: By) -> RankField {
        match by {
            By::Views => RankField::Views,
            By::Sales => RankField::Sales,
        }
    }
}

/// `--period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PeriodArg {
    /// One day.
    Daily,
    /// One week, dated on its Monday.
    Weekly,
    /// One calendar month, dated on the 1st.
    Monthly,
}

impl From<PeriodArg> for Period {
    fn from(period: PeriodArg) -> Period {
        match period {
            PeriodArg::Daily => Period::Daily,
            PeriodArg::Weekly => Period::Weekly,
            PeriodArg::Monthly => Period::Monthly,
        }
    }
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for reading.
    Table,
    /// One JSON array.
    Json,
    /// One JSON object a line, streamed.
    Ndjson,
    /// A header and one row a record, streamed.
    Csv,
}

impl QueryArgs {
    /// The first page of the ranking the flags ask for, validated (no credit spent on a bad one).
    pub(crate) fn ranking_query(&self) -> Result<VideoRankingQuery, Failure> {
        let mut query =
            VideoRankingQuery::new(self.date, self.region, self.by.into(), self.period.into())
                .page_size(self.page_size);
        if let Some(category) = &self.category {
            query = query.category(category.clone());
        }
        if let Some(ai) = self.ai {
            query = query.created_by_ai(ai);
        }
        query.validate()?;
        Ok(query)
    }
}

/// A date as every command takes it, through the store's one parser
/// ([`keyapi_tiktok_store::parse_date`]): exactly `YYYY-MM-DD`, or `today`, `yesterday`,
/// `today-N`, counted in UTC from the real clock.
pub(crate) fn parse_date(value: &str) -> Result<Date, String> {
    keyapi_tiktok_store::parse_date(value, jiff::Timestamp::now()).map_err(date_error)
}

/// A refused date's message, without the store's "invalid plan: " prefix.
pub(crate) fn date_error(error: StoreError) -> String {
    match error {
        StoreError::InvalidPlan { message, .. } => message,
        other => other.to_string(),
    }
}

/// At least one video: `--limit 0` would fetch nothing.
pub(crate) fn parse_limit(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|limit| *limit > 0)
        .ok_or_else(|| "expected a number of videos, at least 1".to_owned())
}

pub(crate) fn parse_region(value: &str) -> Result<Region, String> {
    Region::new(value).map_err(|_| "expected two letters, such as US or GB".to_owned())
}

/// A positive, finite number of seconds.
fn parse_seconds(value: &str) -> Result<Duration, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| *secs > 0.0)
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| "expected a positive number of seconds, such as 30 or 2.5".to_owned())
}

/// A positive, finite rate.
fn parse_rate(value: &str) -> Result<f64, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| rate.is_finite() && *rate > 0.0)
        .ok_or_else(|| {
            "expected a positive number of requests a second, such as 5 or 0.5".to_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_real_and_written_yyyy_mm_dd() {
        assert_eq!(parse_date("2026-02-28"), Ok(jiff::civil::date(2026, 2, 28)));
        for bad in [
            "2026-02-30",
            "20260228",
            "2026-2-28",
            "2026-02-28T00:00",
            "tomorrow",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_are_two_letters() {
        assert!(parse_region("uk").is_ok());
        assert!(parse_region("USA").is_err());
        assert!(parse_region("U1").is_err());
    }
}
