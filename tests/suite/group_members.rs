//! add_group_member and delete_group_member over HTTP (spec §12, §13): every rule on both sides,
//! every code, the order of checks, that a refused request changes nothing, the callbacks they
//! fire (against a real receiver on loopback), and member counts under concurrent adds and
//! removals.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::receiver::{Receiver, Reply, allow, assert_keys_in_order};
use common::{Emu, code, info};
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{Apps, CallbackConfig, Limits};

const ADD: &str = "group_open_http_svc/add_group_member";
const DEL: &str = "group_open_http_svc/delete_group_member";
const MEMBERS: &str = "group_open_http_svc/get_group_member_info";

const BEFORE_INVITE: &str = "Group.CallbackBeforeInviteJoinGroup";
const AFTER_JOIN: &str = "Group.CallbackAfterNewMemberJoin";
const AFTER_FULL: &str = "Group.CallbackAfterGroupFull";
const AFTER_EXIT: &str = "Group.CallbackAfterMemberExit";
const ALL: [&str; 4] = [BEFORE_INVITE, AFTER_JOIN, AFTER_FULL, AFTER_EXIT];

/// The accounts every test imports.
const PEOPLE: [&str; 6] = ["leckie", "tommy", "jared", "bob", "peter", "张三"];

// ---- harness ----

async fn emu_with(limits: Limits) -> Emu {
    let emu = Emu::start_with_limits(limits).await;
    emu.import(&PEOPLE).await;
    emu
}

/// The default profile's limits (batch caps 500 / 500).
async fn emu() -> Emu {
    let emu = Emu::start().await;
    emu.import(&PEOPLE).await;
    emu
}

/// Creates `id` of `kind` owned by leckie with `members`; `max` sets MaxMemberCount.
async fn group(emu: &Emu, id: &str, kind: &str, members: &[&str], max: Option<u32>) {
    group_of(emu, Some("leckie"), id, kind, members, max).await;
}

/// The same without an owner: for tests of the groups-per-user quota, which create_group
/// applies to the owner too (spec §25).
async fn ownerless(emu: &Emu, id: &str, kind: &str, members: &[&str], max: Option<u32>) {
    group_of(emu, None, id, kind, members, max).await;
}

async fn group_of(
    emu: &Emu,
    owner: Option<&str>,
    id: &str,
    kind: &str,
    members: &[&str],
    max: Option<u32>,
) {
    let list: Vec<Value> = members
        .iter()
        .map(|m| json!({"Member_Account": m}))
        .collect();
    let mut body = json!({"Owner_Account": owner, "Type": kind, "GroupId": id, "Name": "G"});
    if !list.is_empty() {
        body["MemberList"] = json!(list);
    }
    if let Some(max) = max {
        body["MaxMemberCount"] = json!(max);
    }
    let v = emu.create_group(body).await;
    assert_eq!(code(&v), 0, "{v}");
}

async fn add(emu: &Emu, id: &str, accounts: &[&str]) -> Value {
    emu.call(ADD, add_body(id, accounts)).await
}

fn add_body(id: &str, accounts: &[&str]) -> Value {
    let list: Vec<Value> = accounts
        .iter()
        .map(|a| json!({"Member_Account": a}))
        .collect();
    json!({"GroupId": id, "MemberList": list})
}

async fn del(emu: &Emu, id: &str, accounts: &[&str]) -> Value {
    emu.call(DEL, json!({"GroupId": id, "MemberToDel_Account": accounts}))
        .await
}

/// `[(account, Result)]` of an add_group_member answer.
fn results(v: &Value) -> Vec<(String, i64)> {
    assert_eq!(code(v), 0, "{v}");
    v["MemberList"]
        .as_array()
        .unwrap_or_else(|| panic!("no MemberList in {v}"))
        .iter()
        .map(|r| {
            let a = r["Member_Account"].as_str().expect("account").to_string();
            (a, r["Result"].as_i64().expect("Result"))
        })
        .collect()
}

fn pairs(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(a, r)| (a.to_string(), *r)).collect()
}

/// The member entries of `id`, in order.
async fn member_list(emu: &Emu, id: &str) -> Vec<Value> {
    let v = emu.call(MEMBERS, json!({"GroupId": id})).await;
    assert_eq!(code(&v), 0, "{v}");
    let list = v["MemberList"].as_array().expect("MemberList").clone();
    assert_eq!(v["MemberNum"], list.len(), "MemberNum is the list's length");
    list
}

async fn accounts_of(emu: &Emu, id: &str) -> Vec<String> {
    member_list(emu, id)
        .await
        .iter()
        .map(|m| m["Member_Account"].as_str().expect("account").to_string())
        .collect()
}

async fn member(emu: &Emu, id: &str, account: &str) -> Option<Value> {
    member_list(emu, id)
        .await
        .into_iter()
        .find(|m| m["Member_Account"] == account)
}

/// Freezes the emulator's clock at `secs` (unix seconds).
async fn set_clock(emu: &Emu, secs: u64) {
    let body = json!({"set_ms": secs * 1000}).to_string().into_bytes();
    let raw = emu
        .request(reqwest::Method::POST, "/_emulator/clock", body)
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
}

/// Asserts that `f` leaves the group `id` exactly as it was, and returns its answer.
async fn unchanged<F, Fut>(emu: &Emu, id: &str, f: F) -> Value
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let before = emu.group_info(id).await;
    let v = f().await;
    assert_eq!(emu.group_info(id).await, before, "refused: {v}");
    v
}

/// Lets the after-events of earlier calls arrive before a test asserts that one was NOT sent:
/// sends a marker event (a delete that removes `marker` from `group`) and waits for it.
/// After-events leave one queue in order, so an event wrongly queued earlier has almost surely
/// arrived by then; the wait can only make such a check weaker, never flaky.
async fn settle(backend: &Receiver, emu: &Emu, group: &str, marker: &str) {
    let before = backend.bodies(AFTER_EXIT).len();
    assert_eq!(code(&del(emu, group, &[marker]).await), 0);
    for _ in 0..250 {
        if backend.bodies(AFTER_EXIT).len() > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "the marker callback never arrived; got {:?}",
        backend.commands()
    );
}

fn callbacks(url: &str, events: &[&str]) -> CallbackConfig {
    CallbackConfig {
        url: url.to_string(),
        events: events.iter().map(|e| e.to_string()).collect(),
        token: None,
        timeout_ms: 2000,
        fail_closed: false,
        block_send_on_failure: false,
    }
}

