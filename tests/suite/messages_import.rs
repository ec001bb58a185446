//! Migration of message state over HTTP: import_group_msg (spec §36), set_unread_msg_num (§37)
//! and import_group_member's `UnreadMsgNum` (§22.1). Every rule on both sides of its boundary
//! (the per-call cap, the 8,000-byte size in CJK text, `SendTime` equal / earlier / later /
//! future), every error code with the order of checks, the per-message `Result`s, sequences
//! and read positions as the reads show them at once, that a rejected request changes nothing,
//! that no callback fires, and gap-free sequences under concurrent imports.
//!
//! Times come from a frozen emulator clock ([`NOW`]), so "earlier than now" is exact and no
//! test waits.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{APP, Emu, code, info};
use serde_json::{Value, json};
use tim_emulator::apps::{AppPolicy, Apps, CallbackConfig, Limits};
use tim_emulator::{Clock, Settings};

/// The emulator's frozen time, unix seconds.
const NOW: u64 = 1_700_000_000;
/// When the test groups were created (their `CreateTime`).
const CREATED: u64 = NOW - 100_000;

const IMPORT_MSG: &str = "group_open_http_svc/import_group_msg";
const SET_UNREAD: &str = "group_open_http_svc/set_unread_msg_num";
const IMPORT_GROUP: &str = "group_open_http_svc/import_group";
const IMPORT_MEMBERS: &str = "group_open_http_svc/import_group_member";
const MEMBER_INFO: &str = "group_open_http_svc/get_group_member_info";
const JOINED: &str = "group_open_http_svc/get_joined_group_list";

const ACCOUNTS: [&str; 5] = ["leckie", "peter", "tommy", "jared", "bob"];

/// Settings with the clock frozen at [`NOW`] and no throttles.
fn settings() -> Settings {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.clock = Clock::frozen_at(NOW * 1000);
    s
}

/// Settings whose one app has this policy (sensitive words, a smaller cap).
fn settings_with(p: AppPolicy) -> Settings {
    let mut s = settings();
    s.apps = Apps::configured(HashMap::from([(APP, p)]), Limits::UNLIMITED);
    s
}

async fn emu_with(s: Settings) -> Emu {
    let emu = Emu::start_with(s).await;
    emu.import(&ACCOUNTS).await;
    emu
}

/// An emulator frozen at [`NOW`] with [`ACCOUNTS`] imported.
async fn emu() -> Emu {
    emu_with(settings()).await
}

