//! The group queries and mutes of spec §17–§20 over HTTP: get_joined_group_list (filters, paging,
//! order, Private activation, the answer-size limit), get_role_in_group, forbid_send_msg and the
//! two muted-list commands, with the emulator's clock moved to let mutes run out.

use crate::common;

use common::{APP, Emu, code, info};
use reqwest::Method;
use serde_json::{Value, json};
use tim_emulator::apps::{Apps, Limits};
use tim_emulator::{Clock, FieldNames, Settings};

const JOINED: &str = "group_open_http_svc/get_joined_group_list";
const ROLE: &str = "group_open_http_svc/get_role_in_group";
const MUTE: &str = "group_open_http_svc/forbid_send_msg";
const MUTED: &str = "group_open_http_svc/get_group_muted_account";
const SHUTTED: &str = "group_open_http_svc/get_group_shutted_uin";
const MEMBERS: &str = "group_open_http_svc/get_group_member_info";

/// The frozen start of every test's clock (unix seconds).
const T0: u64 = 1_700_000_000;
/// The longest mute, which means for ever.
const FOREVER: u64 = 4_294_967_295;

async fn emu_with(change: impl FnOnce(&mut Settings)) -> Emu {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.clock = Clock::frozen_at(T0 * 1000);
    change(&mut s);
    let emu = Emu::start_with(s).await;
    emu.import(&["leckie", "peter", "tommy", "anna", "群主"])
        .await;
    emu
}

async fn emu() -> Emu {
    emu_with(|_| {}).await
}

/// Moves the emulator's clock by `secs`.
async fn advance(emu: &Emu, secs: i64) {
    let body = json!({"advance_ms": secs * 1000}).to_string();
    let raw = emu
        .request(Method::POST, "/_emulator/clock", body.into_bytes())
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
}

/// Creates group `id` of `ty`, owned by `owner`, with `members`.
async fn group(emu: &Emu, id: &str, ty: &str, owner: Option<&str>, members: &[&str]) {
    let mut req = json!({"GroupId": id, "Type": ty, "Name": "g"});
    if let Some(o) = owner {
        req["Owner_Account"] = json!(o);
    }
    if !members.is_empty() {
        let list: Vec<Value> = members
            .iter()
            .map(|m| json!({"Member_Account": m}))
            .collect();
        req["MemberList"] = json!(list);
    }
    let v = emu.create_group(req).await;
    assert_eq!(code(&v), 0, "{v}");
}

async fn ok(emu: &Emu, path: &str, body: Value) -> Value {
    let v = emu.call(path, body.clone()).await;
    assert_eq!(code(&v), 0, "{path} {body} -> {v}");
    v
}

async fn fails(emu: &Emu, path: &str, body: Value, want: i64) -> Value {
    let v = emu.call(path, body.clone()).await;
    assert_eq!(code(&v), want, "{path} {body} -> {v}");
    v
}

/// The `GroupId`s of a joined-list answer, in order.
fn ids(v: &Value) -> Vec<String> {
    v["GroupIdList"]
        .as_array()
        .unwrap_or_else(|| panic!("no GroupIdList in {v}"))
        .iter()
        .map(|g| g["GroupId"].as_str().expect("GroupId").to_string())
        .collect()
}

async fn joined(emu: &Emu, body: Value) -> Value {
    ok(emu, JOINED, body).await
}

/// The `(account, until)` pairs of get_group_muted_account.
async fn muted(emu: &Emu, id: &str) -> Vec<(String, u64)> {
    let v = ok(emu, MUTED, json!({"GroupId": id})).await;
    assert_eq!(v["GroupId"], id);
    v["MutedAccountList"]
        .as_array()
        .unwrap_or_else(|| panic!("no MutedAccountList in {v}"))
        .iter()
        .map(|e| {
            let a = e["Member_Account"].as_str().expect("account").to_string();
            (a, e["MutedUntil"].as_u64().expect("MutedUntil"))
        })
        .collect()
}

async fn mute(emu: &Emu, id: &str, accounts: &[&str], seconds: u64) {
    ok(
        emu,
        MUTE,
        json!({"GroupId": id, "Members_Account": accounts, "MuteTime": seconds}),
    )
    .await;
}

/// `MuteUntil` of `account` in get_group_member_info.
async fn mute_until(emu: &Emu, id: &str, account: &str) -> Value {
    let v = ok(emu, MEMBERS, json!({"GroupId": id})).await;
    let m = v["MemberList"]
        .as_array()
        .expect("MemberList")
        .iter()
        .find(|m| m["Member_Account"] == account)
        .unwrap_or_else(|| panic!("{account} is not a member: {v}"))
        .clone();
    assert_eq!(m["MuteUntil"], m["ShutUpUntil"], "{m}");
    m["MuteUntil"].clone()
}

/// Exports the state, lets `change` edit group `id` of [`APP`], imports it back.
async fn edit_group(emu: &Emu, id: &str, change: impl FnOnce(&mut Value)) {
    let raw = emu
        .request(Method::GET, "/_emulator/state", Vec::new())
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let mut doc = raw.json();
    let app = doc["apps"]
        .as_array_mut()
        .expect("apps")
        .iter_mut()
        .find(|a| a["sdkappid"] == APP)
        .expect("the test app");
    let g = app["groups"]
        .as_array_mut()
        .expect("groups")
        .iter_mut()
        .find(|g| g["GroupId"] == id)
        .unwrap_or_else(|| panic!("no group {id}"));
    change(g);
    let raw = emu
        .request(
            Method::PUT,
            "/_emulator/state",
            doc.to_string().into_bytes(),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
}

fn accounts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}")).collect()
}

