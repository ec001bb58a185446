//! Rules profiles per app (spec §40.1): one emulator serving an app under the default profile
//! and one under `current`, each answering by its own numbers, and health naming both.

use crate::common;

use common::{Emu, code};
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{Apps, LimitOverrides, Limits};
use tim_emulator::config_file::{AppDefaults, parse_with};
use tim_emulator::rules::Edition;

const OLD: u64 = 1400000001;
const TODAY: u64 = 1400000002;

async fn two_apps() -> Emu {
    let text = format!(
        "[[apps]]\nsdkappid = {OLD}\n\n[[apps]]\nsdkappid = {TODAY}\nrules_profile = \"current\"\nedition = \"trial\"\n"
    );
    let defaults = AppDefaults {
        profile: "default",
        edition: Edition::Ultimate,
        flags: LimitOverrides::default(),
        no_limits: false,
    };
    let apps = parse_with(&text, &defaults).expect("config");
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(apps, Limits::UNLIMITED);
    s.auto_import_accounts = true;
    Emu::start_with(s).await
}

fn members(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"Member_Account": format!("m{i}")}))
        .collect()
}

async fn create(emu: &Emu, app: u64, body: Value) -> Value {
    emu.call_as(app, "admin", "group_open_http_svc/create_group", body)
        .await
}

#[tokio::test]
async fn two_apps_in_one_emulator_answer_by_their_own_profiles() {
    let emu = two_apps().await;
    let body = |id: &str, n: usize| json!({"Owner_Account": "leckie", "Type": "Public", "GroupId": id, "Name": "g", "MemberList": members(n)});
    // 101 members: within the default profile's 500, over today's 100 (10005).
    assert_eq!(code(&create(&emu, OLD, body("a", 101)).await), 0);
    let v = create(&emu, TODAY, body("a", 101)).await;
    assert_eq!(code(&v), 10005, "{v}");
    // 19 members and the owner fit a Trial group of 20; its default cap is the edition's.
    assert_eq!(code(&create(&emu, TODAY, body("b", 19)).await), 0);
    let info = |app: u64, id: &'static str| {
        let emu = &emu;
        async move {
            let v = emu
                .call_as(
                    app,
                    "admin",
                    "group_open_http_svc/get_group_info",
                    json!({"GroupIdList": [id]}),
                )
                .await;
            v["GroupInfo"][0]["MaxMemberNum"].clone()
        }
    };
    assert_eq!(info(TODAY, "b").await, 20);
    assert_eq!(info(OLD, "a").await, 2000);
    // BChatRoom is gone from today's service.
    let bchat = json!({"Type": "BChatRoom", "Name": "b"});
    assert_eq!(code(&create(&emu, OLD, bchat.clone()).await), 0);
    assert_eq!(code(&create(&emu, TODAY, bchat).await), 10004);
    // A 12,000-byte message passes today, not under the default 8,000.
    let text = "a".repeat(12_000);
    let send = |id: &str| json!({"GroupId": id, "Random": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]});
    let v = emu
        .call_as(
            OLD,
            "admin",
            "group_open_http_svc/send_group_msg",
            send("a"),
        )
        .await;
    assert_eq!(code(&v), 80002, "{v}");
    let v = emu
        .call_as(
            TODAY,
            "admin",
            "group_open_http_svc/send_group_msg",
            send("b"),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    // Health names each app's profile and edition.
    let raw = emu
        .request(reqwest::Method::GET, "/_emulator/health", Vec::new())
        .await;
    let h = raw.json();
    let profiles = h["app_profiles"].as_array().expect("app_profiles");
    assert_eq!(
        profiles,
        &vec![
            json!({"sdkappid": OLD, "rules_profile": "default", "edition": null}),
            json!({"sdkappid": TODAY, "rules_profile": "current", "edition": "trial"}),
        ]
    );
}

async fn today_only(no_limits: bool) -> Emu {
    let text = format!("[[apps]]\nsdkappid = {TODAY}\nrules_profile = \"current\"\n");
    let defaults = AppDefaults {
        profile: "default",
        edition: Edition::Ultimate,
        flags: LimitOverrides::default(),
        no_limits,
    };
    let apps = parse_with(&text, &defaults).expect("config");
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(apps, Limits::UNLIMITED);
    s.auto_import_accounts = true;
    Emu::start_with(s).await
}

async fn list(emu: &Emu, body: Value) -> Value {
    emu.call_as(
        TODAY,
        "admin",
        "group_open_http_svc/get_appid_group_list",
        body,
    )
    .await
}

#[tokio::test]
async fn todays_group_list_pages_with_cursors_above_2_to_the_32() {
    let emu = today_only(true).await;
    for id in ["a", "b", "c"] {
        let v = create(
            &emu,
            TODAY,
            json!({"Type": "Public", "GroupId": id, "Name": "g"}),
        )
        .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    let first = list(&emu, json!({"Limit": 2})).await;
    assert_eq!(first["TotalCount"], 3, "{first}");
    let next = first["Next"].as_u64().expect("Next");
    assert!(next >= 1 << 32, "a cursor above 2^32: {next}");
    assert!(next < 1 << 53, "JavaScript reads it exactly");
    let ids = |v: &Value| {
        v["GroupIdList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["GroupId"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ["a", "b"]);
    let second = list(&emu, json!({"Limit": 2, "Next": next})).await;
    assert_eq!(ids(&second), ["c"], "{second}");
    assert_eq!(second["Next"], 0);
    // A position that no answer gave, as a 32-bit SDK would send after truncating.
    let v = list(&emu, json!({"Limit": 2, "Next": next as u32})).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(common::info(&v).contains("unsigned 64-bit"), "{v}");
}

#[tokio::test]
async fn todays_group_list_takes_one_call_a_second_then_10006() {
    let emu = today_only(false).await;
    assert_eq!(code(&list(&emu, json!({})).await), 0);
    let v = list(&emu, json!({})).await;
    assert_eq!(code(&v), 10006, "{v}");
    assert!(common::info(&v).contains("1 time(s) a second"), "{v}");
    // The default profile keeps only the common 200/s.
    let emu = two_apps().await;
    for _ in 0..3 {
        let v = emu
            .call_as(
                OLD,
                "admin",
                "group_open_http_svc/get_appid_group_list",
                json!({}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
}

#[tokio::test]
async fn todays_custom_group_ids_are_printable_ascii_of_at_most_48_bytes() {
    let emu = two_apps().await;
    let make = |id: String| json!({"Type": "Public", "GroupId": id, "Name": "g"});
    for (id, old, today) in [
        ("a".repeat(48), 0, 0),
        ("b".repeat(49), 0, 10004),
        ("群组".to_string(), 0, 10004),
        ("tab\tid".to_string(), 10004, 10004),
        ("~ok id!".to_string(), 0, 0),
    ] {
        let v = create(&emu, OLD, make(id.clone())).await;
        assert_eq!(code(&v), old, "default {id:?}: {v}");
        let v = create(&emu, TODAY, make(id.clone())).await;
        assert_eq!(code(&v), today, "current {id:?}: {v}");
    }
}
