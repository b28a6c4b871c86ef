//! The single writer of a sync: a thread of its own with its own connection, committing
//! each page's rows with its ranking's progress in one transaction.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use jiff::Timestamp;
use jiff::civil::Date;
use keyapi_tiktok::{MAX_PAGE_SIZE, Page, RankedVideo};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use tokio::sync::mpsc;

use crate::store::{RankingState, key_params, open_connection, ranking_key_matches};
use crate::sync::{ProgressFn, SyncEvent};
use crate::{RankingKey, StoreError};

/// Pages committed in one transaction at most, when several are waiting (and pages that
/// may wait): each page still commits with its ranking's progress, and fewer commits keep
/// up with any fetch rate (each writes the index pages it touched to the WAL again: with
/// [`CHECKPOINT_PAGES`], 256 against 64 measured 14 to 40 % more rows a second in the
/// store bench's backfill).
pub(crate) const MAX_BATCH: usize = 256;

/// WAL pages between the writer's checkpoints (SQLite's default is 1,000): with fewer,
/// larger checkpoints an index page rewritten by many commits is copied back once.
const CHECKPOINT_PAGES: i64 = 4_000;

/// One page to store.
pub(crate) struct PageWrite {
    pub(crate) key: RankingKey,
    /// The pages the plan needs of this ranking: the page with this number completes it.
    pub(crate) needed_pages: u32,
    /// The page number. Page 1 starts a fetch: it replaces everything stored of the ranking.
    pub(crate) number: u32,
    /// Its videos, in rank order.
    pub(crate) items: Vec<RankedVideo>,
    /// Whether the ranking ends with this page (a short or empty page, or one repeating
    /// the page before it, stored without its videos).
    pub(crate) last: bool,
}

impl PageWrite {
    /// A page received.
    pub(crate) fn page(key: RankingKey, needed_pages: u32, page: Page) -> PageWrite {
        PageWrite {
            key,
            needed_pages,
            number: page.page,
            last: page.is_last(),
            items: page.items,
        }
    }

    /// Page `number`, which repeated the page before it (upstream ignoring `page_num`): it
    /// ends the ranking, as an empty page would, so a rerun does not pay for it again.
    pub(crate) fn repeated(key: RankingKey, needed_pages: u32, number: u32) -> PageWrite {
        PageWrite {
            key,
            needed_pages,
            number,
            items: Vec::new(),
            last: true,
        }
    }
}

/// What the writer stored.
#[derive(Debug, Default)]
pub(crate) struct WriterTally {
    pub(crate) pages: u64,
    pub(crate) items: u64,
    /// Rankings stored whole.
    pub(crate) done: HashSet<RankingKey>,
    /// Why it stopped early, if it did.
    pub(crate) error: Option<StoreError>,
}

/// The writer thread and the channel that feeds it.
pub(crate) struct Writer {
    sender: mpsc::Sender<PageWrite>,
    thread: JoinHandle<WriterTally>,
}

impl Writer {
    /// Opens a connection (failing before any request) and starts the thread, which holds
    /// the one-writer `lock` until its last commit; at most `capacity` pages wait for it,
    /// so memory stays flat however long the plan.
    pub(crate) fn start(
        path: &Path,
        lock: File,
        today: Date,
        progress: Option<ProgressFn>,
        capacity: usize,
    ) -> Result<Writer, StoreError> {
        let connection = open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        connection
            .pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)
            .map_err(StoreError::sqlite("open", path))?;
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let state = State {
            connection,
            path: path.to_owned(),
            today,
            progress,
            ids: HashMap::new(),
        };
        let thread = std::thread::Builder::new()
            .name("keyapi-tiktok-store writer".to_owned())
            .spawn(move || {
                let tally = state.run(receiver);
                drop(lock);
                tally
            })
            .map_err(StoreError::io("start the writer thread for", path))?;
        Ok(Writer { sender, thread })
    }

    /// A sender of pages; the writer stops taking them after a failed write.
    pub(crate) fn sender(&self) -> mpsc::Sender<PageWrite> {
        self.sender.clone()
    }

    /// Waits for every page sent to be committed (or the writer to fail).
    pub(crate) async fn finish(self) -> WriterTally {
        tokio::task::spawn_blocking(move || self.join())
            .await
            .unwrap_or_else(|_| WriterTally::failed())
    }

    /// [`Writer::finish`], blocking the calling thread.
    pub(crate) fn join(self) -> WriterTally {
        let Writer { sender, thread } = self;
        drop(sender);
        thread.join().unwrap_or_else(|_| WriterTally::failed())
    }
}

