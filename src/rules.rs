//! The numbers of a rules profile: group types, byte limits, member limits, rates and quotas.
//!
//! Every limit the emulator enforces lives in one [`RulesProfile`] value so that a later profile
//! (the vendor's current published limits) is a second table, not a hunt through the code.

use crate::domain::group::GroupType;

/// What the profile says about one group type.
#[derive(Debug, PartialEq, Eq)]
pub struct GroupTypeRule {
    /// The type (its name is the vendor's spelling: `Public`, `AVChatRoom`, ...).
    pub kind: GroupType,
    /// The character that follows `@TGS#` in an ID the emulator assigns.
    pub id_char: char,
    /// Default and cap of `MaxMemberCount`; `None` means unlimited.
    pub max_members: Option<u32>,
    /// Whether `MemberList` may be non-empty at creation (else 10007).
    pub members_at_creation: bool,
    /// Whether members may hold the `Admin` role.
    pub has_admins: bool,
}

/// Every number a rules profile fixes.
#[derive(Debug, PartialEq, Eq)]
pub struct RulesProfile {
    /// The profile's name, as given to `--rules-profile`.
    pub name: &'static str,
    /// The edition whose numbers the table holds (`None` for the default profile, which
    /// ignores editions; spec §40.1).
    pub edition: Option<Edition>,
    /// The group types this profile knows.
    pub group_types: &'static [GroupTypeRule],
    /// Most bytes in `Name`.
    pub name_max_bytes: usize,
    /// Most bytes in `Introduction`.
    pub introduction_max_bytes: usize,
    /// Most bytes in `Notification`.
    pub notification_max_bytes: usize,
    /// Most bytes in `FaceUrl`.
    pub face_url_max_bytes: usize,
    /// Most bytes in a custom `GroupId`.
    pub group_id_max_bytes: usize,
    /// A custom `GroupId` must not start with this (it marks assigned IDs).
    pub assigned_id_prefix: &'static str,
    /// Whether a custom `GroupId` may hold only printable ASCII (0x20–0x7e; spec §40.2 #3);
    /// otherwise only control characters are refused.
    pub group_id_printable_ascii: bool,
    /// Most bytes in a custom-data `Key`.
    pub custom_key_max_bytes: usize,
    /// Most bytes in a group custom-data `Value`.
    pub group_value_max_bytes: usize,
    /// Most bytes in a member custom-data `Value`.
    pub member_value_max_bytes: usize,
    /// Most items in `MemberList` at creation (else 10005).
    pub member_list_max: usize,
    /// create_group calls per second per app (60007 beyond).
    pub create_group_per_second: u32,
    /// Calls per second per app for every other command.
    pub other_per_second: u32,
    /// Group creations per app per China Standard Time day, BChatRoom not counted (10006).
    pub daily_group_creations: u32,
    /// BChatRoom groups that may exist per app at once (10006).
    pub bchatroom_max: u32,
    /// Most bytes in a `UserID`.
    pub user_id_max_bytes: usize,
    /// Most bytes in a standard profile value: account_import's `Nick` (Tag_Profile_IM_Nick)
    /// and `FaceUrl` (Tag_Profile_IM_Image); 40601 beyond.
    pub profile_value_max_bytes: usize,
    /// Most accounts in one account_import batch, check or delete.
    pub account_batch_max: usize,
    /// Most IDs in one get_group_info `GroupIdList`.
    pub group_info_max_ids: usize,
    /// Default and largest `Limit` of get_appid_group_list.
    pub group_list_max_limit: u32,
    /// get_appid_group_list calls per second per app, answered 10006 beyond (0: only the
    /// common per-app limit applies; spec §40.6).
    pub group_list_per_second: u32,
    /// What get_appid_group_list adds to a position to make its `Next` cursor: 0 (positions)
    /// or 2^32 (opaque cursors an SDK must keep as unsigned 64-bit numbers; spec §40.6).
    pub group_list_cursor_base: u64,
    /// Most `MemberList` items of one add_group_member (10005; spec §25).
    pub add_group_member_batch: u32,
    /// Most `MemberToDel_Account` items of one delete_group_member (10004; spec §25).
    pub delete_group_member_batch: u32,
    /// Most `MemberList` items of one import_group_member (10005; spec §25).
    pub import_group_member_batch: u32,
    /// Most `User_Account` items of one get_role_in_group (10004; spec §18).
    pub role_batch_max: usize,
    /// Most `Members_Account` items of one forbid_send_msg (10004; spec §19).
    pub mute_batch_max: usize,
    /// Largest `Limit` of get_joined_group_list (spec §17).
    pub joined_list_max_limit: u32,
    /// Largest `Limit` of get_group_member_info (spec §25).
    pub member_info_max_limit: u32,
    /// Most bytes in a member's `NameCard` (spec §15).
    pub name_card_max_bytes: usize,
    /// Most distinct custom keys stored per group (spec §14).
    pub group_custom_keys_max: usize,
    /// Most distinct custom keys stored per member (spec §15).
    pub member_custom_keys_max: usize,
    /// Most groups one account may belong to (10037); 0 = off (spec §25).
    pub groups_per_user: u32,
    /// Longest mute, in seconds (`MuteTime`; this value means "for ever", spec §15.5).
    pub mute_time_max: u64,
    /// Most bytes in one message by the size rule of spec §30.2 (80002 beyond).
    pub msg_max_bytes: usize,
    /// Messages per second per group (spec §31.2 step 12; 10023 beyond in this profile).
    pub group_msgs_per_second_per_group: u32,
    /// Seconds within which an identical send is a duplicate (spec §30.3).
    pub msg_dedup_window_s: u64,
    /// Most `To_Account` receivers of one message (10005 beyond; spec §31.1).
    pub to_account_max: usize,
    /// Most `GroupAtInfo` targets of one message (10053 beyond; spec §31.1).
    pub group_at_max: usize,
    /// Most `ToMembers_Account` items of one system notification (10005 beyond; spec §32).
    pub system_notification_recipients_max: usize,
    /// Most messages group_msg_get_simple returns per call (spec §33).
    pub history_max_per_call: u32,
    /// Most `MsgSeqList` items of one group_msg_recall (10004 beyond; spec §34).
    pub recall_max_per_call: usize,
    /// Most bytes in a recall's `Reason` (10004 beyond; spec §34).
    pub recall_reason_max_bytes: usize,
    /// How many of the newest messages delete_group_msg_by_sender looks at (spec §35).
    pub delete_by_sender_window: u64,
    /// Most messages in one import_group_msg `MsgList` (10004 beyond; spec §36).
    pub import_msgs_per_call: usize,
    /// Days a message stays in history; older ones read as holes (spec §30.5).
    pub history_retention_days: u32,
    /// import_group_msg refuses a `SendTime` equal to the group's `CreateTime`, to the newest
    /// message's time or to now (spec §36.2, §40.7 `import_send_time_strict`); `false` lets
    /// equal times through.
    pub import_send_time_strict: bool,
    /// Over the per-group rate ([`Self::group_msgs_per_second_per_group`]) send_group_msg
    /// answers OK with `MsgDropReason` `"MsgFreqCtrl"` and `MsgSeq` 0 and stores nothing
    /// (`true`, `current`), instead of refusing with 10023 (`false`, default; spec §31.2 step 12,
    /// §40.2 #18).
    pub msg_freq_drop: bool,
    /// Whether the edition allows `To_Account` (targeted group messages) in send_group_msg;
    /// `false` answers 10059 (spec §31.2 step 6, §40.2 #19, §40.3: `current` Ultimate and
    /// Enterprise only).
    pub targeted_group_msgs: bool,
    /// Whether get_online_member_num answers for every group type when the app has the
    /// feature `group_online_status` (spec §38, §40.2 #17: `current` Ultimate and Enterprise);
    /// otherwise only AVChatRoom groups are counted and the others answer 10007.
    pub online_count_all_types: bool,
    /// send_group_msg messages one app may send through the REST API per China Standard Time
    /// day; 0 = unlimited (10023 beyond; spec §31.2 step 10, §40.3: `current` Trial 1,000).
    pub daily_rest_group_msgs: u32,
    // ---- create_group and the group quotas of spec §40.2–§40.5 and §40.7 (issue 13) ----
    /// Whether this edition may create `Community` groups (spec §40.3; 10059 otherwise).
    pub community_allowed: bool,
    /// Default and cap of a Community's `MaxMemberCount` (`community_member_cap`; 0 where the
    /// edition has no Community; spec §40.3).
    pub community_member_cap: u32,
    /// Default and cap of `MaxMemberCount` for Private, Public and ChatRoom (`member_cap`,
    /// the edition's cap, spec §40.3); 0 = each type's own cap in `group_types`.
    pub member_cap: u32,
    /// Communities that may exist per app (`community_max`; 10006 beyond; 0 = unlimited).
    pub community_max: u32,
    /// Groups of every type that may exist per app (`total_groups`; 10058 beyond; 0 =
    /// unlimited).
    pub total_groups: u32,
    /// AVChatRoom groups that may exist per app (`avchatroom_max`; 10036 beyond; 0 =
    /// unlimited).
    pub avchatroom_max: u32,
    /// The most groups created minus groups destroyed per app per China Standard Time day
    /// (`daily_net_group_increase`; 10006 beyond; 0 = off; spec §40.3).
    pub daily_net_group_increase: u32,
    /// Accounts that may be imported per app (`accounts_max`; 70398 beyond; 0 = unlimited).
    pub accounts_max: u32,
    /// The daily-quota alarm callback fires when the day's net increase passes this percentage
    /// of `daily_net_group_increase` (0 = never; spec §40.3, 70).
    pub daily_quota_alarm_percent: u32,
    /// Whether create_group's `Type` and get_appid_group_list's `GroupType` accept `Work` for
    /// Private and `Meeting` for ChatRoom (spec §40.2 #1, §40.7 `type_aliases`).
    pub type_aliases: bool,
    /// Whether BChatRoom may be created (spec §40.2 #1, §40.7 `allow_bchatroom`).
    pub allow_bchatroom: bool,
    /// Which code a re-used custom GroupId gets (spec §40.4, §40.7 `dup_group_id_rule`).
    pub dup_group_id_rule: DupGroupIdRule,
    /// base32 characters after `@TGS#` and the type character in an assigned ID (spec §40.5).
    pub assigned_id_len: usize,
    /// What an assigned Community ID starts with, before the type character (spec §40.5).
    pub community_id_prefix: &'static str,
    /// base32 characters after [`Self::community_id_prefix`] and `c` (spec §40.5).
    pub community_id_len: usize,
    /// What a custom Community GroupId must start with (spec §40.2 #3).
    pub community_custom_prefix: &'static str,
    /// Whether custom-field keys may hold only `[A-Za-z0-9_]` (spec §40.2 #21).
    pub custom_key_word_chars: bool,
    /// Whether create_group takes `InviteJoinOption`, `SupportTopic`, `EnablePermission` and
    /// `DefaultPermission`, stores the per-type join defaults of spec §40.4, ignores
    /// `ApplyJoinOption` on Community and answers `HugeGroupFlag`/`Type` for a Community
    /// (spec §40.2 #8–#11).
    pub create_group_join_options: bool,
    /// Whether members over the edition cap (no `MaxMemberCount` given) are 10038 rather than
    /// 10004 (spec §40.2 #7).
    pub member_cap_code_10038: bool,
}

