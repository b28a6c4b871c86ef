//! update-spec on fixture documents, each run in a temporary copy of the files it reads and
//! writes (never the real tree), in-process.
//!
//! `xtask/tests/fixtures/update-spec/upstream.json` is a full document as the docs site
//! serves one: our operation (its `region` parameter a component, whose example is another
//! component), and two made-up operations of other tags with components of their own, one
//! shared with ours. Each drift is that document with one change made in code below.

mod fuzz;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use keyapi_tiktok_spec::{UPSTREAM, VIDEO_RANKING};
use serde_json::{Value, json};

use super::*;
use crate::provenance;

const FIXTURE: &str = "xtask/tests/fixtures/update-spec/upstream.json";

/// The files update-spec reads or writes, copied into every test's root: the published
/// crates' manifests (the generated crate's is `provenance::MANIFEST`), the workspace's and
/// the lock file take the breaking version bumps.
const COPIED: [&str; 13] = [
    UPSTREAM,
    spec::PATCHES,
    GENERATED,
    CHANGELOG,
    provenance::MODULE,
    provenance::MANIFEST,
    "Cargo.lock",
    "Cargo.toml",
    "crates/keyapi-tiktok-spec/Cargo.toml",
    "crates/keyapi-tiktok/Cargo.toml",
    "crates/keyapi-tiktok-testkit/Cargo.toml",
    "crates/keyapi-tiktok-store/Cargo.toml",
    "crates/keyapi-tiktok-cli/Cargo.toml",
];

/// Our operation in the fixture, as a JSON pointer.
const OURS: &str = "/paths/~1v1~1tiktok~1video~1ranking~1analytics/get";

/// The ranking item's properties in the fixture.
const ITEM: &str = "/paths/~1v1~1tiktok~1video~1ranking~1analytics/get/responses/200/content/application~1json/schema/properties/data/items/properties";

/// The `[package]` version of the manifest at `path`.
fn package_version(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|line| line.starts_with("version = \""))
        .unwrap();
    line.trim_start_matches("version = \"")
        .trim_end_matches('"')
        .to_owned()
}

fn fixture() -> Value {
    keyapi_tiktok_spec::read_document(&crate::project_root().join(FIXTURE)).unwrap()
}

/// A temporary root holding copies of [`COPIED`].
struct Checkout(tempfile::TempDir);

impl Checkout {
    /// A copy of the real tree's files.
    fn of_the_tree() -> Checkout {
        let files =
            COPIED.map(|file| std::fs::read_to_string(crate::project_root().join(file)).unwrap());
        Checkout::with(&files)
    }

    /// A copy of the tree after update-spec vendored the unchanged fixture (computed once).
    fn at_fixture() -> Checkout {
        static FILES: OnceLock<[String; COPIED.len()]> = OnceLock::new();
        let files = FILES.get_or_init(|| {
            let checkout = Checkout::of_the_tree();
            assert_eq!(
                checkout.run_json(&fixture()),
                0,
                "the fixture vendors cleanly"
            );
            checkout.files()
        });
        Checkout::with(files)
    }

    fn with(files: &[String; COPIED.len()]) -> Checkout {
        let dir = tempfile::tempdir().unwrap();
        for (file, text) in COPIED.iter().zip(files) {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Checkout(dir)
    }

    fn root(&self) -> &Path {
        self.0.path()
    }

    fn files(&self) -> [String; COPIED.len()] {
        COPIED.map(|file| self.read(file))
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.root().join(file)).unwrap()
    }

    /// update-spec on `text` as the upstream document, with `--pr-body pr-body.md`.
    fn run(&self, text: &str) -> u8 {
        let source = self.root().join("upstream.fresh.json");
        std::fs::write(&source, text).unwrap();
        let options = Options {
            source: source.to_string_lossy().into_owned(),
            pr_body: Some(self.root().join("pr-body.md")),
        };
        exit_status(self.root(), &options)
    }

    fn run_json(&self, upstream: &Value) -> u8 {
        self.run(&serde_json::to_string_pretty(upstream).unwrap())
    }

