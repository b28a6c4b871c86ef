//! Cuts the operations this workspace wraps (`keyapi_tiktok_spec::WRAPPED`), and every
//! component they reference, out of upstream's full document.
//!
//! An endpoint is found at its method and path; failing that, by the `operationId` it has
//! in the vendored document, so that a renamed path is followed (and reported) rather than
//! taken for a removal. Every security scheme is kept too (how the API authenticates is
//! no one operation's). Everything else upstream documents is listed as "not wrapped".

use std::collections::{BTreeMap, BTreeSet};

use keyapi_tiktok_spec::{Endpoint, WRAPPED, resolve};
use serde_json::{Map, Value};

use crate::spec_diff::METHODS;

/// The top-level keys that are not copied as they are: rebuilt (`paths`, `components`) or
/// about operations we do not wrap (`webhooks`).
const REBUILT: [&str; 3] = ["paths", "components", "webhooks"];

/// What upstream's document holds for this workspace.
pub(super) struct Extracted {
    /// The document to vendor: upstream's top level, the wrapped operations, and the
    /// components they reference.
    pub(super) document: Value,
    /// Upstream's other operations, `METHOD /path`, sorted.
    pub(super) not_wrapped: Vec<String>,
    /// Wrapped endpoints found under another method or path by their `operationId`.
    pub(super) moved: Vec<Moved>,
    /// Wrapped endpoints upstream no longer documents, `METHOD /path`.
    pub(super) missing: Vec<String>,
}

/// A wrapped endpoint upstream now documents under another method or path.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Moved {
    /// Where the workspace expects it (`keyapi_tiktok_spec::WRAPPED`).
    pub(super) from: Endpoint,
    /// The `operationId` that found it.
    pub(super) operation_id: String,
    /// Its method, lower case as the document writes it, and path upstream.
    pub(super) method: String,
    pub(super) path: String,
}

impl Moved {
    /// `GET /old → GET /new (operationId x)`, for reports.
    pub(super) fn describe(&self) -> String {
        format!(
            "{} → {} {} (found by operationId {})",
            self.from.subject(),
            self.method.to_ascii_uppercase(),
            self.path,
            self.operation_id
        )
    }
}

/// Keeps what `WRAPPED` names of `upstream`; `vendored` (the current vendored document)
/// supplies the `operationId`s that follow a moved endpoint.
pub(super) fn extract(upstream: &Value, vendored: &Value) -> Extracted {
    let mut kept: BTreeSet<(String, String)> = BTreeSet::new();
    let mut moved = Vec::new();
    let mut missing = Vec::new();
    for endpoint in WRAPPED {
        let method = endpoint.method.to_ascii_lowercase();
        if endpoint.operation(upstream).is_some() {
            kept.insert((endpoint.path.to_owned(), method));
            continue;
        }
        let found = vendored_ids(endpoint, vendored).into_iter().find_map(|id| {
            operations(upstream)
                .find(|(_, _, operation)| {
                    operation.get("operationId").and_then(Value::as_str) == Some(id)
                })
                .map(|(path, method, _)| (path.to_owned(), method.to_owned(), id.to_owned()))
        });
        match found {
            Some((path, method, operation_id)) => {
                kept.insert((path.clone(), method.clone()));
                moved.push(Moved {
                    from: *endpoint,
                    operation_id,
                    method,
                    path,
                });
            }
            None => missing.push(endpoint.subject()),
        }
    }
    let not_wrapped = operations(upstream)
        .filter(|(path, method, _)| !kept.contains(&((*path).to_owned(), (*method).to_owned())))
        .map(|(path, method, _)| format!("{} {path}", method.to_ascii_uppercase()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Extracted {
        document: cut(upstream, &kept),
        not_wrapped,
        moved,
        missing,
    }
}

/// The `operationId`s `endpoint` may have in the vendored document: the one at its path,
/// or, when an earlier update followed a move that `WRAPPED` does not name yet, those of
/// the vendored operations of its method at no wrapped path.
fn vendored_ids<'a>(endpoint: &Endpoint, vendored: &'a Value) -> Vec<&'a str> {
    let id = |operation: &'a Value| operation.get("operationId").and_then(Value::as_str);
    if let Some(operation) = endpoint.operation(vendored) {
        return id(operation).into_iter().collect();
    }
    let method = endpoint.method.to_ascii_lowercase();
    operations(vendored)
        .filter(|(path, operation_method, _)| {
            *operation_method == method && !WRAPPED.iter().any(|wrapped| wrapped.path == *path)
        })
        .filter_map(|(_, _, operation)| id(operation))
        .collect()
}

/// Every operation in `document`: path, method, operation object.
fn operations(document: &Value) -> impl Iterator<Item = (&str, &'static str, &Value)> {
    document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(move |(path, item)| {
            let item = resolve(document, item);
            METHODS.into_iter().filter_map(move |method| {
                let operation = item.get(method).filter(|operation| operation.is_object())?;
                Some((path.as_str(), method, operation))
            })
        })
}

