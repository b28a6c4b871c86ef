//! What an update says: the summary printed, the CHANGELOG entry, the pull request's body
//! and the version bump each published crate needs.

use anyhow::{Result, bail};

use super::extract::Extracted;
use super::versions::Written;
use crate::spec_diff::{self, Change, Severity, clean, markdown_escape};

/// The bump rule, as the pull request's body states it (the policy is "Versioning" in the
/// library README, which names the same crates).
pub(super) const BUMP_RULE: &str = "\
Each published crate has its own version and breaks only when its own API does \
(\"Versioning\" in `crates/keyapi-tiktok/README.md`). `keyapi-tiktok-openapi`: any change \
to its generated API is breaking (a new optional property is a new field of a struct \
anyone can build). `keyapi-tiktok` pins it with `=` and never shows it, so it takes a \
patch unless the spec change is breaking (a removed or retyped property, a parameter \
made required). `keyapi-tiktok-store` shows `keyapi-tiktok`'s types in its API, so it \
breaks when that crate breaks; `keyapi-tiktok-cli` breaks with it too (a removed property \
is a removed output column, a required parameter a required option). \
`keyapi-tiktok-spec` and `keyapi-tiktok-testkit` read any document: a spec change \
releases neither. update-spec writes each breaking bump into the manifests, because \
cargo-semver-checks cannot see all of them (it does not compare parameter types, and does \
not check a command); release-plz keeps a version already ahead of crates.io and makes \
the patches itself.";

/// Why cargo-semver-checks' verdict in the release PR means nothing until this branch
/// compiles.
pub(super) const SEMVER_CHECKS_CAVEAT: &str = "\
**Fix a red `cargo check --workspace` on this branch first.** cargo-semver-checks reads \
rustdoc's JSON, and rustdoc does not type-check function bodies: it reports green on a \
tree that does not compile, which is what this branch is until the ergonomic crate maps \
the change (`normalise` destructures every generated field on purpose). Its verdict in \
the release PR counts only once this branch builds and its tests pass.";

/// How a crate's version moves for an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    /// The minor while 0.x, the major from 1.0: written into the manifests by update-spec.
    Breaking,
    /// Made by release-plz, which releases every crate whose package changed.
    Patch,
    /// The crate's package does not change: no release.
    None,
}

impl Level {
    fn describe(self) -> &'static str {
        match self {
            Level::Breaking => "breaking (minor while 0.x)",
            Level::Patch => "patch",
            Level::None => "none",
        }
    }
}

/// Everything one update found, for the reports.
pub(super) struct Update<'a> {
    /// The spec-diff from the vendored document to the new one, breaking first.
    pub(super) changes: &'a [Change],
    /// The generated API's changes, one line each (`surface.rs`); `Err` when they could not
    /// be compared.
    pub(super) surface: &'a Result<Vec<String>, String>,
    pub(super) extracted: &'a Extracted,
    /// `info.version` of the vendored and of the new document.
    pub(super) old_version: &'a str,
    pub(super) new_version: &'a str,
    /// SHA-256 (hex) of the vendored spec file before and after.
    pub(super) old_sha256: &'a str,
    pub(super) new_sha256: &'a str,
}

/// One published crate's release for this update.
struct Bump {
    krate: &'static str,
    level: Level,
    why: &'static str,
}

