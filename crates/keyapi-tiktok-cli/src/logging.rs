//! What goes to stderr: warnings and errors as single cleaned lines, the log of `-v`
//! and `RUST_LOG`, and the progress bar. Every write is best-effort, so a closed stderr never costs the data on
//! stdout nor changes the exit status.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::sanitize;

/// The longest line written to stderr, in characters: upstream messages can be pages long.
pub(crate) const MAX_LINE_CHARS: usize = 1000;

/// Writes `text` to stderr as one line: cleaned of control, bidi and zero-width
/// characters, cut at [`MAX_LINE_CHARS`], and dropped if stderr cannot be written.
pub(crate) fn line(text: &str) {
    let clean = sanitize::bound(&sanitize::for_terminal(text), MAX_LINE_CHARS);
    let _ = writeln!(io::stderr().lock(), "{clean}");
}

/// `warning: …` on stderr, unless `quiet`.
pub(crate) fn warn(quiet: bool, message: &str) {
    if !quiet {
        line(&format!("warning: {message}"));
    }
}

/// Installs a log on stderr when asked for: `-v` shows the client's retries, waits and
/// cache activity (info), `-vv` its debug events and every request and attempt as it
/// ends; a non-empty `RUST_LOG` chooses the
/// filter itself. Nothing is logged with `quiet`, nor by default.
pub(crate) fn install(verbosity: u8, quiet: bool) {
    if quiet {
        return;
    }
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|filter| !filter.trim().is_empty());
    let filter = match (from_env, verbosity) {
        (Some(filter), _) => EnvFilter::new(filter),
        (None, 0) => return,
        // The library and this binary (whose crate is also named `keyapi_tiktok`); never
        // the HTTP stack.
        (None, 1) => EnvFilter::new("keyapi_tiktok=info"),
        (None, _) => EnvFilter::new("keyapi_tiktok=debug"),
    };
    // -vv also logs each request and attempt as it ends, with its status, code,
    // requestId and duration.
    let span_events = if verbosity >= 2 {
        FmtSpan::CLOSE
    } else {
        FmtSpan::NONE
    };
    // Another subscriber already set is fine: the log is best-effort too.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(span_events)
        .with_writer(|| CleanStderr)
        .try_init();
}

/// Stderr for the log: each event's lines cleaned and bounded like [`line`], errors
/// swallowed.
struct CleanStderr;

impl Write for CleanStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        for event_line in text.lines() {
            line(event_line);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}

/// A progress bar on stderr when it is a terminal and several pages are fetched; hidden
/// otherwise.
pub(crate) fn progress_bar(pages: u64, quiet: bool) -> ProgressBar {
    if quiet || pages < 2 || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(pages);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} page {pos}/{len} {wide_bar} {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}
