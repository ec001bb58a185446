//! Fault injection: rules that make matching vendor requests fail with a chosen ErrorCode
//! and ErrorInfo, wait before answering, or both, a number of times and/or with a probability.
//!
//! The common layer asks [`Faults::pick`] once per request, after the command, the app and the
//! UserSig are known to be good and before the rate limiter. With no rule installed that costs
//! one atomic load. Rules live in a short `RwLock<Vec>` read under a brief read lock; each rule's
//! remaining count is an atomic, so two requests never both take the last use. Probability
//! draws come from a lock-free splitmix64 sequence (`store::ids::mix64`), not a dependency.
//!
//! The list is bounded: at most [`MAX_RULES`] rules are installed at once, and a rule whose
//! `times` are used up leaves the list on the request that used its last one (the request's
//! journal entry, `rule_id: "fault:{id}"`, is its record), so requests never scan spent rules.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use serde::Serialize;

use crate::error::VendorError;
use crate::store::ids::mix64;

/// The longest delay a rule may add (emulator choice: one minute).
pub const MAX_DELAY_MS: u64 = 60_000;

/// The most rules installed at once (emulator choice); [`Faults::add`] refuses more.
pub const MAX_RULES: usize = 100;

/// [`Faults::add`]'s refusal: [`MAX_RULES`] rules are installed already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{MAX_RULES} fault rules are installed, the most tim-emulator keeps (fixed); remove some \
     with DELETE /_emulator/faults/{{id}} or all with DELETE /_emulator/faults (a rule whose \
     times are used up is removed by itself)"
)]
pub struct TooManyRules;

/// A validated fault rule, as posted (without its id).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// The command word it matches, or `*` for every command.
    pub command: String,
    /// The app it matches; `None` matches every app.
    pub sdkappid: Option<u64>,
    /// The ErrorCode to answer; `None` only delays.
    pub error_code: Option<u32>,
    /// The ErrorInfo to answer with `error_code`.
    pub error_info: Option<String>,
    /// Milliseconds to wait before answering (0 = none).
    pub delay_ms: u64,
    /// How many requests it fires for; `None` = until deleted.
    pub times: Option<u64>,
    /// Chance that a matching request fires it, 0.0 to 1.0.
    pub probability: f64,
}

/// An installed rule, as listed by `GET /_emulator/faults`.
#[derive(Debug, Serialize)]
pub struct FaultRule {
    /// The rule's id (1, 2, ...).
    pub id: u64,
    /// The command word it matches, or `*`.
    pub command: String,
    /// The app it matches, if only one.
    pub sdkappid: Option<u64>,
    /// The ErrorCode it answers.
    pub error_code: Option<u32>,
    /// The ErrorInfo it answers.
    pub error_info: Option<String>,
    /// The delay it adds.
    pub delay_ms: u64,
    /// Remaining uses (`None` = unlimited).
    #[serde(serialize_with = "remaining")]
    pub times_remaining: Option<AtomicU64>,
    /// Chance of firing.
    pub probability: f64,
    /// How many requests it fired for so far.
    #[serde(serialize_with = "load")]
    pub fired: AtomicU64,
}

fn remaining<S: serde::Serializer>(v: &Option<AtomicU64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(n) => s.serialize_some(&n.load(Ordering::Relaxed)),
        None => s.serialize_none(),
    }
}

fn load<S: serde::Serializer>(v: &AtomicU64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(v.load(Ordering::Relaxed))
}

/// What a fired rule does to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The rule's id, for the journal (`fault:{id}`).
    pub rule_id: u64,
    /// Milliseconds to wait first.
    pub delay_ms: u64,
    /// The error to answer; `None` means: go on normally after the delay.
    pub error: Option<VendorError>,
}

/// The installed rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: RwLock<Vec<Arc<FaultRule>>>,
    installed: AtomicUsize,
    next_id: AtomicU64,
    draws: AtomicU64,
}

