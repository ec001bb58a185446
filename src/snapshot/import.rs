//! Turning a state document into fresh app states, checking everything first: known version,
//! allowed apps, valid UserIDs, group types of the profile, roles, no repeated IDs, owners
//! consistent with their member entries. Nothing here touches the live store. Times a document
//! leaves out (0) are filled in: CreateTime with the import time, LastInfoTime with CreateTime,
//! JoinTime with CreateTime.

use std::collections::HashSet;
use std::sync::Arc;

use super::document::{AccountDoc, AppDoc, StateDocument, VERSION};
use crate::domain::account::{Account, check_profile_value, check_user_id};
use crate::domain::custom_data::CustomEntry;
use crate::domain::group::{Group, GroupType, Role};
use crate::domain::message::check_body;
use crate::emulator::Emulator;
use crate::rules::RulesProfile;
use crate::store::AppState;

/// Why a document was refused; the text names the place (`apps[0].groups[2].MemberList[1]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ImportError(pub String);

impl ImportError {
    /// The same error, said to be at `place` (`groups[2]`).
    pub(super) fn at(self, place: impl std::fmt::Display) -> Self {
        Self(format!("{place}: {}", self.0))
    }
}

fn err<T>(msg: String) -> Result<T, ImportError> {
    Err(ImportError(msg))
}

/// Builds one fresh [`AppState`] per app of `doc`; `now` (unix seconds) fills absent times.
pub(super) fn build(
    doc: StateDocument,
    emu: &Emulator,
    now: u64,
) -> Result<Vec<Arc<AppState>>, ImportError> {
    check_version(doc.version)?;
    let mut seen = HashSet::new();
    let mut apps = Vec::with_capacity(doc.apps.len());
    for (i, app) in doc.apps.into_iter().enumerate() {
        apps.push(build_app(app, emu, now, &mut seen).map_err(|e| e.at(format!("apps[{i}]")))?);
    }
    Ok(apps)
}

fn build_app(
    doc: AppDoc,
    emu: &Emulator,
    now: u64,
    seen: &mut HashSet<u64>,
) -> Result<Arc<AppState>, ImportError> {
    let app = new_app(doc.sdkappid, emu, seen)?;
    for (i, a) in doc.accounts.into_iter().enumerate() {
        add_account(&app, a).map_err(|e| e.at(format!("accounts[{i}]")))?;
    }
    for (i, g) in doc.groups.into_iter().enumerate() {
        add_group(&app, g, emu, now).map_err(|e| e.at(format!("groups[{i}]")))?;
    }
    app.restore_assigned_id_counter(doc.next_assigned_id);
    Ok(Arc::new(app))
}

/// The document's `version`, if it is the one this emulator reads.
pub(super) fn check_version(version: u32) -> Result<(), ImportError> {
    if version == VERSION {
        return Ok(());
    }
    err(format!(
        "version {version} is not supported; this emulator reads version {VERSION}"
    ))
}

/// A fresh, empty app for `sdkappid`, which must be allowed and not already in `seen`.
pub(super) fn new_app(
    sdkappid: u64,
    emu: &Emulator,
    seen: &mut HashSet<u64>,
) -> Result<AppState, ImportError> {
    if sdkappid == 0 {
        return err("sdkappid must be a positive integer".into());
    }
    if !seen.insert(sdkappid) {
        return err(format!("sdkappid {sdkappid} is listed twice"));
    }
    let policy = emu
        .apps
        .policy(sdkappid)
        .map_err(|e| ImportError(e.to_string()))?;
    Ok(emu.store.restored_app(sdkappid, policy))
}

/// Checks one account of the document by the app's own rules profile (its `[[apps]]`
/// `rules_profile` and `edition`, else the flags') and stores it in `app`.
pub(super) fn add_account(app: &AppState, a: AccountDoc) -> Result<(), ImportError> {
    let rules = app.policy().rules;
    check_user_id(&a.UserID, "UserID", rules)
        .and_then(|()| check_profile_value(&a.Nick, "Nick", rules))
        .and_then(|()| check_profile_value(&a.FaceUrl, "FaceUrl", rules))
        .map_err(|e| ImportError(e.to_string()))?;
    if app.with_account(&a.UserID, |_| ()).is_some() {
        return err(format!("UserID {:?} is listed twice", a.UserID));
    }
    let account = Account {
        nick: a.Nick,
        face_url: a.FaceUrl,
        kicked_at: a.kicked_at,
    };
    app.import(&a.UserID, account)
        .map_err(|e| ImportError(e.to_string()))
}

