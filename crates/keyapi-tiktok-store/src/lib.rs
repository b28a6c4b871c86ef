//! Rankings over time: KeyAPI's TikTok video rankings synced into one SQLite file, then
//! asked locally, for free, how a video moved and what is new.
//!
//! # Quickstart
//!
//! ```no_run
//! use keyapi_tiktok::{Client, Period, RankField};
//! use keyapi_tiktok_store::{RankingKey, Store, SyncOptions, SyncPlan};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder().api_key("sk-…").max_in_flight(8).build()?;
//! let mut store = Store::open("rankings.sqlite3".as_ref())?;
//! let plan = SyncPlan::new("2026-11-01..2026-11-30".parse()?)
//!     .regions(["US".parse()?, "GB".parse()?])
//!     .periods([Period::Daily, Period::Weekly])
//!     .limit(50);
//! let report = store.sync(&client, &plan, SyncOptions::new().concurrency(8)).await?;
//! println!("{} pages, {} credits", report.pages, report.credits);
//!
//! let key = RankingKey::new(jiff::civil::date(2026, 11, 30), "US".parse()?, RankField::Views, Period::Daily);
//! for mover in store.movers(&key)?.movers {
//!     println!("{:?} {:?} → {:?} {}", mover.status, mover.previous_rank, mover.rank, mover.video_id);
//! }
//! # Ok(()) }
//! ```
//!
//! # Sync
//!
//! [`Store::sync`] is idempotent, and a ranking's stored entries always come from one fetch
//! of one version of it: a ranking stored after it settled
//! ([`keyapi_tiktok::VideoRankingQuery::is_settled`]) holding every page the plan needs, or
//! the whole ranking (empty included), is never fetched again; one cut short after it
//! settled resumes at its first missing page (checked against the stored page before it);
//! one with any page stored before it settled is fetched again from page 1, replacing
//! everything stored of it. The crate README states each rule.
//! Rankings run side by side under the client's one concurrency
//! ([`max_in_flight`](keyapi_tiktok::ClientBuilder::max_in_flight)), rate limit and
//! credit budget. Each page's rows are committed with its ranking's progress in one
//! transaction by a single writer thread, so after a crash (`kill -9` at any moment) the
//! database is intact and a rerun spends only what is missing. One sync writes a database
//! file at a time, however its path is spelled (a lock beside the real file, symlinks and
//! `..` resolved; a hard-linked file is refused); readers read during a sync (WAL). A sync
//! that ends folds the WAL back into the file; [`Store::backup`] copies a store
//! consistently while syncs run. Plans are bounded ([`MAX_PLAN_RANKINGS`]) and made one
//! ranking at a time; dates are parsed by [`parse_date`] (`YYYY-MM-DD`, `today`,
//! `yesterday`, `today-N`, in UTC).
//!
//! # The schema
//!
//! A public contract, documented table by table in the crate README and versioned:
//! [`APPLICATION_ID`] marks the file as ours, [`SCHEMA_VERSION`] is its `user_version`.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        reason = "a failing test should panic"
    )
)]

mod copy;
mod dates;
mod error;
mod plan;
mod queries;
mod report;
mod schema;
mod store;
mod sync;
mod writer;

// Crates whose types appear in this crate's API, so callers name the same versions.
pub use {keyapi_tiktok, rusqlite};

pub use dates::{DATE_FORMS, DateRange, MAX_DAYS_AGO, parse_date, today};
pub use error::{StoreError, SyncError};
pub use plan::{MAX_LIMIT, MAX_PLAN_RANKINGS, RankingKey, SyncPlan};
pub use queries::{HistoryEntry, Mover, MoverStatus, Movers};
pub use report::{MAX_REPORT_PERIODS, Report, ReportPeriod, TopEntry};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use store::{Action, PlanStatus, PlannedRanking, RankingState, Store, StoredRanking};
pub use sync::{ProgressFn, SyncEvent, SyncOptions, SyncOutcome, SyncReport};
#[doc(hidden)]
pub use writer::__bench_write;

/// The statements behind `history` and `movers`, for the bench's `EXPLAIN QUERY PLAN`.
#[doc(hidden)]
pub const __QUERIES: [(&str, &str); 4] = [
    ("history", queries::HISTORY),
    ("movers", queries::RANKED),
    ("report top", report::TOP),
    ("report ranks", report::PERIOD_RANKS),
];

/// The README's code blocks, compiled and run as doctests (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme_doctests {}
