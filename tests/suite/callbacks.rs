//! Callbacks to the app backend (SPEC §6), against a real HTTP receiver on loopback that
//! records what it gets and answers as each test tells it to.

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::receiver::{Receiver, Reply, allow};
use common::{APP, Emu, code};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tim_emulator::Settings;
use tim_emulator::apps::{AppPolicy, Apps, CallbackConfig, Limits};
use tim_emulator::callback::Bounds;

const BEFORE: &str = "Group.CallbackBeforeCreateGroup";
const AFTER_CREATE: &str = "Group.CallbackAfterCreateGroup";
const AFTER_DESTROY: &str = "Group.CallbackAfterGroupDestroyed";
const ALL: [&str; 3] = [BEFORE, AFTER_CREATE, AFTER_DESTROY];

fn config(url: &str, events: &[&str]) -> CallbackConfig {
    CallbackConfig {
        url: url.to_string(),
        events: events.iter().map(|e| e.to_string()).collect(),
        token: None,
        timeout_ms: 2000,
        fail_closed: false,
        block_send_on_failure: false,
    }
}

async fn emu_with(cb: CallbackConfig, limits: Limits) -> Emu {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::zero_config(limits);
    s.apps.set_zero_config_callback(Some(cb));
    let emu = Emu::start_with(s).await;
    emu.import(&["leckie", "bob", "peter"]).await;
    emu
}

async fn emu(cb: CallbackConfig) -> Emu {
    emu_with(cb, Limits::UNLIMITED).await
}

fn group(id: &str) -> Value {
    json!({
        "Owner_Account": "leckie",
        "Type": "Public",
        "GroupId": id,
        "Name": "TestGroup",
        "MemberList": [{"Member_Account": "bob"}, {"Member_Account": "peter"}],
        "AppDefinedData": [{"Key": "Color", "Value": "red"}]
    })
}

/// The kept deliveries of the control plane.
async fn deliveries(emu: &Emu) -> Vec<Value> {
    let raw = emu
        .request(reqwest::Method::GET, "/_emulator/callbacks", Vec::new())
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    raw.json()["deliveries"].as_array().unwrap().clone()
}

async fn group_exists(emu: &Emu, id: &str) -> bool {
    code(&emu.group_info(id).await) == 0
}

fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/im-callback")
}

#[tokio::test]
async fn before_create_sends_the_vendor_query_and_body_and_an_allow_lets_the_creation_through() {
    let rx = Receiver::start(allow()).await;
    let emu = emu(config(&rx.url, &[BEFORE])).await;
    let v = emu.create_group(group("cb-allow")).await;
    assert_eq!(code(&v), 0, "{v}");
    assert!(group_exists(&emu, "cb-allow").await);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let q = &got[0].query;
    assert_eq!(q["SdkAppid"], APP.to_string());
    assert_eq!(q["CallbackCommand"], BEFORE);
    assert_eq!(q["contenttype"], "json");
    assert_eq!(q["ClientIP"], "127.0.0.1");
    assert_eq!(q["OptPlatform"], "RESTAPI");
    assert!(!q.contains_key("Sign") && !q.contains_key("RequestTime"));
    assert_eq!(got[0].content_type.as_deref(), Some("application/json"));
    assert!(
        got[0].raw.starts_with("{\"CallbackCommand\":"),
        "vendor order: {}",
        got[0].raw
    );
    let b = &got[0].body;
    assert_eq!(b["CallbackCommand"], BEFORE);
    assert_eq!(b["Operator_Account"], "admin");
    assert_eq!(b["Owner_Account"], "leckie");
    assert_eq!(b["Type"], "Public");
    assert_eq!(b["Name"], "TestGroup");
    assert_eq!(
        b["MemberList"],
        json!([{"Member_Account": "bob"}, {"Member_Account": "peter"}])
    );
    assert!(
        b["EventTime"].as_u64().unwrap() > 1_600_000_000_000,
        "ms: {b}"
    );
}

