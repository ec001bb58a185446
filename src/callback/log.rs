//! The delivery log: the most recent callback deliveries, oldest first, in a ring bounded in
//! count ([`LOG_CAPACITY`]) and in bytes.
//!
//! Tests and developers read it through `GET /_emulator/callbacks` to see exactly what the app
//! backend was sent and what it answered, without instrumenting the backend. A logged delivery
//! keeps at most [`super::Bounds::log_body_bytes`] of each body (the one sent, the answer),
//! marked `*_truncated` with the full length when cut, and the ring forgets its oldest
//! deliveries while it would hold more than [`super::Bounds::log_bytes`]: a backend fed or
//! answering megabytes cannot make the log, or its listing, grow with them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::Bounds;

/// How many deliveries the log keeps at most; older ones are forgotten first.
pub const LOG_CAPACITY: usize = 1000;

/// One callback delivery: what was sent and what came back.
///
/// Written out (`GET /_emulator/callbacks`) with each body's `*_truncated` flag and full
/// length in bytes next to it; `request_body` is the JSON sent while whole and a string of its
/// first bytes once cut.
#[derive(Debug, Clone, PartialEq)]
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
    /// The JSON body sent, as text: whole until the log keeps it, then its first
    /// [`Bounds::log_body_bytes`].
    pub request_body: String,
    /// The full length of the body sent, in bytes.
    pub request_body_bytes: usize,
    /// The backend's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The backend's body as read (at most [`super::deliver::MAX_ANSWER_BYTES`], lossy UTF-8;
    /// its first [`Bounds::log_body_bytes`] once logged), when it answered.
    pub response_body: Option<String>,
    /// The answer's full length in bytes, when known: its `Content-Length`, or what was read
    /// when the body ended within [`super::deliver::MAX_ANSWER_BYTES`].
    pub response_body_bytes: Option<u64>,
    /// Whether `response_body` is less than the whole answer.
    pub response_body_truncated: bool,
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
            request_body: String::new(),
            request_body_bytes: 0,
            status: None,
            response_body: None,
            response_body_bytes: None,
            response_body_truncated: false,
            error: None,
            latency_ms: 0,
            decision: None,
        }
    }
}

impl Delivery {
    /// Cuts both bodies to at most `max` bytes each, at a character boundary.
    fn cut_bodies(&mut self, max: usize) {
        crate::text::truncate(&mut self.request_body, max);
        if let Some(body) = &mut self.response_body {
            self.response_body_truncated |= crate::text::truncate(body, max).is_some();
        }
    }

    /// The bytes the delivery holds, as the log counts them: its texts and its fixed part.
    pub fn cost(&self) -> usize {
        let texts = [
            Some(self.url.as_str()),
            Some(self.request_body.as_str()),
            self.response_body.as_deref(),
            self.error.as_deref(),
        ];
        let text_bytes: usize = texts.iter().flatten().map(|t| t.len()).sum();
        std::mem::size_of::<Self>() + text_bytes
    }
}

/// How a delivery is written out: the fields in this order, each body with its marker.
#[derive(Serialize)]
struct Wire<'a> {
    seq: u64,
    time_ms: u64,
    sdkappid: u64,
    command: &'a str,
    url: &'a str,
    request_body: SentBody<'a>,
    request_body_truncated: bool,
    request_body_bytes: usize,
    status: Option<u16>,
    response_body: Option<&'a str>,
    response_body_truncated: bool,
    response_body_bytes: Option<u64>,
    error: Option<&'a str>,
    latency_ms: u64,
    decision: Option<&'a str>,
}

/// The body sent: JSON while whole (parsed only when written out), its text once cut.
enum SentBody<'a> {
    Whole(&'a str),
    Cut(&'a str),
}

impl Serialize for SentBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Whole(text) => match serde_json::from_str::<Value>(text) {
                Ok(json) => json.serialize(s),
                Err(_) => s.serialize_str(text),
            },
            Self::Cut(text) => s.serialize_str(text),
        }
    }
}

