//! Malformed input of every kind answers in the vendor envelope (HTTP 200, JSON, the right code),
//! never a 500, a panic or a framework's plain-text rejection.

use crate::common;

use common::{APP, Emu, assert_envelope, code};
use serde_json::{Value, json};

const CREATE: &str = "group_open_http_svc/create_group";

/// `(what, body bytes, ErrorCode)`.
fn bodies() -> Vec<(&'static str, Vec<u8>, i64)> {
    let ok = |s: &str| s.as_bytes().to_vec();
    let mut invalid_utf8 = br#"{"Type":"Public","Name":""#.to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    invalid_utf8.extend_from_slice(br#""}"#);
    let mut utf8_in_unknown = br#"{"Type":"Public","Name":"n","X":""#.to_vec();
    utf8_in_unknown.extend_from_slice(&[0xed, 0xa0, 0x80]);
    utf8_in_unknown.extend_from_slice(br#""}"#);
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(br#"{"Type":"Public","Name":"n"}"#);
    let deep_arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_objects = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let deep_open = "[".repeat(10_000);
    let deep_field = format!(
        r#"{{"Type":"Public","Name":"n","Extra":{}{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    let long_digits = format!(
        r#"{{"Type":"Public","Name":"n","MaxMemberCount":{}}}"#,
        "9".repeat(100_000)
    );
    let long_key = format!(
        r#"{{"Type":"Public","Name":"n","{}":1}}"#,
        "k".repeat(100_000)
    );
    vec![
        ("10000 nested arrays", deep_arrays.into_bytes(), 60003),
        ("10000 nested objects", deep_objects.into_bytes(), 60003),
        ("10000 unclosed arrays", deep_open.into_bytes(), 60003),
        (
            "100 levels inside an unknown field",
            deep_field.into_bytes(),
            0,
        ),
        (
            "number beyond f64",
            ok(r#"{"Type":"Public","Name":"n","MaxMemberCount":1e999}"#),
            60003,
        ),
        (
            "integer beyond u64",
            ok(r#"{"Type":"Public","Name":"n","MaxMemberCount":123456789012345678901234567890}"#),
            10004,
        ),
        (
            "100000 digits (beyond f64)",
            long_digits.into_bytes(),
            60003,
        ),
        (
            "negative zero",
            ok(r#"{"Type":"Public","Name":"n","MaxMemberCount":-0}"#),
            10004,
        ),
        (
            "exponent integer",
            ok(r#"{"Type":"Public","Name":"n","MaxMemberCount":1e2}"#),
            10004,
        ),
        ("invalid UTF-8 in Name", invalid_utf8, 60003),
        (
            "surrogate bytes in an unknown field",
            utf8_in_unknown,
            60003,
        ),
        (
            "lone leading surrogate",
            ok(r#"{"Type":"Public","Name":"\ud800"}"#),
            60003,
        ),
        (
            "lone trailing surrogate",
            ok(r#"{"Type":"Public","Name":"\udc00x"}"#),
            60003,
        ),
        (
            "surrogate pair",
            ok(r#"{"Type":"Public","Name":"\ud83d\ude00"}"#),
            0,
        ),
        ("escaped NUL", ok(r#"{"Type":"Public","Name":"\u0000"}"#), 0),
        (
            "raw newline in a string",
            ok("{\"Type\":\"Public\",\"Name\":\"a\nb\"}"),
            60003,
        ),
        (
            "NaN",
            ok(r#"{"Type":"Public","Name":"n","MaxMemberCount":NaN}"#),
            60003,
        ),
        (
            "Infinity",
            ok(r#"{"Type":"Public","Name":"n","MaxMemberCount":Infinity}"#),
            60003,
        ),
        (
            "-Infinity",
            ok(r#"{"Type":"Public","Name":"n","MaxMemberCount":-Infinity}"#),
            60003,
        ),
        (
            "trailing garbage",
            ok(r#"{"Type":"Public","Name":"n"} x"#),
            60003,
        ),
        (
            "two objects",
            ok(r#"{"Type":"Public","Name":"n"}{}"#),
            60003,
        ),
        (
            "trailing comma",
            ok(r#"{"Type":"Public","Name":"n",}"#),
            60003,
        ),
        (
            "trailing whitespace",
            ok("{\"Type\":\"Public\",\"Name\":\"n\"} \r\n\t"),
            0,
        ),
        (
            "leading whitespace",
            ok("\n\n {\"Type\":\"Public\",\"Name\":\"n\"}"),
            0,
        ),
        ("byte order mark", bom, 60003),
        (
            "comment",
            ok("// c\n{\"Type\":\"Public\",\"Name\":\"n\"}"),
            60003,
        ),
        ("single quotes", ok("{'Type':'Public','Name':'n'}"), 60003),
        ("unquoted keys", ok("{Type:\"Public\",Name:\"n\"}"), 60003),
        ("NUL byte", ok("\0"), 60003),
        ("truncated", ok(r#"{"Type":"Pub"#), 60003),
        (
            "truncated escape",
            ok(r#"{"Type":"Public","Name":"\u12"}"#),
            60003,
        ),
        ("a 100 KB unknown key", long_key.into_bytes(), 0),
        (
            "a JavaScript expression",
            ok(r#"{"Type":"Public","Name":"a".repeat(31)}"#),
            60003,
        ),
        (
            "duplicate keys: the last wins",
            ok(r#"{"Type":"Public","Name":"","Name":"n"}"#),
            0,
        ),
        ("true", ok("true"), 60003),
        ("a form body", ok("Type=Public&Name=n"), 60003),
    ]
}

#[tokio::test]
async fn malformed_bodies_answer_in_the_vendor_envelope() {
    let emu = Emu::start_unlimited().await;
    let query = Emu::query(APP, "admin");
    let mut stored = 0;
    for (what, body, want) in bodies() {
        let raw = emu.post_raw(CREATE, &query, body).await;
        assert_envelope(&raw);
        let v = raw.json();
        assert_eq!(code(&v), want, "{what}: {v}");
        stored += u64::from(want == 0);
    }
    let big = br#"{"Type":"Public","Name":"n","MaxMemberCount":123456789012345678901234567890}"#;
    let v = emu.post_raw(CREATE, &query, big.to_vec()).await.json();
    let info = v["ErrorInfo"].as_str().unwrap_or("");
    assert!(
        info.contains("MaxMemberCount") && info.contains("range"),
        "{v}"
    );
    assert_eq!(
        emu.group_total().await,
        stored,
        "only the accepted bodies stored a group"
    );
}

#[tokio::test]
async fn malformed_bodies_get_the_envelope_on_every_command() {
    let emu = Emu::start_unlimited().await;
    let query = Emu::query(APP, "admin");
    // create_group (the first served command) has its own table above.
    for path in &common::served()[1..] {
        for (what, body, want) in bodies() {
            if want != 60003 {
                continue;
            }
            let raw = emu.post_raw(path, &query, body).await;
            assert_envelope(&raw);
            assert_eq!(code(&raw.json()), 60003, "{path} {what}");
        }
    }
}

/// Every field of every command with the wrong JSON type: 10004 for groups, 70402 for accounts.
#[tokio::test]
async fn wrong_json_types_are_10004_for_groups_and_70402_for_accounts() {
    let emu = Emu::start_unlimited().await;
    let rows = [
        (
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n", "Introduction": 1}),
            10004,
        ),
        (
            "group_open_http_svc/create_group",
            json!({"Type": ["Public"], "Name": "n"}),
            10004,
        ),
        (
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n", "AppDefinedData": "k=v"}),
            10004,
        ),
        (
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n", "AppMemberDefinedData": {}}),
            10004,
        ),
        (
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n", "MaxMemberCount": true}),
            10004,
        ),
        (
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": {"0": "g"}}),
            10004,
        ),
        (
            "group_open_http_svc/get_group_member_info",
            json!({"GroupId": "g", "Limit": 1.5}),
            10004,
        ),
        (
            "group_open_http_svc/destroy_group",
            json!({"GroupId": true}),
            10004,
        ),
        (
            "group_open_http_svc/get_appid_group_list",
            json!({"Next": "0"}),
            10004,
        ),
        (
            "im_open_login_svc/account_import",
            json!({"UserID": "u", "Nick": {}}),
            70402,
        ),
        (
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": {"a": 1}}),
            70402,
        ),
        (
            "im_open_login_svc/account_check",
            json!({"CheckItem": [[]]}),
            70402,
        ),
        (
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": 5}),
            70402,
        ),
        ("group_open_http_svc/create_group", json!({}), 10004),
        ("group_open_http_svc/get_group_info", json!({}), 10004),
        ("im_open_login_svc/account_import", json!({}), 70402),
        ("im_open_login_svc/account_check", json!({}), 70402),
    ];
    for (path, body, want) in rows {
        let v = emu.call(path, body.clone()).await;
        assert_eq!(code(&v), want, "{path} {body}: {v}");
    }
}

#[tokio::test]
async fn odd_query_strings_still_answer_in_the_envelope() {
    let emu = Emu::start_unlimited().await;
    let body = r#"{"Type":"Public","Name":"n"}"#;
    let rows = [
        ("sdkappid=%ZZ&identifier=admin&usersig=s", 60006),
        ("sdkappid=1400000000&identifier=%FF&usersig=s", 10007),
        ("sdkappid=1400000000&identifier=admin&usersig=%", 0),
        ("sdkappid=1400000000&&&identifier=admin&=&usersig=s", 0),
        ("sdkappid=1400000000;identifier=admin", 60006),
        (
            "sdkappid=99999999999999999999999999&identifier=admin&usersig=s",
            60006,
        ),
        ("sdkappid=1.5&identifier=admin&usersig=s", 60006),
        ("sdkappid= 1&identifier=admin&usersig=s", 60006),
    ];
    for (q, want) in rows {
        let raw = emu.post_raw(CREATE, q, body).await;
        assert_envelope(&raw);
        assert_eq!(code(&raw.json()), want, "{q}");
    }
}

#[tokio::test]
async fn the_server_keeps_serving_after_bad_input() {
    let emu = Emu::start_unlimited().await;
    let query = Emu::query(APP, "admin");
    for (_, body, _) in bodies() {
        let _ = emu.post_raw(CREATE, &query, body).await;
    }
    let health = emu
        .request(reqwest::Method::GET, "/_emulator/health", Vec::new())
        .await;
    assert_eq!(health.status, 200);
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "after"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
}

/// Issue 9: a field of the wrong type names its path and what was expected, with the service's
/// code; account fields keep SPEC §1's 60015.
#[tokio::test]
async fn type_errors_name_the_field_path_and_the_expected_type() {
    let emu = Emu::start_unlimited().await;
    emu.import(&["a", "b", "c", "d"]).await;
    let members = |fourth: Value| {
        json!({"Type": "Public", "Name": "g", "MemberList": [
            {"Member_Account": "a"}, {"Member_Account": "b"}, {"Member_Account": "c"}, fourth]})
    };
    let table: Vec<(&str, Value, i64, &str)> = vec![
        (
            "group_open_http_svc/create_group",
            members(json!({"Member_Account": "d", "Role": 5})),
            10004,
            "MemberList[3].Role must be a string, not a number",
        ),
        (
            "group_open_http_svc/create_group",
            members(json!(7)),
            10004,
            "MemberList[3] must be an object, not a number",
        ),
        (
            "group_open_http_svc/create_group",
            members(json!({"Member_Account": 5})),
            60015,
            "MemberList[3].Member_Account",
        ),
        (
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "g", "AppDefinedData": [{"Key": "k", "Value": 1}]}),
            10004,
            "AppDefinedData[0].Value must be a string, not a number",
        ),
        (
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": ["x"], "ResponseFilter": {"GroupBaseInfoFilter": "Name"}}),
            10004,
            "ResponseFilter.GroupBaseInfoFilter must be an array, not a string",
        ),
        (
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "a"}, 3]}),
            70402,
            "CheckItem[1] must be an object, not a number",
        ),
        (
            "im_open_login_svc/account_import",
            json!({"UserID": "a", "Nick": ["n"]}),
            70402,
            "Nick must be a string, not an array",
        ),
    ];
    for (path, body, want, says) in table {
        let v = emu.call(path, body.clone()).await;
        assert_eq!(code(&v), want, "{path} {body}: {v}");
        assert!(common::info(&v).contains(says), "{path} {body}: {v}");
    }
}

/// Issue 9: a required field sent in another case gets a hint with the right spelling.
#[tokio::test]
async fn a_required_field_in_the_wrong_case_gets_a_case_sensitivity_hint() {
    let emu = Emu::start_unlimited().await;
    let table: Vec<(&str, Value, i64, &str)> = vec![
        (
            "group_open_http_svc/create_group",
            json!({"name": "g", "Type": "Public"}),
            10004,
            "\"name\"",
        ),
        (
            "group_open_http_svc/get_group_member_info",
            json!({"groupId": "g"}),
            10004,
            "\"groupId\"",
        ),
        (
            "im_open_login_svc/account_import",
            json!({"userid": "a"}),
            70402,
            "\"userid\"",
        ),
        (
            "im_open_login_svc/account_check",
            json!({"checkitem": [{"UserID": "a"}]}),
            70402,
            "\"checkitem\"",
        ),
    ];
    for (path, body, want, twin) in table {
        let v = emu.call(path, body.clone()).await;
        assert_eq!(code(&v), want, "{path} {body}: {v}");
        let text = common::info(&v);
        assert!(
            text.contains("case-sensitive") && text.contains(twin),
            "{path}: {v}"
        );
    }
    let v = emu
        .call(
            "group_open_http_svc/create_group",
            json!({"Type": "Public"}),
        )
        .await;
    assert!(
        !common::info(&v).contains("case-sensitive"),
        "no twin, no hint: {v}"
    );
}
