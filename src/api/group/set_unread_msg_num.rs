//! `group_open_http_svc/set_unread_msg_num`: one member's unread count, for migrations
//! (spec §37). Unread is derived from the member's read position (`MsgSeq`, §30.5), so setting
//! a count moves that position; no callback, no notification.

use axum::response::Response;
use serde::Deserialize;

use super::group_id;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::{Group, GroupType};
use crate::domain::wire::Int;
use crate::error::VendorError;

/// `set_unread_msg_num` (spec §37).
pub struct SetUnreadMsgNum;

/// Types that keep no unread counts: the call answers OK and changes nothing (spec §37 [SUN]
/// for ChatRoom and AVChatRoom; BChatRoom likewise, emulator choice).
const NO_UNREAD: &[GroupType] = &[
    GroupType::ChatRoom,
    GroupType::AVChatRoom,
    GroupType::BChatRoom,
];

/// The set_unread_msg_num body (spec §37).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The member whose count is set.
    Member_Account: Option<String>,
    /// The count, an integer ≥ 0.
    UnreadMsgNum: Option<Int>,
}

impl VendorCommand for SetUnreadMsgNum {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "set_unread_msg_num";
    const SUMMARY: &'static str = "`Member_Account`, `UnreadMsgNum` (≥ 0, capped at the messages there are) sets the member's `MsgSeq`; OK without effect for ChatRoom/AVChatRoom/BChatRoom; non-member 10004";
    type Request = Request;

    /// Sets the count (spec §37): the fields present and `UnreadMsgNum` not negative; the
    /// group's form and existence; ChatRoom/AVChatRoom → OK, nothing changed; not a member →
    /// 10004; else the member's `MsgSeq` becomes the position that leaves that many unread.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let id = call.required(request.GroupId, "GroupId", Service::Group)?;
        let account = call.required(request.Member_Account, "Member_Account", Service::Group)?;
        let unread = call.required(request.UnreadMsgNum, "UnreadMsgNum", Service::Group)?;
        let unread = u64::try_from(unread.0).map_err(|_| {
            VendorError::InvalidParameter(format!(
                "UnreadMsgNum is {}; it must be 0 or more",
                unread.0
            ))
        })?;
        let id = group_id(&call, Some(id))?;
        call.app.update_group(&id, |g| {
            if !keeps_unread(g) {
                return Ok(());
            }
            set_unread(g, &account, unread)
        })?;
        Ok(envelope::ok(envelope::NoFields {}))
    }
}

/// Whether `g`'s type keeps unread counts (spec §37: not ChatRoom, AVChatRoom, BChatRoom).
pub(crate) fn keeps_unread(g: &Group) -> bool {
    !NO_UNREAD.contains(&g.group_type)
}

/// Moves `account`'s read position so that `unread` messages count as unread for it, capped
/// at the messages that count toward its unread (spec §37, §30.5); also used by
/// import_group_member's `UnreadMsgNum` (§22.1).
///
/// # Errors
/// 10004 when `account` is not a member of `g`.
pub(crate) fn set_unread(g: &mut Group, account: &str, unread: u64) -> Result<(), VendorError> {
    if !g.members.contains(account) {
        return Err(VendorError::InvalidParameter(format!(
            "Member_Account {account:?} is not a member of group {:?}",
            g.id
        )));
    }
    let seq = read_position(g, account, unread);
    if let Some(m) = g.members.get_mut(account) {
        m.msg_seq = seq;
    }
    Ok(())
}

/// The read position that leaves `account` with `unread` unread messages in `g` (spec §37):
/// the sequence just below the k-th newest message counting toward its unread, k =
/// min(`unread`, their number); `NextMsgSeq` − 1 for k = 0.
pub(crate) fn read_position(g: &Group, account: &str, unread: u64) -> u64 {
    g.messages
        .read_seq_for_unread(account, unread, g.next_msg_seq.saturating_sub(1))
}