/// Which code create_group answers for a custom GroupId already in use (spec §40.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DupGroupIdRule {
    /// 10025 when the live group was created by the same `identifier`, else 10021.
    Creator,
    /// 10025 when the live group's `Owner_Account` equals the request's (both non-empty),
    /// else 10021.
    Owner,
    /// Always 10021 (the default profile's answer).
    #[serde(rename = "always_10021")]
    Always10021,
}

impl DupGroupIdRule {
    /// The spelling of the config key's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creator => "creator",
            Self::Owner => "owner",
            Self::Always10021 => "always_10021",
        }
    }
}

/// The default profile: the limits of the vendor's create_group reference page.
pub static DEFAULT: RulesProfile = DEFAULT_TABLE;

/// The default profile's numbers, as a constant the `current` tables start from.
const DEFAULT_TABLE: RulesProfile = RulesProfile {
    name: "default",
    edition: None,
    group_types: &[
        GroupTypeRule {
            kind: GroupType::Private,
            id_char: '1',
            max_members: Some(200),
            members_at_creation: true,
            has_admins: false,
        },
        GroupTypeRule {
            kind: GroupType::Public,
            id_char: '2',
            max_members: Some(2000),
            members_at_creation: true,
            has_admins: true,
        },
        GroupTypeRule {
            kind: GroupType::ChatRoom,
            id_char: '3',
            max_members: Some(10000),
            members_at_creation: true,
            has_admins: true,
        },
        GroupTypeRule {
            kind: GroupType::AVChatRoom,
            id_char: 'a',
            max_members: None,
            members_at_creation: false,
            has_admins: true,
        },
        GroupTypeRule {
            kind: GroupType::BChatRoom,
            id_char: 'b',
            max_members: None,
            members_at_creation: false,
            has_admins: true,
        },
    ],
    name_max_bytes: 30,
    introduction_max_bytes: 240,
    notification_max_bytes: 300,
    face_url_max_bytes: 100,
    group_id_max_bytes: 49,
    assigned_id_prefix: "@TGS#",
    group_id_printable_ascii: false,
    custom_key_max_bytes: 16,
    group_value_max_bytes: 512,
    member_value_max_bytes: 64,
    member_list_max: 500,
    create_group_per_second: 100,
    other_per_second: 200,
    daily_group_creations: 10_000,
    bchatroom_max: 5,
    user_id_max_bytes: 32,
    profile_value_max_bytes: 500,
    account_batch_max: 100,
    group_info_max_ids: 50,
    group_list_max_limit: 10_000,
    group_list_per_second: 0,
    group_list_cursor_base: 0,
    add_group_member_batch: 500,
    delete_group_member_batch: 500,
    import_group_member_batch: 300,
    role_batch_max: 500,
    mute_batch_max: 500,
    joined_list_max_limit: 5000,
    member_info_max_limit: 6000,
    name_card_max_bytes: 50,
    group_custom_keys_max: 10,
    member_custom_keys_max: 5,
    groups_per_user: 0,
    mute_time_max: 4_294_967_295,
    msg_max_bytes: 8_000,
    group_msgs_per_second_per_group: 40,
    msg_dedup_window_s: 300,
    to_account_max: 50,
    group_at_max: 30,
    system_notification_recipients_max: 500,
    history_max_per_call: 20,
    recall_max_per_call: 10,
    recall_reason_max_bytes: 100,
    delete_by_sender_window: 1_000,
    import_msgs_per_call: 20,
    history_retention_days: 7,
    import_send_time_strict: true,
    msg_freq_drop: false,
    targeted_group_msgs: true,
    online_count_all_types: false,
    daily_rest_group_msgs: 0,
    community_allowed: false,
    community_member_cap: 0,
    member_cap: 0,
    community_max: 0,
    total_groups: 0,
    avchatroom_max: 0,
    daily_net_group_increase: 0,
    accounts_max: 0,
    daily_quota_alarm_percent: 0,
    type_aliases: false,
    allow_bchatroom: true,
    dup_group_id_rule: DupGroupIdRule::Always10021,
    assigned_id_len: 8,
    community_id_prefix: "@TGS#_@TGS#",
    community_id_len: 11,
    community_custom_prefix: "@TGS#_",
    custom_key_word_chars: false,
    create_group_join_options: false,
    member_cap_code_10038: false,
};

