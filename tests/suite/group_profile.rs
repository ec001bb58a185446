//! The profile commands of spec §14–§16: modify_group_base_info, modify_group_member_info and
//! change_group_owner. Every rule on both sides of its boundary (UTF-8 bytes, CJK included),
//! every code, the order of checks in pairs, "a rejected request changes nothing" (read back
//! through get_group_info), the after-callbacks against a real receiver on loopback, and
//! concurrent ownership changes.
//!
//! The emulator's clock is frozen, so `LastInfoTime` and `MuteUntil` are asserted exactly.

use crate::common;

use std::collections::HashMap;

use common::receiver::{Receiver, allow, assert_keys_in_order};
use common::{APP, Emu, code, info};
use serde_json::{Value, json};
use tim_emulator::apps::{AppPolicy, Apps, CallbackConfig, FieldPerm, FieldPolicy, Limits};
use tim_emulator::{Clock, Settings};

const T0: u64 = 1_700_000_000;
const BASE: &str = "group_open_http_svc/modify_group_base_info";
const MEMBER: &str = "group_open_http_svc/modify_group_member_info";
const OWNER: &str = "group_open_http_svc/change_group_owner";
const INFO_CHANGED: &str = "Group.CallbackAfterGroupInfoChanged";
const FIELD_CHANGED: &str = "Group.CallbackAfterMemberFieldChanged";
const OWNER_CHANGED: &str = "Group.CallbackAfterChangeGroupOwner";
const MAX_MUTE: u64 = 4_294_967_295;

/// `n` CJK characters: 3 UTF-8 bytes each.
fn cjk(n: usize) -> String {
    "群".repeat(n)
}

// ---- the environment ----

struct Env {
    emu: Emu,
    clock: Clock,
}

/// A permissive app (any custom key, no sensitive words), like zero-config.
fn open_policy() -> AppPolicy {
    AppPolicy::zero_config(Limits::UNLIMITED)
}

fn perm(writable: bool) -> FieldPerm {
    FieldPerm {
        writable,
        self_writable: true,
    }
}

/// A configured app: custom keys `Open` (writable) and `Locked` (not writable) for groups,
/// `MemberOpen` and `MemberLocked` for members; the sensitive word `forbidden-word`.
fn strict_policy() -> AppPolicy {
    let mut p = open_policy();
    p.sensitive_words = vec!["forbidden-word".into()];
    p.group_fields = FieldPolicy::Only(HashMap::from([
        ("Open".to_string(), perm(true)),
        ("Locked".to_string(), perm(false)),
    ]));
    p.member_fields = FieldPolicy::Only(HashMap::from([
        ("MemberOpen".to_string(), perm(true)),
        ("MemberLocked".to_string(), perm(false)),
    ]));
    p
}

/// The app sends the three after-events of these commands to `url`.
fn with_callbacks(mut p: AppPolicy, url: &str) -> AppPolicy {
    p.callback = Some(CallbackConfig {
        url: url.to_string(),
        events: [INFO_CHANGED, FIELD_CHANGED, OWNER_CHANGED]
            .map(String::from)
            .to_vec(),
        token: None,
        timeout_ms: 2000,
        fail_closed: false,
        block_send_on_failure: false,
    });
    p
}

async fn start_with(policy: AppPolicy) -> Env {
    let clock = Clock::frozen_at(T0 * 1000);
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.clock = clock.clone();
    s.apps = Apps::configured(HashMap::from([(APP, policy)]), Limits::UNLIMITED);
    let emu = Emu::start_with(s).await;
    emu.import(&["leckie", "bob", "peter", "carol"]).await;
    Env { emu, clock }
}

async fn start() -> Env {
    start_with(open_policy()).await
}

impl Env {
    /// Creates `id` of type `t`, owned by leckie, with `members`.
    async fn group(&self, id: &str, t: &str, members: &[&str]) {
        let list: Vec<Value> = members
            .iter()
            .map(|m| json!({"Member_Account": m}))
            .collect();
        let mut body =
            json!({"Owner_Account": "leckie", "Type": t, "GroupId": id, "Name": "TestGroup"});
        if !list.is_empty() {
            body["MemberList"] = json!(list);
        }
        let v = self.emu.create_group(body).await;
        assert_eq!(code(&v), 0, "{v}");
    }

    async fn call(&self, path: &str, body: Value) -> Value {
        self.emu.call(path, body).await
    }

    async fn info(&self, id: &str) -> Value {
        let g = self.emu.group_info(id).await;
        assert_eq!(code(&g), 0, "{g}");
        g
    }

