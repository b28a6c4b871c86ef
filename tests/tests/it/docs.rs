//! The documents' own checks, over every Markdown file of the repository, so a new file,
//! link or example is checked without touching this file:
//!
//! - every relative link, and every repository path written in backticks, exists (and a
//!   link's `#anchor` is a heading of its target);
//! - every fenced code block says what it is (```` ```rust ````, ```` ```sh ````,
//!   ```` ```text ````…): rustdoc compiles a bare fence as Rust;
//! - every README with a ```` ```rust ```` block is compiled by rustdoc: its crate's
//!   `lib.rs` (or, for the workspace README, `tests/lib.rs`) includes it under
//!   `#[cfg(doctest)]`, so `cargo test` compiles every block against that crate's
//!   dependencies (`tests/tests/it/new_project.rs` checks the Quickstart and the test kit's
//!   guide against only what their `cargo add` lines add).

use std::path::{Path, PathBuf};

use crate::markdown::{
    anchor, code_blocks, link_targets, markdown_files, prose_lines, workspace_root,
};

/// Paths the documents name that are made, not checked in, or are in the reader's project.
const MADE_PATHS: &[&str] = &["crates/keyapi-tiktok-cli/dist-assets", "tests/ranking.rs"];

/// Top-level entries whose paths the documents name in backticks.
const ROOTS: &[&str] = &[
    "crates/", "tests/", "spec/", "xtask/", ".ci/", ".github/", ".cargo/",
];

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn headings(markdown: &str) -> Vec<String> {
    prose_lines(markdown)
        .into_iter()
        .filter_map(|(_, line)| line.strip_prefix('#'))
        .map(|heading| anchor(heading.trim_start_matches('#')))
        .collect()
}

/// The link reader sees inline links and reference definitions (`[name]: target`), so a
/// broken target of either kind is reported.
#[test]
fn links_of_both_forms_are_read() {
    assert_eq!(
        crate::markdown::link_targets("see [the guide](a.md#x) and [b](c \"title\")"),
        ["a.md#x", "c"]
    );
    assert_eq!(
        crate::markdown::link_targets("[licence]: LICENSE-MIT \"MIT\""),
        ["LICENSE-MIT"]
    );
    assert_eq!(
        crate::markdown::link_targets("  [the store]: <crates/x y/README.md>"),
        ["crates/x y/README.md"]
    );
}