async fn emu_calling(cb: CallbackConfig) -> Emu {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.apps.set_zero_config_callback(Some(cb));
    let emu = Emu::start_with(s).await;
    emu.import(&PEOPLE).await;
    emu
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|m| m["Member_Account"].as_str().expect("account").to_string())
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---- add_group_member: what it does ----

#[tokio::test]
async fn add_puts_new_members_after_the_existing_ones_with_default_fields() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["bob"], None).await;
    set_clock(&emu, 1_800_000_000).await;
    let v = add(&emu, "g", &["tommy", "张三", "jared"]).await;
    assert_eq!(
        results(&v),
        pairs(&[("tommy", 1), ("张三", 1), ("jared", 1)])
    );
    assert_eq!(
        accounts_of(&emu, "g").await,
        strings(&["leckie", "bob", "tommy", "张三", "jared"])
    );
    let m = member(&emu, "g", "张三").await.expect("member");
    assert_eq!(m["Role"], "Member");
    assert_eq!(m["JoinTime"], 1_800_000_000u64);
    assert_eq!(
        (m["MsgSeq"].clone(), m["LastSendMsgTime"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(m["MsgFlag"], "AcceptAndNotify");
    assert_eq!(
        (m["MuteUntil"].clone(), m["ShutUpUntil"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(m["NameCard"], "");
    assert_eq!(m["AppMemberDefinedData"], json!([]));
    assert_eq!(emu.group_info("g").await["MemberNum"], 5);
}

#[tokio::test]
async fn add_answers_only_the_member_list_in_the_vendor_envelope() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[], None).await;
    let raw = emu
        .post_raw(
            ADD,
            &Emu::query(common::APP, "admin"),
            add_body("g", &["bob"]).to_string(),
        )
        .await;
    assert_eq!(
        raw.body,
        r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MemberList":[{"Member_Account":"bob","Result":1}]}"#
    );
}

#[tokio::test]
async fn existing_members_get_result_2_and_keep_their_role_and_join_time() {
    let emu = emu().await;
    set_clock(&emu, 1_800_000_000).await;
    let body = json!({"Owner_Account": "leckie", "Type": "Public", "GroupId": "g", "Name": "G",
        "MemberList": [{"Member_Account": "bob", "Role": "Admin"}]});
    assert_eq!(code(&emu.create_group(body).await), 0);
    set_clock(&emu, 1_800_000_500).await;
    let v = add(&emu, "g", &["bob", "tommy", "leckie"]).await;
    assert_eq!(
        results(&v),
        pairs(&[("bob", 2), ("tommy", 1), ("leckie", 2)])
    );
    let bob = member(&emu, "g", "bob").await.expect("bob");
    assert_eq!(
        (bob["Role"].clone(), bob["JoinTime"].clone()),
        (json!("Admin"), json!(1_800_000_000u64))
    );
    let owner = member(&emu, "g", "leckie").await.expect("owner");
    assert_eq!(owner["Role"], "Owner");
    let tommy = member(&emu, "g", "tommy").await.expect("tommy");
    assert_eq!(tommy["JoinTime"], 1_800_000_500u64);
}

#[tokio::test]
async fn a_repeated_account_counts_once_in_first_seen_order() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["bob"], Some(4)).await;
    let v = add(
        &emu,
        "g",
        &["tommy", "bob", "tommy", "jared", "bob", "jared"],
    )
    .await;
    assert_eq!(
        results(&v),
        pairs(&[("tommy", 1), ("bob", 2), ("jared", 1)])
    );
    assert_eq!(emu.group_info("g").await["MemberNum"], 4);
}

#[tokio::test]
async fn add_works_for_private_public_and_chatroom_groups() {
    let emu = emu().await;
    for kind in ["Private", "Public", "ChatRoom"] {
        group(&emu, kind, kind, &[], None).await;
        assert_eq!(
            results(&add(&emu, kind, &["bob"]).await),
            pairs(&[("bob", 1)]),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn silence_0_and_1_add_alike() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[], None).await;
    for (silence, who) in [(0, "bob"), (1, "tommy")] {
        let mut body = add_body("g", &[who]);
        body["Silence"] = json!(silence);
        assert_eq!(results(&emu.call(ADD, body).await), pairs(&[(who, 1)]));
    }
}

#[tokio::test]
async fn an_add_moves_last_info_time_to_now_but_not_info_seq() {
    let emu = emu().await;
    set_clock(&emu, 1_800_000_000).await;
    group(&emu, "g", "Public", &["bob"], None).await;
    let before = emu.group_info("g").await;
    assert_eq!(before["LastInfoTime"], 1_800_000_000u64);
    set_clock(&emu, 1_800_000_100).await;
    results(&add(&emu, "g", &["bob"]).await);
    assert_eq!(
        emu.group_info("g").await["LastInfoTime"],
        1_800_000_000u64,
        "an add of members only changes nothing"
    );
    results(&add(&emu, "g", &["tommy"]).await);
    let after = emu.group_info("g").await;
    assert_eq!(after["LastInfoTime"], 1_800_000_100u64);
    assert_eq!(after["InfoSeq"], before["InfoSeq"]);
    assert_eq!(after["NextMsgSeq"], before["NextMsgSeq"]);
}

#[tokio::test]
async fn a_mute_recorded_before_joining_shows_after_joining_and_survives_leaving() {
    let emu = emu().await;
    set_clock(&emu, 1_800_000_000).await;
    let doc = json!({"apps": [{"sdkappid": common::APP,
        "accounts": [{"UserID": "leckie"}, {"UserID": "bob"}, {"UserID": "peter"}],
        "groups": [{"GroupId": "g", "Type": "Public", "Name": "G", "Owner_Account": "leckie",
            "CreateTime": 1_700_000_000u64,
            "MemberList": [{"Member_Account": "leckie", "Role": "Owner"}],
            "MutedAccounts": {"bob": 1_800_000_600u64, "peter": 1_799_999_999u64}}]}]});
    let raw = emu
        .request(
            reqwest::Method::PUT,
            "/_emulator/state",
            doc.to_string().into_bytes(),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    results(&add(&emu, "g", &["bob", "peter"]).await);
    let bob = member(&emu, "g", "bob").await.expect("bob");
    assert_eq!(
        (bob["MuteUntil"].clone(), bob["ShutUpUntil"].clone()),
        (json!(1_800_000_600u64), json!(1_800_000_600u64))
    );
    let peter = member(&emu, "g", "peter").await.expect("peter");
    assert_eq!(peter["MuteUntil"], 0, "an expired mute reads 0");

    assert_eq!(code(&del(&emu, "g", &["bob"]).await), 0);
    results(&add(&emu, "g", &["bob"]).await);
    let bob = member(&emu, "g", "bob").await.expect("bob again");
    assert_eq!(
        bob["MuteUntil"], 1_800_000_600u64,
        "the mute outlived leaving"
    );
}

// ---- add_group_member: refusals ----

#[tokio::test]
async fn malformed_add_requests_are_10004_or_60015_and_change_nothing() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["bob"], None).await;
    let table: &[(Value, i64)] = &[
        (json!({"GroupId": "g"}), 10004),
        (json!({"GroupId": "g", "MemberList": null}), 10004),
        (json!({"GroupId": "g", "MemberList": []}), 10004),
        (
            json!({"GroupId": "g", "MemberList": {"Member_Account": "tommy"}}),
            10004,
        ),
        (json!({"GroupId": "g", "MemberList": "tommy"}), 10004),
        (json!({"GroupId": "g", "MemberList": ["tommy"]}), 10004),
        (json!({"GroupId": "g", "MemberList": [{}]}), 10004),
        (
            json!({"GroupId": "g", "MemberList": [{"Member_Account": null}]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "MemberList": [{"Member_Account": ""}]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "tommy"}, {"member_account": "jared"}]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "MemberList": [{"Member_Account": 5}]}),
            60015,
        ),
        (
            json!({"GroupId": "g", "MemberList": [{"Member_Account": ["tommy"]}]}),
            60015,
        ),
        (
            json!({"GroupId": "g", "Silence": 2, "MemberList": [{"Member_Account": "tommy"}]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "Silence": -1, "MemberList": [{"Member_Account": "tommy"}]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "Silence": "1", "MemberList": [{"Member_Account": "tommy"}]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "Silence": true, "MemberList": [{"Member_Account": "tommy"}]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "Silence": 0.5, "MemberList": [{"Member_Account": "tommy"}]}),
            10004,
        ),
        (json!({"MemberList": [{"Member_Account": "tommy"}]}), 10004),
        (
            json!({"GroupId": 5, "MemberList": [{"Member_Account": "tommy"}]}),
            10004,
        ),
        (
            json!({"GroupId": "", "MemberList": [{"Member_Account": "tommy"}]}),
            10015,
        ),
        (
            json!({"GroupId": "g\u{1}", "MemberList": [{"Member_Account": "tommy"}]}),
            10015,
        ),
        (
            json!({"GroupId": "nope", "MemberList": [{"Member_Account": "tommy"}]}),
            10010,
        ),
    ];
    for (body, want) in table {
        let v = unchanged(&emu, "g", || emu.call(ADD, body.clone())).await;
        assert_eq!(code(&v), *want, "{body} -> {v}");
    }
}

