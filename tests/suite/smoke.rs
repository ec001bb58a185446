//! The shortest path a new user takes: import an account, create a group, read it back.

use crate::common;

use common::{Emu, code};
use serde_json::json;

#[tokio::test]
async fn an_imported_owner_creates_a_group_that_reads_back() {
    let emu = Emu::start().await;
    emu.import(&["leckie"]).await;
    let v = emu
        .create_group(json!({"Owner_Account": "leckie", "Type": "Public", "Name": "TestGroup"}))
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let id = v["GroupId"].as_str().expect("GroupId is a string");
    let info = emu.group_info(id).await;
    assert_eq!(info["Name"], "TestGroup");
    assert_eq!(info["Owner_Account"], "leckie");
    assert_eq!(info["MemberList"][0]["Role"], "Owner");
}
