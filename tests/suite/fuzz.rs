//! Property test of the whole request path: random methods, paths, query strings and bodies
//! (raw bytes, arbitrary JSON, and create_group/account bodies with random field types and
//! sizes) sent over HTTP to the real app.
//!
//! For every request: the answer is the vendor envelope (HTTP 200, `ActionStatus`, `ErrorInfo`,
//! `ErrorCode` first and in order), never a panic or a 500; and a rejected request changes no
//! state (the app's group list and the status of every account the generator can name are the
//! same before and after).
//!
//! The default suite runs 200 cases; the long run is
//! `cargo test --release --test fuzz -- --ignored` (5,000 cases; `PROPTEST_CASES` overrides).

use crate::common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::{APP, Emu, Raw, assert_envelope, code};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{Apps, Limits};

/// Accounts the generator names, so their status can be compared before and after.
const ACCOUNTS: [&str; 5] = ["u1", "u2", "u3", "owner", "admin"];

/// The served commands, one unknown group command and one unserved service.
fn commands() -> Vec<String> {
    let mut all = common::served();
    all.extend([
        "group_open_http_svc/no_such_command".into(),
        "openim/sendmsg".into(),
    ]);
    all
}

const FIELDS: [&str; 20] = [
    "Owner_Account",
    "Type",
    "GroupId",
    "Name",
    "Introduction",
    "Notification",
    "FaceUrl",
    "MaxMemberCount",
    "ApplyJoinOption",
    "AppDefinedData",
    "MemberList",
    "AppMemberDefinedData",
    "GroupIdList",
    "ResponseFilter",
    "Limit",
    "Next",
    "UserID",
    "Accounts",
    "CheckItem",
    "DeleteItem",
];

/// One generated request.
#[derive(Debug, Clone)]
struct Req {
    method: &'static str,
    path: String,
    query: String,
    body: Vec<u8>,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "", "u1", "u2", "owner", "admin", "Public", "Private", "ChatRoom", "AVChatRoom",
            "BChatRoom", "FreeAccess", "Admin", "g1", "@TGS#2AAAAAAAA", "名字",
        ]).prop_map(str::to_string),
        2 => "\\PC{0,40}",
        1 => (0usize..700).prop_map(|n| "x".repeat(n)),
        1 => "[\\x00-\\x1f]{1,3}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0i64..3000).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS.to_vec()).prop_map(str::to_string),
        2 => prop::sample::select(vec!["Key", "Value", "Member_Account", "Role", "UserID"])
            .prop_map(str::to_string),
        1 => "[A-Za-z_]{0,12}",
    ]
}

/// A body object over the vendor field names, each value of a random JSON type and size.
fn vendor_object() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), json_value()), 0..8)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

