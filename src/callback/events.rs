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

/// Every callback command the emulator sends (the default `events`).
pub const ALL_EVENTS: [&str; 3] = [
    BEFORE_CREATE_GROUP,
    AFTER_CREATE_GROUP,
    AFTER_GROUP_DESTROYED,
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
