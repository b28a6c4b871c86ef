//! How a list of changes is printed.

use std::fmt;

use super::rules::{Change, Severity};

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Breaking => "BREAKING",
            Severity::Additive => "additive",
        };
        write!(f, "{severity}  {}: {}", self.subject, self.message)
    }
}

/// The report: one line per change, then the counts.
pub(super) fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no differences\n".to_owned();
    }
    let breaking = changes
        .iter()
        .filter(|change| change.severity == Severity::Breaking)
        .count();
    let mut lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    lines.push(format!(
        "{breaking} breaking, {} additive",
        changes.len() - breaking
    ));
    lines.push(String::new());
    lines.join("\n")
}
