//! send_group_msg (messages spec §30–§31, §39.1–§39.4): the message rules on both sides of
//! each boundary, the order of checks, mutes, duplicates, the per-group rate, sequences, and the
//! before-send, after-send and exception callbacks against a real receiver.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use common::receiver::{Receiver, Reply, allow};
use common::{APP, Emu, code, info};
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{AppPolicy, Apps, CallbackConfig, Limits};
use tim_emulator::clock::Clock;

const SEND: &str = "group_open_http_svc/send_group_msg";
const BEFORE: &str = "Group.CallbackBeforeSendMsg";
const AFTER: &str = "Group.CallbackAfterSendMsg";
const EXCEPTION: &str = "Group.CallbackSendMsgException";

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

fn msg(group: &str, random: u64, t: &str) -> Value {
    json!({"GroupId": group, "Random": random, "MsgBody": text(t)})
}

/// An emulator with `group` (Public, owner leckie, members bob and peter).
async fn with_group(emu: Emu, ty: &str, group: &str) -> Emu {
    emu.import(&["leckie", "bob", "peter", "stranger"]).await;
    let members = if ty == "AVChatRoom" || ty == "BChatRoom" {
        json!([])
    } else {
        json!([{"Member_Account": "bob"}, {"Member_Account": "peter"}])
    };
    let v = emu
        .create_group(json!({"Owner_Account": "leckie", "Type": ty, "GroupId": group, "Name": "g", "MemberList": members}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    emu
}

async fn public() -> Emu {
    with_group(Emu::start_unlimited().await, "Public", "g1").await
}

/// The group's messages in the state export.
async fn stored(emu: &Emu, group: &str) -> Vec<Value> {
    let raw = emu
        .request(reqwest::Method::GET, "/_emulator/state", Vec::new())
        .await;
    let doc = raw.json();
    let app = doc["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["sdkappid"] == APP)
        .cloned()
        .unwrap();
    let g = app["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["GroupId"] == group)
        .cloned()
        .unwrap();
    g["Messages"].as_array().cloned().unwrap_or_default()
}

async fn next_seq(emu: &Emu, group: &str) -> u64 {
    let g = emu.group_info(group).await;
    g["NextMsgSeq"].as_u64().unwrap_or_else(|| panic!("{g}"))
}

#[tokio::test]
async fn messages_get_consecutive_sequences_and_the_reads_show_them_at_once() {
    let emu = public().await;
    let raw = emu
        .post_raw(
            SEND,
            &Emu::query(APP, "admin"),
            msg("g1", 1, "one").to_string(),
        )
        .await;
    common::receiver::assert_keys_in_order(
        &raw.body,
        &[
            "ActionStatus",
            "ErrorInfo",
            "ErrorCode",
            "MsgTime",
            "MsgSeq",
        ],
    );
    let a = raw.json();
    assert_eq!(code(&a), 0, "{a}");
    assert_eq!(a["MsgSeq"], 1);
    assert!(a["MsgTime"].as_u64().unwrap() > 1_600_000_000);
    let mut from_bob = msg("g1", 2, "two");
    from_bob["From_Account"] = json!("bob");
    let b = emu.call(SEND, from_bob).await;
    assert_eq!(b["MsgSeq"], 2, "{b}");
    let g = &emu.group_info("g1").await;
    assert_eq!(g["NextMsgSeq"], 3, "{g}");
    assert_eq!(g["LastMsgTime"], b["MsgTime"]);
    let bob = g["MemberList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Member_Account"] == "bob")
        .unwrap();
    assert_eq!(bob["MsgSeq"], 2, "{bob}");
    assert_eq!(bob["LastSendMsgTime"], b["MsgTime"]);
    let msgs = stored(&emu, "g1").await;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["From_Account"], "admin");
    assert_eq!(msgs[1]["From_Account"], "bob");
    assert_eq!(msgs[1]["MsgBody"], text("two"));
}

#[tokio::test]
async fn the_size_limit_is_8000_utf8_bytes_including_cloud_custom_data_and_a_refusal_uses_no_sequence()
 {
    let emu = public().await;
    // 2,666 CJK characters = 7,998 bytes; CloudCustomData of 2 bytes makes 8,000.
    let body = "汉".repeat(2666);
    let mut fits = msg("g1", 1, &body);
    fits["CloudCustomData"] = json!("ab");
    let over = {
        let mut m = msg("g1", 2, &body);
        m["CloudCustomData"] = json!("abc");
        m
    };
    let v = emu.call(SEND, over).await;
    assert_eq!(code(&v), 80002, "{v}");
    assert!(info(&v).contains("8,001 bytes"), "{v}");
    assert!(
        info(&v).contains("MsgBody[0].MsgContent.Text is 7,998 bytes"),
        "{v}"
    );
    assert!(info(&v).contains("at most 8,000"), "{v}");
    assert_eq!(next_seq(&emu, "g1").await, 1, "a refusal takes no sequence");
    let v = emu.call(SEND, fits).await;
    assert_eq!((code(&v), v["MsgSeq"].as_u64()), (0, Some(1)), "{v}");
}

#[tokio::test]
async fn random_is_an_unsigned_32_bit_integer() {
    let emu = public().await;
    for (i, r) in [json!(0), json!(2147483648u64), json!(4294967295u64)]
        .into_iter()
        .enumerate()
    {
        let v = emu
            .call(
                SEND,
                json!({"GroupId": "g1", "Random": r, "MsgBody": text(&format!("t{i}"))}),
            )
            .await;
        assert_eq!(code(&v), 0, "{r}: {v}");
    }
    let v = emu
        .call(SEND, json!({"GroupId": "g1", "MsgBody": text("no random")}))
        .await;
    assert_eq!(code(&v), 0, "absent Random is generated: {v}");
    for r in [json!(4294967296u64), json!(-1), json!(1.5), json!("7")] {
        let v = emu
            .call(
                SEND,
                json!({"GroupId": "g1", "Random": r, "MsgBody": text("x")}),
            )
            .await;
        assert_eq!(code(&v), 10004, "{r}: {v}");
        assert!(info(&v).contains("Random"), "{v}");
    }
    assert_eq!(next_seq(&emu, "g1").await, 5);
}

#[tokio::test]
async fn a_malformed_body_names_the_element_and_field() {
    let emu = public().await;
    let cases = [
        (json!(null), "MsgBody is required"),
        (json!([]), "MsgBody is empty"),
        (
            json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "a"}}, {"MsgType": "TIMFaceElem", "MsgContent": {"Index": "1"}}]),
            "MsgBody[1].MsgContent.Index must be an integer, not a string",
        ),
        (
            json!([{"MsgType": "TIMTextElement", "MsgContent": {}}]),
            "is not an element type",
        ),
        (
            json!([{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "a"}}, {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "b"}}]),
            "at most one custom element",
        ),
    ];
    for (body, needle) in cases {
        let v = emu
            .call(SEND, json!({"GroupId": "g1", "Random": 1, "MsgBody": body}))
            .await;
        assert_eq!(code(&v), 10004, "{body}: {v}");
        assert!(info(&v).contains(needle), "{needle}: {v}");
    }
}