/// Group `id` of type `ty` with `members` added by import_group_member: imported with
/// `CreateTime` [`CREATED`] and owner leckie, or, for the live-broadcast types import_group
/// refuses, created now without an owner.
async fn group(emu: &Emu, id: &str, ty: &str, members: &[&str]) {
    let v = if matches!(ty, "AVChatRoom" | "BChatRoom") {
        emu.create_group(json!({"Type": ty, "GroupId": id, "Name": "n"}))
            .await
    } else {
        let body = json!({"Owner_Account": "leckie", "Type": ty, "GroupId": id, "Name": "n",
                          "CreateTime": CREATED});
        emu.call(IMPORT_GROUP, body).await
    };
    assert_eq!(code(&v), 0, "{v}");
    if !members.is_empty() {
        let list: Vec<Value> = members
            .iter()
            .map(|m| json!({"Member_Account": m}))
            .collect();
        let v = emu
            .call(IMPORT_MEMBERS, json!({"GroupId": id, "MemberList": list}))
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
}

/// A text message from `from` sent at `t`.
fn text(from: &str, t: u64, text: &str) -> Value {
    json!({"From_Account": from, "SendTime": t, "Random": 7,
           "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]})
}

/// `n` text messages from `from`, one second apart, the first at `first`.
fn texts(from: &str, first: u64, n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| text(from, first + i, &format!("m{i}")))
        .collect()
}

async fn import(emu: &Emu, id: &str, list: Vec<Value>) -> Value {
    emu.call(IMPORT_MSG, json!({"GroupId": id, "MsgList": list}))
        .await
}

/// Imports `list` and asserts the request is OK.
async fn imported(emu: &Emu, id: &str, list: Vec<Value>) -> Value {
    let v = import(emu, id, list).await;
    assert_eq!(code(&v), 0, "{v}");
    v
}

/// `(MsgSeq, MsgTime, Result)` of each `ImportMsgResult` entry.
fn results(v: &Value) -> Vec<(u64, i64, u64)> {
    v["ImportMsgResult"]
        .as_array()
        .unwrap_or_else(|| panic!("no ImportMsgResult in {v}"))
        .iter()
        .map(|r| {
            (
                r["MsgSeq"].as_u64().expect("MsgSeq"),
                r["MsgTime"].as_i64().expect("MsgTime"),
                r["Result"].as_u64().expect("Result"),
            )
        })
        .collect()
}

/// The `Result` of each entry.
fn codes(v: &Value) -> Vec<u64> {
    v["ImportMsgResult"]
        .as_array()
        .unwrap_or_else(|| panic!("no ImportMsgResult in {v}"))
        .iter()
        .map(|r| r["Result"].as_u64().expect("Result"))
        .collect()
}

/// get_group_member_info's members, by account.
async fn members(emu: &Emu, id: &str) -> HashMap<String, Value> {
    let v = emu.call(MEMBER_INFO, json!({"GroupId": id})).await;
    assert_eq!(code(&v), 0, "{v}");
    v["MemberList"]
        .as_array()
        .expect("MemberList")
        .iter()
        .map(|m| {
            (
                m["Member_Account"].as_str().expect("account").into(),
                m.clone(),
            )
        })
        .collect()
}

/// A member's `MsgSeq` as get_group_member_info reads it.
async fn msg_seq(emu: &Emu, id: &str, who: &str) -> u64 {
    members(emu, id).await[who]["MsgSeq"]
        .as_u64()
        .expect("MsgSeq")
}

async fn set_unread(emu: &Emu, id: &str, who: &str, n: Value) -> Value {
    emu.call(
        SET_UNREAD,
        json!({"GroupId": id, "Member_Account": who, "UnreadMsgNum": n}),
    )
    .await
}

/// The state export of [`APP`].
async fn export(emu: &Emu) -> Value {
    let raw = emu
        .request(reqwest::Method::GET, "/_emulator/state", Vec::new())
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    raw.json()["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .find(|a| a["sdkappid"] == APP)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The exported group `id`.
async fn exported_group(emu: &Emu, id: &str) -> Value {
    export(emu).await["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["GroupId"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("group {id} not exported"))
}

/// The `MsgSeq` of every stored message of group `id`, oldest first.
async fn stored_seqs(emu: &Emu, id: &str) -> Vec<u64> {
    exported_group(emu, id).await["Messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["MsgSeq"].as_u64().expect("seq"))
                .collect()
        })
        .unwrap_or_default()
}

// ---- the documented example and what the reads show at once (spec §36.3, §36.4) ----

#[tokio::test]
async fn the_documented_example_stores_two_messages_with_sequences_one_and_two() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["tommy"]).await;
    let v = imported(
        &emu,
        "g",
        vec![
            json!({"From_Account": "leckie", "SendTime": 1620808101u64, "Random": 8912345,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "red packet"}},
                               {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6, "Data": "abc\u{0}\u{1}"}}]}),
            json!({"From_Account": "peter", "SendTime": 1620892821u64,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "red packet"}}]}),
        ],
    )
    .await;
    // The group was created at CREATED, after those times: both fail. Use a group created
    // before them instead (the fixture does the same).
    assert_eq!(codes(&v), [10004, 10004], "{v}");

    let v = emu
        .call(
            IMPORT_GROUP,
            json!({"Owner_Account": "leckie", "Type": "Public", "GroupId": "doc",
                   "Name": "n", "CreateTime": 1620808000u64}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = imported(
        &emu,
        "doc",
        vec![
            json!({"From_Account": "leckie", "SendTime": 1620808101u64, "Random": 8912345,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "red packet"}},
                               {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6, "Data": "abc\u{0}\u{1}"}}]}),
            json!({"From_Account": "peter", "SendTime": 1620892821u64,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "red packet"}}]}),
        ],
    )
    .await;
    assert_eq!(
        v,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "ImportMsgResult": [
            {"MsgSeq": 1, "MsgTime": 1620808101u64, "Result": 0},
            {"MsgSeq": 2, "MsgTime": 1620892821u64, "Result": 0}]})
    );
    let g = emu.group_info("doc").await;
    assert_eq!(g["NextMsgSeq"], 3, "{g}");
    assert_eq!(g["LastMsgTime"], 1620892821u64, "{g}");
    let owner = &g["MemberList"][0];
    assert_eq!(owner["Member_Account"], "leckie");
    assert_eq!(owner["MsgSeq"], 2, "unread 0 after an import: {g}");
    assert_eq!(owner["LastSendMsgTime"], 1620808101u64, "{g}");
    // peter sent without being a member: no member entry appears for him.
    assert_eq!(g["MemberList"].as_array().map(Vec::len), Some(1), "{g}");
}

#[tokio::test]
async fn the_reads_show_sequences_times_and_read_positions_at_once() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["tommy", "jared"]).await;
    let g = emu.group_info("g").await;
    assert_eq!(
        (g["NextMsgSeq"].clone(), g["LastMsgTime"].clone()),
        (json!(1), json!(0))
    );

    imported(
        &emu,
        "g",
        vec![
            text("tommy", NOW - 50, "a"),
            text("jared", NOW - 40, "b"),
            text("tommy", NOW - 30, "c"),
        ],
    )
    .await;
    let g = emu.group_info("g").await;
    assert_eq!(g["NextMsgSeq"], 4, "{g}");
    assert_eq!(g["LastMsgTime"], NOW - 30, "{g}");
    let by: HashMap<&str, &Value> = g["MemberList"]
        .as_array()
        .expect("MemberList")
        .iter()
        .map(|m| (m["Member_Account"].as_str().expect("account"), m))
        .collect();
    for (who, last_send) in [("leckie", 0), ("tommy", NOW - 30), ("jared", NOW - 40)] {
        assert_eq!(by[who]["MsgSeq"], 3, "{who}: {g}");
        assert_eq!(by[who]["LastSendMsgTime"], last_send, "{who}: {g}");
    }
    let m = members(&emu, "g").await;
    for (who, last_send) in [("leckie", 0), ("tommy", NOW - 30), ("jared", NOW - 40)] {
        assert_eq!(m[who]["MsgSeq"], 3, "{who}");
        assert_eq!(m[who]["LastSendMsgTime"], last_send, "{who}");
    }
}

