//! im_open_login_svc over HTTP (SPEC §4): import with the 32-byte UserID rule, the legacy
//! `Identifier` field, batch import with `FailAccounts`, check and delete, and who may call them.

use crate::common;

use common::{APP, Emu, code, info};
use serde_json::{Value, json};

const IMPORT: &str = "im_open_login_svc/account_import";
const MULTI: &str = "im_open_login_svc/multiaccount_import";
const CHECK: &str = "im_open_login_svc/account_check";
const DELETE: &str = "im_open_login_svc/account_delete";

/// account_check of `ids`: each one's AccountStatus.
async fn statuses(emu: &Emu, ids: &[&str]) -> Vec<String> {
    let items: Vec<Value> = ids.iter().map(|i| json!({"UserID": i})).collect();
    let v = emu.call(CHECK, json!({"CheckItem": items})).await;
    assert_eq!(code(&v), 0, "{v}");
    let results = v["ResultItem"].as_array().expect("ResultItem");
    let got: Vec<&str> = results
        .iter()
        .map(|r| r["UserID"].as_str().expect("UserID"))
        .collect();
    assert_eq!(got, ids, "results follow the request order");
    for r in results {
        assert_eq!(
            (r["ResultCode"].clone(), r["ResultInfo"].clone()),
            (json!(0), json!(""))
        );
    }
    results
        .iter()
        .map(|r| {
            r["AccountStatus"]
                .as_str()
                .expect("AccountStatus")
                .to_string()
        })
        .collect()
}

fn cjk(n: usize) -> String {
    "用".repeat(n)
}

#[tokio::test]
async fn user_ids_are_1_to_32_bytes() {
    let emu = Emu::start_unlimited().await;
    let rows: Vec<(String, Value, i64)> = vec![
        ("32 ASCII".into(), json!({"UserID": "u".repeat(32)}), 0),
        ("33 ASCII".into(), json!({"UserID": "v".repeat(33)}), 70402),
        (
            "10 CJK + 2 = 32".into(),
            json!({"UserID": cjk(10) + "ab"}),
            0,
        ),
        (
            "10 CJK + 3 = 33".into(),
            json!({"UserID": cjk(10) + "abc"}),
            70402,
        ),
        ("11 CJK = 33".into(), json!({"UserID": cjk(11)}), 70402),
        ("empty".into(), json!({"UserID": ""}), 70402),
        ("missing".into(), json!({"Nick": "n"}), 70402),
        ("null".into(), json!({"UserID": null}), 70402),
        (
            "Nick not a string".into(),
            json!({"UserID": "w", "Nick": 5}),
            70402,
        ),
        (
            "FaceUrl not a string".into(),
            json!({"UserID": "w", "FaceUrl": []}),
            70402,
        ),
    ];
    for (what, body, want) in rows {
        let v = emu.call(IMPORT, body.clone()).await;
        assert_eq!(code(&v), want, "{what}: {v}");
        if want != 0 {
            assert!(
                info(&v).contains("UserID")
                    || info(&v).contains("Nick")
                    || info(&v).contains("FaceUrl"),
                "{v}"
            );
        }
        if let Some(id) = body["UserID"].as_str().filter(|s| !s.is_empty()) {
            let status = if want == 0 { "Imported" } else { "NotImported" };
            if id.len() <= 32 {
                assert_eq!(statuses(&emu, &[id]).await, [status], "{what}");
            }
        }
    }
    let v = emu.call(IMPORT, json!({"UserID": "v".repeat(33)})).await;
    assert!(
        info(&v).contains("33") && info(&v).contains("32"),
        "names the limit: {v}"
    );
}

