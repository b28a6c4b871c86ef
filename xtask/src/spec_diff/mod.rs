//! `cargo xtask spec-diff [--format F] [--fail-on L] OLD NEW`: what changed between two
//! versions of the OpenAPI document, for the scheduled job that compares a fresh upstream
//! copy with `spec/upstream.openapi.yaml`.
//!
//! Both files may be YAML or JSON (the docs site serves JSON, the vendored copy is YAML).
//! Paths are taken as given, relative to the current directory. Every change carries a
//! stable rule id (`parameter-removed`, `property-added`, …; see `rule.rs`), breaking
//! changes come first. Formats:
//!
//! - `text` (default): one line per change, `SEVERITY  METHOD /path: message [rule-id]`,
//!   then `N breaking, M additive` (or `no differences`).
//! - `json`: one object, `{"breaking": N, "additive": M, "changes": [{"rule": id,
//!   "severity": "breaking"|"additive", "operation": "GET /path", "message": text,
//!   "file": NEW as given, "line": 1-based line in NEW or null}]}`.
//! - `markdown`: a heading with the counts and a table (severity, rule, operation, change).
//! - `github`: workflow commands, `::error` for breaking and `::warning` for additive
//!   changes, `file=NEW,line=N,title=rule-id`, then the counts.
//!
//! The line is where the change sits in NEW (for a removal, its parent that is still
//! there), found by following the keys in the text; it is null when not found.
//!
//! Exit status: 1 when a change fails `--fail-on` (`breaking`, the default; `additive`:
//! any change; `never`), 2 when the command line is wrong or a file cannot be read or is
//! not an OpenAPI document, 0 otherwise.
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

mod location;
mod model;
mod options;
mod output;
mod rule;
mod rules;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use keyapi_tiktok_spec::SpecError;
use serde_json::Value;

use options::Options;
use output::{NewVersion, render_as};

// What `update-spec` reuses: the comparison, its text and markdown reports, the cleaning
// of strangers' text for its own markdown, and the methods of a path item.
pub(crate) use model::{METHODS, is_json};
pub(crate) use output::{clean, markdown, markdown_escape, render};
pub(crate) use rule::Severity;
pub(crate) use rules::{Change, diff};

/// Runs the task on the arguments after `spec-diff`, with the exit status documented above.
pub(crate) fn main(args: &[&str]) -> ExitCode {
    match Options::parse(args) {
        Ok(options) => ExitCode::from(exit_status(&options)),
        Err(error) => {
            crate::say(&format!("error: {error:#}\n\n{}", crate::USAGE));
            ExitCode::from(2)
        }
    }
}

/// 0 nothing fails, 1 a change fails `--fail-on`, 2 unusable input (after printing why).
fn exit_status(options: &Options) -> u8 {
    match run(options) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(error) => {
            crate::say(&format!("error: {error:#}"));
            2
        }
    }
}

/// Prints the report; `Ok(false)` means a change fails `--fail-on`.
fn run(options: &Options) -> Result<bool> {
    let changes = diff(&load(&options.old)?, &load(&options.new)?);
    // Read again only for line numbers; `load` has just read it, so a failure is unlikely
    // and only costs the lines.
    let text = keyapi_tiktok_spec::read_text(&options.new).unwrap_or_default();
    let name = options.new.to_string_lossy();
    let new = NewVersion {
        name: &name,
        text: &text,
    };
    crate::print_out(&render_as(options.format, &changes, &new));
    Ok(!changes
        .iter()
        .any(|change| options.fail_on.fails(change.severity)))
}

/// Reads one version of the document; every failure starts with the path.
fn load(path: &Path) -> Result<Value> {
    match keyapi_tiktok_spec::read_document(path) {
        Ok(document) => validate(document).map_err(|error| anyhow!("{}: {error}", path.display())),
        // A read error names the path already.
        Err(error @ SpecError::Read { .. }) => Err(anyhow!("{error}")),
        Err(error) => Err(anyhow!("{}: {error}", path.display())),
    }
}

/// Parses YAML or JSON and checks that it is an OpenAPI document.
#[cfg(test)]
fn parse(text: &str) -> Result<Value> {
    Ok(validate(keyapi_tiktok_spec::parse_document(text)?)?)
}

/// `document`, once it is known to be an OpenAPI document.
fn validate(document: Value) -> Result<Value, SpecError> {
    // The typed model only validates (a downloaded error page parses as YAML too); the diff
    // walks the JSON, where a schema is one kind of value instead of many typed variants.
    keyapi_tiktok_spec::to_openapi(document.clone())?;
    Ok(document)
}
