//! `group_open_http_svc/forbid_send_msg`: mutes or unmutes up to 500 accounts in one group
//! (spec §19). The mute table is kept apart from the member list, so an account need not be a
//! member: its mute is recorded and holds if it joins (and outlives its leaving).

use axum::response::Response;
use serde::Deserialize;

use super::{allow_types, ensure_imported, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::domain::group::GroupType;
use crate::domain::wire::{self, Int, Lazy};
use crate::error::VendorError;

/// `forbid_send_msg` (spec §19).
pub struct ForbidSendMsg;

const NAME: &str = "forbid_send_msg";

/// Types where nobody can be muted (spec §10.2: 10007).
const UNMUTABLE: &[GroupType] = &[GroupType::Private, GroupType::BChatRoom];

/// The forbid_send_msg body (spec §19.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The accounts, 1 to 500, each imported.
    Members_Account: Option<Vec<String>>,
    /// Seconds of mute from now; 0 unmutes, 4294967295 is for ever.
    MuteTime: Option<Int>,
    /// The pre-2022 name of `MuteTime` (spec §11.1); `MuteTime` wins when both are sent.
    #[serde(default)]
    ShutUpTime: Lazy<Int>,
    /// A topic of a topic community; topics are not emulated.
    TopicId: Option<String>,
}

impl VendorCommand for ForbidSendMsg {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "1..=500 imported `Members_Account` (members or not); `MuteTime` (legacy `ShutUpTime`) 0..=4294967295, 0 unmutes; 10007 for Private/BChatRoom; non-empty `TopicId` 10004";
    type Request = Request;

    /// Sets every account's mute to now + `MuteTime` (0 removes it), all at once.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let rules = call.rules();
        // GroupId first, as its table lists it; its form (10015) once the shape is checked.
        let id = Some(call.required(request.GroupId, "GroupId", Service::Group)?);
        let accounts = call.required(request.Members_Account, "Members_Account", Service::Group)?;
        let max = rules.mute_batch_max;
        if accounts.is_empty() || accounts.len() > max {
            return Err(VendorError::InvalidParameter(format!(
                "Members_Account has {} accounts; give 1 to {max}",
                accounts.len()
            )));
        }
        if let Some(i) = accounts.iter().position(String::is_empty) {
            return Err(VendorError::InvalidParameter(format!(
                "Members_Account[{i}] is empty; give an account ID"
            )));
        }
        let seconds = mute_time(
            &call,
            match request.MuteTime {
                Some(t) => Some(t),
                None => request
                    .ShutUpTime
                    .typed("ShutUpTime")
                    .map_err(|e| VendorError::InvalidParameter(e.to_string()))?,
            },
            rules.mute_time_max,
        )?;
        no_topic(request.TopicId)?;
        let id = group_id(&call, id)?;
        let now = call.now();
        call.app.update_group(&id, |g| {
            allow_types(NAME, g, UNMUTABLE, VendorError::PermissionDenied)?;
            for a in &accounts {
                ensure_imported(&call, "Members_Account", a)?;
            }
            for a in &accounts {
                g.set_mute(a, seconds, now, rules.mute_time_max);
            }
            Ok(())
        })?;
        Ok(envelope::ok(NoFields {}))
    }
}

/// `MuteTime` (or `ShutUpTime`): required, 0..=`max` seconds.
fn mute_time(call: &Call, n: Option<Int>, max: u64) -> Result<u64, VendorError> {
    let n = n.ok_or_else(|| {
        VendorError::InvalidParameter(format!(
            "{}: the seconds to mute for, 0 to unmute (the legacy name ShutUpTime is accepted too)",
            wire::missing("MuteTime", &call.body)
        ))
    })?;
    u64::try_from(n.0)
        .ok()
        .filter(|s| *s <= max)
        .ok_or_else(|| {
            VendorError::InvalidParameter(format!(
                "MuteTime is {}; give 0 to {max} seconds (0 unmutes, {max} mutes for ever)",
                n.0
            ))
        })
}

/// 10004 for a non-empty `TopicId`: topic communities are not emulated (spec §19.1, §20);
/// `""` counts as absent.
pub(crate) fn no_topic(topic: Option<String>) -> Result<(), VendorError> {
    match topic.filter(|t| !t.is_empty()) {
        None => Ok(()),
        Some(t) => Err(VendorError::InvalidParameter(format!(
            "TopicId {t:?}: topics of topic communities are not emulated; leave TopicId out to act on the group itself"
        ))),
    }
}
