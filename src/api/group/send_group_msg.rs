//! `group_open_http_svc/send_group_msg`: sends an ordinary group message as the admin or in the
//! name of `From_Account` (spec `messages.md` §31), with duplicate suppression (§30.3), mutes,
//! the per-group rate, and the before-send, after-send and exception callbacks (§39.1–§39.4).

use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::msg::{flag, no_topic, random};
use super::{callback_origin, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::callback::events::{
    AFTER_SEND_MSG, AfterSendMsg, BEFORE_SEND_MSG, BeforeSendMsg, SEND_MSG_EXCEPTION,
    SendMsgException,
};
use crate::callback::send_msg::{Outcome, Rewrite};
use crate::domain::group::{Group, GroupType, Role, Switch};
use crate::domain::message::{
    CheckedBody, Message, Origin, Priority, Recent, Sent, Status, check_body, check_size,
};
use crate::domain::wire::{self, Int};
use crate::error::VendorError;
use crate::journal::Note;
use crate::store::AppState;

/// `send_group_msg` (spec §31).
pub struct SendGroupMsg;

const NAME: &str = "send_group_msg";

/// `SendMsgControl` items (spec §31.1).
const SEND_MSG_CONTROL: &[&str] = &["NoLastMsg", "NoUnread"];
/// `ForbidCallbackControl` items (spec §31.1).
const FORBID_CALLBACK_CONTROL: &[&str] =
    &["ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"];

/// One `GroupAtInfo` item.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct GroupAt {
    /// 1 mentions everyone.
    GroupAtAllFlag: Option<Int>,
    /// The mentioned account, when not everyone.
    GroupAt_Account: Option<String>,
}

/// `OfflinePushInfo`, type-checked only (spec §30.4).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case, dead_code)]
struct OfflinePushInfo {
    PushFlag: Option<Int>,
    Title: Option<String>,
    Desc: Option<String>,
    Ext: Option<String>,
    AndroidInfo: Option<AndroidInfo>,
    ApnsInfo: Option<ApnsInfo>,
}

#[derive(Debug, Deserialize)]
#[allow(non_snake_case, dead_code)]
struct AndroidInfo {
    Sound: Option<String>,
    HuaWeiChannelID: Option<String>,
    XiaoMiChannelID: Option<String>,
    OPPOChannelID: Option<String>,
    GoogleChannelID: Option<String>,
    HuaWeiImportance: Option<String>,
    HuaWeiCategory: Option<String>,
    VIVOClassification: Option<Int>,
    ExtAsHuaweiIntentParam: Option<Int>,
}

#[derive(Debug, Deserialize)]
#[allow(non_snake_case, dead_code)]
struct ApnsInfo {
    Sound: Option<String>,
    Title: Option<String>,
    SubTitle: Option<String>,
    Image: Option<String>,
    BadgeMode: Option<Int>,
    MutableContent: Option<Int>,
}

/// The send_group_msg body (spec §31.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// 0..=4294967295; generated when absent.
    Random: Option<Value>,
    /// The elements (spec §30.1).
    MsgBody: Option<Value>,
    /// The sender (an imported account); absent: the calling admin.
    From_Account: Option<String>,
    /// `High`, `Normal`, `Low` (or `Lowest`).
    MsgPriority: Option<String>,
    /// > 0: online only (not stored, no sequence).
    OnlineOnlyFlag: Option<Int>,
    /// `NoLastMsg`, `NoUnread`.
    SendMsgControl: Option<Vec<String>>,
    /// `ForbidBeforeSendMsgCallback`, `ForbidAfterSendMsgCallback`.
    ForbidCallbackControl: Option<Vec<String>>,
    /// Stored with the message.
    CloudCustomData: Option<String>,
    /// Type-checked and stored; never delivered.
    OfflinePushInfo: Option<Box<RawValue>>,
    /// At most 50 receivers of a targeted message.
    To_Account: Option<Vec<String>>,
    /// @-mentions, at most 30.
    GroupAtInfo: Option<Vec<GroupAt>>,
    /// 0/1, stored.
    SupportMessageExtension: Option<Int>,
    /// 0/1, stored.
    NeedReadReceipt: Option<Int>,
    /// Topics are not emulated.
    TopicId: Option<String>,
}

