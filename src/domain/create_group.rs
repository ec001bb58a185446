//! create_group's request, converted once into a validated [`NewGroup`] in the vendor's order.
//!
//! The order of checks follows SPEC §3.3 steps 2 to 5 (spec §40.4 steps 2 to 5 under
//! `current`): field types (the typed [`Request`]); then `Name`, `Type` (aliases, BChatRoom,
//! Community's edition 10059 and feature 11000), `Introduction`, `Notification`, `FaceUrl`,
//! `GroupId`, `MaxMemberCount`, `ApplyJoinOption`, `InviteJoinOption`, `SupportTopic` /
//! `EnablePermission` / `DefaultPermission`, `AppDefinedData`, `MemberList` is an array; then
//! the type's creation rule (10007), the list size (10005), each member, and the member count
//! (10004, or 10038 over the edition cap). State checks (imported accounts, a free ID, quotas,
//! sensitive words) need the store and happen in the handler.

use compact_str::CompactString;
use serde::Deserialize;
use serde_json::Value;

use super::custom_data::{self, CustomItem, CustomKind, Writer};
use super::group::{ApplyJoinOption, Group, GroupType, InviteJoinOption, Member, Role};
use super::wire::{self, Int};
use crate::apps::AppPolicy;
use crate::diagnose;
use crate::error::VendorError;
use crate::rules::{GroupTypeRule, RulesProfile, today};

/// The create_group body, with the vendor's field names (SPEC §3.1). `MemberList` stays raw
/// JSON: that it is an array is checked after `AppDefinedData`, and its items after the 10007
/// and 10005 rules, as §3.3 orders.
#[derive(Debug, Default, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The owner.
    pub Owner_Account: Option<String>,
    /// The group type.
    pub Type: Option<String>,
    /// A custom ID.
    pub GroupId: Option<String>,
    /// The name.
    pub Name: Option<String>,
    /// The introduction.
    pub Introduction: Option<String>,
    /// The notification.
    pub Notification: Option<String>,
    /// The avatar URL.
    pub FaceUrl: Option<String>,
    /// The member cap.
    pub MaxMemberCount: Option<Int>,
    /// How applications to join are handled.
    pub ApplyJoinOption: Option<String>,
    /// Group custom data.
    pub AppDefinedData: Option<Vec<CustomItem>>,
    /// Top-level member custom data (validated, otherwise ignored).
    pub AppMemberDefinedData: Option<Vec<CustomItem>>,
    /// The initial members (raw; see the type's doc).
    pub MemberList: Option<Value>,
    /// Who may invite (`current` only, spec §40.2 #8; raw, so the default profile ignores it
    /// whatever its JSON type).
    pub InviteJoinOption: Option<Value>,
    /// Whether a Community has topics, 0 or 1 (`current` only, spec §40.2 #9; raw).
    pub SupportTopic: Option<Value>,
    /// Whether a Community's topics use permission groups, 0 or 1 (spec §40.2 #9; raw).
    pub EnablePermission: Option<Value>,
    /// A Community's default permission bits (spec §40.2 #9; raw).
    pub DefaultPermission: Option<Value>,
}

/// One `MemberList` item.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct MemberItem {
    Member_Account: Option<String>,
    Role: Option<String>,
    AppMemberDefinedData: Option<Vec<CustomItem>>,
}

/// A create_group request that passed every stateless rule; only [`parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewGroup {
    /// The group to store: profile, owner and members (owner first, then the distinct members
    /// in request order); the store stamps the ID and the times.
    pub group: Group,
    /// The custom GroupId, if one was asked for.
    pub custom_id: Option<String>,
}

impl NewGroup {
    /// The members other than the owner, in request order.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        let owner = self.group.owner.as_deref();
        self.group
            .members
            .iter()
            .filter(move |m| Some(m.account()) != owner)
    }
}

fn invalid(msg: impl Into<String>) -> VendorError {
    VendorError::InvalidParameter(msg.into())
}

fn within(field: &str, value: Option<String>, max: usize) -> Result<String, VendorError> {
    let v = value.unwrap_or_default();
    if v.len() > max {
        return Err(invalid(diagnose::too_long(field, &v, max)));
    }
    Ok(v)
}

