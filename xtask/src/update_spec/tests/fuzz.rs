//! Generated documents: refactors of the fixture that keep its meaning must generate the
//! same code, and arbitrary or hostile documents must end in exit 0, 1 or 2, never a
//! panic, within the bounds the pipeline sets (size, depth, expansion).

use std::panic::AssertUnwindSafe;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

use super::*;

/// A change to how the document is written that keeps what it means.
#[derive(Clone, Debug)]
enum Refactor {
    /// Move the `n`th inline schema (of all, in document order) into
    /// `components/schemas`, leaving a `$ref`.
    Hoist(usize),
    /// Replace the `n`th `$ref` to a component schema by a copy of it.
    Inline(usize),
    /// Rename the `n`th component schema and every reference to it.
    Rename(usize),
    /// Add an operation of our own, with a component of its own and one it shares.
    AddUnrelated,
}

fn refactor() -> impl Strategy<Value = Refactor> {
    prop_oneof![
        3 => (0..64_usize).prop_map(Refactor::Hoist),
        2 => (0..64_usize).prop_map(Refactor::Inline),
        2 => (0..64_usize).prop_map(Refactor::Rename),
        1 => Just(Refactor::AddUnrelated),
    ]
}

/// JSON pointer segment.
fn segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The pointers of the inline schemas in `value` (found at `at`), in document order: the
/// values of `schema` and `items`, and the members of `properties`, outside examples.
fn inline_schemas(value: &Value, at: &str, found: &mut Vec<String>) {
    let Value::Object(map) = value else {
        if let Value::Array(items) = value {
            for (index, item) in items.iter().enumerate() {
                inline_schemas(item, &format!("{at}/{index}"), found);
            }
        }
        return;
    };
    for (key, child) in map {
        if key == "example" || key == "examples" || key.starts_with("x-") {
            continue;
        }
        let child_at = format!("{at}/{}", segment(key));
        let is_schema = |value: &Value| value.is_object() && value.get("$ref").is_none();
        match key.as_str() {
            "schema" | "items" if is_schema(child) => found.push(child_at.clone()),
            "properties" => {
                for (name, property) in child.as_object().into_iter().flatten() {
                    if is_schema(property) {
                        found.push(format!("{child_at}/{}", segment(name)));
                    }
                }
            }
            _ => {}
        }
        inline_schemas(child, &child_at, found);
    }
}

