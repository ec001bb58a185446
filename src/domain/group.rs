//! The stored group: the one model that commands change, reads answer from (through their
//! response filters) and the state document serializes.
//!
//! Field names on the wire are the vendor's (`GroupId`, `MemberList`, `Member_Account`, ...), so a
//! stored group reads like a get_group_info entry. Every field added after the first state-file
//! version has a default, so older files still load; `null` reads as the default wherever older
//! documents allowed it. Defaults follow spec §10.6: `InfoSeq` 1, `NextMsgSeq` 1, `MsgFlag`
//! `AcceptAndNotify`, times 0; a `CreateTime`, `LastInfoTime` or `JoinTime` of 0 is filled in when
//! the document is imported (see `snapshot`). A member's fields other than `Member_Account` and
//! `JoinTime` are written only when they differ from their defaults (`Role` `Member`, ...).

use compact_str::CompactString;
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};

use super::custom_data::CustomEntry;
use super::members::Members;
use super::message::{History, Notice, Recent, Window};
use std::collections::VecDeque;

/// Reads `null` as the type's default (older documents wrote `null` for absent values).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Declares a vendor enum spelled exactly as its variants, with `as_str`, `parse` and `ALL`.
macro_rules! vendor_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
        pub enum $name {
            $($(#[$vmeta])* #[allow(missing_docs)] $variant,)+
        }
        impl $name {
            /// Every value, in the order messages list them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            /// The vendor's spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant),)+ }
            }
            /// Parses the vendor's spelling (case-sensitive).
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
            /// The spellings, joined for error messages (`A, B or C`).
            pub fn choices() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                    _ => names.join(""),
                }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vendor_enum! {
    /// A group type as the REST API spells it (SPEC §3.2). Which ones exist, and their limits,
    /// is the rules profile's business ([`crate::rules::GroupTypeRule`]).
    GroupType { #[default] Private, Public, ChatRoom, AVChatRoom, BChatRoom, Community }
}

vendor_enum! {
    /// A member's role in a group.
    Role { Owner, Admin, #[default] Member }
}

vendor_enum! {
    /// How applications to join are handled (`ApplyJoinOption`); `NeedPermission` by default.
    ApplyJoinOption { FreeAccess, #[default] NeedPermission, DisableApply }
}

vendor_enum! {
    /// Who may invite (`InviteJoinOption`, spec §14.1).
    InviteJoinOption { #[default] FreeAccess, NeedPermission, DisableInvite }
}

vendor_enum! {
    /// A member's message option (`MsgFlag`); `AcceptAndNotify` by default (spec §10.6).
    MsgFlag { #[default] AcceptAndNotify, AcceptNotNotify, Discard }
}

vendor_enum! {
    /// A vendor switch such as `MuteAllMember`: `On` or `Off` (the default).
    Switch { On, #[default] Off }
}

impl GroupType {
    /// Whether groups of this type count against the BChatRoom cap rather than the daily quota.
    pub fn is_bchatroom(self) -> bool {
        self == Self::BChatRoom
    }
}

/// One member of a stored group.
///
/// Compact, because members outnumber everything else in a large state (issue 11 C: import peak
/// memory at most about 3× the document): 56 bytes, the UserID kept inline when it is at most 24
/// bytes (`CompactString`), and the fields most members never set (`NameCard`,
/// `LastSendMsgTime`, `AppMemberDefinedData`) in one box allocated only when one of them is
/// set. Read them through the accessors; in the state document the member is the flat
/// [`MemberDoc`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "MemberDoc")]
pub struct Member {
    /// The member's UserID; never changes once the member exists (the member index is keyed
    /// by it), hence private.
    account: CompactString,
    /// When the member joined (unix seconds); 0 in a document means the group's CreateTime.
    pub join_time: u64,
    /// The member's read position (`MsgSeq`): set for every member by import_group_msg and
    /// set_unread_msg_num, so kept inline.
    pub msg_seq: u64,
    /// `Owner`, `Admin` or `Member`.
    pub role: Role,
    /// The member's message option.
    pub msg_flag: MsgFlag,
    /// The rarely set fields; `None` while all of them hold their defaults.
    extra: Option<Box<MemberExtra>>,
}

/// The fields of a member that most members never set (see [`Member`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct MemberExtra {
    name_card: String,
    last_send_msg_time: u64,
    custom: Vec<CustomEntry>,
}

impl MemberExtra {
    fn is_default(&self) -> bool {
        self.name_card.is_empty() && self.last_send_msg_time == 0 && self.custom.is_empty()
    }
}

/// A member as the state document spells it (vendor field names, spec §3.5 and §10.6): what
/// [`Member`] reads from and writes to. Fields other than `Member_Account` and `JoinTime` are
/// written only when they differ from their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(
        serialize = "S: Serialize + AsRef<str>, C: Serialize + AsRef<[CustomEntry]>",
        deserialize = "S: Deserialize<'de> + Default, C: Deserialize<'de> + Default"
    )
)]
pub struct MemberDoc<S = CompactString, C = Vec<CustomEntry>> {
    /// `Member_Account`, the member's UserID.
    #[serde(rename = "Member_Account")]
    pub account: S,
    /// `Role`: `Owner`, `Admin` or `Member` (the default).
    #[serde(
        rename = "Role",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_default"
    )]
    pub role: Role,
    /// `JoinTime` in unix seconds; 0 means the group's CreateTime.
    #[serde(rename = "JoinTime", default, deserialize_with = "null_default")]
    pub join_time: u64,
    /// `NameCard`, "" when unset.
    #[serde(rename = "NameCard", default, skip_serializing_if = "is_empty_str")]
    pub name_card: S,
    /// `MsgFlag`.
    #[serde(rename = "MsgFlag", default, skip_serializing_if = "is_default")]
    pub msg_flag: MsgFlag,
    /// `MsgSeq`, the read position.
    #[serde(rename = "MsgSeq", default, skip_serializing_if = "is_default")]
    pub msg_seq: u64,
    /// `LastSendMsgTime` in unix seconds, 0 never.
    #[serde(
        rename = "LastSendMsgTime",
        default,
        skip_serializing_if = "is_default"
    )]
    pub last_send_msg_time: u64,
    /// `AppMemberDefinedData`.
    #[serde(
        rename = "AppMemberDefinedData",
        default,
        skip_serializing_if = "is_empty_list"
    )]
    pub custom: C,
}