    fn pr_body(&self) -> Option<String> {
        std::fs::read_to_string(self.root().join("pr-body.md")).ok()
    }
}

/// The fixture with `change` made to it.
fn drifted(change: impl FnOnce(&mut Value)) -> Value {
    let mut upstream = fixture();
    change(&mut upstream);
    upstream
}

fn at<'a>(document: &'a mut Value, pointer: &str) -> &'a mut Value {
    document
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the fixture has {pointer}"))
}

fn parameters(document: &mut Value) -> &mut Vec<Value> {
    at(document, &format!("{OURS}/parameters"))
        .as_array_mut()
        .unwrap()
}

fn item_properties(document: &mut Value) -> &mut serde_json::Map<String, Value> {
    at(document, ITEM).as_object_mut().unwrap()
}

fn description<'a>(document: &'a mut Value, name: &str) -> &'a mut Value {
    let parameter = parameters(document)
        .iter_mut()
        .find(|parameter| parameter["name"] == name)
        .unwrap();
    &mut parameter["description"]
}

/// Runs `upstream` on a checkout at the fixture and checks the exit status and that
/// CHANGELOG and the PR body name every expected `(class, rule)`.
fn assert_drift(upstream: &Value, status: u8, expected: &[(&str, &str)]) -> Checkout {
    let checkout = Checkout::at_fixture();
    let before = checkout.files();
    assert_eq!(checkout.run_json(upstream), status, "exit status");
    assert!(
        regenerate::run_in(checkout.root(), regenerate::Mode::Check).unwrap(),
        "`regenerate --check` passes after the update: code and provenance rewritten"
    );
    assert_ne!(
        checkout.read(UPSTREAM),
        before[0],
        "the vendored spec was rewritten"
    );
    let changelog = checkout.read(CHANGELOG);
    let body = checkout.pr_body().expect("the PR body was written");
    for (class, rule) in expected {
        let entry = format!("{class}, `{rule}`: GET ");
        assert!(
            changelog.contains(&entry),
            "CHANGELOG names {entry}:\n{changelog}"
        );
        let severity = if *class == "additive" {
            "additive"
        } else {
            "**BREAKING**"
        };
        let row = format!("| {severity} | `{rule}` |");
        assert!(body.contains(&row), "the PR body names {row}:\n{body}");
    }
    checkout
}

const BREAKING: &str = "**breaking**";
const ADDITIVE: &str = "additive";

#[test]
fn an_upstream_whose_wrapped_operation_did_not_change_writes_nothing() {
    let checkout = Checkout::at_fixture();
    let before = checkout.files();
    assert_eq!(checkout.run_json(&fixture()), 0);
    // Changes to operations we do not wrap are information, not drift.
    let others_changed = drifted(|upstream| {
        at(upstream, "/components/schemas/Shop/properties")["rating"] = json!({ "type": "number" });
        let paths = at(upstream, "/paths").as_object_mut().unwrap();
        let profile = paths.remove("/v1/tiktok/influencer/profile").unwrap();
        paths.insert("/v2/tiktok/influencer/profile".to_owned(), profile);
    });
    assert_eq!(checkout.run_json(&others_changed), 0);
    assert_eq!(checkout.files(), before, "nothing was written");
    assert!(checkout.pr_body().is_none(), "no PR body without a change");
}

#[test]
fn the_hand_vendored_file_stays_byte_for_byte_while_upstream_agrees() {
    let checkout = Checkout::of_the_tree();
    let before = checkout.files();
    // The vendored document plus the fixture's other operations and their components.
    let mut upstream = keyapi_tiktok_spec::parse_document(&before[0]).unwrap();
    let fixture = fixture();
    for path in ["/v1/tiktok/shop/detail", "/v1/tiktok/influencer/profile"] {
        upstream["paths"][path] = fixture["paths"][path].clone();
    }
    upstream["components"] = fixture["components"].clone();
    assert_eq!(checkout.run_json(&upstream), 0);
    assert_eq!(checkout.files(), before);
}