#[tokio::test]
async fn the_stored_record_keeps_the_body_the_random_and_the_import_origin() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let body = json!([
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d", "Desc": "x", "Unknown": {"k": [1, "z"]}}},
        {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "here", "Latitude": 1.5, "Longitude": -2}}
    ]);
    imported(
        &emu,
        "g",
        vec![
            json!({"From_Account": "peter", "SendTime": NOW - 9, "Random": 4294967295u64, "MsgBody": body}),
            json!({"From_Account": "peter", "SendTime": NOW - 8,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "no random"}}]}),
        ],
    )
    .await;
    let g = exported_group(&emu, "g").await;
    let msgs = g["Messages"].as_array().expect("Messages");
    assert_eq!(msgs.len(), 2, "{g}");
    assert_eq!(msgs[0]["MsgSeq"], 1);
    assert_eq!(msgs[0]["MsgTime"], NOW - 9);
    assert_eq!(msgs[0]["From_Account"], "peter");
    assert_eq!(msgs[0]["Random"], 4294967295u64);
    assert_eq!(msgs[0]["MsgBody"], body, "unknown fields round-trip");
    assert_eq!(msgs[0]["Origin"], "import");
    assert_eq!(msgs[0]["Status"], "normal");
    assert!(
        msgs[1]["Random"].is_u64(),
        "a Random is generated: {}",
        msgs[1]
    );
}

// ---- MsgList count (spec §36.1: import_msgs_per_call) ----

#[tokio::test]
async fn msg_list_takes_twenty_messages_and_refuses_twenty_one() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let before = export(&emu).await;
    let v = import(&emu, "g", texts("peter", NOW - 100, 21)).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("21") && info(&v).contains("20"), "{v}");
    assert_eq!(export(&emu).await, before, "a refused batch stores nothing");

    let v = imported(&emu, "g", texts("peter", NOW - 100, 20)).await;
    let seqs: Vec<u64> = results(&v).iter().map(|r| r.0).collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>(), "{v}");
}

#[tokio::test]
async fn the_app_setting_import_msgs_per_call_sets_the_cap() {
    let mut p = AppPolicy::zero_config(Limits::UNLIMITED);
    p.messages.import_per_call = 7;
    let emu = emu_with(settings_with(p)).await;
    group(&emu, "g", "Public", &[]).await;
    let v = import(&emu, "g", texts("peter", NOW - 100, 8)).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("at most 7"), "{v}");
    let v = imported(&emu, "g", texts("peter", NOW - 100, 7)).await;
    assert_eq!(codes(&v), [0; 7]);
}

#[tokio::test]
async fn an_empty_missing_or_mistyped_msg_list_is_10004() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    for (body, needle) in [
        (json!({"GroupId": "g", "MsgList": []}), "MsgList is empty"),
        (json!({"GroupId": "g"}), "MsgList is required"),
        (json!({"GroupId": "g", "msglist": []}), "case-sensitive"),
        (json!({"GroupId": "g", "MsgList": {}}), "MsgList"),
        (json!({"GroupId": "g", "MsgList": [1]}), "MsgList[0]"),
    ] {
        let v = emu.call(IMPORT_MSG, body.clone()).await;
        assert_eq!(code(&v), 10004, "{body} -> {v}");
        assert!(info(&v).contains(needle), "{body} -> {v}");
    }
}

// ---- size (spec §30.2: 8,000 bytes, UTF-8) ----

#[tokio::test]
async fn a_message_of_8000_bytes_imports_and_one_of_8001_is_80002_for_that_message_only() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    // 2,666 CJK characters are 7,998 bytes of UTF-8.
    let cjk = "汉".repeat(2666);
    let v = imported(
        &emu,
        "g",
        vec![
            text("peter", NOW - 30, &format!("{cjk}ab")),
            text("peter", NOW - 20, &format!("{cjk}abc")),
            text("peter", NOW - 10, "small"),
        ],
    )
    .await;
    assert_eq!(
        results(&v),
        [
            (1, (NOW - 30) as i64, 0),
            (0, (NOW - 20) as i64, 80002),
            (2, (NOW - 10) as i64, 0)
        ],
        "the failed message takes no sequence: {v}"
    );
    // Numbers count 8 bytes each: 7,992 bytes of text plus an 8-byte Index is 8,000.
    let at_limit = json!({"From_Account": "peter", "SendTime": NOW - 5, "MsgBody": [
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "汉".repeat(2664)}},
        {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6}}]});
    let mut over = at_limit.clone();
    over["SendTime"] = json!(NOW - 4);
    over["MsgBody"][1]["MsgContent"]["Data"] = json!("x");
    let v = imported(&emu, "g", vec![at_limit, over]).await;
    assert_eq!(codes(&v), [0, 80002], "{v}");
}

// ---- SendTime (spec §36.2) ----

#[tokio::test]
async fn send_time_must_be_after_create_time_strictly() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let v = imported(
        &emu,
        "g",
        vec![
            text("peter", CREATED - 1, "before"),
            text("peter", CREATED, "equal"),
        ],
    )
    .await;
    assert_eq!(codes(&v), [10004, 10004], "{v}");
    assert_eq!(
        results(&v)[1],
        (0, CREATED as i64, 10004),
        "a failed entry answers its SendTime"
    );
    let v = imported(&emu, "g", vec![text("peter", CREATED + 1, "after")]).await;
    assert_eq!(results(&v), [(1, (CREATED + 1) as i64, 0)], "{v}");
}

#[tokio::test]
async fn send_time_must_be_before_now_strictly() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let v = imported(
        &emu,
        "g",
        vec![
            text("peter", NOW + 3600, "future"),
            text("peter", NOW, "now"),
        ],
    )
    .await;
    assert_eq!(codes(&v), [10004, 10004], "{v}");
    let v = imported(&emu, "g", vec![text("peter", NOW - 1, "just before")]).await;
    assert_eq!(codes(&v), [0], "{v}");
}

