//! The emulator's one clock: every time the emulator reads (CreateTime, JoinTime, the China-day
//! quota, UserSig expiry, callback `EventTime`/`RequestTime`, journal times, mute expiry) comes
//! from here, so a test can move it instead of waiting.
//!
//! Three modes: **real** (the system clock), **shifted** (the system clock plus an offset: time
//! runs, from a chosen start) and **frozen** (a fixed instant that only moves when told to). The
//! handle is cheap to clone; reads are two relaxed atomic loads, writes (control plane, start-up)
//! are serialized by a small mutex so two writers never interleave. Rate limiters are not on
//! this clock: they measure intervals on the monotonic clock, which a test has no reason to move.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// `frozen_ms` holds this when the clock is not frozen.
const RUNNING: u64 = u64::MAX;

/// A shared handle on the emulator's clock (unix time in milliseconds).
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The frozen instant (unix ms), or [`RUNNING`].
    frozen_ms: AtomicU64,
    /// Added to the system clock while running (ms).
    offset_ms: AtomicI64,
    writer: Mutex<()>,
    /// How the clock was started (`--clock-start`, `--clock-frozen`): where a full reset puts it
    /// back. `None` is the system clock.
    start: Mutex<Option<(u64, bool)>>,
}

/// What `GET /_emulator/clock` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClockStatus {
    /// The emulator's current time, unix milliseconds.
    pub now_ms: u64,
    /// The same in unix seconds (what CreateTime and JoinTime show).
    pub now: u64,
    /// `real`, `shifted` or `frozen`.
    pub mode: &'static str,
    /// Milliseconds added to the system clock (0 unless `shifted`).
    pub offset_ms: i64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self {
            inner: Arc::new(Inner {
                frozen_ms: AtomicU64::new(RUNNING),
                offset_ms: AtomicI64::new(0),
                writer: Mutex::new(()),
                start: Mutex::new(None),
            }),
        }
    }

    /// A clock that runs from `start_ms` (unix milliseconds) at the system clock's pace.
    pub fn starting_at(start_ms: u64) -> Self {
        let c = Self::system();
        c.set(start_ms, false);
        c.remember_start(start_ms, false);
        c
    }

    /// A clock stopped at `at_ms` (unix milliseconds) until it is moved.
    pub fn frozen_at(at_ms: u64) -> Self {
        let c = Self::system();
        c.set(at_ms, true);
        c.remember_start(at_ms, true);
        c
    }

    fn remember_start(&self, at_ms: u64, frozen: bool) {
        *self
            .inner
            .start
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((at_ms, frozen));
    }

    /// Puts the clock back as it was started (issue 14: the full reset): the system clock, or
    /// running again from `--clock-start`, or frozen at the start instant.
    pub fn restart(&self) {
        let start = *self
            .inner
            .start
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match start {
            Some((at_ms, frozen)) => self.set(at_ms, frozen),
            None => self.real(),
        }
    }

    /// The current time in unix milliseconds (never below 0).
    pub fn now_ms(&self) -> u64 {
        let frozen = self.inner.frozen_ms.load(Ordering::Relaxed);
        if frozen != RUNNING {
            return frozen;
        }
        let offset = self.inner.offset_ms.load(Ordering::Relaxed);
        system_ms().saturating_add_signed(offset)
    }

    /// The current time in unix seconds.
    pub fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    /// Moves the clock to `at_ms`; frozen there, or running from there.
    pub fn set(&self, at_ms: u64, frozen: bool) {
        let _w = self.lock();
        let at_ms = at_ms.min(RUNNING - 1);
        if frozen {
            self.inner.frozen_ms.store(at_ms, Ordering::Relaxed);
        } else {
            let offset = i128::from(at_ms) - i128::from(system_ms());
            let offset = offset.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
            self.inner.offset_ms.store(offset, Ordering::Relaxed);
            self.inner.frozen_ms.store(RUNNING, Ordering::Relaxed);
        }
    }

    /// Moves the clock by `delta_ms` (negative goes back, never below 0), keeping its mode.
    pub fn advance(&self, delta_ms: i64) {
        let _w = self.lock();
        let frozen = self.inner.frozen_ms.load(Ordering::Relaxed);
        if frozen != RUNNING {
            let moved = frozen.saturating_add_signed(delta_ms).min(RUNNING - 1);
            self.inner.frozen_ms.store(moved, Ordering::Relaxed);
        } else {
            let offset = self.inner.offset_ms.load(Ordering::Relaxed);
            self.inner
                .offset_ms
                .store(offset.saturating_add(delta_ms), Ordering::Relaxed);
        }
    }

    /// Back to the system clock.
    pub fn real(&self) {
        let _w = self.lock();
        self.inner.frozen_ms.store(RUNNING, Ordering::Relaxed);
        self.inner.offset_ms.store(0, Ordering::Relaxed);
    }

    /// The time and the mode.
    pub fn status(&self) -> ClockStatus {
        let _w = self.lock();
        let frozen = self.inner.frozen_ms.load(Ordering::Relaxed) != RUNNING;
        let offset_ms = self.inner.offset_ms.load(Ordering::Relaxed);
        let now_ms = self.now_ms();
        let mode = match (frozen, offset_ms) {
            (true, _) => "frozen",
            (false, 0) => "real",
            (false, _) => "shifted",
        };
        ClockStatus {
            now_ms,
            now: now_ms / 1000,
            mode,
            offset_ms: if frozen { 0 } else { offset_ms },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // The guarded data is `()`: a poisoned lock holds nothing inconsistent.
        self.inner
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The system clock in unix milliseconds (0 before 1970).
fn system_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(RUNNING - 1))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_stands_still_until_moved() {
        let c = Clock::frozen_at(1_700_000_000_123);
        assert_eq!(c.now_ms(), 1_700_000_000_123);
        assert_eq!(c.now_secs(), 1_700_000_000);
        c.advance(1_000);
        assert_eq!(c.now_ms(), 1_700_000_001_123);
        c.advance(-2_000_000_000_000);
        assert_eq!(c.now_ms(), 0, "never before 1970");
        assert_eq!(c.status().mode, "frozen");
    }

    #[test]
    fn a_shifted_clock_runs_from_its_start() {
        let c = Clock::starting_at(1_000_000);
        let t = c.now_ms();
        assert!((1_000_000..1_000_000 + 60_000).contains(&t), "{t}");
        assert_eq!(c.status().mode, "shifted");
        c.advance(86_400_000);
        assert!(c.now_ms() >= 1_000_000 + 86_400_000);
    }

    #[test]
    fn real_returns_to_the_system_clock() {
        let c = Clock::frozen_at(5);
        c.real();
        let s = c.status();
        assert_eq!((s.mode, s.offset_ms), ("real", 0));
        assert!(s.now_ms > 1_600_000_000_000);
    }

    #[test]
    fn clones_share_one_clock() {
        let a = Clock::frozen_at(10);
        let b = a.clone();
        b.advance(5);
        assert_eq!(a.now_ms(), 15);
    }

    #[test]
    fn restart_returns_to_the_start_setting() {
        let frozen = Clock::frozen_at(1_000);
        frozen.advance(5_000);
        frozen.restart();
        assert_eq!(frozen.now_ms(), 1_000);
        let system = Clock::system();
        system.set(5, true);
        system.restart();
        assert_eq!(system.status().mode, "real");
    }
}
