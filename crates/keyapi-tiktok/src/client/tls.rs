//! The TLS stack the key travels over, chosen by Cargo features.
//!
//! | feature | stack | needs |
//! |---|---|---|
//! | `rustls` (default) | rustls with the *ring* provider, the platform's roots | a Rust toolchain |
//! | `rustls-aws-lc` | rustls with aws-lc-rs (reqwest's own default) | cmake and a C compiler |
//! | `native-tls` | the platform's TLS library | OpenSSL headers on Linux |
//!
//! With several enabled, `rustls-aws-lc` wins over `rustls`, and both over `native-tls`.
//! With none, only plain-http loopback URLs work (tests and local fakes), and
//! [`ClientBuilder::build`](crate::ClientBuilder::build) refuses an `https://` base URL.

use crate::Error;

/// Whether this build can speak TLS at all.
pub(crate) const ENABLED: bool = cfg!(any(
    feature = "rustls",
    feature = "rustls-aws-lc",
    feature = "native-tls"
));

/// A `reqwest` client builder set up with this crate's TLS stack and nothing else: start
/// from it when you pass your own client to
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client).
///
/// With the default `rustls` feature, reqwest is built without a crypto provider of its
/// own, so `reqwest::Client::new()` would panic when it reaches TLS unless your program
/// installs a rustls provider; this builder carries one.
///
/// ```
/// let http = keyapi_tiktok::http_client_builder()?
///     .connect_timeout(std::time::Duration::from_secs(3))
///     .build()?;
/// let client = keyapi_tiktok::Client::builder().api_key("k").http_client(http).build()?;
/// # let _ = client;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] when the platform's certificate verifier cannot be set up.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, Error> {
    let builder = reqwest::Client::builder();
    // reqwest itself would prefer native-tls whenever that feature is on: say which wins.
    #[cfg(feature = "rustls-aws-lc")]
    let builder = builder.tls_backend_rustls();
    #[cfg(all(feature = "rustls", not(feature = "rustls-aws-lc")))]
    let builder = builder.tls_backend_preconfigured(ring_config()?);
    Ok(builder)
}

/// rustls with ring and the platform verifier, offering HTTP/2 and HTTP/1.1 as reqwest
/// would (a preconfigured backend gets no ALPN from reqwest).
#[cfg(all(feature = "rustls", not(feature = "rustls-aws-lc")))]
fn ring_config() -> Result<rustls::ClientConfig, Error> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|error| {
            Error::invalid_input("tls", "rustls with ring", format!("a TLS setup ({error})"))
        })?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