#[test]
fn the_same_upstream_gives_the_same_bytes() {
    let upstream = drifted(|upstream| {
        item_properties(upstream).insert("share_url".to_owned(), json!({ "type": "string" }));
    });
    let (first, second) = (Checkout::at_fixture(), Checkout::at_fixture());
    assert_eq!(first.run_json(&upstream), 0);
    // Key order and layout upstream do not matter: the same document, as compact JSON.
    assert_eq!(second.run(&upstream.to_string()), 0);
    assert_eq!(first.read(UPSTREAM), second.read(UPSTREAM));
    assert_eq!(first.read(GENERATED), second.read(GENERATED));
    assert!(first.read(UPSTREAM).starts_with(VENDORED_HEADER));
    // Run again: nothing more to do, no second CHANGELOG entry.
    let files = first.files();
    assert_eq!(first.run_json(&upstream), 0);
    assert_eq!(first.files(), files);
}

#[test]
fn vendoring_keeps_our_components_and_not_the_others() {
    let checkout = Checkout::at_fixture();
    let vendored = keyapi_tiktok_spec::parse_document(&checkout.read(UPSTREAM)).unwrap();
    let paths: Vec<&String> = vendored["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, [VIDEO_RANKING.path]);
    assert_eq!(
        vendored["components"],
        json!({
            "examples": { "RegionUS": fixture()["components"]["examples"]["RegionUS"] },
            "parameters": { "Region": fixture()["components"]["parameters"]["Region"] },
            "securitySchemes": fixture()["components"]["securitySchemes"],
        })
    );
}

#[test]
fn a_removed_parameter_is_breaking() {
    let upstream = drifted(|upstream| {
        parameters(upstream).retain(|parameter| parameter["name"] != "product_category_id");
    });
    assert_drift(&upstream, 1, &[(BREAKING, "parameter-removed")]);
}

#[test]
fn a_new_required_parameter_is_breaking() {
    let upstream = drifted(|upstream| {
        parameters(upstream).push(json!({
            "name": "seller_id", "in": "query", "required": true, "schema": { "type": "string" },
        }));
    });
    let checkout = assert_drift(&upstream, 1, &[(BREAKING, "required-parameter-added")]);
    let body = checkout.pr_body().unwrap();
    assert!(body.contains("parameter `seller_id` added"), "{body}");
    for krate in [
        "keyapi-tiktok-openapi",
        "keyapi-tiktok",
        "keyapi-tiktok-store",
        "keyapi-tiktok-cli",
    ] {
        let old =
            package_version(&crate::project_root().join(format!("crates/{krate}/Cargo.toml")));
        let new = versions::next_breaking(&old).unwrap();
        let row = format!("| `{krate}` | breaking (minor while 0.x): {old} → {new}, written |");
        assert!(body.contains(&row), "{row}:\n{body}");
    }
    for krate in ["keyapi-tiktok-spec", "keyapi-tiktok-testkit"] {
        assert!(body.contains(&format!("| `{krate}` | none |")), "{body}");
    }
}

#[test]
fn a_parameter_made_required_writes_the_breaking_versions_into_the_manifests() {
    // cargo-semver-checks passes `Option<&str>` → `&str`: the versions must come from here.
    let upstream = drifted(|upstream| {
        let parameter = parameters(upstream)
            .iter_mut()
            .find(|parameter| parameter["name"] == "product_category_id")
            .unwrap();
        parameter["required"] = true.into();
    });
    let checkout = Checkout::at_fixture();
    let before = checkout.files();
    assert_eq!(checkout.run_json(&upstream), 1, "breaking");
    let workspace = checkout.read("Cargo.toml");
    let lock = checkout.read("Cargo.lock");
    for (krate, breaks) in [
        ("keyapi-tiktok-openapi", true),
        ("keyapi-tiktok", true),
        ("keyapi-tiktok-store", true),
        ("keyapi-tiktok-cli", true),
        ("keyapi-tiktok-spec", false),
        ("keyapi-tiktok-testkit", false),
    ] {
        let manifest = format!("crates/{krate}/Cargo.toml");
        let old = package_version(&crate::project_root().join(&manifest));
        let expected = if breaks {
            versions::next_breaking(&old).unwrap()
        } else {
            old.clone()
        };
        assert_eq!(
            package_version(&checkout.root().join(&manifest)),
            expected,
            "{krate}"
        );
        let entry = format!("name = \"{krate}\"\nversion = \"{expected}\"\n");
        assert!(lock.contains(&entry), "Cargo.lock has {entry}");
        // The generated crate's `=` pin is in the library's manifest (its workspace entry is
        // path-only), the testkit's entry is path-only (a dev-dependency), the command has none.
        if krate == "keyapi-tiktok-openapi" {
            let library = checkout.read("crates/keyapi-tiktok/Cargo.toml");
            let pin = format!("{krate} = {{ path = \"../{krate}\", version = \"={expected}\" }}");
            assert!(library.contains(&pin), "{pin}:\n{library}");
        } else if !["keyapi-tiktok-testkit", "keyapi-tiktok-cli"].contains(&krate) {
            let requirement = format!("crates/{krate}\", version = \"{expected}\"");
            assert!(
                workspace.contains(&requirement),
                "{requirement}:\n{workspace}"
            );
        }
    }
    assert!(
        regenerate::run_in(checkout.root(), regenerate::Mode::Check).unwrap(),
        "the provenance survived the bump of the generated crate's manifest"
    );
    let index = COPIED
        .iter()
        .position(|file| *file == "Cargo.toml")
        .unwrap();
    assert_ne!(before[index], workspace);
}

#[test]
fn a_renamed_property_is_breaking() {
    let upstream = drifted(|upstream| {
        let properties = item_properties(upstream);
        let duration = properties.remove("duration").unwrap();
        properties.insert("duration_seconds".to_owned(), duration);
    });
    assert_drift(
        &upstream,
        1,
        &[(BREAKING, "property-removed"), (ADDITIVE, "property-added")],
    );
}

#[test]
fn a_property_type_change_is_breaking() {
    let upstream = drifted(|upstream| {
        item_properties(upstream)["duration"] = json!({ "type": "string" });
    });
    assert_drift(&upstream, 1, &[(BREAKING, "property-type-changed")]);
}

#[test]
fn a_new_documented_value_is_additive() {
    let upstream = drifted(|upstream| {
        *description(upstream, "rank_type") = json!("榜单周期，1=日榜，2=周榜，3=月榜，4=年榜。");
    });
    let checkout = assert_drift(&upstream, 0, &[(ADDITIVE, "parameter-value-added")]);
    let body = checkout.pr_body().unwrap();
    assert!(body.contains("| `keyapi-tiktok` | patch |"), "{body}");
}

#[test]
fn a_removed_documented_value_is_breaking() {
    let upstream = drifted(|upstream| {
        *description(upstream, "rank_type") = json!("榜单周期，1=日榜，2=周榜。");
    });
    assert_drift(&upstream, 1, &[(BREAKING, "parameter-value-removed")]);
}

#[test]
fn a_new_optional_parameter_is_additive() {
    let upstream = drifted(|upstream| {
        parameters(upstream).push(json!({
            "name": "lang", "in": "query", "required": false, "schema": { "type": "string" },
        }));
    });
    assert_drift(&upstream, 0, &[(ADDITIVE, "parameter-added")]);
}

#[test]
fn a_new_response_property_is_additive() {
    let upstream = drifted(|upstream| {
        item_properties(upstream).insert("share_url".to_owned(), json!({ "type": "string" }));
    });
    let checkout = assert_drift(&upstream, 0, &[(ADDITIVE, "property-added")]);
    assert!(checkout.read(GENERATED).contains("share_url"));
}

#[test]
fn a_renamed_path_is_followed_by_operation_id_and_the_patches_follow_it() {
    const NEW_PATH: &str = "/v2/tiktok/video/ranking";
    let upstream = drifted(|upstream| {
        let paths = at(upstream, "/paths").as_object_mut().unwrap();
        let ours = paths.remove(VIDEO_RANKING.path).unwrap();
        paths.insert(NEW_PATH.to_owned(), ours);
    });
    let checkout = assert_drift(
        &upstream,
        1,
        &[
            (BREAKING, "operation-removed"),
            (ADDITIVE, "operation-added"),
        ],
    );
    let moved = format!("GET {} → GET {NEW_PATH}", VIDEO_RANKING.path);
    assert!(checkout.read(CHANGELOG).contains(&moved));
    assert!(checkout.pr_body().unwrap().contains(&moved));
    let patches = checkout.read(spec::PATCHES);
    assert!(patches.contains("/paths/~1v2~1tiktok~1video~1ranking/get/responses/200"));
    assert!(!patches.contains("~1v1~1tiktok~1video~1ranking~1analytics"));
    assert!(checkout.read(GENERATED).contains(NEW_PATH));
    // Run again before `WRAPPED` follows: the vendored copy is found, nothing to do.
    let files = checkout.files();
    assert_eq!(checkout.run_json(&upstream), 0);
    assert_eq!(checkout.files(), files);
}

#[test]
fn a_patch_that_no_longer_applies_exits_2_naming_it_and_writes_nothing() {
    let upstream = drifted(|upstream| {
        at(
            upstream,
            &format!("{OURS}/responses/400/content/application~1json/schema"),
        )["type"] = json!("array");
    });
    let checkout = Checkout::at_fixture();
    let before = checkout.files();
    let source = checkout.root().join("upstream.fresh.json");
    std::fs::write(&source, upstream.to_string()).unwrap();
    let options = Options {
        source: source.to_string_lossy().into_owned(),
        pr_body: Some(checkout.root().join("pr-body.md")),
    };
    let error = update(checkout.root(), &options).unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("patch #5 no longer applies"), "{message}");
    assert!(message.contains("The error bodies are"), "{message}");
    assert_eq!(exit_status(checkout.root(), &options), 2);
    assert_eq!(checkout.files(), before);
    assert!(checkout.pr_body().is_none());
}