// ---- get_joined_group_list: the list ----

#[tokio::test]
async fn joined_groups_come_in_join_order_then_by_group_id() {
    let emu = emu().await;
    group(&emu, "b-first", "Public", Some("leckie"), &[]).await;
    advance(&emu, 10).await;
    group(&emu, "c-later", "Public", None, &["leckie"]).await;
    group(&emu, "a-later", "ChatRoom", Some("leckie"), &[]).await;
    group(&emu, "not-his", "Public", Some("peter"), &[]).await;
    let v = joined(&emu, json!({"Member_Account": "leckie"})).await;
    assert_eq!(ids(&v), ["b-first", "a-later", "c-later"]);
    assert_eq!(v["TotalCount"], 3);
    assert_eq!(
        v["GroupIdList"][0],
        json!({"GroupId": "b-first"}),
        "no filter: GroupId only"
    );
}

#[tokio::test]
async fn total_count_counts_every_match_whatever_the_page() {
    let emu = emu().await;
    for id in ["g1", "g2", "g3", "g4", "g5"] {
        group(&emu, id, "Public", Some("leckie"), &[]).await;
    }
    let cases = [
        (json!({}), vec!["g1", "g2", "g3", "g4", "g5"]),
        (json!({"Limit": 0}), vec!["g1", "g2", "g3", "g4", "g5"]),
        (json!({"Limit": 2}), vec!["g1", "g2"]),
        (json!({"Limit": 2, "Offset": 2}), vec!["g3", "g4"]),
        (json!({"Limit": 2, "Offset": 4}), vec!["g5"]),
        (json!({"Offset": 5}), vec![]),
        (json!({"Offset": 9_000_000_000_u64}), vec![]),
        (
            json!({"Limit": 5000, "Offset": 0}),
            vec!["g1", "g2", "g3", "g4", "g5"],
        ),
    ];
    for (extra, want) in cases {
        let mut body = json!({"Member_Account": "leckie"});
        for (k, val) in extra.as_object().expect("object") {
            body[k] = val.clone();
        }
        let v = joined(&emu, body.clone()).await;
        assert_eq!(ids(&v), want, "{body}");
        assert_eq!(v["TotalCount"], 5, "{body}");
    }
}

#[tokio::test]
async fn an_account_that_is_not_imported_or_in_no_group_has_no_groups() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &[]).await;
    for account in ["nobody", "anna"] {
        let v = joined(&emu, json!({"Member_Account": account})).await;
        assert_eq!(v["TotalCount"], 0, "{v}");
        assert_eq!(v["GroupIdList"], json!([]), "{v}");
    }
}

#[tokio::test]
async fn huge_groups_are_listed_only_when_asked_for() {
    let emu = emu().await;
    group(&emu, "pub", "Public", Some("leckie"), &[]).await;
    group(&emu, "av", "AVChatRoom", Some("leckie"), &[]).await;
    group(&emu, "bc", "BChatRoom", Some("leckie"), &[]).await;
    let cases = [
        (json!({}), vec!["pub"]),
        (json!({"WithHugeGroups": 0}), vec!["pub"]),
        (json!({"WithHugeGroups": 1}), vec!["av", "bc", "pub"]),
        (json!({"GroupType": "AVChatRoom"}), vec!["av"]),
        (json!({"GroupType": "BChatRoom"}), vec!["bc"]),
        (
            json!({"GroupType": "Public", "WithHugeGroups": 1}),
            vec!["pub"],
        ),
        (
            json!({"GroupType": "ChatRoom", "WithHugeGroups": 1}),
            vec![],
        ),
        (json!({"GroupType": ""}), vec!["pub"]),
    ];
    for (extra, want) in cases {
        let mut body = json!({"Member_Account": "leckie"});
        for (k, val) in extra.as_object().expect("object") {
            body[k] = val.clone();
        }
        let v = joined(&emu, body.clone()).await;
        let mut got = ids(&v);
        got.sort();
        assert_eq!(got, want, "{body}");
        assert_eq!(v["TotalCount"], want.len(), "{body}");
    }
}

#[tokio::test]
async fn an_inactive_private_group_shows_to_its_owner_and_to_others_only_when_asked() {
    let emu = emu().await;
    group(&emu, "work", "Private", Some("leckie"), &["peter"]).await;
    group(&emu, "open", "Public", Some("leckie"), &["peter"]).await;
    let list = |who: &str, extra: Value| {
        let mut body = json!({"Member_Account": who});
        for (k, val) in extra.as_object().expect("object") {
            body[k] = val.clone();
        }
        body
    };
    let v = joined(&emu, list("leckie", json!({}))).await;
    assert_eq!(ids(&v), ["open", "work"], "the owner sees it");
    let v = joined(&emu, list("peter", json!({}))).await;
    assert_eq!(
        (ids(&v), v["TotalCount"].clone()),
        (vec!["open".to_string()], json!(1))
    );
    let v = joined(&emu, list("peter", json!({"WithNoActiveGroups": 1}))).await;
    assert_eq!(ids(&v), ["open", "work"]);
    let v = joined(&emu, list("peter", json!({"GroupType": "Private"}))).await;
    assert_eq!(v["TotalCount"], 0, "the type filter does not reveal it");

    edit_group(&emu, "work", |g| g["activated"] = json!(true)).await;
    let v = joined(&emu, list("peter", json!({}))).await;
    assert_eq!(ids(&v), ["open", "work"], "active after its first message");
}

