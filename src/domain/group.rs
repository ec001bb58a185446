//! A stored group and its members, as create_group leaves them and the reads return them.

use serde::Serialize;

use super::custom_data::CustomEntry;
use crate::rules::GroupTypeRule;

/// A member's role in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Role {
    /// The group's owner.
    Owner,
    /// An admin of the group.
    Admin,
    /// An ordinary member.
    Member,
}

impl Role {
    /// The role as the vendor spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Member => "Member",
        }
    }

    /// Parses a spelled role (any of the three).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Owner, Self::Admin, Self::Member]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// How applications to join are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ApplyJoinOption {
    /// Anyone may join.
    FreeAccess,
    /// Joining needs approval (the default).
    NeedPermission,
    /// No one may apply.
    DisableApply,
}

impl ApplyJoinOption {
    /// Every option, in the order messages list them.
    pub const ALL: [Self; 3] = [Self::FreeAccess, Self::NeedPermission, Self::DisableApply];

    /// The option as the vendor spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FreeAccess => "FreeAccess",
            Self::NeedPermission => "NeedPermission",
            Self::DisableApply => "DisableApply",
        }
    }

    /// Parses the vendor spelling (case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// One member of a stored group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member's UserID.
    pub account: String,
    /// The member's role.
    pub role: Role,
    /// When the member joined (unix seconds).
    pub join_time: u64,
    /// The member's custom data.
    pub custom: Vec<CustomEntry>,
}

/// What create_group sets and the reads return, apart from the ID and the members: shared by the
/// validated request ([`NewGroup`](super::create_group::NewGroup)) and the stored [`Group`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProfile {
    /// The group type's rule.
    pub group_type: &'static GroupTypeRule,
    /// `Name`.
    pub name: String,
    /// `Introduction` (empty when not given).
    pub introduction: String,
    /// `Notification` (empty when not given).
    pub notification: String,
    /// `FaceUrl` (empty when not given).
    pub face_url: String,
    /// `MaxMemberCount`; 0 stands for an unlimited type created without one.
    pub max_members: u32,
    /// `ApplyJoinOption`.
    pub apply_join: ApplyJoinOption,
    /// The owner's UserID, if the group has an owner.
    pub owner: Option<String>,
    /// The group's custom data (`AppDefinedData`).
    pub custom: Vec<CustomEntry>,
}

/// A stored group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group ID (custom or assigned).
    pub id: String,
    /// Type, name, texts, limits, owner and custom data.
    pub profile: GroupProfile,
    /// When the group was created (unix seconds).
    pub create_time: u64,
    /// Creation order within the app, for paging the group list.
    pub seq: u64,
    /// The members, owner first.
    pub members: Vec<Member>,
}

impl Group {
    /// Whether this group counts against the BChatRoom cap rather than the daily quota.
    pub fn is_bchatroom(&self) -> bool {
        self.profile.group_type.name == "BChatRoom"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for r in [Role::Owner, Role::Admin, Role::Member] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for o in ApplyJoinOption::ALL {
            assert_eq!(ApplyJoinOption::parse(o.as_str()), Some(o));
        }
        assert_eq!(ApplyJoinOption::parse("freeaccess"), None);
    }
}
