//! `group_open_http_svc/delete_group_member` (spec §13): the App admin removes members.
//!
//! Accounts that are not members are skipped; the owner may be removed only from a Private
//! group, which is then ownerless. The removal is one atomic update of the group; the
//! after-exit callback lists exactly the accounts it removed.

use axum::response::Response;
use serde::Deserialize;

use super::{allow_types, callback_origin, check_silence, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::callback::events::{AFTER_MEMBER_EXIT, AfterMemberExit, member_accounts};
use crate::domain::group::{Group, GroupType};
use crate::domain::wire::Int;
use crate::error::VendorError;

/// `delete_group_member` (spec §13).
pub struct DeleteGroupMember;

const NAME: &str = "delete_group_member";

/// Types this command refuses with 10004 (spec §10.2).
const REFUSED: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The delete_group_member body (spec §13.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// 0 (tell the group, the default) or 1 (tell only the removed); no tips are sent either way.
    Silence: Option<Int>,
    /// Why; kept only in the request journal (the vendor puts it in the removal tip).
    #[allow(dead_code)]
    Reason: Option<String>,
    /// The accounts to remove.
    MemberToDel_Account: Option<Vec<String>>,
}

impl VendorCommand for DeleteGroupMember {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "non-members skipped; the owner only from a Private group (then ownerless), else 10004; 10004 over the batch cap and for AVChatRoom/BChatRoom";
    type Request = Request;

    /// Removes the members of `MemberToDel_Account` (spec §13.2 steps 2 to 6), then queues the
    /// after-exit callback when anyone was removed.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        check_silence(request.Silence, "tell only the removed members")?;
        let accounts = accounts(&call, request.MemberToDel_Account)?;
        let id = group_id(&call, request.GroupId)?;
        let now = call.now();
        let (removed, group_type) = call.app.update_group(&id, |g| {
            let removed = remove(g, &accounts, now)?;
            Ok((removed, g.group_type))
        })?;
        let origin = callback_origin(&call);
        if !removed.is_empty() && origin.is_on(AFTER_MEMBER_EXIT) {
            let event = AfterMemberExit {
                callback_command: AFTER_MEMBER_EXIT,
                group_id: id,
                r#type: group_type.as_str(),
                exit_type: "Kicked",
                operator_account: call.identifier.clone(),
                exit_member_list: member_accounts(removed.iter().map(String::as_str)),
                event_time: call.now_ms(),
            };
            call.emu.callbacks.after(origin, &event);
        }
        Ok(envelope::ok(NoFields {}))
    }
}

