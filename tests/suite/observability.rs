//! What a user sees of a running emulator (issue 14 items 1, 3 and 6): the log lines of failed
//! requests, control-plane actions and failed callbacks (read from the real binary's stderr),
//! the start line, refused flags, port discovery (`--ready-file` and the stdout line), the
//! metrics and the control-plane index.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Emu, code};

const BIN: &str = env!("CARGO_BIN_EXE_tim-emulator");
const Q: &str = "sdkappid=1400000000&identifier=admin&usersig=x&random=1&contenttype=json";

/// The binary started with `--listen 127.0.0.1:0` and `args`; its ready record read from the
/// stdout line. Killed when dropped.
struct Running {
    child: Child,
    ready: Value,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let line = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("TIM_EMULATOR_READY "))
            .expect("a TIM_EMULATOR_READY line before stdout closes");
        let ready = serde_json::from_str(&line["TIM_EMULATOR_READY ".len()..]).expect("JSON");
        Self { child, ready }
    }

    fn url(&self) -> String {
        self.ready["http"]
            .as_str()
            .expect("an http URL")
            .to_string()
    }

    /// SIGTERM, then everything it wrote to stderr (the log is flushed at a graceful stop).
    fn stop(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(killed.is_ok_and(|s| s.success()));
        let status = self.child.wait().expect("exits");
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (status.success(), err)
    }
}

async fn post(url: &str, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .body(body.to_string())
        .send()
        .await
        .expect("answered");
    resp.json().await.unwrap_or(Value::Null)
}

fn lines_with<'a>(log: &'a str, needle: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.contains(needle)).collect()
}

