//! [`Store`]: one SQLite file, opened safely (ours, or new, or refused untouched), and what
//! it holds for a plan.

use std::fs::File;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::plan::today_utc;
use crate::schema::{self, APPLICATION_ID, Found, SCHEMA_VERSION};
use crate::{RankingKey, StoreError, SyncPlan};

/// A store of rankings: one SQLite file that `sqlite3`, DuckDB or Datasette can open too
/// (the tables are documented in the crate README).
///
/// One [`sync`](Store::sync) at a time writes it (a second one fails at once with
/// [`StoreError::Locked`]); readers, in this process or others, read during a sync (WAL).
///
/// ```no_run
/// use keyapi_tiktok_store::Store;
/// let store = Store::open_read_only("rankings.sqlite3".as_ref())?;
/// for entry in store.history("7601397977986501919")? {
///     println!("{} {} {} #{}", entry.date, entry.period, entry.region, entry.rank);
/// }
/// # Ok::<(), keyapi_tiktok_store::StoreError>(())
/// ```
#[derive(Debug)]
pub struct Store {
    pub(crate) connection: Connection,
    pub(crate) path: PathBuf,
    pub(crate) read_only: bool,
}

impl Store {
    /// Opens the store at `path` for reading and writing, creating it (and its directory)
    /// when missing and bringing an older schema up to date.
    ///
    /// Every spelling of the path (symbolic links to the file or to a directory on the
    /// way, `..`, a relative path) reaches the one file, which is opened by its real name
    /// (see [`Store::path`]), so its one-writer lock and its `-wal` file are shared.
    ///
    /// Refuses, leaving the file untouched: a directory ([`StoreError::IsDirectory`]), a
    /// file that is not SQLite ([`StoreError::NotSqlite`]), another application's
    /// database ([`StoreError::ForeignDatabase`]), a newer schema
    /// ([`StoreError::NewerSchema`]), a file with more than one hard link
    /// ([`StoreError::HardLinked`]) and a symbolic link to nothing
    /// ([`StoreError::DanglingSymlink`]: creating its target would put a store where the
    /// user did not look, so nothing is created).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let path = match locate(path)? {
            Some(real) => real,
            None => {
                create_private(path)?;
                locate(path)?.ok_or_else(|| StoreError::Missing {
                    path: path.to_owned(),
                })?
            }
        };
        let path = path.as_path();
        refuse_foreign(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let mut connection = open_connection(path, flags)?;
        connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(StoreError::sqlite("open", path))?;
        schema::migrate(&mut connection, path)?;
        Ok(Store {
            connection,
            path: path.to_owned(),
            read_only: false,
        })
    }

    /// Opens an existing store for queries only: never creates, migrates or writes it.
    /// Refuses what [`Store::open`] refuses, and a missing or empty database
    /// ([`StoreError::Missing`]).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let missing = || StoreError::Missing {
            path: path.to_owned(),
        };
        let path = locate(path)?.ok_or_else(missing)?;
        let path = path.as_path();
        if !refuse_foreign(path)? {
            return Err(missing());
        }
        let connection = open_connection(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        if schema::version(&connection, path)? < SCHEMA_VERSION {
            return Err(missing());
        }
        Ok(Store {
            connection,
            path: path.to_owned(),
            read_only: true,
        })
    }

    /// The database file's path, every symbolic link and `..` resolved: the one name
    /// every spelling of the path reaches, beside which the lock, `-wal` and `-shm` files
    /// are.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What a sync of `plan` would do as of `now`, in totals: how many rankings it fetches,
    /// how many are already complete, and the most credits it can cost. Reads only.
    ///
    /// ```no_run
    /// # use keyapi_tiktok_store::*;
    /// # fn run(store: Store, plan: SyncPlan) -> Result<(), StoreError> {
    /// let status = store.plan_status(&plan, jiff::Timestamp::now())?;
    /// println!("{} to fetch, {} complete, at most {} credits", status.to_fetch, status.complete, status.max_credits);
    /// # Ok(()) }
    /// ```
    pub fn plan_status(&self, plan: &SyncPlan, now: Timestamp) -> Result<PlanStatus, StoreError> {
        PlanStatus::of(self.plan_rankings(plan, now)?)
    }

    /// What a sync of `plan` would do with each of its rankings as of `now`, in plan
    /// order, one at a time (memory does not grow with the plan): fetch it (new, resumed
    /// at its first missing page, refreshed because it may still change) or skip it
    /// (complete). Validates the plan first; reads only.
    ///
    /// ```no_run
    /// # use keyapi_tiktok_store::*;
    /// # fn run(store: Store, plan: SyncPlan) -> Result<(), StoreError> {
    /// for planned in store.plan_rankings(&plan, jiff::Timestamp::now())? {
    ///     let planned = planned?;
    ///     println!("{}: {:?}, up to {} pages", planned.key, planned.action, planned.max_pages);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn plan_rankings<'a>(
        &'a self,
        plan: &'a SyncPlan,
        now: Timestamp,
    ) -> Result<impl Iterator<Item = Result<PlannedRanking, StoreError>> + 'a, StoreError> {
        planned_rankings(plan, now, |key| self.stored(key))
    }

    /// What the store holds of one ranking, if anything.
    pub fn stored(&self, key: &RankingKey) -> Result<Option<StoredRanking>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(concat!(
                "SELECT id, state, pages, items, credits, fetched_at, settled FROM rankings WHERE ",
                ranking_key_matches!()
            ))
            .map_err(StoreError::sqlite("read", &self.path))?;
        statement
            .query_row(key_params(key), |row| {
                let state: String = row.get(1)?;
                Ok(StoredRanking {
                    id: row.get(0)?,
                    state: RankingState::from_column(&state),
                    pages: row.get(2)?,
                    items: row.get(3)?,
                    credits: row.get(4)?,
                    fetched_at: row.get(5)?,
                    settled: row.get(6)?,
                })
            })
            .optional()
            .map_err(StoreError::sqlite("read", &self.path))
    }

    /// The video ids stored at the ranks of page `page` of the ranking with this id, in
    /// rank order: what a resumed fetch checks its first page against.
    pub(crate) fn page_video_ids(
        &self,
        ranking: i64,
        page: u32,
    ) -> Result<Vec<String>, StoreError> {
        let size = i64::from(keyapi_tiktok::MAX_PAGE_SIZE);
        let first = i64::from(page.saturating_sub(1)) * size + 1;
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT video_id FROM entries WHERE ranking = ?1 AND rank BETWEEN ?2 AND ?3 ORDER BY rank",
            )
            .map_err(StoreError::sqlite("read", &self.path))?;
        statement
            .query_map(rusqlite::params![ranking, first, first + size - 1], |row| {
                row.get(0)
            })
            .and_then(Iterator::collect)
            .map_err(StoreError::sqlite("read", &self.path))
    }

    /// Holds the one-writer lock on `PATH-lock` beside the real file ([`Store::path`])
    /// until dropped; fails at once when another sync holds it.
    pub(crate) fn lock(&self) -> Result<File, StoreError> {
        if self.read_only {
            return Err(StoreError::io("write", &self.path)(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the store was opened read-only",
            )));
        }
        let mut name = self.path.clone().into_os_string();
        name.push("-lock");
        let lock_path = PathBuf::from(name);
        let file = private_file_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(StoreError::io("create the lock file", &lock_path))?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(file),
            Err(fs4::TryLockError::WouldBlock) => Err(StoreError::Locked {
                path: self.path.clone(),
            }),
            Err(fs4::TryLockError::Error(error)) => Err(StoreError::io("lock", &lock_path)(error)),
        }
    }
}

