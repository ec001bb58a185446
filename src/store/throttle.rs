//! Lock-free per-app throttles and quotas: a GCRA token bucket and a China-day counter.
//!
//! Both are single atomics updated by compare-and-swap, so many requests for one app never wait
//! on a lock.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Nanoseconds since this process first asked, on a monotonic clock.
pub fn mono_nanos() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Unix time in seconds (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Unix time in milliseconds (0 if the clock is before 1970).
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The China Standard Time (UTC+8) day number of a unix time: the vendor's daily quotas reset
/// at midnight Beijing time.
pub fn china_day(unix_secs: u64) -> u64 {
    (unix_secs + 8 * 3600) / 86_400
}

/// A token bucket of `rate` calls per second with a burst of `rate`, kept as the generic cell
/// rate algorithm's theoretical arrival time.
#[derive(Debug, Default)]
pub struct RateLimiter {
    tat: AtomicU64,
}

impl RateLimiter {
    /// Takes one token at `now` (nanoseconds); `false` when the bucket is empty. Rate 0 means
    /// unlimited.
    pub fn try_acquire(&self, rate: u32, now: u64) -> bool {
        if rate == 0 {
            return true;
        }
        let interval = 1_000_000_000 / u64::from(rate);
        let tolerance = interval * u64::from(rate - 1);
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let start = tat.max(now);
            if start - now > tolerance {
                return false;
            }
            match self.tat.compare_exchange_weak(
                tat,
                start + interval,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(seen) => tat = seen,
            }
        }
    }

    /// Whether the bucket is full again at `now` (nanoseconds): then it behaves exactly as a
    /// new one, and may be forgotten.
    pub fn is_full(&self, now: u64) -> bool {
        self.tat.load(Ordering::Relaxed) <= now
    }
}

/// A count per China day, packed as `day << 32 | count` in one atomic.
#[derive(Debug, Default)]
pub struct DailyCounter {
    cell: AtomicU64,
}

impl DailyCounter {
    /// Counts one more on `day` unless `max` are already counted (max 0 = unlimited).
    pub fn try_add(&self, day: u64, max: u32) -> bool {
        let mut cur = self.cell.load(Ordering::Relaxed);
        loop {
            let (d, n) = (cur >> 32, cur & 0xffff_ffff);
            let n = if d == day { n } else { 0 };
            if max != 0 && n >= u64::from(max) {
                return false;
            }
            let next = (day << 32) | (n + 1);
            match self
                .cell
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(seen) => cur = seen,
            }
        }
    }

    /// Gives back one count taken on `day` (a creation that did not happen).
    pub fn release(&self, day: u64) {
        let _ = self
            .cell
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |cur| {
                (cur >> 32 == day && cur & 0xffff_ffff > 0).then_some(cur - 1)
            });
    }

    /// The count of `day`.
    pub fn count(&self, day: u64) -> u32 {
        let cur = self.cell.load(Ordering::Relaxed);
        if cur >> 32 == day {
            (cur & 0xffff_ffff) as u32
        } else {
            0
        }
    }
}

/// Groups created minus groups destroyed per China day (spec §40.3), packed as
/// `day << 32 | (count + 2^31)` in one atomic: the count may go below zero when more groups are
/// destroyed than created on a day.
#[derive(Debug, Default)]
pub struct NetDailyCounter {
    cell: AtomicU64,
}

const NET_ZERO: i64 = 1 << 31;

impl NetDailyCounter {
    fn unpack(cur: u64, day: u64) -> i64 {
        if cur >> 32 == day && cur != 0 {
            (cur & 0xffff_ffff) as i64 - NET_ZERO
        } else {
            0
        }
    }

    fn pack(day: u64, n: i64) -> u64 {
        (day << 32) | ((n + NET_ZERO).clamp(0, 0xffff_ffff) as u64)
    }

    /// Counts one creation on `day` unless the count is already `max` or more (max 0 =
    /// unlimited); the new count, or `None` when refused.
    pub fn try_add(&self, day: u64, max: u32) -> Option<i64> {
        let mut seen = None;
        self.cell
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                let n = Self::unpack(cur, day);
                if max != 0 && n >= i64::from(max) {
                    return None;
                }
                seen = Some(n + 1);
                Some(Self::pack(day, n + 1))
            })
            .ok()
            .and(seen)
    }

    /// Counts one destruction on `day`.
    pub fn sub(&self, day: u64) {
        let _ = self
            .cell
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                Some(Self::pack(day, Self::unpack(cur, day) - 1))
            });
    }

    /// Gives back one creation counted on `day` (a creation that did not happen); nothing
    /// once the day is over.
    pub fn release(&self, day: u64) {
        let _ = self
            .cell
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                (cur >> 32 == day).then(|| Self::pack(day, Self::unpack(cur, day) - 1))
            });
    }

    /// The net count of `day`.
    pub fn count(&self, day: u64) -> i64 {
        Self::unpack(self.cell.load(Ordering::Acquire), day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_of_rate_then_refuses() {
        let b = RateLimiter::default();
        let now = 5_000_000_000;
        assert!((0..100).all(|_| b.try_acquire(100, now)));
        assert!(!b.try_acquire(100, now));
        // One interval (10 ms) later exactly one more token exists.
        assert!(b.try_acquire(100, now + 10_000_000));
        assert!(!b.try_acquire(100, now + 10_000_000));
    }

    #[test]
    fn bucket_refills_fully_after_a_second() {
        let b = RateLimiter::default();
        assert!((0..100).all(|_| b.try_acquire(100, 1_000_000_000)));
        assert!((0..100).all(|_| b.try_acquire(100, 2_000_000_000)));
    }

    #[test]
    fn a_bucket_is_full_again_once_its_tokens_came_back() {
        let b = RateLimiter::default();
        assert!(b.is_full(0));
        assert!((0..10).all(|_| b.try_acquire(10, 1_000_000_000)));
        assert!(!b.is_full(1_500_000_000));
        assert!(b.is_full(2_000_000_000));
    }

    #[test]
    fn rate_zero_is_unlimited() {
        let b = RateLimiter::default();
        assert!((0..10_000).all(|_| b.try_acquire(0, 0)));
    }

    #[test]
    fn daily_counter_stops_at_max_and_resets_on_a_new_day() {
        let c = DailyCounter::default();
        assert!(c.try_add(10, 2) && c.try_add(10, 2));
        assert!(!c.try_add(10, 2));
        c.release(10);
        assert_eq!(c.count(10), 1);
        assert!(c.try_add(11, 2));
        assert_eq!(c.count(11), 1);
    }

    #[test]
    fn the_net_counter_counts_creations_minus_destructions_per_day() {
        let c = NetDailyCounter::default();
        assert_eq!(c.try_add(10, 2), Some(1));
        assert_eq!(c.try_add(10, 2), Some(2));
        assert_eq!(c.try_add(10, 2), None, "at the quota");
        c.sub(10);
        assert_eq!(c.try_add(10, 2), Some(2), "a destruction makes room");
        c.release(10);
        assert_eq!(c.count(10), 1);
        c.sub(11);
        c.sub(11);
        assert_eq!(c.count(11), -2, "a new day starts at 0 and may go below");
        assert_eq!(c.try_add(11, 1), Some(-1));
        assert_eq!(c.try_add(12, 0), Some(1), "0 = unlimited");
    }

    #[test]
    fn china_day_turns_at_16_00_utc() {
        // 2023-11-14 15:59:59 UTC is 23:59:59 in Beijing; one second later is the next day.
        assert_eq!(china_day(1_699_977_599) + 1, china_day(1_699_977_600));
    }
}