fn is_empty_str<S: AsRef<str>>(s: &S) -> bool {
    s.as_ref().is_empty()
}

fn is_empty_list<C: AsRef<[CustomEntry]>>(c: &C) -> bool {
    c.as_ref().is_empty()
}

impl From<MemberDoc> for Member {
    fn from(d: MemberDoc) -> Self {
        let mut m = Member::new(d.account, d.role, d.join_time);
        m.msg_flag = d.msg_flag;
        m.msg_seq = d.msg_seq;
        let extra = MemberExtra {
            name_card: d.name_card.into_string(),
            last_send_msg_time: d.last_send_msg_time,
            custom: d.custom,
        };
        if !extra.is_default() {
            m.extra = Some(Box::new(extra));
        }
        m
    }
}

impl Serialize for Member {
    fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        MemberDoc::<&str, &[CustomEntry]> {
            account: &self.account,
            role: self.role,
            join_time: self.join_time,
            name_card: self.name_card(),
            msg_flag: self.msg_flag,
            msg_seq: self.msg_seq,
            last_send_msg_time: self.last_send_msg_time(),
            custom: self.custom(),
        }
        .serialize(s)
    }
}

/// Whether a member field holds its default, which the state document leaves out: members
/// outnumber everything else in a large state, and a member that only joined is then
/// `{"Member_Account":…,"JoinTime":…}`, a third of its full form (issue 11 C).
fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl Member {
    /// A member with default fields, joined at `join_time` (unix seconds).
    pub fn new(account: impl Into<CompactString>, role: Role, join_time: u64) -> Self {
        Self {
            account: account.into(),
            role,
            join_time,
            msg_flag: MsgFlag::AcceptAndNotify,
            msg_seq: 0,
            extra: None,
        }
    }

    /// The member's UserID.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The member's group card (`NameCard`), "" when unset.
    pub fn name_card(&self) -> &str {
        self.extra.as_ref().map_or("", |e| &e.name_card)
    }

    /// When the member last sent a message (`LastSendMsgTime`, unix seconds, 0 never).
    pub fn last_send_msg_time(&self) -> u64 {
        self.extra.as_ref().map_or(0, |e| e.last_send_msg_time)
    }

    /// The member's custom data (`AppMemberDefinedData`).
    pub fn custom(&self) -> &[CustomEntry] {
        self.extra.as_ref().map_or(&[], |e| &e.custom)
    }

    /// Sets `NameCard`.
    pub fn set_name_card(&mut self, card: String) {
        self.change(|e| e.name_card = card);
    }

    /// Sets `LastSendMsgTime` (unix seconds).
    pub fn set_last_send_msg_time(&mut self, time: u64) {
        self.change(|e| e.last_send_msg_time = time);
    }

    /// Replaces `AppMemberDefinedData`.
    pub fn set_custom(&mut self, custom: Vec<CustomEntry>) {
        self.change(|e| e.custom = custom);
    }

    /// Changes the rarely set fields, allocating them on first use and dropping them when they
    /// are all back to their defaults.
    fn change(&mut self, f: impl FnOnce(&mut MemberExtra)) {
        let extra = self.extra.get_or_insert_with(Box::default);
        f(extra);
        if extra.is_default() {
            self.extra = None;
        }
    }
}

