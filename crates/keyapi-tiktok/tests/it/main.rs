//! The library's integration tests, in one binary so the crate is linked once: wiremock
//! servers and raw TCP listeners stand in for KeyAPI.

mod cache;
mod cache_writes;
mod common;
mod concurrency_credits;
mod conformance;
mod echoed_key;
mod errors;
mod hostile_upstream;
mod json_edges;
mod own_http_client;
mod properties;
mod query_and_items;
mod readme;
mod retries_and_paging;
mod safe_configuration;
