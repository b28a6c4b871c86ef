//! How a list of changes is printed: text, JSON, markdown or GitHub workflow commands.
//!
//! Messages quote the documents (names, labels), which are strangers' text: every format
//! prints them with control characters replaced and at most [`MESSAGE_CHARS`] characters,
//! and escapes what its syntax needs.

use std::fmt;

use serde_json::json;

use super::location::locate;
use super::options::Format;
use super::rule::Severity;
use super::rules::Change;

/// The longest message printed, in characters.
const MESSAGE_CHARS: usize = 400;

/// The NEW document as the reader knows it: the path as given, and its text (for lines).
pub(super) struct NewVersion<'a> {
    pub(super) name: &'a str,
    pub(super) text: &'a str,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Breaking => "BREAKING",
            Severity::Additive => "additive",
        };
        write!(
            f,
            "{severity}  {}: {}",
            clean(&self.subject),
            clean(&self.message)
        )
    }
}

/// The report in `format`.
pub(super) fn render_as(format: Format, changes: &[Change], new: &NewVersion<'_>) -> String {
    match format {
        Format::Text => render(changes),
        Format::Json => json(changes, new),
        Format::Markdown => markdown(changes),
        Format::Github => github(changes, new),
    }
}

/// The text report: one line per change ending with its rule id, then the counts.
pub(crate) fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no differences\n".to_owned();
    }
    let mut lines: Vec<String> = changes
        .iter()
        .map(|change| format!("{change} [{}]", change.rule.id()))
        .collect();
    lines.push(counts(changes));
    lines.push(String::new());
    lines.join("\n")
}

/// `N breaking, M additive`.
fn counts(changes: &[Change]) -> String {
    let breaking = changes
        .iter()
        .filter(|change| change.severity == Severity::Breaking)
        .count();
    format!("{breaking} breaking, {} additive", changes.len() - breaking)
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Breaking => "breaking",
        Severity::Additive => "additive",
    }
}

/// One JSON object; the shape is documented on the module `spec_diff`.
fn json(changes: &[Change], new: &NewVersion<'_>) -> String {
    let breaking = changes
        .iter()
        .filter(|change| change.severity == Severity::Breaking)
        .count();
    let entries: Vec<_> = changes
        .iter()
        .map(|change| {
            json!({
                "rule": change.rule.id(),
                "severity": severity_name(change.severity),
                "operation": clean(&change.subject),
                "message": clean(&change.message),
                "file": new.name,
                "line": locate(new.text, &change.anchors),
            })
        })
        .collect();
    let report = json!({
        "breaking": breaking,
        "additive": changes.len() - breaking,
        "changes": entries,
    });
    format!("{report:#}\n")
}

/// A heading with the counts and a table, one row per change.
pub(crate) fn markdown(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "### spec-diff: no differences\n".to_owned();
    }
    let mut out = format!(
        "### spec-diff: {}\n\n| Severity | Rule | Operation | Change |\n| --- | --- | --- | --- |\n",
        counts(changes)
    );
    for change in changes {
        let severity = match change.severity {
            Severity::Breaking => "**BREAKING**",
            Severity::Additive => "additive",
        };
        out.push_str(&format!(
            "| {severity} | `{}` | {} | {} |\n",
            change.rule.id(),
            markdown_escape(&clean(&change.subject)),
            markdown_escape(&clean(&change.message)),
        ));
    }
    out
}

/// GitHub workflow commands: `::error` for breaking changes, `::warning` for the others,
/// each with the file and (where found) the line in NEW, then the counts.
fn github(changes: &[Change], new: &NewVersion<'_>) -> String {
    let mut out = String::new();
    for change in changes {
        let command = match change.severity {
            Severity::Breaking => "error",
            Severity::Additive => "warning",
        };
        let mut properties = format!("file={}", github_property(new.name));
        if let Some(line) = locate(new.text, &change.anchors) {
            properties.push_str(&format!(",line={line}"));
        }
        properties.push_str(&format!(",title={}", change.rule.id()));
        let message = format!("{}: {}", clean(&change.subject), clean(&change.message));
        out.push_str(&format!(
            "::{command} {properties}::{}\n",
            github_data(&message)
        ));
    }
    if changes.is_empty() {
        out.push_str("no differences\n");
    } else {
        out.push_str(&format!("{}\n", counts(changes)));
    }
    out
}