/// The stored group (spec §3.5 and §10.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The group ID (custom or assigned).
    #[serde(rename = "GroupId")]
    pub id: CompactString,
    /// The type.
    #[serde(rename = "Type")]
    pub group_type: GroupType,
    /// `Name`.
    #[serde(rename = "Name")]
    pub name: CompactString,
    /// `Introduction` ("" when not given).
    #[serde(rename = "Introduction", default)]
    pub introduction: String,
    /// `Notification` ("" when not given).
    #[serde(rename = "Notification", default)]
    pub notification: String,
    /// `FaceUrl` ("" when not given).
    #[serde(rename = "FaceUrl", default)]
    pub face_url: String,
    /// `MaxMemberCount` (read back as `MaxMemberNum`); 0 stands for an unlimited type created
    /// without one (in a document, 0 or absent means the type's default).
    #[serde(rename = "MaxMemberCount", default, deserialize_with = "null_default")]
    pub max_members: u32,
    /// `ApplyJoinOption`.
    #[serde(rename = "ApplyJoinOption", default, deserialize_with = "null_default")]
    pub apply_join: ApplyJoinOption,
    /// `InviteJoinOption` as set; `None` until set, when reads show the type's default.
    #[serde(
        rename = "InviteJoinOption",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub invite_join: Option<InviteJoinOption>,
    /// The owner's UserID, if the group has an owner.
    #[serde(rename = "Owner_Account", default)]
    pub owner: Option<CompactString>,
    /// When the group was created (unix seconds).
    #[serde(rename = "CreateTime", default, deserialize_with = "null_default")]
    pub create_time: u64,
    /// The profile sequence (`InfoSeq`): 1 at creation, +1 per profile change.
    #[serde(rename = "InfoSeq", default = "one")]
    pub info_seq: u64,
    /// The last profile or member-list change (unix seconds; starts at CreateTime).
    #[serde(rename = "LastInfoTime", default)]
    pub last_info_time: u64,
    /// The sequence the next message gets (1 in a group without messages).
    #[serde(rename = "NextMsgSeq", default = "one")]
    pub next_msg_seq: u64,
    /// When the last message was stored (unix seconds, 0 none).
    #[serde(rename = "LastMsgTime", default)]
    pub last_msg_time: u64,
    /// Whether every member is muted (`MuteAllMember`).
    #[serde(rename = "MuteAllMember", default)]
    pub mute_all: Switch,
    /// The group's custom data (`AppDefinedData`).
    #[serde(rename = "AppDefinedData", default)]
    pub custom: Vec<CustomEntry>,
    /// The members, in join order (the owner first at creation).
    #[serde(rename = "MemberList", default)]
    pub members: Members,
    /// The mute table: account → muted until (unix seconds). Kept apart from the members, so a
    /// mute outlives leaving and re-joining (spec §10.6). In the order the mutes were set, which
    /// is the order get_group_muted_account lists them in (spec §20).
    #[serde(
        rename = "MutedAccounts",
        default,
        skip_serializing_if = "Mutes::is_empty"
    )]
    pub mutes: Mutes,
    /// Whether a Private group has had its first message (spec §17.4); other types are always
    /// active. Groups of documents without the field are active.
    #[serde(rename = "activated", default = "yes")]
    pub activated: bool,
    /// The stored messages (spec §30.5), oldest first.
    #[serde(
        rename = "Messages",
        default,
        skip_serializing_if = "History::is_empty"
    )]
    pub messages: History,
    /// The online member count get_online_member_num answers, set from the control plane
    /// (spec §38; there are no client logins to count).
    #[serde(rename = "OnlineMemberNum", default, skip_serializing_if = "is_zero")]
    pub online_member_num: u64,
    /// Sends of the last few minutes, for duplicate suppression (spec §30.3; not part of the
    /// document).
    #[serde(skip)]
    pub recent: Recent,
    /// Messages counted in the current second (spec §31.2 step 12; not part of the document).
    #[serde(skip)]
    pub window: Window,
    /// The latest system notifications, newest last, at most [`NOTICES_KEPT`] (spec §32; not
    /// part of the document).
    #[serde(skip)]
    pub notices: VecDeque<Notice>,
    /// The `identifier` that created the group with create_group or import_group (spec §40.4:
    /// a re-used custom ID is 10025 when the same caller created the live group); `""` when
    /// unknown (documents written before it was kept).
    #[serde(
        rename = "Creator_Account",
        default,
        skip_serializing_if = "CompactString::is_empty"
    )]
    pub creator: CompactString,
    /// Creation order within the app, for paging the group list (not part of the document:
    /// the document's order is the creation order).
    #[serde(skip)]
    pub seq: u64,
}

