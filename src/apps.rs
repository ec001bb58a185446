//! Apps and what each one allows: admins, secret key, custom fields, sensitive words, limits.
//!
//! With no app configured every positive sdkappid is accepted with a permissive policy
//! (zero-config). With apps configured, only those exist and each carries its own policy.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::group::GroupType;
use crate::error::VendorError;
use crate::rules::{DupGroupIdRule, GroupTypeRule, RulesProfile};

/// The App admins of a zero-config app: the console default and the name every vendor example uses.
pub const ZERO_CONFIG_ADMINS: [&str; 2] = ["administrator", "admin"];

/// Who may write one custom field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldPerm {
    /// An App admin may write it (at creation); else 10007.
    pub writable: bool,
    /// A member may write their own value of it; else the owner's own entry is 10008.
    pub self_writable: bool,
}

/// Which custom-field keys an app accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldPolicy {
    /// Any key, any writer (zero-config).
    Any,
    /// Only these keys, with these permissions.
    Only(HashMap<String, FieldPerm>),
}

impl FieldPolicy {
    /// The permission of `key`, or `None` when the key is not enabled for the app.
    pub fn perm(&self, key: &str) -> Option<FieldPerm> {
        match self {
            Self::Any => Some(FieldPerm {
                writable: true,
                self_writable: true,
            }),
            Self::Only(map) => map.get(key).copied(),
        }
    }
}

/// Per-app throttles and quotas; 0 means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// create_group calls per second (60007 beyond).
    pub create_group_per_second: u32,
    /// Calls per second of every other command (60007 beyond).
    pub other_per_second: u32,
    /// Group creations per China Standard Time day, BChatRoom not counted (10006 beyond).
    pub daily_group_creations: u32,
    /// BChatRoom groups existing at once (10006 beyond).
    pub bchatroom_max: u32,
    /// Most `MemberList` items of one add_group_member (10005 beyond; spec §25).
    pub add_group_member_batch: u32,
    /// Most `MemberToDel_Account` items of one delete_group_member (10004 beyond; spec §25).
    pub delete_group_member_batch: u32,
    /// Most `MemberList` items of one import_group_member (10005 beyond; spec §25).
    pub import_group_member_batch: u32,
    /// Most groups one account may belong to (10037 beyond; 0 = off, the default; spec §25).
    pub groups_per_user: u32,
    /// Messages per second per group (10023 beyond; spec §31.2 step 12).
    pub group_msgs_per_second_per_group: u32,
    /// get_appid_group_list calls per second (10006 beyond; 0 = only the common limit;
    /// spec §40.6).
    pub group_list_per_second: u32,
    /// send_group_msg messages per China Standard Time day (10023 beyond; 0 = unlimited;
    /// spec §31.2 step 10, §40.3 `daily_rest_group_msgs`).
    pub daily_rest_group_msgs: u32,
    /// Groups of every type existing per app (10058 beyond; spec §40.3).
    pub total_groups: u32,
    /// AVChatRoom groups existing per app (10036 beyond; spec §40.3).
    pub avchatroom_max: u32,
    /// Community groups existing per app (10006 beyond; spec §40.3).
    pub community_max: u32,
    /// Groups created minus destroyed per China Standard Time day (10006 beyond; spec §40.3).
    pub daily_net_group_increase: u32,
    /// Default and cap of `MaxMemberCount` for Private, Public and ChatRoom (0 = each type's
    /// own cap; a size, not a quota: `--no-limits` keeps it; spec §40.3, §40.7).
    pub member_cap: u32,
    /// Default and cap of a Community's `MaxMemberCount` (0 = the type table's; a size, kept
    /// by `--no-limits`; spec §40.3).
    pub community_member_cap: u32,
    /// Imported accounts per app (70398 beyond; spec §40.3).
    pub accounts_max: u32,
}

impl Limits {
    /// The limits of a rules profile.
    pub fn from_profile(rules: &RulesProfile) -> Self {
        Self {
            create_group_per_second: rules.create_group_per_second,
            other_per_second: rules.other_per_second,
            daily_group_creations: rules.daily_group_creations,
            bchatroom_max: rules.bchatroom_max,
            add_group_member_batch: rules.add_group_member_batch,
            delete_group_member_batch: rules.delete_group_member_batch,
            import_group_member_batch: rules.import_group_member_batch,
            groups_per_user: rules.groups_per_user,
            group_msgs_per_second_per_group: rules.group_msgs_per_second_per_group,
            group_list_per_second: rules.group_list_per_second,
            daily_rest_group_msgs: rules.daily_rest_group_msgs,
            total_groups: rules.total_groups,
            avchatroom_max: rules.avchatroom_max,
            community_max: rules.community_max,
            daily_net_group_increase: rules.daily_net_group_increase,
            member_cap: rules.member_cap,
            community_member_cap: rules.community_member_cap,
            accounts_max: rules.accounts_max,
        }
    }

