//! The API key removed from what upstream sends: the whole key, and any run of it long
//! enough to identify it, before the text reaches an error, a page, a log or a report.

use std::borrow::Cow;

use memchr::memmem::Finder;

use crate::Error;

/// The shortest run of the key's characters that is removed (the whole key when it is
/// shorter). Eight characters of a random key carry about 48 bits: enough to single the
/// key out, or to cut a search for it down to nothing, so they must not be shown. A
/// shorter run would match ordinary text (a common prefix such as `sk-`, words, numbers)
/// and remove it for nothing, while revealing little of the key.
pub(crate) const MIN_RUN: usize = 8;

/// What a removed run is replaced with.
const REDACTED: &[u8] = b"[redacted]";

/// The length of the pieces a search looks for first: every run of [`MIN_RUN`] characters
/// of the key holds one of its pieces `key[4m..4m + 4]` whole (8 ≥ 2 × 4 − 1).
const PIECE: usize = MIN_RUN / 2;

/// Finds the key in upstream text: every run of [`MIN_RUN`] characters of the key, compared
/// without regard to ASCII case (an upstream that upper- or lower-cases what it echoes
/// still shows the key).
///
/// Each body passes through it, so it searches fast: for the key's pieces (vectorised
/// substring search), then checks the runs around each piece found.
#[derive(Clone)]
pub(crate) struct KeyRedactor {
    /// The key, lower-cased.
    key: Vec<u8>,
    /// The length of a run: [`MIN_RUN`], or the whole key when it is shorter.
    width: usize,
    /// The searches for the pieces, and where each piece starts in the key.
    pieces: Vec<(usize, Finder<'static>)>,
}

impl KeyRedactor {
    /// The redactor for `key`: the key as sent, printable ASCII.
    pub(crate) fn new(key: &str) -> KeyRedactor {
        let key = key.to_ascii_lowercase().into_bytes();
        let width = key.len().clamp(1, MIN_RUN);
        // A key shorter than a run is searched for whole.
        let piece = if width < MIN_RUN { width } else { PIECE };
        let pieces = key
            .chunks_exact(piece)
            .enumerate()
            .map(|(i, chunk)| (i * piece, Finder::new(chunk).into_owned()))
            .collect();
        KeyRedactor { key, width, pieces }
    }

    /// `text` with each stretch covered by runs of the key replaced by `[redacted]`.
    ///
    /// Only ASCII bytes ever match (the key is ASCII), so UTF-8 text stays UTF-8.
    pub(crate) fn redact_bytes<'a>(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        if text.len() < self.width {
            return Cow::Borrowed(text);
        }
        // Lower-cased in one pass into a new buffer (`to_ascii_lowercase` copies the text,
        // then lower-cases the copy: two passes over every body).
        let lower: Vec<u8> = text.iter().map(u8::to_ascii_lowercase).collect();
        let mut covered: Vec<(usize, usize)> = Vec::new();
        for (at, finder) in &self.pieces {
            for found in finder.find_iter(&lower) {
                // Each run of the key holding this piece, where the text would hold it.
                let first_run = (at + finder.needle().len()).saturating_sub(self.width);
                let last_run = (*at).min(self.key.len().saturating_sub(self.width));
                for run in first_run..=last_run {
                    let Some(start) = found.checked_sub(at - run) else {
                        continue;
                    };
                    let end = start + self.width;
                    let seen = lower.get(start..end);
                    if seen.is_some() && seen == self.key.get(run..run + self.width) {
                        covered.push((start, end));
                    }
                }
            }
        }
        if covered.is_empty() {
            return Cow::Borrowed(text);
        }
        covered.sort_unstable();
        let mut out = Vec::with_capacity(text.len());
        let mut copied = 0;
        let mut stretches = covered.into_iter();
        let Some((mut first, mut last)) = stretches.next() else {
            return Cow::Borrowed(text);
        };
        for (start, end) in stretches {
            if start <= last {
                last = last.max(end);
                continue;
            }
            replace(&mut out, text, &mut copied, first, last);
            (first, last) = (start, end);
        }
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
    fn runs_at_either_end_of_a_key_of_any_length_are_found() {
        for length in 1..=40 {
            let key: String = "Ab3-xY9_qZ7.mN5~pL1+kJ8/hG2=fD6"
                .chars()
                .cycle()
                .take(length)
                .collect();
            let width = length.min(MIN_RUN);
            for start in 0..=length - width {
                let run = &key[start..start + width];
                let text = format!("é {} é", run.to_ascii_uppercase());
                assert_eq!(redact(&key, &text), "é [redacted] é", "{key} {run}");
            }
        }
        assert_eq!(redact("", "text"), "text");
    }

    /// What `redact` must cover, by brute force: every run of the key at every offset.
    fn covered_naively(key: &str, text: &[u8]) -> Vec<bool> {
        let key = key.to_ascii_lowercase().into_bytes();
        let width = key.len().clamp(1, MIN_RUN);
        let mut covered = vec![false; text.len()];
        for start in 0..text.len().saturating_sub(width - 1) {
            let seen = &text[start..start + width];
            if key.windows(width).any(|run| seen.eq_ignore_ascii_case(run)) {
                covered[start..start + width].fill(true);
            }
        }
        covered
    }

    #[test]
    fn every_run_at_every_offset_is_found_as_by_brute_force() {
        let key = "Ab3-xY9_qZ7.mN5~pL1+kJ8/hG2=fD6";
        // Runs of the key in mixed case at every offset, between bytes the case fold
        // confuses with the key's (`@`/`` ` ``, `[`/`{`, control characters/digits).
        let fillers: [&[u8]; 4] = [b"", b"@`[{", b"\x13\x19\x0e", "é✓".as_bytes()];
        for filler in fillers {
            for offset in 0..MIN_RUN {
                for (start, length) in [(0, 8), (3, 8), (0, 31), (20, 11), (5, 9)] {
                    let mut text = filler.repeat(3);
                    text.extend(std::iter::repeat_n(b'.', offset));
                    let run = &key[start..start + length];
                    let run: String = run
                        .chars()
                        .enumerate()
                        .map(|(i, c)| {
                            if i % 3 == 0 {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        })
                        .collect();
                    text.extend_from_slice(run.as_bytes());
                    text.extend_from_slice(filler);
                    text.extend_from_slice(&run.as_bytes()[..7]);
                    let covered = covered_naively(key, &text);
                    let expected: Vec<u8> = text
                        .iter()
                        .zip(&covered)
                        .enumerate()
                        .flat_map(|(i, (&b, &c))| match (c, i > 0 && covered[i - 1]) {
                            (false, _) => vec![b],
                            (true, false) => REDACTED.to_vec(),
                            (true, true) => vec![],
                        })
                        .collect();
                    let redacted = KeyRedactor::new(key).redact_bytes(&text).into_owned();
                    assert_eq!(redacted, expected, "{filler:?} {offset} {run}");
                }
            }
        }
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
