//! One app's state: accounts, groups, the ID sequence, throttles and quotas.

use compact_str::CompactString;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::ids::assigned_id;
use super::slots::{AppSlots, Holding};
use super::throttle::{DailyCounter, NetDailyCounter, china_day};
use crate::apps::AppPolicy;
use crate::domain::account::Account;
use crate::domain::create_group::NewGroup;
use crate::domain::group::{Group, GroupType};
use crate::domain::members::MemberChange;
use crate::error::VendorError;
use crate::rules::RulesProfile;

/// One app's accounts and groups, with its throttles.
#[derive(Debug)]
pub struct AppState {
    sdkappid: u64,
    policy: Arc<AppPolicy>,
    rules: &'static RulesProfile,
    id_seed: u64,
    accounts: DashMap<String, Account, FxBuildHasher>,
    /// Boxed: the table then holds 32-byte slots, so growing it moves and touches far less
    /// memory (a group is 224 bytes); measured about 35% cheaper inserts at 500k groups.
    /// Keyed by a shared `Arc<str>` that the creation-order index below holds too: one heap
    /// copy of each ID instead of two (issue 11 C, memory per group).
    groups: DashMap<Arc<str>, Box<Group>, FxBuildHasher>,
    /// Member → the IDs of the groups they belong to. Changed only while the group's own shard
    /// lock is held (group lock, then index lock; never the other way), so it always follows
    /// the groups.
    /// The sets are ordered: creation seqs only grow, so an insert lands at the end of the
    /// set, in memory that is already in cache (a hash set scatters them: a cache miss each).
    joined: DashMap<String, BTreeSet<u64>, FxBuildHasher>,
    /// Group creation order (`Group::seq`) → GroupId, for reading the index: the index keeps the
    /// 8-byte `seq` per membership instead of a copy of the ID.
    ids_by_seq: SeqIds,
    next_id: AtomicU64,
    next_seq: AtomicU64,
    daily: DailyCounter,
    net_daily: NetDailyCounter,
    /// The China day (plus one) on which the daily-quota alarm last fired (0 never).
    alarmed_day: AtomicU64,
    counts: GroupCounts,
    /// Stored accounts (and room taken for imports in progress), for `accounts_max`.
    account_count: AtomicU32,
    /// Whether anything was stored here (see [`super::slots`]).
    holding: Holding,
    /// The store's count of apps holding state, which the first store into this app joins.
    slots: Arc<AppSlots>,
    /// send_group_msg messages counted today against `daily_rest_group_msgs` (spec §40.3).
    daily_msgs: DailyCounter,
}

/// One page of the app's group list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupList {
    /// Groups that match the type filter.
    pub total: usize,
    /// This page's IDs, oldest first.
    pub ids: Vec<String>,
    /// Where the next page starts; 0 when this was the last.
    pub next: u64,
}

/// Quota taken for a creation in progress; given back on drop unless the group was stored.
#[derive(Debug)]
pub struct QuotaReservation {
    app: Arc<AppState>,
    /// The China day whose creation count was taken.
    day: Option<u64>,
    /// The China day whose net increase was taken.
    net_day: Option<u64>,
    /// The type whose existing-group counts were taken.
    counted: Option<GroupType>,
    /// The day's net increase with this creation.
    net: i64,
    /// The owner's group count to check again, atomically, at the insert (spec §40.4).
    owner_limit: Option<usize>,
}

impl Drop for QuotaReservation {
    fn drop(&mut self) {
        if let Some(day) = self.day {
            self.app.daily.release(day);
        }
        if let Some(day) = self.net_day {
            self.app.net_daily.release(day);
        }
        if let Some(kind) = self.counted {
            self.app.counts.remove(kind);
        }
    }
}

impl QuotaReservation {
    fn commit(mut self) {
        self.day = None;
        self.net_day = None;
        self.counted = None;
    }

    /// The China day's net group increase with this creation (spec §40.3; 0 when the day's
    /// net increase was not taken).
    pub fn net_increase(&self) -> i64 {
        self.net
    }
}

