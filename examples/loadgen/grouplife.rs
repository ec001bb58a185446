//! The group-life phase: whether member commands cost in proportion to the request rather than
//! to the group, and get_joined_group_list to the member's groups rather than to the app.
//!
//! Rows, each on a fresh emulator: add_group_member into a 6,000-member group and into a
//! 20-member one (the account is already a member, so every call does the full lookup and
//! answers `Result: 2` without growing the group), and get_joined_group_list of a member of 10
//! groups in an app of 100,000 groups and in an app of 10. It also times one call that adds
//! 500 new members to a group of 5,500 and to an empty one.

use std::time::{Duration, Instant};

use crate::client::{self, Request};
use crate::{Args, Q, Row, servers, timed};

/// A group command at `command` with `body`, expected to answer with `expect` in it.
pub(crate) fn post(command: &str, body: serde_json::Value, expect: &'static str) -> Request {
    client::post(
        &format!("/v4/group_open_http_svc/{command}?{Q}"),
        &body.to_string(),
        expect,
    )
}

fn add(group: &str, from: usize, n: usize, expect: &'static str) -> Request {
    let list: Vec<serde_json::Value> = (from..from + n)
        .map(|i| serde_json::json!({"Member_Account": format!("member_{i:06}")}))
        .collect();
    post(
        "add_group_member",
        serde_json::json!({"GroupId": group, "MemberList": list}),
        expect,
    )
}

/// A fresh emulator for a phase row (`--no-limits`, any account imported, seed 1).
pub(crate) async fn emulator(a: &Args) -> servers::Server {
    let args = ["--no-limits", "--auto-import-accounts", "--id-seed", "1"];
    servers::emulator(&a.bin, &args).await.0
}

/// One setup call that must answer with its `expect`.
pub(crate) async fn setup(emu: &servers::Server, req: &Request) {
    let answer = client::call_once(emu.addr, req).await.expect("setup call");
    assert!(answer.contains(req.expect), "setup failed: {answer}");
}

/// A ChatRoom `id` (cap 10000) holding `n` members added 500 at a time.
async fn group_of(emu: &servers::Server, id: &str, n: usize) {
    let make = serde_json::json!({"GroupId": id, "Type": "ChatRoom", "Name": "big", "MaxMemberCount": 10000});
    setup(emu, &post("create_group", make, "\"ErrorCode\":0")).await;
    for from in (0..n).step_by(500) {
        setup(emu, &add(id, from, 500.min(n - from), "\"ErrorCode\":0")).await;
    }
}

async fn add_row(a: &Args, size: usize) -> Row {
    let emu = emulator(a).await;
    group_of(&emu, "big", size).await;
    let req = add("big", 1, 1, "\"Result\":2");
    let run = client::closed_loop(emu.addr, &req, a.connections, a.duration, None);
    timed(
        &emu,
        &format!("add_group_member into {size} members (Result 2)"),
        run,
    )
    .await
}

async fn joined_row(a: &Args, groups: u64) -> Row {
    let emu = emulator(a).await;
    let other = post(
        "create_group",
        serde_json::json!({"Owner_Account": "admin", "Type": "Public", "Name": "g"}),
        "\"ErrorCode\":0",
    );
    let filler = groups.saturating_sub(10);
    if filler > 0 {
        let s = client::closed_loop(
            emu.addr,
            &other,
            a.connections,
            Duration::from_secs(3600),
            Some(filler),
        )
        .await
        .expect("filler groups");
        assert_eq!(s.wrong, 0, "filler creations failed: {:?}", s.first_wrong);
    }
    let mine = post(
        "create_group",
        serde_json::json!({"Type": "Public", "Name": "mine", "MemberList": [{"Member_Account": "probe"}]}),
        "\"ErrorCode\":0",
    );
    for _ in 0..10 {
        setup(&emu, &mine).await;
    }
    let req = post(
        "get_joined_group_list",
        serde_json::json!({"Member_Account": "probe"}),
        "\"TotalCount\":10",
    );
    let run = client::closed_loop(emu.addr, &req, a.connections, a.duration, None);
    timed(
        &emu,
        &format!("get_joined_group_list (10 of {groups} groups)"),
        run,
    )
    .await
}

/// The time of one add_group_member call of 500 new members into a group of `size`.
async fn add_500_into(a: &Args, size: usize) -> Duration {
    let emu = emulator(a).await;
    group_of(&emu, "big", size).await;
    let req = add("big", size, 500, "\"Result\":1");
    let started = Instant::now();
    setup(&emu, &req).await;
    started.elapsed()
}

/// The phase's rows, and a line about one large add.
pub async fn rows(a: &Args) -> Vec<Row> {
    let rows = vec![
        add_row(a, 6000).await,
        add_row(a, 20).await,
        joined_row(a, 100_000).await,
        joined_row(a, 10).await,
    ];
    let big = add_500_into(a, 5500).await;
    let small = add_500_into(a, 0).await;
    println!(
        "\none add_group_member of 500 new members: {:.2} ms into 5,500 members, {:.2} ms into an empty group",
        big.as_secs_f64() * 1e3,
        small.as_secs_f64() * 1e3
    );
    rows
}
