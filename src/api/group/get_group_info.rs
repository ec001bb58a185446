//! `group_open_http_svc/get_group_info`: groups by ID, narrowed by `ResponseFilter`.
//!
//! Without a filter every field comes back. With one, `GroupBaseInfoFilter` picks base fields
//! (all when absent), `MemberInfoFilter` asks for `MemberList` with those member fields, and the
//! two `AppDefinedDataFilter_*` lists ask for those custom keys (none when absent).

use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::type_error;
use crate::api::command::Call;
use crate::api::envelope;
use crate::domain::custom_data::CustomEntry;
use crate::domain::group::{Group, Member};
use crate::domain::json::{Object, item_str, opt_array, opt_object};
use crate::error::VendorError;

#[derive(Serialize)]
struct Answer {
    #[serde(rename = "GroupInfo")]
    group_info: Vec<Entry>,
}

#[derive(Serialize, Default)]
#[allow(non_snake_case)]
struct Entry {
    GroupId: String,
    ErrorCode: u32,
    ErrorInfo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    Type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    Name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    Introduction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    Notification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    FaceUrl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    Owner_Account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    CreateTime: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    LastInfoTime: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    LastMsgTime: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    NextMsgSeq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MemberNum: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MaxMemberNum: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ApplyJoinOption: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ShutUpAllMember: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    AppDefinedData: Option<Vec<CustomEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MemberList: Option<Vec<MemberEntry>>,
}

/// One member as the group reads return it.
#[derive(Serialize, Default)]
#[allow(non_snake_case)]
pub(crate) struct MemberEntry {
    Member_Account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    Role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    JoinTime: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MsgSeq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MsgFlag: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    LastSendMsgTime: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ShutUpUntil: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    AppMemberDefinedData: Option<Vec<CustomEntry>>,
}

/// Which fields to return; `None` in a list means "all".
#[derive(Debug, Default)]
pub(crate) struct Filter {
    base: Option<Vec<String>>,
    member_fields: Option<Option<Vec<String>>>,
    group_keys: Option<Option<Vec<String>>>,
    member_keys: Option<Option<Vec<String>>>,
}

impl Filter {
    /// No filter: everything.
    pub(crate) fn all() -> Self {
        Self {
            base: None,
            member_fields: Some(None),
            group_keys: Some(None),
            member_keys: Some(None),
        }
    }

    fn parse(body: &Object) -> Result<Self, VendorError> {
        let Some(f) = opt_object(body, "ResponseFilter").map_err(type_error)? else {
            return Ok(Self::all());
        };
        let members = names(f, "MemberInfoFilter")?;
        let member_keys = names(f, "AppDefinedDataFilter_GroupMember")?;
        let member_fields = match (&members, &member_keys) {
            (None, None) => None,
            _ => Some(Some(members.unwrap_or_default())),
        };
        Ok(Self {
            base: names(f, "GroupBaseInfoFilter")?,
            member_fields,
            group_keys: names(f, "AppDefinedDataFilter_Group")?.map(Some),
            member_keys: member_keys.map(Some),
        })
    }

    /// The member filters of get_group_member_info: all member fields and keys unless narrowed.
    pub(crate) fn for_members(body: &Object) -> Result<Self, VendorError> {
        Ok(Self {
            base: Some(Vec::new()),
            member_fields: Some(names(body, "MemberInfoFilter")?),
            group_keys: None,
            member_keys: Some(names(body, "AppDefinedDataFilter_GroupMember")?),
        })
    }

    fn base(&self, field: &str) -> bool {
        self.base
            .as_ref()
            .is_none_or(|b| b.iter().any(|f| f == field))
    }

    fn member_field(&self, field: &str) -> bool {
        matches!(&self.member_fields, Some(None))
            || matches!(&self.member_fields, Some(Some(l)) if l.iter().any(|f| f == field))
    }
}

fn names(f: &Object, key: &str) -> Result<Option<Vec<String>>, VendorError> {
    let Some(items) = opt_array(f, key).map_err(type_error)? else {
        return Ok(None);
    };
    let label = format!("ResponseFilter.{key}");
    let list = items
        .iter()
        .enumerate()
        .map(|(i, v)| item_str(v, &label, i).map(str::to_string));
    Ok(Some(list.collect::<Result<_, _>>().map_err(type_error)?))
}