#[tokio::test]
async fn private_groups_may_start_active() {
    let emu = emu_with(|s| s.private_groups_start_active = true).await;
    group(&emu, "work", "Private", Some("leckie"), &["peter"]).await;
    let v = joined(&emu, json!({"Member_Account": "peter"})).await;
    assert_eq!(ids(&v), ["work"]);
}

// ---- get_joined_group_list: ResponseFilter ----

#[tokio::test]
async fn base_filter_fields_read_as_get_group_info_reads_them() {
    let emu = emu().await;
    let v = emu
        .create_group(json!({
            "GroupId": "全字段", "Type": "Public", "Name": "群名", "Owner_Account": "群主",
            "Introduction": "简介", "Notification": "公告", "FaceUrl": "http://x.invalid/a.png",
            "MaxMemberCount": 300, "ApplyJoinOption": "FreeAccess",
            "AppDefinedData": [{"Key": "k", "Value": "v\u{0}"}],
            "MemberList": [{"Member_Account": "peter", "Role": "Admin"}]
        }))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let names = [
        "Type",
        "Name",
        "Appid",
        "Introduction",
        "Notification",
        "FaceUrl",
        "Owner_Account",
        "CreateTime",
        "InfoSeq",
        "LastInfoTime",
        "LastMsgTime",
        "NextMsgSeq",
        "MemberNum",
        "MaxMemberNum",
        "ApplyJoinOption",
        "InviteJoinOption",
        "MuteAllMember",
        "AppDefinedData",
    ];
    let v = joined(
        &emu,
        json!({"Member_Account": "peter",
               "ResponseFilter": {"GroupBaseInfoFilter": names, "SelfInfoFilter": ["Role"]}}),
    )
    .await;
    let item = v["GroupIdList"][0].as_object().expect("item").clone();
    let info = emu.group_info("全字段").await;
    let mut want: Vec<&str> = names.to_vec();
    want.extend(["GroupId", "ShutUpAllMember", "SelfInfo"]);
    want.sort_unstable();
    let mut got: Vec<&str> = item.keys().map(String::as_str).collect();
    got.sort_unstable();
    assert_eq!(got, want);
    for (k, val) in &item {
        if k != "SelfInfo" {
            assert_eq!(val, &info[k], "{k}");
        }
    }
    assert_eq!(item["Appid"], APP);
    assert_eq!(item["SelfInfo"], json!({"Role": "Admin"}));
}

#[tokio::test]
async fn mute_all_member_answers_in_the_spellings_the_setting_picks() {
    let cases = [
        (
            FieldNames::Both,
            "MuteAllMember",
            vec!["MuteAllMember", "ShutUpAllMember"],
        ),
        (
            FieldNames::Both,
            "ShutUpAllMember",
            vec!["MuteAllMember", "ShutUpAllMember"],
        ),
        (
            FieldNames::Current,
            "ShutUpAllMember",
            vec!["MuteAllMember"],
        ),
        (FieldNames::Legacy, "MuteAllMember", vec!["ShutUpAllMember"]),
    ];
    for (names, asked, want) in cases {
        let emu = emu_with(|s| s.field_names = names).await;
        group(&emu, "g", "Public", Some("leckie"), &[]).await;
        let v = joined(
            &emu,
            json!({"Member_Account": "leckie",
                   "ResponseFilter": {"GroupBaseInfoFilter": [asked, "NoSuchField"]}}),
        )
        .await;
        let item = v["GroupIdList"][0].as_object().expect("item").clone();
        let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want_keys = want.clone();
        want_keys.push("GroupId");
        want_keys.sort_unstable();
        assert_eq!(keys, want_keys, "{names:?} asked {asked}");
        for k in want {
            assert_eq!(item[k], "Off");
        }
    }
}

