//! Helpers: a client for a fake server, a store in a temporary directory, fixed clocks.

#![allow(dead_code, reason = "each test file uses a subset of the helpers")]

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::civil::{Date, date};
use keyapi_tiktok::{Client, ClientBuilder, Period, RankField, RetryPolicy};
use keyapi_tiktok_store::{RankingKey, Store, SyncOptions, SyncPlan};
use keyapi_tiktok_testkit::FakeKeyApi;
use rusqlite::Connection;
use tempfile::TempDir;

/// The tests' "now": 2026-12-01 noon UTC. Daily rankings up to 2026-11-27 are settled.
pub(crate) fn now() -> Timestamp {
    "2026-12-01T12:00:00Z".parse().unwrap()
}

/// A date whose daily ranking has settled by [`now`].
pub(crate) const SETTLED: Date = date(2026, 11, 20);

/// A date whose daily ranking may still change at [`now`].
pub(crate) const RECENT: Date = date(2026, 11, 30);

/// A client builder for the fake, retrying without delay.
pub(crate) fn builder(fake: &FakeKeyApi) -> ClientBuilder {
    Client::builder()
        .api_key("test-key")
        .base_url(fake.base_url())
        .retry(RetryPolicy::no_delay(3))
}

pub(crate) fn client(fake: &FakeKeyApi) -> Client {
    builder(fake).build().unwrap()
}

/// A database path in a fresh temporary directory (kept alive by the returned guard).
pub(crate) fn db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rankings.sqlite3");
    (dir, path)
}

/// The US daily views plan for these dates, up to `limit` videos a ranking.
pub(crate) fn plan(dates: &str, limit: u64) -> SyncPlan {
    SyncPlan::new(dates.parse().unwrap())
        .regions(["US".parse().unwrap()])
        .limit(limit)
}

/// The US daily views ranking of `day`.
pub(crate) fn key(day: Date) -> RankingKey {
    RankingKey::new(day, "US".parse().unwrap(), RankField::Views, Period::Daily)
}

/// Sync options at [`now`], `concurrency` wide.
pub(crate) fn options(concurrency: usize) -> SyncOptions {
    SyncOptions::new().now(now()).concurrency(concurrency)
}

/// Opens the store and syncs `plan` with a fresh client for `fake`.
pub(crate) async fn sync(
    path: &std::path::Path,
    fake: &FakeKeyApi,
    plan: &SyncPlan,
) -> Result<keyapi_tiktok_store::SyncReport, keyapi_tiktok_store::SyncError> {
    let mut store = Store::open(path).unwrap();
    store.sync(&client(fake), plan, options(4)).await
}

/// A plain connection for checks the API does not offer.
pub(crate) fn sql(path: &std::path::Path) -> Connection {
    Connection::open(path).unwrap()
}

/// `SELECT` one integer.
pub(crate) fn number(path: &std::path::Path, query: &str) -> i64 {
    sql(path).query_row(query, [], |row| row.get(0)).unwrap()
}

/// `PRAGMA integrity_check` says ok.
pub(crate) fn assert_intact(path: &std::path::Path) {
    let check: String = sql(path)
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
