//! `keyapi-tiktok completions` and `man`: the command's documentation for other programs,
//! both generated from the clap definition (`cli.rs`), so they cannot drift from it.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
pub(crate) struct ManArgs {
    /// Write every page (keyapi-tiktok.1, keyapi-tiktok-sync.1, ...) into this directory,
    /// creating it, instead of printing keyapi-tiktok(1)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script of `command` for the shell asked for.
pub(crate) fn completions(args: CompletionsArgs, command: clap::Command) -> Result<(), Failure> {
    print(&completion_script(args.shell, command)).map_err(Failure::Output)
}

/// Prints keyapi-tiktok(1), or writes every page into `--dir`.
pub(crate) fn man(args: ManArgs, command: clap::Command) -> Result<(), Failure> {
    let pages = man_pages(command);
    match args.dir {
        None => match pages.first() {
            Some((_, page)) => print(page).map_err(Failure::Output),
            None => Ok(()),
        },
        Some(dir) => {
            let failed = |error: io::Error, path: &Path| Failure::Write {
                path: path.to_owned(),
                error,
            };
            fs::create_dir_all(&dir).map_err(|error| failed(error, &dir))?;
            for (name, page) in &pages {
                let path = dir.join(name);
                replace_file(&path, page).map_err(|error| failed(error, &path))?;
            }
            Ok(())
        }
    }
}

/// The completion script for `shell`.
///
/// Rendered into memory: clap_complete panics when its writer fails, and stdout may be a
/// closed pipe.
fn completion_script(shell: Shell, mut command: clap::Command) -> Vec<u8> {
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name.clone(), &mut script);
    if shell == Shell::Bash {
        // clap-rs/clap#6421: for a hyphenated name the bash script sets
        // `cmd="keyapi__tiktok__subcmd__sync"` but names its case arm
        // `keyapi__subcmd__tiktok__subcmd__sync)`, so no flag or value of a subcommand is
        // ever completed. The arms are renamed to what `cmd` holds.
        let wrong = name.replace('-', "__subcmd__");
        let right = name.replace('-', "__");
        if wrong != right {
            let text = String::from_utf8_lossy(&script).replace(&wrong, &right);
            script = text.into_bytes();
        }
    }
    if shell == Shell::Fish {
        script = fish_fixes(&command, &name, script);
    }
    script
}

/// What clap_complete's fish script leaves out: `help <TAB>` offered files, because its
/// condition counts the word `help` itself as a topic already given; and a positional
/// argument's values (`completions <TAB>`) were never offered.
fn fish_fixes(command: &clap::Command, name: &str, script: Vec<u8>) -> Vec<u8> {
    let function = format!("__fish_{}_using_subcommand", name.replace('-', "_"));
    let topics: Vec<&str> = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .collect();
    let seen = format!(
        "{function} help; and not __fish_seen_subcommand_from {}\"",
        topics.join(" ")
    );
    let fixed_seen = format!(
        "{function} help; and not __fish_seen_subcommand_from {}\"",
        topics
            .iter()
            .filter(|topic| **topic != "help")
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut text = String::from_utf8_lossy(&script).replace(&seen, &fixed_seen);
    for subcommand in command.get_subcommands() {
        for argument in subcommand.get_positionals() {
            let values: Vec<String> = argument
                .get_possible_values()
                .iter()
                .filter(|value| !value.is_hide_set())
                .map(|value| value.get_name().to_owned())
                .collect();
            if !values.is_empty() {
                text.push_str(&format!(
                    "complete -c {name} -n \"{function} {}\" -f -a \"{}\"\n",
                    subcommand.get_name(),
                    values.join(" ")
                ));
            }
        }
    }
    text.into_bytes()
}

/// Every man page, the command's first: one per subcommand, at every depth, each named
/// `keyapi-tiktok-SUB[-SUB].1` as the SUBCOMMANDS lists refer to them.
fn man_pages(command: clap::Command) -> Vec<(String, Vec<u8>)> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let source = format!(
        "{} {}",
        command.get_name(),
        command.get_version().unwrap_or_default()
    );
    let mut pages = Vec::new();
    collect_pages(&command, &source, &mut pages);
    pages
}

fn collect_pages(command: &clap::Command, source: &str, pages: &mut Vec<(String, Vec<u8>)>) {
    let man = clap_mangen::Man::new(command.clone()).source(source);
    pages.push((man.get_filename(), man_page(command, &man)));
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        collect_pages(sub, source, pages);
    }
}