#[tokio::test]
async fn a_backend_answer_of_1_rejects_with_10016_stores_nothing_and_gives_quota_back() {
    let rx = Receiver::start(Reply::Json(
        json!({"ActionStatus": "OK", "ErrorInfo": "not today", "ErrorCode": 1}),
    ))
    .await;
    let one_a_day = Limits {
        daily_group_creations: 1,
        ..Limits::UNLIMITED
    };
    let emu = emu_with(config(&rx.url, &[BEFORE]), one_a_day).await;
    let v = emu.create_group(group("cb-veto")).await;
    assert_eq!(code(&v), 10016, "{v}");
    assert!(
        v["ErrorInfo"].as_str().unwrap().contains("not today"),
        "{v}"
    );
    assert!(!group_exists(&emu, "cb-veto").await);
    // The ID is still free and the day's only creation was given back.
    rx.set_reply(allow());
    let v = emu.create_group(group("cb-veto")).await;
    assert_eq!(code(&v), 0, "{v}");
}

#[tokio::test]
async fn a_custom_code_in_10100_to_10200_reaches_the_caller_with_its_error_info() {
    let rx = Receiver::start(Reply::Json(
        json!({"ActionStatus": "FAIL", "ErrorInfo": "shop is closed", "ErrorCode": 10150}),
    ))
    .await;
    let emu = emu(config(&rx.url, &[BEFORE])).await;
    let v = emu.create_group(group("cb-custom")).await;
    assert_eq!(code(&v), 10150, "{v}");
    assert_eq!(v["ErrorInfo"], "shop is closed");
    assert!(!group_exists(&emu, "cb-custom").await);
}

