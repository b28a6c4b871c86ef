//! `keyapi-tiktok conformance`: how a live page (or a saved body) departs from the
//! vendored spec, as text or JSON; exit 0 when it conforms, 1 when it drifted.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use keyapi_tiktok::{ConformanceReport, Period, RankField, VideoRankingQuery};

use crate::failure::Failure;
use crate::flags::{ConnectionArgs, QueryArgs};
use crate::sanitize;

/// A saved body larger than this is refused: KeyAPI pages are a few kilobytes.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Upstream text (field names, values) is cut to this many characters a line.
const MAX_LINE_CHARS: usize = 240;

pub(crate) const CONFORMANCE_AFTER_HELP: &str = "\
Reports how the answer departs from the vendored spec: fields present but not documented
(name, JSON type, in how many items), documented fields missing, values of the wrong JSON
type, values outside a documented set (sales_flag: 3), JSON-in-string fields that do not
parse, and envelope deviations (no requestId, an undocumented code). The report comes from
the same decode the client uses, so it names exactly what the client had to tolerate.

Examples:
  # One live page: one credit
  keyapi-tiktok conformance --date 2026-11-23 --region US --by views --period daily

  # A saved response: no key, no network, no credit
  keyapi-tiktok conformance --from-file page.json --format json

Pages are fetched one at a time by the rules of `videos`: --limit, a short page, --budget.
A page longer than the page size, or repeating the videos of the page before it (upstream
ignoring page_num, which ends the run), is a departure; every item received is checked.

Exit status: 0 conforms, 1 drift found (or any other failure), 2 invalid arguments (a
date after today in UTC+14 included), 3 authentication, 4 credits exhausted or --budget
spent (the report of the pages checked is printed first), 5 still rate limited after the
retries.";

/// `keyapi-tiktok conformance`.
#[derive(Debug, Args)]
#[command(
    override_usage = "keyapi-tiktok conformance --date <YYYY-MM-DD> --region <CC> --by <BY> --period <PERIOD> [OPTIONS]\n       \
                      keyapi-tiktok conformance --from-file <BODY.json> [--format text|json]"
)]
pub(crate) struct ConformanceArgs {
    /// Check a saved response body instead of fetching pages (no key, no network, no credit).
    #[arg(
        long,
        value_name = "BODY.json",
        required_unless_present = "date",
        conflicts_with_all = ["date", "region", "by", "period", "category", "ai", "limit", "page_size"]
    )]
    from_file: Option<PathBuf>,
    /// The pages to fetch and check (by default one page: one credit).
    #[command(flatten)]
    query: Option<QueryArgs>,
    /// Stop, exiting 4 after printing what was checked, before spending more than this
    /// many credits (retries included).
    #[arg(long, value_name = "CREDITS", conflicts_with = "from_file")]
    budget: Option<u64>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// How to reach the API.
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// `--format` of `conformance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// One line a departure.
    Text,
    /// One JSON object: pages, items, conforms, drift (each with a `kind`).
    Json,
}

/// Checks the pages asked for, or the saved body, and prints the report: also when fetching
/// stopped early (a budget, an error) after some pages were checked.
pub(crate) async fn run(args: ConformanceArgs) -> Result<(), Failure> {
    let (report, stopped) = match (&args.from_file, &args.query) {
        (Some(file), None) => (from_file(file)?, Ok(())),
        (None, Some(wanted)) => live(wanted, &args.connection, args.budget).await?,
        _ => {
            return Err(Failure::Usage(
                "give either --from-file or the ranking flags (--date, --region, --by, --period)"
                    .to_owned(),
            ));
        }
    };
    // Nothing checked: the failure alone says what happened.
    let stopped = match stopped {
        Err(failure) if report.pages() == 0 => return Err(failure),
        other => other,
    };
    let mut out = io::stdout().lock();
    let printed = match args.format {
        ReportFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        ReportFormat::Text => write_text(&mut out, &report),
    };
    match printed.and_then(|()| out.flush()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            return Err(Failure::Output(error));
        }
        _ => {}
    }
    stopped?;
    if report.conforms() {
        Ok(())
    } else {
        Err(Failure::Drift(report.drift().len()))
    }
}

/// The report of a saved body; ranks are irrelevant to it, so any query decodes it.
fn from_file(file: &PathBuf) -> Result<ConformanceReport, Failure> {
    let unreadable = |error: io::Error| {
        Failure::Usage(format!(
            "cannot read --from-file {}: {error}",
            file.display()
        ))
    };
    let mut body = Vec::new();
    std::fs::File::open(file)
        .map_err(unreadable)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(unreadable)?;
    if body.len() as u64 > MAX_FILE_BYTES {
        return Err(Failure::Usage(format!(
            "--from-file {} is larger than {} MiB; a KeyAPI page is a few kilobytes",
            file.display(),
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    let any_query = VideoRankingQuery::new(
        jiff::civil::date(2026, 1, 1),
        keyapi_tiktok::Region::new("US")?,
        RankField::Views,
        Period::Daily,
    );
    let mut report = ConformanceReport::default();
    report.add_body(&body, &any_query)?;
    Ok(report)
}

/// Checks the ranking by the rules `videos` fetches it with (the limit, a short page, a
/// repeated page, the budget); the report, and why fetching stopped early if it did.
async fn live(
    wanted: &QueryArgs,
    connection: &ConnectionArgs,
    budget: Option<u64>,
) -> Result<(ConformanceReport, Result<(), Failure>), Failure> {
    let client = crate::connect::client(connection, budget, || None)?;
    let query = wanted.ranking_query()?;
    let mut report = ConformanceReport::default();
    let stopped = client
        .video_ranking(query)
        .limit(wanted.limit)
        .conformance(&mut report)
        .await
        .map_err(Failure::Api);
    Ok((report, stopped))
}

fn write_text(out: &mut impl Write, report: &ConformanceReport) -> io::Result<()> {
    let checked = format!(
        "{} page{}, {} item{}",
        report.pages(),
        if report.pages() == 1 { "" } else { "s" },
        report.items(),
        if report.items() == 1 { "" } else { "s" },
    );
    let drift = report.drift();
    if drift.is_empty() {
        return writeln!(out, "conforms: {checked} match the vendored spec");
    }
    writeln!(
        out,
        "drift: {} departure{} from the vendored spec in {checked}",
        drift.len(),
        if drift.len() == 1 { "" } else { "s" }
    )?;
    for finding in drift {
        // Names and values in the report come from upstream.
        let line = sanitize::bound(
            &sanitize::for_terminal(&finding.to_string()),
            MAX_LINE_CHARS,
        );
        writeln!(out, "  {line}")?;
    }
    Ok(())
}
