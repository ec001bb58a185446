//! `group_open_http_svc/add_group_member` (spec §12): the App admin adds accounts to a group.
//!
//! The checks that need no state run first; then the group is looked up and every state check
//! runs on a read (`admit`); the before-invite callback may veto the request or refuse some
//! accounts; and the same `admit` runs again inside the atomic update, so a concurrent add
//! can never push the group past `MaxMemberNum` nor change anything on a request it refuses.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{MemberResult, allow_types, callback_origin, check_silence, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::callback::events::{
    AFTER_GROUP_FULL, AFTER_NEW_MEMBER_JOIN, AfterGroupFull, AfterNewMemberJoin,
    BEFORE_INVITE_JOIN_GROUP, BeforeInviteJoinGroup, member_accounts,
};
use crate::domain::group::{Group, GroupType, Member, Role};
use crate::domain::wire::{self, Int};
use crate::error::VendorError;

/// `add_group_member` (spec §12).
pub struct AddGroupMember;

const NAME: &str = "add_group_member";

/// Types this command refuses with 10007 (spec §10.2).
const REFUSED: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The add_group_member body (spec §12.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// 0 (tips to the group, the default) or 1 (no tips); the emulator sends no tips either way.
    Silence: Option<Int>,
    /// The accounts to add; each item is typed after the count checks (spec §12.2 step 2).
    MemberList: Option<Vec<serde_json::Value>>,
}

/// One `MemberList` item; other keys are ignored.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Item {
    /// The account to add.
    Member_Account: Option<String>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    MemberList: Vec<MemberResult>,
}

impl VendorCommand for AddGroupMember {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "`Result` 1 added, 2 already a member, 0 refused by the before-invite callback; 10005 over the batch cap, 10007 AVChatRoom/BChatRoom, 10019 an account not imported, 10037 over `groups_per_user`, 10014 over `MaxMemberNum` (all-or-nothing)";
    type Request = Request;

    /// Adds the accounts of `MemberList` (spec §12.2 steps 2 to 9).
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        check_silence(request.Silence, "tell nobody")?;
        let accounts = accounts(&call, request.MemberList)?;
        let id = group_id(&call, request.GroupId)?;
        let rules = Rules::of(&call);
        let pre = call
            .app
            .read_group(&id, |g| admit(g, &accounts, &[], &rules));
        let pre = report_full(&call, &id, pre)?;
        let refused = before_invite(&call, &pre).await?;
        let now = call.now();
        let done = call.app.update_group(&id, |g| {
            let admission = admit(g, &accounts, &refused, &rules)?;
            let full = join(g, &admission.added, now);
            Ok((admission, full))
        });
        let (admission, full) = report_full(&call, &id, done)?;
        after_add(&call, &admission, full);
        Ok(envelope::ok(Answer {
            MemberList: admission.results,
        }))
    }
}

/// What [`admit`] decided: the answer's entries and the accounts to add.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Admission {
    /// The group (for callback bodies).
    group_id: String,
    /// The group's type (for callback bodies).
    group_type: GroupType,
    /// One entry per distinct requested account, in first-seen order.
    results: Vec<MemberResult>,
    /// The accounts with Result 1, in request order.
    added: Vec<String>,
}

/// The state the checks of spec §12.2 steps 4 and 6 read besides the group.
struct Rules<'a> {
    /// Whether an account is imported.
    imported: Box<dyn Fn(&str) -> bool + Send + Sync + 'a>,
    /// How many groups an account belongs to.
    joined: Box<dyn Fn(&str) -> usize + Send + Sync + 'a>,
    /// The per-user quota (`groups_per_user`); 0 = off.
    per_user: u32,
}

impl<'a> Rules<'a> {
    fn of(call: &'a Call) -> Self {
        Self {
            imported: Box::new(|a| call.is_imported(a)),
            joined: Box::new(|a| call.app.joined_count(a)),
            per_user: call.app.policy().limits.groups_per_user,
        }
    }
}

