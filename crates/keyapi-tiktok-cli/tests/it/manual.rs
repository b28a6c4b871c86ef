//! `keyapi-tiktok completions SHELL` and `keyapi-tiktok man`: generated from the command
//! definition, written to stdout, never a panic on a closed pipe.

use std::process::{Command, Stdio};

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keyapi-tiktok"))
        .args(args)
        .env_remove("KEYAPI_API_KEY")
        .output()
        .expect("the binary runs")
}

#[test]
fn completions_are_printed_for_every_supported_shell() {
    let marks = [
        ("bash", "-o default keyapi-tiktok"),
        ("zsh", "#compdef keyapi-tiktok"),
        ("fish", "complete -c keyapi-tiktok"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[keyapi-tiktok]"),
    ];
    for (shell, mark) in marks {
        let output = run(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {output:?}");
        let script = String::from_utf8(output.stdout).expect("utf-8");
        assert!(script.contains(mark), "{shell} script lacks {mark:?}");
        // Subcommands and their flags are completed (fish spells flags `-l period`).
        assert!(script.contains("videos"), "{shell}");
        assert!(
            script.contains("--period") || script.contains("-l period"),
            "{shell}"
        );
    }
}

#[test]
fn an_unknown_shell_is_refused_naming_the_choices() {
    let output = run(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tcsh") && stderr.contains("bash"),
        "{stderr}"
    );
}

/// Every page `man --dir` writes, by file name.
const PAGES: [&str; 15] = [
    "keyapi-tiktok-cache-clear.1",
    "keyapi-tiktok-cache-stats.1",
    "keyapi-tiktok-cache.1",
    "keyapi-tiktok-completions.1",
    "keyapi-tiktok-conformance.1",
    "keyapi-tiktok-history.1",
    "keyapi-tiktok-man.1",
    "keyapi-tiktok-movers.1",
    "keyapi-tiktok-report.1",
    "keyapi-tiktok-store-backup.1",
    "keyapi-tiktok-store.1",
    "keyapi-tiktok-sync.1",
    "keyapi-tiktok-videos.1",
    "keyapi-tiktok.1",
    "keyapi-tiktok-help.1",
];

#[test]
fn man_dir_writes_one_page_per_subcommand_each_naming_pages_that_exist() {
    let home = tempfile::tempdir().unwrap();
    // A fresh home: the directory does not exist yet.
    let dir = home.path().join(".local/share/man/man1");
    let output = run(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    let mut expected: Vec<&str> = PAGES[..14].to_vec();
    expected.sort();
    assert_eq!(written, expected);
    for name in &written {
        let page = std::fs::read_to_string(dir.join(name)).unwrap();
        let title = name.trim_end_matches(".1");
        let titles: Vec<&str> = page.lines().filter(|l| l.starts_with(".TH ")).collect();
        assert_eq!(titles.len(), 1, "{name}");
        assert!(titles[0].starts_with(&format!(".TH {title} 1")), "{name}");
        assert!(!page.contains("EXTRA"), "{name} has an EXTRA section");
        assert!(page.is_ascii(), "{name}: non-ASCII is escaped for groff");
        // Every page it refers to, as `name(1)` in a SUBCOMMANDS list, exists.
        let refers = |line: &&str| line.starts_with("keyapi\\-tiktok") && line.ends_with("(1)");
        for line in page.lines().filter(refers) {
            let referred = format!("{}.1", line.trim_end_matches("(1)").replace("\\-", "-"));
            assert!(written.contains(&referred), "{name} refers to {referred}");
        }
    }
    let sync = std::fs::read_to_string(dir.join("keyapi-tiktok-sync.1")).unwrap();
    assert!(sync.contains(".SH EXAMPLES") && sync.contains(".SH ENVIRONMENT"));
    assert!(
        sync.contains("\\-\\-period"),
        "the sync flags are documented"
    );
    let top = std::fs::read_to_string(dir.join("keyapi-tiktok.1")).unwrap();
    assert!(top.contains("KEYAPI_API_KEY") && top.contains(".SH EXIT STATUS"));
}

#[test]
fn man_without_a_directory_prints_the_main_page() {
    let output = run(&["man"]);
    assert!(output.status.success(), "{output:?}");
    let page = String::from_utf8(output.stdout).expect("utf-8");
    let titles: Vec<&str> = page
        .lines()
        .filter(|line| line.starts_with(".TH "))
        .collect();
    assert_eq!(titles.len(), 1, "{titles:?}");
    assert!(titles[0].starts_with(".TH keyapi-tiktok 1"));
}

/// `groff -ww` (every warning) and man-db's `man --warnings` render each page cleanly.
#[test]
fn every_man_page_renders_without_a_groff_warning() {
    if !tool_present("groff") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(&["man", "--dir", dir.path().to_str().unwrap()])
            .status
            .success()
    );
    for name in &PAGES[..14] {
        let page = dir.path().join(name);
        let output = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}: {output:?}");
        assert!(
            output.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The README's advice: pages under `~/.local/share/man/man1` are found by `man` once
/// `MANPATH` names that directory's parent (with a trailing `:`, keeping the system's).
#[test]
fn man_finds_the_installed_pages_through_manpath() {
    if !tool_present("man") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".local/share/man/man1");
    assert!(
        run(&["man", "--dir", dir.to_str().unwrap()])
            .status
            .success()
    );
    let manpath = format!("{}:", home.path().join(".local/share/man").display());
    let output = Command::new("man")
        .args(["-w", "keyapi-tiktok-sync"])
        .env("MANPATH", manpath)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        dir.join("keyapi-tiktok-sync.1").display().to_string()
    );
}

/// Whether `tool` runs here; under CI it must (`.ci/run` installs it).
fn tool_present(tool: &str) -> bool {
    let present = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is missing: .ci/run installs it"
        );
        eprintln!("skipped: {tool} is not installed");
    }
    present
}

