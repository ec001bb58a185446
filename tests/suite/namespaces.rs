//! Zero-config apps (issue 11 B): an app comes into being only when something is stored in it.
//! Refused requests and reads of an unknown sdkappid leave nothing behind (no state export
//! entry, no memory); an unknown app reads exactly as an empty one; `--max-apps` caps the apps
//! that hold state (70020 naming the flag); configured apps are not capped.

use std::collections::HashMap;
use std::sync::Arc;

use crate::common;

use common::{APP, Emu, code, info};
use reqwest::Method;
use serde_json::{Value, json};
use tim_emulator::Settings;
use tim_emulator::apps::{AppPolicy, Apps, Limits};

async fn get(emu: &Emu, path: &str) -> Value {
    let raw = emu.request(Method::GET, path, Vec::new()).await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    raw.json()
}

/// The sdkappids of the state export.
async fn exported_apps(emu: &Emu) -> Vec<u64> {
    get(emu, "/_emulator/state").await["apps"]
        .as_array()
        .expect("apps is an array")
        .iter()
        .filter_map(|a| a["sdkappid"].as_u64())
        .collect()
}

async fn stored_apps(emu: &Emu) -> u64 {
    get(emu, "/_emulator/health").await["stored_apps"]
        .as_u64()
        .expect("stored_apps is a number")
}

async fn start_capped(max_apps: usize) -> Emu {
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.max_apps = max_apps;
    Emu::start_with(s).await
}

/// One refused or read-only request on `sdkappid`, of a kind picked by `n`.
async fn refused_or_read(emu: &Emu, sdkappid: u64, n: u64) -> i64 {
    let admin = Emu::query(sdkappid, "admin");
    let raw = match n % 5 {
        0 => {
            let path = "group_open_http_svc/create_group";
            emu.post_raw(path, &admin, "not json").await // 60003
        }
        1 => {
            let body = json!({"Type": "Public", "Name": "n"}).to_string();
            let path = "group_open_http_svc/create_group";
            emu.post_raw(path, &Emu::query(sdkappid, "bob"), body).await // 10007
        }
        2 => {
            let body = json!({"UserID": "u"}).to_string();
            let path = "im_open_login_svc/account_import";
            emu.post_raw(path, &Emu::query(sdkappid, "bob"), body).await // 70403
        }
        3 => {
            let body = json!({"GroupIdList": ["g"]}).to_string();
            emu.post_raw("group_open_http_svc/get_group_info", &admin, body)
                .await
        }
        _ => {
            let body = json!({"CheckItem": [{"UserID": "u"}]}).to_string();
            emu.post_raw("im_open_login_svc/account_check", &admin, body)
                .await
        }
    };
    common::assert_envelope(&raw);
    code(&raw.json())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_refused_or_read_requests_on_distinct_apps_leave_no_app() {
    let emu = Arc::new(Emu::start().await);
    let workers: Vec<_> = (0..8u64)
        .map(|w| {
            let emu = Arc::clone(&emu);
            tokio::spawn(async move {
                let mut codes = HashMap::new();
                for i in 0..1250u64 {
                    let n = w * 1250 + i;
                    *codes
                        .entry(refused_or_read(&emu, 5_000_000 + n, n).await)
                        .or_insert(0) += 1;
                }
                codes
            })
        })
        .collect();
    let mut codes: HashMap<i64, u32> = HashMap::new();
    for w in workers {
        for (c, n) in w.await.expect("worker finishes") {
            *codes.entry(c).or_insert(0) += n;
        }
    }
    let want = HashMap::from([(60003, 2000), (10007, 2000), (70403, 2000), (0, 4000)]);
    assert_eq!(codes, want, "every kind answered as usual");
    assert_eq!(exported_apps(&emu).await, Vec::<u64>::new());
    assert_eq!(stored_apps(&emu).await, 0);
}

/// The answers of a few reads on `sdkappid`.
async fn reads(emu: &Emu, sdkappid: u64) -> Vec<Value> {
    let calls = [
        ("group_open_http_svc/get_appid_group_list", json!({})),
        (
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": ["g1", "@TGS#2AAAAAAAA"]}),
        ),
        (
            "group_open_http_svc/get_group_member_info",
            json!({"GroupId": "g1"}),
        ),
        (
            "group_open_http_svc/get_joined_group_list",
            json!({"Member_Account": "bob"}),
        ),
        (
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "bob"}, {"UserID": "admin"}]}),
        ),
        (
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "bob"}]}),
        ),
        ("im_open_login_svc/kick", json!({"UserID": "bob"})),
        (
            "group_open_http_svc/destroy_group",
            json!({"GroupId": "g1"}),
        ),
    ];
    let mut answers = Vec::new();
    for (path, body) in calls {
        answers.push(emu.call_as(sdkappid, "admin", path, body).await);
    }
    answers
}

