//! The client the shared flags describe: the key from the environment, the connection
//! flags, the credit budget and the response cache.

use keyapi_tiktok::{API_KEY_ENV, Cache, Client, ClientBuilder, RetryPolicy};

use crate::failure::Failure;
use crate::flags::{CacheOptions, ConnectionArgs};
use crate::logging;

/// A client from `KEYAPI_API_KEY`, the connection flags and the credit budget (`--budget`);
/// `cache` is asked for only once the key is known to be there.
pub(crate) fn client(
    connection: &ConnectionArgs,
    budget: Option<u64>,
    cache: impl FnOnce() -> Option<Cache>,
) -> Result<Client, Failure> {
    let mut builder = client_builder(connection)?;
    if let Some(credits) = budget {
        builder = builder.credit_budget(credits);
    }
    if let Some(cache) = cache() {
        builder = builder.cache(cache);
    }
    Ok(builder.build()?)
}

/// A client builder from `KEYAPI_API_KEY` and the connection flags, refused (exit 2,
/// nothing sent) when the key is not set.
pub(crate) fn client_builder(connection: &ConnectionArgs) -> Result<ClientBuilder, Failure> {
    if std::env::var_os(API_KEY_ENV).is_none_or(|key| key.is_empty()) {
        return Err(Failure::Usage(format!(
            "{API_KEY_ENV} is not set: export your KeyAPI key as {API_KEY_ENV}"
        )));
    }
    let mut builder = ClientBuilder::from_env()
        .timeout(connection.timeout)
        .retry(RetryPolicy {
            max_attempts: connection.max_retries.saturating_add(1),
            ..RetryPolicy::default()
        });
    if let Some(base_url) = &connection.base_url {
        builder = builder.base_url(base_url.clone());
    }
    if let Some(qps) = connection.qps {
        builder = builder.requests_per_second(qps);
    }
    Ok(builder)
}

/// The cache to use, unless `--no-cache`; a directory that cannot be written costs one
/// warning and the cache, never the run.
pub(crate) fn usable_cache(options: CacheOptions, quiet: bool) -> Option<Cache> {
    if options.no_cache {
        return None;
    }
    let checked = options.dir.path().and_then(|dir| {
        let cache = Cache::new(dir);
        cache.ensure_writable()?;
        Ok(cache)
    });
    match checked {
        Ok(cache) => Some(cache),
        Err(failure) => {
            logging::warn(
                quiet,
                &format!("{}; continuing without the cache", failure.message()),
            );
            None
        }
    }
}