/// `text` with control characters replaced by spaces, cut to [`MESSAGE_CHARS`].
pub(crate) fn clean(text: &str) -> String {
    let mut cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_CHARS)
        .collect();
    if text.chars().nth(MESSAGE_CHARS).is_some() {
        cleaned.push('…');
    }
    cleaned
}

/// What markdown (GitHub's, with its mentions, issue links and maths) could read as
/// syntax in a word.
const MARKDOWN_SYNTAX: &str = "\\`*_[]<>#@~&$";

/// Strangers' text made inert for a markdown table cell or list item, and still
/// searchable: each word holding anything markdown could read as syntax (an identifier
/// such as `total_views_cnt`, an `@mention`, an `#123` issue link) goes into a code span,
/// where GitHub neither formats nor mentions nor links; `|`, which would end a table
/// cell even inside a code span, is escaped between words.
pub(crate) fn markdown_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() || c == '|' {
            push_word(&mut escaped, &word);
            word.clear();
            escaped.push_str(if c == '|' { "\\|" } else { " " });
        } else {
            word.push(c);
        }
    }
    push_word(&mut escaped, &word);
    escaped
}

/// `word` as it is, or as a code span when markdown could read it as syntax (without the
/// punctuation around it, so that `data[].id,` reads as the identifier and a comma).
fn push_word(out: &mut String, word: &str) {
    let core = word
        .trim_start_matches('(')
        .trim_end_matches([',', ';', ':', '.', ')']);
    if !core.contains(|c| MARKDOWN_SYNTAX.contains(c)) {
        out.push_str(word);
        return;
    }
    let start = word.len() - word.trim_start_matches('(').len();
    out.push_str(&word[..start]);
    push_code_span(out, core);
    out.push_str(&word[start + core.len()..]);
}

/// `word` as a code span that no backtick inside it can end.
fn push_code_span(out: &mut String, word: &str) {
    // A fence longer than any run of backticks inside, so none of them closes the span;
    // a space on each side when the word itself starts or ends with a backtick.
    let mut longest = 0;
    let mut run = 0;
    for c in word.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if word.starts_with('`') || word.ends_with('`') {
        " "
    } else {
        ""
    };
    out.push_str(&format!("{fence}{pad}{word}{pad}{fence}"));
}

/// The message of a workflow command, escaped as the runner expects.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a workflow command, escaped as the runner expects.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Identifiers stay searchable (in code spans, not backslash-escaped); `@` and `#`
    /// cannot mention anyone or link an issue; backticks cannot end a code span early.
    #[test]
    fn markdown_puts_anything_markdown_would_read_in_code_spans() {
        assert_eq!(
            markdown_escape("property data[].total_views_cnt removed"),
            "property `data[].total_views_cnt` removed"
        );
        assert_eq!(
            markdown_escape("version 2 by @octocat and @org/team, see #12"),
            "version 2 by `@octocat` and `@org/team`, see `#12`"
        );
        assert_eq!(markdown_escape("a`b_c"), "``a`b_c``");
        assert_eq!(markdown_escape("`x`"), "`` `x` ``");
        assert_eq!(markdown_escape("plain words"), "plain words");
        assert_eq!(markdown_escape("(a_b). (c)"), "(`a_b`). (c)");
    }

    #[test]
    fn strangers_text_is_cleaned_bounded_and_escaped() {
        assert_eq!(clean("a\nb\u{1b}[31mc"), "a b [31mc");
        let long = "x".repeat(MESSAGE_CHARS + 10);
        assert_eq!(clean(&long).chars().count(), MESSAGE_CHARS + 1);
        assert_eq!(markdown_escape("a|b_c"), "a\\|`b_c`");
        assert_eq!(github_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(github_property("C:\\a,b"), "C%3A\\a%2Cb");
    }
}
