//! What each published crate's package needs that the workspace would otherwise hide: the
//! licence texts beside its manifest (cargo packages nothing from outside the crate's
//! directory), and no `include_str!`/`include_bytes!` of a file outside it (the package
//! would not build). `cargo package --workspace` in `.ci/run` builds every package; these
//! say which rule broke, and run with `cargo test`.

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
