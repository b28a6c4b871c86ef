//! Guards the cache directory: only a private directory tagged as a cache (or one holding
//! nothing but cache entries) is read, written or cleared, and symlinks are never followed.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use super::staging;
use super::store::{self, PAGES_DIR, STAGING_DIR};

/// The tag file of the Cache Directory Tagging Specification (<https://bford.info/cachedir/>):
/// backup tools skip a directory holding it, and this crate only clears such a directory.
pub(crate) const TAG_FILE: &str = "CACHEDIR.TAG";

/// The line a tag file must start with.
const SIGNATURE: &str = "Signature: 8a477f597d28d172789f06886806bc55";

/// The subdirectories of a cache: everything else is someone else's. `index-v5` and
/// `content-v2` are those of cacache, which earlier builds stored pages with: never read,
/// but recognised, so such a cache is still used and cleared.
const CACHE_ENTRIES: [&str; 4] = [PAGES_DIR, STAGING_DIR, "index-v5", "content-v2"];

/// How many times `clear` goes over the entries: writers beside it may add some while it
/// removes the others.
const CLEAR_PASSES: usize = 3;

/// `dir` spelled without a trailing slash, `.` components or repeated separators, so its
/// last component names the directory itself: `link/` and `link/.` resolve through a
/// symlink `link`, and would have the checks below look at the directory it points to.
pub(crate) fn plainly_spelled(dir: PathBuf) -> PathBuf {
    dir.components().collect()
}

/// Why a directory is not used as a cache: one phrase to follow the directory's name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// It is not (or not safely) a cache: a symlink, a file, foreign entries, open to others.
    NotACache(String),
    /// It could not be read, created or written.
    Io(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotACache(reason) | Refusal::Io(reason) => f.write_str(reason),
        }
    }
}

fn io_failure(action: &'static str) -> impl Fn(io::Error) -> Refusal {
    move |error| Refusal::Io(format!("cannot be {action} ({error})"))
}

/// What a directory is, seen without following symlinks or changing anything.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Survey {
    /// Nothing there yet.
    Missing,
    /// A tagged cache holding only cache entries.
    Tagged,
    /// No tag, and nothing but cache entries (or nothing at all): a cache written before
    /// tags existed, or an empty directory made for the cache. Adopted on first write.
    Untagged,
}

/// Looks at `dir` and says whether it is a cache, refusing a symlink, a file, a foreign
/// entry or a bad tag.
pub(crate) fn survey(dir: &Path) -> Result<Survey, Refusal> {
    if dir.components().next_back() == Some(Component::ParentDir) {
        return Err(Refusal::NotACache(
            "ends in `..`, which may resolve through a symbolic link (name the directory itself)"
                .to_owned(),
        ));
    }
    let meta = match fs::symlink_metadata(dir) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Survey::Missing),
        Err(error) => return Err(io_failure("read")(error)),
        Ok(meta) => meta,
    };
    if meta.file_type().is_symlink() {
        return Err(Refusal::NotACache(
            "is a symbolic link (give the directory it points to)".to_owned(),
        ));
    }
    if !meta.is_dir() {
        return Err(Refusal::NotACache("is not a directory".to_owned()));
    }
    let mut tagged = false;
    let entries = fs::read_dir(dir).map_err(io_failure("read"))?;
    for entry in entries {
        let entry = entry.map_err(io_failure("read"))?;
        let name = entry.file_name();
        let kind = entry.file_type().map_err(io_failure("read"))?;
        let shown = name.to_string_lossy();
        if name == TAG_FILE && kind.is_file() {
            if !has_signature(&entry.path()) {
                return Err(Refusal::NotACache(format!(
                    "has a {TAG_FILE} without the cache directory signature"
                )));
            }
            tagged = true;
        } else if !(kind.is_dir() && CACHE_ENTRIES.iter().any(|known| name == *known)) {
            return Err(Refusal::NotACache(format!(
                "is not a cache: it holds `{shown}`, which is not a cache entry \
                 (a cache holds only {TAG_FILE}, {})",
                CACHE_ENTRIES.join(", ")
            )));
        }
    }
    Ok(if tagged {
        Survey::Tagged
    } else {
        Survey::Untagged
    })
}

/// Makes `dir` ready for reading and writing cache entries, or says why it must not be
/// used: created private (0700 on Unix) and tagged when missing; an existing directory
/// must be a cache (see [`survey`]), owned by this user and not writable by group or
/// others, since anyone who can write it can plant pages that are served as final.
pub(crate) fn prepare(dir: &Path) -> Result<(), Refusal> {
    let survey = match survey(dir)? {
        Survey::Missing => {
            create_private(dir)?;
            // Another process may have created it meanwhile: look again.
            self::survey(dir)?
        }
        found => found,
    };
    check_private(dir)?;
    if survey == Survey::Untagged {
        // Caches made before tags were created readable by all: adopted, made private.
        #[cfg(unix)]
        fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(io_failure("made private"))?;
        write_tag(dir)?;
    }
    // Left by interrupted writes. One that cannot be removed waits for `clear`, which
    // names it.
    let _ = staging::remove_abandoned(dir);
    Ok(())
}

