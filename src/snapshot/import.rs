//! Turning a state document into fresh app states, checking everything first: known version,
//! allowed apps, valid UserIDs, known group types, roles and join options, no repeated IDs,
//! owners consistent with their member entries. Nothing here touches the live store.

use std::collections::HashSet;
use std::sync::Arc;

use super::document::{AppDoc, GroupDoc, MemberDoc, StateDocument, VERSION};
use crate::domain::account::{Account, check_user_id};
use crate::domain::custom_data::CustomEntry;
use crate::domain::group::{ApplyJoinOption, Group, GroupProfile, Member, Role};
use crate::emulator::Emulator;
use crate::store::AppState;
use crate::store::throttle::unix_now;

/// Why a document was refused; the text names the place (`apps[0].groups[2].MemberList[1]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ImportError(pub String);

fn err<T>(msg: String) -> Result<T, ImportError> {
    Err(ImportError(msg))
}

/// Builds one fresh [`AppState`] per app of `doc`.
pub(super) fn build(doc: StateDocument, emu: &Emulator) -> Result<Vec<Arc<AppState>>, ImportError> {
    if doc.version != VERSION {
        return err(format!(
            "version {} is not supported; this emulator reads version {VERSION}",
            doc.version
        ));
    }
    let mut seen = HashSet::new();
    let now = unix_now();
    let mut apps = Vec::with_capacity(doc.apps.len());
    for (i, app) in doc.apps.into_iter().enumerate() {
        if !seen.insert(app.sdkappid) {
            return err(format!(
                "apps[{i}]: sdkappid {} is listed twice",
                app.sdkappid
            ));
        }
        apps.push(build_app(app, emu, now).map_err(|e| ImportError(format!("apps[{i}]: {e}")))?);
    }
    Ok(apps)
}

fn build_app(doc: AppDoc, emu: &Emulator, now: u64) -> Result<Arc<AppState>, ImportError> {
    if doc.sdkappid == 0 {
        return err("sdkappid must be a positive integer".into());
    }
    let policy = emu
        .apps
        .policy(doc.sdkappid)
        .map_err(|e| ImportError(e.to_string()))?;
    let app = AppState::new(
        doc.sdkappid,
        Arc::clone(policy),
        emu.rules,
        emu.store.id_seed(),
    );
    let mut seen = HashSet::new();
    for (i, a) in doc.accounts.into_iter().enumerate() {
        check_user_id(&a.UserID, "UserID", emu.rules)
            .map_err(|e| ImportError(format!("accounts[{i}]: {e}")))?;
        if !seen.insert(a.UserID.clone()) {
            return err(format!(
                "accounts[{i}]: UserID {:?} is listed twice",
                a.UserID
            ));
        }
        let account = Account {
            nick: a.Nick,
            face_url: a.FaceUrl,
        };
        app.import(&a.UserID, account);
    }
    for (i, g) in doc.groups.into_iter().enumerate() {
        let group = build_group(g, emu, now, i as u64 + 1)
            .map_err(|e| ImportError(format!("groups[{i}]: {e}")))?;
        let id = group.id.clone();
        app.restore_group(group)
            .map_err(|_| ImportError(format!("groups[{i}]: GroupId {id:?} is listed twice")))?;
    }
    app.restore_assigned_id_counter(doc.next_assigned_id);
    Ok(Arc::new(app))
}

fn build_group(doc: GroupDoc, emu: &Emulator, now: u64, seq: u64) -> Result<Group, ImportError> {
    if doc.GroupId.is_empty() {
        return err("GroupId must not be empty".into());
    }
    let Some(rule) = emu.rules.group_type(&doc.Type) else {
        return err(format!(
            "Type {:?} is not a group type; use one of {}",
            doc.Type,
            emu.rules.type_names()
        ));
    };
    let apply_join = match doc.ApplyJoinOption.as_deref() {
        None => ApplyJoinOption::NeedPermission,
        Some(s) => ApplyJoinOption::parse(s).ok_or_else(|| {
            ImportError(format!(
                "ApplyJoinOption {s:?} is not FreeAccess, NeedPermission or DisableApply"
            ))
        })?,
    };
    check_keys(&doc.AppDefinedData, "AppDefinedData")?;
    let create_time = doc.CreateTime.unwrap_or(now);
    let members = build_members(doc.MemberList, create_time, rule.has_admins)?;
    check_owner(doc.Owner_Account.as_deref(), &members)?;
    let profile = GroupProfile {
        group_type: rule,
        name: doc.Name,
        introduction: doc.Introduction,
        notification: doc.Notification,
        face_url: doc.FaceUrl,
        max_members: doc.MaxMemberCount.unwrap_or(rule.max_members.unwrap_or(0)),
        apply_join,
        owner: doc.Owner_Account,
        custom: doc.AppDefinedData,
    };
    Ok(Group {
        id: doc.GroupId,
        profile,
        create_time,
        seq,
        members,
    })
}

fn build_members(
    docs: Vec<MemberDoc>,
    join_default: u64,
    has_admins: bool,
) -> Result<Vec<Member>, ImportError> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(docs.len());
    for (i, m) in docs.into_iter().enumerate() {
        let at = |msg: String| ImportError(format!("MemberList[{i}]: {msg}"));
        if m.Member_Account.is_empty() {
            return Err(at("Member_Account must not be empty".into()));
        }
        if !seen.insert(m.Member_Account.clone()) {
            return Err(at(format!("{:?} is listed twice", m.Member_Account)));
        }
        let role = match m.Role.as_deref() {
            None => Role::Member,
            Some(s) => Role::parse(s)
                .ok_or_else(|| at(format!("Role {s:?} is not Owner, Admin or Member")))?,
        };
        if role == Role::Admin && !has_admins {
            return Err(at("this group type has no admins".into()));
        }
        check_keys(&m.AppMemberDefinedData, "AppMemberDefinedData").map_err(|e| at(e.0))?;
        out.push(Member {
            account: m.Member_Account,
            role,
            join_time: m.JoinTime.unwrap_or(join_default),
            custom: m.AppMemberDefinedData,
        });
    }
    Ok(out)
}

fn check_owner(owner: Option<&str>, members: &[Member]) -> Result<(), ImportError> {
    let owners: Vec<&str> = members
        .iter()
        .filter(|m| m.role == Role::Owner)
        .map(|m| m.account.as_str())
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

fn check_keys(entries: &[CustomEntry], field: &str) -> Result<(), ImportError> {
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