/// The distinct accounts of `MemberList`, in first-seen order (spec §12.2 step 2): required and
/// not empty (10004), at most the app's batch cap (10005), each item with a non-empty
/// `Member_Account` (10004).
fn accounts(call: &Call, list: Option<Vec<serde_json::Value>>) -> Result<Vec<String>, VendorError> {
    let list = call.required(list, "MemberList", Service::Group)?;
    if list.is_empty() {
        return Err(VendorError::InvalidParameter(
            "MemberList is empty; give at least one {\"Member_Account\": \"...\"}".into(),
        ));
    }
    let max = call.app.policy().limits.add_group_member_batch as usize;
    if max != 0 && list.len() > max {
        return Err(VendorError::TooManyMembers {
            count: list.len(),
            max,
            note: crate::diagnose::today_note(
                call.rules().name,
                "items",
                max,
                crate::rules::today::ADD_GROUP_MEMBER_BATCH,
                list.len(),
            ),
        });
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    let mut seen = rustc_hash::FxHashSet::default();
    for (i, raw) in list.iter().enumerate() {
        let at = format!("MemberList[{i}]");
        let item: Item =
            wire::from_value(raw, &at).map_err(|e| VendorError::InvalidParameter(e.to_string()))?;
        let account = item.Member_Account.ok_or_else(|| {
            let msg = wire::missing_in("Member_Account", raw);
            VendorError::InvalidParameter(format!("{at}.{msg}"))
        })?;
        if account.is_empty() {
            return Err(VendorError::InvalidParameter(format!(
                "{at}.Member_Account is empty; it must name an account"
            )));
        }
        if seen.insert(account.clone()) {
            out.push(account);
        }
    }
    Ok(out)
}

/// The state checks of spec §12.2 steps 3 to 7 on `g`, for `accounts` of which the before-invite
/// callback `refused` some: the type (10007), every account imported (10019), the per-user
/// quota of each newcomer (10037), room for every newcomer (10014). Each is all-or-nothing.
fn admit(
    g: &Group,
    accounts: &[String],
    refused: &[String],
    rules: &Rules<'_>,
) -> Result<Admission, VendorError> {
    allow_types(NAME, g, REFUSED, VendorError::PermissionDenied)?;
    check_imported(accounts, &rules.imported)?;
    let mut results = Vec::with_capacity(accounts.len());
    let mut added = Vec::new();
    for a in accounts {
        let result = if g.members.contains(a) {
            2
        } else if refused.contains(a) {
            0
        } else {
            added.push(a.clone());
            1
        };
        results.push(MemberResult {
            Member_Account: a.clone(),
            Result: result,
        });
    }
    check_quota(&added, rules)?;
    check_room(g, added.len())?;
    Ok(Admission {
        group_id: g.id.to_string(),
        group_type: g.group_type,
        results,
        added,
    })
}

fn check_imported(accounts: &[String], imported: impl Fn(&str) -> bool) -> Result<(), VendorError> {
    let missing: Vec<&String> = accounts.iter().filter(|a| !imported(a)).collect();
    let Some(first) = missing.first() else {
        return Ok(());
    };
    let more = match missing.len() {
        1 => String::new(),
        n => format!(" (and {} more: {:?})", n - 1, &missing[1..n.min(6)]),
    };
    Err(VendorError::AccountNotFound(format!(
        "MemberList's Member_Account {first:?} is not an imported account{more}; nothing was added. Import accounts first with im_open_login_svc/account_import"
    )))
}

/// 10037 when a newcomer already belongs to `per_user` groups (spec §12.2 step 6).
fn check_quota(newcomers: &[String], rules: &Rules<'_>) -> Result<(), VendorError> {
    if rules.per_user == 0 {
        return Ok(());
    }
    let max = rules.per_user as usize;
    match newcomers.iter().find(|a| (rules.joined)(a) >= max) {
        None => Ok(()),
        Some(a) => Err(VendorError::TooManyJoinedGroups(format!(
            "Member_Account {a:?} already belongs to {max} groups, the most one account may join (groups_per_user); nothing was added"
        ))),
    }
}

/// 10014 when `newcomers` more members would take `g` past `MaxMemberNum` (spec §12.2 step 7).
fn check_room(g: &Group, newcomers: usize) -> Result<(), VendorError> {
    let (now, max) = (g.members.len(), g.max_members as usize);
    if max == 0 || now + newcomers <= max {
        return Ok(());
    }
    Err(VendorError::GroupFull(format!(
        "group {:?} has {now} members and MaxMemberNum {max}; adding {newcomers} would go past it, so nothing was added. Add at most {} accounts, or raise MaxMemberNum",
        g.id,
        max.saturating_sub(now)
    )))
}

/// Adds `accounts` to `g` as plain members joined at `now` (spec §12.6); whether this made the
/// group exactly full. Adding nobody changes nothing, `LastInfoTime` included.
fn join(g: &mut Group, accounts: &[String], now: u64) -> bool {
    if accounts.is_empty() {
        return false;
    }
    for account in accounts {
        g.members
            .push(Member::new(account.clone(), Role::Member, now));
    }
    g.members_changed(now);
    is_exactly_full(g)
}

fn is_exactly_full(g: &Group) -> bool {
    g.max_members != 0 && g.members.len() == g.max_members as usize
}

/// Passes `result` on; when it is 10014, first queues `Group.CallbackAfterGroupFull` (spec §24).
fn report_full<T>(call: &Call, id: &str, result: Result<T, VendorError>) -> Result<T, VendorError> {
    if let Err(VendorError::GroupFull(_)) = &result {
        group_full(call, id);
    }
    result
}

fn group_full(call: &Call, id: &str) {
    let origin = callback_origin(call);
    if origin.is_on(AFTER_GROUP_FULL) {
        let event = AfterGroupFull {
            callback_command: AFTER_GROUP_FULL,
            group_id: id.to_string(),
            event_time: call.now_ms(),
        };
        call.emu.callbacks.after(origin, &event);
    }
}

/// `Group.CallbackBeforeInviteJoinGroup` for the newcomers of `pre` (none sent when there are
/// none): the accounts the backend refused, or its veto (10016, 10100..=10200).
async fn before_invite(call: &Call, pre: &Admission) -> Result<Vec<String>, VendorError> {
    let origin = callback_origin(call);
    if pre.added.is_empty() || !origin.is_on(BEFORE_INVITE_JOIN_GROUP) {
        return Ok(Vec::new());
    }
    let event = BeforeInviteJoinGroup {
        callback_command: BEFORE_INVITE_JOIN_GROUP,
        group_id: pre.group_id.clone(),
        r#type: pre.group_type.as_str(),
        operator_account: call.identifier.clone(),
        destination_members: member_accounts(pre.added.iter().map(String::as_str)),
        event_time: call.now_ms(),
    };
    call.emu
        .callbacks
        .before(origin, &event, "invitation")
        .await
}

/// The after-callbacks of an add (spec §12.5): new members joined, and the group is now full.
fn after_add(call: &Call, done: &Admission, full: bool) {
    let origin = callback_origin(call);
    if !done.added.is_empty() && origin.is_on(AFTER_NEW_MEMBER_JOIN) {
        let event = AfterNewMemberJoin {
            callback_command: AFTER_NEW_MEMBER_JOIN,
            group_id: done.group_id.clone(),
            r#type: done.group_type.as_str(),
            join_type: "Invited",
            operator_account: call.identifier.clone(),
            new_member_list: member_accounts(done.added.iter().map(String::as_str)),
            event_time: call.now_ms(),
        };
        call.emu.callbacks.after(origin, &event);
    }
    if full {
        group_full(call, &done.group_id);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::apps::{AppPolicy, Limits};
    use crate::store::AppState;

    fn group(kind: GroupType, max: u32, members: &[&str]) -> Group {
        let mut g = Group::new(kind, "g".into());
        g.id = "g1".into();
        g.max_members = max;
        for m in members {
            g.members.push(Member::new(*m, Role::Member, 1));
        }
        g
    }

    fn rules(per_user: u32) -> Rules<'static> {
        Rules {
            imported: Box::new(|a| !a.starts_with("ghost")),
            joined: Box::new(|a| if a.starts_with("busy") { 3 } else { 0 }),
            per_user,
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn codes(
        g: &Group,
        accounts: &[&str],
        refused: &[&str],
        per_user: u32,
    ) -> Result<Vec<u8>, u32> {
        admit(g, &strings(accounts), &strings(refused), &rules(per_user))
            .map(|a| a.results.iter().map(|r| r.Result).collect())
            .map_err(|e| e.code())
    }

    #[test]
    fn admission_follows_the_spec_rows() {
        let public = group(GroupType::Public, 4, &["owner", "old"]);
        type Row<'a> = (
            &'a Group,
            &'a [&'a str],
            &'a [&'a str],
            u32,
            Result<Vec<u8>, u32>,
        );
        let av = group(GroupType::AVChatRoom, 0, &["owner"]);
        let b = group(GroupType::BChatRoom, 0, &["owner"]);
        let table: &[Row] = &[
            (&public, &["a", "old"], &[], 0, Ok(vec![1, 2])),
            (&public, &["a", "b"], &[], 0, Ok(vec![1, 1])),
            (&public, &["a", "b", "c"], &[], 0, Err(10014)),
            (&public, &["a", "b", "c"], &["c"], 0, Ok(vec![1, 1, 0])),
            (&public, &["old", "owner"], &[], 0, Ok(vec![2, 2])),
            (&public, &["old"], &["old"], 0, Ok(vec![2])),
            (&public, &["ghost1", "a"], &[], 0, Err(10019)),
            (&public, &["busy1"], &[], 3, Err(10037)),
            (&public, &["busy1"], &[], 4, Ok(vec![1])),
            (&public, &["busy1"], &[], 0, Ok(vec![1])),
            (&public, &["busy1"], &["busy1"], 3, Ok(vec![0])),
            (&public, &["ghost1", "a", "b", "c"], &[], 3, Err(10019)),
            (&public, &["busy1", "a", "b", "c"], &[], 3, Err(10037)),
            (&av, &["a"], &[], 0, Err(10007)),
            (&b, &["ghost"], &[], 0, Err(10007)),
        ];
        for (i, (g, accounts, refused, per_user, want)) in table.iter().enumerate() {
            assert_eq!(&codes(g, accounts, refused, *per_user), want, "row {i}");
        }
    }

    #[test]
    fn an_unlimited_group_always_has_room() {
        let g = group(GroupType::ChatRoom, 0, &["a"]);
        assert!(check_room(&g, 100_000).is_ok());
        assert!(!is_exactly_full(&g));
        let g = group(GroupType::ChatRoom, 2, &["a", "b"]);
        assert!(is_exactly_full(&g));
        assert!(check_room(&g, 0).is_ok());
    }

    #[test]
    fn silence_takes_only_0_and_1() {
        for (s, ok) in [
            (None, true),
            (Some(0), true),
            (Some(1), true),
            (Some(2), false),
            (Some(-1), false),
        ] {
            assert_eq!(
                check_silence(s.map(Int), "tell nobody").is_ok(),
                ok,
                "{s:?}"
            );
        }
    }

    #[test]
    fn adding_and_removing_through_the_store_keeps_the_member_index() {
        let app = AppState::new(
            1,
            Arc::new(AppPolicy::zero_config(Limits::UNLIMITED)),
            &crate::rules::DEFAULT,
            7,
        );
        let mut g = group(GroupType::Public, 10, &["owner"]);
        g.id = "idx".into();
        app.restore_group(g).expect("stored");
        assert_eq!(app.joined_groups("a"), Vec::<String>::new());
        app.update_group("idx", |g| {
            g.members.push(Member::new("a", Role::Member, 2));
            Ok(())
        })
        .expect("updated");
        assert_eq!(app.joined_groups("a"), vec!["idx".to_string()]);
        assert_eq!(app.joined_count("a"), 1);
        let refused: Result<(), VendorError> = app.update_group("idx", |g| {
            admit(g, &strings(&["b", "c"]), &[], &rules(0))?;
            Err(VendorError::GroupFull("checked before any change".into()))
        });
        assert!(refused.is_err());
        assert_eq!(
            app.joined_count("b"),
            0,
            "a refused update leaves the index alone"
        );
        app.update_group("idx", |g| Ok(g.members.remove("a")))
            .expect("updated");
        assert_eq!(app.joined_count("a"), 0);
    }
}
