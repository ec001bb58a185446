//! `group_open_http_svc/change_group_owner`: hands a group to another member, or gives an
//! ownerless group an owner (spec §16).
//!
//! Every check and the role swap happen in one atomic update, so concurrent calls leave exactly
//! one `Owner`, the one `Owner_Account` names.

use axum::response::Response;
use compact_str::CompactString;
use serde::Deserialize;

use super::{allow_types, callback_origin, group_id, operator};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::callback::events::{AFTER_CHANGE_GROUP_OWNER, AfterChangeGroupOwner};
use crate::domain::group::{Group, GroupType, Role};
use crate::error::VendorError;

/// `change_group_owner` (spec §16).
pub struct ChangeGroupOwner;

const NAME: &str = "change_group_owner";

/// Types whose ownership does not move (spec §10.2: 10007).
const HUGE: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The change_group_owner body (spec §16.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The member who becomes the owner.
    NewOwner_Account: Option<String>,
    /// The operator the callback reports (must be imported).
    From_Account: Option<String>,
}

/// What a completed handover reports to the after-callback.
struct Handover {
    group_type: GroupType,
    old_owner: Option<String>,
    operator: String,
}

impl VendorCommand for ChangeGroupOwner {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "the new owner must be a member; the old owner becomes Member; 10007 for AVChatRoom/BChatRoom";
    type Request = Request;

    /// Moves ownership (spec §16.2): shape, lookup, type, membership, `From_Account`, then the
    /// atomic swap and the after-callback. Naming the current owner changes nothing.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        // GroupId first; its form (10015) once the rest of the shape is checked (spec §10.4).
        let id = Some(call.required(request.GroupId, "GroupId", Service::Group)?);
        let new_owner =
            call.required(request.NewOwner_Account, "NewOwner_Account", Service::Group)?;
        if new_owner.is_empty() {
            return Err(VendorError::InvalidParameter(
                "NewOwner_Account must not be empty".into(),
            ));
        }
        let id = group_id(&call, id)?;
        let now = call.now();
        let done = call.app.update_group(&id, |g| {
            check(g, &new_owner)?;
            let operator = operator(&call, request.From_Account)?;
            Ok(hand_over(g, &new_owner, now).map(|old_owner| Handover {
                group_type: g.group_type,
                old_owner,
                operator,
            }))
        })?;
        let origin = callback_origin(&call);
        if let Some(h) = done
            && origin.is_on(AFTER_CHANGE_GROUP_OWNER)
        {
            let event = AfterChangeGroupOwner {
                callback_command: AFTER_CHANGE_GROUP_OWNER,
                group_id: id,
                r#type: h.group_type.as_str(),
                operator_account: h.operator,
                old_owner_account: h.old_owner.unwrap_or_default(),
                new_owner_account: new_owner,
                event_time: call.now_ms(),
            };
            call.emu.callbacks.after(origin, &event);
        }
        Ok(envelope::ok(NoFields {}))
    }
}

/// The type rule (10007) and membership (10004) of spec §16.2.
fn check(g: &Group, new_owner: &str) -> Result<(), VendorError> {
    allow_types(NAME, g, HUGE, VendorError::PermissionDenied)?;
    if !g.members.contains(new_owner) {
        return Err(VendorError::InvalidParameter(format!(
            "NewOwner_Account {new_owner:?} is not a member of group {:?}; add them first",
            g.id
        )));
    }
    Ok(())
}

/// Makes `new_owner` (a member) the owner (spec §16.5): the old owner, if any, becomes
/// Member; `InfoSeq` + 1 and `LastInfoTime` = `now`. `None` when `new_owner` already owns the
/// group (nothing changes), else `Some(old owner)`.
fn hand_over(g: &mut Group, new_owner: &str, now: u64) -> Option<Option<String>> {
    if g.owner.as_deref() == Some(new_owner) {
        return None;
    }
    let old = g.owner.take();
    if let Some(m) = old.as_deref().and_then(|o| g.members.get_mut(o)) {
        m.role = Role::Member;
    }
    if let Some(m) = g.members.get_mut(new_owner) {
        m.role = Role::Owner;
    }
    g.owner = Some(new_owner.into());
    g.profile_changed(now);
    Some(old.map(CompactString::into_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::group::Member;

    fn group(t: GroupType, owner: Option<&str>) -> Group {
        let mut g = Group::new(t, "g".into());
        if let Some(o) = owner {
            g.members.push(Member::new(o, Role::Owner, 1));
            g.owner = Some(o.into());
        }
        g.members.push(Member::new("adm", Role::Admin, 1));
        g.members.push(Member::new("bob", Role::Member, 1));
        g
    }

    fn roles(g: &Group) -> Vec<(&str, Role)> {
        g.members.iter().map(|m| (m.account(), m.role)).collect()
    }

    #[test]
    fn huge_types_and_non_members_are_refused() {
        use GroupType::*;
        let table = [
            (AVChatRoom, "bob", Err(10007)),
            (BChatRoom, "nobody", Err(10007)),
            (Public, "nobody", Err(10004)),
            (Private, "bob", Ok(())),
            (ChatRoom, "adm", Ok(())),
        ];
        for (t, who, want) in table {
            let g = group(t, Some("own"));
            assert_eq!(check(&g, who).map_err(|e| e.code()), want, "{t} {who}");
        }
    }

    #[test]
    fn an_admin_is_promoted_and_the_old_owner_becomes_member() {
        let mut g = group(GroupType::Public, Some("own"));
        assert_eq!(hand_over(&mut g, "adm", 50), Some(Some("own".into())));
        assert_eq!(
            roles(&g),
            [
                ("own", Role::Member),
                ("adm", Role::Owner),
                ("bob", Role::Member)
            ]
        );
        assert_eq!(
            (g.owner.as_deref(), g.info_seq, g.last_info_time),
            (Some("adm"), 2, 50)
        );
    }

    #[test]
    fn naming_the_owner_again_changes_nothing() {
        let mut g = group(GroupType::Public, Some("own"));
        let before = g.clone();
        assert_eq!(hand_over(&mut g, "own", 50), None);
        assert_eq!(g, before);
    }

    #[test]
    fn an_ownerless_group_gets_an_owner() {
        let mut g = group(GroupType::Private, None);
        assert_eq!(hand_over(&mut g, "bob", 7), Some(None));
        assert_eq!(roles(&g), [("adm", Role::Admin), ("bob", Role::Owner)]);
        assert_eq!(g.info_seq, 2);
    }
}