#[tokio::test]
async fn the_errors_name_the_field_and_hint_at_case() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[], None).await;
    let v = emu
        .call(ADD, json!({"GroupId": "g", "memberList": []}))
        .await;
    assert!(
        info(&v).contains("MemberList") && info(&v).contains("case-sensitive"),
        "{v}"
    );
    let v = emu
        .call(
            ADD,
            json!({"GroupId": "g", "MemberList": [{"member_account": "bob"}]}),
        )
        .await;
    assert!(info(&v).contains("MemberList[0].Member_Account"), "{v}");
    assert!(info(&v).contains("case-sensitive"), "{v}");
    let v = emu
        .call(
            ADD,
            json!({"GroupId": "g", "Silence": 3, "MemberList": [{"Member_Account": "bob"}]}),
        )
        .await;
    assert!(info(&v).contains("Silence"), "{v}");
}

#[tokio::test]
async fn a_group_id_is_judged_by_its_bytes_not_its_characters() {
    let emu = emu().await;
    // 16 CJK characters are 48 bytes: with one more ASCII byte the 49-byte limit is reached.
    let at_limit = format!("{}a", "群".repeat(16));
    let over = format!("{}ab", "群".repeat(16));
    assert_eq!(at_limit.len(), 49);
    group(&emu, &at_limit, "Public", &[], None).await;
    assert_eq!(
        results(&add(&emu, &at_limit, &["bob"]).await),
        pairs(&[("bob", 1)])
    );
    assert_eq!(code(&add(&emu, &over, &["bob"]).await), 10015);
    let unknown = format!("{}b", "群".repeat(16));
    assert_eq!(code(&add(&emu, &unknown, &["bob"]).await), 10010);
}

#[tokio::test]
async fn the_default_batch_cap_is_500_items_and_501_is_10005() {
    let emu = emu().await;
    group(&emu, "g", "ChatRoom", &[], None).await;
    let ids: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    emu.import_many(&ids).await;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let v = unchanged(&emu, "g", || add(&emu, "g", &refs)).await;
    assert_eq!(code(&v), 10005, "{v}");
    assert!(info(&v).contains("501") && info(&v).contains("500"), "{v}");
    let v = add(&emu, "g", &refs[..500]).await;
    assert_eq!(results(&v).len(), 500);
    assert_eq!(emu.group_info("g").await["MemberNum"], 501);
}

#[tokio::test]
async fn the_batch_cap_comes_from_the_app_limits_and_counts_repeats() {
    let emu = emu_with(Limits {
        add_group_member_batch: 3,
        ..Limits::UNLIMITED
    })
    .await;
    group(&emu, "g", "Public", &[], None).await;
    let v = unchanged(&emu, "g", || add(&emu, "g", &["bob", "bob", "bob", "bob"])).await;
    assert_eq!(
        code(&v),
        10005,
        "items are counted before repeats are merged: {v}"
    );
    let v = add(&emu, "g", &["bob", "tommy", "bob"]).await;
    assert_eq!(results(&v), pairs(&[("bob", 1), ("tommy", 1)]));
}