/// A vendor edition (spec §40.1): the `current` profile's numbers depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    /// 体验版 (aliases `free`, `developer`).
    Trial,
    /// 专业版.
    Pro,
    /// 旗舰版 (alias `flagship`); the default.
    Ultimate,
    /// 企业版.
    Enterprise,
}

impl Edition {
    /// Every edition, cheapest first.
    pub const ALL: [Self; 4] = [Self::Trial, Self::Pro, Self::Ultimate, Self::Enterprise];

    /// The edition named `name` or one of its aliases (spec §40.1), ASCII case ignored.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "trial" | "free" | "developer" => Some(Self::Trial),
            "pro" => Some(Self::Pro),
            "ultimate" | "flagship" => Some(Self::Ultimate),
            "enterprise" => Some(Self::Enterprise),
            _ => None,
        }
    }

    /// The edition's name as the flag and config key spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trial => "trial",
            Self::Pro => "pro",
            Self::Ultimate => "ultimate",
            Self::Enterprise => "enterprise",
        }
    }

    /// The valid values, with aliases, for error messages.
    pub const CHOICES: &'static str =
        "trial (aliases free, developer), pro, ultimate (alias flagship), enterprise";
}

/// The group types of the `current` profile with `cap` members per Private, Public and ChatRoom
/// group (the edition's cap, spec §40.3) and Community (its cap is `community_member_cap`;
/// whether the edition may create one is `community_allowed`); BChatRoom is gone (spec §40.2
/// #1) unless an app switches `allow_bchatroom` on.
macro_rules! current_types {
    ($cap:expr) => {
        &[
            GroupTypeRule {
                kind: GroupType::Private,
                id_char: '1',
                max_members: Some($cap),
                members_at_creation: true,
                has_admins: false,
            },
            GroupTypeRule {
                kind: GroupType::Public,
                id_char: '2',
                max_members: Some($cap),
                members_at_creation: true,
                has_admins: true,
            },
            GroupTypeRule {
                kind: GroupType::ChatRoom,
                id_char: '3',
                max_members: Some($cap),
                members_at_creation: true,
                has_admins: true,
            },
            GroupTypeRule {
                kind: GroupType::AVChatRoom,
                id_char: 'a',
                max_members: None,
                members_at_creation: false,
                has_admins: true,
            },
            GroupTypeRule {
                kind: GroupType::Community,
                id_char: 'c',
                max_members: Some(100_000),
                members_at_creation: true,
                has_admins: true,
            },
        ]
    };
}