    /// These limits with every rate and quota off (`--no-limits`, spec §7): what stays are
    /// the sizes that are edition rules rather than quotas (spec §40.7): the member caps, and
    /// under a profile with editions the batch caps.
    pub fn without_quotas(self, rules: &RulesProfile) -> Self {
        let keep_batches = rules.edition.is_some();
        let batch = |n: u32| if keep_batches { n } else { 0 };
        Self {
            member_cap: self.member_cap,
            community_member_cap: self.community_member_cap,
            add_group_member_batch: batch(self.add_group_member_batch),
            delete_group_member_batch: batch(self.delete_group_member_batch),
            import_group_member_batch: batch(self.import_group_member_batch),
            ..Self::UNLIMITED
        }
    }

    /// These limits with each value `o` gives put in place of the current one.
    pub fn with(self, o: LimitOverrides) -> Self {
        Self {
            create_group_per_second: o
                .create_group_per_second
                .unwrap_or(self.create_group_per_second),
            other_per_second: o.other_per_second.unwrap_or(self.other_per_second),
            daily_group_creations: o
                .daily_group_creations
                .unwrap_or(self.daily_group_creations),
            bchatroom_max: o.bchatroom_max.unwrap_or(self.bchatroom_max),
            add_group_member_batch: o
                .add_group_member_batch
                .unwrap_or(self.add_group_member_batch),
            delete_group_member_batch: o
                .delete_group_member_batch
                .unwrap_or(self.delete_group_member_batch),
            import_group_member_batch: o
                .import_group_member_batch
                .unwrap_or(self.import_group_member_batch),
            groups_per_user: o.groups_per_user.unwrap_or(self.groups_per_user),
            group_msgs_per_second_per_group: o
                .group_msgs_per_second_per_group
                .unwrap_or(self.group_msgs_per_second_per_group),
            group_list_per_second: self.group_list_per_second,
            daily_rest_group_msgs: o
                .daily_rest_group_msgs
                .unwrap_or(self.daily_rest_group_msgs),
            total_groups: o.total_groups.unwrap_or(self.total_groups),
            avchatroom_max: o.avchatroom_max.unwrap_or(self.avchatroom_max),
            community_max: o.community_max.unwrap_or(self.community_max),
            daily_net_group_increase: o
                .daily_net_group_increase
                .unwrap_or(self.daily_net_group_increase),
            member_cap: o.member_cap.unwrap_or(self.member_cap),
            community_member_cap: o.community_member_cap.unwrap_or(self.community_member_cap),
            accounts_max: o.accounts_max.unwrap_or(self.accounts_max),
        }
    }

    /// No throttle, quota or batch cap at all (the load-test switch).
    pub const UNLIMITED: Self = Self {
        create_group_per_second: 0,
        other_per_second: 0,
        daily_group_creations: 0,
        bchatroom_max: 0,
        add_group_member_batch: 0,
        delete_group_member_batch: 0,
        import_group_member_batch: 0,
        groups_per_user: 0,
        group_msgs_per_second_per_group: 0,
        group_list_per_second: 0,
        daily_rest_group_msgs: 0,
        total_groups: 0,
        avchatroom_max: 0,
        community_max: 0,
        daily_net_group_increase: 0,
        member_cap: 0,
        community_member_cap: 0,
        accounts_max: 0,
    };
}

/// The longest a callback may be awaited, in milliseconds: a request waiting on a before-callback
/// must still finish within a stop's grace (issue 11). Longer settings are refused at start.
pub const MAX_CALLBACK_TIMEOUT_MS: u64 = 10_000;

/// The header every callback the emulator sends carries, so that a callback URL pointing at the
/// emulator's own vendor API is recognised (and refused) instead of recursing.
pub const CALLBACK_MARKER: &str = "x-tim-emulator-callback";