#[tokio::test]
async fn self_info_holds_the_members_own_fields() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &["peter"]).await;
    edit_group(&emu, "g", |g| {
        g["NextMsgSeq"] = json!(10);
        g["MemberList"][1]["MsgSeq"] = json!(3);
        g["MemberList"][1]["NameCard"] = json!("名片");
        g["MemberList"][1]["MsgFlag"] = json!("Discard");
    })
    .await;
    mute(&emu, "g", &["peter"], 60).await;
    let all = [
        "Role",
        "JoinTime",
        "MsgFlag",
        "MsgSeq",
        "UnreadMsgNum",
        "NameCard",
        "MuteUntil",
        "Unknown",
    ];
    let v = joined(
        &emu,
        json!({"Member_Account": "peter", "ResponseFilter": {"SelfInfoFilter": all}}),
    )
    .await;
    assert_eq!(
        v["GroupIdList"][0],
        json!({"GroupId": "g", "SelfInfo": {
            "Role": "Member", "JoinTime": T0, "MsgFlag": "Discard", "MsgSeq": 3,
            "UnreadMsgNum": 0, "NameCard": "名片",
            "MuteUntil": T0 + 60, "ShutUpUntil": T0 + 60
        }}),
        "no base filter: no base fields"
    );
    let v = joined(
        &emu,
        json!({"Member_Account": "leckie",
               "ResponseFilter": {"SelfInfoFilter": ["UnreadMsgNum", "ShutUpUntil"]}}),
    )
    .await;
    assert_eq!(
        v["GroupIdList"][0]["SelfInfo"],
        json!({"UnreadMsgNum": 0, "MuteUntil": 0, "ShutUpUntil": 0}),
        "unread counts stored messages (spec §30.5); this document holds none"
    );
    let v = joined(
        &emu,
        json!({"Member_Account": "leckie", "ResponseFilter": {"GroupBaseInfoFilter": ["Name"]}}),
    )
    .await;
    assert_eq!(
        v["GroupIdList"][0],
        json!({"GroupId": "g", "Name": "g"}),
        "no SelfInfoFilter: no SelfInfo"
    );
}

async fn unread(emu: &Emu) -> Value {
    let body = json!({"Member_Account": "leckie",
                      "ResponseFilter": {"SelfInfoFilter": ["UnreadMsgNum"]}});
    joined(emu, body).await["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"].clone()
}

