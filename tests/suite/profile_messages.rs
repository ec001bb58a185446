//! The `current` rules profile (spec §40) for messages and the rest of a group's life: the
//! per-group rate answered OK with `MsgDropReason` (§31.2 step 12), `To_Account` by edition
//! (10059), the Trial daily cap of REST group messages (10023, exact under concurrency),
//! get_online_member_num by edition and feature, the numbers of §40.3 by edition on both sides
//! of each boundary, and state import checked by each app's own profile. Every rule that differs
//! also runs under the default profile in the same emulator, which keeps its old answers.

use crate::common;

use std::sync::Arc;

use common::receiver::{Receiver, Reply, allow};
use common::{Emu, code, info};
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{Apps, LimitOverrides, Limits};
use tim_emulator::clock::Clock;
use tim_emulator::config_file::{AppDefaults, parse_with};
use tim_emulator::rules::Edition;

const SEND: &str = "group_open_http_svc/send_group_msg";
const AFTER: &str = "Group.CallbackAfterSendMsg";
const BEFORE: &str = "Group.CallbackBeforeSendMsg";
const EXCEPTION: &str = "Group.CallbackSendMsgException";

/// An app under the default profile, next to the `current` ones.
const OLD: u64 = 1_400_000_009;
const TRIAL: u64 = 1_400_000_011;
const PRO: u64 = 1_400_000_012;
const ULTIMATE: u64 = 1_400_000_013;
const ENTERPRISE: u64 = 1_400_000_014;

/// The frozen start of the clock: 2023-11-14 22:13:20 UTC, 06:13:20 China Standard Time.
const T0_MS: u64 = 1_700_000_000_000;
/// Seconds from [`T0_MS`] to the next midnight in China Standard Time (UTC+8).
const TO_NEXT_CST_DAY: u64 = 86_400 - (T0_MS / 1000 + 8 * 3600) % 86_400;

/// One `[[apps]]` table: `sdkappid` under `profile`/`edition`, then `extra` (sub-tables).
fn app(sdkappid: u64, profile: &str, edition: &str, extra: &str) -> String {
    format!(
        "[[apps]]\nsdkappid = {sdkappid}\nrules_profile = \"{profile}\"\nedition = \"{edition}\"\n{extra}\n"
    )
}

/// An emulator serving the apps of `toml` with a clock frozen at [`T0_MS`] and every account
/// imported; `no_limits` is the `--no-limits` switch.
async fn start(toml: &str, no_limits: bool) -> Emu {
    let defaults = AppDefaults {
        profile: "default",
        edition: Edition::Ultimate,
        flags: LimitOverrides::default(),
        no_limits,
    };
    let apps = parse_with(toml, &defaults).expect("config");
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(apps, Limits::UNLIMITED);
    s.auto_import_accounts = true;
    s.clock = Clock::frozen_at(T0_MS);
    Emu::start_with(s).await
}

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

fn msg(group: &str, random: u64) -> Value {
    json!({"GroupId": group, "Random": random, "MsgBody": text("hello")})
}

