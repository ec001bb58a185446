//! Group history, recall and delete-by-sender (spec `messages.md` §33–§35, §39.3), black-box:
//! every code, both sides of every boundary, the paging recipe, retention by the emulator's
//! clock, the after-recall callback, and a recall racing history reads.
//!
//! Messages are sent with send_group_msg; long histories (and messages from senders or times a
//! send cannot produce quickly) are seeded through the state document's `Messages`.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::receiver::{Receiver, allow, assert_keys_in_order};
use common::{APP, Emu, code, info};
use reqwest::Method;
use serde_json::{Value, json};
use tim_emulator::apps::{AppPolicy, Apps, CallbackConfig, Limits};
use tim_emulator::{Clock, Settings};

const T0: u64 = 1_700_000_000;
const DAY: u64 = 86_400;
const GET: &str = "group_open_http_svc/group_msg_get_simple";
const RECALL: &str = "group_open_http_svc/group_msg_recall";
const DELETE: &str = "group_open_http_svc/delete_group_msg_by_sender";
const SEND: &str = "group_open_http_svc/send_group_msg";
const AFTER_RECALL: &str = "Group.CallbackAfterRecallMsg";

/// A zero-config emulator on a frozen clock at [`T0`], changed by `change`, with leckie, bob
/// and peter imported.
async fn emu_with(change: impl FnOnce(&mut Settings)) -> Emu {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.clock = Clock::frozen_at(T0 * 1000);
    change(&mut s);
    let emu = Emu::start_with(s).await;
    emu.import(&["leckie", "bob", "peter"]).await;
    emu
}

async fn emu() -> Emu {
    emu_with(|_| {}).await
}

/// An emulator whose one app has `policy` changed by `change`.
async fn emu_policy(change: impl FnOnce(&mut AppPolicy)) -> Emu {
    let mut p = AppPolicy::zero_config(Limits::UNLIMITED);
    change(&mut p);
    emu_with(|s| s.apps = Apps::configured(HashMap::from([(APP, p)]), Limits::UNLIMITED)).await
}

/// Creates group `id` of `ty` owned by leckie with bob and peter.
async fn group(emu: &Emu, id: &str, ty: &str) {
    let mut req = json!({"Owner_Account": "leckie", "Type": ty, "GroupId": id, "Name": "G"});
    if ty != "AVChatRoom" {
        req["MemberList"] = json!([{"Member_Account": "bob"}, {"Member_Account": "peter"}]);
    }
    let v = emu.create_group(req).await;
    assert_eq!(code(&v), 0, "{v}");
}

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

