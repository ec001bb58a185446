//! The binary's command line: the `usersig` subcommand and config-file errors at startup.

use std::process::Command;

use tim_emulator::usersig::{self, UserSigError};

const BIN: &str = env!("CARGO_BIN_EXE_tim-emulator");
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/config/example.toml");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .output()
        .expect("the binary runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).trim().to_string();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

#[test]
fn usersig_prints_a_url_safe_signature_that_verifies() {
    let args = [
        "usersig",
        "--sdkappid",
        "1400000000",
        "--key",
        KEY,
        "--identifier",
        "administrator",
        "--time",
        "1700000000",
        "--expire",
        "86400",
    ];
    let (status, sig, _) = run(&args);
    assert_eq!(status, 0);
    assert!(!sig.contains(['+', '/', '=']), "{sig}");
    assert_eq!(
        usersig::verify(&sig, 1_400_000_000, "administrator", KEY, 1_700_000_000),
        Ok(())
    );
    let late = usersig::verify(&sig, 1_400_000_000, "administrator", KEY, 1_700_086_401);
    assert!(
        matches!(late, Err(UserSigError::Expired { .. })),
        "{late:?}"
    );
}

#[test]
fn usersig_with_a_past_time_mints_an_expired_signature() {
    let (status, sig, _) = run(&[
        "usersig",
        "--sdkappid",
        "7",
        "--key",
        "k",
        "--identifier",
        "admin",
        "--time",
        "1000",
        "--expire",
        "60",
    ]);
    assert_eq!(status, 0);
    let now = tim_emulator::store::throttle::unix_now();
    assert!(matches!(
        usersig::verify(&sig, 7, "admin", "k", now),
        Err(UserSigError::Expired { .. })
    ));
}

#[test]
fn usersig_takes_the_key_from_the_config_file() {
    let (status, sig, err) = run(&[
        "usersig",
        "--config",
        EXAMPLE,
        "--sdkappid",
        "1400000000",
        "--identifier",
        "administrator",
    ]);
    assert_eq!(status, 0, "{err}");
    let now = tim_emulator::store::throttle::unix_now();
    assert_eq!(
        usersig::verify(&sig, 1_400_000_000, "administrator", KEY, now),
        Ok(())
    );
}

#[test]
fn usersig_without_a_key_fails_clearly() {
    let (status, _, err) = run(&["usersig", "--sdkappid", "7", "--identifier", "admin"]);
    assert_ne!(status, 0);
    assert!(err.contains("--key"), "{err}");
}

#[test]
fn usersig_says_whether_the_app_is_missing_from_the_config_or_has_no_key() {
    let (status, _, err) = run(&[
        "usersig",
        "--config",
        EXAMPLE,
        "--sdkappid",
        "7",
        "--identifier",
        "admin",
    ]);
    assert_ne!(status, 0);
    for needle in ["sdkappid 7 is not configured", "1400000000", "--key"] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
    let dir = std::env::temp_dir().join(format!("tim-cli-nokey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("nokey.toml");
    std::fs::write(&path, "[[apps]]\nsdkappid = 5\nadmins = [\"a\"]\n").expect("write");
    let p = path.to_string_lossy().to_string();
    let (status, _, err) = run(&[
        "usersig",
        "--config",
        &p,
        "--sdkappid",
        "5",
        "--identifier",
        "a",
    ]);
    assert_ne!(status, 0);
    assert!(
        err.contains("sdkappid 5 is configured but has no key"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn help_ends_with_examples_and_the_control_plane() {
    let (status, out, _) = run(&["--help"]);
    assert_eq!(status, 0);
    for needle in [
        "Examples:",
        "--listen 127.0.0.1:0 --ready-file",
        "Control plane",
        "/_emulator/reset",
        "/_emulator/metrics",
    ] {
        assert!(out.contains(needle), "{needle} in {out}");
    }
}

#[test]
fn a_bad_config_file_stops_startup_naming_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("tim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "[[apps]]\nsdkappid = 1\nadmins = [\"a\"]\nsensitve_words = []\n",
    )
    .expect("write");
    let p = path.to_string_lossy().to_string();
    let (status, _, err) = run(&["--config", &p, "--listen", "127.0.0.1:0"]);
    assert_ne!(status, 0);
    for needle in [p.as_str(), "line 4", "sensitve_words"] {
        assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
