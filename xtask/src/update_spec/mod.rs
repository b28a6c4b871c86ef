//! `cargo xtask update-spec [--pr-body FILE] SOURCE`: a new upstream document (a file, or
//! an `https://` URL) becomes one reviewable change of this tree.
//!
//! 1. Reads SOURCE (YAML or JSON) and keeps the operations `keyapi_tiktok_spec::WRAPPED`
//!    lists and every component they reference (`extract.rs`); other operations are listed
//!    as "not wrapped", never as drift.
//! 2. Compares that with the vendored `spec/upstream.openapi.yaml` as values: equal means
//!    nothing is written (exit 0), so the vendored file keeps its form until upstream
//!    really changes what we wrap. Otherwise the new file is written with sorted keys under
//!    a fixed header, so the same upstream always gives the same bytes.
//! 3. Re-applies `spec/patches.yaml` (following a wrapped operation upstream moved to
//!    another path, found by its `operationId`), regenerates the client, prints the
//!    spec-diff and the generated API's changes, adds an entry to CHANGELOG.md's
//!    Unreleased section and, with `--pr-body FILE`, writes the pull request's body.
//! 4. Writes each breaking version bump into the manifests (`versions.rs`), so that the
//!    release PR carries what cargo-semver-checks cannot see.
//!
//! Nothing is written until every step has succeeded. Exit status: 0 when nothing changed
//! or every change is additive, 1 when a change is breaking, 2 when the command line is
//! wrong, the document is unusable or a patch no longer applies (named with its reason).

mod extract;
mod fetch;
mod report;
mod staged;
#[cfg(test)]
mod tests;
mod versions;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use keyapi_tiktok_spec::{SpecError, UPSTREAM};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::regenerate::{self, GENERATED};
use crate::{provenance, spec, spec_diff, surface};
use extract::{Moved, extract};
use report::Update;
use staged::Staged;

/// Where the entry for an update goes, relative to the workspace root.
const CHANGELOG: &str = "CHANGELOG.md";

/// The first lines of the vendored file once update-spec has written it.
const VENDORED_HEADER: &str = "\
# KeyAPI's OpenAPI document cut to the operations keyapi-tiktok wraps
# (keyapi_tiktok_spec::WRAPPED) and the components they reference, keys sorted.
# Written by `cargo xtask update-spec`; do not edit: declare changes in spec/patches.yaml.
";

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    source: String,
    pr_body: Option<PathBuf>,
}

impl Options {
    /// Parses the arguments after `update-spec`: `[--pr-body FILE] SOURCE`, in any order.
    fn parse(args: &[&str]) -> Result<Options> {
        let mut source = None;
        let mut pr_body = None;
        let mut args = args.iter().copied();
        while let Some(arg) = args.next() {
            match arg.split_once('=') {
                Some(("--pr-body", file)) => pr_body = Some(PathBuf::from(file)),
                _ if arg == "--pr-body" => match args.next() {
                    Some(file) => pr_body = Some(PathBuf::from(file)),
                    None => bail!("--pr-body needs a file"),
                },
                _ if arg.starts_with("--") => bail!("unknown option {arg}"),
                _ if source.is_some() => bail!("expected one SOURCE, got another: {arg}"),
                _ => source = Some(arg.to_owned()),
            }
        }
        let Some(source) = source else {
            bail!("expected SOURCE, a file or an https:// URL");
        };
        Ok(Options { source, pr_body })
    }
}

/// Runs the task on the arguments after `update-spec`, with the exit status documented
/// above.
pub(crate) fn main(args: &[&str]) -> ExitCode {
    match Options::parse(args) {
        Ok(options) => ExitCode::from(exit_status(&crate::project_root(), &options)),
        Err(error) => {
            crate::say(&format!("error: {error:#}\n\n{}", crate::USAGE));
            ExitCode::from(2)
        }
    }
}

/// 0 unchanged or additive, 1 breaking, 2 unusable (after printing why).
fn exit_status(root: &Path, options: &Options) -> u8 {
    match update(root, options) {
        Ok(false) => 0,
        Ok(true) => 1,
        Err(error) => {
            crate::say(&format!("error: {error:#}\nnothing written"));
            2
        }
    }
}