/// The answer (spec §31.3).
#[derive(Debug, Serialize)]
#[allow(non_snake_case)]
struct Answer {
    MsgTime: u64,
    MsgSeq: u64,
    /// Only on a message dropped by the per-group frequency control under `current`
    /// (spec §31.2 step 12, §31.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    MsgDropReason: Option<&'static str>,
}

/// `MsgDropReason` of a message over the per-group rate under `current` (spec §31.2 step 12).
const FREQ_DROP: &str = "MsgFreqCtrl";

/// A count taken against the app's daily cap of REST group messages (spec §31.2 step 10),
/// given back when dropped unless [`DailySlot::keep`] was called: a message refused after the
/// count (a callback's refusal, the group gone meanwhile, 10023 over the per-group rate) does
/// not use up the day's cap.
struct DailySlot<'a> {
    app: &'a AppState,
    taken: bool,
    day: Option<u64>,
}

impl<'a> DailySlot<'a> {
    fn new(app: &'a AppState) -> Self {
        Self {
            app,
            taken: false,
            day: None,
        }
    }

    /// Counts the message once (10023 when the day's cap is used up).
    fn take(&mut self, now: u64) -> Result<(), VendorError> {
        if !self.taken {
            self.day = self.app.take_daily_msg(now)?;
            self.taken = true;
        }
        Ok(())
    }

    /// The message was answered OK: the count stays.
    fn keep(&mut self) {
        self.day = None;
    }
}

impl Drop for DailySlot<'_> {
    fn drop(&mut self) {
        if let Some(day) = self.day.take() {
            self.app.give_back_daily_msg(day);
        }
    }
}

/// A message that passed every check that needs no group.
struct Draft {
    id: String,
    from: String,
    random: u32,
    priority: Priority,
    body: CheckedBody,
    cloud_custom_data: Option<String>,
    offline_push: Option<Box<RawValue>>,
    online_only: bool,
    send_msg_control: Vec<String>,
    forbid_before: bool,
    forbid_after: bool,
    to_account: Vec<String>,
    group_at: Option<Box<RawValue>>,
    at_all: bool,
    support_extension: u8,
    need_read_receipt: u8,
    /// `From_Account` was given (so the sender may be muted).
    in_members_name: bool,
}

impl Draft {
    fn key(&self) -> u64 {
        Recent::key(&self.from, self.random, self.body.json.get())
    }
}

/// What storing the message produced.
struct Stored {
    answer: Sent,
    group_type: GroupType,
    duplicate: bool,
    /// Dropped by the per-group frequency control (`current`): nothing stored.
    dropped: bool,
}

impl VendorCommand for SendGroupMsg {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "`MsgBody` of §30.1 elements, at most 8,000 bytes (80002); `Random` u32; muted senders 10017; 40 msgs/s per group (10023; `current`: OK with `MsgDropReason`, nothing stored); `current`: `To_Account` below Ultimate 10059, Trial 1,000 msgs a China day (10023); duplicates within 300 s get the first answer; before/after-send callbacks";
    type Request = Request;

