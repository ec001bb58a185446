//! All emulator state: apps by sdkappid, each with its accounts and groups.
//!
//! The maps are sharded (`DashMap`) and stay private; callers use short synchronous methods, so
//! no guard ever lives across an `.await` and no request takes a global lock. Keys are hashed with
//! FxHash rather than SipHash: the emulator serves trusted local clients, so flooding resistance
//! buys nothing and SipHash was the largest single user-space cost of a create_group.

mod app;
pub mod ids;
pub mod rates;
pub mod slots;
pub mod throttle;

use std::sync::Arc;

use dashmap::DashMap;
use rustc_hash::FxBuildHasher;

pub use app::{AppState, GroupList, QuotaReservation};

use crate::api::command::RateClass;
use crate::apps::{AppPolicy, Limits};
use rates::Rates;
use slots::{AppSlots, Holding};

/// Every app's state.
///
/// An app is in the map while a request uses it or once it holds state (see [`slots`]): a
/// request for an unknown app gets a fresh, empty app, so reads answer as an empty app would,
/// and when the request ends without storing anything the app is dropped again.
#[derive(Debug)]
pub struct Store {
    apps: DashMap<u64, Arc<AppState>, FxBuildHasher>,
    rates: Rates,
    slots: Arc<AppSlots>,
    id_seed: u64,
    /// How many assigned IDs each app had drawn when a reset or an import dropped it (issue 14):
    /// the next app of that sdkappid continues from there, so no assigned ID is handed out twice
    /// within one run. Only apps that drew an ID have an entry (a few bytes each).
    id_floors: DashMap<u64, u64, FxBuildHasher>,
}

/// Drops the app of one request from the store when the request ends, unless something was
/// stored in it (see [`Store::lease`]).
#[derive(Debug)]
pub struct Lease<'a> {
    store: &'a Store,
    sdkappid: u64,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.store.release(self.sdkappid);
    }
}

impl Store {
    /// An empty store whose assigned IDs follow `id_seed` and where at most `max_apps` apps may
    /// hold state (`None`: no cap; the cap is for zero-config apps, `--max-apps`).
    pub fn new(id_seed: u64, max_apps: Option<usize>) -> Self {
        Self {
            apps: DashMap::default(),
            rates: Rates::default(),
            slots: Arc::new(AppSlots::new(max_apps)),
            id_seed,
            id_floors: DashMap::default(),
        }
    }

