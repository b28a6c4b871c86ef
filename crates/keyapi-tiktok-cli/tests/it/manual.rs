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

#[test]
fn the_man_page_is_roff_with_a_section_per_subcommand() {
    let output = run(&["man"]);
    assert!(output.status.success(), "{output:?}");
    let page = String::from_utf8(output.stdout).expect("utf-8");
    let titles: Vec<&str> = page
        .lines()
        .filter(|line| line.starts_with(".TH "))
        .map(|line| line.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        titles,
        [
            "keyapi-tiktok",
            "keyapi-tiktok-videos",
            "keyapi-tiktok-sync",
            "keyapi-tiktok-history",
            "keyapi-tiktok-movers",
            "keyapi-tiktok-store",
            "keyapi-tiktok-cache",
            "keyapi-tiktok-conformance",
            "keyapi-tiktok-completions",
            "keyapi-tiktok-man"
        ]
    );
    assert!(page.contains("KEYAPI_API_KEY"));
    assert!(
        page.contains("\\-\\-period"),
        "the videos flags are documented"
    );
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