    /// Checks the message (spec §31.2 steps 2–9), counts it against the app's daily cap
    /// (step 10), asks the before-send callback (step 11), then stores it under the group lock
    /// with the rate check (steps 12–13: 10023, or under `current` an OK answer with
    /// `MsgDropReason` and nothing stored) and queues the after-send callback.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let draft = match draft(&call, request) {
            Ok(d) => d,
            Err(refusal) => {
                let (e, formed) = *refusal;
                if let Some(d) = formed {
                    exception(&call, &d, None, &e);
                }
                return Err(e);
            }
        };
        let now = call.now();
        let origin = callback_origin(&call);
        let ask = !draft.forbid_before && origin.is_on(BEFORE_SEND_MSG);
        let mut draft = draft;
        let mut slot = DailySlot::new(&call.app);
        if ask {
            // Steps 5–9 first, read-only; the store repeats them under the lock.
            let pre = call.app.read_group(&draft.id, |g| {
                precheck(&call, g, &draft, now).map(|dup| (dup, g.group_type))
            });
            let (dup, group_type) = match pre {
                Ok(v) => v,
                Err(e) => {
                    exception(&call, &draft, None, &e);
                    return Err(e);
                }
            };
            if let Some(sent) = dup {
                return Ok(duplicate_answer(sent));
            }
            if let Err(e) = slot.take(now) {
                exception(&call, &draft, Some(group_type), &e);
                return Err(e);
            }
            let event = before_event(&call, &draft, group_type, BEFORE_SEND_MSG);
            let max = call.app.policy().messages.max_bytes;
            let outcome = call
                .emu
                .callbacks
                .before_send_msg(origin, &event, |r| rewrite(r, &draft, max))
                .await;
            match outcome {
                Outcome::Go(None) => {}
                Outcome::Go(Some((body, ccd))) => {
                    draft.body = body;
                    draft.cloud_custom_data = ccd;
                }
                Outcome::Discard => {
                    slot.keep();
                    return Ok(envelope::ok(Answer {
                        MsgTime: call.now(),
                        MsgSeq: 0,
                        MsgDropReason: None,
                    }));
                }
                Outcome::Refuse(e) => return Err(e),
            }
        }
        let stored = match store(&call, &draft, &mut slot) {
            Ok(s) => s,
            Err(e) => {
                exception(&call, &draft, None, &e);
                return Err(e);
            }
        };
        if stored.duplicate {
            return Ok(duplicate_answer(stored.answer));
        }
        slot.keep();
        if stored.dropped {
            return Ok(dropped_answer(&call, &draft, &stored));
        }
        if !draft.forbid_after && origin.is_on(AFTER_SEND_MSG) {
            let event = AfterSendMsg {
                base: before_event(&call, &draft, stored.group_type, AFTER_SEND_MSG),
                msg_seq: stored.answer.seq,
                msg_time: stored.answer.time,
                group_at_info: draft.group_at.as_deref(),
            };
            call.emu.callbacks.after(origin, &event);
        }
        let mut resp = envelope::ok(Answer {
            MsgTime: stored.answer.time,
            MsgSeq: stored.answer.seq,
            MsgDropReason: None,
        });
        if let Some(note) = note(&call, &draft) {
            resp.extensions_mut().insert(Note(note));
        }
        Ok(resp)
    }
}

fn invalid(msg: String) -> VendorError {
    VendorError::InvalidParameter(msg)
}

/// Steps 2–4 (and the account check of step 7): everything that needs no group. A size or
/// sensitive-word failure comes back with the draft, for the exception callback.
/// A refusal from [`draft`], with the draft when the message was already formed.
type Refusal = Box<(VendorError, Option<Draft>)>;

