//! Group messages (spec `messages.md` §30): the `MsgBody` rules, the size rule, priorities, the
//! stored message and a group's history.
//!
//! - [`check_body`] validates a `MsgBody` (element types, field types, at most one custom
//!   element) and measures it by the §30.2 rule; the checked body is kept as compact JSON text,
//!   so unknown `MsgContent` fields round-trip unchanged.
//! - [`Message`] is one stored message; [`History`] is a group's messages, indexed by sequence
//!   (O(1) for any `MsgSeq`, whatever the history's length), bounded in count and by retention.
//! - [`Recent`] remembers the sends of the last five minutes for duplicate suppression (§30.3),
//!   and [`Window`] counts a group's messages in the current second (§31.2 step 12).

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::VendorError;

/// Bytes a number counts for in the size rule (§30.2).
pub const NUMBER_BYTES: usize = 8;

/// A field type in the element table of §30.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Int,
    StrList,
    ImageInfoList,
    List,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Num => "a number",
            Kind::Int => "an integer",
            Kind::StrList => "an array of strings",
            Kind::ImageInfoList => "an array of objects",
            Kind::List => "an array",
        }
    }

    fn accepts(self, v: &Value) -> bool {
        match self {
            Kind::Str => v.is_string(),
            Kind::Num => v.is_number(),
            Kind::Int => v.is_i64() || v.is_u64(),
            Kind::StrList => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Kind::ImageInfoList | Kind::List => v.is_array(),
        }
    }
}

/// The element types of §30.1 and the known fields of each.
const ELEMENTS: &[(&str, &[(&str, Kind)])] = &[
    ("TIMTextElem", &[("Text", Kind::Str)]),
    (
        "TIMLocationElem",
        &[
            ("Desc", Kind::Str),
            ("Latitude", Kind::Num),
            ("Longitude", Kind::Num),
        ],
    ),
    ("TIMFaceElem", &[("Index", Kind::Int), ("Data", Kind::Str)]),
    (
        "TIMCustomElem",
        &[
            ("Data", Kind::Str),
            ("Desc", Kind::Str),
            ("Ext", Kind::Str),
            ("Sound", Kind::Str),
        ],
    ),
    (
        "TIMSoundElem",
        &[
            ("Url", Kind::Str),
            ("UUID", Kind::Str),
            ("Size", Kind::Int),
            ("Second", Kind::Int),
            ("Download_Flag", Kind::Int),
        ],
    ),
    (
        "TIMImageElem",
        &[
            ("UUID", Kind::Str),
            ("ImageFormat", Kind::Int),
            ("ImageInfoArray", Kind::ImageInfoList),
        ],
    ),
    (
        "TIMFileElem",
        &[
            ("Url", Kind::Str),
            ("UUID", Kind::Str),
            ("FileName", Kind::Str),
            ("FileSize", Kind::Int),
            ("Download_Flag", Kind::Int),
        ],
    ),
    (
        "TIMVideoFileElem",
        &[
            ("VideoUrl", Kind::Str),
            ("VideoUUID", Kind::Str),
            ("VideoFormat", Kind::Str),
            ("ThumbUrl", Kind::Str),
            ("ThumbUUID", Kind::Str),
            ("ThumbFormat", Kind::Str),
            ("VideoSize", Kind::Int),
            ("VideoSecond", Kind::Int),
            ("VideoDownloadFlag", Kind::Int),
            ("ThumbSize", Kind::Int),
            ("ThumbWidth", Kind::Int),
            ("ThumbHeight", Kind::Int),
            ("ThumbDownloadFlag", Kind::Int),
        ],
    ),
    (
        "TIMRelayElem",
        &[
            ("Title", Kind::Str),
            ("CompatibleText", Kind::Str),
            ("MsgNum", Kind::Int),
            ("AbstractList", Kind::StrList),
            ("MsgList", Kind::List),
            ("JsonMsgKey", Kind::Str),
        ],
    ),
];

/// The fields of one `ImageInfoArray` item.
const IMAGE_INFO: &[(&str, Kind)] = &[
    ("Type", Kind::Int),
    ("Size", Kind::Int),
    ("Width", Kind::Int),
    ("Height", Kind::Int),
    ("URL", Kind::Str),
];

