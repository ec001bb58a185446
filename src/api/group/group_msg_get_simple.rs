//! `group_open_http_svc/group_msg_get_simple`: a group's history by sequence, newest first
//! (spec `messages.md` §33).
//!
//! The answer covers a range of sequences, not a count of messages: from the top (`ReqMsgSeq`,
//! or the newest) down by at most 20. Each sequence reads as the stored message, a hole
//! (`IsPlaceMsg` 1: expired, deleted or no longer kept), or a recalled placeholder
//! (`IsPlaceMsg` 2, only with `WithRecalledMsg` 1). Every sequence is found in O(1)
//! ([`History::get`](crate::domain::message::History::get)), so a page costs the same whatever
//! the history's length, and the answer is written under the group's read lock, so a recall
//! running at the same time is seen wholly or not at all.

use axum::response::Response;
use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize as DeriveSerialize};
use serde_json::value::RawValue;

use super::group_id;
use super::msg::{flag, no_topic};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::{Group, GroupType};
use crate::domain::message::{Message, Priority, Status};
use crate::domain::wire::{self, Int};
use crate::error::VendorError;

/// `group_msg_get_simple` (spec §33).
pub struct GroupMsgGetSimple;

const NAME: &str = "group_msg_get_simple";

/// The group_msg_get_simple body (spec §33.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// How many sequences to read, 1 or more; at most 20 are answered.
    ReqMsgNumber: Option<Int>,
    /// The highest sequence wanted; absent or 0: the newest.
    ReqMsgSeq: Option<Int>,
    /// 1: recalled messages appear as placeholders (`IsPlaceMsg` 2).
    WithRecalledMsg: Option<Int>,
    /// Topics are not emulated.
    TopicId: Option<String>,
}

/// What to read, checked (spec §33.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Query {
    /// `ReqMsgNumber` as asked (1 or more).
    number: u64,
    /// `ReqMsgSeq`; 0 for the newest.
    top: u64,
    /// `WithRecalledMsg` 1.
    with_recalled: bool,
}

/// The answer (spec §33.3), written while the group is read-locked.
#[derive(DeriveSerialize)]
#[allow(non_snake_case)]
struct Answer<'a> {
    GroupId: &'a str,
    IsFinished: u8,
    RspMsgList: Vec<Entry<'a>>,
}

/// One `RspMsgList` item. Keys in the vendor's (alphabetical) order; `CloudCustomData` only
/// when the message has one (emulator choice).
#[derive(Debug, DeriveSerialize)]
#[allow(non_snake_case)]
struct Entry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    CloudCustomData: Option<&'a str>,
    From_Account: &'a str,
    IsPlaceMsg: u8,
    MsgBody: Body<'a>,
    MsgPriority: u8,
    MsgRandom: u32,
    MsgSeq: u64,
    MsgTimeStamp: u64,
}

/// A `MsgBody`: the stored one, or `[]` for a hole or a recalled placeholder.
#[derive(Debug)]
enum Body<'a> {
    Stored(&'a RawValue),
    Empty,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Stored(raw) => raw.serialize(s),
            Self::Empty => s.serialize_seq(Some(0))?.end(),
        }
    }
}

/// `IsPlaceMsg` of a stored message.
const NORMAL: u8 = 0;
/// `IsPlaceMsg` of a hole: expired, deleted or no longer kept.
const HOLE: u8 = 1;
/// `IsPlaceMsg` of a recalled message.
const RECALLED: u8 = 2;

impl VendorCommand for GroupMsgGetSimple {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "newest first from `ReqMsgSeq` (absent/0: the newest), at most 20 sequences (`IsFinished` 0 when cut); holes `IsPlaceMsg` 1 (expired, deleted), recalled `IsPlaceMsg` 2 only with `WithRecalledMsg` 1; AVChatRoom/BChatRoom 10044";
    type Request = Request;

    /// Checks the request (spec §33.2), then writes the page under the group's read lock.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let id = Some(call.required(request.GroupId, "GroupId", Service::Group)?);
        let query = query(
            &call,
            request.ReqMsgNumber,
            request.ReqMsgSeq,
            request.WithRecalledMsg,
        )?;
        no_topic(request.TopicId.as_deref())?;
        let id = group_id(&call, id)?;
        let max = u64::from(call.rules().history_max_per_call);
        let retention_s = call.app.policy().messages.retention_s();
        let now = call.now();
        call.app.read_group(&id, |g| {
            if matches!(g.group_type, GroupType::AVChatRoom | GroupType::BChatRoom) {
                return Err(VendorError::NoHistory(format!(
                    "{NAME}: {} groups keep no message history (group {:?}); only Private, Public and ChatRoom groups do",
                    g.group_type, g.id
                )));
            }
            let (finished, entries) = page(g, query, max, now, retention_s);
            Ok(envelope::ok(Answer {
                GroupId: &g.id,
                IsFinished: finished,
                RspMsgList: entries,
            }))
        })
    }
}

