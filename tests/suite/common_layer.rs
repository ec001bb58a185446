//! The common layer of SPEC §1 over HTTP: every common error in its table order, pairs of faults
//! proving that order, what real SDKs send (parameter order, Content-Type, chunked bodies, Host),
//! and the per-app limits of §7 (60007 rate, 10006 daily quota and BChatRoom cap).

use crate::common;

use std::collections::HashMap;

use common::{APP, Emu, Raw, assert_envelope, code, info};
use reqwest::Method;
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{AppPolicy, Apps, Limits};

const CREATE: &str = "/v4/group_open_http_svc/create_group";
const GOOD_QUERY: &str =
    "sdkappid=1400000000&identifier=admin&usersig=sig&random=1&contenttype=json";
const BASIC: &str = r#"{"Type":"Public","Name":"TestGroup"}"#;

/// Sends `method path` with `body`, asserts the envelope and returns the answer.
async fn send(emu: &Emu, method: Method, path_and_query: &str, body: &[u8]) -> Value {
    let raw = emu.request(method, path_and_query, body.to_vec()).await;
    assert_envelope(&raw);
    raw.json()
}

fn expect(v: &Value, want: i64, what: &str) {
    assert_eq!(code(v), want, "{what}: {v}");
}

#[tokio::test]
async fn wrong_paths_and_methods_are_60002_in_the_envelope() {
    let emu = Emu::start().await;
    let q = GOOD_QUERY;
    let rows: Vec<(Method, String)> = vec![
        (Method::GET, format!("{CREATE}?{q}")),
        (Method::PUT, format!("{CREATE}?{q}")),
        (Method::DELETE, format!("{CREATE}?{q}")),
        (
            Method::PATCH,
            format!("/v4/im_open_login_svc/account_import?{q}"),
        ),
        (Method::GET, "/v4/nosuch/command".into()),
        (Method::POST, format!("/v4/group_open_http_svc?{q}")),
        (
            Method::POST,
            format!("/v4/group_open_http_svc/create_group/extra?{q}"),
        ),
        (Method::POST, format!("{CREATE}/?{q}")),
        (
            Method::POST,
            format!("/v3/group_open_http_svc/create_group?{q}"),
        ),
        (Method::POST, format!("/?{q}")),
        (Method::GET, "/".into()),
        (Method::POST, "/favicon.ico".into()),
        (Method::POST, "/v4//create_group".into()),
        (Method::POST, format!("/v4/group_open_http_svc/?{q}")),
    ];
    for (method, path) in rows {
        let v = send(&emu, method.clone(), &path, BASIC.as_bytes()).await;
        expect(&v, 60002, &format!("{method} {path}"));
    }
    assert_eq!(emu.group_total().await, 0, "a GET stored nothing");
}

#[tokio::test]
async fn the_control_plane_namespace_is_not_a_vendor_path() {
    let emu = Emu::start().await;
    let raw = emu
        .request(Method::GET, "/_emulator/nope", Vec::new())
        .await;
    assert_eq!(raw.status, 404);
    assert!(raw.json()["error"].is_string(), "{}", raw.body);
    let health = emu
        .request(Method::GET, "/_emulator/health", Vec::new())
        .await;
    assert_eq!(health.status, 200);
}

