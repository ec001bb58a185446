//! `group_open_http_svc/create_group`: validate, check state, take quota, insert atomically.

use axum::response::Response;
use serde::Serialize;

use super::{callback_origin, ensure_imported};
use crate::api::command::{Call, RateClass, Service, VendorCommand};
use crate::api::envelope;
use crate::apps::AppPolicy;
use crate::callback::events::{AFTER_CREATE_GROUP, BEFORE_CREATE_GROUP, BeforeCreateGroup};
use crate::domain::create_group::{self, NewGroup, Request};
use crate::domain::group::GroupType;
use crate::error::VendorError;

/// `create_group` (SPEC §3).
pub struct CreateGroup;

impl VendorCommand for CreateGroup {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "create_group";
    const RATE: RateClass = RateClass::CreateGroup;
    const SUMMARY: &'static str = "every rule of the vendor page (see *Fidelity notes*)";
    type Request = Request;

    /// Creates a group (SPEC §3.3, steps 2 to 8): the before-create callback may veto it after
    /// every other check; the after-create callback is queued once it is stored.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let mut new = create_group::parse(request, &call.body, call.rules(), call.app.policy())?;
        new.group.activated =
            new.group.group_type != GroupType::Private || call.emu.private_groups_start_active;
        check_accounts(&call, &new)?;
        if let Some(id) = &new.custom_id
            && call.app.group_exists(id)
        {
            return Err(VendorError::GroupIdInUse(id.clone()));
        }
        let now = call.now();
        let quota = call.app.reserve_quota(new.group.group_type, now)?;
        check_sensitive_words(call.app.policy(), &new)?;
        // The app's slot (--max-apps) is a state check too: taken before the before-create
        // callback, so a refused app sends no callback.
        call.app.claim()?;
        let (callbacks, origin) = (&call.emu.callbacks, callback_origin(&call));
        if !(origin.is_on(BEFORE_CREATE_GROUP) || origin.is_on(AFTER_CREATE_GROUP)) {
            let group_id = call.app.insert_group(new, quota, now)?;
            return Ok(envelope::ok(Created { group_id }));
        }
        let event = BeforeCreateGroup::new(&new, &call.identifier, call.now_ms());
        callbacks.before_create(origin, &event).await?;
        let custom = new.group.custom.clone();
        let group_id = call.app.insert_group(new, quota, now)?;
        callbacks.after(origin, &event.created(group_id.clone(), custom));
        Ok(envelope::ok(Created { group_id }))
    }
}

#[derive(Serialize)]
struct Created {
    #[serde(rename = "GroupId")]
    group_id: String,
}

fn check_accounts(call: &Call, new: &NewGroup) -> Result<(), VendorError> {
    if let Some(owner) = &new.group.owner {
        ensure_imported(call, "Owner_Account", owner)?;
    }
    for m in new.members() {
        ensure_imported(call, "MemberList's Member_Account", m.account())?;
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
