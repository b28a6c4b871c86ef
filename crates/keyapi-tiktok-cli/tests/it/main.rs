//! The `keyapi-tiktok` command's integration tests, in one binary: each runs the built
//! command against a wiremock server, the test kit's fake server (or none) and checks its
//! output and exit status.

mod cache;
mod cached_runs;
mod cli;
mod common;
mod conformance;
mod credits;
mod doc_examples;
mod echoed_key;
mod exit_status;
mod manual;
mod output_safety;
mod report;
mod store_paths;
mod store_queries;
mod sync;
mod verbose;
