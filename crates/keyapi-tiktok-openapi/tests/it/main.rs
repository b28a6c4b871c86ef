//! The generated crate's integration tests, in one binary so the crate is linked once:
//! wiremock servers stand in for KeyAPI.

mod diverted_bodies;
mod wire;

use keyapi_tiktok_openapi::Client;

/// The generated client for a loopback server, never through a proxy from the machine's
/// environment (which would see the test traffic). This crate picks no TLS stack; when the
/// workspace's features give reqwest rustls without a crypto provider, reqwest needs a
/// process default even for plain http.
fn loopback_client(base_url: &str) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client");
    Client::new_with_client(base_url, http)
}
