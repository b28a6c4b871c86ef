//! Reading the repository's Markdown: the files, their fenced code blocks, their links.
//! Shared by the documentation tests (`docs.rs`) and the new-project test.

use std::path::{Path, PathBuf};

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the workspace root")
        .to_path_buf()
}

/// Every Markdown file of the repository (not under `target/` or hidden directories but
/// `.github/`), sorted.
pub(crate) fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable directory") {
            let path = entry.expect("a listable directory").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_dir() {
                let skipped = name == "target" || (name.starts_with('.') && name != ".github");
                if !skipped {
                    walk(&path, found);
                }
            } else if name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&workspace_root(), &mut found);
    found.sort();
    found
}

/// A fenced code block: its info string (```` ```rust,no_run ```` gives `rust,no_run`),
/// its text and the line its fence opens on (1-based).
#[derive(Debug)]
pub(crate) struct CodeBlock {
    pub(crate) language: String,
    pub(crate) code: String,
    pub(crate) line: usize,
}

/// Every fenced code block of `markdown`, in order.
pub(crate) fn code_blocks(markdown: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<CodeBlock> = None;
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_start();
        let is_fence = fence.starts_with("```") && line.len() - fence.len() <= 3;
        match (&mut open, is_fence) {
            (None, true) => {
                open = Some(CodeBlock {
                    language: fence.trim_start_matches('`').trim().to_owned(),
                    code: String::new(),
                    line: index + 1,
                })
            }
            (Some(_), true) => blocks.extend(open.take()),
            (Some(block), false) => {
                block.code.push_str(line);
                block.code.push('\n');
            }
            (None, false) => {}
        }
    }
    blocks
}

/// The text outside code blocks, with each line's number (1-based).
pub(crate) fn prose_lines(markdown: &str) -> Vec<(usize, &str)> {
    let mut in_block = false;
    let mut lines = Vec::new();
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_start();
        if fence.starts_with("```") && line.len() - fence.len() <= 3 {
            in_block = !in_block;
        } else if !in_block {
            lines.push((index + 1, line));
        }
    }
    lines
}

/// The targets of the inline links `[text](target)` in `text`, and of a reference
/// definition `[name]: target` (`<target>` when it holds spaces).
pub(crate) fn link_targets(text: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    let trimmed = text.trim_start();
    if let Some(definition) = trimmed
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("]: "))
        .map(|(_, target)| target.trim_start())
    {
        let target = match definition.strip_prefix('<') {
            Some(bracketed) => bracketed.split('>').next().unwrap_or_default(),
            None => definition.split_whitespace().next().unwrap_or_default(),
        };
        targets.push(target);
        return targets;
    }
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        match after.find(')') {
            Some(end) => {
                targets.push(after[..end].split_whitespace().next().unwrap_or_default());
                rest = &after[end..];
            }
            None => break,
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces
/// as `-`.
pub(crate) fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}