/// The distinct accounts of `MemberToDel_Account`, in first-seen order: required, not empty, at
/// most the app's batch cap, no empty item (all 10004; spec §13.1 and §10.5).
fn accounts(call: &Call, list: Option<Vec<String>>) -> Result<Vec<String>, VendorError> {
    let list = call.required(list, "MemberToDel_Account", Service::Group)?;
    if list.is_empty() {
        return Err(VendorError::InvalidParameter(
            "MemberToDel_Account is empty; name at least one member to remove".into(),
        ));
    }
    let max = call.app.policy().limits.delete_group_member_batch as usize;
    if max != 0 && list.len() > max {
        return Err(VendorError::InvalidParameter(format!(
            "MemberToDel_Account has {} items; at most {max} members may be removed in one request, so split the list",
            list.len()
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, account) in list.into_iter().enumerate() {
        if account.is_empty() {
            return Err(VendorError::InvalidParameter(format!(
                "MemberToDel_Account[{i}] is empty; it must name an account"
            )));
        }
        if !out.contains(&account) {
            out.push(account);
        }
    }
    Ok(out)
}

/// Removes from `g` those of `accounts` that are members and returns them, in request order
/// (spec §13.2 steps 3 to 6): 10004 for AVChatRoom/BChatRoom and for the owner of any type but
/// Private, checked before anything changes. A Private group whose owner is removed has none.
fn remove(g: &mut Group, accounts: &[String], now: u64) -> Result<Vec<String>, VendorError> {
    allow_types(NAME, g, REFUSED, VendorError::InvalidParameter)?;
    if let Some(owner) = g.owner.as_deref()
        && g.group_type != GroupType::Private
        && accounts.iter().any(|a| a == owner)
    {
        return Err(VendorError::InvalidParameter(format!(
            "{owner:?} owns {} group {:?} and cannot be removed from it; transfer ownership first with change_group_owner",
            g.group_type, g.id
        )));
    }
    let removed: Vec<String> = accounts
        .iter()
        .filter(|a| g.members.remove(a).is_some())
        .cloned()
        .collect();
    if !removed.is_empty() {
        g.members_changed(now);
    }
    if g.owner
        .as_ref()
        .is_some_and(|o| removed.iter().any(|r| r == o))
    {
        // The owner changed (to none): a profile change too (spec §10.6).
        g.owner = None;
        g.profile_changed(now);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::group::{Member, Role};

    fn group(kind: GroupType) -> Group {
        let mut g = Group::new(kind, "g".into());
        g.id = "g1".into();
        g.owner = Some("owner".into());
        g.last_info_time = 1;
        g.members.push(Member::new("owner", Role::Owner, 1));
        for m in ["a", "b"] {
            g.members.push(Member::new(m, Role::Member, 1));
        }
        g
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn removal_follows_the_spec_rows() {
        type Row<'a> = (GroupType, &'a [&'a str], Result<&'a [&'a str], u32>);
        let table: &[Row] = &[
            (GroupType::Public, &["a", "x"], Ok(&["a"])),
            (GroupType::Public, &["x"], Ok(&[])),
            (GroupType::Public, &["b", "a"], Ok(&["b", "a"])),
            (GroupType::Public, &["a", "owner"], Err(10004)),
            (GroupType::ChatRoom, &["owner"], Err(10004)),
            (GroupType::Private, &["owner", "a"], Ok(&["owner", "a"])),
            (GroupType::AVChatRoom, &["x"], Err(10004)),
            (GroupType::BChatRoom, &["a"], Err(10004)),
        ];
        for (kind, accounts, want) in table {
            let mut g = group(*kind);
            let before = g.clone();
            let got = remove(&mut g, &strings(accounts), 9);
            match want {
                Ok(removed) => {
                    assert_eq!(got, Ok(strings(removed)), "{kind} {accounts:?}");
                    assert_eq!(g.members.len(), 3 - removed.len());
                    let moved = if removed.is_empty() { 1 } else { 9 };
                    assert_eq!(g.last_info_time, moved, "{kind} {accounts:?}");
                    // Only removing the owner is a profile change (spec §10.6).
                    let owner_left = removed.contains(&"owner");
                    assert_eq!(g.info_seq, before.info_seq + u64::from(owner_left));
                }
                Err(code) => {
                    assert_eq!(got.map_err(|e| e.code()), Err(*code), "{kind} {accounts:?}");
                    assert_eq!(g, before, "a refusal changes nothing");
                }
            }
        }
    }

    #[test]
    fn a_private_group_whose_owner_is_removed_has_no_owner() {
        let mut g = group(GroupType::Private);
        g.mutes.insert("owner".into(), 100);
        assert_eq!(
            remove(&mut g, &strings(&["owner"]), 5),
            Ok(strings(&["owner"]))
        );
        assert_eq!(g.owner, None);
        assert!(g.members.iter().all(|m| m.role != Role::Owner));
        assert_eq!(g.mutes.get("owner"), Some(&100), "the mute entry stays");
    }

    #[test]
    fn silence_takes_only_0_and_1() {
        for (s, ok) in [
            (None, true),
            (Some(0), true),
            (Some(1), true),
            (Some(2), false),
        ] {
            assert_eq!(
                check_silence(s.map(Int), "tell only the removed members").is_ok(),
                ok,
                "{s:?}"
            );
        }
    }
}