impl Serialize for Delivery {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let request_cut = self.request_body.len() < self.request_body_bytes;
        Wire {
            seq: self.seq,
            time_ms: self.time_ms,
            sdkappid: self.sdkappid,
            command: self.command,
            url: &self.url,
            request_body: if request_cut {
                SentBody::Cut(&self.request_body)
            } else {
                SentBody::Whole(&self.request_body)
            },
            request_body_truncated: request_cut,
            request_body_bytes: self.request_body_bytes,
            status: self.status,
            response_body: self.response_body.as_deref(),
            response_body_truncated: self.response_body_truncated,
            response_body_bytes: self.response_body_bytes,
            error: self.error.as_deref(),
            latency_ms: self.latency_ms,
            decision: self.decision,
        }
        .serialize(s)
    }
}

/// The kept deliveries and the bytes they hold.
#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Arc<Delivery>>,
    bytes: usize,
}

/// How a delivery ended, for the log line and the metrics (issue 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The backend answered with a 2xx status (whatever the body said).
    Answered,
    /// The backend answered with another status.
    HttpStatus,
    /// No answer: timeout, connection refused, unreadable answer.
    NoAnswer,
}

impl Outcome {
    /// Every outcome, in the order of [`Outcome::name`].
    pub const ALL: [Outcome; 3] = [Self::Answered, Self::HttpStatus, Self::NoAnswer];

    /// The label value: `answered`, `http_status`, `no_answer`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::HttpStatus => "http_status",
            Self::NoAnswer => "no_answer",
        }
    }

    /// The outcome of `d`.
    pub fn of(d: &Delivery) -> Self {
        match (d.status, &d.error) {
            (_, Some(_)) | (None, None) => Self::NoAnswer,
            (Some(s), None) if (200..300).contains(&s) => Self::Answered,
            (Some(_), None) => Self::HttpStatus,
        }
    }
}

/// The ring of recent deliveries, bounded in count and in bytes.
#[derive(Debug)]
pub struct DeliveryLog {
    body_bytes: usize,
    max_bytes: usize,
    ring: Mutex<Ring>,
    next_seq: AtomicU64,
    /// Deliveries since start by [`Outcome`] (index as in [`Outcome::ALL`]); a clear of the
    /// log does not reset them.
    outcomes: [AtomicU64; 3],
}

impl Default for DeliveryLog {
    fn default() -> Self {
        Self::new(Bounds::default())
    }
}

impl DeliveryLog {
    /// An empty log keeping at most `bounds.log_body_bytes` of each body and
    /// `bounds.log_bytes` in all.
    pub fn new(bounds: Bounds) -> Self {
        Self {
            body_bytes: bounds.log_body_bytes,
            max_bytes: bounds.log_bytes,
            ring: Mutex::default(),
            next_seq: AtomicU64::new(0),
            outcomes: Default::default(),
        }
    }

