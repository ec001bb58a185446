//! Group reads and lifecycle over HTTP (SPEC §5): get_group_info returns exactly what
//! create_group accepted, per-group 10010, ResponseFilter; get_group_member_info paging;
//! destroy_group; get_appid_group_list paging and type filter.

use crate::common;

use common::{Emu, code, info};
use serde_json::{Value, json};

const INFO: &str = "group_open_http_svc/get_group_info";
const MEMBERS: &str = "group_open_http_svc/get_group_member_info";
const DESTROY: &str = "group_open_http_svc/destroy_group";
const LIST: &str = "group_open_http_svc/get_appid_group_list";

async fn emu() -> Emu {
    let emu = Emu::start_unlimited().await;
    emu.import(&["群主", "bob", "peter", "carol"]).await;
    emu
}

/// A group that uses every field create_group accepts, with CJK text and binary values.
fn full_request() -> Value {
    json!({
        "Owner_Account": "群主",
        "Type": "Public",
        "GroupId": "全字段Group",
        "Name": "测试群组名称",
        "Introduction": "简介: intro \u{0}?",
        "Notification": "公告\nline two",
        "FaceUrl": "http://example.invalid/头像.png",
        "MaxMemberCount": 500,
        "ApplyJoinOption": "FreeAccess",
        "AppDefinedData": [
            {"Key": "GroupTestData1", "Value": "xxxxx"},
            {"Key": " GroupTestData2", "Value": "abc\u{0000}\u{0001}"},
            {"Key": "键", "Value": "值\u{7f}\u{ffff}😀"}
        ],
        "MemberList": [
            {"Member_Account": "群主", "AppMemberDefinedData": [{"Key": "Self", "Value": "mine"}]},
            {"Member_Account": "bob", "Role": "Admin", "AppMemberDefinedData": [
                {"Key": "MemberDefined1", "Value": "MemberData1"},
                {"Key": "MemberDefined2", "Value": "abc\u{0000}\u{0001}"}
            ]},
            {"Member_Account": "peter"}
        ]
    })
}

async fn create(emu: &Emu, body: Value) -> String {
    let v = emu.create_group(body).await;
    assert_eq!(code(&v), 0, "{v}");
    v["GroupId"].as_str().expect("GroupId").to_string()
}

#[tokio::test]
async fn get_group_info_returns_every_field_create_group_accepted() {
    let emu = emu().await;
    let req = full_request();
    let id = create(&emu, req.clone()).await;
    assert_eq!(id, "全字段Group");
    let g = emu.group_info(&id).await;
    assert_eq!(g["ErrorCode"], 0, "{g}");
    assert_eq!(g["GroupId"], req["GroupId"]);
    for field in [
        "Type",
        "Name",
        "Introduction",
        "Notification",
        "FaceUrl",
        "ApplyJoinOption",
        "Owner_Account",
        "AppDefinedData",
    ] {
        assert_eq!(g[field], req[field], "{field}");
    }
    assert_eq!(g["MaxMemberNum"], req["MaxMemberCount"]);
    assert_eq!(g["MemberNum"], 3);
    let t = g["CreateTime"].as_u64().expect("CreateTime");
    assert!(t > 1_600_000_000, "unix seconds: {t}");
    let members = g["MemberList"].as_array().expect("MemberList");
    let want = [
        ("群主", "Owner", json!([{"Key": "Self", "Value": "mine"}])),
        (
            "bob",
            "Admin",
            req["MemberList"][1]["AppMemberDefinedData"].clone(),
        ),
        ("peter", "Member", json!([])),
    ];
    assert_eq!(members.len(), want.len());
    for (m, (account, role, data)) in members.iter().zip(want) {
        assert_eq!(m["Member_Account"], account);
        assert_eq!(m["Role"], role);
        assert_eq!(m["AppMemberDefinedData"], data, "{account}");
        assert_eq!(m["JoinTime"].as_u64(), Some(t), "members join at creation");
    }
}

#[tokio::test]
async fn binary_values_survive_the_wire_byte_for_byte() {
    let emu = emu().await;
    let id = create(&emu, full_request()).await;
    let raw = emu
        .post_raw(
            INFO,
            &Emu::query(common::APP, "admin"),
            json!({"GroupIdList": [id]}).to_string(),
        )
        .await;
    let v = raw.json();
    let value = v["GroupInfo"][0]["AppDefinedData"][1]["Value"]
        .as_str()
        .expect("Value");
    assert_eq!(value.as_bytes(), b"abc\x00\x01");
}