fn draft(call: &Call, req: Request) -> Result<Draft, Refusal> {
    let rules = call.rules();
    let policy = call.app.policy();
    let plain = |e: VendorError| Box::new((e, None));
    if let Some(raw) = &req.OfflinePushInfo {
        wire::from_slice::<OfflinePushInfo>(raw.get().as_bytes())
            .map_err(|e| plain(invalid(format!("OfflinePushInfo: {e}"))))?;
    }
    let id = call
        .required(req.GroupId, "GroupId", Service::Group)
        .map_err(plain)?;
    let random = random(req.Random.as_ref(), "Random").map_err(plain)?;
    let body = check_body("MsgBody", req.MsgBody.as_ref()).map_err(plain)?;
    let priority = match req.MsgPriority.as_deref() {
        None | Some("") => Priority::Normal,
        Some(p) => Priority::parse(p).ok_or_else(|| {
            plain(invalid(format!(
                "MsgPriority {p:?} is not a priority; one of High, Normal, Low, Lowest (case-sensitive)"
            )))
        })?,
    };
    let online_only = match req.OnlineOnlyFlag.map(|n| n.0) {
        None | Some(0) => false,
        Some(n) if n > 0 => true,
        Some(n) => {
            return Err(plain(invalid(format!(
                "OnlineOnlyFlag is {n}; it must be 0 (stored) or more (online only)"
            ))));
        }
    };
    let send_msg_control = req.SendMsgControl.unwrap_or_default();
    if let Some(bad) = send_msg_control
        .iter()
        .find(|c| !SEND_MSG_CONTROL.contains(&c.as_str()))
    {
        return Err(plain(invalid(format!(
            "SendMsgControl item {bad:?} is not one of NoLastMsg, NoUnread"
        ))));
    }
    if online_only && !send_msg_control.is_empty() {
        return Err(plain(invalid(
            "SendMsgControl cannot be combined with OnlineOnlyFlag 1: an online-only message is neither stored nor counted".into(),
        )));
    }
    let forbid = req.ForbidCallbackControl.unwrap_or_default();
    if let Some(bad) = forbid
        .iter()
        .find(|c| !FORBID_CALLBACK_CONTROL.contains(&c.as_str()))
    {
        return Err(plain(invalid(format!(
            "ForbidCallbackControl item {bad:?} is not one of ForbidBeforeSendMsgCallback, ForbidAfterSendMsgCallback"
        ))));
    }
    let to_account = req.To_Account.unwrap_or_default();
    if to_account.len() > rules.to_account_max {
        return Err(plain(VendorError::TooManyAccounts(format!(
            "To_Account has {} receivers; at most {} may be given",
            to_account.len(),
            rules.to_account_max
        ))));
    }
    let mut at_all = false;
    let group_at = match &req.GroupAtInfo {
        None => None,
        Some(list) => {
            if list.len() > rules.group_at_max {
                return Err(plain(VendorError::TooManyAtTargets(format!(
                    "GroupAtInfo has {} targets; at most {} may be mentioned in one message",
                    list.len(),
                    rules.group_at_max
                ))));
            }
            let mut items = Vec::with_capacity(list.len());
            for (i, at) in list.iter().enumerate() {
                let all = flag(
                    at.GroupAtAllFlag,
                    &format!("GroupAtInfo[{i}].GroupAtAllFlag"),
                )
                .map_err(plain)?;
                at_all |= all == 1;
                let account = at.GroupAt_Account.as_deref().unwrap_or("");
                if all == 0 && account.is_empty() {
                    return Err(plain(invalid(format!(
                        "GroupAtInfo[{i}] mentions nobody: give GroupAt_Account, or GroupAtAllFlag 1 for everyone"
                    ))));
                }
                items.push(serde_json::json!({"GroupAtAllFlag": all, "GroupAt_Account": account}));
            }
            let text = serde_json::to_string(&items).unwrap_or_else(|_| "[]".into());
            RawValue::from_string(text).ok()
        }
    };
    let support_extension =
        flag(req.SupportMessageExtension, "SupportMessageExtension").map_err(plain)?;
    let need_read_receipt = flag(req.NeedReadReceipt, "NeedReadReceipt").map_err(plain)?;
    no_topic(req.TopicId.as_deref()).map_err(plain)?;
    let in_members_name = req.From_Account.as_deref().is_some_and(|f| !f.is_empty());
    let from = req
        .From_Account
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| call.identifier.clone());
    let d = Draft {
        id,
        from,
        random,
        priority,
        body,
        cloud_custom_data: req.CloudCustomData,
        offline_push: req.OfflinePushInfo,
        online_only,
        send_msg_control,
        forbid_before: forbid.iter().any(|f| f == "ForbidBeforeSendMsgCallback"),
        forbid_after: forbid.iter().any(|f| f == "ForbidAfterSendMsgCallback"),
        to_account,
        group_at,
        at_all,
        support_extension,
        need_read_receipt,
        in_members_name,
    };
    // Step 3: size; step 4: sensitive words.
    let setting = format!(
        "msg_max_bytes of the {} profile, [apps.limits] msg_max_bytes",
        rules.name
    );
    if let Err(e) = check_size(
        &d.body,
        d.cloud_custom_data.as_deref(),
        policy.messages.max_bytes,
        &setting,
    ) {
        return Err(Box::new((e, Some(d))));
    }
    if let Some(e) = sensitive(call, &d.body) {
        return Err(Box::new((e, Some(d))));
    }
    // Step 5: the GroupId's form (existence is the store's).
    if let Err(e) = group_id(call, Some(d.id.clone())) {
        return Err(Box::new((e, None)));
    }
    Ok(d)
}

/// 80001 for the first configured sensitive word in a text element's `Text` or a custom
/// element's `Desc` (spec §31.2 step 4).
fn sensitive(call: &Call, body: &CheckedBody) -> Option<VendorError> {
    let policy = call.app.policy();
    body.scanned.iter().find_map(|(path, text)| {
        policy
            .sensitive_word_in(text)
            .map(|w| VendorError::SensitiveWord {
                field: path.clone().into(),
                word: w.to_string(),
            })
    })
}