/// Removes the entries of a tagged cache and the staging files interrupted writes left,
/// leaving its tag and its (emptied) subdirectories; refuses anything else. Only what the
/// cache writes is removed: entry-named files in `pages-v1/`, staging-named ones in `tmp/`,
/// and the directories of earlier versions. Entries written meanwhile by other processes
/// are removed too, in a few passes; the error names what could not be removed.
pub(crate) fn clear(dir: &Path) -> Result<(), Refusal> {
    match survey(dir)? {
        Survey::Missing => return Ok(()),
        Survey::Untagged => {
            return Err(Refusal::NotACache(format!(
                "has no {TAG_FILE}, so it is not known to be a cache (remove it yourself \
                 if it is, or use it once so the tag is written)"
            )));
        }
        Survey::Tagged => {}
    }
    let cannot = io_failure("cleared");
    let mut failed = Vec::new();
    for legacy in &CACHE_ENTRIES[2..] {
        // `remove_dir_all` removes symlinks inside without following them.
        match fs::remove_dir_all(dir.join(legacy)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                failed.push((dir.join(legacy), error));
            }
            _ => {}
        }
    }
    // What a pass could not remove is tried again by the next; the last pass's failures
    // are what is left.
    let mut left = Vec::new();
    for _ in 0..CLEAR_PASSES {
        let removed;
        (removed, left) = store::remove_entries(dir).map_err(&cannot)?;
        left.extend(staging::remove_abandoned(dir).map_err(&cannot)?);
        if removed == 0 {
            // Nothing was written meanwhile.
            break;
        }
    }
    failed.extend(left);
    match failed.first() {
        None => Ok(()),
        Some((path, error)) => Err(Refusal::Io(format!(
            "could not be cleared: {} file(s) are left, such as {} ({error})",
            failed.len(),
            path.display()
        ))),
    }
}

fn has_signature(tag: &Path) -> bool {
    let mut start = [0; SIGNATURE.len()];
    open_for_reading(tag)
        .and_then(|mut file| io::Read::read_exact(&mut file, &mut start))
        .is_ok_and(|()| start == SIGNATURE.as_bytes())
}

/// Creates the parents as usual and `dir` itself private.
fn create_private(dir: &Path) -> Result<(), Refusal> {
    let cannot = io_failure("created");
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(&cannot)?;
    }
    match private_dir_builder().create(dir) {
        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => Err(cannot(error)),
        _ => Ok(()),
    }
}

/// Refuses a directory others could write (or, on Unix, owned by another user), itself or
/// either of its subdirectories, after proving it writable with a probe file created
/// without following symlinks. A directory open to others is refused before anything is
/// written in it.
fn check_private(dir: &Path) -> Result<(), Refusal> {
    let top = fs::symlink_metadata(dir).map_err(io_failure("read"))?;
    if let Some(reason) = open_to_others(&top) {
        return Err(Refusal::NotACache(format!("is {reason}")));
    }
    let probe = staging::path(dir, "probe");
    let created = ensure_subdirs(dir).and_then(|()| private_file().open(&probe));
    let file = created.map_err(io_failure("written"))?;
    // A file just created belongs to the effective user.
    let mine = file.metadata();
    drop(file);
    let _ = fs::remove_file(&probe);
    let mine = mine.map_err(io_failure("read"))?;
    for name in [None, Some(PAGES_DIR), Some(STAGING_DIR)] {
        let path = name.map_or_else(|| dir.to_owned(), |name| dir.join(name));
        let meta = fs::symlink_metadata(&path).map_err(io_failure("read"))?;
        let reason = if meta.is_dir() {
            open_to_others(&meta).or_else(|| someone_elses(&meta, &mine))
        } else {
            Some("not a directory".to_owned())
        };
        if let Some(reason) = reason {
            return Err(Refusal::NotACache(match name {
                None => format!("is {reason}"),
                Some(name) => format!("holds `{name}`, which is {reason}"),
            }));
        }
    }
    Ok(())
}