/// The pointers of the `$ref`s to component schemas in `value` (found at `at`).
fn schema_refs(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let is_component = |reference: &Value| {
                reference
                    .as_str()
                    .is_some_and(|reference| reference.starts_with("#/components/schemas/"))
            };
            if map.get("$ref").is_some_and(is_component) {
                found.push(at.to_owned());
            }
            for (key, child) in map {
                if key != "example" && key != "examples" && !key.starts_with("x-") {
                    schema_refs(child, &format!("{at}/{}", segment(key)), found);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                schema_refs(item, &format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// Every `$ref` string in `value` equal to `from` becomes `to`.
fn rewrite_refs(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(reference) if key == "$ref" && reference == from => {
                        *reference = to.to_owned();
                    }
                    _ => rewrite_refs(child, from, to),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rewrite_refs(item, from, to)),
        _ => {}
    }
}

/// A component schema name not in use.
fn fresh_name(document: &Value, stem: &str) -> String {
    let taken = |name: &str| {
        document
            .pointer(&format!("/components/schemas/{name}"))
            .is_some()
    };
    (0..)
        .map(|number| format!("{stem}{number}"))
        .find(|name| !taken(name))
        .unwrap_or_default()
}

fn apply(document: &mut Value, refactor: &Refactor) {
    match *refactor {
        Refactor::Hoist(n) => {
            let mut found = Vec::new();
            inline_schemas(document, "", &mut found);
            let Some(pointer) = found.get(n % found.len().max(1)) else {
                return;
            };
            let name = fresh_name(document, "Hoisted");
            let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
            let schema = std::mem::replace(document.pointer_mut(pointer).unwrap(), reference);
            document["components"]["schemas"][&name] = schema;
        }
        Refactor::Inline(n) => {
            let mut found = Vec::new();
            schema_refs(document, "", &mut found);
            let Some(pointer) = found.get(n % found.len().max(1)) else {
                return;
            };
            let at = document.pointer(pointer).unwrap();
            let target = at["$ref"]
                .as_str()
                .unwrap()
                .trim_start_matches('#')
                .to_owned();
            if let Some(schema) = document.pointer(&target).cloned() {
                *document.pointer_mut(pointer).unwrap() = schema;
            }
        }
        Refactor::Rename(n) => {
            let names: Vec<String> = document["components"]["schemas"]
                .as_object()
                .map(|schemas| schemas.keys().cloned().collect())
                .unwrap_or_default();
            let Some(old) = names.get(n % names.len().max(1)) else {
                return;
            };
            let new = fresh_name(document, "Renamed");
            let schemas = document["components"]["schemas"].as_object_mut().unwrap();
            let schema = schemas.remove(old).unwrap();
            schemas.insert(new.clone(), schema);
            let (from, to) = (
                format!("#/components/schemas/{}", segment(old)),
                format!("#/components/schemas/{new}"),
            );
            rewrite_refs(document, &from, &to);
        }
        Refactor::AddUnrelated => {
            let name = fresh_name(document, "Unrelated");
            let shared = document["components"]["schemas"]
                .as_object()
                .and_then(|schemas| schemas.keys().next().cloned())
                .unwrap_or_else(|| name.clone());
            document["components"]["schemas"][&name] =
                json!({ "type": "object", "properties": { "id": { "type": "string" } } });
            document["paths"][format!("/v9/unrelated/{name}")] = json!({ "post": {
                "operationId": format!("post_{name}"),
                "responses": { "200": { "description": "ok", "content": { "application/json": {
                    "schema": { "type": "object", "properties": {
                        "own": { "$ref": format!("#/components/schemas/{name}") },
                        "shared": { "$ref": format!("#/components/schemas/{shared}") },
                    } },
                } } } },
            } });
        }
    }
}

/// `value` as JSON text with each object's keys in an order drawn from `seed`.
fn shuffled_json(value: &Value, seed: u64) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // A cheap permutation: sort by a hash of the key and the seed.
            entries.sort_by_key(|(key, _)| {
                key.bytes()
                    .fold(seed ^ 0x9e37_79b9_7f4a_7c15, |hash, byte| {
                        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                    })
            });
            let members: Vec<String> = entries
                .into_iter()
                .map(|(key, child)| {
                    format!(
                        "{}:{}",
                        Value::from(key.as_str()),
                        shuffled_json(child, seed)
                    )
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|item| shuffled_json(item, seed)).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Refactors that keep the document's meaning keep the generated code: vendored, then
/// regenerated in-process, each gives the fixture's code byte for byte.
#[test]
fn refactors_that_keep_the_meaning_generate_the_same_code() {
    let baseline = Checkout::at_fixture();
    let expected = baseline.read(GENERATED);
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (prop::collection::vec(refactor(), 1..6), any::<u64>());
    // How many cases vendored our operation with a reference in it: the point of the test.
    let with_references = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&strategy, |(refactors, seed)| {
            let mut upstream = fixture();
            for refactor in &refactors {
                apply(&mut upstream, refactor);
            }
            let checkout = Checkout::at_fixture();
            let status = checkout.run(&shuffled_json(&upstream, seed));
            prop_assert_eq!(status, 0, "{:?}", refactors);
            prop_assert!(
                checkout.read(GENERATED) == expected,
                "{:?}: other code",
                refactors
            );
            let vendored = keyapi_tiktok_spec::parse_document(&checkout.read(UPSTREAM)).unwrap();
            if vendored["paths"]
                .to_string()
                .contains("#/components/schemas/")
            {
                with_references.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    assert!(
        with_references.into_inner() > 0,
        "no case referenced a component schema"
    );
}

/// The keys hostile values are built from: OpenAPI's, so they reach deep into the pipeline.
const KEYS: [&str; 24] = [
    "type",
    "properties",
    "items",
    "$ref",
    "required",
    "nullable",
    "allOf",
    "oneOf",
    "additionalProperties",
    "enum",
    "format",
    "description",
    "example",
    "schema",
    "content",
    "application/json",
    "responses",
    "200",
    "400",
    "parameters",
    "name",
    "in",
    "get",
    "components",
];

/// Strings that mean something somewhere: references, types, a mention.
const STRINGS: [&str; 12] = [
    "#",
    "#/paths",
    "#/components/schemas/Shop",
    "#/components/schemas/Nowhere",
    "other.yaml#/x",
    "object",
    "array",
    "string",
    "integer",
    "query",
    "@team",
    "",
];

fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|float| json!(float)),
        prop::sample::select(&STRINGS[..]).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(&STRINGS[..5]).prop_map(|reference| json!({ "$ref": reference })),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(&KEYS[..]), inner), 0..6).prop_map(
                |members| {
                    Value::Object(
                        members
                            .into_iter()
                            .map(|(key, value)| (key.to_owned(), value))
                            .collect::<Map<_, _>>(),
                    )
                }
            ),
        ]
    })
}