/// Each row breaks exactly one rule of the SPEC §1 table, in the table's order.
#[tokio::test]
async fn each_common_error_has_its_code() {
    let emu = Emu::start().await;
    let q = GOOD_QUERY;
    let post =
        |path: String, body: &'static str, want: i64, says: &'static str| (path, body, want, says);
    let rows = vec![
        post(
            format!("/v4/nosuch/create_group?{q}"),
            BASIC,
            60008,
            "nosuch",
        ),
        post(format!("/v4/openim/sendmsg?{q}"), BASIC, 60008, "openim"),
        post(
            format!("/v4/im_open_login_svc/create_group?{q}"),
            BASIC,
            60008,
            "account_import",
        ),
        post(
            format!("/v4/group_open_http_svc/nope?{q}"),
            BASIC,
            10003,
            "create_group",
        ),
        post(
            format!("/v4/group_open_http_svc/Create_Group?{q}"),
            BASIC,
            10003,
            "Create_Group",
        ),
        post(
            format!("{CREATE}?identifier=admin&usersig=s"),
            BASIC,
            60012,
            "sdkappid",
        ),
        post(CREATE.to_string(), BASIC, 60012, "sdkappid"),
        post(
            format!("{CREATE}?sdkappid=abc&identifier=admin&usersig=s"),
            BASIC,
            60006,
            "abc",
        ),
        post(
            format!("{CREATE}?sdkappid=0&identifier=admin&usersig=s"),
            BASIC,
            60006,
            "sdkappid",
        ),
        post(
            format!("{CREATE}?sdkappid=-5&identifier=admin&usersig=s"),
            BASIC,
            60006,
            "sdkappid",
        ),
        post(
            format!("{CREATE}?sdkappid=&identifier=admin&usersig=s"),
            BASIC,
            60006,
            "sdkappid",
        ),
        post(
            format!("{CREATE}?sdkappid=1400000000&usersig=s"),
            BASIC,
            60004,
            "identifier",
        ),
        post(
            format!("{CREATE}?sdkappid=1400000000&identifier=&usersig=s"),
            BASIC,
            60004,
            "identifier",
        ),
        post(
            format!("{CREATE}?sdkappid=1400000000&identifier=admin"),
            BASIC,
            70002,
            "usersig",
        ),
        post(
            format!("{CREATE}?sdkappid=1400000000&identifier=admin&usersig="),
            BASIC,
            70002,
            "usersig",
        ),
        post(format!("{CREATE}?{q}"), "", 60003, "empty"),
        post(format!("{CREATE}?{q}"), " \r\n\t", 60003, "empty"),
        post(format!("{CREATE}?{q}"), "{\"Type\":", 60003, "JSON"),
        post(format!("{CREATE}?{q}"), "Type=Public&Name=x", 60003, "JSON"),
        post(format!("{CREATE}?{q}"), "[]", 60003, "array"),
        post(
            format!("{CREATE}?{q}"),
            "[{\"Type\":\"Public\"}]",
            60003,
            "array",
        ),
        post(format!("{CREATE}?{q}"), "\"text\"", 60003, "string"),
        post(format!("{CREATE}?{q}"), "null", 60003, "null"),
        post(format!("{CREATE}?{q}"), "42", 60003, "number"),
        post(
            format!("{CREATE}?{q}"),
            r#"{"Type":"Public","Name":"n","Owner_Account":7}"#,
            60015,
            "Owner_Account",
        ),
        post(
            format!("{CREATE}?{q}"),
            r#"{"Type":"Public","Name":"n","MemberList":[{"Member_Account":"bob"},{"Member_Account":1}]}"#,
            60015,
            "MemberList[1].Member_Account",
        ),
        post(
            format!("{CREATE}?{q}"),
            r#"{"Type":"Public","Name":"n","Owner_Account":{"a":1}}"#,
            60015,
            "Owner_Account",
        ),
        post(
            format!("/v4/im_open_login_svc/account_import?{q}"),
            r#"{"UserID":123}"#,
            60015,
            "UserID",
        ),
        post(
            format!("/v4/im_open_login_svc/account_import?{q}"),
            r#"{"Identifier":["a"]}"#,
            60015,
            "Identifier",
        ),
        post(
            format!("/v4/im_open_login_svc/account_check?{q}"),
            r#"{"CheckItem":[{"UserID":true}]}"#,
            60015,
            "CheckItem[0].UserID",
        ),
        post(
            format!("/v4/im_open_login_svc/account_delete?{q}"),
            r#"{"DeleteItem":[{"UserID":1.5}]}"#,
            60015,
            "DeleteItem[0].UserID",
        ),
        post(
            format!("/v4/im_open_login_svc/multiaccount_import?{q}"),
            r#"{"Accounts":["a",2]}"#,
            60015,
            "Accounts[1]",
        ),
    ];
    for (path, body, want, says) in rows {
        let v = send(&emu, Method::POST, &path, body.as_bytes()).await;
        expect(&v, want, &format!("{path} {body}"));
        assert!(info(&v).contains(says), "{path} {body}: {says:?} in {v}");
    }
    assert_eq!(
        emu.group_total().await,
        0,
        "no failed request stored a group"
    );
}

