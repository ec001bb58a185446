//! The per-app call-rate buckets (SPEC §7, 60007), kept apart from the apps' state.
//!
//! An app that stores nothing is forgotten when its request ends (see [`super::slots`]), but
//! its rate must still hold: forty `get_appid_group_list` calls on an unknown app in one second
//! are throttled like forty on a busy one. So the buckets live here, by sdkappid, and a bucket
//! is forgotten once it is full again: a full bucket behaves exactly as a new one, so
//! forgetting it changes no answer. The map therefore holds only apps called within about the
//! last second, whatever the number of sdkappids ever seen.

use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;
use rustc_hash::FxBuildHasher;

use super::throttle::RateLimiter;
use crate::api::command::RateClass;

/// The map is swept of full buckets when it reaches this many entries (and then at twice the
/// size it kept), so a sweep costs O(1) per insertion on average.
const SWEEP_AT_LEAST: usize = 1024;

/// The two buckets of one app.
#[derive(Debug, Default)]
struct AppRates {
    create_group: RateLimiter,
    standard: RateLimiter,
    group_list: RateLimiter,
}

impl AppRates {
    fn bucket(&self, class: RateClass) -> &RateLimiter {
        match class {
            RateClass::CreateGroup => &self.create_group,
            RateClass::Standard => &self.standard,
            RateClass::GroupList => &self.group_list,
        }
    }

    fn is_full(&self, now: u64) -> bool {
        self.create_group.is_full(now) && self.standard.is_full(now) && self.group_list.is_full(now)
    }
}

/// Every app's rate buckets.
#[derive(Debug)]
pub struct Rates {
    apps: DashMap<u64, AppRates, FxBuildHasher>,
    sweep_at: AtomicUsize,
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            apps: DashMap::default(),
            sweep_at: AtomicUsize::new(SWEEP_AT_LEAST),
        }
    }
}

impl Rates {
    /// Takes a token of `class` for `sdkappid` at `now` (monotonic nanoseconds) under a limit of
    /// `per_second` (0 = unlimited, and then nothing is kept); `false` means 60007.
    pub fn try_call(&self, sdkappid: u64, class: RateClass, per_second: u32, now: u64) -> bool {
        if per_second == 0 {
            return true;
        }
        if let Some(app) = self.apps.get(&sdkappid) {
            return app.bucket(class).try_acquire(per_second, now);
        }
        let ok = {
            let app = self.apps.entry(sdkappid).or_default();
            app.bucket(class).try_acquire(per_second, now)
        }; // the shard lock is released before a sweep takes every shard's
        self.sweep_if_due(now);
        ok
    }

    fn sweep_if_due(&self, now: u64) {
        if self.apps.len() < self.sweep_at.load(Ordering::Relaxed) {
            return;
        }
        self.apps.retain(|_, app| !app.is_full(now));
        let kept = self.apps.len();
        self.sweep_at
            .store((kept * 2).max(SWEEP_AT_LEAST), Ordering::Relaxed);
    }

    /// Forgets the buckets of one app, or of all (reset, state import).
    pub fn forget(&self, sdkappid: Option<u64>) {
        match sdkappid {
            Some(id) => {
                self.apps.remove(&id);
            }
            None => self.apps.clear(),
        }
    }

    /// How many apps have buckets kept.
    pub fn len(&self) -> usize {
        self.apps.len()
    }

    /// Whether no app has buckets kept.
    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn each_app_and_class_has_its_own_bucket() {
        let r = Rates::default();
        assert!((0..3).all(|_| r.try_call(1, RateClass::Standard, 3, SEC)));
        assert!(!r.try_call(1, RateClass::Standard, 3, SEC));
        assert!(r.try_call(1, RateClass::CreateGroup, 3, SEC));
        assert!(r.try_call(2, RateClass::Standard, 3, SEC));
        assert!(r.try_call(9, RateClass::Standard, 0, SEC), "0 = unlimited");
        assert_eq!(r.len(), 2, "an unlimited call keeps nothing");
    }

    #[test]
    fn full_buckets_are_swept_so_many_apps_leave_few_entries() {
        let r = Rates::default();
        for id in 0..10_000u64 {
            // One app a millisecond: each bucket is full again a second after its call.
            assert!(r.try_call(id, RateClass::Standard, 200, SEC + id * 1_000_000));
        }
        assert!(r.len() < 4 * SWEEP_AT_LEAST, "kept {}", r.len());
    }

    #[test]
    fn a_throttled_app_is_not_swept_while_its_bucket_refills() {
        let r = Rates::default();
        assert!((0..2).all(|_| r.try_call(7, RateClass::Standard, 2, SEC)));
        for id in 100..100 + SWEEP_AT_LEAST as u64 {
            r.try_call(id, RateClass::Standard, 2, SEC);
        }
        assert!(!r.try_call(7, RateClass::Standard, 2, SEC), "still empty");
    }
}
