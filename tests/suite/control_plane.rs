//! The `/_emulator/` control plane, driven as a client test suite would: reset, state export
//! and import, the request journal and fault injection, and the 400s for malformed input.

use crate::common;

use common::{APP, Emu, code};
use reqwest::Method;
use serde_json::{Value, json};
use tim_emulator::Settings;

const EXAMPLE: &str = include_str!("../../fixtures/state/example.json");
const MINIMAL: &str = include_str!("../../fixtures/state/minimal.json");

async fn control(emu: &Emu, method: Method, path: &str, body: &str) -> (u16, Value) {
    let raw = emu.request(method, path, body.as_bytes().to_vec()).await;
    let v = if raw.body.is_empty() {
        Value::Null
    } else {
        raw.json()
    };
    (raw.status, v)
}

async fn export(emu: &Emu) -> Value {
    let (status, v) = control(emu, Method::GET, "/_emulator/state", "").await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn import(emu: &Emu, doc: &str) -> (u16, Value) {
    control(emu, Method::PUT, "/_emulator/state", doc).await
}

async fn journal(emu: &Emu, query: &str) -> Vec<Value> {
    let (status, v) = control(emu, Method::GET, &format!("/_emulator/requests{query}"), "").await;
    assert_eq!(status, 200, "{v}");
    v["entries"].as_array().cloned().unwrap_or_default()
}

async fn add_fault(emu: &Emu, rule: Value) -> Value {
    let (status, v) = control(emu, Method::POST, "/_emulator/faults", &rule.to_string()).await;
    assert_eq!(status, 201, "{v}");
    v
}

async fn seeded_group(emu: &Emu) -> String {
    emu.import(&["leckie", "peter"]).await;
    let v = emu
        .create_group(json!({
            "Owner_Account": "leckie", "Type": "Public", "Name": "Team",
            "AppDefinedData": [{"Key": "Bin", "Value": "a\u{0}b"}],
            "MemberList": [{"Member_Account": "peter", "Role": "Admin",
                            "AppMemberDefinedData": [{"Key": "Desk", "Value": "\u{1}4F"}]}]
        }))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    v["GroupId"].as_str().expect("GroupId").to_string()
}

// ---- reset ----

#[tokio::test]
async fn reset_without_sdkappid_forgets_every_app() {
    let emu = Emu::start().await;
    let id = seeded_group(&emu).await;
    let v = emu
        .call_as(
            2,
            "admin",
            "im_open_login_svc/account_import",
            json!({"UserID": "x"}),
        )
        .await;
    assert_eq!(code(&v), 0);
    let (status, _) = control(&emu, Method::POST, "/_emulator/reset", "").await;
    assert_eq!(status, 200);
    assert_eq!(export(&emu).await["apps"], json!([]));
    assert_eq!(emu.group_info(&id).await["ErrorCode"], 10010);
}

#[tokio::test]
async fn reset_with_sdkappid_keeps_the_other_apps() {
    let emu = Emu::start().await;
    let id = seeded_group(&emu).await;
    emu.call_as(
        2,
        "admin",
        "im_open_login_svc/account_import",
        json!({"UserID": "x"}),
    )
    .await;
    let (status, _) = control(&emu, Method::POST, "/_emulator/reset?sdkappid=2", "").await;
    assert_eq!(status, 200);
    assert_eq!(emu.group_info(&id).await["ErrorCode"], 0);
    let apps: Vec<u64> = export(&emu).await["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .filter_map(|a| a["sdkappid"].as_u64())
        .collect();
    assert_eq!(apps, vec![APP]);
}

// ---- state ----

#[tokio::test]
async fn export_then_import_gives_back_the_same_state() {
    let emu = Emu::start().await;
    let id = seeded_group(&emu).await;
    let info_before = emu.group_info(&id).await;
    let doc = export(&emu).await;
    control(&emu, Method::POST, "/_emulator/reset", "").await;
    let (status, v) = import(&emu, &doc.to_string()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(export(&emu).await, doc);
    assert_eq!(emu.group_info(&id).await, info_before);
    assert_eq!(info_before["AppDefinedData"][0]["Value"], "a\u{0}b");
}

#[tokio::test]
async fn imported_groups_and_accounts_answer_through_the_vendor_api() {
    let emu = Emu::start().await;
    let (status, v) = import(&emu, EXAMPLE).await;
    assert_eq!(status, 200, "{v}");
    let info = emu.group_info("@TGS#2J4SZEAEL").await;
    assert_eq!(info["MemberList"][1]["Role"], "Admin");
    assert_eq!(info["AppDefinedData"][0]["Value"], "a\u{0}b\u{1}");
    let v = emu
        .create_group(json!({"Owner_Account": "张三", "Type": "Private", "Name": "new"}))
        .await;
    assert_eq!(code(&v), 0, "an imported account owns a new group: {v}");
    let again = serde_json::from_str::<Value>(EXAMPLE).expect("fixture is JSON");
    assert_eq!(export(&emu).await["apps"][1], again["apps"][1]);
}

#[tokio::test]
async fn the_minimal_fixture_fills_in_defaults() {
    let emu = Emu::start().await;
    let (status, v) = import(&emu, MINIMAL).await;
    assert_eq!(status, 200, "{v}");
    let info = emu.group_info("team").await;
    assert_eq!(info["ApplyJoinOption"], "NeedPermission");
    assert_eq!(info["MaxMemberNum"], 2000);
    assert_eq!(info["MemberList"][1]["Role"], "Member");
}

#[tokio::test]
async fn a_refused_import_answers_400_and_changes_nothing() {
    let emu = Emu::start().await;
    seeded_group(&emu).await;
    let before = export(&emu).await;
    let group = |extra: Value| {
        let mut g = json!({"GroupId": "g", "Type": "Public", "Name": "n"});
        if let (Some(g), Some(e)) = (g.as_object_mut(), extra.as_object()) {
            g.extend(e.clone());
        }
        json!({"apps": [{"sdkappid": 5, "groups": [g]}]}).to_string()
    };
    let bad = [
        "{".to_string(),
        "[]".to_string(),
        json!({"version": 2}).to_string(),
        json!({"apps": [{"sdkappid": 5, "colour": 1}]}).to_string(),
        json!({"apps": [{"sdkappid": 5}, {"sdkappid": 5}]}).to_string(),
        json!({"apps": [{"sdkappid": 5, "accounts": [{"UserID": "a"}, {"UserID": "a"}]}]})
            .to_string(),
        json!({"apps": [{"sdkappid": 5, "accounts": [{"UserID": "a".repeat(33)}]}]}).to_string(),
        group(json!({"Type": "Secret"})),
        group(json!({"ApplyJoinOption": "Anyone"})),
        group(json!({"MemberList": [{"Member_Account": "a", "Role": "Boss"}]})),
        group(json!({"Owner_Account": "a"})),
        group(json!({"MemberList": [{"Member_Account": "a"}, {"Member_Account": "a"}]})),
        group(json!({"Type": "Private", "MemberList": [{"Member_Account": "a", "Role": "Admin"}]})),
        group(json!({"AppDefinedData": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]})),
        json!({"apps": [{"sdkappid": 5, "groups": [
            {"GroupId": "g", "Type": "Public", "Name": "n"},
            {"GroupId": "g", "Type": "Public", "Name": "n"}]}]})
        .to_string(),
    ];
    for doc in bad {
        let (status, v) = import(&emu, &doc).await;
        assert_eq!(status, 400, "{doc} -> {v}");
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
        assert_eq!(export(&emu).await, before, "state changed by {doc}");
    }
}

// ---- journal ----

#[tokio::test]
async fn the_journal_records_what_was_sent_and_why_it_failed() {
    let emu = Emu::start().await;
    emu.create_group(json!({"Type": "Public", "Name": "ok"}))
        .await;
    emu.create_group(json!({"Type": "Nope", "Name": "bad"}))
        .await;
    let all = journal(&emu, "").await;
    assert_eq!(all.len(), 2);
    let failed = &all[1];
    assert_eq!(failed["command"], "create_group");
    assert_eq!(failed["sdkappid"], APP);
    assert_eq!(failed["ErrorCode"], 10004);
    assert_eq!(failed["rule_id"], "invalid_parameter");
    assert!(failed["body"].as_str().is_some_and(|b| b.contains("Nope")));
    assert!(failed["ErrorInfo"].as_str().is_some_and(|i| !i.is_empty()));
    assert_eq!(all[0]["ErrorCode"], 0);
    assert_eq!(all[0]["rule_id"], Value::Null);
    let text = serde_json::to_string(&all).expect("JSON");
    assert!(!text.contains("test-sig"), "the usersig leaked: {text}");
    assert!(
        all[0]["query"]
            .as_str()
            .is_some_and(|q| q.contains("usersig=***"))
    );
}

#[tokio::test]
async fn journal_filters_select_app_command_and_failures() {
    let emu = Emu::start().await;
    emu.create_group(json!({"Type": "Public", "Name": "ok"}))
        .await;
    emu.create_group(json!({"Type": "Public"})).await;
    emu.call_as(
        9,
        "admin",
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "Name": "x"}),
    )
    .await;
    emu.call("im_open_login_svc/account_import", json!({"UserID": ""}))
        .await;
    assert_eq!(journal(&emu, "?sdkappid=9").await.len(), 1);
    assert_eq!(journal(&emu, "?command=create_group").await.len(), 3);
    assert_eq!(journal(&emu, "?failed=true").await.len(), 2);
    let one = journal(
        &emu,
        &format!("?sdkappid={APP}&command=create_group&failed=true"),
    )
    .await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["ErrorCode"], 10004);
}

