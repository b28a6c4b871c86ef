//! The rules: how each difference between two summarised documents is classified,
//! breaking or additive, from the point of view of a client built on OLD.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::location::Anchor;
use super::model::{Operation, Property, Response, operations};
use super::rule::{Rule, Severity, Subject};

/// How many differing locations an "example changed" line names before counting the rest.
const EXAMPLE_PATHS_SHOWN: usize = 3;

/// Appended to a value newly documented on a response property.
pub(super) const NEW_RESPONSE_VALUE_NOTE: &str =
    "; code matching every documented value needs a new arm";

/// One line of the report. The field order is the sort order: breaking changes first.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Change {
    pub(crate) severity: Severity,
    /// The operation concerned, `GET /path`.
    pub(crate) subject: String,
    pub(crate) message: String,
    /// The kind of change.
    pub(crate) rule: Rule,
    /// The keys leading to the change in NEW, for its line number.
    pub(super) anchors: Vec<Anchor>,
}

/// Every change from `old` to `new`, sorted.
pub(crate) fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let old_operations = operations(old);
    let new_operations = operations(new);
    let mut changes = Vec::new();
    for (subject, old_operation) in &old_operations {
        let mut report = Report::new(subject, &mut changes);
        match new_operations.get(subject) {
            None => report.push(Rule::OperationRemoved, "operation removed".to_owned(), &[]),
            Some(new_operation) => report.operation(old_operation, new_operation),
        }
    }
    for subject in new_operations.keys() {
        if !old_operations.contains_key(subject) {
            let mut report = Report::new(subject, &mut changes);
            report.push(Rule::OperationAdded, "operation added".to_owned(), &[]);
        }
    }
    changes.sort();
    changes
}

/// Where the changes of one operation go.
struct Report<'a> {
    subject: &'a str,
    /// The operation's keys in NEW: its path, then its method.
    anchors: Vec<Anchor>,
    changes: &'a mut Vec<Change>,
}

impl<'a> Report<'a> {
    fn new(subject: &'a str, changes: &'a mut Vec<Change>) -> Self {
        let (method, path) = subject.split_once(' ').unwrap_or(("", subject));
        let anchors = vec![
            Anchor::Key(path.to_owned()),
            Anchor::Key(method.to_ascii_lowercase()),
        ];
        Report {
            subject,
            anchors,
            changes,
        }
    }

    /// Records a change of kind `rule`, found below the operation at `anchors`, or from
    /// the root when they start with `Anchor::Root`.
    fn push(&mut self, rule: Rule, message: String, anchors: &[Anchor]) {
        let anchors = match anchors.split_first() {
            Some((Anchor::Root, rest)) => rest.to_vec(),
            _ => self.anchors.iter().chain(anchors).cloned().collect(),
        };
        self.changes.push(Change {
            severity: rule.severity(),
            subject: self.subject.to_owned(),
            message,
            rule,
            anchors,
        });
    }