/// How many groups exist, all and per counted type (reserved creations included), so the
/// quotas of spec §7 and §40.3 are exact under concurrent creations.
#[derive(Debug, Default)]
struct GroupCounts {
    all: AtomicU32,
    avchatrooms: AtomicU32,
    communities: AtomicU32,
    bchatrooms: AtomicU32,
}

impl GroupCounts {
    fn of(&self, kind: GroupType) -> Option<&AtomicU32> {
        match kind {
            GroupType::AVChatRoom => Some(&self.avchatrooms),
            GroupType::Community => Some(&self.communities),
            GroupType::BChatRoom => Some(&self.bchatrooms),
            _ => None,
        }
    }

    /// Counts one more in `counter` unless `max` are counted (0 = unlimited).
    fn take(counter: &AtomicU32, max: u32) -> bool {
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (max == 0 || n < max).then_some(n + 1)
            })
            .is_ok()
    }

    /// Counts one more group of `kind`, unchecked (imports).
    fn add(&self, kind: GroupType) {
        self.all.fetch_add(1, Ordering::AcqRel);
        if let Some(c) = self.of(kind) {
            c.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Counts one group of `kind` fewer.
    fn remove(&self, kind: GroupType) {
        let down = |c: &AtomicU32| {
            let _ = c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        };
        down(&self.all);
        if let Some(c) = self.of(kind) {
            down(c);
        }
    }
}

impl AppState {
    /// A fresh app of its own, outside any store's count of apps (no `--max-apps` cap).
    pub fn new(
        sdkappid: u64,
        policy: Arc<AppPolicy>,
        rules: &'static RulesProfile,
        id_seed: u64,
    ) -> Self {
        let slots = Arc::new(AppSlots::new(None));
        Self::counted(sdkappid, policy, rules, id_seed, slots, Holding::default())
    }

    /// A fresh app whose first store claims a slot of `slots`; `holding` says whether it holds
    /// state already (an app built by a state import does).
    pub(super) fn counted(
        sdkappid: u64,
        policy: Arc<AppPolicy>,
        rules: &'static RulesProfile,
        id_seed: u64,
        slots: Arc<AppSlots>,
        holding: Holding,
    ) -> Self {
        Self {
            sdkappid,
            policy,
            rules,
            id_seed,
            accounts: sharded_map(),
            groups: sharded_map(),
            joined: sharded_map(),
            ids_by_seq: SeqIds::default(),
            next_id: AtomicU64::new(0),
            next_seq: AtomicU64::new(1),
            daily: DailyCounter::default(),
            net_daily: NetDailyCounter::default(),
            alarmed_day: AtomicU64::new(0),
            counts: GroupCounts::default(),
            account_count: AtomicU32::new(0),
            holding,
            slots,
            daily_msgs: DailyCounter::default(),
        }
    }

    /// Whether anything was ever stored in this app (a group, an account): only such apps
    /// stay in the store and appear in the state export.
    pub fn holds_state(&self) -> bool {
        self.holding.is_stored()
    }

    /// Makes this an app that holds state before a first store into it: 70020 when zero-config
    /// apps already hold `--max-apps` slots. Every storing method calls it; a command calls it
    /// itself when it must refuse before side effects (a callback) rather than at the store.
    pub fn claim(&self) -> Result<(), VendorError> {
        if self.holding.is_stored() {
            return Ok(());
        }
        self.slots.claim(self.sdkappid, &self.holding)
    }

    /// Marks the app as dropped from its store (reset, import).
    pub(super) fn drop_from_store(&self) {
        self.holding.drop_from_store();
    }

    /// The app's sdkappid.
    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    /// The app's policy.
    pub fn policy(&self) -> &AppPolicy {
        &self.policy
    }

    // ---- accounts ----

    /// Whether `id` is an admin or an imported account.
    pub fn is_imported(&self, id: &str) -> bool {
        self.policy.is_admin(id) || self.accounts.contains_key(id)
    }

    /// Imports `id`, or updates its profile; 70020 when this would be one app too many.
    pub fn import(&self, id: &str, account: Account) -> Result<(), VendorError> {
        self.claim()?;
        if self.accounts.insert(id.to_string(), account).is_none() {
            self.account_count.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Imports `items` in order (account_import, multiaccount_import): each UserID with its
    /// `Nick` and `FaceUrl` when given (an imported account's profile is then updated), else
    /// only when new. 70398 when the new accounts would pass the app's `accounts_max` (spec
    /// §40.3), and then none is imported: the room for all of them is taken in one step, so
    /// concurrent imports cannot pass the limit together. 70020 when this would be one app
    /// too many.
    pub fn import_batch(
        &self,
        items: Vec<(String, Option<(String, String)>)>,
    ) -> Result<(), VendorError> {
        // An App admin is no stored account unless a profile is given for it (as before).
        let items: Vec<(String, Option<(String, String)>)> = items
            .into_iter()
            .filter(|(id, profile)| profile.is_some() || !self.policy.is_admin(id))
            .collect();
        let mut fresh: Vec<&str> = items
            .iter()
            .map(|(id, _)| id.as_str())
            .filter(|id| !self.accounts.contains_key(*id))
            .collect();
        if items.is_empty() {
            return Ok(());
        }
        fresh.sort_unstable();
        fresh.dedup();
        let k = u32::try_from(fresh.len()).unwrap_or(u32::MAX);
        let max = self.policy.limits.accounts_max;
        self.account_count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (max == 0 || n.saturating_add(k) <= max).then_some(n.saturating_add(k))
            })
            .map_err(|n| {
                VendorError::AccountsQuota(format!(
                    "this app has {n} imported accounts and {k} more would pass {max}, the most its {} edition allows ([apps.limits] accounts_max); delete some or upgrade",
                    self.rules.edition.map_or("", |e| e.as_str())
                ))
            })?;
        if let Err(e) = self.claim() {
            self.account_count.fetch_sub(k, Ordering::AcqRel);
            return Err(e);
        }
        let mut inserted = 0u32;
        for (id, profile) in items {
            let new = !self.accounts.contains_key(&id);
            let mut a = self.accounts.entry(id).or_default();
            inserted += u32::from(new);
            if let Some((nick, face_url)) = profile {
                a.nick = nick;
                a.face_url = face_url;
            }
        }
        // A concurrent delete or import between the count and the inserts: keep the count true.
        if inserted < k {
            self.account_count.fetch_sub(k - inserted, Ordering::AcqRel);
        } else if inserted > k {
            self.account_count.fetch_add(inserted - k, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Counts a new stored account.
    fn counted_new(&self, new: bool) {
        if new {
            self.account_count.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Imports `id` with this profile, or updates the profile of an imported account (what
    /// else it holds, such as its last kick, stays); 70020 when this would be one app too many.
    pub fn import_profile(
        &self,
        id: &str,
        nick: String,
        face_url: String,
    ) -> Result<(), VendorError> {
        self.claim()?;
        self.counted_new(!self.accounts.contains_key(id));
        let mut a = self.accounts.entry(id.to_string()).or_default();
        a.nick = nick;
        a.face_url = face_url;
        Ok(())
    }

    /// Records a kick of `id` at `now` (unix seconds); `Ok(false)` when `id` is not imported.
    /// An App admin is not a stored account until its first kick, which stores it with an
    /// empty profile so that `kicked_at` has a place in the state document (spec §23); that
    /// store is 70020 when it would be one app too many.
    pub fn kick(&self, id: &str, now: u64) -> Result<bool, VendorError> {
        if self.policy.is_admin(id) {
            self.claim()?;
            self.counted_new(!self.accounts.contains_key(id));
            self.accounts.entry(id.to_string()).or_default().kicked_at = Some(now);
            return Ok(true);
        }
        Ok(match self.accounts.get_mut(id) {
            Some(mut a) => {
                a.kicked_at = Some(now);
                true
            }
            None => false,
        })
    }

    /// Runs `f` on the stored account `id`, if there is one. `f` must be short: it runs under
    /// a shard lock.
    pub fn with_account<R>(&self, id: &str, f: impl FnOnce(&Account) -> R) -> Option<R> {
        self.accounts.get(id).map(|a| f(&a))
    }

    /// Every stored account's UserID, sorted (the state document's order).
    pub fn account_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.accounts.iter().map(|e| e.key().clone()).collect();
        ids.sort_unstable();
        ids
    }

    /// The imported account `id` (admins are not stored accounts).
    pub fn account(&self, id: &str) -> Option<Account> {
        self.accounts.get(id).map(|a| a.clone())
    }

    /// How many groups `account` belongs to (from the member index).
    pub fn joined_count(&self, account: &str) -> usize {
        self.joined.get(account).map_or(0, |ids| ids.len())
    }

    /// Imports `id` with an empty profile unless it is imported already (one atomic step, so a
    /// concurrent import with a profile is never overwritten); 70020 when this would be one app
    /// too many.
    pub fn import_if_new(&self, id: &str) -> Result<(), VendorError> {
        if !self.is_imported(id) {
            self.claim()?;
            self.counted_new(!self.accounts.contains_key(id));
            self.accounts.entry(id.to_string()).or_default();
        }
        Ok(())
    }

    /// Deletes an imported account; `false` when it was not imported.
    pub fn delete_account(&self, id: &str) -> bool {
        let gone = self.accounts.remove(id).is_some();
        if gone {
            self.account_count.fetch_sub(1, Ordering::AcqRel);
        }
        gone
    }

    /// Every stored account (admins only once kicked: see [`Self::kick`]), sorted by UserID.
    pub fn accounts(&self) -> Vec<(String, Account)> {
        let mut all: Vec<(String, Account)> = self
            .accounts
            .iter()
            .map(|e| (e.key().clone(), e.value().clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    // ---- groups ----

    /// Whether a group with this ID exists.
    pub fn group_exists(&self, id: &str) -> bool {
        self.groups.contains_key(id)
    }

    /// Runs `f` on the group `id` (10010 when it does not exist) and returns its answer. `f`
    /// must be short: it runs under a shard lock.
    pub fn read_group<R>(
        &self,
        id: &str,
        f: impl FnOnce(&Group) -> Result<R, VendorError>,
    ) -> Result<R, VendorError> {
        let group = self
            .groups
            .get(id)
            .ok_or_else(|| VendorError::GroupNotFound(id.to_string()))?;
        f(&group)
    }

    /// Runs `f` on the group `id`, if it exists. `f` must be short: it runs under a shard lock.
    pub fn with_group<R>(&self, id: &str, f: impl FnOnce(&Group) -> R) -> Option<R> {
        self.groups.get(id).map(|g| f(&g))
    }

    /// Takes the quotas of a creation of a `group_type` group, in the order of spec §40.4
    /// step 6: AVChatRoom count (10036), total groups (10058), Community count (10006),
    /// `owner`'s group count when given (10037, checked again at the insert), the day's net
    /// increase (10006); then the default profile's daily creations and BChatRoom count (10006,
    /// spec §7). Each is exact under concurrent creations; all come back when the reservation
    /// is dropped without a creation.
    pub fn reserve_quota(
        self: &Arc<Self>,
        group_type: GroupType,
        owner: Option<&str>,
        now_unix: u64,
    ) -> Result<QuotaReservation, VendorError> {
        let limits = &self.policy.limits;
        let mut r = QuotaReservation {
            app: Arc::clone(self),
            day: None,
            net_day: None,
            counted: None,
            net: 0,
            owner_limit: None,
        };
        let edition = self.rules.edition.map_or("", |e| e.as_str());
        if group_type == GroupType::AVChatRoom
            && !GroupCounts::take(&self.counts.avchatrooms, limits.avchatroom_max)
        {
            return Err(VendorError::AvChatRoomQuota(format!(
                "this app already has {} AVChatRoom groups, the most its {edition} edition allows ([apps.limits] avchatroom_max); destroy one or upgrade",
                limits.avchatroom_max
            )));
        }
        let typed = group_type == GroupType::AVChatRoom;
        let undo_typed = |app: &Self| {
            if typed {
                app.counts.avchatrooms.fetch_sub(1, Ordering::AcqRel);
            }
        };
        if !GroupCounts::take(&self.counts.all, limits.total_groups) {
            undo_typed(self);
            return Err(VendorError::TotalGroupsQuota(format!(
                "this app already has {} groups, the most its {edition} edition allows ([apps.limits] total_groups); destroy one or upgrade",
                limits.total_groups
            )));
        }
        r.counted = Some(group_type);
        if let Some(c) = self.counts.of(group_type).filter(|_| !typed) {
            let max = match group_type {
                GroupType::Community => limits.community_max,
                GroupType::BChatRoom => limits.bchatroom_max,
                _ => 0,
            };
            if !GroupCounts::take(c, max) {
                self.counts.all.fetch_sub(1, Ordering::AcqRel);
                r.counted = None;
                return Err(VendorError::QuotaExceeded(format!(
                    "this app already has {max} {group_type} groups, the most allowed; destroy one first, or raise the cap with {} (0 = unlimited) or --no-limits",
                    if group_type == GroupType::BChatRoom {
                        "--bchatroom-max (bchatroom_max in [apps.limits] of a configured app)"
                    } else {
                        "community_max in [apps.limits] of a configured app"
                    }
                )));
            }
        }
        if let Some(owner) = owner {
            self.check_owner_groups(owner)?;
            r.owner_limit = Some(limits.groups_per_user as usize).filter(|n| *n != 0);
        }
        let day = china_day(now_unix);
        let max = limits.daily_net_group_increase;
        r.net = self.net_daily.try_add(day, max).ok_or_else(|| {
            VendorError::QuotaExceeded(format!(
                "this app's groups grew by {max} today (China Standard Time; created minus destroyed), the daily most of its {edition} edition ([apps.limits] daily_net_group_increase)"
            ))
        })?;
        r.net_day = Some(day);
        if !group_type.is_bchatroom() {
            let max = limits.daily_group_creations;
            if !self.daily.try_add(day, max) {
                return Err(VendorError::QuotaExceeded(format!(
                    "this app has created {max} groups today (China Standard Time), the daily most; raise it with --daily-group-creations (0 = unlimited; daily_group_creations in [apps.limits] of a configured app) or --no-limits, or move the clock to the next day (POST /_emulator/clock)"
                )));
            }
            r.day = Some(day);
        }
        Ok(r)
    }

    /// Counts one send_group_msg message against the app's daily cap of REST group messages
    /// (`daily_rest_group_msgs`, spec §31.2 step 10, §40.3) on the China Standard Time day of
    /// `now_unix`, and answers that day for [`Self::give_back_daily_msg`]; `None` when the app
    /// has no cap (nothing is counted). 10023 when the day's cap is used up. Exact under
    /// concurrency: one atomic compare-and-swap, no lock.
    pub fn take_daily_msg(&self, now_unix: u64) -> Result<Option<u64>, VendorError> {
        let max = self.policy.limits.daily_rest_group_msgs;
        if max == 0 {
            return Ok(None);
        }
        let day = china_day(now_unix);
        if self.daily_msgs.try_add(day, max) {
            return Ok(Some(day));
        }
        let edition = self.rules.edition.map_or(String::new(), |e| {
            format!(
                " ({} edition of the {} rules profile)",
                e.as_str(),
                self.rules.name
            )
        });
        Err(VendorError::DailyMsgCap(format!(
            "this app{edition} has sent {max} group messages through the REST API today, the most per China Standard Time day; the count starts again at 00:00 CST (16:00 UTC). [apps.limits] daily_rest_group_msgs sets the cap, --no-limits turns it off"
        )))
    }

    /// Gives back a count [`Self::take_daily_msg`] took on `day` for a message that was
    /// refused after all (a callback's refusal, a group gone meanwhile).
    pub fn give_back_daily_msg(&self, day: u64) {
        self.daily_msgs.release(day);
    }

    /// send_group_msg messages counted against the daily cap on the China Standard Time day of
    /// `now_unix` (0 when the app has no cap).
    pub fn daily_msgs_sent(&self, now_unix: u64) -> u32 {
        self.daily_msgs.count(china_day(now_unix))
    }

    /// 10037 when `owner` already belongs to `groups_per_user` groups (0 = off).
    fn check_owner_groups(&self, owner: &str) -> Result<(), VendorError> {
        let max = self.policy.limits.groups_per_user;
        if max != 0 && self.joined_count(owner) >= max as usize {
            return Err(owner_over(owner, max as usize));
        }
        Ok(())
    }

    /// Whether the daily-quota alarm should fire now that the day's net increase is `net`
    /// (spec §40.3): once per China day, when `net` passes the profile's percentage of
    /// `daily_net_group_increase`.
    pub fn quota_alarm_due(&self, net: i64, now_unix: u64) -> bool {
        let quota = i64::from(self.policy.limits.daily_net_group_increase);
        let pct = i64::from(self.rules.daily_quota_alarm_percent);
        if quota == 0 || pct == 0 || net * 100 <= quota * pct {
            return false;
        }
        let mark = china_day(now_unix) + 1;
        self.alarmed_day.swap(mark, Ordering::AcqRel) != mark
    }

    /// Stores `new` under its custom ID (10021 when taken) or a fresh assigned ID, created at
    /// `now_unix`, and returns the ID. Of concurrent inserts of one ID exactly one succeeds; a
    /// failed insert gives the quota back. When the reservation checked the owner's group count
    /// (spec §40.4), it is checked again here under the owner's index lock (10037), so
    /// concurrent creations by one owner cannot pass the limit together.
    pub fn insert_group(
        &self,
        new: NewGroup,
        quota: QuotaReservation,
        now_unix: u64,
    ) -> Result<String, VendorError> {
        let id = self.insert_new(new, now_unix, quota.owner_limit)?;
        quota.commit();
        Ok(id)
    }

    /// Stores `new` as [`Self::insert_group`] does, created at `created_unix`, but takes no
    /// quota: import_group (spec §21.2) counts against none (the group still counts as an
    /// existing one). Of concurrent inserts of one ID exactly one succeeds, the others get
    /// 10021; 70020 when this would be one app too many.
    pub fn insert_unmetered(
        &self,
        new: NewGroup,
        created_unix: u64,
    ) -> Result<String, VendorError> {
        let kind = new.group.group_type;
        let id = self.insert_new(new, created_unix, None)?;
        self.counts.add(kind);
        Ok(id)
    }

    fn insert_new(
        &self,
        new: NewGroup,
        created_unix: u64,
        owner_limit: Option<usize>,
    ) -> Result<String, VendorError> {
        self.claim()?;
        let NewGroup {
            mut group,
            custom_id,
            ..
        } = new;
        group.seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        group.stamp_created(created_unix);
        let shape = self.id_shape(group.group_type);
        let group = Box::new(group);
        match custom_id {
            Some(id) => self.insert_custom(id, group, owner_limit),
            None => self.insert_assigned(shape, group, owner_limit),
        }
    }

    /// The prefix, type character and length of the assigned IDs of `kind` (spec §3.4, §40.5).
    fn id_shape(&self, kind: GroupType) -> (&'static str, char, usize) {
        let id_char = self
            .rules
            .rule_of(kind)
            .or_else(|| crate::rules::DEFAULT.rule_of(kind))
            .map_or('0', |r| r.id_char);
        if kind == GroupType::Community {
            (
                self.rules.community_id_prefix,
                id_char,
                self.rules.community_id_len,
            )
        } else {
            (
                self.rules.assigned_id_prefix,
                id_char,
                self.rules.assigned_id_len,
            )
        }
    }

    fn insert_custom(
        &self,
        id: String,
        group: Box<Group>,
        owner_limit: Option<usize>,
    ) -> Result<String, VendorError> {
        match self.groups.entry(Arc::from(id)) {
            Entry::Occupied(e) => Err(VendorError::GroupIdInUse(e.key().to_string())),
            Entry::Vacant(v) => self.occupy(v, group, owner_limit),
        }
    }

    fn insert_assigned(
        &self,
        (prefix, id_char, len): (&str, char, usize),
        group: Box<Group>,
        owner_limit: Option<usize>,
    ) -> Result<String, VendorError> {
        let mut group = Some(group);
        loop {
            let n = self.next_id.fetch_add(1, Ordering::Relaxed);
            let id = assigned_id(prefix, id_char, len, self.id_seed, self.sdkappid, n);
            if let Entry::Vacant(v) = self.groups.entry(Arc::from(id))
                && let Some(g) = group.take()
            {
                return self.occupy(v, g, owner_limit);
            }
        }
    }

    /// Fills a vacant slot with `group` and indexes its members, under the slot's shard lock;
    /// with `owner_limit`, first adds the group to the owner's index entry unless the owner
    /// already belongs to that many groups (10037, and nothing is stored).
    fn occupy(
        &self,
        slot: dashmap::mapref::entry::VacantEntry<'_, Arc<str>, Box<Group>>,
        mut group: Box<Group>,
        owner_limit: Option<usize>,
    ) -> Result<String, VendorError> {
        if let (Some(max), Some(owner)) = (owner_limit, group.owner.as_deref()) {
            let over = {
                let mut seqs = self.joined.entry(owner.to_string()).or_default();
                let over = seqs.len() >= max;
                if !over {
                    seqs.insert(group.seq);
                }
                over
            };
            if over {
                return Err(owner_over(owner, max));
            }
        }
        group.id = CompactString::from(&**slot.key());
        self.ids_by_seq.insert(group.seq, Arc::clone(slot.key()));
        for m in group.members.iter() {
            self.index_join(m.account(), group.seq);
        }
        Ok(slot.insert(group).id.to_string())
    }

    fn index_join(&self, account: &str, seq: u64) {
        match self.joined.get_mut(account) {
            Some(mut seqs) => {
                seqs.insert(seq);
            }
            None => {
                self.joined
                    .entry(account.to_string())
                    .or_default()
                    .insert(seq);
            }
        }
    }

    fn index_leave(&self, account: &str, seq: u64) {
        if let Some(mut seqs) = self.joined.get_mut(account) {
            seqs.remove(&seq);
        }
        self.joined.remove_if(account, |_, seqs| seqs.is_empty());
    }

    /// Runs `f` on the group `id` and keeps the member index in step with any joins and leaves
    /// it makes, all under the group's shard lock: one atomic read-modify-write. 10010 when the
    /// group does not exist. `f` must be short and must check before it changes anything: a
    /// rejected request may not leave a change behind.
    pub fn update_group<R>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Group) -> Result<R, VendorError>,
    ) -> Result<R, VendorError> {
        let mut group = self
            .groups
            .get_mut(id)
            .ok_or_else(|| VendorError::GroupNotFound(id.to_string()))?;
        group.members.track();
        let result = f(&mut group);
        let seq = group.seq;
        for change in group.members.take_changes() {
            match change {
                MemberChange::Joined(a) => self.index_join(&a, seq),
                MemberChange::Left(a) => self.index_leave(&a, seq),
            }
        }
        result
    }

    /// The IDs of the groups `account` belongs to (any order), read from the member index.
    pub fn joined_groups(&self, account: &str) -> Vec<String> {
        let seqs: Vec<u64> = self
            .joined
            .get(account)
            .map(|seqs| seqs.iter().copied().collect())
            .unwrap_or_default();
        seqs.iter()
            .filter_map(|seq| self.ids_by_seq.get(*seq))
            .collect()
    }

    /// Stores a complete group as it is (state import); 10021 when the ID is taken.
    pub fn restore_group(&self, mut group: Group) -> Result<(), VendorError> {
        self.claim()?;
        group.seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let kind = group.group_type;
        self.insert_custom(group.id.to_string(), Box::new(group), None)?;
        self.counts.add(kind);
        Ok(())
    }

    /// How many assigned IDs the app has drawn (exported so IDs continue after an import).
    pub fn assigned_id_counter(&self) -> u64 {
        self.next_id.load(Ordering::Relaxed)
    }

    /// Moves the assigned-ID counter to at least `n` (state import).
    pub fn restore_assigned_id_counter(&self, n: u64) {
        self.next_id.fetch_max(n, Ordering::Relaxed);
    }

    /// Removes the group `id` at `now_unix` and returns it; its ID is free again, and the
    /// China day's net group increase is one lower (spec §40.3).
    pub fn destroy_group(&self, id: &str, now_unix: u64) -> Option<Group> {
        let Entry::Occupied(slot) = self.groups.entry(Arc::from(id)) else {
            return None;
        };
        let seq = slot.get().seq;
        for m in slot.get().members.iter() {
            self.index_leave(m.account(), seq);
        }
        self.ids_by_seq.remove(seq);
        let (_, group) = slot.remove_entry();
        self.counts.remove(group.group_type);
        self.net_daily.sub(china_day(now_unix));
        Some(*group)
    }

    /// A page of group IDs in creation order, starting at `next` (0 = the start), at most
    /// `limit`, only of type `kind` when given.
    pub fn list_groups(&self, next: u64, limit: usize, kind: Option<GroupType>) -> GroupList {
        let mut matching: Vec<(u64, String)> = self
            .groups
            .iter()
            .filter(|g| kind.is_none_or(|t| g.group_type == t))
            .map(|g| (g.seq, g.id.to_string()))
            .collect();
        let total = matching.len();
        matching.retain(|(seq, _)| *seq >= next);
        matching.sort_unstable_by_key(|(seq, _)| *seq);
        let more = matching.len() > limit;
        matching.truncate(limit);
        let next = match matching.last() {
            Some((seq, _)) if more => seq + 1,
            _ => 0,
        };
        GroupList {
            total,
            ids: matching.into_iter().map(|(_, id)| id).collect(),
            next,
        }
    }

    /// Every group's ID, in creation order (the state document's order), read from the
    /// creation-order index one shard lock at a time. Not from the groups themselves: visiting
    /// them in hash order touches a random page per group (600k groups on a busy 2-core VM:
    /// 1.2-1.5 s), while the index was written in creation order and reads nearly sequentially
    /// (0.4-0.9 s, mostly copying the IDs).
    pub fn group_ids(&self) -> Vec<String> {
        self.ids_by_seq.in_order()
    }

    /// Every group, in creation order (for export).
    pub fn groups(&self) -> Vec<Group> {
        let mut all: Vec<Group> = self
            .groups
            .iter()
            .map(|g| g.value().as_ref().clone())
            .collect();
        all.sort_unstable_by_key(|g| g.seq);
        all
    }

    /// How many groups the app holds.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// How many accounts the app holds.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// How many messages the app's groups keep, summed in one pass over the groups (shard by
    /// shard, a read lock each): for the metrics, at scrape time.
    pub fn message_count(&self) -> usize {
        self.groups.iter().map(|g| g.messages.len()).sum()
    }
}

/// Creation seq → GroupId, split into shards by seq so concurrent creations rarely share a
/// lock; within a shard seqs only grow, so an insert appends to an ordered map.
#[derive(Debug)]
struct SeqIds {
    shards: [Mutex<BTreeMap<u64, Arc<str>>>; SHARDS],
}

impl Default for SeqIds {
    fn default() -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::default()),
        }
    }
}

impl SeqIds {
    fn shard(&self, seq: u64) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<str>>> {
        // The map holds plain data: a poisoned lock holds nothing inconsistent.
        self.shards[(seq % SHARDS as u64) as usize]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn insert(&self, seq: u64, id: Arc<str>) {
        self.shard(seq).insert(seq, id);
    }

    fn get(&self, seq: u64) -> Option<String> {
        self.shard(seq).get(&seq).map(|id| id.to_string())
    }

    fn remove(&self, seq: u64) {
        self.shard(seq).remove(&seq);
    }

    /// Every ID, by seq.
    fn in_order(&self) -> Vec<String> {
        let mut all: Vec<(u64, String)> = Vec::new();
        for shard in &self.shards {
            let ids = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            all.extend(ids.iter().map(|(seq, id)| (*seq, id.to_string())));
        }
        all.sort_unstable_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, id)| id).collect()
    }
}

/// 10037 for `owner`, who already belongs to `max` groups.
fn owner_over(owner: &str, max: usize) -> VendorError {
    VendorError::TooManyJoinedGroups(format!(
        "Owner_Account {owner:?} already belongs to {max} groups, the most one account may belong to (created and joined; [apps.limits] groups_per_user / --groups-per-user)"
    ))
}

/// Shards of each per-app map. Growing a shard rehashes it under its write lock, stalling the
/// requests behind it; with DashMap's default (4 per core, 8 here) a million-group app stalls
/// for many milliseconds at each doubling, with 64 shards each stall is an eighth as long.
const SHARDS: usize = 64;

fn sharded_map<K: Eq + std::hash::Hash, V>() -> DashMap<K, V, FxBuildHasher> {
    DashMap::with_capacity_and_hasher_and_shard_amount(0, FxBuildHasher, SHARDS)
}