    /// Deliveries since start that ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome as usize].load(Ordering::Relaxed)
    }

    /// How many deliveries the log keeps now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the log keeps no delivery.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts `d` by outcome; a failed delivery is logged at `warn` (issue 14), a good one at
    /// `debug`.
    fn record(&self, d: &Delivery) {
        let outcome = Outcome::of(d);
        self.outcomes[outcome as usize].fetch_add(1, Ordering::Relaxed);
        if outcome == Outcome::Answered {
            tracing::debug!(
                command = d.command,
                sdkappid = d.sdkappid,
                status = d.status,
                latency_ms = d.latency_ms,
                "callback delivered"
            );
            return;
        }
        tracing::warn!(
            command = d.command,
            sdkappid = d.sdkappid,
            url = %d.url,
            status = d.status,
            error = d.error.as_deref().unwrap_or(""),
            latency_ms = d.latency_ms,
            outcome = outcome.name(),
            "callback delivery failed"
        );
    }

    /// The next sequence number.
    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Keeps `delivery` with its bodies cut, forgetting the oldest while more than
    /// [`LOG_CAPACITY`] deliveries or the byte bound would be kept. A delivery larger than the
    /// whole byte bound even after the cut (a log of a few bytes) is not kept.
    pub fn push(&self, mut delivery: Delivery) {
        self.record(&delivery);
        delivery.cut_bodies(self.body_bytes);
        let cost = delivery.cost();
        if cost > self.max_bytes {
            return;
        }
        let mut ring = self.lock();
        while ring.entries.len() >= LOG_CAPACITY || ring.bytes + cost > self.max_bytes {
            let Some(old) = ring.entries.pop_front() else {
                break;
            };
            ring.bytes -= old.cost();
        }
        ring.entries.push_back(Arc::new(delivery));
        ring.bytes += cost;
    }

    /// The kept deliveries, oldest first, of `sdkappid` only when given.
    pub fn snapshot(&self, sdkappid: Option<u64>) -> Vec<Arc<Delivery>> {
        self.lock()
            .entries
            .iter()
            .filter(|d| sdkappid.is_none_or(|id| d.sdkappid == id))
            .cloned()
            .collect()
    }

    /// The bytes the kept deliveries hold (see [`Delivery::cost`]).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Forgets every delivery; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut ring = self.lock();
        let n = ring.entries.len();
        *ring = Ring::default();
        n
    }

    fn lock(&self) -> MutexGuard<'_, Ring> {
        // Every change leaves the ring consistent before it can panic: keep using it.
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
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
            request_body: "{}".into(),
            request_body_bytes: 2,
            status: None,
            response_body: None,
            response_body_bytes: None,
            response_body_truncated: false,
            error: None,
            latency_ms: 0,
            decision: None,
        }
    }

    fn sized(seq: u64, request: usize, answer: usize) -> Delivery {
        let mut d = delivery(seq, 1);
        d.request_body = format!("{{\"a\":\"{}\"}}", "x".repeat(request));
        d.request_body_bytes = d.request_body.len();
        d.response_body = Some("y".repeat(answer));
        d.response_body_bytes = Some(answer as u64);
        d
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
        assert_eq!(log.bytes(), 0);
    }

    #[test]
    fn bodies_are_cut_to_the_per_body_bound_and_marked_with_their_length() {
        let log = DeliveryLog::new(Bounds {
            log_body_bytes: 100,
            ..Bounds::default()
        });
        log.push(sized(1, 1 << 20, 1 << 16));
        let kept = &log.snapshot(None)[0];
        let v = serde_json::to_value(kept.as_ref()).expect("serializes");
        assert_eq!(v["request_body"].as_str().map(str::len), Some(100));
        assert_eq!(v["request_body_truncated"], true);
        assert_eq!(v["request_body_bytes"], (1 << 20) + 8);
        assert_eq!(v["response_body"].as_str().map(str::len), Some(100));
        assert_eq!(v["response_body_truncated"], true);
        assert_eq!(v["response_body_bytes"], 1 << 16);
    }

    #[test]
    fn a_whole_body_is_written_as_json_and_marked_whole() {
        let log = DeliveryLog::default();
        log.push(sized(1, 3, 2));
        let v = serde_json::to_value(log.snapshot(None)[0].as_ref()).expect("serializes");
        assert_eq!(v["request_body"], serde_json::json!({"a": "xxx"}));
        assert_eq!(v["request_body_truncated"], false);
        assert_eq!(
            (
                v["response_body"].clone(),
                v["response_body_truncated"].clone()
            ),
            (serde_json::json!("yy"), serde_json::json!(false))
        );
    }

    #[test]
    fn the_ring_forgets_the_oldest_to_stay_within_its_bytes() {
        let bounds = Bounds {
            log_body_bytes: 1000,
            log_bytes: 10_000,
            ..Bounds::default()
        };
        let log = DeliveryLog::new(bounds);
        for seq in 1..=50 {
            log.push(sized(seq, 5000, 5000));
            assert!(log.bytes() <= bounds.log_bytes, "{}", log.bytes());
        }
        let kept = log.snapshot(None);
        let total: usize = kept.iter().map(|d| d.cost()).sum();
        assert_eq!(total, log.bytes());
        assert!(kept.len() > 1 && kept.len() < 10, "{}", kept.len());
        assert_eq!(kept.last().map(|d| d.seq), Some(50), "the newest stays");
    }

    #[test]
    fn a_delivery_larger_than_the_whole_bound_is_not_kept() {
        let log = DeliveryLog::new(Bounds {
            log_bytes: 10,
            ..Bounds::default()
        });
        log.push(delivery(1, 1));
        assert!(log.snapshot(None).is_empty());
    }
}
