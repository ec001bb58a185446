//! `group_open_http_svc/send_group_system_notification`: pushes a system notification to every
//! member of a group or to some of them (spec `messages.md` §32). Nothing is stored as a message:
//! no sequence, no unread, no `LastMsgTime`, no frequency count, no callback. The notification
//! goes into the group's notice log (at most [`NOTICES_KEPT`]), which the control plane reads
//! (§39.7), so tests can see who it reached.

use axum::response::Response;
use serde::Deserialize;

use super::group_id;
use super::msg::no_topic;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::domain::group::{Group, GroupType, NOTICES_KEPT};
use crate::domain::message::{Notice, thousands};
use crate::error::VendorError;

/// `send_group_system_notification` (spec §32).
pub struct SendGroupSystemNotification;

/// The send_group_system_notification body (spec §32).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The notification's text: required, non-empty, at most the message size limit.
    Content: Option<String>,
    /// The recipients (at most 500); absent or empty means every member.
    ToMembers_Account: Option<Vec<String>>,
    /// A topic of a topic community; topics are not emulated.
    TopicId: Option<String>,
}

impl VendorCommand for SendGroupSystemNotification {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "send_group_system_notification";
    const SUMMARY: &'static str = "`Content` non-empty, at most the message size (80002); `ToMembers_Account` 0–500 (10005; absent or empty = every member, non-members ignored); AVChatRoom with a list 10004; nothing stored, logged for the control plane";
    type Request = Request;

    /// Checks the request in the order of spec §32, then records the notification with the
    /// members it reached.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let id = call.required(request.GroupId, "GroupId", Service::Group)?;
        let content = call.required(request.Content, "Content", Service::Group)?;
        check_content(&content, call.app.policy().messages.max_bytes)?;
        let to = request.ToMembers_Account.unwrap_or_default();
        let max = call.rules().system_notification_recipients_max;
        if to.len() > max {
            return Err(VendorError::TooManyAccounts(format!(
                "ToMembers_Account lists {} accounts; at most {max} per notification (leave it out or empty to notify every member, or send several notifications)",
                to.len()
            )));
        }
        no_topic(request.TopicId.as_deref())?;
        let id = group_id(&call, Some(id))?;
        let now = call.now();
        call.app.update_group(&id, |g| {
            if g.group_type == GroupType::AVChatRoom && !to.is_empty() {
                return Err(VendorError::InvalidParameter(format!(
                    "ToMembers_Account: group {:?} is an AVChatRoom, whose system notifications go to every member; leave ToMembers_Account out or empty",
                    g.id
                )));
            }
            let recipients = recipients(g, &to);
            g.notices.push_back(Notice {
                time: now,
                content,
                recipients,
            });
            while g.notices.len() > NOTICES_KEPT {
                g.notices.pop_front();
            }
            Ok(())
        })?;
        Ok(envelope::ok(NoFields {}))
    }
}

/// `Content` (spec §32): non-empty, and at most `max` bytes (0 = no limit) counted as the
/// message size rule counts a string (§30.2: UTF-8 bytes).
fn check_content(content: &str, max: usize) -> Result<(), VendorError> {
    if content.is_empty() {
        return Err(VendorError::InvalidParameter(
            "Content is empty; a system notification needs some text".into(),
        ));
    }
    if max != 0 && content.len() > max {
        return Err(VendorError::MessageTooLarge(format!(
            "Content is {} bytes ({} characters); at most {} bytes (UTF-8 bytes, the message size limit msg_max_bytes){}",
            thousands(content.len()),
            thousands(content.chars().count()),
            thousands(max),
            crate::diagnose::bytes_note(content, max)
        )));
    }
    Ok(())
}

/// Who a notification reaches: the listed accounts that are members, once each, in the order
/// listed (others are ignored, spec §32); every member, in member order, when `to` is empty.
fn recipients(g: &Group, to: &[String]) -> Vec<String> {
    if to.is_empty() {
        return g.members.iter().map(|m| m.account().to_string()).collect();
    }
    let mut out: Vec<String> = Vec::with_capacity(to.len());
    for a in to {
        if g.members.contains(a) && !out.contains(a) {
            out.push(a.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::group::{Member, Role};

    #[test]
    fn content_is_non_empty_and_measured_in_utf8_bytes() {
        assert!(check_content("hi", 8000).is_ok());
        assert_eq!(check_content("", 8000).map_err(|e| e.code()), Err(10004));
        let cjk = "汉".repeat(2666); // 7,998 bytes
        assert!(check_content(&format!("{cjk}ab"), 8000).is_ok());
        let e = check_content(&format!("{cjk}abc"), 8000).expect_err("over");
        assert_eq!(e.code(), 80002);
        assert!(
            e.to_string()
                .contains("8,001 bytes (2,669 characters); at most 8,000"),
            "{e}"
        );
        assert!(
            check_content(&"x".repeat(100_000), 0).is_ok(),
            "0 = no limit"
        );
    }

    #[test]
    fn recipients_are_listed_members_once_each_or_everyone() {
        let mut g = Group::new(GroupType::Public, "g".into());
        for a in ["amy", "bob", "cat"] {
            g.members.push(Member::new(a, Role::Member, 1));
        }
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(recipients(&g, &[]), list(&["amy", "bob", "cat"]));
        assert_eq!(
            recipients(&g, &list(&["cat", "zed", "amy", "cat"])),
            list(&["cat", "amy"])
        );
        assert!(recipients(&g, &list(&["zed"])).is_empty());
    }
}