#[tokio::test]
async fn a_stalled_backend_times_out_and_the_creation_goes_on() {
    let rx = Receiver::start(Reply::Stall).await;
    let mut cb = config(&rx.url, &[BEFORE]);
    cb.timeout_ms = 300;
    let emu = emu(cb).await;
    let started = Instant::now();
    let v = emu.create_group(group("cb-slow")).await;
    // Generous bound: only proves the caller is not held for the backend's 30 s.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(rx.commands(), [BEFORE]);
    let log = deliveries(&emu).await;
    assert_eq!(log[0]["decision"], "fail_open");
    assert!(
        log[0]["error"].as_str().unwrap().contains("timeout"),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_stalled_backend_refuses_the_creation_when_failing_closed() {
    let rx = Receiver::start(Reply::Stall).await;
    let mut cb = config(&rx.url, &[BEFORE]);
    (cb.timeout_ms, cb.fail_closed) = (300, true);
    let emu = emu(cb).await;
    let v = emu.create_group(group("cb-slow-closed")).await;
    assert_eq!(code(&v), 10016, "{v}");
    assert!(v["ErrorInfo"].as_str().unwrap().contains("timeout"), "{v}");
    assert!(!group_exists(&emu, "cb-slow-closed").await);
}

/// With `fail_closed`, a creation whose before-create callback fails is refused with 10016 and
/// stores nothing; returns the answer for further checks.
async fn refused_when_failing_closed(url: &str, id: &str) -> Value {
    let mut cb = config(url, &[BEFORE]);
    cb.fail_closed = true;
    let emu = emu(cb).await;
    let v = emu.create_group(group(id)).await;
    assert_eq!(code(&v), 10016, "{v}");
    assert!(
        !group_exists(&emu, id).await,
        "a refused creation stores nothing"
    );
    v
}

#[tokio::test]
async fn a_refused_connection_lets_the_creation_go_on_unless_failing_closed() {
    let url = refused_url();
    let emu_open = emu(config(&url, &[BEFORE])).await;
    let v = emu_open.create_group(group("cb-refused")).await;
    assert_eq!(code(&v), 0, "{v}");
    let log = deliveries(&emu_open).await;
    assert_eq!(log[0]["status"], Value::Null);
    assert!(log[0]["error"].is_string(), "{log:?}");

    refused_when_failing_closed(&url, "cb-refused").await;
}

#[tokio::test]
async fn a_reply_that_is_not_json_lets_the_creation_go_on_unless_failing_closed() {
    let rx = Receiver::start(Reply::Text("<html>hello</html>")).await;
    let emu_open = emu(config(&rx.url, &[BEFORE])).await;
    assert_eq!(code(&emu_open.create_group(group("cb-text")).await), 0);

    let v = refused_when_failing_closed(&rx.url, "cb-text").await;
    assert!(v["ErrorInfo"].as_str().unwrap().contains("JSON"), "{v}");
}

#[tokio::test]
async fn a_non_200_reply_lets_the_creation_go_on_unless_failing_closed() {
    let rx = Receiver::start(Reply::Status(500)).await;
    let emu_open = emu(config(&rx.url, &[BEFORE])).await;
    assert_eq!(code(&emu_open.create_group(group("cb-500")).await), 0);
    assert_eq!(deliveries(&emu_open).await[0]["status"], 500);

    let v = refused_when_failing_closed(&rx.url, "cb-500").await;
    assert!(v["ErrorInfo"].as_str().unwrap().contains("500"), "{v}");
}

#[tokio::test]
async fn after_create_carries_the_group_id_members_and_custom_fields() {
    let rx = Receiver::start(allow()).await;
    let emu = emu(config(&rx.url, &[AFTER_CREATE])).await;
    let v = emu.create_group(group("cb-after")).await;
    assert_eq!(code(&v), 0, "{v}");
    let got = rx.wait_for(AFTER_CREATE).await;
    assert_eq!(got.query["ClientIP"], "127.0.0.1");
    let b = &got.body;
    assert_eq!(b["CallbackCommand"], AFTER_CREATE);
    assert_eq!(b["GroupId"], "cb-after");
    assert_eq!(b["Operator_Account"], "admin");
    assert_eq!(b["Owner_Account"], "leckie");
    assert_eq!(b["Type"], "Public");
    assert_eq!(b["Name"], "TestGroup");
    assert_eq!(
        b["MemberList"],
        json!([{"Member_Account": "bob"}, {"Member_Account": "peter"}])
    );
    assert_eq!(
        b["UserDefinedDataList"],
        json!([{"Key": "Color", "Value": "red"}])
    );
    assert!(b["EventTime"].is_u64());
}

#[tokio::test]
async fn after_create_names_an_assigned_group_id() {
    let rx = Receiver::start(allow()).await;
    let emu = emu(config(&rx.url, &[AFTER_CREATE])).await;
    let v = emu
        .create_group(json!({"Type": "Private", "Name": "NoOwner"}))
        .await;
    let id = v["GroupId"].as_str().unwrap();
    let got = rx.wait_for(AFTER_CREATE).await;
    assert_eq!(got.body["GroupId"], id);
    assert_eq!(got.body["Owner_Account"], "");
    assert_eq!(got.body["MemberList"], json!([]));
}

#[tokio::test]
async fn after_destroy_carries_the_group_as_it_was_with_every_member() {
    let rx = Receiver::start(allow()).await;
    let emu = emu(config(&rx.url, &[AFTER_DESTROY])).await;
    assert_eq!(code(&emu.create_group(group("cb-gone")).await), 0);
    let v = emu
        .call(
            "group_open_http_svc/destroy_group",
            json!({"GroupId": "cb-gone"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let b = rx.wait_for(AFTER_DESTROY).await.body;
    assert_eq!(b["CallbackCommand"], AFTER_DESTROY);
    assert_eq!(b["GroupId"], "cb-gone");
    assert_eq!(b["Type"], "Public");
    assert_eq!(b["Owner_Account"], "leckie");
    assert_eq!(b["Name"], "TestGroup");
    assert_eq!(
        b["MemberList"],
        json!([{"Member_Account": "leckie"}, {"Member_Account": "bob"}, {"Member_Account": "peter"}])
    );
    assert!(b["EventTime"].is_u64());
}

#[tokio::test]
async fn with_a_token_every_callback_is_signed_with_sha256_of_token_and_time() {
    let rx = Receiver::start(allow()).await;
    let mut cb = config(&rx.url, &ALL);
    cb.token = Some("s3cret".into());
    let emu = emu(cb).await;
    assert_eq!(code(&emu.create_group(group("cb-signed")).await), 0);
    for command in [BEFORE, AFTER_CREATE] {
        let q = rx.wait_for(command).await.query;
        let time = &q["RequestTime"];
        assert!(
            time.parse::<u64>().unwrap() > 1_600_000_000,
            "seconds: {time}"
        );
        let want: String = Sha256::digest(format!("s3cret{time}"))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(q["Sign"], want, "{command}");
    }
}

#[tokio::test]
async fn events_that_are_not_configured_are_not_sent() {
    let rx = Receiver::start(allow()).await;
    let emu = emu(config(&rx.url, &[AFTER_DESTROY])).await;
    assert_eq!(code(&emu.create_group(group("cb-quiet")).await), 0);
    let destroy = json!({"GroupId": "cb-quiet"});
    emu.call("group_open_http_svc/destroy_group", destroy).await;
    rx.wait_for(AFTER_DESTROY).await;
    assert_eq!(rx.commands(), [AFTER_DESTROY]);
    assert_eq!(deliveries(&emu).await.len(), 1);
}

#[tokio::test]
async fn an_app_without_callback_settings_sends_nothing() {
    let rx = Receiver::start(allow()).await;
    let mut with = AppPolicy::zero_config(Limits::UNLIMITED);
    with.callback = Some(config(&rx.url, &ALL));
    let apps = HashMap::from([
        (APP, with),
        (APP + 1, AppPolicy::zero_config(Limits::UNLIMITED)),
    ]);
    let mut s = Settings::zero_config();
    (s.apps, s.auto_import_accounts) = (Apps::configured(apps, Limits::UNLIMITED), true);
    let emu = Emu::start_with(s).await;
    let body = json!({"Type": "Public", "Name": "quiet"});
    let v = emu
        .call_as(APP + 1, "admin", "group_open_http_svc/create_group", body)
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(code(&emu.create_group(group("cb-loud")).await), 0);
    let got = rx.wait_for(AFTER_CREATE).await;
    assert_eq!(got.body["GroupId"], "cb-loud");
    assert!(
        rx.received()
            .iter()
            .all(|g| g.query["SdkAppid"] == APP.to_string())
    );
}

#[tokio::test]
async fn the_delivery_log_shows_request_and_answer_and_delete_clears_it() {
    let rx = Receiver::start(allow()).await;
    let emu = emu(config(&rx.url, &[BEFORE])).await;
    assert_eq!(code(&emu.create_group(group("cb-log")).await), 0);
    let log = deliveries(&emu).await;
    assert_eq!(log.len(), 1);
    let d = &log[0];
    assert_eq!(d["command"], BEFORE);
    assert_eq!(d["sdkappid"], APP);
    assert!(
        d["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}?SdkAppid=", rx.url))
    );
    assert_eq!(d["request_body"]["Name"], "TestGroup");
    assert_eq!(d["status"], 200);
    assert!(
        d["response_body"]
            .as_str()
            .unwrap()
            .contains("\"ErrorCode\":0")
    );
    assert_eq!(d["error"], Value::Null);
    assert_eq!(d["decision"], "allow");
    assert!(d["latency_ms"].is_u64() && d["time_ms"].is_u64());

    let raw = emu
        .request(reqwest::Method::DELETE, "/_emulator/callbacks", Vec::new())
        .await;
    assert_eq!((raw.status, raw.json()["cleared"].clone()), (200, json!(1)));
    assert!(deliveries(&emu).await.is_empty());
}

#[tokio::test]
async fn the_delivery_log_filters_by_sdkappid() {
    let rx = Receiver::start(allow()).await;
    let emu = emu(config(&rx.url, &[BEFORE])).await;
    assert_eq!(code(&emu.create_group(group("cb-filter")).await), 0);
    let path = format!("/_emulator/callbacks?sdkappid={}", APP + 1);
    let raw = emu.request(reqwest::Method::GET, &path, Vec::new()).await;
    assert_eq!(raw.json()["deliveries"], json!([]));
}

#[tokio::test]
async fn the_delivery_log_answers_a_bad_filter_with_a_json_400() {
    let emu = emu(config(&refused_url(), &[BEFORE])).await;
    let path = "/_emulator/callbacks?sdkappid=abc";
    let raw = emu.request(reqwest::Method::GET, path, Vec::new()).await;
    assert_eq!(raw.status, 400);
    assert!(raw.json()["error"].is_string(), "{}", raw.body);
}

#[tokio::test]
async fn a_config_file_callback_section_drives_a_configured_apps_callbacks() {
    let rx = Receiver::start(Reply::Json(
        json!({"ActionStatus": "OK", "ErrorInfo": "no", "ErrorCode": 1}),
    ))
    .await;
    let text = format!(
        "[[apps]]\nsdkappid = {}\n[apps.callback]\nurl = \"{}\"\nevents = [\"{BEFORE}\"]\ntoken = \"t\"\n",
        common::APP,
        rx.url
    );
    let apps = tim_emulator::config_file::parse(&text, Limits::UNLIMITED, false)
        .expect("config with a callback parses");
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(apps, Limits::UNLIMITED);
    let emu = Emu::start_with(s).await;
    let body = json!({"Type": "Public", "Name": "g", "GroupId": "from-file"});
    let v = emu.create_group(body).await;
    assert_eq!(code(&v), 10016, "{v}");
    let got = rx.wait_for(BEFORE).await;
    assert!(
        got.query.contains_key("Sign"),
        "token from the file signs: {:?}",
        got.query
    );
}

/// Issue 9: once a request passed the common layer it runs to its end, as the real service
/// does, even when the client stops waiting while the before-create callback is pending.
#[tokio::test]
async fn a_client_that_gives_up_during_before_create_still_leaves_the_group_the_callback_and_the_journal()
 {
    let ok = json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0});
    let backend = Receiver::start(Reply::Late(Duration::from_millis(600), ok)).await;
    let emu = emu(config(&backend.url, &ALL)).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let url = format!(
        "{}/v4/group_open_http_svc/create_group?{}",
        emu.base(),
        Emu::query(APP, "admin")
    );
    let body = json!({"GroupId": "given-up", "Type": "Public", "Name": "g"});
    let sent = impatient.post(&url).json(&body).send().await;
    assert!(sent.is_err(), "the client must have given up: {sent:?}");
    let after = backend.wait_for(AFTER_CREATE).await;
    assert_eq!(after.body["GroupId"], "given-up");
    assert!(emu.group_exists("given-up").await, "the group was created");
    let journal = emu
        .http
        .get(format!(
            "{}/_emulator/requests?command=create_group",
            emu.base()
        ))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let entries = journal["entries"].as_array().cloned().unwrap_or_default();
    assert!(
        entries
            .iter()
            .any(|e| e["ErrorCode"] == 0
                && e["body"].as_str().is_some_and(|b| b.contains("given-up"))),
        "the journal records the completed request: {journal}"
    );
    backend.set_reply(allow());
    let retry = emu.create_group(body).await;
    assert_eq!(code(&retry), 10021, "a retry finds the ID taken: {retry}");
}

/// Issue 9: callback `EventTime` and the signed `RequestTime` come from the emulator's clock.
#[tokio::test]
async fn callback_times_come_from_the_emulator_clock() {
    let backend = Receiver::start(allow()).await;
    let mut cb = config(&backend.url, &ALL);
    cb.token = Some("t".into());
    let emu = emu(cb).await;
    let r = emu
        .http
        .post(format!("{}/_emulator/clock", emu.base()))
        .json(&json!({"set_ms": 1_700_000_000_250_u64}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "g"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let before = backend.wait_for(BEFORE).await;
    assert_eq!(before.body["EventTime"], 1_700_000_000_250_u64);
    assert_eq!(before.query["RequestTime"], "1700000000");
}

/// Issue 11 D: a redirecting backend is a failed delivery; the redirect is never followed (here
/// it points at the emulator's own reset, which would wipe the state).
#[tokio::test]
async fn a_redirect_is_a_failed_delivery_and_is_never_followed() {
    let backend = Receiver::start(allow()).await;
    let emu = emu(config(&backend.url, &ALL)).await;
    let keep = emu
        .create_group(json!({"GroupId": "keep", "Type": "Public", "Name": "k"}))
        .await;
    assert_eq!(code(&keep), 0, "{keep}");
    backend.set_reply(Reply::Redirect(format!("{}/_emulator/reset", emu.base())));
    let v = emu
        .create_group(json!({"GroupId": "next", "Type": "Public", "Name": "n"}))
        .await;
    assert_eq!(code(&v), 0, "a failed before-create fails open: {v}");
    assert!(
        emu.group_exists("keep").await,
        "the redirect to reset was not followed"
    );
    let log = deliveries(&emu).await;
    let redirected = log
        .iter()
        .find(|d| d["status"] == 307)
        .unwrap_or_else(|| panic!("a 307 delivery is logged: {log:?}"));
    assert_eq!(redirected["decision"], "fail_open", "{redirected}");
}

/// Issue 11 D: a callback URL pointing at the emulator's own create_group does not recurse:
/// the emulator refuses its own callback, the delivery fails open, one group is made.
#[tokio::test]
async fn a_callback_url_pointing_at_the_emulator_itself_is_refused_instead_of_looping() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let own = format!(
        "http://{addr}/v4/group_open_http_svc/create_group?{}",
        Emu::query(APP, "admin")
    );
    let mut s = Settings::zero_config();
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.apps
        .set_zero_config_callback(Some(config(&own, &[BEFORE])));
    let emu = Emu::start_on(s, addr).await;
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "loop"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(emu.group_total().await, 1, "no recursion");
    let log = deliveries(&emu).await;
    assert_eq!(log.len(), 1, "{log:?}");
    let answer = log[0]["response_body"].as_str().unwrap_or("");
    assert!(
        answer.contains("60002") && answer.contains("loop"),
        "{answer}"
    );
}

/// A settings of zero-config apps calling back `cb`, any account imported, these byte bounds.
async fn emu_bounded(cb: CallbackConfig, bounds: Bounds) -> Emu {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.auto_import_accounts = true;
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.apps.set_zero_config_callback(Some(cb));
    s.callback_bounds = bounds;
    Emu::start_with(s).await
}

/// The raw `GET /_emulator/callbacks` answer.
async fn listing(emu: &Emu) -> (usize, Value) {
    let raw = emu
        .request(reqwest::Method::GET, "/_emulator/callbacks", Vec::new())
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    (raw.body.len(), raw.json())
}

/// A before-create answer of about 1 MiB that still allows.
fn huge_answer() -> Reply {
    let pad = "x".repeat(1 << 20);
    Reply::Json(json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "Pad": pad}))
}

/// Issue 11 B: 50 answers of 1 MiB keep the delivery log within its bounds, and its listing
/// small: each answer is kept cut to 16 KiB and marked with its full length.
#[tokio::test]
async fn fifty_answers_of_1_mib_keep_the_log_and_its_listing_small() {
    let rx = Receiver::start(huge_answer()).await;
    let emu = emu_bounded(config(&rx.url, &[BEFORE]), Bounds::default()).await;
    for i in 0..50 {
        let v = emu.create_group(json!({"Type": "Public", "Name": format!("g{i}")}));
        assert_eq!(code(&v.await), 0);
    }
    let (size, v) = listing(&emu).await;
    assert!(size < 1 << 20, "the listing is {size} bytes");
    let kept = v["deliveries"].as_array().unwrap();
    assert_eq!(kept.len(), 50);
    for d in kept {
        assert!(d["response_body"].as_str().unwrap().len() <= 16 << 10);
        assert_eq!(d["response_body_truncated"], true, "{}", d["seq"]);
        assert!(d["response_body_bytes"].as_u64().unwrap() > 1 << 20);
        assert_eq!(d["request_body_truncated"], false);
        assert_eq!(
            d["request_body"]["Type"], "Public",
            "a whole body stays JSON"
        );
    }
    assert!(v["log_bytes"].as_u64().unwrap() <= v["log_byte_capacity"].as_u64().unwrap());
    assert_eq!(
        (
            v["log_byte_capacity"].clone(),
            v["body_byte_capacity"].clone()
        ),
        (json!(16 << 20), json!(16 << 10))
    );
}

/// Issue 11 B: the log forgets its oldest deliveries to stay within `--callback-log-bytes`, and
/// cuts a large body sent to `--callback-log-body-bytes`, saying how long it was.
#[tokio::test]
async fn the_log_keeps_the_newest_deliveries_within_its_bytes_and_cuts_large_bodies_sent() {
    let rx = Receiver::start(huge_answer()).await;
    let bounds = Bounds {
        log_body_bytes: 4096,
        log_bytes: 64 << 10,
        ..Bounds::default()
    };
    let emu = emu_bounded(config(&rx.url, &[BEFORE]), bounds).await;
    let members: Vec<Value> = (0..100)
        .map(|i| json!({"Member_Account": format!("member-with-a-long-account-name-{i:03}")}))
        .collect();
    for i in 0..30 {
        let body = json!({"Owner_Account": "owner", "Type": "Public", "Name": format!("g{i}"),
                          "MemberList": members});
        assert_eq!(code(&emu.create_group(body).await), 0);
    }
    let (size, v) = listing(&emu).await;
    assert!(
        v["log_bytes"].as_u64().unwrap() <= 64 << 10,
        "{}",
        v["log_bytes"]
    );
    assert!(size < 128 << 10, "the listing is {size} bytes");
    let kept = v["deliveries"].as_array().unwrap();
    assert!((2..30).contains(&kept.len()), "{} kept", kept.len());
    assert_eq!(kept.last().unwrap()["seq"], 30, "the newest stays");
    let sent = rx.received().pop().unwrap().raw;
    let d = kept.last().unwrap();
    assert_eq!(d["request_body_truncated"], true);
    assert_eq!(d["request_body_bytes"], sent.len());
    let text = d["request_body"].as_str().expect("a cut body is a string");
    assert!(text.len() <= 4096 && sent.starts_with(text));
}

/// Issue 11 B: after-events beyond `--callback-queue-bytes` are dropped and counted while
/// the backend is slow, instead of piling up.
#[tokio::test]
async fn after_events_beyond_the_queue_bytes_are_dropped_and_counted() {
    let rx = Receiver::start(Reply::Stall).await;
    let bounds = Bounds {
        queue_bytes: 1000,
        ..Bounds::default()
    };
    let emu = emu_bounded(config(&rx.url, &[AFTER_CREATE]), bounds).await;
    let members: Vec<Value> = (0..10)
        .map(|i| json!({"Member_Account": format!("member-with-a-long-account-name-{i:03}")}))
        .collect();
    for i in 0..5 {
        let body = json!({"Owner_Account": "owner", "Type": "Public", "Name": format!("g{i}"),
                          "MemberList": members});
        assert_eq!(code(&emu.create_group(body).await), 0);
    }
    let (_, v) = listing(&emu).await;
    // Each body is over 500 bytes: while the first waits on the stalled backend (2 s), every
    // other one is dropped.
    assert_eq!(v["dropped"], 4, "{v}");
    assert_eq!(v["queue_byte_capacity"], 1000);
}
