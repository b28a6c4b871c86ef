//! Loading a version of the OpenAPI document and following its `$ref`s.

use std::borrow::Borrow;
use std::fmt;
use std::path::{Path, PathBuf};

use openapiv3::{OpenAPI, ReferenceOr, Schema};
use serde_json::Value;

/// Where the vendored upstream document (the operations the crates wrap, as upstream
/// publishes them) lives, relative to the workspace root.
pub const UPSTREAM: &str = "spec/upstream.openapi.yaml";

/// Why a document could not be read.
#[derive(Debug)]
pub enum SpecError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The text is neither YAML nor JSON.
    Syntax(serde_yaml_ng::Error),
    /// The value is not an OpenAPI 3.0 document.
    NotOpenApi(serde_json::Error),
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Syntax(source) => write!(f, "not YAML or JSON: {source}"),
            Self::NotOpenApi(source) => write!(f, "not an OpenAPI 3.0 document: {source}"),
        }
    }
}

impl std::error::Error for SpecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            Self::Syntax(source) => Some(source),
            Self::NotOpenApi(source) => Some(source),
        }
    }
}

/// The largest document read, in bytes; upstream's full document is well under 1 MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 32 * 1024 * 1024;

/// Reads a YAML or JSON document into a JSON value, refusing a file larger than
/// [`MAX_DOCUMENT_BYTES`] before reading past it.
///
/// ```
/// let error = keyapi_tiktok_spec::read_document("no/such/file.yaml".as_ref()).unwrap_err();
/// assert!(error.to_string().starts_with("no/such/file.yaml: "));
/// ```
pub fn read_document(path: &Path) -> Result<Value, SpecError> {
    parse_document(&read_text(path)?)
}

/// The UTF-8 text of the file at `path`, read at most one byte past
/// [`MAX_DOCUMENT_BYTES`] (so a device that never ends is refused, not read).
///
/// ```
/// let error = keyapi_tiktok_spec::read_text("no/such/file.yaml".as_ref()).unwrap_err();
/// assert!(error.to_string().starts_with("no/such/file.yaml: "));
/// ```
pub fn read_text(path: &Path) -> Result<String, SpecError> {
    use std::io::Read;
    let failed = |source| SpecError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(failed(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_DOCUMENT_BYTES} bytes, not an OpenAPI document"),
        )));
    }
    String::from_utf8(bytes).map_err(|error| {
        failed(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text: {error}"),
        ))
    })
}

/// Parses a document: as JSON when it looks like JSON (its first character other than
/// white space is `{` or `[`), so that everything JSON allows (escaped surrogate pairs,
/// which Python's `json.dumps` writes) is read; as YAML otherwise, or when the JSON parser
/// refuses it (YAML's flow style starts with `{` too).
///
/// ```
/// let yaml = keyapi_tiktok_spec::parse_document("openapi: 3.0.1").unwrap();
/// let json = keyapi_tiktok_spec::parse_document(r#"{"openapi": "3.0.1"}"#).unwrap();
/// assert_eq!(yaml, json);
/// let escaped = keyapi_tiktok_spec::parse_document(r#"{"title": "\ud83e\uddf2"}"#).unwrap();
/// assert_eq!(escaped["title"], "🧲");
/// ```
pub fn parse_document(text: &str) -> Result<Value, SpecError> {
    if text.trim_start().starts_with(['{', '['])
        && let Ok(document) = serde_json::from_str(text)
    {
        return Ok(document);
    }
    serde_yaml_ng::from_str(text).map_err(SpecError::Syntax)
}

/// The typed OpenAPI 3.0 view of a document; also how a downloaded error page (which
/// parses as YAML too) is told apart from a document.
///
/// ```
/// let page = keyapi_tiktok_spec::parse_document("<html>Bad gateway</html>").unwrap();
/// assert!(keyapi_tiktok_spec::to_openapi(page).is_err());
/// ```
pub fn to_openapi(document: Value) -> Result<openapiv3::OpenAPI, SpecError> {
    serde_json::from_value(document).map_err(SpecError::NotOpenApi)
}