/// The numbers every edition of the `current` profile shares (spec §40.3).
const CURRENT_BASE: RulesProfile = RulesProfile {
    name: "current",
    edition: Some(Edition::Ultimate),
    group_types: current_types!(2000),
    create_group_per_second: 200,
    member_list_max: 100,
    group_id_max_bytes: 48,
    group_id_printable_ascii: true,
    add_group_member_batch: 20,
    delete_group_member_batch: 100,
    import_group_member_batch: 20,
    member_info_max_limit: 200,
    group_list_per_second: 1,
    group_list_cursor_base: 1 << 32,
    msg_max_bytes: 12_000,
    import_msgs_per_call: 7,
    msg_freq_drop: true,
    targeted_group_msgs: true,
    online_count_all_types: true,
    daily_rest_group_msgs: 0,
    daily_group_creations: 0,
    daily_net_group_increase: 10_000,
    daily_quota_alarm_percent: 70,
    community_allowed: true,
    community_member_cap: 100_000,
    member_cap: 2000,
    community_max: 100_000,
    type_aliases: true,
    allow_bchatroom: false,
    dup_group_id_rule: DupGroupIdRule::Creator,
    assigned_id_len: 9,
    custom_key_word_chars: true,
    create_group_join_options: true,
    member_cap_code_10038: true,
    ..DEFAULT_TABLE
};