#[tokio::test]
async fn unread_count_is_derived_from_the_stored_messages_and_capped_by_them() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &[]).await;
    assert_eq!(unread(&emu).await, 0, "a group without messages");
    for i in 0..4 {
        let v = emu
            .call(
                "group_open_http_svc/send_group_msg",
                json!({"GroupId": "g", "Random": i,
                       "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "m"}}]}),
            )
            .await;
        assert_eq!(v["ErrorCode"], 0, "{v}");
    }
    assert_eq!(unread(&emu).await, 4);
    for (set, want) in [(1, 1), (0, 0), (7, 4)] {
        let v = emu
            .call(
                "group_open_http_svc/set_unread_msg_num",
                json!({"GroupId": "g", "Member_Account": "leckie", "UnreadMsgNum": set}),
            )
            .await;
        assert_eq!(v["ErrorCode"], 0, "{v}");
        assert_eq!(unread(&emu).await, want, "set {set}");
    }
}

#[tokio::test]
async fn self_info_mute_spellings_follow_the_setting() {
    for (names, want) in [
        (FieldNames::Current, json!({"MuteUntil": T0 + 5})),
        (FieldNames::Legacy, json!({"ShutUpUntil": T0 + 5})),
    ] {
        let emu = emu_with(|s| s.field_names = names).await;
        group(&emu, "g", "Public", Some("leckie"), &[]).await;
        mute(&emu, "g", &["leckie"], 5).await;
        let v = joined(
            &emu,
            json!({"Member_Account": "leckie",
                   "ResponseFilter": {"SelfInfoFilter": ["ShutUpUntil"]}}),
        )
        .await;
        assert_eq!(v["GroupIdList"][0]["SelfInfo"], want, "{names:?}");
    }
}

#[tokio::test]
async fn an_answer_over_one_mebibyte_is_10018_and_a_smaller_page_passes() {
    let emu = emu().await;
    // Each value is 512 control bytes, written as 6-byte escapes: about 31 KB per group.
    let value = "\u{1}".repeat(512);
    let data: Vec<Value> = (0..10)
        .map(|k| json!({"Key": format!("k{k}"), "Value": value}))
        .collect();
    for i in 0..40 {
        let v = emu
            .create_group(
                json!({"GroupId": format!("big{i:02}"), "Type": "Public", "Name": "g",
                                 "Owner_Account": "leckie", "AppDefinedData": data}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    let filter = json!({"GroupBaseInfoFilter": ["AppDefinedData"]});
    let v = fails(
        &emu,
        JOINED,
        json!({"Member_Account": "leckie", "ResponseFilter": filter}),
        10018,
    )
    .await;
    assert!(info(&v).contains("Limit"), "{v}");
    let raw = emu
        .post_raw(
            JOINED,
            &Emu::query(APP, "admin"),
            json!({"Member_Account": "leckie", "ResponseFilter": filter, "Limit": 30}).to_string(),
        )
        .await;
    let v = raw.json();
    assert_eq!(code(&v), 0, "{}", &raw.body[..200]);
    assert!(
        raw.body.len() > 900_000 && raw.body.len() <= 1 << 20,
        "{}",
        raw.body.len()
    );
    assert_eq!(v["TotalCount"], 40);
    let v = joined(&emu, json!({"Member_Account": "leckie"})).await;
    assert_eq!(ids(&v).len(), 40, "without the filter the answer is small");
}

// ---- get_joined_group_list: request rules ----

#[tokio::test]
async fn joined_list_request_rules_hold_on_both_sides() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &[]).await;
    let cases: Vec<(Value, i64, &str)> = vec![
        (json!({}), 10004, "Member_Account is required"),
        (json!({"member_account": "leckie"}), 10004, "case-sensitive"),
        (
            json!({"Member_Account": null}),
            10004,
            "Member_Account is required",
        ),
        (json!({"Member_Account": ""}), 10004, "Member_Account"),
        (json!({"Member_Account": 5}), 60015, "Member_Account"),
        (
            json!({"Member_Account": "leckie", "WithHugeGroups": 2}),
            10004,
            "WithHugeGroups",
        ),
        (
            json!({"Member_Account": "leckie", "WithHugeGroups": -1}),
            10004,
            "WithHugeGroups",
        ),
        (
            json!({"Member_Account": "leckie", "WithHugeGroups": "1"}),
            10004,
            "WithHugeGroups",
        ),
        (
            json!({"Member_Account": "leckie", "WithNoActiveGroups": 2}),
            10004,
            "WithNoActiveGroups",
        ),
        (
            json!({"Member_Account": "leckie", "Limit": 5001}),
            10004,
            "5000",
        ),
        (
            json!({"Member_Account": "leckie", "Limit": -1}),
            10004,
            "Limit",
        ),
        (
            json!({"Member_Account": "leckie", "Limit": 1.5}),
            10004,
            "Limit",
        ),
        (
            json!({"Member_Account": "leckie", "Offset": -1}),
            10004,
            "Offset",
        ),
        (
            json!({"Member_Account": "leckie", "GroupType": "public"}),
            10004,
            "GroupType",
        ),
        (
            json!({"Member_Account": "leckie", "GroupType": "Community"}),
            10004,
            "GroupType",
        ),
        (
            json!({"Member_Account": "leckie", "GroupType": "Work"}),
            10004,
            "GroupType",
        ),
        (
            json!({"Member_Account": "leckie", "GroupType": 1}),
            10004,
            "GroupType",
        ),
        (
            json!({"Member_Account": "leckie", "ResponseFilter": []}),
            10004,
            "ResponseFilter",
        ),
        (
            json!({"Member_Account": "leckie", "ResponseFilter": {"SelfInfoFilter": "Role"}}),
            10004,
            "SelfInfoFilter",
        ),
        (
            json!({"Member_Account": "leckie", "SupportTopic": 1}),
            10004,
            "Community",
        ),
        (
            json!({"Member_Account": "leckie", "SupportTopic": 2}),
            10004,
            "SupportTopic",
        ),
        (
            json!({"Member_Account": "leckie", "SupportTopic": 1, "GroupType": "Public"}),
            10004,
            "Community",
        ),
        // Order of checks: the first rule of the table wins.
        (json!({"Limit": 5001}), 10004, "Member_Account"),
        (
            json!({"Member_Account": "leckie", "Limit": 5001, "GroupType": "x"}),
            10004,
            "Limit",
        ),
        (
            json!({"Member_Account": "leckie", "GroupType": "x", "SupportTopic": 1}),
            10004,
            "GroupType",
        ),
    ];
    for (body, want, needle) in cases {
        let v = fails(&emu, JOINED, body.clone(), want).await;
        assert!(info(&v).contains(needle), "{body} -> {v}");
    }
    for body in [
        json!({"Member_Account": "leckie", "WithHugeGroups": 0, "WithNoActiveGroups": 0}),
        json!({"Member_Account": "leckie", "WithHugeGroups": 1, "WithNoActiveGroups": 1}),
        json!({"Member_Account": "leckie", "Limit": 5000, "Offset": 0}),
        json!({"Member_Account": "leckie", "SupportTopic": 0}),
        json!({"Member_Account": "leckie", "ResponseFilter": {}}),
        json!({"Member_Account": "leckie", "GroupType": null, "Limit": null}),
    ] {
        let v = joined(&emu, body.clone()).await;
        assert_eq!(v["TotalCount"], 1, "{body}");
    }
}

// ---- get_role_in_group ----

#[tokio::test]
async fn roles_come_in_request_order_with_repeats() {
    let emu = emu().await;
    let v = emu
        .create_group(
            json!({"GroupId": "g", "Type": "Public", "Name": "g", "Owner_Account": "leckie",
                             "MemberList": [{"Member_Account": "peter", "Role": "Admin"},
                                            {"Member_Account": "tommy"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = ok(
        &emu,
        ROLE,
        json!({"GroupId": "g",
               "User_Account": ["tommy", "anna", "leckie", "peter", "never-imported", "tommy"]}),
    )
    .await;
    assert_eq!(
        v["UserIdList"],
        json!([
            {"Member_Account": "tommy", "Role": "Member"},
            {"Member_Account": "anna", "Role": "NotMember"},
            {"Member_Account": "leckie", "Role": "Owner"},
            {"Member_Account": "peter", "Role": "Admin"},
            {"Member_Account": "never-imported", "Role": "NotMember"},
            {"Member_Account": "tommy", "Role": "Member"}
        ])
    );
}

#[tokio::test]
async fn get_role_in_group_rules_hold_on_both_sides() {
    let emu = emu().await;
    group(&emu, "pub", "Public", Some("leckie"), &[]).await;
    group(&emu, "priv", "Private", Some("leckie"), &[]).await;
    group(&emu, "chat", "ChatRoom", Some("leckie"), &[]).await;
    group(&emu, "av", "AVChatRoom", Some("leckie"), &[]).await;
    group(&emu, "bc", "BChatRoom", Some("leckie"), &[]).await;
    let many = accounts(500);
    let too_many = accounts(501);
    let long_id = "x".repeat(50);
    let just_fits = "x".repeat(49);
    let cases: Vec<(Value, i64)> = vec![
        (json!({"GroupId": "pub"}), 10004),
        (json!({"GroupId": "pub", "User_Account": []}), 10004),
        (json!({"GroupId": "pub", "User_Account": too_many}), 10004),
        (json!({"GroupId": "pub", "User_Account": "leckie"}), 10004),
        (json!({"GroupId": "pub", "User_Account": ["a", 5]}), 60015),
        (json!({"User_Account": ["leckie"]}), 10004),
        (json!({"GroupId": 5, "User_Account": ["leckie"]}), 10004),
        (json!({"GroupId": "", "User_Account": ["leckie"]}), 10015),
        (
            json!({"GroupId": long_id, "User_Account": ["leckie"]}),
            10015,
        ),
        (
            json!({"GroupId": "a\u{1}b", "User_Account": ["leckie"]}),
            10015,
        ),
        (
            json!({"GroupId": just_fits, "User_Account": ["leckie"]}),
            10010,
        ),
        (
            json!({"GroupId": "nope", "User_Account": ["leckie"]}),
            10010,
        ),
        (json!({"GroupId": "av", "User_Account": ["leckie"]}), 10007),
        (json!({"GroupId": "bc", "User_Account": ["leckie"]}), 10007),
        // Order: the request's shape before the group.
        (json!({"GroupId": long_id, "User_Account": []}), 10004),
        (json!({"GroupId": "av", "User_Account": too_many}), 10004),
    ];
    for (body, want) in cases {
        fails(&emu, ROLE, body, want).await;
    }
    for id in ["pub", "priv", "chat"] {
        let v = ok(&emu, ROLE, json!({"GroupId": id, "User_Account": many})).await;
        let list = v["UserIdList"].as_array().expect("list");
        assert_eq!(list.len(), 500);
        assert!(list.iter().all(|e| e["Role"] == "NotMember"));
    }
}

// ---- forbid_send_msg ----

#[tokio::test]
async fn a_mute_shows_until_its_time_runs_out_on_the_emulator_clock() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &["peter", "tommy"]).await;
    mute(&emu, "g", &["peter"], 60).await;
    mute(&emu, "g", &["tommy"], 120).await;
    assert_eq!(mute_until(&emu, "g", "peter").await, T0 + 60);
    assert_eq!(
        muted(&emu, "g").await,
        [("peter".into(), T0 + 60), ("tommy".into(), T0 + 120)]
    );
    advance(&emu, 59).await;
    assert_eq!(
        mute_until(&emu, "g", "peter").await,
        T0 + 60,
        "one second left"
    );
    advance(&emu, 1).await;
    assert_eq!(mute_until(&emu, "g", "peter").await, 0, "ran out");
    assert_eq!(muted(&emu, "g").await, [("tommy".into(), T0 + 120)]);
    let v = ok(&emu, SHUTTED, json!({"GroupId": "g"})).await;
    assert_eq!(
        v["ShuttedUinList"],
        json!([{"Member_Account": "tommy", "ShuttedUntil": T0 + 120}])
    );
    advance(&emu, 60).await;
    assert_eq!(muted(&emu, "g").await, []);
}

#[tokio::test]
async fn mute_time_rules_hold_on_both_sides() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &["peter"]).await;
    let body = |extra: Value| {
        let mut b = json!({"GroupId": "g", "Members_Account": ["peter"]});
        for (k, v) in extra.as_object().expect("object") {
            b[k] = v.clone();
        }
        b
    };
    for (extra, needle) in [
        (json!({}), "MuteTime is required"),
        (json!({"MuteTime": null}), "MuteTime is required"),
        (json!({"mutetime": 5}), "case-sensitive"),
        (json!({"MuteTime": -1}), "MuteTime"),
        (json!({"MuteTime": FOREVER + 1}), "4294967295"),
        (json!({"MuteTime": "60"}), "MuteTime"),
        (json!({"ShutUpTime": -1}), "MuteTime"),
    ] {
        let v = fails(&emu, MUTE, body(extra.clone()), 10004).await;
        assert!(info(&v).contains(needle), "{extra} -> {v}");
    }
    assert_eq!(muted(&emu, "g").await, [], "nothing was recorded");
    let cases = [
        (json!({"MuteTime": 1}), T0 + 1),
        (json!({"MuteTime": FOREVER}), FOREVER),
        (json!({"MuteTime": FOREVER - 1}), FOREVER),
        (json!({"ShutUpTime": 30}), T0 + 30),
        (json!({"MuteTime": 10, "ShutUpTime": 20}), T0 + 10),
    ];
    for (extra, want) in cases {
        ok(&emu, MUTE, body(extra.clone())).await;
        assert_eq!(mute_until(&emu, "g", "peter").await, want, "{extra}");
    }
    ok(&emu, MUTE, body(json!({"MuteTime": 0}))).await;
    assert_eq!(mute_until(&emu, "g", "peter").await, 0, "0 unmutes");
    assert_eq!(muted(&emu, "g").await, []);
    ok(&emu, MUTE, body(json!({"ShutUpTime": 0, "MuteTime": 0}))).await;
}

#[tokio::test]
async fn forbid_send_msg_rules_hold_on_both_sides() {
    let emu = emu().await;
    for (id, ty) in [
        ("pub", "Public"),
        ("priv", "Private"),
        ("chat", "ChatRoom"),
        ("av", "AVChatRoom"),
        ("bc", "BChatRoom"),
    ] {
        group(&emu, id, ty, Some("leckie"), &[]).await;
    }
    let many = accounts(500);
    emu.import_many(&many).await;
    let too_many = accounts(501);
    let long_id = "x".repeat(50);
    let m = |id: &str, who: Value| json!({"GroupId": id, "Members_Account": who, "MuteTime": 60});
    let cases: Vec<(Value, i64)> = vec![
        (json!({"GroupId": "pub", "MuteTime": 60}), 10004),
        (m("pub", json!([])), 10004),
        (m("pub", json!(too_many)), 10004),
        (m("pub", json!("peter")), 10004),
        (m("pub", json!(["peter", ""])), 10004),
        (m("pub", json!(["peter", 7])), 60015),
        (m("pub", json!(["peter", "never-imported"])), 10004),
        (json!({"Members_Account": ["peter"], "MuteTime": 60}), 10004),
        (m("", json!(["peter"])), 10015),
        (m(&long_id, json!(["peter"])), 10015),
        (m("nope", json!(["peter"])), 10010),
        (m("priv", json!(["peter"])), 10007),
        (m("bc", json!(["peter"])), 10007),
        (
            json!({"GroupId": "pub", "Members_Account": ["peter"], "MuteTime": 60, "TopicId": "t"}),
            10004,
        ),
        // Order: shape, then the group, then its type, then the accounts.
        (
            json!({"GroupId": "nope", "Members_Account": ["peter"]}),
            10004,
        ),
        (m("nope", json!(["never-imported"])), 10010),
        (m("priv", json!(["never-imported"])), 10007),
        (
            json!({"GroupId": &long_id, "Members_Account": ["peter"], "MuteTime": 60, "TopicId": "t"}),
            10004,
        ),
    ];
    for (body, want) in cases {
        fails(&emu, MUTE, body, want).await;
    }
    for id in ["pub", "chat", "av"] {
        assert_eq!(
            muted(&emu, id).await,
            [],
            "rejected requests changed nothing"
        );
    }
    let t = json!({"GroupId": "pub", "Members_Account": ["peter"], "MuteTime": 60, "TopicId": ""});
    ok(&emu, MUTE, t).await;
    for id in ["pub", "chat", "av"] {
        ok(&emu, MUTE, m(id, json!(many))).await;
        let list = muted(&emu, id).await;
        assert_eq!(list.len(), if id == "pub" { 501 } else { 500 }, "{id}");
    }
}

#[tokio::test]
async fn owners_admins_and_non_members_can_be_muted() {
    let emu = emu().await;
    let v = emu
        .create_group(
            json!({"GroupId": "g", "Type": "Public", "Name": "g", "Owner_Account": "leckie",
                             "MemberList": [{"Member_Account": "peter", "Role": "Admin"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    mute(&emu, "g", &["anna", "leckie", "peter", "anna"], 100).await;
    assert_eq!(
        muted(&emu, "g").await,
        [
            ("anna".into(), T0 + 100),
            ("leckie".into(), T0 + 100),
            ("peter".into(), T0 + 100)
        ],
        "in the order set, repeats once, the non-member too"
    );
    assert_eq!(mute_until(&emu, "g", "leckie").await, T0 + 100);
    let v = ok(
        &emu,
        ROLE,
        json!({"GroupId": "g", "User_Account": ["anna"]}),
    )
    .await;
    assert_eq!(
        v["UserIdList"][0]["Role"], "NotMember",
        "muting does not add"
    );
}

#[tokio::test]
async fn a_running_mute_keeps_its_place_and_a_new_one_after_expiry_goes_last() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &["peter", "tommy"]).await;
    mute(&emu, "g", &["peter"], 10).await;
    mute(&emu, "g", &["tommy"], 100).await;
    mute(&emu, "g", &["peter"], 50).await;
    let order = |l: Vec<(String, u64)>| l.into_iter().map(|(a, _)| a).collect::<Vec<_>>();
    assert_eq!(order(muted(&emu, "g").await), ["peter", "tommy"]);
    advance(&emu, 60).await;
    assert_eq!(order(muted(&emu, "g").await), ["tommy"]);
    mute(&emu, "g", &["peter"], 10).await;
    assert_eq!(order(muted(&emu, "g").await), ["tommy", "peter"]);
}

#[tokio::test]
async fn a_mute_outlives_leaving_and_rejoining_the_group() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &["peter"]).await;
    mute(&emu, "g", &["peter"], 3600).await;
    // peter leaves (the member list is edited through the state document).
    edit_group(&emu, "g", |g| {
        let list = g["MemberList"].as_array_mut().expect("MemberList");
        list.retain(|m| m["Member_Account"] != "peter");
    })
    .await;
    let v = ok(
        &emu,
        ROLE,
        json!({"GroupId": "g", "User_Account": ["peter"]}),
    )
    .await;
    assert_eq!(v["UserIdList"][0]["Role"], "NotMember");
    assert_eq!(muted(&emu, "g").await, [("peter".into(), T0 + 3600)]);
    advance(&emu, 100).await;
    // ... and joins again.
    edit_group(&emu, "g", |g| {
        let list = g["MemberList"].as_array_mut().expect("MemberList");
        list.push(json!({"Member_Account": "peter", "JoinTime": T0 + 100}));
    })
    .await;
    assert_eq!(mute_until(&emu, "g", "peter").await, T0 + 3600);
    let v = joined(
        &emu,
        json!({"Member_Account": "peter", "ResponseFilter": {"SelfInfoFilter": ["MuteUntil"]}}),
    )
    .await;
    assert_eq!(v["GroupIdList"][0]["SelfInfo"]["MuteUntil"], T0 + 3600);
}

#[tokio::test]
async fn a_mute_recorded_before_joining_applies_on_joining() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &[]).await;
    mute(&emu, "g", &["anna"], 600).await;
    edit_group(&emu, "g", |g| {
        let list = g["MemberList"].as_array_mut().expect("MemberList");
        list.push(json!({"Member_Account": "anna"}));
    })
    .await;
    assert_eq!(mute_until(&emu, "g", "anna").await, T0 + 600);
}

#[tokio::test]
async fn concurrent_mutes_of_one_group_all_land() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &[]).await;
    let all = accounts(400);
    emu.import_many(&all).await;
    let calls = all.chunks(50).enumerate().map(|(i, chunk)| {
        let body = json!({"GroupId": "g", "Members_Account": chunk, "MuteTime": 1000 + i});
        emu.call(MUTE, body)
    });
    for v in futures_util::future::join_all(calls).await {
        assert_eq!(code(&v), 0, "{v}");
    }
    let list = muted(&emu, "g").await;
    assert_eq!(list.len(), 400);
    for (i, chunk) in all.chunks(50).enumerate() {
        for a in chunk {
            let until = list.iter().find(|(x, _)| x == a).map(|(_, u)| *u);
            assert_eq!(until, Some(T0 + 1000 + i as u64), "{a}");
        }
    }
}

