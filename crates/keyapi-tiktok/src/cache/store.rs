//! One page per file: the entry format, written atomically (staged in `tmp/`, renamed
//! into `pages-v1/`) and read back only when intact.
//!
//! A cache write costs one new file and a rename: creating files and directories is what
//! a write spends its time on, and a busy disk makes each one slow (a store sharded into
//! directories, as cacache is, created five or six per page).
//!
//! An entry is a header line, then the body as received:
//!
//! ```text
//! {"key":"keyapi-tiktok/v1 https://… date=…","stored_ms":1764201600000,"final":true,"bytes":19946,"sha256":"5f1c…"}
//! {"code":0,"data":[…],…}
//! ```
//!
//! Its file name is the SHA-256 of the key; the header repeats the key (so a file in the
//! wrong place is never served) and holds the body's length and SHA-256, checked on every
//! read (a truncated or altered entry is reported as corrupt and removed by the caller).

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::dir;

/// The directory holding the entries, inside the cache directory.
pub(super) const PAGES_DIR: &str = "pages-v1";

/// The directory where entries are staged before they are renamed into place.
pub(super) const STAGING_DIR: &str = "tmp";

/// Longer header lines are not ours: the key is a URL and a handful of parameters.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Larger files are not read (the client never accepts a body over 1 GiB).
const MAX_ENTRY_BYTES: u64 = (1 << 30) + MAX_HEADER_BYTES as u64;

/// An entry as read back, intact.
#[derive(Debug)]
pub(super) struct Entry {
    /// When it was written, in milliseconds since the Unix epoch.
    pub(super) stored_ms: u64,
    /// Whether the page belongs to a ranking that can no longer change.
    pub(super) is_final: bool,
    pub(super) body: Vec<u8>,
}

/// What an entry file holds.
#[derive(Debug)]
pub(super) enum Lookup {
    Found(Entry),
    /// There is a file, but it is not an intact entry for this key: why.
    Corrupt(&'static str),
}

#[derive(Serialize, Deserialize)]
struct Header {
    key: String,
    stored_ms: u64,
    #[serde(rename = "final")]
    is_final: bool,
    bytes: u64,
    sha256: String,
}

/// The entry file of `key` in the cache directory `dir`.
pub(super) fn path(dir: &Path, key: &str) -> PathBuf {
    dir.join(PAGES_DIR).join(sha256_hex(key.as_bytes()))
}

/// Whether a file name in `pages-v1/` is an entry's (the rest are not counted).
pub(super) fn is_entry_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Opens the entry file at `path`, if there is one.
pub(super) fn open(path: &Path) -> io::Result<Option<fs::File>> {
    match fs::File::open(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        other => other.map(Some),
    }
}

/// Reads the opened entry file of `key`, checking it against its header.
pub(super) fn read_entry(file: fs::File, key: &str) -> io::Result<Lookup> {
    if file.metadata()?.len() > MAX_ENTRY_BYTES {
        return Ok(Lookup::Corrupt("more bytes than any page"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_ENTRY_BYTES).read_to_end(&mut bytes)?;
    Ok(parse(bytes, key))
}

fn parse(mut bytes: Vec<u8>, key: &str) -> Lookup {
    let Some(end) = bytes
        .iter()
        .take(MAX_HEADER_BYTES)
        .position(|&b| b == b'\n')
    else {
        return Lookup::Corrupt("no header line");
    };
    let Ok(header) = serde_json::from_slice::<Header>(&bytes[..end]) else {
        return Lookup::Corrupt("an unreadable header");
    };
    if header.key != key {
        return Lookup::Corrupt("the entry of another key");
    }
    let body = bytes.split_off(end + 1);
    if body.len() as u64 != header.bytes {
        return Lookup::Corrupt("a body of the wrong length");
    }
    if sha256_hex(&body) != header.sha256 {
        return Lookup::Corrupt("a body whose SHA-256 does not match");
    }
    Lookup::Found(Entry {
        stored_ms: header.stored_ms,
        is_final: header.is_final,
        body,
    })
}

/// Writes the entry of `key` into the cache directory `dir`: staged in a private file of
/// its own, then renamed over any older entry, so a reader sees the old entry or the new
/// one, never part of one. The cache's directories are made again if a `clear` removed
/// them meanwhile, once the directory passes the first-use checks again.
pub(super) fn write(
    dir: &Path,
    key: &str,
    stored_ms: u64,
    is_final: bool,
    body: &[u8],
) -> io::Result<()> {
    let header = Header {
        key: key.to_owned(),
        stored_ms,
        is_final,
        bytes: body.len() as u64,
        sha256: sha256_hex(body),
    };
    let mut header = serde_json::to_vec(&header).map_err(io::Error::other)?;
    header.push(b'\n');
    let target = path(dir, key);
    let staged = dir.join(STAGING_DIR).join(format!(
        "page.{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let attempt = || -> io::Result<()> {
        let mut file = dir::private_file().open(&staged)?;
        let written = file
            .write_all(&header)
            .and_then(|()| file.write_all(body))
            .and_then(|()| fs::rename(&staged, &target));
        if written.is_err() {
            let _ = fs::remove_file(&staged);
        }
        written
    };
    match attempt() {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            // Checked again as on first use: it may no longer be a cache at all.
            dir::prepare(dir).map_err(|refusal| io::Error::other(refusal.to_string()))?;
            attempt()
        }
        other => other,
    }
}

/// How many entries the cache directory `dir` holds.
pub(super) fn count(dir: &Path) -> io::Result<u64> {
    let pages = match fs::read_dir(dir.join(PAGES_DIR)) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(0),
        other => other?,
    };
    let mut entries = 0;
    for entry in pages {
        let entry = entry?;
        if entry.file_type()?.is_file() && entry.file_name().to_str().is_some_and(is_entry_name) {
            entries += 1;
        }
    }
    Ok(entries)
}

fn sha256_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(bytes) {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &Path) -> Vec<u8> {
        write(dir, "k", 7, true, b"{\"code\":0}").unwrap();
        fs::read(path(dir, "k")).unwrap()
    }

    fn setup() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        dir::ensure_subdirs(dir.path()).unwrap();
        dir
    }