/// `current`, Trial edition (spec §40.3).
pub static CURRENT_TRIAL: RulesProfile = RulesProfile {
    edition: Some(Edition::Trial),
    group_types: current_types!(20),
    groups_per_user: 50,
    history_retention_days: 7,
    targeted_group_msgs: false,
    online_count_all_types: false,
    daily_rest_group_msgs: 1_000,
    member_cap: 20,
    total_groups: 100,
    avchatroom_max: 10,
    daily_net_group_increase: 0,
    community_allowed: false,
    community_member_cap: 0,
    community_max: 0,
    accounts_max: 100,
    ..CURRENT_BASE
};

/// `current`, Pro edition (spec §40.3).
pub static CURRENT_PRO: RulesProfile = RulesProfile {
    edition: Some(Edition::Pro),
    group_types: current_types!(200),
    groups_per_user: 500,
    history_retention_days: 7,
    targeted_group_msgs: false,
    online_count_all_types: false,
    member_cap: 200,
    avchatroom_max: 50,
    community_allowed: false,
    community_member_cap: 0,
    community_max: 0,
    ..CURRENT_BASE
};

/// `current`, Ultimate edition (spec §40.3), the edition when none is named.
pub static CURRENT_ULTIMATE: RulesProfile = RulesProfile {
    edition: Some(Edition::Ultimate),
    group_types: current_types!(2000),
    groups_per_user: 2000,
    history_retention_days: 30,
    ..CURRENT_BASE
};

/// `current`, Enterprise edition (spec §40.3).
pub static CURRENT_ENTERPRISE: RulesProfile = RulesProfile {
    edition: Some(Edition::Enterprise),
    group_types: current_types!(6000),
    groups_per_user: 5000,
    history_retention_days: 90,
    member_cap: 6000,
    daily_net_group_increase: 50_000,
    ..CURRENT_BASE
};

/// The profiles `--rules-profile` may name (the `current` one as its Ultimate table).
pub static PROFILES: &[&RulesProfile] = &[&DEFAULT, &CURRENT_ULTIMATE];

