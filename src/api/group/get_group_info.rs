//! `group_open_http_svc/get_group_info`: groups by ID, narrowed by `ResponseFilter` (SPEC §5,
//! spec §11).
//!
//! Without a filter every field comes back, in the order of spec §11.2. With one,
//! `GroupBaseInfoFilter` picks base fields (all when absent), `MemberInfoFilter` asks for
//! `MemberList` with those member fields, and the two `AppDefinedDataFilter_*` lists ask for
//! those custom keys (none when absent). Renamed fields answer in the spellings the
//! `--field-names` setting picks, and filters accept either spelling.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::custom_data::CustomEntry;
use crate::domain::group::{Group, GroupType, Member};
use crate::domain::group_id::check_form;
use crate::emulator::FieldNames;
use crate::error::VendorError;

/// `get_group_info` (SPEC §5).
pub struct GetGroupInfo;

/// The get_group_info body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The groups to read, 1 to 50.
    GroupIdList: Option<Vec<String>>,
    /// Which fields to answer.
    ResponseFilter: Option<ResponseFilter>,
}

/// get_group_info's `ResponseFilter`.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct ResponseFilter {
    GroupBaseInfoFilter: Option<Vec<String>>,
    MemberInfoFilter: Option<Vec<String>>,
    AppDefinedDataFilter_Group: Option<Vec<String>>,
    AppDefinedDataFilter_GroupMember: Option<Vec<String>>,
}

impl VendorCommand for GetGroupInfo {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "get_group_info";
    const SUMMARY: &'static str = "up to 50 IDs; per-group `ErrorCode` (10015 malformed, 10010 missing); `ResponseFilter`; both spellings of renamed fields";
    type Request = Request;

    /// Answers the groups of `GroupIdList`, each with its own ErrorCode (10015 for an ID no
    /// group could have, 10010 for one that names no group); 10018 when the answer would be
    /// longer than the vendor's 1 MB.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let ids = group_ids(request.GroupIdList, call.rules().group_info_max_ids)?;
        let filter = request.ResponseFilter.map_or_else(Filter::all, Filter::new);
        let view = View::of(&call);
        let answer = Answer {
            group_info: Entries {
                call: &call,
                ids,
                filter: &filter,
                view: &view,
            },
        };
        envelope::ok_at_most(answer, envelope::ANSWER_MAX_BYTES).ok_or_else(|| {
            VendorError::AnswerTooLarge(format!(
                "the answer would be larger than {} bytes (1 MiB); ask for fewer groups in GroupIdList, or for fewer fields with ResponseFilter (GroupBaseInfoFilter, MemberInfoFilter, AppDefinedDataFilter_Group, AppDefinedDataFilter_GroupMember)",
                envelope::ANSWER_MAX_BYTES
            ))
        })
    }
}

/// The entries of `GroupInfo`, built one at a time while the answer is written: the answer
/// stops at its size limit, so a request for 50 huge groups never holds 50 of them at once.
struct Entries<'a> {
    call: &'a Call,
    ids: Vec<String>,
    filter: &'a Filter,
    view: &'a View,
}

impl Entries<'_> {
    fn entry(&self, id: &str) -> Entry {
        let rules = self.call.rules();
        let found = check_form(id, rules).and_then(|()| {
            self.call
                .app
                .with_group(id, |g| found(g, self.filter, self.view))
                .ok_or_else(|| VendorError::GroupNotFound(id.to_string()))
        });
        found.unwrap_or_else(|e| Entry {
            ErrorCode: e.code(),
            ErrorInfo: e.to_string(),
            GroupId: id.to_string(),
            ..Entry::default()
        })
    }
}

impl Serialize for Entries<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.ids.iter().map(|id| self.entry(id)))
    }
}

/// What every read needs besides the group: the app, the time and the spelling setting.
pub(crate) struct View {
    appid: u64,
    now: u64,
    names: FieldNames,
    chatroom_unread: bool,
}

impl View {
    /// The view of `call`.
    pub(crate) fn of(call: &Call) -> Self {
        Self {
            chatroom_unread: call.app.policy().features.meeting_unread,
            ..Self::new(call.app.sdkappid(), call.now(), call.emu.field_names)
        }
    }

    /// Whether ChatRoom groups count unread messages (the app feature `meeting_unread`).
    pub(crate) fn chatroom_unread(&self) -> bool {
        self.chatroom_unread
    }