/// Checks one group of the document by the app's own rules profile (as [`add_account`]), fills
/// in its absent times and stores it in `app`.
pub(super) fn add_group(
    app: &AppState,
    g: Group,
    emu: &Emulator,
    now: u64,
) -> Result<(), ImportError> {
    let group = check_group(g, app.policy().rules, emu.history_per_group, now)?;
    let id = group.id.clone();
    app.restore_group(group)
        .map_err(|_| ImportError(format!("GroupId {id:?} is listed twice")))
}

fn check_group(
    mut g: Group,
    rules: &'static RulesProfile,
    history_per_group: usize,
    now: u64,
) -> Result<Group, ImportError> {
    if g.id.is_empty() {
        return err("GroupId must not be empty".into());
    }
    // Only values a command could have stored (issue 11 C): the same rules, except the times
    // only an import sets.
    crate::domain::group_id::check_form(&g.id, rules)
        .map_err(|e| ImportError(format!("{e} ({})", profile_of(rules))))?;
    check_texts(&g, rules)?;
    let Some(rule) = rules.rule_of(g.group_type) else {
        return err(format!(
            "Type {:?} is not a group type of this app's rules profile ({}); use one of {}",
            g.group_type.as_str(),
            profile_of(rules),
            rules.type_names()
        ));
    };
    if g.max_members == 0 {
        g.max_members = rule.max_members.unwrap_or(0);
    }
    check_keys(&g.custom, "AppDefinedData", rules.group_custom_keys_max)?;
    if g.create_time == 0 {
        g.create_time = now;
    }
    if g.last_info_time == 0 {
        g.last_info_time = g.create_time;
    }
    for (i, m) in g.members.iter_mut().enumerate() {
        let at = |msg: String| ImportError(format!("MemberList[{i}]: {msg}"));
        if m.account().is_empty() {
            return Err(at("Member_Account must not be empty".into()));
        }
        if m.role == Role::Admin && !rule.has_admins {
            return Err(at("this group type has no admins".into()));
        }
        check_keys(
            m.custom(),
            "AppMemberDefinedData",
            rules.member_custom_keys_max,
        )
        .map_err(|e| at(e.0))?;
        let card_max = rules.name_card_max_bytes;
        if m.name_card().len() > card_max {
            return Err(at(format!(
                "NameCard is {} bytes; at most {card_max}",
                m.name_card().len()
            )));
        }
        check_values(
            m.custom(),
            "AppMemberDefinedData",
            rules.custom_key_max_bytes,
            rules.member_value_max_bytes,
        )
        .map_err(|e| at(e.0))?;
        if m.join_time == 0 {
            m.join_time = g.create_time;
        }
    }
    check_owner(g.owner.as_deref(), &g)?;
    check_messages(&mut g, history_per_group)?;
    Ok(g)
}

/// The message state (spec `messages.md` §30.5): `Messages` already have consecutive `MsgSeq`
/// values from 1 up (the history's own deserializer refuses others); here `NextMsgSeq` must
/// come after the newest, no member's read position (`MsgSeq`) may pass `NextMsgSeq` − 1,
/// AVChatRoom groups keep none, and each `MsgBody` must be one a
/// command could have stored (§30.1; kept compact). A `LastMsgTime` of 0 is filled in with the newest
/// message's time, and a history longer than `cap` (`--history-per-group`, 0 = no cap) keeps
/// its newest `cap` messages, as sending would have.
fn check_messages(g: &mut Group, cap: usize) -> Result<(), ImportError> {
    if g.next_msg_seq == 0 {
        return err("NextMsgSeq must be 1 or more (1 in a group without messages)".into());
    }
    let last = g.messages.iter().next_back().map(|m| (m.seq, m.time));
    if let Some((last_seq, _)) = last {
        if g.group_type == GroupType::AVChatRoom {
            return err(
                "Messages: AVChatRoom groups keep no message history; leave Messages out".into(),
            );
        }
        if g.next_msg_seq <= last_seq {
            return err(format!(
                "NextMsgSeq {} must come after the newest message's MsgSeq {last_seq}; give NextMsgSeq {}",
                g.next_msg_seq,
                last_seq + 1
            ));
        }
    }
    let newest = g.next_msg_seq - 1;
    for (i, m) in g.members.iter().enumerate() {
        if m.msg_seq > newest {
            return err(format!(
                "MemberList[{i}]: MsgSeq {} is beyond the newest message (NextMsgSeq {}); a read position is at most {newest}",
                m.msg_seq, g.next_msg_seq
            ));
        }
    }
    let Some((_, last_time)) = last else {
        return Ok(());
    };
    for m in g.messages.iter_mut() {
        let body: Option<serde_json::Value> = serde_json::from_str(m.body.get()).ok();
        let checked = check_body("MsgBody", body.as_ref())
            .map_err(|e| ImportError(format!("Messages (MsgSeq {}): {e}", m.seq)))?;
        // Kept compact, as a send stores it.
        m.body = checked.json;
    }
    if g.last_msg_time == 0 {
        g.last_msg_time = last_time;
    }
    if cap != 0 && g.messages.len() > cap {
        let all = std::mem::take(&mut g.messages);
        for m in all.iter() {
            g.messages.push(m.clone(), cap);
        }
    }
    Ok(())
}

