//! create_group over HTTP: every rule of SPEC §3.1 and §3.2 on both sides of its boundary (byte
//! lengths with CJK text), the order of checks of §3.3, the ID shape of §3.4, and that a
//! rejected request stores nothing.

use crate::common;

use std::collections::HashMap;

use common::{APP, Emu, code, info};
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{AppPolicy, Apps, Limits};

/// One row of a rule table: a body, the ErrorCode it must get and words its ErrorInfo must hold.
struct Case {
    what: String,
    body: Value,
    code: i64,
    says: Vec<&'static str>,
}

fn accept(what: impl Into<String>, body: Value) -> Case {
    Case {
        what: what.into(),
        body,
        code: 0,
        says: Vec::new(),
    }
}

fn reject(what: impl Into<String>, body: Value, code: i64, says: &[&'static str]) -> Case {
    Case {
        what: what.into(),
        body,
        code,
        says: says.to_vec(),
    }
}

/// The seed's basic request with `fields` merged over it (`null` removes a field, as on the wire).
fn with(fields: Value) -> Value {
    let mut body = json!({"Owner_Account": "leckie", "Type": "Public", "Name": "TestGroup"});
    for (k, v) in fields.as_object().expect("fields are an object") {
        body[k] = v.clone();
    }
    body
}

fn kv(key: &str, value: &str) -> Value {
    json!({"Key": key, "Value": value})
}

/// `n` copies of a 3-byte CJK character.
fn cjk(n: usize) -> String {
    "群".repeat(n)
}

const ACCOUNTS: [&str; 6] = ["leckie", "bob", "peter", "carol", "dave", "erin"];

async fn emu() -> Emu {
    let emu = Emu::start_unlimited().await;
    emu.import(&ACCOUNTS).await;
    emu
}

/// Runs each case on `emu`; a rejected case must leave the group count and its custom ID as they
/// were, an accepted one must be readable.
async fn run(emu: &Emu, cases: Vec<Case>) {
    for c in cases {
        let total = emu.group_total().await;
        let custom = c.body["GroupId"].as_str().filter(|s| !s.is_empty());
        let existed = match custom {
            Some(id) => emu.group_exists(id).await,
            None => false,
        };
        let v = emu.create_group(c.body.clone()).await;
        assert_eq!(code(&v), c.code, "{}: {} -> {v}", c.what, c.body);
        if c.code == 0 {
            let id = v["GroupId"].as_str().expect("GroupId");
            assert!(emu.group_exists(id).await, "{}: {id} stored", c.what);
            continue;
        }
        for word in &c.says {
            assert!(info(&v).contains(word), "{}: {word:?} in {v}", c.what);
        }
        assert_eq!(emu.group_total().await, total, "{}: nothing stored", c.what);
        if let Some(id) = custom {
            assert_eq!(
                emu.group_exists(id).await,
                existed,
                "{}: ID untouched",
                c.what
            );
        }
    }
}

#[tokio::test]
async fn name_is_required_and_at_most_30_bytes() {
    let emu = emu().await;
    run(
        &emu,
        vec![
            accept("10 CJK = 30 bytes", with(json!({"Name": cjk(10)}))),
            reject(
                "10 CJK + 1 = 31 bytes",
                with(json!({"Name": cjk(10) + "a"})),
                10004,
                &["Name", "31", "30"],
            ),
            accept("30 ASCII", with(json!({"Name": "a".repeat(30)}))),
            reject(
                "31 ASCII",
                with(json!({"Name": "a".repeat(31)})),
                10004,
                &["Name", "30"],
            ),
            accept("1 byte", with(json!({"Name": "a"}))),
            reject("empty", with(json!({"Name": ""})), 10004, &["Name"]),
            reject("null", with(json!({"Name": null})), 10004, &["Name"]),
            reject(
                "number",
                with(json!({"Name": 5})),
                10004,
                &["Name", "string"],
            ),
            reject("array", with(json!({"Name": ["a"]})), 10004, &["Name"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn type_is_required_case_sensitive_and_one_of_five() {
    let emu = emu().await;
    let mut cases: Vec<Case> = ["Private", "Public", "ChatRoom", "AVChatRoom", "BChatRoom"]
        .into_iter()
        .map(|t| accept(t, with(json!({"Type": t}))))
        .collect();
    cases.extend([
        reject(
            "lower case",
            with(json!({"Type": "public"})),
            10004,
            &["Type", "Public"],
        ),
        reject(
            "unknown",
            with(json!({"Type": "Community"})),
            10004,
            &["Type"],
        ),
        reject("empty", with(json!({"Type": ""})), 10004, &["Type"]),
        reject("null", with(json!({"Type": null})), 10004, &["Type"]),
        reject(
            "number",
            with(json!({"Type": 2})),
            10004,
            &["Type", "string"],
        ),
    ]);
    run(&emu, cases).await;
}

#[tokio::test]
async fn introduction_notification_and_face_url_are_limited_in_bytes() {
    let emu = emu().await;
    run(
        &emu,
        vec![
            accept("Introduction 240", with(json!({"Introduction": cjk(80)}))),
            reject(
                "Introduction 241",
                with(json!({"Introduction": cjk(80) + "a"})),
                10004,
                &["Introduction", "241", "240"],
            ),
            accept("Introduction empty", with(json!({"Introduction": ""}))),
            reject(
                "Introduction number",
                with(json!({"Introduction": 1})),
                10004,
                &["Introduction"],
            ),
            accept("Notification 300", with(json!({"Notification": cjk(100)}))),
            reject(
                "Notification 301",
                with(json!({"Notification": cjk(100) + "a"})),
                10004,
                &["Notification", "301", "300"],
            ),
            reject(
                "Notification object",
                with(json!({"Notification": {}})),
                10004,
                &["Notification"],
            ),
            accept("FaceUrl 100 CJK", with(json!({"FaceUrl": cjk(33) + "a"}))),
            reject(
                "FaceUrl 101 CJK",
                with(json!({"FaceUrl": cjk(33) + "ab"})),
                10004,
                &["FaceUrl", "101", "100"],
            ),
            accept(
                "FaceUrl 100 ASCII",
                with(json!({"FaceUrl": format!("http://{}", "f".repeat(93))})),
            ),
            reject(
                "FaceUrl 101 ASCII",
                with(json!({"FaceUrl": format!("http://{}", "f".repeat(94))})),
                10004,
                &["FaceUrl", "100"],
            ),
            reject(
                "FaceUrl bool",
                with(json!({"FaceUrl": true})),
                10004,
                &["FaceUrl"],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn custom_group_id_is_at_most_49_bytes_printable_and_not_prefixed() {
    let emu = emu().await;
    run(
        &emu,
        vec![
            accept("49 ASCII", with(json!({"GroupId": "g".repeat(49)}))),
            reject(
                "50 ASCII",
                with(json!({"GroupId": "h".repeat(50)})),
                10004,
                &["GroupId", "50", "49"],
            ),
            accept("16 CJK + 1 = 49", with(json!({"GroupId": cjk(16) + "a"}))),
            reject(
                "16 CJK + 2 = 50",
                with(json!({"GroupId": cjk(16) + "ab"})),
                10004,
                &["GroupId", "49"],
            ),
            reject(
                "SOH",
                with(json!({"GroupId": "a\u{1}b"})),
                10004,
                &["GroupId", "control"],
            ),
            reject(
                "newline",
                with(json!({"GroupId": "a\nb"})),
                10004,
                &["GroupId"],
            ),
            reject("tab", with(json!({"GroupId": "a\tb"})), 10004, &["GroupId"]),
            reject(
                "DEL",
                with(json!({"GroupId": "a\u{7f}"})),
                10004,
                &["GroupId"],
            ),
            reject(
                "NUL",
                with(json!({"GroupId": "\u{0}"})),
                10004,
                &["GroupId"],
            ),
            reject(
                "prefix",
                with(json!({"GroupId": "@TGS#abc"})),
                10004,
                &["@TGS#"],
            ),
            reject(
                "prefix alone",
                with(json!({"GroupId": "@TGS#"})),
                10004,
                &["@TGS#"],
            ),
            accept("prefix minus #", with(json!({"GroupId": "@TGS"}))),
            accept("prefix inside", with(json!({"GroupId": "x@TGS#"}))),
            accept("space is printable", with(json!({"GroupId": "my group"}))),
            accept("empty means assigned", with(json!({"GroupId": ""}))),
            reject(
                "number",
                with(json!({"GroupId": 12})),
                10004,
                &["GroupId", "string"],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn max_member_count_is_1_to_the_type_cap() {
    let emu = emu().await;
    let mut cases = Vec::new();
    for (ty, cap) in [("Private", 200), ("Public", 2000), ("ChatRoom", 10000)] {
        let b = |n: Value| with(json!({"Type": ty, "MaxMemberCount": n}));
        cases.push(reject(
            format!("{ty} 0"),
            b(json!(0)),
            10004,
            &["MaxMemberCount"],
        ));
        cases.push(accept(format!("{ty} 1"), b(json!(1))));
        cases.push(accept(format!("{ty} cap"), b(json!(cap))));
        let over = reject(
            format!("{ty} cap+1"),
            b(json!(cap + 1)),
            10004,
            &["MaxMemberCount", ty],
        );
        cases.push(over);
    }
    for ty in ["AVChatRoom", "BChatRoom"] {
        let b = |n: Value| with(json!({"Type": ty, "MaxMemberCount": n}));
        cases.push(reject(
            format!("{ty} 0"),
            b(json!(0)),
            10004,
            &["MaxMemberCount"],
        ));
        cases.push(accept(format!("{ty} 1"), b(json!(1))));
        cases.push(accept(format!("{ty} unlimited"), b(json!(1_000_000))));
    }
    let b = |n: Value| with(json!({"MaxMemberCount": n}));
    cases.extend([
        reject("negative", b(json!(-1)), 10004, &["MaxMemberCount"]),
        reject(
            "float",
            b(json!(10.5)),
            10004,
            &["MaxMemberCount", "integer"],
        ),
        reject(
            "string",
            b(json!("10")),
            10004,
            &["MaxMemberCount", "integer"],
        ),
        reject("huge", b(json!(u64::MAX)), 10004, &["MaxMemberCount"]),
        accept("null is the default", b(Value::Null)),
    ]);
    run(&emu, cases).await;
}

#[tokio::test]
async fn apply_join_option_takes_exactly_three_spellings() {
    let emu = emu().await;
    let b = |v: Value| with(json!({"ApplyJoinOption": v}));
    run(
        &emu,
        vec![
            accept("FreeAccess", b(json!("FreeAccess"))),
            accept("NeedPermission", b(json!("NeedPermission"))),
            accept("DisableApply", b(json!("DisableApply"))),
            reject(
                "lower case",
                b(json!("freeaccess")),
                10004,
                &["ApplyJoinOption"],
            ),
            reject("empty", b(json!("")), 10004, &["ApplyJoinOption"]),
            reject("number", b(json!(1)), 10004, &["ApplyJoinOption"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn app_defined_data_keys_are_16_bytes_and_values_512() {
    let emu = emu().await;
    let b = |items: Value| with(json!({"AppDefinedData": items}));
    let key16 = cjk(5) + "k";
    let val512 = cjk(170) + "ab";
    run(
        &emu,
        vec![
            accept("key 16 bytes", b(json!([kv(&key16, "v")]))),
            reject(
                "key 17 bytes",
                b(json!([kv(&(key16.clone() + "k"), "v")])),
                10004,
                &["AppDefinedData", "Key", "17", "16"],
            ),
            accept("value 512 bytes", b(json!([kv("k", &val512)]))),
            reject(
                "value 513 bytes",
                b(json!([kv("k", &(val512.clone() + "a"))])),
                10004,
                &["AppDefinedData", "Value", "513", "512"],
            ),
            accept("binary value", b(json!([kv("k", "abc\u{0}\u{1}")]))),
            accept("empty value", b(json!([kv("k", "")]))),
            reject(
                "repeated key",
                b(json!([kv("a", "1"), kv("a", "2")])),
                10004,
                &["AppDefinedData", "repeats"],
            ),
            reject("empty key", b(json!([kv("", "v")])), 10004, &["Key"]),
            reject(
                "not an array",
                b(json!({"Key": "a"})),
                10004,
                &["AppDefinedData"],
            ),
            reject(
                "item not object",
                b(json!(["a"])),
                10004,
                &["AppDefinedData"],
            ),
            reject("no Value", b(json!([{"Key": "a"}])), 10004, &["Value"]),
            reject(
                "number Value",
                b(json!([{"Key": "a", "Value": 1}])),
                10004,
                &["Value"],
            ),
            accept("empty list", b(json!([]))),
        ],
    )
    .await;
}

#[tokio::test]
async fn member_custom_values_are_at_most_64_bytes() {
    let emu = emu().await;
    let member = |items: Value| {
        with(json!({"MemberList": [{"Member_Account": "bob", "AppMemberDefinedData": items}]}))
    };
    let top = |items: Value| with(json!({"AppMemberDefinedData": items}));
    let val64 = cjk(21) + "a";
    run(
        &emu,
        vec![
            accept("member value 64", member(json!([kv("k", &val64)]))),
            reject(
                "member value 65",
                member(json!([kv("k", &(val64.clone() + "a"))])),
                10004,
                &["AppMemberDefinedData", "65", "64"],
            ),
            reject(
                "member key 17",
                member(json!([kv(&"k".repeat(17), "v")])),
                10004,
                &["Key", "16"],
            ),
            reject(
                "member key repeated",
                member(json!([kv("k", "1"), kv("k", "2")])),
                10004,
                &["repeats"],
            ),
            reject(
                "member empty key",
                member(json!([kv("", "v")])),
                10004,
                &["Key"],
            ),
            reject(
                "member data not array",
                member(json!("x")),
                10004,
                &["AppMemberDefinedData"],
            ),
            accept("top-level value 64", top(json!([kv("k", &val64)]))),
            reject(
                "top-level value 65",
                top(json!([kv("k", &(val64.clone() + "a"))])),
                10004,
                &["AppMemberDefinedData", "64"],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn member_list_items_and_roles_follow_the_seed_rules() {
    let emu = emu().await;
    let list = |ty: &str, items: Value| with(json!({"Type": ty, "MemberList": items}));
    run(
        &emu,
        vec![
            reject(
                "string",
                list("Public", json!("bob")),
                10004,
                &["MemberList", "array"],
            ),
            reject(
                "object",
                list("Public", json!({})),
                10004,
                &["MemberList", "array"],
            ),
            reject("number", list("Public", json!(3)), 10004, &["MemberList"]),
            accept("null", list("Public", Value::Null)),
            accept("empty", list("Public", json!([]))),
            reject(
                "item is a string",
                list("Public", json!(["bob"])),
                10004,
                &["MemberList[0]"],
            ),
            reject(
                "no Member_Account",
                list("Public", json!([{"Role": "Admin"}])),
                10004,
                &["Member_Account"],
            ),
            reject(
                "empty Member_Account",
                list("Public", json!([{"Member_Account": ""}])),
                10004,
                &["Member_Account"],
            ),
            accept(
                "Admin in Public",
                list(
                    "Public",
                    json!([{"Member_Account": "bob", "Role": "Admin"}]),
                ),
            ),
            accept(
                "Admin in ChatRoom",
                list(
                    "ChatRoom",
                    json!([{"Member_Account": "bob", "Role": "Admin"}]),
                ),
            ),
            accept(
                "null Role",
                list("Public", json!([{"Member_Account": "bob", "Role": null}])),
            ),
            accept(
                "other item fields ignored",
                list(
                    "Public",
                    json!([{"Member_Account": "bob", "Nick": 5, "x": []}]),
                ),
            ),
            reject(
                "rule 14: Role Member",
                list(
                    "Public",
                    json!([{"Member_Account": "bob", "Role": "Member"}]),
                ),
                10004,
                &["Role", "Admin"],
            ),
            reject(
                "rule 14: Role admin",
                list(
                    "Public",
                    json!([{"Member_Account": "bob", "Role": "admin"}]),
                ),
                10004,
                &["Role"],
            ),
            reject(
                "rule 14: Role Owner",
                list(
                    "Public",
                    json!([{"Member_Account": "bob", "Role": "Owner"}]),
                ),
                10004,
                &["Role"],
            ),
            reject(
                "rule 15: Admin in Private",
                list(
                    "Private",
                    json!([{"Member_Account": "bob", "Role": "Admin"}]),
                ),
                10004,
                &["Private", "admins"],
            ),
            reject(
                "rule 16: owner as Admin",
                list(
                    "Public",
                    json!([{"Member_Account": "leckie", "Role": "Admin"}]),
                ),
                10004,
                &["owner"],
            ),
            accept(
                "owner listed without Role",
                list("Private", json!([{"Member_Account": "leckie"}])),
            ),
            reject(
                "AVChatRoom with members",
                list("AVChatRoom", json!([{"Member_Account": "bob"}])),
                10007,
                &["AVChatRoom", "MemberList"],
            ),
            reject(
                "BChatRoom with members",
                list("BChatRoom", json!([{"Member_Account": "bob"}])),
                10007,
                &["BChatRoom"],
            ),
            accept(
                "AVChatRoom with an empty list",
                list("AVChatRoom", json!([])),
            ),
            accept("BChatRoom with an empty list", list("BChatRoom", json!([]))),
        ],
    )
    .await;
}

#[tokio::test]
async fn member_count_includes_the_owner_and_counts_repeats_once() {
    let emu = emu().await;
    let m = |ids: &[&str]| -> Value { ids.iter().map(|i| json!({"Member_Account": i})).collect() };
    let b = |owner: Value, ids: &[&str]| json!({"Owner_Account": owner, "Type": "Private", "Name": "n", "MaxMemberCount": 3, "MemberList": m(ids)});
    run(
        &emu,
        vec![
            accept("owner + 2 of 3", b(json!("leckie"), &["bob", "peter"])),
            reject(
                "owner + 3 of 3",
                b(json!("leckie"), &["bob", "peter", "carol"]),
                10004,
                &["4", "MaxMemberCount", "3"],
            ),
            accept(
                "no owner, 3 of 3",
                b(Value::Null, &["bob", "peter", "carol"]),
            ),
            accept(
                "repeats count once",
                b(json!("leckie"), &["bob", "bob", "peter", "peter"]),
            ),
            accept(
                "owner listed counts once",
                b(json!("leckie"), &["leckie", "bob", "peter"]),
            ),
        ],
    )
    .await;
    let v = emu
        .create_group(b(json!("leckie"), &["bob", "leckie", "bob", "peter"]))
        .await;
    let info = emu.group_info(v["GroupId"].as_str().expect("id")).await;
    let members: Vec<(&str, &str)> = info["MemberList"]
        .as_array()
        .expect("MemberList")
        .iter()
        .map(|m| {
            (
                m["Member_Account"].as_str().unwrap_or(""),
                m["Role"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        members,
        [("leckie", "Owner"), ("bob", "Member"), ("peter", "Member")]
    );
    assert_eq!(info["MemberNum"], 3);
}

#[tokio::test]
async fn owner_and_members_must_be_imported() {
    let emu = emu().await;
    run(
        &emu,
        vec![
            reject(
                "owner not imported",
                with(json!({"Owner_Account": "ghost"})),
                10004,
                &["Owner_Account", "ghost", "account_import"],
            ),
            reject(
                "member not imported",
                with(
                    json!({"MemberList": [{"Member_Account": "leckie"}, {"Member_Account": "ghost"}]}),
                ),
                10004,
                &["MemberList's Member_Account \"ghost\"", "account_import"],
            ),
            accept("an admin as owner", with(json!({"Owner_Account": "admin"}))),
            accept("empty owner means none", with(json!({"Owner_Account": ""}))),
        ],
    )
    .await;
    let v = emu.create_group(with(json!({"Owner_Account": ""}))).await;
    let info = emu.group_info(v["GroupId"].as_str().expect("id")).await;
    assert_eq!(info["MemberNum"], 0, "{info}");
}

#[tokio::test]
async fn a_deleted_account_can_no_longer_own_a_group() {
    let emu = emu().await;
    let v = emu
        .call(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "leckie"}]}),
        )
        .await;
    assert_eq!(v["ResultItem"][0]["ResultCode"], 0, "{v}");
    assert_eq!(code(&emu.create_group(with(json!({}))).await), 10004);
}

#[tokio::test]
async fn member_list_takes_500_items_and_501_is_10005() {
    let emu = emu().await;
    let ids: Vec<String> = (0..501).map(|i| format!("user{i}")).collect();
    emu.import_many(&ids).await;
    let list = |n: usize| -> Value {
        ids[..n]
            .iter()
            .map(|i| json!({"Member_Account": i}))
            .collect()
    };
    let v = emu
        .create_group(with(json!({"MemberList": list(500)})))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let info = emu.group_info(v["GroupId"].as_str().expect("id")).await;
    assert_eq!(info["MemberNum"], 501, "owner and 500 members");
    run(
        &emu,
        vec![reject(
            "501 items",
            with(json!({"MemberList": list(501)})),
            10005,
            &["501", "500"],
        )],
    )
    .await;
}

#[tokio::test]
async fn a_custom_id_in_use_is_10021_until_the_group_is_destroyed() {
    let emu = emu().await;
    let body = with(json!({"GroupId": "MyFirstGroup"}));
    let v = emu.create_group(body.clone()).await;
    assert_eq!(
        v["GroupId"], "MyFirstGroup",
        "custom IDs come back verbatim"
    );
    let again = emu
        .create_group(with(
            json!({"GroupId": "MyFirstGroup", "Type": "Private", "Name": "other"}),
        ))
        .await;
    assert_eq!(code(&again), 10021, "{again}");
    assert!(info(&again).contains("MyFirstGroup"));
    assert_eq!(emu.group_info("MyFirstGroup").await["Name"], "TestGroup");
    let other_case = emu
        .create_group(with(json!({"GroupId": "myfirstgroup"})))
        .await;
    assert_eq!(code(&other_case), 0, "IDs are case-sensitive: {other_case}");
    let d = emu
        .call(
            "group_open_http_svc/destroy_group",
            json!({"GroupId": "MyFirstGroup"}),
        )
        .await;
    assert_eq!(code(&d), 0, "{d}");
    let reborn = emu.create_group(body).await;
    assert_eq!(reborn["GroupId"], "MyFirstGroup", "{reborn}");
}

#[tokio::test]
async fn custom_ids_are_per_app() {
    let emu = emu().await;
    let body = with(json!({"GroupId": "shared", "Owner_Account": null}));
    let a = emu
        .call_as(
            APP,
            "admin",
            "group_open_http_svc/create_group",
            body.clone(),
        )
        .await;
    let b = emu
        .call_as(APP + 1, "admin", "group_open_http_svc/create_group", body)
        .await;
    assert_eq!((code(&a), code(&b)), (0, 0), "{a} {b}");
}

/// Pairs of faults: the first one named must win (SPEC §3.3).
#[tokio::test]
async fn the_earlier_check_wins_when_two_fields_are_bad() {
    let emu = emu().await;
    let avchat_members: Vec<Value> = (0..501)
        .map(|i| json!({"Member_Account": format!("u{i}")}))
        .collect();
    let ghosts_501: Vec<Value> = (0..501)
        .map(|i| json!({"Member_Account": format!("g{i}")}))
        .collect();
    run(
        &emu,
        vec![
            reject(
                "type error before a length",
                with(json!({"Name": "a".repeat(31), "MaxMemberCount": "5"})),
                10004,
                &["MaxMemberCount", "integer"],
            ),
            reject(
                "type error of a later field first",
                with(json!({"Type": "Nope", "ApplyJoinOption": 1})),
                10004,
                &["ApplyJoinOption"],
            ),
            reject(
                "Name before Type",
                json!({"Type": "Nope", "Name": "a".repeat(31)}),
                10004,
                &["Name", "31"],
            ),
            reject(
                "missing Name before missing Type",
                json!({}),
                10004,
                &["Name"],
            ),
            reject(
                "Type before Introduction",
                with(json!({"Type": "Nope", "Introduction": cjk(81)})),
                10004,
                &["Type"],
            ),
            reject(
                "Introduction before Notification",
                with(json!({"Introduction": cjk(81), "Notification": cjk(101)})),
                10004,
                &["Introduction"],
            ),
            reject(
                "Notification before FaceUrl",
                with(json!({"Notification": cjk(101), "FaceUrl": cjk(34)})),
                10004,
                &["Notification"],
            ),
            reject(
                "FaceUrl before GroupId",
                with(json!({"FaceUrl": cjk(34), "GroupId": "@TGS#x"})),
                10004,
                &["FaceUrl"],
            ),
            reject(
                "GroupId before MaxMemberCount",
                with(json!({"GroupId": "@TGS#x", "MaxMemberCount": 0})),
                10004,
                &["GroupId"],
            ),
            reject(
                "MaxMemberCount before ApplyJoinOption",
                with(json!({"MaxMemberCount": 0, "ApplyJoinOption": "x"})),
                10004,
                &["MaxMemberCount"],
            ),
            reject(
                "ApplyJoinOption before AppDefinedData",
                with(json!({"ApplyJoinOption": "x", "AppDefinedData": [kv("", "v")]})),
                10004,
                &["ApplyJoinOption"],
            ),
            reject(
                "AppDefinedData before MemberList not an array",
                with(json!({"AppDefinedData": [kv("", "v")], "MemberList": "bob"})),
                10004,
                &["AppDefinedData"],
            ),
            reject(
                "MemberList not an array before the AVChatRoom rule",
                with(json!({"Type": "AVChatRoom", "MemberList": "bob"})),
                10004,
                &["MemberList"],
            ),
            reject(
                "AVChatRoom rule before 10005",
                with(json!({"Type": "AVChatRoom", "MemberList": avchat_members})),
                10007,
                &["AVChatRoom"],
            ),
            reject(
                "10005 before member items and imports",
                with(json!({"MemberList": ghosts_501})),
                10005,
                &["500"],
            ),
            reject(
                "a bad item before the member count",
                with(json!({"Type": "Private", "MaxMemberCount": 1, "MemberList": [
                    {"Member_Account": "bob"}, {"Member_Account": "peter", "Role": "Admin"}]})),
                10004,
                &["Role"],
            ),
            reject(
                "stateless member rules before imports",
                with(json!({"Owner_Account": "ghost", "MemberList": [{"Member_Account": "bob", "Role": "Boss"}]})),
                10004,
                &["Role"],
            ),
            reject(
                "the member count before imports",
                with(json!({"Owner_Account": "ghost", "MaxMemberCount": 1, "MemberList": [{"Member_Account": "bob"}]})),
                10004,
                &["MaxMemberCount"],
            ),
            reject(
                "owner import before member import",
                with(json!({"Owner_Account": "ghost", "MemberList": [{"Member_Account": "ghost2"}]})),
                10004,
                &["Owner_Account", "\"ghost\""],
            ),
        ],
    )
    .await;
    let taken = emu.create_group(with(json!({"GroupId": "taken"}))).await;
    assert_eq!(code(&taken), 0);
    let v = emu
        .create_group(with(json!({"GroupId": "taken", "Owner_Account": "ghost"})))
        .await;
    assert_eq!(code(&v), 10004, "imports before the free ID: {v}");
}

#[tokio::test]
async fn the_admin_check_comes_before_field_checks() {
    let emu = emu().await;
    for caller in ["leckie", "ghost", "Admin", "administrator "] {
        let v = emu
            .call_as(
                APP,
                caller,
                "group_open_http_svc/create_group",
                json!({"Name": 5}),
            )
            .await;
        assert_eq!(code(&v), 10007, "{caller}: {v}");
        assert!(info(&v).contains("admin"), "{v}");
    }
    let v = emu
        .call_as(
            APP,
            "administrator",
            "group_open_http_svc/create_group",
            with(json!({})),
        )
        .await;
    assert_eq!(code(&v), 0, "administrator is an admin too: {v}");
    assert_eq!(emu.group_total().await, 1);
}

#[tokio::test]
async fn assigned_ids_have_the_vendor_shape_for_each_type() {
    let emu = emu().await;
    for (ty, c) in [
        ("Private", '1'),
        ("Public", '2'),
        ("ChatRoom", '3'),
        ("AVChatRoom", 'a'),
        ("BChatRoom", 'b'),
    ] {
        for _ in 0..3 {
            let v = emu.create_group(with(json!({"Type": ty}))).await;
            let id = v["GroupId"].as_str().expect("GroupId");
            let tail = id
                .strip_prefix("@TGS#")
                .unwrap_or_else(|| panic!("{id} lacks @TGS#"));
            let mut chars = tail.chars();
            assert_eq!(chars.next(), Some(c), "{ty}: {id}");
            let rest: String = chars.collect();
            assert_eq!(rest.len(), 8, "{id}");
            assert!(
                rest.bytes()
                    .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
                "{id} is not base32"
            );
        }
    }
}

async fn first_ids(seed: u64) -> Vec<String> {
    let mut s = Settings::zero_config();
    s.id_seed = Some(seed);
    let emu = Emu::start_with(s).await;
    let mut ids = Vec::new();
    for ty in ["Public", "Private", "AVChatRoom", "Public"] {
        let v = emu.create_group(json!({"Type": ty, "Name": "n"})).await;
        ids.push(v["GroupId"].as_str().expect("GroupId").to_string());
    }
    ids
}

#[tokio::test]
async fn the_same_id_seed_gives_the_same_ids() {
    let a = first_ids(42).await;
    assert_eq!(a, first_ids(42).await);
    assert_ne!(a, first_ids(43).await);
    let distinct: std::collections::HashSet<&String> = a.iter().collect();
    assert_eq!(distinct.len(), a.len(), "{a:?}");
}

#[tokio::test]
async fn null_optional_fields_are_absent_and_unknown_fields_are_ignored() {
    let emu = emu().await;
    let v = emu
        .create_group(json!({
            "Owner_Account": null, "Type": "Public", "Name": "n", "GroupId": null,
            "Introduction": null, "Notification": null, "FaceUrl": null,
            "MaxMemberCount": null, "ApplyJoinOption": null, "AppDefinedData": null,
            "MemberList": null, "AppMemberDefinedData": null,
            "Unknown": {"deep": [1, 2]}, "InviteJoinOption": "FreeAccess", "type": 5
        }))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let g = emu.group_info(v["GroupId"].as_str().expect("id")).await;
    assert_eq!(g["Owner_Account"], "");
    assert_eq!(g["MaxMemberNum"], 2000, "the type's default");
    assert_eq!(g["ApplyJoinOption"], "NeedPermission", "the default");
    assert_eq!(g["Introduction"], "");
    assert_eq!(g["AppDefinedData"], json!([]));
    assert_eq!(g["MemberNum"], 0);
}

#[tokio::test]
async fn each_type_gets_its_default_max_member_count() {
    let emu = emu().await;
    for (ty, max) in [
        ("Private", 200),
        ("Public", 2000),
        ("ChatRoom", 10000),
        ("AVChatRoom", 0),
        ("BChatRoom", 0),
    ] {
        let v = emu.create_group(json!({"Type": ty, "Name": "n"})).await;
        let g = emu.group_info(v["GroupId"].as_str().expect("id")).await;
        assert_eq!(g["MaxMemberNum"], max, "{ty}: {g}");
        assert_eq!(g["Type"], ty);
    }
}

fn policy_with_words(words: &[&str], limits: Limits) -> Settings {
    let mut p = AppPolicy::zero_config(limits);
    p.sensitive_words = words.iter().map(|w| w.to_string()).collect();
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::configured(HashMap::from([(APP, p)]), limits);
    s
}

#[tokio::test]
async fn sensitive_words_in_name_introduction_or_notification_are_80001() {
    let emu = Emu::start_with(policy_with_words(&["badword"], Limits::UNLIMITED)).await;
    emu.import(&["leckie"]).await;
    run(
        &emu,
        vec![
            reject(
                "Name",
                with(json!({"Name": "a BadWord"})),
                80001,
                &["Name", "badword"],
            ),
            reject(
                "Introduction",
                with(json!({"Introduction": "xbadwordx", "GroupId": "g1"})),
                80001,
                &["Introduction"],
            ),
            reject(
                "Notification",
                with(json!({"Notification": "badword"})),
                80001,
                &["Notification"],
            ),
            accept(
                "FaceUrl is not checked",
                with(json!({"FaceUrl": "badword"})),
            ),
            accept("clean text", with(json!({"Name": "good"}))),
            reject(
                "a field rule before the word",
                with(json!({"Name": "badword", "Introduction": cjk(81)})),
                10004,
                &["Introduction"],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn quota_comes_before_sensitive_words_and_a_rejection_does_not_use_quota() {
    let limits = Limits {
        daily_group_creations: 1,
        ..Limits::UNLIMITED
    };
    let emu = Emu::start_with(policy_with_words(&["badword"], limits)).await;
    emu.import(&["leckie"]).await;
    let v = emu.create_group(with(json!({"Name": "badword"}))).await;
    assert_eq!(code(&v), 80001, "{v}");
    let v = emu.create_group(with(json!({"GroupId": "one"}))).await;
    assert_eq!(
        code(&v),
        0,
        "the 80001 did not use the day's only creation: {v}"
    );
    let v = emu.create_group(with(json!({"GroupId": "one"}))).await;
    assert_eq!(code(&v), 10021, "a free ID is checked before quota: {v}");
    let v = emu.create_group(with(json!({"Name": "badword"}))).await;
    assert_eq!(code(&v), 10006, "quota before sensitive words: {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_32_concurrent_creates_of_one_id_exactly_one_wins() {
    let emu = std::sync::Arc::new(emu().await);
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let emu = emu.clone();
            tokio::spawn(async move {
                let name = format!("racer{i}");
                let v = emu
                    .create_group(with(json!({"GroupId": "race", "Name": name})))
                    .await;
                (code(&v), v["GroupId"].clone())
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        let (c, id) = t.await.expect("task finishes");
        if c == 0 {
            assert_eq!(id, "race");
        }
        codes.push(c);
    }
    codes.sort_unstable();
    let mut want = vec![10021; 31];
    want.insert(0, 0);
    assert_eq!(codes, want);
    assert_eq!(emu.group_total().await, 1, "the group exists once");
    assert!(
        emu.group_info("race").await["Name"]
            .as_str()
            .expect("Name")
            .starts_with("racer")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_assigned_ids_are_all_distinct_and_all_listed() {
    let emu = std::sync::Arc::new(emu().await);
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let emu = emu.clone();
            let ty = ["Private", "Public", "ChatRoom", "AVChatRoom"][i % 4];
            tokio::spawn(async move {
                let v = emu.create_group(with(json!({"Type": ty}))).await;
                assert_eq!(code(&v), 0, "{v}");
                v["GroupId"].as_str().expect("GroupId").to_string()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("task finishes"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 64);
    let v = emu
        .call("group_open_http_svc/get_appid_group_list", json!({}))
        .await;
    assert_eq!(v["TotalCount"], 64);
    let mut listed: Vec<String> = v["GroupIdList"]
        .as_array()
        .expect("GroupIdList")
        .iter()
        .map(|g| g["GroupId"].as_str().expect("GroupId").to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, ids);
}

/// Spec §25: the groups-per-user quota (off by default) applies to create_group too: 10037 when
/// the owner or a member already belongs to that many groups, on both sides of the limit.
#[tokio::test]
async fn the_groups_per_user_quota_applies_to_owner_and_members() {
    let limits = Limits {
        groups_per_user: 2,
        ..Limits::UNLIMITED
    };
    let emu = Emu::start_with_limits(limits).await;
    emu.import(&["leckie", "bob"]).await;
    let owned = json!({"Owner_Account": "leckie", "Type": "Public", "Name": "g"});
    assert_eq!(code(&emu.create_group(owned.clone()).await), 0);
    assert_eq!(
        code(&emu.create_group(owned.clone()).await),
        0,
        "the 2nd group"
    );
    let v = emu.create_group(owned).await;
    assert_eq!(code(&v), 10037, "a 3rd group: {v}");
    assert!(common::info(&v).contains("leckie"), "{v}");
    let member = json!({"Type": "Public", "Name": "g", "MemberList": [{"Member_Account": "bob"}]});
    assert_eq!(code(&emu.create_group(member.clone()).await), 0);
    assert_eq!(code(&emu.create_group(member.clone()).await), 0);
    assert_eq!(code(&emu.create_group(member).await), 10037);
    assert_eq!(emu.group_total().await, 4, "refusals stored nothing");
    let off = Emu::start_unlimited().await;
    off.import(&["leckie"]).await;
    for _ in 0..3 {
        let v = off
            .create_group(json!({"Owner_Account": "leckie", "Type": "Public", "Name": "g"}))
            .await;
        assert_eq!(code(&v), 0, "off by default: {v}");
    }
}
