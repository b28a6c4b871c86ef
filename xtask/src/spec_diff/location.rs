//! Where a change sits in NEW: the line of the keys leading to it, found in the text the
//! way a reader would, for GitHub annotations. Best effort: a key that is not found (a
//! removal, or a schema behind a `$ref`) leaves the line of the last key that was.

/// One step towards a change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Anchor {
    /// Where the search starts over: the keys after it are found from the document's root.
    Root,
    /// A mapping key: `key:`, `'key':`, `"key":`.
    Key(String),
    /// A list entry with this `name` (parameters): `- name: x`, `"name": "x"`.
    Name(String),
}

impl Anchor {
    fn matches(&self, line: &str) -> bool {
        let line = line.trim_start().trim_start_matches("- ");
        match self {
            Anchor::Root => false,
            Anchor::Key(key) => [
                format!("{key}:"),
                format!("'{key}':"),
                format!("\"{key}\":"),
            ]
            .iter()
            .any(|written| line.starts_with(written.as_str())),
            Anchor::Name(name) => {
                let value = line
                    .strip_prefix("name:")
                    .or_else(|| line.strip_prefix("\"name\":"))
                    .map(|value| value.trim().trim_end_matches(',').trim_matches(['"', '\'']));
                value == Some(name.as_str())
            }
        }
    }
}

/// The 1-based line where `anchors` are found one after another in `text`, or the line of
/// the last one found; `None` when not even the first is found.
pub(super) fn locate(text: &str, anchors: &[Anchor]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut found = None;
    for anchor in anchors {
        let Some(index) = (from..lines.len()).find(|&i| anchor.matches(lines[i])) else {
            break;
        };
        found = Some(index + 1);
        from = index + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: &str) -> Anchor {
        Anchor::Key(key.to_owned())
    }

    #[test]
    fn finds_keys_in_order_in_yaml_and_json() {
        let yaml =
            "paths:\n  /a:\n    get:\n      parameters:\n        - name: x\n        - name: y\n";
        let anchors = [
            key("/a"),
            key("get"),
            key("parameters"),
            Anchor::Name("y".into()),
        ];
        assert_eq!(locate(yaml, &anchors), Some(6));
        let json = "{\n  \"paths\": {\n    \"/a\": {\n      \"get\": {\n        \"parameters\": [\n          {\n            \"name\": \"y\",\n";
        assert_eq!(locate(json, &anchors), Some(7));
    }

    #[test]
    fn a_missing_key_leaves_the_last_line_found() {
        let yaml = "paths:\n  /a:\n    get:\n      responses:\n        '200':\n";
        let anchors = [key("/a"), key("get"), key("responses"), key("429")];
        assert_eq!(locate(yaml, &anchors), Some(4));
        assert_eq!(locate(yaml, &[key("/b")]), None);
    }
}
