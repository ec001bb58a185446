//! The README's shell examples paste as they stand (issue 14 item 10): every ```sh block that
//! talks to a running zero-config emulator is run with bash, in README order and in one
//! shell's worth of variables (`E`, `Q`, `call` carry over, as when a reader pastes them one
//! after the other), against a fresh emulator. A block may answer a non-zero ErrorCode (a FAIL, or
//! one item's error such as 10010 in get_group_info) only where its comments show one.
//!
//! Skipped: blocks that start an emulator with flags of their own (a config file, a callback
//! receiver), Docker, and builds. A bare `cargo run --release &` line is dropped (the test's
//! emulator stands in for it). Needs `bash`, `curl` and `jq`, as the README says.

use std::process::Command;

use crate::common::Emu;

const README: &str = include_str!("../../README.md");

/// The ```sh blocks, in order.
fn sh_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                out.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

/// Whether the block runs against the test's emulator as it stands.
fn runnable(block: &str) -> bool {
    let talks = block.contains("127.0.0.1:8269") || block.contains("$E") || block.contains("call ");
    let starts_own = block.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with("cargo run")
            && l.trim_end() != "cargo run --release &   # zero configuration, port 8269")
            || l.starts_with("tim-emulator")
            || l.starts_with("python3")
            || l.starts_with("docker")
            || l.starts_with("TIM_EMULATOR_")
    });
    talks && !starts_own
}

/// How many non-zero `"ErrorCode":N` the text holds (a FAIL answer, or one item's error).
fn error_codes(text: &str) -> usize {
    text.split("\"ErrorCode\":")
        .skip(1)
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit() && c != '0'))
        .count()
}

/// The non-zero ErrorCodes the block's comments show.
fn expected_errors(block: &str) -> usize {
    let comments: String = block
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect();
    error_codes(&comments)
}

// Multi-threaded: the test blocks on bash while the emulator serves in the same runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_runnable_shell_example_of_the_readme_runs_against_a_fresh_emulator() {
    let emu = Emu::start().await;
    let dir = std::env::temp_dir().join(format!("tim-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let _ = std::os::unix::fs::symlink(fixtures, dir.join("fixtures"));
    let mut prelude = String::from("set -e\n");
    let mut ran = 0;
    for block in sh_blocks(README) {
        // Definitions carry over to later blocks, as in one shell.
        let defs: String = block
            .lines()
            .filter(|l| l.starts_with("E=") || l.starts_with("Q=") || l.starts_with("call()"))
            .map(|l| format!("{l}\n"))
            .collect();
        if !runnable(&block) {
            continue;
        }
        let body = block
            .replace(
                "cargo run --release &   # zero configuration, port 8269",
                "",
            )
            .replace("http://127.0.0.1:8269", &emu.base());
        let defs_here = defs.replace("http://127.0.0.1:8269", &emu.base());
        let script = format!("{prelude}{body}");
        prelude.push_str(&defs_here);
        let out = Command::new("timeout")
            .arg("60")
            .arg("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(&dir)
            .output()
            .expect("bash runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{block}\nexited {:?}: {stderr}\n{stdout}",
            out.status
        );
        // Vendor answers only: a journal listing shows the codes of earlier requests.
        if block.contains("/v4/") || block.contains("call ") {
            let errors = error_codes(&stdout);
            assert_eq!(
                errors,
                expected_errors(&block),
                "error codes of\n{block}\ngot:\n{stdout}"
            );
        }
        assert!(
            !stdout.contains("{\"error\""),
            "a control-plane refusal in\n{block}\ngot:\n{stdout}"
        );
        ran += 1;
    }
    assert!(ran >= 8, "only {ran} blocks ran");
    let _ = std::fs::remove_dir_all(&dir);
}
