//! The breaking version bumps update-spec writes into the manifests, so that the release
//! PR carries them: release-plz leaves a version that is already ahead of crates.io alone,
//! and it cannot see what update-spec knows (cargo-semver-checks does not compare parameter
//! types, and does not check a command's options at all).
//!
//! Only breaking bumps are written: a breaking bump is the highest there is, so it can never
//! hold release-plz below a bump it finds itself, while a written patch would (release-plz
//! would then leave it alone, even after a breaking change of the crate's own code). A
//! patch is release-plz's to make: it releases every crate whose package changed.

use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// A published crate: its name and its manifest, relative to the workspace root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Published {
    pub(super) name: &'static str,
    pub(super) manifest: &'static str,
}

/// Every published crate, in dependency order.
pub(super) const PUBLISHED: [Published; 6] = [
    Published {
        name: "keyapi-tiktok-spec",
        manifest: "crates/keyapi-tiktok-spec/Cargo.toml",
    },
    Published {
        name: "keyapi-tiktok-openapi",
        manifest: "crates/keyapi-tiktok-openapi/Cargo.toml",
    },
    Published {
        name: "keyapi-tiktok",
        manifest: "crates/keyapi-tiktok/Cargo.toml",
    },
    Published {
        name: "keyapi-tiktok-testkit",
        manifest: "crates/keyapi-tiktok-testkit/Cargo.toml",
    },
    Published {
        name: "keyapi-tiktok-store",
        manifest: "crates/keyapi-tiktok-store/Cargo.toml",
    },
    Published {
        name: "keyapi-tiktok-cli",
        manifest: "crates/keyapi-tiktok-cli/Cargo.toml",
    },
];

/// The workspace manifest, whose `[workspace.dependencies]` holds most requirements (the
/// `=` pin on the generated crate is in the library's own manifest).
const WORKSPACE_MANIFEST: &str = "Cargo.toml";
/// The lock file, which records each member's version.
const LOCK: &str = "Cargo.lock";

/// One crate's version before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Written {
    pub(super) name: &'static str,
    pub(super) old: String,
    pub(super) new: String,
}

/// What bumping some crates changes, before anything is written.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Bumped {
    /// The new text of each file that changes (the bumped crates' manifests, every manifest
    /// with a requirement on one, the lock file), by path relative to the workspace root.
    pub(super) files: Vec<(String, String)>,
    /// Each crate's old and new version.
    pub(super) versions: Vec<Written>,
}

/// What bumping `breaking` changes under `root`: each crate's own version, every
/// requirement on it (in `[workspace.dependencies]` and in the published manifests'
/// dependency tables) and the lock file. Reads only; nothing is written.
pub(super) fn bump_breaking(root: &Path, breaking: &[&'static str]) -> Result<Bumped> {
    if breaking.is_empty() {
        return Ok(Bumped::default());
    }
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).with_context(|| format!("cannot read {path}"))
    };
    // Every manifest that can hold a requirement, by path, with its text as it becomes.
    let mut manifests = vec![(WORKSPACE_MANIFEST.to_owned(), read(WORKSPACE_MANIFEST)?)];
    for published in PUBLISHED {
        manifests.push((published.manifest.to_owned(), read(published.manifest)?));
    }
    let originals = manifests.clone();
    let mut lock = read(LOCK)?;
    let mut versions = Vec::new();
    for name in breaking {
        let Some(published) = PUBLISHED.iter().find(|published| published.name == *name) else {
            bail!("{name} is not a published crate");
        };
        let Some((_, manifest)) = manifests
            .iter_mut()
            .find(|(path, _)| path == published.manifest)
        else {
            unreachable!("every published manifest was read");
        };
        let at = package_version(manifest)
            .with_context(|| format!("{}: cannot bump the version", published.manifest))?;
        let old = manifest[at.clone()].to_owned();
        let new = next_breaking(&old)
            .with_context(|| format!("{}: cannot bump the version", published.manifest))?;
        *manifest = replaced(manifest, at, &new);
        for (path, text) in &mut manifests {
            *text = with_requirements(text, name, &old, &new)
                .with_context(|| format!("{path}: cannot move {name}'s requirement"))?;
        }
        lock = with_locked_version(&lock, name, &old, &new)
            .with_context(|| format!("{LOCK}: cannot move {name}'s version"))?;
        versions.push(Written { name, old, new });
    }
    let mut files: Vec<(String, String)> = manifests
        .into_iter()
        .zip(originals)
        .filter(|((_, text), (_, original))| text != original)
        .map(|(file, _)| file)
        .collect();
    files.push((LOCK.to_owned(), lock));
    Ok(Bumped { files, versions })
}

