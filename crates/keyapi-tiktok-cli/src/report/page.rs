//! The report as one self-contained HTML page (maud): inline CSS and SVG, a
//! Content-Security-Policy that allows no script, no font and no fetch but the covers'
//! `https:` images; every stranger's string escaped by maud, cleaned of control, bidi and
//! zero-width characters and bounded; only `https:` URLs reach `href` or `src`.

use std::path::Path;

use keyapi_tiktok_store::{Mover, MoverStatus, Report, TopEntry};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use url::Url;

use super::chart::{self, CHART_SERIES, Series};
use crate::table::{compact, count};
use crate::{queries, sanitize};

/// What the page allows: nothing by default, images over https (and `data:` ones), the
/// inline stylesheet; no script, font, frame, form or base URL. (`frame-ancestors` is
/// ignored in a `<meta>` policy, and Chromium says so on the console, so it is left out.)
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; img-src https: data:; \
     style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// The longest caption and name shown, in characters.
const CAPTION_CHARS: usize = 160;
const NAME_CHARS: usize = 40;
/// The most entries each of the climbers, new entries and those that left lists.
const MOVERS_SHOWN: usize = 10;
/// The most missing rankings given a sync command each.
const MISSING_SHOWN: usize = 10;

/// The page for `report`, read from the store at `db` (named in the sync commands).
pub(crate) fn render(report: &Report, db: &Path) -> String {
    let key = &report.ranking;
    let mut filters = Vec::new();
    if let Some(category) = &key.category {
        filters.push(format!("category {category}"));
    }
    if let Some(ai) = key.ai {
        filters.push(format!("AI-generated {ai}"));
    }
    let title = format!(
        "{} {} ranking by {}, {}{}",
        key.region,
        key.period,
        key.field,
        key.date,
        if filters.is_empty() {
            String::new()
        } else {
            format!(" ({})", filters.join(", "))
        }
    );
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CONTENT_SECURITY_POLICY);
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "TikTok " (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (header(report, &title, db))
                (rank_chart(report))
                (top_table(report))
                (movers(report))
                footer {
                    "Made by " code { "keyapi-tiktok report" } " from the store, without a request or a credit. "
                    "Covers load from TikTok's servers while their links last."
                }
            }
        }
    };
    page.into_string()
}

/// What was asked, when it was fetched, and what the store lacks.
fn header(report: &Report, title: &str, db: &Path) -> Markup {
    let stored = &report.stored;
    let first = report.periods.first().map(|period| period.key.date);
    let mut missing: Vec<_> = report.missing().collect();
    if let (false, Some(previous)) = (report.movers.previous_stored, &report.movers.previous)
        && !missing.contains(&previous)
    {
        missing.push(previous);
    }
    html! {
        header {
            h1 { "TikTok " (title) }
            p class="asked" {
                "Top " (report.top.len()) " of " (stored.items) " videos stored ("
                (stored.state.as_str().replace('_', " ")) "), fetched " (stored.fetched_at)
                @if !stored.settled { ", before the ranking settled" }
                ". Ranks over " (report.periods.len()) " periods"
                @if let Some(first) = first { " from " (first) } " to " (report.ranking.date) "."
            }
            @if stored.items == 0 {
                section class="missing" {
                    h2 { "No video is stored in this ranking" }
                    p { "It was empty when fetched (not yet published)"
                        @if stored.settled { "." } @else { ". This command fetches it again:" } }
                    @if !stored.settled {
                        p { code { (queries::sync_command(&report.ranking, db)) } }
                    }
                }
            }
            @if !missing.is_empty() {
                section class="missing" {
                    h2 { "Not in the store (" (missing.len()) ")" }
                    @if !report.movers.previous_stored {
                        p { "The previous period is not stored, so no move is known." }
                    }
                    p { "Each of these commands fetches one:" }
                    ul {
                        @for key in missing.iter().take(MISSING_SHOWN) {
                            li { code { (queries::sync_command(key, db)) } }
                        }
                        @if missing.len() > MISSING_SHOWN {
                            li { "and " (missing.len() - MISSING_SHOWN) " more" }
                        }
                    }
                }
            }
        }
    }
}

