//! One reader of the facts the OpenAPI document states, shared by `xtask` (regenerate,
//! spec-diff) and the drift tests, so that they cannot read the same document differently.
//!
//! - [`read_document`] / [`parse_document`]: JSON (parsed as JSON) or YAML into a JSON
//!   value, a file read at most [`MAX_DOCUMENT_BYTES`] ([`read_text`]); [`to_openapi`]
//!   checks it is an OpenAPI 3.0 document.
//! - [`resolve`]: follows local `$ref`s.
//! - [`documented_values`]: the coded values upstream documents in prose
//!   (`1=日榜，2=周榜，3=月榜`, `0 (no sales), 1 (video sales)`).
//! - [`VIDEO_RANKING`]: the one endpoint the crates wrap, its method and path; [`WRAPPED`]
//!   lists every wrapped endpoint, for `cargo xtask update-spec`.
//!
//! ```
//! use keyapi_tiktok_spec::{VIDEO_RANKING, parameter_values, parse_document};
//!
//! let document = parse_document(&format!(
//!     "paths:
//!        {}:
//!          get:
//!            parameters:
//!              - {{ name: rank_type, in: query, description: '榜单周期，1=日榜，2=周榜。' }}",
//!     VIDEO_RANKING.path,
//! ))?;
//! let parameter = VIDEO_RANKING.parameter(&document, "rank_type").unwrap();
//! let values = parameter_values(&document, parameter);
//! assert_eq!(values[&2], "周榜");
//! # Ok::<(), keyapi_tiktok_spec::SpecError>(())
//! ```

mod document;
mod endpoint;
mod values;

pub use document::{
    MAX_DOCUMENT_BYTES, SpecError, UPSTREAM, parse_document, read_document, read_text, resolve,
    resolve_schema, to_openapi,
};
pub use endpoint::{Endpoint, VIDEO_RANKING, WRAPPED};
pub use values::{documented_values, parameter_values, schema_values};