/// `upstream` with only the `kept` operations (path, method) and what they reference.
fn cut(upstream: &Value, kept: &BTreeSet<(String, String)>) -> Value {
    let mut document: Map<String, Value> = upstream
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| !REBUILT.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let mut paths = Map::new();
    for (path, method) in kept {
        let Some(item) = upstream.get("paths").and_then(|paths| paths.get(path)) else {
            continue;
        };
        let item = resolve(upstream, item);
        let entry = paths
            .entry(path.clone())
            .or_insert_with(|| Value::Object(path_item_without_operations(item)));
        if let (Some(entry), Some(operation)) = (entry.as_object_mut(), item.get(method)) {
            entry.insert(method.clone(), operation.clone());
        }
    }
    let components = referenced_components(upstream, &paths);
    document.insert("paths".to_owned(), Value::Object(paths));
    if !components.is_empty() {
        document.insert("components".to_owned(), Value::Object(components));
    }
    Value::Object(document)
}

/// A path item's shared parts (parameters, summary, servers, extensions), no operations.
fn path_item_without_operations(item: &Value) -> Map<String, Value> {
    item.as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| !METHODS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The components of `upstream` that `paths` reference, directly or through other
/// components, and every security scheme.
fn referenced_components(upstream: &Value, paths: &Map<String, Value>) -> Map<String, Value> {
    let mut found: BTreeMap<(String, String), Value> = BTreeMap::new();
    let mut pending = Vec::new();
    for item in paths.values() {
        collect_refs(item, &mut pending);
    }
    while let Some(reference) = pending.pop() {
        let Some((kind, name)) = component_of(&reference) else {
            continue;
        };
        if found.contains_key(&(kind.clone(), name.clone())) {
            continue;
        }
        let Some(component) = upstream
            .get("components")
            .and_then(|components| components.get(&kind))
            .and_then(|components| components.get(&name))
        else {
            // A dangling reference stays dangling; the typed check after patching names it.
            continue;
        };
        collect_refs(component, &mut pending);
        found.insert((kind, name), component.clone());
    }
    // Every security scheme: how the API authenticates is not any one operation's.
    for (name, scheme) in upstream
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        found.insert(("securitySchemes".to_owned(), name.clone()), scheme.clone());
    }
    let mut components = Map::new();
    for ((kind, name), component) in found {
        if let Some(of_kind) = components
            .entry(kind)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
        {
            of_kind.insert(name, component);
        }
    }
    components
}

/// Every `$ref` string below `value`.
fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(reference)) => refs.push(reference.clone()),
                    _ => collect_refs(child, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

/// `#/components/schemas/A~1B/properties/x` → (`schemas`, `A/B`): the whole component a
/// local reference points into.
fn component_of(reference: &str) -> Option<(String, String)> {
    let mut segments = reference.strip_prefix("#/components/")?.split('/');
    let kind = segments.next()?;
    let name = segments.next()?;
    let unescape = |segment: &str| segment.replace("~1", "/").replace("~0", "~");
    Some((unescape(kind), unescape(name)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn component_names_are_unescaped_and_cut_at_the_component() {
        assert_eq!(
            component_of("#/components/schemas/A~1B/properties/x"),
            Some(("schemas".to_owned(), "A/B".to_owned()))
        );
        assert_eq!(component_of("#/paths/x"), None);
        assert_eq!(component_of("other.yaml#/components/schemas/A"), None);
    }

    #[test]
    fn references_are_followed_through_components_and_cycles_end() {
        let path = keyapi_tiktok_spec::VIDEO_RANKING.path;
        let upstream = json!({
            "openapi": "3.0.1",
            "security": [{ "key": [] }],
            "paths": {
                path: { "get": { "responses": { "200": { "$ref": "#/components/responses/Ok" } } } },
                "/other": { "get": { "responses": { "200": { "$ref": "#/components/responses/Other" } } } },
            },
            "components": {
                "responses": {
                    "Ok": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Node" } } } },
                    "Other": { "description": "not ours" },
                },
                "schemas": {
                    "Node": { "properties": { "next": { "$ref": "#/components/schemas/Node" } } },
                    "Unused": {},
                },
                "securitySchemes": { "key": { "type": "apiKey" }, "other": {} },
            },
        });
        let extracted = extract(&upstream, &json!({}));
        assert_eq!(extracted.not_wrapped, ["GET /other"]);
        assert!(extracted.moved.is_empty() && extracted.missing.is_empty());
        let components = &extracted.document["components"];
        let names =
            |kind: &str| -> Vec<&String> { components[kind].as_object().unwrap().keys().collect() };
        assert_eq!(names("responses"), ["Ok"]);
        assert_eq!(names("schemas"), ["Node"]);
        assert_eq!(names("securitySchemes"), ["key", "other"]);
        assert_eq!(extracted.document["security"], upstream["security"]);
    }
}
