//! What a new user does, from the packaged crates: a brand-new cargo project outside the
//! workspace that adds exactly what the READMEs say (their `cargo add` lines), with the
//! workspace README's Quickstart as `src/main.rs` and the test kit guide's complete test
//! as `tests/ranking.rs`; it must build (the binary first alone, as `cargo run` builds it,
//! without the dev-dependencies' features), the guide's test pass, and the Quickstart run
//! against the test kit (twice: the second run is answered by the cache it flushed).
//!
//! The crates come from `cargo package` (unpacked, reached through `[patch.crates-io]`,
//! since they are not on crates.io); every other crate from the workspace's `Cargo.lock`,
//! offline, built in the shared target directory. It takes minutes, so it is ignored by
//! `cargo test` and run by `.ci/run`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::markdown::{code_blocks, workspace_root};

/// The project's name, as the Quickstart's `cargo new` gives it.
const PROJECT: &str = "top-sales";

#[test]
#[ignore = "packages the crates and builds a new project (minutes); .ci/run runs it"]
fn a_new_project_with_what_the_readmes_say_builds_and_runs_the_quickstart() {
    let root = workspace_root();
    let scratch = tempfile::tempdir().unwrap();
    let crates = package_and_unpack(&root, scratch.path());

    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let quickstart = section(&readme, "## Quickstart");
    let guide =
        std::fs::read_to_string(root.join("crates/keyapi-tiktok-testkit/README.md")).unwrap();
    let mut adds = cargo_add_lines(quickstart);
    adds.extend(cargo_add_lines(&guide));
    assert!(adds.len() >= 3, "the READMEs' cargo add lines: {adds:?}");

    let main_rs = first_rust_block(quickstart);
    let example =
        std::fs::read_to_string(root.join("crates/keyapi-tiktok/examples/top_sales.rs")).unwrap();
    assert!(
        example.ends_with(&main_rs),
        "the README says examples/top_sales.rs is the same code as its Quickstart"
    );

    let project = scratch.path().join(PROJECT);
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::create_dir_all(project.join("tests")).unwrap();
    std::fs::write(project.join("Cargo.toml"), manifest(&adds, &crates)).unwrap();
    std::fs::write(project.join("src/main.rs"), main_rs).unwrap();
    std::fs::write(project.join("tests/ranking.rs"), first_rust_block(&guide)).unwrap();
    std::fs::write(project.join("tests/quickstart_runs.rs"), HARNESS).unwrap();
    // The workspace's versions of everything else, so nothing is fetched.
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();

    // First as the Quickstart's reader builds it, without the dev-dependencies: `cargo
    // test` alone would unify their features into the binary's (tokio's `macros` came from
    // the test kit's wiremock, so a Quickstart without it passed).
    let output = cargo(&project)
        .args(["build", "--offline", "--bins"])
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo build in the new project failed\n{}\nCargo.toml:\n{}",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(project.join("Cargo.toml")).unwrap()
    );
    let output = cargo(&project)
        .args(["test", "--offline"])
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("QUICKSTART_HOME", scratch.path().join("home"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo test in the new project failed\n{stdout}\n{stderr}\nCargo.toml:\n{}",
        std::fs::read_to_string(project.join("Cargo.toml")).unwrap()
    );
    for test in [
        "a_rate_limited_page_is_retried_and_costs_nothing",
        "the_quickstart_runs_against_the_test_kit",
    ] {
        assert!(
            stdout.contains(&format!("test {test} ... ok")),
            "{test}: {stdout}"
        );
    }
}

/// Runs the Quickstart's binary against the test kit; written into the project by the test
/// above, with only the dependencies the READMEs add.
const HARNESS: &str = r##"use keyapi_tiktok_testkit::FakeKeyApi;

#[tokio::test(flavor = "multi_thread")]
async fn the_quickstart_runs_against_the_test_kit() {
    let fake = FakeKeyApi::start().await;
    let home = std::env::var("QUICKSTART_HOME").unwrap();
    for run in 1..=2 {
        let (base_url, home) = (fake.base_url(), home.clone());
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_top-sales"))
                .env("KEYAPI_API_KEY", "test-key")
                .env("KEYAPI_BASE_URL", base_url)
                .env("HOME", &home)
                .env("XDG_CACHE_HOME", format!("{home}/.cache"))
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "run {run}: {output:?}");
        assert_eq!(stdout.lines().count(), 25, "run {run}: {stdout}");
        assert!(stdout.starts_with("#1 "), "run {run}: {stdout}");
        assert!(stdout.contains("https://www.tiktok.com/@"), "run {run}: {stdout}");
        // Three pages of ten, once: the second run is answered by the cache.
        assert_eq!(fake.credits_spent(), 3, "run {run}");
    }
}
"##;

