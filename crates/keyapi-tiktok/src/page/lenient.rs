//! Any JSON value a standard parser (Python's `json`) accepts, read exactly and leniently,
//! with what had to change said: a lone surrogate escape becomes U+FFFD, a number no
//! `serde_json::Number` holds exactly keeps its digits as text, a value nested deeper than
//! [`MAX_DEPTH`] levels is dropped. Never recursion deeper than that.
//!
//! Values are read from the raw text serde_json skips over (`RawValue`: it checks the
//! syntax without building anything, at any depth), one level at a time.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

/// The deepest nesting of arrays and objects a value may have; serde_json's own limit, so
/// a value kept here can be serialised and parsed again.
pub(crate) const MAX_DEPTH: usize = 128;

/// What reading a value had to change, each a field issue of its own.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Caveats {
    /// A lone surrogate escape became U+FFFD.
    pub(crate) surrogate: bool,
    /// A number was kept as the text of its digits.
    pub(crate) number_as_text: bool,
    /// A value nested too deep was dropped.
    pub(crate) too_deep: bool,
}

impl Caveats {
    pub(crate) const SURROGATE: &str = "a lone surrogate escape (half of an emoji) became U+FFFD";
    pub(crate) const NUMBER_AS_TEXT: &str =
        "a number no 64-bit integer or float holds exactly: its digits are kept as text";
    pub(crate) const TOO_DEEP: &str = "nested deeper than 128 levels: the value is dropped";

    pub(crate) fn any(self) -> bool {
        self != Caveats::default()
    }

    fn add(&mut self, other: Caveats) {
        self.surrogate |= other.surrogate;
        self.number_as_text |= other.number_as_text;
        self.too_deep |= other.too_deep;
    }

    /// The problem of each caveat, as a field issue states it.
    pub(crate) fn problems(self) -> impl Iterator<Item = &'static str> {
        [
            (self.surrogate, Caveats::SURROGATE),
            (self.number_as_text, Caveats::NUMBER_AS_TEXT),
            (self.too_deep, Caveats::TOO_DEEP),
        ]
        .into_iter()
        .filter_map(|(set, problem)| set.then_some(problem))
    }
}

/// A value read from its raw text; `None` when any part of it is nested too deep to keep
/// (the whole value goes, not its deepest part alone).
pub(crate) fn value(raw: &RawValue) -> (Option<Value>, Caveats) {
    let mut caveats = Caveats::default();
    if nests_too_deep(raw.get()) {
        caveats.too_deep = true;
        return (None, caveats);
    }
    let value = read(raw.get(), 0, &mut caveats);
    (value.filter(|_| !caveats.too_deep), caveats)
}