/// Sends `body` from `from` to group `id` with a fresh `Random`; returns the `MsgSeq`.
async fn send_body(emu: &Emu, id: &str, from: &str, body: Value, extra: Value) -> u64 {
    static RANDOM: AtomicU32 = AtomicU32::new(1);
    let mut req = json!({
        "GroupId": id, "From_Account": from, "MsgBody": body,
        "Random": RANDOM.fetch_add(1, Ordering::Relaxed)
    });
    if let (Some(r), Some(e)) = (req.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    let v = emu.call(SEND, req).await;
    assert_eq!(code(&v), 0, "{v}");
    v["MsgSeq"].as_u64().expect("MsgSeq")
}

async fn send(emu: &Emu, id: &str, from: &str, t: &str) -> u64 {
    send_body(emu, id, from, text(t), json!({})).await
}

async fn get(emu: &Emu, body: Value) -> Value {
    emu.call(GET, body).await
}

/// The page of group `id`: `(MsgSeq, IsPlaceMsg)` of each entry, and `IsFinished`.
async fn page(emu: &Emu, id: &str, extra: Value) -> (Vec<(u64, u64)>, u64) {
    let mut req = json!({"GroupId": id, "ReqMsgNumber": 20});
    if let (Some(r), Some(e)) = (req.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    let v = get(emu, req).await;
    assert_eq!(code(&v), 0, "{v}");
    (seqs(&v), v["IsFinished"].as_u64().expect("IsFinished"))
}

fn seqs(v: &Value) -> Vec<(u64, u64)> {
    v["RspMsgList"]
        .as_array()
        .unwrap_or_else(|| panic!("no RspMsgList in {v}"))
        .iter()
        .map(|e| {
            (
                e["MsgSeq"].as_u64().unwrap(),
                e["IsPlaceMsg"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Recalls `list` (each a `MsgSeq`) in group `id`; the answer.
async fn recall(emu: &Emu, id: &str, list: &[u64]) -> Value {
    let items: Vec<Value> = list.iter().map(|s| json!({"MsgSeq": s})).collect();
    emu.call(RECALL, json!({"GroupId": id, "MsgSeqList": items}))
        .await
}

fn ret_codes(v: &Value) -> Vec<(u64, u64)> {
    v["RecallRetList"]
        .as_array()
        .unwrap_or_else(|| panic!("no RecallRetList in {v}"))
        .iter()
        .map(|i| {
            (
                i["MsgSeq"].as_u64().unwrap(),
                i["RetCode"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A stored message in the state document's form.
fn stored(seq: u64, from: &str, time: u64) -> Value {
    json!({
        "MsgSeq": seq, "MsgTime": time, "From_Account": from, "Random": seq,
        "MsgBody": text(&format!("m{seq}"))
    })
}

async fn export(emu: &Emu) -> Value {
    let raw = emu
        .request(Method::GET, "/_emulator/state", Vec::new())
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    raw.json()
}

fn group_doc<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    doc["apps"]
        .as_array_mut()
        .expect("apps")
        .iter_mut()
        .find(|a| a["sdkappid"] == APP)
        .expect("the test app")["groups"]
        .as_array_mut()
        .expect("groups")
        .iter_mut()
        .find(|g| g["GroupId"] == id)
        .unwrap_or_else(|| panic!("no group {id}"))
}

/// Replaces group `id`'s messages with `messages` (consecutive sequences) through the state
/// document; `NextMsgSeq` follows the last.
async fn seed(emu: &Emu, id: &str, messages: Vec<Value>) {
    let mut doc = export(emu).await;
    let g = group_doc(&mut doc, id);
    let next = messages
        .last()
        .map_or(1, |m| m["MsgSeq"].as_u64().unwrap() + 1);
    g["NextMsgSeq"] = json!(next);
    g["Messages"] = Value::Array(messages);
    let raw = emu
        .request(
            Method::PUT,
            "/_emulator/state",
            doc.to_string().into_bytes(),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
}

/// Group `id`'s stored messages as the state document has them.
async fn stored_messages(emu: &Emu, id: &str) -> Value {
    let mut doc = export(emu).await;
    group_doc(&mut doc, id)["Messages"].clone()
}

async fn advance(emu: &Emu, ms: u64) {
    let raw = emu
        .request(
            Method::POST,
            "/_emulator/clock",
            json!({"advance_ms": ms}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
}

fn callback(url: &str) -> CallbackConfig {
    CallbackConfig {
        url: url.to_string(),
        events: vec![AFTER_RECALL.to_string()],
        token: None,
        timeout_ms: 2000,
        fail_closed: false,
        block_send_on_failure: false,
    }
}

// ---- group_msg_get_simple: answer ----

#[tokio::test]
async fn history_answers_the_newest_first_with_the_vendor_fields_in_order() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    send(&emu, "g", "bob", "one").await;
    let body = json!([
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "\u{8}\u{1}", "Desc": "MIF", "Ext": ""}},
        {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 15, "Data": "", "Extra": [1]}}
    ]);
    send_body(
        &emu,
        "g",
        "peter",
        body.clone(),
        json!({"MsgPriority": "High", "CloudCustomData": "ccd 数据", "Random": 4_294_967_295_u64}),
    )
    .await;
    let raw = emu
        .post_raw(
            GET,
            &Emu::query(APP, "admin"),
            json!({"GroupId": "g", "ReqMsgNumber": 2}).to_string(),
        )
        .await;
    assert_keys_in_order(
        &raw.body,
        &[
            "ActionStatus",
            "ErrorInfo",
            "ErrorCode",
            "GroupId",
            "IsFinished",
            "RspMsgList",
        ],
    );
    // Entry keys in the vendor's (alphabetical) order, CloudCustomData first when present.
    assert!(
        raw.body.contains(r#""RspMsgList":[{"CloudCustomData":"ccd 数据","From_Account":"peter","IsPlaceMsg":0,"MsgBody":[{"#),
        "{}",
        raw.body
    );
    assert!(
        raw.body.contains(r#"],"MsgPriority":1,"MsgRandom":4294967295,"MsgSeq":2,"MsgTimeStamp":1700000000},{"From_Account":"bob","IsPlaceMsg":0,"#),
        "{}",
        raw.body
    );
    let v = raw.json();
    assert_eq!((&v["GroupId"], &v["IsFinished"]), (&json!("g"), &json!(1)));
    let newest = &v["RspMsgList"][0];
    assert_eq!(
        newest,
        &json!({
            "CloudCustomData": "ccd 数据", "From_Account": "peter", "IsPlaceMsg": 0,
            "MsgBody": body, "MsgPriority": 1, "MsgRandom": 4_294_967_295_u64, "MsgSeq": 2,
            "MsgTimeStamp": T0
        })
    );
    let older = &v["RspMsgList"][1];
    assert_eq!(older["From_Account"], "bob");
    assert_eq!(older["MsgPriority"], 2, "Normal by default");
    assert_eq!(older["MsgBody"], text("one"));
    assert!(
        older.get("CloudCustomData").is_none(),
        "only when the message has one: {older}"
    );
    assert!(older.get("IsSystemMsg").is_none(), "{older}");
}

#[tokio::test]
async fn an_admin_message_reads_with_the_admin_as_sender() {
    let emu = emu().await;
    group(&emu, "g", "Private").await;
    let v = emu
        .call(
            SEND,
            json!({"GroupId": "g", "Random": 1, "MsgBody": text("from the admin")}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = get(&emu, json!({"GroupId": "g", "ReqMsgNumber": 1})).await;
    assert_eq!(v["RspMsgList"][0]["From_Account"], "admin", "{v}");
}

#[tokio::test]
async fn a_group_without_messages_answers_an_empty_finished_list() {
    let emu = emu().await;
    for ty in ["Private", "Public", "ChatRoom"] {
        let id = format!("empty-{ty}");
        group(&emu, &id, ty).await;
        for extra in [json!({}), json!({"ReqMsgSeq": 5})] {
            assert_eq!(page(&emu, &id, extra).await, (Vec::new(), 1), "{ty}");
        }
    }
}

#[tokio::test]
async fn req_msg_number_20_is_one_whole_page_and_21_is_cut_to_20() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    seed(&emu, "g", (1..=30).map(|s| stored(s, "bob", T0)).collect()).await;
    let table = [
        // (ReqMsgNumber, ReqMsgSeq, IsFinished, first, last, count)
        (1, 0, 1, 30, 30, 1),
        (19, 0, 1, 30, 12, 19),
        (20, 0, 1, 30, 11, 20),
        (21, 0, 0, 30, 11, 20),
        (1_000_000, 0, 0, 30, 11, 20),
        (21, 20, 1, 20, 1, 20),
        (21, 21, 0, 21, 2, 20),
        (21, 5, 1, 5, 1, 5),
    ];
    for (n, top, finished, first, last, count) in table {
        let (s, f) = page(&emu, "g", json!({"ReqMsgNumber": n, "ReqMsgSeq": top})).await;
        assert_eq!(
            (f, s.len(), s[0].0, s[s.len() - 1].0),
            (finished, count, first, last),
            "ReqMsgNumber {n} from {top}"
        );
        assert!(
            s.windows(2).all(|w| w[0].0 == w[1].0 + 1),
            "descending, no gap"
        );
    }
}

#[tokio::test]
async fn req_msg_seq_absent_or_zero_is_the_newest_and_above_it_is_lowered() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    for i in 1..=10 {
        send(&emu, "g", "bob", &format!("m{i}")).await;
    }
    let top = |extra: Value| {
        let emu = &emu;
        async move { page(emu, "g", extra).await.0.first().map(|e| e.0) }
    };
    assert_eq!(top(json!({})).await, Some(10));
    assert_eq!(top(json!({"ReqMsgSeq": 0})).await, Some(10));
    assert_eq!(top(json!({"ReqMsgSeq": null})).await, Some(10));
    assert_eq!(top(json!({"ReqMsgSeq": 4})).await, Some(4));
    assert_eq!(top(json!({"ReqMsgSeq": 11})).await, Some(10));
    assert_eq!(top(json!({"ReqMsgSeq": u64::MAX})).await, Some(10));
    let (s, _) = page(&emu, "g", json!({"ReqMsgSeq": 1})).await;
    assert_eq!(s, [(1, 0)]);
}

#[tokio::test]
async fn the_documented_paging_recipe_reads_every_sequence_once() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    seed(&emu, "g", (1..=47).map(|s| stored(s, "bob", T0)).collect()).await;
    // Some recalled, including the oldest and a whole page edge.
    recall(&emu, "g", &[1, 8, 27, 28, 47]).await;
    for with_recalled in [0, 1] {
        let mut got = Vec::new();
        let mut req = json!({"GroupId": "g", "ReqMsgNumber": 20, "WithRecalledMsg": with_recalled});
        loop {
            let v = get(&emu, req.clone()).await;
            let s = seqs(&v);
            let Some(smallest) = s.last().map(|e| e.0) else {
                break;
            };
            got.extend(s);
            if smallest == 1 {
                break;
            }
            req["ReqMsgSeq"] = json!(smallest - 1);
        }
        let recalled = [1, 8, 27, 28, 47];
        let want: Vec<(u64, u64)> = (1..=47)
            .rev()
            .filter(|s| with_recalled == 1 || !recalled.contains(s))
            .map(|s| (s, if recalled.contains(&s) { 2 } else { 0 }))
            .collect();
        assert_eq!(got, want, "WithRecalledMsg {with_recalled}");
    }
}

#[tokio::test]
async fn recalled_messages_appear_only_with_with_recalled_msg_as_empty_placeholders() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    for t in ["a", "b", "c"] {
        send_body(&emu, "g", "bob", text(t), json!({"CloudCustomData": "x"})).await;
    }
    assert_eq!(ret_codes(&recall(&emu, "g", &[2]).await), [(2, 0)]);
    for with in [json!({}), json!({"WithRecalledMsg": 0})] {
        assert_eq!(page(&emu, "g", with).await.0, [(3, 0), (1, 0)]);
    }
    let v = get(
        &emu,
        json!({"GroupId": "g", "ReqMsgNumber": 3, "WithRecalledMsg": 1}),
    )
    .await;
    assert_eq!(seqs(&v), [(3, 0), (2, 2), (1, 0)]);
    let placeholder = &v["RspMsgList"][1];
    assert_eq!(placeholder["MsgBody"], json!([]));
    assert_eq!(placeholder["From_Account"], "bob");
    assert_eq!(placeholder["MsgTimeStamp"], T0);
    assert!(
        placeholder.get("CloudCustomData").is_none(),
        "{placeholder}"
    );
    // The range stays a range: ReqMsgNumber 2 from the top covers 3 and 2, not 3 and 1.
    let (s, _) = page(&emu, "g", json!({"ReqMsgNumber": 2})).await;
    assert_eq!(s, [(3, 0)]);
}

#[tokio::test]
async fn retention_by_the_emulator_clock_turns_messages_into_holes_at_seven_days() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    send(&emu, "g", "bob", "old").await;
    advance(&emu, 1000).await;
    send(&emu, "g", "bob", "newer").await;
    // Message 1 is at T0: kept through T0 + 7 days - 1 s, a hole from T0 + 7 days.
    advance(&emu, (7 * DAY - 2) * 1000).await;
    assert_eq!(page(&emu, "g", json!({})).await.0, [(2, 0), (1, 0)]);
    advance(&emu, 1000).await;
    let v = get(&emu, json!({"GroupId": "g", "ReqMsgNumber": 2})).await;
    assert_eq!(seqs(&v), [(2, 0), (1, 1)]);
    assert_eq!(v["RspMsgList"][1]["MsgBody"], json!([]));
    assert_eq!(
        ret_codes(&recall(&emu, "g", &[1, 2]).await),
        [(1, 10031), (2, 0)],
        "the expired one cannot be recalled, the other can"
    );
    let v = get(
        &emu,
        json!({"GroupId": "g", "ReqMsgNumber": 2, "WithRecalledMsg": 1}),
    )
    .await;
    assert_eq!(seqs(&v), [(2, 2), (1, 1)]);
}

#[tokio::test]
async fn a_cut_page_of_expired_messages_only_is_finished_2() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    seed(
        &emu,
        "g",
        (1..=25).map(|s| stored(s, "bob", T0 - 8 * DAY)).collect(),
    )
    .await;
    let (s, f) = page(&emu, "g", json!({"ReqMsgNumber": 21})).await;
    assert_eq!((f, s.len()), (2, 20));
    assert!(s.iter().all(|e| e.1 == 1), "{s:?}");
    let (_, f) = page(&emu, "g", json!({"ReqMsgNumber": 20})).await;
    assert_eq!(f, 1, "not cut");
}

#[tokio::test]
async fn an_apps_retention_setting_moves_the_edge() {
    let emu = emu_policy(|p| p.messages.retention_days = 1).await;
    group(&emu, "g", "Public").await;
    seed(
        &emu,
        "g",
        vec![stored(1, "bob", T0 - DAY), stored(2, "bob", T0 - DAY + 1)],
    )
    .await;
    assert_eq!(page(&emu, "g", json!({})).await.0, [(2, 0), (1, 1)]);
}

// ---- group_msg_get_simple: errors ----

#[tokio::test]
async fn history_refusals_come_in_the_order_of_checks() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    group(&emu, "live", "AVChatRoom").await;
    let table: Vec<(Value, i64, &str)> = vec![
        (json!({"ReqMsgNumber": 1}), 10004, "GroupId is required"),
        (
            json!({"GroupId": 5, "ReqMsgNumber": 1}),
            10004,
            "GroupId must be a string",
        ),
        (json!({"GroupId": "g"}), 10004, "ReqMsgNumber is required"),
        (
            json!({"GroupId": "g", "reqMsgNumber": 1}),
            10004,
            "case-sensitive",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 0}),
            10004,
            "ReqMsgNumber is 0",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": -1}),
            10004,
            "ReqMsgNumber is -1",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": "20"}),
            10004,
            "ReqMsgNumber must be an integer",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 1.5}),
            10004,
            "ReqMsgNumber must be an integer",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 1, "ReqMsgSeq": -1}),
            10004,
            "ReqMsgSeq is -1",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 1, "ReqMsgSeq": "9"}),
            10004,
            "ReqMsgSeq must be an integer",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 1, "WithRecalledMsg": 2}),
            10004,
            "WithRecalledMsg is 2",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 1, "TopicId": "t"}),
            10004,
            "TopicId",
        ),
        (json!({"GroupId": "", "ReqMsgNumber": 1}), 10015, ""),
        (json!({"GroupId": "nope", "ReqMsgNumber": 1}), 10010, ""),
        (
            json!({"GroupId": "live", "ReqMsgNumber": 1}),
            10044,
            "AVChatRoom",
        ),
        // Pairs: the earlier check wins.
        (
            json!({"GroupId": "nope", "ReqMsgNumber": 0}),
            10004,
            "ReqMsgNumber",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 0, "ReqMsgSeq": -1}),
            10004,
            "ReqMsgNumber",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 1, "ReqMsgSeq": -1, "WithRecalledMsg": 2}),
            10004,
            "ReqMsgSeq",
        ),
        (
            json!({"GroupId": "g", "ReqMsgNumber": 1, "WithRecalledMsg": 2, "TopicId": "t"}),
            10004,
            "WithRecalledMsg",
        ),
        (
            json!({"GroupId": "", "ReqMsgNumber": 1, "TopicId": "t"}),
            10004,
            "TopicId",
        ),
        (
            json!({"GroupId": "live", "ReqMsgNumber": 1, "WithRecalledMsg": 2}),
            10004,
            "WithRecalledMsg",
        ),
    ];
    for (body, want, needle) in table {
        let v = get(&emu, body.clone()).await;
        assert_eq!(code(&v), want, "{body} → {v}");
        assert!(info(&v).contains(needle), "{body} → {v}");
    }
    let v = emu
        .call_as(APP, "bob", GET, json!({"GroupId": "g", "ReqMsgNumber": 1}))
        .await;
    assert_eq!(code(&v), 10007, "{v}");
    // An empty TopicId counts as absent; so does a zero WithRecalledMsg.
    let (s, f) = page(&emu, "g", json!({"TopicId": "", "WithRecalledMsg": 0})).await;
    assert_eq!((s.len(), f), (0, 1));
}

