//! The request journal: the last N vendor requests with what they sent and how they were
//! answered, for `GET /_emulator/requests`.
//!
//! A bounded ring split into shards: entry `id` goes to shard `id % SHARDS`, each shard a short
//! `VecDeque` behind its own `Mutex`, held only to push one entry (and pop that shard's oldest)
//! or to clone `Arc`s for a read. Concurrent requests land on different shards, so there is no
//! global lock on the request path. Because ids are dealt round-robin, every shard holds the
//! same slice of recent history and a read (all shards, sorted by id) is the newest `capacity`
//! entries. Entries are built, and reads filtered, outside any lock; a capacity of 0 records
//! nothing and takes no lock at all.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

/// The default number of entries kept.
pub const DEFAULT_CAPACITY: usize = 1000;

/// Bytes of a request body kept in an entry; longer bodies are cut (at a character boundary).
pub const BODY_LIMIT: usize = 4096;

/// Bytes kept of each other text of an entry: the method, the path, the command word, the query
/// and ErrorInfo. Longer ones are cut (at a character boundary) and listed in
/// [`Entry::truncated`] with the length they had, so one entry holds at most about 6 × 4 KiB
/// whatever the request was (a 124 KB query or GroupId is not kept whole).
pub const TEXT_LIMIT: usize = 4096;

/// One journaled vendor request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    /// Position in the journal since start (1, 2, ...); survives clears.
    pub id: u64,
    /// When the request arrived, unix milliseconds.
    pub time_ms: u64,
    /// The HTTP method (cut to [`TEXT_LIMIT`], as the path, command word, query and ErrorInfo).
    pub method: Cow<'static, str>,
    /// The path, e.g. `/v4/group_open_http_svc/create_group`.
    pub path: Cow<'static, str>,
    /// The `sdkappid` when it parsed.
    pub sdkappid: Option<u64>,
    /// The command word (last path segment), known or not.
    pub command: Cow<'static, str>,
    /// The query string as received, cut to [`TEXT_LIMIT`]. It is masked when written out (`usersig=***`, see
    /// [`redact_query`]), so the usersig never leaves the emulator, and masking costs nothing
    /// on the request path.
    #[serde(serialize_with = "serialize_redacted")]
    pub query: String,
    /// The body as text (lossy UTF-8), cut to [`BODY_LIMIT`] bytes.
    pub body: String,
    /// Whether `body` was cut.
    pub body_truncated: bool,
    /// The body's full length in bytes.
    pub body_bytes: usize,
    /// The answer's ErrorCode (0 on success).
    #[serde(rename = "ErrorCode")]
    pub error_code: u32,
    /// The answer's ErrorInfo (`""` on success), cut to [`TEXT_LIMIT`].
    #[serde(rename = "ErrorInfo")]
    pub error_info: String,
    /// The rule that refused the request (`None` on success), e.g. `group_id.in_use`, or
    /// `fault:3` for an injected fault.
    pub rule_id: Option<String>,
    /// Time to answer, microseconds.
    pub latency_us: u64,
    /// What the command noted about an accepted request (a duplicate message and its
    /// original, fields left out, a near-miss field name), when anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The texts cut to [`TEXT_LIMIT`] and their full lengths; written only when one was cut.
    #[serde(skip_serializing_if = "Truncated::is_empty")]
    pub truncated: Truncated,
}

/// The full length in bytes of each text of an [`Entry`] that was cut to [`TEXT_LIMIT`] (the
/// body has its own `body_truncated` and `body_bytes`). Written as an object of only the cut
/// fields, named as the entry names them, e.g. `"truncated": {"query": 124000}`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Truncated {
    /// The method's full length, when cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<usize>,
    /// The path's full length, when cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<usize>,
    /// The command word's full length, when cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<usize>,
    /// The query's full length, when cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<usize>,
    /// ErrorInfo's full length, when cut.
    #[serde(rename = "ErrorInfo", skip_serializing_if = "Option::is_none")]
    pub error_info: Option<usize>,
}