// ---- get_group_muted_account and get_group_shutted_uin ----

#[tokio::test]
async fn muted_lists_follow_the_type_and_topic_rules() {
    let emu = emu().await;
    for (id, ty) in [
        ("pub", "Public"),
        ("priv", "Private"),
        ("chat", "ChatRoom"),
        ("av", "AVChatRoom"),
        ("bc", "BChatRoom"),
    ] {
        group(&emu, id, ty, Some("leckie"), &[]).await;
    }
    let long_id = "x".repeat(50);
    for path in [MUTED, SHUTTED] {
        let cases: Vec<(Value, i64)> = vec![
            (json!({}), 10004),
            (json!({"GroupId": 1}), 10004),
            (json!({"GroupId": ""}), 10015),
            (json!({"GroupId": &long_id}), 10015),
            (json!({"GroupId": "nope"}), 10010),
            (json!({"GroupId": "bc"}), 10007),
            (json!({"GroupId": "pub", "TopicId": "t"}), 10004),
            (json!({"GroupId": "pub", "TopicId": 5}), 10004),
            (json!({"GroupId": "nope", "TopicId": "t"}), 10004),
        ];
        for (body, want) in cases {
            fails(&emu, path, body, want).await;
        }
        for id in ["pub", "priv", "chat", "av"] {
            let v = ok(&emu, path, json!({"GroupId": id, "TopicId": ""})).await;
            let key = if path == MUTED {
                "MutedAccountList"
            } else {
                "ShuttedUinList"
            };
            assert_eq!(v["GroupId"], id);
            assert_eq!(v[key], json!([]), "{path} {id}");
        }
    }
}