#[tokio::test]
async fn the_legacy_identifier_field_imports_too() {
    let emu = Emu::start().await;
    let v = emu
        .call(IMPORT, json!({"Identifier": "legacy", "Nick": "L"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu
        .call(IMPORT, json!({"UserID": "modern", "Identifier": "ignored"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(
        statuses(&emu, &["legacy", "modern", "ignored"]).await,
        ["Imported", "Imported", "NotImported"],
        "UserID wins over Identifier"
    );
    let v = emu
        .call(IMPORT, json!({"Identifier": "x".repeat(33)}))
        .await;
    assert_eq!(code(&v), 70402, "{v}");
    assert!(info(&v).contains("Identifier"), "{v}");
}

#[tokio::test]
async fn importing_again_updates_and_succeeds() {
    let emu = Emu::start().await;
    for nick in ["first", "second", ""] {
        let v = emu
            .call(
                IMPORT,
                json!({"UserID": "bob", "Nick": nick, "FaceUrl": "http://f"}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    assert_eq!(statuses(&emu, &["bob"]).await, ["Imported"]);
    let v = emu
        .create_group(json!({"Owner_Account": "bob", "Type": "Public", "Name": "n"}))
        .await;
    assert_eq!(code(&v), 0, "a re-imported account can own a group: {v}");
}

#[tokio::test]
async fn multiaccount_import_lists_the_accounts_it_could_not_import() {
    let emu = Emu::start().await;
    let long = "z".repeat(33);
    let v = emu
        .call(
            MULTI,
            json!({"Accounts": ["a1", "", long, "a2", cjk(10) + "ab", "a1"]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(v["FailAccounts"], json!(["", long]));
    let cjk_id = cjk(10) + "ab";
    assert_eq!(
        statuses(&emu, &["a1", "a2", &cjk_id]).await,
        ["Imported", "Imported", "Imported"]
    );
}

#[tokio::test]
async fn batches_take_1_to_100_accounts() {
    let emu = Emu::start().await;
    let ids = |n: usize| -> Vec<String> { (0..n).map(|i| format!("u{i}")).collect() };
    let items = |n: usize| -> Vec<Value> { ids(n).iter().map(|i| json!({"UserID": i})).collect() };
    let rows: Vec<(&str, &str, Value, i64)> = vec![
        ("import 100", MULTI, json!({"Accounts": ids(100)}), 0),
        ("import 101", MULTI, json!({"Accounts": ids(101)}), 70402),
        ("import none", MULTI, json!({"Accounts": []}), 70402),
        ("import missing", MULTI, json!({}), 70402),
        (
            "import not an array",
            MULTI,
            json!({"Accounts": "u1"}),
            70402,
        ),
        ("check 100", CHECK, json!({"CheckItem": items(100)}), 0),
        ("check 101", CHECK, json!({"CheckItem": items(101)}), 70402),
        ("check none", CHECK, json!({"CheckItem": []}), 70402),
        (
            "check not an array",
            CHECK,
            json!({"CheckItem": "u1"}),
            70402,
        ),
        (
            "check item not an object",
            CHECK,
            json!({"CheckItem": ["u1"]}),
            70402,
        ),
        (
            "check item without UserID",
            CHECK,
            json!({"CheckItem": [{}]}),
            70402,
        ),
        (
            "check UserID too long",
            CHECK,
            json!({"CheckItem": [{"UserID": "x".repeat(33)}]}),
            70402,
        ),
        (
            "delete 101",
            DELETE,
            json!({"DeleteItem": items(101)}),
            70402,
        ),
        (
            "delete not an array",
            DELETE,
            json!({"DeleteItem": {}}),
            70402,
        ),
        ("delete 100", DELETE, json!({"DeleteItem": items(100)}), 0),
    ];
    for (what, path, body, want) in rows {
        let v = emu.call(path, body).await;
        assert_eq!(code(&v), want, "{what}: {v}");
        if want == 70402 {
            assert!(!info(&v).is_empty());
        }
    }
    let v = emu.call(MULTI, json!({"Accounts": ids(101)})).await;
    assert!(info(&v).contains("101") && info(&v).contains("100"), "{v}");
    assert_eq!(
        statuses(&emu, &["u100"]).await,
        ["NotImported"],
        "a refused batch imports nothing"
    );
}

#[tokio::test]
async fn account_check_counts_admins_as_imported() {
    let emu = Emu::start().await;
    emu.import(&["bob"]).await;
    assert_eq!(
        statuses(&emu, &["bob", "nobody", "admin", "administrator", "Admin"]).await,
        [
            "Imported",
            "NotImported",
            "Imported",
            "Imported",
            "NotImported"
        ]
    );
}

#[tokio::test]
async fn account_delete_answers_per_account() {
    let emu = Emu::start().await;
    emu.import(&["bob", "peter"]).await;
    let v = emu
        .call(
            DELETE,
            json!({"DeleteItem": [{"UserID": "bob"}, {"UserID": "ghost"}, {"UserID": "admin"}, {"UserID": "bob"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let codes: Vec<(i64, &str)> = v["ResultItem"]
        .as_array()
        .expect("ResultItem")
        .iter()
        .map(|r| {
            (
                r["ResultCode"].as_i64().expect("code"),
                r["UserID"].as_str().expect("id"),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (0, "bob"),
            (70107, "ghost"),
            (70403, "admin"),
            (70107, "bob")
        ]
    );
    assert_eq!(v["ResultItem"][0]["ResultInfo"], "");
    assert!(
        v["ResultItem"][1]["ResultInfo"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(
        statuses(&emu, &["bob", "peter", "admin"]).await,
        ["NotImported", "Imported", "Imported"]
    );
    emu.import(&["bob"]).await;
    assert_eq!(
        statuses(&emu, &["bob"]).await,
        ["Imported"],
        "a deleted account can come back"
    );
}

#[tokio::test]
async fn only_app_admins_call_account_commands() {
    let emu = Emu::start().await;
    emu.import(&["bob"]).await;
    let rows = [
        (IMPORT, json!({"UserID": "x"})),
        (MULTI, json!({"Accounts": ["x"]})),
        (CHECK, json!({"CheckItem": [{"UserID": "x"}]})),
        (DELETE, json!({"DeleteItem": [{"UserID": "bob"}]})),
        (IMPORT, json!({"UserID": 5, "Nick": 5})),
    ];
    for (path, body) in rows {
        let v = emu.call_as(APP, "bob", path, body.clone()).await;
        let want = if body["UserID"].is_number() {
            60015
        } else {
            70403
        };
        assert_eq!(code(&v), want, "{path} {body}: {v}");
    }
    let v = emu.call_as(APP, "bob", IMPORT, json!({"Nick": 5})).await;
    assert_eq!(
        code(&v),
        70403,
        "the admin check comes before field types: {v}"
    );
    assert!(info(&v).contains("bob"), "{v}");
    assert_eq!(
        statuses(&emu, &["x", "bob"]).await,
        ["NotImported", "Imported"]
    );
}

#[tokio::test]
async fn accounts_are_per_app() {
    let emu = Emu::start().await;
    emu.import(&["bob"]).await;
    let v = emu
        .call_as(
            APP + 7,
            "admin",
            CHECK,
            json!({"CheckItem": [{"UserID": "bob"}]}),
        )
        .await;
    assert_eq!(v["ResultItem"][0]["AccountStatus"], "NotImported");
}
