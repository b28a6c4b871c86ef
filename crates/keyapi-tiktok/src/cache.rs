//! An opt-in disk cache of successful pages, so a ranking that can no longer change never
//! costs a credit twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::civil::Date;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::{Error, Page, VideoRankingQuery};

/// Days after a period ends before its ranking is taken as final: rankings are published
/// the day after (T+1), and this leaves room for late corrections.
pub const SETTLE_DAYS: i64 = 3;

/// A disk cache of successful (`code` 0) pages, keyed by the base URL and every query
/// parameter, so two servers or two queries never share an entry.
///
/// # What is kept, and for how long
///
/// - A ranking whose period ended more than [`SETTLE_DAYS`] days ago (UTC) cannot change:
///   its pages are kept without expiry. That is a daily ranking 3 days after its date, a
///   weekly one 3 days after the Sunday ending its week, a monthly one 3 days after the
///   month's last day.
/// - A newer ranking may still change: its non-empty pages are kept for
///   [`recent_ttl`](Cache::recent_ttl) (default one hour; zero turns that off).
/// - Errors are never kept, nor empty pages of a ranking that may still be published.
///
/// Entries are written atomically and checked against their SHA-256 on every read
/// (`cacache`); a corrupt or truncated entry is discarded and the page fetched again.
/// Processes can share a directory. A directory that cannot be written (read-only, full)
/// degrades to no caching with one `warn` log, never a failed request.
///
/// ```no_run
/// use std::time::Duration;
/// use keyapi_tiktok::{Cache, Client};
///
/// # async fn run() -> Result<(), keyapi_tiktok::Error> {
/// let cache = Cache::new("/tmp/keyapi-tiktok").recent_ttl(Duration::from_secs(600));
/// let client = Client::builder().api_key("sk-…").cache(cache.clone()).build()?;
/// // … repeated queries are now free …
/// println!("{} hits, {:?}", client.usage().cache_hits, cache.stats().await?);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    recent_ttl: Duration,
    /// Set once a failure has been reported, so it is reported once.
    warned: Arc<AtomicBool>,
}

/// What a cache directory holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Cached pages.
    pub entries: u64,
    /// Their size in bytes.
    pub bytes: u64,
}

impl Cache {
    /// A cache in `dir`, created on first write.
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache {
            dir: dir.into(),
            recent_ttl: Duration::from_secs(3600),
            warned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// How long pages of rankings that may still change are kept; zero keeps none.
    pub fn recent_ttl(mut self, ttl: Duration) -> Cache {
        self.recent_ttl = ttl;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the ranking `query` asks for can no longer change, as of `today` (UTC).
    ///
    /// ```
    /// use jiff::civil::date;
    /// use keyapi_tiktok::{Cache, Period, RankField, VideoRankingQuery};
    /// let weekly = VideoRankingQuery::new(date(2026, 11, 9), "US".parse()?, RankField::Views, Period::Weekly);
    /// assert!(!Cache::is_final(&weekly, date(2026, 11, 18))); // the week ended Sunday the 15th
    /// assert!(Cache::is_final(&weekly, date(2026, 11, 19)));
    /// # Ok::<(), keyapi_tiktok::Error>(())
    /// ```
    pub fn is_final(query: &VideoRankingQuery, today: Date) -> bool {
        let period = query.period();
        let end = period.end_of_period(period.start_of_period(query.date()));
        end.checked_add(jiff::Span::new().days(SETTLE_DAYS))
            .is_ok_and(|settled| today > settled)
    }

    /// Checks now that the directory can be created and written, for callers that report
    /// an unusable cache up front (requests never fail because of the cache).
    pub fn ensure_writable(&self) -> Result<(), Error> {
        let probe = self
            .dir
            .join(format!(".write-probe-{}", std::process::id()));
        std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(&probe, b""))
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|error| self.error("write", error))
    }