impl Truncated {
    /// Whether nothing was cut.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `text` as an entry keeps it: its first [`TEXT_LIMIT`] bytes at most, and its full length
/// when it was cut.
pub fn clip(text: &str) -> (String, Option<usize>) {
    let kept = crate::text::prefix(text, TEXT_LIMIT);
    let cut = (kept.len() < text.len()).then_some(text.len());
    (kept.to_string(), cut)
}

/// [`clip`] for text the entry owns already (cut in place) or borrows for the whole run.
pub fn clip_cow(text: Cow<'static, str>) -> (Cow<'static, str>, Option<usize>) {
    match text {
        Cow::Borrowed(s) if s.len() <= TEXT_LIMIT => (Cow::Borrowed(s), None),
        Cow::Borrowed(s) => {
            let (kept, cut) = clip(s);
            (Cow::Owned(kept), cut)
        }
        Cow::Owned(mut s) => {
            let cut = crate::text::truncate(&mut s, TEXT_LIMIT);
            (Cow::Owned(s), cut)
        }
    }
}

/// A note a command attaches to its answer (as a response extension) for the journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(pub String);

/// Which entries a read wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this app.
    pub sdkappid: Option<u64>,
    /// Only this command word.
    pub command: Option<String>,
    /// Only failures (ErrorCode not 0).
    pub failed_only: bool,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        self.sdkappid.is_none_or(|id| e.sdkappid == Some(id))
            && self.command.as_ref().is_none_or(|c| *c == e.command)
            && (!self.failed_only || e.error_code != 0)
    }
}

/// How many independently locked parts the ring has.
const SHARDS: usize = 16;

/// The bounded ring of recent requests.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    per_shard: usize,
    next_id: AtomicU64,
    shards: [Mutex<VecDeque<Arc<Entry>>>; SHARDS],
}

impl Journal {
    /// A journal keeping the last `capacity` requests (0 keeps none).
    pub fn new(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS);
        Self {
            capacity,
            per_shard,
            next_id: AtomicU64::new(1),
            shards: std::array::from_fn(|_| {
                Mutex::new(VecDeque::with_capacity(per_shard.min(256)))
            }),
        }
    }

    /// How many entries are kept at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Records `entry` (its `id` is assigned here), dropping the oldest when full.
    pub fn push(&self, mut entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        entry.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let shard = &self.shards[(entry.id % SHARDS as u64) as usize];
        let entry = Arc::new(entry);
        let evicted = {
            let mut ring = shard.lock().unwrap_or_else(PoisonError::into_inner);
            let evicted = if ring.len() >= self.per_shard {
                ring.pop_front()
            } else {
                None
            };
            ring.push_back(entry);
            evicted
        };
        drop(evicted);
    }

    /// The entries that match `filter`, oldest first.
    pub fn read(&self, filter: &Filter) -> Vec<Arc<Entry>> {
        let mut all: Vec<Arc<Entry>> = Vec::with_capacity(self.capacity.min(4096));
        for shard in &self.shards {
            let ring = shard.lock().unwrap_or_else(PoisonError::into_inner);
            all.extend(ring.iter().cloned());
        }
        all.sort_unstable_by_key(|e| e.id);
        let skip = all.len().saturating_sub(self.capacity);
        all.into_iter()
            .skip(skip)
            .filter(|e| filter.matches(e))
            .collect()
    }

    /// How many entries are kept now (at most [`Journal::capacity`]).
    pub fn len(&self) -> usize {
        let held: usize = self
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum();
        held.min(self.capacity)
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        for shard in &self.shards {
            shard.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }
}

fn serialize_redacted<S: serde::Serializer>(query: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&redact_query(query))
}

/// The method's name, static for the standard methods (no allocation per request).
pub fn method_name(m: &axum::http::Method) -> Cow<'static, str> {
    use axum::http::Method;
    let known = [
        Method::POST,
        Method::GET,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PATCH,
        Method::CONNECT,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = [
        "POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    match known.iter().position(|k| k == m) {
        Some(i) => Cow::Borrowed(NAMES[i]),
        None => Cow::Owned(m.as_str().to_string()),
    }
}

/// The query string with every `usersig` value masked (`usersig=***`), other bytes untouched.
pub fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let key = pair.split('=').next().unwrap_or("");
        // Judge the name as the common layer reads it: `%75sersig` is `usersig` too.
        let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
        out.push_str(if key.eq_ignore_ascii_case("usersig") {
            "usersig=***"
        } else {
            pair
        });
    }
    out
}