#[tokio::test]
async fn missing_groups_get_10010_per_entry_while_the_answer_is_ok() {
    let emu = emu().await;
    let a = create(&emu, json!({"Type": "Private", "Name": "a"})).await;
    let v = emu
        .call(INFO, json!({"GroupIdList": ["nope", a, "@TGS#2AAAAAAAA"]}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let entries = v["GroupInfo"].as_array().expect("GroupInfo");
    let got: Vec<(&str, i64)> = entries
        .iter()
        .map(|e| {
            (
                e["GroupId"].as_str().expect("id"),
                e["ErrorCode"].as_i64().expect("code"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("nope", 10010), (a.as_str(), 0), ("@TGS#2AAAAAAAA", 10010)]
    );
    assert!(
        entries[0]["ErrorInfo"]
            .as_str()
            .is_some_and(|s| s.contains("nope"))
    );
    assert!(
        entries[0].get("Name").is_none(),
        "a missing group has no fields: {}",
        entries[0]
    );
    assert_eq!(entries[1]["ErrorInfo"], "");
}

#[tokio::test]
async fn group_id_list_takes_1_to_50_ids() {
    let emu = emu().await;
    let ids = |n: usize| -> Vec<String> { (0..n).map(|i| format!("g{i}")).collect() };
    let rows = [
        (json!({"GroupIdList": ids(1)}), 0),
        (json!({"GroupIdList": ids(50)}), 0),
        (json!({"GroupIdList": ids(51)}), 10004),
        (json!({"GroupIdList": []}), 10004),
        (json!({}), 10004),
        (json!({"GroupIdList": "g1"}), 10004),
        (json!({"GroupIdList": [1]}), 10004),
        (json!({"GroupIdList": ["g1"], "ResponseFilter": []}), 10004),
        (
            json!({"GroupIdList": ["g1"], "ResponseFilter": {"GroupBaseInfoFilter": "Name"}}),
            10004,
        ),
    ];
    for (body, want) in rows {
        let v = emu.call(INFO, body.clone()).await;
        assert_eq!(code(&v), want, "{body}: {v}");
    }
    let v = emu.call(INFO, json!({"GroupIdList": ids(51)})).await;
    assert!(info(&v).contains("51") && info(&v).contains("50"), "{v}");
    let v = emu.call(INFO, json!({"GroupIdList": ids(50)})).await;
    assert_eq!(v["GroupInfo"].as_array().map(Vec::len), Some(50));
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn response_filter_narrows_the_answer() {
    let emu = emu().await;
    let id = create(&emu, full_request()).await;
    let ask = |filter: Value| {
        let id = id.clone();
        let emu = &emu;
        async move {
            let v = emu
                .call(INFO, json!({"GroupIdList": [id], "ResponseFilter": filter}))
                .await;
            assert_eq!(code(&v), 0, "{v}");
            v["GroupInfo"][0].clone()
        }
    };
    let g = ask(json!({"GroupBaseInfoFilter": ["Name", "MemberNum"]})).await;
    assert_eq!(
        keys(&g),
        ["ErrorCode", "ErrorInfo", "GroupId", "MemberNum", "Name"]
    );
    assert_eq!(g["Name"], "测试群组名称");

    let g = ask(json!({})).await;
    assert!(
        g.get("Type").is_some()
            && g.get("MemberList").is_none()
            && g.get("AppDefinedData").is_none(),
        "{g}"
    );

    let g = ask(json!({"GroupBaseInfoFilter": [], "MemberInfoFilter": ["Role"]})).await;
    assert_eq!(
        keys(&g),
        ["ErrorCode", "ErrorInfo", "GroupId", "MemberList"]
    );
    assert_eq!(keys(&g["MemberList"][1]), ["Member_Account", "Role"]);
    assert_eq!(g["MemberList"][1]["Role"], "Admin");

    let g = ask(json!({"GroupBaseInfoFilter": [], "AppDefinedDataFilter_Group": ["键", "absent"]}))
        .await;
    assert_eq!(
        g["AppDefinedData"],
        json!([{"Key": "键", "Value": "值\u{7f}\u{ffff}😀"}])
    );

    let g = ask(
        json!({"GroupBaseInfoFilter": [], "AppDefinedDataFilter_GroupMember": ["MemberDefined2"]}),
    )
    .await;
    let bob = &g["MemberList"][1];
    assert_eq!(keys(bob), ["AppMemberDefinedData", "Member_Account"]);
    assert_eq!(
        bob["AppMemberDefinedData"],
        json!([{"Key": "MemberDefined2", "Value": "abc\u{0}\u{1}"}])
    );

    let all = emu.group_info(&id).await;
    assert!(
        all.get("MemberList").is_some() && all.get("AppDefinedData").is_some(),
        "no filter: everything"
    );
}

#[tokio::test]
async fn get_group_member_info_pages_with_limit_and_offset() {
    let emu = emu().await;
    let id = create(&emu, full_request()).await;
    let page = |extra: Value| {
        let mut body = json!({"GroupId": id});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        let emu = &emu;
        async move { emu.call(MEMBERS, body).await }
    };
    let accounts = |v: &Value| -> Vec<String> {
        v["MemberList"]
            .as_array()
            .expect("MemberList")
            .iter()
            .map(|m| m["Member_Account"].as_str().expect("account").to_string())
            .collect()
    };
    let rows: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["群主", "bob", "peter"]),
        (json!({"Limit": 2}), vec!["群主", "bob"]),
        (json!({"Limit": 2, "Offset": 2}), vec!["peter"]),
        (json!({"Limit": 1, "Offset": 1}), vec!["bob"]),
        (json!({"Offset": 3}), vec![]),
        (json!({"Limit": 0}), vec!["群主", "bob", "peter"]),
        (
            json!({"Limit": null, "Offset": null}),
            vec!["群主", "bob", "peter"],
        ),
        (
            json!({"MemberRoleFilter": ["Admin", "Owner"]}),
            vec!["群主", "bob"],
        ),
    ];
    for (extra, want) in rows {
        let v = page(extra.clone()).await;
        assert_eq!(code(&v), 0, "{extra}: {v}");
        assert_eq!(v["MemberNum"], 3, "MemberNum counts every member: {extra}");
        assert_eq!(accounts(&v), want, "{extra}");
    }
    let v = page(json!({"Limit": 1, "Offset": 1})).await;
    assert_eq!(v["MemberList"][0]["Role"], "Admin");
    assert_eq!(
        v["MemberList"][0]["AppMemberDefinedData"][1]["Value"],
        "abc\u{0}\u{1}"
    );
    for bad in [
        json!({"Limit": -1}),
        json!({"Offset": -1}),
        json!({"Limit": "2"}),
        json!({"MemberRoleFilter": ["Boss"]}),
    ] {
        assert_eq!(code(&page(bad.clone()).await), 10004, "{bad}");
    }
    let v = emu.call(MEMBERS, json!({"GroupId": "nope"})).await;
    assert_eq!(code(&v), 10010, "{v}");
    for bad in [json!({}), json!({"GroupId": 5})] {
        assert_eq!(code(&emu.call(MEMBERS, bad.clone()).await), 10004, "{bad}");
    }
    // Spec §10.3: an ID no group could have is 10015.
    for bad in [json!({"GroupId": ""}), json!({"GroupId": "a".repeat(50)})] {
        assert_eq!(code(&emu.call(MEMBERS, bad.clone()).await), 10015, "{bad}");
    }
}

#[tokio::test]
async fn destroy_group_removes_the_group_and_frees_its_id() {
    let emu = emu().await;
    let id = create(&emu, full_request()).await;
    let keep = create(&emu, json!({"Type": "Private", "Name": "keep"})).await;
    let v = emu.call(DESTROY, json!({"GroupId": id})).await;
    assert_eq!(code(&v), 0, "{v}");
    assert!(!emu.group_exists(&id).await);
    assert!(emu.group_exists(&keep).await, "other groups stay");
    assert_eq!(emu.group_total().await, 1);
    for _ in 0..2 {
        let v = emu.call(DESTROY, json!({"GroupId": id})).await;
        assert_eq!(code(&v), 10010, "{v}");
        assert!(info(&v).contains(&id), "{v}");
    }
    let v = emu.call(MEMBERS, json!({"GroupId": id})).await;
    assert_eq!(code(&v), 10010, "{v}");
    assert_eq!(
        create(&emu, full_request()).await,
        id,
        "the ID is free again"
    );
    assert_eq!(
        emu.group_info(&id).await["MemberNum"],
        3,
        "a fresh group, not the old one"
    );
    for bad in [json!({}), json!({"GroupId": ["x"]})] {
        assert_eq!(code(&emu.call(DESTROY, bad.clone()).await), 10004, "{bad}");
    }
    let v = emu.call(DESTROY, json!({"GroupId": ""})).await;
    assert_eq!(code(&v), 10015, "spec §10.3: {v}");
}

async fn list(emu: &Emu, body: Value) -> (u64, Vec<String>, u64) {
    let v = emu.call(LIST, body.clone()).await;
    assert_eq!(code(&v), 0, "{body}: {v}");
    let ids = v["GroupIdList"]
        .as_array()
        .expect("GroupIdList")
        .iter()
        .map(|g| g["GroupId"].as_str().expect("GroupId").to_string())
        .collect();
    (
        v["TotalCount"].as_u64().expect("TotalCount"),
        ids,
        v["Next"].as_u64().expect("Next"),
    )
}

#[tokio::test]
async fn get_appid_group_list_pages_in_creation_order() {
    let emu = emu().await;
    let mut made = Vec::new();
    for (i, ty) in [
        "Public",
        "Private",
        "Public",
        "ChatRoom",
        "AVChatRoom",
        "Public",
        "BChatRoom",
    ]
    .iter()
    .enumerate()
    {
        made.push((
            create(&emu, json!({"Type": ty, "Name": format!("g{i}")})).await,
            *ty,
        ));
    }
    let all: Vec<String> = made.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(list(&emu, json!({})).await, (7, all.clone(), 0));
    let mut seen = Vec::new();
    let mut next = 0;
    let mut pages = 0;
    loop {
        let (total, ids, n) = list(&emu, json!({"Limit": 3, "Next": next})).await;
        assert_eq!(total, 7, "TotalCount on every page");
        assert!(ids.len() <= 3);
        seen.extend(ids);
        pages += 1;
        if n == 0 {
            break;
        }
        assert!(n > next, "Next moves forward");
        next = n;
    }
    assert_eq!((pages, seen), (3, all.clone()));
    let publics: Vec<String> = made
        .iter()
        .filter(|(_, t)| *t == "Public")
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        list(&emu, json!({"GroupType": "Public"})).await,
        (3, publics.clone(), 0)
    );
    let (total, first, next) = list(&emu, json!({"GroupType": "Public", "Limit": 2})).await;
    assert_eq!((total, first.as_slice()), (3, &publics[..2]));
    let (_, rest, end) = list(
        &emu,
        json!({"GroupType": "Public", "Limit": 2, "Next": next}),
    )
    .await;
    assert_eq!((rest.as_slice(), end), (&publics[2..], 0));
    assert_eq!(
        list(&emu, json!({"Limit": 10000, "GroupType": ""})).await.0,
        7
    );
    emu.call(DESTROY, json!({"GroupId": all[1]})).await;
    let (total, _, next) = list(&emu, json!({"Limit": 1})).await;
    let (_, second, _) = list(&emu, json!({"Limit": 1, "Next": next})).await;
    assert_eq!(
        (total, second),
        (6, vec![all[2].clone()]),
        "paging skips a destroyed group"
    );
    for bad in [
        json!({"Limit": 0}),
        json!({"Limit": 10001}),
        json!({"Limit": "5"}),
        json!({"Next": -1}),
        json!({"GroupType": "public"}),
        json!({"GroupType": 2}),
    ] {
        assert_eq!(code(&emu.call(LIST, bad.clone()).await), 10004, "{bad}");
    }
}

#[tokio::test]
async fn reads_need_an_app_admin() {
    let emu = emu().await;
    let id = create(&emu, json!({"Type": "Public", "Name": "n"})).await;
    for (path, body) in [
        (INFO, json!({"GroupIdList": [id]})),
        (MEMBERS, json!({"GroupId": id})),
        (DESTROY, json!({"GroupId": id})),
        (LIST, json!({})),
    ] {
        let v = emu.call_as(common::APP, "bob", path, body).await;
        assert_eq!(code(&v), 10007, "{path}: {v}");
    }
    assert!(
        emu.group_exists(&id).await,
        "a refused destroy_group left the group"
    );
}
