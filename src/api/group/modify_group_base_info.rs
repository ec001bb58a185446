//! `group_open_http_svc/modify_group_base_info`: an App admin changes a group's profile (spec §14).
//!
//! The body is converted once into a `Change`: every value that passed the rules of the §14.1
//! table that need no state, checked in table order. The rules that need the group (the type's
//! `MaxMemberNum` cap, the fields a type ignores, custom-field permissions and the key limit),
//! then the operator and the sensitive words, run inside one atomic update in §14.2's order, and
//! nothing is written until all of them passed. `InfoSeq` and `LastInfoTime` move only when a
//! stored value really changed; the after-callback carries only the changed ones of `Name`,
//! `Introduction`, `Notification` and `FaceUrl`.

use axum::response::Response;
use serde::Deserialize;

use super::get_group_info::invite_join_option;
use super::{callback_origin, group_id, operator};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::apps::{AppPolicy, FieldPolicy};
use crate::callback::events::{AFTER_GROUP_INFO_CHANGED, AfterGroupInfoChanged};
use crate::domain::custom_data::{self, CustomEntry, CustomItem, CustomKind, Writer};
use crate::domain::group::{ApplyJoinOption, Group, GroupType, InviteJoinOption, Switch};
use crate::domain::wire::{Int, Lazy};
use crate::error::VendorError;
use crate::rules::RulesProfile;

/// `modify_group_base_info` (spec §14).
pub struct ModifyGroupBaseInfo;

/// Types where `MaxMemberNum` and `InviteJoinOption` mean nothing: checked, then ignored
/// (spec §14.1).
const HUGE: &[GroupType] = &[GroupType::AVChatRoom, GroupType::BChatRoom];

/// The modify_group_base_info body (spec §14.1); `null` is absent, unknown fields are ignored.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
    /// The new name (1 to 30 bytes).
    Name: Option<String>,
    /// The new introduction.
    Introduction: Option<String>,
    /// The new notification.
    Notification: Option<String>,
    /// The new avatar URL.
    FaceUrl: Option<String>,
    /// The new member cap (ignored for AVChatRoom/BChatRoom).
    MaxMemberNum: Option<Int>,
    /// How applications to join are handled.
    ApplyJoinOption: Option<String>,
    /// Who may invite (ignored for AVChatRoom/BChatRoom).
    InviteJoinOption: Option<String>,
    /// Mute everyone: `On` / `Off`.
    MuteAllMember: Option<String>,
    /// The legacy name of `MuteAllMember` (spec §11.1); the current name wins.
    #[serde(default)]
    ShutUpAllMember: Lazy<String>,
    /// Custom fields to set; `Value: ""` deletes a key.
    AppDefinedData: Option<Vec<CustomItem>>,
    /// The operator the callback reports (must be imported).
    From_Account: Option<String>,
    /// `On` / `Off`: checked, then ignored.
    HistoryMsgBeforeJoin: Option<String>,
    /// Topic-community permission groups: checked as an integer, then ignored.
    #[allow(dead_code)]
    EnablePermission: Option<Int>,
    /// Topic-community permission groups: checked as an integer, then ignored.
    #[allow(dead_code)]
    DefaultPermission: Option<Int>,
}

/// A request that passed every rule of spec §14.1 that needs no state; only [`parse`] makes one.
#[derive(Debug, Default, PartialEq, Eq)]
struct Change {
    name: Option<String>,
    introduction: Option<String>,
    notification: Option<String>,
    face_url: Option<String>,
    /// At least 1; the type's cap is checked against the group.
    max_members: Option<i128>,
    apply_join: Option<ApplyJoinOption>,
    invite_join: Option<InviteJoinOption>,
    mute_all: Option<Switch>,
    /// Well-formed entries; the app's permissions are checked against the group's step.
    custom: Vec<CustomEntry>,
    from: Option<String>,
}

impl VendorCommand for ModifyGroupBaseInfo {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "modify_group_base_info";
    const SUMMARY: &'static str = "every type; only the fields sent change; `Value: \"\"` deletes a custom key; `MuteAllMember` or legacy `ShutUpAllMember`; InfoSeq +1 when anything changed";
    type Request = Request;