/// `cargo package` of every published crate into `scratch/package`, each unpacked beside
/// it: crate name → its directory.
fn package_and_unpack(root: &Path, scratch: &Path) -> Vec<(String, PathBuf)> {
    let target = scratch.join("package-target");
    let output = cargo(root)
        .args([
            "package",
            "--workspace",
            "--locked",
            "--offline",
            "--no-verify",
            "--allow-dirty",
            "--exclude",
            "xtask",
            "--exclude",
            "keyapi-tiktok-drift-tests",
            "--target-dir",
        ])
        .arg(&target)
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo package: {output:?}");
    let unpacked = scratch.join("crates");
    std::fs::create_dir_all(&unpacked).unwrap();
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(target.join("package")).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .strip_suffix(".crate")
        else {
            continue;
        };
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&path)
            .arg("-C")
            .arg(&unpacked)
            .status()
            .unwrap();
        assert!(status.success(), "tar -xzf {}", path.display());
        let (name, _version) = stem.rsplit_once('-').unwrap();
        crates.push((name.to_owned(), unpacked.join(stem)));
    }
    assert!(crates.len() >= 6, "packaged {crates:?}");
    crates
}

/// One dependency a `cargo add` line adds.
#[derive(Debug)]
struct Added {
    name: String,
    dev: bool,
    features: Vec<String>,
    default_features: bool,
}

/// The dependencies of every `cargo add` line in `markdown`'s code blocks (the subset of
/// cargo add's syntax the READMEs use: names, `--dev`, `--features`/`-F` for a single
/// crate, `--no-default-features`).
fn cargo_add_lines(markdown: &str) -> Vec<Added> {
    let mut added = Vec::new();
    for block in code_blocks(markdown) {
        for line in block.code.lines() {
            let Some(args) = line.trim().strip_prefix("cargo add ") else {
                continue;
            };
            let args = args.split('#').next().unwrap_or_default();
            let (mut names, mut features) = (Vec::new(), Vec::new());
            let (mut dev, mut default_features) = (false, true);
            let mut words = args.split_whitespace();
            while let Some(word) = words.next() {
                match word {
                    "--dev" => dev = true,
                    "--no-default-features" => default_features = false,
                    "--features" | "-F" => features.extend(
                        words
                            .next()
                            .unwrap_or_default()
                            .split(',')
                            .map(str::to_owned),
                    ),
                    "&&" => break,
                    flag if flag.starts_with('-') => panic!("unsupported cargo add flag {flag}"),
                    name => names.push(name.to_owned()),
                }
            }
            assert!(
                features.is_empty() || names.len() == 1,
                "features for several crates: {line}"
            );
            added.extend(names.into_iter().map(|name| Added {
                name,
                dev,
                features: features.clone(),
                default_features,
            }));
        }
    }
    added
}

/// The new project's manifest: the added dependencies, the packaged crates patched in.
fn manifest(adds: &[Added], crates: &[(String, PathBuf)]) -> String {
    let mut normal = String::from("[dependencies]\n");
    let mut dev = String::from("[dev-dependencies]\n");
    for add in adds {
        // Each of ours at its own packaged version (`NAME-VERSION`), as `cargo add` takes it.
        let version = crates
            .iter()
            .find(|(name, _)| *name == add.name)
            .and_then(|(_, dir)| dir.file_name()?.to_str()?.rsplit_once('-'))
            .map_or("*", |(_, version)| version);
        let line = format!(
            "{} = {{ version = \"{}\", features = {:?}, default-features = {} }}\n",
            add.name, version, add.features, add.default_features
        );
        if add.dev { &mut dev } else { &mut normal }.push_str(&line);
    }
    let patches: String = crates
        .iter()
        .map(|(name, dir)| format!("{name} = {{ path = {:?} }}\n", dir.display().to_string()))
        .collect();
    format!(
        "[package]\nname = \"{PROJECT}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         {normal}\n{dev}\n[patch.crates-io]\n{patches}"
    )
}

/// From `heading` to the next heading of the same level.
fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start = markdown.find(&format!("\n{heading}\n")).expect(heading);
    let level = heading.split(' ').next().unwrap_or_default();
    let rest = &markdown[start + 1 + heading.len()..];
    let end = rest.find(&format!("\n{level} ")).unwrap_or(rest.len());
    &rest[..end]
}

fn first_rust_block(markdown: &str) -> String {
    code_blocks(markdown)
        .into_iter()
        .find(|block| block.language.starts_with("rust"))
        .expect("a rust block")
        .code
}

fn cargo(dir: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(dir)
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_NET_OFFLINE", "true");
    command
}

/// The target directory this test was built in (`<target>/debug/deps/it-…`), which the
/// new project shares, so only what differs is compiled.
fn shared_target_dir() -> PathBuf {
    std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .expect("the test binary lives in <target>/<profile>/deps/")
        .to_path_buf()
}
