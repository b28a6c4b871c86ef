//! The endpoints the crates wrap, named once: their method and path, and where an
//! operation and its parameters sit in a document.

use serde_json::Value;

use crate::resolve;

/// An operation, named by its HTTP method and path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The method in upper case, as a report prints it (`GET`).
    pub method: &'static str,
    /// The path as the document writes it.
    pub path: &'static str,
}

/// `GET /v1/tiktok/video/ranking/analytics`: TikTok videos ranked by views or sales.
pub const VIDEO_RANKING: Endpoint = Endpoint {
    method: "GET",
    path: "/v1/tiktok/video/ranking/analytics",
};

/// Every operation the crates wrap: what `cargo xtask update-spec` keeps of upstream's
/// document. Other operations upstream are information, never drift.
///
/// ```
/// assert!(keyapi_tiktok_spec::WRAPPED.contains(&keyapi_tiktok_spec::VIDEO_RANKING));
/// ```
pub const WRAPPED: &[Endpoint] = &[VIDEO_RANKING];

impl Endpoint {
    /// `METHOD /path`, the way reports name an operation.
    ///
    /// ```
    /// assert_eq!(
    ///     keyapi_tiktok_spec::VIDEO_RANKING.subject(),
    ///     "GET /v1/tiktok/video/ranking/analytics"
    /// );
    /// ```
    pub fn subject(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The operation object in `document`, `$ref`s of the path item resolved.
    pub fn operation<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        let item = document.get("paths")?.get(self.path)?;
        resolve(document, item)
            .get(self.method.to_ascii_lowercase())
            .filter(|operation| operation.is_object())
    }

    /// The parameter called `name` (the operation's own before the path item's, as OpenAPI
    /// says), resolved.
    pub fn parameter<'a>(&self, document: &'a Value, name: &str) -> Option<&'a Value> {
        let item = resolve(document, document.get("paths")?.get(self.path)?);
        let lists = [
            self.operation(document)?.get("parameters"),
            item.get("parameters"),
        ];
        lists
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .map(|parameter| resolve(document, parameter))
            .find(|parameter| parameter.get("name").and_then(Value::as_str) == Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_operation_and_parameters_through_refs() {
        let document = serde_json::json!({
            "paths": { VIDEO_RANKING.path: { "$ref": "#/components/pathItems/Ranking" } },
            "components": {
                "pathItems": { "Ranking": {
                    "parameters": [{ "name": "page_num", "in": "query" }],
                    "get": { "parameters": [{ "$ref": "#/components/parameters/Date" }] },
                } },
                "parameters": { "Date": { "name": "date", "in": "query" } },
            },
        });
        assert!(VIDEO_RANKING.operation(&document).is_some());
        assert_eq!(
            VIDEO_RANKING.parameter(&document, "date").unwrap()["in"],
            "query"
        );
        assert!(VIDEO_RANKING.parameter(&document, "page_num").is_some());
        assert!(VIDEO_RANKING.parameter(&document, "region").is_none());
        let post = Endpoint {
            method: "POST",
            ..VIDEO_RANKING
        };
        assert!(post.operation(&document).is_none());
    }
}