/// Updates the tree under `root` from `options.source`; `Ok(true)` when a change is
/// breaking.
fn update(root: &Path, options: &Options) -> Result<bool> {
    let upstream = load_upstream(&fetch::read_source(&options.source)?, &options.source)?;
    let vendored_path = root.join(UPSTREAM);
    let vendored_text = std::fs::read_to_string(&vendored_path)
        .with_context(|| format!("cannot read {}", vendored_path.display()))?;
    let vendored = keyapi_tiktok_spec::parse_document(&vendored_text)
        .with_context(|| format!("{UPSTREAM} cannot be read"))?;
    let extracted = extract(&upstream, &vendored);
    crate::say(&format!(
        "{}: {} operation(s) not wrapped (information, not drift)",
        options.source,
        extracted.not_wrapped.len()
    ));
    if !extracted.missing.is_empty() {
        // Vendoring a document without the operation would only fail later, less clearly.
        bail!(
            "{}: upstream no longer documents {}, under its path or its operationId",
            options.source,
            extracted.missing.join(", ")
        );
    }
    if extracted.document == vendored {
        crate::say(&format!(
            "the wrapped operations did not change upstream: {UPSTREAM} stays as it is"
        ));
        return Ok(false);
    }

    let new_text = format!(
        "{VENDORED_HEADER}{}",
        serde_yaml_ng::to_string(&extracted.document)
            .context("cannot write the new document as YAML")?
    );
    let patches_path = root.join(spec::PATCHES);
    let patches = std::fs::read_to_string(&patches_path)
        .with_context(|| format!("cannot read {}", patches_path.display()))?;
    let new_patches = follow_moves(&patches, &extracted.moved);
    let regenerated = regenerate_staged(root, &new_text, &new_patches, &[])?;
    let (current, fresh) = regenerated
        .iter()
        .find(|output| output.file == GENERATED)
        .map(|output| (output.current.as_str(), output.fresh.as_str()))
        .context("regenerate has no generated module")?;
    let surface = surface::changes(current, fresh).map_err(|error| format!("{error:#}"));
    let changes = spec_diff::diff(&vendored, &extracted.document);
    let (old_sha256, new_sha256) = (sha256_hex(&vendored_text), sha256_hex(&new_text));
    let (old_version, new_version) = (info_version(&vendored), info_version(&extracted.document));
    let update = Update {
        changes: &changes,
        surface: &surface,
        extracted: &extracted,
        old_version: &old_version,
        new_version: &new_version,
        old_sha256: &old_sha256,
        new_sha256: &new_sha256,
    };
    let changelog_path = root.join(CHANGELOG);
    let changelog = std::fs::read_to_string(&changelog_path)
        .with_context(|| format!("cannot read {}", changelog_path.display()))?;
    let changelog = update.changelog_with_entry(&changelog)?;
    let bumped = versions::bump_breaking(root, &update.breaking_crates())?;
    // The provenance rewrites the generated crate's manifest: from the bumped one, so it
    // keeps the new version.
    let regenerated = if bumped.files.is_empty() {
        regenerated
    } else {
        regenerate_staged(root, &new_text, &new_patches, &bumped.files)?
    };

    // Every step succeeded: stage every file (the PR body too), then move them into place.
    let mut files = vec![(vendored_path, new_text)];
    if new_patches != patches {
        files.push((patches_path, new_patches));
    }
    for output in regenerated {
        // A file a bump touched differs from the tree's even where its staged copy did not.
        let bumped_too = bumped.files.iter().any(|(path, _)| path == output.file);
        if output.fresh != output.current || bumped_too {
            files.push((root.join(output.file), output.fresh));
        }
    }
    for (path, text) in bumped.files {
        let path = root.join(path);
        if !files.iter().any(|(staged, _)| *staged == path) {
            files.push((path, text));
        }
    }
    files.push((changelog_path, changelog));
    if let Some(pr_body) = &options.pr_body {
        files.push((pr_body.clone(), update.pr_body(&bumped.versions)));
    }
    let written = Staged::write(files)?.commit()?;
    crate::print_out(&update.summary(&bumped.versions));
    let written: Vec<String> = written
        .iter()
        .map(|path| {
            path.strip_prefix(root)
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    crate::say(&format!("wrote {}", written.join(", ")));
    Ok(update.is_breaking())
}

/// The upstream document, once it is known to be an OpenAPI 3.0 document.
fn load_upstream(text: &str, source: &str) -> Result<Value> {
    // The errors' own text only: their sources repeat it.
    let unusable = |error: SpecError| anyhow!("{source}: not a usable upstream document: {error}");
    let document = keyapi_tiktok_spec::parse_document(text).map_err(unusable)?;
    keyapi_tiktok_spec::to_openapi(document.clone()).map_err(unusable)?;
    Ok(document)
}

/// What `cargo xtask regenerate` would write (the generated module and its provenance)
/// for a vendored spec and patches given as text, from a staging copy of the files it
/// reads under `root`; each output's `current` is `root`'s.
fn regenerate_staged(
    root: &Path,
    spec_text: &str,
    patches: &str,
    bumped: &[(String, String)],
) -> Result<Vec<regenerate::Output>> {
    let staging = tempfile::tempdir().context("cannot create a staging directory")?;
    let copy = |file: &str| -> Result<()> {
        let to = staging.path().join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        match std::fs::copy(root.join(file), &to) {
            Ok(_) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error).with_context(|| format!("cannot copy {file} to stage it")),
        }
    };
    for file in [
        "Cargo.lock",
        GENERATED,
        provenance::MODULE,
        provenance::MANIFEST,
    ] {
        copy(file)?;
    }
    std::fs::create_dir_all(staging.path().join("spec"))
        .context("cannot create the staging spec/ directory")?;
    write(&staging.path().join(UPSTREAM), spec_text)?;
    write(&staging.path().join(spec::PATCHES), patches)?;
    for (file, text) in bumped {
        let to = staging.path().join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        write(&to, text)?;
    }
    regenerate::outputs(staging.path())
        .context("the new upstream document cannot be regenerated with spec/patches.yaml")
}

/// `patches` with the JSON pointers into a moved operation's old path pointing at its new
/// one. The patches are text (comments kept), and a pointer spells the path with `/` as
/// `~1`, so the old spelling cannot occur except as that path.
fn follow_moves(patches: &str, moved: &[Moved]) -> String {
    let escape = |path: &str| path.replace('~', "~0").replace('/', "~1");
    let mut patches = patches.to_owned();
    for moved in moved {
        let old = format!(
            "/paths/{}/{}/",
            escape(moved.from.path),
            moved.from.method.to_ascii_lowercase()
        );
        let new = format!("/paths/{}/{}/", escape(&moved.path), moved.method);
        patches = patches.replace(&old, &new);
        patches = patches.replace(
            &format!("/paths/{}/", escape(moved.from.path)),
            &format!("/paths/{}/", escape(&moved.path)),
        );
    }
    patches
}

/// `info.version`, or `(none)`.
fn info_version(document: &Value) -> String {
    document
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("(none)")
        .to_owned()
}

/// The SHA-256 of `text` in lower-case hex.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            hex.push_str(&format!("{byte:02x}"));
            hex
        })
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