#[tokio::test]
async fn the_journal_keeps_only_the_newest_entries_and_cuts_long_bodies() {
    let mut s = Settings::zero_config();
    s.journal_size = 3;
    let emu = Emu::start_with(s).await;
    for i in 0..5 {
        emu.create_group(json!({"Type": "Public", "Name": format!("g{i}")}))
            .await;
    }
    let long = "x".repeat(10_000);
    emu.create_group(json!({"Type": "Public", "Name": "n", "Introduction": long}))
        .await;
    let entries = journal(&emu, "").await;
    assert_eq!(entries.len(), 3);
    assert!(
        entries[1]["body"]
            .as_str()
            .is_some_and(|b| b.contains("g4"))
    );
    let last = &entries[2];
    assert_eq!(last["body_truncated"], true);
    assert!(last["body"].as_str().map_or(0, str::len) <= 4096);
    assert!(last["body_bytes"].as_u64().unwrap_or(0) > 10_000);
}

#[tokio::test]
async fn the_journal_cuts_a_long_query_path_and_error_info_and_says_how_long_they_were() {
    let emu = Emu::start().await;
    // Together under the 64 KiB a request target may have (the http crate's limit).
    let word = "x".repeat(30_000);
    let query = format!("{}&pad={}", Emu::query(APP, "admin"), "q".repeat(30_000));
    let raw = emu
        .post_raw(&format!("group_open_http_svc/{word}"), &query, "{}")
        .await;
    common::assert_envelope(&raw);
    assert!(
        common::info(&raw.json()).len() > 30_000,
        "the answer names the word"
    );
    let entries = journal(&emu, "").await;
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    for (field, full) in [
        ("query", query.len()),
        ("path", format!("/v4/group_open_http_svc/{word}").len()),
        ("command", word.len()),
    ] {
        assert!(
            e[field].as_str().map_or(usize::MAX, str::len) <= 4096,
            "{field}"
        );
        assert_eq!(e["truncated"][field], full, "{field}");
    }
    assert!(
        e["query"]
            .as_str()
            .is_some_and(|q| q.contains("usersig=***"))
    );
    assert!(e["ErrorInfo"].as_str().map_or(usize::MAX, str::len) <= 4096);
    assert!(e["truncated"]["ErrorInfo"].as_u64().unwrap_or(0) > 30_000);
    let whole = control(&emu, Method::GET, "/_emulator/requests", "")
        .await
        .1;
    assert!(whole.to_string().len() < 24 * 1024, "the entry stays small");
}