#[tokio::test]
async fn send_time_must_be_after_the_newest_message_strictly_across_calls_and_within_a_batch() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    imported(&emu, "g", vec![text("peter", NOW - 100, "first")]).await;
    let v = imported(
        &emu,
        "g",
        vec![
            text("peter", NOW - 101, "earlier than the newest"),
            text("peter", NOW - 100, "equal to the newest"),
            text("peter", NOW - 99, "later"),
            text("peter", NOW - 99, "equal to the one just imported"),
            text("peter", NOW - 120, "descending"),
            text("peter", NOW - 98, "later again"),
        ],
    )
    .await;
    assert_eq!(
        results(&v),
        [
            (0, (NOW - 101) as i64, 10004),
            (0, (NOW - 100) as i64, 10004),
            (2, (NOW - 99) as i64, 0),
            (0, (NOW - 99) as i64, 10004),
            (0, (NOW - 120) as i64, 10004),
            (3, (NOW - 98) as i64, 0),
        ],
        "{v}"
    );
    assert_eq!(emu.group_info("g").await["LastMsgTime"], NOW - 98);
}

#[tokio::test]
async fn a_failed_message_does_not_move_the_newest_time() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let v = imported(
        &emu,
        "g",
        vec![
            text("peter", NOW + 10, "future: fails"),
            text("ghost", NOW - 20, "unknown sender: fails"),
            text(
                "peter",
                NOW - 30,
                "earlier than both failures, later than nothing stored",
            ),
        ],
    )
    .await;
    assert_eq!(codes(&v), [10004, 10004, 0], "{v}");
    assert_eq!(results(&v)[2].0, 1);
}