/// The names `--rules-profile` accepts, for error messages.
pub const PROFILE_CHOICES: &str = "default, current";
/// Today's service: the few numbers of spec §40.3 (`current` profile, Ultimate edition) that
/// differ from [`DEFAULT`] where a request fails, used **only for hints** in ErrorInfo
/// ([`crate::diagnose::today_note`]). They enforce nothing; the `current` profile's own table
/// is the one that does (issue 13).
pub mod today {
    /// Most `MemberList` items of create_group (10005 beyond; default 500).
    pub const MEMBER_LIST_MAX: usize = 100;
    /// Most bytes in a custom `GroupId` (default 49).
    pub const GROUP_ID_MAX_BYTES: usize = 48;
    /// Most bytes in one message (80002 beyond; default 8,000).
    pub const MSG_MAX_BYTES: usize = 12_000;
    /// Most `MemberList` items of one add_group_member (10005 beyond; default 500).
    pub const ADD_GROUP_MEMBER_BATCH: usize = 20;
    /// Most `MemberList` items of one import_group_member (10005 beyond; default 300).
    pub const IMPORT_GROUP_MEMBER_BATCH: usize = 20;
}

impl RulesProfile {
    /// The profile called `name` in `edition` (ignored by the default profile), if there is
    /// one.
    pub fn select(name: &str, edition: Edition) -> Option<&'static RulesProfile> {
        match name {
            "default" => Some(&DEFAULT),
            "current" => Some(match edition {
                Edition::Trial => &CURRENT_TRIAL,
                Edition::Pro => &CURRENT_PRO,
                Edition::Ultimate => &CURRENT_ULTIMATE,
                Edition::Enterprise => &CURRENT_ENTERPRISE,
            }),
            _ => None,
        }
    }

    /// The profile called `name` (the `current` one in its default edition), if there is one.
    pub fn by_name(name: &str) -> Option<&'static RulesProfile> {
        PROFILES.iter().copied().find(|p| p.name == name)
    }

    /// The rule of the group type spelled `name` (case-sensitive).
    pub fn group_type(&self, name: &str) -> Option<&'static GroupTypeRule> {
        self.group_types.iter().find(|t| t.name() == name)
    }

    /// The rule of `kind`, if this profile has that type.
    pub fn rule_of(&self, kind: GroupType) -> Option<&'static GroupTypeRule> {
        self.group_types.iter().find(|t| t.kind == kind)
    }

    /// The type names, joined for error messages.
    pub fn type_names(&self) -> String {
        let names: Vec<&str> = self.group_types.iter().map(|t| t.name()).collect();
        names.join(", ")
    }
}

impl GroupTypeRule {
    /// The type's name as the vendor spells it.
    pub fn name(&self) -> &'static str {
        self.kind.as_str()
    }
}

/// `12,345`: a number with thousands separators, as the README writes them.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A quota: its number, or `∞` for 0.
fn quota(n: u32) -> String {
    if n == 0 {
        "∞".into()
    } else {
        thousands(n.into())
    }
}

