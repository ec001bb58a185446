//! `group_open_http_svc/get_group_member_info`: a page of a group's members.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::get_group_info::{Filter, MemberEntry, View, member_entry};
use super::{allow_types, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::{GroupType, Role};
use crate::domain::wire::Int;
use crate::error::VendorError;

/// `get_group_member_info` (SPEC §5, spec §11.2).
pub struct GetGroupMemberInfo;

const NAME: &str = "get_group_member_info";

/// Types whose members this command does not list (spec §11.2: 10007).
const HUGE: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The get_group_member_info body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// Page size; absent or 0 means all.
    Limit: Option<Int>,
    /// Members to skip.
    Offset: Option<Int>,
    /// Only these roles.
    MemberRoleFilter: Option<Vec<String>>,
    /// Only these member fields.
    MemberInfoFilter: Option<Vec<String>>,
    /// Only these member custom keys.
    AppDefinedDataFilter_GroupMember: Option<Vec<String>>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    MemberNum: usize,
    MemberList: Vec<MemberEntry>,
}

impl VendorCommand for GetGroupMemberInfo {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "`Limit` (at most 6000), `Offset`, `MemberInfoFilter`, `MemberRoleFilter`, `AppDefinedDataFilter_GroupMember`; 10007 for AVChatRoom/BChatRoom";
    type Request = Request;

    /// Answers `MemberNum` (all members) and the page `Offset..Offset+Limit` (all when no Limit).
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        // GroupId first; its form (10015) once the rest of the shape is checked (spec §10.4).
        let id = Some(call.required(request.GroupId, "GroupId", Service::Group)?);
        let max = call.rules().member_info_max_limit as usize;
        let limit = non_negative(request.Limit, "Limit")?.filter(|l| *l > 0);
        if let Some(l) = limit
            && l > max
        {
            return Err(VendorError::InvalidParameter(format!(
                "Limit is {l}; at most {max} members come back in one call"
            )));
        }
        let limit = limit.unwrap_or(usize::MAX);
        let offset = non_negative(request.Offset, "Offset")?.unwrap_or(0);
        let roles = role_filter(request.MemberRoleFilter)?;
        let filter = Filter::for_members(
            request.MemberInfoFilter,
            request.AppDefinedDataFilter_GroupMember,
        );
        let id = group_id(&call, id)?;
        let view = View::of(&call);
        let answer = call.app.read_group(&id, |g| {
            allow_types(NAME, g, HUGE, VendorError::PermissionDenied)?;
            Ok(Answer {
                MemberNum: g.members.len(),
                MemberList: g
                    .members
                    .iter()
                    .filter(|m| roles.as_ref().is_none_or(|r| r.contains(&m.role)))
                    .skip(offset)
                    .take(limit)
                    .map(|m| member_entry(g, m, &filter, &view))
                    .collect(),
            })
        });
        Ok(envelope::ok(answer?))
    }
}

fn non_negative(n: Option<Int>, key: &str) -> Result<Option<usize>, VendorError> {
    match n.map(|n| n.0) {
        None => Ok(None),
        Some(n) if n >= 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        Some(n) => Err(VendorError::InvalidParameter(format!(
            "{key} is {n}; it must not be negative"
        ))),
    }
}

fn role_filter(items: Option<Vec<String>>) -> Result<Option<Vec<Role>>, VendorError> {
    let Some(items) = items else { return Ok(None) };
    let mut roles = Vec::with_capacity(items.len());
    for (i, s) in items.iter().enumerate() {
        let role = Role::parse(s).ok_or_else(|| {
            VendorError::InvalidParameter(format!(
                "MemberRoleFilter[{i}] {s:?} must be {}",
                Role::choices()
            ))
        })?;
        roles.push(role);
    }
    Ok(Some(roles))
}