    /// Changes the group's profile (spec §14.2): shape, lookup, type rules, custom fields,
    /// operator, sensitive words, then one atomic write and the after-callback.
    async fn handle(call: Call, mut request: Request) -> Result<Response, VendorError> {
        // GroupId first; its form (10015) once the rest of the shape is checked (spec §10.4).
        let id = Some(call.required(request.GroupId.take(), "GroupId", Service::Group)?);
        let change = parse(request, call.rules())?;
        let id = group_id(&call, id)?;
        let (rules, policy, now) = (call.rules(), call.app.policy(), call.now());
        let (changed, group_type, op) = call.app.update_group(&id, |g| {
            let plan = plan(g, &change, rules, policy)?;
            let op = operator(&call, change.from.clone())?;
            check_sensitive_words(policy, &change)?;
            Ok((write(g, change, plan, now), g.group_type, op))
        })?;
        let origin = callback_origin(&call);
        if changed.any() && origin.is_on(AFTER_GROUP_INFO_CHANGED) {
            let event = changed.event(id, group_type, op, call.now_ms());
            call.emu.callbacks.after(origin, &event);
        }
        Ok(envelope::ok(NoFields {}))
    }
}

fn invalid(msg: String) -> VendorError {
    VendorError::InvalidParameter(msg)
}

/// `value` when it holds at most `max` bytes.
fn at_most(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, VendorError> {
    match value {
        Some(v) if v.len() > max => Err(invalid(crate::diagnose::too_long(field, &v, max))),
        v => Ok(v),
    }
}

/// Parses an optional vendor spelling with `parse`, naming `field` and the `choices`.
fn spelling<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    choices: String,
) -> Result<Option<T>, VendorError> {
    let Some(v) = value else { return Ok(None) };
    parse(v)
        .map(Some)
        .ok_or_else(|| invalid(format!("{field} {v:?} must be {choices} (case-sensitive)")))
}

/// Converts the body (its `GroupId` already checked) into a [`Change`], checking each value
/// in the order of the spec §14.1 table; the first broken rule is the answer.
fn parse(r: Request, rules: &RulesProfile) -> Result<Change, VendorError> {
    if r.Name.as_deref() == Some("") {
        return Err(invalid(
            "Name must not be empty; leave it out to keep the current name".into(),
        ));
    }
    let name = at_most("Name", r.Name, rules.name_max_bytes)?;
    let introduction = at_most("Introduction", r.Introduction, rules.introduction_max_bytes)?;
    let notification = at_most("Notification", r.Notification, rules.notification_max_bytes)?;
    let face_url = at_most("FaceUrl", r.FaceUrl, rules.face_url_max_bytes)?;
    let max_members = match r.MaxMemberNum.map(|n| n.0) {
        Some(n) if n < 1 => {
            return Err(invalid(format!(
                "MaxMemberNum is {n}; it must be at least 1"
            )));
        }
        n => n,
    };
    let apply_join = spelling(
        "ApplyJoinOption",
        r.ApplyJoinOption.as_deref(),
        ApplyJoinOption::parse,
        ApplyJoinOption::choices(),
    )?;
    let invite_join = spelling(
        "InviteJoinOption",
        r.InviteJoinOption.as_deref(),
        InviteJoinOption::parse,
        InviteJoinOption::choices(),
    )?;
    let (mute_field, mute) = match r.MuteAllMember {
        Some(v) => ("MuteAllMember", Some(v)),
        None => (
            "ShutUpAllMember",
            r.ShutUpAllMember
                .typed("ShutUpAllMember")
                .map_err(|e| VendorError::InvalidParameter(e.to_string()))?,
        ),
    };
    let mute_all = spelling(
        mute_field,
        mute.as_deref(),
        Switch::parse,
        Switch::choices(),
    )?;
    let custom = match r.AppDefinedData {
        Some(items) => custom_data::parse(
            items,
            "AppDefinedData",
            CustomKind::Group,
            rules,
            &FieldPolicy::Any,
            Writer::Admin,
        )?,
        None => Vec::new(),
    };
    spelling(
        "HistoryMsgBeforeJoin",
        r.HistoryMsgBeforeJoin.as_deref(),
        Switch::parse,
        Switch::choices(),
    )?;
    Ok(Change {
        name,
        introduction,
        notification,
        face_url,
        max_members,
        apply_join,
        invite_join,
        mute_all,
        custom,
        from: r.From_Account,
    })
}