impl Update<'_> {
    /// Whether any spec change is breaking.
    pub(super) fn is_breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|change| change.severity == Severity::Breaking)
    }

    /// The bumps [`BUMP_RULE`] gives for this update, one per published crate.
    fn bumps(&self) -> Vec<Bump> {
        let bump = |krate, level, why| Bump { krate, level, why };
        let generated = match self.surface {
            Ok(lines) if lines.is_empty() => bump(
                "keyapi-tiktok-openapi",
                Level::Patch,
                "its generated API did not change",
            ),
            _ => bump(
                "keyapi-tiktok-openapi",
                Level::Breaking,
                "its generated API changed",
            ),
        };
        let own_api = if self.is_breaking() {
            [
                bump(
                    "keyapi-tiktok",
                    Level::Breaking,
                    "a breaking spec change reaches its own API",
                ),
                bump(
                    "keyapi-tiktok-store",
                    Level::Breaking,
                    "`keyapi-tiktok`'s types are in its API",
                ),
                bump(
                    "keyapi-tiktok-cli",
                    Level::Breaking,
                    "an output column or an option changes",
                ),
            ]
        } else {
            [
                bump(
                    "keyapi-tiktok",
                    Level::Patch,
                    "pins the generated crate with `=`; its own API can only grow",
                ),
                bump(
                    "keyapi-tiktok-store",
                    Level::Patch,
                    "its requirement on `keyapi-tiktok` moves",
                ),
                bump(
                    "keyapi-tiktok-cli",
                    Level::Patch,
                    "ships the new `keyapi-tiktok`",
                ),
            ]
        };
        let readers = [
            bump("keyapi-tiktok-spec", Level::None, "reads any document"),
            bump(
                "keyapi-tiktok-testkit",
                Level::None,
                "its API does not follow the spec",
            ),
        ];
        [generated]
            .into_iter()
            .chain(own_api)
            .chain(readers)
            .collect()
    }

    /// The published crates whose version this update breaks, which update-spec writes.
    pub(super) fn breaking_crates(&self) -> Vec<&'static str> {
        self.bumps()
            .into_iter()
            .filter(|bump| bump.level == Level::Breaking)
            .map(|bump| bump.krate)
            .collect()
    }

    /// A bump as a line or cell: its level, and the version written for it.
    fn level_text(bump: &Bump, written: &[Written]) -> String {
        match written.iter().find(|written| written.name == bump.krate) {
            Some(written) => format!(
                "{}: {} → {}, written",
                bump.level.describe(),
                written.old,
                written.new
            ),
            None => bump.level.describe().to_owned(),
        }
    }

    /// The generated API's changes as list lines, or the reason they are unknown.
    fn surface_lines(&self) -> Vec<String> {
        match self.surface {
            Ok(lines) => lines.clone(),
            Err(error) => vec![format!("cannot compare: {error}")],
        }
    }

    /// What is printed on stdout: the spec-diff, the generated API's changes, the bumps
    /// (with the versions `written` into the manifests).
    pub(super) fn summary(&self, written: &[Written]) -> String {
        let mut out = format!("spec-diff:\n{}", spec_diff::render(self.changes));
        for moved in &self.extracted.moved {
            out.push_str(&format!("moved: {}\n", clean(&moved.describe())));
        }
        let surface = self.surface_lines();
        if surface.is_empty() {
            out.push_str("generated API: unchanged\n");
        } else {
            out.push_str("generated API changes:\n");
            for line in surface {
                out.push_str(&format!("  - {}\n", clean(&line)));
            }
        }
        out.push_str("versions:\n");
        for bump in self.bumps() {
            out.push_str(&format!(
                "  {}: {} ({})\n",
                bump.krate,
                Self::level_text(&bump, written),
                bump.why
            ));
        }
        out
    }

    /// `changelog` with this update's entry at the top of "Unreleased", under "Changed".
    pub(super) fn changelog_with_entry(&self, changelog: &str) -> Result<String> {
        let Some(unreleased) = changelog
            .find("\n## [Unreleased]\n")
            .or_else(|| changelog.find("\n## Unreleased\n"))
        else {
            bail!("CHANGELOG.md has no `## [Unreleased]` section to add the entry to");
        };
        let section_start = unreleased + 1;
        let heading_end = section_start + changelog[section_start..].find('\n').unwrap_or(0) + 1;
        let section_end = changelog[heading_end..]
            .find("\n## ")
            .map_or(changelog.len(), |at| heading_end + at + 1);
        let entry = self.changelog_entry();
        let section = &changelog[heading_end..section_end];
        let (at, insert) = match section.find("### Changed\n") {
            Some(changed) => {
                let after_heading = heading_end + changed + "### Changed\n".len();
                let after_blank =
                    after_heading + usize::from(changelog[after_heading..].starts_with('\n'));
                (after_blank, entry)
            }
            None => {
                let after_blank = heading_end + usize::from(section.starts_with('\n'));
                (after_blank, format!("### Changed\n\n{entry}\n"))
            }
        };
        Ok(format!("{}{insert}{}", &changelog[..at], &changelog[at..]))
    }

    /// One list item naming every spec change with its class, and any moved endpoint.
    fn changelog_entry(&self) -> String {
        let mut entry = format!(
            "- The vendored spec follows upstream `info.version` {} (`spec/upstream.openapi.yaml` \
             SHA-256 `{}` → `{}`), by `cargo xtask update-spec`{}\n",
            markdown_escape(&clean(self.new_version)),
            &self.old_sha256[..12.min(self.old_sha256.len())],
            &self.new_sha256[..12.min(self.new_sha256.len())],
            if self.changes.is_empty() && self.extracted.moved.is_empty() {
                "; no change a client can observe."
            } else {
                ":"
            }
        );
        for moved in &self.extracted.moved {
            entry.push_str(&format!(
                "  - **breaking**, moved: {}\n",
                markdown_escape(&clean(&moved.describe()))
            ));
        }
        for change in self.changes {
            entry.push_str(&format!(
                "  - {}, `{}`: {}: {}\n",
                class(change),
                change.rule.id(),
                markdown_escape(&clean(&change.subject)),
                markdown_escape(&clean(&change.message)),
            ));
        }
        entry
    }

    /// The pull request's body, in markdown, with the versions `written` into the
    /// manifests.
    pub(super) fn pr_body(&self, written: &[Written]) -> String {
        let mut body = format!(
            "## Upstream spec update: `info.version` {} → {}\n\n\
             Written by `cargo xtask update-spec`: the operations this workspace wraps, cut \
             from upstream's document, with `spec/patches.yaml` re-applied and the client \
             regenerated.\n\n\
             | `spec/upstream.openapi.yaml` | SHA-256 |\n| --- | --- |\n\
             | old | `{}` |\n| new | `{}` |\n\n",
            markdown_escape(&clean(self.old_version)),
            markdown_escape(&clean(self.new_version)),
            self.old_sha256,
            self.new_sha256,
        );
        for moved in &self.extracted.moved {
            body.push_str(&format!(
                "**Moved**: {}. `spec/patches.yaml` now points at the new path; update the \
                 endpoint's path in `crates/keyapi-tiktok-spec/src/endpoint.rs` (the drift \
                 tests name it).\n\n",
                markdown_escape(&clean(&moved.describe()))
            ));
        }
        for missing in &self.extracted.missing {
            body.push_str(&format!(
                "**Gone**: upstream no longer documents {} under any path.\n\n",
                markdown_escape(&clean(missing))
            ));
        }
        body.push_str(&spec_diff::markdown(self.changes));
        body.push_str("\n### Generated API changes (`keyapi-tiktok-openapi`)\n\n");
        let surface = self.surface_lines();
        if surface.is_empty() {
            body.push_str("None.\n");
        }
        for line in surface {
            body.push_str(&format!("- {}\n", markdown_escape(&clean(&line))));
        }
        body.push_str("\n### Versions\n\n| Crate | Release | Why |\n| --- | --- | --- |\n");
        for bump in self.bumps() {
            body.push_str(&format!(
                "| `{}` | {} | {} |\n",
                bump.krate,
                Self::level_text(&bump, written),
                bump.why
            ));
        }
        body.push_str(&format!(
            "\nThe rule applied: {BUMP_RULE}\n\n{SEMVER_CHECKS_CAVEAT}\n"
        ));
        let not_wrapped = &self.extracted.not_wrapped;
        body.push_str(&format!(
            "\n<details><summary>{} upstream operation(s) not wrapped (information, not drift)</summary>\n\n",
            not_wrapped.len()
        ));
        for operation in not_wrapped {
            body.push_str(&format!("- {}\n", markdown_escape(&clean(operation))));
        }
        body.push_str("\n</details>\n");
        body
    }
}

