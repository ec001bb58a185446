//! `group_open_http_svc/create_group`: validate, check state, take quota, insert atomically.

use axum::response::Response;
use serde::Serialize;

use super::{callback_origin, ensure_imported};
use crate::api::command::{Call, RateClass, Service, VendorCommand};
use crate::api::envelope;
use crate::apps::AppPolicy;
use crate::callback::events::{
    AFTER_CREATE_GROUP, BEFORE_CREATE_GROUP, BeforeCreateGroup, DAILY_GROUP_QUOTA_ALARM,
    DailyGroupQuotaAlarm,
};
use crate::domain::create_group::{self, NewGroup, Request};
use crate::domain::group::GroupType;
use crate::error::VendorError;
use crate::rules::{DupGroupIdRule, RulesProfile};

/// `create_group` (SPEC §3).
pub struct CreateGroup;

impl VendorCommand for CreateGroup {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "create_group";
    const RATE: RateClass = RateClass::CreateGroup;
    const SUMMARY: &'static str = "every rule of the vendor page (see *Fidelity notes*)";
    type Request = Request;

    /// Creates a group (SPEC §3.3, steps 2 to 8; spec §40.4 under `current`): the
    /// before-create callback may veto it after every other check; the after-create callback
    /// is queued once it is stored, then the daily-quota alarm when it is due.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let mut new = create_group::parse(request, &call.body, call.rules(), call.app.policy())?;
        new.group.activated =
            new.group.group_type != GroupType::Private || call.emu.private_groups_start_active;
        new.group.creator = call.identifier.as_str().into();
        check_accounts(&call, &new)?;
        if let Some(id) = &new.custom_id {
            check_id_free(&call, id, new.group.owner.as_deref())?;
        }
        let now = call.now();
        let owner_only = call.rules().edition.is_some();
        let owner = new.group.owner.as_deref().filter(|_| owner_only);
        let quota = call.app.reserve_quota(new.group.group_type, owner, now)?;
        check_sensitive_words(call.app.policy(), &new)?;
        // The app's slot (--max-apps) is a state check too: taken before the before-create
        // callback, so a refused app sends no callback.
        call.app.claim()?;
        let answer = Created::of(&new, call.rules());
        let net = quota.net_increase();
        let owner = new.group.owner.as_deref().map(String::from);
        let (callbacks, origin) = (&call.emu.callbacks, callback_origin(&call));
        if !(origin.is_on(BEFORE_CREATE_GROUP) || origin.is_on(AFTER_CREATE_GROUP)) {
            let group_id = raced(&call, call.app.insert_group(new, quota, now), owner)?;
            quota_alarm(&call, net, now);
            return Ok(envelope::ok(answer.with_id(group_id)));
        }
        let event = BeforeCreateGroup::new(&new, &call.identifier, call.now_ms());
        callbacks.before_create(origin, &event).await?;
        let custom = new.group.custom.clone();
        let group_id = raced(&call, call.app.insert_group(new, quota, now), owner)?;
        callbacks.after(origin, &event.created(group_id.clone(), custom));
        quota_alarm(&call, net, now);
        Ok(envelope::ok(answer.with_id(group_id)))
    }
}

/// The create_group answer: `GroupId`, and for a Community under `current` `HugeGroupFlag` 0
/// and `Type` (spec §40.2 #11).
#[derive(Serialize)]
#[allow(non_snake_case)]
struct Created {
    GroupId: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    HugeGroupFlag: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    Type: Option<&'static str>,
}

impl Created {
    fn of(new: &NewGroup, rules: &RulesProfile) -> Self {
        let t = new.group.group_type;
        let community = t == GroupType::Community && rules.create_group_join_options;
        Self {
            GroupId: String::new(),
            HugeGroupFlag: community.then_some(0),
            Type: community.then_some(t.as_str()),
        }
    }

    fn with_id(self, id: String) -> Self {
        Self {
            GroupId: id,
            ..self
        }
    }
}

