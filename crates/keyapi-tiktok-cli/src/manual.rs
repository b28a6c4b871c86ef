//! `keyapi-tiktok completions` and `man`: the command's documentation for other programs,
//! both generated from the clap definition (`cli.rs`), so they cannot drift from it.

use std::io::Write;

use clap::Args;
use clap_complete::Shell;

use crate::failure::Failure;

/// `keyapi-tiktok completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    shell: Shell,
}

/// `keyapi-tiktok man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {}

/// Prints the completion script of `command` for the shell asked for.
pub(crate) fn completions(args: CompletionsArgs, command: clap::Command) -> Result<(), Failure> {
    print(&completion_script(args.shell, command)).map_err(Failure::Output)
}

/// Prints the man page of `command`.
pub(crate) fn man(_args: ManArgs, command: clap::Command) -> Result<(), Failure> {
    print(&man_page(command)).map_err(Failure::Output)
}

/// The completion script for `shell`.
///
/// Rendered into memory: clap_complete panics when its writer fails, and stdout may be a
/// closed pipe.
fn completion_script(shell: Shell, mut command: clap::Command) -> Vec<u8> {
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    script
}

/// The man page (roff): the command, then a section for each subcommand.
fn man_page(command: clap::Command) -> Vec<u8> {
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
fn print(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