fn pick(entries: &[CustomEntry], keys: &Option<Vec<String>>) -> Vec<CustomEntry> {
    match keys {
        None => entries.to_vec(),
        Some(keys) => entries
            .iter()
            .filter(|e| keys.contains(&e.key))
            .cloned()
            .collect(),
    }
}

/// One member narrowed by `filter`.
pub(crate) fn member_entry(m: &Member, filter: &Filter) -> MemberEntry {
    let f = |name: &str| filter.member_field(name);
    MemberEntry {
        Member_Account: m.account.clone(),
        Role: f("Role").then_some(m.role.as_str()),
        JoinTime: f("JoinTime").then_some(m.join_time),
        MsgSeq: f("MsgSeq").then_some(0),
        MsgFlag: f("MsgFlag").then_some("AcceptAndNotify"),
        LastSendMsgTime: f("LastSendMsgTime").then_some(0),
        ShutUpUntil: f("ShutUpUntil").then_some(0),
        AppMemberDefinedData: filter.member_keys.as_ref().map(|k| pick(&m.custom, k)),
    }
}

fn found(g: &Group, filter: &Filter) -> Entry {
    let b = |name: &str| filter.base(name);
    let p = &g.profile;
    Entry {
        GroupId: g.id.clone(),
        Type: b("Type").then_some(p.group_type.name),
        Name: b("Name").then(|| p.name.clone()),
        Introduction: b("Introduction").then(|| p.introduction.clone()),
        Notification: b("Notification").then(|| p.notification.clone()),
        FaceUrl: b("FaceUrl").then(|| p.face_url.clone()),
        Owner_Account: b("Owner_Account").then(|| p.owner.clone().unwrap_or_default()),
        CreateTime: b("CreateTime").then_some(g.create_time),
        LastInfoTime: b("LastInfoTime").then_some(g.create_time),
        LastMsgTime: b("LastMsgTime").then_some(0),
        NextMsgSeq: b("NextMsgSeq").then_some(1),
        MemberNum: b("MemberNum").then_some(g.members.len()),
        MaxMemberNum: b("MaxMemberNum").then_some(p.max_members),
        ApplyJoinOption: b("ApplyJoinOption").then_some(p.apply_join.as_str()),
        ShutUpAllMember: b("ShutUpAllMember").then_some("Off"),
        AppDefinedData: filter.group_keys.as_ref().map(|k| pick(&p.custom, k)),
        MemberList: filter
            .member_fields
            .as_ref()
            .map(|_| g.members.iter().map(|m| member_entry(m, filter)).collect()),
        ..Entry::default()
    }
}

fn group_ids(body: &Object, max: usize) -> Result<Vec<&str>, VendorError> {
    let items = opt_array(body, "GroupIdList")
        .map_err(type_error)?
        .unwrap_or(&[]);
    if items.is_empty() || items.len() > max {
        return Err(VendorError::InvalidParameter(format!(
            "GroupIdList has {} IDs; give 1 to {max}",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v): (usize, &Value)| item_str(v, "GroupIdList", i).map_err(type_error))
        .collect()
}

/// Answers the groups of `GroupIdList`, each with its own ErrorCode (10010 when missing).
pub fn handle(call: Call) -> Result<Response, VendorError> {
    let ids = group_ids(&call.body, call.emu.rules.group_info_max_ids)?;
    let filter = Filter::parse(&call.body)?;
    let group_info = ids
        .into_iter()
        .map(|id| {
            call.app
                .with_group(id, |g| found(g, &filter))
                .unwrap_or_else(|| {
                    let e = VendorError::GroupNotFound(id.to_string());
                    Entry {
                        GroupId: id.to_string(),
                        ErrorCode: e.code(),
                        ErrorInfo: e.to_string(),
                        ..Entry::default()
                    }
                })
        })
        .collect();
    Ok(envelope::ok(Answer { group_info }))
}
