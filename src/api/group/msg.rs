//! Inputs shared by the group-message commands (spec `messages.md` §30.3, §30.6).

use serde_json::Value;

use crate::domain::wire::Int;
use crate::error::VendorError;

/// `TopicId` (spec §30.6): topics are not emulated, so a non-empty one is 10004; `""` counts as
/// absent.
pub(crate) fn no_topic(topic: Option<&str>) -> Result<(), VendorError> {
    match topic {
        None | Some("") => Ok(()),
        Some(t) => Err(VendorError::InvalidParameter(format!(
            "TopicId {t:?}: topics of topic-enabled Community groups are not emulated; leave TopicId out"
        ))),
    }
}

/// `Random` (spec §30.3): an unsigned 32-bit integer; absent → one is generated. `field` names
/// the field in ErrorInfo (`Random`, `MsgList[2].Random`).
pub(crate) fn random(value: Option<&Value>, field: &str) -> Result<u32, VendorError> {
    match value {
        None | Some(Value::Null) => Ok(fresh_random()),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)) => {
            Ok(n.as_u64().map_or(0, |n| n as u32))
        }
        Some(v) => Err(VendorError::InvalidParameter(format!(
            "{field} is {v}; it must be an integer from 0 to 4294967295 (an unsigned 32-bit number)"
        ))),
    }
}

/// A 0/1 flag given as an integer; `field` names it.
pub(crate) fn flag(value: Option<Int>, field: &str) -> Result<u8, VendorError> {
    match value.map(|n| n.0) {
        None | Some(0) => Ok(0),
        Some(1) => Ok(1),
        Some(n) => Err(VendorError::InvalidParameter(format!(
            "{field} is {n}; it must be 0 or 1"
        ))),
    }
}

/// A random 32-bit value for a message sent without `Random` (std's randomly keyed hasher over a
/// counter; no cryptographic quality is needed).
fn fresh_random() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed)) as u32
}