/// One row of the README's numbers table: its label and its cell for a profile.
type Row = (&'static str, fn(&RulesProfile) -> String);

const TABLE_ROWS: &[Row] = &[
    ("group types", |p| {
        let mut names: Vec<&str> = p.group_types.iter().map(|t| t.name()).collect();
        if !p.community_allowed {
            names.retain(|n| *n != "Community");
        }
        let mut cell = names.join(", ");
        if !p.allow_bchatroom {
            cell.push_str(" (BChatRoom 10004)");
        }
        if p.type_aliases {
            cell.push_str("; `Work`→Private, `Meeting`→ChatRoom");
        }
        if p.group_type("Community").is_some() && !p.community_allowed {
            cell.push_str("; Community 10059");
        }
        cell
    }),
    ("create_group calls a second (60007)", |p| {
        thousands(p.create_group_per_second.into())
    }),
    ("create_group `MemberList` items (10005)", |p| {
        thousands(p.member_list_max as u64)
    }),
    (
        "members per Private / Public / ChatRoom group: default and cap of `MaxMemberCount` (`member_cap`; 10004 / 10038)",
        |p| match p.member_cap {
            0 => {
                let caps: Vec<String> = p
                    .group_types
                    .iter()
                    .filter_map(|t| t.max_members.filter(|_| t.members_at_creation))
                    .map(|n| thousands(n.into()))
                    .collect();
                caps.join(" / ")
            }
            n => thousands(n.into()),
        },
    ),
    (
        "members per Community (`community_member_cap`)",
        |p| match p.community_member_cap {
            0 => "—".into(),
            n => thousands(n.into()),
        },
    ),
    ("custom `GroupId` bytes (10004)", |p| {
        let chars = if p.group_id_printable_ascii {
            "printable ASCII"
        } else {
            "no control characters"
        };
        format!("{}, {chars}", p.group_id_max_bytes)
    }),
    ("base32 characters of an assigned ID (Community)", |p| {
        if p.edition.is_none() {
            thousands(p.assigned_id_len as u64)
        } else {
            format!("{} ({})", p.assigned_id_len, p.community_id_len)
        }
    }),
    ("groups per app (`total_groups`, 10058)", |p| {
        quota(p.total_groups)
    }),
    ("AVChatRoom groups per app (`avchatroom_max`, 10036)", |p| {
        quota(p.avchatroom_max)
    }),
    ("Communities per app (`community_max`, 10006)", |p| {
        if p.community_allowed {
            quota(p.community_max)
        } else {
            "—".into()
        }
    }),
    ("BChatRoom groups per app (`bchatroom_max`, 10006)", |p| {
        if p.allow_bchatroom {
            quota(p.bchatroom_max)
        } else {
            "—".into()
        }
    }),
    (
        "group creations a China day (10006): created (`daily_group_creations`) or created − destroyed (`daily_net_group_increase`)",
        |p| match (p.daily_group_creations, p.daily_net_group_increase) {
            (0, 0) => "—".into(),
            (n, 0) => format!("{} created", thousands(n.into())),
            (_, n) => format!("{} net", thousands(n.into())),
        },
    ),
    (
        "groups one user belongs to (`groups_per_user`, 10037)",
        |p| match p.groups_per_user {
            0 => "off".into(),
            n => thousands(n.into()),
        },
    ),
    ("imported accounts (`accounts_max`, 70398)", |p| {
        quota(p.accounts_max)
    }),
    ("add / delete / import member batches", |p| {
        format!(
            "{} / {} / {}",
            p.add_group_member_batch, p.delete_group_member_batch, p.import_group_member_batch
        )
    }),
    ("get_group_member_info `Limit`", |p| {
        thousands(p.member_info_max_limit.into())
    }),
    ("message bytes (80002)", |p| {
        thousands(p.msg_max_bytes as u64)
    }),
    ("messages per import_group_msg", |p| {
        thousands(p.import_msgs_per_call as u64)
    }),
    ("history retention, days", |p| {
        thousands(p.history_retention_days.into())
    }),
    ("get_appid_group_list calls a second", |p| {
        match p.group_list_per_second {
            0 => format!("{} (60007)", p.other_per_second),
            n => format!("{n} (10006)"),
        }
    }),
    ("get_appid_group_list `Next`", |p| {
        match p.group_list_cursor_base {
            0 => "a position".into(),
            _ => "2^32 + the last group's position (1..2^32: 10004)".into(),
        }
    }),
    ("send_group_msg over 40 a second in one group", |p| {
        if p.msg_freq_drop {
            "OK with `MsgDropReason` `MsgFreqCtrl`, `MsgSeq` 0, nothing stored".into()
        } else {
            "10023".into()
        }
    }),
    (
        "send_group_msg messages a China day (`daily_rest_group_msgs`, 10023)",
        |p| count_or_unlimited(p.daily_rest_group_msgs),
    ),
    ("`To_Account` in send_group_msg", |p| {
        if p.targeted_group_msgs {
            "allowed".into()
        } else {
            "10059".into()
        }
    }),
    (
        "get_online_member_num on Private / Public / ChatRoom",
        |p| {
            if p.online_count_all_types {
                "with the feature `group_online_status` (else 10007)".into()
            } else {
                "10007".into()
            }
        },
    ),
];

/// A count for the numbers table: "∞" for 0 (unlimited), else with thousands separators.
fn count_or_unlimited(n: u32) -> String {
    if n == 0 {
        "∞".into()
    } else {
        thousands(n.into())
    }
}

/// The README's table of the numbers of `default` and of `current` by edition, side by side
/// (issue 13), generated from the profile data so the two cannot drift apart; a unit test
/// checks that the README holds it verbatim.
pub fn numbers_table() -> String {
    let profiles = [
        &DEFAULT,
        &CURRENT_TRIAL,
        &CURRENT_PRO,
        &CURRENT_ULTIMATE,
        &CURRENT_ENTERPRISE,
    ];
    let mut out = String::from(
        "| number | default | current: trial | pro | ultimate | enterprise |\n|---|---|---|---|---|---|\n",
    );
    for (label, cell) in TABLE_ROWS {
        out.push_str("| ");
        out.push_str(label);
        for p in profiles {
            out.push_str(" | ");
            out.push_str(&cell(p));
        }
        out.push_str(" |\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_shows_the_numbers_table_generated_from_the_profiles() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let table = numbers_table();
        assert!(
            readme.contains(&table),
            "README.md's rules-profile table is out of date; paste this in its place:\n{table}"
        );
    }

    #[test]
    fn the_member_cap_matches_the_type_table_of_every_current_edition() {
        for p in [
            &CURRENT_TRIAL,
            &CURRENT_PRO,
            &CURRENT_ULTIMATE,
            &CURRENT_ENTERPRISE,
        ] {
            for kind in [GroupType::Private, GroupType::Public, GroupType::ChatRoom] {
                assert_eq!(
                    p.rule_of(kind).and_then(|r| r.max_members),
                    Some(p.member_cap)
                );
            }
        }
    }

    #[test]
    fn default_profile_is_found_by_name() {
        assert_eq!(
            RulesProfile::by_name("default").map(|p| p.name),
            Some("default")
        );
        assert!(RulesProfile::by_name("nope").is_none());
    }

    #[test]
    fn group_types_are_case_sensitive() {
        assert!(DEFAULT.group_type("Public").is_some());
        assert!(DEFAULT.group_type("public").is_none());
    }

    /// The message and group-life numbers of spec §40.3, by edition (trial, pro, ultimate,
    /// enterprise), against the default profile's.
    #[test]
    fn current_message_and_member_numbers_follow_the_table_by_edition() {
        let editions = [
            &CURRENT_TRIAL,
            &CURRENT_PRO,
            &CURRENT_ULTIMATE,
            &CURRENT_ENTERPRISE,
        ];
        let row = |f: fn(&RulesProfile) -> u64| editions.map(f);
        assert_eq!(row(|p| p.groups_per_user.into()), [50, 500, 2000, 5000]);
        assert_eq!(row(|p| p.history_retention_days.into()), [7, 7, 30, 90]);
        assert_eq!(row(|p| p.daily_rest_group_msgs.into()), [1000, 0, 0, 0]);
        assert_eq!(row(|p| p.targeted_group_msgs.into()), [0, 0, 1, 1]);
        assert_eq!(row(|p| p.online_count_all_types.into()), [0, 0, 1, 1]);
        assert_eq!(row(|p| p.msg_freq_drop.into()), [1, 1, 1, 1]);
        assert_eq!(row(|p| p.msg_max_bytes as u64), [12_000; 4]);
        assert_eq!(row(|p| p.import_msgs_per_call as u64), [7; 4]);
        assert_eq!(row(|p| p.add_group_member_batch.into()), [20; 4]);
        assert_eq!(row(|p| p.delete_group_member_batch.into()), [100; 4]);
        assert_eq!(row(|p| p.import_group_member_batch.into()), [20; 4]);
        assert_eq!(row(|p| p.member_info_max_limit.into()), [200; 4]);
        assert_eq!(row(|p| p.group_msgs_per_second_per_group.into()), [40; 4]);
        // The default profile keeps the seed's answers.
        assert_eq!(DEFAULT.daily_rest_group_msgs, 0);
        assert!(DEFAULT.targeted_group_msgs && !DEFAULT.online_count_all_types);
        assert!(!DEFAULT.msg_freq_drop);
        assert_eq!(
            (DEFAULT.msg_max_bytes, DEFAULT.import_msgs_per_call),
            (8_000, 20)
        );
    }

    #[test]
    fn type_id_chars_are_distinct() {
        let mut chars: Vec<char> = DEFAULT.group_types.iter().map(|t| t.id_char).collect();
        chars.sort_unstable();
        chars.dedup();
        assert_eq!(chars.len(), DEFAULT.group_types.len());
    }
}
