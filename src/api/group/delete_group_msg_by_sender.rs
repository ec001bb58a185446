//! `group_open_http_svc/delete_group_msg_by_sender`: silently recalls what one account sent
//! among a group's latest 1,000 messages (spec `messages.md` §35).
//!
//! The messages become `recalled` (history hides them unless `WithRecalledMsg` is 1, then shows
//! `IsPlaceMsg` 2); no callback fires. The window is a range of sequences, so the work is
//! bounded by it whatever the history's length.

use axum::response::Response;
use serde::Deserialize;

use super::group_id;
use super::msg::no_topic;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::domain::group::{Group, GroupType};
use crate::domain::message::Status;
use crate::error::VendorError;

/// `delete_group_msg_by_sender` (spec §35).
pub struct DeleteGroupMsgBySender;

const NAME: &str = "delete_group_msg_by_sender";

/// The delete_group_msg_by_sender body (spec §35).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The sender whose messages go.
    Sender_Account: Option<String>,
    /// Topics are not emulated.
    TopicId: Option<String>,
}

impl VendorCommand for DeleteGroupMsgBySender {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "recalls (silently, no callback) every message of `Sender_Account` among the latest 1,000 sequences; OK with no effect for AVChatRoom/BChatRoom and for senders with nothing there";
    type Request = Request;

    /// Checks the request (spec §35 order), then marks the sender's messages recalled under
    /// the group lock.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let id = Some(call.required(request.GroupId, "GroupId", Service::Group)?);
        let sender = call.required(request.Sender_Account, "Sender_Account", Service::Group)?;
        if sender.is_empty() {
            return Err(VendorError::InvalidParameter(
                "Sender_Account is empty; give the account whose messages to recall".into(),
            ));
        }
        no_topic(request.TopicId.as_deref())?;
        let id = group_id(&call, id)?;
        let window = call.rules().delete_by_sender_window;
        let retention_s = call.app.policy().messages.retention_s();
        let now = call.now();
        call.app.update_group(&id, |g| {
            recall_by_sender(g, &sender, window, now, retention_s);
            Ok(())
        })?;
        Ok(envelope::ok(NoFields {}))
    }
}

/// Marks recalled every `normal` message of `sender` whose sequence is among the latest
/// `window` (0 = every one), leaving out expired ones; returns how many. AVChatRoom and
/// BChatRoom groups keep no messages: nothing happens (spec §35).
fn recall_by_sender(g: &mut Group, sender: &str, window: u64, now: u64, retention_s: u64) -> usize {
    if matches!(g.group_type, GroupType::AVChatRoom | GroupType::BChatRoom) {
        return 0;
    }
    let newest = g.next_msg_seq.saturating_sub(1);
    let lowest = if window == 0 {
        1
    } else {
        newest.saturating_sub(window) + 1
    };
    let mut recalled = 0;
    for seq in lowest..=newest {
        let Some(m) = g.messages.get_mut(seq) else {
            continue;
        };
        if m.status == Status::Normal && &*m.from == sender && !m.is_expired(now, retention_s) {
            m.status = Status::Recalled;
            m.recall_time = now;
            recalled += 1;
        }
    }
    recalled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::Message;

    fn group(senders: &[&str]) -> Group {
        let mut g = Group::new(GroupType::Public, "g".into());
        for (i, from) in senders.iter().enumerate() {
            let seq = i as u64 + 1;
            let m = Message::for_tests(seq, 1_000 + seq, from);
            g.messages.push(m, 0);
        }
        g.next_msg_seq = senders.len() as u64 + 1;
        g
    }

    fn statuses(g: &Group) -> Vec<Status> {
        g.messages.iter().map(|m| m.status).collect()
    }

    #[test]
    fn only_the_senders_messages_within_the_window_go() {
        use Status::{Normal as N, Recalled as R};
        let mut g = group(&["bob", "amy", "bob", "bob", "amy"]);
        assert_eq!(recall_by_sender(&mut g, "bob", 3, 2_000, 0), 2);
        assert_eq!(statuses(&g), [N, N, R, R, N]);
        assert_eq!(recall_by_sender(&mut g, "bob", 3, 2_000, 0), 0, "once only");
        assert_eq!(
            recall_by_sender(&mut g, "bob", 0, 2_000, 0),
            1,
            "0: no window"
        );
        assert_eq!(statuses(&g), [R, N, R, R, N]);
        assert_eq!(recall_by_sender(&mut g, "nobody", 3, 2_000, 0), 0);
    }

    #[test]
    fn expired_messages_and_live_groups_are_left_alone() {
        let mut g = group(&["bob", "bob"]);
        assert_eq!(recall_by_sender(&mut g, "bob", 10, 1_001 + 100, 100), 1);
        assert_eq!(statuses(&g), [Status::Normal, Status::Recalled]);
        let mut g = group(&["bob"]);
        g.group_type = GroupType::AVChatRoom;
        assert_eq!(recall_by_sender(&mut g, "bob", 10, 2_000, 0), 0);
    }
}