impl Faults {
    /// Installs a rule and returns it; [`TooManyRules`] when [`MAX_RULES`] are installed.
    pub fn add(&self, spec: FaultSpec) -> Result<Arc<FaultRule>, TooManyRules> {
        let mut rules = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        // A rule spent by a request that has not swept it yet frees its place here already.
        rules.retain(|r| !used_up(r));
        if rules.len() >= MAX_RULES {
            self.installed.store(rules.len(), Ordering::Release);
            return Err(TooManyRules);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let rule = Arc::new(FaultRule {
            id,
            command: spec.command,
            sdkappid: spec.sdkappid,
            error_code: spec.error_code,
            error_info: spec.error_info,
            delay_ms: spec.delay_ms,
            times_remaining: spec.times.map(AtomicU64::new),
            probability: spec.probability,
            fired: AtomicU64::new(0),
        });
        rules.push(Arc::clone(&rule));
        self.installed.store(rules.len(), Ordering::Release);
        Ok(rule)
    }

    /// How many rules are installed (the ones requests scan).
    pub fn len(&self) -> usize {
        self.installed.load(Ordering::Acquire)
    }

    /// Whether no rule is installed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The installed rules that still have uses left, oldest first (a rule spent by a request
    /// still sweeping it is left out).
    pub fn list(&self) -> Vec<Arc<FaultRule>> {
        let rules = self.rules.read().unwrap_or_else(PoisonError::into_inner);
        rules.iter().filter(|r| !used_up(r)).cloned().collect()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut rules = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        rules.clear();
        self.installed.store(0, Ordering::Release);
    }

    /// Removes the rule `id`; `false` when there is none.
    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        let before = rules.len();
        rules.retain(|r| r.id != id);
        self.installed.store(rules.len(), Ordering::Release);
        rules.len() != before
    }

    /// The fault for a request of `command` on `sdkappid`: the first rule, in the order they
    /// were posted, that matches, has uses left and wins its probability draw. A rule this
    /// request used up is removed from the list.
    pub fn pick(&self, command: &str, sdkappid: u64) -> Option<Fault> {
        if self.is_empty() {
            return None;
        }
        let (fault, spent) = {
            let rules = self.rules.read().unwrap_or_else(PoisonError::into_inner);
            let rule = rules
                .iter()
                .filter(|r| r.command == "*" || r.command == command)
                .filter(|r| r.sdkappid.is_none_or(|id| id == sdkappid))
                .find(|r| self.draw(r.probability) && take_use(r))?;
            (fire(rule), used_up(rule))
        };
        if spent {
            self.sweep();
        }
        Some(fault)
    }

    /// Removes the rules whose uses are all taken.
    fn sweep(&self) {
        let mut rules = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        rules.retain(|r| !used_up(r));
        self.installed.store(rules.len(), Ordering::Release);
    }