#[tokio::test]
async fn to_account_takes_50_receivers_and_group_at_info_30_targets() {
    let emu = public().await;
    let accounts = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
    let mut m = msg("g1", 1, "to 50");
    m["To_Account"] = json!(accounts(50));
    assert_eq!(code(&emu.call(SEND, m.clone()).await), 0);
    m["To_Account"] = json!(accounts(51));
    m["Random"] = json!(2);
    let v = emu.call(SEND, m).await;
    assert_eq!(code(&v), 10005, "{v}");
    assert!(info(&v).contains("51"), "{v}");
    let ats = |n: usize| {
        (0..n)
            .map(|i| json!({"GroupAtAllFlag": 0, "GroupAt_Account": format!("u{i}")}))
            .collect::<Vec<_>>()
    };
    let mut m = msg("g1", 3, "at 30");
    m["GroupAtInfo"] = json!(ats(30));
    assert_eq!(code(&emu.call(SEND, m.clone()).await), 0);
    m["GroupAtInfo"] = json!(ats(31));
    m["Random"] = json!(4);
    let v = emu.call(SEND, m).await;
    assert_eq!(code(&v), 10053, "{v}");
    assert_eq!(next_seq(&emu, "g1").await, 3);
}

#[tokio::test]
async fn checks_run_in_the_spec_order() {
    let emu = public().await;
    let big = "a".repeat(8001);
    // Size (step 3) before the group's existence (step 5).
    let v = emu.call(SEND, msg("nope", 1, &big)).await;
    assert_eq!(code(&v), 80002, "{v}");
    // Body structure (step 2) before size.
    let v = emu
        .call(
            SEND,
            json!({"GroupId": "nope", "Random": -1, "MsgBody": text(&big)}),
        )
        .await;
    assert_eq!(code(&v), 10004, "{v}");
    // GroupId presence first.
    let v = emu.call(SEND, json!({"MsgBody": text("x")})).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("GroupId"), "{v}");
    // Form (10015) and existence (10010).
    let v = emu.call(SEND, msg(&"a".repeat(50), 1, "x")).await;
    assert_eq!(code(&v), 10015, "{v}");
    let v = emu.call(SEND, msg("nope", 1, "x")).await;
    assert_eq!(code(&v), 10010, "{v}");
    // The sender's account (step 7) after the group.
    let mut m = msg("nope", 1, "x");
    m["From_Account"] = json!("ghost");
    assert_eq!(code(&emu.call(SEND, m.clone()).await), 10010);
    m["GroupId"] = json!("g1");
    let v = emu.call(SEND, m).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("ghost"), "{v}");
    // A non-empty TopicId is refused; an empty one is absent.
    let mut m = msg("g1", 1, "x");
    m["TopicId"] = json!("@TGS#_topic");
    assert_eq!(code(&emu.call(SEND, m.clone()).await), 10004);
    m["TopicId"] = json!("");
    assert_eq!(code(&emu.call(SEND, m).await), 0);
    // Account fields that are not strings: 60015.
    let mut m = msg("g1", 9, "x");
    m["To_Account"] = json!(["a", 5]);
    assert_eq!(code(&emu.call(SEND, m).await), 60015);
}

