//! The serde shape of the state document (see the module above for the conventions).

use serde::{Deserialize, Serialize};

use crate::domain::account::Account;
use crate::domain::custom_data::CustomEntry;
use crate::domain::group::{Group, Member};

/// The document version this emulator writes and reads.
pub const VERSION: u32 = 1;

fn version() -> u32 {
    VERSION
}

/// The whole state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDocument {
    /// Format version; absent means [`VERSION`].
    #[serde(default = "version")]
    pub version: u32,
    /// Every app, by sdkappid.
    #[serde(default)]
    pub apps: Vec<AppDoc>,
}

/// One app's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppDoc {
    /// The app.
    pub sdkappid: u64,
    /// How many assigned group IDs the app has drawn; new IDs continue after it.
    #[serde(default)]
    pub next_assigned_id: u64,
    /// Imported accounts (admins are not listed: they come from the app's policy).
    #[serde(default)]
    pub accounts: Vec<AccountDoc>,
    /// Groups, in creation order.
    #[serde(default)]
    pub groups: Vec<GroupDoc>,
}

/// One imported account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct AccountDoc {
    /// The account's UserID.
    pub UserID: String,
    /// Nickname.
    #[serde(default)]
    pub Nick: String,
    /// Avatar URL.
    #[serde(default)]
    pub FaceUrl: String,
}

impl AccountDoc {
    /// The document form of a stored account.
    pub fn from_account(id: String, a: Account) -> Self {
        Self {
            UserID: id,
            Nick: a.nick,
            FaceUrl: a.face_url,
        }
    }
}

/// One group with every stored field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct GroupDoc {
    /// The group ID.
    pub GroupId: String,
    /// The type (`Private`, `Public`, `ChatRoom`, `AVChatRoom`, `BChatRoom`).
    pub Type: String,
    /// Name.
    pub Name: String,
    /// Introduction.
    #[serde(default)]
    pub Introduction: String,
    /// Notification.
    #[serde(default)]
    pub Notification: String,
    /// Avatar URL.
    #[serde(default)]
    pub FaceUrl: String,
    /// MaxMemberCount; absent means the type's default (0 = unlimited).
    #[serde(default)]
    pub MaxMemberCount: Option<u32>,
    /// ApplyJoinOption; absent means `NeedPermission`.
    #[serde(default)]
    pub ApplyJoinOption: Option<String>,
    /// The owner, who must also be listed in `MemberList` with `Role` `Owner`.
    #[serde(default)]
    pub Owner_Account: Option<String>,
    /// Unix seconds; absent means the time of the import.
    #[serde(default)]
    pub CreateTime: Option<u64>,
    /// Group custom data.
    #[serde(default)]
    pub AppDefinedData: Vec<CustomEntry>,
    /// Members, owner first.
    #[serde(default)]
    pub MemberList: Vec<MemberDoc>,
}

impl GroupDoc {
    /// The document form of a stored group.
    pub fn from_group(g: &Group) -> Self {
        Self {
            GroupId: g.id.clone(),
            Type: g.profile.group_type.name.to_string(),
            Name: g.profile.name.clone(),
            Introduction: g.profile.introduction.clone(),
            Notification: g.profile.notification.clone(),
            FaceUrl: g.profile.face_url.clone(),
            MaxMemberCount: Some(g.profile.max_members),
            ApplyJoinOption: Some(g.profile.apply_join.as_str().to_string()),
            Owner_Account: g.profile.owner.clone(),
            CreateTime: Some(g.create_time),
            AppDefinedData: g.profile.custom.clone(),
            MemberList: g.members.iter().map(MemberDoc::from_member).collect(),
        }
    }
}

/// One member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct MemberDoc {
    /// The member's UserID.
    pub Member_Account: String,
    /// `Owner`, `Admin` or `Member`; absent means `Member`.
    #[serde(default)]
    pub Role: Option<String>,
    /// Unix seconds; absent means the group's CreateTime.
    #[serde(default)]
    pub JoinTime: Option<u64>,
    /// Member custom data.
    #[serde(default)]
    pub AppMemberDefinedData: Vec<CustomEntry>,
}

impl MemberDoc {
    /// The document form of a stored member.
    pub fn from_member(m: &Member) -> Self {
        Self {
            Member_Account: m.account.clone(),
            Role: Some(m.role.as_str().to_string()),
            JoinTime: Some(m.join_time),
            AppMemberDefinedData: m.custom.clone(),
        }
    }
}
