//! `group_open_http_svc/import_group_msg`: history migrated from another system (spec §36).
//! Each message gets its own `Result`; the whole batch is applied in one atomic update; no
//! callback fires, no duplicate suppression or frequency control applies.

use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::msg::{flag, no_topic, random};
use super::{allow_types, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::{Group, GroupType};
use crate::domain::message::{
    CheckedBody, Message, Origin, Priority, Status, check_body, check_size,
};
use crate::domain::wire::{self, Int};
use crate::error::VendorError;

/// `import_group_msg` (spec §36).
pub struct ImportGroupMsg;

const NAME: &str = "import_group_msg";

/// Types whose history cannot be imported: AVChatRoom 10007 [IGM]; BChatRoom, the other
/// live-broadcast type, likewise (emulator choice, as import_group_member, spec §10.2).
const REFUSED: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The import_group_msg body (spec §36.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The messages, oldest first; each item is typed on its own so errors name its index.
    MsgList: Option<Vec<Value>>,
    /// 1: update conversations (not emulated; 0 or 1 accepted, ignored).
    RecentContactFlag: Option<Int>,
    /// Topics are not emulated: a non-empty one is 10004 (spec §30.6).
    TopicId: Option<String>,
}

/// One `MsgList` item (spec §36.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Item {
    /// The sender (required).
    From_Account: Option<String>,
    /// When it was sent, unix seconds (required).
    SendTime: Option<Int>,
    /// 0..=4294967295; generated when absent (spec §30.3).
    Random: Option<Value>,
    /// The elements (spec §30.1).
    MsgBody: Option<Value>,
}

/// One item that passed the shape checks, with the verdicts that need no group state.
#[derive(Debug)]
struct Checked {
    from: String,
    send_time: i128,
    random: u32,
    body: CheckedBody,
    /// Whether `From_Account` is an imported account (read before the group's lock).
    imported: bool,
    /// 80001 or 80002 for this message, if it carries a sensitive word or is too large
    /// (sensitive words are checked first, spec §36.2).
    content: Option<VendorError>,
}

/// One `ImportMsgResult` entry (spec §36.3): the fields in the vendor's order.
#[derive(Debug, Serialize)]
#[allow(non_snake_case)]
struct Outcome {
    MsgSeq: u64,
    MsgTime: i128,
    Result: u32,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    ImportMsgResult: Vec<Outcome>,
}

impl VendorCommand for ImportGroupMsg {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "`MsgList` (1–20) of `From_Account`, `SendTime`, `Random`, `MsgBody`; per-message `Result` 0/10004/80001/80002 and `MsgSeq`; `SendTime` strictly ascending, after `CreateTime`, before now; every member's unread to 0; 10007 for AVChatRoom/BChatRoom; no callbacks";
    type Request = Request;

    /// Imports the messages (spec §36.2): `GroupId` present, `RecentContactFlag`, each item's
    /// shape, the count, `TopicId`; the group's form, existence and type; then each message
    /// in order: sender imported, `SendTime`, sensitive words, size → stored with the next
    /// sequence, or its own failed `Result`.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let id = call.required(request.GroupId, "GroupId", Service::Group)?;
        flag(request.RecentContactFlag, "RecentContactFlag")?;
        let list = call.required(request.MsgList, "MsgList", Service::Group)?;
        let items = list
            .iter()
            .enumerate()
            .map(|(i, raw)| check_item(&call, i, raw))
            .collect::<Result<Vec<_>, _>>()?;
        check_count(&call, items.len())?;
        no_topic(request.TopicId.as_deref())?;
        let id = group_id(&call, Some(id))?;
        let rules = Rules {
            now: call.now(),
            strict: call.app.policy().switches.import_send_time_strict,
            history_cap: call.emu.history_per_group,
        };
        let results = call.app.update_group(&id, |g| {
            allow_types(NAME, g, REFUSED, VendorError::PermissionDenied)?;
            Ok(store(g, items, &rules))
        })?;
        Ok(envelope::ok(Answer {
            ImportMsgResult: results,
        }))
    }
}