    fn operation(&mut self, old: &Operation, new: &Operation) {
        for (key @ (location, name), old_parameter) in &old.parameters {
            let what = format!("{location} parameter {name}");
            let at = parameter_anchors(name);
            let Some(new_parameter) = new.parameters.get(key) else {
                self.push(Rule::ParameterRemoved, format!("{what} removed"), &at);
                continue;
            };
            match (old_parameter.required, new_parameter.required) {
                (false, true) => {
                    let message = format!("{what} became required");
                    self.push(Rule::ParameterBecameRequired, message, &at);
                }
                (true, false) => {
                    let message = format!("{what} became optional");
                    self.push(Rule::ParameterBecameOptional, message, &at);
                }
                _ => {}
            }
            let subject = Subject::Parameter;
            self.type_change(subject, &what, &at, &old_parameter.ty, &new_parameter.ty);
            let (old_values, new_values) = (&old_parameter.values, &new_parameter.values);
            self.values(subject, &what, &at, old_values, new_values, "");
            self.example(
                &format!("{what} example"),
                &at,
                old_parameter.example.as_ref(),
                new_parameter.example.as_ref(),
            );
        }
        for (key @ (location, name), parameter) in &new.parameters {
            if old.parameters.contains_key(key) {
                continue;
            }
            let what = format!("{location} parameter {name}");
            let at = parameter_anchors(name);
            if parameter.required {
                let message = format!("{what} added (required, {})", parameter.ty);
                self.push(Rule::RequiredParameterAdded, message, &at);
            } else {
                let message = format!("{what} added (optional, {})", parameter.ty);
                self.push(Rule::ParameterAdded, message, &at);
            }
        }
        for (status, old_response) in &old.responses {
            match new.responses.get(status) {
                None => {
                    let message = format!("response {status} removed");
                    self.push(Rule::ResponseRemoved, message, &response_anchors(status));
                }
                Some(new_response) => self.response(status, old_response, new_response),
            }
        }
        for status in new.responses.keys() {
            if !old.responses.contains_key(status) {
                let message = format!("response {status} added");
                self.push(Rule::ResponseAdded, message, &response_anchors(status));
            }
        }
    }

    fn response(&mut self, status: &str, old: &Response, new: &Response) {
        let name = |path: &str| match path {
            "" => format!("response {status} body"),
            _ => format!("response {status} property {path}"),
        };
        // Below the operation for inline schemas; from the document's root, through the
        // `$ref` target, otherwise.
        let anchors = |path: &str| match new.property(path).and_then(|p| p.pointer.as_ref()) {
            Some(pointer) => pointer_anchors(pointer),
            None => {
                let mut anchors = response_anchors(status);
                let keys = path.split('.').map(|key| key.trim_end_matches("[]"));
                anchors.extend(
                    keys.filter(|key| !key.is_empty())
                        .map(|key| Anchor::Key(key.to_owned())),
                );
                anchors
            }
        };
        // Each property recorded in OLD, then each recorded only in NEW (a schema OLD
        // shares and NEW spells out again): found in the other through shared schemas.
        let mut compared = HashSet::new();
        for (path, old_property) in &old.properties {
            let what = name(path);
            let at = anchors(path);
            let Some(new_property) = new.property(path) else {
                let parent_kept = (old_property.parent.as_ref())
                    .is_none_or(|parent| new.property(parent).is_some());
                if parent_kept {
                    // Gone from NEW: point at the parent that is still there.
                    let at = old_property.parent.as_deref().map_or(at, anchors);
                    self.push(Rule::PropertyRemoved, format!("{what} removed"), &at);
                }
                continue;
            };
            self.property(&what, &at, (old_property, new_property), &mut compared);
        }
        for (path, new_property) in &new.properties {
            if old.properties.contains_key(path) {
                continue;
            }
            match old.property(path) {
                Some(old_property) => {
                    let pair = (old_property, new_property);
                    self.property(&name(path), &anchors(path), pair, &mut compared);
                }
                None => {
                    let parent_existed = (new_property.parent.as_ref())
                        .is_none_or(|parent| old.property(parent).is_some());
                    if parent_existed {
                        let message = format!("{} added ({})", name(path), new_property.ty);
                        self.push(Rule::PropertyAdded, message, &anchors(path));
                    }
                }
            }
        }
        let names: BTreeSet<&String> = old.examples.keys().chain(new.examples.keys()).collect();
        for example in names {
            let mut at = response_anchors(status);
            at.extend(example.split('.').map(|key| Anchor::Key(key.to_owned())));
            self.example(
                &format!("response {status} {example}"),
                &at,
                old.examples.get(example),
                new.examples.get(example),
            );
        }
    }