/// Steps 6–9 on the group: type rules, the sender's account, mutes, duplicates. `Ok(Some)` is
/// a duplicate's original answer.
fn precheck(call: &Call, g: &Group, d: &Draft, now: u64) -> Result<Option<Sent>, VendorError> {
    let t = g.group_type;
    let live = matches!(t, GroupType::AVChatRoom | GroupType::BChatRoom);
    let features = call.app.policy().features;
    if live && !d.send_msg_control.is_empty() {
        return Err(invalid(format!(
            "SendMsgControl does not apply to {t} groups: their messages are neither stored nor counted as unread"
        )));
    }
    if t == GroupType::ChatRoom
        && !features.meeting_unread
        && d.send_msg_control.iter().any(|c| c == "NoUnread")
    {
        return Err(invalid(
            "SendMsgControl NoUnread on a ChatRoom group needs the app feature meeting_unread ([apps.features] meeting_unread = true)".into(),
        ));
    }
    if !d.to_account.is_empty() {
        if !matches!(
            t,
            GroupType::Private | GroupType::Public | GroupType::ChatRoom
        ) {
            return Err(invalid(format!(
                "To_Account (a targeted message) applies to Private, Public and ChatRoom groups only, not {t}"
            )));
        }
        let rules = call.rules();
        if !rules.targeted_group_msgs {
            let edition = rules.edition.map_or("no", |e| e.as_str());
            return Err(VendorError::EditionRequired(format!(
                "To_Account (a targeted group message) needs the Ultimate or Enterprise edition; this app runs the {} rules profile in the {edition} edition (edition in its [[apps]] table, or --edition)",
                rules.name
            )));
        }
        if !features.targeted_group_msgs {
            return Err(invalid(
                "To_Account needs the app feature targeted_group_msgs ([apps.features] targeted_group_msgs = true)".into(),
            ));
        }
    }
    if d.at_all && t == GroupType::AVChatRoom {
        return Err(invalid(
            "GroupAtAllFlag 1 (@all) does not apply to AVChatRoom groups".into(),
        ));
    }
    if d.in_members_name && !call.is_imported(&d.from) {
        return Err(invalid(format!(
            "From_Account {:?} is not an imported account; import it first with im_open_login_svc/account_import, or start the emulator with --auto-import-accounts",
            d.from
        )));
    }
    if d.in_members_name {
        let until = g.muted_until(&d.from, now);
        if until > 0 {
            return Err(VendorError::SenderMuted(format!(
                "{:?} is muted in group {:?} until {until} (unix seconds); unmute with forbid_send_msg MuteTime 0",
                d.from, g.id
            )));
        }
        if g.mute_all == Switch::On
            && g.members
                .get(&d.from)
                .is_some_and(|m| m.role == Role::Member)
        {
            return Err(VendorError::SenderMuted(format!(
                "group {:?} has MuteAllMember On, so its ordinary members (like {:?}) may not send; owners and admins may",
                g.id, d.from
            )));
        }
    }
    let window = call.rules().msg_dedup_window_s;
    Ok(g.recent.peek(d.key(), now, window))
}