/// The body as journal text: lossy UTF-8, cut to at most [`BODY_LIMIT`] bytes at a character
/// boundary; the flag says whether it was cut.
pub fn body_text(bytes: &[u8]) -> (String, bool) {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_LIMIT + 4)]);
    if bytes.len() <= BODY_LIMIT {
        return (text.into_owned(), false);
    }
    (crate::text::prefix(&text, BODY_LIMIT).to_string(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(sdkappid: u64, command: &str, code: u32) -> Entry {
        Entry {
            id: 0,
            time_ms: 0,
            method: "POST".into(),
            path: "".into(),
            sdkappid: Some(sdkappid),
            command: command.to_string().into(),
            query: String::new(),
            body: String::new(),
            body_truncated: false,
            body_bytes: 0,
            error_code: code,
            error_info: String::new(),
            rule_id: None,
            latency_us: 0,
            truncated: Truncated::default(),
            note: None,
        }
    }

    #[test]
    fn the_ring_keeps_only_the_newest_entries() {
        let j = Journal::new(3);
        for i in 0..5 {
            j.push(entry(i, "create_group", 0));
        }
        let ids: Vec<u64> = j.read(&Filter::default()).iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![3, 4, 5]);
    }

    #[test]
    fn a_large_ring_keeps_exactly_the_newest_across_shards() {
        let j = Journal::new(100);
        for i in 0..1000 {
            j.push(entry(i, "create_group", 0));
        }
        let ids: Vec<u64> = j.read(&Filter::default()).iter().map(|e| e.id).collect();
        assert_eq!(ids, (901..=1000).collect::<Vec<u64>>());
    }

    #[test]
    fn concurrent_pushes_stay_bounded_and_unique() {
        let j = Arc::new(Journal::new(64));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let j = Arc::clone(&j);
                std::thread::spawn(move || (0..500).for_each(|_| j.push(entry(t, "x", 0))))
            })
            .collect();
        threads
            .into_iter()
            .for_each(|t| t.join().expect("pusher thread"));
        let ids: Vec<u64> = j.read(&Filter::default()).iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), 64);
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "sorted and unique: {ids:?}"
        );
        assert!(ids[0] > 3000, "only recent entries survive: {ids:?}");
    }

    #[test]
    fn a_written_entry_never_shows_the_usersig() {
        let mut e = entry(1, "create_group", 0);
        e.query = "sdkappid=1&usersig=secret-sig&identifier=admin".into();
        let text = serde_json::to_string(&e).expect("entries serialize");
        assert!(!text.contains("secret-sig"), "{text}");
        assert!(
            text.contains("sdkappid=1&usersig=***&identifier=admin"),
            "{text}"
        );
    }

    #[test]
    fn filters_combine() {
        let j = Journal::new(10);
        j.push(entry(1, "create_group", 0));
        j.push(entry(1, "create_group", 10004));
        j.push(entry(2, "create_group", 10004));
        j.push(entry(1, "account_import", 70402));
        let f = Filter {
            sdkappid: Some(1),
            command: Some("create_group".into()),
            failed_only: true,
        };
        let got: Vec<u64> = j.read(&f).iter().map(|e| e.id).collect();
        assert_eq!(got, vec![2]);
    }

    #[test]
    fn a_percent_encoded_usersig_name_is_masked_too() {
        assert_eq!(
            redact_query("sdkappid=1&%75sersig=secret&%55SERSIG=x"),
            "sdkappid=1&usersig=***&usersig=***"
        );
    }

    #[test]
    fn usersig_is_masked_and_other_parameters_kept() {
        let table = [
            (
                "sdkappid=1&usersig=abc&random=2",
                "sdkappid=1&usersig=***&random=2",
            ),
            ("usersig=a&usersig=b", "usersig=***&usersig=***"),
            ("UserSig=x", "usersig=***"),
            ("sdkappid=1", "sdkappid=1"),
        ];
        for (q, want) in table {
            assert_eq!(redact_query(q), want);
        }
    }

    #[test]
    fn long_texts_are_cut_and_listed_with_their_length_and_short_ones_are_not() {
        let (kept, cut) = clip(&"q=1&".repeat(31_000));
        assert_eq!((kept.len(), cut), (TEXT_LIMIT, Some(124_000)));
        assert_eq!(clip("sdkappid=1"), ("sdkappid=1".to_string(), None));
        let (kept, cut) = clip_cow(Cow::Owned("用".repeat(2000)));
        assert!(kept.len() <= TEXT_LIMIT && kept.len() > TEXT_LIMIT - 3);
        assert_eq!(cut, Some(6000));
        assert_eq!(clip_cow(Cow::Borrowed("create_group")).1, None);

        let mut e = entry(1, "create_group", 10004);
        assert!(
            !serde_json::to_string(&e)
                .expect("serializes")
                .contains("truncated\":{")
        );
        e.truncated.query = Some(124_000);
        let v = serde_json::to_value(&e).expect("serializes");
        assert_eq!(v["truncated"], serde_json::json!({"query": 124_000}));
    }

    #[test]
    fn long_bodies_are_cut_at_a_character_boundary() {
        let (short, cut) = body_text(b"{}");
        assert_eq!((short.as_str(), cut), ("{}", false));
        let long = "用".repeat(2000); // 6000 bytes
        let (text, cut) = body_text(long.as_bytes());
        assert!(cut && text.len() <= BODY_LIMIT && text.len() > BODY_LIMIT - 3);
    }
}