/// Whether `raw` (valid JSON) nests arrays and objects deeper than [`MAX_DEPTH`]: one pass
/// over its bytes, so that a hostile nest costs its length once, not once a level.
fn nests_too_deep(raw: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in raw.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A value at `depth` containers down; a container at [`MAX_DEPTH`] is dropped.
fn read(raw: &str, depth: usize, caveats: &mut Caveats) -> Option<Value> {
    let raw = raw.trim_matches([' ', '\t', '\n', '\r']);
    match raw.as_bytes().first() {
        Some(b'{' | b'[') if depth >= MAX_DEPTH => {
            caveats.too_deep = true;
            None
        }
        Some(b'{') => {
            let mut object = Map::new();
            for (LenientStr(key, key_caveats), raw) in members(raw)? {
                caveats.add(key_caveats);
                if let Some(value) = read(raw.get(), depth + 1, caveats) {
                    object.insert(key, value);
                }
            }
            Some(Value::Object(object))
        }
        Some(b'[') => {
            let elements: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
            let elements = elements
                .into_iter()
                .filter_map(|raw| read(raw.get(), depth + 1, caveats));
            Some(Value::Array(elements.collect()))
        }
        Some(b'"') => Some(Value::String(string(raw, caveats)?)),
        Some(b'-' | b'0'..=b'9') => Some(number(raw, caveats)),
        _ => serde_json::from_str(raw).ok(),
    }
}

/// The members of an object's raw text, keys read leniently, in the order received.
fn members(raw: &str) -> Option<Vec<(LenientStr, &RawValue)>> {
    let every_one = MembersSeed {
        known: |_| false,
        budget: usize::MAX,
    };
    let members = every_one
        .deserialize(&mut serde_json::Deserializer::from_str(raw))
        .ok()?;
    Some(members.kept)
}

/// A string's raw text (quotes included) as a `String`, lone surrogates replaced.
fn string(raw: &str, caveats: &mut Caveats) -> Option<String> {
    if let Ok(text) = serde_json::from_str::<String>(raw) {
        return Some(text);
    }
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    let text = LenientStr::default().deserialize(&mut deserializer).ok()?;
    caveats.add(text.1);
    Some(text.0)
}

/// A number's raw text as a `serde_json::Number` when one holds it exactly (as serde_json
/// would read it), else as the text of its digits.
fn number(raw: &str, caveats: &mut Caveats) -> Value {
    match serde_json::from_str::<Number>(raw) {
        Ok(n) if n.is_i64() || n.is_u64() => return Value::Number(n),
        Ok(n) if n.as_f64().is_some_and(|f| same_digits(raw, f)) => return Value::Number(n),
        _ => {}
    }
    caveats.number_as_text = true;
    Value::String(raw.to_owned())
}

/// Whether `f` prints as the very number `text` writes (`1e3` is `1000.0`; `0.1` is the
/// `f64` nearest to it, and prints back as `0.1`).
fn same_digits(text: &str, f: f64) -> bool {
    decimal(text).is_some_and(|written| decimal(&format!("{f:e}")) == Some(written))
}

/// A decimal number's sign, significant digits and power of ten: `-12.50e3` is
/// `(true, "125", 2)`; zero is `(sign, "", 0)`.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let shift = i64::try_from(fraction.len()).ok()?;
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    let significant = digits.trim_end_matches('0');
    if significant.is_empty() {
        return Some((negative, String::new(), 0));
    }
    let trailing = i64::try_from(digits.len() - significant.len()).ok()?;
    let power = exponent.checked_sub(shift)?.checked_add(trailing)?;
    Some((negative, significant.to_owned(), power))
}

/// The integer a number's text writes, exactly (`12`, `12.0`, `1.2e1`, `-0`); `None` for a
/// fraction, a number beyond `i64`, or text that is not a number.
pub(crate) fn exact_integer(text: &str) -> Option<i64> {
    let (negative, digits, power) = decimal(text)?;
    if digits.is_empty() {
        return Some(0);
    }
    let zeros = usize::try_from(power).ok()?;
    if digits.len().saturating_add(zeros) > 19 {
        return None;
    }
    let sign = if negative { "-" } else { "" };
    format!("{sign}{digits}{}", "0".repeat(zeros)).parse().ok()
}

/// The bytes of unknown members an item (or the envelope) keeps, each counted as
/// [`unknown_bytes`] does: 8 MiB of tiny unknown fields would take ten times that once
/// built, so past these the others are skipped.
pub(crate) const MAX_UNKNOWN_BYTES: usize = 256 << 10;

/// What an unknown member counts against [`MAX_UNKNOWN_BYTES`]: its name, its raw value,
/// and 64 bytes for the map entry that holds it.
pub(crate) fn unknown_bytes(name: &str, raw: &RawValue) -> usize {
    name.len() + raw.get().len() + 64
}

/// Reads an object's members, keys leniently, values left raw: the last of each member
/// `known` names, and the others (repeated ones too) while their raw values stay within
/// `budget` bytes.
pub(crate) struct MembersSeed {
    pub(crate) known: fn(&str) -> bool,
    pub(crate) budget: usize,
}

/// An object's members as [`MembersSeed`] keeps them: the known ones, then the others in
/// the order received.
pub(crate) struct Members<'a> {
    pub(crate) kept: Vec<(LenientStr, &'a RawValue)>,
    /// The first unknown member skipped past the budget, and how many were.
    pub(crate) skipped: Option<(String, usize)>,
}