/// The `MsgType` values, for ErrorInfo.
pub fn element_types() -> String {
    ELEMENTS
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `MsgBody` that passed §30.1, measured by §30.2.
#[derive(Debug, Clone)]
pub struct CheckedBody {
    /// The body as compact JSON text (what is stored and echoed back).
    pub json: Box<RawValue>,
    /// The §30.2 size of the elements (strings in UTF-8 bytes, numbers 8 each); the message's
    /// `CloudCustomData` is added by [`check_size`].
    pub content_bytes: usize,
    /// The largest single field, for ErrorInfo: its path, its size in bytes and, for a
    /// string, its length in characters.
    pub largest: Option<(String, usize, Option<usize>)>,
    /// Known fields the vendor page asks REST senders to fill that were left out (not
    /// enforced; for the journal), e.g. `MsgBody[0].MsgContent.UUID`.
    pub omissions: Vec<String>,
    /// The texts a sensitive-word scan reads (`Text` of text elements, `Desc` of custom
    /// elements), with their paths.
    pub scanned: Vec<(String, String)>,
}

fn invalid(msg: String) -> VendorError {
    VendorError::InvalidParameter(msg)
}

/// Checks `body` (the value of the field `field`, normally `MsgBody`) by §30.1: a non-empty
/// array of `{MsgType, MsgContent}` objects, `MsgType` one of the element types, each known
/// field of the right JSON type, `Text` present in a text element, at most one
/// `TIMCustomElem`. Unknown `MsgContent` fields are kept.
///
/// # Errors
/// 10004 naming the element's position and field.
pub fn check_body(field: &str, body: Option<&Value>) -> Result<CheckedBody, VendorError> {
    let Some(body) = body.filter(|v| !v.is_null()) else {
        return Err(invalid(format!(
            "{field} is required: a non-empty array of {{\"MsgType\", \"MsgContent\"}} elements"
        )));
    };
    let Some(items) = body.as_array() else {
        return Err(invalid(format!(
            "{field} must be an array of {{\"MsgType\", \"MsgContent\"}} elements, not {}",
            json_kind(body)
        )));
    };
    if items.is_empty() {
        return Err(invalid(format!(
            "{field} is empty: a message needs at least one element"
        )));
    }
    let mut checked = CheckedBody {
        json: RawValue::from_string("[]".into()).map_err(|e| invalid(e.to_string()))?,
        content_bytes: 0,
        largest: None,
        omissions: Vec::new(),
        scanned: Vec::new(),
    };
    let mut custom_at: Option<usize> = None;
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let Some(obj) = item.as_object() else {
            return Err(invalid(format!(
                "{at} must be an object {{\"MsgType\", \"MsgContent\"}}, not {}",
                json_kind(item)
            )));
        };
        let msg_type = match obj.get("MsgType") {
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                return Err(invalid(format!(
                    "{at}.MsgType must be a string, not {}",
                    json_kind(other)
                )));
            }
            None => return Err(invalid(format!("{at}.MsgType is required"))),
        };
        let Some((_, fields)) = ELEMENTS.iter().find(|(t, _)| *t == msg_type) else {
            let hint = ELEMENTS
                .iter()
                .find(|(t, _)| t.eq_ignore_ascii_case(msg_type))
                .map(|(t, _)| format!(" (MsgType is case-sensitive: {t})"))
                .unwrap_or_default();
            return Err(invalid(format!(
                "{at}.MsgType {msg_type:?} is not an element type{hint}; one of {}",
                element_types()
            )));
        };
        let content = match obj.get("MsgContent") {
            Some(Value::Object(c)) => c,
            Some(other) => {
                return Err(invalid(format!(
                    "{at}.MsgContent must be an object, not {}",
                    json_kind(other)
                )));
            }
            None => return Err(invalid(format!("{at}.MsgContent is required"))),
        };
        if msg_type == "TIMCustomElem" {
            if let Some(first) = custom_at {
                return Err(invalid(format!(
                    "{at} is a second TIMCustomElem ({field}[{first}] is the first): a message may carry at most one custom element"
                )));
            }
            custom_at = Some(i);
        }
        for (name, kind) in *fields {
            let path = format!("{at}.MsgContent.{name}");
            match content.get(*name) {
                None | Some(Value::Null) => {
                    if msg_type == "TIMTextElem" && *name == "Text" {
                        return Err(invalid(format!(
                            "{path} is required: a text element carries its text"
                        )));
                    }
                    if matches!(*name, "UUID" | "Download_Flag") {
                        checked.omissions.push(path);
                    }
                }
                Some(v) if !kind.accepts(v) => {
                    return Err(invalid(format!(
                        "{path} must be {}, not {}",
                        kind.name(),
                        json_kind(v)
                    )));
                }
                Some(Value::Array(list)) if *kind == Kind::ImageInfoList => {
                    for (j, info) in list.iter().enumerate() {
                        let info_at = format!("{path}[{j}]");
                        let Some(info) = info.as_object() else {
                            return Err(invalid(format!(
                                "{info_at} must be an object, not {}",
                                json_kind(info)
                            )));
                        };
                        for (f, k) in IMAGE_INFO {
                            if let Some(v) = info.get(*f).filter(|v| !v.is_null())
                                && !k.accepts(v)
                            {
                                return Err(invalid(format!(
                                    "{info_at}.{f} must be {}, not {}",
                                    k.name(),
                                    json_kind(v)
                                )));
                            }
                        }
                    }
                }
                Some(Value::String(s)) => {
                    if (msg_type == "TIMTextElem" && *name == "Text")
                        || (msg_type == "TIMCustomElem" && *name == "Desc")
                    {
                        checked.scanned.push((path, s.clone()));
                    }
                }
                Some(_) => {}
            }
        }
        // The size counts every value in MsgContent, known fields or not.
        for (name, v) in content {
            let bytes = value_bytes(v);
            checked.content_bytes += bytes;
            if checked.largest.as_ref().is_none_or(|(_, b, _)| bytes > *b) {
                let chars = v.as_str().map(|s| s.chars().count());
                checked.largest = Some((format!("{at}.MsgContent.{name}"), bytes, chars));
            }
        }
    }
    let text = serde_json::to_string(body).map_err(|e| invalid(e.to_string()))?;
    checked.json = RawValue::from_string(text).map_err(|e| invalid(e.to_string()))?;
    Ok(checked)
}