/// What `shell` completes for `line`, by the script `completions` prints, in the real shell.
fn complete(shell: &str, line: &str) -> Option<Vec<String>> {
    if !tool_present(shell) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = run(&["completions", shell]);
    assert!(output.status.success(), "{shell}: {output:?}");
    let script_name = match shell {
        "zsh" => "_keyapi-tiktok",
        _ => "keyapi-tiktok.script",
    };
    let script = dir.path().join(script_name);
    std::fs::write(&script, &output.stdout).unwrap();
    let mut command = match shell {
        "bash" => {
            // As bash calls a completion function: the words, the current word's index,
            // then the function with the command, the current and the previous word.
            let words: Vec<&str> = line.split(' ').collect();
            let current = words.len() - 1;
            let snippet = format!(
                "source {script:?}; COMP_WORDS=({words}); COMP_CWORD={current}; \
                 _keyapi__tiktok keyapi-tiktok {cur:?} {prev:?}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                words = words
                    .iter()
                    .map(|w| format!("{w:?}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                cur = words[current],
                prev = words[current - 1],
            );
            let mut command = Command::new("bash");
            command.args(["--norc", "--noprofile", "-c", &snippet]);
            command
        }
        "zsh" => {
            let mut command = Command::new("zsh");
            command
                .arg("-f")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/it/shells/capture.zsh"
                ))
                .arg(dir.path())
                .arg(line);
            command
        }
        "fish" => {
            let mut command = Command::new("fish");
            command.args([
                "--no-config",
                "-c",
                &format!("source {script:?}; complete -C {line:?}"),
            ]);
            command
        }
        other => unreachable!("no harness for {other}"),
    };
    let output = command.env("HOME", dir.path()).output().unwrap();
    assert!(output.status.success(), "{shell} {line:?}: {output:?}");
    let offered = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.split('\t').next().unwrap_or_default().to_owned())
        .filter(|line| !line.is_empty())
        .collect();
    Some(offered)
}

#[test]
fn every_shell_completes_a_flag_and_its_values() {
    for shell in ["bash", "zsh", "fish"] {
        let Some(flags) = complete(shell, "keyapi-tiktok sync --per") else {
            continue;
        };
        assert_eq!(flags, ["--period"], "{shell}: sync --per<TAB>");
        let mut formats = complete(shell, "keyapi-tiktok videos --format ").unwrap();
        formats.sort();
        assert_eq!(
            formats,
            ["csv", "json", "ndjson", "table"],
            "{shell}: videos --format <TAB>"
        );
        let mut periods = complete(shell, "keyapi-tiktok sync --period ").unwrap();
        periods.sort();
        assert_eq!(
            periods,
            ["daily", "monthly", "weekly"],
            "{shell}: sync --period <TAB>"
        );
    }
}

/// Positional values and `help`'s topics too, not only flags: fish's generated script
/// offered files for `completions <TAB>` and `help <TAB>`.
#[test]
fn every_shell_completes_the_shell_names_and_the_help_topics() {
    for shell in ["bash", "zsh", "fish"] {
        let Some(mut shells) = complete(shell, "keyapi-tiktok completions ") else {
            continue;
        };
        shells.retain(|word| !word.starts_with('-'));
        shells.sort();
        assert_eq!(
            shells,
            ["bash", "elvish", "fish", "powershell", "zsh"],
            "{shell}: completions <TAB>"
        );
        let mut topics = complete(shell, "keyapi-tiktok help ").unwrap();
        topics.sort();
        assert_eq!(
            topics,
            [
                "cache",
                "completions",
                "conformance",
                "help",
                "history",
                "man",
                "movers",
                "report",
                "store",
                "sync",
                "videos"
            ],
            "{shell}: help <TAB>"
        );
    }
}

/// The install examples `--help` gives, pasted on a fresh home whose path has a space:
/// each succeeds and writes what it says (`man > ~/.local/share/man/man1/…` failed there,
/// and installed one page of eleven).
#[test]
fn the_install_examples_in_the_help_work_on_a_fresh_home() {
    let output = run(&["--help"]);
    let help = String::from_utf8(output.stdout).unwrap();
    let examples: Vec<&str> = help
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|example| example.contains("keyapi-tiktok ") && example.contains("~/"))
        .collect();
    assert!(examples.len() >= 2, "no install examples in:\n{help}");
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_keyapi-tiktok"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let parent = tempfile::tempdir().unwrap();
    let home = parent.path().join("a fresh home");
    std::fs::create_dir(&home).unwrap();
    for example in &examples {
        let output = Command::new("sh")
            .args(["-c", example])
            .env("HOME", &home)
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(output.status.success(), "{example}: {output:?}");
    }
    assert!(
        home.join(".local/share/man/man1/keyapi-tiktok-sync.1")
            .is_file(),
        "the help's man example installs every page"
    );
    assert!(
        home.join(".local/share/bash-completion/completions/keyapi-tiktok")
            .is_file()
    );
}

#[test]
fn sync_help_does_not_promise_an_output_order() {
    let output = run(&["sync", "--help"]);
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(!help.contains("rank order"), "{help}");
    let output = run(&["videos", "--help"]);
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("rank order"), "{help}");
}

#[test]
fn a_closed_stdout_is_not_a_failure() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyapi-tiktok"))
        .args(["man"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take()); // the reader went away, as with `| head -0`
    let output = child.wait_with_output().expect("it exits");
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