/// A group's mute table: account → muted until (unix seconds), in the order the mutes were
/// set. In the state document a JSON object (`MutedAccounts`). Empty in most groups, so it
/// takes 8 bytes there and the table is allocated with the first mute (issue 11 C).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mutes(Option<Box<IndexMap<String, u64>>>);

impl Mutes {
    /// Whether no account is in the table (expired entries count as entries).
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|t| t.is_empty())
    }

    /// The end of `account`'s mute (unix seconds), expired or not.
    pub fn get(&self, account: &str) -> Option<&u64> {
        self.0.as_ref()?.get(account)
    }

    /// Sets `account`'s end; a new account goes last, an existing one keeps its place.
    pub fn insert(&mut self, account: String, until: u64) {
        self.0
            .get_or_insert_with(Box::default)
            .insert(account, until);
    }

    /// Removes `account`, keeping the others' order; frees the table once it is empty.
    pub fn shift_remove(&mut self, account: &str) -> Option<u64> {
        let table = self.0.as_mut()?;
        let until = table.shift_remove(account);
        if table.is_empty() {
            self.0 = None;
        }
        until
    }

    /// Every entry (account, until) in the order the mutes were set.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &u64)> {
        self.0.iter().flat_map(|t| t.iter())
    }
}

impl Serialize for Mutes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Mutes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let table = IndexMap::<String, u64>::deserialize(d)?;
        Ok(Self((!table.is_empty()).then(|| Box::new(table))))
    }
}

/// How many system notifications a group's log keeps for the control plane (emulator choice).
pub const NOTICES_KEPT: usize = 100;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn one() -> u64 {
    1
}

