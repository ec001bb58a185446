//! All emulator state: apps by sdkappid, each with its accounts and groups.
//!
//! The maps are sharded (`DashMap`) and stay private; callers use short synchronous methods, so
//! no guard ever lives across an `.await` and no request takes a global lock. Keys are hashed with
//! FxHash rather than SipHash: the emulator serves trusted local clients, so flooding resistance
//! buys nothing and SipHash was the largest single user-space cost of a create_group.

mod app;
pub mod ids;
pub mod throttle;

use std::sync::Arc;

use dashmap::DashMap;
use rustc_hash::FxBuildHasher;

pub use app::{AppState, GroupList, QuotaReservation};

use crate::apps::AppPolicy;
use crate::rules::RulesProfile;

/// Every app's state.
#[derive(Debug)]
pub struct Store {
    apps: DashMap<u64, Arc<AppState>, FxBuildHasher>,
    rules: &'static RulesProfile,
    id_seed: u64,
}

impl Store {
    /// An empty store whose assigned IDs follow `id_seed`.
    pub fn new(rules: &'static RulesProfile, id_seed: u64) -> Self {
        Self {
            apps: DashMap::default(),
            rules,
            id_seed,
        }
    }

    /// The state of `sdkappid`, created on first use with `policy`.
    pub fn app(&self, sdkappid: u64, policy: &Arc<AppPolicy>) -> Arc<AppState> {
        if let Some(app) = self.apps.get(&sdkappid) {
            return Arc::clone(&app);
        }
        let app = self.apps.entry(sdkappid).or_insert_with(|| {
            Arc::new(AppState::new(
                sdkappid,
                Arc::clone(policy),
                self.rules,
                self.id_seed,
            ))
        });
        Arc::clone(&app)
    }

    /// The state of `sdkappid` if it was ever used.
    pub fn existing_app(&self, sdkappid: u64) -> Option<Arc<AppState>> {
        self.apps.get(&sdkappid).map(|a| Arc::clone(&a))
    }

    /// Forgets every app, or one.
    pub fn reset(&self, sdkappid: Option<u64>) {
        match sdkappid {
            Some(id) => {
                self.apps.remove(&id);
            }
            None => self.apps.clear(),
        }
    }

    /// The seed of assigned group IDs.
    pub fn id_seed(&self) -> u64 {
        self.id_seed
    }

    /// Every app's state, by sdkappid.
    pub fn all_apps(&self) -> Vec<Arc<AppState>> {
        let mut apps: Vec<Arc<AppState>> =
            self.apps.iter().map(|e| Arc::clone(e.value())).collect();
        apps.sort_unstable_by_key(|a| a.sdkappid());
        apps
    }

    /// Makes `apps` the whole state (state import). Each app is swapped in as one value, so a
    /// request sees either the old or the new state of its app, never a half-built one; apps
    /// missing from `apps` are forgotten afterwards.
    pub fn replace_all(&self, apps: Vec<Arc<AppState>>) {
        let keep: std::collections::HashSet<u64> = apps.iter().map(|a| a.sdkappid()).collect();
        for app in apps {
            self.apps.insert(app.sdkappid(), app);
        }
        self.apps.retain(|id, _| keep.contains(id));
    }

    /// The sdkappids in use, sorted.
    pub fn app_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.apps.iter().map(|e| *e.key()).collect();
        ids.sort_unstable();
        ids
    }
}