/// `timeout_ms` if it is 1..=[`MAX_CALLBACK_TIMEOUT_MS`], else why not.
pub fn check_callback_timeout(timeout_ms: u64) -> Result<u64, String> {
    if (1..=MAX_CALLBACK_TIMEOUT_MS).contains(&timeout_ms) {
        Ok(timeout_ms)
    } else {
        Err(format!(
            "callback timeout {timeout_ms} ms is outside 1..={MAX_CALLBACK_TIMEOUT_MS}: a request waiting on a callback must finish within a stop's grace period"
        ))
    }
}

/// Where and how the app backend is called around group changes (SPEC §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackConfig {
    /// The backend URL (http or https); the emulator appends the vendor query string.
    pub url: String,
    /// The callback commands that are on, e.g. `Group.CallbackBeforeCreateGroup`.
    pub events: Vec<String>,
    /// With a token, requests carry `RequestTime` and `Sign = hex(sha256(token + RequestTime))`.
    pub token: Option<String>,
    /// How long the before-create callback is awaited (default 2000 ms).
    pub timeout_ms: u64,
    /// When the before-create callback fails (timeout, transport error, non-200, non-JSON):
    /// `false` lets the creation go on (the vendor default), `true` refuses it.
    pub fail_closed: bool,
    /// When the before-send callback fails: `false` sends the original message (`deliver`, the
    /// vendor default), `true` refuses it with 80003 (`block`; spec §39.1).
    pub block_send_on_failure: bool,
}

impl CallbackConfig {
    /// Whether `event` is switched on.
    pub fn is_on(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// Limits to change, each optional (flags and `[apps.limits]`); 0 means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    /// See [`Limits::create_group_per_second`].
    pub create_group_per_second: Option<u32>,
    /// See [`Limits::other_per_second`].
    pub other_per_second: Option<u32>,
    /// See [`Limits::daily_group_creations`].
    pub daily_group_creations: Option<u32>,
    /// See [`Limits::bchatroom_max`].
    pub bchatroom_max: Option<u32>,
    /// See [`Limits::add_group_member_batch`].
    pub add_group_member_batch: Option<u32>,
    /// See [`Limits::delete_group_member_batch`].
    pub delete_group_member_batch: Option<u32>,
    /// See [`Limits::import_group_member_batch`].
    pub import_group_member_batch: Option<u32>,
    /// See [`Limits::groups_per_user`].
    pub groups_per_user: Option<u32>,
    /// See [`Limits::group_msgs_per_second_per_group`].
    pub group_msgs_per_second_per_group: Option<u32>,
    /// See [`MessageRules::max_bytes`].
    pub msg_max_bytes: Option<usize>,
    /// See [`MessageRules::import_per_call`].
    pub import_msgs_per_call: Option<usize>,
    /// See [`MessageRules::retention_days`].
    pub history_retention_days: Option<u32>,
    /// See [`Limits::daily_rest_group_msgs`].
    pub daily_rest_group_msgs: Option<u32>,
    /// See [`Limits::total_groups`].
    pub total_groups: Option<u32>,
    /// See [`Limits::avchatroom_max`].
    pub avchatroom_max: Option<u32>,
    /// See [`Limits::community_max`].
    pub community_max: Option<u32>,
    /// See [`Limits::daily_net_group_increase`].
    pub daily_net_group_increase: Option<u32>,
    /// See [`Limits::member_cap`].
    pub member_cap: Option<u32>,
    /// See [`Limits::community_member_cap`].
    pub community_member_cap: Option<u32>,
    /// See [`Limits::accounts_max`].
    pub accounts_max: Option<u32>,
}

impl LimitOverrides {
    /// Every value of `limits`, as overrides.
    pub fn of(limits: Limits) -> Self {
        Self {
            create_group_per_second: Some(limits.create_group_per_second),
            other_per_second: Some(limits.other_per_second),
            daily_group_creations: Some(limits.daily_group_creations),
            bchatroom_max: Some(limits.bchatroom_max),
            add_group_member_batch: Some(limits.add_group_member_batch),
            delete_group_member_batch: Some(limits.delete_group_member_batch),
            import_group_member_batch: Some(limits.import_group_member_batch),
            groups_per_user: Some(limits.groups_per_user),
            group_msgs_per_second_per_group: Some(limits.group_msgs_per_second_per_group),
            daily_rest_group_msgs: Some(limits.daily_rest_group_msgs),
            total_groups: Some(limits.total_groups),
            avchatroom_max: Some(limits.avchatroom_max),
            community_max: Some(limits.community_max),
            daily_net_group_increase: Some(limits.daily_net_group_increase),
            member_cap: Some(limits.member_cap),
            community_member_cap: Some(limits.community_member_cap),
            accounts_max: Some(limits.accounts_max),
            ..Self::default()
        }
    }