fn accounts(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// Creates `id` of type `ty` on `sdkappid`, owned by leckie, with bob as a member (none for
/// AVChatRoom).
async fn group(emu: &Emu, sdkappid: u64, id: &str, ty: &str) {
    let members = if ty == "AVChatRoom" {
        json!([])
    } else {
        json!([{"Member_Account": "bob"}])
    };
    let v = emu
        .call_as(
            sdkappid,
            "admin",
            "group_open_http_svc/create_group",
            json!({"Owner_Account": "leckie", "Type": ty, "GroupId": id, "Name": "g", "MemberList": members}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
}

async fn call(emu: &Emu, sdkappid: u64, command: &str, body: Value) -> Value {
    emu.call_as(
        sdkappid,
        "admin",
        &format!("group_open_http_svc/{command}"),
        body,
    )
    .await
}

/// The group's `NextMsgSeq`.
async fn next_seq(emu: &Emu, sdkappid: u64, id: &str) -> u64 {
    let v = call(
        emu,
        sdkappid,
        "get_group_info",
        json!({"GroupIdList": [id]}),
    )
    .await;
    v["GroupInfo"][0]["NextMsgSeq"]
        .as_u64()
        .unwrap_or_else(|| panic!("no NextMsgSeq in {v}"))
}

/// The group's `MemberNum`.
async fn member_num(emu: &Emu, sdkappid: u64, id: &str) -> u64 {
    let v = call(
        emu,
        sdkappid,
        "get_group_info",
        json!({"GroupIdList": [id]}),
    )
    .await;
    v["GroupInfo"][0]["MemberNum"]
        .as_u64()
        .unwrap_or_else(|| panic!("no MemberNum in {v}"))
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

async fn export(emu: &Emu) -> Value {
    emu.request(reqwest::Method::GET, "/_emulator/state", Vec::new())
        .await
        .json()
}

// ---- §31.2 step 12: the per-group rate ----

#[tokio::test]
async fn over_40_messages_a_second_current_answers_ok_with_msg_drop_reason_and_stores_nothing() {
    let rx = Receiver::start(allow()).await;
    let callback = format!(
        "[apps.limits]\nother_per_second = 0\n[apps.callback]\nurl = \"{}\"\nevents = [\"{AFTER}\", \"{EXCEPTION}\"]\n",
        rx.url
    );
    let toml = [
        app(ULTIMATE, "current", "ultimate", &callback),
        app(
            OLD,
            "default",
            "ultimate",
            "[apps.limits]\nother_per_second = 0\n",
        ),
    ]
    .concat();
    let emu = start(&toml, false).await;
    for sdkappid in [ULTIMATE, OLD] {
        group(&emu, sdkappid, "g1", "Public").await;
        for i in 0..40 {
            let v = call(&emu, sdkappid, "send_group_msg", msg("g1", i)).await;
            assert_eq!((code(&v), v["MsgSeq"].as_u64()), (0, Some(i + 1)), "{v}");
            assert!(v.get("MsgDropReason").is_none(), "only a dropped one: {v}");
        }
    }
    // The 41st in the same second: today dropped with an OK answer, the seed's 10023.
    let raw = emu
        .post_raw(
            SEND,
            &Emu::query(ULTIMATE, "admin"),
            msg("g1", 40).to_string(),
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
            "MsgDropReason",
        ],
    );
    let v = raw.json();
    assert_eq!(v["ActionStatus"], "OK", "{v}");
    assert_eq!(v["MsgSeq"], 0, "{v}");
    assert_eq!(v["MsgDropReason"], "MsgFreqCtrl", "{v}");
    assert_eq!(v["MsgTime"], T0_MS / 1000, "{v}");
    assert_eq!(next_seq(&emu, ULTIMATE, "g1").await, 41, "nothing stored");
    let v = call(&emu, OLD, "send_group_msg", msg("g1", 40)).await;
    assert_eq!(code(&v), 10023, "{v}");
    assert!(info(&v).contains("rules profile in force: default"), "{v}");
    assert!(
        info(&v).contains("MsgDropReason"),
        "the diagnosis names today's answer: {v}"
    );
    assert_eq!(next_seq(&emu, OLD, "g1").await, 41);
    // The exception callback reports the drop with 10023; no after-send for it.
    let got = rx.wait_count(41).await;
    let exceptions: Vec<&Value> = got
        .iter()
        .filter(|g| g.command() == EXCEPTION)
        .map(|g| &g.body)
        .collect();
    assert_eq!(exceptions.len(), 1, "{:?}", rx.commands());
    assert_eq!(exceptions[0]["ErrorCode"], 10023);
    assert!(
        exceptions[0]["ErrorInfo"]
            .as_str()
            .is_some_and(|i| i.contains("MsgFreqCtrl"))
    );
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        rx.bodies(AFTER).len(),
        40,
        "no after-send for the dropped one"
    );
    // The journal says why the OK answer stored nothing.
    let journal = emu
        .request(
            reqwest::Method::GET,
            "/_emulator/requests?command=send_group_msg",
            Vec::new(),
        )
        .await;
    assert!(
        journal.body.contains("dropped by the frequency control"),
        "{}",
        journal.body
    );
    // A second later the group takes messages again.
    advance(&emu, 1_000).await;
    let v = call(&emu, ULTIMATE, "send_group_msg", msg("g1", 41)).await;
    assert_eq!((code(&v), v["MsgSeq"].as_u64()), (0, Some(41)), "{v}");
}

// ---- §31.2 step 6: To_Account by edition ----

#[tokio::test]
async fn to_account_needs_the_ultimate_or_enterprise_edition_under_current_else_10059() {
    let off = "[apps.features]\ntargeted_group_msgs = false\n";
    let toml = [
        app(TRIAL, "current", "trial", ""),
        app(PRO, "current", "pro", ""),
        app(ULTIMATE, "current", "ultimate", ""),
        app(ENTERPRISE, "current", "enterprise", ""),
        app(OLD, "default", "trial", ""),
        app(1_400_000_021, "current", "trial", off),
        app(1_400_000_023, "current", "ultimate", off),
    ]
    .concat();
    let emu = start(&toml, false).await;
    let targeted = |group: &str, random: u64| {
        let mut m = msg(group, random);
        m["To_Account"] = json!(["bob"]);
        m
    };
    for (sdkappid, want) in [
        (TRIAL, 10059),
        (PRO, 10059),
        (ULTIMATE, 0),
        (ENTERPRISE, 0),
        (OLD, 0),
    ] {
        group(&emu, sdkappid, "g1", "Public").await;
        let v = call(&emu, sdkappid, "send_group_msg", targeted("g1", 1)).await;
        assert_eq!(code(&v), want, "{sdkappid}: {v}");
        if want != 0 {
            assert!(info(&v).contains("Ultimate or Enterprise"), "{v}");
            assert_eq!(next_seq(&emu, sdkappid, "g1").await, 1, "nothing stored");
            // The same message without To_Account goes out.
            let v = call(&emu, sdkappid, "send_group_msg", msg("g1", 1)).await;
            assert_eq!(code(&v), 0, "{v}");
        }
    }
    // Order of checks on a Trial app: the group first (10010), the size (80002), the type
    // rule (10004 on an AVChatRoom), then the edition.
    assert_eq!(
        code(&call(&emu, TRIAL, "send_group_msg", targeted("nope", 2)).await),
        10010
    );
    let mut big = targeted("g1", 3);
    big["MsgBody"] = text(&"a".repeat(12_001));
    assert_eq!(code(&call(&emu, TRIAL, "send_group_msg", big).await), 80002);
    group(&emu, TRIAL, "live", "AVChatRoom").await;
    assert_eq!(
        code(&call(&emu, TRIAL, "send_group_msg", targeted("live", 4)).await),
        10004
    );
    // The edition comes before the app feature: a Trial app without the feature hears 10059,
    // an Ultimate one 10004 naming the feature.
    group(&emu, 1_400_000_021, "g1", "Public").await;
    let v = call(&emu, 1_400_000_021, "send_group_msg", targeted("g1", 5)).await;
    assert_eq!(code(&v), 10059, "{v}");
    group(&emu, 1_400_000_023, "g1", "Public").await;
    let v = call(&emu, 1_400_000_023, "send_group_msg", targeted("g1", 5)).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("targeted_group_msgs"), "{v}");
}

// ---- §31.2 step 10: the daily cap of REST group messages ----

/// Sends `n` messages to `group` on `sdkappid` from 32 tasks at once; the answers' codes.
async fn send_many(emu: &Arc<Emu>, sdkappid: u64, groups: &[&str], n: u64) -> Vec<i64> {
    let mut tasks = tokio::task::JoinSet::new();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let groups: Arc<Vec<String>> = Arc::new(groups.iter().map(|g| g.to_string()).collect());
    for _ in 0..32 {
        let (emu, next, groups) = (Arc::clone(emu), Arc::clone(&next), Arc::clone(&groups));
        tasks.spawn(async move {
            let mut codes = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return codes;
                }
                let g = &groups[(i as usize) % groups.len()];
                let v = call(&emu, sdkappid, "send_group_msg", msg(g, 1_000_000 + i)).await;
                codes.push(code(&v));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done.expect("a sender task"));
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_trial_app_sends_1000_rest_group_messages_a_china_day_then_10023() {
    let fast = "[apps.limits]\nother_per_second = 0\ngroup_msgs_per_second_per_group = 0\n";
    let toml = [
        app(TRIAL, "current", "trial", fast),
        app(OLD, "default", "ultimate", fast),
    ]
    .concat();
    let emu = Arc::new(start(&toml, false).await);
    group(&emu, TRIAL, "g1", "Public").await;
    group(&emu, TRIAL, "g2", "Public").await;
    let codes = send_many(&emu, TRIAL, &["g1", "g2"], 1000).await;
    assert!(codes.iter().all(|c| *c == 0), "the first 1,000 go out");
    // The 1,001st, whatever the group: 10023, nothing stored.
    let before = next_seq(&emu, TRIAL, "g2").await;
    let v = call(&emu, TRIAL, "send_group_msg", msg("g2", 1)).await;
    assert_eq!(code(&v), 10023, "{v}");
    assert!(info(&v).contains("daily_rest_group_msgs"), "{v}");
    assert!(info(&v).contains("trial edition"), "{v}");
    assert_eq!(next_seq(&emu, TRIAL, "g2").await, before);
    // The default profile has no such cap.
    group(&emu, OLD, "g1", "Public").await;
    let codes = send_many(&emu, OLD, &["g1"], 1001).await;
    assert!(codes.iter().all(|c| *c == 0));
    // One second before midnight China Standard Time the cap still holds; at midnight it
    // starts again.
    advance(&emu, (TO_NEXT_CST_DAY - 1) * 1000).await;
    assert_eq!(
        code(&call(&emu, TRIAL, "send_group_msg", msg("g1", 2)).await),
        10023
    );
    advance(&emu, 1000).await;
    assert_eq!(
        code(&call(&emu, TRIAL, "send_group_msg", msg("g1", 3)).await),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_daily_cap_is_exact_under_concurrency_and_set_per_app_in_apps_limits() {
    // Pro has no cap of its own; [apps.limits] gives it one.
    let limits = "[apps.limits]\nother_per_second = 0\ngroup_msgs_per_second_per_group = 0\ndaily_rest_group_msgs = 25\n";
    let emu = Arc::new(start(&app(PRO, "current", "pro", limits), false).await);
    let groups = ["a", "b", "c", "d"];
    for g in groups {
        group(&emu, PRO, g, "Public").await;
    }
    let codes = send_many(&emu, PRO, &groups, 100).await;
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 25, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == 10023).count(),
        75,
        "{codes:?}"
    );
    let mut stored = 0;
    for g in groups {
        stored += next_seq(&emu, PRO, g).await - 1;
    }
    assert_eq!(stored, 25, "only the counted ones are stored");
}

#[tokio::test]
async fn duplicates_notifications_imports_and_refused_messages_do_not_use_the_daily_cap() {
    let rx = Receiver::start(Reply::Json(json!({"ErrorCode": 1, "ErrorInfo": "no"}))).await;
    let extra = format!(
        "[apps.limits]\ndaily_rest_group_msgs = 3\n[apps.callback]\nurl = \"{}\"\nevents = [\"{BEFORE}\"]\n",
        rx.url
    );
    let emu = start(&app(TRIAL, "current", "trial", &extra), false).await;
    group(&emu, TRIAL, "g1", "Public").await;
    advance(&emu, 10_000).await;
    // An import (migration) does not count.
    let v = call(
        &emu,
        TRIAL,
        "import_group_msg",
        json!({"GroupId": "g1", "MsgList": [{"From_Account": "bob", "SendTime": T0_MS / 1000 + 5, "Random": 1, "MsgBody": text("old")}]}),
    )
    .await;
    assert_eq!(v["ImportMsgResult"][0]["Result"], 0, "{v}");
    let quiet = |random: u64| {
        let mut m = msg("g1", random);
        m["ForbidCallbackControl"] = json!(["ForbidBeforeSendMsgCallback"]);
        m
    };
    // 1: counted; its duplicate gets the first answer and is not counted.
    let first = call(&emu, TRIAL, "send_group_msg", quiet(1)).await;
    assert_eq!(code(&first), 0, "{first}");
    let dup = call(&emu, TRIAL, "send_group_msg", quiet(1)).await;
    assert_eq!(dup["MsgSeq"], first["MsgSeq"], "{dup}");
    // A system notification does not count.
    let v = call(
        &emu,
        TRIAL,
        "send_group_system_notification",
        json!({"GroupId": "g1", "Content": "hi"}),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
    // Refused by the before-send callback after the count: the count comes back.
    let v = call(&emu, TRIAL, "send_group_msg", msg("g1", 2)).await;
    assert_eq!(code(&v), 10016, "{v}");
    // 2: an online-only message counts; 3: the last of the day.
    let mut online = quiet(3);
    online["OnlineOnlyFlag"] = json!(1);
    assert_eq!(code(&call(&emu, TRIAL, "send_group_msg", online).await), 0);
    assert_eq!(
        code(&call(&emu, TRIAL, "send_group_msg", quiet(4)).await),
        0
    );
    let v = call(&emu, TRIAL, "send_group_msg", quiet(5)).await;
    assert_eq!(code(&v), 10023, "{v}");
}

#[tokio::test]
async fn no_limits_turns_the_daily_cap_off() {
    let emu = start(
        &app(
            TRIAL,
            "current",
            "trial",
            "[apps.limits]\ndaily_rest_group_msgs = 2\n",
        ),
        true,
    )
    .await;
    group(&emu, TRIAL, "g1", "Public").await;
    for i in 0..3 {
        let v = call(&emu, TRIAL, "send_group_msg", msg("g1", i)).await;
        assert_eq!(code(&v), 0, "{i}: {v}");
    }
}

// ---- §38: get_online_member_num ----

#[tokio::test]
async fn online_member_num_counts_every_type_on_ultimate_and_enterprise_with_the_feature() {
    let on = "[apps.features]\ngroup_online_status = true\n";
    let toml = [
        app(TRIAL, "current", "trial", on),
        app(PRO, "current", "pro", on),
        app(ULTIMATE, "current", "ultimate", on),
        app(ENTERPRISE, "current", "enterprise", on),
        app(1_400_000_023, "current", "ultimate", ""),
        app(OLD, "default", "ultimate", on),
    ]
    .concat();
    let emu = start(&toml, false).await;
    for (sdkappid, public, why) in [
        (TRIAL, 10007, "Ultimate and Enterprise"),
        (PRO, 10007, "Ultimate and Enterprise"),
        (ULTIMATE, 0, ""),
        (ENTERPRISE, 0, ""),
        (1_400_000_023, 10007, "group_online_status"),
        (OLD, 10007, "only AVChatRoom"),
    ] {
        for (id, ty) in [("pub", "Public"), ("priv", "Private"), ("room", "ChatRoom")] {
            group(&emu, sdkappid, id, ty).await;
            let v = call(
                &emu,
                sdkappid,
                "get_online_member_num",
                json!({"GroupId": id}),
            )
            .await;
            assert_eq!(code(&v), public, "{sdkappid} {ty}: {v}");
            assert!(info(&v).contains(why), "{sdkappid}: {v}");
        }
        group(&emu, sdkappid, "live", "AVChatRoom").await;
        let v = call(
            &emu,
            sdkappid,
            "get_online_member_num",
            json!({"GroupId": "live"}),
        )
        .await;
        assert_eq!(code(&v), 0, "AVChatRoom needs neither: {v}");
    }
    // The number a test sets from the control plane comes back for a Public group.
    let raw = emu
        .request(
            reqwest::Method::POST,
            &format!("/_emulator/apps/{ULTIMATE}/groups/pub/online"),
            json!({"online_member_num": 12}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let v = call(
        &emu,
        ULTIMATE,
        "get_online_member_num",
        json!({"GroupId": "pub"}),
    )
    .await;
    assert_eq!(v["OnlineMemberNum"], 12, "{v}");
}

// ---- §40.3: the numbers of the group life and of messages ----

#[tokio::test]
async fn member_batches_and_the_member_page_take_todays_numbers() {
    let fast = "[apps.limits]\nother_per_second = 0\n";
    let toml = [
        app(ULTIMATE, "current", "ultimate", fast),
        app(OLD, "default", "ultimate", fast),
    ]
    .concat();
    let emu = start(&toml, false).await;
    let list = |ids: &[String]| -> Value {
        ids.iter()
            .map(|a| json!({"Member_Account": a}))
            .collect::<Vec<_>>()
            .into()
    };
    // (app, add batch, delete batch, import batch, Limit) allowed; one more is refused.
    for (sdkappid, add, del, import, limit) in
        [(ULTIMATE, 20, 100, 20, 200), (OLD, 500, 500, 300, 6000)]
    {
        group(&emu, sdkappid, "g", "Public").await;
        // add_group_member: 10005 one over, nothing added; the batch itself passes.
        let over = accounts("add", add + 1);
        let v = call(
            &emu,
            sdkappid,
            "add_group_member",
            json!({"GroupId": "g", "MemberList": list(&over)}),
        )
        .await;
        assert_eq!(code(&v), 10005, "{sdkappid}: {v}");
        assert_eq!(member_num(&emu, sdkappid, "g").await, 2, "nothing added");
        let v = call(
            &emu,
            sdkappid,
            "add_group_member",
            json!({"GroupId": "g", "MemberList": list(&over[..add])}),
        )
        .await;
        assert_eq!(code(&v), 0, "{sdkappid}: {v}");
        // import_group_member the same way.
        let over = accounts("imp", import + 1);
        let v = call(
            &emu,
            sdkappid,
            "import_group_member",
            json!({"GroupId": "g", "MemberList": list(&over)}),
        )
        .await;
        assert_eq!(code(&v), 10005, "{sdkappid}: {v}");
        let v = call(
            &emu,
            sdkappid,
            "import_group_member",
            json!({"GroupId": "g", "MemberList": list(&over[..import])}),
        )
        .await;
        assert_eq!(code(&v), 0, "{sdkappid}: {v}");
        // Enough members for a full delete batch.
        let mut more = accounts("more", del + 1);
        for chunk in more.chunks(add.min(import)) {
            let v = call(
                &emu,
                sdkappid,
                "import_group_member",
                json!({"GroupId": "g", "MemberList": list(chunk)}),
            )
            .await;
            assert_eq!(code(&v), 0, "{v}");
        }
        let total = member_num(&emu, sdkappid, "g").await;
        // get_group_member_info: Limit at the most, then one more.
        let v = call(
            &emu,
            sdkappid,
            "get_group_member_info",
            json!({"GroupId": "g", "Limit": limit}),
        )
        .await;
        assert_eq!(code(&v), 0, "{v}");
        assert_eq!(
            v["MemberList"].as_array().map(Vec::len),
            Some(limit.min(total as usize))
        );
        let v = call(
            &emu,
            sdkappid,
            "get_group_member_info",
            json!({"GroupId": "g", "Limit": limit + 1}),
        )
        .await;
        assert_eq!(code(&v), 10004, "{sdkappid}: {v}");
        // delete_group_member: 10004 one over, nothing deleted; the batch itself passes.
        let v = call(
            &emu,
            sdkappid,
            "delete_group_member",
            json!({"GroupId": "g", "MemberToDel_Account": more}),
        )
        .await;
        assert_eq!(code(&v), 10004, "{sdkappid}: {v}");
        assert_eq!(
            member_num(&emu, sdkappid, "g").await,
            total,
            "nothing deleted"
        );
        more.truncate(del);
        let v = call(
            &emu,
            sdkappid,
            "delete_group_member",
            json!({"GroupId": "g", "MemberToDel_Account": more}),
        )
        .await;
        assert_eq!(code(&v), 0, "{sdkappid}: {v}");
        assert_eq!(member_num(&emu, sdkappid, "g").await, total - del as u64);
    }
}

#[tokio::test]
async fn message_size_and_import_batch_take_todays_numbers() {
    let toml = [
        app(ENTERPRISE, "current", "enterprise", ""),
        app(OLD, "default", "ultimate", ""),
    ]
    .concat();
    let emu = start(&toml, false).await;
    for (sdkappid, bytes) in [(ENTERPRISE, 12_000), (OLD, 8_000)] {
        group(&emu, sdkappid, "g", "Public").await;
        let send = |n: usize, random: u64| json!({"GroupId": "g", "Random": random, "MsgBody": text(&"a".repeat(n))});
        let v = call(&emu, sdkappid, "send_group_msg", send(bytes + 1, 1)).await;
        assert_eq!(code(&v), 80002, "{sdkappid}: {v}");
        assert_eq!(next_seq(&emu, sdkappid, "g").await, 1, "nothing stored");
        let v = call(&emu, sdkappid, "send_group_msg", send(bytes, 2)).await;
        assert_eq!(code(&v), 0, "{sdkappid}: {v}");
    }
    for sdkappid in [ENTERPRISE, OLD] {
        group(&emu, sdkappid, "imp", "Public").await;
    }
    // Imported messages must be older than now and newer than the group.
    advance(&emu, 100_000).await;
    for (sdkappid, per_import) in [(ENTERPRISE, 7u64), (OLD, 20)] {
        let items = |n: u64| -> Vec<Value> {
            (0..n)
                .map(|i| json!({"From_Account": "bob", "SendTime": T0_MS / 1000 + 1 + i, "Random": i, "MsgBody": text("x")}))
                .collect()
        };
        let v = call(
            &emu,
            sdkappid,
            "import_group_msg",
            json!({"GroupId": "imp", "MsgList": items(per_import + 1)}),
        )
        .await;
        assert_eq!(code(&v), 10004, "{sdkappid}: {v}");
        assert_eq!(next_seq(&emu, sdkappid, "imp").await, 1, "nothing imported");
        let v = call(
            &emu,
            sdkappid,
            "import_group_msg",
            json!({"GroupId": "imp", "MsgList": items(per_import)}),
        )
        .await;
        assert_eq!(code(&v), 0, "{sdkappid}: {v}");
        assert_eq!(next_seq(&emu, sdkappid, "imp").await, per_import + 1);
    }
}

/// `IsPlaceMsg` of the newest message of `g` on `sdkappid` (1: a hole past the retention).
async fn hole(emu: &Emu, sdkappid: u64) -> u64 {
    let v = call(
        emu,
        sdkappid,
        "group_msg_get_simple",
        json!({"GroupId": "g", "ReqMsgNumber": 1}),
    )
    .await;
    v["RspMsgList"][0]["IsPlaceMsg"]
        .as_u64()
        .unwrap_or_else(|| panic!("no IsPlaceMsg in {v}"))
}

#[tokio::test]
async fn history_is_kept_7_7_30_90_days_by_edition() {
    let toml = [
        app(TRIAL, "current", "trial", ""),
        app(PRO, "current", "pro", ""),
        app(ULTIMATE, "current", "ultimate", ""),
        app(ENTERPRISE, "current", "enterprise", ""),
        app(OLD, "default", "ultimate", ""),
    ]
    .concat();
    let emu = start(&toml, false).await;
    let apps = [
        (TRIAL, 7),
        (PRO, 7),
        (ULTIMATE, 30),
        (ENTERPRISE, 90),
        (OLD, 7),
    ];
    for (sdkappid, _) in apps {
        group(&emu, sdkappid, "g", "Public").await;
        assert_eq!(
            code(&call(&emu, sdkappid, "send_group_msg", msg("g", 1)).await),
            0
        );
    }
    let mut now_s = 0;
    for days in [7, 30, 90] {
        // One second before the edge of `days`, then at it.
        advance(&emu, (days * 86_400 - 1 - now_s) * 1000).await;
        for (sdkappid, kept) in apps {
            let want = u64::from(kept < days);
            assert_eq!(
                hole(&emu, sdkappid).await,
                want,
                "{sdkappid} a second before day {days}"
            );
        }
        advance(&emu, 1000).await;
        now_s = days * 86_400;
        for (sdkappid, kept) in apps {
            let want = u64::from(kept <= days);
            assert_eq!(hole(&emu, sdkappid).await, want, "{sdkappid} at day {days}");
        }
    }
}

/// Groups without an owner, so that only `u`'s membership counts.
async fn ownerless_groups(emu: &Emu, sdkappid: u64, n: usize) {
    for i in 0..n {
        let v = call(
            emu,
            sdkappid,
            "create_group",
            json!({"Type": "Public", "GroupId": format!("g{i}"), "Name": "g"}),
        )
        .await;
        assert_eq!(code(&v), 0, "{v}");
    }
}

#[tokio::test]
async fn a_trial_or_pro_member_joins_50_or_500_groups_then_10037_or_result_0_on_import() {
    let fast = "[apps.limits]\nother_per_second = 0\ncreate_group_per_second = 0\n";
    let toml = [
        app(TRIAL, "current", "trial", fast),
        app(PRO, "current", "pro", fast),
        app(OLD, "default", "ultimate", fast),
    ]
    .concat();
    let emu = start(&toml, false).await;
    for (sdkappid, max) in [(TRIAL, 50usize), (PRO, 500), (OLD, 500)] {
        ownerless_groups(&emu, sdkappid, max + 1).await;
        // add_group_member up to the most, import_group_member for the last one.
        for i in 0..max {
            let v = call(
                &emu,
                sdkappid,
                "add_group_member",
                json!({"GroupId": format!("g{i}"), "MemberList": [{"Member_Account": "u"}]}),
            )
            .await;
            assert_eq!(code(&v), 0, "{sdkappid} g{i}: {v}");
        }
        let last = format!("g{max}");
        let want = if sdkappid == OLD { 0 } else { 10037 };
        let v = call(
            &emu,
            sdkappid,
            "add_group_member",
            json!({"GroupId": last, "MemberList": [{"Member_Account": "u"}]}),
        )
        .await;
        assert_eq!(code(&v), want, "{sdkappid}: {v}");
        if want != 0 {
            assert_eq!(member_num(&emu, sdkappid, &last).await, 0, "nothing added");
            // import_group_member answers per member (group-life spec §22.2): Result 0 for the
            // account at its quota, while another account in the same request is imported.
            let v = call(&emu, sdkappid, "import_group_member", json!({"GroupId": last, "MemberList": [{"Member_Account": "u"}, {"Member_Account": "w"}]})).await;
            assert_eq!(code(&v), 0, "{sdkappid}: {v}");
            assert_eq!(
                v["MemberList"],
                json!([{"Member_Account": "u", "Result": 0}, {"Member_Account": "w", "Result": 1}]),
                "{sdkappid}"
            );
            assert_eq!(member_num(&emu, sdkappid, &last).await, 1, "only w");
        }
    }
}

/// A state document of app `sdkappid` with `n` ownerless Public groups `g0..`, `u` a member of
/// the first `member_of`.
fn groups_doc(sdkappid: u64, n: usize, member_of: usize) -> Value {
    let groups: Vec<Value> = (0..n)
        .map(|i| {
            let members = if i < member_of {
                json!([{"Member_Account": "u"}])
            } else {
                json!([])
            };
            json!({"GroupId": format!("g{i}"), "Type": "Public", "Name": "g", "MemberList": members})
        })
        .collect();
    json!({"version": 1, "apps": [{"sdkappid": sdkappid, "groups": groups}]})
}

#[tokio::test]
async fn an_ultimate_or_enterprise_member_joins_2000_or_5000_groups_then_10037() {
    for (sdkappid, edition, max) in [
        (ULTIMATE, "ultimate", 2000usize),
        (ENTERPRISE, "enterprise", 5000),
    ] {
        let emu = start(&app(sdkappid, "current", edition, ""), false).await;
        let raw = emu
            .request(
                reqwest::Method::PUT,
                "/_emulator/state",
                groups_doc(sdkappid, max + 1, max - 1)
                    .to_string()
                    .into_bytes(),
            )
            .await;
        assert_eq!(raw.status, 200, "{}", raw.body);
        let add = |id: usize| json!({"GroupId": format!("g{id}"), "MemberList": [{"Member_Account": "u"}]});
        let v = call(&emu, sdkappid, "add_group_member", add(max - 1)).await;
        assert_eq!(code(&v), 0, "the {max}th group: {v}");
        let v = call(&emu, sdkappid, "add_group_member", add(max)).await;
        assert_eq!(code(&v), 10037, "one more: {v}");
        assert_eq!(member_num(&emu, sdkappid, &format!("g{max}")).await, 0);
    }
}

// ---- State import by each app's own profile ----

#[tokio::test]
async fn a_state_import_checks_each_app_by_its_own_rules_profile() {
    let toml = [
        app(OLD, "default", "ultimate", ""),
        app(ULTIMATE, "current", "ultimate", ""),
    ]
    .concat();
    let emu = start(&toml, false).await;
    group(&emu, OLD, "keep", "Public").await;
    let before = export(&emu).await;
    let doc = |old_id: &str, today_id: &str, today_type: &str| {
        json!({"version": 1, "apps": [
            {"sdkappid": OLD, "groups": [{"GroupId": old_id, "Type": "Public", "Name": "g"}]},
            {"sdkappid": ULTIMATE, "groups": [{"GroupId": today_id, "Type": today_type, "Name": "g"}]}
        ]})
    };
    let put = |d: Value| {
        let emu = &emu;
        async move {
            emu.request(
                reqwest::Method::PUT,
                "/_emulator/state",
                d.to_string().into_bytes(),
            )
            .await
        }
    };
    let b49 = "b".repeat(49);
    let b48 = "b".repeat(48);
    // A 49-byte GroupId: the default app takes it, the current app refuses the document.
    let raw = put(doc(&b49, &b49, "Public")).await;
    assert_eq!(raw.status, 400, "{}", raw.body);
    assert!(raw.body.contains("apps[1]"), "{}", raw.body);
    assert!(raw.body.contains("current"), "{}", raw.body);
    assert_eq!(
        export(&emu).await,
        before,
        "a refused import changes nothing"
    );
    // BChatRoom: a type of the seed, not of today's service.
    let raw = put(doc(&b49, &b48, "BChatRoom")).await;
    assert_eq!(raw.status, 400, "{}", raw.body);
    assert!(raw.body.contains("apps[1]"), "{}", raw.body);
    assert_eq!(export(&emu).await, before);
    let raw = put(doc(&b49, &b48, "Public")).await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert_eq!(
        code(&call(&emu, OLD, "get_group_info", json!({"GroupIdList": [b49]})).await),
        0
    );
    let v = call(
        &emu,
        ULTIMATE,
        "get_group_info",
        json!({"GroupIdList": [b48]}),
    )
    .await;
    assert_eq!(v["GroupInfo"][0]["ErrorCode"], 0, "{v}");
}

// ---- Other per-app reads of the profile ----

#[tokio::test]
async fn get_joined_group_list_knows_the_group_types_of_the_apps_own_profile() {
    let toml = [
        app(OLD, "default", "ultimate", ""),
        app(ULTIMATE, "current", "ultimate", ""),
    ]
    .concat();
    let emu = start(&toml, false).await;
    let body = json!({"Member_Account": "bob", "GroupType": "BChatRoom"});
    let v = call(&emu, OLD, "get_joined_group_list", body.clone()).await;
    assert_eq!(code(&v), 0, "{v}");
    let v = call(&emu, ULTIMATE, "get_joined_group_list", body).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(
        !info(&v).contains("BChatRoom,"),
        "today's types are listed: {v}"
    );
}

#[tokio::test]
async fn zero_config_apps_follow_the_flags_profile_and_edition() {
    use clap::Parser;
    let flags = |edition: &'static str| {
        let c = tim_emulator::config::Config::try_parse_from([
            "tim-emulator",
            "--rules-profile",
            "current",
            "--edition",
            edition,
            "--auto-import-accounts",
        ])
        .expect("flags parse");
        let mut s = c.settings().expect("valid flags");
        s.clock = Clock::frozen_at(T0_MS);
        s
    };
    let targeted =
        json!({"GroupId": "g1", "Random": 1, "MsgBody": text("x"), "To_Account": ["bob"]});
    // Trial: 10059 for To_Account; 10007 for a Public group's online count.
    let emu = Emu::start_with(flags("trial")).await;
    group(&emu, common::APP, "g1", "Public").await;
    let v = emu.call(SEND, targeted.clone()).await;
    assert_eq!(code(&v), 10059, "{v}");
    let v = emu
        .call(
            "group_open_http_svc/get_online_member_num",
            json!({"GroupId": "g1"}),
        )
        .await;
    assert_eq!(code(&v), 10007, "{v}");
    // Ultimate (the default edition): both allowed, a zero-config app having every feature.
    let emu = Emu::start_with(flags("flagship")).await;
    group(&emu, common::APP, "g1", "Public").await;
    let v = emu.call(SEND, targeted).await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu
        .call(
            "group_open_http_svc/get_online_member_num",
            json!({"GroupId": "g1"}),
        )
        .await;
    assert_eq!(
        (code(&v), v["OnlineMemberNum"].as_u64()),
        (0, Some(0)),
        "{v}"
    );
}