#[tokio::test]
async fn an_unknown_app_reads_exactly_as_an_empty_app() {
    let emu = Emu::start().await;
    // App 2 holds state but is empty again: an account imported, then deleted.
    let v = emu
        .call_as(
            2,
            "admin",
            "im_open_login_svc/account_import",
            json!({"UserID": "x"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu
        .call_as(
            2,
            "admin",
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "x"}]}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let empty = reads(&emu, 2).await;
    let unknown = reads(&emu, 3).await;
    assert_eq!(unknown, empty);
    assert_eq!(unknown[0]["TotalCount"], 0);
    assert_eq!(unknown[1]["GroupInfo"][0]["ErrorCode"], 10010);
    assert_eq!(unknown[4]["ResultItem"][0]["AccountStatus"], "NotImported");
    assert_eq!(unknown[4]["ResultItem"][1]["AccountStatus"], "Imported");
    assert_eq!(code(&unknown[6]), 70107);
    assert_eq!(
        exported_apps(&emu).await,
        vec![2],
        "the reads stored nothing"
    );
}

#[tokio::test]
async fn storing_something_makes_the_app_appear_in_the_export() {
    let emu = start_capped(10).await;
    assert_eq!(reads(&emu, APP).await.len(), 8);
    assert_eq!(exported_apps(&emu).await, Vec::<u64>::new());
    let v = emu
        .call(
            "im_open_login_svc/account_import",
            json!({"UserID": "bob", "Nick": "B"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu
        .call_as(
            8,
            "admin",
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n"}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let v = emu
        .call_as(
            9,
            "admin",
            "im_open_login_svc/kick",
            json!({"UserID": "admin"}),
        )
        .await;
    assert_eq!(code(&v), 0, "kicking an admin stores its kick time: {v}");
    assert_eq!(exported_apps(&emu).await, vec![8, 9, APP]);
    let doc = get(&emu, "/_emulator/state").await;
    let app = doc["apps"]
        .as_array()
        .expect("apps")
        .last()
        .cloned()
        .expect("APP");
    assert_eq!(app["accounts"][0]["UserID"], "bob");
    assert_eq!(stored_apps(&emu).await, 3);
}

#[tokio::test]
async fn the_cap_refuses_the_app_one_over_naming_the_flag_and_reads_still_answer() {
    let emu = start_capped(3).await;
    for app in 1..=3u64 {
        let v = emu
            .call_as(
                app,
                "admin",
                "group_open_http_svc/create_group",
                json!({"Type": "Public", "Name": "n"}),
            )
            .await;
        assert_eq!(code(&v), 0, "app {app}: {v}");
    }
    let group = json!({"Type": "Public", "Name": "n"});
    let account = json!({"UserID": "bob"});
    let refusals = [
        ("group_open_http_svc/create_group", group.clone()),
        ("group_open_http_svc/import_group", group.clone()),
        ("im_open_login_svc/account_import", account.clone()),
        (
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["bob"]}),
        ),
        ("im_open_login_svc/kick", json!({"UserID": "admin"})),
    ];
    for (path, body) in refusals {
        let v = emu.call_as(4, "admin", path, body).await;
        assert_eq!(code(&v), 70020, "{path}: {v}");
        assert!(info(&v).contains("--max-apps"), "{path}: {v}");
        assert!(info(&v).contains("3 zero-config apps"), "{path}: {v}");
    }
    assert_eq!(
        reads(&emu, 4).await[0]["TotalCount"],
        0,
        "reads still answer"
    );
    let v = emu
        .call_as(
            1,
            "admin",
            "group_open_http_svc/create_group",
            group.clone(),
        )
        .await;
    assert_eq!(code(&v), 0, "an app holding state goes on storing: {v}");
    assert_eq!(exported_apps(&emu).await, vec![1, 2, 3]);
    assert_eq!(stored_apps(&emu).await, 3);
    let health = get(&emu, "/_emulator/health").await;
    assert_eq!(health["max_apps"], 3);

    let raw = emu
        .request(Method::POST, "/_emulator/reset?sdkappid=2", Vec::new())
        .await;
    assert_eq!(raw.status, 200);
    let v = emu
        .call_as(4, "admin", "im_open_login_svc/account_import", account)
        .await;
    assert_eq!(code(&v), 0, "a reset frees a slot: {v}");
    assert_eq!(exported_apps(&emu).await, vec![1, 3, 4]);
}

#[tokio::test]
async fn max_apps_zero_means_no_cap() {
    let emu = start_capped(0).await;
    for app in 1..=20u64 {
        let v = emu
            .call_as(
                app,
                "admin",
                "im_open_login_svc/account_import",
                json!({"UserID": "u"}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    assert_eq!(stored_apps(&emu).await, 20);
    assert_eq!(
        get(&emu, "/_emulator/health").await["max_apps"],
        Value::Null
    );
}

#[tokio::test]
async fn configured_apps_are_not_capped() {
    let policy = AppPolicy::zero_config(Limits::UNLIMITED);
    let apps = HashMap::from([(1, policy.clone()), (2, policy.clone()), (3, policy)]);
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(apps, Limits::UNLIMITED);
    s.max_apps = 1;
    let emu = Emu::start_with(s).await;
    for app in 1..=3u64 {
        let v = emu
            .call_as(
                app,
                "admin",
                "im_open_login_svc/account_import",
                json!({"UserID": "u"}),
            )
            .await;
        assert_eq!(code(&v), 0, "app {app}: {v}");
    }
    assert_eq!(exported_apps(&emu).await, vec![1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_writes_and_reads_on_a_new_app_lose_nothing() {
    let emu = Arc::new(start_capped(5).await);
    let calls = (0..64u64).map(|i| {
        let emu = Arc::clone(&emu);
        tokio::spawn(async move {
            if i % 2 == 0 {
                let body = json!({"Type": "Public", "Name": "n", "GroupId": format!("g{i}")});
                let v = emu.call("group_open_http_svc/create_group", body).await;
                assert_eq!(code(&v), 0, "{v}");
            } else {
                let v = emu
                    .call("group_open_http_svc/get_appid_group_list", json!({}))
                    .await;
                assert_eq!(code(&v), 0, "{v}");
            }
        })
    });
    for c in calls.collect::<Vec<_>>() {
        c.await.expect("call finishes");
    }
    assert_eq!(emu.group_total().await, 32);
    assert_eq!(exported_apps(&emu).await, vec![APP]);
    assert_eq!(stored_apps(&emu).await, 1);
}
