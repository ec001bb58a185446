//! `group_open_http_svc/get_group_muted_account`: the accounts of a group whose mute is still
//! running (spec §20). The legacy `get_group_shutted_uin` answers the same list under its 2020
//! names, through `muted`.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::forbid_send_msg::no_topic;
use super::{allow_types, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::GroupType;
use crate::error::VendorError;

/// `get_group_muted_account` (spec §20).
pub struct GetGroupMutedAccount;

/// Types without a mute list (spec §10.2: 10007).
const NO_LIST: &[GroupType] = &[GroupType::BChatRoom];

/// The body of get_group_muted_account and get_group_shutted_uin (spec §20).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// A topic of a topic community; topics are not emulated.
    TopicId: Option<String>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    GroupId: String,
    MutedAccountList: Vec<Entry>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Entry {
    Member_Account: String,
    MutedUntil: u64,
}

impl VendorCommand for GetGroupMutedAccount {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "get_group_muted_account";
    const SUMMARY: &'static str = "`MutedAccountList` of running mutes (members or not) in the order they were set; 10007 for BChatRoom; non-empty `TopicId` 10004";
    type Request = Request;

    /// Answers the group's running mutes as `{Member_Account, MutedUntil}`.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let (id, list) = muted(&call, request, Self::NAME)?;
        Ok(envelope::ok(Answer {
            GroupId: id,
            MutedAccountList: list
                .into_iter()
                .map(|(a, until)| Entry {
                    Member_Account: a,
                    MutedUntil: until,
                })
                .collect(),
        }))
    }
}

/// The checks of spec §20 and the group's mutes still running now, as (account, until unix
/// seconds) in the order they were set, with the requested `GroupId`.
pub(crate) fn muted(
    call: &Call,
    request: Request,
    command: &str,
) -> Result<(String, Vec<(String, u64)>), VendorError> {
    let id = Some(call.required(request.GroupId, "GroupId", Service::Group)?);
    no_topic(request.TopicId)?;
    let id = group_id(call, id)?;
    let now = call.now();
    let list = call.app.read_group(&id, |g| {
        allow_types(command, g, NO_LIST, VendorError::PermissionDenied)?;
        Ok(g.active_mutes(now)
            .map(|(a, until)| (a.to_string(), until))
            .collect())
    })?;
    Ok((id, list))
}