    /// Compares one property found in both versions. A pair of schemas reached through
    /// `$ref`s that was `compared` at another use has its own facts (type, documented
    /// values, example) compared once, so a large schema used many times is compared once.
    fn property<'p>(
        &mut self,
        what: &str,
        at: &[Anchor],
        (old, new): (&'p Property, &'p Property),
        compared: &mut HashSet<(&'p str, &'p str)>,
    ) {
        let first_use = match (old.target.as_deref(), new.target.as_deref()) {
            (Some(old_target), Some(new_target)) => compared.insert((old_target, new_target)),
            _ => true,
        };
        if first_use {
            self.own_facts(what, at, old, new);
        }
        match (old.required, new.required) {
            (true, false) => {
                let message = format!("{what} became optional");
                self.push(Rule::PropertyBecameOptional, message, at);
            }
            (false, true) => {
                let message = format!("{what} became required");
                self.push(Rule::PropertyBecameRequired, message, at);
            }
            _ => {}
        }
    }

    /// Compares what a property's schema says of itself: type, documented values, example.
    fn own_facts(&mut self, what: &str, at: &[Anchor], old: &Property, new: &Property) {
        let subject = Subject::Property;
        self.type_change(subject, what, at, &old.ty, &new.ty);
        self.values(
            subject,
            what,
            at,
            &old.values,
            &new.values,
            NEW_RESPONSE_VALUE_NOTE,
        );
        self.example(
            &format!("{what} example"),
            at,
            old.example.as_deref(),
            new.example.as_deref(),
        );
    }

    fn type_change(&mut self, subject: Subject, what: &str, at: &[Anchor], old: &str, new: &str) {
        if old != new {
            let message = format!("{what} type changed from {old} to {new}");
            self.push(subject.type_changed(), message, at);
        }
    }

    /// Compares documented values; `added_note` ends the line of a newly documented value.
    fn values(
        &mut self,
        subject: Subject,
        what: &str,
        at: &[Anchor],
        old: &BTreeMap<i64, String>,
        new: &BTreeMap<i64, String>,
        added_note: &str,
    ) {
        for (number, old_label) in old {
            match new.get(number) {
                None => {
                    let message = format!("{what} value {number}={old_label} removed");
                    self.push(subject.value_removed(), message, at);
                }
                Some(new_label) if new_label != old_label => {
                    let message = format!(
                        "{what} value {number} label changed from {old_label} to {new_label}"
                    );
                    self.push(subject.value_label_changed(), message, at);
                }
                Some(_) => {}
            }
        }
        for (number, label) in new {
            if !old.contains_key(number) {
                let message = format!("{what} value {number}={label} added{added_note}");
                self.push(subject.value_added(), message, at);
            }
        }
    }

    fn example(&mut self, what: &str, at: &[Anchor], old: Option<&Value>, new: Option<&Value>) {
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
                self.push(
                    Rule::ExampleChanged,
                    format!("{what} changed at {shown}"),
                    at,
                );
            }
            (None, Some(_)) => self.push(Rule::ExampleAdded, format!("{what} added"), at),
            (Some(_), None) => self.push(Rule::ExampleRemoved, format!("{what} removed"), at),
            _ => {}
        }
    }
}

/// The keys of a JSON pointer, from the document's root.
fn pointer_anchors(pointer: &str) -> Vec<Anchor> {
    let keys = pointer.split('/').skip(1);
    let keys = keys.map(|key| Anchor::Key(key.replace("~1", "/").replace("~0", "~")));
    std::iter::once(Anchor::Root).chain(keys).collect()
}

/// The keys from an operation to one of its parameters.
fn parameter_anchors(name: &str) -> Vec<Anchor> {
    vec![
        Anchor::Key("parameters".to_owned()),
        Anchor::Name(name.to_owned()),
    ]
}

/// The keys from an operation to one of its responses.
fn response_anchors(status: &str) -> Vec<Anchor> {
    vec![
        Anchor::Key("responses".to_owned()),
        Anchor::Key(status.to_owned()),
    ]
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