/// The §30.2 size of a JSON value: UTF-8 bytes of every string, [`NUMBER_BYTES`] per number,
/// recursively; keys, punctuation, booleans and nulls count nothing.
pub fn value_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Number(_) => NUMBER_BYTES,
        Value::Array(a) => a.iter().map(value_bytes).sum(),
        Value::Object(o) => o.values().map(value_bytes).sum(),
        Value::Bool(_) | Value::Null => 0,
    }
}

/// Checks the size of a message (§30.2): its elements plus `CloudCustomData`, against `max`
/// bytes (0 = no limit).
///
/// # Errors
/// 80002 giving the size, its largest field and the limit.
pub fn check_size(
    body: &CheckedBody,
    cloud_custom_data: Option<&str>,
    max: usize,
    setting: &str,
) -> Result<usize, VendorError> {
    let ccd = cloud_custom_data.map_or(0, str::len);
    let size = body.content_bytes + ccd;
    if max != 0 && size > max {
        let mut parts = Vec::new();
        if let Some((path, bytes, chars)) = &body.largest {
            match chars {
                Some(c) => parts.push(format!(
                    "{path} is {} bytes, {} characters",
                    thousands(*bytes),
                    thousands(*c)
                )),
                None => parts.push(format!("{path} is {} bytes", thousands(*bytes))),
            }
        }
        if ccd > 0 {
            parts.push(format!("CloudCustomData is {} bytes", thousands(ccd)));
        }
        return Err(VendorError::MessageTooLarge(format!(
            "the message is {} bytes ({}); at most {} bytes (strings count in UTF-8 bytes, a CJK character 3, numbers 8 bytes each; {setting}){}",
            thousands(size),
            parts.join(", "),
            thousands(max),
            crate::diagnose::today_note("", "bytes", max, crate::rules::today::MSG_MAX_BYTES, size)
        )));
    }
    Ok(size)
}

