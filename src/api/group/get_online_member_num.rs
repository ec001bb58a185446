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
/// AVChatRoom.
const NOT_COUNTED: &[GroupType] = &[
    GroupType::Private,
    GroupType::Public,
    GroupType::ChatRoom,
    GroupType::BChatRoom,
    GroupType::Community,
];

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
    const SUMMARY: &'static str = "`OnlineMemberNum` of an AVChatRoom (set from the control plane, 0 until set); other types 10007";
    type Request = Request;

    /// Answers the group's `OnlineMemberNum`; 10007 unless the group is an AVChatRoom.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let id = group_id(&call, request.GroupId)?;
        let n = call.app.read_group(&id, |g| {
            if NOT_COUNTED.contains(&g.group_type) {
                return Err(VendorError::PermissionDenied(format!(
                    "{NAME} does not apply to {} groups (group {:?}): under the {} rules profile only AVChatRoom groups report an online member count",
                    g.group_type, g.id, call.rules().name
                )));
            }
            Ok(g.online_member_num)
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
