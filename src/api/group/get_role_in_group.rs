//! `group_open_http_svc/get_role_in_group`: the role of up to 500 accounts in one group
//! (spec §18).

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{allow_types, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::GroupType;
use crate::error::VendorError;

/// `get_role_in_group` (spec §18).
pub struct GetRoleInGroup;

const NAME: &str = "get_role_in_group";

/// Types whose roles this command does not report (spec §10.2: 10007).
const HUGE: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The get_role_in_group body (spec §18).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The accounts to look up, 1 to 500.
    User_Account: Option<Vec<String>>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    UserIdList: Vec<Entry>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Entry {
    Member_Account: String,
    Role: &'static str,
}

impl VendorCommand for GetRoleInGroup {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "1..=500 `User_Account`; `Owner`/`Admin`/`Member`/`NotMember` in request order, repeats included; 10007 for AVChatRoom/BChatRoom";
    type Request = Request;

    /// Answers one entry per requested account, in request order: its role, or `NotMember`.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let max = call.rules().role_batch_max;
        // GroupId first, as its table lists it; its form (10015) once the shape is checked.
        let id = Some(call.required(request.GroupId, "GroupId", Service::Group)?);
        let accounts = call.required(request.User_Account, "User_Account", Service::Group)?;
        if accounts.is_empty() || accounts.len() > max {
            return Err(VendorError::InvalidParameter(format!(
                "User_Account has {} accounts; give 1 to {max}",
                accounts.len()
            )));
        }
        let id = group_id(&call, id)?;
        let answer = call.app.read_group(&id, |g| {
            allow_types(NAME, g, HUGE, VendorError::PermissionDenied)?;
            Ok(Answer {
                UserIdList: accounts
                    .into_iter()
                    .map(|a| Entry {
                        // Spec §18: an account that is not imported reads NotMember, even
                        // when account_delete left it in the member list.
                        Role: g
                            .members
                            .get(&a)
                            .filter(|_| call.is_imported(&a))
                            .map_or("NotMember", |m| m.role.as_str()),
                        Member_Account: a,
                    })
                    .collect(),
            })
        })?;
        Ok(envelope::ok(answer))
    }
}