/// The file `path` reaches, every symbolic link and `..` resolved (`None` when there is
/// none yet); refuses a symbolic link to nothing and a file with more than one hard link
/// (no name can be chosen for it: SQLite would keep a `-wal` file per name).
fn locate(path: &Path) -> Result<Option<PathBuf>, StoreError> {
    match canonicalize(path) {
        Ok(real) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                let metadata = std::fs::metadata(&real).map_err(StoreError::io("read", &real))?;
                if metadata.is_file() && metadata.nlink() > 1 {
                    return Err(StoreError::HardLinked {
                        path: real,
                        links: metadata.nlink(),
                    });
                }
            }
            Ok(Some(real))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            match std::fs::read_link(path) {
                Ok(target) => Err(StoreError::DanglingSymlink {
                    path: path.to_owned(),
                    target,
                }),
                // Nothing there (or a directory on the way is missing): created by `open`.
                Err(_) => Ok(None),
            }
        }
        Err(error) => Err(StoreError::io("find", path)(error)),
    }
}

/// `std::fs::canonicalize`, without the `\\?\` prefix Windows puts before a drive path
/// (messages would show it, and it names the same file without it).
fn canonicalize(path: &Path) -> std::io::Result<PathBuf> {
    let real = std::fs::canonicalize(path)?;
    #[cfg(windows)]
    if let Some(drive_path) = real.to_str().and_then(|real| real.strip_prefix(r"\\?\")) {
        if drive_path.as_bytes().get(1) == Some(&b':') {
            return Ok(PathBuf::from(drive_path));
        }
    }
    Ok(real)
}

/// Refuses a directory, a file that is not SQLite, another application's database and a
/// newer schema, without writing a byte; whether there is a database at all.
fn refuse_foreign(path: &Path) -> Result<bool, StoreError> {
    match schema::inspect(path)? {
        Found::Nothing => Ok(false),
        Found::Sqlite { application_id } if application_id == APPLICATION_ID => Ok(true),
        Found::Sqlite { application_id: 0 } => {
            // No id in the header (another application's file, or ours whose first
            // transaction is still only in its -wal file): checked through a read-only
            // connection, which sees the -wal file but cannot write, not even switch the
            // file to WAL.
            let connection = open_connection(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            schema::version(&connection, path)?;
            Ok(true)
        }
        Found::Sqlite { application_id } => Err(StoreError::ForeignDatabase {
            path: path.to_owned(),
            application_id,
        }),
    }
}

/// How long a connection waits for the file when another holds it (a checkpoint).
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A connection with the store's settings: a busy timeout (a checkpoint may hold the file
/// for a moment), `synchronous = NORMAL` (safe with WAL: a crash loses at most the last
/// commits, never the database) and foreign keys on.
pub(crate) fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(StoreError::sqlite("open", path))?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .and_then(|()| connection.pragma_update(None, "synchronous", "NORMAL"))
        .and_then(|()| connection.pragma_update(None, "foreign_keys", true))
        .map_err(StoreError::sqlite("open", path))?;
    Ok(connection)
}

/// The `WHERE` condition that finds a ranking by [`key_params`] (NULL filters included),
/// through the `rankings_key` index.
macro_rules! ranking_key_matches {
    () => {
        "date = ?1 AND region = ?2 AND field = ?3 AND period = ?4 \
         AND ifnull(category, '') = ifnull(?5, '') AND ifnull(ai, -1) = ifnull(?6, -1)"
    };
}
pub(crate) use ranking_key_matches;

/// The ranking's key columns as statement parameters `?1` to `?6`.
pub(crate) fn key_params(key: &RankingKey) -> impl rusqlite::Params + '_ {
    (
        key.date.to_string(),
        key.region.as_str(),
        key.field.as_str(),
        key.period.as_str(),
        key.category.as_deref(),
        key.ai,
    )
}