#[tokio::test]
async fn a_bchatroom_keeps_no_history_either() {
    let emu = emu().await;
    let v = emu
        .create_group(
            json!({"Owner_Account": "leckie", "Type": "BChatRoom", "GroupId": "b", "Name": "B"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = get(&emu, json!({"GroupId": "b", "ReqMsgNumber": 1})).await;
    assert_eq!(code(&v), 10044, "{v}");
    assert_eq!(code(&recall(&emu, "b", &[1]).await), 10033);
    let v = emu
        .call(DELETE, json!({"GroupId": "b", "Sender_Account": "bob"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
}

#[tokio::test]
async fn history_of_a_group_holding_100000_messages_reads_any_page() {
    let emu = emu().await;
    group(&emu, "big", "Public").await;
    let n = 100_000;
    seed(&emu, "big", (1..=n).map(|s| stored(s, "bob", T0)).collect()).await;
    for (top, first) in [(0, n), (n, n), (50_000, 50_000), (20, 20), (3, 3)] {
        let v = get(
            &emu,
            json!({"GroupId": "big", "ReqMsgNumber": 20, "ReqMsgSeq": top}),
        )
        .await;
        let s = seqs(&v);
        assert_eq!(s[0], (first, 0));
        assert_eq!(s.len() as u64, first.min(20));
        let last = &v["RspMsgList"][s.len() - 1];
        assert_eq!(
            last["MsgBody"],
            text(&format!("m{}", first + 1 - s.len() as u64))
        );
    }
}

// ---- group_msg_recall ----

#[tokio::test]
async fn recall_answers_ok_with_a_code_per_item_in_request_order() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    for t in ["a", "b", "c"] {
        send(&emu, "g", "bob", t).await;
    }
    let raw = emu
        .post_raw(
            RECALL,
            &Emu::query(APP, "admin"),
            json!({"GroupId": "g", "MsgSeqList": [
                {"MsgSeq": 1}, {"MsgSeq": 0}, {"MsgSeq": 4}, {"MsgSeq": 1},
                {"MsgSeq": 99}, {"MsgSeq": 3}
            ]})
            .to_string(),
        )
        .await;
    assert_keys_in_order(
        &raw.body,
        &["ActionStatus", "ErrorInfo", "ErrorCode", "RecallRetList"],
    );
    let v = raw.json();
    assert_eq!(
        v["RecallRetList"],
        json!([
            {"MsgSeq": 1, "RetCode": 0}, {"MsgSeq": 0, "RetCode": 10030},
            {"MsgSeq": 4, "RetCode": 10030}, {"MsgSeq": 1, "RetCode": 10032},
            {"MsgSeq": 99, "RetCode": 10030}, {"MsgSeq": 3, "RetCode": 0}
        ])
    );
    // Every item failing still answers OK.
    let v = recall(&emu, "g", &[1, 3, 0]).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(ret_codes(&v), [(1, 10032), (3, 10032), (0, 10030)]);
    assert_eq!(page(&emu, "g", json!({})).await.0, [(2, 0)]);
}

#[tokio::test]
async fn a_deleted_message_cannot_be_recalled_and_reads_as_a_hole() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    let mut deleted = stored(2, "bob", T0);
    deleted["Status"] = json!("deleted");
    seed(&emu, "g", vec![stored(1, "bob", T0), deleted]).await;
    assert_eq!(
        ret_codes(&recall(&emu, "g", &[2, 1]).await),
        [(2, 10032), (1, 0)]
    );
    let (s, _) = page(&emu, "g", json!({"WithRecalledMsg": 1})).await;
    assert_eq!(s, [(2, 1), (1, 2)]);
}

#[tokio::test]
async fn msg_seq_list_takes_1_to_10_integer_items() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    let ten: Vec<u64> = (1..=10).collect();
    let eleven: Vec<u64> = (1..=11).collect();
    assert_eq!(code(&recall(&emu, "g", &[]).await), 10004);
    assert_eq!(code(&recall(&emu, "g", &eleven).await), 10004);
    let v = recall(&emu, "g", &ten).await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(ret_codes(&v).len(), 10);
    let table: Vec<(Value, &str)> = vec![
        (json!({"GroupId": "g"}), "MsgSeqList is required"),
        (
            json!({"GroupId": "g", "MsgSeqList": []}),
            "MsgSeqList has 0 items",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": (1..=11).map(|s| json!({"MsgSeq": s})).collect::<Vec<_>>()}),
            "MsgSeqList has 11 items; give 1 to 10",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": "1"}]}),
            "MsgSeqList[0].MsgSeq must be an integer",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}, {"MsgSeq": 1.5}]}),
            "MsgSeqList[1].MsgSeq must be an integer",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}, {}]}),
            "MsgSeqList[1].MsgSeq is required",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": -1}]}),
            "MsgSeqList[0].MsgSeq is -1",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": [1, 2]}),
            "MsgSeqList[0] must be an object",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": {"MsgSeq": 1}}),
            "MsgSeqList must be an array",
        ),
    ];
    for (body, needle) in table {
        let v = emu.call(RECALL, body.clone()).await;
        assert_eq!(code(&v), 10004, "{body} → {v}");
        assert!(info(&v).contains(needle), "{body} → {v}");
    }
}

