//! An opt-in disk cache of successful pages, so a ranking that can no longer change never
//! costs a credit twice.

mod dir;
mod index;
mod pending;
mod staging;
mod store;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::civil::Date;

use self::dir::{Refusal, Survey};
use self::index::{Index, Known};
use self::pending::Pending;
use self::store::Lookup;
use crate::{Error, Page, VideoRankingQuery};

/// How far ahead of this machine's clock an entry's time may be (another machine sharing
/// the directory) before the entry is taken as written by a clock that was wrong, and stale.
const CLOCK_SKEW_MS: u64 = 60_000;

/// A disk cache of successful (`code` 0) pages, keyed by the base URL and every query
/// parameter, so two servers or two queries never share an entry.
///
/// # What is kept, and for how long
///
/// - A ranking whose period ended more than [`SETTLE_DAYS`](crate::SETTLE_DAYS) days ago (UTC) cannot change:
///   its non-empty pages are kept without expiry. That is a daily ranking 3 days after its
///   date, a weekly one 3 days after the Sunday ending its week, a monthly one 3 days after
///   the month's last day (for a date inside a period, see [`Cache::is_final`]).
/// - A newer ranking may still change: its non-empty pages are kept for
///   [`recent_ttl`](Cache::recent_ttl) (default one hour; zero turns that off).
/// - An empty page is never final: for a settled ranking it is kept for the recent TTL at
///   most (an upstream gap should not last for good), for a newer one not at all (it may
///   still be published). Errors are never kept.
/// - An entry's header is not taken on its word: a page is kept without expiry only if it
///   was stored as final *and* its query's date is settled when it is read, and an entry
///   stored more than a minute in the future (a clock that went back) is stale.
///
/// Each page is one file, written atomically and checked against its SHA-256 on every
/// read; a corrupt or truncated entry is discarded and the page fetched again.
/// Processes can share a directory. A cache keeps a listing of the directory's entries, so
/// a page it does not hold is a miss without touching the disk: the listing is taken at
/// its first lookup and again at the first lookup a second or more later, and its own
/// writes are added as they complete. A page another process writes is therefore found by
/// lookups that start at least a second after it was written (and by every process
/// started after that); until then it may be fetched again. Pages are written in the background, after the page
/// is handed to the caller: a process that is about to exit calls
/// [`Client::flush_cache`](crate::Client::flush_cache) (or [`Cache::flush`]) so the last
/// pages are not lost. A directory that cannot be used (read-only, full, or
/// refused below) degrades to no caching with one `warn` log, never a failed request.
///
/// # The directory
///
/// Use a directory of your own, such as `keyapi-tiktok` in the user's cache directory,
/// never a shared one like `/tmp`. On first use a missing directory is created private
/// (mode 0700 on Unix) and tagged with a `CACHEDIR.TAG` (the Cache Directory Tagging
/// Specification: backup tools skip it). A directory is used only if it holds nothing but
/// that tag and the cache's own entries (`pages-v1`, `tmp`, and cacache's `index-v5` and
/// `content-v2` left by earlier versions, which are not read); an existing
/// directory without the tag that holds only those (or nothing) is adopted: made private
/// and tagged.
/// It is refused, without reading or writing it, when it is a symbolic link, holds
/// anything else, or (on Unix) is owned by another user or writable by group or others:
/// whoever can write it could plant rankings that never expire. The same holds for
/// `pages-v1` and `tmp`. The path is taken as plainly spelled (see [`Cache::new`]), so
/// `link/` or `link/.` is the symlink `link`, refused, never the directory it points to;
/// a path ending in `..` is refused too. [`Cache::clear`] and [`Cache::stats`] refuse such
/// a directory too, and `clear` also refuses an untagged one.
///
/// An entry is read only if it is a regular file, on a blocking thread, and never past the
/// body length its header declares (at most 1 GiB, the largest body the client accepts).
/// On Unix it is opened with `O_NONBLOCK | O_NOFOLLOW`: a FIFO is never waited on and a
/// symlink never followed; either is discarded like a corrupt entry. (Elsewhere these
/// flags do not exist: an entry is opened plainly, and read only if it is a regular file.)
///
/// A write is staged in `tmp` and renamed into `pages-v1`. A staging file older than an
/// hour (no write takes that long) was left by an interrupted process: it is removed on
/// first use and by [`Cache::clear`], and [`Cache::stats`] counts the staging files.
///
/// ```no_run
/// use std::time::Duration;
/// use keyapi_tiktok::{Cache, Client};
///
/// # async fn run() -> Result<(), keyapi_tiktok::Error> {
/// let dir = dirs::cache_dir().expect("a per-user cache directory").join("keyapi-tiktok");
/// let cache = Cache::new(dir).recent_ttl(Duration::from_secs(600));
/// let client = Client::builder().api_key("sk-…").cache(cache.clone()).build()?;
/// // … repeated queries are now free …
/// client.flush_cache(Duration::from_secs(10)).await; // before exiting
/// println!("{} hits, {:?}", client.usage().cache_hits, cache.stats().await?);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    recent_ttl: Duration,
    /// Set once a failure has been reported, so it is reported once.
    warned: Arc<AtomicBool>,
    /// Whether the directory was found (or made) fit for caching, once checked.
    prepared: Arc<Mutex<Option<Result<(), String>>>>,
    /// The writes still running in the background.
    pending: Arc<Pending>,
    /// Which entries the directory holds, so a miss needs no disk access (`index.rs`).
    index: Arc<Index>,
}

