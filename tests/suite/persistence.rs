//! The real binary with `--state-file`: state survives SIGTERM and a restart, a corrupt file
//! stops startup and is left untouched, fixtures load at startup, the healthcheck subcommand
//! and JSON logs work; a directory the emulator cannot write to stops startup, a failing
//! periodic save shows in health, leftovers of an interrupted save are removed, and a large
//! saved state loads back the same.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_tim-emulator");
const QUERY: &str = "sdkappid=1400000000&identifier=admin&usersig=secret-sig&random=1";

struct Running {
    child: Child,
    port: u16,
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tim-persistence-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("address").port()
}

fn spawn(state: &Path, extra: &[&str]) -> (Child, u16) {
    let port = free_port();
    let child = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--state-file")
        .arg(state)
        .args(extra)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    (child, port)
}

/// Starts the binary and waits until its health endpoint answers.
async fn start(state: &Path, extra: &[&str]) -> Running {
    let (mut child, port) = spawn(state, extra);
    for _ in 0..300 {
        if healthcheck(port).success() {
            return Running { child, port };
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the emulator exited early: {status} {}",
                stderr_of(&mut child)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the emulator did not become healthy");
}

fn healthcheck(port: u16) -> ExitStatus {
    Command::new(BIN)
        .args(["healthcheck", "--listen", &format!("0.0.0.0:{port}")])
        .stderr(Stdio::null())
        .status()
        .expect("healthcheck runs")
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

/// Sends SIGTERM and waits for the exit; returns the status and what was logged.
fn terminate(mut r: Running) -> (ExitStatus, String) {
    // The shell's own `kill`, so the test does not depend on procps being installed.
    let ok = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", r.child.id())])
        .status()
        .expect("sh runs");
    assert!(ok.success());
    let status = r.child.wait().expect("the emulator exits");
    let log = stderr_of(&mut r.child);
    (status, log)
}

async fn call(port: u16, path: &str, body: Value) -> Value {
    let url = format!("http://127.0.0.1:{port}/v4/{path}?{QUERY}");
    let resp = reqwest::Client::new()
        .post(url)
        .body(body.to_string())
        .send()
        .await
        .expect("answered");
    resp.json().await.expect("JSON")
}

async fn group_info(port: u16, id: &str) -> Value {
    let v = call(
        port,
        "group_open_http_svc/get_group_info",
        json!({"GroupIdList": [id]}),
    )
    .await;
    v["GroupInfo"][0].clone()
}

#[tokio::test]
async fn state_survives_sigterm_and_a_restart() {
    let dir = temp_dir("restart");
    let state = dir.join("state.json");
    let emu = start(&state, &[]).await;
    let imported = call(
        emu.port,
        "im_open_login_svc/account_import",
        json!({"UserID": "leckie"}),
    )
    .await;
    assert_eq!(imported["ErrorCode"], 0, "{imported}");
    let body = json!({"Owner_Account": "leckie", "Type": "Public", "Name": "kept",
                      "AppDefinedData": [{"Key": "k", "Value": "a\u{0}b"}]});
    let created = call(emu.port, "group_open_http_svc/create_group", body).await;
    let id = created["GroupId"].as_str().expect("GroupId").to_string();
    let before = group_info(emu.port, &id).await;
    let (status, _) = terminate(emu);
    assert!(status.success(), "graceful exit: {status}");
    assert!(state.exists(), "the state file was written at shutdown");

    let again = start(&state, &[]).await;
    assert_eq!(group_info(again.port, &id).await, before);
    let (status, _) = terminate(again);
    assert!(status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_corrupt_state_file_stops_startup_and_is_left_untouched() {
    let dir = temp_dir("corrupt");
    let state = dir.join("state.json");
    let corrupt = b"{\"apps\": [ {\"sdkappid\": 1400000000, \"groups\": [";
    std::fs::write(&state, corrupt).expect("write");
    let (mut child, _) = spawn(&state, &[]);
    let status = child.wait().expect("exits");
    let log = stderr_of(&mut child);
    assert!(
        !status.success(),
        "a corrupt file must not start the emulator"
    );
    assert!(
        log.contains("state file"),
        "the message names the state file: {log}"
    );
    assert_eq!(std::fs::read(&state).expect("still there"), corrupt);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_example_fixture_loads_at_startup() {
    let dir = temp_dir("fixture");
    let state = dir.join("state.json");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/state/example.json");
    std::fs::copy(fixture, &state).expect("copy fixture");
    let emu = start(&state, &[]).await;
    let info = group_info(emu.port, "broadcast-1").await;
    assert_eq!(info["Type"], "BChatRoom");
    assert_eq!(info["Owner_Account"], "leckie");
    let (status, _) = terminate(emu);
    assert!(status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn healthcheck_fails_when_nothing_listens() {
    assert!(!healthcheck(free_port()).success());
}

#[tokio::test]
async fn json_logs_at_debug_carry_the_request_fields_but_never_the_usersig() {
    let dir = temp_dir("logs");
    let args = ["--log-format", "json", "--log-level", "debug"];
    let emu = start(&dir.join("state.json"), &args).await;
    call(
        emu.port,
        "group_open_http_svc/create_group",
        json!({"Type": "Public"}),
    )
    .await;
    let (_, log) = terminate(emu);
    assert!(
        !log.contains("secret-sig"),
        "usersig leaked into the log: {log}"
    );
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["command"] == "create_group")
        .unwrap_or_else(|| panic!("no JSON request line in {log}"));
    let f = &line["fields"];
    assert_eq!(f["sdkappid"], 1400000000u64);
    assert_eq!(f["error_code"], 10004);
    // Method and path are the request span's (issue 14: the line does not repeat them).
    assert_eq!(line["span"]["method"], "POST", "{line}");
    assert!(
        f["latency_us"].is_u64() && line["span"]["path"].is_string(),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn save_interval_writes_the_state_while_running() {
    let dir = temp_dir("interval");
    let state = dir.join("state.json");
    let mut emu = start(&state, &["--save-interval", "1"]).await;
    let body = json!({"Type": "Public", "Name": "periodic", "GroupId": "periodic-1"});
    let created = call(emu.port, "group_open_http_svc/create_group", body).await;
    assert_eq!(created["ErrorCode"], 0, "{created}");
    let mut saved = false;
    for _ in 0..300 {
        let text = std::fs::read_to_string(&state).unwrap_or_default();
        if text.contains("periodic-1") {
            saved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved, "the periodic save never wrote the group");
    let _ = emu.child.kill(); // no graceful shutdown: only the periodic save counts
    let _ = emu.child.wait();
    let again = start(&state, &[]).await;
    assert_eq!(
        group_info(again.port, "periodic-1").await["Name"],
        "periodic"
    );
    terminate(again);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11 A: clients stuck mid-headers and mid-body, and a request held by a 60 s injected
/// fault, cannot keep SIGTERM from finishing: once the grace period is over the connections are
/// closed, the state is saved with the latest group, and the process exits.
#[tokio::test]
async fn sigterm_finishes_within_the_grace_period_whatever_clients_do() {
    use tokio::io::AsyncWriteExt;
    let dir = temp_dir("grace");
    let state = dir.join("state.json");
    let emu = start(&state, &["--shutdown-grace-ms", "500"]).await;
    let created = call(
        emu.port,
        "group_open_http_svc/create_group",
        json!({"GroupId": "latest", "Type": "Public", "Name": "kept"}),
    )
    .await;
    assert_eq!(created["ErrorCode"], 0, "{created}");
    let addr = format!("127.0.0.1:{}", emu.port);
    let mut mid_headers = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    mid_headers
        .write_all(b"POST /v4/group_open_http_svc/create_group?sdkappid=1 HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut mid_body = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    mid_body
        .write_all(b"POST /v4/group_open_http_svc/create_group?sdkappid=1&identifier=admin&usersig=x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"Ty")
        .await
        .expect("write");
    let fault = reqwest::Client::new()
        .post(format!("http://{addr}/_emulator/faults"))
        .body(r#"{"command":"get_group_info","delay_ms":60000}"#)
        .send()
        .await
        .expect("fault installed");
    assert_eq!(fault.status(), 201);
    let held = tokio::spawn(call(
        emu.port,
        "group_open_http_svc/get_group_info",
        json!({"GroupIdList": ["latest"]}),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let (status, log) = terminate(emu);
    let took = started.elapsed();
    assert!(status.success(), "a clean exit: {status} {log}");
    assert!(
        took < Duration::from_secs(5),
        "exited in {took:?}, the grace is 0.5 s"
    );
    let saved = std::fs::read_to_string(&state).expect("the state file was written");
    assert!(
        saved.contains("\"latest\""),
        "the latest group is saved: {saved}"
    );
    held.abort();
    drop((mid_headers, mid_body));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11 A: the emulator raises its open-file soft limit to the hard limit at start, so a
/// thousand half-open connections cannot lock other clients out under a 1024 soft limit.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_open_file_soft_limit_is_raised_to_the_hard_limit() {
    let port = free_port();
    let mut child = Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -Sn 256 && exec {BIN} --listen 127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    for _ in 0..300 {
        if healthcheck(port).success() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let limits =
        std::fs::read_to_string(format!("/proc/{}/limits", child.id())).expect("/proc/PID/limits");
    let _ = child.kill();
    let _ = child.wait();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("an open-files line");
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers.len(), 2, "{line}");
    assert_eq!(numbers[0], numbers[1], "soft raised to hard: {line}");
}

/// Starts the binary expecting it to refuse; returns its exit status and stderr.
fn refused_start(state: &Path) -> (ExitStatus, String) {
    let (mut child, _) = spawn(state, &[]);
    let status = child.wait().expect("exits");
    (status, stderr_of(&mut child))
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Issue 11 C: a state file whose directory is missing, or is a regular file, stops startup
/// with a message naming the directory, the user id and the fix, instead of failing the save
/// at exit (these fail for root too, unlike a chmod).
#[tokio::test]
async fn a_state_file_in_a_missing_directory_or_under_a_regular_file_stops_startup() {
    let dir = temp_dir("unwritable");
    let missing = dir.join("missing");
    let (status, log) = refused_start(&missing.join("state.json"));
    assert_eq!(status.code(), Some(2), "{log}");
    let uid = effective_uid();
    assert!(log.contains(&missing.display().to_string()), "{log}");
    assert!(log.contains(&format!("user id {uid}")), "{log}");
    assert!(
        log.contains("it does not exist") && log.contains("mkdir -p"),
        "{log}"
    );

    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").expect("write");
    let (status, log) = refused_start(&file.join("state.json"));
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains(&file.display().to_string()), "{log}");
    assert!(log.contains("it is not a directory"), "{log}");
    assert!(log.contains(&format!("user id {uid}")), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11 C: a directory the emulator's user may not write to stops startup and the message
/// says `chown <uid> <dir>`. Root ignores permissions, so as root the binary runs as user 65534
/// (through `setpriv`) against a root-owned directory; without setpriv the test is skipped.
#[cfg(unix)]
#[tokio::test]
async fn a_read_only_state_directory_stops_startup_with_the_chown_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("readonly");
    let state = dir.join("state.json");
    let (status, log, uid) = if effective_uid() == 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let run = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
            .args(["--listen", "127.0.0.1:0", "--state-file"])
            .arg(&state)
            .env_remove("RUST_LOG")
            .output();
        let Ok(out) = run else {
            eprintln!("skipped: running as root without setpriv");
            return;
        };
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status, log, 65534)
    } else {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        let (status, log) = refused_start(&state);
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
        (status, log, effective_uid())
    };
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains("it is not writable"), "{log}");
    assert!(log.contains(&format!("user id {uid}")), "{log}");
    assert!(
        log.contains(&format!("chown {uid} {}", dir.display())),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn health(port: u16) -> Value {
    reqwest::get(format!("http://127.0.0.1:{port}/_emulator/health"))
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON")
}

/// Polls health until `status` is `want`; returns the last answer.
async fn health_until(port: u16, want: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = health(port).await;
        if last["status"] == want {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("health never became {want}: {last}");
}

/// Issue 11 C: a periodic save that fails (here the directory is replaced by a regular file)
/// turns health `degraded` with the error and its time; a later successful save turns it back.
#[tokio::test]
async fn a_failing_periodic_save_shows_in_health_until_a_later_one_succeeds() {
    let root = temp_dir("degraded");
    let dir = root.join("data");
    std::fs::create_dir_all(&dir).expect("dir");
    let state = dir.join("state.json");
    let emu = start(&state, &["--save-interval", "1"]).await;
    let ok = health(emu.port).await;
    assert_eq!(ok["status"], "ok", "{ok}");
    assert!(ok.get("save_failure").is_none(), "{ok}");

    std::fs::remove_dir_all(&dir).expect("remove the directory");
    std::fs::write(&dir, "now a file").expect("a file in its place");
    let bad = health_until(emu.port, "degraded").await;
    let failure = &bad["save_failure"];
    assert_eq!(failure["path"], state.display().to_string(), "{bad}");
    assert!(
        failure["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{bad}"
    );
    assert!(
        failure["failed_at_ms"].as_u64().is_some_and(|t| t > 0),
        "{bad}"
    );
    for kept in [
        "version",
        "uptime_seconds",
        "rules_profile",
        "configured_apps",
    ] {
        assert!(bad.get(kept).is_some(), "{kept} is still there: {bad}");
    }

    std::fs::remove_file(&dir).expect("remove the file");
    std::fs::create_dir_all(&dir).expect("the directory again");
    let back = health_until(emu.port, "ok").await;
    assert!(back.get("save_failure").is_none(), "{back}");
    let (status, log) = terminate(emu);
    assert!(status.success(), "{log}");
    assert!(log.contains("periodic state save failed"), "{log}");
    let _ = std::fs::remove_dir_all(&root);
}

/// Issue 11 C: temporary files an interrupted save left next to the state file are removed at
/// start (and logged); other files are left alone.
#[tokio::test]
async fn leftover_temporary_files_of_an_interrupted_save_are_removed_at_start() {
    let dir = temp_dir("leftovers");
    let state = dir.join("state.json");
    let leftovers = [".state.json.tmp-4242-0", ".state.json.tmp-1-17"];
    let others = [".other.json.tmp-4242-0", "state.json.bak", "notes.txt"];
    for name in leftovers.iter().chain(&others) {
        std::fs::write(dir.join(name), "{\"apps\": [").expect("seed");
    }
    let emu = start(&state, &[]).await;
    for name in leftovers {
        assert!(!dir.join(name).exists(), "{name} was removed");
    }
    for name in others {
        assert!(dir.join(name).exists(), "{name} was left alone");
    }
    let (status, log) = terminate(emu);
    assert!(status.success(), "{log}");
    assert!(
        log.contains("removed a temporary file left by an interrupted save")
            && log.contains(".state.json.tmp-4242-0"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn exported(port: u16) -> Value {
    reqwest::get(format!("http://127.0.0.1:{port}/_emulator/state"))
        .await
        .expect("answered")
        .json()
        .await
        .expect("a JSON document")
}

/// Issue 11 C: a file the emulator writes is one it accepts: a state of a few thousand groups
/// (custom data with quotes, control characters and CJK text included) goes in through
/// `PUT /_emulator/state`, is saved at SIGTERM, loads at the next start, and exports the same.
#[tokio::test]
async fn a_large_saved_state_loads_back_the_same() {
    let dir = temp_dir("roundtrip");
    let state = dir.join("state.json");
    let accounts: Vec<Value> = (0..500)
        .map(|i| json!({"UserID": format!("user-{i}"), "Nick": format!("名字 {i}")}))
        .collect();
    let groups: Vec<Value> = (0..3000)
        .map(|g| {
            let mut members =
                vec![json!({"Member_Account": format!("user-{}", g % 500), "Role": "Owner"})];
            members.extend((1..10).map(|k| {
                json!({"Member_Account": format!("user-{}", (g + k * 37) % 500),
                       "AppMemberDefinedData": [{"Key": "lv", "Value": "\"\u{0}\\\n"}]})
            }));
            json!({"GroupId": format!("群-{g}"), "Type": "Public", "Name": format!("group {g}"),
                   "Owner_Account": format!("user-{}", g % 500), "MemberList": members,
                   "AppDefinedData": [{"Key": "k", "Value": "a\u{1}b\"c"}]})
        })
        .collect();
    let doc = json!({"version": 1, "apps": [{"sdkappid": 1400000000u64, "next_assigned_id": 7,
                     "accounts": accounts, "groups": groups}]});
    let emu = start(&state, &[]).await;
    let put = reqwest::Client::new()
        .put(format!("http://127.0.0.1:{}/_emulator/state", emu.port))
        .body(doc.to_string())
        .send()
        .await
        .expect("answered");
    assert_eq!(
        put.status(),
        200,
        "{}",
        put.text().await.unwrap_or_default()
    );
    let before = exported(emu.port).await;
    assert_eq!(
        before["apps"][0]["groups"].as_array().map(Vec::len),
        Some(3000)
    );
    let (status, log) = terminate(emu);
    assert!(status.success(), "{log}");

    let again = start(&state, &[]).await;
    assert_eq!(exported(again.port).await, before);
    let (status, _) = terminate(again);
    assert!(status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