#[tokio::test]
async fn a_body_over_1_mib_is_60002_and_exactly_1_mib_is_read() {
    let emu = Emu::start().await;
    let padded = |len: usize| {
        let head = r#"{"Type":"Public","Name":"big","Pad":""#;
        let tail = "\"}";
        format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()))
    };
    let exact = padded(1 << 20);
    assert_eq!(exact.len(), 1 << 20);
    let v = send(
        &emu,
        Method::POST,
        &format!("{CREATE}?{GOOD_QUERY}"),
        exact.as_bytes(),
    )
    .await;
    expect(&v, 0, "exactly 1 MiB");
    let over = padded((1 << 20) + 1);
    let v = send(
        &emu,
        Method::POST,
        &format!("{CREATE}?{GOOD_QUERY}"),
        over.as_bytes(),
    )
    .await;
    expect(&v, 60002, "1 MiB + 1");
    assert!(info(&v).contains("1 MiB"), "{v}");
    assert_eq!(
        emu.group_total().await,
        1,
        "the oversize body stored nothing"
    );
    // Issue 11 E: the rest of the body is never read, so the answer says the connection closes.
    let raw = emu
        .post_raw(
            CREATE.trim_start_matches("/v4/"),
            GOOD_QUERY,
            over.into_bytes(),
        )
        .await;
    assert_eq!(raw.json()["ErrorCode"], 60002, "{}", raw.body);
    let closes = emu
        .http
        .post(format!("{}{CREATE}?{GOOD_QUERY}", emu.base()))
        .body("x".repeat((1 << 20) + 1))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        closes.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
}

/// Pairs of faults: the earlier row of the SPEC §1 table must win.
#[tokio::test]
async fn the_earlier_common_check_wins() {
    let emu = Emu::start().await;
    let rows: Vec<(&str, String, &str, i64)> = vec![
        (
            "GET beats unknown service",
            "/v4/nosuch/x".into(),
            "",
            60002,
        ),
        (
            "unknown service beats no query",
            "/v4/nosuch/x".into(),
            "",
            60008,
        ),
        (
            "10003 beats no query",
            "/v4/group_open_http_svc/x".into(),
            "",
            10003,
        ),
        ("60012 beats a bad body", CREATE.into(), "not json", 60012),
        (
            "60006 beats no identifier",
            format!("{CREATE}?sdkappid=x"),
            "",
            60006,
        ),
        (
            "60004 beats no usersig",
            format!("{CREATE}?sdkappid=1"),
            "",
            60004,
        ),
        (
            "70002 beats an empty body",
            format!("{CREATE}?sdkappid=1&identifier=admin"),
            "",
            70002,
        ),
        (
            "60003 beats the admin check",
            format!("{CREATE}?sdkappid=1&identifier=bob&usersig=s"),
            "[1]",
            60003,
        ),
        (
            "60015 beats the admin check",
            format!("{CREATE}?sdkappid=1&identifier=bob&usersig=s"),
            r#"{"Owner_Account":1}"#,
            60015,
        ),
        (
            "60015 beats field rules",
            format!("{CREATE}?sdkappid=1&identifier=admin&usersig=s"),
            r#"{"Name":5,"Owner_Account":1}"#,
            60015,
        ),
    ];
    for (what, path, body, want) in rows {
        let method = if what.starts_with("GET") {
            Method::GET
        } else {
            Method::POST
        };
        let v = send(&emu, method, &path, body.as_bytes()).await;
        expect(&v, want, what);
    }
    let big = format!("{{\"Pad\":\"{}\"}}", "x".repeat(1 << 20));
    let v = send(
        &emu,
        Method::POST,
        &format!("{CREATE}?identifier=admin&usersig=s"),
        big.as_bytes(),
    )
    .await;
    expect(&v, 60012, "60012 beats an oversize body");
}

