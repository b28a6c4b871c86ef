//! `cargo xtask regenerate` works on the checkout it runs in, even when that checkout is a
//! copy made with its timestamps (`cp -a`) beside a shared `CARGO_TARGET_DIR`, where cargo
//! does not rebuild xtask and the binary's compile-time `CARGO_MANIFEST_DIR` still names
//! the original.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// What a checkout holds besides build output and `.git`.
const TREE: &[&str] = &[
    ".cargo",
    "Cargo.toml",
    "Cargo.lock",
    "crates",
    "spec",
    "tests",
    "xtask",
];

const GENERATED: &str = "crates/keyapi-tiktok-openapi/src/generated.rs";

/// Inserted before `page_num` in the copy's spec: a new required query parameter.
const NEW_PARAMETER: &str = "        - name: seller_id
          in: query
          description: 卖家 ID。
          required: true
          schema:
            type: string
";

fn original() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The target dir this test was built in, which the copy shares.
fn shared_target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_xtask"))
        .ancestors()
        .nth(2)
        .expect("the xtask binary lives in <target>/<profile>/")
        .to_path_buf()
}

/// `cargo xtask <args>` run inside `checkout`, as a user would.
fn cargo_xtask(checkout: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .arg("xtask")
        .args(args)
        .current_dir(checkout)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("cargo runs")
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn regenerate_reads_and_writes_only_the_checkout_it_runs_in() {
    let original = original();
    let temp = tempfile::tempdir().unwrap();
    let copy = temp.path().join("checkout");
    std::fs::create_dir(&copy).unwrap();
    for entry in TREE {
        let status = Command::new("cp")
            .arg("-a")
            .arg(original.join(entry))
            .arg(&copy)
            .status()
            .unwrap();
        assert!(status.success(), "cp -a {entry}");
    }
    let spec = copy.join("spec/upstream.openapi.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    assert_eq!(text.matches("        - name: page_num\n").count(), 1);
    let mutated = text.replacen(
        "        - name: page_num\n",
        &format!("{NEW_PARAMETER}        - name: page_num\n"),
        1,
    );
    std::fs::write(&spec, mutated).unwrap();

    let original_generated = original.join(GENERATED);
    let before = std::fs::read(&original_generated).unwrap();
    let before_modified = modified(&original_generated);

    let check = cargo_xtask(&copy, &["regenerate", "--check"]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert_eq!(
        check.status.code(),
        Some(1),
        "--check in the copy must find the copy's generated file stale\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("seller_id"), "{stdout}");

    let write = cargo_xtask(&copy, &["regenerate"]);
    let stderr = String::from_utf8_lossy(&write.stderr);
    assert!(write.status.success(), "{stderr}");
    assert!(
        stderr.contains("parameter seller_id added (&'a str)"),
        "regenerate names the new parameter: {stderr}"
    );
    let written = std::fs::read_to_string(copy.join(GENERATED)).unwrap();
    assert!(
        written.contains("seller_id: &'a str"),
        "the copy was rewritten"
    );
    assert_eq!(std::fs::read(&original_generated).unwrap(), before);
    assert_eq!(modified(&original_generated), before_modified);

    let check = cargo_xtask(&copy, &["regenerate", "--check"]);
    assert!(check.status.success(), "the copy is now fresh");
}