/// One `MsgList` item's shape (spec §36.2 step 1; any failure is 10004 for the whole
/// request): an object with `From_Account`, an integer `SendTime`, `Random` in range and a
/// `MsgBody` by §30.1; then the verdicts that need no group state.
fn check_item(call: &Call, i: usize, raw: &Value) -> Result<Checked, VendorError> {
    let at = format!("MsgList[{i}]");
    let item: Item = wire::from_value(raw, &at).map_err(|e| invalid(e.to_string()))?;
    let missing = |field: &str| invalid(format!("{at}.{}", wire::missing_in(field, raw)));
    let from = item.From_Account.ok_or_else(|| missing("From_Account"))?;
    let send_time = item.SendTime.ok_or_else(|| missing("SendTime"))?.0;
    let random = random(item.Random.as_ref(), &format!("{at}.Random"))?;
    let body = check_body(&format!("{at}.MsgBody"), item.MsgBody.as_ref())?;
    let policy = call.app.policy();
    let sensitive = body.scanned.iter().find_map(|(path, text)| {
        policy
            .sensitive_word_in(text)
            .map(|word| VendorError::SensitiveWord {
                field: path.clone().into(),
                word: word.to_string(),
            })
    });
    let content = match sensitive {
        Some(e) => Some(e),
        None => check_size(&body, None, policy.messages.max_bytes, "msg_max_bytes").err(),
    };
    Ok(Checked {
        imported: !from.is_empty() && call.is_imported(&from),
        from,
        send_time,
        random,
        body,
        content,
    })
}

/// `MsgList` holds 1 to the app's `import_msgs_per_call` messages (0 = no cap), else 10004
/// (spec §36.1; the code is an emulator choice).
fn check_count(call: &Call, n: usize) -> Result<(), VendorError> {
    if n == 0 {
        return Err(invalid(
            "MsgList is empty; give at least one message to import".into(),
        ));
    }
    let max = call.app.policy().messages.import_per_call;
    if max != 0 && n > max {
        return Err(invalid(format!(
            "MsgList has {n} messages; at most {max} may be imported in one call (import_msgs_per_call); split the history into batches, oldest first"
        )));
    }
    Ok(())
}

/// What the per-message checks need besides the group.
struct Rules {
    now: u64,
    strict: bool,
    history_cap: usize,
}

/// The per-message checks and the store, in request order (spec §36.2 step 3, §36.4). A failed
/// message takes no sequence and does not move the newest time. After any stored message every
/// member's read position moves to the newest sequence (unread 0).
fn store(g: &mut Group, items: Vec<Checked>, rules: &Rules) -> Vec<Outcome> {
    let mut results = Vec::with_capacity(items.len());
    let mut stored = false;
    for item in items {
        let result = verdict(g, &item, rules);
        if result != 0 {
            results.push(Outcome {
                MsgSeq: 0,
                MsgTime: item.send_time,
                Result: result,
            });
            continue;
        }
        // verdict() checked the time is after CreateTime and before now: it fits in u64.
        let time = u64::try_from(item.send_time).unwrap_or(0);
        let seq = g.next_msg_seq;
        g.next_msg_seq += 1;
        g.last_msg_time = time;
        g.activated = true;
        if let Some(m) = g.members.get_mut(&item.from) {
            let last = m.last_send_msg_time().max(time);
            m.set_last_send_msg_time(last);
        }
        g.messages.push(message(item, seq, time), rules.history_cap);
        stored = true;
        results.push(Outcome {
            MsgSeq: seq,
            MsgTime: i128::from(time),
            Result: 0,
        });
    }
    if stored {
        let newest = g.next_msg_seq - 1;
        for m in g.members.iter_mut() {
            m.msg_seq = newest;
        }
    }
    results
}

/// The `Result` of one message against the group as it stands (0 = to be stored): sender not
/// imported → 10004; `SendTime` not after `CreateTime` and the newest message, or not before
/// now → 10004 (equal times fail unless `import_send_time_strict` is off); then the content
/// verdict (80001, 80002).
fn verdict(g: &Group, item: &Checked, rules: &Rules) -> u32 {
    const INVALID: u32 = 10004;
    if !item.imported {
        return INVALID;
    }
    // With the strict rule off, equal times pass: compare with one second of slack.
    let slack = i128::from(!rules.strict);
    let t = item.send_time;
    let after = |bound: u64| t + slack > i128::from(bound);
    if !(after(g.create_time) && after(g.last_msg_time) && t - slack < i128::from(rules.now)) {
        return INVALID;
    }
    item.content.as_ref().map_or(0, VendorError::code)
}

