//! The document code is generated from: the vendored upstream document (read by
//! `keyapi-tiktok-spec`) put in one canonical form, with the declared patches applied.
//!
//! The canonical form (`canonical`) is a generator transformation with a reason: every
//! local `$ref` below `paths` is replaced by what it points to, and `components` keeps
//! only the security schemes and an empty `schemas`. How upstream factors its document
//! (a schema hoisted into components, inlined again, renamed, shared with other
//! operations) then cannot change the generated code, and the only named types are those
//! `spec/patches.yaml` names. A reference the generator could not follow (external,
//! dangling, cyclic, or expanding past a bound) is refused here, naming where it sits,
//! before progenitor (whose type generator panics on one) sees the document.

use std::path::Path;

use anyhow::{Context, Result, bail};
use keyapi_tiktok_spec::UPSTREAM;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::spec_diff::{METHODS, is_json};

/// The changes code generation needs, as data next to the document.
pub(crate) const PATCHES: &str = "spec/patches.yaml";

/// How many JSON values the canonical document may hold once its references are
/// expanded: far above any real document (the vendored one holds about 400), far below
/// what a few hundred references that each point twice at the next would expand to.
const MAX_EXPANDED_VALUES: usize = 1_000_000;

/// How many bytes of text (keys and strings) the expanded document may hold: a large
/// description or example used many times must not expand without bound either.
const MAX_EXPANDED_BYTES: usize = 256 * 1024 * 1024;

/// How deeply the expanded document may nest, as `serde_json` bounds what it parses.
const MAX_DEPTH: usize = 128;

/// One declared change: why it exists, the RFC 6902 operations that make it and, when
/// the change is "for each" (which JSON Patch cannot say), the named transformation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclaredPatch {
    reason: String,
    #[serde(default)]
    ops: Vec<json_patch::PatchOperation>,
    /// The schema (under `components/schemas`) every error response's JSON body uses.
    #[serde(default)]
    error_responses_use: Option<String>,
}

/// Applies the declared patches in order, naming the patch and its reason when one fails.
pub(crate) fn apply_patches(document: &mut Value, patches_yaml: &str) -> Result<()> {
    let patches: Vec<DeclaredPatch> = serde_yaml_ng::from_str(patches_yaml)
        .with_context(|| format!("{PATCHES} is not a list of {{reason, ops}} entries"))?;
    for (index, patch) in patches.iter().enumerate() {
        let number = index + 1;
        if patch.reason.trim().is_empty() {
            bail!("{PATCHES}: patch #{number} has no reason");
        }
        if patch.ops.is_empty() && patch.error_responses_use.is_none() {
            bail!("{PATCHES}: patch #{number} has neither ops nor error_responses_use");
        }
        let applied = json_patch::patch(document, &patch.ops)
            .map_err(|error| {
                let error = anyhow::Error::new(error);
                match missing_path(document, &patch.ops) {
                    Some(missing) => error.context(missing),
                    None => error,
                }
            })
            .and_then(|()| match &patch.error_responses_use {
                Some(schema) => error_responses_use(document, schema),
                None => Ok(()),
            });
        applied.with_context(|| {
            format!(
                "{PATCHES}: patch #{number} no longer applies to {UPSTREAM} (reason: {})",
                patch.reason
            )
        })?;
    }
    Ok(())
}

/// When `ops` point into a path the document does not have (a path renamed by hand):
/// that path and the paths the document has.
fn missing_path(document: &Value, ops: &[json_patch::PatchOperation]) -> Option<String> {
    use json_patch::PatchOperation;
    let paths = document.get("paths").and_then(Value::as_object)?;
    let pointers = ops.iter().flat_map(|op| match op {
        PatchOperation::Move(op) => vec![op.from.to_string(), op.path.to_string()],
        PatchOperation::Copy(op) => vec![op.from.to_string(), op.path.to_string()],
        op => vec![op.path().to_string()],
    });
    let missing = pointers
        .filter_map(|pointer| {
            let segment = pointer
                .strip_prefix("/paths/")?
                .split('/')
                .next()?
                .to_owned();
            Some(segment.replace("~1", "/").replace("~0", "~"))
        })
        .find(|path| !paths.contains_key(path))?;
    let present: Vec<&str> = paths.keys().map(String::as_str).collect();
    Some(format!(
        "{UPSTREAM} has no path {missing} (it has: {}); a path renamed upstream is followed \
         by its operationId by `cargo xtask update-spec`; after a hand edit, point \
         {PATCHES} at the new path",
        if present.is_empty() {
            "none".to_owned()
        } else {
            present.join(", ")
        }
    ))
}