fn check_name(
    name: Option<&str>,
    body: &[u8],
    rules: &RulesProfile,
) -> Result<String, VendorError> {
    match name {
        None => Err(invalid(wire::missing("Name", body))),
        Some("") => Err(invalid("Name must not be empty")),
        Some(n) => within("Name", Some(n.to_string()), rules.name_max_bytes),
    }
}

fn check_type(
    t: Option<&str>,
    body: &[u8],
    policy: &AppPolicy,
) -> Result<&'static GroupTypeRule, VendorError> {
    let rules = policy.rules;
    let t = t.ok_or_else(|| {
        invalid(format!(
            "{}; one of {}",
            wire::missing("Type", body),
            rules.type_names()
        ))
    })?;
    let rule = policy.group_type(t).ok_or_else(|| {
        if matches!(t, "Work" | "Meeting") && rules.type_aliases && !policy.switches.type_aliases {
            return invalid(format!(
                "Type {t:?} is an alias this app has switched off ([apps.rules] type_aliases = false); send \"{}\"",
                if t == "Work" { "Private" } else { "ChatRoom" }
            ));
        }
        if t == "BChatRoom" && rules.allow_bchatroom && !policy.switches.allow_bchatroom {
            return invalid(
                "Type \"BChatRoom\" is switched off for this app ([apps.rules] allow_bchatroom = false)",
            );
        }
        invalid(diagnose::unknown_type("Type", t, rules))
    })?;
    if rule.kind == GroupType::Community {
        let edition = rules.edition.map_or("", |e| e.as_str());
        if !rules.community_allowed {
            return Err(VendorError::EditionRequired(format!(
                "the {edition} edition has no Community groups; Ultimate and Enterprise have them (--edition / the app's edition)"
            )));
        }
        if !policy.features.community {
            return Err(VendorError::FeatureOff(
                "this app has Community groups switched off ([apps.features] community = false)"
                    .into(),
            ));
        }
    }
    Ok(rule)
}