    /// `true` with chance `p`.
    fn draw(&self, p: f64) -> bool {
        if p >= 1.0 {
            return true;
        }
        if p <= 0.0 {
            return false;
        }
        let n = mix64(self.draws.fetch_add(1, Ordering::Relaxed) ^ 0x5eed_fa17);
        ((n >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

fn used_up(r: &FaultRule) -> bool {
    r.times_remaining
        .as_ref()
        .is_some_and(|n| n.load(Ordering::Relaxed) == 0)
}

fn take_use(r: &FaultRule) -> bool {
    let Some(n) = &r.times_remaining else {
        return true;
    };
    n.fetch_update(Ordering::AcqRel, Ordering::Acquire, |k| k.checked_sub(1))
        .is_ok()
}

fn fire(r: &FaultRule) -> Fault {
    r.fired.fetch_add(1, Ordering::Relaxed);
    let error = r.error_code.map(|code| {
        let info = r.error_info.clone().unwrap_or_else(|| {
            format!(
                "fault injected by tim-emulator (rule {}); this is not a real failure",
                r.id
            )
        });
        if code == 10002 {
            VendorError::Internal(info)
        } else {
            VendorError::Custom { code, info }
        }
    });
    Fault {
        rule_id: r.id,
        delay_ms: r.delay_ms,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(f: &Faults, s: FaultSpec) -> Arc<FaultRule> {
        f.add(s).expect("room for the rule")
    }

    fn spec(command: &str, times: Option<u64>, probability: f64) -> FaultSpec {
        FaultSpec {
            command: command.into(),
            sdkappid: None,
            error_code: Some(10002),
            error_info: None,
            delay_ms: 0,
            times,
            probability,
        }
    }

    #[test]
    fn a_counted_rule_fires_exactly_that_many_times() {
        let f = Faults::default();
        add(&f, spec("create_group", Some(2), 1.0));
        let fired = (0..5)
            .filter(|_| f.pick("create_group", 1).is_some())
            .count();
        assert_eq!(fired, 2);
        assert!(f.list().is_empty());
    }

    #[test]
    fn a_used_up_rule_leaves_the_list_that_requests_scan() {
        let f = Faults::default();
        let once = add(&f, spec("create_group", Some(1), 1.0));
        add(&f, spec("get_group_info", None, 1.0));
        assert_eq!(f.pick("create_group", 1).map(|x| x.rule_id), Some(once.id));
        assert_eq!(f.len(), 1, "only the unlimited rule is left");
        assert!(f.pick("create_group", 1).is_none());
        assert!(
            !f.remove(once.id),
            "the spent rule is gone, not merely hidden"
        );
    }

    #[test]
    fn no_more_than_max_rules_are_installed_and_a_spent_one_frees_its_place() {
        let f = Faults::default();
        add(&f, spec("create_group", Some(1), 1.0));
        for _ in 1..MAX_RULES {
            add(&f, spec("get_group_info", None, 1.0));
        }
        assert_eq!(f.add(spec("*", None, 1.0)).map(|r| r.id), Err(TooManyRules));
        assert!(f.pick("create_group", 1).is_some());
        assert!(f.add(spec("*", None, 1.0)).is_ok());
        assert_eq!(f.len(), MAX_RULES);
    }

    #[test]
    fn probability_zero_never_fires_and_one_always_does() {
        let f = Faults::default();
        add(&f, spec("create_group", None, 0.0));
        assert!((0..100).all(|_| f.pick("create_group", 1).is_none()));
        add(&f, spec("create_group", None, 1.0));
        assert!((0..100).all(|_| f.pick("create_group", 1).is_some()));
    }

    #[test]
    fn half_probability_fires_roughly_half_the_time() {
        let f = Faults::default();
        add(&f, spec("*", None, 0.5));
        let fired = (0..10_000).filter(|_| f.pick("x", 1).is_some()).count();
        assert!((4_000..6_000).contains(&fired), "{fired}");
    }

    #[test]
    fn code_10002_is_the_internal_error_and_others_are_custom() {
        let f = Faults::default();
        add(&f, spec("a", None, 1.0));
        let mut s = spec("b", None, 1.0);
        s.error_code = Some(60007);
        s.error_info = Some("slow".into());
        add(&f, s);
        let a = f.pick("a", 1).and_then(|x| x.error).map(|e| e.code());
        assert_eq!(a, Some(10002));
        let b = f.pick("b", 1).and_then(|x| x.error);
        assert_eq!(
            b,
            Some(VendorError::Custom {
                code: 60007,
                info: "slow".into()
            })
        );
    }

    #[test]
    fn an_app_bound_rule_skips_other_apps() {
        let f = Faults::default();
        let mut s = spec("create_group", None, 1.0);
        s.sdkappid = Some(7);
        add(&f, s);
        assert!(f.pick("create_group", 8).is_none());
        assert!(f.pick("create_group", 7).is_some());
    }
}
