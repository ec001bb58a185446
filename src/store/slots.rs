//! Which apps hold state, and the cap on how many zero-config apps may (`--max-apps`).
//!
//! An app comes into being for the store when a request names it, but it only *holds state*
//! once something is stored in it: a group (create_group, import_group), an account
//! (account_import, multiaccount_import, an auto-imported or kicked account) or anything a
//! state import brings. Quota uses count too, but a quota is only ever used up by a stored
//! group. An app that holds nothing is forgotten as soon as the last request using it ends,
//! so rejected requests (60003, 10007, ...) and reads leave nothing behind, and such an app is
//! in no state export. Once an app holds state it stays until a reset, even when its last
//! group is destroyed (its daily quota use is state too).
//!
//! The first store into an app is its claim on a slot; with zero-config apps at most
//! `--max-apps` apps may hold state, and the claim of one more is refused (70020, naming the
//! flag). Claims and resets take one lock, so the count is exact; they happen once per app,
//! never on the hot path.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::VendorError;

/// The default of `--max-apps`: how many zero-config apps may hold state at once.
///
/// An app holding state costs about 27 KB before its first group (its sharded maps; measured
/// with `scripts/namespace-memory.py` on a release build: 1,000 apps of one account each took
/// 25.6 MiB), so the cap bounds that overhead at about 26 MiB: room for a test suite that
/// gives every test file an sdkappid of its own, while a client that makes up a new sdkappid
/// per request is stopped long before memory runs short.
pub const DEFAULT_MAX_APPS: usize = 1000;

/// The count of apps holding state, against the cap.
#[derive(Debug)]
pub struct AppSlots {
    /// The most apps that may hold state; `None` means no cap (configured apps, or 0).
    max: Option<usize>,
    held: Mutex<usize>,
}

impl AppSlots {
    /// A count capped at `max` apps (`None`: no cap).
    pub fn new(max: Option<usize>) -> Self {
        Self {
            max,
            held: Mutex::new(0),
        }
    }

    /// The cap, if there is one.
    pub fn max(&self) -> Option<usize> {
        self.max
    }

    /// How many apps hold state.
    pub fn held(&self) -> usize {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        // A plain counter: a poisoned lock holds nothing inconsistent.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes `app` (with `sdkappid`) an app that holds state, or refuses with 70020 when the
    /// cap is reached. An app the store has already dropped (a reset during the request) is
    /// let through uncounted: what it stores goes nowhere, as with any write racing a reset.
    pub fn claim(&self, sdkappid: u64, app: &Holding) -> Result<(), VendorError> {
        let mut held = self.lock();
        if app.stored.load(Ordering::Acquire) {
            return Ok(());
        }
        if !app.dropped.load(Ordering::Acquire) {
            if let Some(max) = self.max
                && *held >= max
            {
                return Err(VendorError::TooManyApps { sdkappid, max });
            }
            *held += 1;
        }
        app.stored.store(true, Ordering::Release);
        Ok(())
    }

    /// Runs `f` (which removes apps from the store) under the count's lock, then sets the count
    /// to what `f` returns: the apps that still hold state.
    pub fn recount(&self, f: impl FnOnce() -> usize) {
        let mut held = self.lock();
        *held = f();
    }
}

/// Whether one app holds state, and whether the store has dropped it.
#[derive(Debug, Default)]
pub struct Holding {
    stored: AtomicBool,
    dropped: AtomicBool,
}

impl Holding {
    /// An app that holds state from the start (built by a state import).
    pub fn stored() -> Self {
        Self {
            stored: AtomicBool::new(true),
            dropped: AtomicBool::new(false),
        }
    }

    /// Whether something was stored in the app.
    pub fn is_stored(&self) -> bool {
        self.stored.load(Ordering::Acquire)
    }

    /// Marks the app as dropped by the store (reset, import); call under [`AppSlots::recount`].
    pub fn drop_from_store(&self) {
        self.dropped.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_refuses_one_claim_more_and_names_the_flag() {
        let slots = AppSlots::new(Some(2));
        let apps: Vec<Holding> = (0..3).map(|_| Holding::default()).collect();
        assert_eq!(slots.claim(1, &apps[0]), Ok(()));
        assert_eq!(slots.claim(1, &apps[0]), Ok(()), "a second claim is free");
        assert_eq!(slots.claim(2, &apps[1]), Ok(()));
        let refused = slots.claim(3, &apps[2]).expect_err("a third app");
        assert_eq!(refused.code(), 70020);
        assert!(refused.to_string().contains("--max-apps"), "{refused}");
        assert!(!apps[2].is_stored());
        assert_eq!(slots.held(), 2);
    }

    #[test]
    fn a_dropped_app_is_not_counted_and_no_cap_means_none() {
        let slots = AppSlots::new(Some(1));
        let gone = Holding::default();
        gone.drop_from_store();
        assert_eq!(slots.claim(1, &gone), Ok(()));
        assert_eq!(slots.held(), 0);
        let open = AppSlots::new(None);
        for i in 0..5 {
            assert_eq!(open.claim(i, &Holding::default()), Ok(()));
        }
        assert_eq!(open.held(), 5);
    }
}