/// The stored record of an imported message (spec §30.5, origin `import`).
fn message(item: Checked, seq: u64, time: u64) -> Message {
    Message {
        seq,
        time,
        from: item.from.into_boxed_str(),
        random: item.random,
        priority: Priority::Normal,
        body: item.body.json,
        cloud_custom_data: None,
        offline_push: None,
        send_msg_control: Vec::new(),
        to_account: Vec::new(),
        group_at: None,
        support_extension: 0,
        need_read_receipt: 0,
        origin: Origin::Import,
        status: Status::Normal,
        recall_time: 0,
        recall_reason: None,
    }
}

fn invalid(msg: String) -> VendorError {
    VendorError::InvalidParameter(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(send_time: i128) -> Checked {
        let body = json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]);
        Checked {
            from: "peter".into(),
            send_time,
            random: 1,
            body: check_body("MsgBody", Some(&body)).expect("valid body"),
            imported: true,
            content: None,
        }
    }

    fn group() -> Group {
        let mut g = Group::new(GroupType::Public, "n".into());
        g.create_time = 100;
        g.last_msg_time = 200;
        g
    }

    #[test]
    fn strict_times_refuse_equality_and_lenient_ones_let_it_through() {
        let g = group();
        let strict = Rules {
            now: 300,
            strict: true,
            history_cap: 0,
        };
        let lenient = Rules {
            strict: false,
            ..strict
        };
        for (t, want_strict, want_lenient) in [
            (199, 10004, 10004),
            (200, 10004, 0),
            (201, 0, 0),
            (299, 0, 0),
            (300, 10004, 0),
            (301, 10004, 10004),
            (-1, 10004, 10004),
        ] {
            assert_eq!(verdict(&g, &item(t), &strict), want_strict, "strict, {t}");
            assert_eq!(
                verdict(&g, &item(t), &lenient),
                want_lenient,
                "lenient, {t}"
            );
        }
        let mut early = group();
        early.last_msg_time = 0;
        assert_eq!(
            verdict(&early, &item(100), &strict),
            10004,
            "equal to CreateTime"
        );
        assert_eq!(verdict(&early, &item(100), &lenient), 0);
    }

    #[test]
    fn the_sender_comes_before_the_time_and_the_time_before_the_content() {
        let g = group();
        let rules = Rules {
            now: 300,
            strict: true,
            history_cap: 0,
        };
        let mut unknown = item(999);
        unknown.imported = false;
        unknown.content = Some(VendorError::MessageTooLarge(String::new()));
        assert_eq!(verdict(&g, &unknown, &rules), 10004);
        unknown.imported = true;
        assert_eq!(verdict(&g, &unknown, &rules), 10004, "the time");
        unknown.send_time = 250;
        assert_eq!(verdict(&g, &unknown, &rules), 80002);
    }

    #[test]
    fn a_stored_batch_moves_every_member_and_a_failed_one_nobody() {
        use crate::domain::group::{Member, Role};
        let mut g = group();
        g.members.push(Member::new("leckie", Role::Owner, 100));
        g.members.push(Member::new("peter", Role::Member, 100));
        let rules = Rules {
            now: 300,
            strict: true,
            history_cap: 0,
        };
        let out = store(&mut g, vec![item(400)], &rules);
        assert_eq!((out[0].MsgSeq, out[0].Result), (0, 10004));
        assert_eq!(g.next_msg_seq, 1);
        assert!(g.members.iter().all(|m| m.msg_seq == 0));
        let out = store(&mut g, vec![item(201), item(202)], &rules);
        assert_eq!(
            out.iter().map(|o| o.MsgSeq).collect::<Vec<_>>(),
            [1, 2],
            "sequences"
        );
        assert_eq!((g.next_msg_seq, g.last_msg_time), (3, 202));
        assert!(g.members.iter().all(|m| m.msg_seq == 2));
        assert_eq!(
            g.members.get("peter").map(|m| m.last_send_msg_time()),
            Some(202)
        );
        assert_eq!(
            g.members.get("leckie").map(|m| m.last_send_msg_time()),
            Some(0)
        );
        assert_eq!(g.messages.len(), 2);
    }
}
