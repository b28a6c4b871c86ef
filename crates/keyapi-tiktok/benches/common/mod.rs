//! Page fixtures shared by the benches, and small helpers for timing and ratios.

#![allow(dead_code, reason = "each bench uses part of these fixtures")]

use keyapi_tiktok::{Period, RankField, Region, VideoRankingQuery};
use serde_json::{Value, json};

/// Items on every fixture page: a full page, so page streams never stop early.
pub(crate) const ITEMS: u64 = 10;

/// The query every fixture answers: page 1 of the US daily sales ranking, ten a page.
pub(crate) fn query() -> VideoRankingQuery {
    let region = Region::new("US").unwrap_or_else(|error| panic!("US is a region: {error}"));
    VideoRankingQuery::new(
        jiff::civil::date(2026, 1, 31),
        region,
        RankField::Sales,
        Period::Daily,
    )
}

/// The spec's own 200 example item (the file the docs and tests use), repeated to ten
/// items with distinct video ids.
pub(crate) fn spec_example_page() -> Vec<u8> {
    let example: Value = serde_json::from_str(include_str!("../../src/spec_example_200.json"))
        .unwrap_or_else(|error| panic!("the spec example is JSON: {error}"));
    let item = example["data"][0].clone();
    let first_id: u64 = item["video_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the spec example has a numeric video_id"));
    let items = (0..ITEMS)
        .map(|i| {
            let mut item = item.clone();
            item["video_id"] = json!((first_id + i).to_string());
            item
        })
        .collect();
    envelope(items)
}

/// A page as the sales ranking really sends it: every stringly field filled, long captions
/// with emoji, escapes and hashtags, several product ids and categories, and the
/// undocumented all-time totals as extra fields.
pub(crate) fn realistic_page() -> Vec<u8> {
    let caption = "Obsessed with this sea salt spray 🌊🧴✨ my curls have NEVER looked this good \
        😍💇‍♀️ link in bio, it's on sale today only!! 🛒🔥\n\nStep 1: towel dry\nStep 2: spray \
        \"generously\" 💦\nStep 3: scrunch & go 🙌\n\n#fyp #foryou #ttshopfinds #tiktokmademebuyit \
        #seasaltspray #curlyhair #haircare #beautytok #level3 #barbertok #salonathome \
        #blackfriday #dealsoftheday 💯";
    let items = (0..ITEMS)
        .map(|i| {
            let video_id = 7_601_397_977_986_501_919_u64 + i * 7_919;
            let products: Vec<String> = (0..1 + i % 5)
                .map(|p| (1_729_436_418_527_695_003_u64 + p * 1_000_003 + i).to_string())
                .collect();
            json!({
                "avatar": format!("https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/7a1c{i:02}e5f6c0b8d9a4e3f2~tplv-tiktokx-cropcenter:1080:1080.jpeg?dr=14579&refresh_token=0a1b2c3d&x-expires=1770040800&x-signature=Zm9vYmFyYmF6cXV4%3D&t=4d5b0a2e&ps=13740610&shp=a5d48078&shcp=81f88b70&idc=my"),
                "category": "Beauty & Personal Care",
                "create_time": (1_769_838_405 + i * 3_600).to_string(),
                "created_by_ai": if i % 3 == 0 { "true" } else { "false" },
                "duration": 15 + i * 4,
                "nick_name": format!("ﾌひﾚﾉの ✨ Beauty Finds 💄 {i}"),
                "product_category_list": "[{ \"category_name\":\"Beauty & Personal Care\",\"category_id\":\"601450\"}, { \"category_name\":\"Womenswear & Underwear\",\"category_id\":\"601152\"}, { \"category_name\":\"Home Supplies\",\"category_id\":\"600001\"}]",
                "reflow_cover": format!("https://p16-sign-va.tiktokcdn.com/obj/tos-maliva-p-0068/o8{i:02}QAbfIEeAkFCgA9yDNAiGcEQBWSiZfDAgIr~tplv-tiktokx-origin.image?dr=14575&x-expires=1770040800&x-signature=cXV4YmF6YmFyZm9v%3D&t=4d5b0a2e&ps=13740610&shp=81f88b70&shcp=43f4a2f9&idc=my"),
                "region": "US",
                "sales_flag": 1 + i % 2,
                "total_comments_cnt": 1_284 + i,
                "total_digg_cnt": 98_431 + i,
                "total_favorites_cnt": 12_907 + i,
                "total_shares_cnt": 3_311 + i,
                "total_video_sale_cnt": 5_508 - i * 100,
                "total_video_sale_gmv_amt": 44_613 - i * 1_000,
                "total_views_cnt": 2_417_305 + i * 11,
                "unique_id": format!("beautyfinds.daily{i}"),
                "user_id": (6_633_792_625_097_490_438_u64 + i).to_string(),
                "video_desc": caption,
                "video_id": video_id.to_string(),
                "video_products": format!("[{}]", products.join(",")),
                "total_views_history_cnt": 18_204_113 + i,
                "total_digg_history_cnt": 1_530_227 + i,
                "total_comments_history_cnt": 20_415 + i,
                "total_favorites_history_cnt": 210_118 + i,
                "total_shares_history_cnt": 45_903 + i,
                "total_video_sale_history_cnt": 73_502 + i,
                "total_video_sale_gmv_history_amt": 612_947.35 + i as f64,
            })
        })
        .collect();
    envelope(items)
}

fn envelope(items: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "code": 0,
        "message": "success",
        "data": items,
        "requestId": "b9ff3078-0b12-45b5-8b00-b7017ed18713",
    }))
    .unwrap_or_else(|error| panic!("a fixture serialises: {error}"))
}

/// The median of some measurements (the upper one of the middle two for an even count).
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Whether cargo asked for measurements (`cargo bench` passes `--bench`); without it, as
/// under `cargo test --all-targets`, the benches only check that everything runs.
pub(crate) fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}