#[tokio::test]
async fn a_batch_cap_of_0_means_no_cap() {
    let emu = emu_with(Limits::UNLIMITED).await;
    group(&emu, "g", "Public", &[], None).await;
    let many: Vec<String> = (0..700).map(|i| format!("ghost{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        code(&add(&emu, "g", &refs).await),
        10019,
        "past the cap check"
    );
}

#[tokio::test]
async fn avchatroom_and_bchatroom_groups_refuse_adds_with_10007() {
    let emu = emu().await;
    for kind in ["AVChatRoom", "BChatRoom"] {
        group(&emu, kind, kind, &[], None).await;
        let v = unchanged(&emu, kind, || add(&emu, kind, &["bob"])).await;
        assert_eq!(code(&v), 10007, "{kind}: {v}");
        assert!(info(&v).contains(kind), "{v}");
    }
}

#[tokio::test]
async fn an_account_that_is_not_imported_refuses_the_whole_request_with_10019() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[], None).await;
    let v = unchanged(&emu, "g", || {
        add(&emu, "g", &["bob", "ghost", "tommy", "ghost2"])
    })
    .await;
    assert_eq!(code(&v), 10019, "{v}");
    assert!(
        info(&v).contains("\"ghost\"") && info(&v).contains("ghost2"),
        "{v}"
    );
    assert_eq!(accounts_of(&emu, "g").await, strings(&["leckie"]));
}

#[tokio::test]
async fn a_group_at_max_member_num_refuses_newcomers_with_10014_all_or_nothing() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["bob"], Some(4)).await;
    let v = unchanged(&emu, "g", || add(&emu, "g", &["tommy", "jared", "peter"])).await;
    assert_eq!(code(&v), 10014, "3 newcomers into 2 free places: {v}");
    assert!(
        info(&v).contains("MaxMemberNum 4") && info(&v).contains("at most 2"),
        "{v}"
    );
    let v = add(&emu, "g", &["tommy", "jared"]).await;
    assert_eq!(
        results(&v),
        pairs(&[("tommy", 1), ("jared", 1)]),
        "exactly full"
    );
    assert_eq!(emu.group_info("g").await["MemberNum"], 4);
    let v = unchanged(&emu, "g", || add(&emu, "g", &["peter"])).await;
    assert_eq!(code(&v), 10014, "{v}");
    let v = add(&emu, "g", &["bob", "tommy"]).await;
    assert_eq!(
        results(&v),
        pairs(&[("bob", 2), ("tommy", 2)]),
        "members already in take no place"
    );
}

#[tokio::test]
async fn the_joined_groups_quota_refuses_a_newcomer_at_the_limit_with_10037() {
    let emu = emu_with(Limits {
        groups_per_user: 2,
        ..Limits::UNLIMITED
    })
    .await;
    ownerless(&emu, "a", "Public", &["bob"], None).await;
    ownerless(&emu, "b", "Public", &[], None).await;
    ownerless(&emu, "c", "Public", &[], None).await;
    assert_eq!(
        results(&add(&emu, "b", &["bob"]).await),
        pairs(&[("bob", 1)]),
        "1 -> 2 groups"
    );
    let v = unchanged(&emu, "c", || add(&emu, "c", &["tommy", "bob"])).await;
    assert_eq!(code(&v), 10037, "bob is in 2 groups already: {v}");
    assert!(info(&v).contains("bob") && info(&v).contains('2'), "{v}");
    assert_eq!(
        results(&add(&emu, "b", &["bob"]).await),
        pairs(&[("bob", 2)]),
        "a member's own group does not count against them"
    );
    assert_eq!(code(&del(&emu, "a", &["bob"]).await), 0);
    assert_eq!(
        results(&add(&emu, "c", &["bob"]).await),
        pairs(&[("bob", 1)]),
        "room again"
    );
}

#[tokio::test]
async fn without_groups_per_user_there_is_no_joined_groups_quota() {
    let emu = emu().await;
    for i in 0..5 {
        let id = format!("g{i}");
        group(&emu, &id, "Public", &[], None).await;
        assert_eq!(
            results(&add(&emu, &id, &["bob"]).await),
            pairs(&[("bob", 1)])
        );
    }
}

#[tokio::test]
async fn a_caller_who_is_not_an_admin_gets_10007_before_anything_else() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[], None).await;
    let v = emu
        .call_as(
            common::APP,
            "bob",
            ADD,
            json!({"GroupId": "", "MemberList": []}),
        )
        .await;
    assert_eq!(code(&v), 10007, "{v}");
    let v = emu
        .call_as(common::APP, "bob", DEL, json!({"GroupId": 5}))
        .await;
    assert_eq!(code(&v), 10007, "{v}");
}

#[tokio::test]
async fn add_checks_run_in_the_spec_order() {
    let emu = emu_with(Limits {
        add_group_member_batch: 2,
        groups_per_user: 1,
        ..Limits::UNLIMITED
    })
    .await;
    ownerless(&emu, "full", "Public", &["jared"], Some(1)).await;
    ownerless(&emu, "av", "AVChatRoom", &[], None).await;
    ownerless(&emu, "other", "Public", &["bob"], None).await;
    let item = |a: &str| json!({"Member_Account": a});
    let table: &[(&str, Value, i64)] = &[
        (
            "the batch cap before a missing GroupId",
            json!({"MemberList": [item("a"), item("b"), item("c")]}),
            10005,
        ),
        (
            "the batch cap before a malformed GroupId",
            json!({"GroupId": "", "MemberList": [item("a"), item("b"), item("c")]}),
            10005,
        ),
        (
            "an empty list before an unknown group",
            json!({"GroupId": "nope", "MemberList": []}),
            10004,
        ),
        (
            "a bad Silence before an unknown group",
            json!({"GroupId": "nope", "Silence": 9, "MemberList": [item("a")]}),
            10004,
        ),
        (
            "a bad item before an unknown group",
            json!({"GroupId": "nope", "MemberList": [item("")]}),
            10004,
        ),
        (
            "a malformed GroupId before lookup",
            json!({"GroupId": "", "MemberList": [item("ghost")]}),
            10015,
        ),
        (
            "an unknown group before unknown accounts",
            json!({"GroupId": "nope", "MemberList": [item("ghost")]}),
            10010,
        ),
        (
            "the type before unknown accounts",
            json!({"GroupId": "av", "MemberList": [item("ghost")]}),
            10007,
        ),
        (
            "unknown accounts before the quota",
            json!({"GroupId": "full", "MemberList": [item("bob"), item("ghost")]}),
            10019,
        ),
        (
            "the quota before capacity",
            json!({"GroupId": "full", "MemberList": [item("bob")]}),
            10037,
        ),
        (
            "capacity last",
            json!({"GroupId": "full", "MemberList": [item("tommy")]}),
            10014,
        ),
    ];
    for (what, body, want) in table {
        let v = emu.call(ADD, body.clone()).await;
        assert_eq!(code(&v), *want, "{what}: {v}");
    }
}

