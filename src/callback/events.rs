//! The callback commands and their JSON bodies, with field names exactly as the vendor spells
//! them, built from the validated request or the stored group.

use serde::Serialize;

use crate::domain::create_group::NewGroup;
use crate::domain::custom_data::CustomEntry;
use crate::domain::group::Group;

/// Sent before a creation; the answer may veto it.
pub const BEFORE_CREATE_GROUP: &str = "Group.CallbackBeforeCreateGroup";
/// Sent after a creation; the answer is ignored.
pub const AFTER_CREATE_GROUP: &str = "Group.CallbackAfterCreateGroup";
/// Sent after a group is destroyed; the answer is ignored.
pub const AFTER_GROUP_DESTROYED: &str = "Group.CallbackAfterGroupDestroyed";

/// Sent before add_group_member adds accounts; the answer may veto or leave some out.
pub const BEFORE_INVITE_JOIN_GROUP: &str = "Group.CallbackBeforeInviteJoinGroup";
/// Sent after members joined.
pub const AFTER_NEW_MEMBER_JOIN: &str = "Group.CallbackAfterNewMemberJoin";
/// Sent when a group became full, or an add failed because it would overflow.
pub const AFTER_GROUP_FULL: &str = "Group.CallbackAfterGroupFull";
/// Sent after members left or were removed.
pub const AFTER_MEMBER_EXIT: &str = "Group.CallbackAfterMemberExit";
/// Sent after Name, Introduction, Notification or FaceUrl changed.
pub const AFTER_GROUP_INFO_CHANGED: &str = "Group.CallbackAfterGroupInfoChanged";
/// Sent after a member's Role or NameCard changed.
pub const AFTER_MEMBER_FIELD_CHANGED: &str = "Group.CallbackAfterMemberFieldChanged";
/// Sent after the owner changed.
pub const AFTER_CHANGE_GROUP_OWNER: &str = "Group.CallbackAfterChangeGroupOwner";

/// Sent before a group message is accepted; the answer may refuse, drop or rewrite it
/// (spec §39.1).
pub const BEFORE_SEND_MSG: &str = "Group.CallbackBeforeSendMsg";
/// Sent after a group message was accepted (spec §39.2).
pub const AFTER_SEND_MSG: &str = "Group.CallbackAfterSendMsg";
/// Sent after group_msg_recall recalled messages (spec §39.3).
pub const AFTER_RECALL_MSG: &str = "Group.CallbackAfterRecallMsg";
/// Sent when a formed message failed (muted, frequency, content, size; spec §39.4).
pub const SEND_MSG_EXCEPTION: &str = "Group.CallbackSendMsgException";

/// Sent once per China Standard Time day when the day's net group increase passes 70 % of the
/// app's daily quota (spec §40.3, `current` profile).
pub const DAILY_GROUP_QUOTA_ALARM: &str = "Group.CallbackOnDailyGroupQuotaAlarm";

/// Every callback command the emulator sends (the default `events`).
pub const ALL_EVENTS: [&str; 15] = [
    BEFORE_CREATE_GROUP,
    AFTER_CREATE_GROUP,
    AFTER_GROUP_DESTROYED,
    BEFORE_INVITE_JOIN_GROUP,
    AFTER_NEW_MEMBER_JOIN,
    AFTER_GROUP_FULL,
    AFTER_MEMBER_EXIT,
    AFTER_GROUP_INFO_CHANGED,
    AFTER_MEMBER_FIELD_CHANGED,
    AFTER_CHANGE_GROUP_OWNER,
    BEFORE_SEND_MSG,
    AFTER_SEND_MSG,
    AFTER_RECALL_MSG,
    SEND_MSG_EXCEPTION,
    DAILY_GROUP_QUOTA_ALARM,
];

/// The body of `Group.CallbackOnDailyGroupQuotaAlarm` (spec §40.3; the vendor's alarm pages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DailyGroupQuotaAlarm {
    /// Always [`DAILY_GROUP_QUOTA_ALARM`].
    pub callback_command: &'static str,
    /// The day's net group increase so far (created minus destroyed, China Standard Time).
    pub quota_used: i64,
    /// The app's daily net-increase quota.
    pub quota: u32,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

