//! `cargo xtask spec-diff OLD NEW`: what changed between two versions of the OpenAPI
//! document, for the scheduled job that compares a fresh upstream copy with
//! `spec/upstream.openapi.yaml`.
//!
//! Both files may be YAML or JSON (the docs site serves JSON, the vendored copy is YAML).
//! Paths are taken as given, relative to the current directory. The report has one line
//! per change, breaking ones first, then `N breaking, M additive` (or `no differences`).
//! Exit status: 0 when nothing is breaking, 1 when something is, 2 when a file cannot be
//! read or is not an OpenAPI document.
//!
//! Each change is classified from the point of view of a client built on OLD:
//!
//! - operation (method + path): added additive, removed BREAKING.
//! - parameter, keyed by (name, in): added optional additive, added required BREAKING,
//!   removed BREAKING, optional→required BREAKING, required→optional additive, schema type
//!   changed BREAKING.
//! - documented values (`1=日榜，2=周榜` in descriptions, `0 (no sales), 1 (video sales)`
//!   in titles), of parameters and response properties alike: added additive, removed
//!   BREAKING, label changed BREAKING. A value added to a response property is flagged in
//!   its line: the client types these fields as plain integers, so decoding still works,
//!   but code that matches every documented value needs a new arm. A value removed from a
//!   response property is breaking rather than harmless because upstream dropping a
//!   documented meaning usually means the field's meaning changed; a human should look.
//! - response status: added additive, removed BREAKING.
//! - response property (the `application/json` schema of every response, `$ref`s resolved,
//!   named by path like `data[].video_id`; the body itself is `body`): added additive,
//!   removed BREAKING (a rename is both), required→optional BREAKING (an old client may
//!   fail on the absent field), optional→required additive (an old client already copes
//!   with absence). Type, format and `nullable` are compared as one: any change is
//!   BREAKING, in either direction, because widening and narrowing cannot be told apart in
//!   general and the generated Rust type changes either way.
//! - examples (media-type `example`/`examples`, schema and parameter `example`): additive
//!   "example changed" lines, naming where they differ, for snapshot drift.
//!
//! Not compared: prose other than documented values, request bodies, headers, security,
//! servers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use crate::spec;

/// The HTTP methods an OpenAPI path item can hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// How many differing locations an "example changed" line names before counting the rest.
const EXAMPLE_PATHS_SHOWN: usize = 3;

/// Appended to a value newly documented on a response property.
const NEW_RESPONSE_VALUE_NOTE: &str = "; code matching every documented value needs a new arm";

/// Whether a client built on the old document can fail against the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    /// It can.
    Breaking,
    /// It cannot; also used for informational lines such as example drift.
    Additive,
}

/// One line of the report. The field order is the sort order: breaking changes first.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Change {
    severity: Severity,
    /// The operation concerned, `GET /path`.
    subject: String,
    message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Breaking => "BREAKING",
            Severity::Additive => "additive",
        };
        write!(f, "{severity}  {}: {}", self.subject, self.message)
    }
}

/// Runs the task with the exit status documented above.
pub(crate) fn main(old: &Path, new: &Path) -> ExitCode {
    ExitCode::from(exit_status(old, new))
}

/// 0 compatible, 1 breaking, 2 unusable input (after printing why).
fn exit_status(old: &Path, new: &Path) -> u8 {
    match run(old, new) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(error) => {
            eprintln!("error: {error:#}");
            2
        }
    }
}

/// Prints the report; `Ok(false)` means at least one change is breaking.
fn run(old: &Path, new: &Path) -> Result<bool> {
    let changes = diff(&load(old)?, &load(new)?);
    print!("{}", render(&changes));
    Ok(changes
        .iter()
        .all(|change| change.severity != Severity::Breaking))
}

/// Reads one version of the document; every failure starts with the path.
fn load(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).map_err(|error| anyhow!("{}: {error}", path.display()))?;
    parse(&text).map_err(|error| anyhow!("{}: {error:#}", path.display()))
}