// ---- add_group_member: callbacks ----

#[tokio::test]
async fn before_invite_names_only_the_newcomers_and_the_after_events_follow() {
    let rx = Receiver::start(allow()).await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "Public", &["bob", "peter"], Some(5)).await;
    let mut body = add_body("g", &["tommy", "bob", "jared"]);
    body["Silence"] = json!(1);
    let v = emu.call(ADD, body).await;
    assert_eq!(
        results(&v),
        pairs(&[("tommy", 1), ("bob", 2), ("jared", 1)])
    );
    let b = rx.wait_for(BEFORE_INVITE).await.body;
    let raw = rx.raw(BEFORE_INVITE).expect("raw body");
    assert_keys_in_order(
        &raw,
        &[
            "CallbackCommand",
            "GroupId",
            "Type",
            "Operator_Account",
            "DestinationMembers",
            "EventTime",
        ],
    );
    assert_eq!(b["CallbackCommand"], BEFORE_INVITE);
    assert_eq!(
        (b["GroupId"].clone(), b["Type"].clone()),
        (json!("g"), json!("Public"))
    );
    assert_eq!(b["Operator_Account"], "admin");
    assert_eq!(
        names(&b["DestinationMembers"]),
        strings(&["tommy", "jared"])
    );
    assert!(b["EventTime"].as_u64().expect("ms") > 1_600_000_000_000);

    let j = rx.wait_for(AFTER_JOIN).await.body;
    assert_eq!(j["CallbackCommand"], AFTER_JOIN);
    assert_eq!(
        (j["GroupId"].clone(), j["Type"].clone()),
        (json!("g"), json!("Public"))
    );
    assert_eq!(j["JoinType"], "Invited");
    assert_eq!(j["Operator_Account"], "admin");
    assert_eq!(names(&j["NewMemberList"]), strings(&["tommy", "jared"]));
    assert!(j["EventTime"].is_u64());

    let f = rx.wait_for(AFTER_FULL).await.body;
    assert_eq!(
        f,
        json!({"CallbackCommand": AFTER_FULL, "GroupId": "g", "EventTime": f["EventTime"]})
    );
    assert!(f["EventTime"].is_u64());
}

#[tokio::test]
async fn no_before_invite_is_sent_when_everyone_is_a_member_already() {
    let rx = Receiver::start(allow()).await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "Public", &["bob", "tommy"], Some(3)).await;
    assert_eq!(
        results(&add(&emu, "g", &["bob"]).await),
        pairs(&[("bob", 2)])
    );
    settle(&rx, &emu, "g", "tommy").await;
    assert_eq!(
        rx.commands(),
        [AFTER_EXIT],
        "no invite, join or full event for a no-op"
    );
}

#[tokio::test]
async fn an_add_that_leaves_room_sends_no_group_full_event() {
    let rx = Receiver::start(allow()).await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "Public", &["peter"], Some(4)).await;
    results(&add(&emu, "g", &["bob"]).await);
    rx.wait_for(AFTER_JOIN).await;
    settle(&rx, &emu, "g", "peter").await;
    assert!(rx.bodies(AFTER_FULL).is_empty(), "{:?}", rx.commands());
}

#[tokio::test]
async fn an_add_refused_for_capacity_sends_group_full_and_no_before_invite() {
    let rx = Receiver::start(allow()).await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "Public", &["peter"], Some(2)).await;
    let v = add(&emu, "g", &["bob", "tommy"]).await;
    assert_eq!(code(&v), 10014, "{v}");
    let f = rx.wait_for(AFTER_FULL).await.body;
    assert_eq!(f["GroupId"], "g");
    settle(&rx, &emu, "g", "peter").await;
    assert_eq!(rx.commands(), [AFTER_FULL, AFTER_EXIT]);
}

#[tokio::test]
async fn a_backend_answer_of_1_refuses_the_invitation_with_10016_and_adds_nobody() {
    let rx = Receiver::start(Reply::Json(
        json!({"ActionStatus": "OK", "ErrorInfo": "not these", "ErrorCode": 1}),
    ))
    .await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "Public", &["peter"], None).await;
    let v = unchanged(&emu, "g", || add(&emu, "g", &["bob", "tommy"])).await;
    assert_eq!(code(&v), 10016, "{v}");
    assert!(info(&v).contains("not these"), "{v}");
    settle(&rx, &emu, "g", "peter").await;
    assert_eq!(rx.commands(), [BEFORE_INVITE, AFTER_EXIT]);
}

#[tokio::test]
async fn a_backend_code_in_10100_to_10200_reaches_the_caller_and_adds_nobody() {
    let rx = Receiver::start(Reply::Json(
        json!({"ActionStatus": "FAIL", "ErrorInfo": "club is closed", "ErrorCode": 10123}),
    ))
    .await;
    let emu = emu_calling(callbacks(&rx.url, &[BEFORE_INVITE])).await;
    group(&emu, "g", "Public", &[], None).await;
    let v = unchanged(&emu, "g", || add(&emu, "g", &["bob"])).await;
    assert_eq!((code(&v), info(&v)), (10123, "club is closed"), "{v}");
}

#[tokio::test]
async fn refused_members_get_result_0_and_only_the_others_join() {
    let rx = Receiver::start(Reply::Json(
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "RefusedMembers_Account": ["jared", "bob", "nobody"]}),
    ))
    .await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "Public", &["bob"], Some(4)).await;
    let v = add(&emu, "g", &["tommy", "jared", "bob"]).await;
    assert_eq!(
        results(&v),
        pairs(&[("tommy", 1), ("jared", 0), ("bob", 2)]),
        "a refusal of a member already in changes nothing"
    );
    assert_eq!(
        accounts_of(&emu, "g").await,
        strings(&["leckie", "bob", "tommy"])
    );
    let j = rx.wait_for(AFTER_JOIN).await.body;
    assert_eq!(names(&j["NewMemberList"]), strings(&["tommy"]));
    rx.set_reply(allow());
    settle(&rx, &emu, "g", "bob").await;
    assert!(rx.bodies(AFTER_FULL).is_empty(), "3 of 4: not full");
}

#[tokio::test]
async fn when_every_newcomer_is_refused_nothing_changes_and_no_join_is_reported() {
    let rx = Receiver::start(Reply::Json(
        json!({"ErrorCode": 0, "RefusedMembers_Account": ["tommy"]}),
    ))
    .await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "Public", &["bob"], None).await;
    let v = unchanged(&emu, "g", || add(&emu, "g", &["tommy"])).await;
    assert_eq!(results(&v), pairs(&[("tommy", 0)]));
    settle(&rx, &emu, "g", "bob").await;
    assert_eq!(rx.commands(), [BEFORE_INVITE, AFTER_EXIT]);
}