/// One page: clap_mangen's sections, with the text after `--help`'s options split into
/// sections by its own headings (`Examples:` becomes EXAMPLES) instead of one "EXTRA".
fn man_page(command: &clap::Command, man: &clap_mangen::Man) -> Vec<u8> {
    let after_help = command
        .get_after_long_help()
        .or_else(|| command.get_after_help())
        .map(|text| text.to_string())
        .unwrap_or_default();
    let (prose, sections) = split_sections(&after_help);
    let mut page = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut page);
    let _ = man.render_name_section(&mut page);
    let _ = man.render_synopsis_section(&mut page);
    let _ = man.render_description_section(&mut page);
    if !prose.is_empty() {
        page.extend_from_slice(b".PP\n");
        page.extend_from_slice(preformatted(&prose).as_bytes());
    }
    if command.get_arguments().any(|arg| !arg.is_hide_set()) {
        let _ = man.render_options_section(&mut page);
    }
    if command.get_subcommands().any(|sub| !sub.is_hide_set()) {
        let _ = man.render_subcommands_section(&mut page);
    }
    for (title, body) in sections {
        page.extend_from_slice(format!(".SH {}\n", title.to_uppercase()).as_bytes());
        page.extend_from_slice(preformatted(&body).as_bytes());
    }
    if command.get_version().is_some() {
        let _ = man.render_version_section(&mut page);
    }
    // Each section clap_mangen renders repeats its two-line preamble; once is enough.
    let text = String::from_utf8_lossy(&page);
    let (first, rest) = text.split_at(text.find(PREAMBLE).map_or(0, |at| at + PREAMBLE.len()));
    ascii_roff(&format!("{first}{}", rest.replace(PREAMBLE, ""))).into_bytes()
}

/// What clap_mangen puts before each section it renders (the `\*(Aq` string).
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// The text before the first heading, then each heading with its text. A heading is a
/// line at the margin whose start, up to ` (` or `:`, is at most three words without a
/// comma (`Examples:`, `Exit status: 0 ...`, `Fields (json, ...):`).
fn split_sections(text: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let mut prose = Vec::new();
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some((title, rest)) = heading(line) {
            sections.push((title, rest.into_iter().collect()));
            continue;
        }
        match sections.last_mut() {
            Some((_, body)) => body.push(line.to_owned()),
            None => prose.push(line.to_owned()),
        }
    }
    (prose, sections)
}

fn heading(line: &str) -> Option<(String, Option<String>)> {
    if line.starts_with(' ') {
        return None;
    }
    let (head, rest) = line.split_once(':')?;
    let name = head.split(" (").next().unwrap_or(head);
    let words = name.split(' ').count();
    let shaped = name.starts_with(|c: char| c.is_ascii_uppercase())
        && words <= 3
        && name.chars().all(|c| c.is_ascii_alphabetic() || c == ' ');
    if !shaped {
        return None;
    }
    // `Fields (json, ...):` keeps its parenthesis as the first line of the section;
    // `Exit status: 0 every ...` keeps what follows the colon.
    let first = if name.len() < head.len() {
        Some(line.to_owned())
    } else {
        Some(rest.trim().to_owned()).filter(|rest| !rest.is_empty())
    };
    Some((name.to_owned(), first))
}

/// Lines kept as they are (no filling), escaped for roff.
fn preformatted(lines: &[String]) -> String {
    let mut out = String::from(".nf\n");
    for line in lines {
        let escaped = line.replace('\\', "\\e").replace('-', "\\-");
        if escaped.starts_with(['.', '\'']) {
            out.push_str("\\&");
        }
        out.push_str(&escaped);
        out.push('\n');
    }
    out.push_str(".fi\n");
    out
}

/// Every non-ASCII character as groff's `\[uXXXX]`, which every device renders (a raw
/// `×` draws a warning from `groff -ww`).
fn ascii_roff(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

/// Writes `bytes` to `path` through a new file beside it, renamed over it: a symbolic link
/// at `path` is replaced, never followed, and a reader never sees half a page.
fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut staging = path.as_os_str().to_owned();
    staging.push(format!(".tmp-{}", std::process::id()));
    let staging = PathBuf::from(staging);
    // `create_new`: a file already there under this name is not ours to overwrite or remove.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staging)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| fs::rename(&staging, path));
    if written.is_err() {
        let _ = fs::remove_file(&staging);
    }
    written
}

/// Writes `bytes` to stdout; a reader that went away (`| head`) is not a failure.
fn print(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