/// The version after a breaking change of `version`: the minor while it is `0.y.z`
/// (Cargo's rule), the major from 1.0.
pub(super) fn next_breaking(version: &str) -> Result<String> {
    let numbers: Vec<u64> = version
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()
        .filter(|numbers: &Vec<u64>| numbers.len() == 3)
        .with_context(|| format!("`{version}` is not MAJOR.MINOR.PATCH"))?;
    Ok(match numbers[..] {
        [0, minor, _] => format!("0.{}.0", minor + 1),
        [major, ..] => format!("{}.0.0", major + 1),
        _ => unreachable!("three numbers"),
    })
}

/// Where the value of `[package]`'s `version = "…"` is in `manifest`.
fn package_version(manifest: &str) -> Result<Range<usize>> {
    let mut in_package = false;
    let mut offset = 0;
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[package]";
        } else if in_package && let Some(value) = quoted_value(trimmed, "version") {
            return Ok(offset + value.start..offset + value.end);
        }
        offset += line.len();
    }
    bail!(
        "no `version = \"…\"` in [package] (one inherited from the workspace cannot be bumped alone)"
    )
}

/// `text` with the bytes `at` replaced by `new`.
fn replaced(text: &str, at: Range<usize>, new: &str) -> String {
    format!("{}{new}{}", &text[..at.start], &text[at.end..])
}

/// `manifest` with every requirement on `name` in a dependency table (`[dependencies]`,
/// `[dev-dependencies]`, `[target.….dependencies]`, `[workspace.dependencies]`) moved from
/// `old` to `new`, keeping an exact (`=`) pin exact. An entry without a version (path-only,
/// or `name.workspace = true`) keeps its text.
fn with_requirements(manifest: &str, name: &str, old: &str, new: &str) -> Result<String> {
    let mut moved = String::with_capacity(manifest.len());
    let mut in_dependencies = false;
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with('[') {
            in_dependencies = trimmed.ends_with("dependencies]");
        } else if in_dependencies
            && trimmed.starts_with(&format!("{name} = "))
            && let Some(at) = inline_value(trimmed, "version")
        {
            let value = &trimmed[at.clone()];
            let (pin, version) = match value.strip_prefix('=') {
                Some(version) => ("=", version),
                None => ("", value),
            };
            if version != old {
                bail!("its requirement `{value}` is not its version {old}");
            }
            moved.push_str(&replaced(line, at, &format!("{pin}{new}")));
            continue;
        }
        moved.push_str(line);
    }
    Ok(moved)
}

/// `lock` with the entry of the workspace member `name` at `old` moved to `new`.
fn with_locked_version(lock: &str, name: &str, old: &str, new: &str) -> Result<String> {
    let entry = format!("[[package]]\nname = \"{name}\"\nversion = \"{old}\"\n");
    match lock.matches(&entry).count() {
        1 => Ok(lock.replacen(
            &entry,
            &format!("[[package]]\nname = \"{name}\"\nversion = \"{new}\"\n"),
            1,
        )),
        count => bail!("expected one entry for {name} {old}, found {count}"),
    }
}

/// Where the string value of `key = "…"`, on a line of its own, is in `line`.
fn quoted_value(line: &str, key: &str) -> Option<Range<usize>> {
    let value = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let start = line.find(value)? + 1;
    Some(start..start + inner.len())
}

