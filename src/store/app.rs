//! One app's state: accounts, groups, the ID sequence, throttles and quotas.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::ids::assigned_id;
use super::slots::{AppSlots, Holding};
use super::throttle::{DailyCounter, china_day};
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
    groups: DashMap<String, Box<Group>, FxBuildHasher>,
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
    bchatrooms: AtomicU32,
    /// Whether anything was stored here (see [`super::slots`]).
    holding: Holding,
    /// The store's count of apps holding state, which the first store into this app joins.
    slots: Arc<AppSlots>,
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
    day: Option<u64>,
    bchatroom: bool,
}

impl Drop for QuotaReservation {
    fn drop(&mut self) {
        if let Some(day) = self.day {
            self.app.daily.release(day);
        }
        if self.bchatroom {
            self.app.bchatrooms.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl QuotaReservation {
    fn commit(mut self) {
        self.day = None;
        self.bchatroom = false;
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
            bchatrooms: AtomicU32::new(0),
            holding,
            slots,
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
        self.accounts.insert(id.to_string(), account);
        Ok(())
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
            self.accounts.entry(id.to_string()).or_default();
        }
        Ok(())
    }

    /// Deletes an imported account; `false` when it was not imported.
    pub fn delete_account(&self, id: &str) -> bool {
        self.accounts.remove(id).is_some()
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

    /// Takes the daily-creation or BChatRoom quota for a group of `new`'s type (10006 when
    /// used up). The quota comes back when the reservation is dropped without a creation.
    pub fn reserve_quota(
        self: &Arc<Self>,
        group_type: GroupType,
        now_unix: u64,
    ) -> Result<QuotaReservation, VendorError> {
        let limits = &self.policy.limits;
        let mut r = QuotaReservation {
            app: Arc::clone(self),
            day: None,
            bchatroom: false,
        };
        if group_type.is_bchatroom() {
            let max = limits.bchatroom_max;
            let ok = self
                .bchatrooms
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (max == 0 || n < max).then_some(n + 1)
                })
                .is_ok();
            if !ok {
                return Err(VendorError::QuotaExceeded(format!(
                    "this app already has {max} BChatRoom groups, the most allowed; destroy one first, or raise the cap with --bchatroom-max (0 = unlimited; bchatroom_max in [apps.limits] of a configured app) or --no-limits"
                )));
            }
            r.bchatroom = true;
        } else {
            let day = china_day(now_unix);
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

    /// Stores `new` under its custom ID (10021 when taken) or a fresh assigned ID, created at
    /// `now_unix`, and returns the ID. Of concurrent inserts of one ID exactly one succeeds; a
    /// failed insert gives the quota back.
    pub fn insert_group(
        &self,
        new: NewGroup,
        quota: QuotaReservation,
        now_unix: u64,
    ) -> Result<String, VendorError> {
        let id = self.insert_unmetered(new, now_unix)?;
        quota.commit();
        Ok(id)
    }

    /// Stores `new` as [`Self::insert_group`] does, created at `created_unix`, but takes no
    /// quota: import_group (spec §21.2) counts against none. Of concurrent inserts of one ID
    /// exactly one succeeds, the others get 10021; 70020 when this would be one app too many.
    pub fn insert_unmetered(
        &self,
        new: NewGroup,
        created_unix: u64,
    ) -> Result<String, VendorError> {
        self.claim()?;
        let NewGroup {
            mut group,
            custom_id,
        } = new;
        group.seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        group.stamp_created(created_unix);
        let id_char = self
            .rules
            .rule_of(group.group_type)
            .map_or('0', |r| r.id_char);
        let group = Box::new(group);
        match custom_id {
            Some(id) => self.insert_custom(id, group),
            None => Ok(self.insert_assigned(id_char, group)),
        }
    }

    fn insert_custom(&self, id: String, group: Box<Group>) -> Result<String, VendorError> {
        match self.groups.entry(id) {
            Entry::Occupied(e) => Err(VendorError::GroupIdInUse(e.key().clone())),
            Entry::Vacant(v) => Ok(self.occupy(v, group)),
        }
    }

    fn insert_assigned(&self, id_char: char, group: Box<Group>) -> String {
        let mut group = Some(group);
        loop {
            let n = self.next_id.fetch_add(1, Ordering::Relaxed);
            let id = assigned_id(
                self.rules.assigned_id_prefix,
                id_char,
                self.id_seed,
                self.sdkappid,
                n,
            );
            if let Entry::Vacant(v) = self.groups.entry(id)
                && let Some(g) = group.take()
            {
                return self.occupy(v, g);
            }
        }
    }

    /// Fills a vacant slot with `group` and indexes its members, under the slot's shard lock.
    fn occupy(
        &self,
        slot: dashmap::mapref::entry::VacantEntry<'_, String, Box<Group>>,
        mut group: Box<Group>,
    ) -> String {
        group.id = slot.key().clone();
        self.ids_by_seq.insert(group.seq, group.id.clone());
        for m in group.members.iter() {
            self.index_join(m.account(), group.seq);
        }
        slot.insert(group).id.clone()
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
        let is_b = group.is_bchatroom();
        self.insert_custom(group.id.clone(), Box::new(group))?;
        if is_b {
            self.bchatrooms.fetch_add(1, Ordering::AcqRel);
        }
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

    /// Removes the group `id` and returns it; its ID is free again.
    pub fn destroy_group(&self, id: &str) -> Option<Group> {
        let Entry::Occupied(slot) = self.groups.entry(id.to_string()) else {
            return None;
        };
        let seq = slot.get().seq;
        for m in slot.get().members.iter() {
            self.index_leave(m.account(), seq);
        }
        self.ids_by_seq.remove(seq);
        let (_, group) = slot.remove_entry();
        if group.is_bchatroom() {
            self.bchatrooms.fetch_sub(1, Ordering::AcqRel);
        }
        Some(*group)
    }

    /// A page of group IDs in creation order, starting at `next` (0 = the start), at most
    /// `limit`, only of type `kind` when given.
    pub fn list_groups(&self, next: u64, limit: usize, kind: Option<GroupType>) -> GroupList {
        let mut matching: Vec<(u64, String)> = self
            .groups
            .iter()
            .filter(|g| kind.is_none_or(|t| g.group_type == t))
            .map(|g| (g.seq, g.id.clone()))
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
    shards: [Mutex<BTreeMap<u64, String>>; SHARDS],
}

impl Default for SeqIds {
    fn default() -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::default()),
        }
    }
}

impl SeqIds {
    fn shard(&self, seq: u64) -> std::sync::MutexGuard<'_, BTreeMap<u64, String>> {
        // The map holds plain data: a poisoned lock holds nothing inconsistent.
        self.shards[(seq % SHARDS as u64) as usize]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn insert(&self, seq: u64, id: String) {
        self.shard(seq).insert(seq, id);
    }

    fn get(&self, seq: u64) -> Option<String> {
        self.shard(seq).get(&seq).cloned()
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
            all.extend(ids.iter().map(|(seq, id)| (*seq, id.clone())));
        }
        all.sort_unstable_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, id)| id).collect()
    }
}

/// Shards of each per-app map. Growing a shard rehashes it under its write lock, stalling the
/// requests behind it; with DashMap's default (4 per core, 8 here) a million-group app stalls
/// for many milliseconds at each doubling, with 64 shards each stall is an eighth as long.
const SHARDS: usize = 64;

fn sharded_map<V>() -> DashMap<String, V, FxBuildHasher> {
    DashMap::with_capacity_and_hasher_and_shard_amount(0, FxBuildHasher, SHARDS)
}
