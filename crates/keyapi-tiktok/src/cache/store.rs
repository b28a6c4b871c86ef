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
//! Only a regular file is read, never past the length its header declares, and opening
//! one never waits (a FIFO) or follows a symlink.

use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{dir, staging};

/// The directory holding the entries, inside the cache directory.
pub(super) const PAGES_DIR: &str = "pages-v1";

/// The directory where entries are staged before they are renamed into place.
pub(super) const STAGING_DIR: &str = "tmp";

/// Longer header lines are not ours: the key is a URL and a handful of parameters.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// A header declaring a longer body is not read: the client never accepts a body over
/// 1 GiB ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
const MAX_BODY_BYTES: u64 = 1 << 30;

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
    dir.join(PAGES_DIR).join(name(key))
}

/// The file name of `key`'s entry.
pub(super) fn name(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

/// Whether a file name in `pages-v1/` is an entry's (the rest are not counted).
pub(super) fn is_entry_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Reads the entry file of `key` at `path`, checking it against its header; `None` when
/// there is none. It blocks on the disk, so it runs on a blocking thread.
pub(super) fn read(path: &Path, key: &str) -> io::Result<Option<Lookup>> {
    let file = match dir::open_for_reading(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        // `O_NOFOLLOW` refuses a symlink (with an error that differs between systems).
        Err(error) => {
            return match fs::symlink_metadata(path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    Ok(Some(Lookup::Corrupt("a symbolic link")))
                }
                _ => Err(error),
            };
        }
    };
    if !file.metadata()?.is_file() {
        return Ok(Some(Lookup::Corrupt("something other than a regular file")));
    }
    parse(io::BufReader::new(file), key).map(Some)
}

/// An entry of `key` read from `reader`: the header line, then at most the body length it
/// declares (and one byte more, to tell a longer body).
fn parse(mut reader: impl BufRead, key: &str) -> io::Result<Lookup> {
    let mut line = Vec::new();
    (&mut reader)
        .take(MAX_HEADER_BYTES as u64)
        .read_until(b'\n', &mut line)?;
    if line.pop() != Some(b'\n') {
        return Ok(Lookup::Corrupt("no header line"));
    }
    let Ok(header) = serde_json::from_slice::<Header>(&line) else {
        return Ok(Lookup::Corrupt("an unreadable header"));
    };
    if header.key != key {
        return Ok(Lookup::Corrupt("the entry of another key"));
    }
    if header.bytes > MAX_BODY_BYTES {
        return Ok(Lookup::Corrupt("a declared length over any page's"));
    }
    let mut body = Vec::new();
    reader
        .take(header.bytes.saturating_add(1))
        .read_to_end(&mut body)?;
    if body.len() as u64 != header.bytes {
        return Ok(Lookup::Corrupt("a body of the wrong length"));
    }
    if sha256_hex(&body) != header.sha256 {
        return Ok(Lookup::Corrupt("a body whose SHA-256 does not match"));
    }
    Ok(Lookup::Found(Entry {
        stored_ms: header.stored_ms,
        is_final: header.is_final,
        body,
    }))
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
    let staged = staging::path(dir, "page");
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

/// Removes the entries of the cache directory `dir`: how many were removed, and those that
/// could not be, with why. Only entry-named files are touched (never a directory).
pub(super) fn remove_entries(dir: &Path) -> io::Result<(u64, Vec<(PathBuf, io::Error)>)> {
    let pages = match fs::read_dir(dir.join(PAGES_DIR)) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok((0, Vec::new())),
        other => other?,
    };
    let (mut removed, mut failed) = (0, Vec::new());
    for entry in pages {
        let entry = entry?;
        if !entry.file_name().to_str().is_some_and(is_entry_name) || entry.file_type()?.is_dir() {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            // Removed meanwhile, by another `clear` or a reader discarding it.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => failed.push((entry.path(), error)),
        }
    }
    Ok((removed, failed))
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
        match read(&path(dir.path(), "k"), "k")
            .unwrap()
            .expect("the entry")
        {
            Lookup::Found(found) => {
                assert_eq!((found.stored_ms, found.is_final), (7, true));
                assert_eq!(found.body, b"{\"code\":0}");
            }
            other => panic!("{other:?}"),
        }
        assert!(read(&path(dir.path(), "j"), "j").unwrap().is_none());
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
                matches!(parse(bytes, "k").unwrap(), Lookup::Corrupt(r) if r == reason),
                "{reason}"
            );
        }
        assert!(matches!(
            parse(&intact[..], "another key").unwrap(),
            Lookup::Corrupt("the entry of another key")
        ));
    }

    #[test]
    fn an_entry_is_never_read_past_its_declared_length() {
        let dir = setup();
        let intact = entry(dir.path());
        let header_end = intact.iter().position(|&b| b == b'\n').unwrap() + 1;
        // An endless body: read past the declared length, this would never end.
        let endless = (&intact[..header_end]).chain(io::repeat(b'x'));
        assert!(matches!(
            parse(io::BufReader::new(endless), "k").unwrap(),
            Lookup::Corrupt("a body of the wrong length")
        ));
        let header = String::from_utf8(intact[..header_end].to_vec()).unwrap();
        let huge = header.replace(
            "\"bytes\":10,",
            &format!("\"bytes\":{},", MAX_BODY_BYTES + 1),
        );
        assert_ne!(huge, header);
        assert!(matches!(
            parse(
                io::BufReader::new(huge.as_bytes().chain(io::repeat(b'x'))),
                "k"
            )
            .unwrap(),
            Lookup::Corrupt("a declared length over any page's")
        ));
        assert!(matches!(
            parse(io::BufReader::new(io::repeat(b'x')), "k").unwrap(),
            Lookup::Corrupt("no header line")
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
