//! The vendor's limits that bound memory and CPU (issue 11 B): custom-data key counts (10 per
//! group, 5 per member) with a linear duplicate check, get_group_info's 1 MB answer (10018),
//! and the 500-byte `Nick`/`FaceUrl` of account_import (40601). Each on both sides of its
//! boundary, lengths in bytes with CJK text.

use crate::common;

use common::{Emu, code, info};
use serde_json::{Value, json};

const CREATE: &str = "group_open_http_svc/create_group";
const IMPORT_GROUP: &str = "group_open_http_svc/import_group";
const MODIFY: &str = "group_open_http_svc/modify_group_base_info";
const INFO: &str = "group_open_http_svc/get_group_info";
const ACCOUNT_IMPORT: &str = "im_open_login_svc/account_import";

fn kv(n: usize, value: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"Key": format!("key{i}"), "Value": value}))
        .collect()
}

#[tokio::test]
async fn group_custom_data_holds_ten_keys_at_creation_and_not_eleven() {
    let emu = Emu::start_unlimited().await;
    for path in [CREATE, IMPORT_GROUP] {
        let ok = json!({"Type": "Public", "Name": "n", "AppDefinedData": kv(10, "值")});
        let v = emu.call(path, ok).await;
        assert_eq!(code(&v), 0, "{path}: {v}");
        let over = json!({"Type": "Public", "Name": "n", "AppDefinedData": kv(11, "值")});
        let v = emu.call(path, over).await;
        assert_eq!(code(&v), 10004, "{path}: {v}");
        for part in ["AppDefinedData", "11", "10"] {
            assert!(info(&v).contains(part), "{path} names {part}: {v}");
        }
    }
}

#[tokio::test]
async fn member_custom_data_holds_five_keys_at_creation_and_not_six() {
    let emu = Emu::start_unlimited().await;
    emu.import(&["m"]).await;
    let with = |n: usize| {
        json!({"Type": "Public", "Name": "n",
               "MemberList": [{"Member_Account": "m", "AppMemberDefinedData": kv(n, "值")}]})
    };
    assert_eq!(code(&emu.call(CREATE, with(5)).await), 0);
    let v = emu.call(CREATE, with(6)).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(
        info(&v).contains("MemberList[0].AppMemberDefinedData has 6 items"),
        "{v}"
    );
    assert!(info(&v).contains("at most 5"), "{v}");
    let top = json!({"Type": "Public", "Name": "n", "AppMemberDefinedData": kv(6, "v")});
    assert_eq!(
        code(&emu.call(CREATE, top).await),
        10004,
        "top-level list too"
    );
}

/// A body of about 1 MiB holding `n` custom items with distinct three-letter keys.
fn huge_list(n: usize, value: &str) -> Vec<Value> {
    const ABC: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|i| {
            let key: String = [i / (62 * 62), (i / 62) % 62, i % 62]
                .iter()
                .map(|&d| ABC[d] as char)
                .collect();
            json!({"Key": key, "Value": value})
        })
        .collect()
}

#[tokio::test]
async fn a_one_mebibyte_list_of_forty_thousand_keys_is_answered_10004() {
    let emu = Emu::start_unlimited().await;
    let body = json!({"Type": "Public", "Name": "n", "AppDefinedData": huge_list(40_000, "v")});
    assert!(body.to_string().len() <= 1 << 20, "fits the body limit");
    let v = emu.call(CREATE, body).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("40000 items"), "{v}");

    let v = emu
        .create_group(json!({"Type": "Public", "Name": "n", "GroupId": "big"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let body = json!({"GroupId": "big", "AppDefinedData": huge_list(40_000, "v")});
    assert!(body.to_string().len() <= 1 << 20, "fits the body limit");
    let v = emu.call(MODIFY, body).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("40000 keys"), "{v}");
    let repeated = json!({"GroupId": "big", "AppDefinedData": [
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}]});
    let v = emu.call(MODIFY, repeated).await;
    assert_eq!(code(&v), 10004, "{v}");
    assert!(info(&v).contains("repeats the Key \"a\""), "{v}");
}