#[tokio::test]
async fn a_broken_backend_lets_the_add_go_on_unless_failing_closed() {
    let rx = Receiver::start(Reply::Status(500)).await;
    let emu = emu_calling(callbacks(&rx.url, &[BEFORE_INVITE])).await;
    group(&emu, "g", "Public", &[], None).await;
    assert_eq!(
        results(&add(&emu, "g", &["bob"]).await),
        pairs(&[("bob", 1)])
    );

    let mut cb = callbacks(&rx.url, &[BEFORE_INVITE]);
    cb.fail_closed = true;
    let emu = emu_calling(cb).await;
    group(&emu, "g", "Public", &[], None).await;
    let v = unchanged(&emu, "g", || add(&emu, "g", &["bob"])).await;
    assert_eq!(code(&v), 10016, "{v}");
    assert!(info(&v).contains("500"), "{v}");
}

// ---- delete_group_member ----

#[tokio::test]
async fn delete_removes_members_skips_strangers_and_answers_a_bare_ok() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["bob", "tommy", "jared"], None).await;
    let body = json!({"GroupId": "g", "MemberToDel_Account": ["tommy", "peter", "ghost", "tommy"]});
    let raw = emu
        .post_raw(DEL, &Emu::query(common::APP, "admin"), body.to_string())
        .await;
    assert_eq!(
        raw.body,
        r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#
    );
    assert_eq!(
        accounts_of(&emu, "g").await,
        strings(&["leckie", "bob", "jared"])
    );
    assert_eq!(emu.group_info("g").await["MemberNum"], 3);
    let v = del(&emu, "g", &["ghost"]).await;
    assert_eq!(code(&v), 0, "nobody to remove is still a success: {v}");
}

#[tokio::test]
async fn silence_and_reason_are_accepted_and_the_reason_is_kept_in_the_journal() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["bob", "tommy"], None).await;
    let body = json!({"GroupId": "g", "Silence": 1, "Reason": "违规 kick", "MemberToDel_Account": ["bob"]});
    assert_eq!(code(&emu.call(DEL, body).await), 0);
    let body = json!({"GroupId": "g", "Silence": 0, "MemberToDel_Account": ["tommy"]});
    assert_eq!(code(&emu.call(DEL, body).await), 0);
    assert_eq!(accounts_of(&emu, "g").await, strings(&["leckie"]));
    let raw = emu
        .request(
            reqwest::Method::GET,
            "/_emulator/requests?command=delete_group_member",
            Vec::new(),
        )
        .await;
    assert!(raw.body.contains("违规 kick"), "{}", raw.body);
}

#[tokio::test]
async fn malformed_delete_requests_are_10004_or_60015_and_change_nothing() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["bob"], None).await;
    let table: &[(Value, i64)] = &[
        (json!({"GroupId": "g"}), 10004),
        (json!({"GroupId": "g", "MemberToDel_Account": null}), 10004),
        (json!({"GroupId": "g", "MemberToDel_Account": []}), 10004),
        (json!({"GroupId": "g", "MemberToDel_Account": "bob"}), 10004),
        (
            json!({"GroupId": "g", "MemberToDel_Account": {"bob": 1}}),
            10004,
        ),
        (json!({"GroupId": "g", "MemberToDel_Account": [""]}), 10004),
        (
            json!({"GroupId": "g", "MemberToDel_Account": ["bob", 5]}),
            60015,
        ),
        (
            json!({"GroupId": "g", "MemberToDel_Account": [{"Member_Account": "bob"}]}),
            60015, // an object where an account belongs (SPEC §1, spec §10.7)
        ),
        (
            json!({"GroupId": "g", "Silence": 2, "MemberToDel_Account": ["bob"]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "Silence": "0", "MemberToDel_Account": ["bob"]}),
            10004,
        ),
        (
            json!({"GroupId": "g", "Reason": 5, "MemberToDel_Account": ["bob"]}),
            10004,
        ),
        (json!({"MemberToDel_Account": ["bob"]}), 10004),
        (
            json!({"GroupId": "", "MemberToDel_Account": ["bob"]}),
            10015,
        ),
        (
            json!({"GroupId": "nope", "MemberToDel_Account": ["bob"]}),
            10010,
        ),
    ];
    for (body, want) in table {
        let v = unchanged(&emu, "g", || emu.call(DEL, body.clone())).await;
        assert_eq!(code(&v), *want, "{body} -> {v}");
    }
    let v = emu
        .call(DEL, json!({"GroupId": "g", "memberToDel_Account": ["bob"]}))
        .await;
    assert!(info(&v).contains("case-sensitive"), "{v}");
}

#[tokio::test]
async fn the_default_delete_batch_cap_is_500_and_501_is_10004() {
    let emu = emu().await;
    group(&emu, "g", "Public", &["bob"], None).await;
    let mut many: Vec<String> = (0..499).map(|i| format!("stranger{i}")).collect();
    many.push("bob".into());
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let mut over = refs.clone();
    over.push("one-more");
    let v = unchanged(&emu, "g", || del(&emu, "g", &over)).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("501") && info(&v).contains("500"), "{v}");
    assert_eq!(code(&del(&emu, "g", &refs).await), 0);
    assert_eq!(accounts_of(&emu, "g").await, strings(&["leckie"]));
}

#[tokio::test]
async fn the_delete_batch_cap_comes_from_the_app_limits() {
    let emu = emu_with(Limits {
        delete_group_member_batch: 2,
        ..Limits::UNLIMITED
    })
    .await;
    group(&emu, "g", "Public", &["bob", "tommy"], None).await;
    let v = unchanged(&emu, "g", || del(&emu, "g", &["bob", "bob", "tommy"])).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert_eq!(code(&del(&emu, "g", &["bob", "tommy"]).await), 0);
}

#[tokio::test]
async fn avchatroom_and_bchatroom_groups_refuse_deletes_with_10004() {
    let emu = emu().await;
    for kind in ["AVChatRoom", "BChatRoom"] {
        group(&emu, kind, kind, &[], None).await;
        let v = unchanged(&emu, kind, || del(&emu, kind, &["leckie"])).await;
        assert_eq!(code(&v), 10004, "{kind}: {v}");
        assert!(info(&v).contains(kind), "{v}");
    }
}