/// Parses YAML or JSON and checks that it is an OpenAPI document.
fn parse(text: &str) -> Result<Value> {
    let document = spec::parse_document(text).context("not YAML or JSON")?;
    // The typed model only validates (a downloaded error page parses as YAML too); the diff
    // walks the JSON, where a schema is one kind of value instead of many typed variants.
    serde_json::from_value::<openapiv3::OpenAPI>(document.clone())
        .context("not an OpenAPI 3.0 document")?;
    Ok(document)
}

/// The report: one line per change, then the counts.
fn render(changes: &[Change]) -> String {
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

/// Every change from `old` to `new`, sorted.
fn diff(old: &Value, new: &Value) -> Vec<Change> {
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

/// What a client can observe of one operation.
struct Operation {
    /// By (location, name), e.g. (`query`, `page_size`).
    parameters: BTreeMap<(String, String), Parameter>,
    /// By status code as written (`200`, `default`).
    responses: BTreeMap<String, Response>,
}

/// One parameter, reduced to what the comparison looks at.
struct Parameter {
    required: bool,
    ty: String,
    values: BTreeMap<i64, String>,
    example: Option<Value>,
}

/// One response, reduced to what the comparison looks at.
struct Response {
    /// The JSON body's properties by path; the body itself is `""`. Empty without a JSON
    /// schema.
    properties: BTreeMap<String, Property>,
    /// The JSON media type's `example` and `examples` entries, by name (`example`,
    /// `examples.ok`).
    examples: BTreeMap<String, Value>,
}

/// One property of a response body (or the body itself).
struct Property {
    /// The enclosing property's path, so children of an added or removed property are not
    /// reported again.
    parent: Option<String>,
    ty: String,
    required: bool,
    values: BTreeMap<i64, String>,
    example: Option<Value>,
}

/// Every operation in the document, by `METHOD /path`.
fn operations(document: &Value) -> BTreeMap<String, Operation> {
    let mut operations = BTreeMap::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return operations;
    };
    for (path, item) in paths {
        let item = resolve(document, item);
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                let subject = format!("{} {path}", method.to_ascii_uppercase());
                operations.insert(subject, summarise_operation(document, item, operation));
            }
        }
    }
    operations
}

/// One operation's parameters (path-level ones included) and responses.
fn summarise_operation(document: &Value, item: &Value, operation: &Value) -> Operation {
    let mut parameters = BTreeMap::new();
    // Path-level parameters first, so that the operation's own replace them, as OpenAPI says.
    let lists = [item.get("parameters"), operation.get("parameters")];
    for parameter in lists
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
    {
        let parameter = resolve(document, parameter);
        let (Some(name), Some(location)) = (
            parameter.get("name").and_then(Value::as_str),
            parameter.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        let schema = parameter
            .get("schema")
            .map(|schema| resolve(document, schema));
        let text = prose(&[
            parameter.get("description"),
            schema.and_then(|schema| schema.get("description")),
        ]);
        let summary = Parameter {
            required: parameter
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ty: schema.map_or_else(|| "any".to_owned(), type_name),
            values: documented_values(&text),
            example: parameter
                .get("example")
                .or_else(|| schema.and_then(|schema| schema.get("example")))
                .cloned(),
        };
        parameters.insert((location.to_owned(), name.to_owned()), summary);
    }
    let mut responses = BTreeMap::new();
    if let Some(declared) = operation.get("responses").and_then(Value::as_object) {
        for (status, response) in declared {
            let response = summarise_response(document, resolve(document, response));
            responses.insert(status.clone(), response);
        }
    }
    Operation {
        parameters,
        responses,
    }
}

/// One response's JSON body properties and examples.
fn summarise_response(document: &Value, response: &Value) -> Response {
    let mut walk = Walk {
        document,
        properties: BTreeMap::new(),
        refs: Vec::new(),
    };
    let mut examples = BTreeMap::new();
    let media = response
        .get("content")
        .and_then(Value::as_object)
        .and_then(|content| content.iter().find(|(media_type, _)| is_json(media_type)))
        .map(|(_, media)| media);
    if let Some(media) = media {
        if let Some(example) = media.get("example") {
            examples.insert("example".to_owned(), example.clone());
        }
        for (name, example) in media
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            examples.insert(
                format!("examples.{name}"),
                resolve(document, example).clone(),
            );
        }
        if let Some(schema) = media.get("schema") {
            walk.schema(schema, String::new(), None, true);
        }
    }
    Response {
        properties: walk.properties,
        examples,
    }
}

