//! Error statuses: every documented one has a typed error, and back.

use super::parameters::minimal_query;
use super::*;

/// The typed error each documented error status maps to, as `Error::kind()`.
const ERROR_KINDS: &[(u16, &str)] = &[
    (400, "bad_request"),
    (401, "authentication"),
    (402, "credits_exhausted"),
    (429, "rate_limited"),
    (500, "server"),
];

/// Kinds that are not a typed variant for a status: the catch-all and decode failures.
const GENERIC_KINDS: &[&str] = &["api", "decode", "transport"];

#[tokio::test]
async fn every_documented_error_status_has_a_typed_error_and_back() {
    let spec = spec_json();
    let mut problems = Vec::new();
    let successes: Vec<u16> = declared_statuses(&spec)
        .into_iter()
        .filter(|status| (200..300).contains(status))
        .collect();
    if successes != [200] {
        problems.push(format!(
            "the spec declares success statuses {successes:?}; the client decodes only 200"
        ));
    }
    let documented = error_statuses(&spec);
    for &status in &documented {
        let example = response_example(&spec, status);
        let server = serve_example(status, &example).await;
        let kind = match client(&server).video_ranking_page(&minimal_query()).await {
            Ok(_) => {
                problems.push(format!(
                    "documented error status {status}: its example decoded as a page"
                ));
                continue;
            }
            Err(error) => error.kind(),
        };
        match ERROR_KINDS.iter().find(|(s, _)| *s == status) {
            None => problems.push(format!(
                "documented error status {status} has no typed error variant in ERROR_KINDS \
                 (its example maps to Error::kind() `{kind}`)"
            )),
            Some((_, expected)) if *expected != kind => problems.push(format!(
                "documented error status {status} maps to Error::kind() `{kind}`, ERROR_KINDS expects `{expected}`"
            )),
            Some(_) => {}
        }
        if GENERIC_KINDS.contains(&kind) {
            problems.push(format!(
                "documented error status {status} maps to the generic Error::kind() `{kind}`, not a typed variant"
            ));
        }
    }
    for (status, kind) in ERROR_KINDS {
        if !documented.contains(status) {
            problems.push(format!(
                "ERROR_KINDS maps status {status} to `{kind}`, but the spec no longer documents status {status}"
            ));
        }
    }
    assert_no_problems("error statuses", &problems);
}