fn check_group_id(
    id: Option<String>,
    rules: &RulesProfile,
    kind: GroupType,
) -> Result<Option<String>, VendorError> {
    let Some(id) = id else { return Ok(None) };
    let max = rules.group_id_max_bytes;
    if id.len() > max {
        return Err(invalid(format!(
            "{}{}",
            diagnose::too_long("GroupId", &id, max),
            super::group_id::today_note(rules, id.len())
        )));
    }
    if rules.group_id_printable_ascii
        && let Some((at, c)) = id.char_indices().find(|(_, c)| !(' '..='~').contains(c))
    {
        return Err(invalid(format!(
            "GroupId holds {c:?} at byte {at}; under the {} rules profile a custom GroupId is printable ASCII only (0x20 to 0x7e)",
            rules.name
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(invalid(
            "GroupId must not contain control (non-printable) characters",
        ));
    }
    if kind == GroupType::Community {
        return check_community_id(id, rules);
    }
    let prefix = rules.assigned_id_prefix;
    if id.starts_with(prefix) {
        return Err(invalid(format!(
            "GroupId must not start with {prefix:?}; that prefix marks IDs the service assigns"
        )));
    }
    Ok(Some(id))
}

/// A custom Community GroupId starts `@TGS#_`, has at least one byte more, and does not start
/// like an assigned Community ID (spec §40.2 #3; 10004).
fn check_community_id(id: String, rules: &RulesProfile) -> Result<Option<String>, VendorError> {
    let (must, assigned) = (rules.community_custom_prefix, rules.community_id_prefix);
    if !id.starts_with(must) || id.len() == must.len() {
        return Err(invalid(format!(
            "GroupId {id:?}: a custom Community GroupId must start with {must:?} followed by at least one more character, e.g. \"{must}team\"; or leave GroupId out to get one assigned"
        )));
    }
    if id.starts_with(assigned) {
        return Err(invalid(format!(
            "GroupId {id:?} must not start with {assigned:?}; that prefix marks Community IDs the service assigns"
        )));
    }
    Ok(Some(id))
}

/// `MaxMemberCount`: 1..=`cap` (the app's cap for the type; `None` unlimited), 10004 beyond;
/// absent, the cap. Also whether the request gave it.
fn check_max_members(
    given: Option<Int>,
    ty: &GroupTypeRule,
    cap: Option<u32>,
    rules: &RulesProfile,
) -> Result<(u32, bool), VendorError> {
    let limit = cap.unwrap_or(u32::MAX);
    match given.map(|n| n.0) {
        None => Ok((cap.unwrap_or(0), false)),
        Some(n) if n >= 1 && n <= i128::from(limit) => Ok((n as u32, true)),
        Some(n) => Err(invalid(format!(
            "MaxMemberCount is {n}; a {} group takes 1 to {limit}{}",
            ty.name(),
            edition_note(rules)
        ))),
    }
}

/// `" under the … edition of the current rules profile"`, or `""` for the default profile.
fn edition_note(rules: &RulesProfile) -> String {
    match rules.edition {
        Some(e) => format!(
            " under the {} edition of the {} rules profile",
            e.as_str(),
            rules.name
        ),
        None => String::new(),
    }
}

/// `ApplyJoinOption`: one of the vendor's values. Absent, `NeedPermission`, or under `current`
/// the type's default of spec §40.4; a Community ignores it (stored as `FreeAccess`, #10).
fn check_apply_join(
    v: Option<&str>,
    kind: GroupType,
    rules: &RulesProfile,
) -> Result<ApplyJoinOption, VendorError> {
    let given = v.map(parse_apply_join).transpose()?;
    if !rules.create_group_join_options {
        return Ok(given.unwrap_or(ApplyJoinOption::NeedPermission));
    }
    Ok(match (kind, given) {
        (GroupType::Community, _) => ApplyJoinOption::FreeAccess,
        (_, Some(v)) => v,
        (GroupType::Public, None) => ApplyJoinOption::NeedPermission,
        (GroupType::Private, None) => ApplyJoinOption::DisableApply,
        (_, None) => ApplyJoinOption::FreeAccess,
    })
}

/// `InviteJoinOption` at creation (spec §40.2 #8, `current` only): one of the three values,
/// refused on AVChatRoom (10004); absent, the type's default of spec §40.4 (none for
/// AVChatRoom). The default profile ignores the field.
fn check_invite_join(
    v: Option<&Value>,
    kind: GroupType,
    rules: &RulesProfile,
) -> Result<Option<InviteJoinOption>, VendorError> {
    if !rules.create_group_join_options {
        return Ok(None);
    }
    if let Some(v) = v.filter(|v| !v.is_null()) {
        if kind == GroupType::AVChatRoom {
            return Err(invalid(
                "InviteJoinOption does not apply to AVChatRoom groups (members join by applying); leave it out",
            ));
        }
        let parsed = v.as_str().and_then(InviteJoinOption::parse);
        return parsed.map(Some).ok_or_else(|| {
            invalid(format!(
                "InviteJoinOption {v} must be {}",
                InviteJoinOption::choices()
            ))
        });
    }
    Ok(match kind {
        GroupType::Private | GroupType::Community => Some(InviteJoinOption::FreeAccess),
        GroupType::Public | GroupType::ChatRoom => Some(InviteJoinOption::DisableInvite),
        _ => None,
    })
}

/// A non-negative integer of a raw field, 10004 otherwise; absent or `null` is 0.
fn flag_value(field: &str, v: Option<&Value>) -> Result<u64, VendorError> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| invalid(format!("{field} is {v}; it must be a non-negative integer"))),
    }
}

