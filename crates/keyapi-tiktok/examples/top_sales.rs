//! The README's quickstart: the top 25 videos by units sold in the US on one day.
//!
//! `KEYAPI_API_KEY=… cargo run -p keyapi-tiktok --example top_sales` (spends 3 credits the
//! first time; the cache answers later runs for free).

use std::time::Duration;

use keyapi_tiktok::futures::TryStreamExt;
use keyapi_tiktok::jiff::civil::date;
use keyapi_tiktok::{Cache, ClientBuilder, Period, RankField, VideoRankingQuery};

#[tokio::main]
async fn main() -> Result<(), keyapi_tiktok::Error> {
    let mut builder = ClientBuilder::from_env(); // KEYAPI_API_KEY, KEYAPI_BASE_URL
    if let Some(dir) = dirs::cache_dir() {
        // The user's own cache directory (never a shared one such as /tmp): repeated
        // queries are free.
        builder = builder.cache(Cache::new(dir.join("keyapi-tiktok")));
    }
    let client = builder.build()?;
    let query = VideoRankingQuery::new(
        date(2026, 11, 24),
        "US".parse()?,
        RankField::Sales,
        Period::Daily,
    );
    let mut videos = client.video_ranking(query).limit(25).items(); // 3 pages of 10: 3 credits
    while let Some(video) = videos.try_next().await? {
        println!(
            "#{:<3} {:>8} sold {:>12} GMV  {}",
            video.rank,
            video.units_sold.map_or("-".into(), |n| n.to_string()),
            video.gmv.map_or("-".into(), |n| n.to_string()),
            video.video_url()
        );
    }
    // The cache writes pages in the background: let the last ones land before exiting.
    client.flush_cache(Duration::from_secs(10)).await;
    eprintln!("{:?}", client.usage()); // credits spent, requests sent, cache hits
    Ok(())
}
