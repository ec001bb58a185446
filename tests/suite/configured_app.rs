//! Black-box tests of a configured app: UserSig verification, per-app admins, custom-field
//! permissions, sensitive words and per-app limits.

use crate::common;

use common::{APP, Emu, code};
use serde_json::{Value, json};
use tim_emulator::apps::{Apps, Limits};
use tim_emulator::{Clock, Settings, config_file, usersig};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const NOW: u64 = 1_700_000_000;

const CONFIG: &str = r#"
[[apps]]
sdkappid = 1400000000
key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
admins = ["administrator", "ops"]
sensitive_words = ["forbidden-word"]
group_custom_fields = [{ key = "GroupTestData1" }, { key = "Locked", writable = false }]
member_custom_fields = [{ key = "MemberDefined1" }, { key = "NoSelf", self_writable = false }]
[apps.limits]
bchatroom_max = 1
"#;

/// Signatures made by real third-party generators for `administrator` at 1700000000, 86400 s.
const REAL: [&str; 3] = [
    "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZBZlAqUsTAzgQuWZOaChAzN0RQXZ6aDLKn0cUzVLjcPD00NLS1MCrPM0A*JMLcoNTLMD3HP1M60jCowLDUOKMiLNDOwVaoFAD4PNPI_",
    "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgZQAJEpycxNVbIyNEcVTa0oyCxKVbKyMDOBCRVnpitZKVX6OKZql5uHh6aGlhYmhVlm6IdEmFuUGhnmh7hnamdaRhUYlhoHFORFmhnYKtUCAK0SM5I_",
    "eJxVjMsOgjAURP-lbjFIkVBo4sKVGxYmFl*7mla9MZTah48Y-12CuGB2c*Zk3sCrdXxXFhikcQKTvqNU2uMJeyxkgxqdt8K3dhCcvApjUAIjWTLkt6inQauAFXn2Rx6bDhA6Fh2eu-NXtVDRg25rVYfbcVNepnxHi5CSli8xwvJgSJitjN7nyRw*X7yIM5I_",
];

async fn start_at(now: u64) -> Emu {
    let limits = Limits::from_profile(&tim_emulator::rules::DEFAULT);
    let apps = config_file::parse(CONFIG, limits, false).expect("test config parses");
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(apps, limits);
    s.clock = Clock::frozen_at(now * 1000);
    s.id_seed = Some(1);
    Emu::start_with(s).await
}

fn query(sdkappid: u64, identifier: &str, sig: &str) -> String {
    format!("sdkappid={sdkappid}&identifier={identifier}&usersig={sig}&random=1&contenttype=json")
}

async fn call_signed(
    emu: &Emu,
    sdkappid: u64,
    identifier: &str,
    sig: &str,
    path: &str,
    body: Value,
) -> Value {
    let raw = emu
        .post_raw(path, &query(sdkappid, identifier, sig), body.to_string())
        .await;
    common::assert_envelope(&raw);
    raw.json()
}

/// A valid admin call on the configured app.
async fn admin(emu: &Emu, path: &str, body: Value) -> Value {
    let sig = usersig::mint(APP, KEY, "administrator", NOW, 86_400, None);
    call_signed(emu, APP, "administrator", &sig, path, body).await
}

const HEALTHY: &str = "im_open_login_svc/account_check";

fn check_body() -> Value {
    json!({"CheckItem": [{"UserID": "bob"}]})
}

#[tokio::test]
async fn signatures_from_real_generators_verify_and_then_expire() {
    let fresh = start_at(NOW).await;
    let late = start_at(NOW + 86_401).await;
    for sig in REAL {
        let v = call_signed(&fresh, APP, "administrator", sig, HEALTHY, check_body()).await;
        assert_eq!(code(&v), 0, "{v}");
        let v = call_signed(&late, APP, "administrator", sig, HEALTHY, check_body()).await;
        assert_eq!(code(&v), 70001, "{v}");
    }
}

