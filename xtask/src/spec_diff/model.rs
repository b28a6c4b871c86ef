//! What the comparison looks at: each operation's parameters, responses and response
//! properties, read from the document's JSON with `$ref`s resolved.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use keyapi_tiktok_spec::{parameter_values, resolve, schema_values};
use serde_json::Value;

/// The HTTP methods an OpenAPI path item can hold, as the document spells them.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What a client can observe of one operation.
pub(super) struct Operation {
    /// By (location, name), e.g. (`query`, `page_size`).
    pub(super) parameters: BTreeMap<(String, String), Parameter>,
    /// By status code as written (`200`, `default`).
    pub(super) responses: BTreeMap<String, Response>,
}

/// One parameter, reduced to what the comparison looks at.
pub(super) struct Parameter {
    pub(super) required: bool,
    pub(super) ty: String,
    pub(super) values: BTreeMap<i64, String>,
    pub(super) example: Option<Value>,
}

/// One response, reduced to what the comparison looks at.
pub(super) struct Response {
    /// The JSON body's properties by path; the body itself is `""`. Empty without a JSON
    /// schema.
    pub(super) properties: BTreeMap<String, Property>,
    /// The JSON media type's `example` and `examples` entries, by name (`example`,
    /// `examples.ok`).
    pub(super) examples: BTreeMap<String, Value>,
}

/// One property of a response body (or the body itself).
pub(super) struct Property {
    /// The enclosing property's path, so children of an added or removed property are not
    /// reported again.
    pub(super) parent: Option<String>,
    pub(super) ty: String,
    pub(super) required: bool,
    /// Shared by every use of the same schema, like `example`: a schema with a large
    /// description or example used many times is read and held once.
    pub(super) values: Rc<BTreeMap<i64, String>>,
    pub(super) example: Option<Rc<Value>>,
    /// The schema's pointer when it was reached through a `$ref`: uses of the same schema
    /// compare their own facts once.
    pub(super) target: Option<String>,
    /// Where its schema is in the document (a JSON pointer), when it was reached through a
    /// `$ref` and so cannot be found below the operation.
    pub(super) pointer: Option<String>,
    /// The path where its schema (a `$ref` target reached before) was walked: its
    /// properties are recorded there, once, not again below this path.
    pub(super) same_as: Option<String>,
}

/// How many shared schemas a lookup goes through, so that no document makes it loop.
const MAX_SHARED_HOPS: usize = 256;

impl Response {
    /// The property at `path`, wherever it is recorded: below a property whose schema was
    /// walked at another path (`same_as`), its properties are found under that path.
    pub(super) fn property(&self, path: &str) -> Option<&Property> {
        let mut path = path.to_owned();
        for _ in 0..MAX_SHARED_HOPS {
            if let Some(property) = self.properties.get(&path) {
                return Some(property);
            }
            path = self.through_shared(&path)?;
        }
        None
    }

    /// `path` rewritten through the nearest recorded property above it that shares its
    /// schema; `None` when that property is recorded in full (so `path` does not exist).
    fn through_shared(&self, path: &str) -> Option<String> {
        let boundaries = path
            .char_indices()
            .filter(|&(at, c)| c == '.' || path[at..].starts_with("[]"))
            .map(|(at, _)| at)
            .rev()
            .chain(std::iter::once(0));
        for at in boundaries {
            let (prefix, rest) = path.split_at(at);
            let Some(property) = self.properties.get(prefix) else {
                continue;
            };
            let same_as = property.same_as.as_deref()?;
            let rest = rest.strip_prefix('.').unwrap_or(rest);
            return Some(match (same_as.is_empty(), rest.starts_with("[]")) {
                (true, _) => rest.to_owned(),
                (false, true) => format!("{same_as}{rest}"),
                (false, false) => format!("{same_as}.{rest}"),
            });
        }
        None
    }
}