#[tokio::test]
async fn unknown_apps_are_70020_once_apps_are_configured() {
    let mut s = Settings::zero_config();
    let limits = Limits::UNLIMITED;
    s.apps = Apps::configured(
        HashMap::from([(APP, AppPolicy::zero_config(limits))]),
        limits,
    );
    let emu = Emu::start_with(s).await;
    let v = emu
        .call_as(
            APP + 1,
            "admin",
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n"}),
        )
        .await;
    expect(&v, 70020, "unconfigured app");
    assert!(info(&v).contains("1400000001"), "{v}");
    let v = send(
        &emu,
        Method::POST,
        &format!("{CREATE}?sdkappid=1400000001"),
        b"",
    )
    .await;
    expect(&v, 70020, "70020 beats a missing identifier");
    let v = emu
        .call_as(
            APP,
            "admin",
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n"}),
        )
        .await;
    expect(&v, 0, "the configured app");
}

#[tokio::test]
async fn query_parameters_come_in_any_order_and_random_is_opaque() {
    let emu = Emu::start().await;
    let queries = [
        "contenttype=json&random=99999999&usersig=xxx&identifier=admin&sdkappid=1400000000",
        "usersig=xxx&identifier=admin&sdkappid=1400000000",
        "sdkappid=1400000000&random=1&identifier=admin&random=1&usersig=xxx",
        "identifier=admin&random=&sdkappid=1400000000&usersig=xxx&extra=1",
        "sdkappid=1400000000&identifier=%61dmin&usersig=a%2Bb%3D&contenttype=xml",
        "sdkappid=1400000000&sdkappid=nope&identifier=admin&usersig=x",
    ];
    for q in queries {
        let v = send(
            &emu,
            Method::POST,
            &format!("{CREATE}?{q}"),
            BASIC.as_bytes(),
        )
        .await;
        expect(&v, 0, q);
    }
    assert_eq!(emu.group_total().await, queries.len() as u64);
}

#[tokio::test]
async fn any_content_type_or_none_is_read_as_json() {
    let emu = Emu::start().await;
    let url = format!("{}{CREATE}?{GOOD_QUERY}", emu.base());
    for ct in [
        None,
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("nonsense"),
    ] {
        let mut req = emu.http.post(&url).body(BASIC);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await.expect("answered");
        let raw = Raw {
            status: resp.status().as_u16(),
            content_type: resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body: resp.text().await.expect("text"),
        };
        assert_envelope(&raw);
        expect(&raw.json(), 0, &format!("{ct:?}"));
    }
}

