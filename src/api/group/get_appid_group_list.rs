//! `group_open_http_svc/get_appid_group_list`: the app's group IDs, paged with `Next`.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::api::command::{Call, RateClass, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::wire::Int;
use crate::error::VendorError;
use crate::store::throttle::mono_nanos;

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
        let base = rules.group_list_cursor_base;
        let next = match request.Next.map(|n| n.0) {
            None | Some(0) => 0,
            Some(n) if n < 0 => {
                return Err(VendorError::InvalidParameter(format!(
                    "Next is {n}; it must not be negative"
                )));
            }
            Some(n) if base != 0 && n < i128::from(base) => {
                return Err(VendorError::InvalidParameter(format!(
                    "Next is {n}, which no answer gave: cursors come from an earlier answer's Next (0 starts from the beginning) and are at least {base}; keep them as unsigned 64-bit numbers (profile {})",
                    rules.name
                )));
            }
            // A cursor names the position of the last group of its page; listing goes on
            // after it.
            Some(n) if base != 0 => u64::try_from(n - i128::from(base)).unwrap_or(u64::MAX) + 1,
            Some(n) => u64::try_from(n).unwrap_or(u64::MAX),
        };
        let per_second = call.app.policy().limits.group_list_per_second;
        if per_second != 0
            && !call.emu.store.try_call(
                call.app.sdkappid(),
                RateClass::GroupList,
                &call.app.policy().limits,
                mono_nanos(),
            )
        {
            return Err(VendorError::QuotaExceeded(format!(
                "get_appid_group_list may be called {per_second} time(s) a second per app under the {} profile; wait a second (--no-limits turns it off)",
                rules.name
            )));
        }
        let group_type = request.GroupType.filter(|t| !t.is_empty());
        let kind =
            match group_type.as_deref() {
                None => None,
                Some(t) => Some(call.app.policy().group_type(t).map(|r| r.kind).ok_or_else(
                    || {
                        VendorError::InvalidParameter(format!(
                            "GroupType {t:?} is not a group type; use one of {}",
                            rules.type_names()
                        ))
                    },
                )?),
            };
        let page = call.app.list_groups(next, limit as usize, kind);
        Ok(envelope::ok(Answer {
            TotalCount: page.total,
            GroupIdList: page
                .ids
                .into_iter()
                .map(|group_id| IdEntry { group_id })
                .collect(),
            // The store's `next` is the position after the page's last group (0: none).
            Next: match page.next {
                0 => 0,
                n if base != 0 => base + n - 1,
                n => n,
            },
        }))
    }
}