/// What a sync does with one ranking of its plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Nothing: stored after it settled, holding every page the plan needs or the whole
    /// ranking (ended short, empty, or at a page repeating the one before).
    Skip,
    /// Fetch it: not stored yet.
    New,
    /// Fetch its missing pages, from this one on: stored after it settled, so the pages
    /// fetched now are of the same version.
    Resume {
        /// The first page not stored.
        from_page: u32,
    },
    /// Fetch it again from the first page, which replaces everything stored of it: some
    /// of it was fetched before it settled, so it may have changed since.
    Refresh,
}

impl Action {
    /// The rule, so that a ranking's entries always come from one fetch of one version:
    /// a ranking with any page fetched before it settled is fetched again whole; one
    /// stored after it settled is never fetched again when it holds every page the plan
    /// needs or the whole ranking, and else resumes at its first missing page.
    fn decide(stored: Option<&StoredRanking>, needed_pages: u32) -> Action {
        let Some(stored) = stored else {
            return Action::New;
        };
        if !stored.settled {
            return Action::Refresh;
        }
        let pages = u32::try_from(stored.pages).unwrap_or(u32::MAX);
        match stored.state {
            RankingState::EndedShort => Action::Skip,
            RankingState::Complete | RankingState::Partial if pages >= needed_pages => Action::Skip,
            RankingState::Complete | RankingState::Partial => Action::Resume {
                from_page: pages.saturating_add(1),
            },
        }
    }
}