#[tokio::test]
async fn both_muted_lists_carry_the_same_entries_under_their_own_names() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &["peter"]).await;
    mute(&emu, "g", &["peter", "anna"], 30).await;
    let v = ok(&emu, MUTED, json!({"GroupId": "g"})).await;
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert!(!keys.iter().any(|k| k.as_str() == "ShuttedUinList"), "{v}");
    assert_eq!(
        v["MutedAccountList"],
        json!([{"Member_Account": "peter", "MutedUntil": T0 + 30},
               {"Member_Account": "anna", "MutedUntil": T0 + 30}])
    );
    let v = ok(&emu, SHUTTED, json!({"GroupId": "g"})).await;
    assert!(v.get("MutedAccountList").is_none(), "{v}");
    assert_eq!(
        v["ShuttedUinList"],
        json!([{"Member_Account": "peter", "ShuttedUntil": T0 + 30},
               {"Member_Account": "anna", "ShuttedUntil": T0 + 30}])
    );
}

#[tokio::test]
async fn the_queries_need_an_app_admin() {
    let emu = emu().await;
    group(&emu, "g", "Public", Some("leckie"), &["peter"]).await;
    for (path, body) in [
        (JOINED, json!({"Member_Account": "peter"})),
        (ROLE, json!({"GroupId": "g", "User_Account": ["peter"]})),
        (
            MUTE,
            json!({"GroupId": "g", "Members_Account": ["peter"], "MuteTime": 5}),
        ),
        (MUTED, json!({"GroupId": "g"})),
        (SHUTTED, json!({"GroupId": "g"})),
    ] {
        let v = emu.call_as(APP, "peter", path, body).await;
        assert_eq!(code(&v), 10007, "{path}: {v}");
    }
    assert_eq!(muted(&emu, "g").await, []);
}
