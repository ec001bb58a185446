//! Black-box tests of the diagnoses in ErrorInfo (issue 13 part 2): each is a small realistic
//! failing request; the answer keeps the vendor code and says what most likely went wrong and
//! how to fix it.

use std::io::Write as _;

use crate::common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use common::{APP, Emu, code, info};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use tim_emulator::apps::{Apps, Limits};
use tim_emulator::{Clock, Settings, config_file, usersig};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const NOW: u64 = 1_700_000_000;
const CONFIG: &str = r#"
[[apps]]
sdkappid = 1400000000
key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
admins = ["administrator"]
"#;
const CHECK: &str = "im_open_login_svc/account_check";

/// An emulator whose one app verifies UserSigs with [`KEY`], frozen at `now`.
async fn configured_at(now: u64) -> Emu {
    let limits = Limits::from_profile(&tim_emulator::rules::DEFAULT);
    let apps = config_file::parse(CONFIG, limits, false).expect("test config parses");
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(apps, limits);
    s.clock = Clock::frozen_at(now * 1000);
    Emu::start_with(s).await
}

/// account_check as `administrator` with `sig`.
async fn check_with(emu: &Emu, sig: &str) -> Value {
    let query = format!("sdkappid={APP}&identifier=administrator&usersig={sig}&random=1");
    let body = json!({"CheckItem": [{"UserID": "bob"}]}).to_string();
    let raw = emu.post_raw(CHECK, &query, body).await;
    common::assert_envelope(&raw);
    raw.json()
}

/// zlib-compresses `json` and encodes it with the vendor's alphabet.
fn pack(json: &str) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(json.as_bytes()).expect("compress");
    let text = STANDARD.encode(z.finish().expect("compress"));
    text.replace('+', "*").replace('/', "-").replace('=', "_")
}

/// The zlib bytes inside a vendor-encoded usersig.
fn unpack(sig: &str) -> Vec<u8> {
    let standard = sig.replace('*', "+").replace('-', "/").replace('_', "=");
    STANDARD.decode(standard).expect("vendor base64")
}

/// A usersig whose bytes are re-encoded with RFC 4648 base64url, as a language's URL-safe
/// encoder does. The identifier is chosen so that the token holds '-' or '_'.
fn rfc4648_usersig(padded: bool) -> String {
    (0..100)
        .map(|i| {
            let sig = usersig::mint(APP, KEY, "administrator", NOW + i, 86_400, None);
            let bytes = unpack(&sig);
            if padded {
                URL_SAFE.encode(bytes)
            } else {
                URL_SAFE_NO_PAD.encode(bytes)
            }
        })
        .find(|t| t.contains(['-', '_']) && (!padded || t.ends_with('=')))
        .expect("some token uses the two symbols that differ")
}

#[tokio::test]
async fn a_usersig_in_rfc4648_base64url_is_70003_naming_it_and_the_vendor_mapping() {
    let emu = configured_at(NOW + 200).await;
    for padded in [true, false] {
        let v = check_with(&emu, &rfc4648_usersig(padded)).await;
        assert_eq!(code(&v), 70003, "{v}");
        let i = info(&v);
        assert!(i.contains("RFC 4648 base64url"), "{i}");
        assert!(i.contains("'+' to '*', '/' to '-', '=' to '_'"), "{i}");
    }
}

#[tokio::test]
async fn a_legacy_asymmetric_usersig_is_named_as_legacy() {
    let emu = configured_at(NOW).await;
    let legacy = r#"{"TLS.account_type":"0","TLS.identifier":"administrator","TLS.appid_at_3rd":"0","TLS.sdk_appid":"1400000000","TLS.expire_after":"15552000","TLS.version":"201610110000","TLS.time":"1700000000","TLS.sig":"MEQCIGH0g9Gc8tQx5xwOCmqdrjLuiKHjVHgDcvixybIiRMZxAiAYzC4dNo3fKVLuR-E3MG9hd3pRK1aEXGrkaSClY4V2bA__"}"#;
    let v = check_with(&emu, &pack(legacy)).await;
    assert_eq!(code(&v), 70003, "{v}");
    let i = info(&v);
    assert!(i.contains("legacy asymmetric (ECDSA)"), "{i}");
    assert!(i.contains("HMAC-SHA256 under its secret key"), "{i}");
}

#[tokio::test]
async fn an_hmac_over_literal_backslash_n_is_70009_naming_the_generator_bug() {
    let emu = configured_at(NOW).await;
    // What tls-sig-api-v2-php did before its 2020 fix: '\n' in single quotes.
    let signed = format!(
        "TLS.identifier:administrator\\nTLS.sdkappid:{APP}\\nTLS.time:{NOW}\\nTLS.expire:86400\\n"
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).expect("any key");
    mac.update(signed.as_bytes());
    let sig = STANDARD.encode(mac.finalize().into_bytes());
    let json = format!(
        r#"{{"TLS.ver":"2.0","TLS.identifier":"administrator","TLS.sdkappid":{APP},"TLS.expire":86400,"TLS.time":{NOW},"TLS.sig":"{sig}"}}"#
    );
    let v = check_with(&emu, &pack(&json)).await;
    assert_eq!(code(&v), 70009, "{v}");
    assert!(info(&v).contains("literal backslash-n"), "{v}");
    assert!(info(&v).contains("tls-sig-api-v2-php"), "{v}");
}

#[tokio::test]
async fn an_expired_usersig_says_how_long_ago_and_to_renew_it() {
    let emu = configured_at(NOW + 86_400 + 7_200).await;
    let sig = usersig::mint(APP, KEY, "administrator", NOW, 86_400, None);
    let v = check_with(&emu, &sig).await;
    assert_eq!(code(&v), 70001, "{v}");
    assert!(info(&v).contains("7200 s ago"), "{v}");
    assert!(info(&v).contains("renew it"), "{v}");
}