/// How much of a ranking is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RankingState {
    /// Some pages are missing: the next sync resumes at `pages + 1`.
    Partial,
    /// Every page the plan's limit asked for is stored.
    Complete,
    /// The ranking ended before the limit (a short or empty page, or a page repeating the
    /// one before it: upstream ignoring `page_num`): all upstream serves of it is stored.
    EndedShort,
}

impl RankingState {
    /// The value of the `rankings.state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RankingState::Partial => "partial",
            RankingState::Complete => "complete",
            RankingState::EndedShort => "ended_short",
        }
    }

    fn from_column(value: &str) -> RankingState {
        match value {
            "complete" => RankingState::Complete,
            "ended_short" => RankingState::EndedShort,
            // The CHECK constraint allows nothing else; anything odd is fetched again.
            _ => RankingState::Partial,
        }
    }
}

/// A ranking's row in the `rankings` table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredRanking {
    /// `rankings.id`, which `entries.ranking` refers to.
    pub id: i64,
    /// How much of it is stored.
    pub state: RankingState,
    /// Pages 1 to `pages` are stored.
    pub pages: i64,
    /// Videos stored.
    pub items: i64,
    /// Pages paid for and stored, over every sync (the run ledger has the exact credits).
    pub credits: i64,
    /// When its last page was stored (RFC 3339, UTC).
    pub fetched_at: String,
    /// Whether every page stored was fetched after it settled (could no longer change).
    pub settled: bool,
}

/// One ranking of a plan, as [`Store::plan_rankings`] found it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedRanking {
    /// The ranking.
    pub key: RankingKey,
    /// What a sync does with it.
    #[serde(flatten)]
    pub action: Action,
    /// The most pages (credits) a sync requests for it.
    pub max_pages: u32,
    /// Whether it has settled now ([`keyapi_tiktok::VideoRankingQuery::is_settled`]).
    pub settled: bool,
    /// What is stored of it.
    pub stored: Option<StoredRanking>,
}

impl PlannedRanking {
    /// Each ranking of `plan` as of `now` in a store that holds none of it (or does not
    /// exist yet): every one new. Nothing is read or created; the plan is validated first.
    ///
    /// ```
    /// # use keyapi_tiktok_store::*;
    /// let plan = SyncPlan::new("2026-11-01..2026-11-03".parse()?).regions(["US".parse()?]).limit(30);
    /// let mut rankings = PlannedRanking::of_empty_store(&plan, "2026-12-01T00:00:00Z".parse()?)?;
    /// assert_eq!(rankings.next().transpose()?.map(|planned| planned.action), Some(Action::New));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_empty_store(
        plan: &SyncPlan,
        now: Timestamp,
    ) -> Result<impl Iterator<Item = Result<PlannedRanking, StoreError>> + '_, StoreError> {
        planned_rankings(plan, now, |_| Ok(None))
    }
}