#[tokio::test]
async fn the_owner_of_a_public_or_chatroom_group_cannot_be_removed() {
    let emu = emu().await;
    for kind in ["Public", "ChatRoom"] {
        group(&emu, kind, kind, &["bob"], None).await;
        let v = unchanged(&emu, kind, || del(&emu, kind, &["bob", "leckie"])).await;
        assert_eq!(code(&v), 10004, "{kind}: {v}");
        assert!(info(&v).contains("transfer ownership"), "{v}");
    }
}

#[tokio::test]
async fn the_owner_of_a_private_group_can_be_removed_and_the_group_is_then_ownerless() {
    let emu = emu().await;
    group(&emu, "w", "Private", &["bob"], None).await;
    assert_eq!(code(&del(&emu, "w", &["leckie"]).await), 0);
    let g = emu.group_info("w").await;
    assert_eq!(g["Owner_Account"], "");
    assert_eq!(g["MemberNum"], 1);
    assert!(
        member_list(&emu, "w")
            .await
            .iter()
            .all(|m| m["Role"] != "Owner")
    );
    assert_eq!(
        results(&add(&emu, "w", &["leckie"]).await),
        pairs(&[("leckie", 1)]),
        "the old owner may come back"
    );
    assert_eq!(
        member(&emu, "w", "leckie").await.expect("back")["Role"],
        "Member"
    );
    assert_eq!(emu.group_info("w").await["Owner_Account"], "");
}

#[tokio::test]
async fn removing_every_member_keeps_the_group() {
    let emu = emu().await;
    group(&emu, "w", "Private", &["bob", "tommy"], None).await;
    assert_eq!(code(&del(&emu, "w", &["bob", "leckie", "tommy"]).await), 0);
    let g = emu.group_info("w").await;
    assert_eq!(code(&g), 0, "{g}");
    assert_eq!(g["MemberNum"], 0);
    assert_eq!(
        results(&add(&emu, "w", &["bob"]).await),
        pairs(&[("bob", 1)])
    );
}

#[tokio::test]
async fn a_removed_admin_who_comes_back_is_a_plain_member_with_a_new_join_time() {
    let emu = emu().await;
    set_clock(&emu, 1_800_000_000).await;
    let body = json!({"Owner_Account": "leckie", "Type": "Public", "GroupId": "g", "Name": "G",
        "MemberList": [{"Member_Account": "bob", "Role": "Admin"}]});
    assert_eq!(code(&emu.create_group(body).await), 0);
    assert_eq!(code(&del(&emu, "g", &["bob"]).await), 0);
    set_clock(&emu, 1_800_000_900).await;
    results(&add(&emu, "g", &["bob"]).await);
    let bob = member(&emu, "g", "bob").await.expect("bob");
    assert_eq!(
        (bob["Role"].clone(), bob["JoinTime"].clone()),
        (json!("Member"), json!(1_800_000_900u64))
    );
}

#[tokio::test]
async fn a_removal_moves_last_info_time_but_removing_nobody_does_not() {
    let emu = emu().await;
    set_clock(&emu, 1_800_000_000).await;
    group(&emu, "g", "Public", &["bob"], None).await;
    let before = emu.group_info("g").await;
    set_clock(&emu, 1_800_000_100).await;
    assert_eq!(code(&del(&emu, "g", &["peter"]).await), 0);
    assert_eq!(
        emu.group_info("g").await,
        before,
        "nobody removed, nothing changed"
    );
    assert_eq!(code(&del(&emu, "g", &["bob"]).await), 0);
    let after = emu.group_info("g").await;
    assert_eq!(after["LastInfoTime"], 1_800_000_100u64);
    assert_eq!(after["InfoSeq"], before["InfoSeq"]);
}

#[tokio::test]
async fn delete_checks_run_in_the_spec_order() {
    let emu = emu_with(Limits {
        delete_group_member_batch: 1,
        ..Limits::UNLIMITED
    })
    .await;
    group(&emu, "av", "AVChatRoom", &[], None).await;
    group(&emu, "g", "Public", &[], None).await;
    let table: &[(&str, Value, i64)] = &[
        (
            "the batch cap before a malformed GroupId",
            json!({"GroupId": "", "MemberToDel_Account": ["a", "b"]}),
            10004,
        ),
        (
            "the batch cap before an unknown group",
            json!({"GroupId": "nope", "MemberToDel_Account": ["a", "b"]}),
            10004,
        ),
        (
            "an empty list before a malformed GroupId",
            json!({"GroupId": "", "MemberToDel_Account": []}),
            10004,
        ),
        (
            "a bad Silence before an unknown group",
            json!({"GroupId": "nope", "Silence": 5, "MemberToDel_Account": ["a"]}),
            10004,
        ),
        (
            "a malformed GroupId before lookup",
            json!({"GroupId": "", "MemberToDel_Account": ["a"]}),
            10015,
        ),
        (
            "lookup before the type",
            json!({"GroupId": "nope", "MemberToDel_Account": ["leckie"]}),
            10010,
        ),
        (
            "the type before the owner rule",
            json!({"GroupId": "av", "MemberToDel_Account": ["leckie"]}),
            10004,
        ),
        (
            "the owner rule",
            json!({"GroupId": "g", "MemberToDel_Account": ["leckie"]}),
            10004,
        ),
    ];
    for (what, body, want) in table {
        let v = emu.call(DEL, body.clone()).await;
        assert_eq!(code(&v), *want, "{what}: {v}");
    }
    let v = emu
        .call(
            DEL,
            json!({"GroupId": "av", "MemberToDel_Account": ["leckie"]}),
        )
        .await;
    assert!(
        info(&v).contains("AVChatRoom"),
        "the type, not the owner rule: {v}"
    );
}

// ---- delete_group_member: callbacks ----