#[tokio::test]
async fn an_entry_with_nothing_cut_has_no_truncated_marker() {
    let emu = Emu::start().await;
    emu.create_group(json!({"Type": "Nope", "Name": "bad"}))
        .await;
    let entries = journal(&emu, "").await;
    assert_eq!(entries[0].get("truncated"), None);
}

#[tokio::test]
async fn deleting_the_journal_empties_it() {
    let emu = Emu::start().await;
    emu.create_group(json!({"Type": "Public", "Name": "ok"}))
        .await;
    let (status, _) = control(&emu, Method::DELETE, "/_emulator/requests", "").await;
    assert_eq!(status, 204);
    assert!(journal(&emu, "").await.is_empty());
}

// ---- faults ----

#[tokio::test]
async fn a_fault_with_times_fails_that_many_requests_then_stops() {
    let emu = Emu::start().await;
    let rule = add_fault(
        &emu,
        json!({"command": "create_group", "error_code": 10002, "times": 1}),
    )
    .await;
    let body = json!({"Type": "Public", "Name": "n"});
    let first = emu.create_group(body.clone()).await;
    assert_eq!(code(&first), 10002);
    assert_eq!(code(&emu.create_group(body).await), 0);
    let failed = journal(&emu, "?failed=true").await;
    assert_eq!(failed[0]["rule_id"], format!("fault:{}", rule["id"]));
    let (_, list) = control(&emu, Method::GET, "/_emulator/faults", "").await;
    assert_eq!(list["faults"], json!([]));
}

