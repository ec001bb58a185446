//! send_group_system_notification (spec `messages.md` §32), get_online_member_num (§38), the
//! control-plane reads and seeds of group message state (§39.7), and group messages in the state
//! document and the `--state-file` (§30.5).

use crate::common;

use common::{APP, Emu, code, info};
use reqwest::Method;
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::domain::group::NOTICES_KEPT;

const NOTIFY: &str = "group_open_http_svc/send_group_system_notification";
const ONLINE: &str = "group_open_http_svc/get_online_member_num";
const MESSAGES_DOC: &str = include_str!("../../fixtures/state/messages.json");
const EXAMPLE: &str = include_str!("../../fixtures/state/example.json");
const MINIMAL: &str = include_str!("../../fixtures/state/minimal.json");

// ---- helpers (kept here, so other suites' helpers are not disturbed) ----

async fn control(emu: &Emu, method: Method, path: &str, body: &str) -> (u16, Value) {
    let raw = emu.request(method, path, body.as_bytes().to_vec()).await;
    let v = if raw.body.is_empty() {
        Value::Null
    } else {
        raw.json()
    };
    (raw.status, v)
}

/// `GroupId` percent-encoded for a path segment (`#` → `%23`).
fn encode(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn group_path(id: &str, tail: &str) -> String {
    format!("/_emulator/apps/{APP}/groups/{}/{tail}", encode(id))
}

/// A control-plane read of `id` that must succeed.
async fn read(emu: &Emu, id: &str, tail: &str) -> Value {
    let (status, v) = control(emu, Method::GET, &group_path(id, tail), "").await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn seed(emu: &Emu, id: &str, tail: &str, body: Value) -> Value {
    let (status, v) = control(emu, Method::POST, &group_path(id, tail), &body.to_string()).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn export(emu: &Emu) -> Value {
    let (status, v) = control(emu, Method::GET, "/_emulator/state", "").await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn import(emu: &Emu, doc: &str) -> (u16, Value) {
    control(emu, Method::PUT, "/_emulator/state", doc).await
}

async fn freeze(emu: &Emu, at_ms: u64) {
    let body = json!({ "set_ms": at_ms }).to_string();
    let (status, v) = control(emu, Method::POST, "/_emulator/clock", &body).await;
    assert_eq!(status, 200, "{v}");
}

/// A Public group `team` owned by alice with bob and carol (and dave imported, not a member).
async fn team(emu: &Emu) -> String {
    emu.import(&["alice", "bob", "carol", "dave"]).await;
    let v = emu
        .create_group(json!({
            "Owner_Account": "alice", "Type": "Public", "Name": "Team", "GroupId": "team",
            "MemberList": [{"Member_Account": "bob"}, {"Member_Account": "carol"}]
        }))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    "team".into()
}

async fn group_of(emu: &Emu, ty: &str, id: &str) {
    emu.import(&["alice"]).await;
    let v = emu
        .create_group(json!({"Owner_Account": "alice", "Type": ty, "Name": "G", "GroupId": id}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
}

async fn notices(emu: &Emu, id: &str) -> Vec<Value> {
    read(emu, id, "notifications").await["notifications"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}")).collect()
}

// ---- send_group_system_notification ----

#[tokio::test]
async fn a_notification_without_a_list_reaches_every_member_and_stores_no_message() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    freeze(&emu, 1_750_000_000_000).await;
    let before = emu.group_info(&id).await;
    let v = emu
        .call(NOTIFY, json!({"GroupId": id, "Content": "Hello World"}))
        .await;
    assert_eq!(
        v,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
    );
    let log = notices(&emu, &id).await;
    assert_eq!(
        log,
        vec![json!({"time": 1_750_000_000u64, "content": "Hello World",
                    "recipients": ["alice", "bob", "carol"]})]
    );
    // Nothing stored: no sequence, no LastMsgTime, no unread, no profile change.
    let after = emu.group_info(&id).await;
    assert_eq!(after, before);
    assert_eq!(
        (after["NextMsgSeq"].clone(), after["LastMsgTime"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(read(&emu, &id, "messages").await["count"], 0);
    for m in read(&emu, &id, "members").await["members"]
        .as_array()
        .expect("members")
    {
        assert_eq!(m["UnreadMsgNum"], 0, "{m}");
    }
}

#[tokio::test]
async fn an_empty_list_means_every_member_and_listed_non_members_are_ignored() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    for (to, want) in [
        (json!([]), json!(["alice", "bob", "carol"])),
        (
            json!(["carol", "zed", "dave", "carol", "bob"]),
            json!(["carol", "bob"]),
        ),
        (json!(["dave"]), json!([])),
    ] {
        let v = emu
            .call(
                NOTIFY,
                json!({"GroupId": id, "Content": "x", "ToMembers_Account": to}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
        let log = notices(&emu, &id).await;
        assert_eq!(log.last().expect("logged")["recipients"], want, "{to}");
    }
}

#[tokio::test]
async fn recipients_are_counted_500_accepted_501_refused_with_10005() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    let ok = emu
        .call(
            NOTIFY,
            json!({"GroupId": id, "Content": "x", "ToMembers_Account": names(500)}),
        )
        .await;
    assert_eq!(code(&ok), 0, "{ok}");
    let before = export(&emu).await;
    let v = emu
        .call(
            NOTIFY,
            json!({"GroupId": id, "Content": "y", "ToMembers_Account": names(501)}),
        )
        .await;
    assert_eq!(code(&v), 10005, "{v}");
    assert!(info(&v).contains("501") && info(&v).contains("500"), "{v}");
    assert!(info(&v).contains("ToMembers_Account"), "{v}");
    assert_eq!(
        notices(&emu, &id).await.len(),
        1,
        "the refused one is not logged"
    );
    assert_eq!(export(&emu).await, before);
}

#[tokio::test]
async fn content_is_measured_in_utf8_bytes_8000_accepted_8001_refused_with_80002() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    let cjk = "汉".repeat(2666); // 7,998 bytes
    let v = emu
        .call(
            NOTIFY,
            json!({"GroupId": id, "Content": format!("{cjk}ab")}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu
        .call(
            NOTIFY,
            json!({"GroupId": id, "Content": format!("{cjk}abc")}),
        )
        .await;
    assert_eq!(code(&v), 80002, "{v}");
    assert!(
        info(&v).contains("8,001 bytes (2,669 characters); at most 8,000"),
        "{v}"
    );
    assert_eq!(notices(&emu, &id).await.len(), 1);
}

#[tokio::test]
async fn an_avchatroom_notification_goes_to_everyone_and_a_list_is_10004() {
    let emu = Emu::start().await;
    group_of(&emu, "AVChatRoom", "live").await;
    let v = emu
        .call(
            NOTIFY,
            json!({"GroupId": "live", "Content": "x", "ToMembers_Account": ["alice"]}),
        )
        .await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("AVChatRoom"), "{v}");
    assert!(
        notices(&emu, "live").await.is_empty(),
        "a refused one is not logged"
    );
    for body in [
        json!({"GroupId": "live", "Content": "x"}),
        json!({"GroupId": "live", "Content": "x", "ToMembers_Account": []}),
    ] {
        let v = emu.call(NOTIFY, body).await;
        assert_eq!(code(&v), 0, "{v}");
    }
    let log = notices(&emu, "live").await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["recipients"], json!(["alice"]));
}

#[tokio::test]
async fn every_group_type_takes_notifications() {
    let emu = Emu::start().await;
    for (ty, id) in [
        ("Private", "p"),
        ("Public", "q"),
        ("ChatRoom", "c"),
        ("AVChatRoom", "a"),
        ("BChatRoom", "b"),
    ] {
        group_of(&emu, ty, id).await;
        let v = emu
            .call(NOTIFY, json!({"GroupId": id, "Content": "x"}))
            .await;
        assert_eq!(code(&v), 0, "{ty}: {v}");
    }
}

#[tokio::test]
async fn notification_checks_run_in_the_documented_order() {
    let emu = Emu::start().await;
    group_of(&emu, "AVChatRoom", "live").await;
    let long = "x".repeat(8001);
    let many = names(501);
    let cases: Vec<(Value, i64, &str)> = vec![
        (json!({}), 10004, "GroupId is required"),
        (json!({"Content": "x"}), 10004, "GroupId is required"),
        (json!({"GroupId": "live"}), 10004, "Content is required"),
        (
            json!({"GroupId": "live", "content": "x"}),
            10004,
            "case-sensitive",
        ),
        (json!({"GroupId": "live", "Content": 5}), 10004, "Content"),
        (
            json!({"GroupId": "", "Content": ""}),
            10004,
            "Content is empty",
        ),
        (
            json!({"GroupId": "", "Content": long, "ToMembers_Account": many}),
            80002,
            "Content",
        ),
        (
            json!({"GroupId": "", "Content": "x", "ToMembers_Account": many, "TopicId": "t"}),
            10005,
            "ToMembers_Account",
        ),
        (
            json!({"GroupId": "", "Content": "x", "TopicId": "t"}),
            10004,
            "TopicId",
        ),
        (json!({"GroupId": "", "Content": "x"}), 10015, ""),
        (
            json!({"GroupId": "nope", "Content": "x", "ToMembers_Account": many}),
            10005,
            "ToMembers_Account",
        ),
        (
            json!({"GroupId": "nope", "Content": "x", "ToMembers_Account": ["a"]}),
            10010,
            "",
        ),
        (
            json!({"GroupId": "live", "Content": "x", "ToMembers_Account": many}),
            10005,
            "ToMembers_Account",
        ),
        (
            json!({"GroupId": "live", "Content": "x", "ToMembers_Account": ["alice"], "TopicId": ""}),
            10004,
            "AVChatRoom",
        ),
        (
            json!({"GroupId": "live", "Content": "x", "ToMembers_Account": "alice"}),
            10004,
            "ToMembers_Account",
        ),
        (
            json!({"GroupId": "live", "Content": "x", "ToMembers_Account": ["a", 1]}),
            60015,
            "",
        ),
    ];
    let before = export(&emu).await;
    for (body, want, needle) in cases {
        let v = emu.call(NOTIFY, body.clone()).await;
        let short: String = body.to_string().chars().take(120).collect();
        assert_eq!(code(&v), want, "{short}: {v}");
        assert!(info(&v).contains(needle), "{short}: {v}");
    }
    assert!(notices(&emu, "live").await.is_empty());
    assert_eq!(
        export(&emu).await,
        before,
        "refused requests change nothing"
    );
    let v = emu
        .call_as(
            APP,
            "alice",
            NOTIFY,
            json!({"GroupId": "live", "Content": "x"}),
        )
        .await;
    assert_eq!(code(&v), 10007, "not an App admin: {v}");
}

#[tokio::test]
async fn notifications_are_not_counted_by_the_per_group_frequency_control() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    freeze(&emu, 1_750_000_000_000).await; // every call in one emulator second
    for i in 0..50 {
        let v = emu
            .call(NOTIFY, json!({"GroupId": id, "Content": format!("n{i}")}))
            .await;
        assert_eq!(code(&v), 0, "notification {i}: {v}");
    }
}

#[tokio::test]
async fn the_notification_log_keeps_the_latest_ones_only() {
    let emu = Emu::start_unlimited().await;
    let id = team(&emu).await;
    for i in 0..=NOTICES_KEPT {
        let v = emu
            .call(NOTIFY, json!({"GroupId": id, "Content": format!("n{i}")}))
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    let v = read(&emu, &id, "notifications").await;
    assert_eq!(v["kept"], NOTICES_KEPT);
    assert_eq!(v["count"], NOTICES_KEPT);
    let log = v["notifications"].as_array().expect("log");
    assert_eq!(log[0]["content"], "n1", "the oldest was dropped");
    assert_eq!(log[NOTICES_KEPT - 1]["content"], format!("n{NOTICES_KEPT}"));
}

#[tokio::test]
async fn notifications_are_not_part_of_the_state_document() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    let before = export(&emu).await;
    let v = emu
        .call(NOTIFY, json!({"GroupId": id, "Content": "x"}))
        .await;
    assert_eq!(code(&v), 0);
    assert_eq!(export(&emu).await, before);
}

// ---- get_online_member_num ----

#[tokio::test]
async fn an_avchatroom_answers_the_online_count_set_from_the_control_plane() {
    let emu = Emu::start().await;
    group_of(&emu, "AVChatRoom", "live").await;
    let v = emu.call(ONLINE, json!({"GroupId": "live"})).await;
    assert_eq!(
        v,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "OnlineMemberNum": 0})
    );
    let set = seed(&emu, "live", "online", json!({"online_member_num": 1000})).await;
    assert_eq!(set, json!({"GroupId": "live", "OnlineMemberNum": 1000}));
    let raw = emu
        .post_raw(
            ONLINE,
            &Emu::query(APP, "admin"),
            json!({"GroupId": "live"}).to_string(),
        )
        .await;
    assert_eq!(
        raw.body,
        r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"OnlineMemberNum":1000}"#
    );
    let doc = export(&emu).await;
    assert_eq!(
        doc["apps"][0]["groups"][0]["OnlineMemberNum"], 1000,
        "carried by the state"
    );
}

#[tokio::test]
async fn online_count_checks_run_in_order_and_other_types_are_10007() {
    let emu = Emu::start().await;
    for (ty, id) in [
        ("Private", "p"),
        ("Public", "q"),
        ("ChatRoom", "c"),
        ("BChatRoom", "b"),
    ] {
        group_of(&emu, ty, id).await;
        let v = emu.call(ONLINE, json!({"GroupId": id})).await;
        assert_eq!(code(&v), 10007, "{ty}: {v}");
        assert!(
            info(&v).contains(ty) && info(&v).contains("AVChatRoom"),
            "{v}"
        );
    }
    for (body, want) in [
        (json!({}), 10004),
        (json!({"GroupId": 5}), 10004),
        (json!({"groupid": "p"}), 10004),
        (json!({"GroupId": ""}), 10015),
        (json!({"GroupId": "nope"}), 10010),
    ] {
        let v = emu.call(ONLINE, body.clone()).await;
        assert_eq!(code(&v), want, "{body}: {v}");
    }
    let v = emu
        .call_as(APP, "alice", ONLINE, json!({"GroupId": "p"}))
        .await;
    assert_eq!(code(&v), 10007, "{v}");
}

// ---- control plane ----

#[tokio::test]
async fn the_messages_read_shows_every_status_with_push_info_and_flags() {
    let emu = Emu::start().await;
    freeze(&emu, 1_700_000_500_000).await;
    let (status, v) = import(&emu, MESSAGES_DOC).await;
    assert_eq!(status, 200, "{v}");
    let v = read(&emu, "team", "messages").await;
    assert_eq!(
        (
            &v["sdkappid"],
            &v["GroupId"],
            &v["Type"],
            &v["NextMsgSeq"],
            &v["LastMsgTime"]
        ),
        (
            &json!(APP),
            &json!("team"),
            &json!("Public"),
            &json!(5),
            &json!(1_700_000_400)
        )
    );
    assert_eq!(
        (&v["MuteAllMember"], &v["retention_s"], &v["count"]),
        (&json!("On"), &json!(604_800), &json!(4))
    );
    let m = v["messages"].as_array().expect("messages");
    let seqs: Vec<&Value> = m.iter().map(|m| &m["MsgSeq"]).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    let statuses: Vec<&Value> = m.iter().map(|m| &m["Status"]).collect();
    assert_eq!(statuses, ["normal", "recalled", "normal", "normal"]);
    let recalled = &m[1];
    assert_eq!(recalled["OfflinePushInfo"]["Title"], "Bob");
    assert_eq!(recalled["OfflinePushInfo"]["ApnsInfo"]["BadgeMode"], 1);
    assert_eq!(
        (
            &recalled["MsgPriority"],
            &recalled["CloudCustomData"],
            &recalled["SupportMessageExtension"],
            &recalled["NeedReadReceipt"]
        ),
        (&json!(1), &json!("cc"), &json!(1), &json!(1))
    );
    assert_eq!(
        (&recalled["RecallTime"], &recalled["RecallReason"]),
        (&json!(1_700_000_250), &json!("typo"))
    );
    assert_eq!(recalled["Random"], 4_294_967_295u64);
    assert_eq!(m[2]["SendMsgControl"], json!(["NoUnread"]));
    assert_eq!(m[2]["GroupAtInfo"], json!([{"GroupAtAllFlag": 1}]));
    assert_eq!(m[3]["Origin"], "import");
    assert_eq!(
        m[0]["MsgBody"],
        json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello"}}])
    );
    assert!(m.iter().all(|m| m["expired"] == false), "{v}");
    // Seven days after the second message, the first two are past retention.
    freeze(&emu, (1_700_000_200 + 604_800) * 1000).await;
    let v = read(&emu, "team", "messages").await;
    let expired: Vec<&Value> = v["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| &m["expired"])
        .collect();
    assert_eq!(expired, [true, true, false, false]);
}

#[tokio::test]
async fn the_members_read_derives_unread_from_each_read_position() {
    let emu = Emu::start().await;
    freeze(&emu, 1_700_000_500_000).await;
    let (status, v) = import(&emu, MESSAGES_DOC).await;
    assert_eq!(status, 200, "{v}");
    let v = read(&emu, "team", "members").await;
    assert_eq!(v["NextMsgSeq"], 5);
    // alice read 3: carol's 4 is unread. bob read 0: alice's 1 and carol's 4 (his own 2 is
    // recalled, 3 was sent with NoUnread). carol read 4: nothing.
    assert_eq!(
        v["members"],
        json!([
            {"Member_Account": "alice", "Role": "Owner", "MsgSeq": 3, "UnreadMsgNum": 1, "LastSendMsgTime": 1_700_000_300, "MuteUntil": 0},
            {"Member_Account": "bob", "Role": "Member", "MsgSeq": 0, "UnreadMsgNum": 2, "LastSendMsgTime": 1_700_000_200, "MuteUntil": 0},
            {"Member_Account": "carol", "Role": "Member", "MsgSeq": 4, "UnreadMsgNum": 0, "LastSendMsgTime": 1_700_000_400, "MuteUntil": 4_294_967_295u64}
        ])
    );
}

#[tokio::test]
async fn mutes_seeded_from_the_control_plane_show_in_the_vendor_reads() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    freeze(&emu, 1_750_000_000_000).await;
    let info_seq = emu.group_info(&id).await["InfoSeq"].clone();
    let v = seed(&emu, &id, "mute", json!({"account": "bob", "seconds": 60})).await;
    assert_eq!(
        v,
        json!({"GroupId": id, "MuteAllMember": "Off",
               "MutedAccounts": [{"Member_Account": "bob", "MutedUntil": 1_750_000_060u64}]})
    );
    let muted = emu
        .call(
            "group_open_http_svc/get_group_muted_account",
            json!({"GroupId": id}),
        )
        .await;
    assert_eq!(
        muted["MutedAccountList"],
        json!([{"Member_Account": "bob", "MutedUntil": 1_750_000_060u64}])
    );
    // An account need not be a member; both forms at once; 4294967295 is for ever.
    let v = seed(
        &emu,
        &id,
        "mute",
        json!({"account": "dave", "seconds": 4_294_967_295u64, "mute_all": true}),
    )
    .await;
    assert_eq!(v["MuteAllMember"], "On");
    assert_eq!(
        v["MutedAccounts"][1],
        json!({"Member_Account": "dave", "MutedUntil": 4_294_967_295u64})
    );
    let g = emu.group_info(&id).await;
    assert_eq!(g["MuteAllMember"], "On");
    assert_eq!(g["InfoSeq"], info_seq, "seeding is not a profile change");
    // 0 unmutes; mute_all false turns it off.
    let v = seed(
        &emu,
        &id,
        "mute",
        json!({"account": "bob", "seconds": 0, "mute_all": false}),
    )
    .await;
    assert_eq!(v["MuteAllMember"], "Off");
    assert_eq!(
        v["MutedAccounts"],
        json!([{"Member_Account": "dave", "MutedUntil": 4_294_967_295u64}])
    );
    let members = read(&emu, &id, "members").await;
    assert_eq!(members["members"][1]["MuteUntil"], 0);
}

#[tokio::test]
async fn a_group_id_with_a_hash_is_found_percent_encoded() {
    let emu = Emu::start().await;
    emu.import(&["alice"]).await;
    let v = emu
        .create_group(json!({"Owner_Account": "alice", "Type": "AVChatRoom", "Name": "Live"}))
        .await;
    let id = v["GroupId"].as_str().expect("assigned").to_string();
    assert!(id.contains('#'));
    seed(&emu, &id, "online", json!({"online_member_num": 7})).await;
    let v = emu.call(ONLINE, json!({"GroupId": id})).await;
    assert_eq!(v["OnlineMemberNum"], 7);
    assert_eq!(read(&emu, &id, "messages").await["GroupId"], id);
}

#[tokio::test]
async fn control_plane_refusals_are_json_and_change_nothing() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    seed(&emu, &id, "online", json!({"online_member_num": 3})).await;
    let before = export(&emu).await;
    let team_path = |tail: &str| group_path(&id, tail);
    let cases: Vec<(Method, String, String, u16, &str)> = vec![
        (
            Method::GET,
            "/_emulator/apps/7/groups/team/messages".into(),
            String::new(),
            404,
            "app 7",
        ),
        (
            Method::GET,
            format!("/_emulator/apps/{APP}/groups/nope/messages"),
            String::new(),
            404,
            "nope",
        ),
        (
            Method::GET,
            format!("/_emulator/apps/{APP}/groups/nope/members"),
            String::new(),
            404,
            "nope",
        ),
        (
            Method::GET,
            format!("/_emulator/apps/{APP}/groups/nope/notifications"),
            String::new(),
            404,
            "nope",
        ),
        (
            Method::POST,
            format!("/_emulator/apps/{APP}/groups/nope/online"),
            r#"{"online_member_num":1}"#.into(),
            404,
            "nope",
        ),
        (
            Method::POST,
            format!("/_emulator/apps/{APP}/groups/nope/mute"),
            r#"{"mute_all":true}"#.into(),
            404,
            "nope",
        ),
        (
            Method::GET,
            "/_emulator/apps/abc/groups/team/messages".into(),
            String::new(),
            400,
            "sdkappid",
        ),
        (
            Method::GET,
            "/_emulator/apps/0/groups/team/messages".into(),
            String::new(),
            400,
            "sdkappid",
        ),
        (
            Method::POST,
            team_path("online"),
            "not json".into(),
            400,
            "not valid JSON",
        ),
        (
            Method::POST,
            team_path("online"),
            "[]".into(),
            400,
            "JSON object",
        ),
        (
            Method::POST,
            team_path("online"),
            "{}".into(),
            400,
            "online_member_num",
        ),
        (
            Method::POST,
            team_path("online"),
            r#"{"online_member_num":-1}"#.into(),
            400,
            "",
        ),
        (
            Method::POST,
            team_path("online"),
            r#"{"online_member_num":"5"}"#.into(),
            400,
            "",
        ),
        (
            Method::POST,
            team_path("online"),
            r#"{"OnlineMemberNum":5}"#.into(),
            400,
            "unknown field",
        ),
        (
            Method::POST,
            team_path("mute"),
            "{}".into(),
            400,
            "mute_all",
        ),
        (
            Method::POST,
            team_path("mute"),
            r#"{"account":"bob"}"#.into(),
            400,
            "together",
        ),
        (
            Method::POST,
            team_path("mute"),
            r#"{"seconds":5}"#.into(),
            400,
            "together",
        ),
        (
            Method::POST,
            team_path("mute"),
            r#"{"account":"","seconds":5}"#.into(),
            400,
            "empty",
        ),
        (
            Method::POST,
            team_path("mute"),
            r#"{"account":"bob","seconds":4294967296,"mute_all":true}"#.into(),
            400,
            "4294967295",
        ),
        (
            Method::POST,
            team_path("mute"),
            r#"{"mute_all":"On"}"#.into(),
            400,
            "",
        ),
        (
            Method::GET,
            team_path("mute"),
            String::new(),
            405,
            "not allowed",
        ),
        (
            Method::POST,
            team_path("messages"),
            String::new(),
            405,
            "not allowed",
        ),
    ];
    for (method, path, body, want, needle) in cases {
        let (status, v) = control(&emu, method.clone(), &path, &body).await;
        assert_eq!(status, want, "{method} {path} {body}: {v}");
        let e = v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: no error in {v}"));
        assert!(e.contains(needle), "{method} {path} {body}: {e}");
    }
    assert_eq!(export(&emu).await, before);
}

#[tokio::test]
async fn the_group_endpoints_are_behind_the_admin_token() {
    let mut s = Settings::zero_config();
    s.admin_token = Some("t0k".into());
    let emu = Emu::start_with(s).await;
    let id = team(&emu).await;
    let (status, _) = control(&emu, Method::GET, &group_path(&id, "messages"), "").await;
    assert_eq!(status, 401);
    let raw = emu
        .http
        .get(format!("{}{}", emu.base(), group_path(&id, "messages")))
        .bearer_auth("t0k")
        .send()
        .await
        .expect("answered");
    assert_eq!(raw.status().as_u16(), 200);
}

// ---- the state document ----

#[tokio::test]
async fn a_document_with_messages_round_trips_through_export_and_import() {
    let emu = Emu::start().await;
    let (status, v) = import(&emu, MESSAGES_DOC).await;
    assert_eq!(status, 200, "{v}");
    let doc = export(&emu).await;
    let team = &doc["apps"][0]["groups"][0];
    assert_eq!(team["NextMsgSeq"], 5);
    assert_eq!(team["MuteAllMember"], "On");
    assert_eq!(team["MutedAccounts"], json!({"carol": 4_294_967_295u64}));
    assert_eq!(team["MemberList"][0]["MsgSeq"], 3);
    assert_eq!(team["Messages"].as_array().map(Vec::len), Some(4));
    let fixture: Value = serde_json::from_str(MESSAGES_DOC).expect("fixture is JSON");
    assert_eq!(
        team["Messages"], fixture["apps"][0]["groups"][0]["Messages"],
        "messages as written"
    );
    assert_eq!(doc["apps"][0]["groups"][1]["OnlineMemberNum"], 1000);
    control(&emu, Method::POST, "/_emulator/reset", "").await;
    let (status, v) = import(&emu, &doc.to_string()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(export(&emu).await, doc);
    let v = emu.call(ONLINE, json!({"GroupId": "live"})).await;
    assert_eq!(v["OnlineMemberNum"], 1000);
    let g = emu.group_info("team").await;
    assert_eq!(
        (&g["NextMsgSeq"], &g["LastMsgTime"]),
        (&json!(5), &json!(1_700_000_400))
    );
}

/// The fixture with its `team` group changed by `edit`.
fn edited(edit: impl FnOnce(&mut Value)) -> String {
    let mut doc: Value = serde_json::from_str(MESSAGES_DOC).expect("fixture is JSON");
    edit(&mut doc["apps"][0]["groups"][0]);
    doc.to_string()
}

#[tokio::test]
async fn documents_with_impossible_message_state_are_refused_and_change_nothing() {
    let emu = Emu::start().await;
    let id = team(&emu).await;
    let before = export(&emu).await;
    let cases: Vec<(String, &str)> = vec![
        (
            edited(|g| g["Messages"][2]["MsgSeq"] = json!(5)),
            "consecutive MsgSeq values; 5 follows 2",
        ),
        (
            edited(|g| g["Messages"][0]["MsgSeq"] = json!(0)),
            "consecutive",
        ),
        (
            edited(|g| g["NextMsgSeq"] = json!(4)),
            "NextMsgSeq 4 must come after the newest message's MsgSeq 4; give NextMsgSeq 5",
        ),
        (
            edited(|g| g["NextMsgSeq"] = json!(0)),
            "NextMsgSeq must be 1 or more",
        ),
        (
            edited(|g| {
                if let Some(o) = g.as_object_mut() {
                    o.remove("NextMsgSeq");
                }
            }),
            "give NextMsgSeq 5",
        ),
        (
            edited(|g| g["MemberList"][2]["MsgSeq"] = json!(5)),
            "MemberList[2]: MsgSeq 5 is beyond the newest message (NextMsgSeq 5); a read position is at most 4",
        ),
        (
            edited(|g| g["Type"] = json!("AVChatRoom")),
            "AVChatRoom groups keep no message history",
        ),
        (
            edited(|g| {
                g["Messages"][0]["MsgBody"] = json!([{"MsgType": "TIMTextElem", "MsgContent": {}}])
            }),
            "Messages (MsgSeq 1): MsgBody[0].MsgContent.Text is required",
        ),
        (
            edited(|g| g["Messages"][1]["Status"] = json!("gone")),
            "Status",
        ),
        (
            edited(|g| g["Messages"][1]["Random"] = json!(4_294_967_296u64)),
            "Random",
        ),
        (
            edited(|g| g["Messages"][1]["Colour"] = json!("red")),
            "Colour",
        ),
    ];
    for (doc, needle) in cases {
        let (status, v) = import(&emu, &doc).await;
        assert_eq!(status, 400, "{needle}: {v}");
        let e = v["error"].as_str().expect("error");
        assert!(e.contains(needle), "want {needle:?} in {e}");
        assert!(e.contains("groups[0]"), "the place is named: {e}");
    }
    assert_eq!(export(&emu).await, before);
    assert_eq!(emu.group_info(&id).await["ErrorCode"], 0);
}

#[tokio::test]
async fn a_document_without_last_msg_time_takes_the_newest_message_time() {
    let emu = Emu::start().await;
    let doc = edited(|g| {
        if let Some(o) = g.as_object_mut() {
            o.remove("LastMsgTime");
        }
    });
    let (status, v) = import(&emu, &doc).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(emu.group_info("team").await["LastMsgTime"], 1_700_000_400);
}

#[tokio::test]
async fn an_imported_history_longer_than_the_cap_keeps_the_newest() {
    let mut s = Settings::zero_config();
    s.history_per_group = 2;
    let emu = Emu::start_with(s).await;
    let (status, v) = import(&emu, MESSAGES_DOC).await;
    assert_eq!(status, 200, "{v}");
    let v = read(&emu, "team", "messages").await;
    let seqs: Vec<&Value> = v["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| &m["MsgSeq"])
        .collect();
    assert_eq!(seqs, [3, 4]);
    assert_eq!(v["NextMsgSeq"], 5);
}

#[tokio::test]
async fn pretty_printed_bodies_are_stored_compact() {
    let emu = Emu::start().await;
    let doc = edited(|_| {});
    let pretty: Value = serde_json::from_str(&doc).expect("JSON");
    let text = serde_json::to_string_pretty(&pretty).expect("pretty");
    let (status, v) = import(&emu, &text).await;
    assert_eq!(status, 200, "{v}");
    let raw = emu
        .request(Method::GET, "/_emulator/state", Vec::new())
        .await;
    let at = raw.body.find(r#""MsgBody":"#).expect("a MsgBody");
    let first = &raw.body[at..];
    let body = &first[..first.find(']').expect("the end of the body")];
    assert!(!body.contains(char::is_whitespace), "{body}");
    assert!(body.contains(r#""Text":"hello""#), "{body}");
}

#[tokio::test]
async fn state_files_of_the_previous_version_still_load_without_messages() {
    let emu = Emu::start().await;
    for doc in [EXAMPLE, MINIMAL] {
        let (status, v) = import(&emu, doc).await;
        assert_eq!(status, 200, "{v}");
        let exported = export(&emu).await;
        for app in exported["apps"].as_array().expect("apps") {
            for g in app["groups"].as_array().expect("groups") {
                assert_eq!(g["NextMsgSeq"], 1, "{g}");
                assert_eq!(g["LastMsgTime"], 0, "{g}");
                assert!(
                    g.get("Messages").is_none(),
                    "no empty history is written: {g}"
                );
                assert!(g.get("OnlineMemberNum").is_none(), "0 is not written: {g}");
                for m in g["MemberList"].as_array().expect("members") {
                    // A member's fields at their defaults are left out of the document.
                    assert!(m.get("MsgSeq").is_none_or(|s| s == 0), "{m}");
                }
            }
        }
    }
    let v = emu.call(ONLINE, json!({"GroupId": "team"})).await;
    assert_eq!(code(&v), 10007, "minimal.json's team is Public: {v}");
}

// ---- --state-file ----

mod state_file {
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    use serde_json::{Value, json};

    const BIN: &str = env!("CARGO_BIN_EXE_tim-emulator");

    fn free_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        l.local_addr().expect("address").port()
    }

    async fn start(state: &Path) -> (Child, u16) {
        let port = free_port();
        let mut child = Command::new(BIN)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--state-file")
            .arg(state)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let client = reqwest::Client::new();
        for _ in 0..300 {
            let url = format!("http://127.0.0.1:{port}/_emulator/health");
            if client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return (child, port);
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the emulator exited early: {status}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the emulator did not become healthy");
    }

    fn stop(mut child: Child) {
        let ok = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", child.id())])
            .status()
            .expect("sh runs");
        assert!(ok.success());
        let status = child.wait().expect("the emulator exits");
        assert!(status.success(), "graceful exit: {status}");
    }

    async fn get(port: u16, path: &str) -> Value {
        let url = format!("http://127.0.0.1:{port}{path}");
        let r = reqwest::get(url).await.expect("answered");
        r.json().await.expect("JSON")
    }

    #[tokio::test]
    async fn messages_and_the_online_count_survive_a_restart_through_the_state_file() {
        let dir = std::env::temp_dir().join(format!("tim-messages-admin-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let state = dir.join("state.json");
        std::fs::write(&state, super::MESSAGES_DOC).expect("write the fixture");
        let (child, port) = start(&state).await;
        let before = get(port, "/_emulator/apps/1400000000/groups/team/messages").await;
        assert_eq!(before["count"], 4, "{before}");
        let url = format!("http://127.0.0.1:{port}/_emulator/apps/1400000000/groups/live/online");
        let r = reqwest::Client::new()
            .post(url)
            .body(json!({"online_member_num": 42}).to_string())
            .send()
            .await
            .expect("answered");
        assert_eq!(r.status().as_u16(), 200);
        stop(child);
        let written: Value =
            serde_json::from_slice(&std::fs::read(&state).expect("state file")).expect("JSON");
        let groups = &written["apps"][0]["groups"];
        assert_eq!(groups[0]["Messages"].as_array().map(Vec::len), Some(4));
        assert_eq!(groups[1]["OnlineMemberNum"], 42);
        let (child, port) = start(&state).await;
        let after = get(port, "/_emulator/apps/1400000000/groups/team/messages").await;
        assert_eq!(after["messages"], before["messages"]);
        let online = get(port, "/_emulator/apps/1400000000/groups/live/messages").await;
        assert_eq!(online["OnlineMemberNum"], 42);
        stop(child);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
