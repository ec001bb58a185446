//! `group_open_http_svc/get_group_shutted_uin`: the 2020 name of get_group_muted_account, still
//! called by older clients (spec §20); the same list as `ShuttedUinList[{Member_Account,
//! ShuttedUntil}]`.

use axum::response::Response;
use serde::Serialize;

use super::get_group_muted_account::{Request, muted};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::error::VendorError;

/// `get_group_shutted_uin` (spec §20).
pub struct GetGroupShuttedUin;

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    GroupId: String,
    ShuttedUinList: Vec<Entry>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Entry {
    Member_Account: String,
    ShuttedUntil: u64,
}

impl VendorCommand for GetGroupShuttedUin {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "get_group_shutted_uin";
    const SUMMARY: &'static str =
        "legacy name of get_group_muted_account: `ShuttedUinList[{Member_Account, ShuttedUntil}]`";
    type Request = Request;

    /// Answers the group's running mutes as `{Member_Account, ShuttedUntil}`.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let (id, list) = muted(&call, request, Self::NAME)?;
        Ok(envelope::ok(Answer {
            GroupId: id,
            ShuttedUinList: list
                .into_iter()
                .map(|(a, until)| Entry {
                    Member_Account: a,
                    ShuttedUntil: until,
                })
                .collect(),
        }))
    }
}