/// A group whose get_group_info entry is tens of kilobytes: 100 members with 5 keys each.
async fn heavy_group(emu: &Emu) -> String {
    let ids: Vec<String> = (0..100).map(|i| format!("member{i:03}")).collect();
    emu.import_many(&ids).await;
    let members: Vec<Value> = ids
        .iter()
        .map(|id| json!({"Member_Account": id, "AppMemberDefinedData": kv(5, &"群".repeat(21))}))
        .collect();
    let v = emu
        .create_group(
            json!({"Type": "Public", "Name": "heavy", "GroupId": "heavy",
                             "AppDefinedData": kv(10, &"x".repeat(512)), "MemberList": members}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    "heavy".into()
}

async fn info_raw(emu: &Emu, ids: usize, id: &str) -> common::Raw {
    let body = json!({"GroupIdList": vec![id; ids]}).to_string();
    emu.post_raw(INFO, &Emu::query(common::APP, "admin"), body)
        .await
}

#[tokio::test]
async fn get_group_info_answers_up_to_one_mebibyte_and_10018_beyond() {
    let emu = Emu::start_unlimited().await;
    let id = heavy_group(&emu).await;
    let one = info_raw(&emu, 1, &id).await.body.len();
    let step = info_raw(&emu, 2, &id).await.body.len() - one;
    assert!(step > 30_000, "each entry is large: {step} bytes");
    // The most copies whose answer still fits 1 MiB.
    let fits = 1 + ((1 << 20) - one) / step;
    assert!(fits < 50, "{fits}");
    let at = info_raw(&emu, fits, &id).await;
    assert!(at.body.len() <= 1 << 20, "{}", at.body.len());
    let v = at.json();
    assert_eq!(code(&v), 0);
    assert_eq!(v["GroupInfo"].as_array().map(Vec::len), Some(fits));
    let over = info_raw(&emu, fits + 1, &id).await;
    common::assert_envelope(&over);
    let v = over.json();
    assert_eq!(code(&v), 10018, "{v}");
    assert!(info(&v).contains("1048576 bytes"), "{v}");
    assert!(over.body.len() < 1000, "a short refusal, not the answer");
    let filtered = json!({"GroupIdList": vec![&id; 50],
                          "ResponseFilter": {"GroupBaseInfoFilter": ["Name"]}});
    assert_eq!(
        code(&emu.call(INFO, filtered).await),
        0,
        "a filter makes it fit"
    );
}

#[tokio::test]
async fn account_import_nick_and_face_url_hold_500_bytes_and_not_501() {
    let emu = Emu::start().await;
    let at = format!("{}ab", "昵".repeat(166)); // 500 bytes
    let over = format!("{}abc", "昵".repeat(166)); // 501 bytes
    for field in ["Nick", "FaceUrl"] {
        let v = emu
            .call(ACCOUNT_IMPORT, json!({"UserID": "u", field: at}))
            .await;
        assert_eq!(code(&v), 0, "{field}: {v}");
        let v = emu
            .call(ACCOUNT_IMPORT, json!({"UserID": "v", field: over}))
            .await;
        assert_eq!(code(&v), 40601, "{field}: {v}");
        assert!(info(&v).contains(&format!("{field} is 501 bytes")), "{v}");
        assert!(info(&v).contains("500"), "{v}");
    }
    let check = json!({"CheckItem": [{"UserID": "v"}]});
    let v = emu.call("im_open_login_svc/account_check", check).await;
    assert_eq!(v["ResultItem"][0]["AccountStatus"], "NotImported", "{v}");
}

#[tokio::test]
async fn multiaccount_import_lists_an_item_with_a_501_byte_nick_as_failed() {
    let emu = Emu::start().await;
    let at = format!("{}ab", "昵".repeat(166));
    let over = format!("{}abc", "昵".repeat(166));
    let list = json!({"AccountList": [
        {"UserID": "fits", "Nick": at},
        {"UserID": "long_nick", "Nick": over},
        {"UserID": "long_face", "FaceUrl": over}]});
    let v = emu
        .call("im_open_login_svc/multiaccount_import", list)
        .await;
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(v["FailAccounts"], json!(["long_nick", "long_face"]), "{v}");
}
