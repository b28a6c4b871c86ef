//! The command line: the subcommands `keyapi-tiktok` accepts (each owns its flags and its
//! run, in its own file), parsed and shape-checked by clap, and which one runs.
//!
//! Everything clap can check (dates, region codes, ranges) is checked by the flags, so a bad
//! argument exits with status 2 before a client is built or a credit spent.

use clap::{CommandFactory, Parser, Subcommand};

use crate::failure::Failure;
use crate::{backup, cache, conformance, manual, queries, report, sync, videos};

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "keyapi-tiktok",
    version,
    about = "TikTok video rankings from KeyAPI, as a table, JSON, NDJSON or CSV",
    long_about = "TikTok video rankings from KeyAPI (GET /v1/tiktok/video/ranking/analytics), \
                  as a table, JSON, NDJSON or CSV.\n\n\
                  The API key is read from KEYAPI_API_KEY. Every page requested costs one credit.",
    after_help = EXIT_CODES
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Fetch a video ranking by views or by sales.
    #[command(after_help = crate::videos::VIDEOS_AFTER_HELP)]
    Videos(crate::videos::VideosArgs),
    /// Fetch many rankings into a SQLite store: resumable, under one budget.
    #[command(after_help = crate::sync::SYNC_AFTER_HELP)]
    Sync(crate::sync::SyncArgs),
    /// Every stored entry of one video, from the store (no key, no credit).
    #[command(after_help = crate::queries::HISTORY_AFTER_HELP)]
    History(crate::queries::HistoryArgs),
    /// Each video's rank against the previous period, from the store (no key, no credit).
    #[command(after_help = crate::queries::MOVERS_AFTER_HELP)]
    Movers(crate::queries::MoversArgs),
    /// One stored ranking as a self-contained HTML page: top, moves, rank charts (no key, no credit).
    #[command(after_help = crate::report::REPORT_AFTER_HELP)]
    Report(crate::report::ReportArgs),
    /// Copy the store consistently while syncs run (`store backup DEST`; no key, no credit).
    #[command(after_help = crate::backup::STORE_AFTER_HELP)]
    Store(crate::backup::StoreArgs),
    /// Show or clear the response cache.
    #[command(after_help = crate::cache::CACHE_AFTER_HELP)]
    Cache(crate::cache::CacheArgs),
    /// Report how a live page (or a saved body) departs from the vendored spec.
    #[command(after_help = crate::conformance::CONFORMANCE_AFTER_HELP)]
    Conformance(crate::conformance::ConformanceArgs),
    /// Print a shell completion script, e.g. `mkdir -p ~/.local/share/bash-completion/completions && keyapi-tiktok completions bash > ~/.local/share/bash-completion/completions/keyapi-tiktok`.
    Completions(crate::manual::CompletionsArgs),
    /// Print the man page (roff), or write one per subcommand: `keyapi-tiktok man --dir ~/.local/share/man/man1`.
    Man(crate::manual::ManArgs),
}

impl Command {
    /// Runs the command.
    pub(crate) async fn run(self) -> Result<(), Failure> {
        match self {
            Command::Videos(args) => videos::run(args).await,
            Command::Sync(args) => sync::run(args).await,
            Command::History(args) => queries::history(args),
            Command::Movers(args) => queries::movers(args),
            Command::Report(args) => report::run(args),
            Command::Store(args) => backup::run(args),
            Command::Cache(args) => cache::run(args).await,
            Command::Conformance(args) => conformance::run(args).await,
            Command::Completions(args) => manual::completions(args, Cli::command()),
            Command::Man(args) => manual::man(args, Cli::command()),
        }
    }
}

const EXIT_CODES: &str = "\
Exit status:
  0  success (a ranking shorter than --limit included)
  1  any other failure (server error, network, timeout, undecodable response, ...);
     for conformance: the answer drifted from the spec
  2  invalid arguments or environment (a date after today in UTC+14 included; for sync,
     history, movers, report and store backup also a store that is not ours, newer,
     hard-linked, a dangling symlink, or being written by another sync); no request was
     sent
  3  authentication failed (the API refused KEYAPI_API_KEY)
  4  credits exhausted (402), or the --budget spent
  5  still rate limited after the retries";

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::cache::CacheAction;
    use crate::flags::Format;
    use crate::videos::VideosArgs;

    fn parse(extra: &[&str]) -> Result<VideosArgs, clap::Error> {
        let base = [
            "keyapi-tiktok",
            "videos",
            "--date",
            "2026-11-24",
            "--region",
            "us",
            "--by",
            "views",
            "--period",
            "daily",
        ];
        let cli = Cli::try_parse_from(base.iter().chain(extra))?;
        match cli.command {
            Command::Videos(args) => Ok(args),
            other => unreachable!("parsed a videos command line, got {other:?}"),
        }
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_follow_the_contract() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.query.region.as_str(), "US");
        assert_eq!((args.query.limit, args.query.page_size), (10, 10));
        assert_eq!(args.output.format, Format::Table);
        assert_eq!(args.connection.max_retries, 3);
        assert_eq!(args.connection.timeout, Duration::from_secs(30));
        assert_eq!(args.connection.concurrency, 1);
        assert_eq!((args.query.ai, args.connection.qps), (None, None));
        assert!(!args.cache.no_cache);
    }

    #[test]
    fn the_cache_subcommand_takes_an_action_and_a_directory() {
        let cli = Cli::try_parse_from(["keyapi-tiktok", "cache", "stats", "--cache-dir", "/tmp/c"])
            .unwrap();
        let Command::Cache(args) = cli.command else {
            panic!("a cache command")
        };
        assert_eq!(args.action, CacheAction::Stats);
        assert_eq!(args.dir.cache_dir, Some(PathBuf::from("/tmp/c")));
        assert!(Cli::try_parse_from(["keyapi-tiktok", "cache", "purge"]).is_err());
    }

    #[test]
    fn values_are_checked_before_anything_runs() {
        for bad in [
            &["--limit", "0"][..],
            &["--page-size", "0"],
            &["--page-size", "11"],
            &["--ai", "yes"],
            &["--format", "xml"],
            &["--timeout", "0"],
            &["--timeout", "NaN"],
            &["--qps", "-1"],
            &["--qps", "inf"],
            &["--concurrency", "0"],
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
        assert_eq!(parse(&["--ai", "false"]).unwrap().query.ai, Some(false));
        assert_eq!(
            parse(&["--timeout", "0.25"]).unwrap().connection.timeout,
            Duration::from_millis(250)
        );
    }
}
