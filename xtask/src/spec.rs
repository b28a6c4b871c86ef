//! The document code is generated from: the vendored upstream document (read by
//! `keyapi-tiktok-spec`) with the declared patches applied.

use std::path::Path;

use anyhow::{Context, Result, bail};
use keyapi_tiktok_spec::UPSTREAM;
use serde::Deserialize;
use serde_json::Value;

/// The changes code generation needs, as data next to the document.
pub(crate) const PATCHES: &str = "spec/patches.yaml";

/// One declared change: why it exists and the RFC 6902 operations that make it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclaredPatch {
    reason: String,
    ops: Vec<json_patch::PatchOperation>,
}

/// Applies the declared patches in order, naming the patch and its reason when one fails.
pub(crate) fn apply_patches(document: &mut Value, patches_yaml: &str) -> Result<()> {
    let patches: Vec<DeclaredPatch> = serde_yaml_ng::from_str(patches_yaml)
        .with_context(|| format!("{PATCHES} is not a list of {{reason, ops}} entries"))?;
    for (index, patch) in patches.iter().enumerate() {
        if patch.reason.trim().is_empty() {
            bail!("{PATCHES}: patch #{} has no reason", index + 1);
        }
        json_patch::patch(document, &patch.ops).with_context(|| {
            format!(
                "{PATCHES}: patch #{} no longer applies to {UPSTREAM} (reason: {})",
                index + 1,
                patch.reason
            )
        })?;
    }
    Ok(())
}

/// Turns a (patched) JSON value into a typed OpenAPI document.
pub(crate) fn to_openapi(document: Value, origin: &str) -> Result<openapiv3::OpenAPI> {
    keyapi_tiktok_spec::to_openapi(document)
        .with_context(|| format!("{origin} is not an OpenAPI 3.0 document"))
}

/// The document code is generated from: upstream plus the declared patches.
pub(crate) fn load_patched(root: &Path) -> Result<openapiv3::OpenAPI> {
    let path = root.join(UPSTREAM);
    let mut document = keyapi_tiktok_spec::read_document(&path)
        .with_context(|| format!("cannot load {UPSTREAM}"))?;
    let patches = std::fs::read_to_string(root.join(PATCHES))
        .with_context(|| format!("cannot read {PATCHES}"))?;
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
}