    /// These overrides, with each value `o` sets put in place of the current one.
    pub fn then(self, o: LimitOverrides) -> Self {
        Self {
            create_group_per_second: o.create_group_per_second.or(self.create_group_per_second),
            other_per_second: o.other_per_second.or(self.other_per_second),
            daily_group_creations: o.daily_group_creations.or(self.daily_group_creations),
            bchatroom_max: o.bchatroom_max.or(self.bchatroom_max),
            add_group_member_batch: o.add_group_member_batch.or(self.add_group_member_batch),
            delete_group_member_batch: o
                .delete_group_member_batch
                .or(self.delete_group_member_batch),
            import_group_member_batch: o
                .import_group_member_batch
                .or(self.import_group_member_batch),
            groups_per_user: o.groups_per_user.or(self.groups_per_user),
            group_msgs_per_second_per_group: o
                .group_msgs_per_second_per_group
                .or(self.group_msgs_per_second_per_group),
            msg_max_bytes: o.msg_max_bytes.or(self.msg_max_bytes),
            import_msgs_per_call: o.import_msgs_per_call.or(self.import_msgs_per_call),
            history_retention_days: o.history_retention_days.or(self.history_retention_days),
            daily_rest_group_msgs: o.daily_rest_group_msgs.or(self.daily_rest_group_msgs),
            total_groups: o.total_groups.or(self.total_groups),
            avchatroom_max: o.avchatroom_max.or(self.avchatroom_max),
            community_max: o.community_max.or(self.community_max),
            daily_net_group_increase: o.daily_net_group_increase.or(self.daily_net_group_increase),
            member_cap: o.member_cap.or(self.member_cap),
            community_member_cap: o.community_member_cap.or(self.community_member_cap),
            accounts_max: o.accounts_max.or(self.accounts_max),
        }
    }
}

/// The message numbers of one app (spec §39.5, §39.6): the rules profile's, with the app's
/// `[apps.limits]` overrides; 0 means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRules {
    /// Most bytes in one message (80002 beyond; spec §30.2).
    pub max_bytes: usize,
    /// Most messages in one import_group_msg (10004 beyond; spec §36).
    pub import_per_call: usize,
    /// Days a message stays in history (spec §30.5).
    pub retention_days: u32,
}

impl MessageRules {
    /// The numbers of `rules`, with the overrides `o` gives.
    pub fn new(rules: &RulesProfile, o: &LimitOverrides) -> Self {
        Self {
            max_bytes: o.msg_max_bytes.unwrap_or(rules.msg_max_bytes),
            import_per_call: o.import_msgs_per_call.unwrap_or(rules.import_msgs_per_call),
            retention_days: o
                .history_retention_days
                .unwrap_or(rules.history_retention_days),
        }
    }

    /// The retention in seconds (0 = for ever).
    pub fn retention_s(&self) -> u64 {
        u64::from(self.retention_days) * 86_400
    }
}

/// The rule switches of spec §40.7, per app: the profile's values, with the app's
/// `[apps.rules]` overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSwitches {
    /// `Work`/`Meeting` accepted as aliases of Private/ChatRoom.
    pub type_aliases: bool,
    /// BChatRoom may be created.
    pub allow_bchatroom: bool,
    /// Which code a re-used custom GroupId gets.
    pub dup_group_id_rule: DupGroupIdRule,
    /// import_group_msg refuses equal `SendTime`s (spec §36.2).
    pub import_send_time_strict: bool,
}

/// `[apps.rules]` of the config file: each switch optional (spec §40.7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchOverrides {
    /// See [`RuleSwitches::type_aliases`].
    pub type_aliases: Option<bool>,
    /// See [`RuleSwitches::allow_bchatroom`].
    pub allow_bchatroom: Option<bool>,
    /// See [`RuleSwitches::dup_group_id_rule`] (`creator`, `owner` or `always_10021`).
    pub dup_group_id_rule: Option<DupGroupIdRule>,
    /// See [`RuleSwitches::import_send_time_strict`].
    pub import_send_time_strict: Option<bool>,
}