/// The named transformation JSON Patch cannot express ("for each"): the JSON body of
/// every error response (status 4xx or 5xx) of every operation becomes a `$ref` to
/// `components/schemas/{schema}`, its `example` kept on the media type. Whatever
/// statuses upstream documents, the intent holds; it no longer makes sense, and fails,
/// when no operation documents an error body, or when upstream documents one of its own
/// (a property the envelope does not have, or not an object).
fn error_responses_use(document: &mut Value, schema: &str) -> Result<()> {
    let Some(envelope) = document
        .pointer(&format!("/components/schemas/{}", escape(schema)))
        .and_then(Value::as_object)
    else {
        bail!("error_responses_use: components/schemas/{schema} does not exist");
    };
    let known: Vec<String> = envelope
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, _)| name.clone())
        .collect();
    let reference = Value::String(format!("#/components/schemas/{}", escape(schema)));
    let mut pointed = 0;
    let paths = document
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flatten();
    for (path, item) in paths {
        for method in METHODS {
            let responses = item
                .get_mut(method)
                .and_then(|operation| operation.get_mut("responses"))
                .and_then(Value::as_object_mut)
                .into_iter()
                .flatten();
            for (status, response) in responses {
                if !is_error_status(status) {
                    continue;
                }
                let media_types = response
                    .get_mut("content")
                    .and_then(Value::as_object_mut)
                    .into_iter()
                    .flatten()
                    .filter(|(media_type, _)| is_json(media_type));
                for (_, media) in media_types {
                    let Some(media) = media.as_object_mut() else {
                        continue;
                    };
                    let at = || format!("{} {path} response {status}", method.to_uppercase());
                    if let Some(own) = media.get("schema") {
                        fits_envelope(own, &known)
                            .with_context(|| format!("{}: {schema} no longer fits", at()))?;
                    }
                    let example = media
                        .get_mut("schema")
                        .and_then(Value::as_object_mut)
                        .and_then(|own| own.remove("example"));
                    if let Some(example) = example {
                        media.entry("example").or_insert(example);
                    }
                    let mut pointer = Map::new();
                    pointer.insert("$ref".to_owned(), reference.clone());
                    media.insert("schema".to_owned(), Value::Object(pointer));
                    pointed += 1;
                }
            }
        }
    }
    if pointed == 0 {
        bail!(
            "error_responses_use: no operation documents an error response (4xx, 5xx) with a \
             JSON body any more, so {schema} would type nothing and the client's error type \
             would change: decide what errors are now, then change this patch"
        );
    }
    Ok(())
}

/// `400`, `404`, `4XX`, `503`, … (`default` is not: it may be a success).
fn is_error_status(status: &str) -> bool {
    status.len() == 3 && (status.starts_with('4') || status.starts_with('5'))
}

/// An error body upstream documents fits the envelope when it is an object (or untyped)
/// whose properties the envelope has too.
fn fits_envelope(schema: &Value, known: &[String]) -> Result<()> {
    match schema.get("type") {
        None => {}
        Some(Value::String(ty)) if ty == "object" => {}
        Some(other) => bail!("upstream documents an error body of type {other}"),
    }
    let own = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, _)| name)
        .filter(|name| !known.contains(name))
        .cloned()
        .collect::<Vec<_>>();
    if !own.is_empty() {
        bail!(
            "upstream documents error body properties the envelope does not have: {}",
            own.join(", ")
        );
    }
    Ok(())
}

/// The bytes of text (strings and keys) in `value`, `levels` deep (1: its own keys or
/// string). Bounded by the parsed document's depth.
fn text_bytes(value: &Value, levels: usize) -> usize {
    match value {
        Value::String(text) => text.len(),
        Value::Array(items) if levels > 1 => {
            items.iter().map(|item| text_bytes(item, levels - 1)).sum()
        }
        Value::Object(map) => map
            .iter()
            .map(|(key, child)| {
                key.len()
                    + if levels > 1 {
                        text_bytes(child, levels - 1)
                    } else {
                        0
                    }
            })
            .sum(),
        _ => 0,
    }
}