impl WriterTally {
    /// The tally of a writer thread that panicked (a bug: it has no panicking path).
    fn failed() -> WriterTally {
        WriterTally {
            error: Some(StoreError::Io {
                action: "write the store".to_owned(),
                source: std::io::Error::other("the writer thread failed"),
            }),
            ..WriterTally::default()
        }
    }
}

struct State {
    connection: Connection,
    path: PathBuf,
    today: Date,
    progress: Option<ProgressFn>,
    /// `rankings.id` of each ranking written so far.
    ids: HashMap<RankingKey, i64>,
}

impl State {
    fn run(mut self, mut receiver: mpsc::Receiver<PageWrite>) -> WriterTally {
        let mut tally = WriterTally::default();
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = receiver.blocking_recv() {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(write) => batch.push(write),
                    Err(_) => break,
                }
            }
            let (states, failure) = self.commit_all(&batch);
            for (write, state) in batch.drain(..).zip(states) {
                tally.pages += 1;
                tally.items += write.items.len() as u64;
                self.emit(SyncEvent::PageStored {
                    ranking: write.key.clone(),
                    page: write.number,
                    items: write.items.len(),
                });
                if state != RankingState::Partial {
                    self.emit(SyncEvent::RankingStored {
                        ranking: write.key.clone(),
                        state,
                    });
                    tally.done.insert(write.key);
                }
            }
            if let Some(error) = failure {
                tally.error = Some(error);
                // Closing the channel stops the fetches; what was committed stays.
                break;
            }
        }
        tally
    }

    fn emit(&self, event: SyncEvent) {
        if let Some(progress) = &self.progress {
            progress(&event);
        }
    }

    /// Commits the batch in one transaction or, when that fails, page by page, so a page is
    /// lost only when it cannot be written itself: the states of the pages committed, in
    /// order, and the failure that stopped the writing.
    fn commit_all(&mut self, batch: &[PageWrite]) -> (Vec<RankingState>, Option<StoreError>) {
        match self.commit(batch) {
            Ok(states) => (states, None),
            Err(error) if batch.len() == 1 => (Vec::new(), Some(error)),
            Err(_) => {
                let mut states = Vec::with_capacity(batch.len());
                for write in batch {
                    match self.commit(std::slice::from_ref(write)) {
                        Ok(state) => states.extend(state),
                        Err(error) => return (states, Some(error)),
                    }
                }
                (states, None)
            }
        }
    }

    /// Commits the pages in one transaction; the state each leaves its ranking in.
    fn commit(&mut self, batch: &[PageWrite]) -> Result<Vec<RankingState>, StoreError> {
        let failed = StoreError::sqlite("write to", &self.path);
        let fetched_at = Timestamp::now().to_string();
        let transaction = self
            .connection
            .transaction()
            .map_err(StoreError::sqlite("write to", &self.path))?;
        let mut new_ids = Vec::new();
        let mut states = Vec::with_capacity(batch.len());
        let stored = (|| {
            for write in batch {
                let id = match self.ids.get(&write.key) {
                    Some(&id) => id,
                    None => {
                        let id = ranking_id(&transaction, &write.key)?;
                        new_ids.push((write.key.clone(), id));
                        id
                    }
                };
                let settled = write.key.query().is_settled(self.today);
                states.push(store_page(&transaction, id, write, settled, &fetched_at)?);
            }
            Ok::<_, rusqlite::Error>(())
        })();
        stored.and_then(|()| transaction.commit()).map_err(failed)?;
        self.ids.extend(new_ids);
        Ok(states)
    }
}

/// The ranking's id, its row created (partial, nothing stored) when new.
fn ranking_id(transaction: &Transaction<'_>, key: &RankingKey) -> rusqlite::Result<i64> {
    let mut select = transaction.prepare_cached(concat!(
        "SELECT id FROM rankings WHERE ",
        ranking_key_matches!()
    ))?;
    if let Some(id) = select
        .query_row(key_params(key), |row| row.get(0))
        .optional()?
    {
        return Ok(id);
    }
    // Its progress and `fetched_at` are set by the page stored next, in this transaction.
    transaction.execute(
        "INSERT INTO rankings (date, region, field, period, category, ai, state, pages, items, credits, fetched_at, settled)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'partial', 0, 0, 0, '', 0)",
        key_params(key),
    )?;
    Ok(transaction.last_insert_rowid())
}