impl RuleSwitches {
    /// The switches of `rules`, with the overrides `o` gives.
    pub fn new(rules: &RulesProfile, o: &SwitchOverrides) -> Self {
        Self {
            type_aliases: o.type_aliases.unwrap_or(rules.type_aliases),
            allow_bchatroom: o.allow_bchatroom.unwrap_or(rules.allow_bchatroom),
            dup_group_id_rule: o.dup_group_id_rule.unwrap_or(rules.dup_group_id_rule),
            import_send_time_strict: o
                .import_send_time_strict
                .unwrap_or(rules.import_send_time_strict),
        }
    }
}

/// Features an app may have switched off (spec §39.6, `[apps.features]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// group_msg_recall is served (else 10041).
    pub group_msg_recall: bool,
    /// Community groups may be created (profile `current`).
    pub community: bool,
    /// get_online_member_num answers for non-AVChatRoom groups (profile `current`).
    pub group_online_status: bool,
    /// ChatRoom groups count unread and take `NoUnread`.
    pub meeting_unread: bool,
    /// `To_Account` (targeted group messages) is allowed.
    pub targeted_group_msgs: bool,
}

impl Default for Features {
    /// A configured app's defaults (spec §39.6).
    fn default() -> Self {
        Self {
            group_msg_recall: true,
            community: true,
            group_online_status: false,
            meeting_unread: false,
            targeted_group_msgs: true,
        }
    }
}

impl Features {
    /// Every feature on: what a zero-config app gets (spec §39.6).
    pub const ALL: Self = Self {
        group_msg_recall: true,
        community: true,
        group_online_status: true,
        meeting_unread: true,
        targeted_group_msgs: true,
    };
}

/// Everything one app allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPolicy {
    /// The secret key that signs UserSigs; `None` means usersigs are not verified.
    pub key: Option<String>,
    /// The App admin identifiers.
    pub admins: Vec<String>,
    /// Words refused in Name, Introduction and Notification (80001).
    pub sensitive_words: Vec<String>,
    /// Enabled group custom-field keys.
    pub group_fields: FieldPolicy,
    /// Enabled member custom-field keys.
    pub member_fields: FieldPolicy,
    /// Throttles and quotas.
    pub limits: Limits,
    /// Callbacks to the app backend, if configured.
    pub callback: Option<CallbackConfig>,
    /// The app's rules profile, in its edition (spec §40.1).
    pub rules: &'static RulesProfile,
    /// Message numbers (spec §39.5).
    pub messages: MessageRules,
    /// Switchable features (spec §39.6).
    pub features: Features,
    /// The rule switches (spec §40.7).
    pub switches: RuleSwitches,
    /// Accounts the config file declares (`accounts = [...]`, issue 14): imported at start
    /// and after every reset, on top of the `--seed-file`.
    pub accounts: Vec<crate::snapshot::AccountDoc>,
}

impl AppPolicy {
    /// The policy every zero-config app gets.
    pub fn zero_config(limits: Limits) -> Self {
        Self {
            key: None,
            admins: ZERO_CONFIG_ADMINS.iter().map(|s| s.to_string()).collect(),
            sensitive_words: Vec::new(),
            group_fields: FieldPolicy::Any,
            member_fields: FieldPolicy::Any,
            limits,
            callback: None,
            rules: &crate::rules::DEFAULT,
            messages: MessageRules::new(&crate::rules::DEFAULT, &LimitOverrides::default()),
            features: Features::ALL,
            switches: RuleSwitches::new(&crate::rules::DEFAULT, &SwitchOverrides::default()),
            accounts: Vec::new(),
        }
    }

    /// The group type `name` names for this app (spec §40.2 #1): the profile's types, with
    /// `Work`/`Meeting` mapped to Private/ChatRoom when `type_aliases` is on, and BChatRoom
    /// only when `allow_bchatroom` is on. `None` when it names no type the app may use.
    pub fn group_type(&self, name: &str) -> Option<&'static GroupTypeRule> {
        let name = match name {
            "Work" if self.switches.type_aliases => "Private",
            "Meeting" if self.switches.type_aliases => "ChatRoom",
            n => n,
        };
        if name == GroupType::BChatRoom.as_str() {
            if !self.switches.allow_bchatroom {
                return None;
            }
            return self
                .rules
                .group_type(name)
                .or_else(|| crate::rules::DEFAULT.group_type(name));
        }
        self.rules.group_type(name)
    }

    /// The default and cap of `MaxMemberCount` for `rule`'s type in this app (spec §40.3):
    /// `member_cap` for Private, Public and ChatRoom and `community_member_cap` for Community
    /// when set, else the type table's; `None` = unlimited.
    pub fn member_cap(&self, rule: &GroupTypeRule) -> Option<u32> {
        let set = match rule.kind {
            GroupType::Private | GroupType::Public | GroupType::ChatRoom => self.limits.member_cap,
            GroupType::Community => self.limits.community_member_cap,
            _ => 0,
        };
        if set != 0 {
            Some(set)
        } else {
            rule.max_members
        }
    }

    /// Whether `identifier` is an App admin.
    pub fn is_admin(&self, identifier: &str) -> bool {
        self.admins.iter().any(|a| a == identifier)
    }

    /// The first configured sensitive word found in `text`, compared without ASCII case.
    pub fn sensitive_word_in(&self, text: &str) -> Option<&str> {
        if self.sensitive_words.is_empty() || text.is_empty() {
            return None;
        }
        let lower = text.to_lowercase();
        self.sensitive_words
            .iter()
            .find(|w| !w.is_empty() && lower.contains(&w.to_lowercase()))
            .map(String::as_str)
    }
}