/// A JSON Pointer segment for `key`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The canonical form of `document` (see the module's documentation): references below
/// `paths` expanded, `components` down to the security schemes and an empty `schemas`.
pub(crate) fn canonical(document: &Value) -> Result<Value> {
    let Some(top) = document.as_object() else {
        bail!("the document is not a mapping");
    };
    let mut expander = Expander {
        document,
        stack: Vec::new(),
        budget: MAX_EXPANDED_VALUES,
        bytes: MAX_EXPANDED_BYTES,
    };
    let mut canonical = Map::new();
    for (key, value) in top {
        let value = match key.as_str() {
            "paths" => expander.expand(value, "/paths".to_owned(), Place::Names, 0)?,
            "components" => {
                let mut components = Map::new();
                if let Some(schemes) = value.get("securitySchemes") {
                    components.insert("securitySchemes".to_owned(), schemes.clone());
                }
                components.insert("schemas".to_owned(), Value::Object(Map::new()));
                Value::Object(components)
            }
            _ => value.clone(),
        };
        canonical.insert(key.clone(), value);
    }
    canonical
        .entry("components")
        .or_insert_with(|| serde_json::json!({ "schemas": {} }));
    Ok(Value::Object(canonical))
}

/// What kind of object is being expanded, for where `$ref` is data rather than a reference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// An OpenAPI object: its `example` and `x-…` members are data.
    Node,
    /// A map by name (`properties`, `responses`, `content`, …): every member is a node.
    Names,
    /// An `examples` map: every member is an Example object.
    Examples,
    /// An Example object: its `value` is data.
    Example,
}

impl Place {
    /// What the member `key` of an object in this place is; `None` when the
    /// member is data, copied as it is.
    fn member(self, key: &str) -> Option<Place> {
        match self {
            Place::Names => Some(Place::Node),
            Place::Examples => Some(Place::Example),
            Place::Example if key == "value" => None,
            _ if key == "example" || key.starts_with("x-") => None,
            _ if key == "examples" => Some(Place::Examples),
            _ if NAME_MAPS.contains(&key) => Some(Place::Names),
            _ => Some(Place::Node),
        }
    }
}

/// The OpenAPI members whose keys are names chosen by the document, not keywords.
const NAME_MAPS: [&str; 8] = [
    "paths",
    "properties",
    "responses",
    "content",
    "headers",
    "links",
    "callbacks",
    "encoding",
];

/// Expands the references below one value, bounded in size and depth.
struct Expander<'a> {
    document: &'a Value,
    /// The references being expanded, outermost first, to name a cycle.
    stack: Vec<String>,
    /// How many more values the expansion may produce.
    budget: usize,
    /// How many more bytes of text it may produce.
    bytes: usize,
}

impl Expander<'_> {
    /// `value` (found at the JSON pointer `at`) with every reference expanded.
    fn expand(&mut self, value: &Value, at: String, place: Place, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            bail!("{at}: nested deeper than {MAX_DEPTH} levels once references are expanded");
        }
        let Some(spent) = self.budget.checked_sub(1) else {
            bail!(
                "{at}: references expand the document past {MAX_EXPANDED_VALUES} values \
                 (a schema reached many times over)"
            );
        };
        self.budget = spent;
        self.spend_bytes(text_bytes(value, 1), &at)?;
        match value {
            Value::Object(map) => {
                if let (Some(reference), false) = (map.get("$ref"), place == Place::Names) {
                    return self.follow(reference, &at, depth);
                }
                let mut expanded = Map::new();
                for (key, child) in map {
                    let child = match place.member(key) {
                        None => {
                            self.spend_bytes(text_bytes(child, usize::MAX), &at)?;
                            child.clone()
                        }
                        Some(member) => {
                            let child_at = format!("{at}/{}", escape(key));
                            self.expand(child, child_at, member, depth + 1)?
                        }
                    };
                    expanded.insert(key.clone(), child);
                }
                Ok(Value::Object(expanded))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    self.expand(item, format!("{at}/{index}"), Place::Node, depth + 1)
                })
                .collect::<Result<_>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// Takes `bytes` from the text budget, or says where it ran out.
    fn spend_bytes(&mut self, bytes: usize, at: &str) -> Result<()> {
        match self.bytes.checked_sub(bytes) {
            Some(left) => {
                self.bytes = left;
                Ok(())
            }
            None => bail!(
                "{at}: references expand the document past {MAX_EXPANDED_BYTES} bytes of \
                 text (a large schema reached many times over)"
            ),
        }
    }

    /// What the reference `reference` (found at `at`) points to, expanded.
    fn follow(&mut self, reference: &Value, at: &str, depth: usize) -> Result<Value> {
        let Value::String(reference) = reference else {
            bail!("{at}/$ref: not a string");
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            bail!(
                "{at}/$ref: external reference {reference:?}: only references within the \
                 document (#/…) can be vendored"
            );
        };
        let Some(target) = self.document.pointer(pointer) else {
            bail!("{at}/$ref: {reference:?} points to nothing in the document");
        };
        if self.stack.contains(reference) {
            bail!(
                "{at}/$ref: {reference:?} refers to itself (through {}): a recursive \
                 schema is not supported",
                self.stack.join(" → ")
            );
        }
        self.stack.push(reference.clone());
        let expanded = self.expand(target, pointer.to_owned(), Place::Node, depth + 1);
        self.stack.pop();
        expanded
    }
}