/// Every operation in the document, by `METHOD /path`.
pub(super) fn operations(document: &Value) -> BTreeMap<String, Operation> {
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
pub(super) fn summarise_operation(document: &Value, item: &Value, operation: &Value) -> Operation {
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
        let summary = Parameter {
            required: parameter
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ty: schema.map_or_else(|| "any".to_owned(), type_name),
            values: parameter_values(document, parameter),
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
pub(super) fn summarise_response(document: &Value, response: &Value) -> Response {
    let mut walk = Walk {
        document,
        properties: BTreeMap::new(),
        walked: HashMap::new(),
        depth: 0,
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
            walk.schema(schema, String::new(), None, true, None);
        }
    }
    Response {
        properties: walk.properties,
        examples,
    }
}

/// `application/json`, with or without parameters such as `charset`.
pub(crate) fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Collects a response schema's properties by path, following `$ref`s: each schema a
/// reference leads to is walked once, so the walk is linear in the document however often
/// (or recursively) it is referenced.
pub(super) struct Walk<'a> {
    document: &'a Value,
    properties: BTreeMap<String, Property>,
    /// The path where each reference's target (by pointer) was walked.
    walked: HashMap<String, String>,
    /// How many schemas deep the walk is, bounded by [`MAX_WALK_DEPTH`].
    depth: usize,
}

/// How deep the walk follows nested schemas (each level a reference to a schema not seen
/// yet, or a nested inline one); deeper ones are compared as a type, not their properties.
const MAX_WALK_DEPTH: usize = 128;

impl<'a> Walk<'a> {
    /// Records `schema` at `path` and walks its properties and items; `pointer` is where
    /// it sits in the document when that is below a `$ref` target.
    fn schema(
        &mut self,
        schema: &'a Value,
        path: String,
        parent: Option<String>,
        required: bool,
        pointer: Option<String>,
    ) {
        let reference = schema.get("$ref").and_then(Value::as_str);
        let resolved = resolve(self.document, schema);
        let target = reference_target(self.document, schema);
        let same_as = match (reference, &target) {
            (Some(_), Some(target)) => self.walked.get(target).cloned(),
            _ => None,
        };
        if let (None, Some(target)) = (&same_as, &target) {
            self.walked.insert(target.clone(), path.clone());
        }
        let pointer = target.clone().or(pointer);
        // A schema used again shares what its first use read (its documented values and
        // example), so a large one used many times is not read many times.
        let first = same_as
            .as_ref()
            .and_then(|first| self.properties.get(first));
        let (values, example) = match first {
            Some(first) => (Rc::clone(&first.values), first.example.clone()),
            None => (
                Rc::new(schema_values(self.document, resolved)),
                resolved.get("example").cloned().map(Rc::new),
            ),
        };
        let property = Property {
            parent,
            ty: type_name(resolved),
            required,
            values,
            example,
            target: reference.and(target.clone()),
            pointer: pointer.clone(),
            same_as: same_as.clone(),
        };
        self.properties.insert(path.clone(), property);
        if same_as.is_some() || self.depth >= MAX_WALK_DEPTH {
            return;
        }
        self.depth += 1;
        self.children(resolved, &path, pointer.as_ref());
        self.depth -= 1;
    }

    /// Walks the properties and items of `resolved`, the schema at `path`.
    fn children(&mut self, resolved: &'a Value, path: &str, pointer: Option<&String>) {
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
                let child_pointer = (pointer.as_ref()).map(|at| {
                    format!(
                        "{at}/properties/{}",
                        name.replace('~', "~0").replace('/', "~1")
                    )
                });
                self.schema(
                    child,
                    child_path,
                    Some(path.to_owned()),
                    is_required,
                    child_pointer,
                );
            }
        }
        if let Some(items) = resolved.get("items") {
            let items_pointer = pointer.as_ref().map(|at| format!("{at}/items"));
            self.schema(
                items,
                format!("{path}[]"),
                Some(path.to_owned()),
                true,
                items_pointer,
            );
        }
    }
}

/// The JSON pointer of the schema a chain of local `$ref`s ends at, if `schema` is one.
fn reference_target<'a>(document: &'a Value, mut schema: &'a Value) -> Option<String> {
    let mut target = None;
    // Bounded like `resolve`, so that references that refer to each other end.
    for _ in 0..32 {
        let Some(pointer) = (schema.get("$ref").and_then(Value::as_str))
            .and_then(|reference| reference.strip_prefix('#'))
        else {
            break;
        };
        let Some(next) = document.pointer(pointer) else {
            break;
        };
        target = Some(pointer.to_owned());
        schema = next;
    }
    target
}

/// A schema's type as one comparable string: `integer`, `string (date)`, `nullable string`.
pub(super) fn type_name(schema: &Value) -> String {
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
