//! The command's documentation for other programs: shell completions and the man page,
//! both generated from the clap definition in `args.rs`, so they cannot drift from it.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Cli;

/// The completion script for `shell`.
///
/// Rendered into memory: clap_complete panics when its writer fails, and stdout may be a
/// closed pipe.
pub(crate) fn completions(shell: Shell) -> Vec<u8> {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    script
}

/// The man page (roff): the command, then a section for each subcommand.
pub(crate) fn man_page() -> Vec<u8> {
    let command = Cli::command();
    let name = command.get_name().to_owned();
    let mut page = Vec::new();
    let pages = std::iter::once(command.clone()).chain(
        command
            .get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .map(|sub| {
                sub.clone()
                    .display_name(format!("{name}-{}", sub.get_name()))
            }),
    );
    for (index, command) in pages.enumerate() {
        if index > 0 {
            page.push(b'\n');
        }
        // Writing to a Vec cannot fail.
        let _ = clap_mangen::Man::new(command).render(&mut page);
    }
    page
}

/// Writes `bytes` to stdout; a reader that went away (`| head`) is not a failure.
pub(crate) fn print(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
