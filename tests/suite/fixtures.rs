//! Replays the golden create_group fixtures (the seed's request examples, see fixtures/README.md),
//! each on a fresh emulator, then reads the group back and checks every request field.

use crate::common;

use std::path::PathBuf;

use common::{Emu, code};
use serde_json::{Value, json};

const ASSIGNED: &str = "<assigned>";

fn fixtures() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/create_group");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("fixture is readable");
            let doc =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                doc,
            )
        })
        .collect()
}

fn type_char(ty: &str) -> char {
    match ty {
        "Private" => '1',
        "Public" => '2',
        "ChatRoom" => '3',
        "AVChatRoom" => 'a',
        "BChatRoom" => 'b',
        other => panic!("unknown type {other}"),
    }
}

fn assert_assigned_shape(id: &str, ty: &str) {
    let tail = id.strip_prefix("@TGS#").unwrap_or_else(|| panic!("{id}"));
    let (c, rest) = tail.split_at(1);
    assert_eq!(c.chars().next(), Some(type_char(ty)), "{id}");
    assert_eq!(rest.len(), 8, "{id}");
    assert!(
        rest.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "{id}"
    );
}

/// Checks the answer against the fixture's `response`; returns the group's ID.
fn check_answer(name: &str, got: &Value, want: &Value, ty: &str) -> String {
    let id = got["GroupId"].as_str().expect("GroupId").to_string();
    let mut want = want.clone();
    if want["GroupId"] == ASSIGNED {
        assert_assigned_shape(&id, ty);
        want["GroupId"] = json!(id);
    }
    assert_eq!(got, &want, "{name}");
    id
}

fn or<'a>(v: &'a Value, default: &'a Value) -> &'a Value {
    if v.is_null() { default } else { v }
}

/// Every field of `req` as get_group_info shows it.
fn check_round_trip(name: &str, req: &Value, g: &Value) {
    let empty = json!("");
    for field in [
        "Type",
        "Name",
        "Introduction",
        "Notification",
        "FaceUrl",
        "Owner_Account",
    ] {
        assert_eq!(&g[field], or(&req[field], &empty), "{name}: {field}");
    }
    let default_max = json!(match req["Type"].as_str() {
        Some("Private") => 200,
        Some("Public") => 2000,
        Some("ChatRoom") => 10000,
        _ => 0,
    });
    assert_eq!(
        &g["MaxMemberNum"],
        or(&req["MaxMemberCount"], &default_max),
        "{name}"
    );
    let need = json!("NeedPermission");
    assert_eq!(
        &g["ApplyJoinOption"],
        or(&req["ApplyJoinOption"], &need),
        "{name}"
    );
    let none = json!([]);
    assert_eq!(
        &g["AppDefinedData"],
        or(&req["AppDefinedData"], &none),
        "{name}"
    );
    let mut want_members = Vec::new();
    if let Some(owner) = req["Owner_Account"].as_str() {
        want_members
            .push(json!({"Member_Account": owner, "Role": "Owner", "AppMemberDefinedData": []}));
    }
    for m in req["MemberList"].as_array().unwrap_or(&Vec::new()) {
        want_members.push(json!({
            "Member_Account": m["Member_Account"],
            "Role": or(&m["Role"], &json!("Member")),
            "AppMemberDefinedData": or(&m["AppMemberDefinedData"], &none),
        }));
    }
    let got_members: Vec<Value> = g["MemberList"]
        .as_array()
        .expect("MemberList")
        .iter()
        .map(|m| {
            json!({
                "Member_Account": m["Member_Account"],
                "Role": m["Role"],
                "AppMemberDefinedData": m["AppMemberDefinedData"],
            })
        })
        .collect();
    assert_eq!(got_members, want_members, "{name}: MemberList");
    assert_eq!(g["MemberNum"], json!(want_members.len()), "{name}");
}

#[tokio::test]
async fn every_seed_example_gives_its_golden_answer_and_reads_back() {
    let all = fixtures();
    assert_eq!(all.len(), 7, "the seed has seven request examples");
    for (name, doc) in all {
        assert!(
            doc["source"].as_str().is_some_and(|s| s.contains("seed")),
            "{name}"
        );
        let emu = Emu::start().await;
        let accounts: Vec<&str> = doc["setup_accounts"]
            .as_array()
            .expect("setup_accounts")
            .iter()
            .map(|a| a.as_str().expect("account"))
            .collect();
        emu.import(&accounts).await;
        let req = &doc["request"];
        let got = emu.create_group(req.clone()).await;
        let ty = req["Type"].as_str().expect("Type");
        let id = check_answer(&name, &got, &doc["response"], ty);
        let g = emu.group_info(&id).await;
        assert_eq!(code(&g), 0, "{name}: {g}");
        check_round_trip(&name, req, &g);
        let again = emu.create_group(req.clone()).await;
        let want_again = if req["GroupId"].is_string() { 10021 } else { 0 };
        assert_eq!(code(&again), want_again, "{name}: sending it twice");
    }
}