/// Where a hostile value goes in the fixture (the whole document for `""`).
const PLACES: [&str; 10] = [
    "",
    "/paths",
    OURS,
    "/paths/~1v1~1tiktok~1video~1ranking~1analytics/get/responses",
    "/paths/~1v1~1tiktok~1video~1ranking~1analytics/get/responses/200/content/application~1json/schema",
    "/paths/~1v1~1tiktok~1video~1ranking~1analytics/get/responses/400/content/application~1json/schema",
    "/paths/~1v1~1tiktok~1video~1ranking~1analytics/get/parameters/0",
    "/paths/~1v1~1tiktok~1video~1ranking~1analytics/get/responses/200/content/application~1json/schema/properties/data/items/properties/video_id",
    "/components/schemas/Shop",
    "/components",
];

/// update-spec on `text`: its exit status, or the panic's message.
fn status_of(text: &str) -> Result<u8, String> {
    let checkout = Checkout::at_fixture();
    std::panic::catch_unwind(AssertUnwindSafe(|| checkout.run(text))).map_err(|panic| {
        (panic.downcast_ref::<String>().cloned())
            .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
            .unwrap_or_default()
    })
}

/// Random values anywhere in the fixture (or as the whole document): exit 0, 1 or 2, and
/// spec-diff against the fixture never panics either.
#[test]
fn arbitrary_documents_end_in_0_1_or_2_never_a_panic() {
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (prop::sample::select(&PLACES[..]), hostile_value());
    runner
        .run(&strategy, |(place, value)| {
            let mut upstream = fixture();
            match upstream.pointer_mut(place) {
                Some(slot) => *slot = value,
                None => upstream = value,
            }
            let diffed = std::panic::catch_unwind(|| crate::spec_diff::diff(&fixture(), &upstream));
            prop_assert!(diffed.is_ok(), "spec-diff panicked at {}", place);
            let status = status_of(&upstream.to_string());
            prop_assert!(matches!(status, Ok(0..=2)), "{}: {:?}", place, status);
            Ok(())
        })
        .unwrap();
}

/// The fixture with `video_id` replaced by `schema` and `schemas` added to components.
fn with_schemas(schema: Value, schemas: Map<String, Value>) -> String {
    let mut upstream = fixture();
    item_properties(&mut upstream)["video_id"] = schema;
    at(&mut upstream, "/components/schemas")
        .as_object_mut()
        .unwrap()
        .extend(schemas);
    upstream.to_string()
}