/// `application/json`, with or without parameters such as `charset`.
fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Collects a response schema's properties by path, following `$ref`s.
struct Walk<'a> {
    document: &'a Value,
    properties: BTreeMap<String, Property>,
    /// The references being walked, so a recursive schema is recorded once, not forever.
    refs: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    fn schema(&mut self, schema: &'a Value, path: String, parent: Option<String>, required: bool) {
        let reference = schema.get("$ref").and_then(Value::as_str);
        let resolved = resolve(self.document, schema);
        let property = Property {
            parent,
            ty: type_name(resolved),
            required,
            values: documented_values(&prose(&[
                resolved.get("title"),
                resolved.get("description"),
            ])),
            example: resolved.get("example").cloned(),
        };
        self.properties.insert(path.clone(), property);
        if let Some(reference) = reference {
            if self.refs.contains(&reference) {
                return;
            }
            self.refs.push(reference);
        }
        if let Some(properties) = resolved.get("properties").and_then(Value::as_object) {
            let required: BTreeSet<&str> = resolved
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, child) in properties {
                let child_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let is_required = required.contains(name.as_str());
                self.schema(child, child_path, Some(path.clone()), is_required);
            }
        }
        if let Some(items) = resolved.get("items") {
            self.schema(items, format!("{path}[]"), Some(path.clone()), true);
        }
        if reference.is_some() {
            self.refs.pop();
        }
    }
}

/// Follows local `$ref`s (`#/components/...`); anything else, or a dangling reference, is
/// returned as is.
fn resolve<'a>(document: &'a Value, mut value: &'a Value) -> &'a Value {
    // Bounded, so that references that refer to each other cannot loop forever.
    for _ in 0..32 {
        let target = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| document.pointer(pointer));
        match target {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

/// A schema's type as one comparable string: `integer`, `string (date)`, `nullable string`.
fn type_name(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return format!("unresolved {reference}");
    }
    let mut name = match schema.get("type") {
        Some(Value::String(ty)) => ty.clone(),
        // OpenAPI 3.1 writes `type: [integer, "null"]`.
        Some(Value::Array(types)) => {
            let types: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
            types.join("|")
        }
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ if schema.get("items").is_some() => "array".to_owned(),
        _ => ["allOf", "oneOf", "anyOf"]
            .into_iter()
            .find(|keyword| schema.get(keyword).is_some())
            .unwrap_or("any")
            .to_owned(),
    };
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        name = format!("{name} ({format})");
    }
    if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        name = format!("nullable {name}");
    }
    name
}

/// The string fields among `fields`, one per line.
fn prose(fields: &[Option<&Value>]) -> String {
    let texts: Vec<&str> = fields
        .iter()
        .flatten()
        .filter_map(|field| field.as_str())
        .collect();
    texts.join("\n")
}

/// Values documented in prose, number to label: `1=日榜，2=周榜。` (parameter descriptions)
/// and `0 (no sales), 1 (video sales)` (response titles).
fn documented_values(text: &str) -> BTreeMap<i64, String> {
    let mut values = BTreeMap::new();
    let separators = ['，', ',', ';', '；', '。', '、'];
    for token in text.split(|c: char| separators.contains(&c) || c.is_whitespace()) {
        let Some((before, label)) = token.split_once('=') else {
            continue;
        };
        let label = label.trim_end_matches('.');
        if let (Some(number), false) = (trailing_number(before), label.is_empty()) {
            values.insert(number, label.to_owned());
        }
    }
    for (open, paren) in text.match_indices(['(', '（']) {
        let Some(number) = trailing_number(text[..open].trim_end()) else {
            continue;
        };
        let after = &text[open + paren.len()..];
        let Some(close) = after.find([')', '）']) else {
            continue;
        };
        let label = after[..close].trim();
        if !label.is_empty() {
            values.insert(number, label.to_owned());
        }
    }
    values
}