/// `SupportTopic`, `EnablePermission` and `DefaultPermission` (spec §40.2 #9, `current` only):
/// non-zero only on a Community; `SupportTopic` and `EnablePermission` 0 or 1;
/// `EnablePermission` 1 needs `SupportTopic` 1, a non-zero `DefaultPermission` needs
/// `EnablePermission` 1 (10004).
fn check_topics(
    [topic, perm, default_perm]: [Option<&Value>; 3],
    kind: GroupType,
    rules: &RulesProfile,
) -> Result<(), VendorError> {
    if !rules.create_group_join_options {
        return Ok(());
    }
    let topic = flag_value("SupportTopic", topic)?;
    let perm = flag_value("EnablePermission", perm)?;
    let default_perm = flag_value("DefaultPermission", default_perm)?;
    for (field, v) in [("SupportTopic", topic), ("EnablePermission", perm)] {
        if v > 1 {
            return Err(invalid(format!("{field} is {v}; it must be 0 or 1")));
        }
    }
    if kind != GroupType::Community {
        if let Some((field, _)) = [
            ("SupportTopic", topic),
            ("EnablePermission", perm),
            ("DefaultPermission", default_perm),
        ]
        .into_iter()
        .find(|(_, v)| *v != 0)
        {
            return Err(invalid(format!(
                "{field} applies to Community groups only, not {kind}; leave it out or send 0"
            )));
        }
        return Ok(());
    }
    if perm == 1 && topic != 1 {
        return Err(invalid(
            "EnablePermission 1 needs SupportTopic 1 (permission groups are for topics)",
        ));
    }
    if default_perm != 0 && perm != 1 {
        return Err(invalid(
            "DefaultPermission needs EnablePermission 1; send EnablePermission 1 or leave DefaultPermission out",
        ));
    }
    Ok(())
}

fn parse_apply_join(v: &str) -> Result<ApplyJoinOption, VendorError> {
    ApplyJoinOption::parse(v).ok_or_else(|| {
        invalid(format!(
            "ApplyJoinOption {v:?} must be {}",
            ApplyJoinOption::choices()
        ))
    })
}

/// Converts a create_group request into a [`NewGroup`], or the first vendor error in SPEC order.
pub fn parse(
    req: Request,
    body: &[u8],
    rules: &'static RulesProfile,
    policy: &AppPolicy,
) -> Result<NewGroup, VendorError> {
    let name = check_name(req.Name.as_deref(), body, rules)?;
    let rule = check_type(req.Type.as_deref(), body, policy)?;
    let introduction = within(
        "Introduction",
        req.Introduction,
        rules.introduction_max_bytes,
    )?;
    let notification = within(
        "Notification",
        req.Notification,
        rules.notification_max_bytes,
    )?;
    let face_url = within("FaceUrl", req.FaceUrl, rules.face_url_max_bytes)?;
    let custom_id = check_group_id(req.GroupId.filter(|s| !s.is_empty()), rules, rule.kind)?;
    let (max_members, explicit_max) =
        check_max_members(req.MaxMemberCount, rule, policy.member_cap(rule), rules)?;
    let apply_join = check_apply_join(req.ApplyJoinOption.as_deref(), rule.kind, rules)?;
    let invite_join = check_invite_join(req.InviteJoinOption.as_ref(), rule.kind, rules)?;
    let topics = [
        req.SupportTopic.as_ref(),
        req.EnablePermission.as_ref(),
        req.DefaultPermission.as_ref(),
    ];
    check_topics(topics, rule.kind, rules)?;
    let custom = match req.AppDefinedData {
        Some(items) => custom_data::parse_new(
            items,
            "AppDefinedData",
            CustomKind::Group,
            rules,
            &policy.group_fields,
            Writer::Admin,
        )?,
        None => Vec::new(),
    };
    if let Some(items) = req.AppMemberDefinedData {
        custom_data::parse_new(
            items,
            "AppMemberDefinedData",
            CustomKind::Member,
            rules,
            &policy.member_fields,
            Writer::Admin,
        )?;
    }
    let list = member_list(req.MemberList.as_ref())?;
    let mut group = Group::new(rule.kind, name);
    group.introduction = introduction;
    group.notification = notification;
    group.face_url = face_url;
    group.max_members = max_members;
    group.apply_join = apply_join;
    group.invite_join = invite_join;
    group.custom = custom;
    let owner = req.Owner_Account.filter(|s| !s.is_empty());
    if let Some(owner) = &owner {
        group
            .members
            .push(Member::new(owner.clone(), Role::Owner, 0));
    }
    group.owner = owner.map(CompactString::from);
    add_members(&mut group, rule, list, explicit_max, policy)?;
    Ok(NewGroup { group, custom_id })
}