#[tokio::test]
async fn a_negative_or_huge_send_time_fails_that_message_only() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let v = imported(
        &emu,
        "g",
        vec![
            text("peter", 0, "zero"),
            json!({"From_Account": "peter", "SendTime": -5,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            json!({"From_Account": "peter", "SendTime": u64::MAX,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            text("peter", NOW - 1, "fine"),
        ],
    )
    .await;
    assert_eq!(codes(&v), [10004, 10004, 10004, 0], "{v}");
    let r = &v["ImportMsgResult"];
    assert_eq!(
        (r[0]["MsgSeq"].clone(), r[0]["MsgTime"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(
        (r[1]["MsgSeq"].clone(), r[1]["MsgTime"].clone()),
        (json!(0), json!(-5))
    );
    assert_eq!(r[3]["MsgSeq"], 1, "{v}");
    assert_eq!(v["ImportMsgResult"][2]["MsgTime"], json!(u64::MAX), "{v}");
}

#[tokio::test]
async fn after_a_later_clock_a_time_that_was_in_the_future_imports() {
    let s = settings();
    let clock = s.clock.clone();
    let emu = emu_with(s).await;
    group(&emu, "g", "Public", &[]).await;
    let v = imported(&emu, "g", vec![text("peter", NOW + 5, "future")]).await;
    assert_eq!(codes(&v), [10004]);
    clock.set((NOW + 6) * 1000, true);
    let v = imported(&emu, "g", vec![text("peter", NOW + 5, "now in the past")]).await;
    assert_eq!(codes(&v), [0], "{v}");
}

// ---- senders (spec §36.2: 10004 per message) ----

#[tokio::test]
async fn an_unknown_or_empty_sender_fails_that_message_and_a_non_member_sender_is_fine() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["tommy"]).await;
    let v = imported(
        &emu,
        "g",
        vec![
            text("ghost", NOW - 40, "not imported"),
            text("", NOW - 35, "empty"),
            text("bob", NOW - 30, "imported, not a member"),
            text("tommy", NOW - 20, "member"),
        ],
    )
    .await;
    assert_eq!(
        results(&v),
        [
            (0, (NOW - 40) as i64, 10004),
            (0, (NOW - 35) as i64, 10004),
            (1, (NOW - 30) as i64, 0),
            (2, (NOW - 20) as i64, 0)
        ],
        "{v}"
    );
    let m = members(&emu, "g").await;
    assert!(!m.contains_key("bob"), "sending does not make a member");
    assert_eq!(m["tommy"]["LastSendMsgTime"], NOW - 20);
}

// ---- sensitive words and the order of the per-message checks ----

#[tokio::test]
async fn a_sensitive_word_is_80001_for_that_message_and_the_per_message_checks_run_in_order() {
    let mut p = AppPolicy::zero_config(Limits::UNLIMITED);
    p.sensitive_words = vec!["badword".into()];
    let emu = emu_with(settings_with(p)).await;
    group(&emu, "g", "Public", &[]).await;
    let big = "x".repeat(8001);
    let custom = |t: u64, desc: &str| {
        json!({"From_Account": "peter", "SendTime": t,
               "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d", "Desc": desc}}]})
    };
    let v = imported(
        &emu,
        "g",
        vec![
            text("peter", NOW - 90, "a BadWord here"),
            custom(NOW - 85, "badword in Desc"),
            custom(NOW - 84, "Data is not scanned"),
            text("ghost", NOW - 80, "badword from an unknown sender"),
            text("peter", NOW + 1, "badword in the future"),
            text("peter", NOW - 70, &format!("badword {big}")),
            text("peter", NOW - 60, &big),
            text("peter", NOW - 50, "clean"),
        ],
    )
    .await;
    assert_eq!(
        codes(&v),
        [80001, 80001, 0, 10004, 10004, 80001, 80002, 0],
        "sender, then time, then words, then size: {v}"
    );
    let v = imported(
        &emu,
        "g",
        vec![json!({"From_Account": "peter", "SendTime": NOW - 40,
                    "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "badword"}}]})],
    )
    .await;
    assert_eq!(codes(&v), [0], "custom Data is not scanned: {v}");
}

// ---- the request's shape (top-level 10004 / 60015) and the order of checks ----

#[tokio::test]
async fn a_structural_error_in_any_item_refuses_the_whole_request_naming_the_item() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let ok = text("peter", NOW - 10, "fine");
    let body = |v: Value| json!({"GroupId": "g", "MsgList": [ok.clone(), v]});
    let table = [
        (
            json!({"SendTime": NOW - 5, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            10004,
            "MsgList[1].From_Account is required",
        ),
        (
            json!({"From_Account": "peter", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            10004,
            "MsgList[1].SendTime is required",
        ),
        (
            json!({"From_Account": "peter", "SendTime": "1700000000", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            10004,
            "MsgList[1].SendTime must be an integer",
        ),
        (
            json!({"From_Account": "peter", "SendTime": 1.5, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            10004,
            "MsgList[1].SendTime",
        ),
        (
            json!({"From_Account": "peter", "SendTime": NOW - 5, "Random": -1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            10004,
            "MsgList[1].Random",
        ),
        (
            json!({"From_Account": "peter", "SendTime": NOW - 5, "Random": 4294967296u64, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            10004,
            "MsgList[1].Random",
        ),
        (
            json!({"From_Account": "peter", "SendTime": NOW - 5}),
            10004,
            "MsgList[1].MsgBody is required",
        ),
        (
            json!({"From_Account": "peter", "SendTime": NOW - 5, "MsgBody": []}),
            10004,
            "MsgList[1].MsgBody is empty",
        ),
        (
            json!({"From_Account": "peter", "SendTime": NOW - 5, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 1}}]}),
            10004,
            "MsgList[1].MsgBody[0].MsgContent.Text must be a string",
        ),
        (
            json!({"From_Account": "peter", "SendTime": NOW - 5, "MsgBody": [{"MsgType": "TIMBogusElem", "MsgContent": {}}]}),
            10004,
            "MsgList[1].MsgBody[0].MsgType",
        ),
        (
            json!({"From_Account": 5, "SendTime": NOW - 5, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
            60015,
            "From_Account",
        ),
    ];
    let before = export(&emu).await;
    for (item, want, needle) in table {
        let v = emu.call(IMPORT_MSG, body(item.clone())).await;
        assert_eq!(code(&v), want, "{item} -> {v}");
        assert!(info(&v).contains(needle), "{item} -> {v} lacks {needle}");
    }
    assert_eq!(
        export(&emu).await,
        before,
        "no refused request stored anything"
    );
}

#[tokio::test]
async fn random_takes_the_whole_unsigned_32_bit_range() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let with = |t: u64, r: u64| {
        json!({"From_Account": "peter", "SendTime": t, "Random": r,
               "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]})
    };
    let v = imported(&emu, "g", vec![with(NOW - 2, 0), with(NOW - 1, 4294967295)]).await;
    assert_eq!(codes(&v), [0, 0], "{v}");
}

#[tokio::test]
async fn topic_id_and_recent_contact_flag_are_checked() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let list = json!([text("peter", NOW - 10, "x")]);
    for (extra, want) in [
        (json!({"TopicId": "@TGS#_g@TOPIC#_t"}), 10004),
        (json!({"RecentContactFlag": 2}), 10004),
        (json!({"RecentContactFlag": "1"}), 10004),
        (json!({"TopicId": ""}), 0),
        (json!({"RecentContactFlag": 1}), 0),
    ] {
        let mut body = json!({"GroupId": "g", "MsgList": list});
        for (k, val) in extra.as_object().expect("object") {
            body[k] = val.clone();
        }
        let v = emu.call(IMPORT_MSG, body).await;
        assert_eq!(code(&v), want, "{extra} -> {v}");
        if want == 0 {
            // The same message again: now it is not later than the newest.
            assert_eq!(codes(&v).len(), 1, "{v}");
        }
    }
    assert_eq!(
        stored_seqs(&emu, "g").await,
        [1],
        "only the first OK stored it"
    );
}

#[tokio::test]
async fn the_request_level_checks_run_in_the_documented_order() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    group(&emu, "av", "AVChatRoom", &[]).await;
    let bad_item = json!({"From_Account": "peter", "SendTime": "x"});
    let many: Vec<Value> = texts("peter", NOW - 100, 21);
    let mut many_with_bad = many.clone();
    many_with_bad[20] = bad_item.clone();
    let one = vec![text("peter", NOW - 10, "x")];
    for (body, want, needle) in [
        // GroupId presence first.
        (
            json!({"MsgList": many_with_bad}),
            10004,
            "GroupId is required",
        ),
        // Item types before the count.
        (
            json!({"GroupId": "g", "MsgList": many_with_bad}),
            10004,
            "MsgList[20].SendTime",
        ),
        // The count before TopicId.
        (
            json!({"GroupId": "g", "MsgList": many, "TopicId": "t"}),
            10004,
            "at most 20",
        ),
        // TopicId before the group's form.
        (
            json!({"GroupId": "", "MsgList": one, "TopicId": "t"}),
            10004,
            "TopicId",
        ),
        // The form (10015) before existence (10010).
        (json!({"GroupId": "", "MsgList": one}), 10015, ""),
        (json!({"GroupId": "missing", "MsgList": one}), 10010, ""),
        // Existence before anything per message.
        (
            json!({"GroupId": "missing", "MsgList": [text("ghost", NOW + 99, "x")]}),
            10010,
            "",
        ),
        // The type rule before anything per message.
        (
            json!({"GroupId": "av", "MsgList": [text("ghost", NOW + 99, "x")]}),
            10007,
            "AVChatRoom",
        ),
    ] {
        let v = emu.call(IMPORT_MSG, body.clone()).await;
        assert_eq!(code(&v), want, "{body} -> {v}");
        assert!(info(&v).contains(needle), "{v} lacks {needle}");
    }
}

// ---- group types (spec §36: AVChatRoom 10007) and activation (§17.4) ----

#[tokio::test]
async fn every_type_but_the_live_broadcast_ones_imports() {
    let emu = emu().await;
    for (id, ty, want) in [
        ("p", "Private", 0),
        ("u", "Public", 0),
        ("c", "ChatRoom", 0),
        ("a", "AVChatRoom", 10007),
        ("b", "BChatRoom", 10007),
    ] {
        group(&emu, id, ty, &[]).await;
        let v = import(&emu, id, vec![text("peter", NOW - 10, "x")]).await;
        assert_eq!(code(&v), want, "{ty}: {v}");
        let next = emu.group_info(id).await["NextMsgSeq"].clone();
        assert_eq!(next, if want == 0 { 2 } else { 1 }, "{ty}");
    }
}

#[tokio::test]
async fn a_private_group_becomes_active_with_its_first_imported_message_only() {
    let emu = emu().await;
    group(&emu, "work", "Private", &["tommy"]).await;
    let count = |v: &Value| v["GroupIdList"].as_array().map_or(0, Vec::len);
    let v = emu.call(JOINED, json!({"Member_Account": "tommy"})).await;
    assert_eq!(count(&v), 0, "inactive: hidden from a member: {v}");
    // A batch whose every message fails does not activate it.
    let v = imported(&emu, "work", vec![text("ghost", NOW - 10, "x")]).await;
    assert_eq!(codes(&v), [10004]);
    let v = emu.call(JOINED, json!({"Member_Account": "tommy"})).await;
    assert_eq!(count(&v), 0, "{v}");
    imported(&emu, "work", vec![text("peter", NOW - 10, "x")]).await;
    let v = emu.call(JOINED, json!({"Member_Account": "tommy"})).await;
    assert_eq!(count(&v), 1, "active after its first message: {v}");
    assert_eq!(exported_group(&emu, "work").await["activated"], true);
}

// ---- read positions after an import (spec §36.4) ----

#[tokio::test]
async fn a_successful_import_moves_every_member_to_unread_zero_and_a_failed_one_moves_nobody() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["tommy", "jared"]).await;
    imported(&emu, "g", texts("leckie", NOW - 100, 5)).await;
    let v = set_unread(&emu, "g", "tommy", json!(3)).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(msg_seq(&emu, "g", "tommy").await, 2);

    let before = export(&emu).await;
    let v = imported(
        &emu,
        "g",
        vec![
            text("ghost", NOW - 50, "x"),
            text("peter", NOW - 100, "old"),
        ],
    )
    .await;
    assert_eq!(codes(&v), [10004, 10004]);
    assert_eq!(
        export(&emu).await,
        before,
        "a batch with no stored message changes nothing"
    );

    let v = imported(
        &emu,
        "g",
        vec![text("ghost", NOW - 50, "x"), text("peter", NOW - 40, "y")],
    )
    .await;
    assert_eq!(codes(&v), [10004, 0]);
    let m = members(&emu, "g").await;
    for who in ["leckie", "tommy", "jared"] {
        assert_eq!(m[who]["MsgSeq"], 6, "{who}");
    }
}

// ---- no callbacks (spec §36, §39.1) ----

#[tokio::test]
async fn importing_sends_no_callback_even_with_every_message_event_on() {
    let mut s = settings();
    let events = [
        "Group.CallbackBeforeSendMsg",
        "Group.CallbackAfterSendMsg",
        "Group.CallbackSendMsgException",
        "Group.CallbackBeforeCreateGroup",
    ];
    s.apps.set_zero_config_callback(Some(CallbackConfig {
        url: refused_url(),
        events: events.iter().map(|e| e.to_string()).collect(),
        token: None,
        timeout_ms: 500,
        fail_closed: true,
        block_send_on_failure: true,
    }));
    let emu = emu_with(s).await;
    group(&emu, "g", "Public", &["tommy"]).await;
    let v = imported(
        &emu,
        "g",
        vec![
            text("tommy", NOW - 10, "x"),
            text("tommy", NOW + 10, "fails"),
        ],
    )
    .await;
    assert_eq!(
        codes(&v),
        [0, 10004],
        "a failing backend blocks nothing: {v}"
    );
    let v = set_unread(&emu, "g", "tommy", json!(1)).await;
    assert_eq!(code(&v), 0, "{v}");
    // A creation with the before-create callback failing closed: its delivery is logged before
    // the answer, after anything the import could have queued.
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n"}))
        .await;
    assert_eq!(code(&v), 10016, "{v}");
    let raw = emu
        .request(reqwest::Method::GET, "/_emulator/callbacks", Vec::new())
        .await;
    let log = raw.json()["deliveries"]
        .as_array()
        .expect("deliveries")
        .clone();
    let commands: Vec<&str> = log.iter().filter_map(|d| d["command"].as_str()).collect();
    assert_eq!(commands, ["Group.CallbackBeforeCreateGroup"], "{log:?}");
}

fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/im-callback")
}

// ---- history bound (--history-per-group) ----

#[tokio::test]
async fn the_history_bound_drops_the_oldest_but_sequences_keep_counting() {
    let mut s = settings();
    s.history_per_group = 3;
    let emu = emu_with(s).await;
    group(&emu, "g", "Public", &[]).await;
    imported(&emu, "g", texts("peter", NOW - 100, 5)).await;
    assert_eq!(stored_seqs(&emu, "g").await, [3, 4, 5]);
    assert_eq!(emu.group_info("g").await["NextMsgSeq"], 6);
}

// ---- sequences: gap-free across calls, under concurrency, then with sends ----

#[tokio::test]
async fn concurrent_imports_to_one_group_get_distinct_gap_free_sequences_in_time_order() {
    let emu = Arc::new(emu().await);
    group(&emu, "g", "Public", &[]).await;
    let mut tasks = Vec::new();
    for k in 0..16u64 {
        let emu = Arc::clone(&emu);
        tasks.push(tokio::spawn(async move {
            // Each call two messages; calls race, so some land out of time order and fail.
            let list = vec![
                text("peter", NOW - 1000 + k * 10, "a"),
                text("peter", NOW - 1000 + k * 10 + 1, "b"),
            ];
            import(&emu, "g", list).await
        }));
    }
    let mut stored: Vec<(u64, i64)> = Vec::new();
    for t in tasks {
        let v = t.await.expect("task");
        assert_eq!(code(&v), 0, "{v}");
        for (seq, time, result) in results(&v) {
            if result == 0 {
                stored.push((seq, time));
            } else {
                assert_eq!((seq, result), (0, 10004), "{v}");
            }
        }
    }
    stored.sort();
    let seqs: Vec<u64> = stored.iter().map(|s| s.0).collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as u64).collect::<Vec<_>>(),
        "gap-free, distinct"
    );
    assert!(
        stored.windows(2).all(|w| w[0].1 < w[1].1),
        "times ascend with sequences: {stored:?}"
    );
    assert!(!stored.is_empty());
    assert_eq!(
        stored_seqs(&emu, "g").await,
        seqs,
        "the history holds exactly those"
    );
    assert_eq!(emu.group_info("g").await["NextMsgSeq"], stored.len() + 1);
}

/// Needs send_group_msg (spec §31), which is served once the lead's send branch is merged.
#[tokio::test]
async fn an_import_then_a_send_then_an_import_take_consecutive_sequences() {
    let s = settings();
    let clock = s.clock.clone();
    let emu = emu_with(s).await;
    group(&emu, "g", "Public", &["tommy"]).await;
    let v = imported(&emu, "g", texts("tommy", NOW - 100, 2)).await;
    assert_eq!(results(&v).iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
    let v = emu
        .call(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "g", "Random": 1, "From_Account": "tommy",
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "sent"}}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        (v["MsgSeq"].clone(), v["MsgTime"].clone()),
        (json!(3), json!(NOW))
    );
    // The sent message is the newest: an import must be later than it, and before now.
    let v = imported(
        &emu,
        "g",
        vec![text("tommy", NOW - 1, "older than the send")],
    )
    .await;
    assert_eq!(codes(&v), [10004]);
    clock.set((NOW + 2) * 1000, true);
    let v = imported(&emu, "g", vec![text("tommy", NOW + 1, "after the send")]).await;
    assert_eq!(results(&v), [(4, (NOW + 1) as i64, 0)], "{v}");
    assert_eq!(stored_seqs(&emu, "g").await, [1, 2, 3, 4]);
}

// ---- set_unread_msg_num (spec §37) ----

/// A Public group `g` with members tommy and jared and five messages: leckie, peter, leckie,
/// peter, leckie (sequences 1..=5).
async fn five_messages(emu: &Emu) {
    group(emu, "g", "Public", &["tommy", "jared", "peter"]).await;
    let who = ["leckie", "peter", "leckie", "peter", "leckie"];
    let list = who
        .iter()
        .enumerate()
        .map(|(i, w)| text(w, NOW - 100 + i as u64, "m"))
        .collect();
    imported(emu, "g", list).await;
}

#[tokio::test]
async fn set_unread_moves_the_members_msg_seq_and_the_reads_show_it_at_once() {
    let emu = emu().await;
    five_messages(&emu).await;
    for (n, seq) in [
        (0, 5),
        (1, 4),
        (3, 2),
        (5, 0),
        (6, 0),
        (1_000_000, 0),
        (2, 3),
    ] {
        let v = set_unread(&emu, "g", "tommy", json!(n)).await;
        assert_eq!(
            v,
            json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
        );
        assert_eq!(msg_seq(&emu, "g", "tommy").await, seq, "UnreadMsgNum {n}");
        let g = emu.group_info("g").await;
        let tommy = g["MemberList"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["Member_Account"] == "tommy")
            .cloned()
            .expect("tommy");
        assert_eq!(tommy["MsgSeq"], seq, "get_group_info, UnreadMsgNum {n}");
    }
    assert_eq!(
        msg_seq(&emu, "g", "jared").await,
        5,
        "another member is untouched"
    );
}

#[tokio::test]
async fn a_members_own_messages_do_not_count_toward_its_unread() {
    let emu = emu().await;
    five_messages(&emu).await;
    // peter sent 2 and 4; the messages counting for him are 5, 3, 1.
    for (n, seq) in [(1, 4), (2, 2), (3, 0), (4, 0)] {
        let v = set_unread(&emu, "g", "peter", json!(n)).await;
        assert_eq!(code(&v), 0, "{v}");
        assert_eq!(msg_seq(&emu, "g", "peter").await, seq, "UnreadMsgNum {n}");
    }
    // leckie sent 1, 3 and 5; for him 4 and 2 count.
    for (n, seq) in [(1, 3), (2, 1), (9, 1)] {
        let v = set_unread(&emu, "g", "leckie", json!(n)).await;
        assert_eq!(code(&v), 0, "{v}");
        assert_eq!(msg_seq(&emu, "g", "leckie").await, seq, "UnreadMsgNum {n}");
    }
}

#[tokio::test]
async fn set_unread_in_a_group_without_messages_leaves_msg_seq_at_zero() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["tommy"]).await;
    let v = set_unread(&emu, "g", "tommy", json!(5)).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(msg_seq(&emu, "g", "tommy").await, 0);
}

#[tokio::test]
async fn set_unread_in_a_chatroom_or_live_group_is_ok_and_changes_nothing() {
    let emu = emu().await;
    group(&emu, "c", "ChatRoom", &["tommy"]).await;
    imported(&emu, "c", texts("leckie", NOW - 100, 3)).await;
    group(&emu, "a", "AVChatRoom", &[]).await;
    group(&emu, "b", "BChatRoom", &[]).await;
    let before = export(&emu).await;
    for (id, who) in [("c", "tommy"), ("c", "bob"), ("a", "tommy"), ("b", "ghost")] {
        let v = set_unread(&emu, id, who, json!(2)).await;
        assert_eq!(code(&v), 0, "{id}/{who}: {v}");
    }
    assert_eq!(export(&emu).await, before);
    assert_eq!(msg_seq(&emu, "c", "tommy").await, 3);
}

#[tokio::test]
async fn set_unread_refusals_and_their_order() {
    let emu = emu().await;
    five_messages(&emu).await;
    group(&emu, "p", "Private", &["tommy"]).await;
    let before = export(&emu).await;
    for (body, want, needle) in [
        (
            json!({"Member_Account": "tommy", "UnreadMsgNum": -1}),
            10004,
            "GroupId is required",
        ),
        (
            json!({"GroupId": "g", "UnreadMsgNum": 1}),
            10004,
            "Member_Account is required",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "tommy"}),
            10004,
            "UnreadMsgNum is required",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "tommy", "unreadmsgnum": 1}),
            10004,
            "case-sensitive",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "tommy", "UnreadMsgNum": -1}),
            10004,
            "UnreadMsgNum is -1",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "tommy", "UnreadMsgNum": 1.5}),
            10004,
            "UnreadMsgNum",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "tommy", "UnreadMsgNum": "1"}),
            10004,
            "UnreadMsgNum",
        ),
        (
            json!({"GroupId": "g", "Member_Account": 7, "UnreadMsgNum": 1}),
            60015,
            "Member_Account",
        ),
        // Types before the group.
        (
            json!({"GroupId": "missing", "Member_Account": "tommy", "UnreadMsgNum": -1}),
            10004,
            "UnreadMsgNum",
        ),
        (
            json!({"GroupId": "", "Member_Account": "tommy", "UnreadMsgNum": 1}),
            10015,
            "",
        ),
        (
            json!({"GroupId": "missing", "Member_Account": "tommy", "UnreadMsgNum": 1}),
            10010,
            "",
        ),
        // The group before membership.
        (
            json!({"GroupId": "missing", "Member_Account": "ghost", "UnreadMsgNum": 1}),
            10010,
            "",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "bob", "UnreadMsgNum": 1}),
            10004,
            "not a member",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "ghost", "UnreadMsgNum": 1}),
            10004,
            "not a member",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "", "UnreadMsgNum": 1}),
            10004,
            "not a member",
        ),
        (
            json!({"GroupId": "p", "Member_Account": "jared", "UnreadMsgNum": 1}),
            10004,
            "not a member",
        ),
    ] {
        let v = emu.call(SET_UNREAD, body.clone()).await;
        assert_eq!(code(&v), want, "{body} -> {v}");
        assert!(info(&v).contains(needle), "{body} -> {v} lacks {needle}");
    }
    assert_eq!(export(&emu).await, before, "no refusal changed anything");
}