#[tokio::test]
async fn a_used_up_fault_no_longer_matches_and_is_gone_from_the_rules() {
    let emu = Emu::start().await;
    let rule = add_fault(
        &emu,
        json!({"command": "create_group", "error_code": 10002, "times": 1}),
    )
    .await;
    let body = json!({"Type": "Public", "Name": "n"});
    assert_eq!(code(&emu.create_group(body.clone()).await), 10002);
    assert_eq!(code(&emu.create_group(body).await), 0);
    let path = format!("/_emulator/faults/{}", rule["id"]);
    let (status, v) = control(&emu, Method::DELETE, &path, "").await;
    assert_eq!(status, 404, "the spent rule is removed, not hidden: {v}");
}

#[tokio::test]
async fn the_101st_fault_rule_is_refused_naming_the_limit_until_one_is_spent() {
    let emu = Emu::start().await;
    add_fault(
        &emu,
        json!({"command": "create_group", "error_code": 10002, "times": 1}),
    )
    .await;
    for _ in 1..100 {
        add_fault(&emu, json!({"command": "get_group_info", "delay_ms": 1})).await;
    }
    let rule = json!({"command": "*", "error_code": 10002}).to_string();
    let (status, v) = control(&emu, Method::POST, "/_emulator/faults", &rule).await;
    assert_eq!(status, 400, "{v}");
    let why = v["error"].as_str().unwrap_or("");
    assert!(
        why.contains("100 fault rules") && why.contains("DELETE"),
        "{why}"
    );
    let (_, list) = control(&emu, Method::GET, "/_emulator/faults", "").await;
    assert_eq!(list["faults"].as_array().map(Vec::len), Some(100));

    let spend = emu.create_group(json!({"Type": "Public", "Name": "n"}));
    assert_eq!(code(&spend.await), 10002);
    let (status, v) = control(&emu, Method::POST, "/_emulator/faults", &rule).await;
    assert_eq!(status, 201, "the spent rule's place is free: {v}");
}

#[tokio::test]
async fn a_fault_answers_its_code_and_info_only_for_its_command_and_app() {
    let emu = Emu::start().await;
    add_fault(
        &emu,
        json!({"command": "create_group", "sdkappid": APP, "error_code": 60007, "error_info": "busy"}),
    )
    .await;
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n"}))
        .await;
    assert_eq!((code(&v), v["ErrorInfo"].as_str()), (60007, Some("busy")));
    let other_app = emu
        .call_as(
            7,
            "admin",
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n"}),
        )
        .await;
    assert_eq!(code(&other_app), 0);
    let other_command = emu
        .call("im_open_login_svc/account_import", json!({"UserID": "a"}))
        .await;
    assert_eq!(code(&other_command), 0);
}

