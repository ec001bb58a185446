//! Contention: many clients at once create overlapping custom GroupIds, create groups with
//! assigned IDs, import and delete accounts, and destroy groups. Afterwards the final state must
//! account for every answer: no group lost or duplicated, and for each custom ID the successful
//! creations minus the successful destructions equal its existence.
//!
//! The default suite runs a modest version; the long one is
//! `cargo test --release --test contention -- --ignored`.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use common::{Emu, code};
use serde_json::json;
use tim_emulator::Settings;
use tim_emulator::apps::{Apps, Limits};

/// What one client saw: per custom ID the successful creations and destructions, per account
/// the successful imports and deletions, and every assigned ID it was given.
#[derive(Default)]
struct Tally {
    created: HashMap<String, i64>,
    destroyed: HashMap<String, i64>,
    assigned: Vec<String>,
    assigned_destroyed: usize,
}

/// A tiny deterministic generator, so a failing run can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

async fn unlimited() -> Emu {
    let mut s = Settings::zero_config();
    s.apps = Apps::zero_config(Limits::UNLIMITED);
    s.id_seed = Some(11);
    Emu::start_with(s).await
}

async fn one_op(emu: &Emu, rng: &mut Lcg, ids: u64, accounts: u64, t: &mut Tally) {
    let gid = format!("contended-{}", rng.below(ids));
    let user = format!("user{}", rng.below(accounts));
    match rng.below(6) {
        0 | 1 => {
            let v = emu
                .create_group(
                    json!({"Owner_Account": user, "Type": "Public", "Name": "c", "GroupId": gid}),
                )
                .await;
            match code(&v) {
                0 => *t.created.entry(gid).or_default() += 1,
                10021 | 10004 => {}
                other => panic!("unexpected create answer {other}: {v}"),
            }
        }
        2 => {
            let v = emu
                .call("group_open_http_svc/destroy_group", json!({"GroupId": gid}))
                .await;
            match code(&v) {
                0 => *t.destroyed.entry(gid).or_default() += 1,
                10010 => {}
                other => panic!("unexpected destroy answer {other}: {v}"),
            }
        }
        3 => {
            let v = emu
                .create_group(json!({"Type": "Private", "Name": "assigned"}))
                .await;
            assert_eq!(code(&v), 0, "{v}");
            let id = v["GroupId"]
                .as_str()
                .expect("an assigned GroupId")
                .to_string();
            if rng.below(2) == 0 {
                let d = emu
                    .call("group_open_http_svc/destroy_group", json!({"GroupId": id}))
                    .await;
                assert_eq!(code(&d), 0, "a fresh assigned group is destroyed: {d}");
                t.assigned_destroyed += 1;
            }
            t.assigned.push(id);
        }
        4 => {
            let v = emu
                .call("im_open_login_svc/account_import", json!({"UserID": user}))
                .await;
            assert_eq!(code(&v), 0, "{v}");
        }
        _ => {
            let v = emu
                .call(
                    "im_open_login_svc/account_delete",
                    json!({"DeleteItem": [{"UserID": user}]}),
                )
                .await;
            assert_eq!(code(&v), 0, "{v}");
            let rc = v["ResultItem"][0]["ResultCode"].as_i64();
            assert!(matches!(rc, Some(0 | 70107)), "{v}");
        }
    }
}

async fn all_group_ids(emu: &Emu) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = 0;
    loop {
        let v = emu
            .call(
                "group_open_http_svc/get_appid_group_list",
                json!({"Next": next}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
        let page = v["GroupIdList"].as_array().cloned().unwrap_or_default();
        out.extend(
            page.iter()
                .filter_map(|g| g["GroupId"].as_str().map(str::to_string)),
        );
        next = v["Next"].as_u64().unwrap_or(0);
        if next == 0 {
            let total = v["TotalCount"].as_u64().expect("TotalCount") as usize;
            assert_eq!(total, out.len(), "TotalCount agrees with the listed IDs");
            return out;
        }
    }
}

async fn run(clients: u64, ops: u64, ids: u64, accounts: u64) {
    let emu = Arc::new(unlimited().await);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let emu = emu.clone();
        tasks.push(tokio::spawn(async move {
            let (mut rng, mut t) = (Lcg(c + 1), Tally::default());
            for _ in 0..ops {
                one_op(&emu, &mut rng, ids, accounts, &mut t).await;
            }
            t
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let t = task.await.expect("a client finished without panicking");
        for (k, n) in t.created {
            *total.created.entry(k).or_default() += n;
        }
        for (k, n) in t.destroyed {
            *total.destroyed.entry(k).or_default() += n;
        }
        total.assigned.extend(t.assigned);
        total.assigned_destroyed += t.assigned_destroyed;
    }
    verify(&emu, &total, ids).await;
}

async fn verify(emu: &Emu, total: &Tally, ids: u64) {
    let listed = all_group_ids(emu).await;
    let unique: HashSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "no group is listed twice");
    for i in 0..ids {
        let gid = format!("contended-{i}");
        let net = total.created.get(&gid).copied().unwrap_or(0)
            - total.destroyed.get(&gid).copied().unwrap_or(0);
        let exists = unique.contains(&gid);
        assert_eq!(
            net,
            i64::from(exists),
            "{gid}: creations minus destructions"
        );
        let info = emu
            .call(
                "group_open_http_svc/get_group_info",
                json!({"GroupIdList": [gid]}),
            )
            .await;
        let entry_code = info["GroupInfo"][0]["ErrorCode"].as_i64();
        assert_eq!(entry_code, Some(if exists { 0 } else { 10010 }), "{info}");
    }
    let assigned: HashSet<&String> = total.assigned.iter().collect();
    assert_eq!(
        assigned.len(),
        total.assigned.len(),
        "assigned IDs are never handed out twice"
    );
    let kept = total.assigned.len() - total.assigned_destroyed;
    let listed_assigned = listed.iter().filter(|g| g.starts_with("@TGS#")).count();
    assert_eq!(
        listed_assigned, kept,
        "every kept assigned group is still there"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_destroys_and_account_changes_leave_a_consistent_state() {
    run(8, 150, 6, 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "long: cargo test --release --test contention -- --ignored"]
async fn long_contention_run_leaves_a_consistent_state() {
    run(32, 5_000, 40, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_free_custom_id_created_by_many_clients_at_once_succeeds_exactly_once() {
    let emu = Arc::new(unlimited().await);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let emu = emu.clone();
            tokio::spawn(async move {
                let v = emu
                    .create_group(json!({"Type": "Public", "Name": "race", "GroupId": "the-one"}))
                    .await;
                code(&v)
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.expect("client finished"));
    }
    codes.sort_unstable();
    let mut want = vec![10021; 15];
    want.insert(0, 0);
    assert_eq!(codes, want);
}