/// How CHANGELOG names a change's class.
fn class(change: &Change) -> &'static str {
    match change.severity {
        Severity::Breaking => "**breaking**",
        Severity::Additive => "additive",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extracted() -> Extracted {
        Extracted {
            document: serde_json::Value::Null,
            not_wrapped: Vec::new(),
            moved: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// An update with these spec changes and generated API changes.
    fn update<'a>(
        changes: &'a [Change],
        surface: &'a Result<Vec<String>, String>,
        extracted: &'a Extracted,
    ) -> Update<'a> {
        Update {
            changes,
            surface,
            extracted,
            old_version: "1",
            new_version: "2",
            old_sha256: "0123456789abcdef",
            new_sha256: "fedcba9876543210",
        }
    }

    fn with_entry(changelog: &str) -> Result<String> {
        update(&[], &Ok(Vec::new()), &extracted()).changelog_with_entry(changelog)
    }

    #[test]
    fn every_published_crate_has_its_release_and_breaking_ones_are_named() {
        let extracted = extracted();
        let published: Vec<&str> = super::super::versions::PUBLISHED
            .iter()
            .map(|published| published.name)
            .collect();
        let new_field = Ok(vec!["RankedVideo gains a field".to_owned()]);
        let additive = update(&[], &new_field, &extracted);
        let mut named: Vec<&str> = additive.bumps().iter().map(|bump| bump.krate).collect();
        named.sort_unstable();
        let mut expected = published.clone();
        expected.sort_unstable();
        assert_eq!(named, expected, "one release per published crate");
        assert_eq!(additive.breaking_crates(), ["keyapi-tiktok-openapi"]);
        let docs_only = Ok(Vec::new());
        assert!(
            update(&[], &docs_only, &extracted)
                .breaking_crates()
                .is_empty()
        );

        let old = keyapi_tiktok_spec::parse_document(
            "{openapi: 3.0.1, info: {title: t, version: '1'}, paths: {/a: {get: {parameters: \
             [{name: p, in: query, required: false, schema: {type: string}}], responses: {}}}}}",
        )
        .unwrap();
        let mut new = old.clone();
        new["paths"]["/a"]["get"]["parameters"][0]["required"] = true.into();
        let changes = spec_diff::diff(&old, &new);
        assert!(
            changes.iter().any(|c| c.severity == Severity::Breaking),
            "{changes:?}"
        );
        let breaking = update(&changes, &docs_only, &extracted);
        assert_eq!(
            breaking.breaking_crates(),
            ["keyapi-tiktok", "keyapi-tiktok-store", "keyapi-tiktok-cli"],
            "a required parameter passes cargo-semver-checks: update-spec writes the bumps"
        );
    }

    #[test]
    fn the_pr_body_shows_the_written_versions_and_says_semver_checks_needs_a_building_tree() {
        let extracted = extracted();
        let surface = Ok(vec!["RankedVideo gains a field".to_owned()]);
        let written = [Written {
            name: "keyapi-tiktok-openapi",
            old: "0.1.0".into(),
            new: "0.2.0".into(),
        }];
        let body = update(&[], &surface, &extracted).pr_body(&written);
        assert!(
            body.contains(
                "| `keyapi-tiktok-openapi` | breaking (minor while 0.x): 0.1.0 → 0.2.0, written |"
            ),
            "{body}"
        );
        assert!(body.contains("| `keyapi-tiktok-store` | patch |"), "{body}");
        assert!(
            body.contains("Fix a red `cargo check --workspace`"),
            "{body}"
        );
        assert!(
            body.contains("does not type-check function bodies"),
            "{body}"
        );
        let summary = update(&[], &surface, &extracted).summary(&written);
        assert!(
            summary.contains("keyapi-tiktok-openapi: breaking (minor while 0.x): 0.1.0 → 0.2.0"),
            "{summary}"
        );
    }

    const ENTRY: &str = "- The vendored spec follows upstream `info.version` 2 \
        (`spec/upstream.openapi.yaml` SHA-256 `0123456789ab` → `fedcba987654`), by \
        `cargo xtask update-spec`; no change a client can observe.\n";

    #[test]
    fn the_entry_goes_first_under_unreleased_changed() {
        let changelog = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- a\n\n### Changed\n\n- b\n\n## [0.1.0]\n\n### Changed\n\n- c\n";
        assert_eq!(
            with_entry(changelog).unwrap(),
            changelog.replacen(
                "### Changed\n\n- b",
                &format!("### Changed\n\n{ENTRY}- b"),
                1
            )
        );
    }

    #[test]
    fn a_changed_heading_is_added_when_unreleased_has_none() {
        let changelog = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- a\n\n## [0.1.0]\n\n### Changed\n\n- c\n";
        assert_eq!(
            with_entry(changelog).unwrap(),
            changelog.replacen(
                "### Added",
                &format!("### Changed\n\n{ENTRY}\n### Added"),
                1
            )
        );
        let message = with_entry("# Changelog\n\n## [0.1.0]\n")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("no `## [Unreleased]` section"),
            "{message}"
        );
    }
}