/// What the group's own rules make of a [`Change`]: the type-dependent values that apply, and
/// the custom data as it will be stored.
#[derive(Debug)]
struct Plan {
    max_members: Option<u32>,
    invite_join: Option<InviteJoinOption>,
    custom: Vec<CustomEntry>,
}

/// Spec §14.2 steps 4 and 5 against the stored group `g`, changing nothing: the type's
/// `MaxMemberNum` cap and the fields the type ignores; then the app's custom-field permissions
/// (10004 unknown key, 10007 not writable) and the per-group key limit.
fn plan(
    g: &Group,
    c: &Change,
    rules: &RulesProfile,
    policy: &AppPolicy,
) -> Result<Plan, VendorError> {
    let huge = HUGE.contains(&g.group_type);
    let max_members = match c.max_members {
        Some(n) if !huge => Some(type_cap(g.group_type, n, rules)?),
        _ => None,
    };
    // ApplyJoinOption is ignored for Community (spec §14.1), a type of the `current` profile
    // only; every type of the default profile takes it.
    let invite_join = c.invite_join.filter(|_| !huge);
    let custom = custom_data::plan_changes(
        &g.custom,
        &c.custom,
        "AppDefinedData",
        CustomKind::Group,
        rules,
        &policy.group_fields,
    )?;
    Ok(Plan {
        max_members,
        invite_join,
        custom,
    })
}

/// `n` when a group of type `t` may have that many members (10004 beyond the profile's cap).
fn type_cap(t: GroupType, n: i128, rules: &RulesProfile) -> Result<u32, VendorError> {
    let cap = rules
        .rule_of(t)
        .and_then(|r| r.max_members)
        .unwrap_or(u32::MAX);
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= cap)
        .ok_or_else(|| invalid(format!("MaxMemberNum is {n}; a {t} group takes 1 to {cap}")))
}

/// 80001 when `Name`, `Introduction` or `Notification`, as sent, holds a configured word.
fn check_sensitive_words(policy: &AppPolicy, c: &Change) -> Result<(), VendorError> {
    let fields = [
        ("Name", &c.name),
        ("Introduction", &c.introduction),
        ("Notification", &c.notification),
    ];
    for (field, text) in fields {
        if let Some(word) = text.as_deref().and_then(|t| policy.sensitive_word_in(t)) {
            return Err(VendorError::SensitiveWord {
                field: field.into(),
                word: word.to_string(),
            });
        }
    }
    Ok(())
}

/// The changed ones of the four fields the after-callback reports (spec §14.4).
#[derive(Debug, Default, PartialEq, Eq)]
struct InfoChanged {
    name: Option<String>,
    introduction: Option<String>,
    notification: Option<String>,
    face_url: Option<String>,
}

impl InfoChanged {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.introduction.is_some()
            || self.notification.is_some()
            || self.face_url.is_some()
    }

    fn event(self, group_id: String, t: GroupType, op: String, ms: u64) -> AfterGroupInfoChanged {
        AfterGroupInfoChanged {
            callback_command: AFTER_GROUP_INFO_CHANGED,
            group_id,
            r#type: t.as_str(),
            operator_account: op,
            name: self.name,
            introduction: self.introduction,
            notification: self.notification,
            face_url: self.face_url,
            event_time: ms,
        }
    }
}

/// Puts `new` in `slot`; whether the stored value changed.
fn set<T: PartialEq>(slot: &mut T, new: Option<T>) -> bool {
    match new {
        Some(v) if *slot != v => {
            *slot = v;
            true
        }
        _ => false,
    }
}