fn http_request(host: Option<&str>, extra_head: &str, body: &str) -> Vec<u8> {
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    format!(
        "POST {CREATE}?{GOOD_QUERY} HTTP/1.1\r\n{host}Connection: close\r\n{extra_head}\r\n{body}"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_chunked_body_is_read_whole() {
    let emu = Emu::start().await;
    let parts = [r#"{"Type":"#, r#""Public","Na"#, r#"me":"分块""#, "}"];
    let mut chunked = String::new();
    for p in parts {
        chunked.push_str(&format!("{:x}\r\n{p}\r\n", p.len()));
    }
    chunked.push_str("0\r\n\r\n");
    let raw = emu
        .raw_http(&http_request(
            Some("localhost"),
            "Transfer-Encoding: chunked\r\n",
            &chunked,
        ))
        .await;
    assert_envelope(&raw);
    let v = raw.json();
    expect(&v, 0, "chunked");
    let g = emu
        .group_info(v["GroupId"].as_str().expect("GroupId"))
        .await;
    assert_eq!(g["Name"], "分块");
}

#[tokio::test]
async fn the_host_header_is_ignored() {
    let emu = Emu::start().await;
    for host in [
        Some("console.tim.qq.com"),
        Some("adminapisgp.im.qcloud.com:443"),
        Some("x"),
        None,
    ] {
        let head = format!("Content-Length: {}\r\n", BASIC.len());
        let raw = emu.raw_http(&http_request(host, &head, BASIC)).await;
        assert_envelope(&raw);
        expect(&raw.json(), 0, &format!("Host {host:?}"));
    }
}

fn limits(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::UNLIMITED;
    f(&mut l);
    l
}

/// Calls `path` until one answer is 60007 (at most `tries`); the codes seen before it.
async fn until_throttled(emu: &Emu, path: &str, body: Value, tries: usize) -> Vec<i64> {
    let mut codes = Vec::new();
    for _ in 0..tries {
        let v = emu.call(path, body.clone()).await;
        codes.push(code(&v));
        if code(&v) == 60007 {
            assert!(info(&v).contains("per second"), "{v}");
            break;
        }
    }
    codes
}

#[tokio::test]
async fn create_group_over_its_rate_is_60007_and_other_commands_are_unaffected() {
    let emu = Emu::start_with_limits(limits(|l| {
        l.create_group_per_second = 5;
        l.other_per_second = 200;
    }))
    .await;
    let body = json!({"Type": "Public", "Name": "n"});
    let codes = until_throttled(&emu, "group_open_http_svc/create_group", body.clone(), 40).await;
    assert_eq!(codes.last(), Some(&60007), "{codes:?}");
    assert!(codes.len() >= 6, "the first five always pass: {codes:?}");
    assert!(codes[..5].iter().all(|c| *c == 0), "{codes:?}");
    let created = codes.iter().filter(|c| **c == 0).count() as u64;
    assert_eq!(
        emu.group_total().await,
        created,
        "a throttled call stores nothing"
    );
    let v = emu
        .call("im_open_login_svc/account_import", json!({"UserID": "bob"}))
        .await;
    expect(&v, 0, "account commands have their own budget");
    let other_app = emu
        .call_as(APP + 1, "admin", "group_open_http_svc/create_group", body)
        .await;
    expect(&other_app, 0, "each app has its own budget");
}

#[tokio::test]
async fn other_commands_over_their_rate_are_60007_and_create_group_is_unaffected() {
    let emu = Emu::start_with_limits(limits(|l| l.other_per_second = 3)).await;
    let codes = until_throttled(
        &emu,
        "group_open_http_svc/get_appid_group_list",
        json!({}),
        40,
    )
    .await;
    assert_eq!(codes.last(), Some(&60007), "{codes:?}");
    assert!(codes[..3].iter().all(|c| *c == 0), "{codes:?}");
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n"}))
        .await;
    expect(&v, 0, "create_group has its own budget");
}

#[tokio::test]
async fn the_rate_check_sits_between_usersig_and_the_body_checks() {
    let emu = Emu::start_with_limits(limits(|l| l.create_group_per_second = 1)).await;
    let path = format!("{CREATE}?{GOOD_QUERY}");
    let mut saw = false;
    for _ in 0..40 {
        let v = send(&emu, Method::POST, &path, b"not json").await;
        if code(&v) == 60007 {
            saw = true;
            break;
        }
        expect(&v, 60003, "before the bucket is empty");
    }
    assert!(saw, "a throttled bad body answers 60007");
    let v = send(
        &emu,
        Method::POST,
        &format!("{CREATE}?sdkappid=1400000000&identifier=admin"),
        b"{}",
    )
    .await;
    expect(&v, 70002, "70002 beats the rate check");
}

#[tokio::test]
async fn daily_creations_are_capped_and_bchatrooms_do_not_count() {
    let emu = Emu::start_with_limits(limits(|l| l.daily_group_creations = 2)).await;
    for ty in ["Public", "Private"] {
        expect(
            &emu.create_group(json!({"Type": ty, "Name": "n"})).await,
            0,
            ty,
        );
    }
    let v = emu
        .create_group(json!({"Type": "ChatRoom", "Name": "n"}))
        .await;
    expect(&v, 10006, "third creation of the day");
    assert!(info(&v).contains('2'), "{v}");
    expect(
        &emu.create_group(json!({"Type": "BChatRoom", "Name": "n"}))
            .await,
        0,
        "BChatRoom is not counted",
    );
    let ids = emu
        .call("group_open_http_svc/get_appid_group_list", json!({}))
        .await;
    let first = ids["GroupIdList"][0]["GroupId"]
        .as_str()
        .expect("id")
        .to_string();
    emu.call(
        "group_open_http_svc/destroy_group",
        json!({"GroupId": first}),
    )
    .await;
    let v = emu
        .create_group(json!({"Type": "AVChatRoom", "Name": "n"}))
        .await;
    expect(&v, 10006, "destroying does not give back a daily creation");
    let other = emu
        .call_as(
            APP + 1,
            "admin",
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n"}),
        )
        .await;
    expect(&other, 0, "the quota is per app");
}

#[tokio::test]
async fn bchatrooms_are_capped_per_app_and_destroying_one_frees_a_place() {
    let emu = Emu::start_with_limits(limits(|l| l.bchatroom_max = 1)).await;
    let b = json!({"Type": "BChatRoom", "Name": "n", "GroupId": "b1"});
    expect(&emu.create_group(b.clone()).await, 0, "first BChatRoom");
    let v = emu
        .create_group(json!({"Type": "BChatRoom", "Name": "n", "GroupId": "b2"}))
        .await;
    expect(&v, 10006, "second BChatRoom");
    assert!(info(&v).contains("BChatRoom"), "{v}");
    assert!(!emu.group_exists("b2").await);
    expect(
        &emu.create_group(json!({"Type": "Public", "Name": "n"}))
            .await,
        0,
        "other types are free",
    );
    let d = emu
        .call(
            "group_open_http_svc/destroy_group",
            json!({"GroupId": "b1"}),
        )
        .await;
    expect(&d, 0, "destroy");
    expect(
        &emu.create_group(json!({"Type": "BChatRoom", "Name": "n", "GroupId": "b2"}))
            .await,
        0,
        "the destroyed BChatRoom freed its place",
    );
    let v = emu.create_group(b).await;
    expect(&v, 10006, "the cap holds again");
}

/// Issue 11 A: a client that stops sending mid-body gets 60002 once the body-read timeout
/// passes, and its connection is closed, instead of holding it open for ever.
#[tokio::test]
async fn a_body_that_stops_arriving_is_60002_after_the_body_timeout() {
    let mut s = tim_emulator::Settings::zero_config();
    s.body_timeout = std::time::Duration::from_millis(200);
    let emu = Emu::start_with(s).await;
    let started = std::time::Instant::now();
    let raw = emu
        .raw_http(
            format!(
                "POST {CREATE}?{GOOD_QUERY} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"Type\":"
            )
            .as_bytes(),
        )
        .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "answered, not held open"
    );
    assert_eq!(raw.status, 200, "{}", raw.body);
    let v = raw.json();
    assert_eq!(v["ErrorCode"], 60002, "{v}");
    assert!(common::info(&v).contains("200 ms"), "{v}");
    assert_eq!(emu.group_total().await, 0);
}
