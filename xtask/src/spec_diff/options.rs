//! The command line of `cargo xtask spec-diff`: `[--format F] [--fail-on L] OLD NEW`.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::rule::Severity;

/// How the report is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Format {
    /// One line per change with its rule id, then the counts.
    #[default]
    Text,
    /// One JSON object (shape in the module documentation).
    Json,
    /// A heading and a table, for a pull-request comment or a job summary.
    Markdown,
    /// GitHub workflow commands (`::error`/`::warning`) with the file and line in NEW.
    Github,
}

/// Which changes make the task fail (exit 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum FailOn {
    /// Breaking changes only.
    #[default]
    Breaking,
    /// Any change, breaking or additive.
    Additive,
    /// None: the report is informational.
    Never,
}

impl FailOn {
    /// Whether a change of `severity` makes the task fail.
    pub(super) fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Breaking => severity == Severity::Breaking,
            FailOn::Additive => true,
            FailOn::Never => false,
        }
    }
}

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Options {
    pub(super) format: Format,
    pub(super) fail_on: FailOn,
    pub(super) old: PathBuf,
    pub(super) new: PathBuf,
}

impl Options {
    /// Parses the arguments after `spec-diff`; options may come before or after the paths,
    /// as `--format json` or `--format=json`.
    pub(super) fn parse(args: &[&str]) -> Result<Options> {
        let mut format = Format::default();
        let mut fail_on = FailOn::default();
        let mut paths = Vec::new();
        let mut args = args.iter().copied();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
                _ => (arg, None),
            };
            let mut value = |flag: &str| match inline {
                Some(value) => Ok(value),
                None => args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("{flag} needs a value")),
            };
            match flag {
                "--format" => {
                    format = match value(flag)? {
                        "text" => Format::Text,
                        "json" => Format::Json,
                        "markdown" => Format::Markdown,
                        "github" => Format::Github,
                        other => {
                            bail!("--format {other:?}: expected text, json, markdown or github")
                        }
                    }
                }
                "--fail-on" => {
                    fail_on = match value(flag)? {
                        "breaking" => FailOn::Breaking,
                        "additive" => FailOn::Additive,
                        "never" => FailOn::Never,
                        other => bail!("--fail-on {other:?}: expected breaking, additive or never"),
                    }
                }
                _ if flag.starts_with("--") => bail!("unknown option {flag}"),
                _ => paths.push(PathBuf::from(arg)),
            }
        }
        let [old, new]: [PathBuf; 2] = paths.try_into().map_err(|paths: Vec<PathBuf>| {
            anyhow::anyhow!("expected OLD and NEW, got {} path(s)", paths.len())
        })?;
        Ok(Options {
            format,
            fail_on,
            old,
            new,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_text_and_breaking() {
        let options = Options::parse(&["a.yaml", "b.json"]).unwrap();
        assert_eq!(
            options,
            Options {
                format: Format::Text,
                fail_on: FailOn::Breaking,
                old: "a.yaml".into(),
                new: "b.json".into(),
            }
        );
    }

    #[test]
    fn options_in_either_spelling_and_position() {
        let options = Options::parse(&["--format=github", "a", "b", "--fail-on", "never"]).unwrap();
        assert_eq!(
            (options.format, options.fail_on),
            (Format::Github, FailOn::Never)
        );
        let options = Options::parse(&["a", "--format", "markdown", "b"]).unwrap();
        assert_eq!(options.format, Format::Markdown);
    }

    #[test]
    fn bad_command_lines_name_the_problem() {
        for (args, expected) in [
            (&["--format", "xml", "a", "b"][..], "--format \"xml\""),
            (
                &["--fail-on", "sometimes", "a", "b"],
                "--fail-on \"sometimes\"",
            ),
            (&["--format"], "--format needs a value"),
            (&["--colour", "a", "b"], "unknown option --colour"),
            (&["a"], "expected OLD and NEW, got 1 path(s)"),
        ] {
            let message = Options::parse(args).unwrap_err().to_string();
            assert!(message.starts_with(expected), "{args:?}: {message}");
        }
    }
}
