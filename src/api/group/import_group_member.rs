//! `group_open_http_svc/import_group_member`: members migrated from another system, with their
//! old join times (spec §22). Each member gets its own `Result`; the whole batch is applied in one
//! atomic update, and nothing is sent to the app backend.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::set_unread_msg_num::{keeps_unread, read_position};
use super::{MemberResult, allow_types, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::{Group, GroupType, Member, Role};
use crate::domain::wire::Int;
use crate::error::VendorError;

/// `import_group_member` (spec §22).
pub struct ImportGroupMember;

const NAME: &str = "import_group_member";

/// Types whose members cannot be imported (spec §10.2: 10007).
const HUGE: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The import_group_member body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The members, 1 to the batch cap (10005 beyond); each item is typed after the count
    /// checks (spec §22.1, §10.4).
    MemberList: Option<Vec<serde_json::Value>>,
}

/// One `MemberList` item.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Item {
    /// The account (required, non-empty).
    Member_Account: Option<String>,
    /// Only `Admin`; absent = Member.
    Role: Option<String>,
    /// When the member joined (unix seconds); absent = now.
    JoinTime: Option<Int>,
    /// How many of the group's messages the member has not read (≥ 0).
    UnreadMsgNum: Option<Int>,
}

/// One checked `MemberList` item.
#[derive(Debug)]
struct Import {
    account: String,
    role: Role,
    /// The given `JoinTime`; `None` = now, which needs no check.
    join_time: Option<i128>,
    unread: Option<u64>,
    /// Whether the account is imported (read before the group's lock is taken).
    imported: bool,
    /// Whether the account is already in as many groups as the per-user quota allows.
    over_quota: bool,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    MemberList: Vec<MemberResult>,
}

impl VendorCommand for ImportGroupMember {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "`MemberList` (1–300: 10005) with `Role`, `JoinTime`, `UnreadMsgNum`; per-member `Result` 0/1/2; 10007 for AVChatRoom/BChatRoom; no callbacks";
    type Request = Request;

    /// Imports the members (spec §22.2): shape, lookup, type rule, then per member in request
    /// order: already a member → 2; not imported, a `JoinTime` not after `CreateTime` or after
    /// now, over the joined-groups quota, or the group full → 0; else added → 1.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let items = check_items(&call, request.MemberList)?;
        let id = group_id(&call, request.GroupId)?;
        let imports = eligibility(&call, items);
        let now = call.now();
        let results = call.app.update_group(&id, |g| {
            allow_types(NAME, g, HUGE, VendorError::PermissionDenied)?;
            check_admins(g, &imports)?;
            Ok(apply(g, imports, now))
        })?;
        Ok(envelope::ok(Answer {
            MemberList: results,
        }))
    }
}

/// The request's shape (spec §22.1): `MemberList` present, 1 to the app's batch cap (10005
/// beyond), each item with a non-empty `Member_Account`, `Role` only `Admin`, `UnreadMsgNum`
/// not negative.
fn check_items(
    call: &Call,
    list: Option<Vec<serde_json::Value>>,
) -> Result<Vec<Import>, VendorError> {
    let list = call.required(list, "MemberList", Service::Group)?;
    if list.is_empty() {
        return Err(invalid(
            "MemberList is empty; give at least one member to import".into(),
        ));
    }
    let max = call.app.policy().limits.import_group_member_batch as usize;
    if max != 0 && list.len() > max {
        return Err(VendorError::TooManyMembers {
            count: list.len(),
            max,
            note: crate::diagnose::today_note(
                call.rules().name,
                "items",
                max,
                crate::rules::today::IMPORT_GROUP_MEMBER_BATCH,
                list.len(),
            ),
        });
    }
    list.iter().enumerate().map(check_item).collect()
}