#[test]
fn an_unusable_document_exits_2_and_writes_nothing() {
    let checkout = Checkout::at_fixture();
    let before = checkout.files();
    assert_eq!(checkout.run("<html>502 Bad Gateway</html>"), 2);
    let options = Options {
        source: checkout
            .root()
            .join("upstream.fresh.json")
            .to_string_lossy()
            .into_owned(),
        pr_body: None,
    };
    let message = update(checkout.root(), &options).unwrap_err().to_string();
    assert!(message.ends_with("upstream.fresh.json: not a usable upstream document: not an \
         OpenAPI 3.0 document: invalid type: string \"<html>502 Bad Gateway</html>\", expected struct OpenAPI"), "{message}");
    assert_eq!(checkout.run("{\"openapi\": 3}"), 2);
    let without_ours = drifted(|upstream| {
        at(upstream, "/paths")
            .as_object_mut()
            .unwrap()
            .remove(VIDEO_RANKING.path);
    });
    assert_eq!(checkout.run_json(&without_ours), 2);
    assert_eq!(checkout.files(), before);
}

#[test]
fn command_lines_are_parsed_and_bad_ones_named() {
    assert_eq!(
        Options::parse(&["--pr-body=body.md", "up.json"]).unwrap(),
        Options {
            source: "up.json".to_owned(),
            pr_body: Some("body.md".into()),
        }
    );
    assert_eq!(
        Options::parse(&["https://x/doc.json", "--pr-body", "b.md"])
            .unwrap()
            .pr_body,
        Some("b.md".into())
    );
    for (args, expected) in [
        (&[][..], "expected SOURCE"),
        (&["a", "b"], "expected one SOURCE"),
        (&["--pr-body"], "--pr-body needs a file"),
        (&["--dry-run", "a"], "unknown option --dry-run"),
    ] {
        let message = Options::parse(args).unwrap_err().to_string();
        assert!(message.starts_with(expected), "{args:?}: {message}");
    }
}