/// "the app's rules profile `current`, edition `trial`", for ImportError texts: a document
/// checked per app names the profile that refused it.
fn profile_of(rules: &RulesProfile) -> String {
    match rules.edition {
        Some(e) => format!(
            "the app's rules profile is {}, edition {}",
            rules.name,
            e.as_str()
        ),
        None => format!("the app's rules profile is {}", rules.name),
    }
}

fn check_owner(owner: Option<&str>, g: &Group) -> Result<(), ImportError> {
    let owners: Vec<&str> = g
        .members
        .iter()
        .filter(|m| m.role == Role::Owner)
        .map(|m| m.account())
        .collect();
    match (owner, owners.as_slice()) {
        (None, []) => Ok(()),
        (Some(o), [m]) if *m == o => Ok(()),
        (Some(o), _) => err(format!(
            "Owner_Account {o:?} must appear in MemberList exactly once, with Role \"Owner\""
        )),
        (None, _) => err("a member has Role \"Owner\" but Owner_Account is not set".into()),
    }
}

/// The profile's byte limits on the group's texts and custom data.
fn check_texts(g: &Group, rules: &RulesProfile) -> Result<(), ImportError> {
    let texts = [
        ("Name", g.name.as_str(), rules.name_max_bytes),
        (
            "Introduction",
            g.introduction.as_str(),
            rules.introduction_max_bytes,
        ),
        (
            "Notification",
            g.notification.as_str(),
            rules.notification_max_bytes,
        ),
        ("FaceUrl", g.face_url.as_str(), rules.face_url_max_bytes),
    ];
    for (field, text, max) in texts {
        if text.len() > max {
            return err(format!("{field} is {} bytes; at most {max}", text.len()));
        }
    }
    if g.name.is_empty() {
        return err("Name must not be empty".into());
    }
    check_values(
        &g.custom,
        "AppDefinedData",
        rules.custom_key_max_bytes,
        rules.group_value_max_bytes,
    )?;
    Ok(())
}

/// Keys of at most `key_max` bytes and values of at most `max` bytes.
fn check_values(
    entries: &[CustomEntry],
    field: &str,
    key_max: usize,
    max: usize,
) -> Result<(), ImportError> {
    for e in entries {
        if e.key.len() > key_max {
            return err(format!(
                "{field} Key {:?} is {} bytes; at most {key_max}",
                e.key,
                e.key.len()
            ));
        }
        if e.value.len() > max {
            return err(format!(
                "{field} Value of Key {:?} is {} bytes; at most {max}",
                e.key,
                e.value.len()
            ));
        }
    }
    Ok(())
}

fn check_keys(entries: &[CustomEntry], field: &str, max: usize) -> Result<(), ImportError> {
    if max != 0 && entries.len() > max {
        return err(format!(
            "{field} has {} keys; the rules profile stores at most {max}",
            entries.len()
        ));
    }
    let mut seen = HashSet::new();
    for e in entries {
        if e.key.is_empty() {
            return err(format!("{field} has an empty Key"));
        }
        if !seen.insert(e.key.as_str()) {
            return err(format!("{field} repeats the Key {:?}", e.key));
        }
    }
    Ok(())
}