/// The fixture directories of the group-life and account commands (one per command).
fn command_fixture_dirs() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            !matches!(name.as_deref(), Some("create_group" | "state" | "config"))
        })
        .collect();
    dirs.sort();
    dirs
}

/// Whether `got` matches `want`: placeholders, then exact objects (`exact`) or subsets.
fn matches(got: &Value, want: &Value, exact: bool, now: u64) -> bool {
    match (want, got) {
        (Value::String(p), _) if p == "<any>" => !got.is_null(),
        (Value::String(p), Value::String(id)) if p == ASSIGNED => {
            id.starts_with("@TGS#") && id.len() == 14
        }
        (Value::String(p), Value::Number(n)) if p == "<now>" => {
            n.as_u64().is_some_and(|t| t + 60 >= now && t <= now + 60)
        }
        (Value::Object(w), Value::Object(g)) => {
            (!exact || w.len() == g.len())
                && w.iter()
                    .all(|(k, wv)| g.get(k).is_some_and(|gv| matches(gv, wv, exact, now)))
        }
        (Value::Array(w), Value::Array(g)) => {
            w.len() == g.len() && w.iter().zip(g).all(|(wv, gv)| matches(gv, wv, exact, now))
        }
        _ => got == want,
    }
}

/// Replays one command fixture on a fresh emulator; the error says what differed.
async fn replay(name: &str, doc: &Value) -> Result<(), String> {
    let emu = Emu::start_unlimited().await;
    let accounts: Vec<&str> = doc["setup_accounts"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !accounts.is_empty() {
        emu.import(&accounts).await;
    }
    for step in doc["setup"].as_array().cloned().unwrap_or_default() {
        let path = step["command"]
            .as_str()
            .ok_or("setup step without command")?;
        let v = emu.call(path, step["request"].clone()).await;
        if code(&v) != 0 {
            return Err(format!("{name}: setup {path} failed: {v}"));
        }
    }
    let path = doc["command"].as_str().ok_or("no command")?;
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    let got = emu.call(path, doc["request"].clone()).await;
    if !matches(&got, &doc["response"], true, now()) {
        return Err(format!(
            "{name}: {path} answered {got}\n  want {}",
            doc["response"]
        ));
    }
    for step in doc["read_back"].as_array().cloned().unwrap_or_default() {
        let path = step["command"]
            .as_str()
            .ok_or("read_back step without command")?;
        let got = emu.call(path, step["request"].clone()).await;
        if !matches(&got, &step["expect"], false, now()) {
            return Err(format!(
                "{name}: read back {path} answered {got}\n  want at least {}",
                step["expect"]
            ));
        }
    }
    Ok(())
}

/// The vendor's documented examples of every group-life and account command (fixtures/README.md)
/// give their golden answers and read back as documented.
#[tokio::test]
async fn every_command_fixture_gives_its_golden_answer_and_reads_back() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for dir in command_fixture_dirs() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("fixture directory is readable")
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} holds no fixture", dir.display());
        for file in files {
            let name = file
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(&file)
                .display()
                .to_string();
            let text = std::fs::read_to_string(&file).expect("fixture is readable");
            let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            replayed += 1;
            if let Err(e) = replay(&name, &doc).await {
                failures.push(e);
            }
        }
    }
    assert!(replayed >= 14, "only {replayed} command fixtures found");
    assert!(
        failures.is_empty(),
        "{} of {replayed} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_fixture_matcher_knows_its_placeholders() {
    let now = 1_700_000_000;
    assert!(matches(
        &json!({"a": 1, "b": 2}),
        &json!({"a": 1}),
        false,
        now
    ));
    assert!(!matches(
        &json!({"a": 1, "b": 2}),
        &json!({"a": 1}),
        true,
        now
    ));
    assert!(matches(
        &json!({"t": now - 3}),
        &json!({"t": "<now>"}),
        true,
        now
    ));
    assert!(!matches(
        &json!({"t": 5}),
        &json!({"t": "<now>"}),
        true,
        now
    ));
    assert!(matches(
        &json!("@TGS#2ABCDEFGH"),
        &json!("<assigned>"),
        true,
        now
    ));
    assert!(!matches(&json!([1, 2]), &json!([1]), false, now));
    assert!(!matches(&json!({}), &json!({"x": "<any>"}), false, now));
}