fn yes() -> bool {
    true
}

impl Group {
    /// A group of `group_type` named `name`, with every other field at its default and no
    /// members; the store stamps the ID, the times and the creation order when it inserts it.
    pub fn new(group_type: GroupType, name: String) -> Self {
        Self {
            id: CompactString::default(),
            group_type,
            name: name.into(),
            introduction: String::new(),
            notification: String::new(),
            face_url: String::new(),
            max_members: 0,
            apply_join: ApplyJoinOption::NeedPermission,
            invite_join: None,
            owner: None,
            create_time: 0,
            info_seq: 1,
            last_info_time: 0,
            next_msg_seq: 1,
            last_msg_time: 0,
            mute_all: Switch::Off,
            custom: Vec::new(),
            members: Members::default(),
            mutes: Mutes::default(),
            activated: true,
            messages: History::default(),
            online_member_num: 0,
            recent: Recent::default(),
            window: Window::default(),
            notices: VecDeque::new(),
            creator: CompactString::default(),
            seq: 0,
        }
    }

    /// Whether this group counts against the BChatRoom cap rather than the daily quota.
    pub fn is_bchatroom(&self) -> bool {
        self.group_type.is_bchatroom()
    }

    /// Sets the creation time, and every time that starts with it (LastInfoTime, JoinTimes
    /// still 0).
    pub fn stamp_created(&mut self, now: u64) {
        self.create_time = now;
        self.last_info_time = now;
        for m in self.members.iter_mut() {
            if m.join_time == 0 {
                m.join_time = now;
            }
        }
    }

    /// Records a profile change at `now`: `InfoSeq` + 1, `LastInfoTime` = now (spec §10.6).
    pub fn profile_changed(&mut self, now: u64) {
        self.info_seq += 1;
        self.last_info_time = now;
    }

    /// Records a member-list change at `now`: `LastInfoTime` = now, `InfoSeq` unchanged.
    pub fn members_changed(&mut self, now: u64) {
        self.last_info_time = now;
    }

    /// Mutes `account` for `seconds` from `now` (spec §15.5): 0 unmutes; the end is capped at
    /// `max`, and `seconds == max` means for ever (stored as `max`). A mute still running keeps
    /// its place in the table's order; an expired one counts as absent, so muting again puts it
    /// last, as a new mute (spec §20).
    pub fn set_mute(&mut self, account: &str, seconds: u64, now: u64, max: u64) {
        if seconds == 0 || self.mutes.get(account).is_some_and(|&until| until <= now) {
            self.mutes.shift_remove(account);
        }
        if seconds == 0 {
            return;
        }
        let until = if seconds >= max {
            max
        } else {
            now.saturating_add(seconds).min(max)
        };
        self.mutes.insert(account.to_string(), until);
    }

    /// Until when `account` is muted (unix seconds), or 0 when not muted at `now`.
    pub fn muted_until(&self, account: &str, now: u64) -> u64 {
        match self.mutes.get(account) {
            Some(&until) if until > now => until,
            _ => 0,
        }
    }

    /// `account`'s unread count (spec §30.5): derived from the stored messages after its read
    /// position; 0 in group types that keep none (AVChatRoom, BChatRoom, and ChatRoom unless
    /// `chatroom_counts`, the app feature `meeting_unread`) and for non-members.
    pub fn unread_for(&self, account: &str, chatroom_counts: bool) -> u64 {
        match self.group_type {
            GroupType::AVChatRoom | GroupType::BChatRoom => 0,
            GroupType::ChatRoom if !chatroom_counts => 0,
            _ => self
                .members
                .get(account)
                .map_or(0, |m| self.messages.unread_for(account, m.msg_seq)),
        }
    }