/// `n` with a comma every three digits (`12,100`).
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What kind of JSON value `v` is, for ErrorInfo ("a number", "null").
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `MsgPriority` (§30.4): sent as a string, read back from history as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Priority {
    /// `High` (1).
    High,
    /// `Normal` (2), the default.
    #[default]
    Normal,
    /// `Low` (3).
    Low,
    /// `Lowest` (4; accepted by the emulator, emulator choice).
    Lowest,
}

impl Priority {
    /// Parses the vendor's spelling (case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "High" => Some(Self::High),
            "Normal" => Some(Self::Normal),
            "Low" => Some(Self::Low),
            "Lowest" => Some(Self::Lowest),
            _ => None,
        }
    }

    /// The integer history answers with (High 1 … Lowest 4).
    pub fn as_int(self) -> u8 {
        match self {
            Self::High => 1,
            Self::Normal => 2,
            Self::Low => 3,
            Self::Lowest => 4,
        }
    }

    fn from_int(n: u8) -> Self {
        match n {
            1 => Self::High,
            3 => Self::Low,
            4 => Self::Lowest,
            _ => Self::Normal,
        }
    }
}

impl Serialize for Priority {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.as_int())
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_int(u8::deserialize(d)?))
    }
}

/// How a message came to be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// send_group_msg.
    #[default]
    Send,
    /// import_group_msg.
    Import,
}

/// A stored message's status (§30.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Visible in history.
    #[default]
    Normal,
    /// Recalled (group_msg_recall, delete_group_msg_by_sender): history leaves it out unless
    /// `WithRecalledMsg` is 1, then shows `IsPlaceMsg` 2.
    Recalled,
    /// Deleted: history shows a hole (`IsPlaceMsg` 1).
    Deleted,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// One stored group message (§30.5). Field names are the vendor's where the vendor has one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// `MsgSeq`, 1 and up.
    #[serde(rename = "MsgSeq")]
    pub seq: u64,
    /// `MsgTime` (unix seconds; an import's `SendTime`).
    #[serde(rename = "MsgTime")]
    pub time: u64,
    /// The sender: `From_Account`, or the calling admin.
    #[serde(rename = "From_Account")]
    pub from: Box<str>,
    /// `Random` (0..=4294967295).
    #[serde(rename = "Random")]
    pub random: u32,
    /// `MsgPriority`.
    #[serde(rename = "MsgPriority", default, skip_serializing_if = "is_default")]
    pub priority: Priority,
    /// The final `MsgBody` (after a before-send rewrite), as compact JSON.
    #[serde(rename = "MsgBody")]
    pub body: Box<RawValue>,
    /// `CloudCustomData`, when given.
    #[serde(
        rename = "CloudCustomData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cloud_custom_data: Option<Box<str>>,
    /// `OfflinePushInfo` as sent (type-checked; kept for the control plane).
    #[serde(
        rename = "OfflinePushInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub offline_push: Option<Box<RawValue>>,
    /// `SendMsgControl` items as sent.
    #[serde(
        rename = "SendMsgControl",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub send_msg_control: Vec<Box<str>>,
    /// `To_Account` receivers (a targeted message; not counted as unread).
    #[serde(rename = "To_Account", default, skip_serializing_if = "Vec::is_empty")]
    pub to_account: Vec<Box<str>>,
    /// `GroupAtInfo` as sent.
    #[serde(
        rename = "GroupAtInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub group_at: Option<Box<RawValue>>,
    /// `SupportMessageExtension` (0/1).
    #[serde(
        rename = "SupportMessageExtension",
        default,
        skip_serializing_if = "is_default"
    )]
    pub support_extension: u8,
    /// `NeedReadReceipt` (0/1).
    #[serde(
        rename = "NeedReadReceipt",
        default,
        skip_serializing_if = "is_default"
    )]
    pub need_read_receipt: u8,
    /// Sent or imported.
    #[serde(rename = "Origin", default)]
    pub origin: Origin,
    /// Normal, recalled or deleted.
    #[serde(rename = "Status", default)]
    pub status: Status,
    /// When it was recalled (unix seconds; 0 when not recalled).
    #[serde(rename = "RecallTime", default, skip_serializing_if = "is_default")]
    pub recall_time: u64,
    /// The recall's `Reason`, if any.
    #[serde(
        rename = "RecallReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recall_reason: Option<Box<str>>,
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
            && self.time == other.time
            && self.from == other.from
            && self.random == other.random
            && self.priority == other.priority
            && self.body.get() == other.body.get()
            && self.cloud_custom_data == other.cloud_custom_data
            && self.offline_push.as_ref().map(|r| r.get())
                == other.offline_push.as_ref().map(|r| r.get())
            && self.send_msg_control == other.send_msg_control
            && self.to_account == other.to_account
            && self.group_at.as_ref().map(|r| r.get()) == other.group_at.as_ref().map(|r| r.get())
            && self.support_extension == other.support_extension
            && self.need_read_receipt == other.need_read_receipt
            && self.origin == other.origin
            && self.status == other.status
            && self.recall_time == other.recall_time
            && self.recall_reason == other.recall_reason
    }
}

