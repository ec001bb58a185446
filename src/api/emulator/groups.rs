//! One group's message state, read and seeded from the control plane (spec `messages.md` §39.7),
//! under `/_emulator/apps/{sdkappid}/groups/{group_id}/`:
//!
//! - `GET …/messages`: every stored message, whatever its status (normal, recalled, deleted),
//!   with `OfflinePushInfo` and the flags, each marked `expired` once past the app's history
//!   retention; with the group's `NextMsgSeq`, `LastMsgTime`, `MuteAllMember` and
//!   `OnlineMemberNum`.
//! - `GET …/members`: each member's message state: `MsgSeq` (read position), the derived
//!   `UnreadMsgNum`, `LastSendMsgTime`, `MuteUntil`.
//! - `GET …/notifications`: the system-notification log (§32), oldest first.
//! - `POST …/mute`: `{"account": "bob", "seconds": 60}` sets one account's mute (0 unmutes;
//!   4294967295 is for ever), `{"mute_all": true}` sets `MuteAllMember`; both may be given.
//! - `POST …/online`: `{"online_member_num": 12}` sets what get_online_member_num answers (§38).
//!
//! An unknown app or group is 404, a malformed body 400, both `{"error": …}`, and a refused
//! request changes nothing. The group's `GroupId` goes in the path percent-encoded
//! (`@TGS%232J4SZEAEL`). Seeding writes the state directly: no `InfoSeq` change, no callback.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::reply::{ControlError, json_body};
use crate::domain::group::{Group, GroupType, NOTICES_KEPT, Role, Switch};
use crate::domain::message::{Message, Notice};
use crate::emulator::Shared;
use crate::store::AppState;

/// The largest body the `POST`s read.
const MAX_BODY: usize = 4 << 10;

/// The path parameters: sdkappid and GroupId, as text.
type GroupPath = Result<Path<(String, String)>, PathRejection>;

/// The app and group a path names: 400 for a malformed sdkappid, 404 for an app no request has
/// used or a group it does not hold.
fn target(emu: &Shared, path: GroupPath) -> Result<(Arc<AppState>, String), ControlError> {
    let Path((raw, id)) =
        path.map_err(|e| ControlError::bad_request(format!("the path is not valid: {e}")))?;
    let sdkappid = raw.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ControlError::bad_request(format!("sdkappid {raw:?} is not a positive integer"))
    })?;
    let app = emu.store.existing_app(sdkappid).ok_or_else(|| {
        ControlError::not_found(format!(
            "app {sdkappid} has no state: no request has used it yet"
        ))
    })?;
    if !app.group_exists(&id) {
        return Err(not_found(sdkappid, &id));
    }
    Ok((app, id))
}

fn not_found(sdkappid: u64, id: &str) -> ControlError {
    ControlError::not_found(format!(
        "group {id:?} does not exist in app {sdkappid} (percent-encode # as %23 in the path)"
    ))
}

/// Runs `f` on the group (404 if it went away meanwhile).
fn read<R>(app: &AppState, id: &str, f: impl FnOnce(&Group) -> R) -> Result<R, ControlError> {
    app.with_group(id, f)
        .ok_or_else(|| not_found(app.sdkappid(), id))
}

/// One stored message with its derived expiry (spec §39.7).
#[derive(Serialize)]
pub struct Row {
    #[serde(flatten)]
    message: Message,
    /// Past the app's history retention at the time of the read (history shows a hole).
    expired: bool,
}

/// The messages answer (spec §39.7).
#[derive(Serialize)]
#[allow(non_snake_case)]
pub struct Messages {
    sdkappid: u64,
    GroupId: String,
    Type: GroupType,
    NextMsgSeq: u64,
    LastMsgTime: u64,
    MuteAllMember: Switch,
    OnlineMemberNum: u64,
    /// The app's history retention in seconds (0 = kept for ever).
    retention_s: u64,
    count: usize,
    messages: Vec<Row>,
}

/// `GET …/messages`: every stored message of the group, oldest first.
pub async fn messages(
    State(emu): State<Shared>,
    path: GroupPath,
) -> Result<Json<Messages>, ControlError> {
    let (app, id) = target(&emu, path)?;
    let now = emu.clock.now_secs();
    let retention_s = app.policy().messages.retention_s();
    // Copy under the shard lock, serialize after it.
    let (head, kept) = read(&app, &id, |g| {
        let head = (
            g.group_type,
            g.next_msg_seq,
            g.last_msg_time,
            g.mute_all,
            g.online_member_num,
        );
        (head, g.messages.iter().cloned().collect::<Vec<Message>>())
    })?;
    let (kind, next, last, mute_all, online) = head;
    let messages: Vec<Row> = kept
        .into_iter()
        .map(|m| Row {
            expired: m.is_expired(now, retention_s),
            message: m,
        })
        .collect();
    Ok(Json(Messages {
        sdkappid: app.sdkappid(),
        GroupId: id,
        Type: kind,
        NextMsgSeq: next,
        LastMsgTime: last,
        MuteAllMember: mute_all,
        OnlineMemberNum: online,
        retention_s,
        count: messages.len(),
        messages,
    }))
}

/// One member's message state (spec §39.7, §30.5).
#[derive(Serialize)]
#[allow(non_snake_case)]
pub struct MemberRow {
    Member_Account: String,
    Role: Role,
    MsgSeq: u64,
    UnreadMsgNum: u64,
    LastSendMsgTime: u64,
    MuteUntil: u64,
}

