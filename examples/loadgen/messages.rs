//! The messages phase (issue 12): what a group message costs next to a group creation, whether
//! a history read costs the same in a group of 100 messages as in one of 100,000, and how many
//! bytes a stored 100-byte text message takes.
//!
//! Rows, each on a fresh emulator (`--no-limits`, so the per-group 40/s control is off):
//! create_group (assigned ID) as the reference; send_group_msg of a 100-byte text to a
//! 500-member Public group (no `Random`, so the emulator draws one and no send is a duplicate);
//! group_msg_get_simple of 20 messages from a group holding 100 and one holding 100,000. The
//! memory line is the RSS growth over 100,000 stored 100-byte messages in one group.

use std::time::Duration;

use crate::client::{self, Request};
use crate::grouplife::{emulator, post, setup};
use crate::{Args, Row, servers, timed};

/// A Public group `id` of `n` members (the owner and `n` − 1 more, added 500 at a time).
async fn group_of(emu: &servers::Server, id: &str, n: usize) {
    let make = serde_json::json!({"GroupId": id, "Owner_Account": "owner", "Type": "Public", "Name": "talk", "MaxMemberCount": 2000});
    setup(emu, &post("create_group", make, "\"ErrorCode\":0")).await;
    let mut from = 0;
    while from < n - 1 {
        let k = 500.min(n - 1 - from);
        let list: Vec<serde_json::Value> = (from..from + k)
            .map(|i| serde_json::json!({"Member_Account": format!("member_{i:06}")}))
            .collect();
        let add = serde_json::json!({"GroupId": id, "MemberList": list});
        setup(emu, &post("add_group_member", add, "\"ErrorCode\":0")).await;
        from += k;
    }
}

/// send_group_msg of a 100-byte text to `id`, without `Random`.
fn send(id: &str) -> Request {
    let text = "a message of one hundred bytes, as a chat line of a busy group might be; padded to size: xxxxxxxxxxx";
    debug_assert_eq!(text.len(), 100);
    post(
        "send_group_msg",
        serde_json::json!({"GroupId": id, "From_Account": "member_000001",
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]}),
        "\"ErrorCode\":0",
    )
}

/// Stores `n` messages in `id` as fast as the connections go.
async fn fill(a: &Args, emu: &servers::Server, id: &str, n: u64) {
    let req = send(id);
    let s = client::closed_loop(
        emu.addr,
        &req,
        a.connections,
        Duration::from_secs(3600),
        Some(n),
    )
    .await
    .expect("fill run");
    assert_eq!(s.wrong, 0, "sends failed: {:?}", s.first_wrong);
}

async fn history_row(a: &Args, held: u64) -> Row {
    let emu = emulator(a).await;
    group_of(&emu, "talk", 20).await;
    fill(a, &emu, "talk", held).await;
    let read = post(
        "group_msg_get_simple",
        serde_json::json!({"GroupId": "talk", "ReqMsgNumber": 20}),
        "\"RspMsgList\"",
    );
    let run = client::closed_loop(emu.addr, &read, a.connections, a.duration, None);
    timed(&emu, &format!("group_msg_get_simple (20 of {held})"), run).await
}

/// The phase's rows, and a line about memory per stored message.
pub async fn rows(a: &Args) -> Vec<Row> {
    let mut rows = Vec::new();
    let emu = emulator(a).await;
    let create = post(
        "create_group",
        serde_json::json!({"Owner_Account": "admin", "Type": "Public", "Name": "bench group"}),
        "\"ErrorCode\":0",
    );
    let run = client::closed_loop(emu.addr, &create, a.connections, a.duration, None);
    rows.push(timed(&emu, "create_group (assigned ID)", run).await);
    drop(emu);
    let emu = emulator(a).await;
    group_of(&emu, "talk", 500).await;
    let req = send("talk");
    let run = client::closed_loop(emu.addr, &req, a.connections, a.duration, None);
    rows.push(timed(&emu, "send_group_msg (100 B text, 500 members)", run).await);
    drop(emu);
    rows.push(history_row(a, 100).await);
    rows.push(history_row(a, 100_000).await);
    let emu = emulator(a).await;
    group_of(&emu, "talk", 20).await;
    fill(a, &emu, "talk", 1_000).await;
    let before = emu.rss_kib();
    fill(a, &emu, "talk", 99_000).await;
    let after = emu.rss_kib();
    let per = after.saturating_sub(before) as f64 * 1024.0 / 99_000.0;
    println!(
        "\nmemory: {per:.0} bytes per stored 100-byte text message (RSS {:.1} → {:.1} MiB from 1,000 to 100,000 messages in one group)",
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
    rows
}
