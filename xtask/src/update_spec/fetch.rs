//! Reads the upstream document named on the command line: a file, or an `https://` URL.
//!
//! Fetching uses the library's stack (reqwest, rustls with *ring*, the platform's
//! certificate verifier) set up here rather than by depending on `keyapi-tiktok`: xtask must
//! build even when the generated crate it rewrites does not.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// The largest document accepted; upstream's full document is well under 1 MiB.
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// How long a download may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The text of `source`: an `https://` URL is downloaded, anything else is a file path.
pub(super) fn read_source(source: &str) -> Result<String> {
    if source.starts_with("https://") {
        return fetch(source);
    }
    if source.starts_with("http://") {
        bail!("{source}: only https:// URLs are fetched");
    }
    let bytes = std::fs::read(source).with_context(|| format!("cannot read {source}"))?;
    text(bytes, source)
}

/// `bytes` as UTF-8, bounded by [`MAX_BYTES`].
fn text(bytes: Vec<u8>, source: &str) -> Result<String> {
    if bytes.len() > MAX_BYTES {
        bail!("{source}: larger than {MAX_BYTES} bytes, not an OpenAPI document");
    }
    String::from_utf8(bytes).with_context(|| format!("{source}: not UTF-8 text"))
}

/// Downloads `url`, refusing an error status and a body over [`MAX_BYTES`].
fn fetch(url: &str) -> Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime that downloads the document")?;
    let bytes = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .timeout(TIMEOUT)
            .build()
            .context("cannot build the HTTP client")?;
        let mut response = client
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("cannot download {url}"))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .with_context(|| format!("cannot download {url}"))?
        {
            if bytes.len() + chunk.len() > MAX_BYTES {
                bail!("{url}: larger than {MAX_BYTES} bytes, not an OpenAPI document");
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    })?;
    text(bytes, url)
}

/// rustls with ring and the platform verifier, as `keyapi_tiktok::http_client_builder`
/// sets it up.
fn tls_config() -> Result<rustls::ClientConfig> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .context("cannot set up TLS (rustls with ring, the platform's verifier)")?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_and_missing_files_are_refused_with_the_source_named() {
        let error = read_source("http://example.invalid/doc.json").unwrap_err();
        assert_eq!(
            error.to_string(),
            "http://example.invalid/doc.json: only https:// URLs are fetched"
        );
        let error = read_source("no/such/upstream.json").unwrap_err();
        assert!(
            error.to_string().contains("no/such/upstream.json"),
            "{error}"
        );
    }

    #[test]
    fn oversized_or_binary_bodies_are_refused() {
        assert!(text(vec![b' '; MAX_BYTES + 1], "big").is_err());
        assert!(text(vec![0xff, 0xfe], "binary").is_err());
        assert_eq!(
            text(b"openapi: 3.0.1".to_vec(), "ok").unwrap(),
            "openapi: 3.0.1"
        );
    }
}