/// The top ten's ranks over the span.
fn rank_chart(report: &Report) -> Markup {
    let dates: Vec<String> = report
        .periods
        .iter()
        .map(|period| period.key.date.to_string())
        .collect();
    let series: Vec<Series<'_>> = report
        .top
        .iter()
        .take(CHART_SERIES)
        .map(|video| Series {
            label: format!("#{} {}", video.rank, creator(video)),
            ranks: &video.ranks,
        })
        .collect();
    let worst = u64::try_from(report.top.len()).unwrap_or(u64::MAX).max(10);
    html! {
        section class="trend" {
            h2 { "The top " (series.len()) " over " (dates.len()) " periods" }
            (chart::rank_chart(&series, &dates, worst))
            ol class="legend" {
                @for (index, line) in series.iter().enumerate() {
                    li { span class={ "key k" (index) } {} bdi { (line.label) } }
                }
            }
            p class="note" { "Rank 1 at the top; ranks below #" (worst) " and periods not stored are gaps." }
        }
    }
}

/// The top N as a table.
fn top_table(report: &Report) -> Markup {
    html! {
        section {
            h2 { "Top " (report.top.len()) }
            table {
                thead {
                    tr {
                        th { "Rank" } th { "Change" } th { "Last " (report.periods.len()) } th { "Cover" }
                        th { "Creator" } th { "Caption" } th class="n" { "Views" } th class="n" { "Sold" } th class="n" { "GMV" }
                    }
                }
                tbody {
                    @for video in &report.top {
                        tr {
                            td class="n rank" { (video.rank) }
                            td class={ "change " (change_class(video.status)) } { (change(video)) }
                            td { (chart::sparkline(&video.ranks)) }
                            td { (cover(video.cover_url.as_deref())) }
                            td class="creator" { (creator_cell(video.nick_name.as_deref(), video.unique_id.as_deref())) }
                            td class="caption" {
                                @if let Some(link) = video_url(&video.video_id, video.unique_id.as_deref()) {
                                    a href=(link) rel="noreferrer noopener" { bdi { (caption(video.description.as_deref(), &video.video_id)) } }
                                } @else {
                                    bdi { (caption(video.description.as_deref(), &video.video_id)) }
                                }
                            }
                            td class="n" { (count(video.views)) }
                            td class="n" { (count(video.units_sold)) }
                            td class="n" { (video.gmv.map_or_else(|| "-".to_owned(), compact)) }
                        }
                    }
                }
            }
        }
    }
}

/// The biggest climbers, the new entries and those that left, of the whole ranking.
fn movers(report: &Report) -> Markup {
    let all = &report.movers.movers;
    let mut climbers: Vec<&Mover> = all
        .iter()
        .filter(|mover| mover.status == MoverStatus::Up)
        .collect();
    climbers.sort_by_key(|mover| (std::cmp::Reverse(mover.change), mover.rank));
    let entered: Vec<&Mover> = all
        .iter()
        .filter(|mover| mover.status == MoverStatus::New)
        .collect();
    let left: Vec<&Mover> = all
        .iter()
        .filter(|mover| mover.status == MoverStatus::Left)
        .collect();
    html! {
        section class="movers" {
            @if report.stored.items == 0 {
                p { "Moves need videos in this ranking, and none is stored." }
            } @else if report.movers.previous_stored {
                (mover_list("Biggest climbers", &climbers))
                (mover_list("New entries", &entered))
                (mover_list("Left the ranking", &left))
            } @else {
                p { "Moves need the previous period, which is not stored." }
            }
        }
    }
}

fn mover_list(heading: &str, movers: &[&Mover]) -> Markup {
    html! {
        div {
            h2 { (heading) " (" (movers.len()) ")" }
            @if movers.is_empty() {
                p class="note" { "None." }
            }
            ol {
                @for mover in movers.iter().take(MOVERS_SHOWN) {
                    li {
                        span class="where" {
                            @match (mover.rank, mover.previous_rank) {
                                (Some(rank), Some(before)) => { "#" (rank) " (was #" (before) ", ▲ " (mover.change.unwrap_or(0)) ")" }
                                (Some(rank), None) => { "#" (rank) }
                                (None, Some(before)) => { "was #" (before) }
                                (None, None) => { "-" }
                            }
                        }
                        " "
                        (creator_cell(mover.nick_name.as_deref(), mover.unique_id.as_deref()))
                        " "
                        @if let Some(link) = video_url(&mover.video_id, mover.unique_id.as_deref()) {
                            a href=(link) rel="noreferrer noopener" { bdi { (caption(mover.description.as_deref(), &mover.video_id)) } }
                        }
                    }
                }
                @if movers.len() > MOVERS_SHOWN {
                    li class="more" { "and " (movers.len() - MOVERS_SHOWN) " more" }
                }
            }
        }
    }
}