fn member_list(list: Option<&Value>) -> Result<&[Value], VendorError> {
    match list {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(invalid(format!(
            "MemberList must be an array, not {}",
            super::json::type_name(v)
        ))),
    }
}

fn add_members(
    g: &mut Group,
    rule: &GroupTypeRule,
    list: &[Value],
    explicit_max: bool,
    policy: &AppPolicy,
) -> Result<(), VendorError> {
    let rules = policy.rules;
    if !list.is_empty() && !rule.members_at_creation {
        return Err(VendorError::PermissionDenied(format!(
            "a {} group takes no MemberList at creation; members join by applying",
            rule.name()
        )));
    }
    if list.len() > rules.member_list_max {
        return Err(VendorError::TooManyMembers {
            count: list.len(),
            max: rules.member_list_max,
            note: diagnose::today_note(
                rules.name,
                "items",
                rules.member_list_max,
                today::MEMBER_LIST_MAX,
                list.len(),
            ),
        });
    }
    for (i, item) in list.iter().enumerate() {
        add_member(g, rule, item, i, rules, policy)?;
    }
    let count = g.members.len();
    if g.max_members != 0 && count > g.max_members as usize {
        if !explicit_max && rules.member_cap_code_10038 {
            return Err(VendorError::EditionMemberCap(format!(
                "the group would have {count} members (owner included) but a {} group holds at most {}{}; give fewer members or upgrade the edition",
                rule.name(),
                g.max_members,
                edition_note(rules)
            )));
        }
        return Err(invalid(format!(
            "the group would have {count} members (owner included) but MaxMemberCount is {}",
            g.max_members
        )));
    }
    Ok(())
}

fn add_member(
    g: &mut Group,
    rule: &GroupTypeRule,
    item: &Value,
    i: usize,
    rules: &RulesProfile,
    policy: &AppPolicy,
) -> Result<(), VendorError> {
    let at = format!("MemberList[{i}]");
    let item: MemberItem = wire::from_value(item, &at).map_err(|e| invalid(e.to_string()))?;
    let account = match item.Member_Account {
        Some(a) if !a.is_empty() => a,
        _ => {
            return Err(invalid(format!(
                "{at}.Member_Account is required and must not be empty"
            )));
        }
    };
    let is_owner = g.owner.as_deref() == Some(account.as_str());
    let role = check_role(item.Role.as_deref(), i, is_owner, rule)?;
    let writer = if is_owner {
        Writer::OwnerSelf
    } else {
        Writer::Admin
    };
    let custom = match item.AppMemberDefinedData {
        Some(items) => custom_data::parse_new(
            items,
            &format!("{at}.AppMemberDefinedData"),
            CustomKind::Member,
            rules,
            &policy.member_fields,
            writer,
        )?,
        None => Vec::new(),
    };
    match g.members.get_mut(&account) {
        // The owner's own entry: its custom data counts (the first time it is given).
        Some(owner) if is_owner => {
            if owner.custom().is_empty() {
                owner.set_custom(custom);
            }
        }
        Some(_) => {} // a repeated member counts once
        None => {
            let mut m = Member::new(account, role, 0);
            m.set_custom(custom);
            g.members.push(m);
        }
    }
    Ok(())
}

fn check_role(
    role: Option<&str>,
    i: usize,
    is_owner: bool,
    ty: &GroupTypeRule,
) -> Result<Role, VendorError> {
    match role {
        None => Ok(Role::Member),
        Some("Admin") if is_owner => Err(invalid(format!(
            "MemberList[{i}] is the owner and cannot also be given Role Admin; leave Role out"
        ))),
        Some("Admin") if !ty.has_admins => Err(invalid(format!(
            "MemberList[{i}].Role: a {} group has no admins; leave Role out",
            ty.name()
        ))),
        Some("Admin") => Ok(Role::Admin),
        Some(other) => Err(invalid(format!(
            "MemberList[{i}].Role {other:?} is not allowed; the only role is \"Admin\""
        ))),
    }
}