/// The scheduled workflow runs a command line this task accepts, with a PR body, and pins
/// create-pull-request to a full commit SHA.
#[test]
fn the_upstream_drift_workflow_runs_a_valid_update_spec_command_line() {
    let workflow = crate::project_root().join(".github/workflows/upstream-drift.yml");
    let text = std::fs::read_to_string(workflow).unwrap();
    let command_lines: Vec<Options> = text
        .lines()
        .filter_map(|line| {
            line.split_once("cargo xtask update-spec ")
                .map(|(_, rest)| rest)
        })
        .map(|rest| {
            let args: Vec<&str> = rest
                .split_whitespace()
                .map(|arg| arg.trim_matches('"'))
                .collect();
            Options::parse(&args).unwrap_or_else(|error| panic!("{rest}: {error:#}"))
        })
        .collect();
    assert_eq!(command_lines.len(), 1, "{command_lines:?}");
    assert!(command_lines[0].pr_body.is_some());
    let pin = text
        .split("uses: peter-evans/create-pull-request@")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the workflow uses create-pull-request");
    assert!(
        pin.len() == 40 && pin.bytes().all(|byte| byte.is_ascii_hexdigit()),
        "create-pull-request is pinned to a full commit SHA, not {pin}"
    );
}

/// update-spec on `upstream` with `pr_body` as `--pr-body`: its result, for the message.
fn update_with(checkout: &Checkout, upstream: &Value, pr_body: Option<PathBuf>) -> Result<bool> {
    let source = checkout.root().join("upstream.fresh.json");
    std::fs::write(&source, upstream.to_string()).unwrap();
    let options = Options {
        source: source.to_string_lossy().into_owned(),
        pr_body,
    };
    update(checkout.root(), &options)
}

