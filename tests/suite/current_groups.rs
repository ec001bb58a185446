//! create_group and the group quotas under the `current` rules profile (spec §40.2 #1–#13,
//! §40.3, §40.4, §40.5, §40.7; issue 13): Community, the type aliases, assigned IDs, edition
//! member caps, the join options at creation, 10025, and the edition quotas in the order of
//! §40.4 step 6. Every refusal is checked to leave nothing behind.

use crate::common;

use common::receiver::{Receiver, allow};
use common::{APP, Emu, code, info};
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{Apps, LimitOverrides, Limits};
use tim_emulator::config_file::{AppDefaults, parse_with};
use tim_emulator::rules::Edition;

const CREATE: &str = "group_open_http_svc/create_group";
const DESTROY: &str = "group_open_http_svc/destroy_group";
const LIST: &str = "group_open_http_svc/get_appid_group_list";

fn defaults(no_limits: bool) -> AppDefaults {
    AppDefaults {
        profile: "default",
        edition: Edition::Ultimate,
        flags: LimitOverrides::default(),
        no_limits,
    }
}

/// An emulator serving [`APP`] under `profile` and `edition`, with `extra` TOML appended to its
/// `[[apps]]` table (e.g. `[apps.limits]`); accounts are imported on first use.
async fn app_with(profile: &str, edition: &str, extra: &str, no_limits: bool) -> Emu {
    let text = format!(
        "[[apps]]\nsdkappid = {APP}\nrules_profile = \"{profile}\"\nedition = \"{edition}\"\n{extra}\n"
    );
    let apps = parse_with(&text, &defaults(no_limits)).expect("config");
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(apps, Limits::UNLIMITED);
    s.auto_import_accounts = true;
    s.id_seed = Some(3);
    Emu::start_with(s).await
}

async fn current(edition: &str, extra: &str) -> Emu {
    app_with("current", edition, extra, false).await
}

async fn create(emu: &Emu, body: Value) -> Value {
    emu.call(CREATE, body).await
}

async fn create_as(emu: &Emu, identifier: &str, body: Value) -> Value {
    emu.call_as(APP, identifier, CREATE, body).await
}

fn group(t: &str) -> Value {
    json!({"Owner_Account": "leckie", "Type": t, "Name": "g"})
}

fn with_id(t: &str, id: &str) -> Value {
    json!({"Owner_Account": "leckie", "Type": t, "Name": "g", "GroupId": id})
}

fn members(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"Member_Account": format!("m{i}")}))
        .collect()
}

async fn destroy(emu: &Emu, id: &str) {
    let v = emu.call(DESTROY, json!({"GroupId": id})).await;
    assert_eq!(code(&v), 0, "{v}");
}

