//! create_group's request, converted once into a validated [`NewGroup`] in the vendor's order.
//!
//! The order of checks follows SPEC §3.3 steps 2 to 5: field types; then `Name`, `Type`,
//! `Introduction`, `Notification`, `FaceUrl`, `GroupId`, `MaxMemberCount`, `ApplyJoinOption`,
//! `AppDefinedData`, `MemberList` is an array; then the type's creation rule (10007), the list
//! size (10005), each member, and the member count. State checks (imported accounts, a free ID,
//! quotas, sensitive words) need the store and happen in the handler.

use serde_json::Value;

use super::custom_data::{self, CustomEntry, CustomKind, Writer};
use super::group::{ApplyJoinOption, GroupProfile, Role};
use super::json::{Object, item_object, opt_array, opt_int, opt_str};
use crate::apps::AppPolicy;
use crate::error::VendorError;
use crate::rules::{GroupTypeRule, RulesProfile};

/// A create_group request that passed every stateless rule; only [`parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewGroup {
    /// Type, name, texts, `MaxMemberCount` (as given, or the type's default: 0 for an unlimited
    /// type), `ApplyJoinOption`, owner and `AppDefinedData`.
    pub profile: GroupProfile,
    /// The custom GroupId, if one was asked for.
    pub custom_id: Option<String>,
    /// Custom data the owner's own `MemberList` entry carries.
    pub owner_custom: Vec<CustomEntry>,
    /// The distinct members other than the owner, in request order.
    pub members: Vec<NewMember>,
}

/// One member to add at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    /// The member's UserID.
    pub account: String,
    /// `Admin` or `Member`.
    pub role: Role,
    /// `AppMemberDefinedData`.
    pub custom: Vec<CustomEntry>,
}

impl NewGroup {
    /// Every account the group will hold, owner first.
    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.profile
            .owner
            .as_deref()
            .into_iter()
            .chain(self.members.iter().map(|m| m.account.as_str()))
    }
}

/// The fields after the type pass: each present with the right JSON type.
struct Typed<'a> {
    owner: Option<&'a str>,
    group_type: Option<&'a str>,
    group_id: Option<&'a str>,
    name: Option<&'a str>,
    introduction: Option<&'a str>,
    notification: Option<&'a str>,
    face_url: Option<&'a str>,
    max_members: Option<i128>,
    apply_join: Option<&'a str>,
    custom: Option<&'a [Value]>,
    top_member_custom: Option<&'a [Value]>,
}

fn invalid(msg: impl Into<String>) -> VendorError {
    VendorError::InvalidParameter(msg.into())
}

fn typed(body: &Object) -> Result<Typed<'_>, VendorError> {
    let t = |e: super::json::FieldTypeError| invalid(e.to_string());
    Ok(Typed {
        owner: opt_str(body, "Owner_Account")
            .map_err(t)?
            .filter(|s| !s.is_empty()),
        group_type: opt_str(body, "Type").map_err(t)?,
        group_id: opt_str(body, "GroupId")
            .map_err(t)?
            .filter(|s| !s.is_empty()),
        name: opt_str(body, "Name").map_err(t)?,
        introduction: opt_str(body, "Introduction").map_err(t)?,
        notification: opt_str(body, "Notification").map_err(t)?,
        face_url: opt_str(body, "FaceUrl").map_err(t)?,
        max_members: opt_int(body, "MaxMemberCount").map_err(t)?,
        apply_join: opt_str(body, "ApplyJoinOption").map_err(t)?,
        custom: opt_array(body, "AppDefinedData").map_err(t)?,
        top_member_custom: opt_array(body, "AppMemberDefinedData").map_err(t)?,
    })
}

fn within(field: &str, value: Option<&str>, max: usize) -> Result<String, VendorError> {
    let v = value.unwrap_or("");
    if v.len() > max {
        return Err(invalid(format!(
            "{field} is {} bytes; at most {max} allowed",
            v.len()
        )));
    }
    Ok(v.to_string())
}

fn check_name(name: Option<&str>, rules: &RulesProfile) -> Result<String, VendorError> {
    match name {
        None => Err(invalid("Name is required")),
        Some("") => Err(invalid("Name must not be empty")),
        Some(n) => within("Name", Some(n), rules.name_max_bytes),
    }
}

fn check_type(
    t: Option<&str>,
    rules: &'static RulesProfile,
) -> Result<&'static GroupTypeRule, VendorError> {
    let t = t.ok_or_else(|| invalid(format!("Type is required; one of {}", rules.type_names())))?;
    rules.group_type(t).ok_or_else(|| {
        invalid(format!(
            "Type {t:?} is not a group type; use one of {} (case-sensitive)",
            rules.type_names()
        ))
    })
}

