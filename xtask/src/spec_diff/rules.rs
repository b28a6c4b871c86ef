//! The rules: how each difference between two summarised documents is classified,
//! breaking or additive, from the point of view of a client built on OLD.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{Operation, Response, operations};

/// How many differing locations an "example changed" line names before counting the rest.
const EXAMPLE_PATHS_SHOWN: usize = 3;

/// Appended to a value newly documented on a response property.
pub(super) const NEW_RESPONSE_VALUE_NOTE: &str =
    "; code matching every documented value needs a new arm";

/// Whether a client built on the old document can fail against the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Severity {
    /// It can.
    Breaking,
    /// It cannot; also used for informational lines such as example drift.
    Additive,
}

/// One line of the report. The field order is the sort order: breaking changes first.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Change {
    pub(super) severity: Severity,
    /// The operation concerned, `GET /path`.
    pub(super) subject: String,
    pub(super) message: String,
}

/// Every change from `old` to `new`, sorted.
pub(super) fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let old_operations = operations(old);
    let new_operations = operations(new);
    let mut changes = Vec::new();
    for (subject, old_operation) in &old_operations {
        let mut report = Report {
            subject,
            changes: &mut changes,
        };
        match new_operations.get(subject) {
            None => report.breaking("operation removed".to_owned()),
            Some(new_operation) => report.operation(old_operation, new_operation),
        }
    }
    for subject in new_operations.keys() {
        if !old_operations.contains_key(subject) {
            let mut report = Report {
                subject,
                changes: &mut changes,
            };
            report.additive("operation added".to_owned());
        }
    }
    changes.sort();
    changes
}

/// Where the changes of one operation go.
struct Report<'a> {
    subject: &'a str,
    changes: &'a mut Vec<Change>,
}

impl Report<'_> {
    fn push(&mut self, severity: Severity, message: String) {
        self.changes.push(Change {
            severity,
            subject: self.subject.to_owned(),
            message,
        });
    }

    fn breaking(&mut self, message: String) {
        self.push(Severity::Breaking, message);
    }

    fn additive(&mut self, message: String) {
        self.push(Severity::Additive, message);
    }

    fn operation(&mut self, old: &Operation, new: &Operation) {
        for (key @ (location, name), old_parameter) in &old.parameters {
            let what = format!("{location} parameter {name}");
            let Some(new_parameter) = new.parameters.get(key) else {
                self.breaking(format!("{what} removed"));
                continue;
            };
            match (old_parameter.required, new_parameter.required) {
                (false, true) => self.breaking(format!("{what} became required")),
                (true, false) => self.additive(format!("{what} became optional")),
                _ => {}
            }
            self.type_change(&what, &old_parameter.ty, &new_parameter.ty);
            self.values(&what, &old_parameter.values, &new_parameter.values, "");
            self.example(
                &format!("{what} example"),
                old_parameter.example.as_ref(),
                new_parameter.example.as_ref(),
            );
        }
        for (key @ (location, name), parameter) in &new.parameters {
            if old.parameters.contains_key(key) {
                continue;
            }
            let what = format!("{location} parameter {name}");
            if parameter.required {
                self.breaking(format!("{what} added (required, {})", parameter.ty));
            } else {
                self.additive(format!("{what} added (optional, {})", parameter.ty));
            }
        }
        for (status, old_response) in &old.responses {
            match new.responses.get(status) {
                None => self.breaking(format!("response {status} removed")),
                Some(new_response) => self.response(status, old_response, new_response),
            }
        }
        for status in new.responses.keys() {
            if !old.responses.contains_key(status) {
                self.additive(format!("response {status} added"));
            }
        }
    }

    fn response(&mut self, status: &str, old: &Response, new: &Response) {
        let name = |path: &str| match path {
            "" => format!("response {status} body"),
            _ => format!("response {status} property {path}"),
        };
        for (path, old_property) in &old.properties {
            let what = name(path);
            let Some(new_property) = new.properties.get(path) else {
                let parent_kept = (old_property.parent.as_ref())
                    .is_none_or(|parent| new.properties.contains_key(parent));
                if parent_kept {
                    self.breaking(format!("{what} removed"));
                }
                continue;
            };
            self.type_change(&what, &old_property.ty, &new_property.ty);
            match (old_property.required, new_property.required) {
                (true, false) => self.breaking(format!("{what} became optional")),
                (false, true) => self.additive(format!("{what} became required")),
                _ => {}
            }
            self.values(
                &what,
                &old_property.values,
                &new_property.values,
                NEW_RESPONSE_VALUE_NOTE,
            );
            self.example(
                &format!("{what} example"),
                old_property.example.as_ref(),
                new_property.example.as_ref(),
            );
        }
        for (path, property) in &new.properties {
            let parent_existed =
                (property.parent.as_ref()).is_none_or(|parent| old.properties.contains_key(parent));
            if !old.properties.contains_key(path) && parent_existed {
                self.additive(format!("{} added ({})", name(path), property.ty));
            }
        }
        let names: BTreeSet<&String> = old.examples.keys().chain(new.examples.keys()).collect();
        for example in names {
            self.example(
                &format!("response {status} {example}"),
                old.examples.get(example),
                new.examples.get(example),
            );
        }
    }

    fn type_change(&mut self, what: &str, old: &str, new: &str) {
        if old != new {
            self.breaking(format!("{what} type changed from {old} to {new}"));
        }
    }

    /// Compares documented values; `added_note` ends the line of a newly documented value.
    fn values(
        &mut self,
        what: &str,
        old: &BTreeMap<i64, String>,
        new: &BTreeMap<i64, String>,
        added_note: &str,
    ) {
        for (number, old_label) in old {
            match new.get(number) {
                None => self.breaking(format!("{what} value {number}={old_label} removed")),
                Some(new_label) if new_label != old_label => self.breaking(format!(
                    "{what} value {number} label changed from {old_label} to {new_label}"
                )),
                Some(_) => {}
            }
        }
        for (number, label) in new {
            if !old.contains_key(number) {
                self.additive(format!("{what} value {number}={label} added{added_note}"));
            }
        }
    }

    fn example(&mut self, what: &str, old: Option<&Value>, new: Option<&Value>) {
        match (old, new) {
            (Some(old), Some(new)) if old != new => {
                let mut paths = Vec::new();
                changed_paths(old, new, "", &mut paths);
                let mut shown = paths
                    .iter()
                    .take(EXAMPLE_PATHS_SHOWN)
                    .map(|path| {
                        if path.is_empty() {
                            "the top level"
                        } else {
                            path
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                if paths.len() > EXAMPLE_PATHS_SHOWN {
                    shown = format!("{shown} and {} more", paths.len() - EXAMPLE_PATHS_SHOWN);
                }
                self.additive(format!("{what} changed at {shown}"));
            }
            (None, Some(_)) => self.additive(format!("{what} added")),
            (Some(_), None) => self.additive(format!("{what} removed")),
            _ => {}
        }
    }
}

/// The locations where two example values differ, like `data[0].video_id`.
pub(super) fn changed_paths(old: &Value, new: &Value, at: &str, paths: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            for key in keys {
                let child = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                match (old.get(key), new.get(key)) {
                    (Some(old), Some(new)) => changed_paths(old, new, &child, paths),
                    _ => paths.push(child),
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            for index in 0..old.len().max(new.len()) {
                let child = format!("{at}[{index}]");
                match (old.get(index), new.get(index)) {
                    (Some(old), Some(new)) => changed_paths(old, new, &child, paths),
                    _ => paths.push(child),
                }
            }
        }
        _ if old != new => paths.push(at.to_owned()),
        _ => {}
    }
}
