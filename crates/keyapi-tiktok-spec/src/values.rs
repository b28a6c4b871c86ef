//! The coded values upstream documents in prose: `1=日榜，2=周榜，3=月榜。` in parameter
//! descriptions and `0 (no sales), 1 (video sales)` in response titles.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::resolve;

/// What ends a `code=label` label, besides whitespace.
const LABEL_ENDS: &[char] = &['，', ',', ';', '；', '。', '、', ')', '）'];

/// Values documented in prose, code to label: `1=日榜，2=周榜。` (ASCII or full-width
/// punctuation, spaces allowed around `=`) and `0 (no sales), 1 (video sales)` (labels may
/// span folded lines). A code counts only when it stands apart from a preceding word:
/// `字段1=x` and `-1=全部` give a value, `v2=y`, `a_1=x` and `1.5 (x)` do not.
///
/// ```
/// use std::collections::BTreeMap;
/// use keyapi_tiktok_spec::documented_values;
///
/// assert_eq!(
///     documented_values("榜单周期，1=日榜，2=周榜。"),
///     BTreeMap::from([(1, "日榜".to_owned()), (2, "周榜".to_owned())]),
/// );
/// assert_eq!(
///     documented_values("Main sales methods: 0 (no sales), 2 (live streaming sales)"),
///     BTreeMap::from([(0, "no sales".to_owned()), (2, "live streaming sales".to_owned())]),
/// );
/// ```
pub fn documented_values(text: &str) -> BTreeMap<i64, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut values = BTreeMap::new();
    let mut i = 0;
    while i < chars.len() {
        let Some((code, after)) = code_at(&chars, i) else {
            i += 1;
            continue;
        };
        let next = skip_whitespace(&chars, after);
        i = after;
        match chars.get(next) {
            Some('=' | '＝') => {
                let start = skip_whitespace(&chars, next + 1);
                let end = (start..chars.len())
                    .find(|&j| chars[j].is_whitespace() || LABEL_ENDS.contains(&chars[j]))
                    .unwrap_or(chars.len());
                let label: String = chars[start..end].iter().collect();
                let label = label.trim_end_matches('.');
                if !label.is_empty() {
                    values.insert(code, label.to_owned());
                }
                i = end;
            }
            Some('(' | '（') => {
                let Some(close) = (next + 1..chars.len()).find(|&j| matches!(chars[j], ')' | '）'))
                else {
                    continue;
                };
                let label: String = chars[next + 1..close].iter().collect();
                let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
                if !label.is_empty() {
                    values.insert(code, label);
                }
                i = close + 1;
            }
            _ => {}
        }
    }
    values
}

/// The code starting at `i` (digits, optionally after `-`) and the index after it, when it
/// stands apart from a preceding word, number or sign.
fn code_at(chars: &[char], i: usize) -> Option<(i64, usize)> {
    let joined = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if i > 0 && joined(chars[i - 1]) {
        return None;
    }
    let digits_start = if chars[i] == '-' { i + 1 } else { i };
    let end = (digits_start..chars.len())
        .find(|&j| !chars[j].is_ascii_digit())
        .unwrap_or(chars.len());
    if end == digits_start {
        return None;
    }
    let code: String = chars[i..end].iter().collect();
    Some((code.parse().ok()?, end))
}

fn skip_whitespace(chars: &[char], from: usize) -> usize {
    (from..chars.len())
        .find(|&j| !chars[j].is_whitespace())
        .unwrap_or(chars.len())
}

/// The values documented on a parameter object: in its description and its schema's.
pub fn parameter_values(document: &Value, parameter: &Value) -> BTreeMap<i64, String> {
    let parameter = resolve(document, parameter);
    let schema = parameter
        .get("schema")
        .map(|schema| resolve(document, schema));
    documented_values(&prose(&[
        parameter.get("description"),
        schema.and_then(|schema| schema.get("description")),
    ]))
}

/// The values documented on a schema (a response property): in its title and description.
pub fn schema_values(document: &Value, schema: &Value) -> BTreeMap<i64, String> {
    let schema = resolve(document, schema);
    documented_values(&prose(&[schema.get("title"), schema.get("description")]))
}