/// `new`, `▲ 3`, `▼ 2`, `=`, or `-` when the previous period is not stored.
fn change(video: &TopEntry) -> String {
    match (video.status, video.previous_rank) {
        (Some(MoverStatus::New), _) => "new".to_owned(),
        (Some(MoverStatus::Up), Some(before)) => format!("▲ {}", before.saturating_sub(video.rank)),
        (Some(MoverStatus::Down), Some(before)) => {
            format!("▼ {}", video.rank.saturating_sub(before))
        }
        (Some(MoverStatus::Same), _) => "=".to_owned(),
        _ => "-".to_owned(),
    }
}

fn change_class(status: Option<MoverStatus>) -> &'static str {
    match status {
        Some(MoverStatus::New) => "new",
        Some(MoverStatus::Up) => "up",
        Some(MoverStatus::Down) => "down",
        _ => "same",
    }
}

/// A stranger's text for the page: one line, no control, bidi or zero-width character,
/// at most `chars` characters (maud escapes it where it is written).
fn clean(text: &str, chars: usize) -> String {
    sanitize::bound(&sanitize::for_terminal(text), chars)
}

fn caption(description: Option<&str>, video_id: &str) -> String {
    match description.map(|text| clean(text, CAPTION_CHARS)) {
        Some(text) if !text.is_empty() => text,
        _ => format!("video {}", clean(video_id, NAME_CHARS)),
    }
}

/// `#3 name`'s name: the display name, else the handle.
fn creator(video: &TopEntry) -> String {
    match (&video.nick_name, &video.unique_id) {
        (Some(name), _) if !name.trim().is_empty() => clean(name, NAME_CHARS),
        (_, Some(handle)) => format!("@{}", clean(handle, NAME_CHARS)),
        _ => "-".to_owned(),
    }
}

fn creator_cell(nick_name: Option<&str>, unique_id: Option<&str>) -> Markup {
    html! {
        @if let Some(name) = nick_name.map(|name| clean(name, NAME_CHARS)).filter(|name| !name.is_empty()) {
            bdi class="name" { (name) }
        }
        @if let Some(handle) = unique_id.map(|handle| clean(handle, NAME_CHARS)).filter(|handle| !handle.is_empty()) {
            " " bdi class="handle" { "@" (handle) }
        }
    }
}

/// The cover over a placeholder the CSS draws, so an expired or unreachable image leaves
/// the placeholder; a cover that is not `https:` is not linked at all.
fn cover(link: Option<&str>) -> Markup {
    html! {
        div class="thumb" {
            @if let Some(link) = link.and_then(https) {
                img src=(link) alt="" referrerpolicy="no-referrer" width="48" height="64";
            }
        }
    }
}

/// `link` when it is an absolute `https:` URL with a host, as the url crate parses it.
pub(crate) fn https(link: &str) -> Option<String> {
    let url = Url::parse(link).ok()?;
    (url.scheme() == "https" && url.host_str().is_some_and(|host| !host.is_empty()))
        .then(|| url.to_string())
}

/// The video's page on tiktok.com, its handle and id as escaped path segments.
fn video_url(video_id: &str, unique_id: Option<&str>) -> Option<String> {
    let mut url = Url::parse("https://www.tiktok.com/").ok()?;
    let handle = match unique_id {
        Some(handle) if !handle.is_empty() => handle,
        // TikTok redirects `@_` to the right creator when the handle is unknown.
        _ => "_",
    };
    url.path_segments_mut()
        .ok()?
        .clear()
        .push(&format!("@{handle}"))
        .push("video")
        .push(video_id);
    https(url.as_str())
}