/// Each ranking of `plan` as of `now`, given what is `stored` of each, made one at a time
/// (memory does not grow with the plan); the plan is validated first.
pub(crate) fn planned_rankings<'a>(
    plan: &'a SyncPlan,
    now: Timestamp,
    mut stored: impl FnMut(&RankingKey) -> Result<Option<StoredRanking>, StoreError> + 'a,
) -> Result<impl Iterator<Item = Result<PlannedRanking, StoreError>> + 'a, StoreError> {
    plan.validate(now)?;
    let today = today_utc(now);
    let needed = plan.pages_per_ranking();
    Ok(plan.rankings().map(move |key| {
        let stored = stored(&key)?;
        let action = Action::decide(stored.as_ref(), needed);
        let max_pages = match action {
            Action::Skip => 0,
            Action::New | Action::Refresh => needed,
            Action::Resume { from_page } => needed.saturating_sub(from_page) + 1,
        };
        let settled = key.query().is_settled(today);
        Ok(PlannedRanking {
            key,
            action,
            max_pages,
            settled,
            stored,
        })
    }))
}

/// What a sync of a plan would do, in totals: see [`Store::plan_status`] and
/// [`PlanStatus::of_empty_store`]; [`Store::plan_rankings`] gives each ranking.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanStatus {
    /// Rankings a sync fetches (new, resumed or refreshed).
    pub to_fetch: usize,
    /// Rankings stored whole (for this plan) after they settled: skipped.
    pub complete: usize,
    /// The most credits the sync can cost: every page it may request, retries of charged
    /// failures aside (those are rare; the client's budget bounds them too).
    pub max_credits: u64,
}

impl PlanStatus {
    /// What a sync of `plan` as of `now` would do in a store that holds none of it (or
    /// does not exist yet): every ranking new. Nothing is read or created.
    ///
    /// ```
    /// # use keyapi_tiktok_store::*;
    /// let plan = SyncPlan::new("2026-11-01..2026-11-03".parse()?).regions(["US".parse()?]).limit(30);
    /// let status = PlanStatus::of_empty_store(&plan, "2026-12-01T00:00:00Z".parse()?)?;
    /// assert_eq!((status.to_fetch, status.max_credits), (3, 9));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_empty_store(plan: &SyncPlan, now: Timestamp) -> Result<PlanStatus, StoreError> {
        PlanStatus::of(PlannedRanking::of_empty_store(plan, now)?)
    }

    /// The totals of these rankings.
    pub fn of(
        rankings: impl IntoIterator<Item = Result<PlannedRanking, StoreError>>,
    ) -> Result<PlanStatus, StoreError> {
        let mut status = PlanStatus::default();
        for planned in rankings {
            status.add(&planned?);
        }
        Ok(status)
    }

    /// Counts one more ranking.
    pub fn add(&mut self, planned: &PlannedRanking) {
        if planned.action == Action::Skip {
            self.complete += 1;
        } else {
            self.to_fetch += 1;
        }
        self.max_credits += u64::from(planned.max_pages);
    }
}

/// Creates the missing directories of `path` (0700) and the empty database file (0600),
/// so a store is private whatever the umask: SQLite gives its `-wal` and `-shm` files the
/// database's permissions. A file that appeared meanwhile is left as it is.
fn create_private(path: &Path) -> Result<(), StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut directories = std::fs::DirBuilder::new();
        directories.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut directories, 0o700);
        directories
            .create(parent)
            .map_err(StoreError::io("create the directory of", path))?;
    }
    match private_file_options()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => {
            Err(StoreError::io("create", path)(error))
        }
        _ => Ok(()),
    }
}

/// Options that create a file readable and writable by its owner only (0600 on unix).
pub(crate) fn private_file_options() -> std::fs::OpenOptions {
    let mut options = File::options();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}