#[tokio::test]
async fn reason_is_at_most_100_bytes_counted_in_utf8() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    send(&emu, "g", "bob", "a").await;
    // 33 CJK characters are 99 bytes.
    let at = format!("{}x", "违".repeat(33));
    let over = format!("{}xy", "违".repeat(33));
    assert_eq!((at.len(), over.len()), (100, 101));
    let v = emu
        .call(
            RECALL,
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}], "Reason": over}),
        )
        .await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(
        info(&v).contains("Reason is 101 bytes (35 characters); at most 100"),
        "{v}"
    );
    let v = emu
        .call(
            RECALL,
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}], "Reason": at}),
        )
        .await;
    assert_eq!(ret_codes(&v), [(1, 0)]);
    let m = &stored_messages(&emu, "g").await[0];
    assert_eq!(
        (&m["Status"], &m["RecallReason"], &m["RecallTime"]),
        (&json!("recalled"), &json!(at), &json!(T0))
    );
    let v = emu
        .call(
            RECALL,
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}], "Reason": 5}),
        )
        .await;
    assert_eq!(code(&v), 10004, "{v}");
}

#[tokio::test]
async fn recall_refusals_come_in_the_order_of_checks() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    group(&emu, "live", "AVChatRoom").await;
    let long = "x".repeat(101);
    let table: Vec<(Value, i64, &str)> = vec![
        (
            json!({"MsgSeqList": [{"MsgSeq": 1}]}),
            10004,
            "GroupId is required",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}], "TopicId": "t"}),
            10004,
            "TopicId",
        ),
        (
            json!({"GroupId": "", "MsgSeqList": [{"MsgSeq": 1}]}),
            10015,
            "",
        ),
        (
            json!({"GroupId": "nope", "MsgSeqList": [{"MsgSeq": 1}]}),
            10010,
            "",
        ),
        (
            json!({"GroupId": "live", "MsgSeqList": [{"MsgSeq": 1}]}),
            10033,
            "AVChatRoom",
        ),
        // Pairs: the earlier check wins.
        (
            json!({"GroupId": "nope", "MsgSeqList": []}),
            10004,
            "MsgSeqList",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": [], "Reason": long}),
            10004,
            "MsgSeqList",
        ),
        (
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}], "Reason": long, "TopicId": "t"}),
            10004,
            "Reason",
        ),
        (
            json!({"GroupId": "", "MsgSeqList": [{"MsgSeq": 1}], "TopicId": "t"}),
            10004,
            "TopicId",
        ),
        (
            json!({"GroupId": "live", "MsgSeqList": [{"MsgSeq": 1}], "Reason": long}),
            10004,
            "Reason",
        ),
    ];
    for (body, want, needle) in table {
        let v = emu.call(RECALL, body.clone()).await;
        assert_eq!(code(&v), want, "{body} → {v}");
        assert!(info(&v).contains(needle), "{body} → {v}");
    }
    let v = emu
        .call_as(
            APP,
            "bob",
            RECALL,
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}]}),
        )
        .await;
    assert_eq!(code(&v), 10007, "{v}");
}