/// Steps 6–9 again, then 12–13, atomically under the group lock: the rate check, the sequence,
/// the stored message and the group's message state.
fn store(call: &Call, d: &Draft, slot: &mut DailySlot<'_>) -> Result<Stored, VendorError> {
    let now_ms = call.now_ms();
    let now = now_ms / 1000;
    let per_second = call.app.policy().limits.group_msgs_per_second_per_group;
    let window_s = call.rules().msg_dedup_window_s;
    let drop_over_rate = call.rules().msg_freq_drop;
    let cap = call.emu.history_per_group;
    let private_start_active = call.emu.private_groups_start_active;
    call.app.update_group(&d.id, |g| {
        if let Some(sent) = precheck(call, g, d, now)? {
            return Ok(Stored {
                answer: sent,
                group_type: g.group_type,
                duplicate: true,
                dropped: false,
            });
        }
        slot.take(now)?;
        if !g.window.admit(now_ms, per_second) {
            if drop_over_rate {
                return Ok(Stored {
                    answer: Sent { time: now, seq: 0 },
                    group_type: g.group_type,
                    duplicate: false,
                    dropped: true,
                });
            }
            return Err(VendorError::MsgFrequency(format!(
                "group {:?} already had {per_second} messages this second; at most {per_second} per second per group (--group-msgs-per-second, [apps.limits] group_msgs_per_second_per_group; --no-limits turns it off) [rules profile in force: {}; today's service (the current profile) answers OK instead, with MsgSeq 0 and MsgDropReason \"{FREQ_DROP}\", and drops the message]",
                g.id,
                call.rules().name
            )));
        }
        let t = g.group_type;
        let stored = !d.online_only
            && matches!(
                t,
                GroupType::Private | GroupType::Public | GroupType::ChatRoom
            );
        let seq = if stored { g.next_msg_seq } else { 0 };
        if stored {
            g.messages.push(
                Message {
                    seq,
                    time: now,
                    from: d.from.as_str().into(),
                    random: d.random,
                    priority: d.priority,
                    body: d.body.json.clone(),
                    cloud_custom_data: d.cloud_custom_data.as_deref().map(Into::into),
                    offline_push: d.offline_push.clone(),
                    send_msg_control: d.send_msg_control.iter().map(|s| s.as_str().into()).collect(),
                    to_account: d.to_account.iter().map(|s| s.as_str().into()).collect(),
                    group_at: d.group_at.clone(),
                    support_extension: d.support_extension,
                    need_read_receipt: d.need_read_receipt,
                    origin: Origin::Send,
                    status: Status::Normal,
                    recall_time: 0,
                    recall_reason: None,
                },
                cap,
            );
            g.next_msg_seq += 1;
            g.last_msg_time = now;
            if let Some(m) = g.members.get_mut(&d.from) {
                m.set_last_send_msg_time(now);
                m.msg_seq = seq;
            }
            if t == GroupType::Private && !private_start_active {
                g.activated = true;
            }
        }
        let answer = Sent { time: now, seq };
        g.recent.remember(d.key(), answer, now, window_s);
        Ok(Stored {
            answer,
            group_type: t,
            duplicate: false,
            dropped: false,
        })
    })
}

/// The answer a duplicate gets: the original's.
fn duplicate_answer(sent: Sent) -> Response {
    let mut resp = envelope::ok(Answer {
        MsgTime: sent.time,
        MsgSeq: sent.seq,
        MsgDropReason: None,
    });
    resp.extensions_mut().insert(Note(format!(
        "duplicate of the message sent at {} with MsgSeq {} (same sender, Random and MsgBody within the duplicate window): nothing stored, no callback",
        sent.time, sent.seq
    )));
    resp
}

/// The answer of a message dropped by the per-group frequency control under `current` (spec
/// §31.2 step 12): OK with `MsgSeq` 0 and `MsgDropReason`, nothing stored, no after-send
/// callback; the exception callback fires with 10023 (spec §39.4).
fn dropped_answer(call: &Call, d: &Draft, stored: &Stored) -> Response {
    let per_second = call.app.policy().limits.group_msgs_per_second_per_group;
    let why = format!(
        "dropped by the frequency control: group {:?} already had {per_second} messages this second (at most {per_second} per second per group; --group-msgs-per-second, [apps.limits] group_msgs_per_second_per_group; --no-limits turns it off). Under the {} rules profile the sender is told OK with MsgDropReason {FREQ_DROP:?}; nothing was stored",
        d.id,
        call.rules().name
    );
    exception(
        call,
        d,
        Some(stored.group_type),
        &VendorError::MsgFrequency(why.clone()),
    );
    let mut resp = envelope::ok(Answer {
        MsgTime: stored.answer.time,
        MsgSeq: 0,
        MsgDropReason: Some(FREQ_DROP),
    });
    resp.extensions_mut().insert(Note(why));
    resp
}

/// Rechecks a before-send replacement (spec §39.1): the new body by §30.1, the size by §30.2.
fn rewrite(r: Rewrite, d: &Draft, max: usize) -> Result<(CheckedBody, Option<String>), String> {
    let body = match &r.msg_body {
        Some(b) => check_body("MsgBody", Some(b)).map_err(|e| e.to_string())?,
        None => d.body.clone(),
    };
    let ccd = r.cloud_custom_data.or_else(|| d.cloud_custom_data.clone());
    check_size(&body, ccd.as_deref(), max, "msg_max_bytes").map_err(|e| e.to_string())?;
    Ok((body, ccd))
}