    /// Counts the cached pages and the bytes the directory uses.
    pub async fn stats(&self) -> Result<CacheStats, Error> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            if !dir.join("index-v5").exists() {
                return Ok(CacheStats::default());
            }
            let entries = cacache::list_sync(&dir).collect::<Result<Vec<_>, _>>()?;
            Ok(CacheStats {
                entries: entries.len() as u64,
                bytes: disk_usage(&dir)?,
            })
        })
        .await
        .map_err(|error| self.error("read", error))?
        .map_err(|error: cacache::Error| self.error("read", error))
    }

    /// Removes every cached page.
    pub async fn clear(&self) -> Result<(), Error> {
        if !self.dir.exists() {
            return Ok(());
        }
        cacache::clear(&self.dir)
            .await
            .map_err(|error| self.error("clear", error))
    }

    /// The cached page for `query`, if there is a valid one.
    pub(crate) async fn get(&self, base_url: &str, query: &VideoRankingQuery) -> Option<Page> {
        let key = key(base_url, query);
        let entry = match cacache::metadata(&self.dir, &key).await {
            Ok(entry) => entry?,
            Err(error) => {
                self.warn_once("read", &error);
                return None;
            }
        };
        let is_final = entry.metadata.get("final").and_then(|v| v.as_bool()) == Some(true);
        let age = now_millis().saturating_sub(entry.time);
        if !is_final && age >= self.recent_ttl.as_millis() {
            return None;
        }
        let page = match cacache::read_hash(&self.dir, &entry.integrity).await {
            Ok(body) => Page::from_body(&body, query).ok(),
            Err(_) => None,
        };
        if page.is_none() {
            // Corrupt, truncated or undecodable: discard it so the next read refetches.
            tracing::warn!(%key, "discarding a corrupt cache entry");
            let _ = cacache::remove(&self.dir, &key).await;
            let _ = cacache::remove_hash(&self.dir, &entry.integrity).await;
        }
        page
    }

    /// Stores a successful page's body when the rules above allow it.
    pub(crate) async fn put(
        &self,
        base_url: &str,
        query: &VideoRankingQuery,
        body: &[u8],
        page: &Page,
    ) {
        let is_final = Cache::is_final(query, today_utc());
        let keep = is_final || (!self.recent_ttl.is_zero() && !page.items.is_empty());
        if !keep {
            return;
        }
        let key = key(base_url, query);
        let write = async {
            let mut writer = cacache::WriteOpts::new()
                .metadata(json!({ "final": is_final }))
                .open(&self.dir, &key)
                .await?;
            writer
                .write_all(body)
                .await
                .map_err(|e| cacache::Error::IoError(e, "write".into()))?;
            writer.commit().await
        };
        if let Err(error) = write.await {
            self.warn_once("write", &error);
        }
    }

    fn warn_once(&self, action: &str, error: &dyn std::fmt::Display) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "cannot {action} the cache in {} ({error}); continuing without it",
                self.dir.display()
            );
        }
    }

    fn error(&self, action: &str, error: impl std::fmt::Display) -> Error {
        Error::Cache {
            message: format!(
                "cannot {action} the cache in {}: {error}",
                self.dir.display()
            ),
        }
    }
}

/// One key per distinct request: the server and every query parameter.
fn key(base_url: &str, query: &VideoRankingQuery) -> String {
    format!("keyapi-tiktok/v1 {base_url} {}", query.canonical())
}

fn disk_usage(dir: &Path) -> Result<u64, cacache::Error> {
    let io = |error| cacache::Error::IoError(error, format!("cannot read {}", dir.display()));
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let meta = entry.metadata().map_err(io)?;
        bytes += if meta.is_dir() {
            disk_usage(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(bytes)
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn today_utc() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Period, RankField};
    use jiff::civil::date;

    fn query(day: Date, period: Period) -> VideoRankingQuery {
        VideoRankingQuery::new(day, "US".parse().unwrap(), RankField::Views, period)
    }

    #[test]
    fn finality_follows_the_end_of_each_period() {
        let daily = query(date(2026, 11, 20), Period::Daily);
        assert!(!Cache::is_final(&daily, date(2026, 11, 23)));
        assert!(Cache::is_final(&daily, date(2026, 11, 24)));
        let monthly = query(date(2026, 10, 1), Period::Monthly);
        assert!(!Cache::is_final(&monthly, date(2026, 11, 3)));
        assert!(Cache::is_final(&monthly, date(2026, 11, 4)));
        // A weekly query dated mid-week belongs to the week containing it.
        let weekly = query(date(2026, 11, 11), Period::Weekly);
        assert!(Cache::is_final(&weekly, date(2026, 11, 19)));
    }

    #[test]
    fn keys_cover_the_server_and_every_parameter() {
        let base = query(date(2026, 11, 20), Period::Daily);
        let variants = [
            base.clone().page(2),
            base.clone().page_size(5),
            base.clone().category("1"),
            base.clone().created_by_ai(false),
            base.clone().created_by_ai(true),
            query(date(2026, 11, 21), Period::Daily),
            query(date(2026, 11, 20), Period::Weekly),
            VideoRankingQuery::new(
                date(2026, 11, 20),
                "GB".parse().unwrap(),
                RankField::Views,
                Period::Daily,
            ),
            VideoRankingQuery::new(
                date(2026, 11, 20),
                "US".parse().unwrap(),
                RankField::Sales,
                Period::Daily,
            ),
        ];
        let mut keys: Vec<String> = variants.iter().map(|q| key("https://a", q)).collect();
        keys.push(key("https://a", &base));
        keys.push(key("https://b", &base));
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "{keys:#?}");
    }
}