#[tokio::test]
async fn probability_zero_never_fires_and_one_always_does() {
    let emu = Emu::start().await;
    let never = add_fault(
        &emu,
        json!({"command": "create_group", "error_code": 10002, "probability": 0.0}),
    )
    .await;
    for _ in 0..5 {
        assert_eq!(
            code(
                &emu.create_group(json!({"Type": "Public", "Name": "n"}))
                    .await
            ),
            0
        );
    }
    let path = format!("/_emulator/faults/{}", never["id"]);
    assert_eq!(control(&emu, Method::DELETE, &path, "").await.0, 204);
    add_fault(
        &emu,
        json!({"command": "*", "error_code": 10002, "probability": 1.0}),
    )
    .await;
    for _ in 0..5 {
        assert_eq!(
            code(
                &emu.create_group(json!({"Type": "Public", "Name": "n"}))
                    .await
            ),
            10002
        );
    }
    assert_eq!(
        control(&emu, Method::DELETE, "/_emulator/faults", "")
            .await
            .0,
        204
    );
    assert_eq!(
        code(
            &emu.create_group(json!({"Type": "Public", "Name": "n"}))
                .await
        ),
        0
    );
}

#[tokio::test]
async fn a_delay_only_fault_slows_the_answer_but_lets_it_succeed() {
    let emu = Emu::start().await;
    add_fault(
        &emu,
        json!({"command": "create_group", "delay_ms": 50, "times": 1}),
    )
    .await;
    assert_eq!(
        code(
            &emu.create_group(json!({"Type": "Public", "Name": "n"}))
                .await
        ),
        0
    );
    let entries = journal(&emu, "").await;
    assert!(
        entries[0]["latency_us"].as_u64().unwrap_or(0) >= 50_000,
        "{}",
        entries[0]
    );
    assert_eq!(entries[0]["rule_id"], Value::Null);
}

#[tokio::test]
async fn the_fault_list_shows_ids_and_remaining_uses() {
    let emu = Emu::start().await;
    add_fault(
        &emu,
        json!({"command": "create_group", "error_code": 10002, "times": 3}),
    )
    .await;
    emu.create_group(json!({"Type": "Public", "Name": "n"}))
        .await;
    let (status, list) = control(&emu, Method::GET, "/_emulator/faults", "").await;
    assert_eq!(status, 200);
    assert_eq!(list["faults"][0]["times_remaining"], 2);
    assert_eq!(list["faults"][0]["fired"], 1);
    assert!(list["faults"][0]["id"].as_u64().is_some());
}

// ---- malformed control input ----

#[tokio::test]
async fn malformed_control_requests_answer_json_errors_and_change_nothing() {
    let emu = Emu::start().await;
    seeded_group(&emu).await;
    let before = export(&emu).await;
    let cases: &[(Method, &str, &str, u16)] = &[
        (Method::POST, "/_emulator/faults", "{", 400),
        (
            Method::POST,
            "/_emulator/faults",
            r#"{"command":"create_group"}"#,
            400,
        ),
        (
            Method::POST,
            "/_emulator/faults",
            r#"{"error_code":10002}"#,
            400,
        ),
        (
            Method::POST,
            "/_emulator/faults",
            r#"{"command":"nope","error_code":1}"#,
            400,
        ),
        (Method::PUT, "/_emulator/state", "not json", 400),
        (Method::POST, "/_emulator/reset?sdkappid=abc", "", 400),
        (Method::GET, "/_emulator/requests?failed=maybe", "", 400),
        (Method::DELETE, "/_emulator/faults/99", "", 404),
        (Method::DELETE, "/_emulator/faults/x", "", 400),
        (Method::DELETE, "/_emulator/faults/%FF", "", 400),
        (
            Method::POST,
            "/_emulator/clock",
            r#"{"advance_ms":"1"}"#,
            400,
        ),
        (Method::GET, "/_emulator/reset", "", 405),
        (Method::GET, "/_emulator/nothing", "", 404),
    ];
    for (method, path, body, want) in cases {
        let (status, v) = control(&emu, method.clone(), path, body).await;
        assert_eq!(status, *want, "{method} {path} {body}: {v}");
        assert!(v["error"].is_string(), "{method} {path}: {v}");
    }
    assert_eq!(export(&emu).await, before);
    let (_, list) = control(&emu, Method::GET, "/_emulator/faults", "").await;
    assert_eq!(list["faults"], json!([]));
}