/// What a cache directory holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Cached pages.
    pub entries: u64,
    /// The size in bytes of everything in the directory (staging files included).
    pub bytes: u64,
    /// Files in `tmp/` of writes under way, or left by interrupted ones (those older than
    /// an hour are removed on first use and by [`Cache::clear`]).
    pub staged: u64,
    /// Their size in bytes.
    pub staged_bytes: u64,
}

impl Cache {
    /// A cache in `dir`, checked (and created) on first use: see
    /// [the directory rules](Cache#the-directory). `dir` is taken as spelled without a
    /// trailing slash, `.` components or repeated separators (`cache/./` is `cache`).
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache {
            dir: dir::plainly_spelled(dir.into()),
            recent_ttl: Duration::from_secs(3600),
            warned: Arc::new(AtomicBool::new(false)),
            prepared: Arc::new(Mutex::new(None)),
            pending: Arc::new(Pending::default()),
            index: Arc::new(Index::default()),
        }
    }

    /// How long pages of rankings that may still change are kept; zero keeps none.
    pub fn recent_ttl(mut self, ttl: Duration) -> Cache {
        self.recent_ttl = ttl;
        self
    }

    /// The directory, plainly spelled (see [`Cache::new`]).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the ranking `query` asks for can no longer change, as of `today` (UTC):
    /// [`VideoRankingQuery::is_settled`], the one rule.
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
        query.is_settled(today)
    }

    /// Checks now that the directory is fit for caching, creating it if needed, for
    /// callers that report an unusable cache up front (requests never fail because of the
    /// cache: they skip it, with one `warn` log). See [the directory rules](Cache#the-directory).
    pub fn ensure_writable(&self) -> Result<(), Error> {
        let checked = self.check();
        *self.prepared.lock().unwrap_or_else(PoisonError::into_inner) = Some(checked.clone());
        checked.map_err(|message| Error::Cache { message })
    }

    /// The directory checked (and created and tagged when needed); the error names the
    /// directory and the reason.
    fn check(&self) -> Result<(), String> {
        dir::prepare(&self.dir)
            .map_err(|refusal| format!("the cache directory {} {refusal}", self.dir.display()))
    }

    /// [`check`](Self::check) on first use, then remembered.
    fn prepared(&self) -> Result<(), String> {
        self.prepared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(|| self.check())
            .clone()
    }

    /// Whether the cache may be used now; the first refusal is logged once.
    fn usable(&self) -> bool {
        match self.prepared() {
            Ok(()) => true,
            Err(reason) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!("{reason}; continuing without the cache");
                }
                false
            }
        }
    }

    /// Counts the cached pages and the bytes the directory uses. A directory that is not
    /// a cache is refused (as [`Error::InvalidInput`]) and left untouched.
    pub async fn stats(&self) -> Result<CacheStats, Error> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            if dir::survey(&dir)? == Survey::Missing {
                return Ok(CacheStats::default());
            }
            let io = |error: std::io::Error| Refusal::Io(format!("cannot be read ({error})"));
            let (staged, staged_bytes) = staging::count(&dir).map_err(io)?;
            Ok(CacheStats {
                entries: store::count(&dir).map_err(io)?,
                bytes: disk_usage(&dir).map_err(io)?,
                staged,
                staged_bytes,
            })
        })
        .await
        .map_err(|error| self.error("read", error))?
        .map_err(|refusal| self.refused("read", refusal))
    }

    /// Removes every cached page, and the staging files left by interrupted writes (older
    /// than an hour), leaving the directory, its tag and its emptied subdirectories. Only a
    /// directory tagged as a cache and holding nothing but cache entries is cleared;
    /// anything else is refused (as [`Error::InvalidInput`]) and left untouched. A missing
    /// directory is already clear.
    ///
    /// Beside processes writing to the cache it removes their new entries too, in a few
    /// passes; it fails (as [`Error::Cache`], naming a file) only when something the cache
    /// wrote could not be removed. Nothing else is ever removed: only entry-named files in
    /// `pages-v1`, staging-named ones in `tmp`, and the directories of earlier versions.
    pub async fn clear(&self) -> Result<(), Error> {
        let dir = self.dir.clone();
        let cleared = tokio::task::spawn_blocking(move || dir::clear(&dir)).await;
        self.index.forget();
        cleared
            .map_err(|error| self.error("clear", error))?
            .map_err(|refusal| self.refused("clear", refusal))
    }

    /// The cached page for `query`, if there is a valid one.
    pub(crate) async fn get(&self, base_url: &str, query: &VideoRankingQuery) -> Option<Page> {
        if !self.usable() {
            return None;
        }
        let key = key(base_url, query);
        let name = store::name(&key);
        // A page the directory does not hold is a miss without leaving the runtime's thread:
        // the index knows it (see `index.rs` for how soon another process's writes are seen).
        let known = self.index.known(&name);
        if known == Known::Absent {
            tracing::info!("cache miss");
            return None;
        }
        let path = self.dir.join(store::PAGES_DIR).join(&name);
        // Listed, opened and read on a blocking thread: a slow disk must not stall the
        // runtime.
        let (entry_path, dir, index) = (path.clone(), self.dir.clone(), Arc::clone(&self.index));
        let lookup = tokio::task::spawn_blocking(move || {
            if known == Known::ListFirst && index.list(&dir, &name) == Known::Absent {
                return Ok(None);
            }
            store::read(&entry_path, &key)
        })
        .await;
        let entry = match lookup {
            Ok(Ok(None)) => {
                tracing::info!("cache miss");
                return None;
            }
            Ok(Ok(Some(Lookup::Found(entry)))) => entry,
            Ok(Ok(Some(Lookup::Corrupt(reason)))) => return self.discard(&path, reason).await,
            Ok(Err(error)) => {
                self.warn_once("read", &error);
                return None;
            }
            Err(error) => {
                self.warn_once("read", &error);
                return None;
            }
        };
        let now = now_millis();
        if entry.stored_ms > now.saturating_add(CLOCK_SKEW_MS) {
            tracing::info!("cache miss: the entry is dated in the future");
            return None;
        }
        // The header's word alone would let a page planted (or written by a clock that was
        // wrong) as final outlive a ranking that may still change.
        let is_final = entry.is_final && Cache::is_final(query, today_utc());
        let age = now.saturating_sub(entry.stored_ms);
        if !is_final && u128::from(age) >= self.recent_ttl.as_millis() {
            tracing::info!(age_secs = age / 1000, "cache miss: the entry expired");
            return None;
        }
        match Page::from_body(&entry.body, query) {
            Ok(page) => {
                tracing::info!(is_final, "cache hit");
                Some(page)
            }
            Err(_) => self.discard(&path, "a body that is not a page").await,
        }
    }

    /// Removes a corrupt, truncated or undecodable entry, so the next read refetches.
    async fn discard(&self, path: &Path, reason: &str) -> Option<Page> {
        tracing::warn!(path = %path.display(), "discarding a cache entry holding {reason}");
        if let Some(name) = path.file_name().and_then(|name| name.to_str()) {
            self.index.remove(name);
        }
        let path = path.to_owned();
        let _ = tokio::task::spawn_blocking(move || std::fs::remove_file(path)).await;
        None
    }

    /// The write that would store a successful page's body, when the rules above allow
    /// it; nothing is written until it is [queued](CacheWrite::queue).
    pub(crate) fn write_for(
        &self,
        base_url: &str,
        query: &VideoRankingQuery,
        body: Vec<u8>,
        page: &Page,
    ) -> Option<CacheWrite> {
        // An empty page of a settled period is most likely an upstream gap, not the
        // ranking: it is kept as recent, so it is asked for again soon.
        let settled = Cache::is_final(query, today_utc());
        let empty = page.items.is_empty();
        let is_final = settled && !empty;
        let keep = is_final || (!self.recent_ttl.is_zero() && (settled || !empty));
        (keep && self.usable()).then(|| CacheWrite {
            cache: self.clone(),
            key: key(base_url, query),
            stored_ms: now_millis(),
            is_final,
            body,
        })
    }

    /// Waits for the pages still being written in the background, at most `timeout`;
    /// returns whether all were written. When it gives up, it logs a `warn` naming how
    /// many were left: those pages are simply fetched again next time. Call it (or
    /// [`Client::flush_cache`](crate::Client::flush_cache)) before the process exits.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn run(cache: keyapi_tiktok::Cache) {
    /// if !cache.flush(Duration::from_secs(10)).await {
    ///     eprintln!("some pages were not cached");
    /// }
    /// # }
    /// ```
    pub async fn flush(&self, timeout: Duration) -> bool {
        if self.pending.wait(timeout).await {
            return true;
        }
        tracing::warn!(
            "gave up after {:.1} s waiting for {} cache writes in {}; those pages will be \
             fetched again next time",
            timeout.as_secs_f64(),
            self.pending.running(),
            self.dir.display()
        );
        false
    }

    fn warn_once(&self, action: &str, error: &dyn std::fmt::Display) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "cannot {action} the cache in {} ({error}); continuing without it",
                self.dir.display()
            );
        }
    }

    /// A refusal as an error: a directory that is not a cache is bad input.
    fn refused(&self, action: &str, refusal: Refusal) -> Error {
        match refusal {
            Refusal::NotACache(reason) => Error::InvalidInput {
                parameter: "cache_dir",
                value: self.dir.display().to_string(),
                expected: format!("a cache directory, but it {reason}"),
            },
            Refusal::Io(reason) => self.error(action, reason),
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

/// A page's body waiting to be stored: see [`Cache::write_for`].
pub(crate) struct CacheWrite {
    cache: Cache,
    key: String,
    stored_ms: u64,
    is_final: bool,
    body: Vec<u8>,
}

impl CacheWrite {
    /// Stores the page in the background: returns before the write is done (see
    /// [`Cache::flush`]).
    pub(crate) fn queue(self) {
        let pending = Arc::clone(&self.cache.pending);
        let bytes = self.body.len() + self.key.len();
        // In the queue of writes run one at a time on a blocking thread.
        let queued = pending.spawn_blocking(bytes, move || {
            let CacheWrite {
                cache,
                key,
                stored_ms,
                is_final,
                body,
            } = self;
            match store::write(&cache.dir, &key, stored_ms, is_final, &body) {
                Ok(()) => cache.index.insert(&store::name(&key)),
                Err(error) => cache.warn_once("write", &error),
            }
        });
        if !queued {
            tracing::info!(
                "cache writes already waiting hold {} MiB: this page is not cached",
                pending::MAX_QUEUED_BYTES >> 20
            );
        }
    }
}

/// One key per distinct request: the server and every query parameter.
fn key(base_url: &str, query: &VideoRankingQuery) -> String {
    format!("keyapi-tiktok/v1 {base_url} {}", query.canonical())
}

/// The bytes of every file under `dir`, without following symlinks.
fn disk_usage(dir: &Path) -> std::io::Result<u64> {
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        bytes += if meta.is_dir() {
            disk_usage(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(bytes)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
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
    fn finality_is_the_querys_settling() {
        let daily = query(date(2026, 11, 20), Period::Daily);
        assert!(!Cache::is_final(&daily, date(2026, 11, 23)));
        assert!(Cache::is_final(&daily, date(2026, 11, 24)));
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