/// 10021 when the custom `id` names a live group; 10025 instead when the app's
/// `dup_group_id_rule` says the caller re-used an ID of its own (spec §40.4).
fn check_id_free(call: &Call, id: &str, owner: Option<&str>) -> Result<(), VendorError> {
    let Some((creator, existing_owner)) = call
        .app
        .with_group(id, |g| (g.creator.clone(), g.owner.clone()))
    else {
        return Ok(());
    };
    let own = match call.app.policy().switches.dup_group_id_rule {
        DupGroupIdRule::Creator => !creator.is_empty() && creator == call.identifier.as_str(),
        DupGroupIdRule::Owner => owner.is_some_and(|o| Some(o) == existing_owner.as_deref()),
        DupGroupIdRule::Always10021 => false,
    };
    if own {
        return Err(VendorError::GroupIdUsedByCaller(format!(
            "GroupId {id:?} is already used by a group you created (dup_group_id_rule {}); destroy it first or pick another ID",
            call.app.policy().switches.dup_group_id_rule.as_str()
        )));
    }
    Err(VendorError::GroupIdInUse(id.to_string()))
}

/// An insert that lost the race for its custom ID answers as if the ID had been taken before
/// the request: 10025 or 10021 by `dup_group_id_rule`.
fn raced(
    call: &Call,
    inserted: Result<String, VendorError>,
    owner: Option<String>,
) -> Result<String, VendorError> {
    match inserted {
        Err(VendorError::GroupIdInUse(id)) => Err(check_id_free(call, &id, owner.as_deref())
            .err()
            .unwrap_or(VendorError::GroupIdInUse(id))),
        other => other,
    }
}

/// Sends `Group.CallbackOnDailyGroupQuotaAlarm` when the day's net increase `net` has just
/// passed the alarm percentage of the quota, once per China day (spec §40.3).
fn quota_alarm(call: &Call, net: i64, now: u64) {
    let origin = callback_origin(call);
    if !origin.is_on(DAILY_GROUP_QUOTA_ALARM) || !call.app.quota_alarm_due(net, now) {
        return;
    }
    let quota = call.app.policy().limits.daily_net_group_increase;
    let event = DailyGroupQuotaAlarm::new(net, quota, call.now_ms());
    call.emu.callbacks.after(origin, &event);
}

fn check_accounts(call: &Call, new: &NewGroup) -> Result<(), VendorError> {
    if let Some(owner) = &new.group.owner {
        ensure_imported(call, "Owner_Account", owner)?;
    }
    for m in new.members() {
        ensure_imported(call, "MemberList's Member_Account", m.account())?;
    }
    if call.rules().edition.is_some() {
        return Ok(()); // `current` checks only the owner, among the quotas (spec §40.4 step 6)
    }
    check_groups_per_user(call, new)
}

/// 10037 when an account of the new group already belongs to as many groups as the app's
/// `groups_per_user` allows (spec §25; off by default, emulator choice of place: right after
/// the imported-account checks).
fn check_groups_per_user(call: &Call, new: &NewGroup) -> Result<(), VendorError> {
    let max = call.app.policy().limits.groups_per_user;
    if max == 0 {
        return Ok(());
    }
    match new
        .group
        .members
        .iter()
        .find(|m| call.app.joined_count(m.account()) >= max as usize)
    {
        Some(m) => Err(VendorError::TooManyJoinedGroups(format!(
            "{:?} already belongs to {max} groups, the most one account may join (--groups-per-user / [apps.limits] groups_per_user)",
            m.account()
        ))),
        None => Ok(()),
    }
}

fn check_sensitive_words(policy: &AppPolicy, new: &NewGroup) -> Result<(), VendorError> {
    let g = &new.group;
    let fields = [
        ("Name", g.name.as_str()),
        ("Introduction", g.introduction.as_str()),
        ("Notification", g.notification.as_str()),
    ];
    for (field, text) in fields {
        if let Some(word) = policy.sensitive_word_in(text) {
            return Err(VendorError::SensitiveWord {
                field: field.into(),
                word: word.to_string(),
            });
        }
    }
    Ok(())
}