fn is_base32(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

// ---- types (spec §40.2 #1, #2, #11; 40.5) ----

#[tokio::test]
async fn a_community_gets_an_assigned_tgs_underscore_id_and_answers_its_huge_group_flag_and_type() {
    let emu = current("ultimate", "").await;
    let raw = emu
        .post_raw(
            CREATE,
            &Emu::query(APP, "admin"),
            group("Community").to_string(),
        )
        .await;
    let v = raw.json();
    assert_eq!(code(&v), 0, "{v}");
    let id = v["GroupId"].as_str().expect("GroupId");
    assert_eq!(id.len(), 23, "{id}");
    assert!(
        id.starts_with("@TGS#_@TGS#c") && is_base32(&id[12..]),
        "{id}"
    );
    assert_eq!(
        (v["HugeGroupFlag"].clone(), v["Type"].clone()),
        (json!(0), json!("Community"))
    );
    let keys: Vec<&str> = [
        "ActionStatus",
        "ErrorInfo",
        "ErrorCode",
        "GroupId",
        "HugeGroupFlag",
        "Type",
    ]
    .to_vec();
    common::receiver::assert_keys_in_order(&raw.body, &keys);
    let g = emu.group_info(id).await;
    assert_eq!(g["Type"], "Community");
    assert_eq!(g["MaxMemberNum"], 100_000);
    assert_eq!(g["ApplyJoinOption"], "FreeAccess");
    // Other types answer only GroupId.
    let v = create(&emu, group("Public")).await;
    assert!(
        v.get("HugeGroupFlag").is_none() && v.get("Type").is_none(),
        "{v}"
    );
}

#[tokio::test]
async fn assigned_ids_have_nine_base32_characters_under_current_and_eight_under_default() {
    let emu = current("pro", "").await;
    for (t, c) in [
        ("Private", '1'),
        ("Public", '2'),
        ("ChatRoom", '3'),
        ("AVChatRoom", 'a'),
    ] {
        let v = create(&emu, group(t)).await;
        let id = v["GroupId"].as_str().expect("GroupId").to_string();
        assert_eq!(id.len(), 15, "{id}");
        assert!(
            id.starts_with(&format!("@TGS#{c}")) && is_base32(&id[6..]),
            "{id}"
        );
    }
    let old = app_with("default", "ultimate", "", false).await;
    let v = create(&old, group("Public")).await;
    assert_eq!(v["GroupId"].as_str().map(str::len), Some(14), "{v}");
}

#[tokio::test]
async fn community_is_10059_below_ultimate_11000_with_the_feature_off_and_10004_under_default() {
    for edition in ["trial", "pro"] {
        let emu = current(edition, "").await;
        let v = create(&emu, group("Community")).await;
        assert_eq!(code(&v), 10059, "{edition}: {v}");
        assert!(info(&v).contains("Ultimate"), "{v}");
        assert_eq!(code(&create(&emu, group("Public")).await), 0);
        assert_eq!(emu.group_total().await, 1, "the refusal stored nothing");
    }
    let off = current("enterprise", "[apps.features]\ncommunity = false\n").await;
    assert_eq!(code(&create(&off, group("Community")).await), 11000);
    let old = app_with("default", "ultimate", "", false).await;
    assert_eq!(code(&create(&old, group("Community")).await), 10004);
    // The type check comes before the later fields: a bad Introduction still answers 10059.
    let trial = current("trial", "").await;
    let mut body = group("Community");
    body["Introduction"] = json!("x".repeat(500));
    assert_eq!(code(&create(&trial, body).await), 10059);
}

#[tokio::test]
async fn work_and_meeting_are_stored_read_and_listed_as_private_and_chatroom() {
    let emu = current("ultimate", "").await;
    let work = create(&emu, group("Work")).await;
    let id = work["GroupId"].as_str().expect("created").to_string();
    assert!(
        id.starts_with("@TGS#1"),
        "the ID character follows the wire name: {id}"
    );
    assert_eq!(emu.group_info(&id).await["Type"], "Private");
    let meeting = create(&emu, with_id("Meeting", "meet")).await;
    assert_eq!(code(&meeting), 0, "{meeting}");
    assert_eq!(emu.group_info("meet").await["Type"], "ChatRoom");
    assert_eq!(code(&create(&emu, group("Community")).await), 0);
    let list = emu.call(LIST, json!({"GroupType": "Meeting"})).await;
    assert_eq!(
        (code(&list), list["TotalCount"].clone()),
        (0, json!(1)),
        "{list}"
    );
    assert_eq!(list["GroupIdList"][0]["GroupId"], "meet");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // 1 call/s (spec §40.6)
    let list = emu.call(LIST, json!({"GroupType": "Community"})).await;
    assert_eq!(list["TotalCount"], 1, "{list}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let list = emu.call(LIST, json!({"GroupType": ""})).await;
    assert_eq!(list["TotalCount"], 3, "\"\" is no filter: {list}");
}

#[tokio::test]
async fn the_type_aliases_switch_off_refuses_work_and_meeting() {
    let emu = current("ultimate", "[apps.rules]\ntype_aliases = false\n").await;
    for t in ["Work", "Meeting"] {
        let v = create(&emu, group(t)).await;
        assert_eq!(code(&v), 10004, "{t}");
        assert!(info(&v).contains("type_aliases = false"), "{v}");
    }
    let old = app_with("default", "ultimate", "", false).await;
    assert_eq!(code(&create(&old, group("Work")).await), 10004);
}

#[tokio::test]
async fn bchatroom_is_refused_under_current_unless_allow_bchatroom() {
    let emu = current("ultimate", "").await;
    let v = create(&emu, group("BChatRoom")).await;
    assert_eq!(code(&v), 10004, "{v}");
    let allowed = current("ultimate", "[apps.rules]\nallow_bchatroom = true\n").await;
    let v = create(&allowed, group("BChatRoom")).await;
    assert_eq!(code(&v), 0, "{v}");
    assert!(v["GroupId"].as_str().unwrap().starts_with("@TGS#b"), "{v}");
}

// ---- custom IDs (spec §40.2 #3, #4; 40.4) ----

#[tokio::test]
async fn a_custom_community_id_must_start_with_tgs_underscore_and_not_like_an_assigned_one() {
    let emu = current("ultimate", "").await;
    let table = [
        ("Community", "@TGS#_a", 0),
        ("Community", "@TGS#_", 10004),
        ("Community", "@TGS#_@TGS#cABC", 10004),
        ("Community", "@TGS#_@TGS", 0),
        ("Community", "team", 10004),
        ("Public", "@TGS#_b", 10004),
        ("Public", "team", 0),
    ];
    for (t, id, want) in table {
        let v = create(&emu, with_id(t, id)).await;
        assert_eq!(code(&v), want, "{t} {id}: {v}");
        assert_eq!(emu.group_exists(id).await, want == 0, "{id}");
    }
}

#[tokio::test]
async fn a_reused_id_is_10025_for_the_caller_that_created_it_and_10021_for_another() {
    let emu = current("ultimate", "").await;
    assert_eq!(
        code(&create_as(&emu, "admin", with_id("Public", "g1")).await),
        0
    );
    let mine = create_as(&emu, "admin", with_id("Public", "g1")).await;
    assert_eq!(code(&mine), 10025, "{mine}");
    let other = create_as(&emu, "administrator", with_id("Public", "g1")).await;
    assert_eq!(code(&other), 10021, "{other}");
    // A destroyed group's ID is free again at once.
    destroy(&emu, "g1").await;
    assert_eq!(
        code(&create_as(&emu, "administrator", with_id("Public", "g1")).await),
        0
    );
    // The creator outlives a state export and import.
    let doc = emu
        .request(reqwest::Method::GET, "/_emulator/state", Vec::new())
        .await;
    assert_eq!(doc.status, 200, "{}", doc.body);
    assert!(
        doc.body.contains("\"Creator_Account\":\"administrator\""),
        "{}",
        doc.body
    );
    let back = emu
        .request(
            reqwest::Method::PUT,
            "/_emulator/state",
            doc.body.into_bytes(),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(
        code(&create_as(&emu, "administrator", with_id("Public", "g1")).await),
        10025
    );
}

#[tokio::test]
async fn dup_group_id_rule_owner_and_always_10021_and_the_default_profile() {
    let owner = current("ultimate", "[apps.rules]\ndup_group_id_rule = \"owner\"\n").await;
    assert_eq!(
        code(&create_as(&owner, "admin", with_id("Public", "g")).await),
        0
    );
    let same_owner = create_as(&owner, "administrator", with_id("Public", "g")).await;
    assert_eq!(code(&same_owner), 10025, "{same_owner}");
    let mut other = with_id("Public", "g");
    other["Owner_Account"] = json!("bob");
    assert_eq!(code(&create_as(&owner, "admin", other).await), 10021);
    let always = current(
        "ultimate",
        "[apps.rules]\ndup_group_id_rule = \"always_10021\"\n",
    )
    .await;
    assert_eq!(code(&create(&always, with_id("Public", "g")).await), 0);
    assert_eq!(code(&create(&always, with_id("Public", "g")).await), 10021);
    let old = app_with("default", "ultimate", "", false).await;
    assert_eq!(code(&create(&old, with_id("Public", "g")).await), 0);
    assert_eq!(code(&create(&old, with_id("Public", "g")).await), 10021);
}

// ---- member caps (spec §40.2 #5–#7) ----

#[tokio::test]
async fn max_member_count_defaults_to_the_edition_cap_and_above_it_is_10004() {
    for (edition, cap) in [
        ("trial", 20),
        ("pro", 200),
        ("ultimate", 2000),
        ("enterprise", 6000),
    ] {
        let emu = current(edition, "").await;
        let v = create(&emu, with_id("Private", "a")).await;
        assert_eq!(code(&v), 0, "{v}");
        assert_eq!(emu.group_info("a").await["MaxMemberNum"], cap, "{edition}");
        let mut at = with_id("ChatRoom", "b");
        at["MaxMemberCount"] = json!(cap);
        assert_eq!(code(&create(&emu, at).await), 0, "{edition}");
        let mut over = with_id("ChatRoom", "c");
        over["MaxMemberCount"] = json!(cap + 1);
        let v = create(&emu, over).await;
        assert_eq!(code(&v), 10004, "{edition}: {v}");
        assert!(!emu.group_exists("c").await);
    }
}

#[tokio::test]
async fn members_over_an_explicit_max_are_10004_and_over_the_edition_cap_10038() {
    let emu = current("trial", "").await;
    let mut fits = with_id("Public", "fits");
    fits["MemberList"] = json!(members(19)); // 20 with the owner
    assert_eq!(code(&create(&emu, fits).await), 0);
    let mut over = with_id("Public", "over");
    over["MemberList"] = json!(members(20));
    let v = create(&emu, over).await;
    assert_eq!(code(&v), 10038, "{v}");
    let mut explicit = with_id("Public", "explicit");
    explicit["MaxMemberCount"] = json!(5);
    explicit["MemberList"] = json!(members(5));
    assert_eq!(code(&create(&emu, explicit).await), 10004);
    assert!(!emu.group_exists("over").await && !emu.group_exists("explicit").await);
    // The default profile answers 10004 for both.
    let old = app_with("default", "ultimate", "", false).await;
    let mut over = with_id("Private", "over");
    over["MemberList"] = json!(members(200));
    assert_eq!(code(&create(&old, over).await), 10004);
}

#[tokio::test]
async fn member_cap_and_community_member_cap_may_be_set_per_app() {
    let emu = current(
        "ultimate",
        "[apps.limits]\nmember_cap = 3\ncommunity_member_cap = 4\n",
    )
    .await;
    assert_eq!(code(&create(&emu, with_id("Public", "p")).await), 0);
    assert_eq!(emu.group_info("p").await["MaxMemberNum"], 3);
    assert_eq!(
        code(&create(&emu, with_id("Community", "@TGS#_c")).await),
        0
    );
    assert_eq!(emu.group_info("@TGS#_c").await["MaxMemberNum"], 4);
}

// ---- join options at creation (spec §40.2 #8–#10; 40.4 defaults) ----

#[tokio::test]
async fn join_options_default_per_type_and_community_ignores_apply_join_option() {
    let emu = current("ultimate", "").await;
    let table = [
        ("Private", "DisableApply", json!("FreeAccess")),
        ("Public", "NeedPermission", json!("DisableInvite")),
        ("ChatRoom", "FreeAccess", json!("DisableInvite")),
        ("Community", "FreeAccess", json!("FreeAccess")),
        ("AVChatRoom", "FreeAccess", Value::Null),
    ];
    for (i, (t, apply, invite)) in table.into_iter().enumerate() {
        let id = if t == "Community" {
            format!("@TGS#_{i}")
        } else {
            format!("g{i}")
        };
        let mut body = with_id(t, &id);
        if t == "Community" {
            body["ApplyJoinOption"] = json!("NeedPermission");
        }
        assert_eq!(code(&create(&emu, body).await), 0, "{t}");
        let g = emu.group_info(&id).await;
        assert_eq!(g["ApplyJoinOption"], apply, "{t}");
        assert_eq!(
            g.get("InviteJoinOption").cloned().unwrap_or(Value::Null),
            invite,
            "{t}"
        );
    }
}

#[tokio::test]
async fn invite_join_option_at_create_is_taken_checked_and_refused_on_avchatroom() {
    let emu = current("ultimate", "").await;
    let mut body = with_id("Public", "p");
    body["InviteJoinOption"] = json!("NeedPermission");
    assert_eq!(code(&create(&emu, body).await), 0);
    assert_eq!(
        emu.group_info("p").await["InviteJoinOption"],
        "NeedPermission"
    );
    for (t, value) in [
        ("Public", json!("Sometimes")),
        ("Public", json!(1)),
        ("AVChatRoom", json!("FreeAccess")),
    ] {
        let mut body = with_id(t, "x");
        body["InviteJoinOption"] = value.clone();
        let v = create(&emu, body).await;
        assert_eq!(code(&v), 10004, "{t} {value}: {v}");
        assert!(info(&v).contains("InviteJoinOption"), "{v}");
    }
    assert!(!emu.group_exists("x").await);
    // The default profile ignores the field.
    let old = app_with("default", "ultimate", "", false).await;
    let mut body = with_id("Public", "p");
    body["InviteJoinOption"] = json!(7);
    assert_eq!(code(&create(&old, body).await), 0);
}

#[tokio::test]
async fn support_topic_and_permissions_are_for_communities_and_need_each_other() {
    let emu = current("ultimate", "").await;
    let table = [
        (
            "Community",
            json!({"SupportTopic": 1, "EnablePermission": 1, "DefaultPermission": 3}),
            0,
        ),
        ("Community", json!({"SupportTopic": 1}), 0),
        ("Community", json!({"EnablePermission": 1}), 10004),
        (
            "Community",
            json!({"SupportTopic": 1, "DefaultPermission": 3}),
            10004,
        ),
        ("Community", json!({"SupportTopic": 2}), 10004),
        ("Community", json!({"SupportTopic": "1"}), 10004),
        ("Public", json!({"SupportTopic": 1}), 10004),
        (
            "Public",
            json!({"SupportTopic": 0, "EnablePermission": 0}),
            0,
        ),
    ];
    for (i, (t, fields, want)) in table.into_iter().enumerate() {
        let id = if t == "Community" {
            format!("@TGS#_{i}")
        } else {
            format!("g{i}")
        };
        let mut body = with_id(t, &id);
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        let v = create(&emu, body).await;
        assert_eq!(code(&v), want, "{t} {fields}: {v}");
        assert_eq!(emu.group_exists(&id).await, want == 0);
    }
}

// ---- quotas (spec §40.3, §40.4 step 6) ----

#[tokio::test]
async fn avchatroom_and_total_group_quotas_answer_10036_and_10058_and_count_existing_groups() {
    let emu = current(
        "trial",
        "[apps.limits]\ntotal_groups = 3\navchatroom_max = 1\n",
    )
    .await;
    let av = create(&emu, group("AVChatRoom")).await;
    assert_eq!(code(&av), 0);
    let v = create(&emu, group("AVChatRoom")).await;
    assert_eq!(code(&v), 10036, "{v}");
    assert_eq!(code(&create(&emu, with_id("Public", "b")).await), 0);
    assert_eq!(code(&create(&emu, with_id("Public", "c")).await), 0);
    let v = create(&emu, with_id("Public", "d")).await;
    assert_eq!(code(&v), 10058, "{v}");
    // Both full: the AVChatRoom count is checked first.
    assert_eq!(code(&create(&emu, group("AVChatRoom")).await), 10036);
    // A destroyed group makes room again.
    destroy(&emu, av["GroupId"].as_str().unwrap()).await;
    assert_eq!(code(&create(&emu, with_id("Public", "d")).await), 0);
    assert_eq!(emu.group_total().await, 3);
}

#[tokio::test]
async fn the_trial_edition_holds_100_groups_and_10_avchatrooms() {
    let emu = current("trial", "").await;
    for i in 0..10 {
        assert_eq!(code(&create(&emu, group("AVChatRoom")).await), 0, "{i}");
    }
    assert_eq!(code(&create(&emu, group("AVChatRoom")).await), 10036);
    for i in 10..100 {
        let mut body = with_id("Private", &format!("p{i}"));
        body["Owner_Account"] = json!(format!("o{}", i % 3)); // under groups_per_user (50)
        let v = create(&emu, body).await;
        assert_eq!(code(&v), 0, "{i}: {v}");
    }
    let mut body = group("Private");
    body["Owner_Account"] = json!("newcomer");
    assert_eq!(code(&create(&emu, body).await), 10058);
}

#[tokio::test]
async fn the_community_count_is_10006_after_the_total_and_a_reused_id_comes_first() {
    let emu = current(
        "ultimate",
        "[apps.limits]\ncommunity_max = 1\ntotal_groups = 2\n",
    )
    .await;
    assert_eq!(
        code(&create(&emu, with_id("Community", "@TGS#_a")).await),
        0
    );
    let v = create(&emu, group("Community")).await;
    assert_eq!(code(&v), 10006, "{v}");
    assert_eq!(code(&create(&emu, with_id("Public", "p")).await), 0);
    // Total and Community count both full: 10058 first; a taken ID before both.
    assert_eq!(code(&create(&emu, group("Community")).await), 10058);
    assert_eq!(
        code(&create(&emu, with_id("Community", "@TGS#_a")).await),
        10025
    );
}

#[tokio::test]
async fn the_owner_group_count_is_10037_for_the_owner_only_and_before_the_daily_quota() {
    let emu = current(
        "ultimate",
        "[apps.limits]\ngroups_per_user = 2\ndaily_net_group_increase = 4\n",
    )
    .await;
    for id in ["a", "b"] {
        assert_eq!(code(&create(&emu, with_id("Public", id)).await), 0);
    }
    let v = create(&emu, with_id("Public", "c")).await;
    assert_eq!(code(&v), 10037, "{v}");
    assert!(info(&v).contains("leckie"), "{v}");
    // leckie as a mere member of two more groups is not checked at create (spec §40.4).
    for id in ["d", "e"] {
        let mut body = with_id("Public", id);
        body["Owner_Account"] = json!("bob");
        body["MemberList"] = json!([{"Member_Account": "leckie"}]);
        assert_eq!(code(&create(&emu, body).await), 0, "{id}");
    }
    // The day's net increase (4) is used up too; the owner's count answers first.
    assert_eq!(code(&create(&emu, with_id("Public", "c")).await), 10037);
    let mut body = with_id("Public", "f");
    body["Owner_Account"] = json!("peter");
    assert_eq!(code(&create(&emu, body).await), 10006);
}

#[tokio::test]
async fn the_daily_quota_counts_the_net_increase_so_a_destruction_makes_room() {
    let emu = current("ultimate", "[apps.limits]\ndaily_net_group_increase = 2\n").await;
    assert_eq!(code(&create(&emu, with_id("Public", "a")).await), 0);
    assert_eq!(code(&create(&emu, with_id("Public", "b")).await), 0);
    let v = create(&emu, with_id("Public", "c")).await;
    assert_eq!(code(&v), 10006, "{v}");
    assert!(info(&v).contains("created minus destroyed"), "{v}");
    destroy(&emu, "a").await;
    assert_eq!(code(&create(&emu, with_id("Public", "c")).await), 0);
    assert_eq!(code(&create(&emu, with_id("Public", "d")).await), 10006);
}

#[tokio::test]
async fn a_creation_refused_after_the_quotas_gives_every_quota_back() {
    let emu = current(
        "ultimate",
        "sensitive_words = [\"bad\"]\n[apps.limits]\ntotal_groups = 1\ngroups_per_user = 1\ndaily_net_group_increase = 1\n",
    )
    .await;
    let mut bad = with_id("Public", "a");
    bad["Name"] = json!("bad name");
    assert_eq!(code(&create(&emu, bad).await), 80001);
    assert!(!emu.group_exists("a").await);
    let v = create(&emu, with_id("Public", "a")).await;
    assert_eq!(
        code(&v),
        0,
        "total, owner and daily quotas were given back: {v}"
    );
    assert_eq!(code(&create(&emu, with_id("Public", "b")).await), 10058);
}

#[tokio::test]
async fn the_quotas_are_exact_under_concurrent_creations() {
    let emu = current(
        "ultimate",
        "[apps.limits]\ntotal_groups = 10\ngroups_per_user = 100\n",
    )
    .await;
    let emu = std::sync::Arc::new(emu);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let emu = std::sync::Arc::clone(&emu);
        tasks.push(tokio::spawn(async move {
            let mut body = group("Public");
            body["Owner_Account"] = json!(format!("o{i}"));
            code(&emu.call(CREATE, body).await)
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.expect("task"));
    }
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 10, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 0 || *c == 10058), "{codes:?}");
    // One owner, many at once: exactly groups_per_user of them pass.
    let one =
        std::sync::Arc::new(current("ultimate", "[apps.limits]\ngroups_per_user = 5\n").await);
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let emu = std::sync::Arc::clone(&one);
        tasks.push(tokio::spawn(async move {
            code(&emu.call(CREATE, group("Public")).await)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let c = t.await.expect("task");
        assert!(c == 0 || c == 10037, "{c}");
        ok += usize::from(c == 0);
    }
    assert_eq!(ok, 5);
    // One custom ID, many at once by one caller: one creation, and 10025 for every other.
    let same = std::sync::Arc::new(current("ultimate", "").await);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let emu = std::sync::Arc::clone(&same);
        tasks.push(tokio::spawn(async move {
            let mut body = with_id("Public", "race");
            body["Owner_Account"] = json!(format!("o{i}"));
            code(&emu.call(CREATE, body).await)
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.expect("task"));
    }
    codes.sort_unstable();
    assert_eq!(codes[0], 0, "{codes:?}");
    assert!(codes[1..].iter().all(|c| *c == 10025), "{codes:?}");
}

#[tokio::test]
async fn no_limits_turns_the_quotas_off_but_keeps_the_edition_rules() {
    let emu = app_with("current", "trial", "", true).await;
    for i in 0..12 {
        assert_eq!(code(&create(&emu, group("AVChatRoom")).await), 0, "{i}");
    }
    assert_eq!(code(&create(&emu, group("Community")).await), 10059);
    let mut over = group("Public");
    over["MemberList"] = json!(members(20));
    assert_eq!(
        code(&create(&emu, over).await),
        10038,
        "the member cap is a size, not a quota"
    );
    let mut batch = group("Public");
    batch["MemberList"] = json!(members(101));
    assert_eq!(code(&create(&emu, batch).await), 10005);
}

#[tokio::test]
async fn the_daily_quota_alarm_fires_once_when_the_net_increase_passes_70_percent() {
    let rx = Receiver::start(allow()).await;
    let extra = format!(
        "[apps.limits]\ndaily_net_group_increase = 10\n[apps.callback]\nurl = \"{}\"\nevents = [\"Group.CallbackOnDailyGroupQuotaAlarm\"]\n",
        rx.url
    );
    let emu = current("ultimate", &extra).await;
    for i in 0..7 {
        assert_eq!(
            code(&create(&emu, with_id("Public", &format!("g{i}"))).await),
            0
        );
    }
    assert!(
        rx.bodies("Group.CallbackOnDailyGroupQuotaAlarm").is_empty(),
        "7 of 10 is not past 70 %"
    );
    assert_eq!(code(&create(&emu, with_id("Public", "g7")).await), 0);
    let got = rx.wait_for("Group.CallbackOnDailyGroupQuotaAlarm").await;
    assert_eq!(
        (got.body["QuotaUsed"].clone(), got.body["Quota"].clone()),
        (json!(8), json!(10)),
        "{}",
        got.raw
    );
    assert_eq!(code(&create(&emu, with_id("Public", "g8")).await), 0);
    rx.wait_count(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        rx.bodies("Group.CallbackOnDailyGroupQuotaAlarm").len(),
        1,
        "once per day"
    );
}

// ---- accounts and custom keys (spec §40.3 accounts_max, §40.2 #21) ----

#[tokio::test]
async fn the_trial_edition_imports_100_accounts_then_answers_70398_and_imports_nothing_more() {
    let emu = current(
        "trial",
        "[apps.limits]
accounts_max = 3
",
    )
    .await;
    let import = |id: &'static str| {
        let emu = &emu;
        async move {
            emu.call("im_open_login_svc/account_import", json!({"UserID": id}))
                .await
        }
    };
    assert_eq!(code(&import("a").await), 0);
    assert_eq!(
        code(&import("a").await),
        0,
        "an existing account is no new one"
    );
    let multi = |ids: Value| {
        let emu = &emu;
        async move {
            emu.call(
                "im_open_login_svc/multiaccount_import",
                json!({"Accounts": ids}),
            )
            .await
        }
    };
    let v = multi(json!(["a", "b", "c", "d"])).await;
    assert_eq!(code(&v), 70398, "{v}");
    let check = emu
        .call(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "b"}]}),
        )
        .await;
    assert_eq!(
        check["ResultItem"][0]["AccountStatus"], "NotImported",
        "{check}"
    );
    assert_eq!(code(&multi(json!(["b", "c"])).await), 0);
    let v = import("d").await;
    assert_eq!(code(&v), 70398, "{v}");
    let del = emu
        .call(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "c"}]}),
        )
        .await;
    assert_eq!(code(&del), 0, "{del}");
    assert_eq!(code(&import("d").await), 0, "a deletion makes room");
    // The edition's own number, and none under Pro.
    let trial = current("trial", "").await;
    let ids: Vec<String> = (0..100).map(|i| format!("u{i}")).collect();
    trial.import_many(&ids).await;
    let v = trial
        .call(
            "im_open_login_svc/account_import",
            json!({"UserID": "u100"}),
        )
        .await;
    assert_eq!(code(&v), 70398, "{v}");
    let pro = current("pro", "").await;
    let ids: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    pro.import_many(&ids).await;
}