/// The page's whole stylesheet: system fonts, a placeholder behind each cover, the
/// chart's ten colours.
const STYLE: &str = "
:root { color-scheme: light; --muted: #5f6b7a; --line: #e3e7ed; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px; color: #1b2330; background: #fff;
  font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.asked, .note, footer { color: var(--muted); }
code { font: 12px ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; background: #f3f5f8;
  padding: 2px 4px; border-radius: 3px; overflow-wrap: anywhere; }
.missing { border: 1px solid #f0c36d; background: #fff8e6; border-radius: 6px; padding: 4px 14px; margin-top: 12px; }
.missing h2 { margin-top: 8px; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line); padding: 6px; }
td { border-bottom: 1px solid var(--line); padding: 6px; vertical-align: middle; }
tbody tr:nth-child(even) { background: #fafbfc; }
.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.rank { font-weight: 700; }
.change { white-space: nowrap; font-weight: 600; }
.change.up { color: #137333; } .change.down { color: #b3261e; } .change.new { color: #1a5fb4; }
.change.same { color: var(--muted); }
.thumb { width: 48px; height: 64px; border-radius: 4px; overflow: hidden;
  background: linear-gradient(135deg, #e9edf2, #d5dbe3); position: relative; }
.thumb::before { content: '\\25B6'; position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; color: #9aa5b4; font-size: 18px; }
.thumb img { position: relative; display: block; width: 48px; height: 64px; object-fit: cover;
  color: transparent; font-size: 0; }
.thumb img::after { content: '\\25B6'; position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; color: #9aa5b4; font-size: 18px;
  background: linear-gradient(135deg, #e9edf2, #d5dbe3); }
.creator .name { display: block; font-weight: 600; }
.creator .handle, .movers .handle { color: var(--muted); }
.caption { max-width: 420px; overflow-wrap: anywhere; }
a { color: #1a5fb4; text-decoration: none; } a:hover { text-decoration: underline; }
svg.spark { display: block; }
svg.spark polyline { fill: none; stroke: #1a5fb4; stroke-width: 1.6; }
svg.spark circle { fill: #1a5fb4; }
svg.chart { width: 100%; height: auto; max-width: 760px; display: block; }
.axis line { stroke: var(--line); } .axis text { fill: var(--muted); font-size: 11px; }
.series polyline { fill: none; stroke-width: 2; } .series circle { stroke: #fff; stroke-width: 1; }
.legend { columns: 2; max-width: 760px; padding-left: 20px; }
.key { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.s0 { stroke: #4e79a7; fill: #4e79a7; } .k0 { background: #4e79a7; }
.s1 { stroke: #f28e2b; fill: #f28e2b; } .k1 { background: #f28e2b; }
.s2 { stroke: #e15759; fill: #e15759; } .k2 { background: #e15759; }
.s3 { stroke: #76b7b2; fill: #76b7b2; } .k3 { background: #76b7b2; }
.s4 { stroke: #59a14f; fill: #59a14f; } .k4 { background: #59a14f; }
.s5 { stroke: #edc948; fill: #edc948; } .k5 { background: #edc948; }
.s6 { stroke: #b07aa1; fill: #b07aa1; } .k6 { background: #b07aa1; }
.s7 { stroke: #ff9da7; fill: #ff9da7; } .k7 { background: #ff9da7; }
.s8 { stroke: #9c755f; fill: #9c755f; } .k8 { background: #9c755f; }
.s9 { stroke: #bab0ac; fill: #bab0ac; } .k9 { background: #bab0ac; }
.series polyline { fill: none; }
.movers { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 0 24px; }
.movers ol { padding-left: 20px; } .movers li { margin-bottom: 4px; overflow-wrap: anywhere; }
.movers .where { font-weight: 600; white-space: nowrap; }
footer { margin-top: 32px; font-size: 12px; }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_links_with_a_host_are_kept() {
        assert_eq!(
            https("https://p16.example.com/a.jpg?x=1").as_deref(),
            Some("https://p16.example.com/a.jpg?x=1")
        );
        for refused in [
            "http://example.com/a.jpg",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "JaVaScRiPt:alert(1)",
            "//example.com/a.jpg",
            "https:/",
            "\"><img src=x onerror=alert(1)>",
        ] {
            assert_eq!(https(refused), None, "{refused}");
        }
    }

    #[test]
    fn a_video_link_escapes_the_handle_and_id() {
        assert_eq!(
            video_url("7601397977986501919", Some("iamjuliocr")).as_deref(),
            Some("https://www.tiktok.com/@iamjuliocr/video/7601397977986501919")
        );
        let hostile = video_url("1/../../x?y#z", Some("a\"><script>/b")).unwrap();
        assert!(
            hostile.starts_with("https://www.tiktok.com/@a%22%3E%3Cscript%3E%2Fb/video/"),
            "{hostile}"
        );
        assert!(!hostile.contains('"') && !hostile.contains('<'));
        assert_eq!(
            video_url("1", None).as_deref(),
            Some("https://www.tiktok.com/@_/video/1")
        );
    }
}