/// A create_group body that is often valid, with one field perturbed.
fn near_valid_create() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "Public",
            "Private",
            "ChatRoom",
            "AVChatRoom",
            "BChatRoom",
        ]),
        prop_oneof![3 => Just("a group".to_string()), 1 => text()],
        prop::option::of(prop::sample::select(vec!["g1", "g2", "g3"])),
        prop::option::of(prop::sample::select(ACCOUNTS.to_vec())),
        prop::collection::vec(prop::sample::select(ACCOUNTS.to_vec()), 0..4),
        prop::option::weighted(0.3, (key(), json_value())),
    )
        .prop_map(|(ty, name, gid, owner, members, extra)| {
            let mut o = json!({"Type": ty, "Name": name});
            if let Some(g) = gid {
                o["GroupId"] = g.into();
            }
            if let Some(a) = owner {
                o["Owner_Account"] = a.into();
            }
            let list: Vec<Value> = members
                .iter()
                .map(|m| json!({"Member_Account": m}))
                .collect();
            o["MemberList"] = list.into();
            if let Some((k, v)) = extra {
                o[k] = v;
            }
            o
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        3 => vendor_object().prop_map(|v| v.to_string().into_bytes()),
        3 => near_valid_create().prop_map(|v| v.to_string().into_bytes()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let valid = format!("sdkappid={APP}&identifier=admin&usersig=sig&random=1&contenttype=json");
    let param = (
        prop::sample::select(vec!["sdkappid", "identifier", "usersig", "random", "x", ""]),
        "[A-Za-z0-9%+=._-]{0,12}",
    )
        .prop_map(|(k, v)| format!("{k}={v}"));
    prop_oneof![
        4 => Just(valid.clone()),
        2 => prop::collection::vec(param, 0..5).prop_map(|ps| ps.join("&")),
        1 => prop::sample::select(ACCOUNTS.to_vec())
            .prop_map(move |who| format!("sdkappid={APP}&identifier={who}&usersig=s")),
        1 => "[A-Za-z0-9%&=+]{0,30}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(commands()),
        1 => "[a-z_%0-9]{0,12}(/[a-z_%0-9]{0,12}){0,3}",
    ]
}

fn random_request() -> impl Strategy<Value = Req> {
    (
        prop_oneof![8 => Just("POST"), 1 => Just("GET"), 1 => Just("PUT")],
        path(),
        query(),
        body(),
    )
        .prop_map(|(method, path, query, body)| Req {
            method,
            path: format!("/v4/{path}"),
            query,
            body,
        })
}

/// A command with a body of its own shape, often valid, so that successes (and the state they
/// change) are common enough for the rejected requests around them to be checked against.
fn coherent_request() -> impl Strategy<Value = Req> {
    let account = || prop::sample::select(ACCOUNTS.to_vec());
    let gid = prop::sample::select(vec!["g1", "g2", "g3", "@TGS#2AAAAAAAA"]);
    let pair = prop_oneof![
        3 => near_valid_create().prop_map(|b| ("group_open_http_svc/create_group", b)),
        1 => gid.clone().prop_map(|g| ("group_open_http_svc/destroy_group", json!({"GroupId": g}))),
        1 => gid.prop_map(|g| ("group_open_http_svc/get_group_info", json!({"GroupIdList": [g]}))),
        1 => account().prop_map(|a| ("im_open_login_svc/account_import", json!({"UserID": a}))),
        1 => account().prop_map(|a| ("im_open_login_svc/account_delete", json!({"DeleteItem": [{"UserID": a}]}))),
        1 => (key(), json_value()).prop_map(|(k, v)| ("group_open_http_svc/get_appid_group_list", json!({k: v}))),
    ];
    pair.prop_map(|(path, body)| Req {
        method: "POST",
        path: format!("/v4/{path}"),
        query: format!("sdkappid={APP}&identifier=admin&usersig=sig"),
        body: body.to_string().into_bytes(),
    })
}

fn request() -> impl Strategy<Value = Req> {
    prop_oneof![random_request(), coherent_request()]
}

/// The app's observable state: its group IDs and the status of every nameable account.
async fn snapshot(emu: &Emu) -> (Value, Value) {
    let list = emu
        .call("group_open_http_svc/get_appid_group_list", json!({}))
        .await;
    assert_eq!(code(&list), 0, "{list}");
    let items: Vec<Value> = ACCOUNTS.iter().map(|a| json!({"UserID": a})).collect();
    let check = emu
        .call(
            "im_open_login_svc/account_check",
            json!({"CheckItem": items}),
        )
        .await;
    assert_eq!(code(&check), 0, "{check}");
    (
        json!([list["TotalCount"], list["GroupIdList"]]),
        check["ResultItem"].clone(),
    )
}

async fn send(emu: &Emu, r: &Req) -> Raw {
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).expect("a method");
    emu.request(method, &format!("{}?{}", r.path, r.query), r.body.clone())
        .await
}

fn run_cases(cases: u32) {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let emu = rt.block_on(async {
        let mut s = Settings::zero_config();
        s.apps = Apps::zero_config(Limits::UNLIMITED);
        s.id_seed = Some(3);
        let emu = Emu::start_with(s).await;
        emu.import(&["u1", "owner"]).await;
        emu
    });
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let (oks, fails) = (AtomicU32::new(0), AtomicU32::new(0));
    proptest!(config, |(r in request())| {
        rt.block_on(async {
            let before = snapshot(&emu).await;
            let raw = send(&emu, &r).await;
            assert_envelope(&raw);
            if code(&raw.json()) == 0 {
                oks.fetch_add(1, Ordering::Relaxed);
            } else {
                fails.fetch_add(1, Ordering::Relaxed);
                let after = snapshot(&emu).await;
                assert_eq!(before, after, "a rejected request changed state: {r:?} -> {}", raw.body);
            }
        });
    });
    // The generator must reach both outcomes, or the state check proves nothing.
    let (oks, fails) = (oks.into_inner(), fails.into_inner());
    eprintln!("fuzz: {oks} OK, {fails} FAIL");
    assert!(
        oks * 20 >= cases && fails * 4 >= cases,
        "{oks} OK, {fails} FAIL"
    );
}

#[test]
fn random_requests_always_get_the_envelope_and_rejections_change_nothing() {
    run_cases(200);
}

#[test]
#[ignore = "long: cargo test --release --test fuzz -- --ignored"]
fn many_random_requests_always_get_the_envelope_and_rejections_change_nothing() {
    run_cases(5_000);
}