#[tokio::test]
async fn each_usersig_fault_gets_its_own_code() {
    let emu = start_at(NOW).await;
    let good = usersig::mint(APP, KEY, "administrator", NOW, 86_400, None);
    let standard: String = good.replace('*', "+").replace('-', "/").replace('_', "=");
    let table: Vec<(String, &str, u64, i64)> = vec![
        (good.clone(), "administrator", APP, 0),
        (
            usersig::mint(APP, KEY, "administrator", NOW - 100, 50, None),
            "administrator",
            APP,
            70001,
        ),
        (
            usersig::mint(APP, "other-key", "administrator", NOW, 86_400, None),
            "administrator",
            APP,
            70009,
        ),
        (
            usersig::mint(APP, KEY, "ops", NOW, 86_400, None),
            "administrator",
            APP,
            70013,
        ),
        (
            usersig::mint(1_400_000_009, KEY, "administrator", NOW, 86_400, None),
            "administrator",
            APP,
            70014,
        ),
        ("not-a-usersig".to_string(), "administrator", APP, 70003),
        ("eJw_".to_string(), "administrator", APP, 70003),
        (String::new(), "administrator", APP, 70002),
        (good.clone(), "administrator", 1_400_000_009, 70020),
    ];
    for (sig, id, app, want) in table {
        let q = query(app, id, &urlencode(&sig));
        let raw = emu.post_raw(HEALTHY, &q, check_body().to_string()).await;
        common::assert_envelope(&raw);
        assert_eq!(
            code(&raw.json()),
            want,
            "{sig} as {id} on {app}: {}",
            raw.body
        );
    }
    if standard != good {
        let q = query(APP, "administrator", &urlencode(&standard));
        let v = emu
            .post_raw(HEALTHY, &q, check_body().to_string())
            .await
            .json();
        assert_eq!(code(&v), 70003);
        assert!(
            v["ErrorInfo"]
                .as_str()
                .unwrap_or("")
                .contains("plain standard base64"),
            "{v}"
        );
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_minted_admin_signature_creates_a_group() {
    let emu = start_at(NOW).await;
    let v = admin(
        &emu,
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "Name": "g"}),
    )
    .await;
    assert_eq!(code(&v), 0, "{v}");
}

#[tokio::test]
async fn only_the_apps_own_admins_may_call() {
    let emu = start_at(NOW).await;
    let sig = usersig::mint(APP, KEY, "admin", NOW, 86_400, None);
    let v = call_signed(
        &emu,
        APP,
        "admin",
        &sig,
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "Name": "g"}),
    )
    .await;
    assert_eq!(code(&v), 10007, "admin is not an admin of this app: {v}");
    let v = call_signed(&emu, APP, "admin", &sig, HEALTHY, check_body()).await;
    assert_eq!(code(&v), 70403, "{v}");
    let sig = usersig::mint(APP, KEY, "ops", NOW, 86_400, None);
    let v = call_signed(&emu, APP, "ops", &sig, HEALTHY, check_body()).await;
    assert_eq!(code(&v), 0, "ops is configured as an admin: {v}");
}

#[tokio::test]
async fn custom_fields_follow_the_apps_permissions() {
    let emu = start_at(NOW).await;
    for id in ["leckie", "bob"] {
        let v = admin(
            &emu,
            "im_open_login_svc/account_import",
            json!({"UserID": id}),
        )
        .await;
        assert_eq!(code(&v), 0);
    }
    let kv = |k: &str| json!([{"Key": k, "Value": "v"}]);
    let member = |who: &str, k: &str| {
        json!({"Owner_Account": "leckie", "Type": "Public", "Name": "g",
        "MemberList": [{"Member_Account": who, "AppMemberDefinedData": kv(k)}]})
    };
    let table = [
        (
            json!({"Type": "Public", "Name": "g", "AppDefinedData": kv("GroupTestData1")}),
            0,
        ),
        (
            json!({"Type": "Public", "Name": "g", "AppDefinedData": kv("Unknown")}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "g", "AppDefinedData": kv("Locked")}),
            10007,
        ),
        (member("bob", "MemberDefined1"), 0),
        (member("bob", "Unknown"), 10004),
        (member("bob", "NoSelf"), 0),
        (member("leckie", "NoSelf"), 10008),
        (member("leckie", "MemberDefined1"), 0),
    ];
    for (body, want) in table {
        let v = admin(&emu, "group_open_http_svc/create_group", body.clone()).await;
        assert_eq!(code(&v), want, "{body}: {v}");
    }
}

#[tokio::test]
async fn sensitive_words_are_refused_with_80001_in_each_text_field() {
    let emu = start_at(NOW).await;
    for field in ["Name", "Introduction", "Notification"] {
        let mut body = json!({"Type": "Public", "Name": "ok"});
        body[field] = json!("a FORBIDDEN-WORD here");
        let v = admin(&emu, "group_open_http_svc/create_group", body).await;
        assert_eq!(code(&v), 80001, "{field}: {v}");
        assert!(v["ErrorInfo"].as_str().unwrap_or("").contains(field), "{v}");
    }
    let v = admin(
        &emu,
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "Name": "fine"}),
    )
    .await;
    assert_eq!(code(&v), 0);
}

#[tokio::test]
async fn per_app_limits_override_the_defaults() {
    let emu = start_at(NOW).await;
    let b = json!({"Type": "BChatRoom", "Name": "b"});
    let v = admin(&emu, "group_open_http_svc/create_group", b.clone()).await;
    assert_eq!(code(&v), 0, "{v}");
    let v = admin(&emu, "group_open_http_svc/create_group", b).await;
    assert_eq!(code(&v), 10006, "bchatroom_max = 1 in this app: {v}");
}
