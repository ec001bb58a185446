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