impl DailyGroupQuotaAlarm {
    /// The alarm for a day at `quota_used` of `quota`, at `event_time` (unix milliseconds).
    pub fn new(quota_used: i64, quota: u32, event_time: u64) -> Self {
        Self {
            callback_command: DAILY_GROUP_QUOTA_ALARM,
            quota_used,
            quota,
            event_time,
        }
    }
}

/// One `MemberList` item of a callback body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberAccount {
    /// The member's UserID.
    #[serde(rename = "Member_Account")]
    pub member_account: String,
}

/// The body of `Group.CallbackBeforeCreateGroup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BeforeCreateGroup {
    /// Always [`BEFORE_CREATE_GROUP`].
    pub callback_command: &'static str,
    /// The REST caller's `identifier`.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    /// The owner, `""` for a group without one.
    #[serde(rename = "Owner_Account")]
    pub owner_account: String,
    /// The group type.
    pub r#type: &'static str,
    /// The group name.
    pub name: String,
    /// The initial members other than the owner, each once, in request order.
    pub member_list: Vec<MemberAccount>,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterCreateGroup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AfterCreateGroup {
    /// Always [`AFTER_CREATE_GROUP`].
    pub callback_command: &'static str,
    /// The new group's ID.
    pub group_id: String,
    /// The REST caller's `identifier`.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    /// The owner, `""` for a group without one.
    #[serde(rename = "Owner_Account")]
    pub owner_account: String,
    /// The group type.
    pub r#type: &'static str,
    /// The group name.
    pub name: String,
    /// The initial members other than the owner.
    pub member_list: Vec<MemberAccount>,
    /// The group custom fields (`AppDefinedData`) as `{Key, Value}`.
    pub user_defined_data_list: Vec<CustomEntry>,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterGroupDestroyed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AfterGroupDestroyed {
    /// Always [`AFTER_GROUP_DESTROYED`].
    pub callback_command: &'static str,
    /// The destroyed group's ID.
    pub group_id: String,
    /// The group type.
    pub r#type: &'static str,
    /// The owner, `""` for a group without one.
    #[serde(rename = "Owner_Account")]
    pub owner_account: String,
    /// The group name.
    pub name: String,
    /// Every member the group had, owner included.
    pub member_list: Vec<MemberAccount>,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackBeforeInviteJoinGroup` (spec §24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BeforeInviteJoinGroup {
    /// Always [`BEFORE_INVITE_JOIN_GROUP`].
    pub callback_command: &'static str,
    /// The group.
    pub group_id: String,
    /// The group type.
    pub r#type: &'static str,
    /// The REST caller.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    /// The accounts about to be added (newcomers only).
    pub destination_members: Vec<MemberAccount>,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterNewMemberJoin` (spec §24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AfterNewMemberJoin {
    /// Always [`AFTER_NEW_MEMBER_JOIN`].
    pub callback_command: &'static str,
    /// The group.
    pub group_id: String,
    /// The group type.
    pub r#type: &'static str,
    /// `Invited` for REST adds.
    pub join_type: &'static str,
    /// The REST caller.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    /// The accounts that joined.
    pub new_member_list: Vec<MemberAccount>,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterGroupFull` (spec §24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AfterGroupFull {
    /// Always [`AFTER_GROUP_FULL`].
    pub callback_command: &'static str,
    /// The group.
    pub group_id: String,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterMemberExit` (spec §24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AfterMemberExit {
    /// Always [`AFTER_MEMBER_EXIT`].
    pub callback_command: &'static str,
    /// The group.
    pub group_id: String,
    /// The group type.
    pub r#type: &'static str,
    /// `Kicked` for REST removals.
    pub exit_type: &'static str,
    /// The REST caller.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    /// The accounts removed.
    pub exit_member_list: Vec<MemberAccount>,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterGroupInfoChanged` (spec §24): only the changed fields of
/// `Name`, `Introduction`, `Notification`, `FaceUrl` are present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AfterGroupInfoChanged {
    /// Always [`AFTER_GROUP_INFO_CHANGED`].
    pub callback_command: &'static str,
    /// The group.
    pub group_id: String,
    /// The group type.
    pub r#type: &'static str,
    /// `From_Account` if given, else the REST caller.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    /// The new name, if it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The new introduction, if it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// The new notification, if it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    /// The new avatar URL, if it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterMemberFieldChanged` (spec §24): the member under both names
/// the vendor's pages use, and only the changed ones of `Role` and `NameCard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AfterMemberFieldChanged {
    /// Always [`AFTER_MEMBER_FIELD_CHANGED`].
    pub callback_command: &'static str,
    /// The group.
    pub group_id: String,
    /// The group type.
    pub r#type: &'static str,
    /// The REST caller.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    /// The member changed.
    #[serde(rename = "Modified_Account")]
    pub modified_account: String,
    /// The member changed (the other page's name).
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    /// The new role, if it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    /// The new name card, if it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_card: Option<String>,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterChangeGroupOwner` (spec §24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AfterChangeGroupOwner {
    /// Always [`AFTER_CHANGE_GROUP_OWNER`].
    pub callback_command: &'static str,
    /// The group.
    pub group_id: String,
    /// The group type.
    pub r#type: &'static str,
    /// `From_Account` if given, else the REST caller.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    /// The previous owner ("" for an ownerless group).
    #[serde(rename = "OldOwner_Account")]
    pub old_owner_account: String,
    /// The new owner.
    #[serde(rename = "NewOwner_Account")]
    pub new_owner_account: String,
    /// When the event happened (unix milliseconds).
    pub event_time: u64,
}

/// `[{"Member_Account": ...}]` of `accounts`.
pub fn member_accounts<'a>(accounts: impl IntoIterator<Item = &'a str>) -> Vec<MemberAccount> {
    accounts.into_iter().map(account).collect()
}

impl BeforeCreateGroup {
    /// The body for creating `new` on behalf of `operator` at `event_time` (ms).
    pub fn new(new: &NewGroup, operator: &str, event_time: u64) -> Self {
        Self {
            callback_command: BEFORE_CREATE_GROUP,
            operator_account: operator.to_string(),
            owner_account: new.group.owner.as_deref().unwrap_or_default().to_string(),
            r#type: new.group.group_type.as_str(),
            name: new.group.name.to_string(),
            member_list: initial_members(new),
            event_time,
        }
    }

    /// The after-create body once the group is stored as `group_id`.
    pub fn created(self, group_id: String, custom: Vec<CustomEntry>) -> AfterCreateGroup {
        AfterCreateGroup {
            callback_command: AFTER_CREATE_GROUP,
            group_id,
            operator_account: self.operator_account,
            owner_account: self.owner_account,
            r#type: self.r#type,
            name: self.name,
            member_list: self.member_list,
            user_defined_data_list: custom,
            event_time: self.event_time,
        }
    }
}

impl AfterGroupDestroyed {
    /// The body for `group`, just removed, at `event_time` (ms).
    pub fn new(group: &Group, event_time: u64) -> Self {
        Self {
            callback_command: AFTER_GROUP_DESTROYED,
            group_id: group.id.to_string(),
            r#type: group.group_type.as_str(),
            owner_account: group.owner.as_deref().unwrap_or_default().to_string(),
            name: group.name.to_string(),
            member_list: group.members.iter().map(|m| account(m.account())).collect(),
            event_time,
        }
    }
}

fn initial_members(new: &NewGroup) -> Vec<MemberAccount> {
    new.members().map(|m| account(m.account())).collect()
}

fn account(id: &str) -> MemberAccount {
    MemberAccount {
        member_account: id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_create_body_uses_vendor_field_names() {
        let body = BeforeCreateGroup {
            callback_command: BEFORE_CREATE_GROUP,
            operator_account: "admin".into(),
            owner_account: "leckie".into(),
            r#type: "Public",
            name: "G".into(),
            member_list: vec![account("bob")],
            event_time: 7,
        };
        let v = serde_json::to_value(&body).expect("serializes");
        assert_eq!(
            v,
            serde_json::json!({
                "CallbackCommand": "Group.CallbackBeforeCreateGroup",
                "Operator_Account": "admin",
                "Owner_Account": "leckie",
                "Type": "Public",
                "Name": "G",
                "MemberList": [{"Member_Account": "bob"}],
                "EventTime": 7
            })
        );
        let after = body.created("@TGS#2X".into(), Vec::new());
        let v = serde_json::to_value(&after).expect("serializes");
        assert_eq!(v["CallbackCommand"], AFTER_CREATE_GROUP);
        assert_eq!(v["GroupId"], "@TGS#2X");
        assert_eq!(v["UserDefinedDataList"], serde_json::json!([]));
    }
}

/// The body of `Group.CallbackBeforeSendMsg` (spec §39.1); the after-send and exception bodies
/// extend it.
#[derive(Debug, Clone, Serialize)]
pub struct BeforeSendMsg<'a> {
    /// [`BEFORE_SEND_MSG`], [`AFTER_SEND_MSG`] or [`SEND_MSG_EXCEPTION`].
    #[serde(rename = "CallbackCommand")]
    pub callback_command: &'static str,
    /// The group.
    #[serde(rename = "GroupId")]
    pub group_id: &'a str,
    /// The group's type (`Public`, ...).
    #[serde(rename = "Type")]
    pub group_type: &'static str,
    /// The effective sender.
    #[serde(rename = "From_Account")]
    pub from_account: &'a str,
    /// The calling admin.
    #[serde(rename = "Operator_Account")]
    pub operator_account: &'a str,
    /// The message's `Random`.
    #[serde(rename = "Random")]
    pub random: u32,
    /// 1 for an online-only message (always 0 in AVChatRoom groups).
    #[serde(rename = "OnlineOnlyFlag")]
    pub online_only_flag: u8,
    /// The message body.
    #[serde(rename = "MsgBody")]
    pub msg_body: &'a serde_json::value::RawValue,
    /// `CloudCustomData`, when the message has one.
    #[serde(rename = "CloudCustomData", skip_serializing_if = "Option::is_none")]
    pub cloud_custom_data: Option<&'a str>,
    /// Milliseconds since the epoch, by the emulator's clock.
    #[serde(rename = "EventTime")]
    pub event_time: u64,
}

/// The body of `Group.CallbackAfterSendMsg` (spec §39.2): the before-send fields with the
/// stored sequence and time, and `GroupAtInfo` as sent.
#[derive(Debug, Clone, Serialize)]
pub struct AfterSendMsg<'a> {
    /// The before-send fields (with `CallbackCommand` [`AFTER_SEND_MSG`]).
    #[serde(flatten)]
    pub base: BeforeSendMsg<'a>,
    /// The message's `MsgSeq` (0 for a message without one).
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
    /// The message's `MsgTime` (unix seconds).
    #[serde(rename = "MsgTime")]
    pub msg_time: u64,
    /// `GroupAtInfo` as sent, when given.
    #[serde(rename = "GroupAtInfo", skip_serializing_if = "Option::is_none")]
    pub group_at_info: Option<&'a serde_json::value::RawValue>,
}

/// The body of `Group.CallbackSendMsgException` (spec §39.4): the before-send fields with the
/// failure.
#[derive(Debug, Clone, Serialize)]
pub struct SendMsgException<'a> {
    /// The before-send fields (with `CallbackCommand` [`SEND_MSG_EXCEPTION`]).
    #[serde(flatten)]
    pub base: BeforeSendMsg<'a>,
    /// The failure's code.
    #[serde(rename = "ErrorCode")]
    pub error_code: u32,
    /// The failure's ErrorInfo.
    #[serde(rename = "ErrorInfo")]
    pub error_info: String,
}

/// One `MsgSeqList` item of the after-recall body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MsgSeqItem {
    /// A recalled message's sequence.
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
}

/// The body of `Group.CallbackAfterRecallMsg` (spec §39.3).
#[derive(Debug, Clone, Serialize)]
pub struct AfterRecallMsg<'a> {
    /// Always [`AFTER_RECALL_MSG`].
    #[serde(rename = "CallbackCommand")]
    pub callback_command: &'static str,
    /// The calling admin.
    #[serde(rename = "Operator_Account")]
    pub operator_account: &'a str,
    /// The group's type.
    #[serde(rename = "Type")]
    pub group_type: &'static str,
    /// The group.
    #[serde(rename = "GroupId")]
    pub group_id: &'a str,
    /// The messages recalled by this request, in request order.
    #[serde(rename = "MsgSeqList")]
    pub msg_seq_list: Vec<MsgSeqItem>,
    /// Milliseconds since the epoch, by the emulator's clock.
    #[serde(rename = "EventTime")]
    pub event_time: u64,
}
