//! `group_open_http_svc/get_group_member_info`: a page of a group's members.

use axum::response::Response;
use serde::Serialize;

use super::get_group_info::{Filter, MemberEntry, member_entry};
use super::{required_group_id, type_error};
use crate::api::command::Call;
use crate::api::envelope;
use crate::domain::group::Role;
use crate::domain::json::{Object, item_str, opt_array, opt_int};
use crate::error::VendorError;

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    MemberNum: usize,
    MemberList: Vec<MemberEntry>,
}

fn non_negative(body: &Object, key: &str) -> Result<Option<usize>, VendorError> {
    match opt_int(body, key).map_err(type_error)? {
        None => Ok(None),
        Some(n) if n >= 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        Some(n) => Err(VendorError::InvalidParameter(format!(
            "{key} is {n}; it must not be negative"
        ))),
    }
}

fn role_filter(body: &Object) -> Result<Option<Vec<Role>>, VendorError> {
    let Some(items) = opt_array(body, "MemberRoleFilter").map_err(type_error)? else {
        return Ok(None);
    };
    let mut roles = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let s = item_str(v, "MemberRoleFilter", i).map_err(type_error)?;
        let role = Role::parse(s).ok_or_else(|| {
            VendorError::InvalidParameter(format!(
                "MemberRoleFilter[{i}] {s:?} must be Owner, Admin or Member"
            ))
        })?;
        roles.push(role);
    }
    Ok(Some(roles))
}

/// Answers `MemberNum` (all members) and the page `Offset..Offset+Limit` (all when no Limit).
pub fn handle(call: Call) -> Result<Response, VendorError> {
    let id = required_group_id(&call.body)?;
    let limit = non_negative(&call.body, "Limit")?
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let offset = non_negative(&call.body, "Offset")?.unwrap_or(0);
    let roles = role_filter(&call.body)?;
    let filter = Filter::for_members(&call.body)?;
    let answer = call.app.with_group(id, |g| Answer {
        MemberNum: g.members.len(),
        MemberList: g
            .members
            .iter()
            .filter(|m| roles.as_ref().is_none_or(|r| r.contains(&m.role)))
            .skip(offset)
            .take(limit)
            .map(|m| member_entry(m, &filter))
            .collect(),
    });
    let answer = answer.ok_or_else(|| VendorError::GroupNotFound(id.to_string()))?;
    Ok(envelope::ok(answer))
}
