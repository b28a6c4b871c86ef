//! The API key removed from what upstream sends: the whole key, and any run of it long
//! enough to identify it, before the text reaches an error, a page, a log or a report.

use std::borrow::Cow;

use crate::Error;

/// The shortest run of the key's characters that is removed (the whole key when it is
/// shorter). Eight characters of a random key carry about 48 bits: enough to single the
/// key out, or to cut a search for it down to nothing, so they must not be shown. A
/// shorter run would match ordinary text (a common prefix such as `sk-`, words, numbers)
/// and remove it for nothing, while revealing little of the key.
pub(crate) const MIN_RUN: usize = 8;

/// What a removed run is replaced with.
const REDACTED: &[u8] = b"[redacted]";

/// Finds the key in upstream text: every run of [`MIN_RUN`] characters of the key, compared
/// without regard to ASCII case (an upstream that upper- or lower-cases what it echoes
/// still shows the key).
#[derive(Clone)]
pub(crate) struct KeyRedactor {
    /// Each run of the key, lower-cased and packed into a `u64`, sorted.
    runs: Vec<u64>,
    /// The length of a run: [`MIN_RUN`], or the whole key when it is shorter.
    width: usize,
    /// Which lower-cased bytes occur in the key: a run can only start among them.
    in_key: [bool; 256],
}

impl KeyRedactor {
    /// The redactor for `key`: the key as sent, printable ASCII.
    pub(crate) fn new(key: &str) -> KeyRedactor {
        let key = key.as_bytes();
        let width = key.len().clamp(1, MIN_RUN);
        let mut in_key = [false; 256];
        for &byte in key {
            in_key[usize::from(byte.to_ascii_lowercase())] = true;
        }
        let mut runs: Vec<u64> = key.windows(width).map(pack).collect();
        runs.sort_unstable();
        runs.dedup();
        KeyRedactor {
            runs,
            width,
            in_key,
        }
    }

    /// `text` with each stretch covered by runs of the key replaced by `[redacted]`.
    ///
    /// Only ASCII bytes ever match (the key is ASCII), so UTF-8 text stays UTF-8.
    pub(crate) fn redact_bytes<'a>(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        let mut redacted: Option<Vec<u8>> = None;
        let mut copied = 0;
        // The stretch being covered, `start..end`, not yet replaced.
        let mut stretch: Option<(usize, usize)> = None;
        let mut in_key_run = 0;
        for (end, &byte) in text.iter().enumerate().map(|(i, byte)| (i + 1, byte)) {
            if !self.in_key[usize::from(byte.to_ascii_lowercase())] {
                in_key_run = 0;
                continue;
            }
            in_key_run += 1;
            if in_key_run < self.width {
                continue;
            }
            let start = end - self.width;
            if self.runs.binary_search(&pack(&text[start..end])).is_err() {
                continue;
            }
            stretch = match stretch {
                Some((first, last)) if start <= last => Some((first, end)),
                previous => {
                    if let Some((first, last)) = previous {
                        let out = redacted.get_or_insert_with(Vec::new);
                        replace(out, text, &mut copied, first, last);
                    }
                    Some((start, end))
                }
            };
        }
        let Some((first, last)) = stretch else {
            return Cow::Borrowed(text);
        };
        let mut out = redacted.unwrap_or_default();
        replace(&mut out, text, &mut copied, first, last);
        out.extend_from_slice(&text[copied..]);
        Cow::Owned(out)
    }

    /// [`redact_bytes`](KeyRedactor::redact_bytes) for a string.
    pub(crate) fn redact(&self, text: String) -> String {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => text,
            Cow::Owned(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

/// Copies `text[copied..first]` and the replacement for `first..last` into `out`.
fn replace(out: &mut Vec<u8>, text: &[u8], copied: &mut usize, first: usize, last: usize) {
    out.extend_from_slice(&text[*copied..first]);
    out.extend_from_slice(REDACTED);
    *copied = last;
}

/// Up to eight bytes, lower-cased, as one number.
fn pack(run: &[u8]) -> u64 {
    run.iter().fold(0, |packed, byte| {
        packed << 8 | u64::from(byte.to_ascii_lowercase())
    })
}

impl Error {
    /// The error with the key removed from every text upstream could have put in it.
    pub(crate) fn redacted(self, key: &KeyRedactor) -> Error {
        match self {
            Error::Authentication(failure) => Error::Authentication(failure.redacted(key)),
            Error::CreditsExhausted(failure) => Error::CreditsExhausted(failure.redacted(key)),
            Error::RateLimited(failure) => Error::RateLimited(failure.redacted(key)),
            Error::BadRequest(failure) => Error::BadRequest(failure.redacted(key)),
            Error::Server(failure) => Error::Server(failure.redacted(key)),
            Error::Api(failure) => Error::Api(failure.redacted(key)),
            Error::Decode {
                status,
                reason,
                excerpt,
            } => Error::Decode {
                status,
                reason: key.redact(reason),
                excerpt: key.redact(excerpt),
            },
            Error::Redirect {
                status,
                location_host,
            } => Error::Redirect {
                status,
                location_host: location_host.map(|host| key.redact(host)),
            },
            // The others hold no upstream text: the caller's own input, a count, a page
            // number, the HTTP stack's error (whose URL never holds the key).
            other => other,
        }
    }
}

impl crate::ApiFailure {
    fn redacted(mut self, key: &KeyRedactor) -> crate::ApiFailure {
        self.message = key.redact(self.message);
        self.request_id = self.request_id.map(|id| key.redact(id));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(key: &str, text: &str) -> String {
        KeyRedactor::new(key).redact(text.to_owned())
    }

    #[test]
    fn the_key_and_runs_of_eight_of_its_characters_are_removed_in_any_case() {
        let key = "sk-live-SECRET-1234";
        assert_eq!(
            redact(key, "bad key sk-live-SECRET-1234!"),
            "bad key [redacted]!"
        );
        assert_eq!(redact(key, "SK-LIVE-secret-1234"), "[redacted]");
        assert_eq!(redact(key, "…live-SECRET-12…"), "…[redacted]…");
        // Two runs of the key side by side, and two apart.
        assert_eq!(redact(key, "SECRET-1234sk-live-"), "[redacted]");
        assert_eq!(
            redact(key, "sk-live-S / CRET-1234"),
            "[redacted] / [redacted]"
        );
        // Seven characters are not enough to identify the key; other text is untouched.
        assert_eq!(redact(key, "SECRET-"), "SECRET-");
        assert_eq!(
            redact(key, "qps limit exceeded, é ✓"),
            "qps limit exceeded, é ✓"
        );
    }

    #[test]
    fn a_key_shorter_than_a_run_is_removed_whole() {
        assert_eq!(
            redact("k3y", "key k3y and K3Y, not k3"),
            "key [redacted] and [redacted], not k3"
        );
    }

    #[test]
    fn text_without_the_key_is_not_copied() {
        let redactor = KeyRedactor::new("sk-live-SECRET-1234");
        assert!(matches!(
            redactor.redact_bytes(b"sk-live"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(redactor.redact_bytes(b""), Cow::Borrowed(_)));
    }
}
