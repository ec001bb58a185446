//! `group_open_http_svc/get_online_member_num`: a group's online member count (spec
//! `messages.md` §38). The emulator has no client logins to count, so the number is the group's
//! `OnlineMemberNum`, set from the control plane (`POST /_emulator/apps/{sdkappid}/groups/{id}/online`;
//! 0 until set).

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::group_id;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::GroupType;
use crate::error::VendorError;

/// `get_online_member_num` (spec §38).
pub struct GetOnlineMemberNum;

const NAME: &str = "get_online_member_num";

/// Types without an online count under the default profile (spec §38: 10007): every type but
/// AVChatRoom. Under `current`, Ultimate and Enterprise apps with the feature
/// `group_online_status` count every type (spec §40.2 #17).
const NOT_COUNTED: &[GroupType] = &[
    GroupType::Private,
    GroupType::Public,
    GroupType::ChatRoom,
    GroupType::BChatRoom,
    GroupType::Community,
];

/// Why `call`'s app may not read the online count of a group of type `t`, if it may not
/// (spec §38): the type, then under `current` the edition and the app feature.
fn refusal(call: &Call, t: GroupType, id: &str) -> Option<VendorError> {
    if !NOT_COUNTED.contains(&t) {
        return None;
    }
    let rules = call.rules();
    if !rules.online_count_all_types {
        let edition = rules
            .edition
            .map_or(String::new(), |e| format!(" in the {} edition", e.as_str()));
        let today = if rules.edition.is_some() {
            "; the Ultimate and Enterprise editions count every type when the app has the feature group_online_status"
        } else {
            "; under the current rules profile the Ultimate and Enterprise editions count every type"
        };
        return Some(VendorError::PermissionDenied(format!(
            "{NAME} does not apply to {t} groups (group {id:?}): under the {} rules profile{edition} only AVChatRoom groups report an online member count{today}",
            rules.name
        )));
    }
    if !call.app.policy().features.group_online_status {
        return Some(VendorError::PermissionDenied(format!(
            "{NAME} on a {t} group (group {id:?}) needs the app feature group_online_status (group member online status): set [apps.features] group_online_status = true; AVChatRoom groups need neither"
        )));
    }
    None
}

/// The get_online_member_num body (spec §38).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    OnlineMemberNum: u64,
}

impl VendorCommand for GetOnlineMemberNum {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "`OnlineMemberNum` of an AVChatRoom (set from the control plane, 0 until set); other types 10007, except under `current` Ultimate/Enterprise with the feature `group_online_status`";
    type Request = Request;

    /// Answers the group's `OnlineMemberNum`; 10007 unless the group is an AVChatRoom or the
    /// app's edition and features count its type.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let id = group_id(&call, request.GroupId)?;
        let n = call
            .app
            .read_group(&id, |g| match refusal(&call, g.group_type, &g.id) {
                Some(e) => Err(e),
                None => Ok(g.online_member_num),
            })?;
        Ok(envelope::ok(Answer { OnlineMemberNum: n }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_avchatroom_is_counted() {
        for t in GroupType::ALL {
            assert_eq!(!NOT_COUNTED.contains(t), *t == GroupType::AVChatRoom, "{t}");
        }
    }
}
