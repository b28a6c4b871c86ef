//! Writes an update's files together: every one is written to a temporary file beside
//! its destination first, and only when all of them are written are they renamed into
//! place, so a file that cannot be written leaves every destination as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::TempPath;

/// Files written beside their destinations, not yet in place; dropped, they are removed.
pub(super) struct Staged {
    files: Vec<(PathBuf, TempPath)>,
}

impl Staged {
    /// Writes each `(destination, text)` to a temporary file in the destination's
    /// directory, with the permissions of the file it replaces (a new file is private).
    pub(super) fn write(files: Vec<(PathBuf, String)>) -> Result<Staged> {
        let mut staged = Staged { files: Vec::new() };
        for (path, text) in files {
            let temp =
                stage(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
            staged.files.push((path, temp));
        }
        Ok(staged)
    }

    /// Renames every staged file into place, in order; the destinations, for the report.
    /// A rename within a directory fails only when the file system does (then the files
    /// before it are in place, the error names the one that is not).
    pub(super) fn commit(self) -> Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (path, temp) in self.files {
            temp.persist(&path)
                .with_context(|| format!("cannot move the new {} into place", path.display()))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// `text` in a new temporary file beside `path`.
fn stage(path: &Path, text: &str) -> Result<TempPath> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".update-spec-")
        .tempfile_in(directory)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    if let Ok(metadata) = std::fs::metadata(path) {
        std::fs::set_permissions(file.path(), metadata.permissions())?;
    }
    Ok(file.into_temp_path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_in_place_until_every_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.txt");
        std::fs::write(&kept, "old").unwrap();
        let unwritable = dir.path().join("missing/dir/file.txt");
        let files = vec![
            (kept.clone(), "new".to_owned()),
            (unwritable, String::new()),
        ];
        assert!(Staged::write(files).is_err());
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );

        let staged = Staged::write(vec![(kept.clone(), "new".to_owned())]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&kept).unwrap(),
            "old",
            "staged, not in place"
        );
        assert_eq!(staged.commit().unwrap(), std::slice::from_ref(&kept));
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "new");
    }
}