/// Follows local `$ref`s (`#/components/...`); anything else, or a dangling reference, is
/// returned as is.
///
/// ```
/// let document = serde_json::json!({
///     "components": { "schemas": { "Id": { "type": "string" } } },
/// });
/// let reference = serde_json::json!({ "$ref": "#/components/schemas/Id" });
/// assert_eq!(keyapi_tiktok_spec::resolve(&document, &reference)["type"], "string");
/// ```
pub fn resolve<'a>(document: &'a Value, mut value: &'a Value) -> &'a Value {
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

/// [`resolve`] on the typed document: the schema `schema` is, or the one its
/// `#/components/schemas/…` reference leads to (followed at most 32 times); `None` when a
/// reference leads nowhere. Takes inline schemas as they come (`Schema`) and as object
/// properties and array items hold them (`Box<Schema>`).
///
/// ```
/// use openapiv3::{ReferenceOr, Schema};
/// let spec = keyapi_tiktok_spec::to_openapi(serde_json::json!({
///     "openapi": "3.0.1",
///     "info": { "title": "t", "version": "1" },
///     "paths": {},
///     "components": { "schemas": { "Id": { "type": "string" } } },
/// }))?;
/// let reference: ReferenceOr<Box<Schema>> = ReferenceOr::ref_("#/components/schemas/Id");
/// let id = keyapi_tiktok_spec::resolve_schema(&spec, &reference).expect("the Id schema");
/// assert!(matches!(id.schema_kind, openapiv3::SchemaKind::Type(openapiv3::Type::String(_))));
/// # Ok::<(), keyapi_tiktok_spec::SpecError>(())
/// ```
pub fn resolve_schema<'a, S: Borrow<Schema>>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<S>,
) -> Option<&'a Schema> {
    let mut reference = match schema {
        ReferenceOr::Item(schema) => return Some(schema.borrow()),
        ReferenceOr::Reference { reference } => reference,
    };
    // Bounded, so that references that refer to each other cannot loop forever.
    for _ in 0..32 {
        let name = reference.strip_prefix("#/components/schemas/")?;
        match spec.components.as_ref()?.schemas.get(name)? {
            ReferenceOr::Item(schema) => return Some(schema),
            ReferenceOr::Reference { reference: next } => reference = next,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_that_loop_end() {
        let document = serde_json::json!({
            "a": { "$ref": "#/b" },
            "b": { "$ref": "#/a" },
        });
        let start = serde_json::json!({ "$ref": "#/a" });
        assert!(resolve(&document, &start).get("$ref").is_some());
    }

    #[test]
    fn typed_references_that_loop_or_lead_nowhere_resolve_to_nothing() {
        let spec = to_openapi(serde_json::json!({
            "openapi": "3.0.1",
            "info": { "title": "t", "version": "1" },
            "paths": {},
            "components": { "schemas": {
                "A": { "$ref": "#/components/schemas/B" },
                "B": { "$ref": "#/components/schemas/A" },
                "C": { "$ref": "#/components/schemas/D" },
                "D": { "type": "integer" },
            } },
        }))
        .unwrap();
        let start = |name: &str| -> ReferenceOr<Schema> {
            ReferenceOr::ref_(&format!("#/components/schemas/{name}"))
        };
        assert!(resolve_schema(&spec, &start("A")).is_none());
        assert!(resolve_schema(&spec, &start("Missing")).is_none());
        assert!(resolve_schema(&spec, &ReferenceOr::<Schema>::ref_("#/paths/x")).is_none());
        let c = start("C");
        let integer = resolve_schema(&spec, &c).expect("C leads to D");
        assert!(matches!(
            integer.schema_kind,
            openapiv3::SchemaKind::Type(openapiv3::Type::Integer(_))
        ));
    }

    /// Python's `json.dumps` escapes characters outside the BMP as surrogate pairs, which
    /// JSON allows and YAML does not.
    #[test]
    fn json_is_read_as_json_with_escaped_surrogate_pairs() {
        let document = parse_document(r#"  {"info": {"title": "\ud83e\uddf2 magnet"}}"#).unwrap();
        assert_eq!(document["info"]["title"], "\u{1f9f2} magnet");
        // YAML that starts like JSON (a flow mapping) is still YAML.
        let flow = parse_document("{openapi: 3.0.1}").unwrap();
        assert_eq!(flow["openapi"], "3.0.1");
        let error = parse_document(r#"{"openapi": "3.0.1",,}"#).unwrap_err();
        assert!(
            error.to_string().starts_with("not YAML or JSON: "),
            "{error}"
        );
    }

    /// A file is read at most one byte past the bound, so a device without end is refused
    /// without reading it.
    #[test]
    fn a_file_larger_than_the_bound_is_refused_before_it_is_read_whole() {
        let path = Path::new("/dev/zero");
        if path.exists() {
            let error = read_document(path).unwrap_err();
            assert!(error.to_string().contains("larger than"), "{error}");
        }
    }

    #[test]
    fn malformed_yaml_and_non_openapi_values_say_so() {
        let error = parse_document("openapi: [unclosed").unwrap_err();
        assert!(
            error.to_string().starts_with("not YAML or JSON: "),
            "{error}"
        );
        let error = to_openapi(serde_json::json!({ "openapi": 3 })).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("not an OpenAPI 3.0 document: ")
        );
    }
}