    /// A guard for a request on `sdkappid`: when it drops (after the request dropped its
    /// [`Self::app`] handle) an app that holds nothing is removed again. Take it before the app.
    pub fn lease(&self, sdkappid: u64) -> Lease<'_> {
        Lease {
            store: self,
            sdkappid,
        }
    }

    /// The state of `sdkappid`; an app the store does not hold yet is created empty with
    /// `policy`, shared by the requests using it at the same time, and dropped when the last of
    /// them ends without storing anything (see [`Self::lease`]).
    pub fn app(&self, sdkappid: u64, policy: &Arc<AppPolicy>) -> Arc<AppState> {
        if let Some(app) = self.apps.get(&sdkappid) {
            return Arc::clone(&app);
        }
        let app = self.apps.entry(sdkappid).or_insert_with(|| {
            let app = AppState::counted(
                sdkappid,
                Arc::clone(policy),
                policy.rules,
                self.id_seed,
                Arc::clone(&self.slots),
                Holding::default(),
            );
            self.continue_ids(&app);
            Arc::new(app)
        });
        Arc::clone(&app)
    }

    /// Removes the app of `sdkappid` if it holds nothing and no request uses it. The check and
    /// the removal happen under the app's shard lock, and a request can only get the app under
    /// that lock, so an app somebody is about to store into is never removed.
    fn release(&self, sdkappid: u64) {
        // An app holding state stays until a reset: the usual case costs a read lock only.
        if self.apps.get(&sdkappid).is_none_or(|app| app.holds_state()) {
            return;
        }
        self.apps.remove_if(&sdkappid, |_, app| {
            Arc::strong_count(app) == 1 && !app.holds_state()
        });
    }

    /// A fresh app for a state import: it holds state from the start and counts against the
    /// cap once [`Self::replace_all`] puts it in (an import is never refused for the cap).
    pub fn restored_app(&self, sdkappid: u64, policy: &Arc<AppPolicy>) -> AppState {
        let app = AppState::counted(
            sdkappid,
            Arc::clone(policy),
            policy.rules,
            self.id_seed,
            Arc::clone(&self.slots),
            Holding::stored(),
        );
        self.continue_ids(&app);
        app
    }

    /// Notes how many assigned IDs `app` drew before it leaves the store.
    fn remember_ids(&self, app: &AppState) {
        let n = app.assigned_id_counter();
        if n > 0 {
            let mut floor = self.id_floors.entry(app.sdkappid()).or_insert(0);
            *floor = (*floor).max(n);
        }
    }

    /// Starts `app`'s assigned IDs after those its sdkappid drew earlier in this run.
    fn continue_ids(&self, app: &AppState) {
        if let Some(n) = self.id_floors.get(&app.sdkappid()) {
            app.restore_assigned_id_counter(*n);
        }
    }

    /// Takes a call token of `class` for `sdkappid` under `limits` at `now` (monotonic
    /// nanoseconds); `false` means 60007. The buckets outlive apps that hold nothing.
    pub fn try_call(&self, sdkappid: u64, class: RateClass, limits: &Limits, now: u64) -> bool {
        self.rates
            .try_call(sdkappid, class, Self::per_second(class, limits), now)
    }

    /// The calls-per-second limit of `class` under `limits` (0 = unlimited).
    pub fn per_second(class: RateClass, limits: &Limits) -> u32 {
        match class {
            RateClass::CreateGroup => limits.create_group_per_second,
            RateClass::Standard => limits.other_per_second,
            RateClass::GroupList => limits.group_list_per_second,
        }
    }

    /// The state of `sdkappid` if it holds any.
    pub fn existing_app(&self, sdkappid: u64) -> Option<Arc<AppState>> {
        self.apps
            .get(&sdkappid)
            .filter(|a| a.holds_state())
            .map(|a| Arc::clone(&a))
    }

    /// Forgets every app, or one, with their rate buckets.
    pub fn reset(&self, sdkappid: Option<u64>) {
        self.slots.recount(|| {
            match sdkappid {
                Some(id) => {
                    if let Some((_, app)) = self.apps.remove(&id) {
                        self.remember_ids(&app);
                        app.drop_from_store();
                    }
                }
                None => self.apps.retain(|_, app| {
                    self.remember_ids(app);
                    app.drop_from_store();
                    false
                }),
            }
            self.held_in_map()
        });
        self.rates.forget(sdkappid);
    }

    fn held_in_map(&self) -> usize {
        self.apps.iter().filter(|a| a.holds_state()).count()
    }

    /// How many apps hold state, and the cap on them (`None`: no cap).
    pub fn app_count(&self) -> (usize, Option<usize>) {
        (self.slots.held(), self.slots.max())
    }

    /// The seed of assigned group IDs.
    pub fn id_seed(&self) -> u64 {
        self.id_seed
    }

    /// Every app that holds state, by sdkappid.
    pub fn all_apps(&self) -> Vec<Arc<AppState>> {
        let mut apps: Vec<Arc<AppState>> = self
            .apps
            .iter()
            .filter(|e| e.holds_state())
            .map(|e| Arc::clone(e.value()))
            .collect();
        apps.sort_unstable_by_key(|a| a.sdkappid());
        apps
    }

    /// Makes `apps` the whole state (state import). Each app is swapped in as one value, so a
    /// request sees either the old or the new state of its app, never a half-built one; apps
    /// missing from `apps` are forgotten afterwards, and every rate bucket starts full.
    pub fn replace_all(&self, apps: Vec<Arc<AppState>>) {
        let keep: std::collections::HashSet<u64> = apps.iter().map(|a| a.sdkappid()).collect();
        self.slots.recount(|| {
            for app in apps {
                self.swap_in(app);
            }
            self.apps.retain(|id, app| {
                let kept = keep.contains(id);
                if !kept {
                    self.remember_ids(app);
                    app.drop_from_store();
                }
                kept
            });
            self.held_in_map()
        });
        self.rates.forget(None);
    }

    /// Makes `app` the whole state of its sdkappid (a reset of one app back to the seed), its
    /// rate buckets full again; the app's assigned IDs continue after the old one's.
    pub fn replace_app(&self, app: Arc<AppState>) {
        let sdkappid = app.sdkappid();
        self.slots.recount(|| {
            self.swap_in(app);
            self.held_in_map()
        });
        self.rates.forget(Some(sdkappid));
    }

    /// Puts `app` in place of the app of its sdkappid, continuing the old one's assigned IDs.
    fn swap_in(&self, app: Arc<AppState>) {
        let fresh = Arc::clone(&app);
        if let Some(old) = self.apps.insert(app.sdkappid(), app) {
            fresh.restore_assigned_id_counter(old.assigned_id_counter());
            self.remember_ids(&old);
            old.drop_from_store();
        }
    }

    /// The sdkappids of the apps that hold state, sorted.
    pub fn app_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .apps
            .iter()
            .filter(|e| e.holds_state())
            .map(|e| *e.key())
            .collect();
        ids.sort_unstable();
        ids
    }
}