fn check_group_id(id: Option<&str>, rules: &RulesProfile) -> Result<Option<String>, VendorError> {
    let Some(id) = id else { return Ok(None) };
    let max = rules.group_id_max_bytes;
    if id.len() > max {
        return Err(invalid(format!(
            "GroupId is {} bytes; at most {max} allowed",
            id.len()
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(invalid(
            "GroupId must not contain control (non-printable) characters",
        ));
    }
    let prefix = rules.assigned_id_prefix;
    if id.starts_with(prefix) {
        return Err(invalid(format!(
            "GroupId must not start with {prefix:?}; that prefix marks IDs the service assigns"
        )));
    }
    Ok(Some(id.to_string()))
}

fn check_max_members(given: Option<i128>, ty: &GroupTypeRule) -> Result<u32, VendorError> {
    let cap = ty.max_members.unwrap_or(u32::MAX);
    match given {
        None => Ok(ty.max_members.unwrap_or(0)),
        Some(n) if n >= 1 && n <= i128::from(cap) => Ok(n as u32),
        Some(n) => Err(invalid(format!(
            "MaxMemberCount is {n}; a {} group takes 1 to {cap}",
            ty.name
        ))),
    }
}

fn check_apply_join(v: Option<&str>) -> Result<ApplyJoinOption, VendorError> {
    let Some(v) = v else {
        return Ok(ApplyJoinOption::NeedPermission);
    };
    ApplyJoinOption::parse(v).ok_or_else(|| {
        invalid(format!(
            "ApplyJoinOption {v:?} must be FreeAccess, NeedPermission or DisableApply"
        ))
    })
}

/// Converts a create_group body into a [`NewGroup`], or the first vendor error in SPEC order.
pub fn parse(
    body: &Object,
    rules: &'static RulesProfile,
    policy: &AppPolicy,
) -> Result<NewGroup, VendorError> {
    let f = typed(body)?;
    let name = check_name(f.name, rules)?;
    let group_type = check_type(f.group_type, rules)?;
    let introduction = within("Introduction", f.introduction, rules.introduction_max_bytes)?;
    let notification = within("Notification", f.notification, rules.notification_max_bytes)?;
    let face_url = within("FaceUrl", f.face_url, rules.face_url_max_bytes)?;
    let custom_id = check_group_id(f.group_id, rules)?;
    let max_members = check_max_members(f.max_members, group_type)?;
    let apply_join = check_apply_join(f.apply_join)?;
    let custom = match f.custom {
        Some(items) => custom_data::parse(
            items,
            "AppDefinedData",
            CustomKind::Group,
            rules,
            &policy.group_fields,
            Writer::Admin,
        )?,
        None => Vec::new(),
    };
    if let Some(items) = f.top_member_custom {
        custom_data::parse(
            items,
            "AppMemberDefinedData",
            CustomKind::Member,
            rules,
            &policy.member_fields,
            Writer::Admin,
        )?;
    }
    let list = member_list(body)?;
    let profile = GroupProfile {
        group_type,
        name,
        introduction,
        notification,
        face_url,
        max_members,
        apply_join,
        owner: f.owner.map(str::to_string),
        custom,
    };
    let mut group = NewGroup {
        profile,
        custom_id,
        owner_custom: Vec::new(),
        members: Vec::new(),
    };
    add_members(&mut group, list, rules, policy)?;
    Ok(group)
}

fn member_list(body: &Object) -> Result<&[Value], VendorError> {
    match body.get("MemberList") {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(invalid(format!(
            "MemberList must be an array, not {}",
            super::json::type_name(v)
        ))),
    }
}

fn add_members(
    g: &mut NewGroup,
    list: &[Value],
    rules: &RulesProfile,
    policy: &AppPolicy,
) -> Result<(), VendorError> {
    if !list.is_empty() && !g.profile.group_type.members_at_creation {
        return Err(VendorError::PermissionDenied(format!(
            "a {} group takes no MemberList at creation; members join by applying",
            g.profile.group_type.name
        )));
    }
    if list.len() > rules.member_list_max {
        return Err(VendorError::TooManyMembers {
            count: list.len(),
            max: rules.member_list_max,
        });
    }
    for (i, item) in list.iter().enumerate() {
        add_member(g, item, i, rules, policy)?;
    }
    let count = g.members.len() + usize::from(g.profile.owner.is_some());
    if g.profile.max_members != 0 && count > g.profile.max_members as usize {
        return Err(invalid(format!(
            "the group would have {count} members (owner included) but MaxMemberCount is {}",
            g.profile.max_members
        )));
    }
    Ok(())
}

fn add_member(
    g: &mut NewGroup,
    item: &Value,
    i: usize,
    rules: &RulesProfile,
    policy: &AppPolicy,
) -> Result<(), VendorError> {
    let obj = item_object(item, "MemberList", i).map_err(|e| invalid(e.to_string()))?;
    let field = |e: super::json::FieldTypeError| invalid(format!("MemberList[{i}].{e}"));
    let account = opt_str(obj, "Member_Account").map_err(field)?;
    let role = opt_str(obj, "Role").map_err(field)?;
    let custom = opt_array(obj, "AppMemberDefinedData").map_err(field)?;
    let account = match account {
        None | Some("") => {
            return Err(invalid(format!(
                "MemberList[{i}].Member_Account is required and must not be empty"
            )));
        }
        Some(a) => a,
    };
    let is_owner = g.profile.owner.as_deref() == Some(account);
    let role = check_role(role, i, is_owner, g.profile.group_type)?;
    let writer = if is_owner {
        Writer::OwnerSelf
    } else {
        Writer::Admin
    };
    let label = format!("MemberList[{i}].AppMemberDefinedData");
    let custom = match custom {
        Some(items) => custom_data::parse(
            items,
            &label,
            CustomKind::Member,
            rules,
            &policy.member_fields,
            writer,
        )?,
        None => Vec::new(),
    };
    if is_owner {
        if g.owner_custom.is_empty() {
            g.owner_custom = custom;
        }
    } else if !g.members.iter().any(|m| m.account == account) {
        g.members.push(NewMember {
            account: account.to_string(),
            role,
            custom,
        });
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
            ty.name
        ))),
        Some("Admin") => Ok(Role::Admin),
        Some(other) => Err(invalid(format!(
            "MemberList[{i}].Role {other:?} is not allowed; the only role is \"Admin\""
        ))),
    }
}