#[tokio::test]
async fn custom_field_keys_are_letters_digits_and_underscore_under_current() {
    let fields = "[[apps.group_custom_fields]]\nkey = \"Color_2\"\n[[apps.group_custom_fields]]\nkey = \"my-key\"\n[[apps.group_custom_fields]]\nkey = \"a.b\"\n";
    let emu = current("ultimate", fields).await;
    let body = |key: &str| {
        let mut b = with_id("Public", key);
        b["AppDefinedData"] = json!([{"Key": key, "Value": "v"}]);
        b
    };
    assert_eq!(code(&create(&emu, body("Color_2")).await), 0);
    let v = create(&emu, body("my-key")).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(
        info(&v).contains("'-'") && info(&v).contains("A-Za-z0-9_"),
        "{v}"
    );
    assert!(!emu.group_exists("my-key").await);
    let v = emu
        .call(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": "Color_2", "AppDefinedData": [{"Key": "a.b", "Value": "v"}]}),
        )
        .await;
    assert_eq!(code(&v), 10004, "{v}");
    let old = app_with("default", "ultimate", fields, false).await;
    let v = create(&old, body("my-key")).await;
    assert_eq!(code(&v), 0, "{v}");
}

// ---- config (spec §40.7) ----

#[tokio::test]
async fn import_send_time_strict_may_be_switched_off_per_app() {
    const CREATED: u64 = 1_600_000_000;
    for (extra, want) in [
        ("", 10004),
        ("[apps.rules]\nimport_send_time_strict = false\n", 0),
    ] {
        let emu = current("ultimate", extra).await;
        let g = json!({"Owner_Account": "leckie", "Type": "Public", "GroupId": "g", "Name": "n", "CreateTime": CREATED});
        let v = emu.call("group_open_http_svc/import_group", g).await;
        assert_eq!(code(&v), 0, "{v}");
        let msg = json!({"From_Account": "leckie", "SendTime": CREATED, "Random": 7,
                         "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}}]});
        let v = emu
            .call(
                "group_open_http_svc/import_group_msg",
                json!({"GroupId": "g", "MsgList": [msg]}),
            )
            .await;
        assert_eq!(v["ImportMsgResult"][0]["Result"], want, "{extra:?}: {v}");
    }
}

#[test]
fn rules_switches_and_limits_are_read_per_app_and_bad_ones_are_refused_with_the_line() {
    let ok = "[[apps]]\nsdkappid = 1\nrules_profile = \"current\"\n[apps.rules]\ntype_aliases = false\nallow_bchatroom = true\ndup_group_id_rule = \"owner\"\nimport_send_time_strict = false\n[apps.limits]\ntotal_groups = 7\navchatroom_max = 2\ncommunity_max = 3\ndaily_net_group_increase = 4\nmember_cap = 5\ncommunity_member_cap = 6\ngroups_per_user = 8\naccounts_max = 9\n";
    let apps = parse_with(ok, &defaults(false)).expect("valid");
    let p = &apps[&1];
    assert!(!p.switches.type_aliases && p.switches.allow_bchatroom);
    assert!(!p.switches.import_send_time_strict);
    assert_eq!(p.switches.dup_group_id_rule.as_str(), "owner");
    let l = p.limits;
    assert_eq!(
        [
            l.total_groups,
            l.avchatroom_max,
            l.community_max,
            l.daily_net_group_increase,
            l.member_cap,
            l.community_member_cap,
            l.groups_per_user,
            l.accounts_max
        ],
        [7, 2, 3, 4, 5, 6, 8, 9]
    );
    for (text, needles) in [
        (
            "[[apps]]\nsdkappid = 1\n[apps.rules]\ndup_group_id_rule = \"mine\"\n",
            &["line 4", "creator", "owner", "always_10021"][..],
        ),
        (
            "[[apps]]\nsdkappid = 1\n[apps.rules]\ntype_alias = true\n",
            &["line 4", "type_aliases"][..],
        ),
        (
            "[[apps]]\nsdkappid = 1\n[apps.limits]\ntotal_group = 1\n",
            &["line 4", "total_groups"][..],
        ),
    ] {
        let e = parse_with(text, &defaults(false)).expect_err(text);
        for n in needles {
            assert!(e.contains(n), "{n:?} in {e}");
        }
    }
}