/// `ReqMsgNumber`, `ReqMsgSeq` and `WithRecalledMsg`, in that order (spec §33.2).
fn query(
    call: &Call,
    number: Option<Int>,
    top: Option<Int>,
    with_recalled: Option<Int>,
) -> Result<Query, VendorError> {
    let number = number.ok_or_else(|| {
        VendorError::InvalidParameter(format!(
            "{}: how many messages to read, 1 to 20",
            wire::missing("ReqMsgNumber", &call.body)
        ))
    })?;
    let number = u64::try_from(number.0)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            VendorError::InvalidParameter(format!(
                "ReqMsgNumber is {}; give 1 or more (at most 20 messages are answered per call)",
                number.0
            ))
        })?;
    let top = match top {
        None => 0,
        Some(s) => u64::try_from(s.0).map_err(|_| {
            VendorError::InvalidParameter(format!(
                "ReqMsgSeq is {}; give the highest MsgSeq wanted (1 or more), or 0 / leave it out for the newest",
                s.0
            ))
        })?,
    };
    let with_recalled = flag(with_recalled, "WithRecalledMsg")? == 1;
    Ok(Query {
        number,
        top,
        with_recalled,
    })
}

/// The page of spec §33.3: `IsFinished` and the entries, newest first. `max` is the most
/// sequences one call covers (0 = no limit); `retention_s` turns old messages into holes.
fn page(g: &Group, q: Query, max: u64, now: u64, retention_s: u64) -> (u8, Vec<Entry<'_>>) {
    let newest = g.next_msg_seq.saturating_sub(1);
    let top = if q.top == 0 {
        newest
    } else {
        q.top.min(newest)
    };
    if top == 0 {
        return (1, Vec::new());
    }
    let n = if max == 0 {
        q.number
    } else {
        q.number.min(max)
    };
    let bottom = top.saturating_sub(n - 1).max(1);
    // Cut: the range asked for reaches below the one answered.
    let cut = n < q.number && top > n;
    let mut entries = Vec::with_capacity(usize::try_from(top - bottom + 1).unwrap_or(0));
    let mut all_holes = true;
    for seq in (bottom..=top).rev() {
        let entry = entry(g.messages.get(seq), seq, q.with_recalled, now, retention_s);
        all_holes &= entry.as_ref().is_some_and(|e| e.IsPlaceMsg == HOLE);
        entries.extend(entry);
    }
    let finished = match (cut, all_holes) {
        (false, _) => 1,
        (true, false) => 0,
        (true, true) => 2,
    };
    (finished, entries)
}

