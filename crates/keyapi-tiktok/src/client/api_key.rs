//! The API key as a secret: sent only as a sensitive header, never printed.

use std::fmt;

use reqwest::header::HeaderValue;

use crate::Error;
use crate::client::redact::KeyRedactor;

/// An API key. It is sent only as a sensitive `Authorization: Bearer` header and is never
/// printed: `Debug` shows `ApiKey(<redacted>)` and there is no `Display`.
///
/// ```
/// let key = keyapi_tiktok::ApiKey::new("sk-secret");
/// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// What removes this key from upstream text.
    pub(crate) fn redactor(&self) -> KeyRedactor {
        KeyRedactor::new(self.0.trim())
    }

    pub(crate) fn header_value(&self) -> Result<HeaderValue, Error> {
        let key = self.0.trim();
        let invalid = |expected| Error::invalid_input("api_key", "<redacted>", expected);
        if key.is_empty() {
            return Err(invalid("a non-empty API key"));
        }
        let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| invalid("an API key of printable ASCII characters"))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}
