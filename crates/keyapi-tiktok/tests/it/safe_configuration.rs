//! Settings that could leak the key or panic: proxies from the environment, base URLs
//! with secrets or fragments, rates and limits out of range.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::raw::read_request_head;
use crate::common::{assert_secret_free, builder, mount_any, page, query};
use keyapi_tiktok::{Error, RetryPolicy};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use wiremock::MockServer;

const CHILD_BASE_URL: &str = "KEYAPI_TEST_CHILD_BASE_URL";

/// Run by the proxy tests in a child process with proxy variables set: one request.
#[tokio::test]
#[ignore = "run by the proxy tests with a proxy in the environment"]
async fn proxy_child_request() {
    let base_url = std::env::var(CHILD_BASE_URL).expect("set by the parent test");
    let client = builder(&base_url)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let _ = client.video_ranking_page(&query()).await;
}

/// A fake proxy recording what each connection sent it, answering 502.
async fn fake_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let head = read_request_head(&mut socket).await;
            record
                .lock()
                .expect("seen")
                .push(String::from_utf8_lossy(&head).into_owned());
            let _ = socket
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    (url, seen)
}

/// Runs [`proxy_child_request`] against `base_url` with every proxy variable set to `proxy`.
fn run_child_through(proxy: &str, base_url: &str) {
    let status = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "safe_configuration::proxy_child_request",
            "--exact",
            "--ignored",
            "--quiet",
        ])
        .env(CHILD_BASE_URL, base_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("REQUEST_METHOD")
        .envs(
            [
                "HTTP_PROXY",
                "http_proxy",
                "HTTPS_PROXY",
                "https_proxy",
                "ALL_PROXY",
                "all_proxy",
            ]
            .map(|name| (name, proxy)),
        )
        .status()
        .expect("the child runs");
    assert!(status.success());
}

#[tokio::test]
async fn a_plain_http_base_url_never_goes_through_an_environment_proxy() {
    let (proxy, seen) = fake_proxy().await;
    let server = MockServer::start().await;
    mount_any(&server, page(1, 10), 1).await;
    let base_url = server.uri();
    tokio::task::spawn_blocking(move || run_child_through(&proxy, &base_url))
        .await
        .expect("joined");
    assert_eq!(seen.lock().expect("seen").clone(), Vec::<String>::new());
}

#[tokio::test]
async fn an_https_base_url_still_uses_an_environment_proxy_through_connect() {
    let (proxy, seen) = fake_proxy().await;
    tokio::task::spawn_blocking(move || run_child_through(&proxy, "https://api.keyapi.invalid"))
        .await
        .expect("joined");
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("CONNECT api.keyapi.invalid:443"),
        "{seen:?}"
    );
    assert!(!seen[0].contains("SECRET"), "{seen:?}");
}

// 6. Base URLs.

#[test]
fn base_urls_with_secrets_are_refused_without_showing_them() {
    for url in [
        "https://user:sk-live-SECRET-1234@api.keyapi.ai",
        "https://api.keyapi.ai/?api_key=sk-live-SECRET-1234",
        "http://user:sk-live-SECRET-1234@api.keyapi.ai/?api_key=sk-live-SECRET-1234",
        "not a url ?api_key=sk-live-SECRET-1234",
        "ftp://sk-live-SECRET-1234@x",
    ] {
        let error = builder(url).build().expect_err(url);
        assert!(
            matches!(
                error,
                Error::InvalidInput {
                    parameter: "base_url",
                    ..
                }
            ),
            "{error:?}"
        );
        assert_secret_free(&error);
    }
}

#[test]
fn a_base_url_with_a_fragment_is_refused() {
    let error = builder("https://api.keyapi.ai/#v1")
        .build()
        .expect_err("a fragment");
    assert!(
        matches!(
            error,
            Error::InvalidInput {
                parameter: "base_url",
                ..
            }
        ),
        "{error:?}"
    );
}

// 7. No panic from any setting: each is refused at build() naming it and its range.

#[test]
fn out_of_range_settings_are_refused_at_build_naming_the_setting() {
    let base = || builder("http://127.0.0.1:9");
    let cases = [
        ("requests_per_second", base().requests_per_second(1e-300)),
        ("requests_per_second", base().requests_per_second(1e300)),
        ("requests_per_second", base().requests_per_second(f64::NAN)),
        ("max_in_flight", base().max_in_flight(usize::MAX)),
        ("max_in_flight", base().max_in_flight(0)),
        ("timeout", base().timeout(Duration::ZERO)),
        ("timeout", base().timeout(Duration::MAX)),
        ("connect_timeout", base().connect_timeout(Duration::MAX)),
        (
            "retry.max_attempts",
            base().retry(RetryPolicy {
                max_attempts: 0,
                ..RetryPolicy::default()
            }),
        ),
        (
            "retry.max_attempts",
            base().retry(RetryPolicy {
                max_attempts: u32::MAX,
                ..RetryPolicy::default()
            }),
        ),
        (
            "retry.max_delay",
            base().retry(RetryPolicy {
                max_delay: Duration::MAX,
                ..RetryPolicy::default()
            }),
        ),
        (
            "retry.base_delay",
            base().retry(RetryPolicy {
                base_delay: Duration::from_secs(60),
                max_delay: Duration::from_secs(1),
                ..RetryPolicy::default()
            }),
        ),
        (
            "retry.max_retry_after",
            base().retry(RetryPolicy {
                max_retry_after: Duration::MAX,
                ..RetryPolicy::default()
            }),
        ),
        (
            "retry.max_elapsed",
            base().retry(RetryPolicy {
                max_elapsed: Duration::MAX,
                ..RetryPolicy::default()
            }),
        ),
    ];
    for (setting, builder) in cases {
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || builder.build()));
        if let Ok(Err(error)) = &result {
            let shown = error.to_string();
            assert!(shown.len() < 200, "{setting}: {shown}");
        }
        let error = result.unwrap_or_else(|_| panic!("{setting}: build() panicked"));
        match error {
            Err(Error::InvalidInput {
                parameter,
                expected,
                ..
            }) => {
                assert_eq!(parameter, setting);
                assert!(
                    expected.contains(".."),
                    "{setting}: no range in {expected:?}"
                );
            }
            other => panic!("{setting}: {other:?}"),
        }
    }
}