/// Where the string value of `key = "…"`, inside an inline table, is in `line`.
fn inline_value(line: &str, key: &str) -> Option<Range<usize>> {
    let start = line.find(&format!(" {key} = \""))? + key.len() + " = \"".len() + 1;
    let end = start + line[start..].find('"')?;
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breaking_bump_is_the_minor_in_0x_and_the_major_from_1_0() {
        assert_eq!(next_breaking("0.1.0").unwrap(), "0.2.0");
        assert_eq!(next_breaking("0.1.7").unwrap(), "0.2.0");
        assert_eq!(next_breaking("1.2.3").unwrap(), "2.0.0");
        for bad in ["0.1", "0.1.0-alpha.1", "x.1.0", ""] {
            let message = next_breaking(bad).unwrap_err().to_string();
            assert!(message.contains("MAJOR.MINOR.PATCH"), "{bad}: {message}");
        }
    }

    const WORKSPACE: &str = "[workspace]\nmembers = []\n\n[workspace.dependencies]\n\
        keyapi-tiktok-openapi = { path = \"crates/keyapi-tiktok-openapi\" }\n\
        keyapi-tiktok = { path = \"crates/keyapi-tiktok\", version = \"0.1.0\", default-features = false }\n\
        keyapi-tiktok-testkit = { path = \"crates/keyapi-tiktok-testkit\" }\n\
        keyapi-tiktok-store = { path = \"crates/keyapi-tiktok-store\", version = \"0.1.0\" }\n\
        serde = { version = \"0.1.0\" }\n";

    const LOCK_TEXT: &str = "version = 4\n\n\
        [[package]]\nname = \"keyapi-tiktok\"\nversion = \"0.1.0\"\ndependencies = [\n \"keyapi-tiktok-openapi\",\n]\n\n\
        [[package]]\nname = \"keyapi-tiktok-openapi\"\nversion = \"0.1.0\"\n\n\
        [[package]]\nname = \"keyapi-tiktok-store\"\nversion = \"0.1.0\"\n\n\
        [[package]]\nname = \"keyapi-tiktok-testkit\"\nversion = \"0.1.0\"\n";

    /// The library's dependencies: the `=` pin on the generated crate is its own, in every
    /// table a requirement can be in; the others come from the workspace.
    const LIBRARY_DEPENDENCIES: &str = "keyapi-tiktok-openapi = { path = \"../keyapi-tiktok-openapi\", version = \"=0.1.0\" }\n\
        keyapi-tiktok-spec.workspace = true\n\n\
        [target.'cfg(unix)'.dependencies]\n\
        keyapi-tiktok-openapi = { path = \"../keyapi-tiktok-openapi\", version = \"=0.1.0\", optional = true }\n\n\
        [dev-dependencies]\n\
        keyapi-tiktok-testkit.workspace = true\n";

    fn manifest(name: &str, version: &str) -> String {
        let own = if name == "keyapi-tiktok" {
            LIBRARY_DEPENDENCIES
        } else {
            ""
        };
        format!(
            "[package]\nname = \"{name}\"\ndescription = \"version = \\\"9.9.9\\\" is not it\"\n\
             version = \"{version}\"\nedition.workspace = true\n\n[dependencies]\nserde = {{ version = \"0.1.0\" }}\n{own}"
        )
    }

    /// A root with every published crate's manifest, at 0.1.0 unless `versions` says.
    fn root_with(versions: &[(&str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join(WORKSPACE_MANIFEST), WORKSPACE).unwrap();
        std::fs::write(root.path().join(LOCK), LOCK_TEXT).unwrap();
        for published in PUBLISHED {
            let version = versions
                .iter()
                .find(|(name, _)| *name == published.name)
                .map_or("0.1.0", |(_, version)| version);
            let path = root.path().join(published.manifest);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, manifest(published.name, version)).unwrap();
        }
        root
    }

    #[test]
    fn each_breaking_crate_moves_in_its_manifest_its_requirement_and_the_lock_file() {
        let root = root_with(&[
            ("keyapi-tiktok-openapi", "0.1.0"),
            ("keyapi-tiktok", "0.1.0"),
            ("keyapi-tiktok-store", "0.1.0"),
            ("keyapi-tiktok-testkit", "0.1.0"),
        ]);
        let Bumped { files, versions } = bump_breaking(
            root.path(),
            &[
                "keyapi-tiktok-openapi",
                "keyapi-tiktok",
                "keyapi-tiktok-testkit",
            ],
        )
        .unwrap();
        assert_eq!(
            versions,
            [
                "keyapi-tiktok-openapi",
                "keyapi-tiktok",
                "keyapi-tiktok-testkit"
            ]
            .map(|name| {
                Written {
                    name,
                    old: "0.1.0".into(),
                    new: "0.2.0".into(),
                }
            })
        );
        let file = |path: &str| &files.iter().find(|(p, _)| p == path).unwrap().1;
        assert_eq!(
            file("crates/keyapi-tiktok/Cargo.toml"),
            &manifest("keyapi-tiktok", "0.2.0").replace("=0.1.0", "=0.2.0"),
            "its own version and its pin on the generated crate, in both tables, stay exact"
        );
        assert_eq!(
            file(WORKSPACE_MANIFEST),
            &WORKSPACE.replace(
                "version = \"0.1.0\", default-features",
                "version = \"0.2.0\", default-features"
            ),
            "the path-only entries (generated crate, testkit) and the store's stay"
        );
        assert_eq!(
            file(LOCK),
            &LOCK_TEXT
                .replace(
                    "name = \"keyapi-tiktok\"\nversion = \"0.1.0\"",
                    "name = \"keyapi-tiktok\"\nversion = \"0.2.0\""
                )
                .replace(
                    "name = \"keyapi-tiktok-openapi\"\nversion = \"0.1.0\"",
                    "name = \"keyapi-tiktok-openapi\"\nversion = \"0.2.0\""
                )
                .replace(
                    "name = \"keyapi-tiktok-testkit\"\nversion = \"0.1.0\"",
                    "name = \"keyapi-tiktok-testkit\"\nversion = \"0.2.0\""
                )
        );
        let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(
            paths,
            [
                WORKSPACE_MANIFEST,
                "crates/keyapi-tiktok-openapi/Cargo.toml",
                "crates/keyapi-tiktok/Cargo.toml",
                "crates/keyapi-tiktok-testkit/Cargo.toml",
                LOCK,
            ],
            "only the files that change"
        );
    }

    #[test]
    fn a_version_already_ahead_moves_from_where_it_is_and_nothing_is_written_for_no_break() {
        let root = root_with(&[("keyapi-tiktok-store", "1.4.2")]);
        let workspace = WORKSPACE.replace(
            "keyapi-tiktok-store\", version = \"0.1.0\"",
            "keyapi-tiktok-store\", version = \"1.4.2\"",
        );
        std::fs::write(root.path().join(WORKSPACE_MANIFEST), &workspace).unwrap();
        let lock = LOCK_TEXT.replace(
            "name = \"keyapi-tiktok-store\"\nversion = \"0.1.0\"",
            "name = \"keyapi-tiktok-store\"\nversion = \"1.4.2\"",
        );
        std::fs::write(root.path().join(LOCK), &lock).unwrap();
        let bumped = bump_breaking(root.path(), &["keyapi-tiktok-store"]).unwrap();
        assert_eq!(bumped.versions[0].new, "2.0.0");
        assert_eq!(bump_breaking(root.path(), &[]).unwrap(), Bumped::default());
    }

    #[test]
    fn a_manifest_that_cannot_be_bumped_is_named() {
        let root = root_with(&[("keyapi-tiktok", "0.1.0")]);
        let path = root.path().join("crates/keyapi-tiktok/Cargo.toml");
        std::fs::write(
            &path,
            "[package]\nname = \"keyapi-tiktok\"\nversion.workspace = true\n",
        )
        .unwrap();
        let message = format!(
            "{:#}",
            bump_breaking(root.path(), &["keyapi-tiktok"]).unwrap_err()
        );
        assert!(
            message.contains("crates/keyapi-tiktok/Cargo.toml") && message.contains("inherited"),
            "{message}"
        );
        std::fs::write(&path, manifest("keyapi-tiktok", "0.3.0")).unwrap();
        let message = format!(
            "{:#}",
            bump_breaking(root.path(), &["keyapi-tiktok"]).unwrap_err()
        );
        assert!(
            message.contains("requirement `0.1.0` is not its version 0.3.0"),
            "{message}"
        );
        std::fs::write(
            &path,
            manifest("keyapi-tiktok", "0.1.0").replace("=0.1.0", "=0.0.9"),
        )
        .unwrap();
        let message = format!(
            "{:#}",
            bump_breaking(root.path(), &["keyapi-tiktok-openapi"]).unwrap_err()
        );
        assert!(
            message.contains("crates/keyapi-tiktok/Cargo.toml: cannot move keyapi-tiktok-openapi")
                && message.contains("requirement `=0.0.9` is not its version 0.1.0"),
            "{message}"
        );
    }
}