#[tokio::test]
async fn after_member_exit_lists_only_the_accounts_removed() {
    let rx = Receiver::start(allow()).await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "ChatRoom", &["bob", "tommy", "jared"], None).await;
    let body = json!({"GroupId": "g", "Silence": 1, "MemberToDel_Account": ["jared", "peter", "bob", "ghost"]});
    assert_eq!(code(&emu.call(DEL, body).await), 0);
    let b = rx.wait_for(AFTER_EXIT).await.body;
    let raw = rx.raw(AFTER_EXIT).expect("raw body");
    assert_keys_in_order(
        &raw,
        &[
            "CallbackCommand",
            "GroupId",
            "Type",
            "ExitType",
            "Operator_Account",
            "ExitMemberList",
            "EventTime",
        ],
    );
    assert_eq!(b["CallbackCommand"], AFTER_EXIT);
    assert_eq!(
        (b["GroupId"].clone(), b["Type"].clone()),
        (json!("g"), json!("ChatRoom"))
    );
    assert_eq!(b["ExitType"], "Kicked");
    assert_eq!(b["Operator_Account"], "admin");
    assert_eq!(names(&b["ExitMemberList"]), strings(&["jared", "bob"]));
    assert!(b["EventTime"].as_u64().expect("ms") > 1_600_000_000_000);
}

#[tokio::test]
async fn no_exit_event_is_sent_when_nobody_was_removed_or_the_request_was_refused() {
    let rx = Receiver::start(allow()).await;
    let emu = emu_calling(callbacks(&rx.url, &ALL)).await;
    group(&emu, "g", "Public", &["bob"], None).await;
    assert_eq!(code(&del(&emu, "g", &["peter", "ghost"]).await), 0);
    assert_eq!(code(&del(&emu, "g", &["bob", "leckie"]).await), 10004);
    settle(&rx, &emu, "g", "bob").await;
    let exits = rx.bodies(AFTER_EXIT);
    assert_eq!(exits.len(), 1, "only the marker: {exits:?}");
    assert_eq!(names(&exits[0]["ExitMemberList"]), strings(&["bob"]));
}

// ---- concurrency ----

/// A tiny deterministic generator, so a failing run can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adds_and_deletes_of_the_same_members_keep_member_num_exact() {
    // A quota of one group per account makes the member index visible: afterwards, adding an
    // account to a second group is 10037 exactly when the index still has it in the first.
    let emu = Arc::new(
        emu_with(Limits {
            groups_per_user: 1,
            ..Limits::UNLIMITED
        })
        .await,
    );
    let pool: Vec<String> = (0..24).map(|i| format!("m{i}")).collect();
    emu.import_many(&pool).await;
    ownerless(&emu, "g", "Public", &[], Some(2000)).await;
    ownerless(&emu, "h", "Public", &[], None).await;
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let (emu, pool) = (Arc::clone(&emu), pool.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Lcg(t + 1);
            for _ in 0..40 {
                let picked: Vec<&str> = (0..1 + rng.below(4))
                    .map(|_| pool[rng.below(pool.len() as u64) as usize].as_str())
                    .collect();
                let v = if rng.below(2) == 0 {
                    add(&emu, "g", &picked).await
                } else {
                    del(&emu, "g", &picked).await
                };
                assert_eq!(code(&v), 0, "{v}");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let list = accounts_of(&emu, "g").await;
    let distinct: HashSet<&String> = list.iter().collect();
    assert_eq!(distinct.len(), list.len(), "no member twice: {list:?}");
    assert_eq!(emu.group_info("g").await["MemberNum"], list.len());
    for account in &pool {
        let v = add(&emu, "h", &[account]).await;
        let want = if list.contains(account) { 10037 } else { 0 };
        assert_eq!(
            code(&v),
            want,
            "{account}: the index agrees with the list; {v}"
        );
    }
    let members: Vec<&str> = list.iter().map(String::as_str).collect();
    let v = add(&emu, "g", &members).await;
    assert!(results(&v).iter().all(|(_, r)| *r == 2), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adds_never_push_a_group_past_max_member_num() {
    // The before-invite callback puts a wait between the first capacity check and the update,
    // so every add sees room at first: only the check inside the update can stop them.
    let rx = Receiver::start(allow()).await;
    let emu = Arc::new(emu_calling(callbacks(&rx.url, &[BEFORE_INVITE])).await);
    let pool: Vec<String> = (0..90).map(|i| format!("c{i}")).collect();
    emu.import_many(&pool).await;
    group(&emu, "g", "Public", &[], Some(40)).await;
    let mut tasks = Vec::new();
    for chunk in pool.chunks(3) {
        let (emu, chunk) = (Arc::clone(&emu), chunk.to_vec());
        tasks.push(tokio::spawn(async move {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let v = add(&emu, "g", &refs).await;
            match code(&v) {
                0 => {
                    assert!(results(&v).iter().all(|(_, r)| *r == 1), "{v}");
                    chunk
                }
                10014 => Vec::new(),
                other => panic!("unexpected {other}: {v}"),
            }
        }));
    }
    let mut added = Vec::new();
    for t in tasks {
        added.extend(t.await.expect("task"));
    }
    let list = accounts_of(&emu, "g").await;
    assert!(list.len() <= 40, "{} members", list.len());
    assert_eq!(list.len(), 1 + added.len(), "the owner plus every Result 1");
    assert_eq!(list.len(), 40, "13 batches of 3 fit beside the owner");
    let members: HashSet<&String> = list.iter().collect();
    assert!(added.iter().all(|a| members.contains(a)));
    assert!(rx.bodies(BEFORE_INVITE).len() > 13, "the adds overlapped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adds_of_one_account_give_exactly_one_result_1() {
    // As above, the callback's wait lets every add see the account as a newcomer at first.
    let rx = Receiver::start(allow()).await;
    let emu = Arc::new(emu_calling(callbacks(&rx.url, &[BEFORE_INVITE])).await);
    group(&emu, "g", "Public", &[], None).await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let emu = Arc::clone(&emu);
        tasks.push(tokio::spawn(async move {
            results(&add(&emu, "g", &["bob"]).await)[0].1
        }));
    }
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.expect("task"));
    }
    got.sort_unstable();
    let mut want = vec![2; 15];
    want.insert(0, 1);
    assert_eq!(got, want);
    assert_eq!(emu.group_info("g").await["MemberNum"], 2);
}

/// Spec §12.2 step 2: the count over the cap (10005) comes before each item's form.
#[tokio::test]
async fn the_batch_cap_is_checked_before_the_items_are_typed() {
    let emu = emu().await;
    group(&emu, "g", "Public", &[], None).await;
    let strings: Vec<Value> = (0..501).map(|i| json!(format!("u{i}"))).collect();
    let v = emu
        .call(ADD, json!({"GroupId": "g", "MemberList": strings}))
        .await;
    assert_eq!(code(&v), 10005, "{v}");
    let v = emu
        .call(ADD, json!({"GroupId": "g", "MemberList": ["bob"]}))
        .await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("MemberList[0] must be an object"), "{v}");
}
