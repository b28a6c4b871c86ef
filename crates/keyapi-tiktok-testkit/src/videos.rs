//! Realistic ranking items in the upstream's stringly wire shape, derived from the spec's
//! own 200 example so their shape follows the vendored spec.

use serde_json::{Map, Value, json};

/// The spec's 200 example: this crate's copy, which the drift tests check against the spec.
const SPEC_EXAMPLE_200: &str = include_str!("spec_example_200.json");

/// The item of the spec's 200 example, exactly as documented.
///
/// ```
/// let item = keyapi_tiktok_testkit::spec_example_item();
/// assert_eq!(item["video_id"], "7601397977986501919");
/// assert_eq!(item["create_time"], "1769838405"); // unix seconds, sent as a string
/// ```
pub fn spec_example_item() -> Value {
    let example: Value = serde_json::from_str(SPEC_EXAMPLE_200).unwrap_or_default();
    example
        .get("data")
        .and_then(|data| data.get(0))
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// A realistic item for `rank` (from 1): every field of the spec's example, in the same
/// wire types (`create_time` and `created_by_ai` as strings, the product lists as JSON
/// inside strings, counts as integers), with values that differ by rank and decrease
/// with it, so a ranking of them is ordered.
///
/// ```
/// let third = keyapi_tiktok_testkit::video(3);
/// assert_eq!(third["video_id"], "7601397977900000003");
/// assert_eq!(third["video_products"], "[1729436418500000003]");
/// assert_eq!(third["created_by_ai"], "false");
/// ```
pub fn video(rank: u64) -> Value {
    let mut item = spec_example_item();
    let id = format!("76013979779{rank:08}");
    let counts = json!({
        "video_id": id,
        "user_id": format!("66337926250{rank:08}"),
        "unique_id": format!("creator{rank}"),
        "nick_name": format!("Creator {rank}"),
        "video_desc": format!("video #{rank} #fyp #ttshopfinds"),
        "create_time": (1_769_838_405 - rank).to_string(),
        "created_by_ai": rank.is_multiple_of(7).to_string(),
        "duration": 10 + rank % 50,
        "sales_flag": rank % 3,
        "reflow_cover": format!("https://echosell-images.tos-ap-southeast-1.volces.com/video-cover/422/{id}.jpg"),
        "video_products": format!("[17294364185{rank:08}]"),
        "total_views_cnt": 10_000_000u64.saturating_sub(rank * 1_000),
        "total_digg_cnt": 500_000u64.saturating_sub(rank * 50),
        "total_comments_cnt": 20_000u64.saturating_sub(rank * 2),
        "total_favorites_cnt": 40_000u64.saturating_sub(rank * 4),
        "total_shares_cnt": 30_000u64.saturating_sub(rank * 3),
        "total_video_sale_cnt": 100_000u64.saturating_sub(rank * 10),
        "total_video_sale_gmv_amt": 1_000_000u64.saturating_sub(rank * 100),
    });
    if let (Value::Object(item), Value::Object(counts)) = (&mut item, counts) {
        item.extend(counts);
    }
    item
}

/// `n` realistic items, ranks 1 to `n`.
///
/// ```
/// let ranking = keyapi_tiktok_testkit::videos(25);
/// assert_eq!(ranking.len(), 25);
/// ```
pub fn videos(n: usize) -> Vec<Value> {
    (1..=n as u64).map(video).collect()
}