    /// The view of app `appid` at `now` (unix seconds), answering in `names`.
    pub(crate) fn new(appid: u64, now: u64, names: FieldNames) -> Self {
        Self {
            appid,
            now,
            names,
            chatroom_unread: true,
        }
    }

    /// The emulator's time the read is made at (unix seconds).
    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    /// Which spellings the read answers with.
    pub(crate) fn names(&self) -> FieldNames {
        self.names
    }
}

#[derive(Serialize)]
struct Answer<'a> {
    #[serde(rename = "GroupInfo")]
    group_info: Entries<'a>,
}

#[derive(Serialize, Default)]
#[allow(non_snake_case)]
struct Entry {
    GroupId: String,
    ErrorCode: u32,
    ErrorInfo: String,
    #[serde(flatten)]
    base: BaseInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    MemberList: Option<Vec<MemberEntry>>,
}

/// A group's base fields as the reads return them (spec §11.2), each only when asked for:
/// get_group_info's entries and get_joined_group_list's items (spec §17.2) flatten it.
#[derive(Serialize, Default)]
#[allow(non_snake_case)]
pub(crate) struct BaseInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    Type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    Name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    Appid: Option<u64>,
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
    InfoSeq: Option<u64>,
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
    InviteJoinOption: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MuteAllMember: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ShutUpAllMember: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    OnlineMemberNum: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    AppDefinedData: Option<Vec<CustomEntry>>,
}

/// One member as the group reads return it (spec §11.2).
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
    MuteUntil: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ShutUpUntil: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    NameCard: Option<String>,
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

/// Today's name of a field that was renamed in 2022 (spec §11.1); other names as they are.
fn current_name(name: &str) -> &str {
    match name {
        "ShutUpAllMember" => "MuteAllMember",
        "ShutUpUntil" => "MuteUntil",
        other => other,
    }
}

/// Whether `list` names `field` (today's spelling) in either spelling.
pub(crate) fn listed(list: &[String], field: &str) -> bool {
    list.iter().any(|f| current_name(f) == field)
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

    fn new(f: ResponseFilter) -> Self {
        let member_fields = match (&f.MemberInfoFilter, &f.AppDefinedDataFilter_GroupMember) {
            (None, None) => None,
            _ => Some(Some(f.MemberInfoFilter.unwrap_or_default())),
        };
        Self {
            base: f.GroupBaseInfoFilter,
            member_fields,
            group_keys: f.AppDefinedDataFilter_Group.map(Some),
            member_keys: f.AppDefinedDataFilter_GroupMember.map(Some),
        }
    }

    /// The member filters of get_group_member_info: all member fields and keys unless narrowed.
    pub(crate) fn for_members(fields: Option<Vec<String>>, keys: Option<Vec<String>>) -> Self {
        Self {
            base: Some(Vec::new()),
            member_fields: Some(fields),
            group_keys: None,
            member_keys: Some(keys),
        }
    }

    /// get_joined_group_list's `GroupBaseInfoFilter` (spec §17.1): exactly the base fields
    /// `names` lists (either spelling), and every group custom key when it lists
    /// `AppDefinedData`; no members.
    pub(crate) fn for_joined(names: Vec<String>) -> Self {
        let group_keys = listed(&names, "AppDefinedData").then_some(None);
        Self {
            base: Some(names),
            member_fields: None,
            group_keys,
            member_keys: None,
        }
    }

    /// Whether base field `field` (today's spelling) is asked for.
    pub(crate) fn base(&self, field: &str) -> bool {
        self.base.as_ref().is_none_or(|b| listed(b, field))
    }

    fn member_field(&self, field: &str) -> bool {
        match &self.member_fields {
            Some(None) => true,
            Some(Some(l)) => listed(l, field),
            None => false,
        }
    }
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

/// `value` under today's name and/or the legacy one, as the setting says.
pub(crate) fn spelled<T: Copy>(asked: bool, names: FieldNames, value: T) -> (Option<T>, Option<T>) {
    (
        (asked && names.current()).then_some(value),
        (asked && names.legacy()).then_some(value),
    )
}

/// One member of `group` narrowed by `filter`.
pub(crate) fn member_entry(group: &Group, m: &Member, filter: &Filter, view: &View) -> MemberEntry {
    let f = |name: &str| filter.member_field(name);
    let muted = group.muted_until(m.account(), view.now);
    let (mute_until, shut_up_until) = spelled(f("MuteUntil"), view.names, muted);
    MemberEntry {
        Member_Account: m.account().to_string(),
        Role: f("Role").then_some(m.role.as_str()),
        JoinTime: f("JoinTime").then_some(m.join_time),
        MsgSeq: f("MsgSeq").then_some(m.msg_seq),
        MsgFlag: f("MsgFlag").then_some(m.msg_flag.as_str()),
        LastSendMsgTime: f("LastSendMsgTime").then_some(m.last_send_msg_time()),
        MuteUntil: mute_until,
        ShutUpUntil: shut_up_until,
        NameCard: f("NameCard").then(|| m.name_card().to_string()),
        AppMemberDefinedData: filter.member_keys.as_ref().map(|k| pick(m.custom(), k)),
    }
}

/// Whether reads list this group's members (spec §11.2: not for AVChatRoom, emulator choice).
fn lists_members(g: &Group) -> bool {
    g.group_type != GroupType::AVChatRoom
}

/// The `InviteJoinOption` a group reads with: as set, else its type's default (spec §14.2);
/// `None` for types without it (AVChatRoom, BChatRoom).
pub(crate) fn invite_join_option(g: &Group) -> Option<&'static str> {
    use crate::domain::group::InviteJoinOption as I;
    let default = match g.group_type {
        GroupType::Private | GroupType::Community => I::FreeAccess,
        GroupType::Public | GroupType::ChatRoom => I::DisableInvite,
        GroupType::AVChatRoom | GroupType::BChatRoom => return None,
    };
    Some(g.invite_join.unwrap_or(default).as_str())
}

