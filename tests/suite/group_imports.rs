//! Migration commands over HTTP: import_group (spec §21), import_group_member (§22), kick (§23)
//! and multiaccount_import's `AccountList` form (§23.1). Every rule on both sides of its
//! boundary, every error code of those sections, the per-member `Result` values, the order of
//! checks, that a rejected request changes nothing, that nothing reaches the app backend, what
//! the state export shows, and one winner among concurrent imports of one GroupId.
//!
//! Times come from a frozen emulator clock ([`NOW`]), so boundaries such as "not after now" are
//! exact and no test waits.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{APP, Emu, code, info};
use serde_json::{Value, json};
use tim_emulator::apps::{AppPolicy, Apps, CallbackConfig, Limits};
use tim_emulator::{Clock, Settings};

/// The emulator's frozen time, unix seconds.
const NOW: u64 = 1_700_000_000;

const IMPORT_GROUP: &str = "group_open_http_svc/import_group";
const IMPORT_MEMBERS: &str = "group_open_http_svc/import_group_member";
const KICK: &str = "im_open_login_svc/kick";
const MULTI: &str = "im_open_login_svc/multiaccount_import";

const ACCOUNTS: [&str; 6] = ["leckie", "tommy", "jared", "peter", "carol", "dave"];

/// Settings with the clock frozen at [`NOW`] and these limits.
fn settings(limits: Limits) -> Settings {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::zero_config(limits);
    s.clock = Clock::frozen_at(NOW * 1000);
    s
}

/// An emulator frozen at [`NOW`], without throttles, with [`ACCOUNTS`] imported.
async fn emu() -> Emu {
    emu_with(settings(Limits::UNLIMITED)).await
}

async fn emu_with(s: Settings) -> Emu {
    let emu = Emu::start_with(s).await;
    emu.import(&ACCOUNTS).await;
    emu
}

/// An emulator whose clock the test holds, to move it between calls.
async fn emu_and_clock() -> (Emu, Clock) {
    let s = settings(Limits::UNLIMITED);
    let clock = s.clock.clone();
    (emu_with(s).await, clock)
}