impl Eq for Message {}

impl Message {
    /// A plain sent message for unit tests: empty body, normal status, no options.
    #[cfg(test)]
    pub(crate) fn for_tests(seq: u64, time: u64, from: &str) -> Self {
        Self {
            seq,
            time,
            from: from.into(),
            random: 0,
            priority: Priority::Normal,
            body: RawValue::from_string("[]".into()).expect("raw"),
            cloud_custom_data: None,
            offline_push: None,
            send_msg_control: Vec::new(),
            to_account: Vec::new(),
            group_at: None,
            support_extension: 0,
            need_read_receipt: 0,
            origin: Origin::Send,
            status: Status::Normal,
            recall_time: 0,
            recall_reason: None,
        }
    }

    /// Whether the message counts toward unread for `member` (§30.5): stored, not recalled or
    /// deleted, not sent with `NoUnread`, not targeted with `To_Account`, not sent by `member`.
    pub fn counts_unread_for(&self, member: &str) -> bool {
        self.status == Status::Normal
            && self.to_account.is_empty()
            && !self.send_msg_control.iter().any(|c| &**c == "NoUnread")
            && &*self.from != member
    }

    /// Whether the message is past `retention_s` seconds at `now` (0 = kept for ever).
    pub fn is_expired(&self, now: u64, retention_s: u64) -> bool {
        retention_s != 0 && self.time.saturating_add(retention_s) <= now
    }
}

/// A group's stored messages, in sequence order (§30.5). Sequences are contiguous: the message
/// with sequence `s` is at index `s - first_seq`, so any sequence is found in O(1). Older
/// messages are dropped from the front when the count bound is reached; a sequence below the
/// first kept one reads as a hole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    msgs: VecDeque<Message>,
}