    /// The mutes still running at `now` (account, until), in the order they were set (spec §20).
    pub fn active_mutes(&self, now: u64) -> impl Iterator<Item = (&str, u64)> {
        self.mutes
            .iter()
            .filter(move |&(_, &until)| until > now)
            .map(|(account, &until)| (account.as_str(), until))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        for o in ApplyJoinOption::ALL {
            assert_eq!(ApplyJoinOption::parse(o.as_str()), Some(*o));
        }
        assert_eq!(ApplyJoinOption::parse("freeaccess"), None);
        assert_eq!(
            ApplyJoinOption::choices(),
            "FreeAccess, NeedPermission or DisableApply"
        );
    }

    #[test]
    fn defaults_follow_the_spec() {
        let g = Group::new(GroupType::Public, "g".into());
        assert_eq!((g.info_seq, g.next_msg_seq, g.last_msg_time), (1, 1, 0));
        assert_eq!(g.mute_all, Switch::Off);
        assert_eq!(g.apply_join, ApplyJoinOption::NeedPermission);
        let m = Member::new("a", Role::Member, 5);
        assert_eq!(m.msg_flag, MsgFlag::AcceptAndNotify);
        assert_eq!((m.msg_seq, m.last_send_msg_time()), (0, 0));
    }

    #[test]
    fn a_first_version_document_loads_with_defaults() {
        let doc = serde_json::json!({
            "GroupId": "g", "Type": "Public", "Name": "n", "MaxMemberCount": null,
            "ApplyJoinOption": null, "Owner_Account": null, "CreateTime": 7,
            "AppDefinedData": [],
            "MemberList": [{"Member_Account": "a", "Role": null, "JoinTime": 9, "AppMemberDefinedData": []}]
        });
        let g: Group = serde_json::from_value(doc).expect("old documents load");
        assert_eq!((g.info_seq, g.next_msg_seq, g.max_members), (1, 1, 0));
        let m = g.members.get("a").expect("member");
        assert_eq!((m.role, m.join_time), (Role::Member, 9));
    }

    #[test]
    fn mutes_end_at_now_plus_the_time_capped_and_zero_unmutes() {
        let mut g = Group::new(GroupType::Public, "g".into());
        let max = 4_294_967_295;
        g.set_mute("a", 60, 1000, max);
        assert_eq!(g.muted_until("a", 1000), 1060);
        g.set_mute("a", max, 1000, max);
        assert_eq!(g.muted_until("a", 1000), max, "for ever");
        g.set_mute("a", max - 1, 1000, max);
        assert_eq!(g.muted_until("a", 1000), max, "capped");
        g.set_mute("a", 0, 1000, max);
        assert_eq!(g.muted_until("a", 1000), 0);
        assert!(g.mutes.is_empty());
    }

    #[test]
    fn mutes_count_only_while_in_the_future() {
        let mut g = Group::new(GroupType::Public, "g".into());
        g.mutes.insert("a".into(), 100);
        assert_eq!(g.muted_until("a", 99), 100);
        assert_eq!(g.muted_until("a", 100), 0);
        assert_eq!(g.muted_until("b", 0), 0);
    }

    #[test]
    fn the_mute_table_keeps_the_order_mutes_were_set_in() {
        let mut g = Group::new(GroupType::Public, "g".into());
        let max = 4_294_967_295;
        let order = |g: &Group, now| -> Vec<String> {
            g.active_mutes(now).map(|(a, _)| a.to_string()).collect()
        };
        g.set_mute("anna", 30, 1000, max);
        for a in ["peter", "leckie"] {
            g.set_mute(a, 60, 1000, max);
        }
        g.set_mute("peter", 120, 1010, max);
        assert_eq!(
            order(&g, 1010),
            ["anna", "peter", "leckie"],
            "a running mute keeps its place"
        );
        g.set_mute("leckie", 0, 1010, max);
        assert_eq!(order(&g, 1010), ["anna", "peter"]);
        assert_eq!(order(&g, 1040), ["peter"], "anna's mute ran out");
        g.set_mute("anna", 30, 1040, max);
        assert_eq!(
            order(&g, 1040),
            ["peter", "anna"],
            "a new mute after expiry goes last"
        );
        assert_eq!(g.active_mutes(1130).count(), 0);
    }
}