#[test]
fn every_relative_link_and_path_in_the_documents_exists() {
    let root = workspace_root();
    let mut broken = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        // History names paths as they were.
        let check_paths = !file.ends_with("CHANGELOG.md");
        for (number, line) in prose_lines(&text) {
            let at = format!("{}:{number}", relative(&file));
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
                let resolved: PathBuf = if path.is_empty() {
                    file.clone()
                } else {
                    dir.join(path)
                };
                if !resolved.exists() {
                    broken.push(format!("{at}: link to {target}: no such file"));
                    continue;
                }
                if !fragment.is_empty() && resolved.extension().is_some_and(|e| e == "md") {
                    let target_text = std::fs::read_to_string(&resolved).unwrap();
                    if !headings(&target_text).iter().any(|h| h == fragment) {
                        broken.push(format!("{at}: link to {target}: no such heading"));
                    }
                }
            }
            if !check_paths {
                continue;
            }
            for (index, span) in line.split('`').enumerate() {
                let is_code = index % 2 == 1;
                let looks_like_path = ROOTS.iter().any(|r| span.starts_with(r))
                    && !span.contains([' ', '*', '<', '…', '{', '$']);
                if !is_code || !looks_like_path {
                    continue;
                }
                let path = span.split(':').next().unwrap_or(span);
                if MADE_PATHS.iter().any(|made| path.starts_with(made)) {
                    continue;
                }
                // A crate's own layout (`tests/it/main.rs`) is named once for every crate.
                let in_a_crate = || {
                    std::fs::read_dir(root.join("crates"))
                        .unwrap()
                        .any(|krate| krate.unwrap().path().join(path).exists())
                };
                if !root.join(path).exists() && !dir.join(path).exists() && !in_a_crate() {
                    broken.push(format!("{at}: `{span}`: no such path"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken:\n{}", broken.join("\n"));
}

/// A `sh` block is pasted whole, so its lines run one after another: alternatives (`# or,
/// from a checkout:`) go in blocks of their own (pasted whole, the install block built the
/// command twice, 5 to 15 minutes each, or failed outside a checkout).
#[test]
fn no_shell_block_holds_alternatives() {
    let mut alternatives = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for block in code_blocks(&text) {
            if block.language != "sh" {
                continue;
            }
            for (index, line) in block.code.lines().enumerate() {
                let comment = line.split_once('#').map(|(_, comment)| comment.trim());
                if comment
                    .is_some_and(|comment| comment.starts_with("or ") || comment.starts_with("or,"))
                {
                    alternatives.push(format!(
                        "{}:{}: {line}",
                        relative(&file),
                        block.line + 1 + index
                    ));
                }
            }
        }
    }
    assert!(
        alternatives.is_empty(),
        "sh blocks holding alternatives (split them):\n{}",
        alternatives.join("\n")
    );
}

/// An example that attaches the store opens it read-only: DuckDB's and SQLite's `ATTACH`
/// create a missing file, so pasted in the wrong directory one left an empty
/// `rankings.sqlite3` behind (and a writable attach could write to a user's store).
#[test]
fn every_attach_of_the_store_in_the_documents_is_read_only() {
    let mut writable = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (index, line) in text.lines().enumerate() {
            let Some(at) = line.find("ATTACH '") else {
                continue;
            };
            let statement = line[at..].split(';').next().unwrap_or_default();
            if !statement.contains("mode=ro") && !statement.contains("READ_ONLY") {
                writable.push(format!("{}:{}: {statement}", relative(&file), index + 1));
            }
        }
    }
    assert!(
        writable.is_empty(),
        "ATTACH without READ_ONLY (DuckDB) or 'file:…?mode=ro' (SQLite):\n{}",
        writable.join("\n")
    );
}

/// Shell examples are fenced as `sh`, the one language the example runners read
/// (`doc_examples.rs`, `new_project.rs`): a `bash` or `console` block would be skipped.
#[test]
fn shell_examples_are_fenced_as_sh() {
    let mut others = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for block in code_blocks(&text) {
            let language = block.language.split(',').next().unwrap_or_default();
            if ["bash", "shell", "console", "zsh", "shell-session"].contains(&language) {
                others.push(format!("{}:{}: {language}", relative(&file), block.line));
            }
        }
    }
    assert!(
        others.is_empty(),
        "shell blocks the example runners skip (fence them as sh, or text for a transcript):\n{}",
        others.join("\n")
    );
}

#[test]
fn every_code_block_says_what_it_is() {
    let mut bare = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for block in code_blocks(&text) {
            if block.language.is_empty() {
                bare.push(format!("{}:{}", relative(&file), block.line));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "fences without a language (rustdoc would compile them as Rust; say text, sh, …):\n{}",
        bare.join("\n")
    );
}

#[test]
fn every_readme_with_rust_blocks_is_compiled_by_rustdoc() {
    let root = workspace_root();
    let mut missing = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let has_rust = code_blocks(&text)
            .iter()
            .any(|block| block.language.split(',').next() == Some("rust"));
        if !has_rust {
            continue;
        }
        let dir = file.parent().unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        let (lib, include) = if dir == root {
            (
                root.join("tests/lib.rs"),
                format!("include_str!(\"../{name}\")"),
            )
        } else {
            (
                dir.join("src/lib.rs"),
                format!("include_str!(\"../{name}\")"),
            )
        };
        let compiled = std::fs::read_to_string(&lib)
            .is_ok_and(|source| source.contains(&include) && source.contains("#[cfg(doctest)]"));
        if !compiled {
            missing.push(format!("{} (in {})", relative(&file), relative(&lib)));
        }
    }
    assert!(
        missing.is_empty(),
        "READMEs with rust blocks rustdoc does not compile: add \
         `#[cfg(doctest)] #[doc = include_str!(\"../README.md\")] mod readme {{}}`:\n{}",
        missing.join("\n")
    );
}
