//! The `keyapi-tiktok` command: TikTok video rankings from KeyAPI as a table, JSON, NDJSON
//! or CSV. Data goes to stdout, everything else to stderr; the exit status says what
//! failed (see `keyapi-tiktok --help`).

mod backup;
mod cache;
mod cli;
mod conformance;
mod connect;
#[cfg(test)]
mod docs_drift;
mod failure;
mod flags;
mod glyphs;
mod logging;
mod manual;
mod output;
mod queries;
mod report;
mod rows;
mod sanitize;
mod store;
mod sync;
mod table;
mod videos;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            logging::line(&failure.line());
            ExitCode::from(failure.exit_code())
        }
    }
}