/// Why a directory others can write is unfit for the cache (Unix only: elsewhere, access
/// lists decide, and the directory is created private by its user's defaults).
fn open_to_others(meta: &fs::Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o022 != 0 {
            return Some(format!(
                "writable by group or others (mode {:o}): anyone who can write it could \
                 plant rankings; make it private with `chmod 700`",
                mode & 0o7777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    None
}

/// Why a directory not owned by the owner of `mine` (a file this process created) is unfit
/// for the cache (Unix only).
fn someone_elses(meta: &fs::Metadata, mine: &fs::Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != mine.uid() {
            return Some(format!(
                "owned by another user (uid {}), who could plant rankings in it",
                meta.uid()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (meta, mine);
    None
}

/// Makes directories private (0700) on Unix.
fn private_dir_builder() -> fs::DirBuilder {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

/// Opens a new file, private (0600 on Unix); `create_new` fails on an existing name, a
/// planted symlink included.
pub(super) fn private_file() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Opens a file of the cache for reading without waiting: on Unix a FIFO would block in
/// `open` itself until a writer came (`O_NONBLOCK`), and a symlink is not followed
/// (`O_NOFOLLOW`, an error). Elsewhere these flags do not exist and the file is opened
/// plainly. The caller checks that it opened a regular file.
pub(super) fn open_for_reading(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NONBLOCK | libc::O_NOFOLLOW,
    );
    options.open(path)
}

/// The entries' and the staging directories, created private if missing; refused if
/// either is not a real directory.
pub(super) fn ensure_subdirs(dir: &Path) -> io::Result<()> {
    for name in [PAGES_DIR, STAGING_DIR] {
        let subdir = dir.join(name);
        match private_dir_builder().create(&subdir) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                if !fs::symlink_metadata(&subdir)?.is_dir() {
                    return Err(io::Error::other(format!(
                        "{} is not a directory",
                        subdir.display()
                    )));
                }
            }
            other => other?,
        }
    }
    Ok(())
}

/// Writes the tag atomically: a new file in `tmp` (never through a symlink), renamed into
/// place, so a process looking meanwhile never sees half a tag.
fn write_tag(dir: &Path) -> Result<(), Refusal> {
    let staged = staging::path(dir, TAG_FILE);
    let written = private_file()
        .open(&staged)
        .and_then(|mut file| {
            file.write_all(
                format!(
                    "{SIGNATURE}\n# This file is a cache directory tag created by keyapi-tiktok.\n\
                     # For information about cache directory tags, see https://bford.info/cachedir/\n"
                )
                .as_bytes(),
            )
        })
        .and_then(|()| fs::rename(&staged, dir.join(TAG_FILE)));
    if written.is_err() {
        let _ = fs::remove_file(&staged);
    }
    written.map_err(io_failure("tagged"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_starts_with_the_specified_signature() {
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path()).unwrap();
        let tag = fs::read_to_string(dir.path().join(TAG_FILE)).unwrap();
        assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55\n"));
        assert_eq!(survey(dir.path()), Ok(Survey::Tagged));
    }

    #[test]
    fn a_tag_without_the_signature_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(TAG_FILE), "Signature: something else\n").unwrap();
        assert!(
            survey(dir.path())
                .unwrap_err()
                .to_string()
                .contains("signature")
        );
        assert!(clear(dir.path()).is_err());
        assert!(dir.path().join(TAG_FILE).exists());
    }

    #[test]
    fn the_entries_of_earlier_versions_are_recognised_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path()).unwrap();
        for legacy in ["index-v5/3a/4f", "content-v2/sha256/9c/01"] {
            fs::create_dir_all(dir.path().join(legacy)).unwrap();
            fs::write(dir.path().join(legacy).join("entry"), "cached").unwrap();
        }
        assert_eq!(survey(dir.path()), Ok(Survey::Tagged));
        clear(dir.path()).unwrap();
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [TAG_FILE, PAGES_DIR, STAGING_DIR],
            "the tag and the empty subdirectories"
        );
    }

    #[test]
    fn a_path_is_plainly_spelled_so_its_last_component_is_the_directory() {
        for spelled in ["cache/", "cache/.", "cache//", "./cache/", "cache/./"] {
            let plain = plainly_spelled(PathBuf::from(spelled));
            assert_eq!(plain.file_name(), Some("cache".as_ref()), "{spelled}");
        }
        assert_eq!(
            plainly_spelled(PathBuf::from("/a//b/./c/")),
            Path::new("/a/b/c")
        );
        let refusal = survey(Path::new("cache/..")).unwrap_err();
        assert!(refusal.to_string().contains("`..`"), "{refusal}");
    }

    #[test]
    fn an_entry_with_a_cache_name_that_is_a_file_is_foreign() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("index-v5"), "mine").unwrap();
        assert!(
            survey(dir.path())
                .unwrap_err()
                .to_string()
                .contains("index-v5")
        );
    }
}