/// Issue 11 D: a web page's cross-site request (a foreign `Origin`) is refused, and changes
/// nothing; the emulator's own origin is served.
#[tokio::test]
async fn a_foreign_origin_is_refused_by_the_control_plane() {
    let emu = Emu::start().await;
    let made = emu
        .create_group(json!({"GroupId": "keep", "Type": "Public", "Name": "k"}))
        .await;
    assert_eq!(code(&made), 0, "{made}");
    let reset = |origin: String| {
        emu.http
            .post(format!("{}/_emulator/reset", emu.base()))
            .header("origin", origin)
            .send()
    };
    let r = reset("http://evil.example".into()).await.unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("Origin")),
        "{v}"
    );
    assert!(
        emu.group_exists("keep").await,
        "the refused reset changed nothing"
    );
    let r = reset("null".into()).await.unwrap();
    assert_eq!(r.status(), 403, "an opaque origin is foreign too");
    let r = reset(format!("http://{}", emu.addr)).await.unwrap();
    assert_eq!(r.status(), 200, "the emulator's own origin");
}

/// Issue 11 D: on loopback, a request addressed to another host name (DNS rebinding) cannot
/// read the control plane; the vendor API does not route on Host and still answers.
#[tokio::test]
async fn a_foreign_host_cannot_read_the_control_plane_on_loopback() {
    let emu = Emu::start().await;
    let raw = emu
        .raw_http(b"GET /_emulator/state HTTP/1.1\r\nHost: rebind.example:8269\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(raw.status, 403, "{}", raw.body);
    assert!(
        raw.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("Host"))
    );
    let raw = emu
        .raw_http(
            b"GET /_emulator/state HTTP/1.1\r\nHost: localhost:8269\r\nConnection: close\r\n\r\n",
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let raw = emu
        .raw_http(
            b"GET /_emulator/health HTTP/1.1\r\nHost: rebind.example\r\nConnection: close\r\n\r\n",
        )
        .await;
    assert_eq!(raw.status, 200, "health answers any Host");
}

/// Issue 11 D: with an admin token every control-plane endpoint but health needs it.
#[tokio::test]
async fn an_admin_token_guards_every_control_endpoint_but_health() {
    let mut s = tim_emulator::Settings::zero_config();
    s.admin_token = Some("s3cret".into());
    let emu = Emu::start_with(s).await;
    let get = |path: &'static str, auth: Option<&'static str>| {
        let mut r = emu.http.get(format!("{}{path}", emu.base()));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send()
    };
    for path in [
        "/_emulator/state",
        "/_emulator/requests",
        "/_emulator/faults",
        "/_emulator/clock",
        "/_emulator/callbacks",
    ] {
        assert_eq!(get(path, None).await.unwrap().status(), 401, "{path}");
        assert_eq!(
            get(path, Some("Bearer wrong")).await.unwrap().status(),
            401,
            "{path}"
        );
        assert_eq!(
            get(path, Some("s3cret")).await.unwrap().status(),
            401,
            "{path}: not a bearer"
        );
        assert_eq!(
            get(path, Some("Bearer s3cret")).await.unwrap().status(),
            200,
            "{path}"
        );
    }
    assert_eq!(get("/_emulator/health", None).await.unwrap().status(), 200);
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "vendor calls need no token"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
}

/// Issue 11 C: a document repeating a key is refused (it used to wipe everything silently), and
/// so are values no command could have stored; nothing changes either way.
#[tokio::test]
async fn imports_refuse_repeated_keys_and_values_no_command_could_store() {
    let emu = Emu::start().await;
    let made = emu
        .create_group(json!({"GroupId": "keep", "Type": "Public", "Name": "k"}))
        .await;
    assert_eq!(code(&made), 0, "{made}");
    let before = export(&emu).await;
    let group = |fields: &str| {
        format!(
            r#"{{"apps":[{{"sdkappid":1400000000,"groups":[{{"GroupId":"g","Type":"Public","Name":"n"{fields}}}]}}]}}"#
        )
    };
    let refused = [
        r#"{"apps":[{"sdkappid":1400000000}],"apps":[]}"#.to_string(),
        r#"{"apps":[{"sdkappid":1400000000,"sdkappid":1}]}"#.to_string(),
        group(r#","Name":"again""#),
        r#"{"apps":[{"sdkappid":1400000000,"groups":[{"GroupId":"a\u0007b","Type":"Public","Name":"n"}]}]}"#.to_string(),
        r#"{"apps":[{"sdkappid":1400000000,"groups":[{"GroupId":"a","Type":"Public","Name":""}]}]}"#.to_string(),
        group(&format!(r#","Introduction":"{}""#, "i".repeat(241))),
        group(&format!(r#","AppDefinedData":[{{"Key":"k","Value":"{}"}}]"#, "v".repeat(513))),
        group(&format!(
            r#","MemberList":[{{"Member_Account":"a","NameCard":"{}"}}]"#,
            "c".repeat(51)
        )),
        r#"[]"#.to_string(),
        r#"{"apps":[]} trailing"#.to_string(),
    ];
    for doc in &refused {
        let (status, v) = import(&emu, doc).await;
        assert_eq!(status, 400, "{doc}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    assert_eq!(
        export(&emu).await,
        before,
        "refused imports changed nothing"
    );
    let (status, v) = import(
        &emu,
        &group(&format!(r#","Introduction":"{}""#, "i".repeat(240))),
    )
    .await;
    assert_eq!(status, 200, "240 bytes is allowed: {v}");
}

/// Issue 11 C: concurrent imports are serialized: the result is always one whole document.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_imports_leave_one_whole_document() {
    let emu = std::sync::Arc::new(Emu::start().await);
    let doc = |app: u64, n: usize| {
        let groups: Vec<Value> = (0..n)
            .map(|i| json!({"GroupId": format!("g{app}-{i}"), "Type": "Public", "Name": "n"}))
            .collect();
        json!({"apps": [{"sdkappid": app, "groups": groups}]}).to_string()
    };
    let (a, b) = (doc(1, 300), doc(2, 200));
    for _ in 0..10 {
        let (e1, e2) = (emu.clone(), emu.clone());
        let (a2, b2) = (a.clone(), b.clone());
        let t1 = tokio::spawn(async move { import(&e1, &a2).await.0 });
        let t2 = tokio::spawn(async move { import(&e2, &b2).await.0 });
        assert_eq!((t1.await.unwrap(), t2.await.unwrap()), (200, 200));
        let state = export(&emu).await;
        let apps = state["apps"].as_array().unwrap();
        assert_eq!(apps.len(), 1, "one document, not a mix: {}", apps.len());
        let n = apps[0]["groups"].as_array().unwrap().len();
        assert!(
            (apps[0]["sdkappid"] == 1 && n == 300) || (apps[0]["sdkappid"] == 2 && n == 200),
            "a whole document"
        );
    }
}

/// Issue 11 C: the state import reads the body as it arrives, so a client that stops sending
/// is refused once no part came for --body-timeout-ms (it cannot hold the one-at-a-time import
/// forever), and a declared length over 256 MiB is refused before any of it is read.
#[tokio::test]
async fn a_state_import_whose_body_stalls_or_is_too_large_is_refused_and_changes_nothing() {
    let mut settings = Settings::zero_config();
    settings.body_timeout = std::time::Duration::from_millis(300);
    let emu = Emu::start_with(settings).await;
    seeded_group(&emu).await;
    let before = export(&emu).await;
    let cases = [
        (
            "Content-Length: 1000",
            "no part of the body arrived for 300 ms",
        ),
        ("Content-Length: 300000000", "larger than 268435456 bytes"),
    ];
    for (length, want) in cases {
        let request = format!(
            "PUT /_emulator/state HTTP/1.1\r\nHost: 127.0.0.1\r\n{length}\r\n\r\n{{\"apps\": ["
        );
        let raw = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            emu.raw_http(request.as_bytes()),
        )
        .await
        .expect("answered, not left waiting");
        assert_eq!(raw.status, 400, "{length}");
        let error = raw.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(error.contains(want), "{length}: {error}");
        assert_eq!(export(&emu).await, before);
    }
}
