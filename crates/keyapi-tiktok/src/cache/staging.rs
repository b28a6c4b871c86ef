//! The staging files in `tmp/`: their names, how many there are, and the removal of those
//! an interrupted write left behind.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::store::STAGING_DIR;

/// No live write takes this long: a staging file older than this was left by a process
/// that was killed or interrupted while writing, and is removed.
pub(super) const ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// What a staged file is before it is renamed into place: a page, the tag, or the probe
/// proving the directory writable.
const KINDS: [&str; 3] = ["page", "CACHEDIR.TAG", "probe"];

/// A new staging file's path for `kind` (one of [`KINDS`]) in the cache directory `dir`:
/// `{kind}.{pid}-{16 hex digits}`, unique to this process and this write.
pub(super) fn path(dir: &Path, kind: &str) -> PathBuf {
    dir.join(STAGING_DIR).join(format!(
        "{kind}.{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ))
}

/// Whether `name` is one [`path`] makes: the only files in `tmp/` the cache removes.
fn is_staging_name(name: &str) -> bool {
    let Some((kind, unique)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((pid, random)) = unique.split_once('-') else {
        return false;
    };
    KINDS.contains(&kind)
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && random.len() == 16
        && random
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The staging files in the cache directory `dir` that are regular files, with their
/// metadata (a missing `tmp/` has none).
fn staged(dir: &Path) -> io::Result<Vec<(PathBuf, fs::Metadata)>> {
    let entries = match fs::read_dir(dir.join(STAGING_DIR)) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other?,
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        if !entry.file_name().to_str().is_some_and(is_staging_name) {
            continue;
        }
        match entry.metadata() {
            Ok(meta) if meta.is_file() => files.push((entry.path(), meta)),
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
            // Renamed into place or removed meanwhile, or not a file the cache wrote.
            _ => {}
        }
    }
    Ok(files)
}

/// How many staging files the cache directory `dir` holds, and their bytes: writes under
/// way, and those left by interrupted writes until they are removed.
pub(super) fn count(dir: &Path) -> io::Result<(u64, u64)> {
    Ok(staged(dir)?
        .iter()
        .fold((0, 0), |(files, bytes), (_, meta)| {
            (files + 1, bytes.saturating_add(meta.len()))
        }))
}

/// Removes the staging files of the cache directory `dir` last written more than
/// [`ABANDONED_AFTER`] ago; returns those that could not be removed, with why.
pub(super) fn remove_abandoned(dir: &Path) -> io::Result<Vec<(PathBuf, io::Error)>> {
    let now = SystemTime::now();
    let mut failed = Vec::new();
    for (path, meta) in staged(dir)? {
        // A time in the future (a clock set back) is not old: it is left for now.
        let abandoned = meta
            .modified()
            .ok()
            .and_then(|written| now.duration_since(written).ok())
            .is_some_and(|age| age > ABANDONED_AFTER);
        if abandoned {
            match fs::remove_file(&path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    failed.push((path, error));
                }
                _ => {}
            }
        }
    }
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_names_the_cache_makes_are_staging_names() {
        let dir = Path::new("cache");
        for kind in KINDS {
            let made = path(dir, kind);
            let name = made.file_name().and_then(|name| name.to_str()).unwrap();
            assert!(is_staging_name(name), "{name}");
        }
        for name in [
            "notes.txt",
            "page",
            "page.12-abc",
            "page.x1-0123456789abcdef",
            "page.-0123456789abcdef",
            "page.12-0123456789ABCDEF",
            "other.12-0123456789abcdef",
            "page.12-0123456789abcdef0",
        ] {
            assert!(!is_staging_name(name), "{name}");
        }
    }
}