#[tokio::test]
async fn set_unread_works_in_a_private_group() {
    let emu = emu().await;
    group(&emu, "p", "Private", &["tommy"]).await;
    imported(&emu, "p", texts("leckie", NOW - 100, 4)).await;
    let v = set_unread(&emu, "p", "tommy", json!(4)).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(msg_seq(&emu, "p", "tommy").await, 0);
}

// ---- import_group_member's UnreadMsgNum (spec §22.1, applied as §37) ----

#[tokio::test]
async fn import_group_member_unread_msg_num_sets_the_read_position_capped_at_the_messages() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[]).await;
    let mut list = texts("leckie", NOW - 100, 4);
    list.push(text("peter", NOW - 50, "peter's own"));
    imported(&emu, "g", list).await;
    let v = emu
        .call(
            IMPORT_MEMBERS,
            json!({"GroupId": "g", "MemberList": [
                {"Member_Account": "tommy", "UnreadMsgNum": 2},
                {"Member_Account": "jared", "UnreadMsgNum": 0},
                {"Member_Account": "bob", "UnreadMsgNum": 99},
                {"Member_Account": "peter", "UnreadMsgNum": 1}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let m = members(&emu, "g").await;
    assert_eq!(m["tommy"]["MsgSeq"], 3);
    assert_eq!(m["jared"]["MsgSeq"], 5);
    assert_eq!(m["bob"]["MsgSeq"], 0, "capped at the five messages");
    assert_eq!(
        m["peter"]["MsgSeq"], 3,
        "peter's own message 5 does not count for him"
    );
}

#[tokio::test]
async fn import_group_member_unread_msg_num_has_no_effect_in_a_chatroom() {
    let emu = emu().await;
    group(&emu, "c", "ChatRoom", &[]).await;
    imported(&emu, "c", texts("leckie", NOW - 100, 4)).await;
    let v = emu
        .call(
            IMPORT_MEMBERS,
            json!({"GroupId": "c", "MemberList": [
                {"Member_Account": "tommy", "UnreadMsgNum": 1},
                {"Member_Account": "jared"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let m = members(&emu, "c").await;
    assert_eq!(
        m["tommy"]["MsgSeq"], m["jared"]["MsgSeq"],
        "as if not given"
    );
}
