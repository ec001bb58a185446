//! `group_open_http_svc/modify_group_member_info`: an App admin changes one member's in-group
//! profile: role, message option, group card, member custom data, mute (spec §15).
//!
//! The body is converted once into a `Change` (the §15.1 rules that need no state, in table
//! order); the rules that need the group run inside one atomic update in §15.2's order (type,
//! membership, role rules, Private mute, custom-field permissions and the key limit) before
//! anything is written. Member fields are not group info: `InfoSeq` and `LastInfoTime` stay.

use axum::response::Response;
use serde::Deserialize;

use super::{allow_types, callback_origin, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::apps::{AppPolicy, FieldPolicy};
use crate::callback::events::{AFTER_MEMBER_FIELD_CHANGED, AfterMemberFieldChanged};
use crate::domain::custom_data::{self, CustomEntry, CustomItem, CustomKind, Writer};
use crate::domain::group::{Group, GroupType, MsgFlag, Role};
use crate::domain::wire::{Int, Lazy};
use crate::error::VendorError;
use crate::rules::RulesProfile;

/// `modify_group_member_info` (spec §15).
pub struct ModifyGroupMemberInfo;

const NAME: &str = "modify_group_member_info";

/// Types whose members this command does not change (spec §10.2: 10007).
const HUGE: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The modify_group_member_info body (spec §15.1); `null` is absent, unknown fields (DOBYTE's
/// `ShutUpUntil` among them) are ignored.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The member to change.
    Member_Account: Option<String>,
    /// `Admin` or `Member`.
    Role: Option<String>,
    /// `AcceptAndNotify`, `AcceptNotNotify` or `Discard`.
    MsgFlag: Option<String>,
    /// The group card (at most 50 bytes; `""` clears it).
    NameCard: Option<String>,
    /// Member custom fields to set; `Value: ""` deletes a key.
    AppMemberDefinedData: Option<Vec<CustomItem>>,
    /// Seconds of mute from now; 0 unmutes.
    MuteTime: Option<Int>,
    /// The legacy name of `MuteTime` (spec §11.1); the current name wins.
    #[serde(default)]
    ShutUpTime: Lazy<Int>,
}

/// A request that passed every rule of spec §15.1 that needs no state; only [`parse`] makes one.
#[derive(Debug, PartialEq, Eq)]
struct Change {
    account: String,
    role: Option<Role>,
    msg_flag: Option<MsgFlag>,
    name_card: Option<String>,
    /// Well-formed entries; the app's permissions are checked against the group's step.
    custom: Vec<CustomEntry>,
    mute_time: Option<u64>,
}

impl VendorCommand for ModifyGroupMemberInfo {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "`Role` Admin/Member, `MsgFlag`, `NameCard` (50 bytes), `AppMemberDefinedData`, `MuteTime` (or legacy `ShutUpTime`); 10007 for AVChatRoom/BChatRoom and for a Private mute";
    type Request = Request;

    /// Changes one member (spec §15.2): shape, lookup, type, membership, role rules, Private
    /// mute, custom fields, then one atomic write and the after-callback.
    async fn handle(call: Call, mut request: Request) -> Result<Response, VendorError> {
        // GroupId first; its form (10015) once the rest of the shape is checked (spec §10.4).
        let id = Some(call.required(request.GroupId.take(), "GroupId", Service::Group)?);
        let account = call.required(
            request.Member_Account.take(),
            "Member_Account",
            Service::Group,
        )?;
        let change = parse(account, request, call.rules())?;
        let id = group_id(&call, id)?;
        let (rules, policy, now) = (call.rules(), call.app.policy(), call.now());
        let (changed, group_type) = call.app.update_group(&id, |g| {
            let custom = plan(g, &change, rules, policy)?;
            Ok((write(g, &change, custom, now, rules), g.group_type))
        })?;
        let origin = callback_origin(&call);
        if changed.any() && origin.is_on(AFTER_MEMBER_FIELD_CHANGED) {
            let event = changed.event(
                id,
                group_type,
                &call.identifier,
                change.account,
                call.now_ms(),
            );
            call.emu.callbacks.after(origin, &event);
        }
        Ok(envelope::ok(NoFields {}))
    }
}

fn invalid(msg: String) -> VendorError {
    VendorError::InvalidParameter(msg)
}

/// Converts the body (its `GroupId` already checked, its `Member_Account` present) into a
/// [`Change`], checking each value in the order of the spec §15.1 table.
fn parse(account: String, r: Request, rules: &RulesProfile) -> Result<Change, VendorError> {
    if account.is_empty() {
        return Err(invalid("Member_Account must not be empty".into()));
    }
    let role = match r.Role.as_deref() {
        None => None,
        Some("Admin") => Some(Role::Admin),
        Some("Member") => Some(Role::Member),
        Some(other) => {
            return Err(invalid(format!(
                "Role {other:?} cannot be set here; use \"Admin\" (make an admin) or \"Member\" (remove an admin); ownership moves with change_group_owner"
            )));
        }
    };
    let msg_flag = match r.MsgFlag.as_deref() {
        None => None,
        Some(v) => Some(MsgFlag::parse(v).ok_or_else(|| {
            invalid(format!(
                "MsgFlag {v:?} must be {} (case-sensitive)",
                MsgFlag::choices()
            ))
        })?),
    };
    let max = rules.name_card_max_bytes;
    if let Some(card) = &r.NameCard
        && card.len() > max
    {
        return Err(invalid(crate::diagnose::too_long("NameCard", card, max)));
    }
    let custom = match r.AppMemberDefinedData {
        Some(items) => custom_data::parse(
            items,
            "AppMemberDefinedData",
            CustomKind::Member,
            rules,
            &FieldPolicy::Any,
            Writer::Admin,
        )?,
        None => Vec::new(),
    };
    let (mute_field, mute) = match r.MuteTime {
        Some(v) => ("MuteTime", Some(v)),
        None => (
            "ShutUpTime",
            r.ShutUpTime
                .typed("ShutUpTime")
                .map_err(|e| VendorError::InvalidParameter(e.to_string()))?,
        ),
    };
    let mute_time = match mute.map(|n| n.0) {
        None => None,
        Some(n) if n >= 0 && n <= i128::from(rules.mute_time_max) => Some(n as u64),
        Some(n) => {
            return Err(invalid(format!(
                "{mute_field} is {n}; it takes 0 (unmute) to {} seconds ({} means for ever)",
                rules.mute_time_max, rules.mute_time_max
            )));
        }
    };
    Ok(Change {
        account,
        role,
        msg_flag,
        name_card: r.NameCard,
        custom,
        mute_time,
    })
}

/// Spec §15.2 from the lookup on, against the stored group `g`, changing nothing: the type
/// (10007), membership (10004), the role rules (10004), a Private mute (10007), the app's
/// custom-field permissions (10004 / 10007) and the per-member key limit. Returns the member's
/// custom data as it will be stored.
fn plan(
    g: &Group,
    c: &Change,
    rules: &RulesProfile,
    policy: &AppPolicy,
) -> Result<Vec<CustomEntry>, VendorError> {
    allow_types(NAME, g, HUGE, VendorError::PermissionDenied)?;
    let member = g.members.get(&c.account).ok_or_else(|| {
        invalid(format!(
            "Member_Account {:?} is not a member of group {:?}",
            c.account, g.id
        ))
    })?;
    if let Some(role) = c.role {
        check_role(g, member.role, role, rules)?;
    }
    if c.mute_time.is_some() && g.group_type == GroupType::Private {
        return Err(VendorError::PermissionDenied(
            "members of a Private (Work) group cannot be muted; leave MuteTime out".into(),
        ));
    }
    let custom = custom_data::plan_changes(
        member.custom(),
        &c.custom,
        "AppMemberDefinedData",
        CustomKind::Member,
        rules,
        &policy.member_fields,
    )?;
    Ok(custom)
}

/// The role rules of spec §15.1: the owner's role does not change here; a type without admins
/// takes no `Admin`.
fn check_role(g: &Group, now: Role, new: Role, rules: &RulesProfile) -> Result<(), VendorError> {
    if now == Role::Owner {
        return Err(invalid(format!(
            "Member_Account is the owner of group {:?}; the owner's role cannot be changed here (use change_group_owner)",
            g.id
        )));
    }
    let has_admins = rules.rule_of(g.group_type).is_some_and(|r| r.has_admins);
    if new == Role::Admin && !has_admins {
        return Err(invalid(format!(
            "Role Admin: a {} group has no admins",
            g.group_type
        )));
    }
    Ok(())
}

/// The changed ones of the two fields the after-callback reports (spec §15.4).
#[derive(Debug, Default, PartialEq, Eq)]
struct FieldsChanged {
    role: Option<&'static str>,
    name_card: Option<String>,
}

impl FieldsChanged {
    fn any(&self) -> bool {
        self.role.is_some() || self.name_card.is_some()
    }

    fn event(
        self,
        group_id: String,
        t: GroupType,
        operator: &str,
        account: String,
        ms: u64,
    ) -> AfterMemberFieldChanged {
        AfterMemberFieldChanged {
            callback_command: AFTER_MEMBER_FIELD_CHANGED,
            group_id,
            r#type: t.as_str(),
            operator_account: operator.to_string(),
            modified_account: account.clone(),
            member_account: account,
            role: self.role,
            name_card: self.name_card,
            event_time: ms,
        }
    }
}

/// Writes a checked change (spec §15.5): the member's fields, its custom data, and the mute
/// table (`now + MuteTime`, capped; 0 removes the entry). The member list order, `InfoSeq` and
/// `LastInfoTime` stay.
fn write(
    g: &mut Group,
    c: &Change,
    custom: Vec<CustomEntry>,
    now: u64,
    rules: &RulesProfile,
) -> FieldsChanged {
    let mut changed = FieldsChanged::default();
    if let Some(m) = g.members.get_mut(&c.account) {
        if let Some(role) = c.role.filter(|r| *r != m.role) {
            m.role = role;
            changed.role = Some(role.as_str());
        }
        if let Some(card) = c.name_card.as_ref().filter(|v| *v != m.name_card()) {
            m.set_name_card(card.clone());
            changed.name_card = Some(card.clone());
        }
        if let Some(flag) = c.msg_flag {
            m.msg_flag = flag;
        }
        m.set_custom(custom);
    }
    if let Some(seconds) = c.mute_time {
        g.set_mute(&c.account, seconds, now, rules.mute_time_max);
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::Limits;
    use crate::domain::group::Member;
    use crate::rules::DEFAULT;
    use serde_json::{Value, json};

    fn parsed(body: Value) -> Result<Change, u32> {
        let r: Request = crate::domain::wire::from_value(&body, "").map_err(|_| 10004_u32)?;
        parse("bob".into(), r, &DEFAULT).map_err(|e| e.code())
    }

    #[test]
    fn value_rules_hold_on_both_sides_of_each_limit() {
        let max = 4_294_967_295_u64;
        let table = [
            (json!({"Role": "Admin"}), Ok(())),
            (json!({"Role": "Member"}), Ok(())),
            (json!({"Role": "Owner"}), Err(10004)),
            (json!({"Role": "admin"}), Err(10004)),
            (json!({"MsgFlag": "AcceptNotNotify"}), Ok(())),
            (json!({"MsgFlag": "Discard"}), Ok(())),
            (json!({"MsgFlag": "discard"}), Err(10004)),
            (json!({"NameCard": "c".repeat(50)}), Ok(())),
            (json!({"NameCard": "c".repeat(51)}), Err(10004)),
            (
                json!({"NameCard": format!("{}ab", "名".repeat(16))}),
                Ok(()),
            ), // 50 bytes
            (json!({"NameCard": "名".repeat(17)}), Err(10004)), // 51 bytes
            (json!({"NameCard": ""}), Ok(())),
            (json!({"MuteTime": 0}), Ok(())),
            (json!({"MuteTime": max}), Ok(())),
            (json!({"MuteTime": max + 1}), Err(10004)),
            (json!({"MuteTime": -1}), Err(10004)),
            (json!({"ShutUpTime": max + 1}), Err(10004)),
            (json!({"MuteTime": 60, "ShutUpTime": -1}), Ok(())),
            (json!({"MuteTime": 60, "ShutUpTime": "x"}), Ok(())),
            (json!({"ShutUpTime": "x"}), Err(10004)),
            (
                json!({"AppMemberDefinedData": [{"Key": "k", "Value": "v".repeat(64)}]}),
                Ok(()),
            ),
            (
                json!({"AppMemberDefinedData": [{"Key": "k", "Value": "v".repeat(65)}]}),
                Err(10004),
            ),
        ];
        for (body, want) in table {
            assert_eq!(parsed(body.clone()).map(|_| ()), want, "{body}");
        }
    }

    #[test]
    fn the_current_mute_name_wins_and_the_legacy_one_is_read_alone() {
        let both = parsed(json!({"MuteTime": 60, "ShutUpTime": 120}));
        assert_eq!(both.map(|c| c.mute_time), Ok(Some(60)));
        let legacy = parsed(json!({"ShutUpTime": 120}));
        assert_eq!(legacy.map(|c| c.mute_time), Ok(Some(120)));
    }

    fn group(t: GroupType) -> Group {
        let mut g = Group::new(t, "g".into());
        g.members.push(Member::new("own", Role::Owner, 1));
        g.members.push(Member::new("bob", Role::Member, 1));
        g.owner = Some("own".into());
        g
    }

    fn planned(t: GroupType, account: &str, body: Value) -> Result<(), u32> {
        let r: Request = crate::domain::wire::from_value(&body, "").map_err(|_| 10004_u32)?;
        let c = parse(account.into(), r, &DEFAULT).map_err(|e| e.code())?;
        let policy = AppPolicy::zero_config(Limits::UNLIMITED);
        plan(&group(t), &c, &DEFAULT, &policy)
            .map(|_| ())
            .map_err(|e| e.code())
    }

    #[test]
    fn state_rules_give_the_spec_codes_in_order() {
        use GroupType::*;
        let table = [
            (AVChatRoom, "nobody", json!({"Role": "Admin"}), Err(10007)),
            (BChatRoom, "bob", json!({}), Err(10007)),
            (Public, "nobody", json!({"Role": "Admin"}), Err(10004)),
            (Public, "own", json!({"Role": "Member"}), Err(10004)),
            (Public, "own", json!({"NameCard": "boss"}), Ok(())),
            (Private, "bob", json!({"Role": "Admin"}), Err(10004)),
            (Private, "bob", json!({"Role": "Member"}), Ok(())),
            (
                Private,
                "own",
                json!({"Role": "Admin", "MuteTime": 5}),
                Err(10004),
            ),
            (Private, "bob", json!({"MuteTime": 0}), Err(10007)),
            (Public, "bob", json!({"MuteTime": 5}), Ok(())),
            (
                ChatRoom,
                "bob",
                json!({"Role": "Admin", "MuteTime": 5}),
                Ok(()),
            ),
        ];
        for (t, account, body, want) in table {
            assert_eq!(
                planned(t, account, body.clone()),
                want,
                "{t} {account} {body}"
            );
        }
    }

    #[test]
    fn writing_reports_only_role_and_card_changes_and_leaves_group_times_alone() {
        let mut g = group(GroupType::Public);
        let before = (g.info_seq, g.last_info_time);
        let c = Change {
            account: "bob".into(),
            role: Some(Role::Member),
            msg_flag: Some(MsgFlag::Discard),
            name_card: Some(String::new()),
            custom: Vec::new(),
            mute_time: Some(60),
        };
        let changed = write(&mut g, &c, Vec::new(), 1000, &DEFAULT);
        assert!(!changed.any(), "same role, same card: {changed:?}");
        assert_eq!(g.muted_until("bob", 1000), 1060);
        let m = g.members.get("bob").expect("member");
        assert_eq!(m.msg_flag, MsgFlag::Discard);
        let c = Change {
            role: Some(Role::Admin),
            name_card: Some("B".into()),
            ..c
        };
        let changed = write(&mut g, &c, Vec::new(), 1000, &DEFAULT);
        assert_eq!(changed.role, Some("Admin"));
        assert_eq!(changed.name_card.as_deref(), Some("B"));
        assert_eq!((g.info_seq, g.last_info_time), before);
    }
}