/// The basic import_group body with `fields` merged over it (`null` removes a field).
fn group(fields: Value) -> Value {
    let mut body = json!({"Owner_Account": "leckie", "Type": "Public", "Name": "TestGroup"});
    for (k, v) in fields.as_object().expect("fields are an object") {
        if v.is_null() {
            body.as_object_mut().expect("object").remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

async fn import_group(emu: &Emu, body: Value) -> Value {
    emu.call(IMPORT_GROUP, body).await
}

/// Imports a Public group `id` created at `created`, owned by leckie.
async fn imported(emu: &Emu, id: &str, created: u64) {
    let v = import_group(emu, group(json!({"GroupId": id, "CreateTime": created}))).await;
    assert_eq!(code(&v), 0, "{v}");
}

async fn import_members(emu: &Emu, id: &str, list: Value) -> Value {
    emu.call(IMPORT_MEMBERS, json!({"GroupId": id, "MemberList": list}))
        .await
}

/// The `Result` of each entry of an import_group_member answer.
fn results(v: &Value) -> Vec<(String, i64)> {
    v["MemberList"]
        .as_array()
        .unwrap_or_else(|| panic!("no MemberList in {v}"))
        .iter()
        .map(|m| {
            (
                m["Member_Account"].as_str().expect("account").to_string(),
                m["Result"].as_i64().expect("Result"),
            )
        })
        .collect()
}

/// The group's member list from get_group_member_info.
async fn members(emu: &Emu, id: &str) -> Vec<Value> {
    let v = emu
        .call(
            "group_open_http_svc/get_group_member_info",
            json!({"GroupId": id}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    v["MemberList"].as_array().expect("MemberList").clone()
}

fn accounts_of(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|m| m["Member_Account"].as_str().expect("account"))
        .collect()
}

/// The state export of [`APP`].
async fn export(emu: &Emu) -> Value {
    let raw = emu
        .request(reqwest::Method::GET, "/_emulator/state", Vec::new())
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let doc = raw.json();
    doc["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .find(|a| a["sdkappid"] == APP)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The exported account `id`, if listed.
async fn exported_account(emu: &Emu, id: &str) -> Option<Value> {
    export(emu).await["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["UserID"] == id)
        .cloned()
}

/// The exported group `id`.
async fn exported_group(emu: &Emu, id: &str) -> Value {
    export(emu).await["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["GroupId"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("group {id} is not exported"))
}

/// `n` copies of a 3-byte CJK character.
fn cjk(n: usize) -> String {
    "群".repeat(n)
}

// ---- import_group (spec §21) ----

#[tokio::test]
async fn import_group_stamps_create_time_last_info_time_and_the_owners_join_time_with_create_time()
{
    let emu = emu().await;
    imported(&emu, "old", 1_448_357_837).await;
    let g = emu.group_info("old").await;
    assert_eq!(code(&g), 0, "{g}");
    assert_eq!(g["CreateTime"], 1_448_357_837, "{g}");
    assert_eq!(g["LastInfoTime"], 1_448_357_837, "{g}");
    assert_eq!(g["InfoSeq"], 1, "{g}");
    assert_eq!(
        (g["NextMsgSeq"].clone(), g["LastMsgTime"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(g["MemberNum"], 1);
    let owner = &g["MemberList"][0];
    assert_eq!(owner["Member_Account"], "leckie");
    assert_eq!(owner["Role"], "Owner");
    assert_eq!(owner["JoinTime"], 1_448_357_837, "{owner}");
}

#[tokio::test]
async fn import_group_without_create_time_is_created_now() {
    let emu = emu().await;
    let v = import_group(&emu, group(json!({"GroupId": "fresh"}))).await;
    assert_eq!(code(&v), 0, "{v}");
    let g = emu.group_info("fresh").await;
    assert_eq!(g["CreateTime"], NOW);
    assert_eq!(g["LastInfoTime"], NOW);
    assert_eq!(g["MemberList"][0]["JoinTime"], NOW);
}

#[tokio::test]
async fn create_time_takes_1_up_to_now_and_nothing_else() {
    let emu = emu().await;
    let table = [
        (json!(1), 0),
        (json!(NOW - 1), 0),
        (json!(NOW), 0),
        (json!(NOW + 1), 10004),
        (json!(0), 10004),
        (json!(-1), 10004),
        (json!(u64::MAX), 10004),
        (json!("1448357837"), 10004),
        (json!(1.5), 10004),
        (json!(true), 10004),
    ];
    for (i, (t, want)) in table.into_iter().enumerate() {
        let id = format!("t{i}");
        let v = import_group(&emu, group(json!({"GroupId": id, "CreateTime": t}))).await;
        assert_eq!(code(&v), want, "CreateTime {t}: {v}");
        if want == 0 {
            assert_eq!(emu.group_info(&id).await["CreateTime"], t, "CreateTime {t}");
        } else {
            assert!(info(&v).contains("CreateTime"), "{v}");
            assert!(
                !emu.group_exists(&id).await,
                "CreateTime {t} stored nothing"
            );
        }
    }
}

#[tokio::test]
async fn import_group_takes_private_public_and_chatroom_but_avchatroom_and_bchatroom_are_10007() {
    let emu = emu().await;
    for (ty, want) in [
        ("Private", 0),
        ("Public", 0),
        ("ChatRoom", 0),
        ("AVChatRoom", 10007),
        ("BChatRoom", 10007),
        ("Community", 10004),
        ("Work", 10004),
        ("public", 10004),
    ] {
        let v = import_group(
            &emu,
            group(json!({"Type": ty, "GroupId": format!("g-{ty}")})),
        )
        .await;
        assert_eq!(code(&v), want, "{ty}: {v}");
        assert_eq!(
            emu.group_exists(&format!("g-{ty}")).await,
            want == 0,
            "{ty}"
        );
        if want == 10007 {
            assert!(info(&v).contains(ty), "{v}");
        }
    }
}

#[tokio::test]
async fn an_assigned_id_has_the_types_shape() {
    let emu = emu().await;
    for (ty, prefix) in [
        ("Private", "@TGS#1"),
        ("Public", "@TGS#2"),
        ("ChatRoom", "@TGS#3"),
    ] {
        for id in [json!(null), json!("")] {
            let v = import_group(&emu, group(json!({"Type": ty, "GroupId": id}))).await;
            assert_eq!(code(&v), 0, "{v}");
            let got = v["GroupId"].as_str().expect("GroupId");
            assert!(got.starts_with(prefix) && got.len() == 14, "{ty}: {got}");
            assert_eq!(emu.group_info(got).await["Type"], ty);
        }
    }
}

#[tokio::test]
async fn import_group_applies_create_groups_field_rules_on_both_sides() {
    let emu = emu().await;
    let long_id = "i".repeat(49);
    let table: Vec<(&str, Value, i64)> = vec![
        ("Name at 30 bytes", json!({"Name": cjk(10)}), 0),
        (
            "Name at 31 bytes",
            json!({"Name": format!("{}a", cjk(10))}),
            10004,
        ),
        ("Name empty", json!({"Name": ""}), 10004),
        ("Name missing", json!({"Name": null}), 10004),
        ("Type missing", json!({"Type": null}), 10004),
        (
            "Introduction at 240 bytes",
            json!({"Introduction": cjk(80)}),
            0,
        ),
        (
            "Introduction at 241 bytes",
            json!({"Introduction": format!("{}a", cjk(80))}),
            10004,
        ),
        (
            "Notification at 300 bytes",
            json!({"Notification": cjk(100)}),
            0,
        ),
        (
            "Notification at 301 bytes",
            json!({"Notification": format!("{}a", cjk(100))}),
            10004,
        ),
        (
            "FaceUrl at 100 bytes",
            json!({"FaceUrl": "f".repeat(100)}),
            0,
        ),
        (
            "FaceUrl at 101 bytes",
            json!({"FaceUrl": "f".repeat(101)}),
            10004,
        ),
        ("GroupId at 49 bytes", json!({"GroupId": long_id}), 0),
        (
            "GroupId at 50 bytes",
            json!({"GroupId": "i".repeat(50)}),
            10004,
        ),
        (
            "GroupId with the assigned prefix",
            json!({"GroupId": "@TGS#2AAAAAAAA"}),
            10004,
        ),
        (
            "GroupId with a control character",
            json!({"GroupId": "a\u{1}b"}),
            10004,
        ),
        (
            "MaxMemberCount at the Public cap",
            json!({"MaxMemberCount": 2000}),
            0,
        ),
        (
            "MaxMemberCount over the Public cap",
            json!({"MaxMemberCount": 2001}),
            10004,
        ),
        ("MaxMemberCount 0", json!({"MaxMemberCount": 0}), 10004),
        (
            "ApplyJoinOption DisableApply",
            json!({"ApplyJoinOption": "DisableApply"}),
            0,
        ),
        (
            "ApplyJoinOption in another case",
            json!({"ApplyJoinOption": "disableapply"}),
            10004,
        ),
        (
            "AppDefinedData key at 16 bytes",
            json!({"AppDefinedData": [{"Key": "k".repeat(16), "Value": "v"}]}),
            0,
        ),
        (
            "AppDefinedData key at 17 bytes",
            json!({"AppDefinedData": [{"Key": "k".repeat(17), "Value": "v"}]}),
            10004,
        ),
        (
            "AppDefinedData value at 512 bytes",
            json!({"AppDefinedData": [{"Key": "k", "Value": "v".repeat(512)}]}),
            0,
        ),
        (
            "AppDefinedData value at 513 bytes",
            json!({"AppDefinedData": [{"Key": "k", "Value": "v".repeat(513)}]}),
            10004,
        ),
        ("Name not a string", json!({"Name": 5}), 10004),
        (
            "Owner_Account not a string",
            json!({"Owner_Account": 5}),
            60015,
        ),
        (
            "Owner_Account not imported",
            json!({"Owner_Account": "ghost"}),
            10004,
        ),
        ("no owner", json!({"Owner_Account": null}), 0),
    ];
    for (i, (what, fields, want)) in table.into_iter().enumerate() {
        let mut body = group(fields.clone());
        if body.get("GroupId").is_none() {
            body["GroupId"] = json!(format!("row{i}"));
        }
        let id = body["GroupId"].as_str().expect("GroupId").to_string();
        let v = import_group(&emu, body).await;
        assert_eq!(code(&v), want, "{what}: {v}");
        if want == 0 {
            assert!(emu.group_exists(&id).await, "{what}: stored");
        }
    }
}

#[tokio::test]
async fn field_checks_come_before_create_time_and_create_time_before_the_type_rule() {
    let emu = emu().await;
    let v = import_group(&emu, group(json!({"Name": "", "CreateTime": 0}))).await;
    assert_eq!(code(&v), 10004);
    assert!(info(&v).contains("Name"), "Name first: {v}");
    let v = import_group(&emu, group(json!({"Type": "AVChatRoom", "CreateTime": 0}))).await;
    assert_eq!(code(&v), 10004, "CreateTime before the type rule: {v}");
    assert!(info(&v).contains("CreateTime"), "{v}");
    let v = import_group(
        &emu,
        group(json!({"Type": "AVChatRoom", "FaceUrl": "f".repeat(101)})),
    )
    .await;
    assert_eq!(code(&v), 10004, "field rules before the type rule: {v}");
    let v = import_group(
        &emu,
        group(json!({"Type": "BChatRoom", "Owner_Account": "ghost"})),
    )
    .await;
    assert_eq!(
        code(&v),
        10007,
        "the type rule before the owner's import: {v}"
    );
    imported(&emu, "taken", 5).await;
    let v = import_group(
        &emu,
        group(json!({"GroupId": "taken", "Owner_Account": "ghost"})),
    )
    .await;
    assert_eq!(code(&v), 10004, "the owner before the ID: {v}");
}

#[tokio::test]
async fn an_id_used_by_a_created_or_imported_group_is_10021_and_free_again_after_destroy() {
    let emu = emu().await;
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n", "GroupId": "made"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    imported(&emu, "moved", 100).await;
    for id in ["made", "moved"] {
        let v = import_group(&emu, group(json!({"GroupId": id, "Name": "again"}))).await;
        assert_eq!(code(&v), 10021, "{id}: {v}");
        assert!(info(&v).contains(id), "{v}");
        assert_ne!(emu.group_info(id).await["Name"], "again", "{id} unchanged");
    }
    let v = emu
        .call(
            "group_open_http_svc/destroy_group",
            json!({"GroupId": "moved"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = import_group(&emu, group(json!({"GroupId": "moved", "Name": "again"}))).await;
    assert_eq!(code(&v), 0, "free after destroy: {v}");
}

#[tokio::test]
async fn member_list_and_app_member_defined_data_are_ignored_as_unknown_fields() {
    let emu = emu().await;
    for (i, extra) in [
        json!({"MemberList": [{"Member_Account": "tommy"}]}),
        json!({"MemberList": "not a list", "AppMemberDefinedData": 7}),
        json!({"MemberList": [{"Member_Account": "ghost", "Role": "Boss"}]}),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("m{i}");
        let mut fields = extra.clone();
        fields["GroupId"] = json!(id);
        let v = import_group(&emu, group(fields)).await;
        assert_eq!(code(&v), 0, "{extra}: {v}");
        assert_eq!(
            accounts_of(&members(&emu, &id).await),
            ["leckie"],
            "{extra}"
        );
    }
}

#[tokio::test]
async fn support_topic_0_is_accepted_and_1_needs_a_community_type_this_profile_lacks() {
    let emu = emu().await;
    for (t, want) in [
        (json!(0), 0),
        (json!(1), 10004),
        (json!(2), 10004),
        (json!("1"), 10004),
    ] {
        let v = import_group(&emu, group(json!({"SupportTopic": t}))).await;
        assert_eq!(code(&v), want, "SupportTopic {t}: {v}");
    }
}

#[tokio::test]
async fn import_group_takes_no_creation_quota_and_leaves_it_for_create_group() {
    let mut limits = Limits::UNLIMITED;
    limits.daily_group_creations = 1;
    let emu = emu_with(settings(limits)).await;
    for i in 0..3 {
        let v = import_group(&emu, group(json!({"GroupId": format!("q{i}")}))).await;
        assert_eq!(code(&v), 0, "import {i} takes no quota: {v}");
    }
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n"}))
        .await;
    assert_eq!(code(&v), 0, "the day's one creation is still free: {v}");
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n"}))
        .await;
    assert_eq!(code(&v), 10006, "{v}");
    let v = import_group(&emu, group(json!({"GroupId": "after"}))).await;
    assert_eq!(code(&v), 0, "imports go on when the quota is used up: {v}");
}

#[tokio::test]
async fn import_group_has_no_sensitive_word_check() {
    let limits = Limits::UNLIMITED;
    let mut p = AppPolicy::zero_config(limits);
    p.sensitive_words = vec!["forbidden".into()];
    let mut s = settings(limits);
    s.apps = Apps::configured(HashMap::from([(APP, p)]), limits);
    let emu = emu_with(s).await;
    let body = group(json!({"Name": "forbidden", "Introduction": "forbidden", "GroupId": "w"}));
    let v = emu.create_group(body.clone()).await;
    assert_eq!(code(&v), 80001, "create_group checks: {v}");
    let v = import_group(&emu, body).await;
    assert_eq!(code(&v), 0, "import_group does not: {v}");
}

#[tokio::test]
async fn an_imported_private_group_starts_inactive_unless_the_setting_says_otherwise() {
    let emu = emu().await;
    for ty in ["Private", "Public", "ChatRoom"] {
        let v = import_group(&emu, group(json!({"Type": ty, "GroupId": ty}))).await;
        assert_eq!(code(&v), 0, "{v}");
        let g = exported_group(&emu, ty).await;
        assert_eq!(g["activated"], ty != "Private", "{ty}: {g}");
    }
    let mut s = settings(Limits::UNLIMITED);
    s.private_groups_start_active = true;
    let emu = emu_with(s).await;
    let v = import_group(&emu, group(json!({"Type": "Private", "GroupId": "p"}))).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(exported_group(&emu, "p").await["activated"], true);
}

#[tokio::test]
async fn the_state_export_shows_an_imported_group_with_its_old_times() {
    let emu = emu().await;
    let v = import_group(
        &emu,
        group(
            json!({"GroupId": "exp", "CreateTime": 1000, "Introduction": "intro",
                     "AppDefinedData": [{"Key": "k", "Value": "v"}]}),
        ),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = import_members(
        &emu,
        "exp",
        json!([{"Member_Account": "tommy", "JoinTime": 2000, "Role": "Admin"}]),
    )
    .await;
    assert_eq!(results(&v), [("tommy".into(), 1)], "{v}");
    let g = exported_group(&emu, "exp").await;
    assert_eq!(g["CreateTime"], 1000, "{g}");
    assert_eq!(g["LastInfoTime"], NOW, "the member import moved it: {g}");
    assert_eq!(g["Introduction"], "intro");
    assert_eq!(g["AppDefinedData"], json!([{"Key": "k", "Value": "v"}]));
    let m = &g["MemberList"];
    assert_eq!(m[0]["Member_Account"], "leckie");
    assert_eq!(m[0]["JoinTime"], 1000, "{g}");
    assert_eq!(m[1]["Member_Account"], "tommy");
    assert_eq!(m[1]["JoinTime"], 2000, "{g}");
    assert_eq!(m[1]["Role"], "Admin");
    assert!(
        m[1].get("MsgSeq").is_none(),
        "0 is the default, left out: {g}"
    );
}

#[tokio::test]
async fn a_non_admin_caller_is_10007_for_both_group_imports() {
    let emu = emu().await;
    imported(&emu, "g", 5).await;
    let v = emu
        .call_as(APP, "leckie", IMPORT_GROUP, group(json!({"GroupId": "x"})))
        .await;
    assert_eq!(code(&v), 10007, "{v}");
    assert!(!emu.group_exists("x").await);
    let v = emu
        .call_as(
            APP,
            "leckie",
            IMPORT_MEMBERS,
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy"}]}),
        )
        .await;
    assert_eq!(code(&v), 10007, "{v}");
    assert_eq!(accounts_of(&members(&emu, "g").await), ["leckie"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_32_concurrent_imports_of_one_group_id_exactly_one_wins_and_the_rest_get_10021() {
    let emu = Arc::new(emu().await);
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let emu = emu.clone();
            tokio::spawn(async move {
                let body = group(
                    json!({"GroupId": "race", "Name": format!("racer{i}"), "CreateTime": 100 + i}),
                );
                code(&import_group(&emu, body).await)
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.expect("task finishes"));
    }
    codes.sort_unstable();
    let mut want = vec![10021; 31];
    want.insert(0, 0);
    assert_eq!(codes, want);
    assert_eq!(emu.group_total().await, 1, "the group exists once");
    let g = emu.group_info("race").await;
    let name = g["Name"].as_str().expect("Name");
    let i: u64 = name
        .trim_start_matches("racer")
        .parse()
        .expect("a racer's name");
    assert_eq!(g["CreateTime"], 100 + i, "the winner's own CreateTime: {g}");
}

// ---- import_group_member (spec §22) ----

#[tokio::test]
async fn imported_members_keep_their_join_time_and_role_and_come_after_the_owner() {
    let emu = emu().await;
    imported(&emu, "g", 1_448_357_836).await;
    let v = import_members(
        &emu,
        "g",
        json!([
            {"Member_Account": "tommy", "Role": "Admin", "JoinTime": 1_448_357_837, "UnreadMsgNum": 5},
            {"Member_Account": "jared", "JoinTime": 1_448_357_857, "UnreadMsgNum": 2}
        ]),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(results(&v), [("tommy".into(), 1), ("jared".into(), 1)]);
    let list = members(&emu, "g").await;
    assert_eq!(accounts_of(&list), ["leckie", "tommy", "jared"]);
    assert_eq!(
        (list[1]["Role"].clone(), list[1]["JoinTime"].clone()),
        (json!("Admin"), json!(1_448_357_837))
    );
    assert_eq!(
        (list[2]["Role"].clone(), list[2]["JoinTime"].clone()),
        (json!("Member"), json!(1_448_357_857))
    );
    for m in &list {
        assert_eq!(
            m["MsgSeq"], 0,
            "no messages: every unread count is capped to 0: {m}"
        );
        assert_eq!(m["MsgFlag"], "AcceptAndNotify");
        assert_eq!(m["NameCard"], "");
        assert_eq!(m["LastSendMsgTime"], 0);
    }
    assert_eq!(emu.group_info("g").await["MemberNum"], 3);
}

#[tokio::test]
async fn join_time_must_be_later_than_create_time_and_not_after_now() {
    let created = 1_000_000;
    let table = [
        (json!(created - 1), 0),
        (json!(created), 0),
        (json!(created + 1), 1),
        (json!(NOW - 1), 1),
        (json!(NOW), 1),
        (json!(NOW + 1), 0),
        (json!(-5), 0),
        (json!(0), 0),
        (json!(u64::MAX), 0),
    ];
    for (t, want) in table {
        let emu = emu().await;
        imported(&emu, "g", created).await;
        let v = import_members(
            &emu,
            "g",
            json!([{"Member_Account": "tommy", "JoinTime": t}]),
        )
        .await;
        assert_eq!(code(&v), 0, "JoinTime {t}: {v}");
        assert_eq!(results(&v), [("tommy".into(), want)], "JoinTime {t}");
        let list = members(&emu, "g").await;
        assert_eq!(list.len(), 1 + want as usize, "JoinTime {t}");
        if want == 1 {
            assert_eq!(list[1]["JoinTime"], t);
        }
    }
}

#[tokio::test]
async fn a_member_without_join_time_joins_now_even_in_a_group_created_this_second() {
    let emu = emu().await;
    let v = import_group(&emu, group(json!({"GroupId": "g"}))).await;
    assert_eq!(code(&v), 0, "{v}");
    let v = import_members(&emu, "g", json!([{"Member_Account": "tommy"}])).await;
    assert_eq!(results(&v), [("tommy".into(), 1)], "{v}");
    assert_eq!(members(&emu, "g").await[1]["JoinTime"], NOW);
}

#[tokio::test]
async fn each_member_gets_its_own_result_in_request_order() {
    let mut limits = Limits::UNLIMITED;
    limits.groups_per_user = 2;
    let emu = emu_with(settings(limits)).await;
    imported(&emu, "g", 100).await;
    // carol is already in two groups: at the per-user quota.
    for id in ["c1", "c2"] {
        let v = emu
            .create_group(
                json!({"Owner_Account": "carol", "Type": "Public", "Name": "n", "GroupId": id}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    let v = import_members(
        &emu,
        "g",
        json!([
            {"Member_Account": "leckie"},
            {"Member_Account": "ghost"},
            {"Member_Account": "tommy", "JoinTime": 100},
            {"Member_Account": "carol"},
            {"Member_Account": "jared", "JoinTime": 200},
            {"Member_Account": "jared"},
            {"Member_Account": "tommy", "JoinTime": 300}
        ]),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    let want: Vec<(String, i64)> = [
        ("leckie", 2), // the owner: already a member
        ("ghost", 0),  // not imported
        ("tommy", 0),  // JoinTime equal to CreateTime
        ("carol", 0),  // at the joined-groups quota
        ("jared", 1),
        ("jared", 2), // added by the item before
        ("tommy", 1), // a good JoinTime this time
    ]
    .into_iter()
    .map(|(a, r)| (a.to_string(), r))
    .collect();
    assert_eq!(results(&v), want);
    let list = members(&emu, "g").await;
    assert_eq!(accounts_of(&list), ["leckie", "jared", "tommy"]);
    assert_eq!(list[1]["JoinTime"], 200);
    assert_eq!(list[2]["JoinTime"], 300);
}

#[tokio::test]
async fn the_joined_groups_quota_counts_on_both_sides() {
    let mut limits = Limits::UNLIMITED;
    limits.groups_per_user = 2;
    let emu = emu_with(settings(limits)).await;
    for id in ["a", "b", "c"] {
        imported(&emu, id, 100).await;
    }
    let v = import_members(&emu, "a", json!([{"Member_Account": "tommy"}])).await;
    assert_eq!(results(&v), [("tommy".into(), 1)], "first group: {v}");
    let v = import_members(&emu, "b", json!([{"Member_Account": "tommy"}])).await;
    assert_eq!(
        results(&v),
        [("tommy".into(), 1)],
        "second group, at the quota now: {v}"
    );
    let v = import_members(&emu, "c", json!([{"Member_Account": "tommy"}])).await;
    assert_eq!(
        results(&v),
        [("tommy".into(), 0)],
        "a third is over it: {v}"
    );
    let v = import_members(&emu, "b", json!([{"Member_Account": "tommy"}])).await;
    assert_eq!(
        results(&v),
        [("tommy".into(), 2)],
        "already a member comes first: {v}"
    );
}

#[tokio::test]
async fn members_of_a_full_group_fail_one_by_one_once_it_is_full() {
    let emu = emu().await;
    let v = import_group(
        &emu,
        group(json!({"GroupId": "small", "MaxMemberCount": 3, "CreateTime": 100})),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = import_members(
        &emu,
        "small",
        json!([{"Member_Account": "tommy"}, {"Member_Account": "jared"}, {"Member_Account": "peter"}, {"Member_Account": "leckie"}]),
    )
    .await;
    let want: Vec<(String, i64)> = [("tommy", 1), ("jared", 1), ("peter", 0), ("leckie", 2)]
        .into_iter()
        .map(|(a, r)| (a.to_string(), r))
        .collect();
    assert_eq!(results(&v), want, "{v}");
    assert_eq!(emu.group_info("small").await["MemberNum"], 3);
}

#[tokio::test]
async fn unread_msg_num_is_capped_at_the_groups_message_count_so_with_no_messages_msg_seq_stays_0()
{
    let emu = emu().await;
    imported(&emu, "g", 100).await;
    let v = import_members(
        &emu,
        "g",
        json!([
            {"Member_Account": "tommy", "UnreadMsgNum": 0},
            {"Member_Account": "jared", "UnreadMsgNum": 5},
            {"Member_Account": "peter", "UnreadMsgNum": u64::MAX},
            {"Member_Account": "carol"}
        ]),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    assert!(results(&v).iter().all(|(_, r)| *r == 1), "{v}");
    for m in members(&emu, "g").await {
        assert_eq!(m["MsgSeq"], 0, "{m}");
    }
    assert_eq!(emu.group_info("g").await["NextMsgSeq"], 1);
}

#[tokio::test]
async fn the_batch_cap_is_300_by_default_and_10005_beyond() {
    let emu = Emu::start_with(settings(Limits::from_profile(
        &tim_emulator::rules::DEFAULT,
    )))
    .await;
    emu.import(&["leckie"]).await;
    imported(&emu, "g", 100).await;
    let list = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"Member_Account": format!("u{i}")}))
            .collect()
    };
    let v = import_members(&emu, "g", list(301)).await;
    assert_eq!(code(&v), 10005, "{v}");
    assert!(info(&v).contains("301") && info(&v).contains("300"), "{v}");
    let v = import_members(&emu, "g", list(300)).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        results(&v).len(),
        300,
        "one result per item (none imported: Result 0)"
    );
}

#[tokio::test]
async fn the_apps_policy_sets_the_batch_cap_and_0_lifts_it() {
    let mut limits = Limits::UNLIMITED;
    limits.import_group_member_batch = 2;
    let emu = emu_with(settings(limits)).await;
    imported(&emu, "g", 100).await;
    let v = import_members(&emu, "g", json!([{"Member_Account": "tommy"}, {"Member_Account": "jared"}, {"Member_Account": "peter"}])).await;
    assert_eq!(code(&v), 10005, "{v}");
    assert_eq!(
        accounts_of(&members(&emu, "g").await),
        ["leckie"],
        "nothing added"
    );
    let v = import_members(
        &emu,
        "g",
        json!([{"Member_Account": "tommy"}, {"Member_Account": "jared"}]),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    let emu = emu_with(settings(Limits::UNLIMITED)).await;
    imported(&emu, "g", 100).await;
    let many: Value = (0..301)
        .map(|i| json!({"Member_Account": format!("u{i}")}))
        .collect();
    let v = import_members(&emu, "g", many).await;
    assert_eq!(code(&v), 0, "no cap: {v}");
}

#[tokio::test]
async fn a_malformed_request_is_10004_or_60015_and_changes_nothing() {
    let emu = emu().await;
    imported(&emu, "g", 100).await;
    let table: Vec<(&str, Value, i64)> = vec![
        ("MemberList missing", json!({"GroupId": "g"}), 10004),
        (
            "MemberList null",
            json!({"GroupId": "g", "MemberList": null}),
            10004,
        ),
        (
            "MemberList empty",
            json!({"GroupId": "g", "MemberList": []}),
            10004,
        ),
        (
            "MemberList not an array",
            json!({"GroupId": "g", "MemberList": {"Member_Account": "tommy"}}),
            10004,
        ),
        (
            "an item not an object",
            json!({"GroupId": "g", "MemberList": ["tommy"]}),
            10004,
        ),
        (
            "Member_Account missing",
            json!({"GroupId": "g", "MemberList": [{"Role": "Admin"}]}),
            10004,
        ),
        (
            "Member_Account empty",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": ""}]}),
            10004,
        ),
        (
            "Member_Account not a string",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": 7}]}),
            60015,
        ),
        (
            "Role Member",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy", "Role": "Member"}]}),
            10004,
        ),
        (
            "Role Owner",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy", "Role": "Owner"}]}),
            10004,
        ),
        (
            "Role in another case",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy", "Role": "admin"}]}),
            10004,
        ),
        (
            "JoinTime a string",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy", "JoinTime": "200"}]}),
            10004,
        ),
        (
            "JoinTime a fraction",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy", "JoinTime": 200.5}]}),
            10004,
        ),
        (
            "UnreadMsgNum negative",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy", "UnreadMsgNum": -1}]}),
            10004,
        ),
        (
            "UnreadMsgNum a string",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy", "UnreadMsgNum": "1"}]}),
            10004,
        ),
        (
            "a bad second item",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy"}, {"Member_Account": ""}]}),
            10004,
        ),
        (
            "GroupId missing",
            json!({"MemberList": [{"Member_Account": "tommy"}]}),
            10004,
        ),
        (
            "GroupId not a string",
            json!({"GroupId": 5, "MemberList": [{"Member_Account": "tommy"}]}),
            10004,
        ),
        (
            "GroupId empty",
            json!({"GroupId": "", "MemberList": [{"Member_Account": "tommy"}]}),
            10015,
        ),
        (
            "GroupId over 49 bytes",
            json!({"GroupId": "g".repeat(50), "MemberList": [{"Member_Account": "tommy"}]}),
            10015,
        ),
        (
            "GroupId unknown",
            json!({"GroupId": "nope", "MemberList": [{"Member_Account": "tommy"}]}),
            10010,
        ),
    ];
    for (what, body, want) in table {
        let v = emu.call(IMPORT_MEMBERS, body).await;
        assert_eq!(code(&v), want, "{what}: {v}");
    }
    assert_eq!(accounts_of(&members(&emu, "g").await), ["leckie"]);
    assert_eq!(emu.group_info("g").await["LastInfoTime"], 100);
}

#[tokio::test]
async fn unread_msg_num_0_and_role_admin_are_the_lowest_accepted_values() {
    let emu = emu().await;
    imported(&emu, "g", 100).await;
    let v = import_members(
        &emu,
        "g",
        json!([{"Member_Account": "tommy", "Role": "Admin", "UnreadMsgNum": 0}]),
    )
    .await;
    assert_eq!(results(&v), [("tommy".into(), 1)], "{v}");
    assert_eq!(members(&emu, "g").await[1]["Role"], "Admin");
}

#[tokio::test]
async fn avchatroom_and_bchatroom_groups_are_10007() {
    let emu = emu().await;
    for ty in ["AVChatRoom", "BChatRoom"] {
        let v = emu
            .create_group(
                json!({"Owner_Account": "leckie", "Type": ty, "Name": "n", "GroupId": ty}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
        let v = import_members(&emu, ty, json!([{"Member_Account": "tommy"}])).await;
        assert_eq!(code(&v), 10007, "{ty}: {v}");
        assert!(info(&v).contains(ty), "{v}");
    }
    for ty in ["Private", "Public", "ChatRoom"] {
        let v = import_group(
            &emu,
            group(json!({"Type": ty, "GroupId": ty, "CreateTime": 100})),
        )
        .await;
        assert_eq!(code(&v), 0, "{v}");
        let v = import_members(&emu, ty, json!([{"Member_Account": "tommy"}])).await;
        assert_eq!(results(&v), [("tommy".into(), 1)], "{ty}: {v}");
    }
}

#[tokio::test]
async fn role_admin_in_a_private_group_is_10004_for_the_whole_request() {
    let emu = emu().await;
    let v = import_group(
        &emu,
        group(json!({"Type": "Private", "GroupId": "p", "CreateTime": 100})),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = import_members(
        &emu,
        "p",
        json!([{"Member_Account": "tommy"}, {"Member_Account": "jared", "Role": "Admin"}]),
    )
    .await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(
        info(&v).contains("MemberList[1]") && info(&v).contains("Private"),
        "{v}"
    );
    assert_eq!(
        accounts_of(&members(&emu, "p").await),
        ["leckie"],
        "tommy was not added either"
    );
}

#[tokio::test]
async fn shape_comes_before_lookup_and_lookup_before_the_type_rules() {
    let mut limits = Limits::UNLIMITED;
    limits.import_group_member_batch = 1;
    let emu = emu_with(settings(limits)).await;
    let two = json!([{"Member_Account": "tommy"}, {"Member_Account": "jared"}]);
    let v = import_members(&emu, "nope", two.clone()).await;
    assert_eq!(code(&v), 10005, "the size before the lookup: {v}");
    let v = emu.call(IMPORT_MEMBERS, json!({"MemberList": two})).await;
    assert_eq!(code(&v), 10005, "the size before a missing GroupId: {v}");
    let v = import_members(&emu, "", json!([{"Member_Account": ""}])).await;
    assert_eq!(code(&v), 10004, "an item before the GroupId form: {v}");
    let v = emu
        .create_group(json!({"Type": "AVChatRoom", "Name": "n", "GroupId": "av"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = import_members(
        &emu,
        "av",
        json!([{"Member_Account": "tommy", "UnreadMsgNum": -1}]),
    )
    .await;
    assert_eq!(code(&v), 10004, "the shape before the type rule: {v}");
    let v = import_members(
        &emu,
        "av",
        json!([{"Member_Account": "tommy", "Role": "Admin"}]),
    )
    .await;
    assert_eq!(code(&v), 10007, "{v}");
    let v = emu
        .create_group(json!({"Type": "Private", "Name": "n", "GroupId": "priv"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = import_members(
        &emu,
        "priv",
        json!([{"Member_Account": "ghost", "Role": "Admin"}]),
    )
    .await;
    assert_eq!(
        code(&v),
        10004,
        "the Private admin rule before per-member results: {v}"
    );
}

#[tokio::test]
async fn last_info_time_becomes_now_when_members_are_added_and_stays_when_none_are() {
    let (emu, clock) = emu_and_clock().await;
    imported(&emu, "g", 100).await;
    clock.set((NOW + 60) * 1000, true);
    let v = import_members(
        &emu,
        "g",
        json!([{"Member_Account": "ghost"}, {"Member_Account": "leckie"}]),
    )
    .await;
    assert_eq!(results(&v), [("ghost".into(), 0), ("leckie".into(), 2)]);
    let g = emu.group_info("g").await;
    assert_eq!(
        g["LastInfoTime"], 100,
        "nothing added, nothing changed: {g}"
    );
    let v = import_members(
        &emu,
        "g",
        json!([{"Member_Account": "tommy", "JoinTime": 150}]),
    )
    .await;
    assert_eq!(results(&v), [("tommy".into(), 1)]);
    let g = emu.group_info("g").await;
    assert_eq!(g["LastInfoTime"], NOW + 60, "{g}");
    assert_eq!(
        g["InfoSeq"], 1,
        "a member change is not a profile change: {g}"
    );
    assert_eq!(g["CreateTime"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_imports_never_overfill_a_group_or_add_an_account_twice() {
    let emu = Arc::new(emu().await);
    let users: Vec<String> = (0..40).map(|i| format!("u{i}")).collect();
    emu.import_many(&users).await;
    let v = import_group(
        &emu,
        group(json!({"GroupId": "g", "MaxMemberCount": 11, "CreateTime": 100})),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let emu = emu.clone();
            tokio::spawn(async move {
                // Each task sends u0..u19 in a rotated order.
                let list: Value = (0..20)
                    .map(|i| json!({"Member_Account": format!("u{}", (i + t * 3) % 20)}))
                    .collect();
                let v = import_members(&emu, "g", list).await;
                assert_eq!(code(&v), 0, "{v}");
                results(&v)
            })
        })
        .collect();
    let mut added = Vec::new();
    for t in tasks {
        for (a, r) in t.await.expect("task finishes") {
            if r == 1 {
                added.push(a);
            }
        }
    }
    let list = members(&emu, "g").await;
    assert_eq!(list.len(), 11, "full, and never more");
    let mut stored: Vec<String> = accounts_of(&list)[1..]
        .iter()
        .map(|s| s.to_string())
        .collect();
    added.sort();
    stored.sort();
    assert_eq!(
        added, stored,
        "each stored member got Result 1 exactly once"
    );
}

// ---- no callbacks from either import (spec §21, §22, §24) ----

#[tokio::test]
async fn neither_import_sends_a_callback_even_with_every_event_on() {
    let mut s = settings(Limits::UNLIMITED);
    let events = [
        "Group.CallbackBeforeCreateGroup",
        "Group.CallbackAfterCreateGroup",
        "Group.CallbackBeforeInviteJoinGroup",
        "Group.CallbackAfterNewMemberJoin",
        "Group.CallbackAfterGroupFull",
    ];
    s.apps.set_zero_config_callback(Some(CallbackConfig {
        url: refused_url(),
        events: events.iter().map(|e| e.to_string()).collect(),
        token: None,
        timeout_ms: 500,
        fail_closed: true,
        block_send_on_failure: false,
    }));
    let emu = emu_with(s).await;
    let v = import_group(
        &emu,
        group(json!({"GroupId": "g", "MaxMemberCount": 2, "CreateTime": 100})),
    )
    .await;
    assert_eq!(
        code(&v),
        0,
        "a failing backend cannot refuse what is never asked: {v}"
    );
    let v = import_members(
        &emu,
        "g",
        json!([{"Member_Account": "tommy"}, {"Member_Account": "jared"}]),
    )
    .await;
    assert_eq!(
        results(&v),
        [("tommy".into(), 1), ("jared".into(), 0)],
        "{v}"
    );
    // A creation with the before-create callback failing closed: its delivery is logged before
    // the answer, after anything the imports could have queued.
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
    assert_eq!(
        commands,
        ["Group.CallbackBeforeCreateGroup"],
        "only create_group's callback: {log:?}"
    );
}

fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/im-callback")
}

// ---- kick (spec §23) ----

#[tokio::test]
async fn kick_records_kicked_at_now_in_the_state_export() {
    let (emu, clock) = emu_and_clock().await;
    assert!(exported_account(&emu, "tommy").await.expect("tommy")["kicked_at"].is_null());
    let v = emu.call(KICK, json!({"UserID": "tommy"})).await;
    assert_eq!(
        v,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
    );
    assert_eq!(
        exported_account(&emu, "tommy").await.expect("tommy")["kicked_at"],
        NOW
    );
    clock.set((NOW + 90) * 1000, true);
    let v = emu.call(KICK, json!({"Identifier": "tommy"})).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        exported_account(&emu, "tommy").await.expect("tommy")["kicked_at"],
        NOW + 90,
        "a second kick moves it"
    );
    assert!(
        exported_account(&emu, "jared").await.expect("jared")["kicked_at"].is_null(),
        "others untouched"
    );
}

#[tokio::test]
async fn kick_takes_user_id_or_the_legacy_identifier_and_user_id_wins() {
    let emu = emu().await;
    let table = [
        (json!({"UserID": "tommy"}), 0, Some("tommy")),
        (json!({"Identifier": "jared"}), 0, Some("jared")),
        (
            json!({"UserID": "peter", "Identifier": "ghost"}),
            0,
            Some("peter"),
        ),
        (
            json!({"UserID": "ghost", "Identifier": "carol"}),
            70107,
            None,
        ),
        (json!({"UserID": "", "Identifier": "carol"}), 70402, None),
        (
            json!({"UserID": null, "Identifier": "dave"}),
            0,
            Some("dave"),
        ),
    ];
    for (body, want, kicked) in table {
        let v = emu.call(KICK, body.clone()).await;
        assert_eq!(code(&v), want, "{body}: {v}");
        if let Some(id) = kicked {
            assert_eq!(
                exported_account(&emu, id).await.expect("account")["kicked_at"],
                NOW,
                "{body}"
            );
        }
    }
    assert!(
        exported_account(&emu, "carol").await.expect("carol")["kicked_at"].is_null(),
        "Identifier lost to UserID"
    );
}

#[tokio::test]
async fn kick_answers_60015_70402_70107_and_70403_as_the_spec_orders() {
    let emu = emu().await;
    let table = [
        ("UserID not a string", json!({"UserID": 5}), "admin", 60015),
        (
            "Identifier not a string",
            json!({"Identifier": ["tommy"]}),
            "admin",
            60015,
        ),
        (
            "a non-string before the admin check",
            json!({"UserID": 5}),
            "tommy",
            60015,
        ),
        (
            "caller not an admin",
            json!({"UserID": "jared"}),
            "tommy",
            70403,
        ),
        (
            "the admin check before a missing UserID",
            json!({}),
            "tommy",
            70403,
        ),
        ("neither field", json!({}), "admin", 70402),
        ("UserID empty", json!({"UserID": ""}), "admin", 70402),
        (
            "Identifier empty",
            json!({"Identifier": ""}),
            "admin",
            70402,
        ),
        ("not imported", json!({"UserID": "ghost"}), "admin", 70107),
        (
            "too long to be imported",
            json!({"UserID": "x".repeat(33)}),
            "admin",
            70107,
        ),
    ];
    for (what, body, caller, want) in table {
        let v = emu.call_as(APP, caller, KICK, body).await;
        assert_eq!(code(&v), want, "{what}: {v}");
    }
    let v = emu.call(KICK, json!({"UserID": "ghost"})).await;
    assert!(
        info(&v).contains("ghost") && info(&v).contains("account_import"),
        "{v}"
    );
    let v = emu.call(KICK, json!({"userid": "tommy"})).await;
    assert!(info(&v).contains("case-sensitive"), "{v}");
    assert!(exported_account(&emu, "jared").await.expect("jared")["kicked_at"].is_null());
}

#[tokio::test]
async fn a_deleted_account_is_70107() {
    let emu = emu().await;
    let v = emu
        .call(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "tommy"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu.call(KICK, json!({"UserID": "tommy"})).await;
    assert_eq!(code(&v), 70107, "{v}");
    assert!(
        exported_account(&emu, "tommy").await.is_none(),
        "not brought back"
    );
}

#[tokio::test]
async fn kicking_an_admin_stores_it_with_kicked_at_and_its_rest_calls_go_on() {
    let emu = emu().await;
    assert!(
        exported_account(&emu, "admin").await.is_none(),
        "admins are not stored accounts"
    );
    let v = emu.call(KICK, json!({"UserID": "admin"})).await;
    assert_eq!(code(&v), 0, "admins count as imported: {v}");
    let a = exported_account(&emu, "admin")
        .await
        .expect("the kicked admin is listed");
    assert_eq!(a["kicked_at"], NOW, "{a}");
    let v = emu.call(KICK, json!({"UserID": "administrator"})).await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n"}))
        .await;
    assert_eq!(code(&v), 0, "the kicked admin's REST calls still work: {v}");
    let v = emu
        .call(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "admin"}]}),
        )
        .await;
    assert_eq!(v["ResultItem"][0]["AccountStatus"], "Imported");
}

#[tokio::test]
async fn importing_a_kicked_account_again_keeps_its_kicked_at() {
    let emu = emu().await;
    assert_eq!(code(&emu.call(KICK, json!({"UserID": "tommy"})).await), 0);
    let v = emu
        .call(
            "im_open_login_svc/account_import",
            json!({"UserID": "tommy", "Nick": "T"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let a = exported_account(&emu, "tommy").await.expect("tommy");
    assert_eq!(
        (a["Nick"].clone(), a["kicked_at"].clone()),
        (json!("T"), json!(NOW))
    );
}

#[tokio::test]
async fn with_auto_import_any_account_can_be_kicked_and_is_recorded() {
    let mut s = settings(Limits::UNLIMITED);
    s.auto_import_accounts = true;
    let emu = Emu::start_with(s).await;
    let v = emu.call(KICK, json!({"UserID": "stranger"})).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        exported_account(&emu, "stranger").await.expect("recorded")["kicked_at"],
        NOW
    );
}

// ---- multiaccount_import with AccountList (spec §23.1) ----

#[tokio::test]
async fn account_list_imports_each_account_with_its_profile() {
    let emu = Emu::start_with(settings(Limits::UNLIMITED)).await;
    let v = emu
        .call(
            MULTI,
            json!({"AccountList": [
                {"UserID": "u1", "Nick": "Nick 1", "FaceUrl": "http://www.qq.com"},
                {"UserID": "u2", "Nick": "昵称"},
                {"UserID": "u3"}
            ]}),
        )
        .await;
    assert_eq!(
        v,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "FailAccounts": []})
    );
    let a = exported_account(&emu, "u1").await.expect("u1");
    assert_eq!(
        (a["Nick"].clone(), a["FaceUrl"].clone()),
        (json!("Nick 1"), json!("http://www.qq.com"))
    );
    let a = exported_account(&emu, "u2").await.expect("u2");
    assert_eq!(
        (a["Nick"].clone(), a["FaceUrl"].clone()),
        (json!("昵称"), json!(""))
    );
    let a = exported_account(&emu, "u3").await.expect("u3");
    assert_eq!(
        (a["Nick"].clone(), a["FaceUrl"].clone()),
        (json!(""), json!(""))
    );
}

#[tokio::test]
async fn account_list_updates_an_existing_account_like_account_import_and_a_repeat_updates_again() {
    let emu = Emu::start_with(settings(Limits::UNLIMITED)).await;
    let v = emu
        .call(
            "im_open_login_svc/account_import",
            json!({"UserID": "u1", "Nick": "old", "FaceUrl": "http://old"}),
        )
        .await;
    assert_eq!(code(&v), 0);
    assert_eq!(code(&emu.call(KICK, json!({"UserID": "u1"})).await), 0);
    let v = emu
        .call(MULTI, json!({"AccountList": [{"UserID": "u1", "Nick": "new"}, {"UserID": "u2", "Nick": "first"}, {"UserID": "u2", "Nick": "second"}]}))
        .await;
    assert_eq!(v["FailAccounts"], json!([]), "{v}");
    let a = exported_account(&emu, "u1").await.expect("u1");
    assert_eq!(a["Nick"], "new");
    assert_eq!(
        a["FaceUrl"], "",
        "an absent FaceUrl is cleared, as account_import does"
    );
    assert_eq!(a["kicked_at"], NOW, "what else the account holds stays");
    assert_eq!(
        exported_account(&emu, "u2").await.expect("u2")["Nick"],
        "second"
    );
}

#[tokio::test]
async fn account_list_items_with_a_bad_user_id_are_listed_and_the_rest_imported() {
    let emu = Emu::start_with(settings(Limits::UNLIMITED)).await;
    let ok32 = format!("{}ab", "用".repeat(10));
    let bad33 = format!("{}abc", "用".repeat(10));
    let v = emu
        .call(
            MULTI,
            json!({"AccountList": [
                {"UserID": "a".repeat(32)},
                {"UserID": "a".repeat(33), "Nick": "n"},
                {"UserID": ok32},
                {"UserID": bad33},
                {"UserID": ""},
                {"Nick": "no id"},
                {"UserID": null}
            ]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        v["FailAccounts"],
        json!(["a".repeat(33), bad33, "", "", ""])
    );
    assert!(exported_account(&emu, &"a".repeat(32)).await.is_some());
    assert!(exported_account(&emu, &ok32).await.is_some());
    assert_eq!(
        export(&emu).await["accounts"]
            .as_array()
            .expect("accounts")
            .len(),
        2
    );
}

#[tokio::test]
async fn account_list_takes_1_to_100_items_else_70402() {
    let emu = Emu::start_with(settings(Limits::UNLIMITED)).await;
    let list = |n: usize| -> Value { (0..n).map(|i| json!({"UserID": format!("u{i}")})).collect() };
    let v = emu.call(MULTI, json!({"AccountList": list(101)})).await;
    assert_eq!(code(&v), 70402, "{v}");
    assert!(
        info(&v).contains("AccountList") && info(&v).contains("100"),
        "{v}"
    );
    assert!(
        export(&emu).await["accounts"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "nothing imported"
    );
    let v = emu.call(MULTI, json!({"AccountList": []})).await;
    assert_eq!(code(&v), 70402, "{v}");
    let v = emu.call(MULTI, json!({"AccountList": list(100)})).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        export(&emu).await["accounts"]
            .as_array()
            .expect("accounts")
            .len(),
        100
    );
}

#[tokio::test]
async fn account_list_wins_over_accounts_even_a_malformed_one() {
    let emu = Emu::start_with(settings(Limits::UNLIMITED)).await;
    let v = emu
        .call(
            MULTI,
            json!({"AccountList": [{"UserID": "listed"}], "Accounts": ["plain"]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert!(exported_account(&emu, "listed").await.is_some());
    assert!(
        exported_account(&emu, "plain").await.is_none(),
        "Accounts was not used"
    );
    let v = emu
        .call(
            MULTI,
            json!({"AccountList": [{"UserID": "l2"}], "Accounts": "not a list"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu
        .call(MULTI, json!({"AccountList": null, "Accounts": ["plain"]}))
        .await;
    assert_eq!(code(&v), 0, "a null AccountList is absent: {v}");
    assert!(exported_account(&emu, "plain").await.is_some());
}

#[tokio::test]
async fn a_request_with_neither_list_or_a_malformed_account_list_is_70402_or_60015() {
    let emu = Emu::start_with(settings(Limits::UNLIMITED)).await;
    let table = [
        ("neither", json!({}), 70402),
        (
            "both null",
            json!({"AccountList": null, "Accounts": null}),
            70402,
        ),
        (
            "AccountList not an array",
            json!({"AccountList": {"UserID": "u"}}),
            70402,
        ),
        ("AccountList a string", json!({"AccountList": "u"}), 70402),
        (
            "UserID not a string",
            json!({"AccountList": [{"UserID": 5}]}),
            60015,
        ),
    ];
    for (what, body, want) in table {
        let v = emu.call(MULTI, body).await;
        assert_eq!(code(&v), want, "{what}: {v}");
    }
    // Spec §23.1: an item that breaks a rule is listed in FailAccounts, the others imported.
    let v = emu
        .call(
            MULTI,
            json!({"AccountList": ["x", {"UserID": "w", "Nick": 5}, {"UserID": "v", "FaceUrl": []}, {"UserID": "u"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(v["FailAccounts"], json!(["", "w", "v"]), "{v}");
    assert!(
        exported_account(&emu, "u").await.is_some(),
        "the good item is imported"
    );
    assert!(exported_account(&emu, "w").await.is_none());
    let v = emu.call(MULTI, json!({})).await;
    assert!(
        info(&v).contains("AccountList") && info(&v).contains("Accounts"),
        "{v}"
    );
}

#[tokio::test]
async fn multiaccount_import_needs_an_admin_in_either_form() {
    let emu = emu().await;
    for body in [
        json!({"AccountList": [{"UserID": "x"}]}),
        json!({"Accounts": ["x"]}),
    ] {
        let v = emu.call_as(APP, "tommy", MULTI, body.clone()).await;
        assert_eq!(code(&v), 70403, "{body}: {v}");
    }
    assert!(exported_account(&emu, "x").await.is_none());
}

#[tokio::test]
async fn the_accounts_form_still_keeps_an_existing_profile() {
    let emu = Emu::start_with(settings(Limits::UNLIMITED)).await;
    let v = emu
        .call(
            "im_open_login_svc/account_import",
            json!({"UserID": "u1", "Nick": "kept"}),
        )
        .await;
    assert_eq!(code(&v), 0);
    let v = emu.call(MULTI, json!({"Accounts": ["u1", "u2", ""]})).await;
    assert_eq!(v["FailAccounts"], json!([""]), "{v}");
    assert_eq!(
        exported_account(&emu, "u1").await.expect("u1")["Nick"],
        "kept"
    );
    assert!(exported_account(&emu, "u2").await.is_some());
}

/// Spec §22.1 and §10.4: the count over the cap (10005) comes before each item's form.
#[tokio::test]
async fn import_member_batch_cap_is_checked_before_the_items_are_typed() {
    let emu = crate::common::Emu::start().await;
    let v = emu
        .create_group(serde_json::json!({"GroupId": "g", "Type": "Public", "Name": "g"}))
        .await;
    assert_eq!(crate::common::code(&v), 0, "{v}");
    let items: Vec<serde_json::Value> = (0..301)
        .map(|i| serde_json::json!({"Member_Account": format!("u{i}"), "JoinTime": "x"}))
        .collect();
    let v = emu
        .call(
            "group_open_http_svc/import_group_member",
            serde_json::json!({"GroupId": "g", "MemberList": items}),
        )
        .await;
    assert_eq!(crate::common::code(&v), 10005, "{v}");
}