fn check_item((i, raw): (usize, &serde_json::Value)) -> Result<Import, VendorError> {
    let item: Item = crate::domain::wire::from_value(raw, &format!("MemberList[{i}]"))
        .map_err(|e| invalid(e.to_string()))?;
    let account = match item.Member_Account {
        Some(a) if !a.is_empty() => a,
        _ => {
            return Err(invalid(format!(
                "MemberList[{i}].Member_Account is required and must not be empty"
            )));
        }
    };
    let role = match item.Role.as_deref() {
        None => Role::Member,
        Some("Admin") => Role::Admin,
        Some(other) => {
            return Err(invalid(format!(
                "MemberList[{i}].Role {other:?} is not allowed; the only role is \"Admin\" (leave Role out for an ordinary member)"
            )));
        }
    };
    let unread = match item.UnreadMsgNum.map(|n| n.0) {
        None => None,
        Some(n) if n >= 0 => Some(u64::try_from(n).unwrap_or(u64::MAX)),
        Some(n) => {
            return Err(invalid(format!(
                "MemberList[{i}].UnreadMsgNum is {n}; it must not be negative"
            )));
        }
    };
    Ok(Import {
        account,
        role,
        join_time: item.JoinTime.map(|t| t.0),
        unread,
        imported: false,
        over_quota: false,
    })
}

/// Fills in what each item's account needs from outside the group: whether it is imported,
/// and whether it is at the per-user quota (`groups_per_user`, 0 = off; spec §25).
fn eligibility(call: &Call, mut items: Vec<Import>) -> Vec<Import> {
    let quota = call.app.policy().limits.groups_per_user as usize;
    for item in &mut items {
        item.imported = call.is_imported(&item.account);
        item.over_quota = quota != 0 && call.app.joined_count(&item.account) >= quota;
    }
    items
}

/// `Role: "Admin"` in a type without admins (Private) is 10004 for the whole request (spec
/// §22.1, emulator choice as for modify_group_member_info).
fn check_admins(g: &Group, items: &[Import]) -> Result<(), VendorError> {
    if g.group_type != GroupType::Private {
        return Ok(());
    }
    match items.iter().position(|m| m.role == Role::Admin) {
        None => Ok(()),
        Some(i) => Err(invalid(format!(
            "MemberList[{i}].Role: a Private group has no admins; leave Role out"
        ))),
    }
}

/// Adds the eligible members in request order and answers one result per item. A repeated
/// account is judged against the members as they stand at that item, so once it was added its
/// repeat reads 2 (emulator choice).
fn apply(g: &mut Group, items: Vec<Import>, now: u64) -> Vec<MemberResult> {
    let mut results = Vec::with_capacity(items.len());
    let mut added = false;
    for item in items {
        let result = if g.members.contains(&item.account) {
            2
        } else if let Some(join_time) = admissible(g, &item, now) {
            let mut m = Member::new(item.account.clone(), item.role, join_time);
            // Set as set_unread_msg_num sets it (spec §22.1, §37): capped at the messages
            // counting toward the member's unread; no effect where no unread is kept.
            if let Some(unread) = item.unread.filter(|_| keeps_unread(g)) {
                m.msg_seq = read_position(g, &item.account, unread);
            }
            g.members.push(m);
            added = true;
            1
        } else {
            0
        };
        results.push(MemberResult {
            Member_Account: item.account,
            Result: result,
        });
    }
    if added {
        g.members_changed(now);
    }
    results
}

/// The member's join time, or `None` when the item fails (Result 0): not imported, a given
/// `JoinTime` not later than the group's `CreateTime` or later than now, at the per-user quota,
/// or the group full (spec §22.2).
fn admissible(g: &Group, item: &Import, now: u64) -> Option<u64> {
    let full = g.max_members != 0 && g.members.len() >= g.max_members as usize;
    if !item.imported || item.over_quota || full {
        return None;
    }
    match item.join_time {
        None => Some(now),
        Some(t) if t > i128::from(g.create_time) && t <= i128::from(now) => Some(t as u64),
        Some(_) => None,
    }
}

fn invalid(msg: String) -> VendorError {
    VendorError::InvalidParameter(msg)
}