#[tokio::test]
async fn a_sensitive_word_in_a_text_or_custom_desc_is_80001() {
    let mut policy = AppPolicy::zero_config(Limits::UNLIMITED);
    policy.sensitive_words = vec!["badword".into()];
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(HashMap::from([(APP, policy)]), Limits::UNLIMITED);
    let emu = with_group(Emu::start_with(s).await, "Public", "g1").await;
    let v = emu.call(SEND, msg("g1", 1, "a BadWord here")).await;
    assert_eq!(code(&v), 80001, "{v}");
    assert!(info(&v).contains("MsgBody[0].MsgContent.Text"), "{v}");
    let v = emu
        .call(SEND, json!({"GroupId": "g1", "Random": 2, "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "badword", "Desc": "fine"}}]}))
        .await;
    assert_eq!(code(&v), 0, "Data is not scanned: {v}");
    let v = emu
        .call(SEND, json!({"GroupId": "g1", "Random": 3, "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Desc": "badword"}}]}))
        .await;
    assert_eq!(code(&v), 80001, "{v}");
}

#[tokio::test]
async fn muted_senders_get_10017_but_the_admin_and_owners_may_send() {
    let emu = public().await;
    let v = emu
        .call(
            "group_open_http_svc/forbid_send_msg",
            json!({"GroupId": "g1", "Members_Account": ["bob"], "MuteTime": 60}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let mut m = msg("g1", 1, "hi");
    m["From_Account"] = json!("bob");
    let v = emu.call(SEND, m).await;
    assert_eq!(code(&v), 10017, "{v}");
    assert!(info(&v).contains("bob"), "{v}");
    let mut m = msg("g1", 2, "hi");
    m["From_Account"] = json!("peter");
    assert_eq!(code(&emu.call(SEND, m).await), 0);
    // Mute everyone: ordinary members stop, the owner and the admin go on.
    let v = emu
        .call(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": "g1", "MuteAllMember": "On"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let mut m = msg("g1", 3, "hi");
    m["From_Account"] = json!("peter");
    assert_eq!(code(&emu.call(SEND, m).await), 10017);
    let mut m = msg("g1", 4, "hi");
    m["From_Account"] = json!("leckie");
    assert_eq!(code(&emu.call(SEND, m).await), 0);
    assert_eq!(code(&emu.call(SEND, msg("g1", 5, "hi")).await), 0);
    // A non-member with no mute is not touched by MuteAllMember.
    let mut m = msg("g1", 6, "hi");
    m["From_Account"] = json!("stranger");
    assert_eq!(code(&emu.call(SEND, m).await), 0);
    assert_eq!(next_seq(&emu, "g1").await, 5);
}

#[tokio::test]
async fn a_repeat_within_the_window_gets_the_first_answer_and_stores_nothing() {
    let emu = public().await;
    let first = emu.call(SEND, msg("g1", 77, "same")).await;
    let again = emu.call(SEND, msg("g1", 77, "same")).await;
    assert_eq!(code(&again), 0, "{again}");
    assert_eq!(
        (&again["MsgSeq"], &again["MsgTime"]),
        (&first["MsgSeq"], &first["MsgTime"])
    );
    assert_eq!(next_seq(&emu, "g1").await, 2);
    // The journal names the original.
    let raw = emu
        .request(
            reqwest::Method::GET,
            "/_emulator/requests?command=send_group_msg",
            Vec::new(),
        )
        .await;
    let text = raw.body.clone();
    assert!(text.contains("duplicate of the message"), "{text}");
    // Same Random, other body; other Random, same body: both new messages.
    assert_eq!(emu.call(SEND, msg("g1", 77, "other")).await["MsgSeq"], 2);
    assert_eq!(emu.call(SEND, msg("g1", 78, "same")).await["MsgSeq"], 3);
    // Same body and Random from another sender: new.
    let mut m = msg("g1", 77, "same");
    m["From_Account"] = json!("bob");
    assert_eq!(emu.call(SEND, m).await["MsgSeq"], 4);
}

#[tokio::test]
async fn the_window_ends_after_300_seconds() {
    let mut s = Settings::zero_config();
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.clock = Clock::frozen_at(1_700_000_000_000);
    let emu = with_group(Emu::start_with(s).await, "Public", "g1").await;
    assert_eq!(emu.call(SEND, msg("g1", 5, "x")).await["MsgSeq"], 1);
    advance(&emu, 299_000).await;
    assert_eq!(emu.call(SEND, msg("g1", 5, "x")).await["MsgSeq"], 1);
    advance(&emu, 1_000).await;
    assert_eq!(emu.call(SEND, msg("g1", 5, "x")).await["MsgSeq"], 2);
}

async fn advance(emu: &Emu, ms: u64) {
    let raw = emu
        .request(
            reqwest::Method::POST,
            "/_emulator/clock",
            json!({"advance_ms": ms}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
}

#[tokio::test]
async fn a_group_takes_40_messages_a_second_then_10023() {
    let mut s = Settings::zero_config();
    s.apps = Apps::zero_config(Limits {
        group_msgs_per_second_per_group: 40,
        ..Limits::UNLIMITED
    });
    s.clock = Clock::frozen_at(1_700_000_000_000);
    let emu = with_group(Emu::start_with(s).await, "Public", "g1").await;
    for i in 0..40 {
        let v = emu.call(SEND, msg("g1", i, "x")).await;
        assert_eq!(code(&v), 0, "{i}: {v}");
    }
    let v = emu.call(SEND, msg("g1", 40, "x")).await;
    assert_eq!(code(&v), 10023, "{v}");
    assert!(info(&v).contains("--group-msgs-per-second"), "{v}");
    assert_eq!(next_seq(&emu, "g1").await, 41);
    advance(&emu, 1_000).await;
    assert_eq!(code(&emu.call(SEND, msg("g1", 41, "x")).await), 0);
}

#[tokio::test]
async fn online_only_and_live_group_messages_take_no_sequence() {
    let emu = public().await;
    let mut m = msg("g1", 1, "live");
    m["OnlineOnlyFlag"] = json!(1);
    let v = emu.call(SEND, m.clone()).await;
    assert_eq!((code(&v), v["MsgSeq"].as_u64()), (0, Some(0)), "{v}");
    m["SendMsgControl"] = json!(["NoUnread"]);
    assert_eq!(code(&emu.call(SEND, m).await), 10004);
    assert_eq!(next_seq(&emu, "g1").await, 1);
    let emu = with_group(emu, "AVChatRoom", "av").await;
    let v = emu.call(SEND, msg("av", 1, "to the room")).await;
    assert_eq!((code(&v), v["MsgSeq"].as_u64()), (0, Some(0)), "{v}");
    let mut m = msg("av", 2, "x");
    m["SendMsgControl"] = json!(["NoLastMsg"]);
    assert_eq!(code(&emu.call(SEND, m).await), 10004);
    let mut m = msg("av", 3, "x");
    m["GroupAtInfo"] = json!([{"GroupAtAllFlag": 1}]);
    assert_eq!(code(&emu.call(SEND, m).await), 10004);
    let mut m = msg("av", 4, "x");
    m["To_Account"] = json!(["bob"]);
    assert_eq!(code(&emu.call(SEND, m).await), 10004);
}

#[tokio::test]
async fn control_fields_are_checked_and_stored() {
    let emu = public().await;
    for (field, value) in [
        ("SendMsgControl", json!(["NoPush"])),
        ("ForbidCallbackControl", json!(["ForbidAll"])),
        ("MsgPriority", json!("Urgent")),
        ("MsgPriority", json!("high")),
        ("OnlineOnlyFlag", json!(-1)),
        ("SupportMessageExtension", json!(2)),
        ("OfflinePushInfo", json!({"PushFlag": "0"})),
        ("OfflinePushInfo", json!({"ApnsInfo": {"BadgeMode": "x"}})),
        ("CloudCustomData", json!(5)),
    ] {
        let mut m = msg("g1", 1, "x");
        m[field] = value.clone();
        let v = emu.call(SEND, m).await;
        assert_eq!(code(&v), 10004, "{field}={value}: {v}");
        assert!(info(&v).contains(field), "{field}: {v}");
    }
    let mut m = msg("g1", 1, "x");
    m["MsgPriority"] = json!("High");
    m["SendMsgControl"] = json!(["NoUnread", "NoLastMsg"]);
    m["OfflinePushInfo"] = json!({"PushFlag": 0, "Title": "t", "Extra": 1});
    m["CloudCustomData"] = json!("ccd");
    m["NeedReadReceipt"] = json!(1);
    assert_eq!(code(&emu.call(SEND, m).await), 0);
    let s = &stored(&emu, "g1").await[0];
    assert_eq!(s["MsgPriority"], 1, "{s}");
    assert_eq!(s["SendMsgControl"], json!(["NoUnread", "NoLastMsg"]));
    assert_eq!(s["OfflinePushInfo"]["Extra"], 1);
    assert_eq!(s["CloudCustomData"], "ccd");
    assert_eq!(s["NeedReadReceipt"], 1);
}

#[tokio::test]
async fn concurrent_senders_to_one_group_get_distinct_gap_free_sequences() {
    let emu = Arc::new(public().await);
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let emu = emu.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..25u64 {
                let v = emu.call(SEND, msg("g1", t * 1000 + i, "c")).await;
                assert_eq!(code(&v), 0, "{v}");
                seqs.push(v["MsgSeq"].as_u64().unwrap());
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, (1..=200).collect::<Vec<u64>>());
    assert_eq!(next_seq(&emu, "g1").await, 201);
}

// ---- callbacks (spec §39.1–§39.4) ----

fn callbacks(url: &str, events: &[&str], block: bool) -> CallbackConfig {
    CallbackConfig {
        url: url.into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        token: None,
        timeout_ms: 2000,
        fail_closed: false,
        block_send_on_failure: block,
    }
}

async fn with_callbacks(cb: CallbackConfig) -> Emu {
    let mut s = Settings::zero_config();
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.apps.set_zero_config_callback(Some(cb));
    with_group(Emu::start_with(s).await, "Public", "g1").await
}

/// Waits until the receiver has `n` deliveries of `command` (after-events are queued).
async fn wait_for(rx: &Receiver, command: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let got = rx.bodies(command);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{command}: fewer than {n} deliveries: {:?}", rx.commands());
}

#[tokio::test]
async fn before_send_gets_the_vendor_fields_and_after_send_the_stored_sequence() {
    let rx = Receiver::start(allow()).await;
    let emu = with_callbacks(callbacks(&rx.url, &[BEFORE, AFTER], false)).await;
    let mut m = msg("g1", 4294967295, "hello");
    m["From_Account"] = json!("bob");
    m["CloudCustomData"] = json!("c");
    m["GroupAtInfo"] = json!([{"GroupAtAllFlag": 1}]);
    let v = emu.call(SEND, m).await;
    assert_eq!(code(&v), 0, "{v}");
    let before = &rx.bodies(BEFORE)[0];
    assert_eq!(before["GroupId"], "g1");
    assert_eq!(before["Type"], "Public");
    assert_eq!(before["From_Account"], "bob");
    assert_eq!(before["Operator_Account"], "admin");
    assert_eq!(before["Random"], 4294967295u64);
    assert_eq!(before["OnlineOnlyFlag"], 0);
    assert_eq!(before["MsgBody"], text("hello"));
    assert_eq!(before["CloudCustomData"], "c");
    assert!(before["EventTime"].as_u64().unwrap() > 1_600_000_000_000);
    common::receiver::assert_keys_in_order(
        &rx.raw(BEFORE).unwrap(),
        &[
            "CallbackCommand",
            "GroupId",
            "Type",
            "From_Account",
            "Operator_Account",
            "Random",
            "OnlineOnlyFlag",
            "MsgBody",
            "CloudCustomData",
            "EventTime",
        ],
    );
    let after = &wait_for(&rx, AFTER, 1).await[0];
    assert_eq!(after["MsgSeq"], 1);
    assert_eq!(after["MsgTime"], v["MsgTime"]);
    assert_eq!(after["GroupAtInfo"][0]["GroupAtAllFlag"], 1);
    // ForbidCallbackControl skips both.
    let mut m = msg("g1", 2, "quiet");
    m["ForbidCallbackControl"] =
        json!(["ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"]);
    assert_eq!(code(&emu.call(SEND, m).await), 0);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(rx.bodies(BEFORE).len(), 1);
    assert_eq!(rx.bodies(AFTER).len(), 1);
}

#[tokio::test]
async fn before_send_answers_refuse_drop_pass_through_or_rewrite() {
    let rx = Receiver::start(Reply::Json(json!({"ErrorCode": 1, "ErrorInfo": "no spam"}))).await;
    let emu = with_callbacks(callbacks(&rx.url, &[BEFORE, AFTER], false)).await;
    let v = emu.call(SEND, msg("g1", 1, "spam")).await;
    assert_eq!(code(&v), 10016, "{v}");
    assert!(info(&v).contains("no spam"), "{v}");
    rx.set_reply(Reply::Json(
        json!({"ErrorCode": 10150, "ErrorInfo": "shop closed"}),
    ));
    let v = emu.call(SEND, msg("g1", 2, "x")).await;
    assert_eq!((code(&v), info(&v)), (10150, "shop closed"));
    rx.set_reply(Reply::Json(json!({"ErrorCode": 2})));
    let v = emu.call(SEND, msg("g1", 3, "x")).await;
    assert_eq!((code(&v), v["MsgSeq"].as_u64()), (0, Some(0)), "{v}");
    assert_eq!(next_seq(&emu, "g1").await, 1, "nothing stored so far");
    rx.set_reply(Reply::Json(
        json!({"ErrorCode": 0, "MsgBody": text("***"), "CloudCustomData": "checked"}),
    ));
    let v = emu.call(SEND, msg("g1", 4, "rude")).await;
    assert_eq!((code(&v), v["MsgSeq"].as_u64()), (0, Some(1)), "{v}");
    let s = &stored(&emu, "g1").await[0];
    assert_eq!(s["MsgBody"], text("***"));
    assert_eq!(s["CloudCustomData"], "checked");
    let after = &wait_for(&rx, AFTER, 1).await[0];
    assert_eq!(
        after["MsgBody"],
        text("***"),
        "the after-send has the final body"
    );
    assert_eq!(
        rx.bodies(AFTER).len(),
        1,
        "no after-send for refused or dropped messages"
    );
}

#[tokio::test]
async fn a_failed_before_send_delivers_or_blocks_as_the_app_says() {
    let rx = Receiver::start(Reply::Status(500)).await;
    let emu = with_callbacks(callbacks(&rx.url, &[BEFORE], false)).await;
    let v = emu.call(SEND, msg("g1", 1, "x")).await;
    assert_eq!(
        (code(&v), v["MsgSeq"].as_u64()),
        (0, Some(1)),
        "deliver: {v}"
    );
    // An invalid rewrite counts as a failure.
    rx.set_reply(Reply::Json(
        json!({"ErrorCode": 0, "MsgBody": [{"MsgType": "Nope"}]}),
    ));
    let v = emu.call(SEND, msg("g1", 2, "kept")).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(stored(&emu, "g1").await[1]["MsgBody"], text("kept"));
    let rx = Receiver::start(Reply::Status(500)).await;
    let emu = with_callbacks(callbacks(&rx.url, &[BEFORE], true)).await;
    let v = emu.call(SEND, msg("g1", 1, "x")).await;
    assert_eq!(code(&v), 80003, "block: {v}");
    assert!(info(&v).contains("block"), "{v}");
    assert_eq!(next_seq(&emu, "g1").await, 1);
}

#[tokio::test]
async fn the_exception_callback_reports_a_muted_sender_and_an_oversize_message() {
    let rx = Receiver::start(allow()).await;
    let emu = with_callbacks(callbacks(&rx.url, &[EXCEPTION], false)).await;
    emu.call(
        "group_open_http_svc/forbid_send_msg",
        json!({"GroupId": "g1", "Members_Account": ["bob"], "MuteTime": 60}),
    )
    .await;
    let mut m = msg("g1", 1, "x");
    m["From_Account"] = json!("bob");
    assert_eq!(code(&emu.call(SEND, m).await), 10017);
    let got = wait_for(&rx, EXCEPTION, 1).await;
    assert_eq!(got[0]["ErrorCode"], 10017);
    assert_eq!(got[0]["From_Account"], "bob");
    assert!(got[0]["ErrorInfo"].as_str().unwrap().contains("muted"));
    assert_eq!(
        code(&emu.call(SEND, msg("g1", 2, &"a".repeat(8001))).await),
        80002
    );
    let got = wait_for(&rx, EXCEPTION, 2).await;
    assert_eq!(got[1]["ErrorCode"], 80002);
    // A plain 10004 is not an exception.
    assert_eq!(code(&emu.call(SEND, msg("g1", 3, "")).await), 0);
    let mut bad = msg("g1", 4, "x");
    bad["MsgPriority"] = json!("?");
    assert_eq!(code(&emu.call(SEND, bad).await), 10004);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(rx.bodies(EXCEPTION).len(), 2);
}

#[tokio::test]
async fn the_journal_notes_a_misspelled_field_and_element_fields_left_out() {
    let emu = public().await;
    let mut m = msg("g1", 1, "x");
    m["MsgOnlineOnlyFlag"] = json!(1);
    let v = emu.call(SEND, m).await;
    // The misspelled flag is ignored, so the message is stored.
    assert_eq!(v["MsgSeq"], 1, "{v}");
    let v = emu
        .call(SEND, json!({"GroupId": "g1", "Random": 2, "MsgBody": [{"MsgType": "TIMFileElem", "MsgContent": {"Url": "https://x/f", "FileName": "f"}}]}))
        .await;
    assert_eq!(code(&v), 0, "UUID is not enforced: {v}");
    let raw = emu
        .request(
            reqwest::Method::GET,
            "/_emulator/requests?command=send_group_msg",
            Vec::new(),
        )
        .await;
    let text = raw.body;
    assert!(
        text.contains(r#"\"MsgOnlineOnlyFlag\" is not a send_group_msg field and was ignored; did you mean \"OnlineOnlyFlag\"?"#),
        "{text}"
    );
    assert!(text.contains("MsgBody[0].MsgContent.UUID"), "{text}");
}

#[tokio::test]
async fn unread_counts_leave_out_own_no_unread_and_targeted_messages() {
    let emu = public().await;
    let send_as = |from: &str, r: u64, extra: Value| {
        let mut m = msg("g1", r, "u");
        m["From_Account"] = json!(from);
        if let Value::Object(x) = extra {
            for (k, v) in x {
                m[k] = v;
            }
        }
        m
    };
    for m in [
        send_as("bob", 1, json!({})),
        send_as("bob", 2, json!({"SendMsgControl": ["NoUnread"]})),
        send_as("bob", 3, json!({"To_Account": ["peter"]})),
        send_as("leckie", 4, json!({})),
    ] {
        assert_eq!(code(&emu.call(SEND, m).await), 0);
    }
    let unread = |who: &'static str| {
        let emu = &emu;
        async move {
            let v = emu
                .call(
                    "group_open_http_svc/get_joined_group_list",
                    json!({"Member_Account": who, "ResponseFilter": {"SelfInfoFilter": ["UnreadMsgNum", "MsgSeq"]}}),
                )
                .await;
            assert_eq!(code(&v), 0, "{v}");
            v["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"]
                .as_u64()
                .unwrap()
        }
    };
    // peter read nothing: bob's plain message and leckie's count.
    assert_eq!(unread("peter").await, 2);
    // bob's read position moved to his last message: leckie's counts.
    assert_eq!(unread("bob").await, 1);
    assert_eq!(unread("leckie").await, 0);
}