#[tokio::test]
async fn with_port_0_the_ready_file_and_the_stdout_line_name_the_bound_url_where_health_answers() {
    let dir = std::env::temp_dir().join(format!("tim-ready-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("ready.json");
    let run = Running::start(&[
        "--ready-file",
        file.to_str().expect("utf-8"),
        "--log-level",
        "warn",
    ]);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("the file exists"))
            .expect("JSON");
    assert_eq!(written, run.ready, "the file and the stdout line agree");
    let url = run.url();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    assert_eq!(run.ready["control"], format!("{url}/_emulator"));
    assert_eq!(run.ready["pid"], run.child.id());
    let health = reqwest::get(format!("{url}/_emulator/health"))
        .await
        .expect("answers");
    assert_eq!(health.status(), StatusCode::OK);
    let (clean, _) = run.stop();
    assert!(clean);
    assert!(!file.exists(), "a stopped emulator's ready file is removed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn at_the_default_level_failures_actions_and_failed_callbacks_are_logged_and_successes_are_not()
 {
    // Port 9 (discard): nothing listens there, so every callback delivery fails.
    let run = Running::start(&[
        "--id-seed",
        "42",
        "--callback-url",
        "http://127.0.0.1:9/cb",
        "--callback-events",
        "Group.CallbackAfterCreateGroup",
    ]);
    let url = run.url();
    let v = post(
        &url,
        &format!("/v4/im_open_login_svc/account_import?{Q}"),
        json!({"UserID": "leckie"}),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = post(
        &url,
        &format!("/v4/group_open_http_svc/create_group?{Q}"),
        json!({"Owner_Account": "bob", "Type": "Public", "Name": "g"}),
    )
    .await;
    assert_eq!(code(&v), 10004, "{v}");
    let fault = json!({"command": "get_group_info", "error_code": 10002, "times": 1});
    let rule = post(&url, "/_emulator/faults", fault).await;
    let v = post(
        &url,
        &format!("/v4/group_open_http_svc/get_group_info?{Q}"),
        json!({"GroupIdList": ["x"]}),
    )
    .await;
    assert_eq!(code(&v), 10002, "{v}");
    let v = post(
        &url,
        &format!("/v4/group_open_http_svc/create_group?{Q}"),
        json!({"Owner_Account": "leckie", "Type": "Public", "Name": "ok"}),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    // The after-callback is sent in the background: wait until the log has it.
    for _ in 0..100 {
        let log: Value = reqwest::get(format!("{url}/_emulator/callbacks"))
            .await
            .expect("log")
            .json()
            .await
            .expect("JSON");
        if log.to_string().contains("CallbackAfterCreateGroup") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, log) = run.stop();

    let start = lines_with(&log, "tim-emulator ready");
    assert_eq!(start.len(), 1, "{log}");
    for needle in [
        "id_seed=42",
        "--id-seed 42",
        "rules_profile=",
        "limits=on",
        "http://127.0.0.1:9/cb",
        "http://127.0.0.1:",
    ] {
        assert!(start[0].contains(needle), "{needle} in {}", start[0]);
    }
    let failed = lines_with(&log, "vendor request failed");
    assert_eq!(failed.len(), 2, "{log}");
    for needle in [
        "INFO",
        "command=\"create_group\"",
        "sdkappid=1400000000",
        "error_code=10004",
        "bob",
        "rule_id=",
    ] {
        assert!(failed[0].contains(needle), "{needle} in {}", failed[0]);
    }
    let id = rule["id"].as_u64().expect("a rule id");
    for needle in [
        "command=\"get_group_info\"",
        "error_code=10002",
        &format!("rule_id=fault:{id}"),
        &format!("fault={id}"),
    ] {
        assert!(failed[1].contains(needle), "{needle} in {}", failed[1]);
    }
    assert!(
        lines_with(&log, "vendor request").len() == 2,
        "a success writes no line at info: {log}"
    );
    let actions = lines_with(&log, "control-plane action");
    assert!(
        actions
            .iter()
            .any(|l| l.contains("/_emulator/faults") && l.contains("status=201")),
        "{log}"
    );
    assert!(
        lines_with(&log, "control-plane read").is_empty(),
        "reads are debug: {log}"
    );
    let cb = lines_with(&log, "callback delivery failed");
    assert_eq!(cb.len(), 1, "{log}");
    assert!(
        cb[0].contains("WARN") && cb[0].contains("Group.CallbackAfterCreateGroup"),
        "{}",
        cb[0]
    );
}

#[test]
fn a_log_level_that_is_no_level_and_an_unknown_callback_event_are_refused_at_start() {
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--log-level", "verbose"])
        .env_remove("RUST_LOG")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("off, error, warn, info, debug, trace"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--callback-events",
            "Group.CallbackAfterCreateGruop",
        ])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("CallbackAfterCreateGruop") && err.contains("known:"),
        "{err}"
    );
}

async fn get_text(emu: &Emu, path: &str) -> (StatusCode, Option<String>, String) {
    let resp = emu
        .http
        .get(format!("{}{path}", emu.base()))
        .send()
        .await
        .expect("answered");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    (resp.status(), ct, resp.text().await.expect("text"))
}

#[tokio::test]
async fn metrics_count_requests_by_command_and_error_code_and_show_the_stored_state() {
    let emu = Emu::start().await;
    emu.import(&["leckie"]).await;
    for name in ["a", "b"] {
        let v = emu
            .create_group(json!({"Owner_Account": "leckie", "Type": "Public", "Name": name}))
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    let v = emu
        .create_group(json!({"Owner_Account": "bob", "Type": "Public", "Name": "c"}))
        .await;
    assert_eq!(code(&v), 10004);
    let (status, ct, text) = get_text(&emu, "/_emulator/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.is_some_and(|c| c.starts_with("application/openmetrics-text")));
    for line in [
        "tim_emulator_requests_total{command=\"create_group\",error_code=\"0\"} 2",
        "tim_emulator_requests_total{command=\"create_group\",error_code=\"10004\"} 1",
        "tim_emulator_request_duration_seconds_count{command=\"create_group\"} 3",
        "tim_emulator_request_duration_seconds_bucket{le=\"+Inf\",command=\"create_group\"} 3",
        "tim_emulator_groups 2",
        "tim_emulator_accounts 1",
        "tim_emulator_messages 0",
        "tim_emulator_callbacks_total{outcome=\"no_answer\"} 0",
        "tim_emulator_journal_entries 4",
        "# TYPE tim_emulator_request_duration_seconds histogram",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[tokio::test]
async fn the_index_and_the_openapi_document_list_the_control_plane_and_sit_behind_the_admin_token()
{
    let emu = Emu::start().await;
    let (status, _, body) = get_text(&emu, "/_emulator").await;
    assert_eq!(status, StatusCode::OK);
    let index: Value = serde_json::from_str(&body).expect("JSON");
    let endpoints = index["endpoints"].as_array().expect("a list");
    assert!(
        endpoints
            .iter()
            .any(|e| e["method"] == "GET" && e["path"] == "/_emulator/metrics")
    );
    assert!(
        endpoints
            .iter()
            .all(|e| e["summary"].as_str().is_some_and(|s| !s.is_empty()))
    );
    let (_, _, body) = get_text(&emu, "/_emulator/openapi.json").await;
    let doc: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["paths"].as_object().map(|p| p.len()),
        Some(
            endpoints
                .iter()
                .map(|e| e["path"].as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        )
    );

    let mut s = tim_emulator::Settings::zero_config();
    s.admin_token = Some("t0k".into());
    let guarded = Emu::start_with(s).await;
    for path in [
        "/_emulator",
        "/_emulator/metrics",
        "/_emulator/openapi.json",
    ] {
        let (status, _, body) = get_text(&guarded, path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    let ok = guarded
        .http
        .get(format!("{}/_emulator/metrics", guarded.base()))
        .bearer_auth("t0k")
        .send()
        .await
        .expect("answered");
    assert_eq!(ok.status(), StatusCode::OK);
}