impl History {
    /// Whether no message is kept.
    pub fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }

    /// How many messages are kept.
    pub fn len(&self) -> usize {
        self.msgs.len()
    }

    /// The sequence of the oldest kept message (or `None` when none is kept).
    pub fn first_seq(&self) -> Option<u64> {
        self.msgs.front().map(|m| m.seq)
    }

    /// The message with sequence `seq`, if it is kept.
    pub fn get(&self, seq: u64) -> Option<&Message> {
        let first = self.first_seq()?;
        let i = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.msgs.get(i)
    }

    /// The message with sequence `seq`, if it is kept, for a change.
    pub fn get_mut(&mut self, seq: u64) -> Option<&mut Message> {
        let first = self.first_seq()?;
        let i = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.msgs.get_mut(i)
    }

    /// Every kept message, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.msgs.iter()
    }

    /// Every kept message, oldest first, for a change.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Message> {
        self.msgs.iter_mut()
    }

    /// Appends `message`, whose sequence must follow the newest kept one (the group's
    /// `NextMsgSeq` assigns it), then drops the oldest while more than `cap` are kept
    /// (0 = no cap).
    pub fn push(&mut self, message: Message, cap: usize) {
        debug_assert!(
            self.msgs
                .back()
                .is_none_or(|last| last.seq + 1 == message.seq)
        );
        if self
            .msgs
            .back()
            .is_some_and(|last| last.seq + 1 != message.seq)
        {
            // A gap can only come from a document; start the history again at this message.
            self.msgs.clear();
        }
        self.msgs.push_back(message);
        if cap != 0 {
            while self.msgs.len() > cap {
                self.msgs.pop_front();
            }
        }
    }

    /// Drops every kept message (when a group is destroyed its messages go with it).
    pub fn clear(&mut self) {
        self.msgs.clear();
    }

    /// How many messages after sequence `read_seq` count toward `member`'s unread (§30.5).
    pub fn unread_for(&self, member: &str, read_seq: u64) -> u64 {
        self.msgs
            .iter()
            .rev()
            .take_while(|m| m.seq > read_seq)
            .filter(|m| m.counts_unread_for(member))
            .count() as u64
    }

    /// The read position that leaves `member` with `unread` unread messages (§37): the
    /// sequence just below the `unread`-th newest message counting toward its unread, or
    /// `newest` (the group's `NextMsgSeq` − 1) for 0. A count above what exists is lowered to
    /// what exists.
    pub fn read_seq_for_unread(&self, member: &str, unread: u64, newest: u64) -> u64 {
        if unread == 0 {
            return newest;
        }
        let mut found = 0;
        let mut seq = newest;
        for m in self.msgs.iter().rev() {
            if m.counts_unread_for(member) {
                found += 1;
                seq = m.seq - 1;
                if found == unread {
                    break;
                }
            }
        }
        seq
    }
}

impl Serialize for History {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.msgs.iter())
    }
}

impl<'de> Deserialize<'de> for History {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let msgs = Vec::<Message>::deserialize(d)?;
        for pair in msgs.windows(2) {
            if pair[1].seq != pair[0].seq + 1 {
                return Err(serde::de::Error::custom(format!(
                    "Messages must have consecutive MsgSeq values; {} follows {}",
                    pair[1].seq, pair[0].seq
                )));
            }
        }
        if msgs.first().is_some_and(|m| m.seq == 0) {
            return Err(serde::de::Error::custom(
                "a stored message's MsgSeq is 1 or more",
            ));
        }
        Ok(Self { msgs: msgs.into() })
    }
}

/// A send remembered for duplicate suppression (§30.3): the answer it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// The `MsgTime` answered.
    pub time: u64,
    /// The `MsgSeq` answered (0 for a message without a sequence).
    pub seq: u64,
}

/// The sends of the last window (default 300 s) of one group, keyed by a 64-bit digest of
/// sender, `Random` and body (§30.3). Not part of the state document: a restart forgets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recent {
    /// `None` while nothing is remembered: 8 bytes in each of the many quiet groups (issue 11 C).
    inner: Option<Box<RecentInner>>,
}

/// The remembered sends of a [`Recent`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RecentInner {
    by_key: rustc_hash::FxHashMap<u64, Sent>,
    order: VecDeque<(u64, u64)>,
}

impl Recent {
    /// The digest of a send: group-independent (the table is per group).
    pub fn key(from: &str, random: u32, body: &str) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        from.hash(&mut h);
        random.hash(&mut h);
        body.hash(&mut h);
        h.finish()
    }

    /// The answer of an identical send accepted within `window_s` seconds before `now`.
    pub fn find(&mut self, key: u64, now: u64, window_s: u64) -> Option<Sent> {
        self.expire(now, window_s);
        self.inner.as_ref()?.by_key.get(&key).copied()
    }

    /// Like [`Recent::find`], without forgetting expired entries (for a read-only check).
    pub fn peek(&self, key: u64, now: u64, window_s: u64) -> Option<Sent> {
        self.inner
            .as_ref()?
            .by_key
            .get(&key)
            .copied()
            .filter(|s| s.time.saturating_add(window_s) > now)
    }

    /// Remembers a send accepted at `now`.
    pub fn remember(&mut self, key: u64, sent: Sent, now: u64, window_s: u64) {
        self.expire(now, window_s);
        let inner = self.inner.get_or_insert_with(Box::default);
        if inner.by_key.insert(key, sent).is_none() {
            inner.order.push_back((now, key));
        }
    }

    /// Forgets sends older than the window; frees everything once nothing is left.
    fn expire(&mut self, now: u64, window_s: u64) {
        let Some(inner) = self.inner.as_mut() else {
            return;
        };
        while let Some(&(at, key)) = inner.order.front() {
            if at.saturating_add(window_s) > now {
                break;
            }
            inner.order.pop_front();
            inner.by_key.remove(&key);
        }
        if inner.order.is_empty() {
            self.inner = None;
        }
    }
}