/// Stores the page's videos at its ranks and updates the ranking's progress; the state the
/// page leaves the ranking in.
///
/// Page 1 starts a fetch, so it replaces everything stored of the ranking: a refresh never
/// leaves an older fetch's later pages beside the new ones, even when cut short or asking
/// fewer pages. A later page replaces its own ranks, and a last page every rank after it.
/// `settled` stays true only while every page stored was fetched after the ranking settled.
fn store_page(
    transaction: &Transaction<'_>,
    id: i64,
    write: &PageWrite,
    settled: bool,
    fetched_at: &str,
) -> rusqlite::Result<RankingState> {
    let size = i64::from(MAX_PAGE_SIZE);
    let first_rank = i64::from(write.number.saturating_sub(1)) * size + 1;
    let last_rank = if write.number == 1 || write.last {
        i64::MAX
    } else {
        first_rank + size - 1
    };
    let replaced = transaction
        .prepare_cached("DELETE FROM entries WHERE ranking = ?1 AND rank BETWEEN ?2 AND ?3")?
        .execute(params![id, first_rank, last_rank])?;
    let mut insert = transaction.prepare_cached(INSERT_ENTRY)?;
    for video in &write.items {
        insert_entry(&mut insert, id, video)?;
    }
    let state = if write.last {
        RankingState::EndedShort
    } else if write.number >= write.needed_pages {
        RankingState::Complete
    } else {
        RankingState::Partial
    };
    transaction
        .prepare_cached(
            "UPDATE rankings SET state = ?1, pages = ?2, items = items - ?3 + ?4,
                 credits = credits + 1, fetched_at = ?5,
                 settled = ?6 AND (?2 = 1 OR settled)
             WHERE id = ?7",
        )?
        .execute(params![
            state.as_str(),
            write.number,
            replaced as i64,
            write.items.len() as i64,
            fetched_at,
            settled,
            id
        ])?;
    Ok(state)
}

const INSERT_ENTRY: &str = "INSERT INTO entries (
    ranking, rank, video_id, user_id, unique_id, nick_name, region, category, description,
    created_at, duration_secs, created_by_ai, sales_method, views, likes, comments, shares,
    favorites, units_sold, gmv, product_ids, product_categories, cover_url, avatar_url,
    history_views, history_likes, history_comments, history_favorites, history_shares,
    history_units_sold, history_gmv, extra, issues
) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
    ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)";

/// A count as SQLite's signed integer, saturated (upstream sends no count near 2^63).
fn count(value: Option<u64>) -> Option<i64> {
    value.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

fn insert_entry(
    insert: &mut rusqlite::CachedStatement<'_>,
    ranking: i64,
    video: &RankedVideo,
) -> rusqlite::Result<()> {
    let history = &video.history;
    insert.execute(params![
        ranking,
        count(Some(video.rank)),
        video.video_id,
        video.user_id,
        video.unique_id,
        video.nick_name,
        video.region,
        video.category,
        video.description,
        video.created_at.map(|at| at.to_string()),
        count(video.duration_secs),
        video.created_by_ai,
        video.sales_method.map(|method| method.as_str()),
        count(video.views),
        count(video.likes),
        count(video.comments),
        count(video.shares),
        count(video.favorites),
        count(video.units_sold),
        video.gmv,
        json(&video.product_ids),
        json(&video.product_categories),
        video.cover_url.as_ref().map(|url| url.as_str()),
        video.avatar_url.as_ref().map(|url| url.as_str()),
        count(history.views),
        count(history.likes),
        count(history.comments),
        count(history.favorites),
        count(history.shares),
        count(history.units_sold),
        history.gmv,
        json(&video.extra),
        json(&video.issues),
    ])?;
    Ok(())
}

/// The writer without the network, for the benches: stores each `(ranking, page)` through
/// the same thread, channel and transactions as a sync (every ranking `needed_pages`
/// long); the videos stored.
#[doc(hidden)]
pub fn __bench_write(
    path: &Path,
    needed_pages: u32,
    pages: impl Iterator<Item = (RankingKey, Page)>,
) -> Result<u64, StoreError> {
    let store = crate::Store::open(path)?;
    let lock = store.lock()?;
    let today = crate::plan::today_utc(Timestamp::now());
    let writer = Writer::start(path, lock, today, None, MAX_BATCH)?;
    let sender = writer.sender();
    for (key, page) in pages {
        if sender
            .blocking_send(PageWrite::page(key, needed_pages, page))
            .is_err()
        {
            break;
        }
    }
    drop(sender);
    let tally = writer.join();
    match tally.error {
        Some(error) => Err(error),
        None => Ok(tally.items),
    }
}
