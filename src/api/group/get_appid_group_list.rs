//! `group_open_http_svc/get_appid_group_list`: the app's group IDs, paged with `Next`.

use axum::response::Response;
use serde::Serialize;

use super::type_error;
use crate::api::command::Call;
use crate::api::envelope;
use crate::domain::json::{opt_int, opt_str};
use crate::error::VendorError;

#[derive(Serialize)]
struct IdEntry {
    #[serde(rename = "GroupId")]
    group_id: String,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    TotalCount: usize,
    GroupIdList: Vec<IdEntry>,
    Next: u64,
}

/// Lists up to `Limit` groups (default and most 10000) from `Next`, of `GroupType` if given.
pub fn handle(call: Call) -> Result<Response, VendorError> {
    let rules = call.emu.rules;
    let max = rules.group_list_max_limit;
    let limit = match opt_int(&call.body, "Limit").map_err(type_error)? {
        None => max,
        Some(n) if n >= 1 && n <= i128::from(max) => n as u32,
        Some(n) => {
            return Err(VendorError::InvalidParameter(format!(
                "Limit is {n}; give 1 to {max}"
            )));
        }
    };
    let next = match opt_int(&call.body, "Next").map_err(type_error)? {
        None => 0,
        Some(n) => u64::try_from(n).map_err(|_| {
            VendorError::InvalidParameter(format!("Next is {n}; it must not be negative"))
        })?,
    };
    let group_type = opt_str(&call.body, "GroupType")
        .map_err(type_error)?
        .filter(|t| !t.is_empty());
    if let Some(t) = group_type
        && rules.group_type(t).is_none()
    {
        return Err(VendorError::InvalidParameter(format!(
            "GroupType {t:?} is not a group type; use one of {}",
            rules.type_names()
        )));
    }
    let page = call.app.list_groups(next, limit as usize, group_type);
    Ok(envelope::ok(Answer {
        TotalCount: page.total,
        GroupIdList: page
            .ids
            .into_iter()
            .map(|group_id| IdEntry { group_id })
            .collect(),
        Next: page.next,
    }))
}
