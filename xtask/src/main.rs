//! Project tasks, run as `cargo xtask <task>` (the alias lives in `.cargo/config.toml`).
//!
//! One module per task. `regenerate` and `update-spec` find their files from the workspace
//! root, so they behave the same from any directory; `spec-diff` takes its two paths as
//! given, and `update-spec` its SOURCE.

mod provenance;
mod regenerate;
#[cfg(test)]
mod semver;
mod spec;
mod spec_diff;
mod surface;
mod update_spec;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  regenerate [--check]   write crates/keyapi-tiktok-openapi/src/generated.rs from spec/,
                         and what produced it (spec and patches SHA-256, progenitor
                         version) in src/provenance.rs and the crate's Cargo.toml;
                         with --check, write nothing, print a diff and fail when stale
  spec-diff [--format text|json|markdown|github] [--fail-on breaking|additive|never] OLD NEW
                         compare two versions of the OpenAPI document (YAML or JSON), one
                         entry per change with its rule id; exit 1 when a change fails
                         --fail-on (default: breaking), exit 2 when the command line is
                         wrong or a file cannot be read or is not an OpenAPI document
  update-spec [--pr-body FILE] SOURCE
                         vendor a new upstream document (a file or an https:// URL): keep
                         the operations we wrap, re-apply spec/patches.yaml, regenerate,
                         add a CHANGELOG entry, write each breaking version bump into the
                         manifests and, with --pr-body, the pull request's body; exit 0
                         unchanged or additive, 1 breaking, 2 unusable (nothing written)";

/// Writes `text` and a newline to stderr, best-effort: a reader that went away (a closed
/// pipe) is no reason to panic.
pub(crate) fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Writes `text` to stdout, best-effort, like [`say`].
pub(crate) fn print_out(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["regenerate"] => regenerate::run(regenerate::Mode::Write),
        ["regenerate", "--check"] => regenerate::run(regenerate::Mode::Check),
        ["spec-diff", rest @ ..] => return spec_diff::main(rest),
        ["update-spec", rest @ ..] => return update_spec::main(rest),
        ["help" | "--help" | "-h"] => {
            print_out(&format!("{USAGE}\n"));
            Ok(true)
        }
        _ => {
            say(USAGE);
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            say(&format!("error: {error:#}"));
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of xtask's manifest directory, found from the
/// `CARGO_MANIFEST_DIR` that `cargo run` sets when it starts the task, so that a checkout
/// copied with its timestamps (`cp -a`) beside a shared target dir, where cargo does not
/// rebuild xtask, works on itself and not on the checkout the binary was compiled in. The
/// compile-time value is the fallback when the binary is started some other way, or by a
/// cargo that was running another package.
fn project_root() -> PathBuf {
    let compiled_in = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|dir| {
            dir.file_name() == compiled_in.file_name() && dir.join("Cargo.toml").is_file()
        })
        .unwrap_or_else(|| compiled_in.to_path_buf());
    manifest_dir
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    /// Every task `main` dispatches, as its first argument.
    const TASKS: [&str; 3] = ["regenerate", "spec-diff", "update-spec"];

    #[test]
    fn the_usage_lists_every_task() {
        for task in TASKS {
            assert!(
                super::USAGE.contains(&format!("\n  {task} ")),
                "`cargo xtask --help` does not list {task}:\n{}",
                super::USAGE
            );
        }
    }
}