fn found(g: &Group, filter: &Filter, view: &View) -> Entry {
    let members = lists_members(g);
    Entry {
        GroupId: g.id.to_string(),
        base: base_info(g, filter, view),
        MemberList: filter.member_fields.as_ref().filter(|_| members).map(|_| {
            g.members
                .iter()
                .map(|m| member_entry(g, m, filter, view))
                .collect()
        }),
        ..Entry::default()
    }
}

/// The base fields of `g` that `filter` asks for (spec §11.2).
pub(crate) fn base_info(g: &Group, filter: &Filter, view: &View) -> BaseInfo {
    let b = |name: &str| filter.base(name);
    let (mute_all, shut_up_all) = spelled(b("MuteAllMember"), view.names, g.mute_all.as_str());
    let member_num = if lists_members(g) { g.members.len() } else { 0 };
    BaseInfo {
        Type: b("Type").then_some(g.group_type.as_str()),
        Name: b("Name").then(|| g.name.to_string()),
        Appid: b("Appid").then_some(view.appid),
        Introduction: b("Introduction").then(|| g.introduction.clone()),
        Notification: b("Notification").then(|| g.notification.clone()),
        FaceUrl: b("FaceUrl").then(|| g.face_url.clone()),
        Owner_Account: b("Owner_Account")
            .then(|| g.owner.as_deref().unwrap_or_default().to_string()),
        CreateTime: b("CreateTime").then_some(g.create_time),
        InfoSeq: b("InfoSeq").then_some(g.info_seq),
        LastInfoTime: b("LastInfoTime").then_some(g.last_info_time),
        LastMsgTime: b("LastMsgTime").then_some(g.last_msg_time),
        NextMsgSeq: b("NextMsgSeq").then_some(g.next_msg_seq),
        MemberNum: b("MemberNum").then_some(member_num),
        MaxMemberNum: b("MaxMemberNum").then_some(g.max_members),
        ApplyJoinOption: b("ApplyJoinOption").then_some(g.apply_join.as_str()),
        InviteJoinOption: if b("InviteJoinOption") {
            invite_join_option(g)
        } else {
            None
        },
        MuteAllMember: mute_all,
        ShutUpAllMember: shut_up_all,
        OnlineMemberNum: (b("OnlineMemberNum") && view.names.legacy()).then_some(0),
        AppDefinedData: filter.group_keys.as_ref().map(|k| pick(&g.custom, k)),
    }
}

fn group_ids(ids: Option<Vec<String>>, max: usize) -> Result<Vec<String>, VendorError> {
    let ids = ids.unwrap_or_default();
    if ids.is_empty() || ids.len() > max {
        return Err(VendorError::InvalidParameter(format!(
            "GroupIdList has {} IDs; give 1 to {max}",
            ids.len()
        )));
    }
    Ok(ids)
}