/// The 200 body, the ranking item and one of its fields, each moved into components
/// (the item and the field nested below the body, the body shared with another
/// operation), as upstream may refactor at any time: vendored with what they reference,
/// and the same code as before.
#[test]
fn schemas_moved_into_components_are_vendored_and_generate_the_same_code() {
    let checkout = Checkout::at_fixture();
    let generated = checkout.read(GENERATED);
    let upstream = drifted(|upstream| {
        let body_at = format!("{OURS}/responses/200/content/application~1json/schema");
        let video_id = item_properties(upstream).insert(
            "video_id".into(),
            json!({ "$ref": "#/components/schemas/VideoId" }),
        );
        let items_at = format!("{body_at}/properties/data/items");
        let item = std::mem::replace(
            at(upstream, &items_at),
            json!({ "$ref": "#/components/schemas/Item" }),
        );
        let body = std::mem::replace(
            at(upstream, &body_at),
            json!({ "$ref": "#/components/schemas/Ranking" }),
        );
        let schemas = at(upstream, "/components/schemas").as_object_mut().unwrap();
        schemas.insert("VideoId".into(), video_id.unwrap());
        schemas.insert("Item".into(), item);
        schemas.insert("Ranking".into(), body);
        let shop =
            "/paths/~1v1~1tiktok~1shop~1detail/get/responses/200/content/application~1json/schema";
        *at(upstream, shop) = json!({ "$ref": "#/components/schemas/Ranking" });
    });
    assert_eq!(checkout.run_json(&upstream), 0);
    assert_eq!(checkout.read(GENERATED), generated, "the same code");
    let vendored = keyapi_tiktok_spec::parse_document(&checkout.read(UPSTREAM)).unwrap();
    let schemas = vendored["components"]["schemas"].as_object().unwrap();
    let names: Vec<&String> = schemas.keys().collect();
    assert_eq!(
        names,
        ["Item", "Ranking", "VideoId"],
        "vendored with what they reference"
    );
    assert!(regenerate::run_in(checkout.root(), regenerate::Mode::Check).unwrap());
}