/// A group's message count in the current second, for the per-group frequency control (§31.2
/// step 12). Not part of the state document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    second: u64,
    count: u32,
}

impl Window {
    /// Counts one message at `now_ms` unless `per_second` (0 = no limit) are already counted
    /// in that second; `false` when over.
    pub fn admit(&mut self, now_ms: u64, per_second: u32) -> bool {
        let second = now_ms / 1000;
        if second != self.second {
            self.second = second;
            self.count = 0;
        }
        if per_second != 0 && self.count >= per_second {
            return false;
        }
        self.count += 1;
        true
    }
}

/// A system notification as recorded for the control plane (§32).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// When it was sent (unix seconds).
    pub time: u64,
    /// The `Content`.
    pub content: String,
    /// The members it reached (resolved from `ToMembers_Account`, or every member).
    pub recipients: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Result<CheckedBody, VendorError> {
        check_body("MsgBody", Some(&v))
    }

    fn err(v: Value) -> String {
        body(v).expect_err("refused").to_string()
    }

    #[test]
    fn every_element_type_passes_with_its_fields() {
        let b = body(json!([
            {"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}},
            {"MsgType":"TIMLocationElem","MsgContent":{"Desc":"d","Latitude":1.5,"Longitude":-2}},
            {"MsgType":"TIMFaceElem","MsgContent":{"Index":1,"Data":"x"}},
            {"MsgType":"TIMCustomElem","MsgContent":{"Data":"a","Desc":"b","Ext":"c","Sound":"d"}},
            {"MsgType":"TIMSoundElem","MsgContent":{"Url":"u","UUID":"i","Size":1,"Second":2,"Download_Flag":2}},
            {"MsgType":"TIMImageElem","MsgContent":{"UUID":"i","ImageFormat":1,"ImageInfoArray":[{"Type":1,"Size":2,"Width":3,"Height":4,"URL":"u"}]}},
            {"MsgType":"TIMFileElem","MsgContent":{"Url":"u","UUID":"i","FileName":"f","FileSize":1,"Download_Flag":2}},
            {"MsgType":"TIMVideoFileElem","MsgContent":{"VideoUrl":"u","VideoSize":1,"ThumbWidth":3}},
            {"MsgType":"TIMRelayElem","MsgContent":{"Title":"t","MsgNum":2,"AbstractList":["a"],"MsgList":[{}]}}
        ]))
        .expect("valid");
        assert!(b.json.get().starts_with("[{"));
    }

    #[test]
    fn wrong_field_types_name_the_element_and_field() {
        for (v, needle) in [
            (
                json!([{"MsgType":"TIMTextElem","MsgContent":{"Text":1}}]),
                "MsgBody[0].MsgContent.Text must be a string, not a number",
            ),
            (
                json!([{"MsgType":"TIMTextElem","MsgContent":{"Text":"a"}},{"MsgType":"TIMFaceElem","MsgContent":{"Index":1.5}}]),
                "MsgBody[1].MsgContent.Index must be an integer",
            ),
            (
                json!([{"MsgType":"TIMLocationElem","MsgContent":{"Latitude":"1"}}]),
                "MsgBody[0].MsgContent.Latitude must be a number, not a string",
            ),
            (
                json!([{"MsgType":"TIMImageElem","MsgContent":{"ImageInfoArray":[{"Width":"3"}]}}]),
                "MsgBody[0].MsgContent.ImageInfoArray[0].Width must be an integer",
            ),
            (
                json!([{"MsgType":"TIMRelayElem","MsgContent":{"AbstractList":[1]}}]),
                "AbstractList must be an array of strings",
            ),
            (
                json!([{"MsgType":"TIMTextElem","MsgContent":{}}]),
                "MsgBody[0].MsgContent.Text is required",
            ),
            (
                json!([{"MsgType":"timtextelem","MsgContent":{"Text":"a"}}]),
                "case-sensitive: TIMTextElem",
            ),
            (json!([]), "MsgBody is empty"),
            (json!({}), "must be an array"),
            (json!([1]), "MsgBody[0] must be an object"),
            (
                json!([{"MsgType":"TIMTextElem","MsgContent":"x"}]),
                "MsgContent must be an object, not a string",
            ),
            (
                json!([{"MsgType":"TIMCustomElem","MsgContent":{}},{"MsgType":"TIMCustomElem","MsgContent":{}}]),
                "second TIMCustomElem",
            ),
        ] {
            let e = err(v);
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
    }

    #[test]
    fn unknown_content_fields_round_trip_and_count_toward_the_size() {
        let b = body(
            json!([{"MsgType":"TIMTextElem","MsgContent":{"Text":"ab","Extra":{"k":[1,"xyz"]}}}]),
        )
        .expect("valid");
        assert!(b.json.get().contains("\"Extra\":{\"k\":[1,\"xyz\"]}"));
        assert_eq!(b.content_bytes, 2 + NUMBER_BYTES + 3);
    }

    #[test]
    fn size_boundary_is_in_utf8_bytes_with_cloud_custom_data() {
        // 2,666 CJK characters are 7,998 bytes; with 2 bytes of CloudCustomData: 8,000.
        let text = "汉".repeat(2666);
        let b = body(json!([{"MsgType":"TIMTextElem","MsgContent":{"Text":text}}])).expect("valid");
        assert_eq!(check_size(&b, Some("ab"), 8000, "x").expect("fits"), 8000);
        let e = check_size(&b, Some("abc"), 8000, "msg_max_bytes")
            .expect_err("over")
            .to_string();
        assert!(e.contains("8,001 bytes"), "{e}");
        assert!(
            e.contains("MsgBody[0].MsgContent.Text is 7,998 bytes"),
            "{e}"
        );
        assert!(e.contains("CloudCustomData is 3 bytes"), "{e}");
        assert_eq!(check_size(&b, Some("abc"), 0, "x").expect("no limit"), 8001);
    }

    #[test]
    fn history_finds_any_sequence_and_derives_unread() {
        let mut h = History::default();
        for seq in 1..=5u64 {
            let from = if seq == 3 { "bob" } else { "amy" };
            h.push(Message::for_tests(seq, seq, from), 4);
        }
        assert_eq!(h.len(), 4);
        assert!(h.get(1).is_none());
        assert_eq!(h.get(5).map(|m| m.seq), Some(5));
        assert_eq!(h.unread_for("bob", 0), 3);
        assert_eq!(h.unread_for("amy", 0), 1);
        assert_eq!(h.read_seq_for_unread("bob", 2, 5), 3);
        assert_eq!(h.read_seq_for_unread("bob", 99, 5), 1);
        assert_eq!(h.read_seq_for_unread("bob", 0, 5), 5);
    }

    #[test]
    fn the_window_admits_per_second_and_recent_expires() {
        let mut w = Window::default();
        assert!(w.admit(1000, 2) && w.admit(1500, 2));
        assert!(!w.admit(1999, 2));
        assert!(w.admit(2000, 2));
        let mut r = Recent::default();
        let k = Recent::key("a", 1, "[]");
        r.remember(k, Sent { time: 10, seq: 1 }, 10, 300);
        assert_eq!(r.find(k, 309, 300), Some(Sent { time: 10, seq: 1 }));
        assert_eq!(r.find(k, 310, 300), None);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12100), "12,100");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
