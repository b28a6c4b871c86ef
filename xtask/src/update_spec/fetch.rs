//! Reads the upstream document named on the command line: a file, or an `https://` URL.
//!
//! Fetching uses the library's stack (reqwest, rustls with *ring*, the platform's
//! certificate verifier) set up here rather than by depending on `keyapi-tiktok`: xtask must
//! build even when the generated crate it rewrites does not. Every input is bounded before
//! it is read ([`MAX_DOCUMENT_BYTES`]), and a redirect is followed only to `https://`.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use keyapi_tiktok_spec::MAX_DOCUMENT_BYTES;

/// How long a download may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(120);

/// How many redirects a download follows.
const MAX_REDIRECTS: usize = 5;

/// The text of `source`: an `https://` URL is downloaded, anything else is a file path.
pub(super) fn read_source(source: &str) -> Result<String> {
    if source.starts_with("https://") {
        return fetch(source);
    }
    if source.starts_with("http://") {
        bail!("{source}: only https:// URLs are fetched");
    }
    // The error names the file.
    keyapi_tiktok_spec::read_text(source.as_ref()).map_err(|error| anyhow!("{error}"))
}

/// Why a redirect to `next`, after `previous` redirects, is not followed; `None` to
/// follow it.
fn redirect_refusal(next: &reqwest::Url, previous: usize) -> Option<String> {
    if next.scheme() != "https" {
        return Some(format!("a redirect to {next} is not https"));
    }
    if previous >= MAX_REDIRECTS {
        return Some(format!("more than {MAX_REDIRECTS} redirects"));
    }
    None
}

/// Downloads `url`, refusing an error status, a redirect that leaves https and a body
/// over [`MAX_DOCUMENT_BYTES`] (while it arrives).
fn fetch(url: &str) -> Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime that downloads the document")?;
    let bytes = runtime.block_on(async {
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            match redirect_refusal(attempt.url(), attempt.previous().len()) {
                Some(refusal) => attempt.error(refusal),
                None => attempt.follow(),
            }
        });
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .redirect(redirects)
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
            if (bytes.len() + chunk.len()) as u64 > MAX_DOCUMENT_BYTES {
                bail!("{url}: larger than {MAX_DOCUMENT_BYTES} bytes, not an OpenAPI document");
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    })?;
    String::from_utf8(bytes).with_context(|| format!("{url}: not UTF-8 text"))
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
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
    fn oversized_or_binary_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path.to_string_lossy().into_owned()
        };
        let big = usize::try_from(MAX_DOCUMENT_BYTES).unwrap() + 1;
        let message = read_source(&file("big", &vec![b' '; big]))
            .unwrap_err()
            .to_string();
        assert!(message.contains("larger than"), "{message}");
        let message = read_source(&file("binary", &[0xff, 0xfe]))
            .unwrap_err()
            .to_string();
        assert!(message.contains("not UTF-8"), "{message}");
        assert_eq!(
            read_source(&file("ok", b"openapi: 3.0.1")).unwrap(),
            "openapi: 3.0.1"
        );
    }

    #[test]
    fn redirects_are_followed_only_to_https_and_only_so_far() {
        let url = |text: &str| reqwest::Url::parse(text).unwrap();
        assert_eq!(
            redirect_refusal(&url("https://docs.example/doc.json"), 0),
            None
        );
        let refusal = redirect_refusal(&url("http://docs.example/doc.json"), 0).unwrap();
        assert_eq!(
            refusal,
            "a redirect to http://docs.example/doc.json is not https"
        );
        assert!(redirect_refusal(&url("ftp://docs.example/doc.json"), 0).is_some());
        assert!(redirect_refusal(&url("https://docs.example/"), MAX_REDIRECTS).is_some());
    }

    /// A loopback HTTP server answering every connection with `response`, and the count
    /// of connections it accepted.
    fn serve(response: String) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counted.fetch_add(1, Ordering::SeqCst);
                let mut request = [0_u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        (url, hits)
    }

    /// The download's redirect policy follows only `https://` locations: a redirect to
    /// plain http is refused before anything is sent there. (Loopback http is the only
    /// server a test can start, so the first hop is http here; `read_source` refuses an
    /// http SOURCE before downloading.)
    #[test]
    fn a_redirect_to_plain_http_is_refused_before_it_is_followed() {
        let body = "openapi: 3.0.1\n";
        let (target, hits) = serve(format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ));
        let (redirector, _) = serve(format!(
            "HTTP/1.1 302 Found\r\nLocation: {target}/doc.json\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        ));
        let error = fetch(&redirector).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("redirect"), "{message}");
        assert!(message.contains("not https"), "{message}");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "nothing was sent to {target}"
        );
    }

    /// A SOURCE file is read at most one byte past the bound: `/dev/zero`, which never
    /// ends, is refused without reading it whole.
    #[test]
    fn a_source_without_end_is_refused_at_the_bound() {
        if std::path::Path::new("/dev/zero").exists() {
            let message = format!("{:#}", read_source("/dev/zero").unwrap_err());
            assert!(message.contains("larger than"), "{message}");
        }
    }
}
