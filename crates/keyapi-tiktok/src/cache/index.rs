//! Which entries `pages-v1/` holds, known in memory, so a lookup of a page the cache does
//! not hold is a miss without a trip to a blocking thread and a failed `open`.
//!
//! The listing is a hint, never an answer: a name it holds is read from the disk and
//! checked as before (it may have been removed since), and only a name it lacks is taken as
//! a miss without touching the disk. What that means for processes sharing a directory:
//!
//! - The directory is listed (on a blocking thread) at a cache's first lookup, and listed
//!   again by the first lookup after the listing is [`TRUSTED_FOR`] old. An entry another
//!   process wrote is therefore found by every lookup that starts that long after it was
//!   renamed into place (and by every lookup of a process that starts after it was
//!   written); one written less than that before a lookup may be missed, the page then
//!   fetched again as if it had not yet been written.
//! - This process's own writes are added to the listing as each completes, and its own
//!   removals taken out of it, so within a process a stored page is found at once.
//! - A fresh listing is merged into what was known rather than replacing it: a write that
//!   completed while the directory was being listed is not forgotten, and names removed by
//!   another process cost a read that finds nothing, as before this index existed.
//! - A directory too large to list ([`MAX_LISTED`] entries) or that cannot be listed is
//!   not indexed until it is listed again: every lookup meanwhile goes to the disk, as it
//!   did before this index.

use std::collections::HashSet;
use std::io;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::store::{PAGES_DIR, is_entry_name};

/// How long a listing is taken as the directory's contents (besides this process's own
/// writes): a second, so a page another process wrote is missed for at most that long.
pub(super) const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// A directory holding more entries is not indexed (8 bytes a name held).
pub(super) const MAX_LISTED: usize = 1 << 20;

/// The entries a cache (and its clones) knows of, shared by its lookups and writes.
#[derive(Debug, Default)]
pub(super) struct Index {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The names known: the first 8 bytes of each entry's SHA-256 name. A name that shares
    /// them with another costs only a read that finds the other key's entry.
    ids: HashSet<u64>,
    /// When the directory was last listed (or its listing failed); `None`: never.
    listed_at: Option<Instant>,
    /// Whether that listing holds every entry: false when the directory could not be listed
    /// or holds too many, so `ids` says nothing about what is absent.
    complete: bool,
    /// A lookup is listing the directory now (the others do not list it too).
    listing: bool,
}

/// What the index says of an entry name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Known {
    /// Not in a current listing, nor written since by this process: a miss.
    Absent,
    /// Listed, or written by this process: read it (it may be gone since).
    MaybePresent,
    /// The listing is missing or out of date: list the directory first (`Index::list`).
    ListFirst,
    /// The listing is out of date and another lookup is listing it: read it.
    Unknown,
}

impl Index {
    /// What is known of the entry named `name`; [`Known::ListFirst`] hands this caller the
    /// job of listing (it must call [`Index::list`]).
    pub(super) fn known(&self, name: &str) -> Known {
        let mut state = self.state();
        if state.ids.contains(&id(name)) {
            return Known::MaybePresent;
        }
        match state.listed_at {
            Some(at) if at.elapsed() < TRUSTED_FOR && state.complete => Known::Absent,
            Some(at) if at.elapsed() < TRUSTED_FOR => Known::Unknown,
            _ if state.listing => Known::Unknown,
            _ => {
                state.listing = true;
                Known::ListFirst
            }
        }
    }

    /// Lists the cache directory `dir` (it blocks on the disk: call it on a blocking
    /// thread) and merges what it holds into the index; then what is known of `name`.
    pub(super) fn list(&self, dir: &Path, name: &str) -> Known {
        let started = Instant::now();
        let listed = list(dir);
        let mut state = self.state();
        state.listing = false;
        state.listed_at = Some(started);
        match listed {
            Ok(Some(ids)) => {
                state.ids.extend(ids);
                state.complete = true;
            }
            // Not indexed until the next listing: every lookup reads the disk. (Nothing is
            // kept, so a directory too large to list costs no memory.)
            Ok(None) | Err(_) => {
                state.ids.clear();
                state.complete = false;
            }
        }
        if state.ids.contains(&id(name)) || !state.complete {
            Known::MaybePresent
        } else {
            Known::Absent
        }
    }