#[tokio::test]
async fn an_app_with_recall_switched_off_answers_10041_after_the_type_check() {
    let emu = emu_policy(|p| p.features.group_msg_recall = false).await;
    group(&emu, "g", "Public").await;
    group(&emu, "live", "AVChatRoom").await;
    send(&emu, "g", "bob", "stays").await;
    let v = recall(&emu, "g", &[1]).await;
    assert_eq!(code(&v), 10041, "{v}");
    assert!(info(&v).contains("group_msg_recall"), "{v}");
    assert_eq!(code(&recall(&emu, "live", &[1]).await), 10033);
    assert_eq!(code(&recall(&emu, "nope", &[1]).await), 10010);
    assert_eq!(
        page(&emu, "g", json!({})).await.0,
        [(1, 0)],
        "nothing recalled"
    );
    // The switch is about group_msg_recall only.
    let v = emu
        .call(DELETE, json!({"GroupId": "g", "Sender_Account": "bob"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(page(&emu, "g", json!({})).await.0, Vec::<(u64, u64)>::new());
}

#[tokio::test]
async fn a_rejected_recall_changes_nothing_and_calls_back_nothing() {
    let backend = Receiver::start(allow()).await;
    let emu = emu_with(|s| {
        s.apps
            .set_zero_config_callback(Some(callback(&backend.url)))
    })
    .await;
    group(&emu, "g", "Public").await;
    send(&emu, "g", "bob", "a").await;
    send(&emu, "g", "bob", "b").await;
    let before = stored_messages(&emu, "g").await;
    let eleven: Vec<Value> = (1..=11).map(|s| json!({"MsgSeq": s % 2 + 1})).collect();
    for body in [
        json!({"GroupId": "g", "MsgSeqList": eleven}),
        json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}, {"MsgSeq": "2"}]}),
        json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}, {"MsgSeq": -2}]}),
        json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}], "Reason": "y".repeat(101)}),
        json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}], "TopicId": "t"}),
    ] {
        let v = emu.call(RECALL, body.clone()).await;
        assert_ne!(code(&v), 0, "{body} → {v}");
    }
    let v = emu
        .call_as(
            APP,
            "bob",
            RECALL,
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}]}),
        )
        .await;
    assert_eq!(code(&v), 10007, "{v}");
    assert_eq!(stored_messages(&emu, "g").await, before);
    // Nothing recalled now: no callback either; the next real recall is the first to arrive.
    assert_eq!(ret_codes(&recall(&emu, "g", &[5]).await), [(5, 10030)]);
    assert_eq!(ret_codes(&recall(&emu, "g", &[2]).await), [(2, 0)]);
    let got = backend.wait_for(AFTER_RECALL).await;
    assert_eq!(got.body["MsgSeqList"], json!([{"MsgSeq": 2}]));
    assert_eq!(backend.received().len(), 1);
}

