//! What each published crate's package needs that the workspace would otherwise hide: the
//! licence texts beside its manifest (cargo packages nothing from outside the crate's
//! directory), and no `include_str!`/`include_bytes!` of a file outside it (the package
//! would not build). `cargo package --workspace` in `.ci/run` builds every package; these
//! say which rule broke, and run with `cargo test`. Also: the command's binstall metadata
//! names the archives cargo-dist builds.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the workspace root")
        .to_path_buf()
}

/// The directories of the crates under `crates/` that are published (no `publish = false`).
fn published_crates() -> Vec<PathBuf> {
    let mut crates: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("crates"))
        .expect("crates/ is readable")
        .map(|entry| entry.expect("crates/ is listable").path())
        .filter(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|manifest| !manifest.contains("\npublish = false"))
        })
        .collect();
    crates.sort();
    assert!(crates.len() >= 5, "found only {crates:?}");
    crates
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.expect("a source directory is listable").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

/// The literal paths `include_str!("…")` and `include_bytes!("…")` name in `source`.
fn included_paths(source: &str) -> Vec<&str> {
    ["include_str!(", "include_bytes!("]
        .iter()
        .flat_map(|call| source.match_indices(call))
        .filter_map(|(at, call)| {
            let rest = source[at + call.len()..].trim_start().strip_prefix('"')?;
            Some(&rest[..rest.find('"')?])
        })
        .collect()
}

#[test]
fn every_published_crate_ships_the_licence_texts_of_the_root() {
    let root = workspace_root();
    for name in ["LICENSE-MIT", "LICENSE-APACHE"] {
        let text = std::fs::read_to_string(root.join(name))
            .unwrap_or_else(|error| panic!("{name} at the workspace root: {error}"));
        for dir in published_crates() {
            let copy = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            assert!(
                copy == text,
                "{} must be a copy of the root's {name}: `cp {name} {}/`",
                dir.join(name).display(),
                dir.display()
            );
        }
    }
}

#[test]
fn no_published_source_includes_a_file_outside_its_crate() {
    let mut outside = Vec::new();
    for dir in published_crates() {
        let dir = dir.canonicalize().expect("a crate directory resolves");
        for file in ["src", "examples"]
            .iter()
            .flat_map(|part| rust_files(&dir.join(part)))
        {
            let source = std::fs::read_to_string(&file).expect("a source file is readable");
            for included in included_paths(&source) {
                let target = file.parent().map(|parent| parent.join(included));
                let inside = target
                    .and_then(|target| target.canonicalize().ok())
                    .is_some_and(|target| target.starts_with(&dir));
                if !inside {
                    outside.push(format!("{}: {included}", file.display()));
                }
            }
        }
    }
    assert!(
        outside.is_empty(),
        "these includes reach outside their crate, whose package would not build:\n{}",
        outside.join("\n")
    );
}

#[test]
fn included_paths_are_found() {
    let source = r#"const A: &str = include_str!("../a.json"); let b = include_bytes!( "b.bin");"#;
    assert_eq!(included_paths(source), ["../a.json", "b.bin"]);
}

/// The `key = "value"` lines of `section` in a TOML file (enough for the flat sections
/// read here).
fn toml_section(text: &str, section: &str) -> Vec<(String, String)> {
    let header = format!("[{section}]");
    text.lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .filter_map(|line| line.split_once(" = "))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// `cargo binstall keyapi-tiktok-cli` finds, for every target cargo-dist builds, the
/// archive cargo-dist names (`{package}-{target}.tar.xz`, `.zip` on Windows) and the
/// binary where cargo-dist puts it: in a `{package}-{target}/` directory in a tarball, at
/// the root of a zip (a Windows install looked for `keyapi-tiktok-cli-{target}/…` in a
/// flat zip).
#[test]
fn binstall_metadata_names_every_archive_cargo_dist_builds() {
    let root = workspace_root();
    let manifest =
        std::fs::read_to_string(root.join("crates/keyapi-tiktok-cli/Cargo.toml")).unwrap();
    let dist = std::fs::read_to_string(root.join("dist-workspace.toml")).unwrap();
    let release_plz = std::fs::read_to_string(root.join("release-plz.toml")).unwrap();
    // The tag the release is made from: the command's own, as release-plz names it.
    let tag = release_plz
        .lines()
        .skip_while(|line| line.trim() != "name = \"keyapi-tiktok-cli\"")
        .find_map(|line| line.trim().strip_prefix("git_tag_name = "))
        .expect("release-plz.toml names the command's tag")
        .trim_matches('"')
        .replace("{{ version }}", "1.2.3");
    for setting in ["unix-archive", "windows-archive"] {
        assert!(!dist.contains(setting), "update this test for {setting}");
    }
    let targets: Vec<String> = toml_section(&dist, "dist")
        .into_iter()
        .find(|(key, _)| key == "targets")
        .expect("dist-workspace.toml lists targets")
        .1
        .trim_matches(['[', ']'])
        .split(',')
        .map(|target| target.trim().trim_matches('"').to_owned())
        .collect();
    assert!(targets.len() >= 3, "{targets:?}");
    let base = toml_section(&manifest, "package.metadata.binstall");
    for target in &targets {
        let mut settings = base.clone();
        settings.extend(toml_section(
            &manifest,
            &format!("package.metadata.binstall.overrides.{target}"),
        ));
        let setting = |key: &str| {
            settings
                .iter()
                .rev()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.trim_matches('"').to_owned())
                .unwrap_or_else(|| panic!("{target}: no {key}"))
        };
        let windows = target.contains("windows");
        let suffix = match setting("pkg-fmt").as_str() {
            "txz" => ".tar.xz",
            "zip" => ".zip",
            other => panic!("{target}: pkg-fmt {other}"),
        };
        let render = |template: String| {
            template
                .replace("{ repo }", "REPO")
                .replace("{ version }", "1.2.3")
                .replace("{ name }", "keyapi-tiktok-cli")
                .replace("{ bin }", "keyapi-tiktok")
                .replace("{ target }", target)
                .replace("{ archive-suffix }", suffix)
                .replace("{ binary-ext }", if windows { ".exe" } else { "" })
        };
        let (archive, binary) = if windows {
            (
                format!("keyapi-tiktok-cli-{target}.zip"),
                "keyapi-tiktok.exe".to_owned(),
            )
        } else {
            (
                format!("keyapi-tiktok-cli-{target}.tar.xz"),
                format!("keyapi-tiktok-cli-{target}/keyapi-tiktok"),
            )
        };
        assert_eq!(
            render(setting("pkg-url")),
            format!("REPO/releases/download/{tag}/{archive}"),
            "{target}"
        );
        assert_eq!(render(setting("bin-dir")), binary, "{target}");
    }
}