#[test]
fn external_dangling_and_cyclic_references_exit_2_naming_the_pointer() {
    let field = format!("{ITEM}/video_id/$ref");
    for (reference, why) in [
        (
            "other.yaml#/components/schemas/VideoId",
            "external reference",
        ),
        ("#/components/schemas/Nowhere", "points to nothing"),
        ("#/components/schemas/Loop", "refers to itself"),
        ("#", "refers to itself"),
    ] {
        let checkout = Checkout::at_fixture();
        let before = checkout.files();
        let upstream = drifted(|upstream| {
            item_properties(upstream)["video_id"] = json!({ "$ref": reference });
            at(upstream, "/components/schemas")["Loop"] = json!({ "type": "object", "properties": { "next": { "$ref": "#/components/schemas/Loop" } } });
        });
        let message = format!("{:#}", update_with(&checkout, &upstream, None).unwrap_err());
        assert!(message.contains(why), "{reference}: {message}");
        assert!(
            message.contains(&format!("{reference:?}")),
            "{reference}: {message}"
        );
        if reference.starts_with("other") || reference.ends_with("Nowhere") {
            assert!(
                message.contains(&field),
                "{reference} names where it sits: {message}"
            );
        }
        assert_eq!(checkout.run_json(&upstream), 2, "{reference}");
        assert_eq!(checkout.files(), before, "{reference}: nothing written");
    }
}

/// The PR body is written with everything else or not at all: when it cannot be written,
/// nothing is, so a retry does the whole update.
#[test]
fn a_pr_body_that_cannot_be_written_leaves_the_tree_as_it_was() {
    let checkout = Checkout::at_fixture();
    let before = checkout.files();
    let upstream = drifted(|upstream| {
        item_properties(upstream).insert("share_url".to_owned(), json!({ "type": "string" }));
    });
    let unwritable = checkout.root().join("no/such/directory/pr-body.md");
    let error = update_with(&checkout, &upstream, Some(unwritable)).unwrap_err();
    assert!(
        format!("{error:#}").contains("no/such/directory"),
        "{error:#}"
    );
    assert_eq!(checkout.files(), before, "nothing written");
    let leftovers: Vec<_> = std::fs::read_dir(checkout.root().join("spec"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no staging files left: {leftovers:?}");
    assert_eq!(checkout.run_json(&upstream), 0, "the retry updates");
    assert!(checkout.pr_body().unwrap().contains("share_url"));
}

/// Patch 5 says "every error response uses ErrorEnvelope": upstream dropping one status
/// is a breaking change to review, not a patch to rewrite, and a new one is typed too.
#[test]
fn error_statuses_dropped_or_added_upstream_keep_using_the_error_envelope() {
    let without_402 = drifted(|upstream| {
        at(upstream, &format!("{OURS}/responses"))
            .as_object_mut()
            .unwrap()
            .remove("402");
    });
    let checkout = assert_drift(&without_402, 1, &[(BREAKING, "response-removed")]);
    assert!(!checkout.read(GENERATED).contains("402u16"));
    let with_404 = drifted(|upstream| {
        let error = at(upstream, &format!("{OURS}/responses/400")).clone();
        at(upstream, &format!("{OURS}/responses"))["404"] = error;
    });
    let checkout = assert_drift(&with_404, 0, &[(ADDITIVE, "response-added")]);
    let generated = checkout.read(GENERATED);
    assert!(generated.contains("404u16 =>"), "{generated}");
}

/// Upstream's text reaches the PR body and CHANGELOG in code spans: an `@` mentions no
/// one, and a field name is written as it is, so a search finds it.
#[test]
fn upstream_text_in_the_reports_mentions_no_one_and_stays_searchable() {
    let upstream = drifted(|upstream| {
        upstream["info"]["version"] = json!("2.0 by @octocat and @org/team`s `x`");
        item_properties(upstream).insert("share_url".to_owned(), json!({ "type": "string" }));
    });
    let checkout = assert_drift(&upstream, 0, &[(ADDITIVE, "property-added")]);
    for (name, text) in [
        ("PR body", checkout.pr_body().unwrap()),
        ("CHANGELOG", checkout.read(CHANGELOG)),
    ] {
        assert!(text.contains("`@octocat`"), "{name}:\n{text}");
        assert!(text.contains("``@org/team`s``"), "{name}:\n{text}");
        assert!(!text.contains(" @"), "{name} has a bare mention:\n{text}");
        assert!(text.contains("`data[].share_url`"), "{name}:\n{text}");
    }
}