#[tokio::test]
async fn the_after_recall_callback_reports_what_was_recalled_now() {
    let backend = Receiver::start(allow()).await;
    let emu = emu_with(|s| {
        s.apps
            .set_zero_config_callback(Some(callback(&backend.url)))
    })
    .await;
    group(&emu, "g", "ChatRoom").await;
    for t in ["a", "b", "c"] {
        send(&emu, "g", "bob", t).await;
    }
    // delete_group_msg_by_sender fires nothing.
    let v = emu
        .call(DELETE, json!({"GroupId": "g", "Sender_Account": "peter"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    recall(&emu, "g", &[2]).await;
    let v = recall(&emu, "g", &[3, 99, 2, 1, 3]).await;
    assert_eq!(
        ret_codes(&v),
        [(3, 0), (99, 10030), (2, 10032), (1, 0), (3, 10032)]
    );
    let got = backend.wait_count(2).await;
    assert_eq!(got.len(), 2, "{:?}", backend.commands());
    let first = &got[0];
    assert_eq!(first.command(), AFTER_RECALL);
    assert_eq!(first.query["SdkAppid"], APP.to_string());
    assert_keys_in_order(
        &first.raw,
        &[
            "CallbackCommand",
            "Operator_Account",
            "Type",
            "GroupId",
            "MsgSeqList",
            "EventTime",
        ],
    );
    assert_eq!(
        first.body,
        json!({
            "CallbackCommand": AFTER_RECALL, "Operator_Account": "admin", "Type": "ChatRoom",
            "GroupId": "g", "MsgSeqList": [{"MsgSeq": 2}], "EventTime": T0 * 1000
        })
    );
    assert_eq!(
        got[1].body["MsgSeqList"],
        json!([{"MsgSeq": 3}, {"MsgSeq": 1}])
    );
}

// ---- delete_group_msg_by_sender ----

#[tokio::test]
async fn delete_by_sender_recalls_that_senders_messages_silently() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    send(&emu, "g", "bob", "1").await;
    send(&emu, "g", "peter", "2").await;
    send(&emu, "g", "bob", "3").await;
    let raw = emu
        .post_raw(
            DELETE,
            &Emu::query(APP, "admin"),
            json!({"GroupId": "g", "Sender_Account": "bob"}).to_string(),
        )
        .await;
    assert_eq!(
        raw.body,
        r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#
    );
    assert_eq!(page(&emu, "g", json!({})).await.0, [(2, 0)]);
    assert_eq!(
        page(&emu, "g", json!({"WithRecalledMsg": 1})).await.0,
        [(3, 2), (2, 0), (1, 2)]
    );
    let recalled = stored_messages(&emu, "g").await;
    assert_eq!(
        (&recalled[0]["Status"], &recalled[0]["RecallTime"]),
        (&json!("recalled"), &json!(T0))
    );
    // Again, or for accounts with nothing there: OK, no effect.
    for sender in ["bob", "leckie", "never-imported"] {
        let v = emu
            .call(DELETE, json!({"GroupId": "g", "Sender_Account": sender}))
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    assert_eq!(stored_messages(&emu, "g").await, recalled);
    // Recalled by sender: group_msg_recall finds them recalled.
    assert_eq!(
        ret_codes(&recall(&emu, "g", &[1, 2]).await),
        [(1, 10032), (2, 0)]
    );
}

#[tokio::test]
async fn delete_by_sender_reaches_back_exactly_1000_sequences() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    let mut msgs: Vec<Value> = (1..=1001).map(|s| stored(s, "bob", T0)).collect();
    msgs[1000]["From_Account"] = json!("peter");
    seed(&emu, "g", msgs).await;
    let v = emu
        .call(DELETE, json!({"GroupId": "g", "Sender_Account": "bob"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    // The latest 1,000 are 2..=1001 (1001 is peter's): 2 goes, 1 stays.
    let (s, _) = page(
        &emu,
        "g",
        json!({"ReqMsgSeq": 3, "ReqMsgNumber": 3, "WithRecalledMsg": 1}),
    )
    .await;
    assert_eq!(s, [(3, 2), (2, 2), (1, 0)]);
    let (s, _) = page(&emu, "g", json!({"ReqMsgNumber": 2, "WithRecalledMsg": 1})).await;
    assert_eq!(s, [(1001, 0), (1000, 2)]);
}

#[tokio::test]
async fn delete_by_sender_refusals_come_in_the_order_of_checks() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    group(&emu, "live", "AVChatRoom").await;
    let table: Vec<(Value, i64, &str)> = vec![
        (
            json!({"Sender_Account": "bob"}),
            10004,
            "GroupId is required",
        ),
        (json!({"GroupId": "g"}), 10004, "Sender_Account is required"),
        (
            json!({"GroupId": "g", "sender_account": "bob"}),
            10004,
            "case-sensitive",
        ),
        (
            json!({"GroupId": "g", "Sender_Account": ""}),
            10004,
            "Sender_Account is empty",
        ),
        (
            json!({"GroupId": "g", "Sender_Account": 7}),
            60015,
            "Sender_Account",
        ),
        (
            json!({"GroupId": "g", "Sender_Account": "bob", "TopicId": "t"}),
            10004,
            "TopicId",
        ),
        (json!({"GroupId": "", "Sender_Account": "bob"}), 10015, ""),
        (
            json!({"GroupId": "nope", "Sender_Account": "bob"}),
            10010,
            "",
        ),
        // Pairs: the earlier check wins.
        (
            json!({"GroupId": "nope", "Sender_Account": ""}),
            10004,
            "Sender_Account",
        ),
        (
            json!({"GroupId": "", "Sender_Account": "bob", "TopicId": "t"}),
            10004,
            "TopicId",
        ),
    ];
    for (body, want, needle) in table {
        let v = emu.call(DELETE, body.clone()).await;
        assert_eq!(code(&v), want, "{body} → {v}");
        assert!(info(&v).contains(needle), "{body} → {v}");
    }
    let v = emu
        .call_as(
            APP,
            "bob",
            DELETE,
            json!({"GroupId": "g", "Sender_Account": "bob"}),
        )
        .await;
    assert_eq!(code(&v), 10007, "{v}");
    let v = emu
        .call(DELETE, json!({"GroupId": "live", "Sender_Account": "bob"}))
        .await;
    assert_eq!(code(&v), 0, "AVChatRoom: OK with no effect: {v}");
}

#[tokio::test]
async fn a_rejected_delete_by_sender_changes_nothing() {
    let emu = emu().await;
    group(&emu, "g", "Public").await;
    send(&emu, "g", "bob", "a").await;
    let before = stored_messages(&emu, "g").await;
    for body in [
        json!({"GroupId": "g", "Sender_Account": "bob", "TopicId": "t"}),
        json!({"GroupId": "g", "Sender_Account": ["bob"]}),
    ] {
        let v = emu.call(DELETE, body.clone()).await;
        assert_ne!(code(&v), 0, "{body} → {v}");
    }
    let v = emu
        .call_as(
            APP,
            "bob",
            DELETE,
            json!({"GroupId": "g", "Sender_Account": "bob"}),
        )
        .await;
    assert_eq!(code(&v), 10007, "{v}");
    assert_eq!(stored_messages(&emu, "g").await, before);
}

// ---- concurrency ----

/// Issue 12: a recall racing history reads never shows half a message, nor half a recall.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recall_racing_history_reads_never_shows_half_a_message() {
    let emu = Arc::new(emu().await);
    group(&emu, "race", "Public").await;
    let body = |seq: u64| {
        json!([
            {"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("text {seq}")}},
            {"MsgType": "TIMCustomElem", "MsgContent": {"Data": format!("data {seq}")}}
        ])
    };
    for round in 0..40u64 {
        let first = round * 10 + 1;
        for seq in first..first + 10 {
            let got = send_body(
                &emu,
                "race",
                "bob",
                body(seq),
                json!({"CloudCustomData": format!("ccd {seq}")}),
            )
            .await;
            assert_eq!(got, seq);
        }
        let seqs: Vec<u64> = (first..first + 10).collect();
        let recaller = {
            let emu = emu.clone();
            tokio::spawn(async move { recall(&emu, "race", &seqs).await })
        };
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let emu = emu.clone();
                tokio::spawn(async move {
                    let mut pages = Vec::new();
                    for _ in 0..3 {
                        pages.push(
                            get(
                                &emu,
                                json!({"GroupId": "race", "ReqMsgNumber": 10,
                                       "ReqMsgSeq": first + 9, "WithRecalledMsg": 1}),
                            )
                            .await,
                        );
                    }
                    pages
                })
            })
            .collect();
        let r = recaller.await.expect("recall task");
        assert!(ret_codes(&r).iter().all(|c| c.1 == 0), "{r}");
        for reader in readers {
            for v in reader.await.expect("reader task") {
                let list = v["RspMsgList"].as_array().unwrap_or_else(|| panic!("{v}"));
                assert_eq!(list.len(), 10, "{v}");
                let mut recalled = 0;
                for e in list {
                    let seq = e["MsgSeq"].as_u64().unwrap();
                    match e["IsPlaceMsg"].as_u64() {
                        Some(0) => {
                            assert_eq!(e["MsgBody"], body(seq), "{e}");
                            assert_eq!(e["CloudCustomData"], format!("ccd {seq}"), "{e}");
                        }
                        Some(2) => {
                            recalled += 1;
                            assert_eq!(e["MsgBody"], json!([]), "{e}");
                            assert!(e.get("CloudCustomData").is_none(), "{e}");
                        }
                        other => panic!("IsPlaceMsg {other:?} in {e}"),
                    }
                    assert_eq!(
                        (&e["From_Account"], &e["MsgTimeStamp"]),
                        (&json!("bob"), &json!(T0))
                    );
                }
                assert!(
                    recalled == 0 || recalled == 10,
                    "one recall of 10 is seen wholly or not at all: {recalled} in {v}"
                );
            }
        }
    }
}
