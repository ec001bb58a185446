//! The one-call reset, the seed it returns to and assigned IDs that never come again within a
//! run (issue 14).

use crate::common;

use std::process::Command;

use common::receiver::{Receiver, allow};
use common::{APP, Emu, code};
use reqwest::Method;
use serde_json::{Value, json};
use tim_emulator::apps::{Apps, CallbackConfig, Limits};
use tim_emulator::snapshot::{StateDocument, parse_document};
use tim_emulator::{Emulator, Settings};

const BIN: &str = env!("CARGO_BIN_EXE_tim-emulator");

async fn control(emu: &Emu, method: Method, path: &str) -> (u16, Value) {
    let raw = emu.request(method, path, Vec::new()).await;
    let v = if raw.body.is_empty() {
        Value::Null
    } else {
        raw.json()
    };
    (raw.status, v)
}

async fn new_group(emu: &Emu) -> String {
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "g"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    v["GroupId"].as_str().expect("a GroupId").to_string()
}

async fn dirty(emu: &Emu) {
    new_group(emu).await;
    let (status, v) = emu_post(
        emu,
        "/_emulator/faults",
        json!({"command": "get_group_info", "error_code": 10002}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let (status, _) = emu_post(emu, "/_emulator/clock", json!({"advance_ms": 86_400_000})).await;
    assert_eq!(status, 200);
}

async fn emu_post(emu: &Emu, path: &str, body: Value) -> (u16, Value) {
    let raw = emu
        .request(Method::POST, path, body.to_string().into_bytes())
        .await;
    (raw.status, raw.json())
}

async fn counts(emu: &Emu) -> (usize, usize, usize, String) {
    let (_, state) = control(emu, Method::GET, "/_emulator/state").await;
    let (_, journal) = control(emu, Method::GET, "/_emulator/requests").await;
    let (_, faults) = control(emu, Method::GET, "/_emulator/faults").await;
    let (_, clock) = control(emu, Method::GET, "/_emulator/clock").await;
    let len = |v: &Value| v.as_array().map_or(0, Vec::len);
    (
        len(&state["apps"]),
        len(&journal["entries"]),
        len(&faults["faults"]),
        clock["mode"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn one_reset_clears_state_journal_faults_callback_log_and_clock() {
    let backend = Receiver::start(allow()).await;
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.apps.set_zero_config_callback(Some(CallbackConfig {
        url: backend.url.clone(),
        events: vec!["Group.CallbackAfterCreateGroup".into()],
        token: None,
        timeout_ms: 2000,
        fail_closed: false,
        block_send_on_failure: false,
    }));
    let emu = Emu::start_with(s).await;
    dirty(&emu).await;
    let deliveries = || async {
        let (_, v) = control(&emu, Method::GET, "/_emulator/callbacks").await;
        v["deliveries"].as_array().map_or(0, Vec::len)
    };
    for _ in 0..100 {
        if deliveries().await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        deliveries().await,
        1,
        "the delivery is logged before the reset"
    );
    assert_eq!(counts(&emu).await, (1, 1, 1, "shifted".into()));

    let (status, v) = control(&emu, Method::POST, "/_emulator/reset").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["reset"], "all");
    assert_eq!(counts(&emu).await, (0, 0, 0, "real".into()));
    assert_eq!(deliveries().await, 0);
}

#[tokio::test]
async fn the_state_only_reset_keeps_journal_faults_and_clock() {
    let emu = Emu::start().await;
    dirty(&emu).await;
    let (status, v) = control(&emu, Method::POST, "/_emulator/reset?scope=state").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["reset"], "state");
    assert_eq!(counts(&emu).await, (0, 1, 1, "shifted".into()));
}

#[tokio::test]
async fn an_unknown_reset_scope_is_refused_and_changes_nothing() {
    let emu = Emu::start().await;
    dirty(&emu).await;
    for path in [
        "/_emulator/reset?scope=everything",
        "/_emulator/reset?scope=state&sdkappid=5",
    ] {
        let (status, v) = control(&emu, Method::POST, path).await;
        assert_eq!(status, 400, "{path}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| e.contains("scope")),
            "{v}"
        );
    }
    assert_eq!(counts(&emu).await, (1, 1, 1, "shifted".into()));
}

#[tokio::test]
async fn the_full_reset_puts_a_started_clock_back_to_its_start() {
    let mut s = Settings::zero_config();
    s.clock = tim_emulator::Clock::frozen_at(1_700_000_000_000);
    let emu = Emu::start_with(s).await;
    emu_post(&emu, "/_emulator/clock", json!({"advance_ms": 5000})).await;
    control(&emu, Method::POST, "/_emulator/reset").await;
    let (_, clock) = control(&emu, Method::GET, "/_emulator/clock").await;
    assert_eq!(clock["now_ms"], 1_700_000_000_000_u64);
    assert_eq!(clock["mode"], "frozen");
}

#[tokio::test]
async fn assigned_ids_are_never_handed_out_twice_across_resets() {
    let emu = Emu::start().await;
    let mut ids = vec![new_group(&emu).await];
    for reset in [
        "/_emulator/reset",
        "/_emulator/reset?scope=state",
        "/_emulator/reset?sdkappid=1400000000",
    ] {
        let (status, _) = control(&emu, Method::POST, reset).await;
        assert_eq!(status, 200);
        let id = new_group(&emu).await;
        assert!(!ids.contains(&id), "{id} came again after {reset}");
        ids.push(id);
    }
    // An import of an older document does not rewind the sequence either.
    let (_, doc) = control(&emu, Method::GET, "/_emulator/state").await;
    let mut old = doc.clone();
    old["apps"][0]["next_assigned_id"] = json!(0);
    let raw = emu
        .request(
            Method::PUT,
            "/_emulator/state",
            old.to_string().into_bytes(),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let id = new_group(&emu).await;
    assert!(!ids.contains(&id), "{id} came again after an import");

    let fresh = Emu::start().await;
    assert_eq!(
        new_group(&fresh).await,
        ids[0],
        "a fresh run with the same --id-seed starts the same sequence"
    );
}

fn seed_doc() -> StateDocument {
    parse_document(
        json!({"apps": [{"sdkappid": APP, "accounts": [{"UserID": "seeded"}],
            "groups": [{"GroupId": "seeded-group", "Type": "Public", "Name": "from the seed",
                "Owner_Account": "seeded",
                "MemberList": [{"Member_Account": "seeded", "Role": "Owner"}]}]}]})
        .to_string()
        .as_bytes(),
    )
    .expect("a valid seed")
}

#[tokio::test]
async fn a_seed_is_loaded_at_start_and_every_reset_returns_to_it() {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.seed = Some(seed_doc());
    let emu = Emu::start_with(s).await;
    assert!(emu.group_exists("seeded-group").await);
    let extra = new_group(&emu).await;
    emu.call(
        "group_open_http_svc/modify_group_base_info",
        json!({"GroupId": "seeded-group", "Name": "changed"}),
    )
    .await;

    for reset in [
        "/_emulator/reset",
        "/_emulator/reset?sdkappid=1400000000",
        "/_emulator/reset?scope=state",
    ] {
        let (status, v) = control(&emu, Method::POST, reset).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["seeded"], true);
        assert!(!emu.group_exists(&extra).await, "{reset}");
        assert_eq!(
            emu.group_info("seeded-group").await["Name"],
            "from the seed",
            "{reset}"
        );
        new_group(&emu).await;
        emu.call(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": "seeded-group", "Name": "changed"}),
        )
        .await;
    }
}

#[tokio::test]
async fn accounts_declared_in_the_config_exist_at_start_and_after_a_reset() {
    let text = r#"
[[apps]]
sdkappid = 1400000000
accounts = ["alice", { UserID = "bob", Nick = "Bob" }]
"#;
    let map = tim_emulator::config_file::parse(text, Limits::UNLIMITED, true).expect("valid");
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::configured(map, Limits::UNLIMITED);
    let emu = Emu::start_with(s).await;
    let owned_by =
        |owner: &'static str| json!({"Owner_Account": owner, "Type": "Public", "Name": "x"});
    for round in 0..2 {
        for owner in ["alice", "bob"] {
            let v = emu.create_group(owned_by(owner)).await;
            assert_eq!(code(&v), 0, "round {round}, {owner}: {v}");
        }
        let (_, doc) = control(&emu, Method::GET, "/_emulator/state").await;
        assert_eq!(doc["apps"][0]["accounts"][1]["Nick"], "Bob");
        control(&emu, Method::POST, "/_emulator/reset").await;
    }
}

#[test]
fn a_declared_account_with_an_unknown_key_is_refused() {
    let text = "[[apps]]\nsdkappid = 1\naccounts = [{ UserID = \"bob\", Nik = \"Bob\" }]\n";
    let e = tim_emulator::config_file::parse(text, Limits::UNLIMITED, true)
        .expect_err("a typo is refused");
    assert!(e.contains("line 3") && e.contains("Nik"), "{e}");
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tim-seed-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn an_existing_state_file_wins_over_the_seed_at_start() {
    let dir = temp_dir("wins");
    let state_file = dir.join("state.json");
    let mut settings = Settings::zero_config();
    settings.seed = Some(seed_doc());
    let emu = Emulator::new(settings.clone());
    let from = emu.load_start_state(Some(&state_file)).expect("starts");
    assert_eq!(
        from,
        tim_emulator::seed::StartState::Seed,
        "no state file yet"
    );

    let doc = json!({"apps": [{"sdkappid": APP, "accounts": [{"UserID": "saved"}]}]});
    std::fs::write(&state_file, doc.to_string()).expect("write");
    let emu = Emulator::new(settings);
    let from = emu.load_start_state(Some(&state_file)).expect("starts");
    assert_eq!(from, tim_emulator::seed::StartState::StateFile);
    let accounts: Vec<String> = emu.export_state().apps[0]
        .accounts
        .iter()
        .map(|a| a.UserID.clone())
        .collect();
    assert_eq!(accounts, vec!["saved".to_string()]);
    emu.reset_all().expect("reset");
    assert_eq!(
        emu.export_state().apps[0].groups[0].id,
        "seeded-group",
        "a reset goes to the seed"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_seed_file_stops_startup_naming_the_file_and_the_place() {
    let dir = temp_dir("bad");
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        r#"{"apps": [{"sdkappid": 1, "accounts": [{"UserID": ""}]}]}"#,
    )
    .expect("write");
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--seed-file"])
        .arg(&seed)
        .env_clear()
        .output()
        .expect("the binary runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("seed") && err.contains("accounts[0]"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