/// The set of apps: zero-config (any sdkappid) or a configured list.
#[derive(Debug, Clone)]
pub struct Apps {
    configured: HashMap<u64, Arc<AppPolicy>>,
    zero_config: Arc<AppPolicy>,
}

impl Apps {
    /// Zero-config: every positive sdkappid gets `AppPolicy::zero_config(limits)`.
    pub fn zero_config(limits: Limits) -> Self {
        Self {
            configured: HashMap::new(),
            zero_config: Arc::new(AppPolicy::zero_config(limits)),
        }
    }

    /// Only these apps exist. An empty list behaves as zero-config.
    pub fn configured(apps: HashMap<u64, AppPolicy>, limits: Limits) -> Self {
        let configured = apps.into_iter().map(|(id, p)| (id, Arc::new(p))).collect();
        Self {
            configured,
            zero_config: Arc::new(AppPolicy::zero_config(limits)),
        }
    }

    /// The rules profile of zero-config apps (and the flags' profile).
    pub fn zero_config_rules(&self) -> &'static RulesProfile {
        self.zero_config.rules
    }

    /// Sets the rules profile of zero-config apps (`--rules-profile`, `--edition`) and the
    /// limits and message numbers that follow from it.
    pub fn set_zero_config_rules(&mut self, rules: &'static RulesProfile, limits: Limits) {
        let p = Arc::make_mut(&mut self.zero_config);
        p.rules = rules;
        p.limits = limits;
        p.messages = MessageRules::new(rules, &LimitOverrides::default());
        p.switches = RuleSwitches::new(rules, &SwitchOverrides::default());
    }

    /// Sets the callback settings of zero-config apps (the `--callback-*` flags).
    pub fn set_zero_config_callback(&mut self, callback: Option<CallbackConfig>) {
        Arc::make_mut(&mut self.zero_config).callback = callback;
    }

    /// Whether any app is configured.
    pub fn is_configured(&self) -> bool {
        !self.configured.is_empty()
    }

    /// The policy of `sdkappid`, or 70020 when apps are configured and it is not one of them.
    pub fn policy(&self, sdkappid: u64) -> Result<&Arc<AppPolicy>, VendorError> {
        if self.configured.is_empty() {
            return Ok(&self.zero_config);
        }
        self.configured
            .get(&sdkappid)
            .ok_or(VendorError::UnknownApp(sdkappid))
    }

    /// The configured sdkappids, sorted.
    pub fn configured_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.configured.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_config_accepts_any_app_and_both_default_admins() {
        let apps = Apps::zero_config(Limits::UNLIMITED);
        let p = apps.policy(42).expect("zero-config accepts any app");
        assert!(p.is_admin("administrator") && p.is_admin("admin"));
        assert!(!p.is_admin("bob"));
    }

    #[test]
    fn configured_apps_refuse_unknown_sdkappid_with_70020() {
        let mut map = HashMap::new();
        map.insert(7, AppPolicy::zero_config(Limits::UNLIMITED));
        let apps = Apps::configured(map, Limits::UNLIMITED);
        assert!(apps.policy(7).is_ok());
        assert_eq!(apps.policy(8).map(|_| ()), Err(VendorError::UnknownApp(8)));
    }

    #[test]
    fn sensitive_words_match_without_case() {
        let mut p = AppPolicy::zero_config(Limits::UNLIMITED);
        p.sensitive_words = vec!["Forbidden".into()];
        assert_eq!(p.sensitive_word_in("a forbidden name"), Some("Forbidden"));
        assert_eq!(p.sensitive_word_in("fine"), None);
    }
}
