//! `group_open_http_svc/group_msg_recall`: the admin recalls up to 10 messages of a group by
//! sequence (spec `messages.md` §34), then `Group.CallbackAfterRecallMsg` reports the ones
//! recalled (§39.3).
//!
//! The answer is OK even when every item fails: each item carries its own `RetCode`, 0
//! (recalled now), 10030 (no such message), 10031 (past history retention) or 10032 (already
//! recalled or deleted, or a repeat within the request). All items are judged and applied in
//! one step under the group's lock.

use std::collections::HashSet;

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::msg::no_topic;
use super::{callback_origin, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::callback::events::{AFTER_RECALL_MSG, AfterRecallMsg, MsgSeqItem};
use crate::domain::group::{Group, GroupType};
use crate::domain::message::Status;
use crate::domain::wire::{self, Int};
use crate::error::VendorError;

/// `group_msg_recall` (spec §34).
pub struct GroupMsgRecall;

const NAME: &str = "group_msg_recall";

/// Per-item `RetCode`: recalled now.
const RECALLED: u32 = 0;
/// Per-item `RetCode`: no such message (sequence 0, not yet assigned, never stored).
const NO_SUCH_MESSAGE: u32 = 10030;
/// Per-item `RetCode`: the message is past history retention.
const EXPIRED: u32 = 10031;
/// Per-item `RetCode`: already recalled or deleted, or a repeat within the request.
const ALREADY_RECALLED: u32 = 10032;

/// One `MsgSeqList` item (spec §34).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct SeqItem {
    /// The message's sequence (a JSON integer).
    MsgSeq: Option<Int>,
}

/// The group_msg_recall body (spec §34).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// 1 to 10 `{"MsgSeq": n}` items.
    MsgSeqList: Option<Vec<SeqItem>>,
    /// Why; at most 100 bytes, stored with each recalled message.
    Reason: Option<String>,
    /// Topics are not emulated.
    TopicId: Option<String>,
}

/// The answer (spec §34).
#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    RecallRetList: Vec<RetItem>,
}

/// One `RecallRetList` item, in request order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(non_snake_case)]
struct RetItem {
    MsgSeq: u64,
    RetCode: u32,
}

impl VendorCommand for GroupMsgRecall {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "1..=10 `MsgSeqList` items (integers), `Reason` at most 100 bytes; OK with a `RetCode` per item (0, 10030 none, 10031 expired, 10032 already recalled or repeated); AVChatRoom/BChatRoom 10033, recall switched off 10041; after-recall callback";
    type Request = Request;

    /// Checks the request (spec §34 order), recalls under the group lock, then queues the
    /// after-recall callback when anything was recalled.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let rules = call.rules();
        let id = Some(call.required(request.GroupId, "GroupId", Service::Group)?);
        let seqs = seq_list(&call, request.MsgSeqList, rules.recall_max_per_call)?;
        let reason = request.Reason.filter(|r| !r.is_empty());
        if let Some(r) = &reason
            && r.len() > rules.recall_reason_max_bytes
        {
            return Err(VendorError::InvalidParameter(crate::diagnose::too_long(
                "Reason",
                r,
                rules.recall_reason_max_bytes,
            )));
        }
        no_topic(request.TopicId.as_deref())?;
        let id = group_id(&call, id)?;
        let now = call.now();
        let retention_s = call.app.policy().messages.retention_s();
        let enabled = call.app.policy().features.group_msg_recall;
        let (items, group_type) = call.app.update_group(&id, |g| {
            allowed(g, enabled)?;
            Ok((
                recall(g, &seqs, reason.as_deref(), now, retention_s),
                g.group_type,
            ))
        })?;
        after_recall(&call, &id, group_type, &items);
        Ok(envelope::ok(Answer {
            RecallRetList: items,
        }))
    }
}

