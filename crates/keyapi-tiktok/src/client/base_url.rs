//! Checks a base URL before the key is sent to it, and shows refused ones without secrets.

use url::{Host, Url};

use crate::Error;

/// How much of a refused base URL an error shows.
const SHOWN_BYTES: usize = 200;

/// Refuses URLs that would leak the key or misroute requests: plain http to another
/// machine, credentials or a query inside the URL, a fragment. Returns the URL without a
/// trailing slash.
pub(crate) fn checked_base_url(raw: &str) -> Result<String, Error> {
    let refuse = || {
        Error::invalid_input(
            "base_url",
            redacted(raw),
            "an https:// URL (plain http:// only to localhost), without credentials, \
             query or fragment",
        )
    };
    let url = Url::parse(raw.trim()).map_err(|_| refuse())?;
    let allowed = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(&url),
        _ => false,
    };
    if !allowed
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(refuse());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether the URL names this machine.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `raw` with its userinfo, query and fragment replaced by `<redacted>`, control
/// characters removed and its length bounded; works on text that is not a URL too.
pub(crate) fn redacted(raw: &str) -> String {
    let raw: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    let (rest, fragment) = match raw.split_once('#') {
        Some((rest, _)) => (rest, "#<redacted>"),
        None => (raw.as_str(), ""),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, _)) => (rest, "?<redacted>"),
        None => (rest, ""),
    };
    let (scheme, after_scheme) = match rest.split_once("://") {
        Some((scheme, after)) => (format!("{scheme}://"), after),
        None => (String::new(), rest),
    };
    let authority_end = after_scheme.find('/').unwrap_or(after_scheme.len());
    let (authority, path) = after_scheme.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("<redacted>@{host}"),
        None => authority.to_owned(),
    };
    let shown = format!("{scheme}{authority}{path}{query}{fragment}");
    crate::error::bounded(shown, SHOWN_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_that_would_leak_the_key_are_refused() {
        for ok in [
            "https://api.keyapi.ai",
            "https://api.keyapi.ai/",
            "http://127.0.0.1:8080",
            "http://localhost:1/",
            "http://[::1]:9",
        ] {
            assert!(checked_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.keyapi.ai",
            "http://10.0.0.1",
            "https://user:pw@api.keyapi.ai",
            "ftp://x",
            "api.keyapi.ai",
            "https://api.keyapi.ai/?key=1",
            "https://api.keyapi.ai/#v1",
        ] {
            let error = checked_base_url(bad).unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::InvalidInput {
                        parameter: "base_url",
                        ..
                    }
                ),
                "{bad}"
            );
        }
        assert_eq!(
            checked_base_url("https://api.keyapi.ai/").unwrap(),
            "https://api.keyapi.ai"
        );
    }

    #[test]
    fn redaction_hides_userinfo_query_and_fragment() {
        for (raw, shown) in [
            (
                "https://u:sk-1@host/p?api_key=sk-2#sk-3",
                "https://<redacted>@host/p?<redacted>#<redacted>",
            ),
            ("https://host/v1", "https://host/v1"),
            ("not a url ?api_key=sk-1", "not a url ?<redacted>"),
            ("sk-1@host", "<redacted>@host"),
        ] {
            assert_eq!(redacted(raw), shown);
        }
    }
}