impl<'de> DeserializeSeed<'de> for MembersSeed {
    type Value = Members<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Members<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> de::Visitor<'de> for MembersSeed {
    type Value = Members<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let (mut known, mut kept) = (Vec::<(LenientStr, _)>::new(), Vec::new());
        let (mut skipped, mut unknown_bytes) = (None, 0usize);
        while let Some(key) = map.next_key_seed(LenientStr::default())? {
            let raw = map.next_value::<&RawValue>()?;
            if (self.known)(&key.0) {
                // Repeated, the last one counts (and a repeat takes no more memory).
                known.retain(|(name, _)| name.0 != key.0);
                known.push((key, raw));
                continue;
            }
            unknown_bytes = unknown_bytes.saturating_add(self::unknown_bytes(&key.0, raw));
            if unknown_bytes <= self.budget {
                kept.push((key, raw));
                continue;
            }
            match &mut skipped {
                None => skipped = Some((key.0, 1)),
                Some((_, count)) => *count += 1,
            }
        }
        known.append(&mut kept);
        Ok(Members {
            kept: known,
            skipped,
        })
    }
}

/// Reads a string (a value or a key) as serde_json's bytes, in which a lone surrogate
/// escape is encoded as WTF-8 (three bytes `ED A0..BF 80..BF`), and replaces each with
/// U+FFFD (three bytes too).
#[derive(Default)]
pub(crate) struct LenientStr(pub(crate) String, pub(crate) Caveats);

impl<'de> DeserializeSeed<'de> for LenientStr {
    type Value = LenientStr;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<LenientStr, D::Error> {
        deserializer.deserialize_bytes(self)
    }
}

impl de::Visitor<'_> for LenientStr {
    type Value = LenientStr;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, text: &str) -> Result<LenientStr, E> {
        Ok(LenientStr(text.to_owned(), Caveats::default()))
    }
    fn visit_bytes<E>(self, bytes: &[u8]) -> Result<LenientStr, E> {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Ok(LenientStr(text.to_owned(), Caveats::default()));
        }
        let mut bytes = bytes.to_vec();
        let mut caveats = Caveats::default();
        let mut i = 0;
        while i + 2 < bytes.len() {
            if bytes[i] == 0xED && (0xA0..=0xBF).contains(&bytes[i + 1]) {
                bytes[i..i + 3].copy_from_slice("\u{fffd}".as_bytes());
                caveats.surrogate = true;
                i += 3;
            } else {
                i += 1;
            }
        }
        // Anything else not UTF-8 (raw invalid bytes in the body) is replaced too.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(LenientStr(text, caveats))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(raw: &str) -> (Option<Value>, Caveats) {
        let raw: &RawValue = serde_json::from_str(raw).unwrap();
        value(raw)
    }

    #[test]
    fn numbers_are_kept_exactly_or_as_their_digits() {
        for (raw, kept) in [
            ("0", true),
            ("-0", true),
            ("1e3", true),
            ("0.1", true),
            ("12.50", true),
            ("-9223372036854775808", true),
            ("18446744073709551615", true),
            ("18446744073709551616", false),
            ("1.00000000000000000001", false),
            ("1e400", false),
            ("1e-400", false),
            ("1e99999999999999999999", false),
        ] {
            let (value, caveats) = read_text(raw);
            assert_eq!(caveats.number_as_text, !kept, "{raw}");
            let value = value.unwrap();
            if kept {
                assert_eq!(value, serde_json::from_str::<Value>(raw).unwrap(), "{raw}");
            } else {
                assert_eq!(value, Value::String(raw.to_owned()));
            }
        }
    }

    #[test]
    fn lone_surrogates_in_keys_and_values_become_replacement_characters() {
        let (value, caveats) = read_text(r#"{"a\udc00":["x\ud83d", "\ud83d\ude00"]}"#);
        assert!(caveats.surrogate);
        assert_eq!(
            value.unwrap(),
            serde_json::json!({"a\u{fffd}": ["x\u{fffd}", "\u{1f600}"]})
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let at = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(!read_text(&at(MAX_DEPTH)).1.any());
        let (value, caveats) = read_text(&at(MAX_DEPTH + 1));
        assert!(caveats.too_deep);
        assert!(value.is_none());
        // Brackets inside strings are text, not nesting.
        let text = format!(r#"["{}\"{}"]"#, "[".repeat(200), "{".repeat(200));
        assert!(!read_text(&text).1.any());
        let (_, caveats) = read_text(&format!(r#"{{"a":{}}}"#, at(1_000_000)));
        assert!(caveats.too_deep);
    }
}
