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

/// Every callback command the emulator sends (the default `events`).
pub const ALL_EVENTS: [&str; 10] = [
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
];

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
            owner_account: new.group.owner.clone().unwrap_or_default(),
            r#type: new.group.group_type.as_str(),
            name: new.group.name.clone(),
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
            group_id: group.id.clone(),
            r#type: group.group_type.as_str(),
            owner_account: group.owner.clone().unwrap_or_default(),
            name: group.name.clone(),
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