fn before_event<'a>(
    call: &'a Call,
    d: &'a Draft,
    group_type: GroupType,
    command: &'static str,
) -> BeforeSendMsg<'a> {
    let live = group_type == GroupType::AVChatRoom;
    BeforeSendMsg {
        callback_command: command,
        group_id: &d.id,
        group_type: group_type.as_str(),
        from_account: &d.from,
        operator_account: &call.identifier,
        random: d.random,
        online_only_flag: u8::from(d.online_only && !live),
        msg_body: &d.body.json,
        cloud_custom_data: d.cloud_custom_data.as_deref(),
        event_time: call.now_ms(),
    }
}

/// Fires `Group.CallbackSendMsgException` (spec §39.4) for the failures it covers (10017,
/// 10023, 80001, 80002) when the app has it on and the group exists.
fn exception(call: &Call, d: &Draft, group_type: Option<GroupType>, e: &VendorError) {
    if !matches!(e.code(), 10017 | 10023 | 80001 | 80002) {
        return;
    }
    let origin = callback_origin(call);
    if !origin.is_on(SEND_MSG_EXCEPTION) {
        return;
    }
    let Some(t) = group_type.or_else(|| call.app.read_group(&d.id, |g| Ok(g.group_type)).ok())
    else {
        return;
    };
    let event = SendMsgException {
        base: before_event(call, d, t, SEND_MSG_EXCEPTION),
        error_code: e.code(),
        error_info: e.to_string(),
    };
    call.emu.callbacks.after(origin, &event);
}

/// The journal note of an accepted message: element fields left out that the vendor asks REST
/// senders to fill, and body fields one edit away from a known one (spec §30.1, §30.6).
fn note(call: &Call, d: &Draft) -> Option<String> {
    let mut parts = Vec::new();
    if !d.body.omissions.is_empty() {
        parts.push(format!(
            "not given (the vendor asks REST senders to fill them; not enforced): {}",
            d.body.omissions.join(", ")
        ));
    }
    if let Ok(NearMisses(misses)) = serde_json::from_slice::<NearMisses>(&call.body) {
        for (key, known) in misses {
            parts.push(format!(
                "{key:?} is not a send_group_msg field and was ignored; did you mean {known:?}?"
            ));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The top-level keys of a body that are near misses of a known field, with the field; found
/// in one pass that skips every value without building it.
struct NearMisses(Vec<(String, &'static str)>);

impl<'de> Deserialize<'de> for NearMisses {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = NearMisses;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<NearMisses, A::Error> {
                let mut found = Vec::new();
                while let Some(miss) = map.next_key_seed(Key)? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    found.extend(miss);
                }
                Ok(NearMisses(found))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// Reads one key without copying it, unless it is a near miss.
struct Key;

impl<'de> serde::de::DeserializeSeed<'de> for Key {
    type Value = Option<(String, &'static str)>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for Key {
    type Value = Option<(String, &'static str)>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(near_miss(key).map(|known| (key.to_string(), known)))
    }
}

/// The known field `key` most likely meant, when it is not one: a field it contains (DOBYTE's
/// `MsgOnlineOnlyFlag` for `OnlineOnlyFlag`) or one edit away.
fn near_miss(key: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "GroupId",
        "Random",
        "MsgBody",
        "From_Account",
        "MsgPriority",
        "OnlineOnlyFlag",
        "SendMsgControl",
        "ForbidCallbackControl",
        "CloudCustomData",
        "OfflinePushInfo",
        "To_Account",
        "GroupAtInfo",
        "SupportMessageExtension",
        "NeedReadReceipt",
        "TopicId",
    ];
    if KNOWN.contains(&key) {
        return None;
    }
    KNOWN
        .iter()
        .copied()
        .find(|k| key.len() > k.len() && key.ends_with(k) || one_edit(key, k))
}

/// Whether `a` and `b` differ by one insertion, deletion or substitution (ASCII case ignored).
fn one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_name_the_field_meant() {
        assert_eq!(near_miss("MsgOnlineOnlyFlag"), Some("OnlineOnlyFlag"));
        assert_eq!(near_miss("Radnom"), None);
        assert_eq!(near_miss("Randoms"), Some("Random"));
        assert_eq!(near_miss("groupid"), Some("GroupId"));
        assert_eq!(near_miss("MsgBody"), None);
        assert_eq!(near_miss("Unrelated"), None);
    }
}