/// The members answer (spec §39.7).
#[derive(Serialize)]
#[allow(non_snake_case)]
pub struct Members {
    sdkappid: u64,
    GroupId: String,
    NextMsgSeq: u64,
    count: usize,
    members: Vec<MemberRow>,
}

/// `GET …/members`: each member's read position, derived unread count, last send time and
/// mute, in member order.
pub async fn members(
    State(emu): State<Shared>,
    path: GroupPath,
) -> Result<Json<Members>, ControlError> {
    let (app, id) = target(&emu, path)?;
    let now = emu.clock.now_secs();
    let (next, members) = read(&app, &id, |g| {
        let rows = g
            .members
            .iter()
            .map(|m| MemberRow {
                Member_Account: m.account().to_string(),
                Role: m.role,
                MsgSeq: m.msg_seq,
                UnreadMsgNum: g.messages.unread_for(m.account(), m.msg_seq),
                LastSendMsgTime: m.last_send_msg_time(),
                MuteUntil: g.muted_until(m.account(), now),
            })
            .collect::<Vec<_>>();
        (g.next_msg_seq, rows)
    })?;
    Ok(Json(Members {
        sdkappid: app.sdkappid(),
        GroupId: id,
        NextMsgSeq: next,
        count: members.len(),
        members,
    }))
}

/// The notification log answer (spec §39.7, §32).
#[derive(Serialize)]
#[allow(non_snake_case)]
pub struct Notifications {
    sdkappid: u64,
    GroupId: String,
    /// How many the log keeps (older ones are dropped).
    kept: usize,
    count: usize,
    notifications: Vec<Notice>,
}

/// `GET …/notifications`: the group's latest system notifications, oldest first.
pub async fn notifications(
    State(emu): State<Shared>,
    path: GroupPath,
) -> Result<Json<Notifications>, ControlError> {
    let (app, id) = target(&emu, path)?;
    let notifications = read(&app, &id, |g| g.notices.iter().cloned().collect::<Vec<_>>())?;
    Ok(Json(Notifications {
        sdkappid: app.sdkappid(),
        GroupId: id,
        kept: NOTICES_KEPT,
        count: notifications.len(),
        notifications,
    }))
}

/// The mute body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mute {
    account: Option<String>,
    seconds: Option<u64>,
    mute_all: Option<bool>,
}

/// `POST …/mute`: sets an account's mute (`account` + `seconds`, as forbid_send_msg would, the
/// account need not be a member) and/or `MuteAllMember` (`mute_all`); answers the group's
/// mute state.
pub async fn mute(
    State(emu): State<Shared>,
    path: GroupPath,
    body: Body,
) -> Result<Json<Value>, ControlError> {
    let (app, id) = target(&emu, path)?;
    let m: Mute = json_body(body, MAX_BODY).await?;
    // The app's own profile (its [[apps]] rules_profile), not the flags'.
    let max = app.policy().rules.mute_time_max;
    let one = match (m.account, m.seconds) {
        (Some(a), Some(s)) => {
            if a.is_empty() {
                return Err(ControlError::bad_request("account must not be empty"));
            }
            if s > max {
                return Err(ControlError::bad_request(format!(
                    "seconds is {s}; give 0 to {max} (0 unmutes, {max} mutes for ever)"
                )));
            }
            Some((a, s))
        }
        (None, None) => None,
        _ => {
            return Err(ControlError::bad_request(
                "give account and seconds together: {\"account\": \"bob\", \"seconds\": 60}",
            ));
        }
    };
    if one.is_none() && m.mute_all.is_none() {
        return Err(ControlError::bad_request(
            "give {\"account\": \"bob\", \"seconds\": 60} (0 unmutes), {\"mute_all\": true|false}, or both",
        ));
    }
    let now = emu.clock.now_secs();
    let answer = app
        .update_group(&id, |g| {
            if let Some((a, s)) = &one {
                g.set_mute(a, *s, now, max);
            }
            if let Some(all) = m.mute_all {
                g.mute_all = if all { Switch::On } else { Switch::Off };
            }
            let muted: Vec<Value> = g
                .active_mutes(now)
                .map(|(a, until)| json!({"Member_Account": a, "MutedUntil": until}))
                .collect();
            Ok(json!({
                "GroupId": g.id,
                "MuteAllMember": g.mute_all,
                "MutedAccounts": muted,
            }))
        })
        .map_err(|_| not_found(app.sdkappid(), &id))?;
    tracing::info!(group = %id, "mute state seeded from the control plane");
    Ok(Json(answer))
}

/// The online-count body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Online {
    online_member_num: Option<u64>,
}

/// `POST …/online`: sets the group's `OnlineMemberNum`.
pub async fn online(
    State(emu): State<Shared>,
    path: GroupPath,
    body: Body,
) -> Result<Json<Value>, ControlError> {
    let (app, id) = target(&emu, path)?;
    let o: Online = json_body(body, MAX_BODY).await?;
    let n = o.online_member_num.ok_or_else(|| {
        ControlError::bad_request(
            "give {\"online_member_num\": N}, a non-negative integer (what get_online_member_num answers)",
        )
    })?;
    app.update_group(&id, |g| {
        g.online_member_num = n;
        Ok(())
    })
    .map_err(|_| not_found(app.sdkappid(), &id))?;
    Ok(Json(json!({ "GroupId": id, "OnlineMemberNum": n })))
}