    #[test]
    fn an_entry_reads_back_as_written() {
        let dir = setup();
        entry(dir.path());
        let file = open(&path(dir.path(), "k")).unwrap().expect("the entry");
        match read_entry(file, "k").unwrap() {
            Lookup::Found(found) => {
                assert_eq!((found.stored_ms, found.is_final), (7, true));
                assert_eq!(found.body, b"{\"code\":0}");
            }
            other => panic!("{other:?}"),
        }
        assert!(open(&path(dir.path(), "j")).unwrap().is_none());
        assert_eq!(
            fs::read_dir(dir.path().join(STAGING_DIR)).unwrap().count(),
            0
        );
    }

    #[test]
    fn anything_but_an_intact_entry_of_the_key_is_corrupt() {
        let dir = setup();
        let intact = entry(dir.path());
        let header_end = intact.iter().position(|&b| b == b'\n').unwrap();
        let mut altered = intact.clone();
        *altered.last_mut().unwrap() = b']';
        let mut longer = intact.clone();
        longer.push(b' ');
        let cases: [(&[u8], &str); 6] = [
            (b"", "no header line"),
            (&intact[..header_end], "no header line"),
            (b"{\"code\":0}\n{}", "an unreadable header"),
            (&intact[..intact.len() - 1], "a body of the wrong length"),
            (&longer, "a body of the wrong length"),
            (&altered, "a body whose SHA-256 does not match"),
        ];
        for (bytes, reason) in cases {
            assert!(
                matches!(parse(bytes.to_vec(), "k"), Lookup::Corrupt(r) if r == reason),
                "{reason}"
            );
        }
        assert!(matches!(
            parse(intact, "another key"),
            Lookup::Corrupt("the entry of another key")
        ));
    }

    #[cfg(unix)]
    #[test]
    fn an_entry_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = setup();
        entry(dir.path());
        let mode = fs::metadata(path(dir.path(), "k"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_directory_that_became_someone_elses_is_not_written() {
        let dir = setup();
        fs::remove_dir_all(dir.path().join(PAGES_DIR)).unwrap();
        fs::remove_dir_all(dir.path().join(STAGING_DIR)).unwrap();
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        assert!(write(dir.path(), "k", 7, true, b"{}").is_err());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_write_after_a_clear_makes_the_directories_again() {
        let dir = setup();
        fs::remove_dir_all(dir.path().join(PAGES_DIR)).unwrap();
        fs::remove_dir_all(dir.path().join(STAGING_DIR)).unwrap();
        entry(dir.path());
        assert_eq!(count(dir.path()).unwrap(), 1);
    }
}