    /// The member entry of `account` in get_group_member_info.
    async fn member_of(&self, id: &str, account: &str) -> Value {
        let v = self
            .call(
                "group_open_http_svc/get_group_member_info",
                json!({"GroupId": id}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
        v["MemberList"]
            .as_array()
            .and_then(|l| l.iter().find(|m| m["Member_Account"] == account))
            .cloned()
            .unwrap_or_else(|| panic!("{account} is not listed: {v}"))
    }

    /// Each member's account and role, in list order.
    async fn roles(&self, id: &str) -> Vec<(String, String)> {
        let g = self.info(id).await;
        g["MemberList"]
            .as_array()
            .expect("MemberList")
            .iter()
            .map(|m| {
                let s = |k: &str| m[k].as_str().expect("string").to_string();
                (s("Member_Account"), s("Role"))
            })
            .collect()
    }

    /// Moves the frozen clock on by `secs`.
    fn later(&self, secs: i64) {
        self.clock.advance(secs * 1000);
    }

    /// Sends `body` to `path`, expects `want`, and checks the group `id` reads exactly as before.
    async fn rejected(&self, path: &str, id: &str, body: Value, want: i64) -> Value {
        let before = self.info(id).await;
        let v = self.call(path, body.clone()).await;
        assert_eq!(code(&v), want, "{body} -> {v}");
        assert_eq!(self.info(id).await, before, "{body} changed the group");
        v
    }
}

// ---- a loopback app backend ----

/// The raw bodies of the first `n` callbacks, once they arrived.
async fn bodies(backend: &Receiver, n: usize) -> Vec<String> {
    backend
        .wait_count(n)
        .await
        .into_iter()
        .map(|g| g.raw)
        .collect()
}

/// Waits for the only callback expected so far; asserts it is the only one and that its query
/// names the same command as its body.
async fn only(backend: &Receiver) -> (String, Value) {
    let got = backend.wait_count(1).await;
    assert_eq!(
        got.len(),
        1,
        "exactly one callback: {:?}",
        backend.commands()
    );
    assert_eq!(got[0].command(), got[0].body["CallbackCommand"]);
    (got[0].raw.clone(), got[0].body.clone())
}

// ======================= modify_group_base_info (spec §14) =======================

#[tokio::test]
async fn modify_base_info_writes_every_field_and_moves_info_seq_once() {
    let e = start().await;
    e.group("g", "Public", &["bob"]).await;
    e.later(100);
    let v = e
        .call(
            BASE,
            json!({"GroupId": "g", "Name": "新名字", "Introduction": "intro", "Notification": "note",
                "FaceUrl": "http://face/1.png", "MaxMemberNum": 500, "ApplyJoinOption": "DisableApply",
                "InviteJoinOption": "NeedPermission", "MuteAllMember": "On",
                "AppDefinedData": [{"Key": "Color", "Value": "红"}]}),
        )
        .await;
    assert_eq!(
        v,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
    );
    let g = e.info("g").await;
    assert_eq!(g["Name"], "新名字");
    assert_eq!(g["Introduction"], "intro");
    assert_eq!(g["Notification"], "note");
    assert_eq!(g["FaceUrl"], "http://face/1.png");
    assert_eq!(g["MaxMemberNum"], 500);
    assert_eq!(g["ApplyJoinOption"], "DisableApply");
    assert_eq!(g["InviteJoinOption"], "NeedPermission");
    assert_eq!(
        (&g["MuteAllMember"], &g["ShutUpAllMember"]),
        (&json!("On"), &json!("On"))
    );
    assert_eq!(
        g["AppDefinedData"],
        json!([{"Key": "Color", "Value": "红"}])
    );
    assert_eq!(
        (&g["InfoSeq"], &g["LastInfoTime"]),
        (&json!(2), &json!(T0 + 100))
    );
    assert_eq!((&g["CreateTime"], &g["MemberNum"]), (&json!(T0), &json!(2)));
}

#[tokio::test]
async fn modify_base_info_text_limits_count_utf8_bytes_on_both_sides() {
    let e = start().await;
    e.group("g", "Public", &[]).await;
    let table: Vec<(&str, String, i64)> = vec![
        ("Name", "n".repeat(30), 0),
        ("Name", "n".repeat(31), 10004),
        ("Name", cjk(10), 0),
        ("Name", format!("{}a", cjk(10)), 10004),
        ("Name", String::new(), 10004),
        ("Introduction", "i".repeat(240), 0),
        ("Introduction", "i".repeat(241), 10004),
        ("Introduction", cjk(80), 0),
        ("Introduction", format!("{}a", cjk(80)), 10004),
        ("Introduction", String::new(), 0),
        ("Notification", "n".repeat(300), 0),
        ("Notification", "n".repeat(301), 10004),
        ("Notification", cjk(100), 0),
        ("Notification", format!("{}a", cjk(100)), 10004),
        ("FaceUrl", "f".repeat(100), 0),
        ("FaceUrl", "f".repeat(101), 10004),
        ("FaceUrl", format!("{}a", cjk(33)), 0),
        ("FaceUrl", format!("{}ab", cjk(33)), 10004),
        ("FaceUrl", String::new(), 0),
    ];
    for (field, value, want) in table {
        let body = json!({"GroupId": "g", field: value});
        if want == 0 {
            let v = e.call(BASE, body).await;
            assert_eq!(code(&v), 0, "{field} of {} bytes: {v}", value.len());
            assert_eq!(e.info("g").await[field], value.as_str());
        } else {
            let v = e.rejected(BASE, "g", body, want).await;
            assert!(info(&v).contains(field), "{v}");
        }
    }
}

#[tokio::test]
async fn modify_base_info_refuses_each_bad_value_with_10004_and_changes_nothing() {
    let e = start().await;
    e.group("g", "Public", &["bob"]).await;
    e.group("p", "Private", &[]).await;
    e.group("c", "ChatRoom", &[]).await;
    let long_key = "k".repeat(17);
    let table = [
        ("g", json!({"Name": 5})),
        ("g", json!({"Introduction": ["x"]})),
        ("g", json!({"MaxMemberNum": 0})),
        ("g", json!({"MaxMemberNum": -1})),
        ("g", json!({"MaxMemberNum": "100"})),
        ("g", json!({"MaxMemberNum": 2.5})),
        ("g", json!({"MaxMemberNum": 2001})),
        ("p", json!({"MaxMemberNum": 201})),
        ("c", json!({"MaxMemberNum": 10001})),
        ("g", json!({"ApplyJoinOption": "freeaccess"})),
        ("g", json!({"ApplyJoinOption": "DisableInvite"})),
        ("g", json!({"InviteJoinOption": "DisableApply"})),
        ("g", json!({"MuteAllMember": "on"})),
        ("g", json!({"MuteAllMember": true})),
        ("g", json!({"ShutUpAllMember": "Yes"})),
        ("g", json!({"HistoryMsgBeforeJoin": "Yes"})),
        ("g", json!({"EnablePermission": "1"})),
        ("g", json!({"DefaultPermission": 1.5})),
        ("g", json!({"AppDefinedData": {"Key": "a", "Value": "b"}})),
        (
            "g",
            json!({"AppDefinedData": [{"Key": long_key, "Value": "v"}]}),
        ),
        ("g", json!({"AppDefinedData": [{"Key": "", "Value": "v"}]})),
        ("g", json!({"AppDefinedData": [{"Key": "k"}]})),
        (
            "g",
            json!({"AppDefinedData": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}),
        ),
        ("g", json!({"From_Account": "nobody"})),
        ("g", json!({"Name": "ok", "From_Account": "nobody"})),
    ];
    for (id, mut body) in table {
        body["GroupId"] = json!(id);
        e.rejected(BASE, id, body, 10004).await;
    }
}

#[tokio::test]
async fn max_member_num_takes_each_types_cap_and_may_go_below_the_member_count() {
    let e = start().await;
    for (id, t, cap) in [
        ("p", "Private", 200),
        ("g", "Public", 2000),
        ("c", "ChatRoom", 10000),
    ] {
        e.group(id, t, &["bob", "peter"]).await;
        for n in [cap, 1] {
            let v = e
                .call(BASE, json!({"GroupId": id, "MaxMemberNum": n}))
                .await;
            assert_eq!(code(&v), 0, "{t} {n}: {v}");
            let g = e.info(id).await;
            assert_eq!(
                (&g["MaxMemberNum"], &g["MemberNum"]),
                (&json!(n), &json!(3))
            );
        }
    }
}

#[tokio::test]
async fn huge_groups_ignore_max_member_num_and_invite_join_option_but_take_the_rest() {
    let e = start().await;
    for (id, t) in [("av", "AVChatRoom"), ("b", "BChatRoom")] {
        e.group(id, t, &[]).await;
        let before = e.info(id).await;
        let v = e
            .call(
                BASE,
                json!({"GroupId": id, "MaxMemberNum": 99_999_999_999_i64, "InviteJoinOption": "FreeAccess"}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
        assert_eq!(
            e.info(id).await,
            before,
            "{t}: ignored fields change nothing"
        );
        let v = e
            .call(
                BASE,
                json!({"GroupId": id, "Name": "live", "MuteAllMember": "On"}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
        let g = e.info(id).await;
        assert_eq!(
            (&g["Name"], &g["MuteAllMember"]),
            (&json!("live"), &json!("On"))
        );
        assert_eq!(g["InfoSeq"], 2);
        assert!(g.get("InviteJoinOption").is_none(), "{g}");
    }
}

#[tokio::test]
async fn a_request_with_nothing_to_change_answers_ok_and_changes_nothing() {
    let e = start().await;
    e.group("g", "Public", &[]).await;
    let v = e
        .call(
            BASE,
            json!({"GroupId": "g", "Name": "x", "Introduction": "i", "MaxMemberNum": 300,
                "ApplyJoinOption": "FreeAccess", "InviteJoinOption": "FreeAccess",
                "MuteAllMember": "On", "AppDefinedData": [{"Key": "k", "Value": "v"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let before = e.info("g").await;
    e.later(60);
    let same = json!({"GroupId": "g", "Name": "x", "Introduction": "i", "MaxMemberNum": 300,
        "ApplyJoinOption": "FreeAccess", "InviteJoinOption": "FreeAccess",
        "ShutUpAllMember": "On", "AppDefinedData": [{"Key": "k", "Value": "v"}, {"Key": "gone", "Value": ""}]});
    let bodies = [
        json!({"GroupId": "g"}),
        json!({"GroupId": "g", "Name": null, "Introduction": null, "MaxMemberNum": null,
            "MuteAllMember": null, "AppDefinedData": null, "From_Account": null}),
        json!({"GroupId": "g", "AppDefinedData": []}),
        json!({"GroupId": "g", "HistoryMsgBeforeJoin": "On", "EnablePermission": 1, "DefaultPermission": 0}),
        json!({"GroupId": "g", "Unknown": 1}),
        same,
    ];
    for body in bodies {
        let v = e.call(BASE, body.clone()).await;
        assert_eq!(code(&v), 0, "{body}: {v}");
        assert_eq!(e.info("g").await, before, "{body}");
    }
}

#[tokio::test]
async fn setting_the_types_default_invite_option_explicitly_is_no_change() {
    let e = start().await;
    e.group("p", "Private", &[]).await;
    e.group("g", "Public", &[]).await;
    for (id, default) in [("p", "FreeAccess"), ("g", "DisableInvite")] {
        let v = e
            .call(BASE, json!({"GroupId": id, "InviteJoinOption": default}))
            .await;
        assert_eq!(code(&v), 0, "{v}");
        let g = e.info(id).await;
        assert_eq!(
            (&g["InviteJoinOption"], &g["InfoSeq"]),
            (&json!(default), &json!(1))
        );
    }
}

#[tokio::test]
async fn mute_all_member_takes_the_legacy_name_and_the_current_name_wins() {
    let e = start().await;
    e.group("g", "Public", &[]).await;
    let mute = |v: &Value| (v["MuteAllMember"].clone(), v["ShutUpAllMember"].clone());
    let table = [
        (json!({"ShutUpAllMember": "On"}), "On"),
        (
            json!({"MuteAllMember": "Off", "ShutUpAllMember": "On"}),
            "Off",
        ),
        (
            json!({"MuteAllMember": "On", "ShutUpAllMember": "not even valid"}),
            "On",
        ),
        (json!({"ShutUpAllMember": "Off"}), "Off"),
    ];
    for (mut body, want) in table {
        body["GroupId"] = json!("g");
        let v = e.call(BASE, body.clone()).await;
        assert_eq!(code(&v), 0, "{body}: {v}");
        assert_eq!(
            mute(&e.info("g").await),
            (json!(want), json!(want)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn app_defined_data_sets_replaces_deletes_and_keeps_binary_values() {
    let e = start().await;
    let v = e
        .emu
        .create_group(json!({"Type": "Public", "GroupId": "g", "Name": "n",
            "AppDefinedData": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = e
        .call(
            BASE,
            json!({"GroupId": "g", "AppDefinedData": [
                {"Key": "a", "Value": "x\u{0}\u{1}"}, {"Key": "b", "Value": ""}, {"Key": "c", "Value": "3"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let g = e.info("g").await;
    assert_eq!(
        g["AppDefinedData"],
        json!([{"Key": "a", "Value": "x\u{0}\u{1}"}, {"Key": "c", "Value": "3"}])
    );
    assert_eq!(g["InfoSeq"], 2);
}

#[tokio::test]
async fn app_defined_data_keys_and_values_count_bytes_on_both_sides() {
    let e = start().await;
    e.group("g", "Public", &[]).await;
    let kv =
        |k: String, v: String| json!({"GroupId": "g", "AppDefinedData": [{"Key": k, "Value": v}]});
    let table = [
        (kv("k".repeat(16), "v".into()), 0),
        (kv("k".repeat(17), "v".into()), 10004),
        (kv(format!("{}a", cjk(5)), "v".into()), 0),
        (kv(format!("{}ab", cjk(5)), "v".into()), 10004),
        (kv("big".into(), "v".repeat(512)), 0),
        (kv("big".into(), "v".repeat(513)), 10004),
        (kv("cjk".into(), format!("{}ab", cjk(170))), 0),
        (kv("cjk".into(), format!("{}abc", cjk(170))), 10004),
    ];
    for (body, want) in table {
        if want == 0 {
            assert_eq!(code(&e.call(BASE, body.clone()).await), 0, "{body}");
        } else {
            e.rejected(BASE, "g", body, want).await;
        }
    }
}

#[tokio::test]
async fn a_group_holds_at_most_ten_custom_keys() {
    let e = start().await;
    e.group("g", "Public", &[]).await;
    let keys = |r: std::ops::Range<usize>| -> Vec<Value> {
        r.map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
            .collect()
    };
    let v = e
        .call(BASE, json!({"GroupId": "g", "AppDefinedData": keys(0..10)}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = e
        .rejected(
            BASE,
            "g",
            json!({"GroupId": "g", "Name": "also", "AppDefinedData": keys(10..11)}),
            10004,
        )
        .await;
    assert!(info(&v).contains("10"), "{v}");
    let swap = json!({"GroupId": "g", "AppDefinedData": [{"Key": "k0", "Value": ""}, {"Key": "k10", "Value": "v"}]});
    assert_eq!(code(&e.call(BASE, swap).await), 0);
    let g = e.info("g").await;
    assert_eq!(g["AppDefinedData"].as_array().map(Vec::len), Some(10));
    assert_eq!(g["AppDefinedData"][9]["Key"], "k10");
    // Eleven distinct keys in one request on an empty group are refused as well.
    e.group("fresh", "Public", &[]).await;
    e.rejected(
        BASE,
        "fresh",
        json!({"GroupId": "fresh", "AppDefinedData": keys(0..11)}),
        10004,
    )
    .await;
}

#[tokio::test]
async fn a_configured_app_refuses_unknown_keys_with_10004_and_locked_keys_with_10007() {
    let e = start_with(strict_policy()).await;
    e.group("g", "Public", &[]).await;
    let kv = |k: &str| json!({"GroupId": "g", "AppDefinedData": [{"Key": k, "Value": "v"}]});
    assert_eq!(code(&e.call(BASE, kv("Open")).await), 0);
    let v = e.rejected(BASE, "g", kv("Other"), 10004).await;
    assert!(info(&v).contains("Other"), "{v}");
    let v = e.rejected(BASE, "g", kv("Locked"), 10007).await;
    assert!(info(&v).contains("Locked"), "{v}");
    // Deleting a key is a write too.
    e.rejected(
        BASE,
        "g",
        json!({"GroupId": "g", "AppDefinedData": [{"Key": "Locked", "Value": ""}]}),
        10007,
    )
    .await;
}

#[tokio::test]
async fn sensitive_words_in_name_introduction_and_notification_are_80001() {
    let e = start_with(strict_policy()).await;
    e.group("g", "Public", &[]).await;
    for field in ["Name", "Introduction", "Notification"] {
        let v = e
            .rejected(
                BASE,
                "g",
                json!({"GroupId": "g", field: "a Forbidden-Word here"}),
                80001,
            )
            .await;
        assert!(info(&v).contains(field), "{v}");
    }
    let face = json!({"GroupId": "g", "FaceUrl": "http://x/forbidden-word.png"});
    assert_eq!(code(&e.call(BASE, face).await), 0, "FaceUrl is not checked");
}

#[tokio::test]
async fn from_account_must_be_an_imported_account_or_a_string() {
    let e = start().await;
    e.group("g", "Public", &[]).await;
    e.rejected(
        BASE,
        "g",
        json!({"GroupId": "g", "Name": "x", "From_Account": "ghost"}),
        10004,
    )
    .await;
    e.rejected(
        BASE,
        "g",
        json!({"GroupId": "g", "Name": "x", "From_Account": 7}),
        60015,
    )
    .await;
    let v = e
        .call(
            BASE,
            json!({"GroupId": "g", "Name": "x", "From_Account": "peter"}),
        )
        .await;
    assert_eq!(code(&v), 0, "peter need not be a member: {v}");
}

#[tokio::test]
async fn every_command_finds_its_group_as_spec_10_3_says() {
    let e = start().await;
    e.group("g", "Public", &["bob"]).await;
    let table = [
        (json!({}), 10004),
        (json!({"GroupId": null}), 10004),
        (json!({"GroupId": 5}), 10004),
        (json!({"GroupId": ""}), 10015),
        (json!({"GroupId": "g".repeat(50)}), 10015),
        (json!({"GroupId": "bad\u{1}id"}), 10015),
        (json!({"GroupId": "missing"}), 10010),
    ];
    let extra = [
        (BASE, json!({"Name": "x"})),
        (MEMBER, json!({"Member_Account": "bob", "NameCard": "c"})),
        (OWNER, json!({"NewOwner_Account": "bob"})),
    ];
    for (path, fields) in extra {
        for (id, want) in &table {
            let mut body = fields.clone();
            if let Some(gid) = id.get("GroupId") {
                body["GroupId"] = gid.clone();
            }
            let v = e.call(path, body.clone()).await;
            assert_eq!(code(&v), *want, "{path} {body}: {v}");
        }
        let body = json!({"GroupId": "g"});
        let v = e.emu.call_as(APP, "bob", path, body).await;
        assert_eq!(code(&v), 10007, "a caller who is not an admin: {v}");
    }
    assert_eq!(e.info("g").await["InfoSeq"], 1);
}

#[tokio::test]
async fn modify_base_info_checks_in_the_order_of_spec_14_2() {
    let e = start_with(strict_policy()).await;
    e.group("g", "Public", &[]).await;
    let locked = json!([{"Key": "Locked", "Value": "v"}]);
    let table = [
        // (body, code, a word the ErrorInfo names)
        // Shape before the GroupId's form (spec §10.4), then the form before the lookup.
        (json!({"GroupId": "", "Name": ""}), 10004, "Name"),
        (json!({"GroupId": "", "Name": "n"}), 10015, "GroupId"),
        (json!({"GroupId": "missing", "Name": ""}), 10004, "Name"),
        (
            json!({"GroupId": "g", "Name": "", "Introduction": "i".repeat(241)}),
            10004,
            "Name",
        ),
        (
            json!({"GroupId": "g", "FaceUrl": "f".repeat(101), "MaxMemberNum": 0}),
            10004,
            "FaceUrl",
        ),
        (
            json!({"GroupId": "g", "MaxMemberNum": 0, "AppDefinedData": locked}),
            10004,
            "MaxMemberNum",
        ),
        (
            json!({"GroupId": "missing", "MaxMemberNum": 5000}),
            10010,
            "missing",
        ),
        (
            json!({"GroupId": "g", "MaxMemberNum": 5000, "AppDefinedData": locked}),
            10004,
            "MaxMemberNum",
        ),
        (
            json!({"GroupId": "g", "AppDefinedData": locked, "From_Account": "ghost"}),
            10007,
            "Locked",
        ),
        (
            json!({"GroupId": "g", "AppDefinedData": [{"Key": "Nope", "Value": "v"}], "Name": "forbidden-word"}),
            10004,
            "Nope",
        ),
        (
            json!({"GroupId": "g", "From_Account": "ghost", "Name": "forbidden-word"}),
            10004,
            "From_Account",
        ),
        (
            json!({"GroupId": "g", "Name": "forbidden-word", "Introduction": "i".repeat(241)}),
            10004,
            "Introduction",
        ),
        (
            json!({"GroupId": "missing", "Name": "forbidden-word"}),
            10010,
            "missing",
        ),
    ];
    for (body, want, word) in table {
        let v = e.call(BASE, body.clone()).await;
        assert_eq!(code(&v), want, "{body}: {v}");
        assert!(info(&v).contains(word), "{body}: {v}");
    }
    assert_eq!(e.info("g").await["InfoSeq"], 1);
}

#[tokio::test]
async fn the_key_limit_comes_after_the_custom_field_configuration() {
    let mut p = strict_policy();
    let keys: HashMap<String, FieldPerm> = (0..11)
        .map(|i| (format!("k{i}"), perm(true)))
        .chain([("Locked".to_string(), perm(false))])
        .collect();
    p.group_fields = FieldPolicy::Only(keys);
    let e = start_with(p).await;
    e.group("g", "Public", &[]).await;
    let mut items: Vec<Value> = (0..11)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let v = e
        .rejected(
            BASE,
            "g",
            json!({"GroupId": "g", "AppDefinedData": items.clone()}),
            10004,
        )
        .await;
    assert!(info(&v).contains("at most 10"), "{v}");
    items.push(json!({"Key": "Locked", "Value": "v"}));
    let body = json!({"GroupId": "g", "AppDefinedData": items, "From_Account": "ghost"});
    e.rejected(BASE, "g", body, 10007).await;
    let items: Vec<Value> = (0..11)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let body = json!({"GroupId": "g", "AppDefinedData": items, "From_Account": "ghost"});
    let v = e.rejected(BASE, "g", body, 10004).await;
    assert!(
        info(&v).contains("AppDefinedData"),
        "key limit before From_Account: {v}"
    );
}

#[tokio::test]
async fn info_changed_callback_carries_only_the_changed_profile_fields() {
    let rx = Receiver::start(allow()).await;
    let e = start_with(with_callbacks(open_policy(), &rx.url)).await;
    e.group("g", "Public", &[]).await;
    let v = e
        .call(
            BASE,
            json!({"GroupId": "g", "Name": "TestGroup", "Introduction": "新的介绍", "FaceUrl": "http://f",
                "MaxMemberNum": 10, "MuteAllMember": "On"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let (raw, body) = only(&rx).await;
    assert_keys_in_order(
        &raw,
        &[
            "CallbackCommand",
            "GroupId",
            "Type",
            "Operator_Account",
            "Introduction",
            "FaceUrl",
            "EventTime",
        ],
    );
    assert_eq!(
        body,
        json!({"CallbackCommand": INFO_CHANGED, "GroupId": "g", "Type": "Public",
            "Operator_Account": "admin", "Introduction": "新的介绍", "FaceUrl": "http://f",
            "EventTime": T0 * 1000})
    );
}

#[tokio::test]
async fn info_changed_callback_names_from_account_as_the_operator() {
    let rx = Receiver::start(allow()).await;
    let e = start_with(with_callbacks(open_policy(), &rx.url)).await;
    e.group("g", "ChatRoom", &[]).await;
    let body = json!({"GroupId": "g", "Name": "n2", "Notification": "", "From_Account": "peter"});
    assert_eq!(code(&e.call(BASE, body).await), 0);
    let (_, body) = only(&rx).await;
    assert_eq!(body["Operator_Account"], "peter");
    assert_eq!(
        (&body["Name"], &body["Type"]),
        (&json!("n2"), &json!("ChatRoom"))
    );
    assert!(body.get("Notification").is_none(), "unchanged: {body}");
}

#[tokio::test]
async fn other_fields_unchanged_values_and_rejected_requests_send_no_info_callback() {
    let rx = Receiver::start(allow()).await;
    let e = start_with(with_callbacks(open_policy(), &rx.url)).await;
    e.group("g", "Public", &[]).await;
    let quiet = [
        json!({"GroupId": "g", "MaxMemberNum": 50, "ApplyJoinOption": "FreeAccess",
            "InviteJoinOption": "NeedPermission", "MuteAllMember": "On",
            "AppDefinedData": [{"Key": "k", "Value": "v"}], "HistoryMsgBeforeJoin": "On"}),
        json!({"GroupId": "g", "Name": "TestGroup", "Introduction": "", "FaceUrl": ""}),
        json!({"GroupId": "g", "Name": "changed", "MaxMemberNum": 2001}),
    ];
    for body in quiet {
        e.call(BASE, body).await;
    }
    let sentinel = json!({"GroupId": "g", "Notification": "sentinel"});
    assert_eq!(code(&e.call(BASE, sentinel).await), 0);
    let (_, body) = only(&rx).await;
    assert_eq!(body["Notification"], "sentinel");
    assert!(body.get("Name").is_none(), "{body}");
}

// ======================= modify_group_member_info (spec §15) =======================

#[tokio::test]
async fn modify_member_sets_each_field_and_leaves_group_times_alone() {
    let e = start().await;
    e.group("g", "Public", &["bob", "peter"]).await;
    e.later(100);
    let v = e
        .call(
            MEMBER,
            json!({"GroupId": "g", "Member_Account": "bob", "Role": "Admin", "MsgFlag": "Discard",
                "NameCard": "鲍勃", "AppMemberDefinedData": [{"Key": "Level", "Value": "3"}], "MuteTime": 60}),
        )
        .await;
    assert_eq!(
        v,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
    );
    let m = e.member_of("g", "bob").await;
    assert_eq!(m["Role"], "Admin");
    assert_eq!(m["MsgFlag"], "Discard");
    assert_eq!(m["NameCard"], "鲍勃");
    assert_eq!(
        m["AppMemberDefinedData"],
        json!([{"Key": "Level", "Value": "3"}])
    );
    assert_eq!(
        (&m["MuteUntil"], &m["ShutUpUntil"]),
        (&json!(T0 + 160), &json!(T0 + 160))
    );
    let g = e.info("g").await;
    assert_eq!((&g["InfoSeq"], &g["LastInfoTime"]), (&json!(1), &json!(T0)));
    let order: Vec<String> = e.roles("g").await.into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        order,
        ["leckie", "bob", "peter"],
        "the member list order stays"
    );
    let v = e
        .call(
            MEMBER,
            json!({"GroupId": "g", "Member_Account": "bob", "Role": "Member", "NameCard": ""}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let m = e.member_of("g", "bob").await;
    assert_eq!((&m["Role"], &m["NameCard"]), (&json!("Member"), &json!("")));
}

#[tokio::test]
async fn name_card_counts_utf8_bytes_on_both_sides() {
    let e = start().await;
    e.group("g", "Public", &["bob"]).await;
    let table = [
        ("c".repeat(50), 0),
        ("c".repeat(51), 10004),
        (format!("{}ab", cjk(16)), 0),
        (cjk(17), 10004),
        (String::new(), 0),
    ];
    for (card, want) in table {
        let body = json!({"GroupId": "g", "Member_Account": "bob", "NameCard": card});
        if want == 0 {
            assert_eq!(code(&e.call(MEMBER, body).await), 0, "{} bytes", card.len());
            assert_eq!(e.member_of("g", "bob").await["NameCard"], card.as_str());
        } else {
            let v = e.rejected(MEMBER, "g", body, want).await;
            assert!(info(&v).contains("NameCard"), "{v}");
        }
    }
}

#[tokio::test]
async fn member_custom_data_holds_64_byte_values_and_five_keys() {
    let e = start().await;
    e.group("g", "Public", &["bob"]).await;
    let kv = |k: &str, v: String| json!({"GroupId": "g", "Member_Account": "bob", "AppMemberDefinedData": [{"Key": k, "Value": v}]});
    let table = [
        (kv("a", "v".repeat(64)), 0),
        (kv("a", "v".repeat(65)), 10004),
        (kv("a", format!("{}a", cjk(21))), 0),
        (kv("a", format!("{}ab", cjk(21))), 10004),
        (kv(&"k".repeat(16), "v".into()), 0),
        (kv(&"k".repeat(17), "v".into()), 10004),
    ];
    for (body, want) in table {
        if want == 0 {
            assert_eq!(code(&e.call(MEMBER, body.clone()).await), 0, "{body}");
        } else {
            e.rejected(MEMBER, "g", body, want).await;
        }
    }
    // Two keys so far; three more make five, a sixth is refused, a swap is fine.
    let three: Vec<Value> = (0..3)
        .map(|i| json!({"Key": format!("m{i}"), "Value": "v"}))
        .collect();
    let body = json!({"GroupId": "g", "Member_Account": "bob", "AppMemberDefinedData": three});
    assert_eq!(code(&e.call(MEMBER, body).await), 0);
    let sixth = json!({"GroupId": "g", "Member_Account": "bob", "NameCard": "x",
        "AppMemberDefinedData": [{"Key": "m9", "Value": "v"}]});
    let v = e.rejected(MEMBER, "g", sixth, 10004).await;
    assert!(info(&v).contains("at most 5"), "{v}");
    let swap = json!({"GroupId": "g", "Member_Account": "bob",
        "AppMemberDefinedData": [{"Key": "a", "Value": ""}, {"Key": "m9", "Value": "v"}]});
    assert_eq!(code(&e.call(MEMBER, swap).await), 0);
    let m = e.member_of("g", "bob").await;
    let keys: Vec<&str> = m["AppMemberDefinedData"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|kv| kv["Key"].as_str())
        .collect();
    assert_eq!(keys, ["kkkkkkkkkkkkkkkk", "m0", "m1", "m2", "m9"]);
}

#[tokio::test]
async fn mute_time_runs_from_now_zero_unmutes_and_the_largest_value_is_for_ever() {
    let e = start().await;
    e.group("g", "Public", &["bob"]).await;
    let env = &e;
    let mute = |body: Value| async move {
        let v = env.call(MEMBER, body).await;
        assert_eq!(code(&v), 0, "{v}");
        env.member_of("g", "bob").await["MuteUntil"].clone()
    };
    let at = |key: &str, n: u64| json!({"GroupId": "g", "Member_Account": "bob", key: n});
    assert_eq!(mute(at("MuteTime", 86400)).await, json!(T0 + 86400));
    assert_eq!(mute(at("MuteTime", 0)).await, json!(0));
    assert_eq!(
        mute(at("ShutUpTime", 30)).await,
        json!(T0 + 30),
        "legacy name"
    );
    assert_eq!(
        mute(at("MuteTime", MAX_MUTE)).await,
        json!(MAX_MUTE),
        "for ever"
    );
    assert_eq!(
        mute(at("MuteTime", MAX_MUTE - 1)).await,
        json!(MAX_MUTE),
        "capped"
    );
    let both = json!({"GroupId": "g", "Member_Account": "bob", "MuteTime": 10, "ShutUpTime": 20});
    assert_eq!(mute(both).await, json!(T0 + 10), "the current name wins");
    e.later(11);
    assert_eq!(e.member_of("g", "bob").await["MuteUntil"], 0, "expired");
    let table = [
        json!({"MuteTime": -1}),
        json!({"MuteTime": MAX_MUTE + 1}),
        json!({"ShutUpTime": MAX_MUTE + 1}),
        json!({"MuteTime": "60"}),
        json!({"MuteTime": 1.5}),
    ];
    for mut body in table {
        body["GroupId"] = json!("g");
        body["Member_Account"] = json!("bob");
        e.rejected(MEMBER, "g", body, 10004).await;
    }
}

#[tokio::test]
async fn modify_member_answers_each_code_and_changes_nothing_when_it_refuses() {
    let e = start_with(strict_policy()).await;
    e.group("g", "Public", &["bob"]).await;
    e.group("p", "Private", &["bob"]).await;
    e.group("av", "AVChatRoom", &[]).await;
    e.group("b", "BChatRoom", &[]).await;
    let table = [
        ("g", json!({}), 10004, "Member_Account"),
        ("g", json!({"Member_Account": ""}), 10004, "Member_Account"),
        ("g", json!({"Member_Account": 5}), 60015, "Member_Account"),
        (
            "g",
            json!({"Member_Account": "peter", "NameCard": "x"}),
            10004,
            "peter",
        ),
        ("g", json!({"Member_Account": "ghost"}), 10004, "ghost"),
        (
            "g",
            json!({"Member_Account": "bob", "Role": "Owner"}),
            10004,
            "Role",
        ),
        (
            "g",
            json!({"Member_Account": "bob", "Role": "admin"}),
            10004,
            "Role",
        ),
        (
            "g",
            json!({"Member_Account": "leckie", "Role": "Admin"}),
            10004,
            "owner",
        ),
        (
            "g",
            json!({"Member_Account": "leckie", "Role": "Member"}),
            10004,
            "owner",
        ),
        (
            "g",
            json!({"Member_Account": "bob", "MsgFlag": "Mute"}),
            10004,
            "MsgFlag",
        ),
        (
            "p",
            json!({"Member_Account": "bob", "Role": "Admin"}),
            10004,
            "Private",
        ),
        (
            "p",
            json!({"Member_Account": "bob", "MuteTime": 60}),
            10007,
            "Private",
        ),
        (
            "p",
            json!({"Member_Account": "bob", "ShutUpTime": 0}),
            10007,
            "Private",
        ),
        (
            "av",
            json!({"Member_Account": "leckie", "NameCard": "x"}),
            10007,
            "AVChatRoom",
        ),
        (
            "b",
            json!({"Member_Account": "leckie", "NameCard": "x"}),
            10007,
            "BChatRoom",
        ),
        (
            "g",
            json!({"Member_Account": "bob", "AppMemberDefinedData": [{"Key": "Other", "Value": "v"}]}),
            10004,
            "Other",
        ),
        (
            "g",
            json!({"Member_Account": "bob", "AppMemberDefinedData": [{"Key": "MemberLocked", "Value": "v"}]}),
            10007,
            "MemberLocked",
        ),
    ];
    for (id, mut body, want, word) in table {
        body["GroupId"] = json!(id);
        let v = e.rejected(MEMBER, id, body.clone(), want).await;
        assert!(info(&v).contains(word), "{body}: {v}");
    }
    let ok = json!({"GroupId": "p", "Member_Account": "bob", "Role": "Member", "NameCard": "工", "MsgFlag": "AcceptNotNotify"});
    assert_eq!(
        code(&e.call(MEMBER, ok).await),
        0,
        "Private takes everything but Admin and mutes"
    );
    let owner_card = json!({"GroupId": "g", "Member_Account": "leckie", "NameCard": "boss",
        "AppMemberDefinedData": [{"Key": "MemberOpen", "Value": "v"}]});
    assert_eq!(
        code(&e.call(MEMBER, owner_card).await),
        0,
        "the owner's other fields change"
    );
}

#[tokio::test]
async fn modify_member_checks_in_the_order_of_spec_15_2() {
    let e = start_with(strict_policy()).await;
    e.group("g", "Public", &["bob"]).await;
    e.group("p", "Private", &["bob"]).await;
    e.group("av", "AVChatRoom", &[]).await;
    let unknown_key = json!([{"Key": "Other", "Value": "v"}]);
    let table = [
        (
            json!({"GroupId": "missing", "Member_Account": "bob", "NameCard": "c".repeat(51)}),
            10004,
            "NameCard",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "bob", "Role": "Owner", "NameCard": "c".repeat(51)}),
            10004,
            "Role",
        ),
        (
            json!({"GroupId": "g", "Member_Account": "bob", "NameCard": "c".repeat(51), "MuteTime": -1}),
            10004,
            "NameCard",
        ),
        (
            json!({"GroupId": "missing", "Member_Account": "ghost"}),
            10010,
            "missing",
        ),
        (
            json!({"GroupId": "av", "Member_Account": "ghost"}),
            10007,
            "AVChatRoom",
        ),
        (
            json!({"GroupId": "p", "Member_Account": "peter", "MuteTime": 5}),
            10004,
            "peter",
        ),
        (
            json!({"GroupId": "p", "Member_Account": "leckie", "Role": "Member", "MuteTime": 5}),
            10004,
            "owner",
        ),
        (
            json!({"GroupId": "p", "Member_Account": "bob", "Role": "Admin", "MuteTime": 5}),
            10004,
            "admins",
        ),
        (
            json!({"GroupId": "p", "Member_Account": "bob", "MuteTime": 5, "AppMemberDefinedData": unknown_key}),
            10007,
            "Private",
        ),
    ];
    for (body, want, word) in table {
        let v = e.call(MEMBER, body.clone()).await;
        assert_eq!(code(&v), want, "{body}: {v}");
        assert!(info(&v).contains(word), "{body}: {v}");
    }
}

#[tokio::test]
async fn member_field_callback_fires_for_role_and_name_card_changes_only() {
    let rx = Receiver::start(allow()).await;
    let e = start_with(with_callbacks(open_policy(), &rx.url)).await;
    e.group("g", "Public", &["bob"]).await;
    let quiet = [
        json!({"MsgFlag": "Discard", "MuteTime": 60, "AppMemberDefinedData": [{"Key": "k", "Value": "v"}]}),
        json!({"Role": "Member", "NameCard": ""}),
        json!({"Role": "Admin", "MuteTime": -1}),
    ];
    for mut body in quiet {
        body["GroupId"] = json!("g");
        body["Member_Account"] = json!("bob");
        e.call(MEMBER, body).await;
    }
    let body = json!({"GroupId": "g", "Member_Account": "bob", "Role": "Admin", "NameCard": "", "MsgFlag": "AcceptNotNotify"});
    assert_eq!(code(&e.call(MEMBER, body).await), 0);
    let (raw, body) = only(&rx).await;
    assert_keys_in_order(
        &raw,
        &[
            "CallbackCommand",
            "GroupId",
            "Type",
            "Operator_Account",
            "Modified_Account",
            "Member_Account",
            "Role",
            "EventTime",
        ],
    );
    assert_eq!(
        body,
        json!({"CallbackCommand": FIELD_CHANGED, "GroupId": "g", "Type": "Public",
            "Operator_Account": "admin", "Modified_Account": "bob", "Member_Account": "bob",
            "Role": "Admin", "EventTime": T0 * 1000})
    );
    let card =
        json!({"GroupId": "g", "Member_Account": "bob", "Role": "Admin", "NameCard": "卡片"});
    assert_eq!(code(&e.call(MEMBER, card).await), 0);
    let raw = bodies(&rx, 2).await;
    let second: Value = serde_json::from_str(&raw[1]).expect("JSON");
    assert_eq!(second["NameCard"], "卡片");
    assert!(
        second.get("Role").is_none(),
        "the role did not change: {second}"
    );
}

// ======================= change_group_owner (spec §16) =======================

#[tokio::test]
async fn change_owner_hands_over_and_the_old_owner_becomes_member() {
    let e = start().await;
    e.group("g", "Public", &["bob", "peter"]).await;
    e.later(100);
    let v = e
        .call(OWNER, json!({"GroupId": "g", "NewOwner_Account": "bob"}))
        .await;
    assert_eq!(
        v,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
    );
    let g = e.info("g").await;
    assert_eq!(g["Owner_Account"], "bob");
    assert_eq!(
        (&g["InfoSeq"], &g["LastInfoTime"], &g["MemberNum"]),
        (&json!(2), &json!(T0 + 100), &json!(3))
    );
    let roles = e.roles("g").await;
    let want = [("leckie", "Member"), ("bob", "Owner"), ("peter", "Member")];
    assert_eq!(roles, want.map(|(a, r)| (a.to_string(), r.to_string())));
}

#[tokio::test]
async fn change_owner_promotes_an_admin_and_ignores_the_current_owner() {
    let e = start().await;
    let v = e
        .emu
        .create_group(
            json!({"Owner_Account": "leckie", "Type": "ChatRoom", "GroupId": "g", "Name": "n",
            "MemberList": [{"Member_Account": "bob", "Role": "Admin"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let before = e.info("g").await;
    let v = e
        .call(OWNER, json!({"GroupId": "g", "NewOwner_Account": "leckie"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        e.info("g").await,
        before,
        "the owner again: nothing changes"
    );
    assert_eq!(
        code(
            &e.call(OWNER, json!({"GroupId": "g", "NewOwner_Account": "bob"}))
                .await
        ),
        0
    );
    let roles = e.roles("g").await;
    assert_eq!(roles[0], ("leckie".into(), "Member".into()));
    assert_eq!(roles[1], ("bob".into(), "Owner".into()));
}

#[tokio::test]
async fn an_ownerless_private_group_gets_an_owner() {
    let e = start().await;
    let v = e
        .emu
        .create_group(json!({"Type": "Private", "GroupId": "w", "Name": "n", "MemberList": [{"Member_Account": "bob"}]}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(e.info("w").await["Owner_Account"], "");
    assert_eq!(
        code(
            &e.call(OWNER, json!({"GroupId": "w", "NewOwner_Account": "bob"}))
                .await
        ),
        0
    );
    let g = e.info("w").await;
    assert_eq!(
        (&g["Owner_Account"], &g["InfoSeq"]),
        (&json!("bob"), &json!(2))
    );
    assert_eq!(
        e.roles("w").await,
        [("bob".to_string(), "Owner".to_string())]
    );
}

#[tokio::test]
async fn change_owner_answers_each_code_and_changes_nothing_when_it_refuses() {
    let e = start().await;
    e.group("g", "Public", &["bob"]).await;
    e.group("av", "AVChatRoom", &[]).await;
    e.group("b", "BChatRoom", &[]).await;
    let table = [
        ("g", json!({}), 10004, "NewOwner_Account"),
        (
            "g",
            json!({"NewOwner_Account": null}),
            10004,
            "NewOwner_Account",
        ),
        (
            "g",
            json!({"NewOwner_Account": ""}),
            10004,
            "NewOwner_Account",
        ),
        (
            "g",
            json!({"NewOwner_Account": 5}),
            60015,
            "NewOwner_Account",
        ),
        ("g", json!({"NewOwner_Account": "peter"}), 10004, "peter"),
        ("g", json!({"NewOwner_Account": "ghost"}), 10004, "ghost"),
        (
            "g",
            json!({"NewOwner_Account": "bob", "From_Account": "ghost"}),
            10004,
            "From_Account",
        ),
        (
            "g",
            json!({"NewOwner_Account": "bob", "From_Account": ["x"]}),
            60015,
            "From_Account",
        ),
        (
            "av",
            json!({"NewOwner_Account": "leckie"}),
            10007,
            "AVChatRoom",
        ),
        (
            "b",
            json!({"NewOwner_Account": "leckie"}),
            10007,
            "BChatRoom",
        ),
    ];
    for (id, mut body, want, word) in table {
        body["GroupId"] = json!(id);
        let v = e.rejected(OWNER, id, body.clone(), want).await;
        assert!(info(&v).contains(word), "{body}: {v}");
    }
}

#[tokio::test]
async fn change_owner_checks_in_the_order_of_spec_16_2() {
    let e = start().await;
    e.group("g", "Public", &["bob"]).await;
    e.group("av", "AVChatRoom", &[]).await;
    let table = [
        (json!({"GroupId": "missing"}), 10004, "NewOwner_Account"),
        (
            json!({"GroupId": "", "NewOwner_Account": ""}),
            10004,
            "NewOwner_Account",
        ),
        (
            json!({"GroupId": "", "NewOwner_Account": "bob"}),
            10015,
            "GroupId",
        ),
        (
            json!({"GroupId": "missing", "NewOwner_Account": "ghost", "From_Account": "ghost"}),
            10010,
            "missing",
        ),
        (
            json!({"GroupId": "av", "NewOwner_Account": "ghost"}),
            10007,
            "AVChatRoom",
        ),
        (
            json!({"GroupId": "g", "NewOwner_Account": "peter", "From_Account": "ghost"}),
            10004,
            "NewOwner_Account",
        ),
        (
            json!({"GroupId": "g", "NewOwner_Account": "leckie", "From_Account": "ghost"}),
            10004,
            "From_Account",
        ),
    ];
    for (body, want, word) in table {
        let v = e.call(OWNER, body.clone()).await;
        assert_eq!(code(&v), want, "{body}: {v}");
        assert!(info(&v).contains(word), "{body}: {v}");
    }
}

#[tokio::test]
async fn owner_callback_names_old_and_new_owner_and_the_operator() {
    let rx = Receiver::start(allow()).await;
    let e = start_with(with_callbacks(open_policy(), &rx.url)).await;
    e.group("g", "Public", &["bob"]).await;
    let same = json!({"GroupId": "g", "NewOwner_Account": "leckie"});
    assert_eq!(
        code(&e.call(OWNER, same).await),
        0,
        "no change, no callback"
    );
    let body = json!({"GroupId": "g", "NewOwner_Account": "bob", "From_Account": "peter"});
    assert_eq!(code(&e.call(OWNER, body).await), 0);
    let (raw, body) = only(&rx).await;
    assert_keys_in_order(
        &raw,
        &[
            "CallbackCommand",
            "GroupId",
            "Type",
            "Operator_Account",
            "OldOwner_Account",
            "NewOwner_Account",
            "EventTime",
        ],
    );
    assert_eq!(
        body,
        json!({"CallbackCommand": OWNER_CHANGED, "GroupId": "g", "Type": "Public",
            "Operator_Account": "peter", "OldOwner_Account": "leckie", "NewOwner_Account": "bob",
            "EventTime": T0 * 1000})
    );
}

#[tokio::test]
async fn owner_callback_reports_an_empty_old_owner_for_an_ownerless_group() {
    let rx = Receiver::start(allow()).await;
    let e = start_with(with_callbacks(open_policy(), &rx.url)).await;
    let v = e
        .emu
        .create_group(json!({"Type": "Private", "GroupId": "w", "Name": "n", "MemberList": [{"Member_Account": "bob"}]}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        code(
            &e.call(OWNER, json!({"GroupId": "w", "NewOwner_Account": "bob"}))
                .await
        ),
        0
    );
    let (_, body) = only(&rx).await;
    assert_eq!(
        (&body["OldOwner_Account"], &body["Operator_Account"]),
        (&json!(""), &json!("admin"))
    );
    assert_eq!(body["Type"], "Private");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_owner_changes_leave_exactly_one_owner_named_by_owner_account() {
    let e = start().await;
    let members: Vec<String> = (0..24).map(|i| format!("m{i}")).collect();
    e.emu.import_many(&members).await;
    let list: Vec<&str> = members.iter().map(String::as_str).collect();
    e.group("race", "Public", &list).await;
    let calls = members
        .iter()
        .map(|m| e.call(OWNER, json!({"GroupId": "race", "NewOwner_Account": m})));
    for v in futures_util::future::join_all(calls).await {
        assert_eq!(code(&v), 0, "{v}");
    }
    let g = e.info("race").await;
    let owners: Vec<(String, String)> = e
        .roles("race")
        .await
        .into_iter()
        .filter(|(_, r)| r == "Owner")
        .collect();
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(g["Owner_Account"], owners[0].0.as_str());
    assert!(members.contains(&owners[0].0), "{owners:?}");
    assert_eq!(g["MemberNum"], 25);
    assert_eq!(g["InfoSeq"], 25, "every call moved ownership once");
}
