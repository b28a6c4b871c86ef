//! What an update says: the summary printed, the CHANGELOG entry, the pull request's body
//! and the version bump each published crate needs.

use anyhow::{Result, bail};

use super::extract::Extracted;
use crate::spec_diff::{self, Change, Severity, clean, markdown_escape};

/// The bump rule, as the pull request's body states it (the policy in the library README).
pub(super) const BUMP_RULE: &str = "\
`keyapi-tiktok-openapi`: any change to its generated API is breaking (a minor bump while \
the version is 0.x); no API change is a patch. `keyapi-tiktok` pins the generated crate \
with `=`, so every release of it needs a release of `keyapi-tiktok`, which breaks only \
when its own public API breaks: update-spec cannot know that without compiling, so it \
suggests a patch for an additive spec change and, for a breaking one, a minor bump if \
`cargo semver-checks` reports a break, else a patch. `keyapi-tiktok-cli`, \
`keyapi-tiktok-testkit` and `keyapi-tiktok-spec`: a patch (they follow).";

/// The published crates that only follow a release of the generated crate.
const FOLLOWERS: [&str; 3] = [
    "keyapi-tiktok-cli",
    "keyapi-tiktok-testkit",
    "keyapi-tiktok-spec",
];

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

/// One published crate's suggested release.
struct Bump {
    krate: &'static str,
    bump: &'static str,
    why: &'static str,
}

impl Update<'_> {
    /// Whether any spec change is breaking.
    pub(super) fn is_breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|change| change.severity == Severity::Breaking)
    }

    /// The bumps [`BUMP_RULE`] gives for this update.
    fn bumps(&self) -> Vec<Bump> {
        let generated = match self.surface {
            Ok(lines) if lines.is_empty() => Bump {
                krate: "keyapi-tiktok-openapi",
                bump: "patch",
                why: "its generated API did not change",
            },
            _ => Bump {
                krate: "keyapi-tiktok-openapi",
                bump: "minor",
                why: "its generated API changed (breaking while 0.x)",
            },
        };
        let ergonomic = if self.is_breaking() {
            Bump {
                krate: "keyapi-tiktok",
                bump: "minor if `cargo semver-checks` reports a break, else patch",
                why: "a breaking spec change; only its own public API decides",
            }
        } else {
            Bump {
                krate: "keyapi-tiktok",
                bump: "patch",
                why: "pins the generated crate with `=`; no spec change is breaking",
            }
        };
        let followers = FOLLOWERS.into_iter().map(|krate| Bump {
            krate,
            bump: "patch",
            why: "follows the release",
        });
        [generated, ergonomic]
            .into_iter()
            .chain(followers)
            .collect()
    }

    /// The generated API's changes as list lines, or the reason they are unknown.
    fn surface_lines(&self) -> Vec<String> {
        match self.surface {
            Ok(lines) => lines.clone(),
            Err(error) => vec![format!("cannot compare: {error}")],
        }
    }

    /// What is printed on stdout: the spec-diff, the generated API's changes, the bumps.
    pub(super) fn summary(&self) -> String {
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
        out.push_str("suggested bumps:\n");
        for bump in self.bumps() {
            out.push_str(&format!("  {}: {} ({})\n", bump.krate, bump.bump, bump.why));
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

    /// The pull request's body, in markdown.
    pub(super) fn pr_body(&self) -> String {
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
        body.push_str(
            "\n### Suggested version bumps\n\n| Crate | Bump | Why |\n| --- | --- | --- |\n",
        );
        for bump in self.bumps() {
            body.push_str(&format!(
                "| `{}` | {} | {} |\n",
                bump.krate, bump.bump, bump.why
            ));
        }
        body.push_str(&format!("\nThe rule applied: {BUMP_RULE}\n"));
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

    fn with_entry(changelog: &str) -> Result<String> {
        let extracted = Extracted {
            document: serde_json::Value::Null,
            not_wrapped: Vec::new(),
            moved: Vec::new(),
            missing: Vec::new(),
        };
        let update = Update {
            changes: &[],
            surface: &Ok(Vec::new()),
            extracted: &extracted,
            old_version: "1",
            new_version: "2",
            old_sha256: "0123456789abcdef",
            new_sha256: "fedcba9876543210",
        };
        update.changelog_with_entry(changelog)
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
