//! Decodes hostile 8 MiB pages, several in flight at once, for `/usr/bin/time -v` to read
//! the peak memory (maximum resident set size) of; see `benches/README.md` ("Memory of a
//! hostile page").
//!
//! `decode_memory KIND PAGES`: builds PAGES bodies of KIND, then decodes each on a thread
//! of its own, all pages and their decoded results held at once. KIND `bytes` builds the
//! bodies and does not decode them: the baseline.
//!
//! - `minimal`: 8 MiB of `{"video_id":"1"}` items (the one-pass path);
//! - `rescue`: 8 MiB of `{"video_id":1}` items (a number for a string: the rescue);
//! - `deep`: an item whose unknown field nests 8 MiB of `[` (the rescue);
//! - `wide`: one item with 8 MiB of small unknown fields, every one kept in `extra`.

use std::process::ExitCode;
use std::sync::Barrier;

use keyapi_tiktok::{Page, Period, RankField, VideoRankingQuery};

const BODY_BYTES: usize = 8 << 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(kind), Some(Ok(pages))) = (args.first(), args.get(1).map(|n| n.parse::<usize>()))
    else {
        eprintln!("usage: decode_memory bytes|minimal|rescue|deep|wide PAGES");
        return ExitCode::FAILURE;
    };
    let Some(body) = hostile_body(kind) else {
        eprintln!("unknown kind {kind}");
        return ExitCode::FAILURE;
    };
    let bodies: Vec<Vec<u8>> = (0..pages).map(|_| body.clone()).collect();
    drop(body);
    if kind == "bytes" {
        println!("{pages} bodies of {} bytes built", bodies[0].len());
        return ExitCode::SUCCESS;
    }
    let query = VideoRankingQuery::new(
        jiff::civil::date(2026, 11, 23),
        "US".parse().expect("a region"),
        RankField::Views,
        Period::Daily,
    );
    // Every page decoded and held before any is dropped: PAGES in flight at once.
    let all_decoded = Barrier::new(pages);
    std::thread::scope(|scope| {
        for body in &bodies {
            let (query, all_decoded) = (&query, &all_decoded);
            scope.spawn(move || {
                let page = Page::from_body(body, query).expect("a page");
                all_decoded.wait();
                let issues: usize = page.items.iter().map(|video| video.issues.len()).sum();
                println!("{} items, {issues} issues", page.items.len());
            });
        }
    });
    ExitCode::SUCCESS
}

/// An 8 MiB body of the kind named.
fn hostile_body(kind: &str) -> Option<Vec<u8>> {
    let head = r#"{"code":0,"message":"success","requestId":"r","data":["#;
    let mut body = head.as_bytes().to_vec();
    let fill = |body: &mut Vec<u8>, piece: &dyn Fn(usize) -> String| {
        let mut i = 0;
        while body.len() < BODY_BYTES - 64 {
            body.extend_from_slice(piece(i).as_bytes());
            i += 1;
        }
    };
    match kind {
        "bytes" | "minimal" => fill(&mut body, &|i| {
            format!("{}{{\"video_id\":\"1\"}}", if i > 0 { "," } else { "" })
        }),
        "rescue" => fill(&mut body, &|i| {
            format!("{}{{\"video_id\":1}}", if i > 0 { "," } else { "" })
        }),
        "deep" => {
            let depth = (BODY_BYTES - 64) / 2;
            body.extend_from_slice(br#"{"video_id":"1","deep":"#);
            body.extend(std::iter::repeat_n(b'[', depth));
            body.extend(std::iter::repeat_n(b']', depth));
            body.push(b'}');
        }
        "wide" => {
            body.extend_from_slice(br#"{"video_id":"1""#);
            fill(&mut body, &|i| format!(",\"k{i}\":1"));
            body.push(b'}');
        }
        _ => return None,
    }
    body.extend_from_slice(b"]}");
    Some(body)
}