#[tokio::test]
async fn a_gbk_body_is_60003_with_the_byte_offset_and_utf8_required() {
    let emu = Emu::start().await;
    // {"Type":"Public","Name":"测试群"} with the name in GBK (测 B2E2, 试 CAD4, 群 C8BA).
    let mut body = br#"{"Type":"Public","Name":""#.to_vec();
    body.extend_from_slice(&[0xB2, 0xE2, 0xCA, 0xD4, 0xC8, 0xBA]);
    body.extend_from_slice(br#""}"#);
    let raw = emu
        .post_raw(
            "group_open_http_svc/create_group",
            &Emu::query(APP, "admin"),
            body,
        )
        .await;
    common::assert_envelope(&raw);
    let v = raw.json();
    assert_eq!(code(&v), 60003, "{v}");
    let i = info(&v);
    assert!(i.contains("not UTF-8: byte 25 (0xB2 0xE2)"), "{i}");
    assert!(
        i.contains("GBK") && i.contains("must be JSON encoded as UTF-8"),
        "{i}"
    );
}

#[tokio::test]
async fn a_latin1_body_is_60003_naming_latin1() {
    let emu = Emu::start().await;
    let body = b"{\"UserID\":\"jos\xE9\"}".to_vec();
    let raw = emu
        .post_raw(
            "im_open_login_svc/account_import",
            &Emu::query(APP, "admin"),
            body,
        )
        .await;
    let v = raw.json();
    assert_eq!(code(&v), 60003, "{v}");
    assert!(
        info(&v).contains("byte 14") && info(&v).contains("Latin-1"),
        "{v}"
    );
}

#[tokio::test]
async fn a_field_over_its_byte_limit_gives_bytes_and_characters() {
    let emu = Emu::start().await;
    // Eleven CJK characters fit a 30-character limit but are 33 bytes.
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "腾讯云即时通信测试群组一"}))
        .await;
    assert_eq!(code(&v), 10004, "{v}");
    let i = info(&v);
    assert!(i.contains("Name is 36 bytes (12 characters)"), "{i}");
    assert!(i.contains("counts UTF-8 bytes, not characters"), "{i}");
    let long_id = "用户".repeat(6); // 36 bytes, 12 characters
    let v = emu
        .call(
            "im_open_login_svc/account_import",
            json!({"UserID": long_id}),
        )
        .await;
    assert_eq!(code(&v), 70402, "{v}");
    assert!(info(&v).contains("36 bytes (12 characters)"), "{v}");
}

#[tokio::test]
async fn new_type_names_say_which_profile_has_them_and_the_old_names() {
    let emu = Emu::start().await;
    for (t, old) in [
        ("Work", "Private"),
        ("Meeting", "ChatRoom"),
        ("Community", ""),
    ] {
        let v = emu.create_group(json!({"Type": t, "Name": "team"})).await;
        assert_eq!(code(&v), 10004, "{v}");
        let i = info(&v);
        assert!(i.contains("--rules-profile current"), "{i}");
        assert!(i.contains("default rules profile in force"), "{i}");
        if !old.is_empty() {
            assert!(i.contains(&format!("{t} = {old}")), "{i}");
        }
    }
}

#[tokio::test]
async fn over_500_initial_members_says_today_refuses_over_100() {
    let emu = Emu::start().await;
    let members: Vec<Value> = (0..501)
        .map(|i| json!({"Member_Account": format!("user{i}")}))
        .collect();
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "big", "MemberList": members}))
        .await;
    assert_eq!(code(&v), 10005, "{v}");
    let i = info(&v);
    assert!(i.contains("rules profile in force: default"), "{i}");
    assert!(i.contains("takes at most 100 items"), "{i}");
}

#[tokio::test]
async fn a_50_byte_group_id_says_the_limits_of_both_profiles() {
    let emu = Emu::start().await;
    let id = "g".repeat(50);
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n", "GroupId": id}))
        .await;
    assert_eq!(code(&v), 10004, "{v}");
    let i = info(&v);
    assert!(i.contains("at most 49 bytes"), "{i}");
    assert!(i.contains("at most 48 bytes"), "{i}");
    let v = emu
        .call(
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": [id]}),
        )
        .await;
    let entry = &v["GroupInfo"][0];
    assert_eq!(entry["ErrorCode"], 10015, "{v}");
}

#[tokio::test]
async fn a_message_the_default_profile_refuses_but_today_accepts_says_so() {
    let emu = Emu::start().await;
    let g = emu
        .create_group(json!({"Type": "Public", "Name": "n", "GroupId": "big-msgs"}))
        .await;
    assert_eq!(code(&g), 0, "{g}");
    let text = "x".repeat(9_000);
    let v = emu
        .call(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "big-msgs", "Random": 1,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]}),
        )
        .await;
    assert_eq!(code(&v), 80002, "{v}");
    let i = info(&v);
    assert!(i.contains("9,000 bytes, 9,000 characters"), "{i}");
    assert!(
        i.contains("takes up to 12000 bytes, so this would pass there"),
        "{i}"
    );
}

#[tokio::test]
async fn custom_data_with_lower_case_key_and_value_names_the_spelling() {
    let emu = Emu::start().await;
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n",
            "AppDefinedData": [{"key": "GroupTestData1", "value": "x"}]}))
        .await;
    assert_eq!(code(&v), 10004, "{v}");
    let i = info(&v);
    assert!(i.contains("case-sensitive"), "{i}");
    assert!(i.contains("\"Key\", \"Value\""), "{i}");
}
