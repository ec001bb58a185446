//! `group_open_http_svc/get_appid_group_list`: the app's group IDs, paged with `Next`.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::wire::Int;
use crate::error::VendorError;

/// `get_appid_group_list` (SPEC §5).
pub struct GetAppidGroupList;

/// The get_appid_group_list body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// Page size, 1 to 10000 (the default).
    Limit: Option<Int>,
    /// Where to start: 0 (the default) or a previous answer's `Next`.
    Next: Option<Int>,
    /// Only groups of this type.
    GroupType: Option<String>,
}

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

impl VendorCommand for GetAppidGroupList {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "get_appid_group_list";
    const SUMMARY: &'static str =
        "`Limit` (default and most 10000), `Next` paging, `GroupType` filter, `TotalCount`";
    type Request = Request;

    /// Lists up to `Limit` groups (default and most 10000) from `Next`, of `GroupType` if given.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let rules = call.rules();
        let max = rules.group_list_max_limit;
        let limit = match request.Limit.map(|n| n.0) {
            None => max,
            Some(n) if n >= 1 && n <= i128::from(max) => n as u32,
            Some(n) => {
                return Err(VendorError::InvalidParameter(format!(
                    "Limit is {n}; give 1 to {max}"
                )));
            }
        };
        let next = match request.Next.map(|n| n.0) {
            None => 0,
            Some(n) => u64::try_from(n).map_err(|_| {
                VendorError::InvalidParameter(format!("Next is {n}; it must not be negative"))
            })?,
        };
        let group_type = request.GroupType.filter(|t| !t.is_empty());
        let kind = match group_type.as_deref() {
            None => None,
            Some(t) => Some(rules.group_type(t).map(|r| r.kind).ok_or_else(|| {
                VendorError::InvalidParameter(format!(
                    "GroupType {t:?} is not a group type; use one of {}",
                    rules.type_names()
                ))
            })?),
        };
        let page = call.app.list_groups(next, limit as usize, kind);
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
}