/// Documents built to exhaust something: each is refused (exit 2) or read, never a panic,
/// a stack overflow or memory without bound.
#[test]
fn hostile_documents_are_refused_within_bounds() {
    let chain = |depth: usize, fan_out: bool| -> String {
        let mut schemas = Map::new();
        for level in 0..depth {
            let next = json!({ "$ref": format!("#/components/schemas/S{}", level + 1) });
            let properties = if fan_out {
                json!({ "a": next, "b": next })
            } else {
                json!({ "a": next })
            };
            schemas.insert(
                format!("S{level}"),
                json!({ "type": "object", "properties": properties }),
            );
        }
        schemas.insert(format!("S{depth}"), json!({ "type": "string" }));
        with_schemas(json!({ "$ref": "#/components/schemas/S0" }), schemas)
    };
    // Huge strings: in an example (compared, not generated) and in a description (which
    // becomes a doc comment: generating megabytes of them is slow, not unbounded).
    let mut huge = fixture();
    let example = format!("{OURS}/responses/200/content/application~1json/schema/example");
    at(&mut huge, &example)["message"] = Value::from("x".repeat(2 << 20));
    *description(&mut huge, "rank_type") = Value::from("y".repeat(64 << 10));
    let mut wrong_types = fixture();
    at(&mut wrong_types, &format!("{OURS}/responses"))["200"] = json!(5);
    at(&mut wrong_types, OURS)["parameters"] = json!({ "name": [] });
    // One schema with a 256 KiB description and example, used by 10 000 properties: 5 GiB
    // once expanded, 5 GiB read if each use read it again.
    let mut shared_large = fixture();
    at(&mut shared_large, "/components/schemas")["Large"] = json!({
        "type": "string",
        "description": "x".repeat(256 << 10),
        "example": "y".repeat(256 << 10),
    });
    let properties = item_properties(&mut shared_large);
    for number in 0..10_000 {
        properties.insert(
            format!("p{number}"),
            json!({ "$ref": "#/components/schemas/Large" }),
        );
    }
    let laughs = (1..12).fold(
        "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_owned(),
        |text, level| {
            let previous = format!("*a{}", level - 1);
            format!(
                "{text}a{level}: &a{level} [{}]\n",
                vec![previous; 10].join(", ")
            )
        },
    );
    let documents: [(&str, String); 11] = [
        ("a large schema used 10 000 times", shared_large.to_string()),
        (
            "JSON nested 10 000 deep",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        (
            "YAML nested 100 000 deep",
            format!("{}x", "- ".repeat(100_000)),
        ),
        ("YAML alias bomb", laughs),
        ("2 MiB and 64 KiB strings", huge.to_string()),
        ("larger than the bound", " ".repeat(33 << 20)),
        ("a reference chain 2^64 wide", chain(64, true)),
        ("a reference chain 5 000 deep", chain(5_000, false)),
        (
            "a reference to the whole document",
            with_schemas(json!({ "$ref": "#" }), Map::new()),
        ),
        (
            "references to each other",
            with_schemas(
                json!({ "$ref": "#/components/schemas/A" }),
                serde_json::from_value(json!({
                    "A": { "$ref": "#/components/schemas/B" },
                    "B": { "allOf": [{ "$ref": "#/components/schemas/A" }] },
                }))
                .unwrap(),
            ),
        ),
        ("wrong types", wrong_types.to_string()),
    ];
    for (name, text) in documents {
        let status = status_of(&text);
        assert!(matches!(status, Ok(0..=2)), "{name}: {status:?}");
        if let Ok(document) = keyapi_tiktok_spec::parse_document(&text) {
            let diffed = std::panic::catch_unwind(|| {
                crate::spec_diff::diff(&fixture(), &document);
                crate::spec_diff::diff(&document, &document)
            });
            assert!(
                diffed.is_ok_and(|changes| changes.is_empty()),
                "{name}: spec-diff"
            );
        }
    }
}