/// How sequence `seq` reads: `None` for a recalled message left out.
fn entry(
    m: Option<&Message>,
    seq: u64,
    with_recalled: bool,
    now: u64,
    retention_s: u64,
) -> Option<Entry<'_>> {
    let Some(m) = m else {
        // No longer kept (the per-group bound): a hole with nothing known but its sequence.
        return Some(Entry {
            CloudCustomData: None,
            From_Account: "",
            IsPlaceMsg: HOLE,
            MsgBody: Body::Empty,
            MsgPriority: Priority::Normal.as_int(),
            MsgRandom: 0,
            MsgSeq: seq,
            MsgTimeStamp: 0,
        });
    };
    let place = if m.is_expired(now, retention_s) || m.status == Status::Deleted {
        HOLE
    } else if m.status == Status::Recalled {
        if !with_recalled {
            return None;
        }
        RECALLED
    } else {
        NORMAL
    };
    let normal = place == NORMAL;
    Some(Entry {
        CloudCustomData: m
            .cloud_custom_data
            .as_deref()
            .filter(|c| normal && !c.is_empty()),
        From_Account: &m.from,
        IsPlaceMsg: place,
        MsgBody: if normal {
            Body::Stored(&m.body)
        } else {
            Body::Empty
        },
        MsgPriority: m.priority.as_int(),
        MsgRandom: m.random,
        MsgSeq: m.seq,
        MsgTimeStamp: m.time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn message(seq: u64, status: Status) -> Message {
        Message {
            random: seq as u32,
            priority: Priority::High,
            body: RawValue::from_string(format!(
                r#"[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"m{seq}"}}}}]"#
            ))
            .expect("raw"),
            cloud_custom_data: (seq == 2).then(|| "ccd".into()),
            status,
            ..Message::for_tests(seq, 1_000 + seq, &format!("user{seq}"))
        }
    }

    /// A group with messages 1..=n, statuses by sequence.
    fn group(n: u64, status: impl Fn(u64) -> Status, cap: usize) -> Group {
        let mut g = Group::new(GroupType::Public, "g".into());
        for seq in 1..=n {
            g.messages.push(message(seq, status(seq)), cap);
        }
        g.next_msg_seq = n + 1;
        g
    }

    fn q(number: u64, top: u64, with_recalled: bool) -> Query {
        Query {
            number,
            top,
            with_recalled,
        }
    }

    fn seqs(entries: &[Entry<'_>]) -> Vec<(u64, u8)> {
        entries.iter().map(|e| (e.MsgSeq, e.IsPlaceMsg)).collect()
    }

    #[test]
    fn the_range_runs_down_from_the_top_and_is_cut_at_twenty() {
        let g = group(30, |_| Status::Normal, 0);
        let cases = [
            // (number, top, IsFinished, first, last, count)
            (5, 0, 1, 30, 26, 5),
            (20, 0, 1, 30, 11, 20),
            (21, 0, 0, 30, 11, 20),
            (21, 20, 1, 20, 1, 20),
            (21, 21, 0, 21, 2, 20),
            (1_000, 5, 1, 5, 1, 5),
            (3, 99, 1, 30, 28, 3),
            (3, 2, 1, 2, 1, 2),
        ];
        for (number, top, finished, first, last, count) in cases {
            let (f, e) = page(&g, q(number, top, false), 20, 10_000, 0);
            assert_eq!(f, finished, "{number} from {top}");
            assert_eq!(e.len(), count, "{number} from {top}");
            assert_eq!(e.first().map(|e| e.MsgSeq), Some(first));
            assert_eq!(e.last().map(|e| e.MsgSeq), Some(last));
        }
    }

    #[test]
    fn an_empty_group_answers_no_messages_and_finished() {
        let g = group(0, |_| Status::Normal, 0);
        for top in [0, 7] {
            let (f, e) = page(&g, q(20, top, true), 20, 0, 0);
            assert_eq!((f, e.len()), (1, 0));
        }
    }

    #[test]
    fn recalled_are_left_out_unless_asked_and_never_replaced() {
        let g = group(
            5,
            |s| match s {
                4 => Status::Recalled,
                2 => Status::Deleted,
                _ => Status::Normal,
            },
            0,
        );
        let (_, e) = page(&g, q(3, 0, false), 20, 10_000, 0);
        assert_eq!(seqs(&e), [(5, 0), (3, 0)]);
        let (_, e) = page(&g, q(5, 0, true), 20, 10_000, 0);
        assert_eq!(seqs(&e), [(5, 0), (4, 2), (3, 0), (2, 1), (1, 0)]);
        assert!(matches!(e[1].MsgBody, Body::Empty));
        assert_eq!(e[1].From_Account, "user4");
        assert_eq!(e[1].CloudCustomData, None);
        assert_eq!(
            e[3].CloudCustomData, None,
            "a hole shows no CloudCustomData"
        );
    }

    #[test]
    fn expiry_makes_holes_and_wins_over_a_recall() {
        let g = group(
            3,
            |s| {
                if s == 1 {
                    Status::Recalled
                } else {
                    Status::Normal
                }
            },
            0,
        );
        // Times are 1001..=1003; with one day of retention, 1002 + DAY is the edge of 2.
        let (_, e) = page(&g, q(3, 0, false), 20, 1_002 + DAY - 1, DAY);
        assert_eq!(seqs(&e), [(3, 0), (2, 0), (1, 1)]);
        let (_, e) = page(&g, q(3, 0, false), 20, 1_002 + DAY, DAY);
        assert_eq!(seqs(&e), [(3, 0), (2, 1), (1, 1)]);
        assert!(matches!(e[1].MsgBody, Body::Empty));
    }

    #[test]
    fn a_cut_range_of_holes_only_is_finished_two() {
        let g = group(30, |_| Status::Normal, 0);
        let (f, e) = page(&g, q(21, 0, false), 20, 1_030 + DAY, DAY);
        assert_eq!((f, e.len()), (2, 20));
        let (f, _) = page(&g, q(20, 0, false), 20, 1_030 + DAY, DAY);
        assert_eq!(f, 1, "not cut: finished");
        let (f, _) = page(&g, q(21, 0, false), 20, 1_030 + DAY - 1, DAY);
        assert_eq!(f, 0, "the newest is not expired yet");
    }

    #[test]
    fn messages_beyond_the_per_group_bound_read_as_holes() {
        let g = group(10, |_| Status::Normal, 4);
        let (_, e) = page(&g, q(8, 0, false), 20, 0, 0);
        assert_eq!(e.len(), 8);
        assert_eq!(seqs(&e)[3..5], [(7, 0), (6, 1)]);
        assert_eq!(e[4].From_Account, "");
    }

    #[test]
    fn an_entry_serializes_with_the_vendor_keys_in_order() {
        let g = group(2, |_| Status::Normal, 0);
        let (_, e) = page(&g, q(2, 0, false), 20, 0, 0);
        let text = serde_json::to_string(&e).expect("serializes");
        assert_eq!(
            text,
            r#"[{"CloudCustomData":"ccd","From_Account":"user2","IsPlaceMsg":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"m2"}}],"MsgPriority":1,"MsgRandom":2,"MsgSeq":2,"MsgTimeStamp":1002},{"From_Account":"user1","IsPlaceMsg":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"m1"}}],"MsgPriority":1,"MsgRandom":1,"MsgSeq":1,"MsgTimeStamp":1001}]"#
        );
    }
}