/// Puts `new` in `slot`; the new text when it changed.
fn set_text<S: PartialEq<String> + for<'a> From<&'a str>>(
    slot: &mut S,
    new: Option<String>,
) -> Option<String> {
    let v = new.filter(|v| *slot != *v)?;
    *slot = S::from(v.as_str());
    Some(v)
}

/// Writes a checked change into `g` (spec §14.5): `InfoSeq` + 1 and `LastInfoTime` = `now`
/// when any stored value changed. Returns the changes the after-callback reports.
fn write(g: &mut Group, c: Change, p: Plan, now: u64) -> InfoChanged {
    let info = InfoChanged {
        name: set_text(&mut g.name, c.name),
        introduction: set_text(&mut g.introduction, c.introduction),
        notification: set_text(&mut g.notification, c.notification),
        face_url: set_text(&mut g.face_url, c.face_url),
    };
    let mut changed = info.any();
    changed |= set(&mut g.max_members, p.max_members);
    changed |= set(&mut g.apply_join, c.apply_join);
    if let Some(v) = p.invite_join
        && invite_join_option(g) != Some(v.as_str())
    {
        g.invite_join = Some(v);
        changed = true;
    }
    changed |= set(&mut g.mute_all, c.mute_all);
    changed |= set(&mut g.custom, Some(p.custom));
    if changed {
        g.profile_changed(now);
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::DEFAULT;
    use serde_json::{Value, json};

    fn parsed(body: Value) -> Result<Change, u32> {
        let r: Request = crate::domain::wire::from_value(&body, "").map_err(|_| 10004_u32)?;
        parse(r, &DEFAULT).map_err(|e| e.code())
    }

    #[test]
    fn each_text_field_holds_its_limit_in_bytes_on_both_sides() {
        let cjk = |n: usize| "群".repeat(n); // 3 bytes each
        let table: Vec<(&str, String, bool)> = vec![
            ("Name", "n".repeat(30), true),
            ("Name", "n".repeat(31), false),
            ("Name", cjk(10), true),
            ("Name", format!("{}a", cjk(10)), false),
            ("Name", String::new(), false),
            ("Introduction", "i".repeat(240), true),
            ("Introduction", "i".repeat(241), false),
            ("Introduction", cjk(80), true),
            ("Introduction", format!("{}a", cjk(80)), false),
            ("Introduction", String::new(), true),
            ("Notification", "n".repeat(300), true),
            ("Notification", "n".repeat(301), false),
            ("Notification", cjk(100), true),
            ("Notification", format!("{}a", cjk(100)), false),
            ("FaceUrl", "f".repeat(100), true),
            ("FaceUrl", "f".repeat(101), false),
            ("FaceUrl", format!("{}a", cjk(33)), true),
            ("FaceUrl", format!("{}ab", cjk(33)), false),
        ];
        for (field, value, ok) in table {
            let got = parsed(json!({ field: value }));
            assert_eq!(got.is_ok(), ok, "{field} of {} bytes: {got:?}", value.len());
            if !ok {
                assert_eq!(got, Err(10004));
            }
        }
    }

    #[test]
    fn enumerated_values_are_case_sensitive_spellings() {
        let table = [
            (json!({"ApplyJoinOption": "DisableApply"}), Ok(())),
            (json!({"ApplyJoinOption": "disableapply"}), Err(10004)),
            (json!({"InviteJoinOption": "DisableInvite"}), Ok(())),
            (json!({"InviteJoinOption": "DisableApply"}), Err(10004)),
            (json!({"MuteAllMember": "On"}), Ok(())),
            (json!({"MuteAllMember": "on"}), Err(10004)),
            (json!({"ShutUpAllMember": "Off"}), Ok(())),
            (json!({"ShutUpAllMember": "Yes"}), Err(10004)),
            (json!({"ShutUpAllMember": 1}), Err(10004)),
            (json!({"MuteAllMember": "On", "ShutUpAllMember": 1}), Ok(())),
            (json!({"HistoryMsgBeforeJoin": "On"}), Ok(())),
            (json!({"HistoryMsgBeforeJoin": "true"}), Err(10004)),
            (
                json!({"EnablePermission": 1, "DefaultPermission": 0}),
                Ok(()),
            ),
            (json!({"EnablePermission": "1"}), Err(10004)),
            (json!({"DefaultPermission": 1.5}), Err(10004)),
            (json!({"MaxMemberNum": 1}), Ok(())),
            (json!({"MaxMemberNum": 0}), Err(10004)),
            (json!({"MaxMemberNum": -3}), Err(10004)),
            (json!({"MaxMemberNum": "100"}), Err(10004)),
        ];
        for (body, want) in table {
            assert_eq!(parsed(body.clone()).map(|_| ()), want, "{body}");
        }
    }

    #[test]
    fn the_current_mute_name_wins_over_the_legacy_one() {
        let both = parsed(json!({"MuteAllMember": "On", "ShutUpAllMember": "Off"}));
        assert_eq!(both.map(|c| c.mute_all), Ok(Some(Switch::On)));
        let legacy = parsed(json!({"ShutUpAllMember": "On"}));
        assert_eq!(legacy.map(|c| c.mute_all), Ok(Some(Switch::On)));
        let bad_legacy_ignored = parsed(json!({"MuteAllMember": "Off", "ShutUpAllMember": "x"}));
        assert_eq!(
            bad_legacy_ignored.map(|c| c.mute_all),
            Ok(Some(Switch::Off))
        );
    }

    #[test]
    fn null_is_absent_and_an_empty_body_changes_nothing() {
        assert_eq!(parsed(json!({})), Ok(Change::default()));
        let nulls = json!({"Name": null, "MaxMemberNum": null, "AppDefinedData": null,
            "MuteAllMember": null, "From_Account": null});
        assert_eq!(parsed(nulls), Ok(Change::default()));
        let mut g = Group::new(GroupType::Public, "g".into());
        let before = (g.info_seq, g.last_info_time);
        let p = plan(
            &g,
            &Change::default(),
            &DEFAULT,
            &AppPolicy::zero_config(crate::apps::Limits::UNLIMITED),
        )
        .expect("no rule broken");
        assert!(!write(&mut g, Change::default(), p, 99).any());
        assert_eq!((g.info_seq, g.last_info_time), before);
    }

    #[test]
    fn the_first_broken_rule_in_table_order_is_the_answer() {
        let v = parsed(json!({"Name": "", "Introduction": "x".repeat(241)}));
        assert_eq!(v, Err(10004));
        let r: Request = crate::domain::wire::from_value(
            &json!({"FaceUrl": "f".repeat(101), "MaxMemberNum": 0}),
            "",
        )
        .expect("typed");
        let e = parse(r, &DEFAULT).expect_err("FaceUrl first");
        assert!(e.to_string().contains("FaceUrl"), "{e}");
    }

    #[test]
    fn the_member_cap_follows_the_type_and_huge_types_ignore_it() {
        let zero = AppPolicy::zero_config(crate::apps::Limits::UNLIMITED);
        let table = [
            (GroupType::Private, 200, Ok(Some(200))),
            (GroupType::Private, 201, Err(10004)),
            (GroupType::Public, 2000, Ok(Some(2000))),
            (GroupType::Public, 2001, Err(10004)),
            (GroupType::ChatRoom, 10000, Ok(Some(10000))),
            (GroupType::ChatRoom, 10001, Err(10004)),
            (GroupType::AVChatRoom, 99_999_999_999, Ok(None)),
            (GroupType::BChatRoom, 5, Ok(None)),
        ];
        for (t, n, want) in table {
            let g = Group::new(t, "g".into());
            let c = Change {
                max_members: Some(n),
                ..Change::default()
            };
            let got = plan(&g, &c, &DEFAULT, &zero).map(|p| p.max_members);
            assert_eq!(got.map_err(|e| e.code()), want, "{t} {n}");
        }
    }
}
