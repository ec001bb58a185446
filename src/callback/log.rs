//! The delivery log: the most recent callback deliveries, oldest first, in a bounded ring.
//!
//! Tests and developers read it through `GET /_emulator/callbacks` to see exactly what the app
//! backend was sent and what it answered, without instrumenting the backend.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::Value;

/// How many deliveries the log keeps; older ones are forgotten first.
pub const LOG_CAPACITY: usize = 1000;

/// One callback delivery: what was sent and what came back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// Increasing number of the delivery since start (never reused, even after a clear).
    pub seq: u64,
    /// When the delivery started (unix milliseconds).
    pub time_ms: u64,
    /// The app.
    pub sdkappid: u64,
    /// The callback command.
    pub command: &'static str,
    /// The full URL, query string included.
    pub url: String,
    /// The JSON body sent.
    pub request_body: Value,
    /// The backend's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The backend's body (at most [`super::deliver::MAX_ANSWER_BYTES`], lossy UTF-8), when it
    /// answered.
    pub response_body: Option<String>,
    /// Why no usable answer came (timeout, connection refused, ...), if so.
    pub error: Option<String>,
    /// Wall time of the exchange in milliseconds.
    pub latency_ms: u64,
    /// For the before-create callback only: what the emulator did with the answer
    /// (`allow`, `reject`, `custom`, `fail_open`, `fail_closed`).
    pub decision: Option<&'static str>,
}

#[cfg(test)]
impl Delivery {
    /// An empty delivery of `command`, for verdict tests.
    pub(crate) fn for_tests(command: &'static str) -> Self {
        Self {
            seq: 1,
            time_ms: 0,
            sdkappid: 1,
            command,
            url: String::new(),
            request_body: Value::Null,
            status: None,
            response_body: None,
            error: None,
            latency_ms: 0,
            decision: None,
        }
    }
}

/// The bounded ring of recent deliveries.
#[derive(Debug, Default)]
pub struct DeliveryLog {
    entries: Mutex<VecDeque<Delivery>>,
    next_seq: AtomicU64,
}

impl DeliveryLog {
    /// The next sequence number.
    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Appends `delivery`, forgetting the oldest beyond [`LOG_CAPACITY`].
    pub fn push(&self, delivery: Delivery) {
        let mut entries = self.lock();
        if entries.len() == LOG_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(delivery);
    }

    /// The kept deliveries, oldest first, of `sdkappid` only when given.
    pub fn snapshot(&self, sdkappid: Option<u64>) -> Vec<Delivery> {
        self.lock()
            .iter()
            .filter(|d| sdkappid.is_none_or(|id| d.sdkappid == id))
            .cloned()
            .collect()
    }

    /// Forgets every delivery; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut entries = self.lock();
        let n = entries.len();
        entries.clear();
        n
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Delivery>> {
        // A panic while holding this lock cannot leave the ring inconsistent: keep using it.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(seq: u64, sdkappid: u64) -> Delivery {
        Delivery {
            seq,
            time_ms: 0,
            sdkappid,
            command: "C",
            url: String::new(),
            request_body: Value::Null,
            status: None,
            response_body: None,
            error: None,
            latency_ms: 0,
            decision: None,
        }
    }

    #[test]
    fn the_ring_forgets_the_oldest_beyond_capacity() {
        let log = DeliveryLog::default();
        for _ in 0..LOG_CAPACITY + 2 {
            log.push(delivery(log.next_seq(), 1));
        }
        let all = log.snapshot(None);
        assert_eq!(all.len(), LOG_CAPACITY);
        assert_eq!(all[0].seq, 3);
        assert_eq!(all[LOG_CAPACITY - 1].seq, LOG_CAPACITY as u64 + 2);
    }

    #[test]
    fn snapshot_filters_by_app_and_clear_empties() {
        let log = DeliveryLog::default();
        log.push(delivery(1, 1));
        log.push(delivery(2, 2));
        assert_eq!(log.snapshot(Some(2)).len(), 1);
        assert_eq!(log.clear(), 2);
        assert!(log.snapshot(None).is_empty());
    }
}