/// The string fields among `fields`, one per line.
fn prose(fields: &[Option<&Value>]) -> String {
    let texts: Vec<&str> = fields
        .iter()
        .flatten()
        .filter_map(|field| field.as_str())
        .collect();
    texts.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(pairs: &[(i64, &str)]) -> BTreeMap<i64, String> {
        pairs
            .iter()
            .map(|&(code, label)| (code, label.to_owned()))
            .collect()
    }

    // Moved from xtask/src/spec_diff.rs.

    #[test]
    fn documented_values_accept_full_width_and_ascii_separators() {
        let expected = BTreeMap::from([
            (1, "日榜".to_owned()),
            (2, "周榜".to_owned()),
            (3, "月榜".to_owned()),
        ]);
        for text in [
            "榜单周期，1=日榜，2=周榜，3=月榜。",
            "榜单周期: 1=日榜, 2=周榜; 3=月榜.",
            "榜单周期：1=日榜；2=周榜、3=月榜",
            "榜单周期\n1=日榜\n2=周榜 3=月榜",
        ] {
            assert_eq!(documented_values(text), expected, "{text}");
        }
        assert_eq!(
            documented_values("a_1=x v2=y -1=全部 page=3"),
            BTreeMap::from([(-1, "全部".to_owned())])
        );
    }

    #[test]
    fn documented_values_in_titles() {
        assert_eq!(
            documented_values(
                "Main sales methods: 0 (no sales), 1 (video sales), 2 (live streaming sales)"
            ),
            BTreeMap::from([
                (0, "no sales".to_owned()),
                (1, "video sales".to_owned()),
                (2, "live streaming sales".to_owned()),
            ])
        );
        assert_eq!(
            documented_values("Video sales (estimated)"),
            BTreeMap::new()
        );
        assert_eq!(
            documented_values("v2 (beta), 1.5 (x), 3（全角）"),
            BTreeMap::from([(3, "全角".to_owned())])
        );
    }

    // Moved from tests/lib.rs (the drift tests' former parser).

    #[test]
    fn reads_the_upstream_descriptions_with_full_width_punctuation() {
        assert_eq!(
            documented_values("榜单排序字段，1=total_views_cnt，2=total_video_sale_cnt。"),
            owned(&[(1, "total_views_cnt"), (2, "total_video_sale_cnt")])
        );
        assert_eq!(
            documented_values("榜单周期，1=日榜，2=周榜，3=月榜。"),
            owned(&[(1, "日榜"), (2, "周榜"), (3, "月榜")])
        );
    }

    #[test]
    fn reads_parenthesised_values_across_folded_lines() {
        assert_eq!(
            documented_values(
                "Main sales methods: 0 (no sales), 1 (video sales), 2\n(live streaming sales)"
            ),
            owned(&[
                (0, "no sales"),
                (1, "video sales"),
                (2, "live streaming sales")
            ])
        );
    }

    #[test]
    fn ignores_numbers_that_document_no_value() {
        for text in [
            "页码，从 1 开始，最大支持 100000。",
            "每页返回数量，最大值为 10。",
            "榜单日期，格式为 yyyy-MM-dd。",
            "Video sales GMV (estimated)",
            "v2=beta",
        ] {
            assert_eq!(documented_values(text), owned(&[]), "{text}");
        }
    }

    #[test]
    fn reads_ascii_punctuation_and_spaces_around_the_equals_sign() {
        assert_eq!(
            documented_values("1 = views, 2=sales; 3=gmv."),
            owned(&[(1, "views"), (2, "sales"), (3, "gmv")])
        );
    }

    #[test]
    fn a_code_too_large_for_i64_is_skipped_not_a_panic() {
        assert_eq!(
            documented_values("99999999999999999999=x, 1=y"),
            owned(&[(1, "y")])
        );
    }

    #[test]
    fn parameter_values_read_the_parameter_and_its_schema() {
        let document = serde_json::json!({
            "components": { "schemas": { "Period": { "description": "3=月榜" } } },
        });
        let parameter = serde_json::json!({
            "name": "rank_type",
            "description": "1=日榜",
            "schema": { "$ref": "#/components/schemas/Period" },
        });
        assert_eq!(
            parameter_values(&document, &parameter),
            owned(&[(1, "日榜"), (3, "月榜")])
        );
    }
}