    /// This process wrote the entry named `name`.
    pub(super) fn insert(&self, name: &str) {
        let mut state = self.state();
        if state.ids.len() < MAX_LISTED {
            state.ids.insert(id(name));
        } else {
            state.ids.clear();
            state.complete = false;
        }
    }

    /// This process removed the entry named `name`.
    pub(super) fn remove(&self, name: &str) {
        self.state().ids.remove(&id(name));
    }

    /// This process removed entries wholesale (`Cache::clear`): nothing is known any more.
    pub(super) fn forget(&self) {
        let mut state = self.state();
        state.ids.clear();
        state.listed_at = None;
        state.complete = false;
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change leaves the state consistent, so a poisoned lock still holds one.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The ids of the entry names in `dir`'s `pages-v1/` (none when it does not exist), or
/// `None` when it holds more than [`MAX_LISTED`].
fn list(dir: &Path) -> io::Result<Option<HashSet<u64>>> {
    let pages = match std::fs::read_dir(dir.join(PAGES_DIR)) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Some(HashSet::new())),
        other => other?,
    };
    let mut ids = HashSet::new();
    for entry in pages {
        let entry = entry?;
        if let Some(name) = entry
            .file_name()
            .to_str()
            .filter(|name| is_entry_name(name))
        {
            if ids.len() == MAX_LISTED {
                return Ok(None);
            }
            ids.insert(id(name));
        }
    }
    Ok(Some(ids))
}

/// The first 16 hex digits of an entry name (a SHA-256 in hex) as a number; any other name
/// gives 0, which only makes a lookup read the disk.
fn id(name: &str) -> u64 {
    name.get(..16)
        .and_then(|digits| u64::from_str_radix(digits, 16).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    fn cache_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(PAGES_DIR)).unwrap();
        dir
    }

    #[test]
    fn only_a_name_a_current_listing_lacks_is_a_miss() {
        let dir = cache_dir();
        std::fs::write(dir.path().join(PAGES_DIR).join(A), "").unwrap();
        let index = Index::default();
        assert_eq!(index.known(B), Known::ListFirst);
        // Another lookup while the first lists: it reads the disk itself.
        assert_eq!(index.known(A), Known::Unknown);
        assert_eq!(index.list(dir.path(), B), Known::Absent);
        assert_eq!(index.known(A), Known::MaybePresent);
        assert_eq!(index.known(B), Known::Absent);
        // Written by this process: found at once.
        index.insert(B);
        assert_eq!(index.known(B), Known::MaybePresent);
        index.remove(B);
        assert_eq!(index.known(B), Known::Absent);
        index.forget();
        assert_eq!(index.known(A), Known::ListFirst);
    }

    #[test]
    fn a_listing_is_trusted_for_a_second_then_taken_again() {
        let dir = cache_dir();
        let index = Index::default();
        assert_eq!(index.known(A), Known::ListFirst);
        assert_eq!(index.list(dir.path(), A), Known::Absent);
        // Written by another process: unseen while the listing is trusted…
        std::fs::write(dir.path().join(PAGES_DIR).join(A), "").unwrap();
        assert_eq!(index.known(A), Known::Absent);
        // …and found by the first lookup after it, which lists again.
        index.state().listed_at = Some(Instant::now() - TRUSTED_FOR);
        assert_eq!(index.known(A), Known::ListFirst);
        assert_eq!(index.list(dir.path(), A), Known::MaybePresent);
    }

    #[test]
    fn a_directory_that_cannot_be_listed_is_read_on_every_lookup() {
        let dir = tempfile::tempdir().unwrap();
        // `pages-v1` is a file: listing it fails.
        std::fs::write(dir.path().join(PAGES_DIR), "").unwrap();
        let index = Index::default();
        assert_eq!(index.known(A), Known::ListFirst);
        assert_eq!(index.list(dir.path(), A), Known::MaybePresent);
        // Read from the disk, and listed again only once the failed listing is a second old.
        assert_eq!(index.known(A), Known::Unknown);
        index.state().listed_at = Some(Instant::now() - TRUSTED_FOR);
        assert_eq!(index.known(A), Known::ListFirst);
    }

    #[test]
    fn ids_are_the_names_leading_digits() {
        assert_eq!(id(A), 0x0123_4567_89ab_cdef);
        assert_eq!(id("tmp"), 0);
    }
}