/// `MsgSeqList`: present, 1 to `max` items, each with a sequence of 0 or more.
fn seq_list(call: &Call, list: Option<Vec<SeqItem>>, max: usize) -> Result<Vec<u64>, VendorError> {
    let list = list.ok_or_else(|| {
        VendorError::InvalidParameter(format!(
            "{}: 1 to {max} items {{\"MsgSeq\": n}}",
            wire::missing("MsgSeqList", &call.body)
        ))
    })?;
    if list.is_empty() || list.len() > max {
        return Err(VendorError::InvalidParameter(format!(
            "MsgSeqList has {} items; give 1 to {max} per call",
            list.len()
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let n = item.MsgSeq.ok_or_else(|| {
                VendorError::InvalidParameter(format!(
                    "MsgSeqList[{i}].MsgSeq is required: the sequence of a message to recall"
                ))
            })?;
            u64::try_from(n.0).map_err(|_| {
                VendorError::InvalidParameter(format!(
                    "MsgSeqList[{i}].MsgSeq is {}; a message sequence is 1 or more",
                    n.0
                ))
            })
        })
        .collect()
}

/// 10033 for types without recall (AVChatRoom, BChatRoom), then 10041 when the app has
/// recall switched off (spec §34).
fn allowed(g: &Group, enabled: bool) -> Result<(), VendorError> {
    if matches!(g.group_type, GroupType::AVChatRoom | GroupType::BChatRoom) {
        return Err(VendorError::RecallUnsupported(format!(
            "{NAME}: {} groups keep no messages to recall (group {:?}); Private, Public and ChatRoom groups do",
            g.group_type, g.id
        )));
    }
    if !enabled {
        return Err(VendorError::RecallDisabled(
            "group message recall is switched off for this app ([apps.features] group_msg_recall = false)".into(),
        ));
    }
    Ok(())
}

/// Judges every sequence in request order and recalls those that can be: status `recalled`
/// with `now` and `reason`.
fn recall(
    g: &mut Group,
    seqs: &[u64],
    reason: Option<&str>,
    now: u64,
    retention_s: u64,
) -> Vec<RetItem> {
    let newest = g.next_msg_seq.saturating_sub(1);
    let mut seen = HashSet::with_capacity(seqs.len());
    seqs.iter()
        .map(|&seq| {
            let code = if !seen.insert(seq) {
                ALREADY_RECALLED
            } else if seq == 0 || seq > newest {
                NO_SUCH_MESSAGE
            } else {
                match g.messages.get_mut(seq) {
                    // Assigned but no longer kept: gone with the per-group bound, like expiry.
                    None => EXPIRED,
                    Some(m) if m.is_expired(now, retention_s) => EXPIRED,
                    Some(m) if m.status != Status::Normal => ALREADY_RECALLED,
                    Some(m) => {
                        m.status = Status::Recalled;
                        m.recall_time = now;
                        m.recall_reason = reason.map(Into::into);
                        RECALLED
                    }
                }
            };
            RetItem {
                MsgSeq: seq,
                RetCode: code,
            }
        })
        .collect()
}

/// Queues `Group.CallbackAfterRecallMsg` (spec §39.3) with the sequences recalled now, when
/// there is at least one and the app has the event on.
fn after_recall(call: &Call, id: &str, group_type: GroupType, items: &[RetItem]) {
    let origin = callback_origin(call);
    if !origin.is_on(AFTER_RECALL_MSG) {
        return;
    }
    let recalled: Vec<MsgSeqItem> = items
        .iter()
        .filter(|i| i.RetCode == RECALLED)
        .map(|i| MsgSeqItem { msg_seq: i.MsgSeq })
        .collect();
    if recalled.is_empty() {
        return;
    }
    let event = AfterRecallMsg {
        callback_command: AFTER_RECALL_MSG,
        operator_account: &call.identifier,
        group_type: group_type.as_str(),
        group_id: id,
        msg_seq_list: recalled,
        event_time: call.now_ms(),
    };
    call.emu.callbacks.after(origin, &event);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::Message;

    const DAY: u64 = 86_400;

    fn group(n: u64, cap: usize) -> Group {
        let mut g = Group::new(GroupType::Public, "g".into());
        for seq in 1..=n {
            let mut m = Message::for_tests(seq, 1_000 + seq, "bob");
            if seq == 3 {
                m.status = Status::Deleted;
            }
            g.messages.push(m, cap);
        }
        g.next_msg_seq = n + 1;
        g
    }

    fn codes(items: &[RetItem]) -> Vec<u32> {
        items.iter().map(|i| i.RetCode).collect()
    }

    #[test]
    fn each_item_gets_its_code_in_request_order() {
        let mut g = group(6, 0);
        let items = recall(&mut g, &[5, 0, 7, 3, 5, 4, 4], Some("spam"), 2_000, 0);
        assert_eq!(codes(&items), [0, 10030, 10030, 10032, 10032, 0, 10032]);
        assert_eq!(items[0].MsgSeq, 5);
        let m = g.messages.get(5).expect("kept");
        assert_eq!(m.status, Status::Recalled);
        assert_eq!(
            (m.recall_time, m.recall_reason.as_deref()),
            (2_000, Some("spam"))
        );
        assert_eq!(
            codes(&recall(&mut g, &[5], None, 2_001, 0)),
            [10032],
            "a second recall finds it recalled"
        );
    }

    #[test]
    fn expired_and_no_longer_kept_messages_are_10031() {
        let mut g = group(6, 4);
        // Kept: 3..=6 (times 1003..=1006); 1 and 2 are beyond the bound.
        let items = recall(&mut g, &[1, 2, 4, 5], None, 1_004 + DAY, DAY);
        assert_eq!(codes(&items), [10031, 10031, 10031, 0]);
        assert_eq!(
            g.messages.get(4).map(|m| m.status),
            Some(Status::Normal),
            "an expired message is not changed"
        );
    }

    #[test]
    fn avchatroom_is_10033_before_the_switch_10041() {
        let mut g = group(1, 0);
        assert_eq!(allowed(&g, true), Ok(()));
        assert_eq!(allowed(&g, false).map_err(|e| e.code()), Err(10041));
        g.group_type = GroupType::AVChatRoom;
        assert_eq!(allowed(&g, false).map_err(|e| e.code()), Err(10033));
        g.group_type = GroupType::BChatRoom;
        assert_eq!(allowed(&g, true).map_err(|e| e.code()), Err(10033));
    }
}