/// The integer `text` ends with, when it stands apart from a preceding word: `字段1` and
/// `: 2` give a number, `v2` and `1.2` do not.
fn trailing_number(text: &str) -> Option<i64> {
    let digits = text.len() - text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let mut start = text.len() - digits;
    if text[..start].ends_with('-') {
        start -= 1;
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    if text[..start].chars().next_back().is_some_and(word) {
        return None;
    }
    text[start..].parse().ok()
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
fn changed_paths(old: &Value, new: &Value, at: &str, paths: &mut Vec<String>) {
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::project_root;

    const OPERATION: &str = "GET /v1/tiktok/video/ranking/analytics";

    fn fixture(name: &str) -> PathBuf {
        project_root()
            .join("xtask/tests/fixtures/spec-diff")
            .join(name)
    }

    fn upstream_text() -> String {
        std::fs::read_to_string(project_root().join(spec::UPSTREAM)).unwrap()
    }

    /// The vendored document with `from` (which must occur exactly once) replaced by `to`.
    fn mutated(from: &str, to: &str) -> Value {
        let text = upstream_text();
        assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
        parse(&text.replacen(from, to, 1)).unwrap()
    }

    /// The report lines from the vendored document to its mutation, without the summary.
    fn upstream_to(from: &str, to: &str) -> Vec<String> {
        let old = parse(&upstream_text()).unwrap();
        diff(&old, &mutated(from, to))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The last property of a ranked item in the vendored document.
    const CREATED_BY_AI_PROPERTY: &str =
        "                        created_by_ai:\n                          type: string\n";

    fn breaking(message: &str) -> String {
        format!("BREAKING  {OPERATION}: {message}")
    }

    fn additive(message: &str) -> String {
        format!("additive  {OPERATION}: {message}")
    }

    #[test]
    fn identical_documents_have_no_differences() {
        let document = parse(&upstream_text()).unwrap();
        let changes = diff(&document, &document);
        assert_eq!(render(&changes), "no differences\n");
    }

    #[test]
    fn json_and_yaml_of_the_same_document_do_not_differ() {
        let yaml = parse(&upstream_text()).unwrap();
        let json = parse(&serde_json::to_string_pretty(&yaml).unwrap()).unwrap();
        assert_eq!(diff(&yaml, &json), []);
        let yaml = load(&fixture("base.yaml")).unwrap();
        let json = load(&fixture("base.json")).unwrap();
        assert_eq!(diff(&yaml, &json), []);
    }

    #[test]
    fn renaming_a_response_property_is_a_removal_and_an_addition() {
        let lines = upstream_to(
            "                        video_id:\n                          type: string\n",
            "                        id:\n                          type: string\n",
        );
        assert_eq!(
            lines,
            [
                breaking("response 200 property data[].video_id removed"),
                additive("response 200 property data[].id added (string)"),
            ]
        );
    }

    #[test]
    fn adding_a_required_parameter_is_breaking() {
        let lines = upstream_to(
            "        - name: page_num\n",
            concat!(
                "        - name: seller_id\n",
                "          in: query\n",
                "          required: true\n",
                "          schema:\n",
                "            type: string\n",
                "        - name: page_num\n",
            ),
        );
        assert_eq!(
            lines,
            [breaking(
                "query parameter seller_id added (required, string)"
            )]
        );
    }

    #[test]
    fn adding_an_optional_parameter_is_additive() {
        let lines = upstream_to(
            "        - name: page_num\n",
            concat!(
                "        - name: seller_id\n",
                "          in: query\n",
                "          required: false\n",
                "          schema:\n",
                "            type: string\n",
                "        - name: page_num\n",
            ),
        );
        assert_eq!(
            lines,
            [additive(
                "query parameter seller_id added (optional, string)"
            )]
        );
    }

    #[test]
    fn adding_a_rank_field_value_is_additive() {
        let lines = upstream_to(
            "2=total_video_sale_cnt。",
            "2=total_video_sale_cnt，3=total_digg_cnt。",
        );
        assert_eq!(
            lines,
            [additive(
                "query parameter video_rank_field value 3=total_digg_cnt added"
            )]
        );
    }

    #[test]
    fn adding_a_period_value_is_additive() {
        let lines = upstream_to("3=月榜。", "3=月榜，4=年榜。");
        assert_eq!(
            lines,
            [additive("query parameter rank_type value 4=年榜 added")]
        );
    }

    #[test]
    fn removing_or_relabelling_a_documented_value_is_breaking() {
        let lines = upstream_to("1=日榜，2=周榜，3=月榜。", "1=日榜，2=双周榜。");
        assert_eq!(
            lines,
            [
                breaking("query parameter rank_type value 2 label changed from 周榜 to 双周榜"),
                breaking("query parameter rank_type value 3=月榜 removed"),
            ]
        );
    }

    #[test]
    fn a_value_added_to_a_response_title_is_additive_but_flagged() {
        let lines = upstream_to(
            "2\n                            (live streaming sales)",
            "2\n                            (live streaming sales), 3 (bundle sales)",
        );
        assert_eq!(
            lines,
            [additive(&format!(
                "response 200 property data[].sales_flag value 3=bundle sales added{NEW_RESPONSE_VALUE_NOTE}"
            ))]
        );
    }

    #[test]
    fn changing_a_property_type_is_breaking() {
        let lines = upstream_to(
            concat!(
                "                        duration:\n",
                "                          type: integer\n",
            ),
            concat!(
                "                        duration:\n",
                "                          type: string\n",
            ),
        );
        assert_eq!(
            lines,
            [breaking(
                "response 200 property data[].duration type changed from integer to string"
            )]
        );
    }

    #[test]
    fn dropping_nullable_is_a_breaking_type_change() {
        let nullable = mutated(
            "                  data:\n                    type: array\n",
            concat!(
                "                  data:\n",
                "                    type: array\n",
                "                    nullable: true\n",
            ),
        );
        let upstream = parse(&upstream_text()).unwrap();
        let lines: Vec<String> = diff(&nullable, &upstream)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [breaking(
                "response 200 property data type changed from nullable array to array"
            )]
        );
    }

    #[test]
    fn adding_a_property_is_additive() {
        let lines = upstream_to(
            CREATED_BY_AI_PROPERTY,
            concat!(
                "                        created_by_ai:\n",
                "                          type: string\n",
                "                        total_views_history_cnt:\n",
                "                          type: integer\n",
            ),
        );
        assert_eq!(
            lines,
            [additive(
                "response 200 property data[].total_views_history_cnt added (integer)"
            )]
        );
    }

    #[test]
    fn a_response_property_becoming_optional_is_breaking_and_required_is_not() {
        let lines = upstream_to(
            "                required:\n                  - code\n                  - message\n",
            "                required:\n                  - message\n",
        );
        assert_eq!(
            lines,
            [breaking("response 200 property code became optional")]
        );
        let lines = upstream_to(
            CREATED_BY_AI_PROPERTY,
            concat!(
                "                        created_by_ai:\n",
                "                          type: string\n",
                "                      required:\n",
                "                        - video_id\n",
            ),
        );
        assert_eq!(
            lines,
            [additive(
                "response 200 property data[].video_id became required"
            )]
        );
    }

    #[test]
    fn parameter_requiredness_and_type_changes_are_classified_by_direction() {
        let lines = upstream_to(
            concat!(
                "最大支持 100000。\n",
                "          required: true\n",
                "          schema:\n",
                "            type: integer\n",
            ),
            concat!(
                "最大支持 100000。\n",
                "          required: false\n",
                "          schema:\n",
                "            type: string\n",
            ),
        );
        assert_eq!(
            lines,
            [
                breaking("query parameter page_num type changed from integer to string"),
                additive("query parameter page_num became optional"),
            ]
        );
        let lines = upstream_to(
            "商品类目过滤。\n          required: false\n",
            "商品类目过滤。\n          required: true\n",
        );
        assert_eq!(
            lines,
            [breaking(
                "query parameter product_category_id became required"
            )]
        );
    }

    #[test]
    fn removing_a_parameter_is_breaking() {
        let lines = upstream_to(
            concat!(
                "        - name: page_size\n",
                "          in: query\n",
                "          description: 每页返回数量，最大值为 10。\n",
                "          required: true\n",
                "          schema:\n",
                "            type: integer\n",
            ),
            "",
        );
        assert_eq!(lines, [breaking("query parameter page_size removed")]);
    }

    #[test]
    fn removing_an_error_status_is_breaking_and_adding_one_is_not() {
        let text = upstream_text();
        let start = text.find("        '402':\n").unwrap();
        let end = text.find("        '429':\n").unwrap();
        let block = &text[start..end];
        assert_eq!(upstream_to(block, ""), [breaking("response 402 removed")]);
        let renamed = block.replace("'402'", "'403'");
        assert_eq!(
            upstream_to(block, &format!("{block}{renamed}")),
            [additive("response 403 added")]
        );
    }

    #[test]
    fn changing_an_example_value_is_additive_and_says_where() {
        let lines = upstream_to("total_video_sale_cnt: 5508", "total_video_sale_cnt: 5509");
        assert_eq!(
            lines,
            [additive(
                "response 200 body example changed at data[0].total_video_sale_cnt"
            )]
        );
        let lines = upstream_to("                  message: qps limit exceeded\n", "");
        assert_eq!(
            lines,
            [additive("response 429 body example changed at message")]
        );
    }

    #[test]
    fn many_example_changes_are_counted() {
        let mut paths = Vec::new();
        let old = serde_json::json!({ "a": 1, "b": [1, 2], "c": { "d": 1 }, "e": 1 });
        let new = serde_json::json!({ "a": 2, "b": [1], "c": { "d": 2 }, "f": 1 });
        changed_paths(&old, &new, "", &mut paths);
        assert_eq!(paths, ["a", "b[1]", "c.d", "e", "f"]);
    }

    #[test]
    fn operations_added_and_removed() {
        let lines = upstream_to(
            "  /v1/tiktok/video/ranking/analytics:\n    get:\n",
            "  /v1/tiktok/video/ranking/analytics:\n    post:\n",
        );
        assert_eq!(
            lines,
            [
                breaking("operation removed"),
                "additive  POST /v1/tiktok/video/ranking/analytics: operation added".to_owned(),
            ]
        );
    }

    #[test]
    fn documented_values_accept_full_width_and_ascii_separators() {
        let expected = BTreeMap::from([
            (1, "日榜".to_owned()),
            (2, "周榜".to_owned()),
            (3, "月榜".to_owned()),
        ]);
        for text in [
            "榜单周期，1=日榜，2=周榜，3=月榜。",
            "榜单周期: 1=日榜, 2=周榜; 3=月榜.",
            "榜单周期：1=日榜；2=周榜、3=月榜",
            "榜单周期\n1=日榜\n2=周榜 3=月榜",
        ] {
            assert_eq!(documented_values(text), expected, "{text}");
        }
        assert_eq!(
            documented_values("a_1=x v2=y -1=全部 page=3"),
            BTreeMap::from([(-1, "全部".to_owned())])
        );
    }

    #[test]
    fn documented_values_in_titles() {
        assert_eq!(
            documented_values(
                "Main sales methods: 0 (no sales), 1 (video sales), 2 (live streaming sales)"
            ),
            BTreeMap::from([
                (0, "no sales".to_owned()),
                (1, "video sales".to_owned()),
                (2, "live streaming sales".to_owned()),
            ])
        );
        assert_eq!(
            documented_values("Video sales (estimated)"),
            BTreeMap::new()
        );
        assert_eq!(
            documented_values("v2 (beta), 1.5 (x), 3（全角）"),
            BTreeMap::from([(3, "全角".to_owned())])
        );
    }

    #[test]
    fn the_vendored_document_documents_exactly_the_known_values() {
        let operations = operations(&parse(&upstream_text()).unwrap());
        let operation = &operations[OPERATION];
        let documented: BTreeMap<&str, usize> = (operation.parameters.iter())
            .filter(|(_, parameter)| !parameter.values.is_empty())
            .map(|((_, name), parameter)| (name.as_str(), parameter.values.len()))
            .collect();
        assert_eq!(
            documented,
            BTreeMap::from([("rank_type", 3), ("video_rank_field", 2)])
        );
        let properties = &operation.responses["200"].properties;
        let documented: Vec<&str> = (properties.iter())
            .filter(|(_, property)| !property.values.is_empty())
            .map(|(path, _)| path.as_str())
            .collect();
        assert_eq!(documented, ["data[].sales_flag"]);
        assert_eq!(properties.len(), 1 + 4 + 1 + 22);
    }

    #[test]
    fn references_are_resolved_and_recursive_schemas_terminate() {
        let document = parse(
            "
openapi: 3.0.1
info: { title: t, version: '1' }
paths:
  /tree:
    get:
      parameters: [{ $ref: '#/components/parameters/Depth' }]
      responses:
        '200':
          description: ok
          content:
            application/json; charset=utf-8:
              schema: { $ref: '#/components/schemas/Node' }
components:
  parameters:
    Depth: { name: depth, in: query, required: true, schema: { type: integer } }
  schemas:
    Node:
      type: object
      properties:
        name: { type: string }
        children: { type: array, items: { $ref: '#/components/schemas/Node' } }
",
        )
        .unwrap();
        let operation = &operations(&document)["GET /tree"];
        assert!(operation.parameters[&("query".to_owned(), "depth".to_owned())].required);
        let paths: Vec<&str> = operation.responses["200"]
            .properties
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(paths, ["", "children", "children[]", "name"]);
    }

    #[test]
    fn checked_in_pairs_give_the_expected_reports() {
        for (new, expected) in [
            ("breaking.json", "breaking.expected.txt"),
            ("additive.yaml", "additive.expected.txt"),
        ] {
            let changes = diff(
                &load(&fixture("base.yaml")).unwrap(),
                &load(&fixture(new)).unwrap(),
            );
            let expected = std::fs::read_to_string(fixture(expected)).unwrap();
            assert_eq!(render(&changes), expected, "base.yaml → {new}");
        }
    }

    #[test]
    fn exit_status_is_0_compatible_1_breaking_2_unusable() {
        let base = fixture("base.yaml");
        assert_eq!(exit_status(&base, &fixture("base.json")), 0);
        assert_eq!(exit_status(&base, &fixture("additive.yaml")), 0);
        assert_eq!(exit_status(&base, &fixture("breaking.json")), 1);
        assert_eq!(exit_status(&base, &fixture("missing.json")), 2);
        assert_eq!(exit_status(&fixture("not-openapi.json"), &base), 2);
    }

    #[test]
    fn unusable_files_are_named_with_the_reason() {
        let missing = fixture("missing.json");
        let message = format!("{:#}", run(&missing, &missing).unwrap_err());
        assert!(
            message.starts_with(&format!("{}: ", missing.display())),
            "{message}"
        );
        let not_openapi = fixture("not-openapi.json");
        let message = format!("{:#}", load(&not_openapi).unwrap_err());
        assert!(
            message.starts_with(&format!(
                "{}: not an OpenAPI 3.0 document: ",
                not_openapi.display()
            )),
            "{message}"
        );
        let message = format!("{:#}", parse("openapi: [unclosed").unwrap_err());
        assert!(message.starts_with("not YAML or JSON: "), "{message}");
    }
}