/// Turns a (patched) JSON value into a typed OpenAPI document.
pub(crate) fn to_openapi(document: Value, origin: &str) -> Result<openapiv3::OpenAPI> {
    keyapi_tiktok_spec::to_openapi(document)
        .with_context(|| format!("{origin} is not an OpenAPI 3.0 document"))
}

/// The document code is generated from: upstream plus the declared patches.
pub(crate) fn load_patched(root: &Path) -> Result<openapiv3::OpenAPI> {
    let path = root.join(UPSTREAM);
    let document = keyapi_tiktok_spec::read_document(&path)
        .with_context(|| format!("cannot load {UPSTREAM}"))?;
    let patches = std::fs::read_to_string(root.join(PATCHES))
        .with_context(|| format!("cannot read {PATCHES}"))?;
    let mut document = canonical(&document)
        .with_context(|| format!("{UPSTREAM} cannot be given to the generator"))?;
    apply_patches(&mut document, &patches)?;
    to_openapi(document, &format!("{UPSTREAM} with {PATCHES} applied"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_patches_apply_to_the_vendored_spec() {
        let spec = load_patched(&crate::project_root()).unwrap();
        assert!(
            spec.components
                .unwrap()
                .schemas
                .contains_key("ErrorEnvelope")
        );
    }

    #[test]
    fn a_patch_that_no_longer_applies_names_itself_and_its_reason() {
        let mut document = serde_json::json!({ "paths": {} });
        let patches = "
- reason: first one is fine
  ops: [{ op: add, path: /info, value: {} }]
- reason: the thing we patch is gone
  ops: [{ op: remove, path: /components/schemas/Gone }]
";
        let error = apply_patches(&mut document, patches).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("patch #2 no longer applies"), "{message}");
        assert!(
            message.contains("reason: the thing we patch is gone"),
            "{message}"
        );
    }

    #[test]
    fn a_failed_test_operation_stops_the_patch() {
        let mut document = serde_json::json!({ "type": "string" });
        let patches = "
- reason: only valid while upstream says object
  ops: [{ op: test, path: /type, value: object }]
";
        assert!(apply_patches(&mut document, patches).is_err());
    }

    #[test]
    fn a_patch_without_a_reason_is_refused() {
        let mut document = serde_json::json!({});
        let patches = "- { reason: ' ', ops: [] }";
        let message = format!("{:#}", apply_patches(&mut document, patches).unwrap_err());
        assert!(message.contains("patch #1 has no reason"), "{message}");
    }

    #[test]
    fn malformed_yaml_names_the_problem() {
        let error = keyapi_tiktok_spec::parse_document("openapi: [unclosed").unwrap_err();
        assert!(!format!("{error:#}").is_empty());
        let error = to_openapi(serde_json::json!({ "openapi": 3 }), "fixture").unwrap_err();
        assert!(format!("{error:#}").starts_with("fixture is not an OpenAPI 3.0 document"));
    }

    /// Patches that add a schema merge into the canonical `components/schemas`.
    #[test]
    fn the_canonical_form_expands_references_and_keeps_only_security_schemes() {
        let document = serde_json::json!({
            "paths": { "/x": { "get": {
                "parameters": [{ "$ref": "#/components/parameters/P" }],
                "responses": { "200": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/A" },
                    "example": { "$ref": "data, not a reference" },
                    "examples": { "one": { "value": { "$ref": "data too" } } },
                } } } },
            } } },
            "components": {
                "parameters": { "P": { "name": "p", "in": "query", "schema": { "$ref": "#/components/schemas/B" } } },
                "schemas": {
                    "A": { "type": "object", "properties": { "$ref": { "$ref": "#/components/schemas/B" } } },
                    "B": { "type": "string" },
                },
                "securitySchemes": { "key": { "type": "apiKey" } },
            },
        });
        let canonical = canonical(&document).unwrap();
        let operation = &canonical["paths"]["/x"]["get"];
        assert_eq!(
            operation["parameters"][0]["schema"],
            serde_json::json!({ "type": "string" })
        );
        let media = &operation["responses"]["200"]["content"]["application/json"];
        assert_eq!(
            media["schema"]["properties"]["$ref"],
            serde_json::json!({ "type": "string" })
        );
        assert_eq!(media["example"]["$ref"], "data, not a reference");
        assert_eq!(media["examples"]["one"]["value"]["$ref"], "data too");
        assert_eq!(
            canonical["components"],
            serde_json::json!({ "schemas": {}, "securitySchemes": { "key": { "type": "apiKey" } } })
        );
    }

    /// References that point at each other twice per level would expand past any memory:
    /// refused with where the bound was reached.
    #[test]
    fn references_that_expand_without_bound_are_refused() {
        let mut schemas = serde_json::Map::new();
        for level in 0..64 {
            let next =
                serde_json::json!({ "$ref": format!("#/components/schemas/S{}", level + 1) });
            schemas.insert(
                format!("S{level}"),
                serde_json::json!({ "properties": { "a": next, "b": next } }),
            );
        }
        let document = serde_json::json!({
            "paths": { "/x": { "get": { "responses": { "200": { "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/S0" },
            } } } } } } },
            "components": { "schemas": schemas },
        });
        let message = format!("{:#}", canonical(&document).unwrap_err());
        assert!(
            message.contains("past 1000000 values") || message.contains("deeper than"),
            "{message}"
        );
    }

    fn with_errors(responses: serde_json::Value) -> serde_json::Value {
        serde_json::json!({
            "paths": { "/x": { "get": { "responses": responses } } },
            "components": { "schemas": { "E": { "type": "object", "properties": { "code": {} } } } },
        })
    }

    #[test]
    fn every_error_response_uses_the_envelope_and_keeps_its_example() {
        let mut document = with_errors(serde_json::json!({
            "200": { "content": { "application/json": { "schema": { "type": "object" } } } },
            "418": { "content": { "application/json": { "schema": { "type": "object", "example": { "code": 418 } } } } },
            "503": { "content": { "application/json; charset=utf-8": {} } },
        }));
        error_responses_use(&mut document, "E").unwrap();
        let responses = &document["paths"]["/x"]["get"]["responses"];
        let reference = serde_json::json!({ "$ref": "#/components/schemas/E" });
        assert_eq!(
            responses["418"]["content"]["application/json"]["schema"],
            reference
        );
        assert_eq!(
            responses["418"]["content"]["application/json"]["example"]["code"],
            418
        );
        assert_eq!(
            responses["503"]["content"]["application/json; charset=utf-8"]["schema"],
            reference
        );
        assert_eq!(
            responses["200"]["content"]["application/json"]["schema"]["type"],
            "object"
        );
    }

    /// The intent fails only when it no longer makes sense: no error body at all, or one
    /// upstream now types itself differently.
    #[test]
    fn the_envelope_fails_when_there_is_no_error_body_or_upstream_types_its_own() {
        let mut none = with_errors(serde_json::json!({ "200": {} }));
        let message = format!("{:#}", error_responses_use(&mut none, "E").unwrap_err());
        assert!(
            message.contains("no operation documents an error response"),
            "{message}"
        );
        let mut own = with_errors(serde_json::json!({
            "400": { "content": { "application/json": { "schema": { "properties": { "detail": {} } } } } },
        }));
        let message = format!("{:#}", error_responses_use(&mut own, "E").unwrap_err());
        assert!(
            message.contains("GET /x response 400") && message.contains("detail"),
            "{message}"
        );
        let mut missing = with_errors(serde_json::json!({}));
        assert!(error_responses_use(&mut missing, "Nope").is_err());
    }
}
